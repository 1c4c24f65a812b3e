"""Node-RED INJ001/INJ002: values whose origin a reviewer can name are not "unknown".

Each shape is distilled from a real flow, in our own words, and tested both ways: quiet where
the value's real origin makes it no SQL, command or path of anyone's (a timestamp column the
database typed, a thermometer's reading, parameters bound to placeholders, a switch that only
lets one fixed topic through), firing on the look-alike that does paste data in."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    function,
    inject,
    nid,
    node,
    tab,
)


def _postgres(key: str, query: str, *, to: list[str] | None = None) -> dict[str, Any]:
    return node(key, "postgresql", query=query, postgreSQLConfig=nid("db"), split=False,
                rowsPerMsg=1, outputs=1, wires=[to or []])


# -- a timestamp column read back from the database ------------------------------------------
def _cleanup(column: str) -> list[dict[str, Any]]:
    """A nightly purge: read the oldest reading, delete everything up to its time."""
    build = ("const oldest = msg.first;\n"
             "msg.payload = \"DELETE FROM readings WHERE taken <= '\" + oldest." + column +
             " + \"';\";\nreturn msg;")
    return [tab(), config("db", "postgreSQLConfig", name="Plant"),
            inject("tick", to=["first"]),
            _postgres("first", "SELECT * FROM readings ORDER BY taken LIMIT 1", to=["keep"]),
            change("keep", to=["build"], rules=[{"t": "set", "p": "first", "pt": "msg",
                                                 "to": "payload[0]", "tot": "msg"}]),
            function("build", build, to=["purge"]),
            _postgres("purge", "{{{msg.payload}}}")]


@pytest.mark.parametrize("column", ["date_time_stamp", "created_at", "timestamp", "updatedAt"])
def test_a_timestamp_column_the_database_typed_is_no_sql_text(column: str) -> None:
    assert findings_of(INJ002, app_of(_cleanup(column))) == []


@pytest.mark.parametrize("column", ["label", "stamp_note", "created_by"])
def test_a_text_column_read_back_still_fires(column: str) -> None:
    f = one(findings_of(INJ002, app_of(_cleanup(column))))
    assert f.resource.id == nid("purge") and f.evidence["origin"] == "store"


# -- a thermometer on the host's 1-Wire bus ---------------------------------------------------
LOG_READINGS = ('var q = "INSERT INTO temps (sensor, value) VALUES ";\n'
                "for (var i = 0; i < msg.payload.length; i++) {\n"
                "    q += \"('\" + msg.payload[i].id + \"', \" + msg.payload[i].value + \")\";\n"
                "}\nmsg.topic = q;\nreturn msg;")


def _thermometer(sensor: str) -> list[dict[str, Any]]:
    return [tab(), config("db", "MySQLdatabase", name="heating"),
            inject("every minute", to=["probe"]),
            node("probe", sensor, sensorid="", readType="read-all", wires=[["build"]]),
            function("build", LOG_READINGS, to=["store"]),
            node("store", "mysql", mydb=nid("db"), wires=[[]])]


@pytest.mark.parametrize("sensor", ["ds18b20", "rpi-dht22"])
def test_a_reading_of_hardware_on_this_host_is_no_data_of_unknown_origin(sensor: str) -> None:
    app = app_of(_thermometer(sensor))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_the_output_of_a_node_we_do_not_know_stays_unknown() -> None:
    f = one(findings_of(INJ002, app_of(_thermometer("acme-gateway"))))
    assert f.resource.id == nid("store") and f.evidence["origin"] == "unknown"


# -- a statement with named placeholders and its parameters ----------------------------------
def _insert(statement: str) -> list[dict[str, Any]]:
    """Rows of a fetched CSV inserted one by one (node-red-contrib-postgres-multi takes
    msg.payload as a list of {query, params})."""
    build = ("msg.payload = [{\n    query: " + statement + ",\n"
             "    params: { name: msg.payload.Name, lon: msg.payload.lon },\n"
             "    output: true,\n}];\nreturn msg;")
    return [tab(), config("pg", "postgresdb", name="gis"),
            inject("daily", to=["fetch"]),
            node("fetch", "http request", method="GET", ret="txt",
                 url="https://example.org/contributors.csv", wires=[["build"]]),
            function("build", build, to=["insert"]),
            node("insert", "postgres", postgresdb=nid("pg"), output=True, outputs=1,
                 wires=[[]])]


@pytest.mark.parametrize("statement", [
    "'INSERT INTO people (name, geom) ' + 'VALUES ($name, ST_MakePoint($lon, 0))'",
    "'INSERT INTO people (name, lon) VALUES ($1, $2)'",
])
def test_parameters_bound_to_placeholders_are_no_sql_text(statement: str) -> None:
    assert findings_of(INJ002, app_of(_insert(statement))) == []


@pytest.mark.parametrize("statement", [
    "\"INSERT INTO people (name) VALUES ('\" + msg.payload.Name + \"')\"",  # pasted in
    "'INSERT INTO people (name) VALUES (name)'",  # no placeholder: the params bind nothing
])
def test_a_statement_that_pastes_the_values_or_has_no_placeholders_fires(statement: str
                                                                          ) -> None:
    f = one(findings_of(INJ002, app_of(_insert(statement))))
    assert f.resource.id == nid("insert") and f.evidence["origin"] == "unknown"


# -- a switch that lets only one fixed topic through -----------------------------------------
def _login(rules: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A login form over a websocket: the switch keeps topic 'login'; the function sets the
    SQL in msg.topic only on the good path (inside try), so on the others msg.topic is what
    left the switch."""
    build = ("try {\n  const user = String(msg.payload.username || '');\n"
             "  if (!user) { msg.payload = {ok: false}; return msg; }\n"
             "  const safe = user.replace(/'/g, \"''\");\n"
             "  msg.topic = \"SELECT id FROM users WHERE username = '\" + safe + \"'\";\n"
             "  return msg;\n} catch (e) { return null; }")
    return [tab(), config("ws", "websocket-listener", path="/login", wholemsg="true"),
            node("in", "websocket in", server=nid("ws"), client="", wires=[["only"]]),
            node("only", "switch", property="topic", propertyType="msg", rules=rules,
                 checkall="true", repair=False, outputs=len(rules), wires=[["build"]]),
            function("build", build, to=["lookup"]),
            node("lookup", "sqlite", mydb=nid("users"), sqlquery="msg.topic", sql="",
                 wires=[[]])]


