"""Node-RED INJ001: values the app keeps for itself, and messages a function rebuilds.

Distilled, in our own words, from real flows: a scanner's dashboard whose functions send
requests to ``${global.get("baseUrl")}/device/...``, the base set at start-up from
``localhost`` or the machine's own address; functions that set ``msg.url`` in each branch
before the branch sends; a page built after ``msg = msg.saved`` restores a message kept
earlier. Each shape is tested both ways: quiet where the host (or the rendered value) is the
app's own, firing where the request's text can reach it, and where the origin is not shown.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.dataflow import FETCH_PATH
from tests.checkrun import findings_of, ids, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, function, http_in, inject, nid, node, tab, template

OWN_BASE = "global.set('port', '8000');\nglobal.set(`baseUrl`, `http://localhost:8000/v1`);"
HOST_BASE = """global.set('port', '8000');
const os = global.get('os');
let ip = 'localhost';
const nets = os.networkInterfaces();
for (const name in nets) {
    for (const a of nets[name]) {
        if (a.family === 'IPv4' && !a.internal) { ip = a.address; }
    }
}
global.set('baseUrl', `http://${ip}:${global.get('port')}/v1`);
return msg;"""


def _request() -> dict[str, Any]:
    return node("send", "http request", method="use", ret="obj", paytoqs="ignore", url="",
                tls="", persist=False, proxy="", authType="", headers=[], wires=[[]])


def _with_base(setup: str, build: str, *, extra: list[dict[str, Any]] | None = None
               ) -> list[dict[str, Any]]:
    """A start-up inject whose function keeps the base URL; an open route whose function
    builds the request's URL from it."""
    return [tab(), inject("boot", to=["setup"]), function("setup", setup),
            http_in("route", "/action", to=["build"]),
            function("build", f"const base = global.get('baseUrl');\n{build}\nreturn msg;",
                     to=["send"]), _request(), *(extra or [])]


@pytest.mark.parametrize("setup", [OWN_BASE, HOST_BASE])
def test_a_query_past_a_base_url_the_app_sets_itself_is_quiet(setup: str) -> None:
    flows = _with_base(setup, "msg.url = `${base}/device/reboot?save=${msg.payload.save}`;")
    assert findings_of(INJ001, app_of(flows)) == []


def test_a_kept_base_url_with_a_fixed_fallback_is_still_the_apps_own() -> None:
    flows = _with_base(OWN_BASE, "msg.url = `${global.get('baseUrl') || 'http://localhost'}"
                                 "/device/reboot?save=${msg.payload.save}`;")
    assert findings_of(INJ001, app_of(flows)) == []


def test_a_path_past_the_apps_own_base_url_is_a_path_finding_not_forgery() -> None:
    f = one(findings_of(INJ001, app_of(_with_base(
        OWN_BASE, "msg.url = `${base}/motors/${msg.payload.motor}/angle`;"))))
    assert f.evidence["parameter"] == FETCH_PATH


def test_a_base_url_built_from_a_key_the_app_never_sets_still_counts() -> None:
    """The port comes from a key no step sets: what the base holds is not all shown."""
    flows = _with_base(HOST_BASE.replace("global.set('port', '8000');\n", ""),
                       "msg.url = `${base}/device/reboot?save=${msg.payload.save}`;")
    assert one(findings_of(INJ001, app_of(flows))).evidence["parameter"] == "url"


def test_a_base_url_a_caller_can_set_picks_the_server() -> None:
    """Another open route keeps the request's text under the same key."""
    extra = [http_in("config", "/config", to=["keep"]),
             function("keep", "global.set('baseUrl', msg.payload.server);\nreturn msg;")]
    flows = _with_base(OWN_BASE, "msg.url = `${base}/device/reboot?save=${msg.payload.save}`;",
                       extra=extra)
    f = one(findings_of(INJ001, app_of(flows)))
    assert f.resource.id == nid("send") and f.evidence["parameter"] == "url"


@pytest.mark.parametrize("build", [
    # the key is set by no step of this app: what it holds is not shown (fail closed)
    "msg.url = `${global.get('apiBase')}/device/reboot?save=${msg.payload.save}`;",
    # no fixed text after the base: the caller's value may start the host's name
    "msg.url = `${base}${msg.payload.save}`;",
])
def test_a_base_the_app_does_not_show_or_that_fixes_no_host_still_counts(build: str) -> None:
    f = one(findings_of(INJ001, app_of(_with_base(OWN_BASE, build))))
    assert f.evidence["parameter"] == "url"


