"""INJ001 through a function node's own calls, distilled from real flows in our own words: the
code fetches a URL (``fetch``, ``axios``, ``http.get``), opens or deletes a file (``fs``) or
runs a command (``child_process``) built from what an open route was sent. Each fires on the
bad shape and stays quiet on its twin: a fixed host with the value only in the path, a
library the node does not load, an options object whose server is the owner's."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.nodered_function import follow_function, module_names
from tests.checkrun import findings_of, ids
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import (
    TAB,
    app_of,
    config,
    exec_node,
    function,
    http_in,
    http_response,
    mqtt_in,
    nid,
    tab,
)

FS = [{"var": "fs", "module": "fs"}, {"var": "path", "module": "path"}]
CP = [{"var": "cp", "module": "child_process"}]


def _route(code: str, libs: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """An open GET route whose query reaches the function ``code``, then the answer."""
    return [tab(), http_in("in", "/thumb", method="get", to=["fn"]),
            function("fn", code, to=["out"], libs=libs), http_response("out")]


def _calls(code: str, libs: list[dict[str, str]] | None = None) -> list[str]:
    followed = follow_function(code, modules=module_names(libs or []))
    assert followed is not None
    return [call.kind for call in followed.calls]


# -- a URL the caller chooses -------------------------------------------------------------------
FETCH_URL = """const url = msg.payload.url;
return fetch(url).then(r => r.buffer()).then(b => { msg.payload = b; return msg; });"""
FETCH_FIXED_HOST = """return fetch("https://img.example.com/thumb/" + msg.payload.id)
    .then(r => r.json()).then(j => { msg.payload = j; return msg; });"""


def test_a_function_fetching_a_url_from_the_query_string_fires() -> None:
    assert ids(findings_of(INJ001, app_of(_route(FETCH_URL)))) == {nid("fn")}


def test_a_function_fetching_a_fixed_host_with_the_value_in_the_path_is_quiet() -> None:
    """The value picks a path of the owner's chosen server, not which server is asked."""
    assert findings_of(INJ001, app_of(_route(FETCH_FIXED_HOST))) == []


OPTIONS_OWN_HOST = """function get(opts) {
  return new Promise(resolve => { http.get(opts, res => resolve(res.statusCode)); });
}
const opts = Object.assign({}, { hostname: "printer.lan", port: 631 },
                           { path: "/jobs/" + encodeURIComponent(msg.payload.job) });
get(opts).then(s => { msg.payload = s; node.send(msg); });
return null;"""
OPTIONS_CALLER_HOST = OPTIONS_OWN_HOST.replace('"printer.lan"', "msg.payload.host")


def test_an_options_object_naming_the_owners_server_is_quiet() -> None:
    """http.get(options): the hostname says where it goes; the job only fills the path."""
    libs = [{"var": "http", "module": "http"}]
    assert findings_of(INJ001, app_of(_route(OPTIONS_OWN_HOST, libs))) == []
    assert ids(findings_of(INJ001, app_of(_route(OPTIONS_CALLER_HOST, libs)))) == {nid("fn")}


def test_axios_bound_by_require_or_libs_is_a_request_and_a_look_alike_method_is_not() -> None:
    assert _calls('const axios = require("axios"); axios.get(msg.url); return msg;') \
        == ["fetch"]
    assert _calls("client.get(msg.url); return msg;") == []  # nothing says what client is
    assert _calls("cache.get(msg.url); return msg;",
                  [{"var": "cache", "module": "node-cache"}]) == []


# -- a file the caller names ----------------------------------------------------------------------
DELETE = """const name = msg.payload.name;
try { fs.unlinkSync(path.join("/srv/playlists", name + ".json")); } catch (e) {}
return msg;"""
DELETE_IN_NAME = """fs.unlinkSync("/srv/playlists/list-" + msg.payload.name + ".json");
return msg;"""
LISTING = """const dir = "/srv/playlists";
const out = [];
for (const f of fs.readdirSync(dir)) { out.push(fs.readFileSync(path.join(dir, f), "utf8")); }
msg.payload = out;
return msg;"""


