"""A chat platform's own address of an uploaded file (issue 11, INJ001), distilled in our own
words from a real contract intake: a Slack mention's files are looked up with Slack's file
info, and each is downloaded from the private download address Slack gives it. That address
is on Slack's own file host whatever the sender uploaded: the download is no request to a
server the sender picks. What the file holds is still the sender's: written into sheet cells
it is reported. A URL the sender types in the message stays theirs."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow


def _intake(download_url: str) -> dict[str, Any]:
    """Slack mention → its files → Slack file info → keep the address → download it → the
    file's text into a sheet row (cells evaluated as typed)."""
    nodes = [
        n8n_node("Mention", "slackTrigger", {"trigger": ["app_mention"]}),
        n8n_node("Files", "splitOut", {"fieldToSplitOut": "files"}),
        n8n_node("File info", "slack", {"resource": "file", "operation": "get",
                                        "fileId": "={{ $json.id }}"}, version=2.3),
        n8n_node("Keep address", "set", {"assignments": {"assignments": [
            {"id": "a1", "name": "address", "type": "string", "value": download_url}]},
            "options": {}}, version=3.4),
        n8n_node("Download", "httpRequest", {"url": "={{ $json.address }}",
                                             "authentication": "predefinedCredentialType",
                                             "nodeCredentialType": "slackOAuth2Api",
                                             "options": {}}, version=4.2),
        n8n_node("File text", "extractFromFile", {"operation": "pdf"}),
        n8n_node("Log contract", "googleSheets", {
            "operation": "append", "documentId": {"__rl": True, "value": "1cX"},
            "sheetName": {"__rl": True, "value": "gid=0"},
            "columns": {"mappingMode": "defineBelow",
                        "value": {"Text": "={{ $json.text }}"}},
            "options": {"cellFormat": "USER_ENTERED"}}, version=4.5),
    ]
    return workflow("Contract intake", nodes, chain(
        "Mention", "Files", "File info", "Keep address", "Download", "File text",
        "Log contract"))


def _flagged(wf: dict[str, Any]) -> set[str]:
    app = app_of(wf)
    return {app.resource_of(f.resource.id).name
            for check in (INJ001, INJ002) for f in findings_of(check, app)
            if f.resource.id in (uid("Download"), uid("Log contract"))}


def test_slacks_own_download_address_is_no_server_the_sender_picks() -> None:
    assert _flagged(_intake("={{ $json.url_private_download }}")) == {"Log contract"}


def test_a_url_the_sender_typed_is_still_theirs() -> None:
    assert _flagged(_intake("={{ $('Mention').item.json.text }}")) == {"Download",
                                                                     "Log contract"}
