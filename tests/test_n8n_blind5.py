"""Patterns of the fifth blind set of real n8n exports, distilled in our own words: a
Telegram Mini App back end that verifies initData in a Code node and the user id that check
pins; PostgREST filters in a query string; a workflow left with only empty connection lists;
path traversal named as such; one INJ003 for the branches a model's answer picks. Each fires
on the bad shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import AUTH001, AUTH004, EXP001, INJ001, INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow

# -- C: a Mini App back end verifies Telegram's signed initData, then pins the user id -----------
VERIFY_INIT_DATA = """
const body = $input.first().json.body || {};
const initData = body.init_data || '';
const fields = new URLSearchParams(initData);
const sent = fields.get('hash');
fields.delete('hash');
const signed = [...fields.entries()].sort().map(([k, v]) => k + '=' + v).join('\\n');
const key = hmacSha256('WebAppData', $env.BOT_TOKEN);
if (hexHmacSha256(key, signed) !== sent) {
  return [{json: {...$input.first().json, verified: false}}];
}
const user = JSON.parse(fields.get('user') || '{}');
const claimed = String(body.user_id || '');
if (String(user.id) !== claimed) {
  return [{json: {...$input.first().json, verified: false}}];
}
return [{json: {...$input.first().json, verified: true}}];
"""


def _mini_app(code: str, refuse: bool = True, *, sql: str = "") -> dict[str, Any]:
    """open webhook → Code (``code``) → If verified → spend credits (``sql``) / 403."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "spend",
                                           "responseMode": "responseNode", "options": {}},
                    version=2, webhook=True)
    check = n8n_node("Check initData", "code", {"jsCode": code}, version=2)
    test = n8n_node("Verified?", "if", {"conditions": {"conditions": [
        {"leftValue": "={{ $json.verified }}", "rightValue": "",
         "operator": {"type": "boolean", "operation": "true", "singleValue": True}}],
        "combinator": "and"}, "options": {}}, version=2)
    spend = n8n_node("Spend credits", "postgres", {
        "operation": "executeQuery", "options": {},
        "query": sql or "=UPDATE users SET credits = credits - 1 WHERE id = "
                        "{{ $json.body.user_id }}"}, version=2.5)
    refused = n8n_node("Refuse", "respondToWebhook", {
        "respondWith": "json", "responseBody": "{\"error\": \"unauthorized\"}",
        "options": {"responseCode": 403 if refuse else 200}}, version=1.1)
    connections = chain("Webhook", "Check initData", "Verified?")
    connections["Verified?"] = {"main": [[{"node": "Spend credits", "type": "main", "index": 0}],
                                         [{"node": "Refuse", "type": "main", "index": 0}]]}
    return workflow("Mini app", [hook, check, test, spend, refused], connections)


def test_initdata_verified_in_code_and_refused_on_a_branch_is_a_guard() -> None:
    app = app_of(_mini_app(VERIFY_INIT_DATA))
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert f.resource.id == uid("Webhook")
    assert "Telegram Mini App initData" in f.evidence["guard"]["compares"]
    assert f.evidence["guard"]["on_failure"].startswith("responds 403 ('Refuse')")


@pytest.mark.parametrize(("code", "refuse"), [
    (VERIFY_INIT_DATA, False),  # the other branch answers 200: the check decides nothing
    (VERIFY_INIT_DATA.replace("'WebAppData'", "'SomeKey'"), True),  # not Telegram's scheme
])
def test_initdata_look_alikes_stay_open(code: str, refuse: bool) -> None:
    app = app_of(_mini_app(code, refuse))
    assert one(findings_of(AUTH001, app)).resource.id == uid("Webhook")


def test_the_user_id_the_check_pins_is_no_caller_text_for_inj001() -> None:
    assert findings_of(INJ001, app_of(_mini_app(VERIFY_INIT_DATA))) == []
    through_code = "=UPDATE users SET credits = 0 WHERE id = " \
                   "{{ $('Webhook').first().json.body.user_id }}"
    assert findings_of(INJ001, app_of(_mini_app(VERIFY_INIT_DATA, sql=through_code))) == []


