"""Patterns of the second blind set of real n8n exports, distilled in our own words: what a
node passes on, which HTTP requests are model calls, which nodes render markup, and which
entry points only an authenticated caller can write to. Each fires on the bad shape and stays
quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_exports as exports
from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, one
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, workflow

EXP001 = exports.test_internal_data_stays_inside
INJ001 = injection.test_untrusted_input_does_not_reach_sinks
INJ003 = injection.test_outside_text_does_not_steer_acting_agents
LC = "@n8n/n8n-nodes-langchain."


# -- Edit Fields (Set) v3.0-3.2 keeps every input field unless told otherwise ----------------
def _backup_through_set(set_params: dict[str, Any], version: float) -> dict[str, Any]:
    """schedule → the instance's own API (an API key header) → Edit Fields → a file committed
    to GitHub with the workflows' JSON."""
    read = n8n_node("Read workflows", "httpRequest", {
        "url": "http://host.docker.internal:5678/api/v1/workflows", "sendHeaders": True,
        "headerParameters": {"parameters": [
            {"name": "X-N8N-API-KEY", "value": "={{ $env.N8N_API_KEY }}"}]},
        "options": {}}, version=4)
    tidy = n8n_node("Edit Fields", "set", {"options": {}, **set_params}, version=version)
    commit = n8n_node("Commit backup", "github", {
        "resource": "file", "operation": "edit",
        "owner": {"mode": "name", "value": "acme-ops"},
        "repository": {"mode": "name", "value": "flows-backup"},
        "filePath": "workflows.json",
        "fileContent": "={{ JSON.stringify($json.data, null, 2) }}",
        "commitMessage": "backup"}, version=1)
    return workflow("Backup to GitHub", [schedule(), read, tidy, commit],
                    chain("Schedule Trigger", "Read workflows", "Edit Fields", "Commit backup"))


@pytest.mark.parametrize(("params", "version"), [
    ({}, 3),  # 'Include in Output' left at its default: all input fields
    ({"include": "all"}, 3.2),
    ({"include": "selected", "includeFields": "data, nextCursor"}, 3.1),
    ({"includeOtherFields": True}, 3.4),
])
def test_exp001_sees_workflows_kept_by_an_edit_fields_node(params: dict[str, Any],
                                                           version: float) -> None:
    f = one(findings_of(EXP001, app_of(_backup_through_set(params, version))))
    assert f.resource.id == uid("Commit backup")
    assert f.evidence["labels"] == ["app configuration"]
    assert f.evidence["route_names"] == ["Read workflows", "Edit Fields", "Commit backup"]


@pytest.mark.parametrize(("params", "version"), [
    ({"include": "none"}, 3),
    ({"include": "selected", "includeFields": "nextCursor"}, 3.2),
    ({}, 3.4),  # v3.3+: other input fields only when asked
])
def test_exp001_quiet_when_edit_fields_drops_the_workflows(params: dict[str, Any],
                                                           version: float) -> None:
    assert findings_of(EXP001, app_of(_backup_through_set(params, version))) == []
