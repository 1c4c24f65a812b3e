"""Waivers kept in their own file (``--nocode-waivers``) and waivers that no longer match.

Teams often let a security owner approve waivers in a separate, separately-reviewed file; it
uses exactly the item schema of the policy's ``waivers`` section and is validated the same
way, so a waiver without justification, owner or expiry date never takes effect.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from pytest_nocode.errors import InputError, read_input_file
from pytest_nocode.findings import Waiver
from pytest_nocode.policy import (
    POLICY_FORMATS,
    POLICY_SCHEMA,
    Policy,
    Schema,
    dates_as_text,
    read_yaml,
    validate,
    waiver_expired,
    waiver_matches,
    waivers_from,
)

ITEM_SHAPE = ("each waiver is a mapping with rule, justification (10+ characters), owner and "
              "expires (YYYY-MM-DD); optional app, resources (list of globs) and ticket")

WAIVERS_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["waivers"],
    "properties": {
        "version": {"const": 1},
        "waivers": POLICY_SCHEMA["properties"]["waivers"],
    },
}
WAIVERS_FILE = Schema(WAIVERS_FILE_SCHEMA, POLICY_FORMATS)


def parse_waivers(text: str, source: str) -> list[Waiver]:
    """Waivers from YAML text: a list of waivers, or a mapping with a ``waivers`` list."""
    node, data = read_yaml(text, source)
    if data is None:
        return []
    wrapped = isinstance(data, list)
    if wrapped:  # a bare list: validate it as if it were {"waivers": [...]}
        data = {"waivers": data}
    dates_as_text(data)
    try:
        validate(WAIVERS_FILE, data, node, source, "waivers file",
                 node_prefix=["waivers"] if wrapped else ())
    except InputError as exc:
        raise InputError(f"{exc}\n  ({ITEM_SHAPE})") from None
    return list(waivers_from(data["waivers"], node, source, [] if wrapped else ["waivers"]))


def load_waivers_file(path: Path) -> tuple[list[Waiver], str]:
    """(waivers, sha256 of the file) for ``--nocode-waivers``."""
    text = read_input_file(path, f"--nocode-waivers {path}")
    return parse_waivers(text, str(path)), hashlib.sha256(text.encode()).hexdigest()


def with_waivers(policy: Policy, extra: Iterable[Waiver]) -> Policy:
    """The policy with more waivers; the policy's own come first, so they win ties."""
    return replace(policy, waivers=(*policy.waivers, *extra))


def stale_waivers(waivers: Iterable[Waiver], findings: Iterable[Mapping[str, Any]],
                  rules_run: Iterable[str] = (), app_ids: Iterable[str] = ()
                  ) -> list[tuple[Waiver, str]]:
    """Waivers that match no finding of this run, each with the reason.

    The risk such a waiver accepted is gone (or the waiver is mistyped), so it should be
    removed before it hides a future finding. The reason tells a mistyped rule or app apart
    from a fixed finding.
    """
    findings = list(findings)
    rules_run, app_ids = list(rules_run), list(app_ids)
    stale = []
    for waiver in waivers:
        if any(waiver_matches(waiver, f["rule"], f["app"],
                              (f["resource"]["id"], f["resource"]["path"]))
               for f in findings):
            continue
        if app_ids and not any(fnmatch.fnmatchcase(a, g) for a in app_ids for g in waiver.apps):
            reason = "no app of this run matches its app glob"
        elif not any(fnmatch.fnmatchcase(r, waiver.rule) for r in rules_run):
            reason = "no check with a matching rule ran"
        else:
            reason = "no finding matched"
        stale.append((waiver, reason))
    return stale


def waiver_json(waiver: Waiver, today: date | None = None) -> dict[str, Any]:
    expired = waiver_expired(waiver, today)
    return {"rule": waiver.rule, "app": list(waiver.apps), "resources": list(waiver.resources),
            "justification": waiver.justification, "owner": waiver.owner,
            "expires": waiver.expires, "ticket": waiver.ticket or None,
            "source": waiver.source, "expired": expired}
