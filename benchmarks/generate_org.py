"""Generate a large, realistic no-code estate for benchmarks: a Node-RED ``flows.json`` and a
folder of n8n workflow exports, as the platforms themselves write them.

    python benchmarks/generate_org.py --out /tmp/org --nodered-nodes 20000 \\
        --n8n-workflows 2000 --seed 1

Writes ``OUT/nodered/flows.json`` (a flat node array, 4-space indented like Node-RED's
``flowFilePretty``), ``OUT/n8n/<id>.json`` (one workflow per file, as
``n8n export:workflow --all --separate --pretty`` writes them) and ``OUT/manifest.json``
(the parameters, counts and how many problems of each kind were planted).

The output depends only on the arguments (and the Faker version): structure comes from
``random.Random(seed)``, text from a Faker instance seeded with the same seed, and no clock,
set order or ``uuid4`` is involved. Most of the estate is ordinary; a small fraction carries
planted problems (hard-coded tokens, cleartext URLs, ``exec`` with ``addpay``, open endpoints,
disabled certificate checks, SQL built from input, …) so that checks find something to report.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import string
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

Node = dict[str, Any]
ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
BASE_DATE = datetime(2024, 1, 8, 9, 0, 0, tzinfo=UTC)

RESOURCES = ("orders", "customers", "invoices", "shipments", "devices", "tickets", "leads",
             "products", "payments", "readings", "alerts", "employees", "contracts", "returns",
             "inventory", "subscriptions", "sensors", "bookings", "claims", "reports")
TEAMS = ("fulfilment", "finance", "sales", "support", "ops", "iot", "hr", "marketing",
         "logistics", "data", "security", "facilities")
ENVS = ("prod", "staging", "dev")
FIELDS = ("orderId", "customerId", "email", "sku", "qty", "status", "total", "currency",
          "createdAt", "updatedAt", "deviceId", "temperature", "humidity", "region",
          "priority", "assignee", "invoiceNumber", "amount", "dueDate", "country", "postcode",
          "phone", "firstName", "lastName", "trackingNumber", "warehouse", "batchId", "serial",
          "firmware", "tenant", "plan", "channel", "source", "score", "lineItems", "discount",
          "vatRate", "externalRef", "site", "shift", "operator", "reading", "unit", "ticketId",
          "severity", "category", "owner", "accountId", "iban", "reference", "notes")


@dataclass
class Summary:
    """What was generated, for the manifest and for benchmark output."""

    nodered_nodes: int = 0
    nodered_tabs: int = 0
    nodered_subflows: int = 0
    nodered_config_nodes: int = 0
    n8n_workflows: int = 0
    n8n_nodes: int = 0
    nodered_types: Counter[str] = field(default_factory=Counter)
    n8n_types: Counter[str] = field(default_factory=Counter)
    planted: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "nodered": {"nodes": self.nodered_nodes, "tabs": self.nodered_tabs,
                        "subflows": self.nodered_subflows,
                        "config_nodes": self.nodered_config_nodes,
                        "types": dict(self.nodered_types.most_common())},
            "n8n": {"workflows": self.n8n_workflows, "nodes": self.n8n_nodes,
                    "types": dict(self.n8n_types.most_common())},
            "planted": dict(sorted(self.planted.items())),
        }


class Tokens:
    """Random values shaped like real credentials (never valid ones)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def aws_key(self) -> str:
        return "AKIA" + self.chars(UPPER_ALNUM, 16)

    def aws_secret(self) -> str:
        return self.chars(ALNUM + "/+", 40)

    def github(self) -> str:
        return "ghp_" + self.chars(ALNUM, 36)

    def slack(self) -> str:
        return (f"xoxb-{self.chars(string.digits, 12)}-{self.chars(string.digits, 13)}-"
                f"{self.chars(ALNUM, 24)}")

    def stripe(self) -> str:
        return "sk_live_" + self.chars(ALNUM, 32)

    def sendgrid(self) -> str:
        return f"SG.{self.chars(ALNUM + '-_', 22)}.{self.chars(ALNUM + '-_', 43)}"

    def hex(self, n: int = 40) -> str:
        return self.chars("0123456789abcdef", n)

    def password(self) -> str:
        word = self.rng.choice(("Winter", "Summer", "Acme", "Welcome", "Spring", "Admin",
                                "Passw0rd", "Secret", "Company"))
        return f"{word}{self.rng.randint(2015, 2025)}{self.rng.choice('!#$%&*')}"

    def any_token(self) -> tuple[str, str]:
        """(kind, value) of a random token kind."""
        kind = self.rng.choice(("aws", "github", "slack", "stripe", "sendgrid", "hex"))
        value = {"aws": self.aws_key, "github": self.github, "slack": self.slack,
                 "stripe": self.stripe, "sendgrid": self.sendgrid, "hex": self.hex}[kind]()
        return kind, value


class Words:
    """Realistic names and hosts from a seeded Faker."""

    def __init__(self, fake: Faker, rng: random.Random) -> None:
        self.fake = fake
        self.rng = rng
        self.partner_domains = [fake.unique.domain_name() for _ in range(60)]
        self.company = fake.company().split(",")[0].split(" ")[0].lower().strip(".") or "acme"
        self.internal = [f"{w}.{self.company}.internal" for w in
                         ("erp", "crm", "billing", "warehouse", "metrics", "auth", "files",
                          "reports", "legacy", "mes", "scada", "hr", "wiki", "queue")]

    def resource(self) -> str:
        return self.rng.choice(RESOURCES)

    def field(self) -> str:
        return self.rng.choice(FIELDS)

    def title(self) -> str:
        return self.fake.catch_phrase()

    def host(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return f"api.{self.rng.choice(self.partner_domains)}"
        if r < 0.75:
            return self.rng.choice(self.internal)
        if r < 0.9:
            return self.fake.hostname(levels=2)
        return f"{self.rng.choice(('hooks', 'events', 'ingest'))}.{self.fake.domain_name()}"

    def url(self, scheme: str = "https") -> str:
        host = self.host()
        port = ""
        if host.endswith(".internal") and self.rng.random() < 0.5:
            port = f":{self.rng.choice((8080, 8443, 9000, 3000, 5000))}"
        version = self.rng.choice(("v1", "v2", "api/v1", "api", "rest/v3"))
        return f"{scheme}://{host}{port}/{version}/{self.resource()}"


def _iso(rng: random.Random, start_days: int = 0, span_days: int = 600) -> str:
    moment = BASE_DATE + timedelta(days=start_days + rng.randint(0, span_days),
                                   seconds=rng.randint(0, 86399),
                                   milliseconds=rng.randint(0, 999))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# ============================================================================================
# JavaScript for function / code nodes
# ============================================================================================
def js_code(rng: random.Random, w: Words, lines: int, *, n8n: bool = False,
            outputs: int = 1) -> str:
    """Plausible JavaScript of about ``lines`` lines, Node-RED or n8n flavoured.

    Built from snippets over a few field names; a snippet used twice gets its own variable
    names (``total2``), so the result still parses as one scope.
    """
    src = "$input.first().json" if n8n else "msg.payload || {}"
    out = [f"// {w.fake.sentence(nb_words=rng.randint(4, 9)).rstrip('.')}",
           f"const data = {src};"]
    fields = [w.field() for _ in range(rng.randint(2, 6))]
    env_name = f"{w.resource().upper()}_API_BASE"
    country = w.fake.country_code()
    limit = rng.randint(1, 500)

    def guard(f: str, k: str) -> list[str]:
        if n8n:
            return [f"if (!data.{f}) {{", f"    throw new Error('missing {f}');", "}"]
        return [f"if (!data.{f}) {{", f'    node.warn("missing {f}");', "    return null;",
                "}"]

    def context(f: str, k: str) -> list[str]:
        if n8n:
            return [f"const seen{k} = $getWorkflowStaticData('global');",
                    f"seen{k}.{_camel(f)} = (seen{k}.{_camel(f)} || 0) + 1;"]
        return [f'const count{k} = (flow.get("count_{f}") || 0) + 1;',
                f'flow.set("count_{f}", count{k});']

    def env(f: str, k: str) -> list[str]:
        return [f"const base{k} = $env.{env_name};" if n8n else
                f'const base{k} = env.get("{env_name}");']

    snippets: list[Callable[[str, str], list[str]]] = [
        lambda f, k: [f"const {_camel(f)}{k} = data.{f};"],
        guard,
        lambda f, k: [f"const items{k} = (data.items || []).map((item) => ({{",
                      "    id: String(item.id),",
                      f"    {_camel(f)}: Number(item.{f}) || 0,",
                      "}));"],
        lambda f, k: [f"const total{k} = (data.lines || []).reduce((sum, l) => sum + l.{f}, 0);"],
        lambda f, k: [f"const stamp{k} = new Date().toISOString();"],
        context,
        env,
        lambda f, k: [f"const key{k} = [data.{f}, data.{fields[0]}].join(':');"],
        lambda f, k: ["for (const row of data.rows || []) {",
                      f"    if (row.{f} === undefined) continue;",
                      f"    row.{f} = String(row.{f}).trim().toLowerCase();",
                      "}"],
        lambda f, k: ["// normalise country codes",
                      f"const country{k} = (data.country || '{country}').toUpperCase();"],
        lambda f, k: [f"const over{k} = Number(data.{f}) > {limit};",
                      f"if (over{k}) {{",
                      f"    data.{_camel(f)}Flag = 'over-limit';",
                      "}"],
        lambda f, k: ["try {", f"    data.{f} = JSON.parse(data.{f} || '{{}}');",
                      "} catch (err) {", f"    data.{f} = {{}};", "}"],
        lambda f, k: [f"data.{_camel(f)} = String(data.{f} ?? '').slice(0, 255);"],
    ]
    if not n8n:
        snippets.append(lambda f, k: [
            'node.status({ fill: "green", shape: "dot", text: `ok ${Date.now()}` });'])
    order = list(range(len(snippets)))
    body_target = max(1, lines - 4)
    body: list[str] = []
    round_no = 0
    while len(body) < body_target:
        rng.shuffle(order)
        suffix = str(round_no + 1) if round_no else ""
        for i in order:
            piece = snippets[i](fields[(i + round_no) % len(fields)], suffix)
            if body and len(body) + len(piece) > body_target:
                continue
            body.extend(piece)
            if len(body) >= body_target:
                break
        else:
            if len(body) + 1 >= body_target:
                break
        round_no += 1
    out.extend(body)
    if n8n:
        out.append(f"return [{{ json: {{ ...data, {_camel(fields[0])}Ok: true }} }}];")
    elif outputs > 1:
        out.append("msg.payload = data;")
        out.append("return [" + ", ".join(["msg"] + ["null"] * (outputs - 1)) + "];")
    else:
        out.append("msg.payload = data;")
        out.append("return msg;")
    return "\n".join(out) + ("" if n8n else "\n")


def _camel(text: str) -> str:
    parts = [p for p in text.replace("-", "_").split("_") if p]
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]) if parts else "v"


