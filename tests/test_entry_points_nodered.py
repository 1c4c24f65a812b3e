"""Node-RED entry points on real shapes: what a call can do (EntryPoint.effect) and the
listeners of community nodes (issue 11). Each test fires on the bad shape and stays quiet on
the look-alike; the flows are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one
from tests.rules import AUTH001, AUTH004, EXP002, LOG002
from tests.test_checks_nodered import (
    TAB,
    app_of,
    change,
    config,
    exec_node,
    file_in,
    function,
    http_in,
    http_response,
    inject,
    mqtt_broker,
    mqtt_in,
    nid,
    node,
    tab,
    template,
)

CSS_HEADERS = ("headers = {}\nheaders['Content-type'] = \"text/css; charset=utf-8\"\n"
               "msg.headers = headers\nreturn msg;")


def _file_route(url: str, filename: str) -> list[dict[str, Any]]:
    """GET url → read a fixed file → set the content type → answer."""
    return [tab(), http_in("in", url, method="get", to=["read"]),
            file_in("read", filename, to=["type"]), function("type", CSS_HEADERS, to=["resp"]),
            http_response("resp")]


# -- routes that only serve a site's own files ------------------------------------------------
def test_stylesheet_route_is_quiet_and_a_data_file_route_fires() -> None:
    css = app_of(_file_route("/assets/css/main.css", "../site/theme/assets/css/main.css"))
    assert one(css.entry_points).effect == "answers"
    assert one(css.entry_points).effect_reason == (
        f"node {nid('resp')!r} (http response) answers with what reaches it")
    assert findings_of(AUTH001, css) == [] and findings_of(EXP002, css) == []
    data = app_of(_file_route("/export", "/data/customers.csv"))
    assert one(data.entry_points).effect == "serves"
    assert one(data.entry_points).effect_reason == (
        "node 'read' (file in) reads a file it may answer with")
    assert ids(findings_of(AUTH001, data)) == {nid("in")}
    assert ids(findings_of(EXP002, data)) == {nid("read")}


def test_a_fixed_page_file_answers_like_its_stylesheet() -> None:
    """An HTML page read from a fixed path is the app's own code, served as it is: what its
    script calls is judged at the route it calls. A page whose path the caller picks is not."""
    app = app_of(_file_route("/index", "../site/theme/index.html"))
    assert one(app.entry_points).effect == "answers"
    assert findings_of(AUTH001, app) == [] and findings_of(EXP002, app) == []
    picked = _file_route("/page", "")
    picked[2].update(filename="req.query.page", filenameType="msg")
    assert ids(findings_of(AUTH001, app_of(picked))) == {nid("in")}


LIGHTS_PAGE = """<!DOCTYPE html><html><head><title>Strip</title></head><body>
<form><select id="mode"></select></form>
<script>const ws = new WebSocket('ws://' + location.host + '/strip/ws');</script>
</body></html>"""


def _page_route(text: str, syntax: str = "mustache") -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/strip", method="get", to=["page"]),
            template("page", text, syntax=syntax, to=["resp"]), http_response("resp")]


def test_fixed_page_template_is_quiet_and_one_rendering_the_request_fires() -> None:
    assert findings_of(AUTH001, app_of(_page_route(LIGHTS_PAGE))) == []
    # plain syntax: the braces are page text, not fields
    plain = LIGHTS_PAGE.replace("<title>Strip", "<title>{{ strip }}")
    assert findings_of(AUTH001, app_of(_page_route(plain, syntax="plain"))) == []
    echo = app_of(_page_route(LIGHTS_PAGE.replace("</form>", "{{{payload.reply}}}</form>")))
    f = one(findings_of(AUTH001, echo))
    assert f.evidence["effect"] == "serves"
    assert f.evidence["effect_reason"] == "node 'page' (template) renders message fields"


def test_headers_function_that_also_writes_context_acts() -> None:
    flows = _file_route("/assets/app.js", "../site/app.js")
    flows[3] = function("type", CSS_HEADERS.replace("return msg;",
                                                    "global.set('hits', 1);\nreturn msg;"),
                        to=["resp"])
    app = app_of(flows)
    assert one(app.entry_points).effect == "acts"
    assert one(findings_of(AUTH001, app)).evidence["effect_reason"] == (
        "node 'type' (function) runs code its author wrote")


def test_constant_text_route_is_quiet_and_one_echoing_fields_fires() -> None:
    def route(text: str) -> list[dict[str, Any]]:
        return [tab(), http_in("in", "/score", to=["say"]), template("say", text, to=["resp"]),
                http_response("resp")]

    assert findings_of(AUTH001, app_of(route("Hello-world"))) == []
    echo = app_of(route("Inserting this into the database\nemail: {{payload.email}}"))
    assert one(echo.entry_points).effect == "serves"
    assert ids(findings_of(AUTH001, echo)) == {nid("in")}


def test_route_ending_in_an_unwired_junction_is_quiet_and_one_reaching_exec_fires() -> None:
    dead = [tab(), http_in("in", "/drift", to=["j"]), node("j", "junction", wires=[[]])]
    app = app_of(dead)
    assert one(app.entry_points).effect == "nothing"
    assert one(app.entry_points).effect_reason == "nothing after it acts or answers"
    assert findings_of(AUTH001, app) == []
    live = [tab(), http_in("in", "/drift", to=["j"]), node("j", "junction", wires=[["sh"]]),
            exec_node("sh", "/usr/local/bin/realign", "payload")]
    assert ids(findings_of(AUTH001, app_of(live))) == {nid("in")}


def _multicast_listener(to: list[str]) -> list[dict[str, Any]]:
    """A gateway's sensor multicast on the LAN, parsed and sent on."""
    return [tab(), node("udp", "udp in", port="9898", ipv="udp4", multicast="true",
                        group="224.0.0.50", datatype="utf8", wires=[["parse"]]),
            node("parse", "json", property="payload", wires=[to])]


