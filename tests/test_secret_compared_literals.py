"""Secrets typed into the app where it checks or uses them, in our own words after real flows:
a login or a token check that code, a switch rule or an n8n If compares with a literal (the
literal on either side; a UUID-shaped token is a secret there, not an id), and a media stream
URL (RTSP, RTMP) whose random path segment is the stream's access token. Each with the
look-alikes that stay quiet (an environment value, status and scheme words, a literal compared
with a value whose name says nothing of a secret)."""

from __future__ import annotations

import pytest

from pytest_nocode.secretscan.detectors import Text, compared_literals
from tests.test_secret_filters import _values, n8n, nodered


# -- a literal compared in code ---------------------------------------------------------------
@pytest.mark.parametrize(("code", "found"), [
    ('if (msg.payload.user == "admin" && msg.payload.password == "admin") {\n'
     "    return [msg, null];\n}\nreturn [null, msg];", ["admin"]),
    ('if ("Kx93-pw-Lq" === msg.payload["pass"]) return msg;', ["Kx93-pw-Lq"]),
    ('const ok = msg.req.headers["x-api-key"] !== "k8Jd92jLqP0x";', ["k8Jd92jLqP0x"]),
    ("if (body.pin != '4711') { return null; }", ["4711"]),
])
def test_password_compared_with_a_literal_in_code(code: str, found: list[str]) -> None:
    assert _values(nodered("function", func=code)) == found


@pytest.mark.parametrize("code", [
    'if (msg.payload.password == "") return null;',  # a presence check
    "if (msg.payload.password !== undefined) msg.ok = true;",
    'if (msg.topic == "password") return msg;',  # the compared side names no secret
    'if (msg.payload.password == "YOUR_PASSWORD") return msg;',  # a placeholder
    'if (msg.payload.token_type === "Bearer") return msg;',  # a scheme word
    'if (msg.payload.key == "Enter") return msg;',  # a key press
    'if (global.get("pass") == msg.payload.password) return msg;',  # kept in context
    'if (msg.payload.password == msg.stored.password) return msg;',
    "const pair = typeof item.credentialPair === 'object' ? item.credentialPair : {};",
])
def test_lookalike_comparisons_stay_quiet(code: str) -> None:
    assert _values(nodered("function", func=code)) == []


# -- the same check built from condition nodes ------------------------------------------------
def test_switch_rule_comparing_the_password_with_a_literal() -> None:
    rules = [{"t": "eq", "v": "Gr33nH0use", "vt": "str"}, {"t": "else"}]
    assert _values(nodered("switch", property="payload.password", propertyType="msg",
                           rules=rules)) == ["Gr33nH0use"]


@pytest.mark.parametrize(("prop", "rules"), [
    ("payload.mode", [{"t": "eq", "v": "Gr33nH0use", "vt": "str"}]),  # not a secret's name
    ("payload.password", [{"t": "eq", "v": "pass", "vt": "flow"}]),  # a context key
    ("payload.password", [{"t": "nnull"}]),  # a presence check
])
def test_lookalike_switch_rules_stay_quiet(prop: str, rules: list[dict[str, str]]) -> None:
    assert _values(nodered("switch", property=prop, propertyType="msg", rules=rules)) == []


def _if(left: str, right: str, operation: str = "equals") -> list[str]:
    condition = {"id": "c1", "leftValue": left, "rightValue": right,
                 "operator": {"type": "string", "operation": operation}}
    return _values(n8n("n8n-nodes-base.if", conditions={"conditions": [condition]}))


def test_n8n_if_comparing_the_password_with_a_literal() -> None:
    assert _if("={{ $json.body.password }}", "Hunter22x") == ["Hunter22x"]
    assert _if("Hunter22x", "={{ $json.body.password }}") == ["Hunter22x"]
    legacy = {"value1": '={{$json["query"]["token"]}}', "operation": "equal",
              "value2": "q8Zr2mX0pL5v"}
    assert _values(n8n("n8n-nodes-base.if", conditions={"string": [legacy]})) == [
        "q8Zr2mX0pL5v"]


def test_n8n_if_lookalikes_stay_quiet() -> None:
    assert _if("={{ $json.body.password }}", "={{ $('Users').item.json.password }}") == []
    assert _if("={{ $json.body.password }}", "Hunter22x", "notEmpty") == []
    assert _if("={{ $json.body.status }}", "Hunter22x") == []


# -- stream URLs ------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "rtsp://nvr.example-shop.dk:7447/6tr4qdeZsXO9bt4h",  # a UniFi NVR stream alias
    "rtsp://10.1.5.40:7447/FehDwjQce0dLycRA",
    "rtmp://live.example.tv/app/Ab3dEf9hIj2kLm4nOp",  # an ingest's stream key
])
def test_stream_url_access_token(url: str) -> None:
    token = url.rsplit("/", 1)[1]
    assert _values(nodered("function", func=f'global.set("cam", "{url}");\nreturn msg;')) \
        == [token]


@pytest.mark.parametrize("url", [
    "rtsp://192.168.1.5:554/Streaming/Channels/02",  # a camera's own paths
    "rtsp://cam:554/h264Preview_01_main",
    "rtsp://cam:554/cam/realmonitor?channel=1&subtype=0",
    "rtsp://cam/MediaProfile000000000001",
    "rtsp://cam/CameraOneStreamMain",
    "https://example.com/6tr4qdeZsXO9bt4h",  # not a stream: a resource id in a path
])
def test_lookalike_stream_paths_stay_quiet(url: str) -> None:
    assert _values(nodered("function", func=f'global.set("cam", "{url}");\nreturn msg;')) == []


# -- a hand-written token check (n8n Code) ------------------------------------------------
UUID_TOKEN = "7d1e4c2a-9b3f-4e8d-a6c5-2f0b8e1d9a47"
KEY = "Vq3Lm8Zr2Tx6Wn9Pk4Bs"


@pytest.mark.parametrize(("code", "secret"), [
    ("const token = $json.headers?.['x-agent-token'];\n"
     f"if (token !== '{UUID_TOKEN}') {{ return []; }}", UUID_TOKEN),
    (f"if ($input.first().json.headers['x-api-key'] === \"{KEY}\") return $input.all();", KEY),
    (f"if ('{KEY}' != req.query.secret) throw new Error('no');", KEY),
    (f"const ok = body.apiKey === `{KEY}`;", KEY),
    # a token the message carries beside its topic is still the caller's secret
    ("const parts = msg.topic.split('/');\nconst token = msg.payload.token;\n"
     f"if (token !== '{KEY}') return null;", KEY),
])
def test_a_literal_compared_with_a_secret_is_found(code: str, secret: str) -> None:
    assert [f.value for f in compared_literals(Text(code, "code"))] == [secret]


@pytest.mark.parametrize("code", [
    "if (token !== $env.AGENT_TOKEN) { return []; }",
    "if (tokenStatus === 'expired') refresh();",
    "if (authType === 'bearer') headers.push(x);",
    f"if (msg.topic === '{UUID_TOKEN}') route();",
    f"if ($json.orderId === '{KEY}') pick();",
    "const pair = typeof item.credentialPair === 'object' ? item.credentialPair : {};",
    # a segment of the topic a message came on: a team's name, not its secret
    "const parts = msg.topic.split('/');\nconst teamToken = parts[3];\n"
    "if (teamToken === 'equipe05') return null;",
    "const deviceToken = msg.topic.split('/').pop();\nif (deviceToken == 'hall-07') skip();",
])
def test_other_comparisons_stay_quiet(code: str) -> None:
    assert list(compared_literals(Text(code, "code"))) == []
