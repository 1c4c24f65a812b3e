"""Detectors: what finds a candidate secret.

Two kinds of evidence, because neither is enough alone in JSON node configs:

* **Shapes** (``strong``): detect-secrets' regex plugins (AWS, GitHub, Slack, Stripe, private
  keys, JWT, …, see patterns.py) and webhook URLs whose path is the token recognise a secret
  by its shape, wherever it sits, also in documentation (sticky notes, comments, ``info``).
* **Context**: a value under a name that says secret (``password``, ``x-api-key``), a
  name/value pair (a Node-RED header or change rule, an n8n parameter), an assignment in code
  or text, an auth header, a URL's user info or ``?api_key=`` (or the same name in a request
  node's query parameters), a password on a command line, a ``<Password>`` XML element.
  What they propose is judged by ``filters.VALUE_FILTERS``.

Text detectors are functions of a :class:`Text` in the ``TEXT_DETECTORS`` table; adding one
is one function and one entry (and its tests, both directions).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pytest_nocode.secretscan.filters import basic_credentials, literal, rejected_shape
from pytest_nocode.secretscan.kinds import (
    KIND_BASIC,
    KIND_BEARER,
    KIND_CLI,
    KIND_CLI_HEADER,
    KIND_KEYWORD,
    KIND_URL_PASSWORD,
    KIND_URL_QUERY,
    KIND_URL_TOKEN,
    KIND_WEBHOOK,
)
from pytest_nocode.secretscan.names import is_secret_name, min_length
from pytest_nocode.secretscan.patterns import has_key_body, patterns, private_key_block, widen

__all__ = [
    "TEXT_DETECTORS",
    "Detector",
    "Found",
    "Text",
    "UrlPart",
    "compared_pairs",
    "config_node_key",
    "name_value_pairs",
    "query_parameter_secret",
    "secret_named_value",
    "sink_credential_names",
    "stored_for_sink",
    "url_parts",
]


@dataclass(frozen=True)
class Found:
    """A candidate a detector kept: where it starts in the text, what it looks like, the
    value to mask, and which part of a URL it is in (``" (user info)"``), if any."""

    pos: int
    kind: str
    value: str
    suffix: str = ""


class Text:
    """One string being scanned, with what every text detector needs of it (computed once:
    a plain class with slots, since it is made for every string of an app)."""

    __slots__ = ("hint_spans", "ids", "low", "mode", "starts", "text")

    def __init__(self, text: str, mode: str, ids: frozenset[str] = frozenset()) -> None:
        self.text = text
        self.mode = mode  # "code" (only quoted values count), "template" or "text"
        self.ids = ids
        self.low = text.lower()
        # line offsets; None for one-line text, which is placed at its field alone
        self.starts = _line_starts(text) if mode == "code" or "\n" in text else None
        self.hint_spans = self._hint_spans()

    def line_at(self, pos: int) -> tuple[int, int, str]:
        """(line number from 1, its offset, the line) of ``pos``; (0, 0, text) when the text
        is one line, which is placed at its field alone."""
        if self.starts is None:
            return 0, 0, self.text
        n = bisect_right(self.starts, pos) - 1
        begin = self.starts[n]
        end = self.text.find("\n", begin)
        return n + 1, begin, self.text[begin:end if end >= 0 else len(self.text)]

    def _hint_spans(self) -> list[tuple[int, int]]:
        """(begin, end) of the lines that contain a word every secret name contains: the
        assignment regexes are costly on long code."""
        if self.starts is None or len(self.low) != len(self.text):
            return [(0, len(self.text))] if _HINT.search(self.low) else []
        spans: list[tuple[int, int]] = []
        last = -1
        starts = self.starts
        for m in _HINT.finditer(self.low):
            n = bisect_right(starts, m.start()) - 1
            if n != last:
                last = n
                end = starts[n + 1] - 1 if n + 1 < len(starts) else len(self.text)
                spans.append((starts[n], end))
        return spans


@dataclass(frozen=True)
class Detector:
    name: str
    find: Callable[[Text], Iterable[Found]]
    strong: bool  # a shape: it also fires in documentation, and only SHAPE_FILTERS judge it
    # what the text must have for the detector to find anything, so that the scanner skips
    # it cheaply on most of an app's 250k strings: a match of ``gate``, a line with a
    # secret-ish word (``hint_lines``)
    gate: re.Pattern[str] | None = None
    hint_lines: bool = False
    modes: frozenset[str] = frozenset({"code", "template", "text"})  # where it applies
    # a context rule that also reads documentation (``strong`` shapes always do)
    documentation: bool = False


# -- token shapes -----------------------------------------------------------------------------
def token_shapes(t: Text) -> list[Found]:
    """detect-secrets' regex plugins, on the lines their trigger literals flag; a private key
    is the whole PEM block, and only with a key body (a header alone is code testing for
    one). A list, not a generator: it runs on every string."""
    det = patterns()
    starts = det.candidates(t.text, t.low)
    if not starts:
        return []
    found_here: list[Found] = []
    done: set[int] = set()
    skip_until = -1
    for pos in sorted(starts):
        if pos < skip_until:
            continue  # inside a private key block already reported
        _, begin, line = t.line_at(pos)
        if begin in done:
            continue
        done.add(begin)
        for kind, plugin in det.plugins:
            for found in plugin.analyze_string(line):
                if not found:
                    continue
                if kind == "Private Key":
                    block, stop = private_key_block(t.text, begin)
                    if has_key_body(block):
                        skip_until = stop
                        found_here.append(Found(begin, kind, block))
                    continue
                value = widen(line, found)
                if not rejected_shape(value):
                    found_here.append(Found(begin, named_by_host(kind, line), value))
    return found_here


# Token shapes two vendors share, told apart by the API host on the same line: Zalo's bot
# platform copied Telegram's ``<digits>:<secret>`` token and ``/bot<token>/`` URLs.
_SAME_SHAPE: dict[str, tuple[tuple[str, str], ...]] = {
    "Telegram Bot Token": (("zaloplatforms.com", "Zalo Bot Token"),
                           ("bot-api.zalo.me", "Zalo Bot Token")),
}


def named_by_host(kind: str, line: str) -> str:
    """The vendor a shared token shape belongs to, by the host the line names; ``kind``
    itself when no other vendor's host is there."""
    low = line.lower()
    return next((name for host, name in _SAME_SHAPE.get(kind, ()) if host in low), kind)


