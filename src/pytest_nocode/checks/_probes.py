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

Only Node-RED routes are judged here: an n8n webhook that answers fixed content already has
the effect ``answers``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from pytest_nocode.dataflow import dataflow
from pytest_nocode.model import ACTS, ANSWERS, PASSES, App, EntryPoint, Step
from pytest_nocode.platforms.nodered_entries import (
    ANSWER_TYPES,
    code_effect,
    code_reads,
    step_effect,
)
from pytest_nocode.policy import default_zone

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
# words of a credential in a function's code: a request it prepares may carry one
_CREDENTIAL = re.compile(r"authori[sz]ation|bearer|token|api[-_]?key|secret|passw|cookie", re.I)
_METHOD_SET = re.compile(r"\bmsg\.method\s*=\s*['\"`](\w+)['\"`]")
MAX_BRANCH = 24  # steps: a probe is short; a longer branch is judged as what it is


def status_probe(app: App, ep: EntryPoint, entry: Step) -> str:
    """Why ``ep`` only reports status ("" when it may do more): see the module docstring."""
    if app.platform != "nodered" or ep.kind != "http" \
            or any(m not in ("GET", "HEAD") for m in ep.methods):
        return ""
    branch = list(_branch(app, entry))
    if not branch or len(branch) > MAX_BRANCH:
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


def _branch(app: App, entry: Step) -> Iterator[Step]:
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
    if p.get("authType") or p.get("tls") or p.get("headers") or step.credential_refs:
        return False
    if any(_CREDENTIAL.search(str(s.params.get("func") or "")) for s in branch
           if s.type == "function"):
        return False  # a header or query the code sets may carry a key
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
