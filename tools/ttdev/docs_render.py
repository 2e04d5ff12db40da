"""The generated parts of the documentation site, rendered from the templates in
``templates/docs/`` (Markdown, and HTML/SVG where Markdown cannot say it).

Every function returns text; the mkdocs hook (docs_hooks.py) decides where it goes. What
stays here is what a template should not compute: the layout of the package map and of the
benchmark bars, the parsing of a milestone's architecture line, number formats, and the
verdict of a benchmark against its stated target. `link(src_uri)` arguments turn a
docs-relative source path ("packages/tt-nn.md") into a URL relative to the page being
rendered, for use inside raw HTML where MkDocs does not rewrite links.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

from .docs_model import BenchReport, Milestone, ScriptResult, api_layout, milestone_anchor
from .graph import Package, closure, direct_edges, milestone_packages
from .tasks import Task, task_command
from .templating import docs_environment

Link = Callable[[str], str]


def guide_uri(name: str) -> str:
    return f"packages/{name}.md"


def unlocks(pkg: Package, milestones: list[Milestone]) -> list[Milestone]:
    return [m for m in milestones if m.unlocked_by == pkg.name]


def render(template: str, **context) -> str:
    """``templates/docs/<template>`` filled with ``context``."""
    return docs_environment().get_template(template).render(**context)


def _svg_text_lines(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` characters: every line of it, none cut."""
    return textwrap.wrap(text, width=width, break_long_words=True) or [""]


# ------------------------------------------------------------------------ package map


def _layers(packages: list[Package], extra: list[str]) -> list[list[str]]:
    """Columns of package names: each package one column right of its deepest dependency."""
    names = [p.name for p in packages]
    deps = {p.name: [d for d in p.deps if d in names] for p in packages}
    depth: dict[str, int] = {}
    for name in names:  # packages come dependencies first
        depth[name] = 1 + max((depth[d] for d in deps[name]), default=-1)
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in names:
        columns[depth[name]].append(name)
    if extra:
        columns.append(extra)
    return columns


MAP = {"col_w": 210, "box_w": 160, "box_h": 48, "ms_h": 62, "gap": 26, "pad": 10}
MAP_TITLE_WIDTH = 24   # characters per line of a milestone's title on its card


def package_map_svg(packages: list[Package], milestones: list[Milestone], link: Link) -> str:
    """The dependency graph left to right, each package with the milestones it unlocks below
    it: the boxes, cards and edges placed here, drawn by ``package_map.html``."""
    names = [p.name for p in packages]
    ghosts = [m.unlocked_by for m in milestones if m.unlocked_by and m.unlocked_by not in names]
    columns = _layers(packages, sorted(set(ghosts), key=ghosts.index))
    if not columns:
        return '<p class="tt-muted">No packages yet.</p>'
    pkg_by_name = {p.name: p for p in packages}
    unlocked = {n: [m for m in milestones if m.unlocked_by == n] for col in columns for n in col}
    box_h, gap, pad = MAP["box_h"], MAP["gap"], MAP["pad"]

    def card_height(m) -> int:   # the year line, then one 14 px line per line of the title
        return MAP["ms_h"] + 14 * (len(_svg_text_lines(m.title, MAP_TITLE_WIDTH)) - 2)

    def unit_height(name: str) -> int:
        return box_h + sum(card_height(m) + 16 for m in unlocked[name])

    heights = [sum(unit_height(n) for n in col) + gap * (len(col) - 1) for col in columns]
    height = max(heights) + 20
    width = pad * 2 + MAP["col_w"] * (len(columns) - 1) + MAP["box_w"]
    boxes, pos = [], {}
    for i, col in enumerate(columns):
        y = pad + (height - 2 * pad - heights[i]) / 2
        for name in col:
            boxes.append(_map_box(name, pad + i * MAP["col_w"], y, pkg_by_name.get(name),
                                  unlocked[name], card_height, link))
            pos[name] = (pad + i * MAP["col_w"], y)
            y += unit_height(name) + gap
    edges = []
    for dep, pkg in direct_edges(pkg_by_name):
        (x1, y1), (x2, y2) = pos[dep], pos[pkg]
        x1, y1, y2 = x1 + MAP["box_w"], y1 + box_h / 2, y2 + box_h / 2
        edges.append({"x1": x1, "y1": y1, "mid": (x1 + x2) / 2, "x2": x2 - 2, "y2": y2})
    return render("package_map.html", width=width, height=height, edges=edges, boxes=boxes,
                  box_w=MAP["box_w"], box_h=box_h)


