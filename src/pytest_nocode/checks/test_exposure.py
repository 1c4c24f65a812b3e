"""Exposure: what a live instance gives a stranger, asked with read-only GETs and no
credentials (owner setup left open, configuration and version, the REST API itself).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check

REQUIRES = ("exposure",)


@check(
    "EXPO001",
    title="Owner setup is still open: anyone can claim the instance",
    category="authentication",
    severity="critical",
    owasp=["LCNC-SEC-04", "LCNC-SEC-05"],
    rationale="""A fresh n8n that was never set up lets the first visitor create the owner
    account, and with it every credential and code execution through workflows.""",
    remediation="""Set up the owner now (or stop the instance); never expose n8n before its
    owner account exists.""",
    requires=REQUIRES,
    platforms=("n8n",),
)
def test_owner_setup_closed(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for exposure in nocode_app.exposures:
        if exposure.details.get("owner_setup_open") is True:
            nocode_findings.add(exposure, "owner setup is open to anyone who reaches the "
                                "instance", {"request": exposure.request,
                                             "status": exposure.status,
                                             "userManagement.showSetupOnFirstLoad": True})


@check(
    "EXPO002",
    title="Unauthenticated endpoint reveals version or configuration",
    category="configuration",
    severity="medium",
    owasp=["LCNC-SEC-05"],
    rationale="""The exact version tells an attacker which advisories apply; callback URLs,
    base URLs, SSO and licence details map the deployment for them.""",
    remediation="""Keep the instance behind a proxy that allows only the routes users need;
    disable /metrics or protect it; upgrade to a version that withholds these settings from
    anonymous callers.""",
    requires=REQUIRES,
    platforms=("n8n",),
)
def test_no_configuration_leak(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for exposure in nocode_app.exposures:
        if exposure.kind in ("settings", "version") and exposure.details.get("revealed"):
            evidence = {"request": exposure.request, "status": exposure.status,
                        "revealed": list(exposure.details["revealed"])}
            if "version" in exposure.details:
                evidence["version"] = exposure.details["version"]
            nocode_findings.add(exposure, "answers without credentials with "
                                f"{', '.join(evidence['revealed'])}", evidence)
        elif exposure.kind == "metrics" and exposure.answered:
            nocode_findings.add(exposure, "Prometheus metrics answer without credentials",
                                {"request": exposure.request, "status": exposure.status})


@check(
    "EXPO003",
    title="REST API answers without a session or API key",
    category="authentication",
    severity="critical",
    owasp=["LCNC-SEC-04", "LCNC-SEC-02"],
    rationale="""Workflows, credentials and users read without logging in means anyone who
    reaches the host reads (and likely changes) the whole instance.""",
    remediation="""Find what strips authentication (a proxy adding a session, an auth bypass
    setting) and remove it; rotate every credential the instance holds.""",
    requires=REQUIRES,
    platforms=("n8n",),
)
def test_api_requires_authentication(nocode_app: App, nocode_findings: FindingCollector
                                     ) -> None:
    for exposure in nocode_app.exposures:
        if exposure.kind == "api" and exposure.answered:
            nocode_findings.add(exposure, f"answered {exposure.status} with data and no "
                                "credentials", {"request": exposure.request,
                                                "status": exposure.status})
