"""Patterns of the fourth blind set of real n8n exports, distilled in our own words: archived
workflows, entry points behind which nothing acts, URL paths whose value is not the caller's,
and chat-bot tokens. Each fires on the bad shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, one
from tests.rules import AUTH001, ENC002, INJ001, INJ002, INV002, SEC001
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    telegram_trigger,
    uid,
    workflow,
)


# -- A. an archived workflow runs nothing until it is restored --------------------------------
def _video_bot(*, active: bool, archived: bool) -> dict[str, Any]:
    """An open Telegram bot → a command built from the message → a download from a host the
    message names with certificate checks off, and a typed API key."""
    fetch = n8n_node("Download", "httpRequest", {
        "url": "={{ $('Telegram Trigger').item.json.message.text }}",
        "sendHeaders": True, "headerParameters": {"parameters": [
            {"name": "Authorization", "value": "Bearer 9fQ2kZx81LmT4vRw7YbN3cPd6HsJ0aEu"}]},
        "options": {"allowUnauthorizedCerts": True}}, version=4.2)
    nodes = [telegram_trigger(), execute_command("Run", "=yt-dlp {{ $json.message.text }}"),
             fetch]
    return workflow("Video bot", nodes, chain("Telegram Trigger", "Run", "Download"),
                    active=active, archived=archived)


def test_archived_workflow_reports_nothing_it_would_do_when_run() -> None:
    """n8n 2 cannot activate an archived workflow before someone restores it: its entry
    points, sinks and requests are off like a disabled Node-RED tab's."""
    app = app_of(_video_bot(active=False, archived=True))
    for rule in (AUTH001, INJ001, INJ002, ENC002):
        assert findings_of(rule, app) == [], rule.__name__


def test_archived_workflow_still_lists_its_credentials_and_typed_keys() -> None:
    """What the export holds is there whether or not it runs: the bound credential (INV002,
    marked archived) and the typed key (SEC001)."""
    app = app_of(_video_bot(active=False, archived=True))
    assert one(findings_of(INV002, app)).evidence["archived"] is True
    assert one(findings_of(SEC001, app)).resource.id == uid("Download")


def test_inactive_workflow_that_is_not_archived_is_still_reported() -> None:
    app = app_of(_video_bot(active=False, archived=False))
    assert one(findings_of(AUTH001, app)).message.endswith(
        "(workflow inactive: reachable once activated)")
    assert {f.resource.id for f in findings_of(INJ001, app)} == {uid("Run"), uid("Download")}
    assert one(findings_of(ENC002, app)).resource.id == uid("Download")


# -- an inactive workflow's form value fetched as a URL: one activation from INJ001 -----------
def _fetch_the_link(trigger: dict[str, Any], *, active: bool) -> dict[str, Any]:
    fetch = n8n_node("Fetch video", "httpRequest", {
        "url": "={{ $json['Video link'] }}", "options": {}}, version=4.2)
    return workflow("Video saver", [trigger, fetch], chain(trigger["name"], "Fetch video"),
                    active=active)


def _link_form() -> dict[str, Any]:
    return n8n_node("Link form", "formTrigger", {
        "formTitle": "Save a video", "formFields": {"values": [
            {"fieldLabel": "Video link", "requiredField": True}]}, "options": {}},
        version=2.2, webhook=True)


def test_inj002_inactive_form_value_fetched_as_the_url() -> None:
    app = app_of(_fetch_the_link(_link_form(), active=False))
    f = one(findings_of(INJ002, app))
    assert f.resource.id == uid("Fetch video")
    assert "(not active)" in f.message
    assert findings_of(INJ001, app) == []
    active = app_of(_fetch_the_link(_link_form(), active=True))
    assert one(findings_of(INJ001, active)).resource.id == uid("Fetch video")
    assert findings_of(INJ002, active) == []  # INJ001's, not both


