"""Local callbacks: endpoints the owner's own services on the same host call when a job ends.

A pipeline that hands a job to a service on its compose network often gives that service the
address of one of its own webhooks to call when it is done (``"webhook_url":
"http://n8n:5678/webhook/scraper-done"`` in the request that starts the job). Such an
endpoint is open by design to its caller: it only tells the flow to go on. It opens no door
when

* the app itself hands its address (a URL whose path ends with the endpoint's route, on a
  host of the loopback or host trust zone: the same machine or its container network) to a
  service in those zones, in a fixed request;
* every step a call reaches is another entry point's step (a later callback) or a fixed
  request without any credential (:func:`~pytest_nocode.checks._support.carries_credential`)
  to a service in those zones, whose sinks read only constants and platform values: nothing
  the caller sends is read, nothing is stored, run, mailed or answered but fixed content.

Anything more (a step of another kind, a request to another zone or with a key, a value of
the call sent on) is not a callback: the endpoint stays AUTH001's. The policy's trust zones
decide what is local, so a policy that moves the services' hosts elsewhere moves this too.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pytest_nocode.checks._support import carries_credential
from pytest_nocode.dataflow import DataFlow, dataflow, per_app
from pytest_nocode.model import App, Destination, EntryPoint, Step, json_text
from pytest_nocode.policy import Policy

# zones of the same machine or its container network
LOCAL_ZONES = frozenset({"loopback", "host"})
# what a follow-up request may send: nothing the caller chose
FIXED_KINDS = frozenset({"constant", "platform"})
_URL = re.compile(r"https?://[^\s\"'<>{}`\\]+")
MAX_BRANCH = 12  # steps: a callback's branch is short; a longer one is judged as what it is


def local_callback(app: App, policy: Policy, ep: EntryPoint, entry: Step) -> str:
    """Why ``ep`` is a callback of the owner's local services ("" when it may do more): see
    the module docstring."""
    route = ep.route.strip("/")
    if ep.kind not in ("webhook", "http") or not route or "://" in route:
        return ""
    flow = dataflow(app)
    handed = _handed_to(app, policy, flow, route)
    reached = [app.step(sid) for sid in app.paths_from([entry.id]) if sid != entry.id]
    if not handed or not reached or len(reached) > MAX_BRANCH:
        return ""
    starts = {e.step_id for e in app.entry_points}
    targets = {d.step_id: d for d in app.destinations}
    asks: list[str] = []
    for step in reached:
        if step is None:
            return ""
        if step.disabled or step.id in starts:
            continue  # n8n passes items through a disabled node; a later callback waits
        dest = targets.get(step.id)
        if dest is None or dest.dynamic or policy.zone_of(dest.host, app) not in LOCAL_ZONES \
                or carries_credential(app, flow, dest) \
                or any(o.kind not in FIXED_KINDS for sf in flow.sinks_of(step.id)
                       for o in sf.origins):
            return ""
        asks.append(step.name or step.id)
    if not asks:
        return ""
    return (f"a callback of the owner's local services: the app gives {handed} its address, "
            "and a call only starts fixed requests without credentials to services on the "
            f"same host ({', '.join(map(repr, asks))}); nothing the caller sends is read")


def _handed_to(app: App, policy: Policy, flow: DataFlow, route: str) -> str:
    """The local host a fixed request of the app gives the endpoint's address to ("" when
    none does)."""
    for dest, path, host in _addresses_handed(app).get(route.rsplit("/", 1)[-1], ()):
        if path.endswith(f"/{route}") and policy.zone_of(host, app) in LOCAL_ZONES \
                and policy.zone_of(dest.host, app) in LOCAL_ZONES \
                and not carries_credential(app, flow, dest):
            return dest.host
    return ""


@per_app
def _addresses_handed(app: App) -> dict[str, list[tuple[Destination, str, str]]]:
    """Every URL a fixed request of the app carries besides its own address, by the last
    segment of its path: read once per app, since each endpoint asks (an org of 20,000
    workflows has thousands of webhooks and of requests)."""
    found: dict[str, list[tuple[Destination, str, str]]] = {}
    urls: dict[str, list[str]] = {}  # a step's URLs, found once however many it sends to
    for dest in app.destinations:
        step = app.step(dest.step_id)
        if step is None or step.disabled or dest.dynamic:
            continue
        if step.id not in urls:
            urls[step.id] = _URL.findall(json_text(dict(step.params)))
        for url in urls[step.id]:
            try:
                parts = urlsplit(url)
                host, path = parts.hostname or "", parts.path.rstrip("/")
            except ValueError:
                continue
            if url != dest.url and host and path:
                found.setdefault(path.rsplit("/", 1)[-1], []).append((dest, path, host))
    return found
