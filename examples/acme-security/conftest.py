"""Team-wide fixtures and hooks for Acme's no-code checks."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def approved_slack_workspaces() -> set[str]:
    """Slack workspaces the data-protection office approved for notifications."""
    return {"T0ACME001"}


def pytest_nocode_report(report: dict[str, Any]) -> None:
    """Stamp the findings report with the team that owns this scan."""
    report["run"]["team"] = "acme-security"
