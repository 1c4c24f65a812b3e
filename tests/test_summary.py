"""The review summary (--nocode-summary): risk per app and owner with its trend from the
evidence log, top risks in business words, KRIs against thresholds, expiring and stale
waivers, drift since the signed-off baseline, links, SVG charts; and the job-summary copy."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import matplotlib.figure  # noqa: F401  before pytester's in-process runs: numpy imports once
import pytest

from pytest_nocode.reporting.charts import sparkline, trend_svg
from tests.conftest import node
from tests.test_baseline_drift import STRIPE, snapshot, write

SOON = (date.today() + timedelta(days=10)).isoformat()
LATER = (date.today() + timedelta(days=45)).isoformat()
POLICY = f"""\
version: 1
owners:
  - owner: team-orders
    app: "*"
kri:
  secrets_count: 0
  new_external_destinations: 0
waivers:
  - rule: LOG002
    app: nodered-snap
    justification: errors are watched on the operations dashboard
    owner: ops-lead
    expires: "{SOON}"
    ticket: SEC-7
  - rule: CMD001
    app: nodered-snap
    justification: a waiver far from expiry that matches nothing
    owner: ops-lead
    expires: "{LATER}"
"""


def _run(pytester: pytest.Pytester, app: Path, *extra: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
        "--nocode-policy=policy.yaml", "--nocode-evidence-log=ev.jsonl",
        "--nocode-baseline=base.json", "--nocode-summary=review/summary.md",
        "--nocode-json=review/findings.json", *extra)


def test_summary_tells_the_review_and_its_trends(pytester: pytest.Pytester,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (pytester.path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    app = write(pytester.path / "snap.json", snapshot())
    pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                       "--nocode-policy=policy.yaml", "--nocode-evidence-log=ev.jsonl",
                       "--nocode-baseline=base.json", "--nocode-approve-by=alice",
                       "--nocode-approve-why=first review of the snapshot")
    first = _run(pytester, app)
    first.stdout.fnmatch_lines(["review summary written to */review/summary.md"])
    # a new external host since the sign-off: more open risk, and the KRI breached
    write(app, snapshot(extra=[node("req9", "http request", url="http://files.example.net/up",
                                    method="POST", wires=[[]])]))
    step = pytester.path / "step-summary.md"
    step.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    _run(pytester, app)
    text = (pytester.path / "review" / "summary.md").read_text(encoding="utf-8")

    assert "| nodered-snap | team-orders |" in text
    row = next(line for line in text.splitlines() if line.startswith("| nodered-snap |"))
    assert "▲ +" in row and "since the previous run" in row  # open risk went up
    assert "![open risk of nodered-snap](summary-charts/risk-nodered-snap.svg)" in row
    assert "## Open risk by owner" in text and "| team-orders |" in text
    assert "## Top risks" in text and "- What could happen: " in text
    assert "- To which data: " in text and "- Through: " in text
    kri = {line.split(" | ")[1]: line for line in text.splitlines()
           if line.startswith("| nodered-snap | ") and ("secrets_count" in line
                                                        or "new_external" in line)}
    assert "**breached**" in kri["new_external_destinations"]
    assert "| 1 | 0 |" in kri["new_external_destinations"]
    assert "▲ +1 since the previous run" in kri["new_external_destinations"]
    assert "**breached**" in kri["secrets_count"] and "= +0" in kri["secrets_count"]
    expiring = text.split("## Waivers expiring", 1)[1].split("## Stale waivers")[0]
    assert f"- {SOON}: LOG002 on nodered-snap (owner ops-lead, SEC-7)" in expiring
    assert LATER not in expiring  # 45 days away: not yet
    stale = text.split("## Stale waivers", 1)[1].split("## Drift")[0]
    assert "CMD001 (owner ops-lead)" in stale
    drift = text.split("## Drift since the approved baseline", 1)[1]
    assert "signed off by alice on " in drift and "first review of the snapshot" in drift
    assert "needing sign-off:" in drift and "http://files.example.net" in drift
    assert "- [Findings (JSON)](findings.json)" in text and "(../ev.jsonl)" in text
    assert STRIPE not in text

    charts = sorted(p.name for p in (pytester.path / "review" / "summary-charts").iterdir())
    assert "risk-nodered-snap.svg" in charts
    assert "kri-nodered-snap-new_external_destinations.svg" in charts
    for name in charts:
        svg = ET.parse(pytester.path / "review" / "summary-charts" / name).getroot()
        assert svg.tag.endswith("svg")

    job = step.read_text(encoding="utf-8")
    assert job.startswith("earlier step\n")  # appended, not replaced
    assert "# pytest-nocode review summary" in job and "summary-charts/" not in job
    assert any(ch in job for ch in "▁▂▃▄▅▆▇█")  # sparklines instead of pictures


def test_without_evidence_log_only_this_run(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                                "--nocode-summary=summary.md")
    result.stdout.fnmatch_lines(["review summary written to *summary.md"])
    text = (pytester.path / "summary.md").read_text(encoding="utf-8")
    assert "first run on record" in text and "No baseline given" in text
    assert "## Key risk indicators" not in text  # the default policy bounds none


def test_sparkline_and_chart() -> None:
    assert sparkline([0, 5, 10]) == "▁▅█" and sparkline([3, 3]) == "▁▁" and sparkline([]) == ""
    one = trend_svg("risk", {"sum": [1, 4, 2]}, ["#1", "#2", "#3"], threshold=3)
    assert one == trend_svg("risk", {"sum": [1, 4, 2]}, ["#1", "#2", "#3"], threshold=3)
    root = ET.fromstring(one)
    assert root.tag.endswith("svg") and "risk" in one and "threshold 3" in one
