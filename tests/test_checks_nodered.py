"""Detection tests of the built-in checks on Node-RED: each check fires on a realistic bad flow
and stays quiet on a look-alike good one.

Apps are built through the real Node-RED adapter from flows shaped like ``flows.json`` exports
(flow nodes with id, type, z, name, x, y, wires; config nodes without z) and like snapshots of a
live instance (``GET /settings``, ``GET /diagnostics``, ``GET /nodes``). Each check function is
called with the fixtures it names, as the plugin would call it; a few pytester runs prove the same
through the real plugin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec
from pytest_nocode.checks import test_configuration as configuration
from pytest_nocode.checks import test_injection as injection
from pytest_nocode.checks import test_inventory as inventory
from pytest_nocode.checks import test_logging as logging_checks
from pytest_nocode.checks import test_permissions as permissions
from pytest_nocode.checks import test_platform_audit as platform_audit
from pytest_nocode.findings import Severity
from pytest_nocode.model import App
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.testing import rule_of
from tests.checkrun import (
    NOT_APPLICABLE,
    Check,
    findings_of,
    ids,
    one,
    policy,
    skip_reason,
)
from tests.rules import (
    AUTH001,
    AUTH002,
    AUTH003,
    AUTH004,
    CFG001,
    CFG002,
    CFG003,
    CMD001,
    CMD002,
    CON001,
    CON002,
    CON003,
    CON004,
    ENC001,
    ENC002,
    ENC003,
    EXP001,
    EXP002,
    INJ001,
    INJ002,
    INV001,
    INV003,
    INV005,
    LOG002,
    SEC001,
)

ADAPTER = NodeRedPlatform()
DETECTION = Path(__file__).resolve().parent / "data" / "detection"


# -- Node-RED flows as the editor exports them ---------------------------------------------------
def nid(key: str) -> str:
    """A stable 16-hex Node-RED id for a readable key."""
    return hashlib.sha1(key.encode()).hexdigest()[:16]


TAB = nid("tab:Order intake")
TAB2 = nid("tab:Partner sync")


def tab(label: str = "Order intake", *, tid: str | None = None,
        disabled: bool = False) -> dict[str, Any]:
    return {"id": tid or nid(f"tab:{label}"), "type": "tab", "label": label,
            "disabled": disabled, "info": "", "env": []}


def node(key: str, ntype: str, /, *, z: str = TAB, wires: list[list[str]] | None = None,
         name: str = "", **props: Any) -> dict[str, Any]:
    """A flow node; ``wires`` name the targets by key."""
    return {"id": nid(key), "type": ntype, "z": z, "name": name, **props, "x": 200, "y": 120,
            "wires": [[nid(t) for t in port] for port in (wires or [])]}


def config(key: str, ntype: str, /, **props: Any) -> dict[str, Any]:
    """A config node: no z, no position, no wires."""
    return {"id": nid(key), "type": ntype, "name": props.pop("name", ""), **props}


def http_in(key: str, url: str, *, method: str = "post", to: Iterable[str] = (),
            z: str = TAB, **extra: Any) -> dict[str, Any]:
    return node(key, "http in", z=z, name=f"{method.upper()} {url}", url=url, method=method,
                upload=False, skipBodyParsing=False, swaggerDoc="", wires=[list(to)], **extra)


def http_response(key: str, z: str = TAB) -> dict[str, Any]:
    return node(key, "http response", z=z, statusCode="", headers={})


def http_request(key: str, url: str, *, to: Iterable[str] = (), tls: str = "", proxy: str = "",
                 insecure: bool = False, z: str = TAB, method: str = "POST") -> dict[str, Any]:
    return node(key, "http request", z=z, name=key, method=method, ret="txt",
                paytoqs="ignore", url=url, tls=tls, persist=False, proxy=proxy,
                insecureHTTPParser=insecure, authType="", senderr=False, headers=[],
                wires=[list(to)])


def function(key: str, func: str = "return msg;", *, to: Iterable[str] = (), z: str = TAB,
             libs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return node(key, "function", z=z, name=key, func=func, outputs=1, timeout=0, noerr=0,
                initialize="", finalize="", libs=libs or [], wires=[list(to)])


def exec_node(key: str, command: str, addpay: str, *, z: str = TAB, to: Iterable[str] = (),
              **extra: Any) -> dict[str, Any]:
    return node(key, "exec", z=z, name=key, command=command, addpay=addpay, append="",
                useSpawn="false", timer="", winHide=False, oldrc=False,
                wires=[list(to), [], []], **extra)


def template(key: str, text: str, *, syntax: str = "mustache", to: Iterable[str] = (),
             z: str = TAB) -> dict[str, Any]:
    return node(key, "template", z=z, name=key, field="payload", fieldType="msg",
                format="handlebars", syntax=syntax, template=text, output="str",
                wires=[list(to)])


def inject(key: str, *, to: Iterable[str] = (), z: str = TAB, repeat: str = "",
           payload: str = "") -> dict[str, Any]:
    return node(key, "inject", z=z, name=key,
                props=[{"p": "payload"}, {"p": "topic", "vt": "str"}], repeat=repeat,
                crontab="", once=False, onceDelay=0.1, topic="", payload=payload,
                payloadType="date" if not payload else "str", wires=[list(to)])


def debug(key: str, z: str = TAB) -> dict[str, Any]:
    return node(key, "debug", z=z, name=key, active=True, tosidebar=True, console=False,
                tostatus=False, complete="payload", targetType="msg", statusVal="",
                statusType="auto")


def change(key: str, *, to: Iterable[str] = (), z: str = TAB,
           rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return node(key, "change", z=z, name=key, rules=rules or [
        {"t": "set", "p": "payload.source", "pt": "msg", "to": "web", "tot": "str"}],
        action="", property="", wires=[list(to)])


def file_in(key: str, filename: str, *, to: Iterable[str] = (), z: str = TAB) -> dict[str, Any]:
    return node(key, "file in", z=z, name=key, filename=filename, filenameType="str",
                format="utf8", chunk=False, sendError=False, encoding="none",
                allProps=False, wires=[list(to)])


def file_out(key: str, filename: str, *, to: Iterable[str] = (),
             z: str = TAB) -> dict[str, Any]:
    return node(key, "file", z=z, name=key, filename=filename, filenameType="str",
                appendNewline=True, createDir=True, overwriteFile="false", encoding="utf8",
                wires=[list(to)])


def catch(key: str, z: str = TAB, to: Iterable[str] = ()) -> dict[str, Any]:
    return node(key, "catch", z=z, name=key, scope=None, uncaught=False, wires=[list(to)])


def tls_config(key: str, verify: bool) -> dict[str, Any]:
    return config(key, "tls-config", name=key, cert="", key="", ca="", certname="",
                  keyname="", caname="partner-ca.pem", servername="", verifyservercert=verify,
                  alpnprotocol="")


def mqtt_broker(key: str, broker: str, port: str, *, usetls: bool,
                tls: str = "") -> dict[str, Any]:
    props: dict[str, Any] = {"broker": broker, "port": port, "clientid": "nodered-intake",
                             "autoConnect": True, "usetls": usetls, "protocolVersion": "4",
                             "keepalive": "60", "cleansession": True}
    if tls:
        props["tls"] = tls
    return config(key, "mqtt-broker", name=key, **props)


def mqtt_in(key: str, broker: str, *, to: Iterable[str] = (), z: str = TAB) -> dict[str, Any]:
    return node(key, "mqtt in", z=z, name=key, topic="acme/warehouse/+/scan", qos="1",
                datatype="auto-detect", broker=nid(broker), nl=False, rap=True, rh=0,
                inputs=0, wires=[list(to)])


def ws_listener(key: str, path: str) -> dict[str, Any]:
    return config(key, "websocket-listener", path=path, wholemsg="false")


def ws_in(key: str, listener: str, *, to: Iterable[str] = (), z: str = TAB,
          **extra: Any) -> dict[str, Any]:
    return node(key, "websocket in", z=z, name=key, server=nid(listener), client="",
                wires=[list(to)], **extra)


# -- snapshots of a live instance ----------------------------------------------------------------
def settings_api(**changes: Any) -> dict[str, Any]:
    """``GET /settings`` of a hardened Node-RED 4.1.8, with ``changes`` applied."""
    data: dict[str, Any] = {
        "httpNodeRoot": "/", "version": "4.1.8",
        "user": {"username": "admin", "permissions": "*"},
        "context": {"default": "memory", "stores": ["memory"]},
        "flowFilePretty": True,
        "externalModules": {"modules": {"allowInstall": False},
                            "palette": {"allowInstall": False, "allowUpload": False}},
        "flowEncryptionType": "user",
        "diagnostics": {"enabled": True, "ui": True},
        "telemetryEnabled": False,
        "runtimeState": {"enabled": False, "ui": False},
        "functionExternalModules": False,
        "functionTimeout": 30,
        "tlsConfigDisableLocalFiles": True,
        "editorTheme": {"palette": {}, "projects": {"enabled": False}},
    }
    data.update(changes)
    return data


def diagnostics_api(**runtime_settings: Any) -> dict[str, Any]:
    """``GET /diagnostics`` of the same instance, ``runtime.settings`` changed as given."""
    settings = {"available": True, "apiMaxLength": "UNSET", "disableEditor": False,
                "flowFile": "flows.json", "adminAuth": "SET", "httpAdminRoot": "/",
                "httpAdminCors": "UNSET", "httpNodeAuth": "SET", "httpNodeRoot": "/",
                "httpNodeCors": "UNSET", "httpStatic": "UNSET", "uiHost": "SET",
                "uiPort": "SET", "userDir": "SET", "nodesDir": "UNSET"}
    settings.update(runtime_settings)
    return {"report": "diagnostics", "scope": "basic",
            "nodejs": {"version": "v20.20.2", "arch": "x64", "platform": "linux"},
            "os": {"containerised": True, "platform": "linux", "type": "Linux"},
            "runtime": {"version": "4.1.8", "isStarted": True,
                        "flows": {"state": "start", "started": True},
                        "modules": {"node-red": "4.1.8"}, "settings": settings}}


def node_set(module: str, version: str, name: str, types: list[str]) -> dict[str, Any]:
    """One entry of ``GET /nodes``."""
    return {"id": f"{module}/{name}", "name": name, "types": types, "enabled": True,
            "local": False, "user": module != "node-red", "module": module, "version": version}


CORE_NODE_SETS = [
    node_set("node-red", "4.1.8", "inject", ["inject"]),
    node_set("node-red", "4.1.8", "debug", ["debug"]),
    node_set("node-red", "4.1.8", "catch", ["catch"]),
    node_set("node-red", "4.1.8", "function", ["function"]),
    node_set("node-red", "4.1.8", "httpin", ["http in", "http response"]),
    node_set("node-red", "4.1.8", "httprequest", ["http request"]),
]
FTP_NODE_SET = node_set("node-red-contrib-ftp", "0.0.6", "ftp", ["ftp", "ftp in"])


def app_of(flows: list[dict[str, Any]], *, settings: dict[str, Any] | None = None,
           diagnostics: dict[str, Any] | None = None,
           nodes: list[dict[str, Any]] | None = None,
           app_id: str = "nodered-detect") -> App:
    """The App the Node-RED adapter builds from a bare export or from a snapshot."""
    data: Any = flows
    if settings is not None or diagnostics is not None or nodes is not None:
        data = {"flows": flows, "rev": "8088ac804111d75e22454c9684588240"}
        if settings is not None:
            data["settings"] = settings
        if diagnostics is not None:
            data["diagnostics"] = diagnostics
        if nodes is not None:
            data["nodes"] = nodes
    spec = AppSpec(f"nodered+file:{app_id}.json", "nodered", "file", f"/srv/{app_id}.json",
                   app_id)
    return ADAPTER.normalize(spec, RawSnapshot("nodered", data, "file"))


def hardened(flows: list[dict[str, Any]], *, settings: dict[str, Any] | None = None,
             **runtime: Any) -> App:
    """A snapshot of a hardened instance; keyword arguments change diagnostics settings."""
    return app_of(flows, settings=settings or settings_api(),
                  diagnostics=diagnostics_api(**runtime))


ORDER_API = [
    tab(),
    http_in("in", "/api/orders", to=["normalise"]),
    # it acts: it keeps the last order in global context
    function("normalise", "global.set('last_order', msg.payload);\nreturn msg;", to=["resp"]),
    http_response("resp"),
]


# == AUTH001 =====================================================================================
# a step that acts on what it is given: it keeps the last message in global context
KEEP_LAST = function("keep", "global.set('last', msg.payload);\nreturn msg;")


def test_auth001_http_in_of_a_bare_export_is_unproven() -> None:
    f = one(findings_of(AUTH001, app_of(ORDER_API)))
    assert (f.resource.kind, f.resource.id, f.resource.path) == (
        "node", nid("in"), f"flows/{TAB}/{nid('in')}")
    assert f.severity is Severity.HIGH
    assert f.evidence == {"kind": "http", "route": "/api/orders", "methods": ["POST"],
                          "authentication": "unproven", "type": "http in", "effect": "acts",
                          "effect_reason": "node 'normalise' (function) runs code its author "
                                           "wrote"}
    assert "does not show an instance-wide one" in f.message


def test_auth001_http_in_with_http_node_auth_unset_fires() -> None:
    f = one(findings_of(AUTH001, hardened(ORDER_API, httpNodeAuth="UNSET")))
    assert f.resource.id == nid("in")
    assert f.evidence["authentication"] == "none"
    assert f.message == "http endpoint '/api/orders' accepts requests without authentication"


def test_auth001_http_in_with_http_node_auth_set_is_quiet() -> None:
    assert findings_of(AUTH001, hardened(ORDER_API, httpNodeAuth="SET")) == []


def test_auth001_websocket_listener_in_use_fires_on_the_listener() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/telemetry"), ws_in("wsin", "wsl", to=["keep"]),
             KEEP_LAST]
    f = one(findings_of(AUTH001, app_of(flows)))
    assert (f.resource.id, f.resource.path) == (nid("wsl"), f"config/{nid('wsl')}")
    assert f.severity is Severity.HIGH
    assert f.evidence["kind"] == "websocket" and f.evidence["route"] == "/ws/telemetry"
    assert f.evidence["type"] == "websocket-listener"


def test_auth001_websocket_listener_nobody_reads_is_quiet() -> None:
    """A listener no websocket-in node reads: what clients send goes nowhere."""
    flows = [tab(), ws_listener("wsl", "/ws/telemetry"), inject("tick", to=["dbg"]),
             debug("dbg")]
    assert findings_of(AUTH001, app_of(flows)) == []
    pushed = [*flows, node("wsout", "websocket out", server=nid("wsl"))]
    assert findings_of(AUTH001, app_of(pushed)) == []
    assert one(app_of(pushed).entry_points).effect == "nothing"


def test_auth001_websocket_listener_is_not_covered_by_http_node_auth() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/telemetry"), ws_in("wsin", "wsl", to=["keep"]),
             KEEP_LAST]
    f = one(findings_of(AUTH001, hardened(flows, httpNodeAuth="SET")))
    assert f.resource.id == nid("wsl")


def test_auth001_disabled_http_in_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["resp"], d=True), http_response("resp")]
    assert findings_of(AUTH001, app_of(flows)) == []


def test_disabled_tab_disables_its_nodes_for_every_check() -> None:
    flows = [tab(disabled=True), http_in("in", "/run", to=["sh"]),
             exec_node("sh", "/bin/sh -c", "payload")]
    app = app_of(flows)
    assert all(app.step(nid(k)).disabled for k in ("in", "sh"))
    assert findings_of(AUTH001, app) == []
    assert findings_of(injection.test_untrusted_input_does_not_reach_sinks, app) == []
    # the same flow on an enabled tab is found by both
    live = app_of([tab(), *flows[1:]])
    assert ids(findings_of(AUTH001, live)) == {nid("in")}


# -- checks in the first steps (AUTH004) ----------------------------------------------------------
VERIFY_JS = """const crypto = global.get('crypto');
const sig = msg.req.headers['x-hub-signature-256'] || '';
const mac = 'sha256=' + crypto.createHmac('sha256', env.get('HOOK_SECRET'))
    .update(msg.req.rawBody || '').digest('hex');
