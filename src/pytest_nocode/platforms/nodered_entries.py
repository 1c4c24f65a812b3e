"""Node-RED entry points beyond ``http in``: what a call to one can do, and the listeners
community nodes open.

**What a call can do** (:attr:`~pytest_nocode.model.EntryPoint.effect`) is read from the steps
its messages reach: a route that only answers with a fixed page, script or stylesheet (a
template without fields, a file at a fixed web path), or one whose wire ends in a junction
or an editor preview (:data:`EDITOR_PREVIEWS`), opens no door a reviewer files; one that reaches a
command, a write, a request, a device or any node this module does not know does. Unknown is
"acts". A function node's code is read (:func:`code_effect`): code that only shapes the
message passes, code that reads flow or global context serves what it read, and code that
writes shared context or calls anything outside a short list of plain JavaScript acts.

**Authentication nodes** (:func:`route_guard`): a route whose every message first passes a
``node-red-contrib-httpauth`` node configured with users (it answers 401 and stops the
message otherwise) is authenticated by that node, Basic or Digest.

**Listeners** of widely used community nodes, each checked against the node's own config keys:

* ``aedes broker`` (node-red-contrib-aedes): an MQTT broker inside Node-RED; its user name
  and password are credentials, which a flows export never holds, so its authentication is
  unproven, never assumed;
* ``mosca in`` (node-red-contrib-mqtt-broker, the older broker on mosca): its user name and
  password are plain node properties, so the export shows them; the broker checks them only
  when both are set, and lets every client in otherwise;
* ``uibuilder`` (node-red-contrib-uibuilder): a page whose browser clients send messages
  into the flow over its socket (output 1; output 2 carries their connects);
* ``twitter in`` (node-red-node-twitter) on direct messages: anyone who can message the
  account writes the flow's input;
* ``homekit-bridge`` / ``homekit-standalone`` (node-red-contrib-homekit-bridged): paired
  Home app clients only, unless ``allowInsecureRequest`` lets unpaired ones in;
* ``noraf-config`` (node-red-contrib-nora-fork, Google Home): each device asks for no
  confirmation, an acknowledgement or a PIN (``twofactor``: off / ack / pin) before Google
  Assistant runs a command; without a PIN anyone the assistant hears, or any linked account,
  runs it;
* ``webhookrelay`` (node-red-contrib-webhookrelay): webhooks posted to a public
  webhookrelay.com bucket, relayed into the flow; whether the bucket authenticates senders
  is set on that service, never in the export: unproven, never assumed.

**Subscriptions on a public broker** (:func:`public_broker_subscription`): an ``mqtt in``
on one of the open test brokers anyone on the internet connects to without an account
(``PUBLIC_BROKERS``) takes messages from whoever publishes on its topic, whatever
credentials this client logs in with: a way in with no authentication. A broker of the
owner's (a LAN host, a compose service, a cloud account's own broker) is not one.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import tree_sitter

from pytest_nocode.model import (
    ACTS,
    ANSWERS,
    NOTHING,
    PASSES,
    SERVES,
    EntryPoint,
    Step,
    is_web_asset,
    json_text,
    stronger_effect,
)
from pytest_nocode.platforms.jsparse import captures, function_body, member_root, text

# Node-RED's SQL nodes: (the node's own query property, the message property it runs when that
# is empty, whether its own query is a mustache template of msg). Read by the flow reader, the
# adapter and the login guards (which the data flow imports): kept here, below all of them.
SQL_NODES: dict[str, tuple[str, str, bool]] = {
    "mysql": ("", "topic", False),
    "postgresql": ("query", "query", True),
    "postgrestor": ("query", "query", True),  # node-red-contrib-postgrestor: the same {msg}
    # mustache query that node-red-contrib-postgresql grew from
    "postgres": ("query", "payload", True),  # node-red-contrib-postgres: msg.payload, with
    # named $parameters bound from msg.queryParameters
    "MSSQL": ("query", "payload", True),
    "MSSQL-CN": ("query", "payload", True),
    "oracledb": ("query", "query", False),
}

# Nodes that shape, route or hold a message and change nothing outside the flow.
SHAPING_TYPES = frozenset({
    "switch", "json", "xml", "yaml", "csv", "html", "split", "join", "sort", "batch", "range",
    "delay", "trigger", "rbe", "filter", "link in", "link out", "link call", "junction",
    "comment", "debug", "status", "catch", "complete",
    "uib-cache"})  # uibuilder's cache: replays the last messages to a page that connects
# Dashboard widgets that only show what they are given (and pass it on where wired): a caller
# can change what a screen shows, not make the app do anything (node-red-dashboard, FlowFuse
# Dashboard 2). A ui_template is not among them: it runs the markup and script it is sent.
DISPLAY_TYPES = frozenset({
    "ui_text", "ui_gauge", "ui_chart", "ui_led", "ui_level", "ui_table", "ui-text",
    "ui-gauge", "ui-chart", "ui-led", "ui-table", "ui-markdown"})
# Nodes that preview what they are given in the editor, each known by its own settings
# (node-red-contrib-image-output's ``image``: the picture's width and the message property
# holding it); they change nothing and forward the message only when set to
EDITOR_PREVIEWS: dict[str, tuple[str, ...]] = {"image": ("width", "data")}
# A community receiver (node-red-contrib-chatbot's ``chatbot-universal-receive``) turns what it
# is given into the messages it sends on: with nothing wired after it, they go nowhere.
_RECEIVER = re.compile(r"[-_](?:receive|receiver)$")
# Nodes that answer whoever called (the HTTP caller, a socket's clients: a ``websocket out``
# on a listener, a ``tcp out`` set to reply); a uibuilder node sends what it gets to its
# page's clients and forwards it only with fwdInMessages.
ANSWER_TYPES = frozenset({"http response", "websocket out", "uibuilder"})
_CONTEXT_JSONATA = re.compile(r"\$(?:global|flow)Context\s*\(")
# a mustache field: what a template answers is more than its fixed text (a fixed page, form or
# script is the app's own code, served as it is, like a stylesheet: what it calls is judged
# at the route it calls)
_FIELD = re.compile(r"\{\{")


def entry_effect(starts: Iterable[Step], by_id: Mapping[str, Step]
                 ) -> tuple[str, str, tuple[str, ...]]:
    """What messages entering at ``starts`` can do, along their wiring (``acts``, ``serves``,
    ``answers`` or ``nothing``), why (the node that acts, or those that serve or answer:
    :attr:`~pytest_nocode.model.EntryPoint.effect_reason`), and the serving steps when each
    serves only flow or global context (:attr:`~pytest_nocode.model.EntryPoint.
    served_context`)."""
    seen: set[str] = set()
    queue = [t for s in starts for t in s.outbound]
    effect, reasons, serving = PASSES, [], []
    while queue:
        sid = queue.pop()
        step = by_id.get(sid)
        if sid in seen or step is None or step.disabled:
            continue
        seen.add(sid)
        what = step_effect(step)
        if what == ACTS:
            return ACTS, _reason(step, ACTS), ()
        if what != effect and stronger_effect(what, effect) == what:
            effect, reasons = what, []  # a stronger effect: its reasons, not the weaker
        if what == effect and what != PASSES and (why := _reason(step, what)) not in reasons:
            reasons.append(why)
        if what == SERVES:
            serving.append(step)
        if step.type not in ANSWER_TYPES or step.params.get("fwdInMessages") is True:
            queue.extend(step.outbound)
    if effect == PASSES:
        return NOTHING, "nothing after it acts or answers", ()
    context_only = effect == SERVES and all(serves_only_context(s) for s in serving)
    return (effect, "; ".join(sorted(reasons)),
            tuple(sorted(s.id for s in serving)) if context_only else ())


# a mustache field naming flow or global context (``{{global.delay}}``, ``{{flow.kpi.oee}}``)
_CONTEXT_FIELD = re.compile(r"\{\{\{?\s*[#^/&]?\s*(?:global|flow)\.")


def serves_only_context(step: Step) -> bool:
    """Does a serving step serve nothing but flow or global context values: no field of the
    message (what the caller sent, or what an earlier step fetched), no file, no environment?"""
    p = step.params
    if step.type == "change":  # it serves by copying context into the message; an expression
        # may mix in message fields, so only rules that copy a context key whole count
        rules = p.get("rules")
        return isinstance(rules, list) and all(
            isinstance(r, dict) and r.get("tot") != "jsonata" for r in rules)
    if step.type == "template":
        fields = _FIELD.findall(_text(p.get("template")))
        return len(_CONTEXT_FIELD.findall(_text(p.get("template")))) == len(fields)
    if step.type == "function":
        return code_reads(_text(p.get("func"))) == {"shared context"}
    return False


def _reason(step: Step, what: str) -> str:
    """Why ``step`` has effect ``what``, in a reviewer's words."""
    named = f"node {step.name or step.id!r} ({step.type})"
    if what == ANSWERS:
        return f"{named} answers with what reaches it"
    if what == SERVES:
        if step.type == "file in":
            return f"{named} reads a file it may answer with"
        if step.type == "template":
            return f"{named} renders " + ("flow or global context" if serves_only_context(step)
                                          else "message fields")
        return f"{named} copies flow or global context into the message"
    if step.type == "function":
        return f"{named} runs code its author wrote"
    if step.type in ("template", "change"):
        return f"{named} sets flow or global context (or rules the reader cannot follow)"
    return f"{named} may change, send or run something"


