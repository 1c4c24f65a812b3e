"""Rules, findings and the small API a check uses to report them.

A check is a pytest test decorated with :func:`check`; it reports offending resources through
the ``nocode_findings`` fixture (a :class:`FindingCollector`). The plugin fails the test when
unwaived findings remain, so a check's body is only the reviewer's question.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, Protocol, TypeVar

import pytest

from pytest_nocode.model import Resource

F = TypeVar("F", bound=Callable[..., Any])


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, word: str) -> Severity:
        try:
            return cls[word.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {word!r}; expected one of "
                             f"{', '.join(s.label for s in cls)}") from None

    @property
    def label(self) -> str:
        return self.name.lower()


CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "permissions": ("LCNC-SEC-02",),
    "authentication": ("LCNC-SEC-01", "LCNC-SEC-04", "LCNC-SEC-05"),
    "encryption": ("LCNC-SEC-04", "LCNC-SEC-08"),
    "secrets": ("LCNC-SEC-08",),
    "connectors": ("LCNC-SEC-07", "LCNC-SEC-03"),
    "exports": ("LCNC-SEC-03",),
    "injection": ("LCNC-SEC-06",),
    "logging": ("LCNC-SEC-10",),
    "inventory": ("LCNC-SEC-09",),
    "configuration": ("LCNC-SEC-05",),
}

OWASP_TITLES: Mapping[str, str] = {
    "LCNC-SEC-01": "Account Impersonation",
    "LCNC-SEC-02": "Authorization Misuse",
    "LCNC-SEC-03": "Data Leakage and Unexpected Consequences",
    "LCNC-SEC-04": "Authentication and Secure Communication Failures",
    "LCNC-SEC-05": "Security Misconfiguration",
    "LCNC-SEC-06": "Injection Handling Failures",
    "LCNC-SEC-07": "Vulnerable and Untrusted Components",
    "LCNC-SEC-08": "Data and Secret Handling Failures",
    "LCNC-SEC-09": "Asset Management Failures",
    "LCNC-SEC-10": "Security Logging and Monitoring Failures",
}

NOT_APPLICABLE = "not applicable"  # how every such skip reason starts
# What a check can need from the run rather than from the app (``Rule.needs``): a policy
# section (``Policy.lacks``) or the approved baseline (``--nocode-baseline``)
RUN_NEEDS = ("hosts.allow", "owners", "kri", "baseline")
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")


@dataclass(frozen=True)
class Rule:
    """What a check asks, and everything a report needs to explain its answer."""

    id: str
    title: str
    category: str
    severity: Severity
    owasp: tuple[str, ...]
    rationale: str = ""
    remediation: str = ""
    requires: tuple[str, ...] = ()  # model facets the check needs
    platforms: tuple[str, ...] = ()  # empty: every platform
    docs: str = ""
    needs: tuple[str, ...] = ()  # what the run must give beside the app (RUN_NEEDS)

    def with_severity(self, severity: Severity) -> Rule:
        return replace(self, severity=severity)


def check(
    rule_id: str,
    *,
    title: str,
    category: str,
    severity: str,
    owasp: Sequence[str] | None = None,
    rationale: str = "",
    remediation: str = "",
    requires: Sequence[str] = (),
    platforms: Sequence[str] = (),
    docs: str = "",
    needs: Sequence[str] = (),
) -> Callable[[F], F]:
    """Mark a test function as a security check with its rule metadata.

    ``requires`` names model facets (``"settings"``, ``"principals"``, …): on an app that lacks
    one the check is skipped as *not applicable*, never passed. ``needs`` names what the run
    must give beside the app (:data:`RUN_NEEDS`: a policy section, the baseline); without it
    the check is not applicable either. Both are known before anything runs, so such checks
    are left out when the checks are collected. ``owasp`` defaults to the category's usual
    OWASP LCNC ids.
    """
    if not _RULE_ID.match(rule_id):
        raise ValueError(f"rule id {rule_id!r} must be 2-64 letters, digits, '-', '_' or '.'")
    if category not in CATEGORIES:
        raise ValueError(f"rule {rule_id}: unknown category {category!r}; expected one of "
                         f"{', '.join(CATEGORIES)}")
    unknown = [need for need in needs if need not in RUN_NEEDS]
    if unknown:
        raise ValueError(f"rule {rule_id}: unknown need {', '.join(map(repr, unknown))}; "
                         f"expected one of {', '.join(RUN_NEEDS)}")
    owasp_ids = tuple(owasp) if owasp else CATEGORIES[category]
    for oid in owasp_ids:
        if oid not in OWASP_TITLES:
            raise ValueError(f"rule {rule_id}: unknown OWASP LCNC id {oid!r}")
    rule = Rule(rule_id, title, category, Severity.parse(severity), owasp_ids,
                rationale.strip(), remediation.strip(), tuple(requires), tuple(platforms), docs,
                tuple(needs))

    def decorate(func: F) -> F:
        return pytest.mark.nocode_check(rule)(func)

    return decorate


@dataclass(frozen=True)
class Waiver:
    """An accepted risk (see the policy's ``waivers``)."""

    rule: str
    apps: tuple[str, ...]
    resources: tuple[str, ...]
    justification: str
    owner: str
    expires: str  # ISO date
    ticket: str = ""
    source: str = ""  # file:line of the waiver


@dataclass(frozen=True)
class Finding:
    """One offending resource for one rule in one app."""

    app_id: str
    check: str  # pytest node id
    rule: Rule
    resource: Resource
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.MEDIUM
    waiver: Waiver | None = None
    waiver_expired: bool = False
    category: str = ""  # the rule's category unless the check reports another
    below_threshold: bool = False  # severity under --nocode-fail-on: reported, not failing
    risk: int | None = None  # 0-100, see pytest_nocode.risk
    risk_factors: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.category:
            object.__setattr__(self, "category", self.rule.category)

    @property
    def verdict(self) -> str:
        """The verdict before any waiver: fail, or warn below ``--nocode-fail-on``."""
        return "warn" if self.below_threshold else "fail"

    @property
    def status(self) -> str:
        return "waived" if self.waiver is not None and not self.waiver_expired else self.verdict

    def to_json(self) -> dict[str, Any]:
        waiver = None
        if self.waiver is not None:
            w = self.waiver
            waiver = {"justification": w.justification, "owner": w.owner, "expires": w.expires,
                      "ticket": w.ticket or None, "source": w.source,
                      "expired": self.waiver_expired}
        return {
            "app": self.app_id,
            "check": self.check,
            "rule": self.rule.id,
            "category": self.category,
            "owasp": list(self.rule.owasp),
            "severity": self.severity.label,
            "resource": {"kind": self.resource.kind, "id": self.resource.id,
                         "name": self.resource.name, "path": self.resource.path},
            "message": self.message,
            "evidence": dict(self.evidence),
            "status": self.status,
            "verdict": self.verdict,
            "waiver": waiver,
            "risk": self.risk,
            "risk_factors": dict(self.risk_factors),
        }


class HasResource(Protocol):
    """Anything a finding can point at: steps, workflows, settings, connectors, …"""

    @property
    def resource(self) -> Resource: ...


class FindingCollector:
    """What a check writes to: ``nocode_findings.add(step, "why", evidence={...})``."""

    def __init__(self, app_id: str, check_id: str, rule: Rule,
                 mask: Callable[[Any], Any]) -> None:
        self.app_id = app_id
        self.check_id = check_id
        self.rule = rule
        self._mask = mask
        self.findings: list[Finding] = []

    def add(self, target: Resource | HasResource, message: str,
            evidence: Mapping[str, Any] | None = None, *,
            severity: str | Severity | None = None, category: str | None = None) -> Finding:
        """Report ``target`` (a Resource or anything with ``.resource``) as offending.

        Evidence, message and resource pass through the secret mask here, once: what is stored
        is masked, and reporters only give their serialized output a last pass.
        ``category`` overrides the rule's for checks that relay another tool's verdicts.
        """
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        resource = target if isinstance(target, Resource) else target.resource
        masked = self._mask([resource.id, resource.name, resource.path])
        if masked != [resource.id, resource.name, resource.path]:
            resource = replace(resource, id=masked[0], name=masked[1], path=masked[2])
        if isinstance(severity, str):
            severity = Severity.parse(severity)
        finding = Finding(self.app_id, self.check_id, self.rule, resource, self._mask(message),
                          self._mask(dict(evidence or {})),
                          self.rule.severity if severity is None else severity,
                          category=category or "")
        self.findings.append(finding)
        return finding

    def __len__(self) -> int:
        return len(self.findings)


def not_applicable(reason: str) -> None:
    """End a check that cannot evaluate this app: reported as not applicable, never passed."""
    pytest.skip(f"{NOT_APPLICABLE}: {reason}")
