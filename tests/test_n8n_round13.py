"""Patterns behind this round's n8n leads, distilled in our own words. Each fires on the bad
shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from pytest_nocode.model import ValueRef
from tests.checkrun import findings_of, one
from tests.rules import AUTH001, EXP001, INJ001, INJ002, INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."


# -- 1. a No Operation stand-in for an MCP server trigger is still that way in -------------------
def _mcp_stand_in(note: str | None) -> Any:
    """A collection swapped the MCP server trigger for a No Operation node (note kept, path
    kept); its tool runs a shell command the client fills in."""
    extra = {"notes": note} if note is not None else {}
    server = n8n_node("Files MCP Server", "noOp", {"path": "5c1b0d7e-files"}, **extra)
    tool = n8n_node("List folder", "executeCommandTool",
                    {"command": "=ls -la {{ $fromAI('folder') }}"})
    wires = {"List folder": {"ai_tool": [[{"node": "Files MCP Server", "type": "ai_tool",
                                            "index": 0}]]}}
    return app_of(workflow("Files over MCP", [server, tool], wires))


def test_auth001_a_no_op_standing_in_for_an_mcp_trigger_is_an_open_endpoint() -> None:
    note = "This mcpTrigger node performs automated tasks as part of the workflow."
    f = one(findings_of(AUTH001, _mcp_stand_in(note)))
    assert f.resource.id == uid("Files MCP Server") and "5c1b0d7e-files" in f.message


@pytest.mark.parametrize("note", [None, "This set node performs automated tasks as part of "
                                        "the workflow.", "Lists a folder over MCP."])
def test_auth001_a_no_op_with_a_path_but_no_trigger_note_is_no_endpoint(note: str | None) -> None:
    app = _mcp_stand_in(note)
    assert list(app.entry_points) == []
    assert findings_of(AUTH001, app) == []


# -- 2. what a service on the app's own host answers a fixed request is the owner's data --------
def _converter(url: str, body: str | None = None, *, feeder: bool = False) -> Any:
    """Every few minutes: ask a converter for its latest output, then open the file it
    names; ``feeder`` adds a step that posts a form's text to the same host."""
    params: dict[str, Any] = {"method": "POST", "url": url, "options": {}}
    if body is not None:
        params |= {"sendBody": True, "specifyBody": "json", "jsonBody": body}
    nodes = [schedule("Every 5 minutes"), n8n_node("Run converter", "httpRequest", params,
                                                   version=4.2),
             n8n_node("Read output", "readWriteFile", {"fileSelector": "={{ $json.output_file }}",
                                                        "options": {}})]
    wires = chain("Every 5 minutes", "Run converter", "Read output")
    if feeder:
        nodes.append(n8n_node("Queue job", "httpRequest", {
            "method": "POST", "url": "http://converter:5055/jobs", "sendBody": True,
            "specifyBody": "json", "jsonBody": "={{ JSON.stringify($json) }}"}, version=4.2))
    return app_of(workflow("Converter", nodes, wires))


@pytest.mark.parametrize("url", ["http://host.docker.internal:5055/run",
                                 "http://converter:5055/run", "http://127.0.0.1:5055/run"])
def test_inj002_a_fixed_call_to_a_service_on_the_own_host_answers_known_data(url: str) -> None:
    app = _converter(url)
    assert findings_of(INJ002, app) == []
    assert [s.kind for s in app.stores if s.step_id == uid("Run converter")] == ["service"]


@pytest.mark.parametrize(("url", "body", "feeder"), [
    ("https://convert.example.com/run", None, False),  # a third party's answer
    ("http://converter:5055/run", '={"file": "{{ $json.name }}"}', False),  # values passed in
    ("http://converter:5055/run", None, True),  # another step feeds that host
])
def test_inj002_a_remote_answer_or_one_given_values_stays_of_unknown_origin(
        url: str, body: str | None, feeder: bool) -> None:
    f = one(findings_of(INJ002, _converter(url, body, feeder=feeder)))
    assert f.resource.id == uid("Read output")


# -- 3. a community node's "query" runs its own database's language, not SQL ----------------------
def _lookup(ntype: str, query: str, operation: str = "query") -> Any:
    """An open webhook looks a customer up with a community database node."""
    hook = webhook("Lookup", path="customers/lookup", method="POST")
    node = n8n_node("Find customer", ntype, {"operation": operation, "query": query})
    return app_of(workflow("Customer lookup", [hook, node], chain("Lookup", "Find customer")))


