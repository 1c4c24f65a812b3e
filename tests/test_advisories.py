"""Known advisories (ADV001): range matching, the table's schema, the online lookup, and the
check on n8n and Node-RED apps; and the unauthenticated exposure rules (EXPO001-003)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode import advisories as advisories_module
from pytest_nocode.advisories import (
    SHIPPED_SOURCE,
    AdvisoryData,
    KnownAdvisory,
    configured,
    load_table_text,
    lookup_online,
    shipped_table,
)
from pytest_nocode.checks.test_advisories import test_no_version_with_known_advisory as adv001
from pytest_nocode.checks.test_exposure import (
    test_api_requires_authentication as expo003,
)
from pytest_nocode.checks.test_exposure import (
    test_no_configuration_leak as expo002,
)
from pytest_nocode.checks.test_exposure import (
    test_owner_setup_closed as expo001,
)
from pytest_nocode.errors import InputError
from pytest_nocode.testing import app_from, run_check
from tests.conftest import run_json
from tests.httpfake import Answer, FakeServer

# Written from npm's documentation of the Bulk Advisory endpoint (npm-audit, "Bulk Advisory
# Endpoint"): the answer holds, per package name, the advisory objects whose range matches,
# each with name, url, id, severity, vulnerable_versions and title. Not a recorded answer: the
# registries reachable here answer that endpoint with 405.
DOCUMENTED_BULK_ANSWER: dict[str, Any] = {
    "n8n": [{
        "id": 1234567,
        "name": "n8n",
        "url": "https://github.com/advisories/GHSA-v4pr-fm98-w9pg",
        "title": "n8n form webhooks read arbitrary files",
        "severity": "critical",
        "vulnerable_versions": ">=1.65.0 <1.121.0",
        "cwe": ["CWE-20"],
        "cvss": {"score": 10, "vectorString": None},
    }],
    "node-red-dashboard": [{
        "id": 7654321,
        "name": "node-red-dashboard",
        "url": "https://github.com/advisories/GHSA-xxxx-xxxx-xxxx",  # made up
        "title": "Path traversal in the dashboard's ui_base route",
        "severity": "moderate",
        "vulnerable_versions": "<2.26.2",
    }],
}

FORM = {"id": "f1", "name": "Order form", "type": "n8n-nodes-base.formTrigger",
        "typeVersion": 2, "position": [0, 0], "parameters": {"path": "order"}}
PYTHON = {"id": "p1", "name": "Score", "type": "n8n-nodes-base.code", "typeVersion": 2,
          "position": [0, 0], "parameters": {"language": "python", "pythonCode": "return _input"}}
JS = {**PYTHON, "id": "j1", "parameters": {"language": "javaScript", "jsCode": "return $input"}}


def n8n_live(version: str | None, nodes: Sequence[dict[str, Any]] = (), *, active: bool = True,
             **settings: Any) -> dict[str, Any]:
    """A live n8n snapshot as the fetcher builds it: workflows and the unauthenticated probes."""
    data = {"versionCli": version, **settings} if version else dict(settings)
    return {"workflows": [{"id": "w1", "name": "Intake", "active": active, "nodes": list(nodes),
                           "connections": {}}],
            "unauthenticated": {"settings": data, "responses": [
                {"request": "GET /rest/settings", "kind": "settings", "status": 200,
                 "data": True},
                {"request": "GET /rest/workflows", "kind": "api", "status": 401, "data": False}]}}


def findings(check: Any, app: Any, data: AdvisoryData | None = None) -> list[Any]:
    result = run_check(check, app, fixtures={"nocode_advisories": data or shipped_table()})
    assert result.findings is not None, result.skip_reason
    return result.findings


# -- ranges ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("version", "affected"), [
    ("1.64.9", False), ("1.65.0", True), ("1.94.1", True), ("1.120.99", True),
    ("1.121.0", False), ("2.0.0", False)])
def test_ni8mare_range_edges(version: str, affected: bool) -> None:
    [ni8mare] = [a for a in shipped_table().advisories if "CVE-2026-21858" in a.aliases]
    assert ni8mare.affects(version) is affected


@pytest.mark.parametrize(("version", "affected"), [
    ("1.123.47", True), ("1.123.48", False), ("2.21.7", True), ("2.21.8", False),
    ("2.21.9", False), ("2.22.3", True), ("2.22.4", False), ("2.41.1", False),
    ("2.22.4-rc.1", True)])  # a prerelease before the fix is affected
def test_branch_ranges_of_one_advisory(version: str, affected: bool) -> None:
    [python_escape] = [a for a in shipped_table().advisories if "CVE-2026-49444" in a.aliases]
    assert python_escape.affects(version) is affected


def test_a_word_that_is_not_a_version_is_not_matched() -> None:
    adv = KnownAdvisory("X-1", "n8n", ("<2.0.0",), "s", shipped_table().advisories[0].severity)
    with pytest.raises(ValueError):
        adv.affects("latest")


# -- tables ----------------------------------------------------------------------------------
def test_the_shipped_table_names_the_issue_advisories() -> None:
    ids = {i for a in shipped_table().advisories for i in a.ids}
    assert {"CVE-2026-21858", "CVE-2026-1470", "CVE-2026-21877", "CVE-2026-49444"} <= ids


def test_the_shipped_table_passes_the_schema_it_skips_at_run_time() -> None:
    text = (Path(advisories_module.__file__).parent / "advisories.yaml").read_text("utf-8")
    validated = load_table_text(text, SHIPPED_SOURCE, "offline")  # raises when invalid
    assert validated == shipped_table()


def test_a_bad_table_names_file_line_and_path(tmp_path: Path) -> None:
    (tmp_path / "adv.yaml").write_text(
        "version: 1\nadvisories:\n  - id: X-1\n    package: n8n\n    affected: ['>=1.0 <<2']\n"
        "    summary: broken range\n    severity: high\n  - id: X-2\n    package: n8n\n"
        "    affected: ['<1.0.0']\n    summary: bad severity\n    severity: severe\n"
        "    fixd: [1.0.0]\n")
    with pytest.raises(InputError) as exc:
        configured("adv.yaml", tmp_path)
    text = str(exc.value)
    assert "adv.yaml:5: $.advisories[0].affected[0]: expected npm-range" in text
    assert "adv.yaml:12: $.advisories[1].severity: expected one of" in text
    assert "adv.yaml:13: $.advisories[1]: unknown key 'fixd'" in text


def test_a_valid_user_table_is_used(tmp_path: Path) -> None:
    (tmp_path / "adv.yaml").write_text(
        "version: 1\nadvisories:\n  - id: ACME-1\n    package: n8n\n    affected: ['<3.0.0']\n"
        "    summary: our own finding\n    severity: low\n")
    data = configured("adv.yaml", tmp_path)
    [adv] = data.advisories
    assert (data.mode, adv.source) == ("file", "adv.yaml:3")
    [f] = findings(adv001, app_from("n8n", n8n_live("2.41.1")), data)
    assert f.evidence["advisory"] == "ACME-1" and f.severity.label == "low"


# -- ADV001 on n8n ---------------------------------------------------------------------------
def test_ni8mare_is_critical_with_a_form_in_an_active_workflow() -> None:
    by_id = {f.evidence["advisory"]: f for f in findings(
        adv001, app_from("n8n", n8n_live("1.94.1", [FORM])))}
    ni8mare = by_id["GHSA-v4pr-fm98-w9pg"]
    assert ni8mare.severity.label == "critical"
    assert ni8mare.evidence["fixed"] == ["1.121.0"]
    assert [s["step"] for s in ni8mare.evidence["feature_in_use"]] == ["f1"]
    assert "CVE-2026-21858" in ni8mare.message and "Ni8mare" in ni8mare.message
    assert {"GHSA-v364-rw7m-3263", "CVE-2026-1470", "GHSA-9pq8-m8gp-4p53"} <= set(by_id)


def test_ni8mare_stays_high_when_the_form_is_inactive() -> None:
    by_id = {f.evidence["advisory"]: f for f in findings(
        adv001, app_from("n8n", n8n_live("1.94.1", [FORM], active=False)))}
    assert by_id["GHSA-v4pr-fm98-w9pg"].severity.label == "high"
    assert by_id["GHSA-v4pr-fm98-w9pg"].evidence["feature_in_use"] == []


def test_python_code_raises_the_sandbox_escape_and_javascript_does_not() -> None:
    def escape(nodes: list[dict[str, Any]]) -> Any:
        return next(f for f in findings(adv001, app_from("n8n", n8n_live("2.22.3", nodes)))
                    if f.evidence["advisory"] == "GHSA-9pq8-m8gp-4p53")

    assert escape([PYTHON]).severity.label == "high"
    assert escape([JS]).severity.label == "medium"


def test_a_fixed_version_has_no_finding() -> None:
    assert findings(adv001, app_from("n8n", n8n_live("2.41.1", [FORM, PYTHON]))) == []


def test_an_export_without_a_version_is_not_applicable_never_passed() -> None:
    app = app_from("n8n", {"workflows": n8n_live(None, [FORM])["workflows"]})
    result = run_check(adv001, app, fixtures={"nocode_advisories": shipped_table()})
    assert result.findings is None
    assert result.skip_reason.startswith("not applicable") and "version" in result.skip_reason


# -- ADV001 on Node-RED ----------------------------------------------------------------------
def nodered(dashboard: str) -> dict[str, Any]:
    return {"flows": [{"id": "t1", "type": "tab", "label": "UI"}],
            "settings": {"version": "4.1.8"},
            "nodes": [{"id": "node-red/inject", "module": "node-red", "version": "4.1.8",
                       "types": ["inject"]},
                      {"id": "node-red-dashboard/ui_base", "module": "node-red-dashboard",
                       "version": dashboard, "types": ["ui_base", "ui_button"]}]}


def test_an_old_dashboard_module_is_reported_and_a_fixed_one_is_not() -> None:
    [f] = findings(adv001, app_from("nodered", nodered("2.26.1")))
    assert (f.resource.id, f.evidence["advisory"], f.evidence["installed"]) == (
        "node-red-dashboard", "CVE-2021-3223", "2.26.1")
    assert f.evidence["version_source"] == "GET /nodes"
    assert findings(adv001, app_from("nodered", nodered("2.26.2"))) == []


@pytest.mark.parametrize(("version", "expected"), [("1.2.7", ["CVE-2021-21297"]),
                                                   ("1.2.8", [])])
def test_nodered_version_from_settings_alone_is_enough_to_evaluate(
        version: str, expected: list[str]) -> None:
    app = app_from("nodered", {"flows": [{"id": "t1", "type": "tab"}],
                               "settings": {"version": version}})
    found = findings(adv001, app)
    assert [f.evidence["advisory"] for f in found] == expected
    assert all(f.evidence["version_source"] == "GET /settings" for f in found)
    bare = app_from("nodered", [{"id": "t1", "type": "tab"}])
    assert run_check(adv001, bare, fixtures={
        "nocode_advisories": shipped_table()}).skip_reason.startswith("not applicable")


# -- online ----------------------------------------------------------------------------------
def test_online_answer_of_the_documented_shape_keeps_what_the_table_knows() -> None:
    sent: list[Any] = []

    def post(url: str, payload: Any) -> Any:
        sent.append((url, payload))
        return DOCUMENTED_BULK_ANSWER

    data = lookup_online({"n8n": {"1.94.1"}, "node-red-dashboard": {"2.26.1"}},
                         shipped_table(), post=post, registry="http://registry.invalid")
    assert sent == [("http://registry.invalid/-/npm/v1/security/advisories/bulk",
                     {"n8n": ["1.94.1"], "node-red-dashboard": ["2.26.1"]})]
    by_id = {a.id: a for a in data.advisories}
    ni8mare = by_id["GHSA-v4pr-fm98-w9pg"]
    assert ni8mare.fixed == ("1.121.0",) and ni8mare.feature is not None  # from the table
    assert by_id["GHSA-xxxx-xxxx-xxxx"].severity.label == "medium"  # npm's "moderate"
    [f] = [f for f in findings(adv001, app_from("n8n", n8n_live("1.94.1", [FORM])), data)]
    assert f.severity.label == "critical"


@pytest.mark.parametrize("answer", [["not", "an", "object"], {"n8n": {"id": 1}},
                                    {"n8n": [{"id": 1, "vulnerable_versions": "<<x"}]}])
def test_an_answer_of_another_shape_is_a_failed_lookup(answer: Any) -> None:
    data = lookup_online({"n8n": {"1.94.1"}}, shipped_table(), post=lambda _u, _p: answer,
                         registry="http://registry.invalid")
    assert data.error.startswith("online advisory lookup failed: unexpected answer")
    assert data.advisories == ()


def test_a_failed_lookup_errors_the_rule_and_a_good_one_reports(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    export = tmp_path / "snapshot.json"
    export.write_text(json.dumps(nodered("2.26.1")))
    path = "/-/npm/v1/security/advisories/bulk"
    with FakeServer({("POST", path): Answer(405, {"error": "Method Not Allowed"})}) as server:
        monkeypatch.setenv("npm_config_registry", server.url)
        result, report = run_json(pytester, f"--nocode-app=nodered+file:{export}",
                                  "--nocode-advisories=online", "-k", "ADV001 or advisory")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*known advisories not available*answered 405*"])
    assert not [f for f in report["findings"] if f["rule"] == "ADV001"]
    assert [s for s in server.seen if s.path == path], "asked once"

    with FakeServer({("POST", path): Answer(200, DOCUMENTED_BULK_ANSWER)}) as server:
        monkeypatch.setenv("npm_config_registry", server.url)
        result, report = run_json(pytester, f"--nocode-app=nodered+file:{export}",
                                  "--nocode-app=demo", "--nocode-advisories=online", "-n", "2")
    assert [f["resource"]["id"] for f in report["findings"] if f["rule"] == "ADV001"] == [
        "node-red-dashboard"]
    assert len([s for s in server.seen if s.path == path]) == 1, "one lookup for the run"
    # the demo's flows export lists node-red-contrib-ftp 0.0.6 in its global-config node
    assert json.loads(server.seen[0].body) == {"node-red": ["4.1.8"],
                                               "node-red-contrib-ftp": ["0.0.6"],
                                               "node-red-dashboard": ["2.26.1"]}


def test_off_makes_the_rule_not_applicable(pytester: pytest.Pytester) -> None:
    _, report = run_json(pytester, "--nocode-app=demo", "--nocode-advisories=off")
    reasons = [n["reason"] for n in report["not_applicable"] if "ADV001" in n["check"]
               or "advisories" in n["check"]]
    assert reasons and all("--nocode-advisories=off" in r for r in reasons)


def test_a_bad_table_stops_the_run_with_exit_4(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", adv="version: 2\nadvisories: []\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--nocode-app=demo",
                                "--nocode-advisories=adv.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*adv.yaml:1: $.version: expected 1, got 2*"])


# -- exposure --------------------------------------------------------------------------------
def test_owner_setup_open_is_critical_and_a_set_up_instance_is_quiet() -> None:
    fresh = app_from("n8n", n8n_live("1.94.1", userManagement={"showSetupOnFirstLoad": True}))
    [f] = findings(expo001, fresh)
    assert (f.resource.id, f.severity.label) == ("GET /rest/settings", "critical")
    done = app_from("n8n", n8n_live("1.94.1", userManagement={"showSetupOnFirstLoad": False}))
    assert findings(expo001, done) == []


def test_settings_that_reveal_the_deployment_are_reported() -> None:
    [f] = findings(expo002, app_from("n8n", n8n_live("1.94.1", instanceId="abc",
                                                     defaultLocale="en")))
    assert f.evidence["revealed"] == ["instanceId", "versionCli"]
    assert f.evidence["version"] == "1.94.1"
    assert findings(expo002, app_from("n8n", n8n_live(None, defaultLocale="en"))) == []


def test_an_api_that_refuses_strangers_is_quiet_and_one_that_answers_is_not() -> None:
    raw = n8n_live("2.41.1")
    assert findings(expo003, app_from("n8n", raw)) == []  # GET /rest/workflows: 401
    raw["unauthenticated"]["responses"][1].update(status=200, data=True)
    [f] = findings(expo003, app_from("n8n", raw))
    assert f.resource.id == "GET /rest/workflows"


def test_the_release_in_sentry_js_gives_the_version_where_settings_do_not() -> None:
    raw = n8n_live(None, [FORM], settingsMode="public")
    raw["unauthenticated"]["responses"].append(
        {"request": "GET /rest/sentry.js", "kind": "version", "status": 200, "data": True,
         "release": "1.94.1"})
    app = app_from("n8n", raw)
    assert "GHSA-v4pr-fm98-w9pg" in {f.evidence["advisory"] for f in findings(adv001, app)}
    [leak] = findings(expo002, app)
    assert (leak.resource.id, leak.evidence["version"]) == ("GET /rest/sentry.js", "1.94.1")
    assert run_check(adv001, app_from("n8n", n8n_live(None, settingsMode="public")), fixtures={
        "nocode_advisories": shipped_table()}).skip_reason.startswith("not applicable")


def test_exposure_rules_are_not_applicable_to_an_export() -> None:
    export = app_from("n8n", {"workflows": n8n_live(None)["workflows"]})
    assert run_check(expo001, export).skip_reason.startswith("not applicable")


def test_a_rest_api_that_answers_strangers_is_reported(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault no real n8n shows on demand: its REST API handing out workflows without a
    session (a proxy injecting one). The probes go out before the key is attached."""
    workflows = {"data": [{"id": "w1", "name": "Intake", "nodes": [], "connections": {}}]}
    routes = {("GET", "/rest/settings"): Answer(200, {"data": {"versionCli": "2.41.1"}}),
              ("GET", "/rest/workflows"): Answer(200, workflows),
              ("GET", "/rest/credentials"): Answer(401, {"message": "Unauthorized"}),
              ("GET", "/api/v1/workflows?limit=1"): Answer(401, {"message": "key required"}),
              ("GET", "/api/v1/workflows?limit=250"): Answer(200, {**workflows,
                                                                   "nextCursor": None})}
    with FakeServer(routes) as server:
        monkeypatch.setenv("NOCODE_N8N_API_KEY", "n8n-key-0123456789abcdef")
        _, report = run_json(pytester, f"--nocode-app=n8n+{server.url}",
                             "-k", "EXPO003 or api_requires")
    [f] = [f for f in report["findings"] if f["rule"] == "EXPO003"]
    assert f["resource"]["id"] == "GET /rest/workflows" and f["severity"] == "critical"
    probes = [s for s in server.seen if s.path in ("/rest/settings", "/rest/workflows")]
    assert probes and all("x-n8n-api-key" not in {k.lower() for k in s.headers}
                          for s in probes)


def test_the_version_is_read_from_both_majors_pages() -> None:
    """1.x writes the Sentry release as JSON in /rest/sentry.js; 2.x puts the same JSON,
    base64-encoded, in a meta tag of the editor page (seen on n8n 2.41.1)."""
    import base64

    from pytest_nocode.platforms.n8n_live import release_in

    sentry_js = 'window.sentry = {"dsn":"","environment":"development","release":"n8n@1.94.1"};'
    config = base64.b64encode(b'{"dsn":"","environment":"production",'
                              b'"release":"n8n@2.41.1"}').decode()
    page = (f'<html><head><meta name="n8n:config:rest-endpoint" content="cmVzdA==">'
            f'<meta name="n8n:config:sentry" content="{config}"></head></html>')
    assert release_in(sentry_js) == "1.94.1"
    assert release_in(page) == "2.41.1"
    assert release_in("<html><head><title>n8n</title></head></html>") is None
    assert release_in('<meta name="n8n:config:sentry" content="not=base64!">') is None
