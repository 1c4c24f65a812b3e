"""Authentication: can someone reach the app's entry points or admin API without proving who
they are?"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import setting_or_skip

UNPROVEN = "unproven"


@check(
    "AUTH001",
    title="Inbound endpoint without authentication",
    category="authentication",
    severity="high",
    owasp=["LCNC-SEC-01", "LCNC-SEC-04"],
    rationale="""Anyone who can reach an unauthenticated webhook, form, HTTP route or socket can
    trigger the flow behind it with data of their choosing.""",
    remediation="""Require authentication on the endpoint (n8n: basic, header or JWT auth on the
    Webhook/Form node; Node-RED: httpNodeAuth or an authenticating httpNodeMiddleware), or put
    it behind an authenticating proxy and record that in a waiver.""",
    requires=("workflows",),
)
def test_entry_points_require_authentication(nocode_app: App,
                                             nocode_findings: FindingCollector) -> None:
    for ep in nocode_app.entry_points:
        if ep.authentication not in (None, "none"):
            continue
        step = nocode_app.step(ep.step_id)
        if step is None:
            continue
        evidence = {"kind": ep.kind, "route": ep.route, "methods": list(ep.methods),
                    "authentication": ep.authentication or UNPROVEN, "type": step.type}
        if ep.authentication is None:
            message = (f"{ep.kind} endpoint {ep.route!r} has no authentication of its own and "
                       "the data does not show an instance-wide one")
        else:
            message = f"{ep.kind} endpoint {ep.route!r} accepts requests without authentication"
        if ep.active is False:
            nocode_findings.add(step, message + " (currently inactive)", evidence,
                                severity="low")
        else:
            nocode_findings.add(step, message, evidence)


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
