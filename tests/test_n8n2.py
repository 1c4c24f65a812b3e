"""n8n 2: the checks judge what runs (an active workflow's published version, an inactive
one's draft), DRIFT011 names what an unpublished draft changes, exports that carry only the
draft say so in the report, and Execute Command findings say n8n 2 excludes the node.

Workflows are shaped as n8n 2.41's public API gives them (``versionId``, ``activeVersionId``,
``activeVersion: {versionId, workflowId, nodes, connections, authors, …}``) and as its
``export:workflow`` writes them (``activeVersionId`` without ``activeVersion``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.checks import test_authentication as authentication
from pytest_nocode.checks import test_drift as drift
from pytest_nocode.checks import test_injection as injection
from pytest_nocode.errors import SchemaError
from pytest_nocode.model import DraftChange
from tests.checkrun import findings_of, one, skip_reason
from tests.conftest import run_json
from tests.test_n8n_adapter import WEBHOOK, app_of, load, node, wire, write

PUBLISHED_ID = "c673e839-89ce-44c7-b722-d04da6577dd9"
DRAFT_ID = "f2ebf6bf-993c-4153-ad92-834e18ec2a5a"
HTTP = "n8n-nodes-base.httpRequest"


def lead_capture(webhook_auth: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"httpMethod": "POST", "path": "lead-capture"}
    if webhook_auth is not None:
        params["authentication"] = webhook_auth
    return [node("wh-1", "Webhook", WEBHOOK, **params),
            node("http-1", "Push lead", HTTP, method="POST",
                 url="https://crm.acme.example/leads",  # version 1: the UI body list
                 bodyParametersUi={"parameter": [
                     {"name": "email", "value": "={{ $json.body.email }}"}]})]


def versioned(draft: list[dict[str, Any]], published: list[dict[str, Any]] | None,
              active: bool = True, draft_wiring: dict[str, Any] | None = None,
              published_wiring: dict[str, Any] | None = None) -> dict[str, Any]:
    """A workflow as n8n 2's API gives it: the draft on top, the published version inside."""
    wiring = {"Webhook": wire("Push lead")}
    wf: dict[str, Any] = {
        "id": "jzeUkLbYA2bOzFrW", "name": "Lead capture webhook", "active": active,
        "isArchived": False, "nodes": draft, "connections": draft_wiring or wiring,
        "settings": {"executionOrder": "v1"}, "versionId": DRAFT_ID,
        "activeVersionId": PUBLISHED_ID if published is not None else None,
        "activeVersion": None}
    if published is not None:
        wf["activeVersion"] = {
            "versionId": PUBLISHED_ID, "workflowId": wf["id"], "nodes": published,
            "connections": published_wiring or wiring, "authors": "A. Author",
            "autosaved": False, "name": None, "description": None}
    return wf


def exported(wf: dict[str, Any]) -> dict[str, Any]:
    """The same workflow as ``n8n export:workflow`` writes it: no published nodes."""
    out = {k: v for k, v in wf.items() if k != "activeVersion"}
    out["versionCounter"] = 2
    return out


# -- what is checked ---------------------------------------------------------------------------
def test_active_workflow_is_checked_on_its_published_version_not_the_draft() -> None:
    """The issue's false negative: header auth added in the draft, not published."""
    app = app_of(versioned(lead_capture("headerAuth"), lead_capture()))
    [workflow] = app.workflows
    assert workflow.version == "published"
    [entry] = app.entry_points
    assert entry.authentication == "none" and entry.active is True
    assert app.step("wh-1") is not None and "authentication" not in app.step("wh-1").params
    finding = one(findings_of(authentication.test_entry_points_require_authentication, app))
    assert finding.resource.id == "wh-1"


def test_published_fix_is_what_runs() -> None:
    """The look-alike: once published, the authenticated webhook is what the checks see."""
    app = app_of(versioned(lead_capture("headerAuth"), lead_capture("headerAuth")))
    assert app.entry_points[0].authentication == "header"
    assert findings_of(authentication.test_entry_points_require_authentication, app) == []


