"""Fill a starter's stubs back in from the reference, function by function.

What a student does by hand, done mechanically: the end-to-end test fills the packages
of a fresh starter in task order (``tasks.toml``) and checks that the tests and the
milestones unlock as the task lists say. A stub is matched to the reference's solution
region by the function its message names.
"""

from __future__ import annotations

from pathlib import Path

from .starter import BEGIN_MARK, enclosing_function, find_regions, function_spans, package_of
from .stubs import STUB_PREFIX, find_stubs


def stub_spans(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) 0-based line indexes of every ``raise NotImplementedError(`` stub."""
    spans, index = [], 0
    while index < len(lines):
        if lines[index].strip() == "raise NotImplementedError(" and index + 1 < len(lines) \
                and STUB_PREFIX in lines[index + 1]:
            last = index + 1
            while lines[last].strip() != ")":
                last += 1
            spans.append((index, last))
            index = last
        index += 1
    return spans


def region_code(lines: list[str], begin: int, end: int) -> list[str]:
    """A region's lines from its first line of code (the leading hint comments, which the
    starter keeps, excluded) to the line before its END marker."""
    first = begin + 1
    while first < end and (not lines[first].strip() or lines[first].strip().startswith("#")):
        first += 1
    return lines[first:end]


def fill_file(starter_text: str, reference_text: str, functions: set[str], where: str) -> str:
    """``starter_text`` with the stubs of ``functions`` replaced by the reference's code.

    Each stub names its function; the k-th stub of a function takes the code of that
    function's k-th solution region, so stubs filled earlier do not shift the others."""
    reference = reference_text.splitlines(keepends=True)
    spans = function_spans(reference_text)
    codes: dict[str, list[list[str]]] = {}
    for region in find_regions(reference, where):
        name = enclosing_function(spans, region.begin + 1)
        codes.setdefault(name, []).append(region_code(reference, region.begin, region.end))
    lines = starter_text.splitlines(keepends=True)
    stubs = [(first, last, find_stubs("".join(lines[first:last + 1]))[0])
             for first, last in stub_spans(lines)]
    seen: dict[str, int] = {}
    filled = []
    for first, last, name in stubs:
        index = seen[name] = seen.get(name, -1) + 1
        if name in functions:
            if index >= len(codes.get(name, [])):
                raise ValueError(f"{where}: the starter stubs {name} but the reference has no "
                                 "solution region for it there; is the starter current?")
            filled.append((first, last, codes[name][index]))
    for first, last, code in reversed(filled):
        lines[first:last + 1] = code
    return "".join(lines)


def fill_functions(starter: Path, reference: Path, package: str, functions: set[str]) -> None:
    """Write the reference's solutions of ``functions`` into ``starter``'s ``package`` sources."""
    src = reference / "packages" / package / "src"
    for source in sorted(src.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        relative = source.relative_to(reference)
        if BEGIN_MARK not in text or package_of(relative) != package:
            continue
        target = starter / relative
        target.write_text(fill_file(target.read_text(encoding="utf-8"), text, functions,
                                    str(relative)), encoding="utf-8")
