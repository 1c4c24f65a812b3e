"""The platform-neutral model of an app: what every check reads.

Adapters in :mod:`pytest_nocode.platforms` build an :class:`App` from a raw snapshot; checks
never see platform JSON. Everything here is frozen; lookups the checks need often (steps by id,
by type, by workflow; edges both ways) are indexed once when the App is built.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from functools import lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

EMPTY: Mapping[str, Any] = MappingProxyType({})

# What an adapter could see. A check that needs a facet the app lacks is "not applicable".
FACETS = (
    "workflows",  # workflows/flows with steps and wiring
    "settings",  # instance settings (e.g. Node-RED /settings + /diagnostics)
    "principals",  # users, groups, roles
    "shares",  # public links, shared views
    "modules",  # installed packages/modules with versions
    "executions",  # execution history settings/records
    "advisories",  # the platform's own audit findings
    "exposure",  # what the live app answers to requests sent without credentials
)


@dataclass(frozen=True, slots=True)
class Resource:
    """The smallest thing a finding can point at."""

    kind: str  # node | workflow | credential | user | share | setting | module | endpoint | app
    id: str
    name: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One node of a workflow (a Node-RED node, an n8n node)."""

    id: str
    name: str
    type: str  # the platform's own type, e.g. "http request", "n8n-nodes-base.webhook"
    workflow_id: str  # tab/flow/workflow id ("" for global config nodes)
    path: str  # e.g. "flows/<tab id>/<node id>"
    package: str = ""  # module that provides the type, e.g. "node-red", "n8n-nodes-base"
    params: Mapping[str, Any] = field(
        default_factory=lambda: EMPTY
    )  # the platform's configuration of the step, read-only
    outbound: tuple[str, ...] = ()  # ids of steps this one sends to
    # per output, in the platform's order, the ids each sends to, for a step whose outputs
    # mean different things (an n8n If: true, then false); () when it has one output
    branches: tuple[tuple[str, ...], ...] = ()
    config_refs: tuple[str, ...] = ()  # ids of config steps it uses (tls-config, broker, …)
    credential_refs: tuple[str, ...] = ()  # ids of credentials it uses
    disabled: bool = False
    is_config: bool = False  # a shared configuration node, not part of the message flow
    # the platform's own id where ``id`` had to be made unique in the App (an n8n node id
    # repeated across copied workflows); "" when ``id`` is the platform's id
    native_id: str = ""

    @property
    def resource(self) -> Resource:
        return Resource("node", self.native_id or self.id, self.name or self.type, self.path)


@dataclass(frozen=True, slots=True)
class DraftChange:
    """One way a workflow's saved draft differs from the version that runs (published)."""

    change: str  # added | removed | changed (a step) | authentication (of an entry step)
    step: str  # the step's name (in the draft; in the published version when removed)
    detail: str = ""  # what changed: "parameters, wiring"; "none → header"


@dataclass(frozen=True, slots=True)
class Workflow:
    id: str
    name: str
    path: str
    active: bool | None = None  # None where the platform has no such notion
    disabled: bool = False
    settings: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    tags: tuple[str, ...] = ()
    kind: str = "workflow"  # workflow | tab | subflow
    # Where the platform keeps a draft beside what runs: which one the steps are from,
    # "published" or "draft" ("" where there are no drafts). An active workflow checked on
    # its draft is one whose published version the data did not carry.
    version: str = ""
    draft_changes: tuple[DraftChange, ...] = ()  # draft versus published, when both were seen
    # When the platform last saved it (ISO 8601), "" when the data does not say: instance
    # exports and APIs carry it; templates and hand-edited collections do not.
    updated: str = ""
    # The file is the instance's own download of the workflow (n8n: the editor's Download, which
    # keeps the workflow id, versionId, active flag and meta.instanceId but no timestamps), not
    # a template or a collection's edited copy: its active flag is the instance's state.
    downloaded: bool = False
    # What starts it on an event from outside the instance besides its entry points (a
    # message to a bot, a mail, a row changed in a database, a file added to a drive): the
    # enabled triggers' own types. Not a clock, a manual run, a calling workflow or the
    # platform's own events. Such a workflow runs on what others do, as an exposed one does.
    event_triggers: tuple[str, ...] = ()

    @property
    def resource(self) -> Resource:
        return Resource("workflow", self.id, self.name, self.path)


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """A way in from outside: an HTTP route, webhook, form, websocket, listener."""

    step_id: str
    # http | webhook | form | websocket | chat | dashboard | mqtt | tcp | udp | email |
    # assistant (a voice or home assistant: Google Home, Apple HomeKit) | other
    kind: str
    route: str  # path, topic or port as configured
    methods: tuple[str, ...] = ()
    # "none" when nothing authenticates the caller, else the mechanism ("basic", "header",
    # "jwt", "instance", "allowlist" for a chat bot limited to named users or chats); None when
    # the data does not say.
    authentication: str | None = None
    active: bool | None = None
    # What a call can do (one of EFFECTS), judged by the adapter from the steps its
    # messages reach; None when the adapter cannot tell, which checks read as "acts".
    effect: str | None = None
    # Why, in a reviewer's words: the step that acts or serves, or what the answer is made of
    # ("answers with fixed text and the caller's own request"); "" when not judged.
    effect_reason: str = ""
    # the steps that make the effect "serves" only by copying flow or global context into the
    # answer (all of them, else empty): when the app keeps only constants there (a setting, a
    # counter, a time), what is served is a setting (DataFlow.holds_only_settings)
    served_context: tuple[str, ...] = ()
    # the step that authenticates callers when it is not the entry step itself (a Basic-auth
    # node every message of a Node-RED route passes first); "" when none does
    authenticated_by: str = ""


