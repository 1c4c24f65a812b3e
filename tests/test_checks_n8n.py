"""Detection tests of the built-in checks on n8n: each check fires on a realistic bad workflow
and stays quiet on a look-alike good one.

Apps are built through the real n8n adapter from workflows shaped like n8n exports (nodes with
id, name, type, typeVersion, position, parameters, credentials, webhookId; connections keyed by
node name; workflow settings and tags), plus the instance's users where a check needs them.
Each check function is called with the fixtures it names, as the plugin would call it; a few
pytester runs prove the same through the real plugin.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec
from pytest_nocode.checks import test_authentication as authentication
from pytest_nocode.checks import test_commands as commands
from pytest_nocode.checks import test_configuration as configuration
from pytest_nocode.checks import test_connectors as connectors
from pytest_nocode.checks import test_encryption as encryption
from pytest_nocode.checks import test_injection as injection
from pytest_nocode.checks import test_inventory as inventory
from pytest_nocode.checks import test_logging as logging_checks
from pytest_nocode.checks import test_permissions as permissions
from pytest_nocode.checks import test_platform_audit as platform_audit
from pytest_nocode.findings import Severity
from pytest_nocode.model import EFFECTS, App
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.n8n import N8nPlatform
from pytest_nocode.testing import rule_of
from tests.checkrun import (
    NOT_APPLICABLE,
    Check,
    findings_of,
    ids,
    one,
    policy,
    skip_reason,
)
from tests.rules import (
    AUTH001,
    AUTH004,
    CFG004,
    CMD001,
    CMD002,
    CON001,
    CON002,
    ENC001,
    ENC002,
    EXP001,
    EXP002,
    INJ001,
    INJ002,
    INV001,
    INV002,
    INV004,
    INV005,
    LOG001,
    LOG003,
    PERM002,
    PLAT001,
    SEC001,
)

ADAPTER = N8nPlatform()
DETECTION = Path(__file__).resolve().parent / "data" / "detection"


# -- n8n workflows as n8n exports them ---------------------------------------------------------
_NS = uuid.UUID("6f1c2a4e-8b3d-4c5e-9f7a-0b1c2d3e4f50")


def uid(key: str) -> str:
    """A stable node UUID (or webhook id) for a readable key."""
    return str(uuid.uuid5(_NS, key))


def wid(key: str) -> str:
    """A stable 16-character workflow id for a readable key."""
    return hashlib.sha1(key.encode()).hexdigest()[:16]


BASE = "n8n-nodes-base."


def n8n_node(key: str, ntype: str, parameters: dict[str, Any], *, name: str | None = None,
             version: float = 1, credentials: dict[str, tuple[str, str]] | None = None,
             webhook: bool = False, **extra: Any) -> dict[str, Any]:
    """One node; ``key`` is its name unless ``name`` is given; credentials type → (id, name)."""
    out: dict[str, Any] = {"parameters": parameters, "id": uid(key), "name": name or key,
                           "type": ntype if "." in ntype else BASE + ntype,
                           "typeVersion": version, "position": [220, 0]}
    if webhook:
        out["webhookId"] = uid(f"webhook:{key}")
    if credentials:
        out["credentials"] = {ctype: {"id": cid, "name": cname}
                              for ctype, (cid, cname) in credentials.items()}
    out.update(extra)
    return out


def chain(*names: str) -> dict[str, Any]:
    """Connections of a straight line of nodes, keyed by node name as n8n stores them."""
    return {a: {"main": [[{"node": b, "type": "main", "index": 0}]]}
            for a, b in pairwise(names)}


def workflow(name: str, nodes: list[dict[str, Any]], connections: dict[str, Any], *,
             active: bool = True, archived: bool = False, tags: Iterable[str] = (),
             **settings: Any) -> dict[str, Any]:
    return {
        "createdAt": "2025-03-04T10:21:07.311Z", "updatedAt": "2025-05-20T14:02:55.870Z",
        "id": wid(name), "name": name, "active": active, "isArchived": archived,
        "nodes": nodes, "connections": connections,
        "settings": {"executionOrder": "v1", **settings},
        "staticData": None, "meta": {"templateCredsSetupCompleted": True}, "pinData": {},
        "versionId": uid(f"version:{name}"), "triggerCount": 1 if active else 0,
        "tags": [{"createdAt": "2025-03-04T10:21:07.311Z",
                  "updatedAt": "2025-03-04T10:21:07.311Z", "id": wid(f"tag:{t}"), "name": t}
                 for t in tags],
    }


def app_of(*workflows: dict[str, Any], users: list[dict[str, Any]] | None = None,
           app_id: str = "n8n-detect") -> App:
    """The App the n8n adapter builds from exported workflows (and users, when given)."""
    data: dict[str, Any] = {"workflows": list(workflows)}
    if users is not None:
        data["users"] = users
    spec = AppSpec(f"n8n+file:{app_id}", "n8n", "file", f"/srv/{app_id}", app_id)
    return ADAPTER.normalize(spec, RawSnapshot("n8n", data, "file"))


# -- common nodes --------------------------------------------------------------------------------
def webhook(key: str = "Webhook", path: str = "ops/ping", method: str = "GET",
            auth: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"httpMethod": method, "path": path,
                              "responseMode": "lastNode", "options": {}}
    creds = None
    if auth is not None:
        params["authentication"] = auth
        if auth == "headerAuth":
            creds = {"httpHeaderAuth": ("dVXsPzk9T2gFX1qB", "Ops webhook header auth")}
        elif auth == "basicAuth":
            creds = {"httpBasicAuth": ("Kq3ZtR8vW1yX5aBc", "Ops webhook basic auth")}
    return n8n_node(key, "webhook", params, version=2, webhook=True, credentials=creds)


def schedule(key: str = "Schedule Trigger") -> dict[str, Any]:
    return n8n_node(key, "scheduleTrigger", {"rule": {"interval": [{"triggerAtHour": 2}]}},
                    version=1.2)


def execute_command(key: str, command: str) -> dict[str, Any]:
    return n8n_node(key, "executeCommand", {"command": command})


def http_request(key: str, url: str, **options: Any) -> dict[str, Any]:
    return n8n_node(key, "httpRequest", {"method": "POST", "url": url, "sendBody": True,
                                         "bodyParameters": {"parameters": [
                                             {"name": "email", "value": "={{ $json.email }}"}]},
                                         "options": options}, version=4.2)


def postgres(key: str, operation: str, **params: Any) -> dict[str, Any]:
    return n8n_node(key, "postgres", {"operation": operation, **params}, version=2.5,
                    credentials={"postgres": ("4VucwEHGMX3gY66g", "Leads DB (prod)")})


def select_orders(key: str = "Yesterday's orders") -> dict[str, Any]:
    return postgres(key, "select",
                    schema={"__rl": True, "value": "public", "mode": "list"},
                    table={"__rl": True, "value": "orders", "mode": "list"}, returnAll=True,
                    options={})


def respond(key: str = "Respond to Webhook") -> dict[str, Any]:
    return n8n_node(key, "respondToWebhook", {"respondWith": "json",
                                              "responseBody": '={\n  "ok": true\n}',
                                              "options": {}}, version=1.1)


def wf_id(name: str) -> str:
    return wid(name)


def ping_runbook(*, auth: str | None = None, active: bool = True, **settings: Any
                 ) -> dict[str, Any]:
    nodes = [webhook(auth=auth), execute_command("Ping host",
                                                 "=ping -c 1 {{ $json.query.host }}"),
             respond()]
    return workflow("Ops runbook", nodes, chain("Webhook", "Ping host", "Respond to Webhook"),
                    active=active, **settings)


# == AUTH001 =====================================================================================


def save_lead(key: str = "Save lead") -> dict[str, Any]:
    return postgres(key, "insert", table={"__rl": True, "value": "leads", "mode": "list"},
                    columns={"mappingMode": "autoMapInputData", "value": {}}, options={})


def _lead_capture(auth: str | None, *, active: bool = True,
                  archived: bool = False) -> dict[str, Any]:
    nodes = [webhook(path="lead-capture", method="POST", auth=auth), save_lead(), respond()]
    return workflow("Lead capture webhook", nodes,
                    chain("Webhook", "Save lead", "Respond to Webhook"),
                    active=active, archived=archived)


def test_auth001_webhook_without_authentication_fires_high() -> None:
    f = one(findings_of(AUTH001, app_of(_lead_capture(None))))
    assert (f.resource.kind, f.resource.id) == ("node", uid("Webhook"))
    assert f.resource.path == f"workflows/{wf_id('Lead capture webhook')}/{uid('Webhook')}"
    assert f.severity is Severity.HIGH
    assert f.evidence == {"kind": "webhook", "route": "lead-capture", "methods": ["POST"],
                          "authentication": "none", "type": "n8n-nodes-base.webhook",
                          "effect": "records",
                          "effect_reason": "step 'Save lead' (postgres) adds what is submitted "
                                           "as a new record"}


def test_auth001_webhook_with_explicit_none_fires() -> None:
    assert ids(findings_of(AUTH001, app_of(_lead_capture("none")))) == {uid("Webhook")}


@pytest.mark.parametrize("auth", ["headerAuth", "basicAuth", "jwtAuth"])
def test_auth001_webhook_with_authentication_is_quiet(auth: str) -> None:
    assert findings_of(AUTH001, app_of(_lead_capture(auth))) == []


def test_auth001_webhook_of_a_workflow_that_is_not_active_is_low() -> None:
    """n8n registers production webhooks of active workflows only, but whoever activates the
    workflow (or imports the file) opens the door: reported, at low severity. An archived one
    must be restored first: not reported (tests/test_n8n_blind4.py)."""
    f = one(findings_of(AUTH001, app_of(_lead_capture(None, active=False))))
    assert f.severity is Severity.LOW
    assert f.message.endswith("(workflow inactive: reachable once activated)")
    assert findings_of(AUTH001, app_of(_lead_capture("headerAuth", active=False))) == []
    assert findings_of(AUTH004, app_of(_lead_capture(None, active=False))) == []
    assert findings_of(AUTH001, app_of(_lead_capture(None, active=False, archived=True))) == []


def test_auth001_inactive_workflows_are_left_out_when_the_policy_says_so() -> None:
    quiet = policy("version: 1\nsettings:\n  report_inactive_entry_points: false\n")
    assert findings_of(AUTH001, app_of(_lead_capture(None, active=False)), quiet) == []
    assert one(findings_of(AUTH001, app_of(_lead_capture(None)), quiet)).severity is (
        Severity.HIGH)


def test_auth001_disabled_webhook_node_is_quiet() -> None:
    wf = _lead_capture(None)
    wf["nodes"][0]["disabled"] = True
    assert findings_of(AUTH001, app_of(wf)) == []
    asks = policy("version: 1\nsettings:\n  report_inactive_entry_points: true\n")
    assert findings_of(AUTH001, app_of(wf), asks) == []  # disabled is never reported


# -- checks in the first steps (AUTH004) ----------------------------------------------------------


def if_node(key: str, left: str, operation: str = "equals",
            right: str = "={{ $env.PARTNER_SIGNATURE }}") -> dict[str, Any]:
    return n8n_node(key, "if", {"conditions": {
        "options": {"caseSensitive": True, "leftValue": "", "typeValidation": "strict"},
        "conditions": [{"id": uid(f"cond:{key}"), "leftValue": left, "rightValue": right,
                        "operator": {"type": "string", "operation": operation}}],
        "combinator": "and"}, "options": {}}, version=2)


def reject(key: str = "Reject", code: int = 401) -> dict[str, Any]:
    return n8n_node(key, "respondToWebhook", {"respondWith": "json",
                                              "responseBody": '={"error": "unauthorized"}',
                                              "options": {"responseCode": code}}, version=1.1)


def code(key: str, js: str) -> dict[str, Any]:
    return n8n_node(key, "code", {"jsCode": js}, version=2)


def branches(source: str, *outputs: list[str]) -> dict[str, Any]:
    """Connections of one branching node: one list of target names per output."""
    return {source: {"main": [[{"node": t, "type": "main", "index": 0} for t in out]
                              for out in outputs]}}


def _signed_partner_hook(nodes: list[dict[str, Any]], connections: dict[str, Any]
                         ) -> dict[str, Any]:
    hook = webhook(path="partner/orders", method="POST")
    save = postgres("Save order", "insert", table={"__rl": True, "value": "orders"})
    return workflow("Partner orders", [hook, *nodes, respond("Accept"), save],
                    {**chain("Webhook", nodes[0]["name"]), **chain("Accept", "Save order"),
                     **connections})


SIGNATURE_IF = if_node("Check signature", '={{ $json.headers["x-partner-signature"] }}')
SIGNED_BY_IF = _signed_partner_hook([SIGNATURE_IF, reject()],
                                    branches("Check signature", ["Accept"], ["Reject"]))
HMAC_JS = """const crypto = require('crypto');
const expected = crypto.createHmac('sha256', $env.PARTNER_SECRET)
  .update(JSON.stringify($json.body)).digest('hex');