# Smart-contract calls whose own setting says the function only reads (a Solidity ``view`` or
# ``pure`` function: an Ethereum ``contract-call`` node with ``readonlyFunction`` set): the
# chain node evaluates it and nothing changes on the chain, so the call passes on contract
# state whoever reaches the chain reads too; a transaction (the flag off) acts.
READ_ONLY_CALLS = {"contract-call": "readonlyFunction"}


def step_effect(step: Step) -> str:
    """What one enabled step does with a message it is given."""
    p = step.params
    if step.type in SHAPING_TYPES | DISPLAY_TYPES or step.type.startswith("subflow:"):
        return PASSES
    if not step.outbound and _RECEIVER.search(step.type):
        return PASSES
    if step.type in EDITOR_PREVIEWS and all(k in p for k in EDITOR_PREVIEWS[step.type]):
        return PASSES
    if step.type == "websocket out" and _text(p.get("client")).strip():
        return ACTS  # sends to the socket server it connects to, not to who called
    if step.type in ANSWER_TYPES or (step.type == "tcp out"
                                     and _text(p.get("beserver")) == "reply"):
        return ANSWERS
    if step.type == "file in":
        filename = _text(p.get("filename"))
        fixed = _text(p.get("filenameType") or "str") == "str"
        return PASSES if fixed and is_web_asset(filename) else SERVES
    if step.type == "function":
        if p.get("libs") or _text(p.get("initialize")).strip() \
                or _text(p.get("finalize")).strip():
            return ACTS  # modules it loads, code run at deploy: not read here
        return code_effect(_text(p.get("func")))
    if step.type == "template":
        if _text(p.get("fieldType") or "msg") != "msg":
            return ACTS  # writes flow or global context
        fields = _text(p.get("syntax") or "mustache") != "plain" \
            and _FIELD.search(_text(p.get("template")))
        return SERVES if fields else PASSES
    if step.type == "change":
        return _change_effect(p.get("rules"))
    if step.type in READ_ONLY_CALLS:
        return PASSES if p.get(READ_ONLY_CALLS[step.type]) is True else ACTS
    return ACTS


