"""The evidence log: one hash-chained record per run, and ``pytest-nocode verify-log``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_nocode.cli import main
from pytest_nocode.reporting.evidence_log import (
    append_record,
    canonical,
    findings_digest,
    record_hash,
    verify,
)
from tests.conftest import node, run_json, tab

REPO = Path(__file__).resolve().parent.parent


def _small_log(path: Path, records: int = 3) -> list[bytes]:
    for i in range(records):
        append_record(path, {"run": i, "apps": [{"id": "a", "snapshot_sha256": f"{i:064x}"}],
                             "note": "café ✓"})
    return path.read_bytes().splitlines(keepends=True)


def test_records_chain_and_verify(tmp_path: Path) -> None:
    log = tmp_path / "sub" / "evidence.jsonl"
    lines = _small_log(log)
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev"] is None
    assert records[1]["prev"] == records[0]["hash"] and records[2]["prev"] == records[1]["hash"]
    assert all(record_hash(r) == r["hash"] for r in records)
    verdict = verify(log)
    assert verdict.ok and verdict.records == 3 and verdict.message == "3 records, chain intact"
    assert verdict.head == records[2]["hash"]


def test_every_single_byte_edit_is_caught_and_located(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    lines = _small_log(log)
    original = b"".join(lines)
    starts = [sum(len(x) for x in lines[:i]) for i in range(len(lines))]
    checked = 0
    for position in range(len(original)):
        line = max(i for i, s in enumerate(starts) if s <= position) + 1
        for replacement in {original[position] ^ 0x01, ord("0"), ord(" ")}:
            if replacement == original[position]:
                continue
            tampered = bytearray(original)
            tampered[position] = replacement
            log.write_bytes(bytes(tampered))
            verdict = verify(log)
            assert not verdict.ok, (position, bytes([replacement]))
            assert verdict.line == line, (position, verdict.message)
            checked += 1
    assert checked > 2 * len(original)


def test_removed_and_inserted_records_are_named(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    lines = _small_log(log, 4)
    log.write_bytes(b"".join(lines[:1] + lines[2:]))  # record 2 removed
    verdict = verify(log)
    assert not verdict.ok and verdict.line == 2
    assert "removed before record 2" in verdict.message and "seq 2 missing" in verdict.message
    log.write_bytes(b"".join(lines[1:]))  # the first record removed
    verdict = verify(log)
    assert not verdict.ok and verdict.line == 1 and "seq 1 missing" in verdict.message
    # a forged record with a correct hash of its own, slipped in after record 2
    forged = json.loads(lines[1])
    forged.update(seq=3, prev=forged["hash"], note="forged")
    forged["hash"] = record_hash(forged)
    log.write_bytes(b"".join(lines[:2]) + canonical(forged).encode() + b"\n"
                    + b"".join(lines[2:]))
    verdict = verify(log)
    assert not verdict.ok and verdict.line == 4 and "inserted" in verdict.message
    # a duplicated record
    log.write_bytes(b"".join(lines[:2] + lines[1:]))
    verdict = verify(log)
    assert not verdict.ok and verdict.line == 3 and "inserted" in verdict.message


def test_records_removed_from_the_end_need_the_anchored_head(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    lines = _small_log(log, 3)
    head = json.loads(lines[-1])["hash"]
    log.write_bytes(b"".join(lines[:2]))
    assert verify(log).ok  # a chain cannot see its own missing tail…
    verdict = verify(log, head=head)  # …the hash anchored elsewhere can
    assert not verdict.ok and "removed from the end" in verdict.message
    assert main(["verify-log", str(log), "--head", head]) == 1


def test_append_refuses_a_broken_last_record(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    _small_log(log, 1)
    with log.open("ab") as fh:
        fh.write(b"{not json\n")
    with pytest.raises(ValueError, match="last record is unreadable"):
        append_record(log, {"run": 9})


def test_cli_verify_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "evidence.jsonl"
    lines = _small_log(log, 3)
    assert main(["verify-log", str(log)]) == 0
    out = capsys.readouterr().out
    assert f"{log}: 3 records, chain intact" in out
    log.write_bytes(lines[0] + lines[1].replace(b'"run":1', b'"run":7') + lines[2])
    assert main(["verify-log", str(log)]) == 1
    err = capsys.readouterr().err
    assert "record 2 (line 2) (seq 2) was altered" in err
    assert main(["verify-log", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_console_script_is_installed(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    _small_log(log, 2)
    done = subprocess.run([sys.executable, "-m", "pytest_nocode.cli", "verify-log", str(log)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "2 records, chain intact" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "pytest_nocode.cli", "bogus"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_ten_thousand_records_verify(tmp_path: Path) -> None:
    """A log of benchmark size verifies whole (its speed is benchmarks/evidence_log_bench.py's)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from evidence_log_bench import make_log
    finally:
        sys.path.pop(0)
    log = tmp_path / "evidence.jsonl"
    make_log(log, 10_000)
    verdict = verify(log)
    assert verdict.ok and verdict.records == 10_000, verdict.message


FLOW = [tab(), node("in1", "http in", url="/run", method="post", wires=[["ex1"]]),
        node("ex1", "exec", command="ls", addpay="payload", wires=[[], [], []])]


def test_each_run_appends_one_record(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(FLOW)
    log = pytester.path / "audit" / "evidence.jsonl"
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                              f"--nocode-evidence-log={log}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"evidence log {log}: record 1 hash *"])
    _, report2 = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                          f"--nocode-evidence-log={log}", "-n", "2", "-p", "no:benchmark")
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert second["seq"] == 2 and second["prev"] == first["hash"]
    for record, rep in ((first, report), (second, report2)):
        assert record["apps"] == [{"id": "nodered-flows", "platform": "nodered",
                                   "source": "file",
                                   "snapshot_sha256": rep["apps"][0]["snapshot_sha256"]}]
        assert record["policy_sha256"] == rep["run"]["policy_sha256"]
        assert record["findings_digest"] == findings_digest(rep["findings"])
        assert record["counts"]["status"] == {"fail": len(rep["findings"])}
        assert record["exit_status"] == 1 and record["tool"]["name"] == "pytest-nocode"
        assert record["started"] <= record["finished"] and record["run_by"]
    # the same findings in whatever order the workers sent them: the same digest
    assert first["findings_digest"] == second["findings_digest"]
    assert main(["verify-log", str(log)]) == 0


def test_ini_option_and_broken_log_is_loud(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([tab(), node("a", "inject", wires=[["b"]]), node("b", "debug")])
    pytester.makeini(f"[pytest]\nnocode_apps = nodered+file:{flows}\n"
                     "nocode_evidence_log = ev.jsonl\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert len((pytester.path / "ev.jsonl").read_text().splitlines()) == 1
    with (pytester.path / "ev.jsonl").open("a") as fh:
        fh.write("garbage\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["evidence log NOT written: *last record is unreadable*"])
