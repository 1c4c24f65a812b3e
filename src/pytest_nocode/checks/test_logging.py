"""Logging: will there be a record when something goes wrong or someone misuses a flow?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check, not_applicable
from pytest_nocode.model import Step
from pytest_nocode.policy import Policy


@check(
    "LOG001",
    title="Execution history switched off",
    category="logging",
    severity="medium",
    owasp=["LCNC-SEC-10"],
    rationale="""When a workflow keeps no record of failed (or successful) executions, misuse
    and incidents leave no trace to investigate.""",
    remediation="Set 'Save failed executions' (and, for entry-point workflows, 'Save successful "
                "executions') to save in the workflow settings.",
    requires=("workflows",),
    platforms=("n8n",),
)
def test_execution_history_kept(nocode_app: App, nocode_findings: FindingCollector,
                                nocode_policy: Policy) -> None:
    if not nocode_policy.setting("require_execution_logging", True):
        not_applicable("policy sets settings.require_execution_logging: false")
    entry_workflows = {s.workflow_id for ep in nocode_app.entry_points
                       if (s := nocode_app.step(ep.step_id))}
    for wf in nocode_app.workflows:
        if wf.disabled:
            continue
        off = [k for k in ("saveDataErrorExecution", "saveDataSuccessExecution")
               if wf.settings.get(k) == "none"]
        if "saveDataErrorExecution" in off or (off and wf.id in entry_workflows):
            kinds = " or ".join("failed" if k == "saveDataErrorExecution" else "successful"
                                for k in off)
            nocode_findings.add(wf, f"workflow does not save {kinds} executions",
                                {k: wf.settings.get(k) for k in off} | {"active": wf.active},
                severity=None if wf.active else "low")


@check(
    "LOG002",
    title="Flow errors are not caught",
    category="logging",
    severity="low",
    owasp=["LCNC-SEC-10"],
    rationale="""A tab with entry points but no catch node drops errors silently: failures and
    abuse of the endpoint leave nothing to alert on. A tab whose nodes only show, log or pass
    on a click (gauges, charts, debug, dashboard buttons and page controls, an MQTT input that
    parses no JSON) raises nothing a catch node could catch, and is not reported. Traffic
    from outside counts wherever it comes from: an MQTT subscription on the owner's own broker
    or a map page's socket (``worldmap in``) feeds the tab as an open endpoint does, when it
    reaches a node that can fail. An MQTT broker node wired to nothing hands no message to any
    node on its tab, and is not counted.""",
    remediation="Add a catch node on the tab that logs or forwards errors to monitoring.",
    requires=("workflows",),
    platforms=("nodered",),
)
def test_entry_flows_catch_errors(nocode_app: App, nocode_findings: FindingCollector) -> None:
    catching = {s.workflow_id for s in nocode_app.steps_of_type("catch")}
    catching |= {wf.id for wf in nocode_app.workflows if nothing_throws(nocode_app, wf.id)}
    flagged = set()
    feeds = [(ep.kind, ep.route, [ep.step_id, *(u.id for u in nocode_app.users_of(ep.step_id))])
             for ep in nocode_app.entry_points
             if ep.active is not False]  # a disabled endpoint receives no traffic
    feeds += outside_feeds(nocode_app)
    for kind, route, sources in feeds:
        for source_id in sources:
            step = nocode_app.step(source_id)
            if step is None or not step.workflow_id or step.workflow_id in catching \
                    or not hands_on(step):
                continue
            wf = nocode_app.workflow(step.workflow_id)
            if wf is None or wf.id in flagged or wf.disabled:
                continue
            flagged.add(wf.id)
            nocode_findings.add(wf, f"tab receives {kind} traffic but has no catch node",
                                {"entry_point": route, "step": source_id})


# Nodes that bring messages from outside the instance into a flow without being an entry point
# a caller can reach unasked (the owner's own MQTT broker, the socket of a map page's browsers):
# what they bring can still fail the nodes it reaches. (kind, how the route is read)
OUTSIDE_FEEDS = {"mqtt in": "mqtt", "worldmap in": "websocket"}


def outside_feeds(app: App) -> list[tuple[str, str, list[str]]]:
    """(kind, route, [step id]) of each enabled :data:`OUTSIDE_FEEDS` node whose messages
    reach a node of its tab that can fail (:func:`can_fail_on`)."""
    out = []
    for step in app.steps:
        kind = OUTSIDE_FEEDS.get(step.type)
        if kind is None or step.disabled:
            continue
        route = str(step.params.get("topic" if kind == "mqtt" else "path") or "").strip()
        if can_fail_on(app, step):
            out.append((kind, route or step.type, [step.id]))
    return out


# MQTT brokers run inside Node-RED: their outputs carry client events, not the messages the
# clients publish, so one wired to nothing hands the tab nothing
BROKER_NODES = frozenset({"aedes broker", "mosca in"})


def hands_on(step: Step) -> bool:
    """Does an entry node hand the tab anything? A broker node wired to nothing raises its
    errors without a message (a port in use), which no catch node receives."""
    return step.type not in BROKER_NODES or any(step.outbound)


def can_fail_on(app: App, source: Step) -> bool:
    """Can what ``source`` brings fail a node on its tab: does it parse JSON itself, or reach
    (along the wires, on its own tab) a node outside :data:`NO_THROW_TYPES`?"""
    if source.type == "mqtt in" and source.params.get("datatype") == "json":
        return True
    seen, queue = {source.id}, list(source.outbound)
    while queue:
        step = app.step(queue.pop())
        if step is None or step.id in seen or step.disabled \
                or step.workflow_id != source.workflow_id:
            continue
        seen.add(step.id)
        if step.type not in NO_THROW_TYPES:
            return True
        queue.extend(step.outbound)
    return False
# Nodes that raise no error a catch node could catch: they show or log what reaches them, or
# send a dashboard click on (both dashboards' display and navigation widgets and buttons).
NO_THROW_TYPES = frozenset({
    "debug", "comment", "junction",
    "ui_gauge", "ui_chart", "ui_text", "ui_led", "ui_ui_control", "ui_button", "ui_switch",
    "ui-gauge", "ui-chart", "ui-text", "ui-led", "ui-control", "ui-button", "ui-switch",
})


def nothing_throws(app: App, tab_id: str) -> bool:
    """Does every enabled node on the tab only show, log or pass on a click (an MQTT input
    too, unless it parses JSON, which fails on a malformed message)? A catch node there
    would catch nothing."""
    steps = [s for s in app.steps_in(tab_id) if not s.is_config and not s.disabled]
    return bool(steps) and all(
        s.type in NO_THROW_TYPES or (s.type == "mqtt in" and s.params.get("datatype") != "json")
        for s in steps)


@check(
    "LOG003",
    title="No error workflow for an active workflow with entry points",
    category="logging",
    severity="low",
    owasp=["LCNC-SEC-10"],
    rationale="""Without an error workflow, failures of an exposed workflow alert nobody: one
    with an entry point, or one any outside event starts (a bot's messages, mail, a change in
    a database or a drive), which runs on what others do as much as a webhook's does.""",
    remediation="Set an error workflow that notifies the owning team.",
    requires=("workflows",),
    platforms=("n8n",),
)
def test_entry_workflows_have_error_workflow(nocode_app: App,
                                             nocode_findings: FindingCollector) -> None:
    entered = {s.workflow_id for ep in nocode_app.entry_points
               if (s := nocode_app.step(ep.step_id))}
    for wf in sorted(nocode_app.workflows, key=lambda w: w.id):
        # an export that does not say whether it is active (a hand-made copy, a template) is
        # not assumed off: fail closed, and say the state is unknown
        if wf.active is False or wf.disabled or wf.settings.get("errorWorkflow"):
            continue
        state = "active workflow" if wf.active else "workflow (active state not in the export)"
        unknown = {} if wf.active else {"active": None}
        if wf.id in entered:
            nocode_findings.add(wf, f"{state} with an entry point has no error workflow",
                                {"errorWorkflow": None, **unknown})
        elif wf.event_triggers:
            events = ", ".join(t.rsplit(".", 1)[-1] for t in wf.event_triggers)
            nocode_findings.add(wf, f"{state} started by outside events ({events}) "
                                "has no error workflow",
                                {"errorWorkflow": None, "triggers": list(wf.event_triggers),
                                 **unknown})
