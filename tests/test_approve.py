"""Sign-off: ``pytest-nocode approve`` makes the current snapshot the approved baseline and
records who, why, when, the ticket and the hashes in the evidence log; new access since the
approved baseline fails until signed off, and drift names the approval it deviates from."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_nocode.reporting.evidence_log import verify
from tests.conftest import node, run_json, tab
from tests.test_baseline_drift import snapshot, write

WHY = "reviewed with the orders team in the change board"


def _approve(pytester: pytest.Pytester, app: Path, base: Path, log: Path,
             *extra: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}", f"--nocode-evidence-log={log}",
                              "--nocode-approve-by=alice", f"--nocode-approve-why={WHY}",
                              *extra)


def _records(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_sign_off_gates_new_access_and_drift_names_it(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base, log = pytester.path / "baseline.json", pytester.path / "evidence.jsonl"
    signed = _approve(pytester, app, base, log, "--nocode-approve-ticket=CHG-7")
    assert signed.ret == pytest.ExitCode.OK
    signed.stdout.fnmatch_lines([f"approved: {base} is now the approved baseline of "
                                 "nodered-snap, signed off by alice; evidence log*"])
    assert signed.parseoutcomes().get("passed", 0) == 0  # a sign-off runs no check
    [approval] = _records(log)
    document = json.loads(base.read_text())
    assert approval["kind"] == "approval"
    assert approval["approval"]["by"] == "alice" and approval["approval"]["why"] == WHY
    assert approval["approval"]["ticket"] == "CHG-7" and approval["approval"]["at"]
    assert approval["baseline"]["sha256"] == hashlib.sha256(base.read_bytes()).hexdigest()
    assert approval["baseline"]["previous_sha256"] is None
    assert document["approval"] == approval["approval"]
    assert approval["apps"] == [{"id": "nodered-snap",
                                 "snapshot_sha256": document["apps"]["nodered-snap"]["sha256"]}]

    # new access since the sign-off: a connector type, an external host, open routes
    write(app, snapshot(timeout=5, http_auth="UNSET", extra=[
        node("in2", "http in", url="/open", method="get", wires=[["mq1"]]),
        node("mq1", "mqtt out", topic="t", wires=[]),
        node("req2", "http request", url="https://partner.example.net/up", method="POST",
             wires=[[]])]))
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}", "--nocode-fail-on=critical")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    gated = {(f["rule"], f["evidence"]["key"]): f for f in report["findings"]
             if f["evidence"].get("needs_sign_off")}
    assert ("DRIFT005", "https://partner.example.net") in gated
    assert ("DRIFT006", "http /open") in gated and ("DRIFT006", "http /run") in gated
    assert any(rule == "DRIFT004" for rule, _ in gated)
    for finding in gated.values():
        assert finding["status"] == "fail"  # above the fail-on threshold or not
        assert "(needs sign-off)" in finding["message"]
        assert "[approved baseline: alice, " in finding["message"]
        assert finding["message"].endswith(", CHG-7]")
        assert finding["evidence"]["baseline_approval"]["by"] == "alice"
    # the look-alike: a changed setting is drift too, but no new access: below fail-on, warn
    [setting] = [f for f in report["findings"] if f["rule"] == "DRIFT008"
                 and f["resource"]["id"] == "functionTimeout"]
    assert setting["status"] == "warn" and "needs_sign_off" not in setting["evidence"]
    assert "[approved baseline: alice, " in setting["message"]

    # signing the change off: a new baseline, recorded; the next run has no drift
    first_sha = approval["baseline"]["sha256"]
    assert _approve(pytester, app, base, log).ret == pytest.ExitCode.OK
    second = _records(log)[-1]
    assert second["baseline"]["previous_sha256"] == first_sha
    assert "ticket" not in second["approval"]
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                         f"--nocode-baseline={base}")
    assert not [f for f in report["findings"] if f["rule"].startswith("DRIFT")]
    assert verify(log).ok


def test_unsigned_baseline_drift_has_no_approval(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base = pytester.path / "baseline.json"
    run_json(pytester, f"--nocode-app=nodered+file:{app}", f"--nocode-baseline={base}")
    write(app, snapshot(extra=[node("req2", "http request", url="https://x.example.net/",
                                    wires=[[]]),
                               node("in2", "http in", url="/more", method="get", wires=[[]])]))
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                         f"--nocode-baseline={base}")
    [dest] = [f for f in report["findings"] if f["rule"] == "DRIFT005"]
    assert dest["evidence"]["baseline_approval"] is None and "[approved" not in dest["message"]
    assert dest["evidence"]["needs_sign_off"] is True
    # the look-alike: a new route behind httpNodeAuth is drift, not new open access
    [route] = [f for f in report["findings"] if f["rule"] == "DRIFT006"]
    assert route["evidence"]["key"] == "http /more" and "needs_sign_off" not in route["evidence"]


def test_sign_off_refuses_what_it_cannot_record(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base, log = pytester.path / "baseline.json", pytester.path / "evidence.jsonl"
    no_log = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                                f"--nocode-baseline={base}", "--nocode-approve-by=alice",
                                f"--nocode-approve-why={WHY}")
    assert no_log.ret == pytest.ExitCode.USAGE_ERROR
    no_log.stderr.fnmatch_lines(["*approve: an evidence log is needed*"])
    short = _approve(pytester, app, base, log.with_name("x.jsonl"), "--nocode-approve-why=ok")
    assert short.ret == pytest.ExitCode.USAGE_ERROR
    short.stderr.fnmatch_lines(["*--why must say why*"])
    assert not base.exists() and not log.exists()
    # an app that does not load: nothing approved, the old baseline stays
    assert _approve(pytester, app, base, log).ret == pytest.ExitCode.OK
    before = base.read_bytes()
    broken = pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
        "--nocode-app=nodered+http://127.0.0.1:1", "--nocode-record-mode=none",
        f"--nocode-cassette-dir={pytester.path / 'none'}", f"--nocode-baseline={base}",
        f"--nocode-evidence-log={log}", "--nocode-approve-by=alice",
        f"--nocode-approve-why={WHY}")
    assert broken.ret == pytest.ExitCode.TESTS_FAILED
    broken.stdout.fnmatch_lines(["NOT approved: nodered-127.0.0.1-1 could not be loaded*"])
    assert base.read_bytes() == before and len(_records(log)) == 1


def test_approve_command(tmp_path: Path) -> None:
    flows = tmp_path / "flows.json"
    flows.write_text(json.dumps([tab(), node("a", "inject", wires=[["b"]]),
                                 node("b", "debug")]), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nnocode_apps = nodered+file:{flows}\nnocode_evidence_log = ev.jsonl\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest_nocode.cli", "approve",
                           "--baseline", "approved.json", "--by", "bob", "--why", WHY,
                           "--ticket", "CHG-9"], cwd=tmp_path, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "signed off by bob" in done.stdout
    [record] = _records(tmp_path / "ev.jsonl")
    assert record["approval"]["ticket"] == "CHG-9" and (tmp_path / "approved.json").exists()
