"""The live tests' server installs (tests/live/servers.py): complete or absent, never half.

A local package stands in for Node-RED and n8n, so npm runs for real but offline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.live import servers


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NOCODE_SERVER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def local_package(folder: Path) -> Path:
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": "fake-server",
                                                     "version": "1.0.0"}))
    (folder / "server.js").write_text("console.log('up')\n")
    return folder


def fake_spec(source: str) -> servers.ServerSpec:
    return servers.ServerSpec("fake-server", "1.0.0", "fake-server/server.js",
                              package_json={"dependencies": {"fake-server": source}},
                              install_args=("--install-links", "--offline"), timeout=120)


def test_an_install_lands_complete_under_its_name(cache: Path, tmp_path: Path) -> None:
    spec = fake_spec(f"file:{local_package(tmp_path / 'pkg')}")
    folder = servers.install(spec)
    assert folder == cache / "fake-server@1.0.0"
    assert (folder / "node_modules" / "fake-server" / "server.js").is_file()
    assert json.loads((folder / "installed.json").read_text())["node24"] is False
    assert [p.name for p in cache.iterdir() if p.is_dir()] == ["fake-server@1.0.0"]
    assert servers.install(spec) == folder  # reused, not installed again


def test_a_failed_install_leaves_no_half_cache(cache: Path, tmp_path: Path) -> None:
    spec = fake_spec(f"file:{tmp_path / 'missing'}")
    (cache / ".fake-server@1.0.0.killed").mkdir(parents=True)  # an installer killed midway
    with pytest.raises(servers.InstallError, match=r"fake-server@1\.0\.0 failed \(exit"):
        servers.install(spec)
    assert [p.name for p in cache.iterdir() if p.is_dir()] == []


def test_the_cache_is_outside_the_clone_unless_configured(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.delenv("NOCODE_SERVER_CACHE", raising=False)
    assert servers.cache_root() == Path.home() / ".cache" / "pytest-nocode" / "servers"
    monkeypatch.setenv("NOCODE_SERVER_CACHE", "~/elsewhere")
    assert servers.cache_root() == Path.home() / "elsewhere"
