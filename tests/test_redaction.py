"""The last pass over serialized JSON: every secret masked however a writer escaped it, and
the text still valid JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nocode import redaction, reporting
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


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(max_size=30), min_size=1, max_size=12),
       secret=st.text(min_size=6, max_size=16).filter(lambda s: s.strip() == s and not (
           s.isalpha() and len(s) < 12)),
       piece=st.integers(min_value=1, max_value=64))
def test_a_report_written_in_pieces_is_the_text_masked_whole(
        tmp_path_factory: pytest.TempPathFactory, values: list[str], secret: str,
        piece: int) -> None:
    """write_json masks line by line what one pass over the whole text masks, wherever the
    pieces are cut: beside escapes, at a secret's edge, in keys and nested lists."""
    data = {"findings": [{"message": f"{v}{secret}{v}", v: [secret, v]} for v in values],
            secret: values}
    redactor = Redactor([secret])
    path = tmp_path_factory.mktemp("report") / "f.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redaction, "WRITE_PIECE", piece)
        reporting.write_json(path, data, redactor)
    whole = redactor.json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    assert path.read_text(encoding="utf-8") == whole
    assert secret not in json.dumps(json.loads(whole), ensure_ascii=False)
