"""Token shapes: detect-secrets' regex plugins (and a few it lacks), run fast.

Running ~45 plugin patterns (or their union: Python's re tries every branch at every
position) over each string is what makes a naive scan slow. Each pattern is therefore
reduced to literals every match must contain (read from the compiled pattern's parse tree),
and one trigger regex made of those literals tells, in one C-level pass, whether any plugin
can match at all. Only then are the plugins whose literals are present searched.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Patterns", "has_key_body", "patterns", "private_key_block", "widen"]

# detect-secrets plugins we leave out: public IPs are not secrets; Basic-auth URLs are our
# URL rule (which knows placeholders and templating); entropy and keyword plugins are not
# regex plugins and are replaced by the context rules (detectors.py).
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "BasicAuthDetector"})


class _ExtraDetector:
    """A token shape detect-secrets 1.5 lacks, with the plugin interface we call."""

    def __init__(self, kind: str, pattern: str) -> None:
        self.secret_type = kind
        self.denylist = (re.compile(pattern),)

    def analyze_string(self, string: str) -> Iterator[str]:
        for regex in self.denylist:
            yield from regex.findall(string)


_EXTRA_DETECTORS = (
    _ExtraDetector("Google API Key", r"AIza[0-9A-Za-z_\-]{35}"),
    _ExtraDetector("GitHub Token", r"github_pat_[0-9A-Za-z_]{60,}"),
    _ExtraDetector("OpenAI Token", r"sk-(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{40,}"),
    _ExtraDetector("Anthropic API Key", r"sk-ant-(?:api|admin)\d\d-[0-9A-Za-z_\-]{80,}"),
    # Portainer's API access tokens: ptr_ and 32 random bytes in base64 (admin of the Docker
    # hosts it manages)
    _ExtraDetector("Portainer Access Token", r"\bptr_[0-9A-Za-z+/]{42,43}=?(?![0-9A-Za-z+/_])"),
)


# Necessary condition of detect-secrets' `build_assignment_regex` shape (IBM, Cloudant,
# SoftLayer): a keyword, optional quote/bracket, an assignment, then a value of >= 24
# characters of [a-z0-9_-]. Tested on the lower-cased text.
_ASSIGNMENT_GATE = r"(?:key|pw|pass|token)[\"']?\]? *(?:=>|:=|::|[=:]| ) *[\"']?[a-z0-9_\-]{24}"
_ASSIGNMENT_SIGNATURE = r"(?:(?<=\W)|(?<=^))"
_MIN_TRIGGER = 3  # a literal shorter than this is no filter: the pattern is its own trigger


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    gates: tuple[tuple[str, ...], ...]  # every match contains one literal of each tuple
    folded: bool  # gates are lower-case (IGNORECASE pattern): test them on the lowered text
    assignment: bool  # build_assignment_regex-shaped: must also pass _ASSIGNMENT_GATE

    def may_match(self, text: str, low: str, assignment_gate: re.Pattern[str]) -> bool:
        hay = low if self.folded else text
        for alternatives in self.gates:
            if not any(a in hay for a in alternatives):
                return False
        return not self.assignment or assignment_gate.search(low) is not None


@dataclass(frozen=True)
class Patterns:
    trigger: re.Pattern[str]  # strong literals, on the text: some `strong` pattern may match
    trigger_folded: re.Pattern[str] | None  # the same for IGNORECASE patterns, lowered text
    assignment_gate: re.Pattern[str]
    strong: tuple[_Pattern, ...]  # searched only when a trigger fires
    weak_trigger: re.Pattern[str]  # short literals (`AC`, `gh`): some `weak` may match
    weak: tuple[_Pattern, ...]
    solo: tuple[_Pattern, ...]  # one-character literals (`.`, `:`): gated one by one
    plugins: tuple[tuple[str, Any], ...]  # (secret_type, plugin instance), to name a match

    def candidates(self, text: str, low: str) -> list[int]:
        """Start offsets of plugin matches in ``text`` (``low`` is it lower-cased); empty for
        most strings, and fast."""
        gate = self.assignment_gate
        found = [m.start() for p in self.solo if p.may_match(text, low, gate)
                 for m in p.regex.finditer(text)]
        if self.weak_trigger.search(text) is not None:
            found += [m.start() for p in self.weak if p.may_match(text, low, gate)
                      for m in p.regex.finditer(text)]
        if self.trigger.search(text) is not None or (
                self.trigger_folded is not None and self.trigger_folded.search(low)):
            found += [m.start() for p in self.strong if p.may_match(text, low, gate)
                      for m in p.regex.finditer(text)]
        return found


def _required_literals(pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
    """Literals every match of ``pattern`` contains, as a list of any-of tuples.

    Reads the top level of the parse tree only (literal runs, groups, alternations whose
    every branch starts with a literal); anything it does not understand adds no condition,
    so the result is always a necessary condition. Empty when the parser is unavailable.
    """
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
        tree = parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a different Python's private API: no gates, never wrong
        return []

    def prefix(seq: Any) -> str:
        out = ""
        for op, av in seq:
            if op is not c.LITERAL:
                break
            out += chr(av)
        return out

    def branch(alternatives: Any) -> list[tuple[str, ...]]:
        heads = tuple(prefix(alt) for alt in alternatives)
        return [heads] if all(heads) else []

    def walk(seq: Any) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        run = ""
        for op, av in seq:
            if op is c.LITERAL:
                run += chr(av)
                continue
            if run:
                found.append((run,))
                run = ""
            if op is c.SUBPATTERN:
                inner = av[3]
                if len(inner.data) == 1 and inner.data[0][0] is c.BRANCH:
                    found += branch(inner.data[0][1][1])
                else:
                    found += walk(inner.data)
            elif op is c.BRANCH:
                found += branch(av[1])
        if run:
            found.append((run,))
        return found

    literals = walk(tree.data)
    if pattern.flags & re.IGNORECASE:
        literals = [tuple(a.lower() for a in alts) for alts in literals]
    return literals


@lru_cache(maxsize=1)
def patterns() -> Patterns:
    """detect-secrets' regex plugins, instantiated once, with their trigger.

    Only plugins deriving from ``RegexBasedDetector`` are used: their ``analyze_string`` is
    pure (no settings, no network verification) and their ``denylist`` gives the triggers.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    plugins: list[tuple[str, Any]] = []
    strong: list[_Pattern] = []
    weak: list[_Pattern] = []
    solo: list[_Pattern] = []
    cased: set[str] = set()
    weak_literals: set[str] = set()
    folded: set[str] = set()
    chosen: list[tuple[str, Any]] = [
        (kind, cls()) for kind, cls in sorted(get_mapping_from_secret_type_to_class().items())
        if issubclass(cls, RegexBasedDetector) and cls.__name__ not in _SKIPPED_PLUGINS]
    chosen += [(extra.secret_type, extra) for extra in _EXTRA_DETECTORS]
    for kind, plugin in chosen:
        plugins.append((kind, plugin))
        for regex in plugin.denylist:
            gates = tuple(_required_literals(regex))
            is_folded = bool(regex.flags & re.IGNORECASE)
            assignment = regex.pattern.startswith(_ASSIGNMENT_SIGNATURE)
            pattern = _Pattern(kind, regex, gates, is_folded, assignment)
            best = max(gates, key=lambda alts: min(map(len, alts)), default=())
            if assignment:
                folded.add(_ASSIGNMENT_GATE)
            elif best and min(map(len, best)) >= _MIN_TRIGGER:
                (folded if is_folded else cased).update(re.escape(a) for a in best)
            elif best and not is_folded and min(map(len, best)) > 1:
                weak_literals.update(re.escape(a) for a in best)
                weak.append(pattern)
                continue
            else:
                solo.append(pattern)
                continue
            strong.append(pattern)

    def union(parts: set[str]) -> str:
        return "|".join(sorted(parts, key=lambda p: (-len(p), p)))

    return Patterns(re.compile(union(cased) or "(?!)"),
                      re.compile(union(folded)) if folded else None,
                      re.compile(_ASSIGNMENT_GATE), tuple(strong),
                      re.compile(union(weak_literals) or "(?!)"), tuple(weak), tuple(solo),
                      tuple(plugins))


