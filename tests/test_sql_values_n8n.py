"""SQL an n8n node builds by pasting values, and the values that cannot rewrite it: the key
column of rows read back from a table the app also writes, a value turned into a date, a value
whose single quotes are doubled where the query quotes it, and a called workflow's input that
its trigger declares as a number. Each beside the look-alike that still rewrites the query.
Distilled from a translation bot's instance backup, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import (
    app_of,
    chain,
    n8n_node,
    postgres,
    uid,
    webhook,
    wid,
    workflow,
)


def _intake(*rest: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A caller's posted note is stored in the notes table, read back, and used again."""
    save = postgres("Save note", "executeQuery", options={},
                    query="INSERT INTO notes (body) VALUES ('{{ $json.body.note }}')")
    read = postgres("Read note", "executeQuery", options={},
                    query="SELECT * FROM notes ORDER BY id DESC LIMIT 1")
    return workflow("Notes", [webhook(path="notes", method="POST"), save, read, *rest],
                    chain("Webhook", "Save note", "Read note", *names))


@pytest.mark.parametrize(("column", "fires"), [("id", False), ("body", True)])
def test_inj002_key_column_of_a_table_the_app_writes_is_the_databases(column: str,
                                                                       fires: bool) -> None:
    """``$('Read note').first().json.id``: the table holds the caller's text, but its key
    column is the number the database gave the row; the body column is the caller's."""
    mark = postgres("Mark read", "executeQuery", options={},
                    query=f"UPDATE notes SET seen = true WHERE id = "
                          f"{{{{ $('Read note').first().json.{column} }}}}")
    found = findings_of(INJ002, app_of(_intake(mark, names=("Mark read",))))
    found += findings_of(INJ001, app_of(_intake(mark, names=("Mark read",))))
    assert (uid("Mark read") in ids(found)) is fires


@pytest.mark.parametrize(("value", "fires"), [
    ("$('Read note').first().json.created.toDateTime('s')", False),
    ("$('Read note').first().json.created.toDateTime().toFormat('yyyy-MM-dd')", False),
    ("$('Read note').first().json.created", True),
    ("$('Read note').first().json.body + $('Read note').first().json.created.toDateTime()",
     True),
])
def test_sql_a_value_turned_into_a_date_stays_a_date(value: str, fires: bool) -> None:
    since = postgres("Newer notes", "executeQuery", options={},
                     query=f"SELECT * FROM notes WHERE created > '{{{{ {value} }}}}'")
    app = app_of(_intake(since, names=("Newer notes",)))
    found = [*findings_of(INJ001, app), *findings_of(INJ002, app)]
    assert (uid("Newer notes") in ids(found)) is fires


@pytest.mark.parametrize(("query", "fires"), [
    ("UPDATE notes SET summary = '{{ $json.body.note.replaceAll(\"'\", \"''\") }}'", False),
    ("UPDATE notes SET summary = '{{ $json.body.note.replace(/'/g, \"''\") }}'", False),
    ("UPDATE notes SET summary = '{{ JSON.stringify($json.body).replaceAll(`'`, `''`) }}'",
     False),
    # doubled quotes are no escape outside quotes; nor a replace of the first quote only,
    # nor one that replaces a doubled quote by itself, nor an escape before text is joined
    ("UPDATE notes SET n = {{ $json.body.note.replaceAll(\"'\", \"''\") }}", True),
    ("UPDATE notes SET summary = '{{ $json.body.note.replace(\"'\", \"''\") }}'", True),
    ("UPDATE notes SET summary = '{{ $json.body.note.replaceAll(`''`, `''`) }}'", True),
    ("UPDATE notes SET summary = '{{ $json.body.a.replaceAll(\"'\", \"''\") + $json.body.b }}'",
     True),
])
def test_inj001_quote_doubled_value_inside_sql_quotes_stays_a_string(query: str,
                                                                      fires: bool) -> None:
    wf = workflow("Summaries", [webhook(path="summary", method="POST"),
                                postgres("Save summary", "executeQuery", options={},
                                         query=query)],
                  chain("Webhook", "Save summary"))
    assert (uid("Save summary") in ids(findings_of(INJ001, app_of(wf)))) is fires


