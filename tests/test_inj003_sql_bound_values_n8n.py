"""INJ003 and SQL query parameters: a model's answer an SQL node binds as ``$1``
(``options.queryReplacement``) becomes the value of a column; the statement, and which rows
it changes, is the query's own text. Storing the answer where the app's query says is the job,
not an action the prompter steered; an answer bound where the statement picks its rows
(``WHERE id = $1``) still is.
Distilled from a translation bot's instance backup, in our own words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, ids
from tests.rules import INJ003
from tests.test_checks_n8n import app_of, chain, n8n_node, postgres, uid, webhook, workflow

LC = "@n8n/n8n-nodes-langchain."


def _summarise(save: dict[str, Any]) -> dict[str, Any]:
    """POST webhook → a model summarises the posted chapter → ``save``."""
    model = n8n_node("Summarise", LC + "chainLlm",
                     {"promptType": "define", "text": "={{ $json.body.chapter }}"}, version=1.5)
    return workflow("Chapters", [webhook(method="POST"), model, save],
                    chain("Webhook", "Summarise", save["name"]))


@pytest.mark.parametrize(("query", "bound", "fires"), [
    # the answer bound as $1, the row fixed: stored where the query says
    ("UPDATE chapters SET summary = $1 WHERE id = 7", "={{ $json.text }}", False),
    ("UPDATE chapters SET summary = $1 WHERE id = 7", "={{ $input.all() }}", False),
    ("INSERT INTO chapters (summary) VALUES ($1)", "={{ $json.text }}", False),
    ("UPDATE chapters SET seen = true WHERE id = 7", "={{ $json.text }}", False),  # unused
    # the answer bound where the statement picks its rows: it says which rows change
    ("UPDATE chapters SET summary = 'x' WHERE id = $1", "={{ $json.text }}", True),
    ("DELETE FROM chapters WHERE title = $1", "={{ $json.text }}", True),
])
def test_inj003_answer_bound_as_a_query_parameter_is_the_rows_data(query: str, bound: str,
                                                                    fires: bool) -> None:
    options = {"queryReplacement": bound} if bound else {}
    save = postgres("Save summary", "executeQuery", query=query, options=options)
    assert (uid("Save summary") in ids(findings_of(INJ003, app_of(_summarise(save))))) is fires
