"""Node-RED INJ001: which part of a request's URL a caller's value reaches.

A value in the scheme, host or port picks the server (server-side request forgery); one past a
fixed scheme and host picks only an endpoint of that server. There a raw path value is a path
finding of its own, a step lower, where the caller gains something by it: a host on the
owner's networks (reached only through the app) or a request the node authenticates. A value
only in the query string, or through ``encodeURIComponent``, steers nothing a reviewer files.
Each shape is distilled from a real flow, in our own words, and tested both ways."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import FETCH_PATH
from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one
from tests.rules import INJ001
from tests.test_checks_nodered import app_of, function, http_in, nid, node, tab


def _request(**own: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"method": "GET", "ret": "obj", "paytoqs": "ignore", "url": "",
                             "tls": "", "persist": False, "proxy": "", "authType": "",
                             "headers": []}
    return node("send", "http request", **{**props, **own}, wires=[[]])


def _proxy(url_code: str, **own: Any) -> list[dict[str, Any]]:
    """An open route whose function builds the URL a request then goes to."""
    code = f"const p = msg.payload || {{}};\nmsg.url = {url_code};\nreturn msg;"
    return [tab(), http_in("route", "/lookup", to=["build"]),
            function("build", code, to=["send"]), _request(**own)]


@pytest.mark.parametrize("url_code", [
    "p.target",  # the whole URL
    "'https://' + p.host + '/v1/status'",  # the host
    "'https://' + p.region + '.api.example.com/v1/status'",  # pasted into the host name
    "'http://10.1.2.3:' + p.port + '/status'",  # the port
    "`https://${p.host}/v1/items/${encodeURIComponent(p.id)}`",  # host raw, path encoded
])
def test_a_value_that_picks_the_server_is_request_forgery(url_code: str) -> None:
    f = one(findings_of(INJ001, app_of(_proxy(url_code))))
    assert f.resource.id == nid("send") and f.evidence["parameter"] == "url"
    assert "server-side request forgery" in f.message and f.severity == Severity.CRITICAL


@pytest.mark.parametrize("url_code", [
    # a device id only in the query string, encoded, added only when given
    "'https://api.music.example/v1/me/player/play' + "
    "(p.device ? '?device_id=' + encodeURIComponent(p.device) : '')",
    "'https://api.example.com/v1/items/' + encodeURIComponent(p.id)",  # one encoded segment
    "'https://api.example.com/v1/search?q=' + p.text",  # a parameter's value
    # a firmware folder on a public bucket, and no credential of the app's goes with it
    "`https://bucket.example.net/fw/${p.kind}/latest.txt`",
    "'https://git.example.org/api/v4/projects/' + p.project",
])
def test_a_value_past_a_fixed_internet_host_the_node_does_not_authenticate_to_is_quiet(
        url_code: str) -> None:
    assert findings_of(INJ001, app_of(_proxy(url_code))) == []


@pytest.mark.parametrize("own", [
    {"authType": "bearer"},
    {"authType": "basic"},
    {"headers": [{"keyType": "other", "keyValue": "X-Api-Key", "valueType": "other",
                  "valueValue": "k"}]},
    {"headers": [{"keyType": "Authorization", "keyValue": "", "valueType": "other",
                  "valueValue": "Bearer k"}]},
])
def test_a_raw_path_value_on_a_request_the_node_authenticates_is_a_path_finding(
        own: dict[str, Any]) -> None:
    f = one(findings_of(INJ001, app_of(_proxy(
        "'https://git.example.org/api/v4/projects/' + p.project", **own))))
    assert f.evidence["parameter"] == FETCH_PATH and f.severity == Severity.HIGH
    assert "as this node authenticates" in f.message
    assert "request forgery" not in f.message


def test_an_encoded_path_value_stays_quiet_even_when_the_node_authenticates() -> None:
    flows = _proxy("'https://api.example.com/v1/items/' + encodeURIComponent(p.id)",
                   authType="bearer")
    assert findings_of(INJ001, app_of(flows)) == []


def test_a_content_type_header_is_no_credential() -> None:
    flows = _proxy("`https://bucket.example.net/fw/${p.kind}/latest.txt`", headers=[
        {"keyType": "Content-Type", "keyValue": "", "valueType": "application/json",
         "valueValue": ""}])
    assert findings_of(INJ001, app_of(flows)) == []


@pytest.mark.parametrize("url_code", [
    "'http://192.168.1.40:8005/api/where/' + p.name",
    "'http://tracker/api/where/' + p.name",  # a compose service
    "'http://127.0.0.1:1880/admin/' + p.name",
])
def test_a_raw_path_value_on_the_owners_network_is_a_path_finding(url_code: str) -> None:
    f = one(findings_of(INJ001, app_of(_proxy(url_code))))
    assert f.evidence["parameter"] == FETCH_PATH and f.severity == Severity.HIGH


def test_each_value_is_placed_by_the_text_before_it() -> None:
    """A raw value after the "?" is a parameter; a raw one before it, a path."""
    quiet = "'http://10.0.0.5/api/' + encodeURIComponent(p.id) + '?q=' + p.text"
    fires = "'http://10.0.0.5/api/' + p.text + '?q=' + encodeURIComponent(p.id)"
    assert findings_of(INJ001, app_of(_proxy(quiet))) == []
    assert one(findings_of(INJ001, app_of(_proxy(fires)))).evidence["parameter"] == FETCH_PATH


def _template_url(template: str) -> list[dict[str, Any]]:
    """An open route whose name a template puts into the URL of a LAN service."""
    return [tab(), http_in("route", "/track", to=["url"]),
            node("url", "template", field="url", fieldType="msg", format="handlebars",
                 syntax="mustache", template=template, output="str", wires=[["send"]]),
            _request()]


def test_a_template_that_puts_a_name_into_a_lan_path_is_a_path_finding() -> None:
    f = one(findings_of(INJ001, app_of(_template_url(
        "http://192.168.1.40:8005/api/where/{{payload.name}}"))))
    assert f.evidence["parameter"] == FETCH_PATH


@pytest.mark.parametrize("template", ["{{payload.base}}/api/where",
                                      "http://{{payload.host}}:8005/api/where"])
def test_a_template_that_puts_the_host_into_the_url_is_request_forgery(template: str) -> None:
    f = one(findings_of(INJ001, app_of(_template_url(template))))
    assert f.evidence["parameter"] == "url" and f.severity == Severity.CRITICAL


def test_a_template_query_value_to_a_fixed_host_is_quiet() -> None:
    flows = _template_url("http://192.168.1.40:8005/api/where?name={{payload.name}}")
    assert findings_of(INJ001, app_of(flows)) == []


def test_code_that_cannot_be_followed_still_counts_as_picking_the_server() -> None:
    """Fail closed: a URL built by code the reader does not follow is placed nowhere."""
    flows = _proxy("'https://api.example.com/v1/items/' + encodeURIComponent(p.id)")
    flows[2]["func"] = ("var m = msg;\nm.url = 'https://api.example.com/v1/items/' + "
                        "encodeURIComponent(m.payload.id);\nreturn m;")
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.evidence["parameter"] == "url"


# -- msg rebuilt as a copy of itself with new keys -------------------------------------------
def _respread(statement: str) -> list[dict[str, Any]]:
    """A chat bot's webhook; a function builds the send URL from the bot's own settings."""
    code = ("const token = global.get('botToken');\nconst api = global.get('botApi');\n"
            f"{statement}\nreturn msg;")
    return [tab(), http_in("route", "/webhook", to=["build"]),
            function("build", code, to=["send"]), _request()]


def test_a_message_copied_with_a_url_of_the_apps_own_settings_is_quiet() -> None:
    app = app_of(_respread("msg = { ...msg, url: `${api}${token}/sendMessage` };"))
    assert findings_of(INJ001, app) == []


@pytest.mark.parametrize("statement", [
    "msg = { ...msg, url: msg.payload.callback };",  # the caller's URL, set the same way
    "msg = { ...msg, [msg.payload.key]: msg.payload.value };",  # any property, url too
    "msg = { ...msg.payload };",  # a new message: not followed, every field may be the caller's
    "msg = { url: `${api}${token}/sendMessage`, ...msg };",  # the caller's url wins
])
def test_a_copied_message_whose_url_the_caller_can_set_fires(statement: str) -> None:
    f = one(findings_of(INJ001, app_of(_respread(statement))))
    assert f.resource.id == nid("send") and f.evidence["parameter"] == "url"
