"""n8n's public API (``/api/v1``), read-only, plus n8n's own security audit.

The raw snapshot this returns is what :mod:`pytest_nocode.platforms.n8n` normalizes:
``{"workflows": [...], "users"?, "tags"?, "projects"?, "variables"?, "audit"?}``. Workflows
are required; the other parts are kept when the API key and the license allow them, and a
fetch note says why a part is missing (an enterprise-only endpoint answers 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import FetchError
from pytest_nocode.model import Advisory, Resource
from pytest_nocode.transport import HttpClient, HttpStatusError

API_KEY_VAR = "NOCODE_N8N_API_KEY"
API = "/api/v1"
PAGE = 250  # the public API's largest page
ADVISORY_SOURCE = "n8n audit"

# n8n audit section title → our category (section 3 of the contract); the report's risk
# decides where a title is not listed.
SECTION_CATEGORIES = {
    "Official risky nodes": "injection",
    "Community nodes": "connectors",
    "Custom nodes": "connectors",
    "Unprotected webhooks in instance": "authentication",
    "Outdated instance": "inventory",
    "Security settings": "configuration",
}
RISK_CATEGORIES = {
    "credentials": "inventory",  # unused or idle credentials still holding access
    "database": "injection",  # expressions / no parameters in SQL queries
    "filesystem": "exports",  # nodes reading and writing the host's files
    "nodes": "connectors",
    "instance": "configuration",
}


def fetch_n8n(spec: AppSpec, client: HttpClient) -> tuple[dict[str, Any], dict[str, str]]:
    """Every workflow (all pages), and what else the key may read."""
    key = client.credentials.get(API_KEY_VAR)
    if not key:
        raise FetchError(f"{client.host}: n8n's public API needs an API key: set {API_KEY_VAR} "
                         "in the environment (n8n: Settings > n8n API)")
    client.set_auth_header("X-N8N-API-KEY", key, API_KEY_VAR)
    notes: dict[str, str] = {}
    try:
        workflows = client.get_pages(f"{API}/workflows", params={"limit": PAGE})
    except HttpStatusError as exc:
        if exc.status == 404:
            raise FetchError(f"{exc}; is n8n's public API enabled "
                             "(N8N_PUBLIC_API_DISABLED)?") from None
        raise
    raw: dict[str, Any] = {"workflows": workflows}
    for part, path, params in (
        ("users", f"{API}/users", {"includeRole": "true", "limit": PAGE}),
        ("tags", f"{API}/tags", {"limit": PAGE}),
        ("projects", f"{API}/projects", {"limit": PAGE}),
        ("variables", f"{API}/variables", {"limit": PAGE}),
    ):
        try:
            raw[part] = client.get_pages(path, params=params)
        except HttpStatusError as exc:
            if exc.status not in (403, 404):  # 401 and 5xx: fail closed
                raise
            notes[part] = _not_available(exc)
    try:
        audit = client.post_json(f"{API}/audit", {}, expect=(dict, list))
    except HttpStatusError as exc:
        if not 400 <= exc.status < 500 or exc.status == 401:
            raise
        notes["audit"] = _not_available(exc)
    else:
        raw["audit"] = audit
    return raw, notes


def _not_available(exc: HttpStatusError) -> str:
    why = " (license)" if exc.status == 403 and "license" in exc.detail.lower() else ""
    if exc.status == 403 and not why and exc.detail:
        why = f" ({exc.detail})"
    return f"not available: {exc.status}{why}"


def advisories_from_audit(audit: Any) -> tuple[Advisory, ...]:
    """n8n's audit report as advisories: one per flagged node, credential or package.

    n8n answers ``[]`` when it found nothing, else ``{"<Kind> Risk Report": {"risk",
    "sections": [{"title", "description", "recommendation", "location"?, "settings"?}]}}``.
    Unknown shapes give no advisories rather than an error: the audit is evidence beside our
    own checks, never their input.
    """
    if not isinstance(audit, Mapping):
        return ()
    out: list[Advisory] = []
    for report in audit.values():
        if not isinstance(report, Mapping):
            continue
        risk = _text(report.get("risk"))
        for section in report.get("sections") or ():
            if not isinstance(section, Mapping):
                continue
            title = _text(section.get("title"))
            category = SECTION_CATEGORIES.get(title) or RISK_CATEGORIES.get(risk,
                                                                            "configuration")
            description = _text(section.get("description"))
            recommendation = _text(section.get("recommendation"))
            locations = [loc for loc in section.get("location") or ()
                         if isinstance(loc, Mapping)]
            resources = [_resource(loc) for loc in locations] or [_instance_resource(section)]
            if isinstance(section.get("settings"), Mapping):
                description = f"{description} Settings: {_flat(section['settings'])}".strip()
            for resource in resources:
                out.append(Advisory(ADVISORY_SOURCE, category, title, description, resource,
                                    recommendation))
    return tuple(out)


def _resource(loc: Mapping[str, Any]) -> Resource:
    kind = _text(loc.get("kind"))
    if kind == "node":
        wid, nid = _text(loc.get("workflowId")), _text(loc.get("nodeId"))
        return Resource("node", nid, _text(loc.get("nodeName")) or nid,
                        f"workflows/{wid}/{nid}")
    if kind == "credential":
        cid = _text(loc.get("id"))
        return Resource("credential", cid, _text(loc.get("name")) or cid, f"credentials/{cid}")
    if kind in ("community", "custom"):
        node_type = _text(loc.get("nodeType"))
        return Resource("module", node_type, node_type, f"modules/{node_type}")
    ident = _text(loc.get("id") or loc.get("nodeId") or kind or "instance")
    return Resource(kind or "app", ident, _text(loc.get("name")) or ident, ident)


def _instance_resource(section: Mapping[str, Any]) -> Resource:
    if "settings" in section:
        return Resource("setting", "security settings", "instance security settings",
                        "settings/security")
    return Resource("app", "instance", "n8n instance", "instance")


def _flat(settings: Mapping[str, Any], prefix: str = "") -> str:
    """``features.publicApiEnabled=True, …``: the audit's settings as one line."""
    parts = []
    for key in sorted(settings):
        value = settings[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            parts.append(_flat(value, f"{name}."))
        else:
            parts.append(f"{name}={value}")
    return ", ".join(p for p in parts if p)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)
