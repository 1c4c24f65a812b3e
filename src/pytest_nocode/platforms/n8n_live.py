"""n8n's public API (``/api/v1``), read-only, plus n8n's own security audit.

The raw snapshot this returns is what :mod:`pytest_nocode.platforms.n8n` normalizes:
``{"workflows": [...], "users"?, "tags"?, "projects"?, "variables"?, "audit"?}``. Workflows
are required; the other parts are kept when the API key and the license allow them, and a
fetch note says why a part is missing (an enterprise-only endpoint answers 403).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import FetchError
from pytest_nocode.model import Advisory, Exposure, Module, Resource
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
    """Every workflow (all pages), and what else the key may read; first, before any
    credential is attached, what the instance tells a stranger (:func:`probe_unauthenticated`)."""
    notes: dict[str, str] = {}
    exposure = probe_unauthenticated(client)
    if exposure is None:
        notes[EXPOSURE_KEY] = NOT_RECORDED_NOTE
    if exposure is not None and _owner_setup_open(exposure):  # no owner, so no key works
        return {"workflows": [], EXPOSURE_KEY: exposure}, {"workflows": NO_OWNER_NOTE}
    key = client.credentials.get(API_KEY_VAR)
    if not key:
        raise FetchError(f"{client.host}: n8n's public API needs an API key: set {API_KEY_VAR} "
                         "in the environment (n8n: Settings > n8n API)")
    client.set_auth_header("X-N8N-API-KEY", key, API_KEY_VAR)
    try:
        workflows = client.get_pages(f"{API}/workflows", params={"limit": PAGE})
    except HttpStatusError as exc:
        if exc.status == 404:
            raise FetchError(f"{exc}; is n8n's public API enabled "
                             "(N8N_PUBLIC_API_DISABLED)?") from None
        raise
    raw: dict[str, Any] = {"workflows": workflows}
    if exposure is not None:
        raw[EXPOSURE_KEY] = exposure
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


# -- what a stranger sees ----------------------------------------------------------------------
EXPOSURE_KEY = "unauthenticated"  # the raw snapshot's key for the probes' answers
NOT_RECORDED_NOTE = ("not available: the cassette was recorded before pytest-nocode sent "
                     "unauthenticated probes; re-record it to check them")
NO_OWNER_NOTE = ("not available: the instance has no owner yet (owner setup is open), so no "
                 "API key can exist")
# Read-only GETs a reviewer sends without credentials: (path, query, kind). The public API is
# asked with ``limit=1`` so the request never matches the keyed listing in a cassette.
PROBES: tuple[tuple[str, dict[str, str] | None, str], ...] = (
    ("/rest/settings", None, "settings"),
    ("/rest/sentry.js", None, "version"),  # 1.x: window.sentry={…"release":"n8n@1.94.1"}
    ("/", None, "version"),  # 2.x: the editor page's <meta name="n8n:config:sentry"> (base64)
    ("/rest/workflows", None, "api"),
    ("/rest/credentials", None, "api"),
    ("/rest/users", None, "api"),
    ("/api/v1/workflows", {"limit": "1"}, "api"),
    ("/metrics", None, "metrics"),
)
# /rest/settings keys that tell a stranger more than the login page needs.
REVEALING_SETTINGS = ("versionCli", "nodeJsVersion", "databaseType", "instanceId",
                      "urlBaseEditor", "urlBaseWebhook", "oauthCallbackUrls", "executionMode",
                      "license")


def probe_unauthenticated(client: HttpClient) -> dict[str, Any] | None:
    """What n8n answers to a few safe GETs sent with no credential (the client has none yet).

    ``{"settings": GET /rest/settings data or None, "responses": [{"request", "status",
    "json", "data"}]}``: ``data`` says whether the answer carried data rather than an error or
    the editor's HTML page (n8n answers unknown paths with the editor's page). A refusal is the
    expected answer and is recorded, not raised; a network failure is raised (fail closed).
    None when replaying a cassette recorded before the probes existed.
    """
    from vcr.errors import CannotOverwriteExistingCassetteException

    assert not client.has_auth, "probes run before any credential is attached"
    settings: Any = None
    responses = []
    for path, params, kind in PROBES:
        try:
            status, body, is_json = _get_quietly(client, path, params)
        except CannotOverwriteExistingCassetteException:
            return None
        if kind == "settings" and is_json and isinstance(body, dict) \
                and isinstance(body.get("data"), dict):
            settings = body["data"]
        release = None
        if kind == "metrics":
            has_data = status == 200 and isinstance(body, str) and "# HELP" in body
        elif kind == "version":
            release = release_in(body) if status == 200 and isinstance(body, str) else None
            has_data = release is not None
        else:
            has_data = status == 200 and is_json and _carries_data(body)
        request = f"GET {path}" + (f"?{'&'.join(f'{k}={v}' for k, v in params.items())}"
                                   if params else "")
        entry = {"request": request, "kind": kind, "status": status, "data": has_data}
        if release is not None:
            entry["release"] = release
        responses.append(entry)
    return {"settings": settings, "responses": responses}


_RELEASE = re.compile(r'"release"\s*:\s*"n8n@([0-9][0-9A-Za-z.+-]*)"')
_SENTRY_META = re.compile(r'<meta\s+name="n8n:config:sentry"\s+content="([A-Za-z0-9+/=]+)"')


def release_in(text: str) -> str | None:
    """The n8n version a page gives away: 1.x's ``/rest/sentry.js`` writes the Sentry release
    as JSON; 2.x's editor page carries the same JSON base64-encoded in a meta tag."""
    found = _RELEASE.search(text)
    if found:
        return found.group(1)
    meta = _SENTRY_META.search(text)
    if meta is None:
        return None
    try:
        decoded = base64.b64decode(meta.group(1), validate=True).decode("utf-8", "replace")
    except ValueError:
        return None
    found = _RELEASE.search(decoded)
    return found.group(1) if found else None


