"""The keyed evidence log: with NOCODE_EVIDENCE_KEY each record's hash is an HMAC, so nobody
without the key can rewrite the log; ``verify-log`` needs the key; every report pins the log's
head; and the key itself reaches no output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pytest_nocode.cli import main
from pytest_nocode.reporting.evidence_log import (
    KEYED,
    append_record,
    canonical,
    record_hash,
    verify,
)
from tests.conftest import node, tab

KEY = b"evidence-key-canary-6d0e3b91f4a2c857"
OTHER_KEY = b"another-key-entirely-0a9b8c7d6e5f"


def _keyed_log(path: Path, records: int = 3, key: bytes = KEY) -> list[dict[str, object]]:
    return [append_record(path, {"run": i}, key) for i in range(records)]


def _forge(path: Path, number: int, change: dict[str, object]) -> None:
    """What someone without the key can do: edit record ``number`` and recompute a sha256
    chain from there on."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    prev = records[number - 2]["hash"] if number > 1 else None
    for i, record in enumerate(records[number - 1:], start=number):
        if i == number:
            record.update(change)
        record.pop("hash_alg", None)
        record["prev"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]
    path.write_text("".join(canonical(r) + "\n" for r in records))


def test_keyed_records_verify_only_with_their_key(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    records = _keyed_log(log)
    assert all(r["hash_alg"] == KEYED for r in records)
    body = canonical({k: v for k, v in records[0].items() if k != "hash"}).encode()
    assert records[0]["hash"] != hashlib.sha256(body).hexdigest()  # not a plain hash
    verdict = verify(log, key=KEY)
    assert verdict.ok and verdict.keyed == 3 and "every record keyed" in verdict.message
    assert verdict.head == records[-1]["hash"]
    without = verify(log)
    assert not without.ok and "NOCODE_EVIDENCE_KEY is not set" in without.message
    wrong = verify(log, key=OTHER_KEY)
    assert not wrong.ok and "record 1" in wrong.message and "HMAC does not match" in wrong.message


def test_a_rewrite_without_the_key_is_caught(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    _keyed_log(log)
    _forge(log, 2, {"run": 99})  # record 1 stays keyed, 2 and 3 are recomputed plain
    verdict = verify(log, key=KEY)
    assert not verdict.ok and verdict.line == 2 and "is not keyed, but earlier" in verdict.message
    log.unlink()
    _keyed_log(log)
    _forge(log, 1, {"run": 99})  # the whole log rewritten as an unkeyed chain
    assert verify(log).ok  # without the key, a plain chain is all one can check
    verdict = verify(log, key=KEY)
    assert not verdict.ok and "no record is keyed" in verdict.message


def test_an_unkeyed_prefix_is_kept_and_named(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    append_record(log, {"run": "before the key"})
    _keyed_log(log, 2)
    verdict = verify(log, key=KEY)
    assert verdict.ok and verdict.keyed == 2
    assert "records 2-3 keyed" in verdict.message and "first 1 were written before" in \
        verdict.message


def test_append_keeps_a_keyed_log_keyed(tmp_path: Path) -> None:
    log = tmp_path / "evidence.jsonl"
    _keyed_log(log, 1)
    with pytest.raises(ValueError, match=r"is keyed .*set NOCODE_EVIDENCE_KEY"):
        append_record(log, {"run": 1})
    with pytest.raises(ValueError, match="does not verify with NOCODE_EVIDENCE_KEY"):
        append_record(log, {"run": 1}, OTHER_KEY)
    assert len(log.read_text().splitlines()) == 1


def test_cli_uses_the_key_and_says_when_there_is_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "evidence.jsonl"
    _keyed_log(log)
    monkeypatch.delenv("NOCODE_EVIDENCE_KEY", raising=False)
    assert main(["verify-log", str(log)]) == 1
    err = capsys.readouterr().err
    assert "NOCODE_EVIDENCE_KEY is not set" in err and "is keyed (HMAC)" in err
    monkeypatch.setenv("NOCODE_EVIDENCE_KEY", KEY.decode())
    assert main(["verify-log", str(log)]) == 0
    out, err = capsys.readouterr()
    assert "3 records, chain intact, every record keyed" in out and KEY.decode() not in out + err
    plain = tmp_path / "plain.jsonl"
    append_record(plain, {"run": 0})
    monkeypatch.delenv("NOCODE_EVIDENCE_KEY")
    assert main(["verify-log", str(plain)]) == 0
    assert "the log is not keyed" in capsys.readouterr().err


FLOW = [tab(), node("in1", "http in", url="/run", method="post", wires=[["ex1"]]),
        node("ex1", "exec", command="ls", addpay="payload", wires=[[], [], []])]


def test_reports_pin_the_head_and_the_key_reaches_no_output(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, write_flows) -> None:
    flows = write_flows(FLOW)
    monkeypatch.setenv("NOCODE_EVIDENCE_KEY", KEY.decode())
    log = pytester.path / "evidence.jsonl"
    out = pytester.path / "out"
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
        f"--nocode-evidence-log={log}", f"--nocode-json={out / 'findings.json'}",
        f"--nocode-sarif={out / 'findings.sarif'}", f"--alluredir={out / 'allure'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["hash_alg"] == KEYED and verify(log, key=KEY).ok
    report = json.loads((out / "findings.json").read_text())
    assert report["evidence_log"] == {"path": str(log), "seq": 1, "head": record["hash"],
                                      "keyed": True}
    sarif = json.loads((out / "findings.sarif").read_text())
    assert sarif["runs"][0]["properties"]["evidence_log"]["head"] == record["hash"]
    env = (out / "allure" / "environment.properties").read_text(encoding="ascii")
    assert f"evidence_log.head={record['hash']}" in env and "evidence_log.keyed=true" in env
    assert record["risk"]["nodered-flows"]["max"] == report["apps"][0]["risk"]["max"]
    # the canary: not in the log, any report, any Allure file, or the terminal
    texts = [result.stdout.str(), result.stderr.str()]
    assert KEY.decode() not in "".join(texts)
    for path in [log, *out.rglob("*")]:
        if path.is_file():
            assert KEY not in path.read_bytes(), path
