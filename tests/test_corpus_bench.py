"""The corpus benchmark counts what it claims: finding keys, precision, recall and internal errors.

A tiny corpus is written per test: an n8n workflow with an open webhook and a token typed into
a header, a Node-RED flow with an open ``http in``, and a file that is not an export at all.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.platforms import PlatformRegistry
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.policy import load_policy

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_bench"] = module
    spec.loader.exec_module(module)
    return module


def _token() -> str:
    """A GitHub-token-shaped value made at run time, so no token-like literal is committed."""
    return "ghp_" + "A1b2C3d4" * 4 + "Ef12"


def n8n_workflow() -> dict[str, Any]:
    header = {"parameters": [{"name": "Authorization", "value": f"token {_token()}"}]}
    return {
        "name": "Intake", "active": True, "settings": {},
        "nodes": [
            {"id": "hook", "name": "Hook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
             "position": [0, 0], "webhookId": "w1",
             "parameters": {"path": "intake", "httpMethod": "POST"}},
            {"id": "call", "name": "Call", "type": "n8n-nodes-base.httpRequest",
             "typeVersion": 4, "position": [200, 0],
             "parameters": {"url": "https://api.example.org/items", "sendHeaders": True,
                            "headerParameters": header}},
        ],
        "connections": {"Hook": {"main": [[{"node": "Call", "type": "main", "index": 0}]]}},
    }


def nodered_flow() -> list[dict[str, Any]]:
    return [
        {"id": "t1", "type": "tab", "label": "API"},
        {"id": "in1", "type": "http in", "z": "t1", "url": "/orders", "method": "post",
         "wires": [["keep1"]]},
        # keeps the order in flow context: the route acts on what it is sent
        {"id": "keep1", "type": "change", "z": "t1", "wires": [["out1"]],
         "rules": [{"t": "set", "p": "last_order", "pt": "flow", "to": "payload", "tot": "msg"}]},
        {"id": "out1", "type": "http response", "z": "t1", "wires": []},
    ]


def write_corpus(root: Path) -> Path:
    (root / "n8n").mkdir(parents=True)
    (root / "nodered").mkdir()
    (root / "n8n" / "intake.json").write_text(json.dumps(n8n_workflow()), encoding="utf-8")
    (root / "nodered" / "api.json").write_text(json.dumps(nodered_flow()), encoding="utf-8")
    (root / "nodered" / "notes.json").write_text('{"title": "not a flow"}', encoding="utf-8")
    return root


def test_keys_name_file_rule_resource_and_the_field_never_the_value(bench: ModuleType,
                                                                     tmp_path: Path) -> None:
    outcomes, _ = bench.scan_corpus(write_corpus(tmp_path), ["SEC001", "AUTH001"])
    keys = sorted(f.key for o in outcomes for f in o.findings)
    assert "n8n/intake.json|AUTH001|hook" in keys
    secret_keys = [k for k in keys if "|SEC001|" in k]
    assert secret_keys == ["n8n/intake.json|SEC001|call|headerParameters.parameters[0].value"]
    assert "nodered/api.json|AUTH001|in1" in keys
    assert all(_token() not in k for k in keys)
    assert all(_token() not in f.message for o in outcomes for f in o.findings)


def test_rejected_files_are_counted_with_their_reason_not_as_internal_errors(
        bench: ModuleType, tmp_path: Path) -> None:
    outcomes, _ = bench.scan_corpus(write_corpus(tmp_path), ["AUTH001"])
    summary = bench.summarize(outcomes, {}, {})
    assert summary.apps == {"n8n": 1, "nodered": 1}
    assert sum(summary.rejected["nodered"].values()) == 1
    assert summary.internal_errors == []


def test_precision_counts_labelled_findings_only_and_recall_splits_by_depth(
        bench: ModuleType, tmp_path: Path) -> None:
    outcomes, _ = bench.scan_corpus(write_corpus(tmp_path), ["SEC001", "AUTH001"])
    triage = {"n8n/intake.json|AUTH001|hook": ("TP", "open webhook"),
              "nodered/api.json|AUTH001|in1": ("FP", "behind a proxy"),
              "n8n/intake.json|SEC001|call|headerParameters.parameters[0].value": ("TP", "")}
    expected = {"n8n/intake.json|SEC001|call": ("basic", "token in a header"),
                "n8n/intake.json|INJ001|call": ("deep", "not found by anything"),
                "nodered/api.json|AUTH001|in1": ("basic", "")}
    summary = bench.summarize(outcomes, triage, expected)
    n8n_auth = summary.rows[("n8n", "AUTH001")]
    assert (n8n_auth.findings, n8n_auth.tp, n8n_auth.fp, n8n_auth.precision) == (1, 1, 0, 1.0)
    assert summary.rows[("nodered", "AUTH001")].precision == 0.0
    assert summary.recall("n8n", "basic") == (1, 1)  # found without naming the field
    assert summary.recall("n8n", "deep") == (0, 1)
    assert summary.recall("nodered", "basic") == (1, 1)
    assert summary.fp_per_25("nodered") == 25.0  # one FP in one labelled app


def test_a_line_that_supersedes_another_counts_the_issue_once_found_by_either(
        bench: ModuleType, tmp_path: Path) -> None:
    outcomes, _ = bench.scan_corpus(write_corpus(tmp_path), ["AUTH001"])
    old, new = "n8n/intake.json|AUTH001|hook", "n8n/intake.json|ZZZ001|hook"
    expected = {old: ("basic", "open webhook"),
                new: ("basic", f"open webhook; supersedes {old}"),
                "n8n/intake.json|ZZZ002|call": ("basic", "found by nothing")}
    assert bench.superseded(expected) == {old: new}
    summary = bench.summarize(outcomes, {}, expected)
    assert summary.recall("n8n", "basic") == (1, 2)  # the old key's finding counts for new
    assert summary.rows[("n8n", "AUTH001")].expected["basic"] == [0, 0]


def test_a_crashing_check_is_an_internal_error_and_the_others_still_count(
        bench: ModuleType, tmp_path: Path) -> None:
    @check("TST900", title="crashes", category="configuration", severity="low")
    def test_crashes(nocode_app: App, nocode_findings: FindingCollector) -> None:
        raise RuntimeError("boom\nsecond line")

    root = write_corpus(tmp_path)
    registry = PlatformRegistry(builtin_platforms())
    checks = [test_crashes, *[c for c in bench.builtin_checks()
                              if bench.rule_of(c).id == "AUTH001"]]
    outcome = bench.scan_app(root / "n8n" / "intake.json", "n8n", registry, checks,
                             load_policy(None))
    assert outcome.internal_errors == ["TST900: RuntimeError: boom"]
    assert [f.rule for f in outcome.findings] == ["AUTH001"]
    summary = bench.summarize([outcome], {}, {})
    assert len(summary.internal_errors) == 1


def test_label_files_refuse_unknown_labels(bench: ModuleType, tmp_path: Path) -> None:
    triage = tmp_path / "triage.tsv"
    triage.write_text("key\tlabel\tnote\nn8n/a.json|SEC001|x\tmaybe\t\n", encoding="utf-8")
    with pytest.raises(bench.InputError, match="label must be one of TP, FP"):
        bench.read_triage(triage)


def test_apps_kind_splits_package_examples_from_deployments(bench: ModuleType, tmp_path: Path
                                                            ) -> None:
    """A package's example flow exists to show its own package: ``--apps`` measures the two
    kinds apart, and each file is in exactly one of them."""
    root = write_corpus(tmp_path)
    example = root / "nodered" / "npm__node-red-contrib-x__examples-demo-0a1b2c.json"
    example.write_text(json.dumps(nodered_flow()), encoding="utf-8")
    every = {p.name for _, p in bench.corpus_files(root)}
    examples = {p.name for _, p in bench.corpus_files(root, "examples")}
    deployments = {p.name for _, p in bench.corpus_files(root, "deployments")}
    assert examples == {example.name}
    assert deployments == every - examples
    outcomes, _ = bench.scan_corpus(root, ["AUTH001"], "examples")
    assert [o.file for o in outcomes] == [example.name]
    assert [f.rule for f in outcomes[0].findings] == ["AUTH001"]


def test_packages_scan_an_example_inside_its_package_under_the_same_keys(
        bench: ModuleType, tmp_path: Path) -> None:
    """``--packages``: the example flow is read where its package's CI reads it, beside the
    package.json that names its node types; the keys stay the corpus file's and the unpacked
    package is left as it was."""
    root = write_corpus(tmp_path / "corpus")
    name = "npm__node-red-contrib-sprinkler__examples-demo-0a1b2c.json"
    flows = [*nodered_flow(), {"id": "s1", "type": "sprinkler", "z": "t1", "wires": []}]
    (root / "nodered" / name).write_text(json.dumps(flows), encoding="utf-8")
    sources = tmp_path / "SOURCES.tsv"
    sources.write_text("file\tplatform\trepository\tcommit\tpath\n"
                       f"nodered/{name}\tnodered\tnpm:node-red-contrib-sprinkler@1.0.0\t-\t"
                       "examples/demo.json\n", encoding="utf-8")
    package = tmp_path / "packages" / "node-red-contrib-sprinkler"
    (package / "lib").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps(
        {"name": "node-red-contrib-sprinkler", "version": "1.0.0",
         "node-red": {"nodes": {"sprinkler": "lib/sprinkler.js"}}}), encoding="utf-8")
    (package / "lib" / "sprinkler.js").write_text(
        'module.exports = (RED) => RED.nodes.registerType("sprinkler", S);', encoding="utf-8")
    before = sorted(p.relative_to(package) for p in package.rglob("*"))

    alone, _ = bench.scan_corpus(root, ["CON001", "AUTH001"], "examples")
    inside, _ = bench.scan_corpus(root, ["CON001", "AUTH001"], "examples",
                                  tmp_path / "packages", sources)
    key = f"nodered/{name}|CON001|nodered-{Path(name).stem}"
    assert key in [f.key for f in alone[0].findings]
    assert [f.rule for f in inside[0].findings] == ["AUTH001"]
    assert [f.key for f in inside[0].findings] == [f.key for f in alone[0].findings
                                                   if f.rule == "AUTH001"]
    assert sorted(p.relative_to(package) for p in package.rglob("*")) == before


def test_a_mask_inside_a_route_is_counted_and_a_word_route_is_not(bench: ModuleType,
                                                                  tmp_path: Path) -> None:
    """A route that shares a value the scan holds secret shows the mask in AUTH001's message:
    the benchmark lists it, so a word taken for a secret shows up on real data."""
    token = "hk7Qz2Lm9Xw4Pv8Rt3Ny6Bd1"
    flow = nodered_flow()
    flow[1]["url"] = f"/orders/{token}"
    flow.append({"id": "fn1", "type": "function", "z": "t1", "wires": [[]],
                 "func": f'const hookToken = "{token}";\nreturn msg;'})
    (tmp_path / "nodered").mkdir()
    (tmp_path / "nodered" / "api.json").write_text(json.dumps(flow), encoding="utf-8")
    (tmp_path / "nodered" / "words.json").write_text(json.dumps(nodered_flow()),
                                                     encoding="utf-8")
    outcomes, _ = bench.scan_corpus(tmp_path, ["SEC001", "AUTH001"])
    assert bench.summarize(outcomes, {}, {}).masked_paths == ["nodered/api.json|AUTH001|in1"]


def test_examples_from_a_package_repository_count_as_examples(bench: ModuleType) -> None:
    """An example taken from the ``examples/`` folder of a node package's own repository is an
    example like one from its npm tarball; a deployment in such a repository is not."""
    assert bench.is_package_example(Path("owner__node-red-contrib-x__examples-flow-0a1b2c.json"))
    assert bench.is_package_example(Path("npm__node-red-contrib-x__examples-demo-0a1b2c.json"))
    deployment = Path("owner__node-red-contrib-x__node-red-flows-0a1b2c.json")
    assert not bench.is_package_example(deployment)
    assert not bench.is_package_example(Path("owner__home-config__examples-flows-0a1b2c.json"))


def test_a_rejected_staged_copy_is_reported_under_the_corpus_file(bench: ModuleType,
                                                                  tmp_path: Path) -> None:
    """An export scanned from a copy staged inside its package (or compose stack) that is
    rejected names the corpus file in the summary, never the temporary staging folder."""
    corpus = tmp_path / "corpus" / "n8n"
    corpus.mkdir(parents=True)
    name = "owner__backup__workflows-export-0a1b2c.json"
    bad = [{"name": "x", "active": "yes", "nodes": [], "connections": {}}]
    (corpus / name).write_text(json.dumps(bad), encoding="utf-8")
    staged = tmp_path / "staging-Xy12" / "owner__backup@abc" / "workflows" / "export.json"
    staged.parent.mkdir(parents=True)
    staged.write_text(json.dumps(bad), encoding="utf-8")
    registry = PlatformRegistry(builtin_platforms())
    outcome = bench.scan_app(corpus / name, "n8n", registry, [], load_policy(None), staged)
    assert outcome.rejected is not None and "staging-Xy12" not in outcome.rejected
    assert name in outcome.rejected
    summary = bench.summarize([outcome], {}, {})
    [(reason, count)] = summary.rejected["n8n"].items()
    assert count == 1 and reason.startswith("$[N].active: expected true or false")
    assert summary.rejected_files["n8n"][reason] == [name]
    out = io.StringIO()
    bench.print_summary(summary, [], out)
    [line] = [x for x in out.getvalue().splitlines() if "rejected   1 x" in x]
    assert line.endswith(f"({name})") and "staging" not in line
