"""A service's response read by a field the service assigns (the id it minted for what the
call created, a time it stamped) is the service's key, not text of unknown origin: SQL that
pastes it in is no injection. Its other fields (a title) stay of unknown origin, and an id a
caller supplies (a webhook's body, a response from a target the caller chose) stays the
caller's (reported as caller input, INJ001)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, workflow


def _clock() -> dict[str, Any]:
    return n8n_node("Every hour", "scheduleTrigger", {"rule": {"interval": [{}]}}, version=1.2)


def _hook() -> dict[str, Any]:
    return n8n_node("Intake", "webhook", {"httpMethod": "POST", "path": "intake",
                                          "responseMode": "onReceived", "options": {}},
                    version=2, webhook=True)


def _create(url: str = "https://api.tickets.example/v1/tickets") -> dict[str, Any]:
    return n8n_node("Open ticket", "httpRequest", {"method": "POST", "url": url,
                                                   "options": {}}, version=4.2)


def _save(value: str) -> dict[str, Any]:
    return n8n_node("Save ref", "postgres", {
        "operation": "executeQuery",
        "query": f"=INSERT INTO refs (ticket) VALUES ('{{{{ {value} }}}}');"}, version=2.5)


def _app(value: str, start: dict[str, Any] | None = None,
         create: dict[str, Any] | None = None) -> Any:
    start = start or _clock()
    create = create or _create()
    return app_of(workflow("Tickets", [start, create, _save(value)],
                           chain(start["name"], "Open ticket", "Save ref")))


@pytest.mark.parametrize("value", [
    "$json.id", "$json.result.message_thread_id", "$('Open ticket').first().json.ticketId",
    "$json.data[0].uuid", "$json.created_at"])
def test_a_field_the_service_assigned_is_no_text(value: str) -> None:
    assert findings_of(INJ002, _app(value)) == []


@pytest.mark.parametrize("value", ["$json.title", "$json.result.text", "$json.paid"])
def test_other_fields_of_the_response_stay_unknown(value: str) -> None:
    assert one(findings_of(INJ002, _app(value))).resource.id == uid("Save ref")


def test_an_id_the_caller_posted_stays_the_callers() -> None:
    app = app_of(workflow("Tickets", [_hook(), _save("$json.body.id")],
                          chain("Intake", "Save ref")))
    assert one(findings_of(INJ001, app)).resource.id == uid("Save ref")


def test_an_id_from_a_target_the_caller_chose_stays_the_callers() -> None:
    """The caller picked the server it is fetched from: that server's ids are the caller's."""
    app = _app("$json.id", start=_hook(), create=_create("={{ $json.body.callback }}"))
    assert uid("Save ref") in {f.resource.id for f in findings_of(INJ001, app)}


# -- the same on Node-RED: an http request node's answer read by a mustache template ----------
def _nodered_flow(column: str) -> list[dict[str, Any]]:
    from tests.test_checks_nodered import config, nid, node, tab

    sql = node("sql", "template", name="sql", field="topic", fieldType="msg", format="sql",
               syntax="mustache", output="str", wires=[["db"]],
               template=f"INSERT INTO refs (ticket) VALUES ('{{{{{{payload.{column}}}}}}}');")
    return [tab(), config("cfg", "MySQLdatabase", name="plant"),
            node("tick", "inject", repeat="3600", wires=[["req"]]),
            node("req", "http request", method="POST", ret="obj", wires=[["sql"]],
                 url="https://api.tickets.example/v1/tickets"),
            sql, node("db", "mysql", mydb=nid("cfg"), wires=[[]])]


@pytest.mark.parametrize(("column", "fires"), [
    ("id", False), ("ticket_id", False), ("createdAt", False), ("title", True)])
def test_nodered_a_field_the_service_assigned_is_no_text(column: str, fires: bool) -> None:
    from tests.test_checks_nodered import app_of as nodered_app
    from tests.test_checks_nodered import nid

    found = findings_of(INJ002, nodered_app(_nodered_flow(column)))
    assert (nid("sql") in {f.resource.id for f in found}) is fires
