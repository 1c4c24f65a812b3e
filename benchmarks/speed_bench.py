"""Fast at every size (issue 8): pytest-nocode end to end beside ``n8n audit``, in one sitting.

    python benchmarks/speed_bench.py [--dir DIR] [--repeat 3] [--python LABEL=PYTHON ...]
                                     [--no-20k] [--no-n8n]

Generates (once, into ``--dir``; ``generate_org.py`` needs faker, in the test extra) 2,000 and
20,000 n8n workflows and 163 small Node-RED flows, then times, each ``--repeat`` times (the
20,000 runs once), in an empty folder:

* ``--nocode-app=demo`` (the fixed cost: interpreter, pytest and plugin start-up);
* 2,000 workflows with every built-in check and the findings JSON, SARIF and Allure on, and
  ``n8n audit`` on the same files imported into a temporary n8n user folder (n8n 1.94.1 from
  the live tests' cache, ``tests/live/servers.py``; ``--no-n8n`` skips it);
* the 163 flows as 163 apps of one run (8,150 checks; checks that cannot apply to an app are
  left out at collection, so pytest's outcome line, printed per column, counts them as
  deselected), no reports, ``--tb=line``: pytest's
  default failure summary looks up each failed test's teardown among all reports (quadratic:
  on 745 failing checks, half of the run);
* 20,000 workflows, all reports, serially and with ``-n 2``, with the peak RSS of the largest
  process, and whether both runs report the same findings.

Each ``--python LABEL=PATH`` is one more column (an interpreter with another pytest-nocode
installed, e.g. main's, for before/after figures in the same sitting); the first column is
this interpreter. Children run with bytecode caching on (``PYTHONPYCACHEPREFIX`` under
``--dir``, after a warm-up run) as a default Python does, and without the plugins only the
test extra installs (hypothesis; faker where pytest-nocode does not require it), as a user's
install has them. The machine's load average is printed before and after: on a shared machine,
compare columns of one run, and read the CPU seconds beside the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # generate_org
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.live.servers

N8N_VERSION = "1.94.1"
SMALL_APPS = 163
SMALL_APP_NODES = 60

# Runs the command; writes "<wall s> <user+sys s> <max RSS KiB>" of its process tree to
# argv[1]. A small intermediary, so the RSS is pytest's (or n8n's), not this process's.
_TIMER = """
import resource, subprocess, sys, time
started = time.perf_counter()
rc = subprocess.call(sys.argv[2:], stdout=sys.stdout, stderr=sys.stderr)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
sys.exit(rc)
"""


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    failed: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")

    def cell(self, rss: bool = False) -> str:
        if self.failed:
            return f"failed: {self.failed}"
        if not self.wall:
            return "-"
        text = f"{self.median:6.2f} s (cpu {statistics.median(self.cpu):.2f})"
        if len(self.wall) > 1:
            text += f" [{min(self.wall):.2f}-{max(self.wall):.2f}]"
        if rss:
            text += f" {self.rss_mb:.0f} MB"
        return text


def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str], log: Path, into: Timing,
          ok: Sequence[int] = (0, 1)) -> int:
    cwd.mkdir(parents=True, exist_ok=True)
    stats = cwd / "timer.txt"
    with log.open("w", encoding="utf-8") as fh:
        rc = subprocess.call([sys.executable, "-c", _TIMER, str(stats), *cmd], cwd=cwd,
                             stdout=fh, stderr=subprocess.STDOUT, env=env)
    wall, cpu, rss = stats.read_text(encoding="utf-8").split()
    if rc not in ok:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        into.failed = f"exit {rc}, see {log}"
        print(f"{' '.join(cmd[:6])} … exited {rc}:\n  " + "\n  ".join(tail))
        return rc
    into.wall.append(float(wall))
    into.cpu.append(float(cpu))
    into.rss_mb = max(into.rss_mb, int(rss) / 1024)
    print(f"  {float(wall):7.2f} s wall {float(cpu):7.2f} s cpu {int(rss) / 1024:6.0f} MB  "
          f"{' '.join(cmd[:3])} … {cmd[-1][-60:]}", flush=True)  # as it goes: long runs
    return rc


# -- data ------------------------------------------------------------------------------------
def ensure_data(folder: Path, with_20k: bool) -> dict[str, Path]:
    from generate_org import Summary, generate_n8n, generate_nodered

    paths = {"2k": folder / "n8n-2k", "163": folder / "nodered-163"}
    sizes = {"2k": 2000}
    if with_20k:
        paths["20k"] = folder / "n8n-20k"
        sizes["20k"] = 20000
    for key, size in sizes.items():
        if len(list(paths[key].glob("*.json"))) != size:
            print(f"generating {size} n8n workflows into {paths[key]} …", flush=True)
            generate_n8n(paths[key], size, 1, Summary())
    small = paths["163"]
    if len(list(small.glob("*.json"))) != SMALL_APPS:
        print(f"generating {SMALL_APPS} Node-RED flows into {small} …", flush=True)
        for i in range(SMALL_APPS):
            generate_nodered(small / f"flows-{i:03d}.json", SMALL_APP_NODES, i + 1, Summary())
    return paths


# -- n8n audit -------------------------------------------------------------------------------
def n8n_command() -> list[str] | None:
    from tests.live.servers import cache_root  # where the live tests install n8n

    script = cache_root() / f"n8n@{N8N_VERSION}" / "node_modules" / "n8n" / "bin" / "n8n"
    node = shutil.which("node")
    return [node, str(script)] if node and script.is_file() else None


def n8n_env(home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("N8N_", "NOCODE_"))}
    return {**keep, "N8N_USER_FOLDER": str(home), "DB_TYPE": "sqlite",
            "N8N_ENCRYPTION_KEY": "speed-bench-not-a-secret-0123456789",
            "N8N_DIAGNOSTICS_ENABLED": "false", "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_RUNNERS_BROKER_LISTEN_ADDRESS": "127.0.0.1", "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false"}


def n8n_imported(n8n: list[str], workflows: Path, home: Path) -> bool:
    marker = home / "imported.txt"
    if marker.is_file() and marker.read_text() == str(len(list(workflows.glob("*.json")))):
        return True
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    print(f"importing {workflows} into n8n {N8N_VERSION} …", flush=True)
    done = subprocess.run([*n8n, "import:workflow", "--separate", f"--input={workflows}"],
                          env=n8n_env(home), capture_output=True, text=True)
    if done.returncode != 0:
        print(f"n8n import failed ({done.returncode}): {done.stderr.strip()[-300:]}")
        return False
    marker.write_text(str(len(list(workflows.glob("*.json")))))
    return True


# -- pytest ----------------------------------------------------------------------------------
def child_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_ADDOPTS", "PYTHONDONTWRITEBYTECODE") and not k.startswith(
               "NOCODE_")}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def test_only_plugins(python: str) -> list[str]:
    """``-p no:…`` for plugins a user's install of that pytest-nocode would not have."""
    probe = ("from importlib.metadata import requires\n"
             "print(any(r.lower().startswith('faker') and 'extra' not in r "
             "for r in requires('pytest-nocode') or ()))")
    needs_faker = subprocess.run([python, "-c", probe], capture_output=True,
                                 text=True).stdout.strip() == "True"
    return ["-p", "no:hypothesispytest"] + ([] if needs_faker else ["-p", "no:faker"])


