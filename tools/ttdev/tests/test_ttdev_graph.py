"""The dependency graph is read from pyproject files, ordered, closed and checked."""

import pytest
from ttdev.graph import GraphError, closure, discover_packages, range_problems
from ttdev_fakes import write_package


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


def test_cycle_is_reported(tmp_path):
    write_package(tmp_path, "tt-a", ["tt-b>=0.1"])
    write_package(tmp_path, "tt-b", ["tt-a>=0.1"])
    with pytest.raises(GraphError, match="cycle"):
        discover_packages(tmp_path / "packages")


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
