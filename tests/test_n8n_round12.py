"""Patterns behind this round's n8n leads, distilled in our own words: an AI agent's answer can
quote what its tools read; a GET of a record collection with the service's key reads its
records. Each fires on the bad shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks._support import tool_reads
from pytest_nocode.dataflow import Origin, dataflow
from tests.checkrun import findings_of, one
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, workflow

# -- 2. an agent's answer carries what its tools read ---------------------------------------------
LC = "@n8n/n8n-nodes-langchain."


def _agent_app(with_tool: bool) -> Any:
    trigger = n8n_node("Chat", LC + "chatTrigger", {"public": True, "options": {}},
                       webhook=True)
    agent = n8n_node("Agent", LC + "agent", {"promptType": "define",
                                            "text": "={{ $json.chatInput }}"}, version=1.7)
    model = n8n_node("Model", LC + "lmChatOpenAi", {"model": "gpt-4o-mini"})
    sheet = n8n_node("Customer sheet", "googleSheetsTool", {
        "documentId": {"__rl": True, "mode": "id", "value": "1AbCdEf"},
        "sheetName": {"__rl": True, "mode": "name", "value": "Customers"}}, version=4.5)
    nodes = [trigger, agent, model, *([sheet] if with_tool else [])]
    wires = chain("Chat", "Agent") | {
        "Model": {"ai_languageModel": [[{"node": "Agent", "type": "ai_languageModel",
                                         "index": 0}]]}}
    if with_tool:
        wires["Customer sheet"] = {"ai_tool": [[{"node": "Agent", "type": "ai_tool",
                                                  "index": 0}]]}
    return app_of(workflow("Support bot", nodes, wires))


def test_an_agents_answer_carries_the_reads_of_its_tools_and_nothing_without_them() -> None:
    for with_tool, expected in ((True, {uid("Customer sheet")}), (False, set())):
        app = _agent_app(with_tool)
        flow = dataflow(app)
        answer = Origin("ai", "answer of Agent", uid("Agent"))  # as the engine writes it
        assert {o.step_id for o in tool_reads(app, flow, answer)} == expected


# -- 3. an authenticated GET of a record collection reads that service's records ----------------
def _crm_to_github(url: str, headers: list[dict[str, str]]) -> Any:
    """Every hour: fetch the CRM's leads, then commit them to a repository as leads.json."""
    fetch = n8n_node("Fetch leads", "httpRequest", {
        "method": "GET", "url": url, "sendHeaders": bool(headers),
        "headerParameters": {"parameters": headers}}, version=4.2)
    commit = n8n_node("Commit", "httpRequest", {
        "method": "PUT", "url": "https://api.github.com/repos/acme/site/contents/leads.json",
        "sendBody": True, "specifyBody": "json",
        "jsonBody": "={{ JSON.stringify({ message: 'sync', content: $json.data }) }}"},
        version=4.2)
    nodes = [schedule("Every hour"), fetch, commit]
    return app_of(workflow("CRM mirror", nodes, chain(*(n["name"] for n in nodes))))


KEY = [{"name": "Authorization", "value": "={{ 'Bearer ' + $vars.CRM_TOKEN }}"}]


@pytest.mark.parametrize("url", ["=https://{{ $vars.CRM_SUBDOMAIN }}.crm.example/api/v4/leads",
                                 "https://api.crm.example/v1/contacts"])
def test_records_an_api_key_reads_off_a_collection_path_are_a_store_sent_out(url: str) -> None:
    app = _crm_to_github(url, KEY)
    assert [s.kind for s in app.stores if s.step_id == uid("Fetch leads")] == ["api"]
    f = one(findings_of(EXP001, app))
    assert f.resource.id == uid("Commit") and "personal data" in f.evidence["labels"]


@pytest.mark.parametrize(("url", "headers"), [
    ("https://api.crm.example/v1/contacts", []),  # no key: a public listing
    ("https://api.crm.example/v1/status", KEY),  # not a collection of records
    ("=https://api.crm.example/v1/leads/{{ $json.id }}", KEY),  # one record by id
])
def test_a_keyless_get_or_a_path_that_names_no_records_is_no_store(
        url: str, headers: list[dict[str, str]]) -> None:
    app = _crm_to_github(url, headers)
    assert [s for s in app.stores if s.step_id == uid("Fetch leads")] == []
