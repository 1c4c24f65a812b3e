"""INJ002 look-alikes on Node-RED, distilled from real flows in our own words: a database node
nothing sends to, a file name every path of a function builds from fixed button values, an
admin's SQL script file the app never writes. Each is quiet, and each has a near twin that
still fires: the analysis stays closed where it cannot see what feeds a node."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.nodered_function import follow_function
from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import (
    TAB,
    app_of,
    change,
    config,
    exec_node,
    file_in,
    file_out,
    function,
    http_in,
    inject,
    nid,
    node,
    tab,
)

SUBFLOW = nid("subflow:Archive")


# -- a database node nothing sends to never runs ----------------------------------------------
def _postgres(key: str = "pg", *, z: str = TAB) -> dict[str, Any]:
    """node-red-contrib-postgres: runs the SQL text the message brings in msg.payload."""
    return node(key, "postgres", z=z, postgresdb=nid("db"), output=True, wires=[[]])


DB = config("db", "postgresdb", hostname="db.plant.internal", db="telemetry")


def test_a_database_node_nothing_is_wired_to_is_quiet() -> None:
    assert findings_of(INJ002, app_of([tab(), DB, _postgres()])) == []


@pytest.mark.parametrize("feed", [
    [node("oops", "catch", scope=None, uncaught=False, wires=[["pg"]])],  # errors of the tab
    [node("watch", "status", scope=None, wires=[["pg"]])],
    [node("lin", "link in", links=[], wires=[["pg"]])],  # another tab links here, maybe
], ids=["catch", "status", "link in"])
def test_a_database_node_fed_by_a_catch_status_or_link_is_still_asked_about(
        feed: list[dict[str, Any]]) -> None:
    """Those feeds are wires: what they pass on is input this app does not show."""
    assert ids(findings_of(INJ002, app_of([tab(), DB, *feed, _postgres()]))) == {nid("pg")}


def test_a_database_node_fed_by_a_subflow_input_is_still_asked_about() -> None:
    subflow = {"id": SUBFLOW, "type": "subflow", "name": "Archive", "info": "", "env": [],
               "in": [{"x": 60, "y": 80, "wires": [{"id": nid("pg")}]}], "out": []}
    instance = node("archive", f"subflow:{SUBFLOW}", env=[], wires=[])
    flows = [tab(), subflow, DB, _postgres(z=SUBFLOW), instance]
    assert ids(findings_of(INJ002, app_of(flows))) == {nid("pg")}


# -- a file name every path of a function builds from fixed values ----------------------------
PROFILE = """if (global.get("saving")) {
    global.set("saving", false);
    msg.filename = `profiles/p${msg.payload}.json`;
    msg.payload = global.get("settings");
    return msg;
}
msg.filename = `profiles/p${msg.payload}.json`;
return msg;"""
# the same, but the settings are put in msg.payload before the name is built from it
PROFILE_FROM_SETTINGS = """msg.payload = global.get("settings");
msg.filename = `profiles/${msg.payload.name}.json`;
return msg;"""


def _profile_flows(code: str) -> list[dict[str, Any]]:
    """Dashboard buttons with fixed numbers pick a profile; a function names its file."""
    buttons = [node(f"p{n}", "ui_button", group=nid("grp"), payload=str(n), payloadType="num",
                    topic="topic", topicType="msg", wires=[["name"]]) for n in (1, 2, 3)]
    return [tab(), config("grp", "ui_group", name="Profiles"), *buttons,
            function("name", code, to=["load"]),
            node("load", "file in", filename="filename", filenameType="msg", format="utf8",
                 wires=[[]])]


def test_a_file_name_built_from_fixed_button_values_on_every_path_is_quiet() -> None:
    """The settings written into msg.payload after the name is built (and returned with),
    are not what the name is built from."""
    assert findings_of(INJ002, app_of(_profile_flows(PROFILE))) == []


def test_a_file_name_built_from_stored_settings_still_fires() -> None:
    assert ids(findings_of(INJ002, app_of(_profile_flows(PROFILE_FROM_SETTINGS)))) == {
        nid("load")}


@pytest.mark.parametrize(("code", "from_store"), [
    # set after the read: not what the read saw
    ('msg.topic = "p" + msg.payload;\nmsg.payload = global.get("s");\nreturn msg;', False),
    # set in a block that returns first: the code after it runs without it
    ('if (msg.x) { msg.payload = global.get("s"); return msg; }\n'
     'msg.topic = "p" + msg.payload;\nreturn msg;', False),
    # set in a block that goes on: may be what the read sees
    ('if (msg.x) { msg.payload = global.get("s"); }\nmsg.topic = "p" + msg.payload;\n'
     "return msg;", True),
    # a loop runs the read again after the write
    ('for (const k of msg.keys) { msg.topic = "p" + msg.payload; '
     'msg.payload = global.get("s"); }\nreturn msg;', True),
    # a break may leave the block without returning
    ('for (const k of msg.keys) { if (k) { msg.payload = global.get("s"); break; return msg; } }'
     '\nmsg.topic = "p" + msg.payload;\nreturn msg;', True),
    # a finally runs after the try block's return
    ('try { msg.payload = global.get("s"); return msg; } finally { msg.topic = "p" + '
     "msg.payload; }", True),
])
def test_a_property_read_sees_only_writes_that_can_come_before_it(code: str,
                                                                  from_store: bool) -> None:
    followed = follow_function(code)
    assert followed is not None
    topic = {r.kind for w in followed.writes if w.field == "topic" for r in w.value}
    assert ("store" in topic) is from_store


# -- an admin's SQL script file the app never writes ------------------------------------------
SCRIPT = "/opt/heating/queries/daily-report.sql"
MYSQL = config("db", "MySQLdatabase", name="heating", host="127.0.0.1", db="heating")


def _script_flows(path: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    """A button reads a query file and runs its text on the database."""
    return [tab(), MYSQL, inject("run", to=["read"]), file_in("read", path, to=["as-query"]),
            function("as-query", "msg.topic = msg.payload;\nreturn msg;", to=["sql"]),
            node("sql", "mysql", mydb=nid("db"), wires=[[]]), *extra]


def test_a_sql_script_file_nothing_in_the_app_writes_is_quiet() -> None:
    app = app_of(_script_flows(SCRIPT))
    assert findings_of(INJ002, app) == [] and findings_of(INJ001, app) == []


@pytest.mark.parametrize(("path", "extra"), [
    ("/data/incoming/daily-report.csv", ()),  # a data file: someone else may drop it there
    (SCRIPT, (http_in("upload", "/api/query", to=["save"]), file_out("save", SCRIPT))),
    (SCRIPT, (http_in("upload", "/api/file", to=["save"]),
              node("save", "file", filename="filename", filenameType="msg", wires=[[]]))),
], ids=["data file", "the app writes the script", "the app writes files named at run time"])
def test_a_query_file_that_is_no_script_or_that_the_app_can_write_still_fires(
        path: str, extra: tuple[dict[str, Any], ...]) -> None:
    app = app_of(_script_flows(path, *extra))
    assert nid("sql") in ids(findings_of(INJ002, app)) | ids(findings_of(INJ001, app))


# -- INJ001: a GET route's query object appended or rendered whole ----------------------------
def _clean_up(method: str, *between: dict[str, Any], addpay: str = "payload",
              first: str = "run") -> list[dict[str, Any]]:
    """A route runs a fixed clean-up command with the message's payload appended (Node-RED's
    old ``addpay: true`` meant msg.payload)."""
    return [tab(), http_in("in", "/api/cleanup", method=method, to=[first]), *between,
            exec_node("run", "rm -rf /var/lib/cameras/captures/*", addpay)]


def test_a_get_query_object_appended_whole_to_a_command_is_quiet() -> None:
    """A GET route's msg.payload is the parsed query, an object: appended with string
    concatenation it is '[object Object]', none of what the caller wrote."""
    for flows in (_clean_up("get"), _clean_up("get", node("fwd", "link out", links=[nid("lin")]),
                                              node("lin", "link in", wires=[["run"]]),
                                              first="fwd")):
        assert findings_of(INJ001, app_of(flows)) == []


@pytest.mark.parametrize("flows", [
    _clean_up("post"),  # a POST body may be plain text
    _clean_up("get", addpay="payload.dir"),  # a key of the query is the caller's text
    _clean_up("get", change("pick", to=["run"], rules=[
        {"t": "set", "p": "payload", "pt": "msg", "to": "payload.dir", "tot": "msg"}]),
        first="pick"),
    _clean_up("get", node("text", "json", wires=[["run"]]), first="text"),  # JSON text of it
    _clean_up("get", node("odd", "string-tools", wires=[["run"]]), first="odd"),  # unknown
    _clean_up("get", function("fn", "msg.payload = msg.payload.dir;\nreturn msg;", to=["run"]),
              first="fn"),
], ids=["post body", "a key appended", "a key copied", "json text", "unknown node",
        "function"])
def test_the_query_made_text_or_a_post_body_appended_still_fires(
        flows: list[dict[str, Any]]) -> None:
    assert ids(findings_of(INJ001, app_of(flows))) == {nid("run")}


@pytest.mark.parametrize(("mustache", "fires"), [("{{{payload}}}", False),
                                                 ("{{{payload.name}}}", True)])
def test_a_template_rendering_the_query_object_whole_is_quiet(mustache: str,
                                                              fires: bool) -> None:
    flows = [tab(), http_in("in", "/status", method="get", to=["page"]),
             node("page", "template", field="payload", fieldType="msg", syntax="mustache",
                  template=f"<p>{mustache}</p>", wires=[[]])]
    assert bool(findings_of(INJ001, app_of(flows))) is fires
