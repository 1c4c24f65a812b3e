"""Node-RED: ``flows.json`` exports, snapshots and (live) the admin API, normalized.

A raw Node-RED snapshot is ``{"flows": [...], "rev"?, "settings"?, "diagnostics"?, "nodes"?}``:
``flows`` is the flat node array of a ``flows.json`` export or ``GET /flows`` (API v2),
``settings`` is ``GET /settings``, ``diagnostics`` is ``GET /diagnostics`` and ``nodes`` is
``GET /nodes``. A bare array is read as ``{"flows": array}``.

A node on a disabled tab is disabled like one switched off itself (Node-RED starts neither).
Node types are attributed to modules from ``GET /nodes`` when the snapshot has it, else from
the export's ``global-config`` module list and the known types of widely used modules
(:mod:`pytest_nocode.platforms.nodered_modules`). Wires and links to node ids the export does
not contain are kept as ``broken_links``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pytest_nocode.appspec import AppSpec
from pytest_nocode.commandfiles import files_read, files_written
from pytest_nocode.compose import compose_of_snapshot, compose_zone_of, validate_compose
from pytest_nocode.dataflow import sensitivity_labels
from pytest_nocode.errors import SchemaError
from pytest_nocode.model import (
    App,
    BrokenLink,
    Call,
    Connector,
    DataStore,
    Destination,
    EntryPoint,
    Module,
    Setting,
    Step,
    Workflow,
    split_url,
    strip_userinfo,
)
from pytest_nocode.platforms import Fetcher, RawSnapshot, expect, read_json_file
from pytest_nocode.platforms.nodered_entries import (
    DISPLAY_TYPES,
    community_entry_points,
    entry_effect,
    public_broker_subscription,
    route_guard,
)
from pytest_nocode.platforms.nodered_flow import (
    INFLUX_QUERY,
    REDIS_COMMAND,
    RUNS_ON_MESSAGE,
    SQL_NODES,
    TYPED_WIDGETS,
    DashboardSource,
    NodeRedFlows,
    redis_location,
    redis_read,
)
from pytest_nocode.platforms.nodered_function import (
    plain_http_calls,
    turns_off_certificate_checks,
)
from pytest_nocode.platforms.nodered_modules import MODULE_OF_KNOWN_TYPE
from pytest_nocode.platforms.nodered_package import node_package_of

CORE_PACKAGE = "node-red"
CORE_TYPES = frozenset({
    "inject", "debug", "complete", "catch", "status", "link in", "link out", "link call",
    "comment", "unknown", "function", "switch", "change", "range", "template", "delay",
    "trigger", "exec", "rbe", "filter", "tls-config", "http proxy", "mqtt in", "mqtt out",
    "mqtt-broker", "http in", "http response", "http request", "websocket in", "websocket out",
    "websocket-listener", "websocket-client", "tcp in", "tcp out", "tcp request", "udp in",
    "udp out", "csv", "html", "json", "xml", "yaml", "split", "join", "sort", "batch", "file",
    "file in", "watch", "junction", "global-config",
})
CONTAINER_TYPES = frozenset({"tab", "subflow", "group"})
# Chat bot config nodes: the fields that name the users or chats it answers (empty: anyone on
# Telegram), and the node types that receive messages through it.
CHAT_BOTS: Mapping[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "telegram bot": (("usernames", "chatids"),
                     frozenset({"telegram receiver", "telegram command", "telegram event"})),
    "telegrambot-config": (("usernames", "chatIds"),
                           frozenset({"telegrambot-command", "telegrambot-switch"})),
    # node-red-contrib-chatbot (RedBot): the Telegram bot config names its users, if any
    "chatbot-telegram-node": (("usernames",), frozenset({"chatbot-telegram-receive"})),
}
# Pages a node serves on Node-RED's HTTP server (httpNodeAuth guards them like http-in routes):
# type → (the parameter with its path, the path when it is empty).
SERVED_PAGES: Mapping[str, tuple[str, str]] = {
    "worldmap": ("path", "/worldmap"),  # node-red-contrib-web-worldmap: a live map page
}
# Where Node-RED instance settings come from, for Setting.source.
# Dashboard widgets a visitor operates to send a message into the flows, per generation
# (node-red-dashboard, FlowFuse Dashboard 2), with the node that stands for the dashboard,
# the page node to name it by when that is missing, and the path it is served at by default.
DASHBOARDS: Mapping[str, tuple[frozenset[str], str, str, str]] = {
    "node-red-dashboard": (frozenset({
        "ui_button", "ui_switch", "ui_slider", "ui_dropdown", "ui_numeric", "ui_text_input",
        "ui_form", "ui_date_picker", "ui_colour_picker"}), "ui_base", "ui_tab", "/ui"),
    "@flowfuse/node-red-dashboard": (frozenset({
        "ui-button", "ui-switch", "ui-slider", "ui-dropdown", "ui-number-input",
        "ui-text-input", "ui-form", "ui-radio-group", "ui-button-group", "ui-file-input"}),
        "ui-base", "ui-page", "/dashboard"),
}
# Nodes that only shape, route, show or read what a control sends: a dashboard whose controls
# reach nothing else (a chart's date range, a refresh of a reading) changes nothing. Any other
# node (a device or broker output, a request, a command, a write, a community node) acts.
_DISPLAY_MODULES = ("node-red-dashboard", "@flowfuse/node-red-dashboard",
                    "node-red-contrib-web-worldmap")
PASSIVE_TYPES = frozenset({
    "function", "change", "switch", "template", "delay", "trigger", "rbe", "filter", "split",
    "join", "sort", "batch", "range", "csv", "json", "xml", "yaml", "html", "debug", "link in",
    "link out", "link call", "junction", "comment", "status", "catch", "complete", "file in",
    "influxdb in", "mongodb in", "http response",
    *(t for t, module in MODULE_OF_KNOWN_TYPE.items() if module in _DISPLAY_MODULES)})
SETTINGS_SOURCE = "GET /settings"
DIAGNOSTICS_SOURCE = "GET /diagnostics runtime.settings"


class NodeRedPlatform:
    name = "nodered"
    title = "Node-RED"
    # fields of live answers that change on every call; recordings leave them out
    volatile_fields = {"/diagnostics": ("time", "nodejs.memoryUsage", "os.freemem",
                                        "os.loadavg", "os.uptime")}

    # -- reading -----------------------------------------------------------------------------
    def load_file(self, path: Path) -> dict[str, Any]:
        if path.is_dir():
            candidate = path / "flows.json"
            if not candidate.exists():
                raise SchemaError(f"{path}: a folder without flows.json or other flows files; "
                                  "pass the flows export")
            path = candidate
        snapshot = as_snapshot(read_json_file(path), str(path))
        package = node_package_of(path)
        if package:
            snapshot = {**snapshot, "package": package.to_json()}
        if "compose" in snapshot:
            return snapshot  # a snapshot the plugin wrote keeps what was read then
        compose = compose_zone_of(path, "nodered")
        return {**snapshot, "compose": compose.to_json()} if compose else snapshot

    def fetch(self, spec: AppSpec, client: Fetcher) -> tuple[Any, dict[str, str]]:
        from pytest_nocode.platforms.nodered_live import fetch_nodered

        return fetch_nodered(spec, client)

    # -- normalizing ---------------------------------------------------------------------------
    def normalize(self, spec: AppSpec, raw: RawSnapshot) -> App:
        where = spec.location if spec.transport in ("file", "demo") else spec.uri
        data = as_snapshot(raw.data, where)
        return _Normalizer(spec, data, where).build()


def as_snapshot(data: Any, where: str) -> dict[str, Any]:
    """Accept a flat flows array or a snapshot object; anything else is a SchemaError."""
    if isinstance(data, list):
        return {"flows": data}
    if isinstance(data, dict) and isinstance(data.get("flows"), list):
        return data
    if isinstance(data, dict) and "flows" in data:
        raise SchemaError(f"{where}: $.flows: expected the flat array of nodes")
    kind = type(data).__name__
    raise SchemaError(f"{where}: $: expected a Node-RED flows export (a JSON array of nodes) or "
                      f"a snapshot object with \"flows\", got {kind}")


def _answered_by_return(step: Step) -> Step:
    """A link call whose answer comes back through a return link: what it is wired to gets
    that answer, not the message it sent (the return edges carry it)."""
    links = step.params.get("links")
    called = {t for t in links if isinstance(t, str)} if isinstance(links, list) else set()
    return replace(step, outbound=tuple(t for t in step.outbound if t in called))


def _code_destinations(step: Step) -> Iterable[Destination]:
    """Where a function node's code connects by itself: a plain ``http`` request to a host
    it names, and TLS calls that accept any certificate."""
    code = _as_str(step.params.get("func"))
    libs = step.params.get("libs")
    http_names = frozenset(_as_str(lib.get("var")) for lib in libs if isinstance(lib, dict)
                           and lib.get("module") == "http") if isinstance(libs, list) \
        else frozenset()
    for host, port, path in dict.fromkeys(plain_http_calls(code, http_names)):
        shown = f":{port}" if port else ""
        yield Destination(step.id, "http", f"http://{host}{shown}{path}", host, port, tls=False)
    if turns_off_certificate_checks(code):
        # its code connects itself (an https or tls library it loads), trusting any server
        yield Destination(step.id, "https", "", dynamic=True, verify_cert=False)


def _host_name(value: str) -> str:
    """A host as configured, lowercased as DNS names compare; a ``${ENV}`` placeholder is
    kept as written (it names a variable, and is shown so)."""
    return value if "${" in value else value.lower()


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _port(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _is_list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _port_wires(ports: Any) -> Iterable[dict[str, Any]]:
    """The wires of a subflow's ``in`` / ``out`` ports (validated: :func:`_validate_ports`)."""
    for port in ports or ():
        for wire in (port or {}).get("wires") or ():
            if isinstance(wire, dict) and isinstance(wire.get("id"), str):
                yield wire


