"""A Node-RED dashboard whose controls act is a way in (AUTH001), distilled in our own words from
a real sorting station whose start, stop and e-stop buttons write the PLC's Modbus coils, with
the look-alikes: controls that only change what a chart shows, an instance with httpNodeAuth."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import AUTH001, INJ001
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    exec_node,
    hardened,
    nid,
    node,
    tab,
)


def _panel(target: dict[str, Any]) -> list[dict[str, Any]]:
    """Two dashboard pages (the plant panel first in the menu) and a button wired to
    ``target`` through a change node."""
    return [tab(),
            config("reports", "ui_tab", name="Reports", order=2, disabled=False, hidden=False),
            config("main", "ui_tab", name="Plant panel", order=1, disabled=False, hidden=False),
            config("controls", "ui_group", name="Controls", tab=nid("main"), order=1, width=6),
            node("start", "ui_button", group=nid("controls"), label="START", payload="1",
                 payloadType="num", topic="start", wires=[["coil"]]),
            change("coil", to=["out"],
                   rules=[{"t": "set", "p": "topic", "pt": "msg", "to": "coil-0",
                           "tot": "str"}]),
            target]


def _modbus_write() -> dict[str, Any]:
    return node("out", "modbus-flex-write", name="PLC coils", server="", wires=[[]])


def _chart() -> dict[str, Any]:
    return node("out", "ui_chart", group=nid("controls"), label="Throughput", wires=[[]])


def test_dashboard_controls_that_drive_a_plc_are_an_open_entry() -> None:
    f = one(findings_of(AUTH001, app_of(_panel(_modbus_write()))))
    assert f.resource.id == nid("main")  # no ui_base: named by its first page
    assert (f.evidence["kind"], f.evidence["route"]) == ("dashboard", "/ui")
    # the evidence names the control and what it drives, for the reviewer to judge
    assert f.evidence["effect_reason"] == (
        "control 'START' (ui_button) reaches node 'PLC coils' (modbus-flex-write), "
        "which may change, send or run something")


def test_dashboard_controls_that_only_change_a_chart_are_no_entry() -> None:
    assert findings_of(AUTH001, app_of(_panel(_chart()))) == []


def test_http_node_auth_guards_the_dashboard() -> None:
    assert findings_of(AUTH001, hardened(_panel(_modbus_write()))) == []


@pytest.mark.parametrize(("path", "route"), [("/controls", "/controls"), ("", "/dashboard")])
def test_dashboard_2_is_named_by_its_base_and_path(path: str, route: str) -> None:
    flows = [tab(), config("base", "ui-base", name="Station", path=path),
             config("page", "ui-page", name="Panel", ui=nid("base"), path="/panel", order=1),
             node("stop", "ui-button", group="", label="STOP", payload="0", payloadType="num",
                  wires=[["out"]]),
             _modbus_write()]
    f = one(findings_of(AUTH001, app_of(flows)))
    assert (f.resource.id, f.evidence["route"]) == (nid("base"), route)


def test_a_dashboard_entry_adds_no_origin_of_its_own() -> None:
    """A button's fixed payload appended to a command stays a constant: the dashboard is a way
    in, but what its controls send is what they are configured with."""
    flows = [*_panel(exec_node("out", "/opt/plant/coil.sh", "payload"))]
    app = app_of(flows)
    assert one(findings_of(AUTH001, app)).evidence["kind"] == "dashboard"
    assert findings_of(INJ001, app) == []
