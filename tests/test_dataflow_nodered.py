"""The data-flow engine on Node-RED, and the checks built on it: strong updates of message
properties, link call, subflows, cycles, SQL nodes, Flux queries, file paths, URLs set in
functions, TLS and Home Assistant certificate settings. Each pattern is distilled from real
flows, written in our own words, and tested in both directions."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow, forget_all
from pytest_nocode.findings import Severity
from pytest_nocode.policy import default_zone
from tests.checkrun import findings_of, ids, one
from tests.rules import ENC001, ENC002, EXP002, INJ001, INJ002
from tests.test_checks_nodered import (
    SUBFLOW,
    TAB,
    TAB2,
    _subflow,
    app_of,
    change,
    config,
    debug,
    exec_node,
    file_in,
    file_out,
    function,
    http_in,
    http_request,
    http_response,
    inject,
    nid,
    node,
    tab,
    template,
    tls_config,
    ws_in,
    ws_listener,
)


def _set_payload(key: str, to: str, *, target: str = "payload", next_: str) -> dict[str, Any]:
    return change(key, to=[next_], rules=[{"t": "set", "p": target, "pt": "msg", "to": to,
                                           "tot": "str"}])


def _copy(key: str, target: str, source: str, *, next_: str, z: str = TAB) -> dict[str, Any]:
    """A change node setting msg.<target> from msg.<source>: how a flow hands a request's
    field to a node that reads another property (an http in sets payload and req only)."""
    return change(key, to=[next_], z=z, rules=[{"t": "set", "p": target, "pt": "msg",
                                                "to": source, "tot": "msg"}])


# -- strong updates --------------------------------------------------------------------------
def test_change_setting_the_payload_to_a_constant_ends_the_request_taint() -> None:
    flows = [tab(), http_in("in", "/api/restart", to=["fix"]),
             _set_payload("fix", "nginx", next_="run"),
             exec_node("run", "systemctl restart", "payload")]
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []
    origins = dataflow(app).sinks_of(nid("run"))[0].origins
    assert [o.kind for o in origins] == ["constant"]


def test_change_setting_a_sub_property_keeps_the_rest_of_the_payload_tainted() -> None:
    flows = [tab(), http_in("in", "/api/restart", to=["fix"]),
             _set_payload("fix", "nginx", target="payload.unit", next_="run"),
             exec_node("run", "systemctl restart", "payload")]
    assert ids(findings_of(INJ001, app_of(flows))) == {nid("run")}


@pytest.mark.parametrize(("payload", "payload_type"), [("ls -l /srv", "str"), ("", "date")])
def test_exec_appending_an_injected_constant_is_quiet(payload: str, payload_type: str) -> None:
    tick = inject("tick", to=["run"], payload=payload)
    tick["payloadType"] = payload_type
    app = app_of([tab(), tick, exec_node("run", "/usr/bin/env", "payload")])
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_template_with_a_fixed_text_ends_the_taint_and_one_with_fields_keeps_it() -> None:
    def flows(text: str) -> list[dict[str, Any]]:
        return [tab(), http_in("in", "/api/report", to=["cmd"]),
                template("cmd", text, to=["run"]), exec_node("run", "sh -c", "payload")]

    assert findings_of(INJ001, app_of(flows("df -h /srv"))) == []
    assert ids(findings_of(INJ001, app_of(flows("du -sh {{payload.dir}}")))) == {nid("run")}


def test_legacy_addpay_true_reads_the_payload() -> None:
    run = exec_node("run", "/usr/local/bin/print-label", "")
    run["addpay"] = True
    f = one(findings_of(INJ001, app_of([tab(), http_in("in", "/api/l", to=["run"]), run])))
    assert "appends msg.payload" in f.message and "msg.True" not in f.message


# -- what a listener's message holds ----------------------------------------------------------
def _mysql(key: str = "sql") -> list[dict[str, Any]]:
    """A MySQL node with no query of its own: it runs msg.topic."""
    return [config("db", "MySQLdatabase", name="shop", db="shop", host="db"),
            node(key, "mysql", mydb=nid("db"), wires=[[]])]


@pytest.mark.parametrize(("copied_from", "fires"), [
    (None, False),  # an http in sets payload and req: msg.topic is absent, no SQL of anyone's
    ("req.query.sql", True), ("req.headers.x-report", True), ("payload.sql", True),
    ("res", False),  # the response handle Node-RED makes
])
def test_http_in_message_holds_payload_and_req_only(copied_from: str | None,
                                                    fires: bool) -> None:
    head = [http_in("in", "/api/report", to=["sql"])] if copied_from is None else [
        http_in("in", "/api/report", to=["topic"]),
        _copy("topic", "topic", copied_from, next_="sql")]
    app = app_of([tab(), *head, *_mysql()])
    assert ids(findings_of(INJ001, app)) == ({nid("sql")} if fires else set())
    assert findings_of(INJ002, app) == []  # an absent field is of no origin at all


@pytest.mark.parametrize(("read", "fires"), [("req.params.name", True), ("payload", True),
                                             ("filename", False), ("topic", False)])
def test_a_request_field_read_where_it_is_used_stays_the_callers(read: str,
                                                                 fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/file/:name", method="get", to=["read"]),
             node("read", "file in", filename=read, filenameType="msg", format="utf8",
                  wires=[["resp"]]), http_response("resp")]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


@pytest.mark.parametrize(("wholemsg", "fires"), [("false", False), ("true", True)])
def test_websocket_in_taking_whole_messages_gives_the_client_every_field(wholemsg: str,
                                                                        fires: bool) -> None:
    # set to pass whole messages, the endpoint parses the client's JSON into msg itself
    listener = {**ws_listener("wsl", "/ws/report"), "wholemsg": wholemsg}
    app = app_of([tab(), listener, ws_in("ask", "wsl", to=["sql"]), *_mysql()])
    assert ids(findings_of(INJ001, app)) == ({nid("sql")} if fires else set())


@pytest.mark.parametrize(("reader", "fires"), [("mysql", True), ("file", False)])
def test_mqtt_in_topic_is_the_publishers_other_fields_absent(reader: str, fires: bool) -> None:
    # the topic a message arrives on is the publisher's choice under a wildcard subscription;
    # msg.filename is nothing an mqtt in sets
    sink = _mysql() if reader == "mysql" else [
        node("sql", "file in", filename="filename", filenameType="msg", format="utf8",
             wires=[[]])]
    flows = [tab(), config("broker", "mqtt-broker", broker="broker.example-iot.com"),
             node("sub", "mqtt in", topic="plant/+/cmd", broker=nid("broker"), wires=[["sql"]]),
             *sink]
    app = app_of(flows)
    assert ids(findings_of(INJ001, app)) == ({nid("sql")} if fires else set())
    assert findings_of(INJ002, app) == []


@pytest.mark.parametrize("listener", ["tcp in", "udp in"])
@pytest.mark.parametrize(("copied", "fires"), [(False, False), (True, True)])
def test_socket_listeners_send_their_payload_not_a_topic(listener: str, copied: bool,
                                                         fires: bool) -> None:
    # a tcp in's msg.topic is its own setting; a udp in sets none
    first = "topic" if copied else "sql"
    head = [node("in", listener, server="server", port="4001", topic="plc", datatype="utf8",
                 wires=[[first]])]
    if copied:
        head.append(_copy("topic", "topic", "payload", next_="sql"))
    app = app_of([tab(), *head, *_mysql()])
    assert ids(findings_of(INJ001, app)) == ({nid("sql")} if fires else set())
    assert findings_of(INJ002, app) == []


def test_a_listener_the_adapter_does_not_know_field_by_field_gives_every_field() -> None:
    # uibuilder passes on what its browser client sends, whole: msg.topic included
    flows = [tab(), node("ui", "uibuilder", url="report", wires=[["sql"]]), *_mysql()]
    assert ids(findings_of(INJ001, app_of(flows))) == {nid("sql")}


# -- link call, subflows, cycles -------------------------------------------------------------
def _link_call_flows(returned_to: str) -> list[dict[str, Any]]:
    return [tab(), tab("Partner sync"),
            http_in("in", "/api/labels", to=["call"]),
            node("call", "link call", links=[nid("recv")], linkType="static", timeout="30",
                 wires=[[returned_to]]),
            node("recv", "link in", z=TAB2, links=[], wires=[["norm"]]),
            function("norm", z=TAB2, to=["back"]),
            node("back", "link out", z=TAB2, mode="return", links=[]),
            exec_node("inside", "/usr/local/bin/print-label", "payload", z=TAB2),
            exec_node("after", "/usr/local/bin/print-label", "payload")]


def test_inj001_follows_a_link_call_and_its_return() -> None:
    flows = _link_call_flows("after")
    flows[4]["wires"] = [[nid("norm"), nid("inside")]]
    found = {f.resource.id: f for f in findings_of(INJ001, app_of(flows))}
    assert set(found) == {nid("inside"), nid("after")}
    assert found[nid("inside")].evidence["route"] == [nid("in"), nid("call"), nid("recv"),
                                                      nid("inside")]
    assert nid("back") in found[nid("after")].evidence["route"]


def test_subflow_input_reaches_the_node_inside() -> None:
    flows = [tab(), _subflow("sub-exec", None),
             exec_node("sub-exec", "/usr/local/bin/print-label", "payload", z=SUBFLOW),
             inject("tick", to=["instance"], payload="label-42"),
             node("instance", f"subflow:{SUBFLOW}", env=[], wires=[[]])]
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def _file_reader_subflow(*instances: dict[str, Any]) -> list[dict[str, Any]]:
    """A library subflow opens the file its caller names in msg.filename."""
    return [tab(), _subflow("sub-read", None),
            node("sub-read", "file in", z=SUBFLOW, filename="filename", filenameType="msg",
                 format="utf8", wires=[[]]), *instances]


def test_a_subflow_no_tab_runs_is_no_finding() -> None:
    # exported as a library: the definition alone, or its one instance inside another
    # subflow that nothing instantiates either
    other = nid("subflow:Loader")
    nested = [{"id": other, "type": "subflow", "name": "Loader", "in": [], "out": []},
              node("inner", f"subflow:{SUBFLOW}", z=other, env=[], wires=[[]])]
    for app in (app_of(_file_reader_subflow()), app_of(_file_reader_subflow(*nested))):
        assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("where", [nid("tab:Order intake"), nid("tab the export leaves out")])
def test_a_subflow_instance_on_a_tab_runs_it(where: str) -> None:
    app = app_of(_file_reader_subflow(
        http_in("in", "/api/file", z=where, to=["name"]),
        _copy("name", "filename", "req.query.name", next_="instance", z=where),
        node("instance", f"subflow:{SUBFLOW}", z=where, env=[], wires=[[]])))
    f = one(findings_of(INJ001, app))
    assert (f.resource.id, f.evidence["sink"]) == (nid("sub-read"), "path")


@pytest.mark.parametrize(("sender_disabled", "fires"), [(True, False), (False, True)])
def test_a_node_only_disabled_nodes_send_to_never_runs(sender_disabled: bool,
                                                       fires: bool) -> None:
    sender = node("mqtt", "mqtt in", topic="plant/files", broker=nid("broker"), wires=[["read"]])
    sender["d"] = sender_disabled
    flows = [tab(), config("broker", "mqtt-broker", broker="broker.example-iot.com"), sender,
             node("read", "file in", filename="payload", filenameType="msg", format="utf8",
                  wires=[["after"]]),
             exec_node("after", "/usr/local/bin/archive", "payload")]
    app = app_of(flows)
    assert ids(findings_of(INJ001, app)) == ({nid("read")} if fires else set())
    assert ids(findings_of(INJ002, app)) == ({nid("after")} if fires else set())  # the file


@pytest.mark.parametrize(("whole_tab", "fires"), [(True, False), (False, True)])
def test_a_node_wired_from_nowhere_runs_only_in_an_export_of_selected_nodes(
        whole_tab: bool, fires: bool) -> None:
    """On a tab the export holds whole, a file node nothing sends to never opens a file; an
    export of selected nodes leaves out the tab and the wires from nodes not selected, so what
    feeds it there is input the app does not show."""
    flows = [node("read", "file in", filename="filename", filenameType="msg", format="utf8",
                  wires=[[]])]
    found = findings_of(INJ002, app_of([tab(), *flows] if whole_tab else flows))
    assert len(found) == fires
    if fires:
        assert found[0].evidence["origin_detail"] == \
            "input this app does not show (nothing wired to it)"


def test_a_loop_terminates_and_keeps_the_taint() -> None:
    flows = [tab(), http_in("in", "/api/retry", to=["try"]),
             function("try", to=["wait", "run"]),
             node("wait", "delay", pauseType="delay", timeout="5", wires=[["try"]]),
             exec_node("run", "/usr/local/bin/sync", "payload")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.evidence["route"] == [nid("in"), nid("try"), nid("run")]


def test_stored_request_data_read_back_elsewhere_is_untrusted() -> None:
    flows = [tab(), http_in("in", "/api/notes", to=["save"]),
             node("save", "file", filename="/data/notes.html", filenameType="str",
                  wires=[[]]),
             inject("tick", to=["load"]),
             node("load", "file in", filename="/data/notes.html", filenameType="str",
                  format="utf8", wires=[["page"]]),
             template("page", "<div>{{{payload}}}</div>")]
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.evidence["route"] == [nid("in"), nid("save"), nid("load"), nid("page")]


def _shared_file(untrusted_writer: int | None, flows_count: int = 6) -> list[dict[str, Any]]:
    """Many flows (tabs) each writing the same file, and many others each reading it into a
    page; writer ``untrusted_writer`` is fed by a request, the others by a timer."""
    out: list[dict[str, Any]] = []
    for i in range(flows_count):
        w, r = tab(f"Writer {i}"), tab(f"Reader {i}")
        feed = (http_in(f"in{i}", f"/api/notes/{i}", to=[f"save{i}"], z=w["id"])
                if i == untrusted_writer else inject(f"in{i}", to=[f"save{i}"], z=w["id"]))
        out += [w, feed, file_out(f"save{i}", "/data/notes.html", z=w["id"]),
                r, inject(f"tick{i}", to=[f"load{i}"], z=r["id"]),
                file_in(f"load{i}", "/data/notes.html", to=[f"page{i}"], z=r["id"]),
                template(f"page{i}", "<div>{{{payload}}}</div>", z=r["id"])]
    return out


@pytest.mark.parametrize("untrusted_writer", [0, 5])
def test_a_store_many_flows_write_carries_one_writers_request_to_every_reader(
        untrusted_writer: int) -> None:
    """Stores are joined once, not writer by writer: one request-fed writer among six taints
    what each of six readers renders, wherever it sits in the export."""
    found = findings_of(INJ001, app_of(_shared_file(untrusted_writer)))
    assert sorted(f.resource.id for f in found) == sorted(nid(f"page{i}") for i in range(6))
    f = next(f for f in found if f.resource.id == nid("page3"))
    assert f.evidence["route"] == [nid(f"in{untrusted_writer}"), nid(f"save{untrusted_writer}"),
                                   nid("load3"), nid("page3")]


def test_a_store_many_flows_write_from_timers_only_is_quiet() -> None:
    assert findings_of(INJ001, app_of(_shared_file(None))) == []


@pytest.mark.parametrize(("reader_tab", "fires"), [(TAB, True), (TAB2, False)])
def test_flow_context_is_one_per_tab(reader_tab: str, fires: bool) -> None:
    # a function on one tab keeps each device's state under a key it reads from the message;
    # the reading tab sets "cmd" to a fixed word itself: on another tab, that is all it holds
    keep = function("keep", "flow.set(msg.topic, msg.payload);\nreturn msg;", to=[])
    use = function("use", "msg.payload = flow.get('cmd');\nreturn msg;", z=reader_tab,
                   to=["run"])
    default = change("default", z=reader_tab, rules=[
        {"t": "set", "p": "cmd", "pt": "flow", "to": "status", "tot": "str"}])
    flows = [tab(), tab("Partner sync"), config("broker", "mqtt-broker",
                                                broker="broker.example-iot.com"),
             node("sub", "mqtt in", topic="plant/+/state", broker=nid("broker"),
                  wires=[["keep"]]), keep,
             inject("start", z=reader_tab, to=["default"]), default,
             inject("tick", z=reader_tab, to=["use"]), use,
             exec_node("run", "/usr/local/bin/apply", "payload", z=reader_tab)]
    app = app_of(flows)
    assert ids(findings_of(INJ001, app)) == ({nid("run")} if fires else set())
    assert findings_of(INJ002, app) == []


def _store_chain(first: str, *, loop_back: bool = False) -> list[dict[str, Any]]:
    """A copy job chain through three files: ``first`` (a request or a timer) writes
    a.txt; one flow copies a.txt to b.txt, another b.txt to c.txt; a page renders c.txt.
    With ``loop_back`` the last copy also writes a.txt again (stores in a cycle)."""
    feed = (http_in("in", "/api/notes", to=["save-a"]) if first == "request"
            else inject("in", to=["save-a"]))
    return [tab(), feed, file_out("save-a", "/data/a.txt"),
            inject("t1", to=["load-a"]), file_in("load-a", "/data/a.txt", to=["save-b"]),
            file_out("save-b", "/data/b.txt"),
            inject("t2", to=["load-b"]),
            file_in("load-b", "/data/b.txt", to=["save-c", *(["save-a2"] if loop_back else [])]),
            file_out("save-c", "/data/c.txt"),
            *([file_out("save-a2", "/data/a.txt")] if loop_back else []),
            inject("t3", to=["load-c"]), file_in("load-c", "/data/c.txt", to=["page"]),
            template("page", "<div>{{{payload}}}</div>")]


@pytest.mark.parametrize("loop_back", [False, True])
def test_a_request_stored_through_a_chain_of_stores_reaches_the_last_reader(
        loop_back: bool) -> None:
    """Each store is one token in its readers' states, expanded when a check asks: what the
    first store took in is still behind the third store's reader, with its route."""
    app = app_of(_store_chain("request", loop_back=loop_back))
    f = one(findings_of(INJ001, app))
    assert f.resource.id == nid("page")
    assert f.evidence["route"] == [nid("in"), nid("save-a"), nid("load-a"), nid("save-b"),
                                   nid("load-b"), nid("save-c"), nid("load-c"), nid("page")]
    flow = dataflow(app)
    page = one(list(flow.sinks_of(nid("page"))))
    assert {(o.kind, o.step_id) for o in page.origins} >= {("entry", nid("in"))}
    assert all(o.kind != "held" for sf in flow.sinks() for o in sf.origins)  # never a token


