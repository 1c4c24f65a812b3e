"""Against real Node-RED 4.1 and 5.0: live scan, record and offline replay, credentials
errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from pytest_nocode import placeholders
from tests.conftest import assert_obviously_safe, run_json
from tests.httpfake import BLOCK_NETWORK
from tests.live.conftest import NodeRed, findings_of

pytestmark = pytest.mark.live

VARS = ("NOCODE_NODERED_TOKEN", "NOCODE_NODERED_USERNAME", "NOCODE_NODERED_PASSWORD")


def login(monkeypatch: pytest.MonkeyPatch, server: NodeRed) -> None:
    monkeypatch.delenv("NOCODE_NODERED_TOKEN", raising=False)
    monkeypatch.setenv("NOCODE_NODERED_USERNAME", server.username)
    monkeypatch.setenv("NOCODE_NODERED_PASSWORD", server.password)


def test_live_scan_finds_the_planted_secrets(pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch,
                                             nodered_server: NodeRed) -> None:
    login(monkeypatch, nodered_server)
    result, report = run_json(pytester, f"--nocode-app={nodered_server.uri}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [app] = report["apps"]
    assert app["source"] == "live" and app["snapshot_sha256"]
    secrets = {f["resource"]["id"] for f in report["findings"] if f["category"] == "secrets"}
    assert {"c0ffee00000func1", "c0ffee0000httpr1"} <= secrets
    everything = result.stdout.str() + json.dumps(report)
    for value in (nodered_server.password, nodered_server.canary,
                  nodered_server.canary_password):
        assert value not in everything


def test_record_then_replay_offline_gives_the_same_findings(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        nodered_server: NodeRed) -> None:
    login(monkeypatch, nodered_server)
    cassettes = pytester.path / "cassettes"
    args = (f"--nocode-app={nodered_server.uri}", f"--nocode-cassette-dir={cassettes}")
    _, live = run_json(pytester, f"--nocode-app={nodered_server.uri}")
    recorded, first = run_json(pytester, *args, "--nocode-record-mode=once")
    assert recorded.ret == pytest.ExitCode.TESTS_FAILED, recorded.stdout.str()
    [cassette] = cassettes.glob("*.yaml")

    for name in VARS:  # replay needs no credentials and no network
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(BLOCK_NETWORK)
    replayed, second = run_json(pytester, *args, "--nocode-record-mode=none")
    assert replayed.ret == pytest.ExitCode.TESTS_FAILED, replayed.stdout.str()
    assert first["apps"][0]["source"] == "live"
    assert second["apps"][0]["source"] == "cassette"
    assert first["apps"][0]["snapshot_sha256"] == second["apps"][0]["snapshot_sha256"]
    assert findings_of(live) == findings_of(first) == findings_of(second)
    assert {f["resource"]["id"] for f in second["findings"]} >= {"c0ffee00000func1",
                                                                "c0ffee0000httpr1"}
    assert_scrubbed(cassette, nodered_server)


def assert_scrubbed(cassette: Path, server: NodeRed) -> None:
    text = cassette.read_text()
    for value in (server.password, server.canary, server.canary_password):
        assert value not in text
    assert "Bearer " not in text.replace("Bearer nocode-scrubbed-", "")  # no token in a header
    assert '"access_token": "scrubbed-access-token"' in text
    assert "password=scrubbed" in text
    # placeholders stand in for the canaries; the manifest says what they were, no more
    manifest = yaml.safe_load(text)[placeholders.MANIFEST_KEY].values()
    assert {"kind": "GitHub Token", "length": 40, "prefix": "ghp_"} in manifest
    assert {"kind": "Password in URL", "length": 16, "prefix": server.canary_password[:4]} \
        in manifest
    assert "https://svc-inventory:nocode-scrubbed-" in text
    assert_obviously_safe(text, str(cassette))


def test_a_rejected_token_errors_every_check_and_names_the_variable(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        nodered_server: NodeRed) -> None:
    monkeypatch.setenv("NOCODE_NODERED_TOKEN", "not-a-valid-token-123456")
    result = pytester.runpytest(f"--nocode-app={nodered_server.uri}", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert outcomes.get("errors", 0) > 0
    assert outcomes.get("passed", 0) == outcomes.get("failed", 0) == 0
    result.stdout.fnmatch_lines([f"*credentials rejected by 127.0.0.1:{nodered_server.port}"
                                 "*NOCODE_NODERED_TOKEN*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert "not-a-valid-token-123456" not in result.stdout.str()


def test_a_wrong_password_is_refused_once_with_a_clear_error(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        nodered_server: NodeRed) -> None:
    monkeypatch.delenv("NOCODE_NODERED_TOKEN", raising=False)
    monkeypatch.setenv("NOCODE_NODERED_USERNAME", nodered_server.username)
    monkeypatch.setenv("NOCODE_NODERED_PASSWORD", "Wrong-Password-42")
    result = pytester.runpytest(f"--nocode-app={nodered_server.uri}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes().get("passed", 0) == 0
    result.stdout.fnmatch_lines(["*credentials rejected by*NOCODE_NODERED_PASSWORD*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert "Wrong-Password-42" not in result.stdout.str()


def test_admin_api_shapes_of_the_major(nodered_server: NodeRed) -> None:
    """The parts the scan reads keep their shapes across majors; 5.x adds ``codeEditor.lib``
    to ``/settings``."""
    url = nodered_server.url
    token = requests.post(f"{url}/auth/token", data={
        "client_id": "node-red-admin", "grant_type": "password", "scope": "*",
        "username": nodered_server.username, "password": nodered_server.password},
        timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Node-RED-API-Version": "v2",
               "Accept": "application/json"}

    def get(path: str) -> Any:
        answer = requests.get(f"{url}{path}", headers=headers, timeout=10)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        return answer.json()

    flows, settings = get("/flows"), get("/settings")
    assert isinstance(flows["flows"], list) and isinstance(flows["rev"], str)
    assert isinstance(get("/diagnostics")["runtime"], dict)
    assert all({"id", "module", "version"} <= set(n) for n in get("/nodes"))
    assert settings["version"] == nodered_server.version
    assert ("lib" in settings.get("codeEditor", {})) == nodered_server.version.startswith("5")
