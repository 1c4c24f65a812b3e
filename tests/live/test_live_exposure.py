"""Against real n8n 1.94: the unauthenticated probes and the version's known advisories, on an
instance never set up (anyone could claim it) and on a set-up one; recorded and replayed."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.conftest import assert_obviously_safe, run_json
from tests.httpfake import BLOCK_NETWORK
from tests.live.conftest import ON_N8N_1, N8n, findings_of

pytestmark = pytest.mark.live


def by_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_a_fresh_instance_reports_open_owner_setup_and_its_advisories(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        n8n_fresh_server: str) -> None:
    monkeypatch.delenv("NOCODE_N8N_API_KEY", raising=False)
    result, report = run_json(pytester, f"--nocode-app=n8n+{n8n_fresh_server}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    [app] = report["apps"]
    assert "no owner yet" in app["notes"]["workflows"]
    [setup] = by_rule(report, "EXPO001")
    assert setup["severity"] == "critical"
    assert setup["evidence"]["userManagement.showSetupOnFirstLoad"] is True
    leaks = {f["resource"]["id"]: f["evidence"] for f in by_rule(report, "EXPO002")}
    assert leaks["GET /rest/settings"]["version"] == "1.94.1"
    assert "versionCli" in leaks["GET /rest/settings"]["revealed"]
    assert leaks["GET /rest/sentry.js"] == {"request": "GET /rest/sentry.js", "status": 200,
                                            "revealed": ["release"], "version": "1.94.1"}
    assert by_rule(report, "EXPO003") == []  # n8n's REST API refuses strangers (401)
    advisories = {f["evidence"]["advisory"]: f for f in by_rule(report, "ADV001")}
    ni8mare = advisories["GHSA-v4pr-fm98-w9pg"]
    assert ni8mare["severity"] == "high" and ni8mare["evidence"]["feature_in_use"] == []
    assert ni8mare["evidence"]["installed"] == "1.94.1"
    assert "CVE-2026-1470" in advisories
    # the workflow checks did not pass on an instance whose workflows could not be read
    auth001 = [n for n in report["not_applicable"]
               if "test_entry_points_require_authentication" in n["check"]]
    assert auth001 and "no workflows data" in auth001[0]["reason"]


def test_the_probes_record_and_replay_offline(pytester: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch,
                                              n8n_fresh_server: str) -> None:
    monkeypatch.delenv("NOCODE_N8N_API_KEY", raising=False)
    cassettes = pytester.path / "cassettes"
    args = (f"--nocode-app=n8n+{n8n_fresh_server}", f"--nocode-cassette-dir={cassettes}")
    recorded, first = run_json(pytester, *args, "--nocode-record-mode=once")
    [cassette] = cassettes.glob("*.yaml")
    text = cassette.read_text()
    paths = {i["request"]["uri"].split(n8n_fresh_server, 1)[1]
             for i in yaml.safe_load(text)["interactions"]}
    assert {"/rest/settings", "/rest/sentry.js", "/rest/workflows",
            "/api/v1/workflows?limit=1"} <= paths
    assert_obviously_safe(text, str(cassette))

    pytester.makeconftest(BLOCK_NETWORK)
    replayed, second = run_json(pytester, *args, "--nocode-record-mode=none")
    assert second["apps"][0]["source"] == "cassette"
    assert findings_of(first) == findings_of(second)
    assert first["apps"][0]["snapshot_sha256"] == second["apps"][0]["snapshot_sha256"]
    assert replayed.ret == recorded.ret == pytest.ExitCode.TESTS_FAILED


@ON_N8N_1  # the version and advisories asserted are 1.94.1's
def test_a_set_up_instance_has_no_open_setup_but_still_shows_its_version(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n8n_server: N8n) -> None:
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    result, report = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    assert by_rule(report, "EXPO001") == []
    assert by_rule(report, "EXPO003") == []
    assert {f["evidence"]["version"] for f in by_rule(report, "EXPO002")} == {"1.94.1"}
    advisories = {f["evidence"]["advisory"] for f in by_rule(report, "ADV001")}
    assert {"GHSA-v4pr-fm98-w9pg", "GHSA-v364-rw7m-3263"} <= advisories
    assert n8n_server.api_key not in result.stdout.str() + json.dumps(report)
