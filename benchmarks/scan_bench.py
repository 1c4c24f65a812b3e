"""How long pytest-nocode takes, and how much memory it needs, on a large generated estate.

    python benchmarks/scan_bench.py [--nodered-nodes 20000] [--n8n-workflows 2000] [--seed 1]
                                    [--dir DIR] [--repeat N] [--no-xdist] [--no-tracemalloc]
                                    [--no-pytest] [--profile]

Generates the estate with ``generate_org.py`` (into a temporary folder, or into ``--dir``,
reused when its manifest matches), then measures per platform, in this process:

(a) ``json.load`` of the export files (the floor), (b) the adapter's ``load_file``,
(c) ``adapter.normalize`` and ``App.sha256()``, (d) ``secretscan.find_secrets``, the built-in
checks called directly (each ``test_*`` function with a ``FindingCollector``; the slowest are
listed), and building the findings report and SARIF log from their findings; and then
(e) the real thing end to end: ``python -m pytest`` with both apps, JSON and SARIF output, in
an empty folder, once in-process and once with ``-n 2`` (pytest-xdist).

Each phase is timed without tracing; its peak memory comes from a second, traced run
(``tracemalloc``; ``--no-tracemalloc`` skips it). ``maxrss`` is the process high-water mark
after the phase (for pytest runs: the largest process of the run, from ``wait4``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.util
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.findings import FindingCollector, Rule
from pytest_nocode.model import App
from pytest_nocode.platforms import PlatformRegistry, RawSnapshot
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import Policy, load_policy, why_not_applicable
from pytest_nocode.redaction import Redactor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_org import generate

CHECKS_DIR = Path(importlib.util.find_spec("pytest_nocode.checks").origin or "").parent
MB = 1024 * 1024


# -- measuring ---------------------------------------------------------------------------------
@dataclass
class Row:
    platform: str
    phase: str
    seconds: float
    peak_mb: float | None = None  # tracemalloc peak
    rss_mb: float | None = None  # ru_maxrss high-water mark
    note: str = ""


@dataclass
class Bench:
    trace: bool
    rows: list[Row] = field(default_factory=list)

    def run(self, platform: str, phase: str, fn: Callable[[], Any], *,
            traced: Callable[[], Any] | None = None, note: str = "") -> Any:
        """Time ``fn``; then run ``traced`` (default: ``fn`` again) under tracemalloc."""
        gc.collect()
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
        peak = None
        if self.trace:
            gc.collect()
            tracemalloc.start()
            try:
                (traced or fn)()
                peak = tracemalloc.get_traced_memory()[1] / MB
            finally:
                tracemalloc.stop()
        row = Row(platform, phase, seconds, peak, _self_rss_mb(), note)
        self.rows.append(row)
        print(f"  {platform:8} {phase:40} {seconds:8.2f} s", flush=True)
        return result

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.platform:8} {row.phase:40} {row.seconds:8.2f} s", flush=True)


def _self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _fmt(value: float | None, spec: str = "8.1f") -> str:
    return format(value, spec) if value is not None else f"{'-':>8}"


def print_table(rows: list[Row]) -> None:
    print()
    print(f"{'platform':8}  {'phase':44} {'seconds':>8} {'peak MB':>8} {'maxrss MB':>9}  note")
    print("-" * 100)
    for r in rows:
        print(f"{r.platform:8}  {r.phase:44} {r.seconds:8.2f} {_fmt(r.peak_mb)} "
              f"{_fmt(r.rss_mb, '9.0f')}  {r.note}")


# -- the estate ----------------------------------------------------------------------------------
def ensure_estate(folder: Path, nodes: int, workflows: int, seed: int) -> tuple[Path, Path]:
    """Generate the estate unless ``folder`` already holds one with these parameters."""
    manifest = folder / "manifest.json"
    wanted = {"nodered_nodes": nodes, "n8n_workflows": workflows, "seed": seed}
    reuse = False
    if manifest.is_file():
        params = json.loads(manifest.read_text(encoding="utf-8")).get("params", {})
        reuse = all(params.get(k) == v for k, v in wanted.items())
    if reuse:
        print(f"reusing the estate in {folder}")
    else:
        started = time.perf_counter()
        summary = generate(folder, nodes, workflows, seed)
        print(f"generated {summary.nodered_nodes} Node-RED nodes ({summary.nodered_tabs} tabs) "
              f"and {summary.n8n_workflows} n8n workflows ({summary.n8n_nodes} nodes) in "
              f"{time.perf_counter() - started:.1f} s into {folder}")
    return folder / "nodered" / "flows.json", folder / "n8n"


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else list(path.glob("*.json"))
    return sum(f.stat().st_size for f in files) / MB


# -- in-process phases ---------------------------------------------------------------------------
@dataclass
class CheckFn:
    module: str
    name: str
    func: Callable[..., Any]
    rule: Rule

    @property
    def nodeid(self) -> str:
        return f"pytest_nocode/checks/{self.module}.py::{self.name}"


def builtin_checks() -> list[CheckFn]:
    """Every ``test_*`` function of the built-in check modules that carries a rule."""
    out = []
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        module = importlib.import_module(f"pytest_nocode.checks.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or func.__module__ != module.__name__:
                continue
            marks = [m for m in getattr(func, "pytestmark", []) if m.name == "nocode_check"]
            if marks and marks[0].args:
                out.append(CheckFn(path.stem, name, func, marks[0].args[0]))
    return out


@dataclass
class CheckResult:
    check: CheckFn
    seconds: float
    outcome: str  # findings | passed | skipped | error
    findings: list[Any]
    detail: str = ""


def run_checks(app: App, raw: RawSnapshot, checks: list[CheckFn], policy: Policy,
               redactor: Redactor) -> list[CheckResult]:
    """Call each check as the plugin would (with the run's redactor as the evidence mask),
    skipping those that do not apply to the app."""
    results = []
    skip_exc = pytest.skip.Exception
    for c in checks:
        rule = c.rule.with_severity(policy.severity_for(c.rule.id, c.rule.severity))
        reason = why_not_applicable(rule, app, policy)  # the plugin's own gate
        if reason:
            results.append(CheckResult(c, 0.0, "skipped", [], reason))
            continue
        collector = FindingCollector(app.id, f"{c.nodeid}[{app.id}]", rule, redactor.data)
        fixtures = {"nocode_app": app, "nocode_findings": collector, "nocode_policy": policy,
                    "nocode_rule": rule, "nocode_snapshot": raw}
        params = inspect.signature(c.func).parameters
        missing = [k for k, p in params.items()
                   if k not in fixtures and p.default is inspect.Parameter.empty]
        if missing:  # e.g. drift checks need a baseline: not applicable here
            results.append(CheckResult(c, 0.0, "skipped", [], f"needs {', '.join(missing)}"))
            continue
        kwargs = {k: v for k, v in fixtures.items() if k in params}
        started = time.perf_counter()
        try:
            c.func(**kwargs)
            outcome, detail = ("findings" if collector.findings else "passed"), ""
        except skip_exc as exc:
            outcome, detail = "skipped", str(exc)[:60]
        except Exception as exc:  # a crashing check is a result too
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"[:80]
        results.append(CheckResult(c, time.perf_counter() - started, outcome,
                                   list(collector.findings), detail))
    return results


def build_reports(loaded: list[tuple[Any, App, RawSnapshot, str]],
                  results: dict[str, list[CheckResult]], policy: Policy,
                  redactor: Redactor, started: datetime) -> tuple[int, int]:
    """Findings JSON and SARIF text built the way the plugin builds them; returns sizes."""
    from pytest_nocode.loading import LoadedApp
    from pytest_nocode.plugin import _rule_json
    from pytest_nocode.reporting.findings_json import build_report
    from pytest_nocode.run import NocodeRun
    from pytest_nocode.transport import RecordingOptions

    registry = PlatformRegistry(builtin_platforms())
    run = NocodeRun([spec for spec, *_ in loaded], policy, registry,
                    RecordingOptions(None, Path("cassettes")), started, False)
    run.redactor = redactor
    for spec, app, raw, digest in loaded:
        run.loaded[spec.id] = LoadedApp(spec, raw=raw, app=app)
        run.loaded[spec.id].__dict__["sha256"] = digest  # already measured above; not again
        for r in results[spec.id]:
            run.findings.extend(redactor.data(f.to_json()) for f in r.findings)
            if r.outcome != "skipped":
                run.rules.setdefault(r.check.rule.id, _rule_json(r.check.rule, policy))
    report = redactor.data(build_report(run))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    sarif_size = 0
    if importlib.util.find_spec("pytest_nocode.reporting.sarif") is not None:
        from pytest_nocode.reporting.sarif import build_sarif

        sarif_size = len(json.dumps(redactor.data(build_sarif(report, run.rules)), indent=2,
                                    ensure_ascii=False))
    return len(text), sarif_size


def bench_platform(bench: Bench, platform: str, path: Path, registry: PlatformRegistry,
                   checks: list[CheckFn], policy: Policy, redactor: Redactor
                   ) -> tuple[Any, App, RawSnapshot, str, list[CheckResult]]:
    adapter = registry[platform]
    spec = parse_app_uri(f"{platform}+file:{path}", registry.names(), Path.cwd())[0]
    files = [path] if path.is_file() else sorted(path.glob("*.json"))

    def floor() -> list[Any]:
        out = []
        for f in files:
            with f.open(encoding="utf-8") as fh:
                out.append(json.load(fh))
        return out

    size = _size_mb(path)
    bench.run(platform, "(a) json.load (floor)", floor,
              note=f"{len(files)} file(s), {size:.1f} MB")
    data = bench.run(platform, "(b) adapter.load_file", lambda: adapter.load_file(path))
    raw = RawSnapshot(platform, data, "file")

    def normalize_and_hash() -> tuple[App, str]:
        app = adapter.normalize(spec, raw)
        return app, app.sha256()

    app = bench.run(platform, "(c) normalize", lambda: adapter.normalize(spec, raw),
                    traced=normalize_and_hash)
    digest = bench.run(platform, "(c) App.sha256", app.sha256,
                       note=f"{len(app.steps)} steps, {len(app.workflows)} workflows")
    bench.rows[-2].note = "peak: normalize + sha256"
    fresh = [adapter.normalize(spec, raw)]  # a new App: find_secrets' per-App memo is cold
    hits = bench.run(platform, "(d) secretscan.find_secrets", lambda: find_secrets(app),
                     traced=lambda: find_secrets(fresh[0]))
    bench.rows[-1].note = f"{len(hits)} hits"
    fresh.clear()
    for hit in hits:
        redactor.add(hit.value)
    results: list[CheckResult] = bench.run(
        platform, "checks, in-process (all)",
        lambda: run_checks(app, raw, checks, policy, redactor))
    count = sum(len(r.findings) for r in results)
    ran = sum(r.outcome != "skipped" for r in results)
    bench.rows[-1].note = f"{ran} ran, {count} findings"
    return spec, app, raw, digest, results


def find_secrets(app: App) -> Any:
    from pytest_nocode.secretscan import find_secrets as scan

    return scan(app)


# -- pytest end to end ---------------------------------------------------------------------------
@dataclass
class PytestRun:
    seconds: float
    rss_mb: float
    returncode: int
    tail: str
    out_json: Path
    out_sarif: Path | None


# Runs the command and writes "<seconds> <ru_maxrss KiB of its process tree>" to argv[1]. A
# child forked from this (large) process would report our RSS as its own high-water mark, so
# pytest is started from this small intermediary instead.
_TIMER = """
import resource, subprocess, sys, time
started = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as fh:
    fh.write(f"{seconds} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(rc)
"""


def run_pytest(args: list[str], workdir: Path, label: str, *, sarif: bool,
               profile: Path | None = None) -> PytestRun:
    """``python -m pytest`` in an empty folder; wall time and the peak RSS of its tree."""
    workdir.mkdir(parents=True, exist_ok=True)
    out_json = workdir / "out.json"
    out_sarif = workdir / "out.sarif" if sarif else None
    for old in (out_json, out_sarif):
        if old is not None and old.exists():
            old.unlink()
    cmd = [sys.executable]
    if profile is not None:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += ["-m", "pytest", "-p", "no:cacheprovider", "-q", *args,
            f"--nocode-json={out_json}"]
    if out_sarif is not None:
        cmd.append(f"--nocode-sarif={out_sarif}")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    log = workdir / "pytest.log"
    stats = workdir / "timer.txt"
    with log.open("w", encoding="utf-8") as fh:
        returncode = subprocess.call([sys.executable, "-c", _TIMER, str(stats), *cmd],
                                     cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, env=env)
    seconds_text, rss_kib = stats.read_text(encoding="utf-8").split()
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    tail = lines[-1] if lines else ""
    if returncode not in (0, 1):
        print(f"pytest ({label}) exited {returncode}; see {log}:\n" + "\n".join(lines[-15:]))
    return PytestRun(float(seconds_text), int(rss_kib) / 1024, returncode, tail, out_json,
                     out_sarif)


def summarize_report(path: Path) -> str:
    if not path.is_file():
        return "no report written"
    report = json.loads(path.read_text(encoding="utf-8"))
    findings = report.get("findings", [])
    by_app = Counter(f["app"] for f in findings)
    by_sev = Counter(f["severity"] for f in findings)
    order = ("critical", "high", "medium", "low", "info")
    return (f"{len(findings)} findings ("
            + ", ".join(f"{a} {n}" for a, n in sorted(by_app.items())) + "; "
            + ", ".join(f"{by_sev[s]} {s}" for s in order if by_sev[s]) + ")")


def print_profile(path: Path, limit: int = 15) -> None:
    """The pytest run's most expensive functions of pytest_nocode, by own and total time."""
    import pstats

    stats = pstats.Stats(str(path))
    entries = []
    for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        if "pytest_nocode" in filename:
            where = filename.split("pytest_nocode/", 1)[-1]
            entries.append((tottime, cumtime, f"{where}:{line}({func})"))
    for title, key in (("own time", 0), ("cumulative time", 1)):
        print(f"\nprofiled pytest run, pytest_nocode functions by {title} (cProfile inflates "
              "times ~2x):")
        for row in sorted(entries, key=lambda e: e[key], reverse=True)[:limit]:
            print(f"  {row[0]:7.2f} s own {row[1]:7.2f} s total  {row[2]}")


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodered-nodes", type=int, default=20000)
    parser.add_argument("--n8n-workflows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--no-xdist", action="store_true", help="skip the -n 2 run")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help="skip the traced second run of each in-process phase")
    parser.add_argument("--no-pytest", action="store_true", help="in-process phases only")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each pytest command N times and keep the fastest")
    parser.add_argument("--profile", action="store_true",
                        help="also run pytest under cProfile and list its hot spots")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.dir is not None:
            folder = args.dir.resolve()
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nocode-org-")))
        flows, n8n_dir = ensure_estate(folder, args.nodered_nodes, args.n8n_workflows,
                                       args.seed)
        bench = Bench(trace=not args.no_tracemalloc)
        print(f"\nin-process phases (Python {sys.version.split()[0]}):")
        registry = PlatformRegistry(builtin_platforms())
        policy = load_policy(None)
        redactor = Redactor()
        checks = builtin_checks()
        started = datetime.now(UTC)
        loaded = []
        results: dict[str, list[CheckResult]] = {}
        for platform, path in (("nodered", flows), ("n8n", n8n_dir)):
            spec, app, raw, digest, res = bench_platform(bench, platform, path, registry,
                                                         checks, policy, redactor)
            loaded.append((spec, app, raw, digest))
            results[spec.id] = res
        sizes = bench.run("both", "findings JSON + SARIF, in-process",
                          lambda: build_reports(loaded, results, policy, redactor, started))
        bench.rows[-1].note = f"{sizes[0] / MB:.1f} MB JSON, {sizes[1] / MB:.1f} MB SARIF"

        slowest = sorted(((r.seconds, spec_id, r) for spec_id, rs in results.items()
                          for r in rs), key=lambda t: t[0], reverse=True)[:5]
        in_process_findings = sum(len(r.findings) for rs in results.values() for r in rs)

        runs: list[tuple[str, PytestRun]] = []
        if not args.no_pytest:
            apps = [f"--nocode-app=nodered+file:{flows}", f"--nocode-app=n8n+file:{n8n_dir}"]
            sarif = importlib.util.find_spec("pytest_nocode.reporting.sarif") is not None
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nocode-run-")))
            print("\npytest end to end:")
            plan = [("(e) pytest, demo apps (startup floor)", ["--nocode-app=demo"], "demo"),
                    ("(e) pytest, both apps", apps, "serial")]
            if not args.no_xdist and importlib.util.find_spec("xdist") is not None:
                plan.append(("(e) pytest -n 2, both apps", [*apps, "-n", "2"], "xdist"))
            for label, pargs, sub in plan:
                tries = [run_pytest(pargs, work / sub, label, sarif=sarif)
                         for _ in range(max(1, args.repeat))]
                run = min(tries, key=lambda r: r.seconds)
                runs.append((label, run))
                best = f"best of {len(tries)}; " if len(tries) > 1 else ""
                bench.add(Row("both", label, run.seconds, None, max(t.rss_mb for t in tries),
                              f"{best}rc={run.returncode}; {run.tail}"[:70]))
            if args.profile:
                prof = work / "pytest.prof"
                print("\nprofiling the serial pytest run ...")
                run_pytest(apps, work / "profile", "profile", sarif=sarif, profile=prof)

        print_table(bench.rows)
        print("\n5 slowest checks (in-process):")
        for seconds, spec_id, r in slowest:
            print(f"  {seconds:7.3f} s  {r.check.rule.id:8} {r.check.name} [{spec_id}] "
                  f"-> {r.outcome}, {len(r.findings)} findings")
        errors = [(spec_id, r) for spec_id, rs in results.items() for r in rs
                  if r.outcome == "error"]
        for spec_id, r in errors:
            print(f"  ERROR in {r.check.name} [{spec_id}]: {r.detail}")
        print(f"\nfindings, in-process: {in_process_findings}")
        for label, run in runs:
            sarif_note = ""
            if run.out_sarif is not None and run.out_sarif.is_file():
                log = json.loads(run.out_sarif.read_text(encoding="utf-8"))
                sarif_note = f"; SARIF results: {sum(len(r['results']) for r in log['runs'])}"
            elif run.out_sarif is None:
                sarif_note = "; SARIF writer not available"
            print(f"findings, {label.removeprefix('(e) ')}: "
                  f"{summarize_report(run.out_json)}{sarif_note}")
        if args.profile and not args.no_pytest:
            print_profile(work / "pytest.prof")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
