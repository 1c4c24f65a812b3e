"""Airtable's filterByFormula is a query the service evaluates: a webhook value quoted into it
can close the string and make the search match any record (then updated or returned).
Distilled in our own words from real appointment and placement workflows, both directions."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, one
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow

INJ001 = injection.test_untrusted_input_does_not_reach_sinks
INJ002 = injection.test_sinks_do_not_interpolate_data


def _lookup(params: dict[str, Any], version: float) -> dict[str, Any]:
    search = n8n_node("Find booking", "airtable", {"base": {"__rl": True, "value": "appQ"},
                                                   "table": {"__rl": True, "value": "tblB"},
                                                   **params}, version=version)
    return workflow("Reschedule", [webhook(path="bookings/move", method="POST"), search],
                    chain("Webhook", "Find booking"))


@pytest.mark.parametrize(("params", "version"), [
    ({"operation": "search", "filterByFormula": '={Phone} = "{{ $json.body.phone }}"'}, 2.1),
    ({"operation": "search", "options": {"filterByFormula": "={Ref} = '{{ $json.body.ref }}'"}},
     2.1),
    ({"operation": "list", "additionalOptions": {
        "filterByFormula": '=fullName="{{$json["body"]["name"]}}"'}}, 1),
])
def test_webhook_value_in_a_filter_formula_is_formula_injection(params: dict[str, Any],
                                                                version: float) -> None:
    f = one(findings_of(INJ001, app_of(_lookup(params, version))))
    assert f.resource.id == uid("Find booking")
    assert (f.evidence["sink"], f.evidence["parameter"]) == ("query", "filterByFormula")


@pytest.mark.parametrize("formula", ['={Status} = "open"', "={Created} > TODAY()"])
def test_a_fixed_formula_is_quiet(formula: str) -> None:
    app = app_of(_lookup({"operation": "search", "filterByFormula": formula}, 2.1))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []
