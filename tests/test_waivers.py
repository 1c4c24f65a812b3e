"""Waivers: the separate waivers file, the verdict kept beside the waiver, expiry, staleness."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pytest

from pytest_nocode.errors import InputError
from pytest_nocode.findings import Waiver
from pytest_nocode.policy import DEFAULT_POLICY_SOURCE, load_policy, load_policy_text
from pytest_nocode.waivers import parse_waivers, stale_waivers, waiver_matches
from tests.conftest import node, run_json, tab

FLOW = [
    tab(),
    node("in1", "http in", url="/run", method="post", wires=[["ex1"]]),
    node("ex1", "exec", command="ls", addpay="payload", wires=[["out1"], [], []]),
    node("out1", "http response", wires=[]),
]
FUTURE = (date.today() + timedelta(days=90)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def flows(write_flows) -> Path:
    return write_flows(FLOW)


def test_waived_finding_keeps_its_verdict_and_does_not_fail(pytester: pytest.Pytester,
                                                             flows: Path) -> None:
    waivers = _write(pytester.path / "waivers.yaml", f"""\
        waivers:
          - rule: INJ001
            resources: [ex1]
            justification: the exec node runs a fixed allowlisted script in a sandbox
            owner: platform-team
            expires: {FUTURE}
            ticket: SEC-42
          - rule: AUTH001
            resources: ["flows/t1/*"]
            justification: reverse proxy in front of this instance enforces SSO
            owner: platform-team
            expires: {FUTURE}
          - rule: LOG002
            justification: errors are caught by the platform's own status monitoring
            owner: ops
            expires: {FUTURE}
        """)
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                              f"--nocode-waivers={waivers}")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    inj = next(f for f in report["findings"] if f["rule"] == "INJ001")
    assert inj["status"] == "waived" and inj["verdict"] == "fail"
    assert inj["waiver"]["owner"] == "platform-team"
    assert inj["waiver"]["ticket"] == "SEC-42"
    assert inj["waiver"]["expires"] == FUTURE and inj["waiver"]["expired"] is False
    assert inj["waiver"]["source"] == f"{waivers}:2"
    assert report["waivers_file"]["path"] == str(waivers)
    assert len(report["waivers_file"]["sha256"]) == 64
    out = result.stdout.str()
    assert "(waived, verdict fail: platform-team until" in out
    assert report["stale_waivers"] == []


def test_expired_waiver_fails_as_the_finding_would_and_says_so(pytester: pytest.Pytester,
                                                               flows: Path) -> None:
    pytester.makefile(".yaml", policy=f"""\
        version: 1
        waivers:
          - rule: INJ001
            resources: [ex1]
            justification: accepted for the pilot phase only
            owner: platform-team
            expires: {PAST}
        """)
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                              "--nocode-policy=policy.yaml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    inj = next(f for f in report["findings"] if f["rule"] == "INJ001")
    assert inj["status"] == "fail" and inj["waiver"]["expired"] is True
    result.stdout.fnmatch_lines([f"*ex1*(waiver expired {PAST}, *policy.yaml:3)*"])
    # 34 not applicable: 23 (other platform, facets a file lacks) never become items
    result.assert_outcomes(failed=3, passed=14, skipped=11, deselected=23)
    assert len(report["not_applicable"]) == 34


def test_stale_waivers_are_reported_on_the_controller(pytester: pytest.Pytester,
                                                      flows: Path) -> None:
    waivers = _write(pytester.path / "waivers.yaml", f"""\
        - rule: INJ001
          resources: [ex1]
          justification: the exec node runs a fixed allowlisted script
          owner: platform-team
          expires: {FUTURE}
        - rule: INJ001
          resources: [no-such-node]
          justification: this node was deleted months ago
          owner: platform-team
          expires: {FUTURE}
        - rule: INJ01
          justification: a mistyped rule id that can never match
          owner: someone
          expires: {FUTURE}
        - rule: INJ001
          app: other-app
          justification: waiver for an app this run did not scan
          owner: someone
          expires: {FUTURE}
        """)
    for extra in ([], ["-n", "2", "-p", "no:benchmark"]):
        result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                                  f"--nocode-waivers={waivers}", *extra)
        stale = {s["source"].rsplit(":", 1)[1]: s for s in report["stale_waivers"]}
        assert set(stale) == {"6", "11", "15"}, (extra, report["stale_waivers"])
        assert stale["6"]["reason"] == "no finding matched"
        assert stale["11"]["reason"] == "no check with a matching rule ran"
        assert stale["15"]["reason"] == "no app of this run matches its app glob"
        assert stale["6"]["owner"] == "platform-team" and stale["6"]["expires"] == FUTURE
        result.stdout.fnmatch_lines([f"stale waiver {waivers}:6 (rule INJ001, owner "
                                     "platform-team): no finding matched; remove it"])


@pytest.mark.parametrize(("body", "line", "expected"), [
    ("- rule: X\n  owner: a\n  expires: 2030-01-01\n", 1, "'justification' is required"),
    ("- rule: X\n  justification: long enough text\n  expires: 2030-01-01\n", 1,
     "'owner' is required"),
    ("- rule: X\n  justification: long enough text\n  owner: a\n", 1, "'expires' is required"),
    ("waivers:\n  - rule: X\n    justification: long enough text\n    owner: a\n"
     "    expires: 31.12.2030\n", 5, "expected an ISO date YYYY-MM-DD"),
    ("waivers:\n  - rule: X\n    justification: short\n    owner: a\n"
     "    expires: 2030-01-01\n", 3, "too short"),
    ("waivers:\n  - rule: X\n    justification: long enough text\n    owner: a\n"
     "    expires: 2030-01-01\n    reason: typo\n", 6, "unknown key 'reason'"),
    ("waiver: []\n", 1, "unknown key 'waiver'"),
])
def test_waivers_file_errors_name_file_line_and_shape(tmp_path: Path, body: str, line: int,
                                                      expected: str) -> None:
    with pytest.raises(InputError) as info:
        parse_waivers(body, "w.yaml")
    message = str(info.value)
    assert f"w.yaml:{line}:" in message and expected in message, message
    assert "each waiver is a mapping with rule, justification" in message


def test_waivers_file_error_stops_the_run(pytester: pytest.Pytester, flows: Path) -> None:
    _write(pytester.path / "w.yaml", "- rule: INJ001\n  owner: me\n  expires: 2030-01-01\n")
    result = pytester.runpytest(f"--nocode-app=nodered+file:{flows}", "--nocode-waivers=w.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "w.yaml:1: $.waivers[0]: 'justification' is required" in result.stderr.str()
    missing = pytester.runpytest(f"--nocode-app=nodered+file:{flows}",
                                 "--nocode-waivers=nope.yaml")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--nocode-waivers *nope.yaml: no such file*"])


def test_waivers_file_from_ini(pytester: pytest.Pytester, flows: Path) -> None:
    _write(pytester.path / "w.yaml", f"""\
        - rule: "*"
          justification: everything accepted for this throwaway demo
          owner: me
          expires: {FUTURE}
        """)
    pytester.makeini(f"[pytest]\nnocode_apps = nodered+file:{flows}\nnocode_waivers = w.yaml\n")
    result, report = run_json(pytester)
    assert result.ret == pytest.ExitCode.OK
    assert report["findings"] and {f["status"] for f in report["findings"]} == {"waived"}


def test_unquoted_yaml_dates_are_accepted_in_policy_and_file() -> None:
    [w] = parse_waivers("- rule: A1\n  justification: long enough text\n  owner: o\n"
                        "  expires: 2030-01-31\n", "w.yaml")
    assert w.expires == "2030-01-31" and w.source == "w.yaml:1"
    policy = load_policy_text("waivers:\n  - rule: A1\n    justification: long enough text\n"
                              "    owner: o\n    expires: 2030-01-31\n", "p.yaml")
    assert policy.waivers[0].expires == "2030-01-31"


@pytest.mark.parametrize(("rule", "app", "ids", "expected"), [
    ("INJ001", "a", ["ex1"], True),
    ("INJ002", "a", ["ex1"], False),
    ("INJ001", "b", ["ex1"], False),
    ("INJ001", "a", ["other", "flows/t1/ex1"], True),
    ("INJ001", "a", ["flows/t2/ex1"], False),
])
def test_waiver_matching_agrees_with_the_policy(rule: str, app: str, ids: list[str],
                                                expected: bool) -> None:
    waiver = Waiver("INJ00[1]", ("a",), ("ex1", "flows/t1/*"), "long enough text", "o",
                    "2030-01-01")
    policy = load_policy_text("version: 1\n", "p.yaml")
    policy = type(policy)(policy.source, policy.sha256, policy.data, (waiver,))
    assert waiver_matches(waiver, rule, app, ids) is expected
    assert (policy.waiver_for(rule, app, ids) is waiver) is expected


def test_stale_waivers_unit() -> None:
    used = Waiver("R1", ("*",), ("n1",), "long enough text", "o", "2030-01-01", source="a:1")
    unused = Waiver("R1", ("*",), ("n2",), "long enough text", "o", "2030-01-01", source="a:2")
    finding = {"rule": "R1", "app": "x", "resource": {"id": "n1", "path": "flows/t/n1"}}
    assert stale_waivers([used, unused], [finding], ["R1"], ["x"]) == [
        (unused, "no finding matched")]


def test_the_builtin_default_policy_passes_the_schema_it_skips_at_run_time() -> None:
    text = resources.files("pytest_nocode").joinpath("default_policy.yaml").read_text("utf-8")
    validated = load_policy_text(text, DEFAULT_POLICY_SOURCE)  # raises when invalid
    assert validated == load_policy(None)
