"""Learning-rate schedules: closed-form values at known steps, and PyTorch's where installed."""

import math

import numpy as np
import pytest
from tinytorch.optim import SGD, Adam
from tinytorch.optim import lr_scheduler as sched
from tinytorch.tensor import Tensor


def make_optimizer(lr=0.1, cls=SGD, **options):
    return cls([Tensor(np.zeros(2, np.float32), requires_grad=True)], lr=lr, **options)


def lrs(scheduler, steps):
    """The lr at step 0 (after construction) and after each of ``steps`` calls to step()."""
    values = [scheduler.optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        values.append(scheduler.optimizer.param_groups[0]["lr"])
    return values


def test_step_lr():
    values = lrs(sched.StepLR(make_optimizer(1.0), step_size=3, gamma=0.5), 7)
    np.testing.assert_allclose(values, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_multi_step_lr():
    values = lrs(sched.MultiStepLR(make_optimizer(1.0), milestones=[4, 2], gamma=0.1), 5)
    np.testing.assert_allclose(values, [1, 1, 0.1, 0.1, 0.01, 0.01])


def test_exponential_lr():
    values = lrs(sched.ExponentialLR(make_optimizer(2.0), gamma=0.9), 4)
    np.testing.assert_allclose(values, [2 * 0.9**t for t in range(5)])


def test_cosine_annealing_hits_eta_min_at_t_max_and_half_way_at_the_middle():
    values = lrs(sched.CosineAnnealingLR(make_optimizer(1.0), T_max=10, eta_min=0.1), 10)
    assert values[0] == pytest.approx(1.0)
    assert values[5] == pytest.approx(0.55)
    assert values[10] == pytest.approx(0.1)


def test_linear_warmup_then_constant():
    values = lrs(sched.LinearLR(make_optimizer(1.0), start_factor=0.25, total_iters=3), 5)
    np.testing.assert_allclose(values, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0])


def test_lambda_lr_per_group():
    a, b = (Tensor(np.zeros(1, np.float32), requires_grad=True) for _ in range(2))
    optimizer = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    scheduler = sched.LambdaLR(optimizer, [lambda t: t + 1, lambda t: 0.5**t])
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.3, 0.25])


def test_sequential_warmup_then_cosine():
    optimizer = make_optimizer(1.0)
    warmup = sched.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    cosine = sched.CosineAnnealingLR(optimizer, T_max=6, eta_min=0.0)
    scheduler = sched.SequentialLR(optimizer, [warmup, cosine], milestones=[4])
    values = lrs(scheduler, 10)
    expected = [0.1 + 0.9 * t / 4 for t in range(4)]
    expected += [0.5 * (1 + math.cos(math.pi * t / 6)) for t in range(7)]
    np.testing.assert_allclose(values, expected, atol=1e-12)


def test_sequential_hands_over_exactly_at_the_milestone():
    """Two schedules that do not meet at the switch: step 3 must be the second one's step 0
    (a warmup that ends at the cosine's start hides an off-by-one at the milestone)."""
    optimizer = make_optimizer(1.0)
    first, second = sched.ExponentialLR(optimizer, 0.5), sched.ExponentialLR(optimizer, 0.9)
    scheduler = sched.SequentialLR(optimizer, [first, second], milestones=[3])
    expected = [1.0, 0.5, 0.25, 1.0, 0.9, 0.81]
    np.testing.assert_allclose(lrs(scheduler, 5), expected, rtol=1e-12)
    scheduler.last_epoch = 2
    assert scheduler.current() == (first, 2)
    scheduler.last_epoch = 3
    assert scheduler.current() == (second, 0)


def test_reduce_on_plateau_counts_every_call_as_an_epoch():
    plateau = sched.ReduceLROnPlateau(make_optimizer(0.2), patience=1)
    for loss in [3.0, 2.0, 2.0, 2.0]:
        plateau.step(loss)
    assert plateau.last_epoch == 4 and plateau.best == 2.0