if (sig !== mac) {
    msg.statusCode = 401;
    return [null, msg];
}
return [msg, null];"""


def _guarded(guard: dict[str, Any], *more: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/hooks/github", to=["guard"]), guard, *more,
            function("handle", "global.set('last_push', msg.payload);\nreturn msg;",
                     to=["ok"]), http_response("ok")]


def test_auth004_function_checking_a_request_header_hmac_and_answering_401() -> None:
    guard = function("guard", VERIFY_JS)
    guard.update(name="Verify signature", outputs=2,
                 wires=[[nid("handle")], [nid("deny")]])
    deny = node("deny", "http response", name="deny", statusCode="401", headers={})
    app = app_of(_guarded(guard, deny))
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert f.resource.id == nid("in") and f.severity is Severity.LOW
    assert f.evidence["guard"] == {
        "step": nid("guard"), "name": "Verify signature", "type": "function",
        "compares": "header x-hub-signature-256, a signature computed in code (HMAC/JWT)",
        "on_failure": "responds 401 ('deny')"}


def test_auth004_switch_on_an_api_key_header_dropping_the_rest() -> None:
    guard = node("guard", "switch", name="Known key?", property="req.headers['x-api-key']",
                 propertyType="msg", rules=[{"t": "eq", "v": "HOOK_KEY", "vt": "env"}],
                 checkall="true", repair=False, outputs=1, wires=[["handle"]])
    f = one(findings_of(AUTH004, app_of(_guarded(guard))))
    assert f.evidence["guard"]["compares"] == "header x-api-key"
    assert f.evidence["guard"]["on_failure"] == "drops messages that match no rule"


def test_auth001_switch_with_an_otherwise_rule_lets_everyone_through() -> None:
    guard = node("guard", "switch", name="Known key?", property="req.headers['x-api-key']",
                 propertyType="msg", rules=[{"t": "eq", "v": "HOOK_KEY", "vt": "env"},
                                            {"t": "else"}],
                 checkall="true", repair=False, outputs=2, wires=[["handle"], ["handle"]])
    assert ids(findings_of(AUTH001, app_of(_guarded(guard)))) == {nid("in")}


def test_auth001_function_setting_outgoing_headers_is_no_check() -> None:
    guard = function("guard", "if (!msg.payload) { return null; }\n"
                     "msg.headers = {}; msg.headers['authorization'] = 'Bearer ' + "
                     "env.get('ERP_TOKEN');\nreturn msg;", to=["handle"])
    app = app_of(_guarded(guard))
    assert ids(findings_of(AUTH001, app)) == {nid("in")}
    assert findings_of(AUTH004, app) == []


# -- Telegram bots ------------------------------------------------------------------------------
def telegram_bot(key: str, **allowed: str) -> dict[str, Any]:
    return config(key, "telegram bot", botname="HomeBot", usernames=allowed.get("usernames", ""),
                  chatids=allowed.get("chatids", ""), baseapiurl="", updatemode="polling",
                  pollinterval="300", usesocks=False, verboselogging=False)


def telegram_in(key: str, bot: str, ntype: str = "telegram receiver", *,
                to: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    return node(key, ntype, name=key, bot=nid(bot), saveDataDir="", filterCommands=False,
                wires=[list(to), []], **extra)


def test_auth001_telegram_bot_answering_anyone_fires_on_the_bot() -> None:
    flows = [tab(), telegram_bot("bot"), telegram_in("rx", "bot", to=["sh"]),
             exec_node("sh", "/usr/local/bin/home", "payload")]
    app = app_of(flows)
    f = one(findings_of(AUTH001, app))
    assert (f.resource.id, f.evidence["kind"]) == (nid("bot"), "chat")
    assert f.message == ("telegram bot HomeBot answers anyone on Telegram: it names no allowed "
                         "users or chats")
    assert ids(findings_of(injection.test_untrusted_input_does_not_reach_sinks, app)) == {
        nid("sh")}


@pytest.mark.parametrize("allowed", [{"usernames": "alice"}, {"chatids": "418273645"}])
def test_auth001_telegram_bot_with_allowed_users_or_chats_is_quiet(allowed: dict[str, str]
                                                                   ) -> None:
    flows = [tab(), telegram_bot("bot", **allowed), telegram_in("rx", "bot", to=["dbg"]),
             debug("dbg")]
    assert findings_of(AUTH001, app_of(flows)) == []


def test_auth001_telegram_bot_that_only_sends_or_whose_receivers_are_off_is_quiet() -> None:
    sender = node("tx", "telegram sender", name="tx", bot=nid("bot"), wires=[[]])
    assert findings_of(AUTH001, app_of([tab(), telegram_bot("bot"), sender])) == []
    off = telegram_in("rx", "bot", to=["dbg"], d=True)
    assert findings_of(AUTH001, app_of([tab(), telegram_bot("bot"), off, debug("dbg")])) == []


def test_auth001_redbot_telegram_bot_without_users_fires_on_its_config() -> None:
    """node-red-contrib-chatbot keeps the bot's allowed users in its config node, like the
    core Telegram nodes: empty, anyone on Telegram talks to the home alarm bot."""
    def flows(usernames: str) -> list[dict[str, Any]]:
        bot = config("redbot", "chatbot-telegram-node", botname="AlarmBot",
                     usernames=usernames, polling="1000", connectMode="polling")
        rx = node("rx", "chatbot-telegram-receive", bot=nid("redbot"), wires=[["keep"]])
        return [tab(), bot, rx, KEEP_LAST]

    f = one(findings_of(AUTH001, app_of(flows(""))))
    assert (f.resource.id, f.evidence["kind"]) == (nid("redbot"), "chat")
    assert "AlarmBot answers anyone" in f.message
    assert findings_of(AUTH001, app_of(flows("alice,bob"))) == []


def test_auth001_worldmap_page_follows_http_node_auth() -> None:
    """The worldmap node serves its live map at /worldmap (or its path) on Node-RED's HTTP
    server: unproven in a bare export, open without httpNodeAuth, quiet with it."""
    page = node("map", "worldmap", name="Fleet", path="/fleet-map", usermenu="show")
    f = one(findings_of(AUTH001, app_of([tab(), page])))
    assert f.resource.id == nid("map")
    assert (f.evidence["kind"], f.evidence["route"]) == ("http", "/fleet-map")
    default = node("map", "worldmap", name="Fleet", path="")
    assert one(findings_of(AUTH001, hardened([tab(), default], httpNodeAuth="UNSET"))
               ).evidence["route"] == "/worldmap"
    assert findings_of(AUTH001, hardened([tab(), page], httpNodeAuth="SET")) == []


def test_auth001_opcua_server_allowing_anonymous_sessions_fires() -> None:
    """node-red-contrib-opcua's server opens anonymous sessions unless allowAnonymous is off
    (then its users log in): the look-alike is the same server with anonymous access off."""
    def server(**props: Any) -> dict[str, Any]:
        return node("opc", "OpcUa-Server", port="53880", endpoint="UA/Line1",
                    endpointNone=True, **props)

    f = one(findings_of(AUTH001, app_of([tab(), server(allowAnonymous=True)])))
    assert f.resource.id == nid("opc")
    assert (f.evidence["kind"], f.evidence["authentication"]) == ("tcp", "none")
    assert "53880" in f.evidence["route"]
    assert findings_of(AUTH001, app_of([tab(), server(allowAnonymous=False)])) == []


def test_auth001_tcp_server_fires_and_tcp_client_is_quiet() -> None:
    flows = [tab(),
             node("tcpsrv", "tcp in", name="PLC feed", server="server", host="", port="4001",
                  datamode="stream", datatype="buffer", newline="", topic="", trim=False,
                  base64=False, tls="", wires=[["keep"]]),
             node("tcpcli", "tcp in", name="PLC client", server="client", host="plc.local",
                  port="4002", datamode="stream", datatype="buffer", newline="", topic="",
                  trim=False, base64=False, tls="", wires=[["keep"]]),
             KEEP_LAST]
    f = one(findings_of(AUTH001, app_of(flows)))
    assert f.resource.id == nid("tcpsrv")
    assert f.evidence["kind"] == "tcp" and f.evidence["route"] == "4001"
    assert f.evidence["authentication"] == "none"


# == AUTH002 / AUTH003 ===========================================================================


def test_auth002_admin_auth_unset_is_critical() -> None:
    f = one(findings_of(AUTH002, hardened(ORDER_API, adminAuth="UNSET")))
    assert (f.resource.kind, f.resource.id) == ("setting", "adminAuth")
    assert f.severity is Severity.CRITICAL
    assert f.evidence == {"adminAuth": "UNSET", "source": "GET /diagnostics runtime.settings"}


def test_auth002_admin_auth_set_is_quiet() -> None:
    assert findings_of(AUTH002, hardened(ORDER_API, adminAuth="SET")) == []


def test_auth002_settings_without_diagnostics_is_not_applicable_not_passed() -> None:
    app = app_of(ORDER_API, settings=settings_api())
    assert app.has("settings")
    assert skip_reason(AUTH002, app).startswith(NOT_APPLICABLE)
    assert "adminAuth" in skip_reason(AUTH002, app)


def test_auth003_http_node_auth_unset_lists_the_routes() -> None:
    flows = [*ORDER_API, ws_listener("wsl", "/ws/telemetry"), ws_in("wsin", "wsl")]
    f = one(findings_of(AUTH003, hardened(flows, httpNodeAuth="UNSET")))
    assert (f.resource.kind, f.resource.id) == ("setting", "httpNodeAuth")
    assert f.evidence == {"httpNodeAuth": "UNSET", "routes": ["/api/orders", "/ws/telemetry"]}
    assert f.message.startswith("2 HTTP/websocket route(s)")


def test_auth003_http_node_auth_set_is_quiet() -> None:
    assert findings_of(AUTH003, hardened(ORDER_API, httpNodeAuth="SET")) == []


def test_auth003_unset_without_any_route_is_quiet() -> None:
    flows = [tab(), inject("tick", to=["dbg"]), debug("dbg")]
    assert findings_of(AUTH003, hardened(flows, httpNodeAuth="UNSET")) == []


def test_auth003_unset_with_only_a_disabled_route_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["resp"], d=True), http_response("resp"),
             ws_listener("wsl", "/ws/unused")]
    assert findings_of(AUTH003, hardened(flows, httpNodeAuth="UNSET")) == []


# == ENC001 ======================================================================================


def _request_flow(url: str, **kwargs: Any) -> list[dict[str, Any]]:
    return [tab(), inject("tick", to=["req"]), http_request("req", url, to=["dbg"], **kwargs),
            debug("dbg")]


@pytest.mark.parametrize(("url", "host", "port"), [
    ("http://erp.acme-partner.com/api/orders", "erp.acme-partner.com", None),
    ("http://10.20.0.15:8080/api/orders", "10.20.0.15", 8080),
    ("erp.acme-partner.com/api/orders", "erp.acme-partner.com", None),  # Node-RED adds http://
    ("http://erp.acme-partner.com/api/{{orderId}}", "erp.acme-partner.com", None),
])
def test_enc001_http_to_a_remote_host_fires(url: str, host: str, port: int | None) -> None:
    f = one(findings_of(ENC001, app_of(_request_flow(url))))
    assert (f.resource.id, f.resource.path) == (nid("req"), f"flows/{TAB}/{nid('req')}")
    assert f.evidence["protocol"] == "http" and f.evidence["type"] == "http request"
    assert (f.evidence["host"], f.evidence["port"]) == (host, port)
    assert f.message.startswith(f"HTTP without TLS to {host}")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:1880/health",
    "http://localhost:8080/status",
    "http://[::1]:1880/health",
    "https://erp.acme-partner.com/api/orders",
])
def test_enc001_loopback_or_https_is_quiet(url: str) -> None:
    assert findings_of(ENC001, app_of(_request_flow(url))) == []


def test_enc001_plain_mqtt_broker_in_use_fires_on_the_broker() -> None:
    flows = [tab(), mqtt_broker("plain", "mqtt.acme-iot.net", "1883", usetls=False),
             mqtt_in("scans", "plain", to=["dbg"]), debug("dbg")]
    f = one(findings_of(ENC001, app_of(flows)))
    assert (f.resource.id, f.resource.path) == (nid("plain"), f"config/{nid('plain')}")
    assert f.evidence == {"protocol": "mqtt", "host": "mqtt.acme-iot.net", "port": 1883,
                          "url": "mqtt.acme-iot.net", "type": "mqtt-broker",
                          "zone": "internet", "credentials": False, "sensitive": [],
                          "received": []}


def test_enc001_tls_mqtt_broker_is_quiet() -> None:
    flows = [tab(), tls_config("iot-ca", verify=True),
             mqtt_broker("secure", "broker.acme.io", "8883", usetls=True, tls=nid("iot-ca")),
             mqtt_in("events", "secure", to=["dbg"]), debug("dbg")]
    assert findings_of(ENC001, app_of(flows)) == []


def test_enc001_plain_broker_nobody_uses_is_quiet() -> None:
    flows = [tab(), mqtt_broker("plain", "mqtt.acme-iot.net", "1883", usetls=False),
             inject("tick", to=["dbg"]), debug("dbg")]
    assert findings_of(ENC001, app_of(flows)) == []


def _tcp_request(tls: str) -> dict[str, Any]:
    return node("tcpreq", "tcp request", name="Modbus gateway", server="plc.acme-factory.net",
                port="502", out="time", ret="buffer", splitc="0", newline="", trim=False,
                tls=tls, wires=[["dbg"]])


def test_enc001_tcp_request_without_tls_fires() -> None:
    flows = [tab(), inject("tick", to=["tcpreq"]), _tcp_request(""), debug("dbg")]
    f = one(findings_of(ENC001, app_of(flows)))
    assert f.resource.id == nid("tcpreq")
    assert (f.evidence["protocol"], f.evidence["host"], f.evidence["port"]) == (
        "tcp", "plc.acme-factory.net", 502)


def test_enc001_tcp_request_with_tls_is_quiet() -> None:
    flows = [tab(), tls_config("plc-ca", verify=True), inject("tick", to=["tcpreq"]),
             _tcp_request(nid("plc-ca")), debug("dbg")]
    assert findings_of(ENC001, app_of(flows)) == []


def test_enc001_udp_out_to_remote_fires() -> None:
    flows = [tab(), inject("tick", to=["udp"]),
             node("udp", "udp out", name="syslog", addr="syslog.acme-ops.net", iface="",
                  port="514", ipv="udp4", outport="", base64=False, multicast="false")]
    f = one(findings_of(ENC001, app_of(flows)))
    assert f.resource.id == nid("udp")
    assert (f.evidence["protocol"], f.evidence["port"]) == ("udp", 514)


def test_enc001_http_proxy_config_is_not_flagged() -> None:
    flows = [tab(), config("proxy", "http proxy", name="Corporate proxy",
                           url="http://proxy.acme.internal:3128",
                           noproxy=["127.0.0.1", "localhost"]),
             *_request_flow("https://erp.acme-partner.com/api/orders", proxy=nid("proxy"))[1:]]
    app = app_of(flows)
    assert any(d.step_id == nid("proxy") and d.tls is False for d in app.destinations)
    assert findings_of(ENC001, app) == []


def test_enc001_contrib_ftp_without_secure_fires_and_with_secure_is_quiet() -> None:
    def flows(secure: bool) -> list[dict[str, Any]]:
        return [tab(), config("ftpcfg", "ftp", host="ftp.acme-partner.com", port="21",
                              secure=secure, secureOptions="", user="acme-orders",
                              connTimeout="", pasvTimeout="", keepalive=""),
                inject("nightly", to=["put"]),
                node("put", "ftp in", name="Put orders.csv", ftp=nid("ftpcfg"),
                     operation="put", filename="/incoming/orders.csv",
                     localFilename="/data/exports/orders.csv", wires=[[]])]

    f = one(findings_of(ENC001, app_of(flows(False))))
    assert f.resource.id == nid("ftpcfg")
    assert (f.evidence["protocol"], f.evidence["host"]) == ("ftp", "ftp.acme-partner.com")
    assert findings_of(ENC001, app_of(flows(True))) == []


# == ENC002 ======================================================================================


def _tls_request(verify: bool, url: str = "https://reports.acme-partner.com/upload"
                 ) -> list[dict[str, Any]]:
    return [tab(), tls_config("partner-tls", verify=verify), inject("nightly", to=["upload"]),
            http_request("upload", url, tls=nid("partner-tls"), method="PUT", to=["dbg"]),
            debug("dbg")]


def test_enc002_tls_config_without_verification_fires_on_the_setting_naming_its_user() -> None:
    f = one(findings_of(ENC002, app_of(_tls_request(verify=False))))
    assert f.resource.id == nid("partner-tls")
    assert f.message == ("certificate checks are off for reports.acme-partner.com: 1 node "
                         "connects through this tls-config")
    assert [u["id"] for u in f.evidence["users"]] == [nid("upload")]
    assert f.evidence["hosts"] == ["reports.acme-partner.com"]
    assert f.evidence["verify_cert"] is False


def test_enc002_one_finding_per_shared_tls_setting_however_many_requests_use_it() -> None:
    """One ``tls-config`` with verification off behind every request of a deployment is one
    setting to fix: one finding on it, each request named in its evidence. A second
    tls-config that verifies stays quiet; a node with its own setting keeps its finding."""
    urls = [f"https://orion.acme-city.net/v2/entities/{n}" for n in range(5)]
    flows = [tab(), tls_config("lax", verify=False), tls_config("strict", verify=True),
             inject("tick", to=[f"req{n}" for n in range(5)] + ["ok"]),
             *(http_request(f"req{n}", url, tls=nid("lax")) for n, url in enumerate(urls)),
             http_request("ok", "https://orion.acme-city.net/v2/ok", tls=nid("strict")),
             mqtt_broker("secure", "broker.acme-city.net", "8883", usetls=True,
                         tls=nid("lax")),
             mqtt_in("events", "secure", to=["dbg"]), debug("dbg"),
             config("ha", "server", name="Home Assistant", addon=False,
                    rejectUnauthorizedCerts=False),
             node("state", "server-state-changed", server=nid("ha"), entityidfilter="sun.sun",
                  wires=[[]])]
    found = findings_of(ENC002, app_of(flows))
    assert ids(found) == {nid("lax"), nid("ha")}
    lax = next(f for f in found if f.resource.id == nid("lax"))
    assert lax.message == ("certificate checks are off for orion.acme-city.net, "
                           "broker.acme-city.net: 6 nodes connect through this tls-config")
    assert {u["id"] for u in lax.evidence["users"]} == {
        *(nid(f"req{n}") for n in range(5)), nid("secure")}
    assert lax.evidence["zones"] == ["internet"]


def test_enc002_tls_config_with_verification_is_quiet() -> None:
    assert findings_of(ENC002, app_of(_tls_request(verify=True))) == []


def test_enc002_loopback_without_verification_is_quiet() -> None:
    flows = _tls_request(verify=False, url="https://127.0.0.1:8443/self-signed")
    assert findings_of(ENC002, app_of(flows)) == []


def test_enc002_mqtt_broker_with_unverified_tls_fires_on_its_tls_config() -> None:
    flows = [tab(), tls_config("iot-ca", verify=False),
             mqtt_broker("secure", "broker.acme.io", "8883", usetls=True, tls=nid("iot-ca")),
             mqtt_in("events", "secure", to=["dbg"]), debug("dbg")]
    f = one(findings_of(ENC002, app_of(flows)))
    assert f.resource.id == nid("iot-ca")
    assert [u["id"] for u in f.evidence["users"]] == [nid("secure")]


def test_enc002_unused_broker_with_unverified_tls_is_quiet() -> None:
    flows = [tab(), tls_config("iot-ca", verify=False),
             mqtt_broker("old", "broker.acme.io", "8883", usetls=True, tls=nid("iot-ca")),
             inject("tick", to=["dbg"]), debug("dbg")]
    assert findings_of(ENC002, app_of(flows)) == []


# == ENC003 ======================================================================================


def test_enc003_encryption_disabled_fires_high() -> None:
    app = hardened(ORDER_API, settings=settings_api(flowEncryptionType="disabled"))
    f = one(findings_of(ENC003, app))
    assert (f.resource.kind, f.resource.id) == ("setting", "flowEncryptionType")
    assert f.severity is Severity.HIGH
    assert f.evidence == {"flowEncryptionType": "disabled", "source": "GET /settings"}


def test_enc003_generated_key_is_low() -> None:
    app = hardened(ORDER_API, settings=settings_api(flowEncryptionType="system"))
    assert one(findings_of(ENC003, app)).severity is Severity.LOW


def test_enc003_user_secret_is_quiet() -> None:
    app = hardened(ORDER_API, settings=settings_api(flowEncryptionType="user"))
    assert findings_of(ENC003, app) == []


# == INJ001 / INJ002 =============================================================================

LABEL_FLOW = [
    tab(),
    http_in("in", "/api/labels", to=["normalise"]),
    function("normalise", to=["label"]),
    exec_node("label", "/usr/local/bin/print-label", "payload", to=["resp"]),
    http_response("resp"),
]


def test_inj001_http_in_through_function_to_exec_appending_payload() -> None:
    app = app_of(LABEL_FLOW)
    f = one(findings_of(INJ001, app))
    assert (f.resource.id, f.resource.path) == (nid("label"), f"flows/{TAB}/{nid('label')}")
    assert f.severity is Severity.CRITICAL
    assert f.evidence["route"] == [nid("in"), nid("normalise"), nid("label")]
    assert f.evidence["route_names"] == ["POST /api/labels", "normalise", "label"]
    assert f.evidence["source"] == "http /api/labels"
    assert f.evidence["sink_type"] == "exec"
    assert "appends msg.payload" in f.message
    assert findings_of(INJ002, app) == []  # reported once, as the reachable injection


def test_inj001_fixed_command_from_inject_is_quiet_for_both_rules() -> None:
    flows = [tab(), inject("every 5 min", repeat="300", to=["uptime"]),
             exec_node("uptime", "uptime", "", to=["dbg"]), debug("dbg")]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_http_in_to_exec_with_fixed_command_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/uptime", method="get", to=["uptime"]),
             exec_node("uptime", "uptime", "", to=["resp"]), http_response("resp")]
    assert findings_of(INJ001, app_of(flows)) == []


def _page(text: str, syntax: str = "mustache") -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/greet", method="get", to=["page"]),
            template("page", text, syntax=syntax, to=["resp"]), http_response("resp")]


def test_inj001_triple_mustache_template_fires() -> None:
    f = one(findings_of(INJ001, app_of(_page("<h1>Hello {{{payload.name}}}</h1>"))))
    assert f.resource.id == nid("page")
    assert f.evidence["route"] == [nid("in"), nid("page")]
    assert "unescaped" in f.message


@pytest.mark.parametrize(("text", "syntax"), [
    ("<h1>Hello {{payload.name}}</h1>", "mustache"),
    ("<h1>Hello {{{payload.name}}}</h1>", "plain"),
])
def test_inj001_escaped_or_plain_template_is_quiet(text: str, syntax: str) -> None:
    assert findings_of(INJ001, app_of(_page(text, syntax))) == []


def test_inj001_follows_link_out_to_link_in_across_tabs() -> None:
    flows = [tab(), tab("Partner sync"),
             http_in("in", "/api/orders", to=["fwd"]),
             node("fwd", "link out", name="to partner sync", mode="link",
                  links=[nid("recv")]),
             node("recv", "link in", z=TAB2, name="from order intake", links=[nid("fwd")],
                  wires=[["label"]]),
             exec_node("label", "/usr/local/bin/print-label", "payload", z=TAB2)]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("label")
    assert f.resource.path == f"flows/{TAB2}/{nid('label')}"
    assert f.evidence["route"] == [nid("in"), nid("fwd"), nid("recv"), nid("label")]


def test_inj001_link_in_without_a_link_from_the_endpoint_is_quiet() -> None:
    flows = [tab(), tab("Partner sync"),
             http_in("in", "/api/orders", to=["fwd"]),
             node("fwd", "link out", name="to archive", mode="link", links=[]),
             node("recv", "link in", z=TAB2, name="from scheduler", links=[],
                  wires=[["label"]]),
             exec_node("label", "/usr/local/bin/print-label", "payload", z=TAB2)]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    assert ids(findings_of(INJ002, app)) == {nid("label")}


SUBFLOW = nid("subflow:Print label")


def _subflow(in_to: str, out_from: str | None) -> dict[str, Any]:
    """The subflow definition: its input wired to ``in_to``, its output from ``out_from``."""
    return {"id": SUBFLOW, "type": "subflow", "name": "Print label", "info": "",
            "category": "", "in": [{"x": 60, "y": 80, "wires": [{"id": nid(in_to)}]}],
            "out": [{"x": 420, "y": 80, "wires": [{"id": nid(out_from), "port": 0}]}]
            if out_from else [], "env": [], "meta": {}, "color": "#DDAA99"}


def test_inj001_follows_a_message_into_a_subflow() -> None:
    flows = [tab(), _subflow("sub-exec", None),
             exec_node("sub-exec", "/usr/local/bin/print-label", "payload", z=SUBFLOW),
             http_in("in", "/api/labels", to=["instance"]),
             node("instance", f"subflow:{SUBFLOW}", env=[], wires=[[]])]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("sub-exec")
    assert f.evidence["route"] == [nid("in"), nid("instance"), nid("sub-exec")]


def test_inj001_follows_a_message_out_of_a_subflow() -> None:
    flows = [tab(), _subflow("sub-fn", "sub-fn"),
             http_in("sub-in", "/api/labels", z=SUBFLOW, to=["sub-fn"]),
             function("sub-fn", z=SUBFLOW),
             inject("tick", to=["instance"]),
             node("instance", f"subflow:{SUBFLOW}", env=[], wires=[["label"]]),
             exec_node("label", "/usr/local/bin/print-label", "payload")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("label")
    assert f.evidence["route"] == [nid("sub-in"), nid("sub-fn"), nid("label")]


def test_inj001_route_through_a_subflow_shows_the_nodes_inside() -> None:
    flows = [tab(), _subflow("sub-fn", "sub-fn"),
             function("sub-fn", z=SUBFLOW),
             http_in("in", "/api/labels", to=["instance"]),
             node("instance", f"subflow:{SUBFLOW}", env=[], wires=[["label"]]),
             exec_node("label", "/usr/local/bin/print-label", "payload")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.evidence["route"] == [nid("in"), nid("instance"), nid("sub-fn"), nid("label")]


def test_inj001_subflow_whose_output_is_not_wired_is_quiet() -> None:
    flows = [tab(), _subflow("sub-fn", None),
             http_in("sub-in", "/api/labels", z=SUBFLOW, to=["sub-fn"]),
             function("sub-fn", z=SUBFLOW),
             inject("tick", to=["instance"]),
             node("instance", f"subflow:{SUBFLOW}", env=[], wires=[["label"]]),
             exec_node("label", "/usr/local/bin/print-label", "payload")]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    # a subflow without an output port sends nothing on: the exec behind it never runs
    assert findings_of(INJ002, app) == []


def test_inj001_websocket_messages_into_function_running_child_process() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/ops"), ws_in("wsin", "wsl", to=["run"]),
             function("run", "const cp = global.get('child_process');\n"
                             "cp.exec(msg.payload.cmd);\nreturn msg;")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("run")
    assert f.evidence["route"] == [nid("wsin"), nid("run")]
    assert f.evidence["source"] == "websocket /ws/ops"


def test_inj001_harmless_function_after_websocket_is_quiet() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/ops"), ws_in("wsin", "wsl", to=["trim"]),
             function("trim", "msg.payload = String(msg.payload).slice(0, 200);\nreturn msg;")]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_mqtt_subscription_into_exec_fires() -> None:
    flows = [tab(), mqtt_broker("plain", "mqtt.acme-iot.net", "1883", usetls=False),
             mqtt_in("scans", "plain", to=["label"]),
             exec_node("label", "/usr/local/bin/print-label", "payload")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.evidence["route"] == [nid("scans"), nid("label")]
    assert f.evidence["source"].startswith("mqtt in acme/warehouse/")


def test_inj001_disabled_exec_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/labels", to=["label"]),
             exec_node("label", "/usr/local/bin/print-label", "payload", d=True)]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_disabled_endpoint_leaves_only_inj002() -> None:
    flows = [tab(), {**LABEL_FLOW[1], "d": True}, *LABEL_FLOW[2:]]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    f = one(findings_of(INJ002, app))
    assert f.resource.id == nid("label") and f.severity is Severity.MEDIUM


@pytest.mark.parametrize("func", [
    "const m = /^([A-Z]{2})-(\\d+)$/.exec(msg.payload.orderId);\nif (!m) { return null; }\n"
    "msg.payload.region = m[1];\nreturn msg;",
    "const re = new RegExp('^[A-Z]{2}-\\\\d+$', 'i');\nconst m = re.exec(msg.payload.orderId);\n"
    "return m ? msg : null;",
    "const sku = /sku=(\\w+)/g;\nlet m;\nwhile ((m = sku.exec(msg.payload)) !== null) {\n"
    "  node.warn(m[1]);\n}\nreturn msg;",
], ids=["literal", "new-RegExp", "global-regex-loop"])
def test_inj001_regexp_exec_in_a_function_is_quiet(func: str) -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["parse"]), function("parse", func)]
    app = app_of(flows)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


@pytest.mark.parametrize("func", [
    "const re = /^[a-z]+$/;\nif (!re.test(msg.payload.cmd)) { return null; }\n"
    "cp.exec(msg.payload.cmd);\nreturn msg;",
    "global.get('cp').execSync(msg.payload.cmd);\nreturn msg;",
], ids=["lib-exec-after-regex-test", "global-execSync"])
def test_inj001_process_exec_beside_a_regexp_still_fires(func: str) -> None:
    flows = [tab(), http_in("in", "/api/run", to=["run"]),
             function("run", func, libs=[{"var": "cp", "module": "child_process"}])]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("run")
    assert f.evidence["route"] == [nid("in"), nid("run")]


def test_inj002_exec_taking_its_command_from_the_message_fires() -> None:
    flows = [tab(), inject("nightly", to=["pick"]),
             change("pick", to=["run"], rules=[
                 {"t": "set", "p": "payload", "pt": "msg", "to": "cleanup.command",
                  "tot": "global"}]),
             exec_node("run", "", "payload")]
    f = one(findings_of(INJ002, app_of(flows)))
    assert f.resource.id == nid("run")
    assert (f.evidence["sink_type"], f.evidence["sink"]) == ("exec", "command")
    assert (f.evidence["origin"], f.evidence["origin_detail"]) == (
        "store", "global context cleanup.command")
    assert f.evidence["route"] == [nid("pick"), nid("run")]


def test_inj002_function_evaluating_a_service_response_fires_and_plain_function_is_quiet(
) -> None:
    def flows(code: str) -> list[dict[str, Any]]:
        return [tab(), inject("tick", to=["fetch"]),
                http_request("fetch", "https://rules.acme-partner.com/today", method="GET",
                             to=["calc"]), function("calc", code)]

    bad = flows("msg.payload = eval(msg.payload.expr);\nreturn msg;")
    good = flows("msg.payload = Number(msg.payload.a) + 1;\nreturn msg;")
    f = one(findings_of(INJ002, app_of(bad)))
    assert f.resource.id == nid("calc")
    assert f.evidence["origin_detail"] == "response of fetch"
    assert findings_of(INJ002, app_of(good)) == []


def test_inj002_eval_of_an_injected_timestamp_is_quiet() -> None:
    flows = [tab(), inject("tick", to=["calc"]),
             function("calc", "msg.payload = eval(msg.payload.expr);\nreturn msg;")]
    assert findings_of(INJ001, app_of(flows)) == []
    assert findings_of(INJ002, app_of(flows)) == []


# == CON001 ======================================================================================


def _ftp_flows() -> list[dict[str, Any]]:
    return [tab(), config("ftpcfg", "ftp", host="ftp.acme-partner.com", port="22",
                          secure=True, secureOptions="", user="acme-orders"),
            inject("nightly", to=["put"]),
            node("put", "ftp in", name="Put orders.csv", ftp=nid("ftpcfg"), operation="put",
                 filename="/incoming/orders.csv", localFilename="/data/orders.csv",
                 wires=[[]])]


HA_FLOW = [tab(), config("ha", "server", name="Home Assistant", addon=True),
           node("sensor", "server-state-changed", name="Door", server=nid("ha"),
                entityidfilter="binary_sensor.front_door", wires=[["lamp"]]),
           node("lamp", "api-call-service", name="Hall lamp", server=nid("ha"),
                domain="light", service="turn_on", wires=[["dbg"]]),
           node("lamp2", "api-call-service", name="Porch lamp", server=nid("ha"),
                domain="light", service="turn_on", wires=[]),
           debug("dbg")]
HA_MODULE = "node-red-contrib-home-assistant-websocket"


def global_config(**modules: str) -> dict[str, Any]:
    """The node the editor's Export dialog adds: the modules the exported nodes come from."""
    return {"id": nid("global-config"), "type": "global-config", "env": [], "modules": modules}


