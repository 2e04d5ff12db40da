"""Markdown and inline SVG/HTML for the generated parts of the documentation site.

Every function returns text; the mkdocs hook (docs_hooks.py) decides where it goes.
`link(src_uri)` arguments turn a docs-relative source path ("packages/tt-nn.md")
into a URL relative to the page being rendered, for use inside raw HTML where
MkDocs does not rewrite links.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

from docs_model import BenchReport, Milestone, ScriptResult, api_layout, milestone_anchor
from graph import Package, closure, direct_edges, milestone_packages
from tasks import Task, task_command

Link = Callable[[str], str]

esc = html.escape


def guide_uri(name: str) -> str:
    return f"packages/{name}.md"


def unlocks(pkg: Package, milestones: list[Milestone]) -> list[Milestone]:
    return [m for m in milestones if m.unlocked_by == pkg.name]


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


def package_map_svg(packages: list[Package], milestones: list[Milestone], link: Link) -> str:
    """The dependency graph left to right, each package with the milestones it unlocks below it."""
    names = [p.name for p in packages]
    ghosts = [m.unlocked_by for m in milestones if m.unlocked_by and m.unlocked_by not in names]
    columns = _layers(packages, sorted(set(ghosts), key=ghosts.index))
    if not columns:
        return '<p class="tt-muted">No packages yet.</p>'
    pkg_by_name = {p.name: p for p in packages}
    unlocked = {n: [m for m in milestones if m.unlocked_by == n] for col in columns for n in col}
    col_w, box_w, box_h, ms_h, gap = 210, 160, 48, 62, 26

    def card_height(m) -> int:   # the year line, then one 14 px line per line of the title
        return ms_h + 14 * (len(_svg_text_lines(m.title, 24)) - 2)

    def unit_height(name: str) -> int:
        return box_h + sum(card_height(m) + 16 for m in unlocked[name])

    heights = [sum(unit_height(n) for n in col) + gap * (len(col) - 1) for col in columns]
    height, pad = max(heights) + 20, 10
    width = pad * 2 + col_w * (len(columns) - 1) + box_w
    pos: dict[str, tuple[float, float]] = {}
    for i, col in enumerate(columns):
        y = pad + (height - 2 * pad - heights[i]) / 2
        for name in col:
            pos[name] = (pad + i * col_w, y)
            y += unit_height(name) + gap

    parts = [
        f'<svg class="tt-map" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Package map: which package unlocks which milestone" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="tt-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="tt-map-arrowhead"/></marker></defs>',
    ]
    for dep, pkg in direct_edges(pkg_by_name):
        (x1, y1), (x2, y2) = pos[dep], pos[pkg]
        x1, y1, y2 = x1 + box_w, y1 + box_h / 2, y2 + box_h / 2
        mid = (x1 + x2) / 2
        parts.append(
            f'<path class="tt-map-edge" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2 - 2},{y2}" '
            'marker-end="url(#tt-arrow)"/>'
        )
    for name, (x, y) in pos.items():
        pkg = pkg_by_name.get(name)
        cx = x + box_w / 2
        sub = (f"v{pkg.version}" if pkg.version else "") if pkg else "on its way"
        box = (
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="9" '
            f'class="tt-map-pkg{"" if pkg else " tt-ghost"}"/>'
            f'<text x="{cx}" y="{y + 21}" class="tt-map-title">{esc(name)}</text>'
            f'<text x="{cx}" y="{y + 38}" class="tt-map-sub">{esc(sub)}</text>'
        )
        parts.append(f'<a href="{esc(link(guide_uri(name)))}">{box}</a>' if pkg else box)
        my = y + box_h
        for m in unlocked[name]:
            my += 16
            parts.append(
                f'<path class="tt-map-unlock" d="M{cx},{my - 16} L{cx},{my - 2}" '
                'marker-end="url(#tt-arrow)"/>'
            )
            title = "".join(
                f'<text x="{cx}" y="{my + 37 + 14 * i}" class="tt-map-ms-title">{esc(line)}</text>'
                for i, line in enumerate(_svg_text_lines(m.title, 24))
            )
            parts.append(
                f'<a href="{esc(link("history.md"))}#{milestone_anchor(m)}">'
                f'<rect x="{x}" y="{my}" width="{box_w}" height="{card_height(m)}" rx="9" '
                'class="tt-map-ms"/>'
                f'<text x="{cx}" y="{my + 18}" class="tt-map-ms-year">'
                f"{m.number:02d} · {esc(str(m.year))}</text>{title}</a>"
            )
            my += card_height(m)
    parts.append("</svg>")
    return '<div class="tt-map-wrap">' + "".join(parts) + "</div>"


def package_map_words(packages: list[Package], milestones: list[Milestone]) -> str:
    """The same map as a list, for readers and for search."""
    lines = []
    names = {p.name for p in packages}
    for pkg in packages:
        needs = ", ".join(f"`{d}`" for d in pkg.deps) or "NumPy only"
        unlocked = unlocks(pkg, milestones)
        what = "; ".join(
            f"[{m.number:02d} · {m.year} {m.title}](history.md#{milestone_anchor(m)})"
            + (f" (with {', '.join(m.also_requires)})" if m.also_requires else "")
            for m in unlocked
        )
        tail = f" It unlocks {what}." if unlocked else ""
        lines.append(
            f"- [**{pkg.name}**]({guide_uri(pkg.name)}): {pkg.description or ''} Needs "
            f"{needs}.{tail}"
        )
    for m in milestones:
        if m.unlocked_by and m.unlocked_by not in names:
            lines.append(
                f"- **{m.unlocked_by}** (not in this tree yet) will unlock {m.number:02d} · "
                f"{m.year} {m.title}."
            )
    return "\n".join(lines) if lines else "_No packages yet._"


# ------------------------------------------------------------------------ per package


def package_facts(pkg: Package, packages: list[Package], milestones: list[Milestone]) -> str:
    """The box at the top of each package guide: version, needs, unlocks, commands."""
    names = {p.name for p in packages}
    needs = (
        ", ".join(
            (f"[{d}]({d}.md) `{spec}`" if d in names else f"{d} `{spec}`")
            for d, spec in pkg.deps.items()
        )
        or "nothing but NumPy"
    )
    chain = closure({p.name: p for p in packages}, pkg.name)
    install = "pip install " + " ".join(f"-e packages/{n}" for n in chain)
    unlocked = unlocks(pkg, milestones)
    if unlocked:
        unlock_text = ", ".join(
            f"[Milestone {m.number:02d} · {m.year} {m.title}](../history.md#{milestone_anchor(m)}) "
            f"(`nox -s {m.session}`)"
            for m in unlocked
        )
    else:
        unlock_text = "no milestone on its own; later packages build on it"
    used_by = [m for m in milestones if pkg.name in m.also_requires]
    if used_by:
        unlock_text += "; also needed by " + ", ".join(
            f"[Milestone {m.number:02d}](../history.md#{milestone_anchor(m)})" for m in used_by
        )
    return "\n".join(
        [
            f'!!! abstract "{pkg.name} {pkg.version}: `{pkg.import_name}`"',
            "",
            f"    {pkg.description}" if pkg.description else "",
            "",
            f"    - **Depends on:** {needs}",
            f"    - **Unlocks:** {unlock_text}",
            f"    - **Install the chain:** `{install}`",
            f'    - **Run its tests:** `nox -s "test({pkg.name})"`',
            f"    - **Reference:** [API]({pkg.name}/api.md) · [Changelog]({pkg.name}/changelog.md)",
            "",
        ]
    )


def task_table(pkg: Package, tasks: list[Task], files: dict[str, str],
               milestones: list[Milestone]) -> str:
    """The numbered task list at the top of a package guide, from its ``tasks.toml``: what to
    write, in order, where, what it unlocks, and the command that runs just its tests."""
    if not tasks:
        return ""
    by_session = {m.session: m for m in milestones}
    lines = [
        "## Your tasks, in order",
        "",
        "Write them one after the other; each command runs just that task's tests. "
        "`nox -s progress` shows which are done, and a stub's error names its task.",
        "",
        "| # | task | file(s) | functions | unlocks | its tests |",
        "|---|---|---|---|---|---|",
    ]
    for task in tasks:
        where = sorted({files[f] for f in task.functions if f in files})
        milestone = by_session.get(task.unlocks)
        unlocked = (f"[Milestone {milestone.number:02d}](../history.md#"
                    f"{milestone_anchor(milestone)})" if milestone else task.unlocks)
        cells = [
            str(task.number),
            _table_text(task.title),
            "<br>".join(f"`{w}`" for w in where),
            ", ".join(f"`{f}`" for f in task.functions),
            unlocked,
            f"`{task_command(pkg.name, task.name)}`",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _table_text(text: str) -> str:
    """``text`` safe inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def stub_guide(pkg: Package) -> str:
    readme = pkg.path / "README.md"
    body = _neutralize_links(_demote_h1(readme.read_text())) if readme.is_file() else ""
    return (
        f"# {pkg.name}\n\n<!-- tt:package-facts -->\n\nThe teaching guide for this package "
        f"is still being written.\n\n{body}\n"
    )