def _called_with(declared: list[dict[str, str]], version: float = 1.1) -> list[dict[str, Any]]:
    """An open webhook hands the posted chunk id to a sub-workflow that reads that chunk."""
    caller = workflow("Translate API", [
        webhook(path="translate", method="POST"),
        n8n_node("Translate chunk", "executeWorkflow", {
            "workflowId": {"__rl": True, "value": wid("Chunk worker"), "mode": "list"},
            "workflowInputs": {"mappingMode": "defineBelow",
                               "value": {"id_chunk": "={{ $json.body.chunk }}"}},
            "options": {}}, version=1.2)], chain("Webhook", "Translate chunk"))
    params: dict[str, Any] = {"workflowInputs": {"values": declared}} if declared else \
        {"inputSource": "passthrough"}
    callee = workflow("Chunk worker", [
        n8n_node("When called", "executeWorkflowTrigger", params, version=version),
        postgres("Read chunk", "executeQuery", options={},
                 query="SELECT * FROM chunks WHERE id = {{ $json.id_chunk }}")],
        chain("When called", "Read chunk"))
    return [caller, callee]


@pytest.mark.parametrize(("declared", "version", "fires"), [
    ([{"name": "id_chunk", "type": "number"}], 1.1, False),
    ([{"name": "id_chunk", "type": "boolean"}], 1.1, False),
    ([{"name": "id_chunk"}], 1.1, True),  # no type: a string, whatever the caller sends
    ([{"name": "id_chunk", "type": "string"}], 1.1, True),
    ([], 1.1, True),  # passthrough: the caller's whole item
    ([{"name": "id_chunk", "type": "number"}], 1, True),  # v1 declares nothing
])
def test_inj001_a_called_workflows_number_input_is_a_number(declared: list[dict[str, str]],
                                                            version: float,
                                                            fires: bool) -> None:
    app = app_of(*_called_with(declared, version))
    assert (uid("Read chunk") in ids(findings_of(INJ001, app))) is fires


def test_inj001_a_called_workflow_gets_only_the_fields_its_trigger_declares() -> None:
    """A field the trigger does not declare is not in the sub-workflow's item, whatever the
    caller's item held; one it declares as text still carries what the caller mapped."""
    caller, callee = _called_with([{"name": "id_chunk", "type": "number"},
                                   {"name": "note"}])
    callee["nodes"][1]["parameters"]["query"] = \
        "SELECT * FROM chunks WHERE id = {{ $json.id_chunk }} AND lang = '{{ $json.body.lang }}'"
    assert findings_of(INJ001, app_of(caller, callee)) == []
    callee["nodes"][1]["parameters"]["query"] = "SELECT * FROM chunks WHERE note = " \
                                                "'{{ $json.note }}'"
    assert uid("Read chunk") in ids(findings_of(INJ001, app_of(caller, callee)))


# -- columns the app's own schema types ----------------------------------------------------------
SCHEMA = ("CREATE TABLE IF NOT EXISTS notes (\n  id SERIAL PRIMARY KEY,\n"
          "  batch_id INT REFERENCES batches(id) ON DELETE CASCADE,\n  body TEXT,\n"
          "  label VARCHAR(40),\n  created TIMESTAMP DEFAULT NOW()\n);")


@pytest.mark.parametrize(("column", "schema", "fires"), [
    ("batch_id", SCHEMA, False),  # INT in the app's own CREATE TABLE
    ("created", SCHEMA, False),
    ("label", SCHEMA, True),  # text: what the writer put there
    ("batch_id", "", True),  # no schema in the app: a key-like column may hold anything
    ("batch_id", SCHEMA.replace("batch_id INT", "batch_id TEXT"), True),
])
def test_inj002_a_column_the_apps_schema_types_as_a_number_holds_one(column: str, schema: str,
                                                                     fires: bool) -> None:
    """The caller's note lands in the notes table; a later step pastes one column of the row
    it reads back into another query. The app's own setup statement types the columns."""
    setup = [postgres("Create tables", "executeQuery", options={}, query=schema)] if schema \
        else []
    use = postgres("Batch notes", "executeQuery", options={},
                   query=f"SELECT * FROM batches WHERE ref = "
                         f"{{{{ $('Read note').first().json.{column} }}}}")
    app = app_of(_intake(use, *setup, names=("Batch notes",)))
    found = [*findings_of(INJ001, app), *findings_of(INJ002, app)]
    assert (uid("Batch notes") in ids(found)) is fires
