"""Learning-rate schedules (``tinytorch.optim.lr_scheduler``), as in ``torch.optim.lr_scheduler``.

A scheduler sets ``group["lr"]`` of each of its optimizer's param groups.
Build it after the optimizer; call ``scheduler.step()`` after
``optimizer.step()``, once per epoch (or once per batch, for per-step
schedules such as OneCycleLR or a warmup). ``last_epoch`` counts those calls.

Each schedule here is written in closed form, ``lr_at(base_lr, t)``: the
learning rate after ``t`` calls to ``step()``, where ``base_lr`` is the
group's ``"initial_lr"`` (its lr when the first scheduler was built). The
values equal PyTorch's. Unlike PyTorch's chainable forms, a closed form
overwrites an lr you set by hand; combine schedules with ``SequentialLR``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any


class LRScheduler:
    """Base class: keeps ``base_lrs`` and ``last_epoch`` and writes the lr of every group.

    Subclasses define ``lr_at``. Building a scheduler performs its first
    step (``last_epoch`` becomes 0), so the optimizer's lr already holds the
    schedule's value at step 0.
    """

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: param group {index} has no 'initial_lr'; resuming "
                    f"with last_epoch={last_epoch} needs a schedule that was already running "
                    "(or build with last_epoch=-1)"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self.step()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"

    def lr_at(self, base_lr: float, t: int) -> float:
        """The learning rate after ``t`` steps, for a group whose initial lr is ``base_lr``."""
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(base_lr, t)")

    def get_lr(self) -> list[float]:
        """The schedule's lr for every group at the current ``last_epoch``."""
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def get_last_lr(self) -> list[float]:
        """The lr of every group as last set by this scheduler."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or jump to step ``epoch``) and write the new lr into every group."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions, which cannot be saved)."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key != "optimizer" and not callable(value) and key != "lr_lambdas"
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved (lists come back as lists)."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(t); one function, or one per param group."""

    def __init__(
        self,
        optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable],
        last_epoch: int = -1,
    ) -> None:
        groups = len(optimizer.param_groups)
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != groups:
                raise ValueError(
                    f"LambdaLR: got {len(self.lr_lambdas)} lr_lambdas for {groups} param groups; "
                    "pass one function, or one per group"
                )
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base * fn(self.last_epoch)
            for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)
        ]


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` steps.

    $$
    \eta_t = \eta_0 \gamma^{\lfloor t / \text{step\_size} \rfloor}
    $$
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    r"""Decay by ``gamma`` at each milestone: $\eta_t = \eta_0 \gamma^{\#\{m \le t\}}$."""

    def __init__(
        self, optimizer, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1
    ):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every step: $\eta_t = \eta_0 \gamma^t$."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    r"""Half a cosine from the base lr down to ``eta_min`` over ``T_max`` steps.

    ``lr_at(base_lr, 0)`` is ``base_lr``, ``lr_at(base_lr, T_max)`` is ``eta_min``,
    half-way it is their mean, and the curve is the cosine's between 0 and pi
    (flat at both ends, steepest in the middle). Past ``T_max`` the cosine
    continues (it rises again), as in PyTorch, whose values the tests compare.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        # BEGIN SOLUTION
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine
        # END SOLUTION


class LinearLR(LRScheduler):
    r"""Scale the lr linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    $$
    \eta_t = \eta_0 \left(s + (e - s) \frac{\min(t, T)}{T}\right)
    $$

    With ``start_factor < 1`` and ``end_factor = 1`` this is a linear warmup.
    """

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(
                f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got "
                f"{start_factor} and {end_factor}"
            )
        if total_iters < 1:
            raise ValueError(f"LinearLR: total_iters must be a positive int, got {total_iters}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, t: int) -> float:
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the steps in ``milestones``.

    ``SequentialLR(opt, [LinearLR(opt, 0.01, total_iters=100), CosineAnnealingLR(opt, 900)],
    milestones=[100])`` warms up for 100 steps, then anneals; each scheduler
    counts its steps from 0 when it takes over.
    """

    def __init__(
        self,
        optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ):
        if len(schedulers) < 1 or len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected one milestone between each two schedulers, got "
                f"{len(schedulers)} schedulers and milestones {list(milestones)}"
            )
        for index, scheduler in enumerate(schedulers):
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR: scheduler {index} ({type(scheduler).__name__}) drives a "
                    "different optimizer than the one given"
                )
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        super().__init__(optimizer, last_epoch)

    def current(self) -> tuple[LRScheduler, int]:
        """The scheduler in charge at ``last_epoch`` and how many steps it has run.

        Scheduler ``i`` takes over at step ``milestones[i - 1]`` (the first at step 0)
        and counts its own steps from 0 there: with milestones [100], step 99 is
        ``(schedulers[0], 99)`` and step 100 is ``(schedulers[1], 0)``.
        """
        # BEGIN SOLUTION
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        start = self._milestones[index - 1] if index > 0 else 0
        return self._schedulers[index], self.last_epoch - start
        # END SOLUTION

    def step(self, epoch: int | None = None) -> None:
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        scheduler, local_step = self.current()
        scheduler.step(local_step)
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state.pop("_schedulers"), strict=True):
            scheduler.load_state_dict(saved)
        super().load_state_dict(state)


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith, 2018): warm up to ``max_lr``, then anneal far below the start.

    Over ``total_steps`` (or ``epochs * steps_per_epoch``) steps, with
    $\eta_{start} = \eta_{max} / \text{div\_factor}$ and
    $\eta_{end} = \eta_{start} / \text{final\_div\_factor}$:

    - steps 0 .. ``pct_start * total - 1``: $\eta_{start} \to \eta_{max}$,
    - up to step ``total - 1``: $\eta_{max} \to \eta_{end}$,

    each by a half cosine (or linearly with ``anneal_strategy="linear"``);
    ``three_phase=True`` comes back down to $\eta_{start}$ symmetrically
    before the final descent. With ``cycle_momentum`` the momentum (or Adam's
    beta1) moves the opposite way, between ``max_momentum`` and ``base_momentum``.
    Step it once per batch. The optimizer's own lr is ignored, as in PyTorch.
    """

    def __init__(
        self,
        optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        self.total_steps = one_cycle_total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        self.phases = one_cycle_phases(self.total_steps, pct_start, three_phase)
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(
                f"OneCycleLR: got {len(max_lrs)} max_lr values for {len(groups)} param groups"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError(
                "OneCycleLR: cycle_momentum=True needs an optimizer with momentum or betas"
            )
        for group, peak in zip(groups, max_lrs, strict=True):
            if last_epoch == -1:
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    group["max_momentum"] = max_momentum
                    group["base_momentum"] = base_momentum
                    self.set_momentum(group, max_momentum)
        super().__init__(optimizer, last_epoch)

    def set_momentum(self, group: dict, momentum: float) -> None:
        """Write the cycled momentum: Adam's beta1, or SGD's momentum."""
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def anneal(self, start: float, end: float, pct: float) -> float:
        """From ``start`` (pct = 0) to ``end`` (pct = 1): half a cosine, or a straight line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times but total_steps is {self.total_steps}; "
                "step it once per batch and size it with epochs and steps_per_epoch"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            lr, momentum = self.lr_and_momentum(group, step)
            lrs.append(lr)
            if self.cycle_momentum:
                self.set_momentum(group, momentum)
        return lrs

    def lr_and_momentum(self, group: dict, step: int) -> tuple[float, float]:
        """The lr and momentum of ``group`` at ``step``: interpolate inside the current phase."""
        start_step = 0.0
        for index, phase in enumerate(self.phases):
            end_step = phase["end_step"]
            if step <= end_step or index == len(self.phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                lr = self.anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                momentum = self.anneal(
                    group.get(phase["start_momentum"], 0.0),
                    group.get(phase["end_momentum"], 0.0),
                    pct,
                )
                return lr, momentum
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")


def one_cycle_total_steps(total_steps, epochs, steps_per_epoch) -> int:
    """``total_steps``, or ``epochs * steps_per_epoch``; one of the two must be given."""
    if total_steps is not None:
        if total_steps < 1:
            raise ValueError(f"OneCycleLR: total_steps must be a positive int, got {total_steps}")
        return int(total_steps)
    if epochs is None or steps_per_epoch is None or epochs < 1 or steps_per_epoch < 1:
        raise ValueError(
            "OneCycleLR: give total_steps, or both epochs and steps_per_epoch (positive ints), "
            f"got total_steps={total_steps}, epochs={epochs}, steps_per_epoch={steps_per_epoch}"
        )
    return int(epochs * steps_per_epoch)


def one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list[dict]:
    """Where each phase ends and which group keys it interpolates between."""
    up = float(pct_start * total_steps) - 1

    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return dict(
            end_step=end_step,
            start_lr=start_lr,
            end_lr=end_lr,
            start_momentum=start_momentum,
            end_momentum=end_momentum,
        )

    if three_phase:
        return [
            phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            phase(2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
            phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]
    return [
        phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
        phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
    ]


class ReduceLROnPlateau:
    """Divide the lr by ``1/factor`` when a metric has stopped improving for ``patience`` epochs.

    Call ``scheduler.step(metric)`` once per epoch with the validation loss
    (``mode="min"``) or accuracy (``mode="max"``). An improvement must beat
    the best value so far by ``threshold`` (relative: ``best * (1 -+ threshold)``,
    or absolute: ``best -+ threshold``). After a reduction, ``cooldown`` epochs
    pass before bad epochs count again; the lr never goes below ``min_lr``.
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode 'rel' or "
                f"'abs', got {mode!r} and {threshold_mode!r}"
            )
        groups = optimizer.param_groups
        self.optimizer = optimizer
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return value < best * (1 - self.threshold)
        if self.mode == "min":
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (1 + self.threshold)
        return value > best + self.threshold

    def step(self, metrics: float) -> None:
        """Record this epoch's metric; reduce the lr after more than ``patience`` bad epochs.

        Each call counts one epoch (``last_epoch``). A metric that ``is_better``
        (given) than ``best`` becomes the new ``best`` and resets ``num_bad_epochs``
        to 0; any other counts one bad epoch. While ``cooldown_counter`` is above 0
        (the epochs right after a reduction) it counts down and bad epochs do not
        count (``num_bad_epochs`` stays 0). When ``num_bad_epochs`` exceeds
        ``patience``, ``reduce_lr()`` (given), then the cooldown starts
        (``cooldown_counter = cooldown``) and ``num_bad_epochs`` goes back to 0.
        The values match PyTorch's scheduler epoch by epoch.
        """
        # BEGIN SOLUTION
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self.reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        # END SOLUTION
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def reduce_lr(self) -> None:
        """lr <- max(lr * factor, min_lr), skipping changes smaller than eps."""
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:
                group["lr"] = new_lr

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
