"""Module: the base class of every layer and model.

A Module holds three ordered dicts, exactly as PyTorch's does:

- ``_parameters``: the ``Parameter``s it learns (``self.weight``, ``self.bias``);
- ``_buffers``: tensors that are part of its state but are not learned
  (BatchNorm's running statistics), registered with ``register_buffer``;
- ``_modules``: its sub-modules (``self.fc1 = Linear(...)``).

Assigning a Parameter or a Module as an attribute registers it in the right
dict (``__setattr__``), and reading the attribute finds it there
(``__getattr__``). Everything else is a walk over that tree: parameters are
named by their path (``"0.weight"``, ``"encoder.fc1.bias"``), ``train()`` and
``eval()`` reach every sub-module, and ``state_dict()`` is the flat dict of
every parameter and persistent buffer by that name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
from tinytorch.tensor import Tensor

from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for all neural network modules.

    Subclasses set their parameters and sub-modules as attributes in
    ``__init__`` (after calling ``super().__init__()``) and define ``forward``.

    Attributes:
        training: True in training mode (Dropout drops), False after ``eval()``.

    Examples:
        >>> class TwoLayer(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = Linear(2, 4)
        ...         self.fc2 = Linear(4, 1)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).tanh())
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # ------------------------------------------------------------------ calling

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'{type(self).__name__} has no "forward" method; define forward(self, ...)'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration

    def _check_ready(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call; "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, for an absent optional one such as ``bias=False``)."""
        self._check_ready("parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign a {type(param).__name__} as parameter {name!r} of "
                f"{type(self).__name__} (a Parameter or None expected)"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (running statistics, masks).

        Buffers are moved by ``to()`` and, when ``persistent``, saved in ``state_dict()``.
        """
        self._check_ready("buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot register a {type(tensor).__name__} as buffer {name!r} of "
                f"{type(self).__name__} (a Tensor or None expected)"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module; it is reachable as ``self.<name>``."""
        self._check_ready("sub-modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(module).__name__} is not a Module subclass (sub-module {name!r})"
            )
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, keep: dict | None = None) -> None:
        """Remove ``name`` from wherever else it was registered before (re-assignment).

        The registry in ``keep`` is left alone, so re-assigning a sub-module or
        parameter keeps its place in the order (as PyTorch does).
        """
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        """``self.name = value``: register Parameters and sub-Modules, keep registries typed.

        What each assignment does (the tests check every case):

        - a ``Parameter`` is registered with ``register_parameter``, a ``Module`` with
          ``add_module``; both raise the clear error for an assignment made before
          ``Module.__init__`` ran, and both keep a re-assigned name in its place;
        - a name already registered as a parameter goes through ``register_parameter``
          whatever the value: None is allowed (``layer.bias = None``), a plain Tensor
          gets its TypeError;
        - a name already registered as a buffer goes through ``register_buffer``,
          keeping that buffer persistent or not, as it was;
        - None for a name registered as a sub-module goes through ``add_module``, so
          the name stays registered (as None) and ``named_children`` skips it;
        - anything else is an ordinary attribute, ``object.__setattr__(self, name, value)``.
          Before ``Module.__init__`` ran, ``self.__dict__`` has no ``"_parameters"``
          (nor the other registries): look there, as reading ``self._parameters`` would
          call ``__getattr__`` and fail.
        """
        # BEGIN SOLUTION
        registries = self.__dict__
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif "_parameters" in registries and name in self._parameters:
            self.register_parameter(name, value)  # None, or the error for a plain Tensor
        elif "_buffers" in registries and name in self._buffers:
            self.register_buffer(name, value, name not in self._non_persistent_buffers)
        elif "_modules" in registries and name in self._modules and value is None:
            self.add_module(name, None)
        else:
            object.__setattr__(self, name, value)
        # END SOLUTION

    def __getattr__(self, name: str) -> Any:
        """Called only when normal lookup fails: look in the three registries."""
        registries = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in registries and name in registries[registry]:
                return registries[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    # ------------------------------------------------------------------ walking the tree

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, with their attribute names."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module below it, depth first, each module once.

        Yields ``(name, module)`` pairs: first ``(prefix, self)`` (so the root is named
        ``""`` by default), then the walk of each child in registration order
        (``named_children``, which skips children set to None), the child's name dotted
        onto this one's: ``"0"``, ``"encoder.fc1"``, with no leading dot under an empty
        prefix. A module reached by two paths (one layer used twice, weight tying) is
        yielded once, under its first path: ``memo`` is the set of the ``id()`` of every
        module already yielded, one set shared by all the recursive calls (None at the top).
        """
        # BEGIN SOLUTION
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self.named_children():
            yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name)
        # END SOLUTION

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool
    ) -> Iterator[tuple[str, Tensor]]:
        """The entries of one registry of the tree, each tensor once, with its dotted name.

        ``named_parameters`` (``registry="_parameters"``) and ``named_buffers``
        (``"_buffers"``) are this walk. For each ``(module_name, module)`` of
        ``self.named_modules(prefix=prefix)`` (only ``(prefix, self)`` when ``recurse`` is
        False), yield ``(name, tensor)`` for the entries of ``getattr(module, registry)``
        in their order, ``name`` being ``module_name + "." + key`` (just ``key`` when
        ``module_name`` is empty). Skip entries that are None, and a tensor already
        yielded (one Parameter registered in two modules): an optimizer must see a shared
        weight once, or it would update it twice per step.
        """
        # BEGIN SOLUTION
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, tensor in getattr(module, registry).items():
                if tensor is None or id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                yield (f"{module_prefix}.{name}" if module_prefix else name), tensor
        # END SOLUTION

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``"0.weight"``); a shared one is listed once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules (what an optimizer updates)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of scalar parameters: sum of ``p.numel()`` over ``parameters()``.

        Args:
            trainable_only: count only parameters with ``requires_grad=True``.
        """
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on this module.

        Typical use is initialisation: ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every sub-module; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(
                f"train(mode): mode is expected to be a bool, got {type(mode).__name__}"
            )
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode, ``train(False)``: Dropout is the identity, BatchNorm uses its stats."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradient of every parameter of the tree (``self.parameters()``).

        ``set_to_none=True`` (the default) sets ``param.grad = None``. With
        ``set_to_none=False`` an existing ``.grad`` is filled with zeros in place (the
        same Tensor stays ``param.grad``, holding the same array); a parameter without a
        gradient keeps None.
        """
        # BEGIN SOLUTION
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0
        # END SOLUTION

    # ------------------------------------------------------------------ dtype

    def to(self, dtype: Any) -> Module:
        """Convert every floating parameter and buffer to ``dtype`` in place (same objects)."""
        dtype = np.dtype(dtype)
        for tensor in (*self.parameters(), *self.buffers()):
            if tensor.dtype.kind == "f":
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad.data = tensor.grad.data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ------------------------------------------------------------------ state dict

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer of the tree by dotted name, in order.

        The keys, each starting with ``prefix``: this module's own parameters (in
        ``_parameters`` order), then its own persistent buffers (those not in
        ``_non_persistent_buffers``), then, for each child of ``named_children()``, the
        child's ``state_dict`` under the prefix ``prefix + child_name + "."``. Entries
        that are None are left out. There is no memo here, unlike ``named_parameters``:
        a module or tensor reached by two paths appears under both names, as in PyTorch.

        The values share memory with the module: with ``keep_vars=True`` the tensors
        themselves, otherwise their ``detach()`` (the same array, no gradient). Copy
        them (``{k: v.data.copy() ...}``) to keep a snapshot that later training does
        not change. Returns an OrderedDict.
        """
        # BEGIN SOLUTION
        state: OrderedDict[str, Tensor] = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                state[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                state[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self.named_children():
            state.update(module.state_dict(f"{prefix}{name}.", keep_vars))
        return state
        # END SOLUTION

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers, in place.

        Args:
            state_dict: name -> NumPy array or Tensor, as ``state_dict()`` returns.
            strict: a key of the module missing from ``state_dict``, or a key of
                ``state_dict`` the module does not have, is an error.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``: the module's keys absent
            from ``state_dict`` (in the module's order) and the keys of ``state_dict``
            the module does not have (in ``state_dict``'s order), as lists.

        The module's own entries are ``self.state_dict(keep_vars=True)``. Each value
        is copied into the existing array (``tensor.data[...] = array``), so every
        parameter stays the same object holding the same array. Every problem is found
        before anything is copied; if there is one, raise a single RuntimeError that lists
        them all, and copy nothing. The problems are:

        - a value that the given ``_shape_problem(key, tensor, value)`` objects to (its
          message names the key and both shapes): an error even with ``strict=False``;
        - with ``strict``, each missing key (the message says ``missing key '<key>'``)
          and each unexpected key (``unexpected key '<key>'``).
        """
        # BEGIN SOLUTION
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = [
            _shape_problem(key, own[key], state_dict[key]) for key in own if key in state_dict
        ]
        problems = [p for p in problems if p]
        if strict:
            problems += [f"missing key {key!r} (shape {own[key].shape})" for key in missing]
            problems += [
                f"unexpected key {key!r} (not in {type(self).__name__})" for key in unexpected
            ]
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(problems)
            )
        for key, tensor in own.items():
            if key in state_dict:
                tensor.data[...] = _as_array(state_dict[key])
        return IncompatibleKeys(missing, unexpected)
        # END SOLUTION

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override to show its settings)."""
        return ""

    def __repr__(self) -> str:
        """The module tree, one line per sub-module, as PyTorch prints it."""
        extra = self.extra_repr()
        children = [
            f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()
        ]
        lines = (extra.split("\n") if extra else []) + children
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({extra})"
        if not lines:
            return f"{type(self).__name__}()"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )


def _as_array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _shape_problem(key: str, own: Tensor, value: Any) -> str:
    """A message when ``value`` cannot be copied into ``own`` (empty when it can)."""
    array = _as_array(value)
    if array.shape != own.shape:
        return (
            f"size mismatch for {key!r}: copying a value of shape {array.shape} from the "
            f"state_dict, the shape in the current model is {own.shape}"
        )
    if array.dtype.kind not in "fiub":
        return f"dtype mismatch for {key!r}: cannot copy dtype {array.dtype} into {own.dtype}"
    return ""


def _indent(text: str, spaces: int) -> str:
    """Indent every line but the first (nested module reprs)."""
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])