# -- msg.url set in every branch that sends -------------------------------------------------------
def _branches(code: str) -> list[dict[str, Any]]:
    """A route whose first function lets the caller pick msg.url; the second sets it again."""
    return [tab(), http_in("route", "/action", to=["pick"]),
            function("pick", "msg.url = msg.payload.target;\nreturn msg;", to=["build"]),
            function("build", code, to=["send"]), _request()]


@pytest.mark.parametrize("code", [
    """if (msg.topic === 'reboot') {
    msg.url = 'https://device.example.org/reboot';
} else if (msg.topic === 'stop') {
    msg.url = 'https://device.example.org/stop';
} else {
    return null;
}
return msg;""",
    """if (msg.topic === 'reboot') {
    msg.url = 'https://device.example.org/reboot';
    return [msg, null];
}
if (msg.topic === 'stop') {
    msg.url = 'https://device.example.org/stop';
    return [null, msg];
}
return [null, null];""",
])
def test_a_url_set_anew_in_every_branch_that_sends_is_quiet(code: str) -> None:
    assert findings_of(INJ001, app_of(_branches(code))) == []


@pytest.mark.parametrize("code", [
    # no final else: a third topic goes on with the caller's URL
    """if (msg.topic === 'reboot') {
    msg.url = 'https://device.example.org/reboot';
} else if (msg.topic === 'stop') {
    msg.url = 'https://device.example.org/stop';
}
return msg;""",
    # one branch sends without setting it
    """if (msg.topic === 'reboot') {
    msg.url = 'https://device.example.org/reboot';
    return msg;
}
if (msg.topic === 'raw') {
    return msg;
}
return null;""",
])
def test_a_branch_that_sends_the_url_it_was_given_fires(code: str) -> None:
    f = one(findings_of(INJ001, app_of(_branches(code))))
    assert f.resource.id == nid("send") and f.evidence["parameter"] == "url"


# -- a message replaced by another -------------------------------------------------------------
def _page(restore: str, rendered: str) -> list[dict[str, Any]]:
    """An open route keeps its message, lists files (replacing the payload), then restores
    the kept message and renders a page."""
    return [tab(), http_in("route", "/status", to=["keep"]),
            function("keep", "msg.saved = msg;\nreturn msg;", to=["list"]),
            function("list", "msg.payload = [];\nreturn msg;", to=["restore"]),
            function("restore", restore, to=["page"]),
            template("page", f"<h4>{{{{{{{rendered}}}}}}}</h4>")]


RESTORE = """var total = 0;
msg.payload.forEach(function (f) { total += f.size; });
msg = msg.saved;
msg.size = '0 kb';
if (total > 0) {
    msg.size = (total / 1000).toFixed(2) + ' kb';
}
return msg;"""


def test_a_value_the_restored_message_gets_from_the_code_is_quiet() -> None:
    assert findings_of(INJ001, app_of(_page(RESTORE, "size"))) == []


def test_the_restored_message_still_carries_the_request() -> None:
    f = one(findings_of(INJ001, app_of(_page(RESTORE, "payload"))))
    assert f.resource.id == nid("page")


@pytest.mark.parametrize(("code", "fires"), [
    ("var msg = {};\nmsg.url = 'https://status.example.org/cloud';\nreturn msg;", False),
    ("msg = { url: 'https://status.example.org/cloud', method: 'GET' };\nreturn msg;", False),
    ("const target = msg.payload.target;\nvar msg = {};\nmsg.url = target;\nreturn msg;", True),
    ("msg = { url: msg.payload.target };\nreturn msg;", True),
])
def test_a_new_message_holds_only_what_the_code_puts_in_it(code: str, fires: bool) -> None:
    flows = [tab(), http_in("route", "/action", to=["pick"]),
             function("pick", "msg.url = msg.payload.target;\nreturn msg;", to=["build"]),
             function("build", code, to=["send"]), _request()]
    assert bool(findings_of(INJ001, app_of(flows))) is fires


# -- a command router: fixed statements per case, replies built by a helper --------------------
ROUTER = """const rows = msg.payload || [];
const owner = rows.length ? rows[0] : null;
const reply = (text) => ({ chatId: msg.chat, text: text, rows: rows });
switch (msg.topic) {
case 'list':
    msg.query = 'SELECT name FROM devices WHERE owner_id = $1';
    msg.params = [owner.id];
    return [msg, null];
case 'rename':
    msg.query = 'UPDATE devices SET name = $2 WHERE owner_id = $1';
    msg.params = [owner.id, owner.name];
    return [msg, null];
default:
    return [null, reply('I do not know that command')];
}"""


