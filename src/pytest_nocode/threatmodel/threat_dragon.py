"""The threat model as an OWASP Threat Dragon v2 model (``threat-dragon.json``).

Threat Dragon opens it and the team edits it there: one STRIDE diagram of the app, and a
LINDDUN diagram of the same layout when privacy threats exist (a Threat Dragon diagram has one
methodology, and its threat editor offers that methodology's categories only). Cells are
actors, processes, stores, flows and trust boundary boxes; each element lies inside its
boundary's box (see :mod:`.layout`), which is how Threat Dragon tells membership and crossings.
Threats sit on the cell they threaten, with status, severity (from residual risk), the
statement and why it has its status, and the checks that answer it.

Cell and threat ids are UUIDs derived from our stable ids, so re-importing a new run's file
keeps them. Only what the published v2 schema allows is written: line dashes are ``""`` for
solid (the schema's ``nullable`` is not JSON Schema, so ``null`` would not validate).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import textwrap
from typing import Any

from pytest_nocode.threatmodel.exchange import (
    effective_status,
    fit,
    mitigation_note,
    mitigations_by_threat,
    risk_band,
    stable_uuid,
    status_note,
)
from pytest_nocode.threatmodel.layout import Box, Layout, layout
from pytest_nocode.threatmodel.model import DataFlow, Element, Threat, ThreatModel

VERSION = "2.6.2"  # the Threat Dragon release whose v2 schema and cell shapes this follows
THUMBNAILS = {"STRIDE": "./public/content/images/thumbnail.stride.jpg",
              "LINDDUN": "./public/content/images/thumbnail.linddun.jpg"}
SHAPES = {"external_entity": ("actor", "tm.Actor"), "process": ("process", "tm.Process"),
          "data_store": ("store", "tm.Store")}
# Our categories → the type names Threat Dragon's threat editor offers (its English labels).
THREAT_TYPES = {
    "spoofing": "Spoofing", "tampering": "Tampering", "repudiation": "Repudiation",
    "information disclosure": "Information disclosure", "denial of service": "Denial of service",
    "elevation of privilege": "Elevation of privilege",
    # LINDDUN's current names → the older ones Threat Dragon uses
    "linking": "Linkability", "identifying": "Identifiability",
    "non-repudiation": "Non-repudiation", "detecting": "Detectability",
    "data disclosure": "Disclosure of information", "unawareness": "Unawareness",
    "non-compliance": "Non-compliance",
}
# Register decisions and evidence statuses → Threat Dragon's statuses. "Needs review" has no
# Threat Dragon status: it stays Open (unresolved) and its description says why.
STATUSES = {"open": "Open", "needs review": "Open", "mitigated": "Mitigated",
            "accepted": "Accepted", "transferred": "Transferred",
            "not applicable": "NotApplicable"}
OPEN_STROKE, STROKE = "red", "#333333"  # Threat Dragon draws cells with open threats red
# Characters per label line that fit a shape (a process is a circle), and lines at most.
LABEL_WIDTHS = {"actor": 22, "store": 22, "process": 14, "flow": 22}
LABEL_LINES = 3


def _label(name: str, shape: str) -> str:
    """The name wrapped to fit a shape (the full name stays in the cell's data)."""
    width = LABEL_WIDTHS[shape]
    lines = textwrap.wrap(name, width) or [""]
    if len(lines) > LABEL_LINES:
        lines = [*lines[: LABEL_LINES - 1], fit(" ".join(lines[LABEL_LINES - 1:]), width)]
    return "\n".join(lines)


def _threat(threat: Threat, number: int, mitigations: dict[str, list[Any]]) -> dict[str, Any]:
    band = risk_band(threat.residual_risk)
    return {
        "id": stable_uuid("threat", threat.id),
        "title": f"{threat.title} [{threat.id}]",
        "status": STATUSES[effective_status(threat)],
        "severity": band or "TBD",
        "type": THREAT_TYPES.get(threat.category, threat.category.capitalize()),
        "description": f"{threat.statement}\n\n{status_note(threat)}",
        "mitigation": mitigation_note(threat, mitigations.get(threat.id, [])),
        "modelType": threat.framework,
        "number": number,
        "score": "" if threat.residual_risk is None else str(threat.residual_risk),
    }


def _has_open(threats: list[dict[str, Any]]) -> bool:
    return any(t["status"] == "Open" for t in threats)


def _element_cell(element: Element, box: Box, threats: list[dict[str, Any]],
                  z_index: int, diagram: str) -> dict[str, Any]:
    shape, kind = SHAPES[element.kind]
    is_open = _has_open(threats)
    stroke = {"stroke": OPEN_STROKE if is_open else STROKE, "strokeWidth": 1.5,
              "strokeDasharray": ""}
    attrs: dict[str, Any] = {"text": {"text": _label(element.name, shape)}}
    if shape == "store":  # a store is drawn as two lines, not a body
        attrs |= {"topLine": dict(stroke), "bottomLine": dict(stroke)}
    else:
        attrs["body"] = stroke
    data: dict[str, Any] = {
        "type": kind, "name": element.name, "description": _element_description(element),
        "isTrustBoundary": False, "outOfScope": False, "reasonOutOfScope": "",
        "hasOpenThreats": is_open, "threats": threats,
    }
    if shape == "actor":
        data["providesAuthentication"] = False
    elif shape == "process":
        data |= {"handlesCardPayment": False, "handlesGoodsOrServices": False,
                 "isWebApplication": element.role == "entry point", "privilegeLevel": ""}
    else:
        data |= {"isALog": False, "isEncrypted": False, "isSigned": False,
                 "storesCredentials": "credentials" in element.holds, "storesInventory": False}
    return {"id": stable_uuid(f"cell:{diagram}", element.id), "shape": shape, "zIndex": z_index,
            "position": {"x": box.x, "y": box.y},
            "size": {"width": box.width, "height": box.height},
            "attrs": attrs, "visible": True, "data": data}


def _element_description(element: Element) -> str:
    parts = [element.description] if element.description else []
    parts.append(f"{element.role} ({element.kind.replace('_', ' ')}), trust zone "
                 f"{element.zone or 'unknown'}")
    if element.holds:
        parts.append("holds " + ", ".join(element.holds))
    parts.append(f"pytest-nocode id: {element.id}")
    return "; ".join(parts)


def _flow_label(flow: DataFlow) -> str:
    return f"{flow.name} ({flow.protocol})" if flow.protocol else flow.name


def _flow_description(model: ThreatModel, flow: DataFlow) -> str:
    parts = [f"protocol {flow.protocol or 'unknown'}",
             "TLS " + {True: "yes", False: "no", None: "unknown"}[flow.tls],
             f"authentication {flow.authentication or 'unknown'}"]
    if flow.carries:
        parts.append("carries " + ", ".join(flow.carries))
    if flow.crosses:
        names = {b.id: b.name for b in model.boundaries}
        parts.append("crosses " + ", ".join(names.get(b, b) for b in flow.crosses))
    parts.append(f"pytest-nocode id: {flow.id}")
    return "; ".join(parts)


def _flow_cell(model: ThreatModel, flow: DataFlow, threats: list[dict[str, Any]], z_index: int,
               diagram: str, public: bool) -> dict[str, Any]:
    is_open = _has_open(threats)
    return {
        "id": stable_uuid(f"cell:{diagram}", flow.id), "shape": "flow", "zIndex": z_index,
        "attrs": {"line": {"stroke": OPEN_STROKE if is_open else STROKE, "strokeWidth": 1.5,
                           "targetMarker": {"name": "block"}, "sourceMarker": {"name": ""},
                           "strokeDasharray": ""}},
        "labels": [{  # Threat Dragon's own flow label: text on a white ellipse
            "markup": [{"tagName": "ellipse", "selector": "labelBody"},
                       {"tagName": "text", "selector": "labelText"}],
            "attrs": {"labelText": {"text": _label(_flow_label(flow), "flow"),
                                    "textAnchor": "middle", "textVerticalAnchor": "middle"},
                      "labelBody": {"ref": "labelText", "refRx": "50%", "refRy": "60%",
                                    "fill": "#fff", "strokeWidth": 0}},
            "position": 0.5}],
        "connector": "smooth",
        "source": {"cell": stable_uuid(f"cell:{diagram}", flow.source)},
        "target": {"cell": stable_uuid(f"cell:{diagram}", flow.target)},
        "vertices": [],
        "data": {"type": "tm.Flow", "name": _flow_label(flow),
                 "description": _flow_description(model, flow),
                 "isTrustBoundary": False, "outOfScope": False, "reasonOutOfScope": "",
                 "hasOpenThreats": is_open, "isBidirectional": False,
                 "isEncrypted": flow.tls is True, "isPublicNetwork": public,
                 "protocol": flow.protocol, "threats": threats},
    }


def _boundary_cells(model: ThreatModel, found: Layout, diagram: str) -> list[dict[str, Any]]:
    depth: dict[str, int] = {}
    parents = {b.id: b.parent for b in model.boundaries}

    def depth_of(boundary_id: str) -> int:
        if boundary_id not in depth:
            parent = parents.get(boundary_id, "")
            depth[boundary_id] = depth_of(parent) + 1 if parent in parents else 0
        return depth[boundary_id]

    cells = []
    for boundary in model.boundaries:
        box = found.boundaries[boundary.id]
        cells.append({
            "id": stable_uuid(f"cell:{diagram}", boundary.id), "shape": "trust-boundary-box",
            "zIndex": -50 + depth_of(boundary.id),  # outer boxes behind inner ones
            "position": {"x": box.x, "y": box.y},
            "size": {"width": box.width, "height": box.height},
            "attrs": {"label": {"text": boundary.name}}, "visible": True,
            "data": {"type": "tm.BoundaryBox", "name": boundary.name,
                     "description": boundary.description or f"trust boundary: {boundary.kind}",
                     "isTrustBoundary": True, "hasOpenThreats": False},
        })
    return cells


def _diagram(model: ThreatModel, found: Layout, framework: str, diagram_id: int,
             threats_on: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    diagram = framework.lower()
    cells = _boundary_cells(model, found, diagram)
    z_index = 1
    for element in model.elements:
        cells.append(_element_cell(element, found.elements[element.id],
                                   threats_on.get(element.id, []), z_index, diagram))
        z_index += 1
    internet = {b.id for b in model.boundaries if b.kind == "internet"}
    by_id = {e.id: e for e in model.elements}
    for flow in model.flows:
        if flow.source not in by_id or flow.target not in by_id:
            raise ValueError(f"threat model of {model.app_id!r}: flow {flow.id!r} joins an "
                             "element the model lacks")
        public = bool(internet & {by_id[flow.source].boundary, by_id[flow.target].boundary})
        cells.append(_flow_cell(model, flow, threats_on.get(flow.id, []), z_index, diagram,
                                public))
        z_index += 1
    title = f"{model.app_name} ({framework})"
    return {"id": diagram_id, "title": title, "diagramType": framework,
            "placeholder": f"{framework} data-flow diagram of {model.app_name}",
            "description": (f"{framework} data-flow diagram drawn by pytest-nocode from the "
                            f"{model.platform} app's configuration."
                            + (f" {model.summarised}" if model.summarised else "")),
            "thumbnail": THUMBNAILS.get(framework, THUMBNAILS["STRIDE"]), "version": VERSION,
            "cells": cells}


def to_threat_dragon(model: ThreatModel) -> dict[str, Any]:
    """The Threat Dragon v2 model of ``model``, as a JSON-ready dict."""
    found = layout(model)
    targets = {e.id for e in model.elements} | {f.id for f in model.flows}
    mitigations = mitigations_by_threat(model)
    by_framework: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for number, threat in enumerate(model.threats, start=1):
        if threat.target not in targets:
            raise ValueError(f"threat model of {model.app_id!r}: threat {threat.id} is on "
                             f"{threat.target!r}, which is neither an element nor a flow")
        on = by_framework.setdefault(threat.framework, {}).setdefault(threat.target, [])
        on.append(_threat(threat, number, mitigations))
    frameworks = ["STRIDE", *sorted(f for f in by_framework if f != "STRIDE")]
    diagrams = [_diagram(model, found, framework, index, by_framework.get(framework, {}))
                for index, framework in enumerate(frameworks)]
    return {
        "version": VERSION,
        "summary": {"title": model.app_name or model.app_id, "owner": "",
                    "description": model.scope},
        "detail": {"contributors": [{"name": "pytest-nocode"}], "diagrams": diagrams,
                   "diagramTop": len(diagrams), "reviewer": "",
                   "threatTop": len(model.threats)},
    }
