"""Node-RED INJ002: a date a function node's own date library formats is the host's clock.

Distilled, in our own words, from a gateway that logs each frame it sends to a file named
after today's date, formatted with the ``moment`` module the function node loads (``libs``).
The name holds no value of unknown origin; a date parsed from the message still does."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, one
from tests.test_checks_nodered import app_of, function, inject, nid, node, tab

INJ002 = injection.test_sinks_do_not_interpolate_data


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


def test_a_date_taken_from_the_message_keeps_its_origin() -> None:
    f = one(findings_of(INJ002, app_of(_frame_log("moment(msg.payload.sentAt)"))))
    assert f.resource.id == nid("log")


def test_a_library_that_is_no_clock_stays_unknown() -> None:
    f = one(findings_of(INJ002, app_of(_frame_log("moment()", module="left-pad"))))
    assert f.resource.id == nid("log")