def _router(code: str) -> list[dict[str, Any]]:
    """A tick looks the owner up in the database; the router picks the next statement."""
    db = {"id": nid("db"), "type": "postgresdb", "hostname": "db.plant.internal",
          "db": "telemetry"}
    return [tab(), db, inject("tick", to=["owner"]),
            node("owner", "postgres", postgresdb=nid("db"), output=True, wires=[["router"]]),
            function("router", code, to=["run"]),
            node("run", "postgres", postgresdb=nid("db"), output=True, wires=[[]])]


def test_fixed_statements_picked_per_case_beside_replies_a_helper_builds_are_quiet() -> None:
    """Each case that sends sets its own fixed text; the reply the helper builds carries the
    rows, but only under its own keys."""
    assert findings_of(INJ002, app_of(_router(ROUTER.replace("msg.query", "msg.payload")))) \
        == []


@pytest.mark.parametrize("change", [
    # one case sends the statement it was given
    ("case 'rename':\n    msg.payload = 'UPDATE", "case 'raw':\n    return [msg, null];\n"
     "case 'rename':\n    msg.payload = 'UPDATE"),
    # the reply puts the rows under the key the database node runs
    ("text: text, rows: rows", "text: text, payload: rows"),
])
def test_a_case_or_a_reply_that_carries_the_rows_into_the_statement_fires(
        change: tuple[str, str]) -> None:
    code = ROUTER.replace("msg.query", "msg.payload").replace(*change)
    assert ids(findings_of(INJ002, app_of(_router(code)))) == {nid("run")}


# -- a reflection only the sender can get ---------------------------------------------------------
def _upload(method: str, *, also: list[str] | None = None) -> list[dict[str, Any]]:
    """A route stores an upload under the name in its URL and answers "<name> uploaded"."""
    return [tab(), http_in("route", "/uploads/:file", method=method, to=["answer"]),
            template("answer", "{{{req.params.file}}} uploaded.", to=["reply", *(also or [])]),
            node("reply", "http response", statusCode="", headers={}),
            node("log", "file", filename="/var/log/uploads.html", filenameType="str",
                 appendNewline=True, createDir=False, overwriteFile="false", wires=[])]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_a_page_answering_only_a_method_browsers_send_same_site_is_quiet(method: str) -> None:
    assert findings_of(INJ001, app_of(_upload(method))) == []


@pytest.mark.parametrize(("method", "also"), [
    ("get", []),  # a link on any site makes a visitor's browser open it
    ("post", []),  # so does a form on any site
    ("put", ["log"]),  # the same text also lands in a page the app keeps
])
def test_a_reflection_a_link_a_form_or_a_stored_page_carries_fires(method: str,
                                                                   also: list[str]) -> None:
    assert nid("answer") in ids(findings_of(INJ001, app_of(_upload(method, also=also))))


# -- a key column read by name --------------------------------------------------------------------
def _revalidate(column: str) -> list[dict[str, Any]]:
    """Rows read from a table; a function lists (key, flag) pairs; an UPDATE pastes them."""
    db = {"id": nid("pgc"), "type": "postgreSQLConfig", "name": "iot"}
    code = ("let values = '(0, FALSE),';\nfor (const row of msg.payload) {\n"
            f"    values += `(${{row['{column}']}}, TRUE),`;\n}}\n"
            "msg.payload = values.slice(0, -1);\nreturn msg;")
    return [tab(), db, inject("tick", to=["read"]),
            node("read", "postgresql", query="SELECT * FROM readings LIMIT 100",
                 postgreSQLConfig=nid("pgc"), split=False, wires=[["pairs"]]),
            function("pairs", code, to=["update"]),
            node("update", "postgresql", postgreSQLConfig=nid("pgc"), split=False,
                 query="UPDATE readings AS r SET ok = v.ok FROM (VALUES {{{ msg.payload }}})"
                       " AS v (id, ok) WHERE v.id = r.id;", wires=[[]])]


def test_a_key_column_read_by_its_quoted_name_is_no_text() -> None:
    assert findings_of(INJ002, app_of(_revalidate("id"))) == []


def test_a_text_column_read_by_its_quoted_name_still_counts() -> None:
    assert ids(findings_of(INJ002, app_of(_revalidate("label")))) == {nid("update")}