def test_a_chain_of_stores_fed_by_a_timer_is_quiet() -> None:
    assert findings_of(INJ001, app_of(_store_chain("timer", loop_back=True))) == []


def test_a_forgotten_flow_is_built_again_with_the_same_answers() -> None:
    """The plugin lets go of every app's engine before writing reports; asked again (a hook
    or a late threat model), it is rebuilt, not answered from a stale or empty cache."""
    app = app_of(_store_chain("request"))
    first = dataflow(app)
    assert dataflow(app) is first  # shared by every check
    before = [(sf.step.id, sf.origins) for sf in first.sinks()]
    forget_all()
    again = dataflow(app)
    assert again is not first
    assert [(sf.step.id, sf.origins) for sf in again.sinks()] == before


# -- SQL, Flux, file paths -------------------------------------------------------------------
def test_mysql_running_a_query_set_by_a_change_node_is_quiet() -> None:
    flows = [tab(), config("db", "MySQLdatabase", name="shop", db="shop", host="db"),
             http_in("in", "/api/orders", to=["q"]),
             _set_payload("q", "SELECT * FROM orders WHERE id = ?", target="topic", next_="sql"),
             node("sql", "mysql", mydb=nid("db"), wires=[[]])]
    app = app_of(flows)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_mysql_running_the_request_as_sql_fires() -> None:
    flows = [tab(), config("db", "MySQLdatabase", name="shop", db="shop", host="db"),
             http_in("in", "/api/orders", to=["topic"]),
             _copy("topic", "topic", "payload.sql", next_="sql"),
             node("sql", "mysql", mydb=nid("db"), wires=[[]])]
    f = one(findings_of(INJ001, app_of(flows)))
    assert "msg.topic" in f.message


