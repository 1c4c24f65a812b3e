"""INV002 and sub-workflows: n8n runs a workflow an Execute Workflow node calls whatever its
own active flag says, so an inactive sub-workflow an active workflow calls (directly or through
another sub-workflow) is in use, its credentials with it. One nobody running calls, one only an
inactive workflow calls, and an archived one are still left behind.
Distilled from a bot's instance backup, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import INV002
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, wf_id, wid, workflow


def _caller(name: str, calls: str, *, active: bool, trigger: bool = True) -> dict[str, Any]:
    start = schedule() if trigger else n8n_node(
        "When called", "executeWorkflowTrigger", {"inputSource": "passthrough"}, version=1.1)
    run = n8n_node("Run part", "executeWorkflow", {
        "workflowId": {"__rl": True, "value": wid(calls), "mode": "list"}, "options": {}},
        version=1.2)
    return workflow(name, [start, run], chain(start["name"], "Run part"), active=active)


def _notifier(*, archived: bool = False) -> dict[str, Any]:
    """The inactive sub-workflow that posts with the bot's credential."""
    start = n8n_node("When called", "executeWorkflowTrigger", {"inputSource": "passthrough"},
                     version=1.1)
    send = n8n_node("Send", "telegram", {"chatId": "={{ $json.chat }}", "text": "={{ $json.text }}",
                                         "additionalFields": {}}, version=1.2,
                    credentials={"telegramApi": ("Tg7Kq2Lm9Xc4Vb1N", "Bot")})
    return workflow("Notify", [start, send], chain("When called", "Send"), active=False,
                    archived=archived)


@pytest.mark.parametrize(("callers", "fires"), [
    ([("Daily digest", "Notify", True)], False),  # an active workflow calls it
    ([("Daily digest", "Notify", False)], True),  # only an inactive one does
    ([], True),  # nobody calls it
])
def test_inv002_inactive_sub_workflow_an_active_workflow_calls_is_in_use(
        callers: list[tuple[str, str, bool]], fires: bool) -> None:
    app = app_of(_notifier(), *(_caller(n, c, active=a) for n, c, a in callers))
    assert (wf_id("Notify") in ids(findings_of(INV002, app))) is fires


def test_inv002_called_through_another_sub_workflow_is_in_use() -> None:
    """Active digest → inactive formatter (no credential) → inactive notifier."""
    app = app_of(_notifier(), _caller("Daily digest", "Format", active=True),
                 _caller("Format", "Notify", active=False, trigger=False))
    assert findings_of(INV002, app) == []


def test_inv002_archived_sub_workflow_still_fires_though_called() -> None:
    app = app_of(_notifier(archived=True), _caller("Daily digest", "Notify", active=True))
    assert wf_id("Notify") in ids(findings_of(INV002, app))
