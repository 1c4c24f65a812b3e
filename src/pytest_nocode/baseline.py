"""Approved baselines and configuration drift.

A baseline is the normalized model of each app as it was approved (``App.to_dict()``, secrets
masked) with the snapshot hash, tool version and date. Drift compares configuration values,
not findings: a new outbound host is drift even when no check flags it, because it was not
part of what was approved.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_nocode import __version__
from pytest_nocode.errors import InputError
from pytest_nocode.model import canonical_json, is_loopback_host

SCHEMA = "pytest-nocode/baseline/v1"
MAX_VALUE_CHARS = 300  # long values (function code) are cut in evidence, hashed in full


@dataclass(frozen=True)
class BaselineApp:
    app_id: str
    sha256: str
    tool_version: str
    approved: str  # ISO date-time the snapshot was written
    model: Mapping[str, Any] = field(repr=False)
    # the sign-off (``pytest-nocode approve``): by, why, ticket, at; empty for a baseline a
    # first run wrote and nobody signed off
    approval: Mapping[str, Any] = field(default_factory=dict)

    def approval_note(self) -> str:
        """The approval a drift finding deviates from, in a few words ('' when unsigned)."""
        a = self.approval
        if not a:
            return ""
        ticket = f", {a['ticket']}" if a.get("ticket") else ""
        return f"approved baseline: {a.get('by', '?')}, {str(a.get('at', ''))[:10]}{ticket}"


def read_baseline(path: Path) -> dict[str, BaselineApp]:
    """The approved snapshots in ``path``, by app id; InputError when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--nocode-baseline {path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--nocode-baseline {path}:{exc.lineno}:{exc.colno}: invalid JSON: "
                         f"{exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA \
            or not isinstance(data.get("apps"), dict):
        raise InputError(f"--nocode-baseline {path}: expected a baseline written by "
                         f"pytest-nocode ({{\"schema\": \"{SCHEMA}\", \"apps\": {{…}}}})")
    out = {}
    for app_id, entry in data["apps"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("model"), dict):
            raise InputError(f"--nocode-baseline {path}: $.apps.{app_id}: expected an object "
                             "with sha256, tool_version, approved and model")
        approval = data.get("approval")
        out[app_id] = BaselineApp(app_id, str(entry.get("sha256", "")),
                                  str(entry.get("tool_version", "")),
                                  str(entry.get("approved", "")), entry["model"],
                                  approval if isinstance(approval, dict) else {})
    return out


def build_baseline(models: Mapping[str, tuple[Mapping[str, Any], str]],
                   approval: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The baseline document for ``{app id: (masked model, snapshot sha256)}``, with the
    sign-off (by, why, ticket, at) when someone approved it."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "pytest-nocode", "version": __version__},
        "created": now,
        "apps": {app_id: {"sha256": sha, "tool_version": __version__, "approved": now,
                          "model": model}
                 for app_id, (model, sha) in sorted(models.items())},
    }
    if approval:
        document["approval"] = dict(approval)
    return document


def serialize(document: Mapping[str, Any]) -> str:
    """The baseline file's text (its sha256 is what a sign-off records)."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_baseline(path: Path, document: Mapping[str, Any], replace: bool = False) -> None:
    """Write atomically, and never over an existing file unless ``replace`` (a sign-off): a
    baseline is approved, not refreshed by accident, so an existing file is an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(serialize(document), encoding="utf-8")
    if replace:
        tmp.replace(path)
        return
    try:
        os.link(tmp, path)  # fails if a baseline appeared meanwhile
    except FileExistsError:
        raise InputError(f"--nocode-baseline {path}: appeared during the run; not replaced"
                         ) from None
    finally:
        tmp.unlink()


# -- drift -----------------------------------------------------------------------------------
AREAS = ("principals", "grants", "shares", "connectors", "destinations", "entry_points",
         "credentials", "settings", "workflows", "steps")


@dataclass(frozen=True)
class Change:
    """One configuration value that differs from the baseline."""

    area: str  # one of AREAS
    change: str  # added | removed | changed | activated | deactivated
    key: str  # what identifies the item inside its area
    resource: Mapping[str, str]  # kind, id, name, path
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        what = {"principals": "principal", "grants": "grant", "shares": "share",
                "connectors": "connector", "destinations": "outbound destination",
                "entry_points": "entry point", "credentials": "credential",
                "settings": "setting", "workflows": "workflow", "steps": "node"}[self.area]
        if self.change == "changed" and self.area == "settings":
            return f"setting {self.key} changed: {_short(self.before)} → {_short(self.after)}"
        return f"{what} {self.key} {self.change} since the baseline"

    def evidence(self, baseline: BaselineApp) -> dict[str, Any]:
        return {"change": self.change, "area": self.area, "key": self.key,
                "before": _cut(self.before), "after": _cut(self.after),
                "baseline_sha256": baseline.sha256, "baseline_approved": baseline.approved,
                "baseline_approval": dict(baseline.approval) or None}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + f"…[{len(value)} chars]"
    if isinstance(value, dict):
        return {k: _cut(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut(v) for v in value]
    return value


def plain(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model as JSON would give it back (tuples as lists), so both sides compare equal."""
    return json.loads(canonical_json(model))


def _steps(model: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in model.get("steps", [])}


def _step_resource(step_id: str, *models: Mapping[str, Any]) -> dict[str, str]:
    for model in models:
        step = _steps(model).get(step_id)
        if step is not None:
            return {"kind": "node", "id": step_id, "name": step.get("name") or step.get("type", ""),
                    "path": step.get("path", "")}
    return {"kind": "node", "id": step_id, "name": step_id, "path": ""}


def _keyed(items: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str]
           ) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for item in items:
        out.setdefault(key(item), item)
    return out


def _compare(area: str, before: Mapping[str, Mapping[str, Any]],
             after: Mapping[str, Mapping[str, Any]],
             resource: Callable[[str, Mapping[str, Any]], Mapping[str, str]],
             fields: tuple[str, ...] | None = None) -> list[Change]:
    changes = []
    for key in sorted(after.keys() - before.keys()):
        changes.append(Change(area, "added", key, resource(key, after[key]), None,
                              dict(after[key])))
    for key in sorted(before.keys() - after.keys()):
        changes.append(Change(area, "removed", key, resource(key, before[key]),
                              dict(before[key]), None))
    for key in sorted(before.keys() & after.keys()):
        b, a = before[key], after[key]
        names = fields if fields is not None else tuple(sorted(set(b) | set(a)))
        diff_b = {n: b.get(n) for n in names if b.get(n) != a.get(n)}
        if diff_b:
            diff_a = {n: a.get(n) for n in diff_b}
            changes.append(Change(area, "changed", key, resource(key, a), diff_b, diff_a))
    return changes


def diff_models(before: Mapping[str, Any], after: Mapping[str, Any], *,
                already_plain: bool = False) -> list[Change]:
    """Every configuration difference between two ``App.to_dict()`` models (masked).

    ``already_plain`` skips the JSON round trip for models that are JSON data already (read
    from the baseline file, or passed through the redactor): a second on a 20,000-node app.
    """
    if not already_plain:
        before, after = plain(before), plain(after)
    changes: list[Change] = []

    def res(kind: str, prefix: str) -> Callable[[str, Mapping[str, Any]], dict[str, str]]:
        return lambda key, item: {"kind": kind, "id": str(item.get("id", key)),
                                  "name": str(item.get("name") or item.get("email") or key),
                                  "path": str(item.get("path") or f"{prefix}/{key}")}

    changes += _compare("principals", _keyed(before.get("principals", []), lambda p: p["id"]),
                        _keyed(after.get("principals", []), lambda p: p["id"]),
                        res("user", "principals"))

    def grant_key(g: Mapping[str, Any]) -> str:
        r = g.get("resource") or {}
        return f"{g.get('principal_id')} on {r.get('kind')} {r.get('id')}"

    def grant_resource(key: str, g: Mapping[str, Any]) -> dict[str, str]:
        return {"kind": "grant", "id": key, "name": key,
                "path": str((g.get("resource") or {}).get("path", ""))}

    changes += _compare("grants", _keyed(before.get("grants", []), grant_key),
                        _keyed(after.get("grants", []), grant_key), grant_resource)
    changes += _compare("shares", _keyed(before.get("shares", []), lambda s: s["id"]),
                        _keyed(after.get("shares", []), lambda s: s["id"]),
                        res("share", "shares"))
    changes += _compare("connectors",
                        _keyed(before.get("connectors", []), lambda c: c["type"]),
                        _keyed(after.get("connectors", []), lambda c: c["type"]),
                        lambda key, c: {"kind": "connector", "id": key, "name": key,
                                        "path": f"connectors/{c.get('package', '')}"},
                        fields=("package", "version", "builtin"))

    def dest_key(d: Mapping[str, Any]) -> str:
        host = d.get("host") or ""
        if d.get("dynamic") or not host:
            return f"{d.get('protocol')}://(dynamic, node {d.get('step_id')})"
        return f"{d.get('protocol')}://{host}"

    def dest_groups(model: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for d in model.get("destinations", []):
            g = groups.setdefault(dest_key(d), {"protocol": d.get("protocol"),
                                                "host": d.get("host"), "steps": [],
                                                "urls": []})
            g["steps"].append(d.get("step_id"))
            if d.get("url") and d["url"] not in g["urls"]:
                g["urls"].append(d["url"])
        return groups

    changes += _compare("destinations", dest_groups(before), dest_groups(after),
                        lambda key, g: _step_resource(g["steps"][0], after, before),
                        fields=("protocol", "host"))

    def entry_key(e: Mapping[str, Any]) -> str:
        return f"{e.get('kind')} {e.get('route')}"

    changes += _compare("entry_points", _keyed(before.get("entry_points", []), entry_key),
                        _keyed(after.get("entry_points", []), entry_key),
                        lambda key, e: _step_resource(e["step_id"], after, before),
                        fields=("authentication", "methods", "active"))
    changes += _compare("credentials", _keyed(before.get("credentials", []), lambda c: c["id"]),
                        _keyed(after.get("credentials", []), lambda c: c["id"]),
                        lambda key, c: {"kind": "credential", "id": key,
                                        "name": c.get("name") or key,
                                        "path": f"credentials/{key}"},
                        fields=("name", "type"))
    for c in _compare("settings", {k: {"value": v} for k, v in before.get("settings", {}).items()},
                      {k: {"value": v} for k, v in after.get("settings", {}).items()},
                      lambda key, _: {"kind": "setting", "id": key, "name": key,
                                      "path": f"settings/{key}"}):
        changes.append(Change(c.area, c.change, c.key, c.resource,
                              (c.before or {}).get("value"), (c.after or {}).get("value")))
    for c in _compare("workflows", _keyed(before.get("workflows", []), lambda w: w["id"]),
                      _keyed(after.get("workflows", []), lambda w: w["id"]),
                      res("workflow", "workflows"),
                      fields=("name", "active", "disabled", "tags", "settings")):
        if c.change == "changed" and set(c.before) <= {"active", "disabled"} \
                and "active" in c.before:
            c = Change(c.area, "activated" if c.after["active"] else "deactivated", c.key,
                       c.resource, c.before, c.after)
        changes.append(c)
    steps_b, steps_a = _steps(before), _steps(after)
    for c in _compare("steps", {k: _step_values(s) for k, s in steps_b.items()},
                      {k: _step_values(s) for k, s in steps_a.items()},
                      lambda key, _: _step_resource(key, after, before)):
        if c.change != "changed":  # a node added or removed: name it, do not dump it
            node = (steps_a if c.change == "added" else steps_b)[c.key]
            summary = {"type": node.get("type"), "name": node.get("name"),
                       "workflow_id": node.get("workflow_id")}
            c = Change(c.area, c.change, c.key, c.resource,
                       None if c.change == "added" else summary,
                       None if c.change == "removed" else summary)
        changes.append(c)
    return changes


def _step_values(step: Mapping[str, Any]) -> dict[str, Any]:
    """A node's configuration values, flat: ``params.<key>`` plus type, name and wiring.

    ``disabled`` is left out: it is derived from the workflow too, and a workflow switched
    off is reported once as deactivated, not again for each of its nodes (a node's own
    switch is in its params).
    """
    values = {f"params.{k}": v for k, v in (step.get("params") or {}).items()}
    values.update({"type": step.get("type"), "name": step.get("name"),
                   "outbound": step.get("outbound")})
    return values


# -- key risk indicators ---------------------------------------------------------------------
PERMISSION_AREAS = ("principals", "grants", "shares")
NEEDS_BASELINE = ("permission_changes", "new_external_destinations",
                  "new_unauthenticated_entry_points")


def is_external(host: str, internal: Callable[[str], bool]) -> bool:
    return not host or not (is_loopback_host(host) or internal(host))


def opens_new_access(change: Change, internal: Callable[[str], bool]) -> bool:
    """A new connector, a new external destination, or an entry point newly open without
    authentication: these fail until someone signs off (``pytest-nocode approve``), whatever
    the fail-on threshold."""
    if change.area == "connectors":
        return change.change == "added"
    if change.area == "destinations":
        return change.change == "added" and is_external(
            (change.after or {}).get("host") or "", internal)
    if change.area == "entry_points":
        opened = (change.after or {}).get("authentication", "n/a") in (None, "none")
        return (change.change == "added" and opened) or (
            change.change == "changed" and "authentication" in (change.after or {}) and opened)
    return False


def measure(indicator: str, changes: list[Change], internal: Callable[[str], bool],
            secrets_count: int) -> tuple[int, list[str]]:
    """(value, the items counted) of one key risk indicator."""
    if indicator == "permission_changes":
        items = [f"{c.area}: {c.key} {c.change}" for c in changes if c.area in PERMISSION_AREAS]
    elif indicator == "new_external_destinations":
        items = [c.key for c in changes if c.area == "destinations" and c.change == "added"
                 and is_external((c.after or {}).get("host") or "", internal)]
    elif indicator == "new_unauthenticated_entry_points":
        items = []
        for c in changes:
            if c.area != "entry_points":
                continue
            after_auth = (c.after or {}).get("authentication", "n/a")
            if c.change == "added" and after_auth in (None, "none"):
                items.append(f"{c.key} (authentication {after_auth or 'unknown'})")
            elif c.change == "changed" and "authentication" in (c.after or {}) \
                    and after_auth in (None, "none"):
                items.append(f"{c.key} (authentication {c.before['authentication']} → "
                             f"{after_auth or 'unknown'})")
    elif indicator == "secrets_count":
        return secrets_count, []
    else:
        raise KeyError(indicator)
    return len(items), items
