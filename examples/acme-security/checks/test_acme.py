"""Acme's own checks: plain pytest tests using pytest-nocode's fixtures and check API."""

from __future__ import annotations

import re

from pytest_nocode import App, FindingCollector, check


@check("ACME-001", title="Debug nodes left in production flows", category="logging",
       severity="low", remediation="Remove debug nodes or disable them before deploying.")
def test_no_active_debug_nodes(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for step in nocode_app.steps_of_type("debug"):
        if step.params.get("active", True) and step.params.get("complete") == "true":
            nocode_findings.add(step, "debug node prints whole messages to the sidebar",
                                {"complete": step.params.get("complete")})


SLACK_HOOK = re.compile(r"hooks\.slack\.com/services/(T[A-Z0-9]+)/")


@check("ACME-002", title="Slack webhook to an unapproved workspace", category="exports",
       severity="medium", remediation="Post only to the approved Acme workspace.")
def test_slack_webhooks_go_to_approved_workspaces(
        nocode_app: App, nocode_findings: FindingCollector,
        approved_slack_workspaces: set[str]) -> None:
    for dest in nocode_app.destinations:
        match = SLACK_HOOK.search(dest.url)
        if match and match.group(1) not in approved_slack_workspaces:
            nocode_findings.add(nocode_app.resource_of(dest.step_id),
                                f"posts to Slack workspace {match.group(1)}",
                                {"workspace": match.group(1)})
