"""Exports: does internal data leave its trust boundary?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._guards import guard_of, signed_by_host
from pytest_nocode.checks._support import (
    SENT,
    carries_credential,
    flow_or_skip,
    names_a_field,
    route_evidence,
    sent_data,
    stores_by_step,
)
from pytest_nocode.dataflow import (
    ANSWER_SINKS,
    CREDENTIALS,
    PROMPT_SINKS,
    DataFlow,
    Origin,
    SinkFlow,
    per_app,
    sensitivity_labels,
    store_name,
)
from pytest_nocode.model import (
    REPLY_TO_SENDER,
    DataStore,
    Destination,
    EntryPoint,
    Step,
    ValueRef,
    is_inference_api,
    is_mail_send_api,
    is_web_asset,
    path_to,
)
from pytest_nocode.policy import Policy

LEAVING_ZONES = ("internet",)  # the owner's own services (host, private) keep data inside


@check(
    "EXP001",
    title="Internal data flows to an external destination",
    category="exports",
    severity="medium",
    owasp=["LCNC-SEC-03"],
    rationale="""A flow that sends personal data, credentials or business records read from a
    file, table or sheet, or received from its users, to a host outside the organisation's own
    networks copies them out of their trust boundary. The platform's own configuration counts:
    workflows hold every value typed into them, and credentials exported decrypted are every
    account's secrets; pushed to a code host, even a private repository, they are readable by
    everyone and every token with access to it. What an AI model is prompted with goes to the
    provider the workflow exists to call (or that it has embed or score), which is not
    counted as leaving. Nor is what goes
    to the owner's own backend as the export shows it: a host every request of the app
    reaches without any credential (a third party's API knows its callers by a key) and whose
    replies the flow goes on with, the app's system of record, nor a project's own database
    API on a backend service (a Supabase project's subdomain) reached with its key. A host
    only reached without a
    credential looks like the owner's own but is not shown to be: reported at low
    severity, saying so.""",
    remediation="Confirm the transfer is approved (add the host to hosts.internal or waive it "
                "with a justification), minimise the fields sent, and encrypt the channel.",
    requires=("workflows",),
)
def test_internal_data_stays_inside(nocode_app: App, nocode_findings: FindingCollector,
                                    nocode_policy: Policy) -> None:
    flow = flow_or_skip(nocode_app)
    stores = stores_by_step(nocode_app)
    own = own_domains(nocode_app)
    models = _model_inputs(nocode_app, flow)
    backends: dict[str, str] = {}  # host → what shows it to be the owner's (_owner_backend)
    for dest in nocode_app.destinations:
        zone = _zone_of(nocode_policy, dest, nocode_app)
        if zone not in LEAVING_ZONES:
            continue  # loopback, own networks, or a host computed at run time
        if not dest.dynamic and not own.isdisjoint(_domains_of(dest.host)):
            continue  # the organisation's own domain: its staff's mail, its own services
        step = nocode_app.step(dest.step_id)
        if step is None or (step.is_config and not nocode_app.users_of(step.id)) \
                or _click_to_chat(dest):
            continue  # (a click-to-chat page delivers nothing)
        if flow.sinks_of(step.id, PROMPT_SINKS) or (
                not dest.dynamic and is_inference_api(dest.host, urlsplit(dest.url).path)):
            continue  # the AI model the workflow exists to call (or its embeddings)
        given = models.get(dest.host.lower(), frozenset()) if not dest.dynamic else frozenset()
        hits = [h for h in (_mailed_data(nocode_app, flow, dest)
                            if dest.protocol in MAIL_PROTOCOLS or _message_api(dest)
                            else sent_data(nocode_app, flow, dest))
                if h[1] not in given and not _to_its_own_subject(nocode_app, flow, dest, h)
                and not _back_to_its_sender(nocode_app, dest, h[1])]
        if not hits:
            continue  # nothing labelled, or only what the app's own model is given already
        if dest.host.lower() not in backends:
            backends[dest.host.lower()] = _owner_backend(nocode_app, flow, dest)
        backend = backends[dest.host.lower()]
        if backend in (OWN_RECORDS, OWN_PROJECT, OWN_SERVER):
            continue  # the app's own backend: its system of record, database or server
        # the first of the most telling (a sort's first, without sorting thousands)
        sender, origin, labels = min(hits, key=lambda h: (CREDENTIALS not in h[2],
                                                          h[1].kind != "store",
                                                          h[1].step_id, h[1].detail))
        store: DataStore | None = stores.get(origin.step_id) if origin.kind == "store" else None
        source = store_name(store, nocode_app.step(store.step_id) or sender) if store \
            else origin.detail
        what = f"data read from {source}" if store else f"data received from {source}"
        evidence = {
            "store": store.location if store else "", "store_kind": store.kind if store else "",
            "source": source, "origin": origin.kind, "labels": labels,
            "destination": dest.host, "zone": zone,
            **route_evidence(nocode_app, flow.route(sender.id, origin)),
            "if_approved": f"list {dest.host} under hosts.internal in the policy if it is the "
                           "organisation's own service, or waive this finding with a reason"
            if dest.host and dest.host.lower() not in CODE_HOSTS
            else "waive this finding with a reason if the transfer is approved",
            "policy": nocode_policy.excerpt("hosts", "trust_zones")}
        if dest.host.lower() in CODE_HOSTS:
            evidence["why_outside"] = CODE_HOST_NOTE
        looks_owned = backend == OWN_LOOKALIKE and CREDENTIALS not in labels
        if looks_owned:
            evidence["owner_sign"] = OWN_LOOKALIKE
        nocode_findings.add(
            step, f"{what} ({', '.join(labels)}) is sent to {_target(dest)} ({zone}"
            + (f"; a host that looks like the owner's own: {OWN_LOOKALIKE}" if looks_owned
               else "") + ")", evidence,
            severity="high" if CREDENTIALS in labels else "low" if looks_owned else None)


# Endpoints that start the owner's own CI pipeline with the inputs a request gives it (GitHub's
# repository and workflow dispatches, GitLab's pipeline trigger): what a caller sent goes on
# as the inputs of the owner's jobs, nothing is kept in the repository.
CI_DISPATCH = re.compile(r"^/repos/[^/]+/[^/]+/(?:dispatches|actions/workflows/[^/]+/dispatches)"
                         r"/?$|^/api/v4/projects/[^/]+/trigger/pipeline/?$", re.I)


def _back_to_its_sender(app: App, dest: Destination, origin: Origin) -> bool:
    """Does what an entry point received go back where it came from: to the API of the
    service whose signature its first steps verify (a Discord interaction's id and token to
    Discord's callback for it, a Stripe event's id to Stripe), or on to the owner's own CI
    pipeline as a dispatch's inputs (:data:`CI_DISPATCH`)? Neither is a copy leaving to a new
    party. Data read from a store is judged as ever."""
    if origin.kind != "entry" or dest.dynamic or not dest.host:
        return False
    if dest.host.lower() in CODE_HOSTS and "://" in dest.url and \
            CI_DISPATCH.search(urlsplit(dest.url.lstrip("=")).path):
        return True
    return signed_by_host(app, origin.step_id, dest.host)


# Hosts of code and file repositories: a backup pushed there is on a third party's servers.
CODE_HOSTS = frozenset({"api.github.com", "github.com", "gitlab.com", "api.bitbucket.org",
                        "bitbucket.org"})
CODE_HOST_NOTE = ("a private repository is still outside the organisation's networks: "
                  "everyone the repository is shared with, every token and app with access "
                  "to it, and its history once it is made public or forked can read what "
                  "is pushed; credentials in it are readable by all of them")


def _model_inputs(app: App, flow: DataFlow) -> dict[str, frozenset[Origin]]:
    """Provider host → what the app's AI models there are prompted with: sending that same
    data to the same provider (an embedding of the chat text) tells it nothing new."""
    out: dict[str, frozenset[Origin]] = {}
    for dest in app.destinations:
        if dest.host and not dest.dynamic and flow.sinks_of(dest.step_id, PROMPT_SINKS):
            host = dest.host.lower()
            out[host] = out.get(host, frozenset()) | flow.prompted_with(dest.step_id)
    return out


@per_app
def _fixed_calls_by_host(app: App) -> dict[str, tuple[Destination, ...]]:
    """The app's fixed destinations by host (lower case), in the app's order: found once per
    app, where each destination asked scanned all of them (EXP001 at 20,000 workflows)."""
    out: dict[str, list[Destination]] = {}
    for dest in app.destinations:
        if not dest.dynamic:
            out.setdefault(dest.host.lower(), []).append(dest)
    return {host: tuple(calls) for host, calls in out.items()}


def own_domains(app: App) -> frozenset[str]:
    """Domains the app shows to be its organisation's own: a domain it mails fixed
    recipients at (its staff) and whose services it also calls (``crm.acme.example`` beside
    ``sales@acme.example``). Either alone is anyone's: a partner's inbox, a SaaS API."""
    mailed = {d.host for d in app.destinations
              if d.protocol == "mail" and not d.dynamic and d.host}
    called = {tail for d in app.destinations
              if d.protocol != "mail" and not d.dynamic and d.host
              for tail in _domains_of(d.host)}
    return frozenset(mailed & called)  # a set lookup: not mailed x called hosts


# What the export shows of a host the app calls without any credential (see _owner_backend).
OWN_RECORDS = "the app keeps its records there: it sends them without a credential and goes on " \
              "with what the host answers"
OWN_LOOKALIKE = "it takes the data without any credential, as a service run for the owner " \
                "alone does"
OWN_PROJECT = "it is the app's own project on a backend service, reached with its key"
OWN_SERVER = "it is a bare IP address the app reaches without a credential: a server the " \
             "owner runs (a third party's service has a name and knows its callers by a key)"
# Backend services that give each project its own subdomain for its database API
# (``<project>.supabase.co/rest/v1``): a request there with the project's key is a read or
# write of the app's own database, as the service's node would be (a store, not an export).
PROJECT_DATABASES = ("supabase.co", "firebaseio.com", "firebasedatabase.app")
# Public request catchers and tunnels: open to anyone, whoever set them up (never the owner's
# system of record, whatever the flow does with their answer).
PUBLIC_CATCHERS = ("webhook.site", "requestbin.com", "requestcatcher.com", "pipedream.net",
                   "beeceptor.com", "hookbin.com", "ngrok.io", "ngrok-free.app", "ngrok.app",
                   "trycloudflare.com", "loca.lt", "serveo.net")


def _owner_backend(app: App, flow: DataFlow, dest: Destination) -> str:
    """What makes an internet host look like the owner's own service ("" when nothing).

    A third party's API knows its callers by a key: a header, a query parameter, a login, a
    credential of the platform, a key-like part of its URL. A host every request of the app
    reaches with none of them (and no environment value, which may hold one) serves whoever
    calls it: a service the owner runs for itself, in practice (weak alone: a low finding
    that says so). When the flow also goes on with what that host answers (a later step
    sends on or decides by a reply of it, not only relays it to the caller), the app keeps
    its records there: its own backend, not a place data
    leaves to. Code hosts and public request catchers are never the owner's. A project's
    own subdomain of a backend service's database API (:data:`PROJECT_DATABASES`) reached
    with a key is the app's own database."""
    host = dest.host.lower()
    if dest.dynamic or dest.protocol == "mail" or not host or host in CODE_HOSTS \
            or any(d in PUBLIC_CATCHERS for d in _domains_of(host)):
        return ""
    calls = _fixed_calls_by_host(app).get(host, ())
    keyed = [carries_credential(app, flow, d) for d in calls]
    if host.count(".") >= 2 and host.split(".", 1)[1] in PROJECT_DATABASES:
        return OWN_PROJECT if all(keyed) else ""
    if _public_address(host) and not all(keyed):
        return OWN_SERVER  # keys on its other paths are the owner's own (its send API)
    if any(keyed):
        return ""
    callers = {d.step_id for d in calls}
    for d in calls:
        later = set(app.paths_from([d.step_id])) - {d.step_id}
        if any(o.kind == "unknown" and o.step_id in callers and o.step_id != sid
               for sid in later for sf in flow.sinks_of(sid) if sf.sink.kind not in ANSWER_SINKS
               for o in sf.origins):  # (a reply relayed to the caller keeps no record)
            return OWN_RECORDS
    return OWN_LOOKALIKE


def _public_address(host: str) -> bool:
    """Is ``host`` an IP address literal (the trust zone has already placed it on the
    internet)? A rented server is reached by its number; a service is reached by its name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


# Messaging and mail-sending APIs whose requests are messages to a recipient, as a mail is
# (judged by _mailed_data: the provider relays them as an SMTP server does): the WhatsApp
# Cloud API's messages endpoint, the transactional mail APIs' send endpoints.
# Messaging APIs beside the mail providers' (:func:`is_mail_send_api`): host -> the path that
# sends one message to the person it names.
MESSAGE_APIS = {"graph.facebook.com": re.compile(r"/messages/?$")}
# WhatsApp's click-to-chat links (``api.whatsapp.com/send?phone=…&text=…``, ``wa.me/…``):
# no send API but a web page that opens a chat, prefilled, in the browser of whoever follows
# the link. A request to one delivers nothing to anyone and keeps nothing: no destination of
# data (what a flow means to send that way never leaves).
CLICK_TO_CHAT = {"api.whatsapp.com": re.compile(r"^/send/?$"), "wa.me": re.compile(r"^/")}


def _click_to_chat(dest: Destination) -> bool:
    """Is ``dest`` a click-to-chat link page (:data:`CLICK_TO_CHAT`), not a send API?"""
    link = CLICK_TO_CHAT.get(dest.host.lower()) if not dest.dynamic else None
    path = urlsplit(dest.url.lstrip("=").split("?", 1)[0]).path if "://" in dest.url else ""
    return link is not None and link.search(path or "/") is not None


def _message_api(dest: Destination) -> bool:
    """Does ``dest`` send a message over a messaging or mail API (:data:`MESSAGE_APIS`,
    :func:`is_mail_send_api`)?"""
    if dest.dynamic:
        return False
    url = _as_text(dest.url)
    path = urlsplit(url.split("?", 1)[0]).path if "://" in url else ""
    messages = MESSAGE_APIS.get(dest.host.lower())
    return (messages is not None and bool(messages.search(url.split("?", 1)[0]))) \
        or is_mail_send_api(dest.host, path)


_JS_LITERAL = re.compile(r"""'([^'\\]*)'|"([^"\\]*)"|`([^`$\\]*)""")


