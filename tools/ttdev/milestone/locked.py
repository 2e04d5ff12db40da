"""A milestone whose packages are still starter stubs says so, instead of printing a traceback.

In a starter every solution region raises
``NotImplementedError("tinytorch starter: tt-nn Linear.forward is not implemented yet. ...")``.
When one of those reaches the top of a milestone script, ``report_locked``
prints which function stopped the run and what is left to write in every
installed tinytorch package, and the runner records the run as ``locked``.
"""

from __future__ import annotations

import re
from importlib import metadata

# The starter's stub message (tools/ttdev/stubs.py writes it; this reads it back).
STUB_PATTERN = re.compile(
    r"tinytorch starter: (?P<package>tt-[a-z0-9-]+) (?P<function>[\w.]+) is not implemented yet"
)


def stub_of(error: BaseException) -> tuple[str, str] | None:
    """(package, function) when ``error`` is a starter stub's NotImplementedError, else None."""
    if not isinstance(error, NotImplementedError):
        return None
    match = STUB_PATTERN.search(str(error))
    return (match["package"], match["function"]) if match else None


def stubs_left() -> dict[str, list[str]]:
    """Per installed tt-* distribution, the functions its installed sources still stub."""
    left: dict[str, list[str]] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if not name.startswith("tt-") or name in left:
            continue
        functions = []
        for file in dist.files or ():
            if file.suffix == ".py":
                try:
                    text = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                functions += [m["function"] for m in STUB_PATTERN.finditer(text)]
        left[name] = functions
    return {name: left[name] for name in sorted(left) if left[name]}


def locked_message(package: str, function: str, left: dict[str, list[str]]) -> str:
    """What a student reads when a milestone meets a stub."""
    lines = [f"LOCKED: this milestone called {package} {function}, which is not written yet."]
    if left:
        lines.append("Still to write in the installed packages:")
        for name, functions in left.items():
            shown = ", ".join(functions[:6]) + (", ..." if len(functions) > 6 else "")
            lines.append(f"  {name}: {len(functions)} function(s) left ({shown})")
    lines.append(f'Next: write {function}, then `nox -s "test({package})"`; '
                 "`nox -s progress` shows every package and milestone.")
    return "\n".join(lines)
