"""A public form that only takes a submission in is open by design (a sign-up, a request desk),
and a mail to the address the submitter gave is a confirmation. Not when a model's step runs
between them: the item is the model's answer then, and an address it "found" in free text
names whoever the text says. Distilled from a real ops-desk form: an extractor pulls a
recipient out of the request text and the desk mails it (AUTH001: anyone can make the owner's
Gmail write to anyone)."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, ids
from tests.rules import AUTH001
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow

LC = "@n8n/n8n-nodes-langchain."


def _desk(*middle: dict[str, Any]) -> dict[str, Any]:
    form = n8n_node("Request form", "formTrigger",
                    {"formTitle": "Ops desk", "formFields": {"values": [
                        {"fieldLabel": "Your email"}, {"fieldLabel": "What do you need?"}]}},
                    version=2.2, webhook=True)
    log = n8n_node("Log request", "googleSheets",
                   {"operation": "append", "documentId": {"__rl": True, "value": "sheet1"},
                    "columns": {"mappingMode": "autoMapInputData", "value": {}}}, version=4.5)
    mail = n8n_node("Mail", "gmail",
                    {"sendTo": "={{ $json.contact_email }}", "subject": "From the desk",
                     "message": "We received your request."}, version=2.1)
    nodes = [form, *middle, log, mail]
    return workflow("Ops desk", nodes, chain(*(n["name"] for n in nodes)))


def test_auth001_form_mailing_an_address_a_model_extracted_is_reported() -> None:
    extract = n8n_node("Extract", LC + "informationExtractor",
                       {"text": "={{ $json['What do you need?'] }}"}, version=1.2)
    assert ids(findings_of(AUTH001, app_of(_desk(extract)))) == {uid("Request form")}


def test_auth001_form_confirming_to_the_address_submitted_stays_open_by_design() -> None:
    shape = n8n_node("Shape", "set", {"assignments": {"assignments": [
        {"name": "contact_email", "value": "={{ $json['Your email'] }}", "type": "string"}]}},
        version=3.4)
    assert findings_of(AUTH001, app_of(_desk(shape))) == []
