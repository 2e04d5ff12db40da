"""The lint checks: namespace __init__.py in trees and wheels, missing milestone scripts,
Sphinx roles in docstrings."""

import zipfile

from ttdev.checks import (
    docstring_markup_problems,
    milestone_problems,
    namespace_problems_in_tree,
    namespace_problems_in_wheel,
)
from ttdev.graph import discover_packages
from ttdev.specs import discover_milestones

from .ttdev_fakes import write_package


def test_namespace_init_in_tree_is_reported(tmp_path):
    write_package(tmp_path, "tt-tensor", namespace_init=True)
    write_package(tmp_path, "tt-nn")
    problems = namespace_problems_in_tree(discover_packages(tmp_path / "packages").values())
    assert len(problems) == 1 and "tt-tensor" in problems[0]


def test_namespace_init_in_wheel_is_reported(tmp_path):
    wheel = tmp_path / "tt_tensor-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tinytorch/tensor/__init__.py", "")
    assert namespace_problems_in_wheel(wheel) == []
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("tinytorch/__init__.py", "")
    assert "tinytorch/__init__.py" in namespace_problems_in_wheel(wheel)[0]


def test_declared_but_missing_script_is_reported(tmp_path):
    folder = tmp_path / "milestones" / "01_1957_perceptron"
    folder.mkdir(parents=True)
    (folder / "milestone.toml").write_text(
        'number = 1\nyear = 1957\nslug = "perceptron"\ntitle = "P"\nunlocked_by = "tt-a"\n'
        '[[script]]\nfile = "train.py"\n[[script.bar]]\nmetric = "acc"\nat_least = 0.9\n'
    )
    problems = milestone_problems(discover_milestones(tmp_path / "milestones"))
    assert "train.py" in problems[0]
    (folder / "train.py").write_text("")
    assert milestone_problems(discover_milestones(tmp_path / "milestones")) == []


def test_also_requires_must_name_a_package(tmp_path):
    write_package(tmp_path, "tt-optim")
    folder = tmp_path / "milestones" / "05_2017_transformer_era"
    folder.mkdir(parents=True)
    (folder / "milestone.toml").write_text(
        'number = 5\nyear = 2017\nslug = "t"\ntitle = "T"\nunlocked_by = "tt-attention"\n'
        'also_requires = ["tt-optim", "tt-optimm"]\n'
    )
    packages = discover_packages(tmp_path / "packages")
    milestones = discover_milestones(tmp_path / "milestones")
    assert milestones[0].package_roots == ("tt-attention", "tt-optim", "tt-optimm")
    problems = milestone_problems(milestones, packages)
    assert len(problems) == 1 and "'tt-optimm'" in problems[0]


def test_a_sphinx_role_in_a_docstring_is_reported_with_its_line(tmp_path):
    write_package(tmp_path, "tt-tensor")
    write_package(tmp_path, "tt-nn")
    packages = discover_packages(tmp_path / "packages")
    assert docstring_markup_problems(packages.values()) == []
    module = packages["tt-nn"].path / "src" / "tinytorch" / "nn" / "layers.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text('"""Layers.\n\nSee :class:`Linear` and ``Conv2d``."""\n')
    problems = docstring_markup_problems(packages.values())
    assert len(problems) == 1 and problems[0].startswith(f"{module}:3:")


REST_MARKUP = '''"""Optimizers."""


class SGD:
    r"""SGD.

    For each parameter :math:`\\theta`:

    .. math::

        \\theta \\leftarrow \\theta - \\eta g

    Examples::

        >>> SGD()
    """

    def step(self):
        """One step."""
        table = data[::2]   # code, not a docstring: never reported
        return table
'''

MARKDOWN = '''"""Optimizers."""


class SGD:
    r"""SGD.

    For each parameter $\\theta$:

    $$
    \\theta \\leftarrow \\theta - \\eta g
    $$

    Examples:
        >>> SGD()

    The loop:

    ```python
    for p in params:
        p -= lr * p.grad
    ```
    """
'''


def test_rest_math_directives_and_literal_markers_are_rejected_markdown_is_not(tmp_path):
    write_package(tmp_path, "tt-optim")
    packages = discover_packages(tmp_path / "packages")
    module = packages["tt-optim"].path / "src" / "tinytorch" / "optim" / "sgd.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(REST_MARKUP)
    problems = docstring_markup_problems(packages.values())
    assert [p.split(": ", 1)[1].split(",")[0] for p in problems] == [
        "a reST math role", "a reST directive", "a reST literal-block marker"]
    assert [int(p.split(":")[1]) for p in problems] == [7, 9, 13], problems
    assert "write $...$ instead" in problems[0]
    module.write_text(MARKDOWN)
    assert docstring_markup_problems(packages.values()) == []


def test_grouped_parameters_in_args_are_reported_other_sections_are_not(tmp_path):
    write_package(tmp_path, "tt-systems")
    packages = discover_packages(tmp_path / "packages")
    module = packages["tt-systems"].path / "src" / "tinytorch" / "systems" / "cache.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text('''"""Caches."""


def cache(num_layers, batch, *args, **kwargs):
    """A cache.

    Args:
        num_layers, batch: the model's shape.
        *args, **kwargs: ignored.

    Attributes:
        keys, values: per layer.
    """
''')
    problems = docstring_markup_problems(packages.values())
    assert [int(p.split(":")[1]) for p in problems] == [8, 9], problems
    assert "several parameters in one Args entry" in problems[0]
