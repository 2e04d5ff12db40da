"""The engine: record the graph forward, apply the chain rule backward.

Forward, every differentiable op on a tensor that requires grad leaves a
``Node`` on its output (``output.grad_fn``): the op's backward rule, its
context, the input tensors it came from and, for each input, the node that
produced it (its ``grad_fn`` at that moment: an in-place op later gives the
tensor a new ``grad_fn``, but this node's gradient still belongs to the old
one). ``backward()`` is two steps:

1. order the nodes reachable from the output topologically: a node is
   always created after the nodes of its inputs, so creation order, newest
   first, is such an order (reachability is found with an explicit stack,
   so a chain of any length never hits Python's recursion limit, and a
   shared subgraph is visited once);
2. walk them from the output back to the leaves, each node turning the
   gradient of its outputs into gradients of its inputs, which are summed
   where a tensor was used more than once.

Then the graph is freed (unless ``retain_graph=True``), so one training
step never keeps the previous one alive.

Before a node's rule runs, the versions of the tensors it reads (declared
with ``@saves`` for op rules, ``save_for_backward`` for Functions) are
compared with their versions at forward time: a tensor changed in place in
between makes backward raise instead of computing a wrong gradient.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np
from tinytorch.tensor import Tensor

from .grad_mode import _GradMode
from .rules import OUTPUT, RULES, OpContext

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time: its saved values were "
    "freed by the first backward(). Pass retain_graph=True to the first "
    "backward() if you need to call it again."
)


_node_counter = itertools.count()


class Node:
    """One recorded operation: how to send its outputs' gradients to its inputs.

    Attributes:
        name: the op's name (from the op table, or the Function's class name).
        inputs: the forward inputs, Tensors (None for non-tensor arguments).
        edges: for each input, ``(node, output_nr)``: which output of which
            node produced it, as it was when this node was recorded; None for
            leaves (their gradient goes to ``.grad``) and inputs without one.
        ctx: what the backward rule needs; None once the graph is freed.
        saved: ``(counter, version, label, array)`` for each tensor the rule
            reads: its version counter, the version it had at forward time, and
            how to name it in an error.
    """

    __slots__ = (
        "name",
        "inputs",
        "edges",
        "ctx",
        "saved",
        "num_outputs",
        "sequence",
        "_rule",
        "_output_meta",
        "_retained",
        "__weakref__",
    )

    def __init__(
        self,
        name: str,
        inputs: tuple[Tensor | None, ...],
        rule,
        ctx: Any,
        output_meta: list[tuple[tuple[int, ...], np.dtype]] | None = None,
        saved: tuple = (),
    ) -> None:
        self.name = name
        self.inputs: tuple[Tensor | None, ...] | None = inputs
        self.edges = tuple(
            [None if t is None or t.grad_fn is None else (t.grad_fn, t._output_nr) for t in inputs]
        )
        self.ctx = ctx
        self.saved = saved
        self._rule = rule
        self._output_meta = output_meta  # (shape, dtype) per output; None for a single output
        self.num_outputs = 1 if output_meta is None else len(output_meta)
        self.sequence = next(_node_counter)  # creation order, a topological order of the graph
        self._retained: dict[int, weakref.ref] | None = None

    def __repr__(self) -> str:
        return f"<Node {self.name}>"

    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        if self.inputs is None:
            raise RuntimeError(_FREED_MESSAGE)
        return [edge[0] for edge in self.edges if edge is not None]

    def check_saved_versions(self) -> None:
        """Raise if a tensor the rule reads was changed in place after forward."""
        for counter, version, label, array in self.saved:
            if counter.value != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: {label} of {self.name!r} (a {array.dtype} tensor "
                    f"of shape {tuple(array.shape)}) is at version {counter.value}; expected "
                    f"version {version} instead. Compute the gradient before changing it, or "
                    "change a clone() (x = x.clone()) or use the out-of-place op (x = x + ...)"
                )

    def apply(self, output_grads: Any) -> Sequence[np.ndarray | None]:
        """Gradients of the inputs from the gradients of the outputs.

        ``output_grads`` is the one output's gradient for a node with one
        output; for several outputs it is a list, with None for outputs that
        did not reach the loss (the rule receives zeros for those).
        """
        ctx = self.ctx
        if ctx is None:
            raise RuntimeError(_FREED_MESSAGE)
        if self.saved:
            self.check_saved_versions()
        if self._output_meta is None:
            input_grads = self._rule(ctx, output_grads)
        else:
            input_grads = self._rule(
                ctx,
                *[
                    np.zeros(shape, dtype) if g is None else g
                    for g, (shape, dtype) in zip(output_grads, self._output_meta, strict=True)
                ],
            )
        if type(input_grads) is not tuple:
            input_grads = tuple(input_grads) if isinstance(input_grads, list) else (input_grads,)
        if len(input_grads) != len(self.inputs):
            raise RuntimeError(
                f"backward of {self.name!r} returned {len(input_grads)} gradients, "
                f"expected one per forward input ({len(self.inputs)})"
            )
        return input_grads

    def retain_output_grad(self, tensor: Tensor) -> None:
        """Make backward store the gradient of this output on ``tensor.grad``."""
        if self._retained is None:
            self._retained = {}
        self._retained[tensor._output_nr] = weakref.ref(tensor)

    def keep_retained_grads(self, output_grads: Any, handed_out: set[int]) -> None:
        """Store the gradient on outputs that asked for it with ``retain_grad()``."""
        if self.num_outputs == 1:
            output_grads = [output_grads]
        for index, ref in self._retained.items():
            tensor, grad = ref(), output_grads[index]
            if tensor is not None and grad is not None:
                _accumulate(tensor, grad, handed_out)

    def release(self) -> None:
        """Free what the backward rule saved; the node cannot run again."""
        self.ctx = None
        self.inputs = None
        self.edges = None
        self.saved = ()


def attach(
    name: str, inputs: Sequence[Any], rule, ctx: Any, outputs: Sequence[Tensor], saved=()
) -> Node:
    """Make the graph node for a Function's ``outputs``; float outputs then require grad."""
    meta = None if len(outputs) == 1 else [(t.data.shape, t.data.dtype) for t in outputs]
    node = Node(
        name,
        tuple([t if isinstance(t, Tensor) else None for t in inputs]),
        rule,
        ctx,
        meta,
        saved,
    )
    for index, output in enumerate(outputs):
        if output.dtype.kind != "f":  # integer outputs (indices) never carry a gradient
            continue
        output.requires_grad = True
        output.grad_fn = node
        output._output_nr = index
    return node


