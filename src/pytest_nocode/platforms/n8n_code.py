"""What an n8n Code node returns, field by field, when its JavaScript says so plainly.

The engine treats code as ``mix``: any input may reach any output field. Real workflows build
SQL in a Code node and run it in the next one (``={{ $json.query }}``), quoting every outside
value with a helper that doubles single quotes, cutting phone numbers to digits, or picking a
name from a constant map. This module reads the code's one returned object literal and, for
each field, says whether its value is *neutralised* (fixed text, digits, and values escaped
inside SQL quotes only) or a plain copy of named input fields (``sign: $json.sign.trim()``).
Anything it cannot read stays ``mix``: a helper that escapes nothing, a value put into SQL
unquoted after quote-escaping, a call it does not know.

Quote doubling is the SQL standard (PostgreSQL, SQL Server, SQLite); MySQL also reads
backslash escapes, so there a doubled quote alone is not enough: the caveat is the reader's.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

TEXT, QUOTED, RAW = 0, 1, 2  # safe anywhere; safe inside '…' only; carries its reads as they are


@dataclass(frozen=True)
class Value:
    """How safe a JavaScript value is as SQL text, and which input expressions it carries
    (``None``: anything the code sees)."""

    level: int
    reads: frozenset[str] | None = frozenset()


FIXED = Value(TEXT)
OPAQUE = Value(RAW, None)
_IDENT = r"[A-Za-z_$][\w$]*"
# the item, another node's output, or a field of either, as written in code
_INPUT = (r"\$json|\$input\.(?:first|last|item)(?:\(\s*\))?\.json|\$input\.all\(\s*\)|"
          r"\$\(\s*(['\"`]).+?\1\s*\)\.(?:(?:first\(\s*\)|last\(\s*\)|item)\.json|all\(\s*\))|"
          r"\$node\[\s*(['\"]).+?\2\s*\]\.json")
INPUT_BASE = re.compile(f"^(?:{_INPUT})$")
_PROP = re.compile(r"^(?:\??\.(" + _IDENT + r")|\[\s*(['\"])([^'\"]+)\2\s*\]|\[\s*(\d+)\s*\])")
_QUOTE_ESCAPE = re.compile(r"""\.replace(?:All)?\(\s*(?:/'/g|(['"])'\1)\s*,\s*"""
                           r"""(?:"''"|`''`|"\\\\'"|'\\\\'')\s*\)""")
_DIGITS_ONLY = re.compile(r"""\.replace(?:All)?\(\s*/\[\^0-9\]\+?/g\s*,\s*(['"])\1\s*\)|"""
                          r"""\.replace(?:All)?\(\s*/\\D\+?/g\s*,\s*(['"])\2\s*\)""")
_KEEPS = re.compile(r"^\.(?:trim|trimStart|trimEnd|toLowerCase|toUpperCase|toString|"
                    r"substring|substr|slice|padStart|padEnd|normalize)\(")
_NUMERIC_CALL = re.compile(r"^(?:parseInt|parseFloat|Number|Math\.\w+|Boolean)\s*\(")
_NUMERIC_TAIL = re.compile(r"^\.(?:toFixed\(|length\b|toISOString\(|getTime\()")
_LITERAL = re.compile(r"^(?:-?\d+(?:\.\d+)?|true|false|null|undefined|''|\"\"|\[\s*\]|\{\s*\})$")
_PLATFORM = re.compile(r"\$(?:execution|workflow|now|today|runIndex|itemIndex)")
_DECL = re.compile(r"\b(?:const|let|var)\s+(" + _IDENT + r")\s*=(?![=>])")
_ASSIGN = re.compile(r"(?<![\w$.])(" + _IDENT + r")\s*=(?![=>])")
_FUNC = re.compile(r"\bfunction\s+(" + _IDENT + r")\s*\(([^()]*)\)\s*\{")
_ARROW = re.compile(r"\b(?:const|let|var)\s+(" + _IDENT + r")\s*=\s*(?:\(([^()]*)\)|(" +
                    _IDENT + r"))\s*=>\s*")
_RETURN = re.compile(r"(?<![\w$.])return\b")
_CONST_MAP = re.compile(r"\bconst\s+(" + _IDENT + r")\s*=\s*\{")
_CLOSE = {"(": ")", "[": "]", "{": "}"}
_GROUP_SPECIAL = re.compile(r"[\"'`/()\[\]{}]")  # what a bracket group's scan stops at


def _skip_string(code: str, i: int) -> int:
    """The index after the string or template literal starting at ``code[i]``."""
    quote, i = code[i], i + 1
    while i < len(code):
        c = code[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if quote == "`" and code.startswith("${", i):
            i = _skip_group(code, i + 1)
            continue
        i += 1
    return i


def _skip_group(code: str, i: int) -> int:
    """The index after the bracket group opening at ``code[i]``."""
    stack = [_CLOSE[code[i]]]
    i += 1
    while stack:
        m = _GROUP_SPECIAL.search(code, i)  # jump to the next character that matters
        if m is None:
            return len(code)
        i = m.start()
        c = code[i]
        if c in "'\"`":
            i = _skip_string(code, i)
            continue
        if c == "/":
            if code.startswith("//", i):
                end = code.find("\n", i)
                i = len(code) if end < 0 else end
            elif code.startswith("/*", i):
                end = code.find("*/", i + 2)
                i = len(code) if end < 0 else end + 2
            elif _regex_may_start(code, i):
                i = _skip_regex(code, i)
            else:
                i += 1
            continue
        if c in _CLOSE:
            stack.append(_CLOSE[c])
        elif c == stack[-1]:
            stack.pop()
        i += 1
    return i


def _regex_may_start(code: str, i: int) -> bool:
    """Can a ``/`` at ``i`` open a regular expression (not divide)? By what precedes it."""
    j = i - 1
    while j >= 0 and code[j] in " \t\r\n":
        j -= 1
    return j < 0 or code[j] in "(,=:[!&|?{};+" or code.endswith("return", 0, j + 1)


def _skip_regex(code: str, i: int) -> int:
    i, in_class = i + 1, False
    while i < len(code) and code[i] != "\n":
        c = code[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < len(code) and code[i].isalpha():
                i += 1
            return i
        i += 1
    return i


def _expression_end(code: str, i: int) -> int:
    """Where the expression starting at ``i`` ends: a top-level ``;``, ``,``, a closing
    bracket, or a line break after which nothing continues it."""
    while i < len(code):
        c = code[i]
        if c in "'\"`":
            i = _skip_string(code, i)
        elif c in _CLOSE:
            i = _skip_group(code, i)
        elif c == "/" and _regex_may_start(code, i):
            i = _skip_regex(code, i)
        elif code.startswith("//", i) or code.startswith("/*", i) or c in ";,)]}":
            return i
        elif c == "\n":
            rest = code[i:].lstrip()
            if not rest or not re.match(r"[.?:+\-*|&]|\?\?", rest):
                return i
            i += 1
        else:
            i += 1
    return i


@functools.lru_cache(maxsize=64)
def _top_special(seps: tuple[str, ...]) -> re.Pattern[str]:
    """The characters :func:`_split_top` stops at: quotes, openers, ``/`` and the first
    character of each separator."""
    chars = set("'\"`/([{") | {s[0] for s in seps}
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def _split_top(expr: str, seps: tuple[str, ...]) -> list[str]:
    """``expr`` cut at each top-level separator of ``seps`` (longest first)."""
    parts, start, i = [], 0, 0
    special = _top_special(seps)
    while True:
        m = special.search(expr, i)  # jump to the next character that matters
        if m is None:
            break
        i = m.start()
        c = expr[i]
        if c in "'\"`":
            i = _skip_string(expr, i)
            continue
        if c in _CLOSE:
            i = _skip_group(expr, i)
            continue
        if c == "/" and _regex_may_start(expr, i):
            i = _skip_regex(expr, i)
            continue
        sep = next((s for s in seps if expr.startswith(s, i)), None)
        if sep == "?" and expr[i + 1:i + 2] in (".", "?"):
            sep = None  # optional chaining
        if sep == "+" and expr[i + 1:i + 2] in ("+", "="):
            sep = None
        if sep is not None:
            parts.append(expr[start:i])
            i = start = i + len(sep)
            continue
        i += 1
    parts.append(expr[start:])
    return parts


def _top_positions(expr: str, needle: str) -> list[int]:
    """Where ``needle`` occurs in ``expr`` outside strings and bracket groups."""
    parts = _split_top(expr, (needle,))
    out, at = [], 0
    for part in parts[:-1]:
        at += len(part)
        out.append(at)
        at += len(needle)
    return out


def _worst(values: list[Value]) -> Value:
    if any(v.reads is None for v in values):
        return Value(max(v.level for v in values), None)
    reads: frozenset[str] = frozenset().union(*(v.reads or frozenset() for v in values))
    return Value(max((v.level for v in values), default=TEXT), reads)


class CodeValues:
    """The variables, helpers and constant maps of one Code node, and what its values are."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.maps = self._constant_maps()
        self.helpers: dict[str, Value] = {}
        self.bodies: list[tuple[int, int]] = []
        self.names: dict[str, Value] = {}
        self.depths = _depths(code)
        self._read_helpers()
        self._read_variables()

    def _constant_maps(self) -> set[str]:
        """``const NAME = { 'a': 'x', … }`` whose values are all literals."""
        out = set()
        for m in _CONST_MAP.finditer(self.code):
            body = self.code[m.end() - 1:_skip_group(self.code, m.end() - 1)][1:-1]
            entries = [e for e in _split_top(body, (",",)) if e.strip()]
            if entries and all(len(kv := _split_top(e, (":",))) == 2 and
                               _is_literal_text(kv[1].strip()) for e in entries):
                out.add(m.group(1))
        return out

    def _read_helpers(self) -> None:
        """Functions defined in the code: what they return when given anything. A helper
        escapes only when every value it returns is escaped (``String(s).replace(/'/g,
        "''")``); one that returns its argument escapes nothing."""
        code = self.code
        found: list[tuple[str, int, int, bool]] = []  # name, start, end, braced
        for m in _FUNC.finditer(code):
            found.append((m.group(1), m.end() - 1, _skip_group(code, m.end() - 1), True))
        for m in _ARROW.finditer(code):
            braced = code.startswith("{", m.end())
            end = _skip_group(code, m.end()) if braced else _expression_end(code, m.end())
            found.append((m.group(1), m.end(), end, braced))
        for name, start, end, braced in found:
            self.bodies.append((start, end))
            body = code[start:end]
            returns = [body[r.end():_expression_end(body, r.end())]
                       for r in _RETURN.finditer(body)] if braced else [body]
            values = [self.value(r) for r in returns if r.strip()]
            self.helpers[name] = _worst(values) if values else OPAQUE
            if self.helpers[name].reads:  # what a helper returns of its own parameter
                self.helpers[name] = OPAQUE

    def _inside_helper(self, at: int) -> bool:
        return any(a <= at < b for a, b in self.bodies)

    def _read_variables(self) -> None:
        """Each variable's value after the code's last assignment to it; an assignment in a
        block it was not declared in may not run, so it only adds to what the name held."""
        code = self.code
        depth_at = self.depths
        declared: dict[str, int] = {}
        events = sorted([(m.start(1), m.group(1), m.end(), True) for m in _DECL.finditer(code)]
                        + [(m.start(1), m.group(1), m.end(), False)
                           for m in _ASSIGN.finditer(code)], key=lambda e: (e[0], not e[3]))
        seen_at: set[int] = set()
        for at, name, end, is_decl in events:
            if at in seen_at or self._inside_helper(at) or name in self.helpers:
                continue
            seen_at.add(at)
            if depth_at[at] < 0:
                continue  # inside a string or comment
            value = self.value(code[end:_expression_end(code, end)])
            if is_decl and name not in declared:
                declared[name] = depth_at[at]
                self.names[name] = value
            elif name in self.names and depth_at[at] > declared.get(name, 0):
                self.names[name] = _worst([self.names[name], value])
            else:
                self.names[name] = value if name in declared else OPAQUE

    # -- values ----------------------------------------------------------------------------
    def value(self, expr: str) -> Value:
        expr = expr.strip()
        if not expr:
            return OPAQUE
        for seps in (("??", "||"), ("?",)):
            parts = _split_top(expr, seps)
            if len(parts) > 1:
                if seps == ("?",):  # c ? a : b: the condition is not the value
                    branches = _split_top("?".join(parts[1:]), (":",))
                    return _worst([self.value(b) for b in branches]) if len(branches) == 2 \
                        else OPAQUE
                return _worst([self.value(p) for p in parts])
        parts = _split_top(expr, ("+",))
        if len(parts) > 1:
            return self._joined(parts)
        if expr[0] == "(" and _skip_group(expr, 0) == len(expr):
            return self.value(expr[1:-1])
        if _LITERAL.match(expr) or _is_literal_text(expr):
            return FIXED
        if expr[0] == "`" and _skip_string(expr, 0) == len(expr):
            return self._template(expr)
        return self._chain(expr)

    def _joined(self, parts: list[str]) -> Value:
        """``"'" + esc(x) + "'"``: quote-escaped values count inside written quotes only."""
        values, texts = [], []
        for part in parts:
            p = part.strip()
            texts.append(_literal_text(p))
            values.append(self.value(p))
        out = []
        for i, v in enumerate(values):
            if v.level == QUOTED:
                before = texts[i - 1] if i else None
                after = texts[i + 1] if i + 1 < len(texts) else None
                quoted = before is not None and after is not None and before.endswith("'") \
                    and after.startswith("'")
                out.append(FIXED if quoted else OPAQUE)
            else:
                out.append(v)
        return _worst(out)

    def _template(self, expr: str) -> Value:
        out, i, body = [], 1, expr
        while i < len(body) - 1:
            if body[i] == "\\":
                i += 2
                continue
            if body.startswith("${", i):
                end = _skip_group(body, i + 1)
                inner = self.value(body[i + 2:end - 1])
                if inner.level == QUOTED:
                    quoted = body[:i].endswith("'") and body[end:].startswith("'")
                    inner = FIXED if quoted else OPAQUE
                out.append(inner)
                i = end
                continue
            i += 1
        return _worst(out) if out else FIXED

    def _chain(self, expr: str) -> Value:
        """An identifier, an input path or a call, then ``.method()`` and ``.field`` steps."""
        m = re.match(r"(?:String|JSON\.stringify)\s*\(", expr)
        if m and _skip_group(expr, m.end() - 1) == len(expr) and expr.startswith("String"):
            return self.value(expr[m.end():-1])
        m = _NUMERIC_CALL.match(expr)
        if m and _skip_group(expr, m.end() - 1) == len(expr):
            return FIXED
        for at in reversed(_top_positions(expr, ".replace")):  # escaped whatever it was
            m = _QUOTE_ESCAPE.match(expr, at) or _DIGITS_ONLY.match(expr, at)
            if m:
                level = QUOTED if m.re is _QUOTE_ESCAPE else TEXT
                return self._tail(Value(level), expr[m.end():])
        head, rest = _head(expr)
        if head is None:
            return OPAQUE
        base = self._head_value(head)
        return self._tail(base, rest)

    def _head_value(self, head: str) -> Value:
        if head[:1] in ("'", '"', "`", "("):
            return self.value(head)
        m = re.fullmatch(r"(" + _IDENT + r")\s*\((.*)\)", head, re.S)
        if m and m.group(1) in self.helpers:
            return self.helpers[m.group(1)]
        m = re.fullmatch(r"(" + _IDENT + r")\s*\[(.*)\]", head, re.S)
        if m and m.group(1) in self.maps:
            return FIXED
        if m:  # an element of a variable: what the variable holds
            return self._tail(self.names.get(m.group(1), OPAQUE), f"[{m.group(2)}]")
        if INPUT_BASE.match(head):
            return Value(RAW, frozenset({head}))
        if _PLATFORM.fullmatch(head):
            return FIXED  # the execution's own id, the time
        if re.fullmatch(_IDENT, head):
            return self.names.get(head, OPAQUE)
        if head.startswith("new Date("):
            return FIXED
        return OPAQUE

    def _tail(self, value: Value, rest: str) -> Value:
        while rest.strip():
            rest = rest.strip()
            if (m := _QUOTE_ESCAPE.match(rest)) is not None:
                value, rest = Value(QUOTED), rest[m.end():]
            elif (m := _DIGITS_ONLY.match(rest)) is not None:
                value, rest = FIXED, rest[m.end():]
            elif (m := _NUMERIC_TAIL.match(rest)) is not None:
                end = _skip_group(rest, m.end() - 1) if rest[m.end() - 1] == "(" else m.end()
                value, rest = FIXED, rest[end:]
            elif (m := _KEEPS.match(rest)) is not None:
                rest = rest[_skip_group(rest, m.end() - 1):]
            elif (m := _PROP.match(rest)) is not None and value == FIXED:
                rest = rest[m.end():]  # a part of fixed data is fixed
            elif (m := _PROP.match(rest)) is not None and value.level == RAW and value.reads:
                key = m.group(1) or m.group(3) or ""
                step = f"[{m.group(4)}]" if m.group(4) else f".{key}" if re.fullmatch(
                    r"\w+", key) else f"[{key!r}]"
                value = Value(RAW, frozenset(r + step for r in value.reads))
                rest = rest[m.end():]
            else:
                return OPAQUE
        return value

    # -- what the code returns -------------------------------------------------------------
    def _object_named(self, expr: str) -> str:
        """``return [result]`` where ``const result = {…}`` is never changed afterwards: the
        object literal itself; any other expression as it is."""
        m = re.fullmatch(r"\[?\s*(" + _IDENT + r")\s*\]?", expr)
        if not m or (expr.startswith("[") != expr.endswith("]")):
            return expr
        name = m.group(1)
        decl = re.search(r"\bconst\s+" + re.escape(name) + r"\s*=\s*(?=\{)", self.code)
        if decl is None or re.search(r"(?<![\w$.])" + re.escape(name) +
                                     r"\s*(?:\.[\w$]+|\[[^\]]*\])\s*=(?!=)", self.code):
            return expr
        literal = self.code[decl.end():_skip_group(self.code, decl.end())]
        return f"[{literal}]" if expr.startswith("[") else literal

    def returned_fields(self) -> dict[str, Value] | None:
        """Field → value for the items the code returns, when every ``return`` outside its
        helpers is an object literal (alone, in ``[{…}]`` or as ``{json: {…}}``) or returns
        no item; None when one is anything else. A field a return leaves out while it
        spreads something in (``...input``) is not listed."""
        code, objects = self.code, []
        depths = self.depths
        for r in _RETURN.finditer(code):
            if self._inside_helper(r.start()) or depths[r.start()] < 0:
                continue
            expr = code[r.end():_expression_end(code, r.end())].strip()
            if expr in ("", "[]", "null", "undefined"):
                continue
            obj = _item_object(self._object_named(expr))
            if obj is None:
                return None
            objects.append(obj)
        if not objects:
            return None
        fields: dict[str, list[Value]] = {}
        spreads = [any(k is None for k, _ in obj) for obj in objects]
        for obj in objects:
            for key, expr in obj:
                if key is not None:
                    fields.setdefault(key, []).append(self.value(expr))
        out = {}
        for key, values in fields.items():
            missing = sum(1 for obj in objects if all(k != key for k, _ in obj))
            if missing and any(s for s, obj in zip(spreads, objects, strict=True)
                               if all(k != key for k, _ in obj)):
                continue
            out[key] = _worst(values)
        return out


_DEPTH_SPECIAL = re.compile(r"[\"'`/{}]")  # what changes the depth or opens a non-code span


def _depths(code: str) -> list[int]:
    """Brace depth at each character; -1 inside strings, comments and regular expressions."""
    n = len(code)
    out = [0] * (n + 1)
    depth, i = 0, 0
    while i < n:
        m = _DEPTH_SPECIAL.search(code, i)
        stop = n if m is None else m.start()
        if stop > i:  # plain code: the depth holds until the next character that matters
            out[i:stop] = [depth] * (stop - i)
            i = stop
            if m is None:
                break
        c = code[i]
        start = i
        if c in "'\"`":
            i = _skip_string(code, i)
        elif code.startswith("//", i):
            end = code.find("\n", i)
            i = n if end < 0 else end
        elif code.startswith("/*", i):
            end = code.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == "/" and _regex_may_start(code, i):
            i = _skip_regex(code, i)
        else:
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            out[i] = depth
            i += 1
            continue
        stop = min(i, n)
        out[start:stop] = [-1] * (stop - start)
    return out


def _head(expr: str) -> tuple[str | None, str]:
    """The first part of a member/call chain (an input path counts as one) and the rest."""
    m = re.match(_INPUT, expr)
    if m:
        return m.group(0), expr[m.end():]
    if expr[:1] in ("'", '"', "`"):
        end = _skip_string(expr, 0)
        return expr[:end], expr[end:]
    if expr[:1] == "(":
        end = _skip_group(expr, 0)
        return expr[:end], expr[end:]
    m = re.match(r"Date\.now\(\s*\)|Math\.\w+\s*\(", expr)  # a time or a number
    if m:
        end = m.end() if m.group(0).startswith("Date") else _skip_group(expr, m.end() - 1)
        return "new Date()", expr[end:]
    m = re.match(r"new\s+Date\s*\(", expr)
    if m:
        end = _skip_group(expr, m.end() - 1)
        return "new Date(" + ")", expr[end:]
    m = re.match(_IDENT, expr)
    if not m:
        return None, expr
    end = m.end()
    rest = expr[end:].lstrip()
    if rest[:1] in ("(", "["):
        at = len(expr) - len(rest)
        close = _skip_group(expr, at)
        return expr[:close], expr[close:]
    return expr[:end], expr[end:]


def _is_literal_text(expr: str) -> bool:
    if _LITERAL.match(expr):
        return True
    if expr[:1] in ("'", '"') and _skip_string(expr, 0) == len(expr):
        return True
    return expr[:1] == "`" and "${" not in expr and _skip_string(expr, 0) == len(expr)


def _literal_text(expr: str) -> str | None:
    """The text of a string literal (None for anything else)."""
    if expr[:1] in ("'", '"', "`") and _skip_string(expr, 0) == len(expr) and "${" not in expr:
        return expr[1:-1]
    return None


def _item_object(expr: str) -> list[tuple[str | None, str]] | None:
    """The (key, value) entries of the item an expression returns (``None`` key: a spread)."""
    expr = expr.strip()
    if expr.startswith("[") and _skip_group(expr, 0) == len(expr):
        items = [e for e in _split_top(expr[1:-1], (",",)) if e.strip()]
        if len(items) != 1:
            return None
        expr = items[0].strip()
    if not (expr.startswith("{") and _skip_group(expr, 0) == len(expr)):
        return None
    entries = list(_entries(expr[1:-1]))
    wrapped = next((v for k, v in entries if k == "json"), None)  # {json: {…}, binary: …}
    if wrapped is not None:
        inner = wrapped.strip()
        if inner.startswith("{") and _skip_group(inner, 0) == len(inner):
            return list(_entries(inner[1:-1]))
        return None
    return entries


def _without_comments(expr: str) -> str:
    out, i, start = [], 0, 0
    while i < len(expr):
        if expr[i] in "'\"`":
            i = _skip_string(expr, i)
        elif expr.startswith("//", i) or expr.startswith("/*", i):
            out.append(expr[start:i])
            end = expr.find("\n" if expr[i + 1] == "/" else "*/", i + 2)
            i = start = len(expr) if end < 0 else end + (0 if expr[i + 1] == "/" else 2)
        else:
            i += 1
    return "".join(out) + expr[start:]


def _entries(body: str) -> Iterator[tuple[str | None, str]]:
    for entry in _split_top(body, (",",)):
        entry = _without_comments(entry).strip()
        if not entry:
            continue
        if entry.startswith("..."):
            yield None, entry[3:]
            continue
        kv = _split_top(entry, (":",))
        key = kv[0].strip().strip("'\"")
        if len(kv) == 1 and re.fullmatch(_IDENT, key):
            yield key, key  # shorthand {query}
        elif len(kv) >= 2 and re.fullmatch(r"[\w$]+", key):
            yield key, ":".join(kv[1:])


def code_field_values(code: str) -> Mapping[str, Value]:
    """Each returned field whose value this module can read (see :class:`CodeValues`)."""
    try:
        fields = CodeValues(code).returned_fields()
    except (IndexError, KeyError, RecursionError):  # code too odd to read: stays mix
        return {}
    return {k: v for k, v in (fields or {}).items() if v.reads is not None and v.level != QUOTED}
