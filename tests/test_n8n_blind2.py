"""Patterns of the second blind set of real n8n exports, distilled in our own words: what a
node passes on, which HTTP requests are model calls, which nodes render markup, and which
entry points only an authenticated caller can write to. Each fires on the bad shape and stays
quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one
from tests.rules import EXP001, INJ001, INJ002, INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."


# -- Edit Fields (Set) v3.0-3.2 keeps every input field unless told otherwise ----------------
def _backup_through_set(set_params: dict[str, Any], version: float) -> dict[str, Any]:
    """schedule → the instance's own API (an API key header) → Edit Fields → a file committed
    to GitHub with the workflows' JSON."""
    read = n8n_node("Read workflows", "httpRequest", {
        "url": "http://host.docker.internal:5678/api/v1/workflows", "sendHeaders": True,
        "headerParameters": {"parameters": [
            {"name": "X-N8N-API-KEY", "value": "={{ $env.N8N_API_KEY }}"}]},
        "options": {}}, version=4)
    tidy = n8n_node("Edit Fields", "set", {"options": {}, **set_params}, version=version)
    commit = n8n_node("Commit backup", "github", {
        "resource": "file", "operation": "edit",
        "owner": {"mode": "name", "value": "acme-ops"},
        "repository": {"mode": "name", "value": "flows-backup"},
        "filePath": "workflows.json",
        "fileContent": "={{ JSON.stringify($json.data, null, 2) }}",
        "commitMessage": "backup"}, version=1)
    return workflow("Backup to GitHub", [schedule(), read, tidy, commit],
                    chain("Schedule Trigger", "Read workflows", "Edit Fields", "Commit backup"))


@pytest.mark.parametrize(("params", "version"), [
    ({}, 3),  # 'Include in Output' left at its default: all input fields
    ({"include": "all"}, 3.2),
    ({"include": "selected", "includeFields": "data, nextCursor"}, 3.1),
    ({"includeOtherFields": True}, 3.4),
])
def test_exp001_sees_workflows_kept_by_an_edit_fields_node(params: dict[str, Any],
                                                           version: float) -> None:
    f = one(findings_of(EXP001, app_of(_backup_through_set(params, version))))
    assert f.resource.id == uid("Commit backup")
    assert f.evidence["labels"] == ["app configuration"]
    assert f.evidence["route_names"] == ["Read workflows", "Edit Fields", "Commit backup"]


@pytest.mark.parametrize(("params", "version"), [
    ({"include": "none"}, 3),
    ({"include": "selected", "includeFields": "nextCursor"}, 3.2),
    ({}, 3.4),  # v3.3+: other input fields only when asked
])
def test_exp001_quiet_when_edit_fields_drops_the_workflows(params: dict[str, Any],
                                                           version: float) -> None:
    assert findings_of(EXP001, app_of(_backup_through_set(params, version))) == []


