"""Fake package trees for the ttdev tests."""

from pathlib import Path


def write_package(root: Path, name: str, deps=(), version="0.1.0", namespace_init=False) -> Path:
    """A minimal packages/<name> folder: pyproject with hatch version path and __about__.py."""
    module = name.removeprefix("tt-")
    folder = root / "packages" / name
    src = folder / "src" / "tinytorch" / module
    src.mkdir(parents=True)
    (src / "__about__.py").write_text(f'__version__ = "{version}"\n')
    if namespace_init:
        (folder / "src" / "tinytorch" / "__init__.py").write_text("")
    dependencies = ", ".join(f'"{d}"' for d in ["numpy>=1.26", *deps])
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\ndynamic = ["version"]\n'
        f"dependencies = [{dependencies}]\n"
        f'[tool.hatch.version]\npath = "src/tinytorch/{module}/__about__.py"\n'
    )
    return folder


# Two tasks of a small package (relu, then linear), as a tasks.toml holds them.
TWO_TASKS_TOML = '''\
[[task]]
name = "relu"
title = "ReLU"
functions = ["relu"]
tests = ["tests/test_nn.py::test_relu"]

[[task]]
name = "linear"
title = "The Linear layer"
functions = ["Linear.forward"]
tests = ["tests/test_nn.py::TestLinear::test_forward[case-1]"]
unlocks = "milestone_02"
'''
