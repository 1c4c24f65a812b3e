"""n8n entry points: what a call to a webhook, form, chat or waiting step can do
(:attr:`~pytest_nocode.model.EntryPoint.effect`, in the vocabulary of
:data:`~pytest_nocode.model.EFFECTS` that Node-RED's entry points use too).

The effect is read from the steps a call's items reach along the wiring, each judged once:

* steps that only shape or route items (Set, If, Merge, Split Out, Convert to File, … the
  data-flow engine's pass-through nodes) pass, as long as what they write is constant, the
  caller's own fields or platform values (an environment value or a store read serves);
* Respond to Webhook and the pages of a form answer (a JWT it signs for the caller acts, as
  does a Crypto node's HMAC or signature: both sign what the caller chose with a key);
* an HTTP request answers when it is a GET without credentials to a fixed public host: the
  caller could ask that service itself, so relaying it opens nothing (the reason says so);
* a Code node whose code only computes (every call a method of a value, one of its own
  functions or a global that computes: no ``require``, ``fetch``, ``this.helpers``,
  environment, credentials or static data; :func:`computes_only`) is judged as a shaping
  step by the values it puts out, and answers when the call is answered with its output;
* a read of a data store serves; anything else acts: a write, a mail, other code, a
  command, an AI agent, a node this module does not know;
* an Execute Workflow step or AI workflow tool that calls a workflow of this app passes: the
  walk goes on into that workflow from its trigger, step by step (the whole workflow when
  its wiring cannot be followed there); one calling a workflow the export does not hold acts.

A No Operation node is where n8n authors mark work: on a branch of a flow that answers it
ends that branch, but a flow that does nothing else is a stub whose work the export does not
show (it acts), and one that carries another node's parameters is a collection's stand-in for
a node it removed (it acts).

When the export's wiring is broken in the workflow (connections to missing nodes, or none at
all in a file a collection edited), every step of the workflow counts as reached (the reader
cannot follow it: fail closed); a workflow an instance wrote (it carries the instance's
``updatedAt``, or came from its API) whose connections hold only the empty lists the editor
leaves when the last link is deleted runs nothing after its triggers (a collection that
dropped the wiring leaves ``{}``); an entry point wired to nothing in a workflow whose other
steps are wired runs nothing. Connections that join two
nodes by their ids (an edited export) are not lost wiring: n8n connects by name and follows
none of them, so from an entry point wired that way only the connections that name nodes are
walked (none: nothing runs after it).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from urllib.parse import urlsplit

from pytest_nocode.model import (
    ACTS,
    ANSWERS,
    NOTHING,
    PASSES,
    RECORDS,
    SERVES,
    DataStore,
    Destination,
    Step,
    StepFlow,
    ValueRef,
    is_self_hosted_model,
    json_text,
    stronger_effect,
)
from pytest_nocode.platforms.jsparse import captures, function_body, text
from pytest_nocode.platforms.n8n_flow import (
    BASE,
    CALLED_TRIGGERS,
    CALLERS,
    CODE_NODES,
    FORM_PAGE,
    NOTE,
    PASS_TYPES,
)
from pytest_nocode.platforms.n8n_intake import TAKES_IN, intake_role, is_model_type
from pytest_nocode.policy import default_zone

RESPOND = BASE + "respondToWebhook"
HTTP_REQUEST = BASE + "httpRequest"
# the same request as an AI agent's or MCP server's tool (its values the calling model's)
HTTP_REQUESTS = frozenset({HTTP_REQUEST, BASE + "httpRequestTool"})
NO_OP = BASE + "noOp"
CRYPTO = BASE + "crypto"
# Nodes that only reshape, route or hold items (Respond to Webhook answers; a file a
# spreadsheet node reads or writes is a store; the debug helper can exhaust memory on call).
SHAPING_TYPES = (PASS_TYPES | {BASE + "set"}) - {RESPOND, BASE + "spreadsheetFile",
                                                 BASE + "debugHelper"}
# Values a shaping step may put into what it passes on without serving data.
_OWN_KINDS = frozenset({"constant", "platform", "field", "step", "key", "entry"})
# Headers and query parameters a request may send and still carry no credential.
_PLAIN_HEADERS = frozenset({"accept", "accept-language", "content-type", "user-agent"})
_SECRET_NAME = re.compile(r"token|secret|api[_-]?key|^key$|passw|auth|^sig|signature|session|"
                          r"cookie|credential", re.I)
_QUERY_NAME = re.compile(r"(?:^|&)([^=&]+)=")
# the one expression helper that reads what earlier runs kept (the data flow reads it as an
# item field, which is what other helpers such as $ifEmpty or $jmespath read)
_STATIC_DATA = re.compile(r"\$getWorkflowStaticData\b")
# A path segment that may be a key (a bot token, a hook id): 16 or more characters mixing
# digits and letters. A URL holding one is a capability the caller does not have.
_KEY_SEGMENT = re.compile(r"(?=[^/]*\d)(?=[^/]*[A-Za-z])[\w:.~-]{16,}")

Judged = tuple[str, str]  # (effect, reason)


class EntryEffects:
    """Judges entry points of one app: each step once, each entry point in one walk."""

    def __init__(self, steps: Iterable[Step], describe: Callable[[Step], StepFlow],
                 destinations: Iterable[Destination], stores: Iterable[DataStore],
                 lost_wiring: Iterable[str], stand_ins: Mapping[str, str] | None = None,
                 unfollowed: Iterable[str] = (), versions: Mapping[str, float] | None = None,
                 unwired: Iterable[str] = ()) -> None:
        self._by_id: dict[str, Step] = {}
        self._by_workflow: dict[str, list[Step]] = {}
        for step in steps:
            self._by_id[step.id] = step
            self._by_workflow.setdefault(step.workflow_id, []).append(step)
        self._describe = describe
        self._targets = {d.step_id: d for d in destinations}
        self._stores = {s.step_id: s for s in stores}
        self._lost = frozenset(lost_wiring)  # workflows whose wiring points at missing nodes
        # steps whose connections name nodes by id (every dangling connection of their
        # workflow joins two nodes by id): n8n follows none of those connections
        self._unfollowed = frozenset(unfollowed)
        # workflows an instance wrote whose connections hold only the editor's empty lists:
        # no link is left, and nothing runs after their triggers
        self._unwired = frozenset(unwired)
        self._versions = versions or {}  # step id → the node's typeVersion
        self._judged: dict[str, Judged] = {}
        self._stand_ins = stand_ins or {}  # No Operation step → the node type its note names
        self._taken_in: dict[str, tuple[str, str]] = {}
        self._wired_in: dict[str, tuple[str, ...]] | None = None

    def of(self, entry: Step) -> Judged:
        """(effect, reason) of a call to ``entry``: ``acts`` ends the walk at the first step
        that acts; otherwise the strongest effect met, ``nothing`` when every step passes."""
        if entry.id in self._unfollowed and not entry.outbound:
            return NOTHING, ("its connections name nodes by id, which n8n does not follow: "
                             "nothing runs after it")
        effect, reasons, placeholder = PASSES, [], ""
        takes_in, acting = False, ""
        for step in self._reached(entry):
            what, why = self._judge(step)
            if what == ACTS:
                role, because = self._intake(step)
                if not role:
                    return ACTS, why
                takes_in, acting = takes_in or role in TAKES_IN, acting or why
                what, why = RECORDS, because
            if step.type == NO_OP and not step.disabled:
                placeholder = placeholder or step.name
            if what != effect and stronger_effect(what, effect) == what:
                effect, reasons = what, []  # a stronger effect: its reasons, not the weaker
            if what == effect and why and why not in reasons:
                reasons.append(why)
        if effect == RECORDS and not takes_in:
            return ACTS, acting  # a model asked, nothing kept or sent: nothing to go by
        if effect == PASSES and placeholder:
            return ACTS, (f"its flow ends in No Operation step {placeholder!r}, a stub: the "
                          "work it stands for is not in the export")
        if effect == PASSES:
            return NOTHING, "nothing after it acts or answers"
        return effect, "; ".join(reasons)

    def _reached(self, entry: Step) -> Iterable[Step]:
        """The steps a call can run: along the wiring, or the whole workflow when the
        wiring cannot be followed from the entry point."""
        seen = {entry.id}
        queue = list(self._after(entry))
        while queue:
            sid = queue.pop()
            step = self._by_id.get(sid)
            if sid in seen or step is None:
                continue
            seen.add(sid)
            yield step
            queue.extend(self._after(step) if step.type in CALLED_TRIGGERS else step.outbound)

    def _after(self, start: Step) -> Iterable[str]:
        """What runs after an entry point or a called workflow's trigger: what it is wired
        to, or every other step of its workflow when the wiring there cannot be followed
        (connections that point at missing nodes, or none at all in the workflow). In a
        workflow whose other steps are wired, an entry point wired to nothing runs nothing."""
        steps = self._by_workflow.get(start.workflow_id, ())
        if start.id in self._unfollowed or start.workflow_id in self._unwired:
            return start.outbound  # what n8n follows: the connections that name nodes
        if start.workflow_id in self._lost or not any(s.outbound for s in steps):
            return [s.id for s in steps if s.id != start.id]
        return start.outbound

    def _calls_in_app(self, step: Step) -> bool:
        """Is ``step`` an Execute Workflow (or AI workflow tool) wired to the trigger of a
        workflow of this app (the walk then goes on into that workflow's steps)?"""
        return step.type in CALLERS and any(
            (t := self._by_id.get(sid)) is not None and t.type in CALLED_TRIGGERS
            and t.workflow_id != step.workflow_id for sid in step.outbound)

    def _intake(self, step: Step) -> tuple[str, str]:
        """(role, reason) of an acting step that only takes a submission in (see
        :mod:`.n8n_intake`), ("", "") when it does more. A shaping step that acts only by
        passing on a model's answer takes part ("shape")."""
        found = self._taken_in.get(step.id)
        if found is None:
            described = self._describe(step)
            refs = {r.kind for w in described.writes for r in w.value}
            if step.type == NO_OP and step.id not in self._stand_ins:
                found = ("", "")  # a stand-in for a node the export does not name
            elif step.type in SHAPING_TYPES and step.type not in (NO_OP, RESPOND, FORM_PAGE,
                                                                   CRYPTO) \
                    and not described.authored_code and not described.sinks \
                    and refs - _OWN_KINDS <= {"ai"}:
                found = ("shape", "")
            else:
                found = intake_role(step, described, self._stand_ins,
                                    lambda ref: self._submitted(ref, step))
            self._taken_in[step.id] = found
        return found

    def _submitted(self, ref: ValueRef, reader: Step | None = None) -> bool:
        """Is a value a confirmation reads the submitter's own (fixed text, the item's
        fields, a form page's or another entry step's answers, a step that only reshapes)?
        The item's fields are what the submission holds, unless a model's step is upstream
        of the ``reader`` (an extractor, a chain, a classifier): its answer is the item
        then, and an address or text it wrote is the model's, which the submitter's words
        steer, not what they typed (a mail to the address a model found in free text
        reaches whoever the text names)."""
        if ref.kind == "field" and reader is not None and self._after_model(reader):
            return False
        if ref.kind in ("constant", "entry", "field", "platform", "key"):
            return True
        target = self._by_id.get(ref.step) if ref.kind == "step" and ref.step else None
        return target is not None and (self._describe(target).starts or target.type == FORM_PAGE
                                       or self._judge(target)[0] in (PASSES, ANSWERS))

    def _after_model(self, step: Step) -> bool:
        """Does a model's step (see :func:`~.n8n_intake.is_model_type`) run before ``step``
        on some path from its workflow's entry: is the item ``step`` reads a model's answer
        (or built from one)?"""
        inbound = self._inbound()
        seen, queue = {step.id}, list(inbound.get(step.id, ()))
        while queue:
            sid = queue.pop()
            before = self._by_id.get(sid)
            if sid in seen or before is None:
                continue
            seen.add(sid)
            if is_model_type(before, self._stand_ins):
                return True
            queue.extend(inbound.get(sid, ()))
        return False

    def _inbound(self) -> Mapping[str, tuple[str, ...]]:
        """Step id → the steps wired into it (built once)."""
        if self._wired_in is None:
            into: dict[str, list[str]] = {}
            for step in self._by_id.values():
                for target in step.outbound:
                    into.setdefault(target, []).append(step.id)
            self._wired_in = {k: tuple(v) for k, v in into.items()}
        return self._wired_in

    def _judge(self, step: Step) -> Judged:
        judged = self._judged.get(step.id)
        if judged is None:
            judged = self._judged[step.id] = self._step_effect(step)
        return judged

    def _step_effect(self, step: Step) -> Judged:
        """What one step does with the items it is given, and why."""
        if step.disabled or step.type == NOTE:
            return PASSES, ""  # n8n passes items through a disabled node untouched
        described = self._describe(step)
        if described.starts or step.type in CALLED_TRIGGERS:
            # another trigger is sent nothing; a called workflow's hands on what it is sent
            return PASSES, ""
        named = f"step {step.name!r} ({step.type.rsplit('.', 1)[-1]})"
        store = self._stores.get(step.id)
        if store is not None:
            if store.operation in ("read", "query"):
                return SERVES, f"{named} reads {store.kind} data it may answer with"
            return ACTS, f"{named} writes stored data"
        refs = [r for w in described.writes for r in w.value] + \
            [r for s in described.sinks for r in s.reads]
        if step.type == NO_OP and any(v not in (None, "", {}, []) for k, v in
                                      step.params.items() if k != "options"):
            return ACTS, (f"{named} carries another node's parameters: a stand-in for a node "
                          "the export does not show")
        if step.type in SHAPING_TYPES or step.type in (RESPOND, FORM_PAGE):
            if described.authored_code or any(s.kind != "answer" for s in described.sinks):
                return ACTS, f"{named} runs what it is given"
            if step.type == RESPOND and step.params.get("respondWith") == "jwt":
                return ACTS, f"{named} signs a token for the caller"
            if step.type == CRYPTO and step.params.get("action") in ("hmac", "sign"):
                return ACTS, f"{named} signs what it is given with the owner's key"
            shaped = self._shaped(named, refs)
            if shaped[0] != PASSES:
                return shaped
            if _STATIC_DATA.search(json_text(dict(step.params))):
                return SERVES, f"{named} reads what earlier runs kept (workflow static data)"
            if step.type == RESPOND:
                return ANSWERS, f"{named} answers with fixed content and what reaches it"
            if step.type == FORM_PAGE:
                return ANSWERS, f"{named} shows the caller the next page of the form"
            return PASSES, ""
        if described.authored_code:
            if step.type in CODE_NODES and all(s.kind == "answer" for s in described.sinks) \
                    and computes_only(str(step.params.get("jsCode")
                                          or step.params.get("functionCode") or "")):
                shaped = self._shaped(named, refs)
                if shaped[0] == PASSES and described.sinks:
                    return ANSWERS, f"{named} answers with what its code computes"
                return shaped
            return ACTS, f"{named} runs code its author wrote"
        if self._calls_in_app(step) and all(s.kind == "answer" for s in described.sinks):
            return PASSES, ""  # what the called workflow does is judged step by step
        if step.type in HTTP_REQUESTS:
            relay = self._public_relay(step) or self._local_model(step)
            if relay:
                return ANSWERS, relay
        return ACTS, f"{named} may change, send or run something"

    def _local_model(self, step: Step) -> str:
        """Why an HTTP request only asks a model on the app's own host ("" otherwise): a
        fixed address in the loopback or host zone at a self-hosted model server's generation
        path (Ollama's ``/api/generate``, an OpenAI-compatible ``/v1/chat/completions``),
        with no credential and no header but plain ones. Such a model runs on the owner's
        machine: it keeps nothing, sends nothing out and costs nothing per call; what it
        answers is judged with the rest of the answer. A hosted model is billed per call and
        acts (the open door spends the owner's account)."""
        p = step.params
        target = self._targets.get(step.id)
        if target is None or target.dynamic or not target.host \
                or default_zone(target.host) not in ("loopback", "host") \
                or step.credential_refs or str(p.get("authentication") or "none") != "none":
            return ""
        try:
            path = urlsplit(target.url.lstrip("=").split("?", 1)[0]).path
        except ValueError:
            return ""
        headers, _query, _body = _sent_parts(p, self._versions.get(step.id))
        if any(h.lower() not in _PLAIN_HEADERS for h in headers) \
                or not is_self_hosted_model(target.host, target.port, path):
            return ""
        return f"step {step.name!r} asks a model on the app's own host ({target.host})"

    @staticmethod
    def _shaped(named: str, refs: list[ValueRef]) -> Judged:
        """What a step that only reshapes items does with the values it puts in them."""
        foreign = sorted({r.kind for r in refs if r.kind not in _OWN_KINDS})
        if {"ai", "unknown"} & set(foreign):
            return ACTS, f"{named} passes on values the export does not show"
        if foreign:
            return SERVES, f"{named} passes on {' and '.join(foreign)} values"
        return PASSES, ""

    def _public_relay(self, step: Step) -> str:
        """Why an HTTP request only does what anyone may do ("" when it may do more): a GET,
        or a fixed request (no body as exported, nothing of the call in its URL), with no
        credential, no header but plain ones, no secret-named query parameter and no
        key-like path segment, to a fixed host on the internet (by the default trust zones:
        the adapter has no policy)."""
        p = step.params
        target = self._targets.get(step.id)
        method = str(p.get("method") or p.get("requestMethod") or "GET").upper()
        url = p.get("url")
        if method == "GET" and isinstance(url, str) and _UNSENDABLE_URL.match(url):
            # n8n reads a parameter as an expression only after a leading "=": this text is
            # sent as written, and a URL without a scheme and host is refused before any call
            return (f"step {step.name!r} cannot send its GET as exported: its URL {url!r} "
                    "is text without a leading '=', not a URL")
        headers, query, body = _sent_parts(p, self._versions.get(step.id))
        if target is None or target.dynamic or not target.host \
                or step.credential_refs or str(p.get("authentication") or "none") != "none" \
                or default_zone(target.host) != "internet":
            return ""
        if method != "GET" and (body or query or "{{" in target.url):
            return ""  # it may change something there, with what the caller sent
        address, _, query_string = target.url.partition("?")
        query += _QUERY_NAME.findall(query_string)
        try:
            path = urlsplit(address.lstrip("=")).path
        except ValueError:  # not a URL Python can split (a bracketed host left open)
            return ""
        callers = _callers_own(p)  # a key the caller hands over is its own, not the owner's
        if any(h.lower() not in _PLAIN_HEADERS and h not in callers for h in headers) \
                or any(q == "?" or (_SECRET_NAME.search(q) and q not in callers)
                       for q in query) \
                or any(_KEY_SEGMENT.fullmatch(seg) for seg in path.split("/")):
            return ""
        if method == "GET":
            return (f"step {step.name!r} relays a GET without credentials to {target.host}, "
                    "a public service the caller could ask itself")
        return (f"step {step.name!r} sends {target.host} a fixed {method} with no body and "
                "no credentials, as exported: a request the caller could send itself")


# A URL parameter that is neither an expression nor a URL: ``{{ $env.BASE_URL }}`` with no
# leading "=" (a collection that replaced the address), which n8n sends as written.
_UNSENDABLE_URL = re.compile(r"^\s*\{\{[^}]*\}\}\s*$")


def _sent_parts(params: Mapping[str, object], version: float | None
                ) -> tuple[list[str], list[str], bool]:
    """(header names, query parameter names, whether a body is sent) of an HTTP Request node
    as n8n reads its version's parameters: from version 4 ``sendHeaders``/``sendQuery``/
    ``sendBody`` and their lists; before it, ``jsonParameters`` picks the JSON texts
    (``headerParametersJson``, …) or the UI lists (``headerParametersUi.parameter``), and
    the version-4 keys an export may also carry are ignored. A JSON text's names are not
    read: it names something unknown. Without a version (a hand-written export) every
    version's keys count (fail closed)."""
    if version is None:
        parts = [_sent_parts(params, v) for v in (1.0, 4.0)]
        return (parts[0][0] + parts[1][0], parts[0][1] + parts[1][1],
                parts[0][2] or parts[1][2] or any(
                    params.get(k) not in (None, "", {}) for k in ("jsonBody", "body")))
    if version >= 4:
        return (_names(params.get("headerParameters")) if params.get("sendHeaders") else [],
                _names(params.get("queryParameters")) if params.get("sendQuery") else [],
                bool(params.get("sendBody")))
    if params.get("jsonParameters") is True:
        texts = [params.get(k) for k in ("headerParametersJson", "queryParametersJson")]
        named = [["?"] if t not in (None, "", "{}") else [] for t in texts]
        return named[0], named[1], params.get("bodyParametersJson") not in (None, "", "{}") \
            or params.get("sendBinaryData") is True
    ui = [_ui_names(params.get(k)) for k in ("headerParametersUi", "queryParametersUi",
                                             "bodyParametersUi")]
    return ui[0], ui[1], bool(ui[2]) or params.get("sendBinaryData") is True


def _ui_names(params: object) -> list[str]:
    """The names of a version 1-3 HTTP Request's UI parameter list (``{"parameter": […]}``)."""
    if isinstance(params, Mapping) and "parameter" in params:
        return _names({"parameters": params.get("parameter")})
    return ["?"] if params else []


# A value the calling model fills in (``{{ $fromAI('api_key', …) }}``): what the agent or MCP
# client that calls the tool supplies, the caller's own
_FROM_AI_ONLY = re.compile(r"^=\s*\{\{\s*\$fromAI\([^{}]*\)\s*\}\}\s*$")


def _callers_own(params: Mapping[str, object]) -> frozenset[str]:
    """Names of the header and query parameters of an HTTP request whose whole value is one
    the calling model supplies (:data:`_FROM_AI_ONLY`): a key the caller of a tool hands
    over is the caller's, so relaying it spends nothing of the owner's."""
    out = set()
    for key in ("headerParameters", "queryParameters"):
        entries = params.get(key)
        entries = entries.get("parameters") if isinstance(entries, Mapping) else None
        for e in entries if isinstance(entries, list) else ():
            if isinstance(e, Mapping) and isinstance(e.get("value"), str) \
                    and _FROM_AI_ONLY.match(e["value"]):
                out.add(str(e.get("name") or ""))
    return frozenset(out)


def _names(params: object) -> list[str]:
    """The names of an HTTP Request node's header or query parameters (``{"parameters":
    [{"name": …, "value": …}]}``); an unreadable list names something unknown."""
    entries = params.get("parameters") if isinstance(params, Mapping) else None
    if not isinstance(entries, list):
        return ["?"] if params else []
    return [str(e.get("name") or "?") if isinstance(e, Mapping) else "?" for e in entries]


# Code that only computes: every call is a method of a value, one of its own functions or a
# global that computes (no require, fetch, this.helpers, $http, process, eval, workflow
# static data, environment or credentials: those reach out, run or read what is kept).
_COMPUTING_GLOBALS = frozenset({
    "String", "Number", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite", "Array",
    "Object", "JSON", "Math", "Date", "RegExp", "Set", "Map", "Promise", "Error", "TypeError",
    "encodeURIComponent", "decodeURIComponent", "encodeURI", "decodeURI", "Symbol", "BigInt",
    "DateTime", "Duration", "Interval", "console", "items", "item", "$input", "$json", "$",
    "$items", "$node", "$now", "$today", "$jmespath", "$ifEmpty", "$if", "$max", "$min",
    "$runIndex", "$itemIndex", "$prevNode", "$workflow", "$position", "$binary", "undefined",
    "NaN", "Infinity"})
_CALLS = """
(call_expression function: (_) @function) @call
(new_expression constructor: (_) @function) @call
"""
_DECLARED_NAMES = """
(variable_declarator name: (identifier) @name)
(function_declaration name: (identifier) @name)
(formal_parameters (identifier) @name)
(arrow_function parameter: (identifier) @name)
(catch_clause parameter: (identifier) @name)
"""


@lru_cache(maxsize=4096)  # the same code repeats across an estate's workflows
def computes_only(code: str) -> bool:
    """Does a Code node's code only compute its output from its input (it may throw): no
    call or name that reaches out of it, runs text as code or reads kept state?"""
    body = function_body(code) if code.strip() else None
    if body is None:
        return False
    declared = {text(n) for n in captures(_DECLARED_NAMES, body).get("name", ())}
    for function in captures(_CALLS, body).get("function", ()):
        root = function
        while root.type in ("member_expression", "subscript_expression", "call_expression",
                            "parenthesized_expression", "new_expression", "await_expression"):
            inner = root.child_by_field_name("object") or root.child_by_field_name(
                "function") or root.child_by_field_name("constructor") or (
                root.named_children[0] if root.named_children else None)
            if inner is None:
                break
            root = inner
        if root.type in ("this", "super", "import"):
            return False
        if root.type == "identifier":
            name = text(root)
            if name not in declared and name not in _COMPUTING_GLOBALS:
                return False
        elif root.type not in ("string", "template_string", "array", "object", "number",
                               "arrow_function", "function_expression", "regex"):
            return False
    if {text(n) for n in captures("(identifier) @id", body).get("id", ())} & {
            "require", "process", "eval", "Function", "globalThis", "global", "$env",
            "$credentials", "$secrets", "$vars", "$getWorkflowStaticData", "$http", "fetch",
            "setInterval", "$execution"}:
        return False
    return not captures("(this) @this", body)
