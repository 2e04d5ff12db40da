"""Run nox from a virtual environment of its own: the README's first command.

    python3 tools/run_nox.py -s milestones      # arguments go to nox as they are
    python3 tools/run_nox.py -s tests

Works with any Python 3.11+, Debian's and Ubuntu's own included: their python3
refuses `pip install` outside a virtual environment (PEP 668), so this script
never installs into the Python that runs it. The first run makes `.venv-nox/`
at the repository root (`$TT_NOX_VENV` elsewhere), installs `nox[uv]` there
with pip, and this tree's tools package (`pip install -e tools`: the noxfile
imports `ttdev`), then runs that nox; later runs start it at once, and install
the tools package again only when it is missing, comes from another tree, or
`tools/pyproject.toml` changed since. It takes, in order:

1. `python3 -m venv` with pip (a python.org, pyenv or Homebrew Python, or
   Debian's with the python3-venv package);
2. where venv cannot install pip (Debian without python3-venv), a venv without
   pip, filled by this Python's own pip (`pip --python`) or by `uv`, if either
   is there;
3. otherwise it stops and prints the one command that fixes the machine.

Nothing here imports nox or tinytorch: it only needs the standard library.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"           # the tools package (tools/pyproject.toml, import name ttdev)
TOOLS_STAMP = "tinytorch-tools.txt"   # in the venv: which tools/ it installed, and how
REQUIREMENT = "nox[uv]>=2024.10.9"
MINIMUM_PYTHON = (3, 11)


class BootstrapError(RuntimeError):
    """The environment for nox could not be made; the message says what to do."""


def venv_dir(environ=os.environ) -> Path:
    """Where nox's own environment lives: ``$TT_NOX_VENV`` or ``.venv-nox`` in the repo."""
    return Path(environ.get("TT_NOX_VENV") or ROOT / ".venv-nox").absolute()


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_nox(venv: Path) -> Path:
    return venv / ("Scripts/nox.exe" if os.name == "nt" else "bin/nox")


def say(message: str) -> None:
    print(f"run_nox: {message}", file=sys.stderr, flush=True)


def run(command: list[str], quiet: bool = False) -> bool:
    """Run ``command``; True when it exits 0. ``quiet`` keeps its output unless it fails."""
    result = subprocess.run(command, capture_output=quiet, text=True)
    if result.returncode and quiet:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode == 0


def has_pip(python: str | Path) -> bool:
    return subprocess.run([str(python), "-m", "pip", "--version"],
                          capture_output=True).returncode == 0


def fix_hint() -> str:
    """The command that lets this machine's Python make virtual environments."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if Path("/etc/debian_version").is_file():
        return (f"sudo apt-get install python3-venv   (Debian and Ubuntu; on some releases "
                f"python{version}-venv), then run this command again")
    return ("install a Python from python.org (or pyenv, or your system's python3-venv "
            "package), then run this command again")


def make_venv(venv: Path) -> None:
    """A virtual environment at ``venv`` holding ``nox[uv]``."""
    say(f"making nox's own environment in {venv} (once; delete it to start again)")
    shutil.rmtree(venv, ignore_errors=True)
    if run([sys.executable, "-m", "venv", str(venv)], quiet=True):
        install = [str(venv_python(venv)), "-m", "pip", "install"]
    else:
        say("this Python's venv cannot install pip (no ensurepip); trying without it")
        shutil.rmtree(venv, ignore_errors=True)
        if not run([sys.executable, "-m", "venv", "--without-pip", str(venv)], quiet=True):
            raise BootstrapError(f"`{sys.executable} -m venv` does not work here: {fix_hint()}")
        install = outside_installer(venv)
    if not run([*install, "--quiet", REQUIREMENT]):
        shutil.rmtree(venv, ignore_errors=True)
        raise BootstrapError(f"could not install {REQUIREMENT} into {venv} (pip's error is "
                             "above); check the network or pip's index settings")
    install_tools(venv, install)


def tools_stamp() -> str:
    """What the venv's tools package must match: this tree's tools/ and its pyproject.toml."""
    digest = hashlib.sha256((TOOLS / "pyproject.toml").read_bytes()).hexdigest()
    return f"{TOOLS}\n{digest}\n"


def tools_current(venv: Path) -> bool:
    """The venv holds this tree's tools package, installed from today's pyproject.toml."""
    stamp = venv / TOOLS_STAMP
    return stamp.is_file() and stamp.read_text() == tools_stamp()


def install_tools(venv: Path, install: list[str]) -> None:
    """``pip install -e tools`` into ``venv`` with the ``install`` command; then the stamp."""
    if not run([*install, "--quiet", "-e", str(TOOLS)]):
        raise BootstrapError(f"could not install the tools package ({TOOLS}) into {venv} "
                             "(pip's error is above)")
    venv.mkdir(parents=True, exist_ok=True)
    (venv / TOOLS_STAMP).write_text(tools_stamp())


def installer(venv: Path) -> list[str]:
    """The install command for an existing ``venv``: its own pip, else one from outside."""
    python = venv_python(venv)
    return [str(python), "-m", "pip", "install"] if has_pip(python) else outside_installer(venv)


def outside_installer(venv: Path) -> list[str]:
    """An install command from outside the venv that fills it: this Python's pip, else uv."""
    target = str(venv_python(venv))
    if has_pip(sys.executable):  # pip 22.3+ installs into another interpreter's environment
        return [sys.executable, "-m", "pip", "--python", target, "install"]
    uv = shutil.which("uv")
    if uv:
        return [uv, "pip", "install", "--python", target]
    shutil.rmtree(venv, ignore_errors=True)
    raise BootstrapError(f"this Python has neither venv's pip nor pip itself: {fix_hint()}")


def ensure_nox(venv: Path) -> Path:
    """The nox of ``venv``, made first when it is missing or broken; the tools package
    installed again when it is not this tree's or tools/pyproject.toml changed."""
    nox = venv_nox(venv)
    if not (nox.is_file() and run([str(venv_python(venv)), "-c", "import nox"], quiet=True)):
        make_venv(venv)
    elif not tools_current(venv):
        say(f"installing this tree's tools package ({TOOLS}) into {venv}")
        install_tools(venv, installer(venv))
    return nox


def main(argv: list[str]) -> int:
    if sys.version_info < MINIMUM_PYTHON:
        say(f"tinytorch needs Python {'.'.join(map(str, MINIMUM_PYTHON))}+, "
            f"this is {sys.version.split()[0]} ({sys.executable})")
        return 2
    try:
        nox = ensure_nox(venv_dir())
    except BootstrapError as error:
        say(f"error: {error}")
        return 1
    os.chdir(ROOT)
    command = [str(nox), *argv]
    if os.name == "nt":
        return subprocess.run(command).returncode
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
