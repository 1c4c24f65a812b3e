"""Risk scores (finding and app), top risks, and the --nocode-fail-on threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.policy import load_policy_text
from pytest_nocode.risk import AppExposure, RiskSettings, aggregate, assess, score, top_risks
from tests.conftest import node, run_json, tab

FLOW = [
    tab(), tab("t2", "Internal"),
    node("in1", "http in", url="/orders", method="post", wires=[["fn1"]]),
    node("fn1", "function", name="add customer", func="return msg;", wires=[["req1"]]),
    node("req1", "http request", url="https://partner.example.com/orders", wires=[[]]),
    node("inj", "inject", z="t2", wires=[["fn2"]]),
    node("fn2", "function", z="t2", func="return msg;", wires=[["req2"]]),
    node("req2", "http request", z="t2", url="https://erp.acme.internal/x", wires=[[]]),
]


def exposure(policy_text: str = "version: 1\n", flows: list[dict[str, Any]] = FLOW
             ) -> tuple[AppExposure, RiskSettings]:
    spec = AppSpec("nodered+file:x", "nodered", "file", "x", "app")
    app = NodeRedPlatform().normalize(spec, RawSnapshot("nodered", flows, "file"))
    policy = load_policy_text(policy_text, "p.yaml")
    return AppExposure(app, policy.host_internal), RiskSettings.from_policy(policy.data)


def finding(rid: str, severity: str = "high", kind: str = "node", message: str = "x",
            **extra: Any) -> dict[str, Any]:
    return {"app": "app", "rule": "R1", "severity": severity, "message": message,
            "evidence": {}, "resource": {"kind": kind, "id": rid, "name": "", "path": ""},
            "status": "fail", **extra}


def test_default_weights_give_the_documented_scores() -> None:
    settings = RiskSettings.from_policy({})
    assert score(settings, "critical", True, True, True) == 100
    assert score(settings, "critical", False, False, False) == 60
    assert score(settings, "info", False, False, False) == 0
    assert score(settings, "medium", True, False, False) == 50  # 60*.5 + 20
    assert score(settings, "low", False, True, True) == 35  # 60*.25 + 10 + 10


def test_exposure_from_open_entry_points_and_external_destinations() -> None:
    exp, settings = exposure()
    risk, factors = assess(settings, exp, finding("fn1", message="bad code"))
    assert factors == {"severity": "high", "unauthenticated_entry": True,
                       "leaves_boundary": True, "sensitive_data": ["customer"]}
    assert risk == 85  # 60 * 0.75 + 20 + 10 + 10
    _, factors = assess(settings, exp, finding("fn2"))
    assert factors["unauthenticated_entry"] is False
    assert factors["leaves_boundary"] is True  # erp.acme.internal is not internal yet


def test_policy_internal_hosts_keywords_and_weights() -> None:
    exp, settings = exposure("version: 1\nhosts:\n  internal: ['*.acme.internal']\nrisk:\n"
                             "  weights: {severity: 1, unauthenticated_entry: 1, "
                             "leaves_boundary: 1, sensitive_data: 1}\n"
                             "  sensitive_keywords: [orders]\n")
    risk, factors = assess(settings, exp, finding("fn2", severity="critical"))
    assert factors["leaves_boundary"] is False and factors["sensitive_data"] == []
    assert risk == 25
    risk, factors = assess(settings, exp, finding("fn1", severity="info"))
    assert factors["sensitive_data"] == ["orders"] and risk == 75


def test_workflow_and_config_node_findings_use_their_steps() -> None:
    flows = [tab(), node("in1", "http in", url="/x", wires=[["mq"]]),
             node("mq", "mqtt out", broker="b1", wires=[]),
             {"id": "b1", "type": "mqtt-broker", "broker": "mqtt.example.com", "port": "1883"}]
    exp, settings = exposure(flows=flows)
    _, factors = assess(settings, exp, finding("b1"))
    assert factors["leaves_boundary"] is True and factors["unauthenticated_entry"] is True
    _, factors = assess(settings, exp, finding("t1", kind="workflow"))
    assert factors["unauthenticated_entry"] is True
    _, factors = assess(settings, exp, finding("adminAuth", kind="setting"))
    assert not factors["unauthenticated_entry"] and not factors["leaves_boundary"]


def test_aggregate_and_top_risks_leave_out_waived() -> None:
    findings = [finding("a", risk=40), finding("b", risk=90), finding("c", risk=70,
                                                                       status="waived"),
                finding("d", risk=10, status="warn")]
    assert aggregate(findings) == {"max": 90, "sum": 140, "open_findings": 3}
    assert [t["resource"]["id"] for t in top_risks(findings, 2)] == ["b", "a"]
    assert aggregate([]) == {"max": 0, "sum": 0, "open_findings": 0}


def test_risk_in_report_apps_and_terminal(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([*FLOW, node("ex1", "exec", command="ls", addpay="payload", wires=[]),
                         node("in2", "http in", url="/run", wires=[["ex1"]])])
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    risks = [f["risk"] for f in report["findings"]]
    assert all(isinstance(r, int) and 0 <= r <= 100 for r in risks) and len(risks) >= 3
    assert all("unauthenticated_entry" in f["risk_factors"] for f in report["findings"])
    app = report["apps"][0]["risk"]
    assert app == {"max": max(risks), "sum": sum(risks), "open_findings": len(risks)}
    top = report["top_risks"]
    assert len(top) == min(5, len(risks))
    assert [t["risk"] for t in top] == sorted(risks, reverse=True)[:len(top)]
    lines = result.stdout.lines
    start = lines.index("top risks:")
    assert len([x for x in lines[start + 1:start + 7] if x.startswith("  ")]) == len(top)
    assert lines[start + 1].split()[0] == str(top[0]["risk"])
    result.stdout.fnmatch_lines([f"app risk: nodered-flows max {app['max']} sum {app['sum']}"])


def test_fail_on_reports_lower_findings_without_failing(pytester: pytest.Pytester,
                                                        write_flows) -> None:
    keep = node("keep", "change", wires=[["out"]],  # the route acts: it keeps what it is sent
                rules=[{"t": "set", "p": "last", "pt": "flow", "to": "payload", "tot": "msg"}])
    flows = write_flows([tab(), node("in1", "http in", url="/run", wires=[["keep"]]), keep,
                         node("out", "http response", wires=[])])
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    severities = {f["rule"]: f["severity"] for f in report["findings"]}
    assert result.ret == pytest.ExitCode.TESTS_FAILED and "high" in severities.values()
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                              "--nocode-fail-on=critical")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert report["fail_on"] == "critical"
    assert {f["status"] for f in report["findings"]} == {"warn"}
    assert {f["verdict"] for f in report["findings"]} == {"warn"}
    result.stdout.fnmatch_lines(["0 finding(s): none; * below the fail-on threshold",
                                 "*(below --nocode-fail-on: reported, not failing)"])
    pytester.makeini("[pytest]\nnocode_fail_on = low\n")
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failing = {f["severity"] for f in report["findings"] if f["status"] == "fail"}
    assert failing and "info" not in failing


def test_fail_on_rejects_unknown_words(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([tab()])
    result = pytester.runpytest(f"--nocode-app=nodered+file:{flows}", "--nocode-fail-on=huge")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nocode-fail-on: invalid choice: 'huge'*"])
    pytester.makeini("[pytest]\nnocode_fail_on = huge\n")
    result = pytester.runpytest(f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nocode_fail_on: unknown severity 'huge'*"])


def test_risk_section_is_validated(tmp_path: Path) -> None:
    from pytest_nocode.errors import InputError

    with pytest.raises(InputError, match=r"p.yaml:3: \$.risk.weights: unknown key 'sev'"):
        load_policy_text("version: 1\nrisk:\n  weights: {sev: 1}\n", "p.yaml")
    with pytest.raises(InputError, match=r"risk.severity_scale.high"):
        load_policy_text("risk:\n  severity_scale: {high: 2}\n", "p.yaml")


def test_keywords_inside_secret_values_are_not_sensitive_data() -> None:
    """A token that happens to contain 'ssn' is no evidence of personal data (and naming the
    word would hint at the secret)."""
    from pytest_nocode.risk import AppExposure, sensitive_terms
    from pytest_nocode.testing import app_from

    token = "ghp_" + "ssnX" * 9
    flows = [{"id": "t", "type": "tab"},
             {"id": "f", "type": "function", "z": "t", "name": "Sign",
              "func": f'const token = "{token}";\nreturn msg;', "wires": []}]
    app = app_from("nodered", flows)
    exposure = AppExposure(app, lambda host: False)
    finding = {"message": "GitHub Token written into func:line 1", "evidence": {},
               "resource": {"kind": "node", "id": "f"}}
    steps = exposure.steps_of(finding["resource"])
    assert sensitive_terms(["ssn"], finding, steps, exposure.secrets_of) == []
    assert sensitive_terms(["ssn"], finding, steps) == ["ssn"]  # without blanking it would


def test_step_keywords_found_once_per_step_give_the_whole_haystacks_terms() -> None:
    """A step's keywords are found once per app (``AppExposure.step_terms``); the terms are
    those of the whole haystack, the finding's own text and its steps' alike, and a second
    keyword list is not answered from the first's."""
    from pytest_nocode.risk import sensitive_terms

    exp, settings = exposure()
    steps = exp.with_neighbours(exp.steps_of({"kind": "node", "id": "fn1"}))
    fn = finding("fn1", message="salary export")
    whole = sensitive_terms(settings.keywords, fn, steps, exp.secrets_of)  # no per-step memo
    assert whole == ["customer", "salary"]  # "customer": the function's name; the message
    assert sensitive_terms(settings.keywords, fn, steps, exp.secrets_of, exp) == whole
    assert sensitive_terms(settings.keywords, fn, steps, exp.secrets_of, exp) == whole
    assert exp.step_terms(exp.app.step("fn1"), settings.keywords) == {"customer"}
    assert sensitive_terms(("orders",), finding("fn1"), steps, exp.secrets_of, exp) == [
        "orders"]  # the http in's url and the request's
    assert sensitive_terms(("customer",), finding("fn2"), [exp.app.step("fn2")],
                           exp.secrets_of, exp) == []


def test_a_steps_terms_are_kept_not_its_text() -> None:
    """What a finding's risk needs of a step is the keywords in it: the step's text is made,
    searched and let go (it copied the step's whole configuration, for every step a finding
    touched, for the whole run); equal term sets are one object. Asked for itself, the text
    is still kept, and the terms then come from it."""
    exp, settings = exposure()
    steps = exp.with_neighbours(exp.steps_of({"kind": "node", "id": "fn1"}))
    for step in steps:
        exp.step_terms(step, settings.keywords)
    assert exp._texts == {}
    found = [exp.step_terms(step, settings.keywords) for step in steps]
    assert any(found)
    empty = [terms for terms in found if not terms]
    assert all(terms is found[found.index(terms)] for terms in found)  # one object per set
    assert len({id(terms) for terms in empty}) <= 1
    fn1 = exp.app.step("fn1")
    assert "customer" in exp.step_text(fn1)
    assert exp.step_terms(fn1, ("customer", "orders")) == {"customer"}
