"""Where each process of a run spends its time: a pytest plugin for benchmarks, never for users.

    PHASE_TIMES_DIR=DIR PYTHONPATH=benchmarks python -m pytest -p phase_times … [-n 2]
    python benchmarks/phase_times.py DIR         # print the table of what was recorded

Each process (the controller and every xdist worker, which load the plugin through the same
``-p``) writes ``DIR/<role>-<pid>.json`` at exit: the CPU seconds of its main thread in each
phase (reading, normalizing, the secret scan, the data-flow build split into describing the
steps and the walk, each check item, the reports), the wall clock at which it started and
ended each phase, and its whole CPU time. Phases nest (the data-flow build happens inside the
first check that asks for it): a check's figure is its own time less the phases inside it.
``xdist_bench.py --phases`` runs it and prints the table.

Memory, at every phase boundary (issue 8: which phase holds the peak, and what grows faster
than the org): the resident set at the phase's start and end and its high-water mark inside
the phase (``VmHWM``, reset at each boundary through ``/proc/self/clear_refs``: Linux only);
with ``PHASE_TRACEMALLOC=1`` also the Python heap ``tracemalloc`` traces (current at start and
end, peak inside; tracing makes the run 2-3x slower), and with ``PHASE_TRACEMALLOC_AT=NAME,…``
the 20 allocation sites holding the most at the end of each phase so named (its first time).
``python benchmarks/phase_times.py DIR --memory`` prints them in the order the phases began.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_PHASES: list[dict[str, Any]] = []  # {"phase", "cpu", "start", "end"}, own time only
_STACK: list[list[float]] = []  # CPU of the phases nested inside the running one
_STARTED = time.time()
# one per phase, in the order they began: {"phase", "depth", "rss", "hwm", "traced"}, where
# rss and traced are [at start, at end] and hwm and traced's third value the peaks inside (MB)
_MEMORY: list[dict[str, Any]] = []
_OPEN: list[dict[str, Any]] = []  # the memory records of the phases running now, outermost first
_SITES: dict[str, list[tuple[str, float, int]]] = {}  # phase → (site, MB, blocks) at its end
_MB = 1 << 20
# the process's resident high-water mark (MB): resetting VmHWM resets what ru_maxrss and
# /usr/bin/time report too, so a traced run's peak is only this
_PEAK = [0.0]


def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _boundary() -> tuple[float, float]:
    """(RSS MB, traced MB) now; the high-water marks since the last boundary go to every
    running phase, and both are reset, so each phase's peak is its own and its children's."""
    hwm = _status_kb("VmHWM:") / 1024
    rss = _status_kb("VmRSS:") / 1024
    traced = peak = 0.0
    if tracemalloc.is_tracing():
        current, top = tracemalloc.get_traced_memory()
        traced, peak = current / _MB, top / _MB
        tracemalloc.reset_peak()
    _PEAK[0] = max(_PEAK[0], hwm)
    for record in _OPEN:
        record["hwm"] = max(record["hwm"], hwm)
        record["traced"][2] = max(record["traced"][2], peak)
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    return rss, traced


def _sites(name: str) -> None:
    wanted = [w for w in os.environ.get("PHASE_TRACEMALLOC_AT", "").split(",") if w]
    if name in _SITES or not tracemalloc.is_tracing() or \
            not any(w.strip() in name for w in wanted):
        return
    stats = tracemalloc.take_snapshot().statistics("lineno")
    _SITES[name] = [(f"{Path(s.traceback[0].filename).name}:{s.traceback[0].lineno}",
                     s.size / _MB, s.count) for s in stats[:20]]


def _timed(phase: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = phase(*args, **kwargs) if callable(phase) else phase
        with _phase(name):
            return fn(*args, **kwargs)
    return wrapper


@contextmanager
def _phase(name: str) -> Iterator[None]:
    main = threading.current_thread() is threading.main_thread()
    if main:  # the snapshot hash's thread under xdist: its CPU only
        rss, traced = _boundary()
        memory = {"phase": name, "depth": len(_OPEN), "rss": [rss, rss], "hwm": rss,
                  "traced": [traced, traced, traced]}
        _MEMORY.append(memory)
        _OPEN.append(memory)
    cpu, start = time.thread_time(), time.time()
    _STACK.append([0.0])
    try:
        yield
    finally:
        spent = time.thread_time() - cpu
        inner = _STACK.pop()[0]
        if _STACK:
            _STACK[-1][0] += spent
        _PHASES.append({"phase": name, "cpu": spent - inner, "start": start,
                        "end": time.time()})
        if main:
            memory["rss"][1], memory["traced"][1] = _boundary()
            _OPEN.pop()
            _sites(name)


def _patch() -> None:
    from pytest_nocode import dataflow, loading, secretscan
    from pytest_nocode import run as run_state
    from pytest_nocode.platforms import n8n, nodered

    run_state.NocodeRun.load_all = _timed("load", run_state.NocodeRun.load_all)  # type: ignore[method-assign]
    loading.load_raw = _timed("read", loading.load_raw)
    for platform in (n8n.N8nPlatform, nodered.NodeRedPlatform):
        platform.normalize = _timed("normalize", platform.normalize)  # type: ignore[method-assign]
    n8n.N8nPlatform.normalize_export = _timed(  # type: ignore[method-assign]
        "read + normalize (file by file)", n8n.N8nPlatform.normalize_export)
    # under xdist the workers build the files in parts (own time of the above: waiting for
    # and reading the others' parts, then the links and entry points of the whole); older
    # code (xdist_bench.py with PYTHONPATH=its src) builds them whole
    if hasattr(n8n, "_BuiltPart"):
        n8n._BuiltPart.of = classmethod(_timed(  # type: ignore[method-assign]
            "read + normalize: building a part of the files", n8n._BuiltPart.of.__func__))
        n8n._joined = _timed("read + normalize: joining the parts", n8n._joined)
    n8n._Builder.judge_entry_points = _timed(  # type: ignore[method-assign]
        "read + normalize: judging entry points", n8n._Builder.judge_entry_points)
    if hasattr(loading.RunFolder, "shared_describing"):  # xdist workers describe while loading
        describing = loading.RunFolder.shared_describing

        def shared_describing(self: Any, spec: Any) -> Any:
            return _timed("data flow: describe (while loading, shared)", describing(self, spec))

        loading.RunFolder.shared_describing = shared_describing  # type: ignore[method-assign]
    loading.file_stamps = _timed("file stamps", loading.file_stamps)
    secretscan.scan_steps = _timed("secret scan", secretscan.scan_steps)
    secretscan.find_secrets = _timed("secret scan", secretscan.find_secrets)
    loading.RunFolder.shared_secrets = _timed(  # type: ignore[method-assign]
        "secret scan (waiting, reading parts)", loading.RunFolder.shared_secrets)
    loading.RunFolder.write = _timed("hand-off (pickle)", loading.RunFolder.write)  # type: ignore[method-assign]
    loading.RunFolder.read = _timed("hand-off (unpickle)", loading.RunFolder.read)  # type: ignore[method-assign]
    loading.RunFolder.shared_flows = _timed(  # type: ignore[method-assign]
        "data flow: shared descriptions (waiting, reading parts)",
        loading.RunFolder.shared_flows)
    dataflow.describe_steps = _timed("data flow: describe", dataflow.describe_steps)
    flow = dataflow.DataFlow
    flow.__init__ = _timed("data flow: set-up", flow.__init__)  # type: ignore[method-assign]
    flow._run = _timed("data flow: walk", flow._run)  # type: ignore[method-assign]
    flow._close = _timed("data flow: walk", flow._close)  # type: ignore[method-assign]
    if hasattr(loading.RunFolder, "shared_walk"):  # xdist: one worker walks, the others restore
        loading.RunFolder.shared_walk = _timed(  # type: ignore[method-assign]
            "data flow: shared walk (writing, or waiting for and reading it)",
            loading.RunFolder.shared_walk)
        flow.restored = classmethod(_timed(  # type: ignore[method-assign]
            "data flow: shared walk (restoring)", flow.restored.__func__))
    from pytest_nocode import reporting

    reporting.write_reports = _timed("reports", reporting.write_reports)
    reporting.write_json = _timed(lambda path, *_: f"reports: write {Path(path).suffix[1:]}",
                                  reporting.write_json)
    from pytest_nocode.reporting import allure, findings_json, sarif

    findings_json.build_report = _timed("reports: build findings JSON", findings_json.build_report)
    sarif.build_sarif = _timed("reports: build SARIF", sarif.build_sarif)
    allure.write_not_applicable = _timed("reports: Allure not-applicable results",
                                         allure.write_not_applicable)
    from pytest_nocode import audit, run

    audit.before_reports = _timed("reports: before (risk, baseline, log)", audit.before_reports)
    audit.after_reports = _timed("reports: after (Allure run files, summary)",
                                 audit.after_reports)
    run.NocodeRun.hashes = _timed("reports: waiting for the snapshot hashes",  # type: ignore[method-assign]
                                  run.NocodeRun.hashes)
    dataflow.forget_all = _timed("reports: forgetting the data flows", dataflow.forget_all)
    from pytest_nocode.threatmodel import plugin as threatmodel_plugin

    for name, phase in (("draw", "reports: threat models"), ("write", "reports: threat models")):
        setattr(threatmodel_plugin.ThreatModels, name,
                _timed(phase, getattr(threatmodel_plugin.ThreatModels, name)))
    try:
        from xdist.workermanage import NodeManager
    except ImportError:
        return
    NodeManager.teardown_nodes = _timed(  # type: ignore[method-assign]
        "xdist: waiting for the workers to exit", NodeManager.teardown_nodes)
    loading.LoadedApp.sha256 = _hashed(loading.LoadedApp.sha256)  # type: ignore[method-assign]


def _hashed(prop: Any) -> Any:
    from functools import cached_property

    fn = prop.func

    @functools.wraps(fn)
    def sha256(self: Any) -> str:
        with _phase("snapshot hash"):
            return fn(self)  # type: ignore[no-any-return]

    cp = cached_property(sha256)
    cp.attrname = "sha256"
    return cp


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PHASE_TIMES_DIR"):
        if os.environ.get("PHASE_TRACEMALLOC") and not tracemalloc.is_tracing():
            tracemalloc.start()
        _patch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    rule = item.get_closest_marker("nocode_check")
    name = f"check {rule.args[0].id}" if rule and rule.args else "other tests"
    with _phase(name):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> Iterator[None]:
    with _phase("session start"):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    with _phase("collection"):
        return (yield)


_SAMPLES: dict[str, int] = {}  # where the controller's main thread was, once a second


def _sample(main: int, stop: threading.Event) -> None:
    """What the main thread is doing at session finish, once a second: the end of the run
    waits on more than the phases above (its CPU is low, its wall time is not)."""
    while not stop.wait(1.0):
        frame = sys._current_frames().get(main)
        where = []
        while frame is not None and len(where) < 4:
            where.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")
            frame = frame.f_back
        key = " < ".join(where)
        _SAMPLES[key] = _SAMPLES.get(key, 0) + 1


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(threading.get_ident(), stop),
                               daemon=True)
    sampler.start()
    try:
        with _phase("session finish"):
            return (yield)
    finally:
        stop.set()


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get("PHASE_TIMES_DIR")
    if not folder:
        return
    role = getattr(config, "workerinput", {}).get("workerid", "controller")
    times = os.times()
    rss, traced = _boundary()
    _MEMORY.append({"phase": "at exit (unconfigure)", "depth": 0, "rss": [rss, rss],
                    "hwm": rss, "traced": [traced, traced, traced]})
    record = {"role": role, "pid": os.getpid(), "started": _STARTED,
              "ended": time.time(), "cpu": times.user + times.system,
              "thread_cpu": time.thread_time(), "phases": _PHASES, "samples": _SAMPLES,
              "memory": _MEMORY, "sites": _SITES, "peak_rss_mb": _PEAK[0]}
    Path(folder, f"{role}-{os.getpid()}.json").write_text(json.dumps(record), encoding="utf-8")


# -- printing --------------------------------------------------------------------------------
def summary(folder: Path) -> str:
    """One column per process: CPU seconds per phase, then each phase's wall span."""
    records = sorted((json.loads(p.read_text(encoding="utf-8"))
                      for p in folder.glob("*.json")), key=lambda r: r["role"] != "controller")
    if not records:
        return f"no phase times in {folder}"
    origin = min(r["started"] for r in records)
    phases: dict[str, dict[str, float]] = {}
    spans: dict[str, dict[str, tuple[float, float]]] = {}
    for r in records:
        for p in r["phases"]:
            phases.setdefault(p["phase"], {}).setdefault(r["role"], 0.0)
            phases[p["phase"]][r["role"]] += p["cpu"]
            first, last = spans.setdefault(p["phase"], {}).get(r["role"], (p["start"],
                                                                            p["end"]))
            spans[p["phase"]][r["role"]] = (min(first, p["start"]), max(last, p["end"]))
    roles = [r["role"] for r in records]
    lines = [f"{'phase (CPU s, own time)':40} " + " ".join(f"{role:>22}" for role in roles)]
    order = sorted(phases, key=lambda ph: -sum(phases[ph].values()))
    for ph in order:
        cells = []
        for role in roles:
            if role in phases[ph]:
                first, last = spans[ph][role]
                cells.append(f"{phases[ph][role]:7.2f} @{first - origin:6.1f}-{last - origin:6.1f}")
            else:
                cells.append("-")
        lines.append(f"{ph:40} " + " ".join(f"{c:>22}" for c in cells))
    lines.append(f"{'process CPU (user+sys), main thread':40} " + " ".join(
        f"{r['cpu']:9.2f} ({r['thread_cpu']:7.2f})" for r in records))
    lines.append(f"{'process wall span':40} " + " ".join(
        f"{'':5}@{r['started'] - origin:6.1f}-{r['ended'] - origin:6.1f}" for r in records))
    for r in records:
        for where, count in sorted(r.get("samples", {}).items(), key=lambda kv: -kv[1])[:8]:
            lines.append(f"  {r['role']} at session finish, {count:3d} s: {where}")
    return "\n".join(lines)


