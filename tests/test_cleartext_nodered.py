"""ENC001 on shapes seen in real Node-RED flows, in our own words, both directions: nodes on a
disabled tab, a camera password in a LAN URL's query, a base URL one function sets and the
next replaces, LAN cleartext stated at low severity, passwords crossing a compose network."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one, policy
from tests.rules import ENC001
from tests.test_checks_nodered import (
    app_of,
    config,
    function,
    http_in,
    http_request,
    inject,
    nid,
    node,
    tab,
)


def _udp_to_console(disabled_tab: bool) -> list[dict[str, Any]]:
    return [tab("Lighting", disabled=disabled_tab), inject("go", z=nid("tab:Lighting"),
                                                           to=["osc"]),
            node("osc", "udp out", z=nid("tab:Lighting"), addr="10.40.2.1", iface="",
                 port="8000", ipv="udp4", outport="", base64=False, multicast="false")]


@pytest.mark.parametrize(("disabled_tab", "reported"), [(True, False), (False, True)])
def test_node_on_a_disabled_tab_sends_nothing(disabled_tab: bool, reported: bool) -> None:
    assert bool(findings_of(ENC001, app_of(_udp_to_console(disabled_tab)))) is reported


def test_lan_cleartext_without_secrets_says_low_and_why() -> None:
    f = one(findings_of(ENC001, app_of(_udp_to_console(False))))
    assert f.severity is Severity.LOW
    assert f.message == ("UDP without TLS to 10.40.2.1:8000 (private network; no credentials "
                         "or labelled data seen crossing: low)")


@pytest.mark.parametrize(("query", "severity"), [
    ("camera=porch&trigger&user=nvr&pw=Vq7rTzL2mWx9KpD4sHj8", Severity.HIGH),
    ("camera=porch&trigger", Severity.LOW),
])
def test_password_in_a_lan_url_query_is_credentials_crossing(query: str,
                                                             severity: Severity) -> None:
    flows = [tab(), inject("ring", to=["nvr"]),
             http_request("nvr", f"http://192.168.7.10:81/admin?{query}", method="GET")]
    f = one(findings_of(ENC001, app_of(flows)))
    assert (f.severity, f.evidence["credentials"]) == (severity, severity is Severity.HIGH)
    assert f.message.endswith("with credentials") is (severity is Severity.HIGH)


def _base_url_then(second: str) -> list[dict[str, Any]]:
    """A start-up function sets a plain base URL on the LAN; a second function builds the
    request's URL (or leaves it alone)."""
    return [tab(), inject("boot", to=["base"]),
            function("base", "const port = flow.get('scanner_port');\n"
                     "msg.url = 'http://10.8.0.12:' + port + '/info';\nreturn msg;",
                     to=["info"]),
            http_request("info", "", method="GET", to=["next"]),
            function("next", second, to=["act"]),
            http_request("act", "", method="POST")]


def test_a_url_set_anew_downstream_is_not_the_first_functions_url() -> None:
    found = findings_of(ENC001, app_of(_base_url_then(
        "const base = global.get('baseUrl');\nmsg.url = `${base}/lights/toggle`;\n"
        "return msg;")))
    assert [f.resource.id for f in found] == [nid("info")]  # only the request it feeds


def test_a_url_passed_on_unchanged_still_reaches_the_next_request() -> None:
    found = findings_of(ENC001, app_of(_base_url_then("msg.method = 'POST';\nreturn msg;")))
    assert sorted(f.resource.id for f in found) == sorted([nid("info"), nid("act")])


def _to_compose_service(route: str, *, api_key: bool = False) -> list[dict[str, Any]]:
    request = http_request("fwd", "http://accounts:9080/sync")
    if api_key:
        request["authType"] = "bearer"
    return [tab(), http_in("in", route, to=["fwd"]), request]


