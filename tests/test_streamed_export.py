"""An n8n export folder is built into the model one file at a time (the loader never holds
every parsed file at once), and the model is the one the whole parsed export gives: the same
workflow and step ids (copies that share an id across files included), roles, wiring,
called workflows and skipped files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode import loading
from pytest_nocode.appspec import AppSpec, parse_app_uri
from pytest_nocode.errors import InputError
from pytest_nocode.loading import RunFolder, load_app
from pytest_nocode.platforms import PlatformRegistry, RawSnapshot, n8n, read_export, read_json_file
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.platforms.n8n import N8nPlatform
from pytest_nocode.transport import RecordingOptions

ADAPTER = N8nPlatform()
REGISTRY = PlatformRegistry(builtin_platforms())


def workflow(wid: str, name: str, path: str) -> dict[str, Any]:
    """An open webhook that calls another workflow by id, then a URL."""
    return {"id": wid, "name": name, "active": True, "connections": {
        "Hook": {"main": [[{"node": "Call", "type": "main", "index": 0}]]},
        "Call": {"main": [[{"node": "Fetch", "type": "main", "index": 0}]]}}, "nodes": [
        {"id": "hook", "name": "Hook", "type": "n8n-nodes-base.webhook",
         "parameters": {"path": path, "httpMethod": "POST"}},
        {"id": "call", "name": "Call", "type": "n8n-nodes-base.executeWorkflow",
         "parameters": {"source": "database", "workflowId": "sub"}},
        {"id": "fetch", "name": "Fetch", "type": "n8n-nodes-base.httpRequest",
         "parameters": {"url": f"http://{name.lower()}.example/{path}"}}]}


def sub_workflow() -> dict[str, Any]:
    return {"id": "sub", "name": "Sub", "connections": {}, "nodes": [
        {"id": "start", "name": "Start", "type": "n8n-nodes-base.executeWorkflowTrigger",
         "parameters": {}}]}


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def spec_of(folder: Path) -> AppSpec:
    return parse_app_uri(f"n8n+file:{folder}", REGISTRY.names(), folder.parent)[0]


def both_ways(folder: Path) -> tuple[Any, Any]:
    """The model built file by file, and the one built from the whole parsed export."""
    spec = spec_of(folder)
    streamed, export = ADAPTER.normalize_export(spec, folder)
    assert export.data is None
    whole = read_export(ADAPTER, folder)
    assert export.skipped == whole.skipped
    return streamed, ADAPTER.normalize(spec, RawSnapshot("n8n", whole.data, "file"))


def same_model(streamed: Any, whole: Any) -> None:
    assert streamed == whole  # every field the model compares
    assert streamed.to_dict() == whole.to_dict()
    assert streamed.sha256() == whole.sha256()
    assert [s.outbound for s in streamed.steps] == [s.outbound for s in whole.steps]
    assert [streamed.flow_of(s) for s in streamed.steps] == [whole.flow_of(s)
                                                             for s in whole.steps]


def test_a_folder_is_built_file_by_file_into_the_model_of_the_whole_export(
        tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder / "a.json", workflow("wA", "Orders", "orders"))
    write(folder / "b.json", [workflow("wB", "Billing", "billing"), sub_workflow()])
    write(folder / "meta" / "notes.json", {"owner": "ops"})
    streamed, whole = both_ways(folder)
    same_model(streamed, whole)
    assert [w.id for w in streamed.workflows] == ["wA", "wB", "sub"]
    # a called workflow in a later file is linked from a caller in an earlier one
    assert "start" in streamed.step("call").outbound


def test_workflow_ids_repeated_across_files_get_the_same_tags_as_from_the_whole_export(
        tmp_path: Path) -> None:
    """A repeat is only seen at its second file: the first copy, built before it, must still
    get its content tag, as it does when every id is known before building."""
    folder = tmp_path / "backup"
    write(folder / "1" / "workflow.json", workflow("w1", "Orders", "orders"))
    write(folder / "2" / "workflow.json", workflow("w2", "Other", "other"))
    write(folder / "3" / "workflow.json", workflow("w1", "Orders copy", "orders-copy"))
    write(folder / "4" / "workflow.json", workflow("w1", "Orders", "orders"))
    streamed, whole = both_ways(folder)
    same_model(streamed, whole)
    ids = [w.id for w in streamed.workflows]
    assert ids[1] == "w2" and all(i.startswith("w1~") for i in (ids[0], ids[2]))
    assert ids[3] == ids[0] + "#2"  # an identical copy: the same tag, then a count
    assert len({s.id for s in streamed.steps}) == len(streamed.steps) == 12


def test_the_loader_builds_a_folder_without_holding_its_parsed_export(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(folder / "a.json", workflow("wA", "Orders", "orders"))
    write(folder / "credentials.json", [{"id": "c", "name": "Slack", "type": "slackApi",
                                         "data": "U2FsdGVkX1+c2VhbGVk"}])
    loaded = load_app(spec_of(folder), REGISTRY, RecordingOptions(None, tmp_path))
    assert loaded.app is not None and loaded.raw is not None
    assert loaded.raw.data is None
    assert [f.path for f in loaded.raw.skipped_files] == ["credentials.json"]
    snapshot = loaded.snapshot(REGISTRY)  # read again when a check asks
    assert [wf["id"] for wf in snapshot.data["workflows"]] == ["wA"]


@pytest.mark.parametrize(("files", "message"), [
    ({}, r"no \*\.json workflow exports in"),
    ({"metadata.json": {"id": "w1", "active": True}},
     r"none of its 1 JSON file\(s\) is a workflow export \(e\.g\. metadata\.json: "),
    ({"a.json": {"nodes": "all of them", "connections": {}}}, r"a\.json: \$\.nodes: "),
])
def test_a_folder_without_a_workflow_or_with_a_malformed_one_is_one_clear_error(
        tmp_path: Path, files: dict[str, Any], message: str) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, data in files.items():
        write(folder / name, data)
    with pytest.raises(InputError, match=message):
        ADAPTER.normalize_export(spec_of(folder), folder)
    with pytest.raises(InputError, match=message):
        read_export(ADAPTER, folder)


def test_a_single_export_file_is_normalized_as_before(tmp_path: Path) -> None:
    path = tmp_path / "all.json"
    write(path, {"workflows": [workflow("wA", "Orders", "orders")],
                 "settings": {"N8N_DIAGNOSTICS_ENABLED": True}})
    spec = parse_app_uri(f"n8n+file:{path}", REGISTRY.names(), tmp_path)[0]
    streamed, export = ADAPTER.normalize_export(spec, path)
    whole = ADAPTER.normalize(spec, RawSnapshot("n8n", ADAPTER.load_file(path), "file"))
    assert export.data is None
    same_model(streamed, whole)
    assert streamed.has("settings")


def test_texts_repeated_across_files_are_kept_once(tmp_path: Path) -> None:
    """Each file is parsed apart, so the same node type, name and parameter texts are new
    objects in every file; the model keeps one of each (it holds them the whole run)."""
    folder = tmp_path / "export"
    write(folder / "a.json", workflow("wA", "Orders", "orders"))
    write(folder / "b.json", workflow("wB", "Orders", "orders"))
    app, _ = ADAPTER.normalize_export(spec_of(folder), folder)
    first, second = app.step("hook"), app.step("hook@wB")
    assert first is not None and second is not None
    assert dict(first.params) == dict(second.params) == {"path": "orders", "httpMethod": "POST"}
    assert first.params["httpMethod"] is second.params["httpMethod"]
    assert first.params["path"] is second.params["path"]
    assert first.type is second.type and first.name is second.name
    assert first.package is second.package == "n8n-nodes-base"


def _options_node(name: str, options: dict[str, Any]) -> dict[str, Any]:
    return {"id": name.lower(), "name": name, "type": "n8n-nodes-base.httpRequest",
            "parameters": {"url": "https://api.example/v1", "options": options}}


def test_equal_parameter_objects_across_files_are_kept_once_and_unequal_ones_apart(
        tmp_path: Path) -> None:
    """Whole option objects repeat across files as much as texts do; equal ones (the same
    keys in the same order, the same JSON values) are one object in the model, any other
    stays its own: key order, and 1 against 1.0 against true, tell them apart."""
    folder = tmp_path / "export"
    shapes = {"Same": {"timeout": 1, "redirect": {"follow": True}},
              "Reordered": {"redirect": {"follow": True}, "timeout": 1},
              "Float": {"timeout": 1.0, "redirect": {"follow": True}},
              "Flag": {"timeout": True, "redirect": {"follow": True}}}
    for file in ("a", "b"):
        write(folder / f"{file}.json", {"id": f"w{file}", "name": file, "connections": {},
                                        "nodes": [_options_node(n, o) for n, o in
                                                  shapes.items()]})
    app, _ = ADAPTER.normalize_export(spec_of(folder), folder)
    by_name = {(s.workflow_id, s.name): s for s in app.steps}
    for name, options in shapes.items():
        first, second = by_name["wa", name], by_name["wb", name]
        assert first.params == second.params and first.params["options"] == options
        assert first.params is second.params  # one object (and one read-only view)
        assert list(first.params["options"]) == list(options)  # its key order kept
    same = by_name["wa", "Same"].params["options"]
    for other in ("Reordered", "Float", "Flag"):
        assert by_name["wa", other].params["options"] is not same
    assert by_name["wa", "Float"].params["options"]["timeout"] == 1.0
    assert type(by_name["wa", "Float"].params["options"]["timeout"]) is float
    assert by_name["wa", "Flag"].params["options"]["timeout"] is True
    # the nested object all four share is one object too
    assert by_name["wa", "Flag"].params["options"]["redirect"] is same["redirect"]
    streamed, whole = both_ways(folder)
    same_model(streamed, whole)


# -- under xdist: the workers split the files, each part built once in the run ----------------
def in_parts(folder: Path, run: Path, monkeypatch: pytest.MonkeyPatch
             ) -> tuple[Any, Any, list[str]]:
    """The model as the first worker builds it (every file a part of its own, each built
    here) and as the second does (each part read from the run folder, built by the first),
    and the files the second read."""
    share = RunFolder(run).shared_files(spec_of(folder))
    first, _ = ADAPTER.normalize_export(spec_of(folder), folder, share=share)
    read: list[str] = []

    def reading(path: Path) -> Any:
        read.append(path.name)
        return read_json_file(path)

    monkeypatch.setattr(n8n, "read_json_file", reading)
    second, export = ADAPTER.normalize_export(spec_of(folder), folder, share=share)
    monkeypatch.undo()
    assert export.skipped == read_export(ADAPTER, folder).skipped
    return first, second, read


@pytest.fixture
def file_parts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A run folder whose shared builds have one file per part."""
    monkeypatch.setattr(loading, "FILE_PART_FILES", 1)
    (tmp_path / "run").mkdir()
    return tmp_path / "run"


