"""Node-RED's admin API, read-only: flows, settings, diagnostics and installed modules.

The raw snapshot this returns is what :mod:`pytest_nocode.platforms.nodered` normalizes:
``{"flows": [...], "rev", "auth": {"adminAuth": bool, "type"?}, "settings": GET /settings,
"diagnostics": GET /diagnostics, "nodes": GET /nodes}``. ``auth`` records what
``GET /auth/login`` said, because it is the one fact about admin authentication that no
permission setting can hide (``/diagnostics`` may be switched off).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from typing import Any

from pytest_nocode.appspec import AppSpec
from pytest_nocode.errors import FetchError
from pytest_nocode.transport import CredentialsRejected, HttpClient, HttpStatusError, NotPermitted

TOKEN_VAR = "NOCODE_NODERED_TOKEN"
USERNAME_VAR = "NOCODE_NODERED_USERNAME"
PASSWORD_VAR = "NOCODE_NODERED_PASSWORD"
API_V2 = {"Node-RED-API-Version": "v2"}


def fetch_nodered(spec: AppSpec, client: HttpClient) -> tuple[dict[str, Any], dict[str, str]]:
    """Everything the checks need from a running Node-RED, as the admin API gives it."""
    notes: dict[str, str] = {}
    login = client.get_json("/auth/login", expect=dict)
    auth: dict[str, Any] = {"adminAuth": bool(login)}
    if isinstance(login.get("type"), str):
        auth["type"] = login["type"]
    if login:
        _authenticate(client, login)
    flows = client.get_json("/flows", headers=API_V2, expect=(dict, list))
    if isinstance(flows, list):  # a server that predates API v2 sends the bare array
        flows = {"flows": flows}
    if not isinstance(flows.get("flows"), list):
        raise FetchError(f"GET /flows: unexpected response from {client.host}: expected "
                         "{\"flows\": [...]} (Node-RED-API-Version v2)")
    raw: dict[str, Any] = {"flows": flows["flows"], "auth": auth}
    if isinstance(flows.get("rev"), str):
        raw["rev"] = flows["rev"]
    raw["settings"] = client.get_json("/settings", expect=dict)
    diagnostics = _optional(client, "/diagnostics", dict, notes, "diagnostics")
    if diagnostics is not None:
        raw["diagnostics"] = diagnostics
    nodes = _optional(client, "/nodes", list, notes, "nodes",
                      headers={"Accept": "application/json"})
    if nodes is not None:
        raw["nodes"] = nodes
    return raw, notes


def _authenticate(client: HttpClient, login: dict[str, Any]) -> None:
    """Use the token from the environment, or exchange user name and password for one.

    A refused password is never retried: Node-RED locks a user out after five failures.
    """
    creds = client.credentials
    token = creds.get(TOKEN_VAR)
    if token:
        client.set_auth_header("Authorization", f"Bearer {token}", TOKEN_VAR)
        return
    username, password = creds.get(USERNAME_VAR), creds.get(PASSWORD_VAR)
    if not (username and password):
        raise FetchError(f"{client.host} requires admin credentials (adminAuth is on): set "
                         f"{TOKEN_VAR}, or {USERNAME_VAR} and {PASSWORD_VAR}, in the environment")
    if login.get("type") != "credentials":
        raise FetchError(f"{client.host} logs admins in through a strategy "
                         f"({login.get('type')!r}, e.g. SSO), not a password: set {TOKEN_VAR}")
    form = {"client_id": "node-red-admin", "grant_type": "password", "scope": "*",
            "username": username, "password": password}
    try:
        answer = client.post_json("/auth/token", form=form, expect=dict)
    except NotPermitted:  # Node-RED answers a wrong password with 403 invalid_grant
        raise CredentialsRejected(
            f"credentials rejected by {client.host} (POST /auth/token refused the login): "
            f"check {USERNAME_VAR} and {PASSWORD_VAR} (five failures in ten minutes lock "
            "the user out)", 403, "POST /auth/token") from None
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise FetchError(f"POST /auth/token: unexpected response from {client.host}: "
                         "no access_token")
    client.set_auth_header("Authorization", f"Bearer {token}",
                           f"{USERNAME_VAR} and {PASSWORD_VAR}")


def _optional(client: HttpClient, path: str, expect: type, notes: dict[str, str], part: str,
              headers: dict[str, str] | None = None) -> Any:
    """A part some servers withhold (403 for this user, 404 when switched off): noted."""
    try:
        return client.get_json(path, headers=headers, expect=expect)
    except HttpStatusError as exc:
        if exc.status in (403, 404):
            notes[part] = f"not available: {exc.status}" + (f" ({exc.detail})"
                                                             if exc.detail else "")
            return None
        raise
