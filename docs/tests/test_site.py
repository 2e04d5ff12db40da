"""The built documentation site, checked in a real browser (Debian's Chromium, via Playwright).

Run by `nox -s docs` after `mkdocs build --strict`. It serves `site/` (or
`$TT_DOCS_SITE`) on 127.0.0.1 and checks that:

- the history timeline shows one card per `milestones/*/milestone.toml`, and
  saves a screenshot of it to `results/docs/timeline.png`;
- the built-in search finds an API name (`Conv2d` once tt-spatial exists), and ranks
  the public class itself (`tinytorch.nn.Linear`) first among the sections it finds;
- an API page with formulas shows them rendered by KaTeX (no raw `:math:` or `$`);
- the home page and the timeline fit a 390 px wide phone screen (no horizontal scroll);
- the site works from the disk: links point to `.html` files, not folders;
- every page in the navigation loads with no console error and no request
  leaving 127.0.0.1;
- no page refers to a script, style sheet, font or image on the network.

Skips, saying why, where Chromium, Playwright or the built site is missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).absolute().parents[2]
SITE = Path(os.environ.get("TT_DOCS_SITE", ROOT / "site"))
SCREENSHOT = Path(os.environ.get("TT_DOCS_SCREENSHOT", ROOT / "results" / "docs" / "timeline.png"))
CHROMIUM = os.environ.get("TT_DOCS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

needs_site = pytest.mark.skipif(
    not (SITE / "index.html").is_file(),
    reason=f"no built site at {SITE}: run `nox -s docs` (mkdocs build) first",
)


def milestone_count() -> int:
    return len(list((ROOT / "milestones").glob("*/milestone.toml")))


def search_term() -> str:
    """`Conv2d` once tt-spatial is in the tree; until then a class that some package defines."""
    if (ROOT / "packages" / "tt-spatial" / "pyproject.toml").is_file():
        return "Conv2d"
    sources = sorted((ROOT / "packages").glob("tt-*/src/tinytorch/*/**/*.py"))
    for name in ("Tensor", "Linear", "Module", "Function"):
        if any(
            re.search(rf"^class {name}\b", p.read_text(errors="replace"), re.M) for p in sources
        ):
            return name
    for path in sources:
        match = re.search(r"^class ([A-Z]\w+)", path.read_text(errors="replace"), re.M)
        if match:
            return match.group(1)
    pytest.skip("no package defines a class to search for yet")


# --------------------------------------------------------------------- static checks

_REMOTE_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=["']?(?:https?:)?//"""
    r"""|<link\b(?=[^>]*\brel=["']?(?:stylesheet|preload|modulepreload|icon|prefetch|manifest))[^>]*\bhref=["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//""",
    re.I,
)
_REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//""", re.I)


@needs_site
def test_no_page_loads_anything_from_the_network():
    offenders = []
    for path in SITE.rglob("*.html"):
        for match in _REMOTE_RESOURCE.finditer(path.read_text(errors="replace")):
            offenders.append(f"{path.relative_to(SITE)}: {match.group(0)[:120]}")
    for path in SITE.rglob("*.css"):
        for match in _REMOTE_CSS_URL.finditer(path.read_text(errors="replace")):
            offenders.append(f"{path.relative_to(SITE)}: {match.group(0)[:120]}")
    assert not offenders, "resources fetched from the network:\n" + "\n".join(offenders)


# ---------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def base_url():
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site at {SITE}: run `nox -s docs` (mkdocs build) first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} not found: the browser test needs Debian's chromium "
            "(apt-get install -y chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser test needs `pip install playwright`"
    )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, page errors and off-machine requests are recorded."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on(
            "console",
            lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"),
        )
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.route("**/*", self._route)

    def _request_failed(self, request):
        # ERR_ABORTED: the browser dropped a request of the page it was leaving (the search
        # worker, when the next page is opened at once), which is no fault of the site.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append(f"request failed: {request.url} {request.failure}")

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def goto(self, url: str):
        self.page.goto(url, wait_until="networkidle")
        return self.page


@pytest.fixture()
def watched(browser):
    w = Watched(browser)
    yield w
    w.context.close()


def test_timeline_has_one_card_per_milestone(watched, base_url):
    page = watched.goto(urljoin(base_url, "history.html"))
    cards = page.locator(".tt-timeline .tt-card")
    expected = milestone_count()
    assert cards.count() == expected, f"{cards.count()} cards for {expected} milestone.toml files"
    for i in range(expected):
        card = cards.nth(i)
        assert card.locator(".tt-card-title").inner_text().strip()
        assert re.search(r"nox -s milestone_\d\d", card.locator(".tt-cmd").inner_text())
        assert card.locator(".tt-result").count() >= 1
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not watched.errors, watched.errors
    assert not watched.external, watched.external


