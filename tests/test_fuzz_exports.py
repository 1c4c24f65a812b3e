"""Property: any export, however mangled, is either scanned (every built-in check reaches a
verdict) or rejected with one line naming the file and the JSON path. Never an internal error.

Inputs are the bundled demo and test exports mutated at random, and small exports generated
from the node types and parameters the adapters and checks read (then mutated too). The
profile is derandomized and database-free, so CI sees the same inputs on every run (set
``NOCODE_FUZZ_EXAMPLES`` to search longer by hand).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pytest_nocode.loading import load_app
from pytest_nocode.model import ValueRef
from pytest_nocode.platforms.nodered_function import follow_function
from pytest_nocode.policy import KRI_NAMES
from tests.conftest import DATA, DEMO
from tests.fuzzing import (
    CHECKS,
    ODD_CODE,
    RECORDING,
    REGISTRY,
    baseline_of,
    is_clear_error,
    mutate,
    run_all_checks,
    scan,
    spec_for,
)
from tests.published_schemas import SCHEMAS, schema_errors

# NOCODE_FUZZ_EXAMPLES=5000 searches deeper, by hand; CI keeps the fixed default
FUZZ = settings(max_examples=int(os.environ.get("NOCODE_FUZZ_EXAMPLES", "120")),
                deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SEEDS: list[tuple[str, Path]] = [
    ("nodered", DEMO / "nodered" / "flows.json"),
    *[("n8n", p) for p in sorted((DEMO / "n8n").glob("*.json"))],
    *[("nodered", DATA / "nodered" / n) for n in ("minimal.json", "snapshot.json")],
    *[("n8n", DATA / "n8n" / n) for n in ("single.json", "list.json")],
    ("nodered", DATA / "detection" / "nodered-bad.json"),
    ("nodered", DATA / "detection" / "nodered-good.json"),
    ("n8n", DATA / "detection" / "n8n-bad.json"),
    ("n8n", DATA / "detection" / "n8n-good.json"),
]
SEED_DATA = {path: json.loads(path.read_text(encoding="utf-8")) for _, path in SEEDS}
BASELINES = {path: baseline_of(platform, path) for platform, path in SEEDS}


class DrawChooser:
    """Mutation choices drawn by hypothesis, so a failing input shrinks."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def assert_scanned_or_clear(platform: str, doc: Any, folder: Path,
                            baseline: dict[str, Any] | None = None) -> str:
    path = folder / f"{platform}-export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    outcome = scan(platform, path, baseline)
    event(outcome.kind)
    assert outcome.kind != "crashed", outcome.detail
    if outcome.kind == "rejected":
        assert is_clear_error(outcome.detail, path), outcome.detail
    return outcome.kind


# -- generated exports ---------------------------------------------------------------------
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000),
                         st.sampled_from(["", "x", "true", "false", "payload", "msg.payload",
                                          "=", "{{ $json.q }}", "={{ $json.body.cmd }}",
                                          "http://example.com/a", "https://10.0.0.2:8443/",
                                          "mqtt://broker:1883", "get", "post", "all",
                                          "server", "client", "executeQuery", "webhook",
                                          "sk_live_" + "a1B2c3D4" * 4, "SELECT 1", "rm -rf"]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["value", "__rl", "url", "name", "id", "key", "values", "parameters"]), inner,
        max_size=3)), max_leaves=6)