CORE_ONLY = policy("version: 1\nconnectors:\n  allow: [node-red]\n")


def test_con001_reports_one_finding_per_module_naming_its_types() -> None:
    f = one(findings_of(CON001, app_of(HA_FLOW), CORE_ONLY))
    assert (f.resource.kind, f.resource.id, f.resource.path) == (
        "module", HA_MODULE, f"modules/{HA_MODULE}")
    assert f.evidence["types"] == {"api-call-service": 2, "server": 1,
                                   "server-state-changed": 1}
    assert sorted(f.evidence["used_by"]) == sorted(nid(k) for k in ("ha", "sensor", "lamp",
                                                                     "lamp2"))
    assert f.message == (f"module {HA_MODULE} is not on the allowlist: 4 step(s) of 3 type(s) "
                         "use it (api-call-service (2), server (1), server-state-changed (1))")
    assert f.severity is Severity.MEDIUM
    # the module is known from its node types, so the inventory question is answered
    assert findings_of(INV003, app_of(HA_FLOW)) == []


def test_con001_widely_used_modules_are_allowed_by_the_default_policy() -> None:
    assert findings_of(CON001, app_of(HA_FLOW)) == []


def test_con001_dashboard_nodes_are_allowed_by_the_default_policy() -> None:
    flows = [tab(), config("ui-tab", "ui_tab", name="Home"),
             config("ui-grp", "ui_group", name="Lights", tab=nid("ui-tab")),
             node("btn", "ui_button", group=nid("ui-grp"), wires=[["dbg"]]),
             node("txt", "ui_text", group=nid("ui-grp"), wires=[]), debug("dbg")]
    assert findings_of(CON001, app_of(flows)) == []
    assert findings_of(INV003, app_of(flows)) == []


