"""Values whose origin the app itself shows, on n8n: what a command prints on the app's own
host, and the items a Loop Over Items node hands its loop (never what comes back around it).
INJ002 is for data of unknown origin; these are known, so it stays quiet on them, and fires on
the look-alikes that do bring in outside data. Distilled from real instance backups, in our
own words."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, ids, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    schedule,
    uid,
    webhook,
    workflow,
)


# -- a command's own output ---------------------------------------------------------------------
def _nightly(first: str) -> dict[str, Any]:
    """Every night a command lists (or fetches) the runs to process; a second one gets each."""
    nodes = [schedule(), execute_command("Find runs", first),
             execute_command("Process run", "=/opt/qc/run.sh {{ $json.stdout }}")]
    return workflow("Nightly QC", nodes, chain("Schedule Trigger", "Find runs", "Process run"))


def test_inj002_output_of_a_local_command_is_the_hosts_own_answer() -> None:
    listing = "ls -1 /mnt/sequencer/runs | grep -v tmp | head -n 20"
    assert findings_of(INJ002, app_of(_nightly(listing))) == []


def test_inj002_output_of_a_command_that_fetches_is_of_unknown_origin() -> None:
    for fetching in ("curl -s https://lims.example.com/api/runs",
                     "cd /srv/runs && git pull -q && cat queue.txt",
                     "python3 /opt/qc/list_runs.py"):
        f = one(findings_of(INJ002, app_of(_nightly(fetching))))
        assert f.resource.id == uid("Process run")
        assert f.evidence["origin_detail"] == "response of Find runs", fetching


def test_inj001_a_value_given_to_a_command_is_still_in_what_it_prints() -> None:
    """The command may echo what it was given: webhook data in, webhook data out."""
    nodes = [webhook(path="runs", method="POST"),
             execute_command("Normalise", "=echo {{ $json.body.run }} | tr a-z A-Z"),
             execute_command("Process run", "=/opt/qc/run.sh {{ $json.stdout }}")]
    app = app_of(workflow("QC on demand", nodes, chain("Webhook", "Normalise", "Process run")))
    assert ids(findings_of(INJ001, app)) == {uid("Normalise"), uid("Process run")}


# -- Loop Over Items ------------------------------------------------------------------------------
def _per_file(source: dict[str, Any], *, version: float = 3) -> dict[str, Any]:
    """Each file a trigger reports is read, indexed by a service, and the loop goes on; when
    it is done, a command archives what came back."""
    loop = n8n_node("Loop Over Items", "splitInBatches", {"options": {}}, version=version)
    path = n8n_node("Set path", "set", {"assignments": {"assignments": [
        {"id": uid("a:path"), "name": "file", "value": "={{ $json.path }}", "type": "string"}]},
        "options": {}}, version=3.4)
    read = n8n_node("Read file", "readWriteFile",
                    {"fileSelector": "={{ $('Set path').item.json.file }}", "options": {}})
    index = n8n_node("Index document", "httpRequest", {
        "method": "POST", "url": "https://search.example.com/v1/documents", "options": {}},
        version=4.2)
    archive = execute_command("Archive", "=mv {{ $json.archive_path }} /data/done/")
    loop_ports = [[{"node": "Archive", "type": "main", "index": 0}],
                  [{"node": "Set path", "type": "main", "index": 0}]]
    if version < 3:  # one output: the batches
        loop_ports = [loop_ports[1]]
    connections = {source["name"]: {"main": [[{"node": "Loop Over Items", "type": "main",
                                               "index": 0}]]},
                   "Loop Over Items": {"main": loop_ports},
                   **chain("Set path", "Read file", "Index document", "Loop Over Items")}
    nodes = [source, loop, path, read, index, archive]
    return workflow("Index new files", nodes, connections)


FOLDER_TRIGGER = n8n_node("Local File Trigger", "localFileTrigger", {
    "triggerOn": "folder", "path": "/data/shared", "events": ["add"], "options": {}})


def test_inj002_loop_hands_its_body_only_what_entered_from_outside() -> None:
    """The file path is the one the folder trigger reported; the service's answer that comes
    back around the loop never reaches the loop's body."""
    found = findings_of(INJ002, app_of(_per_file(FOLDER_TRIGGER)))
    assert uid("Read file") not in ids(found)


def test_inj002_loop_done_output_carries_what_came_back() -> None:
    f = one(findings_of(INJ002, app_of(_per_file(FOLDER_TRIGGER))))
    assert f.resource.id == uid("Archive")
    assert f.evidence["origin_detail"] == "response of Index document"


def test_inj002_loop_fed_by_a_service_passes_the_service_on() -> None:
    fetch = n8n_node("List files", "httpRequest", {
        "method": "GET", "url": "https://files.example.com/v1/new", "options": {}}, version=4.2)
    wf = _per_file(fetch)
    wf["nodes"].insert(0, schedule())
    wf["connections"].update(chain("Schedule Trigger", "List files"))
    found = findings_of(INJ002, app_of(wf))
    assert uid("Read file") in ids(found)


def test_inj002_loop_of_version_one_has_only_the_batch_output() -> None:
    """Before version 3 the node's one output is the batches; the archive step is wired to
    nothing then: in a workflow wired intactly it is never handed an item and never runs.
    With the wiring incomplete (a link naming a missing node) its input is one nobody shows,
    of unknown origin."""
    assert uid("Archive") not in ids(findings_of(INJ002, app_of(_per_file(FOLDER_TRIGGER,
                                                                             version=2))))
    wf = _per_file(FOLDER_TRIGGER, version=2)
    wf["connections"]["Cleanup"] = {"main": [[{"node": "Archive", "type": "main", "index": 0}]]}
    f = one(findings_of(INJ002, app_of(wf)))
    assert f.resource.id == uid("Archive")
    assert f.evidence["origin"] == "unknown" and "nothing wired" in f.evidence["origin_detail"]


# -- the name Convert to File gives the file it makes ---------------------------------------------
def _report_to_disk(file_name: str | None, *, convert: bool = True) -> dict[str, Any]:
    """A weekly report fetched from a service, made a file and saved under its file name."""
    fetch = n8n_node("Fetch report", "httpRequest", {
        "method": "GET", "url": "https://stats.example.com/v1/weekly", "options": {}},
        version=4.2)
    options = {"fileName": file_name} if file_name is not None else {}
    to_file = n8n_node("Make file", "convertToFile", {
        "operation": "toText", "sourceProperty": "summary", "options": options}, version=1.1)
    save = n8n_node("Save report", "readWriteFile", {
        "operation": "write", "options": {},
        "fileName": "=/srv/reports/{{ $binary.data.fileName }}-{{ $now.toFormat('yyyyMMdd') }}"})
    nodes = [schedule(), fetch, *([to_file] if convert else []), save]
    return workflow("Weekly report", nodes, chain(*(n["name"] for n in nodes)))


def test_inj002_file_name_set_by_convert_to_file_is_known() -> None:
    for name in ("=weekly-report", "weekly-report", None):
        assert findings_of(INJ002, app_of(_report_to_disk(name))) == [], name


def test_inj002_file_name_from_the_service_is_of_unknown_origin() -> None:
    for wf in (_report_to_disk("={{ $json.title }}"), _report_to_disk(None, convert=False)):
        f = one(findings_of(INJ002, app_of(wf)))
        assert f.resource.id == uid("Save report")
        assert f.evidence["origin_detail"] == "response of Fetch report"
