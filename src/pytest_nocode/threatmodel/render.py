"""The threat model for people: Markdown with a Mermaid data-flow diagram, and Graphviz DOT.

Both diagrams are drawn from one :class:`Diagram`: trust boundaries as nested boxes
(Mermaid ``subgraph``, DOT ``cluster``), elements inside their innermost boundary, one arrow
per data flow. Mermaid refuses large diagrams (about 50,000 characters of text and 500 edges by
default), and people cannot read one long before that, so a diagram of more than
:data:`EDGE_BUDGET` arrows or 50,000 characters is summarised step by step, and the file says
how: steps are folded into their workflows, then external entities and stores into one
node per boundary and kind, then all but the busiest workflows (as many as fit) into one node,
then every workflow. The tables list every element and flow in full whatever the diagram
shows.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pytest_nocode.threatmodel.model import (
    BOUNDARY_KINDS,
    DataFlow,
    Element,
    Threat,
    ThreatModel,
)

MERMAID_MAX_CHARS = 50_000
MERMAID_MAX_EDGES = 500
# Well before Mermaid refuses, a diagram stops being readable (arrows and labels pile up on
# each other): above this many arrows it is summarised too.
READABLE_MAX_EDGES = 150
EDGE_BUDGET = min(MERMAID_MAX_EDGES, READABLE_MAX_EDGES)
SUMMARY_LEVELS = (
    "",  # steps with a process of their own drawn inside a box of their workflow
    "steps that run code, commands, queries or AI agents are drawn inside their workflows",
    "steps are drawn inside their workflows; external entities and data stores are drawn as "
    "one node per trust boundary and kind",
    "the {kept} workflows with the most flows across a trust boundary are drawn on their own, "
    "the other workflows as one node; external entities and data stores as one node per trust "
    "boundary and kind",
    "every workflow is drawn as one node, external entities and data stores as one node per "
    "trust boundary and kind",
)
KEEP_LEVEL = 3  # the level that keeps the busiest workflows on their own


@dataclass(frozen=True)
class Node:
    id: str  # a safe id: n1, n2, … in element order
    kind: str  # external_entity | process | data_store
    label: str
    boundary: str
    parent: str = ""  # the workflow node it is drawn inside (a step with its own process)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    crossing: bool
    cleartext: bool  # in cleartext off the app's host (the policy's zones beyond "host")


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    level: int  # index into SUMMARY_LEVELS
    kept: int = 0  # at KEEP_LEVEL: how many workflows are drawn on their own

    @property
    def note(self) -> str:
        """How the diagram was summarised, for people ("" when it was not)."""
        return SUMMARY_LEVELS[self.level].format(kept=self.kept)


def flow_label(flow: DataFlow) -> str:
    """An arrow's label: what moves, over what, how protected, carrying what."""
    parts = [flow.name]
    if flow.crosses:
        if flow.tls is True:
            parts.append("TLS")
        elif flow.tls is False:
            parts.append("no TLS")
        if flow.authentication == "none":
            parts.append("no auth")
        elif flow.authentication:
            parts.append(f"auth {flow.authentication}")
    carried = [c for c in flow.carries if c != "store data" or len(flow.carries) == 1]
    if carried and carried != [flow.name]:
        parts.append(", ".join(carried))
    return " · ".join(p for p in parts if p)


def _group_of(model: ThreatModel, level: int, keep: frozenset[str] = frozenset()
              ) -> Callable[[Element], tuple[str, str, str]]:
    """element → (group key, label, kind) at a summary level; ``keep``: the workflow
    processes drawn on their own at :data:`KEEP_LEVEL`."""
    counts: dict[tuple[str, str, str], int] = {}

    def key(e: Element) -> tuple[str, str, str]:
        if level >= 1 and e.parent:
            parent = model.element(e.parent)
            if parent is not None:
                e = parent
        if level >= 2 and e.kind != "process":
            return (f"{e.kind}:{e.role}:{e.boundary}", e.role, e.kind)
        if level >= KEEP_LEVEL and e.kind == "process" and e.id not in keep:
            return ("process:others", "other workflow" if keep else "workflow", e.kind)
        return (e.id, e.name, e.kind)

    for element in model.elements:
        k = key(element)
        counts[k] = counts.get(k, 0) + 1

    def group(e: Element) -> tuple[str, str, str]:
        gid, label, kind = key(e)
        if gid != e.id and not (e.parent and level >= 1 and gid == e.parent):
            n = counts[(gid, label, kind)]
            label = f"{n} {label}{'s' if n != 1 else ''}"
        return gid, label, kind

    return group


