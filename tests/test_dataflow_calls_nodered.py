"""Data flow through Node-RED subflow instances and link calls, one call at a time: what
enters one instance leaves that instance (issue 11). Distilled from real flows, in our own
words: a helper subflow that one tab feeds with request text and others with constants; a
subflow inside a subflow; a flow shared by two link calls."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.callgraph import CallGraph
from pytest_nocode.dataflow import dataflow
from tests.checkrun import findings_of, ids, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import (
    SUBFLOW,
    TAB2,
    _subflow,
    app_of,
    exec_node,
    function,
    http_in,
    inject,
    nid,
    node,
    tab,
)

OUTER = nid("subflow:Device settings")


def _instance(key: str, to: list[str], *, subflow: str = SUBFLOW,
              z: str | None = None) -> dict[str, Any]:
    where = {"z": z} if z else {}
    return node(key, f"subflow:{subflow}", env=[], wires=[to], **where)


def _through_helper(fed: dict[str, str]) -> list[dict[str, Any]]:
    """A helper subflow (one function passing the message on) with an instance per key of
    ``fed``: "request" feeds it a caller's text, "constant" an inject's fixed value; each
    instance's output runs its own command."""
    flows = [tab(), _subflow("tidy", "tidy"), function("tidy", z=SUBFLOW)]
    for key, source in fed.items():
        head = http_in(f"in-{key}", f"/api/{key}", to=[f"use-{key}"]) if source == "request" \
            else inject(f"in-{key}", to=[f"use-{key}"], payload="250")
        flows += [head, _instance(f"use-{key}", [f"run-{key}"]),
                  exec_node(f"run-{key}", "/opt/sensor/read -i", "payload")]
    return flows


def test_what_enters_one_instance_leaves_that_instance_only() -> None:
    app = app_of(_through_helper({"a": "request", "b": "constant", "c": "constant"}))
    found = one(findings_of(INJ001, app))
    assert found.resource.id == nid("run-a")
    assert found.evidence["route"] == [nid("in-a"), nid("use-a"), nid("tidy"), nid("run-a")]
    assert findings_of(INJ002, app) == []  # the constants' commands: of known origin


def test_a_subflow_fed_only_constants_is_quiet() -> None:
    app = app_of(_through_helper({"a": "constant", "b": "constant"}))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_instances_fed_requests_each_fire_on_their_own_command() -> None:
    app = app_of(_through_helper({"a": "request", "b": "request", "c": "constant"}))
    assert ids(findings_of(INJ001, app)) == {nid("run-a"), nid("run-b")}


def _sink_inside(fed: dict[str, str]) -> list[dict[str, Any]]:
    """A subflow that runs the command itself, with an instance per key of ``fed``."""
    flows = [tab(), _subflow("probe", None),
             exec_node("probe", "/opt/sensor/read -i", "payload", z=SUBFLOW)]
    for key, source in fed.items():
        head = http_in(f"in-{key}", f"/api/{key}", to=[f"use-{key}"]) if source == "request" \
            else inject(f"in-{key}", to=[f"use-{key}"], payload="250")
        flows += [head, _instance(f"use-{key}", [])]
    return flows


def test_a_sink_inside_a_subflow_is_one_finding_naming_the_instances_that_feed_it() -> None:
    app = app_of(_sink_inside({"a": "request", "b": "constant", "c": "request"}))
    found = one(findings_of(INJ001, app))
    assert found.resource.id == nid("probe")  # the inner node's own id: keys stay stable
    assert found.evidence["called_by"] == sorted([nid("use-a"), nid("use-c")])
    assert found.evidence["called_by_names"] == ["Print label (subflow instance)"] * 2
    origins = dataflow(app).sinks_of(nid("probe"))[0].origins
    assert {o.kind for o in origins} == {"entry", "constant"}


