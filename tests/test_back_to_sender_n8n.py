"""What a webhook received goes back where it came from: not an export, not an injection.

A call whose first steps verify a service's webhook signature (Discord's
``x-signature-ed25519``, Stripe's ``stripe-signature``, …) comes from that service; its
interaction id and token sent to that service's own callback URL return to the party that
sent them (EXP001 quiet), and the values in that URL's path are the service's own (INJ001
quiet). A dispatch that starts the owner's own CI pipeline (GitHub ``/dispatches``) takes a
caller's values as its jobs' inputs: nothing is kept in a repository.

Look-alikes stay reported: the same values sent to another service, the same request after
a check of a plain shared token (the caller is anyone holding it, not the service), and a
file commit to the same repository."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of
from tests.rules import EXP001, INJ001
from tests.test_checks_n8n import app_of, chain, code, n8n_node, webhook, workflow

VERIFY = ("const nacl = require('tweetnacl');\n"
          "const headers = $json.headers;\n"
          "const signature = headers['x-signature-ed25519'];\n"
          "const timestamp = headers['x-signature-timestamp'];\n"
          "const ok = nacl.sign.detached.verify(Buffer.from(timestamp + JSON.stringify("
          "$json.body)), Buffer.from(signature, 'hex'), Buffer.from($env.DISCORD_KEY, 'hex'));\n"
          "if (!ok) { throw new Error('Invalid signature'); }\n"
          "return $input.all();")
SHARED = ("if ($json.body.secret_token !== $env.TRIGGER_TOKEN) { throw new Error('no'); }\n"
          "return $input.all();")


def _callback(host: str, check: str) -> dict[str, Any]:
    entry = webhook("Interaction", path="discord/interaction", method="POST")
    answer = n8n_node("Defer", "httpRequest", {
        "method": "POST", "url": f"=https://{host}/api/v10/interactions/{{{{ $json.body.id }}}}"
                                  "/{{ $json.body.token }}/callback",
        "sendBody": True, "bodyParameters": {"parameters": [{"name": "type", "value": 5}]},
        "sendHeaders": True, "headerParameters": {"parameters": [
            {"name": "Authorization", "value": "=Bot {{ $env.DISCORD_BOT_TOKEN }}"}]},
        "options": {}}, version=4.2)
    return workflow("Gateway", [entry, code("Verify", check), answer],
                    chain("Interaction", "Verify", "Defer"))


def test_an_interaction_answered_at_its_senders_callback() -> None:
    app = app_of(_callback("discord.com", VERIFY))
    assert findings_of(EXP001, app) == []
    assert findings_of(INJ001, app) == []


@pytest.mark.parametrize(("host", "check"), [("hooks.example-chat.io", VERIFY),
                                             ("discord.com", SHARED)])
def test_elsewhere_or_after_a_shared_token_it_is_reported(host: str, check: str) -> None:
    app = app_of(_callback(host, check))
    assert len(findings_of(EXP001, app)) == 1
    assert len(findings_of(INJ001, app)) == 1


def _github(path: str) -> dict[str, Any]:
    entry = webhook("Remote trigger", path="remote-trigger", method="POST")
    push = n8n_node("To GitHub", "httpRequest", {
        "method": "POST" if path.endswith("dispatches") else "PUT",
        "url": f"https://api.github.com/repos/acme/ops/{path}", "sendBody": True,
        "specifyBody": "json", "authentication": "genericCredentialType",
        "genericAuthType": "httpHeaderAuth",
        "jsonBody": "={{ JSON.stringify({ event_type: 'run', client_payload: { branch: "
                    "$json.body.branch, token: $json.body.token } }) }}", "options": {}},
        version=4.2, credentials={"httpHeaderAuth": ("c1", "GitHub PAT")})
    return workflow("Remote", [entry, code("Check", SHARED), push],
                    chain("Remote trigger", "Check", "To GitHub"))


def test_a_dispatch_to_the_owners_pipeline_is_no_export() -> None:
    assert findings_of(EXP001, app_of(_github("dispatches"))) == []


def test_a_commit_of_the_same_values_is() -> None:
    assert len(findings_of(EXP001, app_of(_github("contents/runs/last.json")))) == 1
