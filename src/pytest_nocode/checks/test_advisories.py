"""Known advisories: is the platform version, or an installed node module, one with a published
advisory, and does the app use the feature that makes it reachable?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check, not_applicable
from pytest_nocode.advisories import (
    PLATFORM_PACKAGES,
    AdvisoryData,
    checked_version,
    installed_packages,
)

PLATFORM_TITLES = {"n8n": "n8n", "nodered": "Node-RED"}


@check(
    "ADV001",
    title="Platform or node module version with a known advisory",
    category="connectors",
    severity="high",
    owasp=["LCNC-SEC-07", "LCNC-SEC-09"],
    rationale="""A version with a published advisory is the first thing an attacker looks for:
    exploits for n8n's 2026 advisories (Ni8mare and the sandbox escapes) are public. The
    feature an advisory needs (a form in an active workflow, the Python Code node) makes it
    reachable in this app and raises the severity.""",
    remediation="""Upgrade to a fixed version named in the evidence; until then, disable or
    remove the steps listed under feature_in_use.""",
)
def test_no_version_with_known_advisory(nocode_app: App, nocode_findings: FindingCollector,
                                        nocode_advisories: AdvisoryData) -> None:
    platform = PLATFORM_PACKAGES.get(nocode_app.platform)
    packages = installed_packages(nocode_app)
    versions = {p.name: p.version for p in packages}
    if platform is None:
        not_applicable(f"no known platform package for {nocode_app.platform}")
    if platform not in versions:
        title = PLATFORM_TITLES.get(nocode_app.platform, nocode_app.platform)
        not_applicable(f"{nocode_app.id} does not say which {title} version it runs: exports "
                       "carry none, and this instance's version is not in what was read")
    if checked_version(versions[platform]) is None:
        not_applicable(f"{nocode_app.id} reports {platform} version {versions[platform]!r}, "
                       "which is not a version the advisories' ranges can be matched against")
    for pkg in packages:
        if checked_version(pkg.version) is None:
            continue
        for adv in nocode_advisories.for_package(pkg.name):
            if not adv.affects(pkg.version):
                continue
            steps = adv.feature.steps_in(nocode_app) if adv.feature else []
            severity = adv.feature.severity if adv.feature and steps else adv.severity
            label = adv.id + "".join(f" ({x})" for x in (*adv.aliases, adv.name) if x)
            fixed = f"; fixed in {', '.join(adv.fixed)}" if adv.fixed else ""
            used = f"; {adv.feature.description} is in use" if adv.feature and steps else ""
            nocode_findings.add(
                pkg.resource, f"{pkg.name} {pkg.version} is affected by {label}{fixed}{used}",
                {"advisory": adv.id, "aliases": list(adv.aliases), "package": pkg.name,
                 "installed": pkg.version, "version_source": pkg.source,
                 "affected": list(adv.affected), "fixed": list(adv.fixed),
                 "summary": adv.summary, "url": adv.url,
                 "feature": adv.feature.description if adv.feature else None,
                 "feature_in_use": [{"step": s.id, "name": s.name, "type": s.type,
                                     "path": s.path} for s in steps],
                 "advisory_source": adv.source or nocode_advisories.source},
                severity=severity)
