"""Re-record the committed cassettes from real Node-RED and n8n servers.

    python -m tests.live.record_demo_cassettes             # current majors → cassettes/
    python -m tests.live.record_demo_cassettes --previous  # previous majors → tests/data/…

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
from pytest_nocode.platforms.builtin import builtin_platforms
from pytest_nocode.recording import cassette_path, fetch_recorded
from pytest_nocode.transport import RecordingOptions
from tests.live.conftest import N8N_VERSIONS, NODE_RED_VERSIONS, REPO, start_n8n, start_nodered

NODE_RED_PORT = 41880  # not Node-RED's 1880 or n8n's 5678: a real server there is someone's
N8N_PORT = 45678
# The previous majors' cassettes: test fixtures, so that replay of both majors stays tested.
PREVIOUS_MAJORS = REPO / "tests" / "data" / "cassettes-previous-majors"


def main(argv: list[str]) -> int:
    adapters = {a.name: a for a in builtin_platforms()}
    newest = "--previous" not in argv
    out = REPO / "cassettes" if newest else PREVIOUS_MAJORS
    which = -1 if newest else 0
    with tempfile.TemporaryDirectory(prefix="nocode-record-") as tmp:
        nodered_dir, n8n_dir = Path(tmp, "nodered"), Path(tmp, "n8n")
        nodered_dir.mkdir()
        n8n_dir.mkdir()
        servers = []
        try:
            server, nodered = start_nodered(nodered_dir, NODE_RED_PORT,
                                            NODE_RED_VERSIONS[which])
            servers.append(server)
            server, n8n = start_n8n(n8n_dir, N8N_PORT, N8N_VERSIONS[which])
            servers.append(server)
            os.environ.update({"NOCODE_NODERED_USERNAME": nodered.username,
                               "NOCODE_NODERED_PASSWORD": nodered.password,
                               "NOCODE_N8N_API_KEY": n8n.api_key})
            for uri in (nodered.uri, n8n.uri):
                [spec] = parse_app_uri(uri, adapters, REPO)
                snapshot = fetch_recorded(spec, adapters[spec.platform],
                                          RecordingOptions("all", out))
                path = cassette_path(out, spec).relative_to(REPO)
                version = nodered.version if uri == nodered.uri else n8n.version
                print(f"{uri} ({version}): {path} ({snapshot.source}; "
                      f"notes: {snapshot.notes or 'none'})")
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