# incoming-webhook URLs whose path is the credential (Slack's are a detect-secrets plugin)
_WEBHOOK = re.compile(
    r"(?i)https://(?:[\w-]+\.)?(?:discord(?:app)?\.com/api/webhooks/\d+/"
    r"|[\w.-]+\.webhook\.office\.com/webhookb2/|maker\.ifttt\.com/trigger/[^/\s]+/with/key/)"
    r"(?P<value>[^\s'\"`<>?#]{10,})")


# a Bitrix24 inbound webhook (``https://portal/rest/<user id>/<16-character key>/method``, on
# the portal's own domain too): the key in the path acts as that user on the CRM's REST API
_BITRIX_WEBHOOK = re.compile(r"(?i)https?://[\w.-]+(?::\d+)?/rest/\d+/"
                             r"(?P<value>(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{16})(?![a-z0-9])")


def webhook_urls(t: Text) -> Iterator[Found]:
    """Discord, Teams, IFTTT and Bitrix24 webhook URLs: whoever has the URL can post (or,
    for Bitrix24, use the CRM's API as the user who made it)."""
    if "hook" in t.low:
        for m in _WEBHOOK.finditer(t.text):
            if not rejected_shape(m.group("value")):
                yield Found(m.start(), KIND_WEBHOOK, m.group("value"))
    if "/rest/" in t.low:
        for m in _BITRIX_WEBHOOK.finditer(t.text):
            if not rejected_shape(m.group("value")):
                yield Found(m.start(), KIND_WEBHOOK, m.group("value"))


# -- URLs -------------------------------------------------------------------------------------
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s'\"`<>]+")
_URL_GATE = re.compile("://")
_URL_OR_SCHEMELESS_GATE = re.compile(r"://|^\s*[A-Za-z0-9-]+\.[A-Za-z0-9.-]+(?::\d+)?/\S*\?")
# a whole value that is a URL without its scheme (Node-RED's http request prepends http://):
# a dotted host name, an optional port, a path and a query
_SCHEMELESS_URL = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?/[^\s'\"`<>?#]*\?"
                             r"[^\s'\"`<>]+")
_URL_PARTS = re.compile(r"[/?#]")
_QUERY_SPLIT = re.compile(r"[&;]")
_TOKENISH = re.compile(r"[\w.~-]+")
_QUERY_SECRET_KEYS = frozenset({
    "api_key", "apikey", "api-key", "key", "token", "access_token", "accesstoken", "auth",
    "auth_token", "authtoken", "password", "pass", "passwd", "pwd", "secret", "client_secret",
    "sig", "signature", "private_token", "app_key", "appkey", "app_secret", "refresh_token",
    "id_token", "session", "sessionid", "jwt", "hapikey", "access_key", "secret_key",
    "pw", "psw", "passcode",  # IP cameras and NVRs (Blue Iris, Hikvision …): ?user=…&pw=…
    "appid",  # OpenWeather, Wolfram|Alpha: the API key is the `appid`
})
# names that also name public things (`key=orders`, WeChat's `appid=wx…` beside its secret):
# only a random-looking value counts
_QUERY_RANDOM_ONLY = frozenset({"key", "appid"})
_SEGMENT_END = r"(?=[/?#]|$)"
# vendor APIs that take the credential as a path segment, not as a header or a query
# parameter: (whose token, a regex on the URL's path whose group ``value`` is the token). A
# resource id in a path (an Airtable base, a document, a UUID) is not a credential, so a
# shape is the vendor's fixed path around the segment, never the segment's randomness alone.
_PATH_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # ThingsBoard device API over HTTP or CoAP: /api/v1/<device access token>/telemetry
    ("ThingsBoard device", re.compile(
        r"/api/v\d+[a-z]?/(?P<value>[^/?#]+)/(?:telemetry|attributes|rpc|claim|provision|"
        r"firmware|software)" + _SEGMENT_END)),
    # Blynk's legacy HTTP API, cloud or local server: /<32-character auth token>/update/V1
    ("Blynk", re.compile(
        r"^/(?P<value>[A-Za-z0-9_-]{32})/(?:update|get|isHardwareConnected|isAppConnected|"
        r"notify|email|project|qr)" + _SEGMENT_END)),
)


@dataclass(frozen=True)
class UrlPart:
    name: str  # ":user", ":password", ":path", or a query or fragment parameter's name
    value: str
    start: int  # offset in the URL

    @property
    def suffix(self) -> str:
        """How a hit in this part is placed: ``url (user info)``, ``url (path)``,
        ``url (query api_key)``."""
        if self.name == ":path":
            return " (path)"
        return " (user info)" if self.name.startswith(":") else f" (query {self.name})"