def _change_effect(rules: Any) -> str:
    """A change node acts when it sets flow or global context; it serves data when it copies
    a context value into the message (a KPI, a reading: what the flow keeps)."""
    if not isinstance(rules, list):
        return ACTS
    reads = False
    for rule in rules:
        if not isinstance(rule, dict):
            return ACTS
        if rule.get("pt") in ("flow", "global"):
            return ACTS
        if rule.get("tot") in ("flow", "global") or _CONTEXT_JSONATA.search(
                json_text(rule.get("to"))):
            reads = True
    return SERVES if reads else PASSES


# -- what a function node's code does -----------------------------------------------------
# Calls that compute and change nothing outside the function: plain JavaScript and the
# function node's own helpers (``node.status``, ``RED.util``). Anything else (``require``,
# ``fetch``, a module from context, ``node.context().global``) may act: unknown is "acts".
PURE_CALLS = frozenset({
    "Number", "String", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite", "Date",
    "Array", "Object", "RegExp", "Error", "TypeError", "Symbol", "BigInt",
    "encodeURIComponent", "decodeURIComponent", "encodeURI", "decodeURI", "escape",
    "unescape", "setTimeout", "clearTimeout", "setInterval", "clearInterval"})
PURE_CONSTRUCTORS = frozenset({"Date", "Array", "Object", "RegExp", "Error", "TypeError",
                               "Set", "Map", "Promise", "URL", "URLSearchParams"})
