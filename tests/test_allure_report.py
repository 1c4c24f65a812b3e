"""Allure end to end: audit labels, owners and evidence in the results (under xdist), no secret
anywhere in allure-results, and the HTML report built with Allure 3 and opened in Chromium.

The HTML test installs npm ``allure`` 3 into ``<repo>/.cache/allure`` (once) and needs Debian's
``chromium`` (``apt-get install -y chromium``): without it the test fails, it never skips.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from datetime import date, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.redaction import Redactor
from pytest_nocode.reporting.allure import CATEGORIES, LOAD_ERROR_MARK, ResultFilter
from tests.conftest import node, tab

REPO = Path(__file__).resolve().parent.parent
ALLURE_VERSION = "3.18.0"
ALLURE_DIR = REPO / ".cache" / "allure"
ALLURE_BIN = ALLURE_DIR / "node_modules" / ".bin" / "allure"
CHROMIUM = Path("/usr/bin/chromium")

# Planted secrets: a Stripe key in code, a password in a URL, and a token in the environment
# that a (deliberately careless) custom check prints, reports and asserts on.
CANARY_KEY = "sk_live_" + "Zq8Xw3Lm5Nv7Bc2Df4Gh6Jk9"
CANARY_URL_PASSWORD = "Tr0ub4dor-canary-77"
CANARY_TOKEN = "tok-canary-5e1f0c2b9a8d7e6f"
CANARIES = (CANARY_KEY, CANARY_URL_PASSWORD, CANARY_TOKEN)
EVIDENCE_MARKER = "evidence-marker-7f3a9c"
LEAK_TITLE = "LEAK001 · Careless custom check"
FUTURE = (date.today() + timedelta(days=30)).isoformat()
PAST = (date.today() - timedelta(days=3)).isoformat()

CANARY_FLOW = [
    tab("t1", "Orders"),
    node("in1", "http in", url="/orders", method="post", wires=[["fn1"]]),
    node("fn1", "function", name="sign", func=f'const key = "{CANARY_KEY}";\nreturn msg;',
         wires=[["req1"]]),
    node("req1", "http request", name="push",
         url=f"https://svc:{CANARY_URL_PASSWORD}@partner.example.com/orders", wires=[[]]),
]

LEAKY_CHECKS = f'''
import os
from pytest_nocode import check

@check("LEAK001", title="Careless custom check", category="secrets", severity="medium",
       remediation="Never print tokens.", docs="https://example.com/rules/LEAK001")
def test_leaky_check(nocode_app, nocode_findings):
    token = os.environ["NOCODE_NODERED_TOKEN"]
    print("debug token", token)
    for step in nocode_app.steps_of_type("http in"):
        nocode_findings.add(step, f"route uses token {{token}}",
                            {{"token": token, "marker": "{EVIDENCE_MARKER}",
                              "route": step.params.get("url")}})

@check("LEAK002", title="Check that crashes", category="secrets", severity="low")
def test_crashing_check(nocode_app, nocode_findings):
    token = os.environ["NOCODE_NODERED_TOKEN"]
    assert token == "something else", f"bad token {{token}}"
'''

POLICY = f"""\
version: 1
owners:
  - owner: team-orders
    app: nodered-canary
    workflow: Orders
  - owner: secops
    app: "*"
waivers:
  - rule: LOG002
    app: nodered-canary
    justification: errors are monitored by the platform team's status dashboard
    owner: platform-team
    expires: "{FUTURE}"
    ticket: SEC-7
  - rule: AUTH001
    app: nodered-canary
    resources: [in1]
    justification: was behind the old gateway during the pilot
    owner: platform-team
    expires: "{PAST}"
"""


def _run_scan(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
              results: Path) -> pytest.RunResult:
    """demo + the canary app, with owners, a waiver and an expired waiver, under xdist."""
    for name in ("CI", "GITLAB_CI", "JENKINS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOCODE_NODERED_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/flows")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    monkeypatch.setenv("GITHUB_RUN_NUMBER", "17")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    flows = pytester.path / "canary.json"
    flows.write_text(json.dumps(CANARY_FLOW), encoding="utf-8")
    pytester.makepyfile(test_custom=LEAKY_CHECKS)
    (pytester.path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "no:benchmark", "-n", "2",
        "--nocode-app=demo", f"--nocode-app=nodered+file:{flows}",
        "--nocode-policy=policy.yaml", f"--alluredir={results}",
        f"--nocode-json={pytester.path / 'findings.json'}")


def _results(folder: Path) -> dict[str, dict[str, Any]]:
    """Each result by its pytest id (``test_x[app]``): its Allure title is its rule's."""
    out = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        params = {p["name"]: p["value"] for p in data.get("parameters", [])}
        app = params["nocode_app"].strip("'\"") if "nocode_app" in params else None
        out[data["fullName"].rsplit("#", 1)[1] + (f"[{app}]" if app else "")] = data
    return out


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def _attachment(folder: Path, result: dict[str, Any], prefix: str) -> list[Any]:
    return [(folder / a["source"]).read_text(encoding="utf-8") for a in result["attachments"]
            if a["name"].startswith(prefix)]


