"""Read and check ``milestone.toml``: the one declaration of a milestone.

This module is the single parser of the milestone schema described in
``milestones/README.md``: the milestone runner (``ttdev.milestone``), nox, the
docs and the grader all import it, so they never disagree about what a
milestone declares. It uses the standard library only (nox's own environment
imports it).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MILESTONE_FILE = "milestone.toml"
FOLDER_PATTERN = re.compile(r"^(\d\d)_")  # NN_YEAR_slug
BAR_KEYS = {"metric", "at_least", "at_most", "quick_at_least", "quick_at_most", "description",
            "causes", "next"}
TEXT_KEYS = {"metric", "description", "causes", "next"}
REQUIRED_KEYS = ("number", "year", "slug", "title", "unlocked_by")


class SpecError(ValueError):
    """A milestone.toml that does not follow the schema in milestones/README.md."""


@dataclass(frozen=True)
class Bar:
    """One result a script must reach, e.g. ``accuracy >= 0.95``.

    ``quick_at_least``/``quick_at_most`` replace the full bar in ``--quick`` mode;
    when absent, the full bar applies in quick mode too. ``causes`` are the likely
    reasons a student's code misses it and ``next`` the command to run then
    (``nox -s "test(tt-autograd)" -- -k matmul``); a failing bar prints both.
    """

    metric: str
    at_least: float | None = None
    at_most: float | None = None
    quick_at_least: float | None = None
    quick_at_most: float | None = None
    description: str = ""
    causes: tuple[str, ...] = ()
    next: str = ""

    def limits(self, quick: bool) -> tuple[float | None, float | None]:
        """The (lower, upper) limits that apply in this mode; None means unbounded."""
        if not quick:
            return self.at_least, self.at_most
        lower = self.quick_at_least if self.quick_at_least is not None else self.at_least
        upper = self.quick_at_most if self.quick_at_most is not None else self.at_most
        return lower, upper

    def passes(self, value: float | None, quick: bool) -> bool:
        """True when ``value`` was measured, is finite and lies within the limits."""
        if value is None or not math.isfinite(value):
            return False
        lower, upper = self.limits(quick)
        return (lower is None or value >= lower) and (upper is None or value <= upper)

    def describe(self, quick: bool) -> str:
        """The bar as text, e.g. ``>= 0.95`` or ``<= 0.5``."""
        lower, upper = self.limits(quick)
        parts = []
        if lower is not None:
            parts.append(f">= {lower:g}")
        if upper is not None:
            parts.append(f"<= {upper:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Script:
    """One ``[[script]]`` of a milestone: a file, whether nox runs it by default, its bars."""

    file: str
    default: bool = True
    args: tuple[str, ...] = ()
    bars: tuple[Bar, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The file name without ``.py``; it names the results file."""
        return Path(self.file).stem


