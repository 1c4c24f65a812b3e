"""Residual patterns of the sixth blind set of real n8n exports, distilled in our own words:
a model that only classifies the caller's text and picks a branch; a row appended column by
column; a Code step that returns its input as it came; a row's own primary key read back; an
HMAC verified timing-safe and refused in one Code step. Each fires on the bad shape and stays
quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from tests.checkrun import findings_of, one
from tests.rules import AUTH004, INJ001, INJ002, INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow

LANGCHAIN = "@n8n/n8n-nodes-langchain."


def _intake_hook() -> dict[str, Any]:
    return n8n_node("Intake", "webhook", {"httpMethod": "POST", "path": "intake",
                                          "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)


# -- 1. a classifier whose answer only picks a branch ------------------------------------------
def _classifier() -> dict[str, Any]:
    return n8n_node("Classify", LANGCHAIN + "openAi", {
        "modelId": {"__rl": True, "value": "gpt-4o-mini", "mode": "list"},
        "responses": {"values": [{"role": "system", "content":
                                  "=Pick one desk for this request: {{ $json.body.text }}"}]}},
        version=1.8)


def _picks(desk: str) -> dict[str, Any]:
    return n8n_node("Which desk", "if", {"conditions": {
        "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict"},
        "conditions": [{"id": uid("desk"), "leftValue": "={{ $json.output[0].content[0].text }}",
                        "rightValue": desk, "operator": {"type": "string",
                                                         "operation": "equals"}}],
        "combinator": "and"}, "options": {}}, version=2.2)


def _append_row(name: str, values: dict[str, str], mode: str = "defineBelow"
                ) -> dict[str, Any]:
    return n8n_node(name, "googleSheets", {
        "operation": "append", "documentId": {"__rl": True, "value": "1DeskSheet"},
        "sheetName": {"__rl": True, "value": "gid=0"},
        "columns": {"mappingMode": mode, "value": values},
        "options": {"cellFormat": "RAW"}}, version=4.5)  # cells stay text: no formula sink


def _classify_then(action: dict[str, Any]) -> dict[str, Any]:
    """open webhook → a model classifying the caller's text → If on its answer → ``action``."""
    wf = workflow("Desk router", [_intake_hook(), _classifier(), _picks("billing"), action],
                  chain("Intake", "Classify", "Which desk"))
    wf["connections"]["Which desk"] = {"main": [[{"node": action["name"], "type": "main",
                                                  "index": 0}], []]}
    return wf


def test_inj003_quiet_on_a_classifier_whose_answer_only_picks_the_row_written() -> None:
    """The caller picks the desk by what they write anyway: the model adds nothing."""
    row = _append_row("File billing", {"Desk": "billing",
                                       "Request": "={{ $('Intake').item.json.body.text }}"})
    assert findings_of(INJ003, app_of(_classify_then(row))) == []


def test_inj003_a_branch_picked_by_the_model_that_also_sends_its_answer() -> None:
    post = n8n_node("Open ticket", "httpRequest", {
        "method": "POST", "url": "https://desk.example.com/api/tickets", "sendBody": True,
        "bodyParameters": {"parameters": [
            {"name": "summary", "value": "={{ $json.output[0].content[0].text }}"}]},
        "options": {}}, version=4.2)
    f = one(findings_of(INJ003, app_of(_classify_then(post))))
    assert f.resource.id == uid("Open ticket")
    assert "when 'Which desk' picks it" in f.message


def test_inj003_a_branch_picked_by_the_model_that_runs_another_workflow() -> None:
    """A called workflow is handed the item, the model's answer with it."""
    run = n8n_node("Run billing", "executeWorkflow", {
        "workflowId": {"__rl": True, "mode": "list", "value": "wfBilling"}}, version=1.2)
    assert one(findings_of(INJ003, app_of(_classify_then(run)))).resource.id == uid("Run billing")


def test_inj003_an_agent_with_an_acting_tool_that_also_picks_a_branch() -> None:
    """An agent whose tools act decides more than a label: its branch stays reported too."""
    wf = _classify_then(_append_row("File billing", {"Desk": "billing"}))
    agent = n8n_node("Classify", LANGCHAIN + "agent", {
        "promptType": "define", "text": "=Pick one desk: {{ $json.body.text }}"}, version=2)
    tool = n8n_node("Delete ticket", "httpRequestTool", {
        "method": "DELETE", "url": "https://desk.example.com/api/tickets/1",
        "options": {}}, version=4.2)
    wf["nodes"] = [n for n in wf["nodes"] if n["name"] != "Classify"] + [agent, tool]
    wf["connections"]["Delete ticket"] = {"ai_tool": [[{"node": "Classify", "type": "ai_tool",
                                                         "index": 0}]]}
    found = {f.resource.id for f in findings_of(INJ003, app_of(wf))}
    assert found == {uid("Classify"), uid("File billing")}


