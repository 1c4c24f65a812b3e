"""EXP001 on an n8n instance's own configuration leaving it, and on what is not leaving.

Distilled in our own words from real backup workflows: every few hours an instance reads its
own workflows (its API, the n8n node) or dumps its credentials (``n8n export:credentials
--decrypted`` in Execute Command), turns each into a file and commits it to a GitHub
repository. Also two look-alikes from real exports that were reported before: a chat message
embedded by the same AI provider the agent already sends it to, and a search text kept in a
field named ``query``."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."


def _read_workflows(url: str = "http://localhost:5678/api/v1/workflows") -> dict[str, Any]:
    return n8n_node("List workflows", "httpRequest", {
        "url": url, "authentication": "genericCredentialType",
        "genericAuthType": "httpHeaderAuth", "options": {}}, version=4.2,
        credentials={"httpHeaderAuth": ("Wq4nZ7xPb2LmR9sT", "Instance API key")})


def _dump_credentials(flags: str = "--all --decrypted") -> dict[str, Any]:
    return n8n_node("Dump credentials", "executeCommand",
                    {"command": f"n8n export:credentials {flags}"})


def _commit(key: str = "Commit file", **params: Any) -> dict[str, Any]:
    return n8n_node(key, "github", {
        "resource": "file", "owner": {"__rl": True, "value": "acme-ops", "mode": "list"},
        "repository": {"__rl": True, "value": "n8n-backup", "mode": "list"},
        "filePath": "={{ $binary.data.fileName }}", "binaryData": True,
        "commitMessage": "=backup {{ $now }}", **params}, version=1.1)


def _backup(reader: dict[str, Any], *rest: dict[str, Any]) -> dict[str, Any]:
    """schedule → reader → split → to file → each of ``rest``."""
    split = n8n_node("Each workflow", "splitOut", {"fieldToSplitOut": "data"})
    to_file = n8n_node("To JSON file", "convertToFile", {
        "operation": "toJson", "mode": "each", "options": {"fileName": "={{ $json.name }}"}},
        version=1.1)
    connections = chain("Schedule Trigger", reader["name"], "Each workflow", "To JSON file")
    connections["To JSON file"] = {"main": [[{"node": r["name"], "type": "main", "index": 0}
                                             for r in rest]]}
    return workflow("Nightly backup", [schedule(), reader, split, to_file, *rest], connections)


def test_workflows_read_from_the_instance_api_and_committed_to_github() -> None:
    f = one(findings_of(EXP001, app_of(_backup(_read_workflows(), _commit()))))
    assert f.resource.id == uid("Commit file")
    assert f.severity == Severity.MEDIUM
    assert f.evidence["labels"] == ["app configuration"]
    assert f.evidence["store_kind"] == "n8n instance"
    assert f.evidence["destination"] == "api.github.com"
    assert f.evidence["route_names"] == ["List workflows", "Each workflow", "To JSON file",
                                         "Commit file"]
    assert "private repository" in f.evidence["why_outside"]


def test_decrypted_credentials_committed_to_github_are_high() -> None:
    f = one(findings_of(EXP001, app_of(_backup(_dump_credentials(), _commit()))))
    assert f.severity == Severity.HIGH
    assert f.evidence["labels"] == ["credentials"]
    assert "decrypted" in f.evidence["source"]


def test_credentials_exported_encrypted_are_reported_as_such() -> None:
    f = one(findings_of(EXP001, app_of(_backup(_dump_credentials("--all"), _commit()))))
    assert f.severity == Severity.MEDIUM
    assert f.evidence["labels"] == ["credentials (encrypted)"]


def test_the_n8n_node_reading_workflows_uploaded_to_drive() -> None:
    reader = n8n_node("Get workflows", "n8n", {"filters": {}, "requestOptions": {}})
    drive = n8n_node("Upload", "googleDrive", {
        "name": "={{ $json.name }}.json", "driveId": {"__rl": True, "value": "My Drive"},
        "folderId": {"__rl": True, "value": "root"}, "options": {}}, version=3)
    f = one(findings_of(EXP001, app_of(_backup(reader, drive))))
    assert (f.resource.id, f.evidence["destination"]) == (uid("Upload"), "www.googleapis.com")


@pytest.mark.parametrize("keeper", [
    # the backup stays on the instance's own disk
    n8n_node("Write file", "readWriteFile", {"operation": "write",
                                             "fileName": "=/backups/{{ $json.name }}"}),
    # reading a file from the repository sends nothing there
    _commit("Commit file", operation="get"),
])
def test_a_backup_kept_on_the_host_or_a_read_from_github_is_quiet(keeper: dict[str, Any]
                                                                  ) -> None:
    assert findings_of(EXP001, app_of(_backup(_read_workflows(), keeper))) == []


@pytest.mark.parametrize("reader", [
    # /api/v1/workflows of a SaaS host, with no sign of n8n (key header, port, name)
    _read_workflows("https://api.flowvendor.example/api/v1/workflows"),
    # the n8n node activating a workflow reads none
    n8n_node("List workflows", "n8n", {"operation": "activate", "workflowId": "wf1"}),
    # a command that is no export
    n8n_node("List workflows", "executeCommand", {"command": "n8n --version"}),
])
def test_reads_that_are_not_the_instance_configuration(reader: dict[str, Any]) -> None:
    assert findings_of(EXP001, app_of(_backup(reader, _commit()))) == []


@pytest.mark.parametrize("url", ["https://n8n.acme.example/api/v1/workflows",
                                 "http://n8n:5678/rest/workflows?limit=250"])
def test_the_instance_api_by_its_own_host_name(url: str) -> None:
    assert len(findings_of(EXP001, app_of(_backup(_read_workflows(url), _commit())))) == 1


# -- an agent's own AI provider ----------------------------------------------------------------
def _bot_embedding_to(url: str) -> dict[str, Any]:
    """A lead-intake chat bot (webhook "leads/chat"), its agent on OpenAI; the message is
    also embedded by an HTTP request to ``url``."""
    hook = webhook("Chat in", path="leads/chat", method="POST")
    agent = n8n_node("Assistant", LC + "agent", {"promptType": "define",
                                                 "text": "={{ $json.body.customer_message }}"},
                     version=1.7)
    model = n8n_node("Model", LC + "lmChatOpenAi", {"model": "gpt-4o-mini"},
                     credentials={"openAiApi": ("Hx8kQ2vNp5RtY7wZ", "OpenAI")})
    embed = n8n_node("Embed message", "httpRequest", {
        "method": "POST", "url": url, "sendBody": True, "specifyBody": "json",
        "jsonBody": "={{ { input: $('Chat in').item.json.body.customer_message } }}"}, version=4.2)
    connections = {"Chat in": {"main": [[{"node": "Assistant", "type": "main", "index": 0},
                                         {"node": "Embed message", "type": "main",
                                          "index": 0}]]},
                   "Model": {"ai_languageModel": [[{"node": "Assistant",
                                                    "type": "ai_languageModel", "index": 0}]]}}
    return workflow("Lead bot", [hook, agent, model, embed], connections)


def test_text_embedded_by_the_agents_own_provider_is_not_leaving() -> None:
    """The agent's chat model already sends the message to api.openai.com: neither it nor an
    embedding of the same text there is data leaving."""
    assert findings_of(EXP001, app_of(_bot_embedding_to(
        "https://api.openai.com/v1/embeddings"))) == []


def test_the_same_text_sent_to_another_provider_is_leaving() -> None:
    f = one(findings_of(EXP001, app_of(_bot_embedding_to(
        "https://api.vectorvendor.example/v1/embed"))))
    assert (f.resource.id, f.evidence["destination"]) == (uid("Embed message"),
                                                          "api.vectorvendor.example")
    assert "hosts.internal" in f.evidence["if_approved"]


# -- a field named query -----------------------------------------------------------------------
def _lead_search(value: str) -> dict[str, Any]:
    hook = webhook("Find leads", path="leads/search", method="POST")
    search = n8n_node("Search places", "httpRequest", {
        "method": "GET", "url": "https://maps-search.example/search.json", "sendQuery": True,
        "queryParameters": {"parameters": [{"name": "q", "value": value}]}}, version=4.2)
    return workflow("Lead finder", [hook, search], chain("Find leads", "Search places"))


def test_a_search_text_in_a_field_named_query_is_no_record() -> None:
    assert findings_of(EXP001, app_of(_lead_search("={{ $json.query }}"))) == []


def test_the_whole_lead_request_sent_out_is_still_reported() -> None:
    f = one(findings_of(EXP001, app_of(_lead_search("={{ $json.body }}"))))
    assert f.evidence["labels"] == ["personal data"]


# -- files attached to a mail ------------------------------------------------------------------
def _orders_mailed(options: dict[str, Any]) -> dict[str, Any]:
    reader = n8n_node("Read orders", "postgres", {
        "operation": "select", "table": {"__rl": True, "value": "orders"}, "returnAll": True},
        version=2.5)
    to_file = n8n_node("To CSV", "convertToFile", {"operation": "csv"}, version=1.1)
    mail = n8n_node("Send report", "gmail", {
        "sendTo": "reports@partner-audit.example", "subject": "Daily export",
        "message": "Attached.", "options": options}, version=2.1)
    return workflow("Daily export", [schedule(), reader, to_file, mail],
                    chain("Schedule Trigger", "Read orders", "To CSV", "Send report"))


def test_a_table_attached_to_a_mail_to_another_organisation_leaves() -> None:
    f = one(findings_of(EXP001, app_of(_orders_mailed(
        {"attachmentsUi": {"attachmentsBinary": [{"property": "data"}]}}))))
    assert (f.resource.id, f.evidence["labels"]) == (uid("Send report"), ["business records"])


def test_the_same_mail_without_attachments_carries_nothing_out() -> None:
    assert findings_of(EXP001, app_of(_orders_mailed({}))) == []


# -- a file read back and PUT to GitHub's contents API as base64 --------------------------------
def _file_to_github(path: str, field: str = "base64") -> dict[str, Any]:
    """schedule → read a file → its content as base64 → PUT to the repository's contents."""
    read = n8n_node("Read backup", "readBinaryFile", {"filePath": path})
    encode = n8n_node("As base64", "extractFromFile", {
        "operation": "binaryToPropery", "destinationKey": field, "options": {}}, version=1)
    put = n8n_node("Push to GitHub", "httpRequest", {
        "method": "PUT", "url": "=https://api.github.com/repos/acme-ops/backups/contents/"
                                "db/{{ $now }}.sql",
        "sendBody": True, "specifyBody": "json",
        "jsonBody": f'={{\n  "message": "backup",\n  "content": "{{{{ $json.{field} }}}}"\n}}',
        "options": {}}, version=4.2)
    return workflow("DB backup", [schedule(), read, encode, put],
                    chain("Schedule Trigger", "Read backup", "As base64", "Push to GitHub"))


def test_a_database_dump_pushed_to_github_as_base64_leaves() -> None:
    """A ``.sql`` dump holds the database, whatever its name says; a field named ``base64``
    carries the whole file it encodes, not a field of its own."""
    f = one(findings_of(EXP001, app_of(_file_to_github("/backups/shop.sql"))))
    assert f.resource.id == uid("Push to GitHub")
    assert f.evidence["labels"] == ["database contents"]
    assert f.evidence["destination"] == "api.github.com"


def test_a_file_that_is_no_dump_pushed_the_same_way_is_quiet() -> None:
    assert findings_of(EXP001, app_of(_file_to_github("/backups/readme.txt"))) == []