def test_con001_module_version_comes_from_the_global_config() -> None:
    app = app_of([*HA_FLOW, global_config(**{HA_MODULE: "0.77.1"})])
    f = one(findings_of(CON001, app, CORE_ONLY))
    assert (f.resource.name, f.evidence["version"]) == (f"{HA_MODULE}@0.77.1", "0.77.1")


def test_con001_global_config_attributes_types_of_the_only_module_left() -> None:
    flows = [*_ftp_flows(), global_config(**{"node-red-contrib-ftp": "0.0.6"})]
    f = one(findings_of(CON001, app_of(flows)))
    assert (f.resource.id, f.evidence["types"]) == ("node-red-contrib-ftp",
                                                    {"ftp": 1, "ftp in": 1})
    assert findings_of(INV003, app_of(flows)) == []


def test_con001_types_of_unnamed_modules_are_one_question_for_the_app() -> None:
    f = one(findings_of(CON001, app_of(_ftp_flows())))
    assert (f.resource.kind, f.resource.id) == ("app", "nodered-detect")
    assert f.evidence["types"] == {"ftp": 1, "ftp in": 1}
    assert f.message == ("2 node type(s) from community or custom modules the export does not "
                         "name are not on the allowlist (ftp (1), ftp in (1))")


def test_inv003_bare_flows_export_naming_no_modules_is_not_applicable() -> None:
    reason = skip_reason(INV003, app_of(_ftp_flows()))
    assert reason.startswith(NOT_APPLICABLE) and "ftp, ftp in" in reason


