"""One wheel-build command for nox sessions and grading (wheels.wheel_build_command)."""

import sys
from pathlib import Path

from ttdev import wheels


def _write_backend(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling>=1.21"]\nbuild-backend = "hatchling.build"\n')
    return folder


def test_the_backend_hook_runs_in_the_shared_build_environment(tmp_path, monkeypatch):
    project = _write_backend(tmp_path / "tt-nn")
    seen = []
    monkeypatch.setattr(wheels, "build_env_python",
                        lambda requires, links: seen.append((requires, links)) or Path("/env/py"))
    command, fallback = wheels.wheel_build_command(project, tmp_path / "out", [tmp_path / "bt"])
    assert fallback is None
    assert seen == [(("hatchling>=1.21",), [tmp_path / "bt"])]
    assert command[0] == "/env/py" and command[-2:] == ["hatchling.build", "build_wheel"]
    assert str(project.resolve()) in command and str((tmp_path / "out").resolve()) in command


def _no_build_env(requires, links):
    raise wheels.BuildEnvError("the build environment for hatchling could not be made: offline")


def test_without_a_build_environment_uv_builds_in_isolation_and_says_why(tmp_path, monkeypatch):
    project = _write_backend(tmp_path / "tt-nn")
    monkeypatch.setattr(wheels, "build_env_python", _no_build_env)
    monkeypatch.setattr(wheels, "uv_command", lambda: "/bin/uv")
    command, fallback = wheels.wheel_build_command(project, tmp_path / "out")
    assert command == ["/bin/uv", "build", "--wheel", "--out-dir", str(tmp_path / "out"),
                       str(project)]
    assert "could not be made: offline" in fallback and "needs the index" in fallback


def test_without_uv_pip_builds_the_wheel_alone(tmp_path, monkeypatch):
    project = _write_backend(tmp_path / "tt-nn")
    monkeypatch.setattr(wheels, "build_env_python", _no_build_env)
    monkeypatch.setattr(wheels, "uv_command", lambda: None)
    command, _ = wheels.wheel_build_command(project, tmp_path / "out")
    assert command[:5] == [sys.executable, "-m", "pip", "wheel", "--no-deps"]
    assert command[-1] == str(project)
