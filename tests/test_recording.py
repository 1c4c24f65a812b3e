"""Cassettes: record modes, linear replay, scrubbing that keeps findings, one fetch under xdist."""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest
import vcr.cassette

from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.errors import FetchError
from pytest_nocode.loading import RecordingOptions
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.recording import Scrubber, cassette_path, fake_secret, fetch_recorded
from pytest_nocode.redaction import mask
from pytest_nocode.secretscan import scan_text
from tests.conftest import REPO, run_json
from tests.httpfake import BLOCK_NETWORK, Answer, FakeServer, nodered_routes

TOKEN = "Mhm8q0+R4Aj2T2KMbQPGbS7c0aNH8qDVcjMVKeCeGDOV"
PASSWORD = "Adm1n-Pa55-w0rd"
GITHUB = "ghp_" + "k3J9xQ2mVb7Lp0ZrT5wY8nC1aF4hD6sG2eU9"
AWS = "AKIA" + "Q7JX3M2LPZ4K8WNE"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
CANARY_PASSWORD = "Canary-Pw-0192"


def secret_flows() -> list[dict[str, Any]]:
    z = "t1"
    return [
        {"id": z, "type": "tab", "label": "Orders"},
        {"id": "f1", "type": "function", "z": z, "name": "sign",
         "func": f'const key = "{AWS}";\nconst gh = "{GITHUB}";\nreturn msg;', "wires": [["h1"]]},
        {"id": "h1", "type": "http request", "z": z, "name": "call", "method": "GET",
         "url": f"https://svc:{CANARY_PASSWORD}@api.acme.example/v1",
         "headers": [{"keyType": "other", "keyValue": "Authorization",
                      "valueType": "other", "valueValue": f"Bearer {STRIPE}"}],
         "wires": [[]]},
        {"id": "i1", "type": "http in", "z": z, "url": "/orders", "method": "post",
         "wires": [["f1"]]},
    ]


def auth_routes() -> dict[tuple[str, str], Any]:
    routes = nodered_routes(secret_flows(), auth=True)
    routes[("POST", "/auth/token")] = Answer(200, {"access_token": TOKEN, "expires_in": 604800,
                                                   "token_type": "Bearer"})
    settings = routes[("GET", "/settings")]
    routes[("GET", "/settings")] = Answer(200, settings.body,
                                          {"Set-Cookie": "sid=cookie-value-123456; HttpOnly"})
    return routes


def spec_for(server: FakeServer) -> Any:
    return parse_app_uri(f"nodered+{server.url}", ["nodered"], Path("."))[0]


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOCODE_NODERED_TOKEN", raising=False)
    monkeypatch.setenv("NOCODE_NODERED_USERNAME", "admin")
    monkeypatch.setenv("NOCODE_NODERED_PASSWORD", PASSWORD)


def test_record_then_replay_without_the_server(tmp_path: Path, creds: None) -> None:
    adapter = NodeRedPlatform()
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        recorded = fetch_recorded(spec, adapter, RecordingOptions("once", tmp_path))
        sent = len(server.seen)
    # the server is gone: anything but the cassette would fail
    replayed = fetch_recorded(spec, adapter, RecordingOptions("none", tmp_path))
    again = fetch_recorded(spec, adapter, RecordingOptions("once", tmp_path))
    assert sent == 6  # login, token, flows, settings, diagnostics, nodes: nothing twice
    assert recorded.source == "live" and replayed.source == again.source == "cassette"
    assert recorded.data == replayed.data == again.data
    assert recorded.data["auth"] == {"adminAuth": True, "type": "credentials"}
    assert "time" not in replayed.data["diagnostics"]  # volatile: left out of cassettes
    app = adapter.normalize(spec, replayed)
    assert app.sha256() == adapter.normalize(spec, recorded).sha256()


