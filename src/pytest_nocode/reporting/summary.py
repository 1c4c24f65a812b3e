"""The review summary (``--nocode-summary=PATH.md``): what a reviewer, an auditor or a manager
reads instead of the findings list.

Per app and per owner the open risk and its trend over past runs, the top risks in business
words (what could happen, to which data, through which entry point), key risk indicators
against their thresholds with their trend, waivers expiring soon, stale waivers, drift since
the approved baseline, and links to the reports. Trends come from the evidence log's records
(``risk``, ``owner_risk``, ``kri`` of each run); without a log there is only this run.

The file gets small SVG charts beside it (``<name>-charts/``); the copy appended to
``$GITHUB_STEP_SUMMARY`` has text sparklines instead, since a job summary cannot show files.
Everything passes through the run's redactor before it is written.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from pytest_nocode.run import NocodeRun

HISTORY_RUNS = 12  # runs shown in a trend
TOP_RISKS = 5
EXPIRING_DAYS = 30
STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"

# What a finding of each category could lead to, in words for people who do not read flows.
IMPACT: Mapping[str, str] = {
    "secrets": "anyone who sees the configuration (an export, a backup, a screen share) can "
               "use the credential and act as the app",
    "authentication": "anyone who can reach the app can trigger it without logging in",
    "permissions": "more people than needed can read or change the app and its data",
    "encryption": "data travels or rests unencrypted and can be read or altered",
    "connectors": "the app talks to services or runs code nobody approved",
    "exports": "data leaves for places it should not go",
    "injection": "an outsider's input can make the app run commands or queries of their "
                 "choosing",
    "logging": "failures and misuse go unnoticed, and there is no record to investigate",
    "inventory": "nobody answers for it, so problems are found late",
    "configuration": "a platform setting weakens every flow on the instance",
}


@dataclass
class History:
    """The runs a trend is drawn over, oldest first, from the evidence log."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @property
    def labels(self) -> list[str]:
        return [f"#{r['seq']}" if r.get("seq") else "now" for r in self.runs]

    def series(self, section: str, name: str, value: str) -> list[float]:
        """One value per run (0 where a run did not have it)."""
        return [float(((r.get(section) or {}).get(name) or {}).get(value, 0))
                for r in self.runs]


def read_history(run: NocodeRun) -> History:
    """Past runs' records (approvals left out), with this run's last even when it was not
    logged; the log is read, not verified (that is ``verify-log``'s job)."""
    state = run.audit
    history = History()
    log = state.evidence_log
    if log is not None and log.exists():
        bad = 0
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(record, dict) and record.get("kind") != "approval" \
                    and "risk" in record:
                history.runs.append(record)
        if bad:
            history.note = f"{bad} unreadable line(s) in {log} left out; run verify-log"
    if state.evidence_record is None:
        history.runs.append({"risk": state.app_risk, "owner_risk": state.owner_risk,
                             "kri": state.kri_values})
    history.runs = history.runs[-HISTORY_RUNS:]
    return history


def _trend(values: Sequence[float]) -> str:
    if len(values) < 2:
        return "first run on record"
    change = values[-1] - values[-2]
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return f"{arrow} {change:+g} since the previous run"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


@dataclass
class Summary:
    """The markdown, with a placeholder for each chart, and the charts to draw."""

    lines: list[str] = field(default_factory=list)
    charts: dict[str, tuple[str, dict[str, list[float]], list[str], float | None]] = \
        field(default_factory=dict)

    def chart(self, name: str, title: str, series: dict[str, list[float]],
              labels: list[str], threshold: float | None = None) -> str:
        self.charts[name] = (title, series, labels, threshold)
        return f"@@chart:{name}@@"

    def render(self, chart_dir: str | None) -> str:
        """With images from ``chart_dir`` (relative to the file), or sparklines."""
        out = []
        for line in self.lines:
            for name, (title, series, _, _) in self.charts.items():
                mark = f"@@chart:{name}@@"
                if mark not in line:
                    continue
                if chart_dir is not None:
                    line = line.replace(mark, f"![{title}]({chart_dir}/{name}.svg)")
                else:
                    first = next(iter(series.values()), [])
                    from pytest_nocode.reporting.charts import sparkline

                    line = line.replace(mark, f"`{sparkline(first)}`")
            out.append(line)
        return "\n".join(out) + "\n"


