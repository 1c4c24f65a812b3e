"""Outside text steering AI models that act (INJ003), the content of fetched files, and inbound
mail forwarded out of the organisation (EXP001 on mail destinations). Each pattern is distilled
from real n8n exports, written in our own words, and tested in both directions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one, policy
from tests.rules import EXP001, INJ001, INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."


def _telegram(chat_ids: str = "") -> dict[str, Any]:
    extra = {"chatIds": chat_ids} if chat_ids else {}
    return n8n_node("Telegram Trigger", "telegramTrigger",
                    {"updates": ["message"], "additionalFields": extra}, version=1.1,
                    webhook=True)


def _agent_with_tools(trigger: dict[str, Any], *tools: dict[str, Any]) -> dict[str, Any]:
    """A trigger wired to an agent that has a chat model and the given tools."""
    agent = n8n_node("Assistant", LC + "agent",
                     {"promptType": "define", "text": "={{ $json.message.text }}",
                      "options": {}}, version=1.7)
    model = n8n_node("Chat model", LC + "lmChatOpenAi", {"model": "gpt-4o-mini"})
    connections: dict[str, Any] = {
        trigger["name"]: {"main": [[{"node": "Assistant", "type": "main", "index": 0}]]},
        "Chat model": {"ai_languageModel": [[{"node": "Assistant", "type": "ai_languageModel",
                                              "index": 0}]]}}
    for tool in tools:
        connections[tool["name"]] = {"ai_tool": [[{"node": "Assistant", "type": "ai_tool",
                                                   "index": 0}]]}
    return workflow("Helpdesk bot", [trigger, agent, model, *tools], connections)


def _delete_ticket() -> dict[str, Any]:
    return n8n_node("Close ticket", "httpRequestTool",
                    {"method": "DELETE", "url": "=https://desk.example.org/api/tickets/"
                     "{{ $fromAI('ticket') }}", "toolDescription": "Closes a ticket"},
                    version=4.2)


def _look_up_ticket() -> dict[str, Any]:
    return n8n_node("Find ticket", "httpRequestTool",
                    {"method": "GET", "url": "=https://desk.example.org/api/tickets/"
                     "{{ $fromAI('ticket') }}"}, version=4.2)


def _sheet_tool(operation: str) -> dict[str, Any]:
    return n8n_node("Customer sheet", "googleSheetsTool",
                    {"operation": operation, "documentId": {"__rl": True, "value": "sheet1"},
                     "sheetName": {"__rl": True, "value": "Customers"}}, version=4.5)


# -- agents with tools -------------------------------------------------------------------------
def test_inj003_open_bot_drives_an_agent_whose_tools_delete_and_update() -> None:
    app = app_of(_agent_with_tools(_telegram(), _delete_ticket(), _sheet_tool("update"),
                                   _look_up_ticket()))
    f = one(findings_of(INJ003, app))
    assert f.resource.id == uid("Assistant")
    assert f.evidence["source"] == "Telegram bot messages"
    assert f.evidence["action_steps"] == [uid("Close ticket"), uid("Customer sheet")]
    assert "Close ticket: sends DELETE requests" in f.message
    assert "Find ticket" not in f.message  # reads only


def test_inj003_agent_with_read_only_tools_is_quiet() -> None:
    app = app_of(_agent_with_tools(_telegram(), _look_up_ticket(), _sheet_tool("read")))
    assert findings_of(INJ003, app) == []


@pytest.mark.parametrize("trigger", [schedule(), _telegram(chat_ids="48113307")],
                         ids=["schedule", "telegram-allowlist"])
def test_inj003_agent_driven_by_the_owner_is_quiet(trigger: dict[str, Any]) -> None:
    app = app_of(_agent_with_tools(trigger, _delete_ticket()))
    assert findings_of(INJ003, app) == []


@pytest.mark.parametrize(("description", "fires"), [
    ("Creates or cancels a booking for the customer", True),
    ("", True),  # nothing said: a workflow may do anything
    ("Retrieve the opening hours and the menu", False)])
def test_inj003_workflow_tool_acts_unless_it_is_told_to_look_up(description: str,
                                                                fires: bool) -> None:
    tool = n8n_node("Bookings", LC + "toolWorkflow",
                    {"description": description, "workflowId": {"__rl": True,
                                                                 "value": "wfNotHere01"}},
                    version=2)
    app = app_of(_agent_with_tools(_telegram(), tool))
    assert len(findings_of(INJ003, app)) == (1 if fires else 0)


@pytest.mark.parametrize(("params", "fires"), [
    # every tool of a database server: SQL, migrations, storage
    ({"endpointUrl": "https://mcp.dbhost.example/mcp?project_ref=abc&features=database"}, True),
    # a selection with one tool that writes
    ({"endpointUrl": "https://mcp.dbhost.example/mcp", "include": "selected",
      "includeTools": ["list_tables", "execute_sql"]}, True),
    # the server asked for read-only tools
    ({"endpointUrl": "https://mcp.dbhost.example/mcp?project_ref=abc&read_only=true"}, False),
    # only tools whose names read
    ({"endpointUrl": "https://mcp.dbhost.example/mcp", "include": "selected",
      "includeTools": ["list_tables", "get_logs", "search_docs"]}, False),
])
def test_inj003_mcp_client_tool_acts_unless_its_tools_only_read(params: dict[str, Any],
                                                                fires: bool) -> None:
    """Distilled from a real Telegram agent holding a database MCP server's every tool."""
    tool = n8n_node("Database MCP", LC + "mcpClientTool",
                    {"authentication": "bearerAuth", "options": {}, **params}, version=1.1)
    found = findings_of(INJ003, app_of(_agent_with_tools(_telegram(), tool)))
    assert [f.evidence["action_steps"] for f in found] == ([[uid("Database MCP")]] if fires
                                                           else [])


