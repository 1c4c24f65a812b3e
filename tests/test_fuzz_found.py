"""What the fuzz tests and ``benchmarks/fuzz_corpus.py`` found, pinned one shape at a time:
each bad shape is one clear error naming the file and JSON path (it crashed before), and the
shape the platform really writes still loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.loading import load_app
from pytest_nocode.platforms import MAX_DEPTH, read_json_file
from pytest_nocode.testing import app_from
from tests.conftest import run_json
from tests.fuzzing import RECORDING, REGISTRY, scan
from tests.httpfake import FakeServer, nodered_routes


def subflow_flows(ports_in: Any = None, ports_out: Any = None) -> list[dict[str, Any]]:
    """A subflow whose input feeds ``inner`` and whose output is ``inner``, and an instance."""
    sub: dict[str, Any] = {"id": "s1", "type": "subflow", "name": "Sign"}
    sub["in"] = [{"x": 50, "wires": [{"id": "inner"}]}] if ports_in is None else ports_in
    sub["out"] = [{"x": 400, "wires": [{"id": "inner", "port": 0}]}] \
        if ports_out is None else ports_out
    return [
        {"id": "t1", "type": "tab", "label": "Flow"},
        sub,
        {"id": "inner", "type": "function", "z": "s1", "func": "return msg;", "wires": [[]]},
        {"id": "use", "type": "subflow:s1", "z": "t1", "wires": [["after"]]},
        {"id": "after", "type": "debug", "z": "t1", "wires": []},
    ]


def test_subflow_ports_as_written_wire_the_instance_through_the_subflow() -> None:
    app = app_from("nodered", subflow_flows())
    assert app.step("use").outbound == ("inner",)
    assert app.step("inner").outbound == ("after",)


@pytest.mark.parametrize(("ports_in", "ports_out", "path"), [
    (5, None, "$[1].in"),  # the crash the issue reports: 'int' object is not iterable
    ([5], None, "$[1].in[0]"),
    ([{"wires": 3}], None, "$[1].in[0].wires"),
    ([{"wires": [True]}], None, "$[1].in[0].wires[0]"),
    ([{"wires": [{"id": 7}]}], None, "$[1].in[0].wires[0]"),
    (None, {"wires": []}, "$[1].out"),
    (None, [{"wires": False}], "$[1].out[0].wires"),
])
def test_subflow_ports_of_another_shape_name_their_json_path(ports_in: Any, ports_out: Any,
                                                             path: str) -> None:
    with pytest.raises(SchemaError, match=rf"^test-app: {_escaped(path)}: expected"):
        app_from("nodered", subflow_flows(ports_in, ports_out))


def test_subflow_without_ports_or_wires_loads() -> None:
    flows = subflow_flows([], [{"x": 400}])
    assert app_from("nodered", flows).step("use").outbound == ()


@pytest.mark.parametrize("links", [3, "l2", [["l2"]], [None]])
def test_link_out_links_of_another_shape_name_their_json_path(links: Any) -> None:
    flows = [{"id": "t1", "type": "tab"},
             {"id": "l1", "type": "link out", "z": "t1", "links": links},
             {"id": "l2", "type": "link in", "z": "t1", "wires": [[]]}]
    with pytest.raises(SchemaError, match=r"^test-app: \$\[1\]\.links: expected a list"):
        app_from("nodered", flows)
    flows[1]["links"] = ["l2"]
    assert app_from("nodered", flows).step("l1").outbound == ("l2",)


@pytest.mark.parametrize(("snapshot_part", "path"), [
    ({"nodes": [{"module": "node-red", "types": True}]}, r"\$\.nodes\[0\]\.types"),
    ({"nodes": [7]}, r"\$\.nodes\[0\]"),
    ({"settings": {"externalModules": 1}}, r"\$\.settings\.externalModules"),
    ({"settings": {"externalModules": {"palette": [1]}}},
     r"\$\.settings\.externalModules\.palette"),
    ({"diagnostics": {"runtime": 1}}, r"\$\.diagnostics\.runtime"),
    ({"diagnostics": {"runtime": {"settings": []}}}, r"\$\.diagnostics\.runtime\.settings"),
    ({"diagnostics": {"nodejs": "v20"}}, r"\$\.diagnostics\.nodejs"),
])
def test_snapshot_parts_of_another_shape_name_their_json_path(snapshot_part: dict[str, Any],
                                                              path: str) -> None:
    flows = [{"id": "t1", "type": "tab"}]
    with pytest.raises(SchemaError, match=rf"^test-app: {path}: expected"):
        app_from("nodered", {"flows": flows, **snapshot_part})


def test_snapshot_parts_as_the_admin_api_writes_them_load() -> None:
    snapshot = {
        "flows": [{"id": "t1", "type": "tab"}],
        "nodes": [{"module": "node-red-dashboard", "version": "3.6.0", "types": ["ui_button"]}],
        "settings": {"version": "4.0.0", "externalModules": {"palette": {"allowInstall": False}}},
        "diagnostics": {"runtime": {"settings": {"httpAdminRoot": "/"}},
                        "nodejs": {"version": "v20.1.0"}},
    }
    app = app_from("nodered", snapshot)
    assert app.settings["palette.allowInstall"].value is False
    assert app.settings["nodejs.version"].value == "v20.1.0"
    assert [m.name for m in app.modules] == ["node-red-dashboard"]


def _escaped(path: str) -> str:
    return path.replace("$", r"\$").replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")


# -- whatever the platform, at read time ---------------------------------------------------------
def test_half_an_emoji_is_replaced_and_the_export_scans(tmp_path: Path) -> None:
    """Real n8n exports carry lone UTF-16 halves (``\\udc8f``); they crashed the hash."""
    path = tmp_path / "wf.json"
    text = json.dumps({"name": "Bot \ud83d\ude00", "nodes": [
        {"name": "Reply", "type": "n8n-nodes-base.set", "parameters": {"text": "hi"}}],
        "connections": {}})
    path.write_text(text.replace("hi", "hi \\udc8f"), encoding="utf-8")
    data = read_json_file(path)
    assert data["nodes"][0]["parameters"]["text"] == "hi \ufffd"
    assert data["name"] == "Bot \U0001f600"  # a whole pair is kept
    assert scan("n8n", path).kind == "scanned"


def test_half_an_emoji_goes_through_a_whole_run_and_its_reports(
        pytester: pytest.Pytester) -> None:
    path = pytester.path / "wf.json"
    path.write_text(json.dumps({"name": "Bot", "nodes": [
        {"name": "Reply", "type": "n8n-nodes-base.set", "parameters": {"text": "hi"}}],
        "connections": {}}).replace("hi", "hi \\udc8f"), encoding="utf-8")
    result, report = run_json(pytester, f"--nocode-app=n8n+file:{path}",
                              f"--nocode-sarif={pytester.path / 'out.sarif'}")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert report["apps"][0]["snapshot_sha256"]
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_json_nested_deeper_than_any_export_names_the_path(tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps([{"id": "t1", "type": "tab", "extra": deep}]))
    with pytest.raises(InputError, match=rf"^{path}: \$\[0\]\.extra\[0\]\[0\].*: nested more "
                                         rf"than {MAX_DEPTH} levels deep"):
        read_json_file(path)
    path.write_text(json.dumps([{"id": "t1", "type": "tab", "extra": deep[0][0]}]))
    assert scan("nodered", path).kind == "scanned"  # two levels less: just within


def test_json_too_deep_for_the_parser_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "abyss.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=rf"^{path}: \$: nested too deeply"):
        read_json_file(path)


# -- live data is held to the same --------------------------------------------------------------
@pytest.mark.parametrize("label", ["Kitchen \udc8f", "Kitchen"])
def test_live_data_with_half_an_emoji_is_checked(label: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOCODE_NODERED_TOKEN", "NOCODE_NODERED_USERNAME", "NOCODE_NODERED_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with FakeServer(nodered_routes([{"id": "t1", "type": "tab", "label": label}])) as server:
        spec = parse_app_uri(f"nodered+{server.url}", ["nodered"], Path("."))[0]
        loaded = load_app(spec, REGISTRY, RECORDING)
    assert loaded.error is None and loaded.app is not None
    assert loaded.app.workflows[0].name == label.replace("\udc8f", "\ufffd")
    assert loaded.app.sha256()


def test_live_data_nested_too_deep_makes_that_app_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOCODE_NODERED_TOKEN", raising=False)
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with FakeServer(nodered_routes([{"id": "t1", "type": "tab", "info": deep}])) as server:
        spec = parse_app_uri(f"nodered+{server.url}", ["nodered"], Path("."))[0]
        loaded = load_app(spec, REGISTRY, RECORDING)
    assert loaded.app is None
    assert loaded.error is not None
    assert loaded.error.startswith(f"{spec.uri}: unexpected data: $.flows[0].info[0]")
    assert loaded.error.endswith(f"nested more than {MAX_DEPTH} levels deep")


# -- pytest-nocode merge on mangled shards (tests/test_fuzz_merge.py) --------------------------
def _sarif_shard(tmp_path: Path, edit: Any) -> list[Path]:
    """One shard with a findings report and the SARIF log a run writes for it, ``edit``ed."""
    from pytest_nocode.reporting.sarif import build_sarif
    from tests.test_merge import report, shard

    data = report(["x"])
    folder = shard(tmp_path, "a", data)
    log = build_sarif(data, {"SEC001": {"id": "SEC001", "name": "secret"}})
    edit(log)
    (folder / "findings.sarif").write_text(json.dumps(log), encoding="utf-8")
    return [folder]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda log: log["runs"][0]["results"][0]["properties"].update(app={}),
     r"\$.runs\[0\].results\[0\].properties.app: expected a string"),
    (lambda log: log["runs"][0]["results"][0]["properties"].update(severity=3),
     r"\$.runs\[0\].results\[0\].properties.severity: expected a string"),
    (lambda log: log["runs"][0]["invocations"][0].update(properties=[]),
     r"\$.runs\[0\].invocations\[0\].properties: expected an object"),
    (lambda log: log["runs"][0]["properties"]["apps"][0].update(id={"a": 1}),
     r"\$.runs\[0\].properties.apps: expected a list of objects with ids"),
])
def test_a_sarif_log_the_merge_cannot_order_names_its_json_path(tmp_path: Path, edit: Any,
                                                                message: str) -> None:
    from pytest_nocode.reporting.merge import merge

    with pytest.raises(InputError, match=rf"findings.sarif: {message}"):
        merge(tmp_path / "out", _sarif_shard(tmp_path, edit))


def test_a_sarif_log_whose_driver_is_no_object_is_not_ours_to_merge(tmp_path: Path) -> None:
    """It crashed looking for the driver's name; now it is another tool's file, left alone."""
    from pytest_nocode.reporting.merge import merge

    folders = _sarif_shard(tmp_path, lambda log: log["runs"][0]["tool"].update(driver=3))
    assert [p.name for p in merge(tmp_path / "out", folders).written] == ["findings.json"]


@pytest.mark.parametrize(("edit", "message"), [
    # a time without its UTC offset cannot be ordered with the other shard's (it crashed)
    (lambda r: r["run"].update(started="2026-01-01T09:00:00"),
     r"\$.run.started: expected an ISO-8601 time with a UTC offset"),
    (lambda r: r.update(waivers_file=["policy.yaml"]), r"\$.waivers_file: expected an object"),
    (lambda r: r.update(baseline="approved"), r"\$.baseline: expected an object"),
    (lambda r: r.update(baseline={"apps_written": [{}, "x"]}),
     r"\$.baseline.apps_written: expected a list of app ids"),
])
def test_report_sections_the_merge_reads_name_their_json_path(tmp_path: Path, edit: Any,
                                                              message: str) -> None:
    from pytest_nocode.reporting.merge import merge
    from tests.test_merge import report, shard

    good = report(["x"])
    bad = report(["y"])
    edit(bad)
    folders = [shard(tmp_path, "a", good), shard(tmp_path, "b", bad)]
    with pytest.raises(InputError, match=rf"b/report.json: {message}"):
        merge(tmp_path / "out", folders)


def test_function_code_with_a_lone_surrogate_is_followed() -> None:
    """An app built in Python (the testing API) can hold a lone surrogate from a JSON escape;
    the follower crashed encoding it for the parser."""
    from pytest_nocode.platforms.nodered_function import follow_function

    followed = follow_function("msg.note = '\udc00'; msg.cmd = msg.payload; return msg;")
    assert followed is not None
    assert {w.field for w in followed.writes} == {"note", "cmd"}
