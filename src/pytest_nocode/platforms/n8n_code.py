"""What an n8n Code node returns, field by field, when its JavaScript says so plainly.

The engine treats code as ``mix``: any input may reach any output field. Real workflows build
SQL in a Code node and run it in the next one (``={{ $json.query }}``), quoting every outside
value with a helper that doubles single quotes, cutting phone numbers to digits, or picking a
name from a constant map. This module reads the code (parsed by
:mod:`pytest_nocode.platforms.jsparse`) and, for each field of the items it returns, says
whether its value is *neutralised* (fixed text, numbers, digits, and values escaped inside SQL
quotes only) or a plain copy of named input fields (``sign: $json.sign.trim()``). Anything it
cannot read stays ``mix``: a helper that escapes nothing, a value put into SQL unquoted after
quote-escaping, a call it does not know, code that does not parse.

Variables are read in the code's order; an assignment in a block (a branch, a loop, a
callback) may not run, so it only adds to what the name held. A returned value is read both
where it is returned and at the code's end (a loop may come round again).

Quote doubling is the SQL standard (PostgreSQL, SQL Server, SQLite); MySQL also reads
backslash escapes, so there a doubled quote alone is not enough: the caveat is the reader's.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import tree_sitter

from pytest_nocode.platforms.jsparse import (
    CONSTANT_NAMES,
    FUNCTIONS,
    LITERALS,
    NUMERIC_CALLS,
    NUMERIC_METHODS,
    NUMERIC_OPERATORS,
    NUMERIC_PROPERTIES,
    NUMERIC_UNARY,
    captures,
    escapes_quotes,
    function_body,
    function_params,
    keeps_digits_only,
    keeps_word_characters_only,
    member_root,
    operator,
    own_returns,
    pattern_names,
    string_text,
    text,
)

TEXT, QUOTED, RAW = 0, 1, 2  # safe anywhere; safe inside '…' only; carries its reads as they are
Node = tree_sitter.Node


@dataclass(frozen=True)
class Value:
    """How safe a JavaScript value is as SQL text, and which input expressions it carries
    (``None``: anything the code sees)."""

    level: int
    reads: frozenset[str] | None = frozenset()
    # an object or array built of other values: ``reads`` name its parts' sources whole, so a
    # part of it (``obj.key``) carries them all, not a path beneath them
    composite: bool = False


FIXED = Value(TEXT)
OPAQUE = Value(RAW, None)
# The item, another node's output or its items, as written in code: read as one input
# expression (the text the flow adapter resolves to an origin).
_ITEM_OF = r"\.(?:(?:first|last)\(\s*\)|item)"
INPUT_BASE = re.compile(
    r"\$json|\$input" + _ITEM_OF + r"(?:\.json)?|\$input\.all\(\s*\)|"
    r"\$\(\s*(['\"`])(?:(?!\1).)+\1\s*\)(?:" + _ITEM_OF + r"(?:\.json)?|\.all\(\s*\))|"
    r"\$node\[\s*(['\"])(?:(?!\2).)+\2\s*\](?:\.json)?", re.S)
LEGACY_ITEMS = "$input.all()"  # what `items` is in code written for the Function node
# the item the code is run for, as code reads it whole
_OWN_ITEM = frozenset({frozenset({t}) for t in (
    "$json", "$input.item.json", "$input.first().json", "$input.item")})
# the input item itself, json and binary, as code returns it unchanged
WHOLE_INPUT = frozenset({"$input.first()", "$input.item"})
PLATFORM_NAMES = frozenset({"$execution", "$workflow", "$now", "$today", "$runIndex",
                            "$itemIndex"})  # the execution's own id, the time
KEEPS = frozenset({"trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "toString",
                   "substring", "substr", "slice", "padStart", "padEnd", "normalize",
                   # an array's methods that return (some of) its own elements, unchanged
                   "filter", "sort", "reverse"})
# the array methods of that kind a returned list of items may end with (items chosen, not made)
SUBSETS = frozenset({"filter", "slice", "sort", "reverse"})
FIXED_METHODS = NUMERIC_METHODS | {"toISOString"}
MUTATORS = frozenset({"push", "unshift", "splice", "set", "add", "fill"})
# where an assignment may not run: it only adds to what the name held
_CONDITIONAL = frozenset({"statement_block", "if_statement", "else_clause", "for_statement",
                          "for_in_statement", "while_statement", "do_statement",
                          "switch_statement", "try_statement", "catch_clause",
                          "finally_clause", "ternary_expression"})
_SHORT_CIRCUIT = frozenset({"&&", "||", "??"})
# What the walk acts on; it enters only the nodes that hold one of them (found in C: most of
# a code's nodes are parts of expressions that bind nothing).
_EFFECTS = f"""
(variable_declarator name: (identifier)
  value: [(arrow_function) (function_expression) (generator_function)]) @named
[(function_declaration name: (identifier))
 (generator_function_declaration name: (identifier))] @named
[(assignment_expression) (augmented_assignment_expression) (arrow_function)
 (function_expression) (function_declaration) (generator_function)
 (generator_function_declaration) (method_definition) (variable_declarator)
 (for_in_statement) (catch_clause) (return_statement)] @node
