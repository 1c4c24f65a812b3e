"""Loading each app once per run: fetch or read, normalize, hash, and hand over to workers.

The controller loads every app before tests start and, under xdist, pickles each loaded app
(raw snapshot, model, secrets found) to a private run folder; workers read them from there, so
an app is fetched, normalized and scanned for secrets exactly once per run.

An export read from files keeps no parsed JSON once normalized (on 20,000 workflows that was
a third of the loaded app's memory, and of each worker's pickle): the ``nocode_snapshot``
fixture reads the files again when a check asks (:meth:`LoadedApp.snapshot`). Live and
replayed data, which cannot be read again the same way, are kept whole.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import copyreg
import json
import os
import pickle
import tempfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import FetchError, InputError, NocodeError
from pytest_nocode.model import App
from pytest_nocode.platforms import (
    MAX_DEPTH,
    PlatformRegistry,
    RawSnapshot,
    first_too_deep,
    read_export,
    without_lone_surrogates,
)

if TYPE_CHECKING:
    from pytest_nocode.transport import RecordingOptions


@dataclass
class LoadedApp:
    """One app's data for this run, or the reason it could not be had."""

    spec: AppSpec
    raw: RawSnapshot | None = None
    app: App | None = None
    error: str | None = None
    secret_values: list[str] = field(default_factory=list, repr=False)

    @cached_property
    def sha256(self) -> str:
        """The snapshot hash, computed on first use: xdist workers never need it."""
        return self.app.sha256() if self.app is not None else ""

    @property
    def source(self) -> str:
        return self.raw.source if self.raw else self.spec.source

    def snapshot(self, registry: PlatformRegistry) -> RawSnapshot:
        """The raw snapshot with its data: an export's files are read again the first time
        (the loader let go of them), then kept for the next check that asks."""
        if self.raw is None:
            raise ValueError(f"{self.spec.uri}: no snapshot: {self.error or 'not loaded'}")
        if self.raw.data is None and self.raw.source in REREADABLE:
            export = read_export(registry[self.spec.platform], Path(self.spec.location))
            self.raw = replace(self.raw, data=export.data)
        return self.raw


# Sources whose data can be read again as it was: the loader keeps only their metadata.
REREADABLE = ("file", "demo")


def load_raw(spec: AppSpec, registry: PlatformRegistry, recording: RecordingOptions
             ) -> RawSnapshot:
    adapter = registry[spec.platform]
    if spec.transport in ("file", "demo"):
        export = read_export(adapter, Path(spec.location))
        return RawSnapshot(spec.platform, export.data, spec.transport,
                           skipped_files=export.skipped)
    from pytest_nocode.recording import fetch_recorded  # vcrpy only when an app is live

    return readable(spec, fetch_recorded(spec, adapter, recording))