@pytest.mark.parametrize(("ntype", "language"), [
    ("n8n-nodes-mongodb-plus.mongoDbPlus", "MongoDB"),
    ("@acme/n8n-nodes-elasticsearch-query.elasticQuery", "Elasticsearch"),
])
def test_inj001_a_json_query_of_a_non_sql_community_node_is_judged_as_that_language(
        ntype: str, language: str) -> None:
    app = _lookup(ntype, '={"email": "{{ $json.body.email }}"}')
    f = one(findings_of(INJ001, app))
    assert f"{language} query" in f.message and "SQL" not in f.message
    safe = _lookup(ntype, '={"email": {{ JSON.stringify($json.body.email) }} }')
    assert findings_of(INJ001, safe) == [] and findings_of(INJ002, safe) == []


def test_inj001_a_community_sql_node_with_a_query_operation_still_runs_sql() -> None:
    app = _lookup("n8n-nodes-sqlite.sqlite",
                  "=SELECT * FROM customers WHERE email = '{{ $json.body.email }}'")
    assert "builds SQL" in one(findings_of(INJ001, app)).message


# -- 4. a click-to-chat link is a page, not a send API ---------------------------------------------
def _daily_digest(url: str) -> Any:
    """Every morning the customer sheet's rows go, as one text, to the manager's number."""
    rows = n8n_node("Customers", "googleSheets", {
        "documentId": {"__rl": True, "mode": "id", "value": "1CustomerSheet"},
        "sheetName": {"__rl": True, "mode": "name", "value": "Customers"}}, version=4.5)
    send = n8n_node("Send digest", "httpRequest", {
        "method": "POST", "url": url, "sendBody": True,
        "bodyParameters": {"parameters": [
            {"name": "to", "value": "+5511987654321"},
            {"name": "text", "value": "={{ JSON.stringify($json) }}"}]}}, version=4.2)
    nodes = [schedule("Every morning"), rows, send]
    return app_of(workflow("Digest", nodes, chain("Every morning", "Customers", "Send digest")))


def test_exp001_records_sent_through_a_messaging_send_api_leave() -> None:
    f = one(findings_of(EXP001, _daily_digest("https://graph.facebook.com/v19.0/1043/messages")))
    assert f.resource.id == uid("Send digest") and f.evidence["destination"] == "graph.facebook.com"


@pytest.mark.parametrize("url", ["https://api.whatsapp.com/send", "https://wa.me/5511987654321"])
def test_exp001_a_click_to_chat_link_delivers_nothing(url: str) -> None:
    assert findings_of(EXP001, _daily_digest(url)) == []


# -- 5. an open route that only asks a model on the own host answers; a billed one acts ------------
def _scorer(url: str, headers: list[dict[str, str]] | None = None) -> Any:
    """POST /score: the caller's text goes to a model, and the model's answer back."""
    hook = webhook("Score", path="score", method="POST")
    hook["parameters"]["responseMode"] = "responseNode"
    params: dict[str, Any] = {"method": "POST", "url": url, "sendBody": True,
                              "specifyBody": "json",
                              "jsonBody": "={{ JSON.stringify({model: 'llama3', "
                                          "prompt: $json.body.text}) }}", "options": {}}
    if headers:
        params |= {"sendHeaders": True, "headerParameters": {"parameters": headers}}
    ask = n8n_node("Ask model", "httpRequest", params, version=4.2)
    answer = n8n_node("Answer", "respondToWebhook", {"respondWith": "allIncomingItems",
                                                     "options": {}}, version=1.1)
    return app_of(workflow("Scorer", [hook, ask, answer], chain("Score", "Ask model", "Answer")))


@pytest.mark.parametrize("url", ["http://host.docker.internal:11434/api/generate",
                                 "http://ollama:11434/api/generate",
                                 "http://127.0.0.1:8000/v1/chat/completions"])
def test_auth001_a_route_that_only_asks_a_model_on_the_own_host_answers(url: str) -> None:
    app = _scorer(url)
    assert findings_of(AUTH001, app) == []
    assert "asks a model on the app's own host" in app.entry_points[0].effect_reason


@pytest.mark.parametrize(("url", "headers"), [
    ("https://api.openai.com/v1/chat/completions", None),  # billed per call
    ("http://ollama:11434/api/generate", [{"name": "Authorization",
                                           "value": "={{ 'Bearer ' + $env.LLM_KEY }}"}]),
    ("http://backend:8000/api/orders", None),  # another local service: may change something
])
def test_auth001_a_hosted_model_a_keyed_call_or_another_local_service_acts(
        url: str, headers: list[dict[str, str]] | None) -> None:
    f = one(findings_of(AUTH001, _scorer(url, headers)))
    assert f.evidence["effect"] == "acts"


# -- 6. a bot that polls Telegram reads anyone's messages; a table written over REST is a write ----
POLL = "=https://api.telegram.org/bot{{ $env.BOT_TOKEN }}/getUpdates?offset={{ $json.offset }}"