@pytest.mark.parametrize(("query", "fires"), [
    ("SELECT * FROM orders WHERE id = $1", False),
    ("SELECT * FROM orders WHERE id = {{{ msg.payload.id }}}", True),
])
def test_postgresql_query_templated_from_the_message(query: str, fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/orders", to=["sql"]),
             node("sql", "postgresql", query=query, postgreSQLConfig="", split=False,
                  rowsPerMsg=1, outputs=1, wires=[[]])]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


@pytest.mark.parametrize(("query", "fires"), [
    ("SELECT * FROM users WHERE name = '{{msg.payload.name}}'", False),  # ' is HTML-escaped
    ("SELECT * FROM users WHERE id = {{msg.payload.id}}", True),  # no quotes to stay inside
    ("SELECT * FROM users WHERE name = '{{{msg.payload.name}}}'", True),  # raw
    ("SELECT * FROM users WHERE name = '{{& msg.payload.name}}'", True),  # raw too
])
def test_postgresql_escaped_mustache_inside_a_quoted_string_is_no_sql_text(query: str,
                                                                           fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/users", to=["sql"]),
             node("sql", "postgresql", query=query, postgreSQLConfig="", split=False,
                  rowsPerMsg=1, outputs=1, wires=[[]])]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


def _function_then_mysql(func: str) -> list[dict[str, Any]]:
    return [tab(), config("db", "MySQLdatabase", name="home", db="home", host="db"),
            http_in("in", "/api/readings", to=["build"]), function("build", func, to=["sql"]),
            node("sql", "mysql", mydb=nid("db"), wires=[[]])]


