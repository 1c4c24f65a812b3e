"""Node-RED function nodes in the data-flow engine: what the code builds each property from.

Each pattern is distilled from real flows (SQL synchronised from two database reads, commands
built from the environment and the clock, values picked from a map the code fills itself, a
paging counter kept in global context, the output of a fixed local command), written in our own
words, and tested both ways: quiet on the shape that only uses known values, firing when
message data is joined into the SQL or command."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from pytest_nocode.platforms.nodered_function import follow_function
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    exec_node,
    function,
    http_in,
    http_request,
    inject,
    nid,
    node,
    tab,
)


def _postgres(key: str, query: str, *, db: str, to: list[str] | None = None) -> dict[str, Any]:
    return node(key, "postgresql", query=query, postgreSQLConfig=nid(db), split=False,
                rowsPerMsg=1, outputs=1, wires=[to or []])


# -- second-order SQL: rows the flow read itself, triggered by a request -----------------------
def _sync_flows(build: str) -> list[dict[str, Any]]:
    """A request only triggers a sync: read the remote rows, keep them in msg.remote, build
    the statements in a function, run them on the local database."""
    return [tab(), config("remote", "postgreSQLConfig", name="Central"),
            config("local", "postgreSQLConfig", name="Edge"),
            http_in("in", "/api/sync", to=["read"]),
            _postgres("read", "SELECT * FROM sites ORDER BY id LIMIT 100", db="remote",
                      to=["keep"]),
            change("keep", to=["build"], rules=[{"t": "set", "p": "remote", "pt": "msg",
                                                 "to": "payload", "tot": "msg"}]),
            function("build", build, to=["run"]),
            _postgres("run", "{{{msg.payload}}}", db="local")]


SYNC = ('msg.payload = "";\nfor (const site of msg.remote) {\n'
        '    msg.payload += "UPDATE sites SET label = \'" + site.label + "\' WHERE id = " '
        '+ site.id + ";";\n}\nreturn msg;')


def test_sql_built_from_rows_the_flow_read_is_no_request_data() -> None:
    app = app_of(_sync_flows(SYNC))
    assert findings_of(INJ001, app) == []
    f = one(findings_of(INJ002, app))
    assert f.resource.id == nid("run")
    assert f.evidence["origin"] == "store" and "Central" in f.evidence["origin_detail"]


@pytest.mark.parametrize("extra", [
    'msg.payload += " -- by " + msg.req.query.user;',  # the caller's query string
    "msg.payload += msg.req.body.note;",  # the posted body, which msg.req still carries
])
def test_sql_built_from_rows_and_request_data_fires(extra: str) -> None:
    build = SYNC.replace("return msg;", f"{extra}\nreturn msg;")
    f = one(findings_of(INJ001, app_of(_sync_flows(build))))
    assert f.resource.id == nid("run")


# -- statements built value by value: quotes doubled, row keys -----------------------------
ESCAPED_SYNC = ('msg.payload = "";\nfor (const site of msg.remote) {\n'
                '    const label = site.label.replace(/\'/g, "\'\'");\n'
                '    msg.payload += "UPDATE sites SET label = \'" + label + "\', region_id = " '
                '+ site.region_id + " WHERE id = " + site.id + ";";\n}\nreturn msg;')


@pytest.mark.parametrize("build", [
    ESCAPED_SYNC,
    # a helper whose every return doubles the quotes, in a template literal
    "function q(v) { return String(v).replaceAll(\"'\", \"''\"); }\n"
    "msg.payload = msg.remote.map(s => `UPDATE sites SET label = '${q(s.label)}' "
    "WHERE id = ${s.id};`).join('');\nreturn msg;",
    # only the rows' keys
    'msg.payload = "";\nfor (const site of msg.remote) {\n'
    '    msg.payload += "DELETE FROM sites WHERE id = " + site.id + ";";\n}\nreturn msg;',
])
def test_rows_escaped_value_by_value_and_their_keys_make_no_sql_text(build: str) -> None:
    app = app_of(_sync_flows(build))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("build", [
    ESCAPED_SYNC.replace('"\'\'"', '"\\\'"'),  # "\'" is a lone quote in JavaScript: no escape
    ESCAPED_SYNC.replace("label = '\" + label + \"',", "label = \" + label + \","),  # unquoted
    ESCAPED_SYNC.replace("+ site.region_id +", "+ site.region +"),  # a text column, raw
    # a helper that returns the raw value on one path
    "function q(v) { if (!v) { return v; } return v.replace(/'/g, \"''\"); }\n"
    "msg.payload = \"UPDATE sites SET label = '\" + q(msg.remote[0].label) + \"'\";\n"
    "return msg;",
], ids=["lone-quote", "unquoted", "raw-text-column", "helper-raw-path"])
def test_rows_not_escaped_where_they_sit_still_fire(build: str) -> None:
    f = one(findings_of(INJ002, app_of(_sync_flows(build))))
    assert f.resource.id == nid("run")


def test_a_key_of_request_data_is_still_the_request() -> None:
    build = ('msg.payload = "DELETE FROM sites WHERE id = " + msg.payload.site_id;\n'
             "return msg;")
    flows = [tab(), config("local", "postgreSQLConfig", name="Edge"),
             http_in("in", "/api/sites/delete", to=["build"]), function("build", build,
                                                                         to=["run"]),
             _postgres("run", "{{{msg.payload}}}", db="local")]
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("run")


@pytest.mark.parametrize(("first", "fires"), [
    ('msg.payload = "";', False),  # what came in is gone before it is read
    ("", True),
    ('if (msg.reset) { msg.payload = ""; }', True),  # only sometimes
])
def test_a_property_set_anew_first_no_longer_holds_what_came_in(first: str,
                                                                fires: bool) -> None:
    build = (f"{first}\nmsg.payload = msg.payload + \"SELECT count(*) FROM sites;\";\n"
             "return msg;")
    flows = [tab(), config("local", "postgreSQLConfig", name="Edge"),
             http_in("in", "/api/count", to=["build"]), function("build", build, to=["run"]),
             _postgres("run", "{{{msg.payload}}}", db="local")]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


# -- commands and values built only from known things ---------------------------------------
@pytest.mark.parametrize("code", [
    'msg.payload = env.get("BACKUP_DIR");',
    'msg.payload = "--since " + Date.now();',
    "msg.payload = `--day ${new Date().toISOString().slice(0, 10)}`;",
    'const ACTIONS = {start: "start nginx", stop: "stop nginx"};\n'
    "msg.payload = ACTIONS[msg.payload.action];",
    "msg.payload = Number(msg.payload.count) * 2;",
    "let unit;\nif (msg.payload.kind === 'db') { unit = 'postgres'; } else { unit = 'nginx'; }\n"
    "msg.payload = `restart ${unit}`;",
    'function arg(name) { return "--" + name; }\nmsg.payload = arg("verbose");',
])
def test_exec_appending_a_value_built_from_known_things_is_quiet(code: str) -> None:
    """The payload came from a service (unknown), the function replaced it."""
    flows = [tab(), inject("tick", to=["fetch"]),
             http_request("fetch", "https://status.example.org/api", to=["build"]),
             function("build", f"{code}\nreturn msg;", to=["run"]),
             exec_node("run", "/usr/local/bin/maint", "payload")]
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("code", [
    'msg.payload = "--name " + msg.payload.name;',
    "msg.payload = `--day ${msg.payload.day}`;",
    "const parts = [];\nmsg.payload.items.forEach(item => parts.push(item.path));\n"
    "msg.payload = parts.join(' ');",
    "function arg(v) { return '--' + v; }\nmsg.payload = arg(msg.payload.flag);",
    'if (msg.payload.raw) { return msg; }\nmsg.payload = "uptime";',  # may leave unchanged
    "return {payload: msg.payload.cmd};",
])
def test_exec_appending_message_data_built_in_a_function_fires(code: str) -> None:
    flows = [tab(), http_in("in", "/api/maint", to=["build"]),
             function("build", f"{code}\nreturn msg;", to=["run"]),
             exec_node("run", "/usr/local/bin/maint", "payload")]
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("run")


@pytest.mark.parametrize("code", [
    "var m = msg;\nm.payload = m.req.query.cmd;\nreturn m;",  # an alias of the message
    "msg.payload = ((( not javascript",  # code we cannot parse
])
def test_code_that_cannot_be_followed_lets_every_input_through(code: str) -> None:
    flows = [tab(), http_in("in", "/api/maint", to=["build"]),
             function("build", code, to=["run"]),
             exec_node("run", "/usr/local/bin/maint", "payload")]
    assert follow_function(code) is None
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("run")


def test_a_new_message_keeps_its_own_properties_apart() -> None:
    """A fixed query in topic beside request data in payload: the query is not the data."""
    code = 'return {topic: "SELECT * FROM readings WHERE room = ?", payload: [msg.payload.room]};'
    flows = [tab(), config("db", "MySQLdatabase", name="home", db="home", host="db"),
             http_in("in", "/api/readings", to=["build"]), function("build", code, to=["sql"]),
             node("sql", "mysql", mydb=nid("db"), wires=[[]])]
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []
    flows[3] = function("build", "return {topic: 'SELECT * FROM readings WHERE room = ' + "
                        "msg.payload.room};", to=["sql"])
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("sql")


# -- context keys the app keeps itself ---------------------------------------------------------
def _paged_flows(keep: str) -> list[dict[str, Any]]:
    """A paging counter in global context, put into the next page's query."""
    return [tab(), config("db", "postgreSQLConfig", name="Edge"),
            inject("tick", to=["offset"]),
            function("offset", 'msg.offset = global.get("page_offset") || 0;\nreturn msg;',
                     to=["page"]),
            _postgres("page", "SELECT * FROM events WHERE id >= {{msg.offset}} LIMIT 100",
                      db="db", to=["next"]),
            function("next", f"{keep}\nreturn msg;")]


