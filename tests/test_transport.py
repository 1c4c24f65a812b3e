"""The HTTP client under faults a real server will not produce on demand (tests/httpfake.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from pytest_nocode.errors import FetchError
from pytest_nocode.transport import (
    Credentials,
    CredentialsRejected,
    HttpClient,
    NotPermitted,
    TransportOptions,
    parse_retry_after,
)
from tests.httpfake import Answer, FakeServer, Seen, nodered_routes

SECRET = "tok-3b1f9c2e7d5a4c8e9f00"
FAST = TransportOptions(connect_timeout=2, read_timeout=2, backoff=0.01, max_backoff=0.05)


def client(server: FakeServer, *, platform: str = "n8n", options: TransportOptions = FAST,
           waits: list[float] | None = None) -> HttpClient:
    sleeps = waits if waits is not None else []
    c = HttpClient(server.url, platform=platform, options=options,
                   credentials=Credentials(platform, {"NOCODE_N8N_API_KEY": SECRET}),
                   sleep=sleeps.append)
    c.set_auth_header("X-N8N-API-KEY", SECRET)
    return c


def test_retry_after_is_honoured_then_the_answer_is_used() -> None:
    routes = {("GET", "/x"): [Answer(503, {"message": "busy"}, {"Retry-After": "2"}),
                              Answer(200, {"ok": True})]}
    waits: list[float] = []
    with FakeServer(routes) as server:
        assert client(server, waits=waits).get_json("/x") == {"ok": True}
    assert waits == [2.0]
    assert server.paths() == ["GET /x", "GET /x"]


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7)), now) == 7
    assert parse_retry_after("3") == 3
    assert parse_retry_after("soon") is None


def test_backoff_doubles_and_retries_are_bounded_in_count() -> None:
    routes = {("GET", "/x"): Answer(502, b"bad gateway", {"Content-Type": "text/html"})}
    waits: list[float] = []
    options = TransportOptions(backoff=1, max_backoff=100, max_retries=3)
    with FakeServer(routes) as server, pytest.raises(FetchError) as err:
        client(server, options=options, waits=waits).get_json("/x")
    assert waits == [1, 2, 4]
    assert len(server.seen) == 4
    assert "GET /x" in str(err.value) and "gave up after 4 attempts" in str(err.value)


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once() -> None:
    routes = {("GET", "/x"): Answer(429, {}, {"Retry-After": "3600"})}
    waits: list[float] = []
    with FakeServer(routes) as server, pytest.raises(FetchError, match="budget"):
        client(server, waits=waits).get_json("/x")
    assert waits == []


def test_connection_refused_is_retried_then_a_clear_error() -> None:
    with FakeServer() as server:
        url = server.url
    waits: list[float] = []
    c = HttpClient(url, platform="nodered", options=FAST, sleep=waits.append)
    with pytest.raises(FetchError, match="could not be reached") as err:
        c.get_json("/flows")
    assert len(waits) == FAST.max_retries
    assert "Traceback" not in str(err.value)


def test_every_request_has_a_read_timeout() -> None:
    routes = {("GET", "/slow"): Answer(200, {}, delay=1.0)}
    options = TransportOptions(read_timeout=0.2, max_retries=1, backoff=0.01)
    with FakeServer(routes) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"did not answer within 0\.2 s"):
            client(server, options=options).get_json("/slow")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("answer", [
    Answer(200, b'{"flows": [{"id": "a", "type": "inject"}, {"id": "b"', declared_length=500),
    Answer(200, b'{"flows": [{"id": "a", "type": "inject"}, {"id": "b"'),
    Answer(200, b"<html>login</html>", {"Content-Type": "text/html"}),
], ids=["short-body", "cut-json", "html"])
def test_truncated_or_invalid_json_is_an_error_naming_the_endpoint(answer: Answer) -> None:
    with FakeServer({("GET", "/flows"): answer}) as server, pytest.raises(FetchError) as err:
        client(server, options=TransportOptions(max_retries=1, backoff=0.01)).get_json("/flows")
    assert "GET /flows" in str(err.value)


def test_timeouts_and_retries_are_configurable_from_the_environment() -> None:
    options = TransportOptions.from_env({"NOCODE_HTTP_READ_TIMEOUT": "90",
                                         "NOCODE_HTTP_RETRIES": "0"})
    assert (options.connect_timeout, options.read_timeout, options.max_retries) == (5, 90, 0)
    with pytest.raises(FetchError, match="NOCODE_HTTP_RETRIES"):
        TransportOptions.from_env({"NOCODE_HTTP_RETRIES": "many"})


def test_an_unexpected_shape_is_an_error() -> None:
    with FakeServer({("GET", "/settings"): Answer(200, [1, 2])}) as server, \
            pytest.raises(FetchError, match="expected an object, got a list"):
        client(server).get_json("/settings", expect=dict)


def test_401_names_the_variable_and_never_the_credential() -> None:
    routes = {("GET", "/api/v1/workflows"): Answer(401, {"message": f"bad key {SECRET}"})}
    with FakeServer(routes) as server, pytest.raises(CredentialsRejected) as err:
        client(server).get_json("/api/v1/workflows")
    text = str(err.value)
    assert f"credentials rejected by 127.0.0.1:{server.port}" in text
    assert "NOCODE_N8N_API_KEY" in text
    assert SECRET not in text


def test_403_is_not_permitted_with_the_server_reason_scrubbed() -> None:
    routes = {("GET", "/api/v1/projects"): Answer(403, {"message": f"license {SECRET}"})}
    with FakeServer(routes) as server, pytest.raises(NotPermitted) as err:
        client(server).get_json("/api/v1/projects")
    assert err.value.status == 403 and "license ***" in str(err.value)
    assert SECRET not in str(err.value)


def test_no_credential_in_repr() -> None:
    with FakeServer() as server:
        c = client(server)
    assert SECRET not in repr(c) and SECRET not in repr(c.credentials)
    assert "NOCODE_N8N_API_KEY=<set>" in repr(c.credentials)


def test_pages_are_followed_to_the_end() -> None:
    def page(seen: Seen) -> Answer:
        cursor = seen.path.partition("cursor=")[2]
        if not cursor:
            return Answer(200, {"data": [1, 2], "nextCursor": "c/2=="})
        return Answer(200, {"data": [3], "nextCursor": None})

    with FakeServer({("GET", "/api/v1/workflows"): page}) as server:
        items = client(server).get_pages("/api/v1/workflows", params={"limit": 2})
    assert items == [1, 2, 3]
    assert server.paths()[1] == "GET /api/v1/workflows?limit=2&cursor=c%2F2%3D%3D"


def test_a_cursor_that_loops_is_stopped() -> None:
    routes = {("GET", "/w"): Answer(200, {"data": [1], "nextCursor": "same"})}
    with FakeServer(routes) as server, pytest.raises(FetchError, match="same nextCursor"):
        client(server).get_pages("/w")


def test_a_pagination_link_to_another_host_is_refused_and_gets_nothing() -> None:
    with FakeServer() as other:
        routes = {("GET", "/w"): Answer(200, {"data": [1], "nextCursor": f"{other.url}/w?p=2"})}
        with FakeServer(routes) as server, pytest.raises(FetchError) as err:
            client(server).get_pages("/w")
    assert "refused" in str(err.value) and "127.0.0.1:" in str(err.value)
    assert other.seen == []


def test_a_same_origin_pagination_link_is_followed() -> None:
    with FakeServer() as server:
        server.routes[("GET", "/w")] = Answer(200, {"data": [1], "nextCursor":
                                                    f"{server.url}/w2"})
        server.routes[("GET", "/w2")] = Answer(200, {"data": [2]})
        assert client(server).get_pages("/w") == [1, 2]
    assert all(s.headers.get("X-N8N-API-KEY") == SECRET for s in server.seen)


def test_a_redirect_to_another_host_is_refused_and_credentials_stay_home() -> None:
    with FakeServer({("GET", "/flows"): Answer(200, [])}) as other:
        routes = {("GET", "/flows"): Answer(302, b"", {"Location": f"{other.url}/flows"})}
        with FakeServer(routes) as server, pytest.raises(FetchError) as err:
            client(server).get_json("/flows")
    assert "redirected to another origin" in str(err.value)
    assert other.seen == []
    assert server.seen[0].headers.get("X-N8N-API-KEY") == SECRET


def test_a_redirect_on_the_same_origin_is_followed() -> None:
    with FakeServer({("GET", "/new"): Answer(200, {"ok": 1})}) as server:
        server.routes[("GET", "/old")] = Answer(301, b"", {"Location": "/new"})
        assert client(server).get_json("/old") == {"ok": 1}


def test_an_absolute_url_elsewhere_is_refused_before_any_request() -> None:
    with FakeServer() as other, FakeServer() as server:
        with pytest.raises(FetchError, match="refused a request"):
            client(server).get_json(f"{other.url}/steal")
        with pytest.raises(FetchError, match="refused a request"):
            client(server).get_json("//evil.example/steal")
    assert other.seen == [] and server.seen == []


def test_a_truncated_answer_makes_checks_error_not_pass(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODE_HTTP_RETRIES", "1")
    routes = nodered_routes([{"id": "t1", "type": "tab", "label": "Flow"}])
    routes[("GET", "/settings")] = Answer(200, b'{"version": "4.1', declared_length=300)
    with FakeServer(routes) as server:
        result = pytester.runpytest(f"--nocode-app=nodered+{server.url}",
                                    "--nocode-json=out.json", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0 and outcomes.get("errors", 0) > 0
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*GET /settings*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    report = json.loads(Path(pytester.path, "out.json").read_text())
    assert report["findings"] == []