def secret_code_line(rng: random.Random, tok: Tokens, n8n: bool) -> tuple[str, str]:
    """(kind, line of JavaScript) with a hard-coded credential."""
    choice = rng.randrange(6)
    if choice == 0:
        return "code:aws", (f"const accessKeyId = \"{tok.aws_key()}\";\n"
                            f"const secretAccessKey = \"{tok.aws_secret()}\";")
    if choice == 1:
        return "code:github", f"const githubToken = '{tok.github()}';"
    if choice == 2:
        return "code:slack", f"const SLACK_TOKEN = \"{tok.slack()}\";"
    if choice == 3:
        return "code:bearer", f"const authHeaders = {{ Authorization: \"Bearer {tok.hex(48)}\" }};"
    if choice == 4:
        return "code:password", f"const dbPassword = \"{tok.password()}\";"
    return "code:stripe", f"const stripeKey = \"{tok.stripe()}\";"


def _insert_line(code: str, line: str, rng: random.Random) -> str:
    lines = code.split("\n")
    at = rng.randint(1, max(1, min(4, len(lines) - 2)))
    return "\n".join(lines[:at] + line.split("\n") + lines[at:])


# ============================================================================================
# Node-RED
# ============================================================================================
DEBUG_DEFAULTS = {"active": True, "tosidebar": True, "console": False, "tostatus": False,
                  "complete": "payload", "targetType": "msg", "statusVal": "",
                  "statusType": "auto"}


