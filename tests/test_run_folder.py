"""The run folder's shared work: the processes of an xdist run split an app's secret scan, and
the description of its steps for the data flow, into parts, work each once, and each ends with
exactly what doing it whole finds."""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

import pytest_nocode.secretscan as secretscan
from pytest_nocode import dataflow, loading
from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import InputError
from pytest_nocode.loading import RunFolder, load_app, scan_parts
from pytest_nocode.model import App
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.secretscan import find_secrets
from pytest_nocode.transport import RecordingOptions

DEMO_N8N = Path(loading.__file__).parent / "demo" / "n8n"
REGISTRY = PlatformRegistry(builtin_platforms())


def load(folder: Path) -> App:
    """A fresh App of the n8n export in ``folder``, as one process of the run loads it."""
    spec = AppSpec(f"n8n+file:{folder}", "n8n", "file", str(folder), "n8n-app")
    loaded = load_app(spec, REGISTRY, RecordingOptions(None, Path("cassettes")),
                      scan=lambda app: ())
    assert loaded.app is not None
    return loaded.app


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "SCAN_PART_STEPS", 3)  # the demo's steps in several parts


@dataclass(frozen=True)
class Shared:
    """One kind of work the run folder shares: the folder's method, the module and name of the
    part function it calls, and the whole result it must equal."""

    method: str
    module: ModuleType
    part: str
    whole: Callable[[App], tuple[object, ...]]

    def __call__(self, folder: RunFolder, app: App) -> tuple[object, ...]:
        return getattr(folder, self.method)(app)  # type: ignore[no-any-return]


SHARED = [Shared("shared_secrets", secretscan, "scan_steps", find_secrets),
          Shared("shared_flows", dataflow, "describe_steps",
                 lambda app: dataflow.describe_steps(app, 0, len(app.steps)))]


@pytest.fixture(params=SHARED, ids=lambda shared: shared.method)
def shared(request: pytest.FixtureRequest) -> Shared:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch, shared: Shared) -> list[tuple[int, int]]:
    """The (start, stop) of every part worked from here on."""
    done: list[tuple[int, int]] = []
    work = getattr(shared.module, shared.part)

    def counted(app: App, start: int, stop: int, *how: object) -> tuple[object, ...]:
        done.append((start, stop))
        return work(app, start, stop, *how)  # type: ignore[no-any-return]

    monkeypatch.setattr(shared.module, shared.part, counted)
    return done


@pytest.mark.parametrize("steps", [0, 1, 5, 4096, 4097, 346_223])
def test_parts_cover_every_step_once_in_order(steps: int) -> None:
    parts = scan_parts(steps)
    assert [i for start, stop in parts for i in range(start, stop)] == list(range(steps))
    assert 1 <= len(parts) <= loading.MAX_SCAN_PARTS
    assert len(parts) == 1 or min(stop - start for start, stop in parts) >= 4096 // 2


def test_two_processes_work_each_part_once_and_both_get_the_whole(
        tmp_path: Path, small_parts: None, shared: Shared, scans: list[tuple[int, int]]
) -> None:
    folder = RunFolder(tmp_path)
    first, second = load(DEMO_N8N), load(DEMO_N8N)
    whole = shared.whole(load(DEMO_N8N))
    assert whole and len(scan_parts(len(first.steps))) > 3
    scans.clear()
    assert shared(folder, first) == whole
    worked_by_first = list(scans)
    assert shared(folder, second) == whole  # read from the first's parts
    assert scans == worked_by_first == scan_parts(len(first.steps))


def test_the_shared_scan_is_the_one_sec001_asks_for(tmp_path: Path, small_parts: None) -> None:
    app = load(DEMO_N8N)
    assert RunFolder(tmp_path).shared_secrets(app) == find_secrets(app)
    assert find_secrets(app) == find_secrets(load(DEMO_N8N))


