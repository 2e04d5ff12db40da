"""The Milestone runner: command line, progress, metrics, bars, results file and figures.

A milestone script uses it like this::

    ms = Milestone.from_script(__file__, description="The perceptron, 1957")
    for epoch in ms.progress(range(ms.epochs(full=30, quick=5)), desc="train"):
        ...
        ms.log("loss", epoch, loss)
    ms.record("separable_test_accuracy", accuracy)
    fig = ms.figure("loss", "The perceptron learns", xlabel="epoch", ylabel="BCE loss (nats)")
    fig.line("training", *ms.curve("loss"))
    ms.facts(model_or_params=model, train_seconds=seconds, samples=n_seen)
    sys.exit(ms.finish())

``finish()`` checks every bar that ``milestone.toml`` declares for this script,
prints a PASS/FAIL table (each failing bar with its description, likely causes
and the command to run next), draws every figure the script declared with
:meth:`Milestone.figure` (``<results>/<milestone>/<script>_<name>.png``, see
``figures.py``), writes ``<results>/<milestone>/<script>.json`` listing them,
and returns 0 only if every bar passed. A bar whose metric was never recorded fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import textwrap
import time
from pathlib import Path

from tinytorch.tensor.io import atomic_write_text

from ..options import positive
from ..provenance import installed_packages
from ..specs import MilestoneSpec, Script, load_milestone
from . import figures
from .console import Transcript, paint
from .progress import progress
from .threads import choose_blas_threads

GRAPH_TITLE = "The computation graph behind the loss"
GRAPH_CAPTION = ("Each box is an op with the shape it produced; blue leaves require grad and "
                 "receive a gradient from backward().")
RESULTS_ENV = "TT_RESULTS_DIR"
DATA_ENV = "TT_DATA_DIR"


def default_results_dir(milestone_folder: Path) -> Path:
    """``$TT_RESULTS_DIR``, else ``<repo root>/results/milestones`` (root holds ``milestones/``)."""
    if os.environ.get(RESULTS_ENV):
        return Path(os.environ[RESULTS_ENV])
    return milestone_folder.resolve().parents[1] / "results" / "milestones"


def whole_number(minimum: int):
    """An argparse type: a whole number >= ``minimum`` (a clear usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    parse.__name__ = f"whole number >= {minimum}"
    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


positive_float = positive(float)   # seconds, rates: a finite number > 0


def build_parser(description: str) -> argparse.ArgumentParser:
    """The options every milestone script accepts; scripts may add their own before parsing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small budget and the quick bars (what CI runs)")
    parser.add_argument("--grade", action="store_true",
                        help="the grader's run (nox -s grade): the quick bars, a smaller budget "
                             "where the script sets one, no figures")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--epochs", type=non_negative_int, default=None,
                        help="override the number of epochs/steps (0: measure the untrained model)")
    parser.add_argument("--data-dir", type=Path, default=os.environ.get(DATA_ENV),
                        help=f"where datasets users bring live (default ${DATA_ENV})")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help=f"where results go (default ${RESULTS_ENV} or results/milestones)")
    return parser


def count_parameters(model_or_params) -> tuple[int, int]:
    """(number of parameters, bytes they occupy) of a Module, or an iterable of tensors/arrays."""
    params = model_or_params
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    count = nbytes = 0
    for p in params:
        array = getattr(p, "data", p)   # a Tensor's array, or the array itself
        if not hasattr(array, "size"):  # NumPy's own .data is a memoryview
            array = p
        count += int(getattr(array, "size", 0))
        nbytes += int(getattr(array, "nbytes", 0))
    return count, nbytes


class Milestone:
    """One run of one milestone script. Build it with :meth:`from_script`."""

    def __init__(self, script_path: Path, spec: MilestoneSpec, script: Script, description: str):
        self.script_path = script_path
        self.spec = spec
        self.script = script
        self.parser = build_parser(description)
        self.metrics: dict[str, float] = {}
        self.curves: dict[str, list[tuple[float, float]]] = {}
        self.system_facts: dict[str, float] = {}
        self.figures: dict[str, figures.Figure] = {}
        self.graph_check: list[str] | None = None   # problems found by the first backward()
        self.graph_figure: dict | None = None  # its results-JSON entry, once graph.svg is drawn
        self._args: argparse.Namespace | None = None
        self._argv: list[str] | None = None
        self._started = time.perf_counter()
        self._started_at = dt.datetime.now(dt.UTC)
        self._transcript = Transcript.start()
        self.diagnosis: str | None = None   # set by a failed preflight()
        self.locked: dict | None = None     # the stub that stopped the run (a starter)
        self._previous_hook = sys.excepthook
        sys.excepthook = self._report_locked_or_crash

    @classmethod
    def from_script(cls, script_file: str, description: str = "",
                    argv: list[str] | None = None) -> Milestone:
        """The Milestone for ``script_file`` (pass ``__file__``), from the milestone.toml beside it.

        Arguments are parsed the first time ``ms.args`` is read, so a script may
        first add its own options with ``ms.parser.add_argument(...)``.
        """
        path = Path(script_file).resolve()
        spec = load_milestone(path.parent)
        ms = cls(path, spec, spec.script(path.name), description or spec.title)
        ms._argv = argv
        threads, why = choose_blas_threads()
        print(f"BLAS threads: {threads if threads is not None else 'unknown'} ({why})")
        if threads is not None:
            ms.system_facts["blas_threads"] = threads
        return ms

    # -- before training ----------------------------------------------------

    def preflight(self, loss_fn, parameters=None, owners=None, model=None) -> None:
        """Check the gradients of ``loss_fn()`` on a tiny batch before training (``diagnose``).

        ``loss_fn()`` builds the loss on a fixed small float64 batch. Pass the
        tensors to check as ``parameters`` (name -> tensor), or a ``model``: its
        named parameters are checked, their modules named in the diagnosis, and
        the check runs in eval mode (no dropout noise). A wrong gradient stops the
        run here, with the op or package at fault named, and exit code 1.
        """
        from .diagnose import diagnose

        if model is not None:
            parameters = dict(model.named_parameters())
            modules = dict(model.named_modules())
            owners = {name: modules.get(name.rpartition(".")[0], model) for name in parameters}
        parameters = dict(parameters)
        started = time.perf_counter()
        was_training = getattr(model, "training", False)
        if model is not None:
            model.eval()
        try:
            diagnosis = diagnose(loss_fn, parameters, owners)
        finally:
            if model is not None:
                model.train(was_training)
        seconds = time.perf_counter() - started
        if diagnosis is None:
            print(f"preflight: the gradients of {len(parameters)} parameter tensors agree with "
                  f"finite differences on a tiny batch ({seconds:.1f} s)")
            return
        self.fail_before_training(diagnosis)

    def fail_before_training(self, diagnosis: str) -> None:
        """Stop the run: print ``diagnosis``, record it in the results file, exit with 1."""
        self.diagnosis = diagnosis
        print(f"PREFLIGHT FAILED: {diagnosis}")
        sys.exit(self.finish())

    def _report_locked_or_crash(self, kind, error, traceback) -> None:
        """A starter stub reaching the top: say the milestone is locked and record it."""
        from .locked import locked_message, stub_of, stubs_left

        stub = stub_of(error)
        if stub is None:
            self._previous_hook(kind, error, traceback)
            return
        print(locked_message(*stub, stubs_left()))
        self.locked = {"package": stub[0], "function": stub[1]}
        self.finish()

    # -- command line -----------------------------------------------------

    @property
    def args(self) -> argparse.Namespace:
        """The parsed command line (parsed on first use)."""
        if self._args is None:
            self._args = self.parser.parse_args(self._argv)
            self._args.quick = self._args.quick or self._args.grade   # --grade: quick bars
        return self._args

    def budget(self, full, quick, grade=None):
        """``quick`` in ``--quick`` mode, else ``full`` (epochs, sample counts, ...); with
        ``--grade``, ``grade`` where given (the grader's budget: still enough for the quick
        bars, so a broken package fails them as it fails in quick mode)."""
        if self.args.grade and grade is not None:
            return grade
        return quick if self.args.quick else full

    def epochs(self, full: int, quick: int, minimum: int = 1, grade: int | None = None) -> int:
        """The number of epochs: ``--epochs`` if given, else :meth:`budget`.

        A script that can measure an untrained model passes ``minimum=0``; for the
        others ``--epochs 0`` is a usage error (exit 2) that says so.
        """
        if self.args.epochs is None:
            return self.budget(full, quick, grade)
        if self.args.epochs < minimum:
            self.parser.error(f"argument --epochs: {self.script.file} needs at least {minimum} "
                              f"epoch(s) or step(s), got {self.args.epochs}")
        return self.args.epochs

    @property
    def results_dir(self) -> Path:
        """Folder of this milestone's results: ``<results root>/<milestone folder name>``."""
        root = self.args.results_dir or default_results_dir(self.spec.folder)
        return Path(root) / self.spec.name

    @property
    def rng(self):
        """A NumPy Generator seeded with ``--seed`` (one per run)."""
        if not hasattr(self, "_rng"):
            import numpy as np

            self._rng = np.random.default_rng(self.args.seed)
        return self._rng

    # -- during the run ---------------------------------------------------

    def progress(self, iterable=None, desc: str = "", total: int | None = None):
        """One progress display for a training run (a live bar in a terminal, lines in a log).

        Over ``iterable``, or, without one, advanced by several loops: ``bar(loader)``
        each epoch, then ``bar.close()``. ``bar.set_postfix(loss=..., acc=...)`` shows values.
        """
        return progress(iterable, desc=desc, total=total)

    def backward(self, loss, model, draw: bool = False) -> None:
        """``loss.backward()``; the first call also checks the graph (and draws it if ``draw``).

        The check (``tinytorch.autograd.check_graph``) names parameters that got no
        gradient or an all-zero one, or reached the loss only through a copy cut out
        of the graph; ``draw`` saves ``graph.svg`` beside the results first.
        ``model`` is a Module or a mapping of name -> tensor.
        """
        if self.graph_check is not None:
            loss.backward()
            return
        from tinytorch.autograd import check_graph, draw_graph

        if draw and not self.args.grade:   # a grade run draws nothing
            path = self.results_dir / "graph.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            draw_graph(loss, path, params=model)
            print(f"graph:   {path}")
            self.graph_figure = {"name": "graph", "file": path.name, "title": GRAPH_TITLE,
                                 "caption": GRAPH_CAPTION}
        report = check_graph(model, loss)
        self.graph_check = [str(problem) for problem in report.problems]
        print(paint(str(report), "dim" if report.ok else "warn"))

    def log(self, name: str, step: float, value: float) -> None:
        """Add a point to the curve ``name`` (kept in the results JSON; drawn by a figure)."""
        self.curves.setdefault(name, []).append((float(step), float(value)))

    def curve(self, name: str) -> tuple[list[float], list[float]]:
        """The steps and values logged under ``name``, ready for ``figure.line(label, *...)``."""
        if name not in self.curves:
            raise KeyError(f"no curve {name!r} was logged; logged: {sorted(self.curves)}")
        steps, values = zip(*self.curves[name], strict=True)
        return list(steps), list(values)

    def figure(self, name: str, title: str, xlabel: str = "", ylabel: str = "",
               caption: str = "") -> figures.Figure:
        """Declare a figure, drawn by :meth:`finish` as ``<script>_<name>.png``.

        With ``xlabel`` or ``ylabel`` the figure starts with one panel and
        ``fig.line(...)`` draws on it; otherwise add panels with ``fig.panel(...)``.
        ``caption`` says in a sentence what to look at (the docs show it).
        """
        if name in self.figures:
            raise ValueError(f"figure {name!r} is declared twice in {self.script.file}")
        fig = figures.Figure(name, title, caption)
        if xlabel or ylabel:
            fig.panel(xlabel=xlabel, ylabel=ylabel)
        self.figures[name] = fig
        return fig

    def record(self, metric: str, value: float) -> None:
        """Record a result metric; :meth:`finish` checks it against the bars."""
        self.metrics[metric] = float(value)

    def facts(self, model_or_params=None, train_seconds: float | None = None,
              samples: int | None = None, **extra: float) -> None:
        """Record systems facts: parameter count and bytes, training time, samples per second."""
        if model_or_params is not None:
            count, nbytes = count_parameters(model_or_params)
            self.system_facts.update(parameters=count, parameter_bytes=nbytes)
        if train_seconds is not None:
            self.system_facts["train_seconds"] = float(train_seconds)
        if samples is not None:
            self.system_facts["samples"] = int(samples)
        if samples and train_seconds:
            self.system_facts["samples_per_second"] = samples / train_seconds
        self.system_facts.update(extra)

    # -- the end ----------------------------------------------------------

    def check_bars(self) -> list[dict]:
        """Each bar of this script with its measured value and whether it passed."""
        quick = self.args.quick
        rows = []
        for bar in self.script.bars:
            value = self.metrics.get(bar.metric)
            rows.append({
                "metric": bar.metric,
                "value": value,
                "bar": bar.describe(quick),
                "description": bar.description,
                "causes": list(bar.causes),
                "next": bar.next or self.default_next_command(),
                "passed": bar.passes(value, quick),
            })
        return rows

    @property
    def stopped(self) -> bool:
        """The run stopped before training: a failed preflight or a starter stub."""
        return self.diagnosis is not None or self.locked is not None

    @property
    def status(self) -> str:
        """``locked``, ``preflight failed``, ``passed`` or ``failed``."""
        if self.locked is not None:
            return "locked"
        if self.diagnosis is not None:
            return "preflight failed"
        bars = self.check_bars()
        return "passed" if bars and all(row["passed"] for row in bars) else "failed"

    def default_next_command(self) -> str:
        """What to run when a bar declares no ``next``: the unlocking package's tests."""
        return f'nox -s "test({self.spec.unlocked_by})"   then   nox -s isolate -- ' \
            f"{self.spec.session}"

    def report(self) -> dict:
        """Everything the results file holds."""
        bars = self.check_bars()
        return {
            "milestone": {"number": self.spec.number, "year": self.spec.year,
                          "slug": self.spec.slug, "title": self.spec.title,
                          "folder": self.spec.name},
            "script": self.script.file,
            "quick": self.args.quick,
            "grade": self.args.grade,
            "seed": self.args.seed,
            "argv": sys.argv[1:] if self._argv is None else self._argv,
            "metrics": self.metrics,
            "bars": bars,
            "passed": bool(bars) and all(row["passed"] for row in bars) and not self.stopped,
            "status": self.status,
            "diagnosis": self.diagnosis,
            "locked": self.locked,
            "facts": self.system_facts,
            "graph_check": self.graph_check,
            "curves": {name: points for name, points in self.curves.items()},
            "figures": [],
            "started_at": self._started_at.isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - self._started, 3),
            "python": platform.python_version(),
            "numpy": _numpy_version(),
            "platform": platform.platform(),
            "packages": installed_packages(),
        }

    def finish(self) -> int:
        """Check bars, print the table, draw the figures, write JSON; 0 only if every bar passed."""
        report = self.report()
        print(colour_report(format_report(report)))
        out = self.results_dir
        out.mkdir(parents=True, exist_ok=True)
        report["figures"] = self.write_figures(out)
        json_path = out / f"{self.script.stem}.json"
        atomic_write_text(json_path, json.dumps(report, indent=2, default=_jsonable) + "\n")
        print(f"results: {json_path}")
        atomic_write_text(out / f"{self.script.stem}.log", self._transcript.stop())
        if not report["quick"]:
            keep_full_run(out, self.script.stem, report)
        return 0 if report["passed"] else 1


    def write_figures(self, out: Path) -> list[dict]:
        """Draw each declared figure into ``out``; their entries for the results JSON.

        The graph drawn by ``backward(..., draw=True)`` comes last, as ``graph``.
        """
        graph = [self.graph_figure] if self.graph_figure else []
        if not self.figures:
            return graph
        if self.args.grade:
            print("figures: not drawn (--grade)")
            return graph
        if figures.matplotlib_missing():
            print("figures: not drawn, matplotlib is not installed (pip install matplotlib)")
            return graph
        entries = [figures.save(fig, out, self.script.stem) for fig in self.figures.values()]
        print("figures: " + ", ".join(str(out / entry["file"]) for entry in entries))
        return entries + graph


