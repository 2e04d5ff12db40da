"""nox -s progress: stubs counted from sources, milestones locked, unlocked and passed."""

import json

from ttdev.graph import discover_packages
from ttdev.progress import format_progress, package_progress
from ttdev.specs import discover_milestones
from ttdev.stubs import stub_source


def test_progress_counts_stubs_and_reads_milestone_results(fake_tree, tmp_path):
    nn = fake_tree / "packages" / "tt-nn" / "src" / "tinytorch" / "nn" / "layers.py"
    nn.write_text("def relu(x):\n" + "\n".join(stub_source("    ", "tt-nn", "relu", [], "d")))
    folder = fake_tree / "milestones"
    for number, package in ((1, "tt-autograd"), (2, "tt-nn")):
        stone = folder / f"0{number}_19{number}0_m{number}"
        stone.mkdir(parents=True)
        (stone / "milestone.toml").write_text(
            f'number = {number}\nyear = 19{number}0\nslug = "m{number}"\ntitle = "M{number}"\n'
            f'unlocked_by = "{package}"\n[[script]]\nfile = "run.py"\n'
            '[[script.bar]]\nmetric = "acc"\nat_least = 0.9\n')
    results = tmp_path / "results"
    (results / "01_1910_m1").mkdir(parents=True)
    (results / "01_1910_m1" / "run.json").write_text(json.dumps({"passed": True, "quick": True}))
    packages = discover_packages(fake_tree / "packages")
    rows = package_progress(packages, tmp_path / "no-junit")
    assert {r.name: r.to_write for r in rows}["tt-nn"] == ("relu",)
    text = format_progress(rows, discover_milestones(folder), packages, results)
    assert "milestone_01  1910  M1" in text and "unlocked, passed (quick)" in text
    assert "locked, functions left: tt-nn 1" in text
