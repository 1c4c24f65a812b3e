"""Where Node-RED data comes from, distilled from real flows in our own words: text a visitor
types into a dashboard form, a text box or a page template's script is an untrusted entry
on a dashboard nothing authenticates (INJ001, not "nothing wired"), and of unknown origin
behind httpNodeAuth; a button's fixed value stays a constant; a directory listing is the
host's own names; a subscription on a public test broker is a way in for anyone. Each
shape has its twin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids, one
from tests.rules import AUTH001, INJ001, INJ002
from tests.test_checks_nodered import app_of, exec_node, hardened, nid, node, tab

BASE = node("dash", "ui_base", z="", theme={}, site={"name": "Ops"}, wires=None)
GROUP = {"id": nid("grp"), "type": "ui_group", "name": "Shell", "tab": nid("page")}
PAGE = {"id": nid("page"), "type": "ui_tab", "name": "Host", "order": 1}


def _form(to: str = "move") -> dict[str, Any]:
    """A dashboard form with one multi-line field, ``script``."""
    return node("form", "ui_form", label="run a script", group=nid("grp"),
                options=[{"label": "", "value": "script", "type": "multiline",
                          "required": True, "rows": 6}],
                formValue={"script": ""}, payload="", topic="topic", wires=[[to]])


# the form's field moved to the payload, then run as the whole command
MOVE = node("move", "change", rules=[{"t": "move", "p": "payload.script", "pt": "msg",
                                      "to": "payload", "tot": "msg"}], wires=[["run"]])
RUN = exec_node("run", "", "payload")


def _dashboard(*widgets: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), BASE, GROUP, PAGE, *widgets]


def test_a_script_typed_into_an_open_dashboard_form_is_untrusted_input() -> None:
    app = app_of(_dashboard(_form(), MOVE, RUN))
    found = findings_of(INJ001, app)
    assert ids(found) == {nid("run")}
    assert "dashboard /ui: text typed into dashboard form 'run a script'" in found[0].message
    assert findings_of(INJ002, app) == []


def test_a_button_that_sends_a_fixed_script_is_no_injection() -> None:
    button = node("btn", "ui_button", group=nid("grp"), label="RAM",
                  payload='{"script": "free -m"}', payloadType="json", topic="topic",
                  wires=[["move"]])
    app = app_of(_dashboard(button, MOVE, RUN))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_behind_http_node_auth_the_typed_script_is_asked_about_not_called_anyones() -> None:
    """Visitors log in first: who they are is not in the export, so the command is of
    unknown origin (INJ002), never quiet."""
    app = hardened(_dashboard(_form(), MOVE, RUN))
    assert findings_of(INJ001, app) == []
    assert ids(findings_of(INJ002, app)) == {nid("run")}


def test_a_text_box_value_is_untrusted_input() -> None:
    box = node("box", "ui_text_input", label="host to ping", group=nid("grp"), mode="text",
               delay=300, passthru=True, topic="", wires=[["ping"]])
    ping = exec_node("ping", "ping -c 1", "payload")
    assert ids(findings_of(INJ001, app_of(_dashboard(box, ping)))) == {nid("ping")}


UPLOAD_SCRIPT = ("<input type='file' id='f'>\n<script>\n(function(scope) {\n"
                 "  document.getElementById('f').onchange = function(e) {\n"
                 "    scope.send({payload: e.target.files[0].name});\n  };\n})(scope);\n"
                 "</script>\n")


def test_what_a_page_templates_script_sends_is_untrusted_input() -> None:
    upload = node("upload", "ui_template", group=nid("grp"), format=UPLOAD_SCRIPT,
                  storeOutMessages=True, fwdInMessages=True, templateScope="local",
                  wires=[["rm"]])
    rm = exec_node("rm", "rm -f /srv/uploads/", "payload")
    found = findings_of(INJ001, app_of(_dashboard(upload, rm)))
    assert ids(found) == {nid("rm")}
    assert "script of dashboard template" in found[0].message


def test_a_page_template_that_only_shows_what_it_is_sent_passes_its_input_on() -> None:
    """No ``send(``: the template shows a fixed command's output and passes it on."""
    show = node("show", "ui_template", group=nid("grp"), format="<pre>{{msg.payload}}</pre>",
                storeOutMessages=True, fwdInMessages=True, templateScope="local",
                wires=[["rm"]])
    start = node("start", "inject", props=[{"p": "payload"}], payload="/srv/cache/old",
                 payloadType="str", repeat="", crontab="", once=True, wires=[["show"]])
    rm = exec_node("rm", "rm -f", "payload")
    app = app_of(_dashboard(start, show, rm))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


# -- a directory listing, a table's clicked row, a base64 node --------------------------------
def _lister_to_table(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A file manager page: the listing shown in a table; a clicked row's name is read."""
    lister = node("ls", "fs-file-lister", start="/srv/public/uploads", pattern="*.*",
                  folders="*", hidden=True, lstype="files", path=False, single=False,
                  depth=0, stat=True, showWarnings=True, wires=[["table"]])
    every = node("every", "inject", props=[{"p": "payload"}], repeat="60", crontab="",
                 once=True, payload="", payloadType="date", wires=[["ls"]])
    table = node("table", "ui_table", group=nid("grp"), columns=columns, outputs=1,
                 wires=[["name"]])
    name = node("name", "change", rules=[{"t": "set", "p": "filename", "pt": "msg",
                                          "to": "'/srv/public/uploads/' & payload.fname",
                                          "tot": "jsonata"}], wires=[["read"]])
    read = node("read", "file in", filename="", filenameType="str", format="utf8",
                wires=[[]])
    return _dashboard(every, lister, table, name, read)


def test_a_file_name_the_apps_own_directory_listing_gave_is_no_injection() -> None:
    app = app_of(_lister_to_table([{"field": "fname", "title": "Name"}]))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_a_table_cell_a_visitor_edits_is_untrusted_input() -> None:
    app = app_of(_lister_to_table([{"field": "fname", "title": "Name", "editor": "input"}]))
    assert ids(findings_of(INJ001, app)) == {nid("read")}


def test_a_base64_node_passes_on_where_its_input_came_from() -> None:
    """Encoding fixed credentials is no unknown data; decoding what a caller posted still
    runs the caller's text."""
    b64 = node("b64", "base64", action="str", property="payload", wires=[["run"]])
    run = exec_node("run", "/opt/bin/import", "payload")
    fixed = node("fixed", "inject", props=[{"p": "payload"}], payload="svc:ops-import",
                 payloadType="str", repeat="", crontab="", once=True, wires=[["b64"]])
    quiet = app_of([tab(), fixed, b64, run])
    assert findings_of(INJ001, quiet) == []
    assert findings_of(INJ002, quiet) == []
    posted = node("post", "http in", url="/import", method="post", upload=False,
                  wires=[["b64"]])
    assert ids(findings_of(INJ001, app_of([tab(), posted, b64, run]))) == {nid("run")}


@pytest.mark.parametrize("provider", ["provide-global", "provide-import-fn"])
def test_a_node_that_attaches_a_runtime_facility_passes_the_payload_on(provider: str) -> None:
    """A node that only hangs the runtime's globals (or an import function) on the message
    adds no data of unknown origin: a command built from a fixed inject's payload after it is
    of known origin; a posted body after it is still the caller's."""
    attach = node("attach", provider, wires=[["build"]])
    build = node("build", "function", func="msg.command = 'backup ' + msg.payload;\n"
                 "return msg;", outputs=1, wires=[["run"]])
    run = node("run", "exec", command="", addpay="command", append="", useSpawn="false",
               timer="", wires=[[], [], []])
    fixed = node("fixed", "inject", props=[{"p": "payload"}], payload="nightly",
                 payloadType="str", repeat="", crontab="", once=True, wires=[["attach"]])
    quiet = app_of([tab(), fixed, attach, build, run])
    assert findings_of(INJ001, quiet) == []
    assert findings_of(INJ002, quiet) == []
    posted = node("post", "http in", url="/backup", method="post", upload=False,
                  wires=[["attach"]])
    assert ids(findings_of(INJ001, app_of([tab(), posted, attach, build, run]))) == {nid("run")}
    # the same shape through a node we do not know: its output is of unknown origin
    other = node("attach", "contrib-mystery", wires=[["build"]])
    assert ids(findings_of(INJ002, app_of([tab(), fixed, other, build, run]))) == {nid("run")}


def test_a_change_node_nothing_sends_to_sets_nothing_for_anyone() -> None:
    """A loose "settings" change node (a change node runs only on a message) sets fields no
    message carries; the same node fed by anything passes on what it is sent."""
    settings = node("settings", "change", rules=[{"t": "set", "p": "user", "pt": "msg",
                                                  "to": "ops", "tot": "str"}],
                    wires=[["grant"]])
    grant = node("grant", "template", field="payload", fieldType="msg", format="text",
                 syntax="mustache", template="user={{{user}}}&scope={{{scope}}}",
                 output="str", wires=[[]])
    assert findings_of(INJ002, app_of([tab(), settings, grant])) == []
    # fed by a catch node: whatever failed upstream is input this app does not show
    oops = node("oops", "catch", scope=None, uncaught=False, wires=[["settings"]])
    assert ids(findings_of(INJ002, app_of([tab(), oops, settings, grant]))) == {nid("grant")}


# -- a subscription on a public broker -----------------------------------------------------------
def _subscription(address: str) -> list[dict[str, Any]]:
    """``mqtt in`` on ``address``: publishing 'on' to the topic starts a tunnel to the editor."""
    broker = {"id": nid("broker"), "type": "mqtt-broker", "name": "", "broker": address,
              "port": "1883", "clientid": "", "usetls": False, "protocolVersion": "4",
              "keepalive": "60", "cleansession": True}
    listen = node("listen", "mqtt in", topic="/lab/tunnel", qos="2", datatype="auto",
                  broker=nid("broker"), nl=False, rap=True, rh=0, inputs=0,
                  wires=[["tunnel"]])
    tunnel = exec_node("tunnel", "npx localtunnel --port 1880", "")
    return [tab(), broker, listen, tunnel]


@pytest.mark.parametrize("address", ["broker.hivemq.com", "mqtt://test.mosquitto.org",
                                     "broker.emqx.io"])
def test_a_subscription_on_a_public_test_broker_is_open_to_anyone(address: str) -> None:
    found = one(findings_of(AUTH001, app_of(_subscription(address))))
    assert found.resource.id == nid("listen")
    assert found.evidence["kind"] == "mqtt"
    assert found.evidence["route"].startswith("/lab/tunnel on ")
    assert found.evidence["authentication"] == "none"


@pytest.mark.parametrize("address", ["192.168.1.20", "mosquitto",
                                     "a1b2c3d4e5.s1.eu.hivemq.cloud"])
def test_a_subscription_on_the_owners_broker_is_no_entry_point(address: str) -> None:
    """A LAN broker, the compose service, a cloud account's own cluster: the owner's."""
    assert findings_of(AUTH001, app_of(_subscription(address))) == []


# -- a read-only smart-contract call -----------------------------------------------------------
def _proof_lookup(read_only: bool) -> list[dict[str, Any]]:
    """GET /proof/:hash asks the notary contract, and answers with what it says."""
    route = node("route", "http in", url="/proof/:hash", method="get", upload=False,
                 wires=[["call"]])
    call = node("call", "contract-call", smartContract=nid("contract"),
                contractFunction="proofOf" if read_only else "notarize",
                senderAccount=nid("account"), readonlyFunction=read_only, weiTransfer="",
                wires=[["answer"]])
    answer = node("answer", "http response", statusCode="", headers={}, wires=None)
    return [tab(), route, call, answer]


def test_a_route_that_only_calls_a_read_only_contract_function_is_not_reported() -> None:
    assert findings_of(AUTH001, app_of(_proof_lookup(read_only=True))) == []


def test_a_route_that_sends_a_contract_transaction_is_reported() -> None:
    found = one(findings_of(AUTH001, app_of(_proof_lookup(read_only=False))))
    assert found.evidence["effect"] == "acts"
    assert "contract-call" in found.evidence["effect_reason"]
