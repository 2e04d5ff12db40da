"""What the documentation site reads from the tree: packages, milestones, results.

Everything here is plain data read from files (pyproject.toml, milestone.toml,
the JSON that milestone runs and benchmarks write), so the site follows the
repository as packages and milestones appear. Nothing here imports tinytorch.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .graph import Package, read_tree
from .specs import MilestoneSpec as Milestone
from .specs import discover_milestones
from .tasks import Task, TaskListError, read_tasks


def milestone_anchor(milestone: Milestone) -> str:
    """The id of a milestone's card on the history page, e.g. ``milestone-01``."""
    return f"milestone-{milestone.number:02d}"


# --------------------------------------------------------------------------- packages


def read_packages(root: Path) -> list[Package]:
    """The tree's packages in teaching order (``graph.read_tree``); a pyproject that
    cannot be read stops the build with its file named (``nox -s lint`` names it too)."""
    return list(read_tree(root).packages.values())


def public_modules(pkg: Package) -> list[str]:
    """Dotted names of the package's public submodules, read from the source tree."""
    if not pkg.has_source:
        return []
    modules = []
    for path in sorted(pkg.src_dir.rglob("*.py")):
        rel = path.relative_to(pkg.src_dir).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            if not parts:
                continue
        if any(part.startswith("_") for part in parts):
            continue
        if "tests" in parts:
            continue
        modules.append(pkg.import_name + "." + ".".join(parts))
    return modules


@dataclass
class ModuleNames:
    """What one module of a package defines, imports from the package and exports."""

    name: str                                   # tinytorch.optim.data
    is_package: bool                            # an __init__.py
    defined: list[str] = field(default_factory=list)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    all: list[str] | None = None                # a literal __all__, when there is one

    @property
    def exported(self) -> list[str]:
        """``__all__``; without it, what it defines and, for a package, what it imports."""
        if self.all is not None:
            return self.all
        return self.defined + (list(self.imported) if self.is_package else [])


def _module_file(pkg: Package, module: str) -> Path:
    parts = module.split(".")[2:]
    folder = pkg.src_dir.joinpath(*parts)
    return folder / "__init__.py" if (folder / "__init__.py").is_file() else folder.with_suffix(
        ".py")


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def read_module_names(pkg: Package, module: str) -> ModuleNames:
    path = _module_file(pkg, module)
    info = ModuleNames(module, path.name == "__init__.py")
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return info
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            info.defined.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if "__all__" in names and isinstance(node.value, (ast.List, ast.Tuple)):
                info.all = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            info.defined += [n for n in names if n != "__all__"]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, info.is_package, node)
            if source == pkg.import_name or source.startswith(pkg.import_name + "."):
                for alias in node.names:
                    info.imported[alias.asname or alias.name] = (source, alias.name)
    info.defined = [n for n in dict.fromkeys(info.defined) if not n.startswith("_")]
    info.imported = {k: v for k, v in info.imported.items() if not k.startswith("_")}
    return info


def api_layout(pkg: Package) -> list[tuple[str, list[str]]]:
    """Each public module of the package, root first, with the objects documented there.

    Every object is documented once, at its public path: the shortest module that
    exports it (``tinytorch.nn.Linear``, not ``tinytorch.nn.linear.Linear``). A module
    keeps its docstring on the page even when all it defines is shown higher up.
    """
    if not pkg.has_source:
        return []
    modules = [pkg.import_name, *public_modules(pkg)]
    infos = {m: read_module_names(pkg, m) for m in modules}

    def definition(module: str, name: str, seen=()) -> tuple[str, str] | None:
        info = infos.get(module)
        if info is None or (module, name) in seen:
            return None
        if name in info.defined:
            return module, name
        if name in info.imported:
            source, original = info.imported[name]
            if f"{source}.{original}" in infos:  # a submodule, documented on its own
                return None
            return definition(source, original, (*seen, (module, name)))
        return None

    shown_at: dict[tuple[str, str], tuple[str, str]] = {}
    by_depth = sorted(modules, key=lambda m: m.count("."))
    for module in by_depth:
        for name in infos[module].exported:
            found = definition(module, name)
            if found is not None:
                shown_at.setdefault(found, (module, name))
    for module in by_depth:  # public names that no __all__ exports stay where they are
        for name in infos[module].defined:
            shown_at.setdefault((module, name), (module, name))
    owned: dict[str, list[str]] = {m: [] for m in modules}
    for module, name in shown_at.values():
        owned[module].append(name)
    return [(m, owned[m]) for m in modules]


