"""Agents steered by text the export does not show arriving (INJ003 a step lower), and the
actions that are not one. Distilled from real n8n exports, in our own words:

- a sub-workflow a messaging bot hands each message to (Execute Workflow Trigger) whose agent
  books and cancels appointments, exported without the bot's workflow;
- a public chat or form in a workflow switched off today, one activation from being open;
- a mail to the owner's own fixed inbox, an approval request that waits for a person, an image
  a model edits: what a model wrote reaching them changes nothing anyone else sees;
- an UPDATE statement that sets fixed columns stores what it binds, not the item it is given;
- a workflow the instance exported with no connections at all runs nothing past its trigger;
- a request sent to the host a switched-off webhook names is SSRF once activated (INJ002);
  one to a host written out or set in the environment is not;
- a Google Drive download hands on the item it was given (the file beside it as binary);
- a tool whose name says it calculates or estimates (a POST to a pricing service) only reads.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import CALLER_INPUT, FETCH_PATH, dataflow
from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one
from tests.rules import INJ001, INJ002, INJ003
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    postgres,
    schedule,
    uid,
    webhook,
    wid,
    workflow,
)

LC = "@n8n/n8n-nodes-langchain."


def _called_trigger() -> dict[str, Any]:
    return n8n_node("From the bot", "executeWorkflowTrigger", {"inputSource": "passthrough"},
                    version=1.1)


def _cancel_tool() -> dict[str, Any]:
    return n8n_node("Cancel appointment", "googleCalendarTool",
                    {"operation": "delete", "calendar": {"__rl": True, "value": "clinic"},
                     "eventId": "={{ $fromAI('event') }}"}, version=1.3)


def _agent_workflow(trigger: dict[str, Any], *tools: dict[str, Any],
                    active: bool = True, name: str = "Scheduling agent") -> dict[str, Any]:
    """``trigger`` → an agent prompted with the message text, with a chat model and ``tools``."""
    agent = n8n_node("Scheduler", LC + "agent",
                     {"promptType": "define", "text": "={{ $json.message }}", "options": {}},
                     version=1.7)
    model = n8n_node("Model", LC + "lmChatOpenAi", {"model": "gpt-4o-mini"})
    connections: dict[str, Any] = {
        trigger["name"]: {"main": [[{"node": "Scheduler", "type": "main", "index": 0}]]},
        "Model": {"ai_languageModel": [[{"node": "Scheduler", "type": "ai_languageModel",
                                         "index": 0}]]}}
    for tool in tools:
        connections[tool["name"]] = {"ai_tool": [[{"node": "Scheduler", "type": "ai_tool",
                                                   "index": 0}]]}
    return workflow(name, [trigger, agent, model, *tools], connections, active=active)


# -- a called workflow whose caller is not in the export ----------------------------------------
def test_inj003_agent_of_a_called_workflow_with_no_caller_shown_is_reported_lower() -> None:
    app = app_of(_agent_workflow(_called_trigger(), _cancel_tool()))
    f = one(findings_of(INJ003, app))
    assert f.resource.id == uid("Scheduler")
    assert f.evidence["source"] == CALLER_INPUT
    assert f.evidence["action_steps"] == [uid("Cancel appointment")]
    assert f.severity == Severity.MEDIUM
    assert f.message.startswith("text a calling workflow passes in (no caller in this export)")


def test_inj003_agent_of_a_called_workflow_with_read_only_tools_is_quiet() -> None:
    lookup = n8n_node("Free slots", "googleCalendarTool",
                      {"resource": "calendar", "calendar": {"__rl": True, "value": "clinic"}},
                      version=1.3)
    assert findings_of(INJ003, app_of(_agent_workflow(_called_trigger(), lookup))) == []


def _caller(trigger: dict[str, Any], called: str) -> dict[str, Any]:
    call = n8n_node("Hand to agent", "executeWorkflow",
                    {"source": "database", "workflowId": {"__rl": True, "value": wid(called),
                                                          "mode": "id"}}, version=1.2)
    return workflow("Bot intake", [trigger, call], chain(trigger["name"], "Hand to agent"))


def test_inj003_the_caller_in_the_app_decides_who_writes_the_text() -> None:
    """With the caller shown, its own entry point says who writes: a schedule is the owner."""
    called = _agent_workflow(_called_trigger(), _cancel_tool())
    assert findings_of(INJ003, app_of(called, _caller(schedule(), called["name"]))) == []
    f = one(findings_of(INJ003, app_of(called, _caller(webhook(method="POST"),
                                                       called["name"]))))
    assert f.severity == Severity.HIGH
    assert f.evidence["source"].startswith("webhook")


def test_inj003_steps_after_a_model_in_a_called_workflow_need_the_caller_shown() -> None:
    """Without the caller, only an agent's own tool counts: a record updated after a model
    acts on values followed through data the export does not show."""
    summary = n8n_node("Summarise", LC + "chainLlm",
                       {"promptType": "define", "text": "={{ $json.message }}"}, version=1.5)
    update = n8n_node("Save summary", "airtable", {"operation": "update", "columns": {
        "mappingMode": "defineBelow", "value": {"Summary": "={{ $json.text }}"}}}, version=2.1)
    wf = workflow("Summaries", [_called_trigger(), summary, update],
                  chain("From the bot", "Summarise", "Save summary"))
    assert findings_of(INJ003, app_of(wf)) == []
    assert dataflow(app_of(wf)).sinks_of(uid("Save summary"))[0].origins  # it is followed


# -- an entry point switched off today ----------------------------------------------------------
def _chat() -> dict[str, Any]:
    return n8n_node("Chat", LC + "chatTrigger", {"public": True, "options": {}}, version=1.1,
                    webhook=True)


def test_inj003_public_chat_of_an_inactive_workflow_is_one_activation_away() -> None:
    app = app_of(_agent_workflow(_chat(), _cancel_tool(), active=False))
    f = one(findings_of(INJ003, app))
    assert f.severity == Severity.MEDIUM
    assert "(not active), reachable once activated," in f.message
    assert f.evidence["route"][0] == uid("Chat")


def test_inj003_inactive_chat_behind_the_n8n_login_is_the_owners() -> None:
    private = n8n_node("Chat", LC + "chatTrigger", {"options": {}}, version=1.1, webhook=True)
    assert findings_of(INJ003, app_of(_agent_workflow(private, _cancel_tool(),
                                                      active=False))) == []


def test_inj003_active_public_chat_keeps_its_full_severity() -> None:
    f = one(findings_of(INJ003, app_of(_agent_workflow(_chat(), _cancel_tool()))))
    assert f.severity == Severity.HIGH
    assert "reachable once activated" not in f.message


# -- what a model's answer reaching a step does not make an action ------------------------------
def _form_to_model_to(step: dict[str, Any]) -> dict[str, Any]:
    form = n8n_node("Request form", "formTrigger",
                    {"formTitle": "Post ideas", "formFields": {"values": [
                        {"fieldLabel": "Topic"}, {"fieldLabel": "Email"}]}}, version=2.2,
                    webhook=True)
    writer = n8n_node("Writer", LC + "agent",
                      {"promptType": "define", "text": "=Write a post about {{ $json.Topic }}",
                       "options": {}}, version=1.7)
    return workflow("Post ideas", [form, writer, step],
                    chain("Request form", "Writer", step["name"]))


@pytest.mark.parametrize("step", [
    n8n_node("Mail the owner", "gmail", {"sendTo": "owner@studio.example", "subject": "Idea",
                                         "message": "={{ $json.output }}"}, version=2.1),
    n8n_node("Ask approval", "gmail", {"operation": "sendAndWait",
                                       "sendTo": "={{ $('Request form').item.json.Email }}",
                                       "message": "={{ $json.output }}"}, version=2.1),
    n8n_node("Illustrate", LC + "googleGemini", {"resource": "image", "operation": "edit",
                                                 "prompt": "={{ $json.output }}"}, version=1)],
    ids=["fixed-recipient", "send-and-wait", "image-edit"])
def test_inj003_mail_to_a_fixed_inbox_an_approval_and_an_image_edit_are_no_action(
        step: dict[str, Any]) -> None:
    assert findings_of(INJ003, app_of(_form_to_model_to(step))) == []


def test_inj003_mail_to_the_address_the_form_gave_is_an_action() -> None:
    mail = n8n_node("Mail the requester", "gmail",
                    {"sendTo": "={{ $('Request form').item.json.Email }}", "subject": "Idea",
                     "message": "={{ $json.output }}"}, version=2.1)
    assert ids(findings_of(INJ003, app_of(_form_to_model_to(mail)))) == {
        uid("Mail the requester")}


# -- an UPDATE statement stores what it binds ---------------------------------------------------
def _nightly_check(mark: dict[str, Any]) -> dict[str, Any]:
    """A caller's request marks a run as checked; each night the latest run's id, read back,
    names the folder a command lists."""
    hook = webhook(method="POST", path="runs/checked")
    nightly = [schedule(),
               postgres("Latest run", "executeQuery",
                        query="SELECT run_id FROM runs ORDER BY id DESC LIMIT 1", options={}),
               execute_command("List run", "=ls /mnt/runs/{{ $json.run_id }}")]
    return workflow("Runs", [hook, mark, *nightly],
                    {**chain("Webhook", mark["name"]),
                     **chain("Schedule Trigger", "Latest run", "List run")})


def test_inj001_an_update_setting_fixed_columns_does_not_store_the_callers_item() -> None:
    mark = postgres("Mark checked", "executeQuery",
                    query="UPDATE runs SET checked = true WHERE id = (SELECT max(id) FROM runs)",
                    options={})
    app = app_of(_nightly_check(mark))
    assert ("database", "runs") in dataflow(app).internal_stores()
    assert findings_of(INJ001, app) == []


def test_inj001_an_update_pasting_the_callers_text_stores_it() -> None:
    mark = postgres("Mark checked", "executeQuery",
                    query="=UPDATE runs SET run_id = '{{ $json.body.run }}' WHERE checked",
                    options={})
    app = app_of(_nightly_check(mark))
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("List run") in ids(findings_of(INJ001, app))


# -- a workflow with no connections at all ------------------------------------------------------
def _news_job() -> dict[str, Any]:
    """A schedule, a page fetch and an INSERT pasting the links found, never wired together."""
    nodes = [schedule(),
             n8n_node("Fetch page", "httpRequest", {"url": "https://news.example.org/"},
                      version=4.2),
             postgres("Insert links", "executeQuery",
                      query="=INSERT INTO news (url) VALUES ('{{ $json.link }}')", options={})]
    return workflow("News job", nodes, {}, active=False)


def test_inj002_an_instance_export_with_no_connections_runs_nothing_past_its_trigger() -> None:
    """The instance's own export (it saved it: updatedAt) shows the workflow as it runs."""
    assert findings_of(INJ002, app_of(_news_job())) == []