def pytest_cmd(python: str, plugins: list[str], apps: Sequence[str], out: Path, *,
               reports: bool, workers: int = 0) -> list[str]:
    cmd = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", *plugins,
           *(f"--nocode-app={a}" for a in apps)]
    if reports:
        shutil.rmtree(out / "allure", ignore_errors=True)
        cmd += [f"--nocode-json={out / 'findings.json'}",
                f"--nocode-sarif={out / 'findings.sarif'}", f"--alluredir={out / 'allure'}"]
    if workers:
        cmd += ["-n", str(workers)]
    return cmd


def findings_of(out: Path) -> list[dict[str, object]] | None:
    path = out / "findings.json"
    return json.loads(path.read_text(encoding="utf-8"))["findings"] if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pytest-nocode-speed"),
                        help="where data, n8n's user folder and run folders are kept")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python", action="append", default=[], metavar="LABEL=PATH",
                        help="one more interpreter to measure (its own pytest-nocode)")
    parser.add_argument("--no-20k", action="store_true", help="skip the 20,000-workflow runs")
    parser.add_argument("--no-n8n", action="store_true", help="skip n8n audit")
    args = parser.parse_args(argv)
    folder: Path = args.dir.resolve()
    pythons = [("this", sys.executable)] + [tuple(p.split("=", 1)) for p in args.python]
    paths = ensure_data(folder, not args.no_20k)
    env = child_env(folder)
    load_before = os.getloadavg()

    rows: dict[str, dict[str, Timing]] = {}
    same: dict[str, str] = {}
    outcomes: dict[str, str] = {}  # pytest's last line of the 163-app run, per column

    def row(name: str, label: str) -> Timing:
        return rows.setdefault(name, {}).setdefault(label, Timing())

    n8n_timing = Timing()
    n8n = None if args.no_n8n else n8n_command()
    home = folder / "n8n-home"
    if n8n is not None and n8n_imported(n8n, paths["2k"], home):
        for _ in range(args.repeat):
            timed([*n8n, "audit"], folder / "n8n-audit", n8n_env(home),
                  folder / "n8n-audit.log", n8n_timing, ok=(0,))
    elif not args.no_n8n:
        n8n_timing.failed = f"n8n {N8N_VERSION} not installed (python -m tests.live.servers)"

    small_apps = [f"nodered+file:{p}" for p in sorted(paths["163"].glob("*.json"))]
    for label, python in pythons:
        plugins = test_only_plugins(python)
        out = folder / "runs" / label
        log = out / "pytest.log"
        print(f"{label}: {python} ({' '.join(plugins)})", flush=True)
        timed(pytest_cmd(python, plugins, ["demo"], out, reports=False), out, env, log,
              Timing())  # warm-up: bytecode into the cache
        for _ in range(args.repeat):
            timed(pytest_cmd(python, plugins, ["demo"], out, reports=False), out, env, log,
                  row("demo", label))
            timed(pytest_cmd(python, plugins, [f"n8n+file:{paths['2k']}"], out, reports=True),
                  out, env, log, row("2k", label))
            timed([*pytest_cmd(python, plugins, small_apps, out, reports=False), "--tb=line"],
                  out, env, log, row("163", label))
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            outcomes[label] = lines[-1].strip("= ") if lines else "?"
        if "20k" in paths:
            app = [f"n8n+file:{paths['20k']}"]
            timed(pytest_cmd(python, plugins, app, out, reports=True), out, env, log,
                  row("20k", label))
            serial = findings_of(out)
            timed(pytest_cmd(python, plugins, app, out, reports=True, workers=2), out, env,
                  log, row("20k -n 2", label))
            parallel = findings_of(out)
            same[label] = ("identical" if serial is not None and serial == parallel
                           else "DIFFERENT")
            same[label] += f" ({len(serial or [])} findings)"

    load_after = os.getloadavg()
    labels = [label for label, _ in pythons]
    print(f"\nload average before {load_before[0]:.1f} / {load_before[1]:.1f} / "
          f"{load_before[2]:.1f}, after {load_after[0]:.1f} / {load_after[1]:.1f} / "
          f"{load_after[2]:.1f} (1/5/15 min) on {os.cpu_count()} cores")
    print(f"wall seconds, median of {args.repeat} (cpu: user+sys of the process tree) "
          "[min-max], peak RSS of the largest process\n")
    names = {"demo": "--nocode-app=demo", "2k": "2,000 n8n workflows, all reports",
             "163": f"{SMALL_APPS} Node-RED apps in one run, --tb=line",
             "20k": "20,000 n8n workflows, all reports", "20k -n 2": "the same, -n 2"}
    width = 44
    print(f"{'run':{width}} | " + " | ".join(f"{label:^40}" for label in labels))
    for key, name in names.items():
        if key not in rows:
            continue
        cells = [rows[key].get(label, Timing()).cell(rss=key.startswith("20k"))
                 for label in labels]
        print(f"{name:{width}} | " + " | ".join(f"{c:40}" for c in cells))
    for label, outcome in outcomes.items():
        print(f"{SMALL_APPS} apps, {label}: {outcome}")
    if not args.no_n8n:
        print(f"{'n8n audit ' + N8N_VERSION + ', the same 2,000':{width}} | "
              f"{n8n_timing.cell(rss=True)}")

    print("\ntargets (issue 8):")
    for label in labels:
        got = {k: rows[k][label].median for k in rows if label in rows[k]}
        lines = []
        if n8n_timing.wall and "2k" in got:
            ratio = got["2k"] / n8n_timing.median
            lines.append(f"2,000 vs n8n audit {ratio:.2f}x (target <= 0.5x): "
                         f"{'met' if ratio <= 0.5 else 'not met'}")
        if "demo" in got:
            lines.append(f"demo {got['demo']:.2f} s (target < 1 s): "
                         f"{'met' if got['demo'] < 1 else 'not met'}")
        if "163" in got:
            lines.append(f"{SMALL_APPS} apps {got['163']:.2f} s (target < 5 s): "
                         f"{'met' if got['163'] < 5 else 'not met'}")
        if "20k" in got and "2k" in got:
            ratio = got["20k"] / got["2k"]
            rss = rows["20k"][label].rss_mb
            lines.append(f"20,000 / 2,000 {ratio:.1f}x (target <= 10x): "
                         f"{'met' if ratio <= 10 else 'not met'}; peak RSS {rss:.0f} MB "
                         f"(target < 1024): {'met' if rss < 1024 else 'not met'}")
        if "20k -n 2" in got and "20k" in got:
            speedup = got["20k"] / got["20k -n 2"]
            lines.append(f"-n 2 speed-up {speedup:.2f}x (target >= 1.5x): "
                         f"{'met' if speedup >= 1.5 else 'not met'}; findings "
                         f"{same.get(label, '?')}")
        print(f"  {label}:\n    " + "\n    ".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
