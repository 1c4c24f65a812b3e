"""How a message passes each Node-RED node, in the model's terms (for
:mod:`pytest_nocode.dataflow`).

A Node-RED message is an object: nodes read and set its properties (``msg.payload``,
``msg.topic``, ``msg.filename``, ``msg.url``) and pass the rest on. Each description says which
properties a node's sinks read (an exec node appending ``msg.payload``, a MySQL node running
``msg.topic``, a file node opening ``msg.filename`` when its own filename is empty) and which it
sets, and to what (an inject, change or template setting ``msg.payload`` to a constant ends
whatever the payload held before). Only this module and :mod:`pytest_nocode.platforms.nodered`
know Node-RED's node types.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from pytest_nocode.commandfiles import files_read
from pytest_nocode.dataflow import FETCH_PATH, runs_code, service_response
from pytest_nocode.model import (
    AS_PARSED_OBJECT,
    IN_FILE_NAME,
    IN_SQL_LITERAL_ESCAPED,
    IN_URL_ENCODED,
    IN_URL_PATH_INTERNET,
    IN_URL_PATH_OWN,
    IN_URL_QUERY,
    SYNTAX_ONLY,
    FieldWrite,
    SinkUse,
    Step,
    StepFlow,
    ValueRef,
    is_model_api,
    is_self_hosted_model,
    split_url,
)
from pytest_nocode.platforms.jsparse import paths_read
from pytest_nocode.platforms.nodered_entries import HTTPAUTH, SQL_NODES
from pytest_nocode.platforms.nodered_function import (
    KEY_COLUMN,
    URL_PLACEMENTS,
    CodeCall,
    clock_names,
    follow_function,
    module_names,
    placement,
    whole_context_key,
)
from pytest_nocode.platforms.nodered_jsonata import jsonata_refs
from pytest_nocode.policy import default_zone

DROP = StepFlow(output="drop")
PAYLOAD = ValueRef("field", "payload", path="msg.payload")
# {{name}}, {{{name}}}, {{#section}}, {{/section}}, {{& name}}; {{.}} is the current item
MUSTACHE = re.compile(r"\{\{(\{?)\s*([#^/&]?)\s*"
                      r"(\.(?=\s*\}\})|[A-Za-z_$][\w$]*(?:\.[\w$]+|\[[^\]]*\])*)")
URL_LITERAL = re.compile(r"msg\.url\s*=\s*(['\"`])((?:https?|wss?)://[^'\"`$\s]*)")
# Nodes through which a message passes with the properties it had.
PASS_TYPES = frozenset({
    "link in", "link out", "link call", "junction", "delay", "trigger", "rbe",
    "filter", "split", "join", "csv", "json", "xml", "yaml", "html", "sort", "batch", "range",
    "debug", "http response", "websocket out", "mqtt out", "tcp out", "udp out", "file",
    "complete", "status", "catch", "comment", "e-mail", "ui_template", HTTPAUTH})
# Of those, the ones that turn msg.payload into other text or values (JSON text, CSV lines,
# each element of a split): what the payload was as a whole no longer holds.
RESHAPE_PAYLOAD = frozenset({"json", "xml", "yaml", "csv", "html", "split", "join", "sort",
                             "batch", "range"})
# Nodes that read hardware attached to this host (a 1-Wire thermometer, a DHT sensor, an I2C
# device, a GPIO pin): what they put in msg.payload is the device's reading, a platform value
# like a fixed command's output, whoever sent the message that asked for it. The pin watchers
# start messages of their own.
HOST_READINGS = frozenset({"ds18b20", "rpi-ds18b20", "rpi-dht22", "i2c in"})
PIN_WATCHERS = frozenset({"rpi-gpio in", "pi-gpiod in"})
# Where messages from outside begin without an EntryPoint of their own in the model.
SUBSCRIPTIONS = {"mqtt in": "mqtt in", "e-mail in": "email", "telegram receiver":
                 "Telegram bot messages", "telegram command": "Telegram bot commands",
                 "aedes broker": "MQTT broker", "mosca in": "MQTT broker",
                 "ibmiot in": "IBM Watson IoT device events"}
# Receivers of chat messages anyone can send a bot (Slack, Discord, Telegram events, RedBot).
MESSAGE_RECEIVERS = {"telegram event": "Telegram bot events",
                     "chatbot-telegram-receive": "Telegram bot messages",
                     "chatbot-slack-receive": "Slack messages",
                     "chatbot-discord-receive": "Discord messages",
                     "discordMessage": "Discord messages", "slack-rtm-in": "Slack messages"}
# Node-RED names its receiving nodes "<protocol> in" / "<protocol>-in" (amqp-in, redis-in,
# opcua-iiot-in): messages start there, from whoever can send on that protocol.
RECEIVER_TYPE = re.compile(r"[ _-]in$", re.I)
FRESH_SOURCES = frozenset({"http in", "websocket in", "tcp in", "udp in", *SUBSCRIPTIONS,
                           *MESSAGE_RECEIVERS})
# What the core listener nodes put in the message they start, as their help and source say:
# (the caller's fields, the node's own). A field not named is absent until a later node sets
# it: a flow's later msg.topic is not what the caller sent. ``res`` is the response handle,
# ``_session`` the connection's id: Node-RED makes them.
LISTENER_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "http in": (("payload", "req"), ("res", "_msgid")),  # req: body, query, params, headers
    "websocket in": (("payload",), ("_session",)),
    "tcp in": (("payload", "ip", "port"), ("_session",)),  # topic: the node's own setting
    "udp in": (("payload", "fromip", "ip", "port"), ()),
}
# What an http request sets from the response it gets (the rest of the message goes on).
RESPONSE_FIELDS = ("payload", "statusCode", "headers", "responseUrl", "responseCookies",
                   "redirectList")
# What an mqtt in message holds (MQTT v5 adds the rest): all of it is the publisher's.
MQTT_FIELDS = ("topic", "payload", "qos", "retain", "responseTopic", "correlationData",
               "contentType", "userProperties", "messageExpiryInterval",
               "payloadFormatIndicator")
INFLUX_QUERY = ("influxdb in",)
# MongoDB nodes that take the filter (or aggregation pipeline) of a read from msg.payload:
# type -> (its config key, the operations that do). node-red-node-mongodb's ``mongodb in``
# passes msg.payload to find, count and aggregate as it is; ``mongodb-read`` is fed its find
# filter the same way (what the real flows put in msg.payload before it). An object from a
# request there selects by operators ({"$ne": ""}, {"$where": …}), not only by values:
# NoSQL injection, even from a query string parsed into an object (x[$ne]=).
MONGO_READS: dict[str, tuple[str, frozenset[str]]] = {
    "mongodb in": ("mongodb", frozenset({"find", "count", "aggregate"})),
    "mongodb-read": ("server", frozenset({"find", "findOne", "count", "countDocuments",
                                          "aggregate"})),
}
# node-red-contrib-redis's ``redis-command`` runs the one Redis command its ``command`` names,
# with arguments from msg.payload (or its ``topic`` as the key), and answers with the reply.
# These commands answer with the values stored under keys (a hash's fields, a list's items, a
# key's names): a store read like a database SELECT. The others answer with a count or "OK".
REDIS_COMMAND = "redis-command"
REDIS_READS = frozenset({
    "get", "mget", "getrange", "getdel", "getex", "hget", "hmget", "hgetall", "hkeys", "hvals",
    "hscan", "hrandfield", "keys", "scan", "lrange", "lindex", "lpop", "rpop", "smembers",
    "srandmember", "sscan", "spop", "sunion", "sinter", "sdiff", "zrange", "zrangebyscore",
    "zrevrange", "zrevrangebyscore", "zrangebylex", "zscan", "xrange", "xrevrange", "xread",
    "json.get", "json.mget", "ft.search"})


def redis_read(p: Mapping[str, Any]) -> str:
    """The read command (:data:`REDIS_READS`) a ``redis-command`` node runs, or ""."""
    command = (p.get("command") if isinstance(p.get("command"), str) else "").strip().lower()
    return command if command in REDIS_READS else ""


def redis_location(p: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """``redis <server> (<command> [key])``: the server config's name or host, and the key
    its ``topic`` fixes, else the command alone (the key comes with the message)."""
    server = _text(config.get("name") or config.get("host")).strip() \
        or "(connection not in the export)"
    key = _text(p.get("topic")).strip()
    command = _text(p.get("command")).strip().lower()
    return f"redis {server} ({command} {key})" if key else f"redis {server} ({command})"


# Nodes that do nothing until a message arrives: one nothing is wired to (no wire, link or
# subflow port; a catch or status node feeding it is a wire too) never runs its query,
# command, template, file or request, and a change or switch node sends nothing on (the
# constants a loose "settings" change node sets reach no one). A function runs its code
# (``func``) only on a message too; only its ``initialize`` code runs on deploy, and that is
# not what the data flow reads.
RUNS_ON_MESSAGE = frozenset({*SQL_NODES, *INFLUX_QUERY, "sqlite", "sqlitedb", "exec",
                             "template", "file", "file in", "http request", "change",
                             "switch", "function"})
# Nodes that list a directory of this host into msg.payload (node-red-contrib-fs-file-lister):
# the names are the host's own files, a platform value like a fixed command's output.
DIRECTORY_LISTERS = {"fs-file-lister": "start"}
# Nodes that set msg.payload to facts of the host Node-RED runs on, whatever arrives
# (node-red-contrib-os: ``os.hostname()``, its drives, uptime, CPUs, load, memory and network
# interfaces): the machine's own values, a platform value like the clock, no one's text.
HOST_FACTS = frozenset({"OS", "Drives", "Uptime", "CPUs", "Loadavg", "Memory", "NetworkIntf"})
# Nodes that only attach a facility of the Node.js runtime to the message and send it on
# (genai-node-red's provide-global: ``msg.global = global``; provide-import-fn: ``msg.import``,
# a function importing a module): that one property is the runtime's own, a platform value;
# the payload and every other property are what came in.
RUNTIME_PROVIDERS = {
    "provide-global": ("global", "the Node.js runtime's global object (provide-global)"),
    "provide-import-fn": ("import", "a function that imports a module (provide-import-fn)"),
}
# The core watch node starts a message when a file in the folders or files its ``files`` fixes
# changes: msg.payload and msg.filename are the changed file's full path, msg.file its name,
# msg.topic the watched path, msg.type and msg.size what the file system says. The names are
# chosen by whoever writes files into that fixed folder on this host (someone already there),
# a platform value like a fixed command's output, not text from outside the host.
WATCH = "watch"
WATCH_FIELDS = ("payload", "filename", "file", "topic", "type", "size")
# node-red-contrib-hmac: msg.payload becomes the hex digest (HMAC under the node's key) of
# what it was: text of 0-9 and a-f whatever the payload held, which no value can steer into
# a quote, a path separator or markup.
DIGESTS = frozenset({"hmac"})
# node-red-node-base64: encodes ``property`` (msg.payload by default) to base64 text, or
# decodes it back; the result is made of what it was given.
BASE64 = "base64"
# ENV-like value types of typed inputs
_SAFE_TYPES = {"str": "constant", "num": "constant", "bool": "constant", "json": "constant",
               "bin": "constant", "re": "constant", "date": "platform", "env": "env",
               "node": "platform", "cred": "env"}


@dataclass(frozen=True)
class DashboardSource:
    """The dashboard a widget's visitors type into: the step that stands for it (its base
    node, else its first page: where its entry point is), the path it is served at, and
    whether ``httpNodeAuth`` asks every visitor to log in."""

    anchor: str
    route: str
    authenticated: bool


# Dashboard widgets that send what a visitor types (a form's fields, a text box) and a page
# template whose script sends messages of its own (``send(…)``, ``scope.send(…)``): text a
# visitor writes, where a button or a switch sends a value its node fixes (FIXED_WIDGETS).
TYPED_WIDGETS = {"ui_form": "form", "ui-form": "form", "ui_text_input": "text input",
                 "ui-text-input": "text input"}
PAGE_TEMPLATES = frozenset({"ui_template", "ui-template"})
# Dashboard tables (node-red-node-ui-table, FlowFuse Dashboard 2): a click sends the row of
# what the table was given to show; a column with an ``editor`` sends what a visitor typed.
TABLES = frozenset({"ui_table", "ui-table"})
_SENDS = re.compile(r"\bsend\s*\(")


@dataclass
class NodeRedFlows:
    """The description needs config nodes (a database's name) and the subflows no tab runs:
    filled by the adapter."""

    configs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    not_running: frozenset[str] = frozenset()  # subflows without an instance that runs
    tabs: Mapping[str, str] = field(default_factory=dict)  # tab or subflow id -> its name
    # nodes of RUNS_ON_MESSAGE types on an exported tab or subflow that nothing sends to
    unfed: frozenset[str] = frozenset()
    # widget type -> the dashboard its visitors type into
    dashboards: Mapping[str, DashboardSource] = field(default_factory=dict)
    # node id -> the node ids each of its outputs is wired to, for nodes with several outputs
    ports: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    # the fixed paths of the files some node of the app writes (a file node, an exec's ``>``)
    written_files: frozenset[str] = frozenset()

    def describe(self, step: Step) -> StepFlow:
        """How a message passes ``step``, its context reads and writes named by their scope:
        Node-RED keeps one flow context per tab (or subflow) and one node context per node,
        so ``flow.set(key)`` on one tab is nothing a ``flow.get`` on another reads."""
        flow = self._describe(step)
        if not _touches_local_context(flow):
            return flow
        where = _text(self.tabs.get(step.workflow_id)).strip() or step.workflow_id
        scopes = {"flow context ": f"flow context [{where}] ",
                  "node context ": f"node context [{step.name or step.id}] "}
        return replace(
            flow, writes=tuple(_scoped_write(w, scopes) for w in flow.writes),
            keeps=tuple(_scoped_write(w, scopes, field=True) for w in flow.keeps),
            outputs=tuple((targets, tuple(_scoped_write(w, scopes) for w in writes))
                          for targets, writes in flow.outputs),
            sinks=tuple(replace(s, reads=tuple(_scoped_ref(r, scopes) for r in s.reads))
                        for s in flow.sinks))

    def _describe(self, step: Step) -> StepFlow:
        """How a message passes ``step``; a disabled node, one inside a subflow no tab
        runs, or one that only acts on messages and is sent none, passes nothing on."""
        if step.disabled or step.workflow_id in self.not_running or step.id in self.unfed:
            return DROP
        t = step.type
        p = step.params
        if t == "inject":
            return StepFlow("fresh", tuple(_inject_writes(p)), starts=True)
        if t == "cron-plus":
            return _cron_plus(p)
        if t == "mqtt in":
            return self._mqtt_in(step)
        if t == "Kafka Consumer":
            return self._kafka_in(step)
        if t in MESSAGE_RECEIVERS:
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "entry", MESSAGE_RECEIVERS[t]),)),), starts=True)
        if t in SUBSCRIPTIONS:
            topic = _text(p.get("topic"))
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "entry", f"{SUBSCRIPTIONS[t]} {topic}".strip()),)),), starts=True)
        if t in LISTENER_FIELDS:
            return self._listener(step)
        if t in FRESH_SOURCES:
            return StepFlow("fresh", starts=True)  # the engine adds the entry's origin
        if t in FIXED_WIDGETS:
            return _fixed_widget(p)
        if t in TYPED_WIDGETS or (t in PAGE_TEMPLATES and _SENDS.search(_text(p.get("format")))):
            return self._typed_widget(step)
        if t in TABLES:
            if _edits_cells(p.get("columns")):
                return self._typed_widget(step)
            return StepFlow("pass", (FieldWrite("payload", (PAYLOAD, ValueRef("constant"))),))
        if t in HOST_READINGS or t in PIN_WATCHERS:
            reading = ValueRef("platform", f"reading of the {t} device on this host")
            return StepFlow("fresh" if t in PIN_WATCHERS else "pass",
                            (FieldWrite("payload", (reading,)),), starts=t in PIN_WATCHERS)
        if t == "switch":
            return StepFlow("pass", tuple(_switch_writes(p)))
        if t == "change":
            return StepFlow("pass", tuple(_change_writes(p)), keeps=tuple(_change_keeps(p)))
        if t == "template":
            return _template(p)
        if t == "function":
            return _function(p, self.ports.get(step.id, ()))
        if t == "exec":
            return _exec(p, self.written_files)
        if t == "http request":
            response = service_response(step.name or "an HTTP request")
            sinks = tuple(_request_sinks(p))
            if not calls_model(p):
                return StepFlow("pass", tuple(FieldWrite(name, (response,))
                                              for name in RESPONSE_FIELDS), sinks)
            # a model's API called by hand (Gemini's generateContent, OpenAI's completions,
            # Ollama): what it is sent is a prompt, what it answers is the model's output
            answer = ValueRef("ai", f"answer of {step.name or 'an AI model'}", step.id)
            prompt = SinkUse("prompt", "payload",
                             (ValueRef("field", "payload", path="msg.payload"),),
                             "prompts the model with msg.payload")
            return StepFlow("pass", tuple(FieldWrite(name, (answer if name == "payload"
                                                            else response,))
                                          for name in RESPONSE_FIELDS), (*sinks, prompt))
        if t in ("file", "file in"):
            return self._file(step)
        if t in SQL_NODES:
            return self._sql(step)
        if t in MONGO_READS:
            return self._mongo_read(step)
        if t == REDIS_COMMAND and redis_read(p):
            server = self.configs.get(_text(p.get("server"))) or {}
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "store", f"database {redis_location(p, server)}"),)),))
        if t in ("sqlite", "sqlitedb"):
            return describe_sqlite(step)
        if t in INFLUX_QUERY:
            sinks = () if _text(p.get("query")).strip() else (SinkUse(
                "query", "query", (ValueRef("field", "query", path="msg.query"),),
                "runs the Flux/InfluxQL query it receives in msg.query"),)
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "store", f"database {self._config_name(p, 'influxdb')}"),)),), sinks)
        if t in DIRECTORY_LISTERS:
            folder = _text(p.get(DIRECTORY_LISTERS[t])).strip() or "a folder named at run time"
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "platform", f"names of the files in {folder} ({t})"),)),))
        if t in HOST_FACTS:
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "platform", f"the host's own facts ({t} node of node-red-contrib-os)"),)),))
        if t in RUNTIME_PROVIDERS:
            prop, what = RUNTIME_PROVIDERS[t]
            return StepFlow("pass", (FieldWrite(prop, (ValueRef("platform", what),)),))
        if t == WATCH:
            watched = _text(p.get("files")).strip()
            if watched:
                what = ValueRef("platform", f"names of files changed in {watched} (watch)")
                return StepFlow("fresh", tuple(FieldWrite(name, (what,))
                                               for name in WATCH_FIELDS), starts=True)
        if t in DIGESTS:
            return StepFlow("pass", (FieldWrite("payload", (ValueRef(
                "platform", f"hex digest of msg.payload ({t} node)"),)),))
        if t == BASE64:
            prop = _top(_text(p.get("property")).strip() or "payload")
            return StepFlow("pass", (FieldWrite(prop, (ValueRef("field", prop, path=f"msg.{prop}"),
                                                       ValueRef("constant"))),))
        if t in ("http response", "websocket out"):
            return StepFlow("pass", (), tuple(self._answer_sinks(step)))
        if t in RESHAPE_PAYLOAD:  # the same origins, as new text: no longer the whole value
            return StepFlow("pass", (FieldWrite("payload", (PAYLOAD, ValueRef("constant"))),))
        if t in PASS_TYPES or t.startswith("subflow:"):
            sends = (SinkUse("send", "payload", (ValueRef("field", "payload"),),
                             "sends msg.payload"),) if t in ("mqtt out", "tcp out",
                                                             "udp out", "e-mail") else ()
            return StepFlow("pass", (), sends)
        if RECEIVER_TYPE.search(t):  # a node we do not know that receives (amqp-in, redis in)
            return StepFlow("fresh", (FieldWrite("*", (ValueRef(
                "unknown", f"messages the {t} node{f' {step.name!r}' if step.name else ''} "
                "receives"),)),), starts=True)
        # a node we do not know: it passes the message on and may set the payload (to what
        # it was, or to new text made of it: no longer the whole value)
        return StepFlow("pass", (FieldWrite("payload", (ValueRef(
            "unknown", f"output of {step.name or t}"), PAYLOAD)),))

    def _listener(self, step: Step) -> StepFlow:
        """A core listener's message: the caller's fields (the engine adds the entry's origin
        to those), the ones Node-RED makes, a tcp in's own topic. A websocket endpoint set to
        take whole messages parses what the client sends into the message: every field."""
        callers, own = LISTENER_FIELDS[step.type]
        config = self.configs.get(_text(step.params.get("server"))) \
            or self.configs.get(_text(step.params.get("client"))) or {}
        if step.type == "websocket in" and _text(config.get("wholemsg")) == "true":
            return StepFlow("fresh", starts=True)
        writes = [FieldWrite(name, (ValueRef("platform", f"{step.type} {name}"),))
                  for name in own]
        if step.type == "tcp in":
            writes.append(FieldWrite("topic", (_typed(step.params.get("topic"), "str"),)))
        # a GET route's msg.payload is req.query: always the object its query parsed into
        whole = (("payload", AS_PARSED_OBJECT),) if step.type == "http in" \
            and _text(step.params.get("method")).lower() == "get" else ()
        return StepFlow("fresh", tuple(writes), starts=True, entry_fields=callers,
                        entry_within=whole)

    def _typed_widget(self, step: Step) -> StepFlow:
        """What a visitor types into a form or a text box, or a page's script sends, comes
        from whoever can open the dashboard: anyone when no ``httpNodeAuth`` guards it (an
        entry point, at the dashboard's own), a logged-in visitor otherwise (unknown). A form
        starts a message of its own; a text box and a template also pass on what they are
        sent, so every field may be either."""
        source = self.dashboards.get(step.type)
        label = _text(step.params.get("label") or step.name).strip()
        named = f" {label!r}" if label else ""
        what = (f"sent by the script of dashboard template{named}" if step.type in PAGE_TEMPLATES
                else f"typed into dashboard {TYPED_WIDGETS.get(step.type, 'table')}{named}")
        if source is None or source.authenticated:
            ref = ValueRef("unknown", f"text {what} (the dashboard asks visitors to log in)"
                           if source is not None else f"text {what}")
        else:
            ref = ValueRef("entry", f"dashboard {source.route}: text {what}", step=source.anchor)
        if TYPED_WIDGETS.get(step.type) == "form":
            return StepFlow("fresh", (FieldWrite("payload", (ref,)),
                                      FieldWrite("topic", (ValueRef("constant"),))), starts=True)
        if step.type in PAGE_TEMPLATES and step.params.get("fwdInMessages") is False:
            # node-red-dashboard's template sends on only what its script sends (the
            # message the page built), not the messages it is given to show
            return StepFlow("fresh", (FieldWrite("*", (ref,)),), starts=True)
        typed = "payload" if step.type in TYPED_WIDGETS or step.type in TABLES else "*"
        return StepFlow("pass", (FieldWrite(typed, (ref,), strong=False),), starts=True)

    def _mqtt_in(self, step: Step) -> StepFlow:
        """What a subscription delivers; msg.topic of one to a fixed topic (no ``+`` or
        ``#``, not set by a message at run time) is that topic's text, a constant."""
        broker = self.configs.get(_text(step.params.get("broker"))) or {}
        address = _text(broker.get("broker")).strip()
        host = (split_url(address)[1] if "://" in address else address).lower()
        topic = _text(step.params.get("topic")).strip()
        flow = _subscription(f"mqtt in {topic}".strip(), host, MQTT_FIELDS)
        dynamic = _text(step.params.get("inputs")).strip() not in ("", "0")
        if not topic or dynamic or "+" in topic or "#" in topic:
            return flow
        return replace(flow, writes=tuple(
            FieldWrite("topic", (ValueRef("constant"),)) if w.field == "topic" else w
            for w in flow.writes))

    def _kafka_in(self, step: Step) -> StepFlow:
        """node-red-contrib-kafka-client: the broker config lists ``hosts: [{host, port}]``."""
        broker = self.configs.get(_text(step.params.get("broker"))) or {}
        hosts = broker.get("hosts")
        first = hosts[0] if isinstance(hosts, list) and hosts else {}
        host = _text(first.get("host") if isinstance(first, dict) else "").strip().lower()
        return _subscription(f"Kafka topic of {step.name or step.type}", host)

    def _file(self, step: Step) -> StepFlow:
        p = step.params
        name = _text(p.get("filename"))
        kind = _text(p.get("filenameType")) or "str"
        if kind == "str" and not name.strip():
            refs: tuple[ValueRef, ...] = (ValueRef("field", "filename", path="msg.filename"),)
        elif kind == "msg":
            refs = (ValueRef("field", _top(name), path=f"msg.{name}"),)
        elif kind == "jsonata":
            refs = jsonata_refs(name)
        elif kind in ("flow", "global"):
            refs = (ValueRef("store", f"{kind} context {name}"),)
        else:
            refs = (_typed(name, kind),)
        named = "a JSONata expression" if kind == "jsonata" else refs[0].path or "the message"
        if p.get("createDir") is True or p.get("createDir") == "true":  # missing dirs made
            reason, harmless = (f"opens the file named in {named} and creates its "
                                "directory (a '/' and '../' in a value climb out even after "
                                "fixed text in the file name)"), frozenset()
        else:  # a value after fixed text in the name reaches only directories that exist
            reason, harmless = f"opens the file named in {named}", frozenset(
                {IN_FILE_NAME} if kind in ("msg", "str") and refs[0].kind == "field"
                and refs[0].name != "*" else ())
        sinks = () if refs[0].kind in ("constant", "env") else (SinkUse(
            "path", "filename", refs, reason, harmless),)
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
                reads = _raw_sql_refs(text)
                reason = "builds its SQL query from message data ({{ }} in the query)"
            else:
                reason = ""
        else:
            reads = (ValueRef("field", fallback, path=f"msg.{fallback}"),)
            reason = f"runs the SQL query it receives in msg.{fallback}"
        sinks = (SinkUse("sql", own or fallback, reads, reason, _sql_harmless(step.type)),) \
            if reads else ()
        db = self._config_name(p, "mydb", "postgresDB", "postgreSQLConfig", "mssqlCN", "connection",
                               "server")
        return StepFlow("pass", (FieldWrite("payload", (ValueRef("store", f"database {db}"),)),),
                        sinks)

    def _mongo_read(self, step: Step) -> StepFlow:
        """A MongoDB read (:data:`MONGO_READS`): msg.payload is its filter or pipeline, and
        it answers with the documents of its collection."""
        p = step.params
        config_key, filtered = MONGO_READS[step.type]
        operation = _text(p.get("operation")).strip() or "find"
        collection = _text(p.get("collection")).strip() or "a collection named at run time"
        sinks = (SinkUse("query", "payload", (PAYLOAD,), f"uses msg.payload as the "
                         f"filter of its MongoDB {operation} (operators in it select other "
                         "documents)"),) if operation in filtered else ()
        db = self._config_name(p, config_key)
        return StepFlow("pass", (FieldWrite("payload", (ValueRef(
            "store", f"database {db} ({collection})"),)),), sinks)

    def _answer_sinks(self, step: Step) -> Iterator[SinkUse]:
        """What goes back to a caller: an ``http response`` answers its request with
        msg.payload; a ``websocket out`` on a listener (not a client) sends it to the
        clients connected to that endpoint."""
        payload = (ValueRef("field", "payload", path="msg.payload"),)
        if step.type == "http response":
            yield SinkUse("answer", "payload", payload, "answers the HTTP request with msg.payload")
            return
        listener = self.configs.get(_text(step.params.get("server")))
        if listener is not None and listener.get("type") == "websocket-listener":
            yield SinkUse("answer", "payload", payload,
                          "sends msg.payload to the clients of its websocket endpoint")

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
        "runs the SQL query it receives in msg.topic", _sql_harmless(step.type)),)
    return StepFlow("pass", (FieldWrite("payload", (ValueRef(
        "store", f"database {_text(step.params.get('mydb')) or 'sqlite'}"),)),), sinks)


# SQL nodes whose database reads a backslash in a string literal as an escape by default
BACKSLASH_ESCAPES = frozenset({"mysql"})


def _sql_harmless(node_type: str) -> frozenset[str]:
    """Where a value in the SQL a node runs cannot end its string literal (see
    :data:`~pytest_nocode.model.IN_SQL_LITERAL_ESCAPED`)."""
    return SYNTAX_ONLY if node_type in BACKSLASH_ESCAPES \
        else frozenset({IN_SQL_LITERAL_ESCAPED}) | SYNTAX_ONLY


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _top(path: str) -> str:
    """The top-level property of ``payload.a`` / ``payload["a"]``."""
    m = _TOP.match(path)
    return m.group(1) if m else "*"


_TOP = re.compile(r"\s*([A-Za-z_$][\w$]*)")
_KEY = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def _key(path: str) -> str:
    """``path`` as the engine's field key when it names one property or sub-key in full
    (``payload``, ``payload.a.b``), else "" (an index or a computed part: which is unknown)."""
    path = path.strip()
    return path if _KEY.fullmatch(path) else ""


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


def _typed_refs(value: Any, kind: str) -> tuple[ValueRef, ...]:
    """:func:`_typed`, with a JSONata expression read for what it names."""
    return jsonata_refs(_text(value)) if kind == "jsonata" else (_typed(value, kind),)


def _cron_plus(p: Mapping[str, Any]) -> StepFlow:
    """node-red-contrib-cron-plus: each schedule in its options starts a message with the
    schedule's topic and payload (by default details of the schedule itself). Schedules can
    also be added by messages sent to it, with their payload: what comes in stays weakly."""
    options = p.get("options")
    payloads: list[ValueRef] = []
    for option in options if isinstance(options, list) else ():
        if not isinstance(option, dict):
            continue
        kind = _text(option.get("payloadType")) or "default"
        payloads.extend((ValueRef("platform", "cron-plus schedule details"),)
                        if kind == "default" else _typed_refs(option.get("payload"), kind))
    output = _top(_text(p.get("outputField")) or "payload")
    writes = (FieldWrite("topic", (ValueRef("constant"),), strong=False),
              FieldWrite(output, tuple(payloads) or (ValueRef("constant"),), strong=False))
    return StepFlow("pass", writes, starts=True)


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
            yield FieldWrite(_top(name), _typed_refs(value, kind), strong="." not in name)


def _switch_writes(p: Mapping[str, Any]) -> Iterator[FieldWrite]:
    """A switch whose every rule asks whether a message property equals a fixed text or number
    (``topic == "login"``) lets a message out only with one of those values there: what
    leaves it holds a constant in that property, whatever the sender put in (the test is
    JavaScript's ``==``: ``["login"]`` or ``" 3 "`` pass too, and print as the same text or
    number). Any other rule (a comparison, "otherwise", a value from elsewhere) lets other
    values through."""
    rules = p.get("rules")
    prop = _text(p.get("property"))
    if _text(p.get("propertyType") or "msg") != "msg" or not isinstance(rules, list) \
            or not rules or not re.fullmatch(r"[A-Za-z_$][\w$]*", prop):
        return
    if all(isinstance(r, dict) and r.get("t") == "eq" and _text(r.get("vt") or "str")
           in ("str", "num") for r in rules):
        yield FieldWrite(prop, (ValueRef("constant", "a value the switch tests for"),))


def _change_keeps(p: Mapping[str, Any]) -> Iterator[FieldWrite]:
    """Flow and global context keys a change node sets, and to what."""
    rules = p.get("rules")
    for rule in rules if isinstance(rules, list) else ():
        if not isinstance(rule, dict) or rule.get("t") != "set":
            continue
        store = _text(rule.get("pt"))
        if store in ("flow", "global"):
            key = _text(rule.get("p")).strip()
            whole = whole_context_key(key)  # a.b changes part of a
            value = _typed_refs(rule.get("to"), _text(rule.get("tot")) or "str")
            yield FieldWrite(f"{store} context {key if whole else '*'}", value, strong=False)


def _change_writes(p: Mapping[str, Any]) -> Iterator[FieldWrite]:
    rules = p.get("rules")
    for rule in rules if isinstance(rules, list) else ():
        if not isinstance(rule, dict) or _text(rule.get("pt") or "msg") != "msg":
            continue
        target = _text(rule.get("p"))
        key = _key(target)  # a property or a sub-key named in full (payload.a): set anew
        op = rule.get("t")
        if op == "set":
            yield FieldWrite(key or _top(target), _typed_refs(
                rule.get("to"), _text(rule.get("tot")) or "str"), strong=bool(key))
        elif op == "delete" and key:
            yield FieldWrite(key, (ValueRef("constant"),))
        elif op == "move" and _text(rule.get("tot") or "msg") == "msg":
            moved = _text(rule.get("to"))
            yield FieldWrite(_key(moved) or _top(moved),
                             (ValueRef("field", _top(target), path=target),),
                             strong=bool(_key(moved)))
            if key:
                yield FieldWrite(key, (ValueRef("constant"),))


def _mustache_refs(text: str, *, unescaped_only: bool) -> tuple[ValueRef, ...]:
    """Message properties a Node-RED template reads (``{{payload.x}}``; ``flow.``, ``global.``
    and ``env.`` name context and environment values). Inside a section over a list
    (``{{#payload.rows}}…{{/payload.rows}}``) a name is looked up in the item first, then in
    the message: it reads the section's property, and the message's one of that name. A key
    or timestamp column there (``{{{sensorId}}}``) reads the items' key (a database's keys
    are no text; the engine keeps the origin of any other list's)."""
    out: list[ValueRef] = []
    sections: list[ValueRef] = []  # the open sections, innermost last
    for triple, section, ref in MUSTACHE.findall(text):
        if section == "/":
            if sections:
                sections.pop()
            continue
        read = _mustache_ref(ref)
        if section in ("#", "^"):  # prints what its names read, no text of its own
            sections.append(read)
            continue
        if unescaped_only and not (triple or section == "&"):
            continue
        if ref == "." or (sections and read.kind == "field"):
            key = KEY_COLUMN.search(ref) is not None and ref != "."
            out.extend(ValueRef("key", s.name, path=s.path) if key and s.kind == "field"
                       else s for s in sections)
            if ref == "." or not key or not sections:
                out.append(read)
        else:
            out.append(read)
    return tuple(dict.fromkeys(out))


def _mustache_ref(ref: str) -> ValueRef:
    """What one mustache name reads outside any section (``.`` is the whole message)."""
    if ref == ".":
        return ValueRef("field", "*", path="msg")
    head = _top(ref)
    if head in ("flow", "global"):
        return ValueRef("store", f"{head} context {ref[len(head) + 1:]}")
    if head == "env":
        return ValueRef("env", ref[4:])
    return ValueRef("field", head, path=f"msg.{ref}")


def _template(p: Mapping[str, Any]) -> StepFlow:
    text = _text(p.get("template"))
    mustache = _text(p.get("syntax") or "mustache") == "mustache"
    target = _text(p.get("field")) or "payload"
    refs = _mustache_refs(text, unescaped_only=False) if mustache else ()
    first = MUSTACHE.search(text) if mustache else None
    within = placement(text[:first.start()]) if first is not None else ""
    if within in URL_PLACEMENTS:  # a URL with a fixed scheme and host: past it, all of them
        refs = tuple(replace(r, within=within) if r.kind in ("field", "store") else r
                     for r in refs)
    elif mustache:
        quoted = _escaped_in_quotes(text)
        refs = tuple(replace(r, within=IN_SQL_LITERAL_ESCAPED) if r in quoted else r
                     for r in refs)
    writes: tuple[FieldWrite, ...] = ()
    if _text(p.get("fieldType") or "msg") == "msg":
        writes = (FieldWrite(_top(target), (ValueRef("constant"), *refs),
                             strong="." not in target),)
    sinks: tuple[SinkUse, ...] = ()
    unescaped = _mustache_refs(text, unescaped_only=True) if mustache else ()
    if unescaped:
        sinks = (SinkUse("template", "template", unescaped,
                         "renders message data unescaped ({{{ … }}})", OBJECT_AS_TEXT),)
    return StepFlow("pass", writes, sinks)


def _escaped_in_quotes(text: str) -> frozenset[ValueRef]:
    """What a template pastes only with {{ }} (HTML-escaped) and only inside a '…' or "…"
    literal of its text: ``'{{name}}'`` in ``VALUES ('{{name}}')``. A template with
    sections (whose names may read list items) or a name also pasted unescaped or
    unquoted gives none of that name."""
    if any(section in "#^" and section for _t, section, _r in MUSTACHE.findall(text)):
        return frozenset()
    quoted: set[ValueRef] = set()
    bare: set[ValueRef] = set()
    quote, pos = "", 0
    for m in MUSTACHE.finditer(text):
        for char in text[pos:m.start()]:
            if char in "'\"" and quote in ("", char):
                quote = "" if quote else char
        end = text.find("}}}" if m.group(1) else "}}", m.end())
        pos = len(text) if end < 0 else end + (3 if m.group(1) else 2)
        ref = _mustache_ref(m.group(3))
        escaped = not m.group(1) and m.group(2) != "&"
        (quoted if escaped and quote else bare).add(ref)
    return frozenset(quoted - bare)


def _function(p: Mapping[str, Any], ports: tuple[tuple[str, ...], ...] = ()) -> StepFlow:
    """A function node: the properties its code sets carry what their values are built from
    (:func:`~pytest_nocode.platforms.nodered_function.follow_function`), on each of its
    outputs (``ports``: what each is wired to) where they differ; code that cannot be
    followed lets every input reach every property."""
    code = _text(p.get("func"))
    sinks = (SinkUse("code", "func", (ValueRef("field", "*", path="msg"),),
                     "evaluates or executes message data in code"),) if runs_code(code) else ()
    followed = follow_function(code, clock_names(p.get("libs")), module_names(p.get("libs")))
    reads = tuple(ValueRef("field", "payload", path=path)
                  for path in paths_read(code, "msg.payload")) if "msg.payload" in code else ()
    if followed is not None:  # it says what msg.url is built from, URL literals included
        outputs = tuple(zip(ports, followed.outputs, strict=False)) if ports else ()
        if not followed.runs_unnamed:  # what it runs, it names: those calls' own sinks
            sinks = ()
        sinks += tuple(_code_call_sink(call) for call in followed.calls)
        return StepFlow("fresh" if followed.fresh else "pass", followed.writes, sinks,
                        keeps=followed.keeps, authored_code=True, reads=reads,
                        outputs=outputs)
    writes = _url_writes(code)  # msg.url as the encryption checks read it, applied last
    counts = _assigned(code)
    for m in CONSTANT_ASSIGNMENT.finditer(code) if counts else ():
        if counts.get(m.group(1)) == 1 and m.group(1) != "url":  # set once, to fixed text
            writes.append(FieldWrite(m.group(1), (ValueRef("constant"),)))
    writes.extend(_fixed_sql_writes(code, {w.field for w in writes}))
    return StepFlow("mix", tuple(writes), sinks, authored_code=True, reads=reads)


def _code_call_sink(call: CodeCall) -> SinkUse:
    """A function's own call of fetch, fs or child_process as the sink it is, harmless where
    the node sinks of the same kind call it: a value past a fixed host only picks a path of
    that server (not which server: that is the http request node's FETCH_PATH question), a
    value inside a file name after a fixed directory and text reaches only files there."""
    reads = tuple(sorted(call.reads, key=repr))
    if call.kind == "fetch":
        return SinkUse("fetch", "func", reads, f"calls {call.callee}() on a URL built from "
                       "its input (server-side request forgery)", PAST_AUTHORITY)
    if call.kind == "markup":
        return SinkUse("markup", "func", reads, "pastes values unescaped into the HTML page "
                       "it writes into msg.payload (cross-site scripting)")
    if call.kind == "command":
        return SinkUse("command", "func", reads, f"runs a command built from its input "
                       f"with {call.callee}()", OBJECT_AS_TEXT | SYNTAX_ONLY)
    return SinkUse("path", "func", reads, f"calls {call.callee}() on a file path built from "
                   "its input (a ../ in it reaches other files)", frozenset({IN_FILE_NAME}))


def _url_writes(code: str) -> list[FieldWrite]:
    """For code the follower cannot parse, what it sets ``msg.url`` to: each plain URL
    literal it writes (a scheme with a computed host is kept as the scheme alone), added to
    what the URL held; when it also computes the URL (``${baseUrl}/x``, a variable), the URL
    is set anew from anything the code read, and a URL an earlier function set is not where
    the request goes."""
    if "msg.url" not in code:
        return []
    literals = tuple(ValueRef("constant", m.group(2)) for m in URL_LITERAL.finditer(code))
    computed = len(URL_ASSIGNMENT.findall(code)) > len(literals)
    if computed:
        return [FieldWrite("url", (ValueRef("field", "*", path="msg"), *literals))]
    return [FieldWrite("url", (literal,), strong=False) for literal in literals]


URL_ASSIGNMENT = re.compile(r"\bmsg\.url\s*=(?!=)")
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


def _exec(p: Mapping[str, Any], written_files: frozenset[str] = frozenset()) -> StepFlow:
    """An exec node: what a fixed command with nothing appended prints is the host's own
    reading (a CPU frequency, a disk's use), a platform value; a command that runs message
    data prints what that data made it print, of unknown origin. A command that prints a file
    another node of the app writes (``cat /srv/jobs/next.txt``) prints what that file holds:
    the store's data, joined to what its writers were given (a file nothing here writes, like
    ``/etc/os-release``, stays the host's own)."""
    sinks = tuple(_exec_sinks(p))
    command = _text(p.get("command")).strip()
    kind = "unknown" if sinks else "platform"
    printed = tuple(ValueRef("store", f"file {f}") for f in files_read(command)
                    if f in written_files)
    return StepFlow("pass", (FieldWrite("payload", printed or (ValueRef(
        kind, f"output of {command or 'a command'}"),)),), sinks)


# An exec node appends a value with string concatenation, a mustache template renders one
# with String(): a parsed query object held whole is "[object Object]" there.
OBJECT_AS_TEXT = frozenset({AS_PARSED_OBJECT})


def _exec_sinks(p: Mapping[str, Any]) -> Iterator[SinkUse]:
    addpay = p.get("addpay")
    if addpay is True or addpay == "true":  # before Node-RED 1.0: true meant msg.payload
        addpay = "payload"
    appended = _text(addpay) if addpay not in (None, False, "false") else ""
    command = _text(p.get("command")).strip()
    if not command:
        prop = appended or "payload"
        yield SinkUse("command", "command", (ValueRef("field", _top(prop), path=f"msg.{prop}"),),
                      f"takes its whole command from msg.{prop}", OBJECT_AS_TEXT | SYNTAX_ONLY)
    elif appended:
        yield SinkUse("command", "addpay", (ValueRef("field", _top(appended),
                                                     path=f"msg.{appended}"),),
                      f"appends msg.{appended} to the shell command",
                      OBJECT_AS_TEXT | SYNTAX_ONLY)


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
                      "sends a request to a URL it is given (server-side request forgery)",
                      # msg.url's own text: where it puts a value holds for the request
                      PAST_AUTHORITY if not url else frozenset())
    own = _own_credentials(p)
    if not url:  # a value past a fixed host in msg.url steers which endpoint, not which server
        yield SinkUse("fetch", FETCH_PATH, refs, "puts a value into the path of the URL it "
                      "is sent to (a ../ or ? in it reaches another endpoint of that host"
                      f"{', as this node authenticates' if own else ''})",
                      PATH_HARMLESS | (frozenset() if own else frozenset({IN_URL_PATH_INTERNET})))
    headers = ValueRef("field", "headers", path="msg.headers")
    if _payload_unsent(p):
        yield SinkUse("send", "headers", (headers,), "sends msg.headers")
    else:
        yield SinkUse("send", "payload", (ValueRef("field", "payload", path="msg.payload"),
                                          headers), "sends msg.payload")