def shaky(proper: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the shape the platform writes, sometimes any JSON value in its place."""
    return st.one_of(*[proper] * 5, JSON_VALUES)

NR_IDS = ["t1", "t2", "s1", "a", "b", "c", "tls", "broker", "cfg"]
NR_TYPES = ["tab", "subflow", "group", "subflow:s1", "subflow:none", "http in", "http response",
            "http request", "function", "exec", "template", "change", "inject", "debug",
            "mqtt in", "mqtt out", "mqtt-broker", "tls-config", "http proxy", "link in",
            "link out", "link call", "websocket-listener", "websocket in", "websocket-client",
            "tcp in", "tcp request", "tcp out", "udp in", "udp out", "file", "file in", "catch",
            "e-mail", "ftp", "global-config", "ui_button", "postgresql", "sqlite"]
NR_KEYS = ["name", "url", "method", "func", "command", "addpay", "append", "template",
           "field", "syntax", "broker", "port", "usetls", "tls", "verifyservercert", "path",
           "server", "beserver", "host", "addr", "filename", "links", "mode", "rules",
           "paytoqos", "topic", "d", "disabled", "label", "env", "libs", "secure", "query",
           "sql", "payload", "payloadType", "headers", "authType", "user", "password"]
NR_WIRE = shaky(st.lists(shaky(st.lists(st.sampled_from(NR_IDS), max_size=2)), max_size=2))
NR_PORTS = shaky(st.lists(shaky(st.fixed_dictionaries({}, optional={
    "wires": shaky(st.lists(shaky(st.fixed_dictionaries(
        {"id": shaky(st.sampled_from(NR_IDS))}, optional={"port": st.integers(0, 2)})),
        max_size=2)),
    "x": st.integers(0, 500)})), max_size=2))


@st.composite
def function_code(draw: st.DrawFn) -> str:
    """JavaScript of a function node: pieces that matter to the follower, odd or broken ones,
    then sometimes cut short, nested deep or repeated into a large body."""
    pieces = draw(st.lists(st.sampled_from([*ODD_CODE, *JS_PIECES]), max_size=8))
    code = draw(st.sampled_from(["\n", ";", " ", ""])).join(pieces)
    how = draw(st.integers(0, 5))
    if how == 1:
        code = code[:draw(st.integers(0, len(code)))]
    elif how == 2:
        body = code or "msg.a = msg.b;"  # up to about 100 KB
        code = "\n".join([body] * draw(st.integers(2, max(2, 100_000 // len(body)))))
    elif how == 3:
        depth = draw(st.integers(50, 3000))
        code = f"msg.cmd = {'(' * depth}{code or 'msg.payload'}{')' * depth};"
    elif how == 4:
        at = draw(st.integers(0, len(code)))
        code = code[:at] + draw(st.text(max_size=12)) + code[at:]
    return code


JS_PIECES = ["msg.payload = msg.payload;", "msg.cmd = 'ls ' + msg.payload;",
             "msg.topic = env.get('TOPIC');", "msg.sql = `SELECT * FROM t WHERE id = ${msg.id}`;",
             "const x = flow.get('x'); msg.x = x;", "global.set('k', msg.body);",
             "msg.url = 'http://10.0.0.9/' + msg.path;", "return msg;", "return null;",
             "if (msg.a) { return [msg, null]; }", "msg.when = Date.now();",
             "const m = {payload: msg.q}; node.send(m);", "let i = 0; while (i < 3) { i++; }",
             "msg.list.forEach(function (v) { msg.last = v; });", "try { x(); } catch (e) "
             "{ msg.err = e; }", "const t = {a: 'x', b: 'y'}; msg.t = t[msg.k];"]
FUNCTION_CODE = st.one_of(function_code(), function_code(), st.text(max_size=80), JSON_VALUES)


@st.composite
def nodered_node(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {"id": draw(st.sampled_from(NR_IDS)),
                            "type": draw(st.sampled_from(NR_TYPES))}
    if draw(st.booleans()):
        node["z"] = draw(st.sampled_from(["t1", "t2", "s1", ""]))
    if draw(st.booleans()):
        node["wires"] = draw(NR_WIRE)
    if node["type"] == "subflow":
        node["in"], node["out"] = draw(NR_PORTS), draw(NR_PORTS)
    if node["type"] in ("link out", "link call"):
        node["links"] = draw(shaky(st.lists(st.sampled_from(NR_IDS), max_size=2)))
    node.update(draw(st.dictionaries(st.sampled_from(NR_KEYS), JSON_VALUES, max_size=5)))
    if node["type"] == "function" and draw(st.booleans()):
        node["func"] = draw(FUNCTION_CODE)
    return node


@st.composite
def nodered_export(draw: st.DrawFn) -> Any:
    """A flows array, or a snapshot with settings, diagnostics and the node-set list."""
    flows = draw(st.lists(nodered_node(), min_size=1, max_size=8))
    if draw(st.booleans()):  # a subflow and an instance of it, the trickiest wiring
        flows.append({"id": "s1", "type": "subflow", "in": draw(NR_PORTS),
                      "out": draw(NR_PORTS)})
        flows.append({"id": "sfi", "type": "subflow:s1", "z": "t1", "wires": draw(NR_WIRE)})
    if draw(st.booleans()):
        return flows
    snapshot: dict[str, Any] = {"flows": flows}
    settings_keys = ["httpNodeAuth", "user", "version", "externalModules", "functionTimeout",
                     "functionExternalModules", "editorTheme", "uiHost"]
    if draw(st.booleans()):
        snapshot["settings"] = draw(shaky(st.dictionaries(
            st.sampled_from(settings_keys), JSON_VALUES, max_size=4)))
        if isinstance(snapshot["settings"], dict) and draw(st.booleans()):
            snapshot["settings"]["externalModules"] = draw(shaky(st.fixed_dictionaries(
                {"palette": shaky(st.fixed_dictionaries({}, optional={
                    "allowInstall": JSON_SCALARS, "allowUpload": JSON_SCALARS}))})))
    if draw(st.booleans()):
        snapshot["diagnostics"] = draw(shaky(st.fixed_dictionaries({
            "runtime": shaky(st.fixed_dictionaries({"settings": shaky(st.dictionaries(
                st.sampled_from(settings_keys), JSON_VALUES, max_size=3))})),
            "nodejs": shaky(st.fixed_dictionaries({"version": JSON_SCALARS}))})))
    if draw(st.booleans()):
        snapshot["nodes"] = draw(shaky(st.lists(shaky(st.fixed_dictionaries(
            {"module": st.sampled_from(["node-red", "node-red-dashboard", ""]),
             "types": shaky(st.lists(st.sampled_from(NR_TYPES), max_size=3))},
            optional={"version": st.sampled_from(["4.0.0", ""])})), max_size=3)))
    return snapshot


N8N_NAMES = ["Webhook", "HTTP", "Code", "SQL", "Agent", "Tool", "Shell", "Wait", "Sheet"]
N8N_TYPES = [f"n8n-nodes-base.{t}" for t in (
    "webhook", "formTrigger", "wait", "httpRequest", "graphql", "ftp", "ssh", "emailSend",
    "mongoDb", "redis", "googleSheets", "readWriteFile", "writeBinaryFile", "postgres",
    "mySql", "postgresTool", "executeCommand", "code", "function", "set", "if",
    "executeWorkflow", "executeWorkflowTrigger", "scheduleTrigger", "stickyNote",
    "mcpTrigger", "n8n", "github", "githubTool", "googleDrive", "awsS3", "dropbox", "gmail",
    "openAiTool")] + [f"@n8n/n8n-nodes-langchain.{t}" for t in (
        "chatTrigger", "agent", "toolHttpRequest", "toolCode", "lmChatOpenAi",
        "mcpClientTool")] + [
    "n8n-nodes-custom.thing", "noDot"]
N8N_KEYS = ["url", "endpoint", "path", "httpMethod", "multipleMethods", "authentication",
            "public", "resume", "incomingAuthentication", "options", "query", "operation",
            "table", "schema", "command", "jsCode", "functionCode", "protocol", "collection",
            "key", "documentId", "sheetName", "fileName", "sendHeaders", "headerParameters",
            "text", "prompt", "workflowId", "allowUnauthorizedCerts", "value", "assignments",
            "resource", "binaryData", "columns", "endpointUrl", "include", "includeTools",
            "method", "nodeCredentialType", "changeFileContent"]
N8N_CONNECTION = st.fixed_dictionaries({"node": st.sampled_from([*N8N_NAMES, "Missing"]),
                                        "type": st.sampled_from(["main", "ai_tool"]),
                                        "index": st.integers(0, 1)})


@st.composite
def n8n_workflow(draw: st.DrawFn) -> dict[str, Any]:
    nodes = []
    for name in draw(st.lists(st.sampled_from(N8N_NAMES), min_size=1, max_size=6)):
        node: dict[str, Any] = {"name": name, "type": draw(st.sampled_from(N8N_TYPES)),
                                "parameters": draw(shaky(st.dictionaries(
                                    st.sampled_from(N8N_KEYS), JSON_VALUES, max_size=5)))}
        if draw(st.booleans()):
            node["id"] = draw(st.sampled_from(["u1", "u2", "u3", name]))
        if draw(st.booleans()):
            node["disabled"] = draw(st.booleans())
        if draw(st.booleans()):
            node["credentials"] = draw(shaky(st.fixed_dictionaries({"httpHeaderAuth": shaky(
                st.one_of(st.sampled_from(["Old name"]), st.fixed_dictionaries(
                    {"id": st.sampled_from(["c1", "c2", ""]), "name": JSON_SCALARS})))})))
        if draw(st.booleans()):
            node["webhookId"] = draw(st.sampled_from(["hook-1", "hook-2"]))
        nodes.append(node)
    names = [n["name"] for n in nodes]
    connections = draw(st.dictionaries(
        st.sampled_from([*names, "Nowhere"]),
        shaky(st.dictionaries(st.sampled_from(["main", "ai_tool", "ai_languageModel"]),
                              shaky(st.lists(st.one_of(st.none(), shaky(st.lists(
                                  shaky(N8N_CONNECTION), max_size=2))), max_size=2)),
                              min_size=1, max_size=2)), max_size=4))
    workflow: dict[str, Any] = {"nodes": nodes, "connections": connections}
    optional = {"id": st.sampled_from(["w1", "w2", 7]), "name": st.sampled_from(["Flow", ""]),
                "active": st.booleans(), "isArchived": st.booleans(),
                "settings": st.dictionaries(st.sampled_from(
                    ["saveDataErrorExecution", "saveDataSuccessExecution", "errorWorkflow",
                     "callerPolicy", "executionTimeout"]), JSON_SCALARS, max_size=3),
                "tags": st.lists(st.one_of(st.sampled_from(["finance"]),
                                           st.fixed_dictionaries({"name": st.just("ops")})),
                                 max_size=2)}
    for key, strategy in optional.items():
        if draw(st.booleans()):
            workflow[key] = draw(strategy)
    return workflow


@st.composite
def n8n_export(draw: st.DrawFn) -> Any:
    """One workflow, a list of them, or the raw form with users and settings."""
    workflows = draw(st.lists(n8n_workflow(), min_size=1, max_size=3))
    form = draw(st.integers(0, 2))
    if form == 0:
        return workflows[0]
    if form == 1:
        return workflows
    raw: dict[str, Any] = {"workflows": workflows}
    if draw(st.booleans()):
        raw["users"] = draw(shaky(st.lists(shaky(st.fixed_dictionaries(
            {"id": st.sampled_from(["u1", "u2"])},
            optional={"email": st.just("a@example.com"), "role": JSON_SCALARS,
                      "isPending": JSON_SCALARS, "mfaEnabled": JSON_SCALARS})), max_size=3)))
    if draw(st.booleans()):
        raw["settings"] = draw(st.dictionaries(st.sampled_from(["userManagement", "saml"]),
                                               JSON_VALUES, max_size=2))
    return raw


# -- the properties ----------------------------------------------------------------------------
def test_every_built_in_check_is_exercised() -> None:
    """The harness calls all of them: a new check module is fuzzed without touching this file."""
    rules = {rule_id for check in CHECKS for mark in check.pytestmark
             if mark.name == "nocode_check" for rule_id in [mark.args[0].id]}
    assert {"SEC001", "INJ001", "AUTH001", "ENC001", "DRIFT001", "KRI001"} <= rules


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_exports_scan_or_fail_clearly(seed: tuple[str, Path], data: st.DataObject,
                                              fuzz_dir: Path) -> None:
    platform, path = seed
    doc, _done = mutate(SEED_DATA[path], DrawChooser(data))
    assert_scanned_or_clear(platform, doc, fuzz_dir, BASELINES[path])


@settings(FUZZ, max_examples=FUZZ.max_examples // 4)  # a sample: validation is slow
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_threat_model_forms_of_mutated_exports_match_published_schemas(
        seed: tuple[str, Path], data: st.DataObject, fuzz_dir: Path) -> None:
    """What a mangled input leaves of the threat model still opens in Threat Dragon, Threat
    Composer and OTM tools: each JSON form validates against its project's schema."""
    platform, path = seed
    doc, _done = mutate(SEED_DATA[path], DrawChooser(data))
    target = fuzz_dir / f"{platform}-forms.json"
    target.write_text(json.dumps(doc), encoding="utf-8")
    outputs: dict[str, Any] = {}
    outcome = scan(platform, target, BASELINES[path], outputs)
    assert outcome.kind != "crashed", outcome.detail
    event(outcome.kind)
    for form in SCHEMAS if outcome.kind == "scanned" else ():
        assert schema_errors(outputs[form], form) == [], form


@FUZZ
@given(export=nodered_export(), data=st.data())
def test_generated_nodered_exports_scan_or_fail_clearly(export: Any, data: st.DataObject,
                                                        fuzz_dir: Path) -> None:
    assert_scanned_or_clear("nodered", export, fuzz_dir)
    doc, _done = mutate(export, DrawChooser(data))
    assert_scanned_or_clear("nodered", doc, fuzz_dir)


@FUZZ
@given(export=n8n_export(), data=st.data())
def test_generated_n8n_exports_scan_or_fail_clearly(export: Any, data: st.DataObject,
                                                    fuzz_dir: Path) -> None:
    assert_scanned_or_clear("n8n", export, fuzz_dir)
    doc, _done = mutate(export, DrawChooser(data))
    assert_scanned_or_clear("n8n", doc, fuzz_dir)


@FUZZ
@given(code=function_code())
def test_the_function_follower_answers_on_any_code(code: str) -> None:
    """Odd, broken, deep or huge code is followed or given up on (None), never an error, and
    the same code gives the same answer."""
    followed = follow_function(code)
    assert followed == follow_function(code)
    if followed is not None:
        assert all(isinstance(w.field, str) and all(isinstance(v, ValueRef) for v in w.value)
                   for w in (*followed.writes, *followed.keeps))


@settings(FUZZ, max_examples=FUZZ.max_examples // 3)  # a whole scan each: keep it short
@given(code=FUNCTION_CODE, addpay=st.sampled_from(["payload", "cmd", True, ""]))
def test_function_code_feeding_a_command_scans_or_fails_clearly(code: Any, addpay: Any,
                                                                fuzz_dir: Path) -> None:
    """A webhook's data through a function whose code is anything into exec: the data-flow
    checks see it, whatever the code."""
    flows = [{"id": "t1", "type": "tab", "label": "Flow"},
             {"id": "in", "type": "http in", "z": "t1", "url": "/run", "method": "post",
              "wires": [["f"]]},
             {"id": "f", "type": "function", "z": "t1", "func": code, "wires": [["x"]]},
             {"id": "x", "type": "exec", "z": "t1", "command": "echo", "addpay": addpay,
              "wires": [[], [], []]}]
    assert assert_scanned_or_clear("nodered", flows, fuzz_dir) == "scanned"


def test_the_seeds_themselves_scan() -> None:
    """Unmutated, every seed export scans: the properties start from valid data."""
    for platform, path in SEEDS:
        assert scan(platform, path, BASELINES[path]).kind == "scanned", path


def test_a_scan_gives_every_check_a_verdict() -> None:
    """What "scanned" means: each check (KRI001 once per indicator) passed, failed or was not
    applicable; the demo has all three."""
    path = DEMO / "nodered" / "flows.json"
    loaded = load_app(spec_for("nodered", path), REGISTRY, RECORDING)
    verdicts = run_all_checks(loaded, BASELINES[path])
    assert len(verdicts) == len(CHECKS) - 1 + len(KRI_NAMES)
    assert set(verdicts.values()) == {"passed", "failed", "not applicable"}
    assert verdicts["test_no_hardcoded_credentials"] == "failed"
