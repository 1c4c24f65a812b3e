"""Small helpers several built-in checks share (kept out of the public API on purpose)."""

from __future__ import annotations

from pytest_nocode.findings import not_applicable
from pytest_nocode.model import App, Setting, Step

# Step types where data from outside enters a flow without an EntryPoint of its own.
SUBSCRIPTION_TYPES = ("mqtt in", "n8n-nodes-base.mqttTrigger", "n8n-nodes-base.emailReadImap",
                      "n8n-nodes-base.rabbitmqTrigger", "n8n-nodes-base.kafkaTrigger")


def setting_or_skip(app: App, key: str) -> Setting:
    """The instance setting, or the check ends as not applicable (never as passed)."""
    setting = app.setting(key)
    if setting is None:
        not_applicable(f"{app.id} does not report the setting {key!r}")
    assert setting is not None
    return setting


def untrusted_sources(app: App) -> dict[str, str]:
    """Steps where outside data enters → a short description of how it enters."""
    sources: dict[str, str] = {}
    for ep in app.entry_points:
        if ep.active is False:
            continue
        how = f"{ep.kind} {ep.route}".strip()
        sources[ep.step_id] = how
        for user in app.users_of(ep.step_id):
            sources[user.id] = how
    for step in app.steps_of_type(*SUBSCRIPTION_TYPES):
        sources.setdefault(step.id, f"{step.type} {step.params.get('topic', '')}".strip())
    return sources


# n8n 2 loads no Execute Command (nor Local File Trigger) node unless NODES_EXCLUDE is changed.
N8N2_EXCLUDED = ("n8n-nodes-base.executeCommand", "n8n-nodes-base.localFileTrigger")


def step_context(app: App, step: Step) -> dict[str, str]:
    """What the platform's defaults say about whether ``step`` runs, for a finding's evidence:
    {} when they say nothing."""
    workflow = app.workflow(step.workflow_id)
    if app.platform != "n8n" or workflow is None or not workflow.version \
            or step.type not in N8N2_EXCLUDED:
        return {}  # workflow.version: n8n 2 (it keeps drafts), where the default applies
    how = ("it is active, so this instance allows the node" if workflow.active
           else "it cannot be activated until the instance allows the node")
    return {"context": f"n8n 2 excludes {step.type.rsplit('.', 1)[-1]} by default "
                       f"(NODES_EXCLUDE): {how}"}
