"""What a wheelhouse was built from: only the reference's is labelled "reference wheel",
and a starter's hint never tells a student to build the reference out of their own stubs."""

import subprocess

import pytest
from packaging.version import Version

from ttdev.install import Choice, describe, missing_wheelhouse_hint, summarize
from ttdev.stubs import STARTER_MARKER
from ttdev.wheels import NOT_GIT, read_manifest, tree_commit, wheelhouse_kind, write_manifest


def test_in_a_starter_the_hint_points_to_the_instructor_not_to_nox_build(tmp_path):
    (tmp_path / STARTER_MARKER).write_text("")
    hint = missing_wheelhouse_hint(tmp_path / "dist", root=tmp_path)
    assert "instructor" in hint and "builds your own code, not the reference" in hint
    assert "build it with `nox -s build`" not in hint


def test_in_the_reference_the_hint_says_to_build_it(tmp_path):
    assert "build it with `nox -s build`" in missing_wheelhouse_hint(tmp_path / "d", tmp_path)


@pytest.mark.parametrize(("built_from", "kind", "label"), [
    ("reference", "reference", "reference wheel"),
    ("starter", "starter", "starter wheel"),
    (None, "unknown", "wheelhouse wheel"),
])
def test_the_label_follows_the_manifest(tmp_path, built_from, kind, label):
    if built_from:
        write_manifest(tmp_path, built_from, "abc123", {"tt-tensor": "0.3.0"})
    assert wheelhouse_kind(tmp_path) == kind
    source = {"reference": "reference", "starter": "starter", "unknown": "wheelhouse"}[kind]
    choice = Choice("tt-tensor", Version("0.3.0"), source, str(tmp_path),
                    tmp_path / "tt_tensor-0.3.0-py3-none-any.whl")
    assert label in describe([choice])
    if kind != "reference":
        assert "reference wheel" not in describe([choice])
        assert "reference wheels" not in summarize([choice])


def test_the_manifest_records_the_commit_and_versions(tmp_path):
    write_manifest(tmp_path, "reference", "abc123", {"tt-tensor": "0.3.0"})
    assert read_manifest(tmp_path) == {"built_from": "reference", "commit": "abc123",
                                       "packages": {"tt-tensor": "0.3.0"}}
    (tmp_path / "wheelhouse.json").write_text("not json")
    assert read_manifest(tmp_path) == {} and wheelhouse_kind(tmp_path) == "unknown"


def test_tree_commit_is_the_head_or_says_not_a_git_repo(tmp_path):
    assert tree_commit(tmp_path) == NOT_GIT
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("1")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert tree_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("2")
    assert tree_commit(tmp_path) == head + "+dirty"
    (tmp_path / "sub").mkdir()
    assert tree_commit(tmp_path / "sub") == NOT_GIT   # inside a repository, not its root