def test_inj002_a_collection_copy_with_no_connections_is_of_unknown_input() -> None:
    """A collection's edited copy (no save time, no Download fields) may have lost its wiring:
    what reaches the query is not shown, so it stays unknown."""
    copy = _news_job()
    for key in ("createdAt", "updatedAt", "versionId", "id"):
        del copy[key]
    assert ids(findings_of(INJ002, app_of(copy))) == {uid("Insert links")}


# -- a request sent where an entry point switched off today says --------------------------------
def _relay(url: str, *, active: bool) -> dict[str, Any]:
    """A messaging relay: the webhook body names the API server, a Set keeps it, and a later
    request reads it back by the Set's name, sending the chat API's key."""
    hook = webhook(method="POST", path="relay/in")
    keep = n8n_node("Keep target", "set", {"assignments": {"assignments": [
        {"id": uid("a:server"), "name": "server", "value": "={{ $json.body.server_url }}",
         "type": "string"},
        {"id": uid("a:text"), "name": "text", "value": "={{ $json.body.text }}",
         "type": "string"}]}, "options": {}}, version=3.4)
    send = n8n_node("Send text", "httpRequest",
                    {"method": "POST", "url": url, "sendBody": True, "bodyParameters": {
                        "parameters": [{"name": "text", "value": "={{ $json.text }}"}]},
                     "authentication": "genericCredentialType",
                     "genericAuthType": "httpHeaderAuth"},
                    version=4.2,
                    credentials={"httpHeaderAuth": ("Rk4mW8zQ2nB6vT1y", "Chat API key")})
    return workflow("Relay", [hook, keep, send], chain("Webhook", "Keep target", "Send text"),
                    active=active)


