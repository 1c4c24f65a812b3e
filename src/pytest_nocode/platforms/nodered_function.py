"""What a Node-RED function node's code sets on the message, and from what (for
:mod:`pytest_nocode.platforms.nodered_flow`).

A function's code is JavaScript: it reads message properties, context and environment values
and builds new ones. Treating its output as "every input reaching every property" makes a
function that builds SQL from two database reads carry the MQTT message that only triggered it,
and a command built from ``env.get("HOST")`` and ``Date.now()`` look like data of unknown
origin. The code is parsed (tree-sitter's JavaScript grammar) and each property it sets is given
the origins of what its value is built from: literals, template literals of them and numbers
are constants, ``env.get(...)`` is the environment, ``Date.now()``/``new Date()`` the
platform's clock, ``flow.get``/``global.get`` a context store, ``msg.x`` the message's ``x``,
and a look-up ``MAP[key]`` in a map the code fills with literals is one of its values whatever
the key. Taint flows through local variables, loops, callbacks and helper functions declared in
the code; what the analysis cannot follow (code it cannot parse, the message object replaced or
aliased) returns None, and the caller falls back to "every input reaches every property".

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import tree_sitter

from pytest_nocode.model import (
    AS_KEPT,
    IN_FILE_NAME,
    IN_URL_ENCODED,
    IN_URL_PATH_INTERNET,
    IN_URL_PATH_OWN,
    IN_URL_QUERY,
    SHAPE_CHECKED,
    FieldWrite,
    ValueRef,
    kept_base,
    past_kept_base,
    split_url,
)
from pytest_nocode.platforms.jsparse import (
    CONSTANT_NAMES,
    FUNCTIONS,
    LITERALS,
    NUMERIC_CALLS,
    NUMERIC_METHODS,
    NUMERIC_OPERATORS,
    NUMERIC_PROPERTIES,
    NUMERIC_UNARY,
    code_root,
    function_body,
)
from pytest_nocode.platforms.jsparse import member_root as _member_root
from pytest_nocode.platforms.jsparse import object_pairs as _object_pairs
from pytest_nocode.platforms.jsparse import operator as _operator
from pytest_nocode.platforms.jsparse import own_returns as _own_returns
from pytest_nocode.platforms.jsparse import params as _params
from pytest_nocode.platforms.jsparse import pattern_names as _pattern_names
from pytest_nocode.platforms.jsparse import text as _text
from pytest_nocode.policy import default_zone

CONSTANT = ValueRef("constant")
NUMBER = ValueRef("constant", "a number")
TIMESTAMP = ValueRef("platform", "timestamp")
WHOLE_MESSAGE = ValueRef("field", "*", path="msg")
# Text whose single quotes are doubled, set between quotes in SQL text: no SQL of its own.
QUOTED_ESCAPED = ValueRef("constant", "text escaped inside a quoted SQL string")
NOT_SHOWN = ValueRef("unknown", "a value the function's code does not show")
# A date a Date or a date library writes out in a fixed shape (toISOString, format("YYYY-MM-DD")):
# digits and the pattern's text, whatever it was parsed from.
DATE_TEXT = ValueRef("constant", "a date written out in a fixed format")
# Values an object hands a SQL node beside a statement with placeholders: the driver binds them.
BOUND = ValueRef("constant", "values bound to the placeholders of a fixed statement")
STATEMENT_KEYS = frozenset({"query", "sql", "text", "statement"})
PARAMETER_KEYS = frozenset({"params", "parameters", "values", "queryParameters", "bind",
                            "binds", "replacements"})
SQL_STATEMENT = re.compile(r"\s*\(?\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CALL|EXEC|REPLACE|"
                           r"MERGE|UPSERT)\b", re.I)
PLACEHOLDER = re.compile(r"\$\d+|\$[A-Za-z_]\w*|\?|(?<![\w:]):[A-Za-z_]\w*|@[A-Za-z_]\w*")
# A SQL driver's own escaping (mysql / sqlstring ``escape`` quotes a string and escapes what is
# in it; ``escapeId`` quotes a name; ``format(sql, [values])`` puts each value escaped in a
# ``?``): the value becomes one SQL literal, whatever it held. Only on an object named like the
# driver or a connection (``mysql.escape``, ``connection.escape``), not any ``escape`` method.
DRIVER_ESCAPED = ValueRef("constant", "a value escaped as one SQL literal by the driver")
SQL_DRIVER = re.compile(r"(?:^|\.)(?:\w*(?:mysql|sql|pg|postgres)\w*|conn|connection|pool|db)$",
                        re.I)
DRIVER_ESCAPES = frozenset({"escape", "escapeId", "escapeLiteral", "escapeIdentifier"})
DRIVER_FORMATS = frozenset({"format"})
Sources = frozenset[ValueRef]
NEVER = 1 << 30
EMPTY: Sources = frozenset()
# A regex literal that matches only words (see strict_pattern): what it tests and lets through
# is one word (SHAPE_CHECKED); kept apart from CONSTANT so that a validator helper taking the
# pattern as a parameter narrows only when every caller passes such a pattern.
STRICT_PATTERN = ValueRef("constant", "an anchored pattern of word characters")

# Names a function node's code can use without declaring them; what they hold is no message
# data (RED.util helpers are calls: their arguments say what flows through).
KNOWN_GLOBALS = frozenset({
    "node", "RED", "context", "flow", "global", "env", "Math", "JSON", "Date", "Number",
    "String", "Boolean", "Object", "Array", "parseInt", "parseFloat", "isNaN", "isFinite",
    "encodeURIComponent", "decodeURIComponent", "encodeURI", "decodeURI", "escape", "unescape",
    "Buffer", "console", "Promise", "setTimeout", "clearTimeout", "setInterval",
    "clearInterval", "Symbol", "RegExp", "Error", "TypeError", "Set", "Map", "WeakMap",
    "Intl", "BigInt", "this", "arguments"})
# Date and time libraries a function node loads (its ``libs``): what they compute from no
# argument (``moment()``, ``dayjs()``, ``DateTime.now()``) and format is the host's clock; a
# date they are given keeps the origin of what they are given.
TIME_LIBRARIES = frozenset({"moment", "moment-timezone", "dayjs", "luxon", "date-fns",
                            "date-fns-tz"})
# A string literal that is a URL (a scheme, then "://"): its text says where a request goes.
URL_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"`]*$")
CONTEXT_READS = {"flow": "flow", "global": "global", "context": "node", "context.flow": "flow",
                 "context.global": "global"}


def turns_off_certificate_checks(code: str) -> bool:
    """Does the code make its own TLS connections accepting any certificate: an option
    ``rejectUnauthorized: false`` (https, tls, axios agents, mqtt.js) or
    ``process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"``? Comments and strings do not count."""
    if "rejectUnauthorized" not in code and "NODE_TLS_REJECT_UNAUTHORIZED" not in code:
        return False
    root = code_root(code)
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "pair":
            key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
            if key is not None and value is not None and _text(key).strip("'\"") == \
                    "rejectUnauthorized" and value.type == "false":
                return True
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            name = _text(left).rsplit(".", 1)[-1] if left is not None else ""
            value = _text(right).strip("'\"` ") if right is not None else ""
            if (name == "rejectUnauthorized" and value == "false") or (
                    name == "NODE_TLS_REJECT_UNAUTHORIZED" and value == "0"):
                return True
        stack.extend(node.named_children)
    return False


# How function code reaches Node's plain http module: a library the node loads
# (``libs: [{var, module: "http"}]``), ``require("http")`` or the module put in global context.
HTTP_MODULE = re.compile(r"""(?:require|global\.get)\(\s*['"]http['"]\s*\)|"""
                         r"(?:context\.)?global\.http")


