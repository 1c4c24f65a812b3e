"""A Node-RED node package scanning its own example flows in CI: the package under review is
not a third-party module.

Each test lays out a small package the way npm packages of Node-RED nodes ship (``package.json``
with ``node-red.nodes``, node JS files that register their types, flows under ``examples/``),
loads the flows file through the real file adapter, and runs CON001 on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec, parse_app_uri
from pytest_nocode.checks import test_secrets as secrets
from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.model import App, Module
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.platforms.nodered_package import (
    MAX_LEVELS,
    manifests_above,
    node_package_of,
    registered_types,
)
from tests.checkrun import findings_of, one
from tests.rules import CON001

ADAPTER = NodeRedPlatform()
PACKAGE = "node-red-contrib-garden-valves"

# a valve node and its controller config, as a node file registers them
VALVE_JS = """module.exports = function (RED) {
    function ValveNode(config) { RED.nodes.createNode(this, config); }
    RED.nodes.registerType("garden-valve", ValveNode);
    function ControllerNode(config) { RED.nodes.createNode(this, config); }
    RED.nodes.registerType('garden-controller', ControllerNode, {credentials: {key: {}}});
};
"""


def example_flow(*extra_types: str) -> list[dict[str, Any]]:
    """An example flow of the package: an inject opening a valve through its controller, and
    any node types of other modules the example also uses."""
    nodes: list[dict[str, Any]] = [
        {"id": "tab1", "type": "tab", "label": "Watering"},
        {"id": "ctl", "type": "garden-controller", "name": "Back yard", "host": "10.0.0.5"},
        {"id": "tick", "type": "inject", "z": "tab1", "x": 100, "y": 80, "wires": [["v1"]],
         "repeat": "3600", "payload": "open", "payloadType": "str"},
        {"id": "v1", "type": "garden-valve", "z": "tab1", "controller": "ctl", "x": 300,
         "y": 80, "wires": [["v2"]]},
    ]
    for n, ntype in enumerate(extra_types):
        nodes.append({"id": f"x{n}", "type": ntype, "z": "tab1", "x": 500, "y": 80 + 40 * n,
                      "wires": []})
    return nodes


def write_package(root: Path, manifest: dict[str, Any] | str | None = None,
                  files: dict[str, str] | None = None) -> Path:
    """A package folder with its package.json and node files; returns the root."""
    root.mkdir(parents=True, exist_ok=True)
    if manifest is None:
        manifest = {"name": PACKAGE, "version": "2.3.1",
                    "node-red": {"version": ">=3.0", "nodes": {"valve": "nodes/valve.js"}}}
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (root / "package.json").write_text(text, encoding="utf-8")
    for name, code in ({"nodes/valve.js": VALVE_JS} if files is None else files).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(code, encoding="utf-8")
    return root


def write_flows(folder: Path, flows: list[dict[str, Any]], name: str = "watering.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(flows), encoding="utf-8")
    return path


def load(path: Path) -> App:
    """The App the plugin builds from ``nodered+file:PATH``."""
    spec = AppSpec(f"nodered+file:{path}", "nodered", "file", str(path), "nodered-example")
    return ADAPTER.normalize(spec, RawSnapshot("nodered", ADAPTER.load_file(path), "file"))


# -- the reader -----------------------------------------------------------------------------------
def test_registered_types_reads_literal_names_in_either_quote_once_each() -> None:
    code = VALVE_JS + "RED.nodes.registerType(`garden-rain`, R);\n" \
                      "RED.nodes.registerType(\"garden-valve\", ValveNode);\n"
    assert registered_types(code) == ("garden-valve", "garden-controller", "garden-rain")


def test_registered_types_leaves_out_names_computed_at_run_time() -> None:
    code = "RED.nodes.registerType(mod.nodeName, N);\nRED.nodes.registerType(`ui-${kind}`, N);"
    assert registered_types(code) == ()


def test_registered_types_reads_a_name_the_file_holds_in_a_constant() -> None:
    """Node files often name their type once (``const TAG = '…'``) and register with it."""
    code = "const TAG = 'garden-timer'\nfunction T(c) {}\nRED.nodes.registerType(TAG, T)\n"
    assert registered_types(code) == ("garden-timer",)
    # TypeScript sources annotate it
    assert registered_types("const TAG: string = 'garden-timer';\nRED.nodes.registerType(TAG, T)"
                            ) == ("garden-timer",)
    # a name passed in or read from elsewhere is still unknown
    assert registered_types("function reg(RED, TAG) { RED.nodes.registerType(TAG, T) }") == ()


def test_a_package_built_by_a_tool_shows_its_types_in_the_editor_file(tmp_path: Path) -> None:
    """A source checkout lacks the built ``dist/x.js``, but ``dist/x.html`` (or a source tree
    that keeps the HTML beside the JS path) registers the same types for the editor; a type
    neither file registers is still asked about."""
    manifest = {"name": PACKAGE, "version": "2.3.1",
                "node-red": {"nodes": {"valve": "dist/valve.js"}}}
    editor = '<script type="text/javascript">\nRED.nodes.registerType("garden-valve", {\n' \
             '  category: "garden", defaults: {}});\n' \
             "RED.nodes.registerType('garden-controller', {category: 'config'});\n</script>\n"
    root = write_package(tmp_path / "pkg", manifest, {"dist/valve.html": editor})
    assert findings_of(CON001, load(write_flows(root / "examples", example_flow()))) == []
    f = one(findings_of(CON001, load(write_flows(root / "examples",
                                                 example_flow("soil-moisture"), "b.json"))))
    assert "soil-moisture" in f.message and "garden-valve" not in f.message


def test_a_user_folder_inside_a_node_package_repository_is_the_package_s_own(
        tmp_path: Path) -> None:
    """A Node-RED user folder a node package's repository keeps for developing it
    (``node-red/package.json`` of a dev instance, no ``node-red.nodes``) runs the package's
    nodes: the walk passes its manifest on to the package above."""
    write_package(tmp_path / "pkg")
    user_dir = tmp_path / "pkg" / "node-red"
    user_dir.mkdir()
    (user_dir / "package.json").write_text('{"name": "node-red-project", "private": true}',
                                           encoding="utf-8")
    flows = write_flows(user_dir, example_flow("soil-moisture"), "flows.json")
    assert manifests_above(flows)[:2] == [user_dir / "package.json",
                                          tmp_path / "pkg" / "package.json"]
    package = node_package_of(flows)
    assert package is not None and package.manifest == "../package.json"
    f = one(findings_of(CON001, load(flows)))
    assert "soil-moisture (1)" in f.message and "garden" not in f.message
    # a user folder of its own (no node package above) stays an app of its own
    alone = tmp_path / "home" / "node-red"
    alone.mkdir(parents=True)
    (alone / "package.json").write_text('{"name": "node-red-project"}', encoding="utf-8")
    assert node_package_of(write_flows(alone, example_flow(), "flows.json")) is None


def test_a_built_node_file_missing_from_a_checkout_is_read_from_its_source(
        tmp_path: Path) -> None:
    """A TypeScript package lists ``dist/valve.js``, which only a build writes; the checkout
    holds ``src/nodes/valve.ts`` (registering under a constant) and the editor file: those
    types are the package's. A type no source registers is still asked about."""
    manifest = {"name": PACKAGE, "version": "2.3.1",
                "node-red": {"nodes": {"valve": "dist/valve.js", "gone": "dist/gone.js"}}}
    ts = ("const VALVE: string = 'garden-valve';\nexport = (RED: any) => {\n"
          "  RED.nodes.registerType(VALVE, ValveNode);\n};\n")
    editor = "<script>RED.nodes.registerType('garden-controller', {category: 'config'});" \
             "</script>"
    root = write_package(tmp_path / "pkg", manifest, {"src/nodes/valve.ts": ts,
                                                      "src/nodes/valve.html": editor})
    app = load(write_flows(root / "examples", example_flow("soil-moisture")))
    f = one(findings_of(CON001, app))
    assert "soil-moisture (1)" in f.message and "garden" not in f.message
    assert "gone (dist/gone.js): missing, and no source registers a type" in \
        app.notes["own package node files"]


