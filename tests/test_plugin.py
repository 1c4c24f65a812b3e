"""Plugin behaviour through real pytest runs (pytester): options, ids, errors, custom checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA, DEMO, node, run_json, tab

INSECURE_FLOW = [
    tab(),
    node("in1", "http in", url="/run", method="post", wires=[["ex1"]]),
    node("ex1", "exec", command="ls", addpay="payload", wires=[["out1"], [], []]),
    node("out1", "http response", wires=[]),
]


def test_scans_a_flows_export_in_an_empty_folder(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    rules = {f["rule"] for f in report["findings"]}
    assert {"AUTH001", "INJ001"} <= rules
    inj = next(f for f in report["findings"] if f["rule"] == "INJ001")
    assert inj["resource"] == {"kind": "node", "id": "ex1", "name": "exec",
                               "path": "flows/t1/ex1"}
    assert inj["evidence"]["route"] == ["in1", "ex1"]
    assert inj["app"] == "nodered-flows" and inj["status"] == "fail"
    assert inj["check"].startswith("pytest_nocode/checks/test_injection.py::")
    assert report["schema"] == "pytest-nocode/findings/v1"
    assert len(report["apps"][0]["snapshot_sha256"]) == 64


def test_clean_flow_passes_with_exit_code_zero(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([tab(), node("a", "inject", wires=[["b"]]), node("b", "debug")])
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.OK
    assert report["findings"] == []
    result.stdout.fnmatch_lines(["*no findings*"])


def test_each_check_runs_once_per_app_with_readable_ids(pytester: pytest.Pytester,
                                                        write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q",
                                f"--nocode-app=nodered+file:{flows}",
                                f"--nocode-app=n8n+file:{DEMO / 'n8n'}")
    ids = [line for line in result.outlines if "::" in line]
    assert any(i.endswith("[nodered-flows]") for i in ids)
    assert any(i.endswith("[n8n-n8n]") for i in ids)
    per_app = {i.rsplit("[", 1)[0] for i in ids}
    assert len(ids) == 2 * len(per_app)


def test_demo_scans_offline_with_known_findings(pytester: pytest.Pytester) -> None:
    result, report = run_json(pytester, "--nocode-app=demo")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert {a["id"] for a in report["apps"]} == {"demo-nodered", "demo-n8n"}
    assert {a["source"] for a in report["apps"]} == {"demo"}
    by_app = {a: {f["rule"] for f in report["findings"] if f["app"] == a}
              for a in ("demo-nodered", "demo-n8n")}
    assert {"INJ001", "ENC001", "ENC002", "AUTH001"} <= by_app["demo-nodered"]
    assert {"INJ001", "ENC001", "AUTH001", "LOG001"} <= by_app["demo-n8n"]
    result.stdout.fnmatch_lines(["*pytest-nocode findings*", "*finding(s):*critical*"])


@pytest.mark.parametrize(("uri", "expected"), [
    ("nodered+gopher://x", "unknown transport 'gopher'"),
    ("zapier+file:x.json", "unknown platform 'zapier'"),
    ("flows.json", "expected PLATFORM+TRANSPORT://LOCATION"),
    ("nodered+https://admin:hunter2secret@flows.example.com",
     "credentials in the URI are refused"),
])
def test_bad_uri_is_one_clear_usage_error(pytester: pytest.Pytester, uri: str,
                                          expected: str) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app={uri}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stderr.str() + result.stdout.str()
    assert expected in text
    assert "Traceback" not in text
    assert "hunter2secret" not in text


@pytest.mark.parametrize(("name", "expected"), [
    ("missing.json", "missing.json: no such file"),
    ("malformed.json", "malformed.json:3:"),
    ("not-an-array.json", "$: expected a Node-RED flows export"),
])
def test_bad_export_is_one_clear_usage_error(pytester: pytest.Pytester, name: str,
                                             expected: str) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider",
                                f"--nocode-app=nodered+file:{DATA / 'nodered' / name}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stderr.str()
    assert expected in text
    assert "Traceback" not in text + result.stdout.str()
    assert result.stderr.str().count("ERROR:") == 1


def test_wrong_node_shape_names_the_json_path(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([tab(), {"id": "a", "type": "inject", "wires": "b"}])
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "$[1].wires: expected a list of output ports" in result.stderr.str()


CUSTOM_CHECKS = '''
from pytest_nocode import check

@check("ACME-001", title="No exec nodes", category="injection", severity="high")
def test_no_exec_nodes(nocode_app, nocode_findings):
    for step in nocode_app.steps_of_type("exec"):
        nocode_findings.add(step, "exec nodes are banned at Acme",
                            {"command": step.params["command"]})

def test_uses_the_raw_snapshot(nocode_app, nocode_snapshot, nocode_policy):
    assert nocode_snapshot.platform == nocode_app.platform == "nodered"
    assert len(nocode_snapshot.data["flows"]) == 4
    assert nocode_policy.source == "built-in default policy"
'''


def test_custom_checks_use_the_same_api(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    pytester.makepyfile(test_acme=CUSTOM_CHECKS)
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                              "--nocode-no-builtin")
    result.assert_outcomes(failed=1, passed=1)
    (finding,) = report["findings"]
    assert finding["rule"] == "ACME-001"
    assert finding["check"] == "test_acme.py::test_no_exec_nodes[nodered-flows]"
    assert finding["evidence"] == {"command": "ls"}
    result.stdout.fnmatch_lines(["*ACME-001 No exec nodes: 1 offending resource*",
                                 "*node ex1*exec nodes are banned at Acme*"])


def test_findings_without_a_check_decorator_is_a_clear_error(pytester: pytest.Pytester,
                                                              write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    pytester.makepyfile("def test_x(nocode_findings):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
                                "--nocode-no-builtin")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*decorate the test with @pytest_nocode.check*"])


def test_settings_checks_are_not_applicable_on_a_bare_export(pytester: pytest.Pytester,
                                                             write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    result, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}", "-rs")
    checks = {na["check"].split("::")[1] for na in report["not_applicable"]}
    assert "test_admin_api_requires_authentication[nodered-flows]" in checks
    assert all(na["reason"].startswith("not applicable") for na in report["not_applicable"])
    result.stdout.fnmatch_lines(["*SKIPPED*not applicable*"])


def test_snapshot_settings_are_checked(pytester: pytest.Pytester) -> None:
    _, report = run_json(pytester,
                         f"--nocode-app=nodered+file:{DATA / 'nodered' / 'snapshot.json'}")
    rules = {f["rule"] for f in report["findings"]}
    assert {"AUTH002", "AUTH003", "ENC003", "CON003", "CON004", "CFG001", "CFG002"} <= rules
    admin = next(f for f in report["findings"] if f["rule"] == "AUTH002")
    assert admin["resource"]["kind"] == "setting" and admin["resource"]["id"] == "adminAuth"


def test_apps_from_ini(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    pytester.makeini(f"[pytest]\nnocode_apps =\n    nodered+file:{flows}\n")
    result, report = run_json(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["apps"][0]["id"] == "nodered-flows"


def test_same_findings_under_xdist(pytester: pytest.Pytester) -> None:
    serial, serial_report = run_json(pytester, "--nocode-app=demo")
    parallel = pytester.runpytest("-p", "no:cacheprovider", "-n", "4", "--nocode-app=demo",
                                  f"--nocode-json={pytester.path / 'x.json'}")
    parallel_report = json.loads((pytester.path / "x.json").read_text())
    assert parallel.ret == serial.ret == pytest.ExitCode.TESTS_FAILED
    assert serial_report["findings"] == parallel_report["findings"]
    assert serial_report["apps"] == parallel_report["apps"]


COUNT_LOADING = """
import os
from pathlib import Path

