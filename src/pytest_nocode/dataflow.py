"""Provenance over an app's wiring: where each value a step runs, renders or sends comes from.

Semgrep's taint mode is the model. Adapters declare, per step (:class:`~pytest_nocode.model.
StepFlow`), which fields each sink parameter reads and which fields the step overwrites and
with what; entry points come from the model. This module propagates *origins* (a constant, an
environment or credential reference, a platform value of known origin, a store read, an
untrusted entry point, an AI model's answer, unknown) along the wiring to a fixpoint, once per
app, and the checks ask it. They never walk wires themselves.

The state of a message is a map field → origins, with ``"*"`` standing for every field not
named. A step's input is the union of what its inbound steps emit; a strong write replaces a
field's origins (a Node-RED change node setting ``msg.payload`` to a constant ends the taint of
that field), ``mix`` (code) lets every input origin reach every field. The union only grows and
origins are finitely many, so the walk ends on cyclic flows too.

What a named store holds is one *token* in its readers' states, not a copy of every origin its
writers were given: a store read, written on, read again (flows chained through shared tables)
would otherwise carry the whole closure of origins into every reader, and an org's walk grow
with readers x origins. Tokens are expanded when a check asks (:meth:`DataFlow.origins`,
:meth:`DataFlow.untrusted_behind`, :meth:`DataFlow.route`), giving the same origins as copying.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import gc
import re
from array import array
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from pytest_nocode.callgraph import CallGraph
from pytest_nocode.model import (
    AS_KEPT,
    AS_PARSED_OBJECT,
    IN_URL_PATH_INTERNET,
    IN_URL_PATH_OWN,
    OWN_SERVICE,
    App,
    AppMemo,
    Call,
    DataStore,
    FieldWrite,
    SinkUse,
    Step,
    StepFlow,
    ValueRef,
    is_script_file,
    kept_base,
)

SAFE_KINDS = frozenset({"constant", "env", "platform"})
# What a setting is made of: values the app's own configuration fixes, not an environment
# value (a token as often as a mode) nor anything that arrives
SETTING_KINDS = frozenset({"constant", "platform"})
# The store names (ValueRef.name) of Node-RED flow and global context keys
SHARED_CONTEXT_STORES = ("global context ", "flow context ")


def carries_data(refs: tuple[ValueRef, ...]) -> bool:
    """Does any of the values an adapter sees pasted into a sink come from data (not a
    constant, an environment reference or a value the platform fills in)?"""
    return any(r.kind not in SAFE_KINDS for r in refs)
# Sinks where a value is executed or interpreted (injection); "url" and "send" are where data
# goes, which the export and encryption checks ask about.
INJECTION_SINKS = frozenset({"command", "code", "sql", "template", "path", "query"})
# A request whose whole target is computed: given by a caller, it is server-side request
# forgery; from anywhere else it is ordinary (a service's next-page link), so only INJ001 asks.
FETCH_SINKS = frozenset({"fetch"})
# A fetch sink's parameter when only part of a request to a fixed host is steered: the path
# (the caller picks another endpoint of the same API, not any server) or the JSON text of the
# body (a quote in a pasted value adds or overrides keys), or an operand of a PostgREST filter
# in the URL's query string (an & or a comma in it adds or rewrites filters). INJ001 reports
# these a step lower.
FETCH_PATH = "url path"
FETCH_JSON_BODY = "jsonBody"
FETCH_QUERY_FILTER = "url query filter"
# ... or a whole URL handed to a fixed host in a query parameter that names one (a fetch proxy,
# a downloader: ``…/pdf-base64.php?url=…``): that service fetches what the caller names
FETCH_RELAYED_URL = "url relayed"
FETCH_PARTS = frozenset({FETCH_PATH, FETCH_JSON_BODY, FETCH_QUERY_FILTER, FETCH_RELAYED_URL})
# The body of a quoted heredoc a program reads as data (``cat << 'EOF' > file``): the shell
# expands nothing there, and only a line reading the delimiter ends it and runs what follows.
# Text someone outside writes can hold that line (INJ001); a store's or a service's text is
# one a writer would have to aim at this script, as a value kept in a file is (INJ002 leaves
# it out).
HEREDOC_BODY = "command (quoted heredoc body)"
# A sheet cell the service evaluates (a text starting with =, +, - or @ is a formula there):
# given by a caller it is formula injection; elsewhere it is ordinary data, so only INJ001 asks.
FORMULA_SINKS = frozenset({"formula"})
# A page or document generated from a template with values pasted in unescaped (n8n's HTML
# node): given by a caller, markup in a value is HTML injection into the page or the PDF
# rendered from it; from a table or a model it is an ordinary report, so only INJ001 asks.
MARKUP_SINKS = frozenset({"markup"})
# What an endpoint answers its caller with (n8n Respond to Webhook or a trigger answering with
# its last node's output, Node-RED http response): a store read reaching it is served (EXP002).
ANSWER_SINKS = frozenset({"answer"})

# What an AI model is prompted with (the model steps: the provider a workflow exists to call).
PROMPT_SINKS = frozenset({"prompt"})

# Steps that change or send data (a record created or deleted, a mail sent, a command run):
# what an AI model decided reaching one is an agent acting on whoever wrote its prompt.
ACTION_SINKS = frozenset({"act"})
# The parameters of such a step that pick WHO it reaches or WHICH record it changes (a
# recipient, a chat, a row filter or match key): an adapter's second sink beside the action's,
# so a check can ask where the target comes from apart from the content (a model's answer
# sent back only to the sender who prompted it is a reply, not an action it steered).
TARGET_SINKS = frozenset({"target"})
NO_INPUT = "input this app does not show (nothing wired to it)"
# What a called workflow's trigger (StepFlow.called) is given when no caller is in the app
CALLER_INPUT = "what a calling workflow passes in (no caller in this export)"
# Entry points whose steps' own descriptions say what enters (a dashboard: each control's
# fixed value, or a value typed into it; an MQTT subscription or broker: the topic and the
# broker it is on): the entry itself adds no origin.
SELF_DESCRIBED_ENTRIES = frozenset({"dashboard", "mqtt"})

# Placements that hold for a value only as a whole (see model.AS_PARSED_OBJECT).
WHOLE_ONLY = frozenset({AS_PARSED_OBJECT})

State = dict[str, frozenset[int]]
StoreKey = tuple[str, str]  # (store kind, location): one named file, table, sheet
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value comes from: ``kind`` is one of :data:`~pytest_nocode.model.ORIGIN_KINDS`,
    ``detail`` says which one, ``step_id`` is where it enters the flow ("" when nowhere in
    particular: constants, env references, platform values)."""

    kind: str
    detail: str
    step_id: str = ""
    # where a step placed it in a text it built (ValueRef.within): what a sink that calls the
    # placement harmless leaves out; the checks see origins without it
    within: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


# A key or timestamp column (id, *_id, created_at) of rows a database returned: numbers, ids or
# times the database made or typed, not text a user wrote (a key of request data stays the
# request's).
ROW_KEY = Origin("constant", "a key or timestamp column of rows read from a database")
SERVICE_KEY = Origin("platform", "an identifier or timestamp a service assigned in its response")
RESPONSE_PREFIX = "response of "
# An n8n read of a row's own primary key by path, ``$json.id``, ``$('Select rows').json.uuid``
# (a database node's rows are items whose top-level fields are the columns): the id the
# database gave the row. Other key-like columns (``user_id``) may hold what the app wrote.
ITEM_PRIMARY_KEY = re.compile(r"(?:^\$json|'\)\.json)\.(?:id|uuid|guid)$")
# An n8n read of one column of a row by path (``$json.job_id``, ``$('Chunk').json.chapter``)
ITEM_COLUMN = re.compile(r"(?:^\$json|'\)\.json)\.(\w+)$")
# A column the app's own schema types as a number, boolean, time or uuid (DataStore.typed_columns)
TYPED_COLUMN = Origin("constant", "a column the app's schema types as a number, boolean, time "
                      "or uuid, read from a database")
# A field of a service's response the service itself assigns: the identifier it minted for
# what the call created or returned (``id``, ``message_thread_id``, ``eventId``, ``uuid``)
# and the times it stamped (``created_at``, ``updatedAt``, ``timestamp``). Those are the
# service's keys and clock, no text anyone typed; the response's other fields (a title, a
# description, a message) stay of unknown origin. Read by path below the item's root
# (``$json.id``, ``$('Create Topic').first().json.result.message_thread_id``,
# ``msg.payload.id``).
SERVICE_ASSIGNED = re.compile(
    r"(?:\.json|^msg\.payload|^\$json)(?:\.\w+|\[\d+\])*?"
    r"(?:\.|\[[\"'])(?:id|uuid|guid|\w+_id|[a-z]+(?:[A-Z][a-z]*)*Id|\w+_uuid|"
    r"created_?[aA]t|updated_?[aA]t|timestamp|created|updated|date_created)(?:[\"']\])?$")
# Global context keys Node-RED's settings conventionally fill with a Node.js module
# (``functionGlobalContext: {os: require("os")}``): read, and set by no step of the app, what
# they give (host name, network interfaces, load) is the host's own facts, a platform value.
HOST_MODULES = {"global context os": Origin("platform", "the host's own facts (os module)")}
HOST_FACT_ORIGINS = frozenset(HOST_MODULES.values())


@dataclass(frozen=True)
class SinkFlow:
    """One sink of one step, with every origin of what reaches it."""

    step: Step
    sink: SinkUse
    origins: tuple[Origin, ...]


_MEMOS: list[AppMemo[object]] = []  # one per memoized builder, all let go by forget_all


def per_app(build: Callable[[App], T]) -> Callable[[App], T]:
    """Memoize ``build`` per App instance, so every check of a run shares one result."""
    memo: AppMemo[T] = AppMemo()
    _MEMOS.append(memo)  # type: ignore[arg-type]

    def cached(app: App) -> T:
        result = memo.get(app)
        return memo.put(app, build(app)) if result is None else result

    return cached


