"""Patterns of the eighth blind set of real n8n exports (and the main corpus' leads behind them),
distilled in our own words: a community database node running the SQL of its parameters; the
docker host alias as the machine itself; a guest's own confirmation sent through a mail or
messaging API; an authenticated API serving its own users; a model a team serves itself,
called by plain HTTP; the caller's text in a mail's HTML; an editor download without meta.
Each fires on the bad shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import PROMPT_SINKS, dataflow
from pytest_nocode.model import DataStore
from tests.checkrun import findings_of, ids, one, scan
from tests.rules import ENC001, EXP001, EXP002, INJ001, INJ002, INV002
from tests.test_checks_n8n import app_of, chain, code, n8n_node, uid, webhook, workflow


# -- 1. a community database node runs the SQL of its parameters ----------------------------------
def _community(node_type: str, params: dict[str, Any], *, built_by_code: bool = False,
               active: bool = True) -> Any:
    """An open upload webhook whose data reaches a community node (through a Code node that
    writes the whole statement, with ``built_by_code``)."""
    entry = webhook("Upload", path="upload-rows", method="POST")
    node = n8n_node("Import", node_type, params)
    nodes = [entry, node]
    names = [entry["name"], node["name"]]
    if built_by_code:
        build = code("Build SQL", "const rows = $input.all();\n"
                     "const values = rows.map(r => `('${r.json.body.name}')`).join(', ');\n"
                     "const sqlQuery = `INSERT INTO imports (name) VALUES ${values}`;\n"
                     "return [{ json: { sqlQuery } }];")
        nodes.insert(1, build)
        names.insert(1, build["name"])
    return app_of(workflow("Row import", nodes, chain(*names), active=active))


def test_a_community_sql_node_pasting_the_callers_text_is_an_injection() -> None:
    app = _community("n8n-nodes-firebird.firebird", {
        "operation": "executeQuery",
        "query": "=SELECT * FROM customers WHERE name = '{{ $json.body.name }}'"})
    f = one(findings_of(INJ001, app))
    assert f.resource.id == uid("Import") and f.evidence["sink"] == "sql"
    assert [s.kind for s in app.stores if s.step_id == uid("Import")] == ["database"]


def test_a_whole_statement_a_code_node_builds_from_the_upload_reaches_it() -> None:
    app = _community("n8n-nodes-firebird.firebird",
                     {"operation": "executeQuery", "query": "={{ $json.sqlQuery }}"},
                     built_by_code=True)
    assert ids(findings_of(INJ001, app)) == {uid("Import")}


def test_the_statement_field_may_be_called_sql_and_the_operation_suiteql() -> None:
    app = _community("n8n-nodes-suiteql.suiteQl",
                     {"operation": "runSuiteQL", "sql": "={{ $json.body.suiteql }}"})
    assert one(findings_of(INJ001, app)).evidence["parameter"] == "sql"


def test_a_fixed_community_query_is_quiet() -> None:
    app = _community("n8n-nodes-sqlite.sqlite", {"operation": "executeQuery",
                                                 "query": "SELECT id, title FROM notes"})
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []
    assert [s.operation for s in app.stores if s.step_id == uid("Import")] == ["query"]


@pytest.mark.parametrize("node_type, params", [
    # a web search node's "query" is the text searched for, and no operation says SQL
    ("@tavily/n8n-nodes-tavily.tavily", {"query": "={{ $json.body.name }}"}),
    # a GraphQL node's query is no SQL either
    ("n8n-nodes-hasura.hasura", {"operation": "graphql", "query": "={{ $json.body.name }}"}),
])
def test_a_search_or_graphql_nodes_query_is_no_sql(node_type: str, params: dict[str, Any]
                                                    ) -> None:
    app = _community(node_type, params)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []
    assert not any(isinstance(s, DataStore) and s.step_id == uid("Import")
                   for s in app.stores)


# -- 2. the docker host alias is the machine itself -----------------------------------------------
def _obfuscate(host: str) -> Any:
    """An open chat webhook whose text a service at ``host`` swaps for tokens; the next step
    keeps the token map the service answers with (a name labelled as credentials)."""
    entry = webhook("Chat in", path="chat", method="POST")
    call = n8n_node("Obfuscate", "httpRequest", {
        "method": "POST", "url": f"http://{host}:8000/obfuscate", "sendBody": True,
        "bodyParameters": {"parameters": [{"name": "text", "value": "={{ $json.body.message }}"}]},
        "options": {}}, version=4.2)
    keep = n8n_node("Keep map", "set", {"assignments": {"assignments": [
        {"id": "a1", "name": "token_map", "value": "={{ $json.token_map }}", "type": "object"}]},
        "options": {}}, version=3.4)
    return app_of(workflow("Vault chat", [entry, call, keep],
                           chain("Chat in", "Obfuscate", "Keep map")))


@pytest.mark.parametrize("host", ["host.docker.internal", "host.containers.internal"])
def test_credentials_crossing_to_the_docker_host_stay_on_the_machine(host: str) -> None:
    assert findings_of(ENC001, _obfuscate(host)) == []


def test_credentials_crossing_a_compose_service_are_still_reported() -> None:
    f = one(findings_of(ENC001, _obfuscate("vault")))
    assert f.message == "HTTP without TLS to vault:8000 bringing back credentials"


# -- 3. a guest's own confirmation through a mail or messaging API --------------------------------
def _booking(url: str, body: list[tuple[str, str]]) -> Any:
    entry = webhook("Booking", path="booking-success", method="POST")
    send = n8n_node("Confirm", "httpRequest", {
        "method": "POST", "url": url, "sendBody": True,
        "bodyParameters": {"parameters": [{"name": k, "value": v} for k, v in body]},
        "options": {}}, version=4.2)
    return app_of(workflow("Bookings", [entry, send], chain("Booking", "Confirm")))


GUEST_MAIL = [("to", "={{ [{ email: $json.body.data.email, name: $json.body.data.guestName }] }}"),
              ("subject", "=Booking confirmed"),
              ("htmlContent", "={{ '<p>Hi ' + $json.body.data.guestName + '</p>' }}")]


@pytest.mark.parametrize("url, body", [
    ("https://api.brevo.com/v3/smtp/email", GUEST_MAIL),
    ("https://api.sendgrid.com/v3/mail/send", GUEST_MAIL),
    ("https://api.whatsapp.com/send", [("phone", "={{ $json.body.data.userPhone }}"),
                                       ("message", "={{ $json.body.messages.client }}")]),
])
def test_the_callers_own_data_sent_back_to_them_by_a_send_api_stays(url: str,
                                                                    body: list[tuple[str, str]]
                                                                    ) -> None:
    assert findings_of(EXP001, _booking(url, body)) == []


def test_the_same_record_posted_to_another_api_of_that_provider_leaves() -> None:
    # a contacts import is a copy of the record, not a message to its subject
    f = one(findings_of(EXP001, _booking("https://api.brevo.com/v3/contacts", GUEST_MAIL)))
    assert f.evidence["destination"] == "api.brevo.com"


# -- 4. an authenticated API serves its own users -------------------------------------------------
def _crud(*, guarded: bool) -> Any:
    """A CRUD webhook that reads rows and answers with them; ``guarded``: a Code node first
    compares the caller's bearer token and an If stops with 401 on a mismatch."""
    entry = webhook("CRUD", path="crud/v1/items", method="POST")
    entry["parameters"]["responseMode"] = "responseNode"
    read = n8n_node("Read rows", "postgres", {
        "operation": "executeQuery", "query": "SELECT id, name, email FROM customers"},
        version=2.5, credentials={"postgres": ("4VucwEHGMX3gY66g", "CRM DB")})
    answer = n8n_node("Answer", "respondToWebhook", {"respondWith": "allIncomingItems",
                                                     "options": {}}, version=1.1)
    nodes = [entry, read, answer]
    connections = chain("CRUD", "Read rows", "Answer")
    if guarded:
        check = code("Check token", "const auth = $json.headers.authorization;\n"
                     "return [{ json: { valid: auth === 'Bearer ' + $env.CRUD_TOKEN } }];")
        gate = n8n_node("Valid?", "if", {"conditions": {"options": {"caseSensitive": True},
                                                       "conditions": [{
            "leftValue": "={{ $json.valid }}", "rightValue": True,
            "operator": {"type": "boolean", "operation": "true", "singleValue": True}}],
            "combinator": "and"}, "options": {}}, version=2)
        deny = n8n_node("Deny", "respondToWebhook", {"respondWith": "json",
                                                     "responseBody": '{"error": "unauthorized"}',
                                                     "options": {"responseCode": 401}},
                        version=1.1)
        nodes = [entry, check, gate, read, answer, deny]
        connections = {**chain("CRUD", "Check token", "Valid?"),
                       "Valid?": {"main": [[{"node": "Read rows", "type": "main", "index": 0}],
                                           [{"node": "Deny", "type": "main", "index": 0}]]},
                       **chain("Read rows", "Answer")}
    return app_of(workflow("CRUD API", nodes, connections))