def calls_model(p: Mapping[str, Any]) -> bool:
    """Is the http request node's own fixed URL an AI model's text-generating endpoint: a
    hosted model's (:func:`~pytest_nocode.model.is_model_api`) or one the team serves itself
    (:func:`~pytest_nocode.model.is_self_hosted_model`)?"""
    url = _text(p.get("url")).strip()
    if not url or "{{" in url.split("?", 1)[0]:
        return False
    _scheme, host, port, _userinfo = split_url(url)
    path = urlsplit(url).path
    return bool(host) and (is_model_api(host, path) or is_self_hosted_model(host, port, path))


def _payload_unsent(p: Mapping[str, Any]) -> bool:
    """Does the http request leave msg.payload out of what it sends? A GET or HEAD the node
    fixes (not ``use``: msg.method) sends a body only with ``paytoqs: body`` and puts the
    payload into the query string only with ``query`` (``true`` in older exports); otherwise
    (``ignore``, ``false`` or absent) the payload stays behind."""
    method = _text(p.get("method")).strip().upper()
    paytoqs = p.get("paytoqs")
    return method in ("GET", "HEAD") and (paytoqs in (None, False, "", "ignore", "false"))


# Where a value in msg.url picks no server: past the URL's fixed scheme and host. There the
# path sink counts it unless it is only a parameter or one encoded segment; a path on an
# internet host only when the request carries this node's credentials (a caller reaches that
# host's other endpoints anyway; with the app's credentials they reach them as the app).
PAST_AUTHORITY = frozenset({IN_URL_QUERY, IN_URL_ENCODED, IN_URL_PATH_INTERNET,
                            IN_URL_PATH_OWN})
