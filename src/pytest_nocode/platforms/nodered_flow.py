"""How a message passes each Node-RED node, in the model's terms (for
:mod:`pytest_nocode.dataflow`).

A Node-RED message is an object: nodes read and set its properties (``msg.payload``,
``msg.topic``, ``msg.filename``, ``msg.url``) and pass the rest on. Each description says which
properties a node's sinks read (an exec node appending ``msg.payload``, a MySQL node running
``msg.topic``, a file node opening ``msg.filename`` when its own filename is empty) and which it
sets, and to what (an inject, change or template setting ``msg.payload`` to a constant ends
whatever the payload held before). Only this module and :mod:`pytest_nocode.platforms.nodered`
know Node-RED's node types.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_nocode.dataflow import runs_code
from pytest_nocode.model import FieldWrite, SinkUse, Step, StepFlow, ValueRef, split_url
from pytest_nocode.policy import default_zone

DROP = StepFlow(output="drop")
MUSTACHE = re.compile(r"\{\{(\{?)\s*([#^/&]?)\s*([A-Za-z_$][\w$]*(?:\.[\w$]+|\[[^\]]*\])*)")
URL_LITERAL = re.compile(r"msg\.url\s*=\s*(['\"`])((?:https?|wss?)://[^'\"`$\s]*)")
# Nodes through which a message passes with the properties it had.
PASS_TYPES = frozenset({
    "link in", "link out", "link call", "junction", "switch", "delay", "trigger", "rbe",
    "filter", "split", "join", "csv", "json", "xml", "yaml", "html", "sort", "batch", "range",
    "debug", "http response", "websocket out", "mqtt out", "tcp out", "udp out", "file",
    "complete", "status", "catch", "comment", "e-mail", "ui_template"})
# Where messages from outside begin without an EntryPoint of their own in the model.
SUBSCRIPTIONS = {"mqtt in": "mqtt in", "e-mail in": "email", "telegram receiver":
                 "Telegram bot messages", "telegram command": "Telegram bot commands",
                 "aedes broker": "MQTT broker"}
# Receivers of chat messages anyone can send a bot (Slack, Discord, Telegram events, RedBot).
MESSAGE_RECEIVERS = {"telegram event": "Telegram bot events",
                     "chatbot-telegram-receive": "Telegram bot messages",
                     "chatbot-slack-receive": "Slack messages",
                     "chatbot-discord-receive": "Discord messages",
                     "discordMessage": "Discord messages", "slack-rtm-in": "Slack messages"}
FRESH_SOURCES = frozenset({"http in", "websocket in", "tcp in", "udp in", *SUBSCRIPTIONS,
                           *MESSAGE_RECEIVERS})
# SQL nodes: (the node's own query property, the message property it runs when that is
# empty, whether its own query is a mustache template of msg).
SQL_NODES: dict[str, tuple[str, str, bool]] = {
    "mysql": ("", "topic", False),
    "postgresql": ("query", "query", True),
    "postgres": ("query", "query", True),
    "MSSQL": ("query", "payload", True),
    "MSSQL-CN": ("query", "payload", True),
    "oracledb": ("query", "query", False),
}
INFLUX_QUERY = ("influxdb in",)
# ENV-like value types of typed inputs
_SAFE_TYPES = {"str": "constant", "num": "constant", "bool": "constant", "json": "constant",
               "bin": "constant", "re": "constant", "date": "platform", "env": "env",
               "node": "platform", "cred": "env"}


@dataclass
class NodeRedFlows:
    """The description needs config nodes (a database's name): filled by the adapter."""

    configs: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def describe(self, step: Step) -> StepFlow:
        """How a message passes ``step``; a disabled node passes nothing on."""
        if step.disabled:
            return DROP
        t = step.type
        p = step.params
        if t == "inject":
            return StepFlow("fresh", tuple(_inject_writes(p)), starts=True)
        if t == "mqtt in":
            return self._mqtt_in(step)
        if t in MESSAGE_RECEIVERS:
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "entry", MESSAGE_RECEIVERS[t]),)),), starts=True)
        if t in SUBSCRIPTIONS:
            topic = _text(p.get("topic"))
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "entry", f"{SUBSCRIPTIONS[t]} {topic}".strip()),)),), starts=True)
        if t in FRESH_SOURCES:
            return StepFlow("fresh", starts=True)  # the engine adds the entry's origin
        if t == "change":
            return StepFlow("pass", tuple(_change_writes(p)))
        if t == "template":
            return _template(p)
        if t == "function":
            return _function(p)
        if t == "exec":
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "unknown", f"output of {_text(p.get('command')) or 'a command'}"),)),),
                tuple(_exec_sinks(p)))
        if t == "http request":
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "unknown", f"response of {step.name or 'an HTTP request'}"),)),),
                tuple(_request_sinks(p)))
        if t in ("file", "file in"):
            return self._file(step)
        if t in SQL_NODES:
            return self._sql(step)
        if t in ("sqlite", "sqlitedb"):
            return describe_sqlite(step)
        if t in INFLUX_QUERY:
            sinks = () if _text(p.get("query")).strip() else (SinkUse(
                "query", "query", (ValueRef("field", "query", path="msg.query"),),
                "runs the Flux/InfluxQL query it receives in msg.query"),)
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "store", f"database {self._config_name(p, 'influxdb')}"),)),), sinks)
        if t in PASS_TYPES or t.startswith("subflow:"):
            sends = (SinkUse("send", "payload", (ValueRef("field", "payload"),),
                             "sends msg.payload"),) if t in ("mqtt out", "tcp out",
                                                             "udp out", "e-mail") else ()
            return StepFlow("pass", (), sends)
        # a node we do not know: it passes the message on and may set the payload
        return StepFlow("pass", (FieldWrite("payload", (ValueRef(
            "unknown", f"output of {step.name or t}"),), strong=False),))

    def _mqtt_in(self, step: Step) -> StepFlow:
        """Messages from a broker beyond the owner's own networks come from whoever can
        publish there (an internet broker's topic is anyone's); from a broker on this host or
        the private network, from the owner's devices: of unknown origin, not untrusted."""
        topic = _text(step.params.get("topic"))
        broker = self.configs.get(_text(step.params.get("broker"))) or {}
        address = _text(broker.get("broker")).strip()
        host = (split_url(address)[1] if "://" in address else address).lower()
        zone = default_zone(host) if host else "internet"
        if zone in ("loopback", "host", "private"):
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "unknown", f"mqtt in {topic} from the {zone} broker {host}".strip()),)),),
                starts=True)
        shown = f" from {host}" if host else ""
        return StepFlow("fresh", (FieldWrite("*", (ValueRef(
            "entry", f"mqtt in {topic}{shown}".strip()),)),), starts=True)

    def _file(self, step: Step) -> StepFlow:
        p = step.params
        name = _text(p.get("filename"))
        kind = _text(p.get("filenameType")) or "str"
        if kind == "str" and not name.strip():
            refs: tuple[ValueRef, ...] = (ValueRef("field", "filename", path="msg.filename"),)
        elif kind == "msg":
            refs = (ValueRef("field", _top(name), path=f"msg.{name}"),)
        elif kind == "jsonata":
            refs = (ValueRef("field", "*", path="a JSONata expression"),)
        elif kind in ("flow", "global"):
            refs = (ValueRef("store", f"{kind} context {name}"),)
        else:
            refs = (_typed(name, kind),)
        sinks = () if refs[0].kind in ("constant", "env") else (SinkUse(
            "path", "filename", refs, f"opens the file named in {refs[0].path or 'the message'}"),)
        if step.type == "file":
            return StepFlow("pass", (), sinks)
        shown = name.strip() if kind == "str" and name.strip() else "named at run time"
        return StepFlow("pass", (FieldWrite("payload", (ValueRef("store", f"file {shown}"),)),),
                        sinks)

    def _sql(self, step: Step) -> StepFlow:
        p = step.params
        own, fallback, templated = SQL_NODES[step.type]
        reads: tuple[ValueRef, ...] = ()
        text = _text(p.get(own)) if own else ""
        if text.strip():
            if templated:
                reads = tuple(ValueRef("field", _top(ref.removeprefix("msg.")), path=ref)
                              for _triple, _sect, ref in MUSTACHE.findall(text)
                              if ref.startswith("msg."))
                reason = "builds its SQL query from message data ({{ }} in the query)"
            else:
                reason = ""
        else:
            reads = (ValueRef("field", fallback, path=f"msg.{fallback}"),)
            reason = f"runs the SQL query it receives in msg.{fallback}"
        sinks = (SinkUse("sql", own or fallback, reads, reason),) if reads else ()
        db = self._config_name(p, "mydb", "postgresDB", "postgreSQLConfig", "mssqlCN", "connection",
                               "server")
        return StepFlow("pass", (FieldWrite("payload", (ValueRef("store", f"database {db}"),)),),
                        sinks)

    def _config_name(self, p: Mapping[str, Any], *keys: str) -> str:
        for key in keys:
            config = self.configs.get(_text(p.get(key)))
            if config is not None:
                return _text(config.get("name") or config.get("db") or config.get("database")
                             or config.get("dbname")) or "(unnamed connection)"
        return "(connection not in the export)"


