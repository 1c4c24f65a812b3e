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
        left_out.append(record(item.nodeid, getattr(item, "originalname", item.name), rule,
                               outline, reason, policy,
                               item.callspec.params))  # type: ignore[attr-defined]
    return keep, left_out


def record(nodeid: str, function: str, rule: Rule, outline: AppOutline, reason: str,
           policy: Policy, given: Mapping[str, Any]) -> NotApplicableCheck:
    """What the reports say of the check ``nodeid`` (``function`` parametrized with
    ``given``, ``nocode_app`` among them) left out as not applicable."""
    module = nodeid.split("::", 1)[0].removesuffix(".py").replace("/", ".")
    params = tuple((name, str(value)) for name, value in given.items())
    return NotApplicableCheck(nodeid, reason, outline.id, rule.id, rule.title, rule.category,
                              policy.severity_for(rule.id, rule.severity).label, rule.owasp,
                              f"{module}#{function}", params)


# options that narrow the selection after collection: what they drop is not "not applicable"
NARROWING_OPTIONS = ("keyword", "markexpr", "deselect", "lf", "stepwise")


def narrowed(config: pytest.Config) -> bool:
    """Whether this run selects among the collected items (``-k``, ``-m``, ``--deselect``,
    ``--lf``, ``--sw``, or a node id on the command line): a check left out must then first
    be an item, so that it is recorded only if the selection keeps it, as before."""
    return any(getattr(config.option, name, None) for name in NARROWING_OPTIONS) or any(
        "::" in str(arg) for arg in config.args)


class LeftOutAtGeneration:
    """Checks that cannot apply, never made into test items (a plugin of the run).

    Leaving them out once they are items (:func:`leave_out`) still made them: on 163 small
    Node-RED apps 5,216 of 8,313 items were created, sorted by pytest's fixture reordering
    and dropped. Here a check's parametrization over the apps keeps only the apps it can
    apply to, once every ``pytest_generate_tests`` has parametrized it (so the left-out
    ones' node ids are exactly the items' would have been); the rest are recorded as
    :func:`leave_out` records them, and counted as collected and deselected, as they were.

    A check that applies to no app keeps its first parametrization (pytest would otherwise
    make one unparametrized item of it), left out as an item. When the run narrows the
    selection (:func:`narrowed`), nothing is left out here. Registered once the apps are
    loaded (their outlines known), before collection."""

    def __init__(self, outlines: Mapping[str, AppOutline], policy: Policy,
                 run_lacks: Mapping[str, str], active: bool) -> None:
        self.outlines = outlines
        self.policy = policy
        self.run_lacks = run_lacks
        self.active = active
        self.left_out: list[NotApplicableCheck] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> Any:
        result = yield
        calls = metafunc._calls  # what the hooks made, of which pytest makes items
        if not (self.active and self.outlines and calls
                and "nocode_app" in metafunc.fixturenames):
            return result
        definition = metafunc.definition
        rule = rule_of(definition)  # type: ignore[arg-type]  # a node with the marks
        if rule is None:
            return result
        kept, dropped = [], []
        for callspec in calls:
            outline = self.outlines.get(str(callspec.params.get("nocode_app")))
            reason = (why_not_applicable(rule, outline, self.policy, self.run_lacks)
                      if outline is not None else None)
            if reason and reason.startswith(NOT_APPLICABLE) and callspec._idlist:
                dropped.append((callspec, outline, reason))
            else:
                kept.append(callspec)
        if not kept and dropped:
            kept.append(dropped.pop(0)[0])
        if dropped:
            metafunc._calls = kept
            self.left_out.extend(
                record(f"{definition.nodeid}[{callspec.id}]", definition.name, rule, outline,
                       reason, self.policy, callspec.params)
                for callspec, outline, reason in dropped)
            terminal = metafunc.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None and hasattr(terminal, "_numcollected"):
                terminal._numcollected += len(dropped)  # "collected N items"
        return result

    def take(self) -> list[NotApplicableCheck]:
        """The checks left out so far (each handed over once)."""
        taken, self.left_out = self.left_out, []
        return taken


@dataclass(frozen=True)
class LeftOutItem:
    """Stands for a check never made an item in ``pytest_deselected`` (pytest's terminal
    counts the deselected; it reads nothing else of them)."""

    nodeid: str
