"""LOG002 counts traffic from outside wherever it comes from: a subscription on the owner's
own LAN broker, or the socket a map page's browsers send on (``worldmap in``), feeds a tab as an
open endpoint does, when what it brings reaches a node that can fail. An MQTT broker node run
inside Node-RED and wired to nothing hands its tab no message: nothing there for a catch node."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import LOG002
from tests.test_checks_nodered import TAB, app_of, mqtt_broker, mqtt_in, node, tab

CALC = node("calc", "function", name="calc", func="msg.payload = msg.payload.v * 2;\nreturn msg;")


def lan_feed(*targets: dict[str, Any]) -> list[dict[str, Any]]:
    """A tab subscribed to a broker on the LAN, its readings sent to ``targets``."""
    return [tab(), mqtt_broker("lan", "192.168.1.20", "1883", usetls=False),
            mqtt_in("sensors", "lan", to=[t["name"] for t in targets]), *targets]


def map_feed(*targets: dict[str, Any]) -> list[dict[str, Any]]:
    """A tab taking what the world map page's browsers send back."""
    return [tab(), node("map-in", "worldmap in", name="map in", path="/worldmap",
                        events="connect,disconnect,bounds,other",
                        wires=[[t["name"] for t in targets]]), *targets]


def broker_tab(*targets: dict[str, Any]) -> list[dict[str, Any]]:
    """A tab holding an embedded mosca broker, its outputs wired to ``targets``."""
    return [tab("MQTT broker"), node("broker", "mosca in", z=tab("MQTT broker")["id"],
                                    mqtt_port=1883, mqtt_ws_port="8083", username="",
                                    password="", dburl="",
                                    wires=[[t["name"] for t in targets]]), *targets]


def tabs_reported(flows: list[dict[str, Any]]) -> set[str]:
    return {f.resource.id for f in findings_of(LOG002, app_of(flows))}


@pytest.mark.parametrize("flows", [lan_feed(CALC), map_feed(CALC)], ids=["lan-mqtt", "worldmap"])
def test_an_outside_feed_reaching_code_without_a_catch_is_reported(
        flows: list[dict[str, Any]]) -> None:
    assert one(findings_of(LOG002, app_of(flows))).resource.id == TAB


@pytest.mark.parametrize("flows", [
    lan_feed(CALC, node("catch", "catch", name="catch", scope=None, wires=[[]])),
    lan_feed(node("log", "debug", name="log", active=True, complete="payload")),
    map_feed(node("shown", "ui_text", name="shown", group="", format="{{msg.payload}}")),
], ids=["caught", "lan-debug-only", "map-display-only"])
def test_an_outside_feed_that_cannot_fail_or_is_caught_is_quiet(
        flows: list[dict[str, Any]]) -> None:
    assert tabs_reported(flows) == set()


def test_a_feed_reaching_code_on_another_path_of_the_tab_only_counts_its_own_path() -> None:
    """The function on the tab is fed by an inject, not by the subscription (which only logs):
    the subscription's messages fail nothing."""
    flows = lan_feed(node("log", "debug", name="log", active=True, complete="payload"))
    flows += [node("tick", "inject", name="tick", repeat="60", wires=[["calc"]]), CALC]
    assert tabs_reported(flows) == set()


def test_an_unwired_embedded_broker_is_quiet_and_a_wired_one_reported() -> None:
    z = tab("MQTT broker")["id"]
    assert tabs_reported(broker_tab()) == set()
    calc = dict(CALC, z=z)
    assert tabs_reported(broker_tab(calc)) == {z}