def _folder(tmp_path: Path, files: dict[str, Any]) -> Path:
    folder = tmp_path / "export"
    for name, data in files.items():
        write(folder / name, data)
    return folder


NAMELESS = {"connections": {}, "nodes": [  # named by its place among the workflows
    {"id": "n1", "name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {}}]}


CREDENTIALED = {"id": "wC", "name": "Chat", "connections": {}, "nodes": [
    {"id": "post", "name": "Post", "type": "n8n-nodes-base.slack", "parameters": {},
     "credentials": {"slackApi": {"id": "c1", "name": "Slack bot"}}}]}


@pytest.mark.parametrize(("files", "joined"), [
    ({"a.json": workflow("wA", "Orders", "orders"),  # a caller, its callee in a later part
      "b.json": [sub_workflow()], "c.json": CREDENTIALED,
      "d.json": {**CREDENTIALED, "id": "wD",  # one credential, used in two parts
                 "nodes": [{**CREDENTIALED["nodes"][0], "id": "post2"}]},
      "meta/notes.json": {"owner": "ops"}}, True),
    ({"a.json": workflow("wA", "Orders", "orders"),  # the same node ids in two parts
      "b.json": workflow("wB", "Orders", "orders")}, False),
    ({"1.json": workflow("w1", "Orders", "orders"),  # a workflow id in two parts
      "2.json": workflow("w2", "Other", "other"), "3.json": workflow("w1", "Copy", "copy")},
     False),
    ({"a.json": workflow("wA", "Orders", "orders"), "b.json": NAMELESS}, False),
], ids=["called-across-parts", "step-ids-across-parts", "workflow-ids-across-parts",
        "named-by-place"])
def test_built_in_parts_by_two_workers_the_model_of_one_pass(
        tmp_path: Path, file_parts: Path, monkeypatch: pytest.MonkeyPatch,
        files: dict[str, Any], joined: bool) -> None:
    """Parts built apart join as one pass over every file builds them; where one pass would
    have named a workflow or step otherwise, each worker builds the whole folder itself."""
    folder = _folder(tmp_path, files)
    _, whole = both_ways(folder)
    *built, read = in_parts(folder, file_parts, monkeypatch)
    for app in built:
        same_model(app, whole)
        assert [c.used_by for c in app.credentials] == [c.used_by for c in whole.credentials]
    # joined: the second worker read no file; else it read them all itself (twice when
    # workflow ids repeat, as one process alone does)
    assert set(read) == (set() if joined else {Path(name).name for name in files})


def test_a_part_whose_files_changed_since_is_built_again_by_the_worker(
        tmp_path: Path, file_parts: Path) -> None:
    """Fail closed: a worker takes a part another built only if its files are the ones it sees."""
    folder = _folder(tmp_path, {"a.json": workflow("wA", "Orders", "orders"),
                                "b.json": workflow("wB", "Billing", "billing")})
    share = RunFolder(file_parts).shared_files(spec_of(folder))
    ADAPTER.normalize_export(spec_of(folder), folder, share=share)
    write(folder / "b.json", workflow("wB", "Billing", "billing-v2"))
    built, _ = ADAPTER.normalize_export(spec_of(folder), folder, share=share)
    _, whole = both_ways(folder)
    same_model(built, whole)
    assert built.step("hook@wB").params["path"] == "billing-v2"
