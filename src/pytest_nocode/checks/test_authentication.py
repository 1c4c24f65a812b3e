"""Authentication: can someone reach the app's entry points or admin API without proving who
they are?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._callbacks import local_callback
from pytest_nocode.checks._guards import guard_of, oauth_login
from pytest_nocode.checks._probes import open_by_design
from pytest_nocode.checks._support import setting_or_skip
from pytest_nocode.dataflow import dataflow
from pytest_nocode.model import ANSWERS, NOTHING, RECORDS, SERVES, EntryPoint, Step
from pytest_nocode.policy import Policy

UNPROVEN = "unproven"
# What a call can do (EntryPoint.effect) when it opens no door: it answers with fixed content
# (a stylesheet, a constant, a setting), what the caller sent or what a public service gives
# anyone, or its flow ends without acting or answering.
HARMLESS_EFFECTS = frozenset({ANSWERS, NOTHING})
# Kinds whose routes httpNodeAuth (or the platform's own setting) could cover.
WEB_KINDS = frozenset({"http", "websocket", "dashboard"})


def _switched_off(ep: EntryPoint, step: Step) -> bool:
    """Disabled, or on a disabled tab (a chat bot whose receiving nodes are all off too): the
    platform does not start it, so nobody can reach it."""
    return step.disabled or (ep.kind == "chat" and step.is_config and ep.active is False)


def _inactive_workflow(app: App, step: Step) -> bool:
    """In an inactive n8n workflow: no production URL is registered until someone activates
    it (the test URL listens only while an editor user waits for a test call). An archived
    one's steps are disabled by the adapter: it must be restored before it can be activated."""
    workflow = app.workflow(step.workflow_id)
    return workflow is not None and (workflow.disabled or workflow.active is False)


def unauthenticated(app: App, *, inactive: bool = False) -> list[tuple[EntryPoint, Step]]:
    """Entry points the platform serves without authenticating the caller itself (with
    ``inactive``, also those of inactive workflows)."""
    out = []
    for ep in app.entry_points:
        if ep.authentication not in (None, "none"):
            continue
        step = app.step(ep.step_id)
        if step is None or _switched_off(ep, step):
            continue
        if inactive or not _inactive_workflow(app, step):
            out.append((ep, step))
    return out


def collect_only_form(ep: EntryPoint) -> str:
    """Why a public form only takes in what the public submits ("" when it may do more): the
    adapter judged every step it reaches to keep it as a new record, tell the owner, confirm
    to the submitter, ask a model about it or reshape it (effect ``records``)."""
    if ep.kind != "form" or ep.effect != RECORDS:
        return ""
    return ("a public form that only takes in what is submitted: "
            + (ep.effect_reason or "its steps keep it, tell the owner or confirm it"))


def serves_only_settings(app: App, ep: EntryPoint) -> bool:
    """Does the entry point serve nothing but flow or global context keys that the app fills
    only from constants (a delay picked in its dashboard, a liveness counter, a start time):
    settings, which answer like a constant does?"""
    if ep.effect != SERVES or not ep.served_context or app.flow_of is None:
        return False
    flow = dataflow(app)
    return all(flow.holds_only_settings(sid) for sid in ep.served_context)


def _evidence(ep: EntryPoint, step: Step) -> dict[str, object]:
    evidence: dict[str, object] = {
        "kind": ep.kind, "route": ep.route, "methods": list(ep.methods),
        "authentication": ep.authentication or UNPROVEN, "type": step.type}
    if ep.effect is not None:  # the adapter could tell what a call does, and why
        evidence["effect"] = ep.effect
        if ep.effect_reason:
            evidence["effect_reason"] = ep.effect_reason
    return evidence


def _open_message(ep: EntryPoint) -> str:
    """What a reviewer reads about an endpoint nothing authenticates."""
    if ep.kind == "chat" and ep.route.startswith("telegram bot"):
        return f"{ep.route} answers anyone on Telegram: it names no allowed users or chats"
    if ep.kind == "chat":
        return f"{ep.route} reach the flow from anyone who can send them"
    if ep.kind == "assistant":
        return f"{ep.route} runs commands without authenticating who gives them"
    if ep.authentication is None and ep.kind in WEB_KINDS:
        return (f"{ep.kind} endpoint {ep.route!r} has no authentication of its own and "
                "the data does not show an instance-wide one")
    if ep.authentication is None:
        return (f"{ep.kind} endpoint {ep.route!r} accepts connections and the export does "
                "not show that it authenticates them")
    return f"{ep.kind} endpoint {ep.route!r} accepts requests without authentication"


