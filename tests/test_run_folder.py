"""The run folder's shared secret scan: the processes of an xdist run split an app's scan into
parts, scan each once, and each ends with exactly the hits a whole scan finds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_nocode.secretscan as secretscan
from pytest_nocode import loading
from pytest_nocode.appspec import AppSpec
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


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The (start, stop) of every part scanned from here on."""
    done: list[tuple[int, int]] = []
    scan_steps = secretscan.scan_steps

    def counted(app: App, start: int, stop: int) -> tuple[secretscan.SecretHit, ...]:
        done.append((start, stop))
        return scan_steps(app, start, stop)

    monkeypatch.setattr(secretscan, "scan_steps", counted)
    return done


@pytest.mark.parametrize("steps", [0, 1, 5, 4096, 4097, 346_223])
def test_parts_cover_every_step_once_in_order(steps: int) -> None:
    parts = scan_parts(steps)
    assert [i for start, stop in parts for i in range(start, stop)] == list(range(steps))
    assert 1 <= len(parts) <= loading.MAX_SCAN_PARTS
    assert len(parts) == 1 or min(stop - start for start, stop in parts) >= 4096 // 2


def test_two_processes_scan_each_part_once_and_both_get_every_hit(
        tmp_path: Path, small_parts: None, scans: list[tuple[int, int]]) -> None:
    folder = RunFolder(tmp_path)
    first, second = load(DEMO_N8N), load(DEMO_N8N)
    whole = find_secrets(load(DEMO_N8N))
    assert whole and len(scan_parts(len(first.steps))) > 3
    assert folder.shared_secrets(first) == whole
    scanned_by_first = list(scans)
    assert folder.shared_secrets(second) == whole  # read from the first's parts
    assert scans == scanned_by_first == scan_parts(len(first.steps))
    assert find_secrets(second) == whole  # SEC001's later ask: the shared result


def test_a_part_whose_scanner_died_is_scanned_by_the_process_that_waits(
        tmp_path: Path, small_parts: None, scans: list[tuple[int, int]]) -> None:
    app = load(DEMO_N8N)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parts = scan_parts(len(app.steps))
    for i in range(len(parts)):  # claimed by a process that is gone, never written
        (tmp_path / f"{app.id}.secrets.{i}.claim").write_text(str(dead.pid))
    assert RunFolder(tmp_path).shared_secrets(app) == find_secrets(load(DEMO_N8N))
    assert scans == parts


def test_parts_of_other_steps_are_scanned_again_not_used(
        tmp_path: Path, small_parts: None, scans: list[tuple[int, int]]) -> None:
    """Processes that normalized the same files differently (never expected) do not share:
    a part is used only when its steps are this process's steps."""
    fewer = tmp_path / "fewer"
    shutil.copytree(DEMO_N8N, fewer)
    sorted(fewer.glob("*.json"))[0].unlink()
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    full = load(DEMO_N8N)
    folder.shared_secrets(full)
    other = load(fewer)
    assert len(other.steps) < len(full.steps)
    scans.clear()
    assert folder.shared_secrets(other) == find_secrets(load(fewer))
    assert scans  # rescanned here, not taken from the full app's parts


def test_the_folder_is_removed_with_every_part(tmp_path: Path, small_parts: None) -> None:
    folder = RunFolder.create()
    folder.shared_secrets(load(DEMO_N8N))
    assert any(folder.path.iterdir())
    folder.remove()
    assert not folder.path.exists()