def test_listener_feeding_only_displays_is_quiet_and_one_driving_a_relay_fires() -> None:
    shown = [*_multicast_listener(["gauge", "label"]),
             node("gauge", "ui_gauge", group="", format="{{value}}", wires=[]),
             node("label", "ui_text", group="", format="{{msg.payload}}", wires=[])]
    app = app_of(shown)
    assert one(app.entry_points).effect == "nothing"
    assert findings_of(AUTH001, app) == []
    driven = [*_multicast_listener(["gauge", "fan"]),
              node("gauge", "ui_gauge", group="", format="{{value}}", wires=[]),
              node("fan", "rpi-gpio out", name="fan", pin="38", wires=[])]
    f = one(findings_of(AUTH001, app_of(driven)))
    assert f.evidence["effect_reason"] == "node 'fan' (rpi-gpio out) may change, send or run " \
        "something"


def test_route_into_a_receiver_wired_to_nothing_is_quiet() -> None:
    """A chat connector's receiver turns the request into chat messages for what is wired
    after it; with nothing there, the request goes nowhere."""
    def route(after: list[str]) -> list[dict[str, Any]]:
        return [tab(), http_in("in", "/bot/sms", to=["recv"]),
                node("recv", "chatbot-universal-receive", bot="", wires=[after]),
                exec_node("run", "/usr/local/bin/reply", "payload")]
    assert findings_of(AUTH001, app_of(route([]))) == []
    assert ids(findings_of(AUTH001, app_of(route(["run"])))) == {nid("in")}


def test_route_into_an_editor_image_preview_is_quiet() -> None:
    """An upload route whose image only reaches a debug and an editor preview (blind set 8):
    it leads nowhere. A node of the same type name without the preview's own settings, or a
    preview set to pass the image on to a command, is not that."""
    def route(**preview: Any) -> list[dict[str, Any]]:
        return [tab(), http_in("in", "/upload-image", to=["log", "preview"]),
                node("log", "debug", active=True, complete="payload", wires=[]),
                node("preview", "image", **preview),
                exec_node("run", "/usr/local/bin/convert-image", "payload")]
    quiet = app_of(route(width=160, data="payload", dataType="msg", outputs=0, wires=[]))
    assert one(quiet.entry_points).effect == "nothing"
    assert findings_of(AUTH001, quiet) == []
    other_image = route(url="https://img.example", wires=[])
    passed_on = route(width=160, data="payload", dataType="msg", outputs=1, wires=[["run"]])
    for flows in (other_image, passed_on):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("in")}


def test_route_reading_context_serves_it() -> None:
    """A KPI kept in context that the export does not show being set is data the flow keeps
    (fail closed): a reviewer files the open route that hands it out."""
    flows = [tab(), http_in("in", "/api/kpi", method="get", to=["get"]),
             node("get", "change", wires=[["resp"]],
                  rules=[{"t": "set", "p": "payload", "pt": "msg", "to": "oee", "tot": "global"}]),
             http_response("resp")]
    app = app_of(flows)
    assert one(app.entry_points).effect == "serves"
    assert one(findings_of(AUTH001, app)).evidence["effect_reason"] == (
        f"node {nid('get')!r} (change) copies flow or global context into the message")


def _settings_route(setter: dict[str, Any], *, into: str = "set") -> list[dict[str, Any]]:
    """GET /delay answers two keys of global context; ``setter`` feeds the change node that
    keeps the first of them."""
    keep = change("set", rules=[{"t": "set", "p": "delay", "pt": "global", "to": "payload",
                                 "tot": "msg"}])
    keep["name"] = into
    return [tab(), setter, keep,
            http_in("in", "/delay", method="get", to=["say"]),
            template("say", "{{global.delay}};{{global.mode}}", to=["resp"]),
            http_response("resp"),
            inject("boot", to=["mode"], payload="eco"),
            change("mode", rules=[{"t": "set", "p": "mode", "pt": "global", "to": "payload",
                                   "tot": "msg"}])]