def test_inj002_quiet_on_a_url_read_from_a_table() -> None:
    """A URL from the app's own rows is no caller's: neither rule reports the fetch."""
    rows = n8n_node("Read feeds", "postgres", {
        "operation": "select", "table": {"__rl": True, "value": "feeds", "mode": "list"},
        "returnAll": True, "options": {}}, version=2.5,
        credentials={"postgres": ("p1", "Feeds DB")})
    fetch = n8n_node("Fetch video", "httpRequest", {
        "url": "={{ $json.link }}", "options": {}}, version=4.2)
    wf = workflow("Feeds", [n8n_node("Schedule Trigger", "scheduleTrigger", {
        "rule": {"interval": [{"field": "hours"}]}}, version=1.2), rows, fetch],
        chain("Schedule Trigger", "Read feeds", "Fetch video"))
    app = app_of(wf)
    assert findings_of(INJ002, app) == []
    assert findings_of(INJ001, app) == []


# -- F1. connections that name nodes by id: n8n follows none of them --------------------------
def _booking_hook(connect: str) -> dict[str, Any]:
    """An open webhook → a command built from its body; the connection names the nodes by
    ``connect`` ("name" as n8n stores it, "id" as a hand-edited export does, or "nowhere":
    the sender by id, the receiver a name no node has)."""
    hook = n8n_node("Bookings", "webhook", {"httpMethod": "POST", "path": "bookings",
                                            "options": {}}, version=2, webhook=True)
    run = execute_command("Notify", "=notify-send {{ $json.body.name }}")
    ends = {"name": ("Bookings", "Notify"), "id": (hook["id"], run["id"]),
            "nowhere": (hook["id"], "notify-step")}[connect]
    return workflow("Bookings", [hook, run],
                    {ends[0]: {"main": [[{"node": ends[1], "type": "main", "index": 0}]]}})


def test_webhook_wired_by_node_id_runs_nothing() -> None:
    app = app_of(_booking_hook("id"))
    entry = one(app.entry_points)
    assert entry.effect == "nothing"
    assert "name nodes by id" in (entry.effect_reason or "")
    assert findings_of(AUTH001, app) == []


def test_webhook_wired_by_name_or_into_nowhere_still_acts() -> None:
    """Wired by name it runs the command; a connection whose receiver is no node at all is
    lost wiring, which fails closed: every step of the workflow counts as reached."""
    for connect in ("name", "nowhere"):
        app = app_of(_booking_hook(connect))
        assert one(app.entry_points).effect == "acts", connect
        assert one(findings_of(AUTH001, app)).resource.id == uid("Bookings"), connect


# -- D. URL-path values that are not the caller's -----------------------------------------------
def _order_relay(path_value: str, *, code: str | None = None,
                 then: str | None = None) -> dict[str, Any]:
    """An open webhook → (a Code node, and ``then`` a second one) → a POST to a fixed API
    host whose path holds ``path_value``, with the shop's API credential."""
    hook = n8n_node("Orders", "webhook", {"httpMethod": "POST", "path": "orders",
                                          "options": {}}, version=2, webhook=True)
    send = n8n_node("Forward", "httpRequest", {
        "method": "POST", "url": "=https://api.partner-shop.com/v2/" + path_value + "/orders",
        "authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth",
        "options": {}}, version=4.2,
        credentials={"httpHeaderAuth": ("Pw3nX7cL9qR2sV5k", "Partner shop API key")})
    nodes = [hook, send]
    names = ["Orders", "Forward"]
    if code is not None:
        nodes.insert(1, n8n_node("Prepare", "code", {"jsCode": code}, version=2))
        names.insert(1, "Prepare")
    if then is not None:
        nodes.insert(2, n8n_node("Check", "code", {"jsCode": then}, version=2))
        names.insert(2, "Check")
    return workflow("Order relay", nodes, chain(*names))


def test_inj001_caller_value_in_the_url_path_fires() -> None:
    f = one(findings_of(INJ001, app_of(_order_relay("{{ $json.body.shop }}"))))
    assert f.resource.id == uid("Forward")
    assert f.evidence["parameter"] == "url path"


def test_inj001_quiet_on_a_credential_field_in_the_url_path() -> None:
    """``$credentials.…`` is the node's own credential: the owner's configuration."""
    app = app_of(_order_relay("{{ $credentials.shopId }}"))
    assert findings_of(INJ001, app) == []
    assert findings_of(INJ002, app) == []


