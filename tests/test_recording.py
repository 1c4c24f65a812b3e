"""Cassettes: record modes, linear replay, scrubbing that keeps findings, one fetch under xdist."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import vcr.cassette
import yaml

from pytest_nocode import placeholders
from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.errors import FetchError
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.platforms.n8n import N8nPlatform
from pytest_nocode.platforms.nodered import NodeRedPlatform
from pytest_nocode.recording import Scrubber, cassette_path, fetch_recorded
from pytest_nocode.redaction import mask
from pytest_nocode.secretscan import find_secrets, scan_text
from pytest_nocode.transport import RecordingOptions
from tests.conftest import REPO, assert_obviously_safe, run_json
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
    # each secret is an obvious placeholder; the manifest says what it was, without it
    manifest = yaml.safe_load(text)[placeholders.MANIFEST_KEY]
    assert sorted((e["kind"], e["length"], e["prefix"]) for e in manifest.values()) == [
        ("AWS Access Key", 20, "AKIA"), ("GitHub Token", 40, "ghp_"),
        ("Password in URL", 14, ""), ("Stripe Access Key", 32, "sk_l")]
    for placeholder in manifest:
        assert placeholder in text.split(f"\n{placeholders.MANIFEST_KEY}:", 1)[0]
    assert "https://svc:nocode-scrubbed-" in text  # the URL keeps its shape
    assert_obviously_safe(text, "test cassette")


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
        # over the old file too: its placeholders do not push the new ones aside
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("all", tmp_path / "a"))
    assert first == cassette_path(tmp_path / "b", spec).read_text()
    assert first == cassette_path(tmp_path / "a", spec).read_text()


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


def _scrub_and_register(scrubber: Scrubber, body: Any) -> Any:
    """``body`` as a cassette holds it after scrubbing, its manifest registered as a replay
    registers it."""
    cassette = _cassette(body)
    clean = scrubber.scrub(cassette)
    text = clean["responses"][0]["body"]["string"].decode()
    manifest = scrubber.manifest()
    assert placeholders.unlisted(text, placeholders.parse_manifest(manifest)) == []
    placeholders.register(manifest)
    return json.loads(text)


@pytest.mark.parametrize(("key", "text"), CASES, ids=[c[0] for c in CASES])
def test_a_scrubbed_secret_is_found_as_the_same_kind_with_the_same_mask(key: str,
                                                                         text: str) -> None:
    original = sorted((kind, mask(value)) for kind, value in scan_text(key, text))
    assert original, "the case must hold a secret the scanner finds"
    scrubber = Scrubber(f"test-{key}")
    scrubber.add_secrets(scan_text(key, text))
    scrubbed = _scrub_and_register(scrubber, {"node": {key: text}})["node"][key]
    assert placeholders.PREFIX in scrubbed
    found = scan_text(key, scrubbed)
    assert sorted((kind, mask(value)) for kind, value in found) == original
    assert {value for _, value in found} <= set(placeholders.PATTERN.findall(scrubbed))
    for _, value in scan_text(key, text):
        assert value not in scrubbed
    assert_obviously_safe(yaml.safe_dump({"interactions": [], "version": 1,
                                          placeholders.MANIFEST_KEY: scrubber.manifest(),
                                          "body": scrubbed}), key)


def _everywhere_flows() -> list[dict[str, Any]]:
    """One secret in every place the scanner reports from, each with its own field logic."""
    jwt, pem = _jwt(), _pem()
    basic = base64.b64encode(b"svc:Sup3rS3cret99").decode()
    z = "t1"
    return [
        {"id": z, "type": "tab", "label": "Everything"},
        {"id": "f1", "type": "function", "z": z, "name": "code",  # lines, a PEM block first
         "func": f"const pem = `{pem}`;\nconst key = \"{AWS}\";\n// {GITHUB}\n"
                 f"const apiKey = 'short-Pw-1';\nreturn msg;", "wires": [[]]},
        {"id": "h1", "type": "http request", "z": z, "name": "call", "method": "GET",
         "url": f"https://svc:{CANARY_PASSWORD}@api.acme.example/v1?api_key={AWS}x&"
                f"token=Q2xpZW50U2VjcmV0MTIz",
         "headers": [{"keyType": "other", "keyValue": "Authorization", "valueType": "other",
                      "valueValue": f"Bearer {STRIPE}"},
                     {"keyType": "Authorization", "valueType": "other",
                      "valueValue": f"Basic {basic}"},
                     {"keyType": "other", "keyValue": "X-Session", "valueType": "other",
                      "valueValue": jwt}],
         "wires": [[]]},
        {"id": "c1", "type": "change", "z": z, "name": "set", "wires": [[]],
         "rules": [{"t": "set", "p": "headers.x-api-key", "pt": "msg", "to": "k3y-Value-0042",
                    "tot": "str"}]},
        {"id": "t2", "type": "template", "z": z, "name": "tpl", "wires": [[]],
         "template": "Hello\npassword: Sup3r-Secret-7\nslack: "
                     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"},
        {"id": "e1", "type": "e-mail", "z": z, "name": "mail", "wires": [[]],
         "password": "Secr3t-Value-9"},  # a keyword hit at the field itself
        {"id": "x1", "type": "exec", "z": z, "name": "dump", "wires": [[]],
         "command": "mysqldump -u root -pHunter2Db! shop"},
        {"id": "i1", "type": "inject", "z": z, "name": "tick", "wires": [[]],
         "props": [{"p": "password", "v": "!@#$%^&*()", "vt": "str"}]},
    ]


def _n8n_workflow() -> dict[str, Any]:
    return {"id": "wf1", "name": "Sync", "active": False, "connections": {}, "nodes": [
        {"id": "n1", "name": "Push", "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2,
         "position": [0, 0], "parameters": {
             "url": "https://api.acme.example/x", "sendHeaders": True,
             "headerParameters": {"parameters": [{"name": "X-Api-Key", "value": GITHUB}]}}},
        {"id": "n2", "name": "Code", "type": "n8n-nodes-base.code", "typeVersion": 2,
         "position": [0, 0], "parameters": {"jsCode": f"// one\nconst t = '{STRIPE}';"}}]}


@pytest.mark.parametrize("platform", ["nodered", "n8n"])
def test_a_replayed_placeholder_is_reported_like_the_secret_it_replaced(platform: str) -> None:
    """The whole contract of a placeholder: same step, same field (line, URL part, header,
    change rule, n8n parameter), same kind, same mask; the same secret twice is one
    placeholder, and nothing a generic scanner matches is left."""
    if platform == "nodered":
        adapter: Any = NodeRedPlatform()
        data: Any = {"flows": _everywhere_flows()}
    else:
        adapter, data = N8nPlatform(), {"workflows": [_n8n_workflow()]}
    spec = parse_app_uri(f"{platform}+file:x.json", [platform], Path("."))[0]

    def hits(raw: Any) -> list[tuple[str, str, str, str]]:
        app = adapter.normalize(spec, RawSnapshot(platform, raw, "cassette"))
        return [(h.step_id, h.field, h.kind, mask(h.value)) for h in find_secrets(app)]

    app = adapter.normalize(spec, RawSnapshot(platform, data, "live"))
    before = hits(data)
    assert len(before) >= (16 if platform == "nodered" else 2), before
    scrubber = Scrubber(f"everywhere-{platform}")
    scrubber.add_secrets((h.kind, h.value) for h in find_secrets(app))
    scrubbed = _scrub_and_register(scrubber, data)
    assert hits(scrubbed) == before
    text = json.dumps(scrubbed)
    for hit in find_secrets(app):
        assert hit.value not in text and json.dumps(hit.value)[1:-1] not in text
    assert_obviously_safe(yaml.safe_dump({"interactions": [], "version": 1, "body": text,
                                          placeholders.MANIFEST_KEY: scrubber.manifest()}),
                          platform)


def test_a_placeholder_is_the_same_for_the_same_secret_and_says_nothing_of_it() -> None:
    """Derived from the position and what the manifest says anyway, never from the value: a
    placeholder cannot confirm a guessed secret, even with the built-in key."""
    first, second = ("ghp_" + c * 36 for c in "ab")
    texts = []
    for value in (first, second):
        scrubber = Scrubber("same-label")
        scrubber.add_secrets([("GitHub Token", value)])
        body = scrubber.scrub(_cassette({"a": value, "b": f"x {value} y"}))
        texts.append(body["responses"][0]["body"]["string"].decode())
    assert texts[0] == texts[1]
    data = json.loads(texts[0])
    [placeholder] = placeholders.PATTERN.findall(data["a"])
    assert data == {"a": placeholder, "b": f"x {placeholder} y"}
    scrubber = Scrubber("same-label")
    scrubber.add_secrets([("GitHub Token", first), ("GitHub Token", second)])
    both = scrubber.scrub(_cassette([first, second, first]))["responses"][0]["body"]["string"]
    one, two, three = json.loads(both)
    assert one == three != two
    keyed = Scrubber("same-label", key="a private key")
    keyed.add_secrets([("GitHub Token", first)])
    assert placeholder not in str(keyed.scrub(_cassette([first])))


def test_a_secret_without_letters_or_digits_is_still_replaced() -> None:
    scrubber = Scrubber("symbols")
    scrubber.add_secrets([("Secret keyword", "!@#$%^&*"), ("Secret keyword", "1234567890")])
    body = _scrub_and_register(scrubber, {"password": "!@#$%^&*", "pin": "1234567890"})
    assert "!@#$%^&*" not in json.dumps(body) and "1234567890" not in json.dumps(body)
    assert mask(body["password"]) == mask(body["pin"]) == "********"
    assert {e["kind"] for e in scrubber.manifest().values()} == {"Secret keyword"}


def test_a_cassette_with_an_unexplained_placeholder_is_refused(tmp_path: Path,
                                                               creds: None) -> None:
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
    data = yaml.safe_load(cassette_path(tmp_path, spec).read_text())
    edited = cassette_path(tmp_path / "edited", spec)  # by hand, not by the recorder
    edited.parent.mkdir()
    [first, *_] = sorted(data[placeholders.MANIFEST_KEY])
    del data[placeholders.MANIFEST_KEY][first]
    edited.write_text(yaml.safe_dump(data))
    with pytest.raises(FetchError, match=r"not listed under nocode_scrubbed; re-record"):
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", edited.parent))
    data[placeholders.MANIFEST_KEY] = {first: {"kind": "GitHub Token", "length": 40,
                                               "prefix": "ghp_123456"}}
    edited.write_text(yaml.safe_dump(data))
    with pytest.raises(FetchError, match=r"prefix is longer than 4"):
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("none", edited.parent))


def test_plain_vcrpy_still_loads_a_cassette_with_a_manifest(tmp_path: Path,
                                                            creds: None) -> None:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        fetch_recorded(spec, NodeRedPlatform(), RecordingOptions("once", tmp_path))
    path = cassette_path(tmp_path, spec)
    assert f"\n{placeholders.MANIFEST_KEY}:\n" in path.read_text()
    requests_, responses, *_ = FilesystemPersister.load_cassette(path, yamlserializer)
    assert len(requests_) == len(responses) == 6


def test_extending_a_cassette_keeps_the_placeholders_and_their_manifest(
        tmp_path: Path, creds: None) -> None:
    adapter = NodeRedPlatform()
    with FakeServer(auth_routes()) as server:
        spec = spec_for(server)
        first = fetch_recorded(spec, adapter, RecordingOptions("once", tmp_path))
        before = yaml.safe_load(cassette_path(tmp_path, spec).read_text())
        again = fetch_recorded(spec, adapter, RecordingOptions("new_episodes", tmp_path))
        after = yaml.safe_load(cassette_path(tmp_path, spec).read_text())
    assert after[placeholders.MANIFEST_KEY] == before[placeholders.MANIFEST_KEY]
    assert again.data == first.data and again.scrubbed == first.scrubbed


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
def comparable(report: dict[str, Any]) -> list[str]:
    """A report's findings, every field included, comparable across runs."""
    return sorted(json.dumps(f, sort_keys=True) for f in report["findings"])