# Search weights: a public class (tinytorch.nn.Linear) first, then the other names a
# package exports; its methods as any page section; internal modules' objects last.
PUBLIC_CLASS_BOOST, PUBLIC_NAME_BOOST, INTERNAL_BOOST = 20.0, 8.0, 0.5


def search_boost(location: str, import_names: list[str]) -> float:
    """The search weight of the index entry at ``location`` (a page URL with an anchor)."""
    page, _, anchor = location.partition("#")
    if not re.search(r"/api(?:-[\w-]+)?(?:\.html|/)", page):
        return 1.0
    package = next((n for n in import_names if anchor.startswith(n + ".")), None)
    if package is None:
        return 1.0
    rest = anchor[len(package) + 1:].split(".")
    if len(rest) == 1:
        return PUBLIC_CLASS_BOOST if rest[0][:1].isupper() else PUBLIC_NAME_BOOST
    if rest[0][:1].isupper():   # a method or attribute of a public class
        return 1.0
    return INTERNAL_BOOST


PREFIX_FACTOR = 5.0   # ``Adam`` above ``AdamW``: a prefix search for a name wants it first


def search_boosts(locations: list[str], import_names: list[str]) -> dict[str, float]:
    """The search weight of every index entry that is not 1 (``search_boost``), with a public
    class whose name begins other public names (``Adam``, ``AdamW``) weighed above them."""
    boosts = {loc: search_boost(loc, import_names) for loc in locations}
    public = {loc: loc.rsplit(".", 1)[-1].lower() for loc, b in boosts.items()
              if b == PUBLIC_CLASS_BOOST}
    names = set(public.values())
    for loc, name in public.items():
        if any(other != name and other.startswith(name) for other in names):
            boosts[loc] *= PREFIX_FACTOR
    return {loc: b for loc, b in boosts.items() if b != 1.0}


# ------------------------------------------------------------------------- milestones


def read_milestones(root: Path) -> list[Milestone]:
    """Every milestone, in historical order, read by the one milestone.toml parser
    (``ttdev.specs``): a milestone the runner rejects fails the docs build too."""
    return discover_milestones(root / "milestones")


# ---------------------------------------------------------------------------- results


@dataclass
class Bar:
    metric: str
    value: float | None
    op: str  # ">=", "<=" or the runner's text of the bar, e.g. ">= 0.5 and <= 0.9"
    threshold: float | None  # set when the bar is a single limit
    passed: bool | None
    description: str = ""


@dataclass
class ScriptResult:
    script: str
    json_path: Path
    passed: bool | None
    quick: bool | None
    wall_time_s: float | None
    finished: str
    metrics: dict[str, float]
    bars: list[Bar]
    versions: dict[str, str]
    plots: list[Path]
    curves: dict[str, list]
    facts: dict[str, float]
    kind: str = "latest"   # "latest", "full" (the kept full run) or "reference"
    label: str = ""        # shown on the card, e.g. "reference run, 2026-12-04, commit 1a2b3c4"
    captions: dict[Path, tuple[str, str]] = field(default_factory=dict)  # plot -> (title, caption)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _parse_bar(raw: dict, metrics: dict) -> Bar:
    metric = raw.get("metric", raw.get("name", "?"))
    value = _number(raw.get("value", raw.get("measured", metrics.get(metric))))
    text = raw.get("bar")
    if isinstance(
        text, str
    ):  # the milestone runner's form: ">= 0.95", "<= 0.5", ">= 0.1 and <= 0.9"
        single = re.fullmatch(r"\s*(>=|<=)\s*([-+0-9.eE]+)\s*", text)
        op, threshold = (single.group(1), float(single.group(2))) if single else (text, None)
    elif raw.get("at_least") is not None:
        op, threshold = ">=", _number(raw.get("at_least"))
    elif raw.get("at_most") is not None:
        op, threshold = "<=", _number(raw.get("at_most"))
    else:
        op = raw.get("op", raw.get("comparison", ">="))
        op = {"at_least": ">=", "at_most": "<=", "min": ">=", "max": "<="}.get(op, op)
        threshold = _number(raw.get("threshold", raw.get("bar", raw.get("target"))))
    passed = raw.get("passed", raw.get("ok", raw.get("pass")))
    if passed is None and value is not None and threshold is not None:
        passed = value >= threshold if op == ">=" else value <= threshold
    return Bar(metric, value, op, threshold, passed, raw.get("description", ""))


