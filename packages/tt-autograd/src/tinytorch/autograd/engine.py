"""The engine: record the graph forward, apply the chain rule backward.

Forward, every differentiable op on a tensor that requires grad leaves a
``Node`` on its output (``output.grad_fn``): the op's backward rule, its
context, and the input tensors it came from. ``backward()`` is two steps:

1. order the nodes reachable from the output topologically (an iterative
   depth-first search, so a chain of any length fits in memory and never
   hits Python's recursion limit, and a shared subgraph is visited once);
2. walk them from the output back to the leaves, each node turning the
   gradient of its outputs into gradients of its inputs, which are summed
   where a tensor was used more than once.

Then the graph is freed (unless ``retain_graph=True``), so one training
step never keeps the previous one alive.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tinytorch.tensor import Tensor

from .grad_mode import _GradMode
from .rules import RULES, OpContext

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time: its saved values were "
    "freed by the first backward(). Pass retain_graph=True to the first "
    "backward() if you need to call it again."
)


class Node:
    """One recorded operation: how to send its outputs' gradients to its inputs.

    Attributes:
        name: the op's name (from the op table, or the Function's class name).
        inputs: the forward inputs, Tensors (or None for non-tensor arguments).
        ctx: what the backward rule needs; None once the graph is freed.
    """

    __slots__ = ("name", "inputs", "ctx", "_rule", "_outputs", "_output_meta", "__weakref__")

    def __init__(
        self,
        name: str,
        inputs: Sequence[Tensor | None],
        rule: Callable[..., Sequence[np.ndarray | None]],
        ctx: Any,
        outputs: Sequence[Tensor],
    ) -> None:
        self.name = name
        self.inputs: tuple[Tensor | None, ...] | None = tuple(inputs)
        self.ctx = ctx
        self._rule = rule
        self._outputs = tuple(weakref.ref(t) for t in outputs)
        self._output_meta = tuple((t.shape, t.dtype) for t in outputs)

    def __repr__(self) -> str:
        return f"<Node {self.name}>"

    @property
    def num_outputs(self) -> int:
        return len(self._output_meta)

    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        if self.inputs is None:
            raise RuntimeError(_FREED_MESSAGE)
        return [t.grad_fn for t in self.inputs if t is not None and t.grad_fn is not None]

    def apply(self, output_grads: list[np.ndarray | None]) -> Sequence[np.ndarray | None]:
        """Gradients of the inputs from the gradients of the outputs (missing ones are zeros)."""
        if self.ctx is None:
            raise RuntimeError(_FREED_MESSAGE)
        grads = [
            np.zeros(shape, dtype) if g is None else g
            for g, (shape, dtype) in zip(output_grads, self._output_meta)
        ]
        input_grads = self._rule(self.ctx, *grads)
        if not isinstance(input_grads, (tuple, list)):
            input_grads = (input_grads,)
        if len(input_grads) != len(self.inputs):
            raise RuntimeError(
                f"backward of {self.name!r} returned {len(input_grads)} gradients, "
                f"expected one per forward input ({len(self.inputs)})"
            )
        return input_grads

    def keep_retained_grads(self, output_grads: list[np.ndarray | None]) -> None:
        """Store the gradient on outputs that asked for it with ``retain_grad()``."""
        for ref, g in zip(self._outputs, output_grads):
            tensor = ref()
            if tensor is not None and tensor._retains_grad and g is not None:
                _accumulate(tensor, g, set())

    def release(self) -> None:
        """Free what the backward rule saved; the node cannot run again."""
        self.ctx = None
        self.inputs = None


def attach(name: str, inputs: Sequence[Any], rule, ctx: Any, outputs: Sequence[Tensor]) -> Node:
    """Make the graph node for ``outputs`` and mark them as requiring grad."""
    node = Node(name, [t if isinstance(t, Tensor) else None for t in inputs], rule, ctx, outputs)
    for index, output in enumerate(outputs):
        output.requires_grad = True
        output.grad_fn = node
        output._output_nr = index
    return node


class AutogradLayer:
    """The layer tt-autograd installs into tt-tensor's dispatcher."""

    def record(self, op_name: str, inputs: tuple[Tensor, ...], params: dict, output: Tensor) -> None:
        """Record a node for ``output`` when grad mode is on and an input requires grad."""
        if not _GradMode.enabled or output.data.dtype.kind != "f":
            return
        needs = tuple(t.requires_grad for t in inputs)
        if not any(needs):
            return
        rule = RULES.get(op_name)
        if rule is None:
            raise NotImplementedError(
                f"tt-autograd has no backward rule for op {op_name!r} of tt-tensor's op table; "
                "the two packages disagree on the op table (see tinytorch.tensor.ops.OP_TABLE)"
            )
        ctx = OpContext(tuple(t.data for t in inputs), params, output.data, needs)
        attach(op_name, inputs, rule, ctx, (output,))

    def backward(self, tensor: Tensor, gradient: Any, retain_graph: bool) -> None:
        backward(tensor, gradient, retain_graph=retain_graph)