@dataclass(frozen=True)
class MilestoneSpec:
    """A whole ``milestone.toml`` plus the folder it lives in."""

    folder: Path
    number: int
    year: int
    slug: str
    title: str
    unlocked_by: str
    also_requires: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    requirements_no_deps: tuple[str, ...] = ()
    scripts: tuple[Script, ...] = ()
    people: tuple[str, ...] = ()
    story: str = ""
    solved: str = ""
    left_open: str = ""
    architecture: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The folder name, e.g. ``01_1957_perceptron``; it names the results folder."""
        return self.folder.name

    @property
    def session(self) -> str:
        """The nox session that runs this milestone, e.g. ``milestone_01``."""
        return f"milestone_{self.number:02d}"

    @property
    def package_roots(self) -> tuple[str, ...]:
        """The packages whose dependency closures the milestone needs: ``unlocked_by``
        first, then ``also_requires`` (packages its scripts use beyond that closure)."""
        return (self.unlocked_by, *self.also_requires)

    def default_scripts(self) -> list[Script]:
        """The scripts nox runs without being asked (``default = true``)."""
        return [script for script in self.scripts if script.default]

    def script(self, file_name: str) -> Script:
        """The ``[[script]]`` entry for ``file_name``; SpecError if it is not declared."""
        for script in self.scripts:
            if script.file == file_name:
                return script
        declared = ", ".join(s.file for s in self.scripts) or "none"
        raise SpecError(
            f"{self.folder / MILESTONE_FILE}: no [[script]] with file = {file_name!r} "
            f"(declared: {declared}); add one so its bars are known"
        )


def _number(where: str, key: str, value) -> float | None:
    """Check that ``value`` is a number (or absent) and return it as float."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _strings(where: str, key: str, value) -> tuple[str, ...]:
    """Check that ``value`` is a list of strings and return it as a tuple."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where}: {key} must be a list of strings, got {value!r}")
    return tuple(value)


def parse_bar(where: str, raw: dict) -> Bar:
    """Build a Bar from one ``[[script.bar]]`` table, rejecting unknown keys and missing limits."""
    unknown = set(raw) - BAR_KEYS
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {sorted(unknown)}; a bar takes {sorted(BAR_KEYS)}"
        )
    if not isinstance(raw.get("metric"), str) or not raw["metric"]:
        raise SpecError(f"{where}: a bar needs metric = \"<name the script records>\"")
    limits = {key: _number(where, key, raw.get(key)) for key in BAR_KEYS - TEXT_KEYS}
    if limits["at_least"] is None and limits["at_most"] is None:
        raise SpecError(f"{where}: bar on {raw['metric']!r} needs at_least or at_most")
    next_command = raw.get("next", "")
    if not isinstance(next_command, str):
        raise SpecError(f"{where}: next must be one command as a string, got {next_command!r}")
    return Bar(metric=raw["metric"], description=str(raw.get("description", "")),
               causes=_strings(where, "causes", raw.get("causes", [])), next=next_command,
               **limits)


def parse_script(where: str, raw: dict) -> Script:
    """Build a Script from one ``[[script]]`` table."""
    file_name = raw.get("file")
    if not isinstance(file_name, str) or not file_name.endswith(".py"):
        raise SpecError(f"{where}: file must name a Python script, got {file_name!r}")
    default = raw.get("default", True)
    if not isinstance(default, bool):
        raise SpecError(f"{where}: default must be true or false, got {default!r}")
    bars = tuple(
        parse_bar(f"{where} bar #{i}", bar) for i, bar in enumerate(raw.get("bar", []), start=1)
    )
    known = {"file", "default", "args", "bar"}
    return Script(
        file=file_name,
        default=default,
        args=_strings(where, "args", raw.get("args", [])),
        bars=bars,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def parse_milestone(folder: Path, raw: dict) -> MilestoneSpec:
    """Build a MilestoneSpec from the parsed TOML of ``folder/milestone.toml``."""
    where = str(folder / MILESTONE_FILE)
    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise SpecError(f"{where}: missing required key(s) {missing}")
    for key in ("number", "year"):
        if isinstance(raw[key], bool) or not isinstance(raw[key], int):
            raise SpecError(f"{where}: {key} must be an integer, got {raw[key]!r}")
    prefix = FOLDER_PATTERN.match(folder.name)
    if prefix and int(prefix.group(1)) != raw["number"]:
        raise SpecError(
            f"{where}: number = {raw['number']} but the folder is numbered {prefix.group(1)}"
        )
    scripts = tuple(
        parse_script(f"{where} [[script]] #{i}", s)
        for i, s in enumerate(raw.get("script", []), start=1)
    )
    known = set(MilestoneSpec.__dataclass_fields__) | {"script"}
    text = {key: str(raw.get(key, "")) for key in ("story", "solved", "left_open", "architecture")}
    return MilestoneSpec(
        folder=folder,
        number=raw["number"],
        year=raw["year"],
        slug=str(raw["slug"]),
        title=str(raw["title"]),
        unlocked_by=str(raw["unlocked_by"]),
        also_requires=_strings(where, "also_requires", raw.get("also_requires", [])),
        requirements=_strings(where, "requirements", raw.get("requirements", [])),
        requirements_no_deps=_strings(
            where, "requirements_no_deps", raw.get("requirements_no_deps", [])
        ),
        scripts=scripts,
        people=_strings(where, "people", raw.get("people", [])),
        extra={k: v for k, v in raw.items() if k not in known},
        **text,
    )


def load_milestone(folder: Path | str) -> MilestoneSpec:
    """Read ``folder/milestone.toml`` (``folder`` may also be the toml file itself)."""
    path = Path(folder)
    if path.name == MILESTONE_FILE:
        path = path.parent
    toml_path = path / MILESTONE_FILE
    if not toml_path.is_file():
        raise SpecError(f"{toml_path} not found: every milestone folder needs one")
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{toml_path}: not valid TOML: {error}") from error
    return parse_milestone(path, raw)


def discover_milestones(milestones_dir: Path | str) -> list[MilestoneSpec]:
    """Every ``NN_*/milestone.toml`` under ``milestones_dir``, in historical (number) order."""
    root = Path(milestones_dir)
    folders = sorted(
        p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name)
    ) if root.is_dir() else []
    specs = [load_milestone(p) for p in folders if (p / MILESTONE_FILE).is_file()]
    numbers = [s.number for s in specs]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise SpecError(f"{root}: more than one milestone numbered {duplicates}")
    return sorted(specs, key=lambda s: s.number)
