"""Risk scores: which findings to fix first.

A finding's severity says how bad the flaw is in general; its risk (0-100) adds where it sits
in this app: whether anyone on the internet can reach it, whether its data leaves the
organisation, and whether it handles sensitive data. All weights come from the policy's
``risk:`` section (defaults below), so a team can tune the order without touching code.

score = 100 * (w_sev * scale[severity] + w_unauth * unauthenticated_entry
               + w_out * leaves_boundary + w_data * sensitive_data) / (sum of the weights)

where the three exposure/data factors are 0 or 1. An app's aggregate is ``max`` (the worst
single risk) and ``sum`` (total open risk, grows with the number of findings), over findings
that are not waived.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_nocode.model import App, Step, canonical_json, json_text

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "severity": 60.0,
    "unauthenticated_entry": 20.0,
    "leaves_boundary": 10.0,
    "sensitive_data": 10.0,
}
DEFAULT_SEVERITY_SCALE: Mapping[str, float] = {
    "critical": 1.0, "high": 0.75, "medium": 0.5, "low": 0.25, "info": 0.0,
}
DEFAULT_SENSITIVE_KEYWORDS: tuple[str, ...] = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private key",
    "ssn", "social security", "iban", "credit card", "card number", "cvv", "salary", "payroll",
    "patient", "diagnosis", "health", "passport", "date of birth", "customer", "payment",
)
# Entry points whose authentication is "none", or not known from the data, count as open:
# an export without settings cannot prove that httpNodeAuth is set (fail closed).
OPEN_AUTH = (None, "none")


@dataclass(frozen=True)
class RiskSettings:
    weights: Mapping[str, float]
    severity_scale: Mapping[str, float]
    keywords: tuple[str, ...]

    @classmethod
    def from_policy(cls, data: Mapping[str, Any]) -> RiskSettings:
        section = data.get("risk") or {}
        weights = {**DEFAULT_WEIGHTS, **(section.get("weights") or {})}
        scale = {**DEFAULT_SEVERITY_SCALE, **(section.get("severity_scale") or {})}
        keywords = tuple(k.lower() for k in section.get("sensitive_keywords",
                                                         DEFAULT_SENSITIVE_KEYWORDS))
        return cls(weights, scale, keywords)


class AppExposure:
    """Which steps are reachable from open entry points and which send data outside; computed
    once per app because every finding of the app asks the same questions."""

    def __init__(self, app: App, is_internal: Any) -> None:
        from pytest_nocode.secretscan import find_secrets  # memoized per app

        self.app = app
        # secret values are no evidence of sensitive data, and a keyword found inside one
        # would hint at the secret: they are blanked before the keyword search
        self.secrets_of: dict[str, set[str]] = {}
        for hit in find_secrets(app):
            # as the value stands inside the step's canonical JSON
            self.secrets_of.setdefault(hit.step_id, set()).add(
                json.dumps(hit.value, ensure_ascii=False)[1:-1])
        open_entries = [ep.step_id for ep in app.entry_points if ep.authentication in OPEN_AUTH
                        and ep.active is not False]
        self.reachable_open: set[str] = set(open_entries)
        self.reachable_open.update(s.id for s in app.downstream(open_entries))
        external = set()
        for dest in app.destinations:
            if dest.is_loopback:
                continue
            if dest.dynamic or not dest.host or not is_internal(dest.host):
                external.add(dest.step_id)
        self.external_senders = external
        # steps by workflow and by the config step they use, so steps_of is not a scan per
        # finding (it was quadratic on large apps: 2 s of 20 on 55,000 steps)
        self._texts: dict[str, str] = {}  # step_text, by step id (asked for itself only)
        self._terms: dict[str, frozenset[str]] = {}  # the keywords in step_text, by step id
        self._term_sets: dict[frozenset[str], frozenset[str]] = {}  # each set of terms once
        self._terms_of: tuple[str, ...] | None = None  # the keywords _terms were found for
        self._in_workflow: dict[str, list[Step]] = {}
        self._config_users: dict[str, list[Step]] = {}
        for step in app.steps:
            self._in_workflow.setdefault(step.workflow_id, []).append(step)
            for ref in dict.fromkeys(step.config_refs):
                self._config_users.setdefault(ref, []).append(step)

        # every step from which data can reach an external sender: one reverse walk per app,
        # so leaves_boundary is a set lookup instead of a downstream walk per finding
        senders = [s.id for s in app.steps if s.id in external
                   or any(ref in external for ref in s.config_refs)]
        self.reaches_out: set[str] = set(senders)
        stack = list(senders)
        while stack:
            for source in app.inbound(stack.pop()):
                if source not in self.reaches_out:
                    self.reaches_out.add(source)
                    stack.append(source)

    def steps_of(self, resource: Mapping[str, Any]) -> list[Step]:
        kind, rid = resource.get("kind"), str(resource.get("id", ""))
        if kind == "node":
            step = self.app.step(rid)
            if step is None:
                return []
            if step.is_config:  # a config node (broker, TLS): the steps that use it
                return [*self._config_users.get(rid, ()), step]
            return [step]
        if kind == "workflow":
            return list(self._in_workflow.get(rid, ()))
        return []

    def with_neighbours(self, steps: list[Step]) -> list[Step]:
        """The steps and those one wire away: what data they handle shows there too (the
        route it came in on, the URL it goes to)."""
        out = {s.id: s for s in steps}
        for step in steps:
            for sid in (*self.app.inbound(step.id), *step.outbound):
                neighbour = self.app.step(sid)
                if neighbour is not None:
                    out.setdefault(sid, neighbour)
        return list(out.values())

    def step_text(self, step: Step) -> str:
        """The step's name and configuration as ``sensitive_terms`` searches them (lower case,
        secret values blanked), made once per step: findings of several checks ask."""
        text = self._texts.get(step.id)
        if text is None:
            text = self._texts[step.id] = step_text(step, self.secrets_of).lower()
        return text

    def step_terms(self, step: Step, keywords: tuple[str, ...]) -> frozenset[str]:
        """The ``keywords`` found in :meth:`step_text`, found once per step: a step is in
        the haystack of every finding on it or beside it. Only the terms are kept, each set
        once: the text was a copy of the step's whole configuration for every step a finding
        touched (kept for the run: 13 MB at 2,000 workflows, ten times that at 20,000)."""
        if keywords is not self._terms_of:
            self._terms.clear()
            self._terms_of = keywords
        terms = self._terms.get(step.id)
        if terms is None:
            text = self._texts.get(step.id) or step_text(step, self.secrets_of).lower()
            found = frozenset(k for k in keywords if k in text)
            terms = self._terms[step.id] = self._term_sets.setdefault(found, found)
        return terms

    def unauthenticated(self, steps: Iterable[Step]) -> bool:
        return any(s.id in self.reachable_open for s in steps)

    def leaves_boundary(self, steps: list[Step]) -> bool:
        return any(s.id in self.reaches_out for s in steps)


def step_text(step: Step, secrets_of: Mapping[str, Iterable[str]] | None = None) -> str:
    """A step's name and canonical configuration, with its secret values blanked."""
    config = canonical_json(dict(step.params))
    for value in sorted((secrets_of or {}).get(step.id, ()), key=len, reverse=True):
        config = config.replace(value, " ")
    return f"{step.name}\n{config}"