@pytest.mark.parametrize("func", [
    # a literal, with the values bound separately
    'msg.topic = "INSERT INTO readings (room, value) VALUES (?, ?)";\n'
    "msg.payload = [msg.payload.room, msg.payload.value];\nreturn msg;",
    # named placeholders, the table picked from a constant map
    'const TABLES = { motion: "motion_log", door: "door_log" };\n'
    "msg.topic = `INSERT INTO ${TABLES[msg.payload.kind]}` + \" (at, state) VALUES "
    '(:at, :state)";\nreturn msg;',
    # the statement kept in a constant first
    "const sql = `SELECT * FROM readings ORDER BY at DESC LIMIT 50`;\n"
    "msg.topic = sql;\nreturn msg;",
])
def test_function_setting_fixed_or_parameterised_sql_is_quiet(func: str) -> None:
    app = app_of(_function_then_mysql(func))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("func", [
    "msg.topic = \"INSERT INTO readings VALUES ('\" + msg.payload.room + \"')\";\nreturn msg;",
    "msg.topic = `SELECT * FROM readings WHERE room = '${msg.payload.room}'`;\nreturn msg;",
    'msg.topic = "SELECT 1";\nif (msg.payload.q) msg.topic = msg.payload.q;\nreturn msg;',
    "const room = msg.payload.room;\nmsg.topic = `DELETE FROM readings WHERE room = ${room}`;"
    "\nreturn msg;",
])
def test_function_concatenating_request_data_into_sql_fires(func: str) -> None:
    f = one(findings_of(INJ001, app_of(_function_then_mysql(func))))
    assert f.resource.id == nid("sql")


