"""The evidence log: one hash-chained JSON line per run, so an auditor can tell that no run's
record was altered, removed or slipped in afterwards.

Each record holds ``seq`` (1, 2, …), ``prev`` (the previous record's ``hash``, null for the
first) and ``hash`` = sha256 of the record's canonical JSON without ``hash``. A line must be
exactly that canonical JSON, so even a change that parses to the same data is caught.

A chain without a secret key shows accidental and naive edits; someone who rewrites the whole
file from the edited record on can forge it. Anchor the last hash outside the log (a CI
artifact, a commit message, a ticket) and check it with ``verify-log --head HASH``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "pytest-nocode/evidence-log/v1"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def findings_digest(findings: Iterable[Mapping[str, Any]]) -> str:
    """sha256 of the findings list in canonical form (each finding canonical, sorted), so the
    same findings give the same digest whatever order the workers reported them in."""
    items = sorted(canonical(f) for f in findings)
    return hashlib.sha256(("[" + ",".join(items) + "]").encode("utf-8")).hexdigest()


def _last_line(fh: Any) -> bytes:
    """The last non-empty line of a file open for binary reading, read from the end."""
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    chunk = 4096
    data = b""
    pos = end
    while pos > 0:
        step = min(chunk, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return data.rstrip(b"\n")


def append_record(path: Path, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Append one record chained to the last one; the file is locked while we read and write.

    Raises ValueError when the last record cannot be read: appending to a broken chain would
    hide the break.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "r+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            last = _last_line(fh)
            if last:
                try:
                    previous = json.loads(last.decode("utf-8"))
                    prev_hash, prev_seq = previous["hash"], int(previous["seq"])
                except (ValueError, KeyError, TypeError):
                    raise ValueError(f"{path}: the last record is unreadable; run "
                                     f"'pytest-nocode verify-log {path}'") from None
            else:
                prev_hash, prev_seq = None, 0
            record = {"schema": SCHEMA, **fields, "seq": prev_seq + 1, "prev": prev_hash}
            record["hash"] = record_hash(record)
            fh.seek(0, os.SEEK_END)
            if fh.tell() and not _ends_with_newline(fh):
                fh.write(b"\n")
            fh.write(canonical(record).encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def _ends_with_newline(fh: Any) -> bool:
    fh.seek(-1, os.SEEK_END)
    return fh.read(1) == b"\n"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    records: int
    message: str
    line: int | None = None  # the first line at fault
    head: str | None = None  # the last record's hash


def verify(path: Path, head: str | None = None) -> Verdict:
    """Check every record's own hash, its canonical form, the chain and the numbering; the
    message names the first record that was altered, removed or inserted."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Verdict(False, 0, f"{path}: cannot read: {exc.strerror or exc}")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    prev_hash: str | None = None
    prev_seq = 0
    for number, line in enumerate(lines, start=1):
        where = f"record {number} (line {number})"
        try:
            text = line.decode("utf-8")
            record = json.loads(text)
            seq, stored, prev = record["seq"], record["hash"], record["prev"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            return Verdict(False, number - 1, f"{where} was altered: not a readable record",
                           number)
        if not isinstance(record, dict) or not isinstance(seq, int):
            return Verdict(False, number - 1, f"{where} was altered: not a record", number)
        if canonical(record) != text or record_hash(record) != stored:
            return Verdict(False, number - 1, f"{where} (seq {seq}) was altered: its hash does "
                           "not match its content", number)
        if seq > prev_seq + 1:
            missing = f"seq {prev_seq + 1}" if seq == prev_seq + 2 else \
                f"seq {prev_seq + 1}-{seq - 1}"
            return Verdict(False, number - 1, f"record(s) removed before {where}: {missing} "
                           f"missing (seq jumps from {prev_seq} to {seq})", number)
        if seq <= prev_seq:
            return Verdict(False, number - 1, f"{where} was inserted: seq {seq} does not follow "
                           f"seq {prev_seq}", number)
        if prev != prev_hash:
            return Verdict(False, number - 1, f"{where} (seq {seq}) was inserted or the record "
                           "before it was replaced: prev does not match the previous hash",
                           number)
        prev_hash, prev_seq = stored, seq
    if head is not None and prev_hash != head:
        return Verdict(False, len(lines), f"the last record's hash is {prev_hash}, expected "
                       f"{head}: records were removed from the end or the log was rewritten",
                       len(lines), prev_hash)
    return Verdict(True, len(lines), f"{len(lines)} records, chain intact", None, prev_hash)