def url_parts(url: str) -> Iterator[UrlPart]:
    """The parts of a URL that can carry a secret: the password of its user info (or the user
    when there is no password), a path segment where a vendor's API takes its token
    (``_PATH_TOKENS``), and every ``name=value`` of its query and fragment. One parser for
    the URL rule and for placing a placeholder found in a URL."""
    offset = url.index("://") + 3 if "://" in url else 0  # (a scheme-less whole value)
    rest = url[offset:]
    authority = _URL_PARTS.split(rest, maxsplit=1)[0]
    if "@" in authority:
        user, sep, password = authority.rsplit("@", 1)[0].partition(":")
        if sep:
            yield UrlPart(":password", password, offset + len(user) + 1)
        else:
            yield UrlPart(":user", user, offset)
    scheme = url[:offset - 3].lower() if offset else ""
    yield from _path_tokens(rest, len(authority), offset, scheme)
    for mark in ("?", "#"):
        at = rest.find(mark)
        if at < 0:
            continue
        query = rest[at + 1:]
        if mark == "?":
            query = query.split("#", 1)[0]
        pos = offset + at + 1
        for pair in _QUERY_SPLIT.split(query):  # separators are one character
            name, eq, raw = pair.partition("=")
            if eq:
                yield UrlPart(name, raw, pos + len(name) + 1)
            pos += len(pair) + 1


def _path_tokens(rest: str, path_at: int, offset: int, scheme: str = "") -> Iterator[UrlPart]:
    """The segments of the URL's path (``rest[path_at:]`` up to its query or fragment) that
    a vendor's API reads as its token, or that a media stream URL carries as its access
    token (:data:`STREAM_SCHEMES`)."""
    path = rest[path_at:]
    if not path.startswith("/"):
        return
    end = min((i for i in (path.find("?"), path.find("#")) if i >= 0), default=len(path))
    path = path[:end]
    if scheme in STREAM_SCHEMES:
        at = 0
        for segment in path.split("/"):
            if _STREAM_TOKEN.fullmatch(segment) and _mixed_token(segment):
                yield UrlPart(":path", segment, offset + path_at + at)
                return
            at += len(segment) + 1
        return
    for _vendor, shape in _PATH_TOKENS:
        m = shape.search(path)
        if m:
            yield UrlPart(":path", m.group("value"), offset + path_at + m.start("value"))
            return


# Media stream URLs: an RTSP server (a UniFi NVR's `rtsp://nvr:7447/<alias>`, MediaMTX or
# go2rtc with a random path) or an RTMP/SRT ingest (`rtmp://host/live/<stream key>`) lets
# whoever has the URL watch or publish: a random segment of its path is the stream's access
# token, where a camera's own paths are words and channel numbers (`/Streaming/Channels/2`,
# `/cam/realmonitor`, `/h264Preview_01_main`)
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "srt", "rtspt"})
_STREAM_TOKEN = re.compile(r"[A-Za-z0-9]{16,64}")


def _mixed_token(value: str) -> bool:
    """Small and capital letters (and digits) that change from one kind to another at about
    every other character, as a generated token's do (``6tr4qdeZsXO9bt4h``); words run
    together and numbered names change seldom (``MediaProfile000000000001``)."""
    kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in value]
    changes = sum(a != b for a, b in pairwise(kinds))
    return "u" in kinds and "l" in kinds and changes >= 0.4 * len(value)