def _validate_ports(ports: Any, at: str) -> None:
    """A subflow's ``in`` / ``out``: ``[{"wires": [{"id": NODE_ID, "port"?: N}], …}, …]``."""
    if ports is None:
        return
    expected = 'a list of ports, each {"wires": [{"id": NODE_ID}, …]}'
    expect(isinstance(ports, list), at, expected)
    for p, port in enumerate(ports):
        expect(isinstance(port, dict), f"{at}[{p}]", expected)
        wires = port.get("wires")
        if wires is None:
            continue
        expect(isinstance(wires, list), f"{at}[{p}].wires", 'a list of {"id": NODE_ID}')
        for w, wire in enumerate(wires):
            expect(isinstance(wire, dict) and isinstance(wire.get("id"), str),
                   f"{at}[{p}].wires[{w}]", 'a wire {"id": NODE_ID}')


def _validate_package(package: Any, at: str) -> None:
    """``$.package``: the node package the flows belong to, as the file adapter read it
    (:meth:`pytest_nocode.platforms.nodered_package.NodePackage.to_json`)."""
    expect(isinstance(package, dict), at, 'an object {"name", "version", "types": [...]}')
    expect(isinstance(package.get("name"), str) and bool(package["name"].strip()),
           f"{at}.name", "the package's name")
    for key in ("version", "manifest"):
        if package.get(key) is not None:
            expect(isinstance(package[key], str), f"{at}.{key}", "a string")
    for key in ("types", "unread", "harness"):
        if package.get(key) is not None:
            expect(_is_list_of(package[key], str), f"{at}.{key}", "a list of strings")


def _validate_objects(parent: Any, at: str, dotted: Iterable[str]) -> None:
    """Each dotted key under ``parent`` that is present (and not null) is an object."""
    if not isinstance(parent, dict):
        return
    for key in dotted:
        value: Any = parent
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            expect(isinstance(value, dict), f"{at}.{key}", "an object")


