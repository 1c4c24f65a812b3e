"""What an open n8n entry point lets a stranger do, judged through the workflows it calls:
an MCP server whose one tool is a workflow of the same app answering with a fixed greeting
opens nothing; the same tool calling a workflow that runs a command, one the export does not
hold, or one whose wiring is lost around a command, does. Distilled from real instance
backups, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import AUTH001
from tests.test_checks_n8n import (
    app_of,
    chain,
    code,
    execute_command,
    n8n_node,
    wid,
    workflow,
)

LC = "@n8n/n8n-nodes-langchain."


def _mcp_server(called: str) -> dict[str, Any]:
    """An MCP server trigger with one tool: a call of the workflow named ``called``."""
    trigger = n8n_node("MCP Server Trigger", LC + "mcpTrigger", {"path": "tools-7f3a"},
                       version=2, webhook=True)
    tool = n8n_node("Greeting tool", LC + "toolWorkflow", {
        "description": "Say hello", "workflowId": {"__rl": True, "mode": "list",
                                                   "value": wid(called)}}, version=2.2)
    connections = {"Greeting tool": {"ai_tool": [[{"node": "MCP Server Trigger",
                                                   "type": "ai_tool", "index": 0}]]}}
    return workflow("MCP server", [trigger, tool], connections)


def _called(name: str, *after: dict[str, Any], wired: bool = True) -> dict[str, Any]:
    start = n8n_node("When called", "executeWorkflowTrigger", {"inputSource": "passthrough"})
    nodes = [start, *after]
    return workflow(name, nodes, chain(*(n["name"] for n in nodes)) if wired else {})


def _greeting() -> dict[str, Any]:
    return n8n_node("Set greeting", "set", {"assignments": {"assignments": [
        {"id": "a1", "name": "message", "value": "Hello from our MCP server",
         "type": "string"}]}, "options": {}}, version=3.4)


def test_auth001_mcp_tool_calling_a_workflow_that_answers_a_constant_is_quiet() -> None:
    """The walk goes on into the called workflow: a fixed greeting is all a caller gets."""
    app = app_of(_mcp_server("Greeting"), _called("Greeting", _greeting()))
    assert findings_of(AUTH001, app) == []


@pytest.mark.parametrize("callee", [
    _called("Greeting", _greeting(), execute_command("Run", "=/opt/run {{ $json.query }}")),
    _called("Greeting", _greeting(), execute_command("Run", "=/opt/run {{ $json.query }}"),
            wired=False),
    _called("Another workflow", _greeting()),
], ids=["callee-runs-a-command", "callee-wiring-lost", "callee-not-in-export"])
def test_auth001_mcp_tool_calling_a_workflow_that_may_act_fires(callee: dict[str, Any]) -> None:
    f = one(findings_of(AUTH001, app_of(_mcp_server("Greeting"), callee)))
    assert f.evidence["effect"] == "acts"


# -- code that only computes ---------------------------------------------------------------
_TRIAGE = ("const body = $json.body ?? {};\n"
           "if (!body.incident_id) { throw new Error('incident_id is required'); }\n"
           "const severity = String(body.severity || 'SEV3').trim().toUpperCase();\n"
           "const owners = { 'payments-api': 'payments-oncall@example.com' };\n"
           "return [{ json: { incident_id: body.incident_id, severity,\n"
           "  owner: owners[body.service] ?? 'ops@example.com',\n"
           "  received_at: new Date().toISOString(), steps: [1, 2].map(n => n * 2) } }];")


def _triage_hook(js: str) -> dict[str, Any]:
    hook = n8n_node("Incident webhook", "webhook", {
        "httpMethod": "POST", "path": "incidents", "responseMode": "lastNode", "options": {}},
        version=2, webhook=True)
    return workflow("Incident triage", [hook, code("Triage", js)],
                    chain("Incident webhook", "Triage"))


def test_auth001_webhook_whose_code_only_computes_an_answer_is_quiet() -> None:
    """A demo's Code steps that check and reshape the caller's own request and answer it
    (placeholders for the real calls) open nothing."""
    app = app_of(_triage_hook(_TRIAGE))
    assert findings_of(AUTH001, app) == []
    assert app.entry_points[0].effect == "answers"


@pytest.mark.parametrize("reach", [
    "const r = await this.helpers.httpRequest({ url: 'https://pager.example.com/page' });",
    "const { execSync } = require('child_process'); execSync('true');",
    "const r = await fetch('https://pager.example.com/page');",
    "const kept = $getWorkflowStaticData('global'); kept.last = $json.body;",
    "const key = $env.PAGER_KEY;",
    "const run = new Function('return 1'); run();",
], ids=["helpers", "require", "fetch", "static-data", "env", "function-constructor"])
def test_auth001_webhook_whose_code_reaches_out_fires(reach: str) -> None:
    f = one(findings_of(AUTH001, app_of(_triage_hook(f"{reach}\n{_TRIAGE}"))))
    assert f.evidence["effect"] in ("acts", "serves")


# -- a collection's stand-ins ----------------------------------------------------------------
def _rated_applications(note: str | None) -> dict[str, Any]:
    """A job-application form whose CV a model rates (a collection replaced the chain by a
    No Operation node keeping its parameters), kept as a sheet row."""
    form = n8n_node("Application form", "formTrigger", {"formTitle": "Apply", "formFields": {
        "values": [{"fieldLabel": "E-mail", "requiredField": True}]}, "options": {}},
        version=2.2, webhook=True)
    rate = n8n_node("Rate the CV", "noOp", {"text": "={{ $json.text }}", "messages": {
        "messageValues": [{"message": "Rate this CV from 1 to 10."}]}})
    if note is not None:
        rate["notes"] = note
    row = n8n_node("Candidates", "googleSheets", {
        "operation": "append", "documentId": {"__rl": True, "mode": "id", "value": "1CvS"},
        "sheetName": {"__rl": True, "mode": "name", "value": "Candidates"},
        "columns": {"mappingMode": "autoMapInputData", "value": {}}}, version=4.5)
    return workflow("Applications", [form, rate, row],
                    chain("Application form", "Rate the CV", "Candidates"))


def test_auth001_stand_in_named_by_its_note_is_judged_as_that_node() -> None:
    note = "This chainLlm node performs automated tasks as part of the workflow."
    app = app_of(_rated_applications(note))
    assert findings_of(AUTH001, app) == []
    assert app.entry_points[0].effect == "records"


def test_auth001_stand_in_without_a_note_is_a_node_the_export_does_not_show() -> None:
    f = one(findings_of(AUTH001, app_of(_rated_applications(None))))
    assert "stand-in" in f.evidence["effect_reason"]
    agent = "This agent node performs automated tasks as part of the workflow."
    assert one(findings_of(AUTH001, app_of(_rated_applications(agent))))


# -- an entry point wired to nothing ----------------------------------------------------------
def _unwired_hook(connections: dict[str, Any]) -> dict[str, Any]:
    """A webhook left unconnected beside a nightly job that runs a command."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "contracts",
                                           "options": {}}, version=2, webhook=True)
    nightly = n8n_node("Schedule Trigger", "scheduleTrigger", {"rule": {"interval": [{}]}},
                       version=1.2)
    return workflow("Contracts", [hook, nightly, execute_command("Archive", "tar czf a b")],
                    connections)


def test_auth001_entry_wired_to_nothing_in_a_wired_workflow_runs_nothing() -> None:
    app = app_of(_unwired_hook(chain("Schedule Trigger", "Archive")))
    assert findings_of(AUTH001, app) == []
    assert app.entry_points[0].effect == "nothing"


def test_auth001_entry_of_a_workflow_with_no_wiring_at_all_is_judged_by_every_step() -> None:
    """No connection at all: the export lost them, so the command may follow the call."""
    f = one(findings_of(AUTH001, app_of(_unwired_hook({}))))
    assert f.evidence["effect"] == "acts"
