"""Secrets: credentials, keys and tokens written into the configuration itself.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.model import Step, is_loopback_host, split_url
from pytest_nocode.platforms.n8n_logs import logged_secrets
from pytest_nocode.redaction import mask
from pytest_nocode.secretscan import CRITICAL_KINDS, find_secrets


@check(
    "SEC001",
    title="Hard-coded credential in configuration",
    category="secrets",
    severity="high",
    rationale="""
        A password, API key or token typed into a node's configuration travels with every
        export, backup, screenshot and version-control commit of the flow, is readable by
        everyone who can open the editor, and cannot be rotated without editing the flow.
        Node-RED keeps real credentials encrypted in flows_cred.json and n8n in its credential
        store; values in node properties, headers, change rules, code and URLs bypass both,
        and so does a password a login check compares with in code or in a switch or If
        condition, or a stream URL whose random path is its access token.
    """,
    remediation="""
        Revoke and rotate the exposed value first: it must be considered leaked. Then move it
        into the platform's credential store (Node-RED node credentials or an env variable of
        type "cred"; n8n credentials) or an environment variable (Node-RED `env.get("X")` /
        typed input "env", n8n `$env.X`), and reference it from the node.
    """,
    requires=("workflows",),
)
def test_no_hardcoded_credentials(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for hit in find_secrets(nocode_app):
        step = nocode_app.step(hit.step_id)
        if step is None:  # find_secrets only walks the app's steps; guard anyway
            continue
        if nocode_app.own_package is not None and talks_only_to_loopback(step):
            continue  # a package example's demo values for its author's local test server
        evidence = {"field": hit.field, "kind": hit.kind, "value": mask(hit.value),
                    "type": step.type}
        also = ""
        if len(hit.fields) > 1:  # one value repeated in several fields is one secret
            evidence["fields"] = list(hit.fields)
            also = f" (and {len(hit.fields) - 1} more field{'s' * (len(hit.fields) > 2)})"
        nocode_findings.add(
            step,
            f"{hit.kind} written into {hit.field}{also}",
            evidence,
            severity="critical" if hit.kind in CRITICAL_KINDS else None,
        )


def talks_only_to_loopback(step: Step) -> bool:
    """Are all the URLs a step's own settings name (``access_token_url``, ``url``) on this
    machine, and is there one? A node package's own example set against a server its author
    ran locally (``http://localhost:8088/v1/oauth/tokens``) ships that server's demo values:
    nothing beyond that machine takes them. Only package examples: a deployment's local
    database password is still a password."""
    hosts = [split_url(v)[1] for v in step.params.values()
             if isinstance(v, str) and "://" in v[:12]]
    return bool(hosts) and all(h and is_loopback_host(h) for h in hosts)


@check(
    "SEC002",
    title="Secret printed to the log",
    category="secrets",
    severity="medium",
    rationale="""
        A Code node that prints a token or password (console.log of an environment value
        named as a secret, of a credential, or of a variable set from one) writes it to the
        n8n server's log and to the browser console of whoever runs the workflow in the
        editor. Logs are kept, shipped and read far more widely than the credential store or
        the environment the secret was kept in.
    """,
    remediation="""
        Remove the console call (or print only that the value is set, never the value), then
        rotate the secret if the logs may have been read: it must be considered leaked.
    """,
    requires=("workflows",),
    platforms=("n8n",),
)
def test_no_secret_printed_to_log(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for step in nocode_app.steps:
        if step.disabled:
            continue
        for logged in logged_secrets(step):
            nocode_findings.add(
                step, f"code prints {logged.secret} to the log ({logged.field} line "
                f"{logged.line})",
                {"field": logged.field, "line": logged.line, "printed": logged.secret,
                 "type": step.type})
