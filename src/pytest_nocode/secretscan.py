"""Finding secret values written into an app's configuration.

Two kinds of evidence are combined, because neither is enough alone in JSON node configs:

* **Patterns** (detect-secrets' regex plugins: AWS, GitHub, Slack, Stripe, private keys, JWT,
  Twilio, SendGrid, …) recognise a token by its shape, wherever it sits.
* **Context rules** (ours) recognise a secret by where it sits: a value under a key that names
  a secret (``password``, ``apiKey``, ``Authorization`` …), a Node-RED header or ``change``
  rule, an n8n ``{name, value}`` parameter, a string literal assigned to ``apiKey`` in code,
  user info or ``?api_key=`` in a URL. Their job is to stay quiet on what only looks like a
  secret: references to the environment or to message data, n8n expressions, placeholders,
  ids, digests, timestamps and embedded images.

The scan is memoized per :class:`~pytest_nocode.model.App` instance: the loader calls it to
teach the run's redactor the values, and the ``SEC001`` check calls it again.
"""

from __future__ import annotations

import base64
import binascii
import re
import weakref
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pytest_nocode import placeholders
from pytest_nocode.model import App, Step

__all__ = ["CRITICAL_KINDS", "SecretHit", "find_secrets", "is_secret_name", "scan_text"]


@dataclass(frozen=True)
class SecretHit:
    step_id: str
    field: str  # where in the step's params, e.g. "headers[0].valueValue", "func:line 12"
    kind: str  # what it looks like: "AWS Access Key", "Password in URL", …
    value: str  # the secret itself: never shown, only used to mask


# -- kinds ------------------------------------------------------------------------------------
KIND_KEYWORD = "Secret keyword"
KIND_URL_PASSWORD = "Password in URL"
KIND_URL_TOKEN = "Token in URL"
KIND_URL_QUERY = "Secret in URL query"
KIND_BEARER = "Bearer token"
KIND_BASIC = "Basic auth header"
KIND_WEBHOOK = "Webhook URL with token"
KIND_CLI = "Password on command line"
# kinds the URL rule reports, at "<field> (user info)" or "<field> (query <name>)"
_URL_KINDS = frozenset({KIND_URL_PASSWORD, KIND_URL_TOKEN, KIND_URL_QUERY})

# Keys that reach cloud accounts, sign as the owner, move money or publish code: a leak is an
# incident, not a smell.
CRITICAL_KINDS = frozenset({
    "Private Key",
    "AWS Access Key",
    "Azure Storage Account access key",
    "IBM Cloud IAM Key",
    "IBM COS HMAC Credentials",
    "SoftLayer Credentials",
    "Stripe Access Key",
    "Square OAuth Secret",
    "GitHub Token",
    "GitLab Token",
    "PyPI Token",
})

# When one value at one place is found by several rules, the most specific name wins.
_KIND_RANK: Mapping[str, int] = {KIND_KEYWORD: 0, KIND_BEARER: 1, KIND_BASIC: 1, KIND_CLI: 1,
                                 KIND_URL_QUERY: 2, KIND_URL_TOKEN: 2, KIND_URL_PASSWORD: 2,
                                 KIND_WEBHOOK: 2}
_DETECTOR_RANK = 3

# detect-secrets plugins we leave out: public IPs are not secrets; Basic-auth URLs are our
# URL rule (which knows placeholders and templating); entropy and keyword plugins are not
# regex plugins and are replaced by the context rules below.
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "BasicAuthDetector"})


class _ExtraDetector:
    """A token shape detect-secrets 1.5 lacks, with the plugin interface we call."""

    def __init__(self, kind: str, pattern: str) -> None:
        self.secret_type = kind
        self.denylist = (re.compile(pattern),)

    def analyze_string(self, string: str) -> Iterator[str]:
        for regex in self.denylist:
            yield from regex.findall(string)


_EXTRA_DETECTORS = (
    _ExtraDetector("Google API Key", r"AIza[0-9A-Za-z_\-]{35}"),
    _ExtraDetector("GitHub Token", r"github_pat_[0-9A-Za-z_]{60,}"),
    _ExtraDetector("OpenAI Token", r"sk-(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{40,}"),
    _ExtraDetector("Anthropic API Key", r"sk-ant-(?:api|admin)\d\d-[0-9A-Za-z_\-]{80,}"),
)


# -- names that say "secret" ------------------------------------------------------------------
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "secrets",
    "token", "auth", "authorization", "bearer", "credential", "cookie", "apikey", "apitoken",
    "privatekey", "accesskey", "secretkey", "authkey", "authtoken", "accesstoken", "xauth",
})
# substrings of single lowercase words ("dbpassword", "clientsecret", "x_apikey")
_SECRET_PARTS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey",
                 "secretkey", "authkey", "passphrase")
