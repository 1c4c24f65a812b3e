"""Context reads under a key the code computes (``global.get("cam" + i)``), in our own words
after a kiosk that plays camera streams: a start-up function keeps the stream addresses as
constants, another builds the player's shell command from whichever one the loop picks. The
key is chosen at run time, but only among the keys the app sets: what those hold is what the
read holds (constants here), not "a store of unknown content". The look-alike: one of the
keys that the computed key can name is set from an internet broker's message."""

from __future__ import annotations

from typing import Any

from pytest_nocode.platforms.nodered_function import follow_function
from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, config, exec_node, function, inject, nid, node, tab

_KEEP = ('global.set("camA", "rtsp://10.0.0.5:554/live");\n'
         'global.set("camB", "rtsp://10.0.0.6:554/live");\nreturn msg;')
_PLAY = ('for (let i = 0; i < 2; i++) {\n'
         '    msg.payload = "omxplayer --live " + global.get("cam" + ["A", "B"][i]);\n'
         '    node.send(msg);\n}\nreturn null;')


def _kiosk(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), inject("boot", to=["keep"]), function("keep", _KEEP),
            inject("start", to=["play"]), function("play", _PLAY, to=["exec"]),
            exec_node("exec", "", "payload"), *extra]


def test_a_computed_key_reads_what_the_app_keeps_there() -> None:
    app = app_of(_kiosk())
    assert findings_of(INJ002, app) == []
    assert findings_of(INJ001, app) == []


def test_a_computed_key_that_can_name_a_key_a_broker_sets_carries_its_message() -> None:
    remote = [config("broker", "mqtt-broker", broker="broker.example-iot.com"),
              node("sub", "mqtt in", topic="kiosk/cam", broker=nid("broker"),
                   wires=[["store"]]),
              function("store", 'global.set("camC", msg.payload);\nreturn null;')]
    assert ids(findings_of(INJ001, app_of(_kiosk(*remote)))) == {nid("exec")}


def test_a_key_of_another_prefix_is_not_among_those_read() -> None:
    remote = [config("broker", "mqtt-broker", broker="broker.example-iot.com"),
              node("sub", "mqtt in", topic="kiosk/url", broker=nid("broker"),
                   wires=[["store"]]),
              function("store", 'global.set("url", msg.payload);\nreturn null;')]
    app = app_of(_kiosk(*remote))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_the_read_names_the_fixed_start_of_its_key() -> None:
    followed = follow_function('msg.payload = global.get(`cam${msg.n}`);\nreturn msg;')
    assert followed is not None
    names = {r.name for w in followed.writes for r in w.value}
    assert "global context cam*" in names