PATH_HARMLESS = frozenset({IN_URL_QUERY, IN_URL_ENCODED})
# Header names that carry a credential (Authorization, X-Api-Key, Private-Token, X-Auth-…).
CREDENTIAL_HEADER = re.compile(r"auth|token|key|secret|session|cookie", re.I)


def _own_credentials(p: Mapping[str, Any]) -> bool:
    """Does the http request node authenticate itself: its own authentication set (basic,
    digest, bearer), or a credential header among its own headers? Credentials an earlier
    node puts into msg.headers are not seen here."""
    credentials = p.get("credentials")
    if _text(p.get("authType")).strip() or (isinstance(credentials, Mapping)
                                            and any(credentials.values())):
        return True
    headers = p.get("headers")
    return isinstance(headers, list) and any(
        isinstance(h, dict) and CREDENTIAL_HEADER.search(
            _text(h.get("keyValue") if h.get("keyType") == "other" else h.get("keyType")))
        for h in headers)


# -- dashboard widgets whose message is fixed in the node -------------------------------------
# node-red-dashboard (ui_*) and FlowFuse Dashboard 2 (ui-*): a button, dropdown, switch or
# slider sends a value its configuration fixes (a typed payload, one of its options, the on /
# off value, a number), never text a user types.
FIXED_WIDGETS = frozenset({"ui_button", "ui-button", "ui_dropdown", "ui-dropdown", "ui_switch",
                           "ui-switch", "ui_slider", "ui-slider", "ui_numeric", "ui-number-input"})