# "<qualifier> key" is a secret ("api key", "access key"); "key" alone is not (tls-config
# `key` is a file path, n8n `key` is a Redis key)
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "client", "auth", "signing", "sign", "encryption",
    "encrypt", "master", "account", "app", "application", "license", "licence", "subscription",
    "service", "consumer", "developer", "shared", "hmac", "webhook", "write", "admin", "root",
    "storage", "integration", "partner", "merchant", "server", "rest", "jwt", "session",
    "crypto", "cipher", "aes", "x",
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
    "hash", "hashed", "digest", "salt", "reset", "changed", "updated", "created",
})
_NOT_SECRET_JOINED_END = ("url", "uri", "type", "name", "field", "path", "file", "header",
                          "mode", "method", "endpoint", "expiry", "expires", "length", "hint",
                          "label", "placeholder", "prefix", "format", "location")
_NOT_SECRET_WORDS = frozenset({
    "public", "publishable", "csrf", "xsrf", "next", "page", "pagination", "cursor",
    "continuation", "max", "min", "num", "total", "limit", "tokenizer", "tokenize", "through",
    "forgot", "show", "confirm", "remember", "is", "has", "use", "no", "bypass", "captcha",
})


_PATH_SPLIT = re.compile(r"[.\[\]'\"]+")


@lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """Whether a key, header, property or variable name says its value is a secret."""
    if not name or len(name) > 80:
        return False
    if any(c in name for c in ".[]"):  # a property path: its last segment names the value
        parts = [p for p in _PATH_SPLIT.split(name) if p]
        name = parts[-1] if parts else ""
    words = [w for w in _NON_ALNUM.split(_CAMEL.sub("_", name).lower()) if w]
    if not words:
        return False
    joined = "".join(words)
    if words[-1] in _NOT_SECRET_LAST or joined.endswith(_NOT_SECRET_JOINED_END):
        return False
    if any(w in _NOT_SECRET_WORDS for w in words):
        return False
    for i, word in enumerate(words):
        if word in _SECRET_WORDS or any(part in word for part in _SECRET_PARTS):
            return True
        if word == "key" and i and words[i - 1] in _KEY_QUALIFIERS:
            return True
    return False


# -- values that are not literal secrets ------------------------------------------------------
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}|<%.*?%>", re.S)
_AUTH_SCHEME = re.compile(
    r"(?i)^(?:bearer|basic|token|digest|apikey|api-key|key|sso-key|hmac|splunk|ghp|"
    r"sharedaccesssignature|klaviyo-api-key|dsn)[ \t]+")
_REFERENCE = re.compile(
    r"""(?x)^(?:
        (?:process\.env|env|\$env|\$vars|\$secrets|os\.environ|msg|flow|global|context|
           \$json|\$node|\$input|\$item|\$binary|\$parameter|\$workflow|\$execution|secrets|
           vars|credentials|\$credentials)(?:\b|(?=[.\[(]))[.\[(].*
      | os\.getenv\(.*
      | \$\(.*
      | \$[A-Za-z_][A-Za-z0-9_]*
      | %[A-Za-z_][A-Za-z0-9_]*%
      | \{[A-Za-z_][\w.-]*\}
      | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+        # an environment variable's NAME
    )$""")
_MASKED = re.compile(r"(?i)^[\s*xX•·#._\-?]+$|\*{3}|•{2}|x{4,}|^<[^<>]*>$|^\[[^\[\]]*\]$")
_PLACEHOLDER_WORDS = frozenset({
    "replaceme", "replacethis", "todo", "tbd", "fixme", "placeholder", "redacted", "removed",
    "hidden", "masked", "notset", "unset", "none", "null", "nil", "undefined", "na", "empty",
    "example", "sample", "value", "string", "pwrd",
})
_PLACEHOLDER_START = ("your", "replace", "insert", "paste")
_ENUM_WORDS = frozenset({
    "basic", "bearer", "digest", "none", "null", "true", "false", "yes", "no", "on", "off",
    "oauth", "oauth1", "oauth2", "apikey", "api_key", "header", "headerauth", "basicauth",
    "jwtauth", "queryauth", "httpheaderauth", "httpbasicauth", "httpqueryauth", "query", "body",
    "cookie", "jwt", "ntlm", "aws", "hmac", "custom", "generic", "genericcredentialtype",
    "predefinedcredentialtype", "credentials", "str", "msg", "env", "flow", "global", "json",
    "other", "required", "optional", "enabled", "disabled", "default", "auto", "token", "user",
    "client_credentials", "authorization_code", "implicit", "pkce", "manual", "cred",
})
_HASHED = re.compile(r"^(?:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$(?:argon2\w*|pbkdf2[\w-]*|"
                     r"scrypt|[156])\$.+|\{(?:S?SHA\d*|BCRYPT|PBKDF2)\}.+)$")
