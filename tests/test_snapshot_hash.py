"""The snapshot hash sorts each collection by its items' canonical JSON without holding every
item's text at once: items are ordered by the start of their text (up to their id) and only
items whose starts are equal by their whole texts. The order, so the hash, is the one sorting
the whole texts gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nocode.model import (
    _CANONICAL,
    App,
    Resource,
    Step,
    _canonical_default,
    _in_text_order,
    canonical_json,
    json_text,
)

# ids that are prefixes of each other, need escaping, or sort differently as text and as JSON
IDS = st.one_of(st.sampled_from(["a", "ab", "a b", 'a"', "a\\", "a\\b", "é", "a\n", "a,", ""]),
                st.text(max_size=6))
STEPS = st.builds(
    Step, id=IDS, name=st.text(max_size=4), type=st.sampled_from(["http", "exec"]),
    workflow_id=st.sampled_from(["w1", "w2"]), path=st.text(max_size=4),
    params=st.dictionaries(st.text(max_size=3), st.text(max_size=3) | st.integers(), max_size=2),
    config_refs=st.lists(IDS, max_size=2).map(tuple), disabled=st.booleans())


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(STEPS, max_size=12))
def test_items_come_in_the_order_of_their_whole_texts(steps: list[Step]) -> None:
    """Repeated ids (equal starts) included: those are ordered by their whole texts."""
    assert list(_in_text_order(tuple(steps))) == sorted(_CANONICAL(s) for s in steps)


@given(ids=st.lists(st.text(max_size=5), max_size=8))
def test_items_without_a_text_id_are_sorted_by_their_whole_texts(ids: list[str]) -> None:
    resources = tuple(Resource("node", i, "n") for i in ids)
    assert list(_in_text_order(resources)) == sorted(_CANONICAL(r) for r in resources)
    plain = tuple({"id": i} for i in ids)  # not model items: no starts to go by
    assert list(_in_text_order(plain)) == sorted(_CANONICAL(p) for p in plain)


def test_the_hash_does_not_depend_on_the_order_of_steps() -> None:
    steps = (Step("b", "B", "exec", "w", "p/b"), Step("a", "A", "http", "w", "p/a"),
             Step("ab", "AB", "http", "w", "p/ab"))
    one = App("x", "n8n", "X", frozenset({"workflows"}), steps=steps)
    other = App("y", "n8n", "Y", frozenset({"workflows"}), steps=steps[::-1])
    changed = App("x", "n8n", "X", frozenset({"workflows"}),
                  steps=(*steps[:2], Step("ab", "AB", "http", "w", "p/ab", disabled=True)))
    assert one.sha256() == other.sha256() != changed.sha256()


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner)
    | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(value=JSON_LIKE | STEPS)
def test_the_encoder_made_once_writes_what_a_new_encoder_writes(value: object) -> None:
    fresh = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                             default=_canonical_default)
    assert _CANONICAL(value) == fresh.encode(value)
    assert canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False, default=str)


@settings(max_examples=300, deadline=None)
@given(value=JSON_LIKE | STEPS | st.dictionaries(st.text(max_size=3), STEPS, max_size=2))
def test_json_text_writes_what_json_dumps_writes(value: object) -> None:
    """The checks' search text of a step's parameters: the same text as ``json.dumps`` with
    ``default=str`` (non-ASCII escaped or not, a value it cannot encode written by ``str``),
    from an encoder made once."""
    assert json_text(value) == json.dumps(value, default=str)
    assert json_text(value, ensure_ascii=False) == json.dumps(value, default=str,
                                                              ensure_ascii=False)


def test_json_text_fails_as_json_dumps_fails_and_recovers() -> None:
    looped: list[object] = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        json_text({"a": looped})
    with pytest.raises(ValueError, match="Circular reference"):
        json.dumps({"a": looped}, default=str)
    shared = ["é"]
    assert json_text({"b": shared, "a": shared}) == '{"b": ["\\u00e9"], "a": ["\\u00e9"]}'
    assert json_text("é", ensure_ascii=False) == '"é"'


def test_a_failed_encoding_leaves_nothing_behind() -> None:
    """A value the encoder refuses (a loop, a key it cannot sort) fails as json.dumps fails,
    and the next value is encoded as if it had not been tried."""
    looped: list[object] = [[1]]
    looped[0].append(looped)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Circular reference"):
        canonical_json({"a": looped})
    value = [[1, 2], {1: 1, "b": 2}]  # keys that cannot be sorted: fails half-way
    with pytest.raises(TypeError):
        canonical_json(value)
    value.pop()  # the same list, no loop in it: no "circular reference" left from the failure
    assert canonical_json(value) == "[[1,2]]"
    shared = [1, 2]
    assert canonical_json({"b": shared, "a": shared}) == '{"a":[1,2],"b":[1,2]}'
