"""CI shards: ``--nocode-shard=I/N`` picks each app in exactly one shard, and
``pytest-nocode merge`` joins the shards' outputs into what one unsharded run writes."""

from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec, parse_shard, shard_of
from pytest_nocode.cli import main
from pytest_nocode.errors import InputError
from pytest_nocode.reporting.evidence_log import append_record, verify
from pytest_nocode.reporting.merge import merge
from tests.conftest import DEMO
from tests.test_sarif import SCHEMA_PATH, assert_valid_sarif

FUTURE = (date.today() + timedelta(days=30)).isoformat()
APPS = [f"n8n+file:{path}" for path in sorted((DEMO / "n8n").glob("*.json"))] \
    + [f"nodered+file:{DEMO / 'nodered' / 'flows.json'}"]
# One waiver in use (by the Node-RED app, so in one shard only) and one that matches nothing:
# the merged run must call only the second stale, as the unsharded run does.
POLICY = f"""\
waivers:
  - rule: SEC001
    app: nodered-*
    justification: rotated and moved to the vault in the next release
    owner: integration-team
    expires: {FUTURE}
  - rule: AUTH001
    app: no-such-app
    justification: kept from an app that was retired last quarter
    owner: integration-team
    expires: {FUTURE}
"""
SHARDS = 4


# -- choosing a shard's apps -----------------------------------------------------------------
def spec(ident: str) -> AppSpec:
    return AppSpec(f"n8n+file:{ident}.json", "n8n", "file", f"{ident}.json", ident)


def test_shards_pick_every_app_once_by_id_whatever_the_order() -> None:
    specs = [spec(f"app-{n:02}") for n in (7, 3, 11, 1, 9, 5, 2)]
    picked = [shard_of(specs, i, 3) for i in (1, 2, 3)]
    assert Counter(s.id for shard in picked for s in shard) == Counter(s.id for s in specs)
    assert [len(p) for p in picked] == [3, 2, 2]
    assert [s.id for s in picked[0]] == ["app-11", "app-01", "app-05"]  # command-line order
    assert shard_of(list(reversed(specs)), 1, 3)[::-1] == picked[0]


def test_a_shard_without_apps_or_a_bad_shard_is_an_error() -> None:
    with pytest.raises(InputError, match=r"3/3 selects no app: 2 app\(s\) for 3 shards"):
        shard_of([spec("a"), spec("b")], 3, 3)
    for text in ("0/4", "5/4", "2", "a/b", "2/4/6", ""):
        with pytest.raises(InputError, match="expected I/N"):
            parse_shard(text)
    assert parse_shard(" 2/4 ") == (2, 4)


# -- four shards against one run -------------------------------------------------------------
def run_into(pytester: pytest.Pytester, folder: Path, *args: str) -> None:
    folder.mkdir()
    pytester.runpytest(
        "-p", "no:cacheprovider", *(f"--nocode-app={uri}" for uri in APPS),
        "--nocode-policy=policy.yaml", f"--nocode-json={folder / 'findings.json'}",
        f"--nocode-sarif={folder / 'nocode.sarif'}", f"--alluredir={folder / 'allure'}",
        f"--nocode-evidence-log={folder / 'evidence.jsonl'}", *args)
    assert (folder / "findings.json").exists()