def test_a_process_works_what_its_parts_need_of_the_whole_app_once(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part of the secret scan needs the whole app's credential sinks (a walk over every
    step's params): a process works them once for all the parts it scans, not once per part,
    and one that scans no part (it reads them all) never works them."""
    from pytest_nocode.secretscan import scanner

    walked: list[str] = []
    sinks = scanner.credential_sinks

    def counted(app: App) -> object:
        walked.append(app.id)
        return sinks(app)

    monkeypatch.setattr(scanner, "credential_sinks", counted)
    folder = RunFolder(tmp_path)
    first, second = load(DEMO_N8N), load(DEMO_N8N)
    whole = find_secrets(load(DEMO_N8N))
    assert whole and len(scan_parts(len(first.steps))) > 3
    walked.clear()
    assert folder.shared_secrets(first) == whole  # every part scanned here
    assert walked == [first.id]
    assert folder.shared_secrets(second) == whole  # every part read from the first's
    assert walked == [first.id]


def test_the_data_flow_is_built_from_the_shared_descriptions(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's data flow takes the steps' descriptions from the run folder (described by
    another process; none here) and answers as a data flow described here does."""
    folder = RunFolder(tmp_path)
    folder.shared_flows(load(DEMO_N8N))  # the other worker, first
    app, here = load(DEMO_N8N), load(DEMO_N8N)
    dataflow.describe_with(app, folder.shared_flows)
    monkeypatch.setattr(dataflow, "describe_steps", lambda *_: pytest.fail("described again"))
    shared_flow = dataflow.DataFlow(app)
    monkeypatch.undo()
    local = dataflow.DataFlow(here)
    assert shared_flow._flows == local._flows
    sinks = [(s.step.id, s.sink, s.origins) for s in shared_flow.sinks()]
    assert sinks and sinks == [(s.step.id, s.sink, s.origins) for s in local.sinks()]


def _load_describing(folder: RunFolder, export: Path = DEMO_N8N) -> App:
    """The app as an xdist worker of a run with every check loads it: steps described while
    loading, in parts shared through ``folder``."""
    spec = AppSpec(f"n8n+file:{export}", "n8n", "file", str(export), "n8n-app")
    loaded = load_app(spec, REGISTRY, RecordingOptions(None, Path("cassettes")),
                      scan=lambda app: (), share=folder.shared_files(spec),
                      describe=folder.shared_describing(spec))
    assert loaded.app is not None
    return loaded.app


def test_steps_described_while_loading_are_described_once_and_judge_the_entry_points(
        tmp_path: Path, small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers describe every step once between them while loading (judging the entry
    points describes nothing more), judge every entry point as a serial load does, and each
    builds its data flow from those descriptions without describing again."""
    from pytest_nocode.platforms.n8n_flow import N8nFlows

    serial = load(DEMO_N8N)
    serial_flows = dataflow.describe_steps(serial, 0, len(serial.steps))
    described: list[str] = []
    describe = N8nFlows.describe

    def counted(self: N8nFlows, step: object) -> object:
        described.append(step.id)  # type: ignore[attr-defined]
        return describe(self, step)  # type: ignore[arg-type]

    monkeypatch.setattr(N8nFlows, "describe", counted)
    first_folder, second_folder = RunFolder(tmp_path), RunFolder(tmp_path)  # two processes
    first = _load_describing(first_folder)
    assert len(described) == len(first.steps) > 3 * loading.SCAN_PART_STEPS
    second = _load_describing(second_folder)
    assert len(described) == len(first.steps)  # every part read from the first's
    verdicts = [(ep.step_id, ep.effect, ep.effect_reason) for ep in serial.entry_points]
    assert any(effect for _, effect, _ in verdicts)
    for app in (first, second):
        assert [(ep.step_id, ep.effect, ep.effect_reason) for ep in app.entry_points] \
            == verdicts
    for folder, app in ((first_folder, first), (second_folder, second)):
        dataflow.describe_with(app, folder.shared_flows)
        assert dataflow.DataFlow(app)._flows == dict(zip((s.id for s in serial.steps),
                                                         serial_flows, strict=True))
    assert len(described) == len(first.steps)  # nor when the data flows were built
    assert not list(tmp_path.glob("*.flows.*"))  # nothing shared a second time


def test_a_worker_whose_describing_failed_judges_as_a_serial_load_does(
        tmp_path: Path, small_parts: None) -> None:
    """Describing while loading is only a way to share work: when it fails, the worker
    judges the entry points describing each step it needs itself, as a serial run does."""
    folder = RunFolder(tmp_path)
    spec = AppSpec(f"n8n+file:{DEMO_N8N}", "n8n", "file", str(DEMO_N8N), "n8n-app")
    app = load(DEMO_N8N)
    assert folder.shared_describing(spec)(app.steps, lambda step: 1 / 0) is None
    loaded = load_app(spec, REGISTRY, RecordingOptions(None, Path("cassettes")),
                      scan=lambda app: (), describe=lambda steps, flow_of: None)
    assert loaded.app is not None
    assert [(ep.step_id, ep.effect, ep.effect_reason) for ep in loaded.app.entry_points] \
        == [(ep.step_id, ep.effect, ep.effect_reason) for ep in app.entry_points]


def test_a_part_whose_claimer_died_is_worked_by_the_process_that_waits(
        tmp_path: Path, small_parts: None, shared: Shared, scans: list[tuple[int, int]]
) -> None:
    app = load(DEMO_N8N)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parts = scan_parts(len(app.steps))
    stem = shared.method.removeprefix("shared_")
    for i in range(len(parts)):  # claimed by a process that is gone, never written
        (tmp_path / f"{app.id}.{stem}.{i}.claim").write_text(str(dead.pid))
    whole = shared.whole(load(DEMO_N8N))
    scans.clear()
    assert shared(RunFolder(tmp_path), app) == whole
    assert scans == parts


def test_a_part_its_claimer_failed_on_is_worked_by_the_process_that_waits(
        tmp_path: Path, small_parts: None, shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claimer's error is its own (its check errors); whoever waits for that part does
    not wait for ever, nor go without it."""
    folder = RunFolder(tmp_path)
    work = getattr(shared.module, shared.part)
    monkeypatch.setattr(shared.module, shared.part, lambda *_: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        shared(folder, load(DEMO_N8N))
    assert len(list(tmp_path.glob("*.claim"))) == 1  # it stopped at its first part
    monkeypatch.setattr(shared.module, shared.part, work)
    assert shared(folder, load(DEMO_N8N)) == shared.whole(load(DEMO_N8N))


def test_parts_of_other_steps_are_worked_again_not_used(
        tmp_path: Path, small_parts: None, shared: Shared, scans: list[tuple[int, int]]
) -> None:
    """Processes that normalized the same files differently (never expected) do not share:
    a part is used only when its steps are this process's steps."""
    fewer = tmp_path / "fewer"
    shutil.copytree(DEMO_N8N, fewer)
    sorted(fewer.glob("*.json"))[0].unlink()
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    full = load(DEMO_N8N)
    shared(folder, full)
    other = load(fewer)
    assert len(other.steps) < len(full.steps)
    whole = shared.whole(load(fewer))
    scans.clear()
    assert shared(folder, other) == whole
    assert scans  # worked here, not taken from the full app's parts


def test_the_folder_is_removed_with_every_part(tmp_path: Path, small_parts: None) -> None:
    folder = RunFolder.create()
    folder.shared_secrets(load(DEMO_N8N))
    assert any(folder.path.iterdir())
    folder.remove()
    assert not folder.path.exists()


# -- apps read from files: the workers load them and tell the controller ----------------------
def _spec(folder: Path) -> AppSpec:
    return AppSpec(f"n8n+file:{folder}", "n8n", "file", str(folder), "n8n-app")


def _load_whole(folder: Path) -> loading.LoadedApp:
    """The app as a process loads it alone (its own secret scan): the controller's fallback."""
    return load_app(_spec(folder), REGISTRY, RecordingOptions(None, Path("cassettes")))


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_the_controller_is_told_what_its_reports_need_without_the_model(tmp_path: Path) -> None:
    """A worker's record carries the secrets, the files read, the name and notes; the model
    stays with the workers until something on the controller asks for it, and then it is the
    one the files give."""
    folder = RunFolder(tmp_path)
    worker = _load_whole(DEMO_N8N)
    folder.loading(worker.spec)
    folder.tell(worker.spec, worker)
    told = folder.told(worker.spec, lambda: pytest.fail("loaded by the controller"))
    assert isinstance(told, loading.LoadedElsewhere)
    assert told.secret_values == worker.secret_values and told.secret_values
    assert told.stamps == worker.stamps and told.stamps
    assert (told.name, told.notes, told.error) == (worker.name, worker.notes, None)
    assert told.model_here() is None
    told = folder.told(worker.spec, lambda: _load_whole(DEMO_N8N))
    assert told.app is not None and told.app.sha256() == worker.sha256  # read when asked


def _told_then_changed(tmp_path: Path) -> tuple[Path, RunFolder, loading.LoadedApp]:
    """A worker loads a copy of the demo export and tells the run folder; then a file of the
    export changes on disk."""
    export = tmp_path / "export"
    shutil.copytree(DEMO_N8N, export)
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    worker = _load_whole(export)
    folder.tell(worker.spec, worker)
    first = sorted(export.glob("*.json"))[0]
    first.write_text(first.read_text() + "\n")
    return export, folder, worker


def test_a_model_asked_for_after_the_files_changed_is_not_loaded(tmp_path: Path) -> None:
    export, folder, worker = _told_then_changed(tmp_path)
    told = folder.told(worker.spec, lambda: _load_whole(export))
    assert told is not None and told.app is None
    assert "changed on disk during the run" in (told.error or "")


def test_bad_input_a_worker_met_stops_the_controller_with_its_message(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    spec = _spec(DEMO_N8N)
    folder.tell(spec, None, "wf.json: $.nodes: expected array, got str")
    with pytest.raises(InputError, match=r"wf\.json: \$\.nodes: expected array"):
        folder.told(spec, lambda: pytest.fail("loaded by the controller"))


def test_the_controller_loads_itself_when_every_worker_loading_died(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = RunFolder(tmp_path)
    spec = _spec(DEMO_N8N)
    claim = tmp_path / f"{spec.id}.loading.{_dead_pid()}"
    claim.write_bytes(b"")
    assert folder.told(spec, lambda: pytest.fail("not called here")) is None
    claim.unlink()
    monkeypatch.setattr(loading, "WAIT_FOR_A_LOADER", 0.05)  # and when no worker ever began
    assert folder.told(spec, lambda: pytest.fail("not called here")) is None


def test_the_controller_waiting_for_a_slow_load_looks_at_the_folder_less_and_less(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load that takes minutes is waited for with longer and longer pauses (at most
    POLL_MOST), not a listing of the folder every 10 ms; the record is still taken once
    written."""
    folder = RunFolder(tmp_path)
    worker = _load_whole(DEMO_N8N)
    folder.loading(worker.spec)  # this process, alive, is "the worker loading"
    looks: list[float] = []
    numbered = RunFolder._numbered

    def counted(self: RunFolder, stem: str) -> list[Path]:
        if stem.endswith(".loaded"):
            looks.append(time.monotonic())
            if looks[-1] - looks[0] > 1.5:  # the worker is done after 1.5 s
                folder.tell(worker.spec, worker)
        return numbered(self, stem)

    monkeypatch.setattr(RunFolder, "_numbered", counted)
    told = folder.told(worker.spec, lambda: pytest.fail("loaded by the controller"))
    assert isinstance(told, loading.LoadedElsewhere) and told.stamps == worker.stamps
    assert len(looks) < 25  # every 10 ms: about 150
    assert max(b - a for a, b in itertools.pairwise(looks)) <= loading.POLL_MOST + 0.1


def test_the_snapshot_hash_is_computed_once_by_the_first_worker_to_claim_it(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    first, second = _load_whole(DEMO_N8N), _load_whole(DEMO_N8N)
    for worker in (first, second):
        folder.tell(worker.spec, worker)
    folder.share_hash(first)
    folder.share_hash(second)
    assert "sha256" in first.__dict__ and "sha256" not in second.__dict__  # hashed once
    told = folder.told(first.spec, lambda: pytest.fail("loaded by the controller"))
    assert isinstance(told, loading.LoadedElsewhere)
    folder.settle(told)
    assert told.sha256 == first.sha256 and told.model_here() is None


def test_workers_that_read_different_files_fail_the_run(tmp_path: Path) -> None:
    """Fail closed: the checks of one worker ran on other data than the other's."""
    export, folder, before = _told_then_changed(tmp_path)
    after = _load_whole(export)
    (folder.path / f"{after.spec.id}.loaded.{_dead_pid()}").write_bytes(
        pickle.dumps(((dataclasses.replace(after, app=None), after.facts()), "")))
    told = folder.told(before.spec, lambda: pytest.fail("loaded by the controller"))
    assert isinstance(told, loading.LoadedElsewhere)
    with pytest.raises(InputError, match="changed on disk during the run"):
        folder.settle(told)


def test_the_model_pickles_by_its_fields_and_back_the_same() -> None:
    """What the run folder hands between processes (steps, their descriptions) unpickles to
    equal objects, read-only mappings read-only again."""
    app = load(DEMO_N8N)
    flows = dataflow.describe_steps(app, 0, len(app.steps))
    for value in (app.steps, app.workflows, app.entry_points, app.destinations, app.stores,
                  flows):
        assert value and pickle.loads(loading._dumps(value)) == value
    again = pickle.loads(loading._dumps(app.steps))
    assert any(step.params for step in again)
    assert all(type(step.params) is type(app.steps[0].params) for step in again)


# -- the data-flow walk, once in the run -----------------------------------------------------
def _answers(flow: dataflow.DataFlow) -> list[object]:
    """What the checks ask of a data flow: every sink's origins, every step's input, the
    origins a store read or the trust of each entry gives."""
    app = flow.app
    return [[(s.step.id, s.sink, s.origins) for s in flow.sinks()],
            [(step.id, flow.input_of(step.id)) for step in app.steps],
            [(step.id, flow.context_origins(step.id)) for step in app.steps],
            sorted(flow.internal_stores())]


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The app id of every data-flow walk from here on."""
    done: list[str] = []
    init = dataflow.DataFlow.__init__

    def counted(self: dataflow.DataFlow, app: App) -> None:
        done.append(app.id)
        init(self, app)

    monkeypatch.setattr(dataflow.DataFlow, "__init__", counted)
    return done


@pytest.mark.parametrize("export", [DEMO_N8N], ids=["n8n-demo"])
def test_the_data_flow_is_walked_once_and_the_other_process_answers_the_same(
        tmp_path: Path, walks: list[str], export: Path) -> None:
    folder = RunFolder(tmp_path)
    first, second, here = load(export), load(export), load(export)
    walked = folder.shared_walk(first, lambda: dataflow.DataFlow(first))
    assert walks == [first.id]
    restored = folder.shared_walk(second, lambda: dataflow.DataFlow(second))
    assert walks == [first.id]  # taken from the first's walk, not walked again
    assert restored.app is second and restored._flows.keys() == walked._flows.keys()
    local = _answers(dataflow.DataFlow(here))
    assert local[0] and _answers(restored) == local == _answers(walked)


def test_a_nodered_data_flow_with_subflows_restores_the_same(
        tmp_path: Path, walks: list[str]) -> None:
    """A Node-RED app whose subflow instances each run the subflow's nodes (the call graph's
    own nodes: rebuilt from the model, not shared) answers as its own walk does."""
    flows = Path(loading.__file__).parent / "demo" / "nodered" / "flows.json"
    spec = AppSpec(f"nodered+file:{flows}", "nodered", "file", str(flows), "nr-app")

    def fresh() -> App:
        loaded = load_app(spec, REGISTRY, RecordingOptions(None, Path("cassettes")),
                          scan=lambda app: ())
        assert loaded.app is not None
        return loaded.app

    folder = RunFolder(tmp_path)
    first, second = fresh(), fresh()
    folder.shared_walk(first, lambda: dataflow.DataFlow(first))
    restored = folder.shared_walk(second, lambda: dataflow.DataFlow(second))
    assert walks == [first.id]
    assert _answers(restored) == _answers(dataflow.DataFlow(fresh()))


def test_dataflow_asks_the_walker_given_for_the_app(tmp_path: Path, walks: list[str]) -> None:
    folder = RunFolder(tmp_path)
    first, second = load(DEMO_N8N), load(DEMO_N8N)
    for app in (first, second):
        dataflow.walk_with(app, folder.shared_walk)
    try:
        assert dataflow.dataflow(first) is dataflow.dataflow(first)
        assert dataflow.dataflow(second).app is second
        assert walks == [first.id]
    finally:
        dataflow.forget_all()


def test_a_walk_whose_claimer_died_or_failed_is_walked_by_the_process_that_waits(
        tmp_path: Path, walks: list[str]) -> None:
    app = load(DEMO_N8N)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"{app.id}.walk.claim").write_text(str(dead.pid))  # never written
    flow = RunFolder(tmp_path).shared_walk(app, lambda: dataflow.DataFlow(app))
    assert walks == [app.id] and flow.app is app

    failing = RunFolder(tmp_path / "failed")
    failing.path.mkdir()
    with pytest.raises(ZeroDivisionError):  # the claimer's error is its own
        failing.shared_walk(app, lambda: 1 / 0)  # type: ignore[arg-type, return-value]
    other = load(DEMO_N8N)
    walks.clear()
    assert failing.shared_walk(other, lambda: dataflow.DataFlow(other)).app is other
    assert walks == [other.id]  # it did not wait for ever, nor go without


def test_a_walk_of_other_steps_is_walked_again_not_used(tmp_path: Path, walks: list[str]
                                                        ) -> None:
    fewer = tmp_path / "fewer"
    shutil.copytree(DEMO_N8N, fewer)
    sorted(fewer.glob("*.json"))[0].unlink()
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    full = load(DEMO_N8N)
    folder.shared_walk(full, lambda: dataflow.DataFlow(full))
    other = load(fewer)
    walks.clear()
    flow = folder.shared_walk(other, lambda: dataflow.DataFlow(other))
    assert walks == [other.id]
    assert _answers(flow) == _answers(dataflow.DataFlow(load(fewer)))


def test_only_the_state_right_after_the_walk_is_shared() -> None:
    app = load(DEMO_N8N)
    flow = dataflow.DataFlow(app)
    walked = flow.walked()
    assert "app" not in walked and "_flows" not in walked and "_graph" not in walked
    flow.input_of(app.steps[0].id)
    with pytest.raises(ValueError, match="asked already"):
        flow.walked()