_PATH = re.compile(r"(?i)^(?:[a-z]:\\|(?:~|\.{1,2})?/(?:etc|home|usr|var|opt|data|run|tmp|srv|"
                   r"mnt|root|certs?|secrets?|config|app|users?)/)|"
                   r"^[\w./\\~:-]+\.(?:pem|key|crt|cer|der|p12|pfx|jks|json|txt|pub|ppk|"
                   r"keystore|ya?ml|env)$")
_TIMESTAMP = re.compile(r"^(?:\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?"
                        r"(?:Z|[+-]\d\d:?\d\d)?)?|1\d{9}(?:\d{3})?)$")
_URLISH = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")


def _literal(value: str, *, min_len: int = 4, ids: frozenset[str] = frozenset()) -> str | None:
    """The secret part of a configured value, or None when it is not a literal secret.

    Strips n8n's ``=`` expression marker, ``{{ … }}``/``${…}`` templating and an auth scheme
    (``Bearer …``); what remains must not be a reference, placeholder, id, path or hash.
    """
    text = value.strip()
    if text.startswith("="):
        text = text[1:].strip()
    if not text or text.startswith("data:"):
        return None
    if "{" in text or "$" in text or "<%" in text:
        segments = [s.strip() for s in _TEMPLATE.split(text)]
        if len(segments) > 1:
            # a literal glued to templating ("Bearer {{token}}", "{{a}}:{{b}}") keeps only
            # its longest literal piece, and only when that piece stands on its own
            segments = [s for s in segments if s]
            if not segments:
                return None
            text = max(segments, key=len)
    m = _AUTH_SCHEME.match(text)
    if m:
        text = text[m.end():].strip()
    text = text.strip("\"'` ")
    if text[:1] in "+," or text[-1:] in "+,":  # a piece of a concatenation, not a value
        return None
    if len(text) < min_len or len(text) > 20000:
        return None
    if any(c.isspace() for c in text):  # prose, a sentence, a command line
        return None
    low = text.lower()
    if low in _ENUM_WORDS or text in ids:
        return None
    if _REFERENCE.match(text) or _MASKED.search(text) or _HASHED.match(text):
        return None
    if _URLISH.match(text) or _PATH.match(text) or _TIMESTAMP.match(text):
        return None
    norm = _NON_ALNUM.sub("", low)
    if (norm in _PLACEHOLDER_WORDS or text.startswith(("__PWRD__", "__n8n_BLANK_VALUE"))
            or (norm.isalpha() and (norm.startswith(_PLACEHOLDER_START)
                                    or norm.endswith("here")))):
        return None
    return text


# -- detect-secrets' regex plugins ------------------------------------------------------------
# Running ~45 plugin patterns (or their union: Python's re tries every branch at every
# position) over each string is what makes a naive scan slow. Each pattern is therefore
# reduced to literals every match must contain (read from the compiled pattern's parse tree),
# and one trigger regex made of those literals tells, in one C-level pass, whether any plugin
# can match at all. Only then are the plugins whose literals are present searched.

# Necessary condition of detect-secrets' `build_assignment_regex` shape (IBM, Cloudant,
# SoftLayer): a keyword, optional quote/bracket, an assignment, then a value of >= 24
# characters of [a-z0-9_-]. Tested on the lower-cased text.
_ASSIGNMENT_GATE = r"(?:key|pw|pass|token)[\"']?\]? *(?:=>|:=|::|[=:]| ) *[\"']?[a-z0-9_\-]{24}"
_ASSIGNMENT_SIGNATURE = r"(?:(?<=\W)|(?<=^))"
_MIN_TRIGGER = 3  # a literal shorter than this is no filter: the pattern is its own trigger


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    gates: tuple[tuple[str, ...], ...]  # every match contains one literal of each tuple
    folded: bool  # gates are lower-case (IGNORECASE pattern): test them on the lowered text
    assignment: bool  # build_assignment_regex-shaped: must also pass _ASSIGNMENT_GATE

    def may_match(self, text: str, low: str, assignment_gate: re.Pattern[str]) -> bool:
        hay = low if self.folded else text
        for alternatives in self.gates:
            if not any(a in hay for a in alternatives):
                return False
        return not self.assignment or assignment_gate.search(low) is not None


@dataclass(frozen=True)
class _Detectors:
    trigger: re.Pattern[str]  # strong literals, on the text: some `strong` pattern may match
    trigger_folded: re.Pattern[str] | None  # the same for IGNORECASE patterns, lowered text
    assignment_gate: re.Pattern[str]
    strong: tuple[_Pattern, ...]  # searched only when a trigger fires
    weak_trigger: re.Pattern[str]  # short literals (`AC`, `gh`): some `weak` may match
    weak: tuple[_Pattern, ...]
    solo: tuple[_Pattern, ...]  # one-character literals (`.`, `:`): gated one by one
    plugins: tuple[tuple[str, Any], ...]  # (secret_type, plugin instance), to name a match

    def candidates(self, text: str, low: str) -> list[int]:
        """Start offsets of plugin matches in ``text`` (``low`` is it lower-cased); empty for
        most strings, and fast."""
        gate = self.assignment_gate
        found = [m.start() for p in self.solo if p.may_match(text, low, gate)
                 for m in p.regex.finditer(text)]
        if self.weak_trigger.search(text) is not None:
            found += [m.start() for p in self.weak if p.may_match(text, low, gate)
                      for m in p.regex.finditer(text)]
        if self.trigger.search(text) is not None or (
                self.trigger_folded is not None and self.trigger_folded.search(low)):
            found += [m.start() for p in self.strong if p.may_match(text, low, gate)
                      for m in p.regex.finditer(text)]
        return found


