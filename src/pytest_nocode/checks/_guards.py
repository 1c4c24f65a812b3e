"""Endpoints that check their callers themselves, in the first steps after the trigger.

An n8n webhook with ``authentication: none`` (or a Node-RED ``http in``) is not open when the
step right after it compares a signature, token or HMAC the caller sent and ends the run when
the comparison fails (a 401/403 response, a stop, an error, or a branch that leads nowhere).
Such a guard is hand-written, so it is worth a look (timing-safe comparison, raw body, replay),
but it is not an open door. This module recognises guards; AUTH001 and AUTH004 use it.

What counts, kept as data below so a new pattern is one line:

* **what is compared**: a credential-like request header (``x-hub-signature-256``,
  ``authorization``, ``x-api-key``, …), a token or signature in the query or body, the sender
  of a chat message (Telegram ``message.from.id``), or a signature verified in code (JWT,
  a timing-safe comparison; an HMAC computed without an inbound signature to compare it with
  only signs what the flow sends on);
* **how failures end**: a response with status 401 or 403, n8n's Stop and Error, code that
  throws or returns nothing, a filter, or a branch whose other output is not wired;
* **checks elsewhere**: a workflow an Execute Workflow step calls, whose answer the branch
  right after it tests and refuses (:func:`_called_check`); a login (a password against a
  stored hash, in code or in the query it runs, :func:`login_check`; an OAuth callback
  comparing the state its login kept, :func:`oauth_callback`, whose login route
  :func:`oauth_login` recognises); and in a router function serving several routes, only
  the code run for the route at hand (:func:`route_code`).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import tree_sitter

from pytest_nocode.model import App, AppMemo, Step, json_text
from pytest_nocode.platforms.jsparse import function_body
from pytest_nocode.platforms.jsparse import text as jstext
from pytest_nocode.platforms.nodered_entries import SQL_NODES, code_effect, code_reads

N8N = "n8n-nodes-base."
# Steps that decide: a branch, a filter, or code.
N8N_BRANCHES = frozenset({N8N + "if", N8N + "switch", N8N + "filter"})
N8N_CODE = frozenset({N8N + "code", N8N + "function", N8N + "functionItem"})
N8N_HELPERS = frozenset({N8N + "crypto", N8N + "set", N8N + "noOp", N8N + "merge"})
N8N_CALLERS = frozenset({N8N + "executeWorkflow"})  # a workflow that may check the caller
# Nodes that add a row to a table or sheet (create, append, insert): an audit log's writers
N8N_RECORDERS = frozenset(N8N + t for t in ("airtable", "googleSheets", "postgres", "mySql",
                                            "microsoftSql", "supabase", "notion", "baserow",
                                            "nocoDb", "dataTable"))
NODE_RED_BRANCHES = frozenset({"switch"})
NODE_RED_CODE = frozenset({"function"})
# a reusable flow's call and its ends (node-red-contrib-reusable-flows) only carry the message
NODE_RED_HELPERS = frozenset({"change", "json", "reusable", "reusable-in", "reusable-out"})
DECIDERS = N8N_BRANCHES | N8N_CODE | NODE_RED_BRANCHES | NODE_RED_CODE
PASS_THROUGH = N8N_HELPERS | NODE_RED_HELPERS

# How far from the trigger the comparison and the decision may sit.
MAX_STEPS_TO_CHECK = 3
MAX_STEPS_TO_REJECTION = 2

_CREDENTIAL_WORD = (r"(?:[\w-]*(?:auth|token|signature|hmac|secret|api[-_]?key|apikey|password)"
                    r"[\w-]*)")
# headers["x-signature"], headers.authorization, headers?.['x-api-key'] (n8n: $json.headers);
# Node-RED's incoming headers are msg.req.headers (msg.headers are the ones a request sends)
_HEADER = r"headers\s*(?:\?\.)?\s*(?:\[\s*\\?[\"']|\.)\s*(" + _CREDENTIAL_WORD + r")"
HEADER_REF = re.compile(_HEADER, re.I)
REQUEST_HEADER_REF = re.compile(r"\breq\s*(?:\?\.)?\s*\.?" + _HEADER, re.I)
# query.token, body["signature"], query['hub.verify_token']
PARAM_REF = re.compile(
    r"\b(query|body|payload)\s*(?:\?\.)?\s*(?:\[\s*\\?[\"']|\.)\s*((?:hub\.)?" + _CREDENTIAL_WORD
    + r")", re.I)
# the sender of a chat message: message.from.id, message.chat.id, callback_query.from.username
SENDER_REF = re.compile(r"\b(?:message|callback_query|originalMessage)\??\.(?:from|chat)\??\."
                        r"(?:id|username)\b")
# code that verifies a signature or token by itself
VERIFY_REF = re.compile(r"timingSafeEqual|jwt\.verify|jsonwebtoken|jose\b|verifySignature|"
                        r"crypto\.subtle\.verify", re.I)
# a Telegram Mini App's initData checked in code: Telegram's own HMAC key ("WebAppData", over
# the bot token) beside the initData the caller sends; the signed user and date are then known
TELEGRAM_INIT_DATA = re.compile(r"\binit_?data\b", re.I)
TELEGRAM_WEBAPP_KEY = re.compile(r"[\"']WebAppData[\"']")
TELEGRAM_VERIFIED = "Telegram Mini App initData (HMAC-SHA256 keyed by the bot token)"
# code that only computes one (an HMAC, n8n's Crypto node): a check only beside an inbound
# signature to compare it with; alone it signs what the flow forwards, which proves nothing
# about the caller
SIGN_REF = re.compile(r"createHmac|\"action\":\s*\"hmac\"", re.I)
# code that verifies an HMAC signature itself, timing-safe, and throws when it fails: a
# whole check in one step (computed, compared in constant time, refused), nothing left to a
# branch wired after it
# (in a step's configuration as JSON text, where the code's line breaks are ``\n``):
# ``if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) { throw …``
THROWS_ON_MISMATCH = re.compile(
    r"!\s*(?:[\w$]+\.)*(?:timingSafeEqual|compare_digest)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)"
    r"\s*\)(?:\s|\\n)*\{?(?:\s|\\n)*throw\b")
# the signature taken over the bytes the caller sent (the webhook's Raw Body, as binary data),
# not over the body parsed and serialised again (``JSON.stringify($json.body)``: key order and
# spacing differ, so the check fails or is made to match something else)
RAW_BODY = re.compile(r"\brawBody\b|\.binary\b|\$binary\b")
RESERIALISED = re.compile(r"update\(\s*JSON\.stringify\(")
# code that ends the run when the check fails
CODE_STOPS = re.compile(r"\bthrow\b|return\s*(?:null|\[\s*\]|;|\})|statusCode\s*=\s*40[13]\b")
# code that answers a failed check with one fixed refusal item instead of the caller's data
# (``return [{ json: { error: 'unauthorized' } }]``, ``{ authorized: false }``): nothing of
# the request goes on, so what comes after runs on the refusal alone
CODE_REFUSAL_ITEM = re.compile(
    r"return\s*\[\s*\{\s*json\s*:\s*\{[^}$]{0,300}?(?:\bunauthori[sz]ed\b|\bforbidden\b|"
    r"\b(?:authorized|authenticated|valid|allowed|ok|success)[\\'\"]{0,2}\s*:\s*false\b)", re.I)
REJECT_STATUS = re.compile(r"^\s*40[13]\s*$")
CODE_SETS_REJECT = re.compile(r"statusCode\s*=\s*(40[13])\b")
# code that sends a caller without a valid session to the login page (a 30x with a Location)
REDIRECTS_TO_LOGIN = re.compile(r"statusCode\s*=\s*30[1237]\b[^;]*;[^;]{0,200}?location['\"]?\s*"
                                r"[:=]\s*['\"`][^'\"`]*(?:login|signin)", re.I)
# A login: code that checks a submitted password against a stored hash (bcrypt, argon2,
# scrypt, PBKDF2) within the first steps; it must be reachable without a session, by design.
PASSWORD_CHECK = re.compile(r"bcrypt\w*\.compare(?:Sync)?\s*\(|argon2\w*\.verify\s*\(|"
                            r"\bscrypt(?:Sync)?\s*\(|\bpbkdf2(?:Sync)?\s*\(", re.I)
# What the caller submitted, as a query holds it: a bound placeholder ($2, ?, :pass), or the
# value put into the text (an n8n expression '{{ $json.password }}', a template's
# ${password}, a concatenation ' + pass + '), which is an injection of its own (INJ001) but
# the same check
_SUBMITTED = (r"(?:\$\d+|\?|:\w+|'?\{\{[^{}]{1,120}\}\}'?|'?\$\{[^{}]{1,120}\}'?|"
              r"'\s*\+[^+;]{1,80}\+\s*')")
# The same check run by the database: a query that matches the stored hash with pgcrypto's
# crypt(submitted, stored) (``WHERE password = crypt($2, password)``), with a later step
# that refuses when no row comes back.
QUERY_PASSWORD_CHECK = re.compile(
    r"crypt\(\s*" + _SUBMITTED + r"\s*,\s*[\w.\"`]*pass(?:word|wd)", re.I)
# The same match on a password kept as it is: one SELECT whose WHERE holds the password column
# equal to what was submitted (``WHERE username = ? AND password = ?``)
QUERY_PLAIN_PASSWORD = re.compile(
    r"\bselect\b[^;]*?\bwhere\b[^;]*?\bpass(?:word|wd)?\w*[\"`\]]?\s*=\s*" + _SUBMITTED,
    re.I | re.S)
# no row came back: a test of none, or a test of some whose else branch refuses
NO_ROWS = re.compile(r"\.length\s*(?:===?\s*0\b|<\s*1\b)|!\s*[\w.\[\]]+\.length\b|"
                     r"\.length\s*(?:>\s*0|>=\s*1)\s*\)\s*\{[^{}]*\}\s*else\b")
REFUSES = re.compile(CODE_STOPS.pattern + r"|return\s*\[\s*null\s*,|"
                     r"return\s+node\.send\(\s*\[\s*null\s*,")
MAX_STEPS_TO_LOGIN = 4


@dataclass(frozen=True)
class Guard:
    """The step that checks the caller, what it compares and how a failed check ends."""

    step: Step
    compares: str
    on_failure: str
    # request fields the check holds equal to the identity it verified (``body.user_id``
    # against the signed Telegram user): the caller cannot choose them, see :func:`pins`
    pins: tuple[str, ...] = ()
    # the step computes the signature, compares it timing-safe and throws on a mismatch
    # (:func:`verifies_itself`): the hand-written check AUTH004 asks to review is done right
    verified: bool = False
    # the check is the app's login itself (a password compared with the stored one after a
    # lookup of the row): what the flow runs before it (that lookup) anyone reaches
    login: bool = False

    def evidence(self) -> dict[str, str]:
        return {"step": self.step.resource.id, "name": self.step.name, "type": self.step.type,
                "compares": self.compares, "on_failure": self.on_failure}


def _text(step: Step) -> str:
    """Everything a step is configured with, as one searchable string."""
    return json_text(dict(step.params), ensure_ascii=False)


def _credential_compared(step: Step) -> str:
    """What credential-like input the step reads ("" when none): header names, parameters,
    the chat sender, or a computed signature."""
    return _compared_in(_text(step), step.type.startswith(N8N))


# a name the code gives the incoming headers: `const requestHeaders = msg.req.headers || {}`
HEADERS_ALIAS = re.compile(r"\b(?:const|let|var)\s+([\w$]+)\s*=\s*\(?\s*msg\s*\.\s*req\s*"
                           r"(?:\?\.)?\s*\.?\s*headers\b")


def _compared_in(text: str, n8n: bool) -> str:
    """What credential-like input ``text`` (a step's config, or a part of its code) reads."""
    headers = (HEADER_REF if n8n else REQUEST_HEADER_REF).findall(text)
    for alias in dict.fromkeys(HEADERS_ALIAS.findall(text)):
        headers += re.findall(r"(?<![\w$.])" + re.escape(alias) + r"\s*(?:\?\.)?\s*(?:\[\s*"
                              r"\\?[\"']|\.)\s*(" + _CREDENTIAL_WORD + ")", text, re.I)
    found = [f"header {h.lower()}" for h in dict.fromkeys(headers)]
    found += [f"{where.lower()} parameter {name}"
              for where, name in dict.fromkeys(PARAM_REF.findall(text))]
    if SENDER_REF.search(text):
        found.append("the message sender")
    if TELEGRAM_INIT_DATA.search(text) and TELEGRAM_WEBAPP_KEY.search(text):
        found.append(TELEGRAM_VERIFIED)
    if VERIFY_REF.search(text) or (found and SIGN_REF.search(text)):
        found.append("a signature computed in code (HMAC/JWT)")
    return ", ".join(found[:4])


# `const reqUserId = String(body.user_id || '')`: a name the code gives a request field
_BODY_ALIAS = re.compile(r"\b(?:const|let|var)\s+([\w$]+)\s*=\s*[^;\n]*?\bbody\s*(?:\?\.)?\s*\.\s*"
                         r"(\w+)")
# one side of a comparison the check fails on: `String(user.id) !== reqUserId`
_COMPARED = re.compile(r"([\w$.()\[\]'\"]+)\s*!==?\s*([\w$.()\[\]'\"]+)")


def pinned_fields(code: str) -> tuple[str, ...]:
    """The request body fields code that verified the caller's identity compares with that
    identity and fails on (``body.user_id !== user.id``): after the check they hold the signed
    value, not what the caller typed. Only the guard's own code is read (:func:`pins`)."""
    aliases = {name: field for name, field in _BODY_ALIAS.findall(code)}
    found: list[str] = []
    for left, right in _COMPARED.findall(code):
        for side in (left, right):
            direct = re.search(r"\bbody\s*(?:\?\.)?\s*\.\s*(\w+)", side)
            name = re.sub(r"^String\(|\)$", "", side)
            field = direct.group(1) if direct else aliases.get(name)
            if field:
                found.append(f"body.{field}")
    return tuple(dict.fromkeys(found))


def pins(app: App, entry: Step) -> tuple[tuple[str, ...], str]:
    """(the request fields ``entry``'s guard pins to the identity it verified, the step that
    checks them): none without a verified identity (a signed Telegram Mini App initData)."""
    guard = guard_of(app, entry)
    if guard is None or not guard.pins:
        return (), ""
    return guard.pins, guard.step.name


def _successors(app: App, step: Step, within: frozenset[str] | None = None) -> list[Step]:
    """The live steps ``step`` sends to (only those in ``within``, when given: a subflow's
    own steps, apart from the ones its output leaves from)."""
    out = []
    for target in step.outbound:
        nxt = app.step(target)
        if nxt is not None and not nxt.disabled and not nxt.is_config \
                and (within is None or nxt.id in within):
            out.append(nxt)
    return out


def _rejects(step: Step) -> str:
    """How this step ends a call that failed the check ("" when it does not)."""
    p = step.params
    if step.type == N8N + "respondToWebhook":
        options = p.get("options")
        code = options.get("responseCode") if isinstance(options, dict) else None
        if code is None:  # hand-written exports put it beside the body
            code = p.get("responseCode")
        if code is not None and REJECT_STATUS.match(str(code)):
            return f"responds {str(code).strip()} ('{step.name}')"
    elif step.type == N8N + "stopAndError":
        return f"stops with an error ('{step.name}')"
    elif step.type == "http response":
        if REJECT_STATUS.match(str(p.get("statusCode", ""))):
            return f"responds {str(p['statusCode']).strip()} ('{step.name or step.id}')"
    elif step.type == "change":
        rules = json_text(p.get("rules"))
        if re.search(r"statusCode\"[^}]*\"to\":\s*\"?40[13]\b", rules):
            return f"sets status 401/403 ('{step.name or step.id}')"
    elif step.type in N8N_CODE | NODE_RED_CODE:
        code = _text(step)
        if re.search(r"\bthrow\b", code) or re.search(r"statusCode\s*=\s*40[13]\b", code):
            return f"rejects in code ('{step.name or step.id}')"
    return ""


def _rejection_after(app: App, step: Step, within: frozenset[str] | None = None) -> str:
    """A rejection among the steps right after ``step`` (a short chain each, in ``within``
    when given): one that refuses by itself, or a response that answers the 401/403 the
    deciding code set on the message."""
    sets_status = step.type in NODE_RED_CODE and CODE_SETS_REJECT.search(_text(step))
    for first in _successors(app, step, within):
        answer = first
        while answer.type == "reusable-out" and len(nxt := _successors(app, answer, within)) == 1:
            answer = nxt[0]  # the end of a reusable flow: on to what its caller is wired to
        if sets_status and answer.type == "http response" \
                and not str(answer.params.get("statusCode") or "").strip():
            return f"sets {sets_status.group(1)} in code and answers it " \
                   f"('{answer.name or answer.id}')"
        current: Step | None = first
        for _ in range(MAX_STEPS_TO_REJECTION):
            if current is None:
                break
            how = _rejects(current)
            if how:
                return how
            nxt = _successors(app, current, within)
            current = nxt[0] if len(nxt) == 1 else None
    return ""


def _fails_closed(app: App, step: Step) -> str:
    """How ``step`` ends a call that fails its check, or "" when a failure can go on."""
    if step.type not in DECIDERS:
        return ""
    rejection = _rejection_after(app, step)
    if rejection:
        return rejection
    successors = _successors(app, step)
    if step.type == N8N + "filter":
        return "drops the call (filter)"
    if step.type in (N8N + "if", N8N + "switch") and len(successors) <= 1:
        return "ends the run on the other branch (not wired)"
    if step.type == N8N + "if" and (logged := _records_and_ends(app, step)):
        return f"only records the refused call on the other branch ('{logged}')"
    if step.type == N8N + "if" and (logged := _logs_and_ends(app, step)):
        return f"only logs the refused call on the other branch ('{logged}')"
    if step.type == "switch":
        rules = step.params.get("rules")
        if isinstance(rules, list) and not any(isinstance(r, dict) and r.get("t") == "else"
                                               for r in rules):
            return "drops messages that match no rule"
    if step.type in N8N_CODE | NODE_RED_CODE and REDIRECTS_TO_LOGIN.search(_text(step)):
        return "redirects to the login page when the check fails"
    if step.type in N8N_CODE | NODE_RED_CODE and CODE_STOPS.search(_text(step)):
        return "stops the run in code when the check fails"
    if step.type in N8N_CODE and CODE_REFUSAL_ITEM.search(_text(step)):
        return "answers a failed check with a fixed refusal item in code"
    return ""


def _records_and_ends(app: App, branch: Step) -> str:
    """The name of the step an If's other output leads to when that output only records the
    call and ends there: one step, with nothing after it, that adds a row to a table or sheet
    (an audit log) from its own fixed columns and the check's own result, never the caller's
    request (its body, query or headers, another step's output, the item mapped whole); ""
    otherwise. The If's first output must go on (the
    accepted call), its second is the refusal: n8n's true and false outputs."""
    outputs = _if_outputs(app, branch)
    if len(outputs) != 2 or len(outputs[0]) != 1 or len(outputs[1]) != 1:
        return ""
    logged = outputs[1][0]
    adds_row = logged.type in N8N_RECORDERS and \
        str(logged.params.get("operation") or "") in ("create", "append", "insert")
    if logged.outbound or not adds_row:
        return ""
    text = _text(logged)
    return logged.name if not re.search(r"\$json\.(?:body|query|headers)\b|"
                                        r"autoMapInputData|\$\(", text) else ""


# code that reaches out of itself: a module, a request, the instance's helpers or kept state
REACHES_OUT = re.compile(r"\brequire\s*\(|\bimport\b|\bfetch\s*\(|\bthis\.helpers\b|"
                         r"\$getWorkflowStaticData|\baxios\b|\bXMLHttpRequest\b|\beval\s*\(|"
                         r"\bFunction\s*\(|\$http\b")
# code that hands its input item on (which carries what the check computed: the expected
# signature), as the answer of a webhook that answers with its last node
PASSES_INPUT_ON = re.compile(r"\breturn\s+(?:\$input\.all\(\)|items\b|\$input\.item\b)|"
                             r"\.\.\.\s*(?:\$json|\$input|item)\b")


def _logs_and_ends(app: App, branch: Step) -> str:
    """The name of the step an If's other output leads to when that output only logs the
    refused call and ends there: one n8n code step, with nothing after it, whose code
    reaches out to nothing and returns an item of its own (a ``console`` line, a refusal
    item), not the item it was given; "" otherwise. The
    refused call goes no further: nothing the accepted branch runs is reached. (A Respond to
    Webhook there answers the call: a refusal only with 401 or 403, see :func:`_rejects`.)
    The If's first output must go on (the accepted call)."""
    outputs = _if_outputs(app, branch)
    if len(outputs) != 2 or not outputs[0] or len(outputs[1]) != 1 or outputs[1][0].outbound:
        return ""
    end = outputs[1][0]
    code = end.params.get("jsCode") or end.params.get("functionCode")
    if end.type in N8N_CODE and isinstance(code, str) and not REACHES_OUT.search(code) \
            and not PASSES_INPUT_ON.search(code):
        return end.name
    return ""


def _if_outputs(app: App, branch: Step) -> list[list[Step]]:
    """The live steps each output of an n8n If sends to, in output order."""
    return [[nxt for t in out if (nxt := app.step(t)) is not None and not nxt.disabled]
            for out in branch.branches]


def _chain(app: App, start: Step) -> Iterator[Step]:
    """The first steps after ``start`` while the flow runs in one line (a fan-out ends it:
    the parallel branch would run unchecked)."""
    current = start
    for _ in range(MAX_STEPS_TO_CHECK + MAX_STEPS_TO_REJECTION):
        successors = _successors(app, current)
        if len(successors) != 1:
            return
        current = successors[0]
        yield current


_GUARDS: AppMemo[dict[str, Guard | None]] = AppMemo()


def guard_of(app: App, entry: Step) -> Guard | None:
    """The step that checks callers of ``entry`` before anything else runs, or the login
    step it leads to (a password check, an OAuth callback's state check), if there is one
    (where the export's wiring from ``entry`` is lost: a check in its workflow, see
    :func:`_unwired_guard`). A router's code that serves several routes is judged by the
    code it runs for ``entry``'s own route (:func:`_for_route`). Read once per app and entry:
    AUTH001, INJ001 and the data flow's pinned fields each ask."""
    found = _GUARDS.get(app)
    if found is None:
        found = _GUARDS.put(app, {})
    if entry.id not in found:
        guard = _first_check(app, entry) or login_check(app, entry) \
            or stored_password_check(app, entry) or oauth_callback(app, entry) \
            or _unwired_guard(app, entry)
        found[entry.id] = _for_route(guard, entry) if guard is not None else None
    return found[entry.id]


# the test of an `if` that picks the route it serves: `if (method === "GET" && path === "/x")`
_PATH_TEST = r"""\b(?:path|pathname|url|route)\s*===?\s*(["'`]){route}\1"""
_ANY_PATH_TEST = _PATH_TEST.format(route=r"[^\"'`]+")


def route_code(code: str, route: str) -> str | None:
    """All a router runs for ``route``: the branch of the ``if`` that names it, what comes
    before that ``if`` at each level around it (a check every later route passes), less the
    branches of other routes' ``if``s and the functions the code declares, which are read
    only where they are called (and those they call in turn); None when no ``if`` names the
    route or the code does not parse."""
    body = function_body(code)
    if body is None:
        return None
    own = re.compile(_PATH_TEST.format(route=re.escape(route)))
    target = next((n for n in _walk(body) if n.type == "if_statement"
                   and own.search(_condition(n))), None)
    if target is None:
        return None
    consequence = target.child_by_field_name("consequence")
    parts = [jstext(consequence) if consequence is not None else ""]
    node = target
    while node.parent is not None and node != body:
        parent = node.parent
        if parent.type == "if_statement":  # node is its else branch: its own branch is not run
            parts.append(_condition(parent))
        else:
            for sibling in parent.named_children:
                if sibling == node:
                    break
                if not _declared(sibling) and not (sibling.type == "if_statement" and re.search(
                        _ANY_PATH_TEST, _condition(sibling))):
                    parts.append(jstext(sibling))
        node = parent
    helpers = {name: jstext(n) for n in _walk(body) if (name := _declared(n))}
    out, queue, seen = list(parts), list(parts), set()
    while queue:
        for name in _CALLED.findall(queue.pop()):
            if name in helpers and name not in seen:
                seen.add(name)
                out.append(helpers[name])
                queue.append(helpers[name])
    return "\n".join(out)


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """``node`` and everything inside it, in source order."""
    yield node
    for child in node.named_children:
        yield from _walk(child)


def _condition(node: tree_sitter.Node) -> str:
    condition = node.child_by_field_name("condition")
    return jstext(condition) if condition is not None else ""


def _declared(node: tree_sitter.Node) -> str:
    """The name of the function a statement declares ("" when it declares none)."""
    if node.type in ("function_declaration", "generator_function_declaration"):
        name = node.child_by_field_name("name")
        return jstext(name) if name is not None else ""
    if node.type in ("lexical_declaration", "variable_declaration"):
        for declarator in node.named_children:
            value = declarator.child_by_field_name("value")
            name = declarator.child_by_field_name("name")
            if value is not None and name is not None and value.type in (
                    "arrow_function", "function_expression", "function"):
                return jstext(name)
    return ""


_CALLED = re.compile(r"(?<![\w$.])([\w$]+)\s*\(")


def _for_route(guard: Guard, entry: Step) -> Guard | None:
    """A guard in code that dispatches on the request path names what the code run for
    ``entry``'s route checks (:func:`route_code`), not what any route's branch does; a route
    whose code checks nothing (a health route beside a login's password check) has no
    guard."""
    route = entry.params.get("url")
    code = guard.step.params.get("func") or guard.step.params.get("jsCode")
    if not isinstance(route, str) or not route or not isinstance(code, str):
        return guard
    runs = route_code(code, route)
    if runs is None:
        return guard
    own = _compared_in(runs, guard.step.type.startswith(N8N))
    return Guard(guard.step, f"{own} for this route", guard.on_failure) if own else None


def _unwired_guard(app: App, entry: Step) -> Guard | None:
    """When nothing is wired out of ``entry`` and its workflow's connections name nodes the
    export does not contain (a collection that rewrote the wiring, keyed by node ids or
    pointing at nodes it dropped), the order of its steps is not shown: a step of
    its workflow that compares what the caller sent with a credential, beside one that
    rejects (a 401/403 response, a stop with an error), is reported as that check, saying the
    order is not shown, rather than as an open door (or as no check at all)."""
    if entry.outbound or not app.broken_links_in(entry.workflow_id):
        return None
    steps = [s for s in app.steps_in(entry.workflow_id) if s.id != entry.id
             and not s.disabled and not s.is_config]
    rejection = next((how for s in steps if (how := _rejects(s))), "")
    if not rejection:
        return None
    for step in steps:
        if step.type in DECIDERS:
            compared = _credential_compared(step)
            if compared:
                return Guard(step, compared, f"{rejection}; the export's wiring from the "
                             "endpoint is broken, so their order is not shown")
    return None


def login_check(app: App, entry: Step) -> Guard | None:
    """A login among the first few steps after ``entry``: code that checks a submitted
    password against a stored hash and refuses a wrong one; or a step whose query matches
    the password (with ``crypt()``, or holding the password column equal to what was
    submitted, a password kept as it is: any SQL node or code, the value bound or put into
    the text) followed by one that refuses when no row comes back (code testing
    ``length === 0``, or ``length > 0`` with an else that refuses; an If or Switch whose other
    branch answers 401/403, stops or is not wired). ``entry`` is a login endpoint: public by
    design, the password check is its authentication (AUTH004 asks for a review of it; it
    cannot sit behind the login it is). What the query runs, anyone reaches."""
    frontier, seen = [entry], {entry.id}
    queried: Step | None = None  # the step whose query matches the password, if one did
    hashed = True  # whether that query matches it as a hash (crypt) or as it is kept
    for _ in range(MAX_STEPS_TO_LOGIN):
        frontier = [s for step in frontier for s in _successors(app, step) if s.id not in seen]
        for step in frontier:
            seen.add(step.id)
            text = _text(step)
            code = step.type in N8N_CODE | NODE_RED_CODE
            if code and PASSWORD_CHECK.search(text) and "password" in text.lower() \
                    and CODE_STOPS.search(text):
                return Guard(step, "a submitted password against a stored hash (a login "
                             "endpoint: review rate limiting and lockout)",
                             "refuses a wrong password")
            refusal = ""
            if queried is not None and code and NO_ROWS.search(text) and REFUSES.search(text):
                refusal = "refuses"
            elif queried is not None and step.type in N8N_BRANCHES | NODE_RED_BRANCHES:
                refusal = _fails_closed(app, step)
            if refusal:
                compares = ("a submitted password against a stored hash in its query"
                            if hashed else "a submitted password against the stored one in "
                            "its query, as it is kept (not as a hash: review how passwords "
                            "are stored)")
                return Guard(queried, f"{compares} (a login endpoint: review rate limiting "
                             "and lockout)",
                             f"step '{step.name or step.id}' {refusal} when no row matches",
                             login=queried.type not in N8N_CODE | NODE_RED_CODE)
            if queried is None and QUERY_PASSWORD_CHECK.search(text):
                queried, hashed = step, True
            elif queried is None and QUERY_PLAIN_PASSWORD.search(text):
                queried, hashed = step, False
    return None


# -- a password compared with the stored one, in the flow ---------------------------------------
# The stored password (or its hash) of the row a lookup returned, held equal or unequal to what
# the caller sent: `us.password === ps` where `ps = msg.payload[0].password`, or a switch rule
# comparing a message property with `payload[0].password`.
_ROW_PASSWORD = r"(?:payload|rows?|results?|data|users?|records?)\s*(?:\[\s*0\s*\])?\s*\.\s*" \
                r"pass(?:word|wd)?(?:_?hash)?\b"
_ROW_PASSWORD_ALIAS = re.compile(r"\b(?:const|let|var)\s+([\w$]+)\s*=\s*msg\s*\.\s*"
                                 + _ROW_PASSWORD)
_PASSWORD_OPERAND = r"[\w$.\[\]]*\bpass(?:word|wd)?(?:_?hash)?\b[\w$.\[\]]*"
_REFUSAL_STATUS = re.compile(r"^\s*40[013]\s*$")
MAX_STEPS_TO_STORED_PASSWORD = 12
# what may run before the comparison: shaping, hashing the submitted password, the lookup
_BEFORE_PASSWORD_CHECK = frozenset({"function", "change", "json", "hmac", "crypto-js",
                                    "link in", "link out", "junction", "switch", "debug",
                                    "template", "mongodb in", *SQL_NODES})


def _compares_stored_password(step: Step) -> bool:
    """Does ``step`` hold a password the caller sent equal to the one stored in the row a
    lookup returned (a function's ``===`` or ``!==`` with the row's password on one side
    and a password on the other, or a switch rule whose value is the row's password)?"""
    if step.type == "switch":
        rules = step.params.get("rules")
        return isinstance(rules, list) and any(
            isinstance(r, dict) and r.get("t") in ("eq", "neq") and r.get("vt") == "msg"
            and re.fullmatch(_ROW_PASSWORD, str(r.get("v") or "").strip()) for r in rules) \
            and any(isinstance(r, dict) and r.get("t") == "else" for r in rules)
    if step.type not in NODE_RED_CODE:
        return False
    code = str(step.params.get("func") or "")
    rows = [_ROW_PASSWORD] + [re.escape(a) for a in _ROW_PASSWORD_ALIAS.findall(code)]
    stored = r"(?:[\w$.]*\b" + _ROW_PASSWORD + r"|(?<![\w$.])(?:" + "|".join(rows[1:] or ["$^"]) \
        + r")(?![\w$]))"
    return bool(re.search(stored + r"\s*[!=]==?\s*" + _PASSWORD_OPERAND, code, re.I)
                or re.search(_PASSWORD_OPERAND + r"\s*[!=]==?\s*" + stored, code, re.I))


def _answers_refusal(app: App, step: Step) -> str:
    """A 400, 401 or 403 answer among the two steps after ``step`` on one of its outputs
    (a failed login's "wrong password"), or "" when none."""
    frontier = _successors(app, step)
    for _ in range(2):
        for nxt in frontier:
            status = str(nxt.params.get("statusCode") or "") if nxt.type == "http response" \
                else ""
            if _REFUSAL_STATUS.match(status):
                return f"answers {status.strip()} ('{nxt.name or nxt.id}') when it differs"
        frontier = [s for nxt in frontier for s in _successors(app, nxt)]
    return ""


def stored_password_check(app: App, entry: Step) -> Guard | None:
    """A Node-RED login or password change checked in the flow: within the first few steps
    after ``entry``, a database read (the user's row) and then a step that holds the password
    the caller sent (hashed or not) equal to the row's stored one, whose failing branch answers
    400, 401 or 403 (the read: a SQL node, whatever query it is given, a MongoDB read or a
    database read the adapter names). Before the comparison only shaping, hashing, link and
    lookup steps may run (a request, a write of a file, a device output: not a check first).
    ``entry`` is the authentication itself (a login answering a token, a change of password
    that needs the current one), not an open door: AUTH004 asks for a review of the
    hand-written comparison. What runs before the comparison (the lookup) anyone reaches
    (``login``: INJ001 names its caller as anyone)."""
    if app.platform != "nodered":
        return None
    frontier, seen, looked_up = [entry], {entry.id}, False
    for _ in range(MAX_STEPS_TO_STORED_PASSWORD):
        frontier = [s for step in frontier for s in _successors(app, step) if s.id not in seen]
        for step in frontier:
            seen.add(step.id)
            if looked_up and _compares_stored_password(step):
                refusal = _answers_refusal(app, step)
                if refusal:
                    return Guard(step, "a submitted password against the one stored in the "
                                 "user's row it reads (a login or password change: review "
                                 "how passwords are stored, rate limiting and lockout)",
                                 refusal, login=True)
        frontier = [s for s in frontier if s.type in _BEFORE_PASSWORD_CHECK]
        looked_up = looked_up or any(s.type in SQL_NODES or s.type == "mongodb in"
                                     or _store_lookup(app, s) for s in frontier)
    return None


def _first_check(app: App, entry: Step) -> Guard | None:
    compared, checker = "", entry
    for depth, step in enumerate(_chain(app, entry), start=1):
        if not compared:
            if depth > MAX_STEPS_TO_CHECK:
                return None
            compared, checker = _credential_compared(step), step
        if compared:
            on_failure = "" if _branch_decides(app, step) else _fails_closed(app, step)
            if on_failure:
                code = checker.params.get("jsCode")
                verified = TELEGRAM_VERIFIED in compared and isinstance(code, str)
                compares = compared if checker is step else \
                    f"{compared} (compared in step '{checker.name}')"
                return Guard(step, compares, on_failure,
                             pinned_fields(code) if verified else (),
                             verified=checker is step and verifies_itself(step))
        elif step.type in N8N_CALLERS:
            return _called_check(app, step)
        elif step.type == N8N + "if" and (exempting := _exempting_branch(app, step)):
            return exempting
        elif step.type.startswith(SUBFLOW_INSTANCE):
            return _subflow_check(app, step, depth)
        if step.type not in PASS_THROUGH and step.type not in DECIDERS \
                and not (not compared and _fixed_ack(step)):
            return None  # something else runs before the check decides
    return None


def _fixed_ack(step: Step) -> bool:
    """Is ``step`` an n8n Respond to Webhook that answers a fixed text (no expression): the
    caller gets an acknowledgement that holds nothing of the flow, and the run goes on to the
    check, which still decides whether anything acts."""
    return step.type == N8N + "respondToWebhook" and "{{" not in _text(step)


def verifies_itself(step: Step) -> bool:
    """Is ``step`` n8n code that computes an HMAC over the raw body, compares it with the
    caller's signature in constant time (``crypto.timingSafeEqual``, ``hmac.compare_digest``)
    and throws right there when they differ? The whole check is in that one step and fails
    closed (code that only reports the result to a branch after it leaves the refusal to that
    branch)."""
    if step.type not in N8N_CODE:
        return False
    code = _text(step)
    return bool(SIGN_REF.search(code) and THROWS_ON_MISMATCH.search(code)
                and RAW_BODY.search(code) and not RESERIALISED.search(code))


def _branch_decides(app: App, step: Step) -> bool:
    """Is ``step`` code that marks the call valid or not for the branch right after it, which
    refuses it? That branch is the guard: a ``throw`` in the code may be caught there. Code
    that verifies the signature and throws by itself (:func:`verifies_itself`) is the guard,
    whatever branch follows."""
    after = _successors(app, step)
    return step.type in N8N_CODE and len(after) == 1 and not verifies_itself(step) \
        and after[0].type in N8N_BRANCHES - {N8N + "filter"} \
        and bool(_rejection_after(app, after[0]))


def _called_check(app: App, step: Step) -> Guard | None:
    """An Execute Workflow step whose answer the branch right after it tests, rejecting the
    call (a 401/403 response, a stop with an error) when it fails: the check runs in the
    called workflow. When that workflow is in the export it must compare a credential the
    caller sent; when it is not, the rejection is what shows a check of the caller."""
    after = [s for s in _successors(app, step) if s.workflow_id == step.workflow_id]
    if len(after) != 1 or after[0].type not in (N8N + "if", N8N + "switch"):
        return None
    rejection = _rejection_after(app, after[0])
    if not rejection:
        return None
    called = [s for s in _successors(app, step) if s.workflow_id != step.workflow_id]
    if called:
        workflow = app.workflow(called[0].workflow_id)
        inner = next((c for s in app.steps_in(called[0].workflow_id)
                      if s.type in DECIDERS and not s.disabled
                      and (c := _credential_compared(s))), "")
        if not inner:
            return None  # the called workflow is shown and compares no credential
        name = workflow.name if workflow is not None else called[0].workflow_id
        compares = f"{inner} in the called workflow {name!r}"
    else:
        target = step.params.get("workflowId")
        name = str(target.get("cachedResultName") or target.get("value") or "") \
            if isinstance(target, dict) else str(target or "")
        compares = (f"the caller in the called workflow {name!r} (not in the export: the "
                    f"rejection after step {after[0].name!r} shows a check)")
    return Guard(step, compares, rejection)


def _exempting_branch(app: App, step: Step) -> Guard | None:
    """An If whose true output lets through only requests whose fields all equal fixed
    values (``model`` is "companys" and ``operation`` is "getall": one public operation
    named by the owner) and whose false output goes straight to a check of the caller in a
    called workflow (:func:`_called_check`): every other request is checked. The exempt
    operation is the owner's choice, named in the evidence."""
    if len(step.branches) != 2 or not step.branches[1]:
        return None
    fixed = _fixed_equalities(step.params.get("conditions"))
    if not fixed:
        return None
    checked = [app.step(t) for t in step.branches[1]]
    if len(checked) != 1 or checked[0] is None or checked[0].type not in N8N_CALLERS \
            or set(step.branches[0]) & set(step.branches[1]):
        return None
    guard = _called_check(app, checked[0])
    if guard is None:
        return None
    exempt = " and ".join(f"{field} is {value!r}" for field, value in fixed)
    return Guard(guard.step, f"{guard.compares}; only requests where {exempt} skip it "
                 f"(step {step.name!r})", guard.on_failure)


_FIXED_FIELD = re.compile(r"^=\{\{\s*\$json\.([\w.]+)\s*\}\}$")


def _fixed_equalities(conditions: object) -> list[tuple[str, str]]:
    """(field, value) of an If (version 2 and later) whose every condition, joined by
    "and", holds a field of the item equal to a fixed, non-empty text; [] otherwise."""
    if not isinstance(conditions, dict) or conditions.get("combinator", "and") != "and":
        return []
    found = []
    for cond in conditions.get("conditions") or ():
        if not isinstance(cond, dict):
            return []
        op = cond.get("operator")
        left, right = cond.get("leftValue"), cond.get("rightValue")
        if not (isinstance(op, dict) and op.get("operation") == "equals"
                and isinstance(left, str) and isinstance(right, str) and right.strip()
                and not right.startswith("=") and "{{" not in right):
            return []
        field = _FIXED_FIELD.match(left.strip())
        if field is None:
            return []
        found.append((field.group(1), right))
    return found


SUBFLOW_INSTANCE = "subflow:"  # a Node-RED subflow instance's type: "subflow:<its id>"


def _subflow_check(app: App, instance: Step, depth: int) -> Guard | None:
    """The check a Node-RED subflow instance runs on the route's message (a "Verify JWT"
    every route passes first): inside the subflow, a step in its first few compares a
    credential the caller sent and refuses in the subflow itself (a 401/403 answer, a throw),
    and the route goes on only from that step or those after it (the subflow's output). Where
    the subflow's output is wired from its input, the message passes unchecked; where the
    refusal is not shown inside it (a 403 set and sent out to the route), it is no guard."""
    call = next((c for c in app.calls if c.step_id == instance.id and c.copies), None)
    if call is None or set(instance.outbound) - set(call.enters):
        return None  # no subflow, or its output is wired straight from its input
    subflow = app.workflow(call.copies)
    inside = frozenset(s.id for s in app.steps_in(call.copies))
    leaves = frozenset(sender for sender, _ in call.returns)  # where the route goes on from
    current = next(iter(_successors(app, instance)), None) \
        if len(_successors(app, instance)) == 1 else None
    compared, checker, after_read = "", instance, 0
    while current is not None and current.id in inside:
        if not compared:
            if depth >= MAX_STEPS_TO_CHECK:
                return None
            depth += 1
            compared, checker = _credential_compared(current), current
        if compared:
            refusal = _rejection_after(app, current, inside - leaves) or (
                "throws in code when the check fails" if current.type in NODE_RED_CODE
                and re.search(r"\bthrow\b", _text(current)) else "") \
                if current is checker or current.type in DECIDERS else ""
            if refusal:
                if not leaves <= _downstream(app, current, inside):
                    return None
                name = subflow.name if subflow is not None and subflow.name else call.copies
                compares = compared if checker is current else \
                    f"{compared} (read in step '{checker.name or checker.id}')"
                return Guard(current, f"{compares} in subflow {name!r}", refusal)
            # the credential read goes on to a store lookup (the session its token names)
            # and the step deciding on the answer: the check, like one in the flow itself
            after_read += 1
            if after_read > MAX_STEPS_TO_REJECTION or current.id in leaves or not (
                    current is checker or current.type in PASS_THROUGH | DECIDERS
                    or _store_lookup(app, current)):
                return None
        elif current.id in leaves or current.type not in PASS_THROUGH | DECIDERS:
            return None  # the route goes on, or something acts, before any check
        nxt = _successors(app, current, inside)
        current = nxt[0] if len(nxt) == 1 else None
    return None


def _store_lookup(app: App, step: Step) -> bool:
    """Does ``step`` read a database (a Redis read command, a SELECT): the lookup of the
    session or API key the caller's token names?"""
    return any(store.step_id == step.id and store.kind == "database"
               and store.operation == "read" for store in app.stores)


def _downstream(app: App, start: Step, within: frozenset[str]) -> frozenset[str]:
    """``start`` and the steps of ``within`` its messages reach."""
    seen, queue = {start.id}, [start]
    while queue:
        for nxt in _successors(app, queue.pop(), within):
            if nxt.id not in seen:
                seen.add(nxt.id)
                queue.append(nxt)
    return frozenset(seen)


# -- OAuth logins ----------------------------------------------------------------------------
# An authorization-code login is two routes that are public by design: the login sends the
# caller to the provider's authorize page with a random state it keeps in flow or global
# context; the callback compares the state it is sent with the kept one and answers an error
# otherwise, before it exchanges the code it is sent for a token.
_STATE_PARAM = r"query\s*(?:\?\.)?\s*(?:\.\s*state\b|\[\s*['\"]state['\"]\s*\])"
STATE_COMPARED = re.compile(_STATE_PARAM + r"\s*[!=]==?|[!=]==?\s*[\w.]*?" + _STATE_PARAM)
CODE_PARAM = re.compile(r"query\s*(?:\?\.)?\s*(?:\.\s*code\b|\[\s*['\"]code['\"]\s*\])")
CONTEXT_READ = re.compile(r"\b(?:global|flow)\s*\.\s*get\(\s*['\"]([^'\"]+)['\"]")
CONTEXT_WRITE = re.compile(r"\b(?:global|flow)\s*\.\s*set\(\s*(?:['\"]([^'\"]*)['\"])?")
ERROR_ANSWER = re.compile(r"statusCode\s*=\s*4\d\d\b")
# a redirect (30x) whose Location is a fixed https address of an authorize endpoint
AUTHORIZE_REDIRECT = re.compile(r"statusCode\s*=\s*30[1237]\b")
AUTHORIZE_LOCATION = re.compile(
    r"location['\"]?\s*[:=]\s*['\"`](https://[^'\"`/]+)/[^'\"`]*authori[sz]e", re.I)


def _state_key(step: Step) -> str:
    """The context key an OAuth callback's code compares the ``state`` it is sent with, when
    it also takes the ``code`` and answers an error on a mismatch ("" otherwise)."""
    code = step.params.get("func") if step.type in NODE_RED_CODE else None
    if not isinstance(code, str) or not (STATE_COMPARED.search(code) and CODE_PARAM.search(code)
                                         and ERROR_ANSWER.search(code)):
        return ""
    keys = CONTEXT_READ.findall(code)
    return keys[0] if len(set(keys)) == 1 else ""


def oauth_callback(app: App, entry: Step) -> Guard | None:
    """A code step in the first few after ``entry`` that compares the OAuth ``state`` the
    caller sends with the one its login kept, and answers an error otherwise: ``entry`` is an
    OAuth callback, public by design; the comparison is hand-written (AUTH004)."""
    for depth, step in enumerate(_chain(app, entry), start=1):
        if depth > MAX_STEPS_TO_CHECK:
            return None
        key = _state_key(step)
        if key:
            return Guard(step, f"the OAuth state it is sent against the one kept in context "
                         f"key {key!r} (an authorization-code callback)",
                         "answers an error before it exchanges the code")
        if step.type not in PASS_THROUGH:
            return None
    return None


def oauth_login(app: App, entry: Step) -> str:
    """Why ``entry`` is the first half of an OAuth login ("" when it is not): the step after
    it answers a redirect to a fixed https authorize address and writes only the state that
    a callback route of this app compares (:func:`oauth_callback`), and is answered at once."""
    successors = _successors(app, entry)
    if len(successors) != 1 or successors[0].type not in NODE_RED_CODE:
        return ""
    step = successors[0]
    code = step.params.get("func")
    if not isinstance(code, str) or step.params.get("libs") or not AUTHORIZE_REDIRECT.search(
            code) or any(str(step.params.get(k) or "").strip() for k in ("initialize",
                                                                          "finalize")):
        return ""
    location = AUTHORIZE_LOCATION.search(code)
    written = set(CONTEXT_WRITE.findall(code))
    if location is None or len(written) != 1 or not all(_successor_answers(app, step)):
        return ""
    key = written.pop()
    callbacks = [ep.route for ep in app.entry_points if (s := app.step(ep.step_id)) is not None
                 and (g := oauth_callback(app, s)) is not None and _state_key(g.step) == key]
    # the one write made pure (Math.max keeps its arguments read): the rest must not act
    rest = CONTEXT_WRITE.sub("Math.max(", code)
    if not callbacks or code_effect(rest) == "acts" \
            or not code_reads(rest) <= {"message", "environment"}:
        return ""
    provider = urlsplit(location.group(1)).hostname or "the provider"  # never user info
    return (f"an OAuth login: it only sends the caller to {provider}'s authorize page "
            f"with a state that the callback {callbacks[0]!r} checks")


def _successor_answers(app: App, step: Step) -> list[bool]:
    """For each step after ``step``: does it answer the caller (and stop there)?"""
    return [s.type == "http response" for s in _successors(app, step)] or [False]


# The services that sign the webhooks they send, by the header their signature comes in, and
# the domains of their own APIs: a call whose first steps verify that header comes from that
# service (the x-hub-signature pair is GitHub's and Meta's).
SIGNING_SERVICES: dict[str, tuple[str, ...]] = {
    "x-signature-ed25519": ("discord.com", "discordapp.com"),
    "x-hub-signature-256": ("github.com", "facebook.com", "instagram.com", "whatsapp.com"),
    "x-hub-signature": ("github.com", "facebook.com", "instagram.com", "whatsapp.com"),
    "x-github-event": ("github.com",),
    "stripe-signature": ("stripe.com",),
    "x-slack-signature": ("slack.com",),
    "x-twilio-signature": ("twilio.com",),
    "x-shopify-hmac-sha256": ("shopify.com", "myshopify.com"),
    "x-line-signature": ("line.me",),
    "x-telegram-bot-api-secret-token": ("telegram.org",),
    "x-gitlab-token": ("gitlab.com",),
    "x-zm-signature": ("zoom.us",),
    "typeform-signature": ("typeform.com",),
    "x-hubspot-signature": ("hubapi.com", "hubspot.com"),
    "x-hubspot-signature-v3": ("hubapi.com", "hubspot.com"),
    "x-paystack-signature": ("paystack.co",),
    "x-square-hmacsha256-signature": ("squareup.com",),
}
_CHECKED_HEADER = re.compile(r"\bheader ([\w-]+)", re.I)


def signed_by_host(app: App, entry_id: str, host: str) -> bool:
    """Is ``host`` the API of the service whose webhook signature the first steps after
    entry ``entry_id`` verify (:data:`SIGNING_SERVICES`): the party that sent what the
    entry received?"""
    entry = app.step(entry_id)
    guard = guard_of(app, entry) if entry is not None and host else None
    if guard is None:
        return False
    domains = {d for header in _CHECKED_HEADER.findall(guard.compares)
               for d in SIGNING_SERVICES.get(header.lower(), ())}
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)
