"""Threat Dragon, Threat Composer and OTM files of a corpus of real exports: valid, laid out
right, and how long they take.

    python benchmarks/threatmodel_exchange_bench.py CORPUS
    python benchmarks/threatmodel_exchange_bench.py CORPUS --no-validate   # time only

For each app it builds the threat model (no run evidence), exports the three forms and checks
them against the published schemas (``tests/published_schemas.py`` says where they are read
from), then checks the layout as Threat Dragon reads it: each element inside exactly the boxes
of its boundary and the boundaries around it, and each flow crossing exactly the boundaries the
model says. It prints the apps that fail, then totals: apps, elements, threats, schema errors
by form, layout faults, the largest file and the export time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.published_schemas: one place that finds the schemas

from corpus_bench import corpus_files  # noqa: E402

from pytest_nocode.appspec import parse_app_uri  # noqa: E402
from pytest_nocode.errors import InputError  # noqa: E402
from pytest_nocode.loading import load_app  # noqa: E402
from pytest_nocode.platforms import PlatformRegistry  # noqa: E402
from pytest_nocode.platforms.builtin import builtin_platforms  # noqa: E402
from pytest_nocode.policy import load_policy  # noqa: E402
from pytest_nocode.threatmodel.build import build_threat_model  # noqa: E402
from pytest_nocode.threatmodel.exchange import dumps  # noqa: E402
from pytest_nocode.threatmodel.exports import EXPORTERS  # noqa: E402
from pytest_nocode.threatmodel.layout import boundaries_around, layout  # noqa: E402
from pytest_nocode.threatmodel.model import ThreatModel  # noqa: E402
from pytest_nocode.transport import RecordingOptions  # noqa: E402


def layout_faults(model: ThreatModel) -> list[str]:
    """Where Threat Dragon's geometry would disagree with the model."""
    found = layout(model)
    parents = {b.id: b.parent for b in model.boundaries}

    def chain(boundary: str) -> set[str]:
        out = set()
        while boundary:
            out.add(boundary)
            boundary = parents.get(boundary, "")
        return out

    faults = [f"element {e.id} in {sorted(boundaries_around(found, e.id))}"
              for e in model.elements if boundaries_around(found, e.id) != chain(e.boundary)]
    for flow in model.flows:
        crossed = boundaries_around(found, flow.source) ^ boundaries_around(found, flow.target)
        if crossed != set(flow.crosses):
            faults.append(f"flow {flow.id} crosses {sorted(crossed)}, model {flow.crosses}")
    return faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--no-validate", action="store_true", help="skip the schema checks")
    args = parser.parse_args(argv)
    if not args.no_validate:
        from tests.published_schemas import schema_errors
    registry = PlatformRegistry(builtin_platforms())
    policy = load_policy(None)
    totals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    largest = (0, "")
    seconds = 0.0
    for platform, path in corpus_files(args.root):
        spec = parse_app_uri(f"{platform}+file:{path}", registry.names(), path.parent)[0]
        try:
            loaded = load_app(spec, registry, RecordingOptions(None, path.parent))
        except InputError:
            totals["not loaded"] += 1
            continue
        if loaded.app is None:
            totals["not loaded"] += 1
            continue
        try:
            model = build_threat_model(loaded.app, policy.zone_of)
        except Exception as exc:  # the builder's bug, not the exporters': count it, go on
            totals["builder errors"] += 1
            print(f"{platform}/{path.name}: builder {type(exc).__name__}: {str(exc)[:80]}")
            continue
        started = time.perf_counter()
        documents = {name: export(model) for name, export in EXPORTERS}
        texts = {name: dumps(document) for name, document in documents.items()}
        seconds += time.perf_counter() - started
        totals["apps"] += 1
        totals["elements"] += len(model.elements)
        totals["flows"] += len(model.flows)
        totals["threats"] += len(model.threats)
        totals["summarised"] += bool(model.summarised)
        for name, text in texts.items():
            largest = max(largest, (len(text), f"{path.name} {name}"))
        problems = layout_faults(model)
        totals["layout faults"] += len(problems)
        if not args.no_validate:
            for name, document in documents.items():
                found = schema_errors(document, name)
                errors[name] += len(found)
                problems += [f"{name}: {e}" for e in found[:3]]
        if problems:
            totals["apps with faults"] += 1
            print(f"{platform}/{path.name}: " + "; ".join(problems[:4]))
    print(f"apps {totals['apps']} (not loaded {totals['not loaded']}, builder errors "
          f"{totals['builder errors']}, summarised at workflow "
          f"level {totals['summarised']}): {totals['elements']} elements, {totals['flows']} "
          f"flows, {totals['threats']} threats")
    if args.no_validate:
        print("schema errors: not checked")
    else:
        print("schema errors: " + ", ".join(f"{name} {errors[name]}" for name, _ in EXPORTERS))
    print(f"layout faults {totals['layout faults']}; apps with any fault "
          f"{totals['apps with faults']}")
    print(f"largest file {largest[0] / 1e6:.1f} MB ({largest[1]}); export of all three forms "
          f"{seconds:.1f} s in total, {1000 * seconds / max(1, totals['apps']):.0f} ms per app")
    return 1 if totals["apps with faults"] else 0


if __name__ == "__main__":
    sys.exit(main())
