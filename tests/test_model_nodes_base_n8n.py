"""The model providers' own nodes in n8n's base package (Perplexity, OpenAI; hand-written
exports name others there, ``openAiChat``, ``googleGemini``) answer with a model's text, as
the AI nodes do: a caller's text in their prompt steers what they answer. A base node that
only reads a service (a weather lookup) answers with that service's data."""

from __future__ import annotations

import pytest

from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, execute_command, n8n_node, uid, webhook, workflow


def _asked_then_run(node_type: str) -> object:
    ask = n8n_node("Ask", node_type, {"text": "=Suggest a folder name for {{ $json.body.topic }}"},
                   credentials={"perplexityApi": ("Lk2Qw8Zr5TyB3nVx", "Research key")})
    run = execute_command("Make folder", "=mkdir /srv/notes/{{ $json.text }}")
    return app_of(workflow("Notes", [webhook(method="POST"), ask, run],
                           chain("Webhook", "Ask", "Make folder")))


@pytest.mark.parametrize("node_type", ["perplexity", "openAiChat", "googleGemini"])
def test_a_base_model_node_passes_the_callers_steering_on(node_type: str) -> None:
    f = one(findings_of(INJ001, _asked_then_run(node_type)))
    assert f.resource.id == uid("Make folder") and "through Ask" in f.message


def test_a_base_node_reading_a_service_answers_with_its_data() -> None:
    app = _asked_then_run("openWeatherMap")
    assert findings_of(INJ001, app) == []
    assert one(findings_of(INJ002, app)).resource.id == uid("Make folder")
