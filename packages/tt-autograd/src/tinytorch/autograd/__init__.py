"""tinytorch.autograd: reverse-mode automatic differentiation for tinytorch tensors.

Importing this package installs its autograd layer into tt-tensor's
dispatcher (``tinytorch.tensor.dispatch``): from then on, operations on
tensors that require grad are recorded, and ``Tensor.backward()`` applies the
chain rule through them. tt-tensor imports it by itself the first time a
tensor requires grad, so users rarely import it explicitly.

Public API: ``backward``, ``no_grad``, ``enable_grad``, ``is_grad_enabled``,
``set_grad_enabled``, ``Function`` (new differentiable ops; ``per_element_flops`` and
``function_by_name`` for their optional FLOP counts; ``requires_grad`` for code that
sees their arguments as passed), ``gradcheck``,
``draw_graph`` and ``to_dot`` (a picture of the graph behind a tensor),
``check_graph`` (parameters that get no gradient or were cut out of the graph).
"""

from tinytorch.tensor import dispatch as _dispatch
from tinytorch.tensor.ops import DIFFERENTIABLE_OPS as _DIFFERENTIABLE_OPS

from .__about__ import __version__
from .engine import AutogradLayer, Node, backward, topological_order
from .function import Function, FunctionCtx, function_by_name, per_element_flops, requires_grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .graph_check import GraphProblem, GraphReport, check_graph
from .rules import RULES, OpContext, unbroadcast
from .viz import draw_graph, to_dot

MISSING_RULES: frozenset[str] = frozenset(_DIFFERENTIABLE_OPS - RULES.keys())
"""Differentiable ops of the installed tt-tensor without a backward rule here (should be none)."""

_dispatch.install_autograd_layer(AutogradLayer())

__all__ = [
    "MISSING_RULES",
    "RULES",
    "AutogradLayer",
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "GraphProblem",
    "GraphReport",
    "Node",
    "OpContext",
    "__version__",
    "backward",
    "check_graph",
    "draw_graph",
    "enable_grad",
    "function_by_name",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "per_element_flops",
    "requires_grad",
    "set_grad_enabled",
    "to_dot",
    "topological_order",
    "unbroadcast",
]