PURE_NAMESPACES = frozenset({"JSON", "Math", "Object", "Array", "Number", "String", "Date",
                             "Promise", "console", "Buffer", "RED.util"})
NODE_METHODS = frozenset({"send", "status", "log", "warn", "error", "debug", "trace", "done"})
# methods of strings, numbers, dates, arrays, maps and promises
PURE_METHODS = frozenset({
    "toString", "toFixed", "toPrecision", "toLowerCase", "toUpperCase", "toLocaleString",
    "toLocaleDateString", "toLocaleTimeString", "toISOString", "toJSON", "toDateString",
    "toTimeString", "toUTCString", "trim", "trimStart", "trimEnd", "split", "join",
    "replace", "replaceAll", "slice", "substring", "substr", "indexOf", "lastIndexOf",
    "includes", "startsWith", "endsWith", "charAt", "charCodeAt", "codePointAt", "concat",
    "padStart", "padEnd", "repeat", "match", "matchAll", "search", "test", "localeCompare",
    "normalize", "map", "filter", "reduce", "reduceRight", "forEach", "find", "findIndex",
    "findLast", "findLastIndex", "some", "every", "flat", "flatMap", "keys", "values",
    "entries", "at", "hasOwnProperty", "valueOf", "getTime", "getFullYear", "getMonth",
    "getDate", "getDay", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
    "getTimezoneOffset", "getUTCFullYear", "getUTCMonth", "getUTCDate", "getUTCDay",
    "getUTCHours", "getUTCMinutes", "getUTCSeconds", "then", "catch", "finally", "get",
    "has", "call", "apply", "bind"})
# methods that change the object they are called on: harmless on the code's own values, a
# write of shared context when that object came from flow or global context
MUTATING_METHODS = frozenset({
    "push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "set", "add",
    "delete", "clear", "setDate", "setFullYear", "setMonth", "setHours", "setMinutes",
    "setSeconds", "setMilliseconds", "setTime"})
SHARED_CONTEXT = frozenset({"flow", "global"})
_CODE_SHAPES = """
(call_expression function: (_) @callee)
(new_expression constructor: (_) @constructed)
(assignment_expression left: (_) @target)
(augmented_assignment_expression left: (_) @target)
(update_expression argument: (_) @target)
(identifier) @name
(function_declaration name: (identifier) @declared)
(variable_declarator name: (identifier) @declared value: [(arrow_function) (function_expression)])
"""


def code_effect(code: str) -> str:
    """What a function node's code does with a message: ``acts`` when it writes flow or
    global context or calls what :data:`PURE_CALLS`, :data:`PURE_NAMESPACES`,
    :data:`NODE_METHODS` and :data:`PURE_METHODS` do not list (or does not parse),
    ``serves`` when it reads context, the environment or a field of the message (a caller's
    own request, echoed: an API stub), else ``passes`` (it sets constants)."""
    return _read_code(code)[0]


def code_reads(code: str) -> frozenset[str]:
    """What a function node's code that does not act reads: ``message`` (a field of it),
    ``shared context`` (flow or global), ``node context``, ``environment``."""
    return _read_code(code)[1]