def test_route_answering_settings_the_app_sets_from_constants_is_quiet() -> None:
    """A polling delay picked in a dashboard drop-down and a mode an inject sets at start are
    settings: answering them is like answering a constant. The same key filled from a
    broker's messages is data."""
    picker = node("pick", "ui_dropdown", wires=[["set"]], group="", label="Delay",
                  options=[{"label": "30 s", "value": "30", "type": "str"},
                           {"label": "60 s", "value": "60", "type": "str"}],
                  payload="", topic="delay")
    app = app_of(_settings_route(picker))
    assert one(app.entry_points).served_context == (nid("say"),)
    assert findings_of(AUTH001, app) == []
    fed = app_of([mqtt_broker("b", "10.1.2.3", "1883", usetls=False),
                  *_settings_route(mqtt_in("meter", "b", to=["set"]))])
    f = one(findings_of(AUTH001, fed))
    assert f.evidence["effect_reason"] == (
        "node 'say' (template) renders flow or global context")


def test_settings_beside_the_request_or_an_environment_value_are_not_settings_only() -> None:
    """A constant delay answered next to a field of the request, or a key filled from the
    environment (a token as often as a mode), is more than a setting."""
    boot = inject("start", to=["set"], payload="30")
    mixed = _settings_route(boot)
    mixed[4] = template("say", "{{global.delay}};{{payload.room}}", to=["resp"])
    app = app_of(mixed)
    assert one(app.entry_points).served_context == ()
    assert ids(findings_of(AUTH001, app)) == {nid("in")}
    from_env = _settings_route(boot)
    from_env[2]["rules"] = [{"t": "set", "p": "delay", "pt": "global", "to": "POLL_TOKEN",
                             "tot": "env"}]
    env_app = app_of(from_env)
    assert one(env_app.entry_points).served_context == (nid("say"),)
    assert ids(findings_of(AUTH001, env_app)) == {nid("in")}


def test_context_mixed_by_an_expression_is_not_settings_only() -> None:
    """A JSONata rule may put message fields beside the setting: not settings only."""
    flows = _settings_route(inject("start", to=["set"], payload="30"))
    flows[4] = change("say", to=["resp"], rules=[
        {"t": "set", "p": "payload", "pt": "msg", "to": "delay", "tot": "global"}])
    assert one(app_of(flows).entry_points).served_context == (nid("say"),)
    flows[4]["rules"] = [{"t": "set", "p": "payload", "pt": "msg",
                          "to": "$globalContext('delay') & ' ' & payload.room", "tot": "jsonata"}]
    app = app_of(flows)
    assert one(app.entry_points).served_context == ()
    assert ids(findings_of(AUTH001, app)) == {nid("in")}


HEALTH = """const count = global.get('telemetry_count') || 0;
const last = global.get('last_telemetry_at');
msg.statusCode = count > 0 ? 200 : 503;
msg.payload = {status: count > 0 ? 'ready' : 'starting', count: count, last: last};
return msg;"""
COUNT = """const n = global.get('telemetry_count') || 0;
global.set('telemetry_count', n + 1);
global.set('last_telemetry_at', new Date().toISOString());
return msg;"""


def test_health_route_answering_counters_is_quiet_and_one_answering_readings_fires() -> None:
    """Liveness counters and times the app keeps are no data; a reading kept whole is."""
    def flows(count: str) -> list[dict[str, Any]]:
        return [tab(), mqtt_broker("b", "10.1.2.3", "1883", usetls=False),
                mqtt_in("tele", "b", to=["count"]), function("count", count),
                http_in("in", "/healthz", method="get", to=["health"]),
                function("health", HEALTH, to=["resp"]), http_response("resp")]
    assert findings_of(AUTH001, app_of(flows(COUNT))) == []
    kept = COUNT.replace("new Date().toISOString()", "msg.payload")
    assert ids(findings_of(AUTH001, app_of(flows(kept)))) == {nid("in")}


# -- checks in the flow: a session redirect, a login ------------------------------------------
SESSION_CHECK = """let token = null;
if (msg.req && msg.req.query && msg.req.query.token) { token = msg.req.query.token; }
if (!token && msg.req.headers.authorization) { token = msg.req.headers.authorization.slice(7); }
const session = token ? global.get('session_' + token) : null;
if (!session) {
    msg.statusCode = 302;
    msg.headers = { 'Location': '/login?error=session_expired' };
    msg.payload = 'Redirecting to login...';
    return [null, msg];
}
msg.user = session.user;
return [msg, null];"""


def _session_route(code: str) -> list[dict[str, Any]]:
    check = function("check", code)
    check.update(outputs=2, wires=[[nid("page")], [nid("away")]])
    return [tab(), http_in("in", "/dashboard", method="get", to=["check"]), check,
            exec_node("page", "/usr/local/bin/render-dashboard", "payload"),
            http_response("away")]


def test_session_check_redirecting_to_login_is_an_in_flow_check() -> None:
    app = app_of(_session_route(SESSION_CHECK))
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert "redirects to the login page" in f.message and f.severity is Severity.LOW


