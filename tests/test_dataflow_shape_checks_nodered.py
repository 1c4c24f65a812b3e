"""Values a Node-RED function lets through only when they match a strict pattern, in our own
words after a kiosk fleet whose MQTT command opens an SSH tunnel: each field of the command
is tested against an anchored pattern of word characters (or parsed as a port) by a small
helper that answers "" otherwise, and only then joined into the shell command. Such a word
cannot add shell or SQL syntax, so the exec node is not reported; it still names what it
names, so the same word in a URL keeps the request reported. The look-alikes: no check, a
pattern that lets anything through, a checked copy that is not what is joined, a helper
that hands its argument back."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.nodered_function import strict_pattern
from tests.checkrun import findings_of, ids
from tests.rules import INJ001
from tests.test_checks_nodered import (
    app_of,
    config,
    exec_node,
    function,
    http_request,
    nid,
    node,
    tab,
)

_HELPERS = '''
function safeWord(value, pattern) {
    var v = (value || "").toString().trim();
    if (!v) { return ""; }
    return pattern.test(v) ? v : "";
}
function safePort(value) {
    var v = (value || "").toString().trim();
    if (!/^[0-9]+$/.test(v)) { return ""; }
    var n = Number(v);
    return n >= 1 && n <= 65535 ? String(n) : "";
}
'''


def _remote(code: str, sink: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), config("broker", "mqtt-broker", broker="broker.example-iot.com"),
            node("sub", "mqtt in", topic="kiosk/+/cmd", broker=nid("broker"),
                 wires=[["build"]]),
            function("build", code, to=["sink"]), sink]


def _command(body: str) -> list[str]:
    code = "var p = msg.payload || {};\n" + _HELPERS + body + "\nreturn msg;"
    return sorted(ids(findings_of(INJ001, app_of(_remote(code, exec_node("sink", "", "payload"))))))


CHECKED = {
    "helper with the pattern as argument": '''
var host = (p.host || "").toString();
var port = p.port || "";
host = safeWord(host, /^[a-zA-Z0-9._-]+(:[0-9]+)?$/);
port = safePort(port);
if (!host || !port) { return null; }
msg.payload = "/opt/tunnel.sh start " + host + " " + port;''',
    "inline test in a ternary": '''
var name = p.name;
msg.payload = "systemctl restart " + (/^[a-z0-9-]+$/.test(name) ? name : "kiosk");''',
    "match in a ternary": '''
var name = p.name;
msg.payload = "systemctl restart " + (name.match(/^[a-z0-9-]+$/) ? name : "kiosk");''',
    "match in a guard": '''
var unit = p.unit;
if (!unit.match(/^[a-z0-9@.-]+$/)) { return; }
msg.payload = "systemctl status " + unit;''',
    "guard on the message property itself": '''
if (!/^[a-z0-9@.-]+$/.test(msg.payload.unit)) { return null; }
msg.payload = "systemctl status " + msg.payload.unit;''',
    "guard that stops the message": '''
var unit = p.unit;
if (!/^[a-z0-9@.-]+$/.test(unit)) { return null; }
msg.payload = "systemctl status " + unit;''',
}


@pytest.mark.parametrize("body", CHECKED.values(), ids=CHECKED.keys())
def test_words_checked_against_a_strict_pattern_add_no_shell_syntax(body: str) -> None:
    assert _command(body) == []


UNCHECKED = {
    "no check": '''
msg.payload = "/opt/tunnel.sh start " + p.host;''',
    "a pattern that lets a space and a semicolon through": '''
var host = p.host;
host = safeWord(host, /^.+$/);
msg.payload = "/opt/tunnel.sh start " + host;''',
    "a negated class": '''
var host = safeWord(p.host, /^[^&|]+$/);
msg.payload = "/opt/tunnel.sh start " + host;''',
    "unanchored": '''
var unit = p.unit;
if (!/[a-z]+/.test(unit)) { return null; }
msg.payload = "systemctl status " + unit;''',
    "match with a loose pattern": '''
var unit = p.unit;
if (!unit.match(/^[^;]+$/)) { return null; }
msg.payload = "systemctl status " + unit;''',
    "the checked copy is not what is joined": '''
var host = p.host;
var ok = safeWord(host, /^[a-z0-9.-]+$/);
if (!ok) { return null; }
msg.payload = "/opt/tunnel.sh start " + host;''',
    "decoded after the check (base64 letters decode to any text)": '''
var host = safeWord(p.host, /^[A-Za-z0-9]+$/);
msg.payload = "/opt/tunnel.sh start " + atob(host);''',
    "set again after the check": '''
var host = safeWord(p.host, /^[a-z0-9.-]+$/);
msg.payload = "/opt/tunnel.sh start " + host;
host = p.raw;
msg.payload = "/opt/tunnel.sh start " + host;''',
}


@pytest.mark.parametrize("body", UNCHECKED.values(), ids=UNCHECKED.keys())
def test_unchecked_or_loosely_checked_values_still_reach_the_shell(body: str) -> None:
    assert _command(body) == [nid("sink")]


def test_a_helper_handing_its_argument_back_checks_nothing() -> None:
    body = '''
function tidy(value) { return (value || "").toString().trim(); }
var host = tidy(p.host);
msg.payload = "/opt/tunnel.sh start " + host;'''
    assert _command(body) == [nid("sink")]


def test_a_checked_word_still_picks_the_host_a_request_goes_to() -> None:
    code = ("var p = msg.payload || {};\n" + _HELPERS
            + 'var host = safeWord(p.host, /^[a-z0-9.-]+$/);\n'
              'if (!host) { return null; }\nmsg.url = "http://" + host + "/status";\n'
              "return msg;")
    app = app_of(_remote(code, http_request("sink", "")))
    assert ids(findings_of(INJ001, app)) == {nid("sink")}


@pytest.mark.parametrize(("pattern", "strict"), [
    (r"/^[a-zA-Z0-9._-]+$/", True), (r"/^(start|stop)$/", True), (r"/^\d{1,5}$/", True),
    (r"/^\/[a-zA-Z0-9._\/-]+$/", True), (r"/^\w+$/i", True),
    (r"/^.+$/", False), (r"/^[^;]+$/", False), (r"/[a-z]+/", False), (r"/^[a-z]+$/m", False),
    (r"/^a$|^b;$/", False), (r"/^[\w\s]+$/", False), (r"/^[a-z ]+$/", False),
    (r"/^(?:a|b;)$/", False), (r"/^[a-z'=]+$/", False),
])
def test_strict_patterns(pattern: str, strict: bool) -> None:
    assert strict_pattern(pattern) is strict


def test_a_message_property_checked_in_one_function_is_still_the_senders_downstream() -> None:
    # the check narrows what this function joins, not what the next node reads
    code = ('if (!/^[a-z0-9.-]+$/.test(msg.payload.host)) { return null; }\n'
            'msg.url = "http://" + msg.payload.host + "/status";\nreturn msg;')
    app = app_of(_remote(code, http_request("sink", "")))
    assert ids(findings_of(INJ001, app)) == {nid("sink")}