def build_summary(run: NocodeRun, history: History, links: Mapping[str, str],
                  today: date | None = None) -> Summary:
    today = today or date.today()
    state = run.audit
    s = Summary()
    add = s.lines.append
    add("# pytest-nocode review summary")
    add("")
    head = state.evidence_record
    add(f"Run {run.started.isoformat(timespec='seconds')}, policy `{run.policy.source}` "
        f"(sha256 `{run.policy.sha256[:12]}`)"
        + (f", evidence log record {head['seq']} `{head['hash'][:16]}`"
           + (" (keyed)" if head.get("hash_alg") else "") if head else "") + ".")
    for loaded in run.loaded.values():
        if loaded.error:
            add("")
            add(f"**{loaded.spec.id} could not be loaded: nothing of it was checked.** "
                f"{loaded.error}")
    _risk_sections(s, run, history)
    _top_risks(s, run)
    _kris(s, run, history)
    _waivers(s, run, today)
    _drift(s, run)
    if history.note:
        add("")
        add(f"_{history.note}_")
    if links:
        add("")
        add("## Reports")
        add("")
        for name, target in links.items():
            add(f"- [{name}]({target})")
    return s


def _risk_sections(s: Summary, run: NocodeRun, history: History) -> None:
    add = s.lines.append
    state = run.audit
    add("")
    add("## Open risk by app")
    add("")
    add("Risk is 0-100 per finding (severity, reachable without login, data leaving, "
        "sensitive data); *max* is the worst open finding, *sum* the total open risk.")
    add("")
    add("| app | owner | open findings | max | sum | trend (sum) | |")
    add("|---|---|---|---|---|---|---|")
    for spec in run.specs:
        risk = state.app_risk.get(spec.id, {"max": 0, "sum": 0, "open_findings": 0})
        sums = history.series("risk", spec.id, "sum")
        chart = s.chart(f"risk-{_slug(spec.id)}", f"open risk of {spec.id}",
                        {"sum": sums, "max": history.series("risk", spec.id, "max")},
                        history.labels)
        owner = run.policy.owner_for(spec.id) or "—"
        loaded = run.loaded.get(spec.id)
        shown = "not loaded" if loaded is None or loaded.app is None else risk["open_findings"]
        add(f"| {spec.id} | {owner} | {shown} | {risk['max']} | {risk['sum']} | "
            f"{_trend(sums)} | {chart} |")
    if state.owner_risk:
        add("")
        add("## Open risk by owner")
        add("")
        add("| owner | open findings | max | sum | trend (sum) |")
        add("|---|---|---|---|---|")
        for owner, risk in state.owner_risk.items():
            sums = history.series("owner_risk", owner, "sum")
            add(f"| {owner} | {risk['open_findings']} | {risk['max']} | {risk['sum']} | "
                f"{_trend(sums)} |")


def _entry_points_to(run: NocodeRun, app_id: str, resource: Mapping[str, Any]) -> list[str]:
    """The open entry points (no or unknown authentication) whose flow reaches the resource."""
    from pytest_nocode.risk import OPEN_AUTH

    loaded = run.loaded.get(app_id)
    exposure = run.audit.exposures.get(app_id)
    if loaded is None or loaded.app is None or exposure is None:
        return []
    app = loaded.app
    targets = {step.id for step in exposure.steps_of(resource)}
    found = []
    for ep in app.entry_points:
        if ep.authentication not in OPEN_AUTH or ep.active is False:
            continue
        reach = {ep.step_id} | {step.id for step in app.downstream([ep.step_id])}
        if reach & targets:
            methods = "/".join(ep.methods)
            found.append(f"{ep.kind} {methods + ' ' if methods else ''}{ep.route}")
    return found


