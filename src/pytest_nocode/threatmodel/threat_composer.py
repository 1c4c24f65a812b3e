"""The threat model as an AWS Threat Composer export, schema 1 (``threat-composer.json``).

Threat Composer imports it as a workspace: each threat in its grammar (source, prerequisites,
action, impact, impacted goal and assets, and the full statement), the covering checks as
mitigations, the model's assumptions, and the links between them. Ids are UUIDs derived from
our stable ids (Threat Composer wants UUIDs of at most 36 characters); our own threat id, the
evidence and the checks travel in ``custom:`` metadata, so a threat edited in Threat Composer
can still be matched to the register.

Threat Composer caps its fields (200 characters for a grammar part, 1000 for a comment, 30 for
a tag): longer text is cut with an ellipsis (see :func:`.exchange.fit`); the statement and OTM
keep it whole.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from typing import Any

from pytest_nocode.threatmodel.exchange import (
    effective_status,
    evidence_text,
    fit,
    mitigation_name,
    risk_band,
    stable_uuid,
    status_note,
)
from pytest_nocode.threatmodel.model import Assumption, Mitigation, Threat, ThreatModel

PART, COMMENT, TAG, NAME, STATEMENT, DESCRIPTION = 200, 1000, 30, 200, 1400, 100_000
# Register decisions and evidence statuses → Threat Composer's three threat statuses. A
# decision to accept or transfer a risk resolves the threat for Threat Composer; "needs
# review" is not resolved.
THREAT_STATUSES = {"open": "threatIdentified", "needs review": "threatIdentified",
                   "mitigated": "threatResolved", "accepted": "threatResolved",
                   "transferred": "threatResolved", "not applicable": "threatResolvedNotUseful"}
# A check's result on this run → the mitigation's status: a control is in place when its check
# passed; a failed or idle check leaves it identified, not yet done.
MITIGATION_STATUSES = {"passed": "mitigationResolved", "failed": "mitigationIdentified",
                       "not run": "mitigationIdentified"}
STRIDE_LETTERS = {"spoofing": "S", "tampering": "T", "repudiation": "R",
                  "information disclosure": "I", "denial of service": "D",
                  "elevation of privilege": "E"}
# Whole-model lists in the descriptions stop here; the rest is counted, and otm.json and
# threat-model.md hold them all.
LISTED = 400


def _comment(text: str) -> dict[str, str]:
    return {"key": "Comments", "value": fit(text, COMMENT)}


def _threat(threat: Threat, number: int) -> dict[str, Any]:
    metadata: list[dict[str, Any]] = []
    band = risk_band(threat.residual_risk)
    if band is not None:  # Threat Composer's priorities are High, Medium and Low
        metadata.append({"key": "Priority", "value": "High" if band == "Critical" else band})
    if threat.framework == "STRIDE" and threat.category in STRIDE_LETTERS:
        metadata.append({"key": "STRIDE", "value": [STRIDE_LETTERS[threat.category]]})
    else:
        metadata.append({"key": f"custom:{threat.framework}", "value": [threat.category]})
    metadata.append(_comment(status_note(threat)))
    metadata.append({"key": "custom:threatId", "value": threat.id})
    metadata.append({"key": "custom:target", "value": threat.target})
    if threat.evidence:
        metadata.append({"key": "custom:evidence", "value": evidence_text(threat).split(", ")})
    if threat.checks:
        metadata.append({"key": "custom:checks", "value": list(threat.checks)})
    if threat.residual_risk is not None:
        metadata.append({"key": "custom:residualRisk", "value": str(threat.residual_risk)})
    tags = [threat.id, threat.framework, threat.category, effective_status(threat)]
    return {
        "id": stable_uuid("threat", threat.id), "numericId": number, "displayOrder": number,
        "metadata": metadata,
        "tags": [fit(tag, TAG) for tag in dict.fromkeys(tags)],
        "threatSource": fit(threat.source, PART),  # without article: Threat Composer adds it
        "prerequisites": fit(threat.prerequisites, PART),
        "threatAction": fit(threat.action, PART),
        "threatImpact": fit(threat.impact, PART),
        "impactedGoal": [fit(goal, PART) for goal in threat.impacted_goal],
        "impactedAssets": [fit(asset, PART) for asset in threat.impacted_assets],
        "statement": fit(threat.statement, STATEMENT),
        "status": THREAT_STATUSES[effective_status(threat)],
    }


def _mitigation(mitigation: Mitigation, number: int) -> dict[str, Any]:
    return {
        "id": stable_uuid("mitigation", mitigation.id), "numericId": number,
        "displayOrder": number,
        "metadata": [_comment(f"Tested by the check {mitigation.rule}: {mitigation.status} on "
                              "this run."),
                     {"key": "custom:rule", "value": mitigation.rule}],
        "tags": [fit(mitigation.rule, TAG)],
        "content": fit(mitigation_name(mitigation), COMMENT),
        "status": MITIGATION_STATUSES.get(mitigation.status, "mitigationIdentified"),
    }


def _assumption(assumption: Assumption, number: int) -> dict[str, Any]:
    scope = ("Applies to the whole model." if not assumption.threats
             else "Applies to the threats it is linked to.")
    return {"id": stable_uuid("assumption", assumption.id), "numericId": number,
            "displayOrder": number,
            "metadata": [_comment(scope), {"key": "custom:assumptionId", "value": assumption.id}],
            "content": fit(assumption.statement, COMMENT)}


def _listing(title: str, lines: list[str]) -> str:
    shown = lines[:LISTED]
    text = f"### {title}\n\n" + "".join(f"- {line}\n" for line in shown)
    if len(lines) > len(shown):
        text += (f"\n{len(lines) - len(shown)} more are not listed here; otm.json and "
                 "threat-model.md hold them all.\n")
    return text


def _architecture(model: ThreatModel) -> str:
    names = {b.id: b.name for b in model.boundaries}
    lines = [f"**{e.name}**: {e.role} ({e.kind.replace('_', ' ')}) in {names.get(e.boundary, '')}"
             for e in model.elements]
    boundaries = "".join(f"- **{b.name}**" + (f" (inside {names[b.parent]})" if b.parent in names
                                              else "") + "\n" for b in model.boundaries)
    return fit(f"### Trust boundaries\n\n{boundaries}\n" + _listing("Elements", lines),
               DESCRIPTION)


def _dataflow(model: ThreatModel) -> str:
    names = {e.id: e.name for e in model.elements}
    boundaries = {b.id: b.name for b in model.boundaries}
    lines = []
    for flow in model.flows:
        line = f"{names.get(flow.source, flow.source)} → {names.get(flow.target, flow.target)}: "
        line += flow.name + (f" over {flow.protocol}" if flow.protocol else "")
        if flow.carries:
            line += ", carrying " + ", ".join(flow.carries)
        if flow.crosses:
            line += ", crossing " + ", ".join(boundaries.get(b, b) for b in flow.crosses)
        lines.append(line)
    return fit(_listing("Data flows", lines), DESCRIPTION)


def to_threat_composer(model: ThreatModel) -> dict[str, Any]:
    """The Threat Composer (schema 1) export of ``model``, as a JSON-ready dict."""
    threat_uuids = {t.id: stable_uuid("threat", t.id) for t in model.threats}
    mitigation_links = [
        {"mitigationId": stable_uuid("mitigation", m.id), "linkedId": threat_uuids[t]}
        for m in model.mitigations for t in m.threats if t in threat_uuids]
    # An assumption about the whole model is not linked to every threat: it stands alone.
    assumption_links = [
        {"type": "Threat", "assumptionId": stable_uuid("assumption", a.id),
         "linkedId": threat_uuids[t]}
        for a in model.assumptions for t in a.threats if t in threat_uuids]
    description = model.scope + (f"\n\n{model.summarised}" if model.summarised else "")
    return {
        "schema": 1,
        "applicationInfo": {"name": fit(model.app_name or model.app_id, NAME),
                            "description": fit(description, DESCRIPTION)},
        "architecture": {"description": _architecture(model)},
        "dataflow": {"description": _dataflow(model)},
        "assumptions": [_assumption(a, n) for n, a in enumerate(model.assumptions, start=1)],
        "mitigations": [_mitigation(m, n) for n, m in enumerate(model.mitigations, start=1)],
        "assumptionLinks": assumption_links,
        "mitigationLinks": mitigation_links,
        "threats": [_threat(t, n) for n, t in enumerate(model.threats, start=1)],
    }
