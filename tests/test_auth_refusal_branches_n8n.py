"""An n8n webhook whose Code step computes an HMAC over the body and flags the call valid or
not, and whose If on that flag sends a refused call to one last step that only logs it (code
that reaches out to nothing and returns an item of its own), fails closed: the refused call
goes no further, so the webhook authenticates in its flow (AUTH004), it is not open (AUTH001).
A logging step that calls out, hands its input item on (the expected signature in it) or
goes on to other steps is no such end; nor is an answer other than 401 or 403 there, as
before. Distilled in our own words from media-upload webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids, one
from tests.rules import AUTH001, AUTH004
from tests.test_checks_n8n import (
    app_of,
    branches,
    chain,
    code,
    if_node,
    n8n_node,
    postgres,
    uid,
    webhook,
    workflow,
)

FLAG_HMAC = ("const crypto = require('crypto');\n"
             "const expected = crypto.createHmac('sha256', $env.UPLOAD_SECRET)"
             ".update(JSON.stringify($json.body)).digest('hex');\n"
             "const given = $json.headers['x-upload-signature'] || '';\n"
             "return [{ json: { ...$json, valid: given === expected, expected } }];")
LOG_ONLY = ("console.error('upload refused: bad signature', "
            "$input.first().json.headers['x-forwarded-for']);\n"
            "return [{ json: { rejected: true } }];")
LOG_OUT = ("await this.helpers.httpRequest({ method: 'POST', url: 'https://log.acme.io', "
           "body: $input.first().json });\nreturn [{ json: { rejected: true } }];")


def _upload_hook(refusal: dict[str, Any], after_refusal: dict[str, Any] | None = None) -> Any:
    hook = webhook("Upload", path="media/upload", method="POST")
    verify = code("Verify HMAC", FLAG_HMAC)
    valid = if_node("Signature valid?", "={{ $json.valid }}", "true", "")
    save = postgres("Save upload", "insert", table={"__rl": True, "value": "uploads"})
    nodes = [hook, verify, valid, save, refusal]
    connections = {**chain("Upload", "Verify HMAC", "Signature valid?"),
                   **branches("Signature valid?", ["Save upload"], [refusal["name"]])}
    if after_refusal is not None:
        nodes.append(after_refusal)
        connections.update(chain(refusal["name"], after_refusal["name"]))
    return app_of(workflow("Media upload", nodes, connections))


FIXED_REFUSALS = {
    "code that only logs": code("Log refusal", LOG_ONLY),
}


@pytest.mark.parametrize("refusal", FIXED_REFUSALS.values(), ids=FIXED_REFUSALS.keys())
def test_a_refusal_branch_that_only_logs_or_answers_fixed_content_fails_closed(
        refusal: dict[str, Any]) -> None:
    app = _upload_hook(refusal)
    assert findings_of(AUTH001, app) == []
    f = one(findings_of(AUTH004, app))
    assert f.resource.id == uid("Upload")
    assert f.evidence["guard"]["step"] == uid("Signature valid?")
    assert refusal["name"] in f.evidence["guard"]["on_failure"]


OPEN_REFUSALS = {
    "a 200 answer": (n8n_node(
        "Refuse", "respondToWebhook", {"respondWith": "text", "responseBody": "refused"}), None),
    "code handing its input on": (code("Log refusal", "console.log('refused');\n"
                                        "return $input.all();"), None),
    "answers the incoming item": (n8n_node(
        "Refuse", "respondToWebhook", {"respondWith": "allIncomingItems"}), None),
    "an answer built from the item": (n8n_node(
        "Refuse", "respondToWebhook", {"respondWith": "json",
                                       "responseBody": "={{ { expected: $json.expected } }}"}),
        None),
    "logs by calling out": (code("Log refusal", LOG_OUT), None),
    "goes on after logging": (code("Log refusal", LOG_ONLY),
                              postgres("Save anyway", "insert",
                                       table={"__rl": True, "value": "uploads"})),
}


@pytest.mark.parametrize("refusal, after", OPEN_REFUSALS.values(), ids=OPEN_REFUSALS.keys())
def test_a_refusal_branch_that_hands_back_or_goes_on_is_no_check(
        refusal: dict[str, Any], after: dict[str, Any] | None) -> None:
    app = _upload_hook(refusal, after)
    assert ids(findings_of(AUTH001, app)) == {uid("Upload")}
    assert findings_of(AUTH004, app) == []