def test_an_open_route_answering_with_rows_is_a_download_channel() -> None:
    assert ids(findings_of(EXP002, _crud(guarded=False))) == {uid("Read rows")}


def test_rows_served_after_the_flows_token_check_go_to_its_own_users() -> None:
    assert findings_of(EXP002, _crud(guarded=True)) == []


# -- 5. a model the team serves itself, called by plain HTTP --------------------------------------
def _ask(url: str) -> Any:
    entry = webhook("CV in", path="upload-cv", method="POST")
    ask = n8n_node("Ask model", "httpRequest", {
        "method": "POST", "url": url, "sendBody": True, "specifyBody": "json",
        "jsonBody": '={ "model": "qwen2.5:7b", "prompt": {{ JSON.stringify($json.body.cv) }} }',
        "options": {}}, version=4.2)
    return app_of(workflow("CV intake", [entry, ask], chain("CV in", "Ask model")))


@pytest.mark.parametrize("url", ["http://host.docker.internal:11434/api/generate",
                                 "http://ollama:11434/api/chat",
                                 "http://ollama.lan/api/generate",
                                 "http://10.0.0.7:1234/v1/chat/completions"])
def test_an_ollama_or_openai_compatible_server_is_prompted(url: str) -> None:
    app = _ask(url)
    assert dataflow(app).sinks_of(uid("Ask model"), PROMPT_SINKS)


