"""EXP001 on what a Node-RED request sends, in our own words from a real flow: a context object
(set outside the export) the request's headers read a bot token from is its credential, not
a record sent, however the step reading it is named; a record of customers in the body still
is one."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of
from tests.rules import EXP001
from tests.test_checks_nodered import app_of, function, http_request, inject, tab


def _notify(body: str) -> list[dict[str, Any]]:
    return [tab(),
            inject("hourly", to=["format customer leads"]),
            function("format customer leads", "msg.headers = { Authorization: 'Bearer ' + "
                     "global.get('settings').BOT_TOKEN };\n"
                     f"msg.payload = {body};\nreturn msg;", to=["post"]),
            http_request("post", "https://chat.example-messenger.com/api/post")]


def test_a_token_read_into_the_headers_from_context_is_no_record_sent() -> None:
    assert findings_of(EXP001, app_of_flows(_notify("{ text: 'hourly digest ready' }"))) == []


def test_a_stored_record_in_the_body_is_still_sent() -> None:
    found = findings_of(EXP001, app_of_flows(_notify("{ rows: global.get('customers') }")))
    assert len(found) == 1


def app_of_flows(flows: list[dict[str, Any]]) -> Any:
    return app_of(flows)
