"""End-to-end: the class workflow on real wheels, venvs and nox (``nox -s e2e``, a few minutes).

- a starter builds, imports, and its tests report "not implemented" as a short list;
- a copy of the reference with two planted bugs (tt-autograd's mul_backward, tt-nn's
  Tanh.forward): ``isolate`` names exactly those two packages and confirms that the
  reference for them makes the target pass; ``grade`` reports them, and reports a
  student folder without packages without stopping;
- a reference wheel of another version is used within the declared range, refused outside;
- a student function that loops forever costs ``grade`` one timeout, named by its test, and
  the rest of the tree is still graded.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from ttdev.graph import discover_packages
from ttdev.install import SourceError, find_reference_wheel, required_range
from ttdev.sandbox import build_wheel, run_target
from ttdev.specs import discover_milestones
from ttdev.starter import tree_files, write_starter
from ttdev.targets import milestone_target
from ttdev.tasks import read_tasks

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
PACKAGES = discover_packages(ROOT / "packages")
NEEDED = ["tt-tensor", "tt-autograd", "tt-nn"]
BUGS = {  # file -> (reference text, planted bug)
    "packages/tt-autograd/src/tinytorch/autograd/rules.py": (
        "unbroadcast(g * b, a.shape) if need_a else None",
        "unbroadcast(g * a, a.shape) if need_a else None"),
    "packages/tt-nn/src/tinytorch/nn/activation.py": (
        "        return F.tanh(input)\n", "        return input\n"),
}


def copy_tree(root: Path, dest: Path) -> None:
    """A student's tree that is the reference as it is: its files as the starter lists them."""
    for relative in tree_files(root):
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, dest / relative)


