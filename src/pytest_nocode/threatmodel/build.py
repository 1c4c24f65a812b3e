"""Derive an app's threat model from its normalized configuration and the run's findings.

Elements come from the App (workflows, entry points, destinations, stores, credentials) and the
data-flow engine (which steps run code, commands, queries or AI agents, and what reaches them);
trust zones from the policy. Threats are STRIDE per element plus LINDDUN where personal data
flows, each linked to the checks that test for it: a finding of those checks on the element
makes the threat open, the checks running clean make it mitigated, anything else needs review.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_nocode.dataflow import DataFlow as Flows
from pytest_nocode.dataflow import dataflow, sensitivity_labels, store_name
from pytest_nocode.model import App, Step, ValueRef, strip_userinfo
from pytest_nocode.secretscan import find_secrets
from pytest_nocode.threatmodel.model import (
    BOUNDARY_KINDS,
    LINDDUN,
    STRIDE_PER_ELEMENT,
    ZONE_BOUNDARY,
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

# Steps that matter on their own (drawn as processes inside their workflow): sink kind → role;
# code the author wrote (a function or Code node: `StepFlow.authored_code`) too when
# untrusted input reaches it.
STEP_ROLES = {"command": "command", "code": "code", "sql": "query", "query": "query",
              "prompt": "ai agent"}
# Above this many such steps the model is drawn at workflow level (one process per workflow).
MAX_STEP_PROCESSES = 40
# Where a store sits: the app's own files and context on its host; a database on the host or
# container network (the export names tables, not servers); a spreadsheet in the cloud.
STORE_BOUNDARY = {"file": "app", "context": "app", "other": "app", "database": "host",
                  "sheet": "internet"}
ENTRY_PROTOCOL = {"http": "http", "webhook": "http", "form": "http", "websocket": "ws",
                  "chat": "https", "mqtt": "mqtt", "tcp": "tcp", "udp": "udp", "email": "imap"}
BOUNDARY_NAMES = {"internet": "Internet", "organisation": "Organisation network",
                  "host": "Host / container network", "app": "The app"}
CREDENTIAL_STORE = "store:credentials"
LEVELS = ("auto", "step", "workflow")


def boundary_id(kind: str) -> str:
    return f"boundary:{kind}"


def threat_id(framework: str, category: str, target: str) -> str:
    """A threat's stable id: the same framework, category and element or flow give the same id
    on every run, whatever order the configuration lists things in."""
    digest = hashlib.sha256(f"{framework}\x1f{category}\x1f{target}".encode()).hexdigest()
    return f"TM-{digest[:10]}"


@dataclass(frozen=True)
class RunEvidence:
    """What the run knew when the model was drawn: findings (JSON, as in the findings report),
    which checks ran on the app (rule id → ``passed`` | ``failed``) and their titles."""

    findings: tuple[Mapping[str, Any], ...] = ()
    outcomes: Mapping[str, str] = field(default_factory=dict)
    titles: Mapping[str, str] = field(default_factory=dict)
    platforms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # rule → platforms


# -- covering checks: which rules test for a threat, by (element role or flow kind, category) --
_COVER: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("caller", "spoofing"): ("AUTH001", "AUTH003"),
    ("caller", "repudiation"): ("LOG001",),
    ("service", "spoofing"): ("ENC001", "ENC002"),
    ("service", "repudiation"): ("LOG001",),
    ("mail recipient", "spoofing"): (),
    ("process", "spoofing"): ("AUTH001", "AUTH003", "CFG004"),
    ("process", "tampering"): ("INJ001", "INJ002", "DRIFT010", "DRIFT011"),
    ("process", "repudiation"): ("LOG001", "LOG002", "LOG003"),
    ("process", "information disclosure"): ("SEC001", "EXP002"),
    ("process", "denial of service"): ("CFG002",),
    ("process", "elevation of privilege"): ("INJ001", "INJ003", "CMD001"),
    ("store", "tampering"): ("INJ001",),
    ("store", "repudiation"): ("LOG001",),
    ("store", "information disclosure"): ("EXP002",),
    ("credential store", "information disclosure"): ("ENC003", "CMD001"),
    ("credential store", "tampering"): ("CMD001",),
    ("outbound", "tampering"): ("ENC001", "ENC002"),
    ("outbound", "information disclosure"): ("ENC001", "ENC002", "EXP001", "SEC001"),
    ("response", "information disclosure"): ("EXP002",),
    ("personal", "data disclosure"): ("EXP001", "ENC001"),
}


@dataclass
class _FlowParts:
    """A flow being gathered from the steps that make it."""

    source: str
    target: str
    tls: bool | None
    authentication: str | None
    names: set[str] = field(default_factory=set)
    protocols: set[str] = field(default_factory=set)
    carries: set[str] = field(default_factory=set)
    step_ids: set[str] = field(default_factory=set)
    resources: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class _Builder:
    app: App
    zone_of: Callable[[str], str]
    level: str
    flows_engine: Flows = field(init=False)
    elements: dict[str, Element] = field(default_factory=dict)
    flows: dict[str, _FlowParts] = field(default_factory=dict)
    # per element id: what every sighting of it held and pointed at
    more: dict[str, tuple[set[str], set[tuple[str, str]]]] = field(default_factory=dict)
    flow_kind: dict[str, str] = field(default_factory=dict)  # flow id → inbound | outbound | …
    entries: list[EntryPointInfo] = field(default_factory=list)
    step_process: dict[str, str] = field(default_factory=dict)  # step id → its process id
    entry_of_step: dict[str, EntryPointInfo] = field(default_factory=dict)  # entry or handler
    summarised: str = ""

    def __post_init__(self) -> None:
        self.flows_engine = dataflow(self.app)

    # -- elements ----------------------------------------------------------------------------
    def add(self, element: Element) -> Element:
        """The element, once per id; what a later sighting holds or points at is added."""
        known = self.elements.get(element.id)
        if known is None:
            self.elements[element.id] = element
            known = element
        self.more.setdefault(element.id, (set(), set()))
        holds, resources = self.more[element.id]
        holds.update(element.holds)
        resources.update(element.resources)
        return known

    def workflow_process(self, workflow_id: str) -> str:
        workflow = self.app.workflow(workflow_id)
        eid = f"process:workflow:{workflow_id or '(global)'}"
        if eid not in self.elements:
            name = (workflow.name or workflow.id) if workflow else "Global configuration"
            kind = workflow.kind if workflow else "configuration"
            self.add(Element(eid, "process", "workflow", name, boundary_id("app"), "app",
                             workflow_id=workflow_id,
                             resources=(("workflow", workflow_id),) if workflow else (),
                             description=f"{self.app.platform} {kind}"))
        return eid

    def process_of(self, step: Step) -> str:
        """The process a step's data passes through: its own, or its workflow's."""
        return self.step_process.get(step.id) or self.workflow_process(step.workflow_id)

    def step_processes(self) -> None:
        found: dict[str, str] = {}
        for sink_flow in self.flows_engine.sinks(frozenset(STEP_ROLES)):
            found.setdefault(sink_flow.step.id, STEP_ROLES[sink_flow.sink.kind])
        describe = self.app.flow_of
        if describe is not None:  # code the author wrote (a function or Code node) that
            # untrusted input reaches: what a caller sends runs through it
            everything = (ValueRef("field"),)
            for step in self.app.steps:
                if not step.disabled and not step.is_config and step.id not in found \
                        and describe(step).authored_code and any(
                            self.flows_engine.trust(o) == "untrusted"
                            for o in self.flows_engine.origins(step.id, everything)):
                    found[step.id] = "code"
        if self.level == "workflow" or (self.level == "auto" and len(found) > MAX_STEP_PROCESSES):
            if found:
                self.summarised = (
                    f"{len(found)} steps run code, commands, queries or AI agents; above "
                    f"{MAX_STEP_PROCESSES} they are drawn inside their workflows (one process "
                    "per workflow with its entry points, stores and destinations)")
            return
        for sid, role in sorted(found.items()):
            step = self.app.step(sid)
            assert step is not None
            parent = self.workflow_process(step.workflow_id)
            eid = f"process:step:{sid}"
            self.add(Element(eid, "process", role, step.name or step.type, boundary_id("app"),
                             "app", workflow_id=step.workflow_id, parent=parent,
                             resources=(_key(step),), description=step.type))
            self.step_process[sid] = eid
            carries = self.carried(self.flows_engine.sinks_of(sid), step)
            self.flow(parent, eid, f"runs {role}", "", None, None, carries, (step,), "internal")

    def zone_element(self, eid: str, role: str, name: str, host: str, step: Step,
                     description: str = "") -> str:
        zone = self.zone_of(host) if host else "internet"  # a target computed at run time
        self.add(Element(eid, "external_entity", role, name, boundary_id(ZONE_BOUNDARY[zone]),
                         zone, resources=(_key(step),), description=description))
        return eid

    # -- flows -------------------------------------------------------------------------------
    def flow(self, source: str, target: str, name: str, protocol: str, tls: bool | None,
             authentication: str | None, carries: Iterable[str], steps: Iterable[Step],
             kind: str) -> None:
        """One flow per ordered pair of elements: more steps moving data between the same two
        add their names, protocols and data; TLS and authentication are the weakest seen."""
        fid = f"flow:{source}->{target}"
        acc = self.flows.get(fid)
        if acc is None:
            acc = self.flows[fid] = _FlowParts(source, target, tls, authentication)
            self.flow_kind[fid] = kind
        else:
            acc.tls = False if False in (acc.tls, tls) else (True if acc.tls and tls else None)
            if acc.authentication != authentication:
                acc.authentication = "none" if "none" in (acc.authentication,
                                                          authentication) else None
        acc.names.add(name)
        if protocol:
            acc.protocols.add(protocol)
        acc.carries.update(carries)
        for step in steps:
            acc.step_ids.add(step.id)
            acc.resources.add(_key(step))

    def crossings(self, source: str, target: str) -> tuple[str, ...]:
        """The boundary boxes a flow from ``source`` to ``target`` enters or leaves, outermost
        first: those that hold one end and not the other."""
        chains = [self._chain(self.elements[e].boundary) for e in (source, target)]
        crossed = set(chains[0]) ^ set(chains[1])
        return tuple(boundary_id(k) for k in BOUNDARY_KINDS if boundary_id(k) in crossed)

    @staticmethod
    def _chain(boundary: str) -> list[str]:
        kind = boundary.removeprefix("boundary:")
        return [boundary_id(k) for k in BOUNDARY_KINDS[:BOUNDARY_KINDS.index(kind) + 1]]

    def carried(self, sink_flows: Iterable[Any], step: Step, *texts: str) -> set[str]:
        """What data reaches a step's sinks: request data from entry points, store data,
        and the sensitivity its words carry (names, routes, locations)."""
        out: set[str] = set()
        words = [step.name, *texts]
        for sink_flow in sink_flows:
            for origin in sink_flow.origins:
                if origin.kind == "entry" or self.flows_engine.trust(origin) == "untrusted":
                    out.add("request data")
                elif origin.kind == "store":
                    out.add("store data")
                    words.append(origin.detail)
                elif origin.kind == "env":
                    words.append(origin.detail)
        out.update(sensitivity_labels(*words))
        return out

    def entry_points(self) -> None:
        destinations = {d.step_id: d for d in self.app.destinations}
        for ep in self.app.entry_points:
            step = self.app.step(ep.step_id)
            if step is None:
                continue
            handlers = list(self.app.users_of(step.id)) if step.is_config else [step]
            how = " ".join(filter(None, (ep.kind, "/".join(ep.methods), ep.route)))
            broker = next((destinations[r] for r in step.config_refs if r in destinations),
                          destinations.get(step.id) if step.is_config else None)
            if broker is not None and broker.host:  # messages from a broker: it is the caller
                caller = self.zone_element(f"external:service:{broker.host}", "service",
                                           broker.host, broker.host, step)
            else:
                caller = f"external:caller:{ep.step_id}"
                self.add(Element(caller, "external_entity", "caller", f"Caller of {how}",
                                 boundary_id("internet"), "internet", resources=(_key(step),),
                                 description="whoever can reach this entry point"))
            process = ""
            for handler in handlers or [step]:
                process = self.process_of(handler)
                carries = {"request data", *sensitivity_labels(ep.route, step.name)}
                self.flow(caller, process, how, ENTRY_PROTOCOL.get(ep.kind, ep.kind), None,
                          ep.authentication, carries, (step, *handlers), "inbound")
            info = EntryPointInfo(f"entry:{ep.step_id}", ep.kind, ep.route, tuple(ep.methods),
                                  ep.authentication, ep.active, caller, process)
            self.entries.append(info)
            for handler in (step, *handlers):
                self.entry_of_step.setdefault(handler.id, info)

    def destinations(self) -> None:
        secrets = {hit.step_id for hit in find_secrets(self.app)}
        entry_steps = {e.step_id for e in self.app.entry_points}
        for dest in self.app.destinations:
            step = self.app.step(dest.step_id)
            users = list(self.app.users_of(step.id)) if step and step.is_config else [step]
            if step is None or not users:
                continue  # a broker or server configured but used by no step: no data moves
            if dest.host:
                role = "mail recipient" if dest.protocol == "mail" else "service"
                target = self.zone_element(f"external:service:{dest.host}", role, dest.host,
                                           dest.host, step)
            else:
                target = self.zone_element(f"external:dynamic:{step.id}", "service",
                                           f"Target chosen at run time ({step.name or step.type})",
                                           "", step, "the address is computed when it runs")
            describe = self.app.flow_of
            # the config nodes it connects through (a tls-config, a proxy): their findings
            # (ENC002 on a shared tls-config) are the flow's too
            via = tuple(c for r in step.config_refs
                        if (c := self.app.step(r)) is not None and c.is_config)
            for user in users:
                if user.id in entry_steps:
                    continue  # drawn as the entry point's caller
                steps = ((user, step) if user is not step else (step,)) + via
                if describe is not None and describe(user).starts:  # a subscriber: data in
                    self.flow(target, self.process_of(user), dest.protocol.upper(),
                              dest.protocol, dest.tls, None,
                              {"request data", *sensitivity_labels(user.name)}, steps,
                              "inbound")
                    continue
                carries = self.carried(self.flows_engine.sinks_of(user.id), user, dest.url)
                if user.credential_refs or user.id in secrets or step.id in secrets:
                    carries.add("credentials")
                self.flow(self.process_of(user), target, dest.protocol.upper(), dest.protocol,
                          dest.tls, "credential" if user.credential_refs else None, carries,
                          steps, "outbound")

    def stores(self) -> None:
        for store in self.app.stores:
            step = self.app.step(store.step_id)
            if step is None or step.disabled:
                continue
            # a connection string as location: its user and password never reach a name or id
            store = replace(store, location=strip_userinfo(store.location))
            name = store_name(store, step)
            location = store.location.strip()
            named = location and not location.startswith("=") and "{{" not in location
            eid = f"store:{store.kind}:{location if named else step.id}"
            holds = {"store data", *sensitivity_labels(location if named else "", step.name)}
            boundary = STORE_BOUNDARY.get(store.kind, "app")
            self.add(Element(eid, "data_store", store.kind, name, boundary_id(boundary),
                             boundary,
                             tuple(sorted(holds)), resources=(_key(step),)))
            process = self.process_of(step)
            if store.operation == "read":
                self.flow(eid, process, "reads", store.kind, None, None, holds, (step,), "store")
            else:
                self.flow(process, eid, store.operation or "writes", store.kind, None, None,
                          self.carried(self.flows_engine.sinks_of(step.id), step) | {
                              "store data"}, (step,), "store")

    def credentials(self) -> None:
        users = [s for c in self.app.credentials for sid in c.used_by
                 if (s := self.app.step(sid)) is not None and not s.disabled]
        if not users:
            return
        self.add(Element(CREDENTIAL_STORE, "data_store", "credential store",
                         f"{self.app.platform} credential store", boundary_id("app"), "app",
                         ("credentials",),
                         resources=tuple(sorted(("credential", c.id)
                                                for c in self.app.credentials))))
        for step in users:  # to the workflow: its steps share what it was given
            self.flow(CREDENTIAL_STORE, self.workflow_process(step.workflow_id), "credentials",
                      "", None, None, ("credentials",), (step,), "internal")

    def responses(self) -> None:
        """What an endpoint answers its caller with (an http response, Respond to Webhook)."""
        callers = self.entry_of_step
        for sink_flow in self.flows_engine.sinks(frozenset({"answer"})):
            carries = {"store data" for o in sink_flow.origins if o.kind == "store"}
            readers = [r for o in sink_flow.origins if o.kind == "store"
                       and (r := self.app.step(o.step_id)) is not None]
            for origin in sink_flow.origins:
                entry = callers.get(origin.step_id) if origin.kind == "entry" else None
                if entry is None:
                    continue
                request = self.flows.get(f"flow:{entry.caller}->{entry.process}")
                self.flow(self.process_of(sink_flow.step), entry.caller, "response",
                          ", ".join(sorted(request.protocols)) if request else "",
                          None, None, carries | {*sensitivity_labels(
                              *(o.detail for o in sink_flow.origins if o.kind == "store"))},
                          (sink_flow.step, *readers), "response")


def _key(step: Step) -> tuple[str, str]:
    return ("node", step.resource.id)


# -- threats -----------------------------------------------------------------------------------
def _stride(element: Element | None, flow: DataFlow | None, kind: str, category: str,
            model: Mapping[str, Element], workflow_entries: Mapping[str, list[str]]
            ) -> tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]]:
    """(source, prerequisites, action, impact, goals, assets) of one threat, in Threat
    Composer's grammar."""
    if flow is not None:
        src, dst = model[flow.source].name, model[flow.target].name
        where = f"from {src} to {dst}"
        clear = " in cleartext" if flow.tls is False else ""
        carries = ", ".join(flow.carries) or "data"
        if category == "tampering":
            return ("attacker on the network path", f"between {src} and {dst}",
                    f"change the {flow.name} messages{clear} {where}",
                    f"{dst} acting on altered {carries}", ("integrity",), (carries,))
        if category == "information disclosure":
            return ("attacker or an unintended recipient", f"who sees the traffic {where}",
                    f"read the {carries} it carries{clear}",
                    "disclosure of that data outside the app", ("confidentiality",),
                    (carries,))
        if category == "denial of service":
            return ("attacker on the network", f"who can reach {dst}",
                    f"flood or cut the {flow.name} connection {where}",
                    "the workflow stopping or losing the data in transit", ("availability",),
                    (src,))
        # LINDDUN, on flows carrying personal data
        return (*_linddun(category, f"the personal data sent {where}", dst), ("privacy",),
                ("personal data",))
    assert element is not None
    name = element.name
    if kind in ("caller", "service", "mail recipient"):
        if category == "spoofing":
            if kind == "caller":
                route = name.removeprefix("Caller of ")
                return ("attacker on the internet", f"who can reach {route}",
                        "pose as a legitimate caller and start the workflow behind it",
                        "the workflow acting on forged requests", ("integrity",), (name,))
            return ("attacker on the network path to " + name, "who can answer in its place",
                    f"impersonate {name}", "the app sending its data to, and trusting answers "
                    "from, the wrong server", ("confidentiality", "integrity"), (name,))
        return (f"{name}", "that sends or receives data", "deny having sent or received it",
                "no record tying a run of the workflow to what was exchanged",
                ("accountability",), (name,))
    if element.kind == "data_store":
        if category == "tampering":
            return ("attacker who controls data a workflow writes", f"into {name}",
                    f"change or delete the records in {name}",
                    "the app and its users relying on altered data", ("integrity",), (name,))
        if category == "repudiation":
            return ("user or workflow", f"that writes to {name}",
                    "change it without a record of who did", "changes nobody can trace",
                    ("accountability",), (name,))
        if category == "information disclosure":
            return ("attacker or an unintended recipient", "who can call an endpoint or "
                    f"receive a flow that reads {name}", f"read what {name} holds",
                    "disclosure of " + (", ".join(element.holds) or "its data"),
                    ("confidentiality",), (name,))
        if category == "denial of service":
            return ("attacker who can start the workflows using it", "",
                    f"fill, lock or exhaust {name}", "the workflows that need it failing",
                    ("availability",), (name,))
        return (*_linddun(category, f"the personal data kept in {name}", name), ("privacy",),
                ("personal data",))
    # processes
    entries = workflow_entries.get(element.workflow_id, [])
    who = ("caller of " + ", ".join(entries[:3]) + (" and more" if len(entries) > 3 else "")
           if entries else "user or another workflow")
    starts = f"who can start {name}"
    text = {
        "spoofing": (who, starts, "do so while posing as someone allowed to",
                     f"{name} running for whoever asks", ("integrity",)),
        "tampering": ("attacker who controls data sent to " + name, "",
                      "inject commands, code or queries through that data",
                      f"{name} doing what the attacker wrote", ("integrity",)),
        "repudiation": (who, starts, "run it without a record of who triggered it "
                        "and what it did", "incidents nobody can reconstruct",
                        ("accountability",)),
        "information disclosure": ("attacker", f"who can call or read {name}",
                                   "read the secrets in its configuration or the data it "
                                   "answers with", "disclosure of credentials or stored data",
                                   ("confidentiality",)),
        "denial of service": (who, starts, "send it more work than it can run or make it "
                              "hang", f"{name} and the workflows sharing its runtime stopping",
                              ("availability",)),
        "elevation of privilege": ("attacker who controls data sent to " + name, "",
                                   "make it run commands or change data with the app's own "
                                   "rights", "control of what the app can reach",
                                   ("confidentiality", "integrity")),
    }[category]
    return (*text, (name,))


