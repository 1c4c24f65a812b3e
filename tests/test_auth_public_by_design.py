"""Unauthenticated entry points that are public by design (issue 11, AUTH001/AUTH004): status
probes and OAuth logins. Each test fires on the bad shape and stays quiet on the look-alike;
the flows are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.checks._guards import oauth_login
from pytest_nocode.findings import Severity
from tests import test_checks_n8n as n8n
from tests.checkrun import findings_of, ids, one, policy
from tests.rules import AUTH001, AUTH004
from tests.test_checks_nodered import (
    app_of,
    exec_node,
    function,
    http_in,
    http_response,
    nid,
    node,
    tab,
)

PROBES_ON = "version: 1\nsettings:\n  report_status_probes: true\n"

HOST_STATUS = ("msg.payload = {\n  load: context.global.os.loadavg(),\n"
               "  free: global.get('os').freemem(),\n  up: process.uptime()%s\n};\nreturn msg;")


def _status_route(code: str, *, also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """GET /status → a function that builds the answer → answer (and ``also`` those)."""
    return [tab(), http_in("in", "/status", method="get", to=["read"]),
            function("read", code, to=["resp", *also]), http_response("resp")]


def _ping_route(url: str, *, method: str = "GET", reply: str = "") -> list[dict[str, Any]]:
    """GET /ping → set the request's address → request (method from the message) → answer
    up or down (or what ``reply`` says) → answer."""
    prepare = (f'let base = env.get("MODEL_SERVER") || "{url}";\nmsg.method = "{method}";\n'
               'msg.url = base + "/v1/models";\nmsg.payload = null;\nreturn msg;')
    answer = reply or ("msg.payload = msg.statusCode < 400 ? { ok: true } : { ok: false };\n"
                       "return msg;")
    return [tab(), http_in("in", "/ping", method="get", to=["prepare"]),
            function("prepare", prepare, to=["ask"]),
            node("ask", "http request", name="ask", method="use", ret="obj", paytoqs="ignore",
                 url="", tls="", persist=False, proxy="", authType="", senderr=False,
                 headers=[], wires=[["reply"]]),
            function("reply", answer, to=["resp"]), http_response("resp")]


# -- status probes ---------------------------------------------------------------------------
def test_a_route_answering_the_hosts_load_and_uptime_is_a_probe() -> None:
    app = app_of(_status_route(HOST_STATUS % ""))
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, policy(PROBES_ON)))
    assert listed.severity == Severity.INFO and listed.evidence["status_probe"] is True
    assert "reads the host's status in 'read'" in listed.message


def test_a_status_route_that_also_answers_kept_or_secret_data_fires() -> None:
    for extra in (",\n  orders: global.get('orders')", ",\n  key: env.get('API_KEY')",
                  ",\n  user: global.get('os').userInfo()"):
        app = app_of(_status_route(HOST_STATUS % extra))
        found = one(findings_of(AUTH001, app))
        assert found.severity == Severity.HIGH and "status_probe" not in found.evidence


def test_a_status_route_that_writes_or_runs_fires() -> None:
    writes = app_of(_status_route("global.set('last', Date.now());\n" + HOST_STATUS % ""))
    assert ids(findings_of(AUTH001, writes)) == {nid("in")}
    runs = [*_status_route(HOST_STATUS % "", also=("restart",)),
            exec_node("restart", "systemctl restart kiosk", "")]
    assert ids(findings_of(AUTH001, app_of(runs))) == {nid("in")}


def test_a_ping_of_a_local_model_server_is_a_probe() -> None:
    for url in ("http://host.docker.internal:1234", "http://127.0.0.1:11434",
                "http://ollama:11434"):
        app = app_of(_ping_route(url))
        assert findings_of(AUTH001, app) == [], url
        listed = one(findings_of(AUTH001, app, policy(PROBES_ON)))
        assert "asks a local service whether it is up in 'ask'" in listed.message


def test_a_ping_that_leaves_the_host_changes_something_or_relays_the_reply_fires() -> None:
    assert len(findings_of(AUTH001, app_of(_ping_route("https://api.example.com")))) == 1
    assert len(findings_of(AUTH001, app_of(_ping_route("http://127.0.0.1:1234",
                                                       method="POST")))) == 1
    relays = _ping_route("http://127.0.0.1:1234", reply="return msg;")  # the reply's body
    assert len(findings_of(AUTH001, app_of(relays))) == 1
    keyed = _ping_route("http://127.0.0.1:1234")
    keyed[2]["func"] = keyed[2]["func"].replace(
        "msg.payload", 'msg.headers = { Authorization: "Bearer " + env.get("KEY") };\n'
        "msg.payload")
    assert len(findings_of(AUTH001, app_of(keyed))) == 1


# -- OAuth logins ----------------------------------------------------------------------------
LOGIN = ('const state = Math.random().toString(36).slice(2);\n'
         'global.set("music_oauth_state", state);\n'
         'const query = new URLSearchParams({ response_type: "code", state,\n'
         '  client_id: env.get("MUSIC_CLIENT_ID"), redirect_uri: env.get("MUSIC_RETURN") });\n'
         'msg.statusCode = 302;\n'
         'msg.headers = { Location: "https://accounts.music.example/authorize?" + query };\n'
         'msg.payload = "";\nreturn msg;')
CALLBACK = ('const query = msg.req.query || {};\n'
            'if (!query.code || query.state !== global.get("music_oauth_state")) {\n'
            '  msg.statusCode = 400;\n  msg.payload = { error: "bad state" };\n'
            '  return [null, msg];\n}\n'
            'msg.method = "POST";\nmsg.url = "https://accounts.music.example/api/token";\n'
            'msg.payload = "grant_type=authorization_code&code=" + query.code;\n'
            'return [msg, null];')


def _oauth(login: str = LOGIN, callback: str = CALLBACK) -> list[dict[str, Any]]:
    """GET /music/login → redirect; GET /music/callback → check the state → exchange the
    code → keep the token → answer (or answer the error)."""
    exchange = function("check", callback, to=["token"])
    exchange["outputs"], exchange["wires"] = 2, [[nid("token")], [nid("refused")]]
    return [tab(), http_in("login", "/music/login", method="get", to=["redirect"]),
            function("redirect", login, to=["sent"]), http_response("sent"),
            http_in("callback", "/music/callback", method="get", to=["check"]), exchange,
            node("token", "http request", name="token", method="use", ret="obj", url="",
                 authType="", tls="", headers=[], wires=[["keep"]]),
            function("keep", 'global.set("music_token", msg.payload.access_token);\n'
                     'msg.statusCode = 302;\nmsg.headers = { Location: "/" };\nreturn msg;',
                     to=["done"]),
            http_response("done"), http_response("refused")]


def test_an_oauth_login_and_its_state_checking_callback_are_the_login_itself() -> None:
    app = app_of(_oauth())
    assert findings_of(AUTH001, app) == []
    login = app.step(nid("login"))
    assert login is not None and oauth_login(app, login) == (
        "an OAuth login: it only sends the caller to accounts.music.example's authorize page "
        "with a state that the callback '/music/callback' checks")
    reviewed = one(findings_of(AUTH004, app))
    assert reviewed.resource.id == nid("callback") and reviewed.severity == Severity.LOW
    assert "OAuth state it is sent against the one kept in context key 'music_oauth_state'" \
        in reviewed.message
    assert reviewed.evidence["guard"]["on_failure"] == \
        "answers an error before it exchanges the code"


def test_a_callback_that_does_not_compare_the_state_and_its_login_fire() -> None:
    unchecked = CALLBACK.replace(' || query.state !== global.get("music_oauth_state")', "")
    app = app_of(_oauth(callback=unchecked))
    assert ids(findings_of(AUTH001, app)) == {nid("login"), nid("callback")}
    assert findings_of(AUTH004, app) == []


def test_a_login_route_that_redirects_elsewhere_or_writes_more_fires() -> None:
    elsewhere = LOGIN.replace("https://accounts.music.example/authorize?", "/welcome?")
    more = LOGIN.replace("msg.payload = \"\";", 'global.set("visits", 1);\nmsg.payload = "";')
    for login in (elsewhere, more):
        app = app_of(_oauth(login=login))
        assert ids(findings_of(AUTH001, app)) == {nid("login")}
        assert len(findings_of(AUTH004, app)) == 1  # the callback still checks its state


# -- a check in a called workflow (n8n) ------------------------------------------------------
def _token_checked_by_a_called_workflow(*, rejects: bool = True,
                                        callee: dict[str, Any] | None = None
                                        ) -> list[dict[str, Any]]:
    """POST crud/:model → Execute Workflow 'Validate token' → If its answer says success →
    query the model; else answer 401 (or, without ``rejects``, answer with what it found)."""
    called = callee["id"] if callee else "RSz6L3aXj3NfumwG"
    verify = n8n.n8n_node("Verify token", "executeWorkflow", {"workflowId": {
        "__rl": True, "value": called, "mode": "list", "cachedResultName": "Validate token"},
        "options": {}}, version=1.2)
    valid = n8n.if_node("Is valid", "={{ $json.status }}", right="success")
    query = n8n.postgres("Read model", "executeQuery",
                         query="select * from models where name = $1")
    other = n8n.reject() if rejects else n8n.respond("Reject")
    caller = n8n.workflow("CRUD", [n8n.webhook(path="crud/:model", method="POST"), verify,
                                   valid, query, other],
                          {**n8n.chain("Webhook", "Verify token", "Is valid"),
                           **n8n.branches("Is valid", ["Read model"], ["Reject"])})
    return [caller, *([callee] if callee else [])]


def _validator(left: str) -> dict[str, Any]:
    """The called workflow: a trigger, then an If on ``left``."""
    return n8n.workflow("Validate token", [
        n8n.n8n_node("When called", "executeWorkflowTrigger", {"inputSource": "passthrough"},
                     version=1.1),
        n8n.if_node("Known token", left, right="={{ $env.CRUD_TOKEN }}")],
        n8n.chain("When called", "Known token"))


def test_a_token_checked_in_a_called_workflow_that_fails_closed_is_an_in_flow_check() -> None:
    unseen = n8n.app_of(*_token_checked_by_a_called_workflow())
    assert findings_of(AUTH001, unseen) == []
    guard = one(findings_of(AUTH004, unseen)).evidence["guard"]
    assert (guard["name"], guard["on_failure"]) == ("Verify token", "responds 401 ('Reject')")
    assert guard["compares"].startswith("the caller in the called workflow 'Validate token' "
                                        "(not in the export")
    shown = n8n.app_of(*_token_checked_by_a_called_workflow(
        callee=_validator('={{ $json.headers["x-api-token"] }}')))
    assert one(findings_of(AUTH004, shown)).evidence["guard"]["compares"] == \
        "header x-api-token in the called workflow 'Validate token'"
    assert findings_of(AUTH001, shown) == []


def test_a_called_workflow_that_checks_nothing_or_a_call_that_never_refuses_is_open() -> None:
    never = n8n.app_of(*_token_checked_by_a_called_workflow(rejects=False))
    assert ids(findings_of(AUTH001, never)) == {n8n.uid("Webhook")}
    nothing = n8n.app_of(*_token_checked_by_a_called_workflow(
        callee=_validator("={{ $json.body.model }}")))
    assert ids(findings_of(AUTH001, nothing)) == {n8n.uid("Webhook")}
    assert findings_of(AUTH004, nothing) == []


# -- one fixed public operation exempted before the called check (n8n) ----------------------
def _crud_with_public_operation(*, exempt_right: str = "companies",
                                checked_output: int = 1) -> dict[str, Any]:
    """POST crud/:model → If model is "companies" and operation is "list" → (true) read the
    table and answer; (false) Execute Workflow 'Validate token' → If success → read, else
    401. With ``checked_output`` 0 the outputs are swapped: the check runs only for the
    fixed operation and every other request goes straight to the read."""
    public = n8n.n8n_node("Public list?", "if", {"conditions": {
        "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict"},
        "conditions": [
            {"id": n8n.uid("c1"), "leftValue": "={{ $json.model }}", "rightValue": exempt_right,
             "operator": {"type": "string", "operation": "equals"}},
            {"id": n8n.uid("c2"), "leftValue": "={{ $json.operation }}", "rightValue": "list",
             "operator": {"type": "string", "operation": "equals"}}],
        "combinator": "and"}, "options": {}}, version=2.2)
    verify = n8n.n8n_node("Verify token", "executeWorkflow", {"workflowId": {
        "__rl": True, "value": "RSz6L3aXj3NfumwG", "mode": "list",
        "cachedResultName": "Validate token"}, "options": {}}, version=1.2)
    valid = n8n.if_node("Is valid", "={{ $json.status }}", right="success")
    query = n8n.postgres("Read model", "executeQuery",
                         query="select * from models where name = $1")
    answer = n8n.n8n_node("Answer", "respondToWebhook", {"respondWith": "allIncomingItems",
                                                         "options": {}}, version=1.1)
    outputs = [["Read model"], ["Verify token"]]
    if checked_output == 0:
        outputs.reverse()
    hook = n8n.webhook(path="crud/:model", method="POST")
    hook["parameters"]["responseMode"] = "responseNode"
    return n8n.workflow("CRUD", [hook, public,
                                 verify, valid, query, n8n.reject(), answer],
                        {**n8n.chain("Webhook", "Public list?"),
                         **n8n.branches("Public list?", *outputs),
                         **n8n.chain("Verify token", "Is valid"),
                         **n8n.branches("Is valid", ["Read model"], ["Reject"]),
                         **n8n.chain("Read model", "Answer")})


def test_a_fixed_public_operation_exempted_before_a_called_check_is_an_in_flow_check() -> None:
    app = n8n.app_of(_crud_with_public_operation())
    assert findings_of(AUTH001, app) == []
    guard = one(findings_of(AUTH004, app)).evidence["guard"]
    assert guard["name"] == "Verify token"
    assert guard["compares"].endswith("only requests where model is 'companies' and "
                                      "operation is 'list' skip it (step 'Public list?')")


def test_a_check_run_only_for_the_fixed_operation_or_an_exemption_by_expression_is_open(
        ) -> None:
    swapped = n8n.app_of(_crud_with_public_operation(checked_output=0))
    assert ids(findings_of(AUTH001, swapped)) == {n8n.uid("Webhook")}
    by_expression = n8n.app_of(_crud_with_public_operation(
        exempt_right="={{ $json.headers.model }}"))
    assert ids(findings_of(AUTH001, by_expression)) == {n8n.uid("Webhook")}

