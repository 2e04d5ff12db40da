"""KaTeX, vendored into the site at build time so that no page loads it from a CDN.

The files come from the `katex` package of the npm registry (`npm pack`), are
unpacked once into a cache folder and copied into every build under
`assets/katex/`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

KATEX_VERSION = "0.16.22"

# What the site needs from the package's dist/ folder.
NEEDED = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts")


def cache_dir() -> Path:
    base = os.environ.get("TT_DOCS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tinytorch-docs"
    )
    return Path(base) / f"katex-{KATEX_VERSION}"


def _complete(folder: Path) -> bool:
    return all((folder / item).exists() for item in NEEDED)


def ensure_katex() -> Path:
    """The folder holding KaTeX's dist files, fetched with npm the first time."""
    target = cache_dir()
    if _complete(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "the docs vendor KaTeX from the npm registry and need `npm` (Node.js); "
            f"install it, or unpack katex@{KATEX_VERSION}'s dist/ folder into {target}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", f"katex@{KATEX_VERSION}", "--silent", "--pack-destination", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = next(Path(tmp).glob("katex-*.tgz"))
        with tarfile.open(tarball) as tar:
            members = [
                m for m in tar.getmembers() if m.name.startswith("package/dist/") and m.isfile()
            ]
            tar.extractall(tmp, members=members, filter="data")
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(Path(tmp) / "package" / "dist", staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def site_files(folder: Path) -> list[tuple[str, Path]]:
    """(path inside assets/katex/, file on disk) for every file the site ships."""
    files = [(name, folder / name) for name in NEEDED if name != "fonts"]
    # woff2 is enough for every browser the site targets.
    files += [(f"fonts/{p.name}", p) for p in sorted((folder / "fonts").glob("*.woff2"))]
    return files