def _polling_bot(poll_url: str, write_url: str, method: str = "POST") -> Any:
    """Every 15 s: fetch the bot's updates, let a model turn the text into an order, then
    write the customer named in the model's answer."""
    fetch = n8n_node("Updates", "httpRequest", {"url": poll_url, "options": {}}, version=4.2)
    model = n8n_node("Read order", "httpRequest", {
        "method": "POST", "url": "https://api.openai.com/v1/chat/completions",
        "sendBody": True, "specifyBody": "json",
        "jsonBody": "={{ JSON.stringify({model: 'gpt-4o-mini', messages: [{role: 'user', "
                    "content: $json.result[0].message.text}]}) }}"}, version=4.2)
    write = n8n_node("Save customer", "httpRequest", {
        "method": method, "url": write_url, "sendBody": True, "specifyBody": "json",
        "jsonBody": "={{ JSON.stringify({chat_id: $json.choices[0].message.content}) }}"},
        version=4.2)
    nodes = [schedule("Every 15 s"), fetch, model, write]
    return app_of(workflow("Orders bot", nodes, chain(*(n["name"] for n in nodes))))


UPSERT = "=https://{{ $env.PROJECT }}.supabase.co/rest/v1/customers?on_conflict=chat_id"


@pytest.mark.parametrize(("url", "method", "what"), [
    (UPSERT, "POST", "upserts rows of customers"),
    ("=https://{{ $env.PROJECT }}.supabase.co/rest/v1/customers?chat_id=eq.1", "PATCH",
     "updates rows of customers")])
def test_inj003_polled_telegram_text_steers_a_model_whose_answer_rewrites_rows(
        url: str, method: str, what: str) -> None:
    f = one(findings_of(INJ003, _polling_bot(POLL, url, method)))
    assert f.resource.id == uid("Save customer")
    assert "Telegram bot messages (polled with getUpdates)" in f.message and what in f.message


@pytest.mark.parametrize(("poll", "url"), [
    ("=https://api.telegram.org/bot{{ $env.BOT_TOKEN }}/getMe", UPSERT),  # not its messages
    (POLL, "=https://{{ $env.PROJECT }}.supabase.co/rest/v1/orders"),  # a new row, recorded
])
def test_inj003_no_messages_read_or_a_row_only_added_is_no_steered_action(poll: str,
                                                                          url: str) -> None:
    assert findings_of(INJ003, _polling_bot(poll, url)) == []


# -- 7. a file downloaded from the owner's drive travels in the item's binary ---------------------
def _welcome(*, attach: bool, download: str = "download") -> Any:
    """A public form's address gets a welcome mail; the company handbook is downloaded from
    Drive first, and (``attach``) sent along as an attachment."""
    form = n8n_node("Join form", "formTrigger", {"formTitle": "Join", "formFields": {
        "values": [{"fieldLabel": "Email"}]}}, version=2.2, webhook=True)
    drive = n8n_node("Download handbook", "googleDrive", {
        "operation": download, "fileId": {"__rl": True, "mode": "id", "value": "1HbK"}},
        version=3)
    options: dict[str, Any] = {"attachmentsUi": {"attachmentsBinary": [{"property": "data"}]}} \
        if attach else {}
    mail = n8n_node("Welcome mail", "gmail", {
        "sendTo": "={{ $('Join form').item.json.Email }}", "subject": "Welcome",
        "message": "=Your handbook: {{ $json.handbook_link }}", "options": options},
        version=2.1)
    nodes = [form, drive, mail]
    return app_of(workflow("Onboarding", nodes, chain(*(n["name"] for n in nodes))))


def test_exp001_a_drive_file_attached_to_a_mail_to_any_address_leaves() -> None:
    f = one(findings_of(EXP001, _welcome(attach=True)))
    assert f.resource.id == uid("Welcome mail") and f.evidence["store_kind"] == "drive file"
    assert f.evidence["labels"] == ["internal documents"]


@pytest.mark.parametrize(("attach", "download"), [(False, "download"), (True, "list")])
def test_exp001_a_drive_file_not_attached_or_no_download_sends_none_of_it(
        attach: bool, download: str) -> None:
    # a field picked by name (the link, after the download) holds none of the file itself
    assert findings_of(EXP001, _welcome(attach=attach, download=download)) == []


def test_a_drive_download_keeps_the_item_it_was_given() -> None:
    """n8n's download adds the file beside the item's own fields: what came before (the
    form's answers) still reaches the steps after it."""
    app = _welcome(attach=True)
    flow = dataflow(app)
    given = flow.origins(uid("Welcome mail"), (ValueRef("field", "Email", path="$json.Email"),))
    assert {o.kind for o in given} == {"entry", "store"}