# What a call to an entry point can do, from least to most (EntryPoint.effect), one vocabulary
# for every adapter:
#   "nothing"  its flow ends without acting or answering;
#   "answers"  answers with fixed content (a constant, a static web file, a setting), with
#              what the caller sent (a subscription challenge echoed back), or with what a
#              public service gives anyone who asks (a credential-less GET the caller could
#              send itself);
#   "records"  takes in what the caller sent and nothing more: keeps it as a new record,
#              tells the owner at an address or channel the step names, confirms to the
#              caller's own address, asks a model about it (n8n: .platforms.n8n_intake);
#   "serves"   answers with data the app keeps or can reach: stored records, context values,
#              environment values, a page of the app's user interface, or fields the adapter
#              cannot pin to the caller's own request;
#   "acts"     changes or sends something, runs code or a command, or does what the adapter
#              does not know.
# "passes" is the walk's own word for a step that only shapes or routes what it is given.
PASSES, ANSWERS, SERVES, ACTS, NOTHING = "passes", "answers", "serves", "acts", "nothing"
RECORDS = "records"
EFFECTS = (NOTHING, ANSWERS, RECORDS, SERVES, ACTS)
_EFFECT_RANK = (PASSES, ANSWERS, RECORDS, SERVES, ACTS)


def stronger_effect(a: str, b: str) -> str:
    """The more of two step effects (``passes`` < ``answers`` < ``records`` < ``serves`` <
    ``acts``)."""
    return a if _EFFECT_RANK.index(a) >= _EFFECT_RANK.index(b) else b


# A fixed file a web page loads by itself (a page, stylesheet, script, image or font): served
# as it is, it is the page's own code, not stored data.
_WEB_ASSET = re.compile(r"\.(?:html?|css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|eot)$",
                        re.I)


def is_web_asset(location: str) -> bool:
    """Is ``location`` a fixed path (no expression) to a static web file?"""
    location = location.strip()
    return bool(location) and "{{" not in location and not location.startswith(("=", "$")) \
        and _WEB_ASSET.search(location) is not None


# A fixed file of code a step runs or hands on to run (an admin's SQL script, a shell script):
# like the flow itself, it is the deployment's own code, put there by whoever set the app up.
_SCRIPT_FILE = re.compile(r"\.(?:sql|sh|bash|py|js|ps1|bat|cmd)$", re.I)


def is_script_file(location: str) -> bool:
    """Is ``location`` a fixed path (no expression) to a script file?"""
    location = location.strip()
    return bool(location) and "{{" not in location and not location.startswith(("=", "$")) \
        and _SCRIPT_FILE.search(location) is not None


@dataclass(frozen=True, slots=True)
class Destination:
    """Somewhere data leaves to: the target of an HTTP call, broker, socket, server."""

    step_id: str
    protocol: (
        str  # http | https | mqtt | mqtts | ws | wss | tcp | udp | ftp | sftp | ssh | smtp | db
        # | imap | opcua | mail (a recipient: host is the address's domain, url "mailto:…")
    )
    url: str = ""  # as configured (never with user info: adapters strip it)
    host: str = ""  # "" when dynamic
    port: int | None = None
    tls: bool | None = None  # None when unknown
    verify_cert: bool | None = None
    dynamic: bool = False  # the target is computed at run time (msg.url, an expression)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


# The url of a ``mail`` destination that answers a message: it goes to whoever wrote it.
REPLY_TO_SENDER = "reply to the sender of the message answered"


@dataclass(frozen=True, slots=True)
class Connector:
    """A node type/connector in use, with the package that provides it."""

    type: str
    package: str
    version: str = ""
    builtin: bool = True  # shipped with the platform core
    used_by: tuple[str, ...] = ()  # step ids

    @property
    def resource(self) -> Resource:
        return Resource("connector", self.type, self.type, f"connectors/{self.package}")


@dataclass(frozen=True, slots=True)
class Credential:
    """A reference to a stored credential (never its secret)."""

    id: str
    name: str
    type: str
    used_by: tuple[str, ...] = ()

    @property
    def resource(self) -> Resource:
        return Resource("credential", self.id, self.name, f"credentials/{self.id}")


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    name: str
    kind: str = "user"  # user | group | service | anonymous | everyone
    email: str = ""
    roles: tuple[str, ...] = ()
    active: bool | None = None
    mfa: bool | None = None

    @property
    def resource(self) -> Resource:
        return Resource("user", self.id, self.name or self.email, f"principals/{self.id}")


@dataclass(frozen=True, slots=True)
class Grant:
    """A principal's access to a resource."""

    principal_id: str
    resource: Resource
    level: str  # the platform's word: owner, admin, edit, read, …


@dataclass(frozen=True, slots=True)
class Share:
    """Access given to an audience rather than a named principal (links, public views)."""

    id: str
    resource: Resource
    audience: str  # public | link | domain | organisation
    password_protected: bool | None = None
    allows_download: bool | None = None


@dataclass(frozen=True, slots=True)
class DataStore:
    """Where the app keeps data: files, tables, context stores."""

    step_id: str
    kind: str  # file | database | sheet | context | n8n instance | service | drive file | other
    location: str
    operation: str = ""  # read | write | query
    # sensitivity labels the content carries whatever the store is called: an instance's own
    # workflows or decrypted credentials read back (see dataflow.SENSITIVITY for the words)
    holds: tuple[str, ...] = ()
    # columns of this table that the app's own schema (its CREATE TABLE) types as numbers,
    # booleans, times or uuids: a row read back holds no one's text there
    typed_columns: tuple[str, ...] = ()


