"""Property: ``pytest-nocode merge`` on shards whose findings report or SARIF log was mangled
either merges them or refuses with one line naming the shard (or its file) and the JSON path.
Never an internal error. The shards are two demo apps' real outputs, as two CI jobs write
them; one file of one shard is mutated as ``tests/fuzzing.py`` mutates exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO
from tests.fuzzing import (
    REPORT_NAME,
    SARIF_NAME,
    as_shards,
    baseline_of,
    is_clear_merge_error,
    merge_outcome,
    mutate,
    scan,
    shard_folders,
)
from tests.test_fuzz_exports import FUZZ, DrawChooser

APPS = [("nodered", DEMO / "nodered" / "flows.json"),
        ("n8n", sorted((DEMO / "n8n").glob("*.json"))[0])]


def _outputs(platform: str, path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    assert scan(platform, path, baseline_of(platform, path), found).kind == "scanned"
    return found


OUTPUTS = [_outputs(platform, path) for platform, path in APPS]


def test_the_unmutated_shards_merge(tmp_path: Path) -> None:
    folders = shard_folders(tmp_path, as_shards(OUTPUTS))
    assert merge_outcome(tmp_path / "out", folders).kind == "scanned"
    merged = json.loads((tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8"))
    assert [s["shard"] for s in merged["run"]["shards"]] == ["1/2", "2/2"]


@settings(FUZZ, max_examples=FUZZ.max_examples * 2 // 3)
@given(victim=st.integers(0, 1), name=st.sampled_from([REPORT_NAME, SARIF_NAME]),
       data=st.data())
def test_mutated_shards_merge_or_are_refused_clearly(victim: int, name: str,
                                                     data: st.DataObject,
                                                     tmp_path_factory: pytest.TempPathFactory
                                                     ) -> None:
    shards = as_shards(OUTPUTS)
    shards[victim][name], _done = mutate(shards[victim][name], DrawChooser(data))
    root = tmp_path_factory.mktemp("merge")
    folders = shard_folders(root, shards)
    outcome = merge_outcome(root / "out", folders)
    event(outcome.kind)
    assert outcome.kind != "crashed", outcome.detail
    if outcome.kind == "rejected":
        assert is_clear_merge_error(outcome.detail, folders), outcome.detail
