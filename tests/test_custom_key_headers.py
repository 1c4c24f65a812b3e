"""A custom ``X-<purpose>-Key`` header carries a key the receiving service checks (an app's
cron endpoint guarded by ``x-cron-key: <shared secret>``), whatever its purpose word; an
idempotency or cache key under the same shape names no secret. Distilled from a real cron
workflow that typed its shared key into two requests' headers."""

from __future__ import annotations

import pytest

from pytest_nocode.secretscan.names import is_secret_name
from tests.checkrun import findings_of, ids
from tests.rules import SEC001
from tests.test_checks_n8n import app_of, chain, n8n_node, schedule, uid, workflow


@pytest.mark.parametrize("name", ["x-cron-key", "X-Master-Key", "X-Tenant-Key"])
def test_a_custom_x_key_header_names_a_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["X-Idempotency-Key", "x-cache-key", "X-Sort-Key"])
def test_an_idempotency_or_cache_key_header_does_not(name: str) -> None:
    assert not is_secret_name(name)


def _cron_call(header: str, value: str) -> dict:
    call = n8n_node("Verify cart", "httpRequest",
                    {"url": "https://shop-api.example.net/api/carts/verify",
                     "sendHeaders": True, "headerParameters": {"parameters": [
                         {"name": header, "value": value}]}, "options": {}}, version=4.1)
    return workflow("Carts", [schedule(), call], chain("Schedule Trigger", "Verify cart"))


def test_sec001_shared_key_typed_into_an_x_cron_key_header() -> None:
    assert ids(findings_of(SEC001, app_of(_cron_call("x-cron-key", "ClothSecret2026")))) == {
        uid("Verify cart")}


def test_sec001_quiet_on_an_idempotency_key_header() -> None:
    app = app_of(_cron_call("X-Idempotency-Key", "order-2026-0042-retry"))
    assert findings_of(SEC001, app) == []