def _as_text(url: str) -> str:
    """A URL written as a JavaScript expression of literals and values
    (``={{ 'https://graph.facebook.com/v20.0/' + $env.PHONE_ID + '/messages' }}``) as the
    text it makes, each value a placeholder segment; any other URL as it is."""
    inner = url.strip()
    if not inner.startswith("={{") or not inner.endswith("}}"):
        return url
    parts = [next(g for g in m.groups() if g is not None)
             for m in _JS_LITERAL.finditer(inner[3:-2])]
    return "x".join(parts) if parts and "://" in parts[0] else url


# A request field that names the person a message goes to, and one that holds its text.
RECIPIENT_FIELD = re.compile(
    r"^(to|phone|phone_?number|number|recipient|e-?mail|chat_?id|wa_?id|remote_?jid|jid|"
    r"telefone|celular|whatsapp)$", re.I)
MESSAGE_FIELD = re.compile(r"^(body|text|message|content|caption|subject)$", re.I)
# Steps that put many items into one: past one of them, a field of "the item" is no longer
# the same person's as the rest.
COMBINING_STEPS = ("aggregate", "summarize", "itemLists", "merge", "compareDatasets")
COMBINING_CODE = re.compile(r"\$input\.all\(|\$items\(|\bitems\b")


def _to_its_own_subject(app: App, flow: DataFlow, dest: Destination,
                        hit: tuple[Step, Origin, list[str]]) -> bool:
    """Does this hit go to the person it is about: a message whose recipient is read from
    the same record (a sheet row, a database row, a request) as its content, each item on
    its own (no step on the way combines items)? A greeting mailed to each row's own
    address, a follow-up sent to each lead's own phone. Over a request (not mail) the fields
    sent must be the recipient and a message text, nothing else: a record's other fields, or
    its address alone, posted to an API are a copy of the record, not a message to it."""
    sender, origin, _labels = hit
    if origin.kind not in ("store", "entry"):
        return False
    if origin not in _recipients_read(app, flow, sender, dest.protocol == "mail"):
        return False
    for sid in flow.route(sender.id, origin):
        step = app.step(sid)
        if step is None or step.type.rsplit(".", 1)[-1] in COMBINING_STEPS:
            return False
        code = step.params.get("jsCode") or step.params.get("functionCode")
        if isinstance(code, str) and COMBINING_CODE.search(code):
            return False
    return True


