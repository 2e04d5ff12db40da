"""Pruning: remove the weights (or whole neurons and channels) a model needs least.

*Magnitude pruning* (Han, Mao and Dally's Deep Compression, 2016) zeroes the
weights of smallest |w|:

- per layer: each layer loses the same fraction ``amount`` of its weights;
- global: one threshold for all layers, the ``amount``-quantile of every
  |w| together, so layers with many small weights lose more.

The zeros must stay zeros while the model is fine-tuned: a ``PruningMasks``
holds one 0/1 mask per pruned weight and multiplies it in after every
optimizer step (``masks.attach(optimizer)`` does that automatically).

Unstructured zeros save nothing on a dense kernel. *Structured* pruning
removes whole output neurons of a Linear (rows of W) or output channels of a
Conv2d (filters), with the matching inputs of the layer that follows, and
builds new, smaller layers: the model really shrinks and runs faster.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
from tinytorch.nn import Linear, Module, Parameter, Sequential


def _is_conv2d(module: Module) -> bool:
    return type(module).__name__ == "Conv2d" and hasattr(module, "kernel_size")


def _is_batchnorm(module: Module) -> bool:
    return hasattr(module, "running_mean") and hasattr(module, "num_features")


def prunable_weights(model: Module) -> dict[str, Parameter]:
    """The ``weight`` of every Linear and Conv2d, by dotted parameter name (biases are kept)."""
    return {
        f"{name}.weight" if name else "weight": m.weight
        for name, m in model.named_modules()
        if isinstance(m, Linear) or _is_conv2d(m)
    }


# ----------------------------------------------------------------------------- unstructured


def check_amount(amount: float) -> None:
    """Raise a ValueError unless the pruning fraction ``amount`` is in [0, 1)."""
    if not 0.0 <= amount < 1.0:
        raise ValueError(f"pruning amount must be in [0, 1), got {amount}")


def magnitude_threshold(values: np.ndarray, amount: float) -> float:
    """The |w| below which a fraction ``amount`` of ``values`` lies (-1 when amount is 0)."""
    check_amount(amount)
    if amount == 0:
        return -1.0
    return float(np.quantile(np.abs(values), amount))


def layer_magnitude_masks(model: Module, amount: float) -> dict[str, np.ndarray]:
    """Per layer: each prunable weight loses exactly ``round(amount * size)`` of its entries.

    Returns one mask per ``prunable_weights`` name, of the weight's shape and
    dtype: 0 at the removed entries (those of smallest |w|), 1 elsewhere.
    Ties at the cut are broken by position (the earlier entry goes first), so
    the count is exact even when many weights are equal; ``amount`` 0 removes
    nothing.
    """
    check_amount(amount)
    # BEGIN SOLUTION
    masks = {}
    for name, weight in prunable_weights(model).items():
        magnitude = np.abs(weight.data).reshape(-1)
        count = int(round(amount * magnitude.size))
        keep = np.ones(magnitude.size, dtype=bool)
        keep[np.argsort(magnitude, kind="stable")[:count]] = False
        masks[name] = keep.reshape(weight.shape).astype(weight.dtype)
    return masks
    # END SOLUTION


def global_magnitude_masks(model: Module, amount: float) -> dict[str, np.ndarray]:
    """Globally: exactly ``round(amount * total)`` entries of smallest |w| across every
    prunable weight are removed (``total`` the number of entries of all of them).

    Returns masks as ``layer_magnitude_masks`` does; a layer of small weights
    loses more than ``amount`` of its entries, one of large weights less.
    Ties at the cut are broken by position (in ``prunable_weights`` order,
    earlier entries go first), so the count is exact.
    """
    check_amount(amount)
    # BEGIN SOLUTION
    weights = prunable_weights(model)
    every = np.concatenate([np.abs(w.data).reshape(-1) for w in weights.values()])
    count = int(round(amount * every.size))
    keep = np.ones(every.size, dtype=bool)
    keep[np.argsort(every, kind="stable")[:count]] = False
    masks, start = {}, 0
    for name, weight in weights.items():
        piece = keep[start : start + weight.data.size]
        masks[name] = piece.reshape(weight.shape).astype(weight.dtype)
        start += weight.data.size
    return masks
    # END SOLUTION


class PruningMasks:
    """0/1 masks for some weights of a model, kept applied through training.

    Examples:
        ```python
        masks = PruningMasks.magnitude(model, 0.9, scope="global")
        masks.attach(optimizer)            # re-applied after every optimizer.step()
        ...train...
        print(format_sparsity(sparsity_report(model)))
        ```
    """

    def __init__(self, model: Module, masks: dict[str, np.ndarray]) -> None:
        params = dict(model.named_parameters())
        unknown = [name for name in masks if name not in params]
        if unknown:
            raise KeyError(f"PruningMasks: no parameter named {unknown} in {type(model).__name__}")
        self.model = model
        self.params = {name: params[name] for name in masks}
        self.masks = masks
        self.apply()

    @classmethod
    def magnitude(cls, model: Module, amount: float, scope: str = "global") -> PruningMasks:
        """Magnitude masks removing ``amount`` of the weights, ``scope`` 'global' or 'layer'."""
        if scope not in ("global", "layer"):
            raise ValueError(f"pruning scope must be 'global' or 'layer', got {scope!r}")
        make = global_magnitude_masks if scope == "global" else layer_magnitude_masks
        return cls(model, make(model, amount))

    def apply(self) -> None:
        """w <- w * mask for every masked weight (and its gradient, if any)."""
        # BEGIN SOLUTION
        for name, param in self.params.items():
            param.data *= self.masks[name]
            if param.grad is not None:
                param.grad.data *= self.masks[name]
        # END SOLUTION

    def attach(self, optimizer) -> None:
        """Re-apply the masks after every ``optimizer.step()`` (momentum cannot revive a weight)."""
        # BEGIN SOLUTION
        step = optimizer.step

        def step_then_mask(*args, **kwargs):
            result = step(*args, **kwargs)
            self.apply()
            return result

        optimizer.step = step_then_mask
        # END SOLUTION

    @property
    def sparsity(self) -> float:
        """Fraction of the masked weights that are zero."""
        total = sum(m.size for m in self.masks.values())
        return sum(int((m == 0).sum()) for m in self.masks.values()) / max(total, 1)


# ----------------------------------------------------------------------------- reports


@dataclass
class LayerSparsity:
    name: str
    zeros: int
    total: int

    @property
    def sparsity(self) -> float:
        return self.zeros / self.total if self.total else 0.0


def sparsity_report(model: Module) -> list[LayerSparsity]:
    """Zeros per prunable weight (Linear and Conv2d), plus an ``(all)`` row."""
    rows = [
        LayerSparsity(name, int((w.data == 0).sum()), int(w.data.size))
        for name, w in prunable_weights(model).items()
    ]
    rows.append(LayerSparsity("(all)", sum(r.zeros for r in rows), sum(r.total for r in rows)))
    return rows


def sparsity_dict(rows: list[LayerSparsity]) -> list[dict]:
    return [{**asdict(r), "sparsity": r.sparsity} for r in rows]


def format_sparsity(rows: list[LayerSparsity]) -> str:
    lines = [f"{'weight':<28} {'zeros':>9} {'total':>9} {'sparsity':>9}"]
    lines += [f"{r.name[:28]:<28} {r.zeros:>9,} {r.total:>9,} {r.sparsity:>9.1%}" for r in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- structured


def unit_importance(layer: Module) -> np.ndarray:
    """The L2 norm of each output unit's weights (and bias): rows of W, filters of a conv."""
    weight = layer.weight.data.reshape(layer.weight.shape[0], -1)
    squares = (weight * weight).sum(axis=1)
    if layer.bias is not None:
        squares = squares + layer.bias.data * layer.bias.data
    return np.sqrt(squares)