def _scoped(pattern: re.Pattern[str]) -> str:
    flags = "".join(letter for flag, letter in ((re.IGNORECASE, "i"), (re.VERBOSE, "x"),
                                                (re.DOTALL, "s"), (re.MULTILINE, "m"))
                    if pattern.flags & flag)
    return f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})"


def _required_literals(pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
    """Literals every match of ``pattern`` contains, as a list of any-of tuples.

    Reads the top level of the parse tree only (literal runs, groups, alternations whose
    every branch starts with a literal); anything it does not understand adds no condition,
    so the result is always a necessary condition. Empty when the parser is unavailable.
    """
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
        tree = parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a different Python's private API: no gates, never wrong
        return []

    def prefix(seq: Any) -> str:
        out = ""
        for op, av in seq:
            if op is not c.LITERAL:
                break
            out += chr(av)
        return out

    def branch(alternatives: Any) -> list[tuple[str, ...]]:
        heads = tuple(prefix(alt) for alt in alternatives)
        return [heads] if all(heads) else []

    def walk(seq: Any) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        run = ""
        for op, av in seq:
            if op is c.LITERAL:
                run += chr(av)
                continue
            if run:
                found.append((run,))
                run = ""
            if op is c.SUBPATTERN:
                inner = av[3]
                if len(inner.data) == 1 and inner.data[0][0] is c.BRANCH:
                    found += branch(inner.data[0][1][1])
                else:
                    found += walk(inner.data)
            elif op is c.BRANCH:
                found += branch(av[1])
        if run:
            found.append((run,))
        return found

    literals = walk(tree.data)
    if pattern.flags & re.IGNORECASE:
        literals = [tuple(a.lower() for a in alts) for alts in literals]
    return literals


@lru_cache(maxsize=1)
def _detectors() -> _Detectors:
    """detect-secrets' regex plugins, instantiated once, with their trigger.

    Only plugins deriving from ``RegexBasedDetector`` are used: their ``analyze_string`` is
    pure (no settings, no network verification) and their ``denylist`` gives the triggers.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    plugins: list[tuple[str, Any]] = []
    strong: list[_Pattern] = []
    weak: list[_Pattern] = []
    solo: list[_Pattern] = []
    cased: set[str] = set()
    weak_literals: set[str] = set()
    folded: set[str] = set()
    chosen: list[tuple[str, Any]] = [
        (kind, cls()) for kind, cls in sorted(get_mapping_from_secret_type_to_class().items())
        if issubclass(cls, RegexBasedDetector) and cls.__name__ not in _SKIPPED_PLUGINS]
    chosen += [(extra.secret_type, extra) for extra in _EXTRA_DETECTORS]
    for kind, plugin in chosen:
        plugins.append((kind, plugin))
        for regex in plugin.denylist:
            gates = tuple(_required_literals(regex))
            is_folded = bool(regex.flags & re.IGNORECASE)
            assignment = regex.pattern.startswith(_ASSIGNMENT_SIGNATURE)
            pattern = _Pattern(kind, regex, gates, is_folded, assignment)
            best = max(gates, key=lambda alts: min(map(len, alts)), default=())
            if assignment:
                folded.add(_ASSIGNMENT_GATE)
            elif best and min(map(len, best)) >= _MIN_TRIGGER:
                (folded if is_folded else cased).update(re.escape(a) for a in best)
            elif best and not is_folded and min(map(len, best)) > 1:
                weak_literals.update(re.escape(a) for a in best)
                weak.append(pattern)
                continue
            else:
                solo.append(pattern)
                continue
            strong.append(pattern)

    def union(parts: set[str]) -> str:
        return "|".join(sorted(parts, key=lambda p: (-len(p), p)))

    return _Detectors(re.compile(union(cased) or "(?!)"),
                      re.compile(union(folded)) if folded else None,
                      re.compile(_ASSIGNMENT_GATE), tuple(strong),
                      re.compile(union(weak_literals) or "(?!)"), tuple(weak), tuple(solo),
                      tuple(plugins))


_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-]")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


_NAMED_MATCH = re.compile(r"^[A-Za-z]+=")


def _widen(line: str, found: str) -> str:
    """The whole secret of a pattern match: to the end of the token (Stripe's regex stops at
    24 characters and the redactor must mask all of it), without a ``Name=`` the pattern
    includes (Azure's ``AccountKey=``). Never leftwards: ``…/bot<telegram token>``."""
    start = line.find(found)
    if start < 0:
        return found
    end = start + len(found)
    while end < len(line) and _TOKEN_CHAR.match(line[end]):
        end += 1
    value = line[start:end]
    named = _NAMED_MATCH.match(value)
    return value[named.end():] if named and named.end() < len(value) else value


def _private_key_block(text: str, line_begin: int) -> tuple[str, int]:
    """The PEM/PuTTY block starting on a line, and where it ends: the value to hide."""
    line_end = text.find("\n", line_begin)
    begin = text.find("-----BEGIN", line_begin, line_end if line_end >= 0 else len(text))
    if begin < 0:
        begin = line_begin
    end = _PEM_END.search(text, begin)
    stop = end.end() if end else len(text)
    return text[begin:stop].strip(), stop


_KEY_BODY = re.compile(r"(?:[A-Za-z0-9+/=]|\\n|\s){64,}")


def _has_key_body(block: str) -> bool:
    """A header alone (code testing for "-----BEGIN PRIVATE KEY") is not a key."""
    return any(len(re.sub(r"\\n|\s", "", m.group(0))) >= 64
               for m in _KEY_BODY.finditer(block))


# -- rules over text --------------------------------------------------------------------------
# every name is_secret_name accepts contains one of these (tested on the lower-cased text)
_HINT = re.compile(r"pass|pwd|secret|token|key|auth|bearer|basic|cookie|credential")
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
_BEARER = re.compile(r"(?i)(?<![\w-])bearer[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{20,}=*)")
_BASIC = re.compile(r"(?<![\w-])Basic[ \t]+(?P<value>[A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])")
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
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://[^\s'\"`<>]+")
_URL_PARTS = re.compile(r"[/?#]")
# incoming-webhook URLs whose path is the credential (Slack's are a detect-secrets plugin)
_WEBHOOK = re.compile(
    r"(?i)https://(?:[\w-]+\.)?(?:discord(?:app)?\.com/api/webhooks/\d+/"
    r"|[\w.-]+\.webhook\.office\.com/webhookb2/|maker\.ifttt\.com/trigger/[^/\s]+/with/key/)"
    r"(?P<value>[^\s'\"`<>?#]{10,})")
# `--password=…`, `mysql -p…`, `sshpass -p …`, `curl -u user:…`
_CLI_HINT = re.compile(r"--|\bmysql|\bsshpass\b|\bcurl\b|\bwget\b")
_CLI_PASSWORD = re.compile(
    r"""(?x)
      \b(?:curl|wget)\b[^\n|;&]*?[ \t](?:-u|--user)[ \t]+["']?[^\s:"']+:(?P<v4>[^\s"'@]{4,})
    | --(?P<name>[A-Za-z][\w-]{1,40})(?:=|[ \t]+)["']?(?P<value>[^\s"'-][^\s"']{3,})
    | \bmysql(?:dump|admin|import|check)?\b[^\n|;&]*?[ \t]-p(?P<v2>[^\s"'-][^\s"']{3,})
    | \bsshpass[ \t]+-p[ \t]*["']?(?P<v3>[^\s"']{4,})
    """)
_QUERY_SPLIT = re.compile(r"[&;]")
_TOKENISH = re.compile(r"[\w.~-]+")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]{16,}")

_QUERY_SECRET_KEYS = frozenset({
    "api_key", "apikey", "api-key", "key", "token", "access_token", "accesstoken", "auth",
    "auth_token", "authtoken", "password", "pass", "passwd", "pwd", "secret", "client_secret",
    "sig", "signature", "private_token", "app_key", "appkey", "app_secret", "refresh_token",
    "id_token", "session", "sessionid", "jwt", "hapikey", "access_key", "secret_key",
})

CODE_KEYS = frozenset({"func", "initialize", "finalize", "jsCode", "pythonCode",
                       "functionCode", "code"})
TEMPLATE_KEYS = frozenset({"template", "html", "format"})
# Node-RED bookkeeping: ids, wiring and editor coordinates, never a secret
_SKIP_KEYS = frozenset({"id", "z", "g", "type", "wires", "links", "x", "y", "w", "h", "l",
                        "d", "outputLabels", "inputLabels", "position", "typeVersion",
                        "webhookId", "color", "icon"})

_NO_DESCEND = frozenset({"wires", "links"})

Emit = Callable[[str, str, str], None]  # (field, kind, value)


def _basic_secret(token: str) -> str | None:
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return token if sep and user and _literal(password, min_len=1) else None


class _Scanner:
    """Runs every rule over one step's params; ``ids`` are the app's step ids (references)."""

    def __init__(self, ids: frozenset[str]) -> None:
        self.ids = ids
        self.det = _detectors()

    # -- one string ---------------------------------------------------------------------
    def scan_value(self, field: str, key: str, value: str, emit: Emit, *,
                   literal_typed: bool = True) -> None:
        """All rules for a string found under ``key`` (``literal_typed`` False when a sibling
        type field says the value is a reference, e.g. ``tot: "env"``)."""
        if len(value) < 4 or value.startswith("data:"):
            return
        scrubbed = placeholders.found_in(value)
        whole = False  # the value is one placeholder: a keyword hit was reported at `field`
        if scrubbed:  # the placeholder stands in for the rules (see scan_text)
            whole = _literal(value, min_len=1) in {p for _, p, _ in scrubbed}
        elif literal_typed and is_secret_name(key):
            secret = _literal(value, ids=self.ids, min_len=_min_len(key))
            if secret is not None:
                emit(field, KIND_KEYWORD, secret)
        if key in CODE_KEYS:
            mode = "code"
        elif key in TEMPLATE_KEYS and "\n" in value:
            mode = "template"
        else:
            mode = "text"
        self.scan_text(field, value, mode, emit, whole=whole)

    def scan_text(self, field: str, text: str, mode: str, emit: Emit, *,
                  whole: bool = False) -> None:
        """Patterns, assignments, auth headers and URLs in free text, located by line.

        A registered placeholder (a secret scrubbed out of a replayed cassette) is reported as
        the secret it replaced, where the rule that found the secret reported it; the rules
        themselves do not judge scrubbed text (``whole``: see :meth:`_place`).
        """
        if len(text) < 8:
            return
        if "base64," in text:
            text = _DATA_URI.sub("data:", text)
        # code is always located by line ("func:line 1"); other one-line values by field only
        starts = _line_starts(text) if mode == "code" or "\n" in text else None

        def where(pos: int) -> tuple[str, str, int]:
            """(field or ``field:line N``, that line, its offset): for every rule's hits and
            for placeholders (see _place)."""
            if starts is None:
                return field, text, 0
            n = bisect_right(starts, pos) - 1
            begin = starts[n]
            end = text.find("\n", begin)
            return f"{field}:line {n + 1}", text[begin:end if end >= 0 else len(text)], begin

        scrubbed = placeholders.found_in(text)
        if scrubbed:
            for pos, placeholder, secret in scrubbed:
                emit(self._place(field, text, where, pos, secret.kind, whole), secret.kind,
                     placeholder)
            emit = _ignoring([p for _, p, _ in scrubbed], emit)

        # 1. detect-secrets patterns, run only on the lines the union pattern flags
        done: set[str] = set()
        skip_until = -1
        low = text.lower()
        for pos in sorted(self.det.candidates(text, low)):
            if pos < skip_until:
                continue  # inside a private key block already reported
            place, line, begin = where(pos)
            if place in done:
                continue
            done.add(place)
            for kind, plugin in self.det.plugins:
                for found in plugin.analyze_string(line):
                    if not found:
                        continue
                    if kind == "Private Key":
                        block, stop = _private_key_block(text, begin)
                        if _has_key_body(block):
                            skip_until = stop
                            emit(place, kind, block)
                    else:
                        emit(place, kind, _widen(line, found))

        # 2. URLs: user info, secret query parameters, webhook URLs that carry their token
        if "://" in text:
            for m in _URL.finditer(text):
                self._scan_url(where(m.start())[0], m.group(0), emit)
            if "hook" in low:
                for m in _WEBHOOK.finditer(text):
                    emit(where(m.start())[0], KIND_WEBHOOK, m.group("value"))

        # 3. passwords given to command lines (exec, executeCommand, ssh nodes)
        if mode == "text" and _CLI_HINT.search(text):
            for m in _CLI_PASSWORD.finditer(text):
                name = m.group("name")
                if name and not is_secret_name(name):
                    continue
                group = next(g for g in ("value", "v2", "v3", "v4") if m.group(g))
                secret = _literal(m.group(group), ids=self.ids, min_len=4)
                if secret is not None:
                    emit(where(m.start(group))[0], KIND_CLI, secret)

        # 4. assignments to secret-named variables or keys, and auth header values, on the
        #    lines that mention a secret-ish word (the regexes are costly on long code)
        for begin, end in _hint_spans(text, low, starts):
            for pattern in _ASSIGNMENTS[mode]:
                for m in pattern.finditer(text, begin, end):
                    name = m.group("name")
                    if not is_secret_name(name):
                        continue
                    raw = m.group("value")
                    if pattern is _ASSIGN_BARE_COLON and not _BARE_VALUE.search(raw):
                        continue
                    secret = _literal(raw, ids=self.ids, min_len=_min_len(name))
                    if secret is not None:
                        emit(where(m.start("value"))[0], KIND_KEYWORD, secret)
            for m in _BEARER.finditer(text, begin, end):
                secret = _literal(m.group("value"), min_len=20, ids=self.ids)
                if secret is not None:
                    emit(where(m.start())[0], KIND_BEARER, secret)
            for m in _BASIC.finditer(text, begin, end):
                token = _basic_secret(m.group("value"))
                if token is not None:
                    emit(where(m.start())[0], KIND_BASIC, token)

    def _scan_url(self, field: str, url: str, emit: Emit) -> None:
        for part in _url_parts(url):
            place, raw = f"{field}{part.suffix}", part.value
            if part.name == ":password":
                secret = _literal(raw, min_len=1)
                if secret is not None and secret == raw:
                    emit(place, KIND_URL_PASSWORD, raw)
            elif part.name == ":user":
                if (len(raw) >= 20 and _TOKENISH.fullmatch(raw)
                        and any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw)):
                    emit(place, KIND_URL_TOKEN, raw)
            elif part.name in _QUERY_SECRET_KEYS:
                if part.name == "key" and (len(raw) < 16 or raw.isalpha() or raw.isdigit()):
                    continue  # `key=` names many things: demand a random-looking value
                secret = _literal(raw, min_len=_min_len(part.name), ids=self.ids)
                if secret is not None and secret == raw:
                    emit(place, KIND_URL_QUERY, raw)

    # -- placeholders -------------------------------------------------------------------
    @staticmethod
    def _place(field: str, text: str, where: Callable[[int], tuple[str, str, int]], pos: int,
               kind: str, whole: bool) -> str:
        """Where the rule that reports ``kind`` reported the secret now at ``pos``.

        The placeholder sits where the secret began, and multi-line secrets keep their line
        breaks after it, so the line is the same. The URL rules add which part of the URL
        (user info, query parameter); a keyword or name/value hit on a whole value is at the
        field itself, also in code and multi-line text.
        """
        if kind in _URL_KINDS:
            for m in _URL.finditer(text):
                if m.start() <= pos < m.end():
                    for part in _url_parts(m.group(0)):
                        if part.start <= pos - m.start() < part.start + len(part.value):
                            return where(m.start())[0] + part.suffix
        if kind == KIND_KEYWORD and whole:
            return field
        return where(pos)[0]

    # -- one step's params ----------------------------------------------------------------
    def scan_params(self, params: Mapping[str, Any], emit: Emit) -> None:
        """Walk nested params iteratively (no recursion limit on deep configs)."""
        stack: list[tuple[str, Any]] = [("", params)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, Mapping):
                self._pairs(path, node, emit)
                for key, value in node.items():
                    if not isinstance(key, str) or (not path and key in _SKIP_KEYS):
                        continue
                    child = f"{path}.{key}" if path else key
                    if isinstance(value, str):
                        self.scan_value(child, key, value, emit,
                                        literal_typed=_typed_literal(node, key))
                    elif isinstance(value, (Mapping, list, tuple)) and key not in _NO_DESCEND:
                        stack.append((child, value))
            elif isinstance(node, (list, tuple)):
                for i, value in enumerate(node):
                    child = f"{path}[{i}]"
                    if isinstance(value, str):
                        self.scan_text(child, value, "text", emit)
                    elif isinstance(value, (Mapping, list, tuple)):
                        stack.append((child, value))

    def _pairs(self, path: str, node: Mapping[str, Any], emit: Emit) -> None:
        """Name/value structures: the secret's name is in one field, the value in another."""
        for name, value_key in _pair_fields(node):
            value = node.get(value_key)
            if not (isinstance(name, str) and isinstance(value, str)) or not is_secret_name(
                    name):
                continue
            if placeholders.found_in(value):
                continue  # reported as the secret it replaced when the value is scanned
            secret = _literal(value, ids=self.ids, min_len=_min_len(name))
            if secret is not None:
                emit(f"{path}.{value_key}" if path else value_key, KIND_KEYWORD, secret)


