"""The Node-RED node package a flows file belongs to: a package's own ``examples/`` or
``test/`` flows, scanned in the package's CI.

Such a file sits inside a package whose ``package.json`` has ``node-red.nodes`` (node set name →
the JS file that registers its types). The types those files register are the package's own:
the app under review, not a third-party module to vet. The reader walks up from the flows file
to the first ``package.json`` (a few levels at most, never above a filesystem root or mount
point) and reads only what it needs: the package's name and version, and the node types each
JS file registers with ``RED.nodes.registerType("type", …)`` (a literal name, or a constant
the file declares with one), and the editor file of the same name beside it (``x.html`` next to
``x.js``, which Node-RED loads with it) registers with the same call: a package whose JS is
built by a tool (``dist/`` is not in a source checkout) still shows its types there.

A ``package.json`` without ``node-red.nodes`` (an application, a Node-RED project whose
``node-red`` key holds only settings) changes nothing. One that cannot be read as a package
manifest is an error naming the file and JSON path: the flows would otherwise be judged as
someone else's. A node JS file that is missing or too large to read leaves its types
unattributed (CON001 still asks about them) and is named in :attr:`NodePackage.unread`.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_nocode.errors import SchemaError
from pytest_nocode.platforms import read_json_file

MANIFEST = "package.json"
# directories looked at, the flows file's own first: examples/, test/, docs/examples/ and
# dist/test/ flows all reach their package root within this many
MAX_LEVELS = 4
# a node file larger than this is a bundle of more than node definitions: not read
MAX_NODE_FILE_BYTES = 8 * 1024 * 1024
# RED.nodes.registerType("type", …) with a literal type name, or with a name a constant of
# the same file holds (``const TAG = 'x'``); a name computed at run time (a template with ${…},
# a value read from elsewhere) cannot be read without running the code
_LITERAL = r"""(?:"([^"\\\n]+)"|'([^'\\\n]+)'|`([^`$\\\n]+)`)"""
_REGISTER = re.compile(r"\bregisterType\s*\(\s*(?:" + _LITERAL + r"|([A-Za-z_$][\w$]*)\s*[,)])")
_CONSTANT = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*" + _LITERAL + r"\s*[;\n]")


@dataclass(frozen=True)
class NodePackage:
    """The node package whose own flows are scanned."""

    name: str
    version: str
    manifest: str  # the package.json, relative to the flows file's folder ("../package.json")
    types: tuple[str, ...]  # node types its node files register, sorted
    unread: tuple[str, ...] = ()  # "nodes/x.js: missing" for node files whose types are unknown

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "manifest": self.manifest,
                "types": list(self.types), "unread": list(self.unread)}


def registered_types(code: str) -> tuple[str, ...]:
    """The node types a Node-RED node file registers under a literal name or a constant of the
    file holding one, in order, once each."""
    constants: dict[str, str] | None = None
    found: dict[str, None] = {}
    for match in _REGISTER.finditer(code):
        *literal, name = match.groups()
        if name is None:
            found[next(g for g in literal if g)] = None
            continue
        if constants is None:
            constants = {}
            for const in _CONSTANT.finditer(code):
                constants.setdefault(const.group(1), next(g for g in const.groups()[1:] if g))
        if name in constants:
            found[constants[name]] = None
    return tuple(found)


def find_manifest(flows_file: Path) -> Path | None:
    """The first ``package.json`` at or above the flows file's folder, within
    :data:`MAX_LEVELS` folders, never above the filesystem root or a mount point."""
    folder = Path(os.path.abspath(flows_file)).parent
    for _ in range(MAX_LEVELS):
        candidate = folder / MANIFEST
        if candidate.is_file():
            return candidate
        if folder.parent == folder or os.path.ismount(folder):
            return None
        folder = folder.parent
    return None


def node_package_of(flows_file: Path) -> NodePackage | None:
    """The node package ``flows_file`` belongs to, or None when it belongs to none."""
    manifest = find_manifest(flows_file)
    if manifest is None:
        return None
    data = read_json_file(manifest)
    if not isinstance(data, dict):
        raise SchemaError(f"{manifest}: $: expected a package manifest object")
    node_red = data.get("node-red")
    if node_red is None:
        return None
    if not isinstance(node_red, dict):
        raise SchemaError(f"{manifest}: $.node-red: expected an object")
    nodes = node_red.get("nodes")
    if nodes is None:
        return None  # a Node-RED project's settings, not a node package
    if not isinstance(nodes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in nodes.items()):
        raise SchemaError(f"{manifest}: $.node-red.nodes: expected an object of node set "
                          "name → JS file")
    name, version = data.get("name"), data.get("version", "")
    if not isinstance(name, str) or not name.strip():
        raise SchemaError(f"{manifest}: $.name: expected the package's name")
    if not isinstance(version, str):
        raise SchemaError(f"{manifest}: $.version: expected a version string")
    root = manifest.parent
    types: dict[str, None] = {}
    unread: list[str] = []
    for node_set, file_name in nodes.items():
        found = _node_file_types(root, file_name)
        if isinstance(found, str):
            unread.append(f"{node_set} ({file_name}): {found}")
        else:
            types.update(dict.fromkeys(found))
    shown = os.path.relpath(manifest, Path(os.path.abspath(flows_file)).parent)
    return NodePackage(name.strip(), version, Path(shown).as_posix(), tuple(sorted(types)),
                       tuple(unread))


def _node_file_types(root: Path, file_name: str) -> tuple[str, ...] | str:
    """The types one node file and its editor file register, or why neither could be read."""
    path = Path(os.path.normpath(root / file_name))
    if not path.is_relative_to(root):
        return "outside the package"
    code = _read_node_file(path)
    editor = _read_node_file(path.with_suffix(".html")) if path.suffix == ".js" else None
    found = dict.fromkeys(registered_types(code)) if not isinstance(code, Failure) else {}
    if not isinstance(editor, Failure | None):
        found.update(dict.fromkeys(registered_types(editor)))
    if found:
        return tuple(found)
    if isinstance(code, Failure):
        return code.why
    return "registers no type under a literal name"


@dataclass(frozen=True)
class Failure:
    """Why a node file could not be read."""

    why: str


def _read_node_file(path: Path) -> str | Failure:
    try:
        size = path.stat().st_size
        if size > MAX_NODE_FILE_BYTES:
            return Failure(f"larger than {MAX_NODE_FILE_BYTES // (1024 * 1024)} MB, not read")
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Failure("missing" if isinstance(exc, FileNotFoundError)
                       else f"unreadable ({exc.strerror})")