def test_a_function_deleting_a_file_the_caller_names_fires() -> None:
    found = findings_of(INJ001, app_of(_route(DELETE, FS)))
    assert ids(found) == {nid("fn")}
    assert "fs.unlinkSync()" in found[0].message


def test_a_name_after_a_fixed_directory_and_text_reaches_no_other_directory() -> None:
    """``/srv/playlists/list-`` + name: "list-.." is no directory, so ../ climbs nowhere."""
    assert findings_of(INJ001, app_of(_route(DELETE_IN_NAME, FS))) == []


def test_files_a_function_lists_from_its_own_directory_are_no_one_s_input() -> None:
    flows = _route(LISTING, FS)
    assert findings_of(INJ001, app_of(flows)) == []
    assert findings_of(INJ002, app_of(flows)) == []


RESTORE = """const name = msg.payload.file;
if (name.indexOf("..") >= 0 || name.indexOf("/") >= 0) { msg.payload = "bad name"; return msg; }
msg.payload = fs.readFileSync("/srv/backups/" + name, "utf8");
return msg;"""


@pytest.mark.parametrize(("check", "fires"), [
    ('if (name.indexOf("..") >= 0 || name.indexOf("/") >= 0)', False),
    ('if (name.includes(".."))', False),
    ('if (name.indexOf("..") === -1)', True),  # leaves when the name is clean: no check
    ('if (!name.includes(".."))', True),
    ('if (name.includes("/"))', True),  # a slash alone: "..", joined after one, still climbs
])
def test_a_name_checked_for_dots_before_the_read_climbs_nowhere(check: str,
                                                               fires: bool) -> None:
    code = RESTORE.replace('if (name.indexOf("..") >= 0 || name.indexOf("/") >= 0)', check)
    assert bool(findings_of(INJ001, app_of(_route(code, FS)))) is fires


def test_fs_the_node_does_not_load_is_not_read_as_the_file_system() -> None:
    assert _calls(DELETE) == []
    assert _calls(DELETE, FS) == ["path"]


# -- a command the caller writes ------------------------------------------------------------------
RUN = 'cp.execSync("convert " + msg.payload.file + " out.png"); return msg;'
RUN_LOADED = """const { exec } = global.get("child_process");
exec(`ping -c 1 ${msg.payload.host}`);
return msg;"""
RUN_FIXED = 'cp.execSync("uptime"); msg.payload = env.get("HOST"); return msg;'


@pytest.mark.parametrize(("code", "libs"), [(RUN, CP), (RUN_LOADED, None)],
                         ids=["libs", "global context"])
def test_a_function_running_a_command_built_from_the_request_fires(
        code: str, libs: list[dict[str, str]] | None) -> None:
    assert ids(findings_of(INJ001, app_of(_route(code, libs)))) == {nid("fn")}


def test_a_fixed_command_is_no_sink() -> None:
    assert _calls(RUN_FIXED, CP) == []
    assert findings_of(INJ001, app_of(_route(RUN_FIXED, CP))) == []


def test_a_subflow_function_fetching_what_the_route_sent_fires() -> None:
    """The function sits inside a subflow; the instance on the tab is wired to the route."""
    sub = nid("subflow:url2buffer")
    subflow = {"id": sub, "type": "subflow", "name": "url2buffer", "info": "", "env": [],
               "in": [{"x": 60, "y": 80, "wires": [{"id": nid("fn")}]}],
               "out": [{"x": 300, "y": 80, "wires": [{"id": nid("fn"), "port": 0}]}]}
    instance = {"id": nid("inst"), "type": f"subflow:{sub}", "z": TAB, "name": "", "env": [],
                "x": 300, "y": 120, "wires": [[nid("out")]]}
    flows = [tab(), subflow, http_in("in", "/thumb", method="get", to=["inst"]),
             function("fn", FETCH_URL, z=sub), instance, http_response("out")]
    assert ids(findings_of(INJ001, app_of(flows))) == {nid("fn")}