def test_session_lookup_that_lets_everyone_through_is_open() -> None:
    lets_through = SESSION_CHECK.replace("return [null, msg];", "return [msg, null];") \
        .replace("msg.statusCode = 302;", "").replace("'Location': '/login?error=session_expired'",
                                                      "'X-Session': 'none'")
    app = app_of(_session_route(lets_through))
    assert ids(findings_of(AUTH001, app)) == {nid("in")}
    assert findings_of(AUTH004, app) == []


LOGIN = """const rows = Array.isArray(msg.payload) ? msg.payload : [];
const bcrypt = global.get('bcrypt');
const password = msg.password;
if (rows.length && bcrypt.compareSync(password, rows[0].password_hash)) {
    msg.payload = { ok: true };
    msg.statusCode = 200;
} else {
    msg.payload = { ok: false };
    msg.statusCode = 401;
}
return msg;"""


def _login_route(verify: str) -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/auth/login", to=["pick"]),
            function("pick", "const { name, password } = msg.payload;\n"
                     "msg.password = password;\n"
                     "msg.topic = 'SELECT password_hash FROM users WHERE name = ?';\n"
                     "return msg;", to=["db"]),
            node("db", "sqlite", mydb=nid("seerdb"), sqlquery="prepared", sql="",
                 wires=[["verify"]]),
            function("verify", verify, to=["resp"]), http_response("resp")]


def test_login_checking_a_password_hash_is_an_in_flow_check() -> None:
    app = app_of(_login_route(LOGIN))
    assert findings_of(AUTH001, app) == []
    assert "a submitted password against a stored hash" in one(findings_of(AUTH004, app)).message


def test_password_hash_compared_without_refusing_is_no_login_check() -> None:
    accepts_all = LOGIN.replace("msg.statusCode = 401;", "msg.statusCode = 200;")
    app = app_of(_login_route(accepts_all))
    assert ids(findings_of(AUTH001, app)) == {nid("in")}
    assert findings_of(AUTH004, app) == []


# the password matched by the database (pgcrypto), the refusal in the step after the query
QUERY_LOGIN = ("const { email, password } = msg.payload;\n"
               "msg.query = `SELECT id FROM members WHERE email = $1 "
               "AND password_hash = crypt($2, password_hash)`;\n"
               "msg.params = [email, password];\nreturn msg;")
ISSUE_TOKEN = ("if (msg.payload.length === 0) {\n    msg.statusCode = 200;\n"
               "    msg.payload = { token: '' };\n    return [null, msg];\n}\n"
               "const jwt = global.get('jsonwebtoken');\n"
               "msg.payload = { token: jwt.sign({ id: msg.payload[0].id }, env.get('KEY')) };\n"
               "return [msg, null];")


def _query_login_route(query: str, after: str) -> list[dict[str, Any]]:
    """POST /login -> build the query -> postgresql -> refuse or issue a token -> answer."""
    issue = function("issue", after, to=["resp"])
    issue["outputs"], issue["wires"] = 2, [[nid("resp")], [nid("refused")]]
    return [tab(), http_in("in", "/login", to=["prepare"]),
            function("prepare", query, to=["db"]),
            node("db", "postgresql", query="", postgreSQLConfig="", split=False,
                 rowsPerMsg=1, outputs=1, wires=[["issue"]]),
            issue, http_response("resp"), http_response("refused")]


def test_login_whose_query_matches_the_password_hash_is_an_in_flow_check() -> None:
    app = app_of(_query_login_route(QUERY_LOGIN, ISSUE_TOKEN))
    assert findings_of(AUTH001, app) == []
    reviewed = one(findings_of(AUTH004, app))
    assert "a submitted password against a stored hash in its query" in reviewed.message
    assert reviewed.evidence["guard"]["on_failure"] == "step 'issue' refuses when no row matches"


def test_query_lookalikes_of_a_login_stay_open() -> None:
    """A lookup by e-mail alone, or a password query whose result nobody refuses on, is no
    login check: the route is reported as open."""
    by_email = QUERY_LOGIN.replace(" AND password_hash = crypt($2, password_hash)", "")
    never_refuses = ISSUE_TOKEN.replace("return [null, msg];", "msg.payload = {};")
    for query, after in ((by_email, ISSUE_TOKEN), (QUERY_LOGIN, never_refuses)):
        app = app_of(_query_login_route(query, after))
        assert ids(findings_of(AUTH001, app)) == {nid("in")}
        assert findings_of(AUTH004, app) == []


# the password matched as it is kept (placeholders bound in a function), the refusal in the
# else branch of the step after the query
PLAIN_LOGIN = ("var sql = 'SELECT * FROM account WHERE username = ? AND password = ?';\n"
               "msg.topic = sql;\nmsg.payload = [msg.payload.username, msg.payload.password];\n"
               "return msg;")
ISSUE_KEY = ("if (msg.payload.length > 0) {\n    msg.key = msg._msgid;\n"
             "    return node.send([msg, null]);\n} else {\n"
             "    msg.payload = { success: false };\n    return node.send([null, msg]);\n}")


