"""Open Node-RED entry points that give a stranger nothing (issue 11, AUTH001), distilled from
deployments a reviewer triaged:

* a Telegram bot that names no allowed chats, but whose every message goes to the one chat
  id the flow types in (the owner's), while what a message to it starts only looks something
  up (a fixed SELECT of sensor rows, written as a WITH query);
* a route serving the latest readings a device publishes on a public broker's topic: what it
  answers is there for every subscriber of that broker already.

Both are open by design (info with report_status_probes); the same shapes fire once the bot
answers the sender, or acts, and once the route serves what a post or a labelled topic fills.
"""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one, policy
from tests.rules import AUTH001
from tests.test_auth_boundary_nodered import COMPARE, _answer, _login
from tests.test_checks_nodered import (
    app_of,
    exec_node,
    function,
    http_in,
    http_response,
    mqtt_broker,
    mqtt_in,
    nid,
    node,
    tab,
    telegram_bot,
    telegram_in,
)

LISTED = policy("version: 1\nsettings:\n  report_status_probes: true\n")
NOISE = ("WITH loud AS (SELECT count(state) FROM public.states WHERE entity_id = "
         "'sensor.room1_sound' AND state > '2.00'), all_rows AS (SELECT count(state) FROM "
         "public.states WHERE entity_id = 'sensor.room1_sound')\n"
         "SELECT * FROM loud UNION SELECT * FROM all_rows;")
TO_OWNER = ('msg.payload = {chatId: 808941537, type: "message",\n'
            '  content: "noise " + parseInt(msg.payload[0].count)};\nreturn msg;')
TO_SENDER = ('msg.payload = {chatId: msg.originalMessage.chat.id, type: "message",\n'
             '  content: "noise " + parseInt(msg.payload[0].count)};\nreturn msg;')


def _noise_bot(reply: str = TO_OWNER, *, query: str = NOISE,
               also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """telegram receiver → switch on the text → PostgreSQL ``query`` → a function that writes
    the reply (``reply``) → telegram sender (and ``also`` those)."""
    ask = [{"t": "eq", "v": "Noise?", "vt": "str"}]
    return [tab(), telegram_bot("bot"), telegram_in("rx", "bot", to=["ask"]),
            node("ask", "switch", property="payload.content", propertyType="msg", rules=ask,
                 checkall="true", outputs=1, wires=[["db"]]),
            node("db", "postgresql", query=query, postgreSQLConfig="", split=False,
                 rowsPerMsg=1, outputs=1, wires=[["reply"]]),
            function("reply", reply, to=["tx", *also]),
            node("tx", "telegram sender", name="tx", bot=nid("bot"), wires=[[]])]


def test_a_bot_that_only_tells_its_owner_what_it_looks_up_is_open_by_design() -> None:
    app = app_of(_noise_bot())
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, LISTED))
    assert listed.severity == Severity.INFO and listed.evidence["read_only"] is True
    assert "to the one chat id the flow fixes (the owner's), never to the sender" in \
        listed.message


def test_a_bot_that_answers_the_sender_acts_or_reads_people_fires() -> None:
    answers_sender = _noise_bot(TO_SENDER)
    runs = [*_noise_bot(also=("sh",)), exec_node("sh", "/usr/local/bin/alarm", "")]
    people = _noise_bot(query="WITH recent AS (SELECT * FROM users) SELECT * FROM recent;")
    writes = _noise_bot(query="WITH gone AS (DELETE FROM states RETURNING *) "
                              "SELECT * FROM gone;")
    for flows in (answers_sender, runs, people, writes):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.resource.id == nid("bot") and found.severity == Severity.HIGH
        assert "read_only" not in found.evidence


