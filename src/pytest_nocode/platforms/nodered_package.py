"""The Node-RED node package a flows file belongs to: a package's own ``examples/`` or
``test/`` flows, scanned in the package's CI.

Such a file sits inside a package whose ``package.json`` has ``node-red.nodes`` (node set name →
the JS file that registers its types). The types those files register are the package's own:
the app under review, not a third-party module to vet. The reader walks up from the flows file
to the first ``package.json`` that is a node package's (a few levels at most, never above a
filesystem root or mount point: a Node-RED user folder a package's repository keeps for
developing it, ``node-red/package.json`` without ``node-red.nodes``, is passed on the way) and
reads only what it needs: the package's name and version, and the node types each JS file
registers with ``RED.nodes.registerType("type", …)`` (a literal name, or a constant the file
declares with one, TypeScript's ``const T: string = …`` too), and the editor file of the same
name beside it (``x.html`` next to ``x.js``, which Node-RED loads with it) registers with the
same call.

A source checkout lacks what a build writes (``dist/x.js``, ``nodes/x.js`` compiled from
TypeScript), so for a node file that is missing the reader looks where the sources of built
packages are (:class:`SourceTree`): files of the same name under ``src/`` (``x.ts``, ``x.js``,
``x.html``), and for packages built with nrg (``@allanoricil/nrg-cli``), whose one bundle
holds every node, the node folders ``src/nodes/TYPE/`` with their ``server/`` code.

A package whose ``devDependencies`` hold a Node-RED test harness (``node-red-node-test-helper``)
runs its test flows with the harness's own node (``helper``): that type is the package's test
tooling (:attr:`NodePackage.harness`), not a module its users deploy.

A ``package.json`` without ``node-red.nodes`` (an application, a Node-RED project whose
``node-red`` key holds only settings) and no node package above it changes nothing. One that
cannot be read as a package manifest is an error naming the file and JSON path: the flows would
otherwise be judged as someone else's. A node JS file that is missing (with no source found)
or too large to read leaves its types unattributed (CON001 still asks about them) and is named
in :attr:`NodePackage.unread`.

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
_CONSTANT = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*"
                       + _LITERAL + r"\s*[;\n]")
# where built packages keep their sources, and how many of their files are listed at most
SOURCE_FOLDER = "src"
SOURCE_SUFFIXES = (".ts", ".js", ".html")
MAX_SOURCE_FILES = 2000
# nrg (``@allanoricil/nrg-cli``) builds every node of ``src/nodes/TYPE/`` into one bundle; a
# node folder holds its runtime code in ``server/`` and is named as the type it registers
NRG_TOOL = "@allanoricil/nrg-cli"
NRG_NODES = ("src", "nodes")
# test harnesses a package's own test flows run under → the node types they register
TEST_HARNESS_TYPES: dict[str, tuple[str, ...]] = {"node-red-node-test-helper": ("helper",)}


@dataclass(frozen=True)
class NodePackage:
    """The node package whose own flows are scanned."""

    name: str
    version: str
    manifest: str  # the package.json, relative to the flows file's folder ("../package.json")
    types: tuple[str, ...]  # node types its node files register, sorted
    unread: tuple[str, ...] = ()  # "nodes/x.js: missing" for node files whose types are unknown
    harness: tuple[str, ...] = ()  # types of the test harness its devDependencies hold

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version,
                               "manifest": self.manifest, "types": list(self.types),
                               "unread": list(self.unread)}
        if self.harness:
            out["harness"] = list(self.harness)
        return out


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


def manifests_above(flows_file: Path) -> list[Path]:
    """Every ``package.json`` at or above the flows file's folder, nearest first, within
    :data:`MAX_LEVELS` folders, never above the filesystem root or a mount point."""
    folder = Path(os.path.abspath(flows_file)).parent
    found: list[Path] = []
    for _ in range(MAX_LEVELS):
        candidate = folder / MANIFEST
        if candidate.is_file():
            found.append(candidate)
        if folder.parent == folder or os.path.ismount(folder):
            break
        folder = folder.parent
    return found


def node_package_of(flows_file: Path) -> NodePackage | None:
    """The node package ``flows_file`` belongs to, or None when it belongs to none."""
    for manifest in manifests_above(flows_file):
        package = _read_manifest(manifest, flows_file)
        if package is not None:
            return package
    return None


def _read_manifest(manifest: Path, flows_file: Path) -> NodePackage | None:
    """The node package ``manifest`` describes, None for another kind of package.json."""
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
    dev = data.get("devDependencies")
    dev_names = set(dev) if isinstance(dev, dict) else set()
    root = manifest.parent
    types: dict[str, None] = {}
    unread: list[str] = []
    sources: SourceTree | None = None
    for node_set, file_name in nodes.items():
        if sources is None and not Path(os.path.normpath(root / file_name)).is_file():
            sources = SourceTree(root, NRG_TOOL in dev_names)  # a build writes it
        found = _node_file_types(root, file_name, sources)
        if isinstance(found, str):
            unread.append(f"{node_set} ({file_name}): {found}")
        else:
            types.update(dict.fromkeys(found))
    harness = tuple(sorted(t for tool, names in TEST_HARNESS_TYPES.items()
                           if tool in dev_names for t in names if t not in types))
    shown = os.path.relpath(manifest, Path(os.path.abspath(flows_file)).parent)
    return NodePackage(name.strip(), version, Path(shown).as_posix(), tuple(sorted(types)),
                       tuple(unread), harness)


def _node_file_types(root: Path, file_name: str, sources: SourceTree | None = None
                     ) -> tuple[str, ...] | str:
    """The types one node file and its editor file register, or why neither could be read.
    A node file a build writes, missing from a source checkout, is looked for among the
    package's sources (:class:`SourceTree`)."""
    path = Path(os.path.normpath(root / file_name))
    if not path.is_relative_to(root):
        return "outside the package"
    code = _read_node_file(path)
    editor = _read_node_file(path.with_suffix(".html")) if path.suffix == ".js" else None
    found = dict.fromkeys(registered_types(code)) if not isinstance(code, Failure) else {}
    if not isinstance(editor, Failure | None):
        found.update(dict.fromkeys(registered_types(editor)))
    if not found and isinstance(code, Failure) and code.why == "missing":
        found = dict.fromkeys(sources.types_of(path.stem)) if sources is not None else {}
        if not found:
            return "missing, and no source registers a type"
    if found:
        return tuple(found)
    if isinstance(code, Failure):
        return code.why
    return "registers no type under a literal name"


