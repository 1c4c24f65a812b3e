"""The compose network an exported app runs on, read from the compose files beside its export.

A repository that keeps a Node-RED ``flows.json`` or n8n workflows often keeps the
``docker-compose.yml`` that runs them too, and that file says which hosts are the stack's own:
its services (``mqtt_broker``, ``backend``), their ``container_name``, ``hostname`` and network
``aliases``, the subnets of the networks it declares (``ipam.config[].subnet``) and the static
addresses it gives its services (``ipv4_address``). Those sit in the same-host trust zone even
when their addresses are outside Docker's default pools or RFC 1918 (a stack that declares
``172.100.10.0/24`` for its bridge network).

The search is bounded and documented: the export's own folder and at most
:data:`MAX_LEVELS` - 1 above it, stopping after a folder that holds ``.git`` (the repository
root), a filesystem root or a mount point; in each folder the files named
``compose.y[a]ml``, ``docker-compose.y[a]ml`` and their ``.<variant>`` siblings
(``docker-compose.prod.yml``), then the same names in the direct sub-folders of those folders
(at most :data:`MAX_SUBFOLDERS` each, hidden ones and ``node_modules`` left out: a
``deploy/`` or ``fiware-compose/`` folder beside ``node-red-data/``). A compose file counts
only when it runs the app: one of its services mounts the export's folder
(``./node-red-data:/data``, ``../node-red-data:/data``), or, for a file in the export's
folder or above it, uses the platform's image (``nodered/node-red``, ``n8nio/n8n``) or is
named for the platform. Files that are not valid
YAML or not a compose mapping are passed over (they are named in :attr:`ComposeZone.ignored`),
never an error: they configure another tool, not the app (one in a sub-folder beside is
passed over silently: it may be any other project's).

Subnets wider than :data:`MIN_PREFIX` (``/8`` for IPv4) are not taken: no compose network is
that large, and one would put whole networks in the host zone.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# folders looked at, the export's own first
MAX_LEVELS = 4
# compose file names Docker Compose reads by default, and their variants (override, prod)
COMPOSE_NAME = re.compile(r"^(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$", re.IGNORECASE)
MAX_COMPOSE_BYTES = 1024 * 1024
MAX_FILES = 16
MAX_SUBFOLDERS = 64  # sub-folders of each folder looked into, in name order
# the widest subnet taken, per IP version
MIN_PREFIX = {4: 8, 6: 32}
# what names a platform's service in a compose file: its image or service name
PLATFORM_IMAGES: Mapping[str, tuple[str, ...]] = {
    "nodered": ("node-red", "nodered"),
    "n8n": ("n8n",),
}
SHOWN_HOSTS = 6  # hosts a note names
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ComposeZone:
    """What the compose files that run an app say is the stack's own."""

    files: tuple[str, ...]  # relative to the export's folder ("../docker-compose.yml")
    hosts: tuple[str, ...]  # service and container names, aliases, addresses, CIDR subnets
    ignored: tuple[str, ...] = ()  # "x.yml: not a compose file" / "does not run the app"

    def to_json(self) -> dict[str, Any]:
        return {"files": list(self.files), "hosts": list(self.hosts),
                **({"ignored": list(self.ignored)} if self.ignored else {})}


# While :func:`kept` is entered (a run loading its apps): what was found, per folder. The
# apps of one run are often many exports in one folder, or folders under one parent; each
# would list the same folders (and test every name in them for a sub-folder) again.
_kept: dict[tuple[Any, ...], Any] | None = None


@contextmanager
def kept(store: dict[tuple[Any, ...], Any] | None = None) -> Iterator[None]:
    """Keep listings and zones found until the block ends (files are taken not to change
    meanwhile), in ``store`` when given (blocks that pass the same one share what was found);
    nested, the outermost block's are kept."""
    global _kept
    outer = _kept
    if outer is None:
        _kept = {} if store is None else store
    try:
        yield
    finally:
        _kept = outer


