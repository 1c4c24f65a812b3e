"""The package's modules import each other in one direction only: no import cycles.

Every import counts, at module level, under ``TYPE_CHECKING`` or inside a function: a cycle
hidden by a local import is still two modules that each need the other. The implicit import
of a parent package (``a.b`` loads ``a`` first) is not an edge, or every ``__init__`` that
imports its own submodules would be a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import pytest_nocode

PACKAGE_ROOT = Path(pytest_nocode.__file__).parent


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file of the package at ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's own modules that ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:  # ``from pkg import submodule`` imports the submodule
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in known else module)
    return {m for m in found if m in known and m != name}


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its first module repeated at the end), or None when there is none."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return list(reversed(exc.args[1]))  # graphlib lists it against the import direction
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_ROOT)
    assert "pytest_nocode.run" in graph and graph["pytest_nocode.plugin"]  # parsed for real
    cycle = import_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_reporters_and_checks_read_the_run_state_not_the_pytest_glue() -> None:
    graph = import_graph(PACKAGE_ROOT)
    glue = {"pytest_nocode.plugin", "pytest_nocode.audit"}
    for name, imports in graph.items():
        if name.startswith(("pytest_nocode.reporting", "pytest_nocode.checks")):
            assert not imports & glue, f"{name} imports {sorted(imports & glue)}"
    assert not graph["pytest_nocode.run"] & glue


def write_package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize("files", [
    pytest.param({"__init__.py": "", "a.py": "from pkg.b import x\n",
                  "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                          "    from pkg.a import y\n"}, id="type-checking"),
    pytest.param({"__init__.py": "", "a.py": "from . import b\n",
                  "b.py": "def f():\n    from .a import y\n"}, id="relative-and-local"),
    pytest.param({"__init__.py": "from pkg.sub.leaf import z\n", "sub/__init__.py": "",
                  "sub/leaf.py": "import pkg\n"}, id="package-and-submodule"),
])
def test_a_cycle_is_found_however_it_is_spelled(tmp_path: Path, files: dict[str, str]) -> None:
    cycle = import_cycle(import_graph(write_package(tmp_path, files)))
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 3


def test_one_way_imports_are_no_cycle(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "from pkg.sub import leaf\n",  # a package importing its own submodule
        "sub/__init__.py": "", "sub/leaf.py": "from pkg.base import x\nimport pkgextra\n",
        "base.py": "import json\nfrom typing import TYPE_CHECKING\n",
    })
    graph = import_graph(root)
    assert graph["pkg"] == {"pkg.sub.leaf"} and graph["pkg.sub.leaf"] == {"pkg.base"}
    assert import_cycle(graph) is None
