"""Node-RED routes that only look something up and act on nothing (issue 11, AUTH001): a hash
of the posted body, a read-only smart-contract call, a MongoDB find of a collection whose
records carry no sensitivity label. They are open by design (info, listed on request); the
same route fires once it also writes, runs, sends or reads what a sensitivity label marks.
The flows are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one, policy
from tests.rules import AUTH001
from tests.test_checks_nodered import (
    app_of,
    exec_node,
    function,
    http_in,
    http_request,
    http_response,
    mqtt_broker,
    mqtt_in,
    nid,
    node,
    tab,
)

LISTED = policy("version: 1\nsettings:\n  report_status_probes: true\n")
KECCAK = [{"var": "keccak256", "module": "keccak256"}]
DIGEST = ('msg.payload = keccak256(JSON.stringify(msg.payload));\n'
          'msg.hash = "0x" + msg.payload.toString("hex");\nreturn msg;')


def _digest_route(code: str = DIGEST, *, libs: list[dict[str, str]] | None = None,
                  also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """POST /digest → hash the body → answer (and ``also`` those)."""
    return [tab(), http_in("in", "/digest", to=["hash"]),
            function("hash", code, to=["resp", *also], libs=KECCAK if libs is None else libs),
            http_response("resp")]


def _proof_route(*, read_only: bool = True) -> list[dict[str, Any]]:
    """GET /proof/:hash → the hash as bytes → the contract's getProof → answer."""
    contract = node("proof", "contract-call", name="getProof", readonlyFunction=read_only,
                    wires=[["resp"]])
    return [tab(), http_in("in", "/proof/:hash", method="get", to=["bytes"]),
            function("bytes", 'msg.payload = Buffer.from(msg.req.params.hash, "hex");\n'
                     "return msg;", to=["proof"]), contract, http_response("resp")]


def _listing(collection: str, *, operation: str = "find") -> list[dict[str, Any]]:
    """GET /list → a MongoDB read of ``collection`` → answer."""
    return [tab(), http_in("in", "/list", method="get", to=["read"]),
            node("read", "mongodb in", mongodb="", collection=collection, operation=operation,
                 wires=[["resp"]]), http_response("resp")]


def test_a_route_that_answers_a_hash_of_the_posted_body_is_open_by_design() -> None:
    app = app_of(_digest_route())
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, LISTED))
    assert listed.severity == Severity.INFO and listed.evidence["read_only"] is True
    assert "computes with keccak256 in 'hash'" in listed.message
    assert "acts on nothing" in listed.message


def test_a_hashing_route_that_also_writes_runs_sends_or_loads_another_module_fires() -> None:
    writes = _digest_route('global.set("last", msg.payload);\n' + DIGEST)
    runs = [*_digest_route(also=("run",)), exec_node("run", "logger digest", "")]
    sends = [*_digest_route(also=("post",)), http_request("post", "https://example.com/log")]
    other_module = _digest_route(libs=[{"var": "keccak256", "module": "fs"}])
    for flows in (writes, runs, sends, other_module):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.severity == Severity.HIGH and "read_only" not in found.evidence


def test_a_hashing_route_that_answers_a_context_or_environment_value_fires() -> None:
    for read in ('global.get("salt")', 'env.get("SALT")'):
        code = DIGEST.replace("JSON.stringify(msg.payload)",
                              f"JSON.stringify(msg.payload) + {read}")
        assert ids(findings_of(AUTH001, app_of(_digest_route(code)))) == {nid("in")}


def test_a_read_only_contract_call_is_a_lookup_and_a_transaction_fires() -> None:
    app = app_of(_proof_route())
    assert findings_of(AUTH001, app) == []
    assert "calls a read-only contract function in 'getProof'" in \
        one(findings_of(AUTH001, app, LISTED)).message
    assert ids(findings_of(AUTH001, app_of(_proof_route(read_only=False)))) == {nid("in")}


def test_a_listing_of_an_unlabelled_collection_is_open_by_design() -> None:
    for collection in ("rooms", "controllers"):
        app = app_of(_listing(collection))
        assert findings_of(AUTH001, app) == [], collection
        assert f"reads collection '{collection}'" in one(findings_of(AUTH001, app, LISTED)).message