@pytest.mark.parametrize("sql", [
    # the prompt in the same body is the caller's own text
    "=INSERT INTO jobs (user_id, prompt) VALUES ({{ $json.body.user_id }}, "
    "'{{ $json.body.prompt }}')",
    # a field the check does not compare
    "=UPDATE users SET credits = 0 WHERE id = {{ $json.body.referrer_id }}"])
def test_other_fields_of_a_verified_request_stay_caller_text(sql: str) -> None:
    f = one(findings_of(INJ001, app_of(_mini_app(VERIFY_INIT_DATA, sql=sql))))
    assert f.resource.id == uid("Spend credits")
    assert "callers must authenticate" in f.message


def test_without_the_comparison_the_user_id_stays_caller_text() -> None:
    unpinned = VERIFY_INIT_DATA.replace("String(user.id) !== claimed", "!user.id")
    assert one(findings_of(INJ001, app_of(_mini_app(unpinned)))).resource.id == \
        uid("Spend credits")


# -- miss 1: a caller's value pasted into a PostgREST filter of a fixed host's query string -----
def _lookup(url: str) -> dict[str, Any]:
    """open webhook (a messaging platform's events) → a Supabase REST lookup at ``url``."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "wa-events",
                                           "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)
    look = n8n_node("Find chat", "httpRequest", {
        "url": url, "sendHeaders": True, "headerParameters": {"parameters": [
            {"name": "apikey", "value": "={{ $env.SUPABASE_ANON_KEY }}"}]}, "options": {}},
        version=4.2)
    return workflow("Chat lookup", [hook, look], chain("Webhook", "Find chat"))


BASE_URL = "=https://abcd1234.supabase.co/rest/v1/chats?"


@pytest.mark.parametrize("query", [
    "phone=eq.{{ $json.body.from }}&select=bot_on",
    "select=id&message_id=eq.{{$json.body.id}}",
    "id=in.({{ $json.body.ids }})",
    "or=(phone.eq.{{ $json.body.from }},alias.eq.x)",
    "id=in.({{ encodeURIComponent($json.body.ids) }})"])  # the list's comma is decoded first
def test_inj001_sees_a_caller_value_in_a_postgrest_filter(query: str) -> None:
    f = one(findings_of(INJ001, app_of(_lookup(BASE_URL + query))))
    assert f.resource.id == uid("Find chat")
    assert f.evidence["parameter"] == "url query filter"
    assert f.severity.name == "HIGH"


@pytest.mark.parametrize("url", [
    BASE_URL + "phone={{ $json.body.from }}",  # a plain parameter: it picks, it filters nothing
    BASE_URL + "phone=eq.{{ encodeURIComponent($json.body.from) }}",  # its & stays text
    BASE_URL[1:] + "phone=eq.{{ $json.body.from }}",  # no leading =: n8n sends the braces
    "=https://api.example.org/v1/search?status=open&limit={{ $json.body.n }}",
    BASE_URL + "phone=eq.{{ $now.toISO() }}"])  # the platform's clock, not the caller
def test_inj001_quiet_on_query_strings_that_filter_nothing_a_caller_writes(url: str) -> None:
    assert findings_of(INJ001, app_of(_lookup(url))) == []


# -- E: a workflow an instance wrote whose only connections are the editor's empty lists ---------
def _unlinked_bot(connections: dict[str, Any], *, instance: bool = True) -> dict[str, Any]:
    """A Telegram trigger and an agent with a posting tool, joined by ``connections``."""
    trigger = n8n_node("Telegram Trigger", "telegramTrigger", {"updates": ["message"]},
                       version=1.2, webhook=True)
    agent = n8n_node("Autopilot", "@n8n/n8n-nodes-langchain.agent", {
        "promptType": "define", "text": "={{ $json.message.text }}"}, version=2)
    post = n8n_node("Post reply", "telegramTool", {
        "chatId": "={{ $fromAI('chat') }}", "text": "={{ $fromAI('text') }}"}, version=1.2)
    wf = workflow("Autopilot", [trigger, agent, post], connections, active=False)
    if not instance:  # a collection's edited copy: the instance's fields are gone
        for key in ("createdAt", "updatedAt"):
            wf.pop(key)
    return wf


EMPTY_LISTS = {"Post reply": {"ai_tool": [[]]}, "Telegram Trigger": {"main": [[]]}}


def test_auth001_quiet_on_an_instance_workflow_with_only_empty_connection_lists() -> None:
    assert findings_of(AUTH001, app_of(_unlinked_bot(EMPTY_LISTS))) == []


@pytest.mark.parametrize(("connections", "instance"), [
    (EMPTY_LISTS, False),  # a collection may have dropped the wiring: judged by every step
    ({"Telegram Trigger": {"main": [[{"node": "Autopilot", "type": "main", "index": 0}]]},
      "Post reply": {"ai_tool": [[{"node": "Autopilot", "type": "ai_tool", "index": 0}]]}},
     True)])
def test_auth001_sees_the_bot_when_wired_or_when_the_wiring_may_be_lost(
        connections: dict[str, Any], instance: bool) -> None:
    f = one(findings_of(AUTH001, app_of(_unlinked_bot(connections, instance=instance))))
    assert f.resource.id == uid("Telegram Trigger")


# -- odd output: a caller's value pasted into a file path a JSON body sends is path traversal ----
def _scan_request(body: str) -> dict[str, Any]:
    """open webhook → a request to an internal scanner service with JSON ``body``."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "chat-sync",
                                           "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)
    send = n8n_node("Ask scanner", "httpRequest", {
        "method": "POST", "url": "=http://scanner:5555/upload", "sendBody": True,
        "specifyBody": "json", "jsonBody": body, "options": {}}, version=4.2)
    return workflow("Sync", [hook, send], chain("Webhook", "Ask scanner"))


