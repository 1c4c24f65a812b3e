"""Airtable's filterByFormula is a query the service evaluates: a webhook value quoted into it
can close the string and make the search match any record (then updated or returned).
Distilled in our own words from real appointment and placement workflows, both directions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow


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


# -- sheet cells the sheet evaluates -------------------------------------------------------------
def _form_to_sheet(value: str, version: float = 4.5, **options: str) -> dict[str, Any]:
    """A public job-application form appended to a Google Sheet, distilled from real intake
    workflows: the applicant's answer is written into a cell."""
    form = n8n_node("Application", "formTrigger", {
        "formTitle": "Apply", "formFields": {"values": [{"fieldLabel": "Full Name"}]}},
        version=2.2, webhook=True)
    sheet = n8n_node("Candidates", "googleSheets", {
        "operation": "append", "documentId": {"__rl": True, "value": "1AbCdSheet"},
        "sheetName": {"__rl": True, "value": "gid=0"},
        "columns": {"mappingMode": "defineBelow", "value": {"Name": value,
                                                             "Stage": "new"}},
        "options": dict(options)}, version=version)
    return workflow("Hiring", [form, sheet], chain("Application", "Candidates"))


def test_form_text_in_a_cell_the_sheet_evaluates_is_formula_injection() -> None:
    f = one(findings_of(INJ001, app_of(_form_to_sheet("={{ $json['Full Name'] }}"))))
    assert f.resource.id == uid("Candidates")
    assert (f.evidence["sink"], f.severity.name) == ("formula", "MEDIUM")


@pytest.mark.parametrize(("value", "version", "options"), [
    ("={{ $json['Full Name'] }}", 4.5, {"cellFormat": "RAW"}),  # "Let n8n format": text
    ("={{ $json['Full Name'] }}", 4, {}),  # before 4.1 RAW is the default
    ("='{{ $json['Full Name'] }}", 4.5, {}),  # a leading apostrophe keeps it text
    ("={{ $now.toISO() }}", 4.5, {}),  # a value of known origin
])
def test_raw_cells_escaped_values_and_known_values_are_quiet(value: str, version: float,
                                                             options: dict[str, str]) -> None:
    app = app_of(_form_to_sheet(value, version, **options))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_cells_auto_mapped_from_a_webhook_are_formula_injection() -> None:
    sheet = n8n_node("Log lead", "googleSheets", {
        "operation": "append", "documentId": {"__rl": True, "value": "1AbCdSheet"},
        "sheetName": {"__rl": True, "value": "Leads"},
        "columns": {"mappingMode": "autoMapInputData", "value": {}}}, version=4.7)
    wf = workflow("Leads", [webhook(path="leads", method="POST"), sheet],
                  chain("Webhook", "Log lead"))
    assert one(findings_of(INJ001, app_of(wf))).resource.id == uid("Log lead")