@pytest.mark.parametrize("rules", [
    [{"t": "eq", "v": "login", "vt": "str"}],
    [{"t": "eq", "v": "login", "vt": "str"}, {"t": "eq", "v": "3", "vt": "num"}],
])
def test_a_topic_only_a_fixed_value_passes_is_no_callers_sql(rules: list[dict[str, str]]
                                                              ) -> None:
    assert findings_of(INJ001, app_of(_login(rules))) == []


@pytest.mark.parametrize("rules", [
    [{"t": "cont", "v": "login", "vt": "str"}],  # "login; DROP TABLE users" contains it
    [{"t": "eq", "v": "login", "vt": "str"}, {"t": "else"}],  # anything else passes too
    [{"t": "eq", "v": "expected", "vt": "msg"}],  # equal to another of the caller's fields
])
def test_a_switch_that_lets_other_topics_through_fires(rules: list[dict[str, str]]) -> None:
    f = one(findings_of(INJ001, app_of(_login(rules))))
    assert f.resource.id == nid("lookup")


# -- where in a file path a value sits --------------------------------------------------------
def _alarm_file(path_code: str, *, node_type: str = "file",
                create_dir: bool = False) -> list[dict[str, Any]]:
    """Alarms from a queue saved one file each, named after the device that raised them."""
    build = ("const device = msg.payload.device || 'unknown';\n"
             "const stamp = new Date().toISOString().replace(/[:.]/g, '-');\n"
             f"msg.filename = {path_code};\nreturn msg;")
    extra = {"createDir": create_dir, "overwriteFile": "true", "appendNewline": True} \
        if node_type == "file" else {"format": "utf8"}
    return [tab(), node("queue", "amqp-in", wires=[["name"]]),
            function("name", build, to=["save"]),
            node("save", node_type, filename="filename", filenameType="msg", encoding="utf8",
                 wires=[[]], **extra)]


@pytest.mark.parametrize("path_code", [
    "`/data/alarm_${device.replace(/\\s+/g, '_')}_${stamp}.json`",
    "'/var/lib/alarms/' + 'alarm_' + device + '.json'",
])
@pytest.mark.parametrize("node_type", ["file", "file in"])
def test_a_value_after_fixed_text_in_the_file_name_is_no_traversal(path_code: str,
                                                                   node_type: str) -> None:
    assert findings_of(INJ002, app_of(_alarm_file(path_code, node_type=node_type))) == []


@pytest.mark.parametrize(("path_code", "create_dir"), [
    ("`/data/${device}.json`", False),  # starts a part of the path: '../etc/x' climbs
    ("'C:/alarms/alarm_' + device + '.json'", False),  # Windows drops '..' without the disk
    ("'alarms/alarm_' + device", False),  # relative: path.resolve drops '..' too
    ("`/data/alarm_${device}.json`", True),  # the node makes 'alarm_x/' first, then climbs
])
def test_a_value_that_can_reach_another_directory_fires(path_code: str,
                                                        create_dir: bool) -> None:
    f = one(findings_of(INJ002, app_of(_alarm_file(path_code, create_dir=create_dir))))
    assert f.resource.id == nid("save") and f.evidence["origin"] == "unknown"
    assert ("creates its directory" in f.message) is create_dir
    assert ("not_counted" in f.evidence) is not create_dir  # says what it left out


# -- a request to a fixed host whose query string a caller's settings fill ------------------
def _alerts(url_code: str) -> list[dict[str, Any]]:
    """A settings page stores the states to watch; a poll builds the alerts URL from them."""
    build = ("const cfg = global.get('alert_cfg') || {};\nconst params = ['status=actual'];\n"
             "if (cfg.states) { params.push('area=' + cfg.states.join(',')); }\n"
             f"msg.url = {url_code};\nreturn msg;")
    return [tab(), node("save", "http in", url="/alerts/config", method="post",
                        upload=False, swaggerDoc="", wires=[["keep"]]),
            change("keep", rules=[{"t": "set", "p": "alert_cfg", "pt": "global",
                                   "to": "payload", "tot": "msg"}]),
            inject("poll", to=["build"]), function("build", build, to=["get"]),
            node("get", "http request", method="GET", ret="obj", paytoqs="ignore", url="",
                 tls="", persist=False, proxy="", authType="", headers=[], wires=[[]])]


def test_query_parameters_of_a_fixed_host_and_path_pick_no_server() -> None:
    app = app_of(_alerts("'https://api.weather.example/alerts/active?' + params.join('&')"))
    assert findings_of(INJ001, app) == []


@pytest.mark.parametrize("url_code", [
    "'https://' + cfg.host + '/alerts?' + params.join('&')",  # the caller picks the host
    "cfg.base + '?' + params.join('&')",  # or the whole start of the URL
])
def test_a_caller_who_picks_the_host_makes_the_server_fetch_it(url_code: str) -> None:
    f = one(findings_of(INJ001, app_of(_alerts(url_code))))
    assert f.resource.id == nid("get") and f.evidence["sink"] == "fetch"


def test_a_value_placed_once_and_moved_by_later_code_is_placed_anew() -> None:
    """The first function puts the device after fixed text; the next cuts it out again and
    starts a path with it: where the first put it says nothing of where it ends up."""
    flows = _alarm_file("'/data/alarm_' + device")
    flows[-2]["wires"] = [[nid("move")]]
    flows.insert(-1, function("move", "msg.filename = '/srv/' + msg.filename.slice(12);\n"
                                      "return msg;", to=["save"]))
    f = one(findings_of(INJ002, app_of(flows)))
    assert f.resource.id == nid("save")
    assert f.evidence["route"][-3:] == [nid("name"), nid("move"), nid("save")]


def test_values_beside_a_text_that_is_no_statement_keep_their_origin() -> None:
    """A text with a "$name" and a "?" beside values is no statement a driver binds them to
    (chat and chart messages look so too): only SQL binds."""
    flows = _insert("'Who is $name?'")
    flows[-1] = node("insert", "exec", command="/usr/local/bin/notify", addpay="payload",
                     append="", useSpawn="false", timer="", wires=[[], [], []])
    f = one(findings_of(INJ002, app_of(flows)))
    assert f.resource.id == nid("insert") and f.evidence["origin"] == "unknown"


def test_a_placed_value_a_template_puts_into_a_new_path_is_placed_anew() -> None:
    flows = _alarm_file("'/data/alarm_' + device")
    flows[-2]["func"] = flows[-2]["func"].replace("msg.filename =", "msg.name =")
    flows[-2]["wires"] = [[nid("path")]]
    flows.insert(-1, node("path", "template", field="filename", fieldType="msg",
                          syntax="mustache", template="{{{name}}}/../{{{name}}}",
                          output="str", wires=[["save"]]))
    saved = [f for f in findings_of(INJ002, app_of(flows)) if f.resource.id == nid("save")]
    assert one(saved).evidence["origin"] == "unknown"


def test_the_same_read_asked_with_and_without_harmless_places_gets_each_answer() -> None:
    """The engine keeps each answer of ``origins`` by what is read *and* the placements the
    sink calls harmless: the device name after fixed text is left out only for the sink that
    says so, whichever is asked first."""
    flow = dataflow(app_of(_alarm_file("`/data/alarm_${device}_${stamp}.json`")))
    sink = next(sf.sink for sf in flow.sinks_of(nid("save")) if sf.sink.harmless_within)
    kinds = [{o.kind for o in flow.origins(nid("save"), sink.reads, harmless)}
             for harmless in (frozenset(), sink.harmless_within, frozenset())]
    assert kinds == [{"unknown", "platform", "constant"}, {"platform", "constant"},
                     {"unknown", "platform", "constant"}]