def test_login_whose_query_matches_a_password_kept_as_it_is_is_an_in_flow_check() -> None:
    app = app_of(_query_login_route(PLAIN_LOGIN, ISSUE_KEY))
    assert findings_of(AUTH001, app) == []
    reviewed = one(findings_of(AUTH004, app))
    assert "against the stored one in its query, as it is kept" in reviewed.message
    assert reviewed.evidence["guard"]["on_failure"] == "step 'issue' refuses when no row matches"


def test_plain_query_lookalikes_of_a_login_stay_open() -> None:
    """A lookup by user name alone, a password written rather than matched, or a result whose
    else branch lets the caller on, is no login check."""
    by_name = PLAIN_LOGIN.replace(" AND password = ?", "")
    writes = PLAIN_LOGIN.replace("SELECT * FROM account WHERE username = ? AND password = ?",
                                 "UPDATE account SET password = ? WHERE username = ?")
    never_refuses = ISSUE_KEY.replace("return node.send([null, msg]);",
                                      "return node.send([msg, null]);")
    for query, after in ((by_name, ISSUE_KEY), (writes, ISSUE_KEY), (PLAIN_LOGIN, never_refuses)):
        app = app_of(_query_login_route(query, after))
        assert ids(findings_of(AUTH001, app)) == {nid("in")}
        assert findings_of(AUTH004, app) == []


# -- listeners of community nodes --------------------------------------------------------------
def aedes(**props: Any) -> dict[str, Any]:
    base = {"mqtt_port": 1883, "mqtt_ws_bind": "port", "mqtt_ws_port": "", "mqtt_ws_path": "",
            "cert": "", "key": "", "persistence_bind": "memory", "dburl": "", "usetls": False}
    return node("broker", "aedes broker", name="Broker", **{**base, **props}, wires=[[], []])


def test_embedded_aedes_broker_is_an_unproven_mqtt_entry_point() -> None:
    f = one(findings_of(AUTH001, app_of([tab(), aedes(mqtt_ws_port="8080")])))
    assert f.resource.id == nid("broker") and f.severity is Severity.HIGH
    assert (f.evidence["kind"], f.evidence["route"]) == ("mqtt", "broker :1883, websocket :8080")
    assert f.evidence["authentication"] == "unproven"
    assert "export does not show that it authenticates" in f.message


def test_mqtt_client_config_and_disabled_broker_are_quiet() -> None:
    client = config("cloud", "mqtt-broker", broker="broker.example.org", port="8883",
                    usetls=True)
    assert findings_of(AUTH001, app_of([tab(), client])) == []
    assert findings_of(AUTH001, app_of([tab(), {**aedes(), "d": True}])) == []


def mosca(**props: Any) -> dict[str, Any]:
    base = {"mqtt_port": 1883, "mqtt_ws_port": "", "username": "", "password": "", "dburl": ""}
    return node("home-broker", "mosca in", **{**base, **props}, wires=[[]])


def test_a_mosca_broker_without_a_login_lets_anyone_publish() -> None:
    """A house's own broker on 1883 and a websocket port, no user name or password: anyone
    on the network publishes to the topics the alarm and lights subscribe to."""
    f = one(findings_of(AUTH001, app_of([tab(), mosca(mqtt_ws_port=8080)])))
    assert f.resource.id == nid("home-broker")
    assert (f.evidence["kind"], f.evidence["route"]) == ("mqtt", "broker :1883, websocket :8080")
    assert f.evidence["authentication"] == "none"
    assert "accepts requests without authentication" in f.message
    half = mosca(username="house")  # mosca checks logins only when both are set
    assert ids(findings_of(AUTH001, app_of([tab(), half]))) == {nid("home-broker")}


def test_a_mosca_broker_with_a_login_or_disabled_is_quiet() -> None:
    login = mosca(username="house", password="Gr33n-Valley-7")
    assert findings_of(AUTH001, app_of([tab(), login])) == []
    assert findings_of(AUTH001, app_of([tab(), {**mosca(), "d": True}])) == []
    assert findings_of(AUTH001, app_of([tab(), mosca(mqtt_port="")])) == []  # nothing listens


def uibuilder(to: list[str]) -> dict[str, Any]:
    return node("ui", "uibuilder", name="router", url="router-ui", fwdInMessages=False,
                okToGo=True, wires=[to, []])


def test_uibuilder_page_taking_commands_fires_and_a_display_page_is_quiet() -> None:
    commands = [tab(), uibuilder(["unblock"]),
                exec_node("unblock", "sudo /usr/sbin/nft delete element", "payload")]
    f = one(findings_of(AUTH001, app_of(commands)))
    assert (f.resource.id, f.evidence["kind"], f.evidence["route"]) == (
        nid("ui"), "websocket", "/router-ui")
    display = [tab(), uibuilder([])]
    assert findings_of(AUTH001, app_of(display)) == []


