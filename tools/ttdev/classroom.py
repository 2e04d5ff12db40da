"""The GitHub Classroom workflow's plan: which packages and milestones get a job.

``.github/workflows/classroom.yml`` runs this first and builds its job matrices
from the output, so the workflow follows the tree (a new package or milestone
gets its job without editing the YAML)::

    python tools/ttdev/classroom.py >> "$GITHUB_OUTPUT"
    packages=["tt-tensor", "tt-autograd", ...]
    milestones=["milestone_01", ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def plan(root: Path = ROOT) -> dict[str, list[str]]:
    """Every package, and every milestone whose packages are all in the tree."""
    sys.path.insert(0, str(root / "tools"))
    from ttdev.graph import discover_packages
    from ttdev.specs import discover_milestones

    packages = discover_packages(root / "packages")
    milestones = [m.session for m in discover_milestones(root / "milestones")
                  if all(name in packages for name in m.package_roots)]
    return {"packages": list(packages), "milestones": milestones}


def main() -> int:
    """Print ``key=<json list>`` lines, the format of ``$GITHUB_OUTPUT``."""
    for key, values in plan().items():
        print(f"{key}={json.dumps(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