def describe_sqlite(step: Step) -> StepFlow:
    """node-red-node-sqlite: ``sqlquery`` says what runs: msg.topic (default), a fixed or a
    prepared statement (its own ``sql``, values bound from msg.params), or a batch in
    msg.topic."""
    mode = _text(step.params.get("sqlquery")) or "msg.topic"
    sinks = () if mode in ("fixed", "prepared") else (SinkUse(
        "sql", "topic", (ValueRef("field", "topic", path="msg.topic"),),
        "runs the SQL query it receives in msg.topic"),)
    return StepFlow("pass", (FieldWrite("payload", (ValueRef(
        "store", f"database {_text(step.params.get('mydb')) or 'sqlite'}"),)),), sinks)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _top(path: str) -> str:
    """The top-level property of ``payload.a`` / ``payload["a"]``."""
    m = _TOP.match(path)
    return m.group(1) if m else "*"


_TOP = re.compile(r"\s*([A-Za-z_$][\w$]*)")


def _typed(value: Any, kind: str) -> ValueRef:
    """The origin of a Node-RED typed input (value + its type: str, env, flow, msg, date…)."""
    text = _text(value)
    if kind == "msg":
        return ValueRef("field", _top(text), path=f"msg.{text}")
    if kind in ("flow", "global"):
        return ValueRef("store", f"{kind} context {text}".strip())
    if kind == "jsonata":
        return ValueRef("field", "*", path="a JSONata expression")
    if kind == "date":
        return ValueRef("platform", "timestamp")
    origin = _SAFE_TYPES.get(kind)
    if origin == "env":
        return ValueRef("env", text)
    if origin is not None:
        return ValueRef(origin)
    return ValueRef("unknown", f"{kind} value")


