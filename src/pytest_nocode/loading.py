"""Loading each app once per run: fetch or read, normalize, hash, and hand over to workers.

Serially, the one process loads every app before tests start. Under xdist the run folder (a
private folder of the controller's) hands apps to the workers in one of two ways:

* an app read from files (``file``, ``demo``) is normalized by every worker; an adapter
  that builds a folder file by file has its files split into parts that the workers claim
  in the folder, read and build once and share (:meth:`RunFolder.shared_files`); its secret
  scan is split into parts the same way (:meth:`RunFolder.shared_secrets`), and so is describing
  its steps for the data flow every worker with a data-flow check builds
  (:meth:`RunFolder.shared_flows`); the data-flow walk is done by the first worker to ask,
  the others restore what it found (:meth:`RunFolder.shared_walk`). The controller reads
  none of it: the first worker to load the app tells it what its reports need
  (:meth:`RunFolder.told`), the first worker to begin its checks computes the snapshot hash
  (:meth:`RunFolder.share_hash`), and at the end the controller checks that every worker
  read the same files (:meth:`RunFolder.settle`);
* an app fetched live or replayed from a cassette is fetched, normalized and scanned by the
  controller and pickled there (raw snapshot, model, secrets found), so its server is asked
  once per run and a cassette is replayed once; the workers describe its steps and walk its
  data flow once between them, as above.

An export read from files keeps no parsed JSON once normalized (on 20,000 workflows that was
a third of the loaded app's memory, and of each worker's pickle): the ``nocode_snapshot``
fixture reads the files again when a check asks (:meth:`LoadedApp.snapshot`). An adapter
with ``normalize_export`` (n8n) builds a folder's model file by file, so the whole parsed
export is never held even while loading. Live and replayed data, which cannot be read again
the same way, are kept whole.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import copyreg
import glob
import inspect
import io
import json
import operator
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import FetchError, InputError, NocodeError
from pytest_nocode.model import App
from pytest_nocode.platforms import (
    MAX_DEPTH,
    PlatformRegistry,
    RawSnapshot,
    ShareFiles,
    ShareSteps,
    first_too_deep,
    read_export,
    without_lone_surrogates,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_nocode.dataflow import DataFlow
    from pytest_nocode.model import Step, StepFlow
    from pytest_nocode.secretscan import SecretHit, StepScanner
    from pytest_nocode.transport import RecordingOptions

T = TypeVar("T")
Scan = Callable[[App], "tuple[SecretHit, ...]"]  # an app's secrets: find_secrets, or shared


@dataclass
class LoadedApp:
    """One app's data for this run, or the reason it could not be had."""

    spec: AppSpec
    raw: RawSnapshot | None = None
    app: App | None = None
    error: str | None = None
    secret_values: list[str] = field(default_factory=list, repr=False)
    # what the files looked like when they were read, for an export whose data was let go
    stamps: tuple[tuple[str, int, int], ...] = field(default=(), repr=False)

    @cached_property
    def sha256(self) -> str:
        """The snapshot hash, computed on first use: xdist workers never need it."""
        return self.app.sha256() if self.app is not None else ""

    @property
    def source(self) -> str:
        return self.raw.source if self.raw else self.spec.source

    @property
    def notes(self) -> dict[str, str]:
        """What the run could not see of the app, by part: the fetch's notes (parts the server
        did not give) and the adapter's (what the data given lacks)."""
        notes = dict(self.raw.notes) if self.raw is not None else {}
        if self.app is not None:
            notes.update(self.app.notes)
        return notes

    @property
    def name(self) -> str | None:
        """The app's display name, None when it did not load."""
        return self.app.name if self.app is not None else None

    def model_here(self) -> App | None:
        """The model if this process holds it (never loading it: :class:`LoadedElsewhere`)."""
        return self.app

    def facts(self) -> dict[str, Any]:
        """What an xdist controller's reports need of the model, from a worker that holds it
        (:class:`LoadedElsewhere`)."""
        return {"notes": self.notes, "name": self.name}

    def snapshot(self, registry: PlatformRegistry) -> RawSnapshot:
        """The raw snapshot with its data: an export's files are read again the first time
        (the loader let go of them), then kept for the next check that asks."""
        if self.raw is None:
            raise ValueError(f"{self.spec.uri}: no snapshot: {self.error or 'not loaded'}")
        if self.raw.data is None and self.raw.source in REREADABLE:
            location = Path(self.spec.location)
            export = read_export(registry[self.spec.platform], location)
            if file_stamps(location) != self.stamps:  # fail closed: not what was checked
                raise InputError(f"{location}: the export changed on disk during the run; "
                                 "its checks ran on the earlier files: run again")
            self.raw = replace(self.raw, data=export.data)
        return self.raw


