"""Checks of a model's graph: did every parameter take part, and get a gradient?

Two bugs train without an error and quietly learn less:

- a parameter the forward never uses, or whose contribution was cut out of
  the graph (``Tensor(x.data)``, ``x.detach()``, a round trip through NumPy):
  no gradient reaches it, so the optimizer never moves it;
- a parameter whose gradient is all zeros (dead ReLUs, a zero-initialised
  layer feeding another zero layer), which moves nothing either.

``check_graph(model, loss)`` runs ``loss.backward()`` for one step and names
each such parameter and the module that owns it:

```python
loss = loss_fn(model(x), y)
report = check_graph(model, loss)   # instead of loss.backward()
print(report)                       # "graph check: all 4 parameters are in the graph ..."
```

``model`` is anything with ``named_parameters()`` (a tinytorch.nn Module;
its ``named_modules()``, when present, names the owners) or a plain mapping
``{"w": w, "b": b}``: this package comes before tt-nn and does not import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from tinytorch.tensor import Tensor

from .engine import topological_order

CUT_HINT = ("the forward used a copy cut out of the graph (Tensor(p.data), p.detach(), "
            "a NumPy round trip); use the tensor itself")
UNREACHED_HINT = ("nothing in the graph behind the loss used it: the forward does not use it, "
                  "or an earlier result was cut out of the graph (Tensor(x.data), x.detach(), "
                  "a NumPy round trip)")


@dataclass(frozen=True)
class GraphProblem:
    """One parameter that will not learn: its name, its module, what is wrong."""

    parameter: str
    module: str           # e.g. "1 (Linear)"; "" for a plain mapping of tensors
    kind: str             # "cut", "no gradient" or "zero gradient"
    detail: str

    def __str__(self) -> str:
        owner = f" of module {self.module}" if self.module else ""
        return f"parameter {self.parameter!r}{owner}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class GraphReport:
    """What ``check_graph`` found; ``ok`` when every parameter got a non-zero gradient."""

    checked: int
    problems: tuple[GraphProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return (f"graph check: all {self.checked} parameters are in the graph and "
                    "received a non-zero gradient")
        lines = [f"graph check: {len(self.problems)} of {self.checked} parameters will not "
                 "learn:"]
        return "\n".join([*lines, *(f"  {problem}" for problem in self.problems)])


def _named_parameters(model) -> list[tuple[str, Tensor]]:
    """(name, tensor) of a Module's parameters, or of a mapping ``{"w": w}``."""
    if isinstance(model, Mapping):
        return list(model.items())
    if callable(getattr(model, "named_parameters", None)):
        return list(model.named_parameters())
    raise TypeError(f"check_graph: model must be a Module (with named_parameters()) or a "
                    f"mapping of name -> tensor, got {type(model).__name__}")


def _owners(model) -> dict[str, str]:
    """parameter name -> ``"<module path> (<class>)"`` of the module that holds it."""
    if not callable(getattr(model, "named_modules", None)):
        return {}
    owners = {}
    for path, module in model.named_modules():
        for name, _ in module.named_parameters(prefix=path, recurse=False):
            owners[name] = f"{path or '<root>'} ({type(module).__name__})"
    return owners


def graph_leaves(loss: Tensor) -> list[Tensor]:
    """Every leaf tensor of the graph behind ``loss`` (its ops' inputs with no grad_fn)."""
    if loss.grad_fn is None:
        return [loss]
    leaves: dict[int, Tensor] = {}
    for node in topological_order(loss.grad_fn):
        for tensor in node.inputs:
            if tensor is not None and tensor.grad_fn is None:
                leaves.setdefault(id(tensor), tensor)
    return list(leaves.values())


def _is_copy_of(leaf: Tensor, param: Tensor) -> bool:
    """A leaf that does not require grad but holds the parameter's memory (a re-wrap, detach)."""
    return not leaf.requires_grad and np.shares_memory(leaf.data, param.data)


def graph_problems(params: Iterable[tuple[str, Tensor]], leaves: list[Tensor],
                   owners: Mapping[str, str]) -> list[GraphProblem]:
    """Before backward: parameters that are not leaves of the graph, or only as a cut copy."""
    in_graph = {id(leaf) for leaf in leaves}
    problems = []
    for name, param in params:
        if not param.requires_grad or id(param) in in_graph:
            continue
        cut = any(_is_copy_of(leaf, param) for leaf in leaves)
        problems.append(GraphProblem(name, owners.get(name, ""), "cut" if cut else "no gradient",
                                     CUT_HINT if cut else UNREACHED_HINT))
    return problems


def gradient_problems(params: Iterable[tuple[str, Tensor]], owners: Mapping[str, str],
                      known: set[str]) -> list[GraphProblem]:
    """After backward: parameters (other than ``known`` ones) with no or all-zero gradients."""
    problems = []
    for name, param in params:
        if not param.requires_grad or name in known:
            continue
        if param.grad is None:
            problems.append(GraphProblem(name, owners.get(name, ""), "no gradient",
                                         "backward() left .grad None"))
        elif not np.any(param.grad.data):
            problems.append(GraphProblem(
                name, owners.get(name, ""), "zero gradient",
                "every entry of its gradient is 0 (dead ReLUs? zero-initialised weights? "
                "a loss that does not depend on it?)"))
    return problems


def check_graph(model, loss: Tensor, retain_graph: bool = False) -> GraphReport:
    """Run ``loss.backward()`` and report every parameter that will not learn from it.

    Call it in place of ``loss.backward()`` (once, on the first step is enough):
    it first walks the graph behind ``loss`` (which backward frees), then runs
    backward and reads the gradients. A parameter is reported when it

    - is not in the graph but a tensor sharing its memory is (``kind="cut"``),
    - is not in the graph at all, or got no ``.grad`` (``kind="no gradient"``),
    - got a gradient that is zero everywhere (``kind="zero gradient"``).

    Args:
        model: a Module (parameters named by ``named_parameters()``, modules by
            ``named_modules()``: their path and class) or a mapping ``{"w": w, "b": b}``.
        loss: a scalar computed from ``model``, before its ``backward()``.
        retain_graph: passed to ``backward()``.

    Parameters with ``requires_grad=False`` (frozen on purpose) are not reported.
    """
    params = _named_parameters(model)
    owners = _owners(model)
    if loss.grad_fn is not None and loss.grad_fn.inputs is None:
        raise RuntimeError("check_graph: backward() already freed this loss's graph; "
                           "call check_graph(model, loss) in place of loss.backward()")
    problems = graph_problems(params, graph_leaves(loss), owners)
    if loss.requires_grad:  # a loss with no graph at all leaves every parameter reported
        loss.backward(retain_graph=retain_graph)
    problems += gradient_problems(params, owners, {p.parameter for p in problems})
    return GraphReport(checked=sum(1 for _, p in params if p.requires_grad),
                       problems=tuple(problems))
