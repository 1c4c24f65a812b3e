"""Export text parsed by orjson where it can, by ``json`` elsewhere: the values are always
the ones ``json.loads`` gives (the model, the hash and every finding depend on them)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from pytest_nocode.errors import InputError
from pytest_nocode.platforms import parse_json_text, read_json_file

SAME_AS_JSON = [
    '{"id": 123456789012345678901234567890}',  # past 64 bits: an int, not a float
    '[18446744073709551616, -9223372036854775809, 9223372036854775807]',
    '{"a": 1, "b": 2, "a": 3}',  # the last of a repeated key, in the first one's place
    '[1.0, -0.0, 5e-324, 2.2250738585072011e-308, 1E5, 0.1e1, 1.7976931348623157e308]',
    '["\\ud83d\\ude00", "\\u0000", "\\u2028", "\\/"]',
    '["\\ud800", "\\udc00\\ud800"]',  # lone surrogates: orjson refuses, json keeps them
    '[NaN, Infinity, -Infinity, 1e400]',  # JavaScript's, which json reads and orjson not
    '{"note": "a text with 12345678901234567890 in it"}',
]


def _typed(value: object) -> object:
    """The value with every number's type and exact spelling, so 1 and 1.0 differ."""
    if isinstance(value, dict):
        return [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("text", SAME_AS_JSON)
def test_parsed_values_are_the_ones_json_gives(text: str) -> None:
    assert _typed(parse_json_text(text)) == _typed(json.loads(text))


def test_random_numbers_parse_to_the_same_value_and_type() -> None:
    rng = random.Random(8)
    for _ in range(3000):
        digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789")
                                                  for _ in range(rng.randint(0, 24)))
        if rng.random() < 0.6:
            cut = rng.randint(1, len(digits))
            digits = f"{digits[:cut]}.{digits[cut:] or '0'}"
        if rng.random() < 0.5:
            digits += f"e{rng.randint(-330, 310)}"
        text = f"[{'-' if rng.random() < 0.3 else ''}{digits}]"
        assert _typed(parse_json_text(text)) == _typed(json.loads(text)), text


def test_malformed_json_is_still_named_with_json_s_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "wf.json"
    path.write_text('{"nodes": [1,]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"wf\.json:1:14: invalid JSON: Expecting value"):
        read_json_file(path)


def test_nesting_past_orjson_s_limit_is_refused_as_before(tmp_path: Path) -> None:
    """json's recursion error or the depth check, by the stack the process has (an xdist
    worker's is deeper): refused either way, as without orjson."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 1100 + "]" * 1100, encoding="utf-8")
    with pytest.raises(InputError, match=r"nested (too deeply|more than 100 levels)"):
        read_json_file(path)