class NodeRedGen:
    """Builds the flat node array of one large Node-RED instance."""

    def __init__(self, rng: random.Random, w: Words, tok: Tokens, summary: Summary) -> None:
        self.rng = rng
        self.w = w
        self.tok = tok
        self.s = summary
        self.nodes: list[Node] = []
        self.tabs: list[Node] = []
        self.tls: list[Node] = []
        self.brokers: list[Node] = []
        self.proxies: list[Node] = []
        self.ws_listeners: list[Node] = []
        self.ui_groups: list[Node] = []
        self.pg_configs: list[Node] = []
        self.mysql_configs: list[Node] = []
        self.subflows: list[Node] = []
        self.link_ins: list[Node] = []
        self.pending_link_outs: list[Node] = []
        self._row_y = 0

    def nid(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def plant(self, kind: str) -> None:
        self.s.planted[f"nodered:{kind}"] += 1

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- node factory -------------------------------------------------------------------------
    def node(self, ntype: str, z: str | None, name: str | None = "", ports: int = 1,
             **props: Any) -> Node:
        n: Node = {"id": self.nid(), "type": ntype}
        if z is not None:
            n["z"] = z
        if name is not None:
            n["name"] = name
        n.update(props)
        if z is not None:
            n["x"] = 0
            n["y"] = 0
            n["wires"] = [[] for _ in range(ports)]
        self.nodes.append(n)
        return n

    @staticmethod
    def wire(a: Node, b: Node, port: int = 0) -> None:
        a["wires"][port].append(b["id"])

    def place(self, chain: list[Node]) -> None:
        """Lay a chain out left to right on a new row of its tab."""
        self._row_y += self.rng.choice((60, 80, 100))
        for i, n in enumerate(chain):
            if "x" in n and n["x"] == 0:
                n["x"] = 140 + i * self.rng.choice((180, 200, 220))
                n["y"] = self._row_y + (self.rng.choice((0, 0, 20, -20)) if i else 0)

    # -- config nodes ----------------------------------------------------------------------------
    def config_nodes(self, tabs: int) -> None:
        w, rng = self.w, self.rng
        for i in range(max(2, tabs // 20)):
            verify = not self.chance(0.2)
            if not verify:
                self.plant("tls_no_verify")
            host = w.host()
            self.tls.append(self.node(
                "tls-config", None, f"{host.split('.')[0].title()} TLS"
                + ("" if verify else " (no verify)"),
                cert="", key="", ca="", certname="client.crt" if i % 3 == 0 else "",
                keyname="client.key" if i % 3 == 0 else "",
                caname=f"{w.company}-root-ca.pem" if verify else "", servername=host,
                verifyservercert=verify, alpnprotocol=""))
        for _ in range(max(2, tabs // 25)):
            tls = self.chance(0.6)
            if not tls:
                self.plant("mqtt_cleartext")
            host = f"mqtt.{rng.choice(w.partner_domains)}" if self.chance(0.3) else \
                f"broker.{w.company}.internal"
            b: Node = {"broker": host, "port": "8883" if tls else "1883",
                       "clientid": f"nodered-{rng.choice(TEAMS)}-{rng.randint(1, 99)}",
                       "autoConnect": True, "usetls": tls, "protocolVersion": "4",
                       "keepalive": "60", "cleansession": True, "autoUnsubscribe": True,
                       "birthTopic": "", "birthQos": "0", "birthRetain": "false",
                       "birthPayload": "", "birthMsg": {}, "closeTopic": "", "closeQos": "0",
                       "closeRetain": "false", "closePayload": "", "closeMsg": {},
                       "willTopic": "", "willQos": "0", "willRetain": "false",
                       "willPayload": "", "willMsg": {}, "userProps": "", "sessionExpiry": ""}
            if tls:
                b["tls"] = rng.choice(self.tls)["id"]
            label = f"{host} ({'TLS' if tls else 'plain'})"
            self.brokers.append(self.node("mqtt-broker", None, label, **b))
        for _ in range(max(1, tabs // 130)):
            self.proxies.append(self.node(
                "http proxy", None, "Corporate proxy",
                url=f"http://proxy.{w.company}.internal:3128",
                noproxy=["127.0.0.1", "localhost", f".{w.company}.internal"]))
        for _ in range(max(1, tabs // 40)):
            self.ws_listeners.append(self.node(
                "websocket-listener", None, None, path=f"/ws/{w.resource()}",
                wholemsg=rng.choice(("false", "true"))))
        self.node("ui_base", None, None, theme={"name": "theme-light"},
                  site={"name": "Node-RED Dashboard", "hideToolbar": "false",
                        "allowSwipe": "false", "dateFormat": "DD/MM/YYYY"})
        for i in range(max(1, tabs // 30)):
            tab = self.node("ui_tab", None, f"{rng.choice(TEAMS).title()} board",
                            icon="dashboard", order=i + 1, disabled=False, hidden=False)
            self.ui_groups.append(self.node("ui_group", None, w.resource().title(), tab=tab["id"],
                                            order=1, disp=True, width="6", collapse=False))
        for i in range(max(1, tabs // 60)):
            self.pg_configs.append(self.node(
                "postgreSQLConfig", None, f"{w.resource()} DB ({rng.choice(ENVS)})",
                host=f"pg{i + 1}.{w.company}.internal", hostFieldType="str", port="5432",
                portFieldType="num", database=w.resource(), databaseFieldType="str",
                ssl="false", sslFieldType="bool", applicationName="node-red",
                applicationNameType="str", max="10", maxFieldType="num", idle="1000",
                idleFieldType="num", connectionTimeout="10000",
                connectionTimeoutFieldType="num", user="nodered", userFieldType="str",
                password="", passwordFieldType="str"))
            self.mysql_configs.append(self.node(
                "MySQLdatabase", None, f"{w.resource()} MySQL", host=f"mysql{i + 1}."
                f"{w.company}.internal", port="3306", db=w.resource(), tz="", charset="UTF8"))
        self.node("global-config", None, None, env=[],
                  modules={"node-red-dashboard": "3.6.5",
                           "node-red-contrib-postgresql": "0.14.1",
                           "node-red-node-mysql": "2.0.0", "node-red-node-email": "3.0.1"})

    # -- pieces of flows --------------------------------------------------------------------
    def function(self, z: str, name: str, outputs: int = 1) -> Node:
        code = js_code(self.rng, self.w, self.rng.randint(5, 40), outputs=outputs)
        if self.chance(0.012):
            kind, line = secret_code_line(self.rng, self.tok, n8n=False)
            code = _insert_line(code, line, self.rng)
            self.plant(kind)
        if self.chance(0.003):
            code = _insert_line(code, "const result = eval(msg.payload.expression);", self.rng)
            self.plant("code:eval")
        libs: list[dict[str, str]] = []
        if self.chance(0.05):
            libs = [{"var": "moment", "module": "moment"}]
        return self.node("function", z, name, outputs, func=code, outputs=outputs, timeout=0,
                         noerr=0, initialize="", finalize="", libs=libs)

    def change(self, z: str) -> Node:
        w = self.w
        rules: list[dict[str, Any]] = []
        for _ in range(self.rng.randint(1, 4)):
            r = self.rng.random()
            if r < 0.4:
                rules.append({"t": "set", "p": f"payload.{w.field()}", "pt": "msg",
                              "to": w.fake.word(), "tot": "str"})
            elif r < 0.6:
                rules.append({"t": "move", "p": f"payload.{w.field()}", "pt": "msg",
                              "to": f"payload.{w.field()}", "tot": "msg"})
            elif r < 0.8:
                rules.append({"t": "set", "p": "topic", "pt": "msg",
                              "to": f"{w.resource()}/{w.fake.word()}", "tot": "str"})
            else:
                rules.append({"t": "delete", "p": f"payload.{w.field()}", "pt": "msg"})
        name = f"Set {rules[0]['p']}"
        if self.chance(0.02):
            token = self.tok.hex(40) if self.chance(0.5) else self.tok.github()
            prop = self.rng.choice(("headers.x-api-key", "headers.authorization"))
            rules.append({"t": "set", "p": prop, "pt": "msg",
                          "to": token if "x-api" in prop else f"Bearer {token}", "tot": "str"})
            name = "Add API key"
            self.plant("change:token")
        elif self.chance(0.1):
            rules.append({"t": "set", "p": "headers.authorization", "pt": "msg",
                          "to": f"{self.w.resource().upper()}_TOKEN", "tot": "env"})
        return self.node("change", z, name, 1, rules=rules, action="", property="", **{
            "from": ""}, to="", reg=False)

    def switch(self, z: str, outputs: int) -> Node:
        f = self.w.field()
        rules: list[dict[str, Any]] = [{"t": "eq", "v": self.w.fake.word(), "vt": "str"}
                                       for _ in range(outputs - 1)]
        rules.append({"t": "else"})
        return self.node("switch", z, f"by {f}", outputs, property=f"payload.{f}",
                         propertyType="msg", rules=rules, checkall="true", repair=False,
                         outputs=outputs)

    def debug(self, z: str, name: str = "") -> Node:
        n = self.node("debug", z, name or self.w.fake.word(), 0, **DEBUG_DEFAULTS)
        if self.chance(0.15):
            n["complete"] = "true"
            n["targetType"] = "full"
        return n

    def http_request(self, z: str, method: str = "GET") -> Node:
        rng, w = self.rng, self.w
        scheme = "https"
        if self.chance(0.07):
            scheme = "http"
            self.plant("http:cleartext")
        url = w.url(scheme)
        headers: list[dict[str, str]] = [{"keyType": "Content-Type", "keyValue": "",
                                          "valueType": "application/json", "valueValue": ""}]
        if self.chance(0.02):
            url = url.replace("://", f"://{w.fake.user_name()}:{self.tok.password()}@", 1)
            self.plant("http:userinfo")
        elif self.chance(0.01):
            url += f"?api_key={self.tok.hex(32)}"
            self.plant("http:query_key")
        elif self.chance(0.15):
            url = ""  # taken from msg.url
        if self.chance(0.025):
            headers.append({"keyType": "other", "keyValue": "Authorization",
                            "valueType": "other", "valueValue": f"Bearer {self.tok.hex(48)}"})
            self.plant("http:bearer_header")
        elif self.chance(0.2):
            headers.append({"keyType": "other", "keyValue": "Authorization",
                            "valueType": "env", "valueValue": f"{w.resource().upper()}_TOKEN"})
        tls = ""
        if url.startswith("https") and self.chance(0.2):
            tls = rng.choice(self.tls)["id"]
        insecure = self.chance(0.005)
        if insecure:
            self.plant("http:insecure_parser")
        return self.node(
            "http request", z, f"{method} {w.resource()}", 1, method=method,
            ret=rng.choice(("obj", "txt", "obj")), paytoqs="ignore", url=url, tls=tls,
            persist=False, proxy=rng.choice(self.proxies)["id"] if self.chance(0.05) else "",
            insecureHTTPParser=insecure, authType="", senderr=False, headers=headers)

    def http_in(self, z: str, method: str, url: str) -> Node:
        return self.node("http in", z, f"{method.upper()} {url}", 1, url=url, method=method,
                         upload=False, skipBodyParsing=False, swaggerDoc="")

    def http_response(self, z: str) -> Node:
        return self.node("http response", z, "", 0, statusCode="", headers={})

    def inject(self, z: str) -> Node:
        rng = self.rng
        if self.chance(0.5):
            repeat, crontab, name = str(rng.choice((10, 30, 60, 300, 900, 3600))), "", ""
            name = f"every {repeat} s"
        else:
            minute, hour = rng.randint(0, 59), rng.randint(0, 23)
            repeat, crontab, name = "", f"{minute:02d} {hour:02d} * * *", \
                f"daily {hour:02d}:{minute:02d}"
        return self.node("inject", z, name, 1,
                         props=[{"p": "payload"}, {"p": "topic", "vt": "str"}], repeat=repeat,
                         crontab=crontab, once=self.chance(0.2), onceDelay=0.1, topic="",
                         payload="", payloadType="date")

    def sink(self, z: str) -> Node:
        """A node that ends a chain with an effect."""
        r = self.rng.random()
        w = self.w
        if r < 0.35:
            return self.debug(z)
        if r < 0.5:
            return self.node("mqtt out", z, f"publish {w.resource()}", 0,
                             topic=f"{w.company}/{w.resource()}/{w.fake.word()}",
                             qos=self.rng.choice(("0", "1")), retain="", respTopic="",
                             contentType="", userProps="", correl="", expiry="",
                             broker=self.rng.choice(self.brokers)["id"])
        if r < 0.62:
            return self.node("file", z, f"Append {w.resource()}.log", 1,
                             filename=f"/data/{w.resource()}/{w.fake.word()}.log",
                             filenameType="str", appendNewline=True, createDir=True,
                             overwriteFile="false", encoding="utf8")
        if r < 0.72 and self.pg_configs:
            return self.node("postgresql", z, f"Insert {w.resource()}", 1,
                             query=f"INSERT INTO {w.resource()} ({w.field()}) VALUES ($1);",
                             postgreSQLConfig=self.rng.choice(self.pg_configs)["id"],
                             split=False, rowsPerMsg=1, outputs=1)
        if r < 0.78 and self.ui_groups:
            return self.node("ui_text", z, w.fake.word().title(), 0,
                             group=self.rng.choice(self.ui_groups)["id"], order=0, width=0,
                             height=0, label=w.fake.word(), format="{{msg.payload}}",
                             layout="row-spread", className="")
        if r < 0.84:
            return self.node("e-mail", z, f"Mail {self.rng.choice(TEAMS)}", 0,
                             server="smtp.office365.com", port="587", authtype="BASIC",
                             saslformat=True, token="oauth2Response.access_token",
                             secure=False, tls=True)
        return self.http_request(z, self.rng.choice(("POST", "PUT")))

    def processing(self, z: str) -> Node:
        r = self.rng.random()
        w = self.w
        if r < 0.35:
            return self.function(z, w.fake.bs().capitalize()[:40])
        if r < 0.55:
            return self.change(z)
        if r < 0.65:
            return self.node("json", z, "", 1, property="payload", action="", pretty=False)
        if r < 0.72:
            return self.node("delay", z, "1 msg/s", 1, pauseType="rate", timeout="5",
                             timeoutUnits="seconds", rate="1", nbRateUnits="1",
                             rateUnits="second", randomFirst="1", randomLast="5",
                             randomUnits="seconds", drop=False, allowrate=False, outputs=1)
        if r < 0.78:
            return self.node("split", z, "", 1, splt="\\n", spltType="str", arraySplt=1,
                             arraySpltType="len", stream=False, addname="")
        if r < 0.84:
            syntax = "mustache"
            text = f"{{{{payload.{w.field()}}}}} at {{{{payload.{w.field()}}}}}"
            if self.chance(0.1):
                text = "<html><body><h1>{{topic}}</h1><div>{{{payload}}}</div></body></html>"
                self.plant("template:unescaped")
            return self.node("template", z, "Render", 1, field="payload", fieldType="msg",
                             format="handlebars", syntax=syntax, template=text, output="str")
        if r < 0.9:
            return self.node("rbe", z, "on change", 1, func="rbe", gap="", start="",
                             inout="out", septopics=True, property="payload",
                             topi="topic")
        if r < 0.95:
            return self.node("csv", z, "", 1, spec="rfc", sep=",", hdrin="", hdrout="once",
                             multi="one", ret="\\n", temp="", skip="0", strings=True,
                             include_empty_strings="", include_null_values="")
        return self.node("trigger", z, "watchdog", 1, op1="1", op2="0", op1type="val",
                         op2type="val", duration="250", extend=False, overrideDelay=False,
                         units="ms", reset="", bytopic="all", topic="topic", outputs=1)

    def pipe(self, z: str, start: Node, middle: int) -> tuple[list[Node], Node]:
        """start → ``middle`` processing nodes; returns (chain, last node)."""
        chain = [start]
        last = start
        for _ in range(middle):
            n = self.processing(z)
            self.wire(last, n)
            chain.append(n)
            last = n
        return chain, last

    # -- chains (one realistic mini-flow each) ----------------------------------------------
    def chain_http_api(self, z: str) -> list[Node]:
        rng, w = self.rng, self.w
        res = w.resource()
        method = rng.choice(("get", "get", "post", "put", "delete"))
        url = f"/api/{res}" + ("/:id" if method != "post" and self.chance(0.5) else "")
        start = self.http_in(z, method, url)
        validate = self.function(z, f"Validate {res} request", 2)
        self.wire(start, validate)
        chain = [start, validate]
        r = rng.random()
        if r < 0.45:
            backend: Node = self.http_request(z, method.upper() if method != "get" else "GET")
        elif r < 0.65 and self.pg_configs:
            backend = self.node("postgresql", z, f"Query {res}", 1,
                                query=f"SELECT * FROM {res} WHERE id = $1;",
                                postgreSQLConfig=rng.choice(self.pg_configs)["id"],
                                split=False, rowsPerMsg=1, outputs=1)
        elif r < 0.75:
            backend = self.node("file in", z, f"Read {res}.json",
                                filename=f"/data/{res}/{res}.json", filenameType="str",
                                format="utf8", chunk=False, sendError=False, encoding="none",
                                allProps=False)
        else:
            backend = self.change(z)
        self.wire(validate, backend)
        chain.append(backend)
        status = self.node("change", z, "200 OK", 1, rules=[
            {"t": "set", "p": "statusCode", "pt": "msg", "to": "200", "tot": "num"}],
            action="", property="", to="", reg=False, **{"from": ""})
        self.wire(backend, status)
        resp = self.http_response(z)
        self.wire(status, resp)
        bad = self.node("change", z, "400 Bad Request", 1, rules=[
            {"t": "set", "p": "statusCode", "pt": "msg", "to": "400", "tot": "num"}],
            action="", property="", to="", reg=False, **{"from": ""})
        self.wire(validate, bad, 1)
        self.wire(bad, resp)
        chain += [status, resp, bad]
        return chain

    def chain_admin_exec(self, z: str) -> list[Node]:
        """The classic: an open HTTP route that runs a shell command with the payload."""
        w = self.w
        start = self.http_in(z, "post", f"/admin/{w.fake.word()}")
        addpay = "payload" if self.chance(0.6) else ""
        if addpay:
            self.plant("exec:addpay_from_http")
        ex = self.node("exec", z, f"Run {w.fake.word()}", 3,
                       command=self.rng.choice(("/usr/local/bin/print-label",
                                                "/opt/scripts/restart-service.sh",
                                                "systemctl restart", "ping -c 1",
                                                "/opt/tools/export.sh")),
                       addpay=addpay, append="", useSpawn="false", timer="10",
                       winHide=False, oldrc=False)
        self.wire(start, ex)
        fmt = self.function(z, "Format result")
        self.wire(ex, fmt)
        resp = self.http_response(z)
        self.wire(fmt, resp)
        err = self.debug(z, "stderr")
        self.wire(ex, err, 1)
        return [start, ex, fmt, resp, err]

    def chain_scheduled(self, z: str) -> list[Node]:
        start = self.inject(z)
        fetch = self.http_request(z, "GET")
        self.wire(start, fetch)
        chain, last = self.pipe(z, fetch, self.rng.randint(1, 5))
        chain.insert(0, start)
        if self.chance(0.3):
            sw = self.switch(z, self.rng.randint(2, 3))
            self.wire(last, sw)
            chain.append(sw)
            for port in range(len(sw["wires"])):
                s = self.sink(z)
                self.wire(sw, s, port)
                chain.append(s)
        else:
            s = self.sink(z)
            self.wire(last, s)
            chain.append(s)
        return chain

    def chain_mqtt(self, z: str) -> list[Node]:
        w = self.w
        start = self.node("mqtt in", z, f"{w.resource()} telemetry", 1,
                          topic=f"{w.company}/{w.resource()}/+/{w.fake.word()}",
                          qos=self.rng.choice(("0", "1", "2")), datatype="auto-detect",
                          broker=self.rng.choice(self.brokers)["id"], nl=False, rap=True,
                          rh=0, inputs=0)
        chain, last = self.pipe(z, start, self.rng.randint(1, 4))
        sink = self.sink(z)
        self.wire(last, sink)
        chain.append(sink)
        if self.chance(0.3):
            d = self.debug(z)
            self.wire(start, d)
            chain.append(d)
        return chain

    def chain_websocket(self, z: str) -> list[Node]:
        listener = self.rng.choice(self.ws_listeners)
        start = self.node("websocket in", z, f"{listener['path']} in", 1,
                          server=listener["id"], client="")
        chain, last = self.pipe(z, start, self.rng.randint(1, 3))
        out = self.node("websocket out", z, f"{listener['path']} out", 0,
                        server=listener["id"], client="")
        self.wire(last, out)
        return [*chain, out]

    def chain_link(self, z: str) -> list[Node]:
        """link in → processing → link out to another tab's link in (or a sink)."""
        start = self.node("link in", z, f"from {self.w.resource()}", 1, links=[])
        self.link_ins.append(start)
        chain, last = self.pipe(z, start, self.rng.randint(1, 3))
        out = self.node("link out", z, f"to {self.w.resource()}", 0, mode="link", links=[])
        self.pending_link_outs.append(out)
        self.wire(last, out)
        return [*chain, out]

    def chain_ops_exec(self, z: str) -> list[Node]:
        start = self.inject(z)
        ex = self.node("exec", z, "host check", 3,
                       command=self.rng.choice(("uptime", "df -h /data", "free -m",
                                                "systemctl is-active mosquitto",
                                                "/opt/scripts/backup.sh")),
                       addpay="", append="", useSpawn="false", timer="", winHide=False,
                       oldrc=False)
        self.wire(start, ex)
        d = self.debug(z, "host check")
        self.wire(ex, d)
        return [start, ex, d]

    def chain_subflow(self, z: str) -> list[Node]:
        sub = self.rng.choice(self.subflows)
        start = self.inject(z) if self.chance(0.6) else self.http_in(
            z, "post", f"/hooks/{self.w.resource()}")
        inst = self.node(f"subflow:{sub['id']}", z, "", 1, env=[])
        self.wire(start, inst)
        end = self.sink(z) if start["type"] == "inject" else self.http_response(z)
        self.wire(inst, end)
        return [start, inst, end]

    def chain_dashboard(self, z: str) -> list[Node]:
        w = self.w
        group = self.rng.choice(self.ui_groups)["id"]
        start = self.node("ui_button", z, f"Refresh {w.resource()}", 1, group=group, order=1,
                          width=0, height=0, passthru=False, label="Refresh", tooltip="",
                          color="", bgcolor="", className="", icon="", payload="",
                          payloadType="str", topic="refresh", topicType="str")
        fetch = self.http_request(z, "GET")
        self.wire(start, fetch)
        fn = self.function(z, "Shape for gauge")
        self.wire(fetch, fn)
        gauge = self.node("ui_gauge", z, w.resource().title(), 0, group=group, order=2,
                          width=0, height=0, gtype="gage", title=w.resource(), label="units",
                          format="{{value}}", min=0, max="100",
                          colors=["#00b500", "#e6e600", "#ca3838"], seg1="", seg2="",
                          className="")
        self.wire(fn, gauge)
        return [start, fetch, fn, gauge]

    def chain_file_import(self, z: str) -> list[Node]:
        w = self.w
        res = w.resource()
        start = self.node("watch", z, f"/data/inbox/{res}", 1, files=f"/data/inbox/{res}",
                          recursive="")
        read = self.node("file in", z, f"Read {res} CSV", 1, filename="filename",
                         filenameType="msg", format="utf8", chunk=False, sendError=False,
                         encoding="none", allProps=False)
        self.wire(start, read)
        csv = self.processing(z)
        self.wire(read, csv)
        if self.mysql_configs and self.chance(0.5):
            db = self.node("mysql", z, f"Load {res}", 1,
                           mydb=self.rng.choice(self.mysql_configs)["id"])
        else:
            db = self.http_request(z, "POST")
        self.wire(csv, db)
        d = self.debug(z)
        self.wire(db, d)
        return [start, read, csv, db, d]

    def chain_tcp(self, z: str) -> list[Node]:
        w = self.w
        if self.chance(0.5):
            start = self.node("tcp in", z, "PLC feed", 1, server="server",
                              host="", port=str(self.rng.choice((4001, 5020, 9000))),
                              datamode="stream", datatype="buffer", newline="", topic="",
                              trim=False, base64=False, tls="")
            chain, last = self.pipe(z, start, self.rng.randint(1, 2))
            end = self.debug(z)
        else:
            start = self.inject(z)
            chain, last = self.pipe(z, start, 1)
            end = self.node("tcp request", z, "Label printer", 1,
                            server=self.rng.choice(w.internal), port="9100", out="immed",
                            ret="buffer", splitc="0", newline="", trim=False, tls="")
        self.wire(last, end)
        return [*chain, end]

    def tab_extras(self, z: str) -> list[Node]:
        """The housekeeping most tabs have: a comment and a catch node."""
        out = [self.node("comment", z, self.w.title(), 0, info="")]
        if self.chance(0.6):
            c = self.node("catch", z, "errors", 1, scope=None, uncaught=False)
            d = self.debug(z, "error")
            d["complete"], d["targetType"] = "true", "full"
            self.wire(c, d)
            out += [c, d]
        return out

    # -- assembly ---------------------------------------------------------------------------
    def subflow_defs(self, count: int) -> None:
        for _ in range(count):
            sid = self.nid()
            name = self.rng.choice(("Sign request", "Retry with backoff", "Enrich customer",
                                    "Audit log", "Rate limit", "Normalise payload",
                                    "Fetch token")) + f" ({self.w.resource()})"
            sub: Node = {"id": sid, "type": "subflow", "name": name,
                         "info": self.w.fake.sentence(), "category": "", "in": [], "out": [],
                         "env": [], "meta": {}, "color": "#DDAA99"}
            self.nodes.append(sub)
            self.subflows.append(sub)
            self._row_y = 0
            fn = self.function(sid, name.split(" (")[0])
            chain = [fn]
            last = fn
            if self.chance(0.5):
                hr = self.http_request(sid, "POST")
                self.wire(fn, hr)
                chain.append(hr)
                last = hr
            self.place(chain)
            sub["in"] = [{"x": 60, "y": 80, "wires": [{"id": fn["id"]}]}]
            sub["out"] = [{"x": 420, "y": 80, "wires": [{"id": last["id"], "port": 0}]}]

    CHAINS = (("http_api", 20), ("scheduled", 22), ("mqtt", 14), ("link", 8),
              ("subflow", 6), ("dashboard", 5), ("file_import", 5), ("websocket", 3),
              ("ops_exec", 3), ("tcp", 3), ("admin_exec", 1))

    def build(self, target: int) -> list[Node]:
        tabs = max(1, round(target / 50))
        self.s.nodered_tabs = tabs
        self.config_nodes(tabs)
        self.s.nodered_config_nodes = len(self.nodes)
        tab_nodes = []
        for _ in range(tabs):
            team = self.rng.choice(TEAMS)
            disabled = self.chance(0.03)
            tab: Node = {"id": self.nid(), "type": "tab",
                         "label": f"{team.title()}: {self.w.fake.bs()}"[:60],
                         "disabled": disabled,
                         "info": f"Owner: {team} team\n{self.w.fake.sentence()}", "env": []}
            tab_nodes.append(tab)
        self.nodes[:0] = tab_nodes  # tabs come first in an export, as Node-RED writes them
        self.tabs = tab_nodes
        subflow_count = max(1, tabs // 20)
        self.s.nodered_subflows = subflow_count
        self.subflow_defs(subflow_count)
        names, weights = zip(*self.CHAINS, strict=True)
        for i, tab in enumerate(self.tabs):
            z = tab["id"]
            self._row_y = 0
            budget = (target - len(self.nodes)) // (tabs - i)
            start = len(self.nodes)
            extras = self.tab_extras(z)
            self.place(extras)
            while len(self.nodes) - start < budget:
                kind = self.rng.choices(names, weights)[0]
                chain = getattr(self, f"chain_{kind}")(z)
                if self.chance(0.01):
                    chain[-1]["d"] = True
                self.place(chain)
                if self.chance(0.1) and len(chain) >= 3:
                    self.group(z, chain)
        self._link_tabs()
        for n in self.nodes:
            self.s.nodered_types[n["type"] if not n["type"].startswith("subflow:")
                                 else "subflow:<id>"] += 1
        self.s.nodered_nodes = len(self.nodes)
        return self.nodes

    def group(self, z: str, chain: list[Node]) -> None:
        g = {"id": self.nid(), "type": "group", "z": z, "name": self.w.fake.word().title(),
             "style": {"label": True}, "nodes": [n["id"] for n in chain],
             "x": min(n["x"] for n in chain) - 30, "y": min(n["y"] for n in chain) - 40,
             "w": 200 * len(chain), "h": 100}
        for n in chain:
            n["g"] = g["id"]
        self.nodes.append(g)

    def _link_tabs(self) -> None:
        if not self.link_ins:
            return
        for out in self.pending_link_outs:
            target = self.rng.choice(self.link_ins)
            out["links"].append(target["id"])
            target["links"].append(out["id"])


def generate_nodered(path: Path, nodes: int, seed: int, summary: Summary) -> None:
    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    gen = NodeRedGen(rng, Words(fake, rng), Tokens(rng), summary)
    flows = gen.build(nodes)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        json.dump(flows, fh, indent=4, ensure_ascii=False)


# ============================================================================================
# n8n
# ============================================================================================
B = "n8n-nodes-base."
LC = "@n8n/n8n-nodes-langchain."
TYPE_VERSIONS = {
    "webhook": 2, "scheduleTrigger": 1.2, "manualTrigger": 1, "formTrigger": 2.2,
    "errorTrigger": 1, "executeWorkflowTrigger": 1.1, "githubTrigger": 1,
    "stripeTrigger": 1, "telegramTrigger": 1.1, "emailReadImap": 2, "httpRequest": 4.2,
    "code": 2, "set": 3.4, "if": 2.2, "switch": 3.2, "merge": 3, "filter": 2.2,
    "splitInBatches": 3, "splitOut": 1, "aggregate": 1, "noOp": 1, "wait": 1.1,
    "respondToWebhook": 1.1, "postgres": 2.5, "mySql": 2.4, "slack": 2.2,
    "googleSheets": 4.5, "gmail": 2.1, "emailSend": 2.1, "executeCommand": 1, "ssh": 1,
    "ftp": 1, "redis": 1, "mongoDb": 1.1, "hubspot": 2.1, "airtable": 2.1, "notion": 2.2,
    "jira": 1, "dateTime": 2, "removeDuplicates": 2, "sort": 1, "limit": 1,
    "executeWorkflow": 1.2, "stickyNote": 1, "crypto": 1, "html": 1.2, "xml": 1,
    "convertToFile": 1.1, "readWriteFile": 1,
}
CRED_TYPES = {
    "postgres": "postgres", "mySql": "mySql", "slack": "slackApi",
    "googleSheets": "googleSheetsOAuth2Api", "gmail": "gmailOAuth2", "emailSend": "smtp",
    "ssh": "sshPassword", "ftp": "ftp", "redis": "redis", "mongoDb": "mongoDb",
    "hubspot": "hubspotAppToken", "airtable": "airtableTokenApi", "notion": "notionApi",
    "jira": "jiraSoftwareCloudApi", "githubTrigger": "githubApi",
    "stripeTrigger": "stripeApi", "telegramTrigger": "telegramApi",
    "emailReadImap": "imap", "httpHeaderAuth": "httpHeaderAuth",
    "httpBasicAuth": "httpBasicAuth", "jwtAuth": "jwtAuth", "oAuth2Api": "oAuth2Api",
    "openAiApi": "openAiApi",
}
DEFAULT_NAMES = {
    "webhook": "Webhook", "scheduleTrigger": "Schedule Trigger",
    "manualTrigger": "When clicking 'Test workflow'", "formTrigger": "On form submission",
    "errorTrigger": "Error Trigger", "executeWorkflowTrigger": "When called by another workflow",
    "httpRequest": "HTTP Request", "code": "Code", "set": "Edit Fields", "if": "If",
    "switch": "Switch", "merge": "Merge", "filter": "Filter", "splitInBatches": "Loop Over Items",
    "splitOut": "Split Out", "aggregate": "Aggregate", "noOp": "No Operation, do nothing",
    "wait": "Wait", "respondToWebhook": "Respond to Webhook", "postgres": "Postgres",
    "mySql": "MySQL", "slack": "Slack", "googleSheets": "Google Sheets", "gmail": "Gmail",
    "emailSend": "Send Email", "executeCommand": "Execute Command", "ssh": "SSH",
    "ftp": "FTP", "redis": "Redis", "mongoDb": "MongoDB", "hubspot": "HubSpot",
    "airtable": "Airtable", "notion": "Notion", "jira": "Jira Software",
    "dateTime": "Date & Time", "removeDuplicates": "Remove Duplicates", "sort": "Sort",
    "limit": "Limit", "executeWorkflow": "Execute Workflow", "stickyNote": "Sticky Note",
    "crypto": "Crypto", "html": "HTML", "xml": "XML", "convertToFile": "Convert to File",
    "readWriteFile": "Read/Write Files from Disk", "githubTrigger": "Github Trigger",
    "stripeTrigger": "Stripe Trigger", "telegramTrigger": "Telegram Trigger",
    "emailReadImap": "Email Trigger (IMAP)",
}


class N8nGen:
    """Builds n8n workflow exports (``n8n export:workflow --all --separate``)."""

    def __init__(self, rng: random.Random, w: Words, tok: Tokens, summary: Summary) -> None:
        self.rng = rng
        self.w = w
        self.tok = tok
        self.s = summary
        self.creds: dict[str, list[dict[str, str]]] = {}
        for short, ctype in CRED_TYPES.items():
            pool = []
            for _ in range(rng.randint(2, 6)):
                label = {"postgres": "DB", "mySql": "DB", "slack": "bot",
                         "smtp": "relay"}.get(short, "")
                name = (f"{w.resource().title()} {DEFAULT_NAMES.get(short, short)} "
                        f"{label} ({rng.choice(ENVS)})").replace("  ", " ")
                pool.append({"id": self.nid16(), "name": name})
            self.creds[ctype] = pool
        self.tags = [{"createdAt": _iso(rng, 0, 200), "updatedAt": _iso(rng, 200, 100),
                      "id": self.nid16(), "name": t}
                     for t in (*TEAMS, "production", "staging", "experimental", "legacy",
                               "critical", "pii", "reporting", "ai")]
        self.workflow_ids: list[str] = []

    def nid16(self) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(16))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def plant(self, kind: str) -> None:
        self.s.planted[f"n8n:{kind}"] += 1

    def cred(self, ctype: str) -> dict[str, dict[str, str]]:
        return {ctype: dict(self.rng.choice(self.creds[ctype]))}

    # -- node specs -------------------------------------------------------------------------
    def spec(self, short: str, params: dict[str, Any], name: str = "",
             creds: dict[str, Any] | None = None, pkg: str = B, **extra: Any) -> Node:
        node: Node = {"parameters": params, "type": pkg + short,
                      "typeVersion": TYPE_VERSIONS.get(short, 1), "_name": name or
                      DEFAULT_NAMES.get(short, short)}
        if creds:
            node["credentials"] = creds
        node.update(extra)
        return node

    def http_request(self, method: str = "GET", *, external: bool = True) -> Node:
        w = self.w
        scheme = "https"
        if self.chance(0.05):
            scheme = "http"
            self.plant("http:cleartext")
        url = w.url(scheme)
        if self.chance(0.3):
            url = f"={url}/{{{{ $json.id }}}}"
        params: dict[str, Any] = {"method": method, "url": url}
        creds = None
        if self.chance(0.4):
            kind = self.rng.choice(("httpHeaderAuth", "httpBasicAuth", "oAuth2Api"))
            params["authentication"] = "genericCredentialType"
            params["genericAuthType"] = kind
            creds = self.cred(kind)
        if self.chance(0.03):
            params["sendHeaders"] = True
            header = self.rng.choice(("X-API-Key", "Authorization", "X-Auth-Token"))
            value = self.tok.hex(40) if header != "Authorization" else \
                f"Bearer {self.tok.any_token()[1]}"
            params["headerParameters"] = {"parameters": [{"name": header, "value": value}]}
            self.plant("http:literal_header")
        elif self.chance(0.2):
            params["sendHeaders"] = True
            params["headerParameters"] = {"parameters": [
                {"name": "X-Request-Id", "value": "={{ $execution.id }}"},
                {"name": "X-Api-Key", "value": f"={{{{ $env.{w.resource().upper()}_KEY }}}}"}]}
        if method in ("POST", "PUT", "PATCH"):
            params["sendBody"] = True
            params["bodyParameters"] = {"parameters": [
                {"name": w.field(), "value": f"={{{{ $json.{w.field()} }}}}"}
                for _ in range(self.rng.randint(1, 4))]}
        options: dict[str, Any] = {}
        if self.chance(0.03):
            options["allowUnauthorizedCerts"] = True
            self.plant("http:no_cert_check")
        if self.chance(0.2):
            options["timeout"] = self.rng.choice((10000, 30000, 60000))
        params["options"] = options
        return self.spec("httpRequest", params, f"{method.title()} {w.resource()}", creds)

    def code(self) -> Node:
        src = js_code(self.rng, self.w, self.rng.randint(5, 40), n8n=True)
        if self.chance(0.015):
            kind, line = secret_code_line(self.rng, self.tok, n8n=True)
            src = _insert_line(src, line, self.rng)
            self.plant(kind)
        return self.spec("code", {"jsCode": src}, self.w.fake.bs().capitalize()[:40])

    def set_node(self) -> Node:
        w = self.w
        assignments = [{"id": _uuid(self.rng), "name": w.field(),
                        "value": f"={{{{ $json.{w.field()} }}}}", "type": "string"}
                       for _ in range(self.rng.randint(1, 5))]
        if self.chance(0.01):
            assignments.append({"id": _uuid(self.rng), "name": "apiKey",
                                "value": self.tok.hex(32), "type": "string"})
            self.plant("set:literal_key")
        return self.spec("set", {"assignments": {"assignments": assignments}, "options": {}},
                         f"Set {w.field()}")

    def sql(self, *, from_input: bool) -> Node:
        short = self.rng.choice(("postgres", "postgres", "mySql"))
        res = self.w.resource()
        r = self.rng.random()
        params: dict[str, Any]
        if r < 0.35:
            params = {"operation": "select", "schema": {"__rl": True, "value": "public",
                                                        "mode": "list"},
                      "table": {"__rl": True, "value": res, "mode": "list",
                                "cachedResultName": res}, "returnAll": True, "options": {}}
        elif r < 0.65:
            params = {"operation": "insert", "schema": {"__rl": True, "value": "public",
                                                        "mode": "list"},
                      "table": {"__rl": True, "value": res, "mode": "list"},
                      "columns": {"mappingMode": "autoMapInputData", "value": {},
                                  "matchingColumns": [], "schema": []}, "options": {}}
        elif from_input and self.chance(0.25):
            params = {"operation": "executeQuery", "query":
                      f"=SELECT * FROM {res} WHERE email = '{{{{ $json.body.email }}}}'",
                      "options": {}}
            self.plant("sql:interpolated")
        else:
            params = {"operation": "executeQuery",
                      "query": f"SELECT * FROM {res} WHERE id = $1",
                      "options": {"queryReplacement": "={{ $json.id }}"}}
        return self.spec(short, params, f"{params['operation'].title()} {res}",
                         self.cred(CRED_TYPES[short]))

    def slack(self) -> Node:
        return self.spec("slack", {"select": "channel", "channelId": {
            "__rl": True, "value": "C0" + self.tok.chars(UPPER_ALNUM, 9), "mode": "list",
            "cachedResultName": self.rng.choice(TEAMS)},
            "text": f"={{{{ $json.{self.w.field()} }}}}", "otherOptions": {}},
            f"Notify #{self.rng.choice(TEAMS)}", self.cred("slackApi"))

    def sheets(self) -> Node:
        doc = self.tok.chars(ALNUM + "_-", 44)
        return self.spec("googleSheets", {
            "operation": self.rng.choice(("append", "appendOrUpdate", "read")),
            "documentId": {"__rl": True, "value": doc, "mode": "list",
                           "cachedResultName": self.w.resource().title(),
                           "cachedResultUrl":
                               f"https://docs.google.com/spreadsheets/d/{doc}/edit"},
            "sheetName": {"__rl": True, "value": "gid=0", "mode": "list",
                          "cachedResultName": "Sheet1"},
            "columns": {"mappingMode": "autoMapInputData", "value": {}},
            "options": {}}, f"{self.w.resource().title()} sheet",
            self.cred("googleSheetsOAuth2Api"))

    def filler(self) -> Node:
        """A transformation or utility node for the middle of a workflow."""
        rng, w = self.rng, self.w
        r = rng.random()
        if r < 0.28:
            return self.set_node()
        if r < 0.45:
            return self.code()
        if r < 0.52:
            return self.spec("filter", {"conditions": {"conditions": [{
                "leftValue": f"={{{{ $json.{w.field()} }}}}", "rightValue": "",
                "operator": {"type": "string", "operation": "notEmpty"}}],
                "combinator": "and"}, "options": {}}, f"Has {w.field()}")
        if r < 0.58:
            return self.spec("splitOut", {"fieldToSplitOut": w.field(), "options": {}})
        if r < 0.63:
            return self.spec("aggregate", {"aggregate": "aggregateAllItemData", "options": {}})
        if r < 0.68:
            return self.spec("dateTime", {"operation": "formatDate",
                                          "date": "={{ $json.createdAt }}", "options": {}})
        if r < 0.72:
            return self.spec("removeDuplicates", {"compare": "selectedFields",
                                                  "fieldsToCompare": "id", "options": {}})
        if r < 0.76:
            return self.spec("wait", {"amount": rng.choice((1, 5, 30))})
        if r < 0.86:
            return self.http_request(rng.choice(("GET", "GET", "POST")))
        if r < 0.9:
            return self.spec("splitInBatches", {"batchSize": rng.choice((10, 50, 100)),
                                                "options": {}})
        if r < 0.93:
            return self.spec("redis", {"operation": "get", "key": f"cache:{w.resource()}",
                                       "options": {}}, "", self.cred("redis"))
        if r < 0.96:
            return self.spec("sort", {"sortFieldsUi": {"sortField": [
                {"fieldName": w.field()}]}, "options": {}})
        return self.spec("executeWorkflow", {"workflowId": {
            "__rl": True, "value": rng.choice(self.workflow_ids) if self.workflow_ids else "",
            "mode": "list"}, "options": {}}, "Run sub-workflow")

    def sink(self) -> Node:
        r = self.rng.random()
        if r < 0.3:
            return self.slack()
        if r < 0.5:
            return self.sql(from_input=False)
        if r < 0.65:
            return self.sheets()
        if r < 0.75:
            return self.spec("emailSend", {"fromEmail": f"noreply@{self.w.company}.com",
                                           "toEmail": self.w.fake.company_email(),
                                           "subject": f"={{{{ $json.{self.w.field()} }}}}",
                                           "emailFormat": "text", "options": {}},
                             "Send report", self.cred("smtp"))
        if r < 0.82:
            return self.spec("hubspot", {"resource": "contact", "operation": "upsert",
                                         "email": "={{ $json.email }}",
                                         "additionalFields": {}}, "", self.cred(
                                             "hubspotAppToken"))
        if r < 0.88:
            return self.spec("airtable", {"operation": "create", "base": {
                "__rl": True, "value": "app" + self.tok.chars(ALNUM, 14), "mode": "list"},
                "table": {"__rl": True, "value": "tbl" + self.tok.chars(ALNUM, 14),
                          "mode": "list"}, "columns": {"mappingMode": "autoMapInputData"},
                "options": {}}, "", self.cred("airtableTokenApi"))
        if r < 0.93:
            return self.spec("mongoDb", {"operation": "insert",
                                         "collection": self.w.resource(),
                                         "fields": "id,name"}, "", self.cred("mongoDb"))
        return self.http_request("POST")

    # -- triggers (archetypes) ----------------------------------------------------------------
    def trigger(self) -> tuple[Node, str]:
        """(trigger node spec, archetype)."""
        rng, w = self.rng, self.w
        r = rng.random()
        if r < 0.3:
            auth = rng.choices(("none", "basicAuth", "headerAuth", "jwtAuth", None),
                               (22, 18, 35, 10, 15))[0]
            params: dict[str, Any] = {"httpMethod": rng.choice(("POST", "POST", "GET")),
                                      "path": f"{w.resource()}/{w.fake.word()}",
                                      "responseMode": "responseNode", "options": {}}
            creds = None
            if auth is not None:
                params["authentication"] = auth
            if auth in (None, "none"):
                self.plant("webhook:no_auth")
            else:
                creds = self.cred({"basicAuth": "httpBasicAuth", "headerAuth": "httpHeaderAuth",
                                   "jwtAuth": "jwtAuth"}[auth])
            return self.spec("webhook", params, "", creds, webhookId=_uuid(rng)), "webhook"
        if r < 0.62:
            cron = f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
            rule = ({"interval": [{"field": "cronExpression", "expression": cron}]}
                    if self.chance(0.4) else
                    {"interval": [{"field": rng.choice(("hours", "minutes")),
                                   "hoursInterval": rng.randint(1, 12)}]})
            return self.spec("scheduleTrigger", {"rule": rule}), "schedule"
        if r < 0.7:
            return self.spec("formTrigger", {"formTitle": w.title()[:40], "formFields": {
                "values": [{"fieldLabel": "Name", "requiredField": True},
                           {"fieldLabel": "Email", "fieldType": "email",
                            "requiredField": True},
                           {"fieldLabel": "Message", "fieldType": "textarea"}]},
                "options": {}}, webhookId=_uuid(rng)), "form"
        if r < 0.78:
            svc = rng.choice(("githubTrigger", "stripeTrigger", "telegramTrigger"))
            params = {"events": ["*"]} if svc != "githubTrigger" else {
                "owner": {"__rl": True, "value": w.company, "mode": "name"},
                "repository": {"__rl": True, "value": w.fake.word(), "mode": "name"},
                "events": ["push", "pull_request"]}
            return self.spec(svc, params, "", self.cred(CRED_TYPES[svc]),
                             webhookId=_uuid(rng)), "service"
        if r < 0.84:
            return self.spec("executeWorkflowTrigger", {"inputSource": "passthrough"}), "sub"
        if r < 0.88:
            return self.spec("errorTrigger", {}), "error"
        if r < 0.93:
            return self.spec("emailReadImap", {"options": {}}, "",
                             self.cred("imap")), "email"
        if r < 0.97:
            return self.spec("manualTrigger", {}), "manual"
        return self.spec("chatTrigger", {"public": self.chance(0.5), "options": {}},
                         "When chat message received", pkg=LC,
                         webhookId=_uuid(rng)), "chat"

    # -- a workflow ---------------------------------------------------------------------------
    def workflow(self, index: int) -> Node:
        rng, w = self.rng, self.w
        target = rng.randint(8, 25)
        trig, kind = self.trigger()
        main: list[Node] = [trig]
        side: list[tuple[int, int, Node]] = []  # (source index in main, output, node)
        ai: list[tuple[Node, str]] = []
        # the archetype's characteristic steps
        if kind in ("webhook", "form"):
            main.append(self.code() if self.chance(0.5) else self.set_node())
            main.append(self.sql(from_input=True) if self.chance(0.5) else self.http_request(
                "POST"))
            if kind == "webhook" and self.chance(0.06):
                main.append(self.spec("executeCommand", {
                    "command": "=/opt/scripts/provision.sh {{ $json.body.account }}"},
                    "Provision account"))
                self.plant("exec:from_webhook")
        elif kind == "schedule":
            main.append(self.http_request("GET"))
            main.append(self.spec("splitOut", {"fieldToSplitOut": "data", "options": {}}))
            if self.chance(0.05):
                main.append(self.spec("ftp", {"protocol": rng.choice(("ftp", "sftp")),
                                              "operation": "download",
                                              "path": f"/outgoing/{w.resource()}.csv"},
                                      "", self.cred("ftp")))
            if self.chance(0.05):
                main.append(self.spec("executeCommand", {"command": rng.choice((
                    "df -h /data", "/opt/scripts/rotate-logs.sh", "pg_dump -Fc orders"))},
                    "Host maintenance"))
        elif kind == "chat":
            agent = self.spec("agent", {"options": {"systemMessage": w.fake.sentence()}},
                              "AI Agent", pkg=LC)
            main.append(agent)
            ai.append((self.spec("lmChatOpenAi", {"model": {"__rl": True,
                                                            "value": "gpt-4o-mini",
                                                            "mode": "list"}, "options": {}},
                                 "OpenAI Chat Model", self.cred("openAiApi"), pkg=LC),
                       "ai_languageModel"))
            ai.append((self.spec("memoryBufferWindow", {}, "Window Buffer Memory", pkg=LC),
                       "ai_memory"))
            ai.append((self.spec("toolHttpRequest", {"toolDescription": "Look up an order",
                                                     "url": w.url(), "options": {}},
                                 "Order lookup", pkg=LC), "ai_tool"))
        elif kind == "error":
            main.append(self.set_node())
        while len(main) + len(side) + len(ai) < target - 1:
            if self.chance(0.15) and len(main) > 1:
                cond = self.spec("if", {"conditions": {"conditions": [{
                    "leftValue": f"={{{{ $json.{w.field()} }}}}", "rightValue": "",
                    "operator": {"type": "string", "operation": "exists"}}],
                    "combinator": "and"}, "options": {}}, f"{w.field()} set?")
                main.append(cond)
                side.append((len(main) - 1, 1, self.sink() if self.chance(0.5) else
                             self.spec("noOp", {})))
            else:
                main.append(self.filler())
        if kind in ("webhook",) and trig["parameters"].get("responseMode") == "responseNode":
            main.append(self.spec("respondToWebhook", {"respondWith": "json", "responseBody":
                                                       "={\n  \"ok\": true\n}",
                                                       "options": {}}))
        else:
            main.append(self.sink())
        notes = [self.spec("stickyNote", {"content": f"## {w.title()}\n{w.fake.sentence()}",
                                          "height": 240, "width": 380})
                 for _ in range(rng.choice((0, 0, 1, 2)))]
        return self._assemble(index, main, side, ai, notes)

    def _assemble(self, index: int, main: list[Node], side: list[tuple[int, int, Node]],
                  ai: list[tuple[Node, str]], notes: list[Node]) -> Node:
        rng = self.rng
        used: Counter[str] = Counter()
        nodes: list[Node] = []

        def add(spec: Node, x: int, y: int) -> str:
            base = spec.pop("_name")
            name = base if not used[base] else f"{base}{used[base]}"
            used[base] += 1
            node: Node = {"parameters": spec.pop("parameters"), "id": _uuid(rng), "name": name,
                          "type": spec.pop("type"), "typeVersion": spec.pop("typeVersion"),
                          "position": [x, y]}
            node.update(spec)
            if self.chance(0.01):
                node["disabled"] = True
            nodes.append(node)
            self.s.n8n_types[node["type"]] += 1
            return name

        connections: dict[str, dict[str, list[list[dict[str, Any]]]]] = {}

        def connect(src: str, dst: str, output: int = 0, kind: str = "main") -> None:
            outputs = connections.setdefault(src, {}).setdefault(kind, [])
            while len(outputs) <= output:
                outputs.append([])
            outputs[output].append({"node": dst, "type": kind, "index": 0})

        names = [add(spec, i * 220, 0) for i, spec in enumerate(main)]
        for a, b in itertools.pairwise(names):
            connect(a, b)
        for src, output, spec in side:
            connect(names[src], add(spec, src * 220 + 220, 200), output)
        for j, (spec, kind) in enumerate(ai):
            connect(add(spec, 220 + j * 140, 220), names[1], 0, kind)
        for j, spec in enumerate(notes):
            add(spec, -400, -300 + j * 280)
        wid = self.nid16()
        self.workflow_ids.append(wid)
        active = self.chance(0.6)
        archived = not active and self.chance(0.08)
        settings: dict[str, Any] = {"executionOrder": "v1"}
        if self.chance(0.05):
            settings["saveDataErrorExecution"] = "none"
            self.plant("settings:no_error_log")
        elif self.chance(0.3):
            settings["saveDataErrorExecution"] = "all"
        if self.chance(0.15):
            settings["saveDataSuccessExecution"] = rng.choice(("none", "all"))
        if self.chance(0.05):
            settings["callerPolicy"] = "any"
            self.plant("settings:caller_any")
        elif self.chance(0.3):
            settings["callerPolicy"] = "workflowsFromSameOwner"
        if self.chance(0.4) and len(self.workflow_ids) > 1:
            settings["errorWorkflow"] = rng.choice(self.workflow_ids[:-1])
        if self.chance(0.3):
            settings["timezone"] = rng.choice(("Europe/Berlin", "America/New_York", "UTC"))
        created = _iso(rng, 0, 400)
        tags = [dict(t) for t in rng.sample(self.tags, rng.choice((0, 1, 1, 2, 3)))]
        self.s.n8n_nodes += len(nodes)
        return {
            "createdAt": created, "updatedAt": _iso(rng, 400, 200), "id": wid,
            "name": f"{self.rng.choice(TEAMS).title()} - {self.w.title()}"[:80],
            "active": active, "isArchived": archived, "nodes": nodes,
            "connections": connections, "settings": settings,
            "staticData": None, "meta": {"templateCredsSetupCompleted": True},
            "pinData": {}, "versionId": _uuid(rng), "triggerCount": int(active),
            "tags": tags,
        }


def generate_n8n(folder: Path, workflows: int, seed: int, summary: Summary) -> None:
    rng = random.Random(seed + 7919)
    fake = Faker()
    fake.seed_instance(seed + 7919)
    gen = N8nGen(rng, Words(fake, rng), Tokens(rng), summary)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for i in range(workflows):
        wf = gen.workflow(i)
        (folder / f"{wf['id']}.json").write_text(json.dumps(wf, indent=2, ensure_ascii=False),
                                                 encoding="utf-8")
    summary.n8n_workflows = workflows


def generate(out: Path, nodered_nodes: int, n8n_workflows: int, seed: int) -> Summary:
    """Write the estate under ``out`` and return what was generated."""
    summary = Summary()
    out.mkdir(parents=True, exist_ok=True)
    generate_nodered(out / "nodered" / "flows.json", nodered_nodes, seed, summary)
    generate_n8n(out / "n8n", n8n_workflows, seed, summary)
    manifest = {"generator": "benchmarks/generate_org.py",
                "params": {"nodered_nodes": nodered_nodes, "n8n_workflows": n8n_workflows,
                           "seed": seed, "faker": _faker_version()},
                **summary.to_json()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def _faker_version() -> str:
    from importlib.metadata import version

    return version("faker")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--nodered-nodes", type=int, default=20000)
    parser.add_argument("--n8n-workflows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    s = generate(args.out, args.nodered_nodes, args.n8n_workflows, args.seed)
    print(f"Node-RED: {s.nodered_nodes} nodes, {s.nodered_tabs} tabs, "
          f"{s.nodered_subflows} subflows -> {args.out / 'nodered' / 'flows.json'}")
    print(f"n8n: {s.n8n_workflows} workflows, {s.n8n_nodes} nodes -> {args.out / 'n8n'}")
    print("planted: " + ", ".join(f"{k}={v}" for k, v in sorted(s.planted.items())))
    print(f"generated in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
