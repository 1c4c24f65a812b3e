"""The scan: walk a step's params, run the detectors, keep what the filters let through.

Where a value sits decides which detectors run on it: in documentation (an n8n sticky
note, a Node-RED comment node, any node's ``info``) only the strong shapes, since notes that
explain how to call an API are full of ``Authorization: Bearer <your token>``. One step
reports each value once, at the field the most specific rule found it, with every field that
holds it.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from pytest_nocode import placeholders
from pytest_nocode.model import App, AppMemo, Step
from pytest_nocode.secretscan.detectors import (
    DATABASE_CONFIG_TYPES,
    TEXT_DETECTORS,
    Detector,
    Text,
    compared_pairs,
    config_node_key,
    crypto_node_key,
    default_database_password,
    keyed_crypto_node,
    name_value_pairs,
    query_parameter_secret,
    secret_named_value,
    sink_credential_names,
    stored_for_sink,
    url_parts,
    urls,
)
from pytest_nocode.secretscan.filters import literal
from pytest_nocode.secretscan.kinds import KIND_KEYWORD, KIND_URL_QUERY, URL_KINDS, rank
from pytest_nocode.secretscan.names import is_secret_name

__all__ = ["SecretHit", "StepScanner", "app_scanner", "find_secrets", "scan_steps",
           "scan_text"]


@dataclass(frozen=True)
class SecretHit:
    step_id: str
    field: str  # where in the step's params, e.g. "headers[0].valueValue", "func:line 12"
    kind: str  # what it looks like: "AWS Access Key", "Password in URL", …
    value: str  # the secret itself: never shown, only used to mask
    fields: tuple[str, ...] = ()  # every field of the step that holds it, ``field`` first


CODE_KEYS = frozenset({"func", "initialize", "finalize", "jsCode", "pythonCode",
                       "functionCode", "code"})
TEMPLATE_KEYS = frozenset({"template", "html", "format"})
# Node-RED bookkeeping: ids, wiring and editor coordinates, never a secret
_SKIP_KEYS = frozenset({"id", "z", "g", "type", "wires", "links", "x", "y", "w", "h", "l",
                        "d", "outputLabels", "inputLabels", "position", "typeVersion",
                        "webhookId", "color", "icon"})
_NO_DESCEND = frozenset({"wires", "links"})
# an entry of an n8n request node's query parameters (v3 ``queryParametersUi.parameter``, v4
# ``queryParameters.parameters``)
_QUERY_LIST = re.compile(r"(?:^|\.)queryParameters(?:Ui)?\.parameters?\[\d+\]$")
# steps that are documentation, and the key that is documentation on every Node-RED node
DOCUMENTATION_TYPES = frozenset({"n8n-nodes-base.stickyNote", "comment"})
DOCUMENTATION_KEYS = frozenset({"info"})
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]{16,}")

Emit = Callable[[str, str, str], None]  # (field, kind, value)
_Hits = tuple[tuple[str, str, str], ...]  # (field suffix, kind, value) of one string
# what the walk descends into, and the JSON leaves it skips without the Mapping ABC's check
_SEQUENCES = (list, tuple)
_MAPPINGS = (dict, MappingProxyType, Mapping)
_WALKED = (dict, MappingProxyType, list, tuple, Mapping)
_LEAVES = frozenset({int, float, bool, type(None)})


class _Scanner:
    """Runs every rule over one step's params; ``ids`` are the app's step ids (references).

    A string's hits depend on the string, the key it sits under and the flags the walk
    passes, never on where it sits: each distinct string is scanned once per scanner, and
    its hits (fields relative to where it was found) are replayed at every other place it
    recurs (a 2,000-workflow org scans 30,000 distinct strings of 85,000)."""

    def __init__(self, ids: frozenset[str],
                 sinks: Mapping[str, frozenset[str]] = MappingProxyType({})) -> None:
        self.ids = ids
        # workflow id -> the property names its requests send as their credential
        self.sinks = sinks
        # (key, literal_typed, documentation, own key) -> string -> its hits, as (field
        # suffix, kind, value); a list item's strings under key None; own key "config" for a
        # config node's ``key``, "crypto" for a signing or cipher node's, "database" for a
        # database config node's ``password``, else ""
        self._seen: dict[tuple[str | None, bool, bool, str], dict[str, _Hits]] = {}

    def _once(self, context: tuple[str | None, bool, bool, str], path: str, at: str | int,
              value: str, emit: Emit) -> None:
        """Emit the hits of ``value`` found under ``context`` (a key and the flags of
        :meth:`scan_value`; key None for a list item, :meth:`scan_text` in text mode) at
        ``at`` (a key or a list index) of ``path``: scanned the first time, the recorded
        hits again after that. Most strings have none: their field is never spelled out."""
        seen = self._seen.get(context)
        if seen is None:
            seen = self._seen[context] = {}
        hits = seen.get(value)
        if hits == ():
            return
        field = f"{path}[{at}]" if isinstance(at, int) else f"{path}.{at}" if path else at
        if hits is None:
            found: list[tuple[str, str, str]] = []
            start = len(field)

            def record(at: str, kind: str, secret: str) -> None:
                found.append((at[start:], kind, secret))  # every field starts with ``field``

            key, typed, doc, own_key = context
            if key is None:
                self.scan_text(field, value, "text", record, documentation=doc)
            else:
                self.scan_value(field, key, value, record, literal_typed=typed,
                                documentation=doc, config_key=own_key == "config",
                                crypto_key=own_key == "crypto")
                if own_key == "database" and typed and not found \
                        and (secret := default_database_password(value)) is not None:
                    record(field, KIND_KEYWORD, secret)
            hits = seen[value] = tuple(found) if found else ()
        for suffix, kind, secret in hits:
            emit(field + suffix, kind, secret)

    # -- one string ---------------------------------------------------------------------
    def scan_value(self, field: str, key: str, value: str, emit: Emit, *,
                   literal_typed: bool = True, documentation: bool = False,
                   config_key: bool = False, crypto_key: bool = False) -> None:
        """All rules for a string found under ``key`` (``literal_typed`` False when a sibling
        type field says the value is a reference, e.g. ``tot: "env"``; ``config_key`` for a
        config node's own ``key`` property, ``crypto_key`` for the ``key`` an HMAC or cipher
        node signs or encrypts with)."""
        if len(value) < 4 or value.startswith("data:"):
            return
        scrubbed = placeholders.found_in(value)
        whole = False  # the value is one placeholder: a keyword hit was reported at `field`
        if scrubbed:  # the placeholder stands in for the rules (see scan_text)
            whole = literal(value, min_len=1) in {p for _, p, _ in scrubbed}
        elif literal_typed and not documentation and (config_key or crypto_key
                                                      or is_secret_name(key)):
            secret = (crypto_node_key(value, self.ids) if crypto_key
                      else config_node_key(value, self.ids) if config_key
                      else secret_named_value(key, value, self.ids))
            if secret is not None:
                emit(field, KIND_KEYWORD, secret)
        if key in CODE_KEYS:
            mode = "code"
        elif key in TEMPLATE_KEYS and "\n" in value:
            mode = "template"
        else:
            mode = "text"
        self.scan_text(field, value, mode, emit, whole=whole, documentation=documentation)

    def scan_text(self, field: str, text: str, mode: str, emit: Emit, *,
                  whole: bool = False, documentation: bool = False) -> None:
        """Every text detector over free text, hits located by line (code always).

        A registered placeholder (a secret scrubbed out of a replayed cassette) is reported as
        the secret it replaced, where the rule that found the secret reported it; the rules
        themselves do not judge scrubbed text (``whole``: see :meth:`_place`).
        """
        if len(text) < 8:
            return
        if "base64," in text:
            text = _DATA_URI.sub("data:", text)
        t = Text(text, mode, self.ids)

        def where(pos: int) -> str:
            n = t.line_at(pos)[0]
            return f"{field}:line {n}" if n else field

        scrubbed = placeholders.found_in(text)
        if scrubbed:
            for pos, placeholder, secret in scrubbed:
                emit(self._place(field, t, where, pos, secret.kind, whole), secret.kind,
                     placeholder)
            emit = _ignoring([p for _, p, _ in scrubbed], emit)

        hinted = bool(t.hint_spans)
        for detector in _applicable(mode, documentation):
            gate = detector.gate
            if ((detector.hint_lines and not hinted)
                    or (gate is not None and gate.search(text) is None)):
                continue
            for found in detector.find(t):
                emit(where(found.pos) + found.suffix, found.kind, found.value)

    # -- placeholders -------------------------------------------------------------------
    @staticmethod
    def _place(field: str, t: Text, where: Callable[[int], str], pos: int, kind: str,
               whole: bool) -> str:
        """Where the rule that reports ``kind`` reported the secret now at ``pos``.

        The placeholder sits where the secret began, and multi-line secrets keep their line
        breaks after it, so the line is the same. The URL rule adds which part of the URL
        (user info, query parameter); a keyword or name/value hit on a whole value is at the
        field itself, also in code and multi-line text.
        """
        if kind in URL_KINDS:
            for at, url in urls(t):
                if at <= pos < at + len(url):
                    for part in url_parts(url):
                        if part.start <= pos - at < part.start + len(part.value):
                            return where(at) + part.suffix
        if kind == KIND_KEYWORD and whole:
            return field
        return where(pos)

    # -- one step's params ----------------------------------------------------------------
    def scan_params(self, params: Mapping[str, Any], emit: Emit, *,
                    documentation: bool = False, config: bool = False,
                    sink_names: frozenset[str] = frozenset(), crypto: bool = False,
                    database: bool = False) -> None:
        """Walk nested params iteratively (no recursion limit on deep configs);
        ``documentation`` for a step that is a note or a comment as a whole, ``config`` for
        a Node-RED config node (a broker, a gateway, a database); ``sink_names`` the
        properties the step's workflow sends as a credential (:func:`credential_sinks`);
        ``crypto`` for a node that signs or encrypts with its ``key``
        (:func:`keyed_crypto_node`), ``database`` for a database config node (its typed
        ``password`` is the server's, a default one included)."""
        stack: list[tuple[str, Any, bool]] = [("", params, documentation)]
        while stack:
            path, node, doc = stack.pop()
            if isinstance(node, _SEQUENCES):
                for i, value in enumerate(node):
                    if isinstance(value, str):
                        self._once((None, True, doc, ""), path, i, value, emit)
                    elif type(value) not in _LEAVES and isinstance(value, _WALKED):
                        stack.append((f"{path}[{i}]", value, doc))
                continue
            if not isinstance(node, _MAPPINGS):
                continue
            if not doc:
                self._pairs(path, node, emit, sink_names)
            for key, value in node.items():
                if not isinstance(key, str) or (not path and key in _SKIP_KEYS):
                    continue
                child_doc = doc or (not path and key in DOCUMENTATION_KEYS)
                if isinstance(value, str):
                    own_key = ("" if path else "database" if database and key == "password"
                               else "" if key != "key" else "crypto" if crypto
                               else "config" if config else "")
                    # the typed-input sibling matters only to a value judged by its name
                    typed = (_typed_literal(node, key)
                             if own_key or is_secret_name(key) else True)
                    self._once((key, typed, child_doc, own_key), path, key, value, emit)
                elif type(value) not in _LEAVES and key not in _NO_DESCEND \
                        and isinstance(value, _WALKED):
                    stack.append((f"{path}.{key}" if path else key, value, child_doc))

    def _pairs(self, path: str, node: Mapping[str, Any], emit: Emit,
               sink_names: frozenset[str] = frozenset()) -> None:
        """Name/value structures: the secret's name is in one field, the value in another
        (or the name says nothing and a request of the workflow sends it as a key)."""
        for name, value_key, value in name_value_pairs(node):
            if placeholders.found_in(value):
                continue  # reported as the secret it replaced when the value is scanned
            secret = secret_named_value(name, value, self.ids)
            if secret is not None:
                emit(f"{path}.{value_key}" if path else value_key, KIND_KEYWORD, secret)
        for name, value_key, value in compared_pairs(node):
            secret = secret_named_value(name, value, self.ids)
            if secret is not None and not placeholders.found_in(value):
                emit(f"{path}.{value_key}" if path else value_key, KIND_KEYWORD, secret)
        for value_key, secret in stored_for_sink(node, sink_names, self.ids):
            emit(f"{path}.{value_key}" if path else value_key, KIND_KEYWORD, secret)
        if _QUERY_LIST.search(path):
            self._query_pair(path, node, emit)

    def _query_pair(self, path: str, node: Mapping[str, Any], emit: Emit) -> None:
        """One entry of a request node's query parameters (n8n ``queryParameters``): judged as
        the same parameter in a URL is, so imgbb's or Google's bare ``key`` counts here too. A
        name that says secret on its own was judged as a name/value pair already."""
        name, value = node.get("name"), node.get("value")
        if not isinstance(name, str) or not isinstance(value, str) or is_secret_name(name) \
                or placeholders.found_in(value):
            return
        secret = query_parameter_secret(name, value, self.ids)
        if secret is not None:
            emit(f"{path}.value", KIND_URL_QUERY, secret)


@lru_cache(maxsize=8)
def _applicable(mode: str, documentation: bool) -> tuple[Detector, ...]:
    """The text detectors for a mode (``code``, ``template``, ``text``): in documentation
    only the strong shapes and the rules made to read it (``Detector.documentation``)."""
    return tuple(d for d in TEXT_DETECTORS
                 if mode in d.modes and (d.strong or d.documentation or not documentation))


def _ignoring(scrubbed: list[str], emit: Emit) -> Emit:
    """``emit`` without the hits the rules make of placeholders (or of pieces of them): a
    placeholder is reported once, as the secret it replaced, by scan_text."""

    def filtered(field: str, kind: str, value: str) -> None:
        if not any(p in value or value in p for p in scrubbed):
            emit(field, kind, value)

    return filtered


# Node-RED typed-input types whose value is a name to look up or a non-string, not a literal
_REFERENCE_TYPES = frozenset({"msg", "flow", "global", "env", "jsonata", "cred", "re", "date",
                              "num", "bool", "json", "bin", "node", "jsonpath", "expression"})


@lru_cache(maxsize=4096)
def _type_siblings(key: str) -> tuple[str, ...]:
    """Where Node-RED keeps the type of ``key``'s typed input: ``payloadType``, ``tot``,
    ``valueType`` (for ``valueValue``), ``passwordFieldType`` (database configs), …"""
    names = [f"{key}Type", f"{key}type", f"{key}t", f"{key}_type", f"{key}FieldType"]
    if key.endswith("Value"):
        names.append(key[:-5] + "Type")
    return tuple(names)


def _typed_literal(node: Mapping[str, Any], key: str) -> bool:
    """False when a typed-input sibling says the value is a reference (``env``, ``msg``,
    ``flow`` …), not a literal string."""
    for name in _type_siblings(key):
        kind = node.get(name)
        if isinstance(kind, str):
            return kind not in _REFERENCE_TYPES
    return True


# -- public API ---------------------------------------------------------------------------------
_LINE = re.compile(r":line (\d+)")


def _field_order(field: str) -> tuple[str, int, str]:
    """Fields in reading order: by key, then by line number (``func:line 2`` before 10)."""
    base = field.split(" (", 1)[0]
    m = _LINE.search(base)
    return (base.split(":line", 1)[0], int(m.group(1)) if m else 0, field)


def _scan_step(scanner: _Scanner, step: Step) -> list[SecretHit]:
    """One hit per value: named by the most specific rule that found it, placed where that
    rule found it first, with every field that holds it (a value repeated in several
    options or lines is one secret to rotate)."""
    best: dict[str, tuple[int, str, str]] = {}  # value → (rank, field, kind)
    places: dict[str, dict[str, None]] = {}  # value → its base fields, in order found

    def emit(field: str, kind: str, value: str) -> None:
        if not value:
            return
        places.setdefault(value, {})[field.split(" (", 1)[0]] = None
        score = rank(kind)
        current = best.get(value)
        if (current is None or score > current[0]
                or (score == current[0] and _field_order(field) < _field_order(current[1]))):
            best[value] = (score, field, kind)

    scanner.scan_params(step.params, emit, documentation=step.type in DOCUMENTATION_TYPES,
                        config=step.is_config,
                        sink_names=scanner.sinks.get(step.workflow_id, frozenset()),
                        crypto=keyed_crypto_node(step.type, step.params),
                        database=step.is_config and step.type in DATABASE_CONFIG_TYPES)
    hits = []
    for value, (_, field, kind) in best.items():
        base = field.split(" (", 1)[0]
        others = sorted((f for f in places[value] if f != base), key=_field_order)
        hits.append(SecretHit(step.id, field, kind, value, (base, *others)))
    return sorted(hits, key=lambda h: (_field_order(h.field), h.kind))


_CACHE: AppMemo[tuple[SecretHit, ...]] = AppMemo()


def find_secrets(app: App) -> tuple[SecretHit, ...]:
    """Every secret written into the app's step configurations, once per (step, value).

    Memoized per App instance (keyed by identity with a weak reference, since App's fields
    are not hashable): the loader and the SEC001 check both ask.
    """
    hits = _CACHE.get(app)
    return hits if hits is not None else remember_secrets(app, scan_steps(app, 0,
                                                                          len(app.steps)))


def scan_steps(app: App, start: int, stop: int, scanner: StepScanner | None = None
               ) -> tuple[SecretHit, ...]:
    """The hits of ``app.steps[start:stop]``, in step order: a step's hits depend on the step,
    the app's step ids and its :func:`credential_sinks` only, so parts scanned in different
    processes and joined in order are :func:`find_secrets`' result (the run folder shares
    them between xdist workers). Pass the ``scanner`` of :func:`app_scanner` for every part
    one process scans of the same app: what it knows of the whole app is then worked once."""
    if scanner is None:
        scanner = app_scanner(app)
    hits: list[SecretHit] = []
    for step in app.steps[start:stop]:
        hits.extend(_scan_step(scanner, step))
    return tuple(hits)


def app_scanner(app: App) -> StepScanner:
    """A scanner of ``app``'s steps for every part of its scan one process works: what a part
    needs of the whole app (its step ids, its credential sinks, a walk over every step's
    params) is computed once, and a string seen in one part is not scanned again in the next.
    Built once per part, the 32 parts of a 20,000-workflow app took 32 CPU seconds to scan
    against 16 for the whole: the sinks' walk alone ran 32 times."""
    return _Scanner(frozenset(step.id for step in app.steps), credential_sinks(app))


StepScanner = _Scanner  # what app_scanner gives, for scan_steps' callers to hold


def credential_sinks(app: App) -> Mapping[str, frozenset[str]]:
    """Workflow id -> the property names its request steps send as a credential (``key`` of
    ``?api_key={{key}}``): a message or flow property is its own workflow's, a global one
    every workflow's. A literal a change or inject node types into one is judged as a key."""
    own: dict[str, set[str]] = {}
    shared: set[str] = set()
    for step in app.steps:
        for name, is_global in sink_credential_names(step.params):
            (shared if is_global else own.setdefault(step.workflow_id, set())).add(name)
    if not own and not shared:
        return MappingProxyType({})
    every = {step.workflow_id for step in app.steps}
    return MappingProxyType({w: frozenset(own.get(w, set()) | shared) for w in every})


def remember_secrets(app: App, hits: tuple[SecretHit, ...]) -> tuple[SecretHit, ...]:
    """Memoize ``hits`` as ``app``'s secrets: the scan's own result, or the controller's,
    handed to an xdist worker with the app (so secrets are found once per app, not per
    process)."""
    return _CACHE.put(app, hits)


def scan_text(key: str, text: str) -> list[tuple[str, str]]:
    """(kind, value) of every secret in ``text`` found under ``key`` (a setting, a header…),
    with the same rules the step scan uses. For modules outside the step walk."""
    found: dict[str, tuple[int, str]] = {}

    def emit(_field: str, kind: str, value: str) -> None:
        score = rank(kind)
        if value and (value not in found or score > found[value][0]):
            found[value] = (score, kind)

    _Scanner(frozenset()).scan_value(key, key, text, emit)
    return [(kind, value) for value, (_, kind) in found.items()]