# -- a regular expression's exec is no process ---------------------------------------------------
PATTERNS = """const patterns = { temp: /Temp:\\s*(\\d+)/, wind: /Wind:\\s*(\\d+)/ };
const pick = (pattern) => { const m = pattern.exec(msg.payload); return m ? m[1] : null; };
msg.payload = { temp: pick(patterns.temp), wind: pick(patterns.wind) };
return msg;"""
UNKNOWN_RUNNER = """const runner = global.get("runner");
runner.exec(msg.payload.job);
return msg;"""


def test_exec_of_regular_expressions_the_code_writes_runs_nothing() -> None:
    """``pattern.exec(text)``, the pattern from an object of regex literals through a
    helper: a match, not a process, not code."""
    assert findings_of(INJ001, app_of(_route(PATTERNS))) == []


def test_exec_of_an_object_from_global_context_is_still_read_as_running_something() -> None:
    """A settings-provided object under a name that says nothing: it may be child_process."""
    assert ids(findings_of(INJ001, app_of(_route(UNKNOWN_RUNNER)))) == {nid("fn")}


# -- an object's keys are data too -----------------------------------------------------------------
KEYED = """const seen = context.get("seen") || {};
seen[msg.topic.split("/")[2]] = Number(msg.payload);
context.set("seen", seen);
msg.payload = Object.keys(seen).join(" ");
return msg;"""
KEYED_FIXED = KEYED.replace('msg.topic.split("/")[2]', '"hall"')


def test_a_key_set_from_the_message_is_read_back_by_object_keys() -> None:
    """``seen[team] = …`` then ``Object.keys(seen)``: the team named in the topic comes back
    out as text, however the value stored under it was checked."""
    followed = follow_function(KEYED)
    assert followed is not None
    payload = {ref.name for w in followed.writes if w.field == "payload" for ref in w.value}
    assert "topic" in payload
    fixed = follow_function(KEYED_FIXED)
    assert fixed is not None
    assert not any(ref.kind == "field" for w in fixed.writes if w.field == "payload"
                   for ref in w.value)


def test_a_command_built_from_keys_a_stranger_named_fires_and_fixed_keys_do_not() -> None:
    def flows(code: str) -> list[dict[str, Any]]:
        return [tab(), config("hive", "mqtt-broker", broker="broker.hivemq.com", port=1883),
                mqtt_in("in", "hive", to=["fn"]), function("fn", code, to=["sh"]),
                exec_node("sh", "", "payload")]
    assert ids(findings_of(INJ001, app_of(flows(KEYED)))) == {nid("sh")}
    assert findings_of(INJ001, app_of(flows(KEYED_FIXED))) == []


# -- a whole page a function writes ----------------------------------------------------------
PAGE = """const name = msg.req.query.name;
let html = `<!DOCTYPE html><html><body><h1>Hello ${name}</h1></body></html>`;
msg.payload = html;
return msg;"""
PAGE_ESCAPED = PAGE.replace("${name}", "${escapeHtml(name)}")
FRAGMENT = """msg.payload = `<b>${msg.req.query.name}</b>`;
return msg;"""


def test_a_page_pasting_what_the_caller_sent_fires() -> None:
    found = findings_of(INJ001, app_of(_route(PAGE)))
    assert ids(found) == {nid("fn")}
    assert "HTML page" in found[0].message


@pytest.mark.parametrize("code", [PAGE_ESCAPED, FRAGMENT], ids=["escaped", "fragment"])
def test_an_escaped_value_or_a_fragment_is_no_page_sink(code: str) -> None:
    """An escaping call makes the value text; a fragment may be shown as text by whatever
    receives it (a dashboard widget, a mail): only a whole page is read as rendered."""
    assert "markup" not in _calls(code)
