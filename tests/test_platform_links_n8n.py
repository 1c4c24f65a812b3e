"""A link the messaging service itself makes is not a URL its user wrote: when someone mentions
a bot with a file attached, the app asks Slack about the file and downloads it from the link
Slack gives (its own servers, with the app's Slack credential). The user picked which file,
not where the request goes, so INJ001 (server-side request forgery) stays quiet there, and
fires when the URL is text the user wrote. Distilled from a law office's contract intake, in
our own words."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, ids
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow

INJ001 = injection.test_untrusted_input_does_not_reach_sinks


def _intake(url_from: str) -> dict[str, Any]:
    """Slack mention → get the attached file → keep its link → download it."""
    get = {"resource": "file", "operation": "get", "fileId": "={{ $json.files[0].id }}"}
    nodes = [
        n8n_node("Slack Trigger", "slackTrigger", {"trigger": ["app_mention"], "options": {}}),
        n8n_node("Get a file", "slack", {"authentication": "oAuth2", **get}, version=2.3),
        n8n_node("Keep link", "set", {"assignments": {"assignments": [
            {"id": uid("a:link"), "name": "download", "value": url_from, "type": "string"}]},
            "options": {}}, version=3.4),
        n8n_node("Download contract", "httpRequest", {
            "url": "={{ $json.download }}", "authentication": "predefinedCredentialType",
            "nodeCredentialType": "slackOAuth2Api", "options": {}}, version=4.2)]
    return workflow("Contract intake", nodes,
                    chain("Slack Trigger", "Get a file", "Keep link", "Download contract"))


@pytest.mark.parametrize("link", ["url_private_download", "url_private", "permalink"])
def test_inj001_slacks_own_link_to_a_file_is_no_url_the_user_wrote(link: str) -> None:
    assert findings_of(INJ001, app_of(_intake(f"={{{{ $json.{link} }}}}"))) == []


@pytest.mark.parametrize("url_from", [
    "={{ $json.title }}",  # the file's title: the uploader typed it
    "={{ $json.initial_comment.comment }}",
    "={{ $('Slack Trigger').item.json.text }}",  # the mention itself
])
def test_inj001_a_url_the_user_wrote_still_steers_the_request(url_from: str) -> None:
    assert ids(findings_of(INJ001, app_of(_intake(url_from)))) == {uid("Download contract")}
