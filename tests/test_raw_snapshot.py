"""The raw snapshot after loading: an export read from files is let go once normalized and
read again when a check asks for it (``nocode_snapshot``), also in an xdist worker; live data,
which cannot be read again, is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_nocode.appspec import AppSpec, parse_app_uri
from pytest_nocode.errors import InputError
from pytest_nocode.loading import RunFolder, finish_loading, load_app
from pytest_nocode.platforms import PlatformRegistry, RawSnapshot
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.transport import RecordingOptions

REGISTRY = PlatformRegistry(builtin_platforms())
FLOWS: list[dict[str, object]] = [
    {"id": "t1", "type": "tab", "label": "Jobs"},
    {"id": "a", "type": "inject", "z": "t1", "name": "tick", "wires": [["b"]]},
    {"id": "b", "type": "debug", "z": "t1", "name": "show", "wires": []},
]


def _spec(path: Path, transport: str = "file") -> AppSpec:
    return parse_app_uri(f"nodered+{transport}:{path}", REGISTRY.names(), path.parent)[0]


def test_a_file_export_is_let_go_after_loading_and_read_again_on_request(
        tmp_path: Path) -> None:
    path = tmp_path / "flows.json"
    path.write_text(json.dumps(FLOWS), encoding="utf-8")
    loaded = load_app(_spec(path), REGISTRY, RecordingOptions(None, tmp_path))
    assert loaded.app is not None and loaded.raw is not None
    assert loaded.raw.data is None  # not held through the run
    snapshot = loaded.snapshot(REGISTRY)
    assert snapshot.data is not None
    assert [n["id"] for n in snapshot.data["flows"]] == ["t1", "a", "b"]
    assert (snapshot.platform, snapshot.source) == ("nodered", "file")
    assert loaded.snapshot(REGISTRY) is snapshot  # read once, then kept


def test_an_export_changed_on_disk_after_loading_is_an_error_not_a_snapshot(
        tmp_path: Path) -> None:
    """The checks ran on the files as they were read: a snapshot read from changed files
    would show an auditor something nobody checked."""
    path = tmp_path / "flows.json"
    path.write_text(json.dumps(FLOWS), encoding="utf-8")
    loaded = load_app(_spec(path), REGISTRY, RecordingOptions(None, tmp_path))
    path.write_text(json.dumps(FLOWS[:2]), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp even on a coarse clock
    with pytest.raises(InputError, match=r"flows\.json: the export changed on disk"):
        loaded.snapshot(REGISTRY)


def test_an_xdist_worker_gets_no_parsed_export_and_still_reads_the_snapshot(
        tmp_path: Path) -> None:
    path = tmp_path / "flows.json"
    path.write_text(json.dumps(FLOWS), encoding="utf-8")
    spec = _spec(path)
    folder = RunFolder.create()
    try:
        folder.write(load_app(spec, REGISTRY, RecordingOptions(None, tmp_path)))
        worker = folder.read(spec)
    finally:
        folder.remove()
    assert worker.raw is not None and worker.raw.data is None
    assert len(worker.snapshot(REGISTRY).data["flows"]) == 3


def test_live_data_is_kept_whole(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "unused.json")
    raw = RawSnapshot("nodered", {"flows": FLOWS}, "live")
    loaded = finish_loading(spec, REGISTRY, raw)
    assert loaded.raw is not None and loaded.raw.data == {"flows": FLOWS}
    assert loaded.snapshot(REGISTRY) is loaded.raw
