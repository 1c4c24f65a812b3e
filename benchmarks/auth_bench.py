"""CPU seconds of AUTH001's own work on generated n8n orgs: judging what each entry point's
call can do (in the adapter, intake of public forms included) and the check itself (in-flow
guards).

    python benchmarks/auth_bench.py DIR [DIR ...] [--repeat 3]

Each DIR is an estate from ``generate_org.py`` (its ``n8n`` folder is read). Per repeat, the
App is normalized afresh; printed are the median process CPU seconds (the machine is shared)
of the whole normalization, of the adapter's entry-point judging inside it, and of the first
AUTH001 run on that App (after its data flow is built, which other checks share). Written to
show that both grow with the app (one walk per entry point, each step judged once), not with
forms x steps.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from pytest_nocode.checks.test_authentication import test_entry_points_require_authentication
from pytest_nocode.dataflow import dataflow
from pytest_nocode.platforms import n8n
from pytest_nocode.testing import run_check

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataflow_bench import load_n8n


def measure(folder: Path) -> tuple[float, float, float, int, int]:
    """(normalize, judging, AUTH001) CPU seconds, entry points and findings, for one run."""
    judging = [0.0]
    judge = n8n._Builder.judge_entry_points

    def timed(builder: n8n._Builder) -> None:
        start = time.process_time()
        judge(builder)
        judging[0] += time.process_time() - start

    n8n._Builder.judge_entry_points = timed  # type: ignore[method-assign]
    try:
        start = time.process_time()
        app = load_n8n(folder)
        normalize = time.process_time() - start
    finally:
        n8n._Builder.judge_entry_points = judge  # type: ignore[method-assign]
    dataflow(app)
    start = time.process_time()
    found = run_check(test_entry_points_require_authentication, app).findings or []
    return normalize, judging[0], time.process_time() - start, len(app.entry_points), len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'estate':<28} {'entries':>7} {'normalize':>9} {'judging':>8} {'AUTH001':>8} "
          f"{'findings':>8}")
    for folder in args.dirs:
        runs = [measure(folder) for _ in range(args.repeat)]
        med = [statistics.median(r[i] for r in runs) for i in range(3)]
        print(f"{folder.name:<28} {runs[0][3]:>7} {med[0]:>8.2f}s {med[1]:>7.3f}s "
              f"{med[2]:>7.3f}s {runs[0][4]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