@functools.lru_cache(maxsize=512)
def _read_code(code: str) -> tuple[str, frozenset[str]]:
    """(:func:`code_effect`, :func:`code_reads`) of one function body, parsed once."""
    body = function_body(code)
    if body is None:
        return ACTS, frozenset()
    found = captures(_CODE_SHAPES, body)
    helpers = {text(n) for n in found.get("declared", ())}
    reads: set[str] = set()
    for name in found.get("name", ()):
        if text(name) == "msg":
            if _reads_message(name):
                reads.add("message")
        elif text(name) in SHARED_CONTEXT | {"context", "env"}:
            use = _context_use(name)
            if use == ACTS:
                return ACTS, frozenset()
            if use == SERVES:
                reads.add(_SOURCES.get(text(name), "shared context"))
    for target in found.get("target", ()):
        root, _prop, _direct = member_root(target)
        if root is not None and text(root) in SHARED_CONTEXT:
            return ACTS, frozenset()
    for constructed in found.get("constructed", ()):
        if text(constructed) not in PURE_CONSTRUCTORS:
            return ACTS, frozenset()
    for callee in found.get("callee", ()):
        what = _call_effect(callee, helpers, "shared context" in reads)
        if what == ACTS:
            return ACTS, frozenset()
    return (SERVES if reads else PASSES), frozenset(reads)


_SOURCES = {"context": "node context", "env": "environment"}


# message fields that carry no data of the caller's: the response object, the message id
_NOT_DATA = frozenset({"res", "_msgid"})


def _reads_message(name: tree_sitter.Node) -> bool:
    """Does this mention of ``msg`` read one of its fields (``msg.req.params.room``, a
    ``switch (msg.topic)``), rather than set one or hand on the whole message?"""
    member = name.parent
    if member is None or member.type not in ("member_expression", "subscript_expression") \
            or member.child_by_field_name("object") != name:
        return False  # return msg, node.send(msg): the message goes on as it is
    _root, prop, _direct = member_root(member)
    if prop in _NOT_DATA:
        return False
    top = member
    while top.parent is not None and top.parent.type in (
            "member_expression", "subscript_expression") \
            and top.parent.child_by_field_name("object") == top:
        top = top.parent
    parent = top.parent
    return not (parent is not None and parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == top)


def _context_use(name: tree_sitter.Node) -> str:
    """How one mention of ``flow``, ``global``, ``context`` or ``env`` uses it: a read
    (``global.get("x")``, ``context.count``), a write of shared context (``flow.set``), or
    anything else (an alias, an argument, ``context.global``): acts."""
    member = name.parent
    if member is None or member.type != "member_expression" \
            or member.child_by_field_name("object") != name:
        return ACTS
    prop = text(member.child_by_field_name("property") or member)
    parent = member.parent
    called = parent is not None and parent.type == "call_expression" \
        and parent.child_by_field_name("function") == member
    if text(name) == "context":
        if prop in ("flow", "global"):
            return ACTS  # context.global.set(…): shared context through the node's own
        written = parent is not None and parent.type == "assignment_expression" \
            and parent.child_by_field_name("left") == member
        return PASSES if (prop == "set" and called) or written else SERVES
    if text(name) == "env":
        return SERVES
    if called and prop in ("get", "keys"):
        return SERVES
    return ACTS


def _call_effect(callee: tree_sitter.Node, helpers: set[str], shared_reads: bool) -> str:
    """``acts`` unless the call is plain JavaScript, a helper declared in the code or one of
    the function node's own calls (context use is judged by :func:`_context_use`)."""
    if callee.type == "identifier":
        return PASSES if text(callee) in PURE_CALLS | helpers else ACTS
    if callee.type in ("function_expression", "arrow_function"):
        return PASSES  # an immediately called function: its body is read with the rest
    if callee.type == "parenthesized_expression" and callee.named_children:
        return _call_effect(callee.named_children[0], helpers, shared_reads)
    if callee.type != "member_expression":
        return ACTS
    obj = callee.child_by_field_name("object")
    method = text(callee.child_by_field_name("property") or callee)
    holder = text(obj) if obj is not None else ""
    if holder in SHARED_CONTEXT | {"context", "env"}:
        return PASSES  # judged as a context use
    if holder in PURE_NAMESPACES or holder.startswith("RED.util."):
        # Object.assign(global.get("state"), …) changes shared context in place
        return ACTS if shared_reads and method in ("assign", "defineProperty") else PASSES
    if holder == "node":
        return PASSES if method in NODE_METHODS else ACTS
    if method in MUTATING_METHODS:
        # an object read from shared context and changed in place is a write of it
        return ACTS if shared_reads else PASSES
    return PASSES if method in PURE_METHODS else ACTS


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# -- authentication nodes in front of a route ------------------------------------------------
# node-red-contrib-httpauth (its fork node-red-http-basic-auth registers the same types):
# answers 401 and stops the message unless the caller's Authorization header names one of its
# users. The users come from a file node, else a shared credential node, else the node's own
# fields; with no user name it admits the empty user (``Authorization: Basic Og==``) and with
# no password anyone who names the user, so either empty authenticates nobody.
HTTPAUTH = "node-red-contrib-httpauth"
HTTPAUTH_FILE = "node-red-contrib-httpauthfile"  # users listed in a file: ``filePath``
HTTPAUTH_CRED = "node-red-contrib-httpauthcred"  # one user shared by several nodes


