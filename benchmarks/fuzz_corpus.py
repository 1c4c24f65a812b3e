"""Mutate real exports at random and scan each one: how many scan, how many are rejected with a
clear error, and how many crash inside the plugin (which must be none).

    python benchmarks/fuzz_corpus.py [FOLDER ...] [-n 10000] [--seed 1] [--show 3]

FOLDER (repeatable) holds Node-RED and n8n exports, in any sub-folders (``*.json``); without
one, the folder ``$NOCODE_CORPUS`` names (a corpus of real exports), else the bundled demo
and the test exports. Each of the N inputs is one export, picked at random, with one to three
mutations (see ``tests/fuzzing.py``: values replaced by other types, keys removed, list items
duplicated, ids repeated, wires pointing nowhere, containers replaced by scalars), written to
a temporary file and scanned as a run would: the adapter reads and normalizes it, the secret
scan and every built-in check run (drift against the unmutated export), and its threat model is
drawn, rendered (Markdown, Mermaid, DOT) and exported (Threat Dragon, Threat Composer, OTM;
every K-th one validated against the published schemas). The same seed and folders give the
same inputs.

Prints the counts, then each distinct internal error (exception type and where it was raised)
with how often it occurred and the first inputs that caused it (the error's first line, the
source file and the mutations), and each rejection that is not one clear line naming the file
and the JSON path. Exits 1 when there was any of either.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the mutation and scan helpers live with the fuzz tests

from tests.fuzzing import (  # noqa: E402
    REPORT_NAME,
    SARIF_NAME,
    as_shards,
    baseline_of,
    is_clear_error,
    is_clear_merge_error,
    merge_outcome,
    mutate,
    scan,
    shard_folders,
)
from tests.published_schemas import SCHEMAS, schema_errors  # noqa: E402

# A corpus of real exports (n8n/, nodered/; never committed), where the environment names one
CORPUS = Path(os.environ["NOCODE_CORPUS"]) if os.environ.get("NOCODE_CORPUS") else None
DEFAULT_SOURCES = (REPO / "src" / "pytest_nocode" / "demo", REPO / "tests" / "data")


class RandomChooser:
    """Mutation choices from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


def platform_of(path: Path, data: Any) -> str | None:
    """``nodered`` for a flows array or snapshot, ``n8n`` for workflows, else None."""
    parts = {p.lower() for p in path.parts}
    if "nodered" in parts or "node-red" in parts:
        return "nodered"
    if "n8n" in parts:
        return "n8n"
    items = data if isinstance(data, list) else data.get("flows") if isinstance(data, dict) \
        else None
    if isinstance(data, dict) and ("nodes" in data or "workflows" in data):
        return "n8n"
    if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
        if all("nodes" in i for i in items):
            return "n8n"
        if any("wires" in i or "z" in i for i in items):
            return "nodered"
    return None


def sources(folders: list[Path]) -> list[tuple[str, Path, Any]]:
    """(platform, path, parsed JSON) of every export under the folders, in a stable order."""
    out = []
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*.json"))
        for path in files:
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError):
                continue
            platform = platform_of(path.relative_to(folder) if folder.is_dir() else path, data)
            if platform:
                out.append((platform, path, data))
    return out


