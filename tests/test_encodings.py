"""Exports saved on Windows: a byte-order mark names the encoding (PowerShell's `>` writes
UTF-16 LE with one); real garbage is still one clear error naming the file."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest

from pytest_nocode.errors import InputError
from pytest_nocode.platforms import read_json_file
from tests.fuzzing import scan

WORKFLOW = {"name": "Rückruf", "nodes": [
    {"name": "Hook", "type": "n8n-nodes-base.webhook", "parameters": {"path": "cb"}}],
    "connections": {}}
FLOWS = [{"id": "t1", "type": "tab", "label": "Küche"}]


@pytest.mark.parametrize("mark,codec", [
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (b"", "utf-8")])
def test_an_export_is_read_in_the_encoding_its_byte_order_mark_names(
        tmp_path: Path, mark: bytes, codec: str) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(mark + json.dumps(WORKFLOW, ensure_ascii=False).encode(codec))
    assert read_json_file(path) == WORKFLOW
    assert scan("n8n", path).kind == "scanned"


def test_a_node_red_export_written_as_utf16_scans(tmp_path: Path) -> None:
    path = tmp_path / "flows.json"
    path.write_bytes(codecs.BOM_UTF16_LE + json.dumps(FLOWS, ensure_ascii=False)
                     .encode("utf-16-le"))
    assert scan("nodered", path).kind == "scanned"


@pytest.mark.parametrize("raw", [
    b"\xff\xfe" + b"{\x00\x22",             # a UTF-16 mark, then an odd byte count: truncated
    b"{\"name\": \"\xff\xfe\"}",            # no mark at the start: UTF-8 that is not UTF-8
    "[]".encode("utf-16-le")])              # UTF-16 without a mark is not guessed at
def test_bytes_no_mark_explains_are_one_clear_error_naming_the_file(tmp_path: Path,
                                                                   raw: bytes) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(raw)
    shown = re.escape(str(path))
    with pytest.raises(InputError, match=rf"^{shown}(: cannot read|:\d+:\d+: invalid JSON)"):
        read_json_file(path)
    assert scan("n8n", path).kind == "rejected"
