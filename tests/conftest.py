"""Shared helpers for the plugin's own tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
DEMO = REPO / "src" / "pytest_nocode" / "demo"


def node(nid: str, ntype: str, z: str = "t1", wires: list[list[str]] | None = None,
         **params: Any) -> dict[str, Any]:
    """A Node-RED node as flows.json stores it."""
    out: dict[str, Any] = {"id": nid, "type": ntype, "z": z, "name": params.pop("name", ""),
                           "x": 100, "y": 100, **params}
    if wires is not None:
        out["wires"] = wires
    return out


def tab(tid: str = "t1", label: str = "Flow 1") -> dict[str, Any]:
    return {"id": tid, "type": "tab", "label": label, "disabled": False, "info": ""}


@pytest.fixture
def write_flows(tmp_path: Path):
    """Write a flows.json made of the given nodes; returns its path."""

    def write(nodes: list[dict[str, Any]], name: str = "flows.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(nodes, indent=2), encoding="utf-8")
        return path

    return write


def run_json(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    """Run pytest in the pytester folder with a findings report; return result and report."""
    report = pytester.path / "findings.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--nocode-json={report}", *args)
    data = json.loads(report.read_text()) if report.exists() else {}
    return result, data
