"""The findings report as a SARIF 2.1.0 log, for code-scanning dashboards (contract, section 1).

It reads only the findings report (``build_report``'s dict) and the rules' metadata, so what a
SARIF consumer sees is exactly what the JSON report says: no second source of truth. No-code
apps have no source lines, so results carry *logical* locations (app and resource path); a
physical location is added only where the app came from a repository-relative file.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pytest_nocode.findings import OWASP_TITLES

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
SARIF_VERSION = "2.1.0"
TOOL_NAME = "pytest-nocode"
INFORMATION_URI = "https://github.com/pytest-nocode/pytest-nocode"
FINGERPRINT_KEY = "nocodeFinding/v1"

# SARIF has three result levels; our five severities fold into them.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}
# GitHub code scanning ranks security alerts by this CVSS-like number (critical > 9.0,
# high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9); it must be a string.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "0.0"}
# Our resource kinds, as the nearest well-known SARIF logicalLocation kind (spec 3.33.7).
LOGICAL_KINDS = {
    "node": "function",  # a step that processes messages
    "step": "function",
    "workflow": "module",  # a container of steps
    "flow": "module",
    "tab": "module",
    "subflow": "module",
    "module": "module",  # an installed package
    "package": "module",
    "connector": "type",  # a node type offered by a package
    "setting": "property",
    "app": "namespace",
    "instance": "namespace",
    "environment": "namespace",
}
DEFAULT_LOGICAL_KIND = "resource"


def build_sarif(report: Mapping[str, Any], rules: Mapping[str, Mapping[str, Any]]
                ) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run holding every finding of ``report``.

    ``rules`` maps rule id to the plugin's rule metadata (``_rule_json``); rules that ran without
    findings still get a descriptor so dashboards can list what was checked.
    """
    findings: list[Mapping[str, Any]] = list(report.get("findings") or [])
    descriptors = _descriptors(findings, rules)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    apps = list(report.get("apps") or [])
    artifacts = _app_artifacts(apps)
    identities = Counter(_identity(f) for f in findings)
    results = [_result(f, index[f["rule"]], artifacts.get(f.get("app", "")),
                       shared=identities[_identity(f)] > 1) for f in findings]

    run_info = report.get("run") or {}
    started = _utc(run_info.get("started"))
    finished = _utc(run_info.get("finished"))
    invocation: dict[str, Any] = {"executionSuccessful": not any(a.get("error") for a in apps)}
    if started:
        invocation["startTimeUtc"] = started
    if finished:
        invocation["endTimeUtc"] = finished
    notifications = [
        {"level": "error", "message": {"text": f"could not load app {a.get('id')}: {a['error']}"}}
        for a in apps if a.get("error")
    ]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    tool = report.get("tool") or {}
    driver: dict[str, Any] = {"name": TOOL_NAME, "informationUri": INFORMATION_URI,
                              "rules": descriptors}
    if tool.get("version"):
        driver["version"] = str(tool["version"])
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{TOOL_NAME}/{run_info.get('started') or 'unknown'}"},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "apps": [_app_properties(a) for a in apps],
            "policy_sha256": run_info.get("policy_sha256", ""),
        },
    }
    if report.get("evidence_log"):  # this run's record: the report pins the log
        run["properties"]["evidence_log"] = dict(report["evidence_log"])
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


# -- rules ---------------------------------------------------------------------------------
def _descriptors(findings: Iterable[Mapping[str, Any]],
                 rules: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One descriptor per rule that ran or reported, sorted by id so ``ruleIndex`` is stable."""
    meta: dict[str, Mapping[str, Any]] = {rid: r for rid, r in rules.items()}
    for f in findings:
        # A finding whose rule metadata is missing (e.g. a worker report lost) still needs a
        # descriptor: rebuild what the finding itself tells.
        meta.setdefault(f["rule"], {"id": f["rule"], "title": f["rule"],
                                    "category": f.get("category", ""),
                                    "severity": f.get("severity", "medium"),
                                    "owasp": f.get("owasp", [])})
    return [_descriptor(rid, meta[rid]) for rid in sorted(meta)]


def _descriptor(rule_id: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    title = _one_line(rule.get("title")) or rule_id
    rationale = _one_line(rule.get("rationale"))
    remediation = _one_line(rule.get("remediation"))
    category = str(rule.get("category") or "")
    owasp = [str(o) for o in rule.get("owasp") or []]
    severity = str(rule.get("severity") or "medium")
    docs = str(rule.get("docs") or "")
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": camel_case(title) or camel_case(rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": rationale or title},
        "help": {"text": remediation or rationale or title,
                 "markdown": _help_markdown(title, rationale, remediation, owasp, docs)},
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {
            "category": category,
            "owasp": owasp,
            "severity": severity,
            "tags": _unique([t for t in (category, *owasp, "security") if t]),
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "precision": "high",
        },
    }
    if _is_absolute_uri(docs):
        descriptor["helpUri"] = docs
    return descriptor


def camel_case(text: str) -> str:
    """``"Webhook without auth (n8n)"`` -> ``"WebhookWithoutAuthN8n"``: SARIF's rule ``name``
    is meant to be an identifier-like, human-readable word."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", text) if w)


