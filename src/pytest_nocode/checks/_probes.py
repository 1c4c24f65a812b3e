"""Status probes: routes that only tell a caller whether the host and its local services are up.

A liveness or health route (``/ping``, ``/info``, ``/health``) is public by design: a load
balancer, a monitor or a page's own script calls it without credentials. It opens no door when
its whole branch, from the route to where it answers, only

* shapes, routes or answers (the steps the adapter judges to pass or answer:
  :func:`~pytest_nocode.platforms.nodered_entries.step_effect`);
* reads the host's own status in a function node: the ``os`` module's load, memory, uptime,
  host name and platform (through ``global.get("os")``, ``context.global.os`` or an ``os``
  module the node loads) and ``process`` uptime, memory and version
  (:data:`STATUS_CALL`), and nothing else beyond plain JavaScript;
* sends a GET without credentials to a fixed address on the same host (the loopback or host
  trust zone by default: ``127.0.0.1``, ``host.docker.internal``, a compose service name),
  an environment value at most standing beside that fixed default (``env.get("X") ||
  "http://host.docker.internal:1234"``);

and what it answers holds only constants, platform values (a time) and what the caller sent:
a local service's reply reduced to up or down, never its body. Anything more (a write of
shared context, a command, a request with a key, to another host or of another method, a
store or an environment value in the answer) is not a probe: the route stays AUTH001's.

**Read-only routes** (:func:`read_only_route`) are the same verdict for routes that look
something up: an ``http in`` route of any method whose whole branch, up to where it answers,
only

* shapes, routes or answers (as above);
* runs function code that acts on nothing and reads only the message, where the modules it
  loads, if any, only compute on what they are given (a hash: :data:`COMPUTE_MODULES`);
* calls a smart contract's read-only function (the adapter's ``contract-call`` with
  ``readonlyFunction``);
* reads the records of one MongoDB collection (``find``, ``count``) whose name, and the
  node's, carry no sensitivity label (``rooms``, ``controllers``; ``users`` or ``orders``
  carry one: see :func:`~pytest_nocode.dataflow.sensitivity_labels`);
* copies flow or global context into the message (a change node) where the app keeps only
  constants and device readings: what an ``mqtt in`` takes from a topic whose name carries
  no sensitivity label (a room's humidity), on the owner's broker or a public one (what it
  carries, every subscriber of that broker reads already); a key anyone's post, a store, a
  request or the environment fills is data;

and answers with nothing but constants, platform values, what the caller sent and what those
steps computed or read. Anything else (a write, a command, a request, a device output, a
SQL query, a context or environment value, a module that is
not known to compute only, an unknown node) keeps the route AUTH001's: what the reader
cannot classify counts as acting.

**The app's own pages** (:func:`own_page`) are the same verdict for a GET route whose branch
only builds a page (a markup template, a fixed ``.html`` file) and pastes into it values read
from flow or global context by literal keys that carry no sensitivity label (what the page's
script needs: its broker's or server's address, a call sign), a template engine taken from
global context filling it in; nothing the caller sent reaches the answer. A route answering
the settings as data (JSON), reflecting the request, or doing anything more stays AUTH001's.

**Fixed files and public maps** (:func:`_fixed_file_read`, :func:`public_map`): a read-only
route may read a file by a fixed path that no step of the app writes (the deployer's catalogue
or list), when the path carries no sensitivity label or people's name and is no data or secret
file; a world map page that shows only what a public feed gives, with no events from its page
acted on, discloses nothing either.

**Public feeds and read-only dashboards** (:func:`public_get`, :func:`public_lookup`,
:func:`read_only_dashboard`): a GET without credentials of a fixed internet address gives
whoever asks the same answer, and a community node that only queries a public index (places,
the weather, IBM's public news collection) reads what anyone may look up; a route, socket or
dashboard whose answers hold only those, settings and device readings is read-only. A
dashboard is judged by every node its controls reach; one whose controls only re-read a
sensor table, fetch such a feed or call the app's own GET routes opens nothing.

**Bots that only tell their owner** (:func:`owner_only_bot`): a Telegram bot that names no
allowed chats, but whose sender writes only to a chat id the flow fixes (the owner's), while
every step a message to it reaches only looks something up as a read-only route's steps do
(a fixed SELECT of sensor rows, a public feed): a stranger's message gets the stranger
nothing and acts on nothing.

Only Node-RED routes are judged here: an n8n webhook that answers fixed content already has
the effect ``answers``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from pytest_nocode.checks._guards import guard_of
from pytest_nocode.dataflow import (
    SETTING_KINDS,
    SHARED_CONTEXT_STORES,
    Origin,
    dataflow,
    per_app,
    sensitivity_labels,
)
from pytest_nocode.model import ACTS, ANSWERS, PASSES, SERVES, App, EntryPoint, Step, ValueRef
from pytest_nocode.platforms.nodered import CHAT_BOTS, DASHBOARDS, PASSIVE_TYPES, health_widget
from pytest_nocode.platforms.nodered_entries import (
    ANSWER_TYPES,
    READ_ONLY_CALLS,
    code_effect,
    code_reads,
    serves_only_context,
    step_effect,
)
from pytest_nocode.platforms.nodered_flow import SQL_NODES
from pytest_nocode.policy import default_zone
from pytest_nocode.secretscan.names import is_secret_name

# what a caller of a probe may learn: constants, a time, its own request
ANSWER_KINDS = frozenset({"constant", "platform", "entry"})
# zones a probe's request may reach: the same machine or its container network
LOCAL_ZONES = frozenset({"loopback", "host"})
# calls that read the host's own status (their results are numbers, names and versions)
_OS = r"(?:context\s*\.\s*global\s*\.\s*os|global\s*\.\s*get\(\s*['\"]os['\"]\s*\)|\b{libs})"
_OS_STATUS = (r"\s*\.\s*(?:freemem|totalmem|loadavg|uptime|hostname|platform|type|release|"
              r"arch|cpus|endianness|version|machine)\s*\(\s*\)")
_PROCESS_STATUS = (r"\bprocess\s*\.\s*(?:(?:uptime|memoryUsage|cpuUsage)\s*\(\s*\)|"
                   r"(?:version|platform|arch)\b)")
STATUS_CALL = re.compile(_OS.format(libs="os") + _OS_STATUS + "|" + _PROCESS_STATUS)
# Words of a credential (see :func:`credential_word`): in a function's code a request it
# prepares may carry one; in an address's query or an environment name the value is one.
_HEADER_WORDS = r"authori[sz]ation|bearer|api[-_]?key|cookie"
_CREDENTIAL = re.compile(_HEADER_WORDS + r"|token|secret|passw", re.I)
# the code that prompts a model speaks of tokens (max_tokens) and may say "secret" or
# "password" in its prompt text: there only the words of a request header count
_KEY_WORDS = re.compile(_HEADER_WORDS + r"|x-api", re.I)
_METHOD_SET = re.compile(r"\bmsg\.method\s*=\s*['\"`](\w+)['\"`]")
MAX_BRANCH = 24  # steps: a probe is short; a longer branch is judged as what it is
# a lookup may branch by intent or topic into many short answers (a course-advice bot's
# seven intents): every step is still read, the bound only keeps the reading short
MAX_LOOKUP_BRANCH = 40
# a chat bot's config type -> the types of its nodes that receive what anyone writes to it
CHAT_RECEIVERS = {bot: receivers for bot, (_fields, receivers) in CHAT_BOTS.items()}


def credential_word(text: str, *, model_prompt: bool = False) -> bool:
    """Does ``text`` (a function's code, a query parameter's or an environment value's name)
    speak of a credential: authorization, bearer, token, API key, secret, password, cookie?
    With ``model_prompt`` (the code before a model call) only a header's words count:
    authorization, bearer, API key, ``x-api``, cookie."""
    return (_KEY_WORDS if model_prompt else _CREDENTIAL).search(text) is not None


def sends_no_credential(step: Step, code_before: Iterable[Step] = (), *,
                        model_prompt: bool = False) -> bool:
    """Does an ``http request`` go out without credentials: no authentication, TLS config,
    headers or credential of the node's own, and no :func:`credential_word` in the code of
    the functions ``code_before`` (a header or query the code sets may carry a key)?"""
    p = step.params
    if p.get("authType") or p.get("tls") or p.get("headers") or step.credential_refs:
        return False
    return not any(credential_word(str(s.params.get("func") or ""), model_prompt=model_prompt)
                   for s in code_before)


def status_probe(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why ``ep`` only reports status ("" when it may do more): see the module docstring."""
    branch = _http_branch(app, ep, entry, MAX_BRANCH)
    if not branch or any(m not in ("GET", "HEAD") for m in ep.methods):
        return ""
    reads: list[Step] = []
    asks: list[str] = []
    for step in branch:
        if step.type == "function" and _reads_status(step):
            reads.append(step)
        elif step.type == "http request":
            if not _local_get(app, step, branch):
                return ""
            asks.append(step.name or step.id)
        elif step.type == "function":
            if not _prepares(step):
                return ""
        elif step_effect(step) not in (PASSES, ANSWERS):
            return ""
    answers = [s for s in branch if s.type == "http response"]
    if not (reads or asks) or not answers \
            or not _answers_only_status(app, answers, {s.id for s in reads}):
        return ""
    what = [f"reads the host's status in {', '.join(repr(s.name or s.id) for s in reads)}"] \
        if reads else []
    what += [f"asks a local service whether it is up in {', '.join(map(repr, asks))}"] \
        if asks else []
    return "a status probe: it " + " and ".join(what) + ", and answers with nothing else"


def _http_branch(app: App, ep: EntryPoint, entry: Step, most: int) -> list[Step]:
    """The steps of a Node-RED HTTP route's branch (:func:`branch_of`) when it has at most
    ``most``; [] for another platform or entry kind, or a longer branch (judged as it is)."""
    if app.platform != "nodered" or ep.kind != "http":
        return []
    branch = list(branch_of(app, entry))
    return branch if len(branch) <= most else []


def branch_of(app: App, entry: Step) -> Iterator[Step]:
    """The enabled steps a call reaches, each once, up to where it is answered (the adapter's
    walk: an ``http response`` ends it)."""
    seen = {entry.id}
    queue = list(entry.outbound)
    while queue:
        sid = queue.pop(0)
        step = app.step(sid)
        if sid in seen or step is None or step.disabled:
            continue
        seen.add(sid)
        yield step
        if step.type not in ANSWER_TYPES or step.params.get("fwdInMessages") is True:
            queue.extend(step.outbound)


def _reads_status(step: Step) -> bool:
    """Does a function node's code only read the host's status (and shape the message)?"""
    p = step.params
    libs = p.get("libs") or []
    if not isinstance(libs, list) or not all(
            isinstance(lib, dict) and lib.get("module") == "os" for lib in libs):
        return False  # a module other than os: not read here
    if str(p.get("initialize") or "").strip() or str(p.get("finalize") or "").strip():
        return False
    code = str(p.get("func") or "")
    names = "|".join(re.escape(str(lib.get("var"))) for lib in libs if lib.get("var"))
    calls = re.compile(_OS.format(libs=f"(?:os|{names})" if names else "os") + _OS_STATUS
                       + "|" + _PROCESS_STATUS)
    if not calls.search(code):
        return False
    rest = calls.sub("0", code)
    return code_effect(rest) != ACTS and code_reads(rest) <= {"message"}


def _prepares(step: Step) -> bool:
    """Does a function node only shape the message from its fields and the environment (a
    request's address, a reply made from a status code)? What it puts in the answer is judged
    by :func:`_answers_only_status`."""
    p = step.params
    if p.get("libs") or str(p.get("initialize") or "").strip() \
            or str(p.get("finalize") or "").strip():
        return False
    code = str(p.get("func") or "")
    return code_effect(code) != ACTS and code_reads(code) <= {"message", "environment"}


def _local_get(app: App, step: Step, branch: list[Step]) -> bool:
    """Is an ``http request`` a GET without credentials to a fixed address on this host?"""
    p = step.params
    method = str(p.get("method") or "GET").upper()
    set_methods = {m.upper() for s in branch if s.type == "function"
                   for m in _METHOD_SET.findall(str(s.params.get("func") or ""))}
    if not (method == "GET" or (method == "USE" and set_methods == {"GET"})):
        return False
    if not sends_no_credential(step, [s for s in branch if s.type == "function"]):
        return False  # its own credential, or a header or query the code sets may carry a key
    origins = [o for sink in dataflow(app).sinks_of(step.id, frozenset({"url"}))
               for o in sink.origins]
    if not origins or any(o.kind not in ("constant", "env") for o in origins):
        return False
    hosts = [_host(o.detail) for o in origins if o.kind == "constant" and "://" in o.detail]
    return bool(hosts) and all(h and default_zone(h) in LOCAL_ZONES for h in hosts)


def _host(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


def _answers_only_status(app: App, answers: list[Step], status: set[str]) -> bool:
    """Does every answer hold only constants, platform values, the caller's own data and what
    the ``status`` steps read (the engine sees an ``os`` call as a value the code does not
    show, or as a read of the ``os`` context key)?"""
    flow = dataflow(app)
    return all(o.kind in ANSWER_KINDS or o.step_id in status for step in answers
               for sink in flow.sinks_of(step.id, frozenset({"answer"})) for o in sink.origins)


# -- read-only routes ------------------------------------------------------------------------
# Modules a function node may load whose calls only compute on what they are given (hashes of
# a body or a proof): no file, socket, process or shared state behind them.
COMPUTE_MODULES = frozenset({"keccak256", "js-sha3", "crypto-js", "md5", "js-md5", "sha.js",
                             "object-hash"})
# MongoDB operations that only read (an aggregate may write with $out or $merge)
MONGO_LISTINGS = frozenset({"find", "count"})


def open_by_design(app: App, ep: EntryPoint, entry: Step) -> tuple[str, str]:
    """(why ``ep`` is open by design, which verdict: ``status_probe`` or ``read_only``), or
    ("", "") when it may do more: see the module docstring."""
    probe = status_probe(app, ep, entry)
    if probe:
        return probe, "status_probe"
    lookup = read_only_route(app, ep, entry) or telemetry(app, ep, entry) \
        or read_only_dashboard(app, ep) or public_map(app, ep, entry) \
        or owner_only_bot(app, ep, entry)
    if lookup:
        return lookup, "read_only"
    page = own_page(app, ep, entry)
    return (page, "own_page") if page else ("", "")


_ANSWER_SINKS = frozenset({"answer", "send"})
# node-red-contrib-telegrambot: the bot config whose sender takes the chat it writes to from
# msg.payload.chatId (its ``telegram reply`` answers the chat a message came from)
BOT_SENDERS = {"telegram bot": "telegram sender"}
_CHAT_ID = ValueRef("field", "payload", path="payload.chatId")


def owner_only_bot(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why a Node-RED chat bot that names no allowed users or chats only tells its owner what
    it looks up ("" when a stranger may get or cause more). Every step that a message to the
    bot reaches (from each of its enabled receiving nodes, through the steps that shape,
    route or answer it) only looks something up as a read-only route's step may
    (:func:`_lookup`: a fixed SELECT of reference tables, a public feed, a computation) or
    is the bot's sender writing to a chat id the flow fixes: ``msg.payload.chatId`` holds
    only constants, at every sender. Whatever a stranger writes, the answer goes to the one
    chat the owner typed in (their own), never back to the stranger, and nothing acts: the
    stranger learns nothing and controls nothing. A sender whose chat id comes from the
    message (a reply), a ``telegram reply`` node, or any step that writes, runs or sends
    elsewhere keeps the bot AUTH001's."""
    sender_type = BOT_SENDERS.get(entry.type)
    if app.platform != "nodered" or ep.kind != "chat" or sender_type is None \
            or app.flow_of is None:
        return ""
    receivers = CHAT_RECEIVERS.get(entry.type, frozenset())
    users = [s for s in app.steps if entry.id in s.config_refs and s.type in receivers
             and not s.disabled]
    flow = dataflow(app)
    senders: list[str] = []
    seen: set[str] = set()
    for user in users:
        branch = list(branch_of(app, user))
        if len(branch) > MAX_LOOKUP_BRANCH:
            return ""
        for step in branch:
            if step.id in seen:
                continue
            seen.add(step.id)
            if step.type == sender_type and entry.id in step.config_refs:
                chat = flow.origins(step.id, (_CHAT_ID,))
                if not chat or any(o.kind not in SETTING_KINDS for o in chat):
                    return ""  # the chat is picked by what arrives: a reply to the stranger
                senders.append(repr(step.name or step.id))
            elif _lookup(app, step) is None:
                return ""
    if not senders:
        return ""
    return ("open by design: whatever anyone writes to it, it only looks up what the flow "
            f"reads and sends it in {', '.join(dict.fromkeys(senders))} to the one chat id "
            "the flow fixes (the owner's), never to the sender; it acts on nothing")


def telemetry(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why a Node-RED entry point that reads something (effect ``serves``) answers nothing
    but settings, device readings and public feeds ("" when it may do more). When every
    answer its branch reaches (an HTTP response, a websocket's clients: every ``websocket
    out`` on its listener, see :func:`_answer_branch`; a TCP reply) holds only constants,
    platform values (a time), what the app polls from a PLC or fieldbus device
    (:data:`DEVICE_READS`), what a device publishes on a public broker's topic that no
    sensitivity label marks (:func:`_public_topic`: every subscriber there reads it
    already), the answer of a :func:`public_get` and environment values named as settings
    (:func:`_plain_env`), nothing acts and nothing anyone typed or stored is disclosed:
    read-only telemetry, whatever step (a function, a change node, a template) copies it.
    A topic of the owner's own broker is not counted here: whoever can publish on it writes
    it, and its messages are the owner's (only a change node's copy of an unlabelled topic
    is, in :func:`read_only_route`). Who may publish on a public topic is the subscription's
    own finding. What the caller sent, echoed back, is not among them (a stub of an API
    that will act stays that API's route). Fail closed: at least one answer, each with
    origins."""
    if app.platform != "nodered" or ep.effect != SERVES or app.flow_of is None:
        return ""
    flow = dataflow(app)
    answering = []
    branch = list(_answer_branch(app, entry))
    # what the branch reads back from context, whoever put it there (a route that posts it)
    kept = {o.step_id for s in branch for o in flow.context_origins(s.id)}
    for step in branch:
        if step_effect(step) != ANSWERS:
            continue
        for sink in flow.sinks_of(step.id, _ANSWER_SINKS):
            # an answer node several routes share hands each caller back only what came
            # through its own route: another route's request, not kept in context and read
            # back here, goes back to that route's caller
            origins = [o for o in sink.origins
                       if o.step_id in kept or not _other_route(app, o, entry)]
            if not origins or not all(o.kind in SETTING_KINDS or _polled(app, o)
                                      or _public_topic(app, o)
                                      or public_feed(app, o) or _plain_env(o)
                                      for o in origins):
                return ""
            answering.append(repr(step.name or step.id))
    if not answering:
        return ""
    return (f"open by design: what it answers in {', '.join(dict.fromkeys(answering))} holds "
            "only settings, device readings and public feeds the app keeps; it acts on "
            "nothing")


def _other_route(app: App, origin: Origin, entry: Step) -> bool:
    """Is ``origin`` the request of an HTTP route other than ``entry``?"""
    if origin.kind != "entry" or origin.step_id == entry.id:
        return False
    step = app.step(origin.step_id)
    return step is not None and step.type == "http in" and entry.type == "http in"


def _answer_branch(app: App, entry: Step) -> Iterator[Step]:
    """The steps a call of ``entry`` reaches (:func:`branch_of`); for a websocket listener,
    those its ``websocket in`` nodes reach, and every ``websocket out`` on it besides: its
    clients get whatever any flow sends there (a feed a timer polls), not only replies."""
    if entry.type != "websocket-listener":
        yield from branch_of(app, entry)
        return
    users = [s for s in app.steps if entry.id in s.config_refs and not s.disabled]
    seen: set[str] = set()
    for step in (*(b for u in users if u.type == "websocket in" for b in branch_of(app, u)),
                 *(u for u in users if u.type == "websocket out")):
        if step.id not in seen:
            seen.add(step.id)
            yield step


def read_only_route(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why ``ep`` only looks up what anyone may see ("" when it may do more): see the module
    docstring's read-only routes. A route that only shapes what it is sent is left to the
    adapter's effect (a stub of an API that will act is still that API's route)."""
    branch = _http_branch(app, ep, entry, MAX_LOOKUP_BRANCH)
    if not branch:
        return ""
    what: list[str] = []
    for step in branch:
        lookup = _lookup(app, step)
        if lookup is None:
            return ""
        if lookup:
            what.append(lookup)
    answers = [s for s in branch if s.type == "http response"]
    if not what or not answers or not _answers_only(app, answers):
        return ""
    return (f"open by design: it {'; '.join(dict.fromkeys(what))}, and answers with nothing "
            "else; it acts on nothing (no write, command, request, device output or send)")


def _lookup(app: App, step: Step) -> str | None:
    """What a step of a read-only route looks up ("" when it only shapes or answers the
    message; None when it may do more)."""
    named = repr(step.name or step.id)
    if _unfollowed(app, step):
        return None
    fixed_file = _fixed_file_read(app, step)
    if fixed_file:
        return f"reads the app's own fixed file {fixed_file!r} in {named} (no sensitivity label)"
    if step.type == "function":
        modules = _computes_only(step)
        if modules is None:  # an address from the environment, for a local model only
            return "" if _prepares(step) and any(
                (t := app.step(sid)) is not None and bool(_local_model(app, t))
                for sid in step.outbound) else None
        return f"computes with {', '.join(modules)} in {named}" if modules else ""
    model = _local_model(app, step) or public_get(app, step) or public_lookup(step)
    if model:
        return model
    if step.type in READ_ONLY_CALLS and step_effect(step) == PASSES:
        return f"calls a read-only contract function in {named}"
    records = _unlabelled_read(step) or _fixed_select(app, step)
    if records:
        return f"reads {records} in {named} (no sensitivity label)"
    if step.type == "change" and step_effect(step) == SERVES and serves_only_context(step) \
            and _kept_readings(app, step):
        return f"serves the readings the app keeps in flow or global context in {named}"
    return "" if step_effect(step) in (PASSES, ANSWERS) else None


# The generation endpoints of model servers that run on the owner's machine (LM Studio,
# llama.cpp, vLLM and other OpenAI-compatible servers; Ollama's own API; Rasa's intent parser)
_MODEL_PATH = re.compile(r"/v1/(?:chat/)?completions\b|/v1/embeddings\b|"
                         r"/api/(?:generate|chat|embed|embeddings)\b|"
                         # a Rasa server's intent parser (its current and its older path)
                         r"/model/parse\b|:\d+/parse/?(?:$|\?)")


def _local_model(app: App, step: Step) -> str:
    """Why an ``http request`` only asks a model on the same host ("" otherwise): a POST
    without credentials (no auth, TLS config, headers of the node's own or a key word in the
    code before it) to a fixed address in the loopback or host zone (an environment value at
    most beside that default) at a model server's generation path. Such a model runs on the
    owner's machine: it stores nothing, sends nothing out and costs nothing per call; what
    it answers is judged with the rest of the answer."""
    if step.type != "http request":
        return ""
    p = step.params
    before = [s for s in app.steps if step.id in s.outbound and s.type == "function"]
    method = str(p.get("method") or "GET").upper()
    set_methods = {m.upper() for s in before
                   for m in _METHOD_SET.findall(str(s.params.get("func") or ""))}
    if not (method == "POST" or (method == "USE" and set_methods == {"POST"})):
        return ""
    if not sends_no_credential(step, before, model_prompt=True):
        return ""
    fixed = _fixed_address(app, step)
    if fixed is None:
        return ""
    hosts = fixed[0]
    texts = [str(s.params.get("func") or "") for s in before] + [str(p.get("url") or "")]
    if not hosts or not all(h and default_zone(h) in LOCAL_ZONES for h in hosts) \
            or not any(_MODEL_PATH.search(t) for t in texts):
        return ""
    return f"asks a model on the same host in {step.name or step.id!r}"


def _unfollowed(app: App, step: Step) -> bool:
    """Does the branch go where the reader cannot follow it: an instance of a subflow the
    export lacks, or a link call to a target named at run time? What runs there may act."""
    if step.type.startswith("subflow:"):
        return app.workflow(step.type.split(":", 1)[1]) is None
    return step.type == "link call" and not step.outbound


def _kept_readings(app: App, step: Step) -> bool:
    """Does every flow or global context value ``step`` reads hold only constants, platform
    values and device readings (:func:`reading`)? A key the app fills from what anyone
    posts, a store, a request or the environment is data (fail closed)."""
    origins = dataflow(app).context_origins(step.id)
    return bool(origins) and all(o.kind in SETTING_KINDS or reading(app, o) for o in origins)


# Nodes that poll a PLC or fieldbus device for its values (node-red-contrib-s7's ``s7 in``,
# node-red-contrib-modbus's reads): what they put out are the machine's readings, numbers a
# controller reports, never what someone typed.
DEVICE_READS = frozenset({"s7 in", "modbus-read", "modbus-getter", "modbus-flex-getter"})


def _polled(app: App, origin: Origin) -> bool:
    """Is ``origin`` what a PLC or fieldbus read (:data:`DEVICE_READS`) reports?"""
    step = app.step(origin.step_id) if origin.kind == "unknown" else None
    return step is not None and not step.disabled and step.type in DEVICE_READS


def _public_topic(app: App, origin: Origin) -> bool:
    """Is ``origin`` a device reading on a public broker's topic (:func:`reading` of a
    subscription that is an entry point of its own): what anyone subscribed there reads
    already, so answering it discloses nothing more? A topic of the owner's broker is the
    owner's data: answering it opens what the broker keeps to its own clients."""
    return origin.kind == "entry" and reading(app, origin)


def reading(app: App, origin: Origin) -> bool:
    """Is ``origin`` a device reading: what a device publishes on an MQTT topic whose name,
    and the node's, carry no sensitivity label (a humidity, a door state), or what a PLC or
    fieldbus read (:data:`DEVICE_READS`) reports? A topic on a broker anyone may use (the
    subscription is an entry point of its own) counts too: what it carries is there for
    every subscriber to read already, and who may publish it is that entry point's finding."""
    step = app.step(origin.step_id) if origin.kind in ("unknown", "entry") else None
    if step is None or step.disabled:
        return False
    if step.type in DEVICE_READS:
        return origin.kind == "unknown"
    return step.type == "mqtt in" \
        and not sensitivity_labels(str(step.params.get("topic") or ""), step.name)


def _computes_only(step: Step) -> tuple[str, ...] | None:
    """The modules a function node computes with, when its code acts on nothing and reads
    only the message (None otherwise: a module not known to compute only, code at deploy,
    a read of context or the environment)."""
    p = step.params
    libs = p.get("libs") or []
    if not isinstance(libs, list) or not all(
            isinstance(lib, dict) and lib.get("module") in COMPUTE_MODULES
            and re.fullmatch(r"[A-Za-z_$][\w$]*", str(lib.get("var") or "")) for lib in libs):
        return None
    if str(p.get("initialize") or "").strip() or str(p.get("finalize") or "").strip():
        return None
    code = str(p.get("func") or "")
    names = [str(lib["var"]) for lib in libs]
    if names:  # a call of the module (or of one of its functions) computes: read it as pure
        calls = re.compile(r"(?<![\w$.])(?:" + "|".join(map(re.escape, names))
                           + r")(?:\s*\.\s*[\w$]+)*\s*\(")
        code = calls.sub("String(", code)
    if code_effect(code) == ACTS or not code_reads(code) <= {"message"}:
        return None
    return tuple(dict.fromkeys(str(lib["module"]) for lib in libs))


# Files that hold data or secrets whatever they are called: an environment file, keys and
# certificates, databases, logs and tables, the platform's own credentials and settings
_DATA_FILES = re.compile(r"\.(?:env|pem|key|crt|cer|p12|pfx|jks|db|sqlite3?|log|csv|xlsx?|bak)$|"
                         r"(?:^|/)\.|/etc/|/proc/|flows?_cred|settings\.js|id_rsa|/home/",
                         re.I)
# a read of a file by a literal path in a function: fs.readFileSync('/data/icons.json', 'utf8')
_FS_READ = re.compile(r"(?<![\w$.])([\w$]+)\s*\.\s*(?:readFileSync|readFile|existsSync)\s*\(\s*"
                      r"(['\"])([^'\"`$]+)\2\s*(?:,\s*(['\"])[\w-]+\4\s*)?(?=[,)])")


def _fixed_file_read(app: App, step: Step) -> str:
    """The path a step reads a fixed file from, when that file is the app's own static data
    ("" otherwise): a ``file in`` of a fixed filename, or a function whose only module is
    ``fs`` and whose only calls of it read files by literal paths, its code acting on
    nothing else. The path carries no sensitivity label or name of people
    (:data:`_PEOPLE_WORD`), is no data or secret file (:data:`_DATA_FILES`) and no step of
    the app writes it: a catalogue, a list or a page the deployer put beside the flows,
    which every caller is given alike. A path from the message is a traversal question and
    stays AUTH001's."""
    p = step.params
    if step.type == "file in":
        if str(p.get("filenameType") or "str") != "str":
            return ""
        paths = [str(p.get("filename") or "").strip()]
    elif step.type == "function":
        libs = p.get("libs") or []
        if not isinstance(libs, list) or len(libs) != 1 or not isinstance(libs[0], dict) \
                or libs[0].get("module") != "fs" or str(p.get("initialize") or "").strip() \
                or str(p.get("finalize") or "").strip():
            return ""
        code = str(p.get("func") or "")
        var = str(libs[0].get("var") or "")
        reads = [m for m in _FS_READ.finditer(code) if m.group(1) == var]
        if not reads:
            return ""
        paths = [m.group(3).strip() for m in reads]
        rest = _FS_READ.sub("String(", code)
        if re.search(r"(?<![\w$.])" + re.escape(var) + r"(?![\w$])", rest) \
                or code_effect(rest) == ACTS or not code_reads(rest) <= {"message"}:
            return ""
    else:
        return ""
    if not all(paths) or any("{{" in path or _DATA_FILES.search(path)
                             or sensitivity_labels(path, step.name)
                             or _PEOPLE_WORD.search(path) or credential_word(path)
                             for path in paths):
        return ""
    written = {str(s.params.get("filename") or "").strip() for s in app.steps
               if s.type == "file" and not s.disabled}
    code_text = " ".join(str(s.params.get("func") or "") for s in app.steps
                         if s.type == "function" and not s.disabled)
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if path in written or re.search(r"write\w*\s*\([^)]*" + re.escape(name), code_text):
            return ""
    return ", ".join(dict.fromkeys(paths))


def _unlabelled_read(step: Step) -> str:
    """The collection a MongoDB ``find`` or ``count`` names, when it and the node's name carry
    no sensitivity label ("" otherwise). A SQL query is not judged so: it may join and dump
    every table it names, and tables named for people (``owners``, ``members``) carry no
    label the word list knows."""
    p = step.params
    collection = str(p.get("collection") or "").strip()
    if step.type != "mongodb in" or str(p.get("operation") or "") not in MONGO_LISTINGS \
            or not collection or sensitivity_labels(collection, step.name):
        return ""
    return f"collection {collection!r}"


# Table names a reviewer reads as people or their doings even where no sensitivity label
# marks them: a listing of one is a directory of the app's users, not reference data.
_PEOPLE_TABLES = re.compile(
    r"user|member|account|customer|client|people|person|employee|staff|student|pupil|"
    r"patient|contact|owner|profile|subscriber|participant|volunteer|session|login|order|"
    r"message|referral|invite|token|key|secret|password|log|audit|event|booking|payment",
    re.I)
# a name of people or their doings at the start of a word of a path (``users.json``, not the
# ``log`` of ``catalog``)
_PEOPLE_WORD = re.compile(r"(?<![a-z])(?:" + _PEOPLE_TABLES.pattern + ")", re.I)
# one SELECT, or a WITH whose named subqueries (common table expressions) a SELECT reads
_SELECT = re.compile(r"\s*(?:with\s+(?:recursive\s+)?(?P<ctes>[^;]*?\))\s*)?"
                     r"select\b(?P<rest>[^;]*);?\s*", re.I | re.S)
_CTE_NAME = re.compile(r"(?:^|,)\s*([\w\"`]+)\s*(?:\([^)]*\)\s*)?as\s*\(", re.I)
_TABLE = re.compile(r"\b(?:from|join)\s+([\w.\"`\[\]]+)", re.I)
_WRITES = re.compile(r"\b(?:into|update|delete|insert|for\s+update|pg_\w+|lo_\w+|"
                     r"copy|exec|call|set)\b", re.I)


def _fixed_select(app: App, step: Step) -> str:
    """The tables a SQL node's fixed SELECT lists ("" when its query is not shown to be one):
    the query is the node's own text or a string a function before it sets whole, the data
    flow finds only constants in it, it is one SELECT that writes nothing, and every table
    it names is reference data (no sensitivity label, no name of people or their doings:
    :data:`_PEOPLE_TABLES`). A query built from the message is an injection question, and
    a join over people's tables a disclosure: both stay AUTH001's. So does any SELECT of an
    app that signs its users in itself but checks the session on none of its routes
    (:func:`own_login`): its tables hold its users' records (their farms, devices, pictures)
    whatever they are called, meant for those who log in."""
    if step.type not in SQL_NODES or own_login(app):
        return ""
    own, fallback, _templated = SQL_NODES[step.type]
    query = str(step.params.get(own) or "") if own else ""
    sinks = dataflow(app).sinks_of(step.id, frozenset({"sql"}))
    if any(o.kind != "constant" for sink in sinks for o in sink.origins):
        return ""
    if not query.strip():
        if not sinks:
            return ""
        setter = re.compile(r"\bmsg\s*\.\s*" + re.escape(fallback)
                            + r"\s*=\s*(['\"`])(?P<q>[^'\"`$]*)\1")
        found = [m.group("q") for s in app.steps if step.id in s.outbound
                 and s.type == "function" for m in setter.finditer(str(s.params.get("func")
                                                                        or ""))]
        if len(found) != 1:
            return ""
        query = found[0]
    elif "{{" in query:
        return ""
    select = _SELECT.fullmatch(query)
    ctes = select.group("ctes") or "" if select is not None else ""
    if select is None or _WRITES.search(select.group("rest")) or _WRITES.search(ctes):
        return ""
    named = {n.strip('"`').lower() for n in _CTE_NAME.findall(ctes)}
    if ctes and not named:
        return ""  # a WITH the reader cannot take apart
    tables = [t.strip('"`[]') for t in _TABLE.findall(ctes + " " + select.group("rest"))
              if t.strip('"`[]').lower() not in named]
    if not tables or any(sensitivity_labels(t) or _PEOPLE_TABLES.search(t) for t in tables):
        return ""
    return f"the rows of {', '.join(map(repr, dict.fromkeys(tables)))} (a fixed SELECT)"


@per_app
def own_login(app: App) -> str:
    """The route of a Node-RED app's own login when none of its other routes checks the
    session it gives ("" otherwise): an enabled ``http in`` whose flow compares the password
    it is sent with a stored one and refuses a wrong one (AUTH004's login checks,
    :func:`~pytest_nocode.checks._guards.guard_of`), and no route with a check of its caller
    (a token, a signature, a session lookup). Such an app signs its users in to reach its
    data, and then forgot to ask: what its routes read from its database is its users', not
    reference data anyone may see. An app that checks the session on some routes leaves the
    others open on purpose (the country list its sign-up form offers)."""
    if app.platform != "nodered":
        return ""
    logins: list[str] = []
    for ep in app.entry_points:
        step = app.step(ep.step_id)
        if ep.kind != "http" or step is None or step.disabled or step.type != "http in":
            continue
        if ep.authenticated_by or ep.authentication not in (None, "none"):
            return ""  # a route the platform or an auth node guards
        guard = guard_of(app, step)
        if guard is None:
            continue
        if not (guard.login or "submitted password" in guard.compares):
            return ""  # a route that checks its caller: the open ones are open on purpose
        logins.append(ep.route)
    return logins[0] if logins else ""


def _answers_only(app: App, answers: list[Step]) -> bool:
    """Does every answer hold only constants, platform values, a caller's own data and what
    lookups computed or read (an answer node other routes share is judged by all that reaches
    it)?"""
    flow = dataflow(app)
    return all(o.kind in ANSWER_KINDS or reading(app, o) or (
        o.kind in ("unknown", "store") and bool(_lookup_at(app, o.step_id))) for step in answers
        for sink in flow.sinks_of(step.id, frozenset({"answer"})) for o in sink.origins)


def _lookup_at(app: App, step_id: str) -> str:
    step = app.step(step_id)
    return (_lookup(app, step) or "") if step is not None and not step.disabled else ""


# -- the app's own pages -----------------------------------------------------------------------
# Markup a template or a fixed file answers with when it is a page: an HTML document or its
# head, body or script (a fragment of plain text or JSON is data, not a page)
_MARKUP = re.compile(r"<(?:!doctype|html|head|body|script|meta|link|style|title|canvas|div)\b",
                     re.I)
# a mustache field and the message or context path it names: {{payload.x}}, {{{global.k}}}
_FIELD_PATH = re.compile(r"\{\{\{?\s*[#^/&]?\s*([\w$.]+)\s*\}?\}\}")
# a literal flow or global context key a function reads: global.get("settings.host")
_CONTEXT_GET = re.compile(r"""\b(?:global|flow)\s*\.\s*get\s*\(\s*(['"`])([^'"`$]+)\1\s*[,)]""")
_ANY_CONTEXT_GET = re.compile(r"\b(?:global|flow)\s*\.\s*get\s*\(")
# a template engine a function takes from global context (functionGlobalContext:
# {mustacheModule: require("mustache")}): its render and compile calls fill a text in
_ENGINE_KEY = re.compile(r"mustache|handlebars|ejs|nunjucks|pug|eta|liquid", re.I)
_ENGINE_BOUND = re.compile(
    r"""\b(?:let|const|var)\s+([A-Za-z_$][\w$]*)\s*=\s*global\s*\.\s*get\s*\(\s*(['"`])"""
    r"""([^'"`]+)\2\s*\)""")
# "address" of a machine, not of a person: a broker's, a server's, a host's
_MACHINE_ADDRESS = re.compile(r"(?:broker|server|host|gateway|mqtt|api|base|stream)[\s_.-]?"
                              r"(?:address|addr)", re.I)


def own_page(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why a Node-RED GET route only answers with one of the app's own pages ("" when it may
    do more). Its whole branch, up to where it answers, only shapes, routes or answers the
    message, and builds a page: a template whose text is markup (an HTML document, its head
    or its script), or a fixed web file (``file in`` of an ``.html`` path), with values
    pasted in that a function on the branch, or the template itself, reads from flow or
    global context by a literal key (the address of the page's broker or server, a call
    sign, a host name: what the page's script needs); a template engine the function takes
    from global context (``mustache.render``) only fills the text in. Nothing the caller
    sent reaches the answer (no reflected field), no key or field name carries a
    sensitivity label, and no step reads a store, the environment or a service, or acts.
    Such a page is the app's own code with its settings, like a stylesheet: what its script
    calls is judged at the route it calls. A route that answers the settings themselves (a
    JSON of the configuration) is not a page and stays AUTH001's."""
    branch = _http_branch(app, ep, entry, MAX_BRANCH)
    if not branch or not ep.methods or any(m not in ("GET", "HEAD") for m in ep.methods) \
            or app.flow_of is None:
        return ""
    pages: list[Step] = []
    keys: list[str] = []
    fields: list[str] = []
    for step in branch:
        if _unfollowed(app, step):
            return ""
        if step.type == "template" and _markup_template(step):
            found = _FIELD_PATH.findall(str(step.params.get("template") or ""))
            keys += [f.split(".", 1)[1] for f in found if f.startswith(("global.", "flow."))]
            fields += [f for f in found if not f.startswith(("global.", "flow."))]
            pages.append(step)
        elif step.type == "file in" and step_effect(step) == PASSES:
            if re.search(r"\.html?$", str(step.params.get("filename") or "").strip(), re.I):
                pages.append(step)
        elif step.type == "function":
            read = _pastes_context(step)
            if read is None:
                return ""
            keys += read
        elif step_effect(step) not in (PASSES, ANSWERS):
            return ""
    answers = [s for s in branch if s.type == "http response"]
    if not pages or not answers:
        return ""
    named = [_MACHINE_ADDRESS.sub("", k) for k in (*keys, *fields)]
    if any(sensitivity_labels(k) for k in named):
        return ""
    flow = dataflow(app)
    on_branch = {s.id for s in branch} - {p.id for p in pages}
    for step in answers:
        sinks = flow.sinks_of(step.id, frozenset({"answer"}))
        if not sinks:
            return ""
        for sink in sinks:
            for o in sink.origins:
                if o.step_id == entry.id or (
                        o.step_id in on_branch and o.kind not in SETTING_KINDS
                        and not (o.kind == "store"
                                 and o.detail.startswith(SHARED_CONTEXT_STORES))):
                    return ""  # what the caller sent, or what a step on the branch made
    what = ", ".join(repr(p.name or p.id) for p in pages)
    pasted = f" with {', '.join(map(repr, dict.fromkeys(keys)))} from context pasted in" \
        if keys else ""
    return (f"open by design: it answers with the app's own page {what}{pasted}; it reads "
            "nothing the caller sent and acts on nothing")


def _markup_template(step: Step) -> bool:
    """Is a template node's text a page (markup), rendered with mustache into the message?"""
    p = step.params
    return str(p.get("fieldType") or "msg") == "msg" \
        and str(p.get("syntax") or "mustache") in ("mustache", "plain") \
        and _MARKUP.search(str(p.get("template") or "")) is not None


def _pastes_context(step: Step) -> list[str] | None:
    """The flow or global context keys a function node reads to paste into a page (None when
    it may do more: loads a module, runs code at deploy, reads the environment or a key
    named at run time, or acts)."""
    p = step.params
    if p.get("libs") or str(p.get("initialize") or "").strip() \
            or str(p.get("finalize") or "").strip():
        return None
    code = str(p.get("func") or "")
    keys = [m.group(2) for m in _CONTEXT_GET.finditer(code)]
    if len(keys) != len(_ANY_CONTEXT_GET.findall(code)):
        return None  # a key named at run time
    for bound in _ENGINE_BOUND.finditer(code):
        if _ENGINE_KEY.search(bound.group(3)):
            code = re.sub(r"(?<![\w$.])" + re.escape(bound.group(1))
                          + r"\s*\.\s*(?:render|compile)\s*\(", "String(", code)
            keys.remove(bound.group(3))
    if code_effect(code) == ACTS or not code_reads(code) <= {"message", "shared context"}:
        return None
    return keys


# -- public feeds and read-only dashboards ---------------------------------------------------
def public_get(app: App, step: Step) -> str:
    """Why an ``http request`` only fetches what a public service gives anyone ("" when it may
    do more): a GET without credentials (no auth, TLS config, headers of the node's own, a
    credential of the node's or a key word in a function wired into it) to a fixed address
    (constants, an environment value at most beside them) on the internet. Whoever calls the
    address gets the same answer: a public feed (a repository's pull requests, a weather or
    alert feed), not the owner's data. An address on the owner's network may answer only
    its owner's requests, and one picked by what arrives is a forgery question: neither
    counts."""
    if step.type != "http request" or step.disabled:
        return ""
    p = step.params
    before = [s for s in app.steps if step.id in s.outbound and s.type == "function"]
    if str(p.get("method") or "GET").upper() != "GET" or not sends_no_credential(step, before):
        return ""
    fixed = _fixed_address(app, step)
    if fixed is None:
        return ""
    hosts, address = fixed
    if not hosts or not all(h and default_zone(h) == "internet" for h in hosts) \
            or _credential_in_url(address):
        return ""
    return f"fetches a public feed without credentials in {step.name or step.id!r}"


def _fixed_address(app: App, step: Step) -> tuple[list[str], str] | None:
    """(the hosts, the text) of the fixed address an ``http request`` calls: the node's own
    URL when it has one without a template (what the message sets is then ignored), else
    the constants of what the flow sets ``msg.url`` to; None when a part of it is neither a
    constant nor an environment value (the hosts may be empty: none is known)."""
    own = str(step.params.get("url") or "").strip()
    if own and "{{" not in own:
        return [_host(own)], own
    origins = [o for sink in dataflow(app).sinks_of(step.id, frozenset({"url"}))
               for o in sink.origins]
    if not origins or any(o.kind not in ("constant", "env") for o in origins):
        return None
    return ([_host(o.detail) for o in origins if o.kind == "constant" and "://" in o.detail],
            " ".join(o.detail for o in origins if o.kind == "constant"))


def _credential_in_url(text: str) -> bool:
    """Does an address carry a credential of its own: a user and password before its host
    (``https://bob:pw@…``) or a query parameter named for one (``?access_token=…``,
    ``&api_key=…``)? What it fetches is then the key holder's, not a public feed."""
    return re.search(r"://[^/?#\s]*@", text) is not None \
        or any(credential_word(name) for name in re.findall(r"[?&]([^=&#\s]+)=", text))


# Community nodes that only query a public index for what anyone may look up (places near a
# point, the weather, IBM's public news collection), with the setting that says so when the
# node can do more: type -> (parameter, the values that only query)
PUBLIC_LOOKUPS: dict[str, tuple[str, frozenset[str]] | None] = {
    "google places": ("reqType", frozenset({"placesNearby", "placesText", "placesDetails",
                                             "placesAutocomplete"})),
    "openweathermap": None,  # node-red-node-openweathermap: current weather or forecast
    "watson-discovery-v1": ("environmentId", frozenset({"system"})),  # Discovery News
}


def public_lookup(step: Step) -> str:
    """Why a community node only queries a public index (:data:`PUBLIC_LOOKUPS`), or ""."""
    if step.type not in PUBLIC_LOOKUPS or step.disabled:
        return ""
    setting = PUBLIC_LOOKUPS[step.type]
    if setting is not None and str(step.params.get(setting[0]) or "") not in setting[1]:
        return ""
    return f"queries a public index in {step.name or step.id!r} ({step.type})"


def public_feed(app: App, origin: Origin) -> bool:
    """Is ``origin`` the answer of a :func:`public_get`?"""
    step = app.step(origin.step_id) if origin.kind == "unknown" else None
    return step is not None and bool(public_get(app, step))


def _plain_env(origin: Origin) -> bool:
    """Is ``origin`` an environment value whose name says it is a setting (an element id, a
    title): no credential word, no name of a secret (:func:`is_secret_name`: MQTT_PASS,
    PRIVATE_KEY), no sensitivity label?"""
    return origin.kind == "env" and bool(origin.detail) \
        and not credential_word(origin.detail) and not is_secret_name(origin.detail) \
        and not sensitivity_labels(origin.detail)


def _own_route_get(app: App, step: Step) -> str:
    """Why an ``http request`` only calls one of the app's own GET routes on this machine (""
    otherwise): a GET without credentials to a fixed loopback address whose path is an
    ``http in`` route of the app. That route is an entry point of its own, judged there: the
    call adds nothing to what anyone reaching it does."""
    if step.type != "http request" or step.disabled:
        return ""
    p = step.params
    if str(p.get("method") or "GET").upper() != "GET" or not sends_no_credential(step):
        return ""
    url = str(p.get("url") or "").strip()
    if not url or "{{" in url:  # the node's own fixed address (what the message sets is ignored)
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not parts.hostname or default_zone(parts.hostname) != "loopback":
        return ""
    path = "/" + parts.path.strip("/")
    routes = {"/" + ep.route.strip("/") for ep in app.entry_points
              if ep.kind == "http" and "GET" in ep.methods}
    return f"calls the app's own route {path!r} in {step.name or step.id!r}" \
        if path in routes else ""


def read_only_dashboard(app: App, ep: EntryPoint) -> str:
    """Why a Node-RED dashboard's controls only look something up ("" when one may do more).
    Every node a control's message reaches (through the nodes that shape, route or show it:
    :data:`~pytest_nocode.platforms.nodered.PASSIVE_TYPES`) is one that only reads what
    anyone may see: a fixed SELECT of reference tables (no sensitivity label, no name of
    people or their doings: see :func:`_fixed_select`), a GET of a public feed without
    credentials (:func:`public_get`), a query of a public index (places, the weather, a
    public news collection: :func:`public_lookup`), a GET of one of the app's own routes
    (judged there), or a publish that asks a device for a reading (:func:`reading_request`).
    A refresh button that re-reads the last rows of a sensor table, or a chart's date range,
    opens nothing; a control that reaches a device or broker output, a write, a command, a
    request of another kind or an unknown node keeps the dashboard AUTH001's, and so does a
    dashboard whose widgets show health readings (:func:`~pytest_nocode.platforms.nodered.
    health_widget`), whatever its controls do: what it shows is no public feed."""
    if app.platform != "nodered" or ep.kind != "dashboard":
        return ""
    by_id = {s.id: s for s in app.steps}
    if any(health_widget(app.steps, by_id, base, page) is not None
           for _inputs, base, page, _path in DASHBOARDS.values()):
        return ""
    inputs = frozenset().union(*(spec[0] for spec in DASHBOARDS.values()))
    controls = [s for s in app.steps if s.type in inputs and not s.disabled and s.outbound]
    seen: set[str] = set()
    queue = [t for c in controls for t in c.outbound]
    what: list[str] = []
    while queue:
        step = app.step(queue.pop())
        if step is None or step.id in seen or step.disabled:
            continue
        seen.add(step.id)
        if _unfollowed(app, step):  # a link call to a target named at run time: may act
            return ""
        if step.type not in PASSIVE_TYPES:
            lookup = _fixed_select(app, step)
            why = f"reads {lookup} in {step.name or step.id!r}" if lookup \
                else public_get(app, step) or _own_route_get(app, step) \
                or public_lookup(step) or reading_request(step)
            if not why:
                return ""
            what.append(why)
        queue.extend(step.outbound)
    if not what:
        return ""
    return (f"open by design: its controls only look up what anyone may see (it "
            f"{'; '.join(dict.fromkeys(what))}); they act on nothing")


# The last level of an MQTT topic that asks a device for a reading rather than telling it
# to act (Zigbee2MQTT's ``<device>/get``, a sensor's ``temp-request`` or ``status/read``):
# its last word asks, and no word of it names an action
_ASKING = frozenset({"get", "read", "request", "refresh", "poll", "query"})
_ACTING = frozenset({
    "set", "on", "off", "open", "close", "start", "stop", "lock", "unlock", "reset", "reboot",
    "restart", "toggle", "enable", "disable", "trigger", "fire", "write", "delete", "cmd",
    "command", "update", "move", "run", "arm", "disarm", "shutdown", "power"})


def reading_request(step: Step) -> str:
    """Why an ``mqtt out`` only asks a device for a fresh reading ("" when it may do more):
    its own topic is fixed and its last level asks (:data:`_ASKING`) without naming an
    action (:data:`_ACTING`). What the device answers is read elsewhere, as any reading
    is; one that publishes to a topic the message picks, or to ``…/set``, acts."""
    if step.type != "mqtt out" or step.disabled:
        return ""
    topic = str(step.params.get("topic") or "").strip()
    if not topic or any(c in topic for c in "+#{$"):
        return ""
    words = [w for w in re.split(r"[-_.\s]+", topic.rsplit("/", 1)[-1].lower()) if w]
    if not words or words[-1] not in _ASKING or _ACTING.intersection(words):
        return ""
    return f"asks a device for a reading on topic {topic!r} in {step.name or step.id!r}"


def public_map(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why a Node-RED world map page (node-red-contrib-web-worldmap) only shows a public feed
    ("" when it may show or do more): every value its node is sent holds only what a GET
    without credentials of a fixed internet address answers (:func:`public_feed`), device
    readings and settings, at least one of them such a feed (a map of a public list of
    contributors); files cannot be dropped on it, and what its page sends back (``worldmap
    in``) reaches nothing but debug output. A map of positions the app is sent (a tracker's,
    a demo's constants) is who-is-where for anyone: reported."""
    if app.platform != "nodered" or entry.type != "worldmap" or ep.kind != "http" \
            or entry.params.get("allowFileDrop") in (True, "true") or app.flow_of is None:
        return ""
    for step in app.steps:
        if step.type == "worldmap in" and not step.disabled and any(
                (t := app.step(sid)) is not None and not t.disabled and t.type != "debug"
                for sid in step.outbound):
            return ""
    origins = dataflow(app).origins(entry.id, (ValueRef("field"),))
    feeds = [o for o in origins if public_feed(app, o)]
    if not feeds or not all(o.kind in SETTING_KINDS or reading(app, o) or o in feeds
                            for o in origins):
        return ""
    names = ", ".join(dict.fromkeys(repr(s.name or s.id) for o in feeds
                                    if (s := app.step(o.step_id)) is not None))
    return (f"open by design: the map only shows the public feed fetched in {names} (a GET "
            "without credentials of a fixed internet address); its page sends nothing the "
            "flow acts on")