FULL_RUNS = "full"   # <results>/<milestone>/full/: the kept full run of each script


def keep_full_run(out: Path, stem: str, report: dict) -> None:
    """Copy a full run (its JSON and figures) into ``out/full/``, where a quick run never
    overwrites it (the docs show both); a failed run does not replace a passed one."""
    folder = out / FULL_RUNS
    kept = folder / f"{stem}.json"
    if not report["passed"] and kept.is_file():
        try:
            if json.loads(kept.read_text()).get("passed"):
                return
        except ValueError:
            pass
    folder.mkdir(exist_ok=True)
    for entry in report["figures"]:
        shutil.copyfile(out / entry["file"], folder / entry["file"])
    atomic_write_text(kept, json.dumps(report, indent=2, default=_jsonable) + "\n")


def format_report(report: dict) -> str:
    """The PASS/FAIL table printed at the end of a run; a failing bar says why and what next."""
    mode = "quick" if report["quick"] else "full"
    head = f"== {report['milestone']['title']} ({report['script']}, {mode} mode"
    if report.get("status") == "locked":
        return f"{head}): LOCKED, not run: a package it needs is still a starter stub =="
    if report.get("status") == "preflight failed":
        return f"{head}): FAILED before training (the diagnosis is above) =="
    lines = [f"{head}, {report['wall_seconds']:.1f}s) =="]
    for row in report["bars"]:
        value = "not recorded" if row["value"] is None else f"{row['value']:.4g}"
        verdict = "PASS" if row["passed"] else "FAIL"
        lines.append(f"  {verdict}  {row['metric']} = {value}  (bar {row['bar']})")
        if not row["passed"]:
            lines += explain_failure(row)
    if not report["bars"]:
        lines.append("  FAIL  milestone.toml declares no bar for this script: nothing was checked")
    if report.get("graph_check"):
        lines.append(f"  graph check: {len(report['graph_check'])} parameter(s) will not learn "
                     "(listed after the first backward above)")
    if report["facts"]:
        facts = ", ".join(f"{name} {_fact(value)}" for name, value in report["facts"].items())
        lines += textwrap.wrap(facts, width=98, initial_indent="  facts: ",
                               subsequent_indent="         ")
    lines.append("PASSED" if report["passed"] else "FAILED")
    return "\n".join(lines)


