"""The audit trail's pytest glue: waivers file, fail-on threshold, risk scores, baseline,
stale waivers, evidence log and Allure run files.

plugin.py calls into here at a handful of points so that the audit features live in one place
and the plugin stays a thin wiring layer. Per-check work (risk, threshold, Allure labels) runs
in whichever process runs the check; whole-run work runs on the controller after every
result is in, so it is right under ``pytest -n N`` too.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_nocode import __version__
from pytest_nocode.errors import InputError
from pytest_nocode.findings import Finding, Rule, Severity
from pytest_nocode.reporting.evidence_log import SEVERITIES
from pytest_nocode.risk import AppExposure, RiskSettings
from pytest_nocode.run import NocodeRun, invocation_path, option_value

if TYPE_CHECKING:
    import pytest


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
    group.addoption("--nocode-summary", metavar="PATH.md",
                    help="write the review summary (markdown, with SVG trend charts beside "
                         "it); also appended to $GITHUB_STEP_SUMMARY when that is set")
    parser.addini("nocode_summary", "review summary path (markdown)", default="")
    group.addoption("--nocode-approve-by", metavar="WHO",
                    help="sign-off (what 'pytest-nocode approve' runs): make the current "
                         "snapshot the approved baseline, recorded in the evidence log; runs "
                         "no checks")
    group.addoption("--nocode-approve-why", metavar="TEXT", help="the sign-off's reason")
    group.addoption("--nocode-approve-ticket", metavar="ID", help="the sign-off's ticket")


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
    from pytest_nocode.reporting.evidence_log import evidence_key

    state.evidence_key = evidence_key()
    if state.evidence_key is not None:  # masked wherever it might turn up
        run.redactor.add(state.evidence_key.decode("utf-8"))
    state.risk_settings = RiskSettings.from_policy(run.policy.data)
    _configure_approval(config, run)
    from pytest_nocode.reporting import allure as allure_reporting

    allure_reporting.install(config, run)


# -- sign-off --------------------------------------------------------------------------------
MIN_WHY = 10  # characters, as for a waiver's justification


def _configure_approval(config: pytest.Config, run: NocodeRun) -> None:
    """Approve mode: check what a sign-off needs, and collect no checks."""
    by = (config.getoption("nocode_approve_by") or "").strip()
    why = (config.getoption("nocode_approve_why") or "").strip()
    ticket = (config.getoption("nocode_approve_ticket") or "").strip()
    if not by:
        if why or ticket:
            raise InputError("--nocode-approve-why/--nocode-approve-ticket need "
                             "--nocode-approve-by WHO")
        return
    state = run.audit
    problems = []
    if len(why) < MIN_WHY:
        problems.append(f"--why must say why ({MIN_WHY}+ characters)")
    if state.baseline_path is None:
        problems.append("--baseline PATH is needed")
    if state.evidence_log is None:
        problems.append("an evidence log is needed to record it (--nocode-evidence-log=PATH "
                        "or ini nocode_evidence_log)")
    if not run.specs:
        problems.append("no app to approve: pass --nocode-app=URI or set nocode_apps")
    if problems:
        raise InputError("approve: " + "; ".join(problems))
    state.approval = {"by": by, "why": why, "ticket": ticket}
    config.pluginmanager.register(_ApprovalMode(), "nocode-approval")


class _ApprovalMode:
    """A sign-off loads the apps and runs no check: nothing is collected."""

    def pytest_collection(self, session: pytest.Session) -> bool:
        session.items = []
        session.testscollected = 0
        return True


def _approve(session: pytest.Session, run: NocodeRun) -> None:
    """Record the sign-off in the evidence log, then make the current snapshots the approved
    baseline; neither happens when an app did not load (fail closed)."""
    import pytest

    from pytest_nocode.baseline import build_baseline, serialize, write_baseline
    from pytest_nocode.reporting.allure import who_ran
    from pytest_nocode.reporting.evidence_log import append_record

    state = run.audit
    assert state.baseline_path is not None and state.evidence_log is not None
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    missing = [s.id for s in run.specs if (run.loaded.get(s.id) is None
                                           or run.loaded[s.id].app is None)]
    if missing:
        state.approval_error = (f"{', '.join(missing)} could not be loaded; nothing was "
                                "approved")
        return
    models = {}
    for spec in run.specs:
        loaded = run.loaded[spec.id]
        assert loaded.app is not None
        models[spec.id] = (run.redactor.data(loaded.app.to_dict()), loaded.sha256)
    approval = {**{k: v for k, v in state.approval.items() if v},
                "at": datetime.now(UTC).isoformat(timespec="seconds")}
    document = run.redactor.data(build_baseline(models, approval))
    text = serialize(document)
    previous = _file_sha256(state.baseline_path)
    fields = {"kind": "approval", "approval": approval,
              "baseline": {"path": str(state.baseline_path),
                           "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                           "previous_sha256": previous},
              "apps": [{"id": app_id, "snapshot_sha256": sha}
                       for app_id, (_, sha) in sorted(models.items())],
              "policy_sha256": run.policy.sha256, "run_by": who_ran(),
              "tool": {"name": "pytest-nocode", "version": __version__}}
    try:
        state.approval_record = append_record(state.evidence_log, run.redactor.data(fields),
                                              state.evidence_key)
        write_baseline(state.baseline_path, document, replace=True)
    except (OSError, ValueError, InputError) as exc:
        state.approval_error = run.redactor.text(str(exc))
        return
    session.exitstatus = pytest.ExitCode.OK


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


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
        # new access since the approved baseline fails until signed off, whatever fail-on says
        below = finding.severity < state.fail_on and not finding.evidence.get("needs_sign_off")
        out.append(replace(finding, below_threshold=below, risk=score,
                           risk_factors=run.redactor.data(factors)))
    return out


def annotate(item: pytest.Item, run: NocodeRun, rule: Rule, findings: list[dict[str, Any]],
             stopped: str | None = None) -> None:
    """Allure labels, links and evidence for one check (only when ``--alluredir`` is on),
    from its findings as the reports carry them (JSON); ``stopped`` says how a body that did
    not return ended (skipped, error)."""
    from pytest_nocode.reporting import allure as allure_reporting

    if not allure_reporting.is_active(item.config):
        return
    app_id = findings[0]["app"] if findings else _app_id_of(item)
    loaded = run.loaded.get(app_id)
    allure_reporting.annotate(run, loaded.app if loaded else None, app_id, rule, findings,
                              stopped)


def _app_id_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("nocode_app", "")) if callspec else ""


# -- whole run, on the controller ------------------------------------------------------------
def before_reports(session: pytest.Session, run: NocodeRun, exitstatus: int) -> None:
    """Stale waivers, app and owner risk, key risk indicators, the baseline when there was
    none, and the evidence log record (after all results, before the reports that cite its
    hash)."""
    from pytest_nocode.risk import aggregate, top_risks
    from pytest_nocode.waivers import stale_waivers, waiver_json

    state = run.audit
    if state.approval:
        _approve(session, run)
        return
    state.stale_waivers = [
        {**waiver_json(w), "reason": reason}
        for w, reason in stale_waivers(run.policy.waivers, run.findings, run.rules,
                                       [s.id for s in run.specs])]
    for spec in run.specs:
        state.app_risk[spec.id] = aggregate(f for f in run.findings if f["app"] == spec.id)
    state.top_risks = top_risks(run.findings, 5)
    state.owner_risk = owner_risk(run)
    state.kri_values = kri_values(run)
    if state.baseline_path is not None and not state.baseline_existed:
        _write_baseline(run, state.baseline_path)
    if state.evidence_log is not None:
        _log_run(session, run, exitstatus)


def owner_risk(run: NocodeRun) -> dict[str, dict[str, int]]:
    """Open risk (max, sum) per owner of the offending resources ("unowned" when the policy
    names none)."""
    from pytest_nocode.reporting.allure import owners_for
    from pytest_nocode.risk import aggregate

    by_owner: dict[str, list[dict[str, Any]]] = {}
    for finding in run.findings:
        # the model only when the policy names owners (an xdist controller may not hold it)
        loaded = run.loaded.get(finding["app"]) if run.policy.owners else None
        owners = owners_for(run.policy, loaded.app if loaded else None, finding["app"],
                            [finding]) or ["unowned"]
        for owner in owners:
            by_owner.setdefault(owner, []).append(finding)
    return {owner: aggregate(found) for owner, found in sorted(by_owner.items())}


def kri_values(run: NocodeRun) -> dict[str, dict[str, int]]:
    """Each app's value of every key risk indicator the policy bounds, whether or not it is
    breached, so their trend can be shown; indicators that need a baseline only with one."""
    from pytest_nocode.baseline import NEEDS_BASELINE, diff_models, measure, read_baseline

    bounded = [name for name in (run.policy.data.get("kri") or {})]
    state = run.audit
    baselines = {}
    if bounded and state.baseline_path is not None and state.baseline_existed:
        try:
            baselines = read_baseline(state.baseline_path)
        except InputError:
            baselines = {}  # the drift checks error on it; no KRI values from it
    out: dict[str, dict[str, int]] = {}
    for spec in run.specs:
        loaded = run.loaded.get(spec.id)
        if not bounded or loaded is None or loaded.app is None:
            continue
        changes = []
        base = baselines.get(spec.id)
        if base is not None:
            changes = diff_models(base.model, run.redactor.data(loaded.app.to_dict()),
                                  already_plain=True)
        values = {}
        for name in bounded:
            if name in NEEDS_BASELINE and base is None:
                continue
            values[name] = measure(name, changes, run.policy.host_internal,
                                   len(loaded.secret_values))[0]
        out[spec.id] = values
    return out


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


def _log_run(session: pytest.Session, run: NocodeRun, exitstatus: int) -> None:
    """Append this run's record to the evidence log (keyed when NOCODE_EVIDENCE_KEY is set)."""
    from pytest_nocode.reporting.allure import who_ran
    from pytest_nocode.reporting.evidence_log import append_record, counts, findings_digest

    state = run.audit
    assert state.evidence_log is not None
    finished = datetime.now(UTC)
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
        "risk": state.app_risk,
        "owner_risk": state.owner_risk,
        "kri": state.kri_values,
    }
    try:
        state.evidence_record = append_record(state.evidence_log, run.redactor.data(fields),
                                              state.evidence_key)
    except (OSError, ValueError) as exc:
        state.evidence_error = run.redactor.text(str(exc))


def after_reports(session: pytest.Session, run: NocodeRun, exitstatus: int) -> None:
    """Allure's run files, last, when everything is known."""
    from pytest_nocode.reporting import allure as allure_reporting

    state = run.audit
    state.environment = {"fail_on": state.fail_on.label}
    from pytest_nocode.reporting.findings_json import evidence_head

    head = evidence_head(run)
    if head:
        state.environment.update({"evidence_log.head": head["head"],
                                  "evidence_log.seq": str(head["seq"]),
                                  "evidence_log.keyed": str(head["keyed"]).lower()})
    if state.waivers_file:
        state.environment["waivers.sha256"] = state.waivers_sha256
    allure_reporting.write_run_files(session.config, run)
    if not state.approval:
        from pytest_nocode.reporting.summary import write_summary

        try:
            state.summary_path = write_summary(session.config, run)
        except OSError as exc:
            state.summary_error = run.redactor.text(str(exc))
