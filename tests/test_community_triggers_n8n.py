"""Community trigger nodes of a messaging or mail service (a polling Telegram bot, a WhatsApp
gateway's trigger, LINE): whichever package implements the trigger, what it brings in is what
anyone on that service sent, as with n8n's own Telegram trigger. A community trigger of
another kind of service (a video platform, a database) keeps its events of unknown origin.
Distilled in our own words from bots that poll Telegram through a community package."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.n8n_flow import untrusted_trigger
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow


def _bot(trigger_type: str) -> Any:
    trigger = n8n_node("Bot Trigger", trigger_type, {"updates": ["*"]},
                       credentials={"telegramApi": ("Vq4Lm8Rt2XyZ6nBc", "Shop bot")})
    save = n8n_node("Save message", "postgres", {
        "operation": "executeQuery",
        "query": "INSERT INTO inbox (text) VALUES ('{{ $json.message.text }}');"}, version=2.6)
    return app_of(workflow("Shop bot", [trigger, save], chain("Bot Trigger", "Save message")))


@pytest.mark.parametrize("trigger_type", [
    "n8n-nodes-telegram-polling.telegramPollingTrigger",
    "@acme/n8n-nodes-waha.wahaTrigger",
    "n8n-nodes-line.lineMessagingTrigger",
])
def test_a_community_message_trigger_brings_in_a_senders_text(trigger_type: str) -> None:
    app = _bot(trigger_type)
    f = one(findings_of(INJ001, app))
    assert f.resource.id == uid("Save message")
    assert trigger_type.rpartition(".")[0] in f.message
    assert findings_of(INJ002, app) == []


@pytest.mark.parametrize("trigger_type", [
    "n8n-nodes-social-video.videoUploadTrigger",  # names no messaging service
    "n8n-nodes-telegram-tools.telegramSender",  # a messaging package, but not its trigger
])
def test_other_community_nodes_stay_of_unknown_origin(trigger_type: str) -> None:
    app = _bot(trigger_type)
    assert findings_of(INJ001, app) == []


def test_only_packaged_community_triggers_are_read_by_their_name() -> None:
    assert untrusted_trigger("n8n-nodes-base.telegramTrigger") == "Telegram bot messages"
    assert untrusted_trigger("n8n-nodes-base.emailTrigger") is None  # no such n8n node
    assert untrusted_trigger("EmailTrigger") is None  # no package: not a loadable node
    assert untrusted_trigger("@n8n/n8n-nodes-langchain.chatTrigger") is None
