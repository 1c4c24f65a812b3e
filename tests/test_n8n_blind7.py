"""Patterns of the seventh blind set of real n8n exports, distilled in our own words: a value
written as one line of JSON into a quoted heredoc's body (the shell expands nothing there); an
MCP client tool calling its server over plain http; an export that does not say whether it is
active (not assumed off); the $node["X"] reference forms; a service's name run into "apikey".
Each fires on the bad shape and stays
quiet on the look-alike."""

from __future__ import annotations

import pytest

from tests.checkrun import findings_of, one
from tests.rules import ENC001, INJ001, INJ003, LOG003, SEC001
from tests.test_checks_n8n import app_of, chain, execute_command, n8n_node, webhook, workflow

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


# -- 3. an export that does not say whether it is active --------------------------------------
def _without_active_field(wf: dict[str, object]) -> dict[str, object]:
    """``wf`` as a hand-made copy or template keeps it: no ``active`` field at all."""
    return {k: v for k, v in wf.items() if k not in ("active", "triggerCount")}


def test_an_entry_workflow_whose_active_state_is_unknown_is_log003_saying_so() -> None:
    """Fail closed: an export without the flag is not assumed switched off."""
    entry = webhook("Lead form", path="leads", method="POST")
    save = execute_command("Log lead", "=echo lead >> /data/leads.log")
    wf = _without_active_field(workflow("Leads", [entry, save],
                                        chain(entry["name"], save["name"])))
    f = one(findings_of(LOG003, app_of(wf)))
    assert "active state not in the export" in f.message
    assert f.evidence["active"] is None


def test_an_entry_workflow_saved_inactive_is_still_quiet_for_log003() -> None:
    entry = webhook("Lead form", path="leads", method="POST")
    save = execute_command("Log lead", "=echo lead >> /data/leads.log")
    wf = workflow("Leads", [entry, save], chain(entry["name"], save["name"]), active=False)
    assert findings_of(LOG003, app_of(wf)) == []


# -- 4. the $node["X"] reference forms carry provenance as $('X') does -----------------------
@pytest.mark.parametrize("ref", ["$node['Vars'].json.host", '$node["Vars"].json.host',
                                 "$node.Vars.json.host", "$('Vars').item.json.host"])
def test_every_form_of_a_node_reference_carries_the_callers_value(ref: str) -> None:
    """A Set node keeps the caller's host; each way of reading it reaches the shell as such."""
    entry = webhook("Ping request", path="ping", method="POST")
    keep = n8n_node("Vars", "set", {"values": {"string": [
        {"name": "host", "value": "={{ $json.body.host }}"}]}})
    ping = execute_command("Ping", "=ping -c 1 {{ " + ref + " }}")
    app = app_of(workflow("Pinger", [entry, keep, ping], chain("Ping request", "Vars", "Ping")))
    assert one(findings_of(INJ001, app)).resource.name == "Ping"


def test_a_node_reference_to_a_fixed_value_is_quiet() -> None:
    entry = webhook("Ping request", path="ping", method="POST")
    keep = n8n_node("Vars", "set", {"values": {"string": [
        {"name": "host", "value": "gateway.internal"}]}})
    ping = execute_command("Ping", "=ping -c 1 {{ $node['Vars'].json.host }}")
    app = app_of(workflow("Pinger", [entry, keep, ping], chain("Ping request", "Vars", "Ping")))
    assert findings_of(INJ001, app) == []


# -- 5. a service's name run into "apikey" is a stand-in ----------------------------------------
def _whois_code(key: str) -> dict[str, object]:
    js = (f"const apiKey = '{key}'; // <-- replace\n"
          "const res = await this.helpers.httpRequest({ method: 'GET', url: "
          "'https://api.whois.example.com/v1/whois', headers: { 'X-Api-Key': apiKey } });\n"
          "return [{ json: res }];")
    node = n8n_node("Whois lookup", "code", {"jsCode": js}, version=2)
    return workflow("Domains", [node], {})


@pytest.mark.parametrize("key", ["apininjaapikey", "whoisxmlapikey", "STRIPEAPIKEY"])
def test_a_service_name_joined_to_apikey_is_a_placeholder(key: str) -> None:
    assert findings_of(SEC001, app_of(_whois_code(key))) == []


def test_a_generated_key_in_the_same_place_is_sec001() -> None:
    f = one(findings_of(SEC001, app_of(_whois_code("Qm7uVx2pL9sKd4TzR8wYbN3c"))))
    assert f.resource.name == "Whois lookup"


# -- 1b. an agent's answer written into a quoted heredoc changes nothing it acts on ------------


def _agent_then_shell(command: str) -> list[object]:
    """open webhook → agent picking clips → Execute Command (``command``)."""
    hook = webhook("Clip request", path="clips", method="POST")
    agent = n8n_node("Pick clips", LANGCHAIN + "agent", {
        "promptType": "define", "text": "=Pick clips from: {{ $json.body.transcript }}"},
        version=2)
    model = n8n_node("Gemini", LANGCHAIN + "lmChatGoogleGemini", {"options": {}}, version=1,
                     credentials={"googlePalmApi": ("g3M1n1Cr3dId0001", "Gemini account")})
    save = execute_command("Save clips", command)
    connections = chain("Clip request", "Pick clips", "Save clips")
    connections["Gemini"] = {"ai_languageModel": [[{"node": "Pick clips",
                                                    "type": "ai_languageModel", "index": 0}]]}
    app = app_of(workflow("Clipper", [hook, agent, model, save], connections))
    return [*findings_of(INJ001, app), *findings_of(INJ003, app)]


def test_an_answer_saved_as_one_json_line_in_a_quoted_heredoc_is_quiet() -> None:
    """Neither the caller (INJ001) nor the model (INJ003) reaches the shell there."""
    assert _agent_then_shell("=cat << 'EOF' > /data/clips.json\n"
                             "{{ JSON.stringify($json.output) }}\nEOF") == []


def test_an_answer_pasted_into_the_command_line_is_reported() -> None:
    one(_agent_then_shell("=ffmpeg -ss {{ $json.output.start }} -i /data/in.mp4 /data/out.mp4"))
