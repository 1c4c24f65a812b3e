"""A Node-RED http request node that calls an AI model's API by hand, distilled in our own
words from a real chat bot: the visitor's question is put into a prompt, a hosted model writes
a SQL statement from it, and a function passes that statement on as msg.topic to a database
node. What the model answers is steered by whoever wrote the prompt: the caller's text reaches
the query through the model (INJ001), not merely some service's response of unknown origin
(INJ002). The same request to a service that is no model keeps its response unknown."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.nodered_flow import calls_model
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, config, function, http_in, nid, node, tab

PROMPT = ('msg.payload = {contents: [{parts: [{text: "Write one MySQL query for: " + '
          "msg.payload.question}]}]};\nreturn msg;")
TO_SQL = "msg.topic = msg.payload.candidates[0].content.parts[0].text;\nreturn msg;"
GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-pro:generateContent"


def _bot(url: str) -> list[dict[str, Any]]:
    return [tab(), config("db", "MySQLdatabase", name="films"),
            http_in("ask", "/ask", to=["prompt"]),
            function("prompt", PROMPT, to=["model"]),
            node("model", "http request", name="model", method="POST", ret="obj",
                 paytoqs="ignore", url=url, authType="", headers=[], wires=[["sql"]]),
            function("sql", TO_SQL, to=["run"]),
            node("run", "mysql", mydb=nid("db"), wires=[[]])]


@pytest.mark.parametrize("url", [GEMINI, "https://api.openai.com/v1/chat/completions",
                                 "http://ollama:11434/api/generate"])
def test_sql_a_model_writes_from_the_callers_text_is_the_callers(url: str) -> None:
    app = app_of(_bot(url))
    f = one(findings_of(INJ001, app))
    assert f.resource.id == nid("run") and "through model" in f.message
    assert findings_of(INJ002, app) == []


def test_the_same_request_to_a_service_that_is_no_model_stays_unknown() -> None:
    app = app_of(_bot("https://films.example.org/v1/suggest"))
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).evidence["origin"] == "unknown"


@pytest.mark.parametrize(("url", "model"), [
    (GEMINI, True),
    ("https://api.openai.com/v1/files", False),  # the provider's other endpoints
    ("https://{{host}}/v1/chat/completions", False),  # a host chosen at run time
    ("", False),  # msg.url
])
def test_a_model_call_is_read_from_the_nodes_own_fixed_url(url: str, model: bool) -> None:
    assert calls_model({"url": url}) is model