@dataclass(frozen=True)
class _UrlPart:
    name: str  # ":user", ":password", or a query or fragment parameter's lower-cased name
    value: str
    start: int  # offset in the URL

    @property
    def suffix(self) -> str:
        """How a hit in this part is placed: ``url (user info)``, ``url (query api_key)``."""
        return " (user info)" if self.name.startswith(":") else f" (query {self.name})"


def _url_parts(url: str) -> Iterator[_UrlPart]:
    """The parts of a URL that can carry a secret: the password of its user info (or the user
    when there is no password), and every ``name=value`` of its query and fragment. One
    parser for the URL rules and for placing a placeholder found in a URL."""
    offset = url.index("://") + 3
    rest = url[offset:]
    authority = _URL_PARTS.split(rest, maxsplit=1)[0]
    if "@" in authority:
        user, sep, password = authority.rsplit("@", 1)[0].partition(":")
        if sep:
            yield _UrlPart(":password", password, offset + len(user) + 1)
        else:
            yield _UrlPart(":user", user, offset)
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
                yield _UrlPart(name.lower(), raw, pos + len(name) + 1)
            pos += len(pair) + 1


def _ignoring(scrubbed: list[str], emit: Emit) -> Emit:
    """``emit`` without the hits the rules make of placeholders (or of pieces of them): a
    placeholder is reported once, as the secret it replaced, by scan_text."""

    def filtered(field: str, kind: str, value: str) -> None:
        if not any(p in value or value in p for p in scrubbed):
            emit(field, kind, value)

    return filtered