def test_a_listing_of_personal_records_or_a_read_that_may_write_fires() -> None:
    for collection in ("users", "customer_orders", "patients"):
        found = one(findings_of(AUTH001, app_of(_listing(collection))))
        assert found.severity == Severity.HIGH, collection
    assert len(findings_of(AUTH001, app_of(_listing("rooms", operation="aggregate")))) == 1
    assert len(findings_of(AUTH001, app_of(_listing("")))) == 1  # collection from the message


def _kept_reading(topic: str, *, also_posted: bool = False) -> list[dict[str, Any]]:
    """mqtt in ``topic`` → keep it in flow context; GET /humidity → copy it → answer (and,
    with ``also_posted``, POST /humidity → keep what is posted in the same key)."""
    keep = [{"t": "set", "p": "humidity", "pt": "flow", "to": "payload", "tot": "msg"}]
    copy = [{"t": "set", "p": "payload", "pt": "msg", "to": "humidity", "tot": "flow"}]
    sensor = mqtt_in("sensor", "home", to=["keep"])
    sensor["topic"] = topic
    flows = [tab(), mqtt_broker("home", "mosquitto", "1883", usetls=False), sensor,
             node("keep", "change", rules=keep, wires=[[]]),
             http_in("in", "/humidity", method="get", to=["copy"]),
             node("copy", "change", name="copy", rules=copy, wires=[["resp"]]),
             http_response("resp")]
    if also_posted:
        flows += [http_in("post", "/humidity", to=["keep"])]
    return flows


def test_a_route_serving_a_kept_device_reading_is_open_by_design() -> None:
    app = app_of(_kept_reading("zigbee2mqtt/bedroom"))
    assert ids(findings_of(AUTH001, app)) == set()
    assert "serves the readings the app keeps in flow or global context in 'copy'" in \
        one(findings_of(AUTH001, app, LISTED)).message


def test_a_route_serving_kept_posted_or_labelled_data_fires() -> None:
    posted = findings_of(AUTH001, app_of(_kept_reading("zigbee2mqtt/bedroom",
                                                       also_posted=True)))
    assert nid("in") in ids(posted)  # anyone's post is kept in the key it serves
    labelled = findings_of(AUTH001, app_of(_kept_reading("clinic/patient/heart-rate")))
    assert ids(labelled) == {nid("in")}


def test_a_stub_that_only_echoes_what_it_is_sent_stays_the_adapters_judgement() -> None:
    stub = [tab(), http_in("in", "/api/lights/:room/on", to=["stub"]),
            function("stub", 'msg.payload = { ok: true, room: msg.req.params.room };\n'
                     "return msg;", to=["resp"]), http_response("resp")]
    assert ids(findings_of(AUTH001, app_of(stub))) == {nid("in")}


def test_a_shared_answer_that_other_routes_fill_with_kept_data_fires() -> None:
    """Two routes answer through one node; the other one answers a context value: what the
    answer node holds is judged whole (fail closed)."""
    flows = [*_digest_route(), http_in("other", "/settings", method="get", to=["load"]),
             function("load", 'msg.payload = global.get("settings");\nreturn msg;',
                      to=["resp"])]
    assert nid("in") in ids(findings_of(AUTH001, app_of(flows)))


def test_a_lookup_route_through_a_subflow_or_link_the_reader_cannot_follow_fires() -> None:
    """Fail closed: what runs in a subflow the export lacks, or behind a link call whose
    target is named at run time, may act."""
    lost = _digest_route(also=("sub",))
    lost.append(node("sub", "subflow:5f3c0a7d2b9e4c11", wires=[[]]))
    dynamic = _digest_route(also=("call",))
    dynamic.append(node("call", "link call", linkType="dynamic", links=[], wires=[[]]))
    for flows in (lost, dynamic):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("in")}


def _plc_telemetry(*, also_posted: bool = False, echo: bool = False) -> list[dict[str, Any]]:
    """s7 in (the PLC's values) → keep them in flow context; GET /latest → a function that
    reads the key (and, with ``echo``, what the caller asked for) → answer; with
    ``also_posted``, POST /latest → keep what is posted in the same key."""
    keep = 'flow.set("latest", msg.payload);\nreturn null;'
    read = 'msg.payload = flow.get("latest") || {};\n' \
        + ('msg.payload.asked = msg.req.query.tag;\n' if echo else "") + "return msg;"
    flows = [tab(), node("plc", "s7 in", endpoint="", mode="all", variable="", diff=True,
                         wires=[["keep"]]),
             function("keep", keep), http_in("in", "/latest", method="get", to=["read"]),
             function("read", read, to=["resp"]), http_response("resp")]
    if also_posted:
        flows.append(http_in("post", "/latest", to=["keep"]))
    return flows