def readable(spec: AppSpec, raw: RawSnapshot) -> RawSnapshot:
    """Live data held to what files are held to when read (``read_json_file``): nesting
    within MAX_DEPTH (else a FetchError: this app errors), lone surrogates as U+FFFD."""
    too_deep = first_too_deep(raw.data)
    if too_deep:
        raise FetchError(f"{spec.uri}: unexpected data: {too_deep}: nested more than "
                         f"{MAX_DEPTH} levels deep")
    try:
        json.dumps(raw.data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return replace(raw, data=without_lone_surrogates(raw.data))
    return raw


def load_app(spec: AppSpec, registry: PlatformRegistry, recording: RecordingOptions
             ) -> LoadedApp:
    """Load and normalize one app.

    Problems with what the user pointed at (a missing file, bad JSON, a wrong export shape)
    raise InputError so the run stops with one clear line. Problems reaching a live app are
    kept in ``error``: every check on that app then errors, and the others still run.
    """
    try:
        raw = load_raw(spec, registry, recording)
    except FetchError as exc:
        return LoadedApp(spec, error=str(exc))
    except InputError:
        raise
    except NocodeError as exc:
        return LoadedApp(spec, error=str(exc))
    return finish_loading(spec, registry, raw)


def finish_loading(spec: AppSpec, registry: PlatformRegistry, raw: RawSnapshot) -> LoadedApp:
    from pytest_nocode import placeholders

    try:  # before the secret scan: a replayed cassette's placeholders are its secrets
        placeholders.register(raw.scrubbed)
    except ValueError as exc:
        return LoadedApp(spec, raw=raw, error=f"{spec.uri}: scrubbed cassette: {exc}")
    try:
        app = registry[spec.platform].normalize(spec, raw)
    except InputError as exc:
        if spec.is_live:  # an unexpected shape from a server: fail closed on this app
            return LoadedApp(spec, raw=raw, error=f"{spec.uri}: unexpected data: {exc}")
        raise
    from pytest_nocode.secretscan import find_secrets

    secrets = [hit.value for hit in find_secrets(app)]
    if raw.source in REREADABLE:  # what the model does not share is let go (snapshot())
        raw = replace(raw, data=None)
    return LoadedApp(spec, raw=raw, app=app, secret_values=secrets)


def _rebuilt_proxy(data: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(data)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, ...]:
    return _rebuilt_proxy, (dict(proxy),)


class _ModelPickler(pickle.Pickler):
    """Pickles the model's read-only mappings as what they wrap (its own dispatch table:
    nothing process-wide is changed)."""

    dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}


class RunFolder:
    """A private folder (0700, files 0600, written and read only by this run's processes)
    holding each app as the controller loaded it, for xdist workers: the pickled raw
    snapshot, model and secrets, so a worker neither fetches nor normalizes nor scans again.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls) -> RunFolder:
        return cls(Path(tempfile.mkdtemp(prefix="pytest-nocode-")))

    def _file(self, app_id: str) -> Path:
        return self.path / f"{app_id}.pickle"

    def write(self, loaded: LoadedApp) -> None:
        from pytest_nocode.secretscan import find_secrets

        hits = find_secrets(loaded.app) if loaded.app is not None else ()  # memoized
        target = self._file(loaded.spec.id)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            _ModelPickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump((loaded, hits))

    def read(self, spec: AppSpec) -> LoadedApp:
        from pytest_nocode import placeholders
        from pytest_nocode.secretscan import remember_secrets

        with self._file(spec.id).open("rb") as fh:
            loaded, hits = pickle.load(fh)  # our own run's private folder, 0600
        if loaded.raw is not None and loaded.raw.scrubbed:
            placeholders.register(loaded.raw.scrubbed)  # as the controller did, per process
        if loaded.app is not None:
            remember_secrets(loaded.app, hits)
        return loaded

    def remove(self) -> None:
        for child in self.path.glob("*.pickle"):
            child.unlink()
        self.path.rmdir()


# What a user can do about an app that did not load, by what the error says; the error
# itself often names a variable or an option, so the advice only adds the usual next step.
_ADVICE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("cassette",), "record the cassette again while the server is reachable "
                    "(--nocode-record-mode=once, or all to replace it)"),
    (("credentials", "api key", "answered 401", "answered 403", "logs admins in"),
     "set {credentials} to an account that may read the app's configuration"),
    (("could not be reached", "timed out", "request to", "redirect", "answered 5"),
     "check the URL and that the server is up and reachable from here"),
    (("unexpected", "truncated", "not utf-8", "nested more than"),
     "check that the URL points at the platform's own API (not a proxy or login page); "
     "if it does, report the response's shape to pytest-nocode"),
)


def what_to_do(spec: AppSpec, error: str) -> str:
    """The next step for an app that could not be loaded, in one sentence."""
    from pytest_nocode.appspec import credential_hint

    text = error.lower()
    for words, advice in _ADVICE:
        if any(word in text for word in words):
            return advice.format(credentials=credential_hint(spec.platform)) + ", then re-run"
    return "fix the cause above, then re-run"
