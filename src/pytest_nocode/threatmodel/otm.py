"""The threat model as an Open Threat Model (OTM 0.2.0) document (``otm.json``).

IriusRisk and Threat Dragon import it. Trust boundaries become trust zones (nested through
``parent``), elements components, flows dataflows, and threats and mitigations the document's
catalogues, referenced from the component or flow they concern with their state. A diagram
representation carries the same layout as threat-dragon.json (positions relative to the
parent zone, as OTM has them), so an import draws the elements inside their zones.

Ids are UUIDs derived from our stable ids, with our id in ``attributes``: an importer that
guesses a cell's shape from its id (Threat Dragon looks for "database" or "service" in it)
then goes by the component ``type`` alone, which names the data-flow-diagram kind for it.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from typing import Any

from pytest_nocode.threatmodel.exchange import (
    effective_status,
    evidence_text,
    mitigation_name,
    mitigations_by_threat,
    stable_uuid,
    status_note,
)
from pytest_nocode.threatmodel.layout import Box, Layout, layout
from pytest_nocode.threatmodel.model import Element, Threat, ThreatModel

OTM_VERSION = "0.2.0"
REPRESENTATION = "data-flow-diagram"
# Component types: what the element is, ending in the word importers key on for its shape.
COMPONENT_TYPES = {"external_entity": "external-entity", "process": "process-service",
                   "data_store": "data-store-database"}
# How far each trust zone is trusted (OTM: 0 = not at all, 100 = fully).
TRUST_RATINGS = {"internet": 0, "organisation": 50, "host": 80, "app": 100}
# OTM states; OTM fixes no vocabulary, these follow its examples ("exposed", "mitigated").
THREAT_STATES = {"open": "exposed", "needs review": "needs-review", "mitigated": "mitigated",
                 "accepted": "accepted", "transferred": "transferred",
                 "not applicable": "not-applicable"}
MITIGATION_STATES = {"passed": "implemented", "failed": "required", "not run": "required"}
# Assets are rated by what they are: the model measures no asset values.
ASSET_RISK = {"credential": (100, 100, 50), "personal data": (100, 75, 50),
              "data store": (75, 75, 75)}
CATEGORY_NAMES = {"information disclosure": "Information Disclosure",
                  "denial of service": "Denial of Service",
                  "elevation of privilege": "Elevation of Privilege"}


def _representation(kind: str, key: str, box: Box, origin: Box | None) -> dict[str, Any]:
    x, y = (box.x - origin.x, box.y - origin.y) if origin else (box.x, box.y)
    return {"representation": REPRESENTATION, "id": stable_uuid(f"shape:{kind}", key),
            "position": {"x": x, "y": y}, "size": {"width": box.width, "height": box.height}}


def _threat_refs(threats: list[Threat], by_threat: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [{"threat": stable_uuid("threat", t.id), "state": THREAT_STATES[effective_status(t)],
             "mitigations": [{"mitigation": stable_uuid("mitigation", m.id),
                              "state": MITIGATION_STATES.get(m.status, "required")}
                             for m in by_threat.get(t.id, [])]}
            for t in threats]


def _component(element: Element, found: Layout, threats: list[Threat],
               by_threat: dict[str, list[Any]], assets: dict[str, list[str]]) -> dict[str, Any]:
    stored = assets.get(element.id, []) if element.kind == "data_store" else []
    processed = [] if element.kind == "data_store" else assets.get(element.id, [])
    attributes = {"pytest-nocode-id": element.id, "role": element.role,
                  "zone": element.zone or "unknown"}
    if element.workflow_id:
        attributes["workflow"] = element.workflow_id
    if element.parent:
        attributes["part-of"] = element.parent
    if element.holds:
        attributes["holds"] = ", ".join(element.holds)
    return {
        "id": stable_uuid("element", element.id), "name": element.name,
        "type": COMPONENT_TYPES[element.kind], "description": element.description or None,
        "parent": {"trustZone": stable_uuid("boundary", element.boundary)},
        "representations": [_representation("element", element.id, found.elements[element.id],
                                             found.boundaries[element.boundary])],
        "assets": {"processed": processed, "stored": stored},
        "threats": _threat_refs(threats, by_threat),
        "tags": [element.role, element.kind.replace("_", " ")],
        "attributes": attributes,
    }


def _threat(threat: Threat) -> dict[str, Any]:
    category = CATEGORY_NAMES.get(threat.category, threat.category.title())
    attributes = {"pytest-nocode-id": threat.id, "framework": threat.framework,
                  "status": effective_status(threat), "target": threat.target}
    if threat.evidence:
        attributes["evidence"] = evidence_text(threat)
    if threat.checks:
        attributes["checks"] = ", ".join(threat.checks)
    scored = threat.residual_risk is not None
    return {
        "id": stable_uuid("threat", threat.id), "name": threat.title,
        "description": f"{threat.statement}\n\n{status_note(threat)}",
        "categories": [category],
        "risk": {"likelihood": 100 if threat.status == "open" else None,
                 "likelihoodComment": ("this run's findings make it real"
                                       if threat.status == "open" else "not measured"),
                 "impact": threat.residual_risk if scored else 0,
                 "impactComment": ("residual risk of its open findings" if scored
                                   else "not scored: no open finding")},
        "tags": [threat.framework, threat.category],
        "attributes": attributes,
    }


def to_otm(model: ThreatModel) -> dict[str, Any]:
    """The OTM document of ``model``, as a JSON-ready dict."""
    found = layout(model)
    by_threat = mitigations_by_threat(model)
    threats_on: dict[str, list[Threat]] = {}
    for threat in model.threats:
        threats_on.setdefault(threat.target, []).append(threat)
    assets_of: dict[str, list[str]] = {}
    for asset in model.assets:
        for element_id in asset.elements:
            assets_of.setdefault(element_id, []).append(stable_uuid("asset", asset.id))
    boundary_ids = {b.id for b in model.boundaries}
    zones = []
    for boundary in model.boundaries:
        parent = boundary.parent if boundary.parent in boundary_ids else ""
        zone: dict[str, Any] = {
            "id": stable_uuid("boundary", boundary.id), "name": boundary.name,
            "type": boundary.kind, "description": boundary.description or None,
            "risk": {"trustRating": TRUST_RATINGS.get(boundary.kind, 0)},
        }
        if parent:
            zone["parent"] = {"trustZone": stable_uuid("boundary", parent)}
        zone["representations"] = [_representation(
            "boundary", boundary.id, found.boundaries[boundary.id],
            found.boundaries[parent] if parent else None)]
        zone["attributes"] = {"pytest-nocode-id": boundary.id}
        zones.append(zone)
    element_ids = {e.id for e in model.elements}
    dataflows = []
    for flow in model.flows:
        if flow.source not in element_ids or flow.target not in element_ids:
            raise ValueError(f"threat model of {model.app_id!r}: flow {flow.id!r} joins an "
                             "element the model lacks")
        attributes = {"pytest-nocode-id": flow.id, "protocol": flow.protocol or "unknown",
                      "tls": {True: "yes", False: "no", None: "unknown"}[flow.tls],
                      "authentication": flow.authentication or "unknown"}
        if flow.crosses:
            attributes["crosses"] = ", ".join(flow.crosses)
        if flow.carries:
            attributes["carries"] = ", ".join(flow.carries)
        dataflows.append({
            "id": stable_uuid("flow", flow.id), "name": flow.name,
            "description": None, "bidirectional": False,
            "source": stable_uuid("element", flow.source),
            "destination": stable_uuid("element", flow.target),
            "threats": _threat_refs(threats_on.get(flow.id, []), by_threat),
            "tags": [t for t in (flow.protocol, *flow.carries) if t],
            "attributes": attributes,
        })
    return {
        "otmVersion": OTM_VERSION,
        "project": {"name": model.app_name or model.app_id, "id": model.app_id,
                    "description": model.scope + (f"\n\n{model.summarised}"
                                                  if model.summarised else ""),
                    "tags": [model.platform],
                    "attributes": {"generator": "pytest-nocode", "platform": model.platform}},
        "representations": [{"name": f"Data-flow diagram of {model.app_name or model.app_id}",
                             "id": REPRESENTATION, "type": "diagram",
                             "size": {"width": found.width, "height": found.height}}],
        "assets": [{"id": stable_uuid("asset", a.id), "name": a.name,
                    "description": f"{a.kind}, held by " + ", ".join(
                        element.name if (element := model.element(e)) else e
                        for e in a.elements),
                    "risk": dict(zip(("confidentiality", "integrity", "availability"),
                                     ASSET_RISK.get(a.kind, (50, 50, 50)), strict=True))
                    | {"comment": f"rated as any {a.kind}, not measured"},
                    "attributes": {"pytest-nocode-id": a.id}}
                   for a in model.assets],
        "trustZones": zones,
        "components": [_component(e, found, threats_on.get(e.id, []), by_threat,
                                  assets_of) for e in model.elements],
        "dataflows": dataflows,
        "threats": [_threat(t) for t in model.threats],
        "mitigations": [{"id": stable_uuid("mitigation", m.id), "name": mitigation_name(m),
                         "description": f"Tested by the check {m.rule}: {m.status} on this run.",
                         # how much this run's control lowers the risk: all of it when its
                         # check passed, none when the check failed or did not run
                         "riskReduction": 100 if m.status == "passed" else 0,
                         "attributes": {"pytest-nocode-id": m.id, "rule": m.rule,
                                        "status": m.status}}
                        for m in model.mitigations],
    }
