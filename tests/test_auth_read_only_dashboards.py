"""Node-RED dashboards and sockets that only show what anyone may see (issue 11, AUTH001).

A dashboard whose buttons only re-read the last rows of a sensor table, call one of the app's
own GET routes or fetch a public feed acts on nothing: open by design (info, listed with
``report_status_probes``). A websocket whose clients only get a public feed the app polls
(a repository's pull-request counts, fetched without credentials) is read-only telemetry. The
same dashboard or socket fires once a control switches a device, writes, sends with a key or
reads people's records, or once the socket serves what the owner's own key fetched. The flows
are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, ids, one, policy
from tests.rules import AUTH001
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    function,
    http_in,
    http_request,
    http_response,
    inject,
    nid,
    node,
    tab,
)

LISTED = policy("version: 1\nsettings:\n  report_status_probes: true\n")


def _panel(*targets: dict[str, Any]) -> list[dict[str, Any]]:
    """A dashboard page with a Refresh button wired to ``targets`` (the first is "read"),
    whose answer goes to a chart."""
    return [tab(),
            config("page", "ui_tab", name="Weather", order=1, disabled=False, hidden=False),
            config("grp", "ui_group", name="Rain", tab=nid("page"), order=1, width=6),
            node("refresh", "ui_button", group=nid("grp"), label="Refresh", payload="",
                 payloadType="str", topic="", wires=[["read"]]),
            *targets,
            node("chart", "ui_chart", group=nid("grp"), label="Rainfall", wires=[[]])]


def _select(query: str) -> dict[str, Any]:
    return node("read", "postgresql", query=query, postgreSQLConfig="", split=False,
                rowsPerMsg=1, outputs=1, wires=[["chart"]])


def _get(url: str, **extra: Any) -> dict[str, Any]:
    request = http_request("read", url, to=["chart"], method="GET")
    request.update(extra)
    return request


def test_a_dashboard_whose_button_rereads_a_sensor_table_is_open_by_design() -> None:
    app = app_of(_panel(_select("SELECT * FROM (SELECT * FROM rainfall ORDER BY id DESC "
                                "LIMIT 10) AS latest ORDER BY id ASC;")))
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, LISTED))
    assert listed.severity == Severity.INFO and listed.evidence["read_only"] is True
    assert listed.evidence["kind"] == "dashboard"
    assert "reads the rows of 'rainfall' (a fixed SELECT)" in listed.message
    assert "they act on nothing" in listed.message


def test_a_dashboard_that_reads_people_or_writes_or_switches_fires() -> None:
    people = _panel(_select("SELECT * FROM patients ORDER BY id DESC LIMIT 10"))
    writes = _panel(_select("DELETE FROM rainfall"))
    switches = _panel(node("read", "mqtt out", topic="garden/valve/set", broker="",
                           wires=[]))
    for flows in (people, writes, switches):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.severity == Severity.HIGH and "read_only" not in found.evidence


def test_a_dashboard_that_fetches_a_public_feed_or_its_own_route_is_open_by_design() -> None:
    feed = _panel(_get("https://api.github.com/repos/acme/wallboard/pulls?state=all"))
    own = [*_panel(_get("http://localhost:1880/latest")),
           http_in("latest", "/latest", method="get", to=["answer"]),
           function("answer", "msg.payload = Math.random();\nreturn msg;", to=["resp"]),
           http_response("resp")]
    for flows, why in ((feed, "fetches a public feed without credentials in 'read'"),
                       (own, "calls the app's own route '/latest' in 'read'")):
        app = app_of(flows)
        assert [f for f in findings_of(AUTH001, app) if f.evidence["kind"] == "dashboard"] \
            == []
        listed = [f for f in findings_of(AUTH001, app, LISTED)
                  if f.evidence["kind"] == "dashboard"]
        assert why in one(listed).message


def test_a_dashboard_request_with_a_key_another_method_or_a_lan_device_fires() -> None:
    keyed = _get("https://api.github.com/repos/acme/wallboard/pulls", authType="bearer")
    posted = _get("https://api.example.com/feed")
    posted["method"] = "POST"
    device = _get("http://192.168.1.40/cm?cmnd=Power%20On")  # a relay's own web API
    unknown_route = _get("http://localhost:1880/relay/on")  # no such route of the app
    for target in (keyed, posted, device, unknown_route):
        found = one(findings_of(AUTH001, app_of(_panel(target))))
        assert found.evidence["kind"] == "dashboard" and found.severity == Severity.HIGH


def _wallboard(*, url: str = "https://api.github.com/repos/acme/wallboard/pulls",
               headers: list[dict[str, str]] | None = None,
               element: str = 'env.get("ELEMENT_ID")') -> list[dict[str, Any]]:
    """A timer fetches ``url`` and a function keeps the open pull requests in
    global context; a client's message on /ws/data is answered with the kept list by a
    change node, on the listener's websocket out."""
    fetch = http_request("fetch", url, to=["count"], method="GET")
    fetch["headers"] = headers or []
    return [tab(),
            config("listener", "websocket-listener", path="/ws/data", wholemsg="false"),
            inject("poll", to=["fetch"], repeat="60"), fetch,
            function("count", 'global.set("board", {id: ' + element
                     + ", open: msg.payload.filter(p => p.state === 'open')});\n"
                     "return null;"),
            node("in", "websocket in", server=nid("listener"), client="", wires=[["copy"]]),
            change("copy", to=["out"], rules=[{"t": "set", "p": "payload", "pt": "msg",
                                               "to": "board", "tot": "global"}]),
            node("out", "websocket out", server=nid("listener"), client="", wires=[])]