class _Normalizer:
    """One pass over the node array; indexes first, then steps, then derived views."""

    def __init__(self, spec: AppSpec, data: dict[str, Any], where: str) -> None:
        self.spec = spec
        self.data = data
        self.where = where
        self.flows: list[dict[str, Any]] = data["flows"]
        self.by_id: dict[str, dict[str, Any]] = {}
        self.container: dict[str, dict[str, Any]] = {}
        self.module_of_type: dict[str, tuple[str, str]] = {}

    def _validate(self) -> None:
        for i, node in enumerate(self.flows):
            at = f"{self.where}: $[{i}]"
            expect(isinstance(node, dict), at, "a node object")
            expect(isinstance(node.get("id"), str) and bool(node["id"]), f"{at}.id",
                   "a non-empty string node id")
            expect(isinstance(node.get("type"), str) and bool(node["type"]), f"{at}.type",
                   "a non-empty string node type")
            wires = node.get("wires")
            if wires is not None:
                expect(isinstance(wires, list) and all(
                    isinstance(port, list) and all(isinstance(t, str) for t in port)
                    for port in wires), f"{at}.wires",
                    "a list of output ports, each a list of node ids")
            if node["type"] == "subflow":
                for key in ("in", "out"):
                    _validate_ports(node.get(key), f"{at}.{key}")
            if node["type"] in ("link out", "link call") and node.get("links") is not None:
                expect(_is_list_of(node["links"], str), f"{at}.links",
                       "a list of link node ids")
            self.by_id[node["id"]] = node
            if node["type"] in ("tab", "subflow"):
                self.container[node["id"]] = node
        for key in ("settings", "diagnostics"):
            if key in self.data:
                expect(isinstance(self.data[key], dict), f"{self.where}: $.{key}", "an object")
        _validate_objects(self.data.get("settings"), f"{self.where}: $.settings",
                          ("externalModules", "externalModules.palette"))
        _validate_objects(self.data.get("diagnostics"), f"{self.where}: $.diagnostics",
                          ("runtime", "runtime.settings", "nodejs"))
        if "package" in self.data:
            _validate_package(self.data["package"], f"{self.where}: $.package")
        if "compose" in self.data:
            validate_compose(self.data["compose"], f"{self.where}: $.compose")
        if "nodes" in self.data:
            expect(isinstance(self.data["nodes"], list), f"{self.where}: $.nodes",
                   "a list of node sets (GET /nodes)")
            for i, node_set in enumerate(self.data["nodes"]):
                at = f"{self.where}: $.nodes[{i}]"
                expect(isinstance(node_set, dict), at, "a node set object (GET /nodes)")
                if node_set.get("types") is not None:
                    expect(_is_list_of(node_set["types"], str), f"{at}.types",
                           "a list of node type names")

    def build(self) -> App:
        self._validate()
        facets = {"workflows"}
        modules = self._modules()
        if modules:
            facets.add("modules")
        own_package, notes = self._own_package()
        compose_hosts, compose_notes = compose_of_snapshot(self.data.get("compose"))
        notes = {**notes, **compose_notes}
        listed = self._attribute_types()
        known = {m.name for m in modules}
        modules += tuple(Module(name, version) for name, version in sorted(listed.items())
                         if name not in known)
        settings = self._settings()
        if settings:
            facets.add("settings")
        workflows = tuple(
            Workflow(id=n["id"], name=_as_str(n.get("label") or n.get("name")) or n["id"],
                     path=f"flows/{n['id']}", disabled=bool(n.get("disabled")),
                     kind=n["type"], active=None if n["type"] == "subflow"
                     else not n.get("disabled"))
            for n in self.container.values())
        workflows += self._unexported_tabs()
        # config nodes: global ones have no tab; one scoped to a tab or subflow has a ``z``
        # but, like every config node, no position and no wires
        config_ids = {n["id"] for n in self.flows if n["type"] not in CONTAINER_TYPES
                      and (not n.get("z") or ("wires" not in n and "x" not in n))}
        extra_out, calls = self._subflow_and_link_edges()
        returns, answered, link_calls = self._link_call_returns()
        for source, targets in returns.items():
            extra_out.setdefault(source, []).extend(targets)
        calls += link_calls
        steps: list[Step] = []
        for node in self.flows:
            if node["type"] in CONTAINER_TYPES:
                continue
            steps.append(self._step(node, config_ids, extra_out.get(node["id"], ())))
        steps = [_answered_by_return(s) if s.id in answered else s for s in steps]
        by_step = {s.id: s for s in steps}
        http_auth = self._http_node_auth(settings)
        entry_points = (*(ep for s in steps for ep in self._entry_points(s, by_step, http_auth)),
                        *dashboard_entry_points(steps, http_auth))
        destinations = tuple(d for s in steps for d in self._destinations(s, by_step))
        inbound: dict[str, list[Step]] = {}
        for s in steps:
            for target in s.outbound:
                inbound.setdefault(target, []).append(s)
        stores = tuple(st for s in steps for st in self._stores(s, by_step, inbound))
        connectors = self._connectors(steps)
        broken_links = self._broken_links(steps)
        return App(
            id=self.spec.id, platform="nodered", name=self._app_name(), facets=frozenset(facets),
            workflows=workflows, steps=tuple(steps), entry_points=entry_points,
            destinations=destinations, connectors=connectors, stores=stores,
            modules=modules, settings=settings, broken_links=broken_links,
            own_package=own_package, compose_hosts=compose_hosts, notes=notes,
            flow_of=NodeRedFlows({n["id"]: n for n in self.flows
                                  if n["type"] not in CONTAINER_TYPES and not n.get("z")},
                                 self._uninstantiated_subflows(),
                                 {w.id: w.name for w in workflows},
                                 self._unfed(steps),
                                 dashboard_sources(steps, http_auth),
                                 self._ports(),
                                 frozenset(s.location for s in stores
                                           if s.kind == "file" and s.operation == "write")
                                 ).describe,
            calls=tuple(calls),
        )

    def _ports(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """Function node id -> the node ids each of its outputs is wired to, for those with
        several outputs wired."""
        ports: dict[str, tuple[tuple[str, ...], ...]] = {}
        for node in self.flows:
            wires = node.get("wires")
            if node["type"] == "function" and isinstance(wires, list) and len(wires) > 1:
                ports[node["id"]] = tuple(
                    tuple(t for t in port if isinstance(t, str)) if isinstance(port, list)
                    else () for port in wires)
        return ports

    def _unfed(self, steps: list[Step]) -> frozenset[str]:
        """Nodes that act only on a message (a database query, a command) and that nothing
        sends one to: no wire, link or subflow port reaches them, on a tab or subflow the
        export holds whole. An export of selected nodes leaves their tab out, and the wires
        into them from nodes not selected: there what feeds them is unknown, not nothing."""
        fed = {t for s in steps for t in s.outbound}
        return frozenset(s.id for s in steps if s.type in RUNS_ON_MESSAGE and s.id not in fed
                         and not s.is_config and s.workflow_id in self.container)

    def _unexported_tabs(self) -> tuple[Workflow, ...]:
        """Tabs the nodes name (``z``) that the export leaves out (an export of selected
        nodes): the flow runs on the instance all the same, named by its id."""
        missing = dict.fromkeys(
            z for n in self.flows if isinstance(z := n.get("z"), str) and z
            and z not in self.container and n["type"] not in CONTAINER_TYPES)
        return tuple(Workflow(id=z, name=z, path=f"flows/{z}", kind="tab", active=True)
                     for z in missing)

    def _app_name(self) -> str:
        if self.spec.transport == "demo":
            return "Acme order intake (demo, Node-RED)"
        if self.spec.transport == "file":
            return Path(self.spec.location).name
        return self.spec.location

    # -- steps ---------------------------------------------------------------------------------
    def _step(self, node: dict[str, Any], config_ids: set[str], extra: Iterable[str]) -> Step:
        nid, ntype = node["id"], node["type"]
        z = _as_str(node.get("z"))
        container = self.container.get(z)
        if (ntype.startswith("subflow:") and ntype[8:] in self.container) or (
                ntype == "reusable" and any(
                    n["type"] == "reusable-in" and _as_str(n.get("name")).strip().lower()
                    == _as_str(node.get("target")).strip().lower() for n in self.flows)):
            # an instance's outputs come from the subflow's inside (its "out" ports, wired
            # back in _subflow_and_link_edges): routes then show the nodes data passes through;
            # so do a reusable flow's (its reusable-out nodes, see _reusable_edges)
            outbound: list[str] = []
        else:
            outbound = [t for port in node.get("wires") or () for t in port]
        outbound.extend(extra)
        config_refs = tuple(sorted({v for k, v in node.items()
                                    if k not in ("id", "z", "g") and isinstance(v, str)
                                    and v in config_ids and v != nid}))
        package, _version = self._package_of(ntype)
        disabled = bool(node.get("d")) or bool(container and container.get("disabled"))
        params = MappingProxyType({k: v for k, v in node.items()
                                   if k not in ("x", "y", "w", "h", "wires")})
        return Step(
            id=nid, name=_as_str(node.get("name")) or _as_str(node.get("label")), type=ntype,
            workflow_id=z, path=f"flows/{z}/{nid}" if z else f"config/{nid}", package=package,
            params=params, outbound=tuple(dict.fromkeys(outbound)), config_refs=config_refs,
            credential_refs=(), disabled=disabled, is_config=not z,
        )

    def _subflow_and_link_edges(self) -> tuple[dict[str, list[str]], list[Call]]:
        """Edges that ``wires`` do not show: link out → link in, and through subflows (an
        instance to the nodes its subflow's input is wired to, the nodes wired to an output
        to what the instance's port is wired to); and each instance as a :class:`Call`, the
        edges that are its own. An output wired straight from the subflow's input passes
        the instance's message on: an edge of the instance itself."""
        extra: dict[str, list[str]] = {}
        calls: list[Call] = []
        for node in self.flows:
            ntype = node["type"]
            if ntype in ("link out", "link call"):
                links = node.get("links") or []
                extra.setdefault(node["id"], []).extend(t for t in links if isinstance(t, str))
            elif ntype.startswith("subflow:"):
                sub_id = ntype.split(":", 1)[1]
                sub = self.container.get(sub_id)
                if not sub or sub["type"] != "subflow":
                    continue  # a type naming no subflow (a tab's id): no instance
                enters = [wire["id"] for wire in _port_wires(sub.get("in"))]
                extra.setdefault(node["id"], []).extend(enters)
                outs = node.get("wires") or []
                returns: list[tuple[str, str]] = []
                for index in range(len(sub.get("out") or ())):
                    targets = outs[index] if index < len(outs) else []
                    for sender in self._port_senders(node, index, frozenset({node["id"]})):
                        extra.setdefault(sender, []).extend(targets)
                        if sender != node["id"]:
                            returns.extend((sender, t) for t in targets)
                calls.append(Call(node["id"], tuple(dict.fromkeys(enters)),
                                  tuple(dict.fromkeys(returns)), copies=sub_id))
        for source, targets in self._reusable_edges().items():
            extra.setdefault(source, []).extend(targets)
        return extra, calls

    def _reusable_edges(self) -> dict[str, list[str]]:
        """Edges of node-red-contrib-reusable-flows: a ``reusable`` node sends its message to
        the ``reusable-in`` named by its ``target``, and each ``reusable-out`` that flow
        reaches sends on to what output ``position`` of every ``reusable`` node calling that
        flow is wired to (its own wires are those outputs, not edges of its own: see
        :meth:`_step`). The flow runs in place of the node, like a subflow."""
        entries: dict[str, list[str]] = {}
        for node in self.flows:
            if node["type"] == "reusable-in" and _as_str(node.get("name")).strip():
                entries.setdefault(_as_str(node.get("name")).strip().lower(), []).append(
                    node["id"])
        callers = [n for n in self.flows if n["type"] == "reusable"
                   and _as_str(n.get("target")).strip().lower() in entries]
        if not callers:
            return {}
        by_id = {n["id"]: n for n in self.flows}
        extra: dict[str, list[str]] = {}
        for name, starts in entries.items():
            seen, queue = set(starts), list(starts)
            while queue:  # the nodes the flow reaches, to find its reusable-out nodes
                for port in by_id.get(queue.pop(), {}).get("wires") or ():
                    for target in port:
                        if isinstance(target, str) and target not in seen:
                            seen.add(target)
                            queue.append(target)
            outs = [by_id[i] for i in seen if by_id.get(i, {}).get("type") == "reusable-out"]
            for caller in callers:
                if _as_str(caller.get("target")).strip().lower() != name:
                    continue
                extra.setdefault(caller["id"], []).extend(starts)
                wires = caller.get("wires") or []
                for out in outs:
                    try:
                        index = int(str(out.get("position") or "1")) - 1
                    except ValueError:
                        continue
                    if 0 <= index < len(wires):
                        extra.setdefault(out["id"], []).extend(
                            t for t in wires[index] if isinstance(t, str))
        return extra

    def _port_senders(self, instance: dict[str, Any], index: int,
                      seen: frozenset[str]) -> list[str]:
        """The nodes whose messages leave output ``index`` of a subflow ``instance``: those
        its subflow wires to that port; the instance itself where the port is wired from
        the subflow's input (its message passes straight through); and where it is wired
        from an instance of another subflow inside, what leaves that one's port."""
        sub_id = instance["type"][8:]
        ports = self.container[sub_id].get("out") or []
        senders: list[str] = []
        for wire in _port_wires(ports[index:index + 1]):
            inner = self.by_id.get(wire["id"])
            if wire["id"] == sub_id:
                senders.append(instance["id"])
            elif inner is not None and inner["type"].startswith("subflow:") \
                    and self.container.get(inner["type"][8:], {}).get("type") == "subflow" \
                    and inner["id"] not in seen:
                senders += self._port_senders(inner, _port(wire.get("port")) or 0,
                                              seen | {inner["id"]})
            else:
                senders.append(wire["id"])
        return senders

    def _uninstantiated_subflows(self) -> frozenset[str]:
        """Subflows no tab runs: no instance of them sits on a tab or inside a subflow that
        one runs (a library export of subflows, a helper left over). Node-RED runs a
        subflow's nodes only as part of an instance, so nothing passes through these."""
        subflows = {cid for cid, c in self.container.items() if c["type"] == "subflow"}
        running = {"tab"}  # an instance on a tab, exported or not (a selection of nodes)
        placed: dict[str, set[str]] = {}  # subflow id -> where its instances sit
        for node in self.flows:
            ntype = node["type"]
            if ntype.startswith("subflow:") and ntype[8:] in subflows:
                z = _as_str(node.get("z"))
                placed.setdefault(ntype[8:], set()).add(z if z in subflows else "tab")
        grown = True
        while grown:
            grown = False
            for sub, where in placed.items():
                if sub not in running and where & running:
                    running.add(sub)
                    grown = True
        return frozenset(subflows - running)

    def _link_call_returns(self) -> tuple[dict[str, list[str]], set[str], list[Call]]:
        """A ``link call`` gets its answer from a ``link out`` in return mode on the called
        flow's tab: an edge from each such return to what the link call is wired to; the
        link calls that have such an answer; and each link call as a :class:`Call` (Node-RED
        puts the caller on the message, so a return answers only the call it came from)."""
        returns: dict[str, list[str]] = {}
        for node in self.flows:
            if node["type"] == "link out" and node.get("mode") == "return":
                returns.setdefault(_as_str(node.get("z")), []).append(node["id"])
        extra: dict[str, list[str]] = {}
        answered: set[str] = set()
        calls: list[Call] = []
        for node in self.flows:
            if node["type"] != "link call":
                continue
            targets = [t for port in node.get("wires") or () for t in port]
            links = [t for t in node.get("links") or () if isinstance(t, str)] \
                if isinstance(node.get("links"), list) else []
            back: list[tuple[str, str]] = []
            for link_in in links:
                called = self.by_id.get(link_in)
                for ret in returns.get(_as_str((called or {}).get("z")), ()):
                    extra.setdefault(ret, []).extend(targets)
                    back.extend((ret, t) for t in targets)
                    answered.add(node["id"])
            if links:
                calls.append(Call(node["id"], tuple(dict.fromkeys(links)),
                                  tuple(dict.fromkeys(back))))
        return extra, answered, calls

    def _broken_links(self, steps: list[Step]) -> tuple[BrokenLink, ...]:
        """Wires, links and subflow instances that name a node id the export lacks."""
        out: list[BrokenLink] = []
        for step in steps:
            if step.type.startswith("subflow:") and step.type[8:] not in self.container:
                out.append(BrokenLink(step.workflow_id, step.id, step.type[8:], "target",
                                      "subflow"))
            links = step.params.get("links") if step.type in ("link out", "link call") else ()
            linked = {t for t in links if isinstance(t, str)} if isinstance(links, list) else set()
            for target in step.outbound:
                if target not in self.by_id:
                    out.append(BrokenLink(step.workflow_id, step.id, target, "target",
                                          "link" if target in linked else "wire"))
        return tuple(out)

    def _own_package(self) -> tuple[Module | None, dict[str, str]]:
        """The node package whose own flows these are (``$.package``, read from the
        package.json above a flows file): its types are attributed to it, unless ``GET /nodes``
        named their module; and a note says so, with the node files whose types are unknown.

        Also the package's: the node of its test harness in its test flows, and a type its
        node files no longer register (examples outlive renames: ``amazon sqs`` became ``AWS
        SQS``) when the node uses one of the package's own config nodes."""
        package = self.data.get("package")
        if not isinstance(package, dict):
            return None, {}
        name, version = package["name"], _as_str(package.get("version"))
        types = package.get("types") or []
        for ntype in types:
            self.module_of_type.setdefault(ntype, (name, version))
        shown = f"{name}@{version}" if version else name
        manifest = _as_str(package.get("manifest")) or "package.json"
        notes = {"own package": f"{shown} ({manifest}): the flows are this node package's own; "
                                f"its {len(types)} node type(s) are the app under review, not "
                                f"a third-party module"}
        unread = [u for u in package.get("unread") or () if isinstance(u, str)]
        if unread:
            notes["own package node files"] = (
                f"types not read from {len(unread)} node file(s), asked about like any "
                f"module's: {'; '.join(unread[:5])}" + (" …" if len(unread) > 5 else ""))
        harness = [t for t in package.get("harness") or () if t not in self.module_of_type]
        for ntype in harness:
            self.module_of_type[ntype] = (name, version)
        if harness:
            notes["own package test harness"] = (
                f"{', '.join(harness)}: the node of the test harness the package's "
                "devDependencies hold, its own test tooling")
        renamed = self._users_of_own_config(set(types))
        for ntype in renamed:
            self.module_of_type[ntype] = (name, version)
        if renamed:
            notes["own package renamed types"] = (
                f"{', '.join(renamed[:5])}{' …' if len(renamed) > 5 else ''}: not registered "
                "by the package's node files, but set to use one of its config nodes: taken "
                "as types it registered before (the flows would show them as unknown nodes)")
        return Module(name, version), notes

    def _users_of_own_config(self, own_types: set[str]) -> list[str]:
        """Types of no known module whose nodes refer, by a top-level setting, to a config
        node of one of ``own_types``."""
        own_configs = {n["id"] for n in self.flows if n["type"] in own_types
                       and "wires" not in n and "x" not in n}
        if not own_configs:
            return []
        return sorted({n["type"] for n in self.flows
                       if n["type"] not in self.module_of_type and n["type"] not in CORE_TYPES
                       and n["type"] not in CONTAINER_TYPES
                       and not n["type"].startswith("subflow:")
                       and any(isinstance(v, str) and v in own_configs
                               for k, v in n.items() if k not in ("id", "z", "g"))})

    def _attribute_types(self) -> dict[str, str]:
        """Module of each type ``GET /nodes`` did not name: a widely used module's known type
        (only a module the export's ``global-config`` lists, when it has one), then the one
        listed module left when exactly one is. Returns the listed modules (name → version),
        which join the App's modules: the export names them, without their types."""
        listed: dict[str, str] = {}
        for node in self.flows:
            if node["type"] == "global-config" and isinstance(node.get("modules"), dict):
                listed.update({str(k): _as_str(v) for k, v in node["modules"].items()})
        open_types = sorted({n["type"] for n in self.flows
                             if n["type"] not in self.module_of_type
                             and n["type"] not in CORE_TYPES
                             and n["type"] not in CONTAINER_TYPES
                             and not n["type"].startswith("subflow:")})
        unplaced: list[str] = []
        for ntype in open_types:
            module = MODULE_OF_KNOWN_TYPE.get(ntype)
            if module is not None and (not listed or module in listed):
                self.module_of_type[ntype] = (module, listed.get(module, ""))
            else:
                unplaced.append(ntype)
        placed = {module for module, _ in self.module_of_type.values()}
        left = [m for m in listed if m not in placed and m != CORE_PACKAGE]
        if unplaced and len(left) == 1:
            for ntype in unplaced:
                self.module_of_type[ntype] = (left[0], listed[left[0]])
        return listed

    def _package_of(self, ntype: str) -> tuple[str, str]:
        if ntype in self.module_of_type:
            return self.module_of_type[ntype]
        if ntype in CORE_TYPES or ntype.startswith("subflow:"):
            return CORE_PACKAGE, ""
        return "", ""

    def _connectors(self, steps: list[Step]) -> tuple[Connector, ...]:
        used: dict[str, list[str]] = {}
        for step in steps:
            key = "subflow" if step.type.startswith("subflow:") else step.type
            used.setdefault(key, []).append(step.id)
        out = []
        for ntype in sorted(used):
            package, version = self._package_of("subflow:" if ntype == "subflow" else ntype)
            out.append(Connector(type=ntype, package=package or "(unknown module)",
                                 version=version, builtin=package == CORE_PACKAGE,
                                 used_by=tuple(used[ntype])))
        return tuple(out)

    # -- entry points and destinations -------------------------------------------------------
    @staticmethod
    def _http_node_auth(settings: Mapping[str, Setting]) -> str | None:
        setting = settings.get("httpNodeAuth")
        if setting is None:
            return None  # the export does not say: checks treat this as unproven
        return "basic" if setting.value == "SET" else "none"

    def _entry_points(self, step: Step, by_step: Mapping[str, Step], http_auth: str | None
                      ) -> Iterable[EntryPoint]:
        p = step.params
        active = not step.disabled
        if step.type == "http in":
            method = _as_str(p.get("method")) or "get"
            guard = route_guard(step, by_step)  # an authentication node in front of it
            yield EntryPoint(step.id, "http", _as_str(p.get("url")),
                             ("ALL",) if method == "all" else (method.upper(),),
                             guard[1] if guard else http_auth, active,
                             *entry_effect([step], by_step),
                             authenticated_by=guard[0].id if guard else "")
        elif step.type == "websocket-listener":
            users = [s for s in by_step.values()
                     if step.id in s.config_refs and not s.disabled]
            # httpNodeAuth guards http-in routes only; websocket upgrades are checked by
            # webSocketNodeVerifyClient, which no API reports: unproven, never assumed.
            yield EntryPoint(step.id, "websocket", _as_str(p.get("path")), (), None,
                             bool(users), *entry_effect(
                                 [s for s in users if s.type == "websocket in"], by_step))
        elif step.type == "tcp in" and _as_str(p.get("server")) == "server":
            yield EntryPoint(step.id, "tcp", _as_str(p.get("port")), (), "none", active,
                             *entry_effect([step], by_step))
        elif step.type == "udp in":
            yield EntryPoint(step.id, "udp", _as_str(p.get("port")), (), "none", active,
                             *entry_effect([step], by_step))
        elif step.type in CHAT_BOTS:
            yield from self._chat_bot(step, by_step)
        elif step.type in SERVED_PAGES:
            yield from _served_page(step, http_auth)
        elif step.type == "OpcUa-Server":
            yield from _opcua_server(step)
        elif step.type == "mqtt in":
            yield from public_broker_subscription(step, by_step)
        else:
            yield from community_entry_points(step, by_step)

    @staticmethod
    def _chat_bot(step: Step, by_step: Mapping[str, Step]) -> Iterable[EntryPoint]:
        """A bot config node that receiving nodes use: anyone on Telegram can message it
        unless it names the users or chats it answers."""
        allow_fields, receivers = CHAT_BOTS[step.type]
        users = [s for s in by_step.values() if step.id in s.config_refs and s.type in receivers]
        if not users:
            return  # a bot that only sends takes nothing in
        allowed = any(_as_str(step.params.get(f)).strip() for f in allow_fields)
        name = _as_str(step.params.get("botname")) or step.name
        yield EntryPoint(step.id, "chat", f"telegram bot {name}".strip(), (),
                         "allowlist" if allowed else "none",
                         any(not s.disabled for s in users),
                         *entry_effect([s for s in users if not s.disabled], by_step))

    def _tls_verify(self, tls_id: str, by_step: Mapping[str, Step]) -> bool:
        tls = by_step.get(tls_id)
        if tls is None:
            return True
        return tls.params.get("verifyservercert", True) not in (False, "false")

    def _destinations(self, step: Step, by_step: Mapping[str, Step]) -> Iterable[Destination]:
        p = step.params
        t = step.type
        if t == "http request":
            url = _as_str(p.get("url")).strip()
            if not url or url.startswith("{{") or "://{{" in url:
                tls_id = _as_str(p.get("tls"))
                yield Destination(step.id, "https" if url.startswith("https") else "http",
                                  strip_userinfo(url), dynamic=True,
                                  verify_cert=self._tls_verify(tls_id, by_step) if tls_id
                                  else None)
                return
            scheme_unknown = _scheme_from_environment(url)
            if "://" not in url:  # Node-RED prepends http:// to scheme-less URLs
                url = "http://" + url
            scheme, host, port, _ = split_url(url)
            tls_id = _as_str(p.get("tls"))
            yield Destination(step.id, scheme or "http", strip_userinfo(url), host, port,
                              tls=None if scheme_unknown else scheme == "https",
                              verify_cert=self._tls_verify(tls_id, by_step) if tls_id else True,
                              dynamic="{{" in host)
        elif t == "mqtt-broker":
            broker = _as_str(p.get("broker")).strip()
            if "://" in broker:
                scheme, host, port, _ = split_url(broker)
                tls = scheme in ("mqtts", "wss") or bool(p.get("usetls"))
            else:
                host, port, tls = _host_name(broker), None, bool(p.get("usetls"))
            port = _port(p.get("port")) or port
            yield Destination(step.id, "mqtts" if tls else "mqtt", strip_userinfo(broker), host,
                              port, tls=tls, verify_cert=self._tls_verify(_as_str(p.get("tls")),
                                                                          by_step))
        elif t == "websocket-client":
            url = _as_str(p.get("path"))
            scheme, host, port, _ = split_url(url)
            yield Destination(step.id, scheme or "ws", strip_userinfo(url), host, port,
                              tls=scheme == "wss",
                              verify_cert=self._tls_verify(_as_str(p.get("tls")), by_step))
        elif t in ("tcp request", "tcp out") and (t == "tcp request"
                                                  or _as_str(p.get("beserver")) == "client"):
            host = _host_name(_as_str(p.get("server") or p.get("host")))
            tls_id = _as_str(p.get("tls"))
            yield Destination(step.id, "tcp", host, host, _port(p.get("port")),
                              tls=bool(tls_id), verify_cert=self._tls_verify(tls_id, by_step),
                              dynamic=not host)
        elif t == "udp out":
            host = _host_name(_as_str(p.get("addr")))
            yield Destination(step.id, "udp", host, host, _port(p.get("port")), tls=False,
                              dynamic=not host)
        elif t == "http proxy":
            url = _as_str(p.get("url"))
            scheme, host, port, _ = split_url(url)
            yield Destination(step.id, scheme or "http", strip_userinfo(url), host, port,
                              tls=scheme == "https")
        elif t in ("ftp", "ftp-config") and (p.get("host") or p.get("server")):
            host = _host_name(_as_str(p.get("host") or p.get("server")))
            secure = p.get("secure") in (True, "true", "explicit", "implicit")
            yield Destination(step.id, "ftps" if secure else "ftp", host, host,
                              _port(p.get("port")), tls=bool(secure))
        elif t == "server" and "rejectUnauthorizedCerts" in p:
            # Home Assistant (node-red-contrib-home-assistant-websocket): the host sits in
            # the credentials, which exports leave out
            verify = p.get("rejectUnauthorizedCerts") not in (False, "false")
            yield Destination(step.id, "wss", "", verify_cert=verify)
        elif t in ("e-mail", "email") and p.get("server"):
            host = _host_name(_as_str(p.get("server")))
            secure = p.get("secure") in (True, "true")
            yield Destination(step.id, "smtp", host, host, _port(p.get("port")),
                              tls=secure or None)
        elif t == "OpcUa-Endpoint":
            yield from _opcua_destinations(step)
        elif t in DATABASE_CONFIGS or t in PROTOCOL_CONFIGS:
            if t != "modbus-client" or _as_str(p.get("clienttype") or "tcp") == "tcp":
                yield from _database_destinations(step)  # (a serial Modbus line is no host)
        elif t in ("ui_template", "ui-template"):
            yield from _embedded_destinations(step)
        elif t == "function":
            yield from _code_destinations(step)
        elif step.is_config:
            yield from _vendor_config_urls(step, by_step)

    def _stores(self, step: Step, by_step: Mapping[str, Step],
                inbound: Mapping[str, list[Step]]) -> Iterable[DataStore]:
        p = step.params
        if step.type in ("file", "file in"):
            yield DataStore(step.id, "file", _file_location(p),
                            "write" if step.type == "file" else "read")
        elif step.type in SQL_NODES or step.type in INFLUX_QUERY \
                or step.type in ("sqlite", "sqlitedb"):
            yield from _database_use(step, by_step, inbound)
        elif step.type == "exec":  # the files on the host its own command writes and reads
            command = _as_str(p.get("command"))
            yield from (DataStore(step.id, "file", f, "write") for f in files_written(command))
            yield from (DataStore(step.id, "file", f, "read") for f in files_read(command))
        elif step.type == REDIS_COMMAND and redis_read(p):
            config = by_step.get(_as_str(p.get("server")))
            yield DataStore(step.id, "database", redis_location(
                p, {**config.params, "name": config.name} if config else {}), "read")

    # -- instance facts ------------------------------------------------------------------------
    def _modules(self) -> tuple[Module, ...]:
        modules: dict[str, Module] = {}
        for node_set in self.data.get("nodes") or []:
            if not isinstance(node_set, dict):
                continue
            module = _as_str(node_set.get("module"))
            version = _as_str(node_set.get("version"))
            if not module:
                continue
            for ntype in node_set.get("types") or []:
                if isinstance(ntype, str):
                    self.module_of_type[ntype] = (module, version)
            modules.setdefault(module, Module(module, version, builtin=module == CORE_PACKAGE))
        return tuple(sorted(modules.values(), key=lambda m: m.name))

    def _settings(self) -> dict[str, Setting]:
        out: dict[str, Setting] = {}
        settings = self.data.get("settings")
        if isinstance(settings, dict):
            for key, value in settings.items():
                out[key] = Setting(key, value, SETTINGS_SOURCE)
            palette = ((settings.get("externalModules") or {}).get("palette") or {})
            for key in ("allowInstall", "allowUpload"):
                if key in palette:
                    out[f"palette.{key}"] = Setting(f"palette.{key}", palette[key],
                                                    SETTINGS_SOURCE)
                elif "version" in settings:  # a live GET /settings omits the default: allowed
                    out[f"palette.{key}"] = Setting(f"palette.{key}", True,
                                                    f"{SETTINGS_SOURCE} (absent: default)")
            out["user"] = Setting("user", "SET" if "user" in settings else "UNSET",
                                  SETTINGS_SOURCE)
        diagnostics = self.data.get("diagnostics")
        if isinstance(diagnostics, dict):
            runtime = diagnostics.get("runtime") or {}
            for key, value in (runtime.get("settings") or {}).items():
                out[key] = Setting(key, value, DIAGNOSTICS_SOURCE)
            nodejs = diagnostics.get("nodejs") or {}
            if "version" in nodejs:
                out["nodejs.version"] = Setting("nodejs.version", nodejs["version"],
                                                "GET /diagnostics nodejs")
        auth = self.data.get("auth")  # GET /auth/login: {} when the admin API is open
        if isinstance(auth, dict) and isinstance(auth.get("adminAuth"), bool) \
                and "adminAuth" not in out:
            out["adminAuth"] = Setting("adminAuth", "SET" if auth["adminAuth"] else "UNSET",
                                       "GET /auth/login")
        return out


# A URL that starts with an environment reference (``${API_BASE_URL}/admin``): Node-RED puts
# the variable's value there when the flow starts, before it adds http:// to a URL without a
# scheme, so the value holds the scheme as well as the host.
_ENV_BASE = re.compile(r"\$\{[A-Za-z_][\w.]*\}")


def _scheme_from_environment(url: str) -> bool:
    """Is the scheme of ``url`` set by the deployment's environment (the URL starts with a
    ``${VAR}``, no scheme written before it)? Then the export does not show cleartext."""
    return _ENV_BASE.match(url) is not None


def _file_location(p: Mapping[str, Any]) -> str:
    """The file a file node opens, as its ``filename`` and ``filenameType`` give it: a path,
    ``${VAR}`` for an environment variable, or ``{{msg.filename}}`` (a message property,
    context key or expression: named at run time) for the others."""
    name, kind = _as_str(p.get("filename")), _as_str(p.get("filenameType")) or "str"
    if kind == "str":
        return name
    if kind == "env":
        return f"${{{name}}}"
    return f"{{{{{kind}.{name}}}}}" if kind in ("msg", "flow", "global") else f"{{{{{name}}}}}"


# A whole field value that is a URL: how a vendor's config node names its server
# (node-red-contrib-emoncms ``server: http://emoncms.org/``).
_URL_VALUE = re.compile(r"(?:https?|wss?|mqtts?|amqps?)://[^\s'\"<>]+", re.I)
_TLS_SCHEMES = frozenset({"https", "wss", "mqtts", "amqps"})


def _vendor_config_urls(config: Step, by_step: Mapping[str, Step]) -> Iterable[Destination]:
    """The servers a config node this adapter has no rule for names in URL fields, when an
    enabled node uses it: what its users send goes there, in cleartext over http://."""
    if not any(config.id in s.config_refs and not s.disabled for s in by_step.values()):
        return
    for key, value in config.params.items():
        if key in ("id", "type", "name", "info") or not isinstance(value, str):
            continue
        url = value.strip()
        if not _URL_VALUE.fullmatch(url):
            continue
        scheme, host, port, _ = split_url(url)
        yield Destination(config.id, scheme.lower(), strip_userinfo(url), host, port,
                          tls=scheme.lower() in _TLS_SCHEMES,
                          dynamic="{{" in url or "${" in url)


# config keys that name a database node's connection (node-red-node-mysql, -contrib-postgresql,
# -contrib-postgres, -contrib-mssql(-plus), -contrib-oracledb, -contrib-influxdb)
DATABASE_CONFIG_KEYS = ("mydb", "postgresDB", "postgreSQLConfig", "mssqlCN", "connection",
                        "server", "influxdb")
_SQL_READ = re.compile(r"\s*(?:select|with|show|describe|explain)\b", re.I)
_SQL_TABLE = re.compile(r"\b(?:from|join|into|update|table)\s+([A-Za-z_][\w.]*)", re.I)


def _database_use(step: Step, by_step: Mapping[str, Step],
                  inbound: Mapping[str, list[Step]]) -> Iterable[DataStore]:
    """A database node's use of its database, when its own fixed query, or the SQL text the
    steps before it write into the message property it runs (a change node's ``msg.topic =
    "SELECT * FROM user"``, a function's template literal), names the tables: the location is
    the database and those tables, and a SELECT reads; SQL found before the node counts when
    its tables name what they hold (``user``, ``orders``: :func:`sensitivity_labels`). A
    query the message brings from elsewhere is left out: whether it reads rows (a download)
    or only updates them (an answer of affected-row counts) is decided by code this reader
    does not follow."""
    p = step.params
    query = _as_str(p.get("sql") if step.type in ("sqlite", "sqlitedb") else p.get("query"))
    inferred = False  # the SQL text is found before the node, not in its own settings
    if not query.strip() and step.type in SQL_NODES:
        query = _sql_set_before(step, SQL_NODES[step.type][1], inbound)
        inferred = bool(query)
    config = next((c for key in DATABASE_CONFIG_KEYS
                   if (c := by_step.get(_as_str(p.get(key)))) is not None), None)
    database = (_as_str(config.params.get("name") or config.params.get("db")
                        or config.params.get("database")) or config.name) if config else ""
    database = database or _as_str(p.get("mydb")) or "(connection not in the export)"
    tables = sorted({t.lower() for t in _SQL_TABLE.findall(query)}) \
        if query.strip() and "{{" not in query else []
    if inferred and not sensitivity_labels(*tables):
        return  # found by following the wires back: counted where its tables name what
        # they hold (users, members, orders), not for every lookup list a form reads
    if tables and not counts_only(query):
        yield DataStore(step.id, "database", f"{database} ({', '.join(tables)})",
                        "read" if _SQL_READ.match(query) else "write")


_AGGREGATE = re.compile(r"\s*(?:count|sum|avg|min|max)\s*\(", re.I)
_SELECT_LIST = re.compile(r"\s*select\s+(?:distinct\s+)?", re.I)
_FROM = re.compile(r"\s+from\b", re.I)


def counts_only(query: str) -> bool:
    """Does the SELECT answer only aggregates (``SELECT SUM(CASE …) AS active_count, COUNT(*)
    FROM device``)? Counts and totals of a table are no rows of it: nothing stored is read
    out, only how much there is."""
    start = _SELECT_LIST.match(query)
    if start is None:
        return False
    items, depth, item = [], 0, []
    for i in range(start.end(), len(query)):
        ch = query[i]
        if depth == 0 and ch in ",;":
            items.append("".join(item))
            item = []
            if ch == ";":
                break
            continue
        if depth == 0 and _FROM.match(query, i):
            break
        depth += (ch == "(") - (ch == ")")
        item.append(ch)
    items.append("".join(item))
    return all(_AGGREGATE.match(it) for it in items)


# Steps that start a message of their own (or bring a property from outside): the SQL text
# of a message property is not looked for before them.
_MESSAGE_STARTS = frozenset({"http in", "mqtt in", "websocket in", "tcp in", "udp in",
                             "link in", "catch", "status", "complete", "inject"})
_SQL_LOOKBACK = 8  # wires followed back from a database node for the SQL it is given
_STRING_LITERAL = r"""(?P<q>["'`])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)"""


def _sql_set_before(step: Step, prop: str, inbound: Mapping[str, list[Step]]) -> str:
    """The SQL text the nearest steps before ``step`` write into ``msg.<prop>`` as written
    text (a change rule's string, an inject's topic, a template's body, a function's string
    or template literal): one query, or "" when any way in sets it otherwise, sets it from
    the message, or is not shown. Several queries are joined by ``;`` when all of them read;
    a mix of reads and writes is not one use and gives ""."""
    found: list[str] = []
    seen = {step.id}
    frontier = list(inbound.get(step.id, ()))
    for _ in range(_SQL_LOOKBACK):
        if not frontier:
            break
        later: list[Step] = []
        for prev in frontier:
            if prev.id in seen:
                continue
            seen.add(prev.id)
            text = _written_property(prev, prop)
            if text is None:  # sets it otherwise, or starts the message: give up
                return ""
            if text:
                found.append(text)
            elif prev.type in _MESSAGE_STARTS:
                return ""
            else:
                later.extend(inbound.get(prev.id, ()))
        frontier = later
    if frontier or not found:
        return ""  # a way in not followed to its end
    reads = [bool(_SQL_READ.match(q)) for q in found]
    return "; ".join(found) if all(reads) or len(found) == 1 else ""


def _written_property(step: Step, prop: str) -> str | None:
    """What ``step`` writes into ``msg.<prop>``: its written text, "" when it leaves the
    property alone, None when it sets it some other way (from the message, an expression,
    code this reader does not follow)."""
    p = step.params
    if step.type == "change":
        rules = [r for r in p.get("rules") or [] if isinstance(r, dict)
                 and r.get("p") == prop and _as_str(r.get("pt") or "msg") == "msg"]
        if not rules:
            return ""
        last = rules[-1]
        return _as_str(last.get("to")) if last.get("t") == "set" \
            and last.get("tot") in ("str", "") else None
    if step.type == "inject":
        if prop != "topic":
            return None
        return _as_str(p.get("topic")).strip() or None
    if step.type == "template":
        if _as_str(p.get("field") or "payload") != prop \
                or _as_str(p.get("fieldType") or "msg") != "msg":
            return ""
        return _as_str(p.get("template")) if _as_str(p.get("output")) != "json" else None
    if step.type == "function":
        code = _as_str(p.get("func"))
        if not re.search(rf"\bmsg\s*\.\s*{re.escape(prop)}\b", code):
            return ""
        assigned = re.findall(rf"\bmsg\s*\.\s*{re.escape(prop)}\s*=\s*{_STRING_LITERAL}"
                              r"\s*[;\n]", code, re.S)
        every = re.findall(rf"\bmsg\s*\.\s*{re.escape(prop)}\s*=[^=]", code)
        if not assigned or len(assigned) != len(every):
            return None  # also set some other way (or only read)
        texts = [text for _q, text in assigned]
        return "; ".join(texts)
    return ""


def _served_page(step: Step, http_auth: str | None) -> Iterable[EntryPoint]:
    """A page the node serves on Node-RED's HTTP server (a map of live positions): a route
    like an http-in one, guarded by httpNodeAuth alone."""
    key, default = SERVED_PAGES[step.type]
    path = _as_str(step.params.get(key)).strip() or default
    yield EntryPoint(step.id, "http", path, ("GET",), http_auth, not step.disabled)


def _opcua_server(step: Step) -> Iterable[EntryPoint]:
    """node-red-contrib-opcua's server: a TCP listener whose ``allowAnonymous`` (on unless
    set false) opens sessions without a user; otherwise its users log in."""
    anonymous = step.params.get("allowAnonymous", True) not in (False, "false")
    port = _as_str(step.params.get("port")).strip() or "53880"
    endpoint = _as_str(step.params.get("endpoint")).strip()
    yield EntryPoint(step.id, "tcp", f"opc.tcp :{port}/{endpoint}".rstrip("/"), (),
                     "none" if anonymous else "basic", not step.disabled)


# node-red-contrib-opcua's endpoint config: ``secpol`` (None, Basic256Sha256, …) and ``secmode``
# (None, Sign, SignAndEncrypt; NONE/SIGN/SIGNANDENCRYPT before node-opcua 2). Only
# SignAndEncrypt under a policy other than None keeps what travels secret.
OPCUA_ENCRYPTED_MODES = frozenset({"signandencrypt"})


def _opcua_destinations(step: Step) -> Iterable[Destination]:
    """The OPC UA server an endpoint config connects to, encrypted or not."""
    p = step.params
    url = _as_str(p.get("endpoint")).strip()
    if not url:
        return
    _scheme, host, port, _ = split_url(url)
    policy = _as_str(p.get("secpol") or "None")
    mode = _as_str(p.get("secmode") or "None").lower()
    encrypted = policy.lower() != "none" and mode in OPCUA_ENCRYPTED_MODES
    yield Destination(step.id, "opcua", strip_userinfo(url), host, port, tls=encrypted,
                      dynamic="{{" in url or url.startswith("msg."))


def dashboard_entry_points(steps: list[Step], http_auth: str | None) -> Iterable[EntryPoint]:
    """A dashboard whose controls reach a node that acts (the PLC's start and stop buttons
    writing Modbus coils) is a way in for anyone who can open it: one entry per dashboard, on
    its base node (else its first page), guarded by httpNodeAuth like an ``http in`` route.
    So is one without such a control whose widgets show health readings
    (:func:`health_widget`): it discloses them to whoever opens it (effect ``serves``)."""
    by_id = {s.id: s for s in steps}
    for inputs, base_type, page_type, default_path in DASHBOARDS.values():
        controls = [s for s in steps if s.type in inputs and not s.disabled and s.outbound]
        acting = _reaches_an_action(controls, by_id) if controls else None
        if acting is None:
            shown = health_widget(steps, by_id, base_type, page_type)
            if shown is not None:
                widget, named = shown
                anchor, path = _dashboard_anchor(steps, base_type, page_type, widget)
                yield EntryPoint(anchor.id, "dashboard", path or default_path, (), http_auth,
                                 True, "serves", f"widget {widget.name or widget.id!r} "
                                 f"({widget.type}) shows health readings ({named!r}) to "
                                 "whoever opens it")
            continue
        control, step = acting
        anchor, path = _dashboard_anchor(steps, base_type, page_type, controls[0])
        yield EntryPoint(anchor.id, "dashboard", path or default_path, (), http_auth, True,
                         "acts", f"control {control.name or control.id!r} ({control.type}) "
                         f"reaches node {step.name or step.id!r} ({step.type}), which may "
                         "change, send or run something")


# Words of a health reading, in what a dashboard's widgets, groups and pages are named (a
# heart rate gauge, a blood pressure text, an infusion pump's chart, a patient's vital signs,
# the calories of a fitness tracker): what such a widget shows is special-category personal
# data. A heartbeat (a liveness signal) or a pump of a plant is not one.
HEALTH_WORDS = re.compile(
    r"heart[\s_-]*rate|\bbpm\b|\bspo2\b|blood|vital[\s_-]*signs?\b|\bvitals\b|patient|"
    r"\bpulse[\s_-]*(?:rate|ox)|\becg\b|\bekg\b|glucose|insulin|infusi[oó]n|oximet|"
    r"calorie|\bfitness\b|medical|medication|respirat", re.I)


def health_widget(steps: list[Step], by_id: Mapping[str, Step], base_type: str,
                   page_type: str) -> tuple[Step, str] | None:
    """(the first display widget of one dashboard generation that something feeds and whose
    name or label, or its group's or page's name, carries a health word
    (:data:`HEALTH_WORDS`), that name); None when none does."""
    group_type = page_type.replace("tab", "group").replace("page", "group")
    fed = {t for s in steps if not s.disabled for t in s.outbound}
    for step in steps:
        if step.type not in DISPLAY_TYPES or step.disabled or step.id not in fed \
                or step.type.startswith("ui_") != base_type.startswith("ui_"):
            continue  # (ui_gauge is node-red-dashboard's, ui-gauge FlowFuse's: a widget
            # whose group the export lacks is still of one generation only)
        group = by_id.get(_as_str(step.params.get("group")))
        if group is not None and group.type != group_type:
            continue  # a widget of the other dashboard generation
        page = by_id.get(_as_str(group.params.get("tab") or group.params.get("page"))) \
            if group is not None else None
        texts = [step.name, _as_str(step.params.get("label")),
                 _as_str(step.params.get("title"))]
        texts += [s.name for s in (group, page) if s is not None]
        named = next((t for t in texts if t and HEALTH_WORDS.search(t)), "")
        if named:
            return step, named
    return None


def dashboard_sources(steps: list[Step], http_auth: str | None) -> dict[str, DashboardSource]:
    """Widget type -> the dashboard its visitors type into (for the data flow: what a form,
    a text box, an editable table or a page template's script sends comes from there), for
    each dashboard
    generation with such a widget; its anchor is the step :func:`dashboard_entry_points`
    puts the dashboard's entry on."""
    out: dict[str, DashboardSource] = {}
    page_widgets = {"node-red-dashboard": ("ui_template", "ui_table"),
                    "@flowfuse/node-red-dashboard": ("ui-template", "ui-table")}
    for module, (inputs, base_type, page_type, default_path) in DASHBOARDS.items():
        typed = {*(t for t in TYPED_WIDGETS if t in inputs), *page_widgets[module]}
        first = next((s for s in steps if s.type in typed), None)
        if first is None:
            continue
        anchor, path = _dashboard_anchor(steps, base_type, page_type, first)
        source = DashboardSource(anchor.id, path or default_path,
                                 http_auth not in (None, "none"))  # None: the export is silent
        out.update(dict.fromkeys(typed, source))
    return out


def _dashboard_anchor(steps: list[Step], base_type: str, page_type: str,
                      fallback: Step) -> tuple[Step, str]:
    """(the step that stands for a dashboard: its base node, else its first page, else
    ``fallback``; the path its base node sets, "" for the default)."""
    base = next((s for s in steps if s.type == base_type), None)
    pages = sorted((s for s in steps if s.type == page_type),
                   key=lambda s: (_order(s.params.get("order")), s.id))
    anchor = base or (pages[0] if pages else fallback)
    return anchor, _as_str(base.params.get("path")) if base else ""


def _order(value: Any) -> float:
    """A page's position in the dashboard menu (``order``), unknown ones last."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")


def _reaches_an_action(controls: list[Step], by_id: Mapping[str, Step]
                       ) -> tuple[Step, Step] | None:
    """(a control, the first enabled node outside :data:`PASSIVE_TYPES` its messages reach),
    or None when no control's message reaches one (the evidence names them)."""
    seen: set[str] = set()
    queue = [(c, t) for c in controls for t in c.outbound]
    while queue:
        control, sid = queue.pop()
        step = by_id.get(sid)
        if sid in seen or step is None or step.disabled:
            continue
        if step.type not in PASSIVE_TYPES:
            return control, step
        seen.add(sid)
        queue.extend((control, t) for t in step.outbound)
    return None


# Database connection config nodes: type → (protocol, host key, port key, the keys whose truthy
# value turns TLS on). A URI (mongodb3's ``uri``) is read instead when the type has one.
DATABASE_CONFIGS: Mapping[str, tuple[str, str, str, tuple[str, ...]]] = {
    "MySQLdatabase": ("mysql", "host", "port", ("tls", "ssl")),  # node-red-node-mysql
    "postgreSQLConfig": ("postgres", "host", "port", ("ssl",)),  # node-red-contrib-postgresql
    "mongodb": ("mongodb", "hostname", "port", ("ssl", "tls")),  # node-red-node-mongodb
    "mongodb3": ("mongodb", "uri", "", ()),  # node-red-contrib-mongodb3: a connection URI
}
# Config nodes of other plain-TCP protocols, in the same shape: industrial and broker links whose
# settings name a host and a TLS switch (Modbus TCP has none: no encryption, no login).
PROTOCOL_CONFIGS: Mapping[str, tuple[str, str, str, tuple[str, ...]]] = {
    "modbus-client": ("modbus", "tcpHost", "tcpPort", ()),  # node-red-contrib-modbus (tcp)
    "amqp-broker": ("amqp", "host", "port", ("tls",)),  # @meowwolf/node-red-contrib-amqp
    "amqp-server": ("amqp", "host", "port", ("usetls", "useTls")),  # node-red-contrib-amqp
}
_TLS_IN_URI = re.compile(r"[?&](?:ssl|tls)=true\b", re.I)


def _database_destinations(step: Step) -> Iterable[Destination]:
    """Where a database config node connects, and whether over TLS: a MongoDB URI is TLS with
    ``mongodb+srv://`` or ``?tls=true``; the others by their TLS setting. A host given as an
    environment variable or typed elsewhere (``hostFieldType``) is not shown: no destination,
    unless the TLS setting turns certificate checks off, which holds whatever the host."""
    protocol, host_key, port_key, tls_keys = (DATABASE_CONFIGS.get(step.type)
                                              or PROTOCOL_CONFIGS[step.type])
    p = step.params
    typed = [o for k in tls_keys if (o := _json_option(p, k)) is not None]
    unverified = any(o.get("rejectUnauthorized") is False for o in typed)
    value = _as_str(p.get(host_key)).strip()
    if _as_str(p.get(f"{host_key}FieldType") or "str") != "str" or not value \
            or "{{" in value or value.startswith("$"):
        if unverified:  # the server is not shown, the setting is
            yield Destination(step.id, protocol, "", tls=True, verify_cert=False, dynamic=True)
        return
    if typed:
        yield Destination(step.id, protocol, strip_userinfo(value), _host_name(value),
                          _port(p.get(port_key)) if port_key else None, tls=True,
                          verify_cert=not unverified)
        return
    if "://" in value:
        scheme, host, port, _ = split_url(value)
        tls = scheme.endswith("+srv") or _TLS_IN_URI.search(value) is not None
    else:
        host, port = _host_name(value), _port(p.get(port_key)) if port_key else None
        options = _as_str(p.get("connectOptions"))
        tls = any(p.get(k) in (True, "true") or (step.type in PROTOCOL_CONFIGS and _tls_ref(
            p.get(k))) for k in tls_keys) or bool(
            _TLS_IN_URI.search("?" + options)) or _as_str(p.get("topology")) == "dnscluster"
    yield Destination(step.id, protocol, strip_userinfo(value), host, port, tls=tls)


def _tls_ref(value: Any) -> bool:
    """A TLS setting that names a tls-config node (its id) rather than a switch: TLS on."""
    return isinstance(value, str) and value.strip() not in ("", "false", "0")


def _json_option(params: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """A connection option typed as JSON (node-red-contrib-postgresql's ``ssl`` with
    ``sslFieldType: json``, passed to the driver as its TLS options), as an object; None when
    it is not typed so or is no object. Any object turns TLS on."""
    if _as_str(params.get(f"{key}FieldType")) != "json":
        return None
    try:
        value = json.loads(_as_str(params.get(key)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# What a dashboard page loads by itself: src of an iframe, img, video, audio, source or script.
_EMBEDDED_SRC = re.compile(r"""(?i)<(?:iframe|img|video|audio|source|script)\b[^>]*?\bsrc\s*=\s*
                           ["']((?:https?|wss?)://[^"'\s{}]+)["']""", re.X)


def _embedded_destinations(step: Step) -> Iterable[Destination]:
    """Hosts a dashboard template makes every viewer's browser load from (a camera stream in
    an iframe): the page fetches them, in cleartext when the URL is plain http."""
    for url in dict.fromkeys(_EMBEDDED_SRC.findall(_as_str(step.params.get("format")))):
        scheme, host, port, _ = split_url(url)
        yield Destination(step.id, scheme, strip_userinfo(url), host, port,
                          tls=scheme in ("https", "wss"))
