"""The team repo in examples/ works as documented."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO


def test_example_team_repo(pytester: pytest.Pytester) -> None:
    shutil.copytree(REPO / "examples" / "acme-security", pytester.path, dirs_exist_ok=True)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "reports" / "findings.json").read_text())
    assert report["run"]["team"] == "acme-security"  # the conftest hook enriched it
    assert report["run"]["policy"] == "policy.yaml"
    acme = {(f["rule"], f["app"], f["resource"]["id"]) for f in report["findings"]
            if f["rule"].startswith("ACME")}
    assert ("ACME-001", "nodered-flows", "c3d2e4f5a6b7c819") in acme
    assert ("ACME-002", "nodered-flows", "d4c3f5a6b7c8d92a") in acme
    severities = {f["rule"]: f["severity"] for f in report["findings"]}
    assert severities.get("LOG002", "info") == "info"  # the policy's override
    assert (pytester.path / "reports" / "findings.sarif").is_file()
