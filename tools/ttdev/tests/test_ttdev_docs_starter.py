"""The students' docs site, built inside a generated starter, publishes no solution body:
not in the API pages' source panels, not in the search index (``nox -s e2e``).

A site built from the reference tree shows every solution (mkdocstrings' source panels,
and the search index holds their text); docs/instructors.md says to publish this one.
"""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ttdev.starter import reference_only_lines, write_starter

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
TAG = re.compile(r"<[^>]+>")
DISTINCTIVE = 30   # solution lines at least this long (short ones like `return x` are common)


def page_text(path: Path) -> str:
    """A built page (or the search index) as plain text: tags dropped, entities decoded, so
    a source panel's highlighted code reads as its source lines."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    text = html.unescape(TAG.sub("", raw))
    return text.replace("\\n", "\n").replace('\\"', '"')


@pytest.fixture(scope="module")
def starter_site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="the docs tools are not installed here")
    starter = tmp_path_factory.mktemp("docs") / "starter"
    write_starter(ROOT, starter)
    # not --strict: a warning of the docs is not what this test is about
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--config-file",
                           str(starter / "mkdocs.yml"), "--site-dir", str(starter / "site")],
                          cwd=starter, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return starter / "site"


def source_panels(site: Path) -> dict[str, str]:
    """The text of every mkdocstrings source panel of the site, by page."""
    return {str(page.relative_to(site)): "\n".join(
                html.unescape(TAG.sub("", panel)) for panel in PANEL.findall(page.read_text()))
            for page in sorted(site.rglob("*.html"))}


PANEL = re.compile(r'<details class="mkdocstrings-source".*?</details>', re.S)
STUB = "is not implemented yet"


def test_the_starters_source_panels_hold_no_solution_body(starter_site):
    secret = {line for line in reference_only_lines(ROOT) if len(line) >= DISTINCTIVE}
    assert len(secret) > 50, "too few distinctive solution lines to check against"
    panels = source_panels(starter_site)
    # whole lines, as the starter's own check compares them (a docstring may name a line)
    leaks = [f"{page}: {line}" for page, text in panels.items()
             for line in {row.strip() for row in text.splitlines()} & secret]
    assert leaks == [], "solution lines in the students' site:\n" + "\n".join(leaks[:20])
    # the check sees code: the stubs' own lines are in the panels, where solutions would be
    assert sum(STUB in text for text in panels.values()) >= 10


def test_the_search_index_holds_no_source_code(starter_site):
    """Source panels are kept out of the search index (data-search-exclude): no stub line,
    so no solution line either, can be found by searching the site."""
    pages = list(starter_site.rglob("*.html"))
    marked = sum(page.read_text().count('class="mkdocstrings-source" data-search-exclude')
                 for page in pages)
    assert marked == sum(len(PANEL.findall(page.read_text())) for page in pages) > 0
    index = next(starter_site.rglob("search_index.json"))
    assert STUB not in page_text(index)