def twitter_in(user: str, tags: str = "") -> dict[str, Any]:
    return node("tw", "twitter in", twitter="", user=user, tags=tags, topic="tweets",
                wires=[["say"]])


def test_twitter_direct_messages_driving_a_speaker_fire() -> None:
    speak = node("say", "sonos-control", playnode="kitchen", wires=[])
    f = one(findings_of(AUTH001, app_of([tab(), twitter_in("dm"), speak])))
    assert f.resource.id == nid("tw") and f.evidence["kind"] == "chat"
    assert "twitter direct messages" in f.message
    # the tweets of named accounts are no door: only those accounts write them
    assert findings_of(AUTH001, app_of([tab(), twitter_in("user", "metoffice"), speak])) == []


def homekit(insecure: bool) -> list[dict[str, Any]]:
    bridge = config("bridge", "homekit-bridge", bridgeName="Flat", pinCode="111-22-333",
                    allowInsecureRequest=insecure)
    lamp = node("lamp", "homekit-service", bridge=nid("bridge"), serviceName="Lightbulb",
                wires=[["relay"]])
    relay = node("relay", "rpi-gpio out", pin="38", wires=[])
    return [tab(), bridge, lamp, relay]


def test_homekit_bridge_allowing_insecure_requests_fires_and_paired_only_is_quiet() -> None:
    f = one(findings_of(AUTH001, app_of(homekit(True))))
    assert (f.resource.id, f.evidence["kind"]) == (nid("bridge"), "assistant")
    assert "HomeKit bridge Flat runs commands" in f.message
    assert findings_of(AUTH001, app_of(homekit(False))) == []
    unused = [n for n in homekit(True) if n["type"] in ("tab", "homekit-bridge")]
    assert findings_of(AUTH001, app_of(unused)) == []


def nora(device: str, twofactor: str) -> list[dict[str, Any]]:
    link = config("nora", "noraf-config", twofactor="off", twofactorpin="", structure="Home")
    gate = node("dev", device, devicename="Gate", nora=nid("nora"), twofactor=twofactor,
                twofactorpin="", wires=[["relay"]])
    return [tab(), link, gate, node("relay", "rpi-gpio out", pin="12", wires=[])]


def test_nora_gate_without_a_pin_fires_and_with_a_pin_is_quiet() -> None:
    f = one(findings_of(AUTH001, app_of(nora("noraf-openclose", "off"))))
    assert f.resource.id == nid("nora") and "NORA (Google Home) Home" in f.message
    assert ids(findings_of(AUTH001, app_of(nora("noraf-openclose", "ack")))) == {nid("nora")}
    assert findings_of(AUTH001, app_of(nora("noraf-openclose", "pin"))) == []
    assert findings_of(AUTH001, app_of(nora("noraf-light", "off"))) == []  # a lamp opens nothing


# -- exports of selected nodes -----------------------------------------------------------------
def test_nodes_whose_tab_the_export_left_out_still_form_a_flow() -> None:
    flows = [http_in("in", "/position", to=["keep"]),
             function("keep", "global.set('last', msg.payload);\nreturn msg;")]
    app = app_of(flows)
    assert app.workflow(TAB) is not None
    assert ids(findings_of(LOG002, app)) == {TAB}
    caught = app_of([*flows, node("c", "catch", scope=None, wires=[])])
    assert findings_of(LOG002, caught) == []


# -- an authentication node in front of a route (blind set 2) ---------------------------------
def _behind_httpauth(guard: dict[str, Any], *more: dict[str, Any],
                     also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """GET /scan → Basic-auth node → run a scanner → answer; ``also``: further wires from the
    route itself, beside the auth node."""
    return [tab(), http_in("in", "/scan", method="get", to=["auth", *also]), guard, *more,
            exec_node("scan", "/usr/bin/nmap -sn 10.0.0.0/24", "", to=["resp"]),
            http_response("resp")]


def httpauth(**props: Any) -> dict[str, Any]:
    fields = {"file": "", "cred": "", "authType": "Basic", "realm": "", "username": "",
              "password": "", "hashed": False, **props}
    return node("auth", "node-red-contrib-httpauth", wires=[["scan"]], **fields)


def test_route_behind_a_configured_basic_auth_node_is_authenticated_by_it() -> None:
    shared = config("users", "node-red-contrib-httpauthcred", authType="Basic",
                    realm="cams", username="operator", password="$2y$10$k1Hn2Q", hashed=True)
    app = app_of(_behind_httpauth(httpauth(cred=nid("users")), shared))
    entry = one(app.entry_points)
    assert (entry.authentication, entry.authenticated_by) == ("basic", nid("auth"))
    assert findings_of(AUTH001, app) == []
    inline = app_of(_behind_httpauth(httpauth(authType="Digest", username="operator",
                                              password="Kestrel-42")))
    assert one(inline.entry_points).authentication == "digest"


def test_basic_auth_node_naming_no_user_or_bypassed_leaves_the_route_open() -> None:
    """With no user name the node admits the empty user, with no password anyone naming the
    user; a second wire from the route runs the scanner without passing it."""
    for guard in (httpauth(password="Kestrel-42"), httpauth(username="operator")):
        unguarded = app_of(_behind_httpauth(guard))
        assert ids(findings_of(AUTH001, unguarded)) == {nid("in")}
        assert one(unguarded.entry_points).authenticated_by == ""
    bypassed = app_of(_behind_httpauth(httpauth(username="operator", password="Kestrel-42"),
                                       also=("scan",)))
    assert ids(findings_of(AUTH001, bypassed)) == {nid("in")}


# -- function nodes: constants, context reads, calls -------------------------------------------
def _function_route(code: str) -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/api/scene/away", to=["fn"]),
            function("fn", code, to=["resp"]), http_response("resp")]


