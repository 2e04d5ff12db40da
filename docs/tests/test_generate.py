"""The pages the docs hooks generate, from a small tree made in a temporary folder.

No browser and no MkDocs needed: these check the readers (tools/ttdev/docs_model.py)
and the renderers (tools/ttdev/docs_render.py) on their own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).absolute().parents[2] / "tools" / "ttdev"))

import docs_model  # noqa: E402
import docs_render  # noqa: E402


def write_package(root: Path, name: str, deps: list[str], source: str = "") -> None:
    short = name.removeprefix("tt-")
    folder = root / "packages" / name
    src = folder / "src" / "tinytorch" / short
    src.mkdir(parents=True)
    requirements = ", ".join(f'"{d}>=0.1,<0.2"' for d in deps)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\ndescription = "tinytorch.{short}: the {short} part"\n'
        f'dynamic = ["version"]\ndependencies = ["numpy>=1.24", {requirements}]\n'
        f'[tool.hatch.version]\npath = "src/tinytorch/{short}/__about__.py"\n'
    )
    (src / "__about__.py").write_text('__version__ = "0.1.2"\n')
    (src / "__init__.py").write_text(source or f'"""{name}."""\n')
    (src / "layers.py").write_text('"""Layers."""\n\nclass Thing:\n    """A thing."""\n')
    (src / "_private.py").write_text("")
    (folder / "CHANGELOG.md").write_text(
        "# Changelog\n\n## 0.1.2\n\n- Fixed [a bug](../README.md).\n"
    )


def write_milestone(root: Path, folder: str, number: int, unlocked_by: str, **extra) -> None:
    path = root / "milestones" / folder
    path.mkdir(parents=True)
    lines = [
        f"number = {number}",
        f"year = {1950 + number}",
        f'slug = "{folder.split("_", 2)[2]}"',
        f'title = "Milestone {number}"',
        'people = ["A. Person"]',
        'story = "A story."',
        f'unlocked_by = "{unlocked_by}"',
        'architecture = "x -> [Linear -> ReLU -> +] x 3 -> y"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    lines += ["[[script]]", 'file = "train.py"', "default = true"]
    (path / "milestone.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    write_package(tmp_path, "tt-nn", ["tt-tensor", "tt-autograd"])
    write_package(tmp_path, "tt-tensor", [])
    write_package(tmp_path, "tt-autograd", ["tt-tensor"], 'def gradcheck(fn):\n    """Check."""\n')
    write_package(tmp_path, "tt-optim", ["tt-tensor", "tt-autograd", "tt-nn"])
    write_milestone(tmp_path, "01_1951_one", 1, "tt-autograd")
    write_milestone(tmp_path, "02_1952_two", 2, "tt-nn", also_requires=["tt-optim"])
    write_milestone(tmp_path, "03_1953_three", 3, "tt-spatial")
    return tmp_path


def link(uri: str) -> str:
    return "/" + uri


def test_packages_come_dependencies_first_with_their_facts(tree):
    packages = docs_model.read_packages(tree)
    assert [p.name for p in packages] == ["tt-tensor", "tt-autograd", "tt-nn", "tt-optim"]
    nn = packages[2]
    assert nn.version == "0.1.2"
    assert nn.deps == {"tt-tensor": ">=0.1,<0.2", "tt-autograd": ">=0.1,<0.2"}
    assert docs_model.closure("tt-optim", packages) == [
        "tt-tensor",
        "tt-autograd",
        "tt-nn",
        "tt-optim",
    ]
    # tt-nn -> tt-optim is kept; tt-tensor -> tt-nn is implied through tt-autograd.
    edges = docs_model.direct_edges(packages)
    assert ("tt-nn", "tt-optim") in edges and ("tt-tensor", "tt-nn") not in edges
    assert docs_model.public_modules(nn) == ["tinytorch.nn.layers"]
    assert docs_model.defined_in_init(packages[1]) == ["gradcheck"]


def test_api_and_changelog_pages(tree):
    packages = {p.name: p for p in docs_model.read_packages(tree)}
    api = docs_render.api_page(packages["tt-autograd"])
    assert "::: tinytorch.autograd\n" in api and "members: ['gradcheck']" in api
    assert "::: tinytorch.autograd.layers" in api and "_private" not in api
    changelog = docs_render.changelog_page(packages["tt-nn"])
    assert changelog.startswith("# tt-nn changelog")
    assert "## 0.1.2" in changelog and "Fixed a bug." in changelog  # repo-relative link dropped


def test_timeline_has_a_card_per_milestone_and_says_not_run_yet(tree):
    packages = docs_model.read_packages(tree)
    milestones = docs_model.read_milestones(tree)
    results = {m.name: docs_model.milestone_results(tree, m) for m in milestones}
    page = docs_render.timeline_page(milestones, packages, results, link, str)
    assert page.count('<article class="tt-card"') == 3
    assert page.count("not run yet") == 3
    assert "nox -s milestone_02" in page
    assert 'class="tt-chip tt-chip-also"' in page  # tt-optim, from also_requires
    assert "tt-spatial" in page and "tt-ghost" in page  # unlocked by a package still to come
    assert 'class="tt-arch-group"' in page and "× 3" in page


def test_a_recorded_run_shows_its_bars_verdict_and_plot(tree):
    folder = tree / "results" / "milestones" / "01_1951_one"
    folder.mkdir(parents=True)
    (folder / "train.json").write_text(
        json.dumps(
            {
                "script": "train.py",
                "quick": True,
                "metrics": {"accuracy": 0.97, "loss": 0.1},
                "bars": [
                    {"metric": "accuracy", "value": 0.97, "bar": ">= 0.95", "passed": True},
                    {"metric": "loss", "value": 0.1, "bar": "<= 0.05", "passed": False},
                ],
                "passed": False,
                "curves": {"loss": [[0, 1.0], [1, 0.5], [2, 0.1]]},
                "wall_seconds": 12.5,
                "started_at": "2026-11-21T06:30:00",
            }
        )
    )
    (folder / "train.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    milestone = docs_model.read_milestones(tree)[0]
    [result] = docs_model.milestone_results(tree, milestone)
    assert result.passed is False and result.wall_time_s == 12.5
    assert [(b.metric, b.op, b.threshold, b.passed) for b in result.bars] == [
        ("accuracy", ">=", 0.95, True),
        ("loss", "<=", 0.05, False),
    ]
    assert result.plots == [folder / "train.png"]
    html = docs_render.result_html([result], lambda p: "plots/" + p.name)
    assert "tt-badge-fail" in html and "12.5 s" in html and 'src="plots/train.png"' in html


def test_a_run_s_declared_figures_are_its_plots(tree):
    folder = tree / "results" / "milestones" / "01_1951_one"
    folder.mkdir(parents=True)
    figures = [{"name": n, "file": f"train_{n}.png", "title": n, "caption": ""}
               for n in ("boundary", "loss", "missing")]
    (folder / "train.json").write_text(json.dumps({"script": "train.py", "figures": figures}))
    for name in ("boundary", "loss"):
        (folder / f"train_{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "train.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # an old run's plot: not shown
    milestone = docs_model.read_milestones(tree)[0]
    [result] = docs_model.milestone_results(tree, milestone)
    assert result.plots == [folder / "train_boundary.png", folder / "train_loss.png"]


def test_benchmarks_page_reads_the_bench_json_and_handles_its_absence(tree):
    assert "Run `nox -s bench`" in docs_render.bench_page(docs_model.read_bench(tree))
    bench = tree / "results" / "bench"
    bench.mkdir(parents=True)
    rows = [
        {"case": "mlp step", "implementation": "tinytorch", "median_ms": 2.0, "ratio": 2.0},
        {"case": "mlp step", "implementation": "numpy", "median_ms": 1.0, "ratio": 1.0},
    ]
    (bench / "bench.json").write_text(
        json.dumps(
            {"environment": {"cores": 2}, "notes": {"mlp step": "why"}, "measurements": rows}
        )
    )
    page = docs_render.bench_page(docs_model.read_bench(tree))
    assert "| mlp step | tinytorch | 2.000 | – | 2.00× |" in page
    assert "<svg" in page and "**cores**: 2" in page and "why" in page


def test_package_map_links_packages_and_milestones(tree):
    packages = docs_model.read_packages(tree)
    milestones = docs_model.read_milestones(tree)
    svg = docs_render.package_map_svg(packages, milestones, link)
    for p in packages:
        assert f'href="/packages/{p.name}.md"' in svg
    assert svg.count('href="/history.md#milestone-') == 3
    assert "tt-ghost" in svg  # tt-spatial, not written yet
    words = docs_render.package_map_words(packages, milestones)
    assert "(with tt-optim)" in words and "tt-spatial" in words


def test_milestones_are_read_by_the_runners_parser(tree):
    """The docs and the runner share one milestone.toml schema: what one rejects, both do."""
    toml = tree / "milestones" / "01_1951_one" / "milestone.toml"
    toml.write_text(toml.read_text().replace('slug = "one"\n', ""))
    with pytest.raises(ValueError, match="missing required key"):
        docs_model.read_milestones(tree)
