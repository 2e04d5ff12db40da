"""Profiling: where a model's parameters, FLOPs, activation memory and time go.

Two tools, both built on tt-tensor's op hook
(``tinytorch.tensor.dispatch.register_op_hook``), which sees every op of the op
table and every autograd ``Function`` with its inputs, parameters, outputs
and the seconds it took:

- ``profile()``: a context manager recording which ops ran, how often, how
  long they took in total and how many FLOPs they did:

  ```python
  with profile() as prof:
      loss = model(x).sum(); loss.backward()
  print(prof.table())
  ```

- ``profile_model(model, input)``: one row per module. While the model runs,
  each module's ``forward`` (and the attention entry points ``project_qkv`` and
  ``attend``) is wrapped for the duration of the call, so that every observed
  op is attributed to the innermost module on the call stack. Per row: the
  parameters the module owns, forward and backward FLOPs (``flops.op_flops``),
  activation memory and measured latency; plus the whole model's latency
  (warm-up, repeats, median and the 25th-75th percentile spread).

Activation memory is what the recorded graph keeps for backward: the arrays a
``Function`` saved (``ctx.saved_tensors``) and the outputs of op-table ops
(which the op-table contract lets a backward rule read), parameters excluded,
each array counted once.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
from tinytorch.autograd import is_grad_enabled, no_grad
from tinytorch.nn import Module
from tinytorch.tensor import Tensor, dispatch

from .flops import op_flops

ENTRY_METHODS = ("forward", "project_qkv", "attend")  # methods that enter a module's code


# ----------------------------------------------------------------------------- profile()


@dataclass
class OpStats:
    """Totals for one op name inside a ``profile()`` block."""

    name: str
    count: int = 0
    seconds: float = 0.0
    forward_flops: int = 0

    @property
    def gflops_per_second(self) -> float:
        return self.forward_flops / self.seconds / 1e9 if self.seconds > 0 else 0.0


@dataclass
class OpProfile:
    """What ran inside a ``profile()`` block: one ``OpStats`` per op name."""

    ops: dict[str, OpStats] = field(default_factory=dict)

    def add(self, name: str, seconds: float, flops: int) -> None:
        stats = self.ops.setdefault(name, OpStats(name))
        stats.count += 1
        stats.seconds += seconds
        stats.forward_flops += flops

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.ops.values())

    @property
    def total_flops(self) -> int:
        return sum(s.forward_flops for s in self.ops.values())

    def sorted(self) -> list[OpStats]:
        """Ops from the most to the least time spent."""
        return sorted(self.ops.values(), key=lambda s: s.seconds, reverse=True)

    def to_dict(self) -> dict:
        return {
            "total_seconds": self.total_seconds,
            "total_flops": self.total_flops,
            "ops": [asdict(s) for s in self.sorted()],
        }

    def table(self) -> str:
        header = (
            f"{'op':<36} {'count':>7} {'total ms':>10} {'share':>7} {'MFLOP':>10} {'GFLOP/s':>8}"
        )
        lines = [header, "-" * len(header)]
        total = self.total_seconds or 1.0
        for s in self.sorted():
            lines.append(
                f"{s.name[:36]:<36} {s.count:>7} {s.seconds * 1e3:>10.3f} "
                f"{s.seconds / total:>7.1%} {s.forward_flops / 1e6:>10.3f} "
                f"{s.gflops_per_second:>8.2f}"
            )
        lines.append(
            f"{'total':<36} {sum(s.count for s in self.ops.values()):>7} "
            f"{self.total_seconds * 1e3:>10.3f} {'':>7} {self.total_flops / 1e6:>10.3f}"
        )
        return "\n".join(lines)


@contextmanager
def profile() -> Iterator[OpProfile]:
    """Record every op that runs inside the block: name, count, seconds and FLOPs."""
    # BEGIN SOLUTION
    result = OpProfile()

    def observe(name, inputs, params, outputs, seconds):
        result.add(name, seconds, op_flops(name, inputs, params, outputs)[0])

    with dispatch.register_op_hook(observe):
        yield result
    # END SOLUTION


# ----------------------------------------------------------------------------- attribution


class ModuleTracer:
    """Attributes observed ops to the innermost module whose code is running.

    ``attach()`` wraps the entry methods of every module of ``model`` (an
    instance attribute shadowing the class's method); ``detach()`` removes
    the wrappers, leaving the model exactly as it was.
    """

    def __init__(self, model: Module) -> None:
        self.names = {id(m): name or "(model)" for name, m in model.named_modules()}
        self.modules = list(model.modules())
        self.stack: list[str] = []

    @property
    def current(self) -> str:
        return self.stack[-1] if self.stack else "(outside)"

    def _wrap(self, module: Module, method_name: str):
        method = getattr(module, method_name)
        name = self.names[id(module)]

        def entered(*args, **kwargs):
            self.stack.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                self.stack.pop()

        return entered

    def attach(self) -> None:
        for module in self.modules:
            for method_name in ENTRY_METHODS:
                if callable(getattr(type(module), method_name, None)):
                    object.__setattr__(module, method_name, self._wrap(module, method_name))

    def detach(self) -> None:
        for module in self.modules:
            for method_name in ENTRY_METHODS:
                module.__dict__.pop(method_name, None)


@contextmanager
def traced(model: Module, observer) -> Iterator[ModuleTracer]:
    """Call ``observer(module_name, op_name, inputs, params, outputs, seconds)`` for every op."""
    tracer = ModuleTracer(model)

    def observe(name, inputs, params, outputs, seconds):
        observer(tracer.current, name, inputs, params, outputs, seconds)

    tracer.attach()
    try:
        with dispatch.register_op_hook(observe):
            yield tracer
    finally:
        tracer.detach()


# ----------------------------------------------------------------------------- profile_model


@dataclass
class LayerProfile:
    """One module's share of a forward pass (ops attributed to it directly)."""

    name: str
    kind: str
    parameters: int = 0
    ops: int = 0
    forward_flops: int = 0
    backward_flops: int = 0
    activation_bytes: int = 0
    latency_ms: float = 0.0  # median over repeats of the time its ops took


@dataclass
class ModelProfile:
    """A model's profile: one row per module that owns parameters or ran ops, and totals."""

    model: str
    input_shape: tuple[int, ...]
    layers: list[LayerProfile]
    parameters: int
    parameter_bytes: int
    latency_ms: float
    latency_p25_ms: float
    latency_p75_ms: float
    repeats: int

    @property
    def forward_flops(self) -> int:
        return sum(layer.forward_flops for layer in self.layers)

    @property
    def backward_flops(self) -> int:
        return sum(layer.backward_flops for layer in self.layers)

    @property
    def activation_bytes(self) -> int:
        return sum(layer.activation_bytes for layer in self.layers)

    def layer(self, name: str) -> LayerProfile:
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise KeyError(f"no layer named {name!r}; layers are {names}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(
            forward_flops=self.forward_flops,
            backward_flops=self.backward_flops,
            activation_bytes=self.activation_bytes,
        )
        return data

    def table(self) -> str:
        header = (
            f"{'layer':<26} {'kind':<20} {'params':>9} {'fwd MFLOP':>10} {'bwd MFLOP':>10} "
            f"{'act KiB':>9} {'ms':>8}"
        )
        lines = [f"{self.model}, input {self.input_shape}", header, "-" * len(header)]
        for r in self.layers:
            lines.append(
                f"{r.name[:26]:<26} {r.kind[:20]:<20} {r.parameters:>9,} "
                f"{r.forward_flops / 1e6:>10.3f} {r.backward_flops / 1e6:>10.3f} "
                f"{r.activation_bytes / 1024:>9.1f} {r.latency_ms:>8.3f}"
            )
        lines.append("-" * len(header))
        lines.append(
            f"{'total':<26} {'':<20} {self.parameters:>9,} {self.forward_flops / 1e6:>10.3f} "
            f"{self.backward_flops / 1e6:>10.3f} {self.activation_bytes / 1024:>9.1f} "
            f"{self.latency_ms:>8.3f}"
        )
        lines.append(
            f"forward latency {self.latency_ms:.3f} ms (median of {self.repeats}, "
            f"p25-p75 {self.latency_p25_ms:.3f}-{self.latency_p75_ms:.3f} ms); "
            f"parameters {self.parameter_bytes / 1024:.1f} KiB"
        )
        return "\n".join(lines)


def as_input(example, seed: int = 0):
    """A shape tuple becomes a seeded float32 N(0, 1) Tensor; arrays and Tensors pass through."""
    if isinstance(example, tuple) and all(isinstance(s, int) for s in example):
        rng = np.random.default_rng(seed)
        return Tensor(rng.standard_normal(example).astype(np.float32))
    return example


def _shape_of(example) -> tuple[int, ...]:
    return tuple(getattr(example, "shape", ()))


def saved_arrays(outputs: tuple, parameter_ids: set[int]) -> list[np.ndarray]:
    """The arrays the graph keeps for the backward of the op that made ``outputs``."""
    node = next((o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn), None)
    if node is None or node.ctx is None:
        return []
    saved = getattr(node.ctx, "saved_tensors", None)
    arrays = list(saved) if saved is not None else [o.data for o in outputs]
    return [a for a in arrays if isinstance(a, np.ndarray) and id(a) not in parameter_ids]


def _layer_rows(model: Module) -> dict[str, LayerProfile]:
    rows = {}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows[name or "(model)"] = LayerProfile(name or "(model)", type(module).__name__, own)
    return rows


def _count_ops(model: Module, example, rows: dict[str, LayerProfile]) -> None:
    """One forward with gradients enabled: FLOPs and activation bytes per module."""
    parameter_ids = {id(p.data) for p in model.parameters()}
    seen: set[int] = set()

    def observe(module, name, inputs, params, outputs, seconds):
        row = rows.setdefault(module, LayerProfile(module, "(ops outside modules)"))
        forward, backward = op_flops(name, inputs, params, outputs)
        row.ops += 1
        row.forward_flops += forward
        row.backward_flops += backward if is_grad_enabled() else 0
        for array in saved_arrays(outputs, parameter_ids):
            if id(array) not in seen:
                seen.add(id(array))
                row.activation_bytes += array.nbytes

    with traced(model, observe):
        model(example)


def _seconds_per_module(model: Module, example) -> dict[str, float]:
    """One forward: the seconds of the ops attributed to each module."""
    seconds: dict[str, float] = {}

    def observe(module, name, inputs, params, outputs, took):
        seconds[module] = seconds.get(module, 0.0) + took

    with traced(model, observe):
        model(example)
    return seconds


def _time_layers(model: Module, example, rows: dict[str, LayerProfile], repeats: int) -> None:
    """Per module: the median over ``repeats`` forwards of the seconds its ops took."""
    runs = [_seconds_per_module(model, example) for _ in range(repeats)]
    for name, row in rows.items():
        row.latency_ms = statistics.median(run.get(name, 0.0) for run in runs) * 1e3


def measure_latency(fn, repeats: int = 20, warmup: int = 3) -> tuple[float, float, float]:
    """(median, p25, p75) milliseconds of ``fn()`` after ``warmup`` calls."""
    # BEGIN SOLUTION
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    if len(times) == 1:
        return times[0], times[0], times[0]
    quartiles = statistics.quantiles(times, n=4)
    return statistics.median(times), quartiles[0], quartiles[2]
    # END SOLUTION


def parameter_bytes(model: Module) -> int:
    """Bytes of every parameter and buffer (quantized layers keep int8 weights as buffers)."""
    tensors = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return sum(t.data.nbytes for t in tensors.values())


def profile_model(
    model: Module, example, repeats: int = 20, warmup: int = 3, name: str | None = None
) -> ModelProfile:
    """Profile ``model`` on ``example`` (a Tensor, an array of token ids, or an input shape).

    FLOPs and activation memory come from one forward with gradients enabled
    (training mode off, so dropout does not change the work); latency from
    ``repeats`` forwards under ``no_grad`` after ``warmup`` calls.
    """
    example = as_input(example)
    was_training = model.training
    model.eval()
    try:
        rows = _layer_rows(model)
        _count_ops(model, example, rows)
        with no_grad():
            _time_layers(model, example, rows, max(3, repeats // 4))
            median, p25, p75 = measure_latency(lambda: model(example), repeats, warmup)
    finally:
        model.train(was_training)
    kept = [r for r in rows.values() if r.parameters or r.ops]
    return ModelProfile(
        name or type(model).__name__,
        _shape_of(example),
        kept,
        model.num_parameters(),
        parameter_bytes(model),
        median,
        p25,
        p75,
        repeats,
    )