def test_a_counter_the_app_keeps_itself_is_no_store_of_unknown_content() -> None:
    app = app_of(_paged_flows('global.set("page_offset", msg.offset + 100);'))
    assert findings_of(INJ002, app) == []
    origins = dataflow(app).sinks_of(nid("page"))[0].origins
    assert {o.kind for o in origins} <= {"constant", "platform", "env"}


@pytest.mark.parametrize("keep", [
    'global.set("page_offset", msg.payload[0].cursor);',  # a value read from the rows
    "",  # a key nobody in the app sets: its content is unknown
])
def test_a_key_holding_data_of_unknown_origin_is_reported(keep: str) -> None:
    f = one(findings_of(INJ002, app_of(_paged_flows(keep))))
    assert f.resource.id == nid("page")


def test_a_key_set_by_a_change_node_from_the_request_is_untrusted() -> None:
    flows = [tab(), http_in("in", "/api/table", to=["pick"]),
             change("pick", rules=[{"t": "set", "p": "table", "pt": "flow", "to": "req.query.t",
                                    "tot": "msg"}]),
             inject("tick", to=["build"]),
             function("build", 'msg.topic = "SELECT * FROM " + flow.get("table");\nreturn msg;',
                      to=["sql"]),
             node("sql", "mysql", mydb="", wires=[[]])]
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("sql")
    flows[2]["rules"][0].update(to="readings", tot="str")
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