@pytest.mark.parametrize("body", [
    '={"file_path": "/cloud-data{{ $json.body.file }}"}',
    '={"target": "/srv/uploads/{{ $json.body.name }}", "mode": "scan"}'])
def test_inj001_names_path_traversal_where_the_value_builds_a_file_path(body: str) -> None:
    f = one(findings_of(INJ001, app_of(_scan_request(body))))
    assert "path traversal" in f.message


@pytest.mark.parametrize("body", [
    '={"note": "{{ $json.body.file }}"}',  # a plain text value: a quote is what it can do
    '={"media": "https://cdn.example.org/a.pdf", "fileName": "{{ $json.body.name }}"}',  # a label
    '={"file_path": "/cloud-data/{{ $env.SCAN_DIR }}", "note": "{{ $json.body.text }}"}'])
def test_inj001_keeps_json_injection_where_no_caller_value_builds_a_path(body: str) -> None:
    f = one(findings_of(INJ001, app_of(_scan_request(body))))
    assert "JSON injection" in f.message and "path traversal" not in f.message


# -- odd output: one finding for the workflows a branch runs when the model's answer picks them --
def _model_routes_to(*targets: str) -> dict[str, Any]:
    """open webhook → agent → Switch on its answer's intent → one Execute Workflow per
    ``targets`` (each run when the intent names it)."""
    hook = n8n_node("Webhook", "webhook", {"httpMethod": "POST", "path": "lead",
                                           "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)
    agent = n8n_node("Score lead", "@n8n/n8n-nodes-langchain.agent", {
        "promptType": "define", "text": "=Score this lead: {{ $json.body.note }}"}, version=2)
    rules = [{"conditions": {"conditions": [{"leftValue": "={{ $json.output.intent }}",
                                             "rightValue": t.lower(),
                                             "operator": {"type": "string",
                                                          "operation": "equals"}}],
                             "combinator": "and"}} for t in targets]
    switch = n8n_node("Intent", "switch", {"rules": {"values": rules}, "options": {}},
                      version=3.2)
    runs = [n8n_node(f"Run {t}", "executeWorkflow", {
        "workflowId": {"__rl": True, "mode": "list", "value": f"wf{t}",
                       "cachedResultName": t}}, version=1.2) for t in targets]
    connections = chain("Webhook", "Score lead", "Intent")
    connections["Intent"] = {"main": [[{"node": f"Run {t}", "type": "main", "index": 0}]
                                      for t in targets]}
    return workflow("Lead router", [hook, agent, switch, *runs], connections)


def test_inj003_reports_the_branches_a_models_answer_picks_once() -> None:
    f = one(findings_of(INJ003, app_of(_model_routes_to("Hot", "Warm", "Cold"))))
    assert f.resource.id == uid("Run Hot")
    assert f.evidence["action_steps"] == [uid("Run Hot"), uid("Run Warm"), uid("Run Cold")]
    assert "3 steps act on its answer" in f.message


def test_inj003_one_branch_keeps_its_own_message() -> None:
    f = one(findings_of(INJ003, app_of(_model_routes_to("Hot"))))
    assert f.resource.id == uid("Run Hot")
    assert f.message.endswith("when 'Intent' picks it with its answer")


# -- miss 2: a command reading the instance's own SQLite database is a read of its workflows -----
SQLITE_QUERY = ("sqlite3 ~/.n8n/database.sqlite \"SELECT json_group_array(json_object('id', id, "
                "'nodes', nodes)) FROM workflow_entity;\"")


def _sqlite_backup(command: str, content: str) -> dict[str, Any]:
    """schedule → Execute Command (``command``) → a GitHub file commit of ``content``."""
    run = n8n_node("Dump", "executeCommand", {"command": command})
    push = n8n_node("Push to GitHub", "github", {
        "resource": "file", "owner": {"__rl": True, "value": "acme", "mode": "name"},
        "repository": {"__rl": True, "value": "n8n-backup", "mode": "name"},
        "filePath": "workflows.json", "fileContent": content, "commitMessage": "backup"},
        version=1)
    trigger = n8n_node("Schedule Trigger", "scheduleTrigger", {"rule": {"interval": [
        {"field": "months"}]}}, version=1.2)
    return workflow("Backup", [trigger, run, push],
                    chain("Schedule Trigger", "Dump", "Push to GitHub"))


@pytest.mark.parametrize("command", [
    SQLITE_QUERY, "sqlite3 /home/node/.n8n/database.sqlite .dump > /tmp/a.sql && cat /tmp/a.sql"])
def test_exp001_sees_the_instance_database_read_by_sqlite3_and_committed(command: str) -> None:
    f = one(findings_of(EXP001, app_of(_sqlite_backup(command, "={{ $json.stdout }}"))))
    assert f.resource.id == uid("Push to GitHub")
    assert "app configuration" in f.evidence["labels"]


@pytest.mark.parametrize(("command", "content"), [
    ("sqlite3 /srv/shop/orders.db .dump", "={{ $json.stdout }}"),  # another app's database
    (SQLITE_QUERY, "{{ $json.stdout }}"),  # no leading =: n8n commits the braces as text
    ("sqlite3 ~/.n8n/database.sqlite \"SELECT count(*) FROM user;\"", "={{ $json.stdout }}")])
def test_exp001_quiet_on_other_databases_tables_and_literal_content(command: str,
                                                                    content: str) -> None:
    labels = [f.evidence.get("labels") for f in
              findings_of(EXP001, app_of(_sqlite_backup(command, content)))]
    assert not any(ls and "app configuration" in ls for ls in labels), labels
