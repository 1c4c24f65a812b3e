"""An n8n URL written as a JavaScript expression that starts with a string literal
(``={{ 'http://crm.partner.example/api/' + $json.id }}``, a template literal up to its first
``${``) has a fixed scheme and host: only its path is computed. The destination is that host,
as ``=http://crm.partner.example/api/{{ $json.id }}`` is; an expression that starts with a
value (``={{ $json.base + '/leads' }}``) or builds the host itself stays computed."""

from __future__ import annotations

import pytest

from tests.checkrun import findings_of, one
from tests.rules import ENC001, EXP001
from tests.test_checks_n8n import app_of, chain, http_request, schedule, workflow


def _push(url: str) -> dict[str, object]:
    return workflow("Lead sync", [schedule(), http_request("Push lead", url)],
                    chain("Schedule Trigger", "Push lead"))


@pytest.mark.parametrize("url", [
    "={{ 'http://crm.acme-partner.com/api/leads/' + $json.id }}",
    '={{ "http://crm.acme-partner.com/api/leads/" + $json.id + "/notes" }}',
    "={{ `http://crm.acme-partner.com/api/leads/${$json.id}` }}",
])
def test_a_literal_start_fixes_the_host(url: str) -> None:
    f = one(findings_of(ENC001, app_of(_push(url))))
    assert (f.evidence["host"], f.evidence["zone"]) == ("crm.acme-partner.com", "internet")


@pytest.mark.parametrize("url", [
    "={{ $json.base + '/api/leads' }}",
    "={{ 'http://' + $json.host + '/api/leads' }}",
])
def test_a_computed_start_stays_computed(url: str) -> None:
    assert all(f.evidence["host"] == "" for f in findings_of(ENC001, app_of(_push(url))))


def _whatsapp(path: str) -> dict[str, object]:
    entry = {"parameters": {"httpMethod": "POST", "path": "booking", "options": {}},
             "id": "a0000000-0000-4000-8000-000000000001", "name": "Booking",
             "type": "n8n-nodes-base.webhook", "typeVersion": 2, "position": [0, 0],
             "webhookId": "a0000000-0000-4000-8000-000000000002"}
    send = http_request("Message guest", "={{ 'https://graph.facebook.com/v20.0/' + "
                        f"$env.PHONE_ID + '{path}' }}}}")
    send["parameters"]["bodyParameters"] = {"parameters": [
        {"name": "to", "value": "={{ $json.body.phone }}"},
        {"name": "text", "value": "={{ 'Hi ' + $json.body.guest_name + ', booked!' }}"}]}
    return workflow("Bookings", [entry, send], chain("Booking", "Message guest"))


def test_a_message_to_the_records_own_number_is_no_export() -> None:
    """The messages endpoint is read through the literal-start URL: each guest is sent
    their own booking, as a mail to their own address is."""
    assert findings_of(EXP001, app_of(_whatsapp("/messages"))) == []


def test_the_same_fields_posted_elsewhere_on_the_api_are() -> None:
    assert len(findings_of(EXP001, app_of(_whatsapp("/contacts")))) == 1