SERVER_URL = "={{ $('Keep target').item.json.server }}/message/send"


def test_inj002_a_host_named_by_a_switched_off_webhook_is_ssrf_once_activated() -> None:
    app = app_of(_relay(SERVER_URL, active=False))
    f = one(findings_of(INJ002, app))
    assert (f.resource.id, f.evidence["sink"]) == (uid("Send text"), "fetch")
    assert f.message.endswith("(not active), reachable once activated")
    assert findings_of(INJ001, app) == []
    assert ids(findings_of(INJ001, app_of(_relay(SERVER_URL, active=True)))) == {
        uid("Send text")}


@pytest.mark.parametrize("url", [
    "=https://chat.example.org/message/{{ $('Keep target').item.json.text }}",
    '={{ $env.CHAT_API_URL + "/message/" + $json.text }}',
    "={{ $env.CHAT_API_URL }}/message/{{ $json.text }}"],
    ids=["written-host", "env-host", "env-base"])
def test_a_request_to_a_host_the_owner_fixed_is_steered_by_its_path_only(url: str) -> None:
    """Written out or an environment value, the host is the owner's: the caller picks at
    most a path (INJ001, a step lower); switched off, the same path is INJ002's, low, as one
    activation opens it, and no SSRF."""
    f = one(findings_of(INJ001, app_of(_relay(url, active=True))))
    assert (f.evidence["parameter"], f.severity) == (FETCH_PATH, Severity.HIGH)
    inactive = app_of(_relay(url, active=False))
    off = [f for f in findings_of(INJ002, inactive) if f.evidence["sink"] == "fetch"]
    assert [(f.evidence["parameter"], f.severity) for f in off] == [(FETCH_PATH, Severity.LOW)]
    assert "server-side request forgery" not in off[0].message


