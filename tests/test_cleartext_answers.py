"""ENC001 weighs what a cleartext request brings back as well as what it sends, on Node-RED
and n8n: an answer whose password hashes or tokens the flow goes on to read crosses the
network as data does, and so does a GET of a path that names such data. An answer read only
for readings or a status is not data worth an alarm inside the own networks."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode import App
from pytest_nocode.findings import Severity
from pytest_nocode.platforms.jsparse import paths_read
from tests import test_checks_n8n as n8n
from tests.checkrun import findings_of, one
from tests.rules import ENC001
from tests.test_checks_nodered import app_of, function, http_request, inject, nid, node, tab

# Reads the directory it fetched: an entry's stored hash and salt, through local names,
# a callback's parameter and destructuring.
CHECKS_HASHES = """const wanted = msg.login || {};
const book = msg.payload || {};
const entries = book.entries || [];
const hit = entries.find(e => e.handle === wanted.handle);
if (!hit) { return null; }
const { secrets } = hit;
msg.ok = secrets.password_hash === sha(secrets.password_salt + wanted.pass);
return msg;"""
# Reads what a sensor gateway answered: readings and a status, nothing private.
READS_READINGS = """const r = msg.payload;
msg.payload = { t: r.temperature, ok: r.status === 'up' };
return msg;"""


def _fetch_then(url: str, reader: str, *, method: str = "GET") -> list[dict[str, Any]]:
    """A function sets the request's URL, the request fetches it, the next function reads
    the answer with ``reader``."""
    return [
        tab(),
        inject("tick", to=["prep"]),
        function("prep", f"msg.url = '{url}';\nreturn msg;", to=["fetch"]),
        http_request("fetch", "", method=method, to=["read"]),
        function("read", reader),
    ]


def test_password_hashes_read_from_a_compose_services_answer_are_reported() -> None:
    f = one(findings_of(ENC001, app_of(_fetch_then("http://directory:9080/book", CHECKS_HASHES))))
    assert f.resource.id == nid("fetch")
    assert f.severity is Severity.HIGH  # credentials crossing the host zone: full severity
    assert f.message == "HTTP without TLS to directory:9080 bringing back credentials"
    assert f.evidence["received"] == ["credentials"]
    assert f.evidence["credentials"] is False  # nothing secret is sent


def test_an_answer_read_for_readings_on_a_compose_network_stays_quiet() -> None:
    assert (
        findings_of(ENC001, app_of(_fetch_then("http://gateway:9080/book", READS_READINGS))) == []
    )


@pytest.mark.parametrize(
    ("reader", "severity", "received"),
    [
        (CHECKS_HASHES, Severity.HIGH, ["credentials"]),
        (READS_READINGS, Severity.LOW, []),
    ],
)
def test_a_lan_answer_is_weighed_by_the_fields_read_from_it(
    reader: str, severity: Severity, received: list[str]
) -> None:
    f = one(findings_of(ENC001, app_of(_fetch_then("http://10.20.0.7/book", reader))))
    assert (f.severity, f.evidence["received"]) == (severity, received)


def test_the_fields_of_the_requests_own_answer_count_not_a_later_one() -> None:
    """A field read after a second request replaced the payload is that request's answer."""
    flows = [
        tab(),
        inject("tick", to=["prep"]),
        function("prep", "msg.url = 'http://10.20.0.7/book';\nreturn msg;", to=["one"]),
        http_request("one", "", method="GET", to=["two"]),
        http_request("two", "https://vault.example.org/v1/keys", method="GET", to=["read"]),
        function("read", "node.warn(msg.payload.api_token);\nreturn msg;"),
    ]
    f = one(findings_of(ENC001, app_of(flows)))
    assert (f.resource.id, f.severity, f.evidence["received"]) == (nid("one"), Severity.LOW, [])


