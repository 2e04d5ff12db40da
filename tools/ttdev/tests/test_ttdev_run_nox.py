"""tools/run_nox.py, the README's first command: how it makes nox an environment of its own.

The commands it would run are recorded instead of run, so every machine's case (venv with
pip, Debian's venv without ensurepip, no pip at all) is checked here on any machine;
.ci/run runs the real thing with each Python the CI machine has.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2]


@pytest.fixture()
def run_nox(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_nox_under_test", TOOLS / "run_nox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Machine:
    """Answers for the commands the bootstrap runs: which of them fail."""

    def __init__(self, venv_with_pip=True, own_pip=True, uv=None):
        self.venv_with_pip, self.own_pip, self.uv = venv_with_pip, own_pip, uv
        self.commands: list[list[str]] = []

    def run(self, command, quiet=False):
        self.commands.append([str(c) for c in command])
        if command[1:3] == ["-m", "venv"] and "--without-pip" not in command:
            return self.venv_with_pip
        return True

    def install(self) -> list[str]:
        return next(c for c in self.commands if "install" in c)


def use(monkeypatch, module, machine: Machine):
    monkeypatch.setattr(module, "run", machine.run)
    monkeypatch.setattr(module, "has_pip", lambda python: machine.own_pip)
    monkeypatch.setattr(module.shutil, "which", lambda name: machine.uv if name == "uv" else None)


def test_a_python_whose_venv_has_pip_installs_nox_with_the_venvs_pip(run_nox, monkeypatch,
                                                                      tmp_path):
    machine = Machine()
    use(monkeypatch, run_nox, machine)
    run_nox.make_venv(tmp_path / "venv")
    assert machine.commands[0] == [sys.executable, "-m", "venv", str(tmp_path / "venv")]
    install = machine.install()
    assert install[:4] == [str(tmp_path / "venv/bin/python"), "-m", "pip", "install"]
    assert run_nox.REQUIREMENT in install
    assert sys.executable not in install, "never installs into the Python that runs it"


def test_debians_venv_without_ensurepip_is_filled_by_this_pythons_pip(run_nox, monkeypatch,
                                                                       tmp_path):
    machine = Machine(venv_with_pip=False, own_pip=True)
    use(monkeypatch, run_nox, machine)
    run_nox.make_venv(tmp_path / "venv")
    assert [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")] in (
        machine.commands)
    install = machine.install()
    assert install[:6] == [sys.executable, "-m", "pip", "--python",
                           str(tmp_path / "venv/bin/python"), "install"]


def test_without_any_pip_uv_fills_the_venv(run_nox, monkeypatch, tmp_path):
    machine = Machine(venv_with_pip=False, own_pip=False, uv="/opt/bin/uv")
    use(monkeypatch, run_nox, machine)
    run_nox.make_venv(tmp_path / "venv")
    assert machine.install()[:5] == ["/opt/bin/uv", "pip", "install", "--python",
                                     str(tmp_path / "venv/bin/python")]


def test_with_no_way_to_install_it_names_the_fix(run_nox, monkeypatch, tmp_path):
    machine = Machine(venv_with_pip=False, own_pip=False, uv=None)
    use(monkeypatch, run_nox, machine)
    monkeypatch.setattr(run_nox, "fix_hint", lambda: "sudo apt-get install python3-venv")
    with pytest.raises(run_nox.BootstrapError, match="apt-get install python3-venv"):
        run_nox.make_venv(tmp_path / "venv")


def test_a_failed_install_says_what_failed(run_nox, monkeypatch, tmp_path):
    machine = Machine()
    machine.run = lambda command, quiet=False: "install" not in command
    use(monkeypatch, run_nox, machine)
    with pytest.raises(run_nox.BootstrapError, match=r"could not install nox\[uv\]"):
        run_nox.make_venv(tmp_path / "venv")


def test_main_reports_a_bootstrap_error_and_exits_non_zero(run_nox, monkeypatch, capsys):
    def broken(venv):
        raise run_nox.BootstrapError("no venv here")

    monkeypatch.setattr(run_nox, "ensure_nox", broken)
    assert run_nox.main(["-l"]) == 1
    assert "run_nox: error: no venv here" in capsys.readouterr().err


def test_the_venv_lives_in_the_repository_unless_told_otherwise(run_nox, tmp_path):
    assert run_nox.venv_dir({}) == TOOLS.parent / ".venv-nox"
    assert run_nox.venv_dir({"TT_NOX_VENV": str(tmp_path)}) == tmp_path
    ignored = (TOOLS.parent / ".gitignore").read_text().splitlines()
    assert ".venv-nox/" in ignored, "the bootstrap venv must never be committed"


def test_a_new_venv_gets_this_trees_tools_package_editable_and_remembers_it(run_nox,
                                                                           monkeypatch, tmp_path):
    machine = Machine()
    use(monkeypatch, run_nox, machine)
    run_nox.make_venv(tmp_path / "venv")
    tools = [c for c in machine.commands if "-e" in c]
    assert len(tools) == 1 and tools[0][-2:] == ["-e", str(TOOLS)]
    assert tools[0][:4] == [str(tmp_path / "venv/bin/python"), "-m", "pip", "install"]
    assert run_nox.tools_current(tmp_path / "venv")


def fake_nox_venv(venv: Path) -> None:
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "nox").write_text("")


def test_the_tools_package_is_installed_again_only_when_stale(run_nox, monkeypatch, tmp_path):
    venv = tmp_path / "venv"
    fake_nox_venv(venv)
    machine = Machine()
    use(monkeypatch, run_nox, machine)
    (venv / run_nox.TOOLS_STAMP).write_text(run_nox.tools_stamp())
    run_nox.ensure_nox(venv)
    assert not [c for c in machine.commands if "install" in c], "up to date: nothing to install"

    # tools/pyproject.toml changed since (or the venv was filled from another tree)
    (venv / run_nox.TOOLS_STAMP).write_text(f"{tmp_path / 'other-tree' / 'tools'}\nabc\n")
    run_nox.ensure_nox(venv)
    installs = [c for c in machine.commands if "install" in c]
    assert installs == [[str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
                         "-e", str(TOOLS)]]
    assert run_nox.tools_current(venv)


def test_the_stamp_follows_the_pyproject(run_nox, monkeypatch, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setattr(run_nox, "TOOLS", tmp_path)
    before = run_nox.tools_stamp()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['y']\n")
    assert run_nox.tools_stamp() != before