def _keep_largest(importance: np.ndarray, amount: float) -> np.ndarray:
    """Sorted indices of the units kept: all but the ``amount`` fraction of least importance."""
    drop = int(round(amount * importance.size))
    drop = min(drop, importance.size - 1)  # a layer keeps at least one unit
    return np.sort(np.argsort(importance, kind="stable")[drop:])


def _slice_outputs(layer: Module, keep: np.ndarray) -> Module:
    """A copy of a Linear or Conv2d with only the output units ``keep``."""
    new = copy.deepcopy(layer)
    new.weight = Parameter(layer.weight.data[keep].copy())
    if layer.bias is not None:
        new.bias = Parameter(layer.bias.data[keep].copy())
    if isinstance(layer, Linear):
        new.out_features = int(keep.size)
    else:
        new.out_channels = int(keep.size)
    return new


def _slice_inputs(layer: Module, keep: np.ndarray, features_per_unit: int = 1) -> Module:
    """A copy of a Linear or Conv2d reading only the input units ``keep``.

    ``features_per_unit`` > 1 when a Flatten sits in between: channel c of the
    previous conv feeds inputs c * H * W ... (c + 1) * H * W - 1 of the Linear.
    """
    new = copy.deepcopy(layer)
    columns = (keep[:, None] * features_per_unit + np.arange(features_per_unit)).reshape(-1)
    new.weight = Parameter(layer.weight.data[:, columns].copy())
    if isinstance(layer, Linear):
        new.in_features = int(columns.size)
    else:
        new.in_channels = int(columns.size)
    return new