@pytest.mark.parametrize("built_with_nrg", [True, False])
def test_an_nrg_package_registers_each_node_folder_as_its_type(tmp_path: Path,
                                                               built_with_nrg: bool) -> None:
    """nrg builds ``src/nodes/TYPE/{client,server}`` into one bundle (``dist/index.js``)
    and registers each folder as the type of its name; a package not built with nrg gets
    no types from folder names."""
    dev = {"@allanoricil/nrg-cli": "^2.0.0"} if built_with_nrg else {"esbuild": "^0.21"}
    manifest = {"name": PACKAGE, "version": "2.3.1", "devDependencies": dev,
                "node-red": {"nodes": {"all": "dist/index.js"}}}
    files = {f"src/nodes/{t}/{side}/index.js": "export default class N {}\n"
             for t in ("garden-valve", "garden-controller") for side in ("server", "client")}
    root = write_package(tmp_path / "pkg", manifest, files)
    found = findings_of(CON001, load(write_flows(root / "examples", example_flow())))
    assert (found == []) is built_with_nrg


@pytest.mark.parametrize("has_harness", [True, False])
def test_a_test_flow_s_harness_node_is_the_package_s_test_tooling(tmp_path: Path,
                                                                  has_harness: bool) -> None:
    """``node-red-node-test-helper`` in devDependencies: its ``helper`` node in the package's
    test flows is the package's own tooling; without that harness, ``helper`` is a type of an
    unknown module like any other."""
    dev = {"node-red-node-test-helper": "^0.3.6"} if has_harness else {"mocha": "^11"}
    manifest = {"name": PACKAGE, "version": "2.3.1", "devDependencies": dev,
                "node-red": {"nodes": {"valve": "nodes/valve.js"}}}
    root = write_package(tmp_path / "pkg", manifest)
    app = load(write_flows(root / "test", example_flow("helper")))
    found = findings_of(CON001, app)
    if has_harness:
        assert found == [] and "helper" in app.notes["own package test harness"]
    else:
        assert "helper (1)" in one(found).message