from pytest_nocode import dataflow, loading
from pytest_nocode.platforms import n8n, nodered
from pytest_nocode.secretscan import scanner

LOG = Path(__file__).parent / "loading.log"
loading.SCAN_PART_STEPS = 3  # the demo apps' scans in many parts, as a large app's are


def _log(line):
    with LOG.open("a") as fh:
        fh.write(f"{line} {os.getpid()}\\n")


def pytest_configure(config):
    if getattr(scanner, "_counted", False):
        return
    scanner._counted = True
    scan_step = scanner._scan_step

    def logged_scan(scanner_, step):
        _log(f"scan {step.id}")
        return scan_step(scanner_, step)

    scanner._scan_step = logged_scan
    credential_sinks = scanner.credential_sinks

    def logged_sinks(app):  # what the scan asks of the whole app, before its first step
        _log(f"sinks {app.id}")
        return credential_sinks(app)

    scanner.credential_sinks = logged_sinks
    for platform in (n8n.N8nPlatform, nodered.NodeRedPlatform):
        def logged_normalize(self, spec, raw, _normalize=platform.normalize):
            _log(f"normalize {spec.id}")
            return _normalize(self, spec, raw)

        platform.normalize = logged_normalize
    # n8n builds a folder file by file (the demo's is a folder): that is its normalizing
    normalize_export = n8n.N8nPlatform.normalize_export

    def logged_normalize_export(self, spec, path, share=None, describe=None):
        _log(f"normalize {spec.id}")
        if describe is not None:
            _log(f"describing {spec.id}")  # its steps described while loading
        return normalize_export(self, spec, path, share=share, describe=describe)

    n8n.N8nPlatform.normalize_export = logged_normalize_export
    read_json_file = n8n.read_json_file

    def logged_read(path):  # each file it builds
        _log(f"read {path.name}")
        return read_json_file(path)

    n8n.read_json_file = logged_read
    describe_steps = dataflow.describe_steps

    def logged_describe_steps(app, start, stop):  # the data flow's descriptions
        for step in app.steps[start:stop]:
            if app.platform != "n8n":  # (n8n's: below)
                _log(f"describe {step.id}")
        return describe_steps(app, start, stop)

    dataflow.describe_steps = logged_describe_steps
    describe = n8n.N8nFlows.describe

    def logged_describe(self, step):  # judging entry points, the data flow, while loading
        _log(f"describe {step.id}")
        return describe(self, step)

    n8n.N8nFlows.describe = logged_describe
    walk = dataflow.DataFlow.__init__

    def logged_walk(self, app):  # the data-flow walk
        _log(f"walk {app.id}")
        walk(self, app)

    dataflow.DataFlow.__init__ = logged_walk
