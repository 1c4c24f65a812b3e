"""Mutating exports and scanning them the way a run does, for the fuzz tests and
``benchmarks/fuzz_corpus.py`` alike.

A mutation draws every choice from a :class:`Chooser`: the tests pass one backed by
hypothesis (so failures shrink), the benchmark one backed by ``random.Random(seed)``. A scan
loads the file through the adapter, normalizes it, hashes it, runs the secret scan and calls
every built-in check with the fixtures the plugin would give; its outcome is ``scanned``,
``rejected`` (the one-line error a user would read) or ``crashed`` (anything else).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_nocode import audit, testing
from pytest_nocode.advisories import shipped_table
from pytest_nocode.appspec import AppSpec
from pytest_nocode.baseline import BaselineApp, diff_models
from pytest_nocode.cli import builtin_rules
from pytest_nocode.errors import InputError
from pytest_nocode.loading import LoadedApp, load_app
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import KRI_NAMES, Policy, load_policy_text
from pytest_nocode.redaction import Redactor
from pytest_nocode.reporting.merge import REPORT_NAME, SARIF_NAME, merge
from pytest_nocode.transport import RecordingOptions

REGISTRY = PlatformRegistry(builtin_platforms())
RECORDING = RecordingOptions(None, Path("cassettes"))
# every key risk indicator bounded, so KRI001 runs once per indicator
POLICY = load_policy_text("version: 1\nkri: {" + ", ".join(f"{n}: 0" for n in KRI_NAMES) + "}\n",
                          "fuzz policy")

# What a value may turn into: other types, empty and odd strings, expressions, containers.
REPLACEMENTS: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 2**63, 1.5, "", " ", "x", "=", "{{ $json.x }}",
    "=https://{{ $json.host }}/", "http://10.0.0.1:80/", "subflow:", "../", "\u00e9\u2603",
    [], {}, [None], [1, "a"], [[]], [{}], {"id": 1}, {"__rl": True, "value": 7},
)
ID_KEYS = frozenset({"id", "name", "z", "g", "node", "tls", "broker", "server", "webhookId"})
LINK_KEYS = frozenset({"wires", "links", "main", "ai_tool", "ai_languageModel", "node", "in",
                       "out"})


class Chooser(Protocol):
    """Where a mutation gets its choices: an integer in ``[low, high]``."""

    def integer(self, low: int, high: int) -> int: ...


@dataclass
class Spot:
    """One place in a JSON document: ``parent[key]``, with its JSON path."""

    parent: Any
    key: Any
    path: str

    @property
    def value(self) -> Any:
        return self.parent[self.key]


def spots(doc: Any, path: str = "$") -> Iterator[Spot]:
    """Every value under ``doc`` (not ``doc`` itself), parents before children."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) \
        if isinstance(doc, list) else ()
    for key, value in items:
        here = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
        yield Spot(doc, key, here)
        yield from spots(value, here)


def _pick(chooser: Chooser, items: list[Any]) -> Any:
    return items[chooser.integer(0, len(items) - 1)]


def _strings_at(all_spots: list[Spot], keys: frozenset[str]) -> list[str]:
    return [s.value for s in all_spots
            if isinstance(s.key, str) and s.key in keys and isinstance(s.value, str)]