def test_results_carry_audit_labels_evidence_and_no_secret(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    results = pytester.path / "allure-results"
    outcome = _run_scan(pytester, monkeypatch, results)
    assert outcome.ret == pytest.ExitCode.TESTS_FAILED
    by_name = _results(results)

    sec = by_name["test_no_hardcoded_credentials[nodered-canary]"]
    assert sec["status"] == "failed"
    assert _labels(sec, "severity") == ["blocker"]  # a critical finding
    assert _labels(sec, "epic") == ["nodered-canary"]
    assert _labels(sec, "feature") == ["secrets"]
    assert _labels(sec, "story")[0].startswith("SEC001 ")
    # the auditor's tree, App > category > rule, in Allure 2's labels and Allure 3's titlePath
    heading = "SEC001 · Hard-coded credential in configuration"
    assert sec["name"] == heading
    assert [_labels(sec, n) for n in ("parentSuite", "suite", "subSuite")] == [
        ["nodered-canary"], ["secrets"], [heading]]
    assert sec["titlePath"] == ["nodered-canary", "secrets", heading]
    assert all(len(_labels(r, "severity")) == 1 for r in by_name.values())
    assert len(_labels(sec, "rule")) == 1 and len(_labels(sec, "tag")) == len(
        set(_labels(sec, "tag")))
    assert {"SEC001", "secrets", "LCNC-SEC-08"} <= set(_labels(sec, "tag"))
    assert _labels(sec, "owasp") == ["LCNC-SEC-08"] and _labels(sec, "rule") == ["SEC001"]
    assert _labels(sec, "owner") == ["team-orders"]  # by workflow name
    evidence = [json.loads(text) for text in _attachment(results, sec, "evidence: node ")]
    assert {e["resource"]["id"] for e in evidence} == {"fn1", "req1"}
    assert all(e["findings"][0]["evidence"] for e in evidence)
    assert all(isinstance(e["findings"][0]["risk"], int) for e in evidence)
    assert _attachment(results, sec, "remediation")[0].strip()
    excerpt = _attachment(results, sec, "policy excerpt")[0]
    assert "sha256:" in excerpt and "team-orders" in excerpt

    leak = by_name["test_leaky_check[nodered-canary]"]
    assert _labels(leak, "severity") == ["normal"] and _labels(leak, "owner") == ["team-orders"]
    assert {"url": "https://example.com/rules/LEAK001", "name": "LEAK001 documentation",
            "type": "link"} in leak["links"]
    [leak_evidence] = _attachment(results, leak, "evidence: node in1")
    assert EVIDENCE_MARKER in leak_evidence and "masked" in leak_evidence
    assert _labels(by_name["test_leaky_check[demo-nodered]"], "owner") == ["secops"]
    assert _labels(by_name["test_leaky_check[demo-nodered]"], "epic") == ["demo-nodered"]

    waived = by_name["test_entry_flows_catch_errors[nodered-canary]"]
    assert waived["status"] == "passed"
    assert waived["statusDetails"]["message"].startswith("waived (accepted risk): ")
    assert "platform-team" in waived["statusDetails"]["message"]
    assert _labels(waived, "nocode_outcome") == ["waived"]
    expired = by_name["test_entry_points_require_authentication[nodered-canary]"]
    assert expired["status"] == "failed" and "(waiver expired" in expired["statusDetails"][
        "message"]
    assert _labels(expired, "nocode_outcome") == ["expired"]
    crashed = by_name["test_crashing_check[nodered-canary]"]
    assert crashed["status"] == "failed" and "bad token" in crashed["statusDetails"]["message"]

    env = (results / "environment.properties").read_text(encoding="ascii")
    report = json.loads((pytester.path / "findings.json").read_text())
    for app in report["apps"]:
        assert f"app.{app['id']}.snapshot_sha256={app['snapshot_sha256']}" in env
        assert f"app.{app['id']}.source={app['source']}" in env
    assert f"policy.sha256={report['run']['policy_sha256']}" in env
    assert "tool.version=pytest-nocode " in env and "platforms=n8n, nodered" in env
    assert "(CI actor octocat)" in env and "run.started=" in env and "run.finished=" in env
    canary_risk = next(a["risk"] for a in report["apps"] if a["id"] == "nodered-canary")
    assert f"app.nodered-canary.risk=max {canary_risk['max']}, sum {canary_risk['sum']}" in env
    top = report["top_risks"][0]
    assert f"top_risk.1={top['risk']} {top['app']} {top['rule']} " in env
    executor = json.loads((results / "executor.json").read_text())
    assert executor["type"] == "github" and executor["buildOrder"] == 17
    assert executor["buildUrl"] == "https://github.com/acme/flows/actions/runs/4242"
    categories = json.loads((results / "categories.json").read_text())
    assert categories == CATEGORIES

    files = [p for p in results.rglob("*") if p.is_file()]
    assert len(files) > 50
    for path in files:
        data = path.read_bytes()
        for canary in CANARIES:
            assert canary.encode() not in data, f"{canary} leaked into {path.name}"


def test_result_filter_marks_load_errors_broken_and_masks() -> None:
    from allure_commons.model2 import Label, Status, StatusDetails, TestResult, TestStepResult

    result = TestResult(name="t", status=Status.FAILED,
                        statusDetails=StatusDetails(
                            message=f"Failed: app x {LOAD_ERROR_MARK}: 401 for {CANARY_TOKEN}"),
                        steps=[TestStepResult(name=f"step {CANARY_TOKEN}")],
                        labels=[Label("nocode_outcome", "fail")])
    ResultFilter(Redactor([CANARY_TOKEN])).report_result(result=result)
    assert result.status == Status.BROKEN
    assert CANARY_TOKEN not in result.statusDetails.message
    assert CANARY_TOKEN not in result.steps[0].name


# -- the HTML report -------------------------------------------------------------------------
def _allure_cli() -> Path:
    """npm allure 3, installed once into the repo's cache (it needs only Node)."""
    if ALLURE_BIN.exists():
        return ALLURE_BIN
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install Allure 3 (Node 20+), and it is not on PATH")
    done = subprocess.run([npm, "install", "--prefix", str(ALLURE_DIR), "--no-audit",
                           "--no-fund", f"allure@{ALLURE_VERSION}"],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not ALLURE_BIN.exists():
        pytest.fail(f"npm install allure@{ALLURE_VERSION} failed:\n{done.stderr[-2000:]}")
    return ALLURE_BIN


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_html_report_shows_the_evidence(pytester: pytest.Pytester,
                                        monkeypatch: pytest.MonkeyPatch,
                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y "
                    "chromium) to check the HTML report; this test does not skip")
    allure = _allure_cli()
    results = pytester.path / "allure-results"
    _run_scan(pytester, monkeypatch, results)
    report = tmp_path_factory.mktemp("report") / "html"
    built = subprocess.run([str(allure), "generate", str(results), "-o", str(report),
                            "--config", str(results / "allurerc.json")],
                           capture_output=True, text=True, timeout=300, check=False,
                           env={**os.environ, "NO_COLOR": "1"})
    assert built.returncode == 0, built.stdout + built.stderr
    assert (report / "index.html").exists()
    target = None
    for path in (report / "data" / "test-results").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("name") == LEAK_TITLE and any(
                p["value"].strip("'") == "nodered-canary" for p in data["parameters"]):
            target = data["id"]
    assert target, "the check's result is not in the report"
    # the tree an auditor navigates: App > category > rule, not Python modules
    tree = json.loads((report / "widgets" / "tree.json").read_text(encoding="utf-8"))
    groups = tree["groupsById"]
    apps = {groups[g]["name"]: g for g in tree["root"]["groups"]}
    assert set(apps) == {"demo-nodered", "demo-n8n", "nodered-canary"}
    categories = {groups[g]["name"]: g for g in groups[apps["nodered-canary"]]["groups"]}
    assert "secrets" in categories and "pytest_nocode" not in categories
    rules = [groups[g]["name"] for g in groups[categories["secrets"]]["groups"]]
    assert LEAK_TITLE in rules and "SEC001 · Hard-coded credential in configuration" in rules
    # Allure 3 reads the categories from the shipped configuration
    shown_categories = json.loads((report / "widgets" / "categories.json").read_text())
    names = {node.get("name") for node in shown_categories["nodes"].values()}
    assert {"Security findings", "Waived findings (accepted risks)",
            "Findings with an expired waiver"} <= names

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(report)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html#{target}"
        shown = _chromium(url, tmp_path_factory.mktemp("chromium-profile"))
    finally:
        server.shutdown()
        server.server_close()
    _assert_shows_evidence(shown)
    for path in report.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(c.encode() in data for c in CANARIES), path

    # the single-file variant the docs recommend for sharing: opens from file://, no server
    config = tmp_path_factory.mktemp("cfg") / "allurerc.mjs"
    single = report.parent / "single"
    config.write_text(ALLURERC.replace("OUTPUT", single.as_posix()), encoding="utf-8")
    built = subprocess.run([str(allure), "generate", str(results), "--config", str(config)],
                           capture_output=True, text=True, timeout=300, check=False,
                           env={**os.environ, "NO_COLOR": "1"})
    assert built.returncode == 0, built.stdout + built.stderr
    assert not (single / "data").exists()  # everything is inside index.html
    shown = _chromium(f"{(single / 'index.html').as_uri()}#{target}",
                      tmp_path_factory.mktemp("chromium-profile"))
    _assert_shows_evidence(shown)


ALLURERC = """export default {
  name: "pytest-nocode audit",
  output: "OUTPUT",
  plugins: { awesome: { options: { singleFile: true, reportName: "pytest-nocode audit" } } },
};
"""


def _chromium(url: str, profile: Path, attempts: int = 3) -> subprocess.CompletedProcess[str]:
    """The page's DOM once the report's scripts have drawn the test case. The report loads
    its data with fetches that virtual time does not wait for, so on a busy machine the dump
    can come before the page is drawn: dump again (at most ``attempts`` times) rather than
    judge a half-drawn page."""
    shown = None
    for _ in range(attempts):
        shown = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=20000",
             "--dump-dom", url],
            capture_output=True, text=True, timeout=180, check=False)
        if shown.returncode == 0 and LEAK_TITLE in shown.stdout \
                and EVIDENCE_MARKER in shown.stdout:
            break
    assert shown is not None
    return shown


