"""Threat models of a corpus of real exports: sizes, summarising, diagram limits and time.

    python benchmarks/threat_model_bench.py CORPUS            # every export, one app each
    python benchmarks/threat_model_bench.py --app nodered:/tmp/org/nodered/flows.json \
        --app n8n:/tmp/org/n8n --render                             # whole apps, + Markdown, DOT

For each app it builds the model without run evidence (every threat then needs review), with
``--render`` also the Markdown and DOT documents (the time covers both), and prints one line:
elements, flows, boundary crossings, threats (LINDDUN among them), whether the model was drawn
at workflow level, the Mermaid diagram's characters, edges and summary level, and the time. The
totals say how many apps were summarised and how many stay within Mermaid's limits (they all
must: summarising never truncates).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import NocodeError
from pytest_nocode.loading import load_app
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import load_policy
from pytest_nocode.threatmodel.build import build_threat_model
from pytest_nocode.threatmodel.render import (
    MERMAID_MAX_CHARS,
    MERMAID_MAX_EDGES,
    documents,
    drawn,
)
from pytest_nocode.transport import RecordingOptions


def exports(root: Path) -> list[tuple[str, Path]]:
    """(platform, path) of each export: ``nodered/*.json`` and ``n8n/*.json`` (or folders)."""
    out = []
    for platform in ("nodered", "n8n"):
        folder = root / platform
        if folder.is_dir():
            out += [(platform, p) for p in sorted(folder.iterdir())
                    if p.suffix == ".json" or p.is_dir()]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, nargs="?", help="a corpus: ROOT/nodered, ROOT/n8n")
    parser.add_argument("--app", action="append", default=[], metavar="PLATFORM:PATH",
                        help="one app: an export file or an n8n folder (repeatable)")
    parser.add_argument("--render", action="store_true", help="also time Markdown and DOT")
    args = parser.parse_args(argv)
    registry = PlatformRegistry(builtin_platforms())
    policy = load_policy(None)
    totals = {"apps": 0, "failed": 0, "summarised": 0, "diagram summarised": 0,
              "over limits": 0, "threats": 0}
    seconds = 0.0
    apps = exports(args.root) if args.root else []
    apps += [(a.split(":", 1)[0], Path(a.split(":", 1)[1])) for a in args.app]
    for platform, path in apps:
        spec = AppSpec(f"{platform}+file:{path}", platform, "file", str(path), path.stem[:40])
        try:
            loaded = load_app(spec, registry, RecordingOptions(None, Path("cassettes")))
        except NocodeError as exc:
            print(f"{path.name}: not loaded: {str(exc)[:100]}")
            totals["failed"] += 1
            continue
        if loaded.app is None:
            totals["failed"] += 1
            continue
        gc.freeze()  # as the plugin does after loading: the collector skips the app
        started = time.perf_counter()
        gc.disable()  # as the plugin draws its models
        model = build_threat_model(loaded.app, policy.zone_of)
        if args.render:
            documents(model, tool="bench")
        gc.enable()
        elapsed = time.perf_counter() - started
        chart, drawing = drawn(model)
        level, edges = drawing.level, len(drawing.edges)
        seconds += elapsed
        crossings = sum(len(f.crosses) > 0 for f in model.flows)
        linddun = sum(t.framework == "LINDDUN" for t in model.threats)
        over = len(chart) > MERMAID_MAX_CHARS or edges > MERMAID_MAX_EDGES
        totals["apps"] += 1
        totals["summarised"] += bool(model.summarised)
        totals["diagram summarised"] += level > 0
        totals["over limits"] += over
        totals["threats"] += len(model.threats)
        print(f"{platform:7} {len(loaded.app.steps):6} steps {len(model.elements):5} el "
              f"{len(model.flows):5} fl {crossings:4} cross {len(model.threats):6} thr "
              f"({linddun} LINDDUN) {'W' if model.summarised else '-'} mermaid {len(chart):6} ch "
              f"{edges:4} ed L{level}{f'/{drawing.kept}' if drawing.kept else ''} "
              f"{elapsed * 1000:7.1f} ms  {path.name[:60]}")
    print(f"apps {totals['apps']} (not loaded {totals['failed']}), threats {totals['threats']}, "
          f"drawn at workflow level {totals['summarised']}, diagram summarised "
          f"{totals['diagram summarised']}, over Mermaid's limits {totals['over limits']}, "
          f"model time {seconds:.2f} s")
    return 1 if totals["over limits"] else 0


if __name__ == "__main__":
    sys.exit(main())
