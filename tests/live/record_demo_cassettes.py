"""Re-record the committed cassettes in ``cassettes/`` from real Node-RED and n8n servers.

    python -m tests.live.record_demo_cassettes

Starts both servers exactly as the live tests do (demo flows and workflows, a random canary
secret, an admin user and an API key made up for this run), on fixed loopback ports so the
cassette names stay the same, records every app with record mode ``all`` and stops them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pytest_nocode.appspec import parse_app_uri
from pytest_nocode.loading import RecordingOptions
from pytest_nocode.platforms import builtin_platforms
from pytest_nocode.recording import cassette_path, fetch_recorded
from tests.live.conftest import REPO, start_n8n, start_nodered

NODE_RED_PORT = 41880  # not Node-RED's 1880 or n8n's 5678: a real server there is someone's
N8N_PORT = 45678


def main() -> int:
    adapters = {a.name: a for a in builtin_platforms()}
    out = REPO / "cassettes"
    with tempfile.TemporaryDirectory(prefix="nocode-record-") as tmp:
        nodered_dir, n8n_dir = Path(tmp, "nodered"), Path(tmp, "n8n")
        nodered_dir.mkdir()
        n8n_dir.mkdir()
        servers = []
        try:
            server, nodered = start_nodered(nodered_dir, NODE_RED_PORT)
            servers.append(server)
            server, n8n = start_n8n(n8n_dir, N8N_PORT)
            servers.append(server)
            os.environ.update({"NOCODE_NODERED_USERNAME": nodered.username,
                               "NOCODE_NODERED_PASSWORD": nodered.password,
                               "NOCODE_N8N_API_KEY": n8n.api_key})
            for uri in (nodered.uri, n8n.uri):
                [spec] = parse_app_uri(uri, adapters, REPO)
                snapshot = fetch_recorded(spec, adapters[spec.platform],
                                          RecordingOptions("all", out))
                path = cassette_path(out, spec).relative_to(REPO)
                print(f"{uri}: {path} ({snapshot.source}; notes: {snapshot.notes or 'none'})")
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
