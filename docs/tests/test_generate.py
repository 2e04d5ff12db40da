"""The pages the docs hooks generate, from a small tree made in a temporary folder.

No browser and no MkDocs needed: these check the readers (tools/ttdev/docs_model.py)
and the renderers (tools/ttdev/docs_render.py) on their own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ttdev import docs_model, docs_render, graph


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
    assert str(nn.version) == "0.1.2"
    assert nn.deps == {"tt-tensor": ">=0.1,<0.2", "tt-autograd": ">=0.1,<0.2"}
    by_name = {p.name: p for p in packages}
    assert graph.closure(by_name, "tt-optim") == [
        "tt-tensor",
        "tt-autograd",
        "tt-nn",
        "tt-optim",
    ]
    # tt-nn -> tt-optim is kept; tt-tensor -> tt-nn is implied through tt-autograd.
    edges = graph.direct_edges(by_name)
    assert ("tt-nn", "tt-optim") in edges and ("tt-tensor", "tt-nn") not in edges
    assert docs_model.public_modules(nn) == ["tinytorch.nn.layers"]
    assert docs_model.api_layout(packages[1]) == [
        ("tinytorch.autograd", ["gradcheck"]),
        ("tinytorch.autograd.layers", ["Thing"]),
    ]


def test_api_and_changelog_pages(tree):
    packages = {p.name: p for p in docs_model.read_packages(tree)}
    (uri, _, api), (sub_uri, title, layers) = docs_render.api_pages(packages["tt-autograd"])
    assert uri == "packages/tt-autograd/api.md" and "members: ['gradcheck']" in api
    assert "::: tinytorch.autograd\n" in api
    assert "[`tinytorch.autograd.layers`](api-layers.md)" in api
    assert sub_uri == "packages/tt-autograd/api-layers.md" and title == "tinytorch.autograd.layers"
    assert "::: tinytorch.autograd.layers" in layers and "members: ['Thing']" in layers
    assert "_private" not in api + layers
    changelog = docs_render.changelog_page(packages["tt-nn"])
    assert changelog.startswith("# tt-nn changelog")
    assert "## 0.1.2" in changelog and "Fixed a bug." in changelog  # repo-relative link dropped


def test_a_re_exported_object_is_documented_once_at_its_public_path(tmp_path):
    write_package(
        tmp_path,
        "tt-nn",
        [],
        '"""tt-nn."""\nfrom . import layers\nfrom .layers import Thing\n'
        'from tinytorch.tensor import Tensor\n__all__ = ["Thing", "layers"]\n',
    )
    sub = tmp_path / "packages" / "tt-nn" / "src" / "tinytorch" / "nn" / "data"
    sub.mkdir()
    (sub / "__init__.py").write_text('"""Data."""\nfrom .loader import Loader, helper\n')
    (sub / "loader.py").write_text("class Loader:\n    pass\n\ndef helper():\n    pass\n")
    [nn] = docs_model.read_packages(tmp_path)
    assert docs_model.api_layout(nn) == [
        ("tinytorch.nn", ["Thing"]),                 # public path, not tinytorch.nn.layers.Thing
        ("tinytorch.nn.data", ["Loader", "helper"]),  # a subpackage re-exports without __all__
        ("tinytorch.nn.data.loader", []),
        ("tinytorch.nn.layers", []),
    ]
    pages = "".join(text for _, _, text in docs_render.api_pages(nn))
    assert pages.count("'Loader'") == 1 and pages.count("'Thing'") == 1


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


def test_the_timeline_shows_each_figure_with_its_title_and_caption(tree):
    folder = tree / "results" / "milestones" / "01_1951_one"
    folder.mkdir(parents=True)
    figures = [{"name": "loss", "file": "train_loss.png", "title": "The loss falls",
                "caption": "Mean cross-entropy <per> epoch."}]
    (folder / "train.json").write_text(json.dumps({"script": "train.py", "figures": figures}))
    (folder / "train_loss.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    [result] = docs_model.milestone_results(tree, docs_model.read_milestones(tree)[0])
    html = docs_render.result_html([result], lambda p: "plots/" + p.name)
    assert 'alt="The loss falls"' in html
    caption = "<figcaption><strong>The loss falls</strong> Mean cross-entropy &lt;per&gt; epoch."
    assert caption in html


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


def test_html_escapes_what_it_shows_and_markdown_keeps_its_code_spans(tree):
    """The HTML and SVG templates escape every value (a title with < and & stays text); the
    Markdown ones do not, or a version range in a code span would show as `&lt;0.2`."""
    toml = tree / "milestones" / "01_1951_one" / "milestone.toml"
    toml.write_text(toml.read_text().replace('title = "Milestone 1"',
                                             'title = "A <b>&</b> B"'))
    packages = docs_model.read_packages(tree)
    milestones = docs_model.read_milestones(tree)
    page = docs_render.timeline_page(milestones, packages, {}, link, str)
    svg = docs_render.package_map_svg(packages, milestones, link)
    for html in (page, svg):
        assert "A &lt;b&gt;&amp;&lt;/b&gt; B" in html and "<b>" not in html
    nn = next(p for p in packages if p.name == "tt-nn")
    facts = docs_render.package_facts(nn, packages, milestones)
    assert "[tt-tensor](tt-tensor.md) `>=0.1,<0.2`" in facts
    assert "`pip install -e packages/tt-tensor -e packages/tt-autograd -e packages/tt-nn`" in facts


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


def test_search_puts_public_classes_first_and_internals_last():
    names = ["tinytorch.nn", "tinytorch.systems"]
    boost = docs_model.search_boost
    assert boost("packages/tt-nn/api.html#tinytorch.nn.Linear", names) == (
        docs_model.PUBLIC_CLASS_BOOST)
    assert boost("packages/tt-nn/api.html#tinytorch.nn.Linear.forward", names) == 1.0
    assert boost("packages/tt-systems/api.html#tinytorch.systems.profile", names) == (
        docs_model.PUBLIC_NAME_BOOST)
    assert boost("packages/tt-systems/api.html#tinytorch.systems.flops.linear_flops", names) == (
        docs_model.INTERNAL_BOOST)
    assert boost("packages/tt-nn/api-functional.html#tinytorch.nn.functional.linear", names) == (
        docs_model.INTERNAL_BOOST)
    assert boost("packages/tt-nn.html#linear-layers", names) == 1.0   # a guide's section
    assert docs_model.PUBLIC_CLASS_BOOST > docs_model.PUBLIC_NAME_BOOST > 1.0 > (
        docs_model.INTERNAL_BOOST)


def _write_run(folder: Path, quick: bool, accuracy: float, started: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.json").write_text(json.dumps({
        "script": "train.py", "quick": quick, "passed": True, "started_at": started,
        "metrics": {"accuracy": accuracy},
        "bars": [{"metric": "accuracy", "value": accuracy, "bar": ">= 0.5", "passed": True}],
    }))


def test_the_kept_full_run_is_shown_beside_a_later_quick_run(tree):
    folder = tree / "results" / "milestones" / "01_1951_one"
    _write_run(folder, quick=True, accuracy=0.8, started="2026-12-04T05:00:00")
    _write_run(folder / "full", quick=False, accuracy=0.97, started="2026-12-04T04:00:00")
    milestone = docs_model.read_milestones(tree)[0]
    latest, full = docs_model.milestone_results(tree, milestone)
    assert (latest.kind, latest.quick, full.kind, full.quick) == ("latest", True, "full", False)
    html = docs_render.result_html([latest, full], str)
    assert "best full run" in html and "quick run (--quick)" in html and "full run" in html
    _write_run(folder, quick=False, accuracy=0.97, started="2026-12-04T04:00:00")
    assert len(docs_model.milestone_results(tree, milestone)) == 1, "the same run twice"


def test_a_fresh_tree_shows_the_shipped_reference_run_marked_as_such(tree):
    reference = tree / "docs" / "reference-results"
    _write_run(reference / "milestones" / "01_1951_one", quick=False, accuracy=0.97,
               started="2026-12-04T04:00:00")
    (reference / "reference.json").write_text(json.dumps({"date": "2026-12-04",
                                                          "commit": "1a2b3c4"}))
    milestone = docs_model.read_milestones(tree)[0]
    [run] = docs_model.milestone_results(tree, milestone)
    assert run.kind == "reference" and run.label == "reference run, 2026-12-04, commit 1a2b3c4"
    assert "reference run, 2026-12-04, commit 1a2b3c4" in docs_render.result_html([run], str)
    _write_run(tree / "results" / "milestones" / "01_1951_one", quick=True, accuracy=0.8,
               started="2026-12-04T05:00:00")
    [own] = docs_model.milestone_results(tree, milestone)
    assert own.kind == "latest", "the user's own run replaces the reference"


def test_values_and_metric_names_read_as_words_and_numbers():
    assert docs_render._fmt(517500.0) == "517,500"
    assert docs_render._fmt(0.97312) == "0.9731"
    assert docs_render._fmt(3.2e-06) == "3.20e-06"
    assert docs_render.metric_label("xor_seeds_solved") == "xor seeds solved"
    bar = docs_model.Bar("separable_loss_drop", 0.2, ">=", 0.5, False, "how far the loss fell")
    html = docs_render.bar_html(bar)
    assert "separable loss drop" in html and "tt-bar-fail" in html and "≥ 0.5" in html


def test_bench_bars_keep_one_colour_per_implementation_and_mark_targets():
    rows = [
        {"name": "mlp", "implementation": "tinytorch", "median_ms": 2.0, "ratio": 0.9,
         "baseline": "torch"},
        {"name": "mlp", "implementation": "pytorch", "median_ms": 2.2, "ratio": 1.0},
        {"name": "gpt", "implementation": "pytorch", "median_ms": 5.0, "ratio": 1.0},
        {"name": "gpt", "implementation": "tinytorch", "median_ms": 7.0, "ratio": 1.4,
         "baseline": "pytorch"},
    ]
    notes = {"mlp": "target: at most 1.1x PyTorch at one thread",
             "gpt": "target: <= 1.15x PyTorch, 1 thread"}
    assert [docs_render.target_verdict(r, notes) for r in rows] == ["met", "", "", "missed"]
    svg = docs_render._bench_svg(rows, notes)
    colours = dict(re.findall(r'<text[^>]*class="tt-bench-label">([^<]+)</text>\s*<rect[^>]*'
                              r'class="tt-bench-bar (tt-bench-impl-\d)"', svg))
    assert colours == {"tinytorch": "tt-bench-impl-0", "pytorch": "tt-bench-impl-1"}
    assert svg.count("tt-bench-impl-0") == 2, "tinytorch keeps its colour in both groups"
    assert "✓ target met" in svg and "✗ target missed" in svg
    numpy_only = {**rows[0], "baseline": "numpy"}
    assert docs_render.target_verdict(numpy_only, notes) == "", "a PyTorch target, no PyTorch"


def test_the_map_shows_every_line_of_a_long_milestone_title(tree):
    toml = tree / "milestones" / "01_1951_one" / "milestone.toml"
    toml.write_text(toml.read_text().replace(
        'title = "Milestone 1"', 'title = "Backpropagation revives the multilayer perceptron"'))
    svg = docs_render.package_map_svg(docs_model.read_packages(tree),
                                      docs_model.read_milestones(tree), link)
    words = " ".join(re.findall(r'class="tt-map-ms-title">([^<]+)<', svg))
    assert "Backpropagation revives the multilayer perceptron" in words


def test_a_class_whose_name_begins_another_comes_first():
    api = "packages/tt-optim/api.html#tinytorch.optim."
    boosts = docs_model.search_boosts([api + "Adam", api + "AdamW", api + "SGD"],
                                      ["tinytorch.optim"])
    assert boosts[api + "Adam"] > boosts[api + "AdamW"] == boosts[api + "SGD"]


def test_a_package_guide_starts_its_task_table_from_tasks_toml(tree):
    nn_src = tree / "packages/tt-nn/src/tinytorch/nn"
    (nn_src / "linear.py").write_text(
        "class Linear:\n    def forward(self, x):\n        return x\n\n\n"
        "def relu(x):\n    return x\n")
    (tree / "packages/tt-nn/tasks.toml").write_text(
        '[[task]]\nname = "relu"\ntitle = "ReLU | the hinge"\nfunctions = ["relu"]\n'
        'tests = ["tests"]\n\n[[task]]\nname = "linear"\ntitle = "Linear"\n'
        'functions = ["Linear.forward"]\ntests = ["tests"]\nunlocks = "milestone_02"\n')
    nn = next(p for p in docs_model.read_packages(tree) if p.name == "tt-nn")
    milestones = docs_model.read_milestones(tree)
    table = docs_render.task_table(nn, docs_model.package_tasks(nn),
                                   docs_model.function_files(nn), milestones)
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == "| # | task | file(s) | functions | unlocks | its tests |"
    assert rows[1] == ("| 1 | ReLU \\| the hinge | `nn/linear.py` | `relu` |  | "
                       "`nox -s task -- tt-nn relu` |")
    assert rows[2].startswith("| 2 | Linear | `nn/linear.py` | `Linear.forward` | "
                              "[Milestone 02](../history.md#")
    assert docs_render.task_table(nn, [], {}, milestones) == ""
    (tree / "packages/tt-nn/tasks.toml").write_text("[[task]\n")
    with pytest.raises(ValueError, match="tinytorch docs: .*tasks.toml: not valid TOML"):
        docs_model.package_tasks(nn)
