"""Record N interactions from a loopback fake into one cassette, then replay them.

Prints the time to record (through scrubbing), to replay with pytest-nocode's indexed cassette,
to replay the same file with plain vcrpy matching (quadratic: every request is compared with
every recorded interaction), and to merely load the YAML file.

    python benchmarks/replay_bench.py [N]      # N defaults to 2000
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import vcr

from pytest_nocode.appspec import AppSpec
from pytest_nocode.model import App
from pytest_nocode.platforms import RawSnapshot
from pytest_nocode.recording import (
    CassetteSerializer,
    ScrubbingPersister,
    cassette_path,
    fetch_recorded,
)
from pytest_nocode.transport import HttpClient, RecordingOptions


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every answer waits ~40 ms for a delayed ACK

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        n = self.path.rsplit("/", 1)[-1]
        body = json.dumps({"id": n, "name": f"workflow {n}", "nodes": [
            {"id": f"{n}-{i}", "type": "n8n-nodes-base.set", "parameters": {"value": i}}
            for i in range(5)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ManyRequests:
    """A stand-in platform whose fetch makes ``count`` distinct GET requests."""

    name = "bench"
    title = "benchmark"

    def __init__(self, count: int) -> None:
        self.count = count

    def load_file(self, path: Path) -> Any:
        raise NotImplementedError

    def fetch(self, spec: AppSpec, client: HttpClient) -> tuple[Any, dict[str, str]]:
        return [client.get_json(f"/items/{i}") for i in range(self.count)], {}

    def normalize(self, spec: AppSpec, raw: RawSnapshot) -> App:
        return App(id=spec.id, platform=self.name, name="bench", facets=frozenset())


def main(count: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    spec = AppSpec(f"bench+{url}", "bench", "http", url, "bench")
    adapter = ManyRequests(count)
    with tempfile.TemporaryDirectory() as tmp:
        options = RecordingOptions("once", Path(tmp))
        path = cassette_path(Path(tmp), spec)

        started = time.perf_counter()
        session = requests.Session()
        for i in range(count):
            session.get(f"{url}/items/{i}", timeout=5).json()
        live = time.perf_counter() - started

        started = time.perf_counter()
        fetch_recorded(spec, adapter, options)  # records, then reads back what it wrote
        record = time.perf_counter() - started

        started = time.perf_counter()
        snapshot = fetch_recorded(spec, adapter, RecordingOptions("none", Path(tmp)))
        replay = time.perf_counter() - started
        assert snapshot.source == "cassette" and len(snapshot.data) == count
        server.shutdown()  # from here on nothing may reach the network

        started = time.perf_counter()
        requests_, _responses = ScrubbingPersister().load_cassette(path, CassetteSerializer)
        load = time.perf_counter() - started
        assert len(requests_) == count

        started = time.perf_counter()
        plain = vcr.VCR(record_mode="none")
        with plain.use_cassette(str(path)):
            session = requests.Session()
            for i in range(count):
                session.get(f"{url}/items/{i}", timeout=5).json()
        vcr_plain = time.perf_counter() - started

        size = path.stat().st_size
    print(f"interactions:                         {count}")
    print(f"cassette size:                        {size / 1e6:.1f} MB")
    print(f"live fetch, no recording (requests):  {live:.2f} s")
    print(f"record (fetch + scrub + write + read back): {record:.2f} s")
    print(f"replay, indexed cassette:             {replay:.2f} s")
    print(f"replay, plain vcrpy matching:         {vcr_plain:.2f} s")
    print(f"load the YAML file only:              {load:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