def _module_block(module: str, members: list[str]) -> list[str]:
    return [
        f"::: {module}",
        "    options:",
        "      show_root_heading: true",
        "      show_submodules: false",
        f"      members: {members!r}" if members else "      members: false",
        "",
    ]


def api_pages(pkg: Package) -> list[tuple[str, str, str]]:
    """The package's API reference as (uri, nav title, Markdown) pages.

    The first page is the package itself: what ``import tinytorch.<name>`` exports, then
    the docstrings of the modules that add nothing of their own. Each module that
    documents objects of its own (``tinytorch.nn.functional``) gets a page of its own,
    so no page holds the whole package.
    """
    head = [
        f"# {pkg.name} API reference",
        "",
        "Generated from the docstrings in "
        f"`packages/{pkg.name}/src/{pkg.import_name.replace('.', '/')}/`.",
        "",
    ]
    root_uri = f"packages/{pkg.name}/api.md"
    if not pkg.has_source:
        return [(root_uri, pkg.import_name, "\n".join(head + ["_The package has no source yet._"]))]
    layout = api_layout(pkg)
    (root, root_members), modules = layout[0], layout[1:]
    own_pages = [(m, members) for m, members in modules if members]
    root_page = head + _module_block(root, root_members)
    if own_pages:
        root_page += ["More of the API, one page per module: " + ", ".join(
            f"[`{m}`]({_api_page_name(pkg, m)})" for m, _ in own_pages) + ".", ""]
    for module, members in modules:
        if not members:
            root_page += _module_block(module, members)
    pages = [(root_uri, pkg.import_name, "\n".join(root_page))]
    for module, members in own_pages:
        text = [f"# {module}", "", f"Part of the [{pkg.name} API reference](api.md).", ""]
        text += _module_block(module, members)
        pages.append((f"packages/{pkg.name}/{_api_page_name(pkg, module)}", module,
                      "\n".join(text)))
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
    head = f"# {pkg.name} changelog\n\nFrom `packages/{pkg.name}/CHANGELOG.md`.\n\n"
    if not pkg.changelog.is_file():
        return head + "_No CHANGELOG.md yet._\n"
    text = pkg.changelog.read_text()
    text = re.sub(r"\A\s*# [^\n]*\n", "", text)  # its own title; ours replaces it
    return head + _neutralize_links(_demote_h1(text)) + "\n"