def forget_all() -> None:
    """Let go of every per-app result once the checks are done: the reports written after
    them need none, and on a large org the engines' states are a third of the run's memory
    (asked again, a result is built again)."""
    for memo in _MEMOS:
        memo.clear()


def describe_steps(app: App, start: int, stop: int) -> tuple[StepFlow, ...]:
    """How data passes each of ``app.steps[start:stop]``, as its adapter says. A step's
    description depends on the app alone, so parts described in different processes and
    joined in order are the whole (an xdist run folder shares them: :func:`describe_with`).
    The engine keeps them for every question after the walk; on 2,000 generated workflows
    half of the 21,000 descriptions not shared by the adapter repeat another's (the same
    writes and sinks of the same fields), kept once here."""
    describe = app.flow_of or (lambda _step: StepFlow())
    kept: dict[StepFlow, StepFlow] = {}  # equal descriptions as one object (below)
    return tuple(kept.setdefault(flow, flow) for flow in map(describe, app.steps[start:stop]))


Describe = Callable[[App], tuple[StepFlow, ...]]  # every step's description, in step order
_DESCRIBERS: AppMemo[Describe] = AppMemo()


def describe_with(app: App, describe: Describe) -> None:
    """Have ``app``'s steps described by ``describe`` when its data flow is built, instead of
    each one here (an xdist worker: the parts other processes described, through the run
    folder)."""
    _DESCRIBERS.put(app, describe)


Walk = Callable[[App, Callable[[], "DataFlow"]], "DataFlow"]  # the walked engine, or shared
_WALKERS: AppMemo[Walk] = AppMemo()


def walk_with(app: App, walk: Walk) -> None:
    """Have ``app``'s data flow built by ``walk(app, build)`` instead of ``build()`` here: an
    xdist worker takes the walked state another process built for the same app and
    descriptions (:meth:`DataFlow.walked`, :meth:`DataFlow.restored`) through the run folder."""
    _WALKERS.put(app, walk)


def _descriptions(app: App) -> tuple[StepFlow, ...]:
    describe = _DESCRIBERS.get(app)
    return describe(app) if describe is not None else describe_steps(app, 0, len(app.steps))