def _get_quietly(client: HttpClient, path: str, params: dict[str, str] | None
                 ) -> tuple[int, Any, bool]:
    """(status, JSON body or text, whether it was JSON); refusals are answers here."""
    try:
        response = client.request("GET", path, params=params)
    except HttpStatusError as exc:
        return exc.status, None, False
    text = response.text
    if "json" in response.headers.get("Content-Type", ""):
        try:
            return response.status_code, response.json(), True
        except ValueError:
            return response.status_code, None, False
    return response.status_code, text, False


def _carries_data(body: Any) -> bool:
    if isinstance(body, dict):
        data = body.get("data", body)
        return bool(data) and not (isinstance(data, dict) and "message" in data
                                   and len(data) <= 3)
    return isinstance(body, list) and bool(body)


def _owner_setup_open(exposure: Mapping[str, Any]) -> bool:
    settings = exposure.get("settings")
    um = settings.get("userManagement") if isinstance(settings, Mapping) else None
    return isinstance(um, Mapping) and um.get("showSetupOnFirstLoad") is True


def instance_facts(raw: Mapping[str, Any]) -> tuple[tuple[Module, ...], tuple[Exposure, ...]
                                                    ] | None:
    """The n8n version (as the package ``n8n``) and the probes' answers as exposures; None
    when the snapshot carries no probes (an export)."""
    exposure = raw.get(EXPOSURE_KEY)
    if not isinstance(exposure, Mapping):
        return None
    settings = exposure.get("settings")
    settings = settings if isinstance(settings, Mapping) else {}
    responses = [r for r in exposure.get("responses") or () if isinstance(r, Mapping)]
    releases = [r["release"] for r in responses if isinstance(r.get("release"), str)]
    version = settings.get("versionCli") if isinstance(settings.get("versionCli"), str) else ""
    version = version or (releases[0] if releases else "")
    modules = (Module("n8n", version, builtin=True),) if version else ()
    out = []
    for r in responses:
        details: dict[str, Any] = {}
        if r.get("kind") == "version" and isinstance(r.get("release"), str):
            details = {"revealed": ["release"], "version": r["release"]}
        if r.get("kind") == "settings" and settings:
            details = {"revealed": sorted(k for k in REVEALING_SETTINGS if settings.get(k)
                                          not in (None, "", {}, [])),
                       "owner_setup_open": _owner_setup_open(exposure)}
            if "versionCli" in settings:
                details["version"] = settings["versionCli"]
        out.append(Exposure(_text(r.get("request")), int(r.get("status") or 0),
                            _text(r.get("kind")), bool(r.get("data")), details))
    return modules, tuple(out)


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