def test_function_answering_a_constant_is_quiet_and_one_calling_out_fires() -> None:
    stub = app_of(_function_route('// TODO: switch the lights\n'
                                  'msg.payload = { status: "ok", scene: "away" };\nreturn msg;'))
    assert one(stub.entry_points).effect == "answers"
    assert findings_of(AUTH001, stub) == []
    calling = app_of(_function_route('const hue = global.get("hue");\n'
                                     'hue.setScene("away");\nreturn msg;'))
    assert one(calling.entry_points).effect == "acts"
    assert ids(findings_of(AUTH001, calling)) == {nid("in")}


def test_function_echoing_request_fields_or_reading_context_serves() -> None:
    echo = app_of(_function_route('msg.payload = { room: msg.req.params.room };\nreturn msg;'))
    kept = app_of(_function_route('msg.payload = flow.get("alarm_state");\nreturn msg;'))
    for app in (echo, kept):
        assert one(app.entry_points).effect == "serves"
        assert ids(findings_of(AUTH001, app)) == {nid("in")}
    writes = app_of(_function_route('flow.set("armed", true);\nreturn msg;'))
    assert one(writes.entry_points).effect == "acts"


# -- sockets: a TCP server that answers, a websocket relayed to devices -------------------------
def test_tcp_server_answering_its_client_is_quiet_and_one_forwarding_to_a_host_fires() -> None:
    def server(out: dict[str, Any]) -> list[dict[str, Any]]:
        return [tab(), node("tcp", "tcp in", server="server", host="", port="5678",
                            datamode="stream", datatype="utf8", topic="", wires=[["hello"]]),
                function("hello", 'msg.payload = "Connected\\r\\n";\nreturn msg;', to=["out"]),
                out]

    reply = node("out", "tcp out", host="", port="", beserver="reply", base64=False)
    assert findings_of(AUTH001, app_of(server(reply))) == []
    forward = node("out", "tcp out", host="10.0.0.9", port="9100", beserver="client",
                   base64=False)
    assert ids(findings_of(AUTH001, app_of(server(forward)))) == {nid("tcp")}


def test_websocket_relayed_to_a_device_acts_and_one_answering_its_clients_does_not() -> None:
    def relay(out: dict[str, Any], *extra: dict[str, Any]) -> list[dict[str, Any]]:
        return [tab(), config("listener", "websocket-listener", path="/leds/ws",
                              wholemsg="false"),
                node("ws", "websocket in", server=nid("listener"), client="",
                     wires=[["out"]]), out, *extra]

    device = config("strip", "websocket-client", path="ws://192.168.1.50:81/", tls="",
                    wholemsg="false")
    to_device = node("out", "websocket out", server="", client=nid("strip"))
    f = one(findings_of(AUTH001, app_of(relay(to_device, device))))
    assert (f.resource.id, f.evidence["route"]) == (nid("listener"), "/leds/ws")
    back = node("out", "websocket out", server=nid("listener"), client="")
    assert findings_of(AUTH001, app_of(relay(back))) == []


def test_listener_config_scoped_to_a_tab_is_still_the_entry_of_its_nodes() -> None:
    """A config node can carry its tab's ``z`` (no position, no wires): the websocket in
    nodes that use it are still its users."""
    flows = [tab(), {**config("listener", "websocket-listener", path="/leds/ws",
                              wholemsg="false"), "z": TAB},
             node("ws", "websocket in", server=nid("listener"), client="", wires=[["run"]]),
             exec_node("run", "/usr/local/bin/leds", "payload")]
    entry = one(app_of(flows).entry_points)
    assert (entry.active, entry.effect) == (True, "acts")
    unused = [flows[0], flows[1], {**flows[2], "server": ""}, flows[3]]
    assert one(app_of(unused).entry_points).active is False


# -- EXP002: whose request a shared response answers; a database dumped ------------------------
def test_file_read_after_an_inject_is_not_blamed_on_the_route_sharing_its_response() -> None:
    """A settings file read at start-up and a route's own read both end in one http
    response: only the route's read answers its callers, named with that route."""
    flows = [tab(), http_in("cfg", "/config", method="get", to=["own"]),
             file_in("own", "settings/station.json", to=["resp"]),
             node("boot", "inject", once=True, wires=[["startup"]]),
             file_in("startup", "settings/receivers.json", to=["resp"]),
             http_in("set", "/setRx", to=["resp"]), http_response("resp")]
    found = findings_of(EXP002, app_of(flows))
    assert ids(found) == {nid("own")}
    assert one(found).evidence["endpoint"] == "/config"


