"""The plugin works from an installed wheel, not only from this checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(out), str(REPO)], check=True, capture_output=True)
    (built,) = out.glob("pytest_nocode-*.whl")
    return built


def test_installed_wheel_scans_the_demo_in_an_empty_folder(
        wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site_packages = next((env_dir / "lib").glob("python3*")) / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site_packages), str(wheel)], check=True)
    # The dependencies come from the environment running this test (a venv's
    # ``system_site_packages`` would see the base interpreter's instead), after the wheel on
    # sys.path; a plain path line, so that environment's own .pth files (this checkout's
    # editable install) are not read.
    (site_packages / "zz_dependencies.pth").write_text("".join(
        f"{path}\n" for path in dict.fromkeys(sysconfig.get_paths()[k]
                                               for k in ("purelib", "platlib"))))
    where = subprocess.run(
        [str(python), "-c", "import pytest_nocode; print(pytest_nocode.__file__)"],
        check=True, capture_output=True, text=True).stdout
    assert str(env_dir) in where, where
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider",
                             "--nocode-app=demo", "--nocode-json=report.json", "-q"],
                            cwd=empty, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((empty / "report.json").read_text())
    assert {a["id"] for a in report["apps"]} == {"demo-nodered", "demo-n8n"}
    assert report["findings"], "the bundled demo has known findings"
    assert "pytest_nocode/checks/test_injection.py::" in result.stdout
