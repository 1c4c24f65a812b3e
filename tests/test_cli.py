"""The ``pytest-nocode`` command: scan (built-ins only, from any folder) and rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_nocode.cli import builtin_rules, main


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_nocode.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_scan_runs_only_the_builtin_checks_and_passes_options_on(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    assert False\n")
    (tmp_path / "conftest.py").write_text("raise RuntimeError('conftest must not load')\n")
    done = _cli("scan", "demo", "-q", "--nocode-json=out/findings.json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "test_mine" not in done.stdout
    assert "FAILED pytest_nocode/checks/test_secrets.py::test_no_hardcoded_credentials" \
        "[demo-nodered]" in done.stdout
    report = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert {a["id"] for a in report["apps"]} == {"demo-nodered", "demo-n8n"}
    assert not list(tmp_path.glob(".pytest_cache"))


def test_scan_clean_app_exits_zero_and_bad_uri_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "flows.json").write_text('[{"id": "t", "type": "tab", "label": "x"}]')
    assert _cli("scan", "nodered+file:flows.json", "-q", cwd=tmp_path).returncode == 0
    bad = _cli("scan", "nope://x", cwd=tmp_path)
    assert bad.returncode == 4 and "unknown platform" in bad.stderr


def test_rules_lists_every_builtin_rule(capsys: pytest.CaptureFixture[str]) -> None:
    rules = builtin_rules()
    ids = [r.id for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {"DRIFT001", "DRIFT010", "KRI001", "SEC001"} <= set(ids)
    assert main(["rules"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == len(rules) and text[0].split()[0] == ids[0]
    assert main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data] == ids and all(r["remediation"] for r in data)
    assert main(["rules", "--format", "markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| rule |") and len(table) == len(rules) + 2
    assert main(["rules", "-v"]) == 0
    assert "fix: " in capsys.readouterr().out


def test_unknown_options_outside_scan_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["rules", "--bogus"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_readme_lists_every_rule() -> None:
    """The README's rule table is the one `pytest-nocode rules` prints: docs cannot drift."""
    import subprocess
    import sys

    from tests.conftest import REPO

    table = subprocess.run([sys.executable, "-m", "pytest_nocode.cli", "rules", "--format",
                            "markdown"], capture_output=True, text=True, check=True).stdout
    assert table.strip() in (REPO / "README.md").read_text()
