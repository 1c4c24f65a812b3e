"""pytest glue: options, fixtures, parametrization over apps, built-in checks, reporting hooks.

It wires adapters (which know platforms), checks (which know the model and the policy) and
reporters (which know findings); it holds no platform or check logic of its own.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode import audit, hookspecs
from pytest_nocode.advisories import (
    PENDING,
    AdvisoryData,
    configured,
    lookup_online,
    packages_of,
)
from pytest_nocode.applicability import (
    WORKER_INPUT_KEY,
    WORKER_OUTPUT_KEY,
    AppOutline,
    LeftOutAtGeneration,
    LeftOutItem,
    NotApplicableCheck,
    leave_out,
    narrowed,
    rule_of,
)
from pytest_nocode.appspec import CREDENTIAL_VARIABLES, parse_app_uris, parse_shard, shard_of
from pytest_nocode.errors import InputError
from pytest_nocode.findings import NOT_APPLICABLE, Finding, FindingCollector, Rule
from pytest_nocode.loading import RunFolder
from pytest_nocode.model import App
from pytest_nocode.platforms import PlatformRegistry, RawSnapshot
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import Policy, load_policy, waiver_expired, why_not_applicable
from pytest_nocode.run import (
    FINDINGS_PROPERTY,
    RULE_PROPERTY,
    RUN_KEY,
    NocodeRun,
    get_run,
    invocation_path,
    option_value,
)
from pytest_nocode.threatmodel import plugin as threatmodel_plugin
from pytest_nocode.transport import RecordingOptions

CHECKS_DIR = Path(__file__).parent / "checks"
RECORD_MODES = ("none", "once", "new_episodes", "all")


GENERATION_PLUGIN = "nocode-left-out-at-generation"
COLLECTOR_KEY = pytest.StashKey[FindingCollector]()
# a check's findings as its call report carries them (JSON, masked), made once per item
RESULT_KEY = pytest.StashKey[list[dict[str, Any]]]()


# -- options ---------------------------------------------------------------------------------
def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nocode", "security checks of no-code apps (pytest-nocode)")
    group.addoption("--nocode-app", action="append", default=[], metavar="URI",
                    help="app to scan: nodered+https://host, n8n+file:PATH, demo, … (repeatable)")
    group.addoption("--nocode-policy", metavar="PATH", help="policy YAML (default: built-in)")
    group.addoption("--nocode-record-mode", choices=RECORD_MODES, default=None,
                    help="vcrpy record mode for live apps' cassettes")
    group.addoption("--nocode-cassette-dir", metavar="DIR", help="cassettes (default cassettes/)")
    group.addoption("--nocode-json", metavar="PATH", help="write the findings report (JSON)")
    group.addoption("--nocode-sarif", metavar="PATH", help="write the findings as SARIF 2.1.0")
    group.addoption("--nocode-no-builtin", action="store_true", default=None,
                    help="run only your own checks, not the built-in ones")
    group.addoption("--nocode-advisories", metavar="online|PATH|off",
                    help="known advisories: the built-in table (default), npm's bulk advisory "
                         "endpoint (online), your own table (PATH), or none (off)")
    group.addoption("--nocode-shard", metavar="I/N",
                    help="check only shard I of N of the apps (every N-th app by id), for a CI "
                         "matrix; 'pytest-nocode merge' joins the shards' reports")
    parser.addini("nocode_apps", "apps to scan (URIs)", type="linelist", default=[])
    parser.addini("nocode_policy", "policy YAML", default="")
    parser.addini("nocode_record_mode", "vcrpy record mode", default="")
    parser.addini("nocode_cassette_dir", "cassette folder", default="cassettes")
    parser.addini("nocode_json", "findings report path", default="")
    parser.addini("nocode_sarif", "SARIF report path", default="")
    parser.addini("nocode_builtin_checks", "run the built-in checks", type="bool", default=True)
    parser.addini("nocode_advisories", "known advisories: online, PATH or off", default="")
    parser.addini("nocode_shard", "check only shard I/N of the apps", default="")
    audit.add_options(group, parser)
    threatmodel_plugin.add_options(group, parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nocode_check(rule): a pytest-nocode security check")
    try:
        run = _make_run(config)
        audit.configure(config, run)
        threatmodel_plugin.configure(config, run)
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_KEY] = run
    if not run.is_worker:
        config.pluginmanager.register(FindingsGatherer(config, run), "nocode-findings")


def _make_run(config: pytest.Config) -> NocodeRun:
    registry = PlatformRegistry(builtin_platforms())
    for adapters in config.hook.pytest_nocode_platforms():
        for adapter in adapters or ():
            registry.add(adapter)
    uris = config.getoption("nocode_app") or config.getini("nocode_apps")
    specs = parse_app_uris(uris, registry.names(), config.invocation_params.dir)
    shard = parse_shard(option_value(config, "shard")) if option_value(config, "shard") else None
    if shard is not None:
        specs = shard_of(specs, *shard)
    policy_text = option_value(config, "policy")
    policy = load_policy(invocation_path(config, policy_text) if policy_text else None, policy_text)
    mode = option_value(config, "record_mode") or None
    if mode is not None and mode not in RECORD_MODES:
        raise InputError(f"nocode_record_mode {mode!r}: expected one of {', '.join(RECORD_MODES)}")
    cassette_dir = invocation_path(config, option_value(config, "cassette_dir"))
    recording = RecordingOptions(mode, cassette_dir)
    is_worker = hasattr(config, "workerinput")
    run = NocodeRun(specs, policy, registry, recording, datetime.now(UTC), is_worker)
    run.shard = f"{shard[0]}/{shard[1]}" if shard else ""
    if is_worker:
        folder = config.workerinput.get("nocode_run_folder")  # type: ignore[attr-defined]
        run.run_folder = RunFolder(Path(folder)) if folder else None
        run.outlines = {app_id: AppOutline.from_json(outline) for app_id, outline in
                        config.workerinput.get(WORKER_INPUT_KEY, {}).items()}  # type: ignore[attr-defined]
    advisories = getattr(config, "workerinput", {}).get("nocode_advisories")
    run.advisories = (AdvisoryData.from_json(advisories) if advisories
                      else configured(option_value(config, "advisories"),
                                      config.invocation_params.dir))
    for names in CREDENTIAL_VARIABLES.values():
        for name in names:
            if not name.endswith("USERNAME") and os.environ.get(name):
                run.redactor.add(os.environ[name])
    return run


def _uses_xdist(config: pytest.Config) -> bool:
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Load the apps, then make ready to leave out at collection what cannot apply to them
    (:class:`LeftOutAtGeneration`)."""
    _load_apps(session)
    run = get_run(session.config)
    if run.outlines:
        session.config.pluginmanager.register(
            LeftOutAtGeneration(run.outlines, run.policy, run.lacks(),
                                active=not narrowed(session.config)), GENERATION_PLUGIN)