def test_con001_listed_modules_with_ambiguous_types_are_each_asked_about() -> None:
    # two modules listed and neither is known to provide ftp/ftp in: which one does is unknown
    flows = [*_ftp_flows(), global_config(**{"node-red-contrib-ftp": "0.0.6",
                                             "node-red-contrib-other": "1.0.0"})]
    found = findings_of(CON001, app_of(flows))
    assert {(f.resource.kind, f.resource.id) for f in found} == {
        ("module", "node-red-contrib-ftp"), ("module", "node-red-contrib-other")}
    assert all(f.evidence["unattributed_types"] == ["ftp", "ftp in"] for f in found)
    allow = policy("version: 1\nconnectors:\n  allow: [node-red, 'node-red-contrib-*']\n")
    assert findings_of(CON001, app_of(flows), allow) == []
    # the export names every module in use: the inventory is complete at module level
    assert findings_of(INV003, app_of(flows)) == []


def test_inv003_type_the_live_instance_does_not_know_fires() -> None:
    app = app_of([*_ftp_flows(), node("odd", "acme-label", wires=[])],
                 nodes=[*CORE_NODE_SETS, FTP_NODE_SET])
    f = one(findings_of(INV003, app))
    assert f.evidence["types"] == {"acme-label": 1}


def test_con001_core_nodes_are_quiet() -> None:
    assert findings_of(CON001, app_of(LABEL_FLOW)) == []


