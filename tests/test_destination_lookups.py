"""A step's destinations, and the fixed calls to one host, are looked up in an index made once
per app (issue 8): checks asked them per sink, per origin or per destination by scanning every
destination of the app, which grew with the square of the org (INJ001 and EXP001 at 20,000
workflows). Each lookup answers what the scan did, in the app's order."""

from __future__ import annotations

from pytest_nocode.checks._support import destinations_by_step
from pytest_nocode.checks.test_exports import _fixed_calls_by_host
from tests.test_checks_n8n import app_of, chain, http_request, schedule, workflow


def _app():  # type: ignore[no-untyped-def]
    nodes = [schedule(), http_request("Push", "https://API.example.com/v1/orders"),
             http_request("Again", "https://api.example.com/v1/refunds"),
             http_request("Chosen", "={{ $json.callback }}"),
             http_request("Other", "https://other.example.org/hook")]
    return app_of(workflow("calls", nodes, chain("Schedule Trigger", "Push", "Again", "Chosen",
                                                  "Other")))


def test_a_steps_destinations_are_the_scans_answer() -> None:
    app = _app()
    index = destinations_by_step(app)
    for step in app.steps:
        assert index.get(step.id, ()) == tuple(d for d in app.destinations
                                               if d.step_id == step.id)
    assert sum(map(len, index.values())) == len(app.destinations)
    assert not any(step.type.endswith("scheduleTrigger") and step.id in index
                   for step in app.steps)  # a step that sends nowhere has none


def test_the_fixed_calls_to_a_host_are_the_scans_answer() -> None:
    app = _app()
    index = _fixed_calls_by_host(app)
    hosts = {d.host.lower() for d in app.destinations}
    for host in hosts:
        assert index.get(host, ()) == tuple(d for d in app.destinations
                                            if d.host.lower() == host and not d.dynamic)
    assert len(index["api.example.com"]) == 2  # whatever case the URL wrote it in
    assert all(not d.dynamic for calls in index.values() for d in calls)
    assert any(d.dynamic for d in app.destinations)  # the URL chosen at run time: left out