def _min_len(name: str) -> int:
    """Passwords may be short defaults ("admin"); a token shorter than 6 is not a token."""
    low = name.lower()
    return 4 if ("pass" in low or "pwd" in low or "secret" in low) else 6


def _pair_fields(node: Mapping[str, Any]) -> Iterator[tuple[Any, str]]:
    """(name, value field) of the name/value shapes Node-RED and n8n use."""
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


# Node-RED typed-input types whose value is a name to look up or a non-string, not a literal
_REFERENCE_TYPES = frozenset({"msg", "flow", "global", "env", "jsonata", "cred", "re", "date",
                              "num", "bool", "json", "bin", "node", "jsonpath", "expression"})


@lru_cache(maxsize=4096)
def _type_siblings(key: str) -> tuple[str, ...]:
    """Where Node-RED keeps the type of ``key``'s typed input: ``payloadType``, ``tot``,
    ``valueType`` (for ``valueValue``), …"""
    names = [f"{key}Type", f"{key}type", f"{key}t", f"{key}_type"]
    if key.endswith("Value"):
        names.append(key[:-5] + "Type")
    return tuple(names)


def _typed_literal(node: Mapping[str, Any], key: str) -> bool:
    """False when a typed-input sibling says the value is a reference (``env``, ``msg``,
    ``flow`` …), not a literal string."""
    for name in _type_siblings(key):
        kind = node.get(name)
        if isinstance(kind, str):
            return kind not in _REFERENCE_TYPES
    return True


