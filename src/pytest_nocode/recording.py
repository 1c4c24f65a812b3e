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
- **Nothing secret is written.** :class:`Scrubber` runs on the whole cassette before it is
  serialized: credentials in request headers and bodies, tokens handed out by the server,
  secrets found in the configuration (by :mod:`pytest_nocode.secretscan`), and people's names
  and e-mail addresses. A final check refuses to write a cassette in which a known secret
  survived. See :func:`fake_secret` for why scrubbed secrets still look like secrets.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import hashlib
import hmac
import json
import os
import random
import re
import string
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

from pytest_nocode.appspec import CREDENTIAL_VARIABLES, AppSpec, credential_hint
from pytest_nocode.errors import FetchError, NocodeError
from pytest_nocode.loading import RecordingOptions
from pytest_nocode.platforms import Platform, RawSnapshot
from pytest_nocode.transport import (
    RETRY_STATUSES,
    Credentials,
    HttpClient,
    TransportOptions,
    client_for,
)

PLACEHOLDER = "scrubbed"  # credentials we send: nothing about them is worth keeping
TOKEN_PLACEHOLDER = "scrubbed-access-token"
SCRUB_KEY_VAR = "NOCODE_SCRUB_KEY"  # optional: keys the pseudonyms (see Scrubber)
CASSETTE_HEADER = ("# pytest-nocode cassette (vcrpy format). Scrubbed before writing: "
                   "credentials, tokens,\n# secrets in the configuration (format-preserving "
                   "fakes) and people's names and e-mails.\n")

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