def diagram(model: ThreatModel, level: int = 0, keep: frozenset[str] = frozenset()
            ) -> Diagram:
    """The nodes and edges drawn at a summary level. Steps with a process of their own are
    drawn inside a box of their workflow rather than joined to it by an arrow."""
    group = _group_of(model, level, keep)
    ids: dict[str, str] = {}
    by_element: dict[str, str] = {}
    first: dict[str, tuple[Element, str, str]] = {}
    for element in model.elements:
        gid, label, kind = group(element)
        if gid not in ids:
            ids[gid] = f"n{len(ids) + 1}"
            first[gid] = (element, label, kind)
        by_element[element.id] = ids[gid]
    nodes = []
    for gid, (element, label, kind) in first.items():
        parent = by_element.get(element.parent, "") if gid == element.id else ""
        owner = model.element(element.parent) if element.parent else None
        boundary = owner.boundary if owner is not None and gid != element.id else \
            element.boundary
        nodes.append(Node(ids[gid], kind, label, boundary, parent))
    parent_of = {n.id: n.parent for n in nodes if n.parent}
    merged: dict[tuple[str, str], list[DataFlow]] = {}
    for flow in model.flows:
        source, target = by_element[flow.source], by_element[flow.target]
        if source != target and parent_of.get(target) != source:
            merged.setdefault((source, target), []).append(flow)
    edges = []
    for (source, target), flows in merged.items():
        labels = sorted({flow_label(f) for f in flows})
        label = labels[0] if len(labels) == 1 else f"{len(flows)} flows"
        edges.append(Edge(source, target, label, any(f.crosses for f in flows),
                          any(f.tls is False and "boundary:host" in f.crosses
                              for f in flows)))
    return Diagram(tuple(nodes), tuple(edges), level, len(keep) if level == KEEP_LEVEL else 0)


def busiest_workflows(model: ThreatModel) -> list[str]:
    """Workflow processes, most flows across a trust boundary first (then by id)."""
    count: dict[str, int] = {e.id: 0 for e in model.elements
                             if e.kind == "process" and not e.parent}
    for flow in model.flows:
        if flow.crosses:
            for end in (flow.source, flow.target):
                element = model.element(end)
                owner = element.parent if element is not None and element.parent else end
                if owner in count:
                    count[owner] += 1
    return sorted(count, key=lambda e: (-count[e], e))


def _placed(nodes: Iterable[Node]) -> dict[str, list[tuple[Node, list[Node]]]]:
    """boundary id → its top-level nodes, each with the step nodes drawn inside it."""
    nodes = list(nodes)
    children: dict[str, list[Node]] = {}
    for node in nodes:
        if node.parent:
            children.setdefault(node.parent, []).append(node)
    out: dict[str, list[tuple[Node, list[Node]]]] = {}
    for node in nodes:
        if not node.parent:
            out.setdefault(node.boundary, []).append((node, children.get(node.id, [])))
    return out