def nox(tree: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``nox`` in ``tree`` (its own noxfile), output captured: run from an environment with
    nox and that tree's own tools package, as its owner's ``tools/run_nox.py`` makes it."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "TT_REFERENCE")}
    return subprocess.run([nox_python(tree), "-m", "nox", "--no-color", *args], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


def nox_python(tree: Path) -> Path:
    """The Python of ``tree``'s nox environment: this one for the reference itself, else one
    made once with uv beside the tree (a test's temporary folder)."""
    if tree.resolve() == ROOT:
        return Path(sys.executable)
    venv = tree.parent / f"{tree.name}-venv-nox"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        uv = shutil.which("uv")
        assert uv, "nox -s e2e installs uv: it makes each tree's nox environment"
        nox_version = metadata.version("nox")
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, venv], check=True)
        subprocess.run([uv, "pip", "install", "--quiet", "--python", python,
                        f"nox[uv]=={nox_version}", "-e", tree / "tools"], check=True)
    return python


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    """Reference wheels of the packages the tests need."""
    out = tmp_path_factory.mktemp("wheelhouse")
    for name in NEEDED:
        build_wheel(PACKAGES[name].path, out, timeout=300)
    return out


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A copy of the reference with one bug in tt-autograd and one in tt-nn."""
    tree = tmp_path_factory.mktemp("student") / "alice"
    copy_tree(ROOT, tree)
    for relative, (good, bad) in BUGS.items():
        path = tree / relative
        assert path.read_text().count(good) == 1, f"{relative} changed: update BUGS"
        path.write_text(path.read_text().replace(good, bad))
    return tree


def test_the_starter_builds_and_lists_what_is_left(tmp_path):
    starter = tmp_path / "starter"
    write_starter(ROOT, starter)
    for name, package in discover_packages(starter / "packages").items():
        assert build_wheel(package.path, tmp_path / "wheels" / name, timeout=300).is_file()
    sources = os.pathsep.join(str(p) for p in sorted((starter / "packages").glob("*/src")))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "packages/tt-tensor/tests"], cwd=starter, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": sources}, check=False)
    assert done.returncode == 1
    assert "not implemented yet (tinytorch starter)" in done.stdout
    assert "tt-tensor: " in done.stdout and "Traceback" not in done.stdout
    progress = nox(starter, "-s", "progress")
    assert progress.returncode == 0, progress.stdout + progress.stderr
    assert "milestone_01  1957" in progress.stdout and "locked, functions left: tt-tensor" \
        in progress.stdout, progress.stdout
    first = read_tasks(ROOT / "packages" / "tt-tensor")[0].name
    assert "tt-tensor: 0 of " in progress.stdout and \
        f"tasks done, next: nox -s task -- tt-tensor {first}" in progress.stdout, progress.stdout


def test_isolate_names_exactly_the_broken_packages(broken, wheelhouse):
    done = nox(broken, "-s", "isolate", "--", "tt-nn", "--reference-wheelhouse", str(wheelhouse),
               "--timeout", "300")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "verdict: broken: tt-autograd, tt-nn (each fails" in out, out
    assert "with tt-autograd, tt-nn from the reference, the student's tree passes" in out, out
    assert "student tt-tensor, reference for the rest      PASS" in out, out


def test_grade_reports_the_broken_packages_and_survives_a_bad_tree(broken, wheelhouse, tmp_path):
    empty = tmp_path / "bob"
    empty.mkdir()
    # carol: a syntax error in tt-tensor, tt-autograd as the starter has it (stubs), and a
    # tt-nn whose pyproject is not TOML
    malformed = tmp_path / "carol"
    write_starter(ROOT, tmp_path / "starter")
    shutil.copytree(tmp_path / "starter" / "packages" / "tt-autograd",
                    malformed / "packages" / "tt-autograd")
    shutil.copytree(PACKAGES["tt-tensor"].path, malformed / "packages" / "tt-tensor",
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    creation = malformed / "packages/tt-tensor/src/tinytorch/tensor/creation.py"
    creation.write_text(creation.read_text() + "\n\ndef broken(:\n    pass\n")
    bad_line = creation.read_text().splitlines().index("def broken(:") + 1
    (malformed / "packages" / "tt-nn").mkdir()
    (malformed / "packages" / "tt-nn" / "pyproject.toml").write_text("[project\nname = 1\n")
    out = tmp_path / "grade"
    done = nox(ROOT, "-s", "grade", "--", str(broken), str(empty), str(malformed), "--packages",
               "tt-tensor,tt-autograd,tt-nn", "--milestones", "none", "--workers", "2",
               "--timeout", "300", "--reference-wheelhouse", str(wheelhouse), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "grades.json").read_text())
    alice = report["students"]["alice"]["packages"]
    assert {name: row["status"] for name, row in alice.items()} == {
        "tt-tensor": "pass", "tt-autograd": "fail", "tt-nn": "fail"}
    assert alice["tt-nn"]["failed"] >= 1 and "test_activation" in alice["tt-nn"]["details"]
    assert report["students"]["bob"]["tree"]["status"] == "error"
    carol = report["students"]["carol"]["packages"]
    stubbed = carol["tt-autograd"]
    assert stubbed["status"] == "not implemented", stubbed["details"]
    assert stubbed["not_implemented"] > 0 and stubbed["failed"] == 0 and stubbed["score"] < 100
    assert carol["tt-tensor"]["status"] in ("fail", "error"), carol
    assert f"SyntaxError in tinytorch/tensor/creation.py line {bad_line}" in \
        carol["tt-tensor"]["details"], carol["tt-tensor"]
    assert report["students"]["carol"]["commit"] == "not a git repo"
    assert report["reference"]["versions"]["tt-tensor"] == str(PACKAGES["tt-tensor"].version)
    assert carol["tt-nn"]["status"] == "error"
    assert "packages/tt-nn/pyproject.toml: not valid TOML" in carol["tt-nn"]["details"]
    assert "alice,not a git repo,package,tt-autograd,fail," in (out / "grades.csv").read_text()


HANG = ("        return F.tanh(input)\n", "        while True:   # planted: never returns\n"
        "            pass\n")
HANG_TIMEOUT = 60   # seconds per run: enough for tt-tensor's tests on a busy machine


def test_a_hanging_function_costs_one_timeout_that_names_its_test(wheelhouse, tmp_path):
    """tt-nn's Tanh.forward loops forever: tt-nn's run is stopped once, naming the test that
    was running; milestone_02, which needs tt-nn, is not run again; tt-tensor, tt-autograd
    and milestone_01 (which does not need tt-nn) are graded as usual."""
    henry = tmp_path / "henry"
    copy_tree(ROOT, henry)
    activation = henry / "packages/tt-nn/src/tinytorch/nn/activation.py"
    assert activation.read_text().count(HANG[0]) == 1, "activation.py changed: update HANG"
    activation.write_text(activation.read_text().replace(*HANG))
    out = tmp_path / "grade"
    done = nox(ROOT, "-s", "grade", "--", str(henry), "--packages", ",".join(NEEDED),
               "--milestones", "01,02", "--workers", "2", "--timeout", str(HANG_TIMEOUT),
               "--reference-wheelhouse", str(wheelhouse), "--out", str(out), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    henry_report = json.loads((out / "grades.json").read_text())["students"]["henry"]
    packages, milestones = henry_report["packages"], henry_report["milestones"]
    assert packages["tt-tensor"]["status"] == "pass", packages["tt-tensor"]
    assert packages["tt-autograd"]["status"] == "pass", packages["tt-autograd"]
    hung = packages["tt-nn"]
    assert hung["status"] == "timeout", hung
    assert re.search(r"test packages/tt-nn/tests/test_\w+\.py::\S+ did not finish within the "
                     r"time limit", hung["details"]), hung["details"]
    assert hung["seconds"] >= HANG_TIMEOUT
    assert milestones["milestone_01"]["status"] == "pass", milestones["milestone_01"]
    again = milestones["milestone_02"]
    assert again["status"] == "timeout" and again["seconds"] == 0, again
    assert again["details"].startswith("not run: it needs tt-nn (in tt-nn)"), again
    timed_out = [row for row in (*packages.values(), *milestones.values())
                 if row["status"] == "timeout" and not row["details"].startswith("not run")]
    assert timed_out == [hung], "a hang must cost one timeout"


def _versions_inside_and_above(allowed):
    """A patch release inside ``allowed`` (``>=A,<B``) and the release ``B`` just above it."""
    upper = next(spec.version for spec in allowed if spec.operator == "<")
    current = PACKAGES["tt-tensor"].version
    inside = f"{current.major}.{current.minor}.{current.micro + 1}"
    assert allowed.contains(inside) and not allowed.contains(upper)
    return inside, upper


def test_reference_wheels_of_other_versions_within_the_range(tmp_path):
    """tt-autograd's range on tt-tensor (``>=A,<B``): a patch release serves, ``B`` is refused."""
    names = ["tt-tensor", "tt-autograd"]
    allowed = required_range("tt-tensor", names, PACKAGES)
    inside, above = _versions_inside_and_above(allowed)
    for version in (inside, above):
        copy = tmp_path / f"tt-tensor-{version}"
        copy_tree(PACKAGES["tt-tensor"].path, copy)
        about = next(copy.glob("src/tinytorch/*/__about__.py"))
        about.write_text(f'__version__ = "{version}"\n')
        build_wheel(copy, tmp_path / f"wheelhouse-{version}", timeout=300)
    bumped = find_reference_wheel(tmp_path / f"wheelhouse-{inside}", "tt-tensor", allowed)
    assert bumped.name.startswith(f"tt_tensor-{inside}")
    escaped = re.escape(above)
    refused = rf"no tt-tensor wheel .* with version .*<{escaped}.*{escaped}"
    with pytest.raises(SourceError, match=refused):
        find_reference_wheel(tmp_path / f"wheelhouse-{above}", "tt-tensor", allowed)
    autograd = build_wheel(PACKAGES["tt-autograd"].path, tmp_path / "tree", timeout=300)
    milestone = next(m for m in discover_milestones(ROOT / "milestones")
                     if m.unlocked_by == "tt-autograd")
    outcome = run_target(milestone_target(milestone), [bumped, autograd], tmp_path / "run", 300)
    assert outcome.ok, outcome.summary()