# A store kind: what a service on the app's own host (loopback, the docker host, a compose
# service) answers a fixed request, as a local command's output is the host's own answer
OWN_SERVICE = "service"
# A store kind: a file downloaded from the owner's cloud drive or bucket, which n8n keeps in
# the item's binary: a field picked by name holds none of it, the whole item (an attachment,
# an upload) does
DRIVE_FILE = "drive file"


@dataclass(frozen=True, slots=True)
class Module:
    """An installed package (node module, community package)."""

    name: str
    version: str = ""
    builtin: bool = False

    @property
    def resource(self) -> Resource:
        return Resource(
            "module",
            self.name,
            f"{self.name}@{self.version}" if self.version else self.name,
            f"modules/{self.name}",
        )


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """A connection the export declares to or from a node it does not contain (a renamed or
    deleted node): data flow past it cannot be followed, so the analysis is incomplete there."""

    workflow_id: str
    source: str  # step id of the sending node, or the missing sender as the export names it
    target: str  # the receiving step id, or the missing receiver as the export names it
    missing: str  # "target" | "source"
    via: str = "wire"  # wire | link | subflow | connection (n8n), as the platform calls it

    @property
    def missing_name(self) -> str:
        """The node the export names that it does not contain."""
        return self.target if self.missing == "target" else self.source


def name_node_ids(links: Iterable[BrokenLink], node_ids: Iterable[str]) -> bool:
    """Do all of ``links`` join two nodes of the workflow named by their ids, where n8n
    connects nodes by name (an edited export)? n8n does not follow such connections either:
    nothing runs along them, which is known, not lost. A connection whose other end is no
    node at all (a collection that rewrote only one side) is lost wiring."""
    ids = set(node_ids)
    links = list(links)
    return bool(links) and all(link.source in ids and link.target in ids for link in links)


@dataclass(frozen=True, slots=True)
class Call:
    """A step that runs a part of the app other steps run too and gets the answer back: a
    Node-RED subflow instance (its own copies of the subflow's nodes) or ``link call`` (the
    called flow's nodes, shared by every caller). The steps' wiring (``Step.outbound``) holds
    the edges of every call of that part at once, as reachability needs; this says which of
    them are this call's, so that data flow follows each call on its own: what enters one
    instance leaves that instance, not all of them."""

    step_id: str  # the calling step
    enters: tuple[str, ...]  # the steps its message goes to (edges step_id -> each)
    # the edges its answer comes back by: (step of the called part, step this call sends to)
    returns: tuple[tuple[str, str], ...] = ()
    # the workflow whose steps run as this call's own copies (a subflow instance), "" when
    # the called steps are shared (a link call: one flow, a return address on the message)
    copies: str = ""


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: Any
    source: str = ""  # where it was read, e.g. "GET /settings", "/diagnostics runtime.settings"

    @property
    def resource(self) -> Resource:
        return Resource("setting", self.key, self.key, f"settings/{self.key}")


@dataclass(frozen=True, slots=True)
class Advisory:
    """A problem the platform itself reports (e.g. n8n's security audit), kept as evidence."""

    source: str  # "n8n audit"
    category: str  # one of the contract's categories, mapped by the adapter
    title: str
    description: str
    resource: Resource
    recommendation: str = ""


@dataclass(frozen=True, slots=True)
class Exposure:
    """One read-only request sent to a live app without credentials, and what it answered."""

    request: str  # "GET /rest/settings"
    status: int  # the HTTP status, 0 when nothing answered
    kind: str  # settings | api | metrics: what the request asks for
    answered: bool  # it answered with data (not a login page, not an error)
    details: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # what it revealed

    @property
    def resource(self) -> Resource:
        return Resource("endpoint", self.request, self.request, f"exposure/{self.request}")


# -- data flow: what each step reads, writes and runs (see pytest_nocode.dataflow) ----------
# Kinds of a ValueRef. "field" and "step" read data already in the flow; the others are where a
# value comes from in the first place (its origin).
ORIGIN_KINDS = ("constant", "env", "platform", "store", "entry", "ai", "unknown")


@dataclass(frozen=True, slots=True)
class ValueRef:
    """One value a step uses, in the engine's words.

    ``field``: a field of the incoming message or item (``name`` its top-level key, ``"*"`` the
    whole of it; ``path`` the full path as written, for evidence); ``key``: the key or
    timestamp column (``id``, ``*_id``, ``created_at``) of the rows held in such a field;
    ``step``: a field of another step's output (n8n ``$('Node')``); ``ai``: what an AI model
    wrote (``$fromAI``); any other kind of :data:`ORIGIN_KINDS` is an origin itself (``name``
    says which: the env variable, the platform value, the store, the entry point).
    """

    kind: str
    name: str = "*"
    step: str = ""
    path: str = ""
    # where in a text the step builds the value is placed, when that limits what it can do
    # there (:data:`IN_FILE_NAME`, :data:`IN_URL_QUERY`); "" when nothing is known of it
    within: str = ""