def route_guard(route: Step, by_step: Mapping[str, Step]) -> tuple[Step, str] | None:
    """(the authentication node, ``basic`` or ``digest``) that every message of ``route``
    passes first, when it is configured with users; None otherwise."""
    targets = [t for sid in route.outbound if (t := by_step.get(sid)) is not None
               and not t.disabled]
    guards = [(t, mechanism) for t in targets if t.type == HTTPAUTH
              and (mechanism := _httpauth_mechanism(t, by_step)) is not None]
    return guards[0] if guards and len(guards) == len(targets) else None


def _httpauth_mechanism(node: Step, by_step: Mapping[str, Step]) -> str | None:
    """``basic`` or ``digest`` for an httpauth node that names its users, else None."""
    file = by_step.get(_text(node.params.get("file")))
    cred = by_step.get(_text(node.params.get("cred")))
    if file is not None and file.type == HTTPAUTH_FILE:
        source, users = file.params, _text(file.params.get("filePath"))
    else:
        source = cred.params if cred is not None and cred.type == HTTPAUTH_CRED else node.params
        # the user and the password (plain or hashed) are plain fields, never credentials
        # an export leaves out: an empty one is empty, and admits whoever sends it empty
        users = _text(source.get("username")) if _text(source.get("password")) else ""
    kind = _text(source.get("authType")).strip().lower()
    return kind if users.strip() and kind in ("basic", "digest") else None


# -- community listeners ---------------------------------------------------------------------
HOMEKIT_BRIDGES = frozenset({"homekit-bridge", "homekit-standalone"})
NORA_CONFIGS = frozenset({"noraf-config"})
# NORA devices whose commands open nothing (a lamp, the heating set point, a notification):
# Google asks for a second factor on locks, doors and the like, not on these.
NORA_LOW_STAKES = frozenset({"noraf-light", "noraf-thermostat", "noraf-notify",
                             "noraf-doorbell", "noraf-charger", "noraf-fan"})


