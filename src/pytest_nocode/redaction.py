"""Keeping secrets in: every value known to be secret is masked before it is written anywhere.

The run's :class:`Redactor` learns the secret values the secret scanner found in each app and
the credentials taken from the environment. Reporters pass all text through it, as a last line
of defence behind checks that already mask their evidence.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_nocode import placeholders

MIN_SECRET_LENGTH = 6
MASK_MIN_LENGTH = 16  # shorter values are masked whole
MASK_SHOWN = 4  # leading characters a mask shows of longer ones


def mask(value: str) -> str:
    """A stand-in that shows the kind of token (its first characters) and never the secret.

    Short values are masked entirely; longer ones keep up to four leading characters, enough
    to tell ``ghp_`` from ``AKIA`` without revealing anything a guess could use. A placeholder
    from a replayed cassette is masked as the secret it replaced was (its manifest says how),
    so a replay's evidence reads exactly as the live scan's.
    """
    scrubbed = placeholders.lookup(value)
    if scrubbed is not None:
        return _masked(scrubbed.prefix, scrubbed.length)
    return _masked(shown_prefix(value), len(value))


def shown_prefix(value: str) -> str:
    """The characters of a secret that :func:`mask` shows: what a cassette may keep of it."""
    return value[:MASK_SHOWN] if len(value) >= MASK_MIN_LENGTH else ""


def _masked(prefix: str, length: int) -> str:
    if length < MASK_MIN_LENGTH:
        return "********"
    return f"{prefix}…[masked, {length} chars]"


class Redactor:
    """Replaces every registered secret value in text and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        """Remember a secret value. Short plain words (a weak password such as ``changeme``)
        are left out: masking every occurrence of an ordinary word would garble messages, and
        the check that found them masks them in its own evidence."""
        value = value.strip()
        if value.isalpha() and len(value) < 12:
            return
        if len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets.add(value)
            self._pattern = None

    def __len__(self) -> int:
        return len(self._secrets)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._secrets:
            try:  # a trie-shaped pattern: ~10x faster than a flat alternation of hundreds
                self._pattern = re.compile(_trie_pattern(self._secrets))
            except (RecursionError, re.error):
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern

    def text(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None or len(text) < MIN_SECRET_LENGTH:
            return text
        return pattern.sub(lambda m: mask(m.group(0)), text)

    def data(self, value: Any) -> Any:
        """A copy of ``value`` (JSON-like data) with every secret masked, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words``, longest first at each position (as the flat
    ``longest|…|shortest`` alternation does), shaped as a trie so the engine tests each
    character once per branch point instead of once per word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word

    def build(node: dict[str, Any]) -> str:
        alternatives = []
        for ch in sorted(k for k in node if k):
            child, run = node[ch], [ch]
            while len(child) == 1 and "" not in child:  # a chain without choices
                (ch2, child), = child.items()
                run.append(ch2)
            rest = build(child) if len(child) > 1 or "" not in child else ""
            alternatives.append(re.escape("".join(run)) + rest)
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if "" in node else body

    return build(trie)