(call_expression function: (member_expression property: (property_identifier) @method
  (#any-of? @method {" ".join(f'"{m}"' for m in sorted(MUTATORS | {"assign"}))}))) @node
(call_expression function: (identifier)) @call
"""


def worst(values: list[Value]) -> Value:
    """The least safe of ``values``, carrying all their reads."""
    if not values:
        return FIXED
    level = max(v.level for v in values)
    if any(v.reads is None for v in values):
        return Value(level, None)
    return Value(level, frozenset().union(*(v.reads or frozenset() for v in values)),
                 composite=any(v.composite for v in values))


class _Scope:
    """Names one function declares: each name's value and the block depth it was declared at."""

    def __init__(self, parent: _Scope | None = None) -> None:
        self.parent = parent
        self.values: dict[str, tuple[Value, int]] = {}

    def find(self, name: str) -> _Scope | None:
        scope: _Scope | None = self
        while scope is not None and name not in scope.values:
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> Value | None:
        scope = self.find(name)
        return None if scope is None else scope.values[name][0]

    def snapshot(self) -> _Scope:
        copy = _Scope(self.parent.snapshot() if self.parent is not None else None)
        copy.values = dict(self.values)
        return copy


@dataclass
class _Returned:
    """A value the code returns, with the names as they were where it is returned."""

    node: Node
    scope: _Scope


TOP, DEFINED, CALLED = "top", "defined", "called"  # how a walk over statements runs them


class _Reader:
    """One Code node's code: its helpers, its variables and what it returns.

    The code itself is walked once (``TOP``). A function met on the way is walked where it is
    defined or called (``DEFINED``): what it does to outer names may happen there, and its
    returns are not the code's. A helper whose value is needed is run on its arguments
    (``CALLED``): its returns are collected, and what it does to outer names is left out (the
    ``DEFINED`` walks have applied it)."""

    def __init__(self, body: Node) -> None:
        self.body = body
        self.helpers: dict[str, list[Node]] = {}
        self.calling: set[int] = set()  # helpers being run or walked (recursion is opaque)
        self.objects: dict[str, _Returned] = {}  # const NAME = {…}, never changed afterwards
        self.returns: list[_Returned] = []
        # NAME → what `NAME.push(…)` adds, each with the names as they were there (None: a
        # spread, whose elements are not known)
        self.pushed: dict[str, list[_Returned | None]] = {}
        found = captures(_EFFECTS, body)
        # what `_own_item` asks of a spread name (its declarations, any assignment to it):
        # the same nodes the query above finds, kept so no second query runs over the code
        self.declarators = [n for n in found.get("node", ()) if n.type == "variable_declarator"]
        self.assignments = [n for n in found.get("node", ()) if n.type in (
            "assignment_expression", "augmented_assignment_expression")]
        for node in found.get("named", ()):  # function f(…) {…}, const f = (…) => …
            name = node.child_by_field_name("name")
            function = node.child_by_field_name("value") if node.type == "variable_declarator" \
                else node
            if name is not None and function is not None:
                self.helpers.setdefault(text(name), []).append(function)
        calls = [c for c in found.get("call", ()) if self.helpers and text(
            c.child_by_field_name("function") or c) in self.helpers]
        # where the nodes the walk acts on start: a node holds one when one starts inside it
        self.starts = sorted(n.start_byte for n in (*found.get("node", ()), *calls))
        self.top = _Scope()
        returns = _own_returns(found.get("node", ()))
        declared = {name for n in found.get("node", ()) if n.type == "variable_declarator"
                    and (p := n.child_by_field_name("name")) is not None
                    for name in pattern_names(p)} | set(self.helpers)
        if all(_names_nothing(r, declared) for r in returns):  # no variable to follow
            self.returns = [_Returned(r.named_children[0], self.top) for r in returns
                            if r.named_children]
            return
        for statement in body.named_children:
            if self._holds(statement):
                self._walk(statement, self.top, 0, TOP, None)

    # -- the walk -------------------------------------------------------------------------
    def _walk(self, node: Node, scope: _Scope, depth: int, mode: str,
              returned: list[tuple[Node, Value]] | None) -> None:
        """Bind the names ``node`` declares and assigns, in the code's order; note returns
        (into ``returned`` when a helper is ``CALLED``)."""
        t = node.type
        if t in FUNCTIONS:
            if mode != CALLED:
                self._defined(node, scope, depth)
            return
        if t == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if value is not None and self._holds(value):
                self._walk(value, scope, depth, mode, returned)
            if name is None or (self.helpers and name.type == "identifier"
                                and text(name) in self.helpers):
                return
            found = self.value(value, scope) if value is not None else FIXED
            self._bind(name, found, scope, depth, mode, value)
            return
        if t in ("assignment_expression", "augmented_assignment_expression"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and self._holds(right):
                self._walk(right, scope, depth, mode, returned)
            if left is not None and right is not None:
                self._assign(node, left, right, scope, depth, mode)
            return
        if t == "return_statement":
            value = node.named_children[0] if node.named_children else None
            if value is not None and self._holds(value):
                self._walk(value, scope, depth, mode, returned)
            if mode == TOP and value is not None:
                self.returns.append(_Returned(value, scope.snapshot()))
            elif mode == CALLED and returned is not None:
                returned.append((value, self.value(value, scope)) if value is not None
                                else (node, FIXED))
            return
        if t == "for_in_statement":  # each element: not followed
            left = node.child_by_field_name("left")
            if left is not None:
                self._bind(left, OPAQUE, scope, depth + 1, mode, None, declare=True)
        elif t == "catch_clause":
            param = node.child_by_field_name("parameter")
            if param is not None:
                self._bind(param, OPAQUE, scope, depth + 1, mode, None, declare=True)
        elif t == "call_expression":
            self._mutation(node, scope, depth, mode)
            callee = node.child_by_field_name("function")
            if mode != CALLED and self.helpers and callee is not None \
                    and callee.type == "identifier" and text(callee) in self.helpers \
                    and scope.lookup(text(callee)) is None:
                for function in self.helpers[text(callee)]:
                    self._defined(function, scope, depth)  # what it does where it is called
        if t == "binary_expression" and operator(node) in _SHORT_CIRCUIT:
            for side, at in (("left", depth), ("right", depth + 1)):
                child = node.child_by_field_name(side)
                if child is not None and self._holds(child):
                    self._walk(child, scope, at, mode, returned)
            return
        if t == "member_expression":  # its property is a name
            obj = node.child_by_field_name("object")
            if obj is not None and self._holds(obj):
                self._walk(obj, scope, depth, mode, returned)
            return
        deeper = depth + 1 if t in _CONDITIONAL else depth
        for child in node.named_children:
            if self._holds(child):
                self._walk(child, scope, deeper, mode, returned)

    def _holds(self, node: Node) -> bool:
        """Does ``node`` hold (or is it) something the walk acts on?"""
        i = bisect_left(self.starts, node.start_byte)
        return i < len(self.starts) and self.starts[i] < node.end_byte

    def _defined(self, function: Node, scope: _Scope, depth: int) -> None:
        """A function's body, as if it ran here (or not: one block deeper), its parameters
        unknown."""
        if function.id in self.calling:
            return
        self.calling.add(function.id)
        try:
            inner = _Scope(scope)
            for param in function_params(function):
                self._bind(param, OPAQUE, inner, depth + 1, DEFINED, None, declare=True)
            body = function.child_by_field_name("body")
            if body is not None:
                self._walk(body, inner, depth + 1, DEFINED, None)
        finally:
            self.calling.discard(function.id)

    def _bind(self, pattern: Node, value: Value, scope: _Scope, depth: int, mode: str,
              source: Node | None, declare: bool = True) -> None:
        """Give the names of a declaration, parameter or assignment pattern their values."""
        t = pattern.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            name = text(pattern)
            self._set(name, value, scope, depth, mode, declare)
            if source is not None and source.type == "object" and declare and mode == TOP \
                    and _is_const(pattern):
                self.objects[name] = _Returned(source, scope.snapshot())
            else:
                self.objects.pop(name, None)
        elif t == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    self._bind(child, _step(value, "." + text(child)), scope, depth, mode,
                               None, declare)
                elif child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                    inner = child.child_by_field_name("value")
                    if key is not None and inner is not None:
                        part = _step(value, _field_step(text(key))) \
                            if key.type == "property_identifier" else _key_step(value, key)
                        self._bind(inner, part, scope, depth, mode, None, declare)
                elif child.type == "object_assignment_pattern":  # {a = 'x'}
                    left, right = child.child_by_field_name("left"), \
                        child.child_by_field_name("right")
                    if left is not None and right is not None:
                        found = worst([_step(value, "." + text(left)),
                                       self.value(right, scope)])
                        self._bind(left, found, scope, depth, mode, None, declare)
                else:
                    self._unknown(child, scope, depth, mode, declare)
        elif t == "array_pattern":
            elements = [c for c in pattern.named_children if c.type != "comment"]
            for i, child in enumerate(elements):
                found = OPAQUE if child.type == "rest_pattern" else _step(value, f"[{i}]")
                self._bind(child, found, scope, depth, mode, None, declare)
        elif t == "assignment_pattern":  # a default: (s = '')
            left, right = pattern.child_by_field_name("left"), pattern.child_by_field_name(
                "right")
            if left is not None:
                found = worst([value, self.value(right, scope)]) if right is not None \
                    else value
                self._bind(left, found, scope, depth, mode, None, declare)
        else:  # rest patterns, member targets in a destructuring: not followed
            self._unknown(pattern, scope, depth, mode, declare)

    def _unknown(self, pattern: Node, scope: _Scope, depth: int, mode: str,
                 declare: bool) -> None:
        for name in pattern_names(pattern):
            self._set(name, OPAQUE, scope, depth, mode, declare)

    def _set(self, name: str, value: Value, scope: _Scope, depth: int, mode: str,
             declare: bool) -> None:
        """A name declared here holds ``value``; one assigned holds it after the assignment,
        or either when the assignment is in a block its declaration is not."""
        owner = scope.find(name)
        if declare and owner is not scope:
            scope.values[name] = (value, depth)
            return
        if owner is None:
            if mode != CALLED:  # a name the code never declares: anything
                self.top.values[name] = (OPAQUE, 0)
            return
        if mode == CALLED and owner is not scope:
            return  # an outer name a helper changes: applied where it is defined or called
        held, declared_at = owner.values[name]
        owner.values[name] = (worst([held, value]) if depth > declared_at else value,
                              declared_at)

    def _assign(self, node: Node, left: Node, right: Node, scope: _Scope, depth: int,
                mode: str) -> None:
        op = operator(node)
        found = self.value(right, scope)
        if left.type == "identifier":
            name = text(left)
            if name in self.helpers:
                return
            if op != "=":
                held = scope.lookup(name)
                before = held if held is not None else OPAQUE
                if op == "+=":
                    found = _joined([before, found], [None, string_text(right)])
                elif op in ("||=", "??=", "&&="):
                    found = worst([before, found])
                elif op[:-1] in NUMERIC_OPERATORS:
                    found = FIXED
                else:
                    found = OPAQUE
            self._set(name, found, scope, depth, mode, declare=False)
            self.objects.pop(name, None)
            return
        if left.type in ("object_pattern", "array_pattern"):
            self._bind(left, found, scope, depth, mode, None, declare=False)
            return
        root, _prop, _direct = member_root(left)
        if root is not None:
            self._changed(text(root), found, scope, mode)

    def _mutation(self, call: Node, scope: _Scope, depth: int, mode: str) -> None:
        """``rows.push(x)``, ``Object.assign(out, x)``: a local object now holds ``x`` too."""
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return
        obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
        method = text(prop) if prop is not None else ""
        if method not in MUTATORS and method != "assign":
            return
        args = call.child_by_field_name("arguments")
        values = [a for a in (args.named_children if args is not None else [])
                  if a.type != "comment"]
        if not values:
            return
        if method == "push" and obj is not None and obj.type == "identifier" and mode != CALLED:
            self.pushed.setdefault(text(obj), []).extend(
                None if v.type == "spread_element" else _Returned(v, scope.snapshot())
                for v in values)
        if obj is not None and text(obj) == "Object" and method == "assign":
            target, added = values[0], values[1:]
        elif obj is not None and method in MUTATORS:
            target, added = obj, values
        else:
            return
        root, _prop, _direct = member_root(target)
        if root is not None:
            self._changed(text(root), worst([self.value(v, scope) for v in added]), scope,
                          mode)

    def _changed(self, name: str, added: Value, scope: _Scope, mode: str) -> None:
        """Part of the object a name holds changed: it is no longer the literal it was
        declared as, and unless it stays fixed data, its parts are no longer known."""
        self.objects.pop(name, None)
        owner = scope.find(name)
        if owner is None or (mode == CALLED and owner is not scope):
            return
        held, declared_at = owner.values[name]
        if added != FIXED or held != FIXED:
            owner.values[name] = (OPAQUE, declared_at)

    # -- values ---------------------------------------------------------------------------
    def value(self, node: Node, scope: _Scope) -> Value:
        t = node.type
        if t in LITERALS:
            return FIXED
        if t in ("parenthesized_expression", "sequence_expression", "await_expression"):
            inner = [c for c in node.named_children if c.type != "comment"]
            return self.value(inner[-1], scope) if inner else OPAQUE
        if t == "template_string":
            return self._template(node, scope)
        if t in ("identifier", "shorthand_property_identifier"):
            return self._name(text(node), scope)
        if t in ("member_expression", "subscript_expression", "call_expression"):
            base = _input_base(node)
            if base is not None:
                return Value(RAW, frozenset({base}))
            if t == "call_expression":
                return self._call(node, scope)
            obj = node.child_by_field_name("object")
            if obj is None:
                return OPAQUE
            if t == "member_expression":
                prop = node.child_by_field_name("property")
                name = text(prop) if prop is not None else ""
                if name in NUMERIC_PROPERTIES:
                    return FIXED
                return _step(self.value(obj, scope), _field_step(name))
            index = node.child_by_field_name("index")
            held = self.value(obj, scope)
            return _key_step(held, index) if index is not None else OPAQUE
        if t == "binary_expression":
            op = operator(node)
            if op == "+":
                parts = _plus_operands(node)
                return _joined([self.value(p, scope) for p in parts],
                               [string_text(p) for p in parts])
            if op in NUMERIC_OPERATORS:
                return FIXED
            if op == "&&":  # the left side only when it is falsy: "", 0, null, false
                right = node.child_by_field_name("right")
                return self.value(right, scope) if right is not None else OPAQUE
            return worst([self.value(c, scope) for c in _operands(node)])
        if t == "unary_expression":
            return FIXED if operator(node) in NUMERIC_UNARY else OPAQUE
        if t == "update_expression":
            return FIXED
        if t == "ternary_expression":  # c ? a : b: the condition is not the value
            return worst([self.value(c, scope) for name in ("consequence", "alternative")
                          if (c := node.child_by_field_name(name)) is not None])
        if t in ("assignment_expression", "augmented_assignment_expression"):
            right = node.child_by_field_name("right")
            return self.value(right, scope) if right is not None else OPAQUE
        if t == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return FIXED if ctor is not None and text(ctor) == "Date" else OPAQUE
        if t in ("array", "object"):  # fixed data is fixed, whatever part is taken
            parts = [c for c in node.named_children if c.type != "comment"]
            if all(_literal_entry(c) for c in parts):
                return FIXED
            return self._composite(parts, scope)
        return OPAQUE

    def _composite(self, parts: list[Node], scope: _Scope) -> Value:
        """An object or array literal holding other values: what they all carry, when each
        entry is a plain ``key: value`` (or shorthand) or element; a computed key, a method
        or a spread makes it unknown."""
        values = []
        for part in parts:
            if part.type == "pair":
                key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
                if key is None or value is None or key.type == "computed_property_name":
                    return OPAQUE
                values.append(self.value(value, scope))
            elif part.type in ("spread_element", "method_definition", "rest_pattern"):
                return OPAQUE
            else:  # a shorthand {name}, an array's element
                values.append(self.value(part, scope))
        found = worst(values)
        return found if found.reads is None or found == FIXED else replace(found, composite=True)

    def _name(self, name: str, scope: _Scope) -> Value:
        held = scope.lookup(name)
        if held is not None:
            return held
        if name == "$json":
            return Value(RAW, frozenset({name}))
        if name == "items":
            return Value(RAW, frozenset({LEGACY_ITEMS}))
        if name in PLATFORM_NAMES or name in CONSTANT_NAMES:
            return FIXED
        return OPAQUE

    def _template(self, node: Node, scope: _Scope) -> Value:
        """`` `… '${esc(x)}' …` ``: a quote-escaped value counts inside written quotes only."""
        out = []
        source = node.text or b""
        for child in node.named_children:
            if child.type != "template_substitution":
                continue
            inner = [c for c in child.named_children if c.type != "comment"]
            found = self.value(inner[-1], scope) if inner else OPAQUE
            if found.level == QUOTED:
                before = source[:child.start_byte - node.start_byte]
                after = source[child.end_byte - node.start_byte:]
                found = FIXED if before.endswith(b"'") and after.startswith(b"'") else OPAQUE
            out.append(found)
        return worst(out)

    def _call(self, node: Node, scope: _Scope) -> Value:
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        values = [a for a in (args.named_children if args is not None else [])
                  if a.type != "comment"]
        if callee is None:
            return OPAQUE
        if callee.type == "identifier":
            name = text(callee)
            if scope.lookup(name) is None and name in self.helpers:
                return self._helper(name, values, scope)
            if name in NUMERIC_CALLS:
                return FIXED
            if name == "String" and len(values) == 1:
                return self.value(values[0], scope)
            return OPAQUE
        if callee.type != "member_expression":
            return OPAQUE
        obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
        method = text(prop) if prop is not None else ""
        if method in ("replace", "replaceAll"):
            if escapes_quotes(node):  # escaped, whatever it was
                return Value(QUOTED)
            if keeps_digits_only(node) or keeps_word_characters_only(node):
                return FIXED
        owner = text(obj) if obj is not None and obj.type == "identifier" else ""
        if owner in ("Math", "Date") and scope.lookup(owner) is None:
            return FIXED  # a number, a time
        if method in FIXED_METHODS:
            return FIXED
        if obj is None:
            return OPAQUE
        held = self.value(obj, scope)
        if method in KEEPS:
            return held
        if held == FIXED and all(self.value(v, scope) == FIXED for v in values):
            return FIXED  # a method of fixed data given fixed data: nothing from outside
        return OPAQUE

    def _helper(self, name: str, args: list[Node], scope: _Scope) -> Value:
        """What a helper returns given these arguments: it escapes only when every value it
        returns is escaped (``String(s).replace(/'/g, "''")``); one that returns its argument
        returns what it was given."""
        out = []
        for function in self.helpers[name]:
            body = function.child_by_field_name("body")
            if function.id in self.calling or body is None:
                return OPAQUE
            self.calling.add(function.id)
            try:
                inner = _Scope(scope)
                for i, param in enumerate(function_params(function)):
                    given = self.value(args[i], scope) if i < len(args) else FIXED
                    self._bind(param, OPAQUE if param.type == "rest_pattern" else given,
                               inner, 0, CALLED, None)
                if body.type != "statement_block":  # an arrow function's expression body
                    out.append(self.value(body, inner))
                    continue
                returned: list[tuple[Node, Value]] = []
                for statement in body.named_children:
                    if self._holds(statement):
                        self._walk(statement, inner, 0, CALLED, returned)
                # where each return is, and at the end (a loop may come round again)
                out.extend(worst([at, self.value(node, inner) if node.type != "return_statement"
                                  else FIXED]) for node, at in returned)
                if not any(True for _ in own_returns(body)):
                    out.append(FIXED)  # undefined
            finally:
                self.calling.discard(function.id)
        return worst(out)

    # -- what the code returns ------------------------------------------------------------
    def returned_fields(self) -> dict[str, Value] | None:
        """Field → value for the items the code returns, when every ``return`` of the code
        (not of its helpers and callbacks) is an object literal, alone, in ``[{…}]``, as
        ``{json: {…}}`` or named by a ``const`` never changed, or returns no item; None when
        one is anything else. A field an item leaves out while it spreads something in
        (``...input``), or spreads something in after it, is not listed."""
        items: list[list[tuple[str | None, Value]]] = []
        for element, scope, end in self._returned_items():
            entries = self._item(element, scope, end)
            if entries is None:
                return None
            items.append(entries)
        if not items:
            return None
        fields: dict[str, list[Value]] = {}
        for entries in items:
            for key, found in entries:
                if key is not None:
                    fields.setdefault(key, []).append(found)
        out = {}
        for key, values in fields.items():
            if any(all(k != key for k, _ in entries) and any(k is None for k, _ in entries)
                   for entries in items):
                continue
            out[key] = worst(values)
        return out

    def _returned_items(self) -> Iterator[tuple[Node, _Scope, _Scope]]:
        """Each item the code's own ``return``s give (an array's elements one by one; no
        item for ``null``/``undefined``; what the callback of a returned ``list.map(…)``
        returns, once), with the scope it is returned in and the scope at the end of the
        code (or of the callback) where it is read again."""
        for returned in self.returns:
            node = _unwrapped(returned.node)
            if node.type in ("null", "undefined"):
                continue
            mapped = self._mapped(node, returned.scope)
            if mapped is not None:
                yield from mapped
                continue
            pushed = self._pushed_only(node)
            if pushed is not None:
                for added in pushed:
                    yield added.node, added.scope, self.top
                continue
            elements = [c for c in node.named_children if c.type != "comment"] \
                if node.type == "array" else [node]
            for element in elements:
                yield element, returned.scope, self.top

    def _pushed_only(self, node: Node) -> list[_Returned] | None:
        """What was pushed into the list a returned name holds, when the name is declared
        once as an empty list (``const out = []``), nothing assigns to it or through it, and
        it is used only to ``push`` onto, to read its ``length`` and to be returned; None
        otherwise (or when a spread was pushed)."""
        if node.type != "identifier" or text(node) not in self.pushed:
            return None
        name = text(node)
        added = self.pushed[name]
        if any(a is None for a in added):
            return None
        declared = [d for d in self.declarators
                    if (n := d.child_by_field_name("name")) is not None and text(n) == name]
        value = declared[0].child_by_field_name("value") if len(declared) == 1 else None
        if value is None or value.type != "array" or value.named_children:
            return None
        if any(re.match(re.escape(name) + r"\b", text(a.child_by_field_name("left") or a))
               for a in self.assignments):
            return None
        returned = [_outermost(r.node) for r in self.returns]
        for use in captures(_NAMES, self.body).get("name", ()):
            if text(use) != name:
                continue
            parent = use.parent
            if parent is None:
                return None
            if parent.type == "variable_declarator" and parent.child_by_field_name("name") == use:
                continue
            if parent.type == "member_expression" and parent.child_by_field_name("object") == use:
                prop = parent.child_by_field_name("property")
                method = text(prop) if prop is not None else ""
                above = parent.parent
                if method == "length" and (above is None or above.type not in (
                        "assignment_expression", "augmented_assignment_expression",
                        "update_expression")):
                    continue
                if method == "push" and above is not None and above.type == "call_expression":
                    continue
                return None
            if any(_outermost(use) == r for r in returned):
                continue
            return None
        return [a for a in added if a is not None]

    def _mapped(self, node: Node, scope: _Scope) -> list[tuple[Node, _Scope, _Scope]] | None:
        """The items ``list.map((item, i) => …)`` makes (a ``.filter``, ``.slice`` after it
        only drops some): what its callback returns, with the callback's parameters bound,
        the element to what ``list`` holds (an input item of ``$input.all()``) and the index
        to a number. None when ``node`` is no such call."""
        while True:
            call = _method_call(node)
            if call is None:
                return None
            source, method, args = call
            if method != "map":
                if method not in SUBSETS:
                    return None
                node = _unwrapped(source)
                continue
            break
        if not args or args[0].type not in ("arrow_function", "function_expression"):
            return None
        callback = args[0]
        body = callback.child_by_field_name("body")
        if body is None or callback.id in self.calling:
            return None
        inner = _Scope(scope)
        element = _element(self.value(source, scope))
        for i, param in enumerate(function_params(callback)):
            given = element if i == 0 else FIXED if i == 1 else OPAQUE
            self._bind(param, OPAQUE if param.type == "rest_pattern" else given, inner, 0,
                       CALLED, None)
        if body.type != "statement_block":  # (item) => ({…})
            return [(body, inner, inner)]
        self.calling.add(callback.id)
        try:
            for statement in body.named_children:
                if self._holds(statement):
                    self._walk(statement, inner, 0, CALLED, [])
        finally:
            self.calling.discard(callback.id)
        return [(r.named_children[0], inner, inner) for r in own_returns(body)
                if r.named_children]

    def closed_fields(self) -> frozenset[str] | None:
        """Every field the returned items can have, when each item the code returns lists
        its fields itself and at least one item is returned; None otherwise. A field no item
        lists is not in the code's output at all, so anything that may add one keeps the
        output open: a spread, a computed key, a method or getter, or a named object that is
        changed, aliased or handed to anything after it was written."""
        names: set[str] = set()
        for element, _scope, _end in self._returned_items():
            item = self._own_object(element)
            keys = _listed_keys(item) if item is not None else None
            if keys is not None and "json" in keys:  # {json: {…}, pairedItem: …}
                item = self._own_object(next(v for k, v in _pairs(item) if k == "json"))
                keys = _listed_keys(item) if item is not None else None
            if keys is None:
                return None
            names.update(keys)
        return frozenset(names) if names else None

    def passed_input(self) -> tuple[frozenset[str], frozenset[str]] | None:
        """(fields every returned item lists, fields only some list) when each item the
        code returns is the input item spread in first (``{...$json, ...}``, ``{...data}``
        with ``data = $input.item.json``) and then fields of its own, nothing else spread:
        every other field is the input's as it came (n8n ``pass``). An item returned as it
        came (``return [item]`` with ``const item = $input.first()``) lists no field of its
        own; beside one, an object literal listing its own fields (an error item built from
        scratch) is counted as the input with those fields set, which only adds to what
        the output may hold. None otherwise."""
        listed: list[set[str]] = []
        passes = False
        for element, scope, _end in self._returned_items():
            if self._whole_input(_unwrapped(element)) or self._input_chosen(element, scope):
                listed.append(set())
                passes = True
                continue
            item, scope = self._literal(_unwrapped(element), scope)
            if item.type != "object":
                return None
            wrapped = next((v for k, v in _pairs(item) if k == "json"), None)
            if wrapped is not None:
                item, scope = self._literal(_unwrapped(wrapped), scope)
                if item.type != "object":
                    return None
            pairs = list(_pairs(item))
            spread = bool(pairs) and pairs[0][0] is None
            if spread and not self._own_item(pairs[0][1], scope):
                return None
            keys = {k for k, _ in pairs[1:]} if spread else {k for k, _ in pairs}
            if not pairs or None in keys or "" in keys:
                return None  # a second spread or a computed key: which fields is unknown
            passes = passes or spread
            listed.append({k for k in keys if k is not None})
        if not listed or not passes:
            return None
        every = set.intersection(*listed)
        return frozenset(every), frozenset(set.union(*listed) - every)

    def _whole_input(self, node: Node) -> bool:
        """Is ``node`` an input item returned as it came, ``json`` and all: ``$input.first()``,
        ``$input.item``, or a name declared once, ``const``, as one of them, that nothing
        assigns to or through (``item.json.url = …`` would change a field)?"""
        if _input_base(node) in WHOLE_INPUT:
            return True
        value = self._const_alias(node, through=True)
        return value is not None and _input_base(value) in WHOLE_INPUT

    def _own_item(self, node: Node, scope: _Scope) -> bool:
        """Is ``node`` the whole input item: ``$json``, ``$input.item.json``, or a name
        declared once, ``const``, as one of them (the walk skips what is only spread in)?"""
        held = self.value(node, scope)
        if held.reads in _OWN_ITEM and not held.composite:
            return True
        value = self._const_alias(node, through=False)
        return value is not None and frozenset({_input_base(value)}) in _OWN_ITEM

    def _const_alias(self, node: Node, *, through: bool) -> Node | None:
        """The value a name ``node`` is declared with, when it is declared once, ``const``, and
        nothing assigns to it (``through``: nor to anything reached through it, ``x.json.url =
        …``); else None. What the name holds is then what that value holds."""
        if node.type != "identifier":
            return None
        name = text(node)
        declared = [d for d in self.declarators
                    if (n := d.child_by_field_name("name")) is not None and text(n) == name]
        if through:
            assigned = any(re.match(re.escape(name) + r"\b",
                                    text(a.child_by_field_name("left") or a))
                           for a in self.assignments)
        else:
            assigned = any(text(a.child_by_field_name("left") or a) == name
                           for a in self.assignments)
        if len(declared) != 1 or assigned:
            return None
        name_node, value = declared[0].child_by_field_name("name"), \
            declared[0].child_by_field_name("value")
        if name_node is None or value is None or not _is_const(name_node):
            return None
        return value

    def _own_object(self, node: Node) -> Node | None:
        """The object literal ``node`` is, or the ``const`` object it names when nothing but
        its declaration, its returns and plain reads of its fields uses that name."""
        node = _unwrapped(node)
        if node.type == "object":
            return node
        named = self.objects.get(text(node)) if node.type == "identifier" else None
        if named is None:
            return None
        returned = [_outermost(r.node) for r in self.returns]
        for use in captures(_NAMES, self.body).get("name", ()):
            if text(use) == text(node) and not _plain_use(use, returned, named.node):
                return None
        return named.node

    def _input_chosen(self, node: Node, scope: _Scope) -> bool:
        """Is ``node`` input items chosen, not changed: ``$input.all().filter(…)`` (or a
        ``.slice``, ``.sort`` of it), in code that changes no object's field anywhere (a loop
        setting ``item.json.x`` would change the items it returns)?"""
        node = _unwrapped(node)
        call = _method_call(node)
        if call is None or call[1] not in SUBSETS:
            return False
        held = self.value(node, scope)
        if held.level != RAW or not held.reads or held.composite or not all(
                r.endswith(".all()") for r in held.reads):
            return False
        return not any((a.child_by_field_name("left") or a).type != "identifier"
                       for a in self.assignments) and "Object.assign" not in text(self.body)

    def _item(self, node: Node, scope: _Scope,
              end: _Scope | None = None) -> list[tuple[str | None, Value]] | None:
        """The (field, value) entries of one returned item (``None`` field: a spread)."""
        node, scope = self._literal(_unwrapped(node), scope)
        if node.type != "object":
            return None
        wrapped = next((v for k, v in _pairs(node) if k == "json"), None)
        if wrapped is not None:  # {json: {…}, binary: …}
            node, scope = self._literal(_unwrapped(wrapped), scope)
            if node.type != "object":
                return None
        entries: list[tuple[str | None, Value]] = []
        for key, value in _pairs(node):
            if key == "":
                return None  # a computed key: which field it sets is not known
            if key is None:
                entries = [(None, OPAQUE)]  # what it spreads in may set any earlier field
                continue
            found = self.value(value, scope)
            end = self.top if end is None else end
            if end is not scope and (scope.values != end.values or scope.parent is not None):
                found = worst([found, self.value(value, end)])
            entries.append((key, found))
        return entries

    def _literal(self, node: Node, scope: _Scope) -> tuple[Node, _Scope]:
        """An object literal a returned name stands for, with the names as they were where it
        was written; any other node as it is."""
        if node.type == "identifier":
            named = self.objects.get(text(node))
            if named is not None:
                return named.node, named.scope
        return node, scope


# -- small helpers ---------------------------------------------------------------------------
# names a returned value can use that no variable of the code gives a value to
_GLOBAL_NAMES = PLATFORM_NAMES | CONSTANT_NAMES | NUMERIC_CALLS | {
    "$json", "$input", "$", "$node", "Date", "Math", "String", "JSON"}


_NAMES = "[(identifier) (shorthand_property_identifier)] @name"


def _listed_keys(item: Node) -> set[str] | None:
    """The keys an object literal lists, when it lists every one: None for a spread, a
    computed key, a method or accessor (whose name ``_pairs`` does not give)."""
    keys: set[str] = set()
    for child in item.named_children:
        if child.type == "comment":
            continue
        if child.type == "shorthand_property_identifier":
            keys.add(text(child))
            continue
        key = child.child_by_field_name("key") if child.type == "pair" else None
        if key is None or key.type == "computed_property_name":
            return None
        keys.add(string_text(key) or "" if key.type == "string" else text(key))
    return keys if "" not in keys else None


# calls that only read the object they are given (they cannot add or change its fields)
_READING_CALLS = frozenset({"JSON.stringify", "Object.keys", "Object.entries", "String"})


def _plain_use(name: Node, returned: list[Node], written: Node) -> bool:
    """Does this use of a ``const`` object's name leave its fields as written: the one
    declaration that wrote ``written`` (another of that name may hold anything), a read of
    one of its fields (``out.reply``, not assigned to, not called), an argument of a call
    that only reads it (``console.log``, ``JSON.stringify``), or what the code returns (the
    value, an element of the returned array, or its ``json``)?"""
    parent = name.parent
    if parent is None:
        return False
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("name") == name \
            and parent.child_by_field_name("value") == written
    if parent.type == "arguments" and parent.parent is not None:  # printed or serialised
        function = parent.parent.child_by_field_name("function")
        return function is not None and (text(function) in _READING_CALLS
                                         or text(function).startswith("console."))
    if parent.type == "member_expression":
        if parent.child_by_field_name("object") != name:
            return False
        above = parent.parent
        if above is None:
            return True
        if above.type in ("assignment_expression", "augmented_assignment_expression"):
            return above.child_by_field_name("left") != parent
        if above.type == "call_expression":
            return above.child_by_field_name("function") != parent
        return above.type not in ("update_expression", "unary_expression")
    node = _outermost(name)
    if node.parent is not None and node.parent.type == "pair":  # {json: out}
        pair = node.parent
        key = pair.child_by_field_name("key")
        if key is None or text(key) != "json" or pair.parent is None:
            return False
        node = _outermost(pair.parent)
    if node.parent is not None and node.parent.type == "array":
        node = _outermost(node.parent)
    return any(node == r for r in returned)


def _outermost(node: Node) -> Node:
    """``node`` with the parentheses written around it."""
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    return node


def _own_returns(found: tuple[Node, ...] | list[Node]) -> list[Node]:
    """The code's own return statements among ``found``: not those of a function in it."""
    functions = [(n.start_byte, n.end_byte) for n in found if n.type in FUNCTIONS]
    return [n for n in found if n.type == "return_statement"
            and not any(a <= n.start_byte < b for a, b in functions)]


def _names_nothing(statement: Node, declared: set[str]) -> bool:
    """Does a return use no name but the platform's and JavaScript's own (``return [{json:
    {ok: true, at: $now}}]``)? Then no variable of the code needs following. What a spread
    brings in is never read by name, so its names do not count."""
    stack = list(statement.named_children)
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("identifier", "shorthand_property_identifier"):
            name = text(node)
            if name not in _GLOBAL_NAMES or name in declared:
                return False
        elif t != "spread_element":
            stack.extend(node.named_children)
    return True


def _is_const(pattern: Node) -> bool:
    declarator = pattern.parent
    declaration = declarator.parent if declarator is not None else None
    kind = declaration.child_by_field_name("kind") if declaration is not None else None
    return kind is not None and text(kind) == "const"


def _step(value: Value, step: str) -> Value:
    """A part of a value: of fixed data, fixed; of input, that part of it."""
    if value == FIXED:
        return FIXED
    if value.composite:  # a part of what the parts carry, whole
        return value
    if value.level == RAW and value.reads:
        return Value(RAW, frozenset(r + step for r in value.reads))
    return OPAQUE


def _key_step(value: Value, key: Node) -> Value:
    """``value[key]``: a constant map's value whatever the key; a named field of input."""
    if value == FIXED:
        return FIXED
    if value.composite:
        return value
    if key.type == "number" and key.text is not None and key.text.isdigit():
        return _step(value, f"[{text(key)}]")
    name = string_text(key) if key.type in ("string", "template_string") else None
    if name is None or "\\" in name:
        return OPAQUE
    return _step(value, _field_step(name))


def _field_step(name: str) -> str:
    """How a field read is written in the input expression a value carries."""
    return f".{name}" if re.fullmatch(r"\w+", name) else f"[{name!r}]"


def _joined(values: list[Value], texts: list[str | None]) -> Value:
    """``"'" + esc(x) + "'"``: quote-escaped values count inside written quotes only."""
    out = []
    for i, found in enumerate(values):
        if found.level == QUOTED:
            before = texts[i - 1] if i else None
            after = texts[i + 1] if i + 1 < len(texts) else None
            quoted = before is not None and after is not None and before.endswith("'") \
                and after.startswith("'")
            out.append(FIXED if quoted else OPAQUE)
        else:
            out.append(found)
    return worst(out)


def _plus_operands(node: Node) -> list[Node]:
    """The operands of ``a + b + c`` in order (a parenthesised sum is one operand)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "binary_expression" and operator(current) == "+":
            left, right = current.child_by_field_name("left"), current.child_by_field_name(
                "right")
            stack.extend(c for c in (right, left) if c is not None)
        else:
            out.append(current)
    return out


def _operands(node: Node) -> list[Node]:
    return [c for c in (node.child_by_field_name("left"), node.child_by_field_name("right"))
            if c is not None]


def _method_call(node: Node) -> tuple[Node, str, list[Node]] | None:
    """(the object, the method, the arguments) of ``obj.method(…)``; None otherwise."""
    if node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return None
    obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
    if obj is None or prop is None:
        return None
    args = node.child_by_field_name("arguments")
    return obj, text(prop), [a for a in (args.named_children if args is not None else [])
                             if a.type != "comment"]


def _element(value: Value) -> Value:
    """One element of a list: of fixed data, fixed; of the items ``$input.all()`` or
    ``$('Node').all()`` gives, that input item (``$input.item``); anything else unknown."""
    if value == FIXED:
        return FIXED
    if value.level == RAW and value.reads and not value.composite and all(
            r.endswith(".all()") for r in value.reads):
        return Value(RAW, frozenset(r[:-len(".all()")] + ".item" for r in value.reads))
    return OPAQUE


def _unwrapped(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[-1]
    return node


def _literal_entry(node: Node) -> bool:
    """An element or entry of a literal made of literals only."""
    if node.type == "pair":
        value = node.child_by_field_name("value")
        key = node.child_by_field_name("key")
        return value is not None and key is not None and key.type != "computed_property_name" \
            and _literal_entry(value)
    if node.type in ("array", "object"):
        return all(_literal_entry(c) for c in node.named_children if c.type != "comment")
    return node.type in LITERALS or (node.type == "template_string"
                                     and string_text(node) is not None)


def _pairs(node: Node) -> Iterator[tuple[str | None, Node]]:
    """(key, value) of an object literal: ``None`` key for a spread, ``""`` for a computed
    key; methods and getters are left out."""
    for child in node.named_children:
        if child.type == "pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is None or value is None:
                continue
            if key.type == "computed_property_name":
                yield "", value
            elif key.type == "string":
                yield string_text(key) or "", value
            else:
                yield text(key), value
        elif child.type == "shorthand_property_identifier":
            yield text(child), child
        elif child.type == "spread_element" and child.named_children:
            yield None, child.named_children[0]


def _input_base(node: Node) -> str | None:
    """The input expression a member or call chain is (``$input.first().json``,
    ``$('Webhook').all()``), as written; None for anything else."""
    if node.end_byte - node.start_byte > 300:
        return None
    source = node.text or b""
    if not source.startswith(b"$"):
        return None
    found = text(node)
    return found if INPUT_BASE.fullmatch(found) else None


@dataclass(frozen=True)
class _Reading:
    """What one read of a code gives: the readable returned fields, every field returned
    items can have (or None), and what :meth:`_Reader.passed_input` says (None unless the
    code passes its input item on)."""

    fields: tuple[tuple[str, Value], ...] = ()
    closed: frozenset[str] | None = None
    passed: tuple[frozenset[str], frozenset[str]] | None = None


@lru_cache(maxsize=2048)
def _read(code: str) -> _Reading:
    """One parse and one walk of ``code`` for all three questions (the walk is most of the
    cost of reading a Code node: each question's own reader walked it again)."""
    body = function_body(code)
    if body is None:
        return _Reading()
    try:
        reader = _Reader(body)
    except RecursionError:  # code nested too deep to read: stays mix
        return _Reading()
    try:
        found = reader.returned_fields()
        fields = tuple((k, v) for k, v in (found or {}).items()
                       if v.reads is not None and v.level != QUOTED)
        closed = reader.closed_fields()
    except RecursionError:
        fields, closed = (), None
    try:
        passed = reader.passed_input() if _may_pass_input(code) else None
    except RecursionError:
        passed = None
    return _Reading(fields, closed, passed)


def code_field_values(code: str) -> Mapping[str, Value]:
    """Each returned field whose value this module can read (see :class:`_Reader`); read
    once per code text."""
    if not isinstance(code, str) or "return" not in code:
        return {}
    return dict(_read(code).fields)


def code_passed_input(code: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(fields every returned item sets, fields some set) when the code returns its input
    item spread in with fields of its own (see :meth:`_Reader.passed_input`); None when it
    does not say so plainly."""
    if not isinstance(code, str) or "return" not in code or not _may_pass_input(code):
        return None
    return _read(code).passed


def _may_pass_input(code: str) -> bool:
    """Can :meth:`_Reader.passed_input` find anything in ``code``? Only where it spreads an
    item in, names the input item whole or returns some of the input items: a text test
    spares the walk in most Code nodes."""
    return "..." in code or any(name in code for name in WHOLE_INPUT) or (
        ".filter(" in code or ".slice(" in code or ".sort(" in code)


def code_closed_fields(code: str) -> frozenset[str] | None:
    """Every field of the items the code returns, when it says so plainly (each returned
    item an object literal listing its fields, nothing spread in, no binary data handled);
    None when it does not."""
    if not isinstance(code, str) or "return" not in code or "binary" in code:
        return None
    return _read(code).closed
