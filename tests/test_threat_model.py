"""Threat models drawn from configuration: elements, flows, boundaries, threats and their
evidence; stable ids; the register; Mermaid and DOT forms; summarising large apps; the
plugin's files, notes and Allure result."""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.appspec import DEMO_DIR
from pytest_nocode.errors import InputError
from pytest_nocode.model import App
from pytest_nocode.policy import load_policy
from pytest_nocode.risk import AppExposure, RiskSettings, assess
from pytest_nocode.secretscan import find_secrets
from pytest_nocode.testing import app_from, builtin_checks, rule_of, run_check
from pytest_nocode.threatmodel.build import (
    MAX_STEP_PROCESSES,
    RunEvidence,
    build_threat_model,
    threat_id,
)
from pytest_nocode.threatmodel.changes import model_changes
from pytest_nocode.threatmodel.model import ThreatModel
from pytest_nocode.threatmodel.register import parse_register, stale_entries
from pytest_nocode.threatmodel.render import (
    EDGE_BUDGET,
    KEEP_LEVEL,
    MERMAID_MAX_CHARS,
    MERMAID_MAX_EDGES,
    dot,
    drawn,
    markdown,
    mermaid,
    mermaid_text,
)
from tests.conftest import node, tab

POLICY = load_policy(None)
GIVEN = {"nocode_app", "nocode_findings", "nocode_policy", "nocode_rule"}
FUTURE = (date.today() + timedelta(days=90)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()


# -- apps: shapes seen in real exports, written for these tests -----------------------------------
def home_flows() -> list[dict[str, Any]]:
    """Three tabs as home-automation exports have them: MQTT sensors from the compose
    network's broker into a function and a CSV log; an HTTP API that answers with the log and
    passes a request through a function to a command; alerts to a chat service over HTTPS and
    to a LAN device in cleartext."""
    return [
        tab("sens", "Sensors"), tab("api", "Status API"), tab("alrt", "Alerts"),
        {"id": "brk", "type": "mqtt-broker", "name": "mosquitto", "broker": "mosquitto",
         "port": "1883", "usetls": False},
        node("m_in", "mqtt in", z="sens", name="Room temperature", topic="home/+/temp",
             broker="brk", wires=[["fn"]]),
        node("fn", "function", z="sens", name="Average readings",
             func="msg.payload = Number(msg.payload);\nreturn msg;", wires=[["log"]]),
        node("log", "file", z="sens", name="Append to log", filename="/data/readings.csv",
             appendNewline=True, wires=[[]]),
        node("h_in", "http in", z="api", name="", url="/status", method="get",
             wires=[["rd"]]),
        node("rd", "file in", z="api", name="Read log", filename="/data/readings.csv",
             wires=[["resp"]]),
        node("resp", "http response", z="api", name="", wires=[]),
        node("h_cmd", "http in", z="api", name="", url="/reboot", method="post",
             wires=[["parse"]]),
        node("parse", "function", z="api", name="Parse request",
             func="msg.payload = msg.payload.device;\nreturn msg;", wires=[["ex"]]),
        node("ex", "exec", z="api", name="Reboot device", command="ssh pi@10.0.0.7 reboot",
             addpay="payload", wires=[[], [], []]),
        node("tick", "inject", z="alrt", name="Every hour", repeat="3600", wires=[["tg"]]),
        node("tg", "http request", z="alrt", name="Tell the household",
             url="https://api.chat.example.com/send", method="POST", wires=[["lan"]]),
        node("lan", "http request", z="alrt", name="Blink the lamp",
             url="http://192.168.1.40/blink", method="GET", wires=[[]]),
    ]


def n8n_export() -> dict[str, Any]:
    """Two workflows: an open webhook that stores a signup and forwards it in cleartext;
    a schedule that copies contacts from a database to a spreadsheet."""
    def wf(wid: str, name: str, nodes: list[dict[str, Any]],
           connections: dict[str, Any]) -> dict[str, Any]:
        return {"id": wid, "name": name, "active": True, "nodes": nodes,
                "connections": connections, "settings": {}}

    def n(nid: str, name: str, ntype: str, **parameters: Any) -> dict[str, Any]:
        creds = parameters.pop("credentials", None)
        out = {"id": nid, "name": name, "type": ntype, "typeVersion": 1,
               "position": [0, 0], "parameters": parameters}
        if creds:
            out["credentials"] = creds
        return out

    def wire(*names: str) -> dict[str, Any]:
        return {a: {"main": [[{"node": b, "type": "main", "index": 0}]]}
                for a, b in itertools.pairwise(names)}

    signup = wf("wSignup00000001", "Signup webhook", [
        n("a1", "Signup", "n8n-nodes-base.webhook", path="signup", httpMethod="POST"),
        n("a2", "Save signup", "n8n-nodes-base.postgres", operation="executeQuery",
          query="INSERT INTO customers (email) VALUES ('{{ $json.body.email }}')",
          credentials={"postgres": {"id": "c1", "name": "Customers DB"}}),
        n("a3", "Forward to CRM", "n8n-nodes-base.httpRequest",
          url="http://crm.partner.example.com/api/contacts", method="POST"),
    ], wire("Signup", "Save signup", "Forward to CRM"))
    nightly = wf("wNightly0000002", "Nightly contacts", [
        n("b1", "Nightly", "n8n-nodes-base.scheduleTrigger"),
        n("b2", "Read contacts", "n8n-nodes-base.postgres", operation="select",
          table="contacts", credentials={"postgres": {"id": "c1", "name": "Customers DB"}}),
        n("b3", "Write sheet", "n8n-nodes-base.googleSheets", operation="append",
          documentId="sheet-contacts", sheetName="Contacts"),
    ], wire("Nightly", "Read contacts", "Write sheet"))
    return {"workflows": [signup, nightly]}


def evidence_of(app: App) -> RunEvidence:
    """Run every built-in check on ``app`` the way the plugin does: findings and outcomes."""
    findings, outcomes, titles, platforms = [], {}, {}, {}
    settings = RiskSettings.from_policy(POLICY.data)
    exposure = AppExposure(app, POLICY.host_internal)
    for check in builtin_checks():
        if set(inspect.signature(check).parameters) - GIVEN:
            continue  # advisories, raw snapshots: checks the demo's verdicts do not need
        rule = rule_of(check)
        titles[rule.id] = rule.title
        platforms[rule.id] = tuple(rule.platforms)
        result = run_check(check, app, POLICY)
        if result.findings is None:
            continue
        outcomes[rule.id] = "failed" if result.findings else "passed"
        for finding in result.findings:  # scored as the plugin scores them
            score, _factors = assess(settings, exposure, finding.to_json())
            findings.append({**finding.to_json(), "risk": score})
    return RunEvidence(tuple(findings), outcomes, titles, platforms)


def model_of(app: App, **kwargs: Any) -> ThreatModel:
    return build_threat_model(app, POLICY.zone_of, evidence_of(app), **kwargs)


def threat(model: ThreatModel, category: str, target: str) -> Any:
    return next(t for t in model.threats if t.category == category and t.target == target)


@pytest.fixture(scope="module")
def demo_nodered() -> App:
    data = json.loads((DEMO_DIR / "nodered" / "flows.json").read_text(encoding="utf-8"))
    return app_from("nodered", data, app_id="demo-nodered")


# -- the model ------------------------------------------------------------------------------------
def test_demo_model_has_boundaries_elements_flows_and_evidence(demo_nodered: App) -> None:
    model = model_of(demo_nodered)
    assert [(b.kind, b.parent) for b in model.boundaries] == [
        ("internet", ""), ("organisation", "boundary:internet"),
        ("host", "boundary:organisation"), ("app", "boundary:host")]
    boundary = {e.id: e.boundary for e in model.elements}
    assert boundary["external:caller:dd08dc2bad8591c4"] == "boundary:internet"
    assert boundary["external:service:proxy.acme.internal"] == "boundary:organisation"
    assert boundary["external:service:127.0.0.1"] == "boundary:host"
    assert boundary["store:file:/data/exports/orders.csv"] == "boundary:app"
    assert boundary["process:step:24b5c7874b0a841a"] == "boundary:app"  # the exec step
    flows = {f.id: f for f in model.flows}
    orders = flows["flow:external:caller:dd08dc2bad8591c4->process:workflow:da140cc99837071d"]
    assert orders.crosses == ("boundary:organisation", "boundary:host", "boundary:app")
    assert orders.authentication is None and "request data" in orders.carries
    erp = flows["flow:process:workflow:c0506a989c27db6a->external:service:erp.acme-partner.com"]
    assert erp.tls is False and "credentials" in erp.carries
    assert flows["flow:process:workflow:da140cc99837071d->external:service:127.0.0.1"
                 ].crosses == ("boundary:app",)
    # STRIDE per element: a caller has spoofing and repudiation only
    caller = "external:caller:dd08dc2bad8591c4"
    assert sorted(t.category for t in model.threats if t.target == caller) == [
        "repudiation", "spoofing"]
    spoof = threat(model, "spoofing", caller)
    assert spoof.status == "open"
    assert [(k.rule, k.resource_id) for k in spoof.evidence] == [("AUTH001",
                                                                  "dd08dc2bad8591c4")]
    assert spoof.residual_risk is not None and spoof.residual_risk > 0
    assert spoof.statement.startswith("An attacker on the internet who can reach ")
    served = threat(model, "information disclosure",
                    "flow:process:workflow:da140cc99837071d->external:caller:c4f73809da972011")
    assert served.status == "open" and served.evidence[0].rule == "EXP002"
    tls_ok = threat(model, "tampering", "flow:process:workflow:c0506a989c27db6a->"
                                        "external:service:fulfil.acme-partner.com")
    assert tls_ok.status == "mitigated" and tls_ok.mitigated_by == ("ENC001", "ENC002")
    assert tls_ok.residual_risk == 0


def test_multi_tab_app_links_threats_to_its_own_findings() -> None:
    app = app_from("nodered", home_flows(), app_id="home")
    model = model_of(app)
    names = {e.id: (e.kind, e.role, e.boundary) for e in model.elements}
    assert names["external:service:mosquitto"] == ("external_entity", "service",
                                                   "boundary:host")
    assert names["external:service:192.168.1.40"][2] == "boundary:organisation"
    assert names["external:service:api.chat.example.com"][2] == "boundary:internet"
    assert names["process:step:ex"][1] == "command"
    # code the author wrote is drawn when a caller's input reaches it, not when only the
    # local broker's messages do
    assert names["process:step:parse"][1] == "code"
    assert "process:step:fn" not in names
    flows = {f.id: f for f in model.flows}
    # the broker is the caller of the MQTT entry point: messages come from it
    subscribed = flows["flow:external:service:mosquitto->process:workflow:sens"]
    assert subscribed.crosses == ("boundary:app",) and subscribed.tls is False
    assert "flow:process:workflow:sens->external:service:mosquitto" not in flows
    lamp = flows["flow:process:workflow:alrt->external:service:192.168.1.40"]
    assert lamp.tls is False and lamp.crosses == ("boundary:host", "boundary:app")
    reboot = threat(model, "elevation of privilege", "process:step:ex")
    assert reboot.status == "open" and "INJ001" in {k.rule for k in reboot.evidence}
    # the function node has no finding: its tampering threat is not open
    assert threat(model, "tampering", "process:step:parse").status != "open"
    log = threat(model, "information disclosure", "store:file:/data/readings.csv")
    assert log.status == "open" and log.evidence[0].rule == "EXP002"
    chat = threat(model, "information disclosure",
                  "flow:process:workflow:alrt->external:service:api.chat.example.com")
    assert chat.status == "mitigated"


def test_personal_data_flows_get_linddun_threats() -> None:
    app = app_from("n8n", n8n_export(), app_id="crm")
    model = model_of(app)
    crm = "flow:process:workflow:wSignup00000001->external:service:crm.partner.example.com"
    flow = next(f for f in model.flows if f.id == crm)
    assert "personal data" in flow.carries and flow.tls is False
    linddun = sorted(t.category for t in model.threats
                     if t.target == crm and t.framework == "LINDDUN")
    assert linddun == sorted(["linking", "identifying", "non-repudiation", "detecting",
                              "data disclosure", "unawareness", "non-compliance"])
    assert threat(model, "data disclosure", crm).status == "open"
    sheet = next(e for e in model.elements if e.role == "sheet")
    assert sheet.boundary == "boundary:internet"
    # the workflow that handles no personal data has none of these on its flows
    nightly = [t for t in model.threats if t.framework == "LINDDUN"
               and "wNightly" in t.target and "sheet" in t.target]
    assert nightly == []


def test_ids_are_stable_across_runs_and_input_order() -> None:
    flows = home_flows()
    first = model_of(app_from("nodered", flows, app_id="home"))
    again = model_of(app_from("nodered", list(reversed(flows)), app_id="home"))
    assert [t.id for t in first.threats] == [t.id for t in again.threats]
    assert [e.id for e in first.elements] == [e.id for e in again.elements]
    assert markdown(first, tool="t") == markdown(again, tool="t")
    assert dot(first, 0) == dot(again, 0)
    t = threat(first, "tampering", "process:step:ex")
    assert t.id == threat_id("STRIDE", "tampering", "process:step:ex")
    assert re.fullmatch(r"TM-[0-9a-f]{10}", t.id)


def test_no_secret_reaches_the_model_text(demo_nodered: App) -> None:
    model = model_of(demo_nodered)
    text = markdown(model, tool="t") + dot(model, 0)
    secrets = [hit.value for hit in find_secrets(demo_nodered)]
    assert secrets
    assert [s[:4] for s in secrets if s in text] == []


def test_a_connection_string_store_keeps_its_password_out_of_names_and_ids() -> None:
    flows = [tab("t1", "Import"),
             node("w", "file", z="t1", filename="sftp://loader:Hunter2Hunter2@files.lan/in.csv",
                  wires=[[]]),
             node("r", "file in", z="t1", filename="/data/in.csv", wires=[[]])]
    model = build_threat_model(app_from("nodered", flows, app_id="imp"), POLICY.zone_of)
    text = markdown(model, tool="t") + dot(model, 0) + " ".join(
        e.id for e in model.elements) + " ".join(t.target for t in model.threats)
    assert "Hunter2" not in text
    assert "store:file:sftp://***@files.lan/in.csv" in {e.id for e in model.elements}


# -- register -------------------------------------------------------------------------------------
def test_register_decisions_stale_and_new() -> None:
    model = model_of(app_from("nodered", home_flows(), app_id="home"))
    known = threat(model, "elevation of privilege", "process:step:ex").id
    text = textwrap.dedent(f"""\
        version: 1
        threats:
          {known}:
            status: accepted
            justification: the device only accepts the reboot from the LAN
            owner: home-ops
            reviewer: sec-team
            ticket: HOME-7
            review_by: {FUTURE}
          TM-0000000000:
            status: not applicable
            justification: the old camera flow was removed
            owner: home-ops
            review_by: {FUTURE}
        """)
    register = parse_register(text, "register.yaml")
    decided = build_threat_model(model_from_register_app(), POLICY.zone_of, None, register)
    t = next(t for t in decided.threats if t.id == known)
    assert t.decision is not None and t.decision.status == "accepted"
    assert t.decision.source == "register.yaml:3" and not t.decision.expired
    assert any(r.threat_id == known for r in decided.accepted_risks)
    assert known not in decided.new_threats and len(decided.new_threats) == \
        len(decided.threats) - 1
    stale = stale_entries(register, (t.id for t in decided.threats))
    assert [(e.threat_id, e.source) for e in stale] == [("TM-0000000000", "register.yaml:10")]
    md = markdown(decided, tool="t")
    assert "accepted by home-ops until " + FUTURE in md


def model_from_register_app() -> App:
    return app_from("nodered", home_flows(), app_id="home")


@pytest.mark.parametrize(("body", "expected"), [
    ("threats:\n  TM-0123456789:\n    status: ignored\n    justification: because we can\n"
     "    owner: me\n    review_by: 2030-01-01\n",
     r"register.yaml:3: \$.threats.TM-0123456789.status: expected one of accepted, "
     r"mitigated, transferred, not applicable, got 'ignored'"),
    ("threats:\n  TM-0123456789:\n    status: accepted\n    owner: me\n"
     "    review_by: 2030-01-01\n",
     r"register.yaml:3: \$.threats.TM-0123456789: 'justification' is required"),
    ("threats:\n  TM-0123456789:\n    status: accepted\n    justification: because we can\n"
     "    owner: me\n    review_by: next year\n",
     r"register.yaml:6: \$.threats.TM-0123456789.review_by: expected an ISO date"),
    ("threats:\n  T-1:\n    status: accepted\n    justification: because we can\n"
     "    owner: me\n    review_by: 2030-01-01\n",
     r"register.yaml:2: \$.threats: 'T-1' is no threat id"),
    ("threats:\n  - TM-0123456789\n", r"register.yaml:2: \$.threats: expected object"),
    ("threats: [\n", r"register.yaml:2: invalid YAML"),
])
def test_register_errors_name_file_and_line(body: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_register(body, "register.yaml")
    assert re.search(expected, str(caught.value)), str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_expired_decision_is_marked() -> None:
    register = parse_register(
        f"threats:\n  TM-0123456789:\n    status: accepted\n    justification: because we "
        f"can\n    owner: me\n    review_by: {PAST}\n", "r.yaml")
    assert register["TM-0123456789"].expired
    ok = parse_register(
        f"threats:\n  TM-0123456789:\n    status: accepted\n    justification: because we "
        f"can\n    owner: me\n    review_by: {FUTURE}\n", "r.yaml")
    assert not ok["TM-0123456789"].expired


# -- Mermaid, DOT and large apps ------------------------------------------------------------------
def assert_mermaid_structure(text: str) -> None:
    """Balanced subgraphs, safe node ids, every edge between declared nodes, labels whose
    quotes and brackets are escaped."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    depth, declared = 0, set()
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
            assert re.fullmatch(r'subgraph (b_[a-z]+|w_n\d+)\["[^"]*"\]', stripped), stripped
        elif stripped == "end":
            depth -= 1
            assert depth >= 0
        elif "-->" in stripped:
            m = re.fullmatch(r'(n\d+) -->\|"([^"]*)"\| (n\d+)', stripped)
            assert m, stripped
            assert m.group(1) in declared and m.group(3) in declared, stripped
        elif stripped.startswith("linkStyle"):
            continue
        else:
            m = re.fullmatch(r'(n\d+)(\["[^"]*"\]|\(\["[^"]*"\]\)|\[\("[^"]*"\)\])', stripped)
            assert m, stripped
            declared.add(m.group(1))
    assert depth == 0


def test_mermaid_parses_structurally_with_hostile_names() -> None:
    flows = home_flows()
    for n in flows:
        if n["id"] == "parse":
            n["name"] = 'Avg "temp"] --> |x| (y) #1; <b>'
        if n["id"] == "h_in":
            n["url"] = "/status/[id]"
    model = model_of(app_from("nodered", flows, app_id="home"))
    text, level = mermaid(model)
    assert level == 0
    assert_mermaid_structure(text)
    assert mermaid_text('a"b]|c') == "a#34;b#93;#124;c"
    assert 'Avg #34;temp#34;#93; --#62; #124;x#124; #40;y#41; #35;1#59; #60;b#62;' in text


def test_large_app_is_drawn_at_workflow_level_and_the_diagram_summarised() -> None:
    nodes: list[dict[str, Any]] = []
    for t in range(30):
        nodes.append(tab(f"t{t}", f"Tab {t}"))
        nodes.append(node(f"in{t}", "http in", z=f"t{t}", url=f"/api/{t}", method="post",
                          wires=[[f"fn{t}"]]))
        nodes.append(node(f"fn{t}", "function", z=f"t{t}", name=f"Shape {t}",
                          func="return msg;", wires=[[f"fx{t}"]]))
        nodes.append(node(f"fx{t}", "function", z=f"t{t}", name=f"Check {t}",
                          func="return msg;", wires=[[f"rq{t}a"]]))
        for k in range(20):  # twenty partners per tab: 600 outbound flows in all
            nodes.append(node(f"rq{t}{chr(97 + k)}", "http request", z=f"t{t}",
                              url=f"https://p{k}-{t}.partner.example.com/hook",
                              method="POST", wires=[[]]))
    model = build_threat_model(app_from("nodered", nodes, app_id="big"), POLICY.zone_of)
    assert model.summarised and str(MAX_STEP_PROCESSES) in model.summarised
    assert not any(e.id.startswith("process:step:") for e in model.elements)
    assert len(model.flows) > MERMAID_MAX_EDGES
    text, level = mermaid(model)
    assert level >= 2 and len(text) <= MERMAID_MAX_CHARS
    assert text.count("-->") <= EDGE_BUDGET <= MERMAID_MAX_EDGES
    assert_mermaid_structure(text)
    md = markdown(model, tool="t")
    assert "Summarised to stay readable and within Mermaid's limits" in md
    assert "drawn at workflow level" in md
    # the tables still list every flow
    assert sum(1 for line in md.splitlines() if "partner.example.com" in line
               and line.startswith("| ")) >= 600


def test_dot_is_balanced_and_renders() -> None:
    model = model_of(app_from("nodered", home_flows(), app_id="home"))
    text = dot(model, 0)
    assert text.count("{") == text.count("}")
    assert text.count("subgraph cluster_") == 4 + 1  # boundaries; the API tab and its steps
    api = text.split("subgraph cluster_w_")[1].split("}")[0]
    assert 'label="Status API"' in api and "Reboot device" in api and "Parse request" in api
    dot_exe = shutil.which("dot")
    assert dot_exe, "Graphviz 'dot' is needed (Debian package graphviz; .ci/run installs it)"
    import subprocess

    svg = subprocess.run([dot_exe, "-Tsvg"], input=text, capture_output=True, text=True,
                         check=True).stdout
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Reboot device" in svg and "Internet" in svg


# -- baseline -------------------------------------------------------------------------------------
def test_changes_since_the_baseline() -> None:
    before = app_from("nodered", home_flows(), app_id="home")
    flows = [*home_flows(), node("h_new", "http in", z="api", url="/debug", method="get",
                                 wires=[["resp"]])]
    flows = [n for n in flows if n["id"] != "lan"]
    after = app_from("nodered", flows, app_id="home")
    changes = model_changes(before.to_dict(), after, POLICY.zone_of, "baseline.json")
    assert changes.added_entry_points == ("entry:h_new",)
    assert changes.removed_entry_points == ()
    assert changes.removed_flows == ("flow:process:workflow:alrt->external:service:"
                                     "192.168.1.40",)
    assert "flow:external:caller:h_new->process:workflow:api" in changes.added_flows
    assert any(c.startswith("flow:external:caller:h_new") for c in changes.added_crossings)
    assert changes.added_threats and changes.removed_threats
    same = model_changes(before.to_dict(), before, POLICY.zone_of, "baseline.json")
    assert same.added_threats == same.removed_threats == same.added_flows == ()


# -- the plugin -----------------------------------------------------------------------------------
def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2) if not isinstance(data, str) else data,
                    encoding="utf-8")
    return path


def test_plugin_writes_the_files_identically_and_attaches_them(pytester: pytest.Pytester
                                                               ) -> None:
    flows = _write(pytester.path / "flows.json", home_flows())
    out = pytester.path / "tm"
    allure_dir = pytester.path / "allure"
    args = ("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
            f"--nocode-threat-model={out}")
    result = pytester.runpytest(*args, f"--alluredir={allure_dir}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the app has findings
    result.stdout.fnmatch_lines(["threat model nodered-flows: * threats (* open, *) in *"])
    folder = out / "nodered-flows"
    first = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert sorted(first) == ["dfd.dot", "dfd.svg", "otm.json", "threat-composer.json",
                             "threat-dragon.json", "threat-model.md"]
    md = first["threat-model.md"].decode()
    for heading in ("## Scope", "## Assets", "## Entry points", "## Trust boundaries",
                    "## Data-flow diagram", "## Threats", "## Assumptions", "## Accepted risks",
                    "## Changes since the baseline"):
        assert heading in md
    assert_mermaid_structure(md.split("```mermaid\n")[1].split("```")[0])
    assert ET.fromstring(first["dfd.svg"]).tag.endswith("svg")
    results = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    tm = [r for r in results if r["name"] == "Threat model of nodered-flows"]
    assert len(tm) == 1
    attached = {a["name"]: a for a in tm[0]["attachments"]}
    assert set(attached) == {"threat-model.md", "dfd.svg"}
    assert (allure_dir / attached["threat-model.md"]["source"]).read_text() == md
    assert {"name": "epic", "value": "nodered-flows"} in tm[0]["labels"]
    assert {"name": "parentSuite", "value": "nodered-flows"} in tm[0]["labels"]
    assert tm[0]["titlePath"] == ["nodered-flows", "threat model", "Threat model of nodered-flows"]
    pytester.runpytest(*args)
    again = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert again == first


def test_without_dot_it_says_so_once_and_writes_the_text_forms(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    flows = _write(pytester.path / "flows.json", home_flows())
    n8n = pytester.mkdir("n8n")
    for wf in n8n_export()["workflows"]:
        _write(n8n / f"{wf['id']}.json", wf)
    empty = pytester.mkdir("nobin")
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    out = pytester.path / "tm"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
        f"--nocode-app=n8n+file:{n8n}", f"--nocode-threat-model={out}")
    text = result.stdout.str()
    assert text.count("Graphviz 'dot' is not on PATH") == 1, text
    for app_id in ("nodered-flows", "n8n-n8n"):
        assert sorted(p.name for p in (out / app_id).iterdir()) == [
            "dfd.dot", "otm.json", "threat-composer.json", "threat-dragon.json",
            "threat-model.md"]
    assert os.environ["PATH"] == str(empty)


def test_expired_register_decision_fails_a_clean_run(pytester: pytest.Pytester) -> None:
    clean = [tab("t1", "Clock"),
             node("i1", "inject", z="t1", name="tick", repeat="60", wires=[["d1"]]),
             node("d1", "debug", z="t1", name="show", wires=[])]
    flows = _write(pytester.path / "flows.json", clean)
    model = build_threat_model(app_from("nodered", clean, app_id="flows"), POLICY.zone_of)
    tid = threat(model, "denial of service", "process:workflow:t1").id
    register = _write(pytester.path / "register.yaml", textwrap.dedent(f"""\
        threats:
          {tid}:
            status: accepted
            justification: one tick a minute cannot overload anything
            owner: ops
            review_by: {PAST}
          TM-ffffffffff:
            status: mitigated
            justification: a threat this app no longer has
            owner: ops
            review_by: {FUTURE}
        """))
    args = ("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
            f"--nocode-threat-register={register}")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines([
        f"stale threat register entry {register}:7 (TM-ffffffffff, owner ops): *",
        f"threat register decision expired {register}:2 ({tid} accepted, owner ops, *"])
    _write(register, register.read_text().replace(PAST, FUTURE))
    assert pytester.runpytest(*args).ret == pytest.ExitCode.OK


def test_bad_register_stops_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    flows = _write(pytester.path / "flows.json", home_flows())
    register = _write(pytester.path / "register.yaml",
                      "threats:\n  TM-0123456789:\n    status: maybe\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
                                f"--nocode-threat-register={register}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{register}:3: $.threats.TM-0123456789.status: expected "
                                 "one of accepted, *"])
    assert "Traceback" not in result.stderr.str()


def test_plugin_shows_changes_since_the_baseline(pytester: pytest.Pytester) -> None:
    flows = _write(pytester.path / "flows.json", home_flows())
    baseline = pytester.path / "baseline.json"
    out = pytester.path / "tm"
    args = ("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
            f"--nocode-baseline={baseline}", f"--nocode-threat-model={out}")
    pytester.runpytest(*args)
    assert baseline.exists()
    first = (out / "nodered-flows" / "threat-model.md").read_text()
    assert "No baseline (`--nocode-baseline`) to compare with." in first  # it was written now
    _write(flows, [*home_flows(), node("h_dbg", "http in", z="api", url="/debug",
                                       method="get", wires=[["resp"]])])
    pytester.runpytest(*args)
    md = (out / "nodered-flows" / "threat-model.md").read_text()
    changes = md.split("## Changes since the baseline")[1]
    assert f"Compared with the baseline {baseline} at workflow level." in changes
    row = next(line for line in changes.splitlines() if line.startswith("| Entry points"))
    assert "entry:h_dbg" in row


def test_a_check_that_did_not_run_mitigates_nothing_and_waivers_are_accepted_risks() -> None:
    app = app_from("nodered", home_flows(), app_id="home")
    evidence = evidence_of(app)
    chat = "flow:process:workflow:alrt->external:service:api.chat.example.com"
    assert threat(build_threat_model(app, POLICY.zone_of, evidence), "tampering",
                  chat).status == "mitigated"
    without = RunEvidence(evidence.findings,
                          {r: o for r, o in evidence.outcomes.items() if r != "ENC002"},
                          evidence.titles, evidence.platforms)
    unsure = threat(build_threat_model(app, POLICY.zone_of, without), "tampering", chat)
    assert unsure.status == "needs review" and unsure.mitigated_by == ()
    assert unsure.residual_risk is None
    waiver = {"justification": "the LAN lamp only blinks", "owner": "home-ops",
              "expires": FUTURE, "ticket": "HOME-9", "source": "waivers.yaml:3",
              "expired": False}
    waived = tuple({**f, "waiver": waiver, "status": "waived"} if f["rule"] == "ENC001" else f
                   for f in evidence.findings)
    model = build_threat_model(app, POLICY.zone_of, RunEvidence(
        waived, evidence.outcomes, evidence.titles, evidence.platforms))
    lamp = threat(model, "tampering", "flow:process:workflow:alrt->external:service:"
                                      "192.168.1.40")
    assert lamp.status == "open"  # the finding is real; the waiver accepts it
    accepted = [r for r in model.accepted_risks if r.threat_id == lamp.id]
    assert [(r.status, r.owner, r.review_by, r.ticket) for r in accepted] == [
        ("accepted", "home-ops", FUTURE, "HOME-9")]
    assert accepted[0].source.startswith("waiver waivers.yaml:3 (ENC001 on lan)")


def test_many_workflows_keep_the_busiest_on_their_own() -> None:
    nodes: list[dict[str, Any]] = []
    for t in range(200):  # 200 tabs: an open route and a call out each; tab 7 calls out more
        nodes += [tab(f"t{t}", f"Tab {t}"),
                  node(f"in{t}", "http in", z=f"t{t}", url=f"/api/{t}", method="post",
                       wires=[[f"rq{t}"]]),
                  node(f"rq{t}", "http request", z=f"t{t}", url=f"https://s{t}.example.com/x",
                       method="POST", wires=[[f"ft{t}"]]),
                  node(f"ft{t}", "http request", z=f"t{t}", url="http://10.1.2.3/log",
                       method="POST", wires=[[]])]
    nodes += [node(f"more{k}", "mqtt out", z="t7", broker=f"b{k}", topic="x", wires=[])
              for k in range(3)]
    nodes += [{"id": f"b{k}", "type": "mqtt-broker", "broker": f"mq{k}.example.net",
               "port": "1883"} for k in range(3)]
    model = build_threat_model(app_from("nodered", nodes, app_id="many"), POLICY.zone_of)
    text, drawing = drawn(model)
    assert drawing.level == KEEP_LEVEL and 0 < drawing.kept < 200
    assert len(drawing.edges) <= EDGE_BUDGET
    assert_mermaid_structure(text)
    assert '(["Tab 7"])' in text  # the busiest workflow is drawn on its own
    assert f"{200 - drawing.kept} other workflows" in text
    assert f"the {drawing.kept} workflows with the most flows across a trust boundary" in \
        markdown(model, tool="t")


def test_a_shared_tls_setting_without_verification_leaves_its_flows_open() -> None:
    """ENC002 reports a tls-config once; every request that connects through it carries the
    finding into its outbound flow's tampering threat, and a verifying one stays mitigated."""
    flows = [tab(),
             {"id": "lax", "type": "tls-config", "name": "lax", "verifyservercert": False},
             {"id": "strict", "type": "tls-config", "name": "strict", "verifyservercert": True},
             node("tick", "inject", wires=[["r1", "r2"]]),
             node("r1", "http request", method="POST", url="https://orion.acme-city.net/v2",
                  tls="lax", wires=[[]]),
             node("r2", "http request", method="POST", url="https://ok.acme-city.net/v2",
                  tls="strict", wires=[[]])]
    model = model_of(app_from("nodered", flows, app_id="city"))
    lax = [t for t in model.threats if t.category == "tampering"
           and t.target.endswith("external:service:orion.acme-city.net")]
    strict = [t for t in model.threats if t.category == "tampering"
              and t.target.endswith("external:service:ok.acme-city.net")]
    assert [(t.status, [(k.rule, k.resource_id) for k in t.evidence]) for t in lax] == [
        ("open", [("ENC002", "lax")])]
    assert [t.status for t in strict] == ["mitigated"]