const given = $json.headers['x-hub-signature-256'] || '';
if (!crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
  throw new Error('bad signature');
}
return $input.all();"""


def test_auth004_if_on_a_signature_header_routing_failures_to_401_is_its_own_verdict() -> None:
    app = app_of(SIGNED_BY_IF)
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert f.resource.id == uid("Webhook") and f.severity is Severity.LOW
    assert f.evidence["guard"] == {
        "step": uid("Check signature"), "name": "Check signature",
        "type": "n8n-nodes-base.if", "compares": "header x-partner-signature",
        "on_failure": "responds 401 ('Reject')"}
    assert "step 'Check signature' checks header x-partner-signature" in f.message


def test_auth004_code_computing_an_hmac_that_throws_on_mismatch() -> None:
    wf = _signed_partner_hook([code("Verify HMAC", HMAC_JS)], chain("Verify HMAC", "Accept"))
    f = one(findings_of(AUTH004, app_of(wf)))
    assert f.evidence["guard"]["compares"] == (
        "header x-hub-signature-256, a signature computed in code (HMAC/JWT)")
    assert f.evidence["guard"]["on_failure"] == "stops the run in code when the check fails"
    assert findings_of(AUTH001, app_of(wf)) == []


def test_auth004_code_flagging_validity_then_if_to_stop_and_error() -> None:
    js = ("const sig = require('crypto').createHmac('sha256', $env.KEY)"
          ".update($json.rawBody).digest('hex');\nreturn [{ json: { valid: sig === "
          "$json.headers['x-signature'] } }];")
    stop = n8n_node("Stop", "stopAndError", {"errorMessage": "invalid signature"})
    wf = _signed_partner_hook(
        [code("Compute HMAC", js), if_node("Valid?", "={{ $json.valid }}", "true", ""), stop],
        {**chain("Compute HMAC", "Valid?"), **branches("Valid?", ["Accept"], ["Stop"])})
    f = one(findings_of(AUTH004, app_of(wf)))
    assert f.evidence["guard"]["step"] == uid("Valid?")
    assert f.evidence["guard"]["on_failure"] == "stops with an error ('Stop')"


def test_auth001_hmac_that_signs_what_is_forwarded_is_no_check_of_the_caller() -> None:
    """An open webhook whose Crypto node HMAC-signs the body for the next service, followed by
    an IF on a body field: nothing compares what the caller sent with the computed value, so
    the endpoint is open (AUTH001), not guarded. Comparing an inbound signature header with
    the computed one in the IF is the look-alike that is a guard (AUTH004)."""
    sign = n8n_node("Sign for CRM", "crypto", {"action": "hmac", "type": "SHA256",
                                               "value": "={{ JSON.stringify($json.body) }}",
                                               "dataPropertyName": "signature"})
    by_kind = if_node("Lead?", '={{ $json.body.kind }}', "equals", "lead")
    signs = _signed_partner_hook([sign, by_kind], {**chain("Sign for CRM", "Lead?"),
                                                   **branches("Lead?", ["Accept"])})
    f = one(findings_of(AUTH001, app_of(signs)))
    assert f.resource.id == uid("Webhook")
    assert findings_of(AUTH004, app_of(signs)) == []
    compare = if_node("Signed by caller?", '={{ $json.headers["x-partner-signature"] }}',
                      "equals", "={{ $json.signature }}")
    verifies = _signed_partner_hook([sign, compare], {
        **chain("Sign for CRM", "Signed by caller?"), **branches("Signed by caller?",
                                                                 ["Accept"])})
    assert findings_of(AUTH001, app_of(verifies)) == []
    assert one(findings_of(AUTH004, app_of(verifies))).evidence["guard"]["step"] == uid(
        "Signed by caller?")


def test_auth004_switch_on_a_token_with_the_other_output_unwired() -> None:
    switch = n8n_node("Route by token", "switch", {"rules": {"values": [{"conditions": {
        "conditions": [{"leftValue": "={{ $json.query.token }}",
                        "rightValue": "={{ $env.HOOK_TOKEN }}",
                        "operator": {"type": "string", "operation": "equals"}}]}}]},
        "options": {}}, version=3)
    wf = _signed_partner_hook([switch], branches("Route by token", ["Accept"]))
    f = one(findings_of(AUTH004, app_of(wf)))
    assert f.evidence["guard"]["compares"] == "query parameter token"


def test_auth001_if_on_a_body_field_is_no_check_of_the_caller() -> None:
    by_type = if_node("Is order?", "={{ $json.body.type }}", right="order")
    wf = _signed_partner_hook([by_type, reject()],
                              branches("Is order?", ["Accept"], ["Reject"]))
    assert ids(findings_of(AUTH001, app_of(wf))) == {uid("Webhook")}
    assert findings_of(AUTH004, app_of(wf)) == []


def test_auth001_signature_if_whose_both_branches_go_on_is_open() -> None:
    log = n8n_node("Log call", "noOp", {})
    wf = _signed_partner_hook([SIGNATURE_IF, log],
                              {**branches("Check signature", ["Accept"], ["Log call"]),
                               **chain("Log call", "Accept")})
    assert ids(findings_of(AUTH001, app_of(wf))) == {uid("Webhook")}
    assert findings_of(AUTH004, app_of(wf)) == []


def test_auth001_webhook_fanning_out_past_its_check_is_open() -> None:
    wf = copy.deepcopy(SIGNED_BY_IF)
    wf["nodes"].append(select_orders())
    wf["connections"]["Webhook"]["main"][0].append(
        {"node": "Yesterday's orders", "type": "main", "index": 0})
    assert ids(findings_of(AUTH001, app_of(wf))) == {uid("Webhook")}


def test_auth001_check_after_a_call_out_comes_too_late() -> None:
    wf = _signed_partner_hook(
        [http_request("Forward", "https://erp.acme.io/orders"), SIGNATURE_IF, reject()],
        {**chain("Forward", "Check signature"),
         **branches("Check signature", ["Accept"], ["Reject"])})
    assert ids(findings_of(AUTH001, app_of(wf))) == {uid("Webhook")}


# -- Telegram bots ------------------------------------------------------------------------------
def telegram_trigger(key: str = "Telegram Trigger", **extra: str) -> dict[str, Any]:
    return n8n_node(key, "telegramTrigger", {"updates": ["message"],
                                             "additionalFields": dict(extra)},
                    version=1.1, webhook=True,
                    credentials={"telegramApi": ("Tg7bQ2mZk4XyP9aL", "Home bot")})


def _bot(trigger: dict[str, Any], *rest: dict[str, Any],
         connections: dict[str, Any] | None = None) -> dict[str, Any]:
    run = execute_command("Run", "=/opt/bot/{{ $json.message.text }}")
    return workflow("Home bot", [trigger, *rest, run],
                    connections if connections is not None else chain(trigger["name"], "Run"))


def test_auth001_telegram_trigger_without_allowed_chats_is_an_open_entry_point() -> None:
    app = app_of(_bot(telegram_trigger()))
    f = one(findings_of(AUTH001, app))
    assert f.resource.id == uid("Telegram Trigger")
    assert f.evidence["kind"] == "chat" and f.evidence["authentication"] == "none"
    assert f.message == ("telegram bot Home bot answers anyone on Telegram: it names no "
                         "allowed users or chats")
    # and its messages are untrusted input for the injection checks
    inj001 = injection.test_untrusted_input_does_not_reach_sinks
    assert ids(findings_of(inj001, app)) == {uid("Run")}


def test_auth001_telegram_trigger_of_an_inactive_workflow_follows_the_policy() -> None:
    wf = _bot(telegram_trigger())
    wf["active"] = False
    assert one(findings_of(AUTH001, app_of(wf))).severity is Severity.LOW
    quiet = policy("version: 1\nsettings:\n  report_inactive_entry_points: false\n")
    assert findings_of(AUTH001, app_of(wf), quiet) == []


@pytest.mark.parametrize("field", ["chatIds", "userIds"])
def test_auth001_telegram_trigger_restricted_to_chats_or_users_is_quiet(field: str) -> None:
    assert findings_of(AUTH001, app_of(_bot(telegram_trigger(**{field: "418273645"})))) == []


def test_auth004_telegram_sender_checked_by_an_if_with_no_else() -> None:
    sender = if_node("Only me", "={{ $json.message.from.id }}", right="418273645")
    wf = _bot(telegram_trigger(), sender,
              connections={**chain("Telegram Trigger", "Only me"),
                           **branches("Only me", ["Run"])})
    f = one(findings_of(AUTH004, app_of(wf)))
    assert f.evidence["guard"]["compares"] == "the message sender"
    assert findings_of(AUTH001, app_of(wf)) == []


def _contact_form(auth: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"formTitle": "Contact sales", "formFields": {"values": [
        {"fieldLabel": "Email", "fieldType": "email", "requiredField": True}]}, "options": {}}
    if auth:
        params["authentication"] = auth
    form = n8n_node("On form submission", "formTrigger", params, version=2.2, webhook=True)
    post = n8n_node("Post to Slack", "slack", {"select": "channel", "channelId": {
        "__rl": True, "mode": "name", "value": "={{ $json.Team }}"},
        "text": "={{ $json.Email }}"}, version=2.2)
    return workflow("Form to Slack", [form, post], chain("On form submission", "Post to Slack"))


def test_auth001_public_form_fires_and_form_with_basic_auth_is_quiet() -> None:
    f = one(findings_of(AUTH001, app_of(_contact_form(None))))
    assert f.resource.id == uid("On form submission")
    assert f.evidence["kind"] == "form"
    assert findings_of(AUTH001, app_of(_contact_form("basicAuth"))) == []


def _signup_form(*after: dict[str, Any], connections: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """A public sign-up form that keeps each answer as a new sheet row and mails the owner."""
    params: dict[str, Any] = {"formTitle": "Join the waiting list", "formFields": {"values": [
        {"fieldLabel": "Email", "fieldType": "email", "requiredField": True}]}, "options": {}}
    form = n8n_node("On form submission", "formTrigger", params, version=2.2, webhook=True)
    row = n8n_node("Add to list", "googleSheets", {
        "operation": "append", "documentId": {"__rl": True, "mode": "id", "value": "1AbC"},
        "sheetName": {"__rl": True, "mode": "name", "value": "Waiting list"},
        "columns": {"mappingMode": "autoMapInputData", "value": {}}}, version=4.5)
    notify = n8n_node("Tell the owner", "emailSend", {
        "fromEmail": "forms@acme.io", "toEmail": "sales@acme.io",
        "subject": "=New sign-up: {{ $json.Email }}", "text": "={{ $json.Email }}"}, version=2.1)
    nodes = [form, row, notify, *after]
    return workflow("Waiting list", nodes, connections if connections is not None else chain(
        *(n["name"] for n in nodes)))


def test_auth001_public_form_that_only_keeps_answers_and_mails_the_owner_is_quiet() -> None:
    """A sign-up, survey or application form exists to take what the public submits."""
    app = app_of(_signup_form())
    assert findings_of(AUTH001, app) == []
    asks = policy("version: 1\nsettings:\n  report_collecting_forms: true\n")
    f = one(findings_of(AUTH001, app, asks))
    assert f.severity is Severity.LOW and f.evidence["collects_only"] is True
    assert "only takes in what is submitted" in f.message


def test_auth001_public_form_whose_answers_a_model_classifies_is_still_collecting() -> None:
    """Asking a model about the answers (its provider is where it runs) is no action."""
    classify = n8n_node("Classify feedback", "openAi", {
        "resource": "chat", "prompt": {"messages": [
            {"content": "=Is this positive or negative? {{ $json.Email }}"}]}}, version=1.1)
    assert findings_of(AUTH001, app_of(_signup_form(classify))) == []


@pytest.mark.parametrize("after", [
    execute_command("Provision", "=/opt/provision {{ $json.Email }}"),
    http_request("Forward to CRM", "https://crm.example.com/api/leads"),
    select_orders(),
    n8n_node("Send the price list", "gmail", {
        "sendTo": "={{ $json.Email }}", "subject": "Welcome", "message": "Attached.",
        "options": {"attachmentsUi": {"attachmentsBinary": [{"property": "pricelist"}]}}},
        version=2.1),
    code("Enrich", "const r = await this.helpers.httpRequest({ url: 'https://x.example.com'"
                   " });\nreturn [{ json: { ...$json, r } }];"),
    n8n_node("Post as the company", "twitter", {"text": "={{ $json.Email }}"}, version=2),
], ids=["command", "web-service", "reads-stored-data", "file-to-typed-address", "own-code",
        "posts-as-the-account"])
def test_auth001_public_form_that_reaches_more_than_keeping_answers_fires(after: dict[str, Any]
                                                                        ) -> None:
    f = one(findings_of(AUTH001, app_of(_signup_form(after))))
    assert f.severity is Severity.HIGH and "collects_only" not in f.evidence


def test_auth001_form_whose_wiring_the_export_lost_is_judged_by_its_whole_workflow() -> None:
    """With the wiring gone, any step of the workflow may follow the form: one command among
    them is enough to report it; without one it is a collecting form (a sticky note beside
    it is documentation, not a step)."""
    note = n8n_node("Note", "stickyNote", {"content": "## Waiting list\nAnswers go to the sheet"})
    assert findings_of(AUTH001, app_of(_signup_form(note, connections={}))) == []
    wired_nowhere = _signup_form(execute_command("Provision", "=/opt/provision {{ $json.x }}"),
                                 connections={})
    assert one(findings_of(AUTH001, app_of(wired_nowhere))).severity is Severity.HIGH


def _token_checked_hook(connections: dict[str, Any]) -> dict[str, Any]:
    hook = webhook(path="donations", method="POST")
    check = if_node("Check token", "={{ $json.body.verification_token }}",
                    right="={{ $env.DONATION_TOKEN }}")
    stop = n8n_node("Stop", "stopAndError", {"errorMessage": "wrong token"})
    return workflow("Donations", [hook, check, stop, respond("Thanks"),
                                  save_lead("Record donation")], connections)


def test_auth004_token_check_in_a_workflow_whose_wiring_points_at_missing_nodes() -> None:
    """A collection that rewrote the wiring (connections keyed by node id, pointing at nodes
    it dropped): the check and the stop are there, their order is not shown; reported as
    the hand-written check it is (AUTH004, saying so), not as an open door."""
    lost = {uid("Webhook"): {"main": [[{"node": "error-handler-1", "type": "main",
                                        "index": 0}]]}}
    app = app_of(_token_checked_hook(lost))
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert f.evidence["guard"]["compares"] == "body parameter verification_token"
    assert "wiring from the endpoint is broken" in f.evidence["guard"]["on_failure"]
    # the look-alikes: intact wiring that runs the flow before any check, or no rejection
    unchecked = _token_checked_hook(chain("Webhook", "Thanks", "Record donation"))
    assert ids(findings_of(AUTH001, app_of(unchecked))) == {uid("Webhook")}
    no_stop = _token_checked_hook(lost)
    no_stop["nodes"] = [n for n in no_stop["nodes"] if n["name"] != "Stop"]
    assert ids(findings_of(AUTH001, app_of(no_stop))) == {uid("Webhook")}


# -- what a call can do (EntryPoint.effect, the vocabulary Node-RED's entry points use) -------
def _hook_answering(*steps: dict[str, Any], method: str = "GET",
                    connections: dict[str, Any] | None = None) -> dict[str, Any]:
    hook = webhook(path="hooks/meta", method=method)
    hook["parameters"]["responseMode"] = "responseNode"
    return workflow("Meta hooks", [hook, *steps], connections if connections is not None
                    else chain("Webhook", *(s["name"] for s in steps)))


def _answer(key: str, body: str, how: str = "text") -> dict[str, Any]:
    return n8n_node(key, "respondToWebhook", {"respondWith": how, "responseBody": body,
                                              "options": {}}, version=1.1)


def _entry(app: App) -> Any:
    return next(ep for ep in app.entry_points if ep.step_id == uid("Webhook"))


def test_auth001_webhook_that_echoes_the_subscription_challenge_answers_and_is_quiet() -> None:
    """Meta's verification handshake: a GET answered with the caller's own hub.challenge."""
    app = app_of(_hook_answering(_answer("Echo challenge",
                                         "={{ $json.query['hub.challenge'] }}")))
    ep = _entry(app)
    assert ep.effect == "answers"
    assert ep.effect_reason == ("step 'Echo challenge' (respondToWebhook) answers with fixed "
                                "content and what reaches it")
    assert findings_of(AUTH001, app) == []


@pytest.mark.parametrize("body", ["={{ $env.META_APP_SECRET }}",
                                  "={{ $('Missing lookup').item.json.token }}",
                                  "={{ $getWorkflowStaticData('global').lastToken }}"],
                         ids=["environment-value", "output-not-in-the-export", "static-data"])
def test_auth001_webhook_answering_with_more_than_the_caller_sent_fires(body: str) -> None:
    f = one(findings_of(AUTH001, app_of(_hook_answering(_answer("Echo", body)))))
    assert f.evidence["effect"] in ("serves", "acts") and f.evidence["effect_reason"]


def test_auth001_webhook_serving_a_fixed_page_is_quiet_and_one_signing_a_token_fires() -> None:
    page = _answer("Chat page", "<!doctype html><html><body><div id='chat'></div></body></html>")
    assert findings_of(AUTH001, app_of(_hook_answering(page))) == []
    token = n8n_node("Issue token", "respondToWebhook", {
        "respondWith": "jwt", "payload": '={"sub": "{{ $json.query.user }}"}'}, version=1.1)
    f = one(findings_of(AUTH001, app_of(_hook_answering(token))))
    assert f.evidence["effect_reason"] == ("step 'Issue token' (respondToWebhook) signs a "
                                           "token for the caller")


def test_auth001_webhook_answering_with_stored_rows_serves_and_fires() -> None:
    app = app_of(_hook_answering(select_orders(), _answer("Rows", "={{ $json.total }}")))
    f = one(findings_of(AUTH001, app))
    assert f.evidence["effect"] == "serves"
    assert f.evidence["effect_reason"] == ("step \"Yesterday's orders\" (postgres) reads "
                                           "database data it may answer with")


def _suggest(url: str, **params: Any) -> dict[str, Any]:
    return n8n_node("Suggest", "httpRequest", {"url": url, "options": {}, **params}, version=4.2)


SUGGEST = ("=https://suggestqueries.google.com/complete/search?output=toolbar"
           "&q={{ $json.query.q }}")


def test_auth001_webhook_relaying_a_public_get_answers_and_says_why() -> None:
    """Keyword suggestions: the caller's query sent, without credentials, to a public service
    the caller could ask itself; the answer goes back."""
    app = app_of(_hook_answering(_suggest(SUGGEST), _answer("Back", "={{ $json.data }}")))
    ep = _entry(app)
    assert ep.effect == "answers"
    assert ep.effect_reason.startswith(
        "step 'Suggest' relays a GET without credentials to suggestqueries.google.com, a "
        "public service the caller could ask itself; ")
    assert findings_of(AUTH001, app) == []


@pytest.mark.parametrize("lookup", [
    _suggest(SUGGEST, method="POST"),
    _suggest(SUGGEST, authentication="genericCredentialType", genericAuthType="httpHeaderAuth"),
    _suggest(SUGGEST + "&api_key=4f1c"),
    _suggest(SUGGEST, sendHeaders=True, headerParameters={"parameters": [
        {"name": "X-Api-Key", "value": "={{ $env.SUGGEST_KEY }}"}]}),
    _suggest("=http://10.0.4.12:8080/search?q={{ $json.query.q }}"),
    _suggest("=https://api.telegram.org/bot7215908843:AAGx4kP2vQz/sendMessage"
            "?text={{ $json.query.q }}"),
    _suggest("={{ $json.query.url }}"),
], ids=["post", "credential", "key-in-query", "key-header", "private-host", "key-in-path",
        "caller-chosen-url"])
def test_auth001_webhook_whose_request_may_do_more_than_a_public_read_fires(
        lookup: dict[str, Any]) -> None:
    app = app_of(_hook_answering(lookup, _answer("Back", "={{ $json.data }}")))
    f = one(findings_of(AUTH001, app))
    assert f.evidence["effect"] == "acts"
    assert f.evidence["effect_reason"] == ("step 'Suggest' (httpRequest) may change, send or "
                                           "run something")


def test_auth001_webhook_whose_get_url_is_a_placeholder_sent_as_written_is_quiet() -> None:
    """A collection replaced the address with ``{{ $env.BASE_URL }}`` but left out the '='
    that makes n8n read it as an expression: the text is the URL, no call can be made."""
    app = app_of(_hook_answering(_suggest("{{ $env.BASE_URL }}"),
                                 _answer("Back", "={{ $json.data }}")))
    ep = _entry(app)
    assert ep.effect == "answers"
    assert "cannot send its GET as exported" in ep.effect_reason
    assert findings_of(AUTH001, app) == []


@pytest.mark.parametrize("lookup", [
    _suggest("={{ $env.BASE_URL }}"),  # an expression: the environment's URL is called
    _suggest("{{ $env.BASE_URL }}", method="POST"),  # only a GET is judged by its URL here
], ids=["expression", "post"])
def test_auth001_webhook_whose_placeholder_url_may_be_sent_fires(lookup: dict[str, Any]
                                                                 ) -> None:
    app = app_of(_hook_answering(lookup, _answer("Back", "={{ $json.data }}")))
    assert one(findings_of(AUTH001, app)).evidence["effect"] == "acts"


def test_auth001_webhook_whose_flow_is_a_no_op_stub_fires_and_a_no_op_branch_does_not() -> None:
    """A No Operation node at the end of an otherwise empty flow marks work still to come; on
    a branch of a flow that answers, it only ends that branch."""
    stub = one(findings_of(AUTH001, app_of(_hook_answering(
        n8n_node("Generate video", "noOp", {}), method="POST"))))
    assert "a stub: the work it stands for is not in the export" in stub.evidence[
        "effect_reason"]
    known = if_node("Known event?", "={{ $json.query.mode }}", right="subscribe")
    branched = _hook_answering(
        known, _answer("Echo", "={{ $json.query['hub.challenge'] }}"),
        n8n_node("Ignore", "noOp", {}),
        connections={**chain("Webhook", "Known event?"),
                     **branches("Known event?", ["Echo"], ["Ignore"])})
    assert findings_of(AUTH001, app_of(branched)) == []


def test_auth001_no_op_carrying_another_nodes_parameters_is_a_stand_in_that_acts() -> None:
    """Collections that replace nodes they drop with No Operation keep the parameters."""
    stand_in = n8n_node("OpenAI", "noOp", {"resource": "image",
                                           "prompt": "={{ $json.query.input }}"})
    f = one(findings_of(AUTH001, app_of(_hook_answering(stand_in, _answer("Image", "done")))))
    assert "a stand-in for a node the export does not show" in f.evidence["effect_reason"]


def test_auth001_webhook_whose_wiring_is_lost_is_judged_by_its_whole_workflow() -> None:
    """Wiring pointing at missing nodes: every step of the workflow may follow the call."""
    lost = {uid("Webhook"): {"main": [[{"node": "error-handler-1", "type": "main",
                                        "index": 0}]]}}
    pixel = n8n_node("Pixel", "set", {"assignments": {"assignments": [
        {"id": uid("px"), "name": "data", "type": "string", "value": "iVBORw0KGgo="}]}},
        version=3.4)
    answered = _hook_answering(pixel, _answer("Image", "", how="binary"), connections=lost)
    assert findings_of(AUTH001, app_of(answered)) == []
    with_code = _hook_answering(pixel, _answer("Image", "", how="binary"),
                                code("Log open", "await this.helpers.httpRequest({ method: "
                                     "'POST', url: 'https://stats.example.com/open' });\n"
                                     "return $input.all();"), connections=lost)
    f = one(findings_of(AUTH001, app_of(with_code)))
    assert f.evidence["effect_reason"] == "step 'Log open' (code) runs code its author wrote"


def test_auth001_webhook_answering_with_an_hmac_of_what_the_caller_sent_fires() -> None:
    """A signing oracle: the caller picks the data, the owner's key signs it."""
    sign = n8n_node("Sign", "crypto", {"action": "hmac", "type": "SHA256",
                                       "value": "={{ $json.query.data }}", "secret": "k",
                                       "dataPropertyName": "sig"})
    f = one(findings_of(AUTH001, app_of(_hook_answering(sign, _answer("Back", "={{ $json.sig }}"
                                                                      )))))
    assert f.evidence["effect_reason"] == ("step 'Sign' (crypto) signs what it is given with "
                                           "the owner's key")
    digest = n8n_node("Sign", "crypto", {"action": "hash", "type": "SHA256",
                                         "value": "={{ $json.query.data }}"})
    assert findings_of(AUTH001, app_of(_hook_answering(digest, _answer(
        "Back", "={{ $json.data }}")))) == []


