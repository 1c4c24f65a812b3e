"""Node-RED INJ002: a date a function node's own date library formats is the host's clock.

Distilled, in our own words, from a gateway that logs each frame it sends to a file named
after today's date, formatted with the ``moment`` module the function node loads (``libs``).
The name holds no value of unknown origin; a date parsed from the message and written out in a
fixed format holds none of the message's text either (its pattern taken from the message, or the
date pasted as it is, still does)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, function, inject, nid, node, tab


def _frame_log(day: str, *, module: str = "moment") -> list[dict[str, Any]]:
    """Each frame (from a node we do not know) goes to logs/tx.<day>.log."""
    code = (f"const now = {day};\n"
            "msg.payload = now.format('HH:mm:ss') + ' ' + msg.payload;\n"
            "msg.filename = `/data/logs/tx.${now.format('YYYY-MM-DD')}.log`;\nreturn msg;")
    build = function("name", code, to=["log"])
    build["libs"] = [{"var": "moment", "module": module}]
    return [tab(), inject("tick", to=["radio"]),
            node("radio", "serial-frame-reader", name="radio", wires=[["name"]]), build,
            node("log", "file", name="log", filename="", filenameType="str",
                 appendNewline=True, createDir=True, overwriteFile="false", wires=[[]])]


@pytest.mark.parametrize("module", ["moment", "moment-timezone", "dayjs"])
def test_a_file_named_after_the_hosts_clock_is_no_data_of_unknown_origin(module: str) -> None:
    assert findings_of(INJ002, app_of(_frame_log("moment()", module=module))) == []


def test_a_date_taken_from_the_message_written_in_a_fixed_format_is_no_data() -> None:
    """``format('YYYY-MM-DD')`` writes digits and the pattern's text whatever was parsed (or
    "Invalid date"): nothing of the message's text reaches the name."""
    assert findings_of(INJ002, app_of(_frame_log("moment(msg.payload.sentAt)"))) == []


def test_a_date_taken_from_the_message_keeps_its_origin_where_it_is_not_formatted() -> None:
    flows = _frame_log("moment(msg.payload.sentAt)")
    flows[3]["func"] = flows[3]["func"].replace("now.format('YYYY-MM-DD')", "now")
    f = one(findings_of(INJ002, app_of(flows)))
    assert f.resource.id == nid("log")


def test_a_format_pattern_taken_from_the_message_keeps_its_origin() -> None:
    flows = _frame_log("moment()")
    flows[3]["func"] = flows[3]["func"].replace("now.format('YYYY-MM-DD')",
                                                "now.format(msg.payload.pattern)")
    f = one(findings_of(INJ002, app_of(flows)))
    assert f.resource.id == nid("log")


def test_a_library_that_is_no_clock_stays_unknown() -> None:
    f = one(findings_of(INJ002, app_of(_frame_log("moment()", module="left-pad"))))
    assert f.resource.id == nid("log")


# -- the file name set in a guarded block that every message leaves from -----------------------
_NAME_TODAY = "msg.filename = `/data/logs/rx.${now.format('YYYY-MM-DD')}.log`;"


def _broker_log(body: str) -> list[dict[str, Any]]:
    """Frames from the app's own MQTT broker (any client's message, a filename included)
    logged to a file named after today; the function sets the name inside an ``if``."""
    code = "const now = moment();\n" + body
    build = function("name", code, to=["log"], libs=[{"var": "moment", "module": "moment"}])
    return [tab(), node("broker", "aedes broker", name="broker", mqtt_port=1883,
                        wires=[["name"], []]), build,
            node("log", "file", name="log", filename="filename", filenameType="msg",
                 appendNewline=True, createDir=True, overwriteFile="false", wires=[[]])]


@pytest.mark.parametrize("body", [
    f"if (msg.payload) {{\n  msg.payload = 'rx ' + msg.payload;\n  {_NAME_TODAY}\n"
    "  return msg;\n}",
    f"if (msg.payload) {{\n  {_NAME_TODAY}\n  node.send(msg);\n}}\nreturn null;",
])
def test_a_name_set_before_the_only_send_replaces_the_callers(body: str) -> None:
    assert findings_of(INJ001, app_of(_broker_log(body))) == []


@pytest.mark.parametrize("body", [
    f"if (msg.payload) {{\n  {_NAME_TODAY}\n}}\nreturn msg;",  # sent on without it too
    f"if (msg.retain) {{ return msg; }}\nif (msg.payload) {{\n  {_NAME_TODAY}\n"
    "  return msg;\n}",  # one way out before the name is set
    f"for (const p of msg.parts || []) {{\n  {_NAME_TODAY}\n  node.send(msg);\n}}",
    f"if (msg.payload) {{\n  {_NAME_TODAY}\n  msg.filename = msg.filename || msg.topic;\n"
    "  return msg;\n}",  # set again, from the message
])
def test_a_name_some_message_leaves_without_keeps_the_callers(body: str) -> None:
    f = one(findings_of(INJ001, app_of(_broker_log(body))))
    assert f.resource.id == nid("log")
