"""Second-order injection on n8n, and the store that is not: a table this app alone fills, and
only with values of known origin (fixed text, its own command's output, the keys the database
made), read back holds nothing anyone outside wrote, so INJ002 stays quiet on it. A table some
writer fills with a caller's or a service's data, one this app only reads (nothing says who
writes it) unless it is a lookup table of the database the app fills that way itself, or one
a write named only at run time may fill, stays of unknown origin.
Distilled from a sequencing lab's instance backup, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import dataflow
from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    postgres,
    schedule,
    uid,
    webhook,
    workflow,
)

REGISTER_RUN = ("WITH inserted AS (\n  INSERT INTO runs (run_id) VALUES ('{{ $json.run_id }}')\n"
                "  ON CONFLICT (run_id) DO UPDATE SET run_id = EXCLUDED.run_id\n"
                "  RETURNING uniqueref\n)\nSELECT '{{ $json.run_id }}' AS run_id, "
                "inserted.uniqueref AS run_ref FROM inserted;")


def _set_run(value: str) -> dict[str, Any]:
    return n8n_node("Set run", "set", {"assignments": {"assignments": [
        {"id": uid("a:run"), "name": "run_id", "value": value, "type": "string"}]},
        "options": {}}, version=3.4)


def _nightly(*extra: dict[str, Any], run_id: str = "250301_A01228_0117_BHKTWDSXY") -> dict:
    """Each night the run to process is registered in the runs table, the row read back, and
    a command finds the run's folder with what the row says."""
    nodes = [schedule(), _set_run(run_id),
             postgres("Register run", "executeQuery", query=REGISTER_RUN, options={}),
             postgres("Latest run", "executeQuery",
                      query="SELECT run_id FROM runs ORDER BY uniqueref DESC LIMIT 1",
                      options={}),
             execute_command("Find run folder",
                             "=fdfind \"{{ $json.run_id }}-Fastq$\" /mnt/runs --max-depth 1")]
    return workflow("Nightly QC", [*nodes, *extra],
                    chain("Schedule Trigger", "Set run", "Register run", "Latest run",
                          "Find run folder"))


def test_inj002_a_table_only_this_app_fills_with_fixed_values_is_internal() -> None:
    app = app_of(_nightly())
    assert findings_of(INJ002, app) == []
    flow = dataflow(app)
    assert ("database", "runs") in flow.internal_stores()
    origins = flow.sinks_of(uid("Find run folder"))[0].origins
    assert {flow.trust(o) for o in origins if o.kind == "store"} == {"internal"}


def test_inj002_the_table_written_with_what_a_service_answered_is_unknown() -> None:
    """The same table, but the run id is what the sequencer's API said: not internal."""
    wf = _nightly(n8n_node("Sequencer API", "httpRequest", {
        "method": "GET", "url": "https://sequencer.example.com/api/runs/latest",
        "options": {}}, version=4.2), run_id="={{ $json.run }}")
    wf["connections"].update(chain("Schedule Trigger", "Sequencer API", "Set run"))
    app = app_of(wf)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ002, app))


def test_inj001_a_caller_writing_the_table_elsewhere_makes_the_read_theirs() -> None:
    """Another workflow of the app lets a webhook caller add runs: second-order injection."""
    intake = _run_intake()
    app = app_of(_nightly(), intake)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ001, app))


def test_inj002_a_writer_pasting_another_nodes_data_is_not_internal() -> None:
    """The writer's own item is fixed, but its column reads a service's answer by name."""
    status = n8n_node("Sequencer status", "httpRequest", {
        "method": "GET", "url": "https://sequencer.example.com/api/status", "options": {}},
        version=4.2)
    note = postgres("Note run", "insert", table={"__rl": True, "value": "runs", "mode": "list"},
                    columns={"mappingMode": "defineBelow", "value": {
                        "run_id": "={{ $('Sequencer status').item.json.current_run }}"}},
                    options={})
    wf = _nightly(status, note)
    wf["connections"]["Set run"] = {"main": [[
        {"node": n, "type": "main", "index": 0}
        for n in ("Register run", "Sequencer status", "Note run")]]}
    app = app_of(wf)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ002, app))


def test_inj002_a_table_this_app_only_reads_stays_unknown() -> None:
    """A lookup table nobody in the app writes: who fills it is not shown."""
    nodes = [schedule(), postgres("Kits", "executeQuery",
                                  query="SELECT bed_file FROM kits_mapping", options={}),
             execute_command("Run QC", "=/opt/qc/run.sh --bed {{ $json.bed_file }}")]
    app = app_of(workflow("QC", nodes, chain("Schedule Trigger", "Kits", "Run QC")))
    assert ids(findings_of(INJ002, app)) == {uid("Run QC")}


