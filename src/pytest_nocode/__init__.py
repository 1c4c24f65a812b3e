"""pytest-nocode: security reviews of no-code and low-code apps as pytest runs.

PYTEST_DONT_REWRITE: this module holds no assertion to rewrite, and the ``pytest-nocode``
command imports it before pytest starts, which would otherwise warn on every scan. Every module
of the package says the same in its docstring (a test holds them to it): rewriting them all
cost about 1.9 s of start-up.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pytest_nocode.findings import (
    CATEGORIES,
    Finding,
    FindingCollector,
    Rule,
    Severity,
    check,
    not_applicable,
)
from pytest_nocode.model import App, Resource

try:
    __version__ = version("pytest-nocode")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0+unknown"

__all__ = [
    "CATEGORIES",
    "App",
    "Finding",
    "FindingCollector",
    "Resource",
    "Rule",
    "Severity",
    "__version__",
    "check",
    "not_applicable",
]
