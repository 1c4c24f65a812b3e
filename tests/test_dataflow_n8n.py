"""The data-flow engine on n8n, and the checks built on it: SQL nodes that substitute {{ }}
without '=', values of known origin, AI agents and their tools, called workflows, file paths,
trust zones. Each pattern is distilled from real exports, written in our own words, and tested
in both directions."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from pytest_nocode.errors import InputError
from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one, policy
from tests.rules import ENC001, ENC002, EXP001, EXP002, INJ001, INJ002
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    http_request,
    n8n_node,
    postgres,
    respond,
    schedule,
    uid,
    webhook,
    wid,
    workflow,
)

LC = "@n8n/n8n-nodes-langchain."


def _sql_after_webhook(ntype: str, version: float, query: str, **extra: Any
                       ) -> dict[str, Any]:
    db = n8n_node("Find customer", ntype, {"operation": "executeQuery", "query": query,
                                           "options": {}, **extra}, version=version,
                  credentials={"postgres": ("pgCred0001", "CRM DB")})
    nodes = [webhook(path="customers", method="GET"), db, respond()]
    return workflow("Customer lookup", nodes,
                    chain("Webhook", "Find customer", "Respond to Webhook"))


@pytest.mark.parametrize(("ntype", "version"), [
    ("postgres", 2.5), ("mySql", 2.4), ("microsoftSql", 1), ("postgresTool", 2.6)])
def test_inj001_sql_node_substitutes_braces_without_a_leading_equals(ntype: str,
                                                                     version: float) -> None:
    wf = _sql_after_webhook(ntype, version,
                            "SELECT * FROM customers WHERE email = '{{ $json.query.email }}'")
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Find customer")
    assert f.evidence["sink"] == "sql" and f.evidence["source"] == "webhook customers"
    assert f.evidence["route"] == [uid("Webhook"), uid("Find customer")]
    assert "{{ }}" in f.message


@pytest.mark.parametrize("query", [
    "SELECT * FROM customers WHERE email = $1",  # bound parameter
    "SELECT count(*) FROM customers",
    "SELECT * FROM runs WHERE execution = '{{ $execution.id }}' AND at < '{{ $now }}'",
])
def test_inj001_parameterised_fixed_or_platform_valued_sql_is_quiet(query: str) -> None:
    app = app_of(_sql_after_webhook("postgres", 2.5, query,
                                    queryReplacement="={{ $json.query.email }}"))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_inj001_postgres_v1_does_not_substitute_braces_without_equals() -> None:
    wf = _sql_after_webhook("postgres", 1, "SELECT * FROM t WHERE a = '{{ $json.query.a }}'")
    assert findings_of(INJ001, app_of(wf)) == []


def _command_after_webhook(command: str) -> dict[str, Any]:
    nodes = [webhook(path="convert", method="POST"), execute_command("Convert", command)]
    return workflow("Converter", nodes, chain("Webhook", "Convert"))


@pytest.mark.parametrize("command", [
    "=mkdir -p /tmp/job-{{ $execution.id }} && ls /tmp/job-{{ $execution.id }}",
    "=echo '{{ $binary.data.data }}' | base64 -d > /tmp/in.pdf",
    "=echo {{ Buffer.from($json.body.text).toString('base64') }} | base64 -d",
    "=cat /srv/reports/{{ $workflow.id }}.txt",
])
def test_inj001_command_with_only_known_or_encoded_values_is_quiet(command: str) -> None:
    app = app_of(_command_after_webhook(command))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_inj001_command_with_the_uploaded_file_name_fires() -> None:
    app = app_of(_command_after_webhook("=convert '/tmp/{{ $binary.data.fileName }}' out.png"))
    assert one(findings_of(INJ001, app)).resource.id == uid("Convert")


def test_inj001_command_reading_the_webhook_by_node_name_fires_later_in_the_chain() -> None:
    nodes = [webhook(path="convert", method="POST"),
             n8n_node("Notify", "slack", {"text": "new job"}, version=2.3),
             execute_command("Convert", "=convert {{ $('Webhook').item.json.body.file }} a.png")]
    f = one(findings_of(INJ001, app_of(workflow("Converter", nodes,
                                                chain("Webhook", "Notify", "Convert")))))
    assert f.evidence["route"] == [uid("Webhook"), uid("Convert")]


def test_inj002_command_after_a_service_node_reads_the_service_not_the_webhook() -> None:
    nodes = [webhook(path="convert", method="POST"),
             n8n_node("Notify", "slack", {"text": "new job"}, version=2.3),
             execute_command("Convert", "=convert {{ $json.file }} a.png")]
    app = app_of(workflow("Converter", nodes, chain("Webhook", "Notify", "Convert")))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).evidence["origin_detail"] == "response of Notify"


def test_set_node_with_constants_ends_the_taint_and_one_keeping_fields_does_not() -> None:
    def wf(include_other_fields: bool) -> dict[str, Any]:
        fields = n8n_node("Pick", "set", {"assignments": {"assignments": [
            {"id": uid("a"), "name": "dir", "value": "/srv/reports", "type": "string"}]},
            "includeOtherFields": include_other_fields, "options": {}}, version=3.4)
        nodes = [webhook(path="ls", method="GET"), fields,
                 execute_command("List", "=ls {{ $json.dir }} {{ $json.query.flags }}")]
        return workflow("Lister", nodes, chain("Webhook", "Pick", "List"))

    assert findings_of(INJ001, app_of(wf(False))) == []
    assert one(findings_of(INJ001, app_of(wf(True)))).resource.id == uid("List")


# -- AI agents and their tools -------------------------------------------------------------
def _agent_with_sql_tool(trigger: dict[str, Any], trigger_name: str) -> dict[str, Any]:
    agent = n8n_node("AI Agent", LC + "agent", {"options": {}}, version=1.7)
    model = n8n_node("Chat model", LC + "lmChatOpenAi", {"model": "gpt-4o-mini"}, version=1)
    tool = n8n_node("Run SQL", "postgresTool",
                    {"operation": "executeQuery",
                     "query": "{{ $fromAI('query', 'the SQL to run', 'string') }}",
                     "options": {}}, version=2.6)
    connections = {trigger_name: {"main": [[{"node": "AI Agent", "type": "main", "index": 0}]]},
                   "Chat model": {"ai_languageModel": [[{"node": "AI Agent",
                                                         "type": "ai_languageModel",
                                                         "index": 0}]]},
                   "Run SQL": {"ai_tool": [[{"node": "AI Agent", "type": "ai_tool",
                                             "index": 0}]]}}
    return workflow("SQL assistant", [trigger, agent, model, tool], connections)


def test_inj001_public_chat_drives_an_agent_whose_tool_runs_the_sql_it_writes() -> None:
    chat = n8n_node("Chat", LC + "chatTrigger", {"public": True, "options": {}}, version=1.1,
                    webhook=True)
    f = one(findings_of(INJ001, app_of(_agent_with_sql_tool(chat, "Chat"))))
    assert f.resource.id == uid("Run SQL")
    assert f.evidence["origin"] == "ai" and f.evidence["source"].endswith("/chat")
    assert f.evidence["route"] == [uid("Chat"), uid("AI Agent"), uid("Run SQL")]
    assert "through AI Agent" in f.message


def test_inj002_scheduled_agent_writing_sql_is_unknown_not_untrusted() -> None:
    app = app_of(_agent_with_sql_tool(schedule(), "Schedule Trigger"))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).evidence["origin"] == "ai"


# -- called workflows ----------------------------------------------------------------------
def _caller_and_callee(called_id: str) -> list[dict[str, Any]]:
    caller = workflow("Ops API", [
        webhook(path="ops", method="POST"),
        n8n_node("Run ops workflow", "executeWorkflow",
                 {"workflowId": {"__rl": True, "value": called_id, "mode": "list"},
                  "options": {}}, version=1.2)], chain("Webhook", "Run ops workflow"))
    callee = workflow("Ops worker", [
        n8n_node("When called", "executeWorkflowTrigger", {"inputSource": "passthrough"},
                 version=1.1),
        execute_command("Restart", "=systemctl restart {{ $json.body.service }}")],
        chain("When called", "Restart"))
    return [caller, callee]


def test_inj001_follows_execute_workflow_into_the_called_workflow() -> None:
    f = one(findings_of(INJ001, app_of(*_caller_and_callee(wid("Ops worker")))))
    assert f.resource.id == uid("Restart")
    assert f.evidence["route"] == [uid("Webhook"), uid("Run ops workflow"), uid("When called"),
                                   uid("Restart")]


def test_inj002_called_workflow_whose_caller_is_not_in_the_app() -> None:
    app = app_of(*_caller_and_callee("AnotherWorkflow1"))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).resource.id == uid("Restart")


# -- file paths ------------------------------------------------------------------------------
@pytest.mark.parametrize(("file_name", "fires"), [
    ("=/srv/uploads/{{ $json.query.name }}", True),
    ("/srv/uploads/latest.csv", False),
    ("=/srv/uploads/{{ $now.toFormat('yyyy-MM-dd') }}.csv", False),
])
def test_inj001_file_path_built_from_the_request(file_name: str, fires: bool) -> None:
    reader = n8n_node("Read upload", "readWriteFile", {"fileSelector": file_name,
                                                       "options": {}}, version=1)
    wf = workflow("Downloads", [webhook(path="file", method="GET"), reader, respond()],
                  chain("Webhook", "Read upload", "Respond to Webhook"))
    found = findings_of(INJ001, app_of(wf))
    assert [f.evidence["sink"] for f in found] == (["path"] if fires else [])


# -- exports and trust zones -------------------------------------------------------------------
def _form_to(url: str, body_value: str = "={{ $json.email }}", **options: Any
             ) -> dict[str, Any]:
    form = n8n_node("Signup form", "formTrigger",
                    {"formTitle": "Join", "formFields": {"values": [
                        {"fieldLabel": "email", "fieldType": "email"}]}}, version=2.2,
                    webhook=True)
    post = n8n_node("Send to CRM", "httpRequest",
                    {"method": "POST", "url": url, "sendBody": True,
                     "bodyParameters": {"parameters": [{"name": "email",
                                                        "value": body_value}]},
                     "options": options}, version=4.2)
    return workflow("Signup", [form, post], chain("Signup form", "Send to CRM"))


def test_exp001_form_data_sent_to_the_internet_names_the_form() -> None:
    f = one(findings_of(EXP001, app_of(_form_to("https://api.crm-vendor.com/contacts"))))
    assert (f.evidence["origin"], f.evidence["zone"]) == ("entry", "internet")
    assert f.evidence["labels"] == ["personal data"]
    assert f.evidence["route"] == [uid("Signup form"), uid("Send to CRM")]


@pytest.mark.parametrize("url", ["http://crm:8080/contacts", "https://10.1.2.3/contacts",
                                 "https://crm.office.lan/contacts"])
def test_exp001_form_data_sent_to_own_services_is_quiet(url: str) -> None:
    assert findings_of(EXP001, app_of(_form_to(url))) == []


def test_exp001_request_sending_only_constants_is_quiet() -> None:
    app = app_of(_form_to("https://api.crm-vendor.com/ping", body_value="signup"))
    assert findings_of(EXP001, app) == []


def test_exp001_timestamps_read_from_a_store_are_not_sensitive() -> None:
    reader = postgres("Read metrics", "select", table={"__rl": True, "value": "cpu_metrics"},
                      returnAll=True, options={})
    post = n8n_node("Ship", "httpRequest", {"method": "POST", "url": "https://ingest.example.io",
                                            "jsonBody": "={{ $json.recorded_at }}",
                                            "options": {}}, version=4.2)
    wf = workflow("Metrics", [schedule(), reader, post],
                  chain("Schedule Trigger", "Read metrics", "Ship"))
    assert findings_of(EXP001, app_of(wf)) == []


def test_exp002_table_chosen_at_run_time_is_named_by_its_step() -> None:
    db = postgres("Find order", "executeQuery", query="=SELECT * FROM {{ $json.query.t }}")
    wf = workflow("Lookup", [webhook(path="orders"), db], chain("Webhook", "Find order"))
    f = one(findings_of(EXP002, app_of(wf)))
    assert "''" not in f.message and "database of Find order" in f.message


# -- EXP002: what an endpoint answers, not what it looks up -------------------------------------
def _answering(mode: str, *middle: dict[str, Any], answer: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    """A webhook in response ``mode`` → a lookup of the users table → ``middle`` → ``answer``."""
    hook = webhook(path="members", method="GET")
    hook["parameters"]["responseMode"] = mode
    lookup = postgres("Find member", "select", table={"__rl": True, "value": "members"},
                      returnAll=True, options={})
    nodes = [hook, lookup, *middle, *([answer] if answer else [])]
    return workflow("Member lookup", nodes, chain(*(n["name"] for n in nodes)))


def _respond_with(body: str) -> dict[str, Any]:
    return n8n_node("Answer", "respondToWebhook", {"respondWith": "json", "responseBody": body,
                                                   "options": {}}, version=1.1)


def test_exp002_respond_node_answering_with_the_rows_fires_with_the_whole_route() -> None:
    wf = _answering("responseNode", answer=_respond_with("={{ JSON.stringify($json) }}"))
    f = one(findings_of(EXP002, app_of(wf)))
    assert f.resource.id == uid("Find member")
    assert f.evidence["route"] == [uid("Webhook"), uid("Find member"), uid("Answer")]
    assert (f.evidence["answered_by"], f.evidence["store"]) == (uid("Answer"), "members")
    assert f.evidence["fields"] == "the whole record"


def test_exp002_lookup_that_only_steers_the_flow_is_quiet() -> None:
    found = n8n_node("Found?", "if", {"conditions": {}}, version=2)
    wf = _answering("responseNode", found, answer=_respond_with('={ "ok": true }'))
    assert findings_of(EXP002, app_of(wf)) == []


@pytest.mark.parametrize(("body", "fires"), [
    ("={{ { id: $json.id, status: $json.status } }}", False),  # ids and a status: no download
    ("={{ { email: $json.email } }}", True),  # a field whose name says it is personal data
])
def test_exp002_answer_picking_fields_fires_only_on_sensitive_ones(body: str,
                                                                   fires: bool) -> None:
    wf = _answering("responseNode", answer=_respond_with(body))
    assert len(findings_of(EXP002, app_of(wf))) == (1 if fires else 0)


def test_exp002_webhook_answering_before_the_flow_runs_is_quiet() -> None:
    """onReceived answers at once: a Respond node after it answers nobody (n8n fails it)."""
    wf = _answering("onReceived", answer=_respond_with("={{ JSON.stringify($json) }}"))
    assert findings_of(EXP002, app_of(wf)) == []


def test_exp002_last_node_mode_answers_with_where_the_flow_ends() -> None:
    assert one(findings_of(EXP002, app_of(_answering("lastNode")))).evidence["answered_by"] \
        == uid("Find member")
    post = http_request("Post elsewhere", "https://hooks.example.org/in")
    notify = n8n_node("Done", "noOp", {})
    # the rows go to another service; the flow ends at a node answering with a constant
    ends_elsewhere = _answering("lastNode", post, n8n_node(
        "Reset", "set", {"mode": "manual", "assignments": {"assignments": [
            {"id": "a", "name": "ok", "value": "true", "type": "string"}]}}, version=3.4),
        notify)
    assert findings_of(EXP002, app_of(ends_elsewhere)) == []


@pytest.mark.parametrize(("name", "fires"), [("Save message", False), ("Find message", True)])
def test_exp002_statement_computed_at_run_time_is_read_or_write_by_the_node_name(
        name: str, fires: bool) -> None:
    db = postgres(name, "executeQuery", query="={{ $json.sql }}")
    wf = workflow("Chat log", [webhook(path="chat"), db], chain("Webhook", name))
    assert len(findings_of(EXP002, app_of(wf))) == (1 if fires else 0)


@pytest.mark.parametrize(("url", "severity"), [
    ("http://qdrant:6333/collections", None),
    ("http://172.18.0.5:8000/api", None),
    ("http://192.168.1.20/api", Severity.LOW),
    ("http://api.partner.example.com/api", Severity.HIGH),
])
def test_enc001_severity_follows_the_trust_zone(url: str, severity: Severity | None) -> None:
    wf = workflow("Sync", [schedule(), n8n_node("Call", "httpRequest",
                                                {"url": url, "options": {}}, version=4.2)],
                  chain("Schedule Trigger", "Call"))
    found = findings_of(ENC001, app_of(wf))
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_enc001_policy_can_report_the_host_zone() -> None:
    zones = policy("version: 1\ntrust_zones:\n  host:\n    cleartext_severity: low\n")
    wf = workflow("Sync", [schedule(), n8n_node("Call", "httpRequest", {
        "url": "http://qdrant:6333/collections", "options": {}}, version=4.2)],
        chain("Schedule Trigger", "Call"))
    f = one(findings_of(ENC001, app_of(wf), zones))
    assert (f.severity, f.evidence["zone"]) == (Severity.LOW, "host")


def test_enc001_credentials_crossing_a_private_network_are_full_severity() -> None:
    call = n8n_node("Call", "httpRequest", {"url": "http://192.168.1.20/api",
                                            "authentication": "genericCredentialType",
                                            "genericAuthType": "httpBasicAuth", "options": {}},
                    version=4.2, credentials={"httpBasicAuth": ("basic0001", "NAS login")})
    wf = workflow("Sync", [schedule(), call], chain("Schedule Trigger", "Call"))
    f = one(findings_of(ENC001, app_of(wf)))
    assert f.severity is Severity.HIGH and f.evidence["credentials"] is True
    assert f.message.endswith("with credentials")


def test_enc001_policy_moves_hosts_between_zones_and_sets_severity() -> None:
    zones = policy("version: 1\ntrust_zones:\n  private:\n    hosts: ['*.partner.example.com']\n"
                   "    cleartext_severity: info\n")
    wf = workflow("Sync", [schedule(), n8n_node("Call", "httpRequest", {
        "url": "http://api.partner.example.com/api", "options": {}}, version=4.2)],
        chain("Schedule Trigger", "Call"))
    f = one(findings_of(ENC001, app_of(wf), zones))
    assert (f.severity, f.evidence["zone"]) == (Severity.INFO, "private")


def test_enc002_computed_url_is_not_shown_as_the_host() -> None:
    wf = workflow("Sync", [schedule(), n8n_node("Call", "httpRequest", {
        "url": "={{ $json.endpoint }}", "options": {"allowUnauthorizedCerts": True}},
        version=4.2)], chain("Schedule Trigger", "Call"))
    f = one(findings_of(ENC002, app_of(wf)))
    assert f.message == "certificate checks are off for a URL set at run time"


def test_engine_is_built_once_per_app() -> None:
    app = app_of(_command_after_webhook("=ls {{ $json.query.dir }}"))
    assert dataflow(app) is dataflow(app)


@pytest.mark.parametrize(("url", "parameter"), [("={{ $json.body.callback }}", "url"),
                                                ("=https://api.acme.io/v1/{{ $json.body.id }}",
                                                 "url path")])
def test_inj001_request_to_a_url_from_the_webhook_is_ssrf(url: str, parameter: str) -> None:
    """The whole URL from the caller is server-side request forgery; under a fixed host the
    caller still picks the path (another endpoint of that API, with the key the node sends),
    reported apart."""
    call = n8n_node("Fetch", "httpRequest", {"url": url, "options": {},
                                             "authentication": "genericCredentialType",
                                             "genericAuthType": "httpHeaderAuth"},
                    version=4.2, credentials={"httpHeaderAuth": ("Rk4mW8zQ2nB6vT1y", "API key")})
    app = app_of(workflow("Fetcher", [webhook(path="fetch", method="POST"), call],
                          chain("Webhook", "Fetch")))
    assert [(f.evidence["sink"], f.evidence["parameter"])
            for f in findings_of(INJ001, app)] == [("fetch", parameter)]


def test_inj002_does_not_ask_about_urls_from_services() -> None:
    pages = n8n_node("Next page", "httpRequest", {"url": "={{ $json.next }}", "options": {}},
                     version=4.2)
    first = n8n_node("First page", "httpRequest", {"url": "https://api.acme.io/items",
                                                   "options": {}}, version=4.2)
    app = app_of(workflow("Pager", [schedule(), first, pages],
                          chain("Schedule Trigger", "First page", "Next page")))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_policy_rejects_an_unknown_trust_zone() -> None:
    with pytest.raises(InputError, match="unknown key 'office'"):
        policy("version: 1\ntrust_zones:\n  office: {hosts: [nas]}\n")


def test_code_node_that_ignores_its_input_builds_constant_items() -> None:
    config = n8n_node("Config", "code", {"jsCode": "return [{ json: { BASE_URL: "
                                                   "'https://acme.supabase.co' } }];"},
                      version=2)
    call = n8n_node("Fetch", "httpRequest", {"url": "={{ $('Config').first().json.BASE_URL }}"
                                                    "/rest/v1/tickets", "options": {}},
                    version=4.2)
    app = app_of(workflow("Tickets", [webhook(path="t", method="POST"), config, call],
                          chain("Webhook", "Config", "Fetch")))
    assert findings_of(INJ001, app) == []


def test_url_with_its_host_written_in_the_expression_is_no_ssrf() -> None:
    call = n8n_node("Reply", "httpRequest", {
        "url": '={{ "https://graph.facebook.com/v22.0/" + $json.body.commentId + "/replies" }}',
        "options": {}}, version=4.2)
    app = app_of(workflow("Replies", [webhook(path="fb", method="POST"), call],
                          chain("Webhook", "Reply")))
    assert findings_of(INJ001, app) == []


@pytest.mark.parametrize(("sent", "fires"), [("={{ $json.email }}", True),
                                             ("={{ $json.ticket_ref }}", False)])
def test_exp001_names_what_one_sent_field_holds(sent: str, fires: bool) -> None:
    reader = postgres("Read users", "select", table={"__rl": True, "value": "users"},
                      returnAll=True, options={})
    post = n8n_node("Notify", "httpRequest", {"method": "POST", "url": "https://api.chat.io/send",
                                              "jsonBody": sent, "options": {}}, version=4.2)
    wf = workflow("Reminders", [schedule(), reader, post],
                  chain("Schedule Trigger", "Read users", "Notify"))
    found = findings_of(EXP001, app_of(wf))
    assert [f.evidence["labels"] for f in found] == ([["personal data"]] if fires else [])


@pytest.mark.parametrize(("sent", "fires"), [("={{ $json.customer_email }}", True),
                                             ("={{ $json.customer_id }}", False),
                                             ("={{ $('Read users').item.json.userId }}", False)])
def test_exp001_an_identifier_of_a_person_is_no_personal_data(sent: str, fires: bool) -> None:
    reader = postgres("Read users", "select", table={"__rl": True, "value": "users"},
                      returnAll=True, options={})
    post = n8n_node("Notify", "httpRequest", {"method": "POST", "url": "https://api.chat.io/send",
                                              "jsonBody": sent, "options": {}}, version=4.2)
    wf = workflow("Reminders", [schedule(), reader, post],
                  chain("Schedule Trigger", "Read users", "Notify"))
    assert len(findings_of(EXP001, app_of(wf))) == (1 if fires else 0)


@pytest.mark.parametrize(("header", "fires"), [("Authorization", False), ("X-Api-Key", False),
                                               ("X-Customer-Token", True)])
def test_exp001_a_stored_token_sent_to_log_in_to_its_own_service_is_no_export(
        header: str, fires: bool) -> None:
    """A token read from the table and put in the Authorization header authenticates to that
    API; the same token in any other header is data the API is sent."""
    reader = postgres("Read accounts", "select", table={"__rl": True, "value": "api_accounts"},
                      returnAll=True, options={})
    call = n8n_node("Search", "httpRequest", {
        "url": "https://api.rentals.example.net/v1/search", "sendHeaders": True,
        "headerParameters": {"parameters": [
            {"name": header, "value": "=Bearer {{ $json.access_token }}"}]},
        "options": {}}, version=4.2)
    wf = workflow("Sync", [schedule(), reader, call],
                  chain("Schedule Trigger", "Read accounts", "Search"))
    assert len(findings_of(EXP001, app_of(wf))) == (1 if fires else 0)