def _load_apps(session: pytest.Session) -> None:
    """Load the apps before any test. Serially: all of them. Under xdist (see
    :mod:`pytest_nocode.loading`): on the controller before the workers start, only the apps
    handed to them pickled, while the apps read from files load in each worker here, before
    it collects (the controller is told of them in :func:`pytest_runtestloop`)."""
    config = session.config
    run = get_run(config)
    if not run.specs or config.option.collectonly:
        return
    if run.is_worker:
        if run.run_folder is not None:
            # every built-in check runs: the data flow will be built, so its steps are
            # described while loading, shared with the other workers (NocodeRun.describe_early)
            run.describe_early = not narrowed(config) and not config.getoption(
                "nocode_no_builtin") and bool(config.getini("nocode_builtin_checks"))
            # bad input is told to the controller, which stops the run with it
            with contextlib.suppress(InputError):
                run.load_all([spec for spec in run.specs if run.run_folder.shared(spec)])
        return
    pending = run.advisories.error == PENDING  # needs every app's packages before workers
    if _uses_xdist(config):
        run.run_folder = RunFolder.create()
    try:
        run.load_all(None if run.run_folder is None or pending else
                     [spec for spec in run.specs if not run.run_folder.shared(spec)])
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    if pending:  # once per run, for every app's packages
        apps = [loaded.app for loaded in run.loaded.values() if loaded.app is not None]
        run.advisories = lookup_online(packages_of(apps), configured("offline", Path()))


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    """The controller of an xdist run is told of the apps read from files here, once the
    workers have started and loaded them (it reads no file itself: on two cores it would
    compete with both workers). The snapshot hashes, for the controller's reports only, are
    computed while the workers run the checks: of the apps it loaded itself in a thread of
    its own, of the apps read from files by the first worker to begin its checks (the other
    takes more of them meanwhile, where at the end nobody could: 6.5 CPU seconds at 20,000
    workflows that the run waited for after the checks)."""
    config = session.config
    run = get_run(config)
    if run.is_worker and run.run_folder is not None and not config.option.collectonly:
        for loaded in run.loaded.values():
            run.run_folder.share_hash(loaded)
    if not run.is_worker and run.run_folder is not None and run.specs \
            and not config.option.collectonly:
        run.workers_load = True
        try:
            run.load_all()
        except InputError as exc:
            raise pytest.UsageError(str(exc)) from None
        run.hash_in_background()
    return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    run = get_run(node.config)
    if run.run_folder is not None:
        node.workerinput["nocode_run_folder"] = str(run.run_folder.path)
    node.workerinput["nocode_advisories"] = run.advisories.to_json()
    node.workerinput[WORKER_INPUT_KEY] = {app_id: outline.to_json()
                                          for app_id, outline in run.outlines.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The checks a worker left out as not applicable (every worker leaves out the same)."""
    left_out = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, [])
    get_run(node.config).leave_out([NotApplicableCheck.from_json(c) for c in left_out])


# -- collection: the built-in checks join the user's tests -----------------------------------
class CheckSuite(pytest.Collector):
    """The built-in checks (and plugins' extra check files), with machine-independent ids."""

    def collect(self) -> Iterator[pytest.Module]:
        paths = sorted(CHECKS_DIR.glob("test_*.py"))
        for extra in self.config.hook.pytest_nocode_check_paths():
            for item in extra or ():
                p = Path(item)
                paths.extend(sorted(p.glob("test_*.py")) if p.is_dir() else [p])
        for path in paths:
            nodeid = (f"pytest_nocode/checks/{path.name}" if path.parent == CHECKS_DIR
                      else f"nocode-extra/{path.name}")
            yield pytest.Module.from_parent(self, path=path, nodeid=nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    report = yield
    if isinstance(collector, pytest.Session) and report.outcome == "passed":
        config = collector.config
        run = get_run(config)
        builtin = not config.getoption("nocode_no_builtin") and config.getini(
            "nocode_builtin_checks")
        explicit_ids = any("::" in str(arg) for arg in config.args)
        if run.specs and builtin and not explicit_ids:
            report.result.append(CheckSuite.from_parent(collector, name="pytest_nocode",
                                                        path=CHECKS_DIR,
                                                        nodeid="pytest_nocode"))
    return report


@pytest.hookimpl(trylast=True)  # after -k, -m and other plugins have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the checks that cannot apply to their app, and record them (see
    ``applicability``): each would be an item set up only to be skipped."""
    run = get_run(config)
    if not run.outlines:
        return
    generation = config.pluginmanager.get_plugin(GENERATION_PLUGIN)
    never_items = generation.take() if generation is not None else []
    keep, left_out = leave_out(items, run.outlines, run.policy, run.lacks())
    if not left_out and not never_items:
        return
    dropped = {c.check for c in left_out}
    config.hook.pytest_deselected(items=[*(item for item in items if item.nodeid in dropped),
                                         *(LeftOutItem(c.check) for c in never_items)])
    items[:] = keep
    run.leave_out(never_items + left_out)
    if run.is_worker:
        config.workeroutput[WORKER_OUTPUT_KEY] = [  # type: ignore[attr-defined]
            c.to_json() for c in run.left_out]


def pytest_collection_finish(session: pytest.Session) -> None:
    _share_locations(session.items)


def _share_locations(items: list[pytest.Item]) -> None:
    """A check's items (one per app) share their function's file and first line. pytest's
    ``Item.location`` looks them up for each item anew (``getfslineno``: a ``stat`` and
    several ``Path`` objects each, 3 % of a run of 163 apps); here once per check function,
    the rest of the location (the item's own name) as pytest makes it."""
    places: dict[Any, tuple[str, int | None]] = {}
    for item in items:
        if type(item) is not pytest.Function or "location" in item.__dict__ \
                or rule_of(item) is None:
            continue
        function = item.obj
        place = places.get(function)
        if place is None:
            places[function] = item.location[:2]
        else:
            item.__dict__["location"] = (*place, item.getmodpath())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "nocode_app" in metafunc.fixturenames:
        ids = [spec.id for spec in get_run(metafunc.config).specs] or ["no-app"]
        metafunc.parametrize("nocode_app", ids, indirect=True, ids=ids)


# -- fixtures --------------------------------------------------------------------------------
# The item whose test protocol runs now (innermost last: a pytest run inside a test, as
# pytester's in-process runs, nests). The fixtures below take their item from here instead
# of asking for ``request``: pytest makes a new ``RequestFixtureDef`` (with an
# ``inspect.signature``) each time a fixture asks for ``request``, twice per fixture, and once
# more per item when ``request`` is in its closure: about 5 per check item, 17,000 in a run of
# 163 apps.
_ITEMS: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _ITEMS.append(item)
    try:
        return (yield)
    finally:
        _ITEMS.pop()


def _item(fixture: str) -> pytest.Item:
    if not _ITEMS:
        raise pytest.UsageError(f"{fixture} is a fixture of a test item: ask for it as an "
                                "argument of a test")
    return _ITEMS[-1]


@pytest.fixture
def nocode_app() -> App:
    """The normalized app under review (one test per ``--nocode-app``)."""
    item = _item("nocode_app")
    run = get_run(item.config)
    callspec = getattr(item, "callspec", None)
    if callspec is None or "nocode_app" not in callspec.params:
        pytest.fail(f"{item.nodeid}: nocode_app is parametrized over the apps: ask for it as an "
                    "argument of the test", pytrace=False)
    app_id = callspec.params["nocode_app"]
    if app_id == "no-app" and not run.specs:
        pytest.fail("no app to check: pass --nocode-app=URI or set nocode_apps", pytrace=False)
    loaded = run.get(app_id)
    if loaded.app is None:  # the reason, and what to do, once in the terminal summary
        pytest.fail(f"app {app_id} could not be loaded, so it cannot be checked "
                    "(the reason is in the pytest-nocode summary)", pytrace=False)
    rule = rule_of(item)
    if rule is not None:
        reason = why_not_applicable(rule, loaded.app, run.policy, run.lacks())
        if reason:
            pytest.skip(reason)
    return loaded.app


@pytest.fixture
def nocode_snapshot(nocode_app: App) -> RawSnapshot:
    """The raw configuration exactly as the platform gave it (an export's files are read
    again on first use: the loader does not keep them)."""
    run = get_run(_item("nocode_snapshot").config)
    return run.get(nocode_app.id).snapshot(run.registry)


@pytest.fixture(scope="session")
def nocode_policy() -> Policy:
    """The policy in force (``--nocode-policy`` or the built-in default)."""
    return get_run(_item("nocode_policy").config).policy


@pytest.fixture(scope="session")
def nocode_advisories() -> AdvisoryData:
    """The known advisories in force (``--nocode-advisories``); a failed lookup errors the
    check that asks, ``off`` makes it not applicable."""
    data = get_run(_item("nocode_advisories").config).advisories
    if data.mode == "off":
        pytest.skip(f"{NOT_APPLICABLE}: advisories are off (--nocode-advisories=off)")
    if data.error:
        pytest.fail(f"known advisories not available: {data.error}", pytrace=False)
    return data


def _policy_rule(item: pytest.Item) -> Rule:
    rule = rule_of(item)
    if rule is None:
        pytest.fail(f"{item.nodeid}: nocode_findings needs a check: decorate the test "
                    "with @pytest_nocode.check(rule_id, title=…, category=…, severity=…)",
                    pytrace=False)
    return get_run(item.config).rule_in_force(rule)[0]


@pytest.fixture
def nocode_rule() -> Rule:
    """The rule of the current check, with the policy's severity applied."""
    return _policy_rule(_item("nocode_rule"))


@pytest.fixture
def nocode_findings(nocode_app: App) -> FindingCollector:
    """Where a check reports offending resources: ``nocode_findings.add(step, "why", {...})``.
    (It finds its rule itself, not through ``nocode_rule``: one fixture less per check.)"""
    item = _item("nocode_findings")
    run = get_run(item.config)
    collector = FindingCollector(nocode_app.id, item.nodeid, _policy_rule(item),
                                 run.redactor.data)
    item.stash[COLLECTOR_KEY] = collector
    return collector


# -- turning findings into verdicts ----------------------------------------------------------
def _apply_waivers(run: NocodeRun, findings: list[Finding]) -> list[Finding]:
    out = []
    for finding in findings:
        waiver = run.policy.waiver_for(finding.rule.id, finding.app_id,
                                       (finding.resource.id, finding.resource.path))
        if waiver is not None:
            finding = Finding(**{**finding.__dict__, "waiver": waiver,
                                 "waiver_expired": waiver_expired(waiver)})
        out.append(finding)
    return out


def _failure_text(rule: Rule, failing: list[Finding]) -> str:
    lines = [f"{rule.id} {rule.title}: {len(failing)} offending resource(s)"]
    for f in failing:
        where = f"{f.resource.kind} {f.resource.id}"
        if f.resource.name and f.resource.name != f.resource.id:
            where += f" {f.resource.name!r}"
        expired = f" (waiver expired {f.waiver.expires}, {f.waiver.source})" \
            if f.waiver and f.waiver_expired else ""
        lines.append(f"  [{f.severity.label}] {where}: {f.message}{expired}")
    if rule.remediation:
        lines.append(f"  remediation: {rule.remediation}")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    stopped: str | None = None  # how the check's body ended when it did not return
    try:
        return (yield)
    except pytest.skip.Exception:
        stopped = "skipped"
        raise
    except BaseException:
        stopped = "error"
        raise
    finally:
        collector = item.stash.get(COLLECTOR_KEY, None)
        if collector is not None:
            del item.stash[COLLECTOR_KEY]  # its findings go into the report: not kept for the run
            run = get_run(item.config)
            findings = audit.assess(run, collector.app_id,
                                    _apply_waivers(run, collector.findings))
            as_json = item.stash[RESULT_KEY] = [f.to_json() for f in findings]
            failing = [f for f in findings if f.status == "fail"]
            audit.annotate(item, run, collector.rule, as_json, stopped)
            if failing:
                pytest.fail(run.redactor.text(_failure_text(collector.rule, failing)),
                            pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    excinfo = call.excinfo
    if (excinfo is not None and isinstance(excinfo.value, pytest.fail.Exception)
            and not excinfo.value.pytrace and not item.config.getoption("fulltrace", False)):
        # Its message is all a report shows of it, yet pytest filters every frame of its
        # traceback first (dozens of hook frames: raised in a hook wrapper, outside the test).
        excinfo.traceback = excinfo.traceback[-1:]
    report = yield
    run = get_run(item.config)
    rule = rule_of(item)
    if report.when == "call" and rule is not None:
        # masked where they were made (FindingCollector.add, audit.assess)
        report.user_properties.append((FINDINGS_PROPERTY, item.stash.get(RESULT_KEY, [])))
        report.user_properties.append((RULE_PROPERTY, run.rule_in_force(rule)[1]))
    if len(run.redactor) and (rule is not None or "nocode_app" in getattr(item, "fixturenames",
                                                                            ())):
        if report.longrepr is not None and not isinstance(report.longrepr, tuple):
            report.longrepr = run.redactor.text(str(report.longrepr))
        report.sections = [(k, run.redactor.text(v)) for k, v in report.sections]
    return report


class FindingsGatherer:
    """Gathers findings on the controller from in-process and xdist worker reports alike."""

    def __init__(self, config: pytest.Config, run: NocodeRun) -> None:
        self.config = config
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == FINDINGS_PROPERTY:
                self.run.findings.extend(value)
                for finding in value:
                    self.config.hook.pytest_nocode_finding(finding=finding)
            elif name == RULE_PROPERTY:
                self.run.rules.setdefault(value["id"], value)
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            if reason.startswith(NOT_APPLICABLE):
                self.run.not_applicable.append((report.nodeid, reason))


# -- reports -----------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)  # after the threat models (tryfirst, registered later)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports. Every result is in by now; under xdist this comes before xdist
    tears its workers down, so the reports are written while the workers exit (each frees
    its whole app first: seconds at 20,000 workflows, that the controller waited for)."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    if run.is_worker:
        return
    run.hashes()
    try:
        run.settle()
    except InputError as exc:  # fail closed: no report of what the workers may not have seen
        exitstatus = session.exitstatus = pytest.ExitCode.USAGE_ERROR
        session.config.get_terminal_writer().line(f"ERROR: {exc}", red=True)
    try:  # a usage error (an app that could not be read): no report of what was not checked
        if run.specs and not session.config.option.collectonly \
                and exitstatus != pytest.ExitCode.USAGE_ERROR:
            from pytest_nocode.dataflow import forget_all
            from pytest_nocode.reporting import write_reports

            forget_all()  # the checks (and the threat model, tryfirst) are done with them
            audit.before_reports(session, run, exitstatus)
            write_reports(session.config, run)
            audit.after_reports(session, run, exitstatus)
    finally:
        if run.run_folder is not None:
            run.run_folder.remove()
            run.run_folder = None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.is_worker or not run.specs or config.option.collectonly \
            or exitstatus == pytest.ExitCode.USAGE_ERROR:
        return
    from pytest_nocode.reporting.terminal import write_summary

    write_summary(terminalreporter, run)
