"""How data passes each n8n node, in the model's terms (for :mod:`pytest_nocode.dataflow`).

n8n evaluates a parameter as an expression when its value starts with ``=``; each ``{{ … }}``
inside is JavaScript that reads the item (``$json.x``, ``$input.item.json.x``), another node's
output (``$('Node').item.json.x``, ``$node["Node"].json.x``), what an AI agent decided
(``$fromAI('key')``), or values whose origin is known (``$execution.id``, ``$now``,
``$workflow.id``, ``$env.X``, ``$vars.X``). The SQL nodes (Postgres, MySQL from v2, Microsoft
SQL) also substitute ``{{ }}`` in ``query`` written without the ``=``: the most common real
injection.

Only this module and :mod:`pytest_nocode.platforms.n8n` know n8n's node types.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from pytest_nocode.dataflow import (
    FETCH_JSON_BODY,
    FETCH_PATH,
    FETCH_QUERY_FILTER,
    FETCH_RELAYED_URL,
    HEREDOC_BODY,
    carries_data,
    runs_code,
    service_response,
    store_name,
)
from pytest_nocode.model import (
    AS_PLATFORM_FILE_URL,
    DRIVE_FILE,
    DataStore,
    FieldWrite,
    SinkUse,
    Step,
    StepFlow,
    ValueRef,
    is_mail_send_api,
    json_text,
)
from pytest_nocode.platforms.n8n_code import (
    code_closed_fields,
    code_field_values,
    code_passed_input,
)
from pytest_nocode.policy import default_zone
from pytest_nocode.secretscan.filters import Candidate, placeholder

_PASS = StepFlow()
_NOTE = StepFlow(output="drop")
_NEVER_RUNS = StepFlow(output="drop")  # a step of a workflow with no connections (unwired)
_MAPPINGS = (dict, MappingProxyType)  # exact types: an ABC isinstance is 10x slower
_TREES = (*_MAPPINGS, list)  # what a parameter tree holds values in
BASE = "n8n-nodes-base."
LANGCHAIN = "@n8n/n8n-nodes-langchain."
NOTE = BASE + "stickyNote"

SEGMENT = re.compile(r"\{\{(.*?)\}\}", re.S)
_KEY = r"(?:\.[A-Za-z_$][\w$]*|\[\s*['\"][^'\"\]]+['\"]\s*\]|\[\d+\])"
_ITEM = r"(?:\.(?:item|first\(\s*\)|last\(\s*\)|all\(\s*\)(?:\[\d+\])?|itemMatching\([^)]*\)|" \
        r"params|context))*"
NODE_REF = re.compile(
    r"\$\(\s*(['\"`])(?P<a>.+?)\1\s*\)|\$node\[\s*(['\"])(?P<b>.+?)\3\s*\]|\$node\.(?P<c>\w+)")
NODE_PATH = re.compile(_ITEM + r"(?:\.json(?P<path>" + _KEY + r"*))?")
JSON_REF = re.compile(r"\$json(?P<path>" + _KEY + r"*)|\$input" + _ITEM +
                      r"(?:\.json(?P<ipath>" + _KEY + r"*))?")
FROM_AI = re.compile(r"\$fromAI\s*\(\s*(['\"`])(?P<key>[^'\"`]*)\1")
# the owner's configuration: environment, instance variables, external secrets, and the fields
# of the node's own credential (``$credentials.phoneNumberId`` in an HTTP Request URL)
ENV_REF = re.compile(r"\$(?P<kind>env|vars|secrets|credentials)"
                     r"(?:\.(?P<a>\w+)|\[\s*['\"](?P<b>[^'\"]+))?")
# base64 content of an attached file: text of [A-Za-z0-9+/=], harmless in a shell or a query
BINARY_DATA = re.compile(r"\$binary(?:\.\w+|\[['\"][^'\"]+['\"]\])\.data\b(?!\s*\.\s*\w)")
PLATFORM = re.compile(r"\$(?P<name>execution|now|today|workflow|runIndex|itemIndex|prevNode|"
                      r"position|mode|nodeVersion|parameter|resumeWebhookUrl|thisNode|"
                      r"webhookId)\b(?:\.(?P<attr>\w+))?")
OTHER_DOLLAR = re.compile(r"\$(?!json\b|input\b|node\b|fromAI\b|env\b|vars\b|secrets\b|"
                          r"credentials\b|binary\b)[A-Za-z_]\w*")
ANY_BINARY = re.compile(r"\$binary\b")
# the name of an attached file: $binary.data.fileName, $binary["data"].fileName
BINARY_FILE_NAME = re.compile(r"\$binary(?:\.(?P<a>\w+)|\[\s*['\"](?P<b>[^'\"]+)['\"]\s*\])"
                              r"\.fileName\b")
# Nodes that make a file of the item and name it (options.fileName; a default name otherwise)
FILE_MAKERS = frozenset({BASE + "convertToFile"})
# a value encoded on its way in: base64 or a number cannot break out of a command or query
SANITIZED = re.compile(r"^\s*(?:Number|parseInt|parseFloat|btoa|Math\.\w+)\s*\(.*\)\s*$|"
                       r"\.(?:toBase64|base64Encode|toNumber|toInt|toFloat)\(\s*\)\s*$|"
                       r"toString\(\s*['\"]base64['\"]\s*\)\s*$|"
                       r"^\s*Buffer\.from\(.*\)\.toString\(\s*['\"](?:base64|hex)['\"]\s*\)\s*$",
                       re.S)
# One value read by a chain of fields and calls without arguments, nothing joined to it:
# ``$('Send').first().json.result.date``, ``$json["when"]``
_VALUE_CHAIN = r"""(?:\$\(\s*(?:'[^']*'|"[^"]*"|`[^`]*`)\s*\)|\(\s*\)|""" \
               r"""\[\s*(?:\d+|'[^']*'|"[^"]*")\s*\]|\??\.|[\w$])+"""
# a value turned into a date (``.toDateTime('s')``): n8n renders Luxon's DateTime as ISO text,
# or as "Invalid DateTime", digits and fixed words that break out of no query or command
DATE_VALUE = re.compile(r"^\s*" + _VALUE_CHAIN + r"""\.toDateTime\(\s*(?:'\w*'|"\w*"|`\w*`)?\s*\)"""
                        r"(?:\.(?:toISO|toISODate|toSQL|toMillis|toSeconds|toUnixInteger)\(\s*\)"
                        r"""|\.toFormat\(\s*(?:'[^']*'|"[^"]*"|`[^`]*`)\s*\))?\s*$""")
# one value whose every single quote is doubled (``.replaceAll("'", "''")``, ``.replace(/'/g,
# "''")``), the SQL standard's escape: put between quotes in a query it stays one string
QUOTES_DOUBLED = re.compile(
    r"^\s*(?:JSON\.stringify\(\s*" + _VALUE_CHAIN + r"\s*\)|" + _VALUE_CHAIN + r")"
    r"""\.(?:replaceAll\(\s*(?:"'"|`'`|'\\''|/'/g\w*)|replace\(\s*/'/g\w*)\s*,"""
    r"""\s*(?:"''"|`''`|'\\'\\'')\s*\)\s*$""")

# a value encoded as one JSON value, or as one URL component, on its way in
JSON_ENCODED = re.compile(r"^\s*JSON\.stringify\(.*\)\s*$", re.S)
URL_ENCODED = re.compile(r"^\s*encodeURIComponent\(.*\)\s*$|\.urlEncode\(\s*\)\s*$", re.S)
# .replaceAll('"', '') / .replace(/"/g, …): the value's double quotes taken out or escaped
QUOTES_REMOVED = re.compile(r"""\.replace(?:All)?\(\s*(?:/[^/\n]*"[^/\n]*/\w*|'\\?"'|`\\?"`)""")
# {{ }} inside a JSON string: "…{{ x }}…"
QUOTED_SEGMENT = re.compile(r"\"[^\"{}]*\{\{(.*?)\}\}[^\"]*\"", re.S)
# a JSON string that is a file path with a value pasted in: its key ends naming a path or a
# folder ("file_path": "…{{ x }}"; an attachment's "fileName" is a label) or its text starts
# as an absolute POSIX path ("/srv/data{{ x }}")
PATH_STRING = re.compile(r"(?:\"[\w-]*(?:path|dir|directory|folder)\"\s*:\s*\"[^\"{}]*|"
                         r":\s*\"/[\w.-]+[^\"{}]*)\{\{(.*?)\}\}", re.I | re.S)
# =https://host/path…: a literal scheme and host, then the path (with any {{ }} in it)
URL_PATH = re.compile(r"^=\s*(?:https?)://[^/{}?#\s]+(?P<path>/.*)$", re.S)
# PostgREST (Supabase's REST API) filters in a query string: `column=op.value` and the lists
# of `in.(a,b)`, `or=(…)`, `and=(…)`. Pasted raw into the URL, a value's & adds parameters
# (`&or=(…)` widens the filter, `&select=` reads other columns) and a comma or ) in a list
# adds or ends conditions; the request picks rows by what the caller wrote, not by the value.
_PGREST_OP = r"(?:not\.)?(?:eq|neq|gt|gte|lt|lte|like|ilike|match|imatch|is|isdistinct|fts|plfts|" \
             r"phfts|wfts|cs|cd|ov|sl|sr|nxl|nxr|adj)"
PGREST_OPERAND = re.compile(r"(?:^|&)[\w.\-]+=" + _PGREST_OP + r"\.(\{\{.*?\}\})")
PGREST_LIST = re.compile(r"(?:^|&)(?:[\w.\-]+=(?:not\.)?in\.|(?:not\.)?(?:or|and)=)"
                         r"\((.*?)\)(?=&|$)", re.S)

# Code that reads what it is given (or other nodes' output); code without these builds new items
READS_INPUT = re.compile(r"\$input|\$json|\$binary|\$\(|\$node|\$items|\bitems?\b|\bquery\b")
# ={{ "https://host/" + … }}: the host is written out, only the path is computed
# a plain URL with a host of its own (no expression)
FIXED_URL = re.compile(r"^(?:https?)://[^/{}?#\s]+(?:[/?#]|$)")
# a query parameter whose name says it holds a whole URL
URL_PARAMETER = re.compile(r"(?i)url|uri|link|href|src|\w+_url|\w+Url")
URL_QUERY_VALUE = re.compile(r"(?:^|&)(?i:url|uri|link|href|src|\w+_url|\w+Url)=([^&#]*)")
FIXED_HOST = re.compile(r"^=\{\{\s*(['\"`])(?:https?|wss?)://[^'\"`$/{}]+/")
URL_PATH_STEERED = ("puts a value into the path of the API URL it calls (a ../ or ? in it "
                    "reaches another endpoint, with this node's credentials)")
# A URL expression whose base is an environment value (the owner's setting) and only its path
# is computed: ``{{ $env.API_URL + "/orders/" + … }}``, ``{{ $env.API_URL }}/orders/…``
ENV_HOST = re.compile(r"^=\{\{\s*\$env\.\w+\s*(?:\+\s*['\"`]/|\}\}/)")

# SQL nodes that substitute {{ }} in their query with or without a leading "=", and the
# first type version where they do (Microsoft SQL has only ever had version 1).
SUBSTITUTING_SQL = {"postgres": 2.0, "mySql": 2.0, "microsoftSql": 1.0}
SQL_NODES = ("postgres", "mySql", "microsoftSql", "oracleDb", "timescaleDb", "questDb",
             "crateDb", "snowflake")
# A community node (a package of its own: Firebird, SQLite, NetSuite's SuiteQL) runs SQL when
# its parameters carry the statement: a ``query`` or ``sql`` field, and an operation that
# says it runs one or a statement written out. A search node's ``query`` (Tavily) is neither.
COMMUNITY_SQL_KEYS = ("query", "sql")
SQL_OPERATION = re.compile(r"query|sql|(?<!graph)ql$", re.I)  # runSuiteQL, not graphql
SQL_TEXT = re.compile(r"^\s*(?:select|insert|update|delete|with|merge|upsert|replace|create|"
                      r"drop|alter|exec(?:ute)?|call)\b", re.I)


# Community nodes of databases whose query language is not SQL, by a word of their type →
# that language: their ``query`` operation runs a filter or a search, not a SQL statement
# (judged by :func:`community_query_key`); a MongoDB or Elasticsearch query is JSON text.
NON_SQL_DATABASES = {"mongo": "MongoDB", "elastic": "Elasticsearch", "opensearch": "OpenSearch",
                     "couch": "CouchDB", "neo4j": "Cypher", "cypher": "Cypher",
                     "arango": "AQL", "redis": "Redis", "dynamo": "DynamoDB",
                     "firestore": "Firestore", "solr": "Solr", "meili": "Meilisearch",
                     "typesense": "Typesense"}
JSON_QUERY_LANGUAGES = frozenset({"MongoDB", "Elasticsearch", "OpenSearch", "CouchDB",
                                  "DynamoDB", "Firestore", "Meilisearch", "Typesense"})


def non_sql_language(node_type: str) -> str:
    """The query language of a community database node whose type names a non-SQL database
    (:data:`NON_SQL_DATABASES`), or "" (a built-in node, or none named)."""
    if node_type.startswith((BASE, LANGCHAIN)):
        return ""
    name = node_type.lower()
    return next((lang for word, lang in NON_SQL_DATABASES.items() if word in name), "")


def community_sql_key(node_type: str, params: Mapping[str, Any]) -> str | None:
    """The parameter holding the SQL a community node runs (see :data:`COMMUNITY_SQL_KEYS`),
    or None: a built-in node, a node of a non-SQL database (:func:`non_sql_language`), or no
    statement field with an operation or text that says SQL."""
    if node_type.startswith((BASE, LANGCHAIN)) or not isinstance(params, Mapping) \
            or non_sql_language(node_type):
        return None
    for key in COMMUNITY_SQL_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            op = params.get("operation")
            if (isinstance(op, str) and SQL_OPERATION.search(op)) \
                    or SQL_TEXT.match(value.lstrip("=")):
                return key
    return None


def is_sql_step(step: Step) -> bool:
    """Does ``step`` run SQL of its parameters: a built-in SQL node, or a community one?"""
    return _base(step.type).removeprefix(BASE) in SQL_NODES \
        or community_sql_key(step.type, step.params) is not None
CODE_NODES = (BASE + "code", BASE + "function", BASE + "functionItem")
FILE_NODES = (BASE + "readWriteFile", BASE + "readBinaryFile", BASE + "readBinaryFiles",
              BASE + "writeBinaryFile")
FILE_KEYS = ("fileName", "fileSelector", "filePath")
SCHEDULES = frozenset({BASE + t for t in ("manualTrigger", "scheduleTrigger", "cron",
                                          "interval", "start", "errorTrigger", "n8nTrigger",
                                          "localFileTrigger")})
ENTRY_TRIGGERS = frozenset({BASE + t for t in ("webhook", "formTrigger", "mcpTrigger")}
                           | {LANGCHAIN + t for t in ("chatTrigger", "mcpTrigger")})
CALLED_TRIGGERS = frozenset({BASE + "executeWorkflowTrigger"})
# The input types of a called workflow's trigger (from v1.1, "Define using fields below") that
# hold no text: n8n checks the caller's values against them, so the call carries a number or a
# boolean there, or fails. The sub-workflow gets those fields only (null for one left unset).
TYPED_INPUTS = frozenset({"number", "boolean"})
FORM_PAGE = BASE + "form"  # the next page (or the completion screen) of an n8n form
# A request for a Telegram bot's updates (``/bot<token>/getUpdates``, the polling a bot
# without a webhook does): the messages anyone on Telegram sent it, as a Telegram trigger's.
HTTP_REQUEST = BASE + "httpRequest"
TELEGRAM_POLL = re.compile(r"^=?\s*https://api\.telegram\.org/bot[^/]*/getUpdates\b", re.I)
POLLED_TELEGRAM = "Telegram bot messages (polled with getUpdates)"
# Triggers whose events anyone outside can write: messages to a bot, mail, subscriptions.
UNTRUSTED_TRIGGERS = {
    BASE + "telegramTrigger": "Telegram bot messages",
    BASE + "emailReadImap": "email (IMAP)",
    BASE + "gmailTrigger": "email (Gmail)",
    BASE + "microsoftOutlookTrigger": "email (Outlook)",
    BASE + "whatsAppTrigger": "WhatsApp messages",
    BASE + "mqttTrigger": "MQTT subscription",
    BASE + "rabbitmqTrigger": "RabbitMQ subscription",
    BASE + "kafkaTrigger": "Kafka subscription",
    BASE + "amqpTrigger": "AMQP subscription",
    BASE + "slackTrigger": "Slack events",
    BASE + "discordTrigger": "Discord messages",
}
# Community trigger nodes (``package.nodeTrigger``) whose type names a messaging or mail
# service: a polling Telegram bot, WAHA's WhatsApp, LINE, Zalo, a Discord bot, a mailbox.
# Whichever package implements it, what such a trigger brings in is what anyone on that
# service sent, as with n8n's own Telegram or WhatsApp trigger.
_COMMUNITY_MESSAGE_SERVICE = re.compile(r"telegram|whatsapp|waha|discord|slack|messag|zalo|"
                                        r"imap|e-?mail", re.I)


def untrusted_trigger(node_type: str) -> str | None:
    """What a trigger whose events anyone outside can write brings in (its origin's label),
    or None: n8n's own (:data:`UNTRUSTED_TRIGGERS`), or a community trigger of a messaging
    or mail service (:data:`_COMMUNITY_MESSAGE_SERVICE`)."""
    if node_type in UNTRUSTED_TRIGGERS:
        return UNTRUSTED_TRIGGERS[node_type]
    package, _, name = node_type.rpartition(".")
    if not package or node_type.startswith((BASE, LANGCHAIN)) \
            or not name.endswith(("Trigger", "trigger")):
        return None
    service = _COMMUNITY_MESSAGE_SERVICE.search(name)
    return f"messages to {name} ({package})" if service else None


# Triggers n8n fires by itself or for its own users, not on an event from outside: a clock,
# a manual or evaluation run, the instance's own events, the editor's test chat.
OWN_TRIGGERS = SCHEDULES | CALLED_TRIGGERS | {
    BASE + "workflowTrigger", BASE + "evaluationTrigger", LANGCHAIN + "manualChatTrigger"}


def event_triggers(nodes: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The types of the enabled triggers among ``nodes`` that start a workflow on an event
    from outside the instance (Workflow.event_triggers), entry points (webhooks, forms,
    chats) left to the entry-point list: a bot's messages, mail, a database or drive change,
    a subscription, any service's event trigger."""
    out: list[str] = []
    for node in nodes:
        t = str(node.get("type") or "")
        if node.get("disabled") is True or t in OWN_TRIGGERS or t in ENTRY_TRIGGERS:
            continue
        if (t in UNTRUSTED_TRIGGERS or t.endswith(("Trigger", "trigger"))) and t not in out:
            out.append(t)
    return tuple(out)


# Nodes that pass their input items on (filtered, reordered, merged or annotated).
PASS_TYPES = frozenset({BASE + t for t in (
    "if", "filter", "switch", "merge", "noOp", "splitInBatches", "splitOut", "limit", "sort",
    "removeDuplicates", "itemLists", "aggregate", "summarize", "wait", "compareDatasets",
    "dateTime", "crypto", "markdown", "html", "xml", "convertToFile", "extractFromFile",
    "moveBinaryData", "renameKeys", "stopAndError", "respondToWebhook", "executionData",
    "debugHelper", "spreadsheetFile", "compression", "editImage")})
# Nodes that answer with a model's text: the AI nodes, and the model providers' own nodes in
# the base package (OpenAI, Perplexity; older exports and hand-written ones name others there,
# openAiChat, googleGemini): whatever the package, the node sends its prompt to a model.
AI_PRODUCERS = re.compile(r"^@n8n/n8n-nodes-langchain\.(agent\w*|chain\w*|openAi|lmChat\w*|"
                          r"lmOpenAi|lmOllama|informationExtractor|textClassifier|"
                          r"sentimentAnalysis|anthropic|googleGemini|ollama|mistralAi)$|"
                          r"^n8n-nodes-base\.(?:openAi\w*|googleGemini|perplexity|anthropic|"
                          r"mistralAi)$")
# The language model sub-node of an agent or chain (wired to it both ways): what it answers
# is what the agent or chain answers, which writes its own origin. One model shared by several
# chains would otherwise hand each chain the prompts of all the others.
MODEL_SUB_NODES = re.compile(r"^@n8n/n8n-nodes-langchain\.(?:lmChat\w*|lmOpenAi|lmOllama|lmCohere|"
                             r"lmOpenHuggingFaceInference)$")
CALLERS = frozenset({BASE + "executeWorkflow", LANGCHAIN + "toolWorkflow"})
HTML_NODE = BASE + "html"
# Transactional mail APIs' send endpoints (Brevo, SendGrid, Mailgun, Resend, Postmark) and the
# body fields that carry a mail's HTML there.
def _mail_send_url(url: str) -> bool:
    """Is a fixed https URL a mail provider's send endpoint (:func:`is_mail_send_api`)?"""
    parts = urlsplit(url.lstrip("=").strip())
    return parts.scheme == "https" and is_mail_send_api(parts.hostname or "", parts.path)


MAIL_HTML_FIELD = re.compile(r"html|htmlContent|HtmlBody|htmlBody")
HTML_TAG = re.compile(r"<\s*[A-Za-z][\w-]*[\s>/]")


def _with_markup(param: str, text: Any, refs: tuple[ValueRef, ...]
                 ) -> tuple[str, tuple[ValueRef, ...]]:
    """(param, refs) when ``text`` writes markup of its own around its expressions (a mail
    whose body is HTML), else ("", ()): a plain text or a value handed on whole says nothing
    of markup."""
    if isinstance(text, str) and HTML_TAG.search(text) and refs:
        return param, refs
    return "", ()
BRANCHES = frozenset({BASE + "if", BASE + "switch"})
# base types (AI-tool twins folded in) that can run, render or open what they are given
# Nodes whose filter is a formula the service evaluates (Airtable's filterByFormula): a value
# quoted into it can close the string and change which records match, or are updated.
FORMULA_NODES = frozenset({BASE + "airtable"})
COMMAND_NODES = frozenset({BASE + "executeCommand", BASE + "ssh"})
# Programs whose output comes from beyond the host, where the shell runs them (a line's start,
# after a pipe, ;, &&, $( or sudo): network clients and scanners, cloud and cluster CLIs,
# interpreters (which may do anything) and database clients (a store's rows); and any URL.
FETCHING_COMMAND = re.compile(
    r"https?://|(?:^|[|;&(`{]|\$\(|\b(?:then|do|else|sudo|exec|time|xargs|nohup)[ \t])[ \t]*"
    r"(?:[A-Za-z_]\w*=\S*[ \t]+)*"
    r"(?:curl|wget|nc|ncat|netcat|socat|telnet|ftp|sftp|scp|rsync|ssh|git|svn|dig|nslookup|"
    r"host|whois|ping|traceroute|nmap|masscan|amass|subfinder|httpx|nuclei|ffuf|gobuster|"
    r"sqlmap|aws|gcloud|gsutil|az|kubectl|helm|docker|podman|yt-dlp|youtube-dl|python[\d.]*|"
    r"node|deno|php|ruby|perl|bash|sh|zsh|eval|psql|mysql|mongo|mongosh|redis-cli|sqlite3|"
    r"mosquitto_sub|openssl|npx|npm|pip[\d.]*)(?![\w.-])", re.M)
# A heredoc whose delimiter is quoted (<< 'EOF', << "EOF", <<\EOF): the shell expands nothing
# in its body, which reaches the program as it is; only a line reading the delimiter ends it.
QUOTED_HEREDOC = re.compile(r"(?P<program>[^\n<]*)<<(?P<dash>-?)[ \t]*"
                            r"(?:'(?P<a>[^'\n]+)'|\"(?P<b>[^\"\n]+)\"|\\(?P<c>\w+))(?P<rest>[^\n]*)\n")
# programs that take such a body as data (a file written) or, for node and deno, as
# JavaScript, where one JSON value outside a string is a literal of its own
HEREDOC_DATA = re.compile(r"(?:^=?|[|;&\s])(?:sudo\s+)?(?:cat|tee)\b")
HEREDOC_JS = re.compile(r"(?:^=?|[|;&\s])(?:sudo\s+)?(?:node|deno(?:\s+run)?)(?:\s+-)?\s*$")
# a value that is one line of JSON: JSON.stringify of one argument (an indent makes it lines)
ONE_LINE_JSON = re.compile(r"^\s*JSON\.stringify\((?P<args>.*)\)\s*$", re.S)
SHEET_WRITES = frozenset({"append", "appendOrUpdate", "update"})
SINK_TYPES = frozenset({*COMMAND_NODES, *CODE_NODES, *FILE_NODES,
                        *(BASE + t for t in SQL_NODES), *FORMULA_NODES})


# Nodes that put files on a third party's servers: type → (the host it calls unless its
# credential names another: GitHub Enterprise, an S3-compatible endpoint; the resource it
# uses when none is set; per resource, the operation it runs when none is set and the
# operations that upload).
UPLOADS: dict[str, tuple[str, str, Mapping[str, tuple[str, tuple[str, ...]]]]] = {
    BASE + "github": ("api.github.com", "issue", {"file": ("create", ("create", "edit"))}),
    BASE + "awsS3": ("s3.amazonaws.com", "file", {"file": ("download", ("upload",))}),
    BASE + "googleDrive": ("www.googleapis.com", "file",
                           {"file": ("upload", ("upload", "createFromText", "update"))}),
    BASE + "dropbox": ("content.dropboxapi.com", "file", {"file": ("upload", ("upload",))}),
    BASE + "microsoftOneDrive": ("graph.microsoft.com", "file",
                                 {"file": ("get", ("upload",))}),
}


def _heredoc_end(command: str, m: re.Match[str]) -> tuple[re.Match[str] | None, bool]:
    """(the line that ends the quoted heredoc ``m`` opens, or None; whether its line pipes
    or backquotes the body, as ``… | sh`` runs it)."""
    delimiter = m.group("a") or m.group("b") or m.group("c") or ""
    end = re.compile(r"^" + ("\t*" if m.group("dash") else "") + re.escape(delimiter) + r"$",
                     re.M).search(command, m.end())
    return end, "|" in m.group("rest") or "`" in m.group("rest")


def heredoc_bodies_split(command: Any) -> tuple[Any, str]:
    """(``command`` without what :func:`inert_heredocs_removed` drops and without the other
    ``{{ }}`` of quoted heredoc bodies a program reads as data, those ``{{ }}`` alone): the
    first is what the shell reads, the second what only a line reading the delimiter lets
    out of the body."""
    command = inert_heredocs_removed(command)
    if not isinstance(command, str) or not command.startswith("=") or "<<" not in command \
            or "{{" not in command:
        return command, ""
    out, bodies, at = [], [], 0
    for m in QUOTED_HEREDOC.finditer(command):
        if m.start() < at:
            continue
        end, piped = _heredoc_end(command, m)
        if end is None:  # no line ends the body: the shell reads the rest as it is
            break
        out.append(command[at:m.end()])
        body = command[m.end():end.start()]
        if HEREDOC_DATA.search(m.group("program")) and not piped:
            bodies.extend(s.group(0) for s in SEGMENT.finditer(body))
            body = SEGMENT.sub(" ", body)
        out.append(body)
        at = end.start()
    out.append(command[at:])
    return "".join(out), "=" + " ".join(bodies) if bodies else ""


def inert_heredocs_removed(command: Any) -> Any:
    """``command`` without the ``{{ }}`` a quoted heredoc's body holds as one line of JSON
    (a file ``cat`` or ``tee`` writes, or a literal in the script ``node`` runs): the shell
    expands nothing there and one line cannot end the body. A value that may hold a line
    break stays (a line reading the delimiter ends the body and the shell runs the rest), as
    does anything in an unquoted heredoc, where ``$( )`` runs."""
    if not isinstance(command, str) or "<<" not in command or "{{" not in command:
        return command
    out, at = [], 0
    for m in QUOTED_HEREDOC.finditer(command):
        if m.start() < at:
            continue
        end, piped = _heredoc_end(command, m)
        stop = end.start() if end else len(command)
        program = m.group("program")
        as_data = HEREDOC_DATA.search(program) and not piped
        as_js = HEREDOC_JS.search(program) and not piped
        out.append(command[at:m.end()])
        body = command[m.end():stop]
        if as_data or as_js:
            body = _json_lines_removed(body, as_js=bool(as_js))
        out.append(body)
        at = stop
    out.append(command[at:])
    return "".join(out)


def _json_lines_removed(body: str, *, as_js: bool) -> str:
    """A quoted heredoc's ``body`` without its ``{{ }}`` that are one line of JSON."""
    return SEGMENT.sub(lambda s: " " if _one_json_line(s, body, as_js) else s.group(0), body)


def _one_json_line(segment: re.Match[str], body: str, as_js: bool) -> bool:
    """Is this ``{{ }}`` one line of JSON (in JavaScript: outside any string on its line)?"""
    m = ONE_LINE_JSON.match(segment.group(1))
    if m is None or _top_level_comma(m.group("args")):
        return False
    if not as_js:
        return True
    line = body[body.rfind("\n", 0, segment.start()) + 1:segment.start()]
    return all(line.count(q) % 2 == 0 for q in "'\"`")


def _top_level_comma(args: str) -> bool:
    """Does ``args`` (a call's argument text) hold more than one argument?"""
    depth, quote = 0, ""
    for ch in args:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def upload_operation(node_type: str, params: Mapping[str, Any]) -> str:
    """The operation an upload node runs when it uploads; "" when it reads, lists or
    deletes."""
    known = UPLOADS.get(node_type.removesuffix("Tool"))
    if known is None:
        return ""
    _host, default_resource, resources = known
    default, uploads = resources.get(str(params.get("resource") or "") or default_resource,
                                     ("", ()))
    op = str(params.get("operation") or "") or default
    return op if op in uploads else ""



def uploads_whole_item(step: Step) -> bool:
    """Does an upload send the item it is given as the file (its binary, or the JSON a Convert
    to File made of it), rather than only the text its parameters write?"""
    p = step.params
    op = upload_operation(step.type, p)
    if not op:
        return False
    if _base(step.type) == BASE + "googleDrive":
        return op == "upload" or (op == "update" and bool(p.get("changeFileContent")))
    if _base(step.type) == BASE + "awsS3":
        return p.get("binaryData") is not False
    return p.get("binaryData") is True


@dataclass
class N8nFlows:
    """What the flow description needs beyond a step: filled by the adapter while it builds."""

    versions: dict[str, float] = field(default_factory=dict)  # step id → typeVersion
    # workflow → node name → step id (one table per workflow: a (workflow, name) pair per
    # step was a tenth of the model's memory on a large org)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    stores: dict[str, DataStore] = field(default_factory=dict)
    senders: set[str] = field(default_factory=set)  # steps with a Destination
    computed_targets: set[str] = field(default_factory=set)  # ... whose host is computed
    # steps whose data a trigger answers its caller with → (trigger, response mode)
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)
    linked_callers: set[str] = field(default_factory=set)  # callers whose callee is in the app
    model_calls: set[str] = field(default_factory=set)  # HTTP requests to a model's API
    branches: dict[str, list[Step]] = field(default_factory=dict)  # step → If/Switch before it
    loops: dict[str, tuple[str, ...]] = field(default_factory=dict)  # see loop_targets
    # workflows the instance itself exported with no connections at all: past its triggers
    # nothing of it runs (a collection's edited copy that lost its wiring is another matter)
    unwired: set[str] = field(default_factory=set)
    # nodes of intactly wired workflows that nothing feeds and that start nothing (see
    # :func:`~pytest_nocode.platforms.n8n.stranded_steps`): they never run
    stranded: set[str] = field(default_factory=set)
    _parsed: dict[tuple[str, str], tuple[ValueRef, ...]] = field(default_factory=dict)
    # step id → (the step, its description) as judging the entry points made it, kept until
    # the app asks once (the data flow): the same step and the same finished state give the
    # same description, and the judge walks thousands of steps the data flow describes again
    _judged: dict[str, tuple[Step, StepFlow]] = field(default_factory=dict)

    def describe_judged(self, step: Step) -> StepFlow:
        """:meth:`describe` for judging entry points, once the adapter's state is complete:
        each step described once, kept for :meth:`describe_once`."""
        kept = self._judged.get(step.id)
        if kept is not None and kept[0] is step:
            return kept[1]
        flow = self.describe(step)
        self._judged[step.id] = (step, flow)
        return flow

    def describe_once(self, step: Step) -> StepFlow:
        """:meth:`describe`, handing over the description judging made of this very step (let
        go then: asked again, the step is described again, the same way)."""
        kept = self._judged.pop(step.id, None)
        if kept is not None and kept[0] is step:
            return kept[1]
        return self.describe(step)

    def describe(self, step: Step) -> StepFlow:
        """How data passes ``step``; a disabled n8n node passes its input on untouched, a
        sticky note is documentation (nothing passes it)."""
        if step.disabled:
            return StepFlow()
        t = step.type
        if t == NOTE:
            return _NOTE
        starts = t in ENTRY_TRIGGERS or t in UNTRUSTED_TRIGGERS or t in SCHEDULES or (
            t.endswith(("Trigger", "trigger")) and t not in CALLED_TRIGGERS)
        if (step.workflow_id in self.unwired or step.id in self.stranded) and not starts:
            return _NEVER_RUNS
        output = self._output(step)
        writes = self._writes(step, output)
        sinks = (*self._sinks(step), *self._answer_sinks(step))
        code = t in CODE_NODES or t == LANGCHAIN + "code"
        loop = self.loops.get(step.id, ())
        stored = self._stored(step) if step.id in self.stores else ()
        called = t in CALLED_TRIGGERS
        reads = tuple(ref for ref in dict.fromkeys(self.all_refs(step, step.params))
                      if ref.kind in ("field", "step") and ref.name != "*")
        if output == "pass" and not writes and not sinks and not starts and not code \
                and not loop and not stored and not called and not reads:
            return _PASS  # most nodes: shared, not rebuilt
        return StepFlow(output, writes, sinks, starts, authored_code=code, loop_targets=loop,
                        assigned=ASSIGNED_BY_SERVICE.get(t, ()),
                        stored=stored, called=called,
                        stores_item=not self._statement(step) and not _maps_columns(step),
                        reads=reads)

    def _statement(self, step: Step) -> bool:
        """Does ``step`` write its store by a statement of its own (an SQL node's Execute
        Query UPDATE or INSERT)? It stores the values it pastes or binds, not its item."""
        store = self.stores.get(step.id)
        return store is not None and store.operation == "write" \
            and _base(step.type).removeprefix(BASE) in SQL_NODES \
            and step.params.get("operation") == "executeQuery"

    def _stored(self, step: Step) -> tuple[ValueRef, ...]:
        """Every value a store step's parameters read (column mappings, a query's pasted
        values, its filters too): what a write may put in the store besides its item."""
        query = step.params.get("query")
        t = _base(step.type).removeprefix(BASE)
        bare = t in SUBSTITUTING_SQL and self._v(step) >= SUBSTITUTING_SQL[t]
        return tuple(dict.fromkeys((*self.all_refs(step, step.params),
                                    *self.refs(step, query, bare=bare))))

    # -- expressions -----------------------------------------------------------------------
    def refs(self, step: Step, value: Any, *, bare: bool = False) -> tuple[ValueRef, ...]:
        """Every value an expression parameter reads (``bare``: ``{{ }}`` count without the
        leading ``=``); () for a literal."""
        if not isinstance(value, str) or "{{" not in value:
            return ()
        if not value.startswith("=") and not bare:
            return ()
        key = (step.workflow_id, value)  # $('Name') means a node of this workflow
        found = self._parsed.get(key)
        if found is None:
            out: list[ValueRef] = []
            for segment in SEGMENT.findall(value):
                out.extend(self.segment_refs(step, segment))
            found = self._parsed[key] = tuple(dict.fromkeys(out))
        return found

    def segment_refs(self, step: Step, code: str) -> list[ValueRef]:
        if "$" not in code:
            return [ValueRef("platform", "the current time")] if "DateTime" in code or \
                "Date" in code else [ValueRef("constant")]
        if SANITIZED.search(code):
            return [ValueRef("constant", "encoded value")]
        if DATE_VALUE.match(code):
            return [ValueRef("constant", "a date")]
        out: list[ValueRef] = []
        rest = code
        for m in (NODE_REF.finditer(code) if "$(" in code or "$node" in code else ()):
            name = m.group("a") or m.group("b") or m.group("c") or ""
            tail = NODE_PATH.match(code, m.end())
            path = (tail.group("path") if tail else "") or ""
            target = self.names.get(step.workflow_id, {}).get(name)
            if target is None:
                out.append(ValueRef("unknown", f"output of {name!r}, not in this workflow"))
            else:
                out.append(ValueRef("step", _top(path), target, f"$('{name}').json{path}"))
        if out:
            rest = NODE_REF.sub(" ", rest)
        if "$fromAI" in rest:
            for m in FROM_AI.finditer(rest):
                out.append(ValueRef("ai", f"$fromAI('{m.group('key')}')"))
            rest = FROM_AI.sub(" ", rest)
        if "$env" in rest or "$vars" in rest or "$secrets" in rest or "$credentials" in rest:
            for m in ENV_REF.finditer(rest):
                name = m.group("a") or m.group("b") or ""
                out.append(ValueRef("env", f"${m.group('kind')}.{name}".rstrip(".")))
            rest = ENV_REF.sub(" ", rest)
        if "$binary" in rest:
            for m in BINARY_FILE_NAME.finditer(rest):
                prop = m.group("a") or m.group("b")
                out.append(ValueRef("field", binary_file_name(prop), path=m.group(0)))
            rest = BINARY_FILE_NAME.sub(" ", rest)
            if BINARY_DATA.search(rest):
                out.append(ValueRef("constant", "base64 file content"))
                rest = BINARY_DATA.sub(" ", rest)
            if ANY_BINARY.search(rest):
                out.append(ValueRef("field", "*", path="$binary"))
                rest = ANY_BINARY.sub(" ", rest)
        for m in PLATFORM.finditer(rest):
            attr = f".{m.group('attr')}" if m.group("attr") else ""
            out.append(ValueRef("platform", f"${m.group('name')}{attr}"))
        rest = PLATFORM.sub(" ", rest)
        for m in JSON_REF.finditer(rest):
            path = m.group("path") or m.group("ipath") or ""
            out.append(ValueRef("field", _top(path), path=("$json" + path)))
        rest = JSON_REF.sub(" ", rest)
        if OTHER_DOLLAR.search(rest):  # a helper we do not know: assume it reads the item
            out.append(ValueRef("field", "*", path=OTHER_DOLLAR.search(rest).group(0)))
        return out or [ValueRef("constant")]

    def all_refs(self, step: Step, value: Any) -> list[ValueRef]:
        """Refs of every expression anywhere in a parameter tree, in the tree's order (depth
        first, as the values stand). One walk into one list, asking :meth:`refs` only of the
        texts that are expressions: as a recursive generator it cost a frame per level and a
        call per text, most of them plain (on 2,000 workflows 475,000 calls for 84,000 walks,
        194,000 ``refs`` calls)."""
        out: list[ValueRef] = []
        if isinstance(value, str):
            if "{{" in value and value.startswith("="):
                out.extend(self.refs(step, value))
        elif isinstance(value, _TREES):
            self._refs_below(step, value, out)
        return out

    def _refs_below(self, step: Step, value: Any, out: list[ValueRef]) -> None:
        for v in value.values() if isinstance(value, _MAPPINGS) else value:
            if isinstance(v, str):
                if "{{" in v and v.startswith("="):  # what refs() reads (not bare)
                    out.extend(self.refs(step, v))
            elif isinstance(v, _TREES):
                self._refs_below(step, v, out)

    # -- outputs ---------------------------------------------------------------------------
    def _output(self, step: Step) -> str:
        t = step.type
        if t in CALLED_TRIGGERS and self._declared_inputs(step):
            return "fresh"  # the fields it declares, nothing else of what the caller had
        if t in CALLED_TRIGGERS or t in PASS_TYPES or t in CALLERS or t == BASE + "set":
            return "pass" if t != BASE + "set" or _set_input_kept(step, self._v(step)) == "all" \
                else "fresh"
        if t in CODE_NODES or t == LANGCHAIN + "code":
            code = str(step.params.get("jsCode") or step.params.get("functionCode") or "")
            if not code:
                return "mix"
            if code_passed_input(code) is not None:
                return "pass"  # {...$json, field: …}: the input item goes on, fields set
            # items listing their own fields: a field none lists is not in the output
            return "fresh" if not READS_INPUT.search(code) or code_closed_fields(code) \
                else "mix"
        if _base(t).endswith("Tool") or t.startswith(LANGCHAIN + "tool") \
                or t == LANGCHAIN + "mcpClientTool":
            store = self.stores.get(step.id)
            return "fresh" if store and store.operation in ("read", "query") else "pass"
        if _keeps_item(step):
            return "pass"
        store = self.stores.get(step.id)
        if store is not None and store.operation not in ("read", "query"):
            # a write returns the rows it wrote (the input); a hand-written statement
            # returns what the statement does (an UPDATE: a count), not its input
            return "fresh" if step.params.get("operation") == "executeQuery" else "pass"
        return "fresh"

    def _declared_inputs(self, step: Step) -> tuple[tuple[str, str], ...]:
        """(name, type) of each input an Execute Workflow Trigger declares ("Define using
        fields below", v1.1; no type is a string); () when it takes whatever it is passed
        (v1, "Accept all data", a JSON example)."""
        p = step.params
        if self._v(step) < 1.1 or (p.get("inputSource") or "workflowInputs") != "workflowInputs":
            return ()
        inputs = p.get("workflowInputs")
        values = inputs.get("values") if isinstance(inputs, _MAPPINGS) else None
        if not isinstance(values, list):
            return ()
        return tuple((str(v["name"]), str(v.get("type") or "string")) for v in values
                     if isinstance(v, _MAPPINGS) and v.get("name"))

    def _writes(self, step: Step, output: str) -> tuple[FieldWrite, ...]:
        t = step.type
        if t in CALLED_TRIGGERS:
            return tuple(FieldWrite(name, (
                ValueRef("constant", f"a {kind} input {step.name} declares"),)
                if kind in TYPED_INPUTS else (ValueRef("field", name),))
                for name, kind in self._declared_inputs(step))
        if t in ENTRY_TRIGGERS:
            return ()  # the engine adds the entry point's origin
        if (outside := untrusted_trigger(t)) is not None:
            return (FieldWrite("*", (ValueRef("entry", outside),)),)
        if t == FORM_PAGE:  # a further page of a form: what the caller types in on it
            return (FieldWrite("*", (ValueRef("entry", f"form page {step.name}"),)),)
        if t in SCHEDULES:
            return (FieldWrite("*", (ValueRef("platform", f"{_short(t)} event"),)),)
        if t == BASE + "set":
            return tuple(self._set_writes(step))
        if t == BASE + "splitOut":
            return tuple(_split_out_writes(step))
        if t == HTML_NODE and (html := self._html_refs(step)):
            return (FieldWrite("html", html),)  # the page, made of what it pastes in
        if t in FILE_MAKERS:
            return (self._file_name_write(step),)
        if MODEL_SUB_NODES.match(t):
            return ()  # its answer is the answer of the agent or chain it serves, not input
        if _is_ai(t) or step.id in self.model_calls:
            return (FieldWrite("*", (ValueRef("ai", f"answer of {step.name}", step.id),)),)
        code = str(step.params.get("jsCode") or step.params.get("functionCode") or "")
        if output == "fresh" and (t in CODE_NODES or t == LANGCHAIN + "code") \
                and not READS_INPUT.search(code):
            return (FieldWrite("*", (ValueRef("constant"),)),)  # builds items of its own
        if t in CODE_NODES or t == LANGCHAIN + "code":
            # code reads other nodes' output too: $('Webhook').first().json.body
            refs = [r for r in self.segment_refs(step, code) if r.kind == "step"] \
                if "$(" in code or "$node" in code else []
            read = tuple(self._code_field_writes(step, code))
            passed = code_passed_input(code) if output == "pass" else None
            if passed is not None:  # the input item, with the fields the code sets
                every, some = passed
                given = (ValueRef("field", "*"), *refs)
                named = {w.field: w for w in read}
                return tuple(FieldWrite(f, named[f].value if f in named else given,
                                        strong=f in every) for f in sorted(every | some))
            if output == "fresh":  # every field it returns is listed: each holds what it
                given = (ValueRef("field", "*"), *refs)  # reads, or anything the code saw
                named = {w.field for w in read}
                return (*(FieldWrite(f, given) for f in sorted(code_closed_fields(code) or ())
                          if f not in named), *read)
            mixed = (FieldWrite("*", tuple(refs), strong=False),) if refs else ()
            return (*mixed, *read)
        store = self.stores.get(step.id)
        if store is not None and store.kind == DRIVE_FILE:  # the file, beside the item given
            return (FieldWrite("*", (ValueRef("store", store_name(store, step)),), strong=False),)
        if store is not None and store.operation in ("read", "query"):
            computed = computed_columns(str(step.params.get("query") or ""),
                                        strict=_base(t) == BASE + "postgres") \
                if _base(t).removeprefix(BASE) in SQL_NODES else {}
            return (FieldWrite("*", (ValueRef("store", store_name(store, step)),)),
                    *(FieldWrite(name, (ValueRef("constant", what),))
                      for name, what in computed.items()))
        if t in CALLERS:
            return (FieldWrite("*", (ValueRef("unknown", f"result of {step.name}"),),
                               strong=False),)
        if _base(t) in COMMAND_NODES:
            return (FieldWrite("*", self._command_output(step)),)
        if _keeps_item(step):  # the file it fetched, beside the item it was given
            return (FieldWrite("*", (service_response(step.name),),
                               strong=False),)
        if _base(t) == HTTP_REQUEST and TELEGRAM_POLL.match(str(step.params.get("url") or "")):
            return (FieldWrite("*", (ValueRef("entry", POLLED_TELEGRAM),)),)
        if output == "fresh" and t not in CALLED_TRIGGERS:
            answer = ValueRef("unknown", f"events from {_short(t)}") if t.endswith("Trigger") \
                else service_response(step.name)
            fetched = self._fetched_from(step)
            return (FieldWrite("*", (answer, *fetched)),
                    *_platform_filled(step), *_file_addresses(step, fetched))
        return ()

    def _file_name_write(self, step: Step) -> FieldWrite:
        """Convert to File names the file it makes: the name its options give (a fixed word,
        or an expression's values), else its default name; nothing else picks that name."""
        p = step.params
        options = p.get("options") if isinstance(p.get("options"), _MAPPINGS) else {}
        prop = str(p.get("binaryPropertyName") or "data")
        name = options.get("fileName")
        refs = self.refs(step, name) or (ValueRef("constant", f"file name set in {step.name}"),)
        return FieldWrite(binary_file_name(prop), refs)

    def _command_output(self, step: Step) -> tuple[ValueRef, ...]:
        """What a shell command prints: the answer of the app's own host (a listing of its
        folders, a file it keeps, a local tool's report) when the command fetches nothing,
        plus every value it is given (it may echo them back). A command that reaches out
        (curl, a scanner, an interpreter or a database client) prints what something else
        said: of unknown origin, as a service's response is."""
        command = step.params.get("command")
        given = self.refs(step, command)
        if FETCHING_COMMAND.search(str(command or "")):
            return (service_response(step.name), *given)
        where = "the host it logs in to" if _base(step.type) == BASE + "ssh" else \
            "the app's own host"
        return (ValueRef("platform", f"output of {step.name} (a command on {where})"), *given)

    def _code_field_writes(self, step: Step, code: str) -> Iterator[FieldWrite]:
        """The fields code returns neutralised (SQL text whose every outside value is
        quote-escaped or cut to digits, a pick from a constant map) or as plain copies of named
        input fields: those fields carry only that, not everything the code saw."""
        if "return" not in code:
            return
        for name, value in code_field_values(code).items():
            if value.reads:
                refs = tuple(dict.fromkeys(r for text in sorted(value.reads)
                                           for r in self.segment_refs(step, text)))
            else:
                refs = (ValueRef("constant", f"text built in {step.name} from fixed text "
                                 "and escaped values"),)
            yield FieldWrite(name, refs)

    def _fetched_from(self, step: Step) -> tuple[ValueRef, ...]:
        """What picks the content a step fetches when the whole target is given to it: a
        request to a computed URL, a file a message attached. Whoever chose the target chose
        the content (the text of a PDF a Slack user uploaded), so the response carries the
        origins of the target too."""
        p = step.params
        if step.id in self.computed_targets:
            url = p.get("url") if "url" in p else p.get("endpoint")
            if FIXED_HOST.match(str(url or "")) or ENV_HOST.match(str(url or "")):
                return ()
            return self.refs(step, url)
        if _gets_message_file(step):
            return tuple(r for key in ("fileId", "url") for r in self.all_refs(step,
                                                                                  p.get(key)))
        return ()

    def _set_writes(self, step: Step) -> Iterator[FieldWrite]:
        p = step.params
        if _set_input_kept(step, self._v(step)) == "selected":  # those fields, as they came
            for name in _fields_included(step):
                yield FieldWrite(name, (ValueRef("field", name),))
        if p.get("mode") == "raw":
            yield FieldWrite("*", self.refs(step, p.get("jsonOutput")) or
                             (ValueRef("constant"),), strong=False)
            return
        assignments = (p.get("assignments") or {}).get("assignments") \
            if isinstance(p.get("assignments"), dict) else None
        pairs: list[tuple[str, Any]] = []
        if isinstance(assignments, list):  # v3.3+
            pairs = [(str(a.get("name", "")), a.get("value")) for a in assignments
                     if isinstance(a, dict)]
        else:  # v1-v3.2: values: {string: [{name, value}], number: [...]}, fields.values
            groups = p.get("values") if isinstance(p.get("values"), dict) else {}
            for items in groups.values():
                for a in items if isinstance(items, list) else ():
                    if isinstance(a, dict):
                        pairs.append((str(a.get("name", "")), a.get("value")))
            fields_ = (p.get("fields") or {}).get("values") if isinstance(p.get("fields"),
                                                                             dict) else None
            for a in fields_ if isinstance(fields_, list) else ():
                if isinstance(a, dict):
                    pairs.append((str(a.get("name", "")),
                                  next((v for k, v in a.items() if k.endswith("Value")), None)))
        for name, value in pairs:
            if name:
                refs = self.refs(step, value) or (ValueRef("constant"),)
                yield FieldWrite(_top("." + name), refs, strong="." not in name)

    # -- sinks -----------------------------------------------------------------------------
    def _sinks(self, step: Step) -> Iterator[SinkUse]:
        t = _base(step.type)
        yield from self._action_sinks(step)
        yield from self._query_json_sink(step)
        yield from self._url_path_sink(step)
        yield from self._url_filter_sink(step)
        yield from self._relayed_url_sink(step)
        yield from self._json_body_sink(step)
        yield from self._sheet_cells_sink(step)
        yield from self._html_template_sink(step)
        community_sql = t not in SINK_TYPES and is_sql_step(step)
        if t not in SINK_TYPES and step.id not in self.senders and not _is_ai(step.type) \
                and not community_sql:
            return
        p = step.params
        if t in (BASE + "executeCommand", BASE + "ssh"):
            shell, bodies = heredoc_bodies_split(p.get("command"))
            refs = self.refs(step, shell)
            where = "a remote shell command" if t.endswith("ssh") else "a shell command"
            if refs:
                yield SinkUse("command", "command", refs, f"builds {where} from an expression")
            in_body = self.refs(step, bodies) if bodies else ()
            if in_body:
                yield SinkUse("command", HEREDOC_BODY, in_body,
                              f"writes an expression into the quoted heredoc body of {where} "
                              "(a line reading its delimiter ends the body and runs the rest)")
        elif t.removeprefix(BASE) in SQL_NODES or community_sql:
            yield from self._sql_sink(step)
        elif t in FORMULA_NODES:
            yield from self._formula_sink(step)
        elif t in CODE_NODES:
            code = str(p.get("jsCode") or p.get("functionCode") or p.get("pythonCode") or "")
            if runs_code(code):
                yield SinkUse("code", "jsCode", (ValueRef("field", "*"),),
                              "evaluates or executes input data in code")
        elif _is_ai(step.type) or step.id in self.model_calls:
            prompt = tuple(dict.fromkeys(r for k, v in p.items()
                                         for r in self._sent_refs(step, k, v)))
            yield SinkUse("prompt", "text", (ValueRef("field", "*", path="the input item"),
                                             *prompt), "prompts the model with these values")
        elif t in FILE_NODES:
            key = next((k for k in FILE_KEYS if p.get(k)), "fileName")
            refs = self.refs(step, p.get(key))
            if carries_data(refs):
                yield SinkUse("path", key, refs, "opens a file path built from an expression")
        if step.id in self.senders:
            url = p.get("url") if "url" in p else p.get("endpoint")
            for key in MAIL_ADDRESS_KEYS if url is None else ():
                if p.get(key):
                    yield SinkUse("url", key, self.refs(step, p.get(key)), "mails to this address")
            yield SinkUse("url", "url", self.refs(step, url), "sends to this URL",
                          PLATFORM_ADDRESSED)
            if step.id in self.computed_targets and ENV_HOST.match(str(url or "")):
                refs = tuple(r for r in self.refs(step, url) if r.kind != "env")
                if carries_data(refs):
                    yield SinkUse("fetch", FETCH_PATH, refs, URL_PATH_STEERED)
            elif step.id in self.computed_targets and not FIXED_HOST.match(str(url or "")):
                yield SinkUse("fetch", "url", self.refs(step, url),
                              "sends a request to a URL it is given (server-side request "
                              "forgery)", PLATFORM_ADDRESSED)
            sent = tuple(dict.fromkeys(r for k, v in p.items() if k not in ("url", "endpoint")
                                       for r in self._sent_refs(step, k, v)))
            if t in (BASE + "ftp", BASE + "emailSend") or uploads_whole_item(step) \
                    or _attaches_files(step):
                sent = (*sent, ValueRef("field", "*", path="the input item"))
            yield SinkUse("send", "body", sent, "sends these values")

    def _action_sinks(self, step: Step) -> Iterator[SinkUse]:
        """An ``act`` sink on a step that changes or sends data (a record created, updated or
        deleted, a mail sent, a non-GET request, a command run): what it is given decides
        what it does. An AI tool acts on what the agent decided (its whole input); a step
        wired after a model acts on the values its parameters read. Chat messages, requests and
        called workflows count only as tools: a bot posting its answer back to the
        conversation (often by an HTTP POST to the messaging API) is what a chatbot is for."""
        action = _action(step, self.stores.get(step.id))
        if action is None or step.id in self.linked_callers or step.id in self.model_calls:
            return  # a called workflow in the app: its own steps say whether it acts; a
            # model asked for an answer changes nothing
        what, tool_only = action
        if _is_tool(step.type):
            yield SinkUse("act", "tool", (ValueRef("field", "*", path="what the agent "
                                                   "decided"),), what)
        elif tool_only and _base(step.type) not in CHAT_SENDERS:
            yield from self._dispatch_sinks(step, what)
        elif not tool_only and not self._mails_fixed_recipients(step):
            p = step.params
            values = [inert_heredocs_removed(v) if k == "command" else v for k, v in p.items()] \
                if _base(step.type) in COMMAND_NODES else list(_unbound(step).values())
            reads = tuple(dict.fromkeys(r for v in values for r in self.all_refs(step, v)))
            columns = p.get("columns") if isinstance(p.get("columns"), _MAPPINGS) else {}
            if p.get("dataToSend") == "autoMapInputColumns" or \
                    columns.get("mappingMode") == "autoMapInputData":
                reads = (*reads, ValueRef("field", "*", path="the input item"))
            if reads:
                yield SinkUse("act", "parameters", reads, what)
                address = tuple(dict.fromkeys(r for key in p if MAIL_TARGET_KEY.match(key)
                                              for r in self.all_refs(step, p[key])))
                if address:  # an address typed in proves no one's identity: kept apart
                    yield SinkUse("target", "address", address, f"picks whom {what}")
                target = tuple(dict.fromkeys(self._target_refs(step)))
                if target:
                    yield SinkUse("target", "target", target, f"picks whom or what {what}")

    def _target_refs(self, step: Step) -> Iterator[ValueRef]:
        """Refs of the parameters that pick whom ``step`` reaches or which records it
        changes, in any node's spelling: a recipient (``to``, ``chatId``, ``sendTo``,
        ``recipientPhoneNumber``), a row filter or lookup (``filters``, ``where``,
        ``lookupValue``, ``rowId``), the values of the columns an update matches on."""
        p = step.params
        for key, value in p.items():
            if TARGET_KEY.match(key) and not MAIL_TARGET_KEY.match(key):
                yield from self.all_refs(step, value)
        columns = p.get("columns")
        if isinstance(columns, _MAPPINGS):
            given = columns.get("value")
            matching = columns.get("matchingColumns")
            if isinstance(given, _MAPPINGS) and isinstance(matching, list):
                for column in matching:
                    if isinstance(column, str) and column in given:
                        yield from self.all_refs(step, given[column])

    def _mails_fixed_recipients(self, step: Step) -> bool:
        """Does ``step`` send a new mail only to addresses its own configuration fixes (the
        owner's inbox, a team's)? A model's answer written there reaches no one its
        prompter picks and changes nothing: that prompter could have mailed them as well."""
        p = step.params
        if str(p.get("operation") or DEFAULT_ACTS.get(_base(step.type)) or "") != "send":
            return False
        given = [p[key] for key in MAIL_ADDRESS_KEYS if p.get(key)]
        return bool(given) and not any(self.refs(step, value) or not isinstance(value, str)
                                       for value in given)

    def _dispatch_sinks(self, step: Step, what: str) -> Iterator[SinkUse]:
        """A request or called workflow that an If or Switch before it picks by name: when
        the branch compares a model's answer with a fixed word (``action.type`` equals
        ``create_flow``), the model chose to run it, as an agent calls a tool (a tool call
        built by hand). A test that classifies (contains, is empty) picks no action. The
        sink reads what the branch compares, as the branch sees it; a called workflow's
        (``dispatched call``) also hands on the item the branch passed, the answer with it."""
        param = "dispatched call" if step.type in CALLERS else "dispatched"
        for branch in self.branches.get(step.id, ()):
            tested = tuple(dict.fromkeys(
                ValueRef("step", r.name, branch.id, r.path) if r.kind == "field" else r
                for left in _named_picks(branch.params)
                for r in self.refs(branch, left)))
            if tested:
                yield SinkUse("act", param, tested,
                              f"{what} when '{branch.name}' picks it")

    def _sql_sink(self, step: Step) -> Iterator[SinkUse]:
        p = step.params
        t = _base(step.type).removeprefix(BASE)
        key = community_sql_key(step.type, p)
        default = "executeQuery" if t == "microsoftSql" else ""
        if key is None and (str(p.get("operation") or default)) != "executeQuery":
            return
        query = p.get(key or "query")
        bare = t in SUBSTITUTING_SQL and self._v(step) >= SUBSTITUTING_SQL[t]
        refs = self._sql_refs(step, query, bare=bare)
        if not refs:
            return
        how = "{{ }} (not query parameters)" if not str(query).startswith("=") else \
            "an expression (not query parameters)"
        yield SinkUse("sql", key or "query", refs, f"builds SQL by interpolating {how}")

    def _sql_refs(self, step: Step, query: Any, *, bare: bool) -> tuple[ValueRef, ...]:
        """What a query's pasted values read, but a value whose quotes are doubled
        (:data:`QUOTES_DOUBLED`) where the query puts it between single quotes: there it
        stays one string. Outside quotes (``WHERE id = {{ … }}``) it still rewrites the SQL."""
        refs = self.refs(step, query, bare=bare)
        if not refs or "'" not in query:
            return refs
        out: list[ValueRef] = []
        quoted, start = False, 0
        for m in SEGMENT.finditer(query):
            quoted ^= query.count("'", start, m.start()) % 2 == 1
            start = m.end()
            if not (quoted and QUOTES_DOUBLED.match(m.group(1))):
                out.extend(self.segment_refs(step, m.group(1)))
        return tuple(dict.fromkeys(out))

    def _query_json_sink(self, step: Step) -> Iterator[SinkUse]:
        """A MongoDB query written as JSON text with expressions pasted into it
        (``{"user_id": "{{ $json.body.id }}"}``): n8n renders the text, then parses it, so a
        quote in the value closes the string and the rest rewrites the filter. A value
        passed through ``JSON.stringify`` stays one JSON value. A community node of another
        non-SQL database runs its own language's query (:func:`non_sql_language`)."""
        language = non_sql_language(step.type)
        if language:
            yield from self._community_query_sink(step, language)
            return
        if _base(step.type) != BASE + "mongoDb":
            return
        query = step.params.get("query")
        if not isinstance(query, str) or not query.startswith("="):
            return
        refs = tuple(dict.fromkeys(r for seg in SEGMENT.findall(query)
                                   if not JSON_ENCODED.match(seg)
                                   for r in self.segment_refs(step, seg)))
        if carries_data(refs):
            yield SinkUse("query", "query", refs, "builds a MongoDB query by pasting an "
                          "expression into its JSON text (a quote in the value rewrites the "
                          "filter)")

    def _community_query_sink(self, step: Step, language: str) -> Iterator[SinkUse]:
        """The ``query`` (or ``sql``) text a community node of a non-SQL database runs, with
        expressions pasted in: a JSON query (MongoDB, Elasticsearch) as the MongoDB node's,
        a value through ``JSON.stringify`` staying one value; any other language's text
        (Cypher, AQL) rewritten by what is pasted into it."""
        key = next((k for k in COMMUNITY_SQL_KEYS if isinstance(step.params.get(k), str)), "")
        query = str(step.params.get(key) or "")
        if not key or "{{" not in query:
            return
        json_query = language in JSON_QUERY_LANGUAGES
        refs = tuple(dict.fromkeys(r for seg in SEGMENT.findall(query)
                                   if not (json_query and JSON_ENCODED.match(seg))
                                   for r in self.segment_refs(step, seg)))
        if carries_data(refs):
            how = "into its JSON text (a quote in the value rewrites the filter)" if json_query \
                else "into its text (the value can rewrite the query)"
            yield SinkUse("query", key, refs, f"builds a {language} query by pasting an "
                          f"expression {how}")

    def _url_path_sink(self, step: Step) -> Iterator[SinkUse]:
        """A request to a fixed host whose URL path has an expression pasted into it
        (``https://api.example.com/merchants/{{ $json.body.merchantId }}``): a ``../`` or a
        ``?`` in the value makes the request reach another endpoint of that API, with the
        credentials the node sends. Only a caller's data counts (INJ001): an id a service
        returned is the ordinary way to build such a URL. The query string after ``?`` is
        left out, and so are values through ``encodeURIComponent`` and an agent's ``$fromAI``
        (a tool's id picked by the model is what the tool is for: INJ003 asks about that)."""
        if _base(step.type) != BASE + "httpRequest" or step.id in self.computed_targets:
            return
        url = step.params.get("url")
        if not isinstance(url, str) or not url.startswith("="):
            return
        path = URL_PATH.match(url)
        if path is None or (not _sends_credentials(step) and _public_host(url)):
            return  # another endpoint of a public API, with nothing of the owner's: the
            # caller can call it as well
        refs = tuple(dict.fromkeys(
            r for seg in SEGMENT.findall(path.group("path").split("?", 1)[0])
            if not URL_ENCODED.match(seg) for r in self.segment_refs(step, seg)
            if r.kind != "ai"))
        if carries_data(refs):
            yield SinkUse("fetch", FETCH_PATH, refs, URL_PATH_STEERED)

    def _url_filter_sink(self, step: Step) -> Iterator[SinkUse]:
        """A request to a fixed host whose query string pastes an expression into a PostgREST
        filter (Supabase's REST API: ``…/rest/v1/chats?phone=eq.{{ $json.from }}``,
        ``id=in.({{ … }})``, ``or=(…)``): a caller's ``&`` or comma rewrites which rows the
        request reads, updates or deletes. Other query strings of a fixed host stay nothing
        (they pick parameters, not the server); so does an operand through
        ``encodeURIComponent`` (its ``&`` stays text), though not a list's item (a comma is
        decoded before PostgREST splits the list). Parameters set in 'Query Parameters' are
        encoded by n8n and left out. Only a caller's data counts (INJ001)."""
        if _base(step.type) != BASE + "httpRequest" or step.id in self.computed_targets:
            return
        url = step.params.get("url")
        path = URL_PATH.match(url) if isinstance(url, str) else None
        if path is None or "?" not in path.group("path"):
            return
        query = path.group("path").split("?", 1)[1].split("#", 1)[0]
        pasted = [seg for m in PGREST_OPERAND.finditer(query) for seg in SEGMENT.findall(
            m.group(1)) if not URL_ENCODED.match(seg)]
        pasted += [seg for m in PGREST_LIST.finditer(query) for seg in SEGMENT.findall(m.group(1))]
        refs = tuple(dict.fromkeys(r for seg in pasted for r in self.segment_refs(step, seg)
                                   if r.kind != "ai"))
        if carries_data(refs):
            yield SinkUse("fetch", FETCH_QUERY_FILTER, refs, "pastes a value into a PostgREST "
                          "filter in its URL's query string (an & or a comma in it adds or "
                          "rewrites the filter: which rows the request reaches)")

    def _relayed_url_sink(self, step: Step) -> Iterator[SinkUse]:
        """A request to a fixed host that hands a whole URL in a query parameter naming one
        (``url``, ``uri``, ``link``, ``src``, ``pdf_url``; in 'Query Parameters' or typed into
        the URL): the service behind it, a fetch proxy or a downloader, fetches what it is
        given, so a caller's address makes it fetch any server (server-side request forgery
        through that service). Only a caller's data counts (INJ001): a URL a service or a
        model returned is the ordinary input of such a service."""
        if _base(step.type) != BASE + "httpRequest" or step.id in self.computed_targets:
            return
        p = step.params
        url = p.get("url")
        if not isinstance(url, str) or not (URL_PATH.match(url) or FIXED_URL.match(url)):
            return
        pairs = p.get("queryParameters")
        listed = pairs.get("parameters") if isinstance(pairs, _MAPPINGS) and \
            p.get("sendQuery") is not False else None
        values = [q.get("value") for q in listed or () if isinstance(q, _MAPPINGS)
                  and URL_PARAMETER.fullmatch(str(q.get("name") or ""))]
        query = url.split("?", 1)[1] if "?" in url and url.startswith("=") else ""
        typed = [r for m in URL_QUERY_VALUE.finditer(query) for seg in SEGMENT.findall(m.group(1))
                 for r in self.segment_refs(step, seg)]
        refs = tuple(dict.fromkeys(r for r in (*typed, *(r for v in values
                                                         for r in self.refs(step, v)))
                                   if r.kind != "ai"))
        if carries_data(refs):
            yield SinkUse("fetch", FETCH_RELAYED_URL, refs, "hands a URL it is given to the "
                          "service it calls, which fetches it (server-side request forgery "
                          "through that service)")

    def _json_body_sink(self, step: Step) -> Iterator[SinkUse]:
        """An HTTP request (or an agent's HTTP tool) whose JSON body is text with expressions
        pasted inside its strings (``"query": "{{ $json.body.text }}"``): n8n renders the
        text, then parses it, so a quote in the value closes the string and the caller adds
        or overrides keys (a second ``merchantId``: last key wins). ``JSON.stringify`` and
        taking the quotes out are the look-alikes; only a caller's data counts (INJ001), not
        an agent's ``$fromAI`` (INJ003's).
        Expressions outside a string (usually an object pasted whole) are not counted yet."""
        p = step.params
        if _base(step.type) != BASE + "httpRequest" or p.get("specifyBody") != "json":
            return
        body = p.get("jsonBody")
        if not isinstance(body, str) or not body.startswith("="):
            return
        refs = tuple(dict.fromkeys(r for seg in QUOTED_SEGMENT.findall(body)
                                   if not JSON_ENCODED.match(seg) and not QUOTES_REMOVED.search(seg)
                                   for r in self.segment_refs(step, seg) if r.kind != "ai"))
        if not carries_data(refs):
            return
        if carries_data(tuple(r for seg in PATH_STRING.findall(body)
                              for r in self.segment_refs(step, seg))):
            yield SinkUse("fetch", FETCH_JSON_BODY, refs, "pastes values inside the strings "
                          "of its JSON body, one into a file path it sends (a ../ in it names "
                          "any other file to the service that opens it: path traversal; a "
                          "quote adds or overrides keys)")
        else:
            yield SinkUse("fetch", FETCH_JSON_BODY, refs, "pastes values inside the strings "
                          "of its JSON body (a quote in one adds or overrides keys: JSON "
                          "injection)")

    def _sheet_cells_sink(self, step: Step) -> Iterator[SinkUse]:
        """Google Sheets writing cells it lets the sheet interpret (cell format "Let Google
        Sheets format", USER_ENTERED: the default from version 4.1): a value starting with
        ``=``, ``+``, ``-`` or ``@`` becomes a formula, and ``IMPORTXML``/``IMAGE`` can send
        the sheet's other cells to any server. A value written after a leading ``'`` stays
        text; RAW ("Let n8n format") never runs."""
        p = step.params
        if _base(step.type) != BASE + "googleSheets" or \
                str(p.get("operation") or "") not in SHEET_WRITES:
            return
        options = p.get("options") if isinstance(p.get("options"), _MAPPINGS) else {}
        mode = options.get("cellFormat") or ("USER_ENTERED" if self._v(step) >= 4.1 else "RAW")
        if mode != "USER_ENTERED":
            return
        columns = p.get("columns") if isinstance(p.get("columns"), _MAPPINGS) else {}
        if columns.get("mappingMode") == "autoMapInputData" or p.get("dataMode") == \
                "autoMapInputData":
            refs: tuple[ValueRef, ...] = (ValueRef("field", "*", path="the input item"),)
        else:
            values = columns.get("value") if isinstance(columns.get("value"), _MAPPINGS) \
                else {}
            refs = tuple(dict.fromkeys(r for v in values.values()
                                       if not (isinstance(v, str) and v.startswith("='"))
                                       for r in self.refs(step, v)))
        if carries_data(refs):
            yield SinkUse("formula", "columns", refs, "writes cells the sheet evaluates "
                          "(USER_ENTERED): a value starting with = runs as a formula (formula "
                          "injection)")

    def _html_refs(self, step: Step) -> tuple[ValueRef, ...]:
        """What the HTML node's 'Generate HTML Template' (its default operation) pastes into
        its page: n8n resolves every ``{{ }}`` of the template, with or without a leading
        ``=``, and escapes nothing."""
        p = step.params
        if step.type != HTML_NODE or \
                str(p.get("operation") or "generateHtmlTemplate") != "generateHtmlTemplate":
            return ()
        return self.refs(step, p.get("html"), bare=True)

    def _html_template_sink(self, step: Step) -> Iterator[SinkUse]:
        """The page the HTML node generates, with data pasted in: markup in a value becomes
        part of the page, or of the document a PDF service renders from it (HTML injection;
        a renderer fetching ``<img>`` or ``<iframe>`` sources also requests what it names).
        Likewise the HTML body of a mail (:meth:`_mail_html`): markup in a value is part of
        a mail the organisation's own sender signs (phishing links, forged content)."""
        refs = self._html_refs(step)
        if carries_data(refs):
            yield SinkUse("markup", "html", refs, "pastes values unescaped into the HTML it "
                          "generates (HTML injection into the page or the document rendered "
                          "from it)")
        param, mail_refs = self._mail_html(step)
        if carries_data(mail_refs):
            yield SinkUse("markup", param, mail_refs, "pastes values unescaped into the HTML "
                          "of the mail it sends (HTML injection: links and content in the "
                          "sender's name)")

    def _mail_html(self, step: Step) -> tuple[str, tuple[ValueRef, ...]]:
        """(parameter, what it pastes) of the HTML body of a mail ``step`` sends: the Send
        Email node's ``html``, Gmail's ``message`` sent as HTML, or an ``html`` /
        ``htmlContent`` field of a request to a mail-sending API (:func:`_mail_send_url`);
        ("", ()) for anything else or a body without markup."""
        p = step.params
        t = _base(step.type)
        if t == BASE + "emailSend" and str(p.get("emailFormat") or "html") in ("html", "both"):
            return _with_markup("html", p.get("html"), self.refs(step, p.get("html")))
        resource = str(p.get("resource") or "message")  # a draft is kept, not sent
        operation = str(p.get("operation") or ("send" if resource == "message" else ""))
        if t == BASE + "gmail" and str(p.get("emailType") or "html") == "html" \
                and (resource, operation) in (("message", "send"), ("message", "reply"),
                                              ("thread", "reply")):
            return _with_markup("message", p.get("message"), self.refs(step, p.get("message")))
        if t == BASE + "httpRequest" and _mail_send_url(str(p.get("url") or "")):
            body = p.get("bodyParameters")
            fields = body.get("parameters") if isinstance(body, _MAPPINGS) else None
            for f in fields if isinstance(fields, list) else ():
                if isinstance(f, _MAPPINGS) and MAIL_HTML_FIELD.fullmatch(str(f.get("name"))):
                    return _with_markup(str(f.get("name")), f.get("value"),
                                        self.refs(step, f.get("value")))
        return "", ()

    def _formula_sink(self, step: Step) -> Iterator[SinkUse]:
        """Airtable's ``filterByFormula`` (v1 under additionalOptions, v2 under options or at
        the top) with expressions in it: a query the service runs, built from data."""
        p = step.params
        places = [p, *(p.get(k) for k in ("additionalOptions", "options"))]
        formula = next((m.get("filterByFormula") for m in places
                        if isinstance(m, _MAPPINGS) and m.get("filterByFormula")), None)
        refs = self.refs(step, formula)
        if refs:
            yield SinkUse("query", "filterByFormula", refs,
                          "builds an Airtable filter formula from an expression (formula "
                          "injection)")

    def _sent_refs(self, step: Step, key: str, value: Any) -> Iterator[ValueRef]:
        """What a parameter sends: an authentication header (``Authorization: Bearer {{ …
        }}``) logs in to the destination itself, it carries no data out of the app."""
        if key != "headerParameters" or not isinstance(value, _MAPPINGS):
            yield from self.all_refs(step, value)
            return
        headers = value.get("parameters")
        for header in headers if isinstance(headers, list) else ():
            if isinstance(header, _MAPPINGS) and not AUTH_HEADER.fullmatch(
                    str(header.get("name") or "").strip()):
                yield from self.all_refs(step, header.get("value"))

    def _answer_sinks(self, step: Step) -> Iterator[SinkUse]:
        """What this step answers a webhook, form or chat caller with: a Respond to Webhook
        node's body when its trigger waits for one, or the step's own output when its trigger
        answers with the last node."""
        _trigger, mode = self.answers.get(step.id, ("", ""))
        if mode == "lastNode":
            yield SinkUse("answer", "responseMode", (ValueRef("step", "*", step.id),),
                          "is where the flow ends: the trigger answers with its output")
        elif mode == "responseNode":
            p = step.params
            how = str(p.get("respondWith") or "firstIncomingItem")
            if how in ("firstIncomingItem", "allIncomingItems", "binary"):
                refs: tuple[ValueRef, ...] = (ValueRef("field", "*", path="the input item"),)
            elif how in ("json", "text"):
                refs = self.refs(step, p.get("responseBody"))
            elif how == "jwt":
                refs = self.refs(step, p.get("payload"))
            else:  # noData, redirect
                refs = ()
            if refs:
                yield SinkUse("answer", "respondWith", refs,
                              f"answers the caller with {_ANSWERS.get(how, 'its body')}")

    def _v(self, step: Step) -> float:
        return self.versions.get(step.id, 1.0)


AUTH_HEADER = re.compile(r"authorization|proxy-authorization|x-api-key|api-key|apikey|"
                         r"x-auth-token|x-access-token", re.I)
# names of headers and query parameters that carry a secret, and secrets pasted into a URL
SECRET_NAME = re.compile(r"auth|token|key|secret|passw|session|cookie|sig", re.I)
SECRET_IN_URL = re.compile(r"[?&][\w-]*(?:key|token|secret|auth|sig|passw)[\w-]*=|"
                           r"\$(?:env|vars|secrets|credentials)\b", re.I)


def _public_host(url: str) -> bool:
    """Is the host of ``url`` on the internet, where a caller reaches it as n8n does (not a
    compose service, a private address, the n8n host's own)?"""
    try:
        host = urlsplit(url.lstrip("= ")).hostname or ""
    except ValueError:
        return False
    return bool(host) and default_zone(host) == "internet"


def _sends_credentials(step: Step) -> bool:
    """Does an HTTP Request carry something of the owner's that logs it in: a credential,
    an authentication mode, a header or query parameter named for a secret, a secret in its
    URL? One that carries none gets nothing a caller could not get by calling the API."""
    p = step.params
    if step.credential_refs or str(p.get("authentication") or "none") != "none" \
            or SECRET_IN_URL.search(str(p.get("url") or "")):
        return True
    for key in ("headerParameters", "queryParameters"):
        given = p.get(key)
        entries = given.get("parameters") if isinstance(given, _MAPPINGS) else None
        if isinstance(entries, list) and any(
                isinstance(e, _MAPPINGS) and SECRET_NAME.search(str(e.get("name") or ""))
                for e in entries):
            return True
    return bool(p.get("sendHeaders") and p.get("specifyHeaders") == "json") \
        or bool(p.get("sendQuery") and p.get("specifyQuery") == "json")
_ANSWERS = {"firstIncomingItem": "the first item it receives",
            "allIncomingItems": "every item it receives", "binary": "the file it receives",
            "json": "a JSON body built from an expression",
            "text": "a text body built from an expression", "jwt": "a signed token's payload"}
# Triggers that can answer their caller with the data of the flow, and their default mode:
# "lastNode" answers with what the node the flow ends at outputs, "responseNode" with what a
# Respond to Webhook node after it says (any other mode answers before the flow runs).
ANSWERING_TRIGGERS = {BASE + "webhook": "onReceived", BASE + "formTrigger": "onReceived",
                      BASE + "wait": "onReceived", LANGCHAIN + "chatTrigger": "lastNode"}


def answering_steps(nodes: Iterable[Mapping[str, Any]], connections: Mapping[str, Any],
                    ids: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Step id of each node whose data a trigger answers its caller with → (the trigger's
    step id, its response mode): in "lastNode" mode the nodes its main wiring ends at (no main
    output wired; sub-nodes such as AI tools are never last), in "responseNode" mode the
    Respond to Webhook nodes after it. ``ids`` maps node names to step ids."""
    main: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for node in nodes:
        types[str(node.get("name"))] = str(node.get("type"))
    for source, kinds in connections.items():
        outputs = kinds.get("main") if isinstance(kinds, dict) else None
        main[source] = [c["node"] for output in outputs or () for c in output or ()
                        if isinstance(c, dict) and c.get("node") in ids]
    out: dict[str, tuple[str, str]] = {}
    for node in nodes:
        default = ANSWERING_TRIGGERS.get(str(node.get("type")))
        params = node.get("parameters") or {}
        options = params.get("options") if isinstance(params.get("options"), dict) else {}
        mode = params.get("responseMode") or options.get("responseMode") or default
        name = node.get("name")
        if default is None or mode not in ("lastNode", "responseNode") or name not in ids \
                or params.get("responseData") == "noData":  # answers with no body
            continue
        seen, queue = {name}, [name]
        for current in queue:  # grows while walked: breadth first
            targets = main.get(current, [])
            if current != name and (  # (a Respond node in lastNode mode fails the run)
                    (mode == "lastNode" and not targets
                     and types.get(current) != BASE + "respondToWebhook")
                    or (mode == "responseNode"
                        and types.get(current) == BASE + "respondToWebhook")):
                out.setdefault(ids[current], (ids[name], mode))
            if current != name and types.get(current) == BASE + "form":
                continue  # a Form page answers the user itself; what runs after it does not
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return out

LOOPS = BASE + "splitInBatches"


def loop_targets(nodes: Iterable[Mapping[str, Any]], connections: Mapping[str, Any],
                 ids: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Step id of each Loop Over Items (Split in Batches) node → the step ids on its loop
    output, which gets batches of the items the node was first given, never the items that
    come back to it (v3: the second output, the first being "done"; v1-2: its one output).
    ``ids`` maps node names to step ids."""
    out: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        name = node.get("name")
        if node.get("type") != LOOPS or name not in ids:
            continue
        version = node.get("typeVersion")
        port = 1 if isinstance(version, (int, float)) and version >= 3 else 0
        outputs = (connections.get(name) or {}).get("main") \
            if isinstance(connections.get(name), dict) else None
        if not isinstance(outputs, list) or len(outputs) <= port:
            continue
        targets = tuple(dict.fromkeys(ids[c["node"]] for c in outputs[port] or ()
                                      if isinstance(c, dict) and c.get("node") in ids))
        if targets:
            out[ids[name]] = targets
    return out


# Operations, by their leading word, that change or send data; anything else (get, getAll,
# search, list, lookup …) only reads.
ACTING_VERBS = re.compile(r"^(?:create|update|delete|upsert|append|insert|remove|clear|send|"
                          r"reply|post|patch|put|move|copy|archive|upload|execute|ban|kick|"
                          r"invite|add|write|publish|forward|share|cancel|book|refund|charge|"
                          r"set|edit|replace|trash|incr)")
# Nodes whose default operation acts (a Gmail node with no operation sends a message).
DEFAULT_ACTS = {BASE + "gmail": "send", BASE + "microsoftOutlook": "send",
                BASE + "emailSend": "send", BASE + "slack": "post",
                BASE + "telegram": "sendMessage", BASE + "discord": "send",
                BASE + "whatsApp": "send"}
# Messaging nodes: sending counts as acting only when an agent decides it (a tool).
CHAT_SENDERS = frozenset({BASE + t for t in ("slack", "telegram", "discord", "whatsApp",
                                             "mattermost", "matrix", "microsoftTeams")})
# Parameter names that pick whom a step reaches or which records it changes (see
# N8nFlow._target_refs): recipients, chats, users; filters, lookups, row and record keys.
TARGET_KEY = re.compile(
    r"^(?:to|cc|bcc|send_?to|to_?(?:email|recipients?|list)|recipients?|recipient\w*|"
    r"chat_?id|user_?id|channel(?:_?id)?|conversation_?id|reply_?token|phone(?:_?number)?|"
    r"filters?|filter_?(?:string|ui|type)|where|conditions|lookup_?(?:column|value)|"
    r"row_?id|record_?id|key_?value)$", re.I)
# Of those, the mail addresses (a mailbox anyone may type in, unlike a chat's sender id the
# messaging platform assigns)
MAIL_TARGET_KEY = re.compile(
    r"^(?:cc|bcc|send_?to|to_?(?:email|recipients?|list)|recipients?|\w*email\w*)$", re.I)
MAIL_ADDRESS_KEYS = ("sendTo", "toEmail", "toRecipients", "recipients")
MESSAGE_FILE_GETS = frozenset({BASE + t for t in ("slack", "telegram", "discord")})
SQL_READ = re.compile(r"^\s*(?:\(\s*)*(?:select|with|show|describe|explain)\b", re.I)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What an agent is told a called workflow does, when it changes or sends something (English,
# Spanish, Portuguese: the languages of the real exports we read).
ACTING_WORDS = re.compile(
    r"\b(?:(?:creat|updat|delet|remov|book|send|post|writ|manag|handl|modif|edit|deploy|fix|"
    r"schedul|cancel|insert|upsert|publish|refund|reserv|crear|criar|enviar|actualiz|atualiz|"
    r"eliminar|exclu|agendar|alterar|borrar|registr)\w*|execute[sd]?|runs?|pays?)\b", re.I)
# Operations that only add a row or entry (a log line, a message buffer, a sheet row): after
# a model they record what it said; as an agent's tool they are still its choice.
ADDING_VERBS = re.compile(r"^(?:append|insert|push|add|write|set|incr|upload|copy)")
SQL_INSERT = re.compile(r"^\s*insert\b", re.I)
# A tool whose own name says it reads (searchProducts, get_orders, "Find customer") or works
# a figure out (calculate_quote, calculer_distance, estimateShipping)
READING_NAME = re.compile(r"^\W*(?i:search|get|find|list|lookup|look up|query|fetch|read|"
                          r"check|retrieve|calculat(?:e|es|ing)|calcul(?:ar|er|e)|comput(?:e|es|ing|ar|er)|"
                          r"estimat(?:e|es|ing)|estim(?:ar|er))(?![a-z])")
# What a model provider node's resource makes when it runs (Gemini's image "edit", OpenAI's
# audio "transcribe"): a new answer, not a change to anything stored (its files and
# assistants resources do change the account's)
MODEL_OUTPUTS = frozenset({"text", "image", "audio", "video", "document"})
LABELLING = re.compile(r"^(?:add|remove)Labels?$|^markAs(?:Un)?[Rr]ead$")


# A database's REST API (PostgREST: Supabase's /rest/v1/<table>): a request there reads or
# writes that table's rows, as a database node does. ``on_conflict`` in the query string, or
# ``Prefer: resolution=merge-duplicates``, makes a POST an upsert.
REST_TABLE = re.compile(r"/rest/v1/([A-Za-z_][\w-]*)/?(?:\?|$)")
REST_UPSERT = re.compile(r"[?&]on_conflict=|resolution=merge-duplicates", re.I)


def _rest_table_write(p: Mapping[str, Any], method: str) -> tuple[str, bool] | None:
    """(what, adding only) of a write to a table through its REST API (:data:`REST_TABLE`),
    None for another request: an update, delete or upsert changes rows a value of the
    request picks; a plain POST adds rows, as an insert does."""
    url = str(p.get("url") or "")
    table = REST_TABLE.search(re.sub(r"\{\{.*?\}\}", "x", url))
    if table is None:
        return None
    name = table.group(1)
    if method == "DELETE":
        return f"deletes rows of {name} through the database's REST API", False
    if method in ("PATCH", "PUT"):
        return f"updates rows of {name} through the database's REST API", False
    if REST_UPSERT.search(url) or REST_UPSERT.search(json_text(dict(p))):
        return f"upserts rows of {name} through the database's REST API", False
    return f"adds rows to {name} through the database's REST API", True


def _action(step: Step, store: DataStore | None) -> tuple[str, bool] | None:
    """(what the step does in a reviewer's words, whether it counts only as an AI tool) when
    ``step`` changes or sends data; None when it only reads. After a model, only steps that
    choose what changes or what leaves count (an update, a delete, a mail sent), not those
    that add a row recording what the model said."""
    t = _base(step.type)
    p = step.params
    if t in (BASE + "executeCommand", BASE + "ssh"):
        return ("runs shell commands" if t.endswith("Command") else "runs remote commands",
                False)
    if t in (BASE + "httpRequest", LANGCHAIN + "toolHttpRequest"):
        method = str(p.get("method") or p.get("requestMethod") or "GET").upper()
        if method in SAFE_METHODS or READING_NAME.match(step.name):
            return None  # a search API called by POST still only reads
        rows = _rest_table_write(p, method)
        if rows is not None:
            return rows
        return f"sends {method} requests", True
    if t == LANGCHAIN + "mcpClientTool":
        return _mcp_action(p)
    if t in (BASE + "executeWorkflow", LANGCHAIN + "toolWorkflow"):
        if _fill_in_workflow(p.get("workflowId")):
            return None  # as exported it calls no workflow: the id is left to fill in
        told = str(p.get("description") or p.get("toolDescription") or "")
        if told.strip() and not ACTING_WORDS.search(told):
            return None  # a workflow the agent is told only looks things up
        return "runs another workflow", True
    if t.removeprefix(BASE) in SQL_NODES:
        op = str(p.get("operation") or ("executeQuery" if t.endswith("microsoftSql") else
                                        "insert"))
        if op == "executeQuery":
            query = str(p.get("query") or "").lstrip("=")
            if SQL_READ.match(query):
                return None
            return "runs SQL that changes data", bool(SQL_INSERT.match(query))
        return (f"runs {op} on the database", bool(ADDING_VERBS.match(op))) \
            if ACTING_VERBS.match(op) else None
    if p.get("resource") == "draft":
        return None  # a draft waits for a person to send it
    if _is_ai(t) and str(p.get("resource") or "text") in MODEL_OUTPUTS:
        return None  # a model asked to write, draw or edit an image makes new output
    op = str(p.get("operation") or DEFAULT_ACTS.get(t) or "")
    if LABELLING.match(op):
        return None  # a label or read mark sorts a mailbox, it changes no one's data
    if op == "sendAndWait":
        return None  # asks a person and waits for the answer: the human approval itself
    if not ACTING_VERBS.match(op) and not (store is not None and store.operation == "write"):
        return None
    name = _short(t)
    return (f"can {op} ({name})" if op else f"writes to {name}",
            t in CHAT_SENDERS or not op or bool(ADDING_VERBS.match(op)))


# An MCP server asked for its read-only tools only (Supabase's ``read_only=true``)
MCP_READ_ONLY = re.compile(r"[?&]read_?only=(?:true|1)(?:&|$)", re.I)


# Where a statement's placeholders would pick rows rather than fill them: from WHERE on
_ROW_PICKING = re.compile(r"\b(?:where|having|join|limit|offset|returning)\b", re.I)
_PLACEHOLDER = re.compile(r"\$\d+")


def _unbound(step: Step) -> Mapping[str, Any]:
    """A step's parameters but the values an SQL node binds as query parameters
    (``options.queryReplacement`` for ``$1``, ``$2``) when its statement takes them only as
    values to store (``SET summary = $1``, ``VALUES ($1, $2)``) or not at all: they become
    the rows' data, never the statement, so they say neither what it does nor which rows it
    touches. A placeholder in a WHERE (or later) picks rows: there the values still count."""
    p = step.params
    options = p.get("options")
    query = p.get("query")
    if _base(step.type).removeprefix(BASE) not in SQL_NODES or not isinstance(query, str) \
            or not isinstance(options, _MAPPINGS) or "queryReplacement" not in options:
        return p
    text = SQL_COMMENT.sub(" ", query)
    picking = _ROW_PICKING.search(text)
    if picking is not None and _PLACEHOLDER.search(text, picking.start()):
        return p
    return {**p, "options": {k: v for k, v in options.items() if k != "queryReplacement"}}


def _mcp_action(p: Mapping[str, Any]) -> tuple[str, bool] | None:
    """An MCP client tool hands the agent the server's tools, every one unless a selection is
    made: it acts unless the server is asked for read-only tools, or each tool selected has a
    name that reads (``list_tables``, ``get_logs``)."""
    url = str(p.get("endpointUrl") or p.get("sseEndpoint") or "")
    if MCP_READ_ONLY.search(url):
        return None
    selected = p.get("includeTools") if p.get("include") == "selected" else None
    if isinstance(selected, list) and selected and \
            all(READING_NAME.match(str(name)) for name in selected):
        return None
    server = url.split("?", 1)[0].lstrip("=") or "its endpoint"
    return f"can call any tool of the MCP server {server}", True


# Fields of a trigger's events that the service itself fills in, not whoever sends the event:
# Twilio gives the sender's and the receiving number of an SMS (E.164 digits, no quotes).
PLATFORM_FILLED = {BASE + "twilioTrigger": ("From", "To", "AccountSid", "MessageSid",
                                            "SmsSid", "NumMedia")}
# Paths of a trigger's item its service fills in whatever the sender wrote: the ids WhatsApp
# (Meta) gives the media a message attaches, digits that name the file on Meta's servers
ASSIGNED_BY_SERVICE = {BASE + "whatsAppTrigger": tuple(
    f"messages[0].{kind}.id" for kind in ("image", "audio", "video", "document", "sticker",
                                          "voice"))}
# What a request's URL may hold and still reach no server the sender picks
PLATFORM_ADDRESSED = frozenset({AS_PLATFORM_FILE_URL})
# The addresses a chat platform gives a file it keeps (Slack's files.info): its own URLs on its
# own file host, whatever the sender uploaded or typed; the file's content stays theirs.
FILE_ADDRESSES = {BASE + "slack": ("url_private", "url_private_download", "permalink",
                                   "permalink_public")}


# What a query computes, by the whole expression a column alias names (``, … AS name``):
# a count, sum or average, a number written out, a column cast to a number, a length; a row's
# id. The expression starts after SELECT or a comma: ``'a' || 1 AS x`` is text.
_SQL_START = r"(?:\bselect(?:\s+distinct)?|,)\s*"
_SQL_ALIAS = re.compile(r"\bas\s+(?:\"(?P<q>[^\"]+)\"|(?P<a>[A-Za-z_]\w*))", re.I)
_SQL_NUMERIC_CALL = re.compile(_SQL_START + r"(?:count|sum|avg|round|floor|ceil|ceiling|abs|"
                               r"length|char_length|octet_length|extract|date_part|row_number|"
                               r"rank|dense_rank|ntile)\s*$", re.I)
_SQL_DEFAULT_CALL = re.compile(_SQL_START + r"(?:coalesce|ifnull)\s*$", re.I)
_SQL_NUMBER = re.compile(_SQL_START + r"-?\d+(?:\.\d+)?\s*$", re.I)
_SQL_NUMERIC_CAST = re.compile(_SQL_START + r"[\w.]+\s*::\s*(?:int\d?|integer|bigint|smallint|"
                               r"numeric|decimal|real|float\d?|double precision)\s*$", re.I)
_SQL_ROW_ID = re.compile(_SQL_START + r"(?:\w+\.)?id\s*$", re.I)
EXPRESSION_REACH = 2000  # how far back an aliased expression is read (a long query stays linear)
_SQL_NUMERIC_LAST = re.compile(r",\s*-?\d+(?:\.\d+)?\s*$")


@lru_cache(maxsize=1024)
def computed_columns(query: str, *, strict: bool) -> Mapping[str, str]:
    """Output columns of a hand-written SELECT that can only hold a number or a row id,
    whatever the table holds: ``COUNT(*) AS total``, ``99 AS followup_count``, ``c.id AS
    contact_id`` (a database's keys are no text, as for Node-RED), and on a ``strict``-typed
    database (PostgreSQL) ``COALESCE(c.count, 0) AS count``. A name some other ``AS`` in the
    query gives text is not one; a column named without ``AS`` is not read."""
    text = query.removeprefix("=")
    found: dict[str, str] = {}
    spoiled: set[str] = set()
    for m in _SQL_ALIAS.finditer(text):
        name = m.group("q") or m.group("a") or ""
        what = _computed(text[max(0, m.start() - EXPRESSION_REACH):m.start()].rstrip(), strict)
        if what is None:
            spoiled.add(name)
        else:
            found.setdefault(name, what)
    out = {n: w for n, w in found.items() if n not in spoiled}
    return MappingProxyType({**out, **{n.lower(): w for n, w in out.items() if strict and
                                       n.lower() not in spoiled}})  # unquoted: lowercased


# A table the app's own SQL creates, ``CREATE TABLE [IF NOT EXISTS] name (col type …, …)``,
# and the column types that hold no text: numbers, booleans, times, uuids
_CREATE_TABLE = re.compile(r"\bcreate\s+(?:temp(?:orary)?\s+)?table\s+(?:if\s+not\s+exists\s+)?"
                           r"([\w.\"`\[\]]+)\s*\(", re.I)
_COLUMN = re.compile(r"\s*[\"`\[]?(\w+)[\"`\]]?\s+(\w+(?:\s+precision)?)", re.I)
_TYPED = re.compile(r"(?:tiny|small|medium|big)?int\d?|integer|(?:small|big)?serial\d?|numeric|"
                    r"decimal|real|double\s+precision|float\d?|bool(?:ean)?|date|datetime|"
                    r"time(?:stamp)?(?:tz)?|uuid", re.I)
SQL_CONSTRAINTS = frozenset({"primary", "foreign", "constraint", "unique", "check", "key",
                             "index", "exclude"})
SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def table_key(name: str) -> str:
    """A table's name as the app's statements share it: no quotes, no schema, lower case."""
    return re.sub(r"[\"`\[\]]", "", name).rsplit(".", 1)[-1].lower()


@lru_cache(maxsize=256)
def declared_columns(query: str) -> tuple[tuple[str, str, bool], ...]:
    """(table, column, typed) for each column a ``CREATE TABLE`` of ``query`` declares:
    ``typed`` when its type holds no text (:data:`_TYPED`); constraints are no columns."""
    text = SQL_COMMENT.sub(" ", query.removeprefix("="))
    out: list[tuple[str, str, bool]] = []
    for m in _CREATE_TABLE.finditer(text):
        depth, start, parts = 1, m.end(), []
        for i in range(m.end(), len(text)):
            c = text[i]
            depth += {"(": 1, ")": -1}.get(c, 0)
            if depth == 0 or (depth == 1 and c == ","):
                parts.append(text[start:i])
                start = i + 1
            if depth == 0:
                break
        for part in parts:
            column = _COLUMN.match(part)
            if column and column.group(1).lower() not in SQL_CONSTRAINTS:
                out.append((table_key(m.group(1)), column.group(1).lower(),
                            _TYPED.fullmatch(column.group(2)) is not None))
    return tuple(out)


def _computed(before: str, strict: bool) -> str | None:
    """What the expression ending at ``before`` computes, when it is a number or a row id."""
    if _SQL_NUMBER.search(before) or _SQL_NUMERIC_CAST.search(before):
        return "a number the query computes"
    if _SQL_ROW_ID.search(before):
        return "a key column of rows read from a database"
    if not before.endswith(")"):
        return None
    depth, i = 0, len(before) - 1
    while i >= 0:  # back to the call's opening parenthesis
        depth += {")": 1, "(": -1}.get(before[i], 0)
        if depth == 0:
            break
        i -= 1
    head = before[:i]
    if _SQL_NUMERIC_CALL.search(head) or (strict and _SQL_DEFAULT_CALL.search(head)
                                          and _SQL_NUMERIC_LAST.search(before[i:-1])):
        return "a number the query computes"
    return None


def _platform_filled(step: Step) -> Iterator[FieldWrite]:
    """The fields of a step's fresh output that its service fills in itself (a trigger's
    account and message ids)."""
    for name in PLATFORM_FILLED.get(step.type, ()):
        yield FieldWrite(name, (ValueRef("platform", f"{name} as {_short(step.type)} fills "
                                         "it in"),))


def _file_addresses(step: Step, fetched: tuple[ValueRef, ...]) -> Iterator[FieldWrite]:
    """A chat platform's own addresses of a file it keeps: what picked the file, placed
    :data:`AS_PLATFORM_FILE_URL` (a request to one reaches the platform; its content is the
    uploader's, so the origin stays)."""
    if not _gets_message_file(step):
        return
    placed = tuple(replace(r, within=AS_PLATFORM_FILE_URL) for r in fetched) \
        or (ValueRef("platform", f"a file address {_short(step.type)} gives"),)
    for name in FILE_ADDRESSES.get(_base(step.type), ()):
        yield FieldWrite(name, placed)


def _gets_message_file(step: Step) -> bool:
    """Does a chat node get (or download) a file a message attached?"""
    p = step.params
    return _base(step.type) in MESSAGE_FILE_GETS and p.get("resource") == "file" \
        and str(p.get("operation") or "get") in ("get", "download")


def binary_file_name(prop: str) -> str:
    """The message field that stands for the name of the file attached under ``prop``."""
    return f"$binary.{prop}.fileName"


def _split_out_writes(step: Step) -> Iterator[FieldWrite]:
    """Split Out makes an item of each element of a list field: every field of the new items
    comes from that list (a Slack message's ``files`` become items with an ``id`` each)."""
    names = str(step.params.get("fieldToSplitOut") or "")
    fields_ = [_top("." + n.strip().removeprefix("$json.")) for n in names.split(",")
               if n.strip() and "{{" not in n]
    if fields_:
        yield FieldWrite("*", tuple(ValueRef("field", f, path=f"$json.{f}") for f in fields_),
                         strong=False)


def _attaches_files(step: Step) -> bool:
    """Does a Gmail or Outlook message attach the files of the item it is given?"""
    options = step.params.get("options") or step.params.get("additionalFields")
    return _base(step.type) in (BASE + "gmail", BASE + "microsoftOutlook") and \
        isinstance(options, _MAPPINGS) and bool(options.get("attachmentsUi")
                                                 or options.get("attachments"))


def _named_picks(value: Any) -> Iterator[Any]:
    """The left values of the conditions (If v2, Switch v3 rules) that compare a value
    with a fixed, non-empty word: ``{{ $json.action }}`` equals ``send_invoice``."""
    if isinstance(value, list):
        for item in value:
            yield from _named_picks(item)
        return
    if not isinstance(value, _MAPPINGS):
        return
    operator = value.get("operator")
    right = value.get("rightValue")
    if isinstance(operator, _MAPPINGS) and operator.get("operation") == "equals" and \
            isinstance(right, str) and right.strip() and not right.startswith("="):
        yield value.get("leftValue")
    for item in value.values():
        if isinstance(item, (list, *_MAPPINGS)):
            yield from _named_picks(item)


def _is_tool(node_type: str) -> bool:
    """An AI agent's tool: the agent calls it with what it decided."""
    return (node_type.startswith(BASE) and node_type.endswith("Tool")) or \
        node_type.startswith(LANGCHAIN + "tool") or node_type == LANGCHAIN + "mcpClientTool"


def _set_input_kept(step: Step, version: float) -> str:
    """Which of its input a Set node passes on: ``all``, ``none`` or ``selected`` (only the
    fields 'Fields to Include' lists). v3.0-3.2 ask 'Include in Output' (``include``, default
    all input fields); v3.3+ keep none unless 'Include Other Input Fields' is on, then ask
    ``include`` (default all); v1-2 keep all unless 'Keep Only Set'. 'All input fields
    except' is counted as all: the fields it drops are named by hand and may be any."""
    p = step.params
    if version < 3:
        return "none" if p.get("keepOnlySet") else "all"
    options = p.get("options") if isinstance(p.get("options"), dict) else {}
    if version >= 3.3 and not (p.get("includeOtherFields") or options.get("includeOtherFields")):
        return "none"
    include = p.get("include") or "all"
    return include if include in ("none", "selected") else "all"


def _fields_included(step: Step) -> list[str]:
    """The top-level fields a Set node's 'Fields to Include' (comma-separated) names."""
    listed = step.params.get("includeFields")
    names = listed.split(",") if isinstance(listed, str) else ()
    return list(dict.fromkeys(_top("." + n.strip()) for n in names if n.strip()))


@lru_cache(maxsize=8192)
def _top(path: str) -> str:
    """The top-level key of ``.a.b`` / ``["a"].b``; "*" for the whole item."""
    m = _TOP.match(path)
    return (m.group(1) or m.group(2)) if m else "*"


_TOP = re.compile(r"\s*(?:\.([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"\]]+)['\"]\s*\])")


@lru_cache(maxsize=4096)
def _base(node_type: str) -> str:
    """The base node of an AI-tool twin (``postgresTool`` → ``postgres``)."""
    return node_type.removesuffix("Tool") if node_type.startswith(BASE) else node_type


# Downloads that hand on the item they were given, the file added as binary data (n8n's
# Google Drive download copies its input's json into the item it returns)
KEEPS_ITEM = {BASE + "googleDrive": frozenset({"download"})}


def _maps_columns(step: Step) -> bool:
    """Does ``step`` write a row whose columns its parameters map one by one ('Map Each
    Column Manually': ``columns.mappingMode`` or ``dataToSend`` is ``defineBelow``)? It
    stores those values only, not the item it is given (a model's answer that merely passed
    through on the way to a sheet append is not in the sheet)."""
    p = step.params
    columns = p.get("columns")
    mode = columns.get("mappingMode") if isinstance(columns, _MAPPINGS) else None
    return mode == "defineBelow" or p.get("dataToSend") == "defineBelow"


def _keeps_item(step: Step) -> bool:
    return str(step.params.get("operation") or "") in KEEPS_ITEM.get(step.type, ())


@lru_cache(maxsize=4096)
def _is_ai(node_type: str) -> bool:
    return AI_PRODUCERS.match(node_type) is not None


def _short(node_type: str) -> str:
    return node_type.rsplit(".", 1)[-1]


def _fill_in_workflow(workflow_id: object) -> bool:
    """Is a workflow call's id a fill-in left for the user (``PASTE_YOUR_WORKFLOW_ID_HERE``,
    ``YOUR_LOOKUP_WORKFLOW_ID``), as a secret's placeholder is? Such a call runs nothing as
    exported: n8n finds no workflow by that id."""
    value = workflow_id.get("value") if isinstance(workflow_id, Mapping) else workflow_id
    if not isinstance(value, str) or not value.strip() or "{{" in value:
        return False
    text = value.strip().lstrip("=")
    return placeholder(Candidate(text, value))
