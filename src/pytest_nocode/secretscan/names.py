"""Names that say their value is a secret: keys, headers, properties, variables.

``is_secret_name`` is the context half of the scanner (a value under ``password`` is judged
as a password) and is also used by the recorder to scrub request bodies. It splits a name
into words (``x-api-key``, ``dbPassword``, ``DB_PASSWORD``) and asks three questions: does a
word name a secret, does the last word say the value is *about* a secret (``tokenUrl``), and
is the name one that platforms use for something public (an AI memory's ``sessionKey``).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["is_secret_name", "min_length", "takes_login_pair", "words_of"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PATH_SPLIT = re.compile(r"[.\[\]'\"]+")

_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "secrets",
    "token", "auth", "authorization", "bearer", "credential", "cookie", "apikey", "apitoken",
    "privatekey", "accesskey", "secretkey", "authkey", "authtoken", "accesstoken", "xauth",
    # vendor credential fields a generic list misses: a gateway's or Wi-Fi pre-shared key,
    # an SNMP community string, a device PIN
    "psk", "presharedkey", "wpakey", "community", "pin", "pincode",
})
# substrings of single lowercase words ("dbpassword", "clientsecret", "x_apikey")
_SECRET_PARTS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey",
                 "secretkey", "authkey", "passphrase", "presharedkey")
# "<qualifier> key" is a secret ("api key", "access key"); "key" alone is not (tls-config
# `key` is a file path, n8n `key` is a Redis key); "session key" is an AI memory's
# conversation id in n8n, not a secret
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "client", "auth", "signing", "sign", "encryption",
    "encrypt", "master", "account", "app", "application", "license", "licence", "subscription",
    "service", "consumer", "developer", "shared", "hmac", "webhook", "write", "admin", "root",
    "storage", "integration", "partner", "merchant", "server", "rest", "jwt", "crypto",
    "cipher", "aes", "x", "preshared", "pre", "wifi", "wpa", "network",
})
# what an ``X-…-Key`` header names when it is not a credential: a request's idempotency or
# dedup key, a cache, sort, partition or routing key, a public key, a trace's correlation
_NOT_KEY_HEADER_WORDS = frozenset({
    "idempotency", "dedup", "dedupe", "deduplication", "cache", "sort", "partition",
    "routing", "public", "trace", "correlation", "lookup", "primary", "foreign", "object",
    "event", "message", "group", "shard", "row", "record", "request", "session", "state",
})
# a name ending like this names something *about* a secret, not the secret itself
_NOT_SECRET_LAST = frozenset({
    "type", "types", "name", "names", "mode", "method", "methods", "url", "uri", "urls",
    "endpoint", "path", "paths", "file", "filename", "files", "dir", "field", "fields", "prop",
    "property", "properties", "location", "header", "headers", "param", "params", "parameter",
    "id", "ids", "length", "len", "size", "ttl", "expiry", "expires", "expiration", "expire",
    "exp", "format", "encoding", "algorithm", "alg", "label", "placeholder", "hint",
    "description", "desc", "policy", "required", "enabled", "enable", "set", "sent", "provided",
    "valid", "regex", "pattern", "version", "strength", "strategy", "scope", "scopes",
    "audience", "issuer", "lifetime", "timeout", "index", "var", "variable", "env", "ref",
    "arn", "region", "host", "server", "port", "manager", "provider", "source", "store",
    "input", "output", "message", "error", "status", "flag", "rule", "rules", "template",
    "prefix", "suffix", "domain", "secure", "samesite", "httponly", "at", "in", "on", "count",
    "hash", "hashed", "digest", "salt", "reset", "changed", "updated", "created", "mapping",
    "column", "columns", "usage", "usages", "number", "nr", "no", "pins", "state",
    "mechanism", "mechanisms", "list",
})
_NOT_SECRET_JOINED_END = ("url", "uri", "type", "name", "field", "path", "file", "header",
                          "mode", "method", "endpoint", "expiry", "expires", "length", "hint",
                          "label", "placeholder", "prefix", "format", "location")
_NOT_SECRET_WORDS = frozenset({
    "public", "publishable", "csrf", "xsrf", "next", "page", "pagination", "cursor",
    "continuation", "max", "min", "num", "total", "limit", "tokenizer", "tokenize", "through",
    "forgot", "show", "confirm", "remember", "is", "has", "use", "no", "bypass", "captcha",
    "gpio", "postman", "secretary", "secretariat",
})
# whole names that platforms use for identifiers: WhatsApp's `flow_token` (set by the
# business to recognise a flow), an n8n AI memory's `sessionKey`, a sync or page cursor
_NOT_SECRET_NAMES = frozenset({
    "flowtoken", "sessionkey", "synctoken", "nexttoken", "pagetoken", "statetoken",
    "verifytoken",
})

# vendors' credential headers that the word rules miss, as their joined words: RapidAPI,
# Azure Functions, Gotify and Adafruit IO keys, Home Assistant's legacy API password, and
# OM2M's originator, which is `login:password` (see takes_login_pair)
_SECRET_NAMES = frozenset({
    "xrapidapikey", "xfunctionskey", "xgotifykey", "xaiokey", "xhaaccess", "xm2morigin",
})
# names whose value is a secret only as `login:password`: the oneM2M originator header is an
# id (`CAdmin`) in the standard, and OM2M's credentials (`admin:admin`) in Eclipse OM2M
_LOGIN_PAIR_NAMES = frozenset({"xm2morigin"})


def words_of(name: str) -> list[str]:
    """``x-api-key`` → [x, api, key]; ``dbPassword`` → [db, password]."""
    return [w for w in _NON_ALNUM.split(_CAMEL.sub("_", name).lower()) if w]


@lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """Whether a key, header, property or variable name says its value is a secret."""
    if not name or len(name) > 80:
        return False
    if any(c in name for c in ".[]"):  # a property path: its last segment names the value
        parts = [p for p in _PATH_SPLIT.split(name) if p]
        name = parts[-1] if parts else ""
    words = words_of(name)
    if not words:
        return False
    joined = "".join(words)
    if joined in _SECRET_NAMES:
        return True
    if joined in _NOT_SECRET_NAMES or words[0] == "your" or words[-1] == "here":
        return False  # a public identifier, or a template's stand-in (YOUR_CREDENTIAL_HERE)
    if words[-1] in _NOT_SECRET_LAST or joined.endswith(_NOT_SECRET_JOINED_END):
        return False
    if any(w in _NOT_SECRET_WORDS for w in words):
        return False
    for i, word in enumerate(words):
        if word in _SECRET_WORDS or any(part in word for part in _SECRET_PARTS):
            return True
        if word == "key" and i and words[i - 1] in _KEY_QUALIFIERS:
            return True
    # a custom ``X-<purpose>-Key`` header (X-Cron-Key, X-Master-Key, X-Tenant-Key) carries a
    # key the receiving service checks, whatever its purpose word, unless that word names a
    # key of another kind (an idempotency or cache key)
    return len(words) >= 3 and words[0] == "x" and words[-1] == "key" \
        and not any(w in _NOT_KEY_HEADER_WORDS for w in words[1:-1])


def takes_login_pair(name: str) -> bool:
    """Whether ``name``'s value is a secret only in the ``login:password`` shape (OM2M's
    ``X-M2M-Origin``); a property path is judged by its last segment."""
    if not name or len(name) > 80:
        return False
    last = [p for p in _PATH_SPLIT.split(name) if p][-1:] or [""]
    return "".join(words_of(last[0])) in _LOGIN_PAIR_NAMES


def min_length(name: str) -> int:
    """Passwords and PINs may be short ("admin", "4711"); a token shorter than 6 is not."""
    low = name.lower()
    return 4 if any(w in low for w in ("pass", "pwd", "secret", "pin", "psk",
                                       "community")) else 6
