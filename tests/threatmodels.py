"""Threat models written by hand for the exporters' tests, in the shape the builder gives.

``lead_intake_model`` is a two-workflow n8n app: a public webhook takes leads (personal data)
into a Postgres table on the host network and posts to a chat service on the internet; a
nightly workflow reads a spreadsheet and mails a report through the organisation's relay.
``large_model`` repeats that pattern to stress layout and size limits.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from pytest_nocode.threatmodel.model import (
    STRIDE_PER_ELEMENT,
    Asset,
    Assumption,
    DataFlow,
    Element,
    EntryPointInfo,
    FindingKey,
    Mitigation,
    RegisterEntry,
    Threat,
    ThreatModel,
    TrustBoundary,
)

INTERNET, ORG, HOST, APP = ("boundary:internet", "boundary:organisation", "boundary:host",
                            "boundary:app")
BOUNDARIES = (
    TrustBoundary(APP, "app", "The app", HOST),
    TrustBoundary(HOST, "host", "Host / container network", ORG),
    TrustBoundary(INTERNET, "internet", "Internet"),
    TrustBoundary(ORG, "organisation", "Organisation network", INTERNET),
)
PARENTS = {b.id: b.parent for b in BOUNDARIES}


def chain(boundary: str) -> set[str]:
    """The boundary and every boundary it sits in."""
    found = set()
    while boundary:
        found.add(boundary)
        boundary = PARENTS[boundary]
    return found


def _threat_id(framework: str, category: str, target: str) -> str:
    return "TM-" + hashlib.sha256(f"{framework}|{category}|{target}".encode()).hexdigest()[:10]


def _flow(source: Element, target: Element, name: str, protocol: str = "",
          tls: bool | None = None, carries: tuple[str, ...] = ()) -> DataFlow:
    crosses = tuple(sorted(chain(source.boundary) ^ chain(target.boundary)))
    return DataFlow(f"flow:{source.id}->{target.id}", source.id, target.id, name, protocol,
                    tls, None, carries, crosses)


def _threats_for(target: str, kind: str, name: str, seed: int) -> list[Threat]:
    """STRIDE per element, with the statuses varied the way a real run varies them."""
    threats = []
    for index, category in enumerate(STRIDE_PER_ELEMENT[kind]):
        turn = (seed + index) % 4
        status = ("open", "mitigated", "needs review", "needs review")[turn]
        threats.append(Threat(
            id=_threat_id("STRIDE", category, target),
            framework="STRIDE", category=category, target=target,
            title=f"{category.capitalize()} of {name}",
            source="unauthenticated caller on the internet" if turn == 0 else "insider",
            prerequisites=f"who can reach {name}", action=f"cause {category} of {name}",
            impact="data the team relies on being wrong or exposed",
            impacted_goal=("integrity",), impacted_assets=(name,), status=status,
            evidence=(FindingKey("INJ001", f"step-{seed}"),) if status == "open" else (),
            checks=("INJ001",) if turn != 3 else (),
            mitigated_by=("INJ001",) if status == "mitigated" else (),
            residual_risk=20 + (seed * 7 + index * 13) % 80 if status == "open" else None))
    return threats


def _workflow(index: int, caller: Element, chat: Element, relay: Element
              ) -> tuple[list[Element], list[DataFlow]]:
    wf = f"wf{index}"
    hook = Element(f"process:workflow:{wf}", "process", "workflow", f"Lead intake {index}", APP,
                   "app", ("personal data",), wf, resources=(("workflow", wf),))
    code = Element(f"process:code:{wf}:c1", "process", "code", f"Normalise lead {index}", APP,
                   "app", ("personal data",), wf, hook.id, (("node", f"{wf}-c1"),))
    table = Element(f"store:database:postgres/leads{index}", "data_store", "database",
                    f"Postgres leads table {index}", HOST, "host",
                    ("store data", "personal data"))
    elements = [hook, code, table]
    flows = [
        _flow(caller, hook, "HTTP request", "https", True, ("request data", "personal data")),
        _flow(hook, code, "lead", carries=("personal data",)),
        _flow(code, table, "SQL insert", "db", False, ("personal data",)),
        _flow(code, chat, "chat message", "https", True),
        _flow(hook, relay, "mail", "smtp", False, ("personal data",)),
    ]
    return elements, flows


def _model(workflows: int, app_id: str, linddun: bool = True,
           decisions: bool = True) -> ThreatModel:
    caller = Element("external:caller:entry:wf0-hook", "external_entity", "caller",
                     "Caller of POST /lead", INTERNET, "internet")
    chat = Element("external:service:hooks.chat.example", "external_entity", "service",
                   "hooks.chat.example", INTERNET, "internet")
    relay = Element("external:service:relay.corp.example", "external_entity", "service",
                    "relay.corp.example", ORG, "private")
    creds = Element("store:credential store:n8n", "data_store", "credential store",
                    "n8n credentials", APP, "app", ("credentials",))
    elements = [caller, chat, relay, creds]
    flows: list[DataFlow] = []
    for index in range(workflows):
        more_elements, more_flows = _workflow(index, caller, chat, relay)
        elements += more_elements
        flows += more_flows
    threats: list[Threat] = []
    for seed, element in enumerate(elements):
        threats += _threats_for(element.id, element.kind, element.name, seed)
    for seed, flow in enumerate(flows, start=len(elements)):
        threats += _threats_for(flow.id, "data_flow", flow.name, seed)
        if linddun and "personal data" in flow.carries:
            threats.append(Threat(
                _threat_id("LINDDUN", "linking", flow.id), "LINDDUN", "linking", flow.id,
                f"Linking of people through {flow.name}", "analyst with the data",
                "who reads the stored leads", "link leads to the people behind them",
                "profiles nobody consented to", ("privacy",), ("leads",)))
    if decisions:
        threats[0] = _decide(threats[0], expired=False)
        threats[1] = _decide(threats[1], expired=True)
    threats.sort(key=lambda t: t.id)
    mitigations = (Mitigation("M-INJ001", "INJ001", "Query built from request data", "failed",
                              tuple(t.id for t in threats if "INJ001" in t.checks)),)
    assumptions = (
        Assumption("A-tls", "TLS is terminated by a proxy in front of the app."),
        Assumption("A-relay", "The mail relay only accepts mail from the organisation.",
                   tuple(t.id for t in threats if t.target.endswith("relay.corp.example"))),
    )
    assets = (Asset("asset:personal data:leads", "Leads", "personal data",
                    tuple(e.id for e in elements if e.role == "database")),
              Asset("asset:credential:n8n", "n8n credentials", "credential", (creds.id,)))
    return ThreatModel(
        app_id=app_id, app_name=f"Lead intake ({app_id})", platform="n8n",
        scope="Two n8n workflows taking web leads into Postgres and mailing a nightly report.",
        boundaries=tuple(sorted(BOUNDARIES, key=lambda b: b.id)),
        elements=tuple(sorted(elements, key=lambda e: e.id)),
        flows=tuple(sorted(flows, key=lambda f: f.id)),
        entry_points=(EntryPointInfo("entry:wf0-hook", "webhook", "/lead", ("POST",), "none",
                                     True, caller.id, "process:workflow:wf0"),),
        assets=assets, threats=tuple(threats), mitigations=mitigations,
        assumptions=assumptions,
        summarised="" if workflows < 20 else "Drawn at workflow level: the app is large.")


def _decide(threat: Threat, expired: bool) -> Threat:
    entry = RegisterEntry(threat.id, "accepted", "Only the team can reach it.", "ops",
                          "2025-01-01" if expired else "2099-01-01", expired=expired)
    return replace(threat, decision=entry)


def lead_intake_model(linddun: bool = True, decisions: bool = True) -> ThreatModel:
    return _model(2, "lead-intake", linddun, decisions)


def large_model(workflows: int = 140) -> ThreatModel:
    return _model(workflows, "big-app")