def test_a_websocket_that_broadcasts_a_public_feed_is_read_only_telemetry() -> None:
    app = app_of(_wallboard())
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, LISTED))
    assert listed.evidence["kind"] == "websocket" and listed.evidence["read_only"] is True
    assert "public feeds" in listed.message


def test_a_websocket_serving_what_a_key_fetched_or_a_secret_env_value_fires() -> None:
    keyed = _wallboard(headers=[{"keyType": "Authorization", "valueType": "other",
                                 "valueValue": "Bearer ghp_example"}])
    lan = _wallboard(url="http://192.168.1.20/api/usage")
    secret = _wallboard(element='env.get("GITHUB_TOKEN")')
    for flows in (keyed, lan, secret):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("listener")}


def _monitor(label: str, *, group: str = "Readings", page: str = "Monitor",
             fed: bool = True, dashboard2: bool = False) -> list[dict[str, Any]]:
    """A dashboard page with one gauge labelled ``label`` that an MQTT subscription feeds
    (with ``fed``); no control."""
    kinds = ("ui-page", "ui-group", "ui-gauge", "page") if dashboard2 \
        else ("ui_tab", "ui_group", "ui_gauge", "tab")
    page_type, group_type, gauge_type, link = kinds
    return [tab(), config("broker", "mqtt-broker", broker="10.0.0.5", port="1883"),
            config("page", page_type, name=page, order=1, disabled=False, hidden=False),
            config("grp", group_type, name=group, order=1, width=6, **{link: nid("page")}),
            node("sub", "mqtt in", topic="ward/bed1", broker=nid("broker"),
                 wires=[["gauge"]] if fed else [[]]),
            node("gauge", gauge_type, group=nid("grp"), label=label, name=label, wires=[])]


def test_a_dashboard_showing_health_readings_is_an_open_entry_without_any_control() -> None:
    for flows in (_monitor("Heart Rate"), _monitor("ml/h", group="Bomba de infusión 1"),
                  _monitor("SpO2", page="Vital Signs", dashboard2=True),
                  _monitor("Daily Calories", dashboard2=True)):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.severity == Severity.HIGH and found.resource.id == nid("page")
        assert found.evidence["effect"] == "serves"
        assert "shows health readings" in found.evidence["effect_reason"]


def test_a_display_only_dashboard_of_plant_readings_or_an_unfed_gauge_is_no_entry() -> None:
    for flows in (_monitor("Humidity"), _monitor("Heartbeat", group="Gateway"),
                  _monitor("Pump pressure", page="Irrigation"),
                  _monitor("Heart Rate", fed=False)):
        assert findings_of(AUTH001, app_of(flows), LISTED) == []


def test_a_dashboard_that_queries_a_public_index_is_open_by_design() -> None:
    places = node("read", "google places", name="read", reqType="placesNearby", lat="", lon="",
                  wires=[["chart"]])
    news = node("read", "watson-discovery-v1", name="read", environmentId="system",
                collectionId="news-en", query="", wires=[["chart"]])
    for target in (places, news):
        app = app_of(_panel(target))
        assert findings_of(AUTH001, app) == []
        assert "queries a public index in 'read'" in \
            one(findings_of(AUTH001, app, LISTED)).message


def test_a_dashboard_that_searches_the_owners_own_collection_fires() -> None:
    own = node("read", "watson-discovery-v1", environmentId="a1b2c3",
               collectionId="contracts", query="", wires=[["chart"]])
    found = one(findings_of(AUTH001, app_of(_panel(own))))
    assert found.severity == Severity.HIGH and "read_only" not in found.evidence


def _chat_route(url: str, *, reply: str = '"Hello"') -> list[dict[str, Any]]:
    """POST /chat → an intent parser at ``url`` → a switch on the intent → a fixed reply."""
    return [tab(), http_in("in", "/chat", to=["parse"]),
            http_request("parse", url, to=["intent"]),
            node("intent", "switch", property="payload.intent.name", propertyType="msg",
                 rules=[{"t": "eq", "v": "greet", "vt": "str"}], checkall="true",
                 outputs=1, wires=[["say"]]),
            function("say", f"msg.payload = {reply};\nreturn msg;", to=["resp"]),
            http_response("resp")]


def test_a_chat_route_that_only_asks_a_local_intent_parser_is_open_by_design() -> None:
    for url in ("http://rasa:5005/model/parse", "http://localhost:5000/parse"):
        app = app_of(_chat_route(url))
        assert findings_of(AUTH001, app) == [], url
        assert "asks a model on the same host in 'parse'" in \
            one(findings_of(AUTH001, app, LISTED)).message


