"""INJ003: a model's answer that goes back only to the sender who prompted it is a reply, not
an action the sender steered. Distilled shapes, in our own words:

- a webhook chat where a model drafts an answer mailed to the address the sender gave
  (quiet), against the same mail whose recipient the model extracted (fires);
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


def test_inj003_model_answer_mailed_back_to_the_sender_is_a_reply() -> None:
    app = app_of(_after_model(_mail(SENDER)))
    assert findings_of(INJ003, app) == []
    # the target is followed apart from the content: the sender's address only
    target = dataflow(app).sinks_of(uid("Answer"), TARGET_SINKS)
    assert [o.kind for t in target for o in t.origins] == ["entry"]


def test_inj003_recipient_the_model_picked_still_fires() -> None:
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