# -- the output of a fixed local command -------------------------------------------------------
@pytest.mark.parametrize(("addpay", "fires"), [("", False), ("payload", True)])
def test_output_of_a_fixed_command_is_the_hosts_own_reading(addpay: str, fires: bool) -> None:
    flows = [tab(), config("db", "postgreSQLConfig", name="Edge"),
             inject("tick", to=["read"], payload="--all"),
             exec_node("read", "cat /sys/class/thermal/thermal_zone0/temp", addpay,
                       to=["store"]),
             _postgres("store", "INSERT INTO temps VALUES ({{msg.payload}})", db="db")]
    assert bool(findings_of(INJ002, app_of(flows))) is fires


# -- the fixpoint over locals: a value reaching a property a few locals later ------------------
@pytest.mark.parametrize("code", [
    # each local set from one declared after it: one more round per link of the chain
    'var c = b + "";\nvar b = a;\nvar a = SOURCE;\nmsg.cmd = "ls " + c;\nreturn msg;',
    # a helper's parameter bound by a call before the value it is passed is known
    'function wrap(v) { return "ls " + v; }\nvar cmd = wrap(arg);\nvar arg = pick;\n'
    'var pick = SOURCE;\nmsg.cmd = cmd;\nreturn msg;',
    # a helper called twice: its second call's value is in its parameter only after the
    # first call's return was evaluated
    'function wrap(v) { return "ls " + v; }\nvar a = wrap("/tmp");\nvar b = wrap(SOURCE);\n'
    'msg.cmd = b;\nreturn msg;',
])
def test_a_value_passed_along_locals_declared_later_reaches_the_property(code: str) -> None:
    """The rounds stop only once every local a round read held its final value when read:
    message data at the end of the chain is in the property, a setting of the environment
    there is only that."""
    followed = follow_function(code.replace("SOURCE", "msg.payload"))
    assert followed is not None
    assert {(r.kind, r.name) for w in followed.writes for r in w.value} == {
        ("field", "payload"), ("constant", "*")}
    followed = follow_function(code.replace("SOURCE", 'env.get("DIR")'))
    assert followed is not None
    assert {(r.kind, r.name) for w in followed.writes for r in w.value} == {
        ("env", "DIR"), ("constant", "*")}


