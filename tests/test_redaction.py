"""The last pass over serialized JSON: every secret masked however a writer escaped it, and
the text still valid JSON."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nocode.redaction import Redactor, mask

# Secrets that JSON escapes differently from how they read: quotes, backslashes, control and
# non-ASCII characters.
TRICKY = ['pa"ss\\word-1234', "tab\there-secret", "ünïcödé-Geheimnis-42", "nlead-secret-9"]


def test_secrets_are_masked_in_json_as_each_writer_escapes_them() -> None:
    redactor = Redactor(TRICKY)
    data = {"evidence": [f"x{s}y" for s in TRICKY], TRICKY[0]: "as a key"}
    for ascii_only in (False, True):
        text = redactor.json_text(json.dumps(data, ensure_ascii=ascii_only, indent=2))
        decoded = json.dumps(json.loads(text), ensure_ascii=False)
        assert not any(s in decoded for s in TRICKY)
        assert mask(TRICKY[2]) in text


def test_a_look_alike_stays_as_it_was() -> None:
    redactor = Redactor(["real-secret-value"])
    text = json.dumps({"a": "real-secret-valu", "b": "another value"})
    assert redactor.json_text(text) == text


def test_a_match_starting_inside_an_escape_takes_the_escape_with_it() -> None:
    # "\n" then "lead-secret-9" reads as newline + text, but its escaped form "\\nlead…"
    # holds "nlead-secret-9": the mask must not leave a lone backslash behind.
    redactor = Redactor(["nlead-secret-9"])
    text = redactor.json_text(json.dumps({"a": "line\nlead-secret-9 end"}))
    assert json.loads(text)["a"].startswith("line")


@settings(max_examples=300, deadline=None)
@given(secret=st.text(min_size=6, max_size=20).filter(lambda s: s.strip() == s and not (
    s.isalpha() and len(s) < 12)),
       prefix=st.text(max_size=8), suffix=st.text(max_size=8), ascii_only=st.booleans())
def test_json_stays_valid_and_secret_free(secret: str, prefix: str, suffix: str,
                                          ascii_only: bool) -> None:
    redactor = Redactor([secret])
    text = redactor.json_text(json.dumps([prefix + secret + suffix, secret],
                                         ensure_ascii=ascii_only))
    decoded = json.loads(text)  # still valid JSON
    assert secret not in decoded[1]
    assert secret not in json.dumps(decoded, ensure_ascii=False)