def _recipients_read(app: App, flow: DataFlow, sender: Step, mail: bool) -> frozenset[Origin]:
    """Where the recipient of ``sender``'s message is read from (its origins), when what it
    sends is a message to someone (mail: its address; a request: a recipient field and a
    message text, nothing else); empty otherwise. It depends on the sender alone, so it is
    found once per sender (and protocol), not again for each of its store origins."""
    kept = _recipients_of(app)
    key = (sender.id, mail)
    if key not in kept or kept[key][0] is not flow:
        kept[key] = (flow, _recipients_found(flow, sender, mail))
    return kept[key][1]


def _recipients_found(flow: DataFlow, sender: Step, mail: bool) -> frozenset[Origin]:
    sinks = flow.sinks_of(sender.id, SENT)
    if mail:
        recipient = [r for sf in sinks if sf.sink.kind == "url" for r in sf.sink.reads]
    else:
        reads = [r for sf in sinks if sf.sink.kind != "url" for r in sf.sink.reads]
        if any(r.name == "*" or not (RECIPIENT_FIELD.match(r.name)
                                     or MESSAGE_FIELD.match(r.name)) for r in reads):
            return frozenset()
        recipient = [r for r in reads if RECIPIENT_FIELD.match(r.name)]
        if not any(MESSAGE_FIELD.match(r.name) for r in reads):
            return frozenset()  # an address alone posted to an API is the record's copy
    return frozenset(flow.origins(sender.id, recipient)) if recipient else frozenset()