class ScrubbingPersister:
    """Loads cassettes as vcrpy does; scrubs, checks and writes them atomically."""

    def __init__(self, scrubber: Scrubber | None = None) -> None:
        self.scrubber = scrubber
        self.saved = False

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
            return vcr_deserialize(text, serializer)
        except (yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
            raise FetchError(f"cassette {path}: not a readable vcrpy cassette "
                             f"({type(exc).__name__}); re-record it") from None

    def save_cassette(self, cassette_path: str | Path, cassette_dict: dict[str, Any],
                      serializer: Any) -> None:
        if self.scrubber is None:
            raise FetchError("refusing to write a cassette without scrubbing it")
        clean = self.scrubber.scrub(cassette_dict)
        text = vcr_serialize(clean, serializer)
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
_JWT = re.compile(r"eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*")
_PEM_ARMOR = re.compile(r"-----[A-Z0-9 ]+-----")
_TOKEN_PREFIX = re.compile(r"^(?:[A-Za-z0-9]{1,6}[_-]){1,2}")
_LOWER = "abcdefghijklmnopqrstuvwyz"  # no x: runs of x read as a mask to the secret scanner
_UPPER = _LOWER.upper()
_HEX_LOWER = "0123456789abcdef"
_HEX_UPPER = "0123456789ABCDEF"
_SYMBOLS = "!#%&*+-=?@^_~"
MASK_PREFIX = 4  # redaction.mask shows this many leading characters of long secrets
MASK_MIN = 16


def kept_prefix(value: str) -> int:
    """How many leading characters of a secret its fake keeps.

    Nothing for short values (reports mask them whole). For long ones, what reports already
    show (four characters) and a token-type prefix (``ghp_``, ``sk_live_``, ``xoxb-``), so
    pattern-based detection still recognises the fake and masked evidence reads the same.
    """
    if len(value) < MASK_MIN:
        return 0
    m = _TOKEN_PREFIX.match(value[:12])
    return max(MASK_PREFIX, m.end() if m else 0)


def _fill(text: str, keep: set[int], rng: random.Random) -> str:
    """Each character not kept → a random one of its class (digit, lower, upper, hex)."""
    free = [c for i, c in enumerate(text) if i not in keep and c.isascii() and c.isalnum()]
    letters = [c for c in free if c.isalpha()]
    hex_lower = bool(letters) and all(c in _HEX_LOWER for c in free)
    hex_upper = bool(letters) and all(c in _HEX_UPPER for c in free)
    out = []
    for i, c in enumerate(text):
        if i in keep or not (c.isascii() and c.isalnum()):
            out.append(c)
        elif hex_lower:
            out.append(rng.choice(_HEX_LOWER))
        elif hex_upper:
            out.append(rng.choice(_HEX_UPPER))
        elif c.isdigit():
            out.append(rng.choice(string.digits))
        elif c.islower():
            out.append(rng.choice(_LOWER))
        else:
            out.append(rng.choice(_UPPER))
    fake = "".join(out)
    if fake == text:  # nothing alphanumeric to change (a password of symbols): change those
        fake = "".join(c if i in keep or c.isspace() else rng.choice(_SYMBOLS)
                       for i, c in enumerate(text))
    return fake


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _fake_jwt(token: str, rng: random.Random) -> str | None:
    """Same header, a payload of the same length saying it was scrubbed, a random signature."""
    header, payload, signature = token.split(".", 2)
    if len(payload) % 4 == 1:
        return None
    size = len(payload) * 3 // 4
    stub = '{"scrubbed":true,"pad":""}'
    if size < len(stub):
        return None
    body = stub[:-2] + "p" * (size - len(stub)) + '"}'
    return f"{header}.{_b64url(body.encode())}.{_fill(signature, set(), rng)}"


def _fake_basic(token: str, rng: random.Random) -> str | None:
    """``base64(user:password)`` with the password faked and the user kept."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = raw.partition(":")
    if not sep:
        return None
    fake = base64.b64encode(f"{user}:{_fill(password, set(), rng)}".encode()).decode()
    return fake if token.endswith("=") else fake.rstrip("=")


def fake_secret(value: str, kind: str, keep: set[int], rng: random.Random) -> str:
    """A stand-in for a secret that the secret scanner still reports the same way.

    Why not ``scrubbed-secret-1234``: replaying the cassette must give the same findings as
    the live run, and a placeholder is not a secret to the scanner (and reports would show a
    different masked prefix and length). So the fake keeps the length, the characters that
    masked evidence shows anyway (four, for long values), a token-type prefix, punctuation,
    PEM armour lines and the JWT header, and draws every other character at random from the
    same class. The random stream is seeded by position in the cassette, never by the secret,
    so a fake reveals nothing a guess could be checked against.
    """
    if kind == "Basic auth header":
        fake = _fake_basic(value, rng)
        if fake:
            return fake
    if _JWT.fullmatch(value):
        fake = _fake_jwt(value, rng)
        if fake:
            return fake
    keep = set(keep)
    for m in _PEM_ARMOR.finditer(value):
        keep.update(range(m.start(), m.end()))
    return _fill(value, keep, rng)


class Scrubber:
    """Rewrites a whole cassette so that it can be committed, and replays to the same findings.

    Two passes: the first finds what to hide (secrets in every response, people from user
    lists, e-mail addresses anywhere), the second replaces every occurrence in every string and
    key, so references stay consistent (a renamed n8n node keeps its connections).

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
        self._fakes: dict[str, str] = {}
        self._people: dict[str, str] = {}  # original name or e-mail → its pseudonym
        self._records: list[tuple[str, str, str]] = []  # (first, last, email) of people
        self._emails: dict[str, None] = {}  # e-mail addresses seen anywhere, in order
        self._tokens: set[str] = set()
        self._faker: Any = None

    def add_secrets(self, found: Iterable[tuple[str, str]]) -> None:
        """(kind, value) pairs, e.g. from ``find_secrets`` on the normalized snapshot."""
        for kind, value in found:
            if value and len(value) >= 4:
                self.secrets.setdefault(value, kind)

    # -- the whole cassette ----------------------------------------------------------------
    def scrub(self, cassette: dict[str, Any]) -> dict[str, Any]:
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
        """Fail closed: no cassette is written if a known secret is still in it."""
        leaked = [v for v in [*self.credentials, *self._tokens] if len(v) >= 6 and v in text]
        leaked += [v for v in self.secrets if len(v) >= 8 and v in text]
        leaked += [v for v in self._people if "@" in v and v in text
                   and v not in self._people.values()]
        if leaked:
            raise FetchError(f"{self.label}: refusing to write the cassette: "
                             f"{len(leaked)} secret value(s) survived scrubbing")

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
                        self._tokens.add(v)
                    else:
                        walk(v, str(k))
            elif isinstance(value, list):
                for item in value:
                    walk(item, key)
            elif isinstance(value, str) and len(value) >= 4:
                for kind, secret in scan_text(key, value):
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
        names = sorted((n for n in self._people if "@" not in n), key=len, reverse=True)
        self._name_re = (re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
                         if names else None)
        self._secret_counter = 0

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
        return text

    def _secrets_in(self, text: str) -> str:
        """Every secret occurrence faked; overlapping occurrences are faked as one span."""
        spans: list[tuple[int, int, set[int]]] = []
        for value in self._secret_values:
            start = text.find(value)
            while start >= 0:
                keep = set(range(start, start + kept_prefix(value)))
                spans.append((start, start + len(value), keep))
                start = text.find(value, start + 1)
        if not spans:
            return text
        spans.sort(key=lambda s: (s[0], -s[1]))
        merged: list[tuple[int, int, set[int]]] = []
        for start, end, keep in spans:
            if merged and start < merged[-1][1]:
                s0, e0, k0 = merged[-1]
                merged[-1] = (s0, max(e0, end), k0 | keep)
            else:
                merged.append((start, end, keep))
        out, pos = [], 0
        for start, end, keep in merged:
            out.append(text[pos:start])
            out.append(self._fake(text[start:end], {i - start for i in keep}))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _fake(self, span: str, keep: set[int]) -> str:
        if span in self._fakes:
            return self._fakes[span]
        seed = hmac.new(self._key, f"{self.label}|secret|{self._secret_counter}".encode(),
                        "sha256").digest()
        self._secret_counter += 1
        fake = fake_secret(span, self.secrets.get(span, ""), keep, random.Random(seed))
        self._fakes[span] = fake
        return fake


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
    return RawSnapshot(spec.platform, snapshot.data, source, snapshot.notes)


def replay(spec: AppSpec, adapter: Platform, path: Path) -> RawSnapshot:
    """Fetch from the cassette alone; no request reaches the network, no credential is needed.

    The client carries placeholder credentials: recorded requests are matched without headers
    and with login forms scrubbed, so whatever the recording used, the replay matches it.
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
    return RawSnapshot(spec.platform, data, "cassette", dict(notes))


def _record(spec: AppSpec, adapter: Platform, path: Path, mode: RecordMode,
            environ: Mapping[str, str] | None, options: TransportOptions | None
            ) -> tuple[int, int]:
    """Fetch through vcrpy in ``mode``; returns (interactions recorded, interactions played)."""
    from pytest_nocode.transport import credential_values

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
           "cassette_path", "fake_secret", "fetch_recorded", "replay", "request_key"]