def test_con001_policy_allows_by_type_glob() -> None:
    allow = policy("version: 1\nconnectors:\n  allow: [node-red, 'api-*', 'server*']\n")
    assert findings_of(CON001, app_of(HA_FLOW), allow) == []
    assert findings_of(INV003, app_of(_ftp_flows()), policy(
        "version: 1\nconnectors:\n  allow: [node-red, 'ftp*']\n")) == []


def test_con001_policy_allows_by_package_of_a_live_snapshot() -> None:
    app = app_of(_ftp_flows(), nodes=[*CORE_NODE_SETS, FTP_NODE_SET])
    f = one(findings_of(CON001, app))
    assert (f.resource.id, f.evidence["version"]) == ("node-red-contrib-ftp", "0.0.6")
    allow = policy("version: 1\nconnectors:\n  allow: [node-red, node-red-contrib-ftp]\n")
    assert findings_of(CON001, app, allow) == []


def test_con001_blocked_package_is_high() -> None:
    app = app_of(_ftp_flows(), nodes=[*CORE_NODE_SETS, FTP_NODE_SET])
    block = policy("version: 1\nconnectors:\n  allow: [node-red, node-red-contrib-ftp]\n"
                   "  block: [node-red-contrib-ftp]\n")
    f = one(findings_of(CON001, app, block))
    assert f.resource.id == "node-red-contrib-ftp"
    assert f.severity is Severity.HIGH and "is blocked by policy" in f.message


def test_con001_blocked_type_of_an_allowed_module_is_reported_on_its_own() -> None:
    app = app_of(_ftp_flows(), nodes=[*CORE_NODE_SETS, FTP_NODE_SET])
    block = policy("version: 1\nconnectors:\n  allow: [node-red, node-red-contrib-ftp]\n"
                   "  block: ['ftp in']\n")
    f = one(findings_of(CON001, app, block))
    assert (f.resource.kind, f.resource.id, f.severity) == ("connector", "ftp in",
                                                            Severity.HIGH)


# == CON002 ======================================================================================
HOSTS = policy("version: 1\nhosts:\n  allow: [api.acme.io, '*.acme-partner.com']\n"
               "  internal: [erp.acme.internal]\n")


@pytest.mark.parametrize("url", [
    "https://api.acme.io/v1/ping",
    "https://fulfil.acme-partner.com/v2/shipments",
    "https://erp.acme.internal/api/orders",
    "http://127.0.0.1:1880/health",
])
def test_con002_allowed_host_is_quiet(url: str) -> None:
    assert findings_of(CON002, app_of(_request_flow(url)), HOSTS) == []