def _hint_spans(text: str, low: str, starts: list[int] | None) -> list[tuple[int, int]]:
    """(begin, end) of the lines of ``text`` that contain a _HINT word."""
    if starts is None or len(low) != len(text):  # one line, or lower() changed offsets
        return [(0, len(text))] if _HINT.search(low) else []
    spans: list[tuple[int, int]] = []
    last = -1
    for m in _HINT.finditer(low):
        n = bisect_right(starts, m.start()) - 1
        if n != last:
            last = n
            end = starts[n + 1] - 1 if n + 1 < len(starts) else len(text)
            spans.append((starts[n], end))
    return spans


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


# -- public API ---------------------------------------------------------------------------------
def _scan_step(scanner: _Scanner, step: Step) -> list[SecretHit]:
    best: dict[tuple[str, str], tuple[int, str, str]] = {}

    def emit(field: str, kind: str, value: str) -> None:
        if not value:
            return
        base = field.split(" (", 1)[0]  # "url (query key)" and "url" are one place
        rank = _KIND_RANK.get(kind, _DETECTOR_RANK)
        key = (base, value)
        current = best.get(key)
        if current is None or rank > current[0]:
            best[key] = (rank, field, kind)

    scanner.scan_params(step.params, emit)
    return [SecretHit(step.id, field, kind, value)
            for (_, value), (_, field, kind) in sorted(best.items(), key=_order)]