def test_auth001_public_form_confirming_to_the_submitted_address_is_collecting() -> None:
    """Decided (issue 11): a confirmation to the address submitted, with fixed text and the
    submitter's own answers, is part of taking the submission in; one that mails a model's
    answer to whatever address is typed in (a free model for strangers) is not."""
    confirm = n8n_node("Confirm to the submitter", "gmail", {
        "sendTo": "={{ $json.Email }}", "subject": "Welcome",
        "message": "=Thanks, {{ $('On form submission').item.json.Email }}!"}, version=2.1)
    assert findings_of(AUTH001, app_of(_signup_form(confirm))) == []
    classify = n8n_node("Classify feedback", "openAi", {
        "resource": "chat", "prompt": {"messages": [
            {"content": "=Answer this: {{ $json.Email }}"}]}}, version=1.1)
    relayed = n8n_node("Confirm to the submitter", "gmail", {
        "sendTo": "={{ $('On form submission').item.json.Email }}", "subject": "Welcome",
        "message": "=Our answer: {{ $('Classify feedback').item.json.message.content }}"},
        version=2.1)
    assert findings_of(AUTH001, app_of(_signup_form(classify))) == []
    f = one(findings_of(AUTH001, app_of(_signup_form(classify, relayed))))
    assert f.severity is Severity.HIGH and "collects_only" not in f.evidence


