"""CPU seconds of the provenance engine alone (``dataflow(app)``) on generated n8n orgs.

    python benchmarks/dataflow_bench.py DIR [DIR ...] [--repeat 3] [--profile]

Each DIR is an estate from ``generate_org.py`` (its ``n8n`` folder is read). The App is
normalized once; then a fresh :class:`~pytest_nocode.dataflow.DataFlow` is built ``--repeat``
times and the median process CPU time is printed (CPU rather than wall: the machine is shared),
with the part spent in the adapter's step descriptions (``describe``) and the rest (``walk``).
``--profile`` lists the hot spots of one more build under cProfile. Written to show whether the
engine grows with the app (linear) or with readers x writers of shared stores.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from pathlib import Path

from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.dataflow import DataFlow
from pytest_nocode.model import App
from pytest_nocode.platforms import PlatformRegistry, RawSnapshot
from pytest_nocode.platforms.builtin import builtin_platforms


def load_n8n(folder: Path) -> App:
    """The generated org's n8n workflows as one App, as the plugin builds it."""
    registry = PlatformRegistry(builtin_platforms())
    adapter = registry["n8n"]
    path = folder / "n8n" if (folder / "n8n").is_dir() else folder
    spec = parse_app_uri(f"n8n+file:{path}", registry.names(), Path.cwd())[0]
    return adapter.normalize(spec, RawSnapshot("n8n", adapter.load_file(path), "file"))


def build_cpu_seconds(app: App) -> tuple[float, float]:
    """CPU seconds of one uncached build, with the collector paused as :func:`dataflow` does,
    and of the adapter's step descriptions alone (part of the build): the rest is the walk."""
    describe = app.flow_of or (lambda _step: None)
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        for step in app.steps:
            describe(step)
        described = time.process_time() - started
        started = time.process_time()
        DataFlow(app)
        return time.process_time() - started, described
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    print(f"{'org':28} {'steps':>7} {'stores':>6} {'build CPU s':>11} {'describe':>9} "
          f"{'walk':>7}  builds")
    for folder in args.dirs:
        app = load_n8n(folder)
        runs = [build_cpu_seconds(app) for _ in range(args.repeat)]
        builds = [b for b, _ in runs]
        build, described = statistics.median(builds), statistics.median(d for _, d in runs)
        print(f"{folder!s:28} {len(app.steps):7} {len(app.stores):6} {build:11.2f} "
              f"{described:9.2f} {build - described:7.2f}  {' '.join(f'{b:.2f}' for b in builds)}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(DataFlow, app)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
