"""Patterns behind this round's n8n leads, distilled in our own words. Each fires on the bad
shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import AUTH001
from tests.test_checks_n8n import app_of, n8n_node, uid, workflow

LC = "@n8n/n8n-nodes-langchain."


# -- 1. a No Operation stand-in for an MCP server trigger is still that way in -------------------
def _mcp_stand_in(note: str | None) -> Any:
    """A collection swapped the MCP server trigger for a No Operation node (note kept, path
    kept); its tool runs a shell command the client fills in."""
    extra = {"notes": note} if note is not None else {}
    server = n8n_node("Files MCP Server", "noOp", {"path": "5c1b0d7e-files"}, **extra)
    tool = n8n_node("List folder", "executeCommandTool",
                    {"command": "=ls -la {{ $fromAI('folder') }}"})
    wires = {"List folder": {"ai_tool": [[{"node": "Files MCP Server", "type": "ai_tool",
                                            "index": 0}]]}}
    return app_of(workflow("Files over MCP", [server, tool], wires))


def test_auth001_a_no_op_standing_in_for_an_mcp_trigger_is_an_open_endpoint() -> None:
    note = "This mcpTrigger node performs automated tasks as part of the workflow."
    f = one(findings_of(AUTH001, _mcp_stand_in(note)))
    assert f.resource.id == uid("Files MCP Server") and "5c1b0d7e-files" in f.message


@pytest.mark.parametrize("note", [None, "This set node performs automated tasks as part of "
                                        "the workflow.", "Lists a folder over MCP."])
def test_auth001_a_no_op_with_a_path_but_no_trigger_note_is_no_endpoint(note: str | None) -> None:
    app = _mcp_stand_in(note)
    assert list(app.entry_points) == []
    assert findings_of(AUTH001, app) == []
