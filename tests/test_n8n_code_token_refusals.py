"""An n8n Code step that compares the caller's header token and, on a mismatch, returns one
fixed refusal item (``{ error: 'unauthorized' }``, ``{ authorized: false }``) fails closed: the
webhook authenticates in the flow (AUTH004's kind), not open (AUTH001). So does such a check
after a Respond to Webhook that only acknowledges with fixed text. A mismatch that passes the
request's own item on, or an acknowledgement built from the request, is not such a check."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import AUTH001, AUTH004
from tests.test_checks_n8n import app_of, chain, code, n8n_node, uid, webhook, workflow

REFUSE_ERROR = ("const t = $input.first().json.headers?.['x-agent-token'];\n"
                "if (t !== $env.AGENT_TOKEN) {\n"
                "  return [{ json: { body: JSON.stringify({ success: false, error: 'no' }) } }];\n"
                "}\nreturn [{ json: { cmd: $getWorkflowStaticData('global').next } }];")
REFUSE_FLAG = ("const t = $input.first().json.headers?.['x-agent-token'];\n"
               "if (t !== $env.AGENT_TOKEN) return [{ json: { authorized: false } }];\n"
               "return [{ json: { authorized: true, result: $input.first().json.body } }];")
PASSES_ON = ("const t = $input.first().json.headers?.['x-agent-token'];\n"
             "if (t !== $env.AGENT_TOKEN) console.log('bad token');\n"
             "const ok = t === $env.AGENT_TOKEN;\n"
             "return [{ json: { ...$input.first().json.body, authorized: ok } }];")


def _hook(js: str, ack: str | None = None) -> Any:
    entry = webhook("Agent", path="agent-poll", method="POST")
    check = code("Check token", js)
    act = n8n_node("Run", "executeCommand", {"command": "=/opt/agent/run.sh"})
    nodes, names = [entry, check, act], ["Agent", "Check token", "Run"]
    if ack is not None:
        nodes.insert(1, n8n_node("Ack", "respondToWebhook",
                                 {"respondWith": "text", "responseBody": ack}))
        names.insert(1, "Ack")
    return app_of(workflow("Agent", nodes, chain(*names)))


@pytest.mark.parametrize("js", [REFUSE_ERROR, REFUSE_FLAG])
def test_a_token_check_answering_a_fixed_refusal_is_in_flow_authentication(js: str) -> None:
    app = _hook(js)
    assert findings_of(AUTH001, app) == []
    assert ids(findings_of(AUTH004, app)) == {uid("Agent")}


def test_a_token_check_whose_mismatch_passes_the_request_on_is_open() -> None:
    assert ids(findings_of(AUTH001, _hook(PASSES_ON))) == {uid("Agent")}


def test_a_fixed_acknowledgement_before_the_check_leaves_it_the_gate() -> None:
    assert findings_of(AUTH001, _hook(REFUSE_FLAG, ack="ok")) == []


def test_an_acknowledgement_built_from_the_request_is_not_passed() -> None:
    app = _hook(REFUSE_FLAG, ack="=got {{ $json.body.id }}")
    assert ids(findings_of(AUTH001, app)) == {uid("Agent")}
