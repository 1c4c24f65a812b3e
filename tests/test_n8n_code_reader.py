"""Which input expressions each field an n8n Code node returns is a copy of, as the flow adapter
is told (:func:`~pytest_nocode.platforms.n8n_code.code_field_values`). Shapes distilled in our
own words from real Code nodes: destructured request bodies, pass-through helpers, the legacy
``items`` array, an item held in a variable, callbacks with returns of their own; and code the
reader must leave alone (cut, nested too deep, not text)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms import jsparse, n8n_code
from pytest_nocode.platforms.n8n_code import (
    RAW,
    TEXT,
    code_closed_fields,
    code_field_values,
    code_passed_input,
)


def _reads(code: str) -> dict[str, Any]:
    return {k: (v.level, set(v.reads or ())) for k, v in code_field_values(code).items()}


def test_destructured_fields_are_read_from_where_they_came() -> None:
    code = ("const { phone, name: who, kind = 'text' } = $json.body;\n"
            "return [{ json: { phone, who, kind } }];")
    assert _reads(code) == {"phone": (RAW, {"$json.body.phone"}),
                            "who": (RAW, {"$json.body.name"}),
                            "kind": (RAW, {"$json.body.kind"})}


def test_destructured_from_an_unknown_call_is_not_listed() -> None:
    code = "const { phone } = lookup($json.body);\nreturn [{ json: { phone, at: 1 } }];"
    assert _reads(code) == {"at": (TEXT, set())}


def test_a_helper_that_passes_its_argument_through_returns_that_argument() -> None:
    code = ("const clean = (s) => String(s || '').trim();\n"
            "return { name: clean($json.body.name), fixed: clean('x') };")
    assert _reads(code) == {"name": (RAW, {"$json.body.name"}), "fixed": (TEXT, set())}


@pytest.mark.parametrize(("declared", "expected"), [
    ("", {"x": (RAW, {"$input.all()[0].json.x"})}),
    ("const items = [{ json: { x: 'a' } }];\n", {"x": (TEXT, set())}),
])
def test_the_legacy_items_array_is_the_nodes_input_unless_the_code_declares_it(
        declared: str, expected: dict[str, Any]) -> None:
    assert _reads(declared + "return [{ json: { x: items[0].json.x } }];") == expected


def test_an_item_held_in_a_variable_is_read_like_the_item_itself() -> None:
    held = "const item = $input.first();\nreturn { x: item.json.body.x };"
    direct = "return { x: $input.first().json.body.x };"
    assert _reads(held) == _reads(direct) == {"x": (RAW, {"$input.first().json.body.x"})}


def test_a_callbacks_own_return_is_not_what_the_code_returns() -> None:
    code = ("const rows = $json.list.filter((r) => { return r.ok; });\n"
            "return [{ json: { n: rows.length } }];")
    assert _reads(code) == {"n": (TEXT, set())}


def test_a_return_of_something_else_leaves_every_field_unread() -> None:
    code = "if ($json.skip) { return $input.all(); }\nreturn [{ json: { n: 1 } }];"
    assert _reads(code) == {}


@pytest.mark.parametrize("code", [
    "const d = $json.body;\nreturn [{ json: { sql: `SELECT '${d.x}",  # cut
    "return { a: " + "[" * 4000 + "]" * 4000 + " };",  # nested deeper than Python recurses
    "const a = " + "(" * 4000 + "1" + ")" * 4000 + ";\nreturn { a };",
    "return { a: 1 " + "+ 1 " * 20000 + "};",  # long
], ids=["cut", "deep array", "deep parentheses", "long sum"])
def test_code_too_odd_to_read_is_left_as_mix_or_read_without_error(code: str) -> None:
    fields = code_field_values(code)
    assert fields == {} or set(fields) == {"a"}
    assert all(v.reads == frozenset() for v in fields.values())


@pytest.mark.parametrize("code", [None, 42, ["return {a: 1}"], b"return {a: 1}"])
def test_code_that_is_not_text_is_not_read(code: Any) -> None:
    assert code_field_values(code) == {}


# -- one reading per code answers every question (passed input, fields, closed fields) ------
_SPREAD_HELD = ("const data = $input.item.json;\n"
                "return [{ json: { ...data, total: $json.price * 2, note: 'ok' } }];")


@pytest.mark.parametrize(("code", "passed"), [
    ("return [{ json: { ...$json, seen: true } }];", ({"seen"}, set())),
    (_SPREAD_HELD, ({"total", "note"}, set())),
    ("if ($json.a) { return { ...$json, a: 1 }; }\nreturn { ...$json, a: 2, b: 3 };",
     ({"a"}, {"b"})),
    # the spread name is not plainly the input item: changed afterwards, or not const
    ("let data = $input.item.json;\ndata = {};\nreturn [{ json: { ...data, x: 1 } }];", None),
    ("let data = $input.item.json;\nreturn [{ json: { ...data, x: 1 } }];", None),
    ("return [{ json: { ...$json, ...$json.extra, x: 1 } }];", None),  # a second spread
    ("return [{ json: { note: '...', x: 1 } }];", None),  # the dots are only text
])
def test_a_spread_input_item_is_passed_on_with_the_fields_set(
        code: str, passed: tuple[set[str], set[str]] | None) -> None:
    got = code_passed_input(code)
    assert (got if got is None else (set(got[0]), set(got[1]))) == passed


@pytest.mark.parametrize("code", [
    _SPREAD_HELD,
    "return [{ json: { note: '...', x: $json.body.x } }];",
    "return [{ json: { a: 1, b: $json.q } }];",
])
def test_the_answers_do_not_depend_on_which_question_is_asked_first(code: str) -> None:
    def ask(order: list[str]) -> dict[str, object]:
        n8n_code._read.cache_clear()
        jsparse._parsed.cache_clear()
        questions = {"passed": code_passed_input, "fields": code_field_values,
                     "closed": code_closed_fields}
        return {q: questions[q](code) for q in order}

    forward = ask(["passed", "fields", "closed"])
    assert ask(["closed", "fields", "passed"]) == forward
    assert forward["fields"] or forward["passed"] is not None  # each code says something