def _map_box(name: str, x: float, y: float, pkg: Package | None, unlocked: list[Milestone],
             card_height: Callable[[Milestone], int], link: Link) -> dict:
    """One package's box on the map and the cards of the milestones below it."""
    cards, my = [], y + MAP["box_h"]
    for m in unlocked:
        my += 16
        cards.append({"y": my, "height": card_height(m), "number": m.number, "year": m.year,
                      "href": f"{link('history.md')}#{milestone_anchor(m)}",
                      "title_lines": _svg_text_lines(m.title, MAP_TITLE_WIDTH)})
        my += card_height(m)
    sub = (f"v{pkg.version}" if pkg.version else "") if pkg else "on its way"
    return {"name": name, "x": x, "y": y, "cx": x + MAP["box_w"] / 2, "sub": sub,
            "href": link(guide_uri(name)) if pkg else "", "cards": cards}


def package_map_words(packages: list[Package], milestones: list[Milestone]) -> str:
    """The same map as a list, for readers and for search."""
    names = {p.name for p in packages}
    return render("package_map_words.md", packages=packages,
                  unlocked={p.name: unlocks(p, milestones) for p in packages},
                  coming=[m for m in milestones if m.unlocked_by and m.unlocked_by not in names])


# ------------------------------------------------------------------------ per package


def package_facts(pkg: Package, packages: list[Package], milestones: list[Milestone]) -> str:
    """The box at the top of each package guide: version, needs, unlocks, commands."""
    by_name = {p.name: p for p in packages}
    return render("package_facts.md", pkg=pkg, names=set(by_name),
                  chain=closure(by_name, pkg.name), unlocked=unlocks(pkg, milestones),
                  used_by=[m for m in milestones if pkg.name in m.also_requires])


def task_table(pkg: Package, tasks: list[Task], files: dict[str, str],
               milestones: list[Milestone]) -> str:
    """The numbered task list at the top of a package guide, from its ``tasks.toml``: what to
    write, in order, where, what it unlocks, and the command that runs just its tests."""
    if not tasks:
        return ""
    by_session = {m.session: m for m in milestones}
    rows = []
    for task in tasks:
        milestone = by_session.get(task.unlocks)
        rows.append({
            "task": task,
            "files": sorted({files[f] for f in task.functions if f in files}),
            "unlocks": (f"[Milestone {milestone.number:02d}](../history.md#"
                        f"{milestone_anchor(milestone)})" if milestone else task.unlocks),
            "command": task_command(pkg.name, task.name),
        })
    return render("task_table.md", rows=rows)