def test_auth001_unsubscribe_form_updating_the_typed_address_fires() -> None:
    """Decided: an unsubscribe form that updates the subscriber whose e-mail is typed in lets
    anyone unsubscribe anyone (an update of a record the caller picks, not a new one kept);
    it is reported, and a signed link per subscriber is the fix. Signing up (a new row) is
    collecting and stays quiet."""
    unsubscribe = n8n_node("Unsubscribe", "airtable", {
        "operation": "update", "base": {"__rl": True, "mode": "id", "value": "appNews"},
        "table": {"__rl": True, "mode": "id", "value": "tblSubscribers"},
        "columns": {"mappingMode": "defineBelow", "matchingColumns": ["Email"], "value": {
            "Email": "={{ $json.Email }}", "Subscribed": False}}}, version=2.1)
    f = one(findings_of(AUTH001, app_of(_signup_form(unsubscribe, connections=chain(
        "On form submission", "Unsubscribe")))))
    assert f.severity is Severity.HIGH and "collects_only" not in f.evidence
    assert findings_of(AUTH001, app_of(_signup_form())) == []


def test_every_n8n_entry_point_says_what_a_call_can_do_in_the_shared_words() -> None:
    """n8n and Node-RED entry points use one vocabulary (model.EFFECTS), each with a reason."""
    apps = [app_of(_lead_capture(None)), app_of(_signup_form()), app_of(_bot(telegram_trigger())),
            app_of(_hook_answering(_answer("Echo", "={{ $json.query.x }}"))),
            app_of(_hook_answering(n8n_node("Later", "noOp", {}))), app_of(_hook_answering())]
    effects = {ep.effect for app in apps for ep in app.entry_points}
    assert effects == {"acts", "answers", "nothing", "records"}
    assert all(ep.effect in EFFECTS and ep.effect_reason
               for app in apps for ep in app.entry_points)


def _form_page(key: str = "Your details") -> dict[str, Any]:
    return n8n_node(key, "form", {"formFields": {"values": [
        {"fieldLabel": "Company", "requiredField": True}]}, "options": {}}, version=1)


def test_auth001_two_page_form_that_keeps_the_answers_is_still_collecting() -> None:
    """A further page of the form asks the same caller for more: its answers are the
    submission, not content of unknown origin."""
    two_pages = _signup_form(_form_page(), connections=chain(
        "On form submission", "Your details", "Add to list", "Tell the owner"))
    assert findings_of(AUTH001, app_of(two_pages)) == []
    then_runs = _signup_form(_form_page(), execute_command(
        "Provision", "=/opt/provision {{ $json.Company }}"), connections=chain(
        "On form submission", "Your details", "Add to list", "Provision"))
    assert one(findings_of(AUTH001, app_of(then_runs))).severity is Severity.HIGH


def test_inj001_what_a_further_form_page_takes_in_is_untrusted() -> None:
    wf = _signup_form(_form_page(), execute_command(
        "Provision", "=/opt/provision {{ $json.Company }}"), connections=chain(
        "On form submission", "Your details", "Provision"))
    f = one(findings_of(injection.test_untrusted_input_does_not_reach_sinks, app_of(wf)))
    assert f.resource.id == uid("Provision")


def test_auth001_schedule_trigger_is_no_endpoint() -> None:
    wf = workflow("Nightly export", [schedule(), select_orders()],
                  chain("Schedule Trigger", "Yesterday's orders"))
    assert findings_of(AUTH001, app_of(wf)) == []


# == ENC001 ======================================================================================


def _push(url: str, **options: Any) -> dict[str, Any]:
    return workflow("Lead sync", [schedule(), http_request("Push lead to CRM", url, **options)],
                    chain("Schedule Trigger", "Push lead to CRM"))


@pytest.mark.parametrize(("url", "host"), [
    ("http://crm.acme-partner.com/api/leads", "crm.acme-partner.com"),
    ("=http://crm.acme-partner.com/api/leads/{{ $json.id }}", "crm.acme-partner.com"),
])
def test_enc001_http_to_a_remote_host_fires(url: str, host: str) -> None:
    f = one(findings_of(ENC001, app_of(_push(url))))
    assert f.resource.id == uid("Push lead to CRM")
    assert (f.evidence["protocol"], f.evidence["host"]) == ("http", host)
    assert f.evidence["type"] == "n8n-nodes-base.httpRequest"


@pytest.mark.parametrize("url", [
    "https://crm.acme-partner.com/api/leads",
    "http://localhost:5678/webhook/lead-capture",
    "http://127.0.0.1:8080/api/leads",
    "={{ $json.callbackUrl }}",
])
def test_enc001_https_loopback_or_dynamic_is_quiet(url: str) -> None:
    assert findings_of(ENC001, app_of(_push(url))) == []


def test_enc001_computed_host_under_a_fixed_domain_fires() -> None:
    """Only the tenant is computed: the host sits under crm.example, on the internet."""
    f = one(findings_of(ENC001, app_of(_push("=http://{{ $json.tenant }}.crm.example/api"))))
    assert f.message == "HTTP without TLS to a host computed at run time under crm.example"
    assert (f.evidence["host"], f.evidence["zone"], f.severity) == ("", "internet",
                                                                    Severity.HIGH)


def test_enc001_wholly_computed_host_without_credentials_is_quiet() -> None:
    """Where ``http://{{ $json.host }}`` goes is not known, and nothing secret goes there."""
    assert findings_of(ENC001, app_of(_push("=http://{{ $json.host }}/api/leads"))) == []


def _ftp_upload(protocol: str, *, credentials: bool = True) -> dict[str, Any]:
    ftp = n8n_node("Upload to partner FTP", "ftp",
                   {"protocol": protocol, "operation": "upload",
                    "path": "=/incoming/acme/{{ $binary.data.fileName }}"},
                   credentials={protocol: ("PAzWke7taaTipiQ0", "Partner FTP")}
                   if credentials else None)
    return workflow("Nightly export", [schedule(), ftp],
                    chain("Schedule Trigger", "Upload to partner FTP"))


def test_enc001_plain_ftp_fires() -> None:
    f = one(findings_of(ENC001, app_of(_ftp_upload("ftp"))))
    assert f.resource.id == uid("Upload to partner FTP")
    assert f.evidence["protocol"] == "ftp"
    assert f.message == "FTP without TLS to the server named in its credential"


def test_enc001_sftp_is_quiet() -> None:
    assert findings_of(ENC001, app_of(_ftp_upload("sftp"))) == []


def test_enc001_ftp_node_without_a_credential_is_quiet() -> None:
    assert findings_of(ENC001, app_of(_ftp_upload("ftp", credentials=False))) == []


# == ENC002 ======================================================================================


def test_enc002_allow_unauthorized_certs_fires() -> None:
    app = app_of(_push("https://crm.acme-partner.com/api/leads", allowUnauthorizedCerts=True))
    f = one(findings_of(ENC002, app))
    assert f.resource.id == uid("Push lead to CRM")
    assert (f.evidence["host"], f.evidence["verify_cert"]) == ("crm.acme-partner.com", False)