@check(
    "AUTH001",
    title="Inbound endpoint without authentication",
    category="authentication",
    severity="high",
    owasp=["LCNC-SEC-01", "LCNC-SEC-04"],
    rationale="""Anyone who can reach an unauthenticated webhook, form, HTTP route, socket or chat
    bot can trigger the flow behind it with data of their choosing.""",
    remediation="""Require authentication on the endpoint (n8n: basic, header or JWT auth on the
    Webhook/Form node; Node-RED: httpNodeAuth or an authenticating httpNodeMiddleware; a
    Telegram bot: restrict it to your chat or user ids), or put it behind an authenticating
    proxy and record that in a waiver. Endpoints of disabled nodes and disabled tabs are not
    reported; those of inactive workflows are, at low severity, as doors one switch away
    (policy settings.report_inactive_entry_points: false leaves them out). Nor are endpoints
    whose flow, as far as the adapter can tell, only answers with fixed content (a fixed page,
    script or stylesheet, a constant, a setting the app fills from constants), with what the
    caller sent (a subscription challenge)
    or with what a public service gives anyone (a GET without credentials), or ends without
    acting or answering; the evidence's effect and effect_reason say what the adapter saw. A
    public form (sign-up, survey, application) whose steps only take in what is submitted
    (effect "records": keep it as a new record, tell the owner at a fixed address or channel,
    confirm to the address submitted with fixed text and the submitter's own answers, ask a
    model about it) is open by design and not reported (settings.report_collecting_forms:
    true lists them at low severity); one that reaches a command, code, an agent, a
    service, a read of stored data, a post as the account, or an update or delete of a
    record picked by what is typed, is. A status probe (a Node-RED route whose branch only
    reads the host's load, memory, uptime or version, or asks a service on the same host
    whether it is up with a GET without credentials, and answers nothing but constants and a
    time) is open by design too (settings.report_status_probes: true lists them at info);
    one that also writes, runs or answers with data is reported. So is a read-only route (a
    Node-RED route whose branch only computes a hash, calls a smart contract's read-only
    function, finds the records of a MongoDB collection whose name carries no sensitivity
    label, runs a fixed SELECT of reference tables (no sensitivity label, no name of people
    or their doings; not in an app that signs its users in with a login of its own but
    checks the session on no route: its tables are its users'), asks a model server or
    intent parser on the same host without credentials, fetches a public feed or queries a
    public index, or
    copies context that holds only constants and device readings, and
    answers nothing else: listed at info by the same setting), and so is any route, socket or
    TCP server whose every answer holds only settings, device readings (what a PLC or Modbus
    read reports, what a public broker's MQTT topic without a sensitivity label carries:
    its subscribers read it anyway) and public feeds (a GET without credentials of a fixed internet
    address, a websocket's broadcast of it) (read-only telemetry), and so is a Telegram bot
    naming no allowed chats whose every message goes to the one chat id its flow fixes (the
    owner's, never the sender's) while what a message to it starts only looks something up
    as a read-only route does, and so is a dashboard whose every control only
    runs a fixed SELECT of reference tables, fetches a public feed, queries a public index
    (places, weather, a public news collection), calls one of the app's own GET routes or
    asks a device for a reading (an MQTT publish to a fixed topic whose last level asks,
    ``…/get``, ``temp-request``, and names no action);
    one whose control switches a device, writes or sends is reported, and so is a dashboard
    without any control whose widgets show health readings (heart rate, SpO2, blood
    pressure, an infusion pump, calories). So is a GET route that answers one of the app's
    own pages (a markup template or a fixed .html file) with only values it reads from flow
    or global context by a literal, unlabelled key pasted in (the page's broker or server address, a
    call sign); one that also
    writes, runs, sends, loads another module, echoes the request or reads personal records
    is reported. So is a local callback (a
    webhook whose address the app itself gives a service on the same host or compose network,
    and whose call only starts fixed requests without credentials to such services: nothing
    the caller sends is read; settings.report_local_callbacks: true lists them at info).
    Nor is an OAuth login's first route (it only redirects to a fixed https authorize page
    with a state it keeps, which the app's callback route compares); the callback is
    AUTH004's, and so are the routes that are the authentication itself: a Node-RED login or
    password change comparing the password sent with the one stored in the user's row it
    looks up and answering 400, 401 or 403 otherwise, a route whose reusable flow checks the
    Authorization header. A route answering a fixed file the app never writes (no label, no
    data or secret file) and a world map showing only a public feed are read-only (info
    with report_status_probes).""",
    requires=("workflows",),
)
def test_entry_points_require_authentication(nocode_app: App,
                                             nocode_findings: FindingCollector,
                                             nocode_policy: Policy) -> None:
    # on by default: reviewers of real backups file an open webhook of an inactive workflow
    # (whoever activates it, or imports the file, opens it), at low severity
    inactive = bool(nocode_policy.setting("report_inactive_entry_points", True))
    forms = bool(nocode_policy.setting("report_collecting_forms", False))
    probes = bool(nocode_policy.setting("report_status_probes", False))
    callbacks = bool(nocode_policy.setting("report_local_callbacks", False))
    for ep, step in unauthenticated(nocode_app, inactive=inactive):
        if guard_of(nocode_app, step) is not None:
            continue  # checked in its first steps: AUTH004
        if oauth_login(nocode_app, step):
            continue  # the login itself: a redirect to the provider, its callback AUTH004's
        if ep.effect in HARMLESS_EFFECTS or serves_only_settings(nocode_app, ep):
            continue  # serves a page's own files or a setting, or leads nowhere
        collects = collect_only_form(ep)
        if collects and not forms:
            continue  # open by design: a sign-up, survey or application form
        probe, verdict = ("", "") if collects else open_by_design(nocode_app, ep, step)
        if probe and not probes:
            continue  # open by design: a liveness or health route, a read-only lookup
        callback = "" if collects or probe else local_callback(nocode_app, nocode_policy, ep,
                                                               step)
        if callback and not callbacks:
            continue  # open by design: a local service says its job is done
        message = _open_message(ep)
        if _inactive_workflow(nocode_app, step):
            nocode_findings.add(step, message + " (workflow inactive: reachable once "
                                "activated)", _evidence(ep, step), severity="low")
        elif ep.active is False:  # served, but nothing uses it (a listener no node reads)
            nocode_findings.add(step, message + " (currently unused)", _evidence(ep, step),
                                severity="low")
        elif collects:
            nocode_findings.add(step, f"{message} ({collects})",
                                {**_evidence(ep, step), "collects_only": True}, severity="low")
        elif probe:
            nocode_findings.add(step, f"{message} ({probe})",
                                {**_evidence(ep, step), verdict: True}, severity="info")
        elif callback:
            nocode_findings.add(step, f"{message} ({callback})",
                                {**_evidence(ep, step), "local_callback": True},
                                severity="info")
        else:
            nocode_findings.add(step, message, _evidence(ep, step))


