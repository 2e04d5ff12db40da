"""A fake milestone folder for the runner's and the spec's tests."""

import pytest

TOML = '''
number = 1
year = 1957
slug = "perceptron"
title = "The perceptron"
people = ["Frank Rosenblatt"]
unlocked_by = "tt-autograd"
requirements = ["tqdm>=4.66"]

[[script]]
file = "train.py"
default = true
args = ["--lr", "0.1"]

[[script.bar]]
metric = "test_accuracy"
at_least = 0.95
quick_at_least = 0.8
description = "held-out accuracy"
causes = ["matmul's backward is transposed", "the bias gradient is not summed over the batch"]
next = 'nox -s "test(tt-autograd)" -- -k matmul'

[[script.bar]]
metric = "final_loss"
at_most = 0.5

[[script]]
file = "full_mnist.py"
default = false
'''


@pytest.fixture
def milestone_dir(tmp_path):
    """repo/milestones/01_1957_perceptron with milestone.toml and an empty train.py."""
    folder = tmp_path / "repo" / "milestones" / "01_1957_perceptron"
    folder.mkdir(parents=True)
    (folder / "milestone.toml").write_text(TOML)
    (folder / "train.py").write_text("")
    return folder
