"""What the three exchange forms (Threat Dragon v2, Threat Composer, OTM) share.

Each exporter turns a :class:`~pytest_nocode.threatmodel.model.ThreatModel` into one JSON file
another tool opens; the rules they must agree on live here once: ids those tools can keep
(UUIDs derived from our stable ids, never random), a threat's status once the team's register
decision is applied, the risk band its residual risk falls in, the sentence that says *why* a
threat has its status, and how the JSON is written (the same model gives the same bytes).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from pytest_nocode.threatmodel.model import Mitigation, Threat, ThreatModel

# Every UUID we write is uuid5 in this namespace of "<kind>:<our stable id>", so a threat, a
# mitigation or a cell keeps its UUID across runs and a tool's edits stay attached to it.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/pytest-nocode/threat-model")

# The files the exporters write into an app's threat-model folder.
THREAT_DRAGON_FILE = "threat-dragon.json"
THREAT_COMPOSER_FILE = "threat-composer.json"
OTM_FILE = "otm.json"

# Residual risk (0-100, from risk.py's scores) → the band the tools show. Each band starts at
# the default score of a finding of that severity with no exposure factor (critical 60, high 45,
# medium 30), so a finding never shows below its own severity; exposure lifts it higher.
RISK_BANDS: tuple[tuple[int, str], ...] = ((60, "Critical"), (45, "High"), (30, "Medium"),
                                           (0, "Low"))


def stable_uuid(kind: str, key: str) -> str:
    """The UUID of ``key`` (one of our stable ids) as a thing of ``kind`` ("threat", "cell" …)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def effective_status(threat: Threat) -> str:
    """The threat's status with the team's register decision applied.

    A decision holds until its review-by date: an expired one no longer counts (it fails like
    an expired waiver), so the status falls back to what this run's evidence says.
    """
    if threat.decision is not None and not threat.decision.expired:
        return threat.decision.status
    return threat.status


def risk_band(risk: int | None) -> str | None:
    """"Critical" … "Low" for a residual risk; ``None`` when the threat has no scored evidence."""
    if risk is None:
        return None
    return next(band for floor, band in RISK_BANDS if risk >= floor)


def mitigations_by_threat(model: ThreatModel) -> dict[str, list[Mitigation]]:
    """Threat id → the mitigations (covering checks) that answer it, in model order."""
    found: dict[str, list[Mitigation]] = {}
    for mitigation in model.mitigations:
        for threat_id in mitigation.threats:
            found.setdefault(threat_id, []).append(mitigation)
    return found


def evidence_text(threat: Threat) -> str:
    """"INJ001 on node 1a2b, SEC001 on node 3c4d": the findings that make the threat real."""
    return ", ".join(f"{key.rule} on {key.resource_kind} {key.resource_id}"
                     for key in threat.evidence)


def status_note(threat: Threat) -> str:
    """Why the threat has its status, in one or two sentences for the person reviewing it."""
    if threat.status == "open":
        note = f"Open: this run's findings make it real ({evidence_text(threat)})."
    elif threat.status == "mitigated":
        note = ("Mitigated: the covering checks ran on this app and passed ("
                + ", ".join(threat.mitigated_by) + ").")
    elif threat.checks:
        ran = set(threat.mitigated_by)
        idle = [rule for rule in threat.checks if rule not in ran]
        note = ("Needs review: not every check covering it ran and passed ("
                + ", ".join(idle or threat.checks) + ").")
    else:
        note = "Needs review: no check of pytest-nocode covers it; a person must judge it."
    decision = threat.decision
    if decision is not None:
        when = "expired on" if decision.expired else "review by"
        note += (f" Register: {decision.status} by {decision.owner or 'unknown owner'}"
                 f" ({when} {decision.review_by})")
        if decision.ticket:
            note += f", ticket {decision.ticket}"
        note += f": {decision.justification}" if decision.justification else "."
        if decision.expired:
            note += " The decision has expired, so the run's evidence decides the status."
    return note


def mitigation_name(mitigation: Mitigation) -> str:
    """The control a check tests for, named after the weakness the check looks for (a check's
    title names the flaw: "Inbound endpoint without authentication")."""
    return f"Guard against: {mitigation.title} (check {mitigation.rule})"


def mitigation_note(threat: Threat, mitigations: list[Mitigation]) -> str:
    """The controls that answer the threat and how their checks did on this run."""
    if not mitigations:
        return "No check of pytest-nocode covers this threat: record the control you rely on."
    return "\n".join(f"{mitigation_name(m)}: {m.status} on this run." for m in mitigations)


def fit(text: str, limit: int) -> str:
    """``text`` cut to a form's length limit, with an ellipsis that shows it was cut.

    Only labels and one-line fields are ever cut; the full text stays in the model's other
    fields (the statement, the OTM description) and in threat-model.md.
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def dumps(document: Mapping[str, Any]) -> str:
    """The JSON text of a document: indented, UTF-8, key order as built, newline at the end."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
