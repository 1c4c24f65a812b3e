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


def test_example_sharded_workflow_merges_into_the_unsharded_report(
        pytester: pytest.Pytester) -> None:
    """What nocode-sharded.yml does, job by job: each matrix shard runs the repo's pytest
    with --nocode-shard, the last job merges the artifacts into what nocode.yml reports."""
    import yaml

    from pytest_nocode.cli import main

    shutil.copytree(REPO / "examples" / "acme-security", pytester.path, dirs_exist_ok=True)
    workflow = yaml.safe_load((pytester.path / ".github" / "workflows" /
                               "nocode-sharded.yml").read_text(encoding="utf-8"))
    scan, merge_job = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    shards = scan["strategy"]["matrix"]["shard"]
    command = next(s["run"] for s in scan["steps"] if "--nocode-shard" in s.get("run", ""))
    assert "--nocode-shard=${{ matrix.shard }}/${{ strategy.job-total }}" in command
    assert merge_job["needs"] == "scan"
    assert any(s.get("run") == "pytest-nocode merge merged/ shards/*"
               for s in merge_job["steps"])
    pytester.runpytest("-p", "no:cacheprovider")
    whole = json.loads((pytester.path / "reports" / "findings.json").read_text())
    folders = []
    for shard in shards:
        folder = pytester.path / "shards" / f"nocode-shard-{shard}"
        pytester.runpytest("-p", "no:cacheprovider", f"--nocode-shard={shard}/{len(shards)}",
                           f"--nocode-json={folder / 'findings.json'}",
                           f"--nocode-sarif={folder / 'findings.sarif'}")
        folders.append(str(folder))
    assert main(["merge", str(pytester.path / "merged"), *folders]) == 1
    merged = json.loads((pytester.path / "merged" / "findings.json").read_text())
    assert merged["findings"] == whole["findings"] and merged["top_risks"] == whole["top_risks"]
    assert merged["run"]["team"] == "acme-security"  # the conftest hook's, from every shard
    assert sorted(a["id"] for a in merged["apps"]) == sorted(a["id"] for a in whole["apps"])
