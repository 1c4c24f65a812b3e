"""Data handed from one step to a later one through a file on the app's own host: a command
(or a file node) writes a fixed path, a later command prints it back with ``cat``. What the
writer was given is what the reader's output holds, as if a wire joined them; a reader of
another file, or of a path named only at run time, is given nothing of it. Written for this
plugin, not taken from any export."""

from __future__ import annotations

import pytest

from pytest_nocode.commandfiles import files_read, files_written
from pytest_nocode.dataflow import dataflow
from tests import test_checks_n8n as n8n
from tests import test_checks_nodered as nr
from tests.checkrun import findings_of, ids
from tests.rules import INJ001


@pytest.mark.parametrize(("command", "written"), [
    ("cat << 'EOF' > /srv/jobs/next.json\n{{ x }}\nEOF", ("/srv/jobs/next.json",)),
    ("echo done >> ./log/run.txt", ("./log/run.txt",)),
    ("printf '%s' \"$X\" | tee -a /var/tmp/queue.txt", ("/var/tmp/queue.txt",)),
    ("node -e \"require('fs').writeFileSync('/srv/out/list.json', s)\"", ("/srv/out/list.json",)),
    ("python3 -c \"open('report.csv', 'w').write(t)\"", ("report.csv",)),
    # not a file of the flow's, or not one fixed file
    ("ffmpeg -i in.mp4 out.mp4 2> /dev/null", ()),
    ("run > /dev/null 2>&1", ()),
    ("echo x > \"{{ $json.path }}\"", ()),
    ("echo x > $OUT_DIR/a.txt", ()),
    ("node -e \"const f = (a) => a > 1\"", ()),
])
def test_files_a_command_writes(command: str, written: tuple[str, ...]) -> None:
    assert files_written(command) == written


@pytest.mark.parametrize(("command", "read"), [
    ("cat /srv/jobs/next.json", ("/srv/jobs/next.json",)),
    ("cd /srv && tail -n 20 /srv/logs/app.log", ("/srv/logs/app.log",)),
    ("jq -r .items /srv/jobs/next.json", ("/srv/jobs/next.json",)),
    ("sort < /var/tmp/queue.txt", ("/var/tmp/queue.txt",)),
    ("node -e \"fs.readFileSync('/srv/out/list.json')\"", ("/srv/out/list.json",)),
    # a heredoc cat prints, a run-time path or a device is no one file
    ("cat << 'EOF' > /srv/jobs/next.json\nx\nEOF", ()),
    ("cat \"{{ $json.file }}\"", ()),
    ("cat /srv/jobs/*.json", ()),
    ("head -c 16 /dev/urandom", ()),
])
def test_files_a_command_reads(command: str, read: tuple[str, ...]) -> None:
    assert files_read(command) == read


def _n8n_round_trip(read_path: str) -> object:
    """A webhook's body is saved to a file by one command; a later one cats a file back, a
    Code node parses it and ffmpeg is run on the path it holds."""
    nodes = [n8n.webhook(method="POST", path="clips/new"),
             n8n.execute_command("Save job", "=cat << 'EOF' > /srv/jobs/next.json\n"
                                 "{{ JSON.stringify($json.body) }}\nEOF"),
             n8n.execute_command("Read job", f"=cat {read_path}"),
             n8n.code("Parse job", "return [{ json: JSON.parse($json.stdout) }];"),
             n8n.execute_command("Cut", "=ffmpeg -i \"{{ $json.input }}\" -c copy /srv/out.mp4")]
    return n8n.app_of(n8n.workflow("Clips", nodes, n8n.chain(
        "Webhook", "Save job", "Read job", "Parse job", "Cut")))


def test_n8n_a_file_one_command_writes_and_another_cats_carries_the_callers_data() -> None:
    app = _n8n_round_trip("/srv/jobs/next.json")
    origins = dataflow(app).sinks_of(n8n.uid("Cut"))[0].origins
    assert "entry" in {o.kind for o in origins}
    assert n8n.uid("Cut") in ids(findings_of(INJ001, app))


def test_n8n_a_command_catting_another_file_is_not_given_what_was_saved() -> None:
    app = _n8n_round_trip("/srv/jobs/done.json")
    origins = dataflow(app).sinks_of(n8n.uid("Cut"))[0].origins
    assert "entry" not in {o.kind for o in origins}
    assert n8n.uid("Cut") not in ids(findings_of(INJ001, app))


def _nodered_round_trip(read_path: str) -> object:
    """A route's body is written to a file by a file node; on a timer an exec node cats a file
    and the next exec appends what it printed to a command line."""
    return nr.app_of([nr.tab(),
                      nr.http_in("route", "/jobs", to=["save"]),
                      nr.file_out("save", "/srv/jobs/next.txt"),
                      nr.inject("tick", to=["read"], repeat="60"),
                      nr.exec_node("read", f"cat {read_path}", "false", to=["run"]),
                      nr.exec_node("run", "convert", "payload")])


def test_nodered_exec_catting_the_file_a_file_node_wrote_runs_the_callers_text() -> None:
    app = _nodered_round_trip("/srv/jobs/next.txt")
    assert nr.nid("run") in ids(findings_of(INJ001, app))


def test_nodered_exec_catting_another_file_is_quiet() -> None:
    app = _nodered_round_trip("/srv/jobs/other.txt")
    assert nr.nid("run") not in ids(findings_of(INJ001, app))