def test_enc002_allow_unauthorized_certs_false_is_quiet() -> None:
    app = app_of(_push("https://crm.acme-partner.com/api/leads", allowUnauthorizedCerts=False))
    assert findings_of(ENC002, app) == []


def test_enc002_http_request_v1_top_level_flag_fires() -> None:
    node = n8n_node("Legacy call", "httpRequest",
                    {"url": "https://legacy.acme-partner.com/api", "requestMethod": "POST",
                     "allowUnauthorizedCerts": True, "options": {}}, version=1)
    wf = workflow("Legacy", [schedule(), node], chain("Schedule Trigger", "Legacy call"))
    assert ids(findings_of(ENC002, app_of(wf))) == {uid("Legacy call")}


@pytest.mark.parametrize("allow", [True, False])
def test_enc002_mail_nodes_that_accept_any_certificate(allow: bool) -> None:
    """The IMAP trigger and Send Email take ``options.allowUnauthorizedCerts`` as HTTP Request
    does: the login to a mail server whose certificate is not checked (a bridge on the LAN
    with a self-signed one) is reported; the server sits in the credential."""
    imap = n8n_node("Inbox", "emailReadImap", {"mailbox": "INBOX", "options": {
        "allowUnauthorizedCerts": allow}}, version=2,
        credentials={"imap": ("c1", "Mail bridge")})
    send = n8n_node("Reply", "emailSend", {"toEmail": "ops@acme-partner.com", "subject": "ok",
                                           "options": {"allowUnauthorizedCerts": allow}},
                    version=2.1, credentials={"smtp": ("c2", "Mail bridge SMTP")})
    wf = workflow("Mail", [imap, send], chain("Inbox", "Reply"))
    found = findings_of(ENC002, app_of(wf))
    assert ids(found) == ({uid("Inbox"), uid("Reply")} if allow else set())
    assert all(f.message == "certificate checks are off for the server named in its "
                            "credentials" for f in found)


def test_enc002_loopback_with_unverified_certs_is_quiet() -> None:
    app = app_of(_push("https://localhost:8443/api/leads", allowUnauthorizedCerts=True))
    assert findings_of(ENC002, app) == []


# == INJ001 / INJ002 =============================================================================


def test_inj001_webhook_query_into_execute_command_fires() -> None:
    app = app_of(ping_runbook())
    f = one(findings_of(INJ001, app))
    assert f.resource.id == uid("Ping host")
    assert f.resource.path == f"workflows/{wf_id('Ops runbook')}/{uid('Ping host')}"
    assert f.severity is Severity.CRITICAL
    assert f.evidence["route"] == [uid("Webhook"), uid("Ping host")]
    assert f.evidence["route_names"] == ["Webhook", "Ping host"]
    assert f.evidence["source"] == "webhook ops/ping"
    assert f.evidence["sink_type"] == "n8n-nodes-base.executeCommand"
    assert findings_of(INJ002, app) == []


def test_inj001_authenticated_webhook_still_carries_caller_data() -> None:
    f = one(findings_of(INJ001, app_of(ping_runbook(auth="headerAuth"))))
    assert f.evidence["route"] == [uid("Webhook"), uid("Ping host")]


def test_inj001_fixed_command_after_schedule_is_quiet_for_both_rules() -> None:
    wf = workflow("Disk report", [schedule(), execute_command("Disk usage", "df -h /srv")],
                  chain("Schedule Trigger", "Disk usage"))
    app = app_of(wf)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_fixed_command_after_webhook_is_quiet() -> None:
    nodes = [webhook(), execute_command("Ping host", "ping -c 1 gateway.acme.internal"),
             respond()]
    wf = workflow("Ops runbook", nodes, chain("Webhook", "Ping host", "Respond to Webhook"))
    assert findings_of(INJ001, app_of(wf)) == []


def _lead_insert(query: str, **options: Any) -> dict[str, Any]:
    nodes = [webhook(path="lead-capture", method="POST"),
             postgres("Insert lead", "executeQuery", query=query, options=options), respond()]
    return workflow("Lead capture webhook", nodes,
                    chain("Webhook", "Insert lead", "Respond to Webhook"))


def test_inj001_webhook_into_sql_built_with_an_expression_fires() -> None:
    wf = _lead_insert("=INSERT INTO leads (email) VALUES ('{{ $json.body.email }}')")
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Insert lead")
    assert f.evidence["route"] == [uid("Webhook"), uid("Insert lead")]
    assert "interpolating an expression" in f.message


def test_inj001_webhook_into_parameterized_sql_is_quiet() -> None:
    wf = _lead_insert("INSERT INTO leads (email) VALUES ($1)",
                      queryReplacement="={{ $json.body.email }}")
    app = app_of(wf)
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_follows_the_chain_through_intermediate_nodes() -> None:
    set_node = n8n_node("Pick host", "set", {"assignments": {"assignments": [
        {"id": uid("a1"), "name": "host", "value": "={{ $json.query.host }}",
         "type": "string"}]}, "options": {}}, version=3.4)
    nodes = [webhook(), set_node,
             n8n_node("Run on bastion", "ssh",
                      {"command": "=traceroute {{ $json.host }}", "cwd": "/"},
                      credentials={"sshPassword": ("x2Lq9", "Bastion")})]
    wf = workflow("Ops runbook", nodes, chain("Webhook", "Pick host", "Run on bastion"))
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Run on bastion")
    assert f.evidence["route"] == [uid("Webhook"), uid("Pick host"), uid("Run on bastion")]


def test_inj001_code_node_evaluating_input_fires_and_plain_code_is_quiet() -> None:
    def wf(code: str) -> dict[str, Any]:
        nodes = [webhook(), n8n_node("Transform", "code", {"jsCode": code}, version=2)]
        return workflow("Ops runbook", nodes, chain("Webhook", "Transform"))

    bad = "return $input.all().map(i => ({ json: { r: eval(i.json.query.expr) } }));"
    good = "return $input.all().map(i => ({ json: { r: Number(i.json.query.n) + 1 } }));"
    assert ids(findings_of(INJ001, app_of(wf(bad)))) == {uid("Transform")}
    assert findings_of(INJ001, app_of(wf(good))) == []


def test_inj001_regexp_exec_in_a_code_node_is_quiet() -> None:
    code = ("const re = /^[a-z0-9.-]+$/i;\nreturn $input.all().filter(i => "
            "re.exec(i.json.query.host) !== null\n  && /^\\S+$/.exec(i.json.query.host));")
    nodes = [webhook(), n8n_node("Validate host", "code", {"jsCode": code}, version=2)]
    app = app_of(workflow("Ops runbook", nodes, chain("Webhook", "Validate host")))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def _member_lookup(query: str) -> dict[str, Any]:
    """A chat-bot backend: the webhook's member id looks the member up in MongoDB."""
    find = n8n_node("Find member", "mongoDb", {"collection": "members", "query": query,
                                               "options": {}}, version=1.2,
                    credentials={"mongoDb": ("Yp3nR7sLq2Wv8XcT", "Members DB")})
    return workflow("Member bot", [webhook(path="member-bot", method="POST"), find, respond()],
                    chain("Webhook", "Find member", "Respond to Webhook"))


def test_inj001_webhook_value_pasted_into_a_mongodb_query_json_fires() -> None:
    """n8n renders the query text, then parses it: a quote in the member id closes the string
    and what follows rewrites the filter (``x", "$where": "…``)."""
    wf = _member_lookup('={"member_id": "{{ $json.body.member_id }}"}')
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Find member")
    assert f.evidence["sink"] == "query" and f.severity is Severity.CRITICAL
    assert "MongoDB query" in f.message


def test_inj001_mongodb_query_with_a_json_encoded_or_fixed_value_is_quiet() -> None:
    """The look-alikes: the value through JSON.stringify stays one JSON string; a query of
    constants reads nothing from the caller."""
    for query in ('={"member_id": {{ JSON.stringify($json.body.member_id) }}}',
                  '{"status": "active"}'):
        app = app_of(_member_lookup(query))
        assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == [], query


def _merchant_lookup(url: str) -> dict[str, Any]:
    get = n8n_node("Get merchant", "httpRequest", {"url": url, "options": {}}, version=4.2,
                   credentials={"httpHeaderAuth": ("Hq8vN2xKp5Lm3RtZ", "Backend API key")})
    get["parameters"].update({"authentication": "genericCredentialType",
                              "genericAuthType": "httpHeaderAuth"})
    return workflow("Merchant bot", [webhook(path="merchant-bot", method="POST"), get,
                                     respond()],
                    chain("Webhook", "Get merchant", "Respond to Webhook"))


def test_inj001_webhook_value_in_the_path_of_a_fixed_api_url_is_high() -> None:
    """The host is written out, but the caller's merchant id is the path: ``../admin/users``
    reaches another endpoint of the backend with the node's API key."""
    wf = _merchant_lookup("=https://api.acme-shop.io/v2/merchants/{{ $json.body.merchantId }}")
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Get merchant")
    assert (f.evidence["sink"], f.evidence["parameter"]) == ("fetch", "url path")
    assert f.severity is Severity.HIGH
    assert "path of the API URL" in f.message


def test_inj001_url_value_in_the_query_string_encoded_or_not_from_a_caller_is_quiet() -> None:
    """The look-alikes: the value only in the query string, the value through
    encodeURIComponent, and an id a schedule-run flow got from the API itself (INJ002 does
    not ask about paths: that is how REST URLs are built)."""
    for url in ("=https://api.acme-shop.io/v2/merchants?id={{ $json.body.merchantId }}",
                "=https://api.acme-shop.io/v2/merchants/"
                "{{ encodeURIComponent($json.body.merchantId) }}"):
        app = app_of(_merchant_lookup(url))
        assert findings_of(INJ001, app) == [], url
    listing = n8n_node("List merchants", "httpRequest",
                       {"url": "https://api.acme-shop.io/v2/merchants", "options": {}},
                       version=4.2)
    get = _merchant_lookup("=https://api.acme-shop.io/v2/merchants/{{ $json.id }}")["nodes"][1]
    wf = workflow("Merchant sync", [schedule(), listing, get],
                  chain("Schedule Trigger", "List merchants", "Get merchant"))
    app = app_of(wf)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def _subscriber_message(json_body: str) -> dict[str, Any]:
    """A messaging bot: the webhook's subscriber id and text go into the JSON body of the
    send request, as JSON text with expressions in its strings."""
    send = n8n_node("Send reply", "httpRequest", {
        "method": "POST", "url": "https://api.acme-chat.io/v1/send", "sendBody": True,
        "specifyBody": "json", "jsonBody": json_body, "options": {}}, version=4.2)
    return workflow("Chat bot", [webhook(path="chat-bot", method="POST"), send, respond()],
                    chain("Webhook", "Send reply", "Respond to Webhook"))


def test_inj001_webhook_value_pasted_inside_a_json_body_string_is_high() -> None:
    """n8n renders the body text, then parses it: a quote in the subscriber id closes the
    string, and the caller adds a key or a second subscriber_id (the last one wins)."""
    wf = _subscriber_message('={\n  "subscriber_id": "{{ $json.body.id }}",\n'
                             '  "text": "Thanks!"\n}')
    f = one(findings_of(INJ001, app_of(wf)))
    assert f.resource.id == uid("Send reply")
    assert (f.evidence["sink"], f.evidence["parameter"]) == ("fetch", "jsonBody")
    assert f.severity is Severity.HIGH and "JSON injection" in f.message