def test_a_sink_inside_a_subflow_only_constants_reach_is_quiet() -> None:
    app = app_of(_sink_inside({"a": "constant", "b": "constant"}))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def _nested(fed: dict[str, str]) -> list[dict[str, Any]]:
    """An outer subflow whose one node is an instance of the helper subflow; an instance of
    the outer one per key of ``fed``, each running its own command on what comes out."""
    outer = {"id": OUTER, "type": "subflow", "name": "Device settings", "info": "",
             "in": [{"x": 60, "y": 80, "wires": [{"id": nid("inner-use")}]}],
             "out": [{"x": 420, "y": 80, "wires": [{"id": nid("inner-use"), "port": 0}]}],
             "env": []}
    flows = [tab(), _subflow("tidy", "tidy"), function("tidy", z=SUBFLOW), outer,
             _instance("inner-use", [], z=OUTER)]
    for key, source in fed.items():
        head = http_in(f"in-{key}", f"/api/{key}", to=[f"use-{key}"]) if source == "request" \
            else inject(f"in-{key}", to=[f"use-{key}"], payload="250")
        flows += [head, _instance(f"use-{key}", [f"run-{key}"], subflow=OUTER),
                  exec_node(f"run-{key}", "/opt/sensor/read -i", "payload")]
    return flows


def test_a_subflow_inside_a_subflow_keeps_each_outer_instance_apart() -> None:
    app = app_of(_nested({"a": "request", "b": "constant"}))
    found = one(findings_of(INJ001, app))
    assert found.resource.id == nid("run-a")
    assert found.evidence["route"] == [nid("in-a"), nid("use-a"), nid("inner-use"),
                                       nid("tidy"), nid("run-a")]
    assert findings_of(INJ001, app_of(_nested({"a": "constant", "b": "constant"}))) == []


def test_a_nested_subflows_inner_nodes_run_once_per_outer_instance() -> None:
    graph = CallGraph(app_of(_nested({"a": "request", "b": "constant", "c": "constant"})))
    assert len(list(graph.nodes_of(nid("tidy")))) == 3
    assert sorted(graph.calls_in(n) for n in graph.nodes_of(nid("tidy"))) == sorted(
        (nid(f"use-{k}"), nid("inner-use")) for k in "abc")


def _shared_by_link_calls(fed: dict[str, str]) -> list[dict[str, Any]]:
    """One flow on another tab, called by a link call per key of ``fed``; its return link
    answers each caller, whose answer runs that caller's own command."""
    flows = [tab(), tab("Partner sync"),
             node("recv", "link in", z=TAB2, links=[], wires=[["norm"]]),
             function("norm", z=TAB2, to=["back"]),
             node("back", "link out", z=TAB2, mode="return", links=[])]
    for key, source in fed.items():
        head = http_in(f"in-{key}", f"/api/{key}", to=[f"call-{key}"]) if source == "request" \
            else inject(f"in-{key}", to=[f"call-{key}"], payload="250")
        flows += [head, node(f"call-{key}", "link call", links=[nid("recv")],
                             linkType="static", timeout="30", wires=[[f"run-{key}"]]),
                  exec_node(f"run-{key}", "/opt/sensor/read -i", "payload")]
    return flows


def test_a_return_link_answers_only_the_link_call_it_came_from() -> None:
    app = app_of(_shared_by_link_calls({"a": "request", "b": "constant"}))
    found = one(findings_of(INJ001, app))
    assert found.resource.id == nid("run-a")
    assert found.evidence["route"] == [nid("in-a"), nid("call-a"), nid("recv"), nid("norm"),
                                       nid("back"), nid("run-a")]
    assert findings_of(INJ002, app) == []


def test_a_sink_in_a_flow_link_calls_share_names_the_calls_that_feed_it() -> None:
    flows = _shared_by_link_calls({"a": "request", "b": "constant"})
    flows[3]["wires"] = [[nid("back"), nid("inside")]]  # norm also runs a command itself
    flows.append(exec_node("inside", "/opt/sensor/read -i", "payload", z=TAB2))
    found = {f.resource.id: f for f in findings_of(INJ001, app_of(flows))}
    assert set(found) == {nid("run-a"), nid("inside")}
    assert found[nid("inside")].evidence["called_by"] == [nid("call-a")]