def community_entry_points(step: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """The entry points of one community node, if it opens one (see the module docstring)."""
    p = step.params
    active = not step.disabled
    if step.type == "aedes broker":
        yield EntryPoint(step.id, "mqtt", _broker_route(p), (), None, active)
    elif step.type == "mosca in":
        route = _mosca_route(p)
        if route:
            both = _text(p.get("username")).strip() and _text(p.get("password")).strip()
            yield EntryPoint(step.id, "mqtt", route, (), "password" if both else "none",
                             active)
    elif step.type == "uibuilder":
        url = _text(p.get("url")).strip().strip("/")
        yield EntryPoint(step.id, "websocket", f"/{url}" if url else "/uibuilder", (), None,
                         active, *entry_effect([step], by_step))
    elif step.type == "twitter in" and _text(p.get("user")) == "dm":
        yield EntryPoint(step.id, "chat", "twitter direct messages", (), "none", active,
                         *entry_effect([step], by_step))
    elif step.type in HOMEKIT_BRIDGES:
        yield from _homekit(step, by_step)
    elif step.type in NORA_CONFIGS:
        yield from _nora(step, by_step)
    elif step.type == "webhookrelay":
        buckets = _text(p.get("buckets")).strip()
        yield EntryPoint(step.id, "webhook", f"webhookrelay bucket {buckets or '(any)'}", (),
                         None, active, *entry_effect([step], by_step))


# Open MQTT brokers run for testing and demos, each documented by its operator as public:
# any client connects, publishes and subscribes to any topic, without an account.
PUBLIC_BROKERS = frozenset({
    "broker.hivemq.com", "broker.mqttdashboard.com", "broker.mqtt-dashboard.com",  # HiveMQ
    "test.mosquitto.org",  # Eclipse Mosquitto
    "mqtt.eclipseprojects.io", "mqtt.eclipse.org", "iot.eclipse.org",  # Eclipse IoT
    "broker.emqx.io",  # EMQX
    "public.mqtthq.com",  # MQTTHQ
    "test.mosca.io",  # mosca's demo broker
})


def public_broker_subscription(step: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """An ``mqtt in`` on a public broker (see the module docstring): an entry point that
    authenticates no one, its route the topic and the broker."""
    broker = by_step.get(_text(step.params.get("broker")))
    if broker is None:
        return
    address = _text(broker.params.get("broker")).strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", address).split("/")[0].split(":")[0]
    if host in PUBLIC_BROKERS:
        topic = _text(step.params.get("topic")).strip() or "(any topic)"
        yield EntryPoint(step.id, "mqtt", f"{topic} on {host}", (), "none",
                         not step.disabled, *entry_effect([step], by_step))


def _broker_route(p: Mapping[str, Any]) -> str:
    route = f"broker :{_text(p.get('mqtt_port')).strip() or '1883'}"
    if _text(p.get("mqtt_ws_bind")) == "port" and _text(p.get("mqtt_ws_port")).strip():
        route += f", websocket :{_text(p.get('mqtt_ws_port')).strip()}"
    elif _text(p.get("mqtt_ws_bind")) == "path" and _text(p.get("mqtt_ws_path")).strip():
        route += f", websocket {_text(p.get('mqtt_ws_path')).strip()}"
    return route


def _mosca_route(p: Mapping[str, Any]) -> str:
    """The ports a ``mosca in`` broker listens on: MQTT and MQTT over websocket, each only
    when its port is set; "" when neither is (nothing listens)."""
    ports = [f"{what} :{port}" for what, key in (("broker", "mqtt_port"),
                                                 ("websocket", "mqtt_ws_port"))
             if (port := _text(p.get(key)).strip()) and port != "0"]
    return ", ".join(ports)


def _users(config: Step, by_step: Mapping[str, Step]) -> list[Step]:
    return [s for s in by_step.values() if config.id in s.config_refs and not s.disabled]


def _homekit(bridge: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """A HomeKit bridge whose services take commands from the Home app: pairing with the PIN
    authenticates controllers unless ``allowInsecureRequest`` is on."""
    services = _users(bridge, by_step)
    if not services:
        return
    insecure = bridge.params.get("allowInsecureRequest") in (True, "true")
    name = _text(bridge.params.get("bridgeName")).strip() or bridge.name
    yield EntryPoint(bridge.id, "assistant", f"HomeKit bridge {name}".strip(), (),
                     "none" if insecure else "pairing", True, *entry_effect(services, by_step))


def _nora(config: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """A NORA link to Google Home: the devices (other than lamps and the like) that run a
    command without a PIN are open to whoever the assistant obeys; with a PIN on every one,
    the PIN authenticates."""
    default = _text(config.params.get("twofactor")) or "off"
    devices = [d for d in _users(config, by_step)
               if d.outbound and d.type not in NORA_LOW_STAKES]
    if not devices:
        return
    open_devices = [d for d in devices if (_text(d.params.get("twofactor")) or default) != "pin"]
    name = _text(config.params.get("structure")).strip() or config.name
    yield EntryPoint(config.id, "assistant", f"NORA (Google Home) {name}".strip(), (),
                     "none" if open_devices else "pin", True,
                     *entry_effect(open_devices or devices, by_step))