def test_scrubbed_replay_reports_what_the_live_scan_reported(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, creds: None) -> None:
    with FakeServer(auth_routes()) as server:
        app = f"--nocode-app=nodered+{server.url}"
        cassettes = f"--nocode-cassette-dir={pytester.path / 'cassettes'}"
        _, live = run_json(pytester, app)
        _, recorded = run_json(pytester, app, cassettes, "--nocode-record-mode=once")
    _, replayed = run_json(pytester, app, cassettes, "--nocode-record-mode=none")
    assert any(f["category"] == "secrets" for f in live["findings"])
    assert comparable(live) == comparable(recorded) == comparable(replayed)
    assert recorded["apps"][0]["snapshot_sha256"] == replayed["apps"][0]["snapshot_sha256"]
    assert [a["source"] for a in (live, recorded, replayed) for a in a["apps"]] == [
        "live", "live", "cassette"]


WALK_LOG = """
import os
from pathlib import Path

from pytest_nocode import dataflow

walk = dataflow.DataFlow.__init__


def logged_walk(self, app):
    with (Path(__file__).parent / "walks.log").open("a") as fh:
        fh.write(f"{app.id} {os.getpid()}\\n")
    walk(self, app)


dataflow.DataFlow.__init__ = logged_walk
"""


def test_under_xdist_the_app_is_fetched_once(pytester: pytest.Pytester) -> None:
    """The controller fetches the app once; the workers get its model, the same in each, and
    its data flow is walked once in the run (one worker walks it for both: the run folder)."""
    pytester.makeconftest(WALK_LOG)
    with FakeServer(nodered_routes(secret_flows())) as server:
        result = pytester.runpytest_subprocess(f"--nocode-app=nodered+{server.url}", "-n", "2",
                                               "-p", "no:cacheprovider")
        seen = server.paths()
    assert result.parseoutcomes().get("failed", 0) > 0  # the checks ran, on both workers
    assert sorted(seen) == ["GET /auth/login", "GET /diagnostics", "GET /flows",
                            "GET /nodes", "GET /settings"]
    walks = (pytester.path / "walks.log").read_text().splitlines()
    assert len(walks) == 1, walks


