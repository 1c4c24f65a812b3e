"""Against a real n8n 1.94: live scan with n8n's own audit, record and offline replay."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pytest_nocode import placeholders
from tests.conftest import assert_obviously_safe, run_json
from tests.httpfake import BLOCK_NETWORK
from tests.live.conftest import N8n, findings_of

pytestmark = pytest.mark.live

CANARY_NODE = "c0ffee00-0000-4000-8000-000000000002"


def test_live_scan_reports_findings_and_n8n_audit(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  n8n_server: N8n) -> None:
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    result, report = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    [app] = report["apps"]
    assert app["source"] == "live"
    secrets = {f["resource"]["id"] for f in report["findings"] if f["category"] == "secrets"}
    assert CANARY_NODE in secrets
    audit = [f for f in report["findings"] if "n8n audit" in f["message"]]
    assert audit, "n8n's own audit findings are relayed"
    everything = result.stdout.str() + json.dumps(report)
    assert n8n_server.api_key not in everything
    assert n8n_server.canary not in everything


def test_record_then_replay_offline_gives_the_same_findings(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n8n_server: N8n) -> None:
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    cassettes = pytester.path / "cassettes"
    args = (f"--nocode-app={n8n_server.uri}", f"--nocode-cassette-dir={cassettes}")
    _, live = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    recorded, first = run_json(pytester, *args, "--nocode-record-mode=once")
    assert recorded.ret == pytest.ExitCode.TESTS_FAILED, recorded.stdout.str()
    [cassette] = cassettes.glob("*.yaml")

    monkeypatch.delenv("NOCODE_N8N_API_KEY")
    pytester.makeconftest(BLOCK_NETWORK)
    replayed, second = run_json(pytester, *args, "--nocode-record-mode=none")
    assert second["apps"][0]["source"] == "cassette"
    assert first["apps"][0]["snapshot_sha256"] == second["apps"][0]["snapshot_sha256"]
    assert findings_of(first) == findings_of(second)
    assert replayed.ret == recorded.ret
    # people are pseudonymized in cassettes, secrets are not changed in any way a report shows
    assert secret_findings(live) == secret_findings(first)

    text = cassette.read_text()
    for value in (n8n_server.api_key, n8n_server.canary, n8n_server.owner_email,
                  n8n_server.owner_first, n8n_server.owner_last, n8n_server.member_email):
        assert value not in text, "a secret or a person's name reached the cassette"
    manifest = yaml.safe_load(text)[placeholders.MANIFEST_KEY].values()
    assert {"kind": "Stripe Access Key", "length": 32, "prefix": "sk_l"} in manifest
    assert "@acme-corp.example" in text  # pseudonyms keep the organisation's domain
    assert_obviously_safe(text, str(cassette))


def secret_findings(report: dict[str, Any]) -> list[str]:
    return [f for f in findings_of(report) if '"category": "secrets"' in f]


def test_a_wrong_api_key_errors_every_check_and_names_the_variable(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n8n_server: N8n) -> None:
    monkeypatch.setenv("NOCODE_N8N_API_KEY", "wrong-key-0123456789")
    result = pytester.runpytest(f"--nocode-app={n8n_server.uri}", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert outcomes.get("errors", 0) > 0 and outcomes.get("passed", 0) == 0
    result.stdout.fnmatch_lines([f"*credentials rejected by 127.0.0.1:{n8n_server.port}"
                                 "*NOCODE_N8N_API_KEY*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert "wrong-key-0123456789" not in result.stdout.str()