def _template_then_postgres(text: str) -> list[dict[str, Any]]:
    """node-red-contrib-postgres runs msg.payload, binding $names from msg.queryParameters."""
    return [tab(), config("db", "postgresdb", hostname="db", db="telemetry"),
            node("in", "mqtt in", topic="sensors/+", wires=[["params"]]),
            function("params", "msg.queryParameters = {uuid: msg.topic, data: msg.payload};"
                     "\nreturn msg;", to=["fmt"]),
            template("fmt", text, to=["sql"]),
            node("sql", "postgres", postgresdb=nid("db"), output="true", wires=[[]])]


def test_postgres_running_a_fixed_query_with_named_parameters_is_quiet() -> None:
    app = app_of(_template_then_postgres(
        "insert into data (value_id, value) values ($uuid, $data)"))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_postgres_running_a_query_templated_from_the_message_is_reported() -> None:
    app = app_of(_template_then_postgres("insert into data values ('{{{payload}}}')"))
    found = {f.resource.id: f for f in findings_of(INJ001, app) + findings_of(INJ002, app)}
    assert "msg.payload" in found[nid("sql")].message  # (the {{{ }}} template is one too)


@pytest.mark.parametrize(("widget", "props", "fires"), [
    ("ui_button", {"payload": "refresh", "payloadType": "str"}, False),
    ("ui_dropdown", {"options": [{"label": "A", "value": "a", "type": "str"}]}, False),
    ("ui_dropdown", {"allowFreeInput": True, "options": []}, True),  # typed by a user
])
def test_dashboard_widget_with_a_fixed_value_starts_a_known_message(
        widget: str, props: dict[str, Any], fires: bool) -> None:
    flows = [tab(), node("w", widget, wires=[["sql"]], **props),
             node("sql", "sqlite", mydb="/data/home.db", sqlquery="msg.topic", wires=[[]])]
    assert bool(findings_of(INJ002, app_of(flows))) is fires


