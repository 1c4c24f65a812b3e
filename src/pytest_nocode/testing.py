"""Unit-testing checks: run one check function on one app, the way the plugin would.

For teams testing their own checks (and for our detection tests) without a whole pytest run::

    from pytest_nocode.testing import app_from, run_check

    app = app_from("nodered", [{"id": "a", "type": "exec", "z": "t", "addpay": "payload"}])
    result = run_check(test_no_exec_nodes, app)
    assert [f.resource.id for f in result.findings] == ["a"]

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec
from pytest_nocode.findings import Finding, FindingCollector, Rule
from pytest_nocode.model import App
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import Policy, load_policy, why_not_applicable
from pytest_nocode.redaction import Redactor

Check = Callable[..., None]


@dataclass(frozen=True)
class CheckResult:
    """What one check said about one app: findings, or why it was not applicable."""

    findings: list[Finding] | None  # None when the check did not run to the end
    skip_reason: str = ""


def builtin_checks() -> list[Check]:
    """Every built-in check: the ``@check`` test functions of ``pytest_nocode/checks``, in
    module order, for tools that run them outside pytest (benchmarks, fuzzing)."""
    out: list[Check] = []
    for path in sorted((Path(__file__).parent / "checks").glob("test_*.py")):
        module = importlib.import_module(f"pytest_nocode.checks.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_") and func.__module__ == module.__name__ and any(
                    m.name == "nocode_check" for m in getattr(func, "pytestmark", ())):
                out.append(func)
    return out


def rule_of(check: Check) -> Rule:
    """The rule a ``@check``-decorated function carries."""
    for mark in getattr(check, "pytestmark", ()):
        if mark.name == "nocode_check":
            return mark.args[0]
    raise ValueError(f"{check.__name__} is not decorated with @pytest_nocode.check")


def app_from(platform: str, data: Any, *, app_id: str = "test-app",
             source: str = "file") -> App:
    """Normalize raw platform data (a flows array, ``{"workflows": [...]}``, …) into an App."""
    adapters = {adapter.name: adapter for adapter in builtin_platforms()}
    spec = AppSpec(f"{platform}+file:{app_id}", platform, "file", app_id, app_id)
    return adapters[platform].normalize(spec, RawSnapshot(platform, data, source))


def run_check(check: Check, app: App, policy: Policy | None = None, *,
              fixtures: Mapping[str, Any] | None = None, gate: bool = True) -> CheckResult:
    """Call ``check`` with the fixtures it names, as the plugin does.

    ``gate`` applies the plugin's applicability test first (rule enabled, platform, required
    facets); ``fixtures`` supplies any extra fixtures the check asks for.
    """
    policy = policy or load_policy(None)
    rule = rule_of(check)
    rule = rule.with_severity(policy.severity_for(rule.id, rule.severity))
    collector = FindingCollector(app.id, check.__name__, rule, Redactor().data)
    available: dict[str, Any] = {"nocode_app": app, "nocode_findings": collector,
                                 "nocode_policy": policy, "nocode_rule": rule,
                                 **(fixtures or {})}
    wanted = list(inspect.signature(check).parameters)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise TypeError(f"{check.__name__} asks for fixtures not given: {', '.join(unknown)}")
    try:
        reason = why_not_applicable(rule, app, policy) if gate else None
        if reason:
            return CheckResult(None, reason)
        check(**{name: available[name] for name in wanted})
    except pytest.skip.Exception as exc:
        return CheckResult(None, str(exc.msg))
    return CheckResult(collector.findings)