def test_one_cycle_starts_low_peaks_at_pct_start_and_ends_far_below():
    scheduler = sched.OneCycleLR(make_optimizer(0.123, momentum=0.9), max_lr=1.0, total_steps=100)
    values = lrs(scheduler, 99)
    assert values[0] == pytest.approx(1.0 / 25)
    assert values[29] == pytest.approx(1.0)
    assert max(values) == pytest.approx(1.0)
    assert values[99] == pytest.approx(1.0 / 25 / 1e4)
    assert scheduler.optimizer.param_groups[0]["momentum"] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="total_steps"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_cycles_adams_beta1():
    optimizer = make_optimizer(cls=Adam)
    scheduler = sched.OneCycleLR(optimizer, max_lr=0.01, epochs=2, steps_per_epoch=5)
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.999)
    for _ in range(2):  # the peak: step pct_start * total - 1 = 2
        scheduler.step()
    assert optimizer.param_groups[0]["betas"][0] == pytest.approx(0.85)
    assert scheduler.get_last_lr() == pytest.approx([0.01])


def test_reduce_on_plateau_waits_patience_then_cools_down():
    optimizer = make_optimizer(1.0)
    scheduler = sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1)
    seen = []
    for loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]:
        scheduler.step(loss)
        seen.append(optimizer.param_groups[0]["lr"])
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_reduce_on_plateau_max_mode_and_min_lr():
    optimizer = make_optimizer(1.0)
    scheduler = sched.ReduceLROnPlateau(optimizer, mode="max", factor=0.1, patience=0, min_lr=0.05)
    for accuracy in [0.5, 0.4, 0.4, 0.4]:
        scheduler.step(accuracy)
    assert scheduler.get_last_lr() == [0.05]



@pytest.mark.parametrize(("mode", "threshold_mode", "metrics"), [
    ("min", "rel", [10.0, 5.0, 4.0]),     # better only below best * (1 - threshold) = 5
    ("min", "abs", [10.0, 9.5, 9.0]),     # better only below best - threshold = 9.5
    ("max", "rel", [10.0, 15.0, 16.0]),   # better only above best * (1 + threshold) = 15
    ("max", "abs", [10.0, 10.5, 11.0]),   # better only above best + threshold = 10.5
])
def test_reduce_on_plateau_threshold_modes(mode, threshold_mode, metrics):
    """The second metric sits exactly on the threshold (not an improvement), the third
    beyond it; each pair of numbers would count the other way under another mode."""
    scheduler = sched.ReduceLROnPlateau(make_optimizer(1.0), mode=mode, factor=0.5,
                                        patience=0, threshold=0.5,
                                        threshold_mode=threshold_mode)
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == [1.0, 0.5, 0.5]

@pytest.mark.parametrize(
    "build",
    [
        lambda o: sched.StepLR(o, 2),
        lambda o: sched.CosineAnnealingLR(o, 7),
        lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=20),
        lambda o: sched.SequentialLR(
            o, [sched.LinearLR(o, 0.1, total_iters=3), sched.ExponentialLR(o, 0.9)], milestones=[3]
        ),
    ],
)
def test_state_dict_resumes_the_schedule(build):
    straight = build(make_optimizer(1.0, momentum=0.9))
    expected = lrs(straight, 12)[6:]
    first = build(make_optimizer(1.0, momentum=0.9))
    lrs(first, 6)
    saved = first.state_dict()
    resumed_optimizer = make_optimizer(1.0, momentum=0.9)
    resumed = build(resumed_optimizer)
    resumed.load_state_dict(saved)
    resumed_optimizer.param_groups[0]["lr"] = first.optimizer.param_groups[0]["lr"]
    np.testing.assert_allclose(lrs(resumed, 6), expected)


