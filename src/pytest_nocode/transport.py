"""HTTP to live apps: one client per app, pinned to that app's own scheme, host and port.

Why a client of our own rather than bare ``requests`` calls in each adapter:

- credentials (taken only from the environment) are attached to a request only when its URL
  is on the app's own origin; absolute URLs, redirects and pagination links that point
  elsewhere are refused, so a hostile or misconfigured server cannot make us leak them;
- every request has a timeout, and transient failures (429, 502, 503, 504, broken
  connections) are retried with exponential backoff and ``Retry-After``, bounded in count and
  in total time, so a scan neither hangs nor gives up on a blip;
- every failure ends as one :class:`~pytest_nocode.errors.FetchError` line naming the
  endpoint, so the checks of that app error (fail closed) instead of passing on partial data;
- no credential ever appears in an exception message, a log line or a ``repr``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from pytest_nocode.appspec import CREDENTIAL_VARIABLES, AppSpec, credential_hint
from pytest_nocode.errors import FetchError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = (requests.ConnectionError, requests.Timeout,
              requests.exceptions.ChunkedEncodingError)
_URL_LIKE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RecordingOptions:
    """Whether live apps' traffic is recorded (the vcrpy record mode) and where cassettes are.

    Here beside :class:`TransportOptions`, not in ``recording.py``: the run reads it at
    start-up, and importing it must not import vcrpy for runs that fetch nothing live."""

    mode: str | None  # None: live fetch, nothing recorded
    cassette_dir: Path


@dataclass(frozen=True)
class TransportOptions:
    """Timeouts and retry bounds; the defaults suit a scan in CI."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 4  # retries after the first attempt
    max_retry_time: float = 60.0  # seconds spent on one request, waits included
    backoff: float = 0.5  # first wait; doubles on each retry
    max_backoff: float = 15.0
    max_redirects: int = 5  # same-origin redirects followed
    max_pages: int = 10_000
    accept_encoding: str = "gzip, deflate"


    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TransportOptions:
        """Defaults, overridden by ``NOCODE_HTTP_CONNECT_TIMEOUT``, ``NOCODE_HTTP_READ_TIMEOUT``
        (seconds), ``NOCODE_HTTP_RETRIES`` (count) and ``NOCODE_HTTP_RETRY_BUDGET`` (seconds)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for var, name, kind in (("NOCODE_HTTP_CONNECT_TIMEOUT", "connect_timeout", float),
                                ("NOCODE_HTTP_READ_TIMEOUT", "read_timeout", float),
                                ("NOCODE_HTTP_RETRIES", "max_retries", int),
                                ("NOCODE_HTTP_RETRY_BUDGET", "max_retry_time", float)):
            text = env.get(var, "").strip()
            if not text:
                continue
            try:
                values[name] = kind(text)
            except ValueError:
                raise FetchError(f"{var}={text!r}: expected a number") from None
            if values[name] < 0:
                raise FetchError(f"{var}={text!r}: expected a number >= 0")
        return cls(**values)


class HttpStatusError(FetchError):
    """The app answered with an error status; ``status`` lets callers treat optional parts."""

    def __init__(self, message: str, status: int, endpoint: str, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint
        self.detail = detail  # the server's own short explanation, credentials scrubbed


class CredentialsRejected(HttpStatusError):
    """401 (or a refused login): the credentials from the environment are wrong or missing."""


class NotPermitted(HttpStatusError):
    """403: the credentials are valid but may not read this part (often a license limit)."""


class Credentials:
    """Credential values from the environment. Never shown: ``repr`` names variables only."""

    __slots__ = ("_values", "platform")

    def __init__(self, platform: str, values: Mapping[str, str]) -> None:
        self.platform = platform
        self._values = {k: v for k, v in values.items() if v}

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def secret_values(self) -> list[str]:
        """The values that are secrets (user names are not)."""
        return [v for k, v in self._values.items() if not k.endswith("USERNAME")]

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        names = ", ".join(f"{name}=<set>" for name in sorted(self._values))
        return f"Credentials({self.platform}: {names or 'none'})"

    @classmethod
    def from_env(cls, platform: str, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        names = CREDENTIAL_VARIABLES.get(platform, ())
        return cls(platform, {name: env.get(name, "").strip() for name in names})


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port: what credentials are pinned to."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def of(cls, url: str) -> Origin:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return cls("", "", None)
        scheme = parts.scheme.lower()
        return cls(scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + (f":{self.port}" if self.port else "")


def _display(url: str) -> str:
    """An origin for messages: no user info, path, query or fragment."""
    return str(Origin.of(url)) if Origin.of(url).host else "(invalid URL)"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """Implements the adapters' ``Fetcher`` protocol over one ``requests.Session``.

    ``path`` arguments are relative to the app's base URL (``/flows``); an absolute URL is
    accepted only on the app's own origin.
    """

    def __init__(self, base_url: str, *, platform: str = "",
                 credentials: Credentials | None = None,
                 options: TransportOptions | None = None,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = Origin.of(self.base_url)
        if self.origin.scheme not in ("http", "https") or not self.origin.host:
            raise FetchError(f"{_display(base_url)}: not an http(s) base URL")
        self.platform = platform
        self.credentials = credentials or Credentials(platform, {})
        self.options = options or TransportOptions()
        self.session = session or self._new_session()
        self._sleep = sleep
        self._clock = clock
        self._auth: dict[str, str] = {}
        self._auth_source = ""
        self.requests_sent = 0

    def _new_session(self) -> requests.Session:
        """A session that reads proxy and CA settings from the environment once, not on every
        request (requests re-scans the environment each time), and never reads ~/.netrc."""
        session = requests.Session()
        session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
        session.trust_env = False
        return session

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r}, auth={'set' if self._auth else 'none'})"

    # -- credentials -------------------------------------------------------------------------
    @property
    def host(self) -> str:
        """``host:port`` of the app, for messages."""
        return str(self.origin).split("://", 1)[1]

    def set_auth_header(self, name: str, value: str, source: str = "") -> None:
        """A header sent with every request to the app's origin, and nowhere else.

        ``source`` names the variable(s) it came from, for the message when it is rejected.
        """
        self._auth[name] = value
        if source:
            self._auth_source = source

    @property
    def has_auth(self) -> bool:
        return bool(self._auth)

    def credential_hint(self) -> str:
        return credential_hint(self.platform) if self.platform else "the credentials"

    def _scrub(self, text: str) -> str:
        for value in [*self._auth.values(), *self.credentials.secret_values()]:
            for part in (value, value.split(" ", 1)[-1]):
                if len(part) >= 4:
                    text = text.replace(part, "***")
        return text

    # -- URLs --------------------------------------------------------------------------------
    def url_for(self, path: str) -> str:
        """The absolute URL of ``path``; anything off the app's origin is refused."""
        if _URL_LIKE.match(path):
            url = urljoin(self.base_url + "/", path)
            if Origin.of(url) != self.origin:
                raise FetchError(f"refused a request to {_display(url)}: {self.host} may only "
                                 f"send us to its own origin ({self.origin}); credentials are "
                                 "never sent elsewhere")
            return url
        return f"{self.base_url}/{path.lstrip('/')}"

    def _endpoint(self, method: str, url: str) -> str:
        path = urlsplit(url).path or "/"
        base_path = urlsplit(self.base_url).path
        if base_path and path.startswith(base_path):
            path = path[len(base_path):] or "/"
        return f"{method} {path}"

    # -- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None, data: Mapping[str, str] | str | None = None,
                headers: Mapping[str, str] | None = None) -> requests.Response:
        """One request with retries and same-origin redirects; errors become FetchError."""
        url = self.url_for(path)
        endpoint = self._endpoint(method, url)
        for _hop in range(self.options.max_redirects + 1):
            response = self._send_with_retries(method, url, endpoint, params=params,
                                               json_body=json_body, data=data, headers=headers)
            if response.status_code not in REDIRECT_STATUSES:
                return self._check_status(response, endpoint)
            target = urljoin(url, response.headers.get("Location", ""))
            if Origin.of(target) != self.origin:
                raise FetchError(f"{endpoint}: {self.host} redirected to another origin "
                                 f"({_display(target)}); refused, credentials are only sent "
                                 f"to {self.origin}")
            if response.status_code == 303 or (response.status_code in (301, 302)
                                               and method != "GET"):
                method, json_body, data = "GET", None, None
            url, params = target, None
        raise FetchError(f"{endpoint}: more than {self.options.max_redirects} redirects "
                         f"at {self.host}")

    def _send_with_retries(self, method: str, url: str, endpoint: str, **kwargs: Any
                           ) -> requests.Response:
        opts = self.options
        started = self._clock()
        attempt = 0
        while True:
            failure: str
            wait: float | None = None
            try:
                response = self._send(method, url, **kwargs)
            except _TRANSIENT as exc:
                failure = self._describe(exc)
            except requests.RequestException as exc:  # not worth retrying: a bad URL, …
                raise FetchError(f"{endpoint}: request to {self.host} failed "
                                 f"({type(exc).__name__})") from None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                failure = f"answered {response.status_code}"
                wait = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
            if wait is None:
                wait = min(opts.max_backoff, opts.backoff * (2 ** attempt))
            elapsed = self._clock() - started
            if attempt >= opts.max_retries:
                raise FetchError(f"{endpoint}: {self.host} {failure} "
                                 f"(gave up after {attempt + 1} attempts)")
            if elapsed + wait > opts.max_retry_time:
                raise FetchError(f"{endpoint}: {self.host} {failure}; retrying in {wait:.0f} s "
                                 f"would exceed the {opts.max_retry_time:.0f} s budget")
            log.info("%s: %s %s, retry %d in %.1f s", self.host, endpoint, failure,
                     attempt + 1, wait)
            self._sleep(wait)
            attempt += 1

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None,
              json_body: Any, data: Mapping[str, str] | str | None,
              headers: Mapping[str, str] | None) -> requests.Response:
        merged = {"Accept": "application/json", "Accept-Encoding": self.options.accept_encoding,
                  "User-Agent": "pytest-nocode"}
        merged.update(headers or {})
        if Origin.of(url) == self.origin:  # checked again: the one place auth is attached
            merged.update(self._auth)
        self.requests_sent += 1
        response = self.session.request(
            method, url, params=params, json=json_body, data=data, headers=merged,
            timeout=(self.options.connect_timeout, self.options.read_timeout),
            allow_redirects=False, stream=False)
        log.debug("%s %s -> %s", method, urlsplit(url).path, response.status_code)
        return response

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, requests.ConnectTimeout):
            return f"did not accept a connection within {self.options.connect_timeout:g} s"
        if isinstance(exc, requests.ReadTimeout):
            return f"did not answer within {self.options.read_timeout:g} s"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "sent a truncated response"
        if isinstance(exc, requests.exceptions.SSLError):
            return "failed the TLS handshake (certificate not trusted?)"
        return "could not be reached (connection refused or reset)"

    def _server_message(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if not isinstance(body, dict):
            return ""
        text = next((body[k] for k in ("message", "error_description", "error")
                     if isinstance(body.get(k), str)), "")
        return self._scrub(text)[:200]

    def _check_status(self, response: requests.Response, endpoint: str) -> requests.Response:
        status = response.status_code
        if status < 400:
            return response
        detail = self._server_message(response)
        said = f": {detail}" if detail else ""
        if status == 401:
            if self.has_auth:
                raise CredentialsRejected(
                    f"credentials rejected by {self.host} ({endpoint} answered 401): "
                    f"check {self._auth_source or self.credential_hint()}", status, endpoint)
            raise CredentialsRejected(
                f"{self.host} requires credentials ({endpoint} answered 401): set "
                f"{self.credential_hint()} in the environment", status, endpoint)
        if status == 403:
            raise NotPermitted(f"{endpoint}: not permitted at {self.host} (403){said}",
                               status, endpoint, detail)
        if status == 404:
            raise HttpStatusError(f"{endpoint}: not found at {self.host} (404); is this a "
                                  f"{self.platform or 'supported'} server and the right base "
                                  "URL?", status, endpoint, detail)
        raise HttpStatusError(f"{endpoint}: {self.host} answered {status}{said}",
                              status, endpoint, detail)

    # -- JSON --------------------------------------------------------------------------------
    def _json(self, response: requests.Response, endpoint: str, expect: type | tuple[type, ...]
              | None) -> Any:
        body = response.content
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) != len(body) \
                and not response.headers.get("Content-Encoding"):
            raise FetchError(f"{endpoint}: truncated response from {self.host} "
                             f"({len(body)} of {declared} bytes)")
        try:
            value = json.loads(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise FetchError(f"{endpoint}: {self.host} sent a body that is not UTF-8 "
                             "JSON") from None
        except json.JSONDecodeError as exc:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise FetchError(f"{endpoint}: invalid or truncated JSON from {self.host} "
                             f"({kind}, {len(body)} bytes; {exc.msg} at line {exc.lineno} "
                             f"column {exc.colno})") from None
        if expect is not None and not isinstance(value, expect):
            raise FetchError(f"{endpoint}: unexpected response from {self.host}: expected "
                             f"{_kind(expect)}, got {_kind(type(value))}")
        return value

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None,
                 expect: type | tuple[type, ...] | None = None) -> Any:
        """GET ``path`` and parse JSON; ``expect`` checks the top-level type."""
        response = self.request("GET", path, params=params, headers=headers)
        return self._json(response, self._endpoint("GET", self.url_for(path)), expect)

    def post_json(self, path: str, body: Any = None, *,
                  form: Mapping[str, str] | None = None,
                  headers: Mapping[str, str] | None = None,
                  expect: type | tuple[type, ...] | None = None) -> Any:
        """POST a JSON ``body`` (or a ``form``) to ``path`` and parse the JSON answer."""
        response = self.request("POST", path, json_body=body if form is None else None,
                                data=form, headers=headers)
        return self._json(response, self._endpoint("POST", self.url_for(path)), expect)

    def get_pages(self, path: str, *, params: Mapping[str, Any] | None = None,
                  items_key: str = "data", cursor_key: str = "nextCursor",
                  cursor_param: str = "cursor") -> list[Any]:
        """Every item of a cursor-paged list (n8n: ``{"data": [...], "nextCursor": …}``).

        A cursor that is a URL is followed only on the app's own origin; a cursor seen twice
        (a server that loops) or more than ``max_pages`` pages end in FetchError.
        """
        endpoint = self._endpoint("GET", self.url_for(path))
        items: list[Any] = []
        seen: set[str] = set()
        target, query = path, dict(params or {})
        for _page in range(self.options.max_pages):
            body = self.get_json(target, params=query or None, expect=dict)
            page = body.get(items_key)
            if not isinstance(page, list):
                raise FetchError(f"{endpoint}: unexpected response from {self.host}: expected "
                                 f"an object with a {items_key!r} list")
            items.extend(page)
            cursor = body.get(cursor_key)
            if cursor is None or cursor == "":
                return items
            if not isinstance(cursor, str):
                raise FetchError(f"{endpoint}: unexpected {cursor_key} from {self.host}: "
                                 f"expected a string, got {_kind(type(cursor))}")
            if cursor in seen:
                raise FetchError(f"{endpoint}: {self.host} returned the same {cursor_key} "
                                 "twice; stopped to avoid a loop")
            seen.add(cursor)
            if _URL_LIKE.match(cursor):
                target, query = self.url_for(cursor), {}  # refuses other origins
            else:
                target, query = path, {**(params or {}), cursor_param: cursor}
        raise FetchError(f"{endpoint}: more than {self.options.max_pages} pages at {self.host}")

    def close(self) -> None:
        self.session.close()


def _kind(types: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number", bool: "true/false", type(None): "null"}
    if isinstance(types, tuple):
        return " or ".join(names.get(t, t.__name__) for t in types)
    return names.get(types, types.__name__)


def client_for(spec: AppSpec, *, environ: Mapping[str, str] | None = None,
               options: TransportOptions | None = None,
               session: requests.Session | None = None) -> HttpClient:
    """A client for a live app, with its credentials read from the environment."""
    return HttpClient(spec.location, platform=spec.platform,
                      credentials=Credentials.from_env(spec.platform, environ),
                      options=options or TransportOptions.from_env(environ), session=session)


def credential_values(platforms: Iterable[str] = CREDENTIAL_VARIABLES,
                      environ: Mapping[str, str] | None = None) -> list[str]:
    """Every credential value set in the environment (for scrubbing and leak checks)."""
    out = []
    for platform in platforms:
        out.extend(Credentials.from_env(platform, environ).secret_values())
    return out
