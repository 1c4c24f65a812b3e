"""``pytest -n N`` against a serial run on one large app (issue 8): wall, CPU, same reports.

    python benchmarks/xdist_bench.py --app n8n+file:DIR [--workers 2] [--repeat 3]
                                     [--out DIR] [--phases] [--handoff]

Runs pytest with every built-in check and the findings JSON, SARIF and Allure on, serially and
with ``-n N`` in turn (interleaved, so both see the same load on a shared machine), ``--repeat``
times each, and prints per mode the median and fastest wall time, the CPU seconds of the
process tree, the peak RSS of its largest process, the speed-up (median over median, and
fastest over fastest), and whether the ``-n N`` reports equal the serial ones: the findings
JSON apart from its run provenance (``run``), the SARIF results and rules, and the Allure
results by test (name, status, labels, parameters, and its attachments' contents).

Each run has its own ``--basetemp``: an xdist controller creates pytest's base temporary
folder, and pytest then cleans the numbered folders older runs left in ``/tmp/pytest-of-USER``
(54 s of a 6,000-workflow ``-n 2`` run on a machine where seven people run test suites).

``--phases`` loads ``phase_times.py`` into each run (controller and workers) and prints, for
the last run of each mode, the CPU seconds each process spent per phase (loading, the secret
scan, describing steps, the data-flow walk, each check, the reports) and when.

``--handoff`` also loads the app in this process and prints what handing it to the workers
pickled would cost (the raw snapshot, the model and the secrets: size, dump and load time),
against what the workers exchange now (the parts of the secret scan).

Data: ``python benchmarks/generate_org.py --out /tmp/xd20k --n8n-workflows 20000 --seed 1``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed_bench import Timing, child_env, pytest_cmd, test_only_plugins, timed


def findings_report(out: Path) -> Any:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    data.pop("run", None)  # started, finished, duration: provenance of one run
    return data


def sarif_report(out: Path) -> Any:
    data = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    return [(run["tool"], run["results"], run.get("properties")) for run in data["runs"]]


def allure_results(out: Path) -> list[Any]:
    """Each test's result without what differs from run to run (uuids, times, thread and
    host labels), with its attachments' contents in place of their random file names."""
    folder = out / "allure"
    varying = {"thread", "host"}
    results = []
    for path in sorted(folder.glob("*-result.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        attachments = [(a["name"], (folder / a["source"]).read_bytes())
                       for a in data.get("attachments", [])]
        results.append((data["fullName"], data["status"],
                        sorted((lb["name"], lb["value"]) for lb in data.get("labels", [])
                               if lb["name"] not in varying),
                        data.get("parameters"), data.get("statusDetails"),
                        sorted(attachments)))
    return sorted(results, key=repr)


def reports(out: Path) -> dict[str, Any]:
    return {"findings JSON": findings_report(out), "SARIF": sarif_report(out),
            "Allure results": allure_results(out)}


def handoff(app_uri: str) -> None:
    """What pickling the loaded app to the workers (the hand-off before) would cost."""
    from pytest_nocode.appspec import parse_app_uris
    from pytest_nocode.loading import _ModelPickler, load_app
    from pytest_nocode.platforms import PlatformRegistry
    from pytest_nocode.platforms.builtin import builtin_platforms
    from pytest_nocode.secretscan import find_secrets
    from pytest_nocode.transport import RecordingOptions

    registry = PlatformRegistry(builtin_platforms())
    (spec,) = parse_app_uris([app_uri], registry.names(), Path.cwd())
    started = time.process_time()
    loaded = load_app(spec, registry, RecordingOptions(None, Path("cassettes")))
    print(f"\nin this process: loaded, normalized and scanned in "
          f"{time.process_time() - started:.2f} s CPU")
    assert loaded.app is not None
    hits = find_secrets(loaded.app)
    for what, obj in (("raw snapshot, model and secrets (the hand-off before)",
                       (loaded, hits)), ("the secret scan's parts (what is shared now)", hits)):
        buffer = io.BytesIO()
        started = time.perf_counter()
        _ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        dumped = time.perf_counter() - started
        started = time.perf_counter()
        pickle.loads(buffer.getvalue())
        print(f"  pickled {what}: {len(buffer.getvalue()) / 1e6:.1f} MB, dump {dumped:.2f} s, "
              f"load {time.perf_counter() - started:.2f} s (per worker)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", required=True, help="the app URI, e.g. n8n+file:/tmp/xd20k/n8n")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/pytest-nocode-xdist"))
    parser.add_argument("--phases", action="store_true",
                        help="print each process's CPU per phase (benchmarks/phase_times.py)")
    parser.add_argument("--handoff", action="store_true",
                        help="also print what pickling the app to the workers would cost")
    args = parser.parse_args(argv)
    folder: Path = args.out.resolve()
    env = child_env(folder)
    plugins = test_only_plugins(sys.executable)
    modes = {"serial": 0, f"-n {args.workers}": args.workers}
    timings = {mode: Timing() for mode in modes}
    seen: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()
    timed(pytest_cmd(sys.executable, plugins, ["demo"], folder / "warm-up", reports=False),
          folder / "warm-up", env, folder / "warm-up.log", Timing())  # bytecode cache
    if args.phases:
        plugins = [*plugins, "-p", "phase_times"]
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parent), env.get("PYTHONPATH")]))
    for _ in range(args.repeat):
        for mode, workers in modes.items():
            out = folder / mode.replace(" ", "")
            run_env = env
            if args.phases:
                shutil.rmtree(out / "phases", ignore_errors=True)
                (out / "phases").mkdir(parents=True)
                run_env = {**env, "PHASE_TIMES_DIR": str(out / "phases")}
            # its own basetemp: an xdist controller makes one, and cleaning the numbered
            # folders every earlier run left in the shared /tmp/pytest-of-USER (a whole test
            # suite's, on a machine several people use) is pytest's housekeeping, not the run
            cmd = [*pytest_cmd(sys.executable, plugins, [args.app], out, reports=True,
                               workers=workers), f"--basetemp={out / 'basetemp'}"]
            timed(cmd, out, run_env, out / "pytest.log", timings[mode])
            seen.setdefault(mode, reports(out))
    load_after = os.getloadavg()
    print(f"\n{args.app}, all built-in checks, findings JSON + SARIF + Allure; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, {os.cpu_count()} cores")
    print(f"{'mode':8} | {'wall median':>11} | {'fastest':>8} | {'cpu median':>10} | peak RSS")
    for mode, timing in timings.items():
        if timing.failed:
            print(f"{mode:8} | failed: {timing.failed}")
            continue
        print(f"{mode:8} | {statistics.median(timing.wall):9.2f} s | {min(timing.wall):6.2f} s | "
              f"{statistics.median(timing.cpu):8.2f} s | {timing.rss_mb:.0f} MB")
    serial, parallel = timings.values()
    if serial.wall and parallel.wall:
        print(f"speed-up -n {args.workers}: {serial.median / parallel.median:.2f}x (medians), "
              f"{min(serial.wall) / min(parallel.wall):.2f}x (fastest); target >= 1.5x")
        first, second = seen.values()
        for name in first:
            print(f"  {name}: {'identical' if first[name] == second[name] else 'DIFFERENT'}")
    if args.phases:
        from phase_times import summary

        for mode in modes:
            print(f"\n{mode}: CPU s per phase and process (own time), @ wall s from the start")
            print(summary(folder / mode.replace(" ", "") / "phases"))
    if args.handoff:
        handoff(args.app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