def test_a_renamed_type_using_the_package_s_config_node_is_its_own(tmp_path: Path) -> None:
    """Examples outlive renames: a type the node files no longer register, set to use the
    package's own config node, is the package's; one that does not use it is still asked."""
    flows = example_flow("soil-moisture")
    flows.append({"id": "old", "type": "garden valve v1", "z": "tab1", "controller": "ctl",
                  "x": 300, "y": 200, "wires": []})
    app = load(write_flows(write_package(tmp_path / "pkg") / "examples", flows))
    f = one(findings_of(CON001, app))
    assert "soil-moisture (1)" in f.message and "garden valve v1" not in f.message
    assert "garden valve v1" in app.notes["own package renamed types"]
    # the same node in a flow no package holds is asked about
    alone = one(findings_of(CON001, load(write_flows(tmp_path / "loose", flows))))
    assert "garden valve v1 (1)" in alone.message


def test_the_walk_goes_a_few_folders_up_at_most(tmp_path: Path) -> None:
    write_package(tmp_path)
    near = write_flows(tmp_path / "docs" / "examples", example_flow())
    assert node_package_of(near) is not None
    deep = write_flows(tmp_path.joinpath(*["d"] * MAX_LEVELS), example_flow())
    assert manifests_above(deep) == []


# -- CON001 on the package's own flows ------------------------------------------------------------
def test_con001_does_not_ask_about_the_package_whose_example_it_is(tmp_path: Path) -> None:
    flows = write_flows(write_package(tmp_path) / "examples", example_flow())
    app = load(flows)
    assert app.own_package == Module(PACKAGE, "2.3.1")
    assert {c.type: c.package for c in app.connectors if not c.builtin} == {
        "garden-controller": PACKAGE, "garden-valve": PACKAGE}
    assert findings_of(CON001, app) == []
    assert "node-red-contrib-garden-valves@2.3.1 (../package.json)" in app.notes["own package"]


