"""Secrets a reviewer files that the scan used to miss (issue 11, recall), both directions.

Each shape is distilled from a pattern in real exports, with synthetic values: a device
token in a vendor's URL path, a key in ``?appid=``, vendor credential headers, OM2M's
``login:password`` originator, a login written down in a note, a key on a disabled node.
Each has look-alikes that must stay quiet: resource ids, UUIDs and hashes in paths, public
app ids, oneM2M originator ids, notes that explain where a credential goes.
"""

from __future__ import annotations

import json

import pytest

import pytest_nocode.checks.test_secrets as sec001
from pytest_nocode.findings import FindingCollector
from pytest_nocode.redaction import Redactor, mask
from pytest_nocode.secretscan import KIND_KEYWORD, KIND_URL_QUERY, KIND_URL_TOKEN, find_secrets
from tests.conftest import node, run_json, tab
from tests.test_secretscan import (
    Case,
    _rule,
    app_of,
    assert_found_alone,
    code,
    header,
    hits_of,
    n8n,
    nodered,
)

# synthetic tokens in the vendors' shapes: ThingsBoard 20 characters, Blynk 32, a 32-hex key
TB_TOKEN = "Qe7rT2yU9iO4pA6sD1fG"
BLYNK_TOKEN = "Zx8Cv2Bn5Mq1Wl7Ek3Rt9Yu4Io6Pa0Sd"
APPID = "5c1e8a7d3b9f2046e1d7c3a9b8f40e62"
PASSWORD = "Gr33n-Valley-7"

POSITIVES = [
    # -- a device token in a vendor's URL path --------------------------------------------------
    Case("nr-thingsboard-telemetry-path",
         nodered("http request", method="POST",
                 url=f"http://tb.plant.lan:9090/api/v1/{TB_TOKEN}/telemetry"),
         "url (path)", TB_TOKEN, KIND_URL_TOKEN),
    Case("nr-thingsboard-coap-attributes-with-query",
         nodered("coap request",
                 url=f"coap://tb.plant.lan/api/v1/{TB_TOKEN}/attributes?sharedKeys=fw"),
         "url (path)", TB_TOKEN, KIND_URL_TOKEN),
    Case("nr-thingsboard-url-built-in-function",
         nodered("function", func=code(
             f'msg.url = "http://tb.plant.lan:8080/api/v1/{TB_TOKEN}/rpc";', "return msg;")),
         "func:line 1 (path)", TB_TOKEN, KIND_URL_TOKEN),
    Case("n8n-thingsboard-versioned-typo",
         n8n("httpRequest", method="POST",
             url=f"https://tb.example.net/api/v1a/{TB_TOKEN}/telemetry"),
         "url (path)", TB_TOKEN, KIND_URL_TOKEN),
    Case("nr-blynk-legacy-update",
         nodered("http request",
                 url=f"http://192.168.1.20:8080/{BLYNK_TOKEN}/update/V3?value=1"),
         "url (path)", BLYNK_TOKEN, KIND_URL_TOKEN),
    # -- a key in the query, also on a disabled node (the export still ships it) ------------
    Case("nr-weather-appid-on-disabled-node",
         nodered("http request", d=True,
                 url=f"https://api.weather.example/data/2.5/weather?id=2950159&appid={APPID}"),
         "url (query appid)", APPID, KIND_URL_QUERY),
    # -- vendors' credential headers -------------------------------------------------------
    Case("nr-om2m-origin-in-function",
         nodered("function", func=code(
             "msg.headers = {};", f"msg.headers['X-M2M-Origin'] = \"ops:{PASSWORD}\";",
             "msg.headers['Content-Type'] = 'application/xml;ty=4';", "return msg;")),
         "func:line 2", f"ops:{PASSWORD}", KIND_KEYWORD),
    Case("nr-om2m-origin-header-list",
         nodered("http request", url="http://om2m.plant.lan:8080/~/in-cse/in-name",
                 headers=[header("X-M2M-Origin", f"ops:{PASSWORD}")]),
         "headers[0].valueValue", f"ops:{PASSWORD}"),
    Case("nr-om2m-origin-change-rule",
         nodered("change", rules=[{"t": "set", "p": "headers.X-M2M-Origin", "pt": "msg",
                                   "to": f"ops:{PASSWORD}", "tot": "str"}]),
         "rules[0].to", f"ops:{PASSWORD}"),
    Case("n8n-rapidapi-key-header",
         n8n("httpRequest", url="https://weather.p.rapidapi.example/current", sendHeaders=True,
             headerParameters={"parameters": [
                 {"name": "x-rapidapi-key", "value": "4d9c2b7e1a8f3d6c0b5e9a2f7d1c8b3e"}]}),
         "headerParameters.parameters[0].value", "4d9c2b7e1a8f3d6c0b5e9a2f7d1c8b3e"),
    Case("nr-home-assistant-legacy-password-header",
         nodered("change", rules=[{"t": "set", "p": "headers.x-ha-access", "pt": "msg",
                                   "to": PASSWORD, "tot": "str"}]),
         "rules[0].to", PASSWORD),
    # -- a login written down in a note ----------------------------------------------------
    Case("nr-comment-node-login",
         nodered("comment", name="NVR login", info=f"Username: nvr-viewer\nPassword: {PASSWORD}"),
         "info:line 2", PASSWORD, KIND_KEYWORD),
    Case("nr-info-markdown-login",
         nodered("function", func="return msg;", info=code(
             "## Camera", "- **User**: `viewer`", f"- **Password**: `{PASSWORD}`")),
         "info:line 3", PASSWORD),
    Case("n8n-sticky-note-login-password-first",
         n8n("stickyNote", content=code("### Staging CRM", f"Password: {PASSWORD}",
                                        "Login: crm-bot@example.net")),
         "content:line 2", PASSWORD),
]

