"""The findings report of the contract, section 4 (``pytest-nocode/findings/v1``).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pytest_nocode import __version__

if TYPE_CHECKING:
    from pytest_nocode.loading import LoadedApp
    from pytest_nocode.run import NocodeRun

SCHEMA = "pytest-nocode/findings/v1"
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def finding_sort_key(finding: dict[str, Any]) -> tuple[Any, ...]:
    return (SEVERITY_ORDER.get(finding["severity"], 9), finding["app"], finding["rule"],
            finding["resource"]["path"], finding["resource"]["id"])


def app_notes(loaded: LoadedApp | None) -> dict[str, str]:
    """What the run could not see of an app, by part: the fetch's notes (parts the server did
    not give) and the adapter's (what the data given lacks, e.g. n8n 2 published versions)."""
    return loaded.notes if loaded is not None else {}


def report_extras(run: NocodeRun) -> dict[str, Any]:
    """What the audit adds to the findings JSON (top level)."""
    state = run.audit
    extras: dict[str, Any] = {
        "fail_on": state.fail_on.label,
        "top_risks": state.top_risks,
        "stale_waivers": state.stale_waivers,
    }
    if state.waivers_file:
        extras["waivers_file"] = {"path": state.waivers_file, "sha256": state.waivers_sha256}
    if state.baseline_path is not None:
        extras["baseline"] = {"path": str(state.baseline_path),
                              "written": not state.baseline_existed,
                              "apps_written": state.baseline_written}
    head = evidence_head(run)
    if head:
        extras["evidence_log"] = head
    return extras


def evidence_head(run: NocodeRun) -> dict[str, Any]:
    """This run's evidence log record as the reports pin it: path, seq, hash, keyed."""
    state = run.audit
    rec = state.evidence_record
    if rec is None or state.evidence_log is None:
        return {}
    return {"path": str(state.evidence_log), "seq": rec["seq"], "head": rec["hash"],
            "keyed": rec.get("hash_alg") == "hmac-sha256"}


def build_report(run: NocodeRun) -> dict[str, Any]:
    apps = []
    for spec in run.specs:
        loaded = run.loaded.get(spec.id)
        entry: dict[str, Any] = {
            "id": spec.id, "uri": spec.uri, "platform": spec.platform,
            "source": loaded.source if loaded else spec.source,
            "snapshot_sha256": loaded.sha256 if loaded else "",
        }
        if loaded is not None and loaded.name is not None:
            entry["name"] = loaded.name
        if loaded is not None and loaded.error:
            entry["error"] = loaded.error
        notes = app_notes(loaded)
        if notes:
            entry["notes"] = notes
        if loaded is not None and loaded.raw is not None and loaded.raw.skipped_files:
            entry["skipped_files"] = [f.to_json() for f in loaded.raw.skipped_files]
        entry["risk"] = run.audit.app_risk.get(spec.id, {"max": 0, "sum": 0, "open_findings": 0})
        apps.append(entry)
    findings = sorted(run.findings, key=finding_sort_key)
    run_info = {
        "started": run.started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "policy_sha256": run.policy.sha256,
        "policy": run.policy.source,
    }
    if run.shard:
        run_info["shard"] = run.shard
    return {
        "schema": SCHEMA,
        "tool": {"name": "pytest-nocode", "version": __version__},
        "run": run_info,
        "apps": apps,
        "findings": findings,
        "not_applicable": [{"check": nodeid, "reason": reason}
                           for nodeid, reason in sorted(run.not_applicable)],
        **report_extras(run),  # fail_on, top_risks, stale_waivers, waivers file, baseline
    }
