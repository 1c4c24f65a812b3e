"""How long the secret scan takes on a large synthetic Node-RED flow.

    python benchmarks/secrets_bench.py [NODES] [REPEATS]

Prints the node and string counts, the hits, and the cold scan time of each run (a new App
each time, so the per-App memo does not help) and the memoized second call. The flow mixes
the node types real flows are made of, with code, headers, change rules, templates, URLs,
UUIDs, digests and env references, and plants a known secret in 1 node of 200.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from pytest_nocode.model import App, Step
from pytest_nocode.secretscan import find_secrets

FUNC = """// enrich the order with pricing
const order = msg.payload;
const traceId = "{uuid}";
const token = env.get("API_TOKEN");
if (!token) {{
    node.warn("API_TOKEN is not set");
    return null;
}}
msg.headers = {{ "x-trace-id": traceId, "x-schema": "{digest}" }};
msg.url = "https://api.example.com/v1/orders/" + order.id;
for (const item of order.items || []) {{
    item.total = item.qty * item.price;
}}
return msg;
"""
TEMPLATE = """<h1>Order {{{{payload.id}}}}</h1>
<p>Dear {{{{payload.customer.name}}}}, your order ships on {{{{payload.date}}}}.</p>
Authorization: Bearer {{{{flow.token}}}}
"""


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_flow(nodes: int, seed: int = 7) -> list[dict[str, Any]]:
    """A Node-RED flow export with ``nodes`` nodes over 20 tabs."""
    rng = random.Random(seed)
    tabs = [_hex(rng, 16) for _ in range(20)]
    flow: list[dict[str, Any]] = [{"id": t, "type": "tab", "label": f"Tab {i}", "info": ""}
                                  for i, t in enumerate(tabs)]
    ids = [_hex(rng, 16) for _ in range(nodes)]
    for i, nid in enumerate(ids):
        base = {"id": nid, "z": tabs[i % 20], "name": f"node {i}", "x": rng.randint(0, 900),
                "y": rng.randint(0, 900), "wires": [[ids[(i + 1) % nodes]]]}
        kind = i % 8
        if kind == 0:
            node = {"type": "function", "func": FUNC.format(uuid=_uuid(rng),
                                                            digest=_hex(rng, 64)),
                    "outputs": 1, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
                    "libs": []}
        elif kind == 1:
            node = {"type": "http request", "method": "POST", "ret": "obj", "paytoqs": "ignore",
                    "url": f"https://api.example.com/v1/items?page={i}&sort=desc",
                    "tls": ids[(i + 7) % nodes], "persist": False, "proxy": "",
                    "authType": "", "senderr": False,
                    "headers": [{"keyType": "Content-Type", "keyValue": "",
                                 "valueType": "application/json", "valueValue": ""},
                                {"keyType": "other", "keyValue": "Authorization",
                                 "valueType": "env", "valueValue": "API_TOKEN"}]}
        elif kind == 2:
            node = {"type": "change", "rules": [
                {"t": "set", "p": "headers.authorization", "pt": "msg", "to": "API_TOKEN",
                 "tot": "env"},
                {"t": "set", "p": "payload.status", "pt": "msg", "to": "accepted",
                 "tot": "str"}], "action": "", "property": "", "from": "", "to": "",
                "reg": False}
        elif kind == 3:
            node = {"type": "inject", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
                    "repeat": "60", "crontab": "", "once": False, "onceDelay": 0.1,
                    "topic": "orders/poll", "payload": str(1717171717 + i),
                    "payloadType": "date"}
        elif kind == 4:
            node = {"type": "template", "field": "payload", "fieldType": "msg",
                    "format": "handlebars", "syntax": "mustache", "template": TEMPLATE,
                    "output": "str"}
        elif kind == 5:
            node = {"type": "debug", "active": True, "tosidebar": True, "console": False,
                    "tostatus": False, "complete": "payload", "targetType": "msg",
                    "statusVal": "", "statusType": "auto"}
        elif kind == 6:
            node = {"type": "switch", "property": "payload.kind", "propertyType": "msg",
                    "rules": [{"t": "eq", "v": "order", "vt": "str"},
                              {"t": "eq", "v": "refund", "vt": "str"}],
                    "checkall": "true", "repair": False, "outputs": 2}
        else:
            node = {"type": "mqtt out", "topic": f"devices/{_uuid(rng)}/events", "qos": "1",
                    "retain": "false", "broker": ids[(i + 3) % nodes]}
        node.update(base)
        if i % 200 == 100:  # a planted secret every 200 nodes
            node = {**base, "type": "change", "rules": [
                {"t": "set", "p": "headers.x-api-key", "pt": "msg",
                 "to": f"live_{_hex(rng, 32)}", "tot": "str"}]}
        flow.append(node)
    return flow


def make_app(flow: list[dict[str, Any]]) -> App:
    steps = tuple(Step(id=n["id"], name=n.get("name", ""), type=n["type"],
                       workflow_id=n.get("z", ""), path=f"flows/{n.get('z', '')}/{n['id']}",
                       params=n) for n in flow if n["type"] != "tab")
    return App(id="bench", platform="nodered", name="bench", facets=frozenset({"workflows"}),
               steps=steps)


def count_strings(flow: list[dict[str, Any]]) -> int:
    count, stack = 0, list(flow)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            count += 1
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def main(argv: list[str]) -> None:
    nodes = int(argv[1]) if len(argv) > 1 else 20_000
    repeats = int(argv[2]) if len(argv) > 2 else 5
    flow = make_flow(nodes)
    size = sum(len(str(n)) for n in flow)
    print(f"nodes={nodes} strings={count_strings(flow)} approx_size={size / 1e6:.1f}MB")
    find_secrets(make_app(flow[:50]))  # import detect-secrets and compile patterns once
    times, cpu = [], []
    for _ in range(repeats):
        app = make_app(flow)
        start, start_cpu = time.perf_counter(), time.process_time()
        hits = find_secrets(app)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    start = time.perf_counter()
    find_secrets(app)
    memo = time.perf_counter() - start
    print(f"hits={len(hits)} expected_planted={sum(1 for i in range(nodes) if i % 200 == 100)}")
    print(f"cold scan: best={min(times):.3f}s median={statistics.median(times):.3f}s "
          f"runs={[round(t, 3) for t in times]}")
    print(f"cold scan CPU time (less sensitive to a busy machine): best={min(cpu):.3f}s")
    print(f"memoized second call: {memo * 1e6:.1f}us")


if __name__ == "__main__":
    main(sys.argv)