@pytest.mark.parametrize("url", ["http://backend:8080/api/generate",
                                 "http://reports:11434/api/report"])
def test_an_apps_own_generate_route_is_no_model(url: str) -> None:
    assert not dataflow(_ask(url)).sinks_of(uid("Ask model"), PROMPT_SINKS)


# -- 6. the HTML body of a mail built from the caller's text --------------------------------------
def _mail(node: dict[str, Any]) -> Any:
    entry = webhook("Booking", path="booking-success", method="POST")
    return app_of(workflow("Bookings", [entry, node], chain("Booking", node["name"])))


def _gmail(message: str, **extra: Any) -> dict[str, Any]:
    return n8n_node("Confirm", "gmail", {"sendTo": "frontdesk@resort.example",
                                         "subject": "New booking", "message": message,
                                         "options": {}, **extra}, version=2.1)


def test_the_callers_text_pasted_into_a_mails_html_is_an_injection() -> None:
    f = one(findings_of(INJ001, _mail(_gmail("=<p>Guest: <b>{{ $json.body.guestName }}</b></p>"))))
    assert (f.evidence["sink"], f.evidence["parameter"]) == ("markup", "message")


def test_the_html_field_of_a_mail_api_request_is_that_mails_body() -> None:
    node = n8n_node("Confirm", "httpRequest", {
        "method": "POST", "url": "https://api.brevo.com/v3/smtp/email", "sendBody": True,
        "bodyParameters": {"parameters": [
            {"name": "to", "value": "={{ [{ email: $json.body.email }] }}"},
            {"name": "htmlContent", "value": "={{ '<p>Hi ' + $json.body.guestName + '</p>' }}"}]},
        "options": {}}, version=4.2)
    assert one(findings_of(INJ001, _mail(node))).evidence["parameter"] == "htmlContent"


