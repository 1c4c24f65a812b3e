"""Unauthenticated entry points that are public by design (issue 11, AUTH001/AUTH004): status
probes and OAuth logins. Each test fires on the bad shape and stays quiet on the look-alike;
the flows are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.checks import test_authentication as authentication
from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one, policy
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

AUTH001 = authentication.test_entry_points_require_authentication
AUTH004 = authentication.test_in_flow_authentication_reviewed
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