def test_a_flow_that_link_calls_itself_is_followed_with_its_calls_joined() -> None:
    # a call that runs itself again has no end of contexts: that call is walked as one
    flows = _shared_by_link_calls({"a": "request"})
    flows[3]["wires"] = [[nid("back"), nid("again")]]
    flows.append(node("again", "link call", z=TAB2, links=[nid("recv")], linkType="static",
                      timeout="30", wires=[[]]))
    app = app_of(flows)
    assert nid("again") in CallGraph(app).joined
    assert ids(findings_of(INJ001, app)) == {nid("run-a")}


def test_past_its_budget_the_graph_is_the_plain_wiring() -> None:
    app = app_of(_through_helper({"a": "request", "b": "constant"}))
    graph = CallGraph(app, limit=0)  # not one copy
    assert not graph.expanded and graph.joined == {nid("use-a"), nid("use-b")}
    assert [list(graph.nodes_of(s.id)) for s in app.steps] == [[s.id] for s in app.steps]


@pytest.mark.parametrize(("fed", "fires"), [("request", True), ("constant", False)])
def test_a_subflow_output_wired_from_its_input_passes_the_instances_message(
        fed: str, fires: bool) -> None:
    sub = _subflow("tidy", None)
    sub["out"] = [{"x": 420, "y": 80, "wires": [{"id": SUBFLOW, "port": 0}]}]
    head = http_in("in", "/api/a", to=["use"]) if fed == "request" \
        else inject("in", to=["use"], payload="250")
    flows = [tab(), sub, function("tidy", z=SUBFLOW), head, _instance("use", ["run"]),
             exec_node("run", "/opt/sensor/read -i", "payload")]
    assert ids(findings_of(INJ001, app_of(flows))) == ({nid("run")} if fires else set())


@pytest.mark.parametrize(("inside", "fires"), [("http in", True), ("inject", False)])
def test_a_subflow_without_an_input_sends_what_starts_inside_it(inside: str,
                                                                fires: bool) -> None:
    # an instance nothing is wired to still runs its own copy of the subflow's nodes
    sub = _subflow("tidy", "tidy")
    sub["in"] = []
    start = http_in("start", "/api/reading", z=SUBFLOW, to=["tidy"]) if inside == "http in" \
        else inject("start", z=SUBFLOW, to=["tidy"], payload="250")
    flows = [tab(), sub, start, function("tidy", z=SUBFLOW), _instance("use", ["run"]),
             exec_node("run", "/opt/sensor/read -i", "payload")]
    app = app_of(flows)
    assert ids(findings_of(INJ001, app)) == ({nid("run")} if fires else set())
    assert findings_of(INJ002, app) == []


@pytest.mark.parametrize(("disabled", "fires"), [(True, False), (False, True)])
def test_a_disabled_instance_runs_no_copy_of_its_subflow(disabled: bool, fires: bool) -> None:
    # its copy is sent nothing: neither the caller's text nor input of unknown origin
    flows = _sink_inside({"a": "request", "b": "constant"})
    next(n for n in flows if n["id"] == nid("use-a"))["d"] = disabled
    app = app_of(flows)
    assert ids(findings_of(INJ001, app)) == ({nid("probe")} if fires else set())
    assert findings_of(INJ002, app) == []


def test_a_type_naming_a_tab_is_no_subflow_instance() -> None:
    # a hand-edited export: "subflow:<a tab's id>"; the tab's nodes run as they are
    flows = [tab(), http_in("in", "/api/a", to=["probe"]),
             exec_node("probe", "/opt/sensor/read -i", "payload"),
             node("odd", f"subflow:{nid('tab:Order intake')}", env=[], wires=[[]])]
    app = app_of(flows)
    assert app.calls == () and ids(findings_of(INJ001, app)) == {nid("probe")}