def _run_intake() -> dict:
    """Another workflow of the app: a webhook caller adds runs to the ``runs`` table."""
    return workflow("Run intake", [
        webhook(path="runs", method="POST"),
        postgres("Save run", "insert", table={"__rl": True, "value": "runs", "mode": "list"},
                 columns={"mappingMode": "defineBelow",
                          "value": {"run_id": "={{ $json.body.run_id }}"}}, options={})],
        chain("Webhook", "Save run"))


def _kits_beside_runs(kits_credential: tuple[str, str] | None = None) -> dict:
    """The nightly run, and then the run's QC with the bed file a lookup table in the same
    database names (the app writes runs, and only reads kits_mapping)."""
    kits = postgres("Kits", "executeQuery", query="SELECT bed_file FROM kits_mapping",
                    options={})
    if kits_credential is not None:
        kits["credentials"] = {"postgres": {"id": kits_credential[0],
                                            "name": kits_credential[1]}}
    wf = _nightly(kits, execute_command("Run QC",
                                        "=/opt/qc/run.sh --bed {{ $json.bed_file }}"))
    wf["connections"].update(chain("Find run folder", "Kits", "Run QC"))
    return wf


def test_inj002_a_lookup_table_beside_the_apps_own_tables_is_internal() -> None:
    """Read through the connection by which the app fills its own tables only with values
    of known origin: the owner's reference data, as internal as those tables."""
    app = app_of(_kits_beside_runs())
    flow = dataflow(app)
    origins = flow.sinks_of(uid("Run QC"))[0].origins
    assert {flow.trust(o) for o in origins if o.kind == "store"} == {"internal"}
    assert findings_of(INJ002, app) == []


def test_inj002_a_lookup_table_of_another_connection_stays_unknown() -> None:
    """Another credential is another database: nothing says who fills that one."""
    app = app_of(_kits_beside_runs(("9QbTzLw2", "Lab inventory DB")))
    assert ids(findings_of(INJ002, app)) == {uid("Run QC")}


def test_inj001_a_lookup_table_beside_a_table_callers_fill_is_not_internal() -> None:
    """Once a webhook caller fills one of the app's tables through that connection, the
    database is not only the app's own: the lookup table's origin is unknown again."""
    intake = _run_intake()
    app = app_of(_kits_beside_runs(), intake)
    flow = dataflow(app)
    origins = flow.sinks_of(uid("Run QC"))[0].origins
    assert "internal" not in {flow.trust(o) for o in origins if o.kind == "store"}
    assert uid("Run QC") in ids(findings_of(INJ002, app)) | ids(findings_of(INJ001, app))


def test_inj002_a_write_named_only_at_run_time_may_fill_any_table() -> None:
    """A statement computed whole (``={{ $json.sql }}``) named "Update …" may write runs."""
    anywhere = postgres("Update state", "executeQuery", query="={{ $json.sql }}", options={})
    wf = _nightly(anywhere)
    wf["connections"]["Find run folder"] = chain("Find run folder", "Update state")[
        "Find run folder"]
    app = app_of(wf)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ002, app))


def test_inj002_a_writer_wired_from_nowhere_is_given_unknown_data() -> None:
    """Where the workflow's wiring is incomplete (a link names a missing node), a writer
    wired from nowhere is given input nobody shows; in an intactly wired workflow it is never
    handed an item and never runs (see test_stranded_steps_n8n), so it fills nothing."""
    orphan = postgres("Backfill run", "insert",
                      table={"__rl": True, "value": "runs", "mode": "list"},
                      columns={"mappingMode": "autoMapInputData", "value": {}}, options={})
    app = app_of(_nightly(orphan))
    assert ("database", "runs") in dataflow(app).internal_stores()
    wf = _nightly(orphan)
    wf["connections"]["Import"] = {"main": [[{"node": "Backfill run", "type": "main",
                                              "index": 0}]]}
    app = app_of(wf)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ002, app))


def test_inj002_a_table_whose_only_writer_is_switched_off_is_not_filled_here() -> None:
    """Nothing in the app writes the table while its one writer is disabled: who fills it is
    not shown, so what is read back stays unknown."""
    wf = _nightly()
    wf["nodes"][2]["disabled"] = True  # Register run
    app = app_of(wf)
    assert ("database", "runs") not in dataflow(app).internal_stores()
    assert uid("Find run folder") in ids(findings_of(INJ002, app))


