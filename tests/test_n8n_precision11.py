"""n8n precision patterns of the eleventh session, distilled in our own words: counters a Code
node makes (a ``.map((item, i) => …)`` index, a loop counter pushed into a list), input items a
Code node only chooses (``$input.all().filter(…)``), ``a && a.json``, a slug's allowlist that
puts ``-`` where it drops, a service's multi-line text inside a quoted heredoc's body, an
object a Code node builds of other values, a signature check whose refusal branch only
records an audit row, and records sent to a hosted model to embed. Each fires on the bad shape
and stays quiet on the look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.n8n_code import (
    code_closed_fields,
    code_field_values,
    code_passed_input,
)
from tests.checkrun import findings_of
from tests.rules import AUTH001, AUTH004, EXP001, INJ001, INJ002
from tests.test_checks_n8n import (
    app_of,
    chain,
    execute_command,
    n8n_node,
    postgres,
    schedule,
    webhook,
    workflow,
)


def _fetch(key: str = "Fetch subtitles") -> dict[str, Any]:
    """A GET whose answer is a service's text: of unknown origin (INJ002's question)."""
    return n8n_node(key, "httpRequest", {"url": "https://api.example-transcribe.com/v2/srt",
                                         "options": {}}, version=4.2)


def _code(key: str, js: str) -> dict[str, Any]:
    return n8n_node(key, "code", {"jsCode": js}, version=2)


def _after_fetch(js: str, sink: dict[str, Any]) -> list[Any]:
    """INJ002 findings for a schedule → fetch → Code → sink line."""
    start = n8n_node("Every hour", "scheduleTrigger", {"rule": {"interval": [{}]}}, version=1.2)
    fetch, code = _fetch(), _code("Shape", js)
    nodes = [start, fetch, code, sink]
    app = app_of(workflow("Subtitles", nodes, chain(*(n["name"] for n in nodes))))
    return list(findings_of(INJ002, app))


# -- 1. a map's index is a number ----------------------------------------------------------------
MAP_INDEX = "return $input.all().map((item, i) => ({ json: { data: item.json.data, index: i } }));"


def test_a_map_index_in_a_command_is_quiet() -> None:
    burn = execute_command("Burn", "=ffmpeg -i /data/clip_{{ $json.index }}.mp4 /data/out.mp4")
    assert _after_fetch(MAP_INDEX, burn) == []


def test_the_mapped_item_field_in_a_command_still_fires() -> None:
    burn = execute_command("Burn", "=echo {{ $json.data }} > /data/clip.srt")
    assert [f.resource.name for f in _after_fetch(MAP_INDEX, burn)] == ["Burn"]


def test_a_map_callback_binds_the_item_and_the_index() -> None:
    fields = code_field_values(MAP_INDEX)
    assert fields["index"].reads == frozenset()
    assert fields["data"].reads == frozenset({"$input.item.json.data"})
    assert code_closed_fields(MAP_INDEX) == frozenset({"data", "index"})
    # a block body, and another node's items
    block = "return $('Hook').all().map(x => { const q = x.json.body.q; return {json: {q}}; });"
    assert code_field_values(block)["q"].reads == frozenset({"$('Hook').item.json.body.q"})
    # a map over anything else: the element is not known
    other = "const rows = JSON.parse($json.stdout);\nreturn rows.map(r => ({json: {v: r.v}}));"
    assert "v" not in code_field_values(other)


# -- 2. a list built by push in a counted loop ---------------------------------------------------
PUSHED = ("const n = Math.ceil($json.duration / 600);\nconst chunks = [];\n"
          "for (let i = 0; i < n; i++) {\n"
          "  chunks.push({ json: {\n"
          "    filePath: `/data/chunk_${String(i).padStart(3, '0')}.mp3` } });\n"
          "}\nreturn chunks;")


def test_a_pushed_counter_path_is_quiet() -> None:
    read = n8n_node("Read chunk", "readWriteFile", {"fileSelector": "={{ $json.filePath }}"})
    assert _after_fetch(PUSHED, read) == []
    assert code_field_values(PUSHED)["filePath"].reads == frozenset()


def test_a_pushed_input_field_or_a_list_handed_on_is_not_read_as_fixed() -> None:
    read = n8n_node("Read chunk", "readWriteFile", {"fileSelector": "={{ $json.filePath }}"})
    loud = PUSHED.replace("`/data/chunk_${String(i).padStart(3, '0')}.mp3`", "$json.name")
    assert [f.resource.name for f in _after_fetch(loud, read)] == ["Read chunk"]
    # the list given to a helper (which may add anything), or a spread pushed in
    assert code_closed_fields(PUSHED.replace("return chunks;", "extend(chunks);\nreturn chunks;"
                                             )) is None
    assert code_field_values("const out = [];\nout.push(...$input.all());\nreturn out;") == {}


# -- 3. input items chosen, not changed ----------------------------------------------------------
def test_a_filter_of_the_input_items_passes_them_on() -> None:
    assert code_passed_input("return $input.all().filter(it => it.json.allowed);") == (
        frozenset(), frozenset())
    # a loop that sets a field of the items it then returns changes them
    changed = "for (const it of $input.all()) { it.json.cmd = $json.x }\n" \
              "return $input.all().filter(it => it.json.allowed);"
    assert code_passed_input(changed) is None


def test_a_guarded_read_is_the_guarded_value() -> None:
    code = "const first = $input.first();\nconst row = (first && first.json) || {};\n" \
           "return [{ json: { ...row, id: row.id } }];"
    assert code_field_values(code)["id"].reads == frozenset({"$input.first().json.id"})
    assert code_passed_input(code) == (frozenset({"id"}), frozenset())


# -- 4. a slug's allowlist ----------------------------------------------------------------------
@pytest.mark.parametrize("js", [
    "return [{json: {slug: $json.p.toLowerCase().replace(/[^a-z0-9-_]/gi, '-')}}];",
    "return [{json: {slug: String($json.p).replace(/[^a-zA-Z0-9_-]/g, '_')}}];",
])
def test_a_slug_allowlist_is_fixed_text(js: str) -> None:
    assert code_field_values(js)["slug"].reads == frozenset()


@pytest.mark.parametrize("js", [
    "return [{json: {slug: $json.p.replace(/[^a-z0-9.-]/gi, '-')}}];",  # keeps dots: ../
    "return [{json: {slug: $json.p.replace(/[^a-z0-9]/gi, '/')}}];",  # puts a slash in
])
def test_an_allowlist_keeping_dots_or_filling_slashes_is_not(js: str) -> None:
    assert "slug" not in code_field_values(js)


# -- 5. a service's text inside a quoted heredoc ------------------------------------------------
SAVE_SRT = "=cat << 'EOF' > /data/clip.srt\n{{ $json.data }}\nEOF\nffmpeg -i /data/clip.srt out.ass"


def test_a_services_text_in_a_quoted_heredoc_body_is_quiet_for_inj002() -> None:
    assert _after_fetch("return $input.all();", execute_command("Save", SAVE_SRT)) == []


@pytest.mark.parametrize("command", [
    "=cat << EOF > /data/clip.srt\n{{ $json.data }}\nEOF",  # unquoted: $( ) runs
    "=cat << 'EOF' | sh\n{{ $json.data }}\nEOF",  # the body is run
    "=bash << 'EOF'\n{{ $json.data }}\nEOF",  # a shell reads the body as script
])
def test_a_services_text_the_shell_reads_still_fires(command: str) -> None:
    found = _after_fetch("return $input.all();", execute_command("Save", command))
    assert [f.resource.name for f in found] == ["Save"]


def test_a_callers_text_in_a_quoted_heredoc_body_still_fires_inj001() -> None:
    entry = webhook("Upload", path="srt", method="POST")
    save = execute_command("Save", SAVE_SRT.replace("$json.data", "$json.body.srt"))
    app = app_of(workflow("Upload", [entry, save], chain(entry["name"], save["name"])))
    assert [f.resource.name for f in findings_of(INJ001, app)] == ["Save"]


# -- 6. an object a Code node builds carries what its entries carry -----------------------------
def test_a_part_of_a_built_object_carries_its_entries_whole() -> None:
    code = "const row = $input.first().json;\nconst keys = { phoneId: row.phone_id, n: 1 };\n" \
           "return [{ json: { keys, first: keys.phoneId } }];"
    fields = code_field_values(code)
    assert fields["keys"].reads == frozenset({"$input.first().json.phone_id"})
    # a part of it is what its entries carry whole, never a path beneath them
    assert fields["first"].reads == frozenset({"$input.first().json.phone_id"})
    for unknown in ("{ [row.k]: 1 }", "{ ...row }", "{ f() { return 1 } }"):
        assert "keys" not in code_field_values(code.replace(
            "{ phoneId: row.phone_id, n: 1 }", unknown).replace(", first: keys.phoneId", ""))


def _payfast(refused: dict[str, Any]) -> Any:
    """An open webhook whose Code step recomputes the caller's signature, an If on the result,
    its true output going on and its false output to ``refused``."""
    entry = webhook("Payment notice", path="pay/itn", method="POST")
    verify = _code("Verify signature", "const body = $json.body;\n"
                   "const sig = require('crypto').createHash('md5').update(body.data)"
                   ".digest('hex');\nreturn {json: {...body, isValid: sig === body.signature}};")
    decide = n8n_node("Valid?", "if", {"conditions": {"conditions": [{
        "leftValue": "={{ $json.isValid }}", "rightValue": True,
        "operator": {"type": "boolean", "operation": "true"}}]}}, version=2)
    book = n8n_node("Book payment", "postgres", {"operation": "insert", "table": "payments"},
                    version=2.5)
    nodes = [entry, verify, decide, book, refused]
    wiring = {**chain(entry["name"], verify["name"], decide["name"]),
              decide["name"]: {"main": [[{"node": book["name"], "type": "main", "index": 0}],
                                        [{"node": refused["name"], "type": "main",
                                          "index": 0}]]}}
    return app_of(workflow("Payments", nodes, wiring))


def _audit_row(**value: str) -> dict[str, Any]:
    return n8n_node("Log refused", "airtable", {"operation": "create", "columns": {
        "mappingMode": "defineBelow", "value": value}}, version=2)


def test_a_check_whose_refusal_only_records_an_audit_row_is_a_guard() -> None:
    app = _payfast(_audit_row(Event="INVALID_SIGNATURE", At="={{ $now.toISO() }}"))
    assert findings_of(AUTH001, app) == []
    assert [f.resource.name for f in findings_of(AUTH004, app)] == ["Payment notice"]


@pytest.mark.parametrize("refused", [
    _audit_row(Event="INVALID", Payload="={{ $json.body.data }}"),  # keeps the caller's text
    n8n_node("Log refused", "airtable", {"operation": "update"}, version=2),  # changes rows
    n8n_node("Alert", "httpRequest", {"url": "https://hooks.example.com/x"}, version=4.2),
])
def test_a_refusal_branch_that_does_more_than_record_is_not(refused: dict[str, Any]) -> None:
    assert [f.resource.name for f in findings_of(AUTH001, _payfast(refused))] == \
        ["Payment notice"]


# -- 7. a hosted model's embeddings are the AI service's, as its prompts are ---------------------
def _leads_posted_to(url: str) -> set[str]:
    reader = postgres("Read leads", "select", table={"__rl": True, "value": "leads"},
                      returnAll=True, options={})
    post = n8n_node("Post", "httpRequest", {
        "method": "POST", "url": url, "sendBody": True, "specifyBody": "json",
        "jsonBody": "={ \"inputs\": [{{ JSON.stringify($json.email) }}] }", "options": {}},
        version=4.2)
    nodes = [schedule(), reader, post]
    app = app_of(workflow("Leads", nodes, chain(*(n["name"] for n in nodes))))
    return {f.resource.name for f in findings_of(EXP001, app)}


@pytest.mark.parametrize("url", [
    "https://router.huggingface.co/hf-inference/models/sentence-transformers/x/pipeline/"
    "feature-extraction",
    "https://api.openai.com/v1/embeddings",
    "https://api.voyageai.com/v1/embeddings",
])
def test_records_a_hosted_model_embeds_are_not_counted_as_leaving(url: str) -> None:
    assert _leads_posted_to(url) == set()


@pytest.mark.parametrize("url", [
    "https://huggingface.co/api/datasets/acme/leads/upload",  # a dataset upload: a copy kept
    "https://api.openai.com/v1/files",  # a file stored at the provider
    "https://api.lead-broker.example/v1/embeddings",  # not a model host
])
def test_records_uploaded_or_sent_elsewhere_still_fire(url: str) -> None:
    assert _leads_posted_to(url) == {"Post"}


# -- 8. the id WhatsApp gives a message's media --------------------------------------------------
def _whatsapp_fetch(url: str) -> set[str]:
    trigger = n8n_node("WhatsApp Trigger", "whatsAppTrigger", {"updates": ["messages"]},
                       webhook=True)
    fetch = n8n_node("Get media", "httpRequest", {
        "method": "GET", "url": url, "authentication": "predefinedCredentialType",
        "nodeCredentialType": "whatsAppApi", "options": {}}, version=4.2,
        credentials={"whatsAppApi": ("Wa5tG9hJ3kL7mN2p", "WhatsApp Business")})
    app = app_of(workflow("Media", [trigger, fetch], chain(trigger["name"], fetch["name"])))
    return {f.resource.name for f in findings_of(INJ001, app)}


def test_a_media_id_whatsapp_assigns_in_a_graph_path_is_quiet() -> None:
    assert _whatsapp_fetch("=https://graph.facebook.com/v23.0/{{ $json.messages[0].image.id }}"
                           ) == set()


@pytest.mark.parametrize("read", ["$json.messages[0].text.body", "$json.messages[0].image",
                                  "$json.messages[0].image.caption"])
def test_what_the_sender_writes_in_a_graph_path_still_fires(read: str) -> None:
    assert _whatsapp_fetch(f"=https://graph.facebook.com/v23.0/{{{{ {read} }}}}") == {"Get media"}
