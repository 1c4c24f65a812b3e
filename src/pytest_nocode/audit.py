"""The audit trail's pytest glue: waivers file, fail-on threshold, risk scores, baseline,
stale waivers, evidence log and Allure run files.

plugin.py calls into here at a handful of points so that the audit features live in one place
and the plugin stays a thin wiring layer. Per-check work (risk, threshold, Allure labels) runs
in whichever process runs the check; whole-run work runs on the controller after every
result is in, so it is right under ``pytest -n N`` too.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_nocode import __version__
from pytest_nocode.errors import InputError
from pytest_nocode.findings import Finding, Rule, Severity
from pytest_nocode.risk import AppExposure, RiskSettings
from pytest_nocode.run import NocodeRun, invocation_path, option_value

if TYPE_CHECKING:
    import pytest

SEVERITIES = ("critical", "high", "medium", "low", "info")


# -- options ---------------------------------------------------------------------------------
def add_options(group: Any, parser: pytest.Parser) -> None:
    group.addoption("--nocode-waivers", metavar="PATH",
                    help="waivers YAML (same items as the policy's waivers section)")
    group.addoption("--nocode-baseline", metavar="PATH",
                    help="approved snapshot: written when missing, else drift is reported")
    group.addoption("--nocode-fail-on", metavar="SEVERITY", choices=SEVERITIES,
                    help="lowest severity that fails a check (default info: every finding)")
    group.addoption("--nocode-evidence-log", metavar="PATH",
                    help="append one hash-chained JSON line per run")
    parser.addini("nocode_waivers", "waivers YAML", default="")
    parser.addini("nocode_baseline", "baseline snapshot path", default="")
    parser.addini("nocode_fail_on", "lowest severity that fails a check", default="info")
    parser.addini("nocode_evidence_log", "evidence log path (JSON lines)", default="")


def configure(config: pytest.Config, run: NocodeRun) -> None:
    """Read the audit options (every process); merge the waivers file into the policy."""
    from pytest_nocode.waivers import load_waivers_file, with_waivers

    state = run.audit
    word = option_value(config, "fail_on") or "info"
    try:
        state.fail_on = Severity.parse(word)
    except ValueError as exc:
        raise InputError(f"nocode_fail_on: {exc}") from None
    waivers = option_value(config, "waivers")
    if waivers:
        path = invocation_path(config, waivers)
        extra, state.waivers_sha256 = load_waivers_file(path)
        state.waivers_file = str(path)
        run.policy = with_waivers(run.policy, extra)
    baseline = option_value(config, "baseline")
    if baseline:
        state.baseline_path = invocation_path(config, baseline)
        state.baseline_existed = state.baseline_path.exists()
    log = option_value(config, "evidence_log")
    if log:
        state.evidence_log = invocation_path(config, log)
    state.risk_settings = RiskSettings.from_policy(run.policy.data)
    from pytest_nocode.reporting import allure as allure_reporting

    allure_reporting.install(config, run)


# -- per check -------------------------------------------------------------------------------
def _exposure(run: NocodeRun, app_id: str) -> AppExposure | None:
    state = run.audit
    if app_id not in state.exposures:
        loaded = run.loaded.get(app_id)
        if loaded is None or loaded.app is None:
            return None
        state.exposures[app_id] = AppExposure(loaded.app, run.policy.host_internal)
    return state.exposures[app_id]


def assess(run: NocodeRun, app_id: str, findings: list[Finding]) -> list[Finding]:
    """Apply the fail-on threshold and score each finding's risk."""
    state = run.audit
    settings = state.risk_settings or RiskSettings.from_policy(run.policy.data)
    exposure = _exposure(run, app_id)
    from pytest_nocode.risk import assess as risk_of

    out = []
    for finding in findings:
        score, factors = risk_of(settings, exposure, finding.to_json())
        out.append(replace(finding, below_threshold=finding.severity < state.fail_on,
                           risk=score, risk_factors=run.redactor.data(factors)))
    return out


