"""The run's state: what every part of a run shares, in ``config.stash``.

It sits below the pytest glue (``plugin.py``, ``audit.py``) and the reporters, so each imports
it and neither imports the other: data flows one way, URI → adapter → model → checks →
findings → reporters.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pytest_nocode import compose
from pytest_nocode.advisories import AdvisoryData
from pytest_nocode.applicability import AppOutline, NotApplicableCheck
from pytest_nocode.appspec import AppSpec
from pytest_nocode.dataflow import describe_with, walk_with
from pytest_nocode.errors import InputError
from pytest_nocode.findings import RUN_NEEDS, Rule, Severity
from pytest_nocode.loading import LoadedApp, LoadedElsewhere, RunFolder, load_app
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.policy import Policy
from pytest_nocode.redaction import Redactor
from pytest_nocode.risk import AppExposure, RiskSettings
from pytest_nocode.transport import RecordingOptions


@dataclass
class AuditState:
    """What the audit features know about this run (``NocodeRun.audit``)."""

    fail_on: Severity = Severity.INFO
    waivers_file: str = ""
    waivers_sha256: str = ""
    baseline_path: Path | None = None
    baseline_existed: bool = False
    baseline_written: list[str] = field(default_factory=list)
    baseline_skipped: list[str] = field(default_factory=list)
    baseline_error: str = ""
    evidence_log: Path | None = None
    evidence_key: bytes | None = field(default=None, repr=False)  # never printed or written
    evidence_record: dict[str, Any] | None = None
    evidence_error: str = ""
    owner_risk: dict[str, dict[str, int]] = field(default_factory=dict)
    kri_values: dict[str, dict[str, int]] = field(default_factory=dict)  # app: indicator: value
    approval: dict[str, str] = field(default_factory=dict)  # approve mode: by, why, ticket
    approval_record: dict[str, Any] | None = None
    approval_error: str = ""
    summary_path: Path | None = None
    summary_error: str = ""
    stale_waivers: list[dict[str, Any]] = field(default_factory=list)
    app_risk: dict[str, dict[str, int]] = field(default_factory=dict)
    top_risks: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    risk_settings: RiskSettings | None = None
    exposures: dict[str, AppExposure] = field(default_factory=dict, repr=False)
    # Allure's policy excerpt of a check as YAML: (rule id, scored?) → (policy, text)
    excerpt_texts: dict[tuple[str, bool], tuple[Policy, str]] = field(default_factory=dict,
                                                                     repr=False)

    def baseline_lacks(self) -> str | None:
        """Why this run has no approved baseline to compare with, or None when it has one."""
        if self.baseline_path is None:
            return "no baseline given (--nocode-baseline=PATH)"
        if not self.baseline_existed:
            return f"no baseline yet: this run writes {self.baseline_path}"
        return None


@dataclass
class NocodeRun:
    """Everything the plugin knows about this run; lives in ``config.stash``."""

    specs: list[AppSpec]
    policy: Policy
    registry: PlatformRegistry
    recording: RecordingOptions
    started: datetime
    is_worker: bool
    run_folder: RunFolder | None = None
    loaded: dict[str, LoadedApp] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)
    findings: list[dict[str, Any]] = field(default_factory=list)  # controller, from reports
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)  # (check, reason)
    outlines: dict[str, AppOutline] = field(default_factory=dict)  # app id: for collection
    left_out: list[NotApplicableCheck] = field(default_factory=list)  # not made test items
    audit: AuditState = field(default_factory=AuditState)  # waivers file, risk, baseline, log
    advisories: AdvisoryData = field(default_factory=lambda: AdvisoryData("off", "unset"))
    shard: str = ""  # "I/N" under --nocode-shard: this run checks only those apps
    hashing: threading.Thread | None = field(default=None, repr=False)  # hash_in_background
    # an xdist controller whose workers have started: they load the apps read from files and
    # tell it what it needs (RunFolder.told); before they start, it loads them itself
    workers_load: bool = False
    # an xdist worker of a run whose data-flow checks all run (no -k, -m, node ids, …): it
    # describes the steps of an app read from files while loading it, in parts shared with
    # the other workers, and judges the entry points from them (RunFolder.shared_describing)
    describe_early: bool = False
    # answers that depend only on the run, asked by every check item: what the run lacks and
    # each rule in force, kept with the policy they were answered for (rule_in_force, lacks)
    _in_force: dict[Rule, tuple[Policy, Rule, dict[str, Any]]] = field(
        default_factory=dict, repr=False)
    _lacks: tuple[tuple[Any, ...], Mapping[str, str]] | None = field(default=None, repr=False)

    def spec(self, app_id: str) -> AppSpec:
        for spec in self.specs:
            if spec.id == app_id:
                return spec
        raise KeyError(app_id)

    def get(self, app_id: str) -> LoadedApp:
        """The app's data, loaded at most once in this process (under xdist through the run
        folder: see :mod:`pytest_nocode.loading`)."""
        if app_id not in self.loaded:
            with _gc_paused():
                self._remember(self._load(self.spec(app_id)))
        return self.loaded[app_id]

    def _load(self, spec: AppSpec) -> LoadedApp:
        folder = self.run_folder
        if folder is None:
            return load_app(spec, self.registry, self.recording)
        if folder.shared(spec) and self.workers_load:  # the workers read the files
            told = folder.told(spec, lambda: load_app(spec, self.registry, self.recording))
            if told is not None:
                return told
        if folder.shared(spec):  # the workers split reading the files and the secret scan
            if self.is_worker:
                folder.loading(spec)
            try:
                loaded = load_app(spec, self.registry, self.recording,
                                  scan=folder.shared_secrets, share=folder.shared_files(spec),
                                  describe=folder.shared_describing(spec)
                                  if self.describe_early else None)
            except InputError as exc:
                if self.is_worker:  # the controller stops the run with it
                    folder.tell(spec, None, str(exc))
                raise
            if loaded.app is not None:  # and so is describing its steps for the data flow
                describe_with(loaded.app, folder.shared_flows)
                walk_with(loaded.app, folder.shared_walk)  # and walking it, once in the run
            if self.is_worker:
                folder.tell(spec, loaded)
            return loaded
        if self.is_worker:  # the controller's model, the same in every worker: its steps
            loaded = folder.read(spec)  # described and its data flow walked once in the run
            if loaded.app is not None:
                describe_with(loaded.app, folder.shared_flows)
                walk_with(loaded.app, folder.shared_walk)
            return loaded
        loaded = load_app(spec, self.registry, self.recording)
        folder.write(loaded)
        return loaded

    def _remember(self, loaded: LoadedApp) -> None:
        self.loaded[loaded.spec.id] = loaded
        for value in loaded.secret_values:
            self.redactor.add(value)

    def lacks(self) -> Mapping[str, str]:
        """What this run does not give the checks that need it (``Rule.needs``): need →
        the reason, the same in every process (policy and options only), so answered once
        for the policy and baseline in force (every check item asks)."""
        key = (self.policy, self.audit.baseline_path, self.audit.baseline_existed)
        if self._lacks is None or any(a is not b for a, b in zip(self._lacks[0], key, strict=True)):
            reasons = {need: self.policy.lacks(need) for need in RUN_NEEDS}
            reasons["baseline"] = self.audit.baseline_lacks()
            self._lacks = key, MappingProxyType(
                {need: reason for need, reason in reasons.items() if reason})
        return self._lacks[1]

    def rule_in_force(self, rule: Rule) -> tuple[Rule, dict[str, Any]]:
        """``rule`` with the policy's severity, and its JSON for the reports (what
        :data:`RULE_PROPERTY` carries): once per rule and policy, not once per app's item.
        The JSON is shared: read it, never change it."""
        try:
            known = self._in_force.get(rule)
        except TypeError:  # a rule made by hand with a list in it: not kept
            known = None
        if known is None or known[0] is not self.policy:
            severity = self.policy.severity_for(rule.id, rule.severity)
            known = (self.policy, rule.with_severity(severity), rule_json(rule, severity))
            with suppress(TypeError):
                self._in_force[rule] = known
        return known[1], known[2]

    def leave_out(self, checks: list[NotApplicableCheck]) -> None:
        """Record checks left out of the run as not applicable (each once: every xdist
        worker reports the same)."""
        known = {c.check for c in self.left_out}
        for check in checks:
            if check.check not in known:
                known.add(check.check)
                self.left_out.append(check)
                self.not_applicable.append((check.check, check.reason))

    def hash_in_background(self) -> None:
        """Hash the snapshots of the apps loaded here in a thread: an xdist controller only
        waits for its workers meanwhile, and the reports need the hashes at the end
        (:meth:`hashes`; a worker hashes the apps it read from files: :meth:`settle`)."""
        loaded = [loaded for loaded in self.loaded.values() if loaded.model_here() is not None]
        self.hashing = threading.Thread(target=lambda: [app.sha256 for app in loaded],
                                        name="pytest-nocode snapshot hashes", daemon=True)
        self.hashing.start()

    def hashes(self) -> None:
        """Wait for :meth:`hash_in_background`, if it was started."""
        if self.hashing is not None:
            self.hashing.join()

    def settle(self) -> None:
        """An xdist controller's last word with its workers on the apps they read from files
        (:meth:`RunFolder.settle`): an InputError if they read different files."""
        if self.run_folder is None:
            return
        for loaded in self.loaded.values():
            if isinstance(loaded, LoadedElsewhere):
                self.run_folder.settle(loaded)

    def load_all(self, specs: list[AppSpec] | None = None) -> None:
        """Load ``specs`` (default: every app) that are not loaded yet (the folders above
        their exports looked into once for compose files: :func:`compose.kept`)."""
        with compose.kept():
            for spec in self.specs if specs is None else specs:
                self.get(spec.id)
        # beside the outlines an xdist worker was given (the apps handed to it pickled)
        self.outlines.update({app_id: AppOutline.of(app)
                              for app_id, app in ((app_id, loaded.model_here())
                                                  for app_id, loaded in self.loaded.items())
                              if app is not None})


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Load with the cyclic GC paused, then freeze what was loaded: apps are millions of
    objects that live for the whole run, and every full collection walks them all (on a
    55,000-step estate, 17 collections took 5 s of a 15 s run, 5 of them pytest's own at exit)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


RUN_KEY = pytest.StashKey[NocodeRun]()
# The user properties a check's report carries from the process that ran it to the controller:
# its findings (JSON) and its rule (JSON).
FINDINGS_PROPERTY = "nocode_findings"
RULE_PROPERTY = "nocode_rule"


def rule_json(rule: Rule, severity: Severity) -> dict[str, Any]:
    """A rule as the reports describe it, with the severity in force."""
    return {"id": rule.id, "title": rule.title, "category": rule.category,
            "severity": severity.label, "owasp": list(rule.owasp), "rationale": rule.rationale,
            "remediation": rule.remediation, "docs": rule.docs}


def get_run(config: pytest.Config) -> NocodeRun:
    return config.stash[RUN_KEY]


def option_value(config: pytest.Config, name: str) -> str:
    """``--nocode-NAME`` if given, else the ``nocode_NAME`` ini value, else ""."""
    value = config.getoption(f"nocode_{name}")
    return value if value else str(config.getini(f"nocode_{name}") or "")


def invocation_path(config: pytest.Config, text: str) -> Path:
    """A path option, relative to where pytest was invoked (not to rootdir)."""
    path = Path(text)
    return path if path.is_absolute() else config.invocation_params.dir / path
