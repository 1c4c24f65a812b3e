"""Keeping secrets in: every value known to be secret is masked before it is written anywhere.

The run's :class:`Redactor` learns the secret values the secret scanner found in each app and
the credentials taken from the environment. Evidence is masked once, where a finding is made
(:class:`~pytest_nocode.findings.FindingCollector`); each output then gets one last pass over
its serialized text (:meth:`Redactor.text`, :meth:`Redactor.json_text`), a regex over the
characters instead of a walk over every object.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pytest_nocode import jsontext, placeholders

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
        self._json_pattern: re.Pattern[str] | None = None
        self._json_forms: dict[str, str] = {}  # a secret as JSON writes it -> the secret
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
            self._pattern = self._json_pattern = None

    def __len__(self) -> int:
        return len(self._secrets)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._secrets:
            self._pattern = _pattern_of(self._secrets)
        return self._pattern

    def _json_compiled(self) -> re.Pattern[str] | None:
        if self._json_pattern is None and self._secrets:
            self._json_forms = {}
            for value in self._secrets:
                for ascii_only in (False, True):  # either way a writer may have escaped it
                    self._json_forms[json.dumps(value, ensure_ascii=ascii_only)[1:-1]] = value
            self._json_pattern = _pattern_of(self._json_forms)
        return self._json_pattern

    def text(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None or len(text) < MIN_SECRET_LENGTH:
            return text
        return pattern.sub(lambda m: mask(m.group(0)), text)

    def json_text(self, text: str) -> str:
        """Serialized JSON with every secret masked, as JSON writes each secret inside a string
        (quotes, backslashes and control characters escaped, non-ASCII as is or as ``\\u``).

        Each mask is written escaped, so the text stays valid JSON. A match that
        starts inside an escape sequence (``\\n`` then a secret starting with ``n``) takes
        the escape with it, so no half escape is left behind: more is masked, never less.
        """
        pattern = self._json_compiled()
        if pattern is None or len(text) < MIN_SECRET_LENGTH:
            return text
        out: list[str] = []
        done = 0
        for match in pattern.finditer(text):
            start = _escape_start(text, match.start())
            if start < done:  # inside the previous mask's span: already covered
                start = done
            out.append(text[done:start])
            out.append(json.dumps(mask(self._json_forms[match.group(0)]),
                                  ensure_ascii=False)[1:-1])
            done = match.end()
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)

    def data(self, value: Any) -> Any:
        """A copy of ``value`` (JSON-like data) with every secret masked, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


WRITE_PIECE = 1 << 20  # characters of indented JSON gathered before a piece is written


def json_pieces(data: Any, redactor: Redactor | None = None) -> Iterator[str]:
    """``data`` as indented JSON (``json.dumps(data, indent=2, ensure_ascii=False)``, as
    :func:`~pytest_nocode.jsontext.indented` encodes it) in pieces of whole lines, each given
    the redactor's last pass on its own.

    Never the whole text at once, nor the list of its small chunks that ``json.dumps`` joins
    (ten times the text): on 20,000 workflows those were the run's peak memory. A pass over
    each piece masks what a pass over the whole text masks: a secret, as JSON writes it
    inside a string, holds no line break, so none spans two pieces."""
    pending: list[str] = []
    size = 0
    for chunk in jsontext.indented(data):
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_PIECE:
            text = "".join(pending)
            cut = text.rfind("\n") + 1
            if cut:
                yield redactor.json_text(text[:cut]) if redactor is not None else text[:cut]
            pending, size = [text[cut:]], len(text) - cut
    text = "".join(pending)
    yield redactor.json_text(text) if redactor is not None else text


def _pattern_of(words: Iterable[str]) -> re.Pattern[str]:
    try:  # a trie-shaped pattern: ~10x faster than a flat alternation of hundreds
        return re.compile(_trie_pattern(words))
    except (RecursionError, re.error):
        ordered = sorted(words, key=len, reverse=True)
        return re.compile("|".join(re.escape(s) for s in ordered))


_UNICODE_ESCAPE_HEAD = re.compile(r"\\u[0-9a-fA-F]{0,3}$")


def _escape_start(text: str, start: int) -> int:
    """Where the escape sequence that ``start`` falls inside begins (``start`` if none)."""
    head = _UNICODE_ESCAPE_HEAD.search(text, max(0, start - 6), start)
    at = head.start() if head else start
    slashes = 0
    while at - slashes > 0 and text[at - slashes - 1] == "\\":
        slashes += 1
    if head:  # a real escape when the backslash before the u is not itself escaped
        return at if slashes % 2 == 0 else start
    return start - 1 if slashes % 2 else start


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