def _assert_shows_evidence(shown: subprocess.CompletedProcess[str]) -> None:
    dom = shown.stdout
    assert shown.returncode == 0 and "<html" in dom, shown.stderr[-2000:]
    assert LEAK_TITLE in dom, "the test case page did not render"
    assert EVIDENCE_MARKER in dom, "the finding's evidence is not shown on its page"
    assert "evidence: node in1" in dom  # the attachment is listed
    for canary in CANARIES:
        assert canary not in dom


# -- helpers, without a run ------------------------------------------------------------------
def test_severity_mapping_takes_the_worst_of_rule_and_findings() -> None:
    from pytest_nocode.findings import Rule, Severity
    from pytest_nocode.reporting.allure import SEVERITY_TO_ALLURE, allure_severity

    assert SEVERITY_TO_ALLURE == {"critical": "blocker", "high": "critical", "medium": "normal",
                                  "low": "minor", "info": "trivial"}
    rule = Rule("R1", "t", "secrets", Severity.LOW, ("LCNC-SEC-08",))
    assert allure_severity(rule, []) == "minor"
    assert allure_severity(rule, [{"severity": "info"}, {"severity": "high"}]) == "critical"


def test_owner_by_workflow_tag_and_app_fallback() -> None:
    from pytest_nocode.model import App, Workflow
    from pytest_nocode.policy import load_policy_text
    from pytest_nocode.reporting.allure import owners_for, workflow_of

    policy = load_policy_text("owners:\n  - owner: billing\n    tag: finance\n"
                              "  - owner: ops\n    app: 'n8n-*'\n", "p.yaml")
    app = App("n8n-x", "n8n", "x", frozenset({"workflows"}), workflows=(
        Workflow("w1", "Invoices", "workflows/w1", tags=("finance",)),
        Workflow("w2", "Other", "workflows/w2")))
    assert workflow_of("workflows/w1/node") == "w1" and workflow_of("settings/x") == ""
    found = [{"resource": {"path": "workflows/w1/n"}}, {"resource": {"path": "workflows/w2"}}]
    assert owners_for(policy, app, "n8n-x", found) == ["billing", "ops"]
    assert owners_for(policy, app, "n8n-x", []) == ["ops"]
    assert owners_for(policy, app, "nodered-y", []) == []


