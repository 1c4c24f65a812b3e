"""Patterns of the seventh blind set of real n8n exports, distilled in our own words: a value
written as one line of JSON into a quoted heredoc's body (the shell expands nothing there); an
MCP client tool calling its server over plain http. Each fires on the bad shape and stays
quiet on the look-alike."""

from __future__ import annotations

import pytest

from pytest_nocode.checks import test_encryption as encryption
from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, one
from tests.test_checks_n8n import app_of, chain, execute_command, n8n_node, webhook, workflow

INJ001 = injection.test_untrusted_input_does_not_reach_sinks
ENC001 = encryption.test_no_cleartext_to_remote_hosts
LANGCHAIN = "@n8n/n8n-nodes-langchain."


# -- 1. one line of JSON inside a quoted heredoc -------------------------------------------------
def _saved_by_shell(command: str) -> list[object]:
    """INJ001 findings for an open webhook whose body a shell command writes out."""
    entry = webhook("Clip request", path="clips", method="POST")
    save = execute_command("Save request", command)
    app = app_of(workflow("Clipper", [entry, save], chain(entry["name"], save["name"])))
    return list(findings_of(INJ001, app))


QUIET = {
    "cat writes a file": "=cat << 'END' > /data/request.json\n{{ JSON.stringify($json.body) }}\n"
                         "END\necho saved",
    "double-quoted delimiter, tee": '=tee /data/r.json << "END"\n{{ JSON.stringify($json) }}\nEND',
    "node literal": "=node << 'EOF'\nconst clips = {{ JSON.stringify($json.body.clips) }};\n"
                    "console.log(clips.length);\nEOF",
}
LOUD = {
    "unquoted heredoc expands $( )": "=cat << END > /data/r.json\n"
                                     "{{ JSON.stringify($json.body) }}\nEND",
    "a value that may hold a line break": "=cat << 'END' > /data/note.txt\n{{ $json.body.note }}\n"
                                          "END",
    "JSON with an indent is many lines": "=cat << 'END' > /data/r.json\n"
                                         "{{ JSON.stringify($json.body, null, 2) }}\nEND",
    "inside a JavaScript string": "=node << 'EOF'\nconst s = '{{ JSON.stringify($json.body) }}';\n"
                                  "EOF",
    "body piped to a shell": "=cat << 'END' | sh\n{{ JSON.stringify($json.body) }}\nEND",
    "bash runs the body": "=bash << 'END'\n{{ JSON.stringify($json.body) }}\nEND",
    "the file name is outside the body": "=cat << 'END' > /data/{{ $json.body.name }}.json\n"
                                         "{{ JSON.stringify($json.body) }}\nEND",
}


@pytest.mark.parametrize("kind", sorted(QUIET))
def test_one_json_line_in_a_quoted_heredoc_body_is_quiet(kind: str) -> None:
    """The shell expands nothing in a quoted heredoc and one line cannot end it: the caller's
    JSON is written out (or read by node as one literal) as it is."""
    assert _saved_by_shell(QUIET[kind]) == []


@pytest.mark.parametrize("kind", sorted(LOUD))
def test_heredoc_look_alikes_still_reach_the_shell(kind: str) -> None:
    """An unquoted heredoc runs $( ), a multi-line value can write the delimiter line, a
    string literal can be closed, and a body the shell or bash runs is code."""
    one(_saved_by_shell(LOUD[kind]))


# -- 2. an MCP client tool's endpoint -------------------------------------------------------------
def _agent_with_mcp(endpoint: str) -> dict[str, object]:
    """A chat agent whose MCP client tool calls ``endpoint`` with a bearer credential."""
    chat = n8n_node("Chat", LANGCHAIN + "chatTrigger", {"options": {}}, version=1.1,
                    webhook=True)
    agent = n8n_node("Dispatcher", LANGCHAIN + "agent", {"options": {}}, version=1.7)
    tool = n8n_node("Routes MCP", LANGCHAIN + "mcpClientTool",
                    {"endpointUrl": endpoint, "serverTransport": "httpStreamable",
                     "authentication": "bearerAuth", "options": {}}, version=1.1,
                    credentials={"httpBearerAuth": ("b3AR3rT0k3nCr3d1", "Routes bearer")})
    connections = {"Chat": {"main": [[{"node": "Dispatcher", "type": "main", "index": 0}]]},
                   "Routes MCP": {"ai_tool": [[{"node": "Dispatcher", "type": "ai_tool",
                                                "index": 0}]]}}
    return workflow("Dispatch", [chat, agent, tool], connections)


def test_an_mcp_client_sending_its_bearer_over_plain_http_to_a_public_host_is_enc001() -> None:
    """The tool's server is called with the bearer token in the clear, across the internet."""
    f = one(findings_of(ENC001, app_of(_agent_with_mcp("http://34.120.7.19:8001/mcp "))))
    assert f.resource.name == "Routes MCP"
    assert "34.120.7.19" in f.message


def test_an_mcp_client_over_https_is_quiet() -> None:
    assert findings_of(ENC001, app_of(_agent_with_mcp("https://mcp.example.org/mcp"))) == []
