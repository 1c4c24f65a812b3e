"""What changed in the threat model since the approved baseline (``--nocode-baseline``).

A baseline keeps the normalized model (``App.to_dict()``), not the adapter's description of how
data passes each step, so both sides are drawn at workflow level without the data-flow engine's
detail: ids of entry points, flows, crossings and threats then mean the same on both sides.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

from pytest_nocode.model import (
    App,
    Credential,
    DataStore,
    Destination,
    DraftChange,
    EntryPoint,
    Step,
    Workflow,
)
from pytest_nocode.threatmodel.build import build_threat_model
from pytest_nocode.threatmodel.model import ModelChanges, ThreatModel

_TYPES: Mapping[str, type] = {"workflows": Workflow, "steps": Step, "entry_points": EntryPoint,
                              "destinations": Destination, "stores": DataStore,
                              "credentials": Credential}


def _item(kind: type, data: Mapping[str, Any]) -> Any:
    known = {f.name for f in fields(kind)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    if kind is Workflow:
        values["draft_changes"] = tuple(DraftChange(**d) for d in data.get("draft_changes", ()))
    return kind(**values)


def app_from_dict(data: Mapping[str, Any]) -> App:
    """The parts of an App a threat model needs, from ``App.to_dict()`` (a baseline's model)."""
    parts = {name: tuple(_item(kind, d) for d in data.get(name, ()) if isinstance(d, dict))
             for name, kind in _TYPES.items()}
    return App(str(data.get("id", "")), str(data.get("platform", "")), str(data.get("name", "")),
               frozenset(data.get("facets", ())), **parts)


def _ids(model: ThreatModel) -> dict[str, set[str]]:
    return {"entry_points": {e.id for e in model.entry_points},
            "flows": {f.id for f in model.flows},
            "crossings": {f"{f.id} crosses {b}" for f in model.flows for b in f.crosses},
            "threats": {t.id for t in model.threats}}


def model_changes(before: Mapping[str, Any], after: App, zone_of: Callable[[str], str],
                  baseline: str) -> ModelChanges:
    """Entry points, flows, boundary crossings and threats added or removed since ``before``
    (a baseline's model of the app), both drawn at workflow level."""
    old = _ids(build_threat_model(app_from_dict(before), zone_of, level="workflow"))
    new = _ids(build_threat_model(replace(after, flow_of=None), zone_of, level="workflow"))

    def diff(key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(new[key] - old[key])), tuple(sorted(old[key] - new[key]))

    (ae, re_), (af, rf), (ac, rc), (at, rt) = (diff(k) for k in
                                               ("entry_points", "flows", "crossings", "threats"))
    return ModelChanges(baseline, ae, re_, af, rf, ac, rc, at, rt)
