"""milestone.toml parsing: the schema in milestones/README.md."""

import math

import pytest

from ttdev.specs import Bar, SpecError, discover_milestones, load_milestone


def test_reads_every_field(milestone_dir):
    spec = load_milestone(milestone_dir)
    assert (spec.number, spec.year, spec.slug, spec.unlocked_by) == (
        1, 1957, "perceptron", "tt-autograd")
    assert spec.session == "milestone_01" and spec.name == "01_1957_perceptron"
    assert spec.requirements == ("tqdm>=4.66",)
    assert [s.file for s in spec.default_scripts()] == ["train.py"]
    train = spec.script("train.py")
    assert train.args == ("--lr", "0.1") and train.stem == "train"
    assert [b.metric for b in train.bars] == ["test_accuracy", "final_loss"]
    assert train.bars[0].causes[0] == "matmul's backward is transposed"
    assert train.bars[0].next == 'nox -s "test(tt-autograd)" -- -k matmul'
    assert train.bars[1].causes == () and train.bars[1].next == ""


def test_quick_bar_replaces_the_full_bar_only_in_quick_mode():
    bar = Bar(metric="acc", at_least=0.95, quick_at_least=0.8)
    assert bar.passes(0.9, quick=True) and not bar.passes(0.9, quick=False)
    assert bar.describe(quick=True) == ">= 0.8"


def test_unmeasured_or_nan_values_never_pass():
    bar = Bar(metric="loss", at_most=0.5)
    assert not bar.passes(None, quick=False)
    assert not bar.passes(math.nan, quick=False)
    assert bar.passes(0.4, quick=True)


def test_undeclared_script_is_an_error(milestone_dir):
    with pytest.raises(SpecError, match="no \\[\\[script\\]\\] with file = 'other.py'"):
        load_milestone(milestone_dir).script("other.py")


@pytest.mark.parametrize(("snippet", "message"), [
    ('[[script.bar]]\nmetric = "x"\n', "needs at_least or at_most"),
    ('[[script.bar]]\nmetric = "x"\nat_lest = 1\n', "unknown key"),
    ('[[script.bar]]\nmetric = "x"\nat_least = "high"\n', "must be a number"),
    ('[[script.bar]]\nmetric = "x"\nat_least = 1\ncauses = "one"\n', "causes must be a list"),
    ('[[script.bar]]\nmetric = "x"\nat_least = 1\nnext = ["a"]\n', "next must be one command"),
])
def test_bad_bars_are_explained(milestone_dir, snippet, message):
    path = milestone_dir / "milestone.toml"
    path.write_text(path.read_text() + snippet)
    with pytest.raises(SpecError, match=message):
        load_milestone(milestone_dir)


def test_number_must_match_the_folder(milestone_dir):
    path = milestone_dir / "milestone.toml"
    path.write_text(path.read_text().replace("number = 1", "number = 2"))
    with pytest.raises(SpecError, match="folder is numbered 01"):
        load_milestone(milestone_dir)


def test_missing_required_key(milestone_dir):
    path = milestone_dir / "milestone.toml"
    path.write_text(path.read_text().replace('unlocked_by = "tt-autograd"', ""))
    with pytest.raises(SpecError, match="unlocked_by"):
        load_milestone(milestone_dir)


def test_discovery_sorts_by_number_and_ignores_other_folders(milestone_dir):
    root = milestone_dir.parent
    later = root / "02_1986_xor"
    later.mkdir()
    (later / "milestone.toml").write_text(
        (milestone_dir / "milestone.toml").read_text().replace("number = 1", "number = 2"))
    (root / "common").mkdir()
    (root / "03_unfinished").mkdir()  # no milestone.toml yet
    assert [m.number for m in discover_milestones(root)] == [1, 2]
