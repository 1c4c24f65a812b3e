"""The platforms that ship with pytest-nocode (others arrive through ``pytest_nocode_platforms``).

Apart from the package's ``__init__`` so that the adapters, which build on what it defines,
are imported by this module and never by the module they import.
PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode.platforms import Platform
from pytest_nocode.platforms.n8n import N8nPlatform
from pytest_nocode.platforms.nodered import NodeRedPlatform


def builtin_platforms() -> list[Platform]:
    return [NodeRedPlatform(), N8nPlatform()]
