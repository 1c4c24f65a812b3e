"""Against real n8n 1.94 and 2.41: live scan with n8n's own audit, record and offline replay;
on n8n 2, what runs (the published version) against the saved draft, and its exports."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from pytest_nocode import placeholders
from tests.conftest import assert_obviously_safe, run_json
from tests.httpfake import BLOCK_NETWORK
from tests.live.conftest import ON_N8N_1, ON_N8N_2, N8n, findings_of

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


def test_the_version_is_known_without_credentials_on_both_majors(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, n8n_server: N8n) -> None:
    """1.x gives its release away in /rest/sentry.js, 2.x in the editor page's meta tag: either
    way ADV001 runs on what the instance is, and EXPO002 says which page told."""
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    _, report = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    skipped = json.dumps(report.get("not_applicable", []))
    assert "ADV001" not in skipped and "test_no_version_with_known_advisory" not in skipped
    told = {f["resource"]["id"]: f["evidence"] for f in report["findings"]
            if f["rule"] == "EXPO002"}
    page = "GET /rest/sentry.js" if n8n_server.version.startswith("1.") else "GET /"
    assert json.dumps(told[page]).count(n8n_server.version) >= 1, told


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


def test_api_keys_may_have_every_scope_of_the_major(n8n_server: N8n) -> None:
    """The bootstrap gives the key every scope the server offers: 36 on 1.x, 106 on 2.x."""
    assert n8n_server.scopes == {1: 36, 2: 106}[n8n_server.major]


# -- n8n 2: published version and draft ------------------------------------------------------
LEAD_CAPTURE = "ZNg8qg35R3p0prOp.json"  # the demo's unauthenticated lead-capture webhook


@contextlib.contextmanager
def active_copy_of_lead_capture(n8n: N8n, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A new, active copy of the demo's lead-capture workflow on its own webhook path, removed
    afterwards so the other tests see the seeded instance unchanged."""
    from tests.live.conftest import DEMO

    api = requests.Session()
    api.headers["X-N8N-API-KEY"] = n8n.api_key
    export = json.loads((DEMO / "n8n" / LEAD_CAPTURE).read_text())
    for node in export["nodes"]:
        if node["type"] == "n8n-nodes-base.webhook":
            node["parameters"]["path"] = path
            node.pop("webhookId", None)
    body = {"name": f"Lead capture ({path})", "nodes": export["nodes"],
            "connections": export["connections"], "settings": {"executionOrder": "v1"}}
    created = api.post(f"{n8n.url}/api/v1/workflows", json=body, timeout=30)
    assert created.status_code == 200, created.text
    wid = created.json()["id"]
    try:
        activated = api.post(f"{n8n.url}/api/v1/workflows/{wid}/activate", timeout=30)
        assert activated.status_code == 200, activated.text
        yield wid, {**body, "nodes": created.json()["nodes"]}
    finally:
        api.post(f"{n8n.url}/api/v1/workflows/{wid}/deactivate", timeout=30)
        for _ in range(60):  # n8n 2 answers 409 while it is still unpublishing
            deleted = api.delete(f"{n8n.url}/api/v1/workflows/{wid}", timeout=30)
            if deleted.status_code != 409:
                break
            time.sleep(0.5)
    assert deleted.status_code == 200, deleted.text


def webhook_lets_in(url: str) -> bool:
    """Whether a call without credentials gets past the webhook's authentication (n8n answers
    403 before running anything when it wants a header it did not get)."""
    try:
        answer = requests.post(url, json={"email": "probe@example.org"}, timeout=20)
    except requests.Timeout:
        return True  # the workflow is running: the call got in
    return answer.status_code not in (401, 403)


