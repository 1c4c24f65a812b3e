"""An n8n Code node whose every returned item is an object literal naming its own fields
outputs exactly those fields: a later node reading a field no item lists gets nothing from
upstream (:func:`~pytest_nocode.platforms.n8n_code.code_closed_fields`). Any shape that may
carry input fields on (a spread, ``Object.assign``, the input returned or mapped, a computed
key, items pushed in a loop, an early return of the input, an object changed or handed on
after it was written) keeps every upstream field. Distilled in our own words from a chatbot
state machine that returns ``nextStage`` while the query builder after it reads
``next_stage``."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.n8n_code import code_closed_fields
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow

# the state machine reads the request and answers with camelCase fields of its own
CLOSED = {
    "an inline item": "const d = $json.body;\n"
                      "return [{ json: { nextStage: d.stage, reply: 'ok' } }];",
    "an object without the json wrapper": "const d = $input.first().json.body;\n"
                                          "return { nextStage: d.stage, reply: 'ok' };",
    "one item per branch": "const d = $json.body;\n"
                           "if (d.stage === 'done') {\n  return [{ json: { reply: 'bye' } }];\n}\n"
                           "return [{ json: { nextStage: d.stage, reply: 'ok' } }];",
    "a const object returned by name": "const d = $json.body;\n"
                                       "const out = { nextStage: d.stage, reply: 'ok' };\n"
                                       "return [{ json: out }];",
    "a const object read and returned in parentheses": "const d = $json.body;\n"
                                                       "const out = { nextStage: d.stage };\n"
                                                       "console.log(out.nextStage);\n"
                                                       "return ([{ json: (out) }]);",
    "a const object printed and serialised": "const d = $json.body;\n"
                                             "const out = { nextStage: d.stage };\n"
                                             "console.log('out', JSON.stringify(out));\n"
                                             "console.log(Object.keys(out));\n"
                                             "return [{ json: out }];",
    "several items in one array": "const d = $json.body;\n"
                                  "return [{ json: { nextStage: d.stage } }, "
                                  "{ json: { reply: 'ok' } }];",
}

# shapes that may carry the request's fields on, next_stage among them
OPEN = {
    "a spread": "const d = $json.body;\n"
                "return [{ json: { ...d, nextStage: d.stage } }];",
    "a spread beside the json wrapper": "return [{ json: { nextStage: 1 }, ...$input.first() }];",
    "Object.assign returned": "return [{ json: Object.assign({ nextStage: 1 }, $json.body) }];",
    "Object.assign into the returned object": "const out = { nextStage: 1 };\n"
                                              "Object.assign(out, $json.body);\n"
                                              "return [{ json: out }];",
    "items mapped": "return items.map((i) => ({ json: i.json.body }));",
    "the input returned as is": "return $input.all();",
    "the legacy items returned": "return items;",
    "a computed key": "const d = $json.body;\nreturn [{ json: { [d.key]: d.value } }];",
    "items pushed in a loop": "const out = [];\nfor (const i of $input.all()) {\n"
                              "  out.push({ json: i.json.body });\n}\nreturn out;",
    "an early return of the input": "if (!$json.body.stage) {\n  return $input.all();\n}\n"
                                    "return [{ json: { nextStage: $json.body.stage } }];",
    "a field set on the returned object": "const out = { nextStage: 1 };\n"
                                          "out.next_stage = $json.body.next_stage;\n"
                                          "return [{ json: out }];",
    "a field set under a computed key": "const out = {};\nfor (const k in $json.body) "
                                        "out[k] = $json.body[k];\nreturn [{ json: out }];",
    "the returned object changed through another name": "const out = { nextStage: 1 };\n"
                                                        "const alias = out;\n"
                                                        "alias.next_stage = "
                                                        "$json.body.next_stage;\n"
                                                        "return [{ json: out }];",
    "the returned object handed to a helper": "const out = { nextStage: 1 };\n"
                                              "fill(out, $json.body);\n"
                                              "return [{ json: out }];",
    "the returned object wrapped and changed": "const out = { nextStage: 1 };\n"
                                               "const item = { json: out };\n"
                                               "item.json.next_stage = $json.body.next_stage;\n"
                                               "return [{ json: out }];",
    "the returned object handed to a logger of the app's own": "const out = { nextStage: 1 };\n"
                                                               "logger.log(out, $json.body);\n"
                                                               "return [{ json: out }];",
    "the returned object handed out by a helper": "const out = { nextStage: 1 };\n"
                                                  "const get = () => { return out; };\n"
                                                  "get().next_stage = $json.body.next_stage;\n"
                                                  "return [{ json: out }];",
    "two consts of one name": "if ($json.body.raw) {\n  const out = { ...$json.body };\n"
                              "  return [{ json: out }];\n}\nconst out = { nextStage: 1 };\n"
                              "return [{ json: out }];",
    "a getter": "return [{ json: { nextStage: 1, get next_stage() "
                "{ return $json.body.next_stage; } } }];",
    "a ternary choosing the input": "return $json.body.ok ? $input.all() : "
                                    "[{ json: { nextStage: 1 } }];",
    "the input appended": "return [{ json: { nextStage: 1 } }, ...$input.all()];",
    "binary data handled": "return [{ json: { nextStage: 1 }, binary: $input.first().binary }];",
}


@pytest.mark.parametrize("js", list(CLOSED.values()), ids=list(CLOSED))
def test_items_that_list_their_fields_are_closed(js: str) -> None:
    assert code_closed_fields(js) is not None
    assert "next_stage" not in (code_closed_fields(js) or ())


def test_the_closed_fields_are_exactly_those_the_items_list() -> None:
    assert code_closed_fields(CLOSED["one item per branch"]) == {"nextStage", "reply"}


@pytest.mark.parametrize("js", list(OPEN.values()), ids=list(OPEN))
def test_a_shape_that_may_carry_input_on_is_not_closed(js: str) -> None:
    assert code_closed_fields(js) is None


@pytest.mark.parametrize("code", [None, 42, "", "const a = 1;", "return [];", "return null;"])
def test_code_that_returns_no_listed_item_is_not_closed(code: Any) -> None:
    assert code_closed_fields(code) is None


def _state_then_query(js: str, read: str = "next_stage") -> Any:
    state = n8n_node("State Machine", "code", {"jsCode": js}, version=2)
    query = n8n_node("Save stage", "postgres", {
        "operation": "executeQuery",
        "query": f"=UPDATE chats SET stage = '{{{{ $json.{read} }}}}' WHERE id = 1"},
        version=2.5)
    return app_of(workflow("Bot", [webhook(path="bot/in", method="POST"), state, query],
                           chain("Webhook", "State Machine", "Save stage")))


@pytest.mark.parametrize("js", list(CLOSED.values()), ids=list(CLOSED))
def test_a_field_no_returned_item_lists_carries_nothing_from_upstream(js: str) -> None:
    app = _state_then_query(js)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


@pytest.mark.parametrize("js", list(CLOSED.values())[:2], ids=list(CLOSED)[:2])
def test_a_listed_field_still_carries_what_the_code_read(js: str) -> None:
    f = one(findings_of(INJ001, _state_then_query(js, read="nextStage")))
    assert f.resource.id == uid("Save stage")


@pytest.mark.parametrize("js", list(OPEN.values()), ids=list(OPEN))
def test_an_open_shape_keeps_the_upstream_fields(js: str) -> None:
    app = _state_then_query(js)
    assert findings_of(INJ001, app) + findings_of(INJ002, app) != []
