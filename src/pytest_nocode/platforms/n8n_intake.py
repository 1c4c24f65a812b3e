"""Intake: what an n8n step does with a submission when it only takes it in.

A public form is public by design (a newsletter sign-up, a survey, a job application); the
question is what it lets a stranger do. A step *takes in* a submission when it

* **records** it as a new record: an append or insert into a sheet, table or database, a
  new row of a no-code base or CRM, the submitted file uploaded to the owner's drive (not an
  update, upsert or delete: those change a record the submitter picks by what they type);
* **notifies the owner**: a mail to an address written in the step, a chat message to a
  channel or chat written in the step;
* **confirms to the submitter**: a mail to the address the submission gives whose subject
  and text are fixed or the submitter's own answers, with no attachment (nothing the app
  keeps, no model's answer, no file goes to an address a stranger types);
* **asks a model about it** (a chain, classifier or extractor, a model sub-node, an output
  parser: no agent, which may call tools), the answer kept or sent to the owner only (a step
  that answers the caller with it is judged by :mod:`.n8n_entries` and acts);

and none of its parameters is run, queried, opened or fetched (a command, code, SQL, a
template, a file path, a URL from the data).

Everything else is more: code, commands, requests to services, reads of stored data, posts
as the account, updates and deletes. A collection's stand-in (a No Operation node whose note
names the node it replaced, "This chainLlm node performs automated tasks…") is judged as the
node it names, with the parameters it kept.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pytest_nocode.dataflow import FETCH_SINKS, INJECTION_SINKS
from pytest_nocode.model import Step, StepFlow, ValueRef

RECORD, NOTIFY, CONFIRM, MODEL = "record", "notify", "confirm", "model"
# what takes the submission in somewhere (an intake's flow keeps or sends on one of these)
TAKES_IN = frozenset({RECORD, NOTIFY, CONFIRM})

# short node type → the operations that add a new record (n8n's own operation names)
RECORD_CREATES: Mapping[str, frozenset[str]] = {
    "googleSheets": frozenset({"append"}),
    "airtable": frozenset({"append", "create"}),
    "notion": frozenset({"create"}),
    "baserow": frozenset({"create"}),
    "nocoDb": frozenset({"create"}),
    "supabase": frozenset({"create"}),
    "dataTable": frozenset({"insert"}),
    "postgres": frozenset({"insert"}),
    "mySql": frozenset({"insert"}),
    "microsoftSql": frozenset({"insert"}),
    "mongoDb": frozenset({"insert"}),
    "googleDrive": frozenset({"upload"}),
}
# mail nodes → the parameter naming the recipients (default operation send)
MAIL_TO: Mapping[str, str] = {"emailSend": "toEmail", "gmail": "sendTo",
                              "microsoftOutlook": "toRecipients"}
MAIL_TEXT = ("subject", "message", "text", "html", "bodyContent", "emailFormat")
# chat nodes → the parameters naming where a message goes
CHAT_TO: Mapping[str, tuple[str, ...]] = {
    "slack": ("channelId", "channel", "user"), "telegram": ("chatId",),
    "discord": ("channelId",), "microsoftTeams": ("channelId", "chatId"),
    "mattermost": ("channelId",), "googleChat": ("spaceId",)}
_POSTING_OPS = frozenset({"", "post", "send", "sendMessage", "create"})
_MODELS = re.compile(r"^(?:chain\w*|openAi|lmChat\w*|lmOpenAi|lmOllama|informationExtractor|"
                     r"textClassifier|sentimentAnalysis|anthropic|googleGemini|mistralAi|"
                     r"outputParser\w*)$")
# a collection's note on the No Operation node it put in place of another
STAND_IN_NOTE = re.compile(r"^This (\w+) node performs automated tasks")
# what a step must not do with what it is given, to take it in
_RUNS = INJECTION_SINKS | FETCH_SINKS


def short_type(step: Step, stand_ins: Mapping[str, str]) -> str:
    """The node type without its package (``googleSheets``), or the one a stand-in names."""
    return stand_ins.get(step.id) or step.type.rsplit(".", 1)[-1]


def intake_role(step: Step, described: StepFlow, stand_ins: Mapping[str, str],
                submitted: Callable[[ValueRef], bool]) -> tuple[str, str]:
    """(role, reason) when ``step`` only takes a submission in, else ("", "").
    ``submitted`` says whether a value read is the submitter's own (the form's answers)."""
    kind = short_type(step, stand_ins).removesuffix("Tool")
    p = step.params
    named = f"step {step.name!r} ({kind})"
    if described.authored_code or any(s.kind in _RUNS for s in described.sinks):
        return "", ""
    if kind in RECORD_CREATES and _text(p.get("operation")) in RECORD_CREATES[kind]:
        return RECORD, f"{named} adds what is submitted as a new record"
    if kind in MAIL_TO and _text(p.get("resource") or "message") == "message" \
            and _text(p.get("operation")) in ("", "send"):
        if _fixed(p.get(MAIL_TO[kind])):
            return NOTIFY, f"{named} mails the owner at a fixed address"
        options = p.get("options")
        attached = p.get("attachments") or (isinstance(options, Mapping) and (
            options.get("attachmentsUi") or options.get("attachments")))
        sent = [r for s in described.sinks for r in s.reads]
        if not attached and all(submitted(r) for r in sent):
            return CONFIRM, (f"{named} confirms to the address submitted, with fixed text "
                             "and the submitter's own answers")
        return "", ""
    if kind in CHAT_TO and _text(p.get("resource") or "message") == "message" \
            and _text(p.get("operation")) in _POSTING_OPS:
        targets = [p.get(k) for k in CHAT_TO[kind] if p.get(k) not in (None, "", {})]
        if targets and all(_fixed(t) for t in targets):
            return NOTIFY, f"{named} tells the owner in a fixed channel"
        return "", ""
    if _MODELS.match(kind):
        return MODEL, f"{named} asks a model about what is submitted"
    return "", ""


def is_model_type(step: Step, stand_ins: Mapping[str, str]) -> bool:
    """Is ``step`` a model's (a chain, extractor, classifier, model call, output parser, or
    an agent): what comes out of it is the model's answer?"""
    kind = short_type(step, stand_ins).removesuffix("Tool")
    return bool(_MODELS.match(kind)) or kind == "agent"


def _fixed(value: Any) -> bool:
    """Is a recipient written in the step (not computed at run time)?"""
    if isinstance(value, Mapping):  # a resource locator: {"__rl": true, "value": "C0123"}
        value = value.get("value")
    text = _text(value)
    return bool(text) and not text.startswith("=") and "{{" not in text


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
