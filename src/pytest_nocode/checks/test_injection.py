"""Injection: can data from outside reach a command, code, query or template unescaped?

Both checks ask the data-flow engine (:mod:`pytest_nocode.dataflow`) where the values each
sink runs come from: INJ001 when one is an untrusted entry point (or an AI answer driven by
one), INJ002 when one is of unknown origin (a store, a service's response, unwired input);
constants, environment references and platform values of known origin are neither.
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import (
    flow_or_skip,
    origin_evidence,
    route_evidence,
    step_context,
)
from pytest_nocode.dataflow import FETCH_SINKS, INJECTION_SINKS


@check(
    "INJ001",
    title="Untrusted input reaches a command, code, query or template",
    category="injection",
    severity="critical",
    owasp=["LCNC-SEC-06"],
    rationale="""Data from a webhook, HTTP route, socket, chat or subscription flows into a
    step that executes or renders it, or picks the whole URL a request goes to, directly or
    through an AI agent it prompts: a caller can run commands, SQL or script of their own, or
    make the server fetch what they choose.""",
    remediation="""Never build commands, SQL or markup from input: use fixed commands with
    validated arguments, parameterized queries (n8n 'Query Parameters'), escaped templates
    ({{ }}), and validate input in a switch/function node first.""",
    requires=("workflows",),
)
def test_untrusted_input_does_not_reach_sinks(nocode_app: App,
                                              nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    reported: set[str] = set()
    for sf in flow.sinks(INJECTION_SINKS | FETCH_SINKS):
        if sf.step.id in reported:
            continue
        for origin in sf.origins:
            behind = flow.untrusted_behind(origin)
            if behind is None:
                continue
            entry, to_origin = behind
            route = [*to_origin[:-1], *flow.route(sf.step.id, origin)]
            via = f" through {nocode_app.resource_of(origin.step_id).name}" \
                if origin.kind == "ai" else ""
            nocode_findings.add(
                sf.step, f"input from {entry.detail}{via} reaches {sf.step.type} which "
                f"{sf.sink.reason}",
                {"source": entry.detail, **origin_evidence(origin),
                 **route_evidence(nocode_app, route), "sink_type": sf.step.type,
                 "sink": sf.sink.kind, "parameter": sf.sink.param,
                 **step_context(nocode_app, sf.step)})
            reported.add(sf.step.id)
            break


@check(
    "INJ002",
    title="Command, code or query built from data of unknown origin",
    category="injection",
    severity="medium",
    owasp=["LCNC-SEC-06"],
    rationale="""A step that executes or renders data read from a store, a service's response
    or input this app does not show is one upstream change away from an injection.""",
    remediation="Use fixed commands, parameterized queries and escaped templates everywhere.",
    requires=("workflows",),
)
def test_sinks_do_not_interpolate_data(nocode_app: App,
                                       nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    reported: set[str] = set()
    for sf in flow.sinks(INJECTION_SINKS):
        if sf.step.id in reported:
            continue
        trusts = [flow.trust(o) for o in sf.origins]
        if "untrusted" in trusts:
            continue  # INJ001's
        other = [o for o, trust in zip(sf.origins, trusts, strict=True) if trust == "other"]
        if not other:
            continue
        origin = other[0]
        nocode_findings.add(
            sf.step, f"{sf.step.type} {sf.sink.reason}; the data comes from {origin.detail}",
            {"sink_type": sf.step.type, "sink": sf.sink.kind, "parameter": sf.sink.param,
             **origin_evidence(origin),
             **route_evidence(nocode_app, flow.route(sf.step.id, origin)),
             **step_context(nocode_app, sf.step)})
        reported.add(sf.step.id)