# A value placed after fixed text inside the last part of an absolute POSIX path
# ("/data/alarm_" + name): a "/" in it makes components only beneath a directory whose name
# starts with that text, which must exist already (the kernel resolves ".." there, it does not
# drop it as Windows and path.resolve do).
IN_FILE_NAME = "inside a file name, after a fixed absolute POSIX directory and fixed text"
# A value a Node-RED template pastes with {{ }} (mustache's HTML escape: ' and " become
# &#39; and &quot;) inside a quoted literal of the SQL text it builds: it cannot end the
# literal, where a backslash is no escape (PostgreSQL, SQLite, SQL Server, Oracle; not
# MySQL, whose default mode lets "\" swallow the closing quote the escape leaves alone).
IN_SQL_LITERAL_ESCAPED = "HTML-escaped ({{ }}) inside a quoted SQL string literal"
# A value placed in the query string of a URL whose scheme, host and path are fixed text
# ("https://api.example.org/alerts?" + params): it picks parameters, not the server.
IN_URL_QUERY = "in the query string of a URL with a fixed host and path"
# A value placed in the path of a URL whose scheme, host and port are fixed text
# ("https://git.example.org/api/v4/projects/" + id): a "../" or "?" in it reaches another
# endpoint of that server, never another server. By the zone of the host: an internet host's
# endpoints a caller can call anyway (the value gains them only the credentials the request
# carries); a host on the owner's networks (loopback, this host, the private network) they
# reach only through the app.
IN_URL_PATH_INTERNET = "in the path of a URL to a fixed internet host"
IN_URL_PATH_OWN = "in the path of a URL to a fixed host on the owner's networks"
# A value through encodeURIComponent after a URL's fixed scheme and host: "/", "?" and "#"
# are escaped, so it stays one path segment or one parameter value.
IN_URL_ENCODED = "URL-encoded (encodeURIComponent) after a URL's fixed scheme and host"
# A URL placement that holds only if the URL's start, read from a Node-RED flow or global
# context key (``${global.get("baseUrl")}/device/?id=`` + id), is the owner's own value: a
# key the app sets itself from constants and host facts only (the engine asks, see
# DataFlow.origins). Written "<placement>, past the URL base kept in <store name>".
PAST_KEPT_BASE = ", past the URL base kept in "


def past_kept_base(placed: str, store: str) -> str:
    """``placed`` (a URL placement) as it holds after a base URL kept in ``store``."""
    return f"{placed}{PAST_KEPT_BASE}{store}"


def kept_base(within: str) -> tuple[str, str]:
    """(the placement, the store holding the URL base it depends on, "" when none)."""
    placed, _sep, store = within.partition(PAST_KEPT_BASE)
    return placed, store


# A value the code let through only when it matched an anchored pattern whose every
# character is a letter, a digit or one of ``._-:/@+,`` (``/^[a-z0-9._-]+$/.test(v) ? v : ""``,
# ``if (!/^[0-9]+$/.test(port)) return null;``): no space, quote, semicolon, pipe, "$" or
# backquote can be in it, so it is one word of a shell command or of SQL text, never syntax.
# It still picks which word: a URL, a file or a host it names stays the caller's choice.
SHAPE_CHECKED = "checked against an anchored pattern of word characters before it is joined"
# Sinks whose danger is syntax (a shell command, SQL text): such a word cannot add any.
SYNTAX_ONLY = frozenset({SHAPE_CHECKED})


# Not a placement of its own: code copies a value read from a Node-RED context key as it is
# (``msg.url = requests[i].url`` of a list the app kept): where the text that was kept put
# each of its parts still holds (a value past a fixed host stays past it). Code otherwise
# may put what it reads anywhere, and such a read loses every placement.
AS_KEPT = "copied as it was kept"

# The address a chat platform gives a file a message attached (Slack's url_private_download,
# on its own file host): a request to it reaches the platform, never a server the sender
# picks; what it serves is still the file the sender uploaded.
AS_PLATFORM_FILE_URL = "as the address a chat platform gives a file it keeps on its own host"
# A caller's data held whole as the object the platform parsed it into (the query of a
# Node-RED GET route, always an object): put into a text as it is, it becomes
# "[object Object]", none of what the caller wrote. A read of one of its keys is the caller's
# text again (the engine drops this placement there).
AS_PARSED_OBJECT = ("whole, as the object the request's query was parsed into "
                    "('[object Object]' as text)")


@dataclass(frozen=True, slots=True)
class SinkUse:
    """A parameter whose value a step runs, renders, opens or sends."""

    # command | code | sql | template | path | query | fetch | formula | url | send | prompt
    # | act | answer (see the *_SINKS sets in pytest_nocode.dataflow)
    kind: str
    param: str  # the parameter it sits in ("command", "query", "addpay", "filename")
    reads: tuple[ValueRef, ...]
    reason: str  # in a reviewer's words: "appends msg.payload to the shell command"
    # placements (ValueRef.within) where a value cannot do here what this sink is about: a
    # file name after fixed text for a node that makes no directories, a URL's query string
    # for the server a request reaches; what reaches the sink only so is not among its origins
    harmless_within: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FieldWrite:
    """A field the step sets: ``strong`` replaces what it held, else adds to it."""

    field: str  # top-level key; "*" replaces the whole message/item
    value: tuple[ValueRef, ...]
    strong: bool = True