def _generated(value: str) -> bool:
    """Letters and digits mixed, as a generated token has them (an id of words does not)."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _random_letters(value: str) -> bool:
    """16 or more letters with capitals at random, about as many as small ones
    (``zVHQjdiYuHFgOxjDyFDb``: one generated token in thirty has no digit): words run
    together (``MyDeviceToken``) capitalise a letter in four or five, names in capitals all."""
    if len(value) < 16 or not value.isascii() or not value.isalpha():
        return False
    upper = sum(c.isupper() for c in value)
    return 0.3 <= upper / len(value) <= 0.7


def urls(t: Text) -> Iterator[tuple[int, str]]:
    """(offset, URL) of every URL in the text, and a whole value that is a URL without its
    scheme (``api.example.org/v1/forecast?appid=…``)."""
    if "://" in t.text:
        for m in _URL.finditer(t.text):
            yield m.start(), m.group(0)
    elif t.mode != "code" and _SCHEMELESS_URL.fullmatch(t.text.strip()):
        yield t.text.index(t.text.strip()), t.text.strip()


def url_credentials(t: Text) -> Iterator[Found]:
    """A URL's password (``https://user:pw@host``), a user part that is a token, and secret
    query parameters (``?api_key=``, ``&sig=``)."""
    for at, url in urls(t):
        for part in url_parts(url):
            raw, name, where = part.value, part.name.lower(), at + part.start
            if name == ":password":
                secret = literal(raw, name="password", min_len=1)
                if secret is not None and secret == raw:
                    yield Found(where, KIND_URL_PASSWORD, raw, part.suffix)
            elif name == ":user":
                if len(raw) >= 20 and _TOKENISH.fullmatch(raw) and _generated(raw):
                    yield Found(where, KIND_URL_TOKEN, raw, part.suffix)
            elif name == ":path":
                secret = literal(raw, name="token", min_len=8, ids=t.ids)
                if secret is not None and secret == raw and (_generated(raw)
                                                             or _random_letters(raw)):
                    yield Found(where, KIND_URL_TOKEN, raw, part.suffix)
            elif query_parameter_secret(name, raw, t.ids) == raw:
                yield Found(where, KIND_URL_QUERY, raw, part.suffix)


def query_parameter_secret(name: str, value: str, ids: frozenset[str]) -> str | None:
    """The literal secret of a query parameter whose name APIs read as their credential
    (``api_key``, ``token``, imgbb's and Google's bare ``key``), in a URL or in a request
    node's own list of query parameters; a name that also names public things (``key=orders``)
    needs a random-looking value."""
    name = name.strip().lower()
    if name not in _QUERY_SECRET_KEYS:
        return None
    if name in _QUERY_RANDOM_ONLY and (len(value) < 16 or value.isalpha() or value.isdigit()):
        return None
    return literal(value, name=name, min_len=min_length(name), ids=ids)


# -- command lines ----------------------------------------------------------------------------
_CLI_HINT = re.compile(r"--|-H\b|\bmysql|\bsshpass\b|\bcurl\b|\bwget\b|\blogin\b")
# container registry clients: `docker login -p …`, and the password piped to --password-stdin
_REGISTRY_LOGIN = r"(?:sudo[ \t]+)?(?:docker|podman|nerdctl|buildah|skopeo|helm[ \t]+registry)" \
    r"[ \t]+login\b"
_CLI_PASSWORD = re.compile(
    r"""(?x)
      \b(?:curl|wget)\b[^\n|;&]*?[ \t](?:-u|--user)[ \t]+["']?[^\s:"']+:(?P<v4>[^\s"'@]{4,})
    | (?:-H|--header)(?:=|[ \t]+)(?P<q7>["'])(?P<header>[A-Za-z][\w-]{1,40})[ \t]*:[ \t]*
      (?P<v7>[^\s"']{4,})(?P=q7)
    | --(?P<name>[A-Za-z][\w-]{1,40})(?:=|[ \t]+)["']?(?P<value>[^\s"'-][^\s"']{3,})
    | \bmysql(?:dump|admin|import|check)?\b[^\n|;&]*?[ \t]-p(?P<q2>["']?)
      (?P<v2>[^\s"'-][^\s"']{3,})(?P=q2)
    | \bsshpass[ \t]+-p[ \t]*["']?(?P<v3>[^\s"']{4,})
    | \b""" + _REGISTRY_LOGIN + r"""[^\n|;&]*?[ \t]-p[ \t]+["']?(?P<v5>[^\s"'-][^\s"']{3,})
    | \b(?:echo|printf)[ \t]+(?:-n[ \t]+)?(?P<q6>["']?)(?P<v6>[^\s"'|;&][^\s"'|;&]{3,})(?P=q6)
      [ \t]*\|[ \t]*""" + _REGISTRY_LOGIN + r"""[^\n|;&]*?--password-stdin
    """)


def command_line_passwords(t: Text) -> Iterator[Found]:
    """``--password=…``, ``mysql -p…`` (``-p'…'`` quoted too), ``sshpass -p …``, ``curl -u
    user:…``, ``curl -H 'X-Auth-Token: …'``, ``docker login -p …`` and ``echo '…' | docker
    login --password-stdin`` in exec, Execute Command and SSH nodes. A header whose value has a
    scheme (``Authorization: Bearer …``) is the bearer and basic rules'."""
    for m in _CLI_PASSWORD.finditer(t.text):
        name = m.group("name") or m.group("header")
        if name and not is_secret_name(name):
            continue
        group = next(g for g in ("value", "v2", "v3", "v4", "v5", "v6", "v7") if m.group(g))
        secret = literal(m.group(group), name=name or "password", ids=t.ids, min_len=4)
        if secret is not None:
            yield Found(m.start(group), KIND_CLI_HEADER if group == "v7" else KIND_CLI, secret)


# -- assignments and auth headers -------------------------------------------------------------
# every name is_secret_name accepts contains one of these (tested on the lower-cased text)
_HINT = re.compile(r"pass|pwd|secret|token|key|auth|bearer|basic|cookie|credential|psk|pin|"
                   r"community|m2m.?origin|ha.?access")
_ASSIGN_QUOTED = re.compile(
    r"""(?x)
    (?<![\w$])(?P<q0>["']?)(?P<name>[A-Za-z_$][\w$.-]{0,63})(?P=q0)\]?
    [ \t]*(?::=|=(?![=>~])|:(?!:))[ \t]*
    (?P<q>["'`])(?P<value>(?:\\.|(?!(?P=q))[^\\\n]){1,2000})(?P=q)""")
_CALL_PAIR = re.compile(
    r"""(?x)\([ \t]*(?P<q0>["'])(?P<name>[\w$.-]{1,64})(?P=q0)[ \t]*,[ \t]*
    (?P<q>["'`])(?P<value>(?:\\.|(?!(?P=q))[^\\\n]){1,2000})(?P=q)""")
_ASSIGN_BARE_EQ = re.compile(
    r"""(?x)(?<![\w$.-])(?P<name>[A-Za-z_][\w.-]{0,63})[ \t]*=(?![=>~])[ \t]*
    (?P<value>[^\s"'`,;&<>{}()\[\]|]{4,})""")
_ASSIGN_BARE_COLON = re.compile(
    r"""(?x)(?<![\w$.-])(?P<name>[A-Za-z_][\w.-]{0,63})[ \t]*:[ \t]*
    (?:(?:Bearer|Basic|Token)[ \t]+)?(?P<value>[^\s"'`,;&<>{}()\[\]|]{4,})""")
# `Password=…;` inside a string literal in code (connection strings, query strings): the
# name follows a separator and the value runs up to one, so `password=getPw();` is not it
_ASSIGN_IN_STRING = re.compile(
    r"""(?x)(?<=[;"'?&])(?P<name>[A-Za-z_][\w .-]{0,40}?)=(?P<value>[^\s"'`;&]{4,})(?=[;&"'])""")
_ASSIGNMENTS: Mapping[str, tuple[re.Pattern[str], ...]] = {
    # `password = req.body.pw` is code, not a secret: in code only quoted values count
    "code": (_ASSIGN_QUOTED, _CALL_PAIR, _ASSIGN_IN_STRING),
    "text": (_ASSIGN_QUOTED, _CALL_PAIR, _ASSIGN_BARE_EQ),  # + `Password=…;`, `token=…`
    "template": (_ASSIGN_QUOTED, _CALL_PAIR, _ASSIGN_BARE_EQ, _ASSIGN_BARE_COLON),
}
# an unquoted `Name: value` in a template is prose unless the value has a digit or symbol
_BARE_VALUE = re.compile(r"[^A-Za-z]")
_TERNARY = re.compile(r"\?[ \t]*[\"']?$")


def secret_assignments(t: Text) -> Iterator[Found]:
    """``apiKey = "…"``, ``password: '…'``, ``setHeader("x-api-key", "…")``,
    ``Password=…;`` in a connection string, ``api_key: …`` in a template, on the lines that
    mention a secret-ish word. A ternary's branch (``ok ? "PASS" : "FAIL"``) is not one."""
    for begin, end in t.hint_spans:
        for pattern in _ASSIGNMENTS[t.mode]:
            for m in pattern.finditer(t.text, begin, end):
                name = m.group("name")
                if not is_secret_name(name):
                    continue
                if _TERNARY.search(t.text, max(begin, m.start() - 4), m.start() + 1):
                    continue
                raw = m.group("value")
                if pattern is _ASSIGN_BARE_COLON and not _BARE_VALUE.search(raw):
                    continue
                secret = literal(raw, name=name, ids=t.ids, min_len=min_length(name))
                if secret is not None:
                    yield Found(m.start("value"), KIND_KEYWORD, secret)


# `const clientSecret = env.get("SPOTIFY_CLIENT_SECRET") || "…"`: a read from the
# environment, a context store or the message, with a literal typed in as its fallback
_FALLBACK_GATE = re.compile(r"\|\||\?\?")
_FALLBACK = re.compile(
    r"""(?x)
    (?:(?<![\w$])(?P<q0>["']?)(?P<name>[A-Za-z_$][\w$]{0,63})(?P=q0)[ \t]*
       (?:=(?![=>~])|:(?!:))[ \t]*)?
    (?P<read>(?<![\w$.])(?:process\.env|\$env|\$vars|\$secrets|env|flow|global|context|msg)
       (?:\.[A-Za-z_$][\w$]*|\[[^\]\n]{1,80}\]|\([^()\n]{0,80}\))+)
    [ \t]*(?:\|\||\?\?)[ \t]*
    (?P<q>["'`])(?P<value>(?:\\.|(?!(?P=q))[^\\\n]){1,2000})(?P=q)""")
# the name a read asks for: `env.get("X")`, `process.env.X`, `flow.get('x')`, `msg.x`
_READ_NAME = re.compile(
    r"""(?:["'`](?P<quoted>[\w$.-]{1,64})["'`][^"'`]*|\.(?P<prop>[A-Za-z_$][\w$]*))$""")


def _read_name(read: str) -> str:
    """The name the read asks for, as the store knows it (``SPOTIFY_CLIENT_SECRET``)."""
    m = _READ_NAME.search(read.rstrip(")]").rstrip())
    return (m.group("quoted") or m.group("prop") or "") if m else ""


def fallback_literals(t: Text) -> Iterator[Found]:
    """``env.get("CLIENT_SECRET") || "…"``, ``process.env.API_KEY ?? '…'``,
    ``flow.get("token") || "…"`` in code: the read names where the secret should be kept,
    and the fallback types it into the flow anyway. The secret's name is the variable
    assigned or the name read; a fill-in fallback (``|| "YOUR_KEY"``) stays quiet."""
    for begin, end in t.hint_spans:
        for m in _FALLBACK.finditer(t.text, begin, end):
            name = next((n for n in (m.group("name"), _read_name(m.group("read")))
                         if n and is_secret_name(n)), None)
            if name is None:
                continue
            secret = literal(m.group("value"), name=name, ids=t.ids, min_len=min_length(name))
            if secret is not None:
                yield Found(m.start("value"), KIND_KEYWORD, secret)


# `msg.payload.password == "admin"`, `"s3cret" === body.pin`, `req.token != 'abc'`: code that
# compares what a caller sends with a literal has the password typed into it (a login checked
# in a function); the side that names the secret is a variable or a property path
_COMPARE_GATE = re.compile(r"[=!]=")
_OPERAND = (r"""(?P<{g}>[A-Za-z_$][\w$]*"""
            r"""(?:\??\.[A-Za-z_$][\w$]*|\(\)|(?:\?\.)?\[[ \t]*["'][\w$-]{{1,64}}["'][ \t]*\])*)""")
_QUOTED = r"""(?P<{q}>["'`])(?P<{v}>(?:\\.|(?!(?P={q}))[^\\\n]){{1,2000}})(?P={q})"""
_COMPARED = (
    re.compile(r"(?<![\w$.\]])" + _OPERAND.format(g="name") + r"[ \t]*[=!]==?[ \t]*"
               + _QUOTED.format(q="q", v="value")),
    re.compile(_QUOTED.format(q="q", v="value") + r"[ \t]*[=!]==?[ \t]*"
               + _OPERAND.format(g="name") + r"(?![\w$(\[])"),
)
_TYPEOF = re.compile(r"typeof[ \t(]*$")
_BRACKET_KEY = re.compile(r"""\[[ \t]*["']([\w$-]+)["'][ \t]*\]$""")


def _operand_name(operand: str) -> str:
    """The name a compared operand reads: the last property of its path
    (``msg.payload["password"]`` → ``password``)."""
    m = _BRACKET_KEY.search(operand)
    return m.group(1) if m else operand.rsplit(".", 1)[-1]


def _assigned_text(code: str, name: str) -> str:
    """What ``code`` assigns the local ``name`` (``const name = …;``), "" when it does not."""
    m = re.search(rf"(?<![\w$.])(?:(?:const|let|var)[ \t]+)?{re.escape(name)}[ \t]*=(?!=)"
                  r"[ \t]*([^;\n]*)", code)
    return m.group(1) if m else ""


_TOPIC_READ = re.compile(r"\bmsg\.topic\b")
_HOLDER = re.compile(r"^([A-Za-z_$][\w$]*)\s*(?:\[|\.)")


def _from_topic(code: str, operand: str) -> bool:
    """Is the local ``operand`` read from the message's topic, directly or through one local
    holding its split (``parts = msg.topic.split("/"); team = parts[3]``)? A topic is where
    a message was published: every subscriber sees it, so a word compared with it (a team's
    or a device's name) is an address, not a secret, whatever the local is called."""
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", operand):
        return False
    assigned = _assigned_text(code, operand)
    if _TOPIC_READ.search(assigned):
        return True
    holder = _HOLDER.match(assigned.strip())
    return bool(holder) and holder.group(1) != operand \
        and bool(_TOPIC_READ.search(_assigned_text(code, holder.group(1))))


def compared_literals(t: Text) -> Iterator[Found]:
    """``if (msg.payload.user == "admin" && msg.payload.password == "admin")``: a login
    checked in code against a password typed into it (whoever reads the flow can sign in,
    and it cannot be changed without editing the code). The compared side must name a
    secret (``password``, ``pin``, ``token``); an empty, placeholder or word value stays
    quiet, as every value filter judges it."""
    for begin, end in t.hint_spans:
        for pattern in _COMPARED:
            for m in pattern.finditer(t.text, begin, end):
                name = _operand_name(m.group("name"))
                if not is_secret_name(name) or _TYPEOF.search(t.text, max(begin, m.start() - 8),
                                                              m.start()):
                    continue  # `typeof item.credentialPair === 'object'` tests a type
                if _from_topic(t.text, m.group("name")):
                    continue  # a segment of the topic: where a message was published
                secret = literal(m.group("value"), name=name, ids=t.ids,
                                 min_len=min_length(name))
                if secret is not None:
                    yield Found(m.start("value"), KIND_KEYWORD, secret)


_BEARER = re.compile(r"(?i)(?<![\w-])bearer[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{20,}=*)")


def bearer_headers(t: Text) -> Iterator[Found]:
    """``Bearer <token>`` in a header, a curl command or an HTTP template."""
    for begin, end in t.hint_spans:
        for m in _BEARER.finditer(t.text, begin, end):
            secret = literal(m.group("value"), name="token", min_len=20, ids=t.ids)
            if secret is not None:
                yield Found(m.start(), KIND_BEARER, secret)


_BASIC = re.compile(r"(?<![\w-])Basic[ \t]+(?P<value>[A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])")


def _basic_secret(token: str) -> str | None:
    pair = basic_credentials(token)
    return token if pair and literal(pair[1], name="password", min_len=1) else None


def basic_headers(t: Text) -> Iterator[Found]:
    """``Basic <base64 user:password>``, when it decodes to a literal password."""
    for begin, end in t.hint_spans:
        for m in _BASIC.finditer(t.text, begin, end):
            token = _basic_secret(m.group("value"))
            if token is not None:
                yield Found(m.start(), KIND_BASIC, token)


# `<Password>…</Password>`, `<aut:password>…</aut:password>`: an element of an XML body (a SOAP
# envelope built in a function, an HTTP template) whose name says secret, holding text
_XML_GATE = re.compile(r"</")
_XML_ELEMENT = re.compile(
    r"<(?P<prefix>[A-Za-z_][\w.-]{0,30}:)?(?P<name>[A-Za-z_][\w.-]{0,40})(?:[ \t][^<>]*)?>"
    r"[ \t]*(?P<value>[^<>\s][^<>\n]{2,200}?)[ \t]*</(?P=prefix)?(?P=name)>")


def xml_elements(t: Text) -> Iterator[Found]:
    """A secret-named XML element with literal text (``<Password>…</Password>``); text built
    from a variable (``${pw}``, ``{{ pw }}``) is not a literal and stays quiet."""
    for begin, end in t.hint_spans:
        for m in _XML_ELEMENT.finditer(t.text, begin, end):
            name = m.group("name")
            if not is_secret_name(name):
                continue
            secret = literal(m.group("value"), name=name, ids=t.ids, min_len=min_length(name))
            if secret is not None:
                yield Found(m.start("value"), KIND_KEYWORD, secret)


# `Password: …` as a line of its own, with optional Markdown around it (a list item, bold,
# a code span), and the login line that makes it a login written down
_CREDENTIAL_LINE = re.compile(
    r"""(?mx)^[ \t>*#_`-]*(?P<name>[A-Za-z][A-Za-z0-9 _-]{0,30}?)[*_` \t]*[:=][*_` \t]*
    (?P<q>["'`]?)(?P<value>[^\s"'`*]{4,200})(?P=q)[*_` \t\r]*$""")
_LOGIN_LINE = re.compile(
    r"""(?ix)^[ \t>*#_`-]*(?:[a-z][a-z0-9 _-]{0,20}[ _-])?(?:user(?:[ _-]?name)?|login|
    e-?mail|account|benutzer(?:name)?|usuario|utilisateur)[*_` \t]*[:=][*_` \t]*\S+""")


def _next_to_login(text: str, begin: int, end: int) -> bool:
    """Whether the line before or after ``text[begin:end]`` names a login (``User: ops``)."""
    before_end = begin - 1
    before = text[text.rfind("\n", 0, max(before_end, 0)) + 1:before_end] if begin else ""
    after_end = text.find("\n", end + 1)
    after = text[end + 1:after_end if after_end >= 0 else len(text)]
    return any(_LOGIN_LINE.match(line) for line in (before, after))


def written_logins(t: Text) -> Iterator[Found]:
    """``Username: ops`` then ``Password: …`` on lines of their own, in a note, a comment or
    plain text: a login written down for the next person. A note that explains how to call
    an API shows a key or a password alone (``password: <yours>``, an example); that is
    documentation, and stays quiet."""
    for begin, end in t.hint_spans:
        for m in _CREDENTIAL_LINE.finditer(t.text, begin, end):
            name = m.group("name").strip(" _-")
            if not is_secret_name(name) or not _next_to_login(t.text, m.start(), m.end()):
                continue
            secret = literal(m.group("value"), name=name, ids=t.ids, min_len=min_length(name))
            if secret is not None:
                yield Found(m.start("value"), KIND_KEYWORD, secret)


TEXT_DETECTORS: tuple[Detector, ...] = (
    Detector("token shapes", token_shapes, strong=True),
    Detector("webhook URLs", webhook_urls, strong=True, gate=_URL_GATE),
    Detector("URL credentials", url_credentials, strong=False, gate=_URL_OR_SCHEMELESS_GATE),
    Detector("command-line passwords", command_line_passwords, strong=False, gate=_CLI_HINT,
             modes=frozenset({"text"})),
    Detector("secret assignments", secret_assignments, strong=False, hint_lines=True),
    Detector("fallback literals", fallback_literals, strong=False, gate=_FALLBACK_GATE,
             hint_lines=True, modes=frozenset({"code"})),
    Detector("compared literals", compared_literals, strong=False, gate=_COMPARE_GATE,
             hint_lines=True, modes=frozenset({"code", "template"})),
    Detector("bearer headers", bearer_headers, strong=False, hint_lines=True),
    Detector("basic auth headers", basic_headers, strong=False, hint_lines=True),
    Detector("XML elements", xml_elements, strong=False, gate=_XML_GATE, hint_lines=True),
    Detector("written logins", written_logins, strong=False, hint_lines=True,
             modes=frozenset({"template", "text"}), documentation=True),
)


# -- whole values under a name ----------------------------------------------------------------
def secret_named_value(key: str, value: str, ids: frozenset[str]) -> str | None:
    """A property whose key says secret (``password``, ``apiKey``) holding a literal."""
    if not is_secret_name(key):
        return None
    return literal(value, name=key, ids=ids, min_len=min_length(key))


_GENERATED = re.compile(r"^(?=[^\d]*\d)(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9+/=_-]{16,}$")


def config_node_key(value: str, ids: frozenset[str]) -> str | None:
    """A vendor config node's bare ``key`` (a gateway's developer or pre-shared key): the
    name alone says nothing (tls-config ``key`` is a file, a Redis ``key`` a name), so the
    value must look generated: 16 or more characters mixing digits and letters."""
    secret = literal(value, name="key", ids=ids, min_len=16)
    return secret if secret is not None and _GENERATED.match(secret) else None


# Node types that sign or encrypt with a key typed into their own ``key`` field: the value is
# the key (node-red-contrib-crypto-js ``hmac``, ``encrypt``, ``decrypt``, beside ``algorithm``)
KEYED_CRYPTO_TYPES = frozenset({"hmac", "encrypt", "decrypt"})


def keyed_crypto_node(ntype: str, params: Mapping[str, Any]) -> bool:
    """Is this a node that signs or encrypts messages with the key in its ``key`` field?"""
    return ntype in KEYED_CRYPTO_TYPES and isinstance(params.get("algorithm"), str)


def crypto_node_key(value: str, ids: frozenset[str]) -> str | None:
    """The HMAC or cipher key typed into such a node: any literal a filter does not rule out
    (people pick these keys from words: ``jj-secret`` signs password hashes as well as a
    generated one), placeholders and expressions excepted."""
    return literal(value, name="secret_key", ids=ids, min_len=min_length("secret_key"),
                   as_written=True)


# Database config nodes (Node-RED) whose ``password`` field the driver logs in with as typed,
# and the passwords the database images and installers ship with: typed there, such a word is
# the server's password (a well-known one), not a stand-in for it.
DATABASE_CONFIG_TYPES = frozenset({"MySQLdatabase", "postgreSQLConfig", "mongodb", "mongodb3"})
DEFAULT_PASSWORDS = frozenset({"password", "postgres", "root", "admin", "mysql", "mongo"})


def default_database_password(value: str) -> str | None:
    """A database's well-known default password typed into its config node's password."""
    text = value.strip()
    return text if text.lower() in DEFAULT_PASSWORDS else None


def name_value_pairs(node: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(name, value field, value) of the name/value shapes Node-RED and n8n use, when the
    name says secret: the secret's name is in one field, its value in another."""
    for name, value_key in _pair_fields(node):
        value = node.get(value_key)
        if isinstance(name, str) and isinstance(value, str) and is_secret_name(name):
            yield name, value_key, value


def _pair_fields(node: Mapping[str, Any]) -> Iterator[tuple[Any, str]]:
    if "valueValue" in node and ("keyValue" in node or "keyType" in node):
        # Node-RED http request headers: keyType "other" means the name is in keyValue,
        # otherwise keyType is a predefined header name; valueType "other" is a literal
        key_type = node.get("keyType")
        name = node.get("keyValue") if key_type in (None, "", "other") else key_type
        if node.get("valueType", "other") == "other":
            yield name, "valueValue"
    elif "p" in node and "to" in node and "tot" in node:  # Node-RED change rules
        if node.get("t", "set") in ("set", "change") and node.get("tot") in ("str", ""):
            yield node["p"], "to"
    elif "p" in node and "v" in node:  # Node-RED inject props
        if node.get("vt", "str") in ("str", ""):
            yield node["p"], "v"
    elif ("value" in node and ("name" in node or "key" in node)
          and node.get("type", "str") in ("str", "string", "", None)):
        # n8n header/query/body parameters and Set assignments; Node-RED env entries
        yield node.get("name", node.get("key")), "value"


# -- a condition node comparing what comes in with a literal -----------------------------------
# the same login check as `compared_literals`, built from nodes: a Node-RED switch rule
# (`property: payload.password`, `t: eq`, a string `v`), an n8n If, Filter or Switch
# condition (`leftValue: ={{ $json.body.password }}`, operation equals, a literal
# `rightValue`; version 1's value1/operation/value2)
_EQUALITY = frozenset({"eq", "neq", "equal", "equals", "notequal", "notequals"})
_EXPRESSION_READ = re.compile(
    r"""^=?\s*\{\{\s*[^{}]*?(?:\.|\[\s*["'])(?P<name>[A-Za-z_$][\w$-]*)["']?\]?\s*\}\}\s*$""")


def _expression_name(value: Any) -> str:
    """The property an n8n expression of one read names (``={{ $json.body.password }}`` →
    ``password``); "" for a literal or anything else."""
    if not isinstance(value, str):
        return ""
    m = _EXPRESSION_READ.match(value)
    return m.group("name") if m else ""


def compared_pairs(node: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(name, value field, value) of a condition that compares a secret-named property
    with a literal string, as a switch or an If node writes it."""
    rules, prop = node.get("rules"), node.get("property")
    if isinstance(rules, list) and isinstance(prop, str) and node.get("propertyType",
                                                                       "msg") == "msg":
        name = prop.rsplit(".", 1)[-1]
        for i, rule in enumerate(rules):
            if (isinstance(rule, Mapping) and rule.get("t") in _EQUALITY
                    and rule.get("vt", "str") in ("str", "") and isinstance(rule.get("v"), str)):
                yield name, f"rules[{i}].v", rule["v"]
        return
    for left, right, op_key in (("leftValue", "rightValue", "operator"),
                                ("value1", "value2", "operation")):
        if left not in node or right not in node:
            continue
        operation = node.get(op_key)
        if isinstance(operation, Mapping):
            operation = operation.get("operation")
        if not isinstance(operation, str) or operation.lower() not in _EQUALITY:
            continue
        for read, typed in ((left, right), (right, left)):
            name, value = _expression_name(node.get(read)), node.get(typed)
            if name and isinstance(value, str) and not _expression_name(value) \
                    and "{{" not in value:
                yield name, typed, value


# -- values stored under a generic name that a request sends as its credential ----------------
# a Node-RED mustache read of a message, flow or global property: ``{{key}}``, ``{{{flow.k}}}``
_MUSTACHE_READ = re.compile(
    r"^\{\{\{?[ \t]*(?:(?P<store>msg|flow|global)\.)?"
    r"(?P<path>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)[ \t]*\}?\}\}$")
_READ_TYPES = frozenset({"msg", "flow", "global"})


def sink_credential_names(params: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    """(name, read from global context) of the properties a request step sends as its
    credential: ``key`` of ``url: …?api_key={{key}}`` (a query parameter APIs read as their
    key), and of a secret-named header whose value is read from ``msg``/``flow``/``global``.
    The last segment of a path (``{{flow.neogrid.key}}`` → ``key``), as a change node names
    it; a message or flow property is the tab's own, a global one any tab's."""
    url = params.get("url")
    if isinstance(url, str) and "{{" in url:
        for _, found in urls(Text(url, "text")):
            for part in url_parts(found):
                m = _MUSTACHE_READ.match(part.value)
                if m and part.name.strip().lower() in _QUERY_SECRET_KEYS:
                    yield m.group("path").rsplit(".", 1)[-1], m.group("store") == "global"
    headers = params.get("headers")
    if isinstance(headers, (list, tuple)):
        for header in headers:
            if not isinstance(header, Mapping) or header.get("valueType") not in _READ_TYPES:
                continue
            key_type, value = header.get("keyType"), header.get("valueValue")
            name = header.get("keyValue") if key_type in (None, "", "other") else key_type
            if isinstance(name, str) and isinstance(value, str) and is_secret_name(name):
                yield value.rsplit(".", 1)[-1], header.get("valueType") == "global"


def stored_for_sink(node: Mapping[str, Any], sink_names: frozenset[str],
                    ids: frozenset[str]) -> Iterator[tuple[str, str]]:
    """(value field, secret) of a change rule or an inject property that types a literal
    into a property a request sends as its credential (``sink_names``), under a name that
    says nothing (``flow.key``); the value must look generated, as an API key does (a
    use-based rule: the sink names it, the value is random)."""
    if not sink_names:
        return
    for name, value_key in _pair_fields(node):
        value = node.get(value_key)
        if (not isinstance(name, str) or not isinstance(value, str) or is_secret_name(name)
                or name.rsplit(".", 1)[-1] not in sink_names):
            continue
        secret = literal(value, name="api_key", ids=ids, min_len=16)
        if secret is not None and _GENERATED.match(secret):
            yield value_key, secret


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts
