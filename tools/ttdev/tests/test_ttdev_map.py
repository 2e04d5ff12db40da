"""nox -s map: packages with what they need, milestones with their also_requires packages."""

from ttdev.graph import discover_packages
from ttdev.map_report import format_map
from ttdev.specs import discover_milestones


def test_map_shows_also_requires_and_waiting_packages_within_100_columns(fake_tree):
    folder = fake_tree / "milestones"
    for number, unlocked, also in ((1, "tt-nn", '["tt-extra"]'), (2, "tt-nn", '["tt-optim"]')):
        stone = folder / f"0{number}_19{number}0_m{number}"
        stone.mkdir(parents=True)
        (stone / "milestone.toml").write_text(
            f'number = {number}\nyear = 19{number}0\nslug = "m{number}"\n'
            f'title = "A rather long milestone title {number} that gets cut"\n'
            f'unlocked_by = "{unlocked}"\nalso_requires = {also}\n')
    text = format_map(discover_packages(fake_tree / "packages"), discover_milestones(folder))
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    nn = next(line for line in lines if line.startswith("tt-nn"))
    assert nn.split()[3:] == ["01,", "02", "tensor,", "autograd"]
    first = next(line for line in lines if line.startswith("milestone_01"))
    assert "tt-nn + tt-extra" in first and first.endswith("ready")
    second = next(line for line in lines if line.startswith("milestone_02"))
    assert "tt-nn + tt-optim" in second and second.endswith("waiting: tt-optim")