def _inject_writes(p: Mapping[str, Any]) -> Iterator[FieldWrite]:
    props = p.get("props")
    if not isinstance(props, list):  # before Node-RED 1.1: payload and topic only
        props = [{"p": "payload"}, {"p": "topic"}]
    for prop in props:
        if not isinstance(prop, dict):
            continue
        name = _text(prop.get("p"))
        if name == "payload":
            value, kind = p.get("payload"), _text(p.get("payloadType")) or "date"
        elif name == "topic":
            value, kind = p.get("topic"), "str"
        else:
            value, kind = prop.get("v"), _text(prop.get("vt")) or "str"
        if name:
            yield FieldWrite(_top(name), (_typed(value, kind),), strong="." not in name)


def _change_writes(p: Mapping[str, Any]) -> Iterator[FieldWrite]:
    rules = p.get("rules")
    for rule in rules if isinstance(rules, list) else ():
        if not isinstance(rule, dict) or _text(rule.get("pt") or "msg") != "msg":
            continue
        target = _text(rule.get("p"))
        whole = bool(re.fullmatch(r"[A-Za-z_$][\w$]*", target))
        op = rule.get("t")
        if op == "set":
            yield FieldWrite(_top(target), (_typed(rule.get("to"), _text(rule.get("tot"))
                                                   or "str"),), strong=whole)
        elif op == "delete" and whole:
            yield FieldWrite(target, (ValueRef("constant"),))
        elif op == "move" and _text(rule.get("tot") or "msg") == "msg":
            moved = _text(rule.get("to"))
            yield FieldWrite(_top(moved), (ValueRef("field", _top(target), path=target),),
                             strong=bool(re.fullmatch(r"[A-Za-z_$][\w$]*", moved)))
            if whole:
                yield FieldWrite(target, (ValueRef("constant"),))


def _mustache_refs(text: str, *, unescaped_only: bool) -> tuple[ValueRef, ...]:
    """Message properties a Node-RED template reads (``{{payload.x}}``; ``flow.``, ``global.``
    and ``env.`` name context and environment values)."""
    out: list[ValueRef] = []
    for triple, section, ref in MUSTACHE.findall(text):
        if unescaped_only and not (triple or section == "&"):
            continue
        head = _top(ref)
        if head in ("flow", "global"):
            out.append(ValueRef("store", f"{head} context {ref[len(head) + 1:]}"))
        elif head == "env":
            out.append(ValueRef("env", ref[4:]))
        elif section not in ("/",):
            out.append(ValueRef("field", head, path=f"msg.{ref}"))
    return tuple(dict.fromkeys(out))


