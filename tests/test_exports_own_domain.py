"""EXP001 and the organisation's own domain, distilled from a real lead-intake workflow in our
own words: leads read from the database go to the company's CRM and to its sales staff by
mail, at one domain. Either alone is not shown to be the company's own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of
from tests.rules import EXP001
from tests.test_checks_n8n import app_of, chain, n8n_node, postgres, schedule, workflow


def _leads_to(crm_url: str, staff: str | None) -> dict[str, Any]:
    reader = postgres("Read leads", "select", table={"__rl": True, "value": "leads"},
                      returnAll=True, options={})
    crm = n8n_node("Create CRM lead", "httpRequest", {
        "method": "POST", "url": crm_url, "sendBody": True, "contentType": "raw",
        "body": "={{ $json.email }}", "options": {}}, version=4.2)
    nodes = [schedule(), reader, crm]
    targets = [{"node": "Create CRM lead", "type": "main", "index": 0}]
    if staff is not None:
        nodes.append(n8n_node("Tell sales", "gmail", {
            "sendTo": staff, "subject": "New lead",
            "message": "={{ $json.email }} asked for prices"}, version=2.1))
        targets.append({"node": "Tell sales", "type": "main", "index": 0})
    connections = {"Schedule Trigger": {"main": [[{"node": "Read leads", "type": "main",
                                                   "index": 0}]]},
                   "Read leads": {"main": [targets]}}
    return workflow("Lead intake", nodes, connections)


def _reported(wf: dict[str, Any]) -> set[str]:
    return {f.resource.name for f in findings_of(EXP001, app_of(wf))}


def test_crm_and_staff_mail_at_one_domain_are_the_companys_own() -> None:
    wf = _leads_to("https://crm.vistaverde-homes.example:8055/leads",
                   "sales@vistaverde-homes.example")
    assert _reported(wf) == set()


@pytest.mark.parametrize(("crm_url", "staff", "reported"), [
    # the CRM alone: a SaaS API like any other
    ("https://crm.vistaverde-homes.example/leads", None, {"Create CRM lead"}),
    # staff mailed at one domain, the data posted to another: both leave
    ("https://api.lead-broker.example/v1/leads", "sales@vistaverde-homes.example",
     {"Create CRM lead", "Tell sales"}),
    # a look-alike suffix is not the domain
    ("https://crm.notvistaverde-homes.example/leads", "sales@vistaverde-homes.example",
     {"Create CRM lead", "Tell sales"}),
])
def test_one_signal_alone_is_not_the_companys_domain(crm_url: str, staff: str | None,
                                                      reported: set[str]) -> None:
    assert _reported(_leads_to(crm_url, staff)) == reported


def _rows_posted(reader: str, host: str) -> dict[str, Any]:
    """One table read by a step named ``reader``, each whole row posted to ``host``."""
    rows = postgres(reader, "select", table={"__rl": True, "value": "events"}, returnAll=True,
                    options={})
    post = n8n_node(f"Post {reader}", "httpRequest", {
        "method": "POST", "url": f"https://{host}/in", "sendBody": True, "contentType": "raw",
        "body": "={{ JSON.stringify($json) }}", "options": {}}, version=4.2)
    return workflow(f"Export {reader}", [schedule(f"Every night {reader}"), rows, post],
                    chain(f"Every night {reader}", reader, f"Post {reader}"))


def test_whole_rows_of_one_table_are_labelled_by_each_reader() -> None:
    """A whole record's labels are kept per origin, not per table: the same table read as
    customers is personal data, read as metrics it is not."""
    app = app_of(_rows_posted("Load customers", "api.partner-one.example"),
                 _rows_posted("Load metrics", "api.partner-two.example"))
    found = [(f.resource.name, f.evidence["labels"]) for f in findings_of(EXP001, app)]
    assert found == [("Post Load customers", ["personal data"])]
