"""Shared helpers for the plugin's own tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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


# -- committed cassettes must be obviously safe ----------------------------------------------
# What generic secret scanners match (the repository's pre-stop hook, GitHub push protection,
# gitleaks, detect-secrets): none of it may appear in a cassette, not even as a look-alike.
GENERIC_SECRET_PATTERNS = tuple(re.compile(p) for p in (
    r"AKIA[0-9A-Z]{16}",
    r"sk-(proj|live)-[A-Za-z0-9]{20,}",
    r"xox[abp]-[0-9A-Za-z-]{10,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY",
    r"ghp_[A-Za-z0-9]{36}",
    r"sk_live_[A-Za-z0-9]{20,}",
    r"AIza[0-9A-Za-z_-]{35}",
    r"-----BEGIN",
))


def assert_obviously_safe(text: str, where: str) -> None:
    """No generic scanner flags the cassette, and every placeholder in it is explained by its
    manifest (kind, length, prefix: nothing a report's mask does not show)."""
    from pytest_nocode import placeholders

    flagged = [(p.pattern, m.group(0)[:6] + "…") for p in GENERIC_SECRET_PATTERNS
               for m in p.finditer(text)]
    assert flagged == [], f"{where}: a generic secret scanner would flag {flagged}"
    data = yaml.safe_load(text)
    manifest = placeholders.parse_manifest(data.get(placeholders.MANIFEST_KEY))
    for entry in (data.get(placeholders.MANIFEST_KEY) or {}).values():
        assert set(entry) == {"kind", "length", "prefix"}, where
        assert len(entry["prefix"]) == (0 if entry["length"] < 16 else 4), where
    assert placeholders.unlisted(text, manifest) == [], where


@pytest.fixture(autouse=True)
def _cassettes_written_are_obviously_safe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every cassette any test writes (directly or through pytester) is checked when the
    test ends, like the committed ones."""
    from pytest_nocode.recording import ScrubbingPersister

    written: list[Path] = []
    save = ScrubbingPersister.save_cassette

    def watched(self: ScrubbingPersister, cassette_path: Any, *args: Any, **kwargs: Any) -> None:
        save(self, cassette_path, *args, **kwargs)
        written.append(Path(cassette_path))

    monkeypatch.setattr(ScrubbingPersister, "save_cassette", watched)
    yield
    for path in dict.fromkeys(written):
        if path.is_file():
            assert_obviously_safe(path.read_text(encoding="utf-8"), str(path))