def bug_of(crash: str) -> str:
    """One bug, one line: the exception type and where it was raised (messages vary with the
    data, e.g. the position of a bad character)."""
    kind, _, rest = crash.partition(":")
    at = rest.rfind(" (at ")
    return kind + (rest[at:] if at >= 0 else f": {rest.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("-n", type=int, default=10_000, help="inputs to scan (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=3, help="examples per distinct error")
    parser.add_argument("--merges", type=int, default=1000, metavar="M",
                        help="then merge M pairs of shards (a Node-RED and an n8n export's "
                             "reports and SARIF logs), one file of each pair mutated")
    parser.add_argument("--validate-every", type=int, default=50, metavar="K",
                        help="check every K-th scanned input's Threat Dragon, Threat Composer "
                             "and OTM files against their published schemas (default 50)")
    args = parser.parse_args(argv)
    folders = args.folders or ([CORPUS] if CORPUS is not None and CORPUS.is_dir()
                               else list(DEFAULT_SOURCES))
    pool = sources(folders)
    if not pool:
        print(f"no Node-RED or n8n exports under {', '.join(map(str, folders))}")
        return 2
    by_platform = Counter(p for p, _, _ in pool)
    mix = ", ".join(f"{n} {p}" for p, n in sorted(by_platform.items()))
    print(f"sources: {len(pool)} exports ({mix}) under {', '.join(map(str, folders))}; "
          f"n={args.n}, seed={args.seed}")
    rng = random.Random(args.seed)
    chooser = RandomChooser(rng)
    baselines: dict[Path, Any] = {}
    counts: Counter[str] = Counter()
    crashes: dict[str, list[str]] = {}
    unclear: dict[str, list[str]] = {}
    invalid: dict[str, list[str]] = {}
    validated = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-corpus-") as tmp:
        for i in range(args.n):
            platform, path, data = pool[rng.randrange(len(pool))]
            if path not in baselines:
                baselines[path] = baseline_of(platform, path)
            doc, done = mutate(data, chooser)
            target = Path(tmp) / f"{i}-{path.name}"
            target.write_text(json.dumps(doc), encoding="utf-8")
            exchange: dict[str, Any] = {}
            outcome = scan(platform, target, baselines[path], exchange)
            target.unlink()
            example = f"{path.name} ({'; '.join(done)})"
            if outcome.kind == "scanned" and counts["scanned"] % args.validate_every == 0:
                validated += 1
                for form in SCHEMAS:
                    for error in schema_errors(exchange[form], form):
                        invalid.setdefault(f"{form}: {error}", []).append(example)
            if outcome.kind == "crashed":
                crashes.setdefault(bug_of(outcome.detail), []).append(
                    f"{outcome.detail}\n           in {example}")
            elif outcome.kind == "rejected" and not is_clear_error(outcome.detail, target):
                unclear.setdefault(outcome.detail.replace(str(target), "FILE"), []).append(
                    example)
            counts[outcome.kind] += 1
    seconds = time.perf_counter() - started
    print(f"{args.n} inputs in {seconds:.0f} s: {counts['scanned']} scanned, "
          f"{counts['rejected']} rejected with an error "
          f"({counts['rejected'] - sum(map(len, unclear.values()))} clear), "
          f"{counts['crashed']} internal errors; threat model forms of {validated} scanned "
          f"inputs checked against their schemas: {sum(map(len, invalid.values()))} errors")
    for title, table in (("internal errors", crashes), ("unclear rejections", unclear),
                         ("schema errors", invalid)):
        if not table:
            continue
        print(f"\n{title} ({len(table)} distinct):")
        for line, examples in sorted(table.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(examples):5}  {line}")
            for example in examples[:args.show]:
                print(f"         e.g. {example}")
    merge_bad = fuzz_merges(pool, baselines, args.merges, chooser, rng, args.show)
    return 1 if crashes or unclear or invalid or merge_bad else 0


def fuzz_merges(pool: list[tuple[str, Path, Any]], baselines: dict[Path, Any], n: int,
                chooser: RandomChooser, rng: random.Random, show: int) -> bool:
    """Merge ``n`` mutated shard pairs; print the counts and each crash or unclear refusal.
    True when there was any."""
    by_platform: dict[str, list[tuple[str, Path, Any]]] = {}
    for item in pool:
        by_platform.setdefault(item[0], []).append(item)
    if n <= 0 or len(by_platform) < 2:
        return False
    outputs: dict[Path, dict[str, Any] | None] = {}

    def outputs_of(platform: str, path: Path) -> dict[str, Any] | None:
        if path not in outputs:
            found: dict[str, Any] = {}
            if path not in baselines:
                baselines[path] = baseline_of(platform, path)
            kind = scan(platform, path, baselines[path], found).kind
            outputs[path] = found if kind == "scanned" else None
        return outputs[path]

    counts: Counter[str] = Counter()
    crashes: dict[str, list[str]] = {}
    unclear: dict[str, list[str]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-merge-") as tmp:
        for i in range(n):
            pair = []
            for platform in ("nodered", "n8n"):
                _, path, _ = by_platform[platform][rng.randrange(len(by_platform[platform]))]
                pair.append((path, outputs_of(platform, path)))
            if any(found is None for _, found in pair):
                counts["skipped"] += 1
                continue
            shards = as_shards([found for _, found in pair if found is not None])
            victim = rng.randrange(2)
            name = (REPORT_NAME, SARIF_NAME)[rng.randrange(2)]
            shards[victim][name], done = mutate(shards[victim][name], chooser)
            folders = shard_folders(Path(tmp) / str(i), shards)
            outcome = merge_outcome(Path(tmp) / str(i) / "out", folders)
            example = (f"{pair[victim][0].name}'s {name} "
                       f"({'; '.join(done)})")
            if outcome.kind == "crashed":
                crashes.setdefault(bug_of(outcome.detail), []).append(
                    f"{outcome.detail}\n           in {example}")
            elif outcome.kind == "rejected" and not is_clear_merge_error(outcome.detail,
                                                                         folders):
                unclear.setdefault(outcome.detail.replace(tmp, "TMP"), []).append(example)
            counts[outcome.kind] += 1
    print(f"\n{n} shard merges in {time.perf_counter() - started:.0f} s: "
          f"{counts['scanned']} merged, {counts['rejected']} refused "
          f"({counts['rejected'] - sum(map(len, unclear.values()))} clear), "
          f"{counts['crashed']} internal errors, {counts['skipped']} skipped (a source that "
          "does not scan)")
    for title, table in (("merge internal errors", crashes), ("unclear refusals", unclear)):
        if table:
            print(f"\n{title} ({len(table)} distinct):")
            for line, examples in sorted(table.items(), key=lambda kv: -len(kv[1])):
                print(f"  {len(examples):5}  {line}")
                for example in examples[:show]:
                    print(f"         e.g. {example}")
    return bool(crashes or unclear)


if __name__ == "__main__":
    sys.exit(main())