@pytest.mark.parametrize(("route", "api_key", "reported"), [
    ("/api/users/password-reset", False, True),  # passwords cross the compose network
    ("/api/sensor-readings", False, False),
    ("/api/sensor-readings", True, False),  # only the connection's own key: host zone stays off
])
def test_compose_network_cleartext_is_reported_when_passwords_cross(
        route: str, api_key: bool, reported: bool) -> None:
    found = findings_of(ENC001, app_of(_to_compose_service(route, api_key=api_key)))
    assert bool(found) is reported
    if reported:
        f = one(found)
        assert (f.severity, f.evidence["zone"]) == (Severity.HIGH, "host")
        assert "credentials" in f.evidence["sensitive"]


@pytest.mark.parametrize(("method", "paytoqs", "reported"), [
    ("POST", "ignore", True),  # the login form's payload is the body
    ("GET", "query", True),  # the payload goes into the query string
    ("GET", "body", True),
    ("use", "ignore", True),  # msg.method picks: may be a POST
    ("GET", "ignore", False),  # a GET leaves msg.payload behind
    ("GET", False, False),  # older exports' "ignore"
])
def test_a_get_that_leaves_the_payload_behind_sends_no_password(
        method: str, paytoqs: Any, reported: bool) -> None:
    """A login form's payload reaches a request to a compose service that only asks for a
    user's statistics by GET: what it sends is the URL and headers, not the password."""
    request = http_request("stats", "http://reports:8093/stats", method=method)
    request["paytoqs"] = paytoqs
    flows = [tab(), http_in("in", "/api/users/password-reset", to=["stats"]), request]
    assert bool(findings_of(ENC001, app_of(flows))) is reported


def test_policy_turning_the_host_zone_off_silences_even_passwords() -> None:
    off = policy("version: 1\ntrust_zones:\n  host:\n    cleartext_severity: 'off'\n")
    app = app_of(_to_compose_service("/api/users/password-reset"))
    assert findings_of(ENC001, app, off) == []


def test_unused_plain_endpoint_config_sends_nothing() -> None:
    flows = [tab(), config("ua", "OpcUa-Endpoint",
                           endpoint="opc.tcp://uademo.example-vendor.com:53530/UA",
                           secpol="None", secmode="None", none=True, login=False)]
    assert findings_of(ENC001, app_of(flows)) == []


def _db_flow(config_node: dict[str, Any], user_type: str, ref_key: str) -> list[dict[str, Any]]:
    return [tab(), config_node, inject("tick", to=["q"]),
            node("q", user_type, **{ref_key: config_node["id"]}, wires=[[]])]


@pytest.mark.parametrize(("props", "reported"), [
    ({"host": "sql-eu-1.dbhost-cloud.com", "port": "25931"}, True),
    ({"host": "sql-eu-1.dbhost-cloud.com", "port": "25931", "tls": True}, False),
    ({"host": "localhost", "port": "3306"}, False),
])
def test_mysql_connection_without_tls(props: dict[str, Any], reported: bool) -> None:
    flows = _db_flow(config("db", "MySQLdatabase", db="readings", tz="", **props),
                     "mysql", "mydb")
    found = findings_of(ENC001, app_of(flows))
    assert bool(found) is reported
    if reported:
        assert one(found).message == "MySQL without TLS to sql-eu-1.dbhost-cloud.com:25931"


@pytest.mark.parametrize(("uri", "reported"), [
    ("mongodb://51.15.20.30/telemetry", True),
    ("mongodb+srv://cluster0.example-mongo.net/telemetry", False),
    ("mongodb://51.15.20.30/telemetry?tls=true", False),
])
def test_mongodb_uri_without_tls(uri: str, reported: bool) -> None:
    flows = _db_flow(config("mdb", "mongodb3", uri=uri, options="", parallelism="-1"),
                     "mongodb3 in", "service")
    assert bool(findings_of(ENC001, app_of(flows))) is reported


def test_database_config_nobody_uses_sends_nothing() -> None:
    flows = [tab(), config("db", "MySQLdatabase", host="sql-eu-1.dbhost-cloud.com",
                           port="25931", db="readings", tz="")]
    assert findings_of(ENC001, app_of(flows)) == []


