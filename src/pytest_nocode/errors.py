"""Errors that end as one clear line for the user, never as a traceback."""

from __future__ import annotations


class NocodeError(Exception):
    """Base of every error the plugin reports to the user as a single line."""


class InputError(NocodeError):
    """Something the user gave is wrong: an app URI, a file, a policy. Fix it and re-run."""


class FetchError(NocodeError):
    """Live data could not be fetched completely; checks on that app must error, not pass."""


class SchemaError(InputError):
    """A snapshot or export does not have the shape its platform writes."""