@pytest.mark.parametrize(("mode", "fires"), [("msg.topic", True), ("fixed", False),
                                             ("prepared", False)])
def test_sqlite_modes(mode: str, fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/q", to=["topic"]),
             _copy("topic", "topic", "payload", next_="sql"),
             node("sql", "sqlite", mydb="", sqlquery=mode, sql="SELECT 1", wires=[[]])]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


@pytest.mark.parametrize(("query", "fires"), [("", True),
                                              ('from(bucket: "home") |> range(start: -1h)',
                                               False)])
def test_influx_query_from_the_message(query: str, fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/metrics", method="get", to=["query"]),
             _copy("query", "query", "req.query.q", next_="flux"),
             node("flux", "influxdb in", influxdb="", query=query, rawOutput=False,
                  wires=[[]])]
    found = findings_of(INJ001, app_of(flows))
    assert [f.evidence["sink"] for f in found] == (["query"] if fires else [])


@pytest.mark.parametrize(("filename", "fires"), [("", True), ("/data/labels/current.txt",
                                                              False)])
def test_file_in_opening_msg_filename_from_the_request(filename: str, fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/download", method="get", to=["name"]),
             _copy("name", "filename", "payload.name", next_="read"),
             node("read", "file in", filename=filename, filenameType="str", format="utf8",
                  wires=[["resp"]]), http_response("resp")]
    found = findings_of(INJ001, app_of(flows))
    assert [f.evidence["sink"] for f in found] == (["path"] if fires else [])


@pytest.mark.parametrize(("receiver", "origin"), [
    ("amqp-in", "messages the amqp-in node 'Alarms' receives"),  # a receiver we do not know
    ("alarm-router", "input this app does not show (nothing wired to it)"),  # not a receiver
])
def test_a_node_type_we_do_not_know_that_receives_says_so(receiver: str, origin: str) -> None:
    build = "msg.filename = `/data/${msg.payload.device}.json`;\nreturn msg;"
    flows = [tab(), node("rx", receiver, name="Alarms", wires=[["build"]]),
             function("build", build, to=["save"]),
             node("save", "file", filename="filename", filenameType="msg", wires=[[]])]
    f = one(findings_of(INJ002, app_of(flows)))
    assert (f.resource.id, f.evidence["origin_detail"]) == (nid("save"), origin)