@dataclass(frozen=True, slots=True)
class StepFlow:
    """How data passes one step. ``output``: ``pass`` (input goes on, ``writes`` applied),
    ``fresh`` (a new message made only of ``writes``), ``mix`` (code: any input field may end
    up in any output field), ``drop`` (nothing goes on: a disabled Node-RED node)."""

    output: str = "pass"
    writes: tuple[FieldWrite, ...] = ()
    sinks: tuple[SinkUse, ...] = ()
    starts: bool = False  # a trigger: it starts a flow and is sent nothing
    # values the step keeps for any step to read back (a Node-RED flow or global context key):
    # ``field`` names the store as a "store" ValueRef does; a name ending " *" is a key chosen
    # at run time, which may be any key of that store
    keeps: tuple[FieldWrite, ...] = ()
    # code the app's author wrote runs here (a Node-RED function, an n8n Code node): what
    # reaches it is handled by logic no configuration review sees, so a threat model draws it
    authored_code: bool = False
    # the message fields an entry point fills with what its caller sent (an HTTP route's
    # ``payload`` and ``req``); None when the adapter cannot say, and then every field may be
    # the caller's. The others hold only what the step's ``writes`` give them.
    entry_fields: tuple[str, ...] | None = None
    # (field, placement) of entry_fields the caller's data can do only so much in, as
    # ValueRef.within says (a GET route's payload: the parsed query object, AS_PARSED_OBJECT)
    entry_within: tuple[tuple[str, str], ...] = ()
    # paths below the item a trigger gives (``messages[0].image.id``) that its service fills
    # in itself whatever the sender wrote (the id WhatsApp gives an attached photo): a read of
    # one is a platform value, though the rest of the field stays the sender's
    assigned: tuple[str, ...] = ()
    # the steps this one sends only what entered it from outside its own loop (n8n Loop Over
    # Items: its loop output emits batches of the items it was first given; what comes back
    # around the loop leaves on its other output, to the other steps)
    loop_targets: tuple[str, ...] = ()
    # what a step that writes a store puts there besides the item it is given (n8n's column
    # mappings, the values pasted into an INSERT): the engine asks them before it calls a store
    # the app fills only with values of known origin (see DataFlow.internal_stores)
    stored: tuple[ValueRef, ...] = ()
    # False: the step stores only ``stored``, not the item it is given (a hand-written UPDATE
    # sets the columns it names to what it pastes or binds; the rest of the item stays out)
    stores_item: bool = True
    # a called workflow's trigger (n8n Execute Workflow Trigger): it is given what a calling
    # workflow passes in; wired from no caller in this app, that input is a caller's the app
    # does not show (not merely nothing wired), which the checks name as such
    called: bool = False
    # message fields the step's code reads, by the path it reads them at
    # (``msg.payload.usersList[].auth.password_hash``), whatever it does with them: what the
    # flow makes of a value an earlier step put there (an HTTP request's answer)
    reads: tuple[ValueRef, ...] = ()
    # a step whose outputs carry different data (a Node-RED function that sends ``msg`` on
    # one output before it sets a property and on another after): per output, the steps it
    # sends to and what it writes there in place of ``writes``; a step sent to on none of
    # them (or on several) is given ``writes`` (or what those outputs give, joined)
    outputs: tuple[tuple[tuple[str, ...], tuple[FieldWrite, ...]], ...] = ()


COLLECTIONS = (
    "workflows", "steps", "entry_points", "destinations", "connectors", "credentials",
    "principals", "grants", "shares", "stores", "modules", "advisories", "exposures",
    "broken_links",
)


