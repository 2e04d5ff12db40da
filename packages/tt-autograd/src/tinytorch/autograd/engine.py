"""The engine: record the graph forward, apply the chain rule backward.

Forward, every differentiable op on a tensor that requires grad leaves a
``Node`` on its output (``output.grad_fn``). ``backward()`` then visits the
nodes from the output back to the leaves, each node turning the gradient of
its output into gradients of its inputs, and sums them where a tensor was
used more than once. The graph is freed afterwards (unless
``retain_graph=True``), so one training step never keeps the previous one
alive.

The node protocol (what the engine's functions may rely on):

- ``node.inputs``: the op's inputs, Tensors (None for non-tensor arguments);
- ``node.edges``: for each input, ``(parent_node, output_nr)``: which output
  of which node produced it when this node was recorded, or None when no
  node did (a leaf, a constant, a non-tensor argument);
- ``node.parents()``: the nodes of the edges that are not None;
- ``node.num_outputs``: 1 for every op of the op table; a ``Function`` may
  return several arrays;
- ``node.apply(output_grads)``: ``output_grads`` is a list with one gradient
  per output (None for an output no gradient reached); returns one gradient
  per input, an array of that input's shape, or None where the input needs
  none;
- ``node.release()``: frees what the rule saved; the node cannot run again.

``Node.apply`` also does the bookkeeping a student need not write: it checks
that no tensor the rule reads was changed in place since forward, stores the
gradient of outputs that asked for ``retain_grad()``, fills zeros for the
outputs of a multi-output node that got no gradient, and checks the shapes.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
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

_retaining_grad: dict[int, weakref.ref] = {}
"""Non-leaf tensors that called ``retain_grad()``: id -> weak reference (gone with the tensor)."""

_retained_by_node: dict[Node, list[weakref.ref]] | None = None
"""``_retaining_grad`` indexed by each tensor's current ``grad_fn``; None when out of date.

