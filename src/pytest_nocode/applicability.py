"""Checks that cannot apply to an app, decided once when the checks are collected.

A check for another platform, one that needs a facet the app's adapter does not provide, or
one that needs what the run does not give (a policy section, the baseline: ``Rule.platforms``,
``Rule.requires``, ``Rule.needs``) is known not to apply before anything runs. Made into test
items, such checks were set up and skipped one by one: on 163 small Node-RED apps, 5,379 of
8,150 items. They are left out of the run instead, and recorded exactly as their skips were:
the findings JSON's ``not_applicable`` list (same check ids, same reasons), the terminal's
count, and one skipped Allure result each (written by the controller).

On an xdist worker the decision needs each app's platform and facets, not the app (what the
run gives, every process reads from the same policy and options): the
controller hands them over as :class:`AppOutline` (a worker never loads an app to collect),
and each worker returns what it left out in ``workeroutput``. Every worker collects the same
items, so the controller keeps one record per check.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pytest

from pytest_nocode.findings import NOT_APPLICABLE, Rule, Severity
from pytest_nocode.policy import why_not_applicable

if TYPE_CHECKING:
    from pytest_nocode.model import App
    from pytest_nocode.policy import Policy

WORKER_OUTPUT_KEY = "nocode_not_applicable"  # config.workeroutput: worker → controller
WORKER_INPUT_KEY = "nocode_outlines"  # node.workerinput: controller → worker
_RULE_KEY = pytest.StashKey["Rule | None"]()


@dataclass(frozen=True)
class AppOutline:
    """What applicability depends on, small enough for xdist's worker input."""

    id: str
    platform: str
    facets: frozenset[str]

    def has(self, facet: str) -> bool:
        return facet in self.facets

    @classmethod
    def of(cls, app: App) -> AppOutline:
        return cls(app.id, app.platform, app.facets)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "platform": self.platform, "facets": sorted(self.facets)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppOutline:
        return cls(data["id"], data["platform"], frozenset(data["facets"]))


@dataclass(frozen=True)
class NotApplicableCheck:
    """A check left out of the run for one app, with what its reports say of it."""

    check: str  # the node id its test item had
    reason: str  # starts with "not applicable"
    app_id: str
    rule_id: str
    title: str
    category: str
    severity: str  # after the policy's override
    owasp: tuple[str, ...]
    full_name: str  # module#function, as allure-pytest names the test
    params: tuple[tuple[str, str], ...] = ()  # the item's parameters (nocode_app among them)

    @property
    def rule(self) -> Rule:
        return Rule(self.rule_id, self.title, self.category, Severity.parse(self.severity),
                    self.owasp)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "owasp": list(self.owasp),
                "params": [list(pair) for pair in self.params]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NotApplicableCheck:
        return cls(**{**data, "owasp": tuple(data["owasp"]),
                      "params": tuple((str(k), str(v)) for k, v in data["params"])})


def app_param(item: pytest.Item) -> str | None:
    """The app a built-in style check item checks (its ``nocode_app`` parameter), if any."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "nocode_app" not in callspec.params:
        return None
    return str(callspec.params["nocode_app"])


def rule_of(item: pytest.Item) -> Rule | None:
    """The item's check rule (``@check``), looked up once: the plugin asks at set-up and for
    each of its three reports."""
    try:
        return item.stash[_RULE_KEY]
    except KeyError:
        marker = item.get_closest_marker("nocode_check")
        rule = item.stash[_RULE_KEY] = marker.args[0] if marker and marker.args else None
        return rule


def leave_out(items: Iterable[pytest.Item], outlines: Mapping[str, AppOutline],
              policy: Policy, run_lacks: Mapping[str, str]
              ) -> tuple[list[pytest.Item], list[NotApplicableCheck]]:
    """The items to run, and the checks that cannot apply to their app (``run_lacks``: what
    the run does not give, see ``NocodeRun.lacks``). An app without an outline (it did not
    load, or is not loaded yet) keeps all its items: they error or decide when they run. A
    check the policy disables stays an item: it is skipped, not "not applicable"."""
    keep: list[pytest.Item] = []
    left_out: list[NotApplicableCheck] = []
    for item in items:
        rule = rule_of(item)
        app_id = app_param(item) if rule is not None else None
        outline = outlines.get(app_id) if app_id is not None else None
        reason = (why_not_applicable(rule, outline, policy, run_lacks)
                  if rule and outline else None)
        if rule is None or outline is None or not reason or not reason.startswith(
                NOT_APPLICABLE):
            keep.append(item)
            continue
        function = getattr(item, "originalname", item.name)
        module = item.nodeid.split("::", 1)[0].removesuffix(".py").replace("/", ".")
        given = item.callspec.params  # type: ignore[attr-defined]  # it has nocode_app
        params = tuple((name, str(value)) for name, value in given.items())
        left_out.append(NotApplicableCheck(
            item.nodeid, reason, outline.id, rule.id, rule.title, rule.category,
            policy.severity_for(rule.id, rule.severity).label, rule.owasp,
            f"{module}#{function}", params))
    return keep, left_out
