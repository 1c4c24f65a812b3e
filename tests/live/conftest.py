"""Real Node-RED and n8n servers for the live tests, both majors of each, installed once
into a cache outside the clone (:mod:`tests.live.servers`).

Each server is started once per test session on a free loopback port, in its own process
group with a temporary user folder, bootstrapped through its own API (admin user, API key)
and seeded with the demo flows and workflows plus a random "canary" secret per run, so a
test can prove the canary never reaches a cassette or a report. If a server cannot be
installed (no npm registry), the fixture fails with the reason: a live test never skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.live import servers

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "pytest_nocode" / "demo"
NODE_RED_VERSIONS = ("4.1.8", "5.0.7")  # the previous major and the current one
N8N_VERSIONS = ("1.94.1", "2.41.1")


def random_token(prefix: str, length: int) -> str:
    """Drawn again if it happens to contain a word the risk score looks for in a finding's
    steps ("ssn", "cvv", "iban"; one draw in a few hundred): the live scan would list it among the
    risk factors and the replay, where a placeholder stands in for the token, would not."""
    from pytest_nocode.risk import DEFAULT_SENSITIVE_KEYWORDS

    alphabet = string.ascii_letters + string.digits
    while True:
        token = prefix + "".join(secrets.choice(alphabet) for _ in range(length))
        if not any(word in token.lower() for word in DEFAULT_SENSITIVE_KEYWORDS):
            return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- installing ------------------------------------------------------------------------------
def install(server: servers.ServerSpec) -> tuple[Path, str, str]:
    """``server``'s install folder, the node that runs it and the PATH to run it with; a
    failed install fails the test with npm's reason (never a skip)."""
    try:
        folder = servers.install(server)
        return folder, servers.node_binary(server), servers.node_env(server)["PATH"]
    except servers.InstallError as error:
        pytest.fail(f"cannot install {server.name} into {servers.cache_root()}: {error}",
                    pytrace=False)


# -- running ---------------------------------------------------------------------------------
class Server:
    """A child process in its own process group, stopped by that group's id."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_fh = log.open("w")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log_fh,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_until(self, url: str, timeout: float) -> None:
        """Until ``url`` answers 200 with JSON: while n8n starts up, every route answers 200
        with an HTML "n8n is starting up" page, /rest/settings included."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} while starting:\n"
                            f"{self.tail()}", pytrace=False)
            with contextlib.suppress(requests.RequestException, ValueError):
                answer = requests.get(url, timeout=2)
                if answer.status_code == 200 and "json" in answer.headers.get(
                        "Content-Type", "") and answer.json() is not None:
                    return
            time.sleep(0.3)
        pytest.fail(f"{self.name} was not ready within {timeout:.0f} s ({url}):\n{self.tail()}",
                    pytrace=False)

    def tail(self, lines: int = 20) -> str:
        self._log_fh.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log_fh.close()


def _server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOCODE_", "N8N_"))}
    env.update(extra)
    return env


# -- Node-RED ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeRed:
    version: str
    url: str
    port: int
    username: str
    password: str
    canary: str  # a GitHub-token-shaped secret planted in a function node
    canary_password: str  # a password planted in an http request URL

    @property
    def uri(self) -> str:
        return f"nodered+{self.url}"


SETTINGS_JS = """module.exports = {{
    uiHost: "127.0.0.1",
    flowFile: "flows.json",
    credentialSecret: false,
    adminAuth: {{
        type: "credentials",
        users: [{{username: {username}, password: {hash}, permissions: "*"}}]
    }},
    functionExternalModules: true,
    logging: {{console: {{level: "warn", metrics: false, audit: false}}}},
    editorTheme: {{tours: false, projects: {{enabled: false}}}}
}};
"""


