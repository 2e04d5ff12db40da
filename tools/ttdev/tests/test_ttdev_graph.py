"""The dependency graph is read from pyproject files, ordered, closed and checked."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.specifiers import SpecifierSet

from ttdev.graph import (
    GraphError,
    closure,
    direct_edges,
    discover_packages,
    milestone_packages,
    range_problems,
    range_text,
    read_tree,
)
from ttdev.specs import SpecError, discover_milestones

from .ttdev_fakes import write_package

ROOT = Path(__file__).resolve().parents[3]


def milestone(number, *roots):
    """What the order reads from a milestone: its number and the packages it needs."""
    return SimpleNamespace(number=number, package_roots=roots)


def test_discovers_names_versions_and_import_names(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    assert set(packages) == {"tt-tensor", "tt-autograd", "tt-nn", "tt-extra"}
    assert str(packages["tt-extra"].version) == "1.2.0"
    assert packages["tt-nn"].import_name == "tinytorch.nn"
    assert packages["tt-nn"].dependency_names == ["tt-tensor", "tt-autograd"]


def test_order_puts_dependencies_first(fake_tree):
    order = list(discover_packages(fake_tree / "packages"))
    assert order.index("tt-tensor") < order.index("tt-autograd") < order.index("tt-nn")


def test_closure_is_transitive_and_ordered(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    assert closure(packages, "tt-nn") == ["tt-tensor", "tt-autograd", "tt-nn"]
    assert closure(packages, "tt-tensor") == ["tt-tensor"]
    assert set(closure(packages, ["tt-autograd", "tt-extra"])) == {
        "tt-tensor", "tt-autograd", "tt-extra"}


def test_closure_of_several_roots_has_no_repeats(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    names = closure(packages, ["tt-nn", "tt-autograd", "tt-extra"])
    assert sorted(names) == ["tt-autograd", "tt-extra", "tt-nn", "tt-tensor"]
    assert names.index("tt-tensor") < names.index("tt-nn")


def test_closure_names_a_missing_package(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    with pytest.raises(GraphError, match="tt-spatial is not a package"):
        closure(packages, "tt-spatial")


def test_cycle_is_reported_naming_its_packages(tmp_path):
    write_package(tmp_path, "tt-a", ["tt-b>=0.1"])
    write_package(tmp_path, "tt-b", ["tt-c>=0.1"])
    write_package(tmp_path, "tt-c", ["tt-a>=0.1"])
    write_package(tmp_path, "tt-d", ["tt-a>=0.1"])
    with pytest.raises(GraphError, match="dependency cycle") as caught:
        discover_packages(tmp_path / "packages")
    cycle = str(caught.value).split(": ", 1)[1].split(" (")[0].split(" -> ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"tt-a", "tt-b", "tt-c"}
    requires = {"tt-a": "tt-b", "tt-b": "tt-c", "tt-c": "tt-a"}
    assert all(requires[a] == b for a, b in zip(cycle, cycle[1:], strict=False)), (
        "each requires the next")


def test_without_milestones_ready_packages_come_by_name(fake_tree):
    assert list(discover_packages(fake_tree / "packages")) == [
        "tt-extra", "tt-tensor", "tt-autograd", "tt-nn"]


def test_the_earliest_milestone_decides_among_ready_packages(tmp_path):
    write_package(tmp_path, "tt-tensor")
    write_package(tmp_path, "tt-attention", ["tt-tensor>=0.1"])
    write_package(tmp_path, "tt-optim", ["tt-tensor>=0.1"])
    write_package(tmp_path, "tt-spatial", ["tt-optim>=0.1"])
    write_package(tmp_path, "tt-extra")
    milestones = [milestone(5, "tt-attention"), milestone(3, "tt-optim"),
                  milestone(4, "tt-spatial", "tt-optim")]
    # tt-optim (milestone 3) before tt-attention (5) although both only need tt-tensor;
    # tt-extra, which no milestone needs, last
    assert list(discover_packages(tmp_path / "packages", milestones)) == [
        "tt-tensor", "tt-optim", "tt-spatial", "tt-attention", "tt-extra"]


def test_the_real_tree_is_in_teaching_order():
    milestones = discover_milestones(ROOT / "milestones")
    assert list(discover_packages(ROOT / "packages", milestones)) == [
        "tt-tensor", "tt-autograd", "tt-nn", "tt-optim", "tt-spatial", "tt-attention",
        "tt-systems"]


def test_a_malformed_pyproject_is_named(tmp_path):
    folder = write_package(tmp_path, "tt-tensor")
    (folder / "pyproject.toml").write_text('[project\nname = "tt-tensor"\n')
    with pytest.raises(GraphError, match=r"tt-tensor/pyproject.toml: not valid TOML"):
        discover_packages(tmp_path / "packages")


@pytest.mark.parametrize("text, expected", [
    ('[project]\nversion = "0.1.0"\n', r"pyproject.toml: \[project\] name is missing"),
    ('[project]\nname = "tt-x"\nversion = "0.1.0"\ndependencies = ["tt-y >> 1"]\n',
     r"pyproject.toml: bad dependency 'tt-y >> 1'"),
    ('[project]\nname = "tt-x"\nversion = "one"\n',
     r"pyproject.toml: 'one' is not a valid version"),
    ('[project]\nname = "tt-x"\nversion = "0.1.0"\ndependencies = "tt-y"\n',
     r"pyproject.toml: \[project\] dependencies must be a list of requirement strings"),
    ('[project]\nname = "tt-x"\n[tool]\nhatch = "x"\n',
     r"pyproject.toml: cannot be read as a package's pyproject"),
])
def test_a_pyproject_with_bad_fields_is_named(tmp_path, text, expected):
    folder = tmp_path / "packages" / "tt-x"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(text)
    with pytest.raises(GraphError, match=expected):
        discover_packages(tmp_path / "packages")


def test_direct_edges_drop_the_implied_ones(fake_tree):
    edges = direct_edges(discover_packages(fake_tree / "packages"))
    assert sorted(edges) == [("tt-autograd", "tt-nn"), ("tt-tensor", "tt-autograd")]


def test_milestone_packages_are_the_closures_with_absent_ones_last(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    assert milestone_packages(milestone(1, "tt-nn", "tt-zeta", "tt-extra", "tt-beta"),
                              packages) == [
        "tt-extra", "tt-tensor", "tt-autograd", "tt-nn", "tt-beta", "tt-zeta"]


def test_a_package_shows_its_ranges_lower_bound_first(fake_tree):
    nn = discover_packages(fake_tree / "packages")["tt-nn"]
    assert nn.deps == {"tt-tensor": ">=0.1,<0.2", "tt-autograd": ">=0.1,<0.2"}
    assert range_text(SpecifierSet("<0.5,!=0.4.1,>=0.3")) == ">=0.3,!=0.4.1,<0.5"
    assert nn.src_dir == fake_tree / "packages" / "tt-nn" / "src" / "tinytorch" / "nn"


def test_a_package_without_source_is_named_by_its_distribution(tmp_path):
    folder = tmp_path / "packages" / "tt-data-sets"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "tt-data-sets"\nversion = "0.1"\n')
    package = discover_packages(tmp_path / "packages")["tt-data-sets"]
    assert package.import_name == "tinytorch.data_sets" and not package.has_source


def test_ranges_must_admit_local_versions(tmp_path):
    write_package(tmp_path, "tt-tensor", version="0.2.0")
    write_package(tmp_path, "tt-autograd", ["tt-tensor>=0.1,<0.2"])
    problems = range_problems(discover_packages(tmp_path / "packages"))
    assert len(problems) == 1
    assert "tt-autograd requires tt-tensor" in problems[0] and "0.2.0" in problems[0]


def test_dependency_on_missing_package_is_a_problem(tmp_path):
    write_package(tmp_path, "tt-nn", ["tt-tensor>=0.1,<0.2"])
    packages = discover_packages(tmp_path / "packages")
    assert "no packages/tt-tensor" in range_problems(packages)[0]


def test_missing_version_file_is_explained(tmp_path):
    folder = write_package(tmp_path, "tt-tensor")
    (folder / "src" / "tinytorch" / "tensor" / "__about__.py").unlink()
    with pytest.raises(GraphError, match="__version__"):
        discover_packages(tmp_path / "packages")


def test_no_packages_folder_means_no_packages(tmp_path):
    assert discover_packages(tmp_path / "packages") == {}


def write_milestone(root, number, unlocked_by, also_requires=()):
    folder = root / "milestones" / f"{number:02d}_19{number}0_m{number}"
    folder.mkdir(parents=True)
    (folder / "milestone.toml").write_text(
        f'number = {number}\nyear = 19{number}0\nslug = "m{number}"\ntitle = "M{number}"\n'
        f'unlocked_by = "{unlocked_by}"\nalso_requires = {list(also_requires)!r}\n'
        .replace("'", '"'))


def test_read_tree_orders_packages_by_the_milestones_and_knows_what_each_waits_for(fake_tree):
    write_milestone(fake_tree, 2, "tt-nn", ["tt-optim"])
    write_milestone(fake_tree, 1, "tt-extra")
    tree = read_tree(fake_tree)
    assert [m.number for m in tree.milestones] == [1, 2]
    # tt-extra (milestone 01) first, then tt-nn's chain (milestone 02)
    assert list(tree.packages) == ["tt-extra", "tt-tensor", "tt-autograd", "tt-nn"]
    first, second = tree.milestones
    assert tree.missing(first) == [] and tree.runnable(first)
    assert tree.missing(second) == ["tt-optim"] and not tree.runnable(second)


def test_read_tree_puts_what_the_first_milestone_needs_before_a_name_that_sorts_first(fake_tree):
    write_milestone(fake_tree, 1, "tt-nn")
    write_milestone(fake_tree, 2, "tt-extra")
    assert list(read_tree(fake_tree).packages) == ["tt-tensor", "tt-autograd", "tt-nn", "tt-extra"]


def test_read_tree_names_a_broken_milestone_or_pyproject(fake_tree):
    write_milestone(fake_tree, 1, "tt-nn")
    toml = next((fake_tree / "milestones").glob("*/milestone.toml"))
    toml.write_text(toml.read_text().replace("number = 1", "number = one"))
    with pytest.raises(SpecError, match="milestone.toml: not valid TOML"):
        read_tree(fake_tree)
    toml.write_text(toml.read_text().replace("number = one", "number = 1"))
    (fake_tree / "packages" / "tt-nn" / "pyproject.toml").write_text("[project")
    with pytest.raises(GraphError, match="tt-nn/pyproject.toml: not valid TOML"):
        read_tree(fake_tree)