# --------------------------------------------------------------------------- timeline


_GROUP_END = re.compile(r"^(.*?)\]\s*(?:[x×*]\s*(\S+))?$")


def _arch_block(step: str, first: bool, last: bool) -> str:
    if step in ("+", "⊕"):
        return '<span class="tt-arch-add" title="residual: add the branch input">+</span>'
    kind = "io" if first or last else "layer"
    return f'<span class="tt-arch-block tt-arch-{kind}">{esc(step)}</span>'


def architecture_html(arch: str) -> str:
    """`a -> b -> [c -> d] x N -> e` as blocks and arrows; a bracketed run is a repeated group."""
    steps = [s.strip() for s in re.split(r"\s*(?:->|→)\s*", arch) if s.strip()]
    if not steps:
        return ""
    arrow = '<span class="tt-arch-arrow" aria-hidden="true"></span>'
    out, group, repeat = [], None, ""
    for i, step in enumerate(steps):
        first, last = i == 0, i == len(steps) - 1
        if step.startswith("[") and group is None:
            group, step = [], step[1:].strip()
        end = _GROUP_END.match(step) if group is not None else None
        if end:
            step, repeat = end.group(1).strip(), end.group(2) or ""
        if group is not None:
            group.append(_arch_block(step, False, False))
            if end:
                label = f'<span class="tt-arch-repeat">× {esc(repeat)}</span>' if repeat else ""
                out.append(f'<span class="tt-arch-group">{arrow.join(group)}{label}</span>')
                group = None
            continue
        out.append(_arch_block(step, first, last))
    if group:  # an unclosed bracket: show the steps anyway
        out.extend(group)
    return f'<div class="tt-arch" aria-label="architecture: {esc(arch)}">{arrow.join(out)}</div>'


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