@pytest.fixture
def runs(pytester: pytest.Pytester) -> dict[str, Path]:
    """The same five apps checked in one run and in four shards (one holds two apps)."""
    (pytester.path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    out = {"whole": pytester.path / "whole"}
    run_into(pytester, out["whole"])
    for i in range(1, SHARDS + 1):
        out[str(i)] = pytester.path / f"shard-{i}"
        run_into(pytester, out[str(i)], f"--nocode-shard={i}/{SHARDS}")
    return out


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def allure_results(folder: Path) -> Counter[tuple[str, str, str]]:
    out: Counter[tuple[str, str, str]] = Counter()
    for path in folder.glob("*-result.json"):
        result = load(path)
        for attachment in result.get("attachments", []):
            assert (folder / attachment["source"]).is_file(), attachment
        out[(result["fullName"], result["status"], result.get("historyId", ""))] += 1
    return out


def test_four_shards_merge_into_what_one_run_writes(runs: dict[str, Path],
                                                    tmp_path: Path) -> None:
    shards = [runs[str(i)] for i in range(1, SHARDS + 1)]
    assert main(["merge", str(tmp_path / "out"), *map(str, shards)]) == 1  # findings fail
    whole, merged = load(runs["whole"] / "findings.json"), load(tmp_path / "out" /
                                                                "findings.json")
    assert merged["findings"] == whole["findings"] and len(whole["findings"]) > 20
    assert merged["top_risks"] == whole["top_risks"]
    by_id = {a["id"]: a for a in whole["apps"]}
    assert {a["id"]: a for a in merged["apps"]} == by_id and len(by_id) == 5
    assert {a["risk"]["sum"] for a in by_id.values()} != {0}
    assert merged["stale_waivers"] == whole["stale_waivers"]
    assert [w["app"] for w in merged["stale_waivers"]] == [["no-such-app"]]
    assert "waived" in {f["status"] for f in merged["findings"]}
    assert merged["not_applicable"] == whole["not_applicable"]
    assert [s["shard"] for s in merged["run"]["shards"]] == [f"{i}/4" for i in range(1, 5)]
    assert merged["run"]["started"] == min(load(s / "findings.json")["run"]["started"]
                                           for s in shards)

    whole_sarif, merged_sarif = load(runs["whole"] / "nocode.sarif"), load(
        tmp_path / "out" / "findings.sarif")
    assert_valid_sarif(merged_sarif, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert merged_sarif["runs"][0]["tool"] == whole_sarif["runs"][0]["tool"]
    assert merged_sarif["runs"][0]["results"] == whole_sarif["runs"][0]["results"]
    assert len(merged_sarif["runs"][0]["invocations"]) == SHARDS

    merged_allure = tmp_path / "out" / "allure-results"
    assert allure_results(merged_allure) == allure_results(runs["whole"] / "allure")
    # every attachment once; fixture containers once per shard process (Allure joins them)
    assert len(list(merged_allure.glob("*-attachment*"))) == len(list(
        (runs["whole"] / "allure").glob("*-attachment*")))
    env = (merged_allure / "environment.properties").read_text(encoding="ascii")
    top = whole["top_risks"][0]
    assert f"top_risk.1={top['risk']} {top['app']} {top['rule']}" in env
    assert env.count("\nshard.") == SHARDS

    log = tmp_path / "out" / "evidence-log.jsonl"
    assert verify(log).ok
    record, alone = load_last(log), load_last(runs["whole"] / "evidence.jsonl")
    assert record["findings_digest"] == alone["findings_digest"]
    assert record["counts"] == alone["counts"]
    assert [s["hash"] for s in record["shards"]] == [
        load_last(s / "evidence.jsonl")["hash"] for s in shards]

    # merging again into the same folder would mix two runs' Allure results: refused
    with pytest.raises(InputError, match="allure-results: not empty"):
        merge(tmp_path / "out", shards)
    twice = tmp_path / "twice"
    shutil.copytree(shards[0], twice)
    with pytest.raises(InputError, match="is in two shards"):
        merge(tmp_path / "again", [shards[0], twice])


def load_last(log: Path) -> dict[str, Any]:
    return json.loads(log.read_text(encoding="utf-8").splitlines()[-1])


# -- shards that are not one run -------------------------------------------------------------
def report(apps: list[str], **run: Any) -> dict[str, Any]:
    """A findings report of the shape a run writes, with one failing finding per app."""
    return {
        "schema": "pytest-nocode/findings/v1", "tool": {"name": "pytest-nocode",
                                                        "version": "1.0"},
        "run": {"started": "2026-01-01T10:00:00+00:00", "finished": "2026-01-01T10:01:00+00:00",
                "policy_sha256": "p" * 64, "policy": "built-in default policy", **run},
        "apps": [{"id": a, "uri": f"n8n+file:{a}.json", "platform": "n8n", "source": "file",
                  "snapshot_sha256": "s" * 64} for a in apps],
        "findings": [{"app": a, "check": f"c.py::t[{a}]", "rule": "SEC001",
                      "category": "secrets", "owasp": [], "severity": "high",
                      "resource": {"kind": "node", "id": "n1", "name": "", "path": "w/n1"},
                      "message": "a key", "evidence": {}, "status": "fail", "waiver": None,
                      "risk": 40 + i} for i, a in enumerate(apps)],
        "not_applicable": [], "fail_on": "info", "top_risks": [], "stale_waivers": [],
    }


def shard(root: Path, name: str, data: dict[str, Any]) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_hand_made_shards_merge_and_recompute_the_risks(tmp_path: Path) -> None:
    a = shard(tmp_path, "a", report(["x", "y"]))
    b = shard(tmp_path, "b", report(["z"]))
    merged = merge(tmp_path / "out", [a, b]).report
    assert [t["app"] for t in merged["top_risks"]] == ["y", "x", "z"]  # risks 41, 40, 40
    assert [a["risk"] for a in merged["apps"]] == [
        {"max": 40, "sum": 40, "open_findings": 1}, {"max": 41, "sum": 41, "open_findings": 1},
        {"max": 40, "sum": 40, "open_findings": 1}]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["findings.json"]


@pytest.mark.parametrize(("first", "second", "message"), [
    (report(["x", "y"]), report(["y"]), r"app y is in two shards, \S+/a and \S+/b"),
    (report(["x"]), {**report(["y"]), "tool": {"name": "pytest-nocode", "version": "1.1"}},
     r"differ in tool version .*'1.0' and '1.1'"),
    (report(["x"]), report(["y"], policy_sha256="q" * 64), "differ in policy"),
    (report(["x"]), {**report(["y"]), "fail_on": "high"}, "differ in fail-on threshold"),
    (report(["x"], shard="1/3"), report(["y"], shard="3/3"), r"shard 2/3 missing"),
    (report(["x"], shard="1/2"), report(["y"], shard="1/2"), r"both --nocode-shard=1/2"),
    (report(["x"], shard="1/2"), report(["y"]), "ran without --nocode-shard"),
])
def test_shards_that_are_not_one_run_are_refused(tmp_path: Path, first: dict[str, Any],
                                                 second: dict[str, Any], message: str) -> None:
    folders = [shard(tmp_path, "a", first), shard(tmp_path, "b", second)]
    with pytest.raises(InputError, match=message):
        merge(tmp_path / "out", folders)
    assert not (tmp_path / "out").exists()  # nothing written from shards that disagree


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["findings"][0].update(app="elsewhere"),
     r"report.json: \$.findings\[0\].app: expected one of \$.apps\[\].id"),
    (lambda r: r["findings"][0].update(risk="high"), r"\$.findings\[0\].risk: expected an int"),
    (lambda r: r["apps"][0].pop("uri"), r"\$.apps\[0\].uri: expected a string"),
    (lambda r: r["run"].update(started="yesterday"), r"\$.run.started: expected an ISO-8601"),
    (lambda r: r.pop("findings"), r"\$.findings: expected a list"),
])
def test_a_bad_report_is_one_line_naming_file_and_json_path(tmp_path: Path, edit: Any,
                                                            message: str) -> None:
    bad = copy.deepcopy(report(["x"]))
    edit(bad)
    with pytest.raises(InputError, match=message) as caught:
        merge(tmp_path / "out", [shard(tmp_path, "a", bad)])
    assert "\n" not in str(caught.value)


