"""EXP001 and messages that go where the data already belongs, in our own words.

Three shapes a reviewer does not file: a message sent to the very person the record is about
(each customer row mailed its own reminder, each lead's own phone sent its follow-up), a
WhatsApp Cloud API message built from what WhatsApp itself delivered (judged as a mail is),
and a post to a server the app reaches by its bare IP address without a key (a machine the
owner runs). Each beside the look-alike that is still reported."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import DataFlow
from tests.checkrun import findings_of
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, chain, n8n_node, postgres, schedule, webhook, workflow


def _customers() -> dict[str, Any]:
    return postgres(
        "Due customers",
        "executeQuery",
        query="SELECT email, phone, full_name, balance, 'Balance due' AS message "
        "FROM customers WHERE due < now()",
    )


def _reported(*nodes: dict[str, Any], start: dict[str, Any] | None = None) -> set[str]:
    first = start or schedule()
    wf = workflow("Reminders", [first, *nodes], chain(first["name"], *(n["name"] for n in nodes)))
    return {f.resource.name for f in findings_of(EXP001, app_of(wf))}


def _mail(to: str) -> dict[str, Any]:
    return n8n_node(
        "Mail reminder",
        "gmail",
        {
            "sendTo": to,
            "subject": "Your balance",
            "message": "=Dear {{ $json.full_name }}, you owe {{ $json.balance }}.",
        },
        version=2.1,
    )


def _post(url: str, body: str, **extra: Any) -> dict[str, Any]:
    return n8n_node(
        "Send",
        "httpRequest",
        {
            "method": "POST",
            "url": url,
            "sendBody": True,
            "specifyBody": "json",
            "jsonBody": body,
            "options": {},
            **extra,
        },
        version=4.2,
    )


# -- the data's own subject ------------------------------------------------------------------
def test_each_row_mailed_to_its_own_address_is_quiet() -> None:
    assert _reported(_customers(), _mail("={{ $json.email }}")) == set()


def test_rows_combined_then_mailed_to_one_rows_address_are_reported() -> None:
    combine = n8n_node("All in one", "aggregate", {"aggregate": "aggregateAllItemData"})
    assert _reported(_customers(), combine, _mail("={{ $json.data[0].email }}")) == {
        "Mail reminder"
    }


def test_rows_mailed_to_an_address_of_another_record_are_reported() -> None:
    other = postgres(
        "Account manager", "executeQuery", query="SELECT manager_email FROM managers LIMIT 1"
    )
    mail = n8n_node(
        "Mail reminder",
        "gmail",
        {
            "sendTo": "={{ $json.manager_email }}",
            "subject": "Due today",
            "message": "={{ $('Due customers').item.json.full_name }} owes "
            "{{ $('Due customers').item.json.balance }}",
        },
        version=2.1,
    )
    assert _reported(_customers(), other, mail) == {"Mail reminder"}


def test_a_message_request_to_the_rows_own_phone_is_quiet() -> None:
    # (the fields are judged by the record's names: its phone and its message text)
    send = _post(
        "https://notify.vendor-sms.example/api/send",
        "={{ JSON.stringify({ to: $json.phone, text: $json.message }) }}",
    )
    assert _reported(_customers(), send) == set()


def test_a_request_copying_the_records_other_fields_is_reported() -> None:
    # the phone is there, but so is the name: a copy of the record, not a message to it
    send = _post(
        "https://notify.vendor-sms.example/api/send",
        "={{ JSON.stringify({ phone: $json.phone, name: $json.full_name }) }}",
    )
    assert _reported(_customers(), send) == {"Send"}


# -- the WhatsApp Cloud API is a message channel ----------------------------------------------
def _whatsapp(to: str, text: str) -> dict[str, Any]:
    return _post(
        "https://graph.facebook.com/v21.0/104233119876543/messages",
        '={"messaging_product": "whatsapp", "to": "' + to + '", "type": "text", '
        '"text": {"body": "' + text + '"}}',
        sendHeaders=True,
        headerParameters={
            "parameters": [{"name": "Authorization", "value": "=Bearer {{ $env.WA_TOKEN }}"}]
        },
    )


def test_a_whatsapp_alert_to_a_fixed_number_with_what_whatsapp_sent_is_quiet() -> None:
    hook = webhook("WhatsApp in", "wa/inbound", "POST")
    alert = _whatsapp(
        "15550001111", "Bot failed for {{ $json.body.contact_name }} ({{ $json.body.from }})"
    )
    assert _reported(alert, start=hook) == set()


def test_stored_rows_sent_over_whatsapp_to_a_fixed_number_are_reported() -> None:
    alert = _whatsapp("15550001111", "{{ $json.full_name }} owes {{ $json.balance }}")
    assert _reported(_customers(), alert) == {"Send"}


# -- a server reached by its bare address ---------------------------------------------------
def _leads_to(host: str, *, key_on_every_call: bool) -> set[str]:
    hook = webhook("Lead in", "leads/new", "POST")
    keyed = {
        "sendHeaders": True,
        "headerParameters": {
            "parameters": [{"name": "Authorization", "value": "=Bearer {{ $env.LEADS_TOKEN }}"}]
        },
    }
    store = _post(
        f"http://{host}:3001/api/leads",
        "={{ JSON.stringify({ contact: $json.body.phone, name: $json.body.full_name }) }}",
        **(keyed if key_on_every_call else {}),
    )
    notify = n8n_node(
        "Notify",
        "httpRequest",
        {
            "method": "POST",
            "url": f"http://{host}:3001/api/bot/send",
            "sendBody": True,
            "specifyBody": "json",
            "jsonBody": "={{ JSON.stringify({ body: 'new lead' }) }}",
            "options": {},
            **keyed,
        },
        version=4.2,
    )
    wf = workflow("Leads", [hook, store, notify], chain("Lead in", "Send", "Notify"))
    return {f.resource.name for f in findings_of(EXP001, app_of(wf))}


def test_a_bare_ip_reached_without_a_key_is_the_owners_server() -> None:
    assert _leads_to("5.75.160.21", key_on_every_call=False) == set()


def test_a_bare_ip_reached_only_with_keys_is_still_reported() -> None:
    assert _leads_to("5.75.160.21", key_on_every_call=True) == {"Send"}


def test_a_named_host_with_a_key_on_another_path_is_still_reported() -> None:
    assert _leads_to("leads.crm-vendor.example", key_on_every_call=False) == {"Send"}


def test_a_request_with_only_the_rows_phone_is_reported() -> None:
    # an address alone posted to an API is the record's copy (a CRM contact), no message
    send = _post(
        "https://contacts.vendor-crm.example/api/add",
        "={{ JSON.stringify({ phone: $json.phone }) }}",
    )
    assert _reported(_customers(), send) == {"Send"}


def _sinks_asked_of_the_mail(monkeypatch: pytest.MonkeyPatch, tables: int) -> int:
    asked: list[str] = []
    sinks_of = DataFlow.sinks_of

    def counted(self: DataFlow, step_id: str, kinds: Any = None) -> Any:
        asked.append(step_id)
        return sinks_of(self, step_id, kinds)

    monkeypatch.setattr(DataFlow, "sinks_of", counted)
    reads = [postgres(f"Table {i}", "executeQuery",
                      query=f"SELECT email, full_name, balance FROM customers_{i}")
             for i in range(tables)]
    mail = n8n_node("Mail reminder", "gmail", {
        "sendTo": "={{ $json.email }}", "subject": "Your balance",
        "message": "=" + " ".join(f"{{{{ $('Table {i}').item.json.full_name }}}}"
                                  for i in range(tables))}, version=2.1)
    first = schedule()
    app = app_of(workflow("Reminders", [first, *reads, mail],
                          chain(first["name"], *(n["name"] for n in reads), mail["name"])))
    found = findings_of(EXP001, app)
    assert {f.resource.name for f in found} == ({"Mail reminder"} if tables > 1 else set())
    [sender] = [step for step in app.steps if step.name == "Mail reminder"]
    monkeypatch.undo()
    return asked.count(sender.id)


def test_where_a_senders_recipient_is_read_is_found_once_per_sender(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What a message's recipient is read from depends on its sender alone: it is found once,
    not again for each record the sender carries (thousands of store origins per sender at
    20,000 workflows, each asking for the sender's sinks and their origins again). The
    other tables' names mailed to the last table's address are still reported."""
    assert _sinks_asked_of_the_mail(monkeypatch, 6) == _sinks_asked_of_the_mail(monkeypatch, 1)
