"""The reports' indented JSON is the text ``json.dumps(indent=2, ensure_ascii=False)`` writes,
wherever the encoder cuts it into pieces."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nocode import jsontext

SCALARS = st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70) \
    | st.text(max_size=12)  # control characters, quotes, U+2028 included
JSON_LIKE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=6)
                         | st.tuples(inner, inner)
                         | st.dictionaries(st.text(max_size=6) | st.integers(0, 9), inner,
                                           max_size=5), max_leaves=40)


def _stdlib(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(data=JSON_LIKE, long_list=st.integers(0, 4), levels=st.integers(0, 5))
def test_the_text_is_what_json_dumps_writes(data: Any, long_list: int, levels: int) -> None:
    """Outer levels laid out in Python, the rest by orjson or (keys that are no string,
    integers past 64 bits, lone surrogates) by the standard library: the same characters."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsontext, "LONG_LIST", long_list)
        patch.setattr(jsontext, "OUTER_LEVELS", levels)
        assert "".join(jsontext.indented(data)) == _stdlib(data)
    assert jsontext.dumps(data) == _stdlib(data)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=8))
def test_floats_read_back_as_the_same_numbers(values: list[float]) -> None:
    text = jsontext.dumps({"evidence": {"values": values}})
    assert json.loads(text) == {"evidence": {"values": values}}


def test_what_json_has_no_word_for_is_null_and_other_types_fail_as_json_dumps_fails() -> None:
    assert json.loads(jsontext.dumps([math.nan, math.inf])) == [None, None]
    assert jsontext.dumps({"name": ["half \udc8f"]}) == _stdlib({"name": ["half \udc8f"]})
    with pytest.raises(TypeError):
        jsontext.dumps({"findings": [{"when": {1, 2}}]})


def test_a_long_list_is_written_item_by_item() -> None:
    """Each finding of a long list is one piece: never the whole report at once."""
    findings = [{"rule": "SEC001", "evidence": {"n": n, "lines": ["a", "b"]}} for n in range(50)]
    pieces = list(jsontext.indented({"findings": findings}))
    assert "".join(pieces) == _stdlib({"findings": findings})
    assert max(len(p) for p in pieces) < len(_stdlib(findings[-1])) + 40
