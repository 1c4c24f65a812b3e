"""Keeping secrets in: every value known to be secret is masked before it is written anywhere.

The run's :class:`Redactor` learns the secret values the secret scanner found in each app and
the credentials taken from the environment. Reporters pass all text through it, as a last line
of defence behind checks that already mask their evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MIN_SECRET_LENGTH = 6


def mask(value: str) -> str:
    """A stand-in that shows the kind of token (its first characters) and never the secret.

    Short values are masked entirely; longer ones keep up to four leading characters, enough
    to tell ``ghp_`` from ``AKIA`` without revealing anything a guess could use.
    """
    if len(value) < 16:
        return "********"
    return f"{value[:4]}…[masked, {len(value)} chars]"


class Redactor:
    """Replaces every registered secret value in text and nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets.add(value)
            self._pattern = None

    def __len__(self) -> int:
        return len(self._secrets)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._secrets:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern

    def text(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None or not text:
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
