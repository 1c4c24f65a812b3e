"""Patterns of the fourth blind set of real n8n exports, distilled in our own words: archived
workflows, entry points behind which nothing acts, URL paths whose value is not the caller's,
and chat-bot tokens. Each fires on the bad shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

from pytest_nocode.checks import test_authentication as authentication
from pytest_nocode.checks import test_encryption as encryption
from pytest_nocode.checks import test_injection as injection
from pytest_nocode.checks import test_inventory as inventory
from pytest_nocode.checks import test_secrets as secrets
from tests.checkrun import findings_of, one
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    telegram_trigger,
    uid,
    workflow,
)

AUTH001 = authentication.test_entry_points_require_authentication
ENC002 = encryption.test_certificates_are_verified
INJ001 = injection.test_untrusted_input_does_not_reach_sinks
INJ002 = injection.test_sinks_do_not_interpolate_data
INV002 = inventory.test_inactive_workflows_hold_no_credentials
SEC001 = secrets.test_no_hardcoded_credentials


# -- A. an archived workflow runs nothing until it is restored --------------------------------
def _video_bot(*, active: bool, archived: bool) -> dict[str, Any]:
    """An open Telegram bot → a command built from the message → a download from a host the
    message names with certificate checks off, and a typed API key."""
    fetch = n8n_node("Download", "httpRequest", {
        "url": "={{ $('Telegram Trigger').item.json.message.text }}",
        "sendHeaders": True, "headerParameters": {"parameters": [
            {"name": "Authorization", "value": "Bearer 9fQ2kZx81LmT4vRw7YbN3cPd6HsJ0aEu"}]},
        "options": {"allowUnauthorizedCerts": True}}, version=4.2)
    nodes = [telegram_trigger(), execute_command("Run", "=yt-dlp {{ $json.message.text }}"),
             fetch]
    return workflow("Video bot", nodes, chain("Telegram Trigger", "Run", "Download"),
                    active=active, archived=archived)


def test_archived_workflow_reports_nothing_it_would_do_when_run() -> None:
    """n8n 2 cannot activate an archived workflow before someone restores it: its entry
    points, sinks and requests are off like a disabled Node-RED tab's."""
    app = app_of(_video_bot(active=False, archived=True))
    for rule in (AUTH001, INJ001, INJ002, ENC002):
        assert findings_of(rule, app) == [], rule.__name__


def test_archived_workflow_still_lists_its_credentials_and_typed_keys() -> None:
    """What the export holds is there whether or not it runs: the bound credential (INV002,
    marked archived) and the typed key (SEC001)."""
    app = app_of(_video_bot(active=False, archived=True))
    assert one(findings_of(INV002, app)).evidence["archived"] is True
    assert one(findings_of(SEC001, app)).resource.id == uid("Download")


def test_inactive_workflow_that_is_not_archived_is_still_reported() -> None:
    app = app_of(_video_bot(active=False, archived=False))
    assert one(findings_of(AUTH001, app)).message.endswith(
        "(workflow inactive: reachable once activated)")
    assert {f.resource.id for f in findings_of(INJ001, app)} == {uid("Run"), uid("Download")}
    assert one(findings_of(ENC002, app)).resource.id == uid("Download")


# -- an inactive workflow's form value fetched as a URL: one activation from INJ001 -----------
def _fetch_the_link(trigger: dict[str, Any], *, active: bool) -> dict[str, Any]:
    fetch = n8n_node("Fetch video", "httpRequest", {
        "url": "={{ $json['Video link'] }}", "options": {}}, version=4.2)
    return workflow("Video saver", [trigger, fetch], chain(trigger["name"], "Fetch video"),
                    active=active)


def _link_form() -> dict[str, Any]:
    return n8n_node("Link form", "formTrigger", {
        "formTitle": "Save a video", "formFields": {"values": [
            {"fieldLabel": "Video link", "requiredField": True}]}, "options": {}},
        version=2.2, webhook=True)


def test_inj002_inactive_form_value_fetched_as_the_url() -> None:
    app = app_of(_fetch_the_link(_link_form(), active=False))
    f = one(findings_of(INJ002, app))
    assert f.resource.id == uid("Fetch video")
    assert "(not active)" in f.message
    assert findings_of(INJ001, app) == []
    active = app_of(_fetch_the_link(_link_form(), active=True))
    assert one(findings_of(INJ001, active)).resource.id == uid("Fetch video")
    assert findings_of(INJ002, active) == []  # INJ001's, not both


def test_inj002_quiet_on_a_url_read_from_a_table() -> None:
    """A URL from the app's own rows is no caller's: neither rule reports the fetch."""
    rows = n8n_node("Read feeds", "postgres", {
        "operation": "select", "table": {"__rl": True, "value": "feeds", "mode": "list"},
        "returnAll": True, "options": {}}, version=2.5,
        credentials={"postgres": ("p1", "Feeds DB")})
    fetch = n8n_node("Fetch video", "httpRequest", {
        "url": "={{ $json.link }}", "options": {}}, version=4.2)
    wf = workflow("Feeds", [n8n_node("Schedule Trigger", "scheduleTrigger", {
        "rule": {"interval": [{"field": "hours"}]}}, version=1.2), rows, fetch],
        chain("Schedule Trigger", "Read feeds", "Fetch video"))
    app = app_of(wf)
    assert findings_of(INJ002, app) == []
    assert findings_of(INJ001, app) == []