def declared_figures(data: dict, json_path: Path) -> list[Path]:
    """The PNGs a run lists under ``figures`` (milestones/README.md), else ``<script>.png``."""
    listed = [
        json_path.parent / entry["file"]
        for entry in data.get("figures") or []
        if isinstance(entry, dict) and isinstance(entry.get("file"), str)
    ]
    return listed or [json_path.with_suffix(".png")]


def figure_captions(data: dict, json_path: Path) -> dict[Path, tuple[str, str]]:
    """Each declared figure's (title, caption), by its file, for the timeline."""
    return {
        json_path.parent / entry["file"]: (str(entry.get("title") or ""),
                                           str(entry.get("caption") or ""))
        for entry in data.get("figures") or []
        if isinstance(entry, dict) and isinstance(entry.get("file"), str)
    }


def read_script_result(json_path: Path) -> ScriptResult | None:
    try:
        data = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    metrics = {k: v for k, v in (data.get("metrics") or {}).items() if _number(v) is not None}
    raw_bars = data.get("bars") or []
    if isinstance(raw_bars, dict):
        raw_bars = [{"metric": k, **v} for k, v in raw_bars.items() if isinstance(v, dict)]
    bars = [_parse_bar(b, metrics) for b in raw_bars if isinstance(b, dict)]
    passed = data.get("passed", data.get("ok", data.get("success")))
    if passed is None and data.get("status") in ("passed", "failed"):
        passed = data["status"] == "passed"
    if passed is None and bars:
        passed = all(b.passed for b in bars)
    wall = data.get("wall_seconds", data.get("wall_time_s", data.get("wall_time")))
    raw_versions = data.get("packages") or data.get("versions") or {}
    versions = {}
    if isinstance(raw_versions, list):  # the runner's form: [{"name", "version", "origin"}]
        versions = {
            d.get("name", "?"): d.get("version", "") for d in raw_versions if isinstance(d, dict)
        }
    elif isinstance(raw_versions, dict):
        for name, info in raw_versions.items():
            versions[name] = info.get("version", "") if isinstance(info, dict) else str(info)
    stem = json_path.stem
    plots = [p for p in declared_figures(data, json_path) if p.is_file()]
    return ScriptResult(
        script=data.get("script", stem + ".py"),
        json_path=json_path,
        passed=passed if isinstance(passed, bool) else None,
        quick=data.get("quick") if isinstance(data.get("quick"), bool) else None,
        wall_time_s=_number(wall),
        finished=str(data.get("started_at", data.get("finished_at", ""))),
        metrics=metrics,
        bars=bars,
        versions=versions,
        plots=plots,
        captions=figure_captions(data, json_path),
        curves={k: v for k, v in (data.get("curves") or {}).items() if isinstance(v, list)},
        facts={k: v for k, v in (data.get("facts") or {}).items() if _number(v) is not None},
    )


REFERENCE_DIR = Path("docs") / "reference-results"   # a reference run shipped with the repo


