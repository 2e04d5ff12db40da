"""Options nox sessions read from their positional arguments and the environment.

``--reference tt-tensor,tt-autograd`` (or ``TT_REFERENCE=tt-tensor,tt-autograd``)
takes those packages from a reference wheelhouse instead of the local tree;
``--reference-wheelhouse DIR`` (or ``TT_REFERENCE_WHEELHOUSE``, default
``dist/``, which ``nox -s build`` fills) says where that wheelhouse is.
``--reference all`` takes every package from it; ``--reference all-deps`` every
package except the session's own target (``test(tt-nn)``: tt-nn from the tree,
its dependencies and the milestones' extra packages from the reference).
Every other positional argument is passed on (to pytest or the scripts).
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

REFERENCE_ENV = "TT_REFERENCE"
WHEELHOUSE_ENV = "TT_REFERENCE_WHEELHOUSE"
REFERENCE_FLAG = "--reference"
WHEELHOUSE_FLAG = "--reference-wheelhouse"


class OptionsError(ValueError):
    """An option that names something that does not exist or lacks its value."""


@dataclass(frozen=True)
class Options:
    """What a session was asked for: which packages come from the reference, and the rest."""

    reference: frozenset[str]
    wheelhouse: Path
    passthrough: tuple[str, ...]


class SessionParser(argparse.ArgumentParser):
    """argparse for a session's own flags among arguments meant for pytest or a script:
    no ``--help``, no abbreviations (``--ref`` is pytest's, not ``--reference``), and an
    OptionsError naming the flag and what it expects instead of exiting nox (followed by
    the flags' usage line with ``show_usage``; sessions with a usage of their own add it)."""

    def __init__(self, show_usage: bool = False) -> None:
        super().__init__(prog="nox -s <session> --", add_help=False, allow_abbrev=False)
        self.show_usage = show_usage

    def error(self, message: str):
        usage = f"\n{self.format_usage().strip()}" if self.show_usage else ""
        raise OptionsError(message + usage)

    def take(self, args: list[str]) -> argparse.Namespace:
        """Parse this parser's flags out of ``args``, leaving the others there, in order."""
        values, rest = self.parse_known_args(args)
        args[:] = rest
        return values


def positive(kind: type = float):
    """An argparse type: a finite number > 0 of ``kind`` (float or int)."""
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"takes a positive number, got {text!r}")
        return value
    convert.__name__ = f"positive {kind.__name__}"
    return convert


def take_options(args: list[str], **defaults) -> dict:
    """Remove ``--name VALUE`` (or ``--name=VALUE``) for each keyword from ``args`` and return
    the values: a number default asks for a positive number of its type, a string any text.
    OptionsError names the flag and what it expected."""
    parser = SessionParser()
    for name, default in defaults.items():
        kind = str if isinstance(default, str) else positive(type(default))
        parser.add_argument(f"--{name}", dest=name, type=kind, default=default,
                            metavar=name.upper())
    return vars(parser.take(args))


def reference_parser() -> SessionParser:
    """The flags every installing session reads: ``--reference``, ``--reference-wheelhouse``."""
    parser = SessionParser(show_usage=True)
    parser.add_argument(REFERENCE_FLAG, dest="reference", default=None,
                        metavar="PACKAGES|all|all-deps")
    parser.add_argument(WHEELHOUSE_FLAG, dest="wheelhouse", default=None, metavar="DIR")
    return parser

def parse_reference(text: str, known: Sequence[str], targets: Sequence[str] = ()) -> frozenset[str]:
    """``"tt-tensor, tt-autograd"`` -> names; ``"all"`` -> every known package;
    ``"all-deps"`` -> every known package except ``targets`` (the session's own)."""
    names = {canonicalize_name(n) for n in text.replace(" ", ",").split(",") if n.strip()}
    if names == {"all"}:
        return frozenset(known)
    if names == {"all-deps"}:
        if not targets:
            raise OptionsError(
                "--reference all-deps needs a session with a target package, "
                "such as test(tt-nn) or milestone_02; name the packages instead"
            )
        return frozenset(set(known) - {canonicalize_name(t) for t in targets})
    unknown = sorted(names - set(known))
    if unknown:
        raise OptionsError(
            f"--reference/{REFERENCE_ENV} names {unknown}, which are not packages here; "
            f"expected some of: {', '.join(known)} (or 'all', or 'all-deps')"
        )
    return frozenset(names)


def parse_options(
    posargs: Sequence[str],
    known: Sequence[str],
    root: Path,
    environ: Mapping[str, str] = os.environ,
    targets: Sequence[str] = (),
) -> Options:
    """Read the reference options from ``posargs`` first, then the environment.

    ``targets`` are the packages the session is about; ``all-deps`` keeps them local.
    """
    rest = list(posargs)
    flags = reference_parser().take(rest)
    reference = flags.reference if flags.reference is not None else environ.get(REFERENCE_ENV, "")
    wheelhouse = (flags.wheelhouse if flags.wheelhouse is not None
                  else environ.get(WHEELHOUSE_ENV, "")) or "dist"
    return Options(
        reference=parse_reference(reference, known, targets),
        wheelhouse=(root / wheelhouse).resolve(),
        passthrough=tuple(rest),
    )
