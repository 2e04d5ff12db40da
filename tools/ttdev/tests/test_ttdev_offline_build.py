"""Wheels build with no network once the build backend is local (``nox -s e2e``).

Offline is simulated the way pip and uv see it: no index (``PIP_NO_INDEX``), an index
URL nothing answers, uv offline. The build backend (hatchling) then comes only from a
wheelhouse's ``build-tools/`` (which ``nox -s build`` fills) or the shared build
environment made earlier.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ttdev.graph import discover_packages
from ttdev.sandbox import build_wheel
from ttdev.wheels import BuildEnvError, build_backend, build_env_python, download_build_tools

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
TENSOR = discover_packages(ROOT / "packages")["tt-tensor"]
OFFLINE = {"PIP_NO_INDEX": "1", "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
           "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": "/dev/null",
           "UV_OFFLINE": "1", "UV_INDEX_URL": "http://127.0.0.1:9/simple"}


@pytest.fixture(scope="module")
def build_tools(tmp_path_factory):
    """hatchling and its dependencies as wheels, as `nox -s build` saves them (online)."""
    folder = tmp_path_factory.mktemp("build-tools")
    requires = build_backend(TENSOR.path).requires
    done = subprocess.run(download_build_tools(requires, folder, sys.executable),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not list(folder.glob("hatchling-*.whl")):
        pytest.skip(f"no index to download {requires} from: {done.stderr[-300:]}")
    return folder


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No index for pip or uv, and a fresh, empty folder for build environments."""
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TT_BUILD_ENV", str(tmp_path / "build-envs"))
    return tmp_path


def _ships_the_package(wheel: Path) -> bool:
    return "tinytorch/tensor/__init__.py" in zipfile.ZipFile(wheel).namelist()


def test_offline_the_build_environment_cannot_come_from_nowhere(offline):
    with pytest.raises(BuildEnvError, match="could not be made"):
        build_env_python(build_backend(TENSOR.path).requires)


def test_offline_a_wheel_builds_from_a_wheelhouse_holding_the_backend(offline, build_tools):
    wheel = build_wheel(TENSOR.path, offline / "out", timeout=300, find_links=[build_tools])
    assert wheel.name.startswith("tt_tensor-") and _ships_the_package(wheel)
    # the environment is kept: later builds need neither the index nor the wheelhouse
    again = build_wheel(TENSOR.path, offline / "again", timeout=300)
    assert _ships_the_package(again)
    assert len(list((offline / "build-envs").iterdir())) == 1   # one shared environment
