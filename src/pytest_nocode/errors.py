"""Errors that end as one clear line for the user, never as a traceback.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import codecs
from pathlib import Path

# Byte-order marks and the codec each announces, longest first: a UTF-32 LE mark begins
# with the UTF-16 LE one. PowerShell's `>` writes UTF-16 LE with a mark; editors on Windows
# often put one before UTF-8.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                    (codecs.BOM_UTF16_BE, "utf-16"))


class NocodeError(Exception):
    """Base of every error the plugin reports to the user as a single line."""


class InputError(NocodeError):
    """Something the user gave is wrong: an app URI, a file, a policy. Fix it and re-run."""


class FetchError(NocodeError):
    """Live data could not be fetched completely; checks on that app must error, not pass."""


class SchemaError(InputError):
    """A snapshot or export does not have the shape its platform writes."""


def read_input_file(path: Path, shown: str, expected: str = "a file",
                    encoding: str | None = "utf-8") -> str:
    """The text of a file the user named; an InputError starting with ``shown`` otherwise.
    ``encoding=None`` reads it in the encoding its byte-order mark names, UTF-8 without one
    (exports saved on Windows: backups a shell redirection wrote as UTF-16)."""
    try:
        if encoding is not None:
            return path.read_text(encoding=encoding)
        raw = path.read_bytes()
        marked = next((codec for mark, codec in BYTE_ORDER_MARKS if raw.startswith(mark)),
                      "utf-8")
        return raw.decode(marked)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot read: {exc}") from None