@pytest.mark.parametrize(("markup", "reported"), [
    ('<iframe src="http://203.0.113.57:8080/?action=stream" width="640"></iframe>', True),
    ('<img src="https://cam.example-farm.com/snapshot.jpg">', False),
    ('<a href="http://203.0.113.57:8080/">open the camera</a>', False),  # a link, not loaded
    ('<img src="http://localhost:8081/snapshot.jpg">', False),
])
def test_dashboard_template_loading_a_plain_http_stream(markup: str, reported: bool) -> None:
    flows = [tab(), node("cam", "ui_template", group="", name="Camera", format=markup,
                         storeOutMessages=True, fwdInMessages=True, templateScope="local",
                         wires=[[]])]
    assert bool(findings_of(ENC001, app_of(flows))) is reported


# -- a base URL with a plain default, chosen in a function; a token in the headers it sets --
def _query_built_in_a_function(default: str, header: str) -> list[dict[str, Any]]:
    """A timer builds a metrics query: the base URL from the environment with a LAN default,
    a header the function sets, then an http request with no URL of its own."""
    code = (f'const base = env.get("METRICS_URL") || "{default}";\n'
            f'{header}\n'
            'msg.url = `${base}/api/v2/query?org=${env.get("METRICS_ORG")}`;\n'
            'msg.payload = "from(bucket: \\"plant\\") |> range(start: -5m)";\n'
            'return msg;')
    return [tab(), inject("tick", to=["build"]), function("build", code, to=["poll"]),
            http_request("poll", "")]


TOKEN_HEADER = ('msg.headers = { Authorization: `Token ${env.get("METRICS_TOKEN")}`, '
                '"Content-Type": "application/vnd.flux" };')
PLAIN_HEADER = 'msg.headers = { "Content-Type": "application/vnd.flux" };'


@pytest.mark.parametrize(("default", "header", "expected"), [
    ("http://10.20.0.15:8086", TOKEN_HEADER, (Severity.HIGH, "with credentials")),
    ("http://10.20.0.15:8086", PLAIN_HEADER,
     (Severity.LOW, "(private network; no credentials or labelled data seen crossing: low)")),
    ("https://10.20.0.15:8086", TOKEN_HEADER, None),
])
def test_plain_default_url_of_a_function_built_request(
        default: str, header: str, expected: tuple[Severity, str] | None) -> None:
    found = findings_of(ENC001, app_of(_query_built_in_a_function(default, header)))
    if expected is None:
        assert found == []
        return
    f = one(found)
    assert f.resource.id == nid("poll")
    assert (f.severity, f.message) == (expected[0],
                                       f"HTTP without TLS to 10.20.0.15:8086 {expected[1]}")


def _subscriber(broker: str, **login: Any) -> list[dict[str, Any]]:
    return [tab(), config("b", "mqtt-broker", broker=broker, port="1883", usetls=False,
                          **login),
            node("sub", "mqtt in", topic="plant/#", broker=nid("b"), wires=[[]])]


@pytest.mark.parametrize(("broker", "shown"), [
    ("${MQTT_BROKER}", "${MQTT_BROKER}"),  # a variable: named as written
    ("Broker.Example-IoT.com", "broker.example-iot.com"),
])
def test_broker_host_is_shown_as_configured(broker: str, shown: str) -> None:
    f = one(findings_of(ENC001, app_of(_subscriber(broker, user="plant-gw"))))
    assert f.message.startswith(f"MQTT without TLS to {shown}")
    assert f.severity is Severity.HIGH


@pytest.mark.parametrize(("login", "reported"), [({}, False), ({"user": "plant-gw"}, True)])
def test_broker_from_the_environment_is_reported_only_with_a_login(
        login: dict[str, str], reported: bool) -> None:
    """``${MQTT_BROKER}`` may be a compose service or the LAN: not shown to leave, so only a
    login crossing to wherever it is makes it a finding (then at full severity)."""
    found = findings_of(ENC001, app_of(_subscriber("${MQTT_BROKER}", **login)))
    assert bool(found) is reported
    assert all(f.evidence["zone"] == "unknown" and f.severity is Severity.HIGH for f in found)


