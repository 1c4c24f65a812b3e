"""An open n8n webhook in "lastNode" mode answers with whatever its last node outputs: a Gmail,
Outlook or Google Calendar read of the owner's account there is served to any caller, as a
table read is (EXP002). Sending a mail, or reading behind the platform's authentication, is not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import EXP002
from tests.test_checks_n8n import app_of, chain, code, n8n_node, uid, webhook, workflow


def _reader(node_type: str, params: dict[str, Any], auth: str | None = None) -> Any:
    entry = webhook("Ask", path="inbox", method="POST", auth=auth)
    read = n8n_node("Read account", node_type, params)
    shape = code("Shape", "return [{ json: { items: $input.all().map(i => i.json) } }];")
    return app_of(workflow("Assistant", [entry, read, shape],
                           chain("Ask", "Read account", "Shape")))


READS = [("gmail", {"operation": "getAll", "limit": 10, "filters": {}}),
         ("microsoftOutlook", {"resource": "message", "operation": "getAll"}),
         ("googleCalendar", {"operation": "getAll", "calendar": "primary"})]


@pytest.mark.parametrize(("node_type", "params"), READS)
def test_an_open_route_answering_with_the_owners_mail_or_calendar_serves_it(
        node_type: str, params: dict[str, Any]) -> None:
    assert ids(findings_of(EXP002, _reader(node_type, params))) == {uid("Read account")}


@pytest.mark.parametrize(("node_type", "params"), READS)
def test_the_same_read_behind_header_auth_serves_only_its_callers(
        node_type: str, params: dict[str, Any]) -> None:
    assert findings_of(EXP002, _reader(node_type, params, auth="headerAuth")) == []


@pytest.mark.parametrize(("node_type", "params"), [
    ("gmail", {"operation": "send", "sendTo": "ops@example.org", "message": "hi"}),
    ("googleCalendar", {"operation": "create", "calendar": "primary"})])
def test_sending_or_creating_answers_with_no_record_of_the_account(
        node_type: str, params: dict[str, Any]) -> None:
    assert findings_of(EXP002, _reader(node_type, params)) == []