def test_inj001_json_body_with_encoded_or_quote_free_values_is_quiet() -> None:
    """The look-alikes: JSON.stringify makes one JSON value, and a value whose quotes are
    taken out cannot close the string."""
    for body in ('={"subscriber_id": {{ JSON.stringify($json.body.id) }}}',
                 '={"text": "{{ $json.body.text.replaceAll(\'"\', \'\') }}"}'):
        app = app_of(_subscriber_message(body))
        assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == [], body


def test_inj001_inactive_workflow_leaves_only_inj002() -> None:
    app = app_of(ping_runbook(active=False))
    assert findings_of(INJ001, app) == []
    f = one(findings_of(INJ002, app))
    assert f.resource.id == uid("Ping host") and f.severity is Severity.MEDIUM


def test_inj002_command_built_from_a_service_response_fires() -> None:
    listing = n8n_node("List projects", "httpRequest",
                       {"url": "https://git.acme-partner.com/api/projects", "options": {}},
                       version=4.2)
    nodes = [schedule(), listing,
             execute_command("Archive", "=tar czf /backups/{{ $json.name }}.tgz /srv/data")]
    wf = workflow("Backups", nodes, chain("Schedule Trigger", "List projects", "Archive"))
    f = one(findings_of(INJ002, app_of(wf)))
    assert f.resource.id == uid("Archive")
    assert f.evidence["sink_type"] == "n8n-nodes-base.executeCommand"
    assert (f.evidence["origin"], f.evidence["origin_detail"]) == ("unknown",
                                                                   "response of List projects")
    assert f.evidence["route"] == [uid("List projects"), uid("Archive")]


def test_inj002_command_built_from_the_schedule_trigger_is_quiet() -> None:
    nodes = [schedule(), execute_command("Archive", "=tar czf /backups/{{ $json.name }}.tgz "
                                                    "/srv/data")]
    app = app_of(workflow("Backups", nodes, chain("Schedule Trigger", "Archive")))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_inj002_command_with_no_input_wired_never_runs() -> None:
    """The workflow is wired intactly, but not to this step: n8n hands it no items, so it
    never runs (see test_stranded_steps_n8n). Where the wiring is incomplete (a connection
    naming a missing node) what reaches it is not shown, and it is reported; with no
    connections at all, an instance's export runs nothing past its trigger (see
    test_agents_unseen_callers_n8n)."""
    nodes = [schedule(), execute_command("Archive", "=tar czf /backups/{{ $json.name }}.tgz"),
             execute_command("Disk usage", "df -h /backups")]
    wf = workflow("Backups", nodes, chain("Schedule Trigger", "Disk usage"))
    assert findings_of(INJ002, app_of(wf)) == []
    lost = {"Rotate": {"main": [[{"node": "Archive", "type": "main", "index": 0}]]}}
    wf = workflow("Backups", nodes, {**chain("Schedule Trigger", "Disk usage"), **lost})
    f = one(findings_of(INJ002, app_of(wf)))
    assert (f.evidence["origin"], f.evidence["route"]) == ("unknown", [uid("Archive")])


def test_inj002_disabled_node_is_quiet() -> None:
    nodes = [schedule(), {**execute_command("Archive", "=tar czf {{ $json.name }}.tgz /srv"),
                          "disabled": True}]
    wf = workflow("Backups", nodes, chain("Schedule Trigger", "Archive"))
    assert findings_of(INJ002, app_of(wf)) == []


# == CON001 / CON002 =============================================================================


def _crm_sync() -> dict[str, Any]:
    crm = n8n_node("Sync customers to Acme CRM", "n8n-nodes-acme-crm.acmeCrm",
                   {"resource": "contact", "operation": "upsert", "email": "={{ $json.email }}"},
                   credentials={"acmeCrmApi": ("1ePPZNc84ddPD7pq", "Acme CRM prod")})
    return workflow("Nightly export", [schedule(), select_orders(), crm],
                    chain("Schedule Trigger", "Yesterday's orders",
                          "Sync customers to Acme CRM"))


def test_con001_community_node_fires() -> None:
    f = one(findings_of(CON001, app_of(_crm_sync())))
    assert (f.resource.kind, f.resource.id) == ("module", "n8n-nodes-acme-crm")
    assert f.evidence["types"] == {"n8n-nodes-acme-crm.acmeCrm": 1}
    assert f.evidence["used_by"] == [uid("Sync customers to Acme CRM")]
    assert f.severity is Severity.MEDIUM


def test_con001_core_and_langchain_nodes_are_quiet() -> None:
    agent = n8n_node("AI Agent", "@n8n/n8n-nodes-langchain.agent", {"options": {}}, version=1.7)
    wf = workflow("Nightly export", [schedule(), select_orders(), agent],
                  chain("Schedule Trigger", "Yesterday's orders", "AI Agent"))
    assert findings_of(CON001, app_of(wf)) == []


@pytest.mark.parametrize("allow", ["n8n-nodes-acme-crm", "'n8n-nodes-acme-crm.*'"])
def test_con001_policy_allows_by_package_or_type_glob(allow: str) -> None:
    allowed = policy(f"version: 1\nconnectors:\n  allow: [n8n-nodes-base, {allow}]\n")
    assert findings_of(CON001, app_of(_crm_sync()), allowed) == []


def test_con001_blocked_package_is_high() -> None:
    blocked = policy("version: 1\nconnectors:\n  block: [n8n-nodes-acme-crm]\n")
    f = one(findings_of(CON001, app_of(_crm_sync()), blocked))
    assert f.severity is Severity.HIGH and "blocked by policy" in f.message


HOSTS = policy("version: 1\nhosts:\n  allow: [api.acme.io, '*.acme-partner.com']\n")


@pytest.mark.parametrize("url", [
    "https://api.acme.io/v1/forms",
    "=https://api.acme.io/v1/forms/{{ $json.id }}",
    "https://crm.acme-partner.com/api/leads",
    "http://localhost:5678/webhook/next",
])
def test_con002_allowed_destination_is_quiet(url: str) -> None:
    assert findings_of(CON002, app_of(_push(url)), HOSTS) == []


def test_con002_destination_outside_the_allowlist_fires() -> None:
    f = one(findings_of(CON002, app_of(_push("https://hooks.zapier.com/hooks/catch/1/x")),
                        HOSTS))
    assert f.resource.id == uid("Push lead to CRM")
    assert f.evidence["host"] == "hooks.zapier.com"


def test_con002_destination_from_an_expression_fires() -> None:
    f = one(findings_of(CON002, app_of(_push("={{ $json.callbackUrl }}")), HOSTS))
    assert f.resource.id == uid("Push lead to CRM")
    assert "computed at run time" in f.message


# == EXP001 / EXP002 =============================================================================


def _orders_to(url: str) -> dict[str, Any]:
    nodes = [schedule(), select_orders(), http_request("Send to analytics", url)]
    return workflow("Nightly export", nodes,
                    chain("Schedule Trigger", "Yesterday's orders", "Send to analytics"))


def test_exp001_table_rows_sent_to_an_external_host_fires() -> None:
    app = app_of(_orders_to("https://ingest.partner-analytics.com/v1/orders"))
    f = one(findings_of(EXP001, app))
    assert f.resource.id == uid("Send to analytics")
    assert f.evidence["route"] == [uid("Yesterday's orders"), uid("Send to analytics")]
    assert f.evidence["store"] == "public.orders"
    assert f.evidence["destination"] == "ingest.partner-analytics.com"


def test_exp001_table_rows_sent_to_an_internal_host_is_quiet() -> None:
    internal = policy("version: 1\nhosts:\n  internal: ['*.acme.internal']\n")
    app = app_of(_orders_to("https://warehouse.acme.internal/v1/orders"))
    assert findings_of(EXP001, app, internal) == []


def test_exp001_rows_written_then_posted_names_the_webhook_not_the_table() -> None:
    nodes = [webhook(path="lead-capture", method="POST"),
             postgres("Insert lead", "insert", table={"__rl": True, "value": "leads"},
                      columns={"mappingMode": "autoMapInputData", "value": {}}),
             http_request("Notify CRM", "https://crm.acme-partner.com/api/leads")]
    wf = workflow("Lead capture webhook", nodes, chain("Webhook", "Insert lead", "Notify CRM"))
    f = one(findings_of(EXP001, app_of(wf)))
    assert (f.evidence["origin"], f.evidence["source"]) == ("entry", "webhook lead-capture")
    assert f.evidence["store"] == ""
    assert f.evidence["labels"] == ["personal data"]


def _lookup(operation: str, *, active: bool = True, auth: str | None = None
            ) -> dict[str, Any]:
    db = (select_orders("Find order") if operation == "select" else
          postgres("Find order", "insert", table={"__rl": True, "value": "orders"},
                   columns={"mappingMode": "autoMapInputData", "value": {}}))
    hook = webhook(path="orders", method="GET", auth=auth)
    hook["parameters"]["responseMode"] = "responseNode"
    answer = n8n_node("Respond to Webhook", "respondToWebhook",
                      {"respondWith": "allIncomingItems", "options": {}}, version=1.1)
    return workflow("Order lookup", [hook, db, answer],
                    chain("Webhook", "Find order", "Respond to Webhook"), active=active)


def test_exp002_webhook_reading_a_table_fires_on_the_reader() -> None:
    f = one(findings_of(EXP002, app_of(_lookup("select"))))
    assert f.resource.id == uid("Find order")
    # the webhook answers with its last node's output: the rows, passed on by the respond node
    assert f.evidence["route"] == [uid("Webhook"), uid("Find order"), uid("Respond to Webhook")]
    assert f.evidence["answered_by"] == uid("Respond to Webhook")
    assert (f.evidence["endpoint"], f.evidence["auth"]) == ("orders", "none")
    assert f.evidence["store"] == "public.orders"


def test_exp002_an_authenticated_webhook_serves_its_own_users() -> None:
    # the remediation done: callers must hold the header credential to read the rows
    assert findings_of(EXP002, app_of(_lookup("select", auth="headerAuth"))) == []


def test_exp002_webhook_writing_a_table_is_quiet() -> None:
    assert findings_of(EXP002, app_of(_lookup("insert"))) == []


def test_exp002_inactive_workflow_is_quiet() -> None:
    assert findings_of(EXP002, app_of(_lookup("select", active=False))) == []


# == LOG001 / LOG003 =============================================================================


def test_log001_failed_executions_not_saved_fires() -> None:
    wf = ping_runbook(saveDataErrorExecution="none", saveDataSuccessExecution="all")
    f = one(findings_of(LOG001, app_of(wf)))
    assert (f.resource.kind, f.resource.id) == ("workflow", wf_id("Ops runbook"))
    assert f.severity is Severity.MEDIUM
    assert f.evidence == {"saveDataErrorExecution": "none", "active": True}


def test_log001_all_executions_saved_is_quiet() -> None:
    wf = ping_runbook(saveDataErrorExecution="all", saveDataSuccessExecution="all")
    assert findings_of(LOG001, app_of(wf)) == []


def test_log001_successful_runs_of_an_endpoint_not_saved_fires() -> None:
    wf = ping_runbook(saveDataErrorExecution="all", saveDataSuccessExecution="none")
    f = one(findings_of(LOG001, app_of(wf)))
    assert f.evidence == {"saveDataSuccessExecution": "none", "active": True}


def test_log001_successful_runs_of_a_scheduled_job_not_saved_is_quiet() -> None:
    wf = workflow("Disk report", [schedule(), execute_command("Disk usage", "df -h /srv")],
                  chain("Schedule Trigger", "Disk usage"),
                  saveDataErrorExecution="all", saveDataSuccessExecution="none")
    assert findings_of(LOG001, app_of(wf)) == []


