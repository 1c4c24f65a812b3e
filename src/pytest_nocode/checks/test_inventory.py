"""Inventory: does every asset have an owner, and is nothing stale still holding access?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re

from pytest_nocode import App, FindingCollector, Resource, check, not_applicable
from pytest_nocode.checks.test_connectors import UNKNOWN_MODULE
from pytest_nocode.model import BrokenLink, name_node_ids
from pytest_nocode.policy import Policy

# the ids an instance gives stored credentials: 16 letters and digits (n8n 1.x), or a number
# (older n8n); placeholders and expressions match neither
STORED_CREDENTIAL_ID = re.compile(r"[A-Za-z0-9]{16}|[0-9]+")


@check(
    "INV001",
    title="Workflow without an owner",
    category="inventory",
    severity="low",
    owasp=["LCNC-SEC-09"],
    rationale="""Nobody reviews, patches or retires what nobody owns; the policy's ownership map
    should name an owner for every workflow.""",
    remediation="Add an owners entry (by app, workflow or tag) to the policy.",
    requires=("workflows",),
    needs=("owners",),
)
def test_workflows_have_owners(nocode_app: App, nocode_findings: FindingCollector,
                               nocode_policy: Policy) -> None:
    if lacking := nocode_policy.lacks("owners"):  # as the plugin decides from needs
        not_applicable(lacking)
    for wf in nocode_app.workflows:
        if wf.kind == "subflow":
            continue
        if not nocode_policy.owner_for(nocode_app.id, wf.name, wf.tags):
            nocode_findings.add(wf, "no owner in the policy's ownership map",
                                {"workflow": wf.name, "tags": list(wf.tags)})


@check(
    "INV002",
    title="Inactive workflow still holds credentials",
    category="inventory",
    severity="low",
    owasp=["LCNC-SEC-09"],
    rationale="""Inactive or archived workflows that keep credential references are forgotten
    access paths: anyone who re-activates them inherits the access.""",
    remediation="Delete stale workflows, or remove their credentials until they are needed.",
    requires=("workflows",),
    platforms=("n8n",),
)
def test_inactive_workflows_hold_no_credentials(nocode_app: App,
                                                nocode_findings: FindingCollector) -> None:
    """Only workflows whose inactive flag is the instance's count: those the data dates
    (``updatedAt``) or that are the instance's own download; an inactive flag in a template or
    a hand-edited collection says nothing about what an instance left switched off. In an
    undated download only references to stored credentials count: a placeholder id
    (``REPLACE_WITH_CREDENTIAL_ID``, an expression) says the file was prepared for sharing."""
    holding: dict[str, set[str]] = {}
    for step in nocode_app.steps:
        if step.credential_refs:
            holding.setdefault(step.workflow_id, set()).update(step.credential_refs)
    in_use = _called_by_running_workflows(nocode_app)
    stale = [wf for wf in nocode_app.workflows
             if (wf.active is False or wf.disabled) and holding.get(wf.id)
             and (wf.id not in in_use or wf.disabled)]  # an archived one runs for no one
    instance_state = [wf for wf in stale if wf.updated or (wf.downloaded and any(
        STORED_CREDENTIAL_ID.fullmatch(c) for c in holding[wf.id]))]
    if stale and not instance_state:
        not_applicable(f"{len(stale)} inactive workflow(s) hold credentials, but none carries "
                       "the instance's updatedAt or is the instance's own download: a template "
                       "or edited export, whose inactive flag is not the instance's state")
    named: dict[str, list[str]] = {}  # credential id → names (looked up, not scanned)
    for credential in nocode_app.credentials:
        named.setdefault(credential.id, []).append(credential.name)
    for wf in instance_state:
        refs = holding[wf.id] if wf.updated else {
            c for c in holding[wf.id] if STORED_CREDENTIAL_ID.fullmatch(c)}
        names = sorted(name for c in refs for name in named.get(c, ()))
        nocode_findings.add(wf, f"inactive workflow references {len(names)} credential(s)",
                            {"credentials": names, "active": wf.active,
                             "archived": wf.disabled, "last_saved": wf.updated or None})


def _called_by_running_workflows(app: App) -> set[str]:
    """Workflows an active workflow runs as its part (n8n's Execute Workflow, an agent's
    workflow tool), directly or through other such parts: a sub-workflow runs when called
    whatever its own active flag says, so its credentials are in use, not left behind."""
    running = {wf.id for wf in app.workflows if wf.active is True and not wf.disabled}
    used: set[str] = set()
    callers = running
    while callers:
        called = {target.workflow_id for step in app.steps if step.workflow_id in callers
                  and not step.disabled for t in step.outbound
                  if (target := app.step(t)) is not None and target.workflow_id != step.workflow_id}
        callers = called - used - running
        used |= called
    return used - running


@check(
    "INV003",
    title="Node type from an unidentified module",
    category="inventory",
    severity="low",
    owasp=["LCNC-SEC-09", "LCNC-SEC-07"],
    rationale="""The live instance (GET /nodes) lists every installed module, yet some node types
    of the flows belong to none of them: types that are not installed, whose versions,
    advisories and licence cannot be checked. An export names modules only in the Export
    dialog's global-config (then every type belongs to one of them); a bare flows.json names
    none, and there the check is not applicable (CON001 still asks about the types).""",
    remediation="Install or remove the node types the instance does not know, or scan the live "
                "instance, whose GET /nodes names every type's module.",
    requires=("workflows",),
    platforms=("nodered",),
)
def test_node_modules_identified(nocode_app: App, nocode_findings: FindingCollector,
                                 nocode_policy: Policy) -> None:
    unknown = [c for c in nocode_app.connectors if c.package == UNKNOWN_MODULE
               and not nocode_policy.connector_allowed(c.type, "")]
    if not unknown:
        return
    counts = {c.type: len(c.used_by) for c in sorted(unknown, key=lambda c: -len(c.used_by))}
    shown = ", ".join(list(counts)[:5]) + (f" and {len(counts) - 5} more"
                                           if len(counts) > 5 else "")
    if not nocode_app.has("modules"):
        if nocode_app.modules:
            return  # the export's global-config names every module in use (CON001 asks)
        not_applicable(f"{nocode_app.id} names no modules (a flows.json without the Export "
                       f"dialog's global-config): the modules of {len(counts)} node type(s) "
                       f"cannot be told ({shown})")
    nocode_findings.add(
        Resource("app", nocode_app.id, nocode_app.name, "connectors"),
        f"{len(counts)} node type(s) belong to no module the instance has installed "
        f"({shown})", {"types": counts, "used_by": [s for c in unknown for s in c.used_by][:50]})


@check(
    "INV004",
    title="Invited user never joined",
    category="inventory",
    severity="low",
    owasp=["LCNC-SEC-09"],
    rationale="""Pending invitations are open doors: whoever gets the invite link first gets the
    account and its role.""",
    remediation="Revoke invitations that were not accepted within a few days.",
    requires=("principals",),
)
def test_no_pending_invitations(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for principal in nocode_app.principals:
        if principal.kind == "user" and principal.active is False:
            nocode_findings.add(principal, "invitation pending, account not activated",
                                {"roles": list(principal.roles)})


@check(
    "INV005",
    title="Connection to a node that is not in the export",
    category="inventory",
    severity="info",
    owasp=["LCNC-SEC-09"],
    rationale="""A wire or connection that names a node the export does not contain (deleted,
    renamed, or cut out when the export was edited) leaves a gap: whatever the missing node does
    with the data is not analysed, so the other checks' verdicts are incomplete there.""",
    remediation="Export the whole workflow again from the platform (or reconnect or remove the "
                "dangling connection in the editor) and scan once more.",
    requires=("workflows",),
)
def test_connections_point_at_existing_nodes(nocode_app: App,
                                             nocode_findings: FindingCollector) -> None:
    by_workflow: dict[str, list[BrokenLink]] = {}
    for link in nocode_app.broken_links:
        by_workflow.setdefault(link.workflow_id, []).append(link)
    for workflow_id, links in by_workflow.items():
        missing = sorted({link.missing_name for link in links})
        senders = sorted({link.source for link in links if link.missing == "target"})
        workflow = nocode_app.workflow(workflow_id)
        target = workflow.resource if workflow is not None else Resource(
            "app", nocode_app.id, nocode_app.name, "config")
        shown = ", ".join(repr(m) for m in missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        # an edited n8n export may name nodes by id where n8n connects by name
        by_id = nocode_app.platform == "n8n" and name_node_ids(
            links, (s.native_id or s.id for s in nocode_app.steps_in(workflow_id)))
        why = ("they name nodes by id, but n8n connects nodes by name, so it does not follow "
               "them either" if by_id else
               "if the export was cut, what they do is not analysed")
        nocode_findings.add(
            target, f"{len(links)} connection(s) point at {len(missing)} node(s) not in the "
            f"export ({shown}): {why}",
            {"missing": missing[:50], "from": [nocode_app.resource_of(s).id
                                               for s in senders][:50],
             "via": sorted({link.via for link in links}), "names_node_ids": by_id})