def test_environment_properties_escape_keys_and_values() -> None:
    from pytest_nocode.reporting.allure import _escape

    assert _escape("app.a b:c=d", key=True) == "app.a\\ b\\:c\\=d"
    assert _escape("line1\nline2 café") == "line1\\nline2 caf\\u00e9"


def test_layout_keeps_one_of_each_label_and_the_worst_severity() -> None:
    from allure_commons.model2 import Label, TestResult

    from pytest_nocode.reporting.allure import _lay_out

    check = TestResult(name="test_x[app]", labels=[
        Label("severity", "normal"), Label("parentSuite", "app"), Label("suite", "secrets"),
        Label("subSuite", "SEC001 · t"), Label("rule", "SEC001"), Label("severity", "blocker"),
        Label("rule", "SEC001"), Label("severity", "minor")])
    _lay_out(check)
    assert check.name == "SEC001 · t" and check.titlePath == ["app", "secrets", "SEC001 · t"]
    assert [(lb.name, lb.value) for lb in check.labels if lb.name in ("severity", "rule")] == [
        ("rule", "SEC001"), ("severity", "blocker")]
    # a user's own test (no rule) keeps its name and pytest's suites
    plain = TestResult(name="test_mine", titlePath=["tests", "test_mine.py"], labels=[
        Label("parentSuite", "tests"), Label("suite", "test_mine"), Label("subSuite", "C")])
    _lay_out(plain)
    assert plain.name == "test_mine" and plain.titlePath == ["tests", "test_mine.py"]