def _help_markdown(title: str, rationale: str, remediation: str, owasp: list[str],
                   docs: str) -> str:
    parts = [f"**{title}**"]
    if rationale:
        parts.append(rationale)
    if remediation:
        parts.append(f"**Remediation:** {remediation}")
    if owasp:
        names = ", ".join(f"{o} {OWASP_TITLES[o]}" if o in OWASP_TITLES else o for o in owasp)
        parts.append(f"OWASP Low-Code/No-Code Top 10: {names}")
    if docs:
        parts.append(f"[Documentation]({docs})" if _is_absolute_uri(docs)
                     else f"Documentation: {docs}")
    return "\n\n".join(parts)


# -- results -------------------------------------------------------------------------------
def _result(finding: Mapping[str, Any], rule_index: int, artifact_uri: str | None, *,
            shared: bool = False) -> dict[str, Any]:
    app = str(finding.get("app", ""))
    resource = finding.get("resource") or {}
    severity = str(finding.get("severity") or "medium")
    location: dict[str, Any] = {"logicalLocations": [_logical_location(app, resource)]}
    if artifact_uri:
        location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri}}
    properties: dict[str, Any] = {
        "app": app,
        "check": finding.get("check", ""),
        "category": finding.get("category", ""),
        "owasp": list(finding.get("owasp") or []),
        "severity": severity,
        "resource": dict(resource),
        "evidence": finding.get("evidence") or {},
    }
    result: dict[str, Any] = {
        "ruleId": finding["rule"],
        "ruleIndex": rule_index,
        "level": LEVELS.get(severity, "warning"),
        "message": {"text": str(finding.get("message") or finding["rule"])},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, shared=shared)},
        "properties": properties,
    }
    waiver = finding.get("waiver")
    if waiver and finding.get("status") == "waived":
        result["suppressions"] = [_suppression(waiver)]
    elif waiver:
        # An expired waiver no longer suppresses (the check failed), but reviewers should see
        # that the risk had been accepted once, and by whom.
        properties["expiredWaiver"] = _waiver_details(waiver)
    return result


def _identity(finding: Mapping[str, Any]) -> str:
    resource = finding.get("resource") or {}
    return "|".join(str(x) for x in (finding.get("app", ""), finding["rule"],
                                     resource.get("id", ""), resource.get("path", "")))


def fingerprint(finding: Mapping[str, Any], *, shared: bool = False) -> str:
    """Identity of a finding across runs: same app, rule and resource -> same alert.

    ``shared``: other findings of this run have the same identity (say two secrets in one
    node). Code scanning would merge them into one alert and hide the second, so the message
    joins the key for them; the message is the only field every finding has that tells them
    apart.
    """
    key = _identity(finding)
    if shared:
        key += "|" + str(finding.get("message", ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _logical_location(app: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    rid = str(resource.get("id", ""))
    kind = str(resource.get("kind", ""))
    path = str(resource.get("path") or (f"{kind}/{rid}" if kind else rid))
    return {
        "name": str(resource.get("name") or rid),
        "fullyQualifiedName": f"{app}/{path}",
        "decoratedName": rid,
        "kind": LOGICAL_KINDS.get(kind, DEFAULT_LOGICAL_KIND),
        "properties": {"resourceKind": kind},
    }


def _suppression(waiver: Mapping[str, Any]) -> dict[str, Any]:
    who = f"owner: {waiver.get('owner') or 'unknown'}"
    until = f"expires: {waiver.get('expires') or 'never'}"
    return {
        "kind": "external",  # the waiver lives in the policy file, not next to the resource
        "status": "accepted",
        "justification": f"{waiver.get('justification') or 'no justification'} ({who}, {until})",
        "properties": _waiver_details(waiver),
    }


def _waiver_details(waiver: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("justification", "owner", "expires", "ticket", "source", "expired")
    return {k: waiver[k] for k in keys if waiver.get(k) not in (None, "")}


# -- run-level -----------------------------------------------------------------------------
def _app_properties(app: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: app.get(k, "") for k in ("id", "uri", "platform", "source", "snapshot_sha256")}
    if app.get("error"):
        out["error"] = app["error"]
    return out


def _app_artifacts(apps: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Apps read from one repository-relative export file, as that file's relative URI.

    That is the only physical location we can name honestly: the file holds the resource,
    though we cannot say on which line. Absolute paths, folders, live and demo apps get none.
    """
    out: dict[str, str] = {}
    for app in apps:
        uri = str(app.get("uri", ""))
        head, sep, rest = uri.partition(":")
        if app.get("source") != "file" or not sep or not head.endswith("+file"):
            continue
        text = rest.replace("\\", "/")
        if text.startswith("//") or text.startswith("/") or re.match(r"^[A-Za-z]:", text):
            continue
        path = PurePosixPath(text)
        if ".." in path.parts or path.suffix.lower() != ".json":
            continue
        out[str(app.get("id", ""))] = path.as_posix()
    return out


def _utc(stamp: Any) -> str | None:
    """ISO-8601 as SARIF wants it: UTC with a ``Z`` (spec 3.9)."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_absolute_uri(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _one_line(text: Any) -> str:
    """Rule texts come from indented docstring-like literals; viewers show them as prose."""
    return " ".join(str(text or "").split())


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
