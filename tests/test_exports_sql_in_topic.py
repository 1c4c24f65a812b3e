"""EXP002 on open Node-RED routes whose database node runs the SQL a step before it writes into
msg.topic (node-red-node-mysql runs msg.topic), in our own words: a change node's fixed SELECT
or a function's template literal makes the answer a read of those tables when they name what
they hold (members); an UPDATE, counts and totals, a lookup list, a query the caller sends,
or a query set some other way is no download."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import EXP002
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    function,
    http_in,
    http_response,
    nid,
    node,
    tab,
)


def _route(*before: dict[str, Any], first: str) -> list[dict[str, Any]]:
    """GET /members -> (the steps given) -> mysql -> http response."""
    return [tab(), config("db", "MySQLdatabase", host="127.0.0.1", port="3306", db="club"),
            http_in("in", "/members", method="get", to=[first]), *before,
            node("sql", "mysql", mydb=nid("db"), wires=[["resp"]]), http_response("resp")]


def _set_topic(text: str, tot: str = "str") -> dict[str, Any]:
    return change("topic", to=["sql"], rules=[{"t": "set", "p": "topic", "pt": "msg",
                                                "to": text, "tot": tot}])


def test_a_fixed_select_in_msg_topic_served_to_any_caller_is_a_download() -> None:
    f = one(findings_of(EXP002, app_of(_route(_set_topic("SELECT * FROM member"),
                                              first="topic"))))
    assert f.resource.id == nid("sql")
    assert "club (member)" in f.message


def test_a_template_literal_select_built_by_a_function_is_a_read_of_its_table() -> None:
    code = "const id = msg.req.params.id;\nmsg.topic = `SELECT * FROM member WHERE id = ${id}`;" \
        "\nreturn msg;"
    found = findings_of(EXP002, app_of(_route(function("topic", code, to=["sql"]),
                                              first="topic")))
    assert [f.resource.id for f in found] == [nid("sql")]


@pytest.mark.parametrize("step", [
    _set_topic("UPDATE member SET seen = NOW()"),  # a write answers a row count
    _set_topic("SELECT COUNT(*) AS total, SUM(CASE WHEN paid = 1 THEN 1 ELSE 0 END) AS paid "
               "FROM member"),  # how many, not who
    _set_topic("SELECT * FROM countries ORDER BY name"),  # a lookup list a form offers
    _set_topic("payload.sql", tot="msg"),  # the caller's own query: not a fixed read
    function("topic", "msg.topic = msg.payload.sql;\nreturn msg;", to=["sql"]),
    function("topic", "msg.topic = 'SELECT * FROM member';\nif (msg.payload.all) "
             "msg.topic = build(msg);\nreturn msg;", to=["sql"]),  # also set otherwise
])
def test_a_write_or_a_query_not_written_out_is_no_download(step: dict[str, Any]) -> None:
    assert findings_of(EXP002, app_of(_route(step, first="topic"))) == []