Built when a node first needs it, so that a node looks up only its own
outputs instead of every retaining tensor. Anything that can change the
answer drops it: ``retain_grad()``, a retaining tensor's death, and an
in-place op (which gives the tensor a new ``grad_fn``; ``check_inplace`` runs
before each one).
"""


def _forget_retained_index(*_: object) -> None:
    global _retained_by_node
    _retained_by_node = None


def _retained_outputs(node: Node) -> list[weakref.ref]:
    """Weak references to the tensors that retain their grad and have ``node`` as ``grad_fn``."""
    global _retained_by_node
    if _retained_by_node is None:
        index: dict[Node, list[weakref.ref]] = {}
        for ref in _retaining_grad.values():
            tensor = ref()
            if tensor is not None and tensor.grad_fn is not None:
                index.setdefault(tensor.grad_fn, []).append(ref)
        _retained_by_node = index
    return _retained_by_node.get(node, [])


class Node:
    """One recorded operation: how to send its outputs' gradients to its inputs.

    Attributes:
        name: the op's name (from the op table, or the Function's class name).
        inputs: the forward inputs, Tensors (None for non-tensor arguments).
        edges: for each input, ``(node, output_nr)`` of the node that produced
            it when this node was recorded; None where no node did.
        num_outputs: how many outputs the operation has (1 for table ops).
        ctx: what the backward rule needs; None once the graph is freed.
        saved: ``(counter, version, label, array)`` for each tensor the rule
            reads: its version counter, the version it had at forward time, and
            how to name it in an error.
    """

    __slots__ = ("name", "inputs", "edges", "num_outputs", "ctx", "saved", "_rule",
                 "_output_meta", "__weakref__")

    def __init__(
        self,
        name: str,
        inputs: Sequence[Tensor | None],
        rule,
        ctx: Any,
        saved: tuple = (),
        output_meta: list[tuple[tuple[int, ...], np.dtype]] | None = None,
    ) -> None:
        self.name = name
        self.inputs: tuple[Tensor | None, ...] | None = tuple(inputs)
        self.edges = tuple(
            [None if t is None or t.grad_fn is None else (t.grad_fn, t._output_nr)
             for t in self.inputs]
        )
        self.num_outputs = 1 if output_meta is None else len(output_meta)
        self.ctx = ctx
        self.saved = saved
        self._rule = rule
        self._output_meta = output_meta  # (shape, dtype) of each output of a multi-output node

    def __repr__(self) -> str:
        return f"<Node {self.name}>"

    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        if self.edges is None:
            raise RuntimeError(_FREED_MESSAGE)
        return [edge[0] for edge in self.edges if edge is not None]

    def apply(self, output_grads: list[np.ndarray | None]) -> list[np.ndarray | None]:
        """Gradients of the inputs (None where not needed) from those of the outputs."""
        ctx = self.ctx
        if ctx is None:
            raise RuntimeError(_FREED_MESSAGE)
        if _retaining_grad:
            self._keep_retained_grads(output_grads)
        if self.saved:
            self._check_saved_versions()
        if self._output_meta is None:
            result = self._rule(ctx, output_grads[0])
        else:  # a multi-output Function: zeros for the outputs that got no gradient
            result = self._rule(ctx, *[
                np.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(output_grads, self._output_meta, strict=True)
            ])
        grads = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(grads) != len(self.inputs):
            raise RuntimeError(
                f"backward of {self.name!r} returned {len(grads)} gradients, "
                f"expected one per forward input ({len(self.inputs)})"
            )
        needs = ctx.needs_input_grad  # as recorded (an in-place op may change it later)
        returned = tuple(grads)
        for index, grad in enumerate(grads):
            if grad is None:
                continue
            if not isinstance(grad, (np.ndarray, np.generic)):
                _raise_type_error(self, index, self.inputs[index], grad)
            if not needs[index]:
                grads[index] = None
            elif grad.shape != self.inputs[index].data.shape:
                _raise_shape_error(self, index, self.inputs[index], grad)
            elif _held_elsewhere(grad, output_grads, returned):
                grads[index] = _shared(grad)  # others hold it too: it reaches a leaf as a copy
        return grads

    def _check_saved_versions(self) -> None:
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

    def _keep_retained_grads(self, output_grads: list[np.ndarray | None]) -> None:
        """Store the gradient on outputs that asked for it with ``retain_grad()``.

        Looked up when backward runs, so a tensor changed in place after
        ``retain_grad()`` keeps the gradient of its new value, as in PyTorch.
        """
        for ref in _retained_outputs(self):
            tensor = ref()
            if tensor is None or tensor.grad_fn is not self:
                continue
            grad = output_grads[tensor._output_nr]
            if grad is not None:
                accumulate_grad(tensor, _shared(grad))  # the rule still reads it: .grad copies

    def release(self) -> None:
        """Free what the backward rule saved; the node cannot run again."""
        self.ctx = None
        self.inputs = None
        self.edges = None
        self.saved = ()


def _held_elsewhere(grad: np.ndarray, output_grads: list, input_grads) -> bool:
    """Whether a rule's ``grad`` is also an output's gradient or another input's."""
    if len(output_grads) == 1 and len(input_grads) == 1:  # the common case, cheaply
        return grad is output_grads[0]
    for other in output_grads:
        if other is grad:
            return True
    copies = 0
    for other in input_grads:
        copies += other is grad
    return copies > 1