def test_inactive_workflow_is_checked_on_its_draft() -> None:
    app = app_of(versioned(lead_capture("headerAuth"), None, active=False))
    [workflow] = app.workflows
    assert workflow.version == "draft" and workflow.draft_changes == ()
    assert app.entry_points[0].authentication == "header"
    assert app.entry_points[0].active is False
    assert dict(app.notes) == {}


def test_n8n1_workflows_have_no_versions() -> None:
    wf = versioned(lead_capture(), None)
    for key in ("activeVersionId", "activeVersion"):
        del wf[key]
    app = app_of(wf)
    assert app.workflows[0].version == "" and app.workflows[0].draft_changes == ()
    assert "no drafts" in skip_reason(drift.test_drafts_match_what_runs, app)


# -- what differs ------------------------------------------------------------------------------
def test_draft_changes_name_steps_added_removed_changed_and_authentication() -> None:
    published = [*lead_capture(), node("set-1", "Tidy", "n8n-nodes-base.set")]
    draft = copy.deepcopy(lead_capture("basicAuth"))
    draft[1]["name"] = "Push lead to CRM"  # renamed and re-pointed: the same node (by id)
    draft[1]["parameters"]["url"] = "http://crm.acme.example/leads"
    draft.append(node("code-1", "Debug", "n8n-nodes-base.code", jsCode="return items"))
    wf = versioned(draft, published,
                   draft_wiring={"Webhook": wire("Push lead to CRM"),
                                 "Push lead to CRM": wire("Debug")},
                   published_wiring={"Webhook": wire("Push lead"), "Push lead": wire("Tidy")})
    [workflow] = app_of(wf).workflows
    assert set(workflow.draft_changes) == {
        DraftChange("added", "Debug", "n8n-nodes-base.code"),
        DraftChange("removed", "Tidy", "n8n-nodes-base.set"),
        DraftChange("changed", "Push lead to CRM", "name, parameters, wiring"),
        DraftChange("authentication", "Webhook", "none → basic"),
    }


def test_a_connection_index_of_another_type_still_compares_draft_and_published() -> None:
    """Found by fuzzing real exports: an expression where n8n writes the input number."""
    odd = {"Webhook": {"main": [[{"node": "Push lead", "type": "main",
                                  "index": "{{ $json.x }}"}]]}}
    app = app_of(versioned(lead_capture("headerAuth"), lead_capture(), published_wiring=odd))
    [workflow] = app.workflows
    assert ("authentication", "Webhook") in [(c.change, c.step) for c in workflow.draft_changes]


def test_moving_nodes_on_the_canvas_is_no_change() -> None:
    draft = copy.deepcopy(lead_capture())
    for n in draft:
        n["position"] = [400, 120]
        n["notes"] = "moved"
    [workflow] = app_of(versioned(draft, lead_capture())).workflows
    assert workflow.draft_changes == ()


def test_drift011_reports_an_unpublished_fix_with_what_differs() -> None:
    app = app_of(versioned(lead_capture("headerAuth"), lead_capture()))
    finding = one(findings_of(drift.test_drafts_match_what_runs, app))
    assert finding.resource.kind == "workflow" and finding.resource.id == "jzeUkLbYA2bOzFrW"
    assert finding.severity.name.lower() == "high"  # authentication changed
    assert "authentication of 'Webhook' none → header" in finding.message
    assert finding.evidence == {"checked": "the published version",
                                "authentication": {"Webhook": "none → header"}}
    assert finding.rule.category == "configuration"


def test_drift011_lists_steps_and_keeps_the_rule_severity_without_auth_changes() -> None:
    draft = [*lead_capture(), node("code-1", "Debug", "n8n-nodes-base.code")]
    finding = one(findings_of(drift.test_drafts_match_what_runs,
                              app_of(versioned(draft, lead_capture()))))
    assert finding.severity.name.lower() == "medium"
    assert finding.evidence["steps added"] == ["Debug (n8n-nodes-base.code)"]
    assert "1 step(s) added" in finding.message


def test_drift011_is_quiet_when_the_draft_is_what_was_published() -> None:
    app = app_of(versioned(lead_capture(), lead_capture()),
                 versioned(lead_capture(), None, active=False) | {"id": "other"})
    assert findings_of(drift.test_drafts_match_what_runs, app) == []