def _initial_gradient(tensor: Tensor, gradient: Any) -> np.ndarray:
    """dL/dL = 1 for a scalar loss; a non-scalar output needs its gradient given."""
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(tensor.shape)}; pass gradient=<tensor of that shape> "
                "(for example a loss reduced with .sum() or .mean() needs none)"
            )
        return np.ones(tensor.shape, dtype=tensor.dtype)
    array = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=tensor.dtype)
    if array.shape != tensor.shape:
        raise RuntimeError(
            f"backward(): gradient has shape {array.shape}, expected the output's shape {tuple(tensor.shape)}"
        )
    return array


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each after all nodes that consume its outputs.

    An iterative depth-first search: a node is appended once all its parents
    are done, which gives inputs-before-outputs order; reversed, it lists
    the root first and every node before the nodes that produced its inputs.
    """
    # BEGIN SOLUTION
    order: list[Node] = []
    visited = {root}
    stack = [(root, iter(root.parents()))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.parents())))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order
    # END SOLUTION


def _owned(grad: np.ndarray, dtype: np.dtype, handed_out: set[int]) -> np.ndarray:
    """A gradient array that no other tensor shares, in the leaf's dtype.

    Rules may pass one array to several inputs (``a + b``) or return a
    read-only broadcast view; a leaf's ``.grad`` must own its memory, since
    optimizers and gradient clipping update it in place.
    """
    if grad.dtype != dtype:
        return grad.astype(dtype)
    if grad.base is not None or not grad.flags.writeable or id(grad) in handed_out:
        return grad.copy()
    handed_out.add(id(grad))
    return grad


def _accumulate(tensor: Tensor, grad: np.ndarray, handed_out: set[int]) -> None:
    """Add ``grad`` into ``tensor.grad`` (gradients accumulate across backward calls)."""
    if tensor.grad is None:
        tensor.grad = Tensor._from_array(_owned(grad, tensor.dtype, handed_out))
    else:
        tensor.grad.data = tensor.grad.data + grad


def _check_shape(node: Node, index: int, tensor: Tensor, grad: np.ndarray) -> None:
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"backward of {node.name!r} returned a gradient of shape {grad.shape} for input "
            f"{index}, which has shape {tuple(tensor.shape)}; a backward rule must return one "
            "gradient of each input's shape (sum over broadcast dims)"
        )


def backward(tensor: Tensor, gradient: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``.grad`` of every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; did you create "
            "the inputs with requires_grad=True, and compute it outside no_grad()?"
        )
    handed_out: set[int] = set()
    seed = _initial_gradient(tensor, gradient)
    if tensor.grad_fn is None:
        _accumulate(tensor, seed.copy(), handed_out)
        return
    # BEGIN SOLUTION
    root = tensor.grad_fn
    pending: dict[Node, list[np.ndarray | None]] = {root: [None] * root.num_outputs}
    pending[root][tensor._output_nr] = seed
    for node in topological_order(root):
        output_grads = pending.pop(node, None)
        if output_grads is None:  # no gradient reached this node (its consumers returned None)
            if not retain_graph:
                node.release()
            continue
        node.keep_retained_grads(output_grads)
        input_grads = node.apply(output_grads)
        for index, (inp, grad) in enumerate(zip(node.inputs, input_grads)):
            if inp is None or grad is None or not inp.requires_grad:
                continue
            _check_shape(node, index, inp, grad)
            if inp.grad_fn is None:
                _accumulate(inp, grad, handed_out)
                continue
            slots = pending.setdefault(inp.grad_fn, [None] * inp.grad_fn.num_outputs)
            previous = slots[inp._output_nr]
            slots[inp._output_nr] = grad if previous is None else previous + grad
        if not retain_graph:
            node.release()
    # END SOLUTION
