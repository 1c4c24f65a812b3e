"""Node-RED INJ002: a cron-plus schedule starts messages of its own.

Distilled, in our own words, from a mail-processing deployment whose nightly maintenance
schedule runs a cleanup and a VACUUM through sqlite nodes: the message a schedule starts holds
the schedule's topic and payload, not "input this app does not show". A schedule added by a
message sent to the node carries that message's payload, which keeps its origin."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, exec_node, http_in, nid, node, tab


def _nightly(*, payload_type: str = "default", payload: str = "",
             to: str = "cleanup") -> dict[str, Any]:
    return node("nightly", "cron-plus", name="nightly", outputField="payload", outputs=1,
                options=[{"name": "schedule", "topic": "maintenance", "type": "cron",
                          "value": "0 3 * * *", "payloadType": payload_type,
                          "payload": payload}], wires=[[to]])


def _maintenance(*extra: dict[str, Any], payload_type: str = "default") -> list[dict[str, Any]]:
    """At 03:00: delete old rows, then compact the database (the sqlite nodes run msg.topic)."""
    return [tab(), _nightly(payload_type=payload_type, payload="1"),
            node("cleanup", "sqlite", mydb=nid("mail db"), name="cleanup",
                 sql="DELETE FROM mails WHERE received < date('now', '-30 days')",
                 wires=[["compact"]]),
            node("compact", "sqlite", mydb=nid("mail db"), name="compact", sql="VACUUM;",
                 wires=[[]]), *extra]


def test_a_query_a_schedule_starts_is_no_data_of_unknown_origin() -> None:
    for payload_type in ("default", "str", "num"):
        app = app_of(_maintenance(payload_type=payload_type))
        assert findings_of(INJ002, app) == [] and findings_of(INJ001, app) == []


def test_an_unknown_timer_node_still_leaves_the_query_unknown() -> None:
    flows = _maintenance()
    flows[1] = {**flows[1], "type": "some-scheduler"}
    assert {f.resource.id for f in findings_of(INJ002, app_of(flows))} >= {nid("cleanup")}


def test_a_schedule_a_caller_adds_keeps_the_callers_payload() -> None:
    flows = [tab(), http_in("schedule", "/schedule", to=["nightly"]),
             _nightly(to="run"), exec_node("run", "/opt/jobs/run.sh", "payload")]
    found = findings_of(INJ001, app_of(flows))
    assert [f.resource.id for f in found] == [nid("run")]
