"""Compare a tinytorch signature with its PyTorch counterpart (for the packages' tests).

``check_signature(ours, theirs, ...)`` asserts that ``ours`` takes PyTorch's
parameters, in PyTorch's order and with PyTorch's defaults, apart from the
exceptions a table states with a reason:

- ``extra``: tinytorch-only parameters; each must be keyword-only or come
  after every shared one, so a positional call means the same in both.
- ``missing``: PyTorch parameters tinytorch does not offer; each must come
  after every shared one in PyTorch (a positional call cannot reach them).
- ``defaults``: parameters whose default differs on purpose.

PyTorch's deprecated ``size_average``/``reduce`` and its private ``_names``
are not compared. An exception that no longer applies fails the check, so
the tables cannot go stale.
"""

from __future__ import annotations

import ast
import inspect
import re

IGNORED = {"size_average", "reduce"}
EMPTY = inspect.Parameter.empty


def parameters(fn) -> list[tuple[str, object, bool]]:
    """(name, default, keyword_only) of each parameter, read from the docstring for builtins."""
    try:
        found = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    except ValueError:  # a builtin
        return _from_docstring(fn)
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    if found and all(p.kind in variadic for p in found) and _documented(fn):
        return _from_docstring(fn)  # a dispatching wrapper (*args, **kwargs), as F.max_pool2d
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return [
        (prefix.get(p.kind, "") + p.name, p.default, p.kind == p.KEYWORD_ONLY)
        for p in found
        if p.name != "cls"
    ]


def _documented(fn) -> bool:
    return re.search(rf"{fn.__name__}\(", fn.__doc__ or "") is not None


def _from_docstring(fn) -> list[tuple[str, object, bool]]:
    match = re.search(rf"{fn.__name__}\((.*?)\)", fn.__doc__ or "", re.S)
    assert match, f"no signature for {fn.__name__} in its docstring"
    result, keyword_only = [], False
    for part in (p.strip() for p in match.group(1).split(",")):
        if part == "*":
            keyword_only = True
        elif "=" in part:
            name, default = (s.strip() for s in part.split("=", 1))
            result.append((name, ast.literal_eval(default), keyword_only))
        elif part:
            result.append((part, EMPTY, keyword_only))
    return result


def check_signature(ours, theirs, extra=(), missing=(), defaults=()) -> None:
    label = getattr(ours, "__qualname__", repr(ours))
    mine = parameters(ours)
    torch_params = [p for p in parameters(theirs) if p[0] not in IGNORED and p[0][0] != "_"]
    my_names, torch_names = [p[0] for p in mine], [p[0] for p in torch_params]
    assert set(extra) <= set(my_names) - set(torch_names), f"{label}: stale extra {extra}"
    assert set(missing) <= set(torch_names) - set(my_names), f"{label}: stale missing {missing}"
    shared_mine = [p for p in mine if p[0] not in extra]
    shared_torch = [p for p in torch_params if p[0] not in missing]
    assert [p[0] for p in shared_mine] == [p[0] for p in shared_torch], (
        f"{label}: parameters {[p[0] for p in shared_mine]}, PyTorch's "
        f"{[p[0] for p in shared_torch]}"
    )
    for (name, default, _), (_, torch_default, _) in zip(shared_mine, shared_torch, strict=True):
        same = default == torch_default
        assert same != (name in defaults), (
            f"{label}: default of {name} is {default!r}, PyTorch's {torch_default!r}"
        )
    last_shared = max((my_names.index(p[0]) for p in shared_mine), default=-1)
    for index, (name, _, keyword_only) in enumerate(mine):
        if name in extra:
            assert keyword_only or index > last_shared, f"{label}: extra {name} is positional"
    last_torch_shared = max((torch_names.index(p[0]) for p in shared_torch), default=-1)
    for name in missing:
        assert torch_names.index(name) > last_torch_shared, (
            f"{label}: PyTorch's {name} comes before shared parameters; positional calls differ"
        )