"""


def _loading_log(pytester: pytest.Pytester) -> list[tuple[str, str, str]]:
    """(what, app or step id, process id) per line of the COUNT_LOADING conftest's log."""
    lines = (pytester.path / "loading.log").read_text().splitlines()
    return [(what, name, pid) for what, name, pid in (line.split(" ") for line in lines)]


def test_xdist_workers_load_files_once_each_and_share_one_secret_scan(
        pytester: pytest.Pytester) -> None:
    """Under xdist an app read from files is normalized by each worker, never by the
    controller (the workers tell it what its reports need); each file of an n8n folder is
    read and built once in the whole run, and each step scanned for secrets, and described
    for the data flow, once, and each app's data flow walked once, as serially: the workers
    share the built files, the scan, the descriptions and the walked state through the run
    folder (SEC001 still finds the demo's secrets, and the same findings and snapshot hashes
    as a serial run)."""
    pytester.makeconftest(COUNT_LOADING)
    serial = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--nocode-app=demo",
                                           f"--nocode-json={pytester.path / 's.json'}")
    serial_report = json.loads((pytester.path / "s.json").read_text())
    serial_scans = sorted(name for what, name, _ in _loading_log(pytester) if what == "scan")
    serial_describes = sorted(name for what, name, _ in _loading_log(pytester)
                              if what == "describe")
    serial_reads = sorted(name for what, name, _ in _loading_log(pytester) if what == "read")
    serial_walks = sorted(name for what, name, _ in _loading_log(pytester) if what == "walk")
    (pytester.path / "loading.log").unlink()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                           "--nocode-app=demo",
                                           f"--nocode-json={pytester.path / 'x.json'}")
    assert result.ret == serial.ret == pytest.ExitCode.TESTS_FAILED
    log = _loading_log(pytester)
    normalized = [(name, pid) for what, name, pid in log if what == "normalize"]
    assert len(set(normalized)) == len(normalized)  # never twice in one process
    assert {name for name, _ in normalized} == {"demo-n8n", "demo-nodered"}
    assert len({pid for _, pid in normalized}) == 2  # both workers, not the controller
    scanned = sorted(name for what, name, _ in log if what == "scan")
    assert scanned and scanned == serial_scans  # each step once in the run, as serially
    walks = [(name, pid) for what, name, pid in log if what == "sinks"]
    assert walks and len(set(walks)) == len(walks)  # the whole app once per worker at most
    assert {pid for _, pid in walks} <= {pid for _, pid in normalized}  # not the controller
    described = sorted(name for what, name, _ in log if what == "describe")
    assert described and described == serial_describes  # not once per worker
    # (n8n's steps while loading, so judging its entry points described nothing again)
    assert sorted(pid for what, name, pid in log if what == "describing") == sorted(
        pid for name, pid in normalized if name == "demo-n8n")
    read = sorted(name for what, name, _ in log if what == "read")
    assert read and read == serial_reads  # each n8n file once in the run
    walked = sorted(name for what, name, _ in log if what == "walk")
    assert walked and walked == serial_walks  # each app's data flow walked once in the run
    report = json.loads((pytester.path / "x.json").read_text())
    assert {f["app"] for f in report["findings"] if f["rule"] == "SEC001"} == {
        "demo-n8n", "demo-nodered"}
    assert report["findings"] == serial_report["findings"]
    assert report["apps"] == serial_report["apps"]  # snapshot hashes, sources, notes


