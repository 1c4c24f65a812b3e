"""pytest_nocode.testing: unit-testing a custom check without a whole pytest run."""

from __future__ import annotations

import pytest

from pytest_nocode import check
from pytest_nocode.testing import app_from, rule_of, run_check


@check("ACME-001", title="No exec nodes", category="injection", severity="high",
       platforms=("nodered",))
def no_exec(nocode_app, nocode_findings) -> None:
    for step in nocode_app.steps_of_type("exec"):
        nocode_findings.add(step, "exec is banned", {"command": step.params.get("command")})


FLOWS = [{"id": "t", "type": "tab", "label": "T"},
         {"id": "a", "type": "exec", "z": "t", "command": "ls", "wires": []}]


def test_run_check_returns_findings() -> None:
    result = run_check(no_exec, app_from("nodered", FLOWS))
    assert [(f.resource.id, f.evidence) for f in result.findings or []] == [
        ("a", {"command": "ls"})]
    assert result.skip_reason == ""


def test_run_check_applies_the_plugins_gate() -> None:
    workflows = {"workflows": [{"id": "w", "name": "W", "nodes": [], "connections": {}}]}
    result = run_check(no_exec, app_from("n8n", workflows))
    assert result.findings is None
    assert result.skip_reason.startswith("not applicable: ACME-001 is for nodered")


def test_rule_of_refuses_undecorated_functions() -> None:
    assert rule_of(no_exec).id == "ACME-001"
    with pytest.raises(ValueError, match="not decorated"):
        rule_of(test_run_check_returns_findings)