def _shared(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array``, for a gradient array that is not the receiver's alone."""
    if not isinstance(array, np.ndarray):  # a NumPy scalar is read-only already
        return array
    view = array.view()
    view.flags.writeable = False
    return view


def owned_grad_array(grad: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """An array of ``grad``'s values in ``dtype`` that a new ``.grad`` may own.

    A copy, except when ``grad`` is already such an array: ``Node.apply``
    hands out every gradient that another tensor or node may also hold (one
    array returned for two inputs, an output's gradient passed through) as a
    read-only view, so a writable array that is no view is the receiver's
    alone, and keeping it saves a copy of every parameter's gradient per step.
    """
    if grad.base is None and grad.flags.writeable and grad.dtype == dtype:
        return grad
    return _engine_array(np.array(grad, dtype=dtype))


_engine_arrays: dict[int, weakref.ref] = {}
"""The ``.grad`` arrays the engine allocated itself: id -> weak reference.

Only those are summed into in place: an array a rule returned (and may
still hold, as a Function's cache) or one a user assigned to ``.grad``
never is.
"""


def _engine_array(array: np.ndarray) -> np.ndarray:
    """Note ``array`` as allocated by the engine (see ``add_to_grad``) and return it."""
    key = id(array)
    _engine_arrays[key] = weakref.ref(array, lambda _, key=key: _engine_arrays.pop(key, None))
    return array


def add_to_grad(tensor: Tensor, grad: np.ndarray) -> None:
    """``tensor.grad.data`` becomes ``tensor.grad.data + grad``, in ``tensor``'s dtype.

    In place when that is safe: the engine allocated ``.grad``'s array itself,
    it is writable and of the tensor's shape and dtype, and ``grad`` does not
    overlap it. Otherwise a new array. ``grad`` is never written. (So a
    parameter used several times in one graph costs no allocation per use, and
    ``.grad`` keeps its array across backward calls, as PyTorch's ``.grad``.)
    """
    dtype = tensor.data.dtype
    current = tensor.grad.data
    ref = _engine_arrays.get(id(current))
    if (ref is not None and ref() is current and current.flags.writeable
            and current.dtype == dtype and current.shape == np.shape(grad)
            and not np.may_share_memory(current, grad)):
        np.add(current, grad, out=current, casting="same_kind")
    else:
        tensor.grad.data = _engine_array(np.asarray(current + grad, dtype=dtype))


def _raise_type_error(node: Node, index: int, tensor: Tensor | None, grad: Any) -> None:
    expected = (
        "None (it is not a tensor)" if tensor is None
        else f"a NumPy array of its shape {tuple(tensor.shape)}, or None"
    )
    raise TypeError(
        f"backward of {node.name!r} returned a {type(grad).__name__} ({grad!r:.60}) as the "
        f"gradient of input {index}; expected {expected}. Wrap a number with np.asarray "
        "(in the gradient's dtype) or return an array computed from the incoming gradient"
    )


def _raise_shape_error(node: Node, index: int, tensor: Tensor, grad: np.ndarray) -> None:
    raise RuntimeError(
        f"backward of {node.name!r} returned a gradient of shape {grad.shape} for input "
        f"{index}, which has shape {tuple(tensor.shape)}; a backward rule must return one "
        "gradient of each input's shape (sum over broadcast dims)"
    )


# ----------------------------------------------------------------------------- recording


def rule_for(op_name: str):
    """The backward rule of op ``op_name`` (a clear error when tt-autograd has none)."""
    try:
        return RULES[op_name]
    except KeyError:
        raise NotImplementedError(
            f"tt-autograd has no backward rule for op {op_name!r} of tt-tensor's op table; "
            "the two packages disagree on the op table (see tinytorch.tensor.ops.OP_TABLE)"
        ) from None


def saved_versions(rule, needs: tuple[bool, ...], inputs: Sequence[Tensor],
                   output: Tensor) -> tuple:
    """What ``Node(saved=...)`` takes for an op: the versions of the tensors ``rule`` reads.

    A rule declares with ``@saves`` which values each input's gradient reads;
    only the inputs that need a gradient count.
    """
    saved = []
    for position, label in _saved_positions(rule, needs):
        tensor = output if position == OUTPUT else inputs[position]
        counter = tensor._version_counter
        saved.append((counter, counter.value, label, tensor.data))
    return tuple(saved)


@functools.cache  # once per (rule, needs): this runs for every recorded op
def _saved_positions(rule, needs: tuple[bool, ...]) -> tuple:
    """``(position, label)`` of each value ``rule`` reads for ``needs`` (input index or OUTPUT)."""
    reads = getattr(rule, "saves", None)
    if reads is None:  # the rule reads only shapes and parameters
        return ()
    wanted = {p for need, positions in zip(needs, reads, strict=True) if need for p in positions}
    return tuple(
        (p, "the output" if p == OUTPUT else f"input {p}") for p in sorted(wanted, key=str)
    )


def record(op_name: str, inputs: tuple[Tensor, ...], params: dict, output: Tensor) -> None:
    """Attach a graph node to ``output`` if a gradient will have to flow through this op.

    Called by tt-tensor's dispatcher after every differentiable op. A node is
    recorded only when all three hold: grad mode is on (``_GradMode.enabled``),
    at least one input requires grad, and the output is a floating-point
    array (integer and boolean results never carry a gradient). Otherwise
    ``output`` is left alone: it does not require grad and has no ``grad_fn``.

    When recorded, ``output.requires_grad`` becomes True and
    ``output.grad_fn`` the new ``Node``, made from the op's name, its
    ``inputs``, its rule (``rule_for(op_name)``), an ``OpContext`` (the input
    arrays, ``params``, the output array and, per input, whether it requires
    grad) and ``saved=saved_versions(rule, needs, inputs, output)``.
    """
    # BEGIN SOLUTION
    if not _GradMode.enabled or output.data.dtype.kind != "f":
        return
    needs = tuple([t.requires_grad for t in inputs])
    if True not in needs:
        return
    rule = rule_for(op_name)
    ctx = OpContext(tuple([t.data for t in inputs]), params, output.data, needs)
    output.grad_fn = Node(op_name, inputs, rule, ctx, saved_versions(rule, needs, inputs, output))
    output.requires_grad = True
    # END SOLUTION


def attach(
    name: str, inputs: Sequence[Any], rule, ctx: Any, outputs: Sequence[Tensor], saved=()
) -> Node:
    """Make the graph node for a Function's ``outputs``; float outputs then require grad."""
    meta = None if len(outputs) == 1 else [(t.data.shape, t.data.dtype) for t in outputs]
    node = Node(name, [t if isinstance(t, Tensor) else None for t in inputs], rule, ctx, saved,
                meta)
    for index, output in enumerate(outputs):
        if output.dtype.kind != "f":  # integer outputs (indices) never carry a gradient
            continue
        output.requires_grad = True
        output.grad_fn = node
        output._output_nr = index
    return node


def _forget_retained(key: int) -> None:
    """A tensor that retained its grad is gone: drop it and the index."""
    _retaining_grad.pop(key, None)
    _forget_retained_index()


class AutogradLayer:
    """The layer tt-autograd installs into tt-tensor's dispatcher."""

    def record(
        self, op_name: str, inputs: tuple[Tensor, ...], params: dict, output: Tensor
    ) -> None:
        record(op_name, inputs, params, output)

    def check_inplace(self, tensor: Tensor, operands: tuple[Tensor, ...]) -> bool:
        """Before an in-place op on ``tensor``: raise for a leaf that requires grad in grad
        mode (PyTorch's rule); else say whether the op will be recorded."""
        if not _GradMode.enabled:
            return False
        if _retained_by_node is not None and id(tensor) in _retaining_grad:
            _forget_retained_index()  # the op gives the tensor a new grad_fn
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
            key = id(tensor)
            _retaining_grad[key] = weakref.ref(tensor, lambda _, key=key: _forget_retained(key))
            _forget_retained_index()


# ----------------------------------------------------------------------------- backward


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from ``root``, each listed before the nodes that produced its inputs.

    So ``root`` comes first, and a node comes only after every node that uses
    its output (the order in which backward may visit them). Each node is
    listed once, however many paths lead to it; find a node's producers with
    ``node.parents()`` (it raises once the graph was freed). Graphs are deep:
    a chain of 10 000 ops must work, beyond Python's recursion limit (1000).
    """
    # BEGIN SOLUTION
    order: list[Node] = []
    visited: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:  # every node it reaches is in the order already
            order.append(node)
        elif node not in visited:  # (a node can be on the stack twice: expand it once)
            visited.add(node)
            stack.append((node, True))
            stack.extend([(parent, False) for parent in node.parents() if parent not in visited])
    order.reverse()  # finished last = used by nobody still unvisited: the root first
    return order
    # END SOLUTION


def accumulate_grad(tensor: Tensor, grad: np.ndarray) -> None:
    """Add ``grad`` into ``tensor.grad`` (gradients accumulate across backward calls).

    The first gradient creates ``tensor.grad``, a Tensor of the tensor's shape
    and dtype (a float64 gradient of a float32 leaf is cast back); later ones
    are added into it (``tensor.grad.data`` becomes the sum, still an
    ``np.ndarray`` even for a 0-d tensor). ``.grad`` owns writable memory:
    optimizers and clipping update it in place. ``grad`` itself may be shared
    with other tensors (``a + b`` gives both the same array) or read-only (a
    broadcast view): never write into it, and make the first ``.grad`` from
    ``owned_grad_array(grad, dtype)`` (a copy unless ``grad`` is already an
    array nothing else holds) and add later ones with ``add_to_grad(tensor,
    grad)`` (given: it sums in place where no one else can see it).
    """
    # BEGIN SOLUTION
    if tensor.grad is None:
        tensor.grad = Tensor._from_array(owned_grad_array(grad, tensor.data.dtype))
    else:
        add_to_grad(tensor, grad)
    # END SOLUTION


def _initial_gradient(tensor: Tensor, gradient: Any) -> np.ndarray:
    """dL/dL = 1 for a scalar loss; a non-scalar output needs its gradient given."""
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(tensor.shape)}; pass gradient=<tensor of that shape> "
                "(for example a loss reduced with .sum() or .mean() needs none)"
            )
        return np.ones(tensor.data.shape, dtype=tensor.data.dtype)
    # a copy: the caller's array must not become (or alias) a leaf's .grad
    array = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                     dtype=tensor.dtype)
    if array.shape != tensor.shape:
        raise RuntimeError(
            f"backward(): gradient has shape {array.shape}, "
            f"expected the output's shape {tuple(tensor.shape)}"
        )
    return array


def backward(tensor: Tensor, gradient: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``.grad`` of every leaf that requires grad.

    The seed (dL/dL, or the given ``gradient``) is the gradient of output
    ``tensor._output_nr`` of ``tensor.grad_fn``. What the tests check:

    - every node a gradient reaches is applied exactly once, with the
      complete gradient of each of its outputs (the sum of what all its
      consumers sent; None for an output nothing reached), however many
      paths of whatever lengths lead to it; a node nothing reached is not
      applied (``topological_order`` gives an order in which this holds);
    - each gradient ``node.apply`` returns for an input (None: nothing to
      send) goes along that input's edge: to that output of the producing
      node, or, for an input without an edge (a leaf), into its ``.grad``
      through ``accumulate_grad``;
    - gradient arrays may be shared or read-only: never write into one;
    - unless ``retain_graph``, every visited node is ``release()``d once it is
      done (its memory is freed, and a second backward raises).
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; did you create "
            "the inputs with requires_grad=True, and compute it outside no_grad()?"
        )
    seed = _initial_gradient(tensor, gradient)
    if tensor.grad_fn is None:  # backward() on a leaf
        accumulate_grad(tensor, seed)
        return
    # BEGIN SOLUTION
    received = {(tensor.grad_fn, tensor._output_nr): seed}  # (node, output_nr) -> gradient sum
    for node in topological_order(tensor.grad_fn):
        output_grads = [received.pop((node, i), None) for i in range(node.num_outputs)]
        if any(g is not None for g in output_grads):
            input_grads = node.apply(output_grads)
            for inp, edge, grad in zip(node.inputs, node.edges, input_grads, strict=True):
                if grad is None:
                    continue
                if edge is None:
                    accumulate_grad(inp, grad)
                elif edge in received:
                    received[edge] = received[edge] + grad
                else:
                    received[edge] = grad
        if not retain_graph:
            node.release()
    # END SOLUTION