@check(
    "AUTH004",
    title="Endpoint authenticated only by a check in its flow",
    category="authentication",
    severity="low",
    owasp=["LCNC-SEC-01", "LCNC-SEC-04"],
    rationale="""The platform lets anyone call this endpoint, but the step right after it
    compares a signature, token or sender and ends the run when that fails. A hand-written check
    is easy to get subtly wrong (a plain instead of a timing-safe comparison, a signature over
    re-serialised instead of raw body, no replay window, a check of presence only), and every
    call still starts a run. Code that computes the HMAC over the raw body, compares it
    timing-safe and throws on a mismatch, all in one step, is that check done right: not
    reported.""",
    remediation="""Review the named step; prefer the platform's own authentication (n8n header or
    JWT auth, Node-RED httpNodeAuth or middleware) where the caller can send it, or waive this
    finding with the review's ticket.""",
    requires=("workflows",),
)
def test_in_flow_authentication_reviewed(nocode_app: App,
                                         nocode_findings: FindingCollector) -> None:
    for ep, step in unauthenticated(nocode_app):
        guard = guard_of(nocode_app, step)
        if guard is None or guard.verified:
            continue  # none, or one done right: an HMAC compared timing-safe, failing closed
        where = ep.route if ep.kind == "chat" else f"{ep.kind} endpoint {ep.route!r}"
        named = guard.step.name or guard.step.id
        nocode_findings.add(
            step, f"{where} is open at the platform, but step '{named}' checks "
            f"{guard.compares} and {guard.on_failure}",
            {**_evidence(ep, step), "guard": guard.evidence()})


@check(
    "AUTH002",
    title="Admin API and editor without authentication",
    category="authentication",
    severity="critical",
    owasp=["LCNC-SEC-04", "LCNC-SEC-05"],
    rationale="""Without adminAuth, anyone who reaches the Node-RED port can read every flow,
    deploy new ones and run commands on the host through an exec or function node.""",
    remediation="Set adminAuth in settings.js (users with bcrypt password hashes, or SSO).",
    requires=("settings",),
    platforms=("nodered",),
)
def test_admin_api_requires_authentication(nocode_app: App,
                                           nocode_findings: FindingCollector) -> None:
    setting = setting_or_skip(nocode_app, "adminAuth")
    if setting.value in ("UNSET", False, None):
        nocode_findings.add(setting, "the admin API and editor are open to anyone who reaches "
                            "the port", {"adminAuth": setting.value, "source": setting.source})


@check(
    "AUTH003",
    title="HTTP endpoints without instance-wide authentication",
    category="authentication",
    severity="high",
    owasp=["LCNC-SEC-01", "LCNC-SEC-04"],
    rationale="""httpNodeAuth protects every 'http in' route with one login; without it each
    route is public unless a middleware checks callers.""",
    remediation="Set httpNodeAuth (or an authenticating httpNodeMiddleware) in settings.js.",
    requires=("settings",),
    platforms=("nodered",),
)
def test_http_nodes_require_authentication(nocode_app: App,
                                           nocode_findings: FindingCollector) -> None:
    setting = setting_or_skip(nocode_app, "httpNodeAuth")
    routes = [ep.route for ep in nocode_app.entry_points
              if ep.kind in ("http", "websocket") and ep.active is not False]
    if setting.value == "UNSET" and routes:
        nocode_findings.add(setting, f"{len(routes)} HTTP/websocket route(s) are served "
                            "without instance-wide authentication",
                            {"httpNodeAuth": setting.value, "routes": sorted(routes)[:50]})