def add_header_auth_to_the_draft(n8n: N8n, wid: str, body: dict[str, Any]) -> int:
    """What a user does in the editor: header auth on the webhook, saved, not published (n8n 2
    saves the draft and answers 400 for the publish, as the credential is missing)."""
    for node in body["nodes"]:
        if node["type"] == "n8n-nodes-base.webhook":
            node["parameters"]["authentication"] = "headerAuth"
    answer = requests.put(f"{n8n.url}/api/v1/workflows/{wid}", json=body, timeout=30,
                          headers={"X-N8N-API-KEY": n8n.api_key})
    return answer.status_code


@ON_N8N_2
def test_an_unpublished_auth_fix_is_not_what_runs(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 n8n_server: N8n) -> None:
    """The issue's false negative: the live webhook is still open, and the draft says so."""
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    with active_copy_of_lead_capture(n8n_server, "lead-capture-draft") as (wid, body):
        assert add_header_auth_to_the_draft(n8n_server, wid, body) == 400
        assert webhook_lets_in(f"{n8n_server.url}/webhook/lead-capture-draft")
        _, report = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    mine = [f for f in report["findings"] if f"workflows/{wid}" in f["resource"]["path"]]
    by_rule = {f["rule"]: f for f in mine}
    assert by_rule["AUTH001"]["resource"]["kind"] == "node"  # the live webhook: no auth
    draft = by_rule["DRIFT011"]
    assert draft["resource"] == {"kind": "workflow", "id": wid, "name": body["name"],
                                 "path": f"workflows/{wid}"}
    assert draft["evidence"]["authentication"] == {"Webhook": "none → header"}
    assert draft["severity"] == "high" and draft["category"] == "configuration"


@ON_N8N_1
def test_n8n1_a_saved_change_is_what_runs(pytester: pytest.Pytester,
                                          monkeypatch: pytest.MonkeyPatch,
                                          n8n_server: N8n) -> None:
    """The look-alike on n8n 1: saving is publishing, the webhook is authenticated, no draft."""
    monkeypatch.setenv("NOCODE_N8N_API_KEY", n8n_server.api_key)
    with active_copy_of_lead_capture(n8n_server, "lead-capture-saved") as (wid, body):
        assert add_header_auth_to_the_draft(n8n_server, wid, body) == 200
        _, report = run_json(pytester, f"--nocode-app={n8n_server.uri}")
    rules = {f["rule"] for f in report["findings"] if f"workflows/{wid}" in
             f["resource"]["path"]}
    assert "DRIFT011" not in rules and "AUTH001" not in rules


def test_exports_are_read_and_say_what_they_lack(pytester: pytest.Pytester,
                                                 n8n_server: N8n) -> None:
    """``export:workflow`` files of both majors scan like the live server; n8n 2's carry no
    published nodes, so the report says the drafts were checked (the seeded drafts are what
    was published: nothing to note unless a draft was saved since)."""
    folder = n8n_server.export_workflows(pytester.path / "export")
    exports = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    assert all(("activeVersionId" in wf) == (n8n_server.major >= 2) for wf in exports)
    assert not any("activeVersion" in wf for wf in exports)
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    [app] = report["apps"]
    assert "published versions" not in app.get("notes", {})
    assert {f["category"] for f in report["findings"]} >= {"secrets", "authentication"}


@ON_N8N_2
def test_an_export_of_an_unpublished_draft_says_the_published_version_is_unseen(
        pytester: pytest.Pytester, n8n_server: N8n) -> None:
    with active_copy_of_lead_capture(n8n_server, "lead-capture-export") as (wid, body):
        add_header_auth_to_the_draft(n8n_server, wid, body)
        folder = n8n_server.export_workflows(pytester.path / "export")
    exported = json.loads((folder / f"{wid}.json").read_text())
    assert exported["activeVersionId"] != exported["versionId"]
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    [app] = report["apps"]
    assert body["name"] in app["notes"]["published versions"]
    result.stdout.fnmatch_lines(["  published versions: 1 active workflow(s)*"])
    assert not [f for f in report["findings"] if f["rule"] == "DRIFT011"]