def reference_label(root: Path) -> str:
    """"reference run, <date>, commit <sha>" from docs/reference-results/reference.json."""
    try:
        info = json.loads((root / REFERENCE_DIR / "reference.json").read_text())
    except (OSError, ValueError):
        return "reference run"
    parts = ["reference run", str(info.get("date", "")), f"commit {info.get('commit', '')}"]
    return ", ".join(p for p in parts if p and p != "commit ")


def _runs_in(folder: Path, stems: list[str], kind: str, label: str) -> list[ScriptResult]:
    results = []
    for stem in stems:  # a script's report only: other JSON there (checkpoints) is not a run
        result = read_script_result(folder / f"{stem}.json")
        if result is not None:
            result.kind, result.label = kind, label
            results.append(result)
    return results


def milestone_results(root: Path, milestone: Milestone) -> list[ScriptResult]:
    """Each script's latest run and, when that was a quick run, its kept full run
    (``full/``, written by the milestone runner); with no run of this machine at all, the
    reference run shipped in docs/reference-results/, marked as such."""
    stems = [Path(s.file).stem for s in milestone.scripts]
    folder = root / "results" / "milestones" / milestone.name
    latest = _runs_in(folder, stems, "latest", "latest run")
    full = {r.script: r for r in _runs_in(folder / "full", stems, "full", "best full run")}
    results = []
    for run in latest:
        results.append(run)
        kept = full.pop(run.script, None)
        if kept is not None and kept.finished != run.finished:   # not the same run twice
            results.append(kept)
    results += full.values()   # a full run whose latest report was deleted
    if results:
        return results
    reference = root / REFERENCE_DIR / "milestones" / milestone.name
    return _runs_in(reference, stems, "reference", reference_label(root))


@dataclass
class BenchReport:
    path: Path
    environment: dict
    rows: list[dict]  # name, implementation, median_ms, ratio (+ p25_ms, p75_ms, baseline)
    notes: dict[str, str] = field(default_factory=dict)  # per benchmark name
    label: str = ""   # "reference run, <date>, commit <sha>" for the shipped reference


def read_bench(root: Path) -> list[BenchReport]:
    """The benchmark reports of this machine (results/bench/), else the shipped reference."""
    own = sorted((root / "results" / "bench").glob("*.json"))
    paths = own or sorted((root / REFERENCE_DIR / "bench").glob("*.json"))
    reports = []
    for json_path in paths:
        try:
            data = json.loads(json_path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, list):
            data = {"rows": data}
        if not isinstance(data, dict):
            continue
        raw = data.get("rows") or data.get("measurements") or data.get("results") or []
        rows = [
            {"name": r.get("name", r.get("case", "?")), **r} for r in raw if isinstance(r, dict)
        ]
        env = data.get("environment", {})
        env = env if isinstance(env, dict) else {"info": env}
        notes = data.get("notes") if isinstance(data.get("notes"), dict) else {}
        notes = {str(k): str(v) for k, v in notes.items()}
        label = "" if own else reference_label(root)
        reports.append(BenchReport(json_path, env, rows, notes, label))
    return reports


# ------------------------------------------------------------------------ task lists


def package_tasks(pkg: Package) -> list[Task]:
    """The package's tasks (``tasks.toml``), in order; [] without one. A malformed file stops
    the build with its error (``nox -s lint`` names the same problem)."""
    try:
        return read_tasks(pkg.path) or []
    except TaskListError as error:
        raise ValueError(f"tinytorch docs: {error}") from error


def function_files(pkg: Package) -> dict[str, str]:
    """Qualified name of every function and method in the package's sources -> its file,
    relative to ``src/tinytorch`` (``nn/linear.py``); the first definition wins."""
    found: dict[str, str] = {}
    root = pkg.path / "src" / "tinytorch"

    def visit(node: ast.AST, prefix: str, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    found.setdefault(name, where)
                visit(child, name + ".", where)

    for source in sorted(root.rglob("*.py")) if root.is_dir() else []:
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        visit(tree, "", source.relative_to(root).as_posix())
    return found