# -- cleartext and certificates --------------------------------------------------------------
def test_enc001_plain_url_set_in_a_function_reaches_a_request_with_no_url() -> None:
    def flows(url: str) -> list[dict[str, Any]]:
        return [tab(), inject("tick", to=["set"]),
                function("set", f'msg.url = "{url}";\nreturn msg;', to=["req"]),
                http_request("req", "", to=["dbg"]), debug("dbg")]

    f = one(findings_of(ENC001, app_of(flows("http://telemetry.acme-partner.com/v1/push"))))
    assert f.resource.id == nid("req")
    assert (f.evidence["host"], f.evidence["zone"]) == ("telemetry.acme-partner.com",
                                                        "internet")
    assert findings_of(ENC001, app_of(flows("https://telemetry.acme-partner.com/v1"))) == []


@pytest.mark.parametrize(("url", "severity"), [("http://mosquitto:1883", None),
                                               ("http://host.docker.internal:8000/api", None),
                                               ("http://10.0.0.7/api", Severity.LOW),
                                               ("http://nas.home.arpa/api", Severity.LOW)])
def test_enc001_own_networks_are_quiet_or_lower(url: str, severity: Severity | None) -> None:
    flows = [tab(), inject("tick", to=["req"]), http_request("req", url)]
    found = findings_of(ENC001, app_of(flows))
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_enc002_tls_config_without_verification_on_a_computed_url() -> None:
    flows = [tab(), tls_config("lax", verify=False), inject("tick", to=["req"]),
             http_request("req", "", tls=nid("lax"))]
    f = one(findings_of(ENC002, app_of(flows)))
    assert f.message == ("certificate checks are off for a URL set at run time: 1 node "
                         "connects through this tls-config")
    assert f.resource.id == nid("lax") and f.evidence["zones"] == ["unknown"]


@pytest.mark.parametrize(("code", "shown"), [
    ('msg.url = "https://192.168.20.4/api/lights"; return msg;',
     "a URL set at run time (192.168.20.4)"),  # the function names the bridge it calls
    ("msg.url = 'https://' + flow.get('bridge') + '/api'; return msg;",
     "a URL set at run time"),  # the address is kept in context: no host to name
    ('msg.url = "https://your.bridge.ip/api"; return msg;',
     "a URL set at run time"),  # a placeholder left for the reader names no host
])
def test_enc002_names_the_hosts_a_function_sets_for_a_lax_tls_config(code: str,
                                                                     shown: str) -> None:
    """A request whose URL a function sets still connects through its tls-config: the setting
    is reported, with the hosts the flow shows it reaching when the function writes them."""
    flows = [tab(), tls_config("lax", verify=False), inject("tick", to=["set"]),
             function("set", code, to=["req"]), http_request("req", "", tls=nid("lax"))]
    f = one(findings_of(ENC002, app_of(flows)))
    assert f.resource.id == nid("lax")
    assert f.message == f"certificate checks are off for {shown}: 1 node connects through " \
                        "this tls-config"


TAK_CALL = ("const opts = {{ hostname: global.get('tak_host'), port: 8443, path: '/api/ping', "
            "{option} }};\n"
            "const req = https.request(opts, res => {{ msg.statusCode = res.statusCode; "
            "node.send(msg); }});\nreq.end();\nreturn null;")


@pytest.mark.parametrize(("option", "reported"), [
    ("rejectUnauthorized: false", True),
    ("'rejectUnauthorized': false", True),
    ("rejectUnauthorized: true", False),
    ("ca: global.get('tak_ca') /* rejectUnauthorized: false while testing */", False),
])
def test_enc002_function_making_its_own_tls_calls_without_verification(option: str,
                                                                       reported: bool) -> None:
    code = TAK_CALL.format(option=option)
    flows = [tab(), inject("tick", to=["call"]),
             {**function("call", code), "libs": [{"var": "https", "module": "https"}]}]
    found = findings_of(ENC002, app_of(flows))
    assert [f.resource.id for f in found] == ([nid("call")] if reported else [])


@pytest.mark.parametrize(("reject", "fires"), [(False, True), (True, False)])
def test_enc002_home_assistant_server_accepting_any_certificate(reject: bool,
                                                                fires: bool) -> None:
    flows = [tab(), config("ha", "server", name="Home Assistant", addon=False,
                           rejectUnauthorizedCerts=reject),
             node("state", "server-state-changed", server=nid("ha"), entityidfilter="sun.sun",
                  wires=[[]])]
    assert ids(findings_of(ENC002, app_of(flows))) == ({nid("ha")} if fires else set())


