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
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_PHASES: list[dict[str, Any]] = []  # {"phase", "cpu", "start", "end"}, own time only
_STACK: list[list[float]] = []  # CPU of the phases nested inside the running one
_STARTED = time.time()


def _timed(phase: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = phase(*args, **kwargs) if callable(phase) else phase
        with _phase(name):
            return fn(*args, **kwargs)
    return wrapper


@contextmanager
def _phase(name: str) -> Iterator[None]:
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


def _patch() -> None:
    from pytest_nocode import dataflow, loading, secretscan
    from pytest_nocode.platforms import n8n, nodered

    loading.load_raw = _timed("read", loading.load_raw)
    for platform in (n8n.N8nPlatform, nodered.NodeRedPlatform):
        platform.normalize = _timed("normalize", platform.normalize)  # type: ignore[method-assign]
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
    from pytest_nocode import reporting

    reporting.write_reports = _timed("reports", reporting.write_reports)
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
    record = {"role": role, "pid": os.getpid(), "started": _STARTED,
              "ended": time.time(), "cpu": times.user + times.system,
              "thread_cpu": time.thread_time(), "phases": _PHASES, "samples": _SAMPLES}
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


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