def _template(p: Mapping[str, Any]) -> StepFlow:
    text = _text(p.get("template"))
    mustache = _text(p.get("syntax") or "mustache") == "mustache"
    target = _text(p.get("field")) or "payload"
    refs = _mustache_refs(text, unescaped_only=False) if mustache else ()
    writes: tuple[FieldWrite, ...] = ()
    if _text(p.get("fieldType") or "msg") == "msg":
        writes = (FieldWrite(_top(target), (ValueRef("constant"), *refs),
                             strong="." not in target),)
    sinks: tuple[SinkUse, ...] = ()
    unescaped = _mustache_refs(text, unescaped_only=True) if mustache else ()
    if unescaped:
        sinks = (SinkUse("template", "template", unescaped,
                         "renders message data unescaped ({{{ … }}})"),)
    return StepFlow("pass", writes, sinks)


def _function(p: Mapping[str, Any]) -> StepFlow:
    code = _text(p.get("func"))
    writes = [FieldWrite("url", (ValueRef("constant", m.group(2)),), strong=False)
              for m in URL_LITERAL.finditer(code)] if "msg.url" in code else []
    counts = _assigned(code)
    for m in CONSTANT_ASSIGNMENT.finditer(code) if counts else ():
        if counts.get(m.group(1)) == 1 and m.group(1) != "url":  # set once, to fixed text
            writes.append(FieldWrite(m.group(1), (ValueRef("constant"),)))
    sinks = (SinkUse("code", "func", (ValueRef("field", "*", path="msg"),),
                     "evaluates or executes message data in code"),) if runs_code(code) else ()
    return StepFlow("mix", tuple(writes), sinks)


# msg.topic = "SELECT …"; — a whole property set to one fixed text (no ${ }, no +)
CONSTANT_ASSIGNMENT = re.compile(
    r"\bmsg\.([A-Za-z_$][\w$]*)\s*=\s*(?:\"[^\"\\\n]*\"|'[^'\\\n]*'|`[^`$\\]*`)\s*(?:;|\n|$)")
ASSIGNMENT = re.compile(r"\bmsg\.([A-Za-z_$][\w$]*)\s*=(?!=)")


def _assigned(code: str) -> dict[str, int]:
    """How often the code assigns each top-level message property."""
    counts: dict[str, int] = {}
    for name in ASSIGNMENT.findall(code):
        counts[name] = counts.get(name, 0) + 1
    return counts


def _exec_sinks(p: Mapping[str, Any]) -> Iterator[SinkUse]:
    addpay = p.get("addpay")
    if addpay is True or addpay == "true":  # before Node-RED 1.0: true meant msg.payload
        addpay = "payload"
    appended = _text(addpay) if addpay not in (None, False, "false") else ""
    command = _text(p.get("command")).strip()
    if not command:
        prop = appended or "payload"
        yield SinkUse("command", "command", (ValueRef("field", _top(prop), path=f"msg.{prop}"),),
                      f"takes its whole command from msg.{prop}")
    elif appended:
        yield SinkUse("command", "addpay", (ValueRef("field", _top(appended),
                                                     path=f"msg.{appended}"),),
                      f"appends msg.{appended} to the shell command")


def _request_sinks(p: Mapping[str, Any]) -> Iterator[SinkUse]:
    url = _text(p.get("url")).strip()
    if not url:
        refs: tuple[ValueRef, ...] = (ValueRef("field", "url", path="msg.url"),)
    else:
        refs = tuple(ValueRef("field", _top(ref), path=f"msg.{ref}")
                     for _t, _s, ref in MUSTACHE.findall(url))
    yield SinkUse("url", "url", refs, "sends to this URL")
    if not url or url.startswith("{{") or "://{{" in url:  # the whole target is computed
        yield SinkUse("fetch", "url", refs,
                      "sends a request to a URL it is given (server-side request forgery)")
    yield SinkUse("send", "payload", (ValueRef("field", "payload", path="msg.payload"),
                                      ValueRef("field", "headers", path="msg.headers")),
                  "sends msg.payload")
