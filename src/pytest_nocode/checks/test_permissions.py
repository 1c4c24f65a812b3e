"""Permissions: who can see or change what, and is anything shared too widely?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check

ADMIN_WORDS = ("owner", "admin")


@check(
    "PERM001",
    title="Shared with the public or by open link",
    category="permissions",
    severity="high",
    owasp=["LCNC-SEC-02", "LCNC-SEC-03"],
    rationale="""Public and link shares hand the data to anyone who finds or forwards the link,
    with no identity behind the access.""",
    remediation="Restrict the share to named people or the organisation's domain, add a "
                "password, and turn off downloads.",
    requires=("shares",),
)
def test_no_public_shares(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for share in nocode_app.shares:
        if share.audience in ("public", "link") and not share.password_protected:
            nocode_findings.add(share.resource, f"shared by {share.audience} link without a "
                                "password", {"share": share.id, "audience": share.audience,
                                             "downloads": share.allows_download})


@check(
    "PERM002",
    title="Too many administrators",
    category="permissions",
    severity="medium",
    owasp=["LCNC-SEC-02"],
    rationale="""Every owner or admin can change every workflow and credential; their number
    should stay small and known.""",
    remediation="Demote administrators who do not need instance-wide rights.",
    requires=("principals",),
)
def test_few_administrators(nocode_app: App, nocode_findings: FindingCollector) -> None:
    admins = [p for p in nocode_app.principals
              if p.active is not False and any(w in r.lower() for r in p.roles
                                               for w in ADMIN_WORDS)]
    limit = 3
    if len(admins) > limit:
        for principal in admins:
            nocode_findings.add(principal, f"one of {len(admins)} administrators "
                                f"(limit {limit})", {"roles": list(principal.roles)})