def _order(item: tuple[tuple[str, str], tuple[int, str, str]]) -> tuple[str, int, str]:
    (base, _value), (_rank, field, kind) = item
    m = re.search(r":line (\d+)", base)
    return (base.split(":line", 1)[0], int(m.group(1)) if m else 0, field + kind)


_CACHE: dict[int, tuple[weakref.ref[App], tuple[SecretHit, ...]]] = {}


def find_secrets(app: App) -> tuple[SecretHit, ...]:
    """Every secret written into the app's step configurations, once per (step, field, value).

    Memoized per App instance (keyed by identity with a weak reference, since App's fields
    are not hashable): the loader and the SEC001 check both ask.
    """
    key = id(app)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is app:
        return entry[1]
    scanner = _Scanner(frozenset(step.id for step in app.steps))
    hits: list[SecretHit] = []
    for step in app.steps:
        hits.extend(_scan_step(scanner, step))
    result = tuple(hits)

    def forget(ref: weakref.ref[App], key: int = key) -> None:
        if _CACHE.get(key, (None,))[0] is ref:
            del _CACHE[key]

    _CACHE[key] = (weakref.ref(app, forget), result)
    return result


def scan_text(key: str, text: str) -> list[tuple[str, str]]:
    """(kind, value) of every secret in ``text`` found under ``key`` (a setting, a header…),
    with the same rules the step scan uses. For modules outside the step walk."""
    found: dict[str, tuple[int, str]] = {}

    def emit(_field: str, kind: str, value: str) -> None:
        rank = _KIND_RANK.get(kind, _DETECTOR_RANK)
        if value and (value not in found or rank > found[value][0]):
            found[value] = (rank, kind)

    _Scanner(frozenset()).scan_value(key, key, text, emit)
    return [(kind, value) for value, (_, kind) in found.items()]