def _database_route(query: str) -> list[dict[str, Any]]:
    return [tab(), config("db", "postgreSQLConfig", name="Sensors DB", host="db", port=5432),
            http_in("in", "/db_dump", method="get", to=["q"]),
            node("q", "postgresql", query=query, postgreSQLConfig=nid("db"), split=False,
                 rowsPerMsg=1, outputs=1, wires=[["resp"]]),
            http_response("resp")]


def test_route_answering_a_fixed_select_serves_the_database_and_an_update_does_not() -> None:
    dump = app_of(_database_route(
        "SELECT json_build_object('owners', (SELECT json_agg(o) FROM owners o), "
        "'devices', (SELECT json_agg(d) FROM devices d))"))
    f = one(findings_of(EXP002, dump))
    assert f.resource.id == nid("q")
    assert "database Sensors DB (devices, owners)" in f.message
    touch = app_of(_database_route("UPDATE devices SET last_seen = now()"))
    assert findings_of(EXP002, touch) == []


def test_webhookrelay_bucket_switching_lights_is_an_unproven_webhook() -> None:
    """Geofence events posted to a public relay bucket reach the lights."""
    def relay(to: list[str]) -> list[dict[str, Any]]:
        return [tab(), node("relay", "webhookrelay", buckets="home", wires=[to]),
                node("lights", "hue-scene", name="Living room bright")]

    f = one(findings_of(AUTH001, app_of(relay(["lights"]))))
    assert (f.resource.id, f.evidence["kind"], f.evidence["authentication"]) == (
        nid("relay"), "webhook", "unproven")
    assert findings_of(AUTH001, app_of(relay([]))) == []  # wired to nothing: leads nowhere


# -- a router function behind several routes ---------------------------------------------------
ROUTER = """const path = msg.req.path;
const method = msg.req.method;
if (method === "POST" && path === "/api/login") {
  const body = msg.payload || {};
  if (!checkLogin(body.password)) { msg.statusCode = 401; return msg; }
  return msg;
}
if (method === "GET" && path === "/api/health") {
  msg.payload = { ok: true };
  return msg;
}
const token = String(msg.req.headers.authorization || "");
if (!sessions[token]) { msg.statusCode = 401; return msg; }
if (method === "GET" && path === "/api/orders") {
  msg.payload = flow.get("orders");
  return msg;
}
return msg;"""


def test_a_router_functions_guard_names_what_each_routes_own_code_checks() -> None:
    """One function serves a login, a health probe and an API: each route's AUTH004 names what
    the code run for it checks (before its branch and in it), so the health route, whose code
    checks nothing, does not read as checking a password: nothing guards it (AUTH001)."""
    routes = {"login": "/api/login", "health": "/api/health", "orders": "/api/orders"}
    flows = [tab(), *(http_in(key, url, to=["router"]) for key, url in routes.items()),
             function("router", ROUTER, to=["answer"]), http_response("answer")]
    flows = [{**n, "method": "get"} if n.get("type") == "http in" else n for n in flows]
    app = app_of(flows)
    found = {f.resource.id: f for f in findings_of(AUTH004, app)}
    assert set(found) == {nid("login"), nid("orders")}
    assert "checks body parameter password for this route" in found[nid("login")].message
    # the session check sits before the orders branch: every later route passes it
    assert found[nid("orders")].evidence["guard"]["compares"] == \
        "header authorization for this route"
    assert ids(findings_of(AUTH001, app)) == {nid("health")}


HELPER_ROUTER = """const requestHeaders = msg.req.headers || {};
const path = msg.req.path;
function sessionOf() {
  const token = String(requestHeaders.authorization || "").slice(7);
  return sessions[token];
}
if (path === "/api/health") {
  msg.payload = { ok: true };
  return msg;
}
if (path === "/api/orders") {
  if (!sessionOf()) { msg.statusCode = 401; return msg; }
  msg.payload = flow.get("orders");
  return msg;
}
return msg;"""


def test_a_router_check_in_a_helper_counts_only_for_the_routes_that_call_it() -> None:
    """The helper that reads the session header (through a name the code gives the headers)
    runs for the orders route, which calls it, not for the health route declared beside it."""
    routes = {"health": "/api/health", "orders": "/api/orders"}
    flows = [tab(), *(http_in(key, url, method="get", to=["router"])
                      for key, url in routes.items()),
             function("router", HELPER_ROUTER, to=["answer"]), http_response("answer")]
    app = app_of(flows)
    orders = one(findings_of(AUTH004, app))
    assert orders.resource.id == nid("orders")
    assert orders.evidence["guard"]["compares"] == "header authorization for this route"
    assert ids(findings_of(AUTH001, app)) == {nid("health")}
