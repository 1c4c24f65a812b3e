"""App URIs (``nodered+https://host``, ``n8n+file:exports/``, ``demo``) parsed into AppSpecs.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pytest_nocode.errors import InputError

DEMO_DIR = Path(__file__).parent / "demo"
LIVE_TRANSPORTS = ("http", "https", "api")


@dataclass(frozen=True)
class AppSpec:
    """One app to scan, as the user named it. ``id`` is stable and readable: it is a test id."""

    uri: str  # safe to show: never carries credentials
    platform: str
    transport: str  # file | http | https | api | demo
    location: str  # a path for files; scheme://host[:port][/path] for http(s); an id for api
    id: str

    @property
    def is_live(self) -> bool:
        return self.transport in LIVE_TRANSPORTS

    @property
    def source(self) -> str:
        """How the data arrives before recording is considered: live | file | demo."""
        return "live" if self.is_live else self.transport


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "app"


def parse_app_uri(uri: str, platforms: Iterable[str], base_dir: Path) -> list[AppSpec]:
    """Parse one ``--nocode-app`` value. ``demo`` gives one spec per bundled demo platform."""
    uri = uri.strip()
    if uri == "demo":
        return [
            AppSpec("demo", "nodered", "demo", str(DEMO_DIR / "nodered" / "flows.json"),
                    "demo-nodered"),
            AppSpec("demo", "n8n", "demo", str(DEMO_DIR / "n8n"), "demo-n8n"),
        ]
    known = sorted(platforms)
    head, sep, rest = uri.partition(":")
    if not sep or not head:
        raise InputError(f"--nocode-app {uri!r}: expected PLATFORM+TRANSPORT://LOCATION, "
                         f"PLATFORM+file:PATH or 'demo' (platforms: {', '.join(known)})")
    platform, plus, transport = head.partition("+")
    platform = platform.lower()
    if platform not in known:
        raise InputError(f"--nocode-app {_redact(uri)!r}: unknown platform {platform!r}; "
                         f"known: {', '.join(known)}")
    if not plus:
        transport = "api"  # airtable://BASE, powerplatform://ENV
    transport = transport.lower()
    if transport == "file":
        path_text = rest[2:] if rest.startswith("//") else rest
        if not path_text:
            raise InputError(f"--nocode-app {uri!r}: file URI has no path")
        path = Path(path_text)
        if not path.is_absolute():
            path = base_dir / path
        if platform == "nodered" and path.is_dir() and not (path / "flows.json").exists():
            flows_files = node_red_flows_files(path)
            if flows_files:  # a node package's examples/: each file is an app of its own
                return [AppSpec(uri, platform, "file", str(f), f"{platform}-{_slug(f.stem)}")
                        for f in flows_files]
        stem = path.stem if path.suffix else path.name
        return [AppSpec(uri, platform, "file", str(path), f"{platform}-{_slug(stem)}")]
    if transport not in LIVE_TRANSPORTS:
        raise InputError(f"--nocode-app {_redact(uri)!r}: unknown transport {transport!r}; "
                         "expected http, https or file")
    if not rest.startswith("//"):
        raise InputError(f"--nocode-app {_redact(uri)!r}: expected '//' after '{head}:'")
    try:
        parts = urlsplit(f"{'https' if transport == 'api' else transport}:{rest}")
        port = parts.port
    except ValueError as exc:
        raise InputError(f"--nocode-app {_redact(uri)!r}: {exc}") from None
    if "@" in parts.netloc:
        raise InputError(f"--nocode-app for platform {platform!r}: credentials in the URI are "
                         f"refused (the URI is not shown); set {credential_hint(platform)} "
                         "in the environment instead")
    if parts.query or parts.fragment:
        raise InputError(f"--nocode-app for platform {platform!r}: a query string or fragment "
                         "is refused (it may carry a token; the URI is not shown)")
    if not parts.hostname:
        raise InputError(f"--nocode-app {uri!r}: no host")
    if transport == "api":
        location = (parts.hostname + parts.path).rstrip("/")
        return [AppSpec(uri, platform, "api", location, f"{platform}-{_slug(location)}")]
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    location = f"{transport}://{netloc}{parts.path.rstrip('/')}"
    ident = f"{platform}-{_slug(host)}" + (f"-{port}" if port else "")
    return [AppSpec(uri, platform, transport, location, ident)]


def node_red_flows_files(folder: Path) -> list[Path]:
    """The flows files of a folder without ``flows.json`` (a node package's ``examples/``):
    its ``*.json`` files but a ``package.json`` or lock file, in name order. Each is a
    separate export, so each is scanned as an app of its own."""
    return sorted(p for p in folder.glob("*.json") if p.is_file()
                  and p.name not in ("package.json", "package-lock.json"))


def parse_app_uris(uris: Sequence[str], platforms: Iterable[str],
                   base_dir: Path) -> list[AppSpec]:
    """Parse every URI; ids are made unique in order (``-2``, ``-3``) and duplicates dropped."""
    platforms = list(platforms)
    specs: list[AppSpec] = []
    seen_uris: set[tuple[str, str, str]] = set()
    seen_ids: set[str] = set()
    for uri in uris:
        for spec in parse_app_uri(uri, platforms, base_dir):
            key = (spec.platform, spec.transport, spec.location)
            if key in seen_uris:
                continue
            seen_uris.add(key)
            ident, n = spec.id, 1
            while ident in seen_ids:
                n += 1
                ident = f"{spec.id}-{n}"
            seen_ids.add(ident)
            specs.append(AppSpec(spec.uri, spec.platform, spec.transport, spec.location, ident))
    return specs


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → (2, 4): the shard's number, counted from 1, and how many shards there are."""
    index, sep, count = text.strip().partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise InputError(f"nocode_shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")


def shard_of(specs: Sequence[AppSpec], index: int, count: int) -> list[AppSpec]:
    """The apps of shard ``index`` of ``count``: every ``count``-th app in order of id, so every
    job of a CI matrix picks its apps from the same list alone and together they pick each app
    exactly once. The apps keep their command-line order."""
    chosen = {spec.id for spec in sorted(specs, key=lambda s: s.id)[index - 1::count]}
    if not chosen:
        raise InputError(f"nocode_shard {index}/{count} selects no app: {len(specs)} app(s) "
                         f"for {count} shards; use at most {len(specs)} shards")
    return [spec for spec in specs if spec.id in chosen]


CREDENTIAL_VARIABLES = {
    "nodered": ("NOCODE_NODERED_TOKEN", "NOCODE_NODERED_USERNAME", "NOCODE_NODERED_PASSWORD"),
    "n8n": ("NOCODE_N8N_API_KEY",),
    "airtable": ("NOCODE_AIRTABLE_TOKEN",),
    "powerplatform": ("NOCODE_POWERPLATFORM_TOKEN",),
}


def credential_hint(platform: str) -> str:
    names = CREDENTIAL_VARIABLES.get(platform, (f"NOCODE_{platform.upper()}_TOKEN",))
    return " / ".join(names)


def _redact(uri: str) -> str:
    """The URI with anything between '//' and '@' removed, for error messages."""
    return re.sub(r"//[^/@]*@", "//***@", uri)
