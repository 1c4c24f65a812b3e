"""Exports: does internal data leave its trust boundary?"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.model import path_to
from pytest_nocode.policy import Policy

READ_OPERATIONS = ("read", "select", "query", "get", "getAll", "executeQuery", "search", "")


@check(
    "EXP001",
    title="Internal data flows to an external destination",
    category="exports",
    severity="medium",
    owasp=["LCNC-SEC-03"],
    rationale="""A flow that reads a file, table or sheet and sends it to a host outside the
    organisation copies internal data out of its trust boundary.""",
    remediation="Confirm the transfer is approved (add the host to hosts.internal or waive it "
                "with a justification), minimise the fields sent, and encrypt the channel.",
    requires=("workflows",),
)
def test_internal_data_stays_inside(nocode_app: App, nocode_findings: FindingCollector,
                                    nocode_policy: Policy) -> None:
    readers = {s.step_id: s for s in nocode_app.stores
               if s.operation in READ_OPERATIONS or s.operation.startswith(("read", "select"))}
    if not readers:
        return
    parents = nocode_app.paths_from(readers)
    for dest in nocode_app.destinations:
        if dest.step_id not in parents or dest.is_loopback or not dest.host:
            continue
        if nocode_policy.host_internal(dest.host):
            continue
        step = nocode_app.step(dest.step_id)
        if step is None:
            continue
        route = path_to(parents, dest.step_id)
        store = readers[route[0]]
        nocode_findings.add(step, f"data read from {store.kind} {store.location!r} is sent to "
                            f"{dest.host}", {"store": store.location, "store_kind": store.kind,
                                             "destination": dest.host, "route": route,
                                             "policy": nocode_policy.excerpt("hosts")})


@check(
    "EXP002",
    title="HTTP endpoint serves stored data",
    category="exports",
    severity="medium",
    owasp=["LCNC-SEC-03"],
    rationale="""An entry point whose flow reads a file or table and answers with it is a
    download channel for that data.""",
    remediation="Authenticate the endpoint, limit what it returns, and log who downloads.",
    requires=("workflows",),
)
def test_endpoints_do_not_serve_stored_data(nocode_app: App,
                                            nocode_findings: FindingCollector) -> None:
    stores = {s.step_id: s for s in nocode_app.stores if s.operation != "write"}
    for ep in nocode_app.entry_points:
        if ep.kind not in ("http", "webhook", "form") or ep.active is False:
            continue
        parents = nocode_app.paths_from([ep.step_id])
        for store_id, store in stores.items():
            if store_id in parents:
                step = nocode_app.step(store_id)
                if step is None:
                    continue
                nocode_findings.add(step, f"{ep.kind} {ep.route!r} reads {store.kind} "
                                    f"{store.location!r} on request",
                                    {"route": path_to(parents, store_id),
                                     "endpoint": ep.route, "auth": ep.authentication})
