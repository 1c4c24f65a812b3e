"""n8n folders as backup tools write them: workflows in sub-folders, other JSON beside them.

The workflows are scanned; every other JSON file is listed with the reason in the terminal
summary and in the findings JSON (``apps[].skipped_files``); a file that looks like a
workflow but is malformed still stops the run with one line naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.platforms import RawSnapshot, SkippedFile, read_export
from pytest_nocode.platforms.n8n import N8nPlatform
from tests.conftest import run_json

ADAPTER = N8nPlatform()


def workflow(wid: str, name: str) -> dict[str, Any]:
    """A small workflow: an open webhook that runs a shell command built from its body."""
    return {"id": wid, "name": name, "active": True, "connections": {
        "Hook": {"main": [[{"node": "Run", "type": "main", "index": 0}]]}}, "nodes": [
        {"id": f"{wid}-hook", "name": "Hook", "type": "n8n-nodes-base.webhook",
         "parameters": {"path": f"{wid}/in", "httpMethod": "POST"}},
        {"id": f"{wid}-run", "name": "Run", "type": "n8n-nodes-base.executeCommand",
         "parameters": {"command": "=echo {{ $json.body.text }}"}}]}


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def backup_folder(root: Path) -> Path:
    """One folder per workflow with a metadata file beside it, a manifest, a credentials
    export, and a hidden folder the tool keeps its state in."""
    folder = root / "backup"
    for wid, name in (("wfA", "Orders"), ("wfB", "Billing")):
        write(folder / name / "workflow.json", workflow(wid, name))
        write(folder / name / "metadata.json", {"id": wid, "name": name, "active": True,
                                                "updatedAt": "2026-01-02T03:04:05Z"})
    write(folder / "manifest.json", [{"file": "Orders/workflow.json"}])
    write(folder / "credentials.json", [{"id": "c1", "name": "Slack", "type": "slackApi",
                                         "data": "U2FsdGVkX1+c2VhbGVk"}])
    write(folder / ".backup-tool" / "state.json", {"last": "2026-01-02"})
    return folder


def test_workflows_in_sub_folders_are_read_and_other_json_is_skipped(tmp_path: Path) -> None:
    export = read_export(ADAPTER, backup_folder(tmp_path))
    assert [wf["name"] for wf in export.data["workflows"]] == ["Billing", "Orders"]
    assert export.skipped == (
        SkippedFile("Billing/metadata.json",
                    'an object without "nodes" and "connections" '
                    "(keys: active, id, name, updatedAt)"),
        SkippedFile("Orders/metadata.json",
                    'an object without "nodes" and "connections" '
                    "(keys: active, id, name, updatedAt)"),
        SkippedFile("credentials.json", "an n8n credentials export, not a workflow"),
        SkippedFile("manifest.json", "a list of 1 item(s), none a workflow"),
    )  # .backup-tool/ is hidden: not read at all


def test_a_flat_separate_export_skips_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "separate"
    write(folder / "wfA.json", workflow("wfA", "Orders"))
    write(folder / "wfB.json", workflow("wfB", "Billing"))
    export = read_export(ADAPTER, folder)
    assert len(export.data["workflows"]) == 2
    assert export.skipped == ()
    assert ADAPTER.load_file(folder) == export.data  # load_file keeps its old answer


@pytest.mark.parametrize(("content", "where"), [
    ({"nodes": {"Hook": {}}, "connections": {}}, "$.nodes: expected a list of nodes"),
    ({"nodes": [], "connections": {}, "active": "true"}, "$.active: expected true or false"),
    ([workflow("wfC", "C"), {"nodes": [{"name": "x"}], "connections": {}}],
     "$[1].nodes[0].type: expected the node type"),
])
def test_a_file_that_looks_like_a_workflow_but_is_malformed_is_an_error(
        tmp_path: Path, content: Any, where: str) -> None:
    folder = backup_folder(tmp_path)
    bad = write(folder / "Broken" / "workflow.json", content)
    with pytest.raises(SchemaError) as info:
        ADAPTER.load_file(folder)
    assert str(info.value).startswith(f"{bad}: {where}")


def test_metadata_that_counts_nodes_is_not_taken_for_a_workflow(tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    write(folder / "Orders" / "workflow.json", workflow("wfA", "Orders"))
    write(folder / "Orders" / "metadata.json", {"id": "wfA", "nodes": 2, "connections": 1})
    write(folder / "Billing" / "metadata.json", {"id": "wfB", "nodes": 2})
    with pytest.raises(SchemaError, match=r"Orders/metadata\.json: \$\.nodes: expected a list"):
        ADAPTER.load_file(folder)  # both keys: it claims to be a workflow
    write(folder / "Orders" / "metadata.json", {"id": "wfA", "nodes": 2})
    export = read_export(ADAPTER, folder)
    assert [f.path for f in export.skipped] == ["Billing/metadata.json",
                                                 "Orders/metadata.json"]


def test_a_folder_without_any_workflow_is_an_error_not_an_empty_pass(tmp_path: Path) -> None:
    folder = tmp_path / "only-metadata"
    write(folder / "a" / "metadata.json", {"id": "a", "name": "A"})
    write(folder / "package.json", {"name": "my-flows", "version": "1.0.0"})
    with pytest.raises(InputError, match=r"none of its 2 JSON file\(s\) is a workflow export "
                                         r"\(e\.g\. a/metadata\.json: an object without"):
        ADAPTER.load_file(folder)


def test_skipped_files_survive_the_trip_to_xdist_workers() -> None:
    raw = RawSnapshot("n8n", {"workflows": []}, "file",
                      skipped_files=(SkippedFile("a/metadata.json", "why"),))
    assert RawSnapshot.from_json(json.loads(json.dumps(raw.to_json()))) == raw


# -- what the user sees -------------------------------------------------------------------------
def test_terminal_and_findings_json_list_each_skipped_file(pytester: pytest.Pytester) -> None:
    folder = backup_folder(pytester.path)
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the workflows were scanned: findings
    (app,) = report["apps"]
    assert app["skipped_files"] == [
        {"path": "Billing/metadata.json", "reason": 'an object without "nodes" and '
                                                    '"connections" (keys: active, id, name, '
                                                    "updatedAt)"},
        {"path": "Orders/metadata.json", "reason": 'an object without "nodes" and '
                                                   '"connections" (keys: active, id, name, '
                                                   "updatedAt)"},
        {"path": "credentials.json", "reason": "an n8n credentials export, not a workflow"},
        {"path": "manifest.json", "reason": "a list of 1 item(s), none a workflow"},
    ]
    assert {f["resource"]["path"] for f in report["findings"] if f["rule"] == "INJ001"} == {
        "workflows/wfA/wfA-run", "workflows/wfB/wfB-run"}
    result.stdout.fnmatch_lines([
        "app n8n-backup (n8n, file, snapshot *)",
        "  skipped 4 file(s) that are not exports:",
        "    Billing/metadata.json: an object without *",
        "    Orders/metadata.json: an object without *",
        "    credentials.json: an n8n credentials export, not a workflow",
        "    manifest.json: a list of 1 item(s), none a workflow",
    ])


def test_a_long_list_of_skipped_files_is_cut_in_the_terminal_only(
        pytester: pytest.Pytester) -> None:
    folder = pytester.path / "many"
    write(folder / "wf.json", workflow("wfA", "Orders"))
    for n in range(12):
        write(folder / f"meta-{n:02}.json", {"n": n})
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    assert len(report["apps"][0]["skipped_files"]) == 12
    result.stdout.fnmatch_lines(["  skipped 12 file(s) that are not exports:",
                                 "    meta-09.json: *",
                                 "    … and 2 more (all listed in the findings JSON, "
                                 "apps[].skipped_files)"])
    assert "meta-10.json" not in result.stdout.str()


def test_nothing_skipped_adds_no_key_and_no_line(pytester: pytest.Pytester) -> None:
    folder = pytester.path / "separate"
    write(folder / "wfA.json", workflow("wfA", "Orders"))
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{folder}")
    assert "skipped_files" not in report["apps"][0]
    assert "that are not exports" not in result.stdout.str()


def test_a_malformed_workflow_in_a_backup_stops_the_run_with_one_line(
        pytester: pytest.Pytester) -> None:
    folder = backup_folder(pytester.path)
    bad = write(folder / "Broken" / "workflow.json", {"nodes": 3, "connections": {}})
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=n8n+file:{folder}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == [f"ERROR: {bad}: $.nodes: expected a list of nodes"]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