def _once(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    if _kept is None:
        return make()
    if key not in _kept:
        _kept[key] = make()
    return _kept[key]


def _listing(folder: Path) -> list[str]:
    def listing() -> list[str]:
        try:
            return sorted(os.listdir(folder))
        except OSError:
            return []
    return _once(("listing", folder), listing)


def _compose_in(folder: Path, names: list[str]) -> list[Path]:
    return _once(("compose", folder), lambda: [
        folder / n for n in names if COMPOSE_NAME.match(n) and (folder / n).is_file()])


def _subfolders(folder: Path, names: list[str]) -> list[Path]:
    return _once(("subfolders", folder), lambda: [
        folder / n for n in names if not n.startswith(".") and n != "node_modules"
        and (folder / n).is_dir()])


def compose_files_above(export: Path) -> list[Path]:
    """Compose files at or above the export's folder, nearest first, then those of the
    direct sub-folders of each of those folders (``deploy/docker-compose.yml`` beside
    ``node-red-data/``), which count only when they mount the export's folder (see the
    module doc)."""
    start = Path(os.path.abspath(export))
    folder = start if start.is_dir() else start.parent
    return list(_above(folder))


def _above(folder: Path) -> list[Path]:
    return _once(("above", folder), lambda: _compose_files_from(folder))


def _compose_files_from(folder: Path) -> list[Path]:
    found: list[Path] = []
    nested: list[Path] = []
    came_from: Path | None = None
    for _ in range(MAX_LEVELS):
        names = _listing(folder)
        found += _compose_in(folder, names)
        subfolders = [sub for sub in _subfolders(folder, names)
                      if sub != came_from][:MAX_SUBFOLDERS]
        for sub in subfolders:
            nested += _compose_in(sub, _listing(sub))
        if ".git" in names or folder.parent == folder or os.path.ismount(folder):
            break
        came_from, folder = folder, folder.parent
    return [*found, *nested][:MAX_FILES]


def compose_zone_of(export: Path, platform: str) -> ComposeZone | None:
    """The compose zone of the app exported at ``export`` (a file or folder), or None when no
    compose file beside it runs the app."""
    start = Path(os.path.abspath(export))
    folder = start if start.is_dir() else start.parent
    return _once(("zone", folder, platform), lambda: _zone_of(folder, platform))


def _zone_of(folder: Path, platform: str) -> ComposeZone | None:
    files: list[str] = []
    hosts: dict[str, None] = {}
    ignored: list[str] = []
    for path in _above(folder):
        shown = os.path.relpath(path, folder)
        beside = path.parent == folder or path.parent in folder.parents
        data = _read(path)
        if data is None:
            if beside:
                ignored.append(f"{shown}: not a compose file")
            continue
        if not runs_app(data, path.parent, folder, platform, by_image=beside):
            if beside:  # one in a folder beside is some other project's: passed silently
                ignored.append(f"{shown}: no service of it runs the app")
            continue
        files.append(shown)
        hosts.update(dict.fromkeys(own_hosts(data)))
    if not files:
        return ComposeZone((), (), tuple(ignored)) if ignored else None
    return ComposeZone(tuple(files), tuple(hosts), tuple(ignored))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_COMPOSE_BYTES:
            return None
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return None
    return data


def _services(data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for name, service in (data.get("services") or {}).items():
        if isinstance(name, str):
            yield name, service if isinstance(service, dict) else {}


def runs_app(data: Mapping[str, Any], compose_dir: Path, export_dir: Path,
             platform: str, *, by_image: bool = True) -> bool:
    """Does a service of this compose file run the app: a bind mount of the export's folder
    (or a folder above it), or, with ``by_image`` (a file in the export's folder or above
    it), a service of the platform's image or name?"""
    words = PLATFORM_IMAGES.get(platform, ()) if by_image else ()
    for name, service in _services(data):
        image = service.get("image")
        image = image.lower() if isinstance(image, str) else ""
        if any(w in image for w in words) or any(w in name.lower() for w in words):
            return True
        for volume in service.get("volumes") or ():
            source = volume.get("source") if isinstance(volume, dict) else \
                volume.split(":", 1)[0] if isinstance(volume, str) and ":" in volume else None
            if isinstance(source, str) and source.startswith((".", "/")):
                mounted = Path(os.path.normpath(compose_dir / source))
                if export_dir == mounted or mounted in export_dir.parents:
                    return True
    return False


def own_hosts(data: Mapping[str, Any]) -> list[str]:
    """The stack's own hosts: names (lowercased), static addresses and declared subnets."""
    out: list[str] = []
    for name, service in _services(data):
        out.append(name)
        for key in ("container_name", "hostname"):
            if isinstance(service.get(key), str):
                out.append(service[key])
        networks = service.get("networks")
        for net in networks.values() if isinstance(networks, dict) else ():
            if not isinstance(net, dict):
                continue
            out += [a for a in net.get("aliases") or () if isinstance(a, str)]
            out += [_address(net.get(k)) for k in ("ipv4_address", "ipv6_address")]
    for net in (data.get("networks") or {}).values() if isinstance(
            data.get("networks"), dict) else ():
        ipam = net.get("ipam") if isinstance(net, dict) else None
        for entry in (ipam.get("config") or ()) if isinstance(ipam, dict) else ():
            if isinstance(entry, dict):
                out.append(_subnet(entry.get("subnet")))
    return list(dict.fromkeys(h.lower() for h in out
                              if h and ("/" in h or ":" in h or _NAME.match(h))))


def _address(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip())) if value is not None else ""
    except ValueError:
        return ""


def _subnet(value: Any) -> str:
    try:
        net = ipaddress.ip_network(str(value).strip(), strict=False) if value else None
    except ValueError:
        return ""
    return str(net) if net is not None and net.prefixlen >= MIN_PREFIX[net.version] else ""


def validate_compose(value: Any, at: str) -> None:
    """``$.compose`` of a snapshot: what :meth:`ComposeZone.to_json` wrote."""
    from pytest_nocode.platforms import expect

    expect(isinstance(value, dict), at, 'an object {"files": [...], "hosts": [...]}')
    for key in ("files", "hosts", "ignored"):
        items = value.get(key)
        expect(items is None or (isinstance(items, list)
                                 and all(isinstance(i, str) for i in items)),
               f"{at}.{key}", "a list of strings")


def compose_of_snapshot(value: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    """The app's compose hosts and the note the report shows, from a validated
    ``$.compose`` (nothing when absent)."""
    if not isinstance(value, dict):
        return (), {}
    files = [f for f in value.get("files") or () if isinstance(f, str)]
    hosts = tuple(h for h in value.get("hosts") or () if isinstance(h, str) and h)
    ignored = [i for i in value.get("ignored") or () if isinstance(i, str)]
    notes: dict[str, str] = {}
    if files and hosts:
        shown = ", ".join(hosts[:SHOWN_HOSTS]) + (
            f" and {len(hosts) - SHOWN_HOSTS} more" if len(hosts) > SHOWN_HOSTS else "")
        notes["compose network"] = (
            f"{', '.join(files)}: the stack that runs the app; its services, addresses and "
            f"subnets ({shown}) are taken as the same-host trust zone unless the policy "
            "places them (trust_zones) or sets trust_zones.host.compose: false")
    if ignored:
        notes["compose files passed over"] = "; ".join(ignored)
    return (hosts if files else ()), notes
