"""The n8n adapter: reading exports and normalizing them into the model."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pytest_nocode.appspec import AppSpec, parse_app_uri
from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.model import App, Step, Workflow
from pytest_nocode.platforms import Platform, RawSnapshot
from pytest_nocode.platforms.n8n import N8nPlatform

ADAPTER = N8nPlatform()
REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO / "tests" / "data" / "n8n"
DEMO = REPO / "src" / "pytest_nocode" / "demo" / "n8n"


# -- helpers -----------------------------------------------------------------------------------
def node(node_id: str | None, name: str, node_type: str, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": node_type, "typeVersion": 1,
                           "position": [0, 0], "parameters": params}
    if node_id is not None:
        out["id"] = node_id
    return out


def wire(*targets: str, kind: str = "main") -> dict[str, Any]:
    return {kind: [[{"node": t, "type": kind, "index": 0} for t in targets]]}


def workflow(wf_id: str, name: str, nodes: list[dict[str, Any]],
             connections: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": wf_id, "name": name, "active": True, "nodes": nodes,
            "connections": connections or {}, "settings": {"executionOrder": "v1"},
            **extra}


def spec_for(path: Path, transport: str = "file") -> AppSpec:
    return AppSpec(f"n8n+file:{path}", "n8n", transport, str(path), "n8n-test")


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def load(path: Path) -> App:
    return ADAPTER.normalize(spec_for(path), RawSnapshot("n8n", ADAPTER.load_file(path), "file"))


def app_of(*workflows: dict[str, Any], **instance: Any) -> App:
    """Normalize raw data as a live server would give it."""
    spec = AppSpec("n8n+https://n8n.example.com", "n8n", "https", "https://n8n.example.com",
                   "n8n-n8n.example.com")
    data = {"workflows": list(workflows), **instance}
    return ADAPTER.normalize(spec, RawSnapshot("n8n", data, "live"))


def step_of(app: App, step_id: str) -> Step:
    step = app.step(step_id)
    assert step is not None, f"no step {step_id!r}: {[s.id for s in app.steps]}"
    return step


def workflow_of(app: App, workflow_id: str) -> Workflow:
    wf = app.workflow(workflow_id)
    assert wf is not None, f"no workflow {workflow_id!r}"
    return wf


def one(items: Any) -> Any:
    items = list(items)
    assert len(items) == 1, items
    return items[0]


WEBHOOK = "n8n-nodes-base.webhook"
HTTP = "n8n-nodes-base.httpRequest"


def http_node(url: str, node_id: str = "h1", **params: Any) -> dict[str, Any]:
    return node(node_id, f"HTTP {node_id}", HTTP, url=url, **params)


# -- reading exports ---------------------------------------------------------------------------
def test_adapter_satisfies_the_platform_protocol() -> None:
    assert isinstance(ADAPTER, Platform)
    assert (ADAPTER.name, ADAPTER.title) == ("n8n", "n8n")


def test_single_export_is_one_workflow_named_after_itself(tmp_path: Path) -> None:
    wf = workflow("wf1", "Orders", [node("a", "Webhook", WEBHOOK, path="orders")],
                  tags=[{"id": "t1", "name": "prod"}, "finance"])
    path = write(tmp_path / "orders-export.json", wf)
    raw = ADAPTER.load_file(path)
    assert raw == {"workflows": [wf]}
    app = ADAPTER.normalize(spec_for(path), RawSnapshot("n8n", raw, "file"))
    assert app.id == "n8n-test"
    assert app.platform == "n8n"
    assert app.name == "Orders"
    assert app.facets == frozenset({"workflows"})
    wf_model = one(app.workflows)
    assert (wf_model.id, wf_model.name, wf_model.path) == ("wf1", "Orders", "workflows/wf1")
    assert wf_model.active is True and wf_model.disabled is False
    assert wf_model.tags == ("prod", "finance")
    assert wf_model.settings == {"executionOrder": "v1"}
    step = one(app.steps)
    assert (step.id, step.name, step.type, step.workflow_id, step.path, step.package) == (
        "a", "Webhook", WEBHOOK, "wf1", "workflows/wf1/a", "n8n-nodes-base")
    assert step.params["path"] == "orders"


def test_list_export_keeps_every_workflow_and_is_named_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "all.json", [workflow("w1", "One", []), workflow("w2", "Two", [])])
    app = load(path)
    assert [w.id for w in app.workflows] == ["w1", "w2"]
    assert app.name == "all"


def test_folder_export_reads_json_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder / "b.json", workflow("wb", "B", []))
    write(folder / "a.json", [workflow("wa1", "A1", []), workflow("wa2", "A2", [])])
    (folder / "notes.txt").write_text("not an export")
    raw = ADAPTER.load_file(folder)
    assert [w["id"] for w in raw["workflows"]] == ["wa1", "wa2", "wb"]
    app = load(folder)
    assert app.name == "exports"
    assert len(app.workflows) == 3


def test_snapshot_file_in_raw_form_keeps_instance_data(tmp_path: Path) -> None:
    data = {"workflows": [workflow("w1", "One", [])],
            "users": [{"id": "u1", "email": "a@x.com", "firstName": "Ada", "lastName": "L",
                       "isPending": False, "role": "global:owner"}],
            "settings": {"userManagement": {"enabled": True}}, "tags": [], "audit": {}}
    path = write(tmp_path / "snapshot.json", data)
    assert ADAPTER.load_file(path) == data
    app = load(path)
    assert app.facets == frozenset({"workflows", "principals", "settings", "advisories"})


def test_saved_public_api_page_is_a_list_of_workflows(tmp_path: Path) -> None:
    page = {"data": [workflow("w1", "One", []), workflow("w2", "Two", [])],
            "nextCursor": None}
    path = write(tmp_path / "page.json", page)
    assert ADAPTER.load_file(path) == {"workflows": page["data"]}
    bad = write(tmp_path / "bad-page.json", {"data": [{"nodes": 1, "connections": {}}]})
    with pytest.raises(SchemaError, match=r"\$\.data\[0\]\.nodes: expected a list of nodes"):
        ADAPTER.load_file(bad)


def test_load_file_gives_the_same_raw_form_for_each_source(tmp_path: Path) -> None:
    wf = workflow("w1", "One", [node("n1", "Set", "n8n-nodes-base.set")])
    single = write(tmp_path / "single.json", wf)
    listed = write(tmp_path / "list.json", [wf])
    folder = tmp_path / "dir"
    folder.mkdir()
    write(folder / "w1.json", wf)
    assert ADAPTER.load_file(single) == ADAPTER.load_file(listed) == ADAPTER.load_file(folder)


# -- wiring ------------------------------------------------------------------------------------
def test_wiring_resolves_names_to_ids_across_connection_types() -> None:
    nodes = [
        node("id-hook", "Incoming Hook", WEBHOOK),
        node("id-agent", "AI Agent", "@n8n/n8n-nodes-langchain.agent"),
        node("id-model", "OpenAI Chat Model", "@n8n/n8n-nodes-langchain.lmChatOpenAi"),
        node("id-tool", "Run Shell", "n8n-nodes-base.executeCommandTool"),
        node("id-if", "If", "n8n-nodes-base.if"),
        node("id-yes", "Yes", "n8n-nodes-base.noOp"),
        node("id-no", "No", "n8n-nodes-base.noOp"),
    ]
    connections = {
        "Incoming Hook": wire("AI Agent"),
        "OpenAI Chat Model": wire("AI Agent", kind="ai_languageModel"),
        "Run Shell": wire("AI Agent", kind="ai_tool"),
        # two outputs, a null one (nothing wired) and a target that does not exist
        "AI Agent": {"main": [None, [{"node": "If", "type": "main", "index": 0},
                                     {"node": "Ghost", "type": "main", "index": 0}]]},
        "If": {"main": [[{"node": "Yes", "type": "main", "index": 0}],
                        [{"node": "No", "type": "main", "index": 0},
                         {"node": "Yes", "type": "main", "index": 0}]]},
    }
    app = app_of(workflow("w1", "Agent", nodes, connections))
    assert step_of(app, "id-hook").outbound == ("id-agent",)
    assert step_of(app, "id-model").outbound == ("id-agent",)
    assert step_of(app, "id-tool").outbound == ("id-agent",)
    # the agent calls its sub-nodes with the data it got: edges back to them carry the taint
    assert step_of(app, "id-agent").outbound == ("id-if", "id-model", "id-tool")
    assert step_of(app, "id-if").outbound == ("id-yes", "id-no")  # each target once
    assert set(app.inbound("id-agent")) == {"id-hook", "id-model", "id-tool"}
    assert {s.id for s in app.downstream(["id-hook"])} == {"id-agent", "id-if", "id-yes",
                                                             "id-no", "id-model", "id-tool"}


def test_wiring_stays_inside_its_workflow() -> None:
    first = workflow("w1", "First", [node("a1", "Start", WEBHOOK), node("b1", "Next", HTTP)],
                     {"Start": wire("Next")})
    second = workflow("w2", "Second", [node("a2", "Start", WEBHOOK), node("b2", "Next", HTTP)],
                      {"Start": wire("Next")})
    app = app_of(first, second)
    assert step_of(app, "a1").outbound == ("b1",)
    assert step_of(app, "a2").outbound == ("b2",)


def test_duplicate_node_ids_across_workflows_get_the_workflow_suffix() -> None:
    original = workflow("w1", "Original", [node("n-1", "Hook", WEBHOOK, path="a"),
                                           node("n-2", "Call", HTTP, url="https://a.example")],
                        {"Hook": wire("Call")})
    copy = workflow("w2", "Copy", [node("n-1", "Hook", WEBHOOK, path="b"),
                                   node("n-2", "Call", HTTP, url="https://b.example")],
                    {"Hook": wire("Call")})
    app = app_of(original, copy)
    assert [s.id for s in app.steps] == ["n-1", "n-2", "n-1@w2", "n-2@w2"]
    assert len({s.id for s in app.steps}) == 4
    assert step_of(app, "n-1@w2").path == "workflows/w2/n-1"  # the platform's ids in the path
    assert step_of(app, "n-1@w2").resource.id == "n-1"  # and findings name the n8n id
    assert step_of(app, "n-1@w2").outbound == ("n-2@w2",)
    assert step_of(app, "n-1").outbound == ("n-2",)
    assert {e.step_id: e.route for e in app.entry_points} == {"n-1": "a", "n-1@w2": "b"}
    assert {d.step_id: d.host for d in app.destinations} == {"n-2": "a.example",
                                                              "n-2@w2": "b.example"}


def test_steps_and_broken_links_are_looked_up_by_workflow() -> None:
    """Checks ask per entry point for its workflow's steps and broken wiring: indexed once,
    not scanned over the whole app each time."""
    hook, call = node("a", "Hook", WEBHOOK, path="a"), http_node("https://a.example", "b")
    app = app_of(workflow("w1", "One", [hook, call], {"Hook": wire("HTTP b")}),
                 workflow("w2", "Two", [node("c", "Hook", WEBHOOK, path="c")],
                          {"Hook": wire("Gone")}),
                 workflow("w3", "Three", []))
    assert [s.id for s in app.steps_in("w1")] == ["a", "b"]
    assert [s.id for s in app.steps_in("w2")] == ["c"]
    assert app.steps_in("w3") == app.steps_in("no such workflow") == ()
    assert app.broken_links_in("w1") == ()
    assert [(b.source, b.target) for b in app.broken_links_in("w2")] == [("c", "Gone")]


def test_duplicate_workflow_ids_are_made_unique_whatever_the_order() -> None:
    a = workflow("w1", "A", [node("x", "X", HTTP)])
    b = workflow("w1", "B", [node("y", "Y", HTTP)])
    ids = {w.name: w.id for w in app_of(a, b).workflows}
    assert all(re.fullmatch(r"w1~[0-9a-f]{6}", i) for i in ids.values())
    assert ids["A"] != ids["B"]
    assert {w.name: w.id for w in app_of(b, a).workflows} == ids  # the content decides
    app = app_of(a, b)
    assert step_of(app, "y").workflow_id == ids["B"]
    assert workflow_of(app, ids["B"]).name == "B"
    assert step_of(app, "y").path == f"workflows/{ids['B']}/y"
    # identical copies share the content tag: the second gets #2
    assert [w.id for w in app_of(a, a).workflows] == [ids["A"], ids["A"] + "#2"]


def test_nodes_without_ids_use_their_names() -> None:
    app = app_of(workflow("w1", "Old", [node(None, "Start", WEBHOOK),
                                        node(None, "Call API", HTTP, url="http://x.test")],
                          {"Start": wire("Call API")}))
    assert step_of(app, "Start").outbound == ("Call API",)
    assert step_of(app, "Call API").path == "workflows/w1/Call API"


# -- entry points ------------------------------------------------------------------------------
def test_webhook_without_authentication_key_is_unauthenticated() -> None:
    app = app_of(workflow("w1", "Hook", [node("h", "Webhook", WEBHOOK, path="orders")]))
    entry = one(app.entry_points)
    assert (entry.step_id, entry.kind, entry.route) == ("h", "webhook", "orders")
    assert entry.methods == ("GET",)
    assert entry.authentication == "none"
    assert entry.active is True


@pytest.mark.parametrize(("params", "methods", "auth"), [
    ({"httpMethod": "POST", "authentication": "basicAuth"}, ("POST",), "basic"),
    ({"httpMethod": "POST", "authentication": "headerAuth"}, ("POST",), "header"),
    ({"authentication": "jwtAuth"}, ("GET",), "jwt"),
    ({"authentication": "none"}, ("GET",), "none"),
    ({"multipleMethods": True, "httpMethod": ["PUT", "DELETE"]}, ("PUT", "DELETE"), "none"),
    ({"multipleMethods": True}, ("GET", "POST"), "none"),
])
def test_webhook_methods_and_authentication(params: dict[str, Any], methods: tuple[str, ...],
                                            auth: str) -> None:
    app = app_of(workflow("w1", "Hook", [node("h", "Webhook", WEBHOOK, path="p", **params)]))
    entry = one(app.entry_points)
    assert entry.methods == methods
    assert entry.authentication == auth


def test_webhook_of_inactive_or_archived_workflow_is_not_active() -> None:
    inactive = workflow("w1", "Off", [node("h1", "Webhook", WEBHOOK, path="a")], active=False)
    archived = workflow("w2", "Gone", [node("h2", "Webhook", WEBHOOK, path="b")],
                        isArchived=True)
    unknown = workflow("w3", "?", [node("h3", "Webhook", WEBHOOK, path="c")])
    del unknown["active"]
    app = app_of(inactive, archived, unknown)
    # an archived workflow's nodes are off (no entry point at all): it must be restored first
    assert {e.step_id: e.active for e in app.entry_points} == {"h1": False, "h3": None}
    assert app.step("h2").disabled is True
    assert workflow_of(app, "w2").disabled is True
    assert workflow_of(app, "w1").disabled is False
    assert workflow_of(app, "w3").active is None


def test_webhook_without_path_is_routed_by_its_webhook_id() -> None:
    hook = node("h", "Webhook", WEBHOOK)
    hook["webhookId"] = "4f1c2a"
    assert one(app_of(workflow("w1", "W", [hook])).entry_points).route == "4f1c2a"


def test_form_chat_and_mcp_triggers_are_entry_points() -> None:
    form = node("f", "Form", "n8n-nodes-base.formTrigger", path="signup")
    form_basic = node("fb", "Form B", "n8n-nodes-base.formTrigger", path="x",
                      authentication="basicAuth")
    chat_private = node("c1", "Chat", "@n8n/n8n-nodes-langchain.chatTrigger")
    chat_private["webhookId"] = "cw1"
    chat_public = node("c2", "Public chat", "@n8n/n8n-nodes-langchain.chatTrigger",
                       public=True)
    chat_public["webhookId"] = "cw2"
    chat_login = node("c3", "Login chat", "@n8n/n8n-nodes-langchain.chatTrigger",
                      public=True, authentication="n8nUserAuth")
    chat_off = node("c4", "Off chat", "@n8n/n8n-nodes-langchain.chatTrigger", public=False,
                    authentication="none")
    mcp = node("m", "MCP", "@n8n/n8n-nodes-langchain.mcpTrigger", path="tools")
    mcp_bearer = node("mb", "MCP B", "@n8n/n8n-nodes-langchain.mcpTrigger", path="t2",
                      authentication="bearerAuth")
    app = app_of(workflow("w1", "W", [form, form_basic, chat_private, chat_public, chat_login,
                                      chat_off, mcp, mcp_bearer]))
    by_step = {e.step_id: e for e in app.entry_points}
    assert (by_step["f"].kind, by_step["f"].route, by_step["f"].authentication) == (
        "form", "signup", "none")
    assert by_step["fb"].authentication == "basic"
    assert by_step["c1"].authentication == "instance"  # not public: n8n login only
    assert (by_step["c2"].kind, by_step["c2"].authentication) == ("webhook", "none")
    assert by_step["c2"].route == "cw2/chat"
    assert by_step["c3"].authentication == "instance"
    assert by_step["c4"].authentication == "instance"  # "none" only counts once public
    assert (by_step["m"].kind, by_step["m"].route, by_step["m"].authentication) == (
        "webhook", "tools", "none")
    assert by_step["mb"].authentication == "bearer"


def test_wait_node_resumed_by_webhook_is_an_entry_point() -> None:
    waiting = node("w", "Wait for approval", "n8n-nodes-base.wait", resume="webhook",
                   httpMethod="POST", options={"webhookSuffix": "approve"})
    guarded = node("g", "Guarded", "n8n-nodes-base.wait", resume="webhook",
                   incomingAuthentication="headerAuth")
    form = node("f", "Ask", "n8n-nodes-base.wait", resume="form")
    timed = node("t", "Sleep", "n8n-nodes-base.wait", amount=5, unit="minutes")
    app = app_of(workflow("w1", "W", [waiting, guarded, form, timed]))
    by_step = {e.step_id: e for e in app.entry_points}
    assert set(by_step) == {"w", "g", "f"}
    assert (by_step["f"].kind, by_step["f"].authentication) == ("form", "none")
    assert by_step["f"].route.startswith("form-waiting/")
    assert by_step["w"].route.startswith("webhook-waiting/")
    assert by_step["w"].authentication == "none"
    assert by_step["w"].methods == ("POST",)
    assert by_step["w"].route.endswith("/approve")
    assert by_step["g"].authentication == "header"


def test_scheduled_manual_and_service_triggers_are_not_entry_points() -> None:
    schedule = node("s", "Every hour", "n8n-nodes-base.scheduleTrigger")
    manual = node("m", "Manual", "n8n-nodes-base.manualTrigger")
    github = node("g", "GitHub", "n8n-nodes-base.githubTrigger", events=["push"])
    github["webhookId"] = "gh-1"  # called by GitHub, not by strangers
    hook = node("h", "Webhook", WEBHOOK, path="in")
    app = app_of(workflow("w1", "W", [schedule, manual, github, hook]))
    assert [e.step_id for e in app.entry_points] == ["h"]


# -- disabled nodes ----------------------------------------------------------------------------
def test_disabled_node_is_kept_but_adds_no_entry_point_or_destination() -> None:
    hook = node("h", "Webhook", WEBHOOK, path="x")
    hook["disabled"] = True
    call = http_node("http://plain.example/api")
    call["disabled"] = True
    on = node("on", "Webhook 2", WEBHOOK, path="y")
    app = app_of(workflow("w1", "W", [hook, call, on], {"Webhook": wire("HTTP h1")}))
    assert step_of(app, "h").disabled is True
    assert step_of(app, "h").outbound == ("h1",)
    assert step_of(app, "on").disabled is False
    assert [s.id for s in app.steps_of_type(WEBHOOK)] == ["on"]
    assert [e.step_id for e in app.entry_points] == ["on"]
    assert app.destinations == ()
    webhook_connector = one(c for c in app.connectors if c.type == WEBHOOK)
    assert webhook_connector.used_by == ("h", "on")


# -- destinations ------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "protocol", "host", "port", "dynamic", "tls"), [
    ("https://api.example.com:8443/v1", "https", "api.example.com", 8443, False, True),
    ("http://intranet.local/x", "http", "intranet.local", None, False, False),
    ("=https://api.example.com/items/{{ $json.id }}", "https", "api.example.com", None, False,
     True),
    ("=https://api.example.com?q={{ $json.q }}", "https", "api.example.com", None, False, True),
    ("=https://api.example.com/static", "https", "api.example.com", None, False, True),
    ("={{ $json.body.url }}", "", "", None, True, None),
    ("=https://{{ $json.tenant }}.example.com/", "https", "", None, True, True),
    ("=http://api.example.com{{ $json.rest }}", "http", "", None, True, False),
    ("={{ $env.BASE_URL }}/items", "", "", None, True, None),
])
def test_http_request_hosts_static_and_dynamic(url: str, protocol: str, host: str,
                                               port: int | None, dynamic: bool,
                                               tls: bool | None) -> None:
    dest = one(app_of(workflow("w1", "W", [http_node(url)])).destinations)
    assert (dest.step_id, dest.protocol, dest.host, dest.port, dest.dynamic, dest.tls) == (
        "h1", protocol, host, port, dynamic, tls)
    assert dest.url == url


def test_http_request_url_never_keeps_user_info() -> None:
    app = app_of(workflow("w1", "W", [
        http_node("https://bob:hunter2@api.example.com/x", "h1"),
        http_node("=https://bob:hunter2@api.example.com/{{ $json.id }}", "h2")]))
    for dest in app.destinations:
        assert "hunter2" not in dest.url
        assert dest.host == "api.example.com"


@pytest.mark.parametrize(("params", "verify"), [
    ({}, True),
    ({"options": {}}, True),
    ({"options": {"allowUnauthorizedCerts": True}}, False),
    ({"options": {"allowUnauthorizedCerts": False}}, True),
    ({"allowUnauthorizedCerts": True}, False),  # typeVersion 1-2 keep it at the top
])
def test_http_request_certificate_verification(params: dict[str, Any], verify: bool) -> None:
    dest = one(app_of(workflow("w1", "W", [http_node("https://x.example", **params)]))
               .destinations)
    assert dest.verify_cert is verify


def test_http_request_used_as_ai_tool_is_a_destination() -> None:
    tool = node("t", "Fetch", "n8n-nodes-base.httpRequestTool", url="http://tool.example/")
    dest = one(app_of(workflow("w1", "W", [tool])).destinations)
    assert (dest.step_id, dest.host, dest.tls) == ("t", "tool.example", False)


def test_ftp_ssh_and_email_destinations_keep_unknown_hosts_empty() -> None:
    app = app_of(workflow("w1", "W", [
        node("f", "FTP", "n8n-nodes-base.ftp"),
        node("sf", "SFTP", "n8n-nodes-base.ftp", protocol="sftp"),
        node("s", "SSH", "n8n-nodes-base.ssh", command="ls"),
        node("e", "Mail", "n8n-nodes-base.emailSend", toEmail="a@b.c"),
    ]))
    servers = [d for d in app.destinations if d.protocol != "mail"]
    by_step = {d.step_id: d for d in servers}
    assert (by_step["f"].protocol, by_step["f"].tls) == ("ftp", False)
    assert (by_step["sf"].protocol, by_step["sf"].tls) == ("sftp", True)
    assert by_step["s"].protocol == "ssh"
    assert by_step["e"].protocol == "smtp"
    assert all(d.host == "" and d.dynamic is False for d in servers)
    # the recipient is a destination of its own: its domain, never the SMTP server
    mail = one_of([d for d in app.destinations if d.protocol == "mail"])
    assert (mail.step_id, mail.host, mail.url) == ("e", "b.c", "mailto:a@b.c")


# -- data stores -------------------------------------------------------------------------------
def test_data_stores_from_database_file_and_sheet_nodes() -> None:
    app = app_of(workflow("w1", "W", [
        node("p", "PG", "n8n-nodes-base.postgres", operation="executeQuery",
             query="SELECT * FROM forms WHERE id = $1"),
        node("pw", "PG write", "n8n-nodes-base.postgres", operation="executeQuery",
             query="=-- store the lead\nINSERT INTO leads (email) VALUES ('{{ $json.e }}')"),
        node("p2", "PG insert", "n8n-nodes-base.postgres",
             schema={"__rl": True, "value": "sales", "mode": "list"},
             table={"__rl": True, "value": "orders", "mode": "list"}),
        node("my", "MySQL", "n8n-nodes-base.mySqlTool", operation="select", table="users"),
        node("mg", "Mongo", "n8n-nodes-base.mongoDb", collection="events"),
        node("f", "Write", "n8n-nodes-base.readWriteFile", operation="write",
             fileName="/data/out.csv"),
        node("r", "Read", "n8n-nodes-base.readBinaryFiles", fileSelector="/etc/*.conf"),
        node("g", "Sheet", "n8n-nodes-base.googleSheets", operation="append",
             documentId={"__rl": True, "value": "doc1", "mode": "list"},
             sheetName={"__rl": True, "value": "gid=0", "mode": "list"}),
        node("x", "Excel", "n8n-nodes-base.spreadsheetFile"),
    ]))
    stores = {s.step_id: (s.kind, s.location, s.operation) for s in app.stores}
    assert stores == {
        "p": ("database", "forms", "query"),
        "pw": ("database", "leads", "write"),  # writes through Execute Query still write
        "p2": ("database", "sales.orders", "write"),  # n8n's default operation is insert
        "my": ("database", "users", "read"),
        "mg": ("database", "events", "read"),
        "f": ("file", "/data/out.csv", "write"),
        "r": ("file", "/etc/*.conf", "read"),
        "g": ("sheet", "doc1/gid=0", "write"),
        "x": ("file", "", "read"),
    }


# -- inventory ---------------------------------------------------------------------------------
def test_connectors_one_per_type_sorted_with_builtin_flag() -> None:
    app = app_of(workflow("w1", "W", [
        node("a", "A", HTTP), node("b", "B", HTTP),
        node("c", "Crm", "n8n-nodes-acme-crm.acmeCrm"),
        node("d", "Agent", "@n8n/n8n-nodes-langchain.agent"),
        node("e", "Scoped", "@acme/n8n-nodes-tools.thing"),
        node("f", "Dotted", "n8n-nodes-acme.io.widget"),  # npm names may hold dots
    ]))
    assert [(c.type, c.package, c.builtin, c.used_by) for c in app.connectors] == [
        ("@acme/n8n-nodes-tools.thing", "@acme/n8n-nodes-tools", False, ("e",)),
        ("@n8n/n8n-nodes-langchain.agent", "@n8n/n8n-nodes-langchain", True, ("d",)),
        ("n8n-nodes-acme-crm.acmeCrm", "n8n-nodes-acme-crm", False, ("c",)),
        ("n8n-nodes-acme.io.widget", "n8n-nodes-acme.io", False, ("f",)),
        (HTTP, "n8n-nodes-base", True, ("a", "b")),
    ]


def test_credentials_are_collected_once_with_their_users() -> None:
    first = http_node("https://a.example", "h1")
    first["credentials"] = {"httpHeaderAuth": {"id": "c1", "name": "API key"}}
    second = http_node("https://b.example", "h2")
    second["credentials"] = {"httpHeaderAuth": {"id": "c1", "name": "API key"},
                             "httpBasicAuth": {"id": "c2", "name": "Basic"}}
    legacy = node("pg", "PG", "n8n-nodes-base.postgres")
    legacy["credentials"] = {"postgres": "Prod DB"}  # old exports name the credential only
    app = app_of(workflow("w1", "W", [first, second, legacy]))
    assert step_of(app, "h2").credential_refs == ("c1", "c2")
    creds = {c.id: (c.name, c.type, c.used_by) for c in app.credentials}
    assert creds == {"c1": ("API key", "httpHeaderAuth", ("h1", "h2")),
                     "c2": ("Basic", "httpBasicAuth", ("h2",)),
                     "Prod DB": ("Prod DB", "postgres", ("pg",))}


def test_users_become_principals_only_when_present() -> None:
    users = [
        {"id": "u1", "email": "ada@x.com", "firstName": "Ada", "lastName": "Lovelace",
         "isPending": False, "role": "global:owner", "createdAt": "2024-01-01T00:00:00Z"},
        {"id": "u2", "email": "new@x.com", "firstName": None, "lastName": None,
         "isPending": True, "role": "global:member"},
    ]
    app = app_of(workflow("w1", "W", []), users=users, projects=[], variables=[])
    assert "principals" in app.facets
    first, second = app.principals
    assert (first.id, first.name, first.email, first.kind, first.roles, first.active) == (
        "u1", "Ada Lovelace", "ada@x.com", "user", ("global:owner",), True)
    assert (second.name, second.active, second.roles) == ("new@x.com", False,
                                                          ("global:member",))
    assert "principals" not in app_of(workflow("w1", "W", [])).facets


def test_users_as_an_api_page_are_accepted() -> None:
    app = app_of(workflow("w1", "W", []), users={"data": [{"id": "u1", "email": "a@x.com"}],
                                                  "nextCursor": None})
    assert [p.id for p in app.principals] == ["u1"]


def test_instance_settings_become_settings_facet() -> None:
    app = app_of(workflow("w1", "W", []),
                 settings={"userManagement": {"showSetupOnFirstLoad": False},
                           "publicApi": {"enabled": True}})
    assert "settings" in app.facets
    assert set(app.settings) == {"userManagement", "publicApi"}
    setting = app.setting("publicApi")
    assert setting is not None
    assert (setting.value, setting.source) == ({"enabled": True}, "n8n settings")


def test_app_name_of_a_live_instance_is_its_host() -> None:
    app = app_of(workflow("w1", "A", []), workflow("w2", "B", []))
    assert app.name == "n8n.example.com"
    assert app.id == "n8n-n8n.example.com"


def test_normalized_app_hashes_and_serializes() -> None:
    wf = workflow("w1", "W", [node("h", "Webhook", WEBHOOK)])
    assert app_of(wf).sha256() == app_of(json.loads(json.dumps(wf))).sha256()
    json.dumps(app_of(wf).to_dict())


def test_fetch_delegates_to_the_live_module(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = AppSpec("n8n+https://h", "n8n", "https", "https://h", "n8n-h")
    seen: list[Any] = []

    def fake_fetch(got_spec: AppSpec, client: Any) -> tuple[dict[str, Any], dict[str, str]]:
        seen.append((got_spec, client))
        return {"workflows": []}, {"projects": "not available: 403 (license)"}

    monkeypatch.setattr("pytest_nocode.platforms.n8n_live.fetch_n8n", fake_fetch)
    client = object()
    assert ADAPTER.fetch(spec, client) == (  # type: ignore[arg-type]
        {"workflows": []}, {"projects": "not available: 403 (license)"})
    assert seen == [(spec, client)]


def test_audit_becomes_advisories_only_when_present() -> None:
    audit = {"Credentials Risk Report": {"risk": "credentials", "sections": [{
        "title": "Credentials not used in any workflow",
        "description": "These credentials are not used.",
        "recommendation": "Remove them.",
        "location": [{"kind": "credential", "id": "c9", "name": "Old key"}]}]}}
    app = app_of(workflow("w1", "W", []), audit=audit)
    assert "advisories" in app.facets
    advisory = one(app.advisories)
    assert (advisory.resource.kind, advisory.resource.id) == ("credential", "c9")
    clean = app_of(workflow("w1", "W", []), audit=[])  # n8n's answer when it found nothing
    assert "advisories" in clean.facets and clean.advisories == ()
    assert "advisories" not in app_of(workflow("w1", "W", [])).facets


# -- errors ------------------------------------------------------------------------------------
def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "nodes": [],\n  "connections": {,}\n}\n')
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}:3:\d+: invalid JSON"):
        ADAPTER.load_file(path)


def test_malformed_json_in_a_folder_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "a.json", workflow("w1", "ok", []))
    (tmp_path / "b.json").write_text("[\n")
    with pytest.raises(InputError, match=r"b\.json:2:\d+"):
        ADAPTER.load_file(tmp_path)


@pytest.mark.parametrize(("content", "message"), [
    ({"nodes": {}, "connections": {}}, "$.nodes: expected a list of nodes"),
    ({"nodes": []}, '$: expected a workflow object with "nodes" and "connections"'),
    ({"name": "x"}, "$: expected a workflow object"),
    ([workflow("w1", "ok", []), {"nodes": []}],
     '$[1]: expected a workflow object with "nodes" and "connections"'),
    ("just text", "$: expected a workflow object"),
    ({"nodes": [{"name": "A"}], "connections": {}}, "$.nodes[0].type: expected the node type"),
    ({"nodes": [{"type": "x.y"}], "connections": {}}, "$.nodes[0].name: expected"),
    ({"nodes": [], "connections": {"My node": {"main": [[{"to": "B"}]]}}},
     '$.connections["My node"].main[0][0]: expected a connection'),
    ({"nodes": [], "connections": {"A": {"main": {"x": 1}}}},
     "$.connections.A.main: expected a list of outputs"),
    ({"nodes": [], "connections": [], "name": "x"}, "$.connections: expected an object"),
    ({"nodes": [], "connections": {}, "active": "yes"}, "$.active: expected true or false"),
    ({"nodes": [{"type": "x.y", "name": "A", "credentials": {"api": 5}}], "connections": {}},
     "$.nodes[0].credentials.api: expected"),
    ({"nodes": [{"type": "x.y", "name": "A"}, 7], "connections": {}},
     "$.nodes[1]: expected a node object"),
    ({"nodes": [{"type": "", "name": "A"}], "connections": {}},
     "$.nodes[0].type: expected the node type"),
    ({"nodes": [{"type": "x.y", "name": "A", "id": True}], "connections": {}},
     "$.nodes[0].id: expected a node id"),
    ({"nodes": [{"type": "x.y", "name": "A", "disabled": 2}], "connections": {}},
     "$.nodes[0].disabled: expected true or false"),
    ({"nodes": [], "connections": {}, "active": "1"}, "$.active: expected true or false"),
    ({"nodes": [], "connections": {}, "isArchived": 1.0},
     "$.isArchived: expected true or false"),
    ({"nodes": [{"type": "x.y", "name": "A", "id": 1.5}], "connections": {}},
     "$.nodes[0].id: expected a node id"),
    ({"nodes": [{"type": "x.y", "name": "A", "parameters": []}], "connections": {}},
     "$.nodes[0].parameters: expected an object of node parameters"),
    ({"nodes": [{"type": "x.y", "name": "A", "credentials": "api"}], "connections": {}},
     "$.nodes[0].credentials: expected an object mapping credential types"),
    ({"nodes": [{"type": "x.y", "name": 3}], "connections": {}},
     "$.nodes[0].name: expected the node name"),
    ({"nodes": [], "connections": {"My node": []}},
     '$.connections["My node"]: expected an object of connection types'),
    ({"nodes": [], "connections": {"A": {"ai tool": [None, {"node": "B"}]}}},
     '$.connections.A["ai tool"][1]: expected a list of connections'),
    ({"nodes": [], "connections": {}, "active": True, "activeVersionId": "v2",
      "activeVersion": {"nodes": [{"type": "x.y"}], "connections": {}}},
     "$.activeVersion.nodes[0].name: expected the node name"),
])
def test_wrong_shape_names_the_file_and_json_path(tmp_path: Path, content: Any,
                                                  message: str) -> None:
    path = write(tmp_path / "export.json", content)
    with pytest.raises(SchemaError) as info:
        ADAPTER.load_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_wrong_shape_in_a_folder_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "a.json", workflow("w1", "ok", []))
    write(tmp_path / "b.json", {"nodes": 3, "connections": {}})
    with pytest.raises(SchemaError, match=r"b\.json: \$\.nodes: expected a list of nodes"):
        ADAPTER.load_file(tmp_path)


def test_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(InputError, match=r"no \*\.json workflow exports in"):
        ADAPTER.load_file(tmp_path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ADAPTER.load_file(tmp_path / "absent.json")


@pytest.mark.parametrize(("data", "message"), [
    ([], '$: expected an object with a "workflows" list'),
    ({"data": []}, "$.workflows: expected a list of workflows"),
    ({"workflows": [{"nodes": [], "connections": {}, "tags": "x"}]},
     "$.workflows[0].tags: expected a list of tags"),
    ({"workflows": [{"nodes": [{"id": "a", "name": "A", "type": "x.y"}, {"name": "B"}],
                     "connections": {}}]},
     "$.workflows[0].nodes[1].type: expected the node type"),
    ({"workflows": [], "users": [{"email": "a@x"}]},
     '$.users[0]: expected a user object with an "id"'),
    ({"workflows": [], "users": "nobody"}, "$.users: expected a list of users"),
    ({"workflows": [], "settings": []}, "$.settings: expected an object"),
])
def test_normalize_rejects_wrong_live_shapes_by_json_path(data: Any, message: str) -> None:
    spec = AppSpec("n8n+https://h", "n8n", "https", "https://h", "n8n-h")
    with pytest.raises(SchemaError) as info:
        ADAPTER.normalize(spec, RawSnapshot("n8n", data, "live"))
    assert str(info.value).startswith(f"n8n+https://h: {message}")


# -- scale -------------------------------------------------------------------------------------
def test_two_thousand_workflows_normalize_whole(tmp_path: Path) -> None:
    """Every node of a large file is normalized (its speed is benchmarks/scan_bench.py's)."""
    workflows = []
    for w in range(2000):
        nodes = [node(f"{w}-{n}", f"Node {n}", HTTP if n % 2 else "n8n-nodes-base.set",
                      url=f"https://h{n}.example/{{{{ $json.id }}}}") for n in range(20)]
        connections = {f"Node {n}": wire(f"Node {n + 1}") for n in range(19)}
        workflows.append(workflow(f"wf{w}", f"W{w}", nodes, connections))
    folder = tmp_path / "many"
    folder.mkdir()
    write(folder / "all.json", workflows)
    app = load(folder)
    assert len(app.steps) == 40_000
    assert len(app.destinations) == 20_000


# -- shared fixtures and the bundled demo -------------------------------------------------------
def test_shared_single_export() -> None:
    app = load(SHARED_DATA / "single.json")
    wf = one(app.workflows)
    assert (wf.id, wf.name, wf.active) == ("fB0eKJkwreHBIgJL", "Hello world", False)
    trigger = one(s for s in app.steps if s.type == "n8n-nodes-base.manualTrigger")
    edit = one(s for s in app.steps if s.name == "Edit Fields")
    assert trigger.outbound == (edit.id,)  # wired by name, stored by id
    assert edit.path == f"workflows/{wf.id}/{edit.id}"
    assert app.entry_points == ()  # a manual trigger is no way in


def test_shared_list_export() -> None:
    app = load(SHARED_DATA / "list.json")
    assert app.name == "list"
    assert len(app.workflows) == 2
    # both workflows have a node named "Edit Fields": wiring must not cross workflows
    for wf in app.workflows:
        for step in app.steps:
            if step.workflow_id == wf.id:
                assert all(step_of(app, t).workflow_id == wf.id for t in step.outbound)


def test_shared_wrong_shape_export_names_file_and_path() -> None:
    path = SHARED_DATA / "wrong-shape.json"
    with pytest.raises(SchemaError) as info:
        ADAPTER.load_file(path)
    assert str(info.value).startswith(f"{path}: $: expected a workflow object")


def test_bundled_demo_folder_normalizes_with_its_known_faults() -> None:
    spec = next(s for s in parse_app_uri("demo", ["nodered", "n8n"], REPO)
                if s.platform == "n8n")
    app = ADAPTER.normalize(spec, RawSnapshot("n8n", ADAPTER.load_file(DEMO), "demo"))
    assert app.id == "demo-n8n"
    assert len(app.workflows) == len(list(DEMO.glob("*.json")))
    assert len({s.id for s in app.steps}) == len(app.steps)
    by_route = {e.route: e for e in app.entry_points}
    assert by_route["lead-capture"].authentication == "none"
    assert by_route["lead-capture"].active is True
    assert by_route["ops/ping"].authentication == "header"
    assert any(e.kind == "form" for e in app.entry_points)
    cleartext = [d for d in app.destinations if d.protocol == "http"]
    assert [d.host for d in cleartext] == ["crm.acme-partner.com"]
    assert any(d.protocol == "ftp" and d.tls is False for d in app.destinations)
    assert any(s.operation == "query" for s in app.stores)
    community = [c.type for c in app.connectors if not c.builtin]
    assert community == ["n8n-nodes-acme-crm.acmeCrm"]
    assert all(c.used_by for c in app.credentials)


def one_of(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


def test_the_data_flow_gets_the_descriptions_judging_made_for_the_same_steps_only() -> None:
    """Judging entry points describes the steps behind each of them; the data flow is handed
    those descriptions (the same as describing again), never one made for another step."""
    js = "return [{ json: { ...$json, seen: true } }];"
    app = app_of(workflow("w1", "Intake", [
        node("t1", "Hook", WEBHOOK, path="in", httpMethod="POST"),
        node("c1", "Mark", "n8n-nodes-base.code", jsCode=js),
        http_node("https://api.example.com/{{ $json.body.id }}")],
        {"Hook": wire("Mark"), "Mark": wire("HTTP h1")}))
    flows = app.flow_of.__self__  # type: ignore[union-attr]
    judged = {step.id for step in app.steps if step.id in flows._judged}
    assert "c1" in judged  # the entry point's walk described the steps behind it
    code = step_of(app, "c1")
    other = dataclasses.replace(code, params=MappingProxyType({"jsCode": "return [{ json: {} }];"}))
    assert app.flow_of(other) == flows.describe(other) != flows.describe(code)
    for step in app.steps:
        assert app.flow_of(step) == flows.describe(step)
    assert not flows._judged  # each handed over once
    assert app.flow_of(code) == flows.describe(code)  # asked again: described again


def test_flags_stored_as_0_or_1_read_as_booleans(tmp_path: Path) -> None:
    """n8n's SQLite database keeps booleans as 0 and 1, and backup tools that read it write
    them so: ``"active": 1`` is an active workflow, ``"disabled": 0`` an enabled node."""
    hook = node("h1", "Hook", "n8n-nodes-base.webhook", path="in") | {"disabled": 0}
    off = node("h2", "Off hook", "n8n-nodes-base.webhook", path="off") | {"disabled": 1}
    live = workflow("w1", "Live", [hook, off], active=1, isArchived=0)
    idle = workflow("w2", "Idle", [node("h3", "Hook", "n8n-nodes-base.webhook", path="b")],
                    active=0)
    app = load(write(tmp_path / "backup.json", [live, idle]))
    assert (workflow_of(app, "w1").active, workflow_of(app, "w2").active) == (True, False)
    steps = {s.id: s for s in app.steps}
    assert (steps["h1"].disabled, steps["h2"].disabled) == (False, True)
    # a disabled node is no entry point
    assert {e.step_id: e.active for e in app.entry_points} == {"h1": True, "h3": False}