def test_the_cassette_holds_no_credential_token_cookie_or_secret(tmp_path: Path,
                                                                 creds: None) -> None:
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
    text = cassette_path(tmp_path, spec).read_text()
    for value in (TOKEN, PASSWORD, "cookie-value-123456", "Set-Cookie", GITHUB, AWS, STRIPE,
                  CANARY_PASSWORD):
        assert value not in text
    assert "password=scrubbed" in text and "scrubbed-access-token" in text
    # what the scanner keys on survives: kinds' prefixes, lengths, the URL's shape
    assert GITHUB[:4] in text and AWS[:4] in text and STRIPE[:8] in text
    assert "https://svc:" in text


def test_answers_that_were_retried_are_not_recorded(tmp_path: Path, creds: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODE_HTTP_RETRY_BUDGET", "5")
    routes = auth_routes()
    routes[("GET", "/flows")] = [Answer(503, {}, {"Retry-After": "0"}), routes[("GET", "/flows")]]
    with FakeServer(routes) as server:
        spec = spec_for(server)
        recorded = fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
        assert server.paths().count("GET /flows") == 2
    text = cassette_path(tmp_path, spec).read_text()
    assert "code: 503" not in text and text.count("uri: http") == 6
    replayed = fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", tmp_path))
    assert replayed.data == recorded.data


def test_recording_an_unchanged_server_twice_gives_the_same_file(tmp_path: Path,
                                                                 creds: None) -> None:
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("all", tmp_path / "a"))
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("all", tmp_path / "b"))
    first = cassette_path(tmp_path / "a", spec).read_text()
    assert first == cassette_path(tmp_path / "b", spec).read_text()


def test_new_episodes_replays_what_it_has_but_logs_in_for_real(tmp_path: Path,
                                                               creds: None) -> None:
    adapter = NodeRedPlatform()
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, adapter, RecordingOptions("once", tmp_path))
        server.seen.clear()
        snapshot = fetch_recorded(spec, adapter, RecordingOptions("new_episodes", tmp_path))
        assert server.paths() == ["POST /auth/token"]
    assert snapshot.source == "live"
    assert cassette_path(tmp_path, spec).read_text().count("uri: http") == 6
    assert fetch_recorded(spec, adapter, RecordingOptions("none", tmp_path)).data == \
        snapshot.data


def test_replay_mode_none_without_a_cassette_says_how_to_record(tmp_path: Path) -> None:
    spec = parse_app_uri("nodered+http://127.0.0.1:1", ["nodered"], Path("."))[0]
    with pytest.raises(FetchError) as err:
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", tmp_path))
    text = str(err.value)
    assert str(cassette_path(tmp_path, spec)) in text
    assert "--nocode-record-mode=once" in text


def test_a_request_missing_from_the_cassette_is_a_clear_error(tmp_path: Path,
                                                              creds: None) -> None:
    with FakeServer(nodered_routes(secret_flows())) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
    path = cassette_path(tmp_path, spec)
    path.write_text(path.read_text().replace("uri: http://127.0.0.1", "uri: http://127.0.0.9")
                    .replace("/nodes\n", "/nodes-gone\n"))
    with pytest.raises(FetchError, match=r"has no answer for GET /nodes"):
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", tmp_path))


def test_replay_never_compares_requests_one_by_one(tmp_path: Path, creds: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrpy's matching tries every recorded interaction per request (quadratic); ours is a
    dict lookup, so vcrpy's matcher must not even be called."""
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))

    def quadratic(*args: Any) -> bool:
        raise AssertionError("vcrpy's linear scan was used")

    monkeypatch.setattr(vcr.cassette, "requests_match", quadratic)
    snapshot = fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", tmp_path))
    assert snapshot.source == "cassette"