def search(page, term: str) -> list[str]:
    """Type ``term`` into the site's search box; the result links, best first."""
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.press_sequentially(term, delay=40)  # Material searches on key events, like a person typing
    result = page.locator(".md-search-result__item", has_text=term).first
    result.wait_for(state="visible", timeout=15_000)
    page.wait_for_timeout(300)   # the list settles after the last key
    return page.eval_on_selector_all(".md-search-result__item a[href]",
                                     "links => links.map(a => a.href)")


def test_search_finds_an_api_name(watched, base_url):
    term = search_term()
    links = search(watched.goto(base_url), term)
    assert links, f"no search result for {term}"
    assert not watched.errors, watched.errors


@pytest.mark.parametrize("term, public_path", [
    ("Linear", "tinytorch.nn.Linear"),
    ("Conv2d", "tinytorch.spatial.Conv2d"),
    ("Adam", "tinytorch.optim.Adam"),   # above AdamW, which its name begins
    ("Tensor", "tinytorch.tensor.Tensor"),   # above TensorDataset
])
def test_search_ranks_the_public_class_first(watched, base_url, term, public_path):
    package = "tt-" + public_path.split(".")[1]
    if not (ROOT / "packages" / package / "pyproject.toml").is_file():
        pytest.skip(f"{package} is not in the tree")
    links = search(watched.goto(base_url), term)
    sections = [link for link in links if "#" in link]   # the first link is the page itself
    assert sections and sections[0].endswith("#" + public_path), (
        f"searching {term!r}: expected {public_path} first, got {sections[:5]}")
    assert not any("mkdocstrings-source" in link for link in links)


def test_api_math_is_rendered_by_katex(watched, base_url):
    if not (ROOT / "packages" / "tt-optim" / "pyproject.toml").is_file():
        pytest.skip("tt-optim is not in the tree")
    page = watched.goto(urljoin(base_url, "packages/tt-optim/api.html"))
    page.locator(".katex").first.wait_for(state="attached", timeout=10_000)
    sgd = page.locator('[id="tinytorch.optim.SGD"]').locator("xpath=..")
    assert sgd.locator(".katex-display").count() >= 1, "SGD's update rule is not a rendered formula"
    text = page.locator("article").inner_text()
    for raw in (":math:", ".. math::", "$$", "Examples::", "only::"):
        assert raw not in text, f"{raw!r} shown raw on the tt-optim API page"
    assert page.locator(".katex-error").count() == 0, "KaTeX could not parse a formula"
    assert not watched.errors, watched.errors


# Elements reaching past the screen's right edge, other than inside a box that scrolls
# on its own (a wide table, the package map, a code block).
SPILLING = """() => {
  const scrolls = e => { for (let a = e.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === 'auto' || o === 'scroll' || o === 'hidden') && a.clientWidth <= innerWidth)
        return true; }
    return false; };
  return [...document.querySelectorAll('article *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !scrolls(e))
    .slice(0, 5).map(e => e.tagName + '.' + (e.getAttribute('class') || ''));
}"""


@pytest.mark.parametrize("path", ["index.html", "history.html"])
def test_a_phone_screen_shows_the_page_without_horizontal_scrolling(browser, base_url, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(urljoin(base_url, path), wait_until="networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(SPILLING)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT.with_name(f"phone-{Path(path).stem}.png")),
                        full_page=True)
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen: {wide}"
        assert not wide, f"{path}: elements reach past a 390 px screen: {wide}"
    finally:
        context.close()


def test_the_site_browses_from_the_disk_without_a_server():
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site at {SITE}")
    html = (SITE / "index.html").read_text()
    links = re.findall(r'<a[^>]+href="([^"#:]+)"', html)
    local = [link for link in links if not link.startswith(("http", "//", "mailto"))]
    assert local, "the home page links to no other page"
    folders = [link for link in local if link.endswith("/") or link in (".", "..")]
    assert not folders, f"links to folders (a folder listing from the disk): {folders[:5]}"
    for link in local:
        assert (SITE / link.split("?")[0]).exists(), f"index.html links to {link}, not built"


def test_every_page_in_the_navigation_loads_cleanly(watched, base_url):
    page = watched.goto(base_url)
    hrefs = page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)"
    )
    urls = sorted({h.split("#")[0] for h in hrefs if h.startswith(base_url)})
    assert len(urls) >= 4, urls
    problems = {}
    for url in urls:
        watched.errors.clear()
        response = page.goto(url, wait_until="networkidle")
        status = response.status if response else None
        if status != 200 or watched.errors:
            problems[url] = [f"status {status}", *watched.errors]
    assert not problems, problems
    assert not watched.external, f"requests leaving the machine: {watched.external}"