def test_under_xdist_workers_report_placeholders_as_the_secrets(pytester: pytest.Pytester,
                                                                creds: None) -> None:
    """Workers get the cassette's manifest in the raw snapshot from the controller's run
    folder, not from the controller's memory: the same findings, evidence included."""
    cassettes = pytester.path / "cassettes"
    with FakeServer(auth_routes()) as server:
        app = f"--nocode-app=nodered+{server.url}"
        _, live = run_json(pytester, app)
        fetch_recorded(spec_for(server), NodeRedPlatform(), RecordingOptions("once", cassettes))
    args = (app, f"--nocode-cassette-dir={cassettes}", "--nocode-record-mode=none")
    report = pytester.path / "xdist.json"
    result = pytester.runpytest_subprocess(*args, "-n", "2", "-p", "no:cacheprovider",
                                           f"--nocode-json={report}")
    assert result.parseoutcomes().get("failed", 0) > 0
    replayed = json.loads(report.read_text())
    assert any('"kind": "GitHub Token"' in f for f in comparable(replayed))
    assert comparable(replayed) == comparable(live)


# cassettes/ holds the current majors (n8n 2.41.1, Node-RED 5.0.7), the fixtures the previous
# ones (n8n 1.94.1, Node-RED 4.1.8), all recorded from real servers by
# tests/live/record_demo_cassettes.py: replay of both majors stays tested.
COMMITTED_CASSETTES = {"current": REPO / "cassettes",
                       "previous": REPO / "tests" / "data" / "cassettes-previous-majors"}