def bar_html(bar) -> str:
    state = {True: "pass", False: "fail", None: "unknown"}[bar.passed]
    icon = {True: "✓", False: "✗", None: "?"}[bar.passed]
    meter = ""
    if (
        bar.value is not None
        and bar.threshold is not None
        and 0 <= bar.value <= 1
        and 0 <= bar.threshold <= 1
    ):
        meter = (
            '<span class="tt-meter"><span class="tt-meter-fill" '
            f'style="width:{bar.value * 100:.1f}%"></span>'
            f'<span class="tt-meter-mark" style="left:{bar.threshold * 100:.1f}%"></span></span>'
        )
    title = f' title="{esc(bar.metric)}: {esc(bar.description)}"' if bar.description else (
        f' title="{esc(bar.metric)}"')
    op = {">=": "≥", "<=": "≤"}.get(bar.op, bar.op)
    target = f"{esc(op)} {_fmt(bar.threshold)}" if bar.threshold is not None else esc(op)
    return (
        f'<div class="tt-bar tt-bar-{state}"{title}><span class="tt-bar-icon">{icon}</span>'
        f'<span class="tt-bar-metric">{esc(metric_label(bar.metric))}</span>{meter}'
        f'<span class="tt-bar-value">{_fmt(bar.value)} <span class="tt-muted">(bar '
        f"{target})</span></span></div>"
    )


FACTS_SHOWN = ("parameters", "train_seconds", "samples_per_second")


def figure_html(path: Path, result, plot_url) -> str:
    """One figure of a run: the picture (a link to it at full size), its title and caption."""
    title, caption = result.captions.get(path, ("", ""))
    alt = title or f"a figure of {result.script}"
    text = " ".join(part for part in (f"<strong>{esc(title)}</strong>" if title else "",
                                      esc(caption)) if part)
    return (f'<figure class="tt-figure"><a href="{plot_url(path)}"><img class="tt-plot" '
            f'src="{plot_url(path)}" alt="{esc(alt)}" loading="lazy"></a>'
            + (f"<figcaption>{text}</figcaption>" if text else "") + "</figure>")


def result_html(results: list[ScriptResult], plot_url: Callable[[Path], str]) -> str:
    if not results:
        return (
            '<div class="tt-result tt-notrun"><span class="tt-badge tt-badge-notrun">not '
            "run yet</span></div>"
        )
    out = []
    for r in results:
        state = {True: "pass", False: "fail", None: "unknown"}[r.passed]
        badge = {True: "passed", False: "failed", None: "no verdict"}[r.passed]
        meta = [f"wall time {_fmt_time(r.wall_time_s)}"]
        meta.append("quick run (--quick)" if r.quick else "full run")
        if r.finished:
            meta.append("run " + esc(r.finished[:16].replace("T", " ")))
        bars = "".join(bar_html(b) for b in r.bars)
        shown = {b.metric for b in r.bars}
        extra = [
            f"{esc(metric_label(k))} {_fmt(v)}" for k, v in r.metrics.items() if k not in shown
        ][:6]
        extra += [
            f"{esc(metric_label(k))} {_fmt(v)}" for k, v in r.facts.items() if k in FACTS_SHOWN
        ]
        extra_html = f'<div class="tt-metrics tt-muted">{" · ".join(extra)}</div>' if extra else ""
        plots = "".join(figure_html(p, r, plot_url) for p in r.plots)
        kind = (f'<span class="tt-run-kind tt-run-{r.kind}">{esc(r.label)}</span>'
                if r.label else "")
        out.append(
            f'<div class="tt-result tt-{state} tt-result-{r.kind}"><div class="tt-result-head">'
            f'<span class="tt-badge tt-badge-{state}">{badge}</span>{kind}'
            f'<code>{esc(r.script)}</code><span class="tt-muted">{" · ".join(meta)}</span></div>'
            f'<div class="tt-result-body"><div class="tt-result-bars">{bars}{extra_html}</div>'
            f"{f'<div class=tt-result-plots>{plots}</div>' if plots else ''}</div></div>"
        )
    return "".join(out)