def test_con002_host_outside_the_allowlist_fires() -> None:
    app = app_of(_request_flow("https://hooks.slack.com/services/T000/B000"))
    f = one(findings_of(CON002, app, HOSTS))
    assert f.resource.id == nid("req")
    assert f.evidence["host"] == "hooks.slack.com"
    assert f.evidence["policy"]["hosts"]["allow"] == ["api.acme.io", "*.acme-partner.com"]


@pytest.mark.parametrize("url", ["", "https://{{msg.host}}/v1/orders"])
def test_con002_destination_from_the_message_fires(url: str) -> None:
    f = one(findings_of(CON002, app_of(_request_flow(url)), HOSTS))
    assert f.resource.id == nid("req")
    assert "computed at run time" in f.message


def test_con002_unused_broker_config_is_quiet_and_used_one_fires() -> None:
    unused = [tab(), mqtt_broker("old", "mqtt.legacy-iot.net", "1883", usetls=False),
              inject("tick", to=["dbg"]), debug("dbg")]
    assert findings_of(CON002, app_of(unused), HOSTS) == []
    used = [*unused, mqtt_in("scans", "old", to=["dbg"])]
    f = one(findings_of(CON002, app_of(used), HOSTS))
    assert f.resource.id == nid("old") and f.evidence["host"] == "mqtt.legacy-iot.net"


def test_con002_without_host_allowlist_is_not_applicable() -> None:
    app = app_of(_request_flow("https://hooks.slack.com/x"))
    reason = skip_reason(CON002, app)
    assert reason == f"{NOT_APPLICABLE}: policy built-in default policy sets no hosts.allow"
    # the plugin's gate decides from the rule's needs; the check refuses the same on its own
    assert skip_reason(CON002, app, gate=False) == reason


# == CON003 / CON004 =============================================================================


def test_con003_palette_install_and_upload_allowed_fire() -> None:
    settings = settings_api(externalModules={"palette": {"allowInstall": True,
                                                         "allowUpload": True}})
    found = findings_of(CON003, hardened(ORDER_API, settings=settings))
    assert ids(found) == {"palette.allowInstall", "palette.allowUpload"}
    assert all(f.resource.kind == "setting" for f in found)


def test_con003_palette_locked_is_quiet() -> None:
    assert findings_of(CON003, hardened(ORDER_API)) == []


def test_con003_live_settings_omitting_the_palette_fire_on_the_default() -> None:
    # GET /settings leaves out palette options at their default, which allows installs
    app = hardened(ORDER_API, settings=settings_api(externalModules={}))
    assert ids(findings_of(CON003, app)) == {"palette.allowInstall", "palette.allowUpload"}


def test_con004_function_external_modules_fires_with_the_functions_using_libs() -> None:
    flows = [*ORDER_API, function("sign", libs=[{"var": "aws4", "module": "aws4"}])]
    app = hardened(flows, settings=settings_api(functionExternalModules=True))
    f = one(findings_of(CON004, app))
    assert f.resource.id == "functionExternalModules"
    assert f.evidence == {"functionExternalModules": True, "functions_using_libs": [nid("sign")]}


def test_con004_function_external_modules_off_is_quiet() -> None:
    flows = [*ORDER_API, function("sign", libs=[{"var": "aws4", "module": "aws4"}])]
    assert findings_of(CON004, hardened(flows)) == []


# == EXP001 / EXP002 =============================================================================


def _report_upload(url: str) -> list[dict[str, Any]]:
    return [tab(), inject("nightly", to=["read"]),
            file_in("read", "/data/exports/orders.csv", to=["csv"]),
            node("csv", "csv", name="", spec="rfc", sep=",", hdrin="", hdrout="once",
                 multi="one", ret="\\n", temp="", skip="0", strings=True,
                 wires=[["upload"]]),
            http_request("upload", url, method="PUT", to=["dbg"]), debug("dbg")]


INTERNAL = policy("version: 1\nhosts:\n  internal: ['*.acme.internal']\n")


def test_exp001_file_read_sent_to_an_external_host_fires() -> None:
    f = one(findings_of(EXP001, app_of(_report_upload("https://reports.acme-partner.com/up")),
                        INTERNAL))
    assert f.resource.id == nid("upload")
    assert f.evidence["route"] == [nid("read"), nid("csv"), nid("upload")]
    assert f.evidence["store"] == "/data/exports/orders.csv"
    assert f.evidence["destination"] == "reports.acme-partner.com"


@pytest.mark.parametrize("url", ["https://reports.acme.internal/upload",
                                 "http://127.0.0.1:8080/upload"])
def test_exp001_file_read_sent_to_an_internal_host_is_quiet(url: str) -> None:
    assert findings_of(EXP001, app_of(_report_upload(url)), INTERNAL) == []


def test_exp001_file_written_then_sent_names_the_request_not_the_file() -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["save"]),
             file_out("save", "/data/exports/orders.csv", to=["upload"]),
             http_request("upload", "https://reports.acme-partner.com/up")]
    f = one(findings_of(EXP001, app_of(flows), INTERNAL))
    assert (f.evidence["origin"], f.evidence["source"]) == ("entry", "http /api/orders")
    assert f.evidence["store"] == ""  # the file is written, not what is sent
    assert f.evidence["route"] == [nid("in"), nid("save"), nid("upload")]


def test_exp002_endpoint_reading_a_file_fires_on_the_reader() -> None:
    flows = [tab(), http_in("in", "/admin/export", method="get", to=["read"]),
             file_in("read", "/data/exports/orders.csv", to=["page"]),
             template("page", "<pre>{{payload}}</pre>", to=["resp"]), http_response("resp")]
    f = one(findings_of(EXP002, app_of(flows)))
    assert f.resource.id == nid("read")
    assert f.evidence["route"] == [nid("in"), nid("read"), nid("page"), nid("resp")]
    assert (f.evidence["endpoint"], f.evidence["auth"]) == ("/admin/export", None)
    assert f.evidence["answered_by"] == nid("resp")


def test_exp002_endpoint_writing_a_file_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["save"]),
             file_out("save", "/data/exports/orders.csv", to=["resp"]), http_response("resp")]
    assert findings_of(EXP002, app_of(flows)) == []


# == LOG002 ======================================================================================


def test_log002_tab_with_endpoint_and_no_catch_fires_on_the_tab() -> None:
    f = one(findings_of(LOG002, app_of(ORDER_API)))
    assert (f.resource.kind, f.resource.id, f.resource.path) == ("workflow", TAB, f"flows/{TAB}")
    assert f.evidence == {"entry_point": "/api/orders", "step": nid("in")}


def test_log002_tab_with_catch_is_quiet() -> None:
    flows = [*ORDER_API, catch("errors", to=["err"]), debug("err")]
    assert findings_of(LOG002, app_of(flows)) == []


@pytest.mark.parametrize(("with_catch", "fires"), [(False, True), (True, False)])
def test_log002_nodes_exported_without_their_tab_still_run_on_it(with_catch: bool,
                                                                  fires: bool) -> None:
    """Export > selected nodes leaves the tab object out; the nodes still name it in z."""
    flows = [n for n in ORDER_API if n["type"] != "tab"]
    if with_catch:
        flows += [catch("errors", to=["err"]), debug("err")]
    found = findings_of(LOG002, app_of(flows))
    assert [(f.resource.kind, f.resource.id) for f in found] == (
        [("workflow", TAB)] if fires else [])


def test_log002_catch_on_another_tab_does_not_count() -> None:
    flows = [*ORDER_API, tab("Partner sync"), catch("errors", z=TAB2)]
    assert ids(findings_of(LOG002, app_of(flows))) == {TAB}


def test_log002_disabled_catch_does_not_count() -> None:
    flows = [*ORDER_API, {**catch("errors"), "d": True}]
    assert ids(findings_of(LOG002, app_of(flows))) == {TAB}


def test_log002_websocket_listener_flags_the_tab_of_its_user() -> None:
    flows = [tab(), tab("Partner sync"), ws_listener("wsl", "/ws/ops"),
             ws_in("wsin", "wsl", z=TAB2, to=["dbg"]), debug("dbg", z=TAB2)]
    f = one(findings_of(LOG002, app_of(flows)))
    assert f.resource.id == TAB2 and f.evidence["step"] == nid("wsin")


def test_log002_disabled_endpoint_is_quiet() -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["resp"], d=True), http_response("resp")]
    assert findings_of(LOG002, app_of(flows)) == []


# == CFG001 - CFG003 =============================================================================


def test_cfg001_ui_host_unset_fires() -> None:
    f = one(findings_of(CFG001, hardened(ORDER_API, uiHost="UNSET")))
    assert f.resource.id == "uiHost"
    assert f.evidence == {"uiHost": "UNSET", "source": "GET /diagnostics runtime.settings"}


def test_cfg001_ui_host_set_is_quiet() -> None:
    assert findings_of(CFG001, hardened(ORDER_API, uiHost="SET")) == []


@pytest.mark.parametrize("timeout", [0, 120, "", None])
def test_cfg002_missing_or_too_long_function_timeout_fires(timeout: Any) -> None:
    app = hardened(ORDER_API, settings=settings_api(functionTimeout=timeout))
    f = one(findings_of(CFG002, app))
    assert f.resource.id == "functionTimeout"
    assert f.evidence == {"functionTimeout": timeout, "limit": 60}


def test_cfg002_bounded_function_timeout_is_quiet() -> None:
    assert findings_of(CFG002, hardened(ORDER_API)) == []  # 30 s


def test_cfg002_policy_raises_the_limit() -> None:
    app = hardened(ORDER_API, settings=settings_api(functionTimeout=120))
    lenient = policy("version: 1\nsettings:\n  function_timeout_max_seconds: 300\n")
    assert findings_of(CFG002, app, lenient) == []


