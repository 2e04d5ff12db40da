"""Every package guide shows a figure that tinytorch's own code drew (docs/packages/figures)."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
GUIDES = sorted((DOCS / "packages").glob("tt-*.md"))
FIGURES = DOCS / "packages" / "figures"
IMAGE = re.compile(r"!\[([^\]]+)\]\((figures/[^)]+)\)")
MAX_BYTES = 100 * 1024


def test_every_guide_shows_a_small_figure_with_a_description():
    assert GUIDES, "no package guides found"
    for guide in GUIDES:
        images = IMAGE.findall(guide.read_text())
        assert images, f"{guide.name} shows no figure from docs/packages/figures/"
        for alt, link in images:
            path = guide.parent / link
            assert path.is_file(), f"{guide.name} links {link}, which does not exist"
            head = path.read_bytes()[:8]
            assert head == b"\x89PNG\r\n\x1a\n" or head.startswith(b"<?xml"), (
                f"{link} is neither a PNG nor an SVG")
            assert path.stat().st_size < MAX_BYTES, f"{link} is over 100 KB"
            assert len(alt.split()) >= 4, f"{guide.name}: describe {link} in its alt text"


def test_every_committed_figure_is_used_and_drawn_by_the_script():
    used = {Path(link).name for guide in GUIDES for _, link in IMAGE.findall(guide.read_text())}
    script = (FIGURES / "make_figures.py").read_text()
    drawn = {f"{name}.png" for name in re.findall(r'save\(fig, "([\w-]+)"\)', script)}
    drawn |= set(re.findall(r'HERE / "([\w-]+\.svg)"', script))
    committed = {path.name for pattern in ("*.png", "*.svg") for path in FIGURES.glob(pattern)}
    assert committed == used, "figures not shown in any guide, or shown but missing"
    assert drawn == committed, "figures the script does not draw"