def _top_risks(s: Summary, run: NocodeRun) -> None:
    add = s.lines.append
    open_ = sorted((f for f in run.findings if f.get("status") != "waived"),
                   key=lambda f: (-int(f.get("risk") or 0), f["app"], f["rule"],
                                  f["resource"]["id"]))[:TOP_RISKS]
    add("")
    add("## Top risks")
    add("")
    if not open_:
        add("No open findings.")
        return
    titles = {rid: r.get("title", rid) for rid, r in run.rules.items()}
    for n, f in enumerate(open_, start=1):
        res = f["resource"]
        factors = f.get("risk_factors") or {}
        data = factors.get("sensitive_data") or []
        what = IMPACT.get(f.get("category", ""), "the app does something the policy forbids")
        name = res.get("name") or res["id"]
        add(f"{n}. **{f['app']}: {titles.get(f['rule'], f['rule'])}** ({f['rule']}, risk "
            f"{f.get('risk', 0)}, {f['severity']}) at {res['kind']} `{name}`")
        add(f"   - What could happen: {what}.")
        add("   - To which data: " + (f"data that looks like {', '.join(data)}."
                                      if data else "whatever this flow handles (no sensitive "
                                                   "terms seen near it)."))
        entries = _entry_points_to(run, f["app"], res) if factors.get(
            "unauthenticated_entry") else []
        if entries:
            add(f"   - Through: {', '.join(entries[:3])} (no login needed"
                + (", and the data leaves the organisation" if factors.get("leaves_boundary")
                   else "") + ").")
        elif factors.get("leaves_boundary"):
            add("   - Through: its outbound connection (the data leaves the organisation).")
        else:
            add("   - Through: no open entry point leads to it; someone with access to the "
                "platform.")


def _kris(s: Summary, run: NocodeRun, history: History) -> None:
    thresholds = run.policy.data.get("kri") or {}
    if not thresholds:
        return
    add = s.lines.append
    add("")
    add("## Key risk indicators")
    add("")
    add("| app | indicator | value | threshold | status | trend | |")
    add("|---|---|---|---|---|---|---|")
    for app_id, values in run.audit.kri_values.items():
        for name, limit in thresholds.items():
            if name not in values:
                add(f"| {app_id} | {name} | — | {limit} | needs a baseline | | |")
                continue
            series = history.series("kri", app_id, name)
            status = "**breached**" if values[name] > int(limit) else "within"
            chart = s.chart(f"kri-{_slug(app_id)}-{_slug(name)}", f"{name} of {app_id}",
                            {name: series}, history.labels, float(limit))
            add(f"| {app_id} | {name} | {values[name]} | {limit} | {status} | "
                f"{_trend(series)} | {chart} |")


def _waivers(s: Summary, run: NocodeRun, today: date) -> None:
    add = s.lines.append
    soon = today + timedelta(days=EXPIRING_DAYS)
    expiring = sorted((w for w in run.policy.waivers
                       if today <= date.fromisoformat(w.expires) <= soon),
                      key=lambda w: w.expires)
    add("")
    add(f"## Waivers expiring in the next {EXPIRING_DAYS} days")
    add("")
    if not expiring:
        add("None.")
    for w in expiring:
        add(f"- {w.expires}: {w.rule} on {', '.join(w.apps)} (owner {w.owner}"
            + (f", {w.ticket}" if w.ticket else "") + f"): {w.justification} ({w.source})")
    add("")
    add("## Stale waivers")
    add("")
    if not run.audit.stale_waivers:
        add("None.")
    for stale in run.audit.stale_waivers:
        add(f"- {stale['source']}: {stale['rule']} (owner {stale['owner']}): "
            f"{stale['reason']}; remove it")