def test_con001_still_asks_about_other_community_modules_in_the_example(tmp_path: Path) -> None:
    flows = write_flows(write_package(tmp_path) / "examples", example_flow("soil-moisture"))
    f = one(findings_of(CON001, load(flows)))
    assert "soil-moisture (1)" in f.message and "garden" not in f.message
    assert f.evidence["own_package"] == f"{PACKAGE}@2.3.1"


def test_con001_asks_as_before_when_the_package_json_is_no_node_package(tmp_path: Path) -> None:
    """An application's package.json, and a Node-RED project's (whose ``node-red`` key holds
    only settings), name no node types: the flows' types are someone else's module."""
    for manifest in ({"name": "greenhouse-app", "version": "1.0.0"},
                     {"name": "greenhouse", "node-red": {"settings": {"flowFile": "f.json"}}}):
        root = write_package(tmp_path / manifest["name"], manifest)
        app = load(write_flows(root / "examples", example_flow()))
        assert app.own_package is None and "own package" not in app.notes
        f = one(findings_of(CON001, app))
        assert "garden-valve (1)" in f.message


def test_a_node_file_that_cannot_be_read_leaves_its_types_asked_about(tmp_path: Path) -> None:
    """Fail closed: types the reader could not tie to the package stay unattributed."""
    manifest = {"name": PACKAGE, "version": "2.3.1",
                "node-red": {"nodes": {"valve": "nodes/valve.js", "gone": "nodes/gone.js",
                                       "escape": "../outside.js"}}}
    (tmp_path / "outside.js").write_text('RED.nodes.registerType("soil-moisture", S);',
                                         encoding="utf-8")
    root = write_package(tmp_path / "pkg", manifest)
    app = load(write_flows(root / "examples", example_flow("soil-moisture")))
    f = one(findings_of(CON001, app))
    assert "soil-moisture" in f.message
    note = app.notes["own package node files"]
    assert "gone (nodes/gone.js): missing" in note
    assert "escape (../outside.js): outside the package" in note


@pytest.mark.parametrize(("manifest", "where"), [
    ('{"name": "x", ', "package.json:1:"),
    ('["not", "a", "manifest"]', "package.json: $: expected a package manifest object"),
    ({"name": PACKAGE, "node-red": ["nodes"]}, "package.json: $.node-red: expected an object"),
    ({"name": PACKAGE, "node-red": {"nodes": ["valve.js"]}}, "package.json: $.node-red.nodes"),
    ({"node-red": {"nodes": {"valve": "nodes/valve.js"}}}, "package.json: $.name"),
])
def test_a_broken_package_json_is_an_error_naming_it(tmp_path: Path, manifest: Any,
                                                     where: str) -> None:
    """The flows would otherwise be judged as another package's: refuse, naming the file."""
    flows = write_flows(write_package(tmp_path, manifest) / "examples", example_flow())
    with pytest.raises(InputError) as info:
        ADAPTER.load_file(flows)
    assert str(tmp_path / "package.json") in str(info.value)
    assert where in str(info.value)


def test_a_snapshot_with_a_malformed_package_is_refused_with_its_json_path() -> None:
    spec = AppSpec("nodered+file:s.json", "nodered", "file", "s.json", "s")
    raw = RawSnapshot("nodered", {"flows": example_flow(), "package": {"name": PACKAGE,
                                                                       "types": "garden-valve"}},
                      "file")
    with pytest.raises(SchemaError, match=r"s\.json: \$\.package\.types"):
        ADAPTER.normalize(spec, raw)