def canary_flows(canary: str, password: str) -> list[dict[str, Any]]:
    tab = {"id": "c0ffee000000tab1", "type": "tab", "label": "Canary", "disabled": False}
    func = {"id": "c0ffee00000func1", "type": "function", "z": tab["id"], "name": "sign request",
            "func": f'const token = "{canary}";\nmsg.headers = {{"X-Token": token}};\n'
                    "return msg;", "outputs": 1, "wires": [["c0ffee0000httpr1"]]}
    request = {"id": "c0ffee0000httpr1", "type": "http request", "z": tab["id"],
               "name": "inventory", "method": "GET", "ret": "obj",
               "url": f"https://svc-inventory:{password}@inventory.acme.example/api",
               "wires": [[]]}
    inject = {"id": "c0ffee000inject1", "type": "inject", "z": tab["id"], "name": "hourly",
              "repeat": "3600", "wires": [[func["id"]]]}
    return [tab, inject, func, request]


def start_nodered(userdir: Path, port: int, version: str = NODE_RED_VERSIONS[-1]
                  ) -> tuple[Server, NodeRed]:
    """Node-RED ``version`` with adminAuth on ``port``, seeded with the demo flows and a
    canary."""
    spec = servers.spec("node-red", version)
    folder, node, _ = install(spec)
    username, password = "reviewer", random_token("Pw-", 16)
    hashed = subprocess.run(
        [node, "-e", "console.log(require(process.argv[1]).hashSync(process.env.PW, 8))",
         str(folder / "node_modules" / "bcryptjs")], env={**os.environ, "PW": password},
        capture_output=True, text=True, check=True).stdout.strip()
    (userdir / "settings.js").write_text(SETTINGS_JS.format(username=json.dumps(username),
                                                            hash=json.dumps(hashed)))
    server = Server(f"Node-RED {version}", [node, str(folder / "node_modules" / spec.bin),
                                            "-u", str(userdir), "-s",
                                            str(userdir / "settings.js"), "-p", str(port)],
                    _server_env(NODE_RED_DISABLE_TELEMETRY="1"), userdir / "node-red.log")
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_until(f"{url}/auth/login", 90)
        token = requests.post(f"{url}/auth/token", data={
            "client_id": "node-red-admin", "grant_type": "password", "scope": "*",
            "username": username, "password": password}, timeout=10).json()["access_token"]
        canary, canary_password = random_token("ghp_", 36), random_token("Cn", 14)
        flows = json.loads((DEMO / "nodered" / "flows.json").read_text())
        deployed = requests.post(f"{url}/flows", json=flows + canary_flows(canary,
                                                                           canary_password),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Node-RED-Deployment-Type": "full"}, timeout=30)
        assert deployed.status_code in (200, 204), deployed.text
    except BaseException:
        server.stop()
        raise
    return server, NodeRed(version, url, port, username, password, canary, canary_password)


@pytest.fixture(scope="session", params=NODE_RED_VERSIONS, ids=lambda v: f"node-red-{v}")
def nodered_server(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeRed]:
    """A real Node-RED of each major, shared by the session's live tests."""
    server, info = start_nodered(tmp_path_factory.mktemp("nodered"), free_port(),
                                 request.param)
    try:
        yield info
    finally:
        server.stop()


# -- n8n ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class N8n:
    version: str
    url: str
    port: int
    api_key: str
    owner_email: str
    owner_first: str
    owner_last: str
    member_email: str
    canary: str  # a secret header value planted in an HTTP Request node
    scopes: int  # how many scopes an API key may have (all of them went to api_key)
    cli: tuple[str, ...] = field(default=(), repr=False)  # node + n8n's bin, for its commands
    cli_env: dict[str, str] = field(default_factory=dict, repr=False)  # its user folder, key

    def export_workflows(self, folder: Path) -> Path:
        """``n8n export:workflow --all --separate`` into ``folder``, as a user exports them."""
        done = subprocess.run([*self.cli, "export:workflow", "--all", "--separate",
                               f"--output={folder}"], env=self.cli_env, capture_output=True,
                              text=True, timeout=180, check=False)
        assert done.returncode == 0 and any(folder.glob("*.json")), done.stdout + done.stderr
        return folder

    @property
    def uri(self) -> str:
        return f"n8n+{self.url}"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


WORKFLOW_KEYS = ("name", "nodes", "connections", "settings")


def _create_workflow(api: requests.Session, url: str, workflow: dict[str, Any]) -> str:
    """POST a workflow export; the public API refuses some settings combinations, so a
    refused ``settings`` is retried without one key at a time."""
    body = {k: workflow[k] for k in WORKFLOW_KEYS if k in workflow}
    body.setdefault("settings", {})
    attempts = [body["settings"]] + [
        {k: v for k, v in body["settings"].items() if k != drop} for drop in body["settings"]
    ] + [{}]
    answer = None
    for settings in attempts:
        answer = api.post(f"{url}/api/v1/workflows", json={**body, "settings": settings},
                          timeout=30)
        if answer.status_code == 200:
            return str(answer.json()["id"])
        if "settings" not in answer.text:
            break
    raise AssertionError(f"n8n refused workflow {body['name']!r}: {answer and answer.text}")


def canary_workflow(canary: str) -> dict[str, Any]:
    return {
        "name": "Canary sync",
        "nodes": [
            {"id": "c0ffee00-0000-4000-8000-000000000001", "name": "Every hour",
             "type": "n8n-nodes-base.scheduleTrigger", "typeVersion": 1.2,
             "position": [0, 0], "parameters": {"rule": {"interval": [{"field": "hours"}]}}},
            {"id": "c0ffee00-0000-4000-8000-000000000002", "name": "Push inventory",
             "type": "n8n-nodes-base.httpRequest", "typeVersion": 4.2, "position": [220, 0],
             "parameters": {"method": "POST", "url": "https://inventory.acme.example/sync",
                            "sendHeaders": True, "headerParameters": {"parameters": [
                                {"name": "X-Api-Key", "value": canary}]}, "options": {}}},
        ],
        "connections": {"Every hour": {"main": [[{"node": "Push inventory", "type": "main",
                                                  "index": 0}]]}},
        "settings": {"executionOrder": "v1"},
    }


def start_n8n(home: Path, port: int, version: str = N8N_VERSIONS[-1]) -> tuple[Server, N8n]:
    """n8n ``version`` on ``port`` with an owner, an invited member, an API key, the demo
    workflows (active where the export says so, and n8n lets them be) and a canary."""
    spec = servers.spec("n8n", version)
    folder, node, path = install(spec)
    env = _server_env(
        PATH=path,
        N8N_USER_FOLDER=str(home), N8N_LISTEN_ADDRESS="127.0.0.1", N8N_PORT=str(port),
        N8N_RUNNERS_BROKER_LISTEN_ADDRESS="127.0.0.1", N8N_RUNNERS_BROKER_PORT=str(free_port()),
        DB_TYPE="sqlite", N8N_ENCRYPTION_KEY=secrets.token_hex(16),
        N8N_DIAGNOSTICS_ENABLED="false", N8N_VERSION_NOTIFICATIONS_ENABLED="false",
        N8N_TEMPLATES_ENABLED="false", N8N_PERSONALIZATION_ENABLED="false",
        N8N_SECURE_COOKIE="false", N8N_HIDE_USAGE_PAGE="true")
    server = Server(f"n8n {version}", [node, str(folder / "node_modules" / spec.bin), "start"],
                    env, home / "n8n.log")
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_until(f"{url}/rest/settings", 240)
        first, last = "Margarete", "Kowalczyk"
        owner_email = "m.kowalczyk@acme-corp.example"
        web = requests.Session()
        answer = web.post(f"{url}/rest/owner/setup", json={
            "email": owner_email, "firstName": first, "lastName": last,
            "password": random_token("Aa1", 16)}, timeout=30)
        assert answer.status_code == 200, answer.text
        scopes = web.get(f"{url}/rest/api-keys/scopes", timeout=10).json()["data"]
        assert isinstance(scopes, list) and scopes, scopes
        key = web.post(f"{url}/rest/api-keys", json={"label": "pytest-nocode", "scopes": scopes,
                                                     "expiresAt": None},
                       timeout=10).json()["data"]["rawApiKey"]
        api = requests.Session()
        api.headers["X-N8N-API-KEY"] = key
        member = "jonas.weber@acme-corp.example"
        invited = api.post(f"{url}/api/v1/users", json=[{"email": member,
                                                         "role": "global:member"}], timeout=30)
        assert invited.status_code in (200, 201), invited.text
        canary = random_token("sk_live_", 24)
        exports = [json.loads(p.read_text()) for p in sorted((DEMO / "n8n").glob("*.json"))]
        for export in [*exports, canary_workflow(canary)]:
            wid = _create_workflow(api, url, export)
            if export.get("active"):
                api.post(f"{url}/api/v1/workflows/{wid}/activate", timeout=30)
    except BaseException:
        server.stop()
        raise
    return server, N8n(version, url, port, key, owner_email, first, last, member, canary,
                       len(scopes), (node, str(folder / "node_modules" / spec.bin)), env)


# Tests of one major pin the server fixture to it (a live test never skips).
ON_N8N_1 = pytest.mark.parametrize("n8n_server", [N8N_VERSIONS[0]], indirect=True,
                                   ids=lambda v: f"n8n-{v}")
ON_N8N_2 = pytest.mark.parametrize("n8n_server", [N8N_VERSIONS[1]], indirect=True,
                                   ids=lambda v: f"n8n-{v}")


@pytest.fixture(scope="session", params=N8N_VERSIONS, ids=lambda v: f"n8n-{v}")
def n8n_server(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[N8n]:
    """A real n8n of each major, shared by the session's live tests."""
    server, info = start_n8n(tmp_path_factory.mktemp("n8n"), free_port(), request.param)
    try:
        yield info
    finally:
        server.stop()


# -- helpers for the tests -------------------------------------------------------------------
def findings_of(report: dict[str, Any]) -> list[str]:
    """The findings of a report, comparable across runs (order and timestamps aside)."""
    return sorted(json.dumps(f, sort_keys=True) for f in report["findings"])


# -- an n8n that was never set up (for the owner-setup probe) --------------------------------
@pytest.fixture(scope="session")
def n8n_fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real n8n, started and left exactly as a fresh install is: no owner, no API key, no
    workflows. Yields its base URL; nothing but read-only GETs may be sent to it."""
    home, port = tmp_path_factory.mktemp("n8n-fresh"), free_port()
    env = _server_env(
        N8N_USER_FOLDER=str(home), N8N_LISTEN_ADDRESS="127.0.0.1", N8N_PORT=str(port),
        N8N_RUNNERS_BROKER_LISTEN_ADDRESS="127.0.0.1", N8N_RUNNERS_BROKER_PORT=str(free_port()),
        DB_TYPE="sqlite", N8N_ENCRYPTION_KEY=secrets.token_hex(16),
        N8N_DIAGNOSTICS_ENABLED="false", N8N_VERSION_NOTIFICATIONS_ENABLED="false",
        N8N_TEMPLATES_ENABLED="false", N8N_PERSONALIZATION_ENABLED="false",
        N8N_SECURE_COOKIE="false")
    spec = servers.spec("n8n", N8N_VERSIONS[0])
    folder, node, path = install(spec)
    env["PATH"] = path
    server = Server("n8n (fresh)", [node, str(folder / "node_modules" / spec.bin), "start"],
                    env, home / "n8n.log")
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_until(f"{url}/rest/settings", 240)
        yield url
    finally:
        server.stop()
