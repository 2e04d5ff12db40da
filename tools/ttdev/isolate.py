"""Find which of a student's packages break a milestone or a package's tests.

Every run is a fresh environment (``sandbox.run_target``) mixing student and
reference wheels:

1. everything from the reference: when that fails, the reference wheelhouse or
   the target itself is broken and there is nothing to isolate;
2. each student package alone, in dependency order, with the reference for the
   rest: each failure names one broken package (several may be found at once);
3. everything from the student: when it fails although every single swap
   passed, the failure needs several student packages together, and the
   smallest failing pair is searched;
4. when broken packages were found, the student's tree with just those taken
   from the reference, to confirm that swapping them in makes the target pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Outcome, Target, run_target


@dataclass(frozen=True)
class Step:
    """One run: which packages came from the student, and how it went."""

    label: str
    student: tuple[str, ...]
    outcome: Outcome


@dataclass
class Isolation:
    """Everything ``isolate`` ran and what it concluded."""

    target: Target
    names: list[str]
    steps: list[Step] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    verdict: str = ""

    @property
    def clean(self) -> bool:
        """True when the student's tree passes the target and nothing is broken."""
        return not self.broken and all(step.outcome.ok for step in self.steps)


class Runner:
    """Runs ``target`` with a chosen mix of student and reference wheels."""

    def __init__(self, target: Target, names: Sequence[str], student: Mapping[str, Path | str],
                 reference: Mapping[str, Path], workdir: Path, timeout: float,
                 log: Callable[[str], None] = print):
        self.target, self.names = target, list(names)
        self.student, self.reference = student, reference
        self.workdir, self.timeout, self.log = workdir, timeout, log
        self.count = 0
        self.hung: dict[str, str] = {}   # a student package -> the run it did not finish in

    def run(self, label: str, from_student: Sequence[str]) -> Step:
        """One run with ``from_student`` from the student's wheels and the rest from the reference.

        A student package that did not build (its entry is the error text) fails the run; a
        run holding a student package that already hung alone is not made again (a hang
        costs one timeout).
        """
        chosen = tuple(n for n in self.names if n in from_student)
        unbuilt = [f"{n}: {self.student[n]}" for n in chosen
                   if not isinstance(self.student[n], Path)]
        hanging = [f"{n} (in '{self.hung[n]}')" for n in chosen if n in self.hung]
        if unbuilt:
            outcome = Outcome("error", tuple(unbuilt))
        elif hanging:
            outcome = Outcome("timeout", (f"not run: {', '.join(hanging)} already did not "
                                          f"finish within the time limit",))
        else:
            wheels = [self.student[n] if n in chosen else self.reference[n] for n in self.names]
            self.count += 1
            outcome = run_target(self.target, wheels, self.workdir / f"run-{self.count}",
                                 self.timeout)
            if outcome.status == "timeout" and len(chosen) == 1:
                self.hung[chosen[0]] = label
        self.log(f"  {label:<46} {outcome.summary()}  [{outcome.seconds:.0f}s]")
        return Step(label, chosen, outcome)


def isolate(runner: Runner) -> Isolation:
    """Run the steps described in the module docstring and reach a verdict."""
    names = runner.names
    result = Isolation(runner.target, names)
    reference = runner.run("all from the reference", [])
    result.steps.append(reference)
    if not reference.outcome.ok:
        result.verdict = (f"{runner.target.name} fails with every package from the reference: "
                          f"the reference wheelhouse or the target itself is broken; "
                          f"nothing to isolate in the student's packages")
        return result
    singles = [runner.run(f"student {n}, reference for the rest", [n]) for n in names]
    result.steps += singles
    result.broken = [s.student[0] for s in singles if not s.outcome.ok]
    everything = singles[0] if len(names) == 1 else runner.run("all from the student", names)
    if len(names) > 1:
        result.steps.append(everything)
    if result.broken:
        result.verdict = _broken_verdict(runner, result, everything)
    elif everything.outcome.ok:
        result.verdict = f"{runner.target.name} passes with the student's packages: nothing broken"
    else:
        result.verdict = _interaction_verdict(runner, result)
    return result


def _broken_verdict(runner: Runner, result: Isolation, everything: Step) -> str:
    """Broken packages found: confirm that the reference for them makes the target pass."""
    broken = result.broken
    text = (f"broken: {', '.join(broken)} (each fails {runner.target.name} on its own "
            f"with the reference for the rest)")
    if everything.outcome.ok:
        return text + "; yet everything from the student passes (the student's packages " \
                      "make up for each other)"
    kept = [n for n in runner.names if n not in broken]
    if not kept:
        return text + f"; with {', '.join(broken)} from the reference it passes (first run)"
    confirm = runner.run(f"student, but {', '.join(broken)} from the reference", kept)
    result.steps.append(confirm)
    if confirm.outcome.ok:
        return text + f"; with {', '.join(broken)} from the reference, the student's tree passes"
    return text + f"; with those from the reference the student's tree still fails: " \
                  f"{confirm.outcome.summary()}"


def _interaction_verdict(runner: Runner, result: Isolation) -> str:
    """Every single swap passed, everything from the student fails: find the smallest pair."""
    head = (f"{runner.target.name} fails only with several student packages together "
            f"(each one alone passes with the reference for the rest)")
    for pair in itertools.combinations(runner.names, 2):
        step = runner.run(f"student {' + '.join(pair)}, reference for the rest", pair)
        result.steps.append(step)
        if not step.outcome.ok:
            result.broken = list(pair)
            return head + f"; smallest failing pair: {' + '.join(pair)}"
    return head + "; no pair fails: it takes three or more of them"


def format_isolation(result: Isolation) -> str:
    """The final report: one line per run, then the verdict."""
    lines = [f"isolate {result.target.name} ({', '.join(result.names)}):"]
    lines += [f"  {s.label:<46} {s.outcome.summary()}" for s in result.steps]
    lines.append(f"verdict: {result.verdict}")
    return "\n".join(lines)