def _table_text(text: str) -> str:
    """``text`` safe inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def stub_guide(pkg: Package) -> str:
    readme = pkg.path / "README.md"
    body = _neutralize_links(_demote_h1(readme.read_text())) if readme.is_file() else ""
    return render("stub_guide.md", pkg=pkg, readme=body)


def api_pages(pkg: Package) -> list[tuple[str, str, str]]:
    """The package's API reference as (uri, nav title, Markdown) pages.

    The first page is the package itself: what ``import tinytorch.<name>`` exports, then
    the docstrings of the modules that add nothing of their own. Each module that
    documents objects of its own (``tinytorch.nn.functional``) gets a page of its own,
    so no page holds the whole package.
    """
    root_uri = f"packages/{pkg.name}/api.md"
    if not pkg.has_source:
        return [(root_uri, pkg.import_name, render("api_page.md", pkg=pkg, module=None))]
    (root, root_members), *modules = api_layout(pkg)
    own_pages = [(m, _api_page_name(pkg, m)) for m, members in modules if members]
    pages = [(root_uri, pkg.import_name,
              render("api_page.md", pkg=pkg, module=None, root=root, root_members=root_members,
                     modules=modules, own_pages=own_pages))]
    for module, members in modules:
        if members:
            pages.append((f"packages/{pkg.name}/{_api_page_name(pkg, module)}", module,
                          render("api_page.md", pkg=pkg, module=module, members=members)))
    return pages


def _api_page_name(pkg: Package, module: str) -> str:
    """``tinytorch.nn.functional`` -> ``api-functional.md`` (beside ``api.md``)."""
    return "api-" + module.removeprefix(pkg.import_name + ".").replace(".", "-") + ".md"


_MD_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _neutralize_links(text: str) -> str:
    """Keep absolute links; turn repository-relative ones (which the site lacks) into plain text."""

    def repl(match: re.Match) -> str:
        bang, label, target = match.groups()
        if re.match(r"^(https?:|mailto:|#)", target):
            return match.group(0)
        return "" if bang else label

    return _MD_LINK.sub(repl, text)


def _demote_h1(text: str) -> str:
    return re.sub(r"^# ", "## ", text, flags=re.M)


def changelog_page(pkg: Package) -> str:
    text = None
    if pkg.changelog.is_file():
        text = re.sub(r"\A\s*# [^\n]*\n", "", pkg.changelog.read_text())  # ours replaces it
        text = _neutralize_links(_demote_h1(text))
    return render("changelog.md", pkg=pkg, text=text)


# --------------------------------------------------------------------------- timeline


_GROUP_END = re.compile(r"^(.*?)\]\s*(?:[x×*]\s*(\S+))?$")


def _arch_step(step: str, first: bool, last: bool) -> dict:
    if step in ("+", "⊕"):
        return {"kind": "add", "text": step}
    return {"kind": "io" if first or last else "layer", "text": step}


def architecture_steps(arch: str) -> list[dict]:
    """`a -> b -> [c -> d] x N -> e` as a list of blocks (``kind``: io, layer or add; ``text``)
    and groups (``group``: its blocks; ``repeat``: the N, or "")."""
    steps = [s.strip() for s in re.split(r"\s*(?:->|→)\s*", arch) if s.strip()]
    out, group, repeat = [], None, ""
    for i, step in enumerate(steps):
        first, last = i == 0, i == len(steps) - 1
        if step.startswith("[") and group is None:
            group, step = [], step[1:].strip()
        end = _GROUP_END.match(step) if group is not None else None
        if end:
            step, repeat = end.group(1).strip(), end.group(2) or ""
        if group is not None:
            group.append(_arch_step(step, False, False))
            if end:
                out.append({"group": group, "repeat": repeat})
                group = None
            continue
        out.append(_arch_step(step, first, last))
    if group:  # an unclosed bracket: show the steps anyway
        out.extend(group)
    return out


def architecture_html(arch: str) -> str:
    """The architecture line of a milestone as blocks and arrows (``architecture.html``)."""
    macro = docs_environment().get_template("architecture.html").module.architecture
    return str(macro(arch, architecture_steps(arch)))


def _fmt(value: float | None) -> str:
    """A measured number as people read it: 517,500 not 5.175e+05; 0.9731; 3.2e-06."""
    if value is None:
        return "–"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1e-3:
        return f"{value:.4g}"
    return f"{value:.2e}"


def metric_label(name: str) -> str:
    """``xor_seeds_solved`` -> ``xor seeds solved``: the identifier as words."""
    return name.replace("_", " ").strip()


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


FACTS_SHOWN = ("parameters", "train_seconds", "samples_per_second")


def metrics_line(result: ScriptResult) -> list[str]:
    """The run's numbers that no bar shows (six at most) and the facts worth a glance."""
    shown = {b.metric for b in result.bars}
    extra = [f"{metric_label(k)} {_fmt(v)}" for k, v in result.metrics.items()
             if k not in shown][:6]
    return extra + [f"{metric_label(k)} {_fmt(v)}" for k, v in result.facts.items()
                    if k in FACTS_SHOWN]


def _results_macro(name: str):
    return getattr(docs_environment().get_template("results.html").module, name)


def bar_html(bar) -> str:
    return str(_results_macro("bar")(bar))


def result_html(results: list[ScriptResult], plot_url: Callable[[Path], str]) -> str:
    return str(_results_macro("results")(results, plot_url))


def timeline_page(
    milestones: list[Milestone],
    packages: list[Package],
    results: dict[str, list[ScriptResult]],
    link: Link,
    plot_url: Callable[[Path], str],
) -> str:
    by_name = {p.name: p for p in packages}
    cards = []
    for m in milestones:
        chips = []
        for n in milestone_packages(m, by_name):
            role = (" tt-chip-key" if n == m.unlocked_by
                    else " tt-chip-also" if n in m.also_requires else "")
            chips.append({"name": n, "classes": "tt-chip" + role,
                          "href": link(guide_uri(n)) if n in by_name else ""})
        cards.append({"milestone": m, "chips": chips, "steps": architecture_steps(m.architecture),
                      "runs": results.get(m.name, [])})
    return render("timeline.md", cards=cards, plot_url=plot_url)


# ------------------------------------------------------------------------- benchmarks


BENCH_COLOURS = 6   # tt-bench-impl-0 .. -5 in tinytorch.css


def implementation_colours(rows: list[dict]) -> dict[str, int]:
    """One colour per implementation, the same in every group (tinytorch always the first)."""
    names = sorted({str(r.get("implementation", "")) for r in rows},
                   key=lambda n: (not n.startswith("tinytorch"), n))
    return {name: i % BENCH_COLOURS for i, name in enumerate(names)}


_TARGET = re.compile(r"target:\s*(?:at most|<=|≤)\s*([0-9.]+)\s*[x×]\s*([A-Za-z][\w ]*)?", re.I)


def bench_target(note: str) -> tuple[float, str] | None:
    """(ratio, baseline) from a note such as "target: at most 1.1x PyTorch at one thread"."""
    match = _TARGET.search(note or "")
    if not match:
        return None
    baseline = (match.group(2) or "").split(" at ")[0].strip()
    return float(match.group(1)), baseline


