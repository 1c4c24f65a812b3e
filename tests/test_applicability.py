"""Checks that cannot apply to an app are left out at collection and recorded as not
applicable: in the findings JSON (check and reason), the terminal and Allure, with and
without xdist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import node, run_json, tab

CHECKS = """
from pytest_nocode import check


@check("T-N8N", title="Only for n8n", category="configuration", severity="low",
       platforms=["n8n"])
def test_for_n8n(nocode_app, nocode_findings):
    pass


@check("T-SETTINGS", title="Needs the settings", category="configuration", severity="low",
       requires=["settings"])
def test_needs_settings(nocode_app, nocode_findings):
    pass


@check("T-ANY", title="Any app", category="configuration", severity="low")
def test_any_app(nocode_app, nocode_findings):
    pass


@check("T-OFF", title="Turned off", category="configuration", severity="low",
       platforms=["n8n"])
def test_turned_off(nocode_app, nocode_findings):
    pass
"""
POLICY = "version: 1\nrules:\n  T-OFF:\n    enabled: false\n"
LEFT_OUT = [
    {"check": "test_checks.py::test_for_n8n[nodered-flows]",
     "reason": "not applicable: T-N8N is for n8n"},
    {"check": "test_checks.py::test_needs_settings[nodered-flows]",
     "reason": "not applicable: nodered-flows has no settings data (nodered export)"},
]


def _flows(folder: Path) -> Path:
    path = folder / "flows.json"
    path.write_text(json.dumps([tab(), node("in1", "http in", url="/x", wires=[])]),
                    encoding="utf-8")
    return path


def _allure(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*-result.json")]


def _labels(result: dict[str, Any]) -> dict[str, str]:
    return {label["name"]: label["value"] for label in result["labels"]}


@pytest.mark.parametrize("workers", [[], ["-n", "2", "-p", "no:benchmark"]],
                         ids=["serial", "xdist"])
def test_left_out_checks_are_recorded_as_not_applicable(pytester: pytest.Pytester,
                                                        workers: list[str]) -> None:
    pytester.makepyfile(test_checks=CHECKS)
    (pytester.path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{_flows(pytester.path)}",
                              "--nocode-no-builtin", "--nocode-policy=policy.yaml",
                              f"--alluredir={pytester.path / 'allure'}", *workers)
    assert result.ret == pytest.ExitCode.OK
    # the look-alike runs; a check the policy turns off stays an item, skipped as before
    result.assert_outcomes(passed=1, skipped=1, **({} if workers else {"deselected": 2}))
    assert report["not_applicable"] == LEFT_OUT
    result.stdout.fnmatch_lines(["2 check(s) not applicable *"])

    skipped = {r["name"]: r for r in _allure(pytester.path / "allure")
               if r["status"] == "skipped"}
    assert sorted(skipped) == ["T-N8N · Only for n8n", "T-OFF · Turned off",
                               "T-SETTINGS · Needs the settings"]  # each once, on xdist too
    n8n = skipped["T-N8N · Only for n8n"]
    assert n8n["statusDetails"]["message"] == "Skipped: not applicable: T-N8N is for n8n"
    assert n8n["titlePath"] == ["nodered-flows", "configuration", "T-N8N · Only for n8n"]
    assert n8n["fullName"] == "test_checks#test_for_n8n"
    assert _labels(n8n)["rule"] == "T-N8N" and _labels(n8n)["severity"] == "minor"


def test_builtin_checks_left_out_alike_under_xdist(pytester: pytest.Pytester) -> None:
    """The demo (both platforms) and a bare flows file: what is left out, and every finding,
    are the same whether one process or two workers collect and run the checks."""
    apps = ["--nocode-app=demo", f"--nocode-app=nodered+file:{_flows(pytester.path)}"]
    serial, single = run_json(pytester, *apps, f"--alluredir={pytester.path / 'a1'}")
    parallel, split = run_json(pytester, *apps, f"--alluredir={pytester.path / 'a2'}",
                               "-n", "2", "-p", "no:benchmark")
    assert serial.ret == parallel.ret == pytest.ExitCode.TESTS_FAILED
    assert single["findings"] == split["findings"]
    assert single["not_applicable"] == split["not_applicable"]
    assert any("is for n8n" in na["reason"] for na in single["not_applicable"])

    def outcomes(folder: str) -> list[tuple[str, str, str]]:
        return sorted((r["fullName"], r["parameters"][0]["value"], r["status"])
                      for r in _allure(pytester.path / folder))

    assert outcomes("a1") == outcomes("a2")


NEEDS_CHECKS = """
import pytest

from pytest_nocode import check


@check("T-HOSTS", title="Needs the host allowlist", category="connectors", severity="low",
       needs=["hosts.allow"])
@pytest.mark.parametrize("port", ["80"])
def test_needs_allowlist(nocode_app, nocode_findings, port):
    pass


@check("T-BASE", title="Needs the baseline", category="inventory", severity="low",
       needs=["baseline"])
def test_needs_baseline(nocode_app, nocode_findings):
    pass


