"""Node-RED misses and look-alikes from the sixth blind set, distilled in our own words from
real apps: a route answering with what a Redis read command returned, a route answering with
what earlier requests left in context, a mustache value inside SQL quotes, an MQTT topic the
subscription fixes, a URL whose scheme lives in the environment. Each fires on the bad shape
and stays quiet on its look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids, one
from tests.rules import ENC001, EXP002, INJ001, INJ002
from tests.test_checks_nodered import (
    app_of,
    config,
    function,
    http_in,
    http_response,
    nid,
    node,
    tab,
)


# -- a Redis read command is a store read --------------------------------------------------------
def _redis_route(command: str, *, topic: str = "") -> list[dict[str, Any]]:
    """GET /members/:id → build the arguments → redis-command COMMAND → http response."""
    return [
        tab(),
        config(
            "cache",
            "redis-config",
            name="members-cache",
            host="cache.internal",
            port="6379",
            dbase="0",
        ),
        http_in("in", "/members/:id", method="get", to=["args"]),
        function(
            "args",
            "msg.payload = ['member:' + msg.req.params.id, 'profile'];\nreturn msg;",
            to=["kv"],
        ),
        node(
            "kv",
            "redis-command",
            server=nid("cache"),
            command=command,
            topic=topic,
            wires=[["resp"]],
        ),
        http_response("resp"),
    ]


def test_a_route_answering_with_a_redis_hash_read_fires_on_the_read() -> None:
    f = one(findings_of(EXP002, app_of(_redis_route("hget"))))
    assert f.resource.id == nid("kv")
    assert "redis members-cache (hget)" in f.message
    assert f.evidence["store_kind"] == "database"


def test_a_redis_read_of_a_key_the_node_fixes_names_the_key() -> None:
    f = one(findings_of(EXP002, app_of(_redis_route("HGETALL", topic="member:index"))))
    assert "(hgetall member:index)" in f.message


def test_a_route_answering_with_the_reply_of_a_redis_write_is_quiet() -> None:
    for command in ("hset", "del", "hexists", "publish"):
        assert findings_of(EXP002, app_of(_redis_route(command))) == [], command


def test_a_redis_read_whose_reply_goes_nowhere_near_a_caller_is_quiet() -> None:
    flows = _redis_route("hget")
    flows[-2]["wires"] = [[]]  # the read's reply is not answered
    assert ids(findings_of(EXP002, app_of(flows))) == set()


# -- a mustache {{ }} value inside SQL quotes cannot end the literal ---------------------------
def _signup(sql: str, database: str = "postgresql") -> list[dict[str, Any]]:
    """POST /signup → a core template builds SQL text into msg.query (msg.topic for MySQL)
    → a database node with no query of its own runs it."""
    field = "topic" if database == "mysql" else "query"
    db = {"mysql": {"mydb": nid("db")}}.get(database, {"postgreSQLConfig": nid("db")})
    return [
        tab(),
        config(
            "db", "postgreSQLConfig" if database != "mysql" else "MySQLdatabase", name="members"
        ),
        http_in("in", "/signup", to=["sql"]),
        node(
            "sql",
            "template",
            field=field,
            fieldType="msg",
            format="sql",
            syntax="mustache",
            template=sql,
            output="str",
            wires=[["run"]],
        ),
        node("run", database, query="", **db, wires=[[]]),
    ]


def _injection(flows: list[dict[str, Any]]) -> set[str]:
    app = app_of(flows)
    return ids(findings_of(INJ001, app)) | ids(findings_of(INJ002, app))


def test_escaped_values_inside_sql_quotes_are_quiet() -> None:
    sql = "INSERT INTO members (name, mail) VALUES ('{{payload.name}}', \"{{payload.mail}}\");"
    assert _injection(_signup(sql)) == set()


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO members (name) VALUES ('{{{payload.name}}}');",  # triple braces: raw
        "INSERT INTO members (name) VALUES ('{{& payload.name}}');",  # & : raw
        "SELECT * FROM members WHERE id = {{payload.id}};",  # no quotes: the value is code
        "SELECT * FROM members WHERE name = '{{payload.name}}' OR id = {{payload.name}};",
    ],
)
def test_raw_or_unquoted_values_in_sql_still_fire(sql: str) -> None:
    assert nid("run") in _injection(_signup(sql))


def test_escaped_values_in_quotes_still_fire_for_mysql_where_backslash_escapes() -> None:
    sql = "INSERT INTO members (name, mail) VALUES ('{{payload.name}}', '{{payload.mail}}');"
    assert nid("run") in _injection(_signup(sql, "mysql"))


# -- msg.topic of a subscription to a fixed topic is that topic -----------------------------------
def _topic_log(topic: str, **extra: Any) -> list[dict[str, Any]]:
    """mqtt in TOPIC (a broker on the private network) → a file node writing to a path built
    from msg.topic."""
    return [
        tab(),
        config("broker", "mqtt-broker", name="plant", broker="10.1.2.3", port="1883"),
        node(
            "sub",
            "mqtt in",
            topic=topic,
            qos="1",
            datatype="auto-detect",
            broker=nid("broker"),
            wires=[["path"]],
            **{"inputs": 0, **extra},
        ),
        function(
            "path", "msg.path = '/var/log/plant' + msg.topic + '.log';\nreturn msg;", to=["log"]
        ),
        node("log", "file", filename="path", filenameType="msg", createDir=True, wires=[[]]),
    ]


def test_a_file_named_from_the_topic_of_a_fixed_subscription_is_quiet() -> None:
    assert _injection(_topic_log("/data/machine1")) == set()


@pytest.mark.parametrize(
    ("topic", "extra"),
    [
        ("/data/+", {}),  # a wildcard: any topic published under it
        ("/data/#", {}),
        ("/data/machine1", {"inputs": 1}),  # subscribed to whatever a message asks at run time
    ],
)
def test_a_file_named_from_the_topic_of_an_open_subscription_still_fires(
    topic: str, extra: dict[str, Any]
) -> None:
    assert _injection(_topic_log(topic, **extra)) == {nid("log")}


# -- a URL whose scheme is in the environment shows no cleartext --------------------------------
def _admin_call(url: str) -> list[dict[str, Any]]:
    """An inject → an http request carrying a bearer token to URL."""
    return [
        tab(),
        node(
            "tick",
            "inject",
            props=[{"p": "payload"}],
            repeat="",
            payload="",
            payloadType="date",
            wires=[["call"]],
        ),
        node(
            "call",
            "http request",
            method="GET",
            ret="obj",
            paytoqs="ignore",
            url=url,
            tls="",
            persist=False,
            proxy="",
            authType="",
            headers=[{"key": "Authorization", "value": "Bearer ${ADMIN_TOKEN}"}],
            wires=[[]],
        ),
    ]


def test_a_url_starting_with_an_environment_variable_is_no_cleartext_finding() -> None:
    assert findings_of(ENC001, app_of(_admin_call("${API_BASE_URL}/admin/config"))) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://${API_HOST}/admin/config",  # the scheme is written: plain http
        "api.partner-cloud.example.net/admin/config",  # no scheme: Node-RED adds http://
    ],
)
def test_a_url_whose_plain_scheme_is_visible_still_fires(url: str) -> None:
    assert ids(findings_of(ENC001, app_of(_admin_call(url)))) == {nid("call")}
