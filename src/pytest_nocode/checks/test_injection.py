"""Injection: can data from outside reach a command, code, query or template unescaped?"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import step_context, untrusted_sources
from pytest_nocode.model import Step, path_to

EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
SQL_TYPES = ("n8n-nodes-base.postgres", "n8n-nodes-base.mySql", "n8n-nodes-base.microsoftSql",
             "n8n-nodes-base.oracleDb", "n8n-nodes-base.snowflake", "n8n-nodes-base.questDb",
             "n8n-nodes-base.crateDb", "n8n-nodes-base.timescaleDb")
NODE_RED_SQL = ("mysql", "postgresql", "MSSQL", "sqlite", "sqlitedb", "oracledb")


# RegExp.prototype.exec runs no process: `/re/.exec(`, `new RegExp(…).exec(` and `re.exec(`
# (re assigned a regular expression) are dropped before looking for code execution.
_REGEX_EXEC = re.compile(r"(?:/[dgimsuvy]*|\bRegExp\s*\([^()]*\))\s*\.exec\s*\(")
_REGEX_NAME = re.compile(r"\b([A-Za-z_$][\w$]*)\s*=\s*(?:/(?![/*])|new\s+RegExp\b)")


def _without_regex_exec(code: str) -> str:
    code = _REGEX_EXEC.sub("(", code)
    names = sorted(set(_REGEX_NAME.findall(code)))
    if names:
        code = re.sub(rf"(?<![\w$.])(?:{'|'.join(map(re.escape, names))})\s*\.exec\s*\(", "(",
                      code)
    return code


def _n8n_expression(value: object) -> bool:
    return isinstance(value, str) and value.startswith("=") and bool(EXPRESSION.search(value))


def sink_reason(step: Step) -> str | None:
    """Why this step would execute or render its input, or None if it does not."""
    p = step.params
    t = step.type.removesuffix("Tool")  # n8n AI-tool twins share their base node's parameters
    if t == "exec":
        if p.get("addpay") not in (None, "", False):
            return f"appends msg.{p.get('addpay') or 'payload'} to the shell command"
        if not str(p.get("command", "")).strip():
            return "takes its whole command from the message"
    elif t == "template":
        text = str(p.get("template", ""))
        if str(p.get("syntax", "mustache")) == "mustache" and "{{{" in text:
            return "renders message data unescaped ({{{ … }}})"
    elif t in NODE_RED_SQL:
        return "runs the SQL query it receives in the message"
    elif t == "function":
        code = _without_regex_exec(str(p.get("func", "")))
        if re.search(r"\beval\s*\(|new\s+Function\s*\(|child_process|\.exec(Sync)?\s*\(", code):
            return "evaluates or executes message data in code"
    elif t == "n8n-nodes-base.executeCommand" and _n8n_expression(p.get("command")):
        return "builds a shell command from an expression"
    elif t == "n8n-nodes-base.ssh" and _n8n_expression(p.get("command")):
        return "builds a remote shell command from an expression"
    elif t in SQL_TYPES and p.get("operation") == "executeQuery" and _n8n_expression(
            p.get("query")):
        return "builds SQL by interpolating an expression (not query parameters)"
    elif t in ("n8n-nodes-base.code", "n8n-nodes-base.function"):
        code = _without_regex_exec(
            str(p.get("jsCode") or p.get("functionCode") or p.get("pythonCode") or ""))
        if re.search(r"\beval\s*\(|new\s+Function\s*\(|child_process|\bexec\s*\(", code):
            return "evaluates or executes input data in code"
    return None


def _sinks(app: App) -> Iterator[tuple[Step, str]]:
    for step in app.steps:
        if step.disabled or step.is_config:
            continue
        reason = sink_reason(step)
        if reason:
            yield step, reason


@check(
    "INJ001",
    title="Untrusted input reaches a command, code, query or template",
    category="injection",
    severity="critical",
    owasp=["LCNC-SEC-06"],
    rationale="""Data from a webhook, HTTP route, socket or subscription flows unchanged into a
    step that executes or renders it: a caller can run commands, SQL or script of their own.""",
    remediation="""Never build commands, SQL or markup from input: use fixed commands with
    validated arguments, parameterized queries (n8n 'Query Parameters'), escaped templates
    ({{ }}), and validate input in a switch/function node first.""",
    requires=("workflows",),
)
def test_untrusted_input_does_not_reach_sinks(nocode_app: App,
                                              nocode_findings: FindingCollector) -> None:
    sources = untrusted_sources(nocode_app)
    parents = nocode_app.paths_from(sources)
    for sink, reason in _sinks(nocode_app):
        if sink.id not in parents:
            continue
        route = path_to(parents, sink.id)
        origin = sources.get(route[0], "outside")
        names = [nocode_app.resource_of(s).name for s in route]
        nocode_findings.add(sink, f"input from {origin} reaches {sink.type} which {reason}",
                            {"source": origin, "route": route, "route_names": names,
                             "sink_type": sink.type, **step_context(nocode_app, sink)})


@check(
    "INJ002",
    title="Command, code or query built from data of unknown origin",
    category="injection",
    severity="medium",
    owasp=["LCNC-SEC-06"],
    rationale="""A step that executes or renders message data is one upstream change away from
    an injection, even when no entry point reaches it today.""",
    remediation="Use fixed commands, parameterized queries and escaped templates everywhere.",
    requires=("workflows",),
)
def test_sinks_do_not_interpolate_data(nocode_app: App,
                                       nocode_findings: FindingCollector) -> None:
    reached = nocode_app.paths_from(untrusted_sources(nocode_app))
    for sink, reason in _sinks(nocode_app):
        if sink.id not in reached:
            nocode_findings.add(sink, f"{sink.type} {reason}",
                                {"sink_type": sink.type, **step_context(nocode_app, sink)})
