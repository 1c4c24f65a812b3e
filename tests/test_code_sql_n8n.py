"""SQL built in an n8n Code node and run by the next node (``={{ $json.sql }}``): the query is
only as safe as every value the code puts into its text. Values quote-doubled inside SQL quotes,
cut to digits, turned into numbers or picked from a constant map are neutralised; a helper that
escapes nothing, an escaped value left outside quotes, or one raw value is not. Distilled in our
own words from real chatbot back-ends, horoscope generators and SMS agents, both directions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_n8n import app_of, chain, n8n_node, uid, webhook, workflow

QUOTE_HELPER = """const esc = (s) => {
  if (s === null || s === undefined) return '';
  return String(s).replace(/'/g, "''");
};
"""


def _code_then_sql(js: str) -> Any:
    build = n8n_node("Build query", "code", {"jsCode": js}, version=2)
    run = n8n_node("Run query", "postgres", {"operation": "executeQuery",
                                             "query": "={{ $json.sql }}"}, version=2.5)
    return app_of(workflow("Chat log", [webhook(path="chat/in", method="POST"), build, run],
                           chain("Webhook", "Build query", "Run query")))


BAD = {
    "raw value": "const d = $input.first().json.body;\n"
                 "const sql = `SELECT * FROM chats WHERE phone = '${d.phone}'`;\n"
                 "return [{ json: { ...d, sql } }];",
    "helper escapes nothing": "const esc = (s) => String(s).trim();\n"
                              "const d = $input.first().json.body;\n"
                              "return { sql: `DELETE FROM chats WHERE phone = "
                              "'${esc(d.phone)}'` };",
    "escaped but not quoted": QUOTE_HELPER +
    "const d = $json.body;\nreturn { sql: `SELECT * FROM chats WHERE id = ${esc(d.id)}` };",
    "one value left raw": QUOTE_HELPER +
    "const d = $json.body;\nconst kind = d.kind || 'text';\n"
    "const sql = `INSERT INTO msgs VALUES ('${esc(d.text)}', '${kind}')`;\nreturn { sql };",
    "escaped only on one branch": "const d = $json.body;\nlet name = d.name;\n"
    "if (name.length > 3) {\n  name = name.replace(/'/g, \"''\");\n}\n"
    "return { sql: `UPDATE leads SET name = '${name}'` };",
    "escaped only on a branch without braces": QUOTE_HELPER + "const d = $json.body;\n"
    "let name = d.name;\nif (d.trusted) name = esc(name);\n"
    "return { sql: `UPDATE leads SET name = '${name}'` };",
    "a raw value appended with +=": "const d = $json.body;\n"
    "let sql = 'SELECT * FROM chats WHERE phone = ';\nsql += \"'\" + d.phone + \"'\";\n"
    "return [{ json: { sql } }];",
    "a raw value pushed into the parts": "const d = $json.body;\nconst values = [];\n"
    "for (const tag of d.tags) {\n  values.push(`('${tag}')`);\n}\n"
    "return [{ json: { sql: 'INSERT INTO tags (name) VALUES ' + values.join(', ') } }];",
    "a raw value set on a fixed object": "const d = $json.body;\nconst q = { table: 'chats' };\n"
    "q.where = `phone = '${d.phone}'`;\n"
    "return [{ json: { sql: `SELECT * FROM ${q.table} WHERE ${q.where}` } }];",
    "a quote 'escaped' by a no-op": "const d = $json.body;\n"
    "const name = String(d.name).replace(/'/g, \"\\'\");  // JavaScript reads \"\\'\" as '\n"
    "return { sql: `UPDATE leads SET name = '${name}'` };",
    "the input spread in after the query": "const d = $json.body;\n"
    "return [{ json: { sql: 'SELECT * FROM chats LIMIT 10', ...d } }];",
}

QUIET = {
    "every value quote-doubled in quotes": QUOTE_HELPER +
    "const d = $input.first().json.body;\n"
    "const sql = `INSERT INTO msgs (phone, text) VALUES ('${esc(d.phone)}', '${esc(d.text)}')`"
    ".trim();\nreturn { ...d, sql: sql, // the statement\n};",
    "digits, numbers and inline doubling": "const d = $json.body;\n"
    "let phone = String(d.phone || '');\nphone = phone.replace(/[^0-9]/g, '');\n"
    "if (phone && !phone.startsWith('55')) {\n  phone = '55' + phone;\n}\n"
    "const limit = parseInt(d.limit, 10);\n"
    "const sql = \"SELECT * FROM chats WHERE phone = '\" + phone + \"' AND note = '\" + "
    "String(d.note).replace(/'/g, \"''\") + \"' LIMIT \" + limit;\n"
    "return [{ json: { sql } }];",
    "pick from a constant map": "const STATES = { greeting: 'new', done: 'closed' };\n"
    "const state = STATES[$json.body.stage] || 'new';\n"
    "return { sql: `UPDATE chats SET state = '${state}'` };",
    "a timestamp and a random number": "const id = Date.now().toString() + "
    "Math.floor(Math.random() * 1000).toString();\n"
    "const result = { sql: `INSERT INTO jobs (id) VALUES ('job_${id}')` };\nreturn [result];",
    "placeholders bind the values": "const d = $json.body;\n"
    "return [{ json: { sql: `INSERT INTO log (who, what) VALUES ($1, $2)`, "
    "params: [d.who, d.what] } }];",
    "an item named by a constant": "const d = $json.body;\n"
    "const row = { sql: `DELETE FROM chats WHERE id = ${Number(d.id)}` };\n"
    "return [{ json: row }];",
    "a field of a constant map, a flag and fixed characters": "const d = $json.body;\n"
    "const TABLES = { chats: 'chat_log', leads: 'lead_log' };\n"
    "const chars = 'abcdef0123456789';\nlet tag = '';\n"
    "for (let i = 0; i < 8; i++) {\n  tag += chars.charAt(Math.floor(Math.random() * 16));\n}\n"
    "const vip = (d.tags || []).includes('vip');\n"
    "return { sql: `INSERT INTO ${TABLES.chats} (tag, vip) VALUES ('${tag}', ${vip})` };",
    "the input spread in before the query": "const d = $json.body;\n"
    "return [{ json: { ...d, sql: 'SELECT * FROM chats LIMIT 10' } }];",
}


@pytest.mark.parametrize("js", list(BAD.values()), ids=list(BAD))
def test_sql_text_with_an_unneutralised_value_is_injection(js: str) -> None:
    f = one(findings_of(INJ001, _code_then_sql(js)))
    assert f.resource.id == uid("Run query") and f.evidence["sink"] == "sql"


@pytest.mark.parametrize("js", list(QUIET.values()), ids=list(QUIET))
def test_sql_text_whose_every_value_is_neutralised_is_quiet(js: str) -> None:
    app = _code_then_sql(js)
    assert findings_of(INJ001, app) == [] and findings_of(INJ002, app) == []


def test_a_query_copied_on_by_a_second_code_node_keeps_its_origin() -> None:
    """``queryData.sql`` read from the node that built it is that field, not all it saw; the
    request body the builder returns beside it is still the request's."""
    build_js = ("const STATES = { greeting: 'new', done: 'closed' };\n"
                "const state = STATES[$json.body.stage] || 'new';\n"
                "return { sql: `UPDATE chats SET state = '${state}'`, body: $json.body };")
    build = n8n_node("Build query", "code", {"jsCode": build_js}, version=2)
    merge_js = ("const inputData = $input.first().json;\n"
                "const queryData = $node[\"Build query\"].json;\n"
                "return { ...inputData, sql: queryData.sql, note: inputData.body };")
    merge = n8n_node("Merge", "code", {"jsCode": merge_js}, version=2)
    run = n8n_node("Run query", "postgres", {"operation": "executeQuery",
                                             "query": "={{ $json.sql }}"}, version=2.5)
    nodes = [webhook(path="chat/in", method="POST"), build, merge, run]
    app = app_of(workflow("Chat", nodes, chain("Webhook", "Build query", "Merge", "Run query")))
    assert findings_of(INJ001, app) == []
    run["parameters"]["query"] = "={{ $json.note }}"
    f = one(findings_of(INJ001, app_of(workflow("Chat", nodes, chain(
        "Webhook", "Build query", "Merge", "Run query")))))
    assert f.resource.id == uid("Run query")


def _signs_then_command(extract_js: str) -> Any:
    """A fixed list of signs, split, each sent to a model, then a shell command per sign."""
    signs = n8n_node("Set signs", "set", {"values": {"string": [
        {"name": "signs", "value": "=aries,taurus,gemini"}]}}, version=2)
    split = n8n_node("Split", "splitOut", {"fieldToSplitOut": "signs"})
    ask = n8n_node("Ask model", "httpRequest", {"method": "POST",
                                                "url": "https://api.openai.com/v1/chat/completions",
                                                "jsonBody": "={{ $json.signs }}"}, version=4)
    extract = n8n_node("Extract", "code", {"jsCode": extract_js}, version=2)
    render = n8n_node("Render", "executeCommand",
                      {"command": "=ffmpeg -i /data/{{ $node[\"Extract\"].json.slug }}.mp4"})
    return app_of(workflow("Horoscopes", [
        n8n_node("Every day", "scheduleTrigger", {}), signs, split, ask, extract, render],
        chain("Every day", "Set signs", "Split", "Ask model", "Extract", "Render")))


def test_a_name_from_the_workflows_own_list_is_no_model_reply() -> None:
    js = ("const names = { aries: 'Aries', taurus: 'Taurus' };\n"
          "const sign = $node[\"Split\"].json[\"signs\"];\n"
          "return [{ json: { slug: names[sign] || sign.toLowerCase(), "
          "text: $json.choices[0].message.content.trim() } }];")
    assert findings_of(INJ002, _signs_then_command(js)) == []


def test_the_models_reply_in_the_command_is_still_reported() -> None:
    js = ("const sign = $node[\"Split\"].json[\"signs\"];\n"
          "return [{ json: { sign, slug: $json.choices[0].message.content.trim() } }];")
    f = one(findings_of(INJ002, _signs_then_command(js)))
    assert f.resource.id == uid("Render")


@pytest.mark.parametrize(("field", "fires"), [("From", False), ("Body", True)])
def test_the_sms_sender_number_twilio_fills_in_is_not_free_text(field: str,
                                                                 fires: bool) -> None:
    trigger = n8n_node("Twilio Trigger", "twilioTrigger",
                       {"updates": ["com.twilio.messaging.inbound-message.received"]})
    search = n8n_node("Find session", "airtable", {
        "operation": "search", "base": {"__rl": True, "value": "appS"},
        "table": {"__rl": True, "value": "tblS"},
        "filterByFormula": f"={{session}}=\"{{{{ $json.{field} }}}}\""}, version=2.1)
    app = app_of(workflow("SMS agent", [trigger, search], chain("Twilio Trigger",
                                                                "Find session")))
    assert len(findings_of(INJ002, app)) == (1 if fires else 0)


@pytest.mark.parametrize(("field", "fires"), [("note", True), ("stamp", False)])
def test_a_field_read_from_a_named_nodes_items_keeps_that_origin(field: str,
                                                                 fires: bool) -> None:
    """``$("Webhook").all()[0].json.body.note``, read in a try block, is the webhook's note;
    a field the same code builds from the clock is not."""
    js = ("let hooks = [];\ntry { hooks = $(\"Webhook\").all(); } catch (e) {}\n"
          "let note = '';\nif (hooks.length > 0) {\n  note = hooks[0].json.body.note || '';\n}\n"
          "return [{ json: { note, stamp: `run_${Date.now()}`, id: $execution.id } }];")
    build = n8n_node("Build query", "code", {"jsCode": js}, version=2)
    run = n8n_node("Run query", "postgres", {
        "operation": "executeQuery",
        "query": f"=INSERT INTO notes VALUES ('{{{{ $json.{field} }}}}')"}, version=2.5)
    app = app_of(workflow("Notes", [webhook(path="notes", method="POST"), build, run],
                          chain("Webhook", "Build query", "Run query")))
    assert len(findings_of(INJ001, app)) == (1 if fires else 0)


@pytest.mark.parametrize(("field", "fires"), [("stamp", False), ("hosts", True)])
def test_a_clock_stamp_copied_by_code_is_not_the_tools_output_it_sits_beside(
        field: str, fires: bool) -> None:
    """A Code node merges a scan's output with the run's stamp (set from ``$now``); a command
    that names a file by the stamp runs no tool output, one that puts the hosts in does. The
    filter callback's ``return`` is the callback's, not what the node returns."""
    params = n8n_node("Params", "set", {"assignments": {"assignments": [
        {"id": "1", "name": "stamp", "type": "string",
         "value": "={{ $now.format('yyyyMMdd_HHmmss') }}"}]}}, version=3.4)
    scan = n8n_node("Scan", "executeCommand", {"command": "subfinder -silent -d example.org"})
    merge = n8n_node("Merge", "code", {"jsCode": (
        "const stamp = $('Params').item.json.stamp;\n"
        "const hosts = ($input.first().json.stdout || '').split('\\n').filter((h) => {\n"
        "  return h.trim();  // a callback's return, not the node's\n});\n"
        "return [{ json: { stamp: stamp, hosts: hosts.join(' '), count: hosts.length } }];")},
        version=2)
    extract = n8n_node("Extract", "executeCommand", {
        "command": f"=cat /tmp/scan_{{{{ $('Merge').item.json.{field} }}}}.txt | sort -u"})
    app = app_of(workflow("Recon", [n8n_node("Every day", "scheduleTrigger", {}), params, scan,
                                    merge, extract],
                          chain("Every day", "Params", "Scan", "Merge", "Extract")))
    assert len(findings_of(INJ002, app)) == (1 if fires else 0)
