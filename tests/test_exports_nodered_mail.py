"""A Node-RED ``e-mail`` node is a mail sender (issue 11, EXP001): what it mails reaches its
recipients, not the SMTP server it hands the mail to, so it is judged like any mail. A route
that mails what its caller typed to the address the caller typed copies no internal data out
(the open relay is AUTH001's); one that mails a labelled file it reads does. Distilled in our
own words from a deployment a reviewer triaged."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, one
from tests.rules import EXP001
from tests.test_checks_nodered import app_of, http_in, http_response, nid, node, tab

RELAY = [{"t": "set", "p": "to", "pt": "msg", "to": "payload.email", "tot": "msg"},
         {"t": "set", "p": "topic", "pt": "msg", "to": "payload.topic", "tot": "msg"},
         {"t": "set", "p": "payload", "pt": "msg", "to": "payload.message", "tot": "msg"}]


def _mail_route(*middle: dict[str, Any], first: str = "address") -> list[dict[str, Any]]:
    """POST /email → … → e-mail through smtp.gmail.com, and a 201 to the caller."""
    return [tab(), http_in("in", "/email", to=[first, "ok"]), *middle,
            node("address", "change", rules=RELAY, wires=[["mail"]]),
            node("mail", "e-mail", server="smtp.gmail.com", port="465", secure=True,
                 authtype="BASIC", name="", dname="mail", wires=[]),
            http_response("ok")]


def test_mailing_what_the_caller_typed_to_the_address_they_typed_is_no_export() -> None:
    assert findings_of(EXP001, app_of(_mail_route())) == []


def test_mailing_a_labelled_file_the_route_reads_is_an_export() -> None:
    read = node("read", "file in", filename="/data/customers.csv", format="utf8",
                wires=[["address"]])
    found = one(findings_of(EXP001, app_of(_mail_route(read, first="read"))))
    assert found.resource.id == nid("mail") and found.evidence["origin"] == "store"
    assert found.evidence["destination"] == "smtp.gmail.com"
