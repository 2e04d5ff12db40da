"""The dispatcher: the one road every Tensor operation takes.

``apply("mul", a, b)`` looks ``mul`` up in the op table, runs its NumPy
kernel on the inputs' arrays and wraps the result in a Tensor. Then, if an
*autograd layer* is installed, it hands the call to that layer, which may
record a graph node so that gradients can flow back later. This is the
extension point tt-autograd plugs into, in the way PyTorch's dispatcher puts
an autograd layer in front of each kernel: tt-tensor itself computes forward
math only and never imports tt-autograd at module level.

An autograd layer is any object with four methods:

```text
record(op_name, inputs, params, output) -> None
    called after a differentiable op ran; may set output.requires_grad
    and output.grad_fn.
check_inplace(tensor, operands) -> bool
    called before an in-place op (add_, +=, x[i] = v, ...) writes into
    tensor; raises if autograd forbids it (a leaf that requires grad, in
    grad mode) and says whether the op will be recorded. If so, tt-tensor
    computes it out of place on a copy of tensor (through apply, so it is
    recorded as usual), writes the result into tensor's memory and gives
    tensor the new node as grad_fn: a node must keep its inputs'
    (grad_fn, _output_nr) as they were when it was recorded.
backward(tensor, gradient, retain_graph) -> None
    called by Tensor.backward().
retain_grad(tensor) -> None
    called by Tensor.retain_grad() on a non-leaf tensor.
```

Versions: every Tensor has a ``_version_counter`` (``VersionCounter``, read as
``tensor._version``) that each in-place write bumps; the output of a view op
(``OpDef.view``) that shares its input's memory, and ``detach()``, share the
input's counter. A layer records the versions of the tensors its backward
rules will read and checks them at backward. Writing ``tensor.data`` directly
is not tracked (PyTorch's ``.data`` is not either); ``increment_version``
tells autograd about such a write (optimizers call it).

tt-autograd installs its layer with ``install_autograd_layer`` when it is
imported. tt-tensor imports it lazily the first time a tensor requires grad,
so ``from tinytorch.tensor import Tensor`` is all a user needs to write.

Op hooks are the dispatcher's second extension point, for tools that watch
ops rather than record them (profilers, FLOP counters, diagnostics):
``register_op_hook(hook)`` has ``hook(op_name, inputs, params, outputs,
seconds)`` called after every op and returns a handle whose ``remove()``
(or the end of its ``with`` block) unregisters it, as PyTorch's
``register_forward_hook`` does for modules. Operations outside the op table
report themselves with ``call_op_hooks`` when ``has_op_hooks()`` is true.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import explain_kernel_error
from .ops import OP_TABLE

if TYPE_CHECKING:
    from .tensor import Tensor


class AutogradLayer(Protocol):
    """What tt-tensor expects of the autograd layer (see the module docstring)."""

    def record(
        self, op_name: str, inputs: tuple[Tensor, ...], params: dict, output: Tensor
    ) -> None: ...

    def backward(self, tensor: Tensor, gradient: Any, retain_graph: bool) -> None: ...

    def retain_grad(self, tensor: Tensor) -> None: ...

    def check_inplace(self, tensor: Tensor, operands: tuple[Tensor, ...]) -> bool: ...


_layer: AutogradLayer | None = None
_import_attempted = False
AUTOGRAD_MODULE = "tinytorch.autograd"


def install_autograd_layer(layer: AutogradLayer | None) -> None:
    """Install (or, with None, remove) the layer that records graphs."""
    global _layer
    _layer = layer


def autograd_layer() -> AutogradLayer | None:
    """The installed autograd layer, importing tt-autograd on first need if it is installed."""
    global _import_attempted
    if _layer is None and not _import_attempted:
        _import_attempted = True
        try:
            importlib.import_module(AUTOGRAD_MODULE)
        except ModuleNotFoundError as error:
            if error.name not in (AUTOGRAD_MODULE, "tinytorch"):
                raise
    return _layer


def require_autograd_layer(what: str) -> AutogradLayer:
    """The autograd layer, or a clear error saying that ``what`` needs tt-autograd."""
    layer = autograd_layer()
    if layer is None:
        raise RuntimeError(
            f"{what} needs tt-autograd, which is not installed: tt-tensor runs forward "
            "math only. Install it with `pip install tt-autograd` (or "
            "`pip install -e packages/tt-autograd` in the tinytorch repo)."
        )
    return layer


_tensor_type: Any = None  # set by tensor.py, which imports this module


def register_tensor_type(tensor_type: type) -> None:
    """Tell the dispatcher which class wraps kernel outputs (called once by tensor.py)."""
    global _tensor_type
    _tensor_type = tensor_type


def share_version_counter(view: Tensor, base: Tensor) -> None:
    """Give ``view`` the version counter of ``base``, whose memory it shares."""
    base._version_counter.shared = True
    view._version_counter = base._version_counter


def increment_version(tensor: Tensor) -> None:
    """Tell autograd that ``tensor.data`` was changed in place by code outside the op table.

    As ``torch.autograd.graph.increment_version``: optimizers update a
    parameter's array directly and call this, so a backward through a graph
    that saved the old values raises instead of using the new ones.
    """
    tensor._version_counter.bump()


# ----------------------------------------------------------------------------- op hooks

OpHook = Callable[[str, tuple, dict, tuple, float], None]
_op_hooks: dict[int, OpHook] = {}
_next_hook_id = 0
_in_hook = False


class RemovableHandle:
    """What ``register_op_hook`` returns: ``remove()`` unregisters the hook.

    ``remove()`` may be called more than once. Used as a context manager, the
    handle removes its hook when the block ends, even on an exception.
    """

    def __init__(self, hook_id: int) -> None:
        self.id = hook_id

    def remove(self) -> None:
        _op_hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def register_op_hook(hook: OpHook) -> RemovableHandle:
    """Call ``hook(op_name, inputs, params, outputs, seconds)`` after every op; return its handle.

    The hook sees each op of the op table that ``apply`` runs, and each
    operation that reports itself with ``call_op_hooks`` (tt-autograd's
    ``Function.apply`` does): its name, the input Tensors (or other
    arguments), the keyword parameters, the tuple of output Tensors and the
    seconds that the kernel and the autograd layer took. Profilers count
    FLOPs from those shapes and add up the seconds.

    - Hooks run in the order they were registered, once per op, after the op
      finished: an op that raises reaches no hook.
    - Ops that a hook runs itself reach no hook (a hook may use Tensors).
    - An exception raised by a hook propagates to the code that ran the op.

    Examples:
        ```python
        names = []
        with register_op_hook(lambda name, *rest: names.append(name)):
            Tensor([1.0]) * 2
        names  # ['mul']
        ```
    """
    global _next_hook_id
    _next_hook_id += 1
    _op_hooks[_next_hook_id] = hook
    return RemovableHandle(_next_hook_id)


def has_op_hooks() -> bool:
    """Whether a reported op would reach a hook: one is registered and none is running.

    False inside a hook, whose own ops reach no hook. Code that reports ops
    (``call_op_hooks``) times them only when this is true.
    """
    return bool(_op_hooks) and not _in_hook


def call_op_hooks(
    op_name: str, inputs: tuple, params: dict, outputs: tuple, seconds: float
) -> None:
    """Hand one finished op to every registered hook.

    ``apply`` calls it for the op table's ops; operations that run outside the
    op table (tt-autograd's ``Function``) call it themselves, when
    ``has_op_hooks()`` is true.
    """
    global _in_hook
    if _in_hook:
        return
    _in_hook = True
    try:
        for hook in list(_op_hooks.values()):
            hook(op_name, inputs, params, outputs, seconds)
    finally:
        _in_hook = False


def _apply_timed(op_name: str, inputs: tuple, params: dict) -> Tensor:
    """``apply`` when hooks are registered: run the op, time it, hand it to the hooks."""
    started = time.perf_counter()
    output = _run_op(op_name, inputs, params)
    seconds = time.perf_counter() - started
    call_op_hooks(op_name, inputs, params, (output,), seconds)
    return output


# ----------------------------------------------------------------------------- apply


def apply(op_name: str, *inputs: Tensor, **params: Any) -> Tensor:
    """Run op ``op_name`` on Tensor ``inputs`` and return the output Tensor.

    The kernel sees the inputs' NumPy arrays; the autograd layer, if any, sees
    the Tensors, the parameters and the output; op hooks, if any, see the
    call and how long it took (``register_op_hook``).
    """
    if _op_hooks and not _in_hook:
        return _apply_timed(op_name, inputs, params)
    return _run_op(op_name, inputs, params)


def _run_op(op_name: str, inputs: tuple, params: dict) -> Tensor:
    """Run op ``op_name`` on Tensor ``inputs`` with keyword ``params``: the dispatcher's work.

    Returns a new Tensor holding exactly the array that the op's kernel
    (``OP_TABLE[op_name].kernel``) returns for the inputs' NumPy arrays, given
    positionally, and ``params``, given as keywords: not copied, not
    converted (``_tensor_type._from_array`` wraps an array as it is), and not
    requiring grad by itself. The contract the tests check:

    - an op name that is not in the table raises ``KeyError``;
    - a ``ValueError``, ``TypeError`` or ``IndexError`` raised by the kernel
      reaches the caller as the error ``explain_kernel_error(op_name, inputs,
      params, error)`` returns (its message names the op and the shapes),
      chained to the kernel's error (its ``__cause__``); other exceptions pass
      through unchanged;
    - the output of a view op (``op.view``) shares the first input's version
      counter (``share_version_counter``) when, and only when, it really
      shares that input's memory (some indexing copies); every other output
      keeps a fresh counter of its own;
    - when the op is differentiable (``op.differentiable``) and an autograd
      layer is installed (the module's ``_layer`` is not None; importing one
      is not this function's job), ``_layer.record(op_name, inputs, params,
      output)`` is called exactly once, with the very Tensors given, after the
      output exists; a non-differentiable op is never recorded.

    Op hooks are ``apply``'s business, not this one's.
    """
    # BEGIN SOLUTION
    op = OP_TABLE[op_name]
    try:
        if len(inputs) == 1:  # the common arities without building a list
            data = op.kernel(inputs[0].data, **params)
        elif len(inputs) == 2:
            data = op.kernel(inputs[0].data, inputs[1].data, **params)
        else:
            data = op.kernel(*[t.data for t in inputs], **params)
    except (ValueError, TypeError, IndexError) as error:
        raise explain_kernel_error(op_name, inputs, params, error) from error
    output = _tensor_type._from_array(data)
    if op.view and np.may_share_memory(data, inputs[0].data):
        share_version_counter(output, inputs[0])
    if op.differentiable and _layer is not None:
        _layer.record(op_name, inputs, params, output)
    return output
    # END SOLUTION