@per_app
def _recipients_of(app: App) -> dict[tuple[str, bool], tuple[DataFlow, frozenset[Origin]]]:
    """(sender, mail?) → the data flow asked and :func:`_recipients_read`'s answer."""
    return {}


def _domains_of(host: str) -> Iterator[str]:
    """The domains ``host`` is under, lower case: itself, and each part after a dot
    (``crm.acme.example``, ``acme.example``, ``example``); a set of them is looked up, never
    scanned."""
    host = host.lower()
    yield host
    for i, char in enumerate(host):
        if char == ".":
            yield host[i + 1:]


ENDPOINT_KINDS = ("http", "webhook", "form", "websocket")


def _endpoints_answered(app: App, answer: Step) -> list[EntryPoint]:
    """The active endpoints whose callers ``answer`` replies to: those whose step reaches it
    along the wiring, or the listener (a config step) it sends through; in the app's order.
    Found by walking back from ``answer``, not forward from every endpoint of the app."""
    reaching = {answer.id}
    stack = [answer.id]
    while stack:
        for source in app.inbound(stack.pop()):
            if source not in reaching:
                reaching.add(source)
                stack.append(source)
    by_step = _endpoints_by_step(app)
    found = [hit for sid in reaching | set(answer.config_refs) for hit in by_step.get(sid, ())]
    return [ep for _index, ep in sorted(found, key=lambda hit: hit[0])]


