"""Record and replay a live app's API traffic as a vcrpy cassette, scrubbed before it is written.

Why it is built this way:

- **vcrpy's record modes, vcrpy's cassette format.** ``none`` replays and never touches the
  network; ``once``, ``new_episodes`` and ``all`` mean what they mean in vcrpy. A cassette is
  ``<cassette dir>/<app id>.yaml`` and loads in plain vcrpy.
- **Linear replay.** vcrpy looks a request up by trying every recorded interaction with every
  matcher, twice per request: quadratic in the cassette's size. :class:`IndexedCassette` keeps
  a dict from (method, path, query, body digest) to interactions instead.
- **What is checked is what is on disk.** After recording, the snapshot is read back from the
  written cassette, so a recording run and every later replay see the same bytes and report
  the same ``snapshot_sha256``.
- **Nothing secret is written, and it shows.** :class:`Scrubber` runs on the whole cassette
  before it is serialized: credentials in request headers and bodies, tokens handed out by the
  server, secrets found in the configuration (by :mod:`pytest_nocode.secretscan`), and people's
  names and e-mail addresses. Secrets become inert placeholders (``nocode-scrubbed-…``) that no
  generic secret scanner mistakes for a credential; what each stood for (kind, length, the
  characters a mask shows) is written under the cassette's ``nocode_scrubbed:`` key, so a
  replay reports the same findings (see :mod:`pytest_nocode.placeholders`). A final check
  refuses to write a cassette in which a known secret survived.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import hmac
import importlib.util
import json
import os
import re
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serialize import deserialize as vcr_deserialize
from vcr.serialize import serialize as vcr_serialize

from pytest_nocode import placeholders
from pytest_nocode.appspec import CREDENTIAL_VARIABLES, AppSpec, credential_hint
from pytest_nocode.errors import FetchError, NocodeError
from pytest_nocode.placeholders import ScrubbedSecret
from pytest_nocode.platforms import Platform, RawSnapshot
from pytest_nocode.redaction import shown_prefix
from pytest_nocode.transport import (
    RETRY_STATUSES,
    Credentials,
    HttpClient,
    RecordingOptions,
    TransportOptions,
    client_for,
)

PLACEHOLDER = "scrubbed"  # credentials we send: nothing about them is worth keeping
TOKEN_PLACEHOLDER = "scrubbed-access-token"
SCRUB_KEY_VAR = "NOCODE_SCRUB_KEY"  # optional: keys the pseudonyms (see Scrubber)
CASSETTE_HEADER = ("# pytest-nocode cassette (vcrpy format). Scrubbed before writing: "
                   "credentials, tokens,\n# secrets in the configuration and people's names "
                   "and e-mails. A secret is replaced by a\n# placeholder, nocode-scrubbed-"
                   "<hex>; what it stood for (kind, length, the characters a\n# report's mask "
                   "shows; never the secret) is listed under nocode_scrubbed.\n")

SECRET_REQUEST_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie",
                                    "x-n8n-api-key", "xc-token", "xc-auth", "x-api-key"})
KEPT_REQUEST_HEADERS = frozenset({"accept", "content-type", "node-red-api-version"})
KEPT_RESPONSE_HEADERS = frozenset({"content-type", "retry-after", "location",
                                   "www-authenticate"})
TOKEN_FIELDS = frozenset({"access_token", "refresh_token", "id_token"})
FORM_SECRET_FIELDS = frozenset({"username", "password", "client_secret", "refresh_token",
                                "code", "assertion"})


def cassette_path(cassette_dir: Path, spec: AppSpec) -> Path:
    return cassette_dir / f"{spec.id}.yaml"


# -- matching: one dict lookup per request ------------------------------------------------------
def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return str(body).encode("utf-8")


def canonical_body(headers: Mapping[str, Any], body: bytes) -> bytes:
    """A request body as it is keyed and written: secret fields replaced, keys sorted."""
    if not body:
        return body
    if _is_form(headers, body):
        return _scrub_form(body)
    try:
        data = json.loads(body)
    except ValueError:
        return body
    from pytest_nocode.secretscan import is_secret_name

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str) and is_secret_name(key):
            return PLACEHOLDER
        return value

    return json.dumps(walk(data), sort_keys=True, separators=(",", ":")).encode()


def _scrub_form(body: bytes) -> bytes:
    """A form body with its secret fields replaced; other fields sorted, for stable keys."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return PLACEHOLDER.encode()  # unreadable: may hold anything, keep none of it
    return urlencode(sorted((k, PLACEHOLDER if k in FORM_SECRET_FIELDS else v)
                            for k, v in pairs)).encode()


