"""What keeps student code from changing a grade: copies, fingerprints, links, build trees.

The attacks themselves, graded end to end, are in test_ttdev_e2e.py.
"""

import os

import pytest

from ttdev import integrity
from ttdev.integrity import (
    IntegrityError,
    escaping_links,
    fingerprint,
    identical_to_reference,
    reference_test_copy,
    student_build_tree,
)


def _package(root, name="tt-tensor", body="    return 1\n"):
    """``root/packages/<name>`` with a pyproject, a hook file and one marked function."""
    folder = root / "packages" / name
    source = folder / "src" / "tinytorch" / "tensor"
    source.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    (source / "ops.py").write_text(f"def one():\n    # BEGIN SOLUTION\n{body}"
                                   "    # END SOLUTION\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_ops.py").write_text("def test_one():\n    assert True\n")
    return folder


def test_the_reference_test_copy_is_read_only_and_holds_the_root_conftest(tmp_path):
    reference = _package(tmp_path / "ref")
    (tmp_path / "ref" / "conftest.py").write_text("# the reference's own hooks\n")
    (tmp_path / "ref" / "tools" / "ttdev").mkdir(parents=True)
    (tmp_path / "ref" / "tools" / "ttdev" / "stubs.py").write_text("STUB = 1\n")
    tests = reference_test_copy(reference / "tests", tmp_path / "copy")
    assert tests == tmp_path / "copy" / "packages" / "tt-tensor" / "tests"
    # the tools the conftest imports are installed in the run's environment, not copied
    assert sorted(fingerprint(tmp_path / "copy")) == [
        "conftest.py", "packages/tt-tensor/tests/test_ops.py"]
    assert not os.stat(tests / "test_ops.py").st_mode & 0o222
    assert not os.stat(tests).st_mode & 0o222
    integrity.set_read_only(tmp_path / "copy", False)
    (tests / "test_forged.py").write_text("def test_forged():\n    pass\n")
    assert integrity.changed_files(fingerprint(reference / "tests"), fingerprint(tests)) == [
        "test_forged.py"]


def test_the_build_tree_has_the_reference_build_files_and_only_the_student_src(tmp_path):
    reference = _package(tmp_path / "ref")
    (reference / "README.md").write_text("reference readme\n")
    student = _package(tmp_path / "alice", body="    return 2\n")
    (student / "hatch_build.py").write_text("raise SystemExit('a student build hook')\n")
    (student / "pyproject.toml").write_text('[build-system]\nbuild-backend = "evil"\n')
    built = student_build_tree(student, reference, tmp_path / "alice", tmp_path / "build")
    assert sorted(fingerprint(built)) == ["README.md", "pyproject.toml",
                                          "src/tinytorch/tensor/ops.py"]
    assert (built / "pyproject.toml").read_text() == (reference / "pyproject.toml").read_text()
    assert "return 2" in (built / "src" / "tinytorch" / "tensor" / "ops.py").read_text()


def test_symlinks_leaving_the_student_tree_are_refused(tmp_path):
    reference = _package(tmp_path / "ref")
    student = _package(tmp_path / "alice")
    source = student / "src" / "tinytorch" / "tensor"
    (source / "passwd.py").symlink_to("/etc/passwd")
    with pytest.raises(IntegrityError, match=r"passwd.py -> /etc/passwd"):
        student_build_tree(student, reference, tmp_path / "alice", tmp_path / "build")
    (source / "passwd.py").unlink()
    (source / "inside.py").symlink_to(source / "ops.py")    # a link inside the tree is fine
    (source / "again").symlink_to(source)                   # ... a loop is not
    loops = escaping_links(student, tmp_path / "alice")
    assert loops == [f"{source / 'again'} (a symlink loop)"]
    (source / "again").unlink()
    built = student_build_tree(student, reference, tmp_path / "alice", tmp_path / "build")
    assert (built / "src" / "tinytorch" / "tensor" / "inside.py").read_text().startswith("def one")


def test_a_package_folder_linked_to_the_reference_is_refused(tmp_path):
    reference = _package(tmp_path / "ref")
    (tmp_path / "bob" / "packages").mkdir(parents=True)
    (tmp_path / "bob" / "packages" / "tt-tensor").symlink_to(reference)
    with pytest.raises(IntegrityError, match="refused: symlinks leave the student's tree"):
        student_build_tree(tmp_path / "bob" / "packages" / "tt-tensor", reference,
                           tmp_path / "bob", tmp_path / "build")


def test_a_copy_of_the_reference_is_identical_even_with_other_given_code(tmp_path):
    reference = _package(tmp_path / "ref")
    assert identical_to_reference(_package(tmp_path / "copy"), reference)
    edited = _package(tmp_path / "edited")
    ops = edited / "src" / "tinytorch" / "tensor" / "ops.py"
    ops.write_text("# a comment outside the solution\n" + ops.read_text().replace(
        "    return 1", "        return 1"))
    assert identical_to_reference(edited, reference)
    assert not identical_to_reference(_package(tmp_path / "own", body="    return 0 + 1\n"),
                                      reference)


def test_the_shared_environment_holds_the_reference_tools_package(monkeypatch, tmp_path):
    """The root conftest and the milestone scripts import ttdev: every run's shared tools
    environment gets the reference's tools package, built once as a wheel."""
    from ttdev import sandbox

    built, venvs = [], []

    def build_wheel(package_dir, out, timeout, find_links=()):
        built.append(package_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "tinytorch_course-0.1.0-py3-none-any.whl").write_text("")
        return out / "tinytorch_course-0.1.0-py3-none-any.whl"

    monkeypatch.setattr(sandbox, "build_wheel", build_wheel)
    monkeypatch.setattr(sandbox, "make_venv", lambda folder, wheels, *rest: venvs.append(
        [w.name for w in wheels]) or folder / "bin" / "python")
    monkeypatch.setattr(sandbox, "_purelib", lambda python, timeout: python.parent)
    monkeypatch.setattr(sandbox, "_shared_envs", {})
    monkeypatch.setattr(sandbox, "_shared_root", [tmp_path])
    sandbox.shared_tools(("numpy", "pytest"), (), 60)
    sandbox.shared_tools(("numpy",), (), 60)
    assert built == [sandbox.TOOLS_PACKAGE] and (sandbox.TOOLS_PACKAGE / "pyproject.toml").is_file()
    assert venvs == [["tinytorch_course-0.1.0-py3-none-any.whl"]] * 2