@pytest.mark.parametrize(("zones", "reported"), [
    ("", True),  # the export does not say where ${MQTT_BROKER} points: a login crossing counts
    ("trust_zones:\n  host:\n    hosts: ['${MQTT_BROKER}']\n", False),  # compose sets it
    ("trust_zones:\n  internet:\n    hosts: ['${MQTT_*}']\n", True),
    ("trust_zones:\n  host:\n    hosts: ['${OTHER_HOST}']\n", True),
])
def test_the_policy_can_place_an_environment_host(zones: str, reported: bool) -> None:
    """A team whose compose file sets MQTT_BROKER=mosquitto says so once in its policy; the
    finding until then names the variable as written and tells how."""
    found = findings_of(ENC001, app_of(_subscriber("${MQTT_BROKER}", user="plant-gw")),
                        policy("version: 1\n" + zones))
    assert bool(found) is reported
    if reported and not zones:
        assert one(found).message == (
            "MQTT without TLS to ${MQTT_BROKER}:1883 with credentials; ${MQTT_BROKER} is set by "
            "the deployment's environment, which the export does not hold: list it under "
            "trust_zones in the policy to place it")


def test_an_environment_host_in_a_url_is_named_as_written() -> None:
    """Not the lowercased form the zones look up (``${ollama_host}``). (The URL writes its
    scheme: one starting with the variable takes the scheme from it too, and shows no
    cleartext.)"""
    flows = [tab(), http_in("in", "/api/users/password-reset", to=["gen"]),
             http_request("gen", "http://${OLLAMA_HOST}/api/generate")]
    f = one(findings_of(ENC001, app_of(flows)))
    assert f.message.startswith("HTTP without TLS to ${OLLAMA_HOST} carrying credentials")


@pytest.mark.parametrize(("kept", "reported"), [
    ("msg.url = 'http://' + flow.get('heatpump_ip') + '/command?' + msg.payload;", False),
    ("msg.url = 'http://' + flow.get('heatpump_ip') + '/login?password=' + "
     "env.get('HEATPUMP_PASSWORD');", True),
])
def test_address_kept_in_context_is_reported_only_when_secrets_go(kept: str,
                                                                   reported: bool) -> None:
    flows = [tab(), inject("tick", to=["build"]),
             function("build", f"{kept}\nreturn msg;", to=["send"]),
             http_request("send", "", method="GET")]
    assert bool(findings_of(ENC001, app_of(flows))) is reported


@pytest.mark.parametrize(("line", "reported"), [
    ('// msg.url = "http://192.168.1.34/api/log";  (the old test server)', False),
    ('/* msg.url = "http://192.168.1.34/api/log"; */', False),
    ('msg.url = "http://192.168.1.34/api/log";', True),
])
def test_a_url_in_a_commented_out_line_is_not_where_the_request_goes(line: str,
                                                                    reported: bool) -> None:
    code = f"{line}\nmsg.url = flow.get('farm_api') + '/api/log';\nreturn msg;"
    flows = [tab(), inject("tick", to=["build"]), function("build", code, to=["post"]),
             http_request("post", "")]
    hosts = [f.evidence["host"] for f in findings_of(ENC001, app_of(flows))]
    assert ("192.168.1.34" in hosts) is reported


SYNC_CALL = ("const http = {module};\n"
             "const options = {{ host: '{host}', path: '/sync.php?action=upload', "
             "method: 'POST' }};\n"
             "const req = http.request(options, res => res.resume());\n"
             "req.write(JSON.stringify(msg.payload));\nreq.end();\nreturn msg;")


@pytest.mark.parametrize(("module", "host", "reported"), [
    ("global.get('http')", "sync.example-farm.net", True),  # the module kept in global context
    ("require('http')", "sync.example-farm.net", True),
    ("require('https')", "sync.example-farm.net", False),  # TLS
    ("global.get('http')", "localhost", False),  # never leaves the machine
])
def test_function_sending_its_own_plain_http_request(module: str, host: str,
                                                     reported: bool) -> None:
    code = SYNC_CALL.format(module=module, host=host)
    flows = [tab(), inject("tick", to=["send"]), function("send", code)]
    found = findings_of(ENC001, app_of(flows))
    assert [f.message for f in found] == (
        [f"HTTP without TLS to {host}"] if reported else [])