def _replace_value(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    spot = _pick(chooser, all_spots)
    spot.parent[spot.key] = copy.deepcopy(_pick(chooser, list(REPLACEMENTS)))
    return f"replace {spot.path}"


def _scalar_for_container(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    containers = [s for s in all_spots if isinstance(s.value, (dict, list))]
    if not containers:
        return _replace_value(doc, all_spots, chooser)
    spot = _pick(chooser, containers)
    spot.parent[spot.key] = _pick(chooser, [None, 0, 3, "", "x", True])
    return f"scalar {spot.path}"


def _remove_key(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    keyed = [s for s in all_spots if isinstance(s.parent, dict)]
    if not keyed:
        return "nothing to remove"
    spot = _pick(chooser, keyed)
    del spot.parent[spot.key]
    return f"remove {spot.path}"


def _duplicate_item(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    lists = [s.value for s in all_spots if isinstance(s.value, list) and s.value]
    if isinstance(doc, list) and doc:
        lists.append(doc)
    if not lists:
        return "nothing to duplicate"
    target = _pick(chooser, lists)
    index = chooser.integer(0, len(target) - 1)
    target.insert(index, copy.deepcopy(target[index]))
    return f"duplicate item {index}"


def _repeat_id(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    ids = _strings_at(all_spots, ID_KEYS)
    targets = [s for s in all_spots if isinstance(s.key, str) and s.key in ID_KEYS]
    if not ids or not targets:
        return _replace_value(doc, all_spots, chooser)
    spot = _pick(chooser, targets)
    spot.parent[spot.key] = _pick(chooser, ids)
    return f"repeat id at {spot.path}"


def _dangling_link(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    """A wire, link or connection that points at no node, or a connection from no node."""
    links = [s for s in all_spots if isinstance(s.value, str) and any(
        f".{k}" in s.path for k in LINK_KEYS)]
    connections = [s.value for s in all_spots if s.key == "connections"
                   and isinstance(s.value, dict)]
    if connections and chooser.integer(0, 2) == 0:
        _pick(chooser, connections)["No such node"] = {"main": [[{"node": "Nowhere",
                                                                  "type": "main", "index": 0}]]}
        return "connection from nowhere"
    if not links:
        return _replace_value(doc, all_spots, chooser)
    spot = _pick(chooser, links)
    spot.parent[spot.key] = "nowhere-" + str(chooser.integer(0, 9))
    return f"dangling {spot.path}"


# Where exports keep code: Node-RED function nodes, n8n Code and Function nodes.
CODE_KEYS = frozenset({"func", "initialize", "finalize", "jsCode", "pythonCode", "functionCode",
                       "code"})
# JavaScript that is odd but written in the wild, or broken the way hand edits break it.
ODD_CODE: tuple[str, ...] = (
    "", "return", "return msg", "}", "{", "/*", "`${", "'", "msg = msg;", "var msg = {};",
    "let {a, b: [c, ...d], ...e} = msg; msg.x = c;", "msg[msg.key] = msg.value;",
    "msg.a = msg.b = msg.c = msg.a; msg.a ??= env.get('X');", "return [[msg, null], [msg]];",
    "node.send([msg, {payload: msg.cmd}]);", "function f(m) { return f(m); } msg.x = f(msg);",
    "let a = b; let b = a; msg.payload = a;", "const o = {}; o[msg.k] = msg; msg.o = o.x.y;",
    "class A { get x() { return msg.p; } } msg.q = new A().x;", "for (const k in msg) msg[k]++;",
    "msg.x = msg?.a?.[msg.b]?.();", "async function* g() { yield await msg; }", "<b>{msg}</b>",
    "msg.cmd = `rm ${msg.payload}`;", "with (msg) { payload = 1; }", "\u0000", "\ud800",
)


def _mangle_code(doc: Any, all_spots: list[Spot], chooser: Chooser) -> str:
    """A node's code cut short, given odd JavaScript, repeated into a huge body, nested deep
    or replaced by another type: what the function follower must survive."""
    code = [s for s in all_spots if isinstance(s.key, str) and s.key in CODE_KEYS]
    if not code:
        return _replace_value(doc, all_spots, chooser)
    spot = _pick(chooser, code)
    text = spot.value if isinstance(spot.value, str) else ""
    odd = _pick(chooser, list(ODD_CODE))
    how = chooser.integer(0, 4)
    if how == 0:
        spot.parent[spot.key] = text[:chooser.integer(0, len(text))]
    elif how == 1:
        at = chooser.integer(0, len(text))
        spot.parent[spot.key] = text[:at] + odd + text[at:]
    elif how == 2:
        body = text or odd or "msg.a = 1;"  # up to about 200 KB of code
        spot.parent[spot.key] = "\n".join(
            [body] * chooser.integer(2, max(2, 200_000 // len(body))))
    elif how == 3:
        depth = chooser.integer(100, 5000)
        spot.parent[spot.key] = f"msg.x = {'(' * depth}msg.y{')' * depth};\n{text}"
    else:
        spot.parent[spot.key] = _pick(chooser, [None, 7, [], {"code": odd}, [odd]])
    return f"mangle code {spot.path} ({('cut', 'insert', 'repeat', 'nest', 'retype')[how]})"


Mutation = Callable[[Any, list[Spot], Chooser], str]
MUTATIONS: tuple[Mutation, ...] = (_replace_value, _scalar_for_container, _remove_key,
                                   _duplicate_item, _repeat_id, _dangling_link, _mangle_code)


def mutate(doc: Any, chooser: Chooser, rounds: int = 3) -> tuple[Any, list[str]]:
    """A mutated deep copy of ``doc`` and what was done to it (1 to ``rounds`` mutations)."""
    doc = copy.deepcopy(doc)
    done = []
    for _ in range(chooser.integer(1, rounds)):
        all_spots = list(spots(doc))
        if not all_spots:
            break
        done.append(_pick(chooser, list(MUTATIONS))(doc, all_spots, chooser))
    return doc, done


# -- scanning ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    kind: str  # scanned | rejected | crashed
    detail: str = ""  # the error line, or the crash's type, message and where it was raised


CHECKS = testing.builtin_checks()
RULES = builtin_rules()


class _Request:
    """What KRI001 asks of ``request``: the baseline and drift fixtures by name."""

    def __init__(self, fixtures: dict[str, Any]) -> None:
        self._fixtures = fixtures

    def getfixturevalue(self, name: str) -> Any:
        return self._fixtures[name]


class _Terminal:
    """Collects what the terminal summary writes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_sep(self, sep: str, title: str = "", **markup: Any) -> None:
        self.lines.append(title)

    def write_line(self, line: str, **markup: Any) -> None:
        self.lines.append(line)


def run_all_checks(loaded: LoadedApp, baseline_model: dict[str, Any] | None,
                   policy: Policy = POLICY, outputs: dict[str, Any] | None = None
                   ) -> dict[str, str]:
    """Each built-in check's verdict on the app: ``passed``, ``failed`` or ``not applicable``;
    then risk scores, the findings JSON, SARIF, the terminal summary and the threat model in
    every form (:func:`threat_model_forms`), as a run makes them.

    Drift checks compare with ``baseline_model`` (the unmutated input's model), so they run too.
    ``outputs``, when given, receives the findings report (``findings.json``), the SARIF log
    (``nocode.sarif``) and the threat model's JSON forms, by file name.
    """
    from pytest_nocode.reporting.findings_json import build_report
    from pytest_nocode.reporting.sarif import build_sarif
    from pytest_nocode.reporting.terminal import write_summary
    from pytest_nocode.run import NocodeRun, rule_json

    app = loaded.app
    assert app is not None and loaded.raw is not None
    run = NocodeRun([loaded.spec], policy, REGISTRY, RECORDING, datetime.now(UTC), False)
    run.loaded[app.id] = loaded
    for value in loaded.secret_values:
        run.redactor.add(value)
    current = run.redactor.data(app.to_dict())
    base = baseline_model if baseline_model is not None else current
    fixtures: dict[str, Any] = {
        "nocode_snapshot": loaded.snapshot(REGISTRY),
        "nocode_advisories": shipped_table(),  # the offline table a run uses by default
        "nocode_baseline": BaselineApp(app.id, "0" * 64, "fuzz", "2026-01-01T00:00:00+00:00",
                                       base),
        "nocode_drift": diff_models(base, current, already_plain=True),
    }
    fixtures["request"] = _Request(fixtures)
    verdicts = {}
    outcomes: dict[str, str] = {}
    for check in CHECKS:
        indicators = KRI_NAMES if "kri_indicator" in inspect.signature(check).parameters \
            else (None,)
        for indicator in indicators:
            extra = dict(fixtures, kri_indicator=indicator) if indicator else fixtures
            result = testing.run_check(check, app, policy, fixtures=extra)
            findings = audit.assess(run, app.id, result.findings or [])
            run.findings.extend(run.redactor.data(f.to_json()) for f in findings)
            rule = testing.rule_of(check)
            severity = policy.severity_for(rule.id, rule.severity)
            run.rules.setdefault(rule.id, rule_json(rule, severity))
            verdict = ("not applicable" if result.findings is None
                       else "failed" if result.findings else "passed")
            verdicts[f"{check.__name__}[{indicator}]" if indicator else check.__name__] = \
                verdict
            if verdict != "not applicable" and outcomes.get(rule.id) != "failed":
                outcomes[rule.id] = verdict
    report = run.redactor.data(build_report(run))
    sarif = build_sarif(report, run.rules)
    json.dumps(sarif, ensure_ascii=False).encode()
    json.dumps(report, ensure_ascii=False).encode()
    write_summary(_Terminal(), run)
    forms = threat_model_forms(run, loaded, outcomes, baseline_model)
    if outputs is not None:
        outputs.update(forms, **{REPORT_NAME: report, SARIF_NAME: sarif})
    return verdicts


def threat_model_forms(run: Any, loaded: LoadedApp, outcomes: dict[str, str],
                       baseline_model: dict[str, Any] | None) -> dict[str, Any]:
    """Draw the app's threat model as ``--nocode-threat-model`` does (with what changed since
    ``baseline_model``), render the Markdown, Mermaid and DOT, and export Threat Dragon,
    Threat Composer and OTM; returns the three JSON forms by file name, parsed back."""
    from pytest_nocode.threatmodel.build import RunEvidence, build_threat_model
    from pytest_nocode.threatmodel.changes import model_changes
    from pytest_nocode.threatmodel.exchange import dumps
    from pytest_nocode.threatmodel.exports import EXPORTERS, redacted
    from pytest_nocode.threatmodel.render import documents

    app = loaded.app
    assert app is not None
    evidence = RunEvidence(tuple(f for f in run.findings if f["app"] == app.id), outcomes,
                           {r.id: r.title for r in RULES},
                           {r.id: tuple(r.platforms) for r in RULES})
    model = build_threat_model(app, run.policy.zone_of, evidence, {})
    if baseline_model is not None:
        model = dataclasses.replace(model, changes=model_changes(
            baseline_model, app, run.policy.zone_of, "baseline.json"))
    documents(model, tool="pytest-nocode fuzz")
    model = redacted(model, run.redactor.text)
    return {name: json.loads(dumps(export(model))) for name, export in EXPORTERS}


def spec_for(platform: str, path: Path) -> AppSpec:
    return AppSpec(f"{platform}+file:{path}", platform, "file", str(path), f"fuzz-{platform}")


def baseline_of(platform: str, path: Path) -> dict[str, Any] | None:
    """The model of an unmutated export (for drift), or None if it does not load."""
    try:
        loaded = load_app(spec_for(platform, path), REGISTRY, RECORDING)
    except InputError:
        return None
    assert loaded.app is not None
    return Redactor().data(loaded.app.to_dict())


def is_clear_error(message: str, path: Path) -> bool:
    """One line, naming the file, and a JSON path (``$…``) in it."""
    return "\n" not in message and str(path) in message and ": $" in message


def scan(platform: str, path: Path, baseline_model: dict[str, Any] | None = None,
         outputs: dict[str, Any] | None = None) -> Outcome:
    """Load ``path`` as the plugin would, run every built-in check on it and draw its threat
    model (what it writes into ``outputs`` when given: see :func:`run_all_checks`)."""
    try:
        try:
            loaded = load_app(spec_for(platform, path), REGISTRY, RECORDING)
        except InputError as exc:
            return Outcome("rejected", str(exc))
        if loaded.app is None:
            return Outcome("crashed", f"not loaded: {loaded.error}")
        loaded.app.sha256()
        run_all_checks(loaded, baseline_model, outputs=outputs)
    except (Exception, pytest.fail.Exception) as exc:
        return Outcome("crashed", crash_line(exc))
    return Outcome("scanned")


def crash_line(exc: BaseException) -> str:
    """``TypeError: message (at file.py:line in function)``: the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    first = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}{where}"


# -- merging shards ----------------------------------------------------------------------------
def as_shards(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of scanned apps' outputs (see :func:`run_all_checks`) as the shards of one run:
    app I of N ran with ``--nocode-shard=I/N``."""
    shards = []
    for number, app_outputs in enumerate(outputs, start=1):
        report = copy.deepcopy(app_outputs[REPORT_NAME])
        report["run"]["shard"] = f"{number}/{len(outputs)}"
        shards.append({REPORT_NAME: report, SARIF_NAME: copy.deepcopy(app_outputs[SARIF_NAME])})
    return shards


def shard_folders(root: Path, shards: list[dict[str, Any]]) -> list[Path]:
    """One folder per shard under ``root``, holding its findings report and SARIF log as a CI
    job leaves them."""
    folders = []
    for number, files in enumerate(shards, start=1):
        folder = root / f"shard-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in (REPORT_NAME, SARIF_NAME):
            (folder / name).write_text(json.dumps(files[name]), encoding="utf-8")
        folders.append(folder)
    return folders


def merge_outcome(out: Path, folders: list[Path]) -> Outcome:
    """``pytest-nocode merge OUT FOLDER…``: ``scanned`` when merged, ``rejected`` with the
    error line, ``crashed`` on anything else."""
    try:
        try:
            merge(out, folders)
        except InputError as exc:
            return Outcome("rejected", str(exc))
    except Exception as exc:
        return Outcome("crashed", crash_line(exc))
    return Outcome("scanned")


def is_clear_merge_error(message: str, folders: list[Path]) -> bool:
    """One line naming a shard (its folder or a file in it), or what the shards disagree on
    by its JSON path."""
    return "\n" not in message and (any(str(f) in message for f in folders) or "$" in message)
