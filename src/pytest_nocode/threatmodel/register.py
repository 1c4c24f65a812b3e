"""The threat register (``--nocode-threat-register``): the team's decisions, keyed by threat id.

The model is regenerated on every run; the register is what people write, so it is the only
place a decision lives. Threat ids are stable (see :func:`~pytest_nocode.threatmodel.build.
threat_id`), so an entry stays attached to its threat across runs. Like a waiver, a decision
has a review-by date and fails the run once that date has passed; entries whose threat no app
of the run has any more are reported as stale, threats the register does not name as new.

    version: 1
    threats:
      TM-1a2b3c4d5e:
        status: accepted            # accepted | mitigated | transferred | not applicable
        justification: the partner's endpoint only accepts our VPN's address
        owner: alice@example.com
        reviewer: bob@example.com   # optional
        ticket: SEC-123             # optional
        review_by: 2027-03-31

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pytest_nocode.errors import InputError, read_input_file
from pytest_nocode.policy import POLICY_FORMATS, Schema, _node_at, read_yaml, validate
from pytest_nocode.threatmodel.model import DECISION_STATUSES, RegisterEntry

THREAT_ID = re.compile(r"^TM-[0-9a-f]{10}$")
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "justification", "owner", "review_by"],
    "properties": {
        "status": {"enum": list(DECISION_STATUSES)},
        "justification": {"type": "string", "minLength": 10},
        "owner": {"type": "string", "minLength": 1},
        "reviewer": {"type": "string"},
        "ticket": {"type": "string"},
        "review_by": {"type": "string", "format": "date"},
    },
}
REGISTER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["threats"],
    "properties": {
        "version": {"const": 1},
        "threats": {"type": "object", "additionalProperties": ENTRY_SCHEMA},
    },
}
REGISTER = Schema(REGISTER_SCHEMA, POLICY_FORMATS)  # jsonschema only when a register is read
SHAPE = ("a mapping 'threats:' of threat id (TM- and 10 hex digits, as the threat model shows "
         "them) to status (accepted, mitigated, transferred, not applicable), justification "
         "(10+ characters), owner and review_by (YYYY-MM-DD); optional reviewer and ticket")


def parse_register(text: str, source: str, today: date | None = None
                   ) -> dict[str, RegisterEntry]:
    """Register entries by threat id; one InputError naming ``file:line`` for bad input."""
    node, data = read_yaml(text, source)
    if data is None:
        return {}
    entries = data.get("threats") if isinstance(data, dict) else None
    for entry in (entries or {}).values() if isinstance(entries, dict) else ():
        if isinstance(entry, dict) and isinstance(entry.get("review_by"), date):
            entry["review_by"] = entry["review_by"].isoformat()
    try:
        validate(REGISTER, data, node, source, "threat register")
    except InputError as exc:
        raise InputError(f"{exc}\n  (expected {SHAPE})") from None
    today = today or date.today()
    out: dict[str, RegisterEntry] = {}
    bad = []
    for tid, entry in data["threats"].items():
        line = _key_line(node, tid)
        if not THREAT_ID.match(str(tid)):
            bad.append(f"{source}:{line}: $.threats: {tid!r} is no threat id; expected TM- and "
                       "10 hex digits, as the threat model shows them")
            continue
        out[tid] = RegisterEntry(
            tid, entry["status"], entry["justification"].strip(), entry["owner"],
            entry["review_by"], entry.get("reviewer", ""), entry.get("ticket", ""),
            f"{source}:{line}", date.fromisoformat(entry["review_by"]) < today)
    if bad:
        raise InputError("invalid threat register:\n  " + "\n  ".join(bad))
    return out


def _key_line(node: yaml.Node | None, tid: str) -> int:
    """The line of ``tid``'s key under ``threats:`` (where a reader looks for the entry)."""
    threats = _node_at(node, ["threats"]) if node is not None else None
    if isinstance(threats, yaml.MappingNode):
        for key, _value in threats.value:
            if key.value == tid:
                return int(key.start_mark.line) + 1
    return 1


def load_register(path: Path, today: date | None = None) -> dict[str, RegisterEntry]:
    text = read_input_file(path, f"--nocode-threat-register {path}")
    return parse_register(text, str(path), today)


def stale_entries(register: Mapping[str, RegisterEntry], threat_ids: Iterable[str]
                  ) -> tuple[RegisterEntry, ...]:
    """Entries whose threat no model of this run has: the threat is gone (the element or
    flow changed) or the id is mistyped; either way the decision no longer applies."""
    known = set(threat_ids)
    return tuple(e for tid, e in sorted(register.items()) if tid not in known)
