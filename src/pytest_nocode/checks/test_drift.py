"""Drift: what changed since the approved baseline (``--nocode-baseline``), what a saved but
unpublished draft changes against what runs, and key risk indicators (the policy's ``kri``
thresholds) that fail the run when breached.

Drift compares configuration values of the normalized model, not findings: a new outbound
host is drift even when it is on the allowlist, because it is not what was approved. Approve
a change by signing it off (``pytest-nocode approve``), or waive the finding.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.baseline import (
    NEEDS_BASELINE,
    BaselineApp,
    Change,
    diff_models,
    measure,
    read_baseline,
)
from pytest_nocode.errors import InputError
from pytest_nocode.findings import not_applicable
from pytest_nocode.policy import KRI_NAMES, Policy
from pytest_nocode.run import get_run

_BASELINES = pytest.StashKey[dict[str, BaselineApp]]()
_DRIFT = pytest.StashKey[dict[str, list[Change]]]()
_REMEDIATION = ("Review the change with the app's owner. If it is approved, sign it off "
                "(pytest-nocode approve --baseline PATH --by WHO --why TEXT [--ticket ID]) "
                "and commit the new baseline; otherwise revert the change in the app.")
SIGN_OFF = "needs sign-off"


def _baselines(config: pytest.Config) -> dict[str, BaselineApp]:
    """The baseline file's apps, read once per process; not applicable when there is none."""

    state = get_run(config).audit
    lacking = state.baseline_lacks()  # as the plugin decides from the checks' needs
    if lacking:
        not_applicable(lacking)
    assert state.baseline_path is not None
    if _BASELINES not in config.stash:
        try:
            config.stash[_BASELINES] = read_baseline(state.baseline_path)
        except InputError as exc:
            pytest.fail(str(exc), pytrace=False)
    return config.stash[_BASELINES]


@pytest.fixture
def nocode_baseline(nocode_app: App, request: pytest.FixtureRequest) -> BaselineApp:
    """The approved snapshot of the app under review."""
    baseline = _baselines(request.config).get(nocode_app.id)
    if baseline is None:
        not_applicable(f"the baseline has no snapshot of {nocode_app.id}")
    assert baseline is not None
    return baseline


@pytest.fixture
def nocode_drift(nocode_app: App, nocode_baseline: BaselineApp,
                 request: pytest.FixtureRequest) -> list[Change]:
    """Every configuration change of the app since its baseline (secrets masked both sides);
    computed once per app and process, since ten checks and the KRIs ask for it."""

    cache = request.config.stash.setdefault(_DRIFT, {})
    if nocode_app.id not in cache:
        current = get_run(request.config).redactor.data(nocode_app.to_dict())
        # both sides are JSON data: the baseline was read from JSON, and the redactor's copy
        # of to_dict() has lists for tuples and string keys
        cache[nocode_app.id] = diff_models(nocode_baseline.model, current, already_plain=True)
    return cache[nocode_app.id]


def _report(findings: FindingCollector, changes: list[Change], baseline: BaselineApp,
            area: str, policy: Policy | None = None) -> None:
    """One finding per change, naming the approval it deviates from; new access (see
    ``opens_new_access``) is marked to fail until signed off."""
    from pytest_nocode.baseline import opens_new_access

    note = baseline.approval_note()
    for change in changes:
        if change.area != area:
            continue
        severity = "low" if change.change in ("removed", "deactivated") else None
        evidence = change.evidence(baseline)
        message = change.describe()
        if policy is not None and opens_new_access(change, policy.host_internal):
            evidence["needs_sign_off"] = True
            message += f" ({SIGN_OFF})"
        if note:
            message += f" [{note}]"
        findings.add(_resource(change), message, evidence, severity=severity)


def _resource(change: Change) -> Any:
    from pytest_nocode.model import Resource

    r = change.resource
    return Resource(r.get("kind", "") or change.area, r.get("id", "") or change.key,
                    r.get("name", ""), r.get("path", ""))


_COMMON: dict[str, Any] = {"remediation": _REMEDIATION, "needs": ("baseline",)}


@check("DRIFT001", title="Principals changed since the baseline", category="permissions",
       severity="high", requires=("principals",), **_COMMON,
       rationale="New accounts, removed accounts and role changes alter who can do what.")
def test_principals_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                          nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "principals")


@check("DRIFT002", title="Grants changed since the baseline", category="permissions",
       severity="high", requires=("principals",), **_COMMON,
       rationale="A grant is access to a resource; new or wider grants need approval.")
def test_grants_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                      nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "grants")


@check("DRIFT003", title="Shares changed since the baseline", category="permissions",
       severity="high", requires=("shares",), **_COMMON,
       rationale="Shares open data to audiences rather than people; each one needs approval.")
def test_shares_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                      nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "shares")


@check("DRIFT004", title="Connectors changed since the baseline", category="connectors",
       severity="medium", requires=("workflows",), **_COMMON,
       rationale="A new connector type or package version is new code running with the app's "
                 "credentials.")
def test_connectors_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                          nocode_policy: Policy, nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "connectors", nocode_policy)


@check("DRIFT005", title="Outbound destinations changed since the baseline",
       category="connectors", severity="high", requires=("workflows",), **_COMMON,
       owasp=["LCNC-SEC-07", "LCNC-SEC-03"],
       rationale="A new host or protocol is a new place the app's data goes.")
def test_destinations_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                            nocode_policy: Policy, nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "destinations", nocode_policy)


@check("DRIFT006", title="Entry points changed since the baseline", category="authentication",
       severity="high", requires=("workflows",), **_COMMON,
       rationale="New routes, and routes whose authentication changed, change who can call "
                 "the app from outside.")