@per_app
def _endpoints_by_step(app: App) -> dict[str, list[tuple[int, EntryPoint]]]:
    """Step id → the active endpoints at it, with their place among the app's entry points."""
    out: dict[str, list[tuple[int, EntryPoint]]] = {}
    for index, ep in enumerate(app.entry_points):
        if ep.kind in ENDPOINT_KINDS and ep.active is not False:
            out.setdefault(ep.step_id, []).append((index, ep))
    return out

def _zone_of(policy: Policy, dest: Destination, app: App) -> str:
    """The trust zone of a destination; a mail address written by an expression (or the
    sender of a message answered) is anyone's: the internet."""
    if dest.protocol == "mail" and dest.dynamic:
        return "internet"
    return policy.zone_of(dest.host, app)


def _target(dest: Destination) -> str:
    if dest.protocol != "mail":
        return dest.host
    if dest.dynamic:
        return f"a mail address chosen at run time ({dest.url})"
    return f"the mail address {dest.url.removeprefix('mailto:')}"


def _mailed_data(app: App, flow: DataFlow, dest: Destination
                 ) -> Iterator[tuple[Step, Origin, list[str]]]:
    """What a mail carries out: store reads with a sensitivity label, and anything of an
    inbound mail (a forward), whose content is someone's correspondence whatever its
    fields are called. Other entry data (a form's fields mailed back to whoever sent them)
    is not counted: the sender chose the address."""
    for hit in sent_data(app, flow, dest):
        if hit[1].kind == "store":
            yield hit
    step = app.step(dest.step_id)
    if step is None or dest.url == REPLY_TO_SENDER:
        return  # an answer goes back to whoever wrote the mail it quotes
    sinks = flow.sinks_of(step.id, SENT)
    addressed = {o for sf in sinks if sf.sink.kind == "url" for o in sf.origins}
    for sf in sinks:
        for origin in sf.origins:
            if origin.kind == "entry" and MAIL_CHANNEL.search(origin.detail) \
                    and origin not in addressed:  # not mailed back to its own sender
                yield step, origin, ["correspondence"]


