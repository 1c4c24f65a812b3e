"""What a Node-RED JSONata expression reads: the message properties, context keys and
environment variables it names (for :mod:`pytest_nocode.platforms.nodered_flow`).

Node-RED evaluates a change, inject or file node's JSONata against the message, so a path
``device.name`` reads ``msg.device`` and nothing else; ``$merge([device, payload[0]])`` mixes
two properties, not every one the message carries. The expression is parsed with
jsonata-python, the language's own grammar, not with patterns. Whatever this module cannot
place reads the whole message (fail closed): the context itself (``$``, ``$$``), wildcards,
parent steps, ``$eval``, a context key named at run time, an expression that does not parse.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pytest_nocode.model import ValueRef

WHOLE_MESSAGE = ValueRef("field", "*", path="a JSONata expression")
# An expression that names no message property, context key or environment variable
# (``$now()``, ``$moment().format('YYYY-MM-DD')``, ``"on"``): what it computes is the platform's.
NOTHING_READ = ValueRef("platform", "a JSONata expression of no message value")
# Node-RED's JSONata functions that read a context key or an environment variable by name.
CONTEXT_FUNCTIONS = {"flowContext": "flow context", "globalContext": "global context"}
# Node types of the parsed tree that stand for the whole input, or a part of it this module
# does not follow: the whole message is read.
WHOLE_INPUT_TYPES = frozenset({"wildcard", "descendant", "parent"})
# Children of a tree node, as jsonata-python names them.
CHILDREN = ("steps", "stages", "predicate", "group", "lhs", "rhs", "lhs_object", "rhs_object",
            "expression", "expressions", "expr", "procedure", "arguments", "body",
            "condition", "then", "_else", "terms", "update", "delete", "pattern")


@lru_cache(maxsize=4096)
def jsonata_refs(expression: str) -> tuple[ValueRef, ...]:
    """The values ``expression`` reads, in the order it names them."""
    # imported on the first expression: most runs have none, and the library takes about
    # a tenth of a second to import
    from jsonata import Jsonata

    try:
        tree = Jsonata(expression).ast
    except Exception:  # the library's own errors, and any recursion on odd input
        return (WHOLE_MESSAGE,)
    found: dict[ValueRef, None] = {}
    _read(tree, found)
    return tuple(found) or (NOTHING_READ,)


def _read(node: Any, found: dict[ValueRef, None]) -> None:
    if isinstance(node, list):
        for item in node:
            _read(item, found)
        return
    kind = getattr(node, "type", None)
    if not hasattr(node, "position"):
        return  # a value (a number, a regex), not a tree node
    if kind in WHOLE_INPUT_TYPES or getattr(node, "ancestor", None) is not None \
            or getattr(node, "seeking_parent", None):
        found[WHOLE_MESSAGE] = None
    if kind == "path":
        _path(node, found)
    elif kind == "name":  # a bare property of the message
        found[_field(node.value)] = None
    elif kind == "variable":
        if node.value in ("", "$"):  # the context or the root: the whole message
            found[WHOLE_MESSAGE] = None
    elif kind == "function":
        _call(node, found)
    else:
        _children(node, found)


def _path(node: Any, found: dict[ValueRef, None]) -> None:
    """``payload.sensors[0].id``: its first step names the property; later name steps are
    inside it. Predicates, stages and computed steps may name others (read as properties of
    the message too, more than they read: fail closed)."""
    steps = node.steps or []
    first, rest = (steps[0], steps[1:]) if steps else (None, [])
    if first is not None and first.type == "variable" and first.value in ("", "$") and rest \
            and rest[0].type == "name":  # $.payload, $$.payload
        first, rest = rest[0], rest[1:]
    if first is not None:
        if first.type == "name":
            found[_field(first.value)] = None
        else:
            _read(first, found)
        _read(getattr(first, "stages", None) or [], found)
    for step in rest:
        if step.type == "name":
            _read(getattr(step, "stages", None) or [], found)
        else:
            _read(step, found)
    _read(getattr(node, "group", None) or [], found)


def _call(node: Any, found: dict[ValueRef, None]) -> None:
    """``$flowContext('k')`` and ``$globalContext('k')`` read that key, ``$env('X')`` that
    variable; named at run time, the key is unknown. ``$eval`` may read anything."""
    procedure, arguments = node.procedure, node.arguments or []
    name = procedure.value if getattr(procedure, "type", None) == "variable" else None
    literal = arguments[0].value if arguments and arguments[0].type == "string" else None
    if name in CONTEXT_FUNCTIONS:
        found[ValueRef("store", f"{CONTEXT_FUNCTIONS[name]} {literal}") if literal is not None
              else ValueRef("unknown", "a context key named at run time")] = None
    elif name == "env":
        found[ValueRef("env", literal) if literal is not None
              else ValueRef("unknown", "an environment variable named at run time")] = None
    elif name == "eval":
        found[WHOLE_MESSAGE] = None
    if name is None and getattr(procedure, "type", None) != "path":
        _read(procedure, found)  # a lambda called in place; a path is a method's name
    _read(arguments, found)


def _children(node: Any, found: dict[ValueRef, None]) -> None:
    for attribute in CHILDREN:
        child = getattr(node, attribute, None)
        if child is not None and child is not node:
            _read(child, found)


def _field(name: Any) -> ValueRef:
    text = name if isinstance(name, str) else str(name)
    return ValueRef("field", text, path=f"msg.{text}")
