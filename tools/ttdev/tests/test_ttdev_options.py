"""--reference / TT_REFERENCE parsing and choosing reference wheels."""

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from ttdev.graph import discover_packages
from ttdev.install import SourceError, find_reference_wheel, required_range
from ttdev.options import OptionsError, parse_options, take_options

KNOWN = ["tt-tensor", "tt-autograd", "tt-nn"]


def test_reference_flag_is_removed_from_passthrough(tmp_path):
    options = parse_options(
        ["--quick", "--reference", "tt-tensor,tt-autograd", "-k", "x"], KNOWN, tmp_path, environ={}
    )
    assert options.reference == {"tt-tensor", "tt-autograd"}
    assert options.passthrough == ("--quick", "-k", "x")
    assert options.wheelhouse == (tmp_path / "dist").resolve()


def test_equals_form_and_wheelhouse_flag(tmp_path):
    options = parse_options(
        ["--reference=tt_Tensor", "--reference-wheelhouse", "wh"], KNOWN, tmp_path, environ={}
    )
    assert options.reference == {"tt-tensor"}
    assert options.wheelhouse == (tmp_path / "wh").resolve()


def test_environment_variables_have_the_same_meaning(tmp_path):
    env = {"TT_REFERENCE": "all", "TT_REFERENCE_WHEELHOUSE": "/opt/wheels"}
    options = parse_options([], KNOWN, tmp_path, environ=env)
    assert options.reference == set(KNOWN)
    assert options.wheelhouse == Path("/opt/wheels")


def test_flag_wins_over_environment(tmp_path):
    options = parse_options(
        ["--reference", "tt-nn"], KNOWN, tmp_path, environ={"TT_REFERENCE": "tt-tensor"}
    )
    assert options.reference == {"tt-nn"}


def test_unknown_reference_package_is_an_error(tmp_path):
    with pytest.raises(OptionsError, match="tt-gpu"):
        parse_options(["--reference", "tt-gpu"], KNOWN, tmp_path, environ={})


def test_missing_value_is_an_error_naming_the_flag(tmp_path):
    with pytest.raises(OptionsError, match="argument --reference: expected one argument"):
        parse_options(["--reference"], KNOWN, tmp_path, environ={})
    with pytest.raises(OptionsError, match="--reference-wheelhouse DIR"):   # the usage line
        parse_options(["-k", "x", "--reference-wheelhouse"], KNOWN, tmp_path, environ={})


def test_an_abbreviation_is_passed_on_not_taken_for_the_flag(tmp_path):
    options = parse_options(["--ref", "tt-nn", "--", "-q"], KNOWN, tmp_path, environ={})
    assert options.reference == frozenset()
    assert options.passthrough == ("--ref", "tt-nn", "--", "-q")


def test_take_options_removes_its_flags_and_keeps_the_rest_in_order():
    args = ["a", "--timeout=2.5", "-k", "x", "--workers", "3", "--out", "o", "b"]
    values = take_options(args, timeout=900.0, workers=2, out="results", packages="")
    assert values == {"timeout": 2.5, "workers": 3, "out": "o", "packages": ""}
    assert isinstance(values["workers"], int)
    assert args == ["a", "-k", "x", "b"]


@pytest.mark.parametrize("args, expected", [
    (["--timeout", "soon"], "argument --timeout: takes a positive number, got 'soon'"),
    (["--timeout", "-5"], "argument --timeout: takes a positive number, got '-5'"),
    (["--timeout", "nan"], "argument --timeout: takes a positive number, got 'nan'"),
    (["--workers", "1.5"], "argument --workers: takes a positive number, got '1.5'"),
    (["--timeout"], "argument --timeout: expected one argument"),
])
def test_take_options_names_the_flag_and_what_it_expects(args, expected):
    with pytest.raises(OptionsError, match=expected):
        take_options(list(args), timeout=60.0, workers=2)


def _wheel(folder: Path, name: str, version: str) -> Path:
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    path.write_bytes(b"")
    return path


def test_newest_wheel_within_the_range_is_chosen(tmp_path):
    _wheel(tmp_path, "tt-tensor", "0.1.0")
    best = _wheel(tmp_path, "tt-tensor", "0.1.3")
    _wheel(tmp_path, "tt-tensor", "0.2.0")
    _wheel(tmp_path, "tt-autograd", "0.1.9")
    assert find_reference_wheel(tmp_path, "tt-tensor", SpecifierSet(">=0.1,<0.2")) == best


def test_no_fitting_wheel_names_what_was_found(tmp_path):
    _wheel(tmp_path, "tt-tensor", "0.2.0")
    with pytest.raises(SourceError, match=r"found: 0\.2\.0"):
        find_reference_wheel(tmp_path, "tt-tensor", SpecifierSet("<0.2"))


def test_missing_wheelhouse_says_how_to_build_it(tmp_path):
    with pytest.raises(SourceError, match="nox -s build"):
        find_reference_wheel(tmp_path / "nope", "tt-tensor", SpecifierSet())


def test_required_range_intersects_the_dependents(fake_tree):
    packages = discover_packages(fake_tree / "packages")
    allowed = required_range("tt-tensor", ["tt-tensor", "tt-autograd", "tt-nn"], packages)
    assert "0.1.5" in allowed and "0.2.0" not in allowed
    assert str(required_range("tt-nn", ["tt-tensor", "tt-nn"], packages)) == ""


def test_all_deps_keeps_only_the_session_targets_local(tmp_path):
    options = parse_options(["--reference", "all-deps"], KNOWN, tmp_path, environ={},
                            targets=["tt-autograd"])
    assert options.reference == {"tt-tensor", "tt-nn"}


def test_all_deps_without_a_target_is_explained(tmp_path):
    with pytest.raises(OptionsError, match="all-deps needs a session with a target"):
        parse_options([], KNOWN, tmp_path, environ={"TT_REFERENCE": "all-deps"})