def _runs_of_repeats(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records with each run of the same phase in a row at one depth made one ("secret
    scan x100": a memoized call asked once per check item), spanning them all."""
    run: dict[str, Any] | None = None
    count = 0
    for m in records:
        if run is not None and (m["phase"], m["depth"]) == (run["phase"], run["depth"]):
            count += 1
            run["rss"][1], run["traced"][1] = m["rss"][1], m["traced"][1]
            run["hwm"] = max(run["hwm"], m["hwm"])
            run["traced"][2] = max(run["traced"][2], m["traced"][2])
            continue
        if run is not None:
            yield {**run, "phase": f"{run['phase']} x{count}"} if count > 1 else run
        run, count = {**m, "rss": list(m["rss"]), "traced": list(m["traced"])}, 1
    if run is not None:
        yield {**run, "phase": f"{run['phase']} x{count}"} if count > 1 else run


def memory(folder: Path) -> str:
    """Per process, each phase in the order it began (nested ones indented): resident MB at
    its start and end and the most inside it; with tracing, the Python heap the same way;
    then the allocation sites asked for (``PHASE_TRACEMALLOC_AT``)."""
    lines = []
    for path in sorted(folder.glob("*.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        lines.append(f"{r['role']} (pid {r['pid']}): peak RSS {r.get('peak_rss_mb', 0):.0f} MB"
                     " (ru_maxrss and /usr/bin/time see only the last phase's: VmHWM is reset)")
        lines.append(f"  {'phase':58} {'RSS start':>9} {'end':>7} {'peak':>7}"
                     f" {'heap start':>10} {'end':>7} {'peak':>7}")
        records = r.get("memory", [])
        traced = any(m["traced"][2] for m in records)
        for m in _runs_of_repeats(records):
            name = "  " * m["depth"] + m["phase"]
            row = f"  {name[:58]:58} {m['rss'][0]:9.0f} {m['rss'][1]:7.0f} {m['hwm']:7.0f}"
            if traced:
                row += f" {m['traced'][0]:10.0f} {m['traced'][1]:7.0f} {m['traced'][2]:7.0f}"
            lines.append(row)
        for phase, sites in r.get("sites", {}).items():
            lines.append(f"  held at the end of {phase!r} (MB, blocks):")
            lines.extend(f"    {mb:8.1f} {count:9d}  {site}" for site, mb, count in sites)
    return "\n".join(lines) or f"no phase records in {folder}"


if __name__ == "__main__":
    if "--memory" in sys.argv[2:]:
        print(memory(Path(sys.argv[1])))
    else:
        print(summary(Path(sys.argv[1])))
