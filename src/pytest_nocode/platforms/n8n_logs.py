"""Secrets an n8n Code node prints: ``console.log`` of an environment value named as a
secret (``$env.PAGE_ACCESS_TOKEN``), of a credential (``$credentials…``, ``$secrets…``), or
of a variable set from one. n8n writes a Code node's console output to the server's log
(and to the browser of whoever runs the workflow in the editor), where everyone who reads
the logs sees the secret the credential store or the environment kept out of the export.

Only the names are reported, never a value: the code holds none (it reads them at run time).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from pytest_nocode.model import Step
from pytest_nocode.platforms.jsparse import captures, code_root, string_value, text
from pytest_nocode.platforms.n8n_flow import CODE_NODES, LANGCHAIN
from pytest_nocode.secretscan.names import is_secret_name, words_of

CODE_FIELDS = ("jsCode", "functionCode", "code")
_CONSOLE_METHODS = ("log", "info", "warn", "error", "debug", "trace", "dir", "table")
_LOGS = f"""
(call_expression
  function: (member_expression object: (identifier) @console
                               property: (property_identifier) @method)
  arguments: (arguments) @args
  (#eq? @console "console")
  (#any-of? @method {" ".join(f'"{m}"' for m in _CONSOLE_METHODS)}))
"""
_DECLARED = "(variable_declarator name: (identifier) @name value: (_) @value) @declarator"
# last words of an environment variable's name that say it holds the secret itself (the
# scanner's name rules also count "page" as a pagination word: FACEBOOK_PAGE_ACCESS_TOKEN)
_SECRET_ENDINGS = frozenset({"token", "secret", "password", "passwd", "apikey", "pat"})
# roots whose every property is a secret, whatever its name
_SECRET_ROOTS = frozenset({"$credentials", "$secrets"})


@dataclass(frozen=True, slots=True)
class LoggedSecret:
    field: str  # the step parameter holding the code (jsCode)
    line: int  # 1-based, in that code
    secret: str  # what is printed, by name: "$env.PAGE_TOKEN", or "accessToken ($env.X)"


def logged_secrets(step: Step) -> list[LoggedSecret]:
    """Each console call of the step's code that prints a secret (by name)."""
    if step.type not in CODE_NODES and step.type != LANGCHAIN + "code":
        return []
    found: list[LoggedSecret] = []
    for field in CODE_FIELDS:
        code = step.params.get(field)
        if isinstance(code, str) and "console." in code:
            found.extend(_in_code(field, code))
    return found


def _in_code(field: str, code: str) -> Iterator[LoggedSecret]:
    root = code_root(code)
    first_line = root.start_point[0] + 1  # the wrapper the parse adds is one line
    held: dict[str, str] = {}  # variable → the secret it was set from
    for declarator in sorted(captures(_DECLARED, root).get("declarator", ()),
                             key=lambda n: n.start_byte):
        name, value = declarator.child_by_field_name("name"), \
            declarator.child_by_field_name("value")
        if name is not None and value is not None:
            secret = _secret_in(value, held)
            if secret:
                held[text(name)] = secret
    for args in captures(_LOGS, root).get("args", ()):
        secret = _secret_in(args, held)
        if secret:
            yield LoggedSecret(field, args.start_point[0] - first_line + 1, secret)


# calls that hand on the text they are given (or the value they are called on)
_KEEPING_METHODS = frozenset({"trim", "trimStart", "trimEnd", "toString", "toLowerCase",
                              "toUpperCase", "slice", "substring", "substr", "padStart",
                              "padEnd", "replace", "replaceAll", "concat", "normalize"})
_KEEPING_CALLS = frozenset({"String", "JSON.stringify", "encodeURIComponent", "encodeURI",
                            "btoa"})
_UNWRAP = frozenset({"parenthesized_expression", "await_expression", "spread_element",
                     "template_substitution", "arguments", "array", "sequence_expression"})


def _secret_in(node: tree_sitter.Node, held: dict[str, str]) -> str:
    """The secret ``node``'s value carries, by name ("" when none): the read itself, a
    variable set from one, or a text, list or object made with one. A call's result other
    than a text method's (a response fetched with the token) does not carry it."""
    t = node.type
    if t == "identifier" or t == "shorthand_property_identifier":
        name = text(node)
        return f"{name} ({held[name]})" if name in held else ""
    if t in ("member_expression", "subscript_expression"):
        return _secret_read(node)
    if t == "call_expression":
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if function is None:
            return ""
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            obj = function.child_by_field_name("object")
            if prop is not None and obj is not None and text(prop) in _KEEPING_METHODS:
                return _secret_in(obj, held) or (_secret_in(args, held) if args else "")
        if text(function) in _KEEPING_CALLS and args is not None:
            return _secret_in(args, held)
        return ""
    joins = t == "binary_expression" and any(c.type == "+" for c in node.children)
    if t == "template_string" or t in _UNWRAP or joins:
        children = node.named_children
    elif t == "ternary_expression":
        children = [c for c in (node.child_by_field_name("consequence"),
                                node.child_by_field_name("alternative")) if c is not None]
    elif t == "object":
        children = [c.child_by_field_name("value") or c for c in node.named_children]
    else:
        return ""
    for child in children:
        if child is not None:
            found = _secret_in(child, held)
            if found:
                return found
    return ""


def _secret_read(node: tree_sitter.Node) -> str:
    """``$env.NAME`` / ``$env["NAME"]`` with a secret's name, or any read of a credential."""
    obj = node.child_by_field_name("object")
    if obj is None or obj.type != "identifier":
        return ""
    root = text(obj)
    if root in _SECRET_ROOTS:
        return text(node)
    if root != "$env":
        return ""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        name = text(prop) if prop is not None else ""
    else:
        index = node.child_by_field_name("index")
        name = (string_value(index) or "") if index is not None else ""
    return f"$env.{name}" if name and _secret_env_name(name) else ""


def _secret_env_name(name: str) -> bool:
    words = words_of(name)
    return is_secret_name(name) or (bool(words) and (
        words[-1] in _SECRET_ENDINGS or words[-2:] in (["api", "key"], ["secret", "key"])))