def annotate(item: pytest.Item, run: NocodeRun, rule: Rule, findings: list[Finding]) -> None:
    """Allure labels, links and evidence for one check (only when ``--alluredir`` is on)."""
    from pytest_nocode.reporting import allure as allure_reporting

    if not allure_reporting.is_active(item.config):
        return
    app_id = findings[0].app_id if findings else _app_id_of(item)
    loaded = run.loaded.get(app_id)
    allure_reporting.annotate(run, loaded.app if loaded else None, app_id, rule,
                              [f.to_json() for f in findings])


def _app_id_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("nocode_app", "")) if callspec else ""


# -- whole run, on the controller ------------------------------------------------------------
def before_reports(config: pytest.Config, run: NocodeRun) -> None:
    """Stale waivers, app risk, and the baseline when there was none (after all results)."""
    from pytest_nocode.risk import aggregate, top_risks
    from pytest_nocode.waivers import stale_waivers, waiver_json

    state = run.audit
    state.stale_waivers = [
        {**waiver_json(w), "reason": reason}
        for w, reason in stale_waivers(run.policy.waivers, run.findings, run.rules,
                                       [s.id for s in run.specs])]
    for spec in run.specs:
        state.app_risk[spec.id] = aggregate(f for f in run.findings if f["app"] == spec.id)
    state.top_risks = top_risks(run.findings, 5)
    if state.baseline_path is not None and not state.baseline_existed:
        _write_baseline(run, state.baseline_path)


def _write_baseline(run: NocodeRun, path: Path) -> None:
    from pytest_nocode.baseline import build_baseline, write_baseline

    state = run.audit
    models = {}
    for spec in run.specs:
        loaded = run.loaded.get(spec.id)
        if loaded is None or loaded.app is None:
            state.baseline_skipped.append(spec.id)
            continue
        models[spec.id] = (run.redactor.data(loaded.app.to_dict()), loaded.sha256)
    if models:
        try:
            write_baseline(path, build_baseline(models))
        except (OSError, InputError) as exc:
            state.baseline_error = str(exc)
            return
        state.baseline_written = sorted(models)


def counts(findings: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    by_status = Counter(f["status"] for f in findings)
    by_severity = Counter(f["severity"] for f in findings)
    return {"status": {s: by_status[s] for s in ("fail", "warn", "waived") if by_status[s]},
            "severity": {s: by_severity[s] for s in SEVERITIES if by_severity[s]}}


def after_reports(session: pytest.Session, run: NocodeRun, exitstatus: int) -> None:
    """The evidence log record and Allure's run files, last, when everything is known."""
    from pytest_nocode.reporting import allure as allure_reporting
    from pytest_nocode.reporting.allure import who_ran
    from pytest_nocode.reporting.evidence_log import append_record, findings_digest

    state = run.audit
    finished = datetime.now(UTC)
    if state.evidence_log is not None:
        fields = {
            "tool": {"name": "pytest-nocode", "version": __version__},
            "started": run.started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "apps": [{"id": s.id, "platform": s.platform,
                      "source": (run.loaded[s.id].source if s.id in run.loaded else s.source),
                      "snapshot_sha256": (run.loaded[s.id].sha256 if s.id in run.loaded
                                          else "")} for s in run.specs],
            "policy_sha256": run.policy.sha256,
            "waivers_sha256": state.waivers_sha256 or None,
            "counts": {**counts(run.findings),
                       "checks": {"collected": session.testscollected,
                                  "failed": session.testsfailed}},
            "exit_status": int(exitstatus),
            "findings_digest": findings_digest(run.findings),
            "run_by": who_ran(),
        }
        try:
            state.evidence_record = append_record(state.evidence_log, run.redactor.data(fields))
        except (OSError, ValueError) as exc:
            state.evidence_error = str(exc)
    state.environment = {"fail_on": state.fail_on.label}
    if state.waivers_file:
        state.environment["waivers.sha256"] = state.waivers_sha256
    allure_reporting.write_run_files(session.config, run)