def test_cfg003_insecure_http_parser_fires_and_strict_is_quiet() -> None:
    bad = _request_flow("https://api.acme.io/v1/ping", insecure=True)
    good = _request_flow("https://api.acme.io/v1/ping", insecure=False)
    f = one(findings_of(CFG003, app_of(bad)))
    assert f.resource.id == nid("req") and f.evidence == {"insecureHTTPParser": True}
    assert findings_of(CFG003, app_of(good)) == []


# == INV001 / INV003 =============================================================================
OWNERS = policy("version: 1\nowners:\n  - owner: fulfilment-team\n    workflow: Order*\n")


def test_inv001_tab_without_owner_fires_and_owned_tab_is_quiet() -> None:
    flows = [*ORDER_API, tab("Partner sync"), inject("tick", z=TAB2),
             _subflow("sub-fn", None), function("sub-fn", z=SUBFLOW)]
    f = one(findings_of(INV001, app_of(flows), OWNERS))
    assert (f.resource.kind, f.resource.id) == ("workflow", TAB2)
    assert f.evidence == {"workflow": "Partner sync", "tags": []}


def test_inv001_without_owners_in_policy_is_not_applicable() -> None:
    reason = skip_reason(INV001, app_of(ORDER_API))
    assert reason == f"{NOT_APPLICABLE}: policy built-in default policy names no owners"
    assert skip_reason(INV001, app_of(ORDER_API), gate=False) == reason


def test_inv003_modules_known_from_a_live_snapshot_are_quiet() -> None:
    app = app_of(_ftp_flows(), nodes=[*CORE_NODE_SETS, FTP_NODE_SET])
    assert findings_of(INV003, app) == []


def test_inv003_core_nodes_are_quiet() -> None:
    assert findings_of(INV003, app_of(LABEL_FLOW)) == []


# == CMD001 / CMD002 ==============================================================================


def test_cmd001_exec_copying_the_credentials_file_fires() -> None:
    flows = [tab(), inject("nightly", to=["copy"]),
             exec_node("copy", "cp /data/flows_cred.json /data/.config.runtime.json "
                               "/mnt/usb/backup/", "")]
    f = one(findings_of(CMD001, app_of(flows)))
    assert f.resource.id == nid("copy")
    assert f.evidence["matches"] == ["Node-RED credentials file", "Node-RED runtime config"]


def test_cmd001_flows_backup_without_credentials_is_quiet() -> None:
    flows = [tab(), inject("nightly", to=["copy"]),
             exec_node("copy", "cp /data/flows.json /mnt/usb/backup/", ""),
             node("note", "comment", name="Backup",
                  info="Never copy flows_cred.json off the box")]
    assert findings_of(CMD001, app_of(flows)) == []


def test_cmd002_template_building_an_ssh_command_for_exec_fires() -> None:
    text = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null pi@{{payload}} reboot"
    flows = [tab(), inject("tick", to=["cmd"]), template("cmd", text, to=["run"]),
             exec_node("run", "", "payload")]
    f = one(findings_of(CMD002, app_of(flows)))
    assert f.resource.id == nid("cmd")
    assert f.evidence["matches"] == ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]


def test_cmd002_same_text_in_a_template_that_feeds_no_exec_is_quiet() -> None:
    text = "Run: ssh -o StrictHostKeyChecking=no pi@{{payload}} to reach the box"
    flows = [tab(), inject("tick", to=["doc"]), template("doc", text, to=["dbg"]), debug("dbg")]
    assert findings_of(CMD002, app_of(flows)) == []


# == INV005 ======================================================================================


def test_inv005_wire_to_a_deleted_node_fires_on_its_tab() -> None:
    flows = [*ORDER_API]
    flows[1] = http_in("in", "/api/orders", to=["normalise", "gone"])
    f = one(findings_of(INV005, app_of(flows)))
    assert (f.resource.kind, f.resource.id) == ("workflow", TAB)
    assert f.evidence == {"missing": [nid("gone")], "from": [nid("in")], "via": ["wire"],
                          "names_node_ids": False}


def test_inv005_link_to_a_missing_link_in_and_an_undefined_subflow_fire() -> None:
    out = node("out", "link out", mode="link", links=[nid("nowhere")])
    inst = node("inst", "subflow:0f1e2d3c4b5a6978", env=[], wires=[[]])
    flows = [tab(), inject("tick", to=["out", "inst"]), out, inst]
    f = one(findings_of(INV005, app_of(flows)))
    assert f.evidence["missing"] == sorted([nid("nowhere"), "0f1e2d3c4b5a6978"])
    assert f.evidence["via"] == ["link", "subflow"]


def test_inv005_complete_export_is_quiet() -> None:
    assert findings_of(INV005, app_of(ORDER_API)) == []
    assert findings_of(INV005, app_of(LABEL_FLOW)) == []


# == SEC001 ======================================================================================


def _header_flow(header: dict[str, str]) -> list[dict[str, Any]]:
    req = http_request("erp", "https://erp.acme-partner.com/api/orders")
    req["headers"] = [header]
    return [tab(), inject("tick", to=["erp"]), req]


def test_sec001_bearer_token_in_a_header_fires() -> None:
    token = "sk_live_51Hq8AcmeT3stK3y9pLmN0vRwXyZ2bCdEfGh"
    f = one(findings_of(SEC001, app_of(_header_flow(
        {"keyType": "other", "keyValue": "Authorization", "valueType": "other",
         "valueValue": f"Bearer {token}"}))))
    assert f.resource.id == nid("erp")
    assert token not in json.dumps(f.evidence)


def test_sec001_header_from_the_environment_is_quiet() -> None:
    assert findings_of(SEC001, app_of(_header_flow(
        {"keyType": "other", "keyValue": "Authorization", "valueType": "env",
         "valueValue": "ERP_TOKEN"}))) == []


# == not applicable ==============================================================================
SETTINGS_CHECKS = [AUTH002, AUTH003, ENC003, CON003, CON004, CFG001, CFG002]


@pytest.mark.parametrize("check", SETTINGS_CHECKS, ids=lambda c: rule_of(c).id)
def test_settings_checks_on_a_bare_export_are_not_applicable(check: Check) -> None:
    app = app_of(LABEL_FLOW)
    assert not app.has("settings")
    assert skip_reason(check, app).startswith(NOT_APPLICABLE)
    # and the check refuses on its own, even when called without the plugin's facet gate
    assert skip_reason(check, app, gate=False).startswith(NOT_APPLICABLE)


@pytest.mark.parametrize("check", [
    logging_checks.test_execution_history_kept,
    logging_checks.test_entry_workflows_have_error_workflow,
    configuration.test_workflow_caller_policy_restricted,
    inventory.test_inactive_workflows_hold_no_credentials,
    inventory.test_no_pending_invitations,
    permissions.test_few_administrators,
    permissions.test_no_public_shares,
    platform_audit.test_platform_audit_findings,
], ids=lambda c: rule_of(c).id)
def test_checks_without_node_red_data_are_not_applicable(check: Check) -> None:
    assert skip_reason(check, hardened(LABEL_FLOW)).startswith(NOT_APPLICABLE)


# == end to end through the plugin ===============================================================
def _run(pytester: pytest.Pytester, path: Path, *extra: str
         ) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = pytester.path / "out.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{path}",
                                f"--nocode-json={out}", *extra)
    return result, json.loads(out.read_text(encoding="utf-8"))


# ids in tests/data/detection/nodered-bad.json
BAD_TAB, BAD_IN, BAD_FN, BAD_EXEC = ("9d1c2e4f6a8b0c13", "3f2a9c8e1b7d4a60", "7b41e0d2c9a85f36",
                                     "c5e8a1f03d6b2947")


def test_e2e_bad_flows_export(pytester: pytest.Pytester) -> None:
    result, report = _run(pytester, DETECTION / "nodered-bad.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    (inj,) = by_rule["INJ001"]
    assert inj["resource"]["id"] == BAD_EXEC
    assert inj["resource"]["path"] == f"flows/{BAD_TAB}/{BAD_EXEC}"
    assert inj["evidence"]["route"] == [BAD_IN, BAD_FN, BAD_EXEC]
    assert inj["severity"] == "critical" and inj["status"] == "fail"
    (auth,) = by_rule["AUTH001"]
    assert auth["resource"]["id"] == BAD_IN
    assert auth["evidence"]["authentication"] == "unproven"
    (log,) = by_rule["LOG002"]
    assert log["resource"] == {"kind": "workflow", "id": BAD_TAB, "name": "Label printing",
                               "path": f"flows/{BAD_TAB}"}
    assert "INJ002" not in by_rule
    skipped = {entry["check"].split("::")[1].split("[")[0]: entry["reason"]
               for entry in report["not_applicable"]}
    for check in SETTINGS_CHECKS:
        assert skipped[check.__name__].startswith(NOT_APPLICABLE), check.__name__


def test_e2e_good_snapshot_passes_every_check(pytester: pytest.Pytester) -> None:
    result, report = _run(pytester, DETECTION / "nodered-good.json", "-v")
    assert report["findings"] == []
    assert result.ret == pytest.ExitCode.OK
    for check in [AUTH001, *SETTINGS_CHECKS, INJ001, INJ002, ENC001, ENC002, LOG002, CON001,
                  INV003, SEC001]:
        result.stdout.fnmatch_lines([f"*::{check.__name__}*PASSED*"])
    assert not [e for e in report["not_applicable"]
                if any(c.__name__ in e["check"] for c in SETTINGS_CHECKS)]
