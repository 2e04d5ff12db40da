"""MkDocs hooks that make the site follow the tree (configured in mkdocs.yml).

- on_config: builds the navigation from the packages and milestones that exist.
- on_files: adds the generated pages (history timeline, benchmarks, each
  package's API reference and changelog), the milestone plots and KaTeX; drops
  guides of packages that are not in the tree yet.
- on_page_markdown: fills the markers `<!-- tt:package-map -->`,
  `<!-- tt:package-map-words -->` and `<!-- tt:package-facts -->`; a package guide
  starts with its facts and its numbered task table (from tasks.toml; the marker
  `<!-- tt:task-table -->` puts the table elsewhere; a guide whose raw Markdown holds the
  table between `<!-- tasks: begin -->` and `<!-- tasks: end -->`, see guide_tasks.py,
  keeps that one).
- on_page_content: keeps the API pages' source listings out of the search index.
- on_post_build: ranks the public API first in the search index (docs_model.search_boost).
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from ttdev import docs_katex, docs_model, docs_render
from ttdev.graph import read_tree

_state: dict = {}

STATIC_PAGES = [
    ("Home", "index.md"),
    ("Students' guide", "students.md"),
    ("Instructors' guide", "instructors.md"),
]


def _root(config) -> Path:
    return Path(config.config_file_path).absolute().parent


def _url(src_uri: str, use_directory_urls: bool) -> str:
    if src_uri.endswith(".md"):
        stem = src_uri[:-3]
        if not use_directory_urls:
            return stem + ".html"
        if stem == "index" or stem.endswith("/index"):
            return stem[: -len("index")]
        return stem + "/"
    return src_uri


def _linker(page_src_uri: str, use_directory_urls: bool):
    here = _url(page_src_uri, use_directory_urls) or "./"

    def link(target_src_uri: str) -> str:
        return get_relative_url(_url(target_src_uri, use_directory_urls) or "./", here)

    return link


def _api_nav(pkg):
    """One nav entry for a one-page API reference, else a list of its pages."""
    pages = docs_render.api_pages(pkg)
    if len(pages) == 1:
        return pages[0][0]
    return [{title: uri} for uri, title, _ in pages]


def on_config(config):
    root = _root(config)
    tree = read_tree(root)   # a malformed pyproject or milestone.toml stops the build, named
    packages, milestones = list(tree.packages.values()), tree.milestones
    _state.update(root=root, packages=packages, milestones=milestones)
    nav: list = [{title: uri} for title, uri in STATIC_PAGES]
    nav.append({"History": "history.md"})
    nav.append(
        {
            "Packages": [
                {
                    p.name: [
                        {"Guide": f"packages/{p.name}.md"},
                        {"API reference": _api_nav(p)},
                        {"Changelog": f"packages/{p.name}/changelog.md"},
                    ]
                }
                for p in packages
            ]
            or [{"No packages yet": "packages/index.md"}]
        }
    )
    nav.append({"Benchmarks": "benchmarks.md"})
    config.nav = nav
    return config


def _generated(files: Files, config, uri: str, content: str) -> None:
    existing = files.get_file_from_path(uri)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, uri, content=content))


def on_files(files: Files, config):
    root, packages, milestones = _state["root"], _state["packages"], _state["milestones"]
    names = {p.name for p in packages}
    udu = config.use_directory_urls

    # Guides of packages that are not in the tree yet stay out of the build.
    for file in list(files):
        uri = file.src_uri
        if uri.startswith("packages/tt-") and uri.count("/") == 1 and uri.endswith(".md"):
            if uri[len("packages/") : -3] not in names:
                files.remove(file)

    for pkg in packages:
        if files.get_file_from_path(f"packages/{pkg.name}.md") is None:
            _generated(files, config, f"packages/{pkg.name}.md", docs_render.stub_guide(pkg))
        for uri, _, markdown in docs_render.api_pages(pkg):
            _generated(files, config, uri, markdown)
        _generated(
            files, config, f"packages/{pkg.name}/changelog.md", docs_render.changelog_page(pkg)
        )
    if not packages:
        _generated(files, config, "packages/index.md", docs_render.render("no_packages.md"))

    # Milestone results: plots are copied under assets/results/<milestone>/.
    results = {m.name: docs_model.milestone_results(root, m) for m in milestones}
    plot_uris: dict[Path, str] = {}
    for dirname, script_results in results.items():
        for r in script_results:
            for plot in r.plots:
                uri = f"assets/results/{dirname}/{r.kind}/{plot.name}"
                plot_uris[plot] = uri
                files.append(File.generated(config, uri, abs_src_path=str(plot)))
    link = _linker("history.md", udu)
    _generated(
        files,
        config,
        "history.md",
        docs_render.timeline_page(
            milestones, packages, results, link, lambda p: link(plot_uris[p])
        ),
    )
    _generated(files, config, "benchmarks.md", docs_render.bench_page(docs_model.read_bench(root)))

    try:
        katex = docs_katex.ensure_katex()
    except Exception as exc:  # noqa: BLE001 - any failure here means no math on the site
        raise PluginError(f"tinytorch docs: could not vendor KaTeX: {exc}") from exc
    for rel, path in docs_katex.site_files(katex):
        files.append(File.generated(config, f"assets/katex/{rel}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page, config, files):
    packages, milestones = _state["packages"], _state["milestones"]
    uri = page.file.src_uri
    if "<!-- tt:package-map -->" in markdown:
        svg = docs_render.package_map_svg(
            packages, milestones, _linker(uri, config.use_directory_urls)
        )
        markdown = markdown.replace("<!-- tt:package-map -->", svg)
    if "<!-- tt:package-map-words -->" in markdown:
        markdown = markdown.replace(
            "<!-- tt:package-map-words -->", docs_render.package_map_words(packages, milestones)
        )
    if uri.startswith("packages/tt-") and uri.count("/") == 1:
        pkg = next((p for p in packages if f"packages/{p.name}.md" == uri), None)
        if pkg is not None:
            facts = docs_render.package_facts(pkg, packages, milestones)
            # a guide that carries its table (guide_tasks.py writes it) is shown as it is
            table = "" if "<!-- tasks: begin -->" in markdown else docs_render.task_table(
                pkg, docs_model.package_tasks(pkg), docs_model.function_files(pkg), milestones)
            if "<!-- tt:task-table -->" in markdown:
                markdown = markdown.replace("<!-- tt:task-table -->", table)
            elif table:
                facts = f"{facts}\n{table}"
            if "<!-- tt:package-facts -->" in markdown:
                markdown = markdown.replace("<!-- tt:package-facts -->", facts)
            else:  # right after the title
                head, sep, tail = markdown.partition("\n")
                markdown = (
                    f"{head}{sep}\n{facts}\n{tail}"
                    if head.startswith("# ")
                    else f"{facts}\n{markdown}"
                )
    return markdown


SOURCE_BLOCK = '<details class="mkdocstrings-source">'


def on_page_content(html: str, page, config, files):
    """Search finds what the API does, not every line of its source: the collapsed
    "Source code" blocks of mkdocstrings are marked for Material's search to skip."""
    return html.replace(SOURCE_BLOCK, SOURCE_BLOCK[:-1] + " data-search-exclude>")


def on_post_build(config):
    """Weigh each search entry by what it documents: the public API above internals."""
    index_path = Path(config.site_dir) / "search" / "search_index.json"
    if not index_path.is_file():
        return
    index = json.loads(index_path.read_text())
    import_names = [p.import_name for p in _state["packages"]]
    entries = index.get("docs", [])
    boosts = docs_model.search_boosts([e.get("location", "") for e in entries], import_names)
    for entry in entries:
        if entry.get("location", "") in boosts:
            entry["boost"] = boosts[entry["location"]]
    index_path.write_text(json.dumps(index, separators=(",", ":")))