def test_xdist_workers_of_a_narrowed_run_describe_no_steps_while_loading(
        pytester: pytest.Pytester) -> None:
    """A run that selects some checks may build no data flow: its workers describe steps
    only when a check asks, not while loading."""
    pytester.makeconftest(COUNT_LOADING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                           "--nocode-app=demo", "-k", "hardcoded_credentials")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    log = _loading_log(pytester)
    assert [name for what, name, _ in log if what == "normalize"].count("demo-n8n") == 2
    assert not [name for what, name, _ in log if what == "describing"]
    described = [(name, pid) for what, name, pid in log if what == "describe"]
    assert len(set(described)) == len(described)  # only what judging the entry points asks


def test_no_app_means_no_builtin_checks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_policy_severity_override_and_disable(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    policy = pytester.path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  INJ001:\n    severity: low\n"
                      "  AUTH001:\n    enabled: false\n")
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                         f"--nocode-policy={policy}")
    rules = {f["rule"]: f["severity"] for f in report["findings"]}
    assert rules["INJ001"] == "low"
    assert "AUTH001" not in rules
    assert report["run"]["policy_sha256"]


@pytest.mark.parametrize(("text", "expected"), [
    ("version: 1\nconectors: {}\n", "policy.yaml:2: $: unknown key 'conectors'"),
    ("version: 1\nhosts:\n  allow: api.example.com\n", "policy.yaml:3: $.hosts.allow: expected"
                                                       " array, got str"),
    ("version: 1\nhosts:\n  allow:\n    - 'api.[example.com'\n",
     "policy.yaml:4: $.hosts.allow[0]: expected a glob"),
    ("version: 1\nrules:\n  INJ001:\n    severity: urgent\n",
     "policy.yaml:4: $.rules.INJ001.severity: expected one of critical"),
    ("version: 1\nhosts: [\n", "policy.yaml:3: invalid YAML"),
])
def test_policy_errors_name_file_line_and_shape(pytester: pytest.Pytester, write_flows,
                                                text: str, expected: str) -> None:
    flows = write_flows(INSECURE_FLOW)
    policy = pytester.path / "policy.yaml"
    policy.write_text(text)
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
                                f"--nocode-policy={policy}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_policy_allowlists(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows([
        tab(),
        node("a", "inject", wires=[["r1", "r2"]]),
        node("r1", "http request", url="https://api.good.example/x", wires=[["c1"]]),
        node("r2", "http request", url="https://evil.example.net/x", wires=[[]]),
        node("c1", "acme-custom-node", wires=[]),
    ])
    policy = pytester.path / "policy.yaml"
    policy.write_text("version: 1\nhosts:\n  allow: ['*.good.example']\n"
                      "connectors:\n  allow: [node-red, acme-custom-*]\n")
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}",
                         f"--nocode-policy={policy}")
    con = [(f["rule"], f["resource"]["id"]) for f in report["findings"]
           if f["rule"].startswith("CON")]
    assert con == [("CON002", "r2")]


