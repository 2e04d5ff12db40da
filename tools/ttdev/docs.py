"""The `docs` session: build the site with `mkdocs build --strict`, then test it in a browser.

The site itself is generated from the tree by mkdocs hooks (docs_hooks.py):
the navigation, the history timeline (milestones/*/milestone.toml and
results/milestones/), the benchmarks page (results/bench/) and every package's
API reference and changelog. Griffe reads the packages' source statically
(mkdocs.yml lists `packages/*/src`), so the packages need not be installed.

`nox -s serve` builds the same site and serves it on 127.0.0.1 (the built site
also browses straight from the disk: mkdocs.yml sets `use_directory_urls: false`).

The browser test (docs/tests/test_site.py) needs Debian's Chromium at
/usr/bin/chromium and skips, saying so, where it is missing.
"""

from __future__ import annotations

from pathlib import Path

REQUIREMENTS = [
    "mkdocs>=1.6,<2",
    "mkdocs-material>=9.5,<10",
    "mkdocstrings-python>=2.0,<3",
    "ruff",  # mkdocstrings formats long signatures with it
    "numpy",
    "pytest",
    "playwright",
]

SERVE_HOST = "127.0.0.1"   # `nox -s serve` is reachable from this machine only
DEFAULT_PORT = 8000

# Material 9.7+ prints a banner about MkDocs 2.0 on every build; the pin above keeps us on 1.x.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}


def build(session, root: Path) -> Path:
    """Install the tools (mkdocs, and the tools package its hooks import) and build `site/`
    strictly; the site's folder."""
    site = root / "site"
    session.install(*REQUIREMENTS, "-e", str(root / "tools"))
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(root / "mkdocs.yml"),
        "--site-dir",
        str(site),
        env=QUIET,
    )
    return site


def build_and_check(session, root: Path) -> None:
    """Build `site/` strictly, then run the site's browser test."""
    site = build(session, root)
    session.log(f"site built in {site}: open {site / 'index.html'} or run `nox -s serve`")
    session.run(
        "pytest",
        str(root / "docs" / "tests"),
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"TT_DOCS_SITE": str(site)},
    )


def serve_port(posargs) -> int:
    """`nox -s serve -- PORT`: the port to serve on (8000 by default)."""
    if not posargs:
        return DEFAULT_PORT
    if len(posargs) == 1 and posargs[0].isdigit() and 0 < int(posargs[0]) < 65536:
        return int(posargs[0])
    raise ValueError(f"usage: nox -s serve -- [PORT]  (a port number, got {' '.join(posargs)})")


def build_and_serve(session, root: Path) -> None:
    """Build `site/`, then serve it on the loopback address only, until Ctrl-C."""
    try:
        port = serve_port(session.posargs)
    except ValueError as error:
        session.error(str(error))
    site = build(session, root)
    session.log(f"serving {site} on http://{SERVE_HOST}:{port}/  (Ctrl-C stops it)")
    session.run("python", "-m", "http.server", str(port), "--bind", SERVE_HOST,
                "--directory", str(site))
