"""What the platform's own audit reports (e.g. n8n's security audit), relayed with the category
the adapter mapped it to, so nothing the platform would have told the user is lost.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check


@check(
    "PLAT001",
    title="Reported by the platform's own security audit",
    category="configuration",
    severity="medium",
    rationale="The platform's own security audit reported this; kept with its evidence.",
    remediation="Follow the platform audit's recommendation shown in the evidence.",
    requires=("advisories",),
)
def test_platform_audit_findings(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for adv in nocode_app.advisories:
        nocode_findings.add(adv.resource, f"{adv.source}: {adv.title}",
                            {"description": adv.description,
                             "recommendation": adv.recommendation},
                            category=adv.category)