def target_verdict(row: dict, notes: dict[str, str]) -> str:
    """``met``, ``missed`` or "" for a row: its ratio against its benchmark's stated target."""
    target = bench_target(notes.get(str(row.get("name", "")), ""))
    ratio = _number_or_none(row.get("ratio"))
    if target is None or ratio is None or not str(row.get("implementation", "")).startswith(
        "tinytorch"
    ):
        return ""
    limit, baseline = target
    if baseline and _implementation(baseline) != _implementation(str(row.get("baseline", ""))):
        return ""   # measured against another baseline (no PyTorch here): the target is moot
    return "met" if ratio <= limit else "missed"


def _implementation(name: str) -> str:
    """One spelling per implementation: "PyTorch" and "torch", "plain NumPy" and "numpy"."""
    name = name.strip().lower().removeprefix("plain ")
    return {"pytorch": "torch"}.get(name, name)


BENCH_PLOT = {"label_w": 130, "bar_w": 440, "row_h": 22, "title_h": 22, "gap": 14}


def _bench_svg(rows: list[dict], notes: dict[str, str]) -> str:
    """Horizontal bars of the medians, one group per benchmark, scaled within the group;
    one colour per implementation, and each tinytorch bar's target met (✓) or missed (✗)."""
    rows = [r for r in rows if _number_or_none(r.get("median_ms")) is not None]
    if not rows:
        return ""
    colour = implementation_colours(rows)
    by_name: dict[str, list[dict]] = {}
    for r in rows:
        by_name.setdefault(str(r.get("name", "?")), []).append(r)
    size = BENCH_PLOT
    groups, y = [], 0
    for name, group in by_name.items():
        groups.append({"name": name, "y": y, "bars": []})
        y += size["title_h"]
        top = max(float(r["median_ms"]) for r in group) or 1.0
        for r in group:
            median, impl = float(r["median_ms"]), str(r.get("implementation", ""))
            groups[-1]["bars"].append({
                "y": y, "implementation": impl, "colour": colour[impl], "median": median,
                "width": max(2.0, size["bar_w"] * median / top),
                "ratio": _number_or_none(r.get("ratio")),
                "baseline": str(r.get("baseline") or "").strip(),
                "verdict": target_verdict(r, notes)})
            y += size["row_h"]
        y += size["gap"]
    return render("bench_plot.svg", groups=groups, height=y,
                  width=size["label_w"] + size["bar_w"] + 230, **size)


def _bench_row(row: dict, notes: dict[str, str]) -> list[str]:
    """The cells of one measurement in the benchmarks table."""
    median, ratio = _number_or_none(row.get("median_ms")), _number_or_none(row.get("ratio"))
    p25, p75 = _number_or_none(row.get("p25_ms")), _number_or_none(row.get("p75_ms"))
    base = f" vs {_cell(row['baseline'])}" if row.get("baseline") else ""
    return [
        _cell(row.get("name", "")),
        _cell(row.get("implementation", "")),
        "–" if median is None else f"{median:.3f}",
        "–" if p25 is None or p75 is None else f"{p25:.3f}–{p75:.3f}",
        "–" if ratio is None else f"{ratio:.2f}×{base}",
        _target_cell(row, notes),
    ]


def bench_page(reports: list[BenchReport]) -> str:
    shown = [{"path": r.path, "label": r.label, "rows": r.rows, "notes": r.notes,
              "environment": r.environment,
              "table": [_bench_row(row, r.notes) for row in r.rows],
              "plot": _bench_svg(r.rows, r.notes)} for r in reports]
    return render("bench.md", reports=shown)


def _target_cell(row: dict, notes: dict[str, str]) -> str:
    target = bench_target(notes.get(str(row.get("name", "")), ""))
    verdict = target_verdict(row, notes)
    if target is None or not verdict:
        return "–"
    limit, baseline = target
    return f"≤ {limit:g}× {_cell(baseline)}: " + ("✓ met" if verdict == "met" else "✗ missed")


def _number_or_none(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _flat(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(_flat, value))
    return str(value)


def _cell(value) -> str:
    return html.escape(str(value)).replace("|", "\\|")


def _code(value) -> str:
    return f"`{value}`"


def _state(passed: bool | None) -> str:
    """A bar's or a run's verdict as the CSS classes name it."""
    return {True: "pass", False: "fail"}.get(passed, "unknown")


docs_environment().filters.update(
    anchor=milestone_anchor, number=_fmt, metric=metric_label, duration=_fmt_time,
    table_text=_table_text, code=_code, flat=_flat, pyrepr=repr, state=_state)
docs_environment().globals.update(metrics_line=metrics_line)