# -- an HTTP Request to a hosted model's API is a model step ---------------------------------
def _ask_model_by_hand(url: str, after: dict[str, Any] | None = None) -> dict[str, Any]:
    """open webhook → an HTTP Request that posts the caller's text to ``url`` (Anthropic's
    message format) → ``after``."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "assistant",
                                           "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)
    ask = n8n_node("Ask model", "httpRequest", {
        "method": "POST", "url": url, "sendHeaders": True,
        "headerParameters": {"parameters": [
            {"name": "x-api-key", "value": "={{ $env.MODEL_KEY }}"}]},
        "sendBody": True, "contentType": "raw", "rawContentType": "application/json",
        "body": "={{ JSON.stringify({ model: 'claude-sonnet', max_tokens: 512, messages: "
                "[{ role: 'user', content: $json.body.customerMessage }] }) }}", "options": {}},
        version=4.2)
    nodes = [hook, ask, *([after] if after else [])]
    names = ["Webhook", "Ask model", *([after["name"]] if after else [])]
    return workflow("Hand-built assistant", nodes, chain(*names))


def _mail_the_answer() -> dict[str, Any]:
    return n8n_node("Mail answer", "gmail", {
        "operation": "send", "sendTo": "={{ $json.content[0].text }}",
        "subject": "Your answer", "message": "={{ $json.content[0].text }}"}, version=2.1)


@pytest.mark.parametrize("url", [
    "https://api.anthropic.com/v1/messages",
    "https://api.openai.com/v1/chat/completions",
    "=https://generativelanguage.googleapis.com/v1beta/models/{{ $json.model }}"
    ":generateContent",
    "https://acme-ai.openai.azure.com/openai/deployments/gpt4o/chat/completions"])
def test_exp001_quiet_on_the_callers_text_sent_to_the_model_api_the_flow_calls(url: str
                                                                               ) -> None:
    assert findings_of(EXP001, app_of(_ask_model_by_hand(url))) == []


def test_exp001_still_fires_when_the_same_request_goes_to_a_service_that_is_no_model() -> None:
    f = one(findings_of(EXP001, app_of(_ask_model_by_hand(
        "https://hooks.partner-crm.example/v1/messages"))))
    assert f.evidence["destination"] == "hooks.partner-crm.example"


def test_inj003_the_answer_of_a_model_called_by_hand_decides_who_is_mailed() -> None:
    app = app_of(_ask_model_by_hand("https://api.anthropic.com/v1/messages",
                                    _mail_the_answer()))
    f = one(findings_of(INJ003, app))
    assert f.resource.id == uid("Mail answer")
    assert f.evidence["agent"] == "Ask model"
    assert f.evidence["route"][0] == uid("Webhook")


def test_inj003_quiet_when_the_request_is_to_another_endpoint_of_the_model_host() -> None:
    """Files or embeddings of the same provider answer no text a model wrote."""
    app = app_of(_ask_model_by_hand("https://api.openai.com/v1/files", _mail_the_answer()))
    assert findings_of(INJ003, app) == []


# -- INJ001 weighs who can write to the entry point, as AUTH001 / AUTH004 do ------------------
def _entry_to_command(trigger: dict[str, Any], text: str) -> dict[str, Any]:
    run = n8n_node("Convert", "executeCommand",
                   {"command": f"=convert {{{{ {text} }}}} /srv/out.pdf"})
    return workflow("Convert on request", [trigger, run], chain(trigger["name"], "Convert"))


def _telegram(user_ids: str = "") -> dict[str, Any]:
    extra = {"userIds": user_ids} if user_ids else {}
    return n8n_node("Telegram Trigger", "telegramTrigger",
                    {"updates": ["message"], "additionalFields": extra}, version=1.2,
                    webhook=True, credentials={"telegramApi": ("tgCred00001", "Ops bot")})


def _form(**params: Any) -> dict[str, Any]:
    return n8n_node("On form submission", "formTrigger", {
        "formTitle": "Convert", "formFields": {"values": [{"fieldLabel": "file"}]},
        "options": {}, **params}, version=2.2, webhook=True)


def test_inj001_open_webhook_is_critical_and_says_anyone_can_send() -> None:
    hook = webhook(path="convert", method="POST")
    f = one(findings_of(INJ001, app_of(_entry_to_command(hook, "$json.body.file"))))
    assert f.severity == Severity.CRITICAL
    assert f.evidence["caller"] == "anyone (no authentication)"


def test_inj001_header_auth_webhook_is_a_step_lower_with_the_reason() -> None:
    hook = webhook(path="convert", method="POST", auth="headerAuth")
    f = one(findings_of(INJ001, app_of(_entry_to_command(hook, "$json.body.file"))))
    assert f.severity == Severity.HIGH
    assert f.evidence["caller"] == "callers holding its credential (header authentication)"
    assert "callers must authenticate" in f.message


@pytest.mark.parametrize(("trigger", "text"), [
    (_telegram("48151623"), "$json.message.text"),
    (_form(authentication="n8nUserAuth"), "$json.file")],
    ids=["telegram-one-user", "form-behind-n8n-login"])
def test_inj001_quiet_when_only_the_owner_writes_to_the_entry_point(trigger: dict[str, Any],
                                                                    text: str) -> None:
    assert findings_of(INJ001, app_of(_entry_to_command(trigger, text))) == []


@pytest.mark.parametrize(("trigger", "text"), [
    (_telegram(), "$json.message.text"), (_form(), "$json.file")],
    ids=["telegram-anyone", "public-form"])
def test_inj001_fires_when_anyone_writes_to_the_same_entry_point(trigger: dict[str, Any],
                                                                 text: str) -> None:
    f = one(findings_of(INJ001, app_of(_entry_to_command(trigger, text))))
    assert f.severity == Severity.CRITICAL


# -- origins: a Google Sheets node's default operation reads; one model serves many chains ----
def _hook_then(*steps: dict[str, Any]) -> dict[str, Any]:
    hook = webhook(path="memes", method="POST")
    return workflow("Meme maker", [hook, *steps], chain("Webhook", *(s["name"] for s in steps)))


def _fetch_listed_url() -> dict[str, Any]:
    return n8n_node("Fetch image", "httpRequest", {"url": "={{ $json.url }}", "options": {}},
                    version=4.2)


def _sheet(key: str, **params: Any) -> dict[str, Any]:
    return n8n_node(key, "googleSheets", {
        "documentId": {"__rl": True, "value": "1AbCdEfGhIjKlMnOpQrStUvWxYz012345", "mode": "id"},
        "sheetName": {"__rl": True, "value": "gid=0", "mode": "list"}, "options": {},
        **params}, version=4.5)


def test_inj001_quiet_on_a_url_read_from_a_sheet_with_the_default_operation() -> None:
    """No 'operation' on a Google Sheets node is n8n's default, Get Row(s): what follows it
    is the sheet's rows, not the webhook's body."""
    app = app_of(_hook_then(_sheet("Saved templates"), _fetch_listed_url()))
    assert findings_of(INJ001, app) == []


def test_inj001_fires_when_the_sheet_node_appends_and_passes_the_body_on() -> None:
    appended = _sheet("Log request", operation="append", columns={
        "mappingMode": "autoMapInputData", "value": {}})
    found = findings_of(INJ001, app_of(_hook_then(appended, _fetch_listed_url())))
    assert {f.resource.id for f in found} == {uid("Log request"), uid("Fetch image")}


def _two_chains_one_model(describe_prompt: str) -> dict[str, Any]:
    """webhook → 'Find template' (prompted with the caller's text); schedule → 'Describe'
    (prompted with ``describe_prompt``) → sheet cells; both chains share one chat model."""
    hook = webhook(path="memes", method="POST")
    find = n8n_node("Find template", LC + "chainLlm", {
        "promptType": "define", "text": "={{ $json.body.idea }}"}, version=1.7)
    describe = n8n_node("Describe", LC + "chainLlm", {
        "promptType": "define", "text": describe_prompt}, version=1.7)
    model = n8n_node("Chat model", LC + "lmChatAzureOpenAi", {"model": "gpt-4.1"}, version=1)
    cells = _sheet("Save description", operation="append", columns={
        "mappingMode": "defineBelow", "value": {"text": "={{ $json.text }}"}})
    connections = {**chain("Webhook", "Find template"),
                   **chain("Schedule Trigger", "Describe", "Save description"),
                   "Chat model": {"ai_languageModel": [[
                       {"node": "Find template", "type": "ai_languageModel", "index": 0},
                       {"node": "Describe", "type": "ai_languageModel", "index": 0}]]}}
    return workflow("Meme catalogue", [hook, find, schedule(), describe, model, cells],
                    connections)


def test_inj001_quiet_when_only_another_chain_sharing_the_model_reads_the_caller() -> None:
    app = app_of(_two_chains_one_model("=Describe the meme template of {{ $now }}"))
    assert findings_of(INJ001, app) == []


def test_inj001_fires_when_the_chain_itself_is_prompted_with_the_caller_text() -> None:
    app = app_of(_two_chains_one_model("={{ $('Webhook').item.json.body.idea }}"))
    f = one(findings_of(INJ001, app))
    assert f.resource.id == uid("Save description")


# -- the HTML node's template is a page made of what it pastes in -----------------------------
INVOICE_PAGE = "<html><body><h1>Invoice</h1><p>Client: {{ $json.client_name }}</p></body></html>"


def _form_to_invoice_page(*, active: bool = True, source: str = "form",
                          **html_params: Any) -> dict[str, Any]:
    """public form (or a Postgres read) → the HTML node's template → a PDF service."""
    first = _form() if source == "form" else n8n_node(
        "Read client", "postgres", {"operation": "select", "table": {"value": "clients"},
                                    "returnAll": True, "options": {}}, version=2.5)
    names = ["On form submission"] if source == "form" else ["Schedule Trigger", "Read client"]
    page = n8n_node("Invoice page", "html", {"html": INVOICE_PAGE, **html_params}, version=1.2)
    pdf = n8n_node("Render PDF", "httpRequest", {
        "method": "POST", "url": "https://pdf.render-service.example/v1/pdfs",
        "sendBody": True, "specifyBody": "json",
        "jsonBody": "={{ { html: $json.html } }}", "options": {}}, version=4.2)
    nodes = [first, page, pdf] if source == "form" else [schedule(), first, page, pdf]
    return workflow("Invoices", nodes, chain(*names, "Invoice page", "Render PDF"),
                    active=active)


def test_inj001_form_fields_pasted_into_the_html_template_without_equals() -> None:
    f = one(findings_of(INJ001, app_of(_form_to_invoice_page())))
    assert f.resource.id == uid("Invoice page")
    assert f.evidence["sink"] == "markup"
    assert "HTML injection" in f.message


def test_inj002_the_same_page_behind_a_form_switched_off_today() -> None:
    app = app_of(_form_to_invoice_page(active=False))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).resource.id == uid("Invoice page")


