"""pytest-nocode's own hooks, registered through ``pytest_addhooks``.

Implement them in a ``conftest.py`` or an installed plugin. All are optional for implementers;
mark implementations of hooks from plugins that may be absent with ``optionalhook=True``.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_nocode.findings import Finding
    from pytest_nocode.platforms import Platform


@pytest.hookspec
def pytest_nocode_platforms() -> list[Platform]:
    """Return platform adapters to add (see :class:`pytest_nocode.platforms.Platform`)."""


@pytest.hookspec
def pytest_nocode_check_paths() -> list[str]:
    """Return extra files or folders of checks to run against every app, like the built-ins."""


@pytest.hookspec
def pytest_nocode_finding(finding: Finding) -> None:
    """Called on the controller for every finding, waived or not, as results arrive."""


@pytest.hookspec
def pytest_nocode_report(report: dict[str, Any]) -> None:
    """Called with the findings report (contract section 4) before it is written; may enrich it."""
