"""n8n runs a node only when a connection hands it items. In a workflow whose wiring is
intact, a node nothing is wired into that starts nothing itself (not a trigger, not a tool
or model an agent calls) never runs, nor does what only it feeds: a copy left on the canvas,
a branch whose first step was unplugged. What such a branch would run is no finding.

Kept live: the same branch where it joins a second input of a Merge (n8n's legacy order
runs the parents of an input still waiting), an agent with sub-nodes set beside the call of
the sub-workflow it stands for, and any workflow whose wiring is incomplete (a connection
naming a missing node: the missing link may be the feeding one)."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of
from tests.rules import INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, workflow

QUERY = "=UPDATE jobs SET note = '{{ $json.note }}' WHERE id = 1"


def _lookup(key: str) -> dict[str, Any]:
    return n8n_node(key, "httpRequest", {"url": "https://api.example.org/notes"}, version=4)


def _sink() -> dict[str, Any]:
    return n8n_node("Save note", "postgres", {"operation": "executeQuery", "query": QUERY},
                    version=2.5)


def _live_part() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    nodes = [schedule(), _lookup("Tick")]
    return nodes, chain("Schedule Trigger", "Tick")


def _sinks(wf: dict[str, Any]) -> list[str]:
    return [f.resource.name for f in findings_of(INJ002, app_of(wf))]


def test_a_branch_nothing_is_wired_into_never_runs() -> None:
    nodes, links = _live_part()
    wf = workflow("stray", [*nodes, _lookup("Fetch note"), _sink()],
                  {**links, **chain("Fetch note", "Save note")})
    assert _sinks(wf) == []


def test_the_same_branch_fed_by_the_trigger_is_reported() -> None:
    nodes, _links = _live_part()
    wf = workflow("fed", [*nodes, _lookup("Fetch note"), _sink()],
                  chain("Schedule Trigger", "Fetch note", "Save note"))
    assert _sinks(wf) == ["Save note"]


def test_a_stranded_branch_joining_a_merge_still_runs() -> None:
    nodes, _links = _live_part()
    merge = n8n_node("Merge", "merge", {}, version=3)
    wf = workflow("join", [*nodes, _lookup("Fetch note"), merge, _sink()], {
        "Schedule Trigger": {"main": [[{"node": "Tick", "type": "main", "index": 0}]]},
        "Tick": {"main": [[{"node": "Merge", "type": "main", "index": 0}]]},
        "Fetch note": {"main": [[{"node": "Merge", "type": "main", "index": 1}]]},
        "Merge": {"main": [[{"node": "Save note", "type": "main", "index": 0}]]}})
    assert _sinks(wf) == ["Save note"]


def test_incomplete_wiring_is_not_judged() -> None:
    nodes, links = _live_part()
    broken = {"Ghost": {"main": [[{"node": "Fetch note", "type": "main", "index": 0}]]}}
    wf = workflow("cut", [*nodes, _lookup("Fetch note"), _sink()],
                  {**links, **broken, **chain("Fetch note", "Save note")})
    assert _sinks(wf) == ["Save note"]
