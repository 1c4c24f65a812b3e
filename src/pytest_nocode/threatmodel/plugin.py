"""The threat model's pytest glue: ``--nocode-threat-model=DIR`` and ``--nocode-threat-register``.

The plugin calls :func:`add_options` and :func:`configure`; everything else happens here, on
the controller, once every check's result is in: which checks ran on which app (and passed),
the models, the files, the Allure result, the terminal lines. A register decision past its
review-by date fails the run like an expired waiver.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_nocode import __version__
from pytest_nocode.errors import InputError

if TYPE_CHECKING:
    from pytest_nocode.model import App
    from pytest_nocode.policy import Policy
    from pytest_nocode.run import NocodeRun
    from pytest_nocode.threatmodel.model import RegisterEntry, ThreatModel

DOT_TIMEOUT_S = 120
NO_DOT = ("threat model: Graphviz 'dot' is not on PATH, so dfd.svg was not drawn (install the "
          "Debian package graphviz); threat-model.md and dfd.dot were written")


def add_options(group: Any, parser: pytest.Parser) -> None:
    group.addoption("--nocode-threat-model", metavar="DIR",
                    help="write each app's threat model to DIR/<app id>/ (Markdown with a "
                         "Mermaid diagram, dfd.dot, dfd.svg when Graphviz is installed, and "
                         "threat-dragon.json, threat-composer.json, otm.json)")
    group.addoption("--nocode-threat-register", metavar="PATH",
                    help="threat register YAML: the team's decisions, keyed by threat id")
    parser.addini("nocode_threat_model", "threat model folder", default="")
    parser.addini("nocode_threat_register", "threat register YAML", default="")


def configure(config: pytest.Config, run: NocodeRun) -> None:
    """Validate the register (every process: a bad file stops the run at once) and, on the
    controller, register the plugin that draws the models at the end."""
    from pytest_nocode.run import invocation_path, option_value

    folder = option_value(config, "threat_model")
    register_path = option_value(config, "threat_register")
    if not folder and not register_path:
        return  # the builder, renderers and jsonschema are imported only when asked for
    from pytest_nocode.threatmodel.register import load_register

    register = load_register(invocation_path(config, register_path)) if register_path else None
    if not run.is_worker:
        config.pluginmanager.register(
            ThreatModels(run, invocation_path(config, folder) if folder else None, register,
                         str(invocation_path(config, register_path)) if register_path else ""),
            "nocode-threat-model")


@dataclass
class ThreatModels:
    """Gathers which checks ran where; draws and writes the models when the session ends."""

    run: NocodeRun
    folder: Path | None
    register: dict[str, RegisterEntry] | None
    register_path: str = ""
    outcomes: dict[str, dict[str, str]] = field(default_factory=dict)  # app → rule → outcome
    titles: dict[str, str] = field(default_factory=dict)
    models: dict[str, ThreatModel] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    expired: list[RegisterEntry] = field(default_factory=list)
    stale: tuple[RegisterEntry, ...] = ()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from pytest_nocode.run import FINDINGS_PROPERTY, RULE_PROPERTY

        if report.when != "call":
            return
        props = dict(report.user_properties)
        rule = props.get(RULE_PROPERTY)
        app_id = _app_of(report.nodeid, [s.id for s in self.run.specs])
        if not rule or not app_id:
            return
        self.titles[rule["id"]] = rule.get("title", rule["id"])
        # a check that failed without findings raised: it did not answer, so it mitigates
        # nothing (fail closed)
        outcome = ("passed" if report.passed else
                   "failed" if props.get(FINDINGS_PROPERTY) else "error")
        known = self.outcomes.setdefault(app_id, {}).get(rule["id"])
        rank = {"passed": 0, "failed": 1, "error": 2}
        if known is None or rank[outcome] > rank[known]:
            self.outcomes[app_id][rule["id"]] = outcome

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.run.specs or session.config.option.collectonly:
            return
        # many small objects that all stay alive while the apps are in memory: paused, the
        # cyclic collector does not walk the apps again and again (as in dataflow)
        paused = gc.isenabled()
        gc.disable()
        try:
            self.draw()
            if self.folder is not None:
                self.write(session.config)
        finally:
            if paused:
                gc.enable()
        if self.expired and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def draw(self) -> None:
        from pytest_nocode.cli import builtin_rules

        rules = builtin_rules()
        platforms = {r.id: tuple(r.platforms) for r in rules}
        titles = {**{r.id: r.title for r in rules}, **self.titles}  # also of checks not run
        from pytest_nocode.threatmodel.build import RunEvidence, build_threat_model
        from pytest_nocode.threatmodel.register import stale_entries

        baseline = self._baseline()
        for spec in self.run.specs:
            loaded = self.run.loaded.get(spec.id)
            if loaded is None or loaded.app is None:
                self.notes.append(f"threat model: {spec.id} not drawn: its data could not be "
                                  "loaded")
                continue
            outcomes = {r: o for r, o in self.outcomes.get(spec.id, {}).items() if o != "error"}
            evidence = RunEvidence(tuple(f for f in self.run.findings if f["app"] == spec.id),
                                   outcomes, titles, platforms)
            zone_of = partial(_app_zone, self.run.policy, loaded.app)
            model = build_threat_model(loaded.app, zone_of, evidence, self.register)
            if spec.id in baseline:
                from pytest_nocode.threatmodel.changes import model_changes

                model = replace(model, changes=model_changes(
                    baseline[spec.id], loaded.app, zone_of,
                    str(self.run.audit.baseline_path)))
            self.models[spec.id] = model
        if self.register is not None:
            self.stale = stale_entries(self.register, (t.id for m in self.models.values()
                                                       for t in m.threats))
            self.models = {k: replace(m, stale_entries=self.stale)
                           for k, m in self.models.items()}
            self.expired = [e for e in self.register.values() if e.expired
                            and e not in self.stale]

    def _baseline(self) -> dict[str, Any]:
        audit = self.run.audit
        if audit.baseline_path is None or not audit.baseline_existed:
            return {}
        from pytest_nocode.baseline import read_baseline

        try:
            return {k: v.model for k, v in read_baseline(audit.baseline_path).items()}
        except InputError as exc:
            self.notes.append(f"threat model: no changes shown: {exc}")
            return {}

    def write(self, config: pytest.Config) -> None:
        from pytest_nocode.threatmodel.exports import write_exchange_files
        from pytest_nocode.threatmodel.render import documents

        assert self.folder is not None
        has_dot = shutil.which("dot") is not None
        if not has_dot:
            self.notes.append(NO_DOT)
        redact = self.run.redactor.text
        tool = f"pytest-nocode {__version__}"
        for app_id, model in self.models.items():
            folder = self.folder / app_id
            try:
                folder.mkdir(parents=True, exist_ok=True)
                text, graph = (redact(form) for form in documents(model, tool=tool))
                (folder / "threat-model.md").write_text(text, encoding="utf-8")
                (folder / "dfd.dot").write_text(graph, encoding="utf-8")
            except OSError as exc:
                self.notes.append(f"threat model NOT written for {app_id}: {exc}")
                continue
            try:
                write_exchange_files(model, folder, self.run.redactor.text)
            except (OSError, ValueError) as exc:
                self.notes.append(f"threat model: Threat Dragon, Threat Composer and OTM files "
                                  f"NOT written for {app_id}: {exc}")
            svg = self._svg(folder, graph) if has_dot else None
            self._allure(config, app_id, model, text, svg)

    def _svg(self, folder: Path, graph: str) -> str | None:
        try:
            done = subprocess.run(["dot", "-Tsvg"], input=graph, capture_output=True,
                                  text=True, timeout=DOT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.notes.append(f"threat model: dot failed on {folder / 'dfd.dot'}: {exc}")
            return None
        if done.returncode != 0:
            self.notes.append(f"threat model: dot failed on {folder / 'dfd.dot'}: "
                              f"{done.stderr.strip()[:300]}")
            return None
        (folder / "dfd.svg").write_text(done.stdout, encoding="utf-8")
        return done.stdout

    def _allure(self, config: pytest.Config, app_id: str, model: ThreatModel, text: str,
                svg: str | None) -> None:
        """One Allure result per app, in the app's epic, carrying the Markdown and the SVG."""
        from pytest_nocode.reporting import allure as allure_reporting

        if not allure_reporting.is_active(config):
            return
        from allure_commons.logger import AllureFileLogger
        from allure_commons.model2 import Attachment, Label, Status, TestResult

        logger = AllureFileLogger(Path(config.option.allure_report_dir))
        attachments = []
        for name, body, kind, ext in (("threat-model.md", text, "text/markdown", "md"),
                                      ("dfd.svg", svg, "image/svg+xml", "svg")):
            if body is None:
                continue
            source = f"{uuid.uuid4()}-attachment.{ext}"
            logger.report_attached_data(body, source)
            attachments.append(Attachment(name=name, source=source, type=kind))
        expired = any(t.decision is not None and t.decision.expired for t in model.threats)
        open_count = sum(t.status == "open" for t in model.threats)
        name = f"Threat model of {app_id}"
        tree = (app_id, "threat model", name)  # beside the app's checks: App > category > …
        logger.report_result(TestResult(
            name=name, fullName=f"pytest-nocode threat model {app_id}",
            uuid=str(uuid.uuid4()), historyId=f"threat-model-{app_id}",
            status=Status.FAILED if expired else Status.PASSED, stage="finished",
            description=self.run.redactor.text(
                f"{len(model.threats)} threats, {open_count} open. {model.scope}"),
            labels=[*(Label(k, v) for k, v in zip(("parentSuite", "suite", "subSuite"), tree,
                                                   strict=True)),
                    Label("epic", app_id), Label("feature", "threat model"),
                    Label("tag", "threat model")],
            titlePath=list(tree), attachments=attachments))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        for app_id, model in self.models.items():
            counts = {s: sum(t.status == s for t in model.threats)
                      for s in ("open", "needs review", "mitigated")}
            where = f" in {self.folder / app_id}" if self.folder is not None else ""
            tr.write_line(f"threat model {app_id}: {len(model.threats)} threats ("
                          + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
                          + f"){where}")
            if self.register is not None and model.new_threats:
                tr.write_line(f"  {len(model.new_threats)} threat(s) new since the register "
                              f"{self.register_path}", yellow=True)
        for entry in self.stale:
            tr.write_line(f"stale threat register entry {entry.source} ({entry.threat_id}, "
                          f"owner {entry.owner}): no app of this run has that threat; remove it",
                          yellow=True)
        for entry in self.expired:
            tr.write_line(f"threat register decision expired {entry.source} ({entry.threat_id}"
                          f" {entry.status}, owner {entry.owner}, review by {entry.review_by}):"
                          " review it", red=True, bold=True)
        for note in self.notes:
            tr.write_line(note, yellow=True)


def _app_of(nodeid: str, app_ids: list[str]) -> str:
    """The app a check's node id ran on: the plugin parametrizes checks by app id."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return ""
    param = nodeid[nodeid.index("[") + 1:-1]
    return next((a for a in sorted(app_ids, key=len, reverse=True)
                 if param == a or param.startswith(f"{a}-") or param.endswith(f"-{a}")), "")


def _app_zone(policy: Policy, app: App, host: str) -> str:
    """The policy's zone of ``host`` seen from ``app`` (its own compose stack counts)."""
    return policy.zone_of(host, app)