# -- a download that hands on the item it was given ---------------------------------------------
def _welcome(fetch: dict[str, Any]) -> dict[str, Any]:
    """A form's answers steer an agent; a file is fetched; a mail to the address the form gave
    is written from the agent's answer, read back from the item the fetch hands on."""
    wf = _form_to_model_to(fetch)
    mail = n8n_node("Welcome mail", "gmail",
                    {"sendTo": "={{ $('Request form').item.json.Email }}",
                     "message": "={{ $json.output }}"}, version=2.1)
    wf["nodes"].append(mail)
    wf["connections"].update(chain(fetch["name"], "Welcome mail"))
    return wf


def test_inj003_a_drive_download_keeps_the_agents_answer_in_its_item() -> None:
    download = n8n_node("Handbook", "googleDrive",
                        {"operation": "download", "fileId": {"__rl": True, "value": "1hb"}},
                        version=3)
    assert ids(findings_of(INJ003, app_of(_welcome(download)))) == {uid("Welcome mail")}


def test_inj003_a_request_returns_only_what_it_fetched() -> None:
    request = n8n_node("Handbook", "httpRequest",
                       {"url": "https://files.example.org/handbook.pdf"}, version=4.2)
    assert findings_of(INJ003, app_of(_welcome(request))) == []


# -- a tool whose name says it works a figure out -----------------------------------------------
@pytest.mark.parametrize(("name", "fires"), [
    ("calculer_devis", False), ("estimateShipping", False), ("compute_distance", False),
    ("cancel_booking", True), ("computers_delete", True)])
def test_inj003_a_tool_that_calculates_by_post_only_reads(name: str, fires: bool) -> None:
    """Distilled from a coach-hire quote bot whose quote and distance tools are POSTs to a
    local pricing service."""
    tool = n8n_node(name, LC + "toolHttpRequest",
                    {"name": name, "method": "POST", "url": "http://127.0.0.1:3001/" + name,
                     "sendBody": True}, version=1.1)
    found = findings_of(INJ003, app_of(_agent_workflow(_chat(), tool)))
    assert len(found) == (1 if fires else 0)