def plain_http_calls(code: str, http_names: frozenset[str] = frozenset()
                     ) -> list[tuple[str, int | None, str]]:
    """(host, port, path) of each request the code sends itself with Node's plain ``http``
    module (``http.request({host: "api.example.org", path: "/sync"}, …)``, ``http.get(url)``)
    to a host it names in a literal; ``http_names`` are the variables a node's libs bind to
    that module."""
    if "http" not in code:
        return []
    root = code_root(code)
    values: dict[str, list[tree_sitter.Node]] = {}
    calls: list[tree_sitter.Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                values.setdefault(_text(name), []).append(value)
        elif node.type == "call_expression":
            calls.append(node)
        stack.extend(node.named_children)
    modules = set(http_names) | {n for n, vs in values.items()
                                 if any(HTTP_MODULE.fullmatch(_text(v)) for v in vs)}
    found: list[tuple[str, int | None, str]] = []
    for call in calls:
        callee = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if callee is None or callee.type != "member_expression" or args is None \
                or not args.named_children:
            continue
        obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
        if obj is None or prop is None or _text(prop) not in ("request", "get") or not (
                _text(obj) in modules or HTTP_MODULE.fullmatch(_text(obj))):
            continue
        target = args.named_children[0]
        if target.type == "identifier" and len(values.get(_text(target), ())) == 1:
            target = values[_text(target)][0]
        if target.type == "string" and _text(target)[1:-1].startswith("http://"):
            found.append(_split_plain_url(_text(target)[1:-1]))
        elif target.type == "object":
            fields = {key: value for key, value in _object_pairs(target)}
            host = fields.get("hostname") or fields.get("host")
            if host is not None and host.type == "string" and _text(host)[1:-1]:
                port = fields.get("port")
                path = fields.get("path")
                found.append((_text(host)[1:-1].lower(),
                              int(_text(port)) if port is not None and port.type == "number"
                              and _text(port).isdigit() else None,
                              _text(path)[1:-1] if path is not None and path.type == "string"
                              else ""))
    return found


def _split_plain_url(url: str) -> tuple[str, int | None, str]:
    rest = url[len("http://"):]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition("@")[2].partition(":")
    return host.lower(), int(port) if port.isdigit() else None, f"/{path}" if path else ""


class _CannotFollow(Exception):
    """The code does something with the message this analysis does not model."""


@dataclass
class _Facts:
    """What one walk over the code finds; evaluated together to a fixpoint."""

    bindings: list[tuple[str, tree_sitter.Node | Sources]] = field(default_factory=list)
    functions: dict[str, list[tree_sitter.Node]] = field(default_factory=dict)
    # (field, value, operator, top-level statement index or -1 when nested)
    msg_writes: list[tuple[str, tree_sitter.Node | None, str, int]] = field(
        default_factory=list)
    # sub-property writes on a local object: (variable, key or "*", value)
    object_writes: list[tuple[str, str, tree_sitter.Node]] = field(default_factory=list)
    emitted: list[tree_sitter.Node] = field(default_factory=list)
    kept: list[tuple[str, tree_sitter.Node]] = field(default_factory=list)  # context sets
    # a sub-key of msg set by ``msg.search.start = …``: its value's node id → the sub-key's
    # dotted path below msg ("search.start")
    sub_keys: dict[int, str] = field(default_factory=dict)
    first_emit: int = NEVER  # top-level statement index of the first `return msg`/send
    # the body's statement replacing the message (``msg = msg.saved``) and its value
    renewal: tuple[int, tree_sitter.Node] | None = None
    msg_emits: list[tree_sitter.Node] = field(default_factory=list)  # each `msg` sent on
    # output index → top-level statement index of the first send of ``msg`` on that output
    # (``return [null, msg]``: output 1); ``unplaced``: some send's output is not known
    output_emits: dict[int, int] = field(default_factory=dict)
    unplaced: bool = False
    # a callback's parameter → for each callback binding it, the value whose items it holds
    # (``rows`` of ``rows.forEach(r => …)``, the second parameter of a reduce), or None for
    # a parameter that holds no item (an index, a reduce's accumulator, a helper's argument)
    items: dict[str, list[tree_sitter.Node | None]] = field(default_factory=dict)
    # ``local.a.b = value`` on a local: (local, "a.b", value); their values' node ids
    key_writes: list[tuple[str, str, tree_sitter.Node]] = field(default_factory=list)
    key_write_ids: set[int] = field(default_factory=set)
    calls: list[tree_sitter.Node] = field(default_factory=list)  # every call in the code
    # ``seen[team] = …`` on a local: (local, the key's node), what its keys are made of
    computed_keys: list[tuple[str, tree_sitter.Node]] = field(default_factory=list)


@dataclass(frozen=True)
class FollowedCode:
    """What a function's code sets: message properties (``writes``) and context keys
    (``keeps``, named as context reads are: "flow context rate", "global context *" for a
    key chosen at run time)."""

    writes: tuple[FieldWrite, ...]
    keeps: tuple[FieldWrite, ...]
    fresh: bool = False  # the code never sends msg itself, only messages it builds
    # per output, in place of ``writes``, where the outputs differ (see _Analysis.output_writes)
    outputs: tuple[tuple[FieldWrite, ...], ...] = ()
    calls: tuple[CodeCall, ...] = ()  # what the code itself fetches, opens or runs
    # it evaluates code, or starts a process :attr:`calls` does not name (see
    # _Analysis.runs_unnamed): a ``pattern.exec(text)`` of a regex is neither
    runs_unnamed: bool = True


@lru_cache(maxsize=4096)
def follow_function(code: str, clocks: frozenset[str] = frozenset(),
                    modules: frozenset[tuple[str, str]] = frozenset()) -> FollowedCode | None:
    """The message properties and context keys ``code`` sets and the origins of their values,
    or None when the code cannot be followed (the caller then lets every input reach every
    property). ``clocks``: the names the node binds to date libraries (:func:`clock_names`);
    ``modules``: (name, module) of every library it loads (:func:`module_names`).

    Followed once per code text (and clocks): real flows copy function nodes from tab to tab
    and from flow to flow (a sixth of the real corpus's 5,808 function nodes repeat another's
    code). What it gives is read-only (frozen, tuples and frozensets), so it is shared."""
    body = function_body(code)
    if body is None:
        return None
    try:
        analysis = _Analysis(body, clocks, dict(modules))
        writes = analysis.writes()
        keeps = analysis.keeps()
        return FollowedCode(writes, keeps, fresh=analysis.facts.first_emit == NEVER,
                            outputs=analysis.output_writes(writes),
                            calls=analysis.code_calls(), runs_unnamed=analysis.runs_unnamed())
    except (_CannotFollow, RecursionError):
        return None


# A context key as Node-RED parses it (RED.util.normalisePropertyExpression): the text up to
# a "." or "[" is one key's name, whatever else it holds ("x-auth-token", "orion-ld"); "a.b"
# or "a[0]" changes part of key a, and a store prefix ("#:(file)::a") or quotes are left to
# "any key"
_WHOLE_CONTEXT_KEY = re.compile(r"[^.\[\]'\"#\s][^.\[\]'\"\s]*")


def whole_context_key(key: str) -> bool:
    """Does ``key`` (of ``flow.set(key, …)``, a change node's flow or global target) name one
    whole context key, not part of one?"""
    return _WHOLE_CONTEXT_KEY.fullmatch(key) is not None


def clock_names(libs: Any) -> frozenset[str]:
    """The variables a function node's ``libs`` (``[{"var": "moment", "module": "moment"}]``)
    bind to one of :data:`TIME_LIBRARIES`."""
    return frozenset(lib["var"] for lib in libs if isinstance(lib, dict)
                     and isinstance(lib.get("var"), str)
                     and lib.get("module") in TIME_LIBRARIES) if isinstance(libs, list) \
        else frozenset()


def module_names(libs: Any) -> frozenset[tuple[str, str]]:
    """(variable, module) of each library a function node's ``libs`` loads."""
    return frozenset((lib["var"], lib["module"]) for lib in libs if isinstance(lib, dict)
                     and isinstance(lib.get("var"), str)
                     and isinstance(lib.get("module"), str)) if isinstance(libs, list) \
        else frozenset()


# -- what the code itself calls -------------------------------------------------------------------
@dataclass(frozen=True)
class CodeCall:
    """A call in a function's own code that acts on what its argument says: fetches a URL
    (``fetch``, ``axios.get``, ``http.request``), opens, writes or deletes a file (``fs.*``),
    or runs a command (``child_process.exec``). ``kind`` is the sink kind (fetch, path,
    command), ``callee`` the call as the code names it, ``reads`` what the argument is built
    from, placed (:meth:`_Analysis._placed_sources`)."""

    kind: str  # (or markup: a whole HTML page the code writes into msg.payload)
    callee: str
    reads: Sources


# Libraries whose calls take a URL first (``fetch`` is a global of Node 18 and of the function
# sandbox): the methods of each that send a request, "" for the library called itself.
REQUEST_LIBRARIES = {
    "axios": frozenset({"", "get", "post", "put", "patch", "delete", "head", "options",
                        "request"}),
    "got": frozenset({"", "get", "post", "put", "patch", "delete", "head", "stream"}),
    "node-fetch": frozenset({""}),
    "request": frozenset({"", "get", "post", "put", "patch", "del", "delete", "head"}),
    "needle": frozenset({"get", "post", "put", "patch", "delete", "head", "request"}),
    "superagent": frozenset({"get", "post", "put", "patch", "delete", "head"}),
    "http": frozenset({"get", "request"}),
    "https": frozenset({"get", "request"}),
}
# fs calls whose first argument (both, for a rename or copy) names the file they read, write or
# delete; ``exists``/``stat`` only answer whether one is there
FILE_CALLS = frozenset({
    "readFile", "readFileSync", "writeFile", "writeFileSync", "appendFile", "appendFileSync",
    "unlink", "unlinkSync", "rm", "rmSync", "rmdir", "rmdirSync", "readdir", "readdirSync",
    "createReadStream", "createWriteStream", "open", "openSync", "truncate", "truncateSync",
    "rename", "renameSync", "copyFile", "copyFileSync", "cp", "cpSync", "mkdir", "mkdirSync",
    "outputFile", "outputFileSync", "readJson", "readJsonSync", "writeJson", "writeJsonSync",
    "remove", "removeSync", "move", "moveSync", "copy", "copySync"})
TWO_PATHS = frozenset({"rename", "renameSync", "copyFile", "copyFileSync", "cp", "cpSync",
                       "move", "moveSync", "copy", "copySync"})
FILE_MODULES = frozenset({"fs", "fs/promises", "fs-extra", "node:fs", "node:fs/promises"})
# child_process calls whose first argument is the command line a shell runs, or the program
COMMAND_CALLS = frozenset({"exec", "execSync", "spawn", "spawnSync", "execFile",
                           "execFileSync"})
COMMAND_MODULES = frozenset({"child_process", "node:child_process"})
# A library a function reaches without declaring it by name: loaded by ``require`` (before
# Node-RED 1.0) or put in global context by the settings (``functionGlobalContext``).
_MODULE_LOAD = re.compile(r"(require|global\.get|context\.global\.get)"
                          r"""\(\s*['"]([^'"]+)['"]\s*\)$""")


QUOTES = "'\"`"
# Code that evaluates text as code, whatever it is called on
_EVALUATES = re.compile(r"\bnew\s+Function\s*\(|\bvm\.(?:run|Script|compile)|\beval\s*\(")
# The keys of a request's options that pick the server it reaches
SERVER_KEYS = frozenset({"url", "uri", "baseURL", "host", "hostname", "port", "socketPath"})
# Libraries whose functions compute their result from their arguments alone (``path.join``)
PURE_MODULES = frozenset({"path", "node:path", "querystring", "url"})
KNOWN_MODULES = FILE_MODULES | COMMAND_MODULES | PURE_MODULES | frozenset(REQUEST_LIBRARIES)


def _call_kind(module: str, method: str) -> str:
    """The sink kind of calling ``method`` of ``module`` ("" the module itself), or ""."""
    module = module.removesuffix("/promises") if module.startswith(("fs", "node:fs")) \
        else module
    if module in FILE_MODULES and method in FILE_CALLS:
        return "path"
    if module in COMMAND_MODULES and method in COMMAND_CALLS:
        return "command"
    if method in REQUEST_LIBRARIES.get(module.removeprefix("node:"), ()):
        return "fetch"
    return ""


# nodes the walk learns nothing from, nor from anything inside them (a string's fragments and
# escapes): not visited (property names, literals and comments are a third of all nodes)
_INERT = frozenset({"property_identifier", "shorthand_property_identifier", "string",
                    "string_fragment", "escape_sequence", "number", "comment", "regex",
                    "null", "true", "false", "this"})


@dataclass(frozen=True)
class _ItemSplit:
    """What :meth:`_Analysis._item_splits` finds of one field: the keys of its items the code
    sets ((dotted key, value)), what every other key holds, and the values of the other
    changes of locals aliasing it, each without the keys set."""

    keys: tuple[tuple[str, tree_sitter.Node], ...]
    rest: Sources
    others: dict[int, Sources]

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(v.id for _k, v in self.keys)


# Methods whose result is items of what they are called on, each as it is, or one of them
ITEM_PICKING = frozenset({"find", "findLast", "at", "pop", "shift",
                                                 "filter", "slice", "sort", "reverse"})
# A property's name, and a message field's path made of them (``msg.payload.rows``)
_PROPERTY = re.compile(r"[A-Za-z_$][\w$]*")
_MESSAGE_PATH = re.compile(r"msg(?:\.[A-Za-z_$][\w$]*)+")
# Methods whose callback is given each item of the array (or map) they are called on
ITERATING = frozenset({"forEach", "map", "flatMap", "filter", "find", "findLast", "findIndex",
                       "some", "every", "reduce", "reduceRight"})
# Methods whose result is some of the items they are called on, each as it is
ITEM_SELECTING = frozenset({"filter", "find", "findLast", "slice", "concat", "sort",
                            "reverse", "flat", "at"})


class _Analysis:
    def __init__(self, body: tree_sitter.Node, clocks: frozenset[str] = frozenset(),
                 modules: dict[str, str] | None = None) -> None:
        self.facts = _Facts()
        self.clocks = clocks
        # a local name → the library it holds ("fs"), or the library's function ("fs.rm")
        self.modules: dict[str, str] = dict(modules or {})
        self.env: dict[str, Sources] = {}
        self.opaque: set[str] = set()  # local names that may hold other than an object literal
        self._memo: dict[int, Sources] = {}
        # each name a round of writes() looked up: what it held then (None: no local)
        self._first_read: dict[str, Sources | None] = {}
        statements = body.named_children
        self._body_id = body.id
        # assignments that are whole statements of the function's body (not in an if or loop)
        self._top_level = {s.named_children[0].id for s in statements
                           if s.type == "expression_statement" and s.named_children}
        guarded = _message_guards(statements)
        self._guarded = {path: (index, allowed) for index, (path, allowed)
                         in sorted(guarded.items(), reverse=True)}  # the first guard of each
        for index, statement in enumerate(statements):
            self._walk(statement, index, 0)
            if index in guarded and guarded[index][1].type != "regex":
                # from the next statement on, one of the list's members (a word a pattern
                # checked is still the sender's word: it stays theirs downstream)
                path, allowed = guarded[index]
                self.facts.msg_writes.append((path.split(".")[0], allowed, "sub", index))
                self.facts.sub_keys[allowed.id] = path
        self._written: dict[str, list[tree_sitter.Node]] = {}
        for prop, value, _op, _top in self.facts.msg_writes:
            if value is not None:
                self._written.setdefault(prop, []).append(value)
        # msg.x set anew by a whole statement of the body: from the next one on, reading
        # msg.x reads what the code put there, no longer what came in
        self._body = body
        self._index = {s.id: i for i, s in enumerate(statements)}
        self._replaced_at: dict[str, int] = {}
        for prop, _value, op, top in self.facts.msg_writes:
            if op == "=" and top >= 0 and prop != "*":
                self._replaced_at[prop] = min(top, self._replaced_at.get(prop, NEVER))
        # a local checked against a list before use (``if (!names.includes(name)) return
        # null;``): from the next statement on it holds one of the list's members
        self._narrowed = _allowlist_guards(statements)
        # a local set anew by a whole statement of the body, after every other place that
        # sets it (``name = check(name) || "default";``): later statements read that value
        self._redefined = _last_definitions(statements)

    # -- the walk: bindings, writes, emissions -------------------------------------------------
    def _walk(self, node: tree_sitter.Node, top: int, depth: int) -> None:
        t = node.type
        if t in FUNCTIONS:
            self._function(node)
            depth += 1
        elif t == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            declaration = node.parent
            if name is not None and _text(name) == "msg" and value is not None \
                    and declaration is not None and declaration.parent is not None:
                # `var msg = {};` as a statement of the body: a new message from there on
                self._renewal(value, "=", top if declaration.parent.id == self._body_id else -1)
            elif name is not None:  # `let x;` holds undefined until set
                if value is not None:
                    self._module_binding(name, value)
                self._bind_pattern(name, value if value is not None
                                   else frozenset({CONSTANT}))
        elif t in ("assignment_expression", "augmented_assignment_expression"):
            self._assignment(node, top if node.id in self._top_level else -1)
        elif t == "for_in_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                self._bind_pattern(left, right)
        elif t == "catch_clause":
            param = node.child_by_field_name("parameter")
            if param is not None:
                self._bind_pattern(param, frozenset({ValueRef("platform", "an error")}))
        elif t == "return_statement" and depth == 0:
            value = node.named_children[0] if node.named_children else None
            if value is not None:
                self._emit(value, top)
        elif t == "call_expression":
            self._call_facts(node, top)
        elif t == "identifier" and node.text == b"msg" and not self._is_property_root(node):
            self._whole_message_use(node)
        for child in node.named_children:
            if child.type not in _INERT:
                self._walk(child, top, depth)

    def _function(self, node: tree_sitter.Node) -> None:
        name = node.child_by_field_name("name")
        if name is None and node.parent is not None and node.parent.type == "variable_declarator":
            name = node.parent.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            self.facts.functions.setdefault(_text(name), []).append(node)
        params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        for param in _params(params):
            if _text(param) == "msg":
                raise _CannotFollow  # a callback's own msg shadows the node's
        # a callback's parameters hold what the object it is handed to iterates or yields
        call = node.parent.parent if node.parent is not None and node.parent.type == "arguments" \
            else None
        if call is None or call.type != "call_expression":
            for param in _params(params):  # a helper's: what its callers pass (see _bind_call)
                self._bind_pattern(param, EMPTY)
                for name in _pattern_names(param):
                    self.facts.items.setdefault(name, []).append(None)
        else:
            callee = call.child_by_field_name("function")
            holder = callee.child_by_field_name("object") if callee is not None \
                and callee.type == "member_expression" else None
            method = _text(callee.child_by_field_name("property") or callee) \
                if holder is not None and callee is not None else ""
            item = 1 if method in ("reduce", "reduceRight") else 0
            for i, param in enumerate(_params(params)):
                self._bind_pattern(param, holder if holder is not None
                                   else frozenset({NOT_SHOWN}))
                for name in _pattern_names(param):
                    self.facts.items.setdefault(name, []).append(
                        holder if method in ITERATING and i == item
                        and param.type == "identifier" else None)

    def _bind_pattern(self, pattern: tree_sitter.Node, value: tree_sitter.Node | Sources) -> None:
        for name in _pattern_names(pattern):
            if name == "msg":
                raise _CannotFollow  # the message replaced or shadowed
            self.facts.bindings.append((name, value))
        if pattern.type == "identifier" and isinstance(value, tree_sitter.Node):
            if value.type == "object":
                self._object_literal(_text(pattern), value)
            else:
                self.opaque.add(_text(pattern))

    def _object_literal(self, name: str, node: tree_sitter.Node) -> None:
        for key, value in _object_pairs(node):
            self.facts.object_writes.append((name, key, value))

    def _assignment(self, node: tree_sitter.Node, top: int) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        op = _operator(node)
        if left.type == "identifier":
            name = _text(left)
            if name == "msg":
                self._message_respread(right, op, top)
                return
            self.facts.bindings.append((name, right))
            if right.type == "object":
                self._object_literal(name, right)
            elif op == "=":
                self.opaque.add(name)
            return
        root, prop, direct = _member_root(left)
        if root is None:
            return
        if _text(root) == "msg" and direct and self._property_respread(prop, right, op, top):
            return
        if _text(root) == "msg":
            self.facts.msg_writes.append((prop, right, op if direct else "sub", top))
            dotted = _dotted(left)
            if not direct and op == "=" and dotted:
                self.facts.sub_keys[right.id] = dotted
        else:  # a local object changed: what it holds now includes the value
            name = _text(root)
            self.facts.bindings.append((name, right))
            # and the keys it is given: ``seen[team] = …`` puts team among the object's keys,
            # which Object.keys/entries and for…in read back as data
            # (kept apart from bindings: the key is not what the object holds as an item)
            self.facts.computed_keys.extend((name, key) for key in _computed_keys(left))
            self.facts.object_writes.append((name, prop if direct else "*", right))
            chain = _chain(left)
            if chain is not None and chain[1]:  # `row.battery = …`: one key of it
                self.facts.key_writes.append((name, chain[1], right))
                self.facts.key_write_ids.add(right.id)

    def _property_respread(self, prop: str, right: tree_sitter.Node, op: str,
                           top: int) -> bool:
        """``msg.search = { ...msg.search, day: x, ...more }``: the property as it was, each
        key the object names set (a sub-key, :meth:`_assignment`'s ``msg.search.day = x``),
        and what another spread adds to any key. False for any other value."""
        spreads = [c for c in right.named_children if c.type == "spread_element"] \
            if right.type == "object" and op == "=" and prop != "*" else []
        if not spreads or right.named_children[0] is not spreads[0] \
                or _text(spreads[0]).removeprefix("...").strip() != f"msg.{prop}":
            return False
        for key, value in list(_object_pairs(right))[1:]:
            self.facts.msg_writes.append((prop, value, "sub", top if key != "*" else -1))
            if key != "*" and re.fullmatch(r"[A-Za-z_$][\w$]*", key):
                self.facts.sub_keys[value.id] = f"{prop}.{key}"
        return True

    def _message_respread(self, right: tree_sitter.Node, op: str, top: int) -> None:
        """``msg = { ...msg, url: … }``: the message as it was, with the keys the object
        names set (a later key wins over the spread). Any other new message (``msg = {}``,
        another object spread into it) is not followed."""
        spreads = [c for c in right.named_children if c.type == "spread_element"] \
            if right.type == "object" and op == "=" else []
        if len(spreads) != 1 or right.named_children[0] is not spreads[0] \
                or _text(spreads[0]).removeprefix("...").strip() != "msg":
            self._renewal(right, op, top)
            return
        for key, value in list(_object_pairs(right))[1:]:  # a computed key: any property
            self.facts.msg_writes.append((key, value, "=", top) if key != "*"
                                         else ("*", value, "sub", -1))

    def _renewal(self, right: tree_sitter.Node, op: str, top: int) -> None:
        """``msg = msg.saved;``, ``msg = {};`` as one of the body's own statements: from
        there on the message is that value (what it is built from, every property). Once
        only, and not in a branch or loop: anything else is not followed."""
        if op != "=" or top < 0 or self.facts.renewal is not None:
            raise _CannotFollow
        self.facts.renewal = (top, right)
        if right.type != "object":
            self.facts.msg_writes.append(("*", right, "renew", top))
            return
        self.facts.msg_writes.append(("*", None, "renew", top))  # `msg = {url: …}`: its keys
        for key, value in _object_pairs(right):  # a computed key or a spread: any property
            self.facts.msg_writes.append((key, value, "=", top) if key != "*"
                                         else ("*", value, "sub", -1))

    def _call_facts(self, node: tree_sitter.Node, top: int) -> None:
        self.facts.calls.append(node)
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        values = args.named_children if args is not None else []
        if callee is None:
            return
        if callee.type == "member_expression":
            obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name(
                "property")
            method = _text(prop) if prop is not None else ""
            if obj is not None and _text(obj) == "node" and method == "send":
                for value in values:
                    self._emit(value, top)
                return
            store = CONTEXT_READS.get(_text(obj)) if obj is not None else None
            if store is not None and method == "set" and len(values) >= 2:
                name = _fixed_text(values[0])
                name = "*" if name is None else name
                if not whole_context_key(name):  # "a.b" changes part of a: any key, then
                    name = "*"
                self.facts.kept.append((f"{store} context {name}", values[1]))
                return
            if obj is not None and method in ("push", "unshift", "splice", "set", "add") \
                    and _text(obj).split(".")[0] not in KNOWN_GLOBALS:
                root, key, _direct = _member_root(obj) if obj.type != "identifier" \
                    else (obj, "*", False)
                if root is not None:
                    for value in values:
                        if _text(root) == "msg":
                            self.facts.msg_writes.append((key, value, "sub", -1))
                        else:
                            self.facts.bindings.append((_text(root), value))
                            self.facts.object_writes.append((_text(root), "*", value))
            if obj is not None and _text(obj) == "Object" and method == "assign" and values:
                target = values[0]
                root, key, _direct = _member_root(target) if target.type != "identifier" \
                    else (target, "", True)
                if root is not None and _text(root) == "msg":
                    for value in values[1:]:
                        self.facts.msg_writes.append((key or "*", value, "sub", -1))

    def _module_binding(self, name: tree_sitter.Node, value: tree_sitter.Node) -> None:
        """``const cp = require("child_process")``, ``const {exec} = global.get(
        "child_process")``, ``const fsp = fs.promises``: what library (or function of one)
        each name holds."""
        module, method = self._module_of(value), ""
        if not module and value.type == "member_expression":
            obj, prop = value.child_by_field_name("object"), value.child_by_field_name(
                "property")
            module = self._module_of(obj) if obj is not None else ""
            method = _text(prop) if prop is not None and module else ""
        if not module:
            return
        if name.type == "identifier":
            self.modules[_text(name)] = f"{module}.{method}" if method else module
        elif name.type == "object_pattern" and not method:
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    self.modules[_text(part)] = f"{module}.{_text(part)}"
                elif part.type == "pair_pattern":
                    key, local = part.child_by_field_name("key"), part.child_by_field_name(
                        "value")
                    if key is not None and local is not None and local.type == "identifier":
                        self.modules[_text(local)] = f"{module}.{_text(key).strip(QUOTES)}"

    def _module_of(self, node: tree_sitter.Node) -> str:
        """The library ``node`` holds: a name bound to one (the node's ``libs``, a
        ``require``), a load of one by name, its ``promises``; "" for anything else."""
        if node.type == "identifier":
            return self.modules.get(_text(node), "")
        if node.type == "call_expression":
            m = _MODULE_LOAD.match(_text(node))
            if m is None:
                return ""
            # a context key names a library only when it is the library's own name
            known = m.group(1) == "require" or m.group(2) in KNOWN_MODULES
            return m.group(2) if known else f"global context {m.group(2)}"
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is not None and prop is not None and _text(prop) == "promises":
                return self._module_of(obj)
        return ""

    def _options(self, node: tree_sitter.Node, seen: frozenset[str]
                 ) -> list[tree_sitter.Node] | None:
        """When ``node`` is a request's options object (a literal, ``Object.assign`` of
        them, a local or a helper's parameter holding one), the values of its keys that say
        which server it reaches (url, host, …): the rest (a path, a body) does not pick the
        server. None when it is no such object (a URL's text)."""
        node = _unparenthesized(node)
        if node.type == "object":
            return [v for k, v in _object_pairs(node) if k in SERVER_KEYS or k == "*"]
        if node.type == "call_expression" and _text(node.child_by_field_name("function")
                                                     or node) == "Object.assign":
            args = node.child_by_field_name("arguments")
            parts = [self._options(a, seen) for a in (args.named_children if args else [])]
            return None if not parts or any(p is None for p in parts) \
                else [v for p in parts for v in p or ()]
        if node.type != "identifier":
            return None
        name = _text(node)
        if name in seen:  # (a helper passing its own parameter on: nothing new)
            return []
        values = [v for n, v in self.facts.bindings if n == name
                  and isinstance(v, tree_sitter.Node)] + self._passed_to(name)
        parts = [self._options(v, seen | {name}) for v in values]
        return None if not parts or any(p is None for p in parts) \
            else [v for p in parts for v in p or ()]

    def _passed_to(self, name: str) -> list[tree_sitter.Node]:
        """What the code's calls of its helpers pass for their parameter ``name``."""
        passed: list[tree_sitter.Node] = []
        for helper, functions in self.facts.functions.items():
            for function in functions:
                params = function.child_by_field_name("parameters") \
                    or function.child_by_field_name("parameter")
                names = [_text(p) for p in _params(params)]
                if name not in names:
                    continue
                at = names.index(name)
                for call in self.facts.calls:
                    callee, args = call.child_by_field_name("function"), \
                        call.child_by_field_name("arguments")
                    if callee is not None and _text(callee) == helper and args is not None \
                            and len(args.named_children) > at:
                        passed.append(args.named_children[at])
        return passed

    def runs_unnamed(self) -> bool:
        """Does the code evaluate code (``eval``, ``new Function``, ``vm``) or call an
        ``exec``/``spawn`` that is no library's the node loads (those are :meth:`code_calls`)
        and no regular expression's (``pattern.exec(text)``, the pattern a regex literal
        wherever it comes from: a local, an object of them, a helper's parameter)?"""
        if _EVALUATES.search(_text(self._body)):
            return True
        for call in self.facts.calls:
            callee = call.child_by_field_name("function")
            if callee is None:
                continue
            if callee.type == "identifier":
                if _text(callee) == "eval" or (_text(callee) in COMMAND_CALLS | {"exec"}
                                              and _text(callee) not in self.modules):
                    return True
            elif callee.type == "member_expression":
                obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name(
                    "property")
                if obj is None or prop is None or _text(prop) not in COMMAND_CALLS:
                    continue
                module = self._module_of(obj)
                if module.startswith("global context ") or (
                        not module and not self._regex_valued(obj, frozenset())):
                    return True
        return False

    def _regex_valued(self, node: tree_sitter.Node, seen: frozenset[str]) -> bool:
        """Is every value ``node`` can hold a regular expression the code writes (a literal,
        ``new RegExp``), through locals, objects of them and helpers' parameters?"""
        node = _unparenthesized(node)
        if node.type == "regex":
            return True
        if node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return ctor is not None and _text(ctor) == "RegExp"
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name(
                "property")
            if obj is None or prop is None or obj.type != "identifier":
                return False
            objects = [v for n, v in self.facts.bindings if n == _text(obj)]
            return bool(objects) and all(
                isinstance(o, tree_sitter.Node) and o.type == "object" and any(
                    k == _text(prop) for k, _v in _object_pairs(o)) and all(
                    self._regex_valued(v, seen) for k, v in _object_pairs(o)
                    if k in (_text(prop), "*")) for o in objects)
        if node.type != "identifier" or _text(node) in seen:
            return False
        name = _text(node)
        values = [v for n, v in self.facts.bindings if n == name
                  and isinstance(v, tree_sitter.Node)] + self._passed_to(name)
        return bool(values) and all(self._regex_valued(v, seen | {name}) for v in values)

    def _pages(self) -> Iterator[CodeCall]:
        """``msg.payload = `<!DOCTYPE html>…${value}…`;``: a whole HTML page the code writes,
        each value pasted into it as it is (no escaping call around it) rendered as markup by
        the browser that asks for the page. Only whole pages (a doctype, an html or body
        element): a fragment may be text a dashboard widget or a mail shows escaped."""
        for prop, value, _op, _top in self.facts.msg_writes:
            if prop != "payload" or value is None:
                continue
            texts = [value] if value.type != "identifier" else [  # `msg.payload = html;`
                v for n, v in self.facts.bindings
                if n == _text(value) and isinstance(v, tree_sitter.Node)]
            pages = [t for t in texts if t.type == "template_string" and _PAGE.search(_text(t))]
            pasted = [c.named_children[0] for t in pages for c in t.named_children
                      if c.type == "template_substitution" and c.named_children]
            reads = EMPTY.union(*(self.sources(p) for p in pasted if not _escaped(p)))
            if any(r.kind not in PLAIN_KINDS for r in reads - {NOT_SHOWN}):
                yield CodeCall("markup", "msg.payload", reads - {NOT_SHOWN})

    def _traversal_checked(self, path: tree_sitter.Node, call: tree_sitter.Node) -> bool:
        """Is every local of ``path`` that holds data checked for ``..`` before ``call`` by a
        condition whose branch leaves (``if (name.includes("..")) return …;``)? Such a name
        cannot climb out of the directory it is joined to."""
        names = [n for n in _identifiers(path) if any(
            r.kind not in PLAIN_KINDS for r in self._identifier(_text(n)) - {NOT_SHOWN})]
        return bool(names) and all(_text(n) in self.modules
                                   or self._checked_for_dots(_text(n), call) for n in names)

    def _checked_for_dots(self, name: str, call: tree_sitter.Node) -> bool:
        stack = [self._body]
        while stack:
            node = stack.pop()
            if node.type == "if_statement" and node.end_byte <= call.start_byte:
                condition = node.child_by_field_name("condition")
                branch = node.child_by_field_name("consequence")
                if condition is not None and branch is not None \
                        and _dots_test(name).search(_text(condition)) and _leaves(branch):
                    return True
            stack.extend(c for c in node.named_children if c.type not in _INERT)
        return False

    def code_calls(self) -> tuple[CodeCall, ...]:
        """The calls of the code that fetch, open or run what their argument says, each with
        what that argument is built from (after :meth:`writes`: the locals are settled);
        one whose argument is fixed text or the environment's is left out."""
        found: list[CodeCall] = []
        for call in self.facts.calls:
            callee = call.child_by_field_name("function")
            args = call.child_by_field_name("arguments")
            if callee is None or args is None or not args.named_children:
                continue
            module, method = "", ""
            if callee.type == "identifier":
                name = _text(callee)
                bound = self.modules.get(name)
                if bound is not None:
                    module, _, method = bound.partition(".")
                elif name == "fetch" and name not in self.env \
                        and name not in self.facts.functions:
                    module = "node-fetch"
            elif callee.type == "member_expression":
                obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name(
                    "property")
                module = self._module_of(obj) if obj is not None else ""
                method = _text(prop) if prop is not None else ""
            kind = _call_kind(module, method) if module else ""
            if not kind:
                continue
            given = [a for a in args.named_children if a.type != "comment"]
            picked = given[:2] if method in TWO_PATHS else given[:1]
            if kind == "fetch" and picked:
                # axios({url}), http.request({hostname, path}): where the options say it goes
                options = self._options(picked[0], frozenset())
                picked = picked if options is None else options
            if kind == "path" and all(self._traversal_checked(a, call) for a in picked):
                continue
            # (what the code computes without showing it, a directory's listing or another
            # library's answer, is the host's, not data the flow brings)
            reads = EMPTY.union(*(self._placed_sources(a) for a in picked)) - {NOT_SHOWN}
            if any(r.kind not in PLAIN_KINDS for r in reads):
                found.append(CodeCall(kind, _text(callee), reads))
        found.extend(self._pages())
        return tuple(found)

    def _whole_message_use(self, node: tree_sitter.Node) -> None:
        """``msg`` used as a whole, not ``msg.x``: fine where it is sent, returned, read or
        cloned; an alias that could change it behind our back is not followed."""
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator" \
                and parent.child_by_field_name("value") == node:
            raise _CannotFollow  # var m = msg; m.payload = ...
        if parent is not None and parent.type == "assignment_expression" \
                and parent.child_by_field_name("right") == node:
            raise _CannotFollow

    def _emit(self, value: tree_sitter.Node, top: int, output: int | None = None) -> None:
        """``value`` sent on: an array's items each on its output (the items of an array
        inside it all on that one), anything else on the first (``output`` None: not in an
        array)."""
        if value.type == "array":
            items = [c for c in value.named_children if c.type != "comment"]
            if any(c.type == "spread_element" for c in items):
                self.facts.unplaced = True
            for i, item in enumerate(items):
                self._emit(item, top, i if output is None else output)
            return
        if value.type in ("null", "undefined"):
            return
        if value.type == "identifier" and _text(value) == "msg":
            facts = self.facts
            facts.first_emit = min(facts.first_emit, top)
            facts.msg_emits.append(value)
            at = 0 if output is None else output
            facts.output_emits[at] = min(facts.output_emits.get(at, NEVER), top)
            return
        self.facts.emitted.append(value)

    def output_writes(self, writes: tuple[FieldWrite, ...]) -> tuple[tuple[FieldWrite, ...], ...]:
        """Per output, what the code sets on the ``msg`` it sends there, when outputs differ
        (``return [null, msg]`` before ``msg.query = …; return [msg, null]``: output 1 leaves
        before the query is set, output 0 only after): a property set anew before the first
        send on an output holds only its new value there. () when every output gets
        ``writes`` (the code sends on one output, or sends messages other than ``msg``, or
        on outputs it computes)."""
        facts = self.facts
        if len(facts.output_emits) < 2 or facts.unplaced or facts.emitted:
            return ()
        last = max(facts.output_emits)
        outputs = tuple(writes if (first := facts.output_emits.get(k, NEVER)) == facts.first_emit
                        else self.writes(first) for k in range(last + 1))
        return outputs if any(o != writes for o in outputs) else ()

    @staticmethod
    def _is_property_root(node: tree_sitter.Node) -> bool:
        parent = node.parent
        return parent is not None and parent.type in ("member_expression",
                                                       "subscript_expression") \
            and parent.child_by_field_name("object") == node

    # -- evaluation ----------------------------------------------------------------------------
    def _settle(self, bindings: list[tuple[str, tree_sitter.Node | Sources]]) -> None:
        """Evaluate every local from ``bindings`` to a fixpoint (into :attr:`env`)."""
        for name, _value in bindings:  # every local is known before any is evaluated
            self.env.setdefault(name, EMPTY)
        for _ in range(12):  # bindings only grow; a few rounds reach the fixpoint
            self._memo = {}
            self._first_read = {}
            for name, value in bindings:
                found = value if isinstance(value, frozenset) else self.sources(value)
                self.env[name] = self.env.get(name, EMPTY) | found
            # Values only grow: when each local's first read this round already saw the value
            # it ends the round with, every read saw its final value, and the next round would
            # read the same, compute the same and change nothing (that round is skipped).
            if all(self.env.get(name) == seen for name, seen in self._first_read.items()):
                break
        self._memo = {}

    def writes(self, first_emit: int | None = None) -> tuple[FieldWrite, ...]:
        """What the code sets on the messages it sends; ``first_emit``: the first send of
        ``msg`` to count (one output's, :meth:`output_writes`), by default the first of all."""
        facts = self.facts
        first = facts.first_emit if first_emit is None else first_emit
        self._settle(facts.bindings + facts.computed_keys)
        splits = self._item_splits()
        out: list[FieldWrite] = []
        # other messages the code builds and sends are added after (their own keys, or all
        # they are made of): a property msg has anew holds only its new value in msg itself
        strong_seen: set[str] = set()
        # set anew before each send, in branches (`if (a) { msg.url = x; return msg; }`):
        # what it holds when sent is one of the values the code sets it to
        anew = {prop for prop, _value, op, top in facts.msg_writes
                if op == "=" and prop != "*" and self._set_before_each_send(prop)
                } if facts.renewal is None else set()
        for index, (prop, value, op, top) in enumerate(facts.msg_writes):
            found = self._placed_sources(value) if value is not None else EMPTY
            if op == "renew":  # the message replaced: strong when no message left before
                out.append(FieldWrite("*", found, strong=top < first))
            elif prop in anew and op == "=":
                if prop not in strong_seen:
                    strong_seen.add(prop)
                    out.append(FieldWrite(prop, EMPTY.union(*(
                        self._placed_sources(v) for p, v, o, _t in facts.msg_writes
                        if p == prop and o == "=" and v is not None))))
            elif op == "sub" and value is not None and value.id in facts.sub_keys \
                    and facts.renewal is None and top >= 0 and top < first \
                    and not any(p in (prop, "*") and o != "sub"
                                for p, _v, o, _t in facts.msg_writes[index + 1:]):
                # `msg.search.start = x;` as a statement of the body before any send, the
                # property not set whole after it (those writes are joined, above): that
                # sub-key holds x from here on, the rest of msg.search what it held
                out.append(FieldWrite(facts.sub_keys[value.id], found))
            elif op == "+=" or op == "sub" or op in ("||=", "??=", "&&="):
                out.append(FieldWrite(prop, found, strong=False))
            elif op == "=" and prop != "*" and prop not in strong_seen \
                    and top >= 0 and top < first:
                strong_seen.add(prop)
                out.append(FieldWrite(prop, found))
            else:
                out.append(FieldWrite(prop, found, strong=False))
        for prop, split in splits.items():  # the keys of its items the code did not set
            out.append(FieldWrite(prop + ".*", split.rest))  # hold what they came with
            out.extend(FieldWrite(f"{prop}.{path}", self.sources(v), strong=False)
                       for path, v in split.keys)
        for owner, _key, value in facts.object_writes:  # a local alias of msg.x changed
            fields = {ref.name for ref in self.env.get(owner, EMPTY) if ref.kind == "field"}
            for name in sorted(fields):
                split = splits.get(name)
                if split is None:
                    out.append(FieldWrite(name, self.sources(value), strong=False))
                elif value.id not in split.ids:  # (a key it sets is written above)
                    out.append(FieldWrite(name, split.others.get(value.id, EMPTY),
                                          strong=False))
        for value in facts.emitted:  # other messages sent: their properties
            out.extend(self._message_writes(value))
        return tuple(out)

    # -- keys of a field's items the code sets ---------------------------------------------------
    def _item_splits(self) -> dict[str, _ItemSplit]:
        """The message fields whose items the code fills in key by key and sends on as a
        whole, item for item (``rows.forEach(r => { r.state = cache[r.id]; })``, then
        ``msg.payload = rows``; a reduce into a map, ``Object.values`` of it): field → the
        keys it sets and what the other keys hold, from what came in. A later step reading
        ``outputInterval`` of an item then reads what the rows held, not what the code put in
        ``state``. Only for a field set once, by a statement of the body, before it is sent."""
        facts = self.facts
        if facts.renewal is not None or not facts.key_writes \
                or any(p == "*" for p, _v, _o, _t in facts.msg_writes):
            return {}
        splits: dict[str, _ItemSplit] = {}
        for prop, value, op, top in facts.msg_writes:
            if prop == "*" or value is None or op != "=" or top < 0 \
                    or top >= facts.first_emit or prop in splits \
                    or sum(p == prop for p, _v, _o, _t in facts.msg_writes) != 1:
                continue
            keys = [(f"{base[1]}.{path}".strip("."), v) for owner, path, v in facts.key_writes
                    if (base := self._items_at(owner, v)) is not None and base[0] == prop]
            if keys and self._keeps_items(value, frozenset()):
                splits[prop] = _ItemSplit(tuple(keys), EMPTY, {})
        if not splits:
            return {}
        whole = self.env
        for prop, split in splits.items():  # each local again, without the keys set
            ids = split.ids
            self.env = {}
            self._settle([(n, v) for n, v in facts.bindings + facts.computed_keys
                          if isinstance(v, frozenset) or v.id not in ids])
            value = next(v for p, v, _o, _t in facts.msg_writes if p == prop)
            others = {v.id: self.sources(v) for _o, _k, v in facts.object_writes
                      if v.id not in ids}
            splits[prop] = _ItemSplit(split.keys, self._placed_sources(value), others)
        self.env = whole
        self._memo = {}
        return splits

    def _items_at(self, name: str, node: tree_sitter.Node) -> tuple[str, str] | None:
        """(message field, dotted path below it) of the value whose items the callback
        parameter ``name`` holds where ``node`` reads it (``r`` of ``msg.payload.forEach(r =>
        …)``: ("payload", ""); ``s`` of ``r.sensors.forEach(s => …)`` inside it: ("payload",
        "sensors")); None for any other local, or one also set otherwise (``r = …``)."""
        holder = self._item_holder(name, node)
        if holder is None or sum(n == name and (isinstance(v, frozenset) or v.id not in
                                                self.facts.key_write_ids)
                                 for n, v in self.facts.bindings) \
                != len(self.facts.items.get(name, ())):
            return None
        return self._view_path(holder)

    def _item_holder(self, name: str, node: tree_sitter.Node) -> tree_sitter.Node | None:
        """The value whose items the nearest callback around ``node`` declaring ``name`` is
        given in it, when that parameter is the item (not an index or an accumulator)."""
        current: tree_sitter.Node | None = node
        while current is not None and current.id != self._body.id:
            if current.type in FUNCTIONS:
                params = current.child_by_field_name("parameters") \
                    or current.child_by_field_name("parameter")
                names = [[*_pattern_names(p)] for p in _params(params)]
                if any(name in n for n in names):
                    call = current.parent.parent if current.parent is not None \
                        and current.parent.type == "arguments" else None
                    callee = call.child_by_field_name("function") if call is not None \
                        and call.type == "call_expression" else None
                    if callee is None or callee.type != "member_expression":
                        return None
                    method = _text(callee.child_by_field_name("property") or callee)
                    item = 1 if method in ("reduce", "reduceRight") else 0
                    if method not in ITERATING or item >= len(names) \
                            or names[item] != [name] \
                            or _params(params)[item].type != "identifier":
                        return None
                    return callee.child_by_field_name("object")
            current = current.parent
        return None

    def _view_path(self, node: tree_sitter.Node) -> tuple[str, str] | None:
        chain = _chain(node)
        if chain is None:
            return None
        root, path = chain
        if root == "msg":
            field_name, _, below = path.partition(".")
            return (field_name, below) if field_name else None
        base = self._items_at(root, node)
        if base is None:
            return None
        return base[0], ".".join(p for p in (base[1], path) if p)

    def _keeps_items(self, node: tree_sitter.Node, seen: frozenset[str]) -> bool:
        """Is ``node``'s value made of whole items of message fields, no item put under a
        key of its own (``rows``, ``rows.filter(…)``, a reduce whose accumulator only takes
        items, ``Object.values(byId).flatMap(x => Object.values(x))``)? Then a key of one of
        its items is a key of an item of what it came from."""
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self._keeps_items(node.named_children[-1], seen)
        if t == "object":
            return not node.named_children
        if t == "array":
            return all(self._keeps_items(c, seen) for c in node.named_children)
        if t in FUNCTIONS:
            return all(self._keeps_items(r, seen) for r in _returned(node))
        if t == "identifier":
            name = _text(node)
            holder = self._item_holder(name, node)
            if name in seen or holder is not None:  # an item of what keeps items keeps them
                return name in seen or self._keeps_items(holder, seen | {name})
            values = [v for n, v in self.facts.bindings if n == name]
            return bool(values) and not any(o == name for o, _p, _v in self.facts.key_writes) \
                and all(isinstance(v, tree_sitter.Node) and self._keeps_items(v, seen | {name})
                        for v in values)
        if t in ("member_expression", "subscript_expression"):
            chain = _chain(node)
            return chain is not None and chain[0] == "msg" and "." not in chain[1]
        if t != "call_expression":
            return False
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args else []
        if callee is None or callee.type != "member_expression":
            return False
        obj = callee.child_by_field_name("object")
        method = _text(callee.child_by_field_name("property") or callee)
        if obj is not None and _text(obj) == "Object" and method == "values":
            return len(values) == 1 and self._keeps_items(values[0], seen)
        if obj is None or not self._keeps_items(obj, seen):
            return False
        if method in ITEM_SELECTING:
            return all(self._keeps_items(v, seen) for v in values) if method == "concat" \
                else True
        if method in ("map", "flatMap"):
            return bool(values) and self._keeps_items(values[0], seen)
        if method in ("reduce", "reduceRight"):
            return len(values) == 2 and all(self._keeps_items(v, seen) for v in values)
        return False

    def _set_before_each_send(self, prop: str) -> bool:
        """Does every ``msg`` the code sends on come after a statement ``msg.<prop> = …``
        of a block holding that send (``if (a) { msg.url = x; return msg; }``, once per
        branch; the body's own statements hold every send), not in a loop or a callback?
        Then no message leaves with the value it came with."""
        sends = self.facts.msg_emits
        setters = [statement for p, value, op, _top in self.facts.msg_writes
                   if p == prop and op == "=" and value is not None
                   and (statement := self._setting_statement(value)) is not None]
        setting = {statement.id for statement in setters}
        return bool(sends) and bool(setters) and all(
            self._set_before(send, setting) for send in sends)

    def _set_before(self, send: tree_sitter.Node, setting: set[int]) -> bool:
        """Does a block holding ``send`` run, before it, one of the ``setting`` statements,
        or an ``if`` each of whose branches (a final ``else`` included) runs one or leaves
        (``if (a) {msg.url = x} else if (b) {msg.url = y} else {return null}``)?"""
        current = send
        while current.parent is not None and current.id != self._body.id:
            block = current.parent
            if block.type in FUNCTIONS or block.type in LOOPS:
                return False
            if block.type in BLOCKS or block.id == self._body.id:
                for statement in block.named_children:
                    if statement.end_byte > send.start_byte:
                        break
                    if statement.id in setting or (statement.type == "if_statement"
                                                   and _every_branch(statement, setting)):
                        return True
            current = block
        return False

    def _setting_statement(self, value: tree_sitter.Node) -> tree_sitter.Node | None:
        """The statement ``msg.x = value;`` is, when it is one of a block's (or the body's)
        own statements outside any loop or function."""
        assignment = value.parent
        statement = assignment.parent if assignment is not None else None
        if statement is None or statement.type != "expression_statement" \
                or statement.parent is None \
                or _inside(statement, LOOPS | FUNCTIONS, self._body):
            return None
        block = statement.parent
        return statement if block.type in BLOCKS or block.id == self._body.id else None

    def keeps(self) -> tuple[FieldWrite, ...]:
        return tuple(FieldWrite(name, self.sources(value), strong=False)
                     for name, value in self.facts.kept)

    def _later_object_writes(self, name: str) -> Iterator[tuple[str, Sources]]:
        for owner, key, value in self.facts.object_writes:
            if owner == name:
                yield key, self.sources(value)

    def _message_writes(self, value: tree_sitter.Node) -> Iterator[FieldWrite]:
        if value.type == "object":
            for key, item in _object_pairs(value):
                yield FieldWrite(key, self.sources(item), strong=False)
            return
        built = self._built_by_helper(value)
        if built:  # `reply(text)`, a helper whose every return is an object literal
            self.sources(value)  # binds the helper's parameters to what this call passes
            for literal in built:
                yield from self._message_writes(literal)
            return
        if value.type == "identifier" and _text(value) in self._objects_built() \
                and _text(value) not in self.opaque:
            for key, found in self._later_object_writes(_text(value)):
                yield FieldWrite(key, found, strong=False)
            return
        yield FieldWrite("*", self.sources(value), strong=False)

    def _built_by_helper(self, value: tree_sitter.Node) -> list[tree_sitter.Node]:
        """The object literals a call of a helper declared in the code returns, when each of
        its returns is one (``const reply = (text) => ({chatId: …, text})``); else none."""
        callee = value.child_by_field_name("function") if value.type == "call_expression" \
            else None
        if callee is None or callee.type != "identifier" \
                or _text(callee) not in self.facts.functions:
            return []
        returned = [_unparenthesized(r) for f in self.facts.functions[_text(callee)]
                    for r in _returned(f)]
        return returned if returned and all(r.type == "object" for r in returned) else []

    def _objects_built(self) -> set[str]:
        return {owner for owner, _key, _value in self.facts.object_writes}

    def sources(self, node: tree_sitter.Node) -> Sources:
        key = node.id
        memo = self._memo
        if key in memo:
            return memo[key]
        memo[key] = EMPTY  # a cycle through helper functions adds nothing new this round
        found = self._sources(node)
        memo[key] = found
        return found

    def _sources(self, node: tree_sitter.Node) -> Sources:
        t = node.type
        if t == "string" and URL_TEXT.match(_text(node)[1:-1]):
            # a URL keeps its text: the encryption checks read where a request goes from it
            # (`const host = env.get("URL") || "http://10.0.0.5:8086"`, then msg.url = host…)
            return frozenset({ValueRef("constant", _text(node)[1:-1])})
        if t == "regex" and strict_pattern(_text(node)):
            return frozenset({STRICT_PATTERN})
        if t in LITERALS:
            return frozenset({CONSTANT})
        if t == "template_string":
            parts = node.named_children
            head = _text(parts[0]) if parts and parts[0].type == "string_fragment" else ""
            fixed = ValueRef("constant", head) if URL_TEXT.match(head) else CONSTANT
            return frozenset({fixed}).union(*(  # `http://${host}/x` keeps its scheme
                self._part_sources(parts, i) for i, c in enumerate(parts)
                if c.type == "template_substitution"))
        if t == "identifier":
            last = self._redefined.get(_text(node))
            if last is not None and self._statement_of(node) > last[0]:
                return self.sources(last[1])
            guard = self._narrowed.get(_text(node))
            if guard is not None and self._statement_of(node) > guard[0]:
                if guard[1].type == "regex":  # `if (!/^\d+$/.test(v)) return null;`
                    return _shape_checked(self._identifier(_text(node)))
                return self.sources(guard[1])
            return self._identifier(_text(node))
        if t in ("member_expression", "subscript_expression"):
            return self._member(node)
        if t == "call_expression":
            return self._call(node)
        if t == "new_expression":
            ctor = node.child_by_field_name("constructor")
            args = self._args(node)
            if ctor is not None and _text(ctor) == "Date":
                return frozenset({TIMESTAMP})
            return args | (self.sources(ctor) if ctor is not None else EMPTY)
        if t == "binary_expression":
            op = _operator(node)
            if op in NUMERIC_OPERATORS:
                return frozenset({NUMBER})
            if op == "+":
                parts = _concatenated(node)
                return EMPTY.union(*(self._part_sources(parts, i) for i in range(len(parts))))
            return EMPTY.union(*(self.sources(c) for c in node.named_children))
        if t == "update_expression" or (t == "unary_expression" \
                and _operator(node) in NUMERIC_UNARY):
            return frozenset({NUMBER})
        if t == "ternary_expression":
            checked = self._pattern_tested(node.child_by_field_name("condition"))
            return EMPTY.union(*(
                _shape_checked(self.sources(c)) if name == "consequence" and checked
                and _text(c) == checked else self.sources(c)
                for name in ("consequence", "alternative")
                if (c := node.child_by_field_name(name)) is not None))
        if t in ("assignment_expression", "augmented_assignment_expression"):
            right = node.child_by_field_name("right")
            return self.sources(right) if right is not None else EMPTY
        if t in FUNCTIONS:
            return self._returns(node)
        if t == "object":
            pairs = list(_object_pairs(node))
            bound = self._bound_parameters(pairs)
            # all evaluated (helpers bind), each marked with where its own text puts its data
            # (``{url: `${base}/scan/${id}`}``: the id past a kept base, wherever the object
            # goes: into a list of requests the app keeps in context and reads back)
            found = [self._placed_sources(v) for _key, v in pairs]
            return frozenset({CONSTANT}).union(*(frozenset({BOUND}) if key in bound else f
                                                 for (key, _v), f in zip(pairs, found,
                                                                         strict=True)))
        if t == "array":
            return frozenset({CONSTANT}).union(*(self.sources(c) for c in node.named_children))
        if t == "shorthand_property_identifier":
            return self._identifier(_text(node))
        if t in ("comment", "property_identifier"):
            return EMPTY
        return EMPTY.union(*(self.sources(c) for c in node.named_children))

    def _bound_parameters(self, pairs: list[tuple[str, tree_sitter.Node]]) -> set[str]:
        """The keys of an object holding a statement and its parameters (``{query: "... $name
        ...", params: {name: …}}``, as node-red-contrib-postgres-multi and other SQL nodes take
        them) whose values the driver binds: only when the fixed text is a SQL statement with
        placeholders (``$1``, ``$name``, ``?``, ``:name``, ``@name``) for them to go in (a
        ``{text: "Who?", values: …}`` chat message binds nothing)."""
        keys = {key for key, _value in pairs}
        if not keys & PARAMETER_KEYS:
            return set()
        statement = next((v for key, v in pairs if key in STATEMENT_KEYS), None)
        if statement is not None and statement.type == "identifier":  # const sql = "…"
            values = [v for n, v in self.facts.bindings if n == _text(statement)]
            statement = values[0] if len(values) == 1 else None
        if not isinstance(statement, tree_sitter.Node):
            return set()
        fixed = "".join(t for part in _concatenated(statement)
                        if (t := _literal_text(part)) is not None)
        return keys & PARAMETER_KEYS if SQL_STATEMENT.match(fixed) \
            and PLACEHOLDER.search(fixed) else set()

    # -- where in a path or URL a value sits ----------------------------------------------------
    def _placed_sources(self, value: tree_sitter.Node) -> Sources:
        """What ``value`` is built from (:meth:`sources`), its data marked with where the text
        puts it when that limits it (:func:`placement`): a file name after a fixed directory
        and fixed text, or a URL past its fixed scheme and host. In a URL each value is placed
        by the text before it (a path value, then one after the "?"); one through
        ``encodeURIComponent`` stays one segment or parameter there."""
        found = self.sources(value)
        parts = self._flat(value, frozenset())
        data = [i for i, part in enumerate(parts) if not isinstance(part, str)]
        if not data:
            return found
        if len(parts) == 1 and value.type in ("member_expression", "subscript_expression",
                                              "identifier"):
            # copied as it is: a context key's value keeps where its kept text put its parts
            return frozenset(replace(r, within=AS_KEPT) if r.kind == "store" and not r.within
                             and r.name.startswith(("flow context ", "global context "))
                             else r for r in found)
        base = self._kept_base(parts)
        if base:  # `${baseUrl}/x?id=${id}`: placed as after a fixed host, if the base is one
            parts = [OWN_BASE, *parts[1:]]
            data = data[1:]
            if not data:
                return found
        first = placement(_fixed_prefix(parts, data[0]))
        if not first:
            return found
        placed: dict[ValueRef, str] = {}
        for i in data:
            part: tree_sitter.Node = parts[i]  # type: ignore[assignment]
            within = first
            if first in URL_PLACEMENTS:
                within = IN_URL_ENCODED if self._url_encoded(part, frozenset()) \
                    else placement(_fixed_prefix(parts, i))
            for ref in self.sources(part) & found:  # an escaped part already counts as no data
                if ref.kind not in PLAIN_KINDS and ref.within != SHAPE_CHECKED:
                    # the least confined place it is put wins (a checked word stays one)
                    placed[ref] = _looser(placed.get(ref, within), within)
        if base:
            placed = {ref: past_kept_base(within, base) for ref, within in placed.items()
                      if within in URL_PLACEMENTS}
        return frozenset(replace(r, within=placed[r]) if r in placed else r for r in found)

    def _kept_base(self, parts: list[str | tree_sitter.Node]) -> str:
        """The flow or global context key a URL's text starts with (``${baseUrl}/device``,
        ``base + "?id="``, the local read from ``global.get("baseUrl")``), when fixed text
        starting its path or query follows it: "" otherwise. Whether the key holds a fixed
        host of the owner's is the engine's question (:data:`~pytest_nocode.model.
        PAST_KEPT_BASE`)."""
        if len(parts) < 2 or isinstance(parts[0], str) or not isinstance(parts[1], str) \
                or not parts[1].startswith(("/", "?")):
            return ""
        refs = [r for r in self.sources(parts[0]) if r.kind not in PLAIN_KINDS]
        if len(refs) != 1:  # (a fixed fallback beside it, `global.get("base") || "http://…"`)
            return ""
        ref = refs[0]
        return ref.name if ref.kind == "store" and ref.name.startswith(
            ("flow context ", "global context ")) and not ref.name.endswith(" *") else ""

    def _url_encoded(self, node: tree_sitter.Node, seen: frozenset[str]) -> bool:
        """Does every value ``node`` can take come through ``encodeURIComponent`` (fixed text
        beside it, a choice between such texts, a local set once to one)?"""
        t = node.type
        if t in ("string", "template_string") and not any(
                c.type == "template_substitution" for c in node.named_children):
            return True
        if t == "call_expression":
            callee = node.child_by_field_name("function")
            return callee is not None and _text(callee) == "encodeURIComponent"
        if t == "ternary_expression":
            branches = [node.child_by_field_name(n) for n in ("consequence", "alternative")]
            return all(b is not None and self._url_encoded(b, seen) for b in branches)
        if t == "parenthesized_expression" and len(node.named_children) == 1:
            return self._url_encoded(node.named_children[0], seen)
        if t == "binary_expression" and _operator(node) == "+":
            return all(self._url_encoded(p, seen) for p in _concatenated(node))
        if t == "identifier" and _text(node) not in seen:
            values = [v for n, v in self.facts.bindings if n == _text(node)]
            return len(values) == 1 and isinstance(values[0], tree_sitter.Node) \
                and self._url_encoded(values[0], seen | {_text(node)})
        return False

    def _flat(self, node: tree_sitter.Node, seen: frozenset[str]
              ) -> list[str | tree_sitter.Node]:
        """``node`` as the text it makes: fixed text, and the values between, through ``+``,
        template literals and locals set once."""
        t = node.type
        if t == "string":
            return [_text(node)[1:-1]]
        if t == "template_string":
            out: list[str | tree_sitter.Node] = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    out.extend(self._flat(child.named_children[0], seen)
                               if child.named_children else [])
                else:
                    out.append(_text(child))
            return out
        if (t == "binary_expression" and _operator(node) == "+") or (
                t == "parenthesized_expression" and len(node.named_children) == 1):
            return [p for c in _concatenated(node) for p in (
                self._flat(c, seen) if c is not node else [c])]
        if t == "identifier" and _text(node) not in seen:
            values = [v for n, v in self.facts.bindings if n == _text(node)]
            if len(values) == 1 and isinstance(values[0], tree_sitter.Node):
                return self._flat(values[0], seen | {_text(node)})
        return [node]

    # -- SQL text escaped value by value ------------------------------------------------------
    def _part_sources(self, parts: list[tree_sitter.Node], i: int) -> Sources:
        """What one part of a joined string adds: escaped text between quotes adds none of
        what it was made from (evaluated all the same: a helper it calls binds its
        parameters)."""
        found = self.sources(parts[i])
        return frozenset({QUOTED_ESCAPED}) if self._quoted_escaped(parts, i) else found

    def _quoted_escaped(self, parts: list[tree_sitter.Node], i: int) -> bool:
        """Is ``parts[i]`` of a string joined from ``parts`` text whose quotes are doubled
        (``s.replace(/'/g, "''")``), set between two single quotes (``"name = '" + s +
        "'"``)? There it cannot end the SQL string it sits in, whatever it held."""
        if i == 0 or i == len(parts) - 1:
            return False
        before, after = _literal_text(parts[i - 1]), _literal_text(parts[i + 1])
        if before is None or after is None or not before.endswith("'") \
                or not after.startswith("'"):
            return False
        part = parts[i]
        if part.type == "template_substitution":
            part = part.named_children[0] if part.named_children else part
        return self._sql_escaped(part, set())

    def _sql_escaped(self, node: tree_sitter.Node, seen: set[str]) -> bool:
        """Does every value ``node`` can take have its single quotes doubled: a quote-doubling
        ``replace``, a local that only ever holds one, a helper whose every return is one,
        a literal or a number?"""
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self._sql_escaped(node.named_children[-1], seen)
        if t in ("string", "number"):
            return "'" not in _text(node)[1:-1]
        if t == "ternary_expression":
            branches = [node.child_by_field_name(n) for n in ("consequence", "alternative")]
            return all(b is not None and self._sql_escaped(b, seen) for b in branches)
        if t == "identifier":
            name = _text(node)
            if name in seen:
                return True  # a cycle adds no other value
            values = [v for n, v in self.facts.bindings if n == name]
            return bool(values) and all(isinstance(v, tree_sitter.Node) and self._sql_escaped(
                v, seen | {name}) for v in values)
        if t != "call_expression":
            return False
        callee = node.child_by_field_name("function")
        if callee is not None and callee.type == "identifier" \
                and _text(callee) in self.facts.functions and _text(callee) not in seen:
            returns = [r for f in self.facts.functions[_text(callee)] for r in _returned(f)]
            return bool(returns) and all(self._sql_escaped(r, seen | {_text(callee)})
                                         for r in returns)
        return _doubles_quotes(node)

    def _identifier(self, name: str) -> Sources:
        if name not in self._first_read:  # for the fixpoint in writes()
            self._first_read[name] = self.env.get(name)
        if name == "msg":  # the whole message, as the code has changed it
            return frozenset({WHOLE_MESSAGE}).union(*(self.sources(v) for values in
                                                      self._written.values() for v in values))
        module = self.modules.get(name, "").partition(".")[0]
        if module in KNOWN_MODULES:  # a file, process or request library: what it answers
            return EMPTY if module in PURE_MODULES else frozenset({NOT_SHOWN})  # is the host's
        if name in self.env:
            return self.env[name]
        if name in self.clocks:  # called or asked for the time: the host's clock
            return frozenset({TIMESTAMP})
        if name in CONSTANT_NAMES:
            return frozenset({CONSTANT})
        if name in self.facts.functions or name in KNOWN_GLOBALS:
            return EMPTY
        return frozenset({NOT_SHOWN})

    def _member(self, node: tree_sitter.Node) -> Sources:
        root, prop, direct = _member_root(node)
        name = node.child_by_field_name("property") if node.type == "member_expression" \
            else node.child_by_field_name("index")  # row.id, or row['id']
        label = (_text(name) if node.type == "member_expression" else _fixed_text(name)) \
            if name is not None else None
        key = label is not None and KEY_COLUMN.search(label) is not None \
            and not (direct and root is not None and _text(root) == "msg")  # msg.id: no row
        if root is not None and _text(root) == "msg":  # as it came, or as the code set it
            written = tuple(v for v in (*self._written.get(prop, ()),
                                         *self._written.get("*", ()))
                            if _may_reach(v, node, self._body))
            at = self._statement_of(node)
            checked = self._checked(node, at)
            if checked is not None:  # one of the list's members, or what is set after
                index, allowed = checked
                later = [v for p, v, _o, top in self.facts.msg_writes if p in (prop, "*")
                         and v is not None and (top < 0 or top > index)
                         and _may_reach(v, node, self._body)]
                held = _shape_checked(frozenset({ValueRef("field", prop, path=_text(node))})) \
                    if allowed.type == "regex" else self.sources(allowed)  # a checked word
                found = held.union(*(self.sources(v) for v in later))
                return _as_keys(found) if key else found
            came = EMPTY if at > self._replaced_at.get(prop, NEVER) \
                else frozenset({ValueRef("field", prop, path=_text(node))})
            renewal = self.facts.renewal
            if renewal is not None and (at < 0 or at > renewal[0]):  # or the new message's
                came = came | self.sources(renewal[1])
            found = came.union(*(self.sources(v) for v in written))
            return _as_keys(found) if key else found
        obj = node.child_by_field_name("object")
        if label is not None and label in NUMERIC_PROPERTIES:
            return frozenset({NUMBER})
        found = self.sources(obj) if obj is not None else EMPTY
        if label is not None and obj is not None and _PROPERTY.fullmatch(label) \
                and self._item_view(obj):  # `row.interval` of a row the message holds
            found = frozenset(replace(r, path=f"{r.path}.{label}") if r.kind == "field"
                              and _MESSAGE_PATH.fullmatch(r.path) else r for r in found)
        return _as_keys(found) if key and root is not None else found

    def _item_view(self, node: tree_sitter.Node, seen: frozenset[str] = frozenset()) -> bool:
        """Is ``node`` a message field's value or one of its items as it is, not a new value
        made of it (``msg.payload.find(…)``, a local set once to one, ``rows[0]``)? A key
        read off it is then the key of the field's items of that name."""
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self._item_view(node.named_children[-1], seen)
        if t in ("member_expression", "subscript_expression"):
            chain = _chain(node)
            if chain is not None and chain[0] == "msg":
                return True
            obj = node.child_by_field_name("object")
            return t == "subscript_expression" and obj is not None \
                and self._item_view(obj, seen)  # an item picked by its index
        if t == "identifier":
            name = _text(node)
            values = [v for n, v in self.facts.bindings if n == name]
            return name not in seen and len(values) == 1 \
                and isinstance(values[0], tree_sitter.Node) \
                and not any(o == name for o, _p, _v in self.facts.key_writes) \
                and self._item_view(values[0], seen | {name})
        if t == "call_expression":
            callee = node.child_by_field_name("function")
            obj = callee.child_by_field_name("object") if callee is not None \
                and callee.type == "member_expression" else None
            return obj is not None and _text(callee.child_by_field_name("property") or callee) \
                in ITEM_PICKING and self._item_view(obj, seen)
        return False

    def _checked(self, node: tree_sitter.Node, at: int
                 ) -> tuple[int, tree_sitter.Node] | None:
        """(the guarding statement's index, the list) when ``node`` (``msg.search.day``, or
        a part of it) is read after a statement of the body that stops unless it is one of
        a list's members (:func:`_message_guards`): it holds that member, or what the code
        sets after the guard."""
        if not self._guarded or at < 0:
            return None
        path = _dotted(node, least=1)
        return next(((index, allowed) for guarded, (index, allowed) in self._guarded.items()
                     if path and at > index and (path == guarded
                                                 or path.startswith(guarded + "."))), None)

    def _statement_of(self, node: tree_sitter.Node) -> int:
        """The index of the body's statement ``node`` runs in; -1 inside a function, which
        may run at any time."""
        current = node
        while current.parent is not None and current.parent.id != self._body.id:
            if current.type in FUNCTIONS:
                return -1
            current = current.parent
        return self._index.get(current.id, -1)

    def _call(self, node: tree_sitter.Node) -> Sources:
        callee = node.child_by_field_name("function")
        args = self._args(node)
        if callee is None:
            return args
        if callee.type == "member_expression":
            obj = callee.child_by_field_name("object")
            prop = callee.child_by_field_name("property")
            method = _text(prop) if prop is not None else ""
            owner = _text(obj) if obj is not None else ""
            first = self._first_string(node)
            if method == "get" and owner == "env":
                return frozenset({ValueRef("env", first or "*")})
            if method == "get" and owner in CONTEXT_READS:
                kind = CONTEXT_READS[owner]
                key = first or _key_prefix(node) + "*"
                return frozenset({ValueRef("store", f"{kind} context {key}")})
            if owner == "Date" and method == "now":
                return frozenset({TIMESTAMP})
            if owner == "Math" or method in NUMERIC_METHODS:
                return frozenset({NUMBER})
            if self._date_text(obj, method, node):  # (the clock's own time stays the clock's)
                made = args | (self.sources(obj) if obj is not None else EMPTY)
                return made if all(r.kind in PLAIN_KINDS for r in made) \
                    else frozenset({DATE_TEXT})
            if owner == "node":
                return EMPTY
            if SQL_DRIVER.search(owner) and method in DRIVER_ESCAPES | DRIVER_FORMATS:
                return self._driver_escaped(node, method in DRIVER_FORMATS)
            values = node.child_by_field_name("arguments")
            mapper = values.named_children[0] if values is not None \
                and values.named_children else None
            if method in ("map", "flatMap") and mapper is not None and mapper.type in FUNCTIONS:
                if obj is not None:
                    self.sources(obj)  # evaluated for what it binds, as the callback's items
                return args  # what the callback returns for each item, not the items
            return args | (self.sources(obj) if obj is not None else EMPTY)
        if callee.type == "identifier":
            name = _text(callee)
            if name in NUMERIC_CALLS:
                return frozenset({NUMBER})
            if name in DECODING_CALLS:  # what a checked word decodes to was never checked
                return _unchecked(args)
            if name in self.facts.functions:
                returned = EMPTY
                for function in self.facts.functions[name]:
                    self._bind_call(function, node)
                    returned = returned | self._returns(function)
                if returned and all(r.kind in PLAIN_KINDS or r.within == SHAPE_CHECKED
                                    for r in returned):
                    return returned  # a validator: a word it checked, or fixed text, a number
                return args | returned
        return args | self.sources(callee)

    def _pattern_tested(self, condition: tree_sitter.Node | None) -> str:
        """The text of what ``condition`` tests against a word pattern, ``v`` of
        ``/^[a-z0-9._-]+$/.test(v)`` or ``pattern.test(v)`` where every value ``pattern``
        holds is such a pattern (a helper's parameter its callers fill); "" otherwise."""
        call = _unparenthesized(condition) if condition is not None else None
        if call is None or call.type != "call_expression":
            return ""
        callee, args = call.child_by_field_name("function"), call.child_by_field_name(
            "arguments")
        if callee is None or callee.type != "member_expression" or args is None \
                or len(args.named_children) != 1:
            return ""
        prop, obj = callee.child_by_field_name("property"), callee.child_by_field_name(
            "object")
        if prop is None or obj is None or _text(prop) not in ("test", "match"):
            return ""
        # `pattern.test(v)`, or `v.match(pattern)`
        pattern, tested = (obj, args.named_children[0]) if _text(prop) == "test" \
            else (args.named_children[0], obj)
        # (nothing bound yet, in the first round of a helper's parameter, narrows: values only
        # grow, and a pattern of another kind bound later undoes it)
        if not self.sources(_unparenthesized(pattern)) <= {STRICT_PATTERN}:
            return ""
        return _text(tested)

    def _date_text(self, obj: tree_sitter.Node | None, method: str,
                   call: tree_sitter.Node) -> bool:
        """Is ``obj.method(…)`` a date written out in a fixed shape: ``toISOString()`` (a
        Date, moment, dayjs or luxon value: ISO 8601 digits, or an exception), or ``format``
        with fixed text or nothing on a value a date library or ``Date`` made (digits and the
        pattern's own text, or "Invalid date"; nothing of the text it was parsed from)?"""
        if method == "toISOString":
            return not self._args_given(call)
        if method != "format" or obj is None or TIMESTAMP not in self.sources(obj):
            return False
        args = call.child_by_field_name("arguments")
        return all(_fixed_text(a) is not None for a in
                   (args.named_children if args is not None else []))

    @staticmethod
    def _args_given(call: tree_sitter.Node) -> bool:
        args = call.child_by_field_name("arguments")
        return bool(args is not None and args.named_children)

    def _driver_escaped(self, call: tree_sitter.Node, formats: bool) -> Sources:
        """What a SQL driver's escaping call makes (:data:`DRIVER_ESCAPED`): ``escape(v)`` no
        data of ``v``'s; ``format(sql, values)`` what ``sql`` is built from, the values
        escaped into its ``?`` (all arguments evaluated: a helper among them binds)."""
        args = call.child_by_field_name("arguments")
        values = args.named_children if args is not None else []
        found = [self.sources(v) for v in values]
        if formats and found:
            return found[0] | {DRIVER_ESCAPED}
        return frozenset({DRIVER_ESCAPED})

    def _bind_call(self, function: tree_sitter.Node, call: tree_sitter.Node) -> None:
        """A helper's parameters hold what its callers pass (bound for the next round)."""
        params = function.child_by_field_name("parameters") or function.child_by_field_name(
            "parameter")
        args = call.child_by_field_name("arguments")
        values = args.named_children if args is not None else []
        for i, param in enumerate(_params(params)):
            for name in _pattern_names(param):
                found = self.sources(values[i]) if i < len(values) else frozenset({CONSTANT})
                self.env[name] = self.env.get(name, EMPTY) | found

    def _returns(self, function: tree_sitter.Node) -> Sources:
        body = function.child_by_field_name("body")
        if body is None:
            return EMPTY
        if body.type != "statement_block":  # an arrow function's expression body
            return self.sources(body)
        return EMPTY.union(*(self.sources(r.named_children[0]) for r in _own_returns(body)
                             if r.named_children))

    def _args(self, node: tree_sitter.Node) -> Sources:
        args = node.child_by_field_name("arguments")
        if args is None:
            return EMPTY
        return EMPTY.union(*(self.sources(a) for a in args.named_children))

    @staticmethod
    def _first_string(call: tree_sitter.Node) -> str:
        args = call.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        return (_fixed_text(first) or "") if first is not None else ""


# -- placements -----------------------------------------------------------------------------------
# Value kinds a placement says nothing new about: they are no one's text wherever they sit.
PLAIN_KINDS = frozenset({"constant", "env", "platform"})
# The fixed text before the first value: a URL's scheme, host and path up to its "?".
_URL_TO_QUERY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s'\"`$]+[^?#\s]*[?#]")
# The fixed text up to a URL's path: its scheme, a host (no user part) and port, then a "/".
_URL_TO_PATH = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s'\"`$]+/")


LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
# What holds statements run in order: a block, or a switch case's statements
BLOCKS = frozenset({"statement_block", "switch_case", "switch_default"})
# statements after which the code that follows in the same block does not run
_LEAVES = frozenset({"return_statement", "throw_statement"})
_JUMPS = frozenset({"break_statement", "continue_statement", "labeled_statement"})


def _allowlist_guards(statements: list[tree_sitter.Node]
                      ) -> dict[str, tuple[int, tree_sitter.Node]]:
    """Locals the body checks against a list and stops on when absent: name → (the index of
    the guarding statement, the list expression). A guard is a statement of the body itself,
    ``if (!list.includes(name)) …`` whose branch leaves (return or throw) sending no message
    (``return null``, ``return;``, ``return [null, null]``, no ``node.send``); the local is
    set only by statements of the body before it, never in a callback or after. A check that
    passes a message on (``return [null, msg]``) narrows nothing: that output still carries
    the value as it came."""
    found: dict[str, tuple[int, tree_sitter.Node]] = {}
    for index, statement in enumerate(statements):
        if statement.type != "if_statement" or statement.child_by_field_name("alternative"):
            continue
        checked = _excluded_from(statement.child_by_field_name("condition"))
        branch = statement.child_by_field_name("consequence")
        if checked is None or branch is None or not _leaves_silently(branch):
            continue
        name, allowed = checked
        if name not in found and all(0 <= at < index for at in _set_at(statements, name)):
            found[name] = (index, allowed)
    return found


def _message_guards(statements: list[tree_sitter.Node]
                    ) -> dict[int, tuple[str, tree_sitter.Node]]:
    """Message properties the body checks against a list and stops on when absent, as
    :func:`_allowlist_guards` does for locals: the guarding statement's index → (the
    property's dotted path below msg, ``search.aggregate``; the list expression). Whether the
    message was sent before the guard, or the property set whole after it, the writes decide
    (:meth:`_Analysis.writes`)."""
    found: dict[int, tuple[str, tree_sitter.Node]] = {}
    for index, statement in enumerate(statements):
        if statement.type != "if_statement" or statement.child_by_field_name("alternative"):
            continue
        checked = _excluded_from(statement.child_by_field_name("condition"), message=True)
        branch = statement.child_by_field_name("consequence")
        if checked is not None and branch is not None and _leaves_silently(branch):
            found[index] = checked
    return found


def _excluded_from(condition: tree_sitter.Node | None, *, message: bool = False
                   ) -> tuple[str, tree_sitter.Node] | None:
    """(name, list) for a condition ``!list.includes(name)`` (parentheses allowed); with
    ``message``, (the dotted path below msg, list) for ``!list.includes(msg.a.b)``. For a
    local, also (name, the regex) for ``!/^[0-9]+$/.test(name)`` or ``!name.match(/…/)``
    when the regex is a word pattern (:func:`strict_pattern`)."""
    node = _unparenthesized(condition) if condition is not None else None
    if node is None or node.type != "unary_expression" or _operator(node) != "!":
        return None
    call = _unparenthesized(node.named_children[0]) if node.named_children else None
    if call is None or call.type != "call_expression":
        return None
    callee, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if callee is None or callee.type != "member_expression" or args is None \
            or len(args.named_children) != 1:
        return None
    checked = args.named_children[0]
    name = _dotted(checked, least=1) if message else \
        (_text(checked) if checked.type == "identifier" else "")
    prop, holder = callee.child_by_field_name("property"), callee.child_by_field_name("object")
    holder = _unparenthesized(holder) if holder is not None else None
    if prop is not None and holder is not None and _text(prop) == "match" and not message:
        pattern = _unparenthesized(checked)  # `!port.match(/^[0-9]+$/)`
        return (_text(holder), pattern) if holder.type == "identifier" \
            and pattern.type == "regex" and strict_pattern(_text(pattern)) else None
    if not name or prop is None or holder is None:
        return None
    if _text(prop) == "test":  # `!/^[0-9]+$/.test(port)`, `…test(msg.port)`: a word pattern
        return (name, holder) if holder.type == "regex" and strict_pattern(_text(holder)) \
            else None
    if _text(prop) != "includes":
        return None
    return name, holder


def _leaves_silently(branch: tree_sitter.Node) -> bool:
    """Does ``branch`` end in a return or throw, sending no message on the way?"""
    last = branch.named_children[-1] if branch.type == "statement_block" \
        and branch.named_children else branch
    if last.type not in _LEAVES or "node.send" in _text(branch):
        return False
    stack = [branch]
    while stack:
        current = stack.pop()
        if current.type in FUNCTIONS:
            continue
        if current.type == "return_statement" and current.named_children:
            value = _unparenthesized(current.named_children[0])
            items = value.named_children if value.type == "array" else [value]
            if any(i.type not in ("null", "undefined") for i in items):
                return False
        stack.extend(current.named_children)
    return True


def _last_definitions(statements: list[tree_sitter.Node]
                      ) -> dict[str, tuple[int, tree_sitter.Node]]:
    """Locals whose last setting is a whole statement of the body, ``name = value;``, with
    every other place that sets them in an earlier statement of the body (none in a
    function, a loop's later round or after): name → (that statement's index, the value).
    From the next statement on, reading the local reads that value alone."""
    found: dict[str, tuple[int, tree_sitter.Node]] = {}
    for index, statement in enumerate(statements):
        if statement.type != "expression_statement" or not statement.named_children:
            continue
        assign = statement.named_children[0]
        if assign.type != "assignment_expression":
            continue
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            continue
        name = _text(left)
        if all(0 <= at <= index for at in _set_at(statements, name)):
            found[name] = (index, right)
        else:
            found.pop(name, None)
    return found


def _set_at(statements: list[tree_sitter.Node], name: str) -> list[int]:
    """The body's statement index of each place that sets local ``name`` (-1 inside a
    function, which may run at any time)."""
    found: list[int] = []
    for index, statement in enumerate(statements):
        stack = [(statement, False)]
        while stack:
            current, nested = stack.pop()
            target = None
            if current.type == "variable_declarator":
                target = current.child_by_field_name("name")
            elif current.type in ("assignment_expression", "augmented_assignment_expression",
                                  "update_expression"):
                target = current.child_by_field_name("left") \
                    or current.child_by_field_name("argument")
            elif current.type == "for_in_statement":
                target = current.child_by_field_name("left")
            if target is not None and name in _pattern_names(target):
                found.append(-1 if nested else index)
            if current.type in FUNCTIONS:
                params = current.child_by_field_name("parameters") \
                    or current.child_by_field_name("parameter")
                if any(name in _pattern_names(p) for p in _params(params)):
                    continue  # the callback's own name, not the local
                nested = True
            stack.extend((c, nested) for c in current.named_children)
    return found


def _may_reach(value: tree_sitter.Node, read: tree_sitter.Node, body: tree_sitter.Node
               ) -> bool:
    """Can the message property set to ``value`` be what ``read`` reads? A function node's
    code runs once per message, top to bottom: a write reaches a read that comes after it,
    unless a block it sits in returns (or throws) before the read's code, e.g.
    ``if (saving) { msg.payload = settings; return msg; }``; a read inside a loop or a
    function (a callback, a helper) may run after any write. ``body`` is the node's code."""
    if _inside(read, LOOPS | FUNCTIONS, body):
        return True
    if value.end_byte > read.start_byte:
        return False  # set after the read (or by the very expression that reads it)
    child, block = value, value.parent
    while block is not None and not (block.start_byte <= read.start_byte < block.end_byte):
        if block.type == "statement_block" and _leaves_after(block, child):
            return False
        child, block = block, block.parent
    return True


def _every_branch(statement: tree_sitter.Node, setting: set[int]) -> bool:
    """Does every branch of the ``if`` ``statement`` run one of the ``setting`` statements
    as its own, or return or throw (with no break or continue to leave another way)?"""
    branch = statement.child_by_field_name("consequence")
    other = statement.child_by_field_name("alternative")
    if branch is None or other is None:
        return False
    own = branch.named_children if branch.type == "statement_block" else [branch]
    if not (any(s.id in setting for s in own) or (any(s.type in _LEAVES for s in own)
                                                  and not _contains(branch, _JUMPS))):
        return False
    rest = other.named_children[-1] if other.type == "else_clause" and other.named_children \
        else other
    if rest.type == "if_statement":
        return _every_branch(rest, setting)
    own = rest.named_children if rest.type == "statement_block" else [rest]
    return any(s.id in setting for s in own) or (any(s.type in _LEAVES for s in own)
                                                 and not _contains(rest, _JUMPS))

def _inside(node: tree_sitter.Node, types: frozenset[str], body: tree_sitter.Node) -> bool:
    """Is ``node`` inside a node of ``types`` within ``body``?"""
    current = node.parent
    while current is not None and current.id != body.id:
        if current.type in types:
            return True
        current = current.parent
    return False


def _leaves_after(block: tree_sitter.Node, inner: tree_sitter.Node) -> bool:
    """Does ``block`` return or throw, as one of its own statements, after the one holding
    ``inner``, with no break or continue that could leave it another way (and not as the body
    of a try, whose finally still runs)?"""
    if block.parent is not None and block.parent.type in ("try_statement", "finally_clause"):
        return False
    after = [c for c in block.named_children if c.start_byte >= inner.end_byte]
    if not any(c.type in _LEAVES for c in after):
        return False
    return not _contains(block, _JUMPS)


def _contains(node: tree_sitter.Node, types: frozenset[str]) -> bool:
    return any(c.type in types or _contains(c, types) for c in node.named_children)


def placement(prefix: str) -> str:
    """Where a value that follows the fixed text ``prefix`` sits, when that limits it: in a
    URL's query string (``https://host/path?`` before it), in the path of a URL whose scheme,
    host and port are fixed (``https://host/``; placed by the zone of that host), or inside a
    file name (an absolute POSIX path whose directory and a start of the file name are fixed,
    ``/data/alarm_``). A value right after a ``/``, after a Windows drive or backslash (both
    resolved lexically, ".." dropped without asking the disk), or in a relative path (Node-RED
    joins it to its working directory with path.resolve, lexically too) is not confined; nor
    is one in a URL's host, port or user part."""
    if _URL_TO_QUERY.match(prefix):
        return IN_URL_QUERY
    if _URL_TO_PATH.match(prefix):
        host = split_url(prefix)[1]
        if host:
            return IN_URL_PATH_INTERNET if default_zone(host) == "internet" \
                else IN_URL_PATH_OWN
        return ""
    if prefix.startswith("/") and "\\" not in prefix and not prefix.endswith("/") \
            and "/" in prefix:
        return IN_FILE_NAME
    return ""


# What a URL base kept in a context key stands for when placing what follows it: a fixed host
# of the owner's networks (the looser of the two path placements).
OWN_BASE = "http://localhost"
# The placements of a value past a URL's fixed scheme and host, from the least to the most
# it can steer there (an encoded value, a parameter, a path on the internet or at home).
URL_PLACEMENTS = (IN_URL_ENCODED, IN_URL_QUERY, IN_URL_PATH_INTERNET, IN_URL_PATH_OWN)


def _looser(a: str, b: str) -> str:
    """Of two placements of one value in a URL, the one that steers more."""
    (a_placed, a_base), (b_placed, b_base) = kept_base(a), kept_base(b)
    if a_base and a_base == b_base:
        looser = _looser(a_placed, b_placed)
        return past_kept_base(looser, a_base) if looser else ""
    if a in URL_PLACEMENTS and b in URL_PLACEMENTS:
        return max(a, b, key=URL_PLACEMENTS.index)
    return a if a == b else ""


def _fixed_prefix(parts: list[str | tree_sitter.Node], end: int) -> str:
    """The text before ``parts[end]``, each value before it standing as one plain character:
    whatever it holds, what follows sits no earlier in the URL than that text says."""
    return "".join(p if isinstance(p, str) else "_" for p in parts[:end])


# -- key columns ----------------------------------------------------------------------------------
# A row's column whose value the database makes or types: a key (``id``, ``device_id``,
# ``userId``, ``uuid``; ``id_usuario``, ``idCliente``: the id-first naming of Spanish, Portuguese,
# Italian and French schemas, an OpenID ``id_token`` not among them) or a timestamp
# (``timestamp``, ``date_time_stamp``, ``created_at``, ``updatedAt``). Read from a database, it
# is a number, an id or a time, never SQL text.
KEY_COLUMN = re.compile(r"^(?:id|uuid|guid)$|[a-z0-9](?:_id|Id|ID|_uuid|Uuid)$"
                        r"|^id_(?!token$)[a-z][a-z0-9_]*$|^id(?!Token$)[A-Z][A-Za-z0-9]*$"
                        r"|(?:^|_)time_?stamp$|[a-z0-9]Time[sS]tamp$|^timeStamp$"
                        r"|(?:^|_)(?:created|updated|modified|inserted)_at$"
                        r"|^(?:created|updated|modified|inserted)At$")


def _as_keys(found: Sources) -> Sources:
    """The key column of rows in message fields: read as ``key`` (the engine takes a key of
    rows a database returned as no text of anyone's; of request data, as the request)."""
    return frozenset(ValueRef("key", r.name, path=r.path) if r.kind == "field" else r
                     for r in found)


# -- small AST helpers ----------------------------------------------------------------------------
def _concatenated(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The operands of ``a + b + c`` in order (``+`` nests to the left)."""
    if node.type == "binary_expression" and _operator(node) == "+":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            return [*_concatenated(left), *_concatenated(right)]
    if node.type == "parenthesized_expression" and len(node.named_children) == 1:
        inner = node.named_children[0]
        if inner.type == "binary_expression" and _operator(inner) == "+":
            return _concatenated(inner)
    return [node]


def _fixed_text(node: tree_sitter.Node) -> str | None:
    """The text of a string literal or of a template literal with nothing substituted
    (```baseUrl```, as a context key's name); None for anything computed."""
    if node.type == "string" or (node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children)):
        return _text(node)[1:-1]
    return None


# Calls that turn a word into other text (``%3B`` into ``;``): their result is unchecked
DECODING_CALLS = frozenset({"decodeURIComponent", "decodeURI", "unescape", "atob"})


def _unchecked(found: Sources) -> Sources:
    return frozenset(replace(r, within="") if r.within == SHAPE_CHECKED else r for r in found)


def _shape_checked(found: Sources) -> Sources:
    """``found`` as a word checked against a pattern (:data:`~pytest_nocode.model.
    SHAPE_CHECKED`): its data stays whose it was, placed where only syntax sinks let it be."""
    return frozenset(r if r.kind in PLAIN_KINDS else replace(r, within=SHAPE_CHECKED)
                     for r in found)


# what a word pattern may match: letters, digits and these (no space, quote, ;, |, &, $, `,
# <, >, (, ), *, ?, =, %, #, !, ~, \ nor a line break)
_WORD_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-:/@+,")
_CLASS_ESCAPES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_"}


def strict_pattern(literal: str) -> bool:
    r"""Is the regex literal (``/^[a-zA-Z0-9._-]+$/``) anchored at both ends, with no
    multiline flag and no alternative outside a group, and can it match only characters of
    :data:`_WORD_CHARACTERS`? ``.``, a negated class, ``\s``, ``\W`` and other escapes match
    more, and so are not."""
    body, _slash, flags = literal[1:].rpartition("/")
    if not literal.startswith("/") or "m" in flags or not body.startswith("^") \
            or not body.endswith("$") or body.endswith("\\$"):
        return False
    chars, depth, i, inner = set(), 0, 0, body[1:-1]
    while i < len(inner):
        c = inner[i]
        if c == "\\":
            if i + 1 >= len(inner):
                return False
            e = inner[i + 1]
            if e in _CLASS_ESCAPES:
                chars.update(_CLASS_ESCAPES[e])
            elif not e.isalnum():
                chars.add(e)
            else:
                return False
            i += 2
            continue
        if c == "[":
            end, members = _class_members(inner, i + 1)
            if members is None:
                return False
            chars |= members
            i = end + 1
            continue
        if c == "(":
            depth += 1
            if inner.startswith("?:", i + 1):
                i += 2
        elif c == ")":
            depth -= 1
        elif c == "|":
            if depth == 0:
                return False
        elif c == "{":
            close = inner.find("}", i)
            if close < 0 or not re.fullmatch(r"\d+(,\d*)?", inner[i + 1:close]):
                return False
            i = close
        elif c in "+*?":
            pass
        elif c in ".^$":
            return False
        else:
            chars.add(c)
        i += 1
    return bool(chars) and chars <= _WORD_CHARACTERS


def _class_members(inner: str, at: int) -> tuple[int, set[str] | None]:
    """(the index of the closing ``]``, the characters) of the class opening before ``at``;
    None for a negated class or one that names a class escape matching more than words."""
    if at < len(inner) and inner[at] == "^":
        return at, None
    members: set[str] = set()
    i = at
    while i < len(inner) and inner[i] != "]":
        c = inner[i]
        if c == "\\" and i + 1 < len(inner):
            e = inner[i + 1]
            if e in _CLASS_ESCAPES:
                members.update(_CLASS_ESCAPES[e])
                i += 2
                continue
            if e.isalnum():
                return i, None
            c, i = e, i + 1
        if i + 2 < len(inner) and inner[i + 1] == "-" and inner[i + 2] != "]":
            low, high = c, inner[i + 2]
            if high == "\\":
                return i, None
            members.update(chr(x) for x in range(ord(low), ord(high) + 1))
            i += 3
            continue
        members.add(c)
        i += 1
    return (i, members) if i < len(inner) else (i, None)


def _key_prefix(call: tree_sitter.Node) -> str:
    """The fixed start of a context key computed in a call's first argument
    (``global.get("cam[" + i + "]")`` → ``cam[``, a template literal's leading text): which
    keys the read can be. "" when the key starts computed."""
    args = call.child_by_field_name("arguments")
    key = args.named_children[0] if args is not None and args.named_children else None
    while key is not None and key.type == "binary_expression" \
            and _text(key.child_by_field_name("operator")) == "+":
        key = key.child_by_field_name("left")
    if key is None:
        return ""
    if key.type == "string":
        return _text(key)[1:-1]
    if key.type == "template_string" and key.named_children \
            and key.named_children[0].type == "string_fragment":
        return _text(key.named_children[0])
    return ""


def _literal_text(node: tree_sitter.Node) -> str | None:
    """The fixed text a string literal, template fragment or template's edge shows (None for
    computed parts)."""
    if node.type == "string":
        return _text(node)[1:-1]
    if node.type == "string_fragment":
        return _text(node)
    if node.type == "template_string":
        return _text(node)[1:-1]
    return None


def _doubles_quotes(call: tree_sitter.Node) -> bool:
    """``x.replace(/'/g, "''")`` or ``x.replaceAll("'", "''")``: every single quote doubled,
    the SQL standard's escape inside a quoted string (``"\\'"`` in JavaScript is a lone quote,
    and no escape)."""
    callee = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if callee is None or callee.type != "member_expression" or args is None:
        return False
    prop = callee.child_by_field_name("property")
    values = args.named_children
    if prop is None or len(values) != 2 or values[1].type != "string" \
            or _text(values[1])[1:-1] not in ("''", "\\'\\'"):
        return False
    pattern, method = _text(values[0]), _text(prop)
    return (method in ("replace", "replaceAll") and pattern == "/'/g") or (
        method == "replaceAll" and values[0].type == "string" and pattern[1:-1] in ("'", "\\'"))


# A whole HTML page: a doctype, or an html or body element
_PAGE = re.compile(r"<!DOCTYPE\s+html|<html[\s>]|<body[\s>]", re.I)
# A call that makes text safe inside markup (escapeHtml, sanitize, DOMPurify.sanitize, he.encode)
_ESCAPING = re.compile(r"escape|saniti[sz]e|encode|entities|purify", re.I)


def _escaped(node: tree_sitter.Node) -> bool:
    """Is ``node`` a call of a function that escapes or sanitizes text for markup?"""
    node = _unparenthesized(node)
    callee = node.child_by_field_name("function") if node.type == "call_expression" else None
    return callee is not None and bool(_ESCAPING.search(_text(callee)))


def _dots_test(name: str) -> re.Pattern[str]:
    r"""A test of ``name`` for ``..``: ``name.includes('..')``, ``name.indexOf("..")``,
    ``/\.\./.test(name)``."""
    n = re.escape(name)  # (found, not absent: no `!` before it, indexOf compared >= 0)
    return re.compile(rf"(?<![\w$.!]){n}\s*\.\s*includes\(\s*(['\"`])\.\.\1\s*\)"
                      rf"|(?<![\w$.]){n}\s*\.\s*indexOf\(\s*(['\"`])\.\.\2\s*\)\s*"
                      r"(?:>=\s*0|>\s*-1|!==?\s*-1)"
                      rf"|(?<!!)/\\\.\\\./[a-z]*\.test\(\s*{n}\s*\)")


def _leaves(branch: tree_sitter.Node) -> bool:
    """Does ``branch`` end in a return or throw (whatever it answers on the way)?"""
    last = branch.named_children[-1] if branch.type == "statement_block" \
        and branch.named_children else branch
    return last.type in _LEAVES


def _identifiers(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The identifiers ``node`` reads (not property names)."""
    if node.type == "identifier":
        return [node]
    return [i for c in node.named_children if c.type not in _INERT for i in _identifiers(c)]


def _computed_keys(target: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The keys of ``a[k].b[j]`` computed at run time (``k``, ``j``; not a literal)."""
    keys: list[tree_sitter.Node] = []
    node: tree_sitter.Node | None = target
    while node is not None and node.type in ("member_expression", "subscript_expression"):
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is not None and index.type not in ("string", "number"):
                keys.append(index)
        node = node.child_by_field_name("object")
    return keys


def _unparenthesized(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type == "parenthesized_expression" and len(node.named_children) == 1:
        node = node.named_children[0]
    return node


def _returned(function: tree_sitter.Node) -> list[tree_sitter.Node]:
    """What a helper returns: each return's value (an arrow function's expression body)."""
    body = function.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]
    return [r.named_children[0] for r in _own_returns(body) if r.named_children]



def _dotted(node: tree_sitter.Node, least: int = 2) -> str:
    """The dotted path below ``msg`` of ``msg.a.b`` / ``msg.a["b"]`` ("a.b"), or "" when a
    part of it is computed or it has fewer than ``least`` parts."""
    chain = _chain(node)
    if chain is None or chain[0] != "msg" or not chain[1] \
            or chain[1].count(".") + 1 < least:
        return ""
    return chain[1]


def _chain(node: tree_sitter.Node) -> tuple[str, str] | None:
    """(the identifier at the root, the dotted path of named properties below it) of ``a``,
    ``a.b.c`` or ``a["b"]``; None when a part is computed or the root is no identifier."""
    parts: list[str] = []
    current = node
    while current.type in ("member_expression", "subscript_expression"):
        if current.type == "member_expression":
            prop = current.child_by_field_name("property")
            name = _text(prop) if prop is not None else ""
        else:
            index = current.child_by_field_name("index")
            name = (_fixed_text(index) or "") if index is not None else ""
        if not _PROPERTY.fullmatch(name):
            return None
        parts.append(name)
        obj = current.child_by_field_name("object")
        if obj is None:
            return None
        current = obj
    if current.type != "identifier":
        return None
    return _text(current), ".".join(reversed(parts))
