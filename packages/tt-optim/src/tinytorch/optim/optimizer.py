"""Optimizer: the base class every update rule builds on.

An optimizer holds the parameters in *param groups*: dicts with a list of
parameters under ``"params"`` and the hyper-parameters for them (``"lr"``,
``"momentum"``, ...), so one model can train its layers with different
learning rates. ``step()`` walks every parameter that has a gradient and
applies the subclass's rule to it; the rule changes ``p.data`` **in place**
(``p.data -= ...``), so views of the array and references held elsewhere
(a model's state, an EMA copy) keep seeing the current values. ``step()``
then bumps each updated parameter's version (``increment_version``), as
PyTorch's in-place updates do: a backward through a graph recorded before the
step raises instead of using the new values.

Per-parameter memory (momentum buffers, running averages, step counts) lives
in ``optimizer.state``; ``state_dict()`` exports it as NumPy arrays keyed by
the parameter's index across all groups, the layout PyTorch uses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from tinytorch.tensor import increment_version


def _check_params_iterable(params: Any, optimizer: str) -> None:
    """A clear error for a model or a single tensor given where an iterable of parameters goes."""
    if callable(getattr(params, "parameters", None)):
        raise TypeError(
            f"{optimizer}: params must be an iterable of parameters or param-group dicts, got "
            f"the module {type(params).__name__}; pass model.parameters()"
        )
    if _is_parameter(params):
        raise TypeError(
            f"{optimizer}: params must be an iterable of parameters or param-group dicts, got a "
            f"single Tensor of shape {tuple(params.shape)}; pass [tensor] or model.parameters()"
        )


class Optimizer:
    """Base class of optimizers: param groups, state, ``step()`` and ``zero_grad()``.

    Args:
        params: an iterable of parameters (Tensors with ``.data`` and ``.grad``),
            or of dicts ``{"params": [...], "lr": ..., ...}`` that override the
            defaults for their parameters.
        defaults: the hyper-parameters every group starts from.

    Subclasses implement ``update`` (the rule for one parameter) and
    ``init_state`` (the buffers it keeps).
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # id(param) -> that parameter's buffers
        _check_params_iterable(params, type(self).__name__)
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list; pass model.parameters() "
                "(did the model create its layers before the optimizer was built?)"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {index}: {len(group['params'])} params, {options}")
        return "\n".join(lines + [")"])

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; options it leaves out come from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a param group needs a 'params' entry (a list of parameters)")
        group["params"] = [params] if _is_parameter(params) else list(params)
        for index, param in enumerate(group["params"]):
            check_parameter(param, index, type(self).__name__)
        self._check_not_shared(group["params"])
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_not_shared(self, params: list) -> None:
        """A parameter may belong to one group only (else it would be updated twice)."""
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for param in params:
            if id(param) in seen:
                raise ValueError(
                    f"{type(self).__name__}: a parameter of shape {tuple(param.shape)} appears "
                    "in more than one param group (or twice in one); each must appear once"
                )
            seen.add(id(param))

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an invalid option; subclasses add their own checks."""
        check_non_negative(type(self).__name__, "lr", group.get("lr", 0.0))

    def parameters(self) -> list:
        """Every parameter of every group, in order (the order of state_dict's indices)."""
        return [p for group in self.param_groups for p in group["params"]]

    # ------------------------------------------------------------------ the step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``p.grad = None`` (default) or fill it with zeros in place."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                grad_array(param)[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters without ``.grad`` are skipped.

        ``closure``, if given, re-evaluates the model and returns the loss
        (needed by optimizers that look at the loss several times); its loss is returned.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = grad_array(param)
                check_grad_shape(param, grad, type(self).__name__)
                state = self.state.get(id(param))
                if state is None:
                    state = self.state[id(param)] = self.init_state(param, group)
                self.update(param.data, grad, state, group)
                increment_version(param)  # a graph that saved the old values now refuses them
        return loss

    def init_state(self, param, group: dict[str, Any]) -> dict[str, Any]:
        """The buffers a parameter needs before its first update (none by default)."""
        return {}

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Apply the update rule to one parameter's array ``param`` in place."""
        raise NotImplementedError(f"{type(self).__name__} must define update()")

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, Any]:
        """The optimizer as plain data: ``{"state": {...}, "param_groups": [...]}``.

        ``state`` maps a parameter's index to its buffers (arrays or numbers).

        Parameters are referred to by their index across all groups, in order;
        each group lists its indices under ``"params"``. Arrays are copies.
        """
        index_of = {id(p): i for i, p in enumerate(self.parameters())}
        state = {
            index_of[key]: {name: _copy_value(value) for name, value in buffers.items()}
            for key, buffers in self.state.items()
            if key in index_of
        }
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore groups' options and per-parameter state saved by ``state_dict``.

        The optimizer must have been built on parameters of the same shapes, in
        the same groups and order. Index keys may be ints or strings (from JSON).
        """
        saved_groups = state_dict["param_groups"]
        self._check_same_layout(saved_groups)
        params = self.parameters()
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for name, value in saved.items():
                if name != "params":
                    group[name] = _like_default(value, self.defaults.get(name))
        self.state = {}
        for key, buffers in state_dict["state"].items():
            param = params[int(key)]
            self.state[id(param)] = {
                name: _restored_value(value, param, name, type(self).__name__)
                for name, value in buffers.items()
            }

    def _check_same_layout(self, saved_groups: list[dict]) -> None:
        """Raise unless the saved groups hold as many parameters as ours, group by group."""
        ours = [len(g["params"]) for g in self.param_groups]
        theirs = [len(g["params"]) for g in saved_groups]
        if ours != theirs:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved state has groups of sizes "
                f"{theirs}, this optimizer has {ours}; build it on the same parameters"
            )


# ---------------------------------------------------------------------- helpers


def _is_parameter(value: Any) -> bool:
    return hasattr(value, "data") and hasattr(value, "grad")


def check_parameter(param: Any, index: int, owner: str) -> None:
    """Raise unless ``param`` is a floating point tensor whose array can be updated in place."""
    if not _is_parameter(param) or not isinstance(param.data, np.ndarray):
        raise TypeError(
            f"{owner}: parameter {index} is a {type(param).__name__}; expected a Tensor "
            "(a tinytorch.nn.Parameter) with .data and .grad"
        )
    if param.data.dtype.kind != "f":
        raise TypeError(
            f"{owner}: parameter {index} has dtype {param.data.dtype}; only floating point "
            "tensors can be optimized"
        )


def grad_array(param) -> np.ndarray:
    """The NumPy array of ``param.grad`` (a Tensor, or an array)."""
    grad = param.grad
    return grad.data if hasattr(grad, "data") and isinstance(grad.data, np.ndarray) else grad


def check_grad_shape(param, grad: np.ndarray, owner: str) -> None:
    if grad.shape != param.data.shape:
        raise ValueError(
            f"{owner}.step: a parameter of shape {param.data.shape} has a gradient of shape "
            f"{grad.shape}; they must match"
        )


def check_non_negative(owner: str, name: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value}")


def check_fraction(owner: str, name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value}")


def _copy_value(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _restored_value(value: Any, param, name: str, owner: str) -> Any:
    """A saved buffer as an owned array of the parameter's dtype (numbers stay numbers)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.shape != param.data.shape:
            raise ValueError(
                f"{owner}.load_state_dict: saved buffer {name!r} has shape {value.shape}, "
                f"but its parameter has shape {param.data.shape}"
            )
        return np.array(value, dtype=param.data.dtype)
    if isinstance(value, np.ndarray):
        return value.item()
    return copy.deepcopy(value)


def _like_default(value: Any, default: Any) -> Any:
    """JSON turns tuples (Adam's betas) into lists: give them back their default's type."""
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    return copy.deepcopy(value)