def _public_broker_reading(topic: str, *, also_posted: bool = False) -> list[dict[str, Any]]:
    """mqtt in ``topic`` on a public broker → a function keeping it in flow context; GET
    /latest → a function copying the key → answer; with ``also_posted``, POST /latest →
    the keeping function too."""
    sensor = mqtt_in("sensor", "public", to=["keep"])
    sensor["topic"] = topic
    flows = [tab(), mqtt_broker("public", "test.mosquitto.org", "1883", usetls=False), sensor,
             function("keep", 'flow.set("room", msg.payload);\nreturn null;'),
             http_in("in", "/latest", method="get", to=["read"]),
             function("read", 'msg.payload = flow.get("room") || {};\nreturn msg;',
                      to=["resp"]), http_response("resp")]
    if also_posted:
        flows.append(http_in("post", "/latest", to=["keep"]))
    return flows


def test_a_route_serving_what_a_public_broker_topic_carries_is_open_by_design() -> None:
    app = app_of(_public_broker_reading("system/room/gas"))
    assert nid("in") not in ids(findings_of(AUTH001, app))
    listed = [f for f in findings_of(AUTH001, app, LISTED) if f.resource.id == nid("in")]
    assert one(listed).severity == Severity.INFO
    assert "device readings" in listed[0].message


def test_a_route_serving_a_labelled_topic_or_what_anyone_posts_fires() -> None:
    labelled = findings_of(AUTH001, app_of(_public_broker_reading("clinic/patient/pulse")))
    posted = findings_of(AUTH001, app_of(_public_broker_reading("system/room/gas",
                                                                also_posted=True)))
    for found in (labelled, posted):
        route = [f for f in found if f.resource.id == nid("in")]
        assert one(route).severity == Severity.HIGH


# -- an app that signs its users in, then checks no session ----------------------------------
def _farm_app(*, checked_route: bool = False) -> list[dict[str, Any]]:
    """The login of test_auth_boundary_nodered (POST /login compares the stored password and
    answers 400 otherwise), beside GET /pic_farm → a fixed SELECT of the farm and pot tables
    → answer; with ``checked_route``, GET /me first checks the Authorization header and
    answers 401 without it (the app asks for the session on its private routes)."""
    flows = [*_login(COMPARE), http_in("farm", "/pic_farm", method="get", to=["farm-q"]),
             function("farm-q", 'msg.topic = "SELECT farm.name, pot.image FROM farm JOIN '
                      'pot ON pot.farm_id = farm.id";\nreturn msg;', to=["pics"]),
             node("pics", "mysql", mydb=nid("db-config"), wires=[["farm-resp"]],
                  name="pics"),
             http_response("farm-resp")]
    if checked_route:
        flows += [http_in("me", "/me", method="get", to=["auth?"]),
                  node("auth?", "switch", property="req.headers.authorization",
                       propertyType="msg", rules=[{"t": "null"}, {"t": "else"}],
                       checkall="true", outputs=2, wires=[["no"], ["me-resp"]]),
                  _answer("no", "401"), http_response("me-resp")]
    return flows


def test_a_fixed_select_of_an_app_whose_login_no_route_asks_for_fires() -> None:
    found = [f for f in findings_of(AUTH001, app_of(_farm_app())) if f.resource.id == nid("farm")]
    assert one(found).severity == Severity.HIGH and "read_only" not in found[0].evidence


def test_a_fixed_select_beside_routes_that_check_the_session_is_open_by_design() -> None:
    app = app_of(_farm_app(checked_route=True))
    assert nid("farm") not in ids(findings_of(AUTH001, app))
    listed = [f for f in findings_of(AUTH001, app, LISTED) if f.resource.id == nid("farm")]
    assert "(a fixed SELECT)" in one(listed).message


def test_an_answer_shared_with_an_echoing_route_answers_each_caller_its_own() -> None:
    """GET /latest and GET /echo/:word wired to one http response: /echo's word goes back to
    /echo's caller only, so /latest still serves nothing but the public topic's reading;
    /echo, which hands back what it was sent, is still reported."""
    flows = _public_broker_reading("system/room/gas")
    flows += [http_in("echo", "/echo/:word", method="get", to=["say"]),
              function("say", "msg.payload = msg.req.params.word;\nreturn msg;", to=["resp"])]
    found = ids(findings_of(AUTH001, app_of(flows)))
    assert nid("in") not in found
    assert nid("echo") in found
