"""Finding secret values written into an app's configuration.

The scanner is split so that each idea has one place, and adding a rule means reading one
module:

* ``detectors.py`` — what finds a candidate: token shapes (detect-secrets' regex plugins,
  ``patterns.py``), URLs, command lines, assignments, auth headers, secret-named values and
  name/value pairs.
* ``filters.py`` — what rules a candidate out: n8n expressions, references, placeholders,
  identifiers, plain words, hashes, documented examples; each a named function in a table.
* ``names.py`` — which names say "secret" (``is_secret_name``).
* ``scanner.py`` — the walk over a step's params, documentation context, one hit per value.

The scan is memoized per :class:`~pytest_nocode.model.App` instance: the loader calls it to
teach the run's redactor the values, and the ``SEC001`` check calls it again.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode.secretscan.kinds import (
    CRITICAL_KINDS,
    KIND_BASIC,
    KIND_BEARER,
    KIND_CLI,
    KIND_CLI_HEADER,
    KIND_KEYWORD,
    KIND_URL_PASSWORD,
    KIND_URL_QUERY,
    KIND_URL_TOKEN,
    KIND_WEBHOOK,
)
from pytest_nocode.secretscan.names import is_secret_name
from pytest_nocode.secretscan.scanner import _CACHE as _CACHE  # the per-App memo
from pytest_nocode.secretscan.scanner import (
    SecretHit,
    StepScanner,
    app_scanner,
    find_secrets,
    remember_secrets,
    scan_steps,
    scan_text,
)

__all__ = ["CRITICAL_KINDS", "KIND_BASIC", "KIND_BEARER", "KIND_CLI", "KIND_CLI_HEADER",
           "KIND_KEYWORD", "KIND_URL_PASSWORD", "KIND_URL_QUERY", "KIND_URL_TOKEN", "KIND_WEBHOOK",
           "SecretHit", "StepScanner", "app_scanner", "find_secrets", "is_secret_name",
           "remember_secrets", "scan_steps", "scan_text"]