def explain_failure(row: dict) -> list[str]:
    """The lines under a failing bar: what it measures, likely causes, the command to run next."""
    lines = [f"        what:  {row['description']}"] if row.get("description") else []
    causes = row.get("causes") or []
    if causes:
        lines.append("        likely causes:")
        for cause in causes:
            lines += textwrap.wrap(cause, width=98, initial_indent="          - ",
                                   subsequent_indent="            ")
    if row.get("next"):
        lines.append(f"        next:  {row['next']}")
    return lines


def _fact(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def colour_report(text: str) -> str:
    """The report with PASS/PASSED green and FAIL/FAILED red, when colour is enabled."""
    styled = []
    for line in text.splitlines():
        word = line.strip().split(" ", 1)[0]
        style = {"PASS": "pass", "PASSED": "pass", "FAIL": "fail", "FAILED": "fail"}.get(word)
        if style:
            line = line.replace(word, paint(word, style), 1)
        elif line.startswith("=="):
            line = paint(line, "heading")
        elif line.lstrip().startswith("next:"):
            line = paint(line, "bold")
        styled.append(line)
    return "\n".join(styled)


def _numpy_version() -> str | None:
    """NumPy's version, or None when it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy.__version__


def _jsonable(value):
    """JSON fallback for what ``json`` cannot write: NumPy scalars become Python numbers,
    anything else its text (``json`` itself writes float NaN as ``NaN``)."""
    return value.item() if hasattr(value, "item") else str(value)
