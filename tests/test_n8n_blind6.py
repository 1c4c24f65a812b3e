"""Patterns of the sixth blind set of real n8n exports, distilled in our own words: a
switched-off entry point's data reaching any step INJ001 asks about (a sheet cell, a request's
path or JSON body), not only pages and whole URLs; a workflow an outside event starts (a bot's
messages, a database change) as exposed as one with a webhook. Each fires on the bad shape and
stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one
from tests.rules import ENC002, INJ001, INJ002, LOG003
from tests.test_checks_n8n import BASE, app_of, chain, n8n_node, webhook, workflow


# -- 1. a switched-off webhook's data reaching any caller sink ----------------------------------
def _sheet(value: str) -> dict[str, Any]:
    return n8n_node(
        "Log visit",
        "googleSheets",
        {
            "operation": "append",
            "documentId": {"__rl": True, "value": "1ClinicSheet"},
            "sheetName": {"__rl": True, "value": "gid=0"},
            "columns": {"mappingMode": "defineBelow", "value": {"Patient": value}},
            "options": {},
        },
        version=4.5,
    )


def _request(url: str, body: str = "") -> dict[str, Any]:
    """A POST to the clinic's ERP with its API key (a path steered there reaches another
    endpoint with that key)."""
    params: dict[str, Any] = {"method": "POST", "url": url, "options": {},
                              "authentication": "genericCredentialType",
                              "genericAuthType": "httpHeaderAuth"}
    if body:
        params |= {"sendBody": True, "specifyBody": "json", "jsonBody": body}
    return n8n_node("Update order", "httpRequest", params, version=4.2,
                    credentials={"httpHeaderAuth": ("Ek2vB8nM4pQ6wZ1t", "ERP API key")})


SINKS = {
    "formula": _sheet("={{ $json.body.name }}"),
    "url path": _request("=https://erp.example.com/api/orders/{{ $json.query.order }}"),
    "jsonBody": _request(
        "https://erp.example.com/api/tasks", '={"note": "{{ $json.body.note }}", "kind": "review"}'
    ),
}


def _intake(
    sink: dict[str, Any], *, active: bool, first: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An open webhook (or ``first``) feeding ``sink``; saved active or not."""
    entry = first or webhook("Intake", path="intake", method="POST")
    return workflow("Intake", [entry, sink], chain(entry["name"], sink["name"]), active=active)


@pytest.mark.parametrize("kind", sorted(SINKS))
def test_a_switched_off_webhook_reaching_any_caller_sink_is_inj002_once_activated(
    kind: str,
) -> None:
    """The same sink INJ001 reports for an active workflow is INJ002's when the workflow is
    saved inactive, low, named as reachable once activated, as AUTH001 names the door."""
    sink = SINKS[kind]
    active = one(findings_of(INJ001, app_of(_intake(sink, active=True))))
    assert active.resource.id == sink["id"]
    off_app = app_of(_intake(sink, active=False))
    assert findings_of(INJ001, off_app) == []
    f = one(findings_of(INJ002, off_app))
    assert f.resource.id == sink["id"]
    assert kind in (f.evidence["sink"], f.evidence["parameter"])
    assert f.severity == Severity.LOW
    assert f.message.endswith("(not active), reachable once activated")


@pytest.mark.parametrize("kind", sorted(SINKS))
def test_the_same_sinks_fed_from_a_table_are_ordinary_data(kind: str) -> None:
    """A sheet cell, a path or a JSON body built from rows a schedule reads is no caller's
    text: a report, not an injection one switch away."""
    clock = n8n_node("Every hour", "scheduleTrigger", {"rule": {"interval": [{}]}}, version=1.2)
    rows = n8n_node(
        "Read rows",
        "postgres",
        {"operation": "select", "schema": "public", "table": "orders"},
        version=2.5,
    )
    sink = SINKS[kind]
    app = app_of(
        workflow(
            "Sync",
            [clock, rows, sink],
            chain("Every hour", "Read rows", sink["name"]),
            active=False,
        )
    )
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_a_switched_off_form_behind_the_n8n_login_is_the_owners() -> None:
    """Only the instance's own users write to a form behind the n8n login: no injection."""
    form = n8n_node(
        "Intake",
        "formTrigger",
        {
            "formTitle": "Note",
            "authentication": "n8nUserAuth",
            "formFields": {"values": [{"fieldLabel": "name"}]},
        },
        version=2.2,
        webhook=True,
    )
    app = app_of(_intake(_sheet("={{ $json.name }}"), active=False, first=form))
    assert findings_of(INJ002, app) == []


# -- 2. a workflow an outside event starts is exposed for LOG003 --------------------------------
def _started_by(trigger: dict[str, Any], *, error_workflow: str = "") -> dict[str, Any]:
    note = n8n_node("Notify", "slack", {"text": "={{ $json.text }}"}, version=2.2)
    settings = {"errorWorkflow": error_workflow} if error_workflow else {}
    return workflow(
        "Events", [trigger, note], chain(trigger["name"], "Notify"), active=True, **settings
    )


EVENT_TRIGGERS = {
    "whatsAppTrigger": {"updates": ["messages"]},
    "postgresTrigger": {"tableName": {"__rl": True, "value": "applicants"}},
    "googleDriveTrigger": {"event": "fileCreated"},
}


@pytest.mark.parametrize("ntype", sorted(EVENT_TRIGGERS))
def test_log003_an_active_workflow_an_outside_event_starts_needs_an_error_workflow(
    ntype: str,
) -> None:
    trigger = n8n_node("On event", ntype, EVENT_TRIGGERS[ntype], version=1)
    f = one(findings_of(LOG003, app_of(_started_by(trigger))))
    assert f.resource.kind == "workflow"
    assert ntype in f.message and f.evidence["triggers"] == [BASE + ntype]
    assert findings_of(LOG003, app_of(_started_by(trigger, error_workflow="errAlerts1"))) == []


@pytest.mark.parametrize(
    "trigger",
    [
        n8n_node("On event", "scheduleTrigger", {"rule": {"interval": [{}]}}, version=1.2),
        n8n_node("On event", "manualTrigger", {}, version=1),
        n8n_node("On event", "executeWorkflowTrigger", {}, version=1),
        n8n_node("On event", "whatsAppTrigger", {"updates": ["messages"]}, disabled=True),
    ],
    ids=["clock", "manual", "called", "disabled"],
)
def test_log003_a_clock_a_manual_run_a_caller_or_a_disabled_trigger_is_not_exposed(
    trigger: dict[str, Any],
) -> None:
    assert findings_of(LOG003, app_of(_started_by(trigger))) == []


# -- 3. every n8n option that turns certificate checks off --------------------------------------


def _feed(options: dict[str, Any]) -> dict[str, Any]:
    clock = n8n_node("Every morning", "scheduleTrigger", {"rule": {"interval": [{}]}})
    feed = n8n_node(
        "Read news", "rssFeedRead", {"url": "https://news.example.org/feed", "options": options}
    )
    return workflow("News", [clock, feed], chain("Every morning", "Read news"))


def test_enc002_a_feed_read_ignoring_ssl_accepts_any_certificate() -> None:
    f = one(findings_of(ENC002, app_of(_feed({"ignoreSSL": True}))))
    assert f.evidence["host"] == "news.example.org"
    assert findings_of(ENC002, app_of(_feed({}))) == []
    assert findings_of(ENC002, app_of(_feed({"ignoreSSL": False}))) == []