def test_inj001_quiet_on_a_name_cut_to_letters_and_digits_in_code() -> None:
    cut = ("const key = $json.body.shop.toLowerCase().replace(/[^a-z0-9]/g, '');\n"
           "return { json: { key } };")
    assert findings_of(INJ001, app_of(_order_relay("{{ $json.key }}", code=cut))) == []
    kept = ("const key = $json.body.shop.toLowerCase().replace(/[^a-z0-9.\\/]/g, '');\n"
            "return { json: { key } };")  # keeps '.' and '/': ../ still reaches the URL
    assert one(findings_of(INJ001, app_of(_order_relay("{{ $json.key }}", code=kept))))


def test_inj001_code_spreading_its_input_keeps_a_constant_table_pick_constant() -> None:
    """``{...data}`` with ``data = $input.item.json``: the input item goes on as it came, so
    ``config``, a pick from the previous code's own table, stays that; a later step reading
    ``config.key`` reads the table, while ``body`` is still the caller's."""
    pick = ("const shops = { north: { key: 'n-01' }, south: { key: 's-02' } };\n"
            "const data = $input.item.json;\n"
            "const config = shops[data.body.region];\n"
            "if (!config) { return { json: { ...data, config: null } }; }\n"
            "return { json: { ...data, config } };")
    check = ("const data = $input.item.json;\n"
             "if (!data.config) { return { json: { ...data, error: 'unknown region' } }; }\n"
             "return { json: { ...data } };")
    app = app_of(_order_relay("{{ $json.config.key }}", code=pick, then=check))
    assert findings_of(INJ001, app) == []
    caller = app_of(_order_relay("{{ $json.body.region }}", code=pick, then=check))
    assert one(findings_of(INJ001, caller)).resource.id == uid("Forward")
    mixed = app_of(_order_relay("{{ $json.config.key }}", code=pick,
                                then="return { json: { ...$json, ...$json.body } };"))
    assert one(findings_of(INJ001, mixed)).resource.id == uid("Forward")  # body spread over


# -- F2. an HTTP Request v1-v3 reads its own parameter keys, not version 4's ----------------------
def _push_hook(version: float, **params: Any) -> dict[str, Any]:
    """An open webhook → a POST to a push service, typed with ``params``."""
    hook = n8n_node("Order created", "webhook", {"httpMethod": "POST", "path": "order-created",
                                                 "options": {}}, version=1, webhook=True)
    push = n8n_node("Push", "httpRequest", {"url": "https://push.example-cloud.com/send",
                                            "method": "POST", **params}, version=version)
    return workflow("Push on order", [hook, push], chain("Order created", "Push"))


# version-4 keys (a header list with a key, a JSON body) that a version 3 node does not read
V4_KEYS = {"sendHeaders": True, "headerParameters": [
    {"name": "Authorization", "value": "={{ 'key=' + $env.PUSH_KEY }}"}],
    "sendBody": True, "bodyParametersJson": '{"to": "{{ $json.body.token }}"}'}


def test_v3_request_with_version_4_keys_sends_nothing_so_the_hook_is_harmless() -> None:
    app = app_of(_push_hook(3, **V4_KEYS))
    entry = one(app.entry_points)
    assert (entry.effect, "no body and no credentials" in (entry.effect_reason or "")) == (
        "answers", True)
    assert findings_of(AUTH001, app) == []


def test_request_that_sends_its_body_or_key_still_acts() -> None:
    """Version 4 reads those keys; version 3 with ``jsonParameters`` reads the JSON body; a
    node without a version may be either (fail closed)."""
    as_v3_json = {**V4_KEYS, "jsonParameters": True}
    unversioned = _push_hook(3, **V4_KEYS)
    del unversioned["nodes"][1]["typeVersion"]
    for wf in (_push_hook(4.2, **V4_KEYS), _push_hook(3, **as_v3_json), unversioned):
        app = app_of(wf)
        assert one(app.entry_points).effect == "acts"
        assert one(findings_of(AUTH001, app)).resource.id == uid("Order created")