# -- Mermaid ------------------------------------------------------------------------------------
_MERMAID_ESCAPES = str.maketrans({ch: f"#{ord(ch)};" for ch in '#"<>|`[]{}()&;\\'})


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: quotes, brackets, pipes and '#' as entity
    codes, whitespace runs as one space."""
    return " ".join(text.split()).translate(_MERMAID_ESCAPES) or " "


_MERMAID_SHAPES = {"external_entity": ('["', '"]'), "process": ('(["', '"])'),
                   "data_store": ('[("', '")]')}


def fits(text: str, d: Diagram) -> bool:
    return len(text) <= MERMAID_MAX_CHARS and len(d.edges) <= EDGE_BUDGET


def drawn(model: ThreatModel) -> tuple[str, Diagram]:
    """The Mermaid text and the diagram at the first summary level Mermaid accepts; at
    :data:`KEEP_LEVEL` as many of the busiest workflows on their own as fit."""
    for level in range(KEEP_LEVEL):
        d = diagram(model, level)
        if len(d.edges) <= EDGE_BUDGET:
            text = _mermaid(d, model)
            if fits(text, d):
                return text, d
    ranked = busiest_workflows(model)
    low, high = 1, len(ranked) - 1  # keeping all would be level 2, keeping none level 4
    best: tuple[str, Diagram] | None = None
    while low <= high:  # the most workflows that fit: fewer kept, fewer edges
        mid = (low + high) // 2
        d = diagram(model, KEEP_LEVEL, frozenset(ranked[:mid]))
        text = _mermaid(d, model) if len(d.edges) <= EDGE_BUDGET else ""
        if text and fits(text, d):
            best, low = (text, d), mid + 1
        else:
            high = mid - 1
    if best is not None:
        return best
    d = diagram(model, len(SUMMARY_LEVELS) - 1)
    return _mermaid(d, model), d


def mermaid(model: ThreatModel) -> tuple[str, int]:
    """The Mermaid flowchart Mermaid accepts, and its summary level."""
    text, d = drawn(model)
    return text, d.level


def _mermaid(d: Diagram, model: ThreatModel) -> str:
    lines = ["flowchart TB"]
    boundaries = {b.kind: b.name for b in model.boundaries}
    placed = _placed(d.nodes)

    def shape(node: Node) -> str:
        start, end = _MERMAID_SHAPES[node.kind]
        return f"{node.id}{start}{mermaid_text(node.label)}{end}"

    depth = 0
    for kind in BOUNDARY_KINDS:
        depth += 1
        pad = "  " * depth
        lines.append(f'{pad}subgraph b_{kind}["{mermaid_text(boundaries.get(kind, kind))}"]')
        for node, inner in placed.get(f"boundary:{kind}", ()):
            if not inner:
                lines.append(f"{pad}  {shape(node)}")
                continue
            lines.append(f'{pad}  subgraph w_{node.id}["{mermaid_text(node.label)}"]')
            lines.extend(f"{pad}    {shape(n)}" for n in (node, *inner))
            lines.append(f"{pad}  end")
    for level in range(depth, 0, -1):
        lines.append("  " * level + "end")
    cleartext = []
    for i, edge in enumerate(d.edges):
        lines.append(f'  {edge.source} -->|"{mermaid_text(edge.label)}"| {edge.target}')
        if edge.cleartext:
            cleartext.append(str(i))
    if cleartext:
        lines.append(f"  linkStyle {','.join(cleartext)} stroke:#d33,stroke-width:2px")
    return "\n".join(lines) + "\n"


# -- DOT ------------------------------------------------------------------------------------------
def dot_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("\\", "\\\\").replace('"', '\\"')


_DOT_SHAPES = {"external_entity": "box", "process": "ellipse", "data_store": "cylinder"}


def dot(model: ThreatModel, level: int | Diagram = 0) -> str:
    """The data-flow diagram in Graphviz DOT, at a summary level or as a drawn diagram."""
    d = level if isinstance(level, Diagram) else diagram(model, level)
    lines = ["digraph dfd {", "  rankdir=LR;", '  graph [fontname="Helvetica", fontsize=11];',
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    placed = _placed(d.nodes)
    names = {b.kind: b.name for b in model.boundaries}

    def shape(node: Node) -> str:
        return f'{node.id} [label="{dot_text(node.label)}", shape={_DOT_SHAPES[node.kind]}];'

    for depth, kind in enumerate(BOUNDARY_KINDS, 1):
        pad = "  " * depth
        lines.append(f"{pad}subgraph cluster_{kind} {{")
        lines.append(f'{pad}  label="{dot_text(names.get(kind, kind))}"; labeljust=l; '
                     "style=dashed;")
        for node, inner in placed.get(f"boundary:{kind}", ()):
            if not inner:
                lines.append(f"{pad}  {shape(node)}")
                continue
            lines.append(f"{pad}  subgraph cluster_w_{node.id} {{")
            lines.append(f'{pad}    label="{dot_text(node.label)}"; labeljust=l; '
                         "style=rounded;")
            lines.extend(f"{pad}    {shape(n)}" for n in (node, *inner))
            lines.append(f"{pad}  }}")
    for depth in range(len(BOUNDARY_KINDS), 0, -1):
        lines.append("  " * depth + "}")
    for edge in d.edges:
        style = ', color="#cc3333", penwidth=2' if edge.cleartext else ""
        lines.append(f'  {edge.source} -> {edge.target} [label="{dot_text(edge.label)}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Markdown -------------------------------------------------------------------------------------
def cell(text: object) -> str:
    """Text safe in a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return lines