def test_inj002_a_table_filled_from_an_internal_one_is_internal_too() -> None:
    """runs (fixed values) → conversions (the run row and the command's listing) → a
    command: every write known, through both tables."""
    convert = postgres("Register conversion", "executeQuery", options={}, query=(
        "WITH inserted AS (INSERT INTO conversions (folder, run_ref) VALUES "
        "('{{ $json.stdout }}', {{ $('Register run').item.json.run_ref }}) RETURNING id) "
        "SELECT folder FROM conversions WHERE id = (SELECT id FROM inserted)"))
    copy = execute_command("Copy fastq", "=rclone copy \"{{ $json.folder }}\" /staging/")
    wf = _nightly(convert, copy)
    wf["connections"]["Find run folder"] = chain("Find run folder", "Register conversion")[
        "Find run folder"]
    wf["connections"]["Register conversion"] = chain("Register conversion", "Copy fastq")[
        "Register conversion"]
    app = app_of(wf)
    assert {("database", "runs"), ("database", "conversions")} <= \
        dataflow(app).internal_stores()
    assert findings_of(INJ002, app) == []


# -- what a query computes: counts, numbers, row ids ----------------------------------------------
def _report(select: str, *, node: str = "postgres", version: float = 2.5) -> dict[str, Any]:
    """Every six hours the app counts what it holds and notes the figure in a table."""
    stats = n8n_node("Stats", node, {"operation": "executeQuery", "query": select,
                                     "options": {}}, version=version)
    notify = n8n_node("Notify", node, {"operation": "executeQuery", "options": {}, "query": (
        "INSERT INTO notifications (title, message) VALUES ('Embedder done', "
        "'Vectors: {{ $json.total }}')")}, version=version)
    return workflow("Embedder report", [schedule(), stats, notify],
                    chain("Schedule Trigger", "Stats", "Notify"))


@pytest.mark.parametrize("select", [
    "SELECT COUNT(*) AS total, AVG(score) AS mean FROM knowledge_vectors",
    "SELECT SUM(citations) AS total FROM knowledge_vectors",
    "SELECT COALESCE(v.followup_count, 0) AS total FROM contacts v",
    "SELECT 99 AS total FROM contacts",
    "SELECT v.id AS total FROM knowledge_vectors v",
    "SELECT v.hits::int AS total FROM knowledge_vectors v",
])
def test_inj002_a_number_the_query_computes_is_no_text(select: str) -> None:
    assert findings_of(INJ002, app_of(_report(select))) == []


@pytest.mark.parametrize(("select", "node", "version"), [
    ("SELECT v.title AS total FROM knowledge_vectors v", "postgres", 2.5),
    ("SELECT COALESCE(v.title, '') AS total FROM knowledge_vectors v", "postgres", 2.5),
    ("SELECT 'n=' || COUNT(*) AS total FROM knowledge_vectors", "postgres", 2.5),
    ("SELECT MAX(v.title) AS total FROM knowledge_vectors v", "postgres", 2.5),
    # one branch of the union gives the name text
    ("SELECT COUNT(*) AS total FROM a UNION ALL SELECT v.title AS total FROM b v",
     "postgres", 2.5),
    # MySQL's COALESCE keeps a text column text whatever the default
    ("SELECT COALESCE(v.title, 0) AS total FROM knowledge_vectors v", "mySql", 2.4),
    ("SELECT * FROM knowledge_vectors", "postgres", 2.5),
])
def test_inj002_text_the_query_returns_is_still_the_tables(select: str, node: str,
                                                             version: float) -> None:
    assert ids(findings_of(INJ002, app_of(_report(select, node=node, version=version)))) == \
        {uid("Notify")}


def test_origins_are_given_in_one_order_however_many_a_store_makes_reach_a_sink() -> None:
    """The origins a question gets are sorted by kind, step and detail (entry points first);
    they are sorted by a ranking of every known origin, so an origin made after the ranking
    (a sink's constant, asked about late) must still fall in its place, and the ranking must
    be redone when many are new."""
    from pytest_nocode import dataflow as engine

    intake = _run_intake()
    flow = dataflow(app_of(_nightly(), intake))
    sinks = list(flow.sinks())
    assert sinks and any(len(s.origins) > 1 for s in sinks)
    for sink in sinks:
        assert list(sink.origins) == sorted(sink.origins, key=engine._order)
    known = frozenset(range(len(flow._origins)))
    late = [flow._oid(engine.Origin(kind, f"made late {n}", step))
            for n, (kind, step) in enumerate([("constant", "zz"), ("entry", ""),
                                              ("store", sinks[0].step.id)])]
    for oids in (known, known | set(late), frozenset(late), frozenset({late[1], 0})):
        expected = sorted((flow._origins[o] for o in oids), key=engine._order)
        assert list(flow._in_order(frozenset(oids))) == expected
    many = [flow._oid(engine.Origin("env", f"late {n}")) for n in range(len(known) + 100)]
    everything = frozenset(range(len(flow._origins)))
    assert list(flow._in_order(everything)) == sorted(flow._origins, key=engine._order)
    assert len(flow._rank) == len(flow._origins) > max(many)  # ranked again
