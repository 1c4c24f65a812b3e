"""INJ003: a model's answer that goes back only to the sender who prompted it is a reply, not
an action the sender steered. Distilled shapes, in our own words:

- a LINE-style chat webhook whose model answer is pushed to the user id the platform gave the
  sender (quiet), against a push to a user the model named (fires);
- a mail to the address the caller typed in is still an action (anyone's address may be
  typed), as is one to an address the model extracted;
- a session row updated with a model's summary, filtered by the sender's own id from the
  webhook (quiet), against a filter whose key the model wrote (fires);
- the same for a database update whose matching column holds the sender's id.
"""

from __future__ import annotations

from typing import Any

from pytest_nocode.dataflow import TARGET_SINKS, dataflow
from tests.checkrun import findings_of, one
from tests.rules import INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."
SENDER = "={{ $('Webhook').item.json.body.email }}"


def _after_model(action: dict[str, Any]) -> dict[str, Any]:
    """POST webhook → a model prompted with the body's text → ``action``."""
    model = n8n_node("Draft", LC + "chainLlm",
                     {"promptType": "define", "text": "={{ $json.body.text }}"}, version=1.5)
    return workflow("Helpdesk", [webhook(method="POST"), model, action],
                    chain("Webhook", "Draft", action["name"]))


def _mail(to: str) -> dict[str, Any]:
    return n8n_node("Answer", "gmail", {"operation": "send", "sendTo": to, "subject": "Re",
                                        "message": "={{ $json.text }}"}, version=2.1)


def _push(to: str) -> dict[str, Any]:
    return n8n_node("Answer", "@aotoki/n8n-nodes-line-messaging.lineMessaging",
                    {"operation": "send", "to": to,
                     "messages": {"values": [{"text": "={{ $json.text }}"}]}})


def test_inj003_model_answer_pushed_back_to_the_sender_is_a_reply() -> None:
    app = app_of(_after_model(_push("={{ $('Webhook').item.json.body.source.userId }}")))
    assert findings_of(INJ003, app) == []
    # the target is followed apart from the content: the sender's id only
    target = dataflow(app).sinks_of(uid("Answer"), TARGET_SINKS)
    assert [o.kind for t in target for o in t.origins] == ["entry"]


def test_inj003_push_to_a_user_the_model_named_fires() -> None:
    one(findings_of(INJ003, app_of(_after_model(_push("={{ $json.text }}")))))


def test_inj003_mail_to_the_address_typed_in_or_extracted_fires() -> None:
    one(findings_of(INJ003, app_of(_after_model(_mail(SENDER)))))
    one(findings_of(INJ003, app_of(_after_model(_mail("={{ $json.text.split(' ')[0] }}")))))


def test_inj003_recipient_from_the_sender_and_the_model_still_fires() -> None:
    mixed = "={{ $('Webhook').item.json.body.email }},{{ $json.text }}"
    one(findings_of(INJ003, app_of(_after_model(_mail(mixed)))))


def _session_update(key: str) -> dict[str, Any]:
    return n8n_node("Save", "supabase", {
        "operation": "update", "tableId": "sessions",
        "filters": {"conditions": [{"keyName": "email", "condition": "eq", "keyValue": key}]},
        "fieldsUi": {"fieldValues": [{"fieldId": "summary", "fieldValue": "={{ $json.text }}"}]}})


def test_inj003_update_of_the_senders_own_row_is_quiet() -> None:
    assert findings_of(INJ003, app_of(_after_model(_session_update(SENDER)))) == []


def test_inj003_update_of_a_row_the_model_picks_fires() -> None:
    one(findings_of(INJ003, app_of(_after_model(_session_update("={{ $json.text }}")))))


def _matched_update(key: str) -> dict[str, Any]:
    return n8n_node("Save", "postgres", {
        "operation": "update", "table": "sessions",
        "columns": {"mappingMode": "defineBelow", "matchingColumns": ["email"],
                    "value": {"email": key, "summary": "={{ $json.text }}"}}}, version=2.5)


def test_inj003_matching_column_holds_the_senders_id_quiet_or_the_models_fires() -> None:
    assert findings_of(INJ003, app_of(_after_model(_matched_update(SENDER)))) == []
    one(findings_of(INJ003, app_of(_after_model(_matched_update("={{ $json.text }}")))))


def test_inj003_no_target_parameter_fails_closed() -> None:
    """A step with nothing naming whom or which row (a create) is still reported."""
    create = n8n_node("Save", "supabase", {
        "operation": "create", "tableId": "notes",
        "fieldsUi": {"fieldValues": [{"fieldId": "body", "fieldValue": "={{ $json.text }}"}]}})
    one(findings_of(INJ003, app_of(_after_model(create))))
