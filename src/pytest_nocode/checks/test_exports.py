"""Exports: does internal data leave its trust boundary?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import (
    SENT,
    flow_or_skip,
    route_evidence,
    sent_data,
    stores_by_step,
)
from pytest_nocode.dataflow import DataFlow, Origin, store_name
from pytest_nocode.model import REPLY_TO_SENDER, DataStore, Destination, Step, path_to
from pytest_nocode.policy import Policy

LEAVING_ZONES = ("internet",)  # the owner's own services (host, private) keep data inside


@check(
    "EXP001",
    title="Internal data flows to an external destination",
    category="exports",
    severity="medium",
    owasp=["LCNC-SEC-03"],
    rationale="""A flow that sends personal data, credentials or business records read from a
    file, table or sheet, or received from its users, to a host outside the organisation's own
    networks copies them out of their trust boundary.""",
    remediation="Confirm the transfer is approved (add the host to hosts.internal or waive it "
                "with a justification), minimise the fields sent, and encrypt the channel.",
    requires=("workflows",),
)
def test_internal_data_stays_inside(nocode_app: App, nocode_findings: FindingCollector,
                                    nocode_policy: Policy) -> None:
    flow = flow_or_skip(nocode_app)
    stores = stores_by_step(nocode_app)
    for dest in nocode_app.destinations:
        zone = _zone_of(nocode_policy, dest)
        if zone not in LEAVING_ZONES:
            continue  # loopback, own networks, or a host computed at run time
        step = nocode_app.step(dest.step_id)
        if step is None or (step.is_config and not nocode_app.users_of(step.id)):
            continue
        hits = sorted(_mailed_data(nocode_app, flow, dest) if dest.protocol == "mail" else
                      sent_data(nocode_app, flow, dest),
                      key=lambda h: (h[1].kind != "store", h[1].step_id, h[1].detail))
        if not hits:
            continue
        sender, origin, labels = hits[0]
        store: DataStore | None = stores.get(origin.step_id) if origin.kind == "store" else None
        source = store_name(store, nocode_app.step(store.step_id) or sender) if store \
            else origin.detail
        what = f"data read from {source}" if store else f"data received from {source}"
        nocode_findings.add(
            step, f"{what} ({', '.join(labels)}) is sent to {_target(dest)} ({zone})",
            {"store": store.location if store else "", "store_kind": store.kind if store else "",
             "source": source, "origin": origin.kind, "labels": labels,
             "destination": dest.host, "zone": zone,
             **route_evidence(nocode_app, flow.route(sender.id, origin)),
             "policy": nocode_policy.excerpt("hosts", "trust_zones")})


def _zone_of(policy: Policy, dest: Destination) -> str:
    """The trust zone of a destination; a mail address written by an expression (or the
    sender of a message answered) is anyone's: the internet."""
    if dest.protocol == "mail" and dest.dynamic:
        return "internet"
    return policy.zone_of(dest.host)


def _target(dest: Destination) -> str:
    if dest.protocol != "mail":
        return dest.host
    if dest.dynamic:
        return f"a mail address chosen at run time ({dest.url})"
    return f"the mail address {dest.url.removeprefix('mailto:')}"


def _mailed_data(app: App, flow: DataFlow, dest: Destination
                 ) -> Iterator[tuple[Step, Origin, list[str]]]:
    """What a mail carries out: store reads with a sensitivity label, and anything of an
    inbound mail (a forward), whose content is someone's correspondence whatever its
    fields are called. Other entry data (a form's fields mailed back to whoever sent them)
    is not counted: the sender chose the address."""
    for hit in sent_data(app, flow, dest):
        if hit[1].kind == "store":
            yield hit
    step = app.step(dest.step_id)
    if step is None or dest.url == REPLY_TO_SENDER:
        return  # an answer goes back to whoever wrote the mail it quotes
    sinks = flow.sinks_of(step.id, SENT)
    addressed = {o for sf in sinks if sf.sink.kind == "url" for o in sf.origins}
    for sf in sinks:
        for origin in sf.origins:
            if origin.kind == "entry" and MAIL_CHANNEL.search(origin.detail) \
                    and origin not in addressed:  # not mailed back to its own sender
                yield step, origin, ["correspondence"]


MAIL_CHANNEL = re.compile(r"^e-?mail\b", re.I)  # the entry detail of a mail trigger


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
                nocode_findings.add(step, f"{ep.kind} {ep.route!r} reads "
                                    f"{store_name(store, step)} on request",
                                    {"route": path_to(parents, store_id),
                                     "endpoint": ep.route, "auth": ep.authentication})