# What a mail destination is: a recipient's address (``mail``), or the SMTP server a mail node
# hands its mails to (a Node-RED ``e-mail`` node names its server, its recipient msg.to or a
# fixed address): what is mailed reaches the recipients, not the relay, so both are judged
# by what a mail carries out (:func:`_mailed_data`)
MAIL_PROTOCOLS = frozenset({"mail", "smtp"})
MAIL_CHANNEL = re.compile(r"^e-?mail\b", re.I)  # the entry detail of a mail trigger


@check(
    "EXP002",
    title="HTTP endpoint serves stored data",
    category="exports",
    severity="medium",
    owasp=["LCNC-SEC-03"],
    rationale="""An endpoint that answers its callers with what it read from a file, table or
    sheet is a download channel for that data. A lookup whose result only steers the flow or
    goes elsewhere is not, nor is a fixed page, stylesheet or script file a site serves, nor
    the session an in-flow check (AUTH004's) looks up by the caller's own token before it
    refuses a wrong one, nor what an endpoint whose callers must authenticate (at the
    platform, or by such a check) answers its own users.""",
    remediation="Authenticate the endpoint, limit what it returns, and log who downloads.",
    requires=("workflows",),
)
def test_endpoints_do_not_serve_stored_data(nocode_app: App,
                                            nocode_findings: FindingCollector) -> None:
    flow = flow_or_skip(nocode_app)
    stores = stores_by_step(nocode_app)
    reported: set[str] = set()
    for sf in flow.sinks(ANSWER_SINKS):
        endpoints: list[EntryPoint] | None = None
        for ref, origin in _served(flow, sf):
            store = stores.get(origin.step_id)
            reader = nocode_app.step(origin.step_id)
            if store is None or reader is None or origin.step_id in reported \
                    or _page_file(store) or store.operation == "write":
                continue  # (a write answers with what it was given or a row count)
            if endpoints is None:
                endpoints = _endpoints_answered(nocode_app, sf.step)
            if not endpoints:
                break
            # a response answers only the request whose message reaches it: the read must
            # lie on a path from the endpoint (one after an inject or a dashboard event that
            # shares the response node answers no caller)
            reached = _read_on_request_path(nocode_app, endpoints, reader.id)
            if reached is None:
                continue
            ep, to_store = reached
            if _checks_caller(nocode_app, ep, reader) or _callers_authenticate(nocode_app, ep):
                continue  # the in-flow check's own lookup, or an API serving its own users
            route = [*to_store, *flow.route(sf.step.id, origin)]
            nocode_findings.add(
                reader, f"{ep.kind} {ep.route!r} answers its callers with "
                f"{store_name(store, reader)} (through {sf.step.name or sf.step.type})",
                {"endpoint": ep.route, "auth": ep.authentication,
                 "store": store.location, "store_kind": store.kind,
                 "answered_by": sf.step.id, "answer": sf.sink.reason,
                 "fields": ref.path if ref.name != "*" and names_a_field(ref.path)
                 else "the whole record",
                 **route_evidence(nocode_app, route)})
            reported.add(reader.id)