def test_the_own_package_counts_in_the_snapshot_hash_only_when_there_is_one(tmp_path: Path
                                                                          ) -> None:
    """Apps without a package hash as before; one read inside its package differs from the
    same flows read alone (the check's answer differs too)."""
    root = write_package(tmp_path / "pkg")
    inside = load(write_flows(root / "examples", example_flow()))
    alone = load(write_flows(tmp_path / "loose", example_flow()))
    assert "own_package" not in alone.to_dict()
    assert inside.to_dict()["own_package"] == {"name": PACKAGE, "version": "2.3.1",
                                               "builtin": False}
    assert inside.sha256() != alone.sha256()


# -- through the plugin: a package's CI scanning its examples folder ------------------------------
def test_a_package_ci_scanning_its_examples_folder_sees_each_flow_as_its_own(
        pytester: pytest.Pytester) -> None:
    """``--nocode-app=nodered+file:examples/``: every flows file of the folder is an app;
    the terminal and the findings JSON say whose package they are; CON001 asks only about
    the other module one example uses."""
    write_package(pytester.path)
    write_flows(pytester.path / "examples", example_flow(), "basic.json")
    write_flows(pytester.path / "examples", example_flow("soil-moisture"), "with-sensor.json")
    report = pytester.path / "findings.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-json={report}",
                                "--nocode-app=nodered+file:examples/")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [a["id"] for a in data["apps"]] == ["nodered-basic", "nodered-with-sensor"]
    assert all("node-red-contrib-garden-valves@2.3.1" in a["notes"]["own package"]
               for a in data["apps"])
    con = [f for f in data["findings"] if f["rule"] == "CON001"]
    assert [(f["app"], f["evidence"]["types"]) for f in con] == [
        ("nodered-with-sensor", {"soil-moisture": 1})]
    result.stdout.fnmatch_lines(["*own package: node-red-contrib-garden-valves@2.3.1*"])


def test_a_folder_of_flows_files_is_one_app_each_but_a_user_folder_stays_one(
        tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    for name in ("b.json", "a.json", "package.json"):
        write_flows(examples, example_flow(), name)
    specs = parse_app_uri("nodered+file:examples/", ["nodered", "n8n"], tmp_path)
    assert [(s.id, Path(s.location).name) for s in specs] == [("nodered-a", "a.json"),
                                                              ("nodered-b", "b.json")]
    write_flows(examples, example_flow(), "flows.json")  # a user folder: its flows.json
    assert [s.location for s in parse_app_uri("nodered+file:examples/", ["nodered"],
                                              tmp_path)] == [str(examples)]
    assert len(parse_app_uri("n8n+file:examples/", ["n8n"], tmp_path)) == 1


# -- SEC001 on the package's own flows -----------------------------------------------------------
def _token_refresh(token_url: str) -> list[dict[str, Any]]:
    """An example refreshing an OAuth token, with the refresh token its author got from the
    server it was written against."""
    return [*example_flow(),
            {"id": "refresh", "type": "garden-valve", "z": "tab1", "x": 300, "y": 200,
             "wires": [], "grant_type": "refresh_token", "access_token_url": token_url,
             "redirect_uri": "http://localhost:1880/oauth2/redirect",
             "refresh_token": "5d0c9e4a-7b1f-4c62-a8e3-f19b2d6c40e7"}]


@pytest.mark.parametrize(("token_url", "in_package", "reported"), [
    ("http://localhost:8088/v1/oauth/tokens", True, False),  # the author's local test server
    ("https://auth.garden-cloud.example/oauth/token", True, True),  # a real service's token
    ("http://localhost:8088/v1/oauth/tokens", False, True),  # a deployment's own: a secret
])
def test_a_package_example_s_token_for_its_author_s_local_server_is_demo_data(
        tmp_path: Path, token_url: str, in_package: bool, reported: bool) -> None:
    folder = (write_package(tmp_path / "pkg") / "examples") if in_package else tmp_path / "app"
    app = load(write_flows(folder, _token_refresh(token_url)))
    found = [f for f in findings_of(secrets.test_no_hardcoded_credentials, app)
             if f.evidence["field"] == "refresh_token"]
    assert bool(found) is reported