@pytest.mark.parametrize("majors", sorted(COMMITTED_CASSETTES))
@pytest.mark.parametrize("uri", ["nodered+http://127.0.0.1:41880",
                                 "n8n+http://127.0.0.1:45678"])
def test_the_committed_cassettes_replay_offline(pytester: pytest.Pytester, uri: str,
                                               majors: str) -> None:
    pytester.makeconftest(BLOCK_NETWORK)
    result, report = run_json(pytester, f"--nocode-app={uri}", "--nocode-record-mode=none",
                              f"--nocode-cassette-dir={COMMITTED_CASSETTES[majors]}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert report["apps"][0]["source"] == "cassette"
    assert {f["category"] for f in report["findings"]} >= {"secrets", "authentication"}


def test_the_n8n2_cassette_is_checked_on_what_runs(pytester: pytest.Pytester) -> None:
    """n8n 2's workflows carry their published version: the checks read it, and the seeded
    drafts are what was published, so no draft finding; on n8n 1 there are no drafts."""
    pytester.makeconftest(BLOCK_NETWORK)
    found: dict[str, set[str]] = {}
    for majors, folder in COMMITTED_CASSETTES.items():
        _, report = run_json(pytester, "--nocode-app=n8n+http://127.0.0.1:45678",
                             "--nocode-record-mode=none", f"--nocode-cassette-dir={folder}")
        found[majors] = {f["rule"] for f in report["findings"]}
        assert "DRIFT011" not in found[majors]
        reasons = " ".join(r["reason"] for r in report["not_applicable"]
                           if "test_drafts_match_what_runs" in r["check"])
        assert ("no drafts" in reasons) == (majors == "previous"), reasons
    assert {"AUTH001", "SEC001", "INJ001"} <= found["current"] & found["previous"]


@pytest.mark.parametrize("path", sorted(p for folder in COMMITTED_CASSETTES.values()
                                        for p in folder.glob("*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_committed_cassettes_are_obviously_safe(path: Path) -> None:
    """No generic secret scanner (the pre-stop hook, push protection, gitleaks) flags them,
    and each placeholder in them is explained by their manifest."""
    text = path.read_text(encoding="utf-8")
    assert_obviously_safe(text, str(path))
    assert placeholders.PATTERN.search(text), "the demo cassettes hold scrubbed secrets"


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