def sensitive_terms(keywords: Iterable[str], finding: Mapping[str, Any],
                    steps: Iterable[Step],
                    secrets_of: Mapping[str, Iterable[str]] | None = None,
                    exposure: AppExposure | None = None) -> list[str]:
    """Keywords found in what the finding is about: its message, evidence, resource, and the
    configuration of its steps and their direct neighbours, with secret values blanked (each
    step's text made once per app when ``exposure`` is given)."""
    parts = [finding.get("message", ""), json_text(finding.get("evidence", {})),
             json_text(finding.get("resource", {}))]
    haystack = "\n".join(parts).lower()
    if exposure is not None and isinstance(keywords, tuple) \
            and not any("\n" in k for k in keywords):
        # no keyword spans a line break, so none spans two parts of the haystack: the terms
        # of the whole are the union of each part's (a step's found once per app)
        found = {k for k in keywords if k in haystack}
        for step in steps:
            found |= exposure.step_terms(step, keywords)
        return sorted(found)
    texts = [exposure.step_text(step) if exposure else step_text(step, secrets_of).lower()
             for step in steps]
    haystack = "\n".join([haystack, *texts])
    return sorted({k for k in keywords if k in haystack})


def score(settings: RiskSettings, severity: str, unauth: bool, leaves: bool,
          sensitive: bool) -> int:
    w = settings.weights
    total = sum(max(0.0, float(v)) for v in w.values()) or 1.0
    value = (w["severity"] * settings.severity_scale.get(severity, 0.0)
             + w["unauthenticated_entry"] * unauth + w["leaves_boundary"] * leaves
             + w["sensitive_data"] * sensitive)
    return max(0, min(100, round(100 * value / total)))


def assess(settings: RiskSettings, exposure: AppExposure | None,
           finding: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(risk score, the factors that made it) for one finding JSON."""
    steps = exposure.steps_of(finding.get("resource", {})) if exposure else []
    unauth = bool(exposure and exposure.unauthenticated(steps))
    leaves = bool(exposure and exposure.leaves_boundary(steps))
    terms = sensitive_terms(settings.keywords, finding,
                            exposure.with_neighbours(steps) if exposure else steps,
                            exposure.secrets_of if exposure else {}, exposure)
    factors = {"severity": finding.get("severity", "info"), "unauthenticated_entry": unauth,
               "leaves_boundary": leaves, "sensitive_data": terms}
    return score(settings, factors["severity"], unauth, leaves, bool(terms)), factors


def aggregate(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """An app's risk: the worst open finding (max) and the total open risk (sum)."""
    values = [int(f.get("risk") or 0) for f in findings if f.get("status") != "waived"]
    return {"max": max(values, default=0), "sum": sum(values), "open_findings": len(values)}


def top_risks(findings: Iterable[Mapping[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` highest open risks, with just enough to find them in the report."""
    open_ = [f for f in findings if f.get("status") != "waived"]
    open_.sort(key=lambda f: (-int(f.get("risk") or 0), f["app"], f["rule"],
                              f["resource"]["id"]))
    return [{"risk": f.get("risk", 0), "app": f["app"], "rule": f["rule"],
             "severity": f["severity"], "resource": f["resource"], "message": f["message"]}
            for f in open_[:n]]