def _read_on_request_path(app: App, endpoints: list[EntryPoint], reader: str
                          ) -> tuple[EntryPoint, list[str]] | None:
    """(the first endpoint whose requests reach step ``reader``, the route from it), or None
    when no request of these endpoints passes the reader. A listener (a config step) starts
    at the steps that use it."""
    for ep in endpoints:
        step = app.step(ep.step_id)
        starts = [ep.step_id, *(s.id for s in app.users_of(ep.step_id))] \
            if step is not None and step.is_config else [ep.step_id]
        parents = app.paths_from(starts)
        if reader in parents:
            route = path_to(parents, reader)
            return ep, route if route[0] == ep.step_id else [ep.step_id, *route]
    return None


def _checks_caller(app: App, ep: EntryPoint, reader: Step) -> bool:
    """Is ``reader`` the lookup of the endpoint's in-flow check (AUTH004's guard): a read on
    the way to the step that compares the caller's token or password and refuses a wrong one
    (a session fetched by the token the caller sent)? What it returns belongs to whoever holds
    that token; what the route serves after the check is judged by its own reads."""
    entry = app.step(ep.step_id)
    guard = guard_of(app, entry) if entry is not None else None
    return guard is not None and guard.step.id != reader.id \
        and guard.step.id in app.paths_from([reader.id])


def _callers_authenticate(app: App, ep: EntryPoint) -> bool:
    """Must the endpoint's callers authenticate: the platform asks for a credential, or the
    flow's first steps check a token, signature or password and refuse a wrong one (AUTH004's
    guard)? What it answers then goes to its own users, the remediation done: an
    authenticated API serving its rows is its purpose, not a download channel for anyone."""
    if ep.authentication not in (None, "none"):
        return True
    entry = app.step(ep.step_id)
    return entry is not None and guard_of(app, entry) is not None


def _page_file(store: DataStore) -> bool:
    """A fixed page, stylesheet, script or image file: the site's own code, not data."""
    return store.kind == "file" and store.operation == "read" and is_web_asset(store.location)


def _served(flow: DataFlow, sf: SinkFlow) -> Iterator[tuple[ValueRef, Origin]]:
    """(what the answer reads, a store read it holds): the whole record, or a field picked
    by name only when its name says it holds personal data, credentials or business records
    (an id, a status or a count answered back is no download)."""
    for ref in sf.sink.reads:
        picked = ref.kind in ("field", "step") and ref.name != "*" and names_a_field(ref.path)
        if picked and not sensitivity_labels(ref.path):
            continue
        for origin in flow.origins(sf.step.id, (ref,)):
            if origin.kind == "store":
                yield ref, origin