@functools.cache
def _saved_positions(rule, needs: tuple[bool, ...]) -> tuple:
    """``(position, label)`` of each value ``rule`` reads for ``needs`` (input index or OUTPUT)."""
    reads = getattr(rule, "saves", None)
    if reads is None:  # the rule reads only shapes and parameters
        return ()
    wanted = {p for need, positions in zip(needs, reads, strict=True) if need for p in positions}
    return tuple(
        (p, "the output" if p == OUTPUT else f"input {p}") for p in sorted(wanted, key=str)
    )


def _saved_versions(rule, needs, inputs: tuple[Tensor, ...], output: Tensor) -> tuple:
    """``(counter, version, label, array)`` of every tensor an op's rule will read."""
    saved = []
    for position, label in _saved_positions(rule, needs):
        tensor = output if position == OUTPUT else inputs[position]
        counter = tensor._version_counter
        saved.append((counter, counter.value, label, tensor.data))
    return tuple(saved)


class AutogradLayer:
    """The layer tt-autograd installs into tt-tensor's dispatcher."""

    def record(
        self, op_name: str, inputs: tuple[Tensor, ...], params: dict, output: Tensor
    ) -> None:
        """Record a node for ``output`` when grad mode is on and an input requires grad."""
        # This runs once per op: the common arities build their tuples without a loop.
        if len(inputs) == 2:
            a, b = inputs
            if not (a.requires_grad or b.requires_grad):
                return
            needs = (a.requires_grad, b.requires_grad)
            arrays = (a.data, b.data)
        elif len(inputs) == 1:
            if not inputs[0].requires_grad:
                return
            needs = (True,)
            arrays = (inputs[0].data,)
        else:
            needs = tuple([t.requires_grad for t in inputs])
            if True not in needs:
                return
            arrays = tuple([t.data for t in inputs])
        data = output.data
        if not _GradMode.enabled or data.dtype.kind != "f":
            return
        try:
            rule = RULES[op_name]
        except KeyError:
            raise NotImplementedError(
                f"tt-autograd has no backward rule for op {op_name!r} of tt-tensor's op table; "
                "the two packages disagree on the op table (see tinytorch.tensor.ops.OP_TABLE)"
            ) from None
        saved = _saved_versions(rule, needs, inputs, output) if hasattr(rule, "saves") else ()
        ctx = OpContext(arrays, params, data, needs)
        output.requires_grad = True
        output.grad_fn = Node(op_name, inputs, rule, ctx, None, saved)

    def check_inplace(self, tensor: Tensor, operands: tuple[Tensor, ...]) -> bool:
        """Before an in-place op on ``tensor``: raise for a leaf that requires grad in grad
        mode (PyTorch's rule); else say whether the op will be recorded."""
        if not _GradMode.enabled:
            return False
        if tensor.requires_grad and tensor.grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                f"(a tensor of shape {tuple(tensor.shape)}; update parameters under no_grad(): "
                "`with no_grad(): p -= lr * p.grad`)"
            )
        return tensor.requires_grad or True in [o.requires_grad for o in operands]

    def backward(self, tensor: Tensor, gradient: Any, retain_graph: bool) -> None:
        backward(tensor, gradient, retain_graph=retain_graph)

    def retain_grad(self, tensor: Tensor) -> None:
        """Keep ``tensor.grad`` after backward for a non-leaf tensor."""
        if tensor.grad_fn is not None:
            tensor.grad_fn.retain_output_grad(tensor)


