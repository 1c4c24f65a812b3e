"""Node-RED mechanisms from blind set 7 (issue 11), distilled in our own words from real
exports: SQL a function builds through the driver's own escaping (``mysql.format`` with ``?``,
``mysql.escape`` on every value) is parameterised, while the same value joined raw still
fires."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import INJ001
from tests.test_checks_nodered import app_of, config, function, http_in, nid, node, tab

MYSQL = config("db", "MySQLdatabase", name="fleet", host="127.0.0.1", db="fleet")
SIGN_IN = ('const mysql = global.get("mysql");\n'
           'const sql = "SELECT id FROM account WHERE email = ? AND active = 1";\n')
WHERE = 'const mysql = global.get("mysql");\nlet q = "SELECT * FROM trip WHERE 1 = 1";\n'


def _route(code: str) -> list[dict[str, Any]]:
    """A POST route whose function builds the SQL a mysql node runs (msg.topic)."""
    return [tab(), MYSQL, http_in("in", "/api/trips", to=["build"]),
            function("build", code, to=["sql"]),
            node("sql", "mysql", mydb=nid("db"), wires=[[]])]


@pytest.mark.parametrize("code", [
    SIGN_IN + "msg.topic = mysql.format(sql, [msg.payload.email]);\nreturn msg;",
    WHERE + 'if (msg.payload.car) q += " AND car = " + mysql.escape(msg.payload.car);\n'
            'q += " AND day >= " + mysql.escape(msg.payload.from);\nmsg.topic = q;\nreturn msg;',
    WHERE + "q += ` AND car IN (${mysql.escapeId(msg.payload.col)})`;\nmsg.topic = q;\n"
            "return msg;",
], ids=["format with placeholders", "escape on every value", "escapeId"])
def test_sql_built_through_the_drivers_escaping_is_quiet(code: str) -> None:
    assert findings_of(INJ001, app_of(_route(code))) == []


@pytest.mark.parametrize("code", [
    # the statement itself is joined from the body; format escapes only the values
    'const mysql = global.get("mysql");\nmsg.topic = mysql.format("SELECT * FROM " + '
    "msg.payload.table + \" WHERE id = ?\", [msg.payload.id]);\nreturn msg;",
    # one value escaped, the other joined raw
    WHERE + 'q += " AND car = " + mysql.escape(msg.payload.car) + " AND day >= " + '
            "msg.payload.from;\nmsg.topic = q;\nreturn msg;",
    # an escape method of something that is no SQL driver (HTML escaping)
    WHERE + 'q += " AND car = " + he.escape(msg.payload.car);\nmsg.topic = q;\nreturn msg;',
], ids=["format of a joined statement", "one value raw", "not a driver"])
def test_sql_with_a_raw_value_beside_the_escaping_still_fires(code: str) -> None:
    assert ids(findings_of(INJ001, app_of(_route(code)))) == {nid("sql")}


# -- node-red-contrib-postgrestor: a mustache query of {msg}, like postgresql's ------------------
PG = config("pgdb", "postgresDB", name="farm", host="127.0.0.1", database="farm")


def _stored(query: str) -> list[dict[str, Any]]:
    """A public MQTT topic's readings go straight into a postgrestor INSERT."""
    broker = config("broker", "mqtt-broker", broker="broker.example.org", port="1883")
    return [tab(), broker, PG,
            node("sub", "mqtt in", topic="farm/soil", broker=nid("broker"), datatype="json",
                 wires=[["save"]]),
            node("save", "postgrestor", query=query, postgresDB=nid("pgdb"), output=True,
                 wires=[[]])]


def test_message_text_pasted_unquoted_into_a_postgrestor_query_fires() -> None:
    query = "INSERT INTO soil (level, note) VALUES ({{ msg.payload.level }}, 'fixed')"
    assert ids(findings_of(INJ001, app_of(_stored(query)))) == {nid("save")}


def test_a_fixed_postgrestor_query_or_html_escaped_quoted_text_is_quiet() -> None:
    for query in ("INSERT INTO soil (level) VALUES (1)",
                  "INSERT INTO soil (note) VALUES ('{{ msg.payload.note }}')"):
        assert findings_of(INJ001, app_of(_stored(query))) == []
