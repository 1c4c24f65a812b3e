"""Node-RED INJ001/INJ002: a message property's parts are followed one by one.

Distilled, in our own words, from back ends that copy a request into a property of their own
(``msg.search = {...msg.payload}``), then set some of its keys anew from checked or computed
values (a number, a date written out in a fixed format, a constant a change node sets) before
a template pastes those keys into a query. A key set anew holds only its new value; the keys
left as they came, and the property as a whole, are still the caller's. A key set in one
branch only, set before the message was already sent, or replaced again by the whole property
afterwards, is not set anew for every message. And a dashboard template that does not forward
the messages it is given to show passes on none of them: only what its page's script sends."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from pytest_nocode.model import ValueRef
from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, function, http_in, nid, node, tab
from tests.test_injection_kept_values_nodered import _revalidate

MOMENT = [{"var": "moment", "module": "moment"}]


def _report(check: str, *, template: str = "{{{search.day}}}",
            between: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """POST /report: the function copies the body into msg.search and runs ``check``; a
    template pastes ``template`` into the SQL the mysql node runs."""
    code = f"msg.search = {{ ...msg.payload }};\n{check}\nreturn msg;"
    between = between or []
    first = between[0]["id"] if between else nid("sql")
    flows = [tab(), http_in("in", "/report", to=["check"]),
             function("check", code, libs=MOMENT)]
    flows[-1]["wires"] = [[first]]
    return [*flows, *between,
            node("sql", "template", name="sql", field="topic", fieldType="msg",
                 format="sql", syntax="mustache", output="str",
                 template=f"SELECT * FROM readings WHERE day = '{template}'", wires=[["db"]]),
            node("db", "mysql", name="db", mydb="", wires=[[]])]


@pytest.mark.parametrize("check", [
    "msg.search.day = Number(msg.search.day);",
    "msg.search['day'] = parseInt(msg.search.day, 10);",
    "const day = moment(msg.search.day, 'YYYY-MM-DD');\nmsg.search.day = day.format('YYYY-MM-DD');",
    "msg.search.day = new Date(msg.search.day).toISOString();",
    "msg.search.day = 'today';",
    "msg.search = { ...msg.search, day: Number(msg.search.day) };",  # the property respread
    "msg.search.day = 1;\nmsg.search = { ...msg.search, ...global.get('defaults') };",
    # stopped unless it is one of a list's members (allowlist narrowing)
    "const days = ['mon', 'tue'];\nif (!days.includes(msg.search.day)) { return null; }",
    "if (!['mon', 'tue'].includes(msg.search.day)) return;",
    "if (!['mon', 'tue'].includes(msg.search.day)) return;\nmsg.search.when = msg.search.day;",
])
def test_a_key_set_anew_before_the_send_is_not_the_callers(check: str) -> None:
    assert findings_of(INJ001, app_of(_report(check))) == []


@pytest.mark.parametrize("check", [
    "msg.search.day = msg.search.day.trim();",  # the caller's text, trimmed
    "if (msg.search.strict) { msg.search.day = Number(msg.search.day); }",  # one branch only
    "node.send(msg);\nmsg.search.day = Number(msg.search.day);",  # sent as it came first
    "msg.search.day = 1;\nmsg.search = msg.payload;",  # the whole property replaced after
    "msg.search.other = 1;",  # another key set: day as it came
    "msg.search.day = 1;\nmsg.search = { ...msg.search, ...msg.payload.more };",  # any key
    "if (msg.search.strict) { msg.search = { ...msg.search, day: 1 }; }",
    # a check that passes the message on, goes on anyway, or comes after a send narrows nothing
    "if (!['mon', 'tue'].includes(msg.search.day)) { return [null, msg]; }",
    "if (!['mon', 'tue'].includes(msg.search.day)) { node.warn('odd day'); }",
    "node.send(msg);\nif (!['mon', 'tue'].includes(msg.search.day)) return;",
    "if (!['mon', 'tue'].includes(msg.search.kind)) return;",  # another key checked
    "if (!['mon', 'tue'].includes(msg.search.day)) return;\nmsg.search.day = msg.payload.when;",
    "const day = moment();\nmsg.search.day = day.format(msg.search.pattern);",  # its pattern
])
def test_a_key_the_caller_still_chooses_fires(check: str) -> None:
    assert ids(findings_of(INJ001, app_of(_report(check)))) >= {nid("sql")}


def test_a_value_read_after_the_check_is_one_of_the_list() -> None:
    flows = _report("if (!['mon', 'tue'].includes(msg.search.day)) return;\n"
                    "msg.topic = `SELECT * FROM days WHERE name = '${msg.search.day}'`;")
    flows.pop(-2)  # the function's own statement goes to the database
    flows[2]["wires"] = [[nid("db")]]
    assert findings_of(INJ001, app_of(flows)) == []
    flows[2]["func"] = flows[2]["func"].replace("search.day)) return;", "search.x)) return;")
    assert ids(findings_of(INJ001, app_of(flows))) == {nid("db")}


def test_the_keys_not_set_anew_are_still_the_callers() -> None:
    flows = _report("msg.search.day = Number(msg.search.day);",
                    template="{{{search.day}}}' AND site = '{{{search.site}}}")
    assert ids(findings_of(INJ001, app_of(flows))) >= {nid("sql")}


def test_the_property_as_a_whole_is_still_the_callers() -> None:
    flows = _report("msg.search.day = Number(msg.search.day);", template="{{{search}}}")
    assert ids(findings_of(INJ001, app_of(flows))) >= {nid("sql")}


def _change(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [node("fix", "change", name="fix", rules=[rule], wires=[["sql"]])]


@pytest.mark.parametrize(("rule", "fires"), [
    ({"t": "set", "p": "search.day", "pt": "msg", "to": "2024-01-01", "tot": "str"}, False),
    ({"t": "set", "p": "search.day", "pt": "msg", "to": "payload.when", "tot": "msg"}, True),
    ({"t": "set", "p": "search.site", "pt": "msg", "to": "north", "tot": "str"}, True),
    ({"t": "set", "p": "search", "pt": "msg", "to": "{}", "tot": "json"}, False),
    ({"t": "delete", "p": "search.day", "pt": "msg"}, False),
])
def test_a_change_node_sets_one_key_anew(rule: dict[str, Any], fires: bool) -> None:
    flows = _report("", between=_change(rule))
    assert bool(findings_of(INJ001, app_of(flows))) is fires


def test_a_key_set_anew_on_one_way_only_still_carries_the_other() -> None:
    """Two ways into the template, one through a change node that fixes the key, one not:
    what arrives is either."""
    flows = _report("", between=_change(
        {"t": "set", "p": "search.day", "pt": "msg", "to": "2024-01-01", "tot": "str"}))
    flows[2]["wires"] = [[nid("fix"), nid("sql")]]
    assert flows[2]["id"] == nid("check")
    assert ids(findings_of(INJ001, app_of(flows))) >= {nid("sql")}


def test_the_engine_answers_a_key_apart_from_its_property() -> None:
    flow = dataflow(app_of(_report("msg.search.day = Number(msg.search.day);")))
    day = flow.origins(nid("sql"), (ValueRef("field", "search", path="msg.search.day"),))
    site = flow.origins(nid("sql"), (ValueRef("field", "search", path="msg.search.site"),))
    whole = flow.origins(nid("sql"), (ValueRef("field", "search", path="msg.search"),))
    assert {o.kind for o in day} == {"constant"}
    assert "entry" in {o.kind for o in site} and "entry" in {o.kind for o in whole}


# -- an id-first key column (id_usuario) ----------------------------------------------------------
@pytest.mark.parametrize(("column", "quiet"), [
    ("id_usuario", True), ("idCliente", True), ("id_token", False), ("identity", False),
    ("nombre", False)])
def test_an_id_first_key_column_of_read_rows_is_no_text(column: str, quiet: bool) -> None:
    found = findings_of(INJ002, app_of(_revalidate(column)))
    assert (found == []) is quiet


# -- a dashboard template that does not forward what it is given ---------------------------------
def _shown_then_sent(forward: bool | None) -> list[dict[str, Any]]:
    """A POST updates a dashboard table (a ui_template); its delete button sends the row it
    shows to a command. With ``fwdInMessages`` off, what the template is given stays on the
    page: what leaves it is only what its script sends."""
    extra = {} if forward is None else {"fwdInMessages": forward}
    page = node("table", "ui_template", name="table", format=(
        "<button ng-click=\"send({payload: row.name, topic: 'delete'})\">x</button>"),
        storeOutMessages=False, templateScope="local", wires=[["rm"]], **extra)
    return [tab(), http_in("in", "/rows", to=["table"]), page,
            node("rm", "exec", name="rm", command="rm -rf /srv/rows/", addpay="payload",
                 append="", useSpawn="false", timer="", wires=[[], [], []])]


@pytest.mark.parametrize(("forward", "from_request"), [(False, False), (True, True),
                                                       (None, True)])
def test_a_template_that_forwards_nothing_passes_on_no_request(forward: bool | None,
                                                               from_request: bool) -> None:
    app = app_of(_shown_then_sent(forward))
    sink = dataflow(app).sinks_of(nid("rm"))[0]
    details = {o.detail for o in sink.origins if o.kind == "entry"}
    assert ("http /rows" in details) is from_request
    # what its script sends comes from whoever opens the (open) dashboard either way
    assert any(d.startswith("dashboard ") for d in details)
    assert nid("rm") in ids(findings_of(INJ001, app))