# -- a value checked against a list before use ------------------------------------------------
GUARDED = ("const unit = msg.payload.unit;\n"
           "const units = {units};\n"
           "if (!units.includes(unit)) {{\n    node.warn('unknown unit');\n    {stop}\n}}\n"
           "msg.payload = `restart ${{unit}}`;\nreturn msg;")


@pytest.mark.parametrize("units", ["['nginx', 'redis']", "flow.get('units') || []"])
@pytest.mark.parametrize("stop", ["return null;", "return;", "return [null, null];"])
def test_a_local_checked_against_a_list_holds_one_of_its_members(units: str, stop: str
                                                                   ) -> None:
    """``if (!list.includes(unit)) return null;``: past it, ``unit`` is one of the list's
    members (fixed names, or what the app keeps under that key), not the caller's text."""
    code = GUARDED.format(units=units, stop=stop)
    flows = [tab(), http_in("in", "/api/restart", to=["build"]),
             function("build", code, to=["run"]), exec_node("run", "systemctl", "payload")]
    assert findings_of(INJ001, app_of(flows)) == []


@pytest.mark.parametrize("code", [
    # the failing check sends the message on: that output still holds the caller's text
    GUARDED.format(units="['nginx']", stop="return [null, msg];"),
    # the check does not stop the code
    GUARDED.format(units="['nginx']", stop="node.warn('go on');"),
    # set again after the check
    GUARDED.format(units="['nginx']", stop="return null;").replace(
        "const unit", "let unit").replace("msg.payload = `", "unit = msg.payload.alt;\n"
                                          "msg.payload = `"),
    # used before the check
    GUARDED.format(units="['nginx']", stop="return null;").replace(
        "const units", "msg.payload = unit;\nconst units").replace(
        "msg.payload = `restart ${unit}`;", ""),
    # a check of another value
    GUARDED.format(units="['nginx']", stop="return null;").replace(
        "includes(unit)", "includes(msg.topic)"),
])
def test_a_check_that_does_not_stop_the_caller_s_text_still_fires(code: str) -> None:
    flows = [tab(), http_in("in", "/api/restart", to=["build"]),
             function("build", code, to=["run"]), exec_node("run", "systemctl", "payload")]
    assert one(findings_of(INJ001, app_of(flows))).resource.id == nid("run")


def test_a_function_copied_to_another_tab_is_followed_once_and_judged_in_each_place() -> None:
    """Real flows copy function nodes between tabs and flows: the same code is read once (the
    reading is shared, read-only), yet each copy is judged by what reaches it there: the copy
    fed by a request fires, the copy fed by a fixed inject stays quiet."""
    code = 'msg.payload = "ls " + msg.payload;\nreturn msg;'
    follow_function.cache_clear()
    other = nid("tab:Nightly")
    flows = [tab(), tab("Nightly"),
             http_in("in", "/api/ls", to=["open"]),
             function("open", code, to=["run"]),
             exec_node("run", "/bin/sh -c", "payload"),
             inject("tick", to=["quiet"], z=other),
             function("quiet", code, to=["run2"], z=other),
             exec_node("run2", "/bin/sh -c", "payload", z=other)]
    found = findings_of(INJ001, app_of(flows))
    assert [f.resource.id for f in found] == [nid("run")]
    info = follow_function.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert follow_function(code) is follow_function(code)