def _edits_cells(columns: Any) -> bool:
    """Whether a table's columns let a visitor edit a cell (a Tabulator ``editor``)."""
    return isinstance(columns, list) and any(
        isinstance(c, dict) and c.get("editor") not in (None, "", False) for c in columns)


def _fixed_widget(p: Mapping[str, Any]) -> StepFlow:
    """A widget starts a message of its own; a dropdown allowing free text does not."""
    if p.get("allowFreeInput") is True or _text(p.get("payloadType")) in ("msg", "jsonata"):
        return StepFlow("pass", (FieldWrite("payload", (ValueRef(
            "unknown", "a value entered in a dashboard widget"),)),))
    kind = _text(p.get("payloadType")) or "str"
    payload = _typed(p.get("payload"), kind) if "payload" in p else ValueRef("constant")
    if payload.kind in ("field", "unknown"):
        payload = ValueRef("constant")
    return StepFlow("fresh", (FieldWrite("payload", (payload,)),
                              FieldWrite("topic", (ValueRef("constant"),))), starts=True)


# -- SQL text: what is data, what is fixed ----------------------------------------------------
_QUOTED = re.compile(r"'[^']*'")


def _raw_sql_refs(text: str) -> tuple[ValueRef, ...]:
    """Message properties a mustache SQL template (node-red-contrib-postgresql) puts into the
    statement as SQL text. ``{{ }}`` HTML-escapes (``'`` becomes ``&#39;``), so inside a quoted
    SQL string it cannot close the string; ``{{{ }}}``/``{{& }}`` and unquoted ``{{ }}`` can."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    out = []
    for m in MUSTACHE.finditer(text):
        triple, section, ref = m.group(1), m.group(2), m.group(3)
        if not ref.startswith("msg."):
            continue
        in_string = any(a < m.start() and m.end() < b for a, b in quoted)
        if triple or section == "&" or not in_string:
            out.append(ValueRef("field", _top(ref.removeprefix("msg.")), path=ref))
    return tuple(dict.fromkeys(out))


SQL_PROPS = ("topic", "query", "sql", "payload")
_PLAIN_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_TEMPLATE = re.compile(r"`(?:[^`\\$]|\\.|\$(?!\{)|\$\{[^{}`]*\})*`")
_LOOKUP = re.compile(r"([A-Za-z_$][\w$]*)\s*\[[^\[\]]*\]")
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_CONST_MAP = re.compile(r"\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*(?:\{|\[|new\s+(?:Set|Map)\s*\(\s*\[)")
_DECLARED = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=(?!=)\s*")
_SET_PROP = re.compile(r"\bmsg\.(" + "|".join(SQL_PROPS) + r")\s*(\+?=)(?!=)\s*")


def _fixed_sql_writes(code: str, already: set[str]) -> Iterator[FieldWrite]:
    """msg.topic / query / sql / payload set, every time the code sets it, to fixed SQL text:
    string literals joined with ``+``, template literals whose ``${}`` parts are fixed too,
    constants declared once (``const sql = "SELECT …"``) and look-ups in a constant map
    (``TABLES[kind]``, one of its own values). Placeholders (``?``, ``$1``, ``:name``) keep the
    values out of the text: what they bind is no SQL. Text joined with ``msg.payload.x`` is
    not fixed and stays the message's."""
    if "msg." not in code:
        return
    maps = set(_CONST_MAP.findall(code))
    fixed_names = {m.group(1) for m in _DECLARED.finditer(code)
                   if _fixed_expression(code, m.end(), maps, set()) is not None
                   and len(re.findall(rf"(?<![\w$.]){re.escape(m.group(1))}\s*\+?=(?!=)",
                                      code)) == 1}
    sets: dict[str, list[bool]] = {}
    for m in _SET_PROP.finditer(code):
        end = _fixed_expression(code, m.end(), maps, fixed_names)
        sets.setdefault(m.group(1), []).append(end is not None)
    for prop, fixed in sets.items():
        if prop not in already and fixed and all(fixed):
            yield FieldWrite(prop, (ValueRef("constant", "fixed SQL text"),))


