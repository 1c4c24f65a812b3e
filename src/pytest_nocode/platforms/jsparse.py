"""JavaScript as the platforms' code nodes hold it: parsed once per code text, and the small
facts about JavaScript that the Node-RED function reader and the n8n Code-node reader share
(which calls and operators make a number, which ``replace`` calls escape quotes or cut text to
digits, how a member chain, a pattern or an object literal is laid out).

What a node's code means for its platform (``msg`` and ``node.send`` in Node-RED, ``$json``
and ``return [{json: …}]`` in n8n) stays in that platform's adapter.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import tree_sitter
import tree_sitter_javascript

# Both platforms run a node's code as the body of an async function: wrapping it so makes a
# top-level `return` and `await` valid JavaScript.
_PREFIX = "async function __node_code__() {\n"
_SUFFIX = "\n}"

FUNCTIONS = frozenset({"function_declaration", "function_expression", "arrow_function",
                       "method_definition", "generator_function_declaration",
                       "generator_function"})
LITERALS = frozenset({"string", "number", "true", "false", "null", "undefined", "regex"})
CONSTANT_NAMES = frozenset({"undefined", "NaN", "Infinity"})
# Whatever goes in, a number (or a boolean) comes out: no SQL text, no shell word.
NUMERIC_CALLS = frozenset({"Number", "parseInt", "parseFloat", "isNaN", "isFinite", "Boolean"})
NUMERIC_METHODS = frozenset({"toFixed", "getTime", "valueOf", "getFullYear", "getMonth",
                             "getDate", "getDay", "getHours", "getMinutes", "getSeconds",
                             "getMilliseconds", "indexOf", "includes", "startsWith",
                             "endsWith", "test", "hasOwnProperty", "some", "every"})
NUMERIC_PROPERTIES = frozenset({"length"})
NUMERIC_OPERATORS = frozenset({"-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", ">>>",
                               "==", "===", "!=", "!==", "<", ">", "<=", ">=", "instanceof",
                               "in"})
NUMERIC_UNARY = frozenset({"!", "-", "+", "~", "typeof", "void", "delete"})
# regular expressions whose matches `.replace(re, '')` removes to leave only digits
_NOT_DIGITS = frozenset({"[^0-9]", "[^0-9]+", "\\D", "\\D+", "[^\\d]", "[^\\d]+"})
# what a quote becomes when escaped: doubled (the SQL standard) or backslashed (MySQL)
_ESCAPED_QUOTES = frozenset({"''", "\\'"})  # the texts '' and \'  (as JavaScript reads them)


@lru_cache(maxsize=1)
def _language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_javascript.language())


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(_language())


@lru_cache(maxsize=8)
def query(source: str) -> tree_sitter.Query:
    """A tree-sitter query over JavaScript: it finds nodes in C, where a walk in Python over
    every node of a large code costs more than parsing it."""
    return tree_sitter.Query(_language(), source)


def captures(source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    """Each capture's nodes in source order: py-tree-sitter 0.26 returns them in an order that
    varies from call to call, and readers that keep the first binding of a name must not."""
    found = tree_sitter.QueryCursor(query(source)).captures(node)
    return {name: sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
            for name, nodes in found.items()}


@lru_cache(maxsize=64)  # a tree holds its whole text and nodes: keep the recent ones
def _parsed(code: str) -> tree_sitter.Tree:
    # a lone surrogate (a JSON "\udc00" escape, kept by an app built in Python) has no UTF-8
    # form: it becomes "?" in the text parsed, which changes no property or origin
    return _parser().parse(f"{_PREFIX}{code}{_SUFFIX}".encode(errors="replace"))


def function_body(code: str) -> tree_sitter.Node | None:
    """The statement block a node's code is, parsed once per code text (the same code is read
    by several checks and repeats across an estate's workflows); None when it does not parse."""
    root = _parsed(code).root_node
    if root.has_error or not root.named_children:
        return None
    return root.named_children[0].child_by_field_name("body")


def code_root(code: str) -> tree_sitter.Node:
    """The root of the same parse, errors and all: for searches that do not need the code to
    be whole."""
    return _parsed(code).root_node