@check("T-ANY", title="Any app", category="configuration", severity="low")
def test_any_app(nocode_app, nocode_findings):
    pass
"""
ALLOWLIST = "version: 1\nhosts:\n  allow: ['*.example.com']\n"


@pytest.mark.parametrize("workers", [[], ["-n", "2", "-p", "no:benchmark"]],
                         ids=["serial", "xdist"])
def test_checks_needing_what_the_run_lacks_are_left_out(pytester: pytest.Pytester,
                                                        workers: list[str]) -> None:
    pytester.makepyfile(test_checks=NEEDS_CHECKS)
    app = f"--nocode-app=nodered+file:{_flows(pytester.path)}"
    result, report = run_json(pytester, app, "--nocode-no-builtin",
                              f"--alluredir={pytester.path / 'allure'}", *workers)
    assert result.ret == pytest.ExitCode.OK
    assert report["not_applicable"] == [
        {"check": "test_checks.py::test_needs_allowlist[nodered-flows-80]",
         "reason": "not applicable: policy built-in default policy sets no hosts.allow"},
        {"check": "test_checks.py::test_needs_baseline[nodered-flows]",
         "reason": "not applicable: no baseline given (--nocode-baseline=PATH)"}]
    result.assert_outcomes(passed=1, **({} if workers else {"deselected": 2}))
    skipped = {r["name"]: r for r in _allure(pytester.path / "allure")}
    hosts = skipped["T-HOSTS · Needs the host allowlist"]
    assert hosts["status"] == "skipped"
    # every parameter of the item, as allure-pytest names a skipped item's
    assert {p["name"]: p["value"] for p in hosts["parameters"]} == {
        "nocode_app": "'nodered-flows'", "port": "'80'"}

    # the look-alike: the policy gives the allowlist, so the check runs (and passes)
    (pytester.path / "policy.yaml").write_text(ALLOWLIST, encoding="utf-8")
    result, report = run_json(pytester, app, "--nocode-no-builtin",
                              "--nocode-policy=policy.yaml", *workers)
    result.assert_outcomes(passed=2, **({} if workers else {"deselected": 1}))
    assert [r["check"] for r in report["not_applicable"]] == [
        "test_checks.py::test_needs_baseline[nodered-flows]"]


def test_a_need_the_run_cannot_name_is_refused() -> None:
    from pytest_nocode import check

    with pytest.raises(ValueError, match="unknown need 'hosts'"):
        check("T-X", title="x", category="connectors", severity="low", needs=["hosts"])


SEEN = """
def pytest_itemcollected(item):
    with open("items.txt", "a", encoding="utf-8") as fh:
        fh.write(item.nodeid + "\\n")
"""


def _two_flows(folder: Path) -> list[str]:
    apps = []
    for name in ("a", "b"):
        path = folder / f"{name}.json"
        path.write_text(json.dumps([tab(), node("in1", "http in", url="/x", wires=[])]),
                        encoding="utf-8")
        apps.append(f"--nocode-app=nodered+file:{path}")
    return apps


def test_checks_that_cannot_apply_are_never_made_items(pytester: pytest.Pytester) -> None:
    """An n8n-only check over two Node-RED apps: only its first parametrization becomes an
    item (pytest would make an unparametrized one of none), left out as before; the other is
    left out before it is an item. Reports and counts are those of items left out."""
    pytester.makepyfile(test_checks=CHECKS)
    pytester.makeconftest(SEEN)
    result, report = run_json(pytester, *_two_flows(pytester.path), "--nocode-no-builtin", "-v")
    made = (pytester.path / "items.txt").read_text(encoding="utf-8").split()
    assert "test_checks.py::test_for_n8n[nodered-a]" in made
    assert "test_checks.py::test_for_n8n[nodered-b]" not in made
    assert "test_checks.py::test_needs_settings[nodered-b]" not in made
    assert sorted(r["check"] for r in report["not_applicable"]) == [
        f"test_checks.py::test_{name}[nodered-{app}]"
        for name in ("for_n8n", "needs_settings", "turned_off") for app in "ab"]
    result.assert_outcomes(passed=2, deselected=6)
    result.stdout.fnmatch_lines(["*collected 8 items / 6 deselected / 2 selected"])


def test_a_narrowed_selection_makes_every_item_first(pytester: pytest.Pytester) -> None:
    """The look-alike: with -k, what the selection drops is not recorded as not applicable,
    so every check is an item first and only the selected ones are left out."""
    pytester.makepyfile(test_checks=CHECKS)
    pytester.makeconftest(SEEN)
    result, report = run_json(pytester, *_two_flows(pytester.path), "--nocode-no-builtin",
                              "-k", "for_n8n or any_app")
    made = (pytester.path / "items.txt").read_text(encoding="utf-8").split()
    assert len(made) == 8 and "test_checks.py::test_for_n8n[nodered-b]" in made
    assert sorted(r["check"] for r in report["not_applicable"]) == [
        "test_checks.py::test_for_n8n[nodered-a]", "test_checks.py::test_for_n8n[nodered-b]"]
    result.assert_outcomes(passed=2, deselected=6)