def test_hash_is_stable_across_key_order(pytester: pytest.Pytester, write_flows) -> None:
    a = write_flows(INSECURE_FLOW, "a.json")
    b = write_flows([dict(reversed(list(n.items()))) for n in reversed(INSECURE_FLOW)],
                    "b.json")
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{a}",
                         f"--nocode-app=nodered+file:{b}")
    hashes = {app["snapshot_sha256"] for app in report["apps"]}
    assert len(report["apps"]) == 2 and len(hashes) == 1


def test_report_paths_relative_to_invocation(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(INSECURE_FLOW)
    pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
                       "--nocode-json=out/report.json")
    assert Path(pytester.path / "out" / "report.json").is_file()


MODULES_SEEN = """
import sys

def pytest_unconfigure(config):
    seen = sorted({m.split(".")[0] for m in sys.modules}
                  & {"jsonschema", "faker", "jsonata", "nodesemver"})
    (config.rootpath / "modules.txt").write_text(" ".join(seen))
"""

OWN_ADVISORIES = """\
version: 1
advisories:
  - id: GHSA-aaaa-bbbb-cccc
    package: n8n
    affected: [">=1.0.0 <1.2.0"]
    severity: high
    summary: a made-up advisory for the test
"""


@pytest.mark.parametrize(("policy", "advisories", "expected"), [
    ("", "", ""), ("version: 1\n", "", "jsonschema"),
    ("", OWN_ADVISORIES, "jsonschema nodesemver")])
def test_jsonschema_and_faker_load_only_when_needed(pytester: pytest.Pytester, policy: str,
                                                    advisories: str, expected: str) -> None:
    """A plain scan imports neither (a third of a second each at start-up); a policy file
    the user gives is validated with jsonschema; faker is for recording only. JSONata's
    library is imported for the first expression read, and the demo has none; node-semver
    for the first version range read or compared (an advisory table of one's own), and the
    demo, whose platforms give no version, compares none."""
    pytester.makeconftest(MODULES_SEEN)
    args = ["-p", "no:cacheprovider", "-p", "no:faker", "-p", "no:hypothesispytest",
            "--nocode-app=demo"]
    if policy:
        (pytester.path / "policy.yaml").write_text(policy)
        args.append(f"--nocode-policy={pytester.path / 'policy.yaml'}")
    if advisories:
        (pytester.path / "advisories.yaml").write_text(advisories)
        args.append(f"--nocode-advisories={pytester.path / 'advisories.yaml'}")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the demo's findings
    assert (pytester.path / "modules.txt").read_text() == expected


def test_every_plugin_module_opts_out_of_assertion_rewriting() -> None:
    """pytest rewrites the asserts of every module a ``pytest11`` plugin imports unless the
    module's docstring says ``PYTEST_DONT_REWRITE``; the plugin's modules hold no assertion
    that needs it, and rewriting them all cost about 1.9 s of start-up. A new module that
    forgets the marker brings that cost back, one module at a time."""
    import ast

    import pytest_nocode

    package = Path(pytest_nocode.__file__).parent
    missing = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
               if "PYTEST_DONT_REWRITE" not in (ast.get_docstring(ast.parse(
                   path.read_text(encoding="utf-8"))) or "")]
    assert missing == [], f"modules without PYTEST_DONT_REWRITE in their docstring: {missing}"