def _linddun(category: str, what: str, where: str) -> tuple[str, str, str, str]:
    return {
        "linking": ("party who receives", what, "link records of one person across runs",
                    "a profile of people they never agreed to"),
        "identifying": ("party who receives", what, "identify the people it is about",
                        "people identified beyond the purpose of the workflow"),
        "non-repudiation": ("party who keeps", what, "prove what a person did or said",
                            "people unable to deny actions when they should be able to"),
        "detecting": ("observer of the traffic", f"to {where}",
                      "learn that a person is in the data from the flow itself",
                      "exposure of a relationship with the organisation"),
        "data disclosure": ("unintended recipient", f"of {what}",
                            "read more personal data than the purpose needs",
                            "disclosure of personal data"),
        "unawareness": ("organisation", f"sending {what}", "do so without the people knowing",
                        "people unable to exercise their rights"),
        "non-compliance": ("organisation", f"sending {what}",
                           "keep or send it beyond what policy and law allow",
                           "fines and loss of trust"),
    }[category]


def build_threat_model(app: App, zone_of: Callable[[str], str],
                       evidence: RunEvidence | None = None,
                       register: Mapping[str, RegisterEntry] | None = None, *,
                       level: str = "auto") -> ThreatModel:
    """The threat model of ``app``. ``zone_of`` is the policy's trust-zone lookup
    (:meth:`~pytest_nocode.policy.Policy.zone_of`); ``evidence`` what the run found (without
    it every threat needs review); ``register`` the team's decisions by threat id;
    ``level`` ``auto`` (workflow level above :data:`MAX_STEP_PROCESSES`), ``step`` or
    ``workflow``."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: expected one of {', '.join(LEVELS)}")
    evidence = evidence or RunEvidence()
    b = _Builder(app, zone_of, level)
    for workflow in app.workflows:
        if workflow.kind != "subflow" or app.steps_in(workflow.id):
            b.workflow_process(workflow.id)
    b.step_processes()
    b.entry_points()
    b.destinations()
    b.stores()
    b.credentials()
    b.responses()
    elements, flows = _widened(app, b)
    boundaries = tuple(TrustBoundary(boundary_id(k), k, BOUNDARY_NAMES[k],
                                     boundary_id(BOUNDARY_KINDS[i - 1]) if i else "")
                       for i, k in enumerate(BOUNDARY_KINDS))
    entries_of: dict[str, list[str]] = {}
    for ep in sorted(app.entry_points, key=lambda e: e.step_id):
        step = app.step(ep.step_id)
        for user in (app.users_of(ep.step_id) if step and step.is_config else [step]):
            if user is not None:
                entries_of.setdefault(user.workflow_id, []).append(
                    " ".join(filter(None, ("/".join(ep.methods), ep.route))) or ep.kind)
    threats = _threats(elements, flows, b.flow_kind, entries_of, evidence, app.platform,
                       register or {})
    mitigations = _mitigations(threats, evidence)
    assets = _assets(elements)
    model = ThreatModel(
        app.id, app.name, app.platform, _scope(app, b.summarised),
        boundaries, tuple(elements.values()), tuple(flows.values()),
        tuple(sorted(b.entries, key=lambda e: e.id)), assets, threats, mitigations,
        _assumptions(app, elements, threats), _accepted(threats, evidence),
        tuple(t.id for t in threats if register is not None and t.id not in register),
        summarised=b.summarised)
    return model


def _widened(app: App, b: _Builder) -> tuple[dict[str, Element], dict[str, DataFlow]]:
    """Elements and flows, sorted, with every finding key that points at them: a workflow
    process answers for its steps (those without a process of their own), an element or flow
    drawn from steps for the workflows they sit in (LOG001 reports a workflow)."""
    by_key = {s.resource.id: s for s in app.steps}
    own: dict[str, set[tuple[str, str]]] = {}
    for step in app.steps:
        if step.id not in b.step_process:
            own.setdefault(step.workflow_id, set()).add(_key(step))

    def widen(keys: Iterable[tuple[str, str]], workflow_id: str = "") -> tuple[tuple[str, str],
                                                                              ...]:
        out = set(keys) | (own.get(workflow_id, set()) if workflow_id else set())
        for kind, rid in list(out):
            step = by_key.get(rid) if kind == "node" else None
            if step is not None and step.workflow_id:
                out.add(("workflow", step.workflow_id))
        return tuple(sorted(out))

    elements = {}
    for eid, e in sorted(b.elements.items()):
        holds, resources = b.more.get(eid, (set(), set()))
        elements[eid] = replace(e, holds=tuple(sorted({*e.holds, *holds})), resources=widen(
            {*e.resources, *resources}, e.workflow_id if e.role == "workflow" else ""))
    flows = {fid: DataFlow(fid, f.source, f.target, ", ".join(sorted(f.names)),
                           ", ".join(sorted(f.protocols)), f.tls, f.authentication,
                           tuple(sorted(f.carries)), b.crossings(f.source, f.target),
                           tuple(sorted(f.step_ids)), widen(f.resources))
             for fid, f in sorted(b.flows.items())}
    return elements, flows


def _scope(app: App, summarised: str) -> str:
    counts = (f"{len(app.workflows)} workflow(s), {len(app.steps)} step(s), "
              f"{len(app.entry_points)} entry point(s), {len(app.destinations)} destination(s), "
              f"{len(app.stores)} store use(s)")
    facets = ", ".join(sorted(app.facets)) or "no facets"
    text = (f"The {app.platform} app {app.name or app.id!r} as its configuration shows it: "
            f"{counts}; data seen: {facets}.")
    return text + (f" Drawn at workflow level: {summarised}." if summarised else "")


def _threats(elements: Mapping[str, Element], flows: Mapping[str, DataFlow],
             flow_kind: Mapping[str, str], entries_of: Mapping[str, list[str]],
             evidence: RunEvidence, platform: str,
             register: Mapping[str, RegisterEntry]) -> tuple[Threat, ...]:
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for f in evidence.findings:
        by_rule.setdefault(f["rule"], []).append(f)
    out: list[Threat] = []

    def applies(rule: str) -> bool:
        platforms = evidence.platforms.get(rule, ())
        return not platforms or platform in platforms

    def add(framework: str, category: str, target: str, title: str, parts: tuple[Any, ...],
            cover_key: tuple[str, str], resources: tuple[tuple[str, str], ...]) -> None:
        checks = tuple(r for r in _COVER.get(cover_key, ()) if applies(r))
        keys = set(resources)
        found = [f for rule in checks for f in by_rule.get(rule, ())
                 if (f["resource"]["kind"], f["resource"]["id"]) in keys
                 or f["resource"]["kind"] not in ("node", "workflow", "credential")]
        ran = [r for r in checks if r in evidence.outcomes]
        if found:  # residual risk: the worst unwaived finding's, else the worst waived one's
            status = "open"
            scored = [f for f in found if f.get("risk") is not None]
            unwaived = [int(f["risk"]) for f in scored if f.get("status") != "waived"]
            risk: int | None = max(unwaived or [int(f["risk"]) for f in scored] or [-1])
            risk = None if risk == -1 else risk
        elif checks and len(ran) == len(checks):
            status, risk = "mitigated", 0
        else:
            status, risk = "needs review", None
        tid = threat_id(framework, category, target)
        source, prereq, action, impact, goals, assets = parts
        out.append(Threat(
            tid, framework, category, target, title, source, prereq, action, impact,
            goals, assets, status,
            tuple(sorted({FindingKey(f["rule"], f["resource"]["id"], f["resource"]["kind"])
                          for f in found})),
            checks, tuple(ran) if status == "mitigated" else (), risk, register.get(tid)))

    for element in elements.values():
        role = element.role
        cover = ("caller" if role == "caller" else role if element.kind == "external_entity"
                 else "credential store" if role == "credential store"
                 else "store" if element.kind == "data_store" else "process")
        for category in STRIDE_PER_ELEMENT[element.kind]:
            if element.kind == "external_entity" and role == "mail recipient" \
                    and category == "spoofing":
                continue  # a recipient is written to, never trusted
            add("STRIDE", category, element.id, f"{category.capitalize()}: {element.name}",
                _stride(element, None, role, category, elements, entries_of),
                (cover, category), element.resources)
        if element.kind == "data_store" and "personal data" in element.holds:
            for category in LINDDUN:
                add("LINDDUN", category, element.id, f"{category.capitalize()}: {element.name}",
                    _stride(element, None, role, category, elements, entries_of),
                    ("personal", category), element.resources)
    for flow in flows.values():
        if not flow.crosses:
            continue  # data moving inside the app's process (see the assumptions)
        label = f"{elements[flow.source].name} → {elements[flow.target].name}"
        kind = flow_kind.get(flow.id, "")
        for category in STRIDE_PER_ELEMENT["data_flow"]:
            add("STRIDE", category, flow.id, f"{category.capitalize()}: {label}",
                _stride(None, flow, kind, category, elements, entries_of),
                (kind, category), flow.resources)
        if "personal data" in flow.carries:
            for category in LINDDUN:
                add("LINDDUN", category, flow.id, f"{category.capitalize()}: {label}",
                    _stride(None, flow, kind, category, elements, entries_of),
                    ("personal", category), flow.resources)
    return tuple(sorted(out, key=lambda t: t.id))


def _mitigations(threats: Iterable[Threat], evidence: RunEvidence) -> tuple[Mitigation, ...]:
    by_rule: dict[str, list[str]] = {}
    for threat in threats:
        for rule in threat.checks:
            by_rule.setdefault(rule, []).append(threat.id)
    return tuple(Mitigation(f"M-{rule}", rule, evidence.titles.get(rule, rule),
                            {"passed": "passed", "failed": "failed"}.get(
                                evidence.outcomes.get(rule, ""), "not run"),
                            tuple(sorted(ids)))
                 for rule, ids in sorted(by_rule.items()))


def _assets(elements: Mapping[str, Element]) -> tuple[Asset, ...]:
    assets: dict[str, Asset] = {}
    for element in elements.values():
        if element.kind == "data_store":
            kind = "credential" if element.role == "credential store" else "data store"
            aid = f"asset:{kind}:{element.id}"
            assets[aid] = Asset(aid, element.name, kind, (element.id,))
    holders = tuple(sorted(e.id for e in elements.values() if "personal data" in e.holds))
    if holders:
        assets["asset:personal data"] = Asset("asset:personal data", "Personal data",
                                              "personal data", holders)
    return tuple(sorted(assets.values(), key=lambda a: a.id))


def _assumptions(app: App, elements: Mapping[str, Element], threats: Iterable[Threat]
                 ) -> tuple[Assumption, ...]:
    threats = list(threats)

    def of(pred: Callable[[Threat], bool]) -> tuple[str, ...]:
        return tuple(t.id for t in threats if pred(t))

    def role(target: str) -> str:
        element = elements.get(target)
        return element.role if element else ""

    out = [
        Assumption("A-callers-on-internet", "Every entry point can be reached from the "
                   "internet: the configuration does not show a reverse proxy, firewall or VPN "
                   "in front of the app.", of(lambda t: role(t.target) == "caller")),
        Assumption("A-inbound-tls", "Whether callers reach the app over TLS is decided in "
                   "front of it and is not in the configuration: inbound flows show TLS as "
                   "unknown.", of(lambda t: t.target.startswith("flow:external:caller:"))),
        Assumption("A-zones", "Where a host sits (internet, organisation network, host) comes "
                   "from the policy's trust_zones and hosts.internal, else from its name or "
                   "address."),
        Assumption("A-in-process", "Data passing between a workflow, its own steps and the "
                   "app's credential store stays inside the app's process: those flows cross "
                   "no boundary and carry no threats of their own."),
    ]
    if any(e.role == "database" for e in elements.values()):
        out.append(Assumption("A-databases-on-host", "Databases sit on the app's host or "
                              "container network: the configuration names tables, not their "
                              "servers.", of(lambda t: role(t.target) == "database")))
    if any(e.role == "sheet" for e in elements.values()):
        out.append(Assumption("A-sheets-in-cloud", "Spreadsheets are a cloud service on the "
                              "internet.", of(lambda t: role(t.target) == "sheet")))
    if not app.has("settings"):
        out.append(Assumption("A-no-settings", "The instance's settings (admin and endpoint "
                              "authentication, HTTPS, logging) were not in the data: threats "
                              "the settings would answer need review."))
    return tuple(sorted(out, key=lambda a: a.id))


def _accepted(threats: Iterable[Threat], evidence: RunEvidence) -> tuple[RegisterEntry, ...]:
    """Register decisions and the finding waivers behind open threats, with their expiry."""
    findings = {(f["rule"], f["resource"]["kind"], f["resource"]["id"]): f
                for f in evidence.findings}
    out: dict[tuple[str, str], RegisterEntry] = {}
    for threat in threats:
        if threat.decision is not None:
            out[(threat.id, threat.decision.source)] = threat.decision
        for key in threat.evidence:
            f = findings.get((key.rule, key.resource_kind, key.resource_id))
            waiver = f.get("waiver") if f else None
            if waiver:
                source = f"waiver {waiver['source']} ({key.rule} on {key.resource_id})"
                out[(threat.id, source)] = RegisterEntry(
                    threat.id, "accepted", waiver["justification"], waiver["owner"],
                    waiver["expires"], ticket=waiver.get("ticket") or "", source=source,
                    expired=bool(waiver.get("expired")))
    return tuple(out[k] for k in sorted(out))