# -- small AST helpers ----------------------------------------------------------------------------
def text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def operator(node: tree_sitter.Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return text(op)
    for child in node.children:
        if not child.is_named:
            return text(child)
    return ""


def string_text(node: tree_sitter.Node) -> str | None:
    """The text a string literal (or a template literal without substitutions) writes, as
    written between its quotes; None for anything else."""
    if node.type == "string" or (node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children)):
        return text(node)[1:-1]
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def string_value(node: tree_sitter.Node) -> str | None:
    """The text a string literal (or a template literal without substitutions) stands for,
    its escapes read as JavaScript reads them (``"\\'"`` is a lone quote, ``"\\\\'"`` a
    backslash and a quote); None for anything else."""
    if string_text(node) is None:
        return None
    out = []
    for child in node.named_children:
        part = text(child)
        if child.type == "escape_sequence" and len(part) >= 2:
            part = _ESCAPES.get(part[1], part[1]) if len(part) == 2 else part
        out.append(part)
    return "".join(out)


def params(parameters: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if parameters is None:
        return []
    if parameters.type == "identifier":
        return [parameters]
    return [p for p in parameters.named_children if p.type != "comment"]


def function_params(function: tree_sitter.Node) -> list[tree_sitter.Node]:
    return params(function.child_by_field_name("parameters") or
                  function.child_by_field_name("parameter"))


def pattern_names(pattern: tree_sitter.Node) -> Iterator[str]:
    """The names a declaration or parameter pattern binds (``{a, b: c}``, ``[x, ...y]``)."""
    t = pattern.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        yield text(pattern)
    elif t == "pair_pattern":
        value = pattern.child_by_field_name("value")
        if value is not None:
            yield from pattern_names(value)
    elif t == "assignment_pattern":
        left = pattern.child_by_field_name("left")
        if left is not None:
            yield from pattern_names(left)
    elif t in ("object_pattern", "array_pattern", "rest_pattern", "object_assignment_pattern"):
        for child in pattern.named_children:
            yield from pattern_names(child)
    elif t in ("lexical_declaration", "variable_declaration"):  # for (const x of …)
        for child in pattern.named_children:
            name = child.child_by_field_name("name")
            if name is not None:
                yield from pattern_names(name)


def member_root(node: tree_sitter.Node) -> tuple[tree_sitter.Node | None, str, bool]:
    """(the identifier at the root of ``a.b.c``/``a["b"][i]``, its first property or "*" when
    computed, whether the expression is that first property itself)."""
    chain: list[tree_sitter.Node] = []
    current = node
    while current.type in ("member_expression", "subscript_expression"):
        chain.append(current)
        obj = current.child_by_field_name("object")
        if obj is None:
            return None, "*", False
        current = obj
    if current.type != "identifier" or not chain:
        return (current if current.type == "identifier" else None), "*", False
    first = chain[-1]
    if first.type == "member_expression":
        prop = first.child_by_field_name("property")
        name = text(prop) if prop is not None else "*"
    else:
        index = first.child_by_field_name("index")
        name = text(index)[1:-1] if index is not None and index.type == "string" else "*"
    return current, name or "*", len(chain) == 1


def object_pairs(node: tree_sitter.Node) -> Iterator[tuple[str, tree_sitter.Node]]:
    """(key, value) of an object literal; a spread or computed key is ``"*"``."""
    for child in node.named_children:
        if child.type == "pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is None or value is None:
                continue
            name = text(key)
            if key.type == "string":
                name = name[1:-1]
            elif key.type == "computed_property_name":
                name = "*"
            yield name, value
        elif child.type == "shorthand_property_identifier":
            yield text(child), child
        elif child.type == "spread_element" and child.named_children:
            yield "*", child.named_children[0]


def own_returns(body: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """The return statements of one function, not of the functions nested in it."""
    for child in body.named_children:
        if child.type == "return_statement":
            yield child
        elif child.type not in FUNCTIONS:
            yield from own_returns(child)


# -- neutralisers -------------------------------------------------------------------------------
def _replace_args(call: tree_sitter.Node) -> tuple[str, tree_sitter.Node, str] | None:
    """(method, what is replaced, the replacement's text) of ``x.replace(a, "b")`` or
    ``x.replaceAll(a, "b")``; None for any other call."""
    callee = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if callee is None or callee.type != "member_expression" or args is None:
        return None
    prop = callee.child_by_field_name("property")
    method = text(prop) if prop is not None else ""
    values = [a for a in args.named_children if a.type != "comment"]
    if method not in ("replace", "replaceAll") or len(values) != 2:
        return None
    replacement = string_value(values[1])
    return None if replacement is None else (method, values[0], replacement)


def _every(method: str, pattern: tree_sitter.Node) -> str | None:
    """The text a replace call's first argument matches at every occurrence: a regular
    expression with the ``g`` flag, or a string given to ``replaceAll`` (``replace`` with a
    string changes the first occurrence only)."""
    if pattern.type == "regex":
        body = pattern.child_by_field_name("pattern")
        flags = pattern.child_by_field_name("flags")
        if body is None or flags is None or "g" not in text(flags):
            return None
        return "'" if text(body) == "\\'" else text(body)  # /\'/g is /'/g
    found = string_value(pattern)
    return found if found is not None and method == "replaceAll" else None


def escapes_quotes(call: tree_sitter.Node) -> bool:
    """``s.replace(/'/g, "''")``, ``s.replaceAll("'", "\\\\'")``: every single quote of the
    text is escaped, so it stays inside the SQL quotes it is put between."""
    found = _replace_args(call)
    return found is not None and found[2] in _ESCAPED_QUOTES and _every(found[0],
                                                                        found[1]) == "'"


def keeps_digits_only(call: tree_sitter.Node) -> bool:
    """``s.replace(/[^0-9]/g, '')``, ``s.replace(/\\D+/g, '')``: only digits are left."""
    found = _replace_args(call)
    return found is not None and found[2] == "" and found[1].type == "regex" \
        and _every(found[0], found[1]) in _NOT_DIGITS


# `[^…]` whose class holds letters, digits, the underscore and the hyphen only (a-z, A-Z, 0-9,
# \d, \w, _, -)
_NOT_WORD = re.compile(r"\[\^(?:a-z|A-Z|0-9|\\d|\\w|_|-|\\-)+\]\+?|\\W\+?")
# what such an allowlist may put in place of what it drops: nothing, or a slug's separator
_WORD_FILLS = re.compile(r"[\w-]*")


def keeps_word_characters_only(call: tree_sitter.Node) -> bool:
    """``s.replace(/[^a-z0-9]/g, '')``, ``s.replace(/\\W/g, '')``, a slug's
    ``s.replace(/[^a-z0-9-_]/gi, '-')``: an allowlist that leaves letters, digits,
    underscores and hyphens only, so no quote, space, ``/``, ``.``, ``?`` or ``;`` (a
    sanitiser for a URL path segment, a shell word or a quoted SQL value)."""
    found = _replace_args(call)
    every = _every(found[0], found[1]) if found is not None \
        and _WORD_FILLS.fullmatch(found[2]) and found[1].type == "regex" else None
    return every is not None and _NOT_WORD.fullmatch(every) is not None


# -- what code reads of one value -----------------------------------------------------------------
# Array methods whose answer is one element of the array they are called on, or a part of it
_ELEMENT_PICKS = frozenset({"find", "findLast", "at", "pop", "shift"})
_PART_PICKS = frozenset({"filter", "slice", "sort", "reverse", "concat", "flat", "toSorted",
                         "toReversed"})
# Array methods that call back with each element as the first parameter
_ELEMENT_CALLBACKS = frozenset({"find", "findLast", "findIndex", "filter", "map", "forEach",
                                "some", "every", "flatMap", "sort"})
# Calls that hand back (a view of) their first argument: JSON.parse(msg.payload)
_SAME_VALUE_CALLS = frozenset({"JSON.parse", "Object.values", "Object.assign", "structuredClone"})
_READ_NODES = ("(variable_declarator) @d (assignment_expression) @a (for_in_statement) @f "
               "(call_expression) @c (member_expression) @m (subscript_expression) @s")
_ALIAS_ROUNDS = 4  # a chain of aliases (users → u → auth) settles in as many rounds


def paths_read(code: str, base: str) -> tuple[str, ...]:
    """The property paths JavaScript ``code`` reads beneath the value ``base`` names
    (``msg.payload`` → ``msg.payload.usersList[].auth.password_hash``), following local
    variables bound to a part of it (``const auth = u.auth || {}``), destructuring, loop
    variables over it (``for (const u of users)``) and the element parameter of array
    callbacks (``users.find(u => …)``). What a step does with the value it was given is what
    these paths name; code that does not parse reads nothing the analysis can name."""
    root = code_root(code)
    found = captures(_READ_NODES, root)
    aliases: dict[str, str] = {}
    # a node spells ``base`` only if its source is as many bytes long: most nodes are told
    # apart by their span, without decoding their text (which for a call or a member chain
    # is long, and is asked at every level of it); the span says nothing of other text
    size = len(base) if base.isascii() else None

    def path_of(node: tree_sitter.Node | None) -> str | None:
        if node is None:
            return None
        t = node.type
        if (size is None or node.end_byte - node.start_byte == size) and text(node) == base:
            return base
        if t == "identifier":
            return aliases.get(text(node))
        if t in ("parenthesized_expression", "await_expression", "non_null_expression"):
            return path_of(node.named_children[0] if node.named_children else None)
        if t == "binary_expression" and operator(node) in ("||", "??"):
            return path_of(node.child_by_field_name("left"))
        if t == "member_expression":
            prop = node.child_by_field_name("property")
            head = path_of(node.child_by_field_name("object"))
            return f"{head}.{text(prop)}" if head is not None and prop is not None else None
        if t == "subscript_expression":
            head = path_of(node.child_by_field_name("object"))
            index = node.child_by_field_name("index")
            key = string_value(index) if index is not None and index.type == "string" else None
            return None if head is None else f"{head}.{key}" if key else f"{head}[]"
        if t == "call_expression":
            function = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if function is None:
                return None
            if text(function) in _SAME_VALUE_CALLS and args is not None and args.named_children:
                return path_of(args.named_children[0])
            if function.type == "member_expression":
                method = text(function.child_by_field_name("property") or function)
                head = path_of(function.child_by_field_name("object"))
                if head is not None and method in _ELEMENT_PICKS:
                    return f"{head}[]"
                if head is not None and method in _PART_PICKS:
                    return head
        return None

    def bind(pattern: tree_sitter.Node | None, path: str) -> None:
        if pattern is None:
            return
        if pattern.type in ("identifier", "shorthand_property_identifier_pattern"):
            aliases.setdefault(text(pattern), path)
        elif pattern.type == "object_pattern":
            for child in pattern.named_children:
                key = child.child_by_field_name("key") if child.type == "pair_pattern" else \
                    child.child_by_field_name("left") \
                    if child.type == "object_assignment_pattern" else child
                value = child.child_by_field_name("value") if child.type == "pair_pattern" \
                    else key
                if key is not None:
                    bind(value, f"{path}.{text(key)}")
        elif pattern.type == "array_pattern":
            for child in pattern.named_children:
                bind(child, f"{path}[]")

    for _ in range(_ALIAS_ROUNDS):
        before = len(aliases)
        for node in found.get("d", ()):
            value = path_of(node.child_by_field_name("value"))
            if value is not None:
                bind(node.child_by_field_name("name"), value)
        for node in found.get("a", ()):
            value = path_of(node.child_by_field_name("right"))
            if value is not None:
                bind(node.child_by_field_name("left"), value)
        for node in found.get("f", ()):
            value = path_of(node.child_by_field_name("right"))
            kind = node.child_by_field_name("operator")
            if value is not None and kind is not None and text(kind) == "of":
                left = node.child_by_field_name("left")
                bind(next(iter(left.named_children), left) if left is not None
                     and left.type in ("lexical_declaration", "variable_declaration")
                     and left.named_children and left.named_children[0].type != "identifier"
                     else left, f"{value}[]")
        for node in found.get("c", ()):
            function = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if function is None or function.type != "member_expression" or args is None:
                continue
            method = function.child_by_field_name("property")
            head = path_of(function.child_by_field_name("object"))
            if head is None or method is None or text(method) not in _ELEMENT_CALLBACKS:
                continue
            for callback in args.named_children[:1]:
                if callback.type in ("arrow_function", "function_expression", "function"):
                    first = function_params(callback)[:1] or \
                        ([callback.child_by_field_name("parameter")]
                         if callback.child_by_field_name("parameter") else [])
                    for param in first:
                        bind(param, f"{head}[]")
        if len(aliases) == before:
            break
    reads = [path for node in (*found.get("m", ()), *found.get("s", ()))
             if not _called(node) and (path := path_of(node)) is not None and path != base]
    return tuple(dict.fromkeys(reads))


def _called(node: tree_sitter.Node) -> bool:
    """Is ``node`` the function a call calls (``users.find`` in ``users.find(…)``): a method
    of the value, not a field read from it?"""
    parent = node.parent
    return parent is not None and parent.type == "call_expression" \
        and parent.child_by_field_name("function") == node
