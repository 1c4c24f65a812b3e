"""Waivers kept in their own file (``--nocode-waivers``) and waivers that no longer match.

Teams often let a security owner approve waivers in a separate, separately-reviewed file; it
uses exactly the item schema of the policy's ``waivers`` section and is validated the same
way, so a waiver without justification, owner or expiry date never takes effect.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pytest_nocode.errors import InputError
from pytest_nocode.findings import Waiver
from pytest_nocode.policy import (
    _FORMATS,
    POLICY_SCHEMA,
    Policy,
    _describe,
    _json_path,
    _node_at,
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
_VALIDATOR = jsonschema.Draft202012Validator(WAIVERS_FILE_SCHEMA, format_checker=_FORMATS)


def _dates_as_text(data: Any) -> Any:
    """YAML reads an unquoted ``expires: 2026-03-31`` as a date; the schema wants its text."""
    if isinstance(data, dict):
        for item in data.get("waivers") or []:
            if isinstance(item, dict) and isinstance(item.get("expires"), date):
                item["expires"] = item["expires"].isoformat()
    return data


def parse_waivers(text: str, source: str) -> list[Waiver]:
    """Waivers from YAML text: a list of waivers, or a mapping with a ``waivers`` list."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise InputError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"
                         ) from None
    if data is None:
        return []
    prefix: list[Any] = []
    if isinstance(data, list):  # a bare list: validate it as if it were {"waivers": [...]}
        data = {"waivers": data}
        prefix = ["waivers"]
    _dates_as_text(data)
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for error in errors[:10]:
            path = list(error.absolute_path)
            at = _node_at(node, path[len(prefix):] if prefix and path[:1] == prefix else path) \
                if node is not None else None
            line = at.start_mark.line + 1 if at is not None else 1
            lines.append(f"{source}:{line}: {_json_path(path)}: {_describe(error)}")
        raise InputError("invalid waivers file:\n  " + "\n  ".join(lines)
                         + f"\n  ({ITEM_SHAPE})")
    out = []
    for i, w in enumerate(data["waivers"]):
        at = _node_at(node, [*(() if prefix else ("waivers",)), i])
        out.append(Waiver(
            rule=w["rule"], apps=(w.get("app", "*"),), resources=tuple(w.get("resources", ["*"])),
            justification=w["justification"].strip(), owner=w["owner"], expires=w["expires"],
            ticket=w.get("ticket", ""), source=f"{source}:{at.start_mark.line + 1}"))
    return out


def load_waivers_file(path: Path) -> tuple[list[Waiver], str]:
    """(waivers, sha256 of the file) for ``--nocode-waivers``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--nocode-waivers {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--nocode-waivers {path}: cannot read: {exc}") from None
    return parse_waivers(text, str(path)), hashlib.sha256(text.encode()).hexdigest()


def with_waivers(policy: Policy, extra: Iterable[Waiver]) -> Policy:
    """The policy with more waivers; the policy's own come first, so they win ties."""
    return replace(policy, waivers=(*policy.waivers, *extra))


def waiver_matches(waiver: Waiver, rule_id: str, app_id: str, resource_ids: Iterable[str]
                   ) -> bool:
    if not fnmatch.fnmatchcase(rule_id, waiver.rule):
        return False
    if not any(fnmatch.fnmatchcase(app_id, a) for a in waiver.apps):
        return False
    ids = list(resource_ids)
    return any(fnmatch.fnmatchcase(r, g) for r in ids for g in waiver.resources)


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
    expired = date.fromisoformat(waiver.expires) < (today or date.today())
    return {"rule": waiver.rule, "app": list(waiver.apps), "resources": list(waiver.resources),
            "justification": waiver.justification, "owner": waiver.owner,
            "expires": waiver.expires, "ticket": waiver.ticket or None,
            "source": waiver.source, "expired": expired}
