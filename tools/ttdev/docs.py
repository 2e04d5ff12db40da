"""The `docs` session: build the site with `mkdocs build --strict`, then test it in a browser.

The site itself is generated from the tree by mkdocs hooks (docs_hooks.py):
the navigation, the history timeline (milestones/*/milestone.toml and
results/milestones/), the benchmarks page (results/bench/) and every package's
API reference and changelog. Griffe reads the packages' source statically
(mkdocs.yml lists `packages/*/src`), so the packages need not be installed.

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

# Material 9.7+ prints a banner about MkDocs 2.0 on every build; the pin above keeps us on 1.x.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}


def build_and_check(session, root: Path) -> None:
    """Install the tools, build `site/` strictly, then run the site's browser test."""
    site = root / "site"
    session.install(*REQUIREMENTS)
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
    session.log(f"site built in {site}; open {site / 'index.html'} or run `mkdocs serve`")
    session.run(
        "pytest",
        str(root / "docs" / "tests"),
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"TT_DOCS_SITE": str(site)},
    )
