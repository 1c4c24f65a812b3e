"""What depends only on the run is answered once per run, not once per check item (issue 8):
the rule in force (the policy's severity, the rule's report JSON), what the run lacks for
checks that need it, and Allure's policy excerpt of a check. Each answer is kept with the
policy it was given for: another policy (or baseline) gets its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from pytest_nocode.findings import Rule, Severity
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import load_policy, load_policy_text
from pytest_nocode.reporting.allure import _excerpt_text, policy_excerpt
from pytest_nocode.run import NocodeRun
from pytest_nocode.transport import RecordingOptions
from tests.conftest import node, tab

RULE = Rule("AUTH001", "Inbound endpoint without authentication", "authentication",
            Severity.HIGH, ("LCNC-SEC-01",), remediation="Require a login.")
LOWERED = ("version: 1\nrules:\n  AUTH001:\n    severity: low\n"
           "risk:\n  weights:\n    severity: 50\n")


def _run(policy_text: str | None = None) -> NocodeRun:
    policy = load_policy_text(policy_text, "policy.yaml") if policy_text else load_policy(None)
    return NocodeRun([], policy, PlatformRegistry(builtin_platforms()),
                     RecordingOptions(None, Path("cassettes")), datetime.now(UTC), False)


def test_the_rule_in_force_is_worked_out_once_per_rule() -> None:
    run = _run(LOWERED)
    rule, as_json = run.rule_in_force(RULE)
    assert rule.severity is Severity.LOW and as_json["severity"] == "low"
    assert as_json == {"id": "AUTH001", "title": RULE.title, "category": "authentication",
                       "severity": "low", "owasp": ["LCNC-SEC-01"], "rationale": "",
                       "remediation": "Require a login.", "docs": ""}
    again = run.rule_in_force(RULE)
    assert again[0] is rule and again[1] is as_json  # the same answer, not made anew
    other = Rule("AUTH002", "Another", "authentication", Severity.MEDIUM, ("LCNC-SEC-01",))
    assert run.rule_in_force(other)[0].severity is Severity.MEDIUM  # the policy is silent


def test_another_policy_gets_its_own_rule_in_force() -> None:
    run = _run(LOWERED)
    lowered = run.rule_in_force(RULE)[0]
    run.policy = load_policy(None)  # as a waivers file merged at configure would replace it
    assert lowered.severity is Severity.LOW
    assert run.rule_in_force(RULE)[0].severity is Severity.HIGH


def test_a_rule_made_by_hand_with_a_list_is_answered_without_being_kept() -> None:
    run = _run(LOWERED)
    odd = Rule("AUTH001", "Listed", "authentication", Severity.HIGH,
               ["LCNC-SEC-01"])  # type: ignore[arg-type]  # not hashable
    assert run.rule_in_force(odd)[1]["severity"] == "low"


def test_what_the_run_lacks_is_answered_once_until_the_baseline_changes() -> None:
    run = _run()
    lacks = run.lacks()
    assert set(lacks) == {"hosts.allow", "owners", "kri", "baseline"}
    assert run.lacks() is lacks
    with pytest.raises(TypeError):
        lacks["owners"] = "changed"  # type: ignore[index]  # shared: read-only
    run.audit.baseline_path = Path("baseline.json")
    run.audit.baseline_existed = True
    assert "baseline" not in run.lacks()
    run.policy = load_policy_text("version: 1\nowners:\n  - owner: team-a\n", "policy.yaml")
    assert set(run.lacks()) == {"hosts.allow", "kri"}


def _finding(app: str, risk: int | None = 40, waiver: dict[str, object] | None = None
             ) -> dict[str, object]:
    return {"app": app, "rule": "AUTH001", "risk": risk, "waiver": waiver}


WAIVER = {"justification": "behind the gateway", "owner": "platform", "expires": "2099-01-01",
          "ticket": None, "source": "policy.yaml:4", "expired": False}


def test_a_checks_policy_excerpt_is_one_text_for_every_app() -> None:
    run = _run(LOWERED)
    first = _excerpt_text(run, RULE, [_finding("app-a")])
    assert _excerpt_text(run, RULE, [_finding("app-b")]) is first
    assert yaml.safe_load(first) == policy_excerpt(run.policy, RULE, [_finding("app-a")])
    unscored = _excerpt_text(run, RULE, [])  # no risk score: no risk section
    assert "risk" in yaml.safe_load(first) and "risk" not in yaml.safe_load(unscored)


def test_a_waived_result_keeps_its_own_excerpt_and_leaves_the_others_alone() -> None:
    run = _run(LOWERED)
    waived = yaml.safe_load(_excerpt_text(run, RULE, [_finding("app-a", waiver=WAIVER)]))
    assert waived["waivers_applied"] == [WAIVER]
    plain = _excerpt_text(run, RULE, [_finding("app-b")])
    assert "waivers_applied" not in yaml.safe_load(plain)
    run.policy = load_policy(None)
    assert yaml.safe_load(_excerpt_text(run, RULE, [_finding("app-b")]))["policy"] != \
        yaml.safe_load(plain)["policy"]


def test_each_apps_excerpt_attachment_is_the_policys_own(pytester: pytest.Pytester) -> None:
    """End to end: three apps, one of them waived; every result's excerpt reads as before."""
    flow = [tab("t1", "Orders"), node("in1", "http in", url="/orders", method="post",
                                      wires=[["out1"]]), node("out1", "http response")]
    for name in ("a", "b", "c"):
        (pytester.path / f"{name}.json").write_text(json.dumps(flow), encoding="utf-8")
    (pytester.path / "policy.yaml").write_text(
        "version: 1\nwaivers:\n  - rule: OPEN001\n    app: nodered-c\n"
        "    justification: behind the old gateway for the pilot\n    owner: platform\n"
        "    expires: \"2099-01-01\"\n", encoding="utf-8")
    pytester.makepyfile(test_open="""
from pytest_nocode import check

@check("OPEN001", title="Open route", category="authentication", severity="high")
def test_open(nocode_app, nocode_findings):
    for step in nocode_app.steps_of_type("http in"):
        nocode_findings.add(step, "open", {"url": step.params.get("url")})
""")
    results = pytester.path / "allure"
    pytester.runpytest("-p", "no:cacheprovider", "--nocode-no-builtin",
                       "--nocode-policy=policy.yaml", f"--alluredir={results}",
                       *(f"--nocode-app=nodered+file:{n}.json" for n in "abc"))
    excerpts = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        app = next(p["value"] for p in result["parameters"] if p["name"] == "nocode_app")
        [source] = [a["source"] for a in result["attachments"] if a["name"] == "policy excerpt"]
        excerpts[app.strip("'\"")] = yaml.safe_load((results / source).read_text())
    assert set(excerpts) == {"nodered-a", "nodered-b", "nodered-c"}
    assert excerpts["nodered-a"] == excerpts["nodered-b"]
    assert "waivers_applied" not in excerpts["nodered-a"]
    assert excerpts["nodered-c"]["waivers_applied"][0]["owner"] == "platform"
    assert {k: v for k, v in excerpts["nodered-c"].items() if k != "waivers_applied"} == \
        excerpts["nodered-a"]