FORGE = '''import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    (yield).get_result().outcome = "passed"   # every test "passes"
'''
BUILD_HOOK = '''from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class Hook(BuildHookInterface):
    def initialize(self, version, build_data):
        Path({marker!r}).write_text("a student build hook ran")
'''
ZEROS_BUG = "\n\ndef zeros(*size, **kwargs):  # planted bug\n    return ones(*size, **kwargs)\n"
WRITE_INTO_TESTS = '''
import pathlib as _pathlib
import sys as _sys

for _arg in _sys.argv:   # pytest's arguments name the tests folder: make every test pass
    for _test in _pathlib.Path(_arg).glob("test_*.py") if _pathlib.Path(_arg).is_dir() else ():
        try:
            _test.write_text("def test_forged():\\n    pass\\n")
        except OSError:
            pass
'''


def _tensor_student(folder: Path) -> Path:
    """``folder`` with a copy of the reference tt-tensor; its package folder."""
    package = folder / "packages" / "tt-tensor"
    copy_tree(PACKAGES["tt-tensor"].path, package)
    return package


def test_grade_is_not_forged_by_plugins_conftests_hooks_writes_or_links(wheelhouse, tmp_path,
                                                                        monkeypatch):
    from ttdev import sandbox
    from ttdev.grade import IDENTICAL, grade
    from ttdev.integrity import fingerprint
    from ttdev.sandbox import sandbox_status
    from ttdev.targets import reference_wheels

    students, marker = tmp_path / "students", tmp_path / "hook-ran"
    forger = _tensor_student(students / "forger")     # buggy, with a plugin, conftests, a hook
    init = forger / "src" / "tinytorch" / "tensor" / "__init__.py"
    init.write_text(init.read_text() + ZEROS_BUG)
    (forger / "src" / "tinytorch" / "tensor" / "forge.py").write_text(FORGE)
    for conftest in (students / "forger", forger, forger / "tests"):
        (conftest / "conftest.py").write_text(FORGE)
    (forger / "hatch_build.py").write_text(BUILD_HOOK.format(marker=str(marker)))
    with (forger / "pyproject.toml").open("a") as handle:
        handle.write('\n[project.entry-points.pytest11]\nforge = "tinytorch.tensor.forge"\n'
                     '\n[tool.hatch.build.hooks.custom]\n')
    naive = build_wheel(forger, tmp_path / "naive", timeout=300)   # the plants do work ...
    with zipfile.ZipFile(naive) as archive:
        points = [archive.read(n).decode() for n in archive.namelist()
                  if n.endswith("entry_points.txt")]
    assert marker.is_file() and "pytest11" in "".join(points)
    marker.unlink()
    writer = _tensor_student(students / "writer")
    init = writer / "src" / "tinytorch" / "tensor" / "__init__.py"
    init.write_text(init.read_text() + ZEROS_BUG + WRITE_INTO_TESTS)
    (students / "linker" / "packages").mkdir(parents=True)
    (students / "linker" / "packages" / "tt-tensor").symlink_to(PACKAGES["tt-tensor"].path)
    _tensor_student(students / "copycat")
    tests_before = fingerprint(PACKAGES["tt-tensor"].path / "tests")

    reference = reference_wheels(["tt-tensor"], PACKAGES, wheelhouse)
    rows = grade([students / n for n in ("forger", "writer", "linker", "copycat")], PACKAGES,
                 [], reference, workers=2, timeout=300, log=lambda line: None,
                 package_names=["tt-tensor"])
    found = {(r.student, r.kind): r for r in rows}
    forged = found["forger", "package"]            # ... but not on the grader
    assert forged.status == "fail" and "test_tensor_dtypes_and_creation" in forged.details
    assert not marker.exists(), "the student's build hook ran"
    if sandbox_status() == "bubblewrap":   # the copy is mounted read-only: the writes fail
        assert found["writer", "package"].status == "fail"
        monkeypatch.setattr(sandbox, "_sandbox_state", {"bwrap": None, "reason": "off"})
        [_, writer_row] = grade([students / "writer"], PACKAGES, [], reference, workers=1,
                                timeout=300, log=lambda line: None, package_names=["tt-tensor"])
    else:
        writer_row = found["writer", "package"]
    if os.geteuid() == 0:     # without bubblewrap, root's writes succeed but are seen
        assert writer_row.status == "error"
        assert "changed the reference tests" in writer_row.details
    else:                     # others cannot write the read-only copy
        assert writer_row.status == "fail"
    assert fingerprint(PACKAGES["tt-tensor"].path / "tests") == tests_before
    assert "refused: symlinks leave the student's tree" in found["linker", "tree"].details
    assert found["linker", "package"].status == "error"
    assert found["copycat", "package"].status == "pass"
    assert found["copycat", "package"].details.startswith(IDENTICAL)
    assert found["copycat", "tree"].details.startswith(f"{IDENTICAL}: tt-tensor")
