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
    """A --reference option that names something that does not exist."""


@dataclass(frozen=True)
class Options:
    """What a session was asked for: which packages come from the reference, and the rest."""

    reference: frozenset[str]
    wheelhouse: Path
    passthrough: tuple[str, ...]


def _take_flags(posargs: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``--reference X`` / ``--reference=X`` style flags from the other arguments."""
    flags: dict[str, str] = {}
    rest: list[str] = []
    args = list(posargs)
    while args:
        arg = args.pop(0)
        flag, eq, value = arg.partition("=")
        if flag in (REFERENCE_FLAG, WHEELHOUSE_FLAG):
            if not eq:
                if not args:
                    raise OptionsError(f"{flag} needs a value, e.g. {flag} tt-tensor,tt-autograd")
                value = args.pop(0)
            flags[flag] = value
        else:
            rest.append(arg)
    return flags, rest


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
    flags, rest = _take_flags(posargs)
    reference = flags.get(REFERENCE_FLAG, environ.get(REFERENCE_ENV, ""))
    wheelhouse = flags.get(WHEELHOUSE_FLAG, environ.get(WHEELHOUSE_ENV, "")) or "dist"
    return Options(
        reference=parse_reference(reference, known, targets),
        wheelhouse=(root / wheelhouse).resolve(),
        passthrough=tuple(rest),
    )


def take_flag(args: list[str], flag: str, default: str) -> str:
    """Remove ``flag VALUE`` (or ``flag=VALUE``) from ``args``; return VALUE, else ``default``."""
    for index, arg in enumerate(args):
        if arg == flag:
            if index + 1 == len(args):
                raise OptionsError(f"{flag} needs a value")
            value = args[index + 1]
            del args[index : index + 2]
            return value
        if arg.startswith(flag + "="):
            del args[index]
            return arg.split("=", 1)[1]
    return default


def take_number(args: list[str], flag: str, default: float, kind=float):
    """:func:`take_flag` for a positive number; OptionsError says what was expected."""
    text = take_flag(args, flag, str(default))
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise OptionsError(f"{flag} takes a positive number, got {text!r}")
    return value
