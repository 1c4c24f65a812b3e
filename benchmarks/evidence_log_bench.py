"""How long ``pytest-nocode verify-log`` takes on a long evidence log.

    python benchmarks/evidence_log_bench.py [RECORDS] [REPEATS]

Writes RECORDS chained records shaped like a real run's (two apps, counts, digests) to a
temporary file, then times ``verify`` REPEATS times and the CLI once, and prints the figures.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_nocode.reporting.evidence_log import SCHEMA, canonical, record_hash, verify


def make_log(path: Path, count: int) -> None:
    """Chain ``count`` records in memory and write them at once (append_record fsyncs each
    record, which measures the disk, not the chain)."""
    prev = None
    lines = []
    for seq in range(1, count + 1):
        digest = hashlib.sha256(str(seq).encode()).hexdigest()
        record = {
            "schema": SCHEMA, "tool": {"name": "pytest-nocode", "version": "0.1.0"},
            "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:00:05+00:00",
            "apps": [{"id": "demo-nodered", "platform": "nodered", "source": "demo",
                      "snapshot_sha256": digest},
                     {"id": "demo-n8n", "platform": "n8n", "source": "demo",
                      "snapshot_sha256": digest}],
            "policy_sha256": digest, "waivers_sha256": None,
            "counts": {"status": {"fail": 39, "waived": 2}, "severity": {"high": 16, "low": 7},
                       "checks": {"collected": 80, "failed": 21}},
            "exit_status": 1, "findings_digest": digest, "run_by": "ci (CI actor bot)",
            "seq": seq, "prev": prev,
        }
        record["hash"] = record_hash(record)
        prev = record["hash"]
        lines.append(canonical(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidence.jsonl"
        make_log(path, count)
        size = path.stat().st_size
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            verdict = verify(path)
            times.append(time.perf_counter() - started)
            assert verdict.ok, verdict.message
        started = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "pytest_nocode.cli", "verify-log",
                              str(path)], capture_output=True, text=True, check=False)
        cli_time = time.perf_counter() - started
        print(f"{count} records, {size / 1e6:.1f} MB")
        print(f"verify(): best {min(times):.3f} s, median {sorted(times)[len(times) // 2]:.3f} s"
              f" over {repeats} runs")
        print(f"pytest-nocode verify-log (new process, incl. interpreter start): {cli_time:.3f} s"
              f", exit {cli.returncode}: {cli.stdout.splitlines()[0] if cli.stdout else ''}")


if __name__ == "__main__":
    main()
