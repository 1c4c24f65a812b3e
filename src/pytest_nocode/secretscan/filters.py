"""Filters: what rules a candidate secret out.

A detector proposes a candidate (a value under a secret-sounding name, a token shape, a URL's
password); every filter here is a small, named question that can rule it out, with the
reason in its docstring. The scanner runs the tables in order and drops a candidate at the
first filter that says so:

* ``VALUE_FILTERS`` judge what the context rules found (keyword, name/value pair, assignment,
  URL part, command line). Most false positives on real exports are stopped here: n8n
  expressions, references, placeholders, identifiers and plain words.
* ``SHAPE_FILTERS`` judge what a token-shape detector found (``ghp_…``, ``AKIA…``, a JWT).
  A shape is strong evidence, so only documented examples and masked tokens are ruled out.

Adding a filter is one function and one table entry (and its tests, both directions). Where
detect-secrets has the heuristic (``detect_secrets.filters.heuristic``) it is called, not
rewritten.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from detect_secrets.filters import heuristic

from pytest_nocode.secretscan.names import is_secret_name, takes_login_pair, words_of

__all__ = ["PUBLISHED_DEFAULTS", "SHAPE_FILTERS", "VALUE_FILTERS", "Candidate",
           "basic_credentials", "first_filter", "literal", "rejected_shape"]


@dataclass(frozen=True)
class Candidate:
    """A value a detector proposes, with what the filters may look at."""

    text: str  # the literal part: without n8n's `=`, an auth scheme or quotes
    raw: str  # the value as written
    name: str = ""  # the name that made it a candidate ("apiKey", "x-api-key"), if any
    min_len: int = 4
    ids: frozenset[str] = frozenset()  # the app's step ids: a value equal to one is a reference
    after_scheme: bool = False  # it followed an auth scheme (``Token …``): a header sends it
    as_written: bool = False  # the field is the key a node signs or encrypts with, used as is


Filter = Callable[[Candidate], bool]


# -- value filters ----------------------------------------------------------------------------
_N8N_EXPRESSION = re.compile(r"\{\{|\}\}|\$\(['\"]|\$(?:json|node|input|item|items|binary|"
                             r"parameter|workflow|execution|env|vars|secrets|credentials|"
                             r"fromAI|now|today|prevNode|runIndex|jmespath)\b")


def n8n_expression(c: Candidate) -> bool:
    """n8n evaluates ``{{ … }}`` (anywhere in a value, with or without a leading ``=``) and
    the ``$json``, ``$('Node')``, ``$env``, ``$vars``, ``$secrets`` … it contains, as Node-RED
    templates fill ``{{flow.token}}``: the value is computed at run time, so it references a
    secret rather than holding one."""
    return _N8N_EXPRESSION.search(c.raw) is not None


_TEMPLATE = re.compile(r"\$\{[^}]*\}|<%.*?%>|%[A-Za-z_][A-Za-z0-9_]*%", re.S)


def templated(c: Candidate) -> bool:
    """``${TOKEN}``, ``<%= key %>``, ``%API_KEY%``, ``{secret}``, ``<token>``: a template
    filled from elsewhere (detect-secrets' ``is_templated_secret`` for the whole-value
    shapes, and the same markers anywhere in the value)."""
    return heuristic.is_templated_secret(c.text) or _TEMPLATE.search(c.raw) is not None


_REFERENCE = re.compile(
    r"""(?x)^(?:
        (?:process\.env|env|\$env|\$vars|\$secrets|os\.environ|msg|flow|global|context|
           \$json|\$node|\$input|\$item|\$binary|\$parameter|\$workflow|\$execution|secrets|
           vars|credentials|\$credentials)(?:\b|(?=[.\[(]))[.\[(].*
      | os\.getenv\(.*
      | \$\(.*
      | \$+[A-Za-z_][A-Za-z0-9_]{0,39}        # $VAR, $$var: a variable to substitute (a name
                                            # of 40 at most: Asaas keys are $aact_ + 160)
      | \{[A-Za-z_][\w.-]*\}
      | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+        # an environment variable's NAME
    )$""")


def reference(c: Candidate) -> bool:
    """``env.get(…)``, ``msg.payload.token``, ``process.env.X``, ``$API_KEY``, or the NAME of
    an environment variable (``ACME_API_KEY``): where the secret is kept, not the secret."""
    return _REFERENCE.match(c.text) is not None


_PROPERTY_PATH = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$")


def property_path(c: Candidate) -> bool:
    """``oauth2Response.access_token``, ``excluded.api_key``: a dotted path of identifiers
    names a property (of a message, a response, an SQL row) to read the value from."""
    return _PROPERTY_PATH.match(c.text) is not None


def step_id(c: Candidate) -> bool:
    """A value equal to a step's id is a reference to a config node (``auth: <node id>``)."""
    return c.text in c.ids


_MASKED = re.compile(r"(?i)^[\s*xX•·#._\-?]+$|\*{3}|•{2}|x{4,}|\.{3}|…|^<[^<>]*>$|"
                     r"^\[[^\[\]]*\]$")


def masked(c: Candidate) -> bool:
    """``***``, ``xxxx…``, ``sk-...``, ``••••``, ``<token>``, ``[api key]``: a value shown
    masked or elided, as documentation and redacted exports have it."""
    return _MASKED.search(c.text) is not None


_PLACEHOLDER_WORDS = frozenset({
    "replaceme", "replacethis", "todo", "tbd", "fixme", "placeholder", "redacted", "removed",
    "hidden", "masked", "notset", "unset", "none", "null", "nil", "undefined", "na", "empty",
    "example", "sample", "value", "string", "pwrd", "changeme", "changeit", "secret",
    "password", "token", "apikey", "dummy", "mytoken", "mysecret", "mypassword", "mykey",
    "myapikey", "test", "testing", "demo",
})
_PLACEHOLDER_START = ("your", "replace", "insert", "paste")  # yourapikey, pasteyourkey
_PLACEHOLDER_FIRST_WORD = frozenset({"your", "replace", "insert", "paste", "enter", "put",
                                     "add", "set", "fill", "my", "change", "sua", "seu", "tu",
                                     "votre", "ton", "dein", "ihr", "mon"})
_DASH_WRAPPED = re.compile(r"^[-_]+[A-Za-z][A-Za-z_-]*$")
_PLACEHOLDER_END = ("here", "goeshere", "aqui", "ici", "hier")  # pt/es, fr, de: "here"
_PLACEHOLDER_PREFIXES = ("__PWRD__", "__n8n_BLANK_VALUE")


def placeholder(c: Candidate) -> bool:
    """``YOUR_API_KEY``, ``your-token``, ``-put-your-api-key-``, ``--SUA-KEY-AQUI--``,
    ``REPLACE_ME``, ``TODO``, ``changeme``, ``api_key_here``, ``__PWRD__`` (Node-RED's
    stand-in for a stored password): a value left for the user to fill in, in English or
    not; letters wrapped in dashes or underscores are a stand-in, never a generated secret."""
    if c.text.startswith(_PLACEHOLDER_PREFIXES) or _DASH_WRAPPED.match(c.text):
        return True
    words = words_of(c.text)
    norm = "".join(words)
    if norm in _PLACEHOLDER_WORDS:
        return True
    letters = norm.isalpha()
    if letters and (norm.startswith(_PLACEHOLDER_START) or norm.endswith(_PLACEHOLDER_END)
                    or (len(words) > 1 and words[0] in _PLACEHOLDER_FIRST_WORD)):
        return True
    if letters and len(words) > 1 and any(w in ("your", "here", "replace") for w in words):
        return True
    return _leet_placeholder(words)


_LEET = str.maketrans("013457@$", "oieastas")
# words that ask the reader to fill something in; not "my" (``my-flow-s3cret`` is a value)
_LEET_FILL_IN = frozenset({"your", "put", "enter", "insert", "replace", "paste", "fill"})


def _leet_placeholder(words: list[str]) -> bool:
    """``y0ur app1 p4ss w0rd``: a fill-in phrase written in digits for letters. Only a phrase
    that starts like one (``your …``, ``put …``): a single leet word such as ``P4ssw0rd`` is
    a weak password someone may really use, and stays a finding."""
    if len(words) < 2 or not any(ch.isdigit() for w in words for ch in w):
        return False
    plain = [w.translate(_LEET) for w in words]
    return plain[0] in _LEET_FILL_IN and all(w.isalpha() for w in plain)


_IDENT_WORDS = re.compile(r"^[A-Za-z][A-Za-z_\-]*\d{0,2}$")
_VOCABULARY = frozenset({
    "api", "key", "keys", "secret", "token", "access", "auth", "client", "private", "password",
    "pass", "pwd", "app", "application", "bearer", "session", "refresh", "id", "user",
    "consumer", "service", "account", "master", "admin", "db", "webhook", "bot", "my", "your",
    "the", "x", "oauth", "jwt", "credential", "credentials", "signing", "test", "demo",
    "sample", "dummy", "fake", "example",
})


def _in_vocabulary(norm: str) -> bool:
    """Whether ``norm`` splits into vocabulary words: ``clientsecret``, ``apikey``."""
    if not norm:
        return True
    return any(norm.startswith(w) and _in_vocabulary(norm[len(w):])
               for w in _VOCABULARY if len(w) <= len(norm))


# ``apininjaapikey``, ``stripeapikey``: a service's name run into a two-word name of a secret
# is a stand-in for that service's key; nobody picks such a phrase as a password (a single
# secret word after another word, ``supersecret``, may well be one, and stays a candidate)
_SERVICE_SECRET_ENDS = ("apikey", "apitoken", "accesstoken", "authtoken", "secretkey",
                        "accesskey", "privatekey", "clientsecret", "bottoken")


def names_a_secret(c: Candidate) -> bool:
    """``gitlabToken``, ``CLIENTSECRET``, ``device_token_1``, ``testpassword``: an identifier
    that itself names a secret (a variable, a column, a template's stand-in, a demo value) is
    not its value. Words joined by dashes after an auth scheme (``Authorization: Token
    influxdb-kit-secret-token``) are no identifier a code or a column would use: the header
    sends them as the token, a kit's shared default."""
    if not _IDENT_WORDS.match(c.text) or not is_secret_name(c.text):
        return False
    if c.after_scheme and "-" in c.text:
        return False
    if c.as_written and not _in_vocabulary(re.sub(r"[^a-z]", "", c.text.lower())):
        return False  # an HMAC node's ``jj-secret`` is the key itself, no name of one
    words = words_of(c.text)
    if len(words) > 1:
        return all(w.isalpha() or len(w) <= 2 for w in words)
    low = c.text.lower()
    return c.text.isalpha() and (_in_vocabulary(low) or low.endswith(_SERVICE_SECRET_ENDS))


_CAPITALISED_WORDS = re.compile(r"^(?:[A-Z][a-z]{2,}){2,4}$")
_CHOSEN_SECRET_NAMES = ("pass", "pwd", "pin", "psk", "secret", "community")


def application_name(c: Candidate) -> bool:
    """``session=SurveillanceStation``, ``FileStation``: two to four capitalised words of
    letters only name an application or a session (Synology's ``session`` parameter); a
    generated token mixes digits and cases at random. Under a password, a PIN or a secret,
    which people choose from words, such a value stays a candidate."""
    low = c.name.lower()
    if any(w in low for w in _CHOSEN_SECRET_NAMES):
        return False
    return _CAPITALISED_WORDS.match(c.text) is not None


_PHRASE = re.compile(r"^[a-z]+(?:_[a-z]+){2,}$")


def phrase(c: Candidate) -> bool:
    """``mon_mot_de_passe_postgres_fort``, ``password_hash_column``: three or more lowercase
    words joined by underscores are an identifier (a column, a variable) or a description
    of the value a demo expects, not a generated secret."""
    return _PHRASE.match(c.text) is not None


_ENUM_WORDS = frozenset({
    "basic", "bearer", "digest", "none", "null", "true", "false", "yes", "no", "on", "off",
    "oauth", "oauth1", "oauth2", "apikey", "api_key", "header", "headerauth", "basicauth",
    "jwtauth", "queryauth", "httpheaderauth", "httpbasicauth", "httpqueryauth", "query", "body",
    "cookie", "jwt", "ntlm", "aws", "hmac", "custom", "generic", "genericcredentialtype",
    "predefinedcredentialtype", "credentials", "str", "msg", "env", "flow", "global", "json",
    "other", "required", "optional", "enabled", "disabled", "default", "auto", "token", "user",
    "client_credentials", "authorization_code", "implicit", "pkce", "manual", "cred",
    "scram-sha-1", "scram-sha-256", "plain", "login", "gssapi", "cram-md5", "xoauth2",
    "mongodb-cr", "mongodb-x509", "mongodb-aws", "ntlmv2", "kerberos",
})


def echoes_its_name(c: Candidate) -> bool:
    """``{"name": "Secretary", "value": "Secretary"}``: a dropdown option or column whose
    value repeats its label is a choice, not a credential."""
    return bool(c.name) and c.text.lower() == c.name.lower()


def option_word(c: Candidate) -> bool:
    """``basic``, ``headerAuth``, ``oauth2``, ``client_credentials``, ``SCRAM-SHA-256``: a
    dropdown option (how to authenticate), not a credential."""
    return c.text.lower() in _ENUM_WORDS


_STATUS_WORDS = frozenset({
    "working", "started", "starting", "finished", "finishing", "loading", "loaded", "pending",
    "missing", "unknown", "active", "inactive", "success", "successful", "failed", "failure",
    "fail", "error", "ok", "done", "valid", "invalid", "expired", "revoked", "granted",
    "denied", "approved", "rejected", "open", "closed", "running", "stopped", "waiting",
    "ready", "idle", "busy", "present", "absent", "available", "unavailable", "new", "old",
    "sent", "received", "accepted", "completed", "complete", "queued", "processing",
    "refreshed", "required", "verified", "unverified", "online", "offline",
})


def status_word(c: Candidate) -> bool:
    """``working``, ``MISSING``, ``expired``: a state written where a secret-named field is
    compared or reported (``tokenStatus``, ``pass ? "PASS" : "MISSING"``)."""
    return c.text.lower() in _STATUS_WORDS


_HASHED = re.compile(r"^(?:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$(?:argon2\w*|pbkdf2[\w-]*|"
                     r"scrypt|[156])\$.+|\{(?:S?SHA\d*|BCRYPT|PBKDF2)\}.+)$")


def password_hash(c: Candidate) -> bool:
    """bcrypt, argon2, crypt(3) and LDAP hashes: what a login node stores to verify a
    password, not the password."""
    return _HASHED.match(c.text) is not None


_URLISH = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")
_PATH = re.compile(r"(?i)^(?:[a-z]:\\|(?:~|\.{1,2})?/(?:etc|home|usr|var|opt|data|run|tmp|srv|"
                   r"mnt|root|certs?|secrets?|config|app|users?)/)|"
                   r"^[\w./\\~:-]+\.(?:pem|key|crt|cer|der|p12|pfx|jks|json|txt|pub|ppk|"
                   r"keystore|ya?ml|env)$")


def url_or_path(c: Candidate) -> bool:
    """A URL (its secret parts are the URL rule's) or a file path (``/etc/ssl/client.key``):
    where a secret is, not what it is."""
    return _URLISH.match(c.text) is not None or _PATH.match(c.text) is not None


_TIMESTAMP = re.compile(r"^(?:\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?"
                        r"(?:Z|[+-]\d\d:?\d\d)?)?|1\d{9}(?:\d{3})?)$")


def timestamp(c: Candidate) -> bool:
    """Dates and epoch times (a token's issue or expiry time)."""
    return _TIMESTAMP.match(c.text) is not None


def sequential(c: Candidate) -> bool:
    """``123456``, ``abcdef``, ``ABCDEFGH``: detect-secrets' ``is_sequential_string``, a
    demo value, not a credential."""
    return heuristic.is_sequential_string(c.text)


def no_letters_in_token(c: Candidate) -> bool:
    """A token, key or secret made only of digits and symbols is an id, a count or a phone
    number (detect-secrets' ``is_not_alphanumeric_string``); passwords and PINs may be
    numeric, so the rule is kept for names that are neither."""
    low = c.name.lower()
    if any(w in low for w in ("pass", "pwd", "pin", "psk", "secret")):
        return False
    return heuristic.is_not_alphanumeric_string(c.text)


_CONTRACT_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def blockchain_address(c: Candidate) -> bool:
    """``0x`` and 40 hex digits is a public account or contract address (an ERC-20
    ``token``); a private key is 64 hex digits and stays a candidate."""
    return _CONTRACT_ADDRESS.match(c.text) is not None


_PIN = re.compile(r"^\d{4,8}$")
_PIN_NAMES = frozenset({"pin", "pincode"})


def not_a_pin(c: Candidate) -> bool:
    """A PIN is 4 to 8 digits; anything else under ``pin`` is a GPIO pin (``GPIO17``,
    ``D4``) or a board's pin name."""
    words = words_of(c.name)
    return bool(words) and words[-1] in _PIN_NAMES and _PIN.match(c.text) is None


_PUBLIC_DEFAULTS = frozenset({"public"})


def public_default(c: Candidate) -> bool:
    """SNMP's read community ``public`` is the well-known default every device answers to:
    the policy question, not a leaked secret."""
    return c.text.lower() in _PUBLIC_DEFAULTS and "community" in c.name.lower()


_SPACED_APP_PASSWORD = re.compile(r"^[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4}){3,5}$")


def prose(c: Candidate) -> bool:
    """A sentence, a command line or a list has spaces; a secret has none, except an
    application password shown in groups of four (WordPress: ``abcd efgh ijkl …``)."""
    if not any(ch.isspace() for ch in c.text):
        return False
    return not ("pass" in c.name.lower() and _SPACED_APP_PASSWORD.match(c.text))


def fragment(c: Candidate) -> bool:
    """``+ token``, ``key,``: a piece of a concatenation or list, not a value."""
    return c.text[:1] in "+," or c.text[-1:] in "+,"


def length(c: Candidate) -> bool:
    """Shorter than its name allows (a token under 6 characters is no token) or longer
    than any credential (a document)."""
    return len(c.text) < c.min_len or len(c.text) > 20000


_LOGIN_PAIR = re.compile(r"^[^\s:]+:[^\s:]+$")


def not_a_login_pair(c: Candidate) -> bool:
    """Under a name that holds a secret only as ``login:password`` (OM2M's ``X-M2M-Origin``),
    any other value (``CAdmin``, an AE id) is an originator id, not a credential."""
    return takes_login_pair(c.name) and _LOGIN_PAIR.match(c.text) is None


# Values a tutorial, a product's documentation or a specification prints as its example or
# its stack's default, copied verbatim into shared configurations. Everyone who read the page
# knows them, so rotating is no remedy: each is here with where it is published.
PUBLISHED_DEFAULTS: Mapping[str, str] = MappingProxyType({
    # HTML5 Rocks, "Getting started with WebRTC": the TURN credential of its ICE server list
    # (username 28224511:1379330808, server 192.158.29.39)
    "JZEOEt2V3Qb0y27GRntt2u2PAYA=": "HTML5 Rocks WebRTC sample TURN credential",
    # FIWARE step-by-step tutorials: the Keyrock application every tutorial stack registers
    "tutorial-dckr-site-0000-clientsecret": "FIWARE tutorials' Keyrock client secret",
    "tutorial-dckr-site-0000-xpresswebapp": "FIWARE tutorials' Keyrock client id",
    # Hyperledger Fabric: the CA's bootstrap identity (admin / adminpw) of fabric-samples'
    # test network and the docs' enrollment examples
    "adminpw": "Hyperledger Fabric samples' CA admin password",
    # Microsoft's documentation and labs: the sample password of every example account
    "Pa$$w0rd": "Microsoft documentation sample password",
    # the example password of API documentation and package examples ("create a user")
    "SecurePassword123": "documentation example password",
})


def published_default(c: Candidate) -> bool:
    """A value published as a documentation example or a tutorial stack's default
    (``PUBLISHED_DEFAULTS``), not anyone's secret, also as the password of the ``Basic``
    credential it is sent in (``Basic <base64 of id:secret>``)."""
    if c.text in PUBLISHED_DEFAULTS:
        return True
    pair = basic_credentials(c.text)
    return pair is not None and pair[1] in PUBLISHED_DEFAULTS


def basic_credentials(token: str) -> tuple[str, str] | None:
    """(user, password) of a ``Basic`` token (base64 of ``user:password``), or None when it
    is not one."""
    if len(token) < 8:
        return None
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep and user else None


# the words a program starts an expression with: `auth_key = function(key) {` in a library
# pasted into a template assigns code, not a value
_CODE_KEYWORDS = frozenset({
    "function", "require", "import", "return", "new", "this", "typeof", "await", "async",
    "undefined", "lambda", "self", "class", "def", "yield",
})


def code_keyword(c: Candidate) -> bool:
    """``mavlink.messages.auth_key = function(key)``, ``token = require('…')``: a keyword
    of JavaScript or Python, where a bare assignment's value was expected, is code."""
    return c.text in _CODE_KEYWORDS


VALUE_FILTERS: tuple[tuple[str, Filter], ...] = (
    ("length", length),
    ("fragment", fragment),
    ("n8n expression", n8n_expression),
    ("templated", templated),
    ("masked", masked),
    ("placeholder", placeholder),
    ("prose", prose),
    ("echoes its name", echoes_its_name),
    ("option word", option_word),
    ("step id", step_id),
    ("reference", reference),
    ("property path", property_path),
    ("password hash", password_hash),
    ("url or path", url_or_path),
    ("timestamp", timestamp),
    ("names a secret", names_a_secret),
    ("application name", application_name),
    ("phrase", phrase),
    ("status word", status_word),
    ("sequential", sequential),
    ("no letters in token", no_letters_in_token),
    ("blockchain address", blockchain_address),
    ("public default", public_default),
    ("not a PIN", not_a_pin),
    ("not a login pair", not_a_login_pair),
    ("published default", published_default),
    ("code keyword", code_keyword),
)


# -- shape filters ----------------------------------------------------------------------------
def documented_example(c: Candidate) -> bool:
    """Vendors' documentation keys (AWS's ``AKIAIOSFODNN7EXAMPLE`` and its secret ending in
    ``EXAMPLEKEY``) are published on purpose and copied into tutorials and sticky notes."""
    return c.text.upper().endswith(("EXAMPLE", "EXAMPLEKEY"))


def masked_token(c: Candidate) -> bool:
    """``ghp_xxxxxxxx…``, ``sk_live_****``: a token shape with its secret part masked."""
    return re.search(r"(?i)x{6,}|\*{3,}|•{2,}|\.{3}|…", c.text) is not None


_JWT_SAMPLE_SUBJECTS = frozenset({"1234567890"})


def sample_or_public_jwt(c: Candidate) -> bool:
    """A JWT whose claims are jwt.io's sample (``"sub": "1234567890"``, John Doe) is
    documentation; one whose role is ``anon`` is a Supabase publishable key, meant to ship
    in browsers. Other JWTs (a ``service_role`` key, a user's session) stay candidates."""
    parts = c.text.split(".")
    if len(parts) != 3 or not c.text.startswith("eyJ"):
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(claims, dict):
        return False
    return claims.get("sub") in _JWT_SAMPLE_SUBJECTS or claims.get("role") == "anon"


_TWILIO_ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")


def twilio_account_sid(c: Candidate) -> bool:
    """Twilio's ``AC…`` is the Account SID, the account's public id that every API URL
    carries (``/Accounts/AC…/Messages.json``); its auth token is the secret. detect-secrets
    matches it next to the API key SID (``SK…``), which stays a candidate."""
    return _TWILIO_ACCOUNT_SID.match(c.text) is not None


SHAPE_FILTERS: tuple[tuple[str, Filter], ...] = (
    ("documented example", documented_example),
    ("Twilio account SID", twilio_account_sid),
    ("masked token", masked_token),
    ("sample or public JWT", sample_or_public_jwt),
)


# -- applying them ----------------------------------------------------------------------------
def first_filter(candidate: Candidate, table: tuple[tuple[str, Filter], ...]) -> str | None:
    """The name of the first filter in ``table`` that rules ``candidate`` out, or None."""
    for name, rule_out in table:
        if rule_out(candidate):
            return name
    return None


_AUTH_SCHEME = re.compile(
    r"(?i)^(?:bearer|basic|token|digest|apikey|api-key|key|sso-key|hmac|splunk|ghp|"
    r"sharedaccesssignature|klaviyo-api-key|dsn)[ \t]+")


def literal(value: str, *, name: str = "", min_len: int = 4,
            ids: frozenset[str] = frozenset(), as_written: bool = False) -> str | None:
    """The secret part of a configured value, or None when a value filter rules it out.

    Strips n8n's ``=`` expression marker, an auth scheme (``Bearer …``) and quotes, then asks
    every filter in ``VALUE_FILTERS``. ``as_written``: the field is a key a node uses as it
    stands (an HMAC or cipher node's ``key``), never the name of a variable or a column.
    """
    text = value.strip()
    if text.startswith("="):
        text = text[1:].strip()
    if not text or text.startswith("data:"):
        return None
    m = _AUTH_SCHEME.match(text)
    if m:
        text = text[m.end():].strip()
    text = text.strip("\"'` ")
    if not text:
        return None
    candidate = Candidate(text, value, name, min_len, ids, after_scheme=m is not None,
                          as_written=as_written)
    return None if first_filter(candidate, VALUE_FILTERS) else text


def rejected_shape(value: str) -> bool:
    """Whether a token-shape hit is ruled out by ``SHAPE_FILTERS``."""
    return first_filter(Candidate(value, value), SHAPE_FILTERS) is not None