def test_reduce_on_plateau_state_round_trip():
    first = sched.ReduceLROnPlateau(make_optimizer(1.0), patience=2)
    for loss in (1.0, 2.0, 2.0):
        first.step(loss)
    second = sched.ReduceLROnPlateau(make_optimizer(1.0), patience=2)
    second.load_state_dict(first.state_dict())
    assert (second.best, second.num_bad_epochs) == (1.0, 2)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="one milestone between each two"):
        optimizer = make_optimizer()
        sched.SequentialLR(optimizer, [sched.StepLR(optimizer, 2)], milestones=[3])
    with pytest.raises(ValueError, match="total_steps, or both epochs"):
        sched.OneCycleLR(make_optimizer(momentum=0.9), max_lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(make_optimizer(), 2, last_epoch=5)


# ---------------------------------------------------------------------- PyTorch as the oracle

TORCH_CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=8, eta_min=0.01)),
    ("LinearLR", dict(start_factor=0.05, end_factor=0.8, total_iters=7)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=30)),
    (
        "OneCycleLR",
        dict(
            max_lr=0.5,
            epochs=3,
            steps_per_epoch=10,
            three_phase=True,
            anneal_strategy="linear",
            pct_start=0.25,
        ),
    ),
]


@pytest.mark.parametrize("name, options", TORCH_CASES, ids=[n for n, _ in TORCH_CASES])
def test_schedule_values_match_torch(name, options):
    torch = pytest.importorskip("torch")
    ours = getattr(sched, name)(make_optimizer(0.2, momentum=0.9), **options)
    param = torch.zeros(2, requires_grad=True)
    their_optimizer = torch.optim.SGD([param], lr=0.2, momentum=0.9)
    theirs = getattr(torch.optim.lr_scheduler, name)(their_optimizer, **options)
    for _ in range(29):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-9)
        assert ours.optimizer.param_groups[0]["momentum"] == pytest.approx(
            their_optimizer.param_groups[0]["momentum"]
        )
        ours.step()
        their_optimizer.step()
        theirs.step()


def test_sequential_and_plateau_match_torch():
    torch = pytest.importorskip("torch")
    optimizer = make_optimizer(0.2)
    ours = sched.SequentialLR(
        optimizer,
        [
            sched.LinearLR(optimizer, 0.01, total_iters=5),
            sched.CosineAnnealingLR(optimizer, 10, 0.001),
        ],
        [5],
    )
    param = torch.zeros(2, requires_grad=True)
    topt = torch.optim.SGD([param], lr=0.2)
    tsched = torch.optim.lr_scheduler
    theirs = tsched.SequentialLR(
        topt,
        [tsched.LinearLR(topt, 0.01, total_iters=5), tsched.CosineAnnealingLR(topt, 10, 0.001)],
        [5],
    )
    for _ in range(15):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-9)
        topt.step()
        ours.step()
        theirs.step()

    plateau = sched.ReduceLROnPlateau(make_optimizer(0.2), patience=2, cooldown=1, factor=0.5)
    topt = torch.optim.SGD([param], lr=0.2)
    tplateau = tsched.ReduceLROnPlateau(topt, patience=2, cooldown=1, factor=0.5)
    for loss in [3, 2, 2, 2, 2, 2, 1.9999, 2, 2, 2, 2, 1, 1, 1, 1, 1]:
        plateau.step(loss)
        tplateau.step(loss)
        assert plateau.get_last_lr() == pytest.approx(tplateau.get_last_lr())


def test_reduce_on_plateau_without_cooldown_counts_bad_epochs_afresh_after_a_reduction():
    """patience=1: two bad epochs reduce; the count restarts, so the next reduction
    needs two more, not one."""
    optimizer = SGD([Tensor(np.zeros(1, np.float32), requires_grad=True)], lr=1.0)
    plateau = sched.ReduceLROnPlateau(optimizer, patience=1, factor=0.5, cooldown=0)
    lrs = []
    for _ in range(7):
        plateau.step(1.0)
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
