"""Platform adapters: each knows one platform's API and export formats, and nothing of pytest.

An adapter turns an :class:`~pytest_nocode.appspec.AppSpec` into a :class:`RawSnapshot` (the
JSON as the platform gave it) and a raw snapshot into an :class:`~pytest_nocode.model.App`.
New platforms come from plugins implementing the ``pytest_nocode_platforms`` hook.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import orjson

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import InputError, SchemaError, read_input_file
from pytest_nocode.model import App, Step, StepFlow


@dataclass(frozen=True)
class SkippedFile:
    """A file in an export folder that is not an export (a backup tool's ``metadata.json``)."""

    path: str  # relative to the folder the user named, with "/" separators
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class FileExport:
    """What :meth:`Platform.load_export` read: the raw JSON, and the files it passed over."""

    data: Any
    skipped: tuple[SkippedFile, ...] = ()


@dataclass(frozen=True)
class RawSnapshot:
    """What the platform gave, untouched: the input of ``normalize`` and of drift baselines."""

    platform: str
    data: Any
    source: str  # live | cassette | file | demo
    # per-part fetch notes, e.g. {"projects": "not available: 403 (license)"}
    notes: dict[str, str] = field(default_factory=dict)
    # from a cassette: placeholder → what the scrubbed secret was ({"kind", "length",
    # "prefix"}, never the secret); the loader registers it, in every xdist worker too
    scrubbed: dict[str, dict[str, Any]] = field(default_factory=dict)
    # files of an export folder that were not read as exports, with the reason
    skipped_files: tuple[SkippedFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "source": self.source, "notes": self.notes,
                "scrubbed": self.scrubbed, "data": self.data,
                "skipped_files": [f.to_json() for f in self.skipped_files]}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RawSnapshot:
        return cls(obj["platform"], obj["data"], obj["source"], dict(obj.get("notes") or {}),
                   dict(obj.get("scrubbed") or {}),
                   tuple(SkippedFile(f["path"], f["reason"])
                         for f in obj.get("skipped_files") or ()))


class Fetcher(Protocol):
    """How an adapter reaches a live app (see :mod:`pytest_nocode.transport`)."""

    def get_json(self, path: str, **kwargs: Any) -> Any: ...


_Part = TypeVar("_Part")
# What an xdist worker's loader gives ``normalize_export(spec, path, share=…)``:
# ``share(files, build)`` is ``[build(files)]`` worked in parts, each part (a run of the files,
# in order) built by one process of the run and handed to the others: the results of the
# parts, in order.
ShareFiles = Callable[[list[Path], Callable[[list[Path]], _Part]], list[_Part]]
# ... and ``normalize_export(spec, path, share=…, describe=…)``: ``describe(steps, flow_of)``
# is ``tuple(map(flow_of, steps))`` (how data passes each step, once the adapter's state is
# complete) worked in parts the same way, or None when that failed; the adapter judges its
# entry points from it.
ShareSteps = Callable[[Sequence[Step], Callable[[Step], StepFlow]], tuple[StepFlow, ...] | None]


@runtime_checkable
class Platform(Protocol):
    """The whole interface a platform adapter implements."""

    name: str  # the URI prefix: "nodered", "n8n", …
    title: str  # for humans: "Node-RED"

    def load_file(self, path: Path) -> Any:
        """Read an export from disk (a file or folder) into the raw JSON the adapter expects.

        An adapter whose folders may hold other files beside the exports also implements
        ``load_export(path) -> FileExport``, which runs use instead (see :func:`read_export`).
        One that can build the model a file at a time also implements
        ``normalize_export(spec, path) -> tuple[App, FileExport]`` (the export without its
        data), which the loader then uses for files, never holding the whole parsed export;
        if it takes ``share`` (a :data:`ShareFiles`), xdist workers split its files.
        """

    def fetch(self, spec: AppSpec, client: Fetcher) -> tuple[Any, dict[str, str]]:
        """Fetch the live configuration; returns (raw JSON, notes on parts not available)."""

    def normalize(self, spec: AppSpec, raw: RawSnapshot) -> App:
        """Build the model; raise SchemaError naming the JSON path when the shape is wrong."""


class PlatformRegistry:
    """Platform name → adapter, filled from the ``pytest_nocode_platforms`` hook."""

    def __init__(self, adapters: Iterable[Platform] = ()) -> None:
        self._by_name: dict[str, Platform] = {}
        for adapter in adapters:
            self.add(adapter)

    def add(self, adapter: Platform) -> None:
        if adapter.name in self._by_name:
            raise ValueError(f"platform {adapter.name!r} is registered twice")
        self._by_name[adapter.name] = adapter

    def __getitem__(self, name: str) -> Platform:
        return self._by_name[name]

    def names(self) -> list[str]:
        return sorted(self._by_name)


MAX_DEPTH = 100  # nesting levels of a JSON export; real ones have about a dozen
# a \uD800-\uDFFF escape: half of a UTF-16 pair, which JSON allows on its own
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# bytes.translate table: every ASCII digit to "0", every other byte to " "; in what it gives,
# 19 digits in a row may be an integer past 64 bits, which orjson reads as a float (a regex
# search for them costs more than orjson saves: it tries every digit of the text)
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def read_export(adapter: Platform, path: Path) -> FileExport:
    """An export from disk with the files skipped beside it: the adapter's ``load_export``
    when it has one, else its ``load_file`` (which skips nothing)."""
    load_export = getattr(adapter, "load_export", None)
    if load_export is not None:
        export: FileExport = load_export(path)
        return export
    return FileExport(adapter.load_file(path))


def read_json_file(path: Path) -> Any:
    """Parse a JSON file; errors name the file, line and column."""
    text = read_input_file(path, str(path), "a JSON file", encoding=None)
    try:
        data = parse_json_text(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{path}: $: nested too deeply to be an export") from None
    too_deep = first_too_deep(data)
    if too_deep:
        raise InputError(f"{path}: {too_deep}: nested more than {MAX_DEPTH} levels deep "
                         "(real exports nest about a dozen)")
    return without_lone_surrogates(data) if SURROGATE_ESCAPE.search(text) else data


def parse_json_text(text: str) -> Any:
    """``json.loads(text)``, the same values, parsed by orjson where that gives them: about
    a third less CPU on an export folder. orjson reads only a part of what ``json`` reads,
    and reads it alike (keys in order, the last of a repeated key, floats to the same bits:
    checked on the corpus and on random numbers); what it refuses (NaN, a lone surrogate,
    nesting past 1,024, malformed JSON, whose error ``json`` words) and text that may hold
    an integer past 64 bits (orjson makes it a float) is parsed by ``json``."""
    if _LONG_DIGITS not in text.encode("utf-8", "surrogatepass").translate(_DIGITS_ONLY):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def first_too_deep(data: Any) -> str | None:
    """The JSON path of a container nested deeper than MAX_DEPTH, if any.

    Real exports nest a dozen levels; far deeper data would exhaust Python's stack in the
    code that walks it (normalizing, the secret scan, hashing), so it is refused when read.
    Level by level first (a fraction of ``json.loads``), paths only when one is too deep.
    """
    level, depth = ([data] if isinstance(data, (dict, list)) else []), 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            break
        below: list[Any] = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [c for c in children if type(c) is dict or type(c) is list]
        level = below
    else:
        return None
    stack: list[tuple[Any, int, str]] = [(data, 1, "$")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            return where
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((v, depth + 1, f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}")
                     for k, v in items if isinstance(v, (dict, list)))
    return None


def without_lone_surrogates(value: Any) -> Any:
    """``value`` with each unpaired surrogate replaced by U+FFFD.

    Editors written in JavaScript save an emoji cut in half as a lone ``\\udc8f``; Python
    decodes it into a string that no UTF-8 writer accepts, so hashing or reporting the app
    would fail. Replacing the half character keeps every other byte of the export.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v)
                for k, v in value.items()}
    return value


def expect(condition: bool, where: str, expected: str) -> None:
    """Raise a SchemaError naming the JSON path unless ``condition`` holds."""
    if not condition:
        raise SchemaError(f"{where}: expected {expected}")
