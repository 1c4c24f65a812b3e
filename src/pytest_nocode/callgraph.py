"""The wiring the data-flow engine walks: each step once, and each step a call runs once per
call that runs it.

A Node-RED subflow is one set of nodes in the export and one copy of them per instance at run
time; a ``link call`` sends its message to a flow shared by every caller, and the flow's
return link answers only the caller the message came from. The App's wiring
(``Step.outbound``) joins every call of such a part, which is what reachability wants, but
data would then leave every instance that any instance was given: a subflow used once with a
caller's text and five times with constants would carry that text to all six. Here each step
a call runs gets one *node* per context (the calls on the way to it, innermost last), the way
a compiler's call strings tell call sites apart: what enters a call leaves that call.

A node is the step's id in the outermost context (so an app without calls is its steps, and
costs nothing more) and ``id + SEP + context number`` inside calls. The expansion is as large
as the runtime's (a subflow's nodes once per instance) plus one copy of a called flow per
caller; past :func:`budget` nodes, or where a call would run itself again, that call is
followed as before (its calls joined), which only adds paths.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator

from pytest_nocode.model import App, Call

SEP = "\x1f"  # between a step id and its context's number in a node key
MAX_DEPTH = 8  # calls within calls; deeper, the innermost is joined with its other calls
MAX_ROUNDS = 8  # expansions tried, each joining the call that made the most nodes, before all


def budget(steps: int) -> int:
    """How many nodes an app of ``steps`` steps may be walked as: linear in its size, and
    far above what real apps need (on the corpora, at most 2.5 times their steps)."""
    return 8 * steps + 20_000


class _TooLarge(Exception):
    """The expansion outgrew its budget, or a call ran itself again: join ``call``."""

    def __init__(self, call: str) -> None:
        super().__init__(call)
        self.call = call


class CallGraph:
    """Nodes (a step in one context) and the edges between them. Build it with the App."""

    def __init__(self, app: App, limit: int | None = None) -> None:
        self.app = app
        self._calls = {c.step_id: c for c in app.calls if app.step(c.step_id) is not None}
        # contexts: tuples of calling step ids, innermost last; number 0 is the outermost
        self._contexts: list[tuple[str, ...]] = [()]
        self._step: dict[str, str] = {}  # node → its step; empty: each node is its step
        self._context: dict[str, int] = {}
        self._nodes_of: dict[str, list[str]] = {}
        self._out: dict[str, list[str]] = {}
        self._in: dict[str, list[str]] = {}
        self._fed_elsewhere: frozenset[str] = frozenset()
        self.joined: frozenset[str] = frozenset()  # calls followed with their others joined
        if self._calls:
            self._expand(limit if limit is not None else budget(len(app.steps)))

    @property
    def expanded(self) -> bool:
        """Does any step run in more than its own node (some call followed on its own)?"""
        return bool(self._step)

    # -- questions ----------------------------------------------------------------------
    def nodes(self) -> Iterator[str]:
        """Every node, each step's in order of the App's steps."""
        for step in self.app.steps:
            yield from self._nodes_of.get(step.id, (step.id,))

    def nodes_of(self, step_id: str) -> Iterable[str]:
        """The nodes ``step_id`` runs as (its own id alone unless calls copy it)."""
        return self._nodes_of.get(step_id, ()) if self._step else (step_id,)

    def step_of(self, node: str) -> str:
        return self._step.get(node, node)

    def outbound(self, node: str) -> Iterable[str]:
        if self._step:
            return self._out.get(node, ())
        step = self.app.step(node)
        return step.outbound if step is not None else ()

    def inbound(self, node: str) -> Iterable[str]:
        return self._in.get(node, ()) if self._step else self.app.inbound(node)

    def fed_elsewhere(self, node: str) -> bool:
        """Is ``node`` a context's copy of a step that is wired, but in this context nothing
        sends to it (a called flow's link in, outside any call)? Nothing arrives there."""
        return node in self._fed_elsewhere

    def call(self, step_id: str) -> Call | None:
        return self._calls.get(step_id)

    def calls_in(self, node: str) -> tuple[str, ...]:
        """The calling steps of ``node``'s context, outermost first (none outside calls)."""
        return self._contexts[self._context.get(node, 0)]

    # -- expansion ----------------------------------------------------------------------
    def _expand(self, limit: int) -> None:
        joined: set[str] = set()
        for _round in range(MAX_ROUNDS):
            try:
                self._build(frozenset(joined), limit)
            except _TooLarge as too_large:
                joined.add(too_large.call)
                continue
            self.joined = frozenset(joined)
            return
        self._build(frozenset(self._calls), limit=None)  # every call joined: the plain wiring
        self.joined = frozenset(self._calls)

    def _build(self, joined: frozenset[str], limit: int | None) -> None:
        app = self.app
        calls = {sid: c for sid, c in self._calls.items() if sid not in joined}
        enters = {(sid, t) for sid, c in calls.items() for t in c.enters}
        returns: dict[tuple[str, str], set[str]] = {}  # an answer's edge → whose it is
        for sid, c in self._calls.items():
            for edge in c.returns:
                returns.setdefault(edge, set()).add(sid)
        copied: dict[str, list[str]] = {}  # a workflow copied per call → its steps
        copies = {c.copies for c in calls.values() if c.copies}
        for step in app.steps:
            if step.workflow_id in copies and not step.is_config:
                copied.setdefault(step.workflow_id, []).append(step.id)
        # a subflow some joined instance runs still runs as the steps themselves
        shared = {c.copies for sid, c in self._calls.items() if sid in joined and c.copies}
        contexts: list[tuple[str, ...]] = [()]
        context_ids: dict[tuple[str, ...], int] = {(): 0}
        step_of: dict[str, str] = {}
        context_of: dict[str, int] = {}
        nodes_of: dict[str, list[str]] = {}
        out: dict[str, list[str]] = {}
        made: Counter[str] = Counter()  # the innermost call of each node made
        queue: deque[str] = deque()

        def node(sid: str, context: int) -> str:
            key = sid if context == 0 else f"{sid}{SEP}{context}"
            if key not in step_of:
                step_of[key] = sid
                context_of[key] = context
                nodes_of.setdefault(sid, []).append(key)
                queue.append(key)
                if context:
                    frames = contexts[context]
                    made[frames[-1]] += 1
                    if limit is not None and len(step_of) > limit:
                        raise _TooLarge(made.most_common(1)[0][0])
                call = calls.get(sid)
                if call is not None and call.copies:  # an instance: its own subflow nodes
                    frames = contexts[context]
                    inner = enter(frames, sid)
                    for copy in copied.get(call.copies, ()):
                        node(copy, inner)
            return key

        def enter(frames: tuple[str, ...], call: str) -> int:
            if call in frames or len(frames) >= MAX_DEPTH:
                raise _TooLarge(call)  # a call that runs itself again
            return context((*frames, call))

        def context(frames: tuple[str, ...]) -> int:
            number = context_ids.get(frames)
            if number is None:
                number = context_ids[frames] = len(contexts)
                contexts.append(frames)
            return number

        for step in app.steps:
            if step.workflow_id not in copies or step.workflow_id in shared:
                node(step.id, 0)
        while queue:
            key = queue.popleft()
            sid, frames = step_of[key], contexts[context_of[key]]
            step = app.step(sid)
            targets: list[str] = []
            for target in step.outbound if step is not None else ():
                if app.step(target) is None:
                    continue  # a wire to a node the export lacks (a broken link)
                if (sid, target) in enters:
                    targets.append(node(target, enter(frames, sid)))
                elif (sid, target) in returns:
                    owners = returns[(sid, target)]
                    answering = next((i for i in range(len(frames) - 1, -1, -1)
                                      if frames[i] in owners), None)
                    if answering is not None:  # the call's answer, to its caller's context
                        targets.append(node(target, context(frames[:answering])))
                    elif owners & joined:  # a joined call's answer: to every caller
                        targets.append(node(target, context_of[key]))
                else:
                    targets.append(node(target, context_of[key]))
            out[key] = targets
        inbound: dict[str, list[str]] = {}
        for key, targets in out.items():
            for target in targets:
                inbound.setdefault(target, []).append(key)
        if len(step_of) == len(app.steps) and all(k == s for k, s in step_of.items()):
            return  # no step runs in more than its own node: the plain wiring
        self._contexts, self._step, self._context = contexts, step_of, context_of
        self._nodes_of, self._out, self._in = nodes_of, out, inbound
        self._fed_elsewhere = frozenset(key for key, sid in step_of.items()
                                        if key not in inbound and app.inbound(sid))
