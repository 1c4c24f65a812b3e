"""INJ001 on a caller's value in the path of a fixed API URL: a ``../`` or ``?`` in it reaches
another endpoint of that API with what the request carries of the owner's. A request that
carries nothing of the owner's (no credential, no authentication, no header or query parameter
named for a secret, no secret in its URL) to a public host reaches nothing a caller could not
call directly; a host only n8n reaches is another matter.
Distilled from a shop's WhatsApp automations, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import INJ001
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow

URL = "=https://shop.example.com/api/orders/{{ $json.body.id }}"


def _order_status(url: str = URL, **extra: Any) -> dict[str, Any]:
    credentials = extra.pop("credentials", None)
    get = n8n_node("Order status", "httpRequest", {"method": "GET", "url": url, "options": {},
                                                   **extra}, version=4.2,
                   credentials=credentials)
    return workflow("Abandoned carts", [webhook(path="cart", method="POST"), get],
                    chain("Webhook", "Order status"))


def _headers(*names: str) -> dict[str, Any]:
    return {"sendHeaders": True, "headerParameters": {"parameters": [
        {"name": n, "value": "application/json" if n == "Accept" else "={{ $env.SHOP_KEY }}"}
        for n in names]}}


@pytest.mark.parametrize(("extra", "fires"), [
    ({}, False),  # a public endpoint, nothing of the owner's sent
    (_headers("Accept"), False),
    ({"authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth",
      "credentials": {"httpHeaderAuth": ("Hq8vN2xKp5Lm3RtZ", "Shop API key")}}, True),
    (_headers("Accept", "X-Shop-Token"), True),
    ({"sendQuery": True, "queryParameters": {"parameters": [
        {"name": "api_key", "value": "={{ $env.SHOP_KEY }}"}]}}, True),
])
def test_inj001_url_path_steering_needs_something_of_the_owners_sent(extra: dict[str, Any],
                                                                      fires: bool) -> None:
    found = findings_of(INJ001, app_of(_order_status(**extra)))
    assert (uid("Order status") in ids(found)) is fires


@pytest.mark.parametrize("url", [
    "=https://shop.example.com/api/orders/{{ $json.body.id }}?token=s3cr3t",
    "=https://shop.example.com/bot{{ $env.BOT_TOKEN }}/orders/{{ $json.body.id }}",
    # a backend only n8n reaches (a compose service, a private address): n8n's place in the
    # network is what the caller borrows, credential or not
    "=http://backend:8000/orders/{{ $json.body.id }}",
    "=http://10.0.4.12/api/orders/{{ $json.body.id }}",
])
def test_inj001_a_secret_in_the_url_or_a_host_only_n8n_reaches_still_fires(url: str) -> None:
    assert uid("Order status") in ids(findings_of(INJ001, app_of(_order_status(url))))
