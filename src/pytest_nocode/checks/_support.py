"""Small helpers several built-in checks share (kept out of the public API on purpose).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from pytest_nocode.dataflow import DataFlow, Origin, dataflow, per_app, sensitivity_labels
from pytest_nocode.findings import not_applicable
from pytest_nocode.model import (
    DRIVE_FILE,
    App,
    DataStore,
    Destination,
    Setting,
    Step,
    ValueRef,
    json_text,
)

SENT = frozenset({"send", "url"})
# Words of a credential in a request's settings: a header, query parameter, body field or
# authentication mode that may carry one (matched anywhere in them: fail closed).
_CREDENTIAL_WORDS = re.compile(
    r"authori[sz]ation|bearer|token|api[-_ ]?key|secret|passw|cookie|signature|credential",
    re.I)
# A path segment that may be a key (a hook id, a bot token): 16 or more characters mixing
# digits and letters; the URL itself is then the credential.
_KEY_SEGMENT = re.compile(r"(?=[^/]*\d)(?=[^/]*[A-Za-z])[\w:.~-]{16,}")


def setting_or_skip(app: App, key: str) -> Setting:
    """The instance setting, or the check ends as not applicable (never as passed)."""
    setting = app.setting(key)
    if setting is None:
        not_applicable(f"{app.id} does not report the setting {key!r}")
    assert setting is not None
    return setting


def flow_or_skip(app: App) -> DataFlow:
    """The app's data flow, or the check ends as not applicable when its adapter does not
    describe how data passes its steps (a check must not pass on data it did not get)."""
    flow = dataflow(app)
    if not flow.described:
        not_applicable(f"the {app.platform} adapter does not describe data flow")
    return flow


def route_evidence(app: App, route: Iterable[str]) -> dict[str, list[str]]:
    """The path a value took, as step ids and as the names a reviewer sees."""
    ids = list(dict.fromkeys(route))
    return {"route": ids, "route_names": [app.resource_of(s).name for s in ids]}


def call_evidence(app: App, flow: DataFlow, step_id: str, origins: Iterable[Origin]
                  ) -> dict[str, list[str]]:
    """The calls whose input brings any of ``origins`` to a step inside a subflow or a
    called flow (``called_by``: each chain of calling steps, outermost first), as ids and as
    the names a reviewer sees (an unnamed subflow instance by its subflow's name); nothing
    for a step outside calls."""
    chains = flow.calls_carrying(step_id, origins)
    if not chains:
        return {}

    def name(call_id: str) -> str:
        step, call = app.step(call_id), flow.call_of(call_id)
        workflow = app.workflow(call.copies) if call is not None and call.copies else None
        if step is not None and step.name:
            return step.name
        return f"{workflow.name} (subflow instance)" if workflow is not None \
            else app.resource_of(call_id).name

    return {"called_by": [" > ".join(chain) for chain in chains],
            "called_by_names": [" > ".join(map(name, chain)) for chain in chains]}


def origin_evidence(origin: Origin) -> dict[str, str]:
    return {"origin": origin.kind, "origin_detail": origin.detail}


def sent_data(app: App, flow: DataFlow, dest: Destination
              ) -> Iterator[tuple[Step, Origin, list[str]]]:
    """(sending step, origin, sensitivity labels) of what a destination is actually sent:
    store reads and entry-point data, each with the labels its names carry."""
    stores = stores_by_step(app)
    step = app.step(dest.step_id)
    if step is None:
        return
    senders = app.users_of(step.id) if step.is_config else (step,)
    for sender in senders:
        for sf in flow.sinks_of(sender.id, SENT):
            for ref in sf.sink.reads:
                # one field: its name says (the same for every origin of the ref)
                picked = field_labels(ref.path) if ref.name != "*" and names_a_field(ref.path) \
                    else None
                if picked is None and ref.name == "headers":
                    continue  # the request's own headers: its token and content type, no
                    # record sent (a context object a bot token is read from, say)
                for origin in flow.origins(sender.id, (ref,)):
                    if origin.kind == "ai":
                        for read in tool_reads(app, flow, origin):
                            labels = _record_labels(app, stores, read)
                            if labels:
                                yield sender, read, list(labels)
                        continue
                    if origin.kind not in ("store", "entry"):
                        continue
                    if picked is not None and _in_binary(stores, origin):
                        continue  # a named field holds none of a downloaded file
                    labels = picked if picked is not None else \
                        _record_labels(app, stores, origin)
                    if not labels and picked is not None and origin.kind == "store" and \
                            _whole_item_field(app, flow, sender, origin, ref.name):
                        labels = _record_labels(app, stores, origin)  # the record, named anew
                    if labels:
                        yield sender, origin, list(labels)


def _whole_item_field(app: App, flow: DataFlow, sender: Step, origin: Origin,
                      name: str) -> bool:
    """Is field ``name`` (whose name says nothing) one a step on the way from ``origin``
    to ``sender`` filled with the whole item it was given (``content:
    JSON.stringify(item.json)``, a Set field holding ``{{ $json }}``)? Then it carries the
    whole record read, whatever it is called. Most fields no step of the app so fills: their
    routes are not looked for (at 20,000 workflows, one per sent field and store origin)."""
    if app.flow_of is None:
        return False
    fills = flow.whole_item_fills(name)
    return bool(fills) and not fills.isdisjoint(flow.route(sender.id, origin))


def _in_binary(stores: dict[str, DataStore], origin: Origin) -> bool:
    """Is ``origin`` a read of a file the platform keeps in the item's binary, not in the
    fields an expression picks (:data:`~pytest_nocode.model.DRIVE_FILE`)?"""
    store = stores.get(origin.step_id) if origin.kind == "store" else None
    return store is not None and store.kind == DRIVE_FILE


def tool_reads(app: App, flow: DataFlow, answer: Origin) -> tuple[Origin, ...]:
    """The store reads an AI agent's answer can quote: what the tools it calls read (a
    sheet, a table, a base searched for the user's question). A tool is wired both ways
    with its agent: the agent sends it what it decided and gets back what it found, so its
    answer may hold any of those records whatever field it is sent in."""
    if not answer.step_id:
        return ()
    known = _tool_reads_of(app)
    found = known.get(answer.step_id)
    if found is None:  # once per agent: every sink its answer reaches asks again
        agent = app.step(answer.step_id)
        tools = {t for t in agent.outbound
                 if (tool := app.step(t)) is not None and agent.id in tool.outbound} \
            if agent is not None else set()
        found = known[answer.step_id] = tuple(
            o for o in flow.origins(agent.id, (ValueRef("field", "*"),))
            if o.kind == "store" and o.step_id in tools) if agent is not None and tools else ()
    return found


@per_app
def _tool_reads_of(app: App) -> dict[str, tuple[Origin, ...]]:
    return {}


# Text an expression fills in at run time ({{ … }}, ${…}): what it names is not the path a
# reader sees, nor a host
COMPUTED = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}")
# The name a read of another step's output starts with ($('Fetch accounts').json.token): the
# step's name, not a field of what it answered
_STEP_NAME = re.compile(r"^\$\((?:'[^']*'|\"[^\"]*\")\)")


def received_data(app: App, flow: DataFlow, dest: Destination, url: str) -> list[str]:
    """The sensitivity labels of what a request brings back: the fields later steps read
    off its answer (``auth.password_hash`` of the user catalog it fetched), and the path of
    a GET that names such data (``/users``, ``/credentials``). A value crosses the network
    whichever way it travels; a step that reads only ``temperature`` names nothing."""
    step = app.step(dest.step_id)
    if step is None:
        return []
    read = [_STEP_NAME.sub("", path) for _sid, path in flow.answer_reads(step.id)]
    found = {label for path in read if names_a_field(path) for label in field_labels(path)}
    method = str(step.params.get("method") or step.params.get("requestMethod") or "GET")
    if method.upper() == "GET" and "://" in url:
        path = COMPUTED.sub("/", url.partition("://")[2]).partition("/")[2]
        found.update(sensitivity_labels(*(part for part in
                                          re.split(r"[/?#&=.]", path.partition("?")[0])
                                          if part and field_labels(part))))
    return sorted(found)


def _record_labels(app: App, stores: dict[str, DataStore], origin: Origin) -> tuple[str, ...]:
    """The labels of a whole record from a store or entry point: what the store holds by
    nature, else what the names of the origin, its step and the store's location say. Kept
    per app and origin: on a large org every sink a store's closure reaches asks again for
    each of its thousands of origins (EXP001 and ENC001 at 20,000 workflows)."""
    known = _record_labels_of(app)
    labels = known.get(origin)
    if labels is None:
        store = stores.get(origin.step_id)
        labels = known[origin] = tuple(sorted(store.holds)) if store is not None \
            and store.holds else tuple(sensitivity_labels(
                origin.detail, app.resource_of(origin.step_id).name,
                store.location if store else ""))
    return labels


@per_app
def _record_labels_of(app: App) -> dict[Origin, tuple[str, ...]]:
    """Origin → :func:`_record_labels`' answer, filled as checks ask."""
    return {}


_LAST_KEY = re.compile(r"([A-Za-z_$][\w$]*)\W*$")
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid"})


def field_labels(path: str) -> list[str]:
    """The sensitivity labels of one field picked by ``path``: an identifier (``user_id``,
    ``customerId``) names a record without holding what it says, so it carries none."""
    last = _LAST_KEY.search(path)
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", last.group(1)) if last else []
    if words and words[-1].lower() in _ID_WORDS:
        return []
    return sensitivity_labels(path)


@per_app
def stores_by_step(app: App) -> dict[str, DataStore]:
    """The app's data stores by the step that reads or writes them."""
    return {s.step_id: s for s in app.stores}


@per_app
def destinations_by_step(app: App) -> dict[str, tuple[Destination, ...]]:
    """The app's destinations by the step that sends to them, in the app's order: a check
    asking per sink (or per origin of one) would scan every destination of the app each
    time (INJ001 at 20,000 workflows: most of its time)."""
    out: dict[str, list[Destination]] = {}
    for dest in app.destinations:
        out.setdefault(dest.step_id, []).append(dest)
    return {step_id: tuple(dests) for step_id, dests in out.items()}


# words of a value's path that name a container, not what it holds (msg.payload, $json.body)
# ("query" is not one: n8n's webhook puts the query string there, but far more often it is
# the search text a step built, and a query string's fields are named by what picks them)
_CONTAINERS = frozenset({"msg", "payload", "json", "body", "data", "item", "items", "headers",
                         "params", "input", "binary", "first", "last", "all",
                         "base64",  # an encoding: the whole file or record it encodes
                         "stdout"})  # what a command printed: the whole of its output


def names_a_field(path: str) -> bool:
    """Does ``path`` pick one field (``$json.email``, ``msg.payload.id``) rather than a whole
    message or record (``msg.payload``, ``$json.body``)?"""
    return any(w.lower() not in _CONTAINERS for w in re.findall(r"[A-Za-z_]\w*", path))


# n8n 2 loads no Execute Command (nor Local File Trigger) node unless NODES_EXCLUDE is changed.
N8N2_EXCLUDED = ("n8n-nodes-base.executeCommand", "n8n-nodes-base.localFileTrigger")


def step_context(app: App, step: Step) -> dict[str, str]:
    """What the platform's defaults say about whether ``step`` runs, for a finding's evidence:
    {} when they say nothing."""
    workflow = app.workflow(step.workflow_id)
    if app.platform != "n8n" or workflow is None or not workflow.version \
            or step.type not in N8N2_EXCLUDED:
        return {}  # workflow.version: n8n 2 (it keeps drafts), where the default applies
    how = ("it is active, so this instance allows the node" if workflow.active
           else "it cannot be activated until the instance allows the node")
    return {"context": f"n8n 2 excludes {step.type.rsplit('.', 1)[-1]} by default "
                       f"(NODES_EXCLUDE): {how}"}


def carries_credential(app: App, flow: DataFlow, dest: Destination) -> bool:
    """May the request at ``dest`` carry a credential: a credential of the platform, an
    authentication mode, a credential word anywhere in its settings (a header, query
    parameter or body field: fail closed), a key-like part of its URL path, or an environment
    value (which may hold one)?"""
    step = app.step(dest.step_id)
    if step is None or step.credential_refs:
        return True
    try:
        path = urlsplit(dest.url.lstrip("=")).path
    except ValueError:  # not a URL Python can split: nothing known of what it carries
        return True
    if _CREDENTIAL_WORDS.search(json_text(dict(step.params))) \
            or any(_KEY_SEGMENT.fullmatch(seg) for seg in path.split("/")):
        return True
    if any(str(step.params.get(k) or "none").lower() not in ("none", "false")
           for k in ("authentication", "authType")):
        return True
    return any(o.kind == "env" for sf in flow.sinks_of(step.id) for o in sf.origins)