def _tls(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "unknown"}[value]


def _evidence(threat: Threat) -> str:
    return ", ".join(f"{k.rule} on {k.resource_kind} {k.resource_id}" for k in threat.evidence)


def documents(model: ThreatModel, *, tool: str) -> tuple[str, str]:
    """(threat-model.md, dfd.dot): the DOT diagram is the one Mermaid needed, so both show
    the same picture; the diagram is laid out once."""
    chart = drawn(model)
    return markdown(model, tool=tool, chart=chart), dot(model, chart[1])


def markdown(model: ThreatModel, *, tool: str, chart: tuple[str, Diagram] | None = None
             ) -> str:
    """The whole model as one Markdown document (``chart``: its Mermaid text and diagram
    when already drawn)."""
    names: Mapping[str, str] = {e.id: e.name for e in model.elements}
    chart_text, drawn_diagram = chart or drawn(model)
    out = [f"# Threat model: {cell(model.app_name or model.app_id)}", "",
           f"App `{model.app_id}` ({model.platform}). Drawn by {tool} from the configuration on "
           "every run: do not edit it; record decisions in the threat register "
           "(`--nocode-threat-register`), keyed by threat id.", "",
           "## Scope", "", model.scope, ""]
    counts: dict[str, int] = {}
    for t in model.threats:
        counts[t.status] = counts.get(t.status, 0) + 1
    out += [f"{len(model.elements)} elements, {len(model.flows)} data flows, "
            f"{len(model.threats)} threats: " + ", ".join(
                f"{counts[s]} {s}" for s in ("open", "needs review", "mitigated")
                if counts.get(s)) + ".", ""]
    out += ["## Assets", ""]
    out += _table(("Asset", "Kind", "Held by"),
                  ((a.name, a.kind, ", ".join(names[e] for e in a.elements))
                   for a in model.assets)) if model.assets else ["No stores or credentials."]
    out += ["", "## Entry points", ""]
    out += _table(("Entry point", "Authentication", "Active", "Caller", "Handled by"),
                  ((" ".join(filter(None, (e.kind, "/".join(e.methods), e.route))),
                    e.authentication or "unknown", {True: "yes", False: "no", None: "unknown"}[
                        e.active], names.get(e.caller, e.caller), names.get(e.process, e.process))
                   for e in model.entry_points)) if model.entry_points else ["None."]
    out += ["", "## Trust boundaries", ""]
    crossing: dict[str, int] = {}
    for flow in model.flows:
        for b in flow.crosses:
            crossing[b] = crossing.get(b, 0) + 1
    members: dict[str, int] = {}
    for e in model.elements:
        members[e.boundary] = members.get(e.boundary, 0) + 1
    out += _table(("Boundary", "Inside", "Elements directly inside", "Flows crossing it"),
                  ((b.name, next((p.name for p in model.boundaries if p.id == b.parent), "—"),
                    members.get(b.id, 0), crossing.get(b.id, 0)) for b in model.boundaries))
    out += ["", "## Data-flow diagram", ""]
    if model.summarised:
        out += [f"The model is drawn at workflow level: {model.summarised}.", ""]
    if drawn_diagram.level:
        out += [f"Summarised to stay readable and within Mermaid's limits (at most "
                f"{EDGE_BUDGET} arrows, {MERMAID_MAX_CHARS:,} characters): "
                f"{drawn_diagram.note}. The tables list every element and flow.", ""]
    out += ["Red arrows carry data in cleartext off the app's host.", "",
            "```mermaid", chart_text.rstrip("\n"), "```", ""]
    out += ["## Data flows", ""]
    out += _table(("From", "To", "What", "Protocol", "TLS", "Authentication", "Carries",
                   "Crosses"),
                  ((names[f.source], names[f.target], f.name, f.protocol or "in process",
                    _tls(f.tls) if f.crosses else "—", f.authentication or "—",
                    ", ".join(f.carries) or "—",
                    ", ".join(b.removeprefix("boundary:") for b in f.crosses) or "—")
                   for f in model.flows))
    out += ["", "## Threats", "",
            "Open: a finding of this run makes it real. Mitigated: every check covering it ran "
            "and reported nothing there. Needs review: no check covers it, or one did not run.",
            ""]
    order = {"open": 0, "needs review": 1, "mitigated": 2}
    threats = sorted(model.threats, key=lambda t: (order.get(t.status, 3),
                                                   -(t.residual_risk or 0), t.id))
    out += _table(("Id", "Category", "Threat", "Status", "Evidence", "Checks", "Residual risk",
                   "Decision"),
                  ((t.id, f"{t.framework} {t.category}", t.statement,
                    t.status + (f" ({', '.join(t.mitigated_by)})" if t.mitigated_by else ""),
                    _evidence(t) or "—", ", ".join(t.checks) or "none",
                    "—" if t.residual_risk is None else t.residual_risk,
                    _decision(t)) for t in threats))
    out += ["", "## Mitigations (checks)", ""]
    out += _table(("Check", "Title", "This run", "Threats"),
                  ((m.rule, m.title, m.status, len(m.threats)) for m in model.mitigations)) \
        if model.mitigations else ["None."]
    out += ["", "## Assumptions", ""]
    out += [f"- **{a.id}**: {a.statement}" + (f" ({len(a.threats)} threats depend on it)"
                                              if a.threats else "")
            for a in model.assumptions]
    out += ["", "## Accepted risks", ""]
    out += _table(("Threat", "Decision", "Justification", "Owner", "Reviewer", "Ticket",
                   "Review by", "Source"),
                  ((r.threat_id, r.status, r.justification, r.owner, r.reviewer or "—",
                    r.ticket or "—", r.review_by + (" **(expired)**" if r.expired else ""),
                    r.source) for r in model.accepted_risks)) \
        if model.accepted_risks else ["None."]
    out += ["", "## Threat register", ""]
    if model.new_threats or model.stale_entries:
        if model.new_threats:
            out += [f"New since the register ({len(model.new_threats)}): "
                    + ", ".join(model.new_threats), ""]
        if model.stale_entries:
            out += ["Stale entries (their threat no longer exists; remove them):", ""]
            out += [f"- {e.threat_id} ({e.source}, owner {e.owner})" for e in model.stale_entries]
    else:
        out += ["No register given, or it matches the model."]
    out += ["", "## Changes since the baseline", ""]
    out += _changes(model)
    return "\n".join(out) + "\n"


def _decision(threat: Threat) -> str:
    d = threat.decision
    if d is None:
        return "—"
    return f"{d.status} by {d.owner} until {d.review_by}" + (" (expired)" if d.expired else "")


def _changes(model: ThreatModel) -> list[str]:
    c = model.changes
    if c is None:
        return ["No baseline (`--nocode-baseline`) to compare with."]
    rows = [("Entry points", c.added_entry_points, c.removed_entry_points),
            ("Data flows", c.added_flows, c.removed_flows),
            ("Boundary crossings", c.added_crossings, c.removed_crossings),
            ("Threats", c.added_threats, c.removed_threats)]
    if not any(a or r for _, a, r in rows):
        return [f"Nothing changed since the baseline {c.baseline} (compared at workflow level)."]
    lines = [f"Compared with the baseline {c.baseline} at workflow level.", ""]
    lines += _table(("What", "Added", "Removed"),
                    ((what, ", ".join(a) or "—", ", ".join(r) or "—") for what, a, r in rows))
    return lines