def _slice_batchnorm(norm: Module, keep: np.ndarray) -> Module:
    new = copy.deepcopy(norm)
    for name in ("weight", "bias"):
        if getattr(norm, name) is not None:
            setattr(new, name, Parameter(getattr(norm, name).data[keep].copy()))
    for name in ("running_mean", "running_var"):
        if getattr(norm, name) is not None:
            getattr(new, name).data = getattr(norm, name).data[keep].copy()
    new.num_features = int(keep.size)
    return new


def _next_weighted(layers: list[Module], start: int) -> int | None:
    for index in range(start + 1, len(layers)):
        if isinstance(layers[index], Linear) or _is_conv2d(layers[index]):
            return index
    return None


def prune_structured(
    model: Sequential, amount: float, importance: dict[int, np.ndarray] | None = None
) -> Sequential:
    """A new, smaller Sequential: each hidden Linear/Conv2d loses ``amount`` of its output units.

    Units (neurons, channels) of least L2 norm are removed, with the matching
    inputs of the next Linear/Conv2d (through a Flatten, every pixel of a removed
    channel) and the matching entries of a BatchNorm in between. The last
    weighted layer keeps its outputs (the model's outputs). Other layers
    (activations, pooling, dropout, Flatten) pass through unchanged.

    Args:
        model: a ``Sequential`` of layers.
        amount: the fraction of units to remove from each hidden layer.
        importance: optional scores per layer index (higher = keep), instead of the L2 norm.
    """
    # BEGIN SOLUTION
    if not isinstance(model, Sequential):
        raise TypeError(f"prune_structured needs a Sequential, got {type(model).__name__}")
    layers = [copy.deepcopy(m) for m in model]
    for index, layer in enumerate(layers):
        if not (isinstance(layer, Linear) or _is_conv2d(layer)):
            continue
        following = _next_weighted(layers, index)
        if following is None:
            break
        scores = importance[index] if importance and index in importance else unit_importance(layer)
        keep = _keep_largest(scores, amount)
        layers[index] = _slice_outputs(layer, keep)
        _shrink_between(layers, index, following, keep, layer.weight.shape[0])
    return Sequential(*layers)
    # END SOLUTION


def _shrink_between(
    layers: list[Module], index: int, following: int, keep: np.ndarray, units_before: int
) -> None:
    """Fix BatchNorms between two weighted layers and the inputs of the second."""
    flattened = False
    for between in range(index + 1, following):
        if _is_batchnorm(layers[between]):
            layers[between] = _slice_batchnorm(layers[between], keep)
        flattened = flattened or type(layers[between]).__name__ == "Flatten"
    nxt = layers[following]
    per_unit = nxt.in_features // units_before if flattened and isinstance(nxt, Linear) else 1
    layers[following] = _slice_inputs(nxt, keep, per_unit)


def sparse_bytes(model: Module) -> int:
    """Bytes to store the model with its pruned weights in CSR form, measured on real arrays.

    Each prunable weight, viewed as a matrix (out, in * kh * kw), becomes the
    three arrays of compressed sparse rows: its nonzero values (float32),
    their column indices (int32) and one row pointer per row plus one (int32).
    Every other parameter and buffer is stored dense. Below about 50% sparsity
    CSR is larger than the dense array: the indices cost as much as the values.
    """
    # BEGIN SOLUTION
    pruned = {id(w) for w in prunable_weights(model).values()}
    total = sum(
        t.data.nbytes for t in (*model.parameters(), *model.buffers()) if id(t) not in pruned
    )
    for weight in prunable_weights(model).values():
        matrix = weight.data.reshape(weight.shape[0], -1)
        rows, columns = np.nonzero(matrix)
        values = matrix[rows, columns].astype(np.float32)
        row_pointer = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).astype(np.int32)
        total += values.nbytes + columns.astype(np.int32).nbytes + row_pointer.nbytes
    return total
    # END SOLUTION