@pytest.mark.parametrize("node", [
    # a plain-text mail: markup in a value is shown as text
    _gmail("=Guest: {{ $json.body.guestName }}", emailType="text"),
    # a fixed HTML body: nothing of the caller's in it
    _gmail("<p>A new booking arrived.</p>"),
    # the same HTML field posted to an API that sends no mail
    n8n_node("Confirm", "httpRequest", {
        "method": "POST", "url": "https://crm.resort.example/api/notes", "sendBody": True,
        "bodyParameters": {"parameters": [
            {"name": "htmlContent", "value": "={{ '<p>' + $json.body.guestName + '</p>' }}"}]},
        "options": {}}, version=4.2),
])
def test_plain_text_fixed_html_or_no_mail_is_no_mail_markup(node: dict[str, Any]) -> None:
    assert not any(f.evidence.get("sink") == "markup" for f in findings_of(INJ001, _mail(node)))


# -- 7. an editor download whose owner removed meta -----------------------------------------------

def _download(**fields: Any) -> Any:
    """An inactive workflow holding a stored credential, as a file without timestamps."""
    bot = n8n_node("Reply", "telegram", {"chatId": "42", "text": "hi"},
                   credentials={"telegramApi": ("6c35ljvgnXFScwmz", "Telegram account")})
    wf = workflow("Clipper", [bot], {}, active=False)
    for key in ("createdAt", "updatedAt", "meta", "id", "versionId"):
        wf.pop(key, None)
    wf.update(fields)
    return app_of(wf)


def test_a_download_without_meta_but_with_the_instances_ids_is_instance_state() -> None:
    app = _download(id="CcdzQM3NSiT5ugM2", versionId="ebf8e8a4-9c3f-408d-a863-f22f1e12c9ec")
    assert one(findings_of(INV002, app)).evidence["credentials"] == ["Telegram account"]


@pytest.mark.parametrize("fields", [
    {"id": "clipper-workflow", "versionId": "ebf8e8a4-9c3f-408d-a863-f22f1e12c9ec"},
    {"id": "CcdzQM3NSiT5ugM2", "versionId": "1"},
    {"id": "CcdzQM3NSiT5ugM2"},
    {"id": "CcdzQM3NSiT5ugM2", "versionId": "ebf8e8a4-9c3f-408d-a863-f22f1e12c9ec",
     "meta": {"templateCredsSetupCompleted": True}},
])
def test_hand_made_ids_or_a_template_meta_say_nothing_of_the_instance(fields: dict[str, Any]
                                                                        ) -> None:
    assert not scan(INV002, _download(**fields))


def test_a_gmail_draft_is_no_mail_sent_but_a_thread_reply_is() -> None:
    html = "=<p>Guest: <b>{{ $json.body.guestName }}</b></p>"
    drafted = findings_of(INJ001, _mail(_gmail(html, resource="draft")))
    assert not any(f.evidence.get("sink") == "markup" for f in drafted)
    replied = one(findings_of(INJ001, _mail(_gmail(html, resource="thread", operation="reply"))))
    assert (replied.evidence["sink"], replied.evidence["parameter"]) == ("markup", "message")
