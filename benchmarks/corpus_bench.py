"""Precision and recall of the built-in checks on a corpus of real exports.

    python benchmarks/corpus_bench.py CORPUS [--triage benchmarks/corpus/triage.tsv]
        [--expected benchmarks/corpus/expected.tsv] [--rules SEC001,INJ001]
        [--list-unlabelled N] [--seed 11] [--json OUT] [--apps all|deployments|examples]

``CORPUS`` holds ``n8n/*.json`` and ``nodered/*.json`` (one export per file; the folder names
the platform; see ``benchmarks/corpus/SOURCES.tsv`` for where ours came from). Every file is
loaded once, in this process, exactly as the plugin loads ``PLATFORM+file:PATH`` (same
adapter, same secret scan), and every built-in check runs on it through
:func:`pytest_nocode.testing.run_check` under the default policy. Checks that need fixtures
only a pytest run has (drift baselines, key risk indicators) are listed as not run.

Printed per platform and rule: findings, labelled TP / FP, unlabelled, precision
(TP / (TP + FP) over the labelled ones), and recall of the issues a reviewer expects
(``basic`` and ``deep`` separately); then apps scanned, apps rejected with a clear error
(InputError / SchemaError, grouped by reason) and **internal errors** (any other exception, in
an adapter or a check: count and first lines), and look-alikes flagged per 25 apps.

**Finding key** (stable across scanner changes that do not change what is found)::

    <platform>/<corpus file>|<rule>|<resource id>[|<discriminator>]

The discriminator is present only for rules where one resource can carry several findings of
the same rule; it is the *name* of what differs, taken from the evidence (``field`` for
SEC001: ``params.headers.Authorization``), never a value. Were two findings still to share a
key, the later ones get ``#2``, ``#3`` in scan order (counted as "ambiguous keys").

``triage.tsv``: ``key``, ``label`` (TP | FP), ``note``. ``expected.tsv``: ``key`` (without
discriminator: file|rule|resource id), ``depth`` (basic | deep), ``note``. An expected issue
counts as found when a finding has that key, with or without a discriminator.

``--apps`` narrows every figure to one kind of app: ``examples`` are the example flows
packages of Node-RED nodes ship (corpus files named ``npm__…``, or
``owner__node-red-…__examples-…`` when taken from the package's repository), which exist to
show their own package, so a connector check asking about that package is noise there and
only there; ``deployments`` is everything else (instance backups, ``flows.json`` files, workflow
collections).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import random
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_nocode import compose
from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.errors import InputError
from pytest_nocode.findings import Finding
from pytest_nocode.loading import load_app
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import Policy, load_policy
from pytest_nocode.redaction import Redactor
from pytest_nocode.testing import Check, builtin_checks, rule_of, run_check
from pytest_nocode.transport import RecordingOptions

PLATFORMS = ("n8n", "nodered")
FIXTURES_GIVEN = ("nocode_app", "nocode_findings", "nocode_policy", "nocode_rule",
                  "nocode_snapshot")
# evidence fields that tell apart several findings of one rule on one resource (names only)
DISCRIMINATORS: Mapping[str, str] = {"SEC001": "field"}
LABELS = ("TP", "FP")
DEPTHS = ("basic", "deep")


# -- scanning ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchFinding:
    key: str
    platform: str
    file: str
    rule: str
    resource_id: str
    message: str  # masked with the app's own secret values
    evidence: Mapping[str, Any]  # masked likewise


@dataclass
class AppOutcome:
    """One corpus file: its findings, or why it was rejected, plus any internal errors."""

    platform: str
    file: str
    findings: list[BenchFinding] = field(default_factory=list)
    rejected: str | None = None  # the clear one-line error the user would see
    internal_errors: list[str] = field(default_factory=list)  # "where: Type: first line"
    ambiguous_keys: int = 0


def runnable(check: Check) -> bool:
    """Whether the check needs only fixtures an in-process run can give."""
    return all(name in FIXTURES_GIVEN or param.default is not inspect.Parameter.empty
               for name, param in inspect.signature(check).parameters.items())


def finding_key(platform: str, file: str, finding: Finding) -> str:
    """``<platform>/<file>|<rule>|<resource id>[|<discriminator>]`` (see the module docstring)."""
    key = f"{platform}/{file}|{finding.rule.id}|{finding.resource.id}"
    evidence_field = DISCRIMINATORS.get(finding.rule.id)
    if evidence_field and finding.evidence.get(evidence_field):
        key += f"|{finding.evidence[evidence_field]}"
    return key


def _first_line(exc: BaseException, redactor: Redactor) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redactor.text(f"{type(exc).__name__}: {text}")[:200]


def scan_app(path: Path, platform: str, registry: PlatformRegistry, checks: Sequence[Check],
             policy: Policy, placed: Path | None = None) -> AppOutcome:
    """Load one export as the plugin does and run every check on it; ``placed``: a copy of
    it placed elsewhere (inside its package) to read instead, under the corpus file's app id
    and keys."""
    outcome = AppOutcome(platform, path.name)
    spec = parse_app_uri(f"{platform}+file:{path}", registry.names(), path.parent)[0]

    def as_corpus_file(text: str) -> str:
        # an error about the staged copy names the corpus file, not the temporary folder
        return text.replace(str(placed), outcome.file) if placed is not None else text

    if placed is not None:
        spec = replace(spec, location=str(placed))
        path = placed
    try:
        loaded = load_app(spec, registry, RecordingOptions(None, path.parent))
    except InputError as exc:
        outcome.rejected = as_corpus_file(str(exc))
        return outcome
    except Exception as exc:  # anything else is our bug
        outcome.internal_errors.append(f"load: {as_corpus_file(_first_line(exc, Redactor()))}")
        return outcome
    if loaded.app is None:
        outcome.rejected = as_corpus_file(loaded.error or "not loaded")
        return outcome
    redactor = Redactor(loaded.secret_values)
    fixtures = {"nocode_snapshot": loaded.snapshot(registry)}
    seen: Counter[str] = Counter()
    for check in checks:
        try:
            result = run_check(check, loaded.app, policy, fixtures=fixtures)
        except Exception as exc:
            outcome.internal_errors.append(f"{rule_of(check).id}: {_first_line(exc, redactor)}")
            continue
        for finding in result.findings or ():
            key = finding_key(platform, outcome.file, finding)
            seen[key] += 1
            if seen[key] > 1:
                outcome.ambiguous_keys += 1
                key += f"#{seen[key]}"
            outcome.findings.append(BenchFinding(
                key, platform, outcome.file, finding.rule.id, finding.resource.id,
                redactor.text(finding.message), redactor.data(dict(finding.evidence))))
    return outcome


APP_KINDS = ("all", "deployments", "examples")


def is_package_example(path: Path) -> bool:
    """Whether a corpus file is an example flow a package of Node-RED nodes ships: taken from
    its npm tarball (named ``npm__…``) or from the ``examples/`` folder of the package's own
    repository (``owner__node-red-…__examples-…``)."""
    parts = path.name.split("__")
    return parts[0] == "npm" or (len(parts) >= 3 and parts[1].startswith("node-red-")
                                 and parts[2].startswith("examples-"))


def corpus_files(root: Path, apps: str = "all") -> list[tuple[str, Path]]:
    """(platform, file) for every export of the kind ``apps`` in the corpus, in a stable
    order."""
    return [(platform, path) for platform in PLATFORMS
            for path in sorted((root / platform).glob("*.json"))
            if apps == "all" or (apps == "examples") == is_package_example(path)]


SOURCES = Path(__file__).parent / "corpus" / "SOURCES.tsv"


def package_sources(sources: Path) -> dict[str, tuple[str, str]]:
    """Corpus file name → (its package's folder under ``--packages``, the file's path inside
    it), for the flows packages of Node-RED nodes ship: ``PKG`` for an npm tarball
    (``npm:PKG@VERSION`` in SOURCES.tsv's repository column), ``github/OWNER__REPO`` for a
    file taken from a GitHub repository (its examples, or the flows of the Node-RED user
    folder it keeps for developing the package); a file is scanned there when that folder
    holds the repository's tree at the listed commit, its flows files left out."""
    out: dict[str, tuple[str, str]] = {}
    with sources.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            origin = row.get("repository") or ""
            name = Path(row["file"]).name
            if origin.startswith("npm:"):
                out[name] = (origin[4:].rsplit("@", 1)[0], row["path"])
            elif "/" in origin:
                out[name] = ("github/" + origin.replace("/", "__"), row["path"])
    return out


def compose_sources(sources: Path) -> dict[str, tuple[str, str]]:
    """Corpus file name → (the folder under ``--packages`` that holds the compose files of its
    repository at its commit, ``compose/OWNER__NAME@COMMIT12`` as ``corpus_fetch.py`` writes
    them, the file's path in the repository), for files taken from GitHub."""
    out: dict[str, tuple[str, str]] = {}
    with sources.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            origin, commit = row.get("repository") or "", row.get("commit") or ""
            if "/" in origin and not origin.startswith("npm:") and commit:
                out[Path(row["file"]).name] = (
                    f"compose/{origin.replace('/', '__')}@{commit[:12]}", row["path"])
    return out


def place_in_package(package_dir: Path, inner: str, export: Path, stage: Path) -> Path:
    """A copy of ``export`` at ``inner`` (``examples/demo.json``) inside a view of the
    unpacked package ``package_dir`` built under ``stage``: the folders on the way are new, the
    package's other entries are links to its own, so the adapter meets the layout a package's
    CI has (its package.json and node files above the flows) and the package stays as
    unpacked."""
    target, source = stage, package_dir
    parts = Path(inner).parts
    for depth, part in enumerate(parts):
        target.mkdir(parents=True, exist_ok=True)
        for entry in source.iterdir() if source.is_dir() else ():
            if entry.name != part:
                (target / entry.name).symlink_to(entry.resolve())
        if depth < len(parts) - 1:
            target, source = target / part, source / part
    placed = target / parts[-1]
    shutil.copyfile(export, placed)
    return placed


def scan_corpus(root: Path, rules: Iterable[str] = (), apps: str = "all",
                packages: Path | None = None, sources: Path = SOURCES
                ) -> tuple[list[AppOutcome], list[str]]:
    """Scan every file; returns the outcomes and the checks that could not run here.

    With ``packages`` (a folder of unpacked npm packages, ``PKG/package.json``), each example
    flow of a package found there is scanned where its package's CI has it, inside the
    package (see :func:`place_in_package`); any other file from GitHub whose repository's
    compose files ``corpus_fetch.py`` wrote there (``compose/…``) is scanned at its path among
    them, as in its repository. Its keys stay the corpus file's."""
    registry = PlatformRegistry(builtin_platforms())
    policy = load_policy(None)
    wanted = {r.upper() for r in rules}
    checks = [c for c in builtin_checks() if not wanted or rule_of(c).id in wanted]
    not_run = sorted(rule_of(c).id for c in checks if not runnable(c))
    checks = [c for c in checks if runnable(c)]
    in_package = package_sources(sources) if packages is not None else {}
    in_compose = compose_sources(sources) if packages is not None else {}
    outcomes: list[AppOutcome] = []
    in_place: dict[tuple[object, ...], object] = {}  # not a staged copy's: those are new
    with tempfile.TemporaryDirectory(prefix="corpus-packages-") as stage:
        for n, (platform, path) in enumerate(corpus_files(root, apps)):
            package, inner = in_package.get(path.name, ("", ""))
            if packages is None or not package or not (packages / package).is_dir():
                package, inner = in_compose.get(path.name, ("", ""))  # the stack beside it
            if packages is not None and package and (packages / package).is_dir():
                placed = place_in_package(packages / package, inner, path,
                                          Path(stage) / str(n) / package)
                outcomes.append(scan_app(path, platform, registry, checks, policy, placed))
            else:  # the corpus's own folders are looked into for compose files once
                with compose.kept(in_place):
                    outcomes.append(scan_app(path, platform, registry, checks, policy))
    return outcomes, not_run


# -- labels ------------------------------------------------------------------------------------
def _read_tsv(path: Path, columns: Sequence[str], allowed: tuple[str, str]
              ) -> dict[str, tuple[str, str]]:
    """key → (second column, note), refusing unknown values and duplicate keys."""
    out: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            key, value = (row.get(columns[0]) or "").strip(), (row.get(columns[1]) or "").strip()
            if not key:
                continue
            if value not in allowed:
                raise InputError(f"{path}:{n}: {columns[1]} must be one of {', '.join(allowed)}")
            if key in out:
                raise InputError(f"{path}:{n}: duplicate key {key}")
            out[key] = (value, (row.get("note") or "").strip())
    return out


def read_triage(path: Path) -> dict[str, tuple[str, str]]:
    return _read_tsv(path, ("key", "label"), LABELS)


def read_expected(path: Path) -> dict[str, tuple[str, str]]:
    return _read_tsv(path, ("key", "depth"), DEPTHS)


SUPERSEDES = re.compile(r"\bsupersedes\s+(\S+)")


def superseded(expected: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Old key → the key of the line whose note says it "supersedes" it: a new rule that fits
    an issue first filed under the nearest rule, or one setting first filed on each node that
    uses it (a note may supersede several lines). The issue is one issue, found by either."""
    out: dict[str, str] = {}
    for key, (_depth, note) in expected.items():
        for m in SUPERSEDES.finditer(note):
            old = m.group(1).rstrip(";,")
            if old in expected:
                out[old] = key
    return out


def _found(expected_key: str, keys: set[str], prefixes: set[str]) -> bool:
    return expected_key in keys or expected_key in prefixes


# -- counting ----------------------------------------------------------------------------------
@dataclass
class RuleRow:
    platform: str
    rule: str
    findings: int = 0
    tp: int = 0
    fp: int = 0
    expected: dict[str, list[int]] = field(
        default_factory=lambda: {d: [0, 0] for d in DEPTHS})  # depth → [found, total]

    @property
    def unlabelled(self) -> int:
        return self.findings - self.tp - self.fp

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None


@dataclass
class Summary:
    rows: dict[tuple[str, str], RuleRow]
    apps: Counter[str]  # platform → scanned
    rejected: dict[str, Counter[str]]  # platform → reason → count
    internal_errors: list[str]  # "platform/file: where: Type: line"
    labelled_apps: Counter[str]  # platform → apps with at least one labelled finding
    ambiguous_keys: int
    stale_labels: list[str]  # triage keys no finding has any more
    # keys of findings of other rules whose message shows a mask inside a route or URL path
    # (``'/Surv…[masked, 19 chars]/off'``): each is a secret there, or a word taken for one
    masked_paths: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # expected keys no finding matches
    # platform → reason → the corpus files rejected with it
    rejected_files: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def recall(self, platform: str, depth: str) -> tuple[int, int]:
        found = sum(r.expected[depth][0] for r in self.rows.values() if r.platform == platform)
        total = sum(r.expected[depth][1] for r in self.rows.values() if r.platform == platform)
        return found, total

    def fp_per_25(self, platform: str) -> float | None:
        """FP findings per 25 apps that have labelled findings (the issue's look-alike rate)."""
        fp = sum(r.fp for r in self.rows.values() if r.platform == platform)
        apps = self.labelled_apps[platform]
        return 25 * fp / apps if apps else None

    def fp_per_25_estimated(self, platform: str) -> float | None:
        """Each rule's findings times its FP share in the sample, per 25 scanned apps."""
        apps = self.apps[platform]
        if not apps:
            return None
        est = sum(r.findings * (1 - r.precision) for r in self.rows.values()
                  if r.platform == platform and r.precision is not None)
        return 25 * est / apps


def _reason_group(reason: str, file: str) -> str:
    """A rejection reason without the file name and numbers, so alike reasons group."""
    text = reason.split(file, 1)[-1].lstrip(":/ ") if file in reason else reason
    return re.sub(r"\d+", "N", text)[:120]


_MASK_IN_PATH = re.compile(r"/[^\s'\"/?]*(?:…\[masked, \d+ chars\]|\*{8})")


def summarize(outcomes: Sequence[AppOutcome], triage: Mapping[str, tuple[str, str]],
              expected: Mapping[str, tuple[str, str]]) -> Summary:
    rows: dict[tuple[str, str], RuleRow] = {}

    def row(platform: str, rule: str) -> RuleRow:
        return rows.setdefault((platform, rule), RuleRow(platform, rule))

    apps: Counter[str] = Counter()
    rejected: dict[str, Counter[str]] = defaultdict(Counter)
    rejected_files: dict[str, dict[str, list[str]]] = {}
    internal: list[str] = []
    labelled_apps: Counter[str] = Counter()
    keys: set[str] = set()
    prefixes: set[str] = set()
    ambiguous = 0
    for out in outcomes:
        internal += [f"{out.platform}/{out.file}: {e}" for e in out.internal_errors]
        ambiguous += out.ambiguous_keys
        if out.rejected is not None:
            reason = _reason_group(out.rejected, out.file)
            rejected[out.platform][reason] += 1
            rejected_files.setdefault(out.platform, {}).setdefault(reason, []).append(out.file)
            continue
        if out.internal_errors and not out.findings and out.internal_errors[0].startswith("load"):
            continue
        apps[out.platform] += 1
        labelled = False
        for f in out.findings:
            r = row(f.platform, f.rule)
            r.findings += 1
            keys.add(f.key)
            prefixes.add(f"{f.platform}/{f.file}|{f.rule}|{f.resource_id}")
            label = triage.get(f.key, ("", ""))[0]
            if label:
                labelled = True
                r.tp += label == "TP"
                r.fp += label == "FP"
        labelled_apps[out.platform] += labelled
    replaced = superseded(expected)
    missed: list[str] = []
    for key, (depth, _note) in expected.items():
        if key in replaced:
            continue  # counted once, with the line that supersedes it
        platform, rule = key.split("/", 1)[0], key.split("|")[1]
        counts = row(platform, rule).expected[depth]
        counts[1] += 1
        found = _found(key, keys, prefixes) or any(
            _found(old, keys, prefixes) for old, new in replaced.items() if new == key)
        counts[0] += found
        if not found:
            missed.append(key)
    stale = sorted(k for k in triage if k not in keys)
    masked_paths = [f.key for out in outcomes for f in out.findings
                    if f.rule != "SEC001" and _MASK_IN_PATH.search(f.message)]
    return Summary(rows, apps, dict(rejected), internal, labelled_apps, ambiguous, stale,
                   masked_paths, sorted(missed), rejected_files)


# -- output ------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{100 * value:3.0f}%"


def _ratio(found: int, total: int) -> str:
    return "    -" if not total else f"{found}/{total}"


def print_summary(summary: Summary, not_run: Sequence[str], out: Any = sys.stdout) -> None:
    def say(text: str = "") -> None:
        print(text, file=out)

    say(f"{'platform':9} {'rule':8} {'findings':>8} {'TP':>4} {'FP':>4} {'unlab':>6} "
        f"{'prec':>5} {'basic':>7} {'deep':>7}")
    for (platform, rule), r in sorted(summary.rows.items()):
        say(f"{platform:9} {rule:8} {r.findings:8} {r.tp:4} {r.fp:4} {r.unlabelled:6} "
            f"{_pct(r.precision):>5} {_ratio(*r.expected['basic']):>7} "
            f"{_ratio(*r.expected['deep']):>7}")
    say()
    for platform in PLATFORMS:
        basic, deep = summary.recall(platform, "basic"), summary.recall(platform, "deep")
        rejected = summary.rejected.get(platform, Counter())
        fp25, est = summary.fp_per_25(platform), summary.fp_per_25_estimated(platform)
        say(f"{platform}: {summary.apps[platform]} apps scanned, "
            f"{sum(rejected.values())} rejected with a clear error; "
            f"recall basic {_ratio(*basic)} ({_pct(basic[0] / basic[1] if basic[1] else None)})"
            f", deep {_ratio(*deep)} ({_pct(deep[0] / deep[1] if deep[1] else None)}); "
            f"FP per 25 labelled apps {'-' if fp25 is None else f'{fp25:.1f}'} "
            f"({summary.labelled_apps[platform]} labelled apps), "
            f"estimated over all apps {'-' if est is None else f'{est:.1f}'}")
        for reason, count in rejected.most_common():
            files = summary.rejected_files.get(platform, {}).get(reason, [])
            more = f" and {len(files) - 3} more" if len(files) > 3 else ""
            say(f"    rejected {count:3} x {reason}"
                + (f" ({', '.join(files[:3])}{more})" if files else ""))
    say(f"internal errors: {len(summary.internal_errors)}")
    for line in summary.internal_errors[:20]:
        say(f"    {line}")
    say(f"masks inside a route or URL path in other rules' messages: "
        f"{len(summary.masked_paths)}")
    for key in summary.masked_paths[:10]:
        say(f"    {key}")
    if summary.ambiguous_keys:
        say(f"ambiguous keys (same file, rule, resource and discriminator): "
            f"{summary.ambiguous_keys}")
    if summary.stale_labels:
        say(f"triage labels no finding has any more: {len(summary.stale_labels)}")
    if not_run:
        say(f"not run in-process (need a pytest run's fixtures): {', '.join(not_run)}")


def unlabelled_sample(outcomes: Sequence[AppOutcome], triage: Mapping[str, Any], per_rule: int,
                      seed: int) -> list[BenchFinding]:
    """Up to ``per_rule`` unlabelled findings per platform and rule, a seeded random sample."""
    groups: dict[tuple[str, str], list[BenchFinding]] = defaultdict(list)
    for out in outcomes:
        for f in out.findings:
            groups[(f.platform, f.rule)].append(f)
    picked: list[BenchFinding] = []
    for group in sorted(groups):
        findings = groups[group]
        labelled = sum(f.key in triage for f in findings)
        todo = [f for f in findings if f.key not in triage]
        random.Random(f"{seed}:{group}").shuffle(todo)
        picked += todo[:max(0, per_rule - labelled)]
    return picked


def to_json(summary: Summary, outcomes: Sequence[AppOutcome]) -> dict[str, Any]:
    return {
        "rules": [{"platform": r.platform, "rule": r.rule, "findings": r.findings, "tp": r.tp,
                   "fp": r.fp, "unlabelled": r.unlabelled, "precision": r.precision,
                   "expected": r.expected} for r in summary.rows.values()],
        "apps": dict(summary.apps),
        "rejected": {p: dict(c) for p, c in summary.rejected.items()},
        "rejected_files": summary.rejected_files,
        "internal_errors": summary.internal_errors,
        "findings": [{"key": f.key, "message": f.message} for o in outcomes for f in o.findings],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--triage", type=Path)
    parser.add_argument("--expected", type=Path)
    parser.add_argument("--rules", default="", help="comma-separated rule ids (default: all)")
    parser.add_argument("--list-unlabelled", type=int, default=0, metavar="N",
                        help="print up to N unlabelled findings per platform and rule")
    parser.add_argument("--list-fp", action="store_true",
                        help="print every finding labelled FP, with its message and label note")
    parser.add_argument("--list-missed", action="store_true",
                        help="print every expected issue no finding matches, with its note")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="write the figures and finding keys here")
    parser.add_argument("--apps", choices=APP_KINDS, default="all",
                        help="only deployments, or only npm packages' example flows")
    parser.add_argument("--packages", type=Path, metavar="DIR",
                        help="unpacked npm packages (DIR/PKG/package.json): scan each "
                             "package's example flows inside it, as its CI does")
    parser.add_argument("--sources", type=Path, default=SOURCES,
                        help="where each corpus file came from (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        triage = read_triage(args.triage) if args.triage else {}
        expected = read_expected(args.expected) if args.expected else {}
    except (InputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rules = [r for r in args.rules.split(",") if r.strip()]
    outcomes, not_run = scan_corpus(args.corpus, rules, args.apps, args.packages, args.sources)
    scanned = {f"{o.platform}/{o.file}" for o in outcomes}
    expected = {k: v for k, v in expected.items() if k.split("|", 1)[0] in scanned}
    summary = summarize(outcomes, triage, expected)
    print_summary(summary, not_run)
    if args.list_unlabelled:
        print("\nunlabelled sample (key, then message):")
        for f in unlabelled_sample(outcomes, triage, args.list_unlabelled, args.seed):
            print(f"{f.key}\n    {f.message}")
    if args.list_fp:
        print("\nfindings labelled FP (key, message, label note):")
        for f in (f for o in outcomes for f in o.findings):
            label, note = triage.get(f.key, ("", ""))
            if label == "FP":
                print(f"{f.key}\n    {f.message}\n    FP: {note}")
    if args.list_missed:
        print("\nexpected issues no finding matches (key, depth, note):")
        for key in summary.missed:
            depth, note = expected[key]
            print(f"{key}\n    {depth}: {note}")
    if args.json:
        args.json.write_text(json.dumps(to_json(summary, outcomes), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