def file_stamps(location: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of an export's file, or of every ``*.json`` file
    under its folder (one ``stat`` each: 0.26 s for 20,000 workflow files)."""
    if not location.is_dir():
        paths = [str(location)]
    else:
        paths = sorted(os.path.join(root, name) for root, _, names in os.walk(location)
                       for name in names if name.endswith(".json"))
    stamps = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stamps.append((path, st.st_size, st.st_mtime_ns))
    return tuple(stamps)


# Sources whose data can be read again as it was: the loader keeps only their metadata.
REREADABLE = ("file", "demo")


class LoadedElsewhere(LoadedApp):
    """An xdist controller's record of an app its workers read from files: what the reports
    need (secrets found, files read, notes, errors, later the snapshot hash) without the
    model, which the controller would otherwise read and normalize a third time beside the
    two workers on two cores (about 10 CPU seconds at 20,000 workflows).

    A part of the run that still asks for the model (a threat model, a baseline, key risk
    indicators, owners by workflow) gets it read here on first use, from the same files: if
    they changed since the workers read them, the app is reported as not loaded (fail
    closed: nothing is checked against other data than the workers checked).
    """

    def __init__(self, record: LoadedApp, facts: dict[str, Any],
                 load: Callable[[], LoadedApp]) -> None:
        self._model: App | None = None
        self._load: Callable[[], LoadedApp] | None = load
        self._facts = facts
        super().__init__(record.spec, record.raw, None, record.error, record.secret_values,
                         record.stamps)

    @property  # type: ignore[override]
    def app(self) -> App | None:
        if self._load is not None and self.error is None:
            load, self._load = self._load, None
            try:
                loaded = load()
            except InputError as exc:  # the files went bad since the workers read them
                self.error = str(exc)
                return None
            if loaded.error is None and loaded.stamps != self.stamps:
                self.error = (f"{self.spec.location}: the export changed on disk during the "
                              "run; its checks ran on the earlier files: run again")
            else:
                self._model, self.error = loaded.app, loaded.error
        return self._model

    @app.setter
    def app(self, value: App | None) -> None:
        self._model = value

    @property
    def notes(self) -> dict[str, str]:
        return dict(self._facts["notes"])

    @property
    def name(self) -> str | None:
        return self._facts["name"]  # type: ignore[no-any-return]

    def model_here(self) -> App | None:
        return self._model

    def facts(self) -> dict[str, Any]:
        return dict(self._facts)

    def __repr__(self) -> str:
        return f"LoadedElsewhere({self.spec.id!r}, error={self.error!r})"


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


def load_app(spec: AppSpec, registry: PlatformRegistry, recording: RecordingOptions,
             scan: Scan | None = None, share: ShareFiles | None = None,
             describe: ShareSteps | None = None) -> LoadedApp:
    """Load and normalize one app, and find its secrets with ``scan`` (default: the whole
    scan in this process); an adapter that builds exports file by file splits the files
    with the other processes through ``share`` (:meth:`RunFolder.shared_files`), if given
    and if it takes one, and describing its steps through ``describe``
    (:meth:`RunFolder.shared_describing`) likewise.

    Problems with what the user pointed at (a missing file, bad JSON, a wrong export shape)
    raise InputError so the run stops with one clear line. Problems reaching a live app are
    kept in ``error``: every check on that app then errors, and the others still run.
    """
    streamed = getattr(registry[spec.platform], "normalize_export", None)
    app: App | None = None
    try:
        if spec.transport in REREADABLE and streamed is not None:
            # built file by file: never the whole parsed export at once
            takes = inspect.signature(streamed).parameters
            given = {name: value for name, value in (("share", share), ("describe", describe))
                     if value is not None and name in takes}
            app, export = streamed(spec, Path(spec.location), **given)
            raw = RawSnapshot(spec.platform, None, spec.transport,
                              skipped_files=export.skipped)
        else:
            raw = load_raw(spec, registry, recording)
    except FetchError as exc:
        return LoadedApp(spec, error=str(exc))
    except InputError:
        raise
    except NocodeError as exc:
        return LoadedApp(spec, error=str(exc))
    return finish_loading(spec, registry, raw, scan) if app is None \
        else _scanned(spec, raw, app, scan)


def finish_loading(spec: AppSpec, registry: PlatformRegistry, raw: RawSnapshot,
                   scan: Scan | None = None) -> LoadedApp:
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
    return _scanned(spec, raw, app, scan)


def _scanned(spec: AppSpec, raw: RawSnapshot, app: App, scan: Scan | None) -> LoadedApp:
    """The loaded app with its secrets found; an export's parsed files let go (stamped)."""
    from pytest_nocode.secretscan import find_secrets

    secrets = [hit.value for hit in (scan or find_secrets)(app)]
    stamps: tuple[tuple[str, int, int], ...] = ()
    if raw.source in REREADABLE:  # what the model does not share is let go (snapshot())
        raw = replace(raw, data=None)
        stamps = file_stamps(Path(spec.location))
    return LoadedApp(spec, raw=raw, app=app, secret_values=secrets, stamps=stamps)


def _rebuilt_proxy(data: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(data)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, ...]:
    return _rebuilt_proxy, (dict(proxy),)


def _by_fields(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """Pickle an instance of a frozen, slotted model class as the class called with its field
    values: unpickled by the class's own ``__init__``, not by the ``__setstate__`` dataclasses
    give slotted classes, which looks the fields up again for every object (at 20,000
    workflows the xdist workers exchange 346,000 step descriptions: half the time)."""
    names = tuple(f.name for f in fields(cls))

    def reduce(obj: Any) -> tuple[Any, ...]:
        return cls, tuple([getattr(obj, name) for name in names])

    return reduce


def _slotted_model_classes() -> list[type]:
    from pytest_nocode import model

    return [cls for cls in vars(model).values()
            if isinstance(cls, type) and is_dataclass(cls)
            and "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__")
            and all(f.init for f in fields(cls))]


class _ModelPickler(pickle.Pickler):
    """Pickles the model's read-only mappings as what they wrap and its slotted classes by
    their fields (its own dispatch table: nothing process-wide is changed)."""

    dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy,
                      **{cls: _by_fields(cls) for cls in _slotted_model_classes()}}


