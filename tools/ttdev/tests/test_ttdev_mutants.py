"""The mutation tester on a tiny fake package: mutants only inside solution regions, one
killed by the package's tests and one surviving them, and the report that names it."""

import json
import textwrap

import pytest

from ttdev import mutants

SOURCE = '''\
def add(a, b):
    """a + b (tested properly)."""
    # BEGIN SOLUTION
    return a + b
    # END SOLUTION


def scale(x):
    """2 * x (tested only at zero: its mistakes survive)."""
    # BEGIN SOLUTION
    return x * 2
    # END SOLUTION


def given(x):
    return x - 1
'''

TESTS = '''\
from fakecalc import add, scale


def test_add():
    assert add(2, 3) == 5


def test_scale_at_zero():
    assert scale(0) == 0
'''


def fake_package(root):
    package = root / "packages" / "tt-fake"
    (package / "src" / "fakecalc").mkdir(parents=True)
    (package / "src" / "fakecalc" / "__init__.py").write_text(SOURCE)
    (package / "tests").mkdir()
    (package / "tests" / "test_fakecalc.py").write_text(TESTS)
    (package / "pyproject.toml").write_text('[project]\nname = "tt-fake"\n')
    return package


def test_mutants_stay_inside_solution_regions(tmp_path):
    found = mutants.package_mutants(fake_package(tmp_path))
    assert {m.function for m in found} == {"add", "scale"}
    assert {m.line for m in found} == {4, 11}
    descriptions = {m.description for m in found}
    assert {"a + b -> a - b", "x * 2 -> x / 2", "2 -> 3 in x * 2", "return a + b -> return None"} \
        <= descriptions
    assert all("x - 1" not in d for d in descriptions)   # given code is never mutated


def test_a_mutant_rewrites_only_its_span(tmp_path):
    package = fake_package(tmp_path)
    mutant = next(m for m in mutants.package_mutants(package) if m.description == "2 -> 3 in x * 2")
    mutated = mutant.apply((package / "src/fakecalc/__init__.py").read_bytes()).decode()
    assert mutated == SOURCE.replace("return x * 2", "return x * (3)")


def test_sampling_is_bounded_and_seeded(tmp_path):
    package = fake_package(tmp_path)
    one = mutants.package_mutants(package, max_per_region=1, seed=3)
    assert len(one) == 2 and {m.function for m in one} == {"add", "scale"}
    assert one == mutants.package_mutants(package, max_per_region=1, seed=3)


def test_killed_and_surviving_mutants_are_reported(tmp_path):
    package = fake_package(tmp_path)
    chosen = [m for m in mutants.package_mutants(package)
              if m.description in ("a + b -> a - b", "x * 2 -> x / 2")]
    report = mutants.mutate_package(package, chosen, timeout=60, log=lambda _: None)
    assert (report.generated, report.killed, report.survived, report.timed_out) == (2, 1, 1, 0)
    assert report.survivors == [{"file": "src/fakecalc/__init__.py", "function": "scale",
                                 "line": 11, "description": "x * 2 -> x / 2"}]
    assert (package / "src/fakecalc/__init__.py").read_text() == SOURCE   # never touched

    mutants.write_reports([report], tmp_path / "out")
    data = json.loads((tmp_path / "out" / "mutants.json").read_text())
    assert data[0]["package"] == "tt-fake" and data[0]["score"] == 0.5
    assert json.loads((tmp_path / "out" / "tt-fake.json").read_text()) == data
    text = (tmp_path / "out" / "tt-fake.txt").read_text()
    assert "50.0%" in text and "src/fakecalc/__init__.py:11 scale: x * 2 -> x / 2" in text


def test_a_package_whose_tests_fail_unmutated_is_refused(tmp_path):
    package = fake_package(tmp_path)
    (package / "tests" / "test_broken.py").write_text(textwrap.dedent("""\
        def test_broken():
            assert False
    """))
    with pytest.raises(RuntimeError, match="tt-fake: its tests do not pass unmutated"):
        mutants.mutate_package(package, [], timeout=60, log=lambda _: None)


def test_a_return_none_is_dropped_not_replaced_by_itself():
    import ast

    found = mutants.mutations_of(ast.parse("def f():\n    return None\n").body[0].body[0])
    assert [replacement for _, replacement in found] == ["pass"]


def test_main_names_an_unknown_package_and_the_ones_there_are(fake_tree, capsys):
    with pytest.raises(SystemExit) as exit_info:
        mutants.main(["tt-gpu", "--root", str(fake_tree), "--list"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "no such package under" in error and "tt-gpu" in error and "tt-nn" in error


def test_main_names_a_malformed_pyproject(fake_tree, capsys):
    (fake_tree / "packages" / "tt-nn" / "pyproject.toml").write_text("[project")
    with pytest.raises(SystemExit):
        mutants.main(["--root", str(fake_tree), "--list"])
    assert "tt-nn/pyproject.toml: not valid TOML" in capsys.readouterr().err