def test_inj003_leaves_a_sql_tool_running_what_the_model_wrote_to_inj001() -> None:
    sql = n8n_node("Run SQL", "postgresTool",
                   {"operation": "executeQuery", "query": "{{ $fromAI('sql') }}",
                    "options": {}}, version=2.6)
    app = app_of(_agent_with_tools(_telegram(), sql))
    assert one(findings_of(INJ001, app)).resource.id == uid("Run SQL")
    assert findings_of(INJ003, app) == []


# -- steps after a model -----------------------------------------------------------------------
def _mail_to_model_to(step: dict[str, Any]) -> dict[str, Any]:
    trigger = n8n_node("New mail", "gmailTrigger", {"pollTimes": {}, "filters": {}})
    model = n8n_node("Draft answer", LC + "openAi",
                     {"modelId": {"__rl": True, "value": "gpt-4o-mini"},
                      "messages": {"values": [{"content": "=Answer this mail: "
                                               "{{ $json.snippet }}"}]}}, version=1.8)
    return workflow("Mail assistant", [trigger, model, step],
                    chain("New mail", "Draft answer", step["name"]))


def test_inj003_any_inbound_mail_through_a_model_becomes_an_automatic_reply() -> None:
    reply = n8n_node("Reply", "gmail", {"operation": "reply",
                                        "messageId": "={{ $('New mail').item.json.id }}",
                                        "message": "={{ $json.message.content }}"}, version=2.1)
    f = one(findings_of(INJ003, app_of(_mail_to_model_to(reply))))
    assert f.resource.id == uid("Reply")
    assert (f.evidence["source"], f.evidence["agent"]) == ("email (Gmail)", "Draft answer")
    assert f.evidence["route"][0] == uid("New mail")


@pytest.mark.parametrize("step", [
    n8n_node("Label", "gmail", {"operation": "addLabels", "labelIds": ["Label_1"],
                                "messageId": "={{ $('New mail').item.json.id }}"}, version=2.1),
    n8n_node("Log answer", "googleSheets", {"operation": "append", "columns": {
        "mappingMode": "defineBelow", "value": {"answer": "={{ $json.message.content }}"}}},
        version=4.5),
    n8n_node("Draft", "gmail", {"resource": "draft", "message": "={{ $json.message.content }}"},
             version=2.1),
    n8n_node("Notify", "slack", {"text": "={{ $json.message.content }}"}, version=2.2)],
    ids=["label", "append-log", "draft", "chat-message"])
def test_inj003_labels_logs_drafts_and_chat_posts_after_a_model_are_quiet(
        step: dict[str, Any]) -> None:
    assert findings_of(INJ003, app_of(_mail_to_model_to(step))) == []