@pytest.mark.parametrize(("source", "params"), [
    ("postgres", {}),  # a report of the app's own rows: ordinary
    ("form", {"operation": "convertToHtmlTable"}),  # no template pasted
    ("form", {"html": "<p>Thanks, we received your order.</p>"})],
    ids=["rows-from-a-table", "html-table-operation", "fixed-page"])
def test_injection_quiet_on_pages_made_without_a_callers_data(source: str,
                                                             params: dict[str, Any]) -> None:
    app = app_of(_form_to_invoice_page(source=source, **params))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


# -- a tool call built by hand: a branch picks an action by the name the model answered -----
def _model_picks_action(operation: str, right: str, action: dict[str, Any]) -> dict[str, Any]:
    """open webhook → a model called by hand → If (its answer's action ``operation``
    ``right``) → ``action``."""
    pick = n8n_node("Which action", "if", {"conditions": {
        "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict"},
        "conditions": [{"id": uid("cond"), "leftValue": "={{ $json.action.type }}",
                        "rightValue": right,
                        "operator": {"type": "string", "operation": operation}}],
        "combinator": "and"}, "options": {}}, version=2.2)
    wf = _ask_model_by_hand("https://api.anthropic.com/v1/messages", pick)
    wf["nodes"].append(action)
    wf["connections"]["Which action"] = {"main": [[{"node": action["name"], "type": "main",
                                                    "index": 0}], []]}
    return wf