@pytest.mark.parametrize(("host", "zone"), [
    ("localhost", "loopback"), ("qdrant", "host"), ("host.docker.internal", "host"),
    ("172.17.0.1", "host"), ("172.16.4.2", "private"), ("10.1.1.1", "private"),
    ("printer.local", "private"), ("api.example.com", "internet"), ("1.1.1.1", "internet"),
    ("mosquitto.mosquitto.svc.cluster.local", "host"), ("influx.monitoring.svc", "host"),
    ("nas.cluster.lan", "private"), ("cluster.local.example.com", "internet")])
def test_default_trust_zones(host: str, zone: str) -> None:
    assert default_zone(host) == zone


@pytest.mark.parametrize(("code", "fires"), [
    ('msg.topic = "SELECT * FROM readings WHERE sensor = ?";\nmsg.payload = [msg.payload.id];'
     '\nreturn msg;', False),
    ('msg.topic = "SELECT * FROM readings WHERE sensor = " + msg.payload.id;\nreturn msg;',
     True),
])
def test_function_setting_a_fixed_query_ends_the_taint_of_msg_topic(code: str,
                                                                    fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/readings", to=["q"]), function("q", code, to=["sql"]),
             node("sql", "mysql", mydb="", wires=[[]])]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


@pytest.mark.parametrize(("url", "fires"), [("", True), ("https://api.acme.io/v1/{{payload.id}}",
                                                         False)])
def test_inj001_request_to_a_url_from_the_caller_is_ssrf(url: str, fires: bool) -> None:
    flows = [tab(), http_in("in", "/api/fetch", to=["pick"]),
             change("pick", to=["req"], rules=[{"t": "move", "p": "payload.link", "pt": "msg",
                                                 "to": "url", "tot": "msg"}]),
             http_request("req", url, to=["resp"]), http_response("resp")]
    app = app_of(flows)
    assert [f.evidence["sink"] for f in findings_of(INJ001, app)] == (["fetch"] if fires
                                                                      else [])
    assert findings_of(INJ002, app) == []


# -- EXP002: what an endpoint answers ------------------------------------------------------------
def test_exp002_file_read_only_to_decide_is_quiet_when_the_answer_is_fixed() -> None:
    flows = [tab(), http_in("in", "/api/ready", method="get", to=["read"]),
             file_in("read", "/data/state/ready.flag", to=["fix"]),
             _set_payload("fix", "ok", next_="resp"), http_response("resp")]
    assert findings_of(EXP002, app_of(flows)) == []


def test_exp002_websocket_out_on_the_listener_serves_its_clients() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/orders"), ws_in("ask", "wsl", to=["read"]),
             file_in("read", "/data/exports/orders.csv", to=["out"]),
             node("out", "websocket out", server=nid("wsl"), client="")]
    f = one(findings_of(EXP002, app_of(flows)))
    assert (f.resource.id, f.evidence["endpoint"]) == (nid("read"), "/ws/orders")
    assert f.evidence["answered_by"] == nid("out")


def test_exp002_websocket_out_through_a_client_answers_no_caller() -> None:
    flows = [tab(), ws_listener("wsl", "/ws/orders"), ws_in("ask", "wsl", to=["read"]),
             file_in("read", "/data/exports/orders.csv", to=["out"]),
             config("remote", "websocket-client", path="wss://feed.example.net/in"),
             node("out", "websocket out", server="", client=nid("remote"))]
    assert findings_of(EXP002, app_of(flows)) == []


@pytest.mark.parametrize(("func", "severity"), [
    # the scheme is written, the host is computed: not shown to leave the own networks, and
    # nothing secret goes: no finding
    ("msg.url = 'http://' + flow.get('device_ip') + '/status';\nreturn msg;", None),
    ("msg.url = 'http://telemetry.acme-partner.com/v1';\nreturn msg;", Severity.HIGH),
])
def test_enc001_plain_url_to_a_computed_host_is_reported_only_when_known_remote(
        func: str, severity: Severity | None) -> None:
    flows = [tab(), inject("tick", to=["set"]), function("set", func, to=["req"]),
             http_request("req", "")]
    found = findings_of(ENC001, app_of(flows))
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("broker", "reported"), [("xxx.xxx.xx.xx", False),
                                                  ("your-broker.com", False),
                                                  ("broker.acme-iot.net", True)])
def test_enc001_placeholder_host_left_in_a_shared_flow_is_no_destination(
        broker: str, reported: bool) -> None:
    flows = [tab(), config("b", "mqtt-broker", name="b", broker=broker, port="1883",
                           usetls=False),
             node("pub", "mqtt out", topic="t", broker=nid("b"), wires=[]),
             inject("tick", to=["pub"])]
    assert bool(findings_of(ENC001, app_of(flows))) is reported