# -- 2. a row mapped column by column stores those values, not the item ------------------------
@pytest.mark.parametrize(("mode", "tainted"), [("defineBelow", False),
                                               ("autoMapInputData", True)])
def test_a_sheet_row_holds_what_its_columns_map_not_the_item_passing_by(
        mode: str, tainted: bool) -> None:
    """A model's answer passing through to a row appended column by column is not in the
    sheet, so a later read of that sheet carries none of it; mapped automatically, it is."""
    row = _append_row("File billing", {"Request": "={{ $('Intake').item.json.body.text }}"},
                      mode)
    wf = _classify_then(row)
    read = n8n_node("Read desk", "googleSheets", {
        "documentId": {"__rl": True, "value": "1DeskSheet"},
        "sheetName": {"__rl": True, "value": "gid=0"}, "options": {}}, version=4.5)
    mail = n8n_node("Mail desk", "gmail", {"sendTo": "={{ $json.Email }}", "subject": "New",
                                            "message": "=New request"}, version=2.1)
    wf["nodes"] += [read, mail]
    wf["connections"]["File billing"] = {"main": [[{"node": "Read desk", "type": "main",
                                                     "index": 0}]]}
    wf["connections"]["Read desk"] = {"main": [[{"node": "Mail desk", "type": "main",
                                                  "index": 0}]]}
    flow = dataflow(app_of(wf))
    kinds = {o.kind for sf in flow.sinks_of(uid("Mail desk")) for o in sf.origins}
    assert ("ai" in kinds) is tainted


# -- 3. a Code step returning its input as it came ----------------------------------------------
MEDIA_CHECK = """const item = $input.first();
if (item.json.error || !item.json.url) {
  const sender = $('Messages').item.json.messages[0].from;
  return [{ json: { notice: 'Could not fetch the media', sender } }];
}
return [item];"""


def _media_download(code: str) -> dict[str, Any]:
    """WhatsApp messages → the media URL looked up by the message's media id → code that
    checks the answer → a request to that URL."""
    trigger = n8n_node("Messages", "whatsAppTrigger", {"updates": ["messages"]}, version=1,
                       webhook=True)
    lookup = n8n_node("Media URL", "whatsApp", {
        "resource": "media", "operation": "mediaUrlGet",
        "mediaGetId": "={{ $json.messages[0].audio.id }}"}, version=1)
    check = n8n_node("Check media", "code", {"jsCode": code}, version=2)
    fetch = n8n_node("Download", "httpRequest", {"url": "={{ $json.url }}", "options": {}},
                     version=4.2)
    return workflow("Voice notes", [trigger, lookup, check, fetch],
                    chain("Messages", "Media URL", "Check media", "Download"))


def test_inj001_quiet_when_code_passes_the_platforms_media_url_on_untouched() -> None:
    """The trigger the code names fills only the error item's own fields, not ``url``."""
    assert findings_of(INJ001, app_of(_media_download(MEDIA_CHECK))) == []


def test_inj001_when_the_code_puts_the_senders_text_into_the_url() -> None:
    code = MEDIA_CHECK.replace("return [item];",
                               "return [{ json: { url: $('Messages').item.json.messages[0]"
                               ".text.body } }];")
    f = one(findings_of(INJ001, app_of(_media_download(code))))
    assert f.resource.id == uid("Download")


def test_inj001_when_the_code_changes_a_field_of_the_item_it_returns() -> None:
    code = MEDIA_CHECK.replace("return [item];",
                               "item.json.url = $('Messages').item.json.messages[0].text.body;"
                               "\nreturn [item];")
    f = one(findings_of(INJ001, app_of(_media_download(code))))
    assert f.resource.id == uid("Download")


