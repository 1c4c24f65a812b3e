"""Detection-test helpers: run one built-in check on one app and look at what it found."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pytest_nocode import testing
from pytest_nocode.findings import Finding
from pytest_nocode.model import App
from pytest_nocode.policy import Policy, load_policy, load_policy_text
from pytest_nocode.testing import rule_of

DEFAULT_POLICY = load_policy(None)
NOT_APPLICABLE = "not applicable"

Check = Callable[..., None]


def run_check(check: Check, app: App, policy: Policy | None = None, *,
              gate: bool = True) -> tuple[list[Finding] | None, str]:
    """(findings, "") when the check ran; (None, skip reason) when it was not applicable."""
    result = testing.run_check(check, app, policy or DEFAULT_POLICY, gate=gate)
    return result.findings, result.skip_reason


def scan(check: Check, app: App, policy: Policy | None = None) -> list[Finding] | None:
    """The findings of one check on one app; None when the check is not applicable."""
    return run_check(check, app, policy)[0]


def findings_of(check: Check, app: App, policy: Policy | None = None) -> list[Finding]:
    found = scan(check, app, policy)
    assert found is not None, f"{rule_of(check).id} was unexpectedly not applicable"
    return found


def skip_reason(check: Check, app: App, policy: Policy | None = None, *,
                gate: bool = True) -> str:
    found, reason = run_check(check, app, policy, gate=gate)
    assert found is None, f"{rule_of(check).id} ran and reported {len(found)} finding(s)"
    return reason


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [(f.resource.id, f.message) for f in findings]
    return findings[0]


def ids(findings: Iterable[Finding]) -> set[str]:
    return {f.resource.id for f in findings}


def policy(text: str) -> Policy:
    return load_policy_text(text, "test policy")
