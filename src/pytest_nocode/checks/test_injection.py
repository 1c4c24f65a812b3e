"""Injection: can data from outside reach a command, code, query or template unescaped?

Both checks ask the data-flow engine (:mod:`pytest_nocode.dataflow`) where the values each
sink runs come from: INJ001 when one is an untrusted entry point (or an AI answer driven by
one), INJ002 when one is of unknown origin (a store, a service's response, unwired input);
constants, environment references and platform values of known origin are neither, nor is a
store only this app is seen to fill, and only with such values (``DataFlow.internal_stores``).
INJ003 asks where the decisions of an AI model come from when a step that changes or sends
data acts on them: text a stranger wrote steering an agent that can act is prompt injection
with excessive agency, even where no single parameter is executed.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._guards import guard_of, signed_by_host
from pytest_nocode.checks._support import (
    call_evidence,
    destinations_by_step,
    flow_or_skip,
    origin_evidence,
    route_evidence,
    step_context,
)
from pytest_nocode.dataflow import (
    ACTION_SINKS,
    ANSWER_SINKS,
    CALLER_INPUT,
    FETCH_PARTS,
    FETCH_SINKS,
    FORMULA_SINKS,
    HEREDOC_BODY,
    INJECTION_SINKS,
    MARKUP_SINKS,
    TARGET_SINKS,
    DataFlow,
    Origin,
    SinkFlow,
    dataflow,
    per_app,
)
from pytest_nocode.findings import Severity
from pytest_nocode.model import EntryPoint

# Where INJ001 looks: what runs or renders data, and what is harmful only with a caller's data
# (a whole URL fetched, a sheet cell evaluated, a generated page).
CALLER_SINKS = INJECTION_SINKS | FETCH_SINKS | FORMULA_SINKS | MARKUP_SINKS


@check(
    "INJ001",
    title="Untrusted input reaches a command, code, query or template",
    category="injection",
    severity="critical",
    owasp=["LCNC-SEC-06"],
    rationale="""Data from a webhook, HTTP route, socket, chat or subscription flows into a
    step that executes or renders it, or picks the whole URL a request goes to, directly or
    through an AI agent it prompts: a caller can run commands, SQL or script of their own, or
    make the server fetch what they choose. Written into spreadsheet cells the sheet
    evaluates, a value starting with = becomes a formula (formula injection, reported lower).
    Data only the owner writes (a bot limited to named users, a form behind the n8n login) is
    not counted; behind a credential or a check of the caller it is reported a step lower.""",
    remediation="""Never build commands, SQL or markup from input: use fixed commands with
    validated arguments, parameterized queries (n8n 'Query Parameters'), escaped templates
    ({{ }}), and validate input in a switch/function node first.""",
    requires=("workflows",),
)
def test_untrusted_input_does_not_reach_sinks(nocode_app: App,
                                              nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    reported: set[str] = set()
    for sf in flow.sinks(CALLER_SINKS):
        if sf.step.id in reported:
            continue
        found = _worst_caller(nocode_app, flow, sf)
        if found is None:
            continue
        origin, entry, to_origin, (caller, how) = found
        route = [*to_origin[:-1], *flow.route(sf.step.id, origin)]
        via = f" through {nocode_app.resource_of(origin.step_id).name}" \
            if origin.kind == "ai" else ""
        severity = Severity.HIGH if sf.sink.param in FETCH_PARTS else \
            Severity.MEDIUM if sf.sink.kind in FORMULA_SINKS else nocode_findings.rule.severity
        if caller == CREDENTIAL_HOLDERS:  # another system, not anyone: a step lower
            severity = Severity(max(severity - 1, Severity.LOW))
        nocode_findings.add(
            sf.step, f"input from {entry.detail}{via} reaches {sf.step.type} which "
            f"{sf.sink.reason}" + (f" (callers must authenticate: {how})"
                                   if caller == CREDENTIAL_HOLDERS else ""),
            {"source": entry.detail, "caller": f"{caller} ({how})", **origin_evidence(origin),
             **route_evidence(nocode_app, route),
             **call_evidence(nocode_app, flow, sf.step.id, _untrusted_origins(flow, sf)),
             "sink_type": sf.step.type,
             "sink": sf.sink.kind, "parameter": sf.sink.param,
             **_not_counted(sf), **step_context(nocode_app, sf.step)},
            severity=severity)
        reported.add(sf.step.id)


def _untrusted_origins(flow: DataFlow, sf: SinkFlow) -> list[Origin]:
    """The origins of what reaches a sink that an outside caller steers (INJ001's)."""
    return [o for o in sf.origins if flow.trust(o) == "untrusted"]


# Who can write what an entry point brings in, from the most to the least exposed.
ANYONE = "anyone"
CREDENTIAL_HOLDERS = "callers holding its credential"
OWNER = "the app's owner"
# Entry points whose text only the app's owner writes (a chat bot limited to named users or
# chats, a form or chat behind the n8n login).
OWNER_ONLY = ("allowlist", "instance")


def caller_of(app: App, entry: Origin) -> tuple[str, str]:
    """(who can send what ``entry`` brings in, how that is known), as AUTH001 and AUTH004
    see the entry point: anyone when nothing authenticates it (or the export does not say),
    callers holding a credential when the platform asks for one or the flow's first steps
    check a token or signature and stop otherwise, the owner when only named users or the
    instance's own logged-in users can write to it."""
    point = _entry_points_by_step(app).get(entry.step_id)
    auth = point.authentication if point is not None else None
    if auth in OWNER_ONLY:
        return OWNER, "named users only" if auth == "allowlist" else "n8n login"
    if auth not in (None, "none"):
        return CREDENTIAL_HOLDERS, f"{auth} authentication"
    step = app.step(entry.step_id)
    guard = guard_of(app, step) if step is not None and point is not None else None
    if guard is not None and guard.login:  # its lookup of the user runs before the check
        return ANYONE, (f"no authentication before step '{guard.step.name or guard.step.id}' "
                        "compares the password")
    if guard is not None:
        return CREDENTIAL_HOLDERS, f"step '{guard.step.name}' checks {guard.compares}"
    return ANYONE, "no authentication"


@per_app
def _entry_points_by_step(app: App) -> dict[str, EntryPoint]:
    """Step id → the (first) entry point at it, looked up once per app."""
    out: dict[str, EntryPoint] = {}
    for ep in app.entry_points:
        out.setdefault(ep.step_id, ep)
    return out


def _worst_caller(app: App, flow: DataFlow, sf: SinkFlow
                  ) -> tuple[Origin, Origin, list[str], tuple[str, str]] | None:
    """(the origin, the entry behind it, the route to it, its caller) of the most exposed
    entry point whose data reaches ``sf``; None when none does, or only the owner's does
    (the owner running a command of their own on their own server is no injection)."""
    best: tuple[Origin, Origin, list[str], tuple[str, str]] | None = None
    for origin in sf.origins:
        behind = flow.untrusted_behind(origin)
        if behind is None or _reflected_to_sender_only(app, flow, sf, behind[0]) \
                or _back_to_signer(app, sf, behind[0]):
            continue
        caller = caller_of(app, behind[0])
        if caller[0] == ANYONE:
            return origin, behind[0], behind[1], caller
        if caller[0] == CREDENTIAL_HOLDERS and best is None:
            best = origin, behind[0], behind[1], caller
    return best


def _back_to_signer(app: App, sf: SinkFlow, entry: Origin) -> bool:
    """Is ``sf`` a part of a request to a fixed host (its path, query or body) that goes to
    the very service whose webhook signature the entry's first steps verify? The values
    are that service's own (a Discord interaction's id and token in the URL of Discord's
    callback for it): its own API is what it chose them for, not a victim."""
    if sf.sink.param not in FETCH_PARTS:
        return False
    hosts = {d.host for d in destinations_by_step(app).get(sf.step.id, ()) if not d.dynamic}
    return bool(hosts) and all(signed_by_host(app, entry.step_id, h) for h in hosts)


# HTTP methods a page on another site cannot make a browser send without the server agreeing
# to a CORS preflight first (which HTTP routes do not by default): only the caller's own code
# sends them.
SAME_SITE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})