NEGATIVES = [
    # paths: the token comes from elsewhere, or the segment is a resource id
    Case("nr-thingsboard-token-from-message",
         nodered("http request",
                 url="http://tb.plant.lan:9090/api/v1/{{{payload.token}}}/telemetry")),
    Case("nr-thingsboard-token-concatenated",
         nodered("function", func='msg.url = "http://tb.lan/api/v1/" + flow.get("tok") + '
                                  '"/telemetry";\nreturn msg;')),
    Case("nr-thingsboard-word-segment",
         nodered("http request", url="http://tb.plant.lan:9090/api/v1/devices/telemetry")),
    Case("nr-thingsboard-server-api-device-uuid",
         nodered("http request", url=(
             "http://tb.plant.lan:9090/api/plugins/telemetry/DEVICE/"
             "3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6b/values/timeseries?keys=temp"))),
    Case("n8n-uuid-resource-after-api-version",
         n8n("httpRequest", url="https://erp.example.net/api/v1/3f2b8c1e-4a5d-4e6f-9a7b-"
                                "1c2d3e4f5a6b/orders")),
    Case("n8n-airtable-base-id",
         n8n("httpRequest", url="https://api.airtable.example/v0/appQ3x7Z9k2M4p6R8/Orders")),
    Case("nr-hash-in-download-path",
         nodered("http request", url=("https://files.example.net/api/v1/files/"
                                      "9c1185a5c5e9fc54612808977ee8f548b2258d31/download"))),
    # query: an app id that is public, or a word
    Case("nr-numeric-app-id", nodered(
        "http request", url="https://graph.example.net/oauth?appid=1234509876543210&x=1")),
    Case("nr-appid-word", nodered("http request", url="https://api.example.net/x?appid=weather")),
    # headers: oneM2M originator ids and headers that only look like keys
    Case("nr-onem2m-originator-id", nodered("function", func=code(
        "msg.headers = {'X-M2M-Origin': 'CAdmin', 'X-M2M-RI': 'req-0001'};", "return msg;"))),
    Case("nr-onem2m-originator-header-list",
         nodered("http request", headers=[header("X-M2M-Origin", "Cae-sensor-7")])),
    Case("nr-onem2m-originator-from-message", nodered(
        "function", func="msg.headers['X-M2M-Origin'] = msg.origin;\nreturn msg;")),
    Case("n8n-idempotency-key-header",
         n8n("httpRequest", url="https://pay.example.net/charges", sendHeaders=True,
             headerParameters={"parameters": [
                 {"name": "X-Idempotency-Key", "value": "7f9c2b1e-8a3d-4c6f-b5e0-2d1a9c8b7e6f"}]})),
    # notes: where a credential goes, not what it is
    Case("nr-comment-login-placeholder", nodered(
        "comment", info="Username: ops\nPassword: <ask the ops team>")),
    Case("nr-comment-login-references", nodered(
        "comment", info="User: {{env.NVR_USER}}\nPassword: {{env.NVR_PASSWORD}}")),
    Case("n8n-sticky-note-example-password-alone", n8n("stickyNote", content=code(
        "## Calling the API", "password: Hunter-2024!", "Send it as JSON."))),
    Case("nr-comment-login-prose", nodered(
        "comment", info="User: the service account\nPassword: stored in the vault")),
]

