"""Which tinytorch packages are installed, which version, and where each came from.

Used by the milestone runner (it stores this in every results file) and run by
nox inside a session's environment to print what the session actually runs::

    python -m ttdev.provenance [tt-tensor tt-autograd ...]

Standard library only: it runs in any session's environment.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import metadata

TT_PREFIX = "tt-"


def canonical(name: str) -> str:
    """PEP 503 normalized distribution name: ``TT_Tensor`` -> ``tt-tensor``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def origin(dist: metadata.Distribution) -> str:
    """Where a distribution came from: editable tree, wheel file, folder or index.

    Read from ``direct_url.json`` (PEP 610), which installers write when a
    package was installed from a path or URL rather than from an index.
    """
    raw = dist.read_text("direct_url.json")
    if not raw:
        return "index (no direct_url.json)"
    info = json.loads(raw)
    url = info.get("url", "")
    if info.get("dir_info", {}).get("editable"):
        return f"editable {url}"
    if url.endswith(".whl"):
        return f"wheel {url}"
    if "dir_info" in info:
        return f"folder {url}"
    return url or "unknown"


def installed_packages() -> list[dict]:
    """Every installed ``tt-*`` distribution: name, version, location and origin, sorted by name."""
    found = {}
    for dist in metadata.distributions():
        name = canonical(dist.metadata.get("Name") or "")
        if name.startswith(TT_PREFIX) and name not in found:
            found[name] = {
                "name": name,
                "version": dist.version,
                "location": str(dist.locate_file("")),
                "origin": origin(dist),
            }
    return [found[name] for name in sorted(found)]


def format_table(rows: list[dict], expected: list[str] = ()) -> str:
    """A plain-text table of ``installed_packages()`` rows; absent ``expected`` names flagged."""
    lines = [f"{'package':<14} {'version':<10} origin"]
    for row in rows:
        lines.append(f"{row['name']:<14} {row['version']:<10} {row['origin']}")
    present = {row["name"] for row in rows}
    for name in expected:
        if canonical(name) not in present:
            lines.append(f"{canonical(name):<14} {'-':<10} NOT INSTALLED")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if a package named on the command line is not installed."""
    parser = argparse.ArgumentParser(prog="python -m ttdev.provenance",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("expected", nargs="*", metavar="PACKAGE",
                        help="tt-* distributions that must be installed (exit 1 otherwise)")
    expected = parser.parse_args(argv).expected
    rows = installed_packages()
    print(format_table(rows, expected))
    present = {row["name"] for row in rows}
    return 0 if all(canonical(name) in present for name in expected) else 1


if __name__ == "__main__":
    sys.exit(main())