def _fixed_expression(code: str, at: int, maps: set[str], names: set[str]) -> int | None:
    """Where the fixed-text expression starting at ``at`` ends, or None when a part of it is
    not fixed (a message property, a variable, a call)."""
    pos, parts = at, 0
    while True:
        while pos < len(code) and code[pos] in " \t\r\n":
            pos += 1
        part = _fixed_part(code, pos, maps, names)
        if part is None:
            return None
        pos, parts = part, parts + 1
        rest = code[pos:pos + 200].lstrip(" \t\r\n")
        if rest.startswith("+") and not rest.startswith(("++", "+=")):
            pos = code.index("+", pos) + 1
            continue
        if not rest or rest[0] in ";)}," or re.match(r"(?:return|msg|node|if|else|let|const|"
                                                     r"var|for|while)\b", rest) \
                or rest.startswith("//"):
            return pos if parts else None
        return None  # .replace(), a call, an operator: computed text


def _fixed_part(code: str, pos: int, maps: set[str], names: set[str]) -> int | None:
    for pattern in (_PLAIN_STRING, _TEMPLATE):
        m = pattern.match(code, pos)
        if m:
            if pattern is _TEMPLATE and not all(
                    _fixed_inner(inner, maps, names)
                    for inner in re.findall(r"\$\{([^{}`]*)\}", m.group(0))):
                return None
            return m.end()
    m = _LOOKUP.match(code, pos)
    if m and m.group(1) in maps:
        return m.end()
    m = _NAME.match(code, pos)
    if m and m.group(0) in names:
        return m.end()
    return None