def test_past_fifty_resources_the_rest_share_one_evidence_attachment(
        pytester: pytest.Pytester) -> None:
    """Each attachment is a file allure-commons writes and renames: a check with thousands of
    offending resources gets one each for the 50 its overview describes, one for the rest."""
    flows = [tab("t1", "Hosts")] + [
        node(f"ex{i}", "exec", command=f"ping host-{i}", wires=[[], [], []]) for i in range(53)]
    (pytester.path / "many.json").write_text(json.dumps(flows), encoding="utf-8")
    pytester.makepyfile(test_every_exec="""
from pytest_nocode import check

@check("EVERY001", title="Every exec node", category="injection", severity="low")
def test_every_exec(nocode_app, nocode_findings):
    for step in nocode_app.steps_of_type("exec"):
        nocode_findings.add(step, "an exec node", {"command": step.params.get("command")})
""")
    results = pytester.path / "allure"
    pytester.runpytest("-p", "no:cacheprovider", "--nocode-app=nodered+file:many.json",
                       "--nocode-no-builtin", f"--alluredir={results}")
    [result] = _results(results).values()
    names = [a["name"] for a in result["attachments"] if a["name"].startswith("evidence: ")]
    assert len(names) == 51
    assert names[:2] == ["evidence: node ex0 (exec)", "evidence: node ex1 (exec)"]
    assert names[-1] == "evidence: 3 more resource(s)"
    [rest] = _attachment(results, result, "evidence: 3 more")
    assert [b["resource"]["id"] for b in json.loads(rest)] == ["ex50", "ex51", "ex52"]
    assert all(b["findings"][0]["evidence"]["command"] for b in json.loads(rest))
    # written to its file in pieces, it reads as the others do: json.dumps, indented
    assert rest == json.dumps(json.loads(rest), indent=2, ensure_ascii=False)


def test_a_check_that_skips_or_breaks_off_is_never_labelled_pass(
        pytester: pytest.Pytester) -> None:
    """The outcome label is the auditor's verdict: a check that skipped in its body, or broke
    off, did not judge the app, so it must not read ``pass``; one that judged still does."""
    (pytester.path / "hosts.json").write_text(json.dumps(
        [tab("t1", "Hosts"), node("ex1", "exec", command="uptime", wires=[[], [], []])]),
        encoding="utf-8")
    pytester.makepyfile(test_stops="""
import pytest
from pytest_nocode import check

@check("STOP001", title="Skips in its body", category="logging", severity="low")
def test_skips(nocode_app, nocode_findings):
    pytest.skip("nothing to judge here")

@check("STOP002", title="Breaks off", category="logging", severity="low")
def test_breaks_off(nocode_app, nocode_findings):
    raise RuntimeError("lost the data")

@check("STOP003", title="Judges and finds nothing", category="logging", severity="low")
def test_judges(nocode_app, nocode_findings):
    assert nocode_app.steps_of_type("exec")
""")
    results = pytester.path / "allure"
    pytester.runpytest("-p", "no:cacheprovider", "--nocode-app=nodered+file:hosts.json",
                       "--nocode-no-builtin", f"--alluredir={results}")
    by_name = {name.split("[")[0]: r for name, r in _results(results).items()}
    assert by_name["test_skips"]["status"] == "skipped"
    assert _labels(by_name["test_skips"], "nocode_outcome") == ["skipped"]
    assert by_name["test_breaks_off"]["status"] == "broken"
    assert _labels(by_name["test_breaks_off"], "nocode_outcome") == ["error"]
    assert _labels(by_name["test_judges"], "nocode_outcome") == ["pass"]
