"""Placeholders that stand in for secrets scrubbed out of a cassette, and what each stood for.

Why a placeholder and not a look-alike fake: a committed cassette must be obviously safe. A
fake ``ghp_…`` token of the right shape is reported as a live credential by every generic
secret scanner (GitHub push protection, gitleaks, detect-secrets), and a reviewer cannot tell
it from a scrubbing failure. ``nocode-scrubbed-1f2e3d4c5b6a`` matches no scanner's pattern,
says what it is, and is safe in URLs and code (no quotes, spaces, slashes, colons or ``@``).

What the checks need of the secret (its kind, its length and the characters masked evidence
shows anyway) is written into the cassette next to the interactions, without the secret: the
manifest (``nocode_scrubbed:``). A replayed cassette registers its manifest here, process-wide
and keyed by placeholder only. The secret scanner then reports a registered placeholder as a
secret of its recorded kind, and :func:`pytest_nocode.redaction.mask` masks it as it masked
the original, so a replay reports exactly what the live scan reported.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MANIFEST_KEY", "PATTERN", "PREFIX", "ScrubbedSecret", "found_in", "lookup",
           "make_placeholder", "parse_manifest", "register", "unlisted"]

PREFIX = "nocode-scrubbed-"
HEX_DIGITS = 12  # 48 bits: no two secrets of one cassette share a placeholder by chance
PATTERN = re.compile(f"{PREFIX}[0-9a-f]{{{HEX_DIGITS}}}")
MANIFEST_KEY = "nocode_scrubbed"  # the cassette's top-level key; vcrpy ignores it
MAX_PREFIX = 4  # redaction.mask never shows more of a secret than this


@dataclass(frozen=True)
class ScrubbedSecret:
    """What a placeholder stood for, without the secret: enough to report it the same way."""

    kind: str  # the secret scanner's kind: "GitHub Token", "Password in URL", …
    length: int
    prefix: str  # what redaction.mask showed of it: the first 4 characters, or "" if short

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "length": self.length, "prefix": self.prefix}

    @classmethod
    def from_json(cls, obj: Any) -> ScrubbedSecret:
        """Validated: a manifest is read from a file anyone may have edited."""
        if not isinstance(obj, Mapping):
            raise ValueError("an entry is not a mapping")
        kind, length, prefix = obj.get("kind"), obj.get("length"), obj.get("prefix", "")
        if not isinstance(kind, str) or not kind:
            raise ValueError("an entry has no kind")
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            raise ValueError("an entry has no positive length")
        if not isinstance(prefix, str) or len(prefix) > min(MAX_PREFIX, length):
            raise ValueError(f"an entry's prefix is longer than {MAX_PREFIX} characters")
        return cls(kind, length, prefix)


def make_placeholder(key: bytes, label: str, ordinal: int, secret: ScrubbedSecret) -> str:
    """The placeholder of the ``ordinal``-th secret scrubbed out of cassette ``label``.

    Keyed over what the manifest says of it anyway (kind, length, prefix), never over the
    secret's value: with the built-in key anyone can compute HMACs, and a placeholder derived
    from the value would confirm a guessed password. The same placeholder in two cassettes
    therefore always means the same thing, which keeps the process-wide registry consistent.
    """
    message = f"{label}|{ordinal}|{secret.kind}|{secret.length}|{secret.prefix}".encode()
    return PREFIX + hmac.new(key, message, "sha256").hexdigest()[:HEX_DIGITS]


def parse_manifest(obj: Any) -> dict[str, ScrubbedSecret]:
    """A cassette's ``nocode_scrubbed`` mapping, validated (ValueError naming the problem)."""
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise ValueError(f"{MANIFEST_KEY} is not a mapping")
    manifest: dict[str, ScrubbedSecret] = {}
    for placeholder, entry in obj.items():
        if not isinstance(placeholder, str) or not PATTERN.fullmatch(placeholder):
            raise ValueError(f"{MANIFEST_KEY} lists {str(placeholder)[:40]!r}, which is not a "
                             "placeholder")
        try:
            manifest[placeholder] = ScrubbedSecret.from_json(entry)
        except ValueError as exc:
            raise ValueError(f"{MANIFEST_KEY}: {placeholder}: {exc}") from None
    return manifest


def unlisted(text: str, listed: Collection[str]) -> list[str]:
    """Placeholders in ``text`` that are not ``listed`` (a manifest's keys): a cassette edited
    or assembled by hand, whose findings could not be reproduced."""
    if PREFIX not in text:
        return []
    return sorted({p for p in PATTERN.findall(text) if p not in listed})


# -- the process-wide registry ----------------------------------------------------------------
_REGISTRY: dict[str, ScrubbedSecret] = {}


def register(manifest: Mapping[str, Any]) -> None:
    """Make a replayed cassette's placeholders known to the scanner and to ``mask``.

    ``manifest`` is the JSON form a cassette and a RawSnapshot (for xdist workers) carry. A
    placeholder registered with another meaning is an error (ValueError), never overwritten.
    """
    for placeholder, secret in parse_manifest(manifest).items():
        known = _REGISTRY.setdefault(placeholder, secret)
        if known != secret:
            raise ValueError(f"{placeholder} stands for a {known.kind} of {known.length} "
                             f"characters in one cassette and a {secret.kind} of "
                             f"{secret.length} in another; re-record one of them")


def lookup(placeholder: str) -> ScrubbedSecret | None:
    return _REGISTRY.get(placeholder)


def found_in(text: str) -> list[tuple[int, str, ScrubbedSecret]]:
    """(offset, placeholder, what it stood for) of each registered placeholder in ``text``;
    one substring test for text without any."""
    if not _REGISTRY or PREFIX not in text:
        return []
    found = []
    for m in PATTERN.finditer(text):
        secret = _REGISTRY.get(m.group())
        if secret is not None:
            found.append((m.start(), m.group(), secret))
    return found