# -- 4. a row's own primary key read back ---------------------------------------------------------
def _mark_done(column: str) -> dict[str, Any]:
    """schedule → select pending rows → an UPDATE pasting the row's ``column``."""
    clock = n8n_node("Every hour", "scheduleTrigger", {"rule": {"interval": [{}]}},
                     version=1.2)
    rows = n8n_node("Pending", "postgres", {"operation": "select", "schema": "public",
                                            "table": "tasks", "limit": 1}, version=2.5)
    done = n8n_node("Mark done", "postgres", {
        "operation": "executeQuery",
        "query": f"UPDATE tasks SET done = TRUE WHERE id = "
                 f"'{{{{ $('Pending').item.json.{column} }}}}';"}, version=2.5)
    return workflow("Tasks", [clock, rows, done], chain("Every hour", "Pending", "Mark done"))


def test_inj002_quiet_on_the_rows_own_primary_key() -> None:
    assert findings_of(INJ002, app_of(_mark_done("id"))) == []


@pytest.mark.parametrize("column", ["title", "owner_id"])
def test_inj002_on_other_columns_the_app_may_have_written(column: str) -> None:
    """A text column, or a key-like column (``owner_id``) that holds what the app wrote."""
    assert one(findings_of(INJ002, app_of(_mark_done(column)))).resource.id == uid("Mark done")


# -- 5. an HMAC verified timing-safe and refused in one Code step ------------------------------
VERIFY = """const crypto = require('crypto');
const signature = $input.first().json.headers['x-shop-signature'];
const raw = Buffer.from($input.first().binary.data.data, 'base64').toString('utf8');
const expected = crypto.createHmac('sha256', $env.SHOP_SECRET).update(raw).digest('base64');
const a = Buffer.from(signature || ''), b = Buffer.from(expected);
if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
  throw new Error('bad signature');
}
return [{ json: JSON.parse(raw) }];"""


def _signed_hook(code: str) -> dict[str, Any]:
    """open webhook → code checking the signature → an If on the order status → a step."""
    hook = n8n_node("Orders", "webhook", {"httpMethod": "POST", "path": "orders",
                                          "options": {"rawBody": True}}, version=2,
                    webhook=True)
    verify = n8n_node("Verify", "code", {"jsCode": code}, version=2)
    paid = n8n_node("Paid?", "if", {"conditions": {"conditions": [{
        "leftValue": "={{ $json.status }}", "rightValue": "paid",
        "operator": {"type": "string", "operation": "equals"}}], "combinator": "and"}},
        version=2.2)
    store = n8n_node("Store", "code", {"jsCode": "if (!$json.id) throw new Error('no id');\n"
                                                 "return [{ json: $json }];"}, version=2)
    return workflow("Shop", [hook, verify, paid, store], chain("Orders", "Verify", "Paid?",
                                                                 "Store"))


def test_auth004_quiet_on_an_hmac_compared_timing_safe_and_refused_in_one_step() -> None:
    assert findings_of(AUTH004, app_of(_signed_hook(VERIFY))) == []


def test_auth004_on_an_hmac_over_the_body_serialised_again() -> None:
    """Over ``JSON.stringify`` of the parsed body, not the bytes sent: worth a review."""
    code = VERIFY.replace(".update(raw)", ".update(JSON.stringify($input.first().json.body))")
    assert one(findings_of(AUTH004, app_of(_signed_hook(code)))).resource.id == uid("Orders")


def test_auth004_on_a_plain_comparison() -> None:
    """``!==`` leaks how much of the signature matched: the check is worth a review."""
    code = VERIFY.replace("a.length !== b.length || !crypto.timingSafeEqual(a, b)",
                          "signature !== expected")
    assert one(findings_of(AUTH004, app_of(_signed_hook(code)))).resource.id == uid("Orders")


def test_auth004_when_the_code_leaves_the_refusal_to_a_branch_after_it() -> None:
    """Timing-safe, but the code only says whether it matched; the If after it refuses."""
    code = VERIFY.replace("""if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
  throw new Error('bad signature');
}
return [{ json: JSON.parse(raw) }];""", """const valid = a.length === b.length &&
  crypto.timingSafeEqual(a, b);
return [{ json: { valid } }];""")
    wf = _signed_hook(code)
    gate = next(n for n in wf["nodes"] if n["name"] == "Paid?")
    gate["parameters"]["conditions"]["conditions"][0] = {
        "leftValue": "={{ $json.valid }}", "rightValue": True,
        "operator": {"type": "boolean", "operation": "true", "singleValue": True}}
    assert one(findings_of(AUTH004, app_of(wf))).resource.id == uid("Orders")
