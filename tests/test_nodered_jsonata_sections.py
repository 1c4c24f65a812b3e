"""Node-RED INJ001/INJ002: what a JSONata expression and a mustache section really read.

Distilled, in our own words, from a factory dashboard whose reload flow reads the sensor table,
merges the rows into the device with a change node's JSONata, and then queries each sensor's
links with ``{{#payload.sensors}} … {{{sensorId}}} … {{/payload.sensors}}``: the ids are the
keys the database returned, not the text of the request that asked for the reload. And from a
flow that names its log file after today's date with ``$moment()``. Each is tested both ways."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.model import ValueRef
from pytest_nocode.platforms.nodered_jsonata import WHOLE_MESSAGE, jsonata_refs
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, change, config, function, http_in, nid, node, tab

# A request handler that copies the posted form onto the message (every property may then be
# the caller's), as the real flow's shared steps do.
SPREAD_FORM = "Object.assign(msg, msg.payload);\nreturn msg;"
PIVOTS = ("{{#payload.sensors}}\nSELECT gpio_id FROM sensor_pivots WHERE sensor_id = "
          "{{{COLUMN}}};\n{{/payload.sensors}}")


def _sql_template(key: str, text: str, to: str) -> dict[str, Any]:
    return node(key, "template", name=key, field="topic", fieldType="msg", format="sql",
                syntax="mustache", template=text, output="str", wires=[[to]])


def _reload(column: str = "sensorId", *, rows_from_database: bool = True) -> list[dict[str, Any]]:
    """POST /devices/reload: read the sensors, keep them on the message, query their links."""
    pivots = _sql_template("pivots", PIVOTS.replace("COLUMN", column), "links")
    if not rows_from_database:  # the section runs over what the caller posted
        return [tab(), config("db", "MySQLdatabase", name="plant"),
                http_in("reload", "/devices/reload", to=["spread"]),
                function("spread", SPREAD_FORM, to=["pivots"]), pivots,
                node("links", "mysql", mydb=nid("db"), wires=[[]])]
    return [tab(), config("db", "MySQLdatabase", name="plant"),
            http_in("reload", "/devices/reload", to=["spread"]),
            function("spread", SPREAD_FORM, to=["list"]),
            _sql_template("list", "SELECT sensor_id AS sensorId, label FROM sensors;", "rows"),
            node("rows", "mysql", mydb=nid("db"), wires=[["keep"]]),
            change("keep", to=["pivots"], rules=[
                {"t": "set", "p": "payload", "pt": "msg", "tot": "jsonata",
                 "to": '$merge([{"sensors": payload}, {"count": $count(payload)}])'}]),
            pivots, node("links", "mysql", mydb=nid("db"), wires=[[]])]


def test_a_key_column_of_rows_the_database_returned_is_no_callers_sql() -> None:
    app = app_of(_reload())
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_a_key_column_of_rows_the_caller_posted_fires() -> None:
    found = findings_of(INJ001, app_of(_reload(rows_from_database=False)))
    assert {f.resource.id for f in found} == {nid("pivots"), nid("links")}
    assert {f.evidence["origin"] for f in found} == {"entry"}


def test_a_text_column_inside_the_section_still_fires() -> None:
    """A name the rows may lack is looked up on the message too, which the caller filled."""
    found = findings_of(INJ001, app_of(_reload("label")))
    assert nid("pivots") in {f.resource.id for f in found}


# -- a file named by a JSONata expression ------------------------------------------------------
def _daily_log(expression: str) -> list[dict[str, Any]]:
    """POST /events: append the event to a log file whose name a change node computes."""
    return [tab(), http_in("events", "/events", to=["name"]),
            change("name", to=["log"], rules=[{"t": "set", "p": "filename", "pt": "msg",
                                               "to": expression, "tot": "jsonata"}]),
            node("log", "file", name="log", filename="", filenameType="str",
                 appendNewline=True, createDir=True, overwriteFile="false", wires=[[]])]


def test_a_file_named_after_todays_date_is_no_callers_path() -> None:
    app = app_of(_daily_log('"/data/logs/events." & $moment().format("YYYY-MM-DD") & ".log"'))
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("expression", [
    '"/data/logs/" & payload.device & ".log"',
    '"/data/logs/" & $$.payload.device & ".log"',
    '"/data/logs/" & $string($) & ".log"',
    '"/data/logs/" & $eval("payload.device") & ".log"',
    '"/data/logs/" & (((',  # does not parse: the whole message
])
def test_a_file_named_from_what_the_caller_sent_fires(expression: str) -> None:
    f = one(findings_of(INJ001, app_of(_daily_log(expression))))
    assert f.resource.id == nid("log")


# -- what an expression names ------------------------------------------------------------------
@pytest.mark.parametrize(("expression", "reads"), [
    ("$merge([device, payload[0]])", [("field", "device"), ("field", "payload")]),
    ('$globalContext("sensorTypes")', [("store", "global context sensorTypes")]),
    ('$env("PLANT")', [("env", "PLANT")]),
    ("$flowContext(key)", [("unknown", "a context key named at run time"), ("field", "key")]),
    ("payload.%", [("field", "payload"), ("field", "*")]),
    ("**.token", [("field", "*")]),
])
def test_an_expression_reads_what_it_names_and_the_whole_message_when_unsure(
        expression: str, reads: list[tuple[str, str]]) -> None:
    assert [(r.kind, r.name) for r in jsonata_refs(expression)] == reads


def test_an_expression_that_does_not_parse_reads_the_whole_message() -> None:
    assert jsonata_refs("$merge([device,") == (WHOLE_MESSAGE,)
    assert all(isinstance(r, ValueRef) for r in jsonata_refs("$now()"))