def test_the_command_prints_one_line_for_bad_input(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "report.json").write_text('{"schema": "pytest-nocode/findings/v1",', "utf-8")
    assert main(["merge", str(tmp_path / "out"), str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "report.json:1:" in err and "invalid JSON" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["merge", str(tmp_path / "out"), str(empty)]) == 2
    assert "no findings report" in capsys.readouterr().err


def test_outputs_must_be_alike_in_every_shard(tmp_path: Path) -> None:
    a = shard(tmp_path, "a", report(["x"]))
    b = shard(tmp_path, "b", report(["y"]))
    (a / "allure").mkdir()
    (a / "allure" / "0001-result.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"shard \S+/b has no Allure results but \S+/a has"):
        merge(tmp_path / "out", [a, b])


def test_an_evidence_log_must_be_intact_and_of_the_same_run(tmp_path: Path) -> None:
    from pytest_nocode.reporting.evidence_log import findings_digest

    data = report(["x"])
    a = shard(tmp_path, "a", data)
    fields = {"apps": [{"id": "x"}], "findings_digest": findings_digest(data["findings"]),
              "counts": {"checks": {"collected": 3, "failed": 1}}, "exit_status": 1}
    append_record(a / "evidence.jsonl", {**fields, "findings_digest": "0" * 64})
    with pytest.raises(InputError, match=r"evidence.jsonl: record 1: not the run of"):
        merge(tmp_path / "out", [a])
    (a / "evidence.jsonl").unlink()
    append_record(a / "evidence.jsonl", fields)
    text = (a / "evidence.jsonl").read_text(encoding="utf-8")
    (a / "evidence.jsonl").write_text(text.replace('"failed":1', '"failed":0'), "utf-8")
    with pytest.raises(InputError, match=r"evidence.jsonl: record 1 .* was altered"):
        merge(tmp_path / "out", [a])
    (a / "evidence.jsonl").write_text(text, "utf-8")
    merge(tmp_path / "out", [a])
    assert load_last(tmp_path / "out" / "evidence-log.jsonl")["shards"][0]["seq"] == 1


def test_other_tools_sarif_in_a_shard_is_left_alone(tmp_path: Path) -> None:
    a = shard(tmp_path, "a", report(["x"]))
    other = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}},
                                           "results": []}]}
    (a / "semgrep.sarif").write_text(json.dumps(other), encoding="utf-8")
    assert [p.name for p in merge(tmp_path / "out", [a]).written] == ["findings.json"]
    ours = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "pytest-nocode",
                                                              "rules": "none"}}}]}
    (a / "nocode.sarif").write_text(json.dumps(ours), encoding="utf-8")
    with pytest.raises(InputError, match=r"nocode.sarif: \$.runs\[0\].tool.driver.rules"):
        merge(tmp_path / "out2", [a])