def _reflected_to_sender_only(app: App, flow: DataFlow, sf: SinkFlow, entry: Origin) -> bool:
    """Is ``sf`` a template whose text goes only into the answer to the caller of a route
    only same-site code calls (PUT, PATCH, DELETE): markup in it reaches no one but the
    sender, as no link or form elsewhere makes a victim's browser send that request? The
    template must send to answering steps alone (each one only answers, and sends on to
    nothing); one that also feeds a file, a store or another step stays reported."""
    point = _entry_points_by_step(app).get(entry.step_id)
    if sf.sink.kind != "template" or point is None or point.kind != "http" \
            or not point.methods or not {m.upper() for m in point.methods} <= SAME_SITE_METHODS:
        return False
    targets = [app.step(t) for t in sf.step.outbound]
    return bool(targets) and all(
        t is not None and not t.outbound and (answers := flow.sinks_of(t.id))
        and all(a.sink.kind in ANSWER_SINKS for a in answers) for t in targets)


@check(
    "INJ002",
    title="Command, code or query built from data of unknown origin",
    category="injection",
    severity="medium",
    owasp=["LCNC-SEC-06"],
    rationale="""A step that executes or renders data read from a store, a service's response
    or input this app does not show is one upstream change away from an injection. Data of an
    entry point switched off today (an inactive workflow's webhook or form) reaching any step
    INJ001 asks about, a command, a query, a page, a sheet cell, a request's URL or JSON body,
    is INJ001's finding one activation away, as AUTH001 reports the open door itself.""",
    remediation="Use fixed commands, parameterized queries and escaped templates everywhere.",
    requires=("workflows",),
)
def test_sinks_do_not_interpolate_data(nocode_app: App,
                                       nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    reported: set[str] = set()
    for sf in flow.sinks(CALLER_SINKS):
        if sf.step.id in reported:
            continue
        trusts = [flow.trust(o) for o in sf.origins]
        if "untrusted" in trusts:
            continue  # INJ001's
        # any caller sink fed by a switched-off entry (INJ001's once activated); only commands,
        # code, queries and templates from a store or a service (a page, a sheet cell or a
        # request built from a table is an ordinary report, row or next-page link)
        off = [(o, b) for o, trust in zip(sf.origins, trusts, strict=True) if trust == "other"
               and (b := switched_off_behind(nocode_app, flow, o)) is not None]
        off.sort(key=lambda ob: ob[0].kind == "ai")  # the entry's own data before a model's
        other = [o for o, trust in zip(sf.origins, trusts, strict=True)
                 if trust == "other" and sf.sink.kind in INJECTION_SINKS
                 and sf.sink.param != HEREDOC_BODY]
        if not off and not other:
            continue
        origin, (entry, to_origin) = off[0] if off else (other[0], (other[0], [other[0].step_id]))
        via = f" through {nocode_app.resource_of(origin.step_id).name}" \
            if origin.kind == "ai" else ""
        when = ", reachable once activated" if off else ""
        # as INJ001 ranks them: part of a request to a fixed host, or a sheet cell, a step lower
        lower = off and (sf.sink.param in FETCH_PARTS or sf.sink.kind in FORMULA_SINKS)
        nocode_findings.add(
            sf.step, f"{sf.step.type} {sf.sink.reason}; the data comes from "
            f"{entry.detail}{via}{when}",
            {"sink_type": sf.step.type, "sink": sf.sink.kind, "parameter": sf.sink.param,
             **_not_counted(sf), **origin_evidence(origin),
             **route_evidence(nocode_app, [*to_origin[:-1], *flow.route(sf.step.id, origin)]),
             **call_evidence(nocode_app, flow, sf.step.id, [o for o, _b in off] or other),
             **step_context(nocode_app, sf.step)},
            severity=Severity.LOW if lower else None)
        reported.add(sf.step.id)


def switched_off_behind(app: App, flow: DataFlow, origin: Origin
                        ) -> tuple[Origin, list[str]] | None:
    """(the switched-off entry, its route) when ``origin`` is the data of an entry point
    switched off today that not only the owner writes to, or an AI answer it prompts: what
    INJ001 would report once the workflow is activated (INJ002 and INJ003 ask this)."""
    return flow.behind(origin, lambda o: _switched_off_entry(app, o))


def _switched_off_entry(app: App, origin: Origin) -> bool:
    """Is ``origin`` the data of an entry point switched off today (an inactive workflow's
    webhook or form) that not only the owner writes to? A page generated from it, or a
    request sent where it says, is one activation away from INJ001; from a table or a model
    it is an ordinary report, or an ordinary next-page link."""
    point = _entry_points_by_step(app).get(origin.step_id)
    return origin.kind == "unknown" and point is not None and point.active is False and \
        caller_of(app, origin)[0] != OWNER


@check(
    "INJ003",
    title="Outside text steers an AI agent that can change or send data",
    category="injection",
    severity="high",
    owasp=["LCNC-SEC-06", "LCNC-SEC-03"],
    rationale="""A chat, mail, message, form or webhook text reaches an AI model whose
    decisions a step then acts on: a tool that writes, deletes, sends or runs, or a step after
    the model that creates records or sends mail with what it answered. Whoever writes that
    text can instruct the model (prompt injection) and so make the app change data or send it
    where they choose.""",
    remediation="""Give agents that read outside text read-only tools; put a human approval
    or a fixed validation step between the model and any write, delete or send; limit the
    records, recipients and hosts a tool can reach.""",
    requires=("workflows",),
)
def test_outside_text_does_not_steer_acting_agents(nocode_app: App,
                                                   nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    injected = _injected_steps(flow)  # INJ001 reports those
    tools: dict[str, list[tuple[SinkFlow, Steering]]] = {}
    dispatched: dict[str, list[tuple[SinkFlow, Steering]]] = {}
    for sf in flow.sinks(ACTION_SINKS):
        if sf.step.id in injected:
            continue
        steered = _steered_by_outside_text(nocode_app, flow, sf)
        if steered is None:
            continue
        if sf.sink.param == "tool":  # one finding per agent, naming each tool that acts
            tools.setdefault(steered.answer.step_id, []).append((sf, steered))
            continue
        if sf.sink.param in DISPATCHED:  # one per agent for the branches its answer picks
            if _decides_more_than_the_route(flow, sf, steered.answer):
                dispatched.setdefault(steered.answer.step_id, []).append((sf, steered))
            continue
        if _only_back_to_the_sender(flow, sf, steered):
            continue
        _report_steps_after(nocode_app, nocode_findings, [(sf, steered)])
    for acting in dispatched.values():
        _report_steps_after(nocode_app, nocode_findings, acting)
    for agent_id, acting in tools.items():
        agent_step = nocode_app.step(agent_id)
        if agent_step is None:
            continue
        # the most exposed text that steers the agent speaks for it
        steered = max((s for _sf, s in acting), key=lambda s: s.severity)
        names = [f"{sf.step.name}: {sf.sink.reason}" for sf, _s in acting]
        nocode_findings.add(
            agent_step, f"{steered.text} steers {agent_step.name}, whose tools "
            f"act: {'; '.join(names)}",
            {"source": steered.outside.detail, "agent": agent_step.name, "agent_id": agent_id,
             "actions": names, "action_steps": [sf.step.id for sf, _s in acting],
             **route_evidence(nocode_app, steered.route[:-1] or steered.route)},
            severity=steered.severity)


def _decides_more_than_the_route(flow: DataFlow, sf: SinkFlow, answer: Origin) -> bool:
    """Does the model whose ``answer`` picks the branch ``sf`` is on decide more than that
    branch? A classifier of the caller's own text that only picks a route gives the caller
    nothing a plainly worded text would not (they choose the ward by the symptoms they type):
    the open door is AUTH001's. It counts when the model is an agent whose tools act (its
    decisions reach further than a label), or when the step picked is also given what the
    model wrote: it sends or writes it, or hands it to the workflow it calls."""
    if sf.sink.param == "dispatched call" or answer.step_id in _acting_agents(flow.app):
        return True
    return any(answer in other.origins for other in flow.sinks_of(sf.step.id)
               if other.sink.param not in DISPATCHED)


# What picks no one and no record: a fixed value, a server's setting, the platform's own
FIXED_TARGET_KINDS = frozenset({"constant", "env", "platform"})


def _only_back_to_the_sender(flow: DataFlow, sf: SinkFlow, steered: Steering) -> bool:
    """Does the step after the model reach only the sender whose text prompted it: a reply
    to the chat or address that wrote, an update of the row keyed by their own id? Whom
    it reaches and which record it changes come from its target parameters (the adapter's
    ``target`` sink); when no model answer picks them and the outside values among them are
    all that same entry's, the prompter gets back only what they asked for. A mail address
    is not such a target (whoever writes may type anyone's); a chat or user id the messaging
    platform gives the sender, a row key, is. A target some
    model wrote, read from elsewhere (a store, a response), or not given fails closed."""
    targets = flow.sinks_of(sf.step.id, TARGET_SINKS)
    if any(o.kind not in FIXED_TARGET_KINDS for t in targets if t.sink.param == "address"
           for o in t.origins):
        return False  # a mail address given proves no one's identity: it may be anyone's
    origins = [o for t in targets for o in t.origins]
    outside = [o for o in origins if o.kind not in FIXED_TARGET_KINDS]
    return bool(outside) and all(o.kind == "entry" and o.step_id == steered.outside.step_id
                                 for o in outside)


# The acts a branch picks by the model's answer: a step's own, or a called workflow's (which
# is handed the item, the answer with it)
DISPATCHED = ("dispatched", "dispatched call")


@per_app
def _acting_agents(app: App) -> frozenset[str]:
    """The models (agents) one of whose tools acts: what the agent decided runs there."""
    return frozenset(o.step_id for sf in dataflow(app).sinks(ACTION_SINKS)
                     if sf.sink.param == "tool"
                     for o in sf.origins if o.kind == "ai" and o.step_id)


def _report_steps_after(app: App, findings: FindingCollector,
                        acting: list[tuple[SinkFlow, Steering]]) -> None:
    """One finding for steps after a model that act on its answer: a step's own, or, for
    the workflows a branch runs when the answer picks them, one on the first such step that
    names the others (the same open door and agent, not one issue per branch)."""
    steered = max((s for _sf, s in acting), key=lambda s: s.severity)  # the first if tied
    first = acting[0][0]
    agent = app.resource_of(steered.answer.step_id).name
    actions = [f"{sf.step.name}: {sf.sink.reason}" for sf, _s in acting]
    what = f"{first.step.name} {first.sink.reason} with its answer" if len(acting) == 1 \
        else f"{len(acting)} steps act on its answer ({'; '.join(actions)})"
    findings.add(
        first.step, f"{steered.text} steers {agent}, and {what}",
        {"source": steered.outside.detail, "agent": agent, "agent_id": steered.answer.step_id,
         "actions": actions, "action_steps": [sf.step.id for sf, _s in acting],
         **route_evidence(app, steered.route), **step_context(app, first.step)},
        severity=steered.severity)


@dataclass(frozen=True)
class Steering:
    """An AI model's decision reaching an action, and the outside text that prompted it."""

    answer: Origin  # the model's answer the action uses
    outside: Origin  # the text behind it: an entry point, or input this app does not show
    route: list[str]
    text: str  # the outside text, as a finding's message names it
    severity: Severity


def _steered_by_outside_text(app: App, flow: DataFlow, sf: SinkFlow) -> Steering | None:
    """How the first model decision that reaches ``sf`` was prompted with outside text:
    an entry point's (entries only the owner can write to, a Telegram bot limited to named
    chats or n8n's own editor chat, do not count); failing that, a step lower, text that is
    outside as far as this app shows (fail closed): an entry point switched off today, which
    one activation opens, or what a calling workflow passes in when no caller is in the app
    (a sub-workflow a bot's messages are handed to). With the caller unseen, only an agent's
    tool counts: the model itself picks that action, whatever shape the caller's data has;
    a step after a model acts on values the data flow followed through data not shown."""
    answers = [o for o in sf.origins if o.kind == "ai"]
    for origin in answers:
        behind = flow.untrusted_behind(origin)
        if behind is None or caller_of(app, behind[0])[0] == OWNER:
            continue
        entry, to_origin = behind
        return Steering(origin, entry, [*to_origin[:-1], *flow.route(sf.step.id, origin)],
                        f"text from {entry.detail}", Severity.HIGH)
    tool = sf.sink.param == "tool"
    for origin in answers:
        behind = flow.behind(origin, lambda o: _switched_off_entry(app, o)
                             or (tool and o.kind == "unknown" and o.detail == CALLER_INPUT))
        if behind is None:
            continue
        outside, to_origin = behind
        text = f"text from {outside.detail}, reachable once activated," \
            if outside.detail != CALLER_INPUT else \
            "text a calling workflow passes in (no caller in this export)"
        return Steering(origin, outside, [*to_origin[:-1], *flow.route(sf.step.id, origin)],
                        text, Severity.MEDIUM)
    return None


def _not_counted(sf: SinkFlow) -> dict[str, list[str]]:
    """Evidence of what the sink was judged safe from: values placed only where they cannot
    do what it is about (a file name after fixed text, a URL's query string)."""
    return {"not_counted": sorted(sf.sink.harmless_within)} if sf.sink.harmless_within \
        else {}


def _injected_steps(flow: DataFlow) -> set[str]:
    """Steps where untrusted data reaches a command, query, template or fetch (INJ001's):
    what ``trust`` calls untrusted, asked without judging each of a sink's thousands of store
    origins internal or not."""
    return {sf.step.id for sf in flow.sinks(CALLER_SINKS)
            if any(flow.untrusted_behind(o) for o in sf.origins)}
