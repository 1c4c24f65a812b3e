"""A field whose name says nothing (``content``, ``payload``, ``data``) carries the whole
record when a step on the way filled it with the whole item it was given
(``content: JSON.stringify(item.json)``): what a backup commits to a code host is every
workflow it read from the instance, and EXP001 reports it as such. Look-alike: a field that
holds one plain property of the record (a workflow's name as a file title) stays quiet."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import DataFlow
from tests.checkrun import findings_of
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, chain, code, n8n_node, schedule, workflow


def _backup(js: str) -> dict[str, Any]:
    read = n8n_node("Get many workflows", "n8n", {"filters": {}, "requestOptions": {}},
                    credentials={"n8nApi": ("a1", "n8n account")})
    commit = n8n_node("Create a file", "github", {
        "resource": "file", "owner": {"__rl": True, "value": "acme", "mode": "name"},
        "repository": {"__rl": True, "value": "backups", "mode": "name"},
        "filePath": "={{ $json.path }}", "fileContent": "={{ $json.content }}",
        "commitMessage": "backup"}, credentials={"githubApi": ("g1", "GitHub account")})
    return workflow("backup", [schedule(), read, code("Shape", js), commit],
                    chain("Schedule Trigger", "Get many workflows", "Shape", "Create a file"))


def test_a_field_holding_the_whole_item_carries_the_record() -> None:
    js = ("return items.map(item => ({ json: { path: `wf/${item.json.id}.json`, "
          "content: JSON.stringify(item.json, null, 2) } }));")
    found = findings_of(EXP001, app_of(_backup(js)))
    assert [f.resource.name for f in found] == ["Create a file"]
    assert "app configuration" in found[0].message


@pytest.mark.parametrize("js", [
    "return items.map(item => ({ json: { path: 'wf/list.md', content: item.json.name } }));",
])
def test_a_field_holding_one_plain_property_does_not(js: str) -> None:
    assert findings_of(EXP001, app_of(_backup(js))) == []


def test_routes_are_looked_for_only_where_a_step_fills_the_field_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Which steps fill a field with the whole item is found once per app; a field no step
    so fills needs no route from each store origin to the sender (at 20,000 workflows one
    route per sent field and origin, each step on it described again, took minutes)."""
    asked: list[str] = []
    route = DataFlow.route

    def counted(self: DataFlow, step_id: str, origin: Any) -> list[str]:
        asked.append(step_id)
        return route(self, step_id, origin)

    monkeypatch.setattr(DataFlow, "route", counted)
    plain = ("return items.map(item => ({ json: { path: 'wf/list.md', "
             "content: item.json.name } }));")
    assert findings_of(EXP001, app_of(_backup(plain))) == []
    assert asked == []
    whole = ("return items.map(item => ({ json: { path: `wf/${item.json.id}.json`, "
             "content: JSON.stringify(item.json) } }));")
    assert len(findings_of(EXP001, app_of(_backup(whole)))) == 1
    assert asked