ALL = POSITIVES + NEGATIVES


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in ALL}) == len(ALL)


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: c.id)
def test_reviewer_shape_is_found(case: Case) -> None:
    assert_found_alone(case)


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda c: c.id)
def test_look_alike_stays_quiet(case: Case) -> None:
    assert hits_of(case) == ()


# -- canaries: the new places never reach a finding or an output unmasked ----------------------
CANARY_PATH = "Canary7Path4Tok3nQx9"
CANARY_LOGIN = "ops:Canary-M2m-5e8d"
CANARY_NOTE = "Canary-N0te-3b7c1f"
CANARY_APPID = "c4na7e1d3b9f2046e1d7c3a9b8f40e6a"


def test_canaries_in_new_places_are_masked_in_findings() -> None:
    steps = (
        nodered("http request", node_id="4444444444444444",
                url=f"http://tb.plant.lan/api/v1/{CANARY_PATH}/telemetry?x=1&appid={CANARY_APPID}"),
        nodered("function", node_id="5555555555555555",
                func=f"msg.headers['X-M2M-Origin'] = \"{CANARY_LOGIN}\";\nreturn msg;"),
        nodered("comment", node_id="6666666666666666",
                info=f"User: viewer\nPassword: {CANARY_NOTE}"),
    )
    app = app_of(*steps)
    hits = find_secrets(app)
    assert sorted(h.value for h in hits) == sorted(
        [CANARY_PATH, CANARY_APPID, CANARY_LOGIN, CANARY_NOTE])
    collector = FindingCollector(app.id, "checks/test_secrets.py::sec001", _rule(), lambda e: e)
    sec001.test_no_hardcoded_credentials(app, collector)
    dumped = json.dumps([f.to_json() for f in collector.findings], ensure_ascii=False)
    for canary in (CANARY_PATH, CANARY_APPID, CANARY_LOGIN, CANARY_NOTE):
        assert canary not in dumped and mask(canary) in dumped
    redactor = Redactor(h.value for h in hits)
    line = f"GET /api/v1/{CANARY_PATH}/telemetry as {CANARY_LOGIN}, note {CANARY_NOTE}"
    assert not any(c in redactor.text(line) for c in (CANARY_PATH, CANARY_LOGIN, CANARY_NOTE))


def test_no_new_canary_in_any_output(pytester: pytest.Pytester, write_flows) -> None:
    """A run's every output (terminal, findings JSON, SARIF, JUnit) hides the new kinds."""
    flows = write_flows([
        tab(),
        node("rq1", "http request", method="POST", wires=[[]],
             url=f"http://tb.plant.lan/api/v1/{CANARY_PATH}/telemetry"),
        node("fn1", "function", wires=[["rq1"]],
             func=f"msg.headers['X-M2M-Origin'] = \"{CANARY_LOGIN}\";\nreturn msg;"),
        node("cm1", "comment", info=f"Username: viewer\nPassword: {CANARY_NOTE}"),
    ])
    out = pytester.path / "out"
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}", "-rA", "-l",
        f"--nocode-json={out / 'f.json'}", f"--nocode-sarif={out / 'f.sarif'}",
        f"--junitxml={out / 'junit.xml'}")
    report = (out / "f.json").read_text()
    assert report.count('"SEC001"') >= 3
    texts = [result.stdout.str(), result.stderr.str()]
    texts += [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert not [c for c in (CANARY_PATH, CANARY_LOGIN, CANARY_NOTE) for t in texts if c in t]


def test_keys_on_disabled_nodes_and_tabs_are_findings(pytester: pytest.Pytester,
                                                      write_flows) -> None:
    """A disabled node, or any node on a disabled tab, still ships its key in the export."""
    flows = write_flows([
        tab(),
        {**tab("t2", "Retired"), "disabled": True},
        node("rq1", "http request", d=True, wires=[[]],
             url=f"https://api.weather.example/w?appid={APPID}"),
        node("rq2", "http request", z="t2", wires=[[]],
             url=f"http://tb.plant.lan/api/v1/{TB_TOKEN}/telemetry"),
    ])
    _, report = run_json(pytester, f"--nocode-app=nodered+file:{flows}")
    found = {(f["resource"]["id"], f["evidence"]["field"]) for f in report["findings"]
             if f["rule"] == "SEC001"}
    assert found == {("rq1", "url (query appid)"), ("rq2", "url (path)")}
