"""The evidence log: one hash-chained JSON line per run, so an auditor can tell that no run's
record was altered, removed or slipped in afterwards.

Each record holds ``seq`` (1, 2, …), ``prev`` (the previous record's ``hash``, null for the
first) and ``hash`` = sha256 of the record's canonical JSON without ``hash``. A line must be
exactly that canonical JSON, so even a change that parses to the same data is caught.

A chain without a secret key shows accidental and naive edits; someone who rewrites the whole
file from the edited record on can forge it. With ``NOCODE_EVIDENCE_KEY`` set, each record's
``hash`` is an HMAC-SHA256 under that key (``"hash_alg": "hmac-sha256"`` in the record), so
nobody without the key can rewrite a record and recompute the chain; ``verify-log`` needs the
key to check such records and says so when it is missing. Once a log is keyed it stays keyed:
an unkeyed record after a keyed one is a forgery. Anchor the last hash outside the log (a CI
artifact, a commit message, a ticket) and check it with ``verify-log --head HASH``: that also
catches records removed from the end. The key itself is never written anywhere.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "pytest-nocode/evidence-log/v1"
SEVERITIES = ("critical", "high", "medium", "low", "info")
KEY_VARIABLE = "NOCODE_EVIDENCE_KEY"
KEYED = "hmac-sha256"  # the hash_alg of a keyed record; unkeyed records have none (sha256)


def evidence_key() -> bytes | None:
    """The evidence log's HMAC key from ``NOCODE_EVIDENCE_KEY``, or None when unset."""
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode("utf-8") if value else None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_keyed(record: Mapping[str, Any]) -> bool:
    return record.get("hash_alg") == KEYED


def record_hash(record: Mapping[str, Any], key: bytes | None = None) -> str:
    """sha256 of the record's canonical JSON without ``hash``; an HMAC under ``key`` for a
    keyed record (ValueError without a key: it cannot be computed)."""
    body = canonical({k: v for k, v in record.items() if k != "hash"}).encode("utf-8")
    if is_keyed(record):
        if key is None:
            raise ValueError(f"the record is keyed: set {KEY_VARIABLE}")
        return hmac.new(key, body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def findings_digest(findings: Iterable[Mapping[str, Any]]) -> str:
    """sha256 of the findings list in canonical form (each finding canonical, sorted), so the
    same findings give the same digest whatever order the workers reported them in."""
    items = sorted(canonical(f) for f in findings)
    return hashlib.sha256(("[" + ",".join(items) + "]").encode("utf-8")).hexdigest()


def counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """The record's finding counts, by status and by severity (zero counts left out)."""
    findings = list(findings)
    by_status = Counter(f["status"] for f in findings)
    by_severity = Counter(f["severity"] for f in findings)
    return {"status": {s: by_status[s] for s in ("fail", "warn", "waived") if by_status[s]},
            "severity": {s: by_severity[s] for s in SEVERITIES if by_severity[s]}}


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


def append_record(path: Path, fields: Mapping[str, Any], key: bytes | None = None
                  ) -> dict[str, Any]:
    """Append one record chained to the last one (keyed when ``key`` is given); the file is
    locked while we read and write.

    Raises ValueError when the last record cannot be read, or is keyed and does not verify
    with ``key`` (or there is no key): appending to a broken chain would hide the break, and
    an unkeyed record after keyed ones would be a downgrade anyone could forge.
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
                _check_last(path, previous, key)
            else:
                prev_hash, prev_seq = None, 0
            record = {"schema": SCHEMA, **fields, "seq": prev_seq + 1, "prev": prev_hash}
            if key is not None:
                record["hash_alg"] = KEYED
            record["hash"] = record_hash(record, key)
            fh.seek(0, os.SEEK_END)
            if fh.tell() and not _ends_with_newline(fh):
                fh.write(b"\n")
            fh.write(canonical(record).encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def _check_last(path: Path, previous: Mapping[str, Any], key: bytes | None) -> None:
    """A keyed log takes only keyed records, and only after its last one verifies."""
    if not is_keyed(previous):
        return
    if key is None:
        raise ValueError(f"{path} is keyed (HMAC): set {KEY_VARIABLE} to append to it")
    if not hmac.compare_digest(record_hash(previous, key), str(previous.get("hash"))):
        raise ValueError(f"{path}: the last record does not verify with {KEY_VARIABLE} (a "
                         f"different key, or the record was altered); run 'pytest-nocode "
                         f"verify-log {path}'")


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
    keyed: int = 0  # records whose hash is an HMAC


def verify(path: Path, head: str | None = None, key: bytes | None = None) -> Verdict:
    """Check every record's own hash (its HMAC under ``key`` when keyed), its canonical form,
    the chain and the numbering; the message names the first record that was altered, removed
    or inserted, or says that the key is needed."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Verdict(False, 0, f"{path}: cannot read: {exc.strerror or exc}")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    prev_hash: str | None = None
    prev_seq = 0
    keyed = 0
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
        if is_keyed(record):
            if key is None:
                return Verdict(False, number - 1, f"{where} (seq {seq}) is keyed (HMAC) and "
                               f"{KEY_VARIABLE} is not set: set it to the log's key to verify "
                               "the log; without it a forged record cannot be told from a "
                               "real one", number, keyed=keyed)
            keyed += 1
        elif keyed:
            return Verdict(False, number - 1, f"{where} (seq {seq}) is not keyed, but earlier "
                           "records are: it was written or rewritten without the key (a keyed "
                           "log stays keyed)", number, keyed=keyed)
        if canonical(record) != text or not hmac.compare_digest(record_hash(record, key),
                                                                str(stored)):
            what = "its HMAC does not match its content (altered, or a different key)" \
                if is_keyed(record) else "its hash does not match its content"
            return Verdict(False, number - 1, f"{where} (seq {seq}) was altered: {what}",
                           number, keyed=keyed)
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
                       len(lines), prev_hash, keyed)
    if key is not None and lines and not keyed:
        return Verdict(False, len(lines), f"{KEY_VARIABLE} is set but no record is keyed: "
                       "the log was written without the key, or rewritten by someone "
                       "without it", None, prev_hash, keyed)
    return Verdict(True, len(lines), f"{len(lines)} records, chain intact"
                   + _keying(len(lines), keyed), None, prev_hash, keyed)


UNKEYED_NOTE = ("the log is not keyed: anyone who can write the file can rewrite it and "
                f"recompute the chain; set {KEY_VARIABLE} to key new records, and anchor the "
                "head hash elsewhere")


def _keying(records: int, keyed: int) -> str:
    if keyed and keyed == records:
        return ", every record keyed (HMAC) and verified with the key"
    if keyed:
        return (f", records {records - keyed + 1}-{records} keyed (HMAC) and verified with the "
                f"key (the first {records - keyed} were written before the log was keyed)")
    return ""