@pytest.mark.parametrize(("method", "severity"), [("GET", Severity.HIGH), ("POST", Severity.LOW)])
def test_a_get_of_a_path_naming_personal_data_brings_it_back(
    method: str, severity: Severity
) -> None:
    flows = [
        tab(),
        inject("tick", to=["roster"]),
        http_request("roster", "http://192.168.4.20:8000/api/members", method=method),
    ]
    f = one(findings_of(ENC001, app_of(flows)))
    assert f.severity is severity
    assert f.message.endswith("bringing back personal data") is (method == "GET")


def test_paths_read_follow_aliases_loops_and_callbacks() -> None:
    code = """const data = JSON.parse(msg.payload);
for (const row of data.rows) { total += row.amount; }
const { owner: o } = data;
data.items.forEach(function (item) { node.warn(item.label.trim()); });
msg.other = msg.topic.length;"""
    assert set(paths_read(code, "msg.payload")) == {
        "msg.payload.rows",
        "msg.payload.rows[].amount",
        "msg.payload.items",
        "msg.payload.items[].label",
    }
    assert paths_read("const o = msg.payload; return msg;", "msg.payload") == ()


def test_paths_read_knows_the_base_by_its_text_alone() -> None:
    # a name of the base's length is not the base; the base inside parentheses, a call or a
    # longer chain is; a base that is not ASCII is told by its text, not by its byte span
    code = """const a = msg.payloaX; const b = (msg.payload); const c = msg.payload.meta;
    return [a.leak, b.kept, c.inner, JSON.parse(msg.payload).parsed];"""
    assert set(paths_read(code, "msg.payload")) == {
        "msg.payload.kept",
        "msg.payload.meta",
        "msg.payload.meta.inner",
        "msg.payload.parsed",
    }
    assert paths_read("const d = msg.päyload; return d.x;", "msg.päyload") == ("msg.päyload.x",)
    assert paths_read("const d = msg.päyloa; return d.x;", "msg.päyload") == ()


# -- n8n: the same question, asked of the expressions of the steps after the request ------------
def _n8n_fetch_then(reader_value: str) -> App:
    fetch = n8n.n8n_node(
        "Fetch accounts",
        "httpRequest",
        {"method": "GET", "url": "http://10.20.0.7/book", "options": {}},
        version=4.2,
    )
    check = n8n.n8n_node(
        "Check login",
        "set",
        {
            "assignments": {
                "assignments": [
                    {"id": n8n.uid("a"), "name": "stored", "value": reader_value, "type": "string"}
                ]
            }
        },
        version=3.4,
    )
    return n8n.app_of(
        n8n.workflow(
            "Login",
            [n8n.schedule(), fetch, check],
            n8n.chain("Schedule Trigger", "Fetch accounts", "Check login"),
        )
    )


@pytest.mark.parametrize(
    ("reader", "severity", "received"),
    [
        ("={{ $json.entry.password_hash }}", Severity.HIGH, ["credentials"]),
        ("={{ $('Fetch accounts').item.json.api_token }}", Severity.HIGH, ["credentials"]),
        ("={{ $json.reading.temperature }}", Severity.LOW, []),
    ],
)
def test_n8n_a_lan_answer_is_weighed_by_the_fields_later_steps_read(
    reader: str, severity: Severity, received: list[str]
) -> None:
    f = one(findings_of(ENC001, _n8n_fetch_then(reader)))
    assert (f.severity, f.evidence["received"]) == (severity, received)


def test_a_change_node_moving_a_token_out_of_the_answer_is_a_read_of_it() -> None:
    flows = [
        tab(),
        inject("tick", to=["prep"]),
        function("prep", "msg.url = 'http://10.20.0.7/session';\nreturn msg;", to=["fetch"]),
        http_request("fetch", "", method="GET", to=["keep"]),
        node(
            "keep",
            "change",
            name="keep",
            wires=[[]],
            rules=[
                {
                    "t": "move",
                    "p": "payload.session.token",
                    "pt": "msg",
                    "to": "bearer",
                    "tot": "msg",
                }
            ],
        ),
    ]
    f = one(findings_of(ENC001, app_of(flows)))
    assert (f.severity, f.evidence["received"]) == (Severity.HIGH, ["credentials"])