def test_an_evidence_record_without_counts_is_named(tmp_path: Path) -> None:
    from pytest_nocode.reporting.evidence_log import findings_digest

    data = report(["x"])
    a = shard(tmp_path, "a", data)
    append_record(a / "evidence.jsonl", {"apps": [{"id": "x"}], "exit_status": 0,
                                         "findings_digest": findings_digest(data["findings"])})
    with pytest.raises(InputError, match=r"evidence.jsonl: record 1: \$.counts.checks"):
        merge(tmp_path / "out", [a])


def test_keyed_shard_logs_need_the_key_and_the_merged_record_is_keyed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_nocode.reporting.evidence_log import KEY_VARIABLE, findings_digest

    key = "merge-test-key-4f1d9c"
    data = report(["x"])
    a = shard(tmp_path, "a", data)
    append_record(a / "evidence.jsonl", {
        "apps": [{"id": "x"}], "exit_status": 1, "findings_digest":
        findings_digest(data["findings"]), "counts": {"checks": {"collected": 2, "failed": 1}}},
        key.encode())
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    with pytest.raises(InputError, match=KEY_VARIABLE):
        merge(tmp_path / "out", [a])
    monkeypatch.setenv(KEY_VARIABLE, key)
    merge(tmp_path / "out", [a])
    assert load_last(tmp_path / "out" / "evidence-log.jsonl")["hash_alg"] == "hmac-sha256"
    assert verify(tmp_path / "out" / "evidence-log.jsonl", key=key.encode()).ok
    assert key not in (tmp_path / "out" / "evidence-log.jsonl").read_text(encoding="utf-8")