def timeline_page(
    milestones: list[Milestone],
    packages: list[Package],
    results: dict[str, list[ScriptResult]],
    link: Link,
    plot_url: Callable[[Path], str],
) -> str:
    by_name = {p.name: p for p in packages}
    intro = (
        "---\nhide:\n  - navigation\n  - toc\n---\n\n"
        "# History timeline\n\n"
        "Each card is one milestone of neural-network history, replayed on the packages you wrote. "
        "Each result is measured on this machine (`results/milestones/`): the latest run of "
        "each script and, when that was a quick run, the best full run beside it. Until you "
        "run a milestone, its card shows the reference run shipped with the repository, "
        "marked as such; run the command on a card to measure your own.\n\n"
    )
    if not milestones:
        return intro + "_No milestones yet._\n"
    cards = ['<div class="tt-timeline">']
    for m in milestones:
        people = ", ".join(m.people)
        chips = []
        for n in milestone_packages(m, by_name):
            cls = "tt-chip"
            if n == m.unlocked_by:
                cls += " tt-chip-key"
            elif n in m.also_requires:
                cls += " tt-chip-also"
            if n in by_name:
                chips.append(f'<a class="{cls}" href="{esc(link(guide_uri(n)))}">{esc(n)}</a>')
            else:
                chips.append(
                    f'<span class="{cls} tt-ghost" title="not in the tree yet">{esc(n)}</span>'
                )
        unlock = " ".join(chips) or '<span class="tt-muted">–</span>'
        sections = []
        if m.solved:
            sections.append(
                f'<div class="tt-solved"><h4>What it solved</h4><p>{esc(m.solved)}</p></div>'
            )
        if m.left_open:
            sections.append(
                f'<div class="tt-open"><h4>What it left open</h4><p>{esc(m.left_open)}</p></div>'
            )
        cards.append(
            f'<article class="tt-card" id="{milestone_anchor(m)}">'
            f'<div class="tt-card-year">{esc(str(m.year))}</div>'
            f'<div class="tt-card-body">'
            f'<header><span class="tt-card-num">Milestone {m.number:02d}</span>'
            f'<h2 class="tt-card-title">{esc(m.title)}</h2>'
            f'<div class="tt-card-people">{esc(people)}</div></header>'
            f'<p class="tt-card-story">{esc(m.story)}</p>'
            f'<div class="tt-card-grid">{"".join(sections)}</div>'
            f"{architecture_html(m.architecture)}"
            f'<div class="tt-card-run"><span class="tt-label">Unlocked by</span> {unlock}'
            '<span class="tt-label">Run</span> <code class="tt-cmd">nox -s '
            f"{m.session}</code></div>"
            f"{result_html(results.get(m.name, []), plot_url)}"
            f"</div></article>"
        )
    cards.append("</div>")
    return intro + "\n".join(cards) + "\n"


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