class DataFlow:
    """The provenance of every sink of one app. Build it with :func:`dataflow`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.described = app.flow_of is not None
        self._flows: dict[str, StepFlow] = dict(zip((s.id for s in app.steps),
                                                    _descriptions(app), strict=True))
        self._origins: list[Origin] = []
        self._read_index: dict[int | str, list[tuple[str, str]]] | None = None  # _reads_of
        self._origin_ids: dict[Origin, int] = {}
        # an origin placed in a text (Origin.within) → the same origin without the placement
        self._unplaced: dict[int, int] = {}
        self._out: dict[str, State] = {}
        # a step whose outputs carry different data (StepFlow.outputs): node → what it sends
        # to each step its outputs name (other steps are sent its _out)
        self._out_to: dict[str, dict[str, State]] = {}
        self._sets: dict[frozenset[int], frozenset[int]] = {}  # see _shared
        self._states: dict[tuple[tuple[str, frozenset[int]], ...], State] = {}  # _shared
        # a loop's own output (n8n Loop Over Items): only what entered from outside the loop
        self._loop_edges = {(sid, t) for sid, f in self._flows.items() for t in f.loop_targets}
        self._returns = {sid: self._coming_back(sid) for sid, f in self._flows.items()
                         if f.loop_targets}
        self._loop_out: dict[str, State] = {}
        self._entries = self._entry_origins()
        self._pinned = self._pinned_fields()
        self._stores_read, self._store_writers = self._stores_written_then_read()
        # "database <table>" → the columns the app's schema types (DataStore.typed_columns)
        self._typed_columns = {f"{st.kind} {st.location.strip()}": frozenset(st.typed_columns)
                               for st in app.stores if st.typed_columns}
        self._writes_to: dict[str, list[StoreKey]] = {}
        for key, writers in self._store_writers.items():
            for writer in dict.fromkeys(writers):
                self._writes_to.setdefault(writer, []).append(key)
        # what each writer is given (its input, every field), and each store's union of those
        self._written: dict[str, frozenset[int]] = {}
        self._held: dict[StoreKey, frozenset[int]] = {}  # origin ids and tokens of stores
        self._tokens: dict[int, StoreKey] = {}  # a store's token (an origin id) → the store
        self._token_ids: frozenset[int] = frozenset()
        # during the walk: store → steps whose output depended on what it holds (an AI tool
        # looking for its agent's answers among its input), walked again when that grows
        self._expanded_by: dict[StoreKey, set[str]] = {}
        self._closures: dict[int, frozenset[int]] | None = None  # token → origins, after
        self._kept_readers_of = self._kept_readers()
        self._kept: dict[str, frozenset[int]] = {}  # what the app has put in each store key
        # store key -> writer -> (sub-key -> what it holds) of an object the writer keeps
        # whole while its state holds some of the object's keys apart (see _kept_keys)
        self._kept_shape: dict[str, dict[str, dict[str, frozenset[int]]]] = {}
        # store key -> what the other writers of a key some writer keeps so put there
        self._kept_plain: dict[str, frozenset[int]] = {}
        # each step once per call that runs it (a subflow's per instance): see callgraph
        self._graph = graph = CallGraph(app)
        # nodes some running step sends to; the others start from "nothing arrives"
        self._live = {node: any(self._flows.get(graph.step_of(s), _DROP).output != "drop"
                                for s in graph.inbound(node))
                      for node in graph.nodes()}
        self._unreached_nodes = self._sent_only_by_off_steps()
        # steps that run in no context (fed in none, or only by steps that never run)
        self._unreached = frozenset(
            sid for sid in map(graph.step_of, self._unreached_nodes) if all(
                n in self._unreached_nodes or graph.fed_elsewhere(n)
                for n in graph.nodes_of(sid))) if graph.expanded else self._unreached_nodes
        self._run()
        self._sets.clear()  # the states keep the sets; the walk is over
        self._states.clear()
        self._close()
        self._inputs: dict[str, State] = {}  # input_of, asked after the walk only
        self._rank: list[int] = []  # origin id → its place in _order among those ranked
        self._holders: dict[int, tuple[int, frozenset[int]]] = {}  # see _holding
        self._out_union: dict[str, frozenset[int]] = {}  # see _whole_out
        self._internal: frozenset[StoreKey] | None = None  # internal_stores, when asked
        self._references: dict[tuple[str, str], frozenset[StoreKey]] | None = None
        self._scripts: frozenset[tuple[str, str]] | None = None  # _own_script, when asked
        self._fed_services: frozenset[str] | None = None  # _own_service, when asked
        self._whole_fills: dict[str, frozenset[str]] | None = None  # whole_item_fills
        # (origin ids and store tokens read, harmless placements) → origins' answer, as
        # origin ids in order: on a large org thousands of sinks read the same few tokens,
        # each standing for thousands of origins to expand and sort (INJ001, INJ003, EXP001
        # each ask again); fixed after the walk (closures, ranks and placements only grow),
        # so sorted once per set, kept as 4-byte ids (16,000 sets holding 4.2 million origins
        # at 20,000 workflows), at most ANSWERS_HELD ids at a time: the run's peak memory is
        # the end of the checks, and it must not grow for this
        self._answers: dict[tuple[frozenset[int], frozenset[str]], array[int]] = {}
        self._answers_held = 0

    # -- the walked state, for another process -----------------------------------------
    # What is not the walk's own: the model, the step descriptions (every process that walks
    # has them, shared or described alike) and the call graph (built from the model alone).
    _NOT_WALKED = frozenset({"app", "_flows", "_graph"})

    def walked(self) -> dict[str, object]:
        """What the walk found, right after it (before any question): plain maps and sets of
        step ids, origin ids and :class:`Origin` values, nothing of the model, so another
        process holding the same app and descriptions can take it (:meth:`restored`) instead
        of walking again (at 20,000 workflows 9-10 CPU s each, against about 1 to load)."""
        if self._inputs or self._answers or self._read_index is not None:
            raise ValueError("asked already: only the state right after the walk is shared")
        return {name: value for name, value in self.__dict__.items()
                if name not in self._NOT_WALKED}

    @classmethod
    def restored(cls, app: App, walked: dict[str, object]) -> DataFlow:
        """The engine :meth:`walked` described, for ``app`` (the same app and descriptions
        as the process that walked it): what every question then answers is the same."""
        flow = cls.__new__(cls)
        flow.app = app
        flow._flows = dict(zip((s.id for s in app.steps), _descriptions(app), strict=True))
        flow._graph = CallGraph(app)
        flow.__dict__.update(walked)
        return flow

    def _sent_only_by_off_steps(self) -> frozenset[str]:
        """Nodes (steps, in a context) that are wired, but only from steps that pass nothing
        on (disabled, or themselves reached only so): nothing ever arrives, so they never
        run (a subflow's nodes in a disabled instance's copy). A step wired from nowhere is
        another matter: its input is one this app does not show; so is one behind a
        switched-off entry point (a way in that can be switched on again)."""
        off = {sid for sid, flow in self._flows.items()
               if flow.output == "drop" and sid not in self._entries}
        graph = self._graph
        if graph.expanded:
            off = {node for sid in off for node in graph.nodes_of(sid)}
        nodes = [node for node in graph.nodes()
                 if (flow := self._flows.get(sid := graph.step_of(node))) is not None
                 and node not in off and not flow.starts and sid not in self._entries]
        unreached: set[str] = set()
        grown = True
        while grown:
            grown = False
            for node in nodes:
                if node in unreached:
                    continue
                senders = graph.inbound(node)
                if senders and all(s in off or s in unreached for s in senders):
                    unreached.add(node)
                    grown = True
        return frozenset(unreached)

    # -- origins -------------------------------------------------------------------------
    def _oid(self, origin: Origin) -> int:
        oid = self._origin_ids.get(origin)
        if oid is None:
            oid = self._origin_ids[origin] = len(self._origins)
            self._origins.append(origin)
        return oid

    def _entry_origins(self) -> dict[str, int]:
        """Entry-point steps → their origin; a config entry (a websocket listener) marks the
        steps that use it. An inactive entry is no way in today: its data is of unknown
        origin, not absent."""
        out: dict[str, int] = {}
        for ep in self.app.entry_points:
            if ep.kind in SELF_DESCRIBED_ENTRIES:
                continue  # its controls say what they send (a fixed value, typed text)
            how = f"{ep.kind} {ep.route}".strip()
            origin = (Origin("entry", how, ep.step_id) if ep.active is not False
                      else Origin("unknown", f"{how} (not active)", ep.step_id))
            step = self.app.step(ep.step_id)
            targets = [u.id for u in self.app.users_of(ep.step_id)] if step and step.is_config \
                else [ep.step_id]
            for sid in targets:
                out.setdefault(sid, self._oid(Origin(origin.kind, origin.detail, sid)))
        return out

    def _pinned_fields(self) -> dict[int, dict[str, int]]:
        """An entry's origin id → each request field its first steps hold equal to the
        identity they verified → the origin that field has after the check: a value the caller
        cannot choose (the signed Telegram user's id), though the rest of the request stays
        theirs. The checks' reading of guards says which (:func:`~pytest_nocode.checks.
        _guards.pins`)."""
        from pytest_nocode.checks._guards import pins  # the checks' reading of guards

        out: dict[int, dict[str, int]] = {}
        for sid, flow in self._flows.items():  # what a trigger's service assigns itself
            for ref in (r for w in flow.writes for r in w.value) if flow.assigned else ():
                if ref.kind != "entry":
                    continue
                oid = self._oid(Origin("entry", ref.name, ref.step or sid))
                for path in flow.assigned:
                    out.setdefault(oid, {})[path] = self._oid(Origin(
                        "platform", f"{path} of {ref.name}, which the service assigns"))
        for ep in self.app.entry_points:
            step = self.app.step(ep.step_id)
            oid = self._entries.get(ep.step_id)
            if step is None or oid is None or ep.authentication not in (None, "none") \
                    or step.type != PINNING_ENTRY:
                continue
            fields, checker = pins(self.app, step)
            for field in fields:
                out.setdefault(oid, {})[field] = self._oid(Origin(
                    "platform", f"{field} of {self._origins[oid].detail}, checked equal to "
                    f"the verified caller by step '{checker}'"))
        return out

    def _pin(self, ref: ValueRef, found: frozenset[int]) -> frozenset[int]:
        """``found`` with a pinned request field's origin (:meth:`_pinned_fields`) in place
        of its entry's where ``ref`` reads that field (``$json.body.user_id``,
        ``$('Webhook').first().json.body.user_id``)."""
        path = _ITEM_PICK.sub("", ref.path)
        out = set()
        for oid in found:
            fields = self._pinned.get(oid, {})
            out.add(next((pinned for field, pinned in fields.items()
                          if path.endswith(f"json.{field}")), oid))
        return frozenset(out)

    def _stores_written_then_read(self) -> tuple[dict[str, list[StoreKey]],
                                                 dict[StoreKey, list[str]]]:
        """(reader step → the named stores it reads that some step writes, store → its
        writers): what one flow writes to a file or table, another reads back (stored
        injection, data kept for later). Each store is one summary of what its writers are
        given, so a store written by many and read by many costs writers + readers, not
        writers x readers."""
        writers: dict[StoreKey, list[str]] = {}
        readers: dict[StoreKey, list[str]] = {}
        for store in self.app.stores:
            location = store.location.strip()
            if not _named(location):
                continue  # named at run time: which store is unknown
            side = writers if store.operation == "write" else readers
            side.setdefault((store.kind, location), []).append(store.step_id)
        read: dict[str, list[StoreKey]] = {}
        for key, steps in readers.items():
            if key in writers:
                for reader in dict.fromkeys(steps):
                    read.setdefault(reader, []).append(key)
        return read, {key: ws for key, ws in writers.items() if key in readers}

    def _coming_back(self, sid: str) -> frozenset[str]:
        """The steps wired to ``sid`` that its loop output reaches without passing ``sid``
        again: what they send is what comes back around the loop."""
        seen: set[str] = set()
        stack = list(self._flows[sid].loop_targets)
        while stack:
            current = stack.pop()
            if current in seen or current == sid:
                continue
            seen.add(current)
            step = self.app.step(current)
            stack.extend(step.outbound if step is not None else ())
        return frozenset(s for s in self.app.inbound(sid) if s in seen)

    def _rewrite(self, writer: str) -> set[StoreKey]:
        """Take in what ``writer`` is given now; the stores whose summary changed."""
        written = self._written_now(writer, self._step_input(writer))
        before = self._written.get(writer, frozenset())
        if written == before:
            return set()
        self._written[writer] = written
        changed = set()
        for key in self._writes_to[writer]:
            held = self._held.get(key, frozenset())
            if before <= written:  # the usual case: it only grows
                new = held | written
            else:  # a writer's input lost an origin: join every writer's again
                new = frozenset().union(*(self._written.get(w, frozenset())
                                          for w in self._store_writers[key]))
            if new != held:
                self._held[key] = new
                changed.add(key)
        return changed

    def _written_now(self, writer: str, state: State) -> frozenset[int]:
        """What ``writer`` puts in its stores given ``state``: its item (every field) unless
        it stores only what its parameters read (StepFlow.stores_item), and those values."""
        flow = self._flows[writer]
        if flow.stores_item:
            return _field(state, "*")
        return frozenset().union(*(self._resolve(r, state, writer) for r in flow.stored))

    def _resolve(self, ref: ValueRef, state: State, at: str, *,
                 whole: bool = True) -> frozenset[int]:
        """The origin ids of what ``ref`` reads at ``at``. A placed read (``within``) marks
        each origin with where the text put it. A value put into a new text (``whole`` false:
        a template, a JSONata expression) or used by code, which may put it anywhere, is read
        without where an earlier text had it; only one copied whole keeps that."""
        if ref.within == AS_KEPT:  # code copying a kept value whole: its placements hold
            return self._resolve_plain(replace(ref, within=""), state, at)
        if ref.within:
            found = self._expand(self._resolve(replace(ref, within=""), state, at), at)
            return frozenset(self._placed(o, ref.within) for o in found)
        found = self._resolve_plain(ref, state, at)
        if self._unplaced and (not whole or ref.name == "*"
                               or self._flows.get(at, _DROP).authored_code):
            return self._plain(found)
        if self._unplaced and ref.kind == "field" and ref.path not in ("", ref.name,
                                                                       f"msg.{ref.name}"):
            # a key of a value held whole (msg.payload.cmd of a parsed query) is that key's
            # text, not the whole object
            return frozenset(self._unplaced.get(o, o) if self._origins[o].within
                             in WHOLE_ONLY else o for o in found)
        return found

    def _placed(self, oid: int, within: str) -> int:
        origin = self._origins[oid]
        if origin.kind in SAFE_KINDS or origin.within == within:
            return oid
        plain = self._unplaced.get(oid, oid)
        placed = self._oid(replace(self._origins[plain], within=within))
        self._unplaced[placed] = plain
        return placed

    def _plain(self, oids: frozenset[int]) -> frozenset[int]:
        unplaced = self._unplaced
        return frozenset(unplaced.get(o, o) for o in oids) if unplaced else oids

    def _resolve_plain(self, ref: ValueRef, state: State, at: str) -> frozenset[int]:
        kind = ref.kind
        if kind == "store" and ref.name in self._kept_readers_of \
                and not ref.name.endswith(" *"):
            return self._read_kept(ref.name)
        if kind == "store" and ref.name.endswith("*") \
                and ref.name.startswith(SHARED_CONTEXT_STORES):
            names = _under(ref.name, self._kept_readers_of)
            if names:  # a key chosen at run time reads one of those the app sets
                return frozenset().union(*(self._kept.get(n, frozenset()) for n in names))
        if kind == "store" and ref.name in HOST_MODULES \
                and "global context *" not in self._kept_readers_of:
            return frozenset({self._oid(HOST_MODULES[ref.name])})
        if kind == "field":
            found = _field(state, _sub_key(ref, state))
            found = self._pin(ref, found) if self._pinned else found
            return self._assigned_keys(ref, found)
        if kind == "key":  # a key column of the rows in a field: a database's keys are no text
            return self._row_keys(_field(state, ref.name))
        if kind == "step":
            source = self._out.get(ref.step)
            if not source:
                return frozenset()
            found = _field(source, ref.name)
            found = self._pin(ref, found) if self._pinned else found
            return self._assigned_keys(ref, found)
        if kind == "ai" and not ref.step:  # $fromAI: what the calling agent wrote
            answers = frozenset(o for o in self._expand(_field(state, "*"), at)
                                if self._origins[o].kind == "ai")
            return answers or frozenset({self._rooted(Origin("ai", ref.name, at), at)})
        if kind in SAFE_KINDS:
            step_id = at if kind == "constant" and ref.name not in ("", "*") else ""
            detail = "" if ref.name == "*" else ref.name
            return frozenset({self._oid(Origin(kind, detail, step_id))})
        return frozenset({self._rooted(Origin(kind, ref.name, ref.step or at), at)})

    def _row_keys(self, found: frozenset[int]) -> frozenset[int]:
        """``found`` with the rows a database returned read as their key column: an id or a
        time the database made, no text of anyone's (what other stores and requests hold
        stays as it is: a key of request data is the request's). A table the app also writes
        is read as a token of what its writers gave (:meth:`_token`); its key column is
        still the database's, not what was written into the other columns."""
        return frozenset(self._oid(ROW_KEY) if self._origins[o].kind in ("store", "held")
                         and self._origins[o].detail.startswith("database ") else o
                         for o in found)

    def _assigned_keys(self, ref: ValueRef, found: frozenset[int]) -> frozenset[int]:
        """``found`` read through ``ref``: a row's key column is the database's key, a field
        a service assigns in its response is the service's (both: ``$json.id``)."""
        if _reads_key_column(ref):
            found = self._row_keys(found)
        elif self._typed_columns and ref.path and (column := ITEM_COLUMN.search(ref.path)):
            found = self._typed_reads(found, column.group(1).lower())
        return self._service_keys(found) if _reads_assigned_field(ref) else found

    def _typed_reads(self, found: frozenset[int], column: str) -> frozenset[int]:
        """``found`` read as ``column`` of rows: a number (or boolean, time, uuid) where the
        table read, written by the app or not, types that column so in the app's schema."""
        typed = self._typed_columns
        return frozenset(self._oid(TYPED_COLUMN) if self._origins[o].kind in ("store", "held")
                         and column in typed.get(self._origins[o].detail, ()) else o
                         for o in found)

    def _service_keys(self, found: frozenset[int]) -> frozenset[int]:
        """``found`` with a service's response read as a field the service assigns (the id
        of what it created, a time it stamped): the service's own key, not text of unknown
        origin. Only the response itself: what a caller gave (a target it chose, an item
        passed along) keeps its origin, so an id a caller supplies stays the caller's."""
        return frozenset(self._oid(SERVICE_KEY) if self._origins[o].kind == "unknown"
                         and self._origins[o].detail.startswith(RESPONSE_PREFIX) else o
                         for o in found)

    def _kept_readers(self) -> dict[str, set[str]]:
        """Store name → the steps that read it back, for the names the app sets itself; a
        name set under a key chosen at run time (``name *``) is read by every key's readers."""
        kept = {w.field for flow in self._flows.values() for w in flow.keeps}
        readers: dict[str, set[str]] = {name: set() for name in kept}
        for sid, flow in self._flows.items():
            for ref in _refs(flow):
                if ref.kind == "store" and ref.name.endswith("*") \
                        and ref.name.startswith(SHARED_CONTEXT_STORES):
                    for name in _under(ref.name, kept):  # a key chosen at run time: any
                        readers[name].add(sid)
                if ref.kind != "store" or ref.name not in kept or ref.name.endswith(" *"):
                    continue
                readers[ref.name].add(sid)
                wildcard = ref.name.rsplit(" ", 1)[0] + " *"
                if wildcard in readers:
                    readers[wildcard].add(sid)
        return readers

    def _read_kept(self, name: str) -> frozenset[int]:
        """What a read of a store key the app itself sets holds: what the app puts there
        (a paging counter, a table picked in the dashboard), not "a store" of unknown
        content. Values set under a key chosen at run time count for every key."""
        wildcard = name.rsplit(" ", 1)[0] + " *"
        return self._kept.get(name, frozenset()) | self._kept.get(wildcard, frozenset())

    def _keep(self, flow: StepFlow, state: State, sid: str, out: State) -> set[str]:
        """Add what the step sets in stores to what they hold; the readers to walk again."""
        again: set[str] = set()
        for write in flow.keeps:
            value = frozenset().union(*(self._resolve(r, state, sid) for r in write.value))
            held = self._kept.get(write.field, frozenset())
            if not value <= held:
                self._kept[write.field] = held | value
                again |= self._kept_readers_of[write.field]
            shape = _kept_keys(flow, write, out)
            if shape is None:
                plain = self._kept_plain.get(write.field, frozenset())
                if not value <= plain:
                    self._kept_plain[write.field] = plain | value
                    again |= self._kept_readers_of[write.field]
                continue
            shapes = self._kept_shape.setdefault(write.field, {})
            old = shapes.get(sid, {})
            shape = {key: oids | old.get(key, frozenset()) for key, oids in shape.items()}
            shape[""] = shape.get("", frozenset()) | value
            if shape != old:
                shapes[sid] = shape
                again |= self._kept_readers_of[write.field]
        return again

    def _read_kept_keys(self, name: str) -> dict[str, frozenset[int]]:
        """The keys an object kept under store key ``name`` holds apart (sub-key -> what it
        holds), when a writer kept one whose keys its state held apart: each writer adds what
        it put under that key, or what the rest of its object (else all of it) held. Empty when
        no writer keeps such an object."""
        wildcard = name.rsplit(" ", 1)[0] + " *"
        writers = [*self._kept_shape.get(name, {}).values(),
                   *self._kept_shape.get(wildcard, {}).values()]
        keys = {key for shape in writers for key in shape if key}
        if not keys:
            return {}
        plain = self._kept_plain.get(name, frozenset()) \
            | self._kept_plain.get(wildcard, frozenset())
        held: dict[str, frozenset[int]] = {}
        for key in sorted(keys):
            found = plain
            for shape in writers:
                pseudo = {("x." + k if k else "x"): v for k, v in shape.items()}
                found |= _field(pseudo, "x." + key)
            held[key] = found
        return held

    def _rooted(self, origin: Origin, at: str) -> int:
        return self._oid(origin)

    # -- store tokens --------------------------------------------------------------------
    def _token(self, key: StoreKey) -> int:
        """The one origin id a read of ``key`` adds: what the store holds, unexpanded."""
        token = self._oid(Origin("held", f"{key[0]} {key[1]}"))
        if token not in self._tokens:
            self._tokens[token] = key
            self._token_ids = self._token_ids | {token}
        return token

    def _expand(self, oids: frozenset[int], at: str = "") -> frozenset[int]:
        """``oids`` with each store token replaced by the origins the store holds, through
        stores written with what other stores held. During the walk, ``at`` is the step
        asking: it is walked again when one of those stores takes in more."""
        tokens = oids & self._token_ids
        if not tokens:
            return oids
        if self._closures is not None:
            return (oids - tokens).union(*(self._closures[t] for t in tokens))
        found, seen = self._reach(tokens)
        for token in seen:
            self._expanded_by.setdefault(self._tokens[token], set()).add(at)
        return (oids - tokens) | found

    def _reach(self, tokens: frozenset[int]) -> tuple[frozenset[int], set[int]]:
        """(the origins the stores of ``tokens`` hold, tokens expanded; the tokens seen)."""
        found: set[int] = set()
        seen: set[int] = set()
        stack = list(tokens)
        while stack:
            token = stack.pop()
            if token in seen:
                continue
            seen.add(token)
            held = self._held.get(self._tokens[token], frozenset())
            inner = held & self._token_ids
            found.update(held - inner)
            stack.extend(inner)
        return frozenset(found), seen

    def _close(self) -> None:
        """Each token's expansion, once the walk is done (stores hold no more after it)."""
        self._closures = {token: self._reach(frozenset({token}))[0] for token in self._tokens}

    # -- propagation ---------------------------------------------------------------------
    def _input(self, node: str, skip: frozenset[str] = frozenset()) -> State:
        """The union of what the inbound nodes (but those of steps in ``skip``) emit; a loop
        sends its loop output only what entered it from outside."""
        loops, graph = self._loop_edges, self._graph
        if loops or skip:
            sid = graph.step_of(node)
            emitted = [out for source in graph.inbound(node)
                       if graph.step_of(source) not in skip
                       and (out := (self._loop_out.get(source)
                                    if (graph.step_of(source), sid) in loops
                                    else self._sent(source, node)))]
        elif self._out_to:
            emitted = [out for source in graph.inbound(node) if (out := self._sent(source, node))]
        else:
            emitted = [out for source in graph.inbound(node) if (out := self._out.get(source))]
        return _union(emitted)

    def _sent(self, source: str, node: str) -> State | None:
        """What ``source`` sends ``node``: what the output wired to it gives, for a step
        whose outputs differ, else its one output."""
        to = self._out_to.get(source)
        if to:
            sent = to.get(self._graph.step_of(node))
            if sent is not None:
                return sent
        return self._out.get(source)

    def _per_output(self, step: Step, flow: StepFlow, state: State) -> dict[str, State]:
        """Step id → what ``step`` sends it, for each step its outputs (StepFlow.outputs)
        are wired to: its input with that output's writes (joined, for a step several of
        them are wired to)."""
        sent: dict[str, list[State]] = {}
        for targets, writes in flow.outputs:
            out = self._transfer(step, flow, state, writes)
            for target in targets:
                sent.setdefault(target, []).append(out)
        return {target: self._shared(_union(states)) for target, states in sent.items()}

    def _step_input(self, sid: str) -> State:
        """What reaches ``sid`` in any of the contexts it runs in, during the walk."""
        if not self._graph.expanded:
            return self._input(sid)
        return _union([self._input(node) for node in self._graph.nodes_of(sid)])

    def _transfer(self, step: Step, flow: StepFlow, state: State,
                  writes: tuple[FieldWrite, ...] | None = None) -> State:
        """What ``step`` sends on given ``state``: with ``flow.writes``, or with ``writes``
        (one of its outputs')."""
        sid = step.id
        writes = flow.writes if writes is None else writes
        if flow.output == "pass" and not writes and state and sid not in self._entries \
                and sid not in self._stores_read:
            return state  # most steps: the message goes on as it came
        if flow.output == "fresh":
            out: State = {"*": frozenset()}
        elif flow.output == "mix":  # code we cannot follow: it may place values anywhere
            out = {"*": self._plain(_field(state, "*"))} if state else {"*": frozenset()}
        else:
            out = dict(state) if state else {"*": frozenset()}
        for write in writes:
            whole = len(write.value) == 1  # copied as it is, not put into a new text
            value = frozenset().union(*(self._resolve(r, state, sid, whole=whole)
                                        for r in write.value))
            if write.field == "*":
                out = {"*": value} if write.strong else {k: v | value for k, v in out.items()}
            else:
                _write(out, write.field, value, write.strong)
                if write.strong and whole and self._kept_shape:
                    self._copy_kept_keys(write, out)
        for key in self._stores_read.get(sid, ()):  # (not in what the step computes itself)
            token = frozenset({self._token(key)})
            out = {k: v if k in computed else v | token for k, v in out.items()} \
                if (computed := _computed_fields(flow)) else {k: v | token for k, v in out.items()}
        entry = self._entries.get(sid)
        if entry is not None and flow.entry_fields is None:
            out = {k: v | {entry} for k, v in out.items()}
        elif entry is not None:  # only the fields the entry fills are the caller's
            placed = dict(flow.entry_within)
            for name in flow.entry_fields:
                oid = self._placed(entry, placed[name]) if name in placed else entry
                _write(out, name, frozenset({oid}), strong=False)
        return out

    def _copy_kept_keys(self, write: FieldWrite, out: State) -> None:
        """A field set to an object read whole from a store key whose writers kept its keys
        apart (``msg.t = global.get("T")``): the field holds those keys apart too."""
        (ref,) = write.value
        if ref.kind != "store" or ref.name not in self._kept_readers_of:
            return
        for key, oids in self._read_kept_keys(ref.name).items():
            out[f"{write.field}.{key}"] = oids

    def _run(self) -> None:
        app = self.app
        dependents: dict[str, list[str]] = {}
        for sid, flow in self._flows.items():
            for ref in _refs(flow):
                if ref.kind == "step" and ref.step:
                    dependents.setdefault(ref.step, []).append(sid)
        feeds: dict[str, list[str]] = {}  # step → the store writers it sends to
        for writer in self._writes_to:
            for source in dict.fromkeys(app.inbound(writer)):  # what it is given, it writes
                feeds.setdefault(source, []).append(writer)
        graph = self._graph
        queue = deque(graph.nodes())
        queued = set(queue)
        while queue:
            node = queue.popleft()
            queued.discard(node)
            sid = graph.step_of(node)
            step = app.step(sid)
            flow = self._flows.get(sid)
            if step is None or flow is None:
                continue
            if flow.output == "drop" or node in self._unreached_nodes \
                    or graph.fed_elsewhere(node):
                self._out[node] = {}
                continue
            if self._live[node]:
                state = self._input(node)
            elif flow.starts or sid in self._entries:
                state = {}
            else:
                state = self._unshown_input(sid, flow)
            new = self._transfer(step, flow, state)
            readers = self._keep(flow, state, sid, new) if flow.keeps else set()
            changed = new != self._out.get(node)
            if flow.outputs:
                sent = self._per_output(step, flow, state)
                if sent != self._out_to.get(node):
                    self._out_to[node] = sent
                    changed = True
            if flow.loop_targets:
                outside = self._input(node, self._returns[sid]) if self._live[node] else state
                batches = self._transfer(step, flow, outside) if outside else {}
                if batches != self._loop_out.get(node):
                    self._loop_out[node] = batches
                    changed = True
            if changed:
                self._out[node] = self._shared(new)
            # what a writer is given changes with its senders; what one that stores only its
            # parameters' values (StepFlow.stores_item) writes, with the steps they read too
            for writer in (*(feeds.get(sid, ()) if changed else ()),
                           *((sid,) if not flow.stores_item and sid in self._writes_to
                             else ())):
                for key in self._rewrite(writer):  # its readers hold its token
                    readers.update(self._expanded_by.get(key, ()))
            steps_again = (*(dependents.get(sid, ()) if changed else ()), *sorted(readers))
            for target in (*(graph.outbound(node) if changed else ()),
                           *(n for s in steps_again for n in graph.nodes_of(s))):
                if target not in queued and graph.step_of(target) in self._flows:
                    queued.add(target)
                    queue.append(target)

    def _shared(self, state: State) -> State:
        """``state`` as one object for all steps whose outputs are equal (fields in the same
        order), each set of origins one object for all states that hold the same: most
        steps' outputs repeat another's (on 2,000 generated workflows 42,000 sets, 13,000
        different; 34,500 states, 17,500 different), and the states are kept for the checks'
        questions after the walk. No state is changed once made (a step that passes its
        input on emits that very state)."""
        sets = self._sets
        items = tuple((key, sets.setdefault(oids, oids)) for key, oids in state.items())
        shared = self._states.get(items)
        if shared is None:
            shared = self._states[items] = dict(items)
        return shared

    # -- questions the checks ask --------------------------------------------------------
    def input_of(self, step_id: str) -> State:
        """What reaches the step (field → origin ids, stores' tokens unexpanded), as its
        sinks see it."""
        state = self._inputs.get(step_id)
        if state is None:
            state = self._inputs[step_id] = self._input_of(step_id)
        return state

    def _input_of(self, step_id: str) -> State:
        if self._flows.get(step_id, _DROP).output == "drop" or step_id in self._unreached:
            return {}
        step = self.app.step(step_id)
        if step is None:
            return {}
        graph = self._graph
        if not graph.expanded:
            return self._node_input(step_id)
        return _union([self._node_input(n) for n in graph.nodes_of(step_id)
                       if not graph.fed_elsewhere(n) and n not in self._unreached_nodes])

    def _node_input(self, node: str) -> State:
        """What reaches one node (of a step that runs), as the walk gave it."""
        if self._live.get(node):
            return self._input(node)
        step_id = self._graph.step_of(node)
        flow = self._flows[step_id]
        if flow.starts or step_id in self._entries:
            return {}
        return self._unshown_input(step_id, flow)

    def _unshown_input(self, sid: str, flow: StepFlow) -> State:
        """The input of a step wired from nowhere: one this app does not show; a called
        workflow's trigger's is a caller's (:data:`CALLER_INPUT`)."""
        detail = CALLER_INPUT if flow.called else NO_INPUT
        return {"*": frozenset({self._rooted(Origin("unknown", detail, sid), sid)})}

    def origins(self, step_id: str, refs: tuple[ValueRef, ...],
                harmless: frozenset[str] = frozenset()) -> tuple[Origin, ...]:
        """Every origin of the values ``refs`` read at ``step_id``, sorted, without the
        placement a step gave it; those only ever placed where ``harmless`` says they can do
        no harm (a sink's :attr:`~pytest_nocode.model.SinkUse.harmless_within`) left out."""
        state = self.input_of(step_id)
        read = frozenset().union(*(self._resolve(r, state, step_id) for r in refs))
        asked = self._answers.get((read, harmless))
        if asked is None:
            found = self._expand(read)
            if self._unplaced:
                found = self._plain(frozenset(o for o in found if not (
                    self._origins[o].within and self._harmless(self._origins[o].within,
                                                               harmless, step_id))))
            asked = array("i", self._ids_in_order(found))
            self._answers_held += len(asked)
            if self._answers_held > ANSWERS_HELD:  # bounded: start again, keep the recent
                self._answers.clear()
                self._answers_held = len(asked)
            self._answers[(read, harmless)] = asked
        return tuple(map(self._origins.__getitem__, asked))

    def answer_reads(self, step_id: str) -> tuple[tuple[str, str], ...]:
        """(reading step, path) of each field a step reads off what ``step_id`` itself put
        into the message (an HTTP request's answer: ``msg.payload.auth.password_hash``,
        ``$json.token``): the step's own values, not what it passed on, reaching the reads a
        later step's description names, or a read of that step's output by its name."""
        flow = self._flows.get(step_id)
        if flow is None:
            return ()
        own = frozenset().union(*(self._resolve_plain(ref, {}, step_id)
                                  for write in flow.writes for ref in write.value
                                  if ref.kind not in ("field", "step", *SAFE_KINDS)))
        index = self._reads_of()
        named = index.get(step_id, [])  # $('HTTP Request').json.token
        return tuple(dict.fromkeys((*named, *(read for oid in own
                                              for read in index.get(oid, ())))))

    def _reads_of(self) -> dict[int | str, list[tuple[str, str]]]:
        """Origin id (or, for a read of a named step's output, that step's id) → (step, path)
        of each read a running step's description names of a field holding that origin in
        its input; built once."""
        if self._read_index is None:
            index: dict[int | str, list[tuple[str, str]]] = {}
            for sid, flow in self._flows.items():
                reads = _named_reads(flow)
                if not reads or not self._runs(sid):
                    continue
                state = self.input_of(sid)
                for ref in reads:
                    if ref.kind == "step":
                        index.setdefault(ref.step, []).append((sid, ref.path))
                        continue
                    for oid in _field(state, ref.name):
                        index.setdefault(oid, []).append((sid, ref.path))
            self._read_index = index
        return self._read_index

    def _harmless(self, within: str, harmless: frozenset[str], step_id: str) -> bool:
        """Is a value placed ``within`` a text harmless where ``harmless`` says? A placement
        past a URL base read from a context key holds when the key holds a fixed host of the
        owner's: what the app itself puts there, only from constants and host facts."""
        if within in harmless:
            return True
        placed, base = kept_base(within)
        if not base or (placed not in harmless and not (
                placed == IN_URL_PATH_OWN and IN_URL_PATH_INTERNET in harmless)):
            return False
        held = self.origins(step_id, (ValueRef("store", base),))
        if not held or any(o.kind not in SETTING_KINDS for o in held):
            return False
        # a base the app builds from the host's own facts (the address of its network
        # interface, its host name) names this host as its network reaches it: the service
        # there answers the app's callers themselves, as an internet host's does, so a path
        # value gains them only what this request adds (harmless unless it authenticates)
        return placed in harmless or any(o in HOST_FACT_ORIGINS for o in held)

    def _in_order(self, oids: frozenset[int]) -> tuple[Origin, ...]:
        """The origins of ``oids`` sorted by :func:`_order` (see :meth:`_ids_in_order`)."""
        return tuple(map(self._origins.__getitem__, self._ids_in_order(oids)))

    def _ids_in_order(self, oids: frozenset[int]) -> list[int]:
        """``oids`` sorted by their origins' :func:`_order`. A store's closure makes
        thousands of origins reach each of its readers' sinks on a large org (5,500 at
        20,000 workflows), so rather than one ``_order`` key per origin per question they
        are sorted by their rank among every origin known (:attr:`_rank`, ranked again once
        a tenth more are known); the few origins newer than the ranking (a sink's own
        constants, made when it is first asked about) are put in place by ``_order``."""
        origins, rank = self._origins, self._rank
        if len(origins) > len(rank) * 1.1 + 64:
            rank = self._rank = [0] * len(origins)
            for position, oid in enumerate(sorted(range(len(origins)),
                                                  key=lambda o: _order(origins[o]))):
                rank[oid] = position
        ranked = len(rank)
        if not oids or max(oids) < ranked:
            return sorted(oids, key=rank.__getitem__)
        ordered = sorted((o for o in oids if o < ranked), key=rank.__getitem__)
        for oid in oids:
            if oid >= ranked:
                insort(ordered, oid, key=lambda o: _order(origins[o]))
        return ordered

    def sinks(self, kinds: frozenset[str] | None = None) -> Iterator[SinkFlow]:
        """Each sink of an enabled, non-config step (of ``kinds``), with its origins."""
        for step in self.app.steps:
            if step.disabled or step.is_config or step.id in self._unreached:
                continue
            for sink in self._flows[step.id].sinks:
                if kinds is None or sink.kind in kinds:
                    yield SinkFlow(step, sink, self.origins(step.id, sink.reads,
                                                            sink.harmless_within))

    def sinks_of(self, step_id: str, kinds: frozenset[str] | None = None) -> list[SinkFlow]:
        step = self.app.step(step_id)
        if step is None:
            return []
        return [SinkFlow(step, s, self.origins(step_id, s.reads, s.harmless_within))
                for s in self._flows[step_id].sinks if kinds is None or s.kind in kinds]

    def whole_item_fills(self, name: str) -> frozenset[str]:
        """The steps that fill field ``name`` with the whole item they are given (``content:
        JSON.stringify(item.json)``, a Set field holding ``{{ $json }}``), from the walk's own
        descriptions: found once per app, not by describing the steps of each route again."""
        if self._whole_fills is None:
            fills: dict[str, set[str]] = {}
            for sid, flow in self._flows.items():
                for write in flow.writes:
                    if any(r.kind == "field" and r.name == "*" for r in write.value):
                        fills.setdefault(write.field, set()).add(sid)
            self._whole_fills = {field: frozenset(sids) for field, sids in fills.items()}
        return self._whole_fills.get(name, frozenset())

    def route(self, step_id: str, origin: Origin) -> list[str]:
        """Step ids from where ``origin`` entered the flow to ``step_id``: the shortest way
        back through steps whose output holds it (wires, ``$('Node')`` reads, stores)."""
        oid = self._origin_ids.get(origin)
        if oid is None or not origin.step_id or origin.step_id == step_id:
            return [step_id]
        holding = self._holding(oid)
        step_of = self._graph.step_of
        parents = {node: node for node in self._graph.nodes_of(step_id)}
        queue = deque(parents)
        while queue:
            current = queue.popleft()
            for source in self._predecessors(current):
                if source in parents or holding.isdisjoint(self._whole_out(source)):
                    continue
                parents[source] = current
                if step_of(source) == origin.step_id:
                    route = [source]
                    while parents[route[-1]] != route[-1]:
                        route.append(parents[route[-1]])
                    return [step_of(node) for node in route]
                queue.append(source)
        return [origin.step_id, step_id]

    def calls_carrying(self, step_id: str, origins: Iterable[Origin]
                       ) -> tuple[tuple[str, ...], ...]:
        """The calls in which any of ``origins`` reaches ``step_id``, each as its calling
        steps, outermost first (a subflow instance on a tab, then one inside that subflow):
        which instances' input makes a finding on a node inside a subflow or a called flow.
        None when the step runs outside calls only, or no origin is in its input (a value it
        reads from a store: every call alike)."""
        graph = self._graph
        oids = [oid for o in origins if (oid := self._origin_ids.get(o)) is not None]
        if not graph.expanded or not oids:
            return ()
        holding = frozenset().union(*map(self._holding, oids))
        found = [graph.calls_in(node) for node in graph.nodes_of(step_id)
                 if graph.calls_in(node) and not graph.fed_elsewhere(node)
                 and node not in self._unreached_nodes
                 and not holding.isdisjoint(_field(self._node_input(node), "*"))]
        return tuple(sorted(dict.fromkeys(found)))

    def call_of(self, step_id: str) -> Call | None:
        """The :class:`~pytest_nocode.model.Call` ``step_id`` makes, if it makes one."""
        return self._graph.call(step_id)

    def _holding(self, oid: int) -> frozenset[int]:
        """``oid``, the tokens of the stores that hold it and its placed copies: what a
        step's output holds when it holds that origin. Asked for every route to it, and a
        large org's stores are thousands: kept, until a question places it anew."""
        known = self._holders.get(oid)
        if known is not None and known[0] == len(self._unplaced):
            return known[1]
        holding = frozenset({
            oid, *(t for t, closure in (self._closures or {}).items() if oid in closure),
            *(placed for placed, plain in self._unplaced.items() if plain == oid)})
        self._holders[oid] = (len(self._unplaced), holding)
        return holding

    def _whole_out(self, node: str) -> frozenset[int]:
        """Every origin id and token of the node's output, all fields (fixed after the walk:
        each route asks again for the nodes it passes)."""
        whole = self._out_union.get(node)
        if whole is None:
            whole = self._out_union[node] = _field(self._out.get(node, {}), "*")
        return whole

    def reaches_unreplaced(self, step_id: str, origin: Origin, field: str) -> bool:
        """Can ``origin`` reach ``step_id`` along some way on which no step in between sets
        ``field`` anew (a strong write)? Code may carry any value anywhere, so a URL one
        function sets still taints the next; but when the next function sets ``msg.url``
        itself, the request it feeds is not sent to the first one's URL."""
        if not origin.step_id or origin.step_id == step_id:
            return True
        step_of = self._graph.step_of
        seen = set(self._graph.nodes_of(step_id))
        queue = deque(seen)
        while queue:
            for source in self._predecessors(queue.popleft()):
                if step_of(source) == origin.step_id:
                    return True
                if source in seen or any(w.field == field and w.strong for w in
                                         self._flows.get(step_of(source), _DROP).writes):
                    continue
                seen.add(source)
                queue.append(source)
        return False

    def _predecessors(self, node: str) -> Iterator[str]:
        """The nodes a node's input or its reads come from: wires, ``$('Node')`` reads (every
        node of that step) and the writers of the stores it reads."""
        graph = self._graph
        yield from graph.inbound(node)
        sid = graph.step_of(node)
        for ref in _refs(self._flows.get(sid, _DROP)):
            if ref.kind == "step" and ref.step:
                yield from graph.nodes_of(ref.step)
        for key in self._stores_read.get(sid, ()):
            for writer in self._store_writers[key]:
                yield from graph.nodes_of(writer)

    def untrusted_behind(self, origin: Origin) -> tuple[Origin, list[str]] | None:
        """(the untrusted entry, its route to ``origin``'s step) when ``origin`` is an entry
        point, or an AI answer driven by one (the prompt reaches the model), else None."""
        if origin.kind == "entry":  # (asked of each of a sink's thousands of origins)
            return origin, [origin.step_id]
        return self._behind(origin, _is_entry, set()) if origin.kind == "ai" else None

    def behind(self, origin: Origin, outside: Callable[[Origin], bool]
               ) -> tuple[Origin, list[str]] | None:
        """(the first origin ``outside`` accepts, its route to ``origin``'s step) when
        ``origin`` is one, or an AI answer whose prompt it reaches (through other models'
        answers): :meth:`untrusted_behind` for a check's own notion of outside text (an
        entry point switched off today, what a caller not shown passes in)."""
        return self._behind(origin, outside, set())

    def _behind(self, origin: Origin, outside: Callable[[Origin], bool], seen: set[str]
                ) -> tuple[Origin, list[str]] | None:
        if outside(origin):
            return origin, [origin.step_id]
        if origin.kind != "ai" or origin.step_id in seen:
            return None
        seen.add(origin.step_id)
        prompts = [s.reads for s in self._flows.get(origin.step_id, _DROP).sinks
                   if s.kind in PROMPT_SINKS]
        if prompts:  # what the model is prompted with: its input and what its prompt reads
            found_ids = frozenset().union(*(self._resolve(r, self.input_of(origin.step_id),
                                                          origin.step_id)
                                            for refs in prompts for r in refs))
        else:
            found_ids = _field(self.input_of(origin.step_id), "*")
        found_ids = self._plain(self._expand(found_ids))
        for behind in self._in_order(found_ids):
            found = self._behind(behind, outside, seen)
            if found is not None:
                entry, route = found
                return entry, [*route[:-1], *self.route(origin.step_id, behind)]
        return None

    def prompted_with(self, step_id: str) -> frozenset[Origin]:
        """Every origin of the text the model at ``step_id`` is prompted with, an agent's
        answer counted as what prompted that agent (a chat-model sub-node is given the text
        its agent was)."""
        seen: set[str] = set()
        found: set[Origin] = set()
        todo = [step_id]
        while todo:
            sid = todo.pop()
            if sid in seen:
                continue
            seen.add(sid)
            for sf in self.sinks_of(sid, PROMPT_SINKS):
                for origin in sf.origins:
                    if origin.kind == "ai" and origin.step_id:
                        todo.append(origin.step_id)
                    else:
                        found.add(origin)
        return frozenset(found)

    def trust(self, origin: Origin) -> str:
        """``safe`` (constants, env references, platform values), ``untrusted`` (an entry
        point, or an AI answer it drives), ``internal`` (a read of a store only this app is
        seen to fill, and only with values of known origin: :meth:`internal_stores`) or
        ``other`` (other stores, service responses, unknown)."""
        if origin.kind in SAFE_KINDS:
            return "safe"
        if self.untrusted_behind(origin):
            return "untrusted"
        if origin.kind == "store" and (self._internal_read(origin, self.internal_stores())
                                       or self._own_script(origin)
                                       or self._own_service(origin)):
            return "internal"
        return "other"

    def _internal_read(self, origin: Origin, internal: frozenset[StoreKey] | set[StoreKey]
                       ) -> bool:
        """Does the ``store`` origin read a store in ``internal``, or a reference table of
        the app's own database (:meth:`_reference_tables`) whose tables are all there?"""
        if self._store_read(origin) in internal:
            return True
        beside = self._reference_tables().get((origin.step_id, origin.detail))
        return beside is not None and beside <= internal

    def _own_service(self, origin: Origin) -> bool:
        """Is ``origin`` what a service on the app's own host answered a fixed request
        (:data:`~pytest_nocode.model.OWN_SERVICE`, the adapter's judgement), and does no
        other step send that host values (which it might keep and answer with later)?"""
        if not origin.detail.startswith(f"{OWN_SERVICE} "):
            return False
        if self._fed_services is None:  # once per app
            readers = {s.step_id for s in self.app.stores if s.kind == OWN_SERVICE}
            self._fed_services = frozenset(d.host.lower() for d in self.app.destinations
                                           if d.step_id not in readers and d.host)
        reader = next((d for d in self.app.destinations if d.step_id == origin.step_id), None)
        return reader is not None and reader.host.lower() not in self._fed_services

    def _own_script(self, origin: Origin) -> bool:
        """Is ``origin`` a read of a fixed script file (an admin's ``.sql``) that no step of
        this app writes, nor could (no file written under a name chosen at run time)? Its
        text is the deployment's own code, as much as the flow is."""
        if self._scripts is None:  # once per app: asked for every store origin of each sink
            self._scripts = self._own_script_reads()
        return (origin.step_id, origin.detail) in self._scripts

    def _own_script_reads(self) -> frozenset[tuple[str, str]]:
        """(reader step, origin detail) of every read of a script file :meth:`_own_script`
        calls the deployment's own: none when some file is written under a run-time name."""
        written: set[str] = set()
        for store in self.app.stores:
            if store.kind == "file" and store.operation == "write":
                if not _named(store.location):
                    return frozenset()
                written.add(store.location.strip())
        first: dict[tuple[str, str], DataStore] = {}
        for store in self.app.stores:  # the first store a step reads under that detail
            if store.operation == "read":
                first.setdefault((store.step_id, f"{store.kind} {store.location.strip()}"),
                                 store)
        return frozenset(key for key, store in first.items() if store.kind == "file"
                         and is_script_file(store.location)
                         and store.location.strip() not in written)

    def _store_read(self, origin: Origin) -> StoreKey | None:
        """The store a ``store`` origin reads, when its step reads one this app writes."""
        return next((key for key in self._stores_read.get(origin.step_id, ())
                     if f"{key[0]} {key[1]}" == origin.detail), None)

    def internal_stores(self) -> frozenset[StoreKey]:
        """The stores whose every write in this app is of known origin: each writer is given,
        and puts there, only constants, environment references, platform values (its own
        command's output) or what other such stores hold. Read back, they hold nothing
        anyone outside wrote. Second-order injection stays: a store some writer fills with
        an entry point's, a service's or a model's data, one this app never writes (nothing
        says who does), or any store of a kind this app also writes somewhere named only at
        run time, is not internal. A writer wired from nowhere is given unknown input."""
        if self._internal is not None:
            return self._internal
        runtime = {s.kind for s in self.app.stores if s.operation == "write"
                   and not _named(s.location)}
        given = {key: self._expand(frozenset().union(*(self._stored_by(w) for w in writers)))
                 for key, writers in self._store_writers.items() if key[0] not in runtime
                 and any(self._runs(w) for w in writers)}
        internal = set(given)
        shrunk = True
        while shrunk:  # the largest set of stores filled only from safe values and each other
            shrunk = False
            for key in sorted(internal):
                if any(not (o.kind in SAFE_KINDS or (o.kind == "store"
                                                     and self._internal_read(o, internal)))
                       for o in (self._origins[oid] for oid in given[key])):
                    internal.discard(key)
                    shrunk = True
        self._internal = frozenset(internal)
        return self._internal

    def _reference_tables(self) -> dict[tuple[str, str], frozenset[StoreKey]]:
        """(reader step, origin detail) of each read of a database table no step of this app
        writes, through a connection (credential) by which the app writes tables it reads
        back → those tables. A lookup table beside the app's own (a kit list, a concept
        list) is the owner's reference data: it is as internal as they are, and only while
        every one of them is (one filled from outside, and the connection is not only the
        app's own). Sheets and files are not connections: a form's answer sheet is read
        that way. No credential shown, no connection to go by."""
        if self._references is not None:
            return self._references
        by_connection: dict[tuple[str, ...], set[StoreKey]] = {}
        for store in self.app.stores:
            key = (store.kind, store.location.strip())
            step = self.app.step(store.step_id)
            if store.operation == "write" and key in self._store_writers and step is not None \
                    and step.credential_refs:
                by_connection.setdefault(step.credential_refs, set()).add(key)
        references: dict[tuple[str, str], frozenset[StoreKey]] = {}
        for store in self.app.stores:
            key = (store.kind, store.location.strip())
            step = self.app.step(store.step_id)
            if store.kind != "database" or store.operation == "write" or step is None \
                    or not _named(key[1]) or key in self._store_writers:
                continue
            beside = {k for k in by_connection.get(step.credential_refs, ()) if k[0] == key[0]}
            if beside:
                references[(store.step_id, f"{key[0]} {key[1]}")] = frozenset(beside)
        self._references = references
        return references

    def holds_only_settings(self, step_id: str) -> bool:
        """Does every flow or global context value ``step_id`` reads hold only what the app
        itself puts there from constants or platform values (a setting picked in the
        dashboard, a counter, a time), and does it read at least one? A key the app never
        sets, or sets from a message, a store or the environment, is data (fail closed)."""
        origins = self.context_origins(step_id)
        return bool(origins) and all(o.kind in SETTING_KINDS for o in origins)

    def context_origins(self, step_id: str) -> tuple[Origin, ...]:
        """Every origin of the flow or global context values ``step_id`` reads (what the app
        puts in those keys, wherever it does); () when it reads none."""
        flow = self._flows.get(step_id)
        if flow is None:
            return ()
        refs = tuple(dict.fromkeys(
            r for r in (*(v for w in flow.writes for v in w.value),
                        *(v for sink in flow.sinks for v in sink.reads))
            if r.kind == "store" and r.name.startswith(SHARED_CONTEXT_STORES)))
        return self.origins(step_id, refs) if refs else ()

    def _runs(self, sid: str) -> bool:
        step = self.app.step(sid)
        return step is not None and not step.disabled and sid not in self._unreached \
            and self._flows.get(sid, _DROP).output != "drop"

    def _stored_by(self, writer: str) -> frozenset[int]:
        """What ``writer`` puts in its stores: the item it is given and what it says it
        stores besides (nothing when it never runs)."""
        if not self._runs(writer):
            return frozenset()
        flow = self._flows[writer]
        state = self.input_of(writer)
        item = _field(state, "*") if flow.stores_item else frozenset()
        return item.union(*(self._resolve(r, state, writer) for r in flow.stored))


_DROP = StepFlow(output="drop")
ANSWERS_HELD = 1 << 20  # origin ids DataFlow.origins keeps answered (4 MB), see _answers


def _reads_key_column(ref: ValueRef) -> bool:
    """Does ``ref`` read the primary key column of an n8n item by path?"""
    return bool(ref.path) and ITEM_PRIMARY_KEY.search(ref.path) is not None


def _reads_assigned_field(ref: ValueRef) -> bool:
    """Does ``ref`` read, by path, a field a service assigns in its response?"""
    return bool(ref.path) and SERVICE_ASSIGNED.search(ref.path) is not None


def service_response(step_name: str) -> ValueRef:
    """What a service answered the step named ``step_name``: of unknown origin, in words
    :meth:`DataFlow._service_keys` knows (the fields the service assigns are its keys)."""
    return ValueRef("unknown", RESPONSE_PREFIX + step_name)


def _is_entry(origin: Origin) -> bool:
    return origin.kind == "entry"


def _named_reads(flow: StepFlow) -> tuple[ValueRef, ...]:
    """The reads a step's description names by path: its own ``reads``, and the values its
    writes and sinks take from a field picked below the top (a change node moving
    ``msg.payload.token``, a template rendering ``{{payload.user.email}}``)."""
    picked = tuple(ref for ref in (*(r for w in flow.writes for r in w.value),
                                   *(r for s in flow.sinks for r in s.reads))
                   if ref.kind in ("field", "step") and ref.name != "*" and ref.path
                   and ref.path not in (ref.name, f"msg.{ref.name}", f"$json.{ref.name}"))
    return (*flow.reads, *picked) if picked else flow.reads


def _under(wildcard: str, names: Iterable[str]) -> list[str]:
    """The context keys among ``names`` that a read under a key chosen at run time can be:
    every key of its store and scope the app sets that starts as the chosen key does
    (``global context cam[*``: ``cam[1]``, ``cam[2]``; ``global context *`` or
    ``flow context [tab] *``: any), and what the app sets under a key it chooses itself."""
    prefix = wildcard[:-1]
    scope = prefix[:prefix.index("] ") + 2] if prefix.startswith("flow context [") \
        and "] " in prefix else next(s for s in SHARED_CONTEXT_STORES if prefix.startswith(s))
    return [n for n in names if n.startswith(prefix) or n == scope + "*"]


def _union(states: list[State]) -> State:
    """The union of ``states`` (shared, not copied, when there is one): a field one of them
    names holds the others' "*" too."""
    if len(states) <= 1:
        return states[0] if states else {}
    state: State = {}
    for out in states:
        for key, oids in out.items():
            known = state.get(key)
            state[key] = oids if known is None else known | oids
    rest = state.get("*", frozenset())
    for out in states:
        for key in state:
            if key not in out:
                state[key] = state[key] | _field(out, key)
    state["*"] = rest
    return state


# A state's key ``F.*``: what every key of field F's value holds that the state does not hold
# apart (``F.K``), set where a step knows which keys of a value it changed and that the rest
# are as they came (a function filling in ``values`` and ``battery`` of each row it was given).
# Without it a key not held apart holds what the whole field holds, those set keys too.
REST = ".*"


def _field(state: Mapping[str, frozenset[int]], name: str) -> frozenset[int]:
    """What field ``name`` holds in ``state``: a sub-key (``search.start``) not held apart
    holds what the rest of the keys of the field it is part of hold (``search.*``), or else
    what that field holds."""
    if name == "*":  # every field: most states hold only the "*" of a whole message
        if len(state) == 1:
            return next(iter(state.values()))
        return frozenset().union(*state.values()) if state else frozenset()
    found = state.get(name)
    while found is None and "." in name:
        outer = name.rsplit(".", 1)[0]
        if not name.endswith(REST):  # the rest of the keys of the field it is part of
            found = state.get(outer + REST)
        if found is None:
            found = state.get(outer)
        name = outer
    return found if found is not None else state.get("*", frozenset())


def _write(out: State, name: str, value: frozenset[int], strong: bool) -> None:
    """Set field ``name`` of ``out`` (a sub-key ``search.start`` too) to ``value`` (``strong``)
    or add ``value`` to what it holds. A sub-key set anew holds only its value; the whole of
    each field it is part of (``search``) holds it besides what it held, and the other keys
    of that field (``search.*``) hold what it held before. A field set anew holds none of
    what its sub-keys held; one added to adds to each of them."""
    inside = name + "."
    below = [key for key in out if key.startswith(inside)] if len(out) > 1 else []
    if strong and "." in name and not name.endswith(REST):
        outer = name
        while "." in outer:
            outer = outer.rsplit(".", 1)[0]
            if outer + REST not in out:
                out[outer + REST] = _field(out, outer + REST)
    if strong:
        for key in below:
            del out[key]
        out[name] = value
    else:
        for key in below:
            out[key] = out[key] | value
        out[name] = _field(out, name) | value
    while "." in name:
        name = name.rsplit(".", 1)[0]
        out[name] = _field(out, name) | value


# The properties of a message path as written (``msg.search.start``, ``payload.rows``): names
# joined by dots, up to the first computed or indexed part
_PATH_PART = re.compile(r"[A-Za-z_$][\w$]*")


def _kept_keys(flow: StepFlow, write: FieldWrite, out: State
               ) -> dict[str, frozenset[int]] | None:
    """The keys a step keeping an object whole in a store (``global.set("T", msg.t)``) holds
    apart in its output (sub-key -> what it holds, "" the whole), when the step's own writes
    set some of those keys (``msg.t.agenda = msg.payload``) and the store write reads nothing
    but that field and what those writes put into it; None otherwise."""
    fields = [r for r in write.value if r.kind == "field" and r.path in ("", f"msg.{r.name}")
              and any(w.field.startswith(r.name + ".") for w in flow.writes)]
    if len(fields) != 1:
        return None
    name = fields[0].name
    inside = name + "."
    parts = [w for w in flow.writes if w.field.startswith(inside)]
    if not set(write.value) - {fields[0]} <= {r for w in parts for r in w.value}:
        return None
    shape = {key[len(inside):]: oids for key, oids in out.items() if key.startswith(inside)}
    if not shape:
        return None
    shape[""] = _field(out, name)
    return shape


def _sub_key(ref: ValueRef, state: Mapping[str, frozenset[int]]) -> str:
    """The key of ``state`` a field read ``ref`` reads: its top-level field, or the deepest
    sub-key of its path the state holds apart (``search.start`` of ``msg.search.start``)."""
    name = ref.name
    path = ref.path
    if not path or len(state) < 2 or "." not in path:
        return name
    inside = name + "."
    if not any(key.startswith(inside) for key in state):
        return name
    parts: list[str] = []
    for part in path.removeprefix("msg.").split("."):
        if not _PATH_PART.fullmatch(part):
            break
        parts.append(part)
    if not parts or parts[0] != name:
        return name
    key = name
    for depth in range(len(parts), 1, -1):
        candidate = ".".join(parts[:depth])
        if candidate in state:
            key = candidate
            break
        if (rest := ".".join(parts[:depth - 1]) + REST) in state:
            key = rest
            break
    return key


def _computed_fields(flow: StepFlow) -> frozenset[str]:
    """Fields a step sets itself to values of known origin (a count its query computes): they
    hold none of what a store it reads holds."""
    return frozenset(w.field for w in flow.writes if w.strong and w.field != "*" and w.value
                     and not carries_data(w.value))


def _named(location: str) -> bool:
    """Does a store's location name one store (not left empty, nor computed at run time)?"""
    location = location.strip()
    return bool(location) and not location.startswith("=") and "{{" not in location


# the entry point whose request a check in code can pin (an n8n webhook: a Mini App's back end)
PINNING_ENTRY = "n8n-nodes-base.webhook"
# which item of a step's output an n8n expression picks: the same field of each
_ITEM_PICK = re.compile(r"\.(?:first|last)\(\s*\)|\.item\b|\.all\(\s*\)\[\d+\]")


def _refs(flow: StepFlow) -> Iterator[ValueRef]:
    for write in (*flow.writes, *flow.keeps):
        yield from write.value
    for sink in flow.sinks:
        yield from sink.reads


_KIND_ORDER = {"entry": 0, "ai": 1, "unknown": 2, "store": 3, "env": 4, "platform": 5,
               "constant": 6}


def _order(origin: Origin) -> tuple[int, str, str]:
    return (_KIND_ORDER.get(origin.kind, 9), origin.step_id, origin.detail)


@per_app
def dataflow(app: App) -> DataFlow:
    """The app's data flow, computed once per App and shared by every check.

    The walk makes many small sets and maps that all stay alive, which in a process holding a
    large export only makes the cyclic garbage collector re-scan that export again and again
    (3x the build time on a 35,000-node org): it is paused while the walk runs, and what the
    walk built is frozen after it (as the loaded apps are, ``run._gc_paused``), so that the
    collections the checks and reports trigger do not walk it either (on 2,000 workflows, one
    right after the walk and one full one while reporting: 0.3 s). Refcounting still frees it
    when the engines are forgotten (:func:`forget_all`)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        walk = _WALKERS.get(app)
        return DataFlow(app) if walk is None else walk(app, lambda: DataFlow(app))
    finally:
        gc.freeze()
        if paused:
            gc.enable()


# RegExp.prototype.exec runs no process: `/re/.exec(`, `new RegExp(…).exec(` and `re.exec(`
# (re assigned a regular expression) are dropped before looking for code execution.
_REGEX_EXEC = re.compile(r"(?:/[dgimsuvy]*|\bRegExp\s*\([^()]*\))\s*\.exec\s*\(")
_REGEX_NAME = re.compile(r"\b([A-Za-z_$][\w$]*)\s*=\s*(?:/(?![/*])|new\s+RegExp\b)")
_RUNS_CODE = re.compile(r"\beval\s*\(|new\s+Function\s*\(|child_process|\.exec(Sync)?\s*\(|"
                        r"(?<![\w$.])exec(Sync)?\s*\(")


def runs_code(code: str) -> bool:
    """Does JavaScript ``code`` evaluate code or start a process (eval, new Function,
    child_process, exec)? Regular expressions' own ``.exec`` does not count."""
    if "eval" not in code and "Function" not in code and "exec" not in code \
            and "child_process" not in code:
        return False
    code = _REGEX_EXEC.sub("(", code)
    names = sorted(set(_REGEX_NAME.findall(code)))
    if names:
        code = re.sub(rf"(?<![\w$.])(?:{'|'.join(map(re.escape, names))})\s*\.exec\s*\(", "(",
                      code)
    return bool(_RUNS_CODE.search(code))


def store_name(store: DataStore, step: Step) -> str:
    """A store as a reviewer names it: "database public.orders"; a location computed at run
    time or left empty is named by its step, never shown as '' or as raw code."""
    location = store.location.strip()
    if not _named(location):
        how = "chosen at run time" if location else "not named in the export"
        return f"{store.kind} of {step.name or step.type} ({how})"
    return f"{store.kind} {location}"


# What makes data worth protecting, by the words that name it (a store, a field, a route).
# Timestamps, ids and public URLs carry none of these.
SENSITIVITY: Mapping[str, tuple[str, ...]] = {
    "personal data": ("email", "emails", "phone", "mobile", "address", "firstname", "lastname",
                      "fullname", "surname", "birthday", "birthdate", "dob", "ssn", "passport",
                      "customer", "customers", "client", "clients", "user", "users", "contact",
                      "contacts", "lead", "leads", "patient", "patients", "employee",
                      "employees", "member", "members", "person", "people", "profile",
                      "profiles", "guest", "guests", "applicant", "candidate", "candidates",
                      "student", "students", "subscriber", "subscribers"),
    "credentials": ("password", "passwd", "pwd", "token", "tokens", "secret", "secrets",
                    "apikey", "credential", "credentials"),
    "business records": ("order", "orders", "invoice", "invoices", "payment", "payments",
                         "sale", "sales", "revenue", "salary", "salaries", "payroll",
                         "contract", "contracts", "account", "accounts", "transaction",
                         "transactions", "deal", "deals", "purchase", "purchases", "billing",
                         "ledger", "inventory", "crm", "finance", "financial"),
    # documents an organisation keeps to itself: an employee handbook, a confidential brief
    "internal documents": ("handbook", "handbooks", "confidential"),
}
# Labels of what a store holds by its nature (DataStore.holds), whatever it is called: an
# instance's own workflows carry every value typed into a node (hosts, keys pasted into
# headers), its credentials exported with --decrypted are every account's secrets in clear.
CREDENTIALS = "credentials"
APP_CONFIGURATION = "app configuration"
RUN_DATA = "execution data"
DATABASE_DUMP = "database contents"  # a dump file (pg_dump, mysqldump): every table's rows
_WORD_INDEX = {word: label for label, words in SENSITIVITY.items() for word in words}
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def sensitivity_labels(*texts: str) -> list[str]:
    """The sensitivity labels the words of ``texts`` carry (``first_name``, ``customerEmail``
    and ``public.orders`` split into words first), sorted."""
    found = set()
    for text in texts:
        words = [w.lower() for w in _WORDS.findall(text)]
        for i, word in enumerate(words):
            label = _WORD_INDEX.get(word) or _WORD_INDEX.get(word + (words[i + 1] if i + 1 <
                                                                      len(words) else ""))
            if label:
                found.add(label)
    return sorted(found)