def _create_flow_request() -> dict[str, Any]:
    return n8n_node("Create flow", "httpRequest", {
        "method": "POST", "url": "http://localhost:5678/webhook/tools/create_flow",
        "sendBody": True, "bodyParameters": {"parameters": [
            {"name": "description", "value": "={{ $json.action.params.description }}"}]},
        "options": {}}, version=4.2)


def test_inj003_a_branch_runs_the_request_the_model_named() -> None:
    app = app_of(_model_picks_action("equals", "create_flow", _create_flow_request()))
    f = one(findings_of(INJ003, app))
    assert f.resource.id == uid("Create flow")
    assert "when 'Which action' picks it" in f.message
    assert f.evidence["agent"] == "Ask model"


@pytest.mark.parametrize(("operation", "right", "action"), [
    ("contains", "create", _create_flow_request()),  # a classification, not a name
    ("equals", "create_flow", n8n_node("Tell the team", "slack", {
        "text": "={{ $json.action.params.description }}"}, version=2.2))],
    ids=["classifying-test", "chat-message"])
def test_inj003_quiet_on_tests_that_pick_no_action_and_on_chat_messages(
        operation: str, right: str, action: dict[str, Any]) -> None:
    assert findings_of(INJ003, app_of(_model_picks_action(operation, right, action))) == []


def test_inj003_quiet_when_the_branch_tests_the_callers_own_field() -> None:
    """The caller picking an action by name is AUTH001's open door, not a model deciding."""
    wf = _model_picks_action("equals", "create_flow", _create_flow_request())
    pick = next(n for n in wf["nodes"] if n["name"] == "Which action")
    pick["parameters"]["conditions"]["conditions"][0]["leftValue"] = \
        "={{ $('Webhook').item.json.body.action }}"
    assert findings_of(INJ003, app_of(wf)) == []