def _dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


WAIT_FOR_A_LOADER = 60.0  # s an xdist controller waits for a worker to begin loading an app
SCAN_PART_STEPS = 4096  # steps per part of a shared secret scan (a 20,000-workflow app: 32)
MAX_SCAN_PARTS = 32


FILE_PART_FILES = 1000  # files per part of a shared build (a 20,000-file folder: 16 parts)
MAX_FILE_PARTS = 16


def file_parts(files: int) -> list[tuple[int, int]]:
    """The (start, stop) ranges a shared build of ``files`` files is split into."""
    return _parts(files, FILE_PART_FILES, MAX_FILE_PARTS)


def _stamps_of(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of each of ``paths`` (-1, -1 when it is gone)."""
    stamps = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            stamps.append((str(path), -1, -1))
        else:
            stamps.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def scan_parts(steps: int) -> list[tuple[int, int]]:
    """The (start, stop) step ranges a shared secret scan is split into: one for a small app
    (the first process to claim it scans it), at most MAX_SCAN_PARTS for a large one."""
    return _parts(steps, SCAN_PART_STEPS, MAX_SCAN_PARTS)


def _parts(items: int, per_part: int, most: int) -> list[tuple[int, int]]:
    count = max(1, min(most, -(-items // per_part)))
    bounds = [items * i // count for i in range(count + 1)]
    return list(pairwise(bounds))


POLL_FIRST = 0.01  # s between a waiting process's first looks at the run folder
POLL_MOST = 0.25  # s between an xdist controller's looks once it has waited a while
POLL_MOST_PART = 0.05  # ... a worker's, waiting for a part another worker is working


class _Pause:
    """Sleep between looks at the run folder for what another process writes: 10 ms at first,
    each pause half as long again up to ``most``. An xdist controller waits for the workers'
    whole load (minutes at 20,000 workflows on a busy machine); looking every 10 ms (a listing
    of the folder each time) took it about 10 CPU seconds on two cores the workers needed."""

    def __init__(self, most: float) -> None:
        self.seconds, self.most = POLL_FIRST, most
        self.looks = 0  # how many times it paused (for tests)

    def __call__(self) -> None:
        time.sleep(self.seconds)
        self.looks += 1
        self.seconds = min(self.most, self.seconds * 1.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunFolder:
    """A private folder (0700, files 0600, written and read only by this run's processes)
    through which xdist workers get their apps: pickles of the apps the controller loaded
    (fetched live, replayed), and the parts of shared secret scans and step descriptions of
    apps read from files.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # app id → (its steps, their descriptions) described while loading, for shared_flows
        self._described: dict[str, tuple[Sequence[Step], tuple[StepFlow, ...]]] = {}

    @classmethod
    def create(cls) -> RunFolder:
        return cls(Path(tempfile.mkdtemp(prefix="pytest-nocode-")))

    @staticmethod
    def shared(spec: AppSpec) -> bool:
        """Is ``spec`` read by each process itself (files), rather than handed over pickled
        (a live app, whose server is asked once per run)?"""
        return spec.transport in ("file", "demo")

    def _file(self, app_id: str) -> Path:
        return self.path / f"{app_id}.pickle"

    def _create(self, path: Path, data: bytes | Callable[[io.BufferedWriter], object]) -> bool:
        """Create ``path`` (0600) holding ``data`` (or what ``data(file)`` writes: a large
        pickle streamed, never held whole), only if nobody has: written aside, then linked in
        place, so a file another process sees is always whole."""
        aside = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                data(fh)
        try:
            os.link(aside, path)
        except FileExistsError:
            return False
        finally:
            aside.unlink()
        return True

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

    def shared_secrets(self, app: App) -> tuple[SecretHit, ...]:
        """``find_secrets(app)``, each part scanned once by whichever process claims it first
        (:meth:`_shared_parts`), every part this process claims by one scanner
        (:func:`~pytest_nocode.secretscan.app_scanner`, built on its first part): the work a
        part needs of the whole app is done once per process, not once per part."""
        from pytest_nocode import secretscan

        scanner: list[StepScanner] = []  # this process's, once it claims a part

        def part(app: App, start: int, stop: int) -> tuple[SecretHit, ...]:
            if not scanner:
                scanner.append(secretscan.app_scanner(app))
            return secretscan.scan_steps(app, start, stop, scanner[0])

        return secretscan.remember_secrets(app, self._shared_parts(app, "secrets", part))

    def shared_flows(self, app: App) -> tuple[StepFlow, ...]:
        """How data passes each of ``app``'s steps (:func:`~pytest_nocode.dataflow.
        describe_steps`), each part described once by whichever process builds the app's data
        flow first: every xdist worker with a data-flow check builds it, and describing the
        steps is most of that build (at 20,000 workflows 14 of 16 CPU seconds, against
        about 1 to load a part another process wrote)."""
        from pytest_nocode.dataflow import describe_steps

        steps, flows = self._described.pop(app.id, ((), ()))
        if len(steps) == len(app.steps) and all(map(operator.is_, steps, app.steps)):
            return flows  # described while loading (shared_describing)
        return self._shared_parts(app, "flows", describe_steps)

    def shared_walk(self, app: App, build: Callable[[], DataFlow]) -> DataFlow:
        """``app``'s data flow (:func:`~pytest_nocode.dataflow.dataflow`), walked once in the
        run: the first process to ask claims the walk, builds it and writes what it found
        (:meth:`DataFlow.walked`); another that asks later waits for it and restores it
        (:meth:`DataFlow.restored`), which is about a tenth of the walk (at 20,000 workflows
        9-10 CPU s in each worker before). The worker that hashed the snapshot first
        (:meth:`share_hash`) is the later one, so the two works overlap. The state is only
        taken when its step ids are this process's (the files' stamps are the controller's
        to compare at the end, :meth:`settle`); one whose claimer died, or failed to walk
        or write it, is walked here."""
        from pytest_nocode.dataflow import DataFlow

        name = f"{app.id}.walk"
        if self._create(self.path / f"{name}.claim", str(os.getpid()).encode()):
            expected = _ids_digest(app.steps, 0, len(app.steps))
            walked: dict[str, Any] | None = None
            try:
                flow = build()
                walked = flow.walked()
            finally:  # a failure is written too: whoever waits walks itself (30 MB at
                # 20,000 workflows, streamed to the file: the walker's memory is at its peak)
                self._create(self.path / name, lambda fh: _ModelPickler(
                    fh, protocol=pickle.HIGHEST_PROTOCOL).dump((expected, walked)))
            return flow
        state = self._worked_part(name, 0, len(app.steps),
                                  lambda start, stop: _ids_digest(app.steps, start, stop),
                                  lambda start, stop: None)
        return build() if state is None else DataFlow.restored(app, state)

    def shared_describing(self, spec: AppSpec) -> ShareSteps:
        """How the workers describe every step of ``spec`` for the data flow while loading it,
        before its entry points are judged (``normalize_export(…, describe=…)``): in parts
        (:func:`scan_parts`), each described once in the run, as :meth:`shared_flows` does
        when the data flow is built. Judging the entry points described thousands of steps
        in each worker (at 20,000 workflows 22,000 steps, about 4.5 of its 6.6 CPU seconds);
        it now reads the shared descriptions, which the data flow then takes as they are.
        None if describing failed (the adapter then judges as a serial run does)."""
        def share(steps: Sequence[Step], flow_of: Callable[[Step], StepFlow]
                  ) -> tuple[StepFlow, ...] | None:
            def work(start: int, stop: int) -> tuple[StepFlow, ...]:
                kept: dict[StepFlow, StepFlow] = {}  # equal ones as one (describe_steps)
                return tuple(kept.setdefault(flow, flow) for flow in map(flow_of,
                                                                         steps[start:stop]))

            flows: list[StepFlow] = []
            try:
                for part in self._share(f"{spec.id}.described", scan_parts(len(steps)),
                                        lambda start, stop: _ids_digest(steps, start, stop),
                                        work):
                    flows.extend(part)
            except Exception:  # described then as a serial run describes, one by one
                return None  # (a step that cannot be described errors the checks that ask)
            self._described[spec.id] = (steps, tuple(flows))
            return self._described[spec.id][1]
        return share

    def _shared_parts(self, app: App, what: str, work: Callable[[App, int, int], tuple[T, ...]]
                      ) -> tuple[T, ...]:
        """``work(app, 0, len(app.steps))``, as parts (:func:`scan_parts`) each worked once
        (:meth:`_share`); a part is only taken from another process when its steps are this
        process's steps (a digest of their ids)."""
        found: list[T] = []
        for part in self._share(f"{app.id}.{what}", scan_parts(len(app.steps)),
                                lambda start, stop: _ids_digest(app.steps, start, stop),
                                lambda start, stop: work(app, start, stop)):
            found.extend(part)
        return tuple(found)

    def shared_files(self, spec: AppSpec) -> ShareFiles:
        """How the workers split the building of ``spec``'s files into the model
        (``normalize_export(…, share=…)``): each part of the files (:func:`file_parts`) read
        and built once in the run, handed to the others pickled (at 20,000 workflows about a
        fifth of the time building them took: each worker's loading 12.6 -> 9 CPU seconds).
        A part is only taken from another process when its files have the names, sizes and
        times they have here."""
        def share(files: list[Path], build: Callable[[list[Path]], T]) -> list[T]:
            return self._share(f"{spec.id}.files", file_parts(len(files)),
                               lambda start, stop: _stamps_of(files[start:stop]),
                               lambda start, stop: build(files[start:stop]))
        return share

    def _share(self, stem: str, parts: list[tuple[int, int]], digest: Callable[[int, int], Any],
               work: Callable[[int, int], T]) -> list[T]:
        """``work(start, stop)`` of each of ``parts``, each worked once in the run.

        Every process that asks claims the parts nobody has claimed and works them, then reads
        the others' parts. A part is only used when its ``digest`` is this process's; one
        whose claimer died or failed on it, or whose digest differs, is worked here: a process
        never goes without what it did not get."""
        mine: dict[int, T] = {}
        for i, (start, stop) in enumerate(parts):
            if self._create(self.path / f"{stem}.{i}.claim", str(os.getpid()).encode()):
                done: T | None = None
                expected = digest(start, stop)  # before: a file changed meanwhile differs
                try:
                    done = work(start, stop)
                finally:  # a failure is written too: whoever waits works the part itself
                    self._create(self.path / f"{stem}.{i}", _dumps((expected, done)))
                mine[i] = done
        return [mine[i] if i in mine else
                self._worked_part(f"{stem}.{i}", start, stop, digest, work)
                for i, (start, stop) in enumerate(parts)]

    def _worked_part(self, name: str, start: int, stop: int, digest: Callable[[int, int], Any],
                     work: Callable[[int, int], T]) -> T:
        part, claim = self.path / name, self.path / f"{name}.claim"
        pause = _Pause(POLL_MOST_PART)
        while not part.exists():
            claimer = claim.read_text() if claim.exists() else ""
            if not (claimer.isdigit() and _alive(int(claimer))) and not part.exists():
                return work(start, stop)  # its claimer died before writing it
            pause()
        with part.open("rb") as fh:  # streamed: a walked state is 30 MB at 20,000 workflows
            expected, done = pickle.load(fh)  # our own run's private folder, 0600
        if done is None or expected != digest(start, stop):
            return work(start, stop)
        return done  # type: ignore[no-any-return]

    # -- apps read from files: the workers load them, the controller is told ---------------
    def loading(self, spec: AppSpec) -> None:
        """(a worker) Say that this process is loading ``spec``: the controller waits for it."""
        self._create(self.path / f"{spec.id}.loading.{os.getpid()}", b"")

    def tell(self, spec: AppSpec, loaded: LoadedApp | None, error: str = "") -> None:
        """(a worker) What the controller needs of the app this process loaded: the files'
        stamps, the secrets found, the notes, a load error; or the bad input it met."""
        record = None if loaded is None else (replace(loaded, app=None), loaded.facts())
        self._create(self.path / f"{spec.id}.loaded.{os.getpid()}",
                     _dumps((record, error)))

    def told(self, spec: AppSpec, load: Callable[[], LoadedApp]) -> LoadedApp | None:
        """(the controller) ``spec`` as the first worker to load it tells (the model left
        with the workers: :class:`LoadedElsewhere`, which reads it with ``load`` only if asked);
        the bad input a worker met is raised here. None when no worker will tell: none began
        to load it within WAIT_FOR_A_LOADER seconds, or each that began died; the controller
        then loads it itself."""
        since = time.monotonic()
        pause = _Pause(POLL_MOST)
        while True:
            records = self._numbered(f"{spec.id}.loaded")
            if records:
                record, error = pickle.loads(records[0].read_bytes())  # our private folder
                if error:
                    raise InputError(error)
                loaded, facts = record
                return LoadedElsewhere(loaded, facts, load)
            loaders = [int(path.name.rsplit(".", 1)[1])
                       for path in self._numbered(f"{spec.id}.loading")]
            if any(_alive(pid) for pid in loaders):
                since = time.monotonic()
            elif loaders or time.monotonic() - since > WAIT_FOR_A_LOADER:
                return None
            pause()

    def settle(self, loaded: LoadedElsewhere) -> None:
        """(the controller, once the checks are done) Fail closed unless every worker read the
        files the record says; then take the snapshot hash a worker computed (else it is
        computed here, from the model read again, when the reports ask)."""
        for path in self._numbered(f"{loaded.spec.id}.loaded"):
            record, error = pickle.loads(path.read_bytes())  # our own run's private folder
            if error or record[0].stamps != loaded.stamps:
                raise InputError(f"{loaded.spec.location}: the export changed on disk during "
                                 "the run (the xdist workers read different files): run again")
        hashed = self.path / f"{loaded.spec.id}.sha256"
        if hashed.exists():
            stamps, digest = pickle.loads(hashed.read_bytes())
            if stamps == loaded.stamps:
                loaded.__dict__["sha256"] = digest  # LoadedApp.sha256's cache

    def share_hash(self, loaded: LoadedApp) -> None:
        """(a worker, before its checks) The snapshot hash of an app read from files, computed
        by the first worker to claim it: xdist gives the other worker more checks meanwhile,
        and only the controller's reports need it."""
        if loaded.model_here() is None or not self.shared(loaded.spec):
            return
        if self._create(self.path / f"{loaded.spec.id}.sha256.claim", str(os.getpid()).encode()):
            self._create(self.path / f"{loaded.spec.id}.sha256",
                         pickle.dumps((loaded.stamps, loaded.sha256)))

    def _numbered(self, stem: str) -> list[Path]:
        """The whole files ``STEM.PID`` in the folder (not the ones still being written)."""
        return sorted(path for path in self.path.glob(f"{glob.escape(stem)}.*")
                      if path.name[len(stem) + 1:].isdigit())

    def remove(self) -> None:
        """Remove the folder; a run stopped by a usage error may have workers still writing
        scan parts into it meanwhile, which must not turn into a traceback at exit."""
        shutil.rmtree(self.path, ignore_errors=True)


def _ids_digest(steps: Sequence[Step], start: int, stop: int) -> str:
    import hashlib

    ids = "\0".join(step.id for step in steps[start:stop])
    return hashlib.sha256(ids.encode("utf-8", "surrogatepass")).hexdigest()


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
