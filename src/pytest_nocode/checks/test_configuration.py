"""Configuration: other platform settings that weaken the instance.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import destinations_by_step, setting_or_skip
from pytest_nocode.model import Step
from pytest_nocode.policy import Policy


@check(
    "CFG001",
    title="Editor and admin API listen on every interface",
    category="configuration",
    severity="medium",
    owasp=["LCNC-SEC-05"],
    rationale="""Bound to 0.0.0.0 (or no uiHost), the editor is reachable from every network the
    host is on, not only through the reverse proxy meant to guard it.""",
    remediation="Set uiHost to 127.0.0.1 (or the one interface the proxy uses).",
    requires=("settings",),
    platforms=("nodered",),
)
def test_editor_not_bound_to_all_interfaces(nocode_app: App,
                                            nocode_findings: FindingCollector) -> None:
    setting = setting_or_skip(nocode_app, "uiHost")
    if setting.value in ("0.0.0.0", "::", "UNSET", "", None):
        nocode_findings.add(setting, "the editor listens on all interfaces",
                            {"uiHost": setting.value, "source": setting.source})


@check(
    "CFG002",
    title="Function nodes run without a time limit",
    category="configuration",
    severity="low",
    owasp=["LCNC-SEC-05"],
    rationale="""A function node without a timeout can be made to loop forever by crafted input,
    blocking the whole runtime.""",
    remediation="Set functionTimeout in settings.js (or per node) within the policy's limit.",
    requires=("settings",),
    platforms=("nodered",),
)
def test_function_timeout_bounded(nocode_app: App, nocode_findings: FindingCollector,
                                  nocode_policy: Policy) -> None:
    setting = setting_or_skip(nocode_app, "functionTimeout")
    limit = nocode_policy.setting("function_timeout_max_seconds", 60)
    try:
        seconds = float(setting.value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0 or seconds > limit:
        nocode_findings.add(setting, f"function timeout is {setting.value!r} "
                            f"(policy limit {limit} s)",
                            {"functionTimeout": setting.value, "limit": limit})


@check(
    "CFG003",
    title="HTTP request accepts malformed responses",
    category="configuration",
    severity="medium",
    owasp=["LCNC-SEC-05"],
    rationale="""insecureHTTPParser accepts invalid HTTP, opening request-smuggling and
    response-splitting attacks against the flow. A request whose every address is fixed and
    on the same host or its compose network (loopback, a compose service: the owner's own
    status page) is answered by nothing outside it: not reported
    (settings.report_local_insecure_parsers: true lists it at info).""",
    remediation="Turn off 'Enable insecure HTTP parser' on the node.",
    requires=("workflows",),
    platforms=("nodered",),
)
def test_http_parser_strict(nocode_app: App, nocode_findings: FindingCollector,
                            nocode_policy: Policy) -> None:
    listed = bool(nocode_policy.setting("report_local_insecure_parsers", False))
    for step in nocode_app.steps_of_type("http request"):
        if step.params.get("insecureHTTPParser") is not True:
            continue
        local = _same_host_only(nocode_app, nocode_policy, step)
        if local and not listed:
            continue  # only the owner's own services on this host answer it
        if local:
            nocode_findings.add(step, f"uses the insecure HTTP parser (only on {local}, on "
                                "the same host or its compose network)",
                                {"insecureHTTPParser": True, "same_host": True},
                                severity="info")
        else:
            nocode_findings.add(step, "uses the insecure HTTP parser",
                                {"insecureHTTPParser": True})


def _same_host_only(app: App, policy: Policy, step: Step) -> str:
    """The hosts a request reaches, when every one is fixed and in the loopback or host zone
    ("" when one is dynamic, elsewhere or unknown)."""
    targets = destinations_by_step(app).get(step.id, ())
    if not targets or any(d.dynamic or not d.host for d in targets):
        return ""
    hosts = sorted({d.host for d in targets})
    if any(policy.zone_of(h, app) not in ("loopback", "host") for h in hosts):
        return ""
    return ", ".join(hosts)


@check(
    "CFG004",
    title="Any workflow may call this workflow",
    category="configuration",
    severity="low",
    owasp=["LCNC-SEC-05", "LCNC-SEC-02"],
    rationale="""callerPolicy 'any' lets every workflow on the instance, whoever owns it, run
    this one and reach its credentials.""",
    remediation="Set 'This workflow can be called by' to the owner's workflows or a list.",
    requires=("workflows",),
    platforms=("n8n",),
)
def test_workflow_caller_policy_restricted(nocode_app: App,
                                           nocode_findings: FindingCollector) -> None:
    for wf in nocode_app.workflows:
        if wf.settings.get("callerPolicy") == "any":
            nocode_findings.add(wf, "callerPolicy is 'any'", {"callerPolicy": "any"})