def _fixed_inner(inner: str, maps: set[str], names: set[str]) -> bool:
    inner = inner.strip()
    m = _LOOKUP.fullmatch(inner)
    if m:
        return m.group(1) in maps
    return bool(_PLAIN_STRING.fullmatch(inner)) or inner in names


_LOCAL_CONTEXT = ("flow context ", "node context ")


def _touches_local_context(flow: StepFlow) -> bool:
    refs = [r for w in (*flow.writes, *flow.keeps) for r in w.value]
    refs += [r for s in flow.sinks for r in s.reads]
    return any(w.field.startswith(_LOCAL_CONTEXT) for w in flow.keeps) or any(
        r.kind == "store" and r.name.startswith(_LOCAL_CONTEXT) for r in refs)


def _scoped_name(name: str, scopes: Mapping[str, str]) -> str:
    for plain, scoped in scopes.items():
        if name.startswith(plain):
            return scoped + name[len(plain):]
    return name


def _scoped_ref(ref: ValueRef, scopes: Mapping[str, str]) -> ValueRef:
    return replace(ref, name=_scoped_name(ref.name, scopes)) if ref.kind == "store" else ref


def _scoped_write(write: FieldWrite, scopes: Mapping[str, str], *,
                  field: bool = False) -> FieldWrite:
    return replace(write, field=_scoped_name(write.field, scopes) if field else write.field,
                   value=tuple(_scoped_ref(r, scopes) for r in write.value))


def _subscription(what: str, host: str, fields: tuple[str, ...] = ("*",)) -> StepFlow:
    """Messages from a broker beyond the owner's own networks come from whoever can publish
    there (an internet broker's topic is anyone's); from a broker on this host or the private
    network, from the owner's devices: of unknown origin, not untrusted. ``fields``: what
    the message holds ("*": the node's messages are not known field by field)."""
    zone = default_zone(host) if host else "internet"
    if zone in ("loopback", "host", "private"):
        ref = ValueRef("unknown", f"{what} from the {zone} broker {host}")
    else:
        ref = ValueRef("entry", f"{what}{f' from {host}' if host else ''}")
    return StepFlow("fresh", tuple(FieldWrite(name, (ref,)) for name in fields), starts=True)