def test_log001_inactive_workflow_is_low() -> None:
    wf = ping_runbook(active=False, saveDataErrorExecution="none")
    assert one(findings_of(LOG001, app_of(wf))).severity is Severity.LOW


def test_log001_policy_can_switch_it_off() -> None:
    off = policy("version: 1\nsettings:\n  require_execution_logging: false\n")
    wf = ping_runbook(saveDataErrorExecution="none")
    assert skip_reason(LOG001, app_of(wf), off).startswith(NOT_APPLICABLE)


def test_log003_active_endpoint_without_error_workflow_fires() -> None:
    f = one(findings_of(LOG003, app_of(ping_runbook())))
    assert (f.resource.kind, f.resource.id) == ("workflow", wf_id("Ops runbook"))
    assert f.evidence == {"errorWorkflow": None}


def test_log003_error_workflow_set_is_quiet() -> None:
    assert findings_of(LOG003, app_of(ping_runbook(errorWorkflow="AuPNmjfz1YKhC1zy"))) == []


def test_log003_inactive_or_endpointless_workflow_is_quiet() -> None:
    scheduled = workflow("Disk report", [schedule(), execute_command("Disk usage", "df -h")],
                         chain("Schedule Trigger", "Disk usage"))
    assert findings_of(LOG003, app_of(ping_runbook(active=False), scheduled)) == []


# == CFG004 ======================================================================================


def test_cfg004_any_caller_fires_and_same_owner_is_quiet() -> None:
    bad = ping_runbook(callerPolicy="any")
    good = workflow("Disk report", [schedule()], {}, callerPolicy="workflowsFromSameOwner")
    f = one(findings_of(CFG004, app_of(bad, good)))
    assert f.resource.id == wf_id("Ops runbook")
    assert f.evidence == {"callerPolicy": "any"}


# == CMD001 / CMD002 ==============================================================================


def _backup(command_node: dict[str, Any]) -> dict[str, Any]:
    return workflow("Nightly backup", [schedule(), command_node],
                    chain("Schedule Trigger", command_node["name"]))


def test_cmd001_export_of_decrypted_credentials_fires() -> None:
    wf = _backup(execute_command("Export", "n8n export:credentials --all --decrypted "
                                           "--output=/backups/creds.json"))
    f = one(findings_of(CMD001, app_of(wf)))
    assert f.resource.id == uid("Export") and f.severity is Severity.HIGH
    assert f.evidence == {"type": "n8n-nodes-base.executeCommand",
                          "matches": ["n8n export:credentials"], "decrypted": True}
    assert f.message == "exports n8n's stored credentials in clear (--decrypted)"


def test_cmd001_code_reading_the_encryption_key_fires() -> None:
    js = ("const fs = require('fs');\n"
          "return [{json: {key: fs.readFileSync('/home/node/.n8n/config', 'utf8')}}];")
    f = one(findings_of(CMD001, app_of(_backup(code("Read key", js)))))
    assert f.evidence["matches"] == ["n8n config"] and f.evidence["decrypted"] is False


def test_cmd001_workflow_export_notes_and_disabled_steps_are_quiet() -> None:
    note = n8n_node("Sticky Note", "stickyNote", {"content": "Restore with n8n "
                                                  "export:credentials --decrypted"})
    off = execute_command("Old export", "n8n export:credentials --all --decrypted")
    off["disabled"] = True
    wf = _backup(execute_command("Export", "n8n export:workflow --all --output=/backups/"))
    wf["nodes"] += [note, off]
    assert findings_of(CMD001, app_of(wf)) == []


@pytest.mark.parametrize("command", [
    "rsync -e 'ssh -o StrictHostKeyChecking=no' /data/ backup@nas.lan:/srv/",
    "scp -o UserKnownHostsFile=/dev/null report.pdf pi@printer.lan:",
])
def test_cmd002_host_key_checking_off_fires(command: str) -> None:
    f = one(findings_of(CMD002, app_of(_backup(execute_command("Copy", command)))))
    assert f.resource.id == uid("Copy") and f.evidence["type"] == "n8n-nodes-base.executeCommand"


@pytest.mark.parametrize("command", [
    "rsync -e 'ssh -o StrictHostKeyChecking=accept-new' /data/ backup@nas.lan:/srv/",
    "ssh -o StrictHostKeyChecking=yes backup@nas.lan uptime",
])
def test_cmd002_host_key_checking_on_is_quiet(command: str) -> None:
    assert findings_of(CMD002, app_of(_backup(execute_command("Copy", command)))) == []


def test_cmd002_ssh_node_command_is_searched_too() -> None:
    ssh = n8n_node("Hop", "ssh", {"command": "ssh -o StrictHostKeyChecking=no db01 pg_dump"},
                   credentials={"sshPassword": ("Yq2mXk8pT4wZr7Lb", "Bastion")})
    assert ids(findings_of(CMD002, app_of(_backup(ssh)))) == {uid("Hop")}


@pytest.mark.parametrize(("policy_call", "fires"), [("paramiko.AutoAddPolicy()", True),
                                                   ("paramiko.RejectPolicy()", False)])
def test_cmd002_python_code_accepting_any_host_key(policy_call: str, fires: bool) -> None:
    py = ("import paramiko\nclient = paramiko.SSHClient()\n"
          f"client.set_missing_host_key_policy({policy_call})\nclient.connect('nas.lan')")
    step = n8n_node("Reboot NAS", "code", {"language": "python", "pythonCode": py}, version=2)
    found = findings_of(CMD002, app_of(_backup(step)))
    assert ids(found) == ({uid("Reboot NAS")} if fires else set())


# each table's patterns, with a run text every one of them matches (spelled as it is seen:
# upper case, mixed case, beside non-ASCII text, on a line of its own)
_COMMAND_TEXTS = [
    "n8n export:credentials --all --decrypted > /tmp/c.json",
    "cat ~/.n8n/config | jq .encryptionKey",
    "echo $N8N_ENCRYPTION_KEY",
    "SELECT * FROM credentials_entity;",
    "cp /data/flows_cred.json /mnt/usb/",
    "cat /data/.config.runtime.json",
    "ssh -o stricthostkeychecking=NO host",
    "ssh -o StrictHostKeyChecking=off -o UserKnownHostsFile=/dev/null host",
    "scp -o USERKNOWNHOSTSFILE=/dev/null a b:",
    "client.set_missing_host_key_policy(paramiko.AutoAddPolicy())",
]


@pytest.mark.parametrize("text", [*_COMMAND_TEXTS, *(f"# Größe: ü\n{t}" for t in _COMMAND_TEXTS),
                                  "ssh -o StrictHostKeyChecKing=no host",  # a Kelvin sign
                                  "n8n export:workflow --all", "ls ~/.n8n/"])
def test_command_pattern_screens_never_hide_a_match(text: str) -> None:
    """A pattern's string screen only skips text its regex cannot match."""
    lowered = text.lower() if text.isascii() else None
    for pattern in (*commands.CREDENTIAL_DUMPS, *commands.HOST_KEY_OFF):
        expected = pattern.regex.search(text)
        got = pattern.search(text, lowered)
        assert (got and got.span()) == (expected and expected.span()), pattern.name
    assert any(p.search(text, lowered) for p in (*commands.CREDENTIAL_DUMPS,
                                                  *commands.HOST_KEY_OFF)) == (
        "workflow" not in text and not text.endswith(".n8n/"))


# == INV005 ======================================================================================


def test_inv005_connection_to_a_renamed_node_fires_on_the_workflow() -> None:
    wf = ping_runbook()
    wf["connections"]["Ping host"] = {"main": [[{"node": "Respond (old)", "type": "main",
                                                 "index": 0}]]}
    f = one(findings_of(INV005, app_of(wf)))
    assert (f.resource.kind, f.resource.id) == ("workflow", wf_id("Ops runbook"))
    assert f.severity is Severity.INFO
    assert f.evidence["missing"] == ["Respond (old)"]
    assert f.evidence["from"] == [uid("Ping host")]
    assert f.evidence["names_node_ids"] is False
    assert "if the export was cut, what they do is not analysed" in f.message


def test_inv005_connections_keyed_by_a_missing_sender_fire() -> None:
    wf = ping_runbook()
    wf["connections"]["Deleted node"] = {"main": [[{"node": "Ping host", "type": "main",
                                                    "index": 0}]]}
    f = one(findings_of(INV005, app_of(wf)))
    assert f.evidence["missing"] == ["Deleted node"] and f.evidence["from"] == []


def test_inv005_connections_naming_node_ids_say_n8n_does_not_follow_them() -> None:
    wf = ping_runbook()
    wf["connections"] = {"Webhook": {"main": [[{"node": uid("Ping host"), "type": "main",
                                                "index": 0}]]}}
    f = one(findings_of(INV005, app_of(wf)))
    assert f.evidence["names_node_ids"] is True
    assert "n8n connects nodes by name" in f.message


def test_inv005_intact_workflow_is_quiet() -> None:
    assert findings_of(INV005, app_of(ping_runbook())) == []


# == resource ids of copied workflows ============================================================
def test_a_node_id_repeated_in_a_copied_workflow_keeps_its_own_id_in_findings() -> None:
    original = _lead_capture(None)
    copy_wf = copy.deepcopy(original)
    copy_wf.update(id=wid("Lead capture webhook (copy)"), name="Lead capture webhook (copy)")
    app = app_of(original, copy_wf)
    found = findings_of(AUTH001, app)
    assert [f.resource.id for f in found] == [uid("Webhook"), uid("Webhook")]
    assert sorted(f.resource.path for f in found) == sorted(
        f"workflows/{w}/{uid('Webhook')}"
        for w in (wid("Lead capture webhook"), wid("Lead capture webhook (copy)")))
    assert len({s.id for s in app.steps}) == len(app.steps)  # still unique in the App


# == INV001 / INV002 / INV004 ====================================================================


def test_inv001_untagged_workflow_has_no_owner_and_tagged_one_has() -> None:
    owners = policy("version: 1\nowners:\n  - owner: ops-team\n    tag: ops\n")
    owned = workflow("Ops runbook", [webhook()], {}, tags=["ops", "production"])
    orphan = workflow("Form to Slack", [schedule()], {}, tags=["marketing"])
    f = one(findings_of(INV001, app_of(owned, orphan), owners))
    assert (f.resource.kind, f.resource.id) == ("workflow", wf_id("Form to Slack"))
    assert f.evidence == {"workflow": "Form to Slack", "tags": ["marketing"]}


def test_inv001_without_owners_in_policy_is_not_applicable() -> None:
    assert skip_reason(INV001, app_of(ping_runbook())).startswith(NOT_APPLICABLE)


def _slack_post(*, active: bool, archived: bool = False,
                credentials: bool = True) -> dict[str, Any]:
    slack = n8n_node("Post to #sales", "slack",
                     {"select": "channel", "text": "={{ $json.text }}", "otherOptions": {}},
                     version=2.3, webhook=True,
                     credentials={"slackApi": ("ONx0qx7kJ3E8iBQo", "Slack bot #sales")}
                     if credentials else None)
    return workflow("Form to Slack", [schedule(), slack], chain("Schedule Trigger",
                                                                "Post to #sales"),
                    active=active, archived=archived)


def test_inv002_inactive_workflow_holding_credentials_fires() -> None:
    f = one(findings_of(INV002, app_of(_slack_post(active=False))))
    assert (f.resource.kind, f.resource.id) == ("workflow", wf_id("Form to Slack"))
    assert f.evidence == {"credentials": ["Slack bot #sales"], "active": False,
                          "archived": False, "last_saved": "2025-05-20T14:02:55.870Z"}