# -- scrubbing keeps what the checks see ----------------------------------------------------------
def _jwt() -> str:
    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return (f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': 'jane@acme.example', 'n': 1})}"
            ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")


def _pem() -> str:
    body = base64.b64encode(bytes(range(7, 250, 2))).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----"


CASES = [
    ("func", f'const apiKey = "{AWS}";'),
    ("valueValue", f"Bearer {STRIPE}"),
    ("value", GITHUB),
    ("password", "hunter2-Pw"),
    ("url", "https://svc:Sup3rS3cret@db.acme.example/x"),
    ("Authorization", "Basic " + base64.b64encode(b"svc:Sup3rS3cret99").decode()),
    ("token", _jwt()),
    ("slack", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("key", _pem()),
]


@pytest.mark.parametrize(("key", "text"), CASES, ids=[c[0] for c in CASES])
def test_a_scrubbed_secret_is_found_as_the_same_kind_with_the_same_mask(key: str,
                                                                         text: str) -> None:
    original = sorted((kind, mask(value), len(value)) for kind, value in scan_text(key, text))
    assert original, "the case must hold a secret the scanner finds"
    scrubber = Scrubber("test")
    scrubber.add_secrets(scan_text(key, text))
    cassette = _cassette({"node": {key: text}})
    clean = scrubber.scrub(cassette)
    body = json.loads(clean["responses"][0]["body"]["string"])
    scrubbed = body["node"][key]
    assert scrubbed != text and len(scrubbed) == len(text)
    again = sorted((kind, mask(value), len(value)) for kind, value in scan_text(key, scrubbed))
    assert again == original
    for _, value in scan_text(key, text):
        assert value not in scrubbed


def test_the_fake_does_not_depend_on_the_secret() -> None:
    """Seeded by position, not by value: a fake cannot confirm a guessed secret."""
    a = fake_secret("ghp_" + "a" * 36, "GitHub Token", set(range(4)), random.Random(1))
    b = fake_secret("ghp_" + "b" * 36, "GitHub Token", set(range(4)), random.Random(1))
    assert a == b


def test_a_secret_without_letters_or_digits_is_still_replaced() -> None:
    assert fake_secret("!@#$%^&*", "Secret keyword", set(), random.Random(1)) != "!@#$%^&*"
    digits = fake_secret("12345678901234567890", "", set(), random.Random(1))
    assert digits.isdigit() and digits != "12345678901234567890"


def test_people_get_the_same_pseudonym_in_every_run_and_keep_their_domain() -> None:
    users = {"data": [{"id": "u1", "firstName": "Margarete", "lastName": "Kowalczyk",
                       "email": "m.kowalczyk@acme-corp.example"}],
             "note": "ask Margarete Kowalczyk <m.kowalczyk@acme-corp.example> or "
                     "ops.lead@acme-corp.example"}
    first = Scrubber("a").scrub(_cassette(users))
    second = Scrubber("b").scrub(_cassette(users))
    body = first["responses"][0]["body"]["string"].decode()
    assert body.encode() == second["responses"][0]["body"]["string"]
    data = json.loads(body)
    user = data["data"][0]
    assert "Margarete" not in body and "Kowalczyk" not in body and "ops.lead" not in body
    fake = f"{user['firstName']} {user['lastName']}"
    assert f"ask {fake} <{user['email']}>" in data["note"]
    assert user["email"].endswith("@acme-corp.example")
    keyed = Scrubber("a", key="another key").scrub(_cassette(users))
    assert keyed["responses"][0]["body"]["string"] != body.encode()


def test_a_secret_that_survives_scrubbing_stops_the_write() -> None:
    scrubber = Scrubber("test", credentials=["live-api-key-000111"])
    scrubber.scrub(_cassette({"ok": True}))
    with pytest.raises(FetchError, match="refusing to write"):
        scrubber.assert_clean("header: live-api-key-000111")


def test_compressed_answers_are_scrubbed_too() -> None:
    cassette = _cassette({"token": "x"})
    body = json.dumps({"access_token": TOKEN}).encode()
    cassette["responses"][0]["headers"] = {"Content-Encoding": ["gzip"]}
    cassette["responses"][0]["body"]["string"] = gzip.compress(body)
    clean = Scrubber("t").scrub(cassette)
    assert TOKEN.encode() not in clean["responses"][0]["body"]["string"]
    assert "Content-Encoding" not in clean["responses"][0]["headers"]


def _cassette(body: Any) -> dict[str, Any]:
    from vcr.request import Request

    return {"requests": [Request("GET", "http://127.0.0.1:1/x", None, {})],
            "responses": [{"status": {"code": 200, "message": "OK"},
                           "headers": {"Content-Type": ["application/json"]},
                           "body": {"string": json.dumps(body).encode()}}]}


# -- through pytest ----------------------------------------------------------------------------
def test_scrubbed_replay_reports_what_the_live_scan_reported(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, creds: None) -> None:
    with FakeServer(auth_routes()) as server:
        app = f"--nocode-app=nodered+{server.url}"
        cassettes = f"--nocode-cassette-dir={pytester.path / 'cassettes'}"
        _, live = run_json(pytester, app)
        _, recorded = run_json(pytester, app, cassettes, "--nocode-record-mode=once")
    _, replayed = run_json(pytester, app, cassettes, "--nocode-record-mode=none")

    def comparable(report: dict[str, Any]) -> list[str]:
        return sorted(json.dumps(f, sort_keys=True) for f in report["findings"])

    assert any(f["category"] == "secrets" for f in live["findings"])
    assert comparable(live) == comparable(recorded) == comparable(replayed)
    assert recorded["apps"][0]["snapshot_sha256"] == replayed["apps"][0]["snapshot_sha256"]
    assert [a["source"] for a in (live, recorded, replayed) for a in a["apps"]] == [
        "live", "live", "cassette"]


def test_under_xdist_the_app_is_fetched_once(pytester: pytest.Pytester) -> None:
    with FakeServer(nodered_routes(secret_flows())) as server:
        result = pytester.runpytest_subprocess(f"--nocode-app=nodered+{server.url}", "-n", "2",
                                               "-p", "no:cacheprovider")
        seen = server.paths()
    assert result.parseoutcomes().get("failed", 0) > 0  # the checks ran, on both workers
    assert sorted(seen) == ["GET /auth/login", "GET /diagnostics", "GET /flows",
                            "GET /nodes", "GET /settings"]


@pytest.mark.parametrize("uri", ["nodered+http://127.0.0.1:41880",
                                 "n8n+http://127.0.0.1:45678"])
def test_the_committed_cassettes_replay_offline(pytester: pytest.Pytester, uri: str) -> None:
    """cassettes/ was recorded from real servers (tests/live/record_demo_cassettes.py)."""
    pytester.makeconftest(BLOCK_NETWORK)
    result, report = run_json(pytester, f"--nocode-app={uri}", "--nocode-record-mode=none",
                              f"--nocode-cassette-dir={REPO / 'cassettes'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert report["apps"][0]["source"] == "cassette"
    assert {f["category"] for f in report["findings"]} >= {"secrets", "authentication"}


def test_the_network_blocker_used_by_replay_tests_blocks(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODE_HTTP_RETRIES", "0")
    pytester.makeconftest(BLOCK_NETWORK)
    with FakeServer(nodered_routes(secret_flows())) as server:
        result = pytester.runpytest(f"--nocode-app=nodered+{server.url}", "-p",
                                    "no:cacheprovider")
    assert server.seen == []
    result.stdout.fnmatch_lines(["*could not be reached*"])


def test_a_failed_scrub_writes_nothing_and_leaves_http_unpatched(
        tmp_path: Path, creds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import http.client

    def refuse(self: Scrubber, text: str) -> None:
        raise FetchError("refusing to write the cassette: test")

    monkeypatch.setattr(Scrubber, "assert_clean", refuse)
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        with pytest.raises(FetchError, match="refusing to write"):
            fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
    assert not cassette_path(tmp_path, spec).exists()
    assert http.client.HTTPConnection.__module__ == "http.client"  # vcrpy's stub is gone
