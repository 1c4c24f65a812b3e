"""A workflow call whose id is still a fill-in (``PASTE_YOUR_WORKFLOW_ID_HERE``,
``YOUR_CREATE_APPOINTMENT_WORKFLOW_ID``) runs nothing as exported: n8n finds no workflow by
that id, as a request to a placeholder host goes nowhere. An agent whose only such tool is
one to fill in has no tool that acts (INJ003 quiet); the same tool naming a real workflow id
the export does not hold may do anything and is reported."""

from __future__ import annotations

import pytest

from tests.checkrun import findings_of
from tests.rules import INJ003
from tests.test_checks_n8n import n8n_node
from tests.test_dataflow_agents import LC, _agent_with_tools, _telegram, app_of


@pytest.mark.parametrize(("workflow_id", "fires"), [
    ({"__rl": True, "value": "PASTE_YOUR_WORKFLOW_ID_HERE", "mode": "id"}, False),
    ("YOUR_CREATE_APPOINTMENT_WORKFLOW_ID", False),
    ({"__rl": True, "value": "REPLACE_WITH_WORKFLOW_03_ID", "mode": "id"}, False),
    ({"__rl": True, "value": "Kq7ZtR2vW9yX1aBc", "mode": "list"}, True),
    ("={{ $json.workflow }}", True),
])
def test_a_tool_calling_a_fill_in_workflow_does_not_act(workflow_id: object,
                                                        fires: bool) -> None:
    tool = n8n_node("Booking notify", LC + "toolWorkflow",
                    {"description": "Send a booking request to the team",
                     "workflowId": workflow_id}, version=2)
    app = app_of(_agent_with_tools(_telegram(), tool))
    assert len(findings_of(INJ003, app)) == (1 if fires else 0)
