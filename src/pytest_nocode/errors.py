"""Errors that end as one clear line for the user, never as a traceback.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pathlib import Path


class NocodeError(Exception):
    """Base of every error the plugin reports to the user as a single line."""


class InputError(NocodeError):
    """Something the user gave is wrong: an app URI, a file, a policy. Fix it and re-run."""


class FetchError(NocodeError):
    """Live data could not be fetched completely; checks on that app must error, not pass."""


class SchemaError(InputError):
    """A snapshot or export does not have the shape its platform writes."""


def read_input_file(path: Path, shown: str, expected: str = "a file",
                    encoding: str = "utf-8") -> str:
    """The text of a file the user named; an InputError starting with ``shown`` otherwise."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot read: {exc}") from None
