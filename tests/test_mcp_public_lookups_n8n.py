"""An MCP server whose every tool is a GET to a public API, with nothing of the owner's (no
credential, no key typed in; the API key a query parameter the calling model fills in with
``$fromAI``), hands its callers only what that service gives anyone who asks it: no open
door (AUTH001 quiet), as a webhook relaying such a GET is not.

Look-alikes stay reported: the same tool with the owner's key typed into the query, with a
credential of the owner's, or a POST that sends what the model chose."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of
from tests.rules import AUTH001
from tests.test_checks_n8n import app_of, n8n_node, workflow

LC = "@n8n/n8n-nodes-langchain."
FROM_AI_KEY = "={{ $fromAI('api_key', 'Your key for the lookup service', 'string') }}"


def _server(key: str, *, method: str = "GET", owner_credential: bool = False) -> dict[str, Any]:
    trigger = n8n_node("MCP Server Trigger", LC + "mcpTrigger", {"path": "lookup-mcp"},
                       version=2, webhook=True)
    params: dict[str, Any] = {
        "toolDescription": "Look up a card BIN",
        "method": method,
        "url": "=https://api.binlookup.example/v1/{{ $fromAI('bin', 'the BIN', 'string') }}",
        "sendQuery": True,
        "queryParameters": {"parameters": [{"name": "api_key", "value": key}]},
        "options": {}}
    extra: dict[str, Any] = {}
    if owner_credential:
        params.update(authentication="genericCredentialType", genericAuthType="httpQueryAuth")
        extra["credentials"] = {"httpQueryAuth": ("q1", "Lookup key")}
    tool = n8n_node("Lookup", "httpRequestTool", params, version=4.2, **extra)
    links = {"Lookup": {"ai_tool": [[{"node": "MCP Server Trigger", "type": "ai_tool",
                                      "index": 0}]]}}
    return workflow("Lookup MCP", [trigger, tool], links)


def test_public_lookups_with_the_callers_key_open_nothing() -> None:
    assert findings_of(AUTH001, app_of(_server(FROM_AI_KEY))) == []


@pytest.mark.parametrize(("key", "method", "owner_credential"), [
    ("4f9c2a7e1b8d3f6a0c5e9b2d7a1f4c8e", "GET", False),
    (FROM_AI_KEY, "GET", True),
    (FROM_AI_KEY, "POST", False)])
def test_the_owners_key_or_a_write_is_an_open_door(key: str, method: str,
                                                   owner_credential: bool) -> None:
    app = app_of(_server(key, method=method, owner_credential=owner_credential))
    assert len(findings_of(AUTH001, app)) == 1