def test_inj003_text_of_a_file_a_slack_user_uploaded_decides_the_record_created() -> None:
    """Slack mention → its files split out → Slack file info → download → PDF text → agent →
    Airtable create from the agent's fields."""
    nodes = [
        n8n_node("Slack Trigger", "slackTrigger", {"trigger": ["app_mention"]}),
        n8n_node("Files", "splitOut", {"fieldToSplitOut": "files"}),
        n8n_node("File info", "slack", {"resource": "file", "operation": "get",
                                        "fileId": "={{ $json.id }}"}, version=2.3),
        n8n_node("Download", "httpRequest", {"url": "={{ $json.url_private_download }}"},
                 version=4.2),
        n8n_node("PDF text", "extractFromFile", {"operation": "pdf"}),
        n8n_node("Extract", LC + "agent", {"promptType": "define", "text": "={{ $json.text }}",
                                           "options": {}}, version=1.7),
        n8n_node("Create case", "airtable", {"operation": "create", "columns": {
            "mappingMode": "defineBelow",
            "value": {"Name": "={{ $json.output.client_name }}"}}}, version=2.1)]
    wf = workflow("Contracts", nodes, chain("Slack Trigger", "Files", "File info", "Download",
                                            "PDF text", "Extract", "Create case"))
    f = one(findings_of(INJ003, app_of(wf)))
    assert f.resource.id == uid("Create case")
    assert f.evidence["source"] == "Slack events"


def test_inj003_record_created_from_a_file_the_owner_fetched_on_schedule_is_quiet() -> None:
    nodes = [schedule(),
             n8n_node("Download", "httpRequest", {"url": "https://files.example.org/a.pdf"},
                      version=4.2),
             n8n_node("Extract", LC + "agent", {"promptType": "define",
                                                "text": "={{ $json.text }}", "options": {}},
                      version=1.7),
             n8n_node("Create case", "airtable", {"operation": "create", "columns": {
                 "mappingMode": "defineBelow",
                 "value": {"Name": "={{ $json.output.client_name }}"}}}, version=2.1)]
    wf = workflow("Contracts", nodes, chain("Schedule Trigger", "Download", "Extract",
                                            "Create case"))
    assert findings_of(INJ003, app_of(wf)) == []


# -- mail leaving the organisation -------------------------------------------------------------
def _imap_to(send: dict[str, Any]) -> dict[str, Any]:
    trigger = n8n_node("Inbox", "emailReadImap", {"options": {}}, version=2)
    return workflow("Mail forward", [trigger, send], chain("Inbox", send["name"]))


def _email_send(to: str, sender: str = "desk@acme-clinic.org") -> dict[str, Any]:
    return n8n_node("Forward", "emailSend", {"toEmail": to, "fromEmail": sender,
                                             "subject": "=Fwd: {{ $json.subject }}",
                                             "text": "={{ $json.textPlain }}"}, version=2.1)


def test_exp001_inbound_mail_forwarded_to_a_personal_address() -> None:
    f = one(findings_of(EXP001, app_of(_imap_to(_email_send("j.doe.private@gmail.com")))))
    assert f.resource.id == uid("Forward")
    assert f.evidence["labels"] == ["correspondence"]
    assert (f.evidence["destination"], f.evidence["zone"]) == ("gmail.com", "internet")
    assert "j.doe.private@gmail.com" in f.message


@pytest.mark.parametrize("to", [
    "team@acme-clinic.org",  # the sender's own organisation
    "={{ $json.from }}",  # back to whoever wrote it
], ids=["own-domain", "back-to-sender"])
def test_exp001_mail_kept_inside_or_sent_back_is_quiet(to: str) -> None:
    assert findings_of(EXP001, app_of(_imap_to(_email_send(to)))) == []


def test_exp001_policy_internal_domain_keeps_a_forward_inside() -> None:
    app = app_of(_imap_to(_email_send("ops@partner-lab.net")))
    assert len(findings_of(EXP001, app)) == 1
    inside = policy("hosts:\n  internal: ['partner-lab.net']\n")
    assert findings_of(EXP001, app, inside) == []


def test_exp001_gmail_reply_and_a_form_mailed_to_its_sender_are_quiet() -> None:
    reply = n8n_node("Answer", "gmail", {"operation": "reply",
                                         "messageId": "={{ $json.id }}",
                                         "message": "=Got it: {{ $json.snippet }}"}, version=2.1)
    assert findings_of(EXP001, app_of(_imap_to(reply))) == []
    form = webhook(path="contact", method="POST")
    confirm = n8n_node("Confirm", "emailSend", {"toEmail": "={{ $json.body.email }}",
                                                "text": "=Thanks {{ $json.body.name }}"},
                       version=2.1)
    wf = workflow("Contact", [form, confirm], chain("Webhook", "Confirm"))
    assert findings_of(EXP001, app_of(wf)) == []


def test_mail_address_computed_at_run_time_is_no_server_side_request() -> None:
    form = webhook(path="contact", method="POST")
    confirm = n8n_node("Confirm", "emailSend", {"toEmail": "={{ $json.body.email }}",
                                                "text": "=Thanks"}, version=2.1)
    wf = workflow("Contact", [form, confirm], chain("Webhook", "Confirm"))
    assert findings_of(INJ001, app_of(wf)) == []
