"""CFG003 on a request that only polls the owner's own services on the same host or its
compose network (issue 11): the lenient parser is only ever fed by those services, so it is
not reported by default (info with ``report_local_insecure_parsers``); one towards another
host, or to an address the message picks, still is. Flows written here in our own words."""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one, policy
from tests.rules import CFG003
from tests.test_checks_nodered import app_of, http_request, inject, nid, tab

LISTED = policy("version: 1\nsettings:\n  report_local_insecure_parsers: true\n")


def _poll(url: str) -> list[dict[str, Any]]:
    """A timer polls ``url`` with the insecure parser on."""
    return [tab(), inject("tick", to=["req"], repeat="30"),
            http_request("req", url, insecure=True, method="GET")]


def test_a_lenient_poll_of_a_same_host_or_compose_service_is_not_reported() -> None:
    for url in ("http://vcache_frontend/varnish-status", "http://127.0.0.1:6081/status"):
        app = app_of(_poll(url))
        assert findings_of(CFG003, app) == [], url
        listed = one(findings_of(CFG003, app, LISTED))
        assert listed.severity == Severity.INFO and listed.evidence["same_host"] is True
        assert "same host or its compose network" in listed.message


def test_a_lenient_request_elsewhere_or_to_a_dynamic_address_is_reported() -> None:
    for url in ("https://api.acme.io/v1/ping", "http://192.168.1.20/status", ""):
        found = one(findings_of(CFG003, app_of(_poll(url))))
        assert found.resource.id == nid("req") and found.severity == Severity.MEDIUM, url