_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-]")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


_NAMED_MATCH = re.compile(r"^[A-Za-z]+=")


def widen(line: str, found: str) -> str:
    """The whole secret of a pattern match: to the end of the token (Stripe's regex stops at
    24 characters and the redactor must mask all of it), without a ``Name=`` the pattern
    includes (Azure's ``AccountKey=``). Never leftwards: ``…/bot<telegram token>``."""
    start = line.find(found)
    if start < 0:
        return found
    end = start + len(found)
    while end < len(line) and _TOKEN_CHAR.match(line[end]):
        end += 1
    value = line[start:end]
    named = _NAMED_MATCH.match(value)
    return value[named.end():] if named and named.end() < len(value) else value


def private_key_block(text: str, line_begin: int) -> tuple[str, int]:
    """The PEM/PuTTY block starting on a line, and where it ends: the value to hide."""
    line_end = text.find("\n", line_begin)
    begin = text.find("-----BEGIN", line_begin, line_end if line_end >= 0 else len(text))
    if begin < 0:
        begin = line_begin
    end = _PEM_END.search(text, begin)
    stop = end.end() if end else len(text)
    return text[begin:stop].strip(), stop


_KEY_BODY = re.compile(r"(?:[A-Za-z0-9+/=]|\\n|\s){64,}")


def has_key_body(block: str) -> bool:
    """A header alone (code testing for "-----BEGIN PRIVATE KEY") is not a key."""
    return any(len(re.sub(r"\\n|\s", "", m.group(0))) >= 64
               for m in _KEY_BODY.finditer(block))