def _bench_svg(rows: list[dict], notes: dict[str, str]) -> str:
    """Horizontal bars of the medians, one group per benchmark, scaled within the group;
    one colour per implementation, and each tinytorch bar's target met (✓) or missed (✗)."""
    rows = [r for r in rows if _number_or_none(r.get("median_ms")) is not None]
    if not rows:
        return ""
    colour = implementation_colours(rows)
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(str(r.get("name", "?")), []).append(r)
    label_w, bar_w, row_h, title_h, gap = 130, 440, 22, 22, 14
    height = sum(title_h + len(g) * row_h + gap for g in groups.values())
    width = label_w + bar_w + 230
    parts = [
        f'<svg class="tt-bench-plot" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="benchmark medians" xmlns="http://www.w3.org/2000/svg">'
    ]
    y = 0
    for name, group in groups.items():
        parts.append(f'<text x="0" y="{y + 15}" class="tt-bench-title">{esc(name)}</text>')
        y += title_h
        top = max(float(r["median_ms"]) for r in group) or 1.0
        for r in group:
            median = float(r["median_ms"])
            w = max(2.0, bar_w * median / top)
            ratio = _number_or_none(r.get("ratio"))
            baseline = f" {r['baseline']}" if r.get("baseline") else ""
            note = f"  ({ratio:.2f}× {esc(baseline.strip())})" if ratio is not None else ""
            verdict = target_verdict(r, notes)
            mark = {"met": "  ✓ target met", "missed": "  ✗ target missed"}.get(verdict, "")
            impl = str(r.get("implementation", ""))
            parts.append(
                f'<text x="{label_w - 8}" y="{y + 15}" class="tt-bench-label">{esc(impl)}</text>'
                f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" rx="3" '
                f'class="tt-bench-bar tt-bench-impl-{colour[impl]}"/>'
                f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="tt-bench-value">'
                f"{median:.3g} ms{note}"
                + (f'<tspan class="tt-bench-{verdict}">{mark}</tspan>' if mark else "")
                + "</text>"
            )
            y += row_h
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _environment_lines(env: dict) -> list[str]:
    lines = []
    for key, value in env.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        lines.append(f"- **{esc(str(key))}**: {esc(_flat(value))}")
    return lines


def bench_page(reports: list[BenchReport]) -> str:
    out = [
        "# Benchmarks",
        "",
        "How fast tinytorch runs, measured by `nox -s bench` on the machine that built this "
        "site. Each time is the median of repeated samples after a warm-up; the ratio divides "
        "it by the baseline's median for the same benchmark (for example plain NumPy or PyTorch).",
        "",
    ]
    if not reports:
        out += [
            '!!! info "No benchmark results yet"',
            "",
            "    Run `nox -s bench`, then rebuild the docs with `nox -s docs`.",
            "",
        ]
        return "\n".join(out)
    for report in reports:
        if len(reports) > 1:
            out += [f"## {report.path.stem}", ""]
        if report.label:
            out += [
                f'!!! note "Shown: the {esc(report.label)}"',
                "",
                "    Shipped with the repository until `nox -s bench` measures this machine "
                "(then `nox -s docs` shows yours).",
                "",
            ]
        if not report.rows:
            out += ["_No measurements._", ""]
        else:
            out += [
                "| benchmark | implementation | median (ms) | p25–p75 (ms) | ratio | target |",
                "| --- | --- | ---: | ---: | ---: | --- |",
            ]
            for r in report.rows:
                median, ratio = _number_or_none(r.get("median_ms")), _number_or_none(r.get("ratio"))
                p25, p75 = _number_or_none(r.get("p25_ms")), _number_or_none(r.get("p75_ms"))
                base = f" vs {_cell(r['baseline'])}" if r.get("baseline") else ""
                cells = [
                    _cell(r.get("name", "")),
                    _cell(r.get("implementation", "")),
                    "–" if median is None else f"{median:.3f}",
                    "–" if p25 is None or p75 is None else f"{p25:.3f}–{p75:.3f}",
                    "–" if ratio is None else f"{ratio:.2f}×{base}",
                    _target_cell(r, report.notes),
                ]
                out.append("| " + " | ".join(cells) + " |")
            svg = _bench_svg(report.rows, report.notes)
            out += ["", f'<div class="tt-bench-wrap">{svg}</div>', ""]
        if report.notes:
            out += ["**Notes**", ""]
            out += [f"- *{esc(k)}*: {esc(v)}" for k, v in report.notes.items()] + [""]
        if report.environment:
            out += ["**Measured on**", "", *_environment_lines(report.environment), ""]
    return "\n".join(out)


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
    return esc(str(value)).replace("|", "\\|")