def test_inv002_archived_workflow_holding_credentials_fires() -> None:
    f = one(findings_of(INV002, app_of(_slack_post(active=False, archived=True))))
    assert f.evidence["archived"] is True


def test_inv002_undated_inactive_workflows_are_not_instance_state() -> None:
    """A template collection sets ``active: false`` on every file and drops the instance's
    timestamps: nothing there says an instance left the workflow switched off."""
    template = _slack_post(active=False)
    del template["createdAt"], template["updatedAt"]
    reason = skip_reason(INV002, app_of(template))
    assert reason.startswith(NOT_APPLICABLE) and "updatedAt" in reason
    dated = _slack_post(active=False)
    dated["name"] = dated["id"] = "Dated copy"
    f = one(findings_of(INV002, app_of(template, dated)))
    assert f.resource.name == "Dated copy"


def _downloaded(wf: dict[str, Any]) -> dict[str, Any]:
    """The workflow as the editor's Download writes it: no timestamps, the instance's id."""
    del wf["createdAt"], wf["updatedAt"], wf["isArchived"], wf["staticData"], wf["triggerCount"]
    wf["meta"] = {"templateCredsSetupCompleted": True, "instanceId": "9c" * 32}
    return wf


def test_inv002_instance_download_without_timestamps_is_instance_state() -> None:
    """A backup made with the editor's Download keeps the workflow id, versionId, the active
    flag and meta.instanceId but no updatedAt: its inactive flag is still the instance's."""
    f = one(findings_of(INV002, app_of(_downloaded(_slack_post(active=False)))))
    assert f.resource.id == wf_id("Form to Slack")
    assert f.evidence["credentials"] == ["Slack bot #sales"]
    assert f.evidence["last_saved"] is None


def test_inv002_collection_copy_or_placeholder_credentials_are_not_instance_state() -> None:
    """The look-alikes: a collection that re-wrote meta with its catalogue fields (licence,
    category, its own dates), and a download whose credential ids are placeholders."""
    catalogued = _downloaded(_slack_post(active=False))
    catalogued["meta"].update({"license": "MIT", "category": "Sales",
                               "createdAt": "2025-01-01", "updatedAt": "2025-01-01"})
    assert skip_reason(INV002, app_of(catalogued)).startswith(NOT_APPLICABLE)
    placeholder = _downloaded(_slack_post(active=False))
    placeholder["nodes"][1]["credentials"]["slackApi"]["id"] = "REPLACE_WITH_CREDENTIAL_ID"
    assert skip_reason(INV002, app_of(placeholder)).startswith(NOT_APPLICABLE)
    no_instance = _downloaded(_slack_post(active=False))
    del no_instance["meta"]["instanceId"]
    assert skip_reason(INV002, app_of(no_instance)).startswith(NOT_APPLICABLE)
    written_by_hand = _downloaded(_slack_post(active=False))
    written_by_hand["meta"]["instanceId"] = "n8n-instance-id"
    assert skip_reason(INV002, app_of(written_by_hand)).startswith(NOT_APPLICABLE)


def test_inv002_active_workflow_or_inactive_without_credentials_is_quiet() -> None:
    assert findings_of(INV002, app_of(_slack_post(active=True))) == []
    assert findings_of(INV002, app_of(_slack_post(active=False, credentials=False))) == []


def user(key: str, role: str, *, pending: bool = False) -> dict[str, Any]:
    """A user as ``GET /api/v1/users`` lists them."""
    return {"id": uid(f"user:{key}"), "email": f"{key}@acme.io", "firstName": key.title(),
            "lastName": "Acme", "createdAt": "2025-01-27T19:03:52.640Z",
            "updatedAt": "2025-05-30T07:12:09.377Z", "isPending": pending, "role": role}


def test_inv004_pending_invitation_fires() -> None:
    users = [user("ada", "global:owner"), user("bob", "global:member", pending=True)]
    f = one(findings_of(INV004, app_of(ping_runbook(), users=users)))
    assert (f.resource.kind, f.resource.id) == ("user", uid("user:bob"))
    assert f.evidence == {"roles": ["global:member"]}


def test_inv004_accepted_invitations_are_quiet() -> None:
    users = [user("ada", "global:owner"), user("bob", "global:member")]
    assert findings_of(INV004, app_of(ping_runbook(), users=users)) == []


# == PERM002 =====================================================================================


def test_perm002_four_administrators_fire_on_each() -> None:
    users = [user("ada", "global:owner"), user("bob", "global:admin"),
             user("cy", "global:admin"), user("dee", "global:admin"),
             user("eve", "global:member")]
    found = findings_of(PERM002, app_of(ping_runbook(), users=users))
    assert ids(found) == {uid(f"user:{k}") for k in ("ada", "bob", "cy", "dee")}
    assert all(f.resource.kind == "user" and f.message.startswith("one of 4 administrators")
               for f in found)


def test_perm002_three_administrators_are_quiet() -> None:
    users = [user("ada", "global:owner"), user("bob", "global:admin"),
             user("cy", "global:admin"), user("eve", "global:member"),
             user("fay", "global:member")]
    assert findings_of(PERM002, app_of(ping_runbook(), users=users)) == []


def test_perm002_pending_admin_does_not_count() -> None:
    users = [user("ada", "global:owner"), user("bob", "global:admin"),
             user("cy", "global:admin"), user("dee", "global:admin", pending=True)]
    assert findings_of(PERM002, app_of(ping_runbook(), users=users)) == []


# == SEC001 ======================================================================================


def _crm_header(value: str) -> dict[str, Any]:
    node = http_request("Push lead to CRM", "https://crm.acme-partner.com/api/leads")
    node["parameters"].update({"sendHeaders": True, "headerParameters": {"parameters": [
        {"name": "X-API-Key", "value": value}]}})
    return workflow("Lead sync", [schedule(), node], chain("Schedule Trigger",
                                                           "Push lead to CRM"))


def test_sec001_literal_api_key_in_a_header_fires() -> None:
    key = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
    f = one(findings_of(SEC001, app_of(_crm_header(key))))
    assert f.resource.id == uid("Push lead to CRM")
    assert key not in json.dumps(f.evidence)


def test_sec001_api_key_from_the_environment_is_quiet() -> None:
    assert findings_of(SEC001, app_of(_crm_header("={{ $env.CRM_API_KEY }}"))) == []


# == PLAT001 =====================================================================================

AUDIT = {"Nodes Risk Report": {"risk": "nodes", "sections": [{
    "title": "Official risky nodes",
    "description": "These nodes are part of n8n. Some of them allow arbitrary code execution.",
    "recommendation": "Consider restricting these nodes with NODES_EXCLUDE.",
    "location": [{"kind": "node", "workflowId": wid("Ops runbook"),
                  "workflowName": "Ops runbook", "nodeId": uid("Ping host"),
                  "nodeName": "Ping host", "nodeType": "n8n-nodes-base.executeCommand"}]}]}}


def _with_audit(audit: Any) -> App:
    spec = AppSpec("n8n+https://n8n.acme.io", "n8n", "https", "https://n8n.acme.io",
                   "n8n-n8n.acme.io")
    return ADAPTER.normalize(spec, RawSnapshot("n8n", {"workflows": [ping_runbook()],
                                                       "audit": audit}, "live"))


def test_plat001_relays_the_n8n_audit_with_its_category() -> None:
    f = one(findings_of(PLAT001, _with_audit(AUDIT)))
    assert (f.resource.kind, f.resource.id) == ("node", uid("Ping host"))
    assert f.resource.path == f"workflows/{wid('Ops runbook')}/{uid('Ping host')}"
    assert f.category == "injection"
    assert f.message == "n8n audit: Official risky nodes"
    assert f.evidence["recommendation"].startswith("Consider restricting")


def test_plat001_empty_audit_is_quiet() -> None:
    assert findings_of(PLAT001, _with_audit([])) == []


# == not applicable ==============================================================================
NODE_RED_ONLY = [
    authentication.test_admin_api_requires_authentication,
    authentication.test_http_nodes_require_authentication,
    encryption.test_credentials_encrypted_at_rest,
    connectors.test_palette_installs_disabled,
    connectors.test_function_external_modules_disabled,
    configuration.test_editor_not_bound_to_all_interfaces,
    configuration.test_function_timeout_bounded,
    configuration.test_http_parser_strict,
    logging_checks.test_entry_flows_catch_errors,
    inventory.test_node_modules_identified,
]


@pytest.mark.parametrize("check", NODE_RED_ONLY, ids=lambda c: rule_of(c).id)
def test_node_red_checks_on_n8n_are_not_applicable(check: Check) -> None:
    app = app_of(ping_runbook(), users=[user("ada", "global:owner")])
    assert skip_reason(check, app).startswith(NOT_APPLICABLE)


@pytest.mark.parametrize("check", [INV004, PERM002, permissions.test_no_public_shares,
                                   platform_audit.test_platform_audit_findings],
                         ids=lambda c: rule_of(c).id)
def test_instance_checks_on_a_workflow_export_are_not_applicable(check: Check) -> None:
    assert skip_reason(check, app_of(ping_runbook())).startswith(NOT_APPLICABLE)


# == end to end through the plugin ===============================================================
def _run(pytester: pytest.Pytester, path: Path, *extra: str
         ) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = pytester.path / "out.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=n8n+file:{path}",
                                f"--nocode-json={out}", *extra)
    return result, json.loads(out.read_text(encoding="utf-8"))


# ids in tests/data/detection/n8n-bad.json
BAD_WF = "Rk7Qz2Lw9XbT4mNc"
BAD_WEBHOOK = "0b6e5c1a-3f7d-4e29-8a41-c2d9f8b7e613"
BAD_EXEC = "7d3f9a2e-5b1c-4c8d-9e6f-a4b2c1d0e5f7"


def test_e2e_bad_workflow_export(pytester: pytest.Pytester) -> None:
    result, report = _run(pytester, DETECTION / "n8n-bad.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    (inj,) = by_rule["INJ001"]
    assert inj["resource"]["id"] == BAD_EXEC
    assert inj["resource"]["path"] == f"workflows/{BAD_WF}/{BAD_EXEC}"
    assert inj["evidence"]["route"] == [BAD_WEBHOOK, BAD_EXEC]
    assert inj["severity"] == "critical"
    (auth,) = by_rule["AUTH001"]
    assert auth["resource"]["id"] == BAD_WEBHOOK
    assert auth["evidence"]["authentication"] == "none" and auth["severity"] == "high"
    (log,) = by_rule["LOG001"]
    assert log["resource"]["id"] == BAD_WF
    assert log["evidence"]["saveDataErrorExecution"] == "none"
    assert [f["resource"]["id"] for f in by_rule["LOG003"]] == [BAD_WF]
    assert set(by_rule) == {"INJ001", "AUTH001", "LOG001", "LOG003"}
    skipped = {entry["check"].split("::")[1].split("[")[0]
               for entry in report["not_applicable"]}
    assert {c.__name__ for c in NODE_RED_ONLY} <= skipped


def test_e2e_good_workflow_export_passes(pytester: pytest.Pytester) -> None:
    result, report = _run(pytester, DETECTION / "n8n-good.json", "-v")
    assert report["findings"] == []
    assert result.ret == pytest.ExitCode.OK
    for check in [AUTH001, INJ001, INJ002, ENC001, ENC002, LOG001, LOG003, CFG004, CON001,
                  INV002, SEC001]:
        result.stdout.fnmatch_lines([f"*::{check.__name__}*PASSED*"])