def test_a_chat_route_to_a_hosted_parser_or_answering_kept_data_fires() -> None:
    hosted = _chat_route("https://nlu.example.com/model/parse")
    kept = _chat_route("http://rasa:5005/model/parse", reply='global.get("lastOrder")')
    other_path = _chat_route("http://rasa:5005/conversations/1/trigger_intent")
    for flows in (hosted, kept, other_path):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("in")}


def _monitor_with_feed_button(label: str) -> list[dict[str, Any]]:
    """:func:`_monitor` with a Refresh button that GETs a public feed into the gauge."""
    return [*_monitor(label),
            node("refresh", "ui_button", group=nid("grp"), label="Refresh", payload="",
                 payloadType="str", topic="", wires=[["read"]]),
            http_request("read", "https://api.github.com/repos/acme/ward/pulls", to=["gauge"],
                         method="GET")]


def test_a_health_dashboard_is_not_read_only_because_its_button_fetches_a_public_feed() -> None:
    found = one(findings_of(AUTH001, app_of(_monitor_with_feed_button("Heart Rate"))))
    assert found.severity == Severity.HIGH and "read_only" not in found.evidence
    plant = findings_of(AUTH001, app_of(_monitor_with_feed_button("Humidity")), LISTED)
    assert "fetches a public feed without credentials in 'read'" in one(plant).message
    assert one(plant).severity == Severity.INFO


def test_a_dashboard_request_whose_address_carries_a_credential_fires() -> None:
    for url in ("https://api.github.com/repos/acme/wallboard/pulls?access_token=ghp_example",
                "https://reader:hunter2@api.example.com/feed",
                "https://api.example.com/feed?city=Oslo&api_key=example"):
        found = one(findings_of(AUTH001, app_of(_panel(_get(url)))))
        assert found.severity == Severity.HIGH and "read_only" not in found.evidence
    # a parameter that names no credential leaves the feed public
    listed = findings_of(AUTH001, app_of(_panel(_get(
        "https://api.github.com/repos/acme/wallboard/pulls?state=all&per_page=50"))), LISTED)
    assert "fetches a public feed without credentials" in one(listed).message


def test_a_websocket_broadcasting_an_env_value_named_for_a_secret_fires() -> None:
    # names no credential word of the probe's own list catches, the secret-name reader does
    for name in ("MQTT_PASS", "PRIVATE_KEY", "JWT_SIGNING_KEY"):
        flows = _wallboard(element=f'env.get("{name}")')
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("listener")}, name
    assert findings_of(AUTH001, app_of(_wallboard(element='env.get("BOARD_TITLE")'))) == []


def test_a_health_widget_whose_group_the_export_lacks_is_one_entry_of_its_own_dashboard() -> None:
    for dashboard2, route in ((False, "/ui"), (True, "/dashboard")):
        flows = [n for n in _monitor("Heart Rate", dashboard2=dashboard2)
                 if n["type"] not in ("ui_group", "ui-group", "ui_tab", "ui-page")]
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.evidence["effect"] == "serves" and route in found.message


def test_a_dashboard_control_reaching_a_link_call_named_at_run_time_fires() -> None:
    rereads = _panel(_select("SELECT * FROM rainfall ORDER BY id DESC LIMIT 10"))
    valve = node("valve", "ui_switch", group=nid("grp"), label="Valve", wires=[["call"]])
    dynamic = node("call", "link call", links=[], linkType="dynamic", timeout="30",
                   wires=[[]])
    found = one(findings_of(AUTH001, app_of([*rereads, valve, dynamic])))
    assert found.severity == Severity.HIGH and "read_only" not in found.evidence
    assert one(findings_of(AUTH001, app_of(rereads), LISTED)).severity == Severity.INFO


# -- a button that asks a device for a fresh reading -------------------------------------------
def _publish(topic: str) -> dict[str, Any]:
    return node("read", "mqtt out", topic=topic, qos="0", retain="false", broker="",
                wires=[])


def test_a_dashboard_whose_button_only_asks_a_device_for_a_reading_is_open_by_design() -> None:
    # (a yard sensor answering on its own topic; Zigbee2MQTT's <device>/get reads a state)
    for topic in ("yard/device4/temp-request", "zigbee2mqtt/porch-sensor/get",
                  "greenhouse/status/read"):
        app = app_of(_panel(_publish(topic)))
        assert findings_of(AUTH001, app) == [], topic
        listed = one(findings_of(AUTH001, app, LISTED))
        assert f"asks a device for a reading on topic {topic!r}" in listed.message


def test_a_dashboard_publishing_a_command_or_to_a_topic_it_picks_fires() -> None:
    # an action beside the asking word, a set topic, no fixed topic (msg.topic picks it),
    # a wildcard topic
    for topic in ("gate/open-request", "zigbee2mqtt/porch-light/set", "", "yard/+/get",
                  "relay/power-get"):
        found = one(findings_of(AUTH001, app_of(_panel(_publish(topic)))))
        assert found.severity == Severity.HIGH, topic
