"""Indented JSON as the reports write it, encoded in C piece by piece.

``json.dumps(data, indent=2, ensure_ascii=False)`` is what the findings JSON, the SARIF log
and the Allure evidence attachments are, for people to read; but the standard library
encodes indented JSON in Python (its C encoder only writes compact JSON), a fifth of a
second for the two reports of a 2,000-workflow org. :func:`indented` yields the same text:
the outer levels (a report, a SARIF run) are laid out here, and each item of a long list (a
finding, a result, a resource's evidence), or any value below them, is encoded by orjson
(``OPT_INDENT_2`` writes the standard library's layout) and indented to where it sits. Only
small pieces are held at a time, never the whole text (on 20,000 workflows that was the
run's peak memory).

What orjson does not take (a key that is no string, an integer past 64 bits, a lone
surrogate, another type) is encoded by the standard library, so it fails as ``json.dumps``
fails. Two things are written differently: a float in exponent form the shortest way, the
same number (``1e-7`` where ``json.dumps`` writes ``1e-07``), and a NaN or an infinity,
which JSON has no word for, as ``null`` (``json.dumps`` writes ``NaN``, which strict
readers refuse; an export written by JavaScript holds none).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

LONG_LIST = 16  # items of a longer list are encoded whole, each in one piece
OUTER_LEVELS = 8  # deeper values are encoded whole


def indented(data: Any, level: int = 0) -> Iterator[str]:
    """``json.dumps(data, indent=2, ensure_ascii=False)`` in pieces (see the module), as the
    value would sit ``level`` levels deep."""
    kind = type(data)
    if level >= OUTER_LEVELS or not data or not (kind is dict or kind is list or kind is tuple) \
            or (kind is dict and not all(type(k) is str for k in data)):
        yield _leaf(data, level)
        return
    inner = "\n" + "  " * (level + 1)
    if kind is dict:
        yield "{"
        for n, (key, value) in enumerate(data.items()):
            yield f"{',' if n else ''}{inner}{_leaf(key, 0)}: "
            yield from indented(value, level + 1)
        yield "\n" + "  " * level + "}"
        return
    yield "["
    whole = len(data) > LONG_LIST
    for n, value in enumerate(data):
        yield f",{inner}" if n else inner
        if whole:
            yield _leaf(value, level + 1)
        else:
            yield from indented(value, level + 1)
    yield "\n" + "  " * level + "]"


def dumps(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)`` (see the module), whole: for a
    small value (one resource's evidence), encoded at once."""
    return _leaf(data, 0)


@lru_cache(maxsize=1)
def _encoder() -> tuple[Callable[..., bytes], int, type[Exception]]:
    """orjson's dumps, the options, its error: imported when a report is written (its import
    costs 20 ms of CPU, a twentieth of a run on the demo apps)."""
    import orjson

    # datetimes and dataclasses as json.dumps takes them: not at all
    options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | \
        orjson.OPT_PASSTHROUGH_DATACLASS
    return orjson.dumps, options, orjson.JSONEncodeError


def _leaf(value: Any, level: int) -> str:
    dumps, options, error = _encoder()
    try:
        text = dumps(value, option=options).decode()
    except error:  # as json.dumps writes it, or fails
        text = json.dumps(value, indent=2, ensure_ascii=False)
    # a line break in JSON text is layout, never inside a string (written there as \n)
    return text.replace("\n", "\n" + "  " * level) if level and "\n" in text else text
