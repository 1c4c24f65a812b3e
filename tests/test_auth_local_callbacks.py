"""AUTH001 and local callbacks (issue 11), distilled in our own words from a real compose
pipeline: a schedule asks a transcoding service on the compose network to start a job and
gives it the address of the workflow's own webhook to call when it is done; that webhook only
starts the next fixed request to a service on the same network. Each test fires on the bad
shape and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, policy
from tests.rules import AUTH001
from tests.test_checks_n8n import app_of, n8n_node, schedule, webhook, workflow

CALLBACKS_ON = policy("version: 1\nsettings:\n  report_local_callbacks: true\n")
CALLBACK = "http://automation:5678/webhook/transcode-done"


def _request(key: str, url: str, **params: Any) -> dict[str, Any]:
    return n8n_node(key, "httpRequest", {"method": "POST", "url": url, "options": {},
                                         **params}, version=4.2)


def _pipeline(*, handed: str = CALLBACK, next_url: str = "http://publisher:8300/publish",
              next_params: dict[str, Any] | None = None,
              extra: list[dict[str, Any]] | None = None,
              respond: str = "onReceived") -> dict[str, Any]:
    """Schedule → start the job (handing over ``handed``) → (callback webhook, answered
    as ``respond`` says) → publish."""
    start = _request("Start transcode", "http://transcoder:8200/jobs", sendBody=True,
                     specifyBody="json", jsonBody=f'{{"callback_url": "{handed}"}}')
    done = webhook("Transcode done", "transcode-done", "POST")
    done["parameters"]["responseMode"] = respond
    publish = _request("Publish", next_url, **(next_params or {}))
    nodes = [schedule(), start, done, publish, *(extra or [])]
    after_done = [{"node": "Publish", "type": "main", "index": 0}]
    after_done += [{"node": n["name"], "type": "main", "index": 0} for n in extra or []]
    connections = {
        "Schedule Trigger": {"main": [[{"node": "Start transcode", "type": "main",
                                        "index": 0}]]},
        "Transcode done": {"main": [after_done]}}
    return workflow("Transcode pipeline", nodes, connections)


def _open(wf: dict[str, Any], pol: Any = None) -> list[str]:
    return [f.resource.name for f in findings_of(AUTH001, app_of(wf), pol)]


def test_a_callback_the_app_hands_to_its_local_service_is_open_by_design() -> None:
    assert _open(_pipeline()) == []


def test_the_setting_lists_local_callbacks_at_info() -> None:
    found = findings_of(AUTH001, app_of(_pipeline()), CALLBACKS_ON)
    assert [f.resource.name for f in found] == ["Transcode done"]
    assert found[0].severity == Severity.INFO
    assert found[0].evidence["local_callback"] is True
    assert "'Publish'" in found[0].message and "transcoder" in found[0].message


@pytest.mark.parametrize("shape", [
    # nobody is handed the address: a bare trigger of a local job (a deploy hook) is a door
    {"handed": "http://automation:5678/webhook/another-hook"},
    # the address is handed to a service on the internet, which anyone there may be
    {"handed": "https://hooks.automation.example/webhook/transcode-done"},
    # the next request leaves the host, with a body
    {"next_url": "https://api.publisher.example/publish",
     "next_params": {"sendBody": True, "specifyBody": "json", "jsonBody": '{"all": true}'}},
    # the caller is answered with what the local service replied
    {"respond": "lastNode"},
    # the next request carries a key
    {"next_params": {"sendHeaders": True, "headerParameters": {"parameters": [
        {"name": "Authorization", "value": "Bearer 7f3a"}]}}},
    # the next request sends on what the caller posted
    {"next_params": {"sendBody": True, "specifyBody": "json",
                     "jsonBody": "={{ JSON.stringify($json.body) }}"}},
    # another step runs after the call
    {"extra": [n8n_node("Tidy up", "executeCommand", {"command": "rm -rf /srv/tmp/*"})]},
])
def test_anything_more_than_a_local_callback_is_reported(shape: dict[str, Any]) -> None:
    assert _open(_pipeline(**shape)) == ["Transcode done"]


def test_the_policy_decides_what_is_local() -> None:
    """A policy that puts the publisher on the internet takes the callback's excuse away."""
    outside = policy("version: 1\ntrust_zones:\n  internet:\n    hosts: ['publisher']\n")
    assert _open(_pipeline(), outside) == ["Transcode done"]
