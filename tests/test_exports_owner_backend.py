"""EXP001 and a backend the owner runs for itself, distilled in our own words from a real
order-intake workflow: each order a webhook receives is posted, without any key, to the
shop's own API on a hosting platform's subdomain, and the flow goes on with what that API
answers (a lookup of the catalogue, then writes). A third party's API knows its callers by a
key; one that takes the data without any and is used as the app's system of record is the
owner's own. Without the read-back the sign is weak: the finding stays, at low severity, and
says so."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_exports as exports
from pytest_nocode.findings import Finding
from tests.checkrun import findings_of, policy
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, n8n_node, webhook, workflow

HOST = "shopfront-api.render-apps.example"


def _post(key: str, url: str, body: str, **extra: Any) -> dict[str, Any]:
    return n8n_node(key, "httpRequest", {
        "method": "POST", "url": url, "sendBody": True, "specifyBody": "json",
        "jsonBody": body, "options": {}, **extra}, version=4.2)


def _orders(host: str = HOST, *, read_back: bool = True, **lookup_extra: Any
            ) -> dict[str, Any]:
    """Webhook → look the order's customer up at ``host`` → post the order there; with
    ``read_back`` the post sends what the lookup answered, else only what the caller sent."""
    lookup = _post("Check customer", f"https://{host}/api/customers/check",
                   "={{ JSON.stringify({ email: $json.body.customer_email }) }}",
                   **lookup_extra)
    sent = ("={{ JSON.stringify({ customer: $json.customer_ref, "
            "email: $('Order in').item.json.body.customer_email }) }}" if read_back
            else "={{ JSON.stringify({ email: $('Order in').item.json.body.customer_email }) }}")
    create = _post("Create order", f"https://{host}/api/orders", sent)
    nodes = [webhook("Order in", "orders/new", "POST", auth="headerAuth"), lookup, create]
    connections = {"Order in": {"main": [[{"node": "Check customer", "type": "main",
                                           "index": 0}]]},
                   "Check customer": {"main": [[{"node": "Create order", "type": "main",
                                                 "index": 0}]]}}
    return workflow("Order intake", nodes, connections)


def _found(wf: dict[str, Any], pol: Any = None) -> list[Finding]:
    return findings_of(EXP001, app_of(wf), pol)


def test_a_keyless_api_the_app_keeps_its_records_in_is_the_owners_backend() -> None:
    assert _found(_orders()) == []


def test_a_keyless_api_only_written_to_looks_owned_and_stays_low() -> None:
    found = _found(_orders(read_back=False))
    assert {f.resource.name for f in found} == {"Check customer", "Create order"}
    assert {f.severity.name.lower() for f in found} == {"low"}
    assert all("looks like the owner's own" in f.message for f in found)
    assert all(f.evidence["owner_sign"] == exports.OWN_LOOKALIKE for f in found)


@pytest.mark.parametrize("lookup_extra", [
    # a key in a header: the API knows its caller, as a third party's does
    {"sendHeaders": True, "headerParameters": {"parameters": [
        {"name": "X-Api-Key", "value": "={{ $env.SHOP_KEY }}"}]}},
    # the platform's own credential
    {"authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth"},
    # an environment value sent along may hold one
    {"sendQuery": True, "queryParameters": {"parameters": [
        {"name": "tenant", "value": "={{ $env.SHOP_TENANT }}"}]}},
])
def test_one_request_with_a_credential_makes_the_host_anyones(lookup_extra: dict[str, Any]
                                                               ) -> None:
    found = _found(_orders(**lookup_extra))
    assert found, "a host reached with a key is a third party's as far as the export shows"
    assert {f.severity.name.lower() for f in found} == {"medium"}
    assert not any("owner_sign" in f.evidence for f in found)


def test_a_key_in_the_url_path_is_a_credential() -> None:
    found = _found(_orders("hooks.relay.example/T0b5Kd9x2QeP7wLm4ZrA8sVn"))
    assert {f.severity.name.lower() for f in found} == {"medium"}


def test_a_public_request_catcher_is_never_the_owners() -> None:
    found = _found(_orders("a81c2f.webhook.site"))
    assert {f.resource.name for f in found} == {"Check customer", "Create order"}
    assert {f.severity.name.lower() for f in found} == {"medium"}


def test_the_policy_names_the_owners_hosts() -> None:
    """What the export cannot prove, the policy says: hosts.internal or a trust zone."""
    for text in ("version: 1\nhosts:\n  internal: ['*.render-apps.example']\n",
                 f"version: 1\ntrust_zones:\n  private:\n    hosts: ['{HOST}']\n"):
        assert _found(_orders(read_back=False), policy(text)) == []


def _logged_to(host: str, *, key: bool = True) -> dict[str, Any]:
    """Webhook → each chat message logged, as a row, through a database project's REST API."""
    headers = {"sendHeaders": True, "headerParameters": {"parameters": [
        {"name": "apikey", "value": "={{ $env.PROJECT_SERVICE_KEY }}"}]}} if key else {}
    log = _post("Log message", f"https://{host}/rest/v1/chat_log",
                "={{ JSON.stringify({ phone: $json.body.phone, text: $json.body.text }) }}",
                **headers)
    nodes = [webhook("Chat in", "chat/in", "POST", auth="headerAuth"), log]
    connections = {"Chat in": {"main": [[{"node": "Log message", "type": "main",
                                          "index": 0}]]}}
    return workflow("Chat log", nodes, connections)


def test_the_apps_own_database_project_reached_with_its_key_is_no_export() -> None:
    assert _found(_logged_to("qwhbzkxlrtmvnpaodsfe.supabase.co")) == []


@pytest.mark.parametrize(("host", "key"), [
    # without the project's key the request is nobody's in particular: still reported
    ("qwhbzkxlrtmvnpaodsfe.supabase.co", False),
    # the service's own site, and a look-alike suffix, are no project of the app
    ("supabase.co", True),
    ("qwhbzkxlrtmvnpaodsfe.notsupabase.co", True),
])
def test_only_a_projects_own_subdomain_with_its_key_counts(host: str, key: bool) -> None:
    assert [f.resource.name for f in _found(_logged_to(host, key=key))] == ["Log message"]