def test_entry_points_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                            nocode_policy: Policy, nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "entry_points", nocode_policy)


@check("DRIFT007", title="Credentials changed since the baseline", category="authentication",
       severity="medium", owasp=["LCNC-SEC-01"], **_COMMON,
       rationale="A new stored credential is a new identity the app acts as.")
def test_credentials_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                           nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "credentials")


@check("DRIFT008", title="Settings changed since the baseline", category="configuration",
       severity="medium", requires=("settings",), **_COMMON,
       rationale="Instance settings (authentication, CORS, timeouts, encryption) decide how "
                 "safe everything else is.")
def test_settings_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                        nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "settings")


@check("DRIFT009", title="Workflows added, removed or (de)activated since the baseline",
       category="inventory", severity="low", requires=("workflows",), **_COMMON,
       rationale="The inventory of what runs is what the review approved.")
def test_workflows_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                         nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "workflows")


@check("DRIFT010", title="Node configuration changed since the baseline",
       category="configuration", severity="low", requires=("workflows",), **_COMMON,
       rationale="Node settings (URLs, code, commands, wiring) are the app's behaviour.")
def test_nodes_drift(nocode_drift: list[Change], nocode_baseline: BaselineApp,
                     nocode_findings: FindingCollector) -> None:
    _report(nocode_findings, nocode_drift, nocode_baseline, "steps")


@check("DRIFT011", title="Saved draft differs from the published version that runs",
       category="configuration", severity="medium", requires=("workflows",),
       owasp=["LCNC-SEC-05"],
       rationale="""The checks judge what runs: an active workflow's published version. A
    draft saved beside it is an unpublished change, a fix that is not live yet (authentication
    added but not published) or a risk waiting for the next publish.""",
       remediation="""Publish the draft if it is the approved fix, or discard it; review what
    it changes either way (the evidence lists the steps).""")
def test_drafts_match_what_runs(nocode_app: App, nocode_findings: FindingCollector) -> None:
    versioned = [w for w in nocode_app.workflows if w.version]
    if not versioned:
        not_applicable(f"{nocode_app.platform} keeps no drafts beside what runs, or this "
                       "data does not show them")
    compared = [w for w in versioned if w.version == "published"]
    if not compared:
        not_applicable("no published version is in the data (an export of drafts only)")
    for workflow in compared:
        if not workflow.draft_changes:
            continue
        evidence: dict[str, Any] = {"checked": "the published version"}
        for change in workflow.draft_changes:
            if change.change in ("added", "removed"):
                evidence.setdefault(f"steps {change.change}", []).append(
                    f"{change.step} ({change.detail})")
            else:
                key = "steps changed" if change.change == "changed" else "authentication"
                evidence.setdefault(key, {})[change.step] = change.detail
        auth = evidence.get("authentication", {})
        said = [f"{len(v)} step(s) {k.removeprefix('steps ')}" for k, v in evidence.items()
                if k.startswith("steps ")]
        said += [f"authentication of {name!r} {detail}" for name, detail in auth.items()]
        nocode_findings.add(workflow, "the saved draft is not what runs: "
                            + "; ".join(said) + " (unpublished)", evidence,
                            severity="high" if auth else None)


# -- key risk indicators ---------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One KRI001 test per indicator the policy sets a threshold for (ids from the policy
    file only, so xdist workers agree)."""
    if "kri_indicator" in metafunc.fixturenames:

        kri = get_run(metafunc.config).policy.data.get("kri") or {}
        names = [n for n in KRI_NAMES if n in kri] or ["none"]
        metafunc.parametrize("kri_indicator", names)


@check("KRI001", title="Key risk indicator within its threshold", category="configuration",
       severity="high", owasp=["LCNC-SEC-05", "LCNC-SEC-09"],
       rationale="Key risk indicators turn drift and exposure into numbers the policy bounds; "
                 "a breach stops the pipeline until someone looks.",
       remediation="Review the items counted in the evidence; revert them, or raise the "
                   "threshold in the policy's kri section with the risk owner's approval.",
       needs=("kri",))
def test_key_risk_indicator(nocode_app: App, nocode_policy: Policy, kri_indicator: str,
                            request: pytest.FixtureRequest,
                            nocode_findings: FindingCollector) -> None:
    lacking = nocode_policy.lacks("kri")  # as the plugin decides from needs ("none" then)
    if lacking:
        not_applicable(lacking)
    threshold = int(nocode_policy.data["kri"][kri_indicator])
    changes: list[Change] = []
    baseline_sha = None
    if kri_indicator in NEEDS_BASELINE:
        baseline = request.getfixturevalue("nocode_baseline")
        changes = request.getfixturevalue("nocode_drift")
        baseline_sha = baseline.sha256
    secrets = 0
    if kri_indicator == "secrets_count":
        from pytest_nocode.secretscan import find_secrets

        secrets = len(find_secrets(nocode_app))
    value, items = measure(kri_indicator, changes, nocode_policy.host_internal, secrets)
    if value > threshold:
        from pytest_nocode.model import Resource

        evidence: dict[str, Any] = {"indicator": kri_indicator, "value": value,
                                    "threshold": threshold, "counted": items[:50]}
        if baseline_sha:
            evidence["baseline_sha256"] = baseline_sha
        nocode_findings.add(Resource("indicator", kri_indicator, kri_indicator,
                                     f"kri/{kri_indicator}"),
                            f"{kri_indicator} is {value}, above the threshold {threshold}",
                            evidence)