def _is_form(headers: Mapping[str, Any], body: bytes) -> bool:
    kind = _header(headers, "content-type")
    return "x-www-form-urlencoded" in kind or (not kind and b"=" in body and b"{" not in body)


def _header(headers: Mapping[str, Any], name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return ""


def _is_login(request: Request) -> bool:
    """A form that sends a password: a login, whose answer is a fresh token."""
    body = _body_bytes(request.body)
    return bool(body) and _is_form(request.headers, body) and any(
        k == "password" for k, _ in parse_qsl(body.decode("utf-8", "replace")))


def request_key(request: Request) -> tuple[str, str, str, str]:
    """(method, path, sorted query, body digest): what a replay must agree on.

    Scheme, host and port are left out (the cassette file is chosen by the app's id), and so
    are headers (they carry credentials, which differ between recording and replay). Form
    bodies are keyed after scrubbing, so a login recorded with one password replays with any.
    """
    parts = urlsplit(request.uri)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    body = canonical_body(request.headers, _body_bytes(request.body))
    digest = hashlib.sha256(body).hexdigest()[:16] if body else ""
    return request.method.upper(), parts.path or "/", query, digest


class IndexedCassette(Cassette):
    """A vcrpy cassette that finds a request's recorded answers by a dict lookup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
        self.recorded = 0  # interactions that came from the network in this session

    def append(self, request: Request, response: dict[str, Any]) -> None:
        before = len(self.data)
        super().append(request, response)
        if len(self.data) > before:
            self._index[request_key(self.data[-1][0])].append(before)
            self.recorded += 1  # reset after loading: counts what came from the network

    def _load(self) -> None:
        super()._load()
        self.recorded = 0

    def _responses(self, request: Request) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.record_mode == RecordMode.NEW_EPISODES and _is_login(request):
            return  # a replayed login hands out the scrubbed token: log in for real
        for index in self._index.get(request_key(request), ()):
            yield index, self.data[index][1]

    def _as_dict(self) -> dict[str, list[Any]]:
        if self.record_mode != RecordMode.NEW_EPISODES:
            return super()._as_dict()
        interactions = self._rerecorded_interactions()  # a new login replaces the old one
        return {"requests": [r for r, _ in interactions],
                "responses": [s for _, s in interactions]}

    def find_requests_with_most_matches(self, request: Request) -> list[Any]:
        return []  # only feeds vcrpy's error text; ours names the request instead

    def _rerecorded_interactions(self) -> list[tuple[Request, dict[str, Any]]]:
        loaded = self.data[: self._loaded_count]
        recorded = self.data[self._loaded_count:]
        fresh = {request_key(r) for r, _ in recorded}
        return [(r, s) for r, s in loaded if request_key(r) not in fresh] + recorded


# -- the cassette file ----------------------------------------------------------------------------
class _BlockDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line strings (pretty JSON bodies) as literal blocks: readable, line-level diffs.

    libyaml's emitter when PyYAML has it (its output is the same as PyYAML's own for
    cassettes, checked on the committed ones, and ten times faster)."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _represent_str)
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CassetteSerializer:
    """vcrpy serializer: sorted keys, block literals for bodies, libyaml to load."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        return CASSETTE_HEADER + yaml.dump(cassette_dict, Dumper=_BlockDumper, sort_keys=True,
                                           allow_unicode=True, width=100_000,
                                           default_flow_style=False)

    @staticmethod
    def deserialize(text: str) -> Any:
        return yaml.load(text, Loader=_Loader)  # a safe loader: libyaml's or PyYAML's