def _drift(s: Summary, run: NocodeRun) -> None:
    add = s.lines.append
    state = run.audit
    add("")
    add("## Drift since the approved baseline")
    add("")
    if state.baseline_path is None:
        add("No baseline given (`--nocode-baseline`).")
        return
    if not state.baseline_existed:
        add(f"No baseline yet: this run wrote `{state.baseline_path}`; review it and sign it "
            "off with `pytest-nocode approve`.")
        return
    drift = [f for f in run.findings if f["rule"].startswith("DRIFT")]
    approval = _approval(state.baseline_path)
    if approval:
        add(f"Approved baseline: signed off by {approval.get('by')} on "
            f"{str(approval.get('at', ''))[:10]}"
            + (f" ({approval['ticket']})" if approval.get("ticket") else "")
            + f": {approval.get('why', '')}")
    else:
        add("The baseline was written by a run and never signed off (`pytest-nocode "
            "approve`).")
    add("")
    if not drift:
        add("No drift.")
        return
    by_app: dict[str, list[dict[str, Any]]] = {}
    for f in drift:
        by_app.setdefault(f["app"], []).append(f)
    for app_id, found in by_app.items():
        gated = [f for f in found if f["evidence"].get("needs_sign_off")]
        add(f"- **{app_id}**: {len(found)} change(s)"
            + (f", {len(gated)} needing sign-off:" if gated else ""))
        for f in gated[:10]:
            add(f"  - {f['message'].split(' [approved baseline')[0]}")


def _approval(path: Path) -> Mapping[str, Any]:
    """The baseline's sign-off ({} when unsigned or unreadable: the drift checks say why)."""
    from pytest_nocode.baseline import read_baseline
    from pytest_nocode.errors import InputError

    try:
        apps = read_baseline(path)
    except InputError:
        return {}
    return next((a.approval for a in apps.values() if a.approval), {})


def _links(config: pytest.Config, run: NocodeRun, folder: Path) -> dict[str, str]:
    from pytest_nocode.run import invocation_path, option_value

    found: dict[str, Path] = {}
    threat = config.getoption("nocode_threat_model", None)
    if threat:
        found["Threat model"] = invocation_path(config, str(threat))
    for name, option in (("Findings (JSON)", "json"), ("Findings (SARIF)", "sarif")):
        value = option_value(config, option)
        if value:
            found[name] = invocation_path(config, value)
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if allure_dir:
        found["Allure results"] = invocation_path(config, str(allure_dir))
    if run.audit.evidence_log is not None:
        found["Evidence log"] = run.audit.evidence_log
    return {name: Path(os.path.relpath(path, folder)).as_posix() for name, path in
            found.items()}


def write_summary(config: pytest.Config, run: NocodeRun) -> Path | None:
    """Write ``--nocode-summary`` with its charts, and append it to $GITHUB_STEP_SUMMARY
    when that is set (only when a summary was asked for: a CI job that wants none gets
    none)."""
    from pytest_nocode.run import invocation_path, option_value

    target = option_value(config, "summary")
    if not target:
        return None
    step_summary = os.environ.get(STEP_SUMMARY_VARIABLE, "")
    path = invocation_path(config, target)
    summary = build_summary(run, read_history(run), _links(config, run, path.parent))
    redact = run.redactor.text
    path.parent.mkdir(parents=True, exist_ok=True)
    chart_dir = f"{path.stem}-charts"
    _draw(summary, path.parent / chart_dir, run)
    path.write_text(redact(summary.render(chart_dir)), encoding="utf-8")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(redact(summary.render(None)))
    return path


def _draw(summary: Summary, folder: Path, run: NocodeRun) -> None:
    from pytest_nocode.reporting.charts import trend_svg

    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, series, labels, threshold) in summary.charts.items():
        (folder / f"{name}.svg").write_text(
            run.redactor.text(trend_svg(title, series, labels, threshold)), encoding="utf-8")

