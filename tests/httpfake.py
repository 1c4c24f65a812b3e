"""A tiny HTTP server on loopback for fault injection: scripted answers, every request kept.

Only for what real servers will not do on demand (503 storms, truncated bodies, hostile
redirects and cursors) and for counting requests. Real platform behaviour is tested against
real Node-RED and n8n in ``tests/live``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None  # a Content-Length that lies: a truncated body
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    method: str
    path: str  # with the query
    headers: dict[str, str]
    body: bytes


Route = Answer | list[Answer] | Callable[[Seen], Answer]


class FakeServer:
    """``routes[(method, path)]``: one Answer, a list played in order (the last one repeats),
    or a function of the request. Unknown routes answer 404."""

    def __init__(self, routes: dict[tuple[str, str], Route] | None = None) -> None:
        self.routes: dict[tuple[str, str], Route] = dict(routes or {})
        self.seen: list[Seen] = []
        self._played: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no ~40 ms delayed-ACK wait per answer

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                answer = fake._answer(seen)
                if answer.delay:
                    threading.Event().wait(answer.delay)
                payload = answer.payload()
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                declared = answer.declared_length
                self.send_header("Content-Length",
                                 str(declared if declared is not None else len(payload)))
                if declared is not None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def _answer(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            path = urlsplit(seen.path).path
            route = self.routes.get((seen.method, seen.path)) or self.routes.get(
                (seen.method, path))
            if route is None:
                return Answer(404, {"message": "not found"})
            if callable(route) and not isinstance(route, Answer):
                return route(seen)
            if isinstance(route, list):
                n = self._played.get((seen.method, path), 0)
                self._played[(seen.method, path)] = n + 1
                return route[min(n, len(route) - 1)]
            return route

    def paths(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.seen]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def nodered_routes(flows: list[dict[str, Any]], *, auth: bool = False) -> dict[
        tuple[str, str], Route]:
    """A Node-RED admin API with the given flows (shapes as a real 4.1 server sends them)."""
    settings = {"httpNodeRoot": "/", "version": "4.1.8", "flowEncryptionType": "system",
                "functionExternalModules": True, "functionTimeout": 0,
                "diagnostics": {"enabled": True, "ui": True}}
    diagnostics = {"report": "diagnostics", "time": {"utc": "now"},
                   "nodejs": {"version": "v20.20.2"},
                   "runtime": {"version": "4.1.8", "settings": {
                       "adminAuth": "SET" if auth else "UNSET", "httpNodeAuth": "UNSET",
                       "uiHost": "SET", "httpAdminCors": "UNSET"}}}
    login = {"type": "credentials", "prompts": []} if auth else {}
    return {
        ("GET", "/auth/login"): Answer(body=login),
        ("GET", "/flows"): Answer(body={"flows": flows, "rev": "abc"}),
        ("GET", "/settings"): Answer(body=settings),
        ("GET", "/diagnostics"): Answer(body=diagnostics),
        ("GET", "/nodes"): Answer(body=[{"id": "node-red/function", "module": "node-red",
                                         "version": "4.1.8", "types": ["function"]}]),
    }


# A conftest for pytester runs that must not touch the network: any connection attempt
# (vcrpy lets none through in record mode "none") raises, and the original is restored.
BLOCK_NETWORK = '''
import socket

_connect = socket.socket.connect


def _refuse(self, address):
    raise OSError(f"network blocked by the test: {address!r}")


def pytest_configure(config):
    socket.socket.connect = _refuse


def pytest_unconfigure(config):
    socket.socket.connect = _connect
'''