def test_a_function_serving_what_a_plc_reports_is_read_only_telemetry() -> None:
    """Read-only telemetry: whatever step copies the kept readings into the answer, nothing
    acts and nothing anyone typed or stored is disclosed."""
    assert ids(findings_of(AUTH001, app_of(_plc_telemetry()))) == set()


def test_telemetry_mixed_with_posted_data_or_an_echo_of_the_request_fires() -> None:
    posted = findings_of(AUTH001, app_of(_plc_telemetry(also_posted=True)))
    assert nid("in") in ids(posted)  # anyone's post lands in the key the route serves
    echoed = findings_of(AUTH001, app_of(_plc_telemetry(echo=True)))
    assert ids(echoed) == {nid("in")}  # a stub answering the request stays the API's route


def _sql_route(query: str, *, own: bool = False) -> list[dict[str, Any]]:
    """GET /list → a function setting msg.query (or the node's own query) → PostgreSQL →
    answer."""
    code = "return msg;" if own else f"msg.query = {query};\nreturn msg;"
    return [tab(), http_in("in", "/list", method="get", to=["prepare"]),
            function("prepare", code, to=["db"]),
            node("db", "postgresql", query=query.strip("`\"'") if own else "",
                 postgreSQLConfig="", split=False, rowsPerMsg=1, outputs=1, wires=[["resp"]]),
            http_response("resp")]


def test_a_fixed_select_of_reference_tables_is_open_by_design() -> None:
    for flows in (_sql_route('"SELECT * FROM countries ORDER BY country_name ASC;"'),
                  _sql_route("`SELECT id, label FROM skills JOIN skill_groups ON true`"),
                  _sql_route("SELECT name FROM badges", own=True)):
        app = app_of(flows)
        assert ids(findings_of(AUTH001, app)) == set()
        assert "(a fixed SELECT)" in one(findings_of(AUTH001, app, LISTED)).message


def test_a_select_of_people_a_built_query_or_a_write_fires() -> None:
    for query in ('"SELECT * FROM members"', '"SELECT email FROM countries JOIN users"',
                  '"SELECT * FROM countries WHERE code = \'" + msg.req.query.code + "\'"',
                  '"DELETE FROM countries"', '"SELECT * INTO backup FROM countries"',
                  '"SELECT 1; DROP TABLE countries"'):
        found = one(findings_of(AUTH001, app_of(_sql_route(query))))
        assert found.severity == Severity.HIGH, query


def _ask_model(url_code: str, *, headers: str = "") -> list[dict[str, Any]]:
    """POST /describe → a function that sets the request (address, method, prompt) → http
    request (method from the message) → answer."""
    code = (f"msg.url = {url_code};\nmsg.method = 'POST';\n{headers}"
            "msg.payload = {model: 'local', max_tokens: 200,\n"
            "  messages: [{role: 'user', content: String(msg.payload.text)}]};\nreturn msg;")
    ask = node("ask", "http request", name="ask", method="use", ret="obj", url="", tls="",
               authType="", headers=[], wires=[["resp"]])
    return [tab(), http_in("in", "/describe", to=["prepare"]),
            function("prepare", code, to=["ask"]), ask, http_response("resp")]


LOCAL_MODEL = ('(env.get("LM_URL") || "http://host.docker.internal:1234")'
               ' + "/v1/chat/completions"')


def test_a_route_that_only_asks_a_model_on_the_same_host_is_open_by_design() -> None:
    app = app_of(_ask_model(LOCAL_MODEL))
    assert ids(findings_of(AUTH001, app)) == set()
    assert "asks a model on the same host in 'ask'" in \
        one(findings_of(AUTH001, app, LISTED)).message


def test_a_hosted_model_a_keyed_request_or_another_local_service_fires() -> None:
    hosted = '"https://api.openai.com/v1/chat/completions"'
    keyed = "msg.headers = {Authorization: 'Bearer ' + env.get('LM_KEY')};\n"
    device = '"http://127.0.0.1:8123/api/services/light/turn_on"'
    for flows in (_ask_model(hosted), _ask_model(LOCAL_MODEL, headers=keyed),
                  _ask_model(device)):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("in")}