class _Parsed:
    """A serializer for vcrpy's deserialize that hands over YAML already parsed (once)."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def deserialize(self, _text: str) -> Any:
        return self.data


class _WithManifest:
    """Our serializer, adding the placeholders' manifest next to vcrpy's own keys."""

    def __init__(self, serializer: Any, manifest: dict[str, dict[str, Any]]) -> None:
        self.serializer = serializer
        self.manifest = manifest

    def serialize(self, data: dict[str, Any]) -> str:
        if self.manifest:
            data = {**data, placeholders.MANIFEST_KEY: self.manifest}
        return str(self.serializer.serialize(data))


class ScrubbingPersister:
    """Loads cassettes as vcrpy does; scrubs, checks and writes them atomically.

    ``manifest`` is what the loaded cassette's placeholders stood for: a replay hands it on
    in the RawSnapshot, a recording that extends the cassette keeps it for the old answers.
    """

    def __init__(self, scrubber: Scrubber | None = None) -> None:
        self.scrubber = scrubber
        self.saved = False
        self.manifest: dict[str, ScrubbedSecret] = {}

    def load_cassette(self, cassette_path: str | Path, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FetchError(f"cassette {path}: cannot read: {exc}") from None
        if not text.strip():
            raise CassetteNotFoundError()
        try:
            data = serializer.deserialize(text)
            loaded = vcr_deserialize(text, _Parsed(data))
        except (yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
            raise FetchError(f"cassette {path}: not a readable vcrpy cassette "
                             f"({type(exc).__name__}); re-record it") from None
        try:
            manifest = placeholders.parse_manifest(data.get(placeholders.MANIFEST_KEY))
        except ValueError as exc:
            raise FetchError(f"cassette {path}: {exc}; re-record it") from None
        missing = placeholders.unlisted(text, manifest)
        if missing:  # its findings could not be reproduced: fail closed
            raise FetchError(f"cassette {path}: {len(missing)} placeholder(s), e.g. "
                             f"{missing[0]}, not listed under {placeholders.MANIFEST_KEY}; "
                             "re-record it")
        self.manifest = manifest
        if self.scrubber is not None:
            self.scrubber.inherit(manifest)
        return loaded

    def save_cassette(self, cassette_path: str | Path, cassette_dict: dict[str, Any],
                      serializer: Any) -> None:
        if self.scrubber is None:
            raise FetchError("refusing to write a cassette without scrubbing it")
        clean = self.scrubber.scrub(cassette_dict)
        text = vcr_serialize(clean, _WithManifest(serializer, self.scrubber.manifest()))
        self.scrubber.assert_clean(text)
        path = Path(cassette_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)  # a file to commit, like any other in the repository
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.saved = True


# -- scrubbing -----------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.%+:/-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}\b")


class Scrubber:
    """Rewrites a whole cassette so that it can be committed, and replays to the same findings.

    Two passes: the first finds what to hide (secrets in every response, people from user
    lists, e-mail addresses anywhere), the second replaces every occurrence in every string and
    key, so references stay consistent (a renamed n8n node keeps its connections).

    A secret becomes a placeholder (:mod:`pytest_nocode.placeholders`), the same one for every
    occurrence of the same secret, derived from its position and from what the manifest says
    anyway, never from the secret: nothing in the cassette lets anyone check a guess.

    Pseudonyms come from faker seeded with an HMAC of the original, so the same person gets
    the same fake name in every cassette and on every machine. The HMAC key is
    ``NOCODE_SCRUB_KEY`` when set; without it a built-in key is used, and anyone could link a
    pseudonym to a name they guess: set the variable where that matters.
    """

    def __init__(self, label: str, *, secrets: Mapping[str, str] | None = None,
                 credentials: Iterable[str] = (),
                 volatile: Mapping[str, tuple[str, ...]] | None = None,
                 key: str | None = None) -> None:
        self.label = label
        self.secrets: dict[str, str] = dict(secrets or {})  # value → kind
        self.credentials = [c for c in credentials if c]
        self.volatile = dict(volatile or {})
        self._key = (key or os.environ.get(SCRUB_KEY_VAR) or "pytest-nocode").encode()
        self._placeholders: dict[str, str] = {}  # scrubbed span → its placeholder
        self._inherited: dict[str, ScrubbedSecret] = {}  # the extended cassette's manifest
        self._kept: set[str] = set()  # its placeholders still in the answers to write
        self._manifest: dict[str, ScrubbedSecret] = {}  # new placeholder → what it stood for
        self._used: set[str] = set()  # placeholders in the scrubbed answers
        self._people: dict[str, str] = {}  # original name or e-mail → its pseudonym
        self._records: list[tuple[str, str, str]] = []  # (first, last, email) of people
        self._emails: dict[str, None] = {}  # e-mail addresses seen anywhere, in order
        self._tokens: set[str] = set()
        self._faker: Any = None

    def add_secrets(self, found: Iterable[tuple[str, str]]) -> None:
        """(kind, value) pairs, e.g. from ``find_secrets`` on the normalized snapshot.

        Placeholders (answers replayed from the cassette being extended) are not secrets."""
        for kind, value in found:
            if value and len(value) >= 4 and not placeholders.PATTERN.search(value):
                self.secrets.setdefault(value, kind)

    def inherit(self, manifest: Mapping[str, ScrubbedSecret]) -> None:
        """What the placeholders of the cassette being extended stood for: answers kept from
        it keep their placeholders, and the manifest must still explain them."""
        self._inherited.update(manifest)

    def manifest(self) -> dict[str, dict[str, Any]]:
        """The ``nocode_scrubbed`` mapping of the last scrub: every placeholder it wrote."""
        known = {**self._inherited, **self._manifest}
        return {p: known[p].to_json() for p in sorted(self._used) if p in known}

    # -- the whole cassette ----------------------------------------------------------------
    def scrub(self, cassette: dict[str, Any]) -> dict[str, Any]:
        self._kept.clear()
        kept = [(q, s) for q, s in zip(cassette["requests"], cassette["responses"], strict=True)
                if (s.get("status") or {}).get("code") not in RETRY_STATUSES]  # retried: noise
        requests_ = [self._request(q) for q, _ in kept]
        originals = [s for _, s in kept]
        bodies = [self._decode(s) for s in originals]
        for request, (_, body) in zip(requests_, bodies, strict=True):
            if isinstance(body, (dict, list)):
                self._drop_volatile(urlsplit(request.uri).path, body)
                self._discover(body)
        self._prepare()
        responses = []
        for response, (headers, body) in zip(originals, bodies, strict=True):
            responses.append(self._response(response, headers, body))
        return {**cassette, "requests": requests_, "responses": responses}

    def assert_clean(self, text: str) -> None:
        """Fail closed: no cassette is written if a known secret is still in it, or if a
        placeholder in it is missing from its manifest (a replay could not report it)."""
        leaked = [v for v in [*self.credentials, *self._tokens] if len(v) >= 6 and v in text]
        leaked += [v for v in self.secrets if len(v) >= 8 and v in text]
        leaked += [v for v in self._people if "@" in v and v in text
                   and v not in self._people.values()]
        if leaked:
            raise FetchError(f"{self.label}: refusing to write the cassette: "
                             f"{len(leaked)} secret value(s) survived scrubbing")
        unexplained = placeholders.unlisted(text, self.manifest())
        if unexplained:
            raise FetchError(f"{self.label}: refusing to write the cassette: "
                             f"{len(unexplained)} placeholder(s) not in its manifest, e.g. "
                             f"{unexplained[0]}")

    # -- requests --------------------------------------------------------------------------
    def _request(self, request: Request) -> Request:
        headers = {}
        for name, value in (request.headers or {}).items():
            low = name.lower()
            if low in SECRET_REQUEST_HEADERS:
                headers[name] = PLACEHOLDER
            elif low in KEPT_REQUEST_HEADERS:
                headers[name] = value
        body = canonical_body(request.headers, _body_bytes(request.body))
        return Request(request.method, request.uri, body or None, headers)


    # -- responses -------------------------------------------------------------------------
    def _decode(self, response: dict[str, Any]) -> tuple[dict[str, list[str]], Any]:
        """(headers kept, body as JSON data or text or bytes), content encodings undone."""
        headers: dict[str, list[str]] = {}
        encoding = ""
        for name, values in (response.get("headers") or {}).items():
            low = name.lower()
            values = values if isinstance(values, list) else [values]
            if low == "content-encoding":
                encoding = str(values[0]).lower() if values else ""
            elif low in KEPT_RESPONSE_HEADERS:
                headers[low.title()] = [str(v) for v in values]
        raw = _body_bytes((response.get("body") or {}).get("string"))
        if encoding in ("gzip", "x-gzip") and raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            with contextlib.suppress(zlib.error):
                raw = zlib.decompress(raw)
        elif encoding not in ("", "identity") and raw:
            raise FetchError(f"{self.label}: cannot scrub a response sent with "
                             f"Content-Encoding {encoding}; refusing to write the cassette")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return headers, raw
        try:
            return headers, json.loads(text) if text.strip() else text
        except ValueError:
            return headers, text

    def _response(self, response: dict[str, Any], headers: dict[str, list[str]], body: Any
                  ) -> dict[str, Any]:
        if isinstance(body, (dict, list)):
            body = self._replace_all(body)
            out = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).encode()
        elif isinstance(body, str):
            out = self._text(body).encode("utf-8")
        else:
            out = body
        headers["Content-Length"] = [str(len(out))]
        location = headers.get("Location")
        if location:
            headers["Location"] = [self._text(v) for v in location]
        return {"status": response["status"], "headers": headers, "body": {"string": out}}

    def _drop_volatile(self, path: str, body: Any) -> None:
        for suffix, fields in self.volatile.items():
            if not path.endswith(suffix) or not isinstance(body, dict):
                continue
            for dotted in fields:
                *parents, last = dotted.split(".")
                node: Any = body
                for name in parents:
                    node = node.get(name) if isinstance(node, dict) else None
                if isinstance(node, dict):
                    node.pop(last, None)

    # -- pass 1: what to hide --------------------------------------------------------------
    def _discover(self, body: Any) -> None:
        from pytest_nocode.secretscan import scan_text

        def walk(value: Any, key: str) -> None:
            if isinstance(value, dict):
                record = _person(value)
                if record is not None and record not in self._records:
                    self._records.append(record)
                for k, v in value.items():
                    if k in TOKEN_FIELDS and isinstance(v, str) and v:
                        if v != TOKEN_PLACEHOLDER:  # an answer kept from the cassette
                            self._tokens.add(v)
                    else:
                        walk(v, str(k))
            elif isinstance(value, list):
                for item in value:
                    walk(item, key)
            elif isinstance(value, str) and len(value) >= 4:
                if placeholders.PREFIX in value:  # an answer kept from the extended cassette
                    self._kept.update(placeholders.PATTERN.findall(value))
                for kind, secret in scan_text(key, value):
                    if not placeholders.PATTERN.search(secret):
                        self.secrets.setdefault(secret, kind)
                for m in _EMAIL.finditer(value):
                    self._emails.setdefault(m.group(0), None)

        walk(body, "")

    def _prepare(self) -> None:
        """Fakes for people, and the order in which secrets are looked for."""
        for first, last, email in self._records:
            fake_first = self._pseudonym("first", first) if first else ""
            fake_last = self._pseudonym("last", last) if last else ""
            for original, fake in ((first, fake_first), (last, fake_last)):
                if original and len(original) >= 3:
                    self._people.setdefault(original, fake)
            if first and last:
                self._people.setdefault(f"{first} {last}", f"{fake_first} {fake_last}")
            if email and first and last:
                self._people.setdefault(email, _email(fake_first, fake_last, email))
        for email in self._emails:
            if email not in self._people:
                self._people[email] = _email(self._pseudonym("first", email),
                                             self._pseudonym("last", email), email)
        for value in self.credentials:
            self.secrets.pop(value, None)
        self._secret_values = sorted(self.secrets, key=len, reverse=True)
        self._placeholders.clear()
        self._manifest.clear()
        self._used.clear()
        names = sorted((n for n in self._people if "@" not in n), key=len, reverse=True)
        self._name_re = (re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
                         if names else None)
        self._ordinal = 0

    def _pseudonym(self, role: str, original: str) -> str:
        """A fake first or last name, the same for the same original everywhere."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
        digest = hmac.new(self._key, f"{role}|{original.strip().lower()}".encode(), "sha256")
        self._faker.seed_instance(int.from_bytes(digest.digest()[:8], "big"))
        return self._faker.first_name() if role == "first" else self._faker.last_name()

    # -- pass 2: replace everywhere --------------------------------------------------------
    def _replace_all(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {self._text(str(k)): (TOKEN_PLACEHOLDER if k in TOKEN_FIELDS
                                         and isinstance(v, str) and v else self._replace_all(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._replace_all(v) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> str:
        if not text:
            return text
        text = self._secrets_in(text)
        for token in self._tokens:
            if token in text:
                text = text.replace(token, TOKEN_PLACEHOLDER)
        for value in self.credentials:
            if len(value) >= 4 and value in text:
                text = text.replace(value, PLACEHOLDER)
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._people.get(m.group(0)) or m.group(0), text)
        if self._name_re is not None:
            text = self._name_re.sub(lambda m: self._people.get(m.group(0), m.group(0)), text)
        if placeholders.PREFIX in text:  # new ones, and those of answers kept from the file
            self._used.update(placeholders.PATTERN.findall(text))
        return text

    def _secrets_in(self, text: str) -> str:
        """Every secret occurrence → its placeholder; overlapping occurrences are one span.

        A secret spanning lines (a PEM key) leaves its line breaks after the placeholder, so
        the lines after it keep their numbers: findings in code say ``func:line 12``.
        """
        spans: list[tuple[int, int]] = []
        for value in self._secret_values:
            start = text.find(value)
            while start >= 0:
                spans.append((start, start + len(value)))
                start = text.find(value, start + 1)
        if not spans:
            return text
        spans.sort(key=lambda s: (s[0], -s[1]))
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        out, pos = [], 0
        for start, end in merged:
            span = text[start:end]
            out.append(text[pos:start])
            out.append(self._placeholder(span) + "\n" * span.count("\n"))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _placeholder(self, span: str) -> str:
        known = self._placeholders.get(span)
        if known is not None:
            return known
        secret = ScrubbedSecret(self._kind_of(span), len(span), shown_prefix(span))
        placeholder = ""
        while not placeholder or placeholder in self._manifest or placeholder in self._kept:
            placeholder = placeholders.make_placeholder(self._key, self.label, self._ordinal,
                                                        secret)
            self._ordinal += 1
        self._placeholders[span] = placeholder
        self._manifest[placeholder] = secret
        return placeholder

    def _kind_of(self, span: str) -> str:
        """The scanner's kind for a scrubbed span; for overlapping secrets merged into one
        span, the kind of the longest of them (``_secret_values`` is longest first)."""
        from pytest_nocode.secretscan import KIND_KEYWORD

        kind = self.secrets.get(span) or next(
            (self.secrets[v] for v in self._secret_values if v in span), "")
        return kind or KIND_KEYWORD


def _person(obj: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(first, last, email) of a person record (n8n's users have these keys)."""
    first, last, email = (obj.get(k) for k in ("firstName", "lastName", "email"))
    first = first.strip() if isinstance(first, str) else ""
    last = last.strip() if isinstance(last, str) else ""
    email = email.strip() if isinstance(email, str) and "@" in email else ""
    return (first, last, email) if (first or last) else None


def _email(first: str, last: str, original: str) -> str:
    """``first.last@`` the original's domain: the organisation stays visible to checks."""
    local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower()).strip(".") or "person"
    return f"{local}@{original.rsplit('@', 1)[1]}"


# -- fetching ------------------------------------------------------------------------------------
def fetch_recorded(spec: AppSpec, adapter: Platform, recording: RecordingOptions,
                   *, environ: Mapping[str, str] | None = None,
                   options: TransportOptions | None = None) -> RawSnapshot:
    """The app's raw snapshot: live, recorded to a cassette, or replayed from one.

    ``source`` is ``cassette`` when every answer came from the cassette, else ``live``.
    """
    try:
        return _fetch_recorded(spec, adapter, recording, environ, options)
    except (OSError, ValueError, yaml.YAMLError) as exc:  # fail closed, in one line
        raise FetchError(f"{spec.uri}: {type(exc).__name__} while fetching or reading the "
                         f"cassette: {exc}") from None


def _fetch_recorded(spec: AppSpec, adapter: Platform, recording: RecordingOptions,
                    environ: Mapping[str, str] | None, options: TransportOptions | None
                    ) -> RawSnapshot:
    mode = recording.mode
    if mode is None:
        client = client_for(spec, environ=environ, options=options)
        try:
            data, notes = adapter.fetch(spec, client)
        finally:
            client.close()
        return RawSnapshot(spec.platform, data, "live", dict(notes))
    path = cassette_path(recording.cassette_dir, spec)
    exists = path.is_file() and path.stat().st_size > 0
    if mode == "none" and not exists:
        hint = credential_hint(spec.platform)
        raise FetchError(f"{spec.uri}: no cassette at {path}; record one with "
                         f"--nocode-record-mode=once (server reachable, {hint} set)")
    if mode == "none" or (mode == "once" and exists):
        return replay(spec, adapter, path)
    recorded, played = _record(spec, adapter, path, RecordMode(mode), environ, options)
    snapshot = replay(spec, adapter, path)
    source = "cassette" if recorded == 0 and played > 0 else "live"
    return dataclasses.replace(snapshot, source=source)


def replay(spec: AppSpec, adapter: Platform, path: Path) -> RawSnapshot:
    """Fetch from the cassette alone; no request reaches the network, no credential is needed.

    The client carries placeholder credentials: recorded requests are matched without headers
    and with login forms scrubbed, so whatever the recording used, the replay matches it. The
    snapshot carries the cassette's manifest (``scrubbed``), for the loader to register.
    """
    credentials = Credentials(spec.platform, dict.fromkeys(
        CREDENTIAL_VARIABLES.get(spec.platform, ()), PLACEHOLDER))
    client = HttpClient(spec.location, platform=spec.platform, credentials=credentials,
                        sleep=lambda _seconds: None)
    persister = ScrubbingPersister()
    context = IndexedCassette.use(path=str(path), record_mode=RecordMode.NONE,
                                  persister=persister, serializer=CassetteSerializer,
                                  record_on_exception=False)
    try:
        with context:
            data, notes = adapter.fetch(spec, client)
    except CannotOverwriteExistingCassetteException as exc:
        raise FetchError(f"{spec.uri}: the cassette {path} has no answer for "
                         f"{_describe(exc.failed_request)}; it was recorded from a different "
                         "server or version: re-record it with --nocode-record-mode=all") from None
    finally:
        client.close()
    return RawSnapshot(spec.platform, data, "cassette", dict(notes),
                       scrubbed={p: s.to_json() for p, s in persister.manifest.items()})


def _record(spec: AppSpec, adapter: Platform, path: Path, mode: RecordMode,
            environ: Mapping[str, str] | None, options: TransportOptions | None
            ) -> tuple[int, int]:
    """Fetch through vcrpy in ``mode``; returns (interactions recorded, interactions played)."""
    from pytest_nocode.transport import credential_values

    if importlib.util.find_spec("faker") is None:  # an extra: only recording pseudonymizes
        raise FetchError(f"{spec.uri}: recording a cassette pseudonymizes people with faker, "
                         "which is not installed: pip install 'pytest-nocode[record]'")

    base = options or TransportOptions.from_env(environ)
    client = client_for(spec, environ=environ, options=TransportOptions(
        **{**base.__dict__, "accept_encoding": "identity"}))
    scrubber = Scrubber(spec.id, credentials=credential_values(environ=environ),
                        volatile=getattr(adapter, "volatile_fields", None))
    persister = ScrubbingPersister(scrubber)
    context = IndexedCassette.use(path=str(path), record_mode=mode, persister=persister,
                                  serializer=CassetteSerializer, record_on_exception=False,
                                  allow_playback_repeats=False)
    try:
        with context as cassette:
            data, notes = adapter.fetch(spec, client)
            scrubber.add_secrets(_configuration_secrets(spec, adapter, data, notes))
            counts = cassette.recorded, cassette.play_count
            # Save (scrub, check, write) inside the context: an error here leaves vcrpy's
            # exit to unpatch and skip saving; raised from vcrpy's own save at exit, it
            # would leave the HTTP libraries patched.
            cassette._save()
    except CannotOverwriteExistingCassetteException as exc:
        raise FetchError(f"{spec.uri}: the cassette {path} has no answer for "
                         f"{_describe(exc.failed_request)} and record mode {mode.value} may not "
                         "add one; use --nocode-record-mode=new_episodes or all") from None
    finally:
        client.close()
    return counts


def _configuration_secrets(spec: AppSpec, adapter: Platform, data: Any,
                           notes: Mapping[str, str]) -> list[tuple[str, str]]:
    """Secrets the scanner finds in the normalized app, where context decides (a header value
    next to its name, an n8n ``{name, value}`` pair), which a walk over raw JSON cannot see.

    A snapshot that does not normalize is not recorded: its secrets could not be found.
    """
    from pytest_nocode.secretscan import find_secrets

    try:
        app = adapter.normalize(spec, RawSnapshot(spec.platform, data, "live", dict(notes)))
    except NocodeError as exc:
        raise FetchError(f"{spec.uri}: not recording a snapshot that cannot be checked: "
                         f"{exc}") from None
    return [(hit.kind, hit.value) for hit in find_secrets(app)]


def _describe(request: Request | None) -> str:
    if request is None:
        return "a request"
    parts = urlsplit(request.uri)
    return f"{request.method} {parts.path}" + (f"?{parts.query}" if parts.query else "")


__all__ = ["CassetteSerializer", "IndexedCassette", "Scrubber", "ScrubbingPersister",
           "cassette_path", "fetch_recorded", "replay", "request_key"]