def test_function_using_the_http_library_its_node_loads() -> None:
    code = "http.get('http://203.0.113.9:8080/api/ping', res => res.resume());\nreturn msg;"
    node_ = {**function("ping", code), "libs": [{"var": "http", "module": "http"}]}
    f = one(findings_of(ENC001, app_of([tab(), inject("tick", to=["ping"]), node_])))
    assert (f.evidence["host"], f.evidence["port"]) == ("203.0.113.9", 8080)


# -- a vendor's config node naming its server in a URL field (blind set 2) ----------------------
def _emoncms(server: str, *, used: bool = True) -> list[dict[str, Any]]:
    users = [node("post", "emoncms", emonServer=nid("emon"), nodegroup="25")] if used else []
    return [tab(), config("emon", "emoncms-server", server=server, name="Energy"), *users]


def test_vendor_config_with_an_http_url_is_a_cleartext_destination() -> None:
    f = one(findings_of(ENC001, app_of(_emoncms("http://emoncms.example.org/"))))
    assert f.resource.id == nid("emon")
    assert "emoncms.example.org" in f.message
    assert findings_of(ENC001, app_of(_emoncms("https://emoncms.example.org/"))) == []


def test_vendor_config_nobody_uses_sends_nothing() -> None:
    assert findings_of(ENC001, app_of(_emoncms("http://emoncms.example.org/", used=False))) == []


def _subscriber_beside(other_url: str, **login: Any) -> list[dict[str, Any]]:
    """A broker from ``${MQTT_BROKER}`` with a login, and a request to ``other_url``."""
    return [*_subscriber("${MQTT_BROKER}", **login), inject("tick", to=["ask"]),
            http_request("ask", other_url, method="GET")]


@pytest.mark.parametrize(("other_url", "reported"), [
    ("http://ollama:11434/api/tags", False),  # a compose service by name: the app is a stack
    ("http://172.19.0.7:8086/ping", False),  # a container on a compose bridge network
    ("https://api.weather.example-corp.com/v1", True),  # the internet says nothing of it
    ("http://host.docker.internal:8086/ping", True),  # any lone container has this alias
    ("http://nas.lan:8086/ping", True),  # the LAN: the variable may name any of its hosts
])
def test_an_environment_host_sits_in_the_stack_its_nodes_show(other_url: str,
                                                              reported: bool) -> None:
    """The compose file that names the services the nodes reach by name also sets the
    variables Node-RED reads: ``${MQTT_BROKER}`` beside a request to ``ollama`` is one of
    those services, and its own login stays on that network. With no such service in the
    export the variable stays unknown and the login crossing is reported."""
    found = findings_of(ENC001, app_of(_subscriber_beside(other_url, user="plant-gw")))
    assert [f.evidence["host"] for f in found if f.resource.id == nid("b")] == (
        ["${MQTT_BROKER}"] if reported else [])


def test_an_environment_host_placed_by_the_stack_says_why() -> None:
    """A policy that reports cleartext inside compose networks sees the variable placed there
    with the service that placed it, and how to place it otherwise."""
    found = findings_of(ENC001, app_of(_subscriber_beside("http://ollama:11434/api/tags",
                                                          user="plant-gw")),
                        policy("version: 1\ntrust_zones:\n  host:\n"
                               "    cleartext_severity: low\n"))
    f = one([f for f in found if f.resource.id == nid("b")])
    assert f.evidence["zone"] == "host" and f.evidence["stack_services"] == ["ollama"]
    assert f.message == (
        "MQTT without TLS to ${MQTT_BROKER}:1883 with credentials; ${MQTT_BROKER} is set by "
        "the deployment's environment, taken as a service of the app's own compose network "
        "(its nodes reach ollama there by name): list it under trust_zones in the policy to "
        "place it otherwise")


def test_a_disabled_node_shows_no_stack() -> None:
    flows = _subscriber_beside("http://ollama:11434/api/tags", user="plant-gw")
    flows[-1]["d"] = True
    assert [f.resource.id for f in findings_of(ENC001, app_of(flows))] == [nid("b")]
