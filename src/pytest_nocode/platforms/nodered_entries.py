"""Node-RED entry points beyond ``http in``: what a call to one can do, and the listeners
community nodes open.

**What a call can do** (:attr:`~pytest_nocode.model.EntryPoint.effect`) is read from the steps
its messages reach: a route that only reads a stylesheet and answers with it, or one whose
wire ends in a junction, opens no door a reviewer files; one that reaches a command, a write,
a request, a device or any node this module does not know does. Unknown is "acts".

**Listeners** of widely used community nodes, each checked against the node's own config keys:

* ``aedes broker`` (node-red-contrib-aedes): an MQTT broker inside Node-RED; its user name
  and password are credentials, which a flows export never holds, so its authentication is
  unproven, never assumed;
* ``uibuilder`` (node-red-contrib-uibuilder): a page whose browser clients send messages
  into the flow over its socket (output 1; output 2 carries their connects);
* ``twitter in`` (node-red-node-twitter) on direct messages: anyone who can message the
  account writes the flow's input;
* ``homekit-bridge`` / ``homekit-standalone`` (node-red-contrib-homekit-bridged): paired
  Home app clients only, unless ``allowInsecureRequest`` lets unpaired ones in;
* ``noraf-config`` (node-red-contrib-nora-fork, Google Home): each device asks for no
  confirmation, an acknowledgement or a PIN (``twofactor``: off / ack / pin) before Google
  Assistant runs a command; without a PIN anyone the assistant hears, or any linked account,
  runs it.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_nocode.model import (
    ACTS,
    ANSWERS,
    NOTHING,
    PASSES,
    SERVES,
    EntryPoint,
    Step,
    is_page,
    is_web_asset,
    stronger_effect,
)

# Nodes that shape, route or hold a message and change nothing outside the flow.
SHAPING_TYPES = frozenset({
    "switch", "json", "xml", "yaml", "csv", "html", "split", "join", "sort", "batch", "range",
    "delay", "trigger", "rbe", "filter", "link in", "link out", "link call", "junction",
    "comment", "debug", "status", "catch", "complete",
    "uib-cache"})  # uibuilder's cache: replays the last messages to a page that connects
# Nodes that answer whoever called (the HTTP caller, a socket's clients); a uibuilder node
# sends what it gets to its page's clients and forwards it only with fwdInMessages.
ANSWER_TYPES = frozenset({"http response", "websocket out", "uibuilder"})
_CONTEXT_JSONATA = re.compile(r"\$(?:global|flow)Context\s*\(")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_STRING = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
_LITERAL = r"""(?:''|\d+|\{\s*\}|true|false)"""
# a page (its markup, a form, a script) or a mustache field: what a template answers is more
# than fixed text
_PAGE_OR_FIELD = re.compile(r"\{\{|<\s*(?:!doctype|html|body|form|script)\b", re.I)
# headers = {}; headers['Content-type'] = "text/css"; msg.headers = headers;
# msg.statusCode = 200; msg.headers = {"content-type": "text/css"}; return msg
_RESPONSE_META = re.compile(
    r"return\s+msg|(?:(?:var|let|const)\s+)?headers\s*=\s*\{\s*\}|"
    r"(?:msg\.)?headers\s*(?:\[\s*" + _LITERAL + r"\s*\]|\.[\w-]+)\s*=\s*" + _LITERAL + r"|"
    r"msg\.headers\s*=\s*(?:headers|\{(?:\s*" + _LITERAL + r"\s*:\s*" + _LITERAL
    + r"\s*,?)*\s*\})|msg\.statusCode\s*=\s*\d+")


def entry_effect(starts: Iterable[Step], by_id: Mapping[str, Step]) -> tuple[str, str]:
    """What messages entering at ``starts`` can do, along their wiring (``acts``, ``serves``,
    ``answers`` or ``nothing``), and why: the node that acts, or those that serve or
    answer (:attr:`~pytest_nocode.model.EntryPoint.effect_reason`)."""
    seen: set[str] = set()
    queue = [t for s in starts for t in s.outbound]
    effect, reasons = PASSES, []
    while queue:
        sid = queue.pop()
        step = by_id.get(sid)
        if sid in seen or step is None or step.disabled:
            continue
        seen.add(sid)
        what = step_effect(step)
        if what == ACTS:
            return ACTS, _reason(step, ACTS)
        if what != effect and stronger_effect(what, effect) == what:
            effect, reasons = what, []  # a stronger effect: its reasons, not the weaker
        if what == effect and what != PASSES and (why := _reason(step, what)) not in reasons:
            reasons.append(why)
        if step.type not in ANSWER_TYPES or step.params.get("fwdInMessages") is True:
            queue.extend(step.outbound)
    if effect == PASSES:
        return NOTHING, "nothing after it acts or answers"
    return effect, "; ".join(sorted(reasons))


def _reason(step: Step, what: str) -> str:
    """Why ``step`` has effect ``what``, in a reviewer's words."""
    named = f"node {step.name or step.id!r} ({step.type})"
    if what == ANSWERS:
        return f"{named} answers with what reaches it"
    if what == SERVES:
        if step.type == "file in":
            return f"{named} reads a file it may answer with"
        if step.type == "template":
            return f"{named} renders a page or message fields"
        return f"{named} copies flow or global context into the message"
    if step.type == "function":
        return f"{named} runs code its author wrote"
    if step.type in ("template", "change"):
        return f"{named} sets flow or global context (or rules the reader cannot follow)"
    return f"{named} may change, send or run something"


