"""Node-RED INJ001: requests an app keeps as a list in context and sends one by one.

Distilled, in our own words, from a real scanner dashboard: one function builds a list of
request objects whose URLs start with the base URL the app keeps for its own host and puts a
dashboard value only in their query string, keeps the list in flow context, and sends the
first; another function, fed by the request's answer, reads the list back and sends the next
item's URL as it is. Where the kept text put the caller's value (in the query string, after
the app's own host) still holds when code copies the kept URL whole; it does not when code
builds a new text around it, or when the list's URL puts the value before the host."""

from __future__ import annotations

from typing import Any

from pytest_nocode.model import AS_KEPT
from pytest_nocode.platforms.nodered_function import follow_function
from tests.checkrun import findings_of, ids
from tests.rules import INJ001
from tests.test_checks_nodered import app_of, function, http_in, inject, nid, node, tab

OWN_BASE = "global.set('baseUrl', 'http://localhost:8000/v1');\nreturn msg;"
BUILD = """const base = global.get('baseUrl');
const requests = [];
requests.push({method: 'POST', url: `${base}/projects?name=${msg.payload.project}`, payload: {}});
requests.push({method: 'POST', url: `${base}/scans?project=${msg.payload.project}`});
flow.set('queue', requests);
flow.set('next', 0);
msg.url = requests[0].url;
msg.method = requests[0].method;
return msg;"""
NEXT = """const requests = flow.get('queue');
const i = flow.get('next') + 1;
if (i >= requests.length) { return null; }
flow.set('next', i);
const item = requests[i];
msg.url = %s;
msg.method = item.method;
return msg;"""


def _request(key: str, to: list[str]) -> dict[str, Any]:
    return node(key, "http request", name=key, method="use", ret="obj", paytoqs="ignore",
                url="", tls="", persist=False, proxy="", authType="", headers=[], wires=[to])


def _flows(build: str = BUILD, url: str = "item.url") -> list[dict[str, Any]]:
    return [tab(), inject("boot", to=["setup"]), function("setup", OWN_BASE),
            http_in("start", "/scan", to=["build"]), function("build", build, to=["send"]),
            _request("send", ["next"]), function("next", NEXT % url, to=["again"]),
            _request("again", [])]


def test_a_kept_url_copied_whole_keeps_the_callers_value_in_its_query_string() -> None:
    assert findings_of(INJ001, app_of(_flows())) == []


def test_a_new_text_built_around_the_kept_url_loses_where_it_put_the_value() -> None:
    found = findings_of(INJ001, app_of(_flows(url="'http://' + item.url")))
    assert ids(found) == {nid("again")}


def test_a_kept_url_whose_host_the_caller_picks_still_fires_after_the_copy() -> None:
    build = BUILD.replace("`${base}/projects?name=${msg.payload.project}`",
                          "`http://${msg.payload.project}/projects`")
    assert nid("again") in ids(findings_of(INJ001, app_of(_flows(build=build))))


def test_a_copy_of_a_context_value_is_read_as_kept_and_an_object_keeps_placements() -> None:
    followed = follow_function(NEXT % "item.url")
    assert followed is not None
    (url,) = [w for w in followed.writes if w.field == "url"]
    assert {r.within for r in url.value if r.kind == "store"} == {AS_KEPT}
    built = follow_function(BUILD)
    assert built is not None
    kept = [w for w in built.keeps if w.field == "flow context queue"]
    placed = {r.within for w in kept for r in w.value if r.kind == "field"}
    assert placed and all(p.startswith("in the query string of a URL") for p in placed)
