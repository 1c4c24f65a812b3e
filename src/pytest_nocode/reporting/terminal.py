"""The summary printed after the run: findings by severity and category, then each finding.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pytest_nocode.loading import what_to_do
from pytest_nocode.reporting.findings_json import SEVERITY_ORDER, app_notes, finding_sort_key

if TYPE_CHECKING:
    from pytest_nocode.loading import LoadedApp
    from pytest_nocode.platforms import SkippedFile
    from pytest_nocode.run import NocodeRun

MAX_SKIPPED_SHOWN = 10  # skipped files listed per app; the findings JSON lists them all
COLOURS = {"critical": {"red": True, "bold": True}, "high": {"red": True},
           "medium": {"yellow": True}, "low": {"cyan": True}, "info": {}}


def write_summary(tr: Any, run: NocodeRun) -> None:
    tr.write_sep("=", "pytest-nocode findings")
    for loaded in run.loaded.values():
        if loaded.error:
            write_load_error(tr, run, loaded)
    if run.audit.approval:  # a sign-off ran no check: no findings to speak of
        write_audit_summary(tr, run)
        return
    findings = sorted(run.findings, key=finding_sort_key)
    failing = [f for f in findings if f["status"] == "fail"]
    waived = [f for f in findings if f["status"] == "waived"]
    warned = [f for f in findings if f["status"] == "warn"]  # below --nocode-fail-on
    for spec in run.specs:
        loaded = run.loaded.get(spec.id)
        digest = loaded.sha256[:12] if loaded and loaded.sha256 else "-"
        tr.write_line(f"app {spec.id} ({spec.platform}, {loaded.source if loaded else '?'}, "
                      f"snapshot {digest})")
        for part, note in app_notes(loaded).items():
            tr.write_line(run.redactor.text(f"  {part}: {note}"), yellow=True)
        if loaded is not None and loaded.raw is not None and loaded.raw.skipped_files:
            write_skipped_files(tr, run, loaded.raw.skipped_files)
    if not findings:
        unchecked = sum(1 for loaded in run.loaded.values() if loaded.error)
        # "no findings" of an app that was never checked would read as a clean bill
        tr.write_line("no findings" if not unchecked else
                      f"no findings in the apps that loaded; {unchecked} app(s) not checked",
                      red=bool(unchecked))
    else:
        by_severity = Counter(f["severity"] for f in failing)
        by_category = Counter(f["category"] for f in failing)
        sev = ", ".join(f"{by_severity[s]} {s}" for s in SEVERITY_ORDER if by_severity[s])
        cat = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items(),
                                                       key=lambda kv: (-kv[1], kv[0])))
        tr.write_line(f"{len(failing)} finding(s): {sev or 'none'}"
                      + (f"; {len(waived)} waived" if waived else "")
                      + (f"; {len(warned)} below the fail-on threshold" if warned else ""))
        if cat:
            tr.write_line(f"by category: {cat}")
        for f in findings:
            res = f["resource"]
            name = f" {res['name']!r}" if res["name"] and res["name"] != res["id"] else ""
            status = finding_note(f)  # risk, and a waiver beside the original verdict
            tr.write_line(run.redactor.text(
                f"{f['severity'].upper():8} {f['app']} {f['rule']} {res['kind']} {res['id']}"
                f"{name}: {f['message']}{status}"), **COLOURS.get(f["severity"], {}))
    if run.not_applicable:
        tr.write_line(f"{len(run.not_applicable)} check(s) not applicable "
                      "(data not available for that platform or source)")
    write_audit_summary(tr, run)


def write_load_error(tr: Any, run: NocodeRun, loaded: LoadedApp) -> None:
    """An app that could not be loaded, explained once: its checks only point here."""
    error = run.redactor.text(loaded.error or "unknown error")
    tr.write_line(f"could not load {loaded.spec.id}: {error}", red=True, bold=True)
    tr.write_line(f"  every check of {loaded.spec.id} errored, nothing was checked; what to do: "
                  f"{what_to_do(loaded.spec, error)}", red=True)


def write_skipped_files(tr: Any, run: NocodeRun, skipped: Sequence[SkippedFile]) -> None:
    """The files of an export folder that were not read, so nobody assumes they were."""
    tr.write_line(f"  skipped {len(skipped)} file(s) that are not exports:", yellow=True)
    for f in skipped[:MAX_SKIPPED_SHOWN]:
        tr.write_line(run.redactor.text(f"    {f.path}: {f.reason}"))
    if len(skipped) > MAX_SKIPPED_SHOWN:
        tr.write_line(f"    … and {len(skipped) - MAX_SKIPPED_SHOWN} more "
                      "(all listed in the findings JSON, apps[].skipped_files)")


# -- terminal --------------------------------------------------------------------------------
def finding_note(finding: dict[str, Any]) -> str:
    """The suffix a finding line gets in the terminal: its waiver beside its verdict."""
    w = finding.get("waiver")
    risk = f" [risk {finding['risk']}]" if finding.get("risk") is not None else ""
    if finding["status"] == "waived" and w:
        return (f"{risk} (waived, verdict {finding.get('verdict', 'fail')}: {w['owner']} until "
                f"{w['expires']}, {w['source']})")
    below = " (below --nocode-fail-on: reported, not failing)" \
        if finding["status"] == "warn" else ""
    if w and w.get("expired"):
        return f"{risk} (waiver expired {w['expires']}, {w['source']}){below}"
    return risk + below


def write_audit_summary(tr: Any, run: NocodeRun) -> None:
    """Top risks, stale waivers, baseline and evidence log lines of the summary."""
    state = run.audit
    if state.approval:
        write_approval(tr, run)
        return
    if state.top_risks:
        tr.write_line("top risks:")
        for r in state.top_risks:
            res = r["resource"]
            tr.write_line(run.redactor.text(
                f"  {r['risk']:3} {r['app']} {r['rule']} {res['kind']} {res['id']}: "
                f"{r['message']}"))
        tr.write_line("app risk: " + ", ".join(
            f"{app} max {v['max']} sum {v['sum']}" for app, v in state.app_risk.items()))
    for stale in state.stale_waivers:
        tr.write_line(f"stale waiver {stale['source']} (rule {stale['rule']}, owner "
                      f"{stale['owner']}): {stale['reason']}; remove it", yellow=True)
    if state.baseline_path is not None and not state.baseline_existed:
        if state.baseline_written:
            tr.write_line(f"baseline written to {state.baseline_path} for "
                          f"{', '.join(state.baseline_written)}: review and commit it; later "
                          "runs report drift from it", bold=True)
        if state.baseline_error:
            tr.write_line(f"baseline NOT written: {state.baseline_error}", red=True, bold=True)
        if state.baseline_skipped:
            tr.write_line(f"baseline: not written for {', '.join(state.baseline_skipped)} "
                          "(could not be loaded)", red=True)
    if state.evidence_record is not None:
        rec = state.evidence_record
        tr.write_line(f"evidence log {state.evidence_log}: record {rec['seq']} "
                      f"hash {rec['hash'][:16]}…")
    if state.evidence_error:
        tr.write_line(f"evidence log NOT written: {state.evidence_error}", red=True, bold=True)
    if state.summary_path is not None:
        tr.write_line(f"review summary written to {state.summary_path}")
    if state.summary_error:
        tr.write_line(f"review summary NOT written: {state.summary_error}", red=True, bold=True)


def write_approval(tr: Any, run: NocodeRun) -> None:
    """What a sign-off did, or why it did nothing."""
    state = run.audit
    if state.approval_record is None:
        tr.write_line(f"NOT approved: {state.approval_error}", red=True, bold=True)
        return
    rec = state.approval_record
    tr.write_line(f"approved: {state.baseline_path} is now the approved baseline of "
                  f"{', '.join(a['id'] for a in rec['apps'])}, signed off by "
                  f"{rec['approval']['by']}; evidence log {state.evidence_log} record "
                  f"{rec['seq']} hash {rec['hash'][:16]}…; commit the baseline",
                  green=True, bold=True)