def _initial_gradient(tensor: Tensor, gradient: Any) -> np.ndarray:
    """dL/dL = 1 for a scalar loss; a non-scalar output needs its gradient given."""
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(tensor.shape)}; pass gradient=<tensor of that shape> "
                "(for example a loss reduced with .sum() or .mean() needs none)"
            )
        seed = np.empty(tensor.data.shape, dtype=tensor.data.dtype)
        seed[...] = 1  # (np.ones does the same in Python code that costs more than the fill)
        return seed
    # a copy: the caller's array must not become (or alias) a leaf's .grad
    array = np.array(
        gradient.data if isinstance(gradient, Tensor) else gradient, dtype=tensor.dtype
    )
    if array.shape != tensor.shape:
        raise RuntimeError(
            f"backward(): gradient has shape {array.shape}, "
            f"expected the output's shape {tuple(tensor.shape)}"
        )
    return array


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each before the nodes that produced its inputs.

    A node is always created after the nodes of its inputs (they had to exist
    first), so creation order is a topological order. Collect what is
    reachable with an explicit stack (no recursion, so any depth works; each
    node once, so shared subgraphs cost nothing extra), then sort newest first.
    """
    # BEGIN SOLUTION
    reachable = {root}
    stack = [root]
    while stack:
        edges = stack.pop().edges
        if edges is None:
            raise RuntimeError(_FREED_MESSAGE)
        for edge in edges:
            parent = None if edge is None else edge[0]
            if parent is not None and parent not in reachable:
                reachable.add(parent)
                stack.append(parent)
    return sorted(reachable, key=_creation_order, reverse=True)
    # END SOLUTION


_creation_order = attrgetter("sequence")


def _accumulate(tensor: Tensor, grad: np.ndarray, handed_out: set[int]) -> None:
    """Add ``grad`` into ``tensor.grad`` (gradients accumulate across backward calls).

    A first gradient becomes ``.grad`` as it is when nothing else can see it.
    But rules may pass one array to several inputs (``a + b``) or return a
    read-only broadcast view, and a leaf's ``.grad`` must own its memory, since
    optimizers and gradient clipping update it in place: those are copied.
    """
    if tensor.grad is not None:  # a new array in the leaf's dtype (NumPy makes 0-d sums scalars)
        tensor.grad.data = np.asarray(tensor.grad.data + grad, dtype=tensor.data.dtype)
    elif grad.dtype != tensor.data.dtype:
        tensor.grad = Tensor._from_array(grad.astype(tensor.data.dtype))
    elif grad.base is None and id(grad) not in handed_out and grad.flags.writeable:
        handed_out.add(id(grad))
        tensor.grad = Tensor._from_array(grad)
    else:
        tensor.grad = Tensor._from_array(grad.copy())


def _add_output_grad(
    pending: dict[Node, Any], node: Node, output_nr: int, grad: np.ndarray
) -> None:
    """Sum ``grad`` into what output ``output_nr`` of ``node`` has received so far.

    A node with one output (every op of the op table) keeps one array; a node
    with several keeps a list with one entry per output.
    """
    if node.num_outputs == 1:
        previous = pending.get(node)
        pending[node] = grad if previous is None else previous + grad
        return
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * node.num_outputs
    previous = slots[output_nr]
    slots[output_nr] = grad if previous is None else previous + grad


def _raise_shape_error(node: Node, index: int, tensor: Tensor, grad: np.ndarray) -> None:
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
        _accumulate(tensor, seed, handed_out)  # seed is a new array: the caller's is not kept
        return
    # BEGIN SOLUTION
    root = tensor.grad_fn
    pending: dict[Node, Any] = {}  # the gradients each node's outputs have received so far
    _add_output_grad(pending, root, tensor._output_nr, seed)
    for node in topological_order(root):
        output_grads = pending.pop(node, None)
        if output_grads is not None:  # None: no gradient reached this node
            if node._retained:
                node.keep_retained_grads(output_grads, handed_out)
            inputs, edges = node.inputs, node.edges
            input_grads = node.apply(output_grads)  # one per input: apply() checks the count
            needs = node.ctx.needs_input_grad  # as recorded (an in-place op may change it later)
            for index in range(len(inputs)):
                grad = input_grads[index]
                if grad is None or not needs[index]:
                    continue
                inp = inputs[index]
                if grad.shape != inp.data.shape:
                    _raise_shape_error(node, index, inp, grad)
                edge = edges[index]
                if edge is None:  # a leaf: its .grad
                    _accumulate(inp, grad, handed_out)
                else:
                    _add_output_grad(pending, edge[0], edge[1], grad)
        if not retain_graph:
            node.release()
    # END SOLUTION