# -- exports: activeVersionId without the published nodes --------------------------------------
def test_export_without_published_nodes_checks_the_draft_and_notes_it(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "lead.json", exported(versioned(lead_capture("headerAuth"),
                                                   lead_capture())))
    app = load(folder)
    [workflow] = app.workflows
    assert workflow.version == "draft" and workflow.active is True
    note = app.notes["published versions"]
    assert "'Lead capture webhook'" in note and "activeVersionId" in note
    assert "draft" in note
    assert "no published version" in skip_reason(drift.test_drafts_match_what_runs, app)


def test_export_whose_draft_is_the_published_version_needs_no_note(tmp_path: Path) -> None:
    wf = exported(versioned(lead_capture(), lead_capture()))
    wf["versionId"] = PUBLISHED_ID  # nothing saved since publishing
    app = load(write(tmp_path / "lead.json", wf))
    assert app.workflows[0].version == "published"
    assert dict(app.notes) == {}
    assert findings_of(drift.test_drafts_match_what_runs, app) == []


def test_report_notes_the_unseen_published_version(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "export"
    folder.mkdir()
    write(folder / "lead.json", exported(versioned(lead_capture(), lead_capture())))
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    [app] = report["apps"]
    assert "Lead capture webhook" in app["notes"]["published versions"]
    result.stdout.fnmatch_lines(["app n8n-export (n8n, file, snapshot *)",
                                 "  published versions: 1 active workflow(s) name a published*"])


@pytest.mark.parametrize(("where", "broken"), [
    ("$.activeVersion", "a published version"),
    ("$.activeVersion.nodes[0].type", 7),
])
def test_malformed_published_version_names_its_json_path(tmp_path: Path, where: str,
                                                          broken: Any) -> None:
    wf = versioned(lead_capture(), lead_capture())
    if where == "$.activeVersion":
        wf["activeVersion"] = broken
    else:
        wf["activeVersion"]["nodes"][0]["type"] = broken
    path = write(tmp_path / "wf.json", wf)
    with pytest.raises(SchemaError) as error:
        load(path)
    assert str(error.value).startswith(f"{path}: {where}: expected")


# -- Execute Command is excluded by default in n8n 2 -------------------------------------------
def ops_runbook(n8n2: bool, active: bool) -> dict[str, Any]:
    nodes = [node("wh-9", "Ping request", WEBHOOK, path="ping", authentication="headerAuth"),
             node("cmd-9", "Ping host", "n8n-nodes-base.executeCommand",
                  command="=ping -c 1 {{ $json.query.host }}")]
    wf: dict[str, Any] = {"id": "ops", "name": "Ops runbook", "active": active,
                          "nodes": nodes, "connections": {"Ping request": wire("Ping host")}}
    if n8n2:
        wf |= {"versionId": PUBLISHED_ID, "activeVersionId": PUBLISHED_ID if active else None,
               "activeVersion": {"versionId": PUBLISHED_ID, "nodes": copy.deepcopy(nodes),
                                 "connections": wf["connections"]} if active else None}
    return wf


@pytest.mark.parametrize(("active", "check", "says"), [
    (False, injection.test_sinks_do_not_interpolate_data, "cannot be activated until"),
    (True, injection.test_untrusted_input_does_not_reach_sinks, "so this instance allows"),
])
def test_execute_command_findings_say_n8n2_excludes_the_node(active: bool, check: Any,
                                                             says: str) -> None:
    finding = one(findings_of(check, app_of(ops_runbook(n8n2=True, active=active))))
    context = finding.evidence["context"]
    assert "n8n 2 excludes executeCommand by default (NODES_EXCLUDE)" in context
    assert says in context


def test_execute_command_findings_on_n8n1_carry_no_n8n2_context() -> None:
    finding = one(findings_of(injection.test_untrusted_input_does_not_reach_sinks,
                              app_of(ops_runbook(n8n2=False, active=True))))
    assert "context" not in finding.evidence
    assert json.dumps(finding.evidence).count("NODES_EXCLUDE") == 0
