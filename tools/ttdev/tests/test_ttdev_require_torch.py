"""The PyTorch oracle: installed where pip has its CPU wheel, and then not allowed to skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ttdev import install

ORACLE_TESTS = '''
import pytest

torch = pytest.importorskip("torch")

def test_compares_with_torch():
    assert torch.tensor(2.0).item() == 2.0
'''

PLAIN_TESTS = '''
def test_plain():
    assert True
'''

INNER_SKIP = '''
import pytest

def test_compares_with_torch():
    pytest.importorskip("torch")

def test_other():
    pytest.skip("no data here")
'''


def run_pytest(tmp_path: Path, source: str, require: str | None, fake_torch: bool = False):
    (tmp_path / "test_oracle.py").write_text(source)
    (tmp_path / "test_plain.py").write_text(PLAIN_TESTS)
    paths = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    if fake_torch:
        fake = tmp_path / "fake"
        fake.mkdir(exist_ok=True)
        (fake / "torch.py").write_text(
            "class tensor(float):\n    def item(self):\n        return float(self)\n")
        paths.insert(0, str(fake))
    env = {k: v for k, v in os.environ.items() if k not in ("TT_REQUIRE_TORCH", "PYTHONPATH")}
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    if require is not None:
        env["TT_REQUIRE_TORCH"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ttdev.require_torch", "-p", "no:cacheprovider",
         "-q", "-rs", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


@pytest.fixture()
def no_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    pytest.skip("torch is installed here: the 'torch missing' cases need a Python without it")


def test_without_the_requirement_oracle_tests_skip_and_the_suite_passes(tmp_path, no_torch):
    result = run_pytest(tmp_path, ORACLE_TESTS, require=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout


def test_required_torch_that_does_not_import_stops_the_run_saying_why(tmp_path, no_torch):
    result = run_pytest(tmp_path, ORACLE_TESTS, require="1")
    assert result.returncode != 0
    assert "TT_REQUIRE_TORCH=1 but torch does not import" in result.stderr + result.stdout


def test_required_torch_turns_a_torch_skip_into_a_failure_and_leaves_others(tmp_path,
                                                                            monkeypatch):
    # the plugin is loaded into this process to judge reports without a torch import
    from ttdev import require_torch

    class Report:
        def __init__(self, reason):
            self.outcome, self.longrepr = "skipped", ("test_x.py", 3, reason)

        @property
        def skipped(self):
            return self.outcome == "skipped"

    torch_skip = Report("Skipped: could not import 'torch': No module named 'torch'")
    other_skip = Report("Skipped: no data here")
    monkeypatch.setenv("TT_REQUIRE_TORCH", "1")
    for report in (torch_skip, other_skip):
        generator = require_torch.pytest_runtest_makereport(None, None)
        next(generator)
        with pytest.raises(StopIteration):
            generator.send(report)
    assert torch_skip.outcome == "failed" and "requires the PyTorch oracle" in str(
        torch_skip.longrepr)
    assert other_skip.outcome == "skipped"


def test_required_torch_that_imports_runs_the_oracle_tests(tmp_path):
    result = run_pytest(tmp_path, ORACLE_TESTS, require="1", fake_torch=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_zero_means_not_required(tmp_path, no_torch):
    result = run_pytest(tmp_path, INNER_SKIP, require="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout


# ------------------------------------------------------------- where the wheel comes from


def test_the_wheel_is_found_through_pips_config_files_too(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nfind-links = {wheels}\n")
    env = {"PIP_CONFIG_FILE": str(config), "HOME": str(tmp_path), "XDG_CONFIG_DIRS": ""}
    assert install.cpu_torch_wheel(env, python_tag="cp311").parent == wheels
    assert install.cpu_torch_wheel(env, python_tag="cp312") is None, "a wheel for another Python"


class Session:
    def __init__(self):
        self.installed, self.notes = [], []

    def install(self, *args):
        self.installed += args

    def warn(self, text):
        self.notes.append(text)

    log = warn

    def error(self, text):
        raise RuntimeError(text)


@pytest.mark.parametrize("setting, wheel, expected", [
    (None, True, {"TT_REQUIRE_TORCH": "1"}),
    (None, False, {}),
    ("0", True, {}),
    ("1", True, {"TT_REQUIRE_TORCH": "1"}),
])
def test_the_session_requires_torch_exactly_when_it_installed_it(monkeypatch, tmp_path,
                                                                 setting, wheel, expected):
    found = tmp_path / "torch-2.13.0+cpu-cp311-cp311-linux_x86_64.whl"
    monkeypatch.setattr(install, "cpu_torch_wheel", lambda: found if wheel else None)
    if setting is None:
        monkeypatch.delenv("TT_REQUIRE_TORCH", raising=False)
    else:
        monkeypatch.setenv("TT_REQUIRE_TORCH", setting)
    session = Session()
    assert install.install_oracle_torch(session) == expected
    assert session.installed == ([str(found)] if expected else [])


def test_required_torch_without_a_wheel_fails_the_session(monkeypatch):
    monkeypatch.setattr(install, "cpu_torch_wheel", lambda: None)
    monkeypatch.setenv("TT_REQUIRE_TORCH", "1")
    with pytest.raises(RuntimeError, match="no CPU wheel of torch==2.13.0"):
        install.install_oracle_torch(Session())