@dataclass(frozen=True)
class App:
    """One normalized app. Build it with :func:`build_app`, which fills the indexes."""

    id: str
    platform: str
    name: str
    facets: frozenset[str]
    workflows: tuple[Workflow, ...] = ()
    steps: tuple[Step, ...] = ()
    entry_points: tuple[EntryPoint, ...] = ()
    destinations: tuple[Destination, ...] = ()
    connectors: tuple[Connector, ...] = ()
    credentials: tuple[Credential, ...] = ()
    principals: tuple[Principal, ...] = ()
    grants: tuple[Grant, ...] = ()
    shares: tuple[Share, ...] = ()
    stores: tuple[DataStore, ...] = ()
    modules: tuple[Module, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    broken_links: tuple[BrokenLink, ...] = ()
    settings: Mapping[str, Setting] = field(default_factory=lambda: EMPTY)
    # the package whose own flows these are (a Node-RED node package's examples/ scanned in its
    # CI): its node types are the app under review, not a third-party module to vet
    own_package: Module | None = None
    # the hosts of the compose stack that runs the app (its service names, static addresses and
    # network subnets, read from the compose files beside a file export: see
    # pytest_nocode.compose): the same-host trust zone, unless the policy places them otherwise
    compose_hosts: tuple[str, ...] = ()
    # the adapter's description of how data passes each step (derived from the steps, so not
    # part of the configuration: neither hashed nor in to_dict); None: the adapter gives none
    flow_of: Callable[[Step], StepFlow] | None = field(default=None, repr=False,
                                                       compare=False)
    # the steps that run a shared part of the app per call (derived from the wiring like
    # flow_of: not configuration, so neither hashed nor in to_dict)
    calls: tuple[Call, ...] = field(default=(), repr=False, compare=False)
    # what the data given did not show, by part, for the report beside the fetch's notes:
    # {"published versions": "…"}; not configuration, so not hashed
    notes: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # indexes, derived from the above in __post_init__
    _step_by_id: Mapping[str, Step] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _steps_by_type: Mapping[str, tuple[Step, ...]] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _inbound: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _config_users: Mapping[str, tuple[Step, ...]] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _workflow_by_id: Mapping[str, Workflow] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _steps_by_workflow: Mapping[str, tuple[Step, ...]] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )
    _broken_by_workflow: Mapping[str, tuple[BrokenLink, ...]] = field(
        default_factory=lambda: EMPTY, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_id: dict[str, Step] = {}
        by_type: dict[str, list[Step]] = {}
        inbound: dict[str, list[str]] = {}
        config_users: dict[str, list[Step]] = {}
        by_workflow: dict[str, list[Step]] = {}
        broken: dict[str, list[BrokenLink]] = {}
        for step in self.steps:
            for ref in step.config_refs:
                config_users.setdefault(ref, []).append(step)
            by_id[step.id] = step
            by_type.setdefault(step.type, []).append(step)
            by_workflow.setdefault(step.workflow_id, []).append(step)
            for target in step.outbound:
                inbound.setdefault(target, []).append(step.id)
        object.__setattr__(self, "_step_by_id", MappingProxyType(by_id))
        object.__setattr__(
            self, "_steps_by_type", MappingProxyType({k: tuple(v) for k, v in by_type.items()})
        )
        object.__setattr__(
            self, "_inbound", MappingProxyType({k: tuple(v) for k, v in inbound.items()})
        )
        object.__setattr__(
            self, "_workflow_by_id", MappingProxyType({w.id: w for w in self.workflows})
        )
        object.__setattr__(
            self, "_config_users", MappingProxyType({k: tuple(v) for k, v in config_users.items()})
        )
        for link in self.broken_links:
            broken.setdefault(link.workflow_id, []).append(link)
        object.__setattr__(self, "_steps_by_workflow",
                           MappingProxyType({k: tuple(v) for k, v in by_workflow.items()}))
        object.__setattr__(self, "_broken_by_workflow",
                           MappingProxyType({k: tuple(v) for k, v in broken.items()}))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    # -- lookups -------------------------------------------------------------------------
    def has(self, facet: str) -> bool:
        return facet in self.facets

    def step(self, step_id: str) -> Step | None:
        return self._step_by_id.get(step_id)

    def workflow(self, workflow_id: str) -> Workflow | None:
        return self._workflow_by_id.get(workflow_id)

    def steps_of_type(self, *types: str) -> Iterator[Step]:
        """Steps whose platform type is one of ``types``, enabled ones only."""
        for t in types:
            for step in self._steps_by_type.get(t, ()):
                if not step.disabled:
                    yield step

    def steps_in(self, workflow_id: str) -> tuple[Step, ...]:
        """The steps of one workflow (disabled ones too), in the app's order."""
        return self._steps_by_workflow.get(workflow_id, ())

    def broken_links_in(self, workflow_id: str) -> tuple[BrokenLink, ...]:
        """The connections of one workflow that point at a node the export does not hold."""
        return self._broken_by_workflow.get(workflow_id, ())

    def inbound(self, step_id: str) -> tuple[str, ...]:
        return self._inbound.get(step_id, ())

    def downstream(self, start: Iterable[str]) -> Iterator[Step]:
        """Every step reachable from ``start`` along the wiring (start excluded), once each."""
        seen = set(start)
        stack = list(seen)
        while stack:
            current = self._step_by_id.get(stack.pop())
            if current is None:
                continue
            for target in current.outbound:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
                    step = self._step_by_id.get(target)
                    if step is not None:
                        yield step

    def paths_from(self, start: Iterable[str]) -> dict[str, str]:
        """Breadth-first parents: reachable step id → the step it was reached from.

        The start steps map to themselves, so :func:`path_to` can rebuild the shortest route.
        """
        parents = {s: s for s in start}
        queue = list(parents)
        for current_id in queue:  # the list grows while we walk it: a BFS queue
            current = self._step_by_id.get(current_id)
            if current is None:
                continue
            for target in current.outbound:
                if target not in parents:
                    parents[target] = current_id
                    queue.append(target)
        return parents

    def users_of(self, config_id: str) -> tuple[Step, ...]:
        """Enabled steps that use the config step ``config_id`` (a broker, a listener, …)."""
        return tuple(s for s in self._config_users.get(config_id, ()) if not s.disabled)

    def setting(self, key: str) -> Setting | None:
        return self.settings.get(key)

    def resource_of(self, step_id: str) -> Resource:
        step = self.step(step_id)
        return step.resource if step else Resource("node", step_id, step_id)

    # -- identity --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The normalized configuration as plain JSON-able data (no indexes)."""
        out: dict[str, Any] = {
            "id": self.id,
            "platform": self.platform,
            "name": self.name,
            "facets": sorted(self.facets),
        }
        for name in COLLECTIONS:
            out[name] = [_plain(item) for item in getattr(self, name)]
        out["settings"] = {k: _plain(s.value) for k, s in sorted(self.settings.items())}
        if self.own_package is not None:
            out["own_package"] = _plain(self.own_package)
        if self.compose_hosts:
            out["compose_hosts"] = list(self.compose_hosts)
        return out

    def sha256(self) -> str:
        """Hash of the normalized configuration; key order and step order do not matter, nor
        do the labels the run gave the app (its id and display name).

        The hashed text is ``canonical_json`` of ``to_dict()`` without id and name, each
        collection sorted by its items' canonical JSON; it is built here by the C JSON encoder
        straight from the model, each item encoded once (3x faster on large apps).
        The text is fed to the hash piece by piece, never joined: on 20,000 workflows the
        joined text and its bytes were the run's peak memory; nor are a collection's texts
        all held at once to sort them (:func:`_in_text_order`).
        """
        encode = _CANONICAL
        scalars = {"platform": encode(self.platform), "facets": encode(sorted(self.facets)),
                   "settings": encode({k: s.value for k, s in self.settings.items()})}
        if self.own_package is not None:  # absent, the hash is what it was before the field
            scalars["own_package"] = encode(self.own_package)
        if self.compose_hosts:  # likewise
            scalars["compose_hosts"] = encode(sorted(self.compose_hosts))
        digest = hashlib.sha256(b"{")
        for n, key in enumerate(sorted([*scalars, *COLLECTIONS])):
            digest.update(f"{',' if n else ''}{encode(key)}:".encode())
            if key in scalars:
                digest.update(scalars[key].encode())
                continue
            digest.update(b"[")
            for i, item in enumerate(_in_text_order(getattr(self, key))):
                digest.update(f",{item}".encode() if i else item.encode())
            digest.update(b"]")
        digest.update(b"}")
        return digest.hexdigest()


def _in_text_order(items: tuple[Any, ...]) -> Iterator[str]:
    """The canonical JSON of each of ``items``, in the order of those texts, each encoded
    when it is its turn: the steps' texts held together to be sorted were the hash's peak
    memory (25 MB on 2,000 workflows).

    Items with a text ``id`` are sorted by the start of their text, the keys up to and
    including ``id`` (the keys are sorted, so the text starts with exactly that): the id's
    closing quote ends one such start where another could go on, so two different starts
    order their texts as the texts order themselves. Items whose starts are equal (or that
    have no text id) are sorted by their whole texts."""
    encode = _CANONICAL
    names = sorted(f.name for f in fields(items[0])) if items and is_dataclass(items[0]) else []
    if "id" not in names or not all(type(item.id) is str for item in items):
        yield from sorted(encode(item) for item in items)
        return
    head = names[:names.index("id") + 1]
    values = _values_of(head)
    starts = sorted((encode(dict(zip(head, values(item), strict=True)))[:-1], i)
                    for i, item in enumerate(items))
    run: list[int] = []  # indexes of items whose starts are equal, in a row
    for n, (start, index) in enumerate(starts):
        run.append(index)
        if n + 1 < len(starts) and starts[n + 1][0] == start:
            continue
        if len(run) == 1:
            yield encode(items[index])
        else:
            yield from sorted(encode(items[i]) for i in run)
        run = []


def path_to(parents: Mapping[str, str], target: str) -> list[str]:
    """The route from a start step to ``target`` in a :meth:`App.paths_from` map."""
    route = [target]
    while parents.get(route[-1], route[-1]) != route[-1]:
        route.append(parents[route[-1]])
    return route[::-1]


def _plain(value: Any) -> Any:
    """JSON-able copy of model data (dataclasses, read-only mappings, tuples)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    default=str)``."""
    return _CANONICAL_STR(value)


def json_text(value: Any, ensure_ascii: bool = True) -> str:
    """``json.dumps(value, default=str, ensure_ascii=ensure_ascii)``, its C encoder made once
    (:func:`_made_once`): the checks search the JSON text of a step's parameters tens of
    thousands of times in a large org, and ``json.dumps`` makes a new encoder each time."""
    return (_DUMPS_STR if ensure_ascii else _DUMPS_STR_UTF8)(value)


def _canonical_default(value: Any) -> Any:
    """What :func:`_plain` then ``default=str`` make of non-JSON values, one level at a time
    (a model class's field names looked up once: the hash meets 40,000 steps)."""
    if type(value) is MappingProxyType:  # a step's params, a workflow's settings
        return {str(k): v for k, v in value.items()}
    known = _FIELD_NAMES.get(type(value))
    if known is None:
        if not (is_dataclass(value) and not isinstance(value, type)):
            if isinstance(value, Mapping):
                return {str(k): v for k, v in value.items()}
            return str(value)
        names = tuple(f.name for f in fields(value))
        known = _FIELD_NAMES[type(value)] = (names, _values_of(names))
    names, values = known
    return dict(zip(names, values(value), strict=True))


# dataclass -> its field names, and what reads their values
_FIELD_NAMES: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _values_of(names: Iterable[str]) -> Callable[[Any], tuple[Any, ...]]:
    """What reads the attributes ``names`` of an object as a tuple (in C for two or more)."""
    names = tuple(names)
    if len(names) > 1:
        return attrgetter(*names)
    return lambda value: tuple(getattr(value, n) for n in names)


def _made_once(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` (compact JSON), with CPython's C encoder made once instead of at
    every call, as ``JSONEncoder.encode`` does: making it cost more than encoding a small
    item, and the hash encodes 110,000 of them on 2,000 workflows, the risk scores 25,000
    step configurations. The same C encoder, so the same text and the same errors."""
    make = json.encoder.c_make_encoder
    if make is None or encoder.indent is not None:
        return encoder.encode
    markers: dict[int, Any] | None = {} if encoder.check_circular else None
    c_encode = make(markers, encoder.default, json.encoder.encode_basestring_ascii
                    if encoder.ensure_ascii else json.encoder.encode_basestring, None,
                    encoder.key_separator, encoder.item_separator, encoder.sort_keys,
                    encoder.skipkeys, encoder.allow_nan)

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return encoder.encode(value)
        try:
            return "".join(c_encode(value, 0))
        except BaseException:
            if markers:  # what a failed call left: the next one starts afresh
                markers.clear()
            raise

    return encode


_CANONICAL = _made_once(json.JSONEncoder(sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False, default=_canonical_default))
_CANONICAL_STR = _made_once(json.JSONEncoder(sort_keys=True, separators=(",", ":"),
                                             ensure_ascii=False, default=str))
_DUMPS_STR = _made_once(json.JSONEncoder(default=str))
_DUMPS_STR_UTF8 = _made_once(json.JSONEncoder(default=str, ensure_ascii=False))


@lru_cache(maxsize=1 << 16)
def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address; answered once per host text in a process (every
    URL a flow calls asks it, most of them of the same few hosts)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_url(url: str) -> tuple[str, str, int | None, bool]:
    """(scheme, host, port, had_userinfo) of a URL; empty parts where it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "", "", None, False
    return (
        parts.scheme.lower(),
        (parts.hostname or "").lower(),
        port,
        parts.username is not None or parts.password is not None,
    )


def strip_userinfo(url: str) -> str:
    """The URL without ``user:password@``, so it can be shown and stored."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"***@{host}").geturl()


# Hosted AI model APIs: a request to one of these endpoints is a model call, whatever node
# sends it (a raw HTTP request as much as a model node): what it is sent is a prompt, what it
# answers is a model's output. Host → the endpoints that generate text.
MODEL_API_HOSTS = frozenset({
    "api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
    "api.mistral.ai", "api.groq.com", "openrouter.ai", "api.deepseek.com", "api.x.ai",
    "api.perplexity.ai", "api.cohere.ai", "api.cohere.com", "api.together.xyz",
    "api.fireworks.ai"})
MODEL_API_SUFFIXES = (".openai.azure.com",)  # an Azure OpenAI resource
MODEL_API_PATH = re.compile(
    r"/(?:chat/completions|completions|responses|messages|complete|chat|generate)/?$|"
    r":(?:stream)?generateContent$", re.I)


def is_model_api(host: str, path: str) -> bool:
    """Is a request to ``host`` at ``path`` (no query string) a call to a hosted AI model
    that generates text (OpenAI's chat completions, Anthropic's messages, Gemini's
    generateContent…)? Other endpoints of those hosts (files, fine-tuning, embeddings) are
    not."""
    host = host.lower()
    return (host in MODEL_API_HOSTS or host.endswith(MODEL_API_SUFFIXES)) and \
        MODEL_API_PATH.search(path) is not None


# Mail-sending APIs, host -> the path that sends one message (Brevo's /v3/smtp/email,
# SendGrid's /v3/mail/send, Mailgun's /v3/DOMAIN/messages, ...): a request there is a mail to
# the recipients it names, as a Send Email node is; other paths of those hosts (a contacts
# import, a list) are not.
_BREVO_SEND = re.compile(r"^/v3/smtp/email/?$")
_MAILGUN_SEND = re.compile(r"^/v3/[^/]+/messages/?$")
MAIL_SEND_PATHS = {"api.brevo.com": _BREVO_SEND, "api.sendinblue.com": _BREVO_SEND,
                   "api.sendgrid.com": re.compile(r"^/v3/mail/send/?$"),
                   "api.mailgun.net": _MAILGUN_SEND, "api.eu.mailgun.net": _MAILGUN_SEND,
                   "api.resend.com": re.compile(r"^/emails/?$"),
                   "api.postmarkapp.com": re.compile(r"^/email/?$")}


def is_mail_send_api(host: str, path: str) -> bool:
    """Is a request to ``host`` at ``path`` (no query string) one mail sent by a mail
    provider's API (:data:`MAIL_SEND_PATHS`)?"""
    send = MAIL_SEND_PATHS.get(host.lower())
    return send is not None and send.search(path) is not None


# Models a team runs itself: Ollama (its port 11434, or a host named for it) generating at
# /api/generate or /api/chat, and any OpenAI-compatible server (LM Studio, vLLM, LiteLLM,
# llama.cpp) at /v1/chat/completions: a request there is a model call as one to a provider is.
OLLAMA_PORT = 11434
OLLAMA_PATH = re.compile(r"/api/(?:generate|chat)/?$")
OPENAI_COMPATIBLE_PATH = re.compile(r"/v1/(?:chat/)?completions/?$")


def is_self_hosted_model(host: str, port: int | None, path: str) -> bool:
    """Is a request to ``host:port`` at ``path`` a call to a model the team serves itself
    (:data:`OLLAMA_PATH` on Ollama's port or an ``ollama`` host, or an OpenAI-compatible
    completions path on any host)?"""
    if OPENAI_COMPATIBLE_PATH.search(path):
        return True
    return OLLAMA_PATH.search(path) is not None and (
        port == OLLAMA_PORT or "ollama" in host.lower())


# Hosted models that compute rather than write: embeddings, feature extraction, reranking,
# a Hugging Face inference pipeline. What they are given is processed by the AI service the
# workflow is built on, as a prompt is, and comes back as vectors or scores.
INFERENCE_API_HOSTS = MODEL_API_HOSTS | {"router.huggingface.co", "api-inference.huggingface.co",
                                         "api.voyageai.com", "api.jina.ai"}
INFERENCE_API_PATH = re.compile(r"/(?:embeddings?|feature-extraction|rerank|classify)/?$|"
                                r"/hf-inference/|/pipeline/|:(?:batch)?[Ee]mbed(?:Content|Text)$")


def is_inference_api(host: str, path: str) -> bool:
    """Is a request to ``host`` at ``path`` a call to a hosted model: one that generates text
    (:func:`is_model_api`) or one that computes embeddings or scores of what it is given?"""
    host = host.lower()
    return is_model_api(host, path) or (
        (host in INFERENCE_API_HOSTS or host.endswith(MODEL_API_SUFFIXES))
        and INFERENCE_API_PATH.search(path) is not None)


T = TypeVar("T")


class AppMemo(Generic[T]):
    """A value kept per App instance, keyed by identity with a weak reference (App's fields
    are not hashable), and dropped with the app: the engines' and scans' memo."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref[App], T]] = {}

    def get(self, app: App) -> T | None:
        entry = self._entries.get(id(app))
        return entry[1] if entry is not None and entry[0]() is app else None

    def put(self, app: App, value: T) -> T:
        key, entries = id(app), self._entries

        def forget(ref: weakref.ref[App]) -> None:
            if entries.get(key, (None,))[0] is ref:  # the entry itself, even at shutdown
                del entries[key]

        entries[key] = (weakref.ref(app, forget), value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, app_id: object) -> bool:
        """Is a value kept for the app whose ``id()`` this is?"""
        return app_id in self._entries
