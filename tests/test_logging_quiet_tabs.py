"""LOG002 on tabs where nothing can fail: a dashboard page of buttons that only navigate, or
MQTT readings shown on gauges and in the debug pane. A catch node there would catch nothing;
the same tab with one node that can fail (a function, a JSON-parsing MQTT input, a request)
is still reported."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import LOG002
from tests.test_checks_nodered import (
    TAB,
    app_of,
    config,
    mqtt_broker,
    mqtt_in,
    nid,
    node,
    tab,
)


def readings_tab(datatype: str = "auto-detect", *extra: dict[str, Any]) -> list[dict[str, Any]]:
    """A tab showing a broker's temperature readings on a gauge and in the debug pane."""
    reading = mqtt_in("temp", "broker", to=["gauge", "log", *(n["name"] for n in extra)])
    reading["datatype"] = datatype
    return [tab(), mqtt_broker("broker", "broker.hivemq.com", "1883", usetls=False), reading,
            node("gauge", "ui_gauge", name="gauge", group="", min=0, max=60),
            node("log", "debug", name="log", active=True, complete="payload"), *extra]


def menu_tab(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """A Dashboard 2.0 page whose buttons only switch pages (its page control listens to the
    dashboard), beside a tab whose button drives a PLC: the dashboard is an entry point."""
    buttons = [node(f"go{n}", "ui-button", name=f"go{n}", group="",
                    wires=[["nav", *(x["name"] for x in extra)]]) for n in range(3)]
    return [tab(), config("base", "ui-base", name="Station", path="/dashboard"),
            config("page", "ui-page", name="Menu", ui=nid("base"), path="/menu", order=1),
            *buttons, node("nav", "ui-control", name="nav", ui=nid("base"), events="all"),
            *extra, tab("Plant"),
            node("stop", "ui-button", z=nid("tab:Plant"), group="", wires=[["plc"]]),
            node("plc", "modbus-flex-write", z=nid("tab:Plant"), name="PLC coils", server="")]


def reported_tabs(flows: list[dict[str, Any]]) -> set[str]:
    return {f.resource.id for f in findings_of(LOG002, app_of(flows))}


def test_a_tab_of_readings_on_gauges_needs_no_catch() -> None:
    assert findings_of(LOG002, app_of(readings_tab())) == []


def test_a_menu_tab_needs_no_catch() -> None:
    assert reported_tabs(menu_tab()) == set()


@pytest.mark.parametrize("flows", [
    readings_tab("json"),  # a malformed message is an error the catch node would see
    readings_tab("auto-detect", node("calc", "function", name="calc", func="return msg;")),
], ids=["json-input", "function"])
def test_one_node_that_can_fail_makes_the_tab_reported(flows: list[dict[str, Any]]) -> None:
    assert one(findings_of(LOG002, app_of(flows))).resource.id == TAB


def test_a_menu_tab_with_a_request_is_reported() -> None:
    hook = node("hook", "http request", name="hook", method="POST", url="http://x/")
    assert reported_tabs(menu_tab(hook)) == {TAB}