class SourceTree:
    """The sources of a built package: files under its ``src/`` folder by name (listed once,
    at most :data:`MAX_SOURCE_FILES` of them, its dependencies never), and for a package
    built with nrg each node folder ``src/nodes/TYPE/`` that holds ``server/`` code (nrg
    registers it as ``TYPE``)."""

    def __init__(self, root: Path, nrg: bool = False) -> None:
        self.by_stem: dict[str, list[Path]] = {}
        self.nrg_types: tuple[str, ...] = ()
        source = root / SOURCE_FOLDER
        if not source.is_dir():
            return
        listed = 0
        for dirpath, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
            for file_name in sorted(filenames):
                if Path(file_name).suffix in SOURCE_SUFFIXES and listed < MAX_SOURCE_FILES:
                    listed += 1
                    self.by_stem.setdefault(Path(file_name).stem, []).append(
                        Path(dirpath) / file_name)
        node_folders = root.joinpath(*NRG_NODES)
        if nrg and node_folders.is_dir():
            self.nrg_types = tuple(sorted(d.name for d in node_folders.iterdir()
                                          if d.is_dir() and (d / "server").is_dir()))

    def types_of(self, stem: str) -> tuple[str, ...]:
        """The types the sources of the built node file ``stem`` (``dist/stem.js``)
        register."""
        found = dict.fromkeys(self.nrg_types)
        for path in self.by_stem.get(stem, ()):
            code = _read_node_file(path)
            if not isinstance(code, Failure):
                found.update(dict.fromkeys(registered_types(code)))
        return tuple(found)


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