def step_effect(step: Step) -> str:
    """What one enabled step does with a message it is given."""
    p = step.params
    if step.type in SHAPING_TYPES or step.type.startswith("subflow:"):
        return PASSES
    if step.type in ANSWER_TYPES:
        return ANSWERS
    if step.type == "file in":
        filename = _text(p.get("filename"))
        fixed = _text(p.get("filenameType") or "str") == "str"
        return PASSES if fixed and is_web_asset(filename) and not is_page(filename) \
            else SERVES
    if step.type == "function":
        # code may do anything later (a stub answering "ok" today is a light switch
        # tomorrow): only one that sets the answer's headers or status passes
        return PASSES if _only_sets_response_meta(p) else ACTS
    if step.type == "template":
        if _text(p.get("fieldType") or "msg") != "msg":
            return ACTS  # writes flow or global context
        return SERVES if _PAGE_OR_FIELD.search(_text(p.get("template"))) else PASSES
    if step.type == "change":
        return _change_effect(p.get("rules"))
    return ACTS


def _change_effect(rules: Any) -> str:
    """A change node acts when it sets flow or global context; it serves data when it copies
    a context value into the message (a KPI, a reading: what the flow keeps)."""
    if not isinstance(rules, list):
        return ACTS
    reads = False
    for rule in rules:
        if not isinstance(rule, dict):
            return ACTS
        if rule.get("pt") in ("flow", "global"):
            return ACTS
        if rule.get("tot") in ("flow", "global") or _CONTEXT_JSONATA.search(
                json.dumps(rule.get("to"), default=str)):
            reads = True
    return SERVES if reads else PASSES


def _only_sets_response_meta(p: Mapping[str, Any]) -> bool:
    """A function whose every statement sets the answer's headers or status code to literals
    (``msg.headers = {"Content-Type": "text/css"}; return msg;``)."""
    if p.get("libs") or _text(p.get("initialize")).strip() or _text(p.get("finalize")).strip():
        return False
    code = _STRING.sub("''", _COMMENT.sub("", _text(p.get("func"))))
    statements = [s.strip() for s in re.split(r"[;\n]", code) if s.strip()]
    return any(s != "return msg" for s in statements) \
        and all(_RESPONSE_META.fullmatch(s) for s in statements)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# -- community listeners ---------------------------------------------------------------------
HOMEKIT_BRIDGES = frozenset({"homekit-bridge", "homekit-standalone"})
NORA_CONFIGS = frozenset({"noraf-config"})
# NORA devices whose commands open nothing (a lamp, the heating set point, a notification):
# Google asks for a second factor on locks, doors and the like, not on these.
NORA_LOW_STAKES = frozenset({"noraf-light", "noraf-thermostat", "noraf-notify",
                             "noraf-doorbell", "noraf-charger", "noraf-fan"})


def community_entry_points(step: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """The entry points of one community node, if it opens one (see the module docstring)."""
    p = step.params
    active = not step.disabled
    if step.type == "aedes broker":
        yield EntryPoint(step.id, "mqtt", _broker_route(p), (), None, active)
    elif step.type == "uibuilder":
        url = _text(p.get("url")).strip().strip("/")
        yield EntryPoint(step.id, "websocket", f"/{url}" if url else "/uibuilder", (), None,
                         active, *entry_effect([step], by_step))
    elif step.type == "twitter in" and _text(p.get("user")) == "dm":
        yield EntryPoint(step.id, "chat", "twitter direct messages", (), "none", active,
                         *entry_effect([step], by_step))
    elif step.type in HOMEKIT_BRIDGES:
        yield from _homekit(step, by_step)
    elif step.type in NORA_CONFIGS:
        yield from _nora(step, by_step)


def _broker_route(p: Mapping[str, Any]) -> str:
    route = f"broker :{_text(p.get('mqtt_port')).strip() or '1883'}"
    if _text(p.get("mqtt_ws_bind")) == "port" and _text(p.get("mqtt_ws_port")).strip():
        route += f", websocket :{_text(p.get('mqtt_ws_port')).strip()}"
    elif _text(p.get("mqtt_ws_bind")) == "path" and _text(p.get("mqtt_ws_path")).strip():
        route += f", websocket {_text(p.get('mqtt_ws_path')).strip()}"
    return route


def _users(config: Step, by_step: Mapping[str, Step]) -> list[Step]:
    return [s for s in by_step.values() if config.id in s.config_refs and not s.disabled]


def _homekit(bridge: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """A HomeKit bridge whose services take commands from the Home app: pairing with the PIN
    authenticates controllers unless ``allowInsecureRequest`` is on."""
    services = _users(bridge, by_step)
    if not services:
        return
    insecure = bridge.params.get("allowInsecureRequest") in (True, "true")
    name = _text(bridge.params.get("bridgeName")).strip() or bridge.name
    yield EntryPoint(bridge.id, "assistant", f"HomeKit bridge {name}".strip(), (),
                     "none" if insecure else "pairing", True, *entry_effect(services, by_step))


def _nora(config: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
    """A NORA link to Google Home: the devices (other than lamps and the like) that run a
    command without a PIN are open to whoever the assistant obeys; with a PIN on every one,
    the PIN authenticates."""
    default = _text(config.params.get("twofactor")) or "off"
    devices = [d for d in _users(config, by_step)
               if d.outbound and d.type not in NORA_LOW_STAKES]
    if not devices:
        return
    open_devices = [d for d in devices if (_text(d.params.get("twofactor")) or default) != "pin"]
    name = _text(config.params.get("structure")).strip() or config.name
    effect, reason = entry_effect(open_devices or devices, by_step)
    yield EntryPoint(config.id, "assistant", f"NORA (Google Home) {name}".strip(), (),
                     "none" if open_devices else "pin", True, effect, reason)
