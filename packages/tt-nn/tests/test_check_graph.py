"""check_graph on tinytorch.nn Modules: planted bugs (a re-wrapping layer, an unused parameter)."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.autograd import check_graph
from tinytorch.tensor import Tensor, manual_seed


class Rewrap(nn.Module):
    """The bug: a layer that re-wraps its input's array, cutting everything before it off."""

    def forward(self, x):
        return Tensor(x.data)


class CopiedWeight(nn.Module):
    """The bug: the forward uses a copy of its weight taken from ``.data``."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.arange(6, dtype=np.float32).reshape(3, 2))

    def forward(self, x):
        return x @ Tensor(self.weight.data)


class WithUnused(nn.Module):
    """The bug: a parameter the forward never uses."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.forgotten = nn.Parameter(np.ones(2, dtype=np.float32))

    def forward(self, x):
        return self.fc(x)


def batch():
    manual_seed(0)
    rng = np.random.default_rng(0)
    return Tensor(rng.normal(size=(5, 3)).astype(np.float32)), Tensor(np.arange(5) % 2)


def loss_of(model):
    x, y = batch()
    return nn.CrossEntropyLoss()(model(x), y)


def by_parameter(report):
    return {problem.parameter: problem for problem in report.problems}


def test_a_healthy_model_passes_and_gets_its_gradients():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    report = check_graph(model, loss_of(model))
    assert report.ok and report.checked == 4
    assert "all 4 parameters" in str(report)
    assert all(p.grad is not None for p in model.parameters())  # backward ran


def test_a_rewrapping_layer_names_the_parameters_cut_off_before_it():
    model = nn.Sequential(nn.Linear(3, 4), Rewrap(), nn.Linear(4, 2))
    report = check_graph(model, loss_of(model))
    problems = by_parameter(report)
    assert set(problems) == {"0.weight", "0.bias"}
    assert problems["0.weight"].module == "0 (Linear)"
    assert problems["0.weight"].kind == "no gradient"
    text = str(report)
    assert "2 of 4 parameters" in text and "'0.weight' of module 0 (Linear)" in text
    assert "Tensor(x.data)" in text
    assert model[2].weight.grad is not None  # the rest still learns


def test_a_weight_used_through_data_is_reported_as_cut():
    model = nn.Sequential(nn.Linear(3, 3), CopiedWeight())
    report = check_graph(model, loss_of(model))
    (problem,) = report.problems
    assert (problem.parameter, problem.module, problem.kind) == ("1.weight", "1 (CopiedWeight)",
                                                                 "cut")
    assert "Tensor(p.data)" in str(problem)


def test_an_unused_parameter_is_named_with_its_module():
    model = WithUnused()
    report = check_graph(model, loss_of(model))
    (problem,) = report.problems
    assert problem.parameter == "forgotten" and problem.module == "<root> (WithUnused)"
    assert problem.kind == "no gradient"


def test_an_all_zero_gradient_is_reported():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[0].bias.data[...] = -100.0  # every ReLU dead: nothing flows back into layer 0
    report = check_graph(model, loss_of(model))
    problems = by_parameter(report)
    assert set(problems) == {"0.weight", "0.bias", "2.weight"}  # 2.weight sees zero inputs
    assert {p.kind for p in problems.values()} == {"zero gradient"}


def test_frozen_parameters_are_not_reported():
    model = WithUnused()
    model.forgotten.requires_grad = False
    assert check_graph(model, loss_of(model)).ok


def test_a_mapping_of_raw_tensors_works_and_a_freed_graph_is_an_error():
    w = Tensor(np.ones((3, 1), dtype=np.float32), requires_grad=True)
    unused = Tensor(np.ones(1, dtype=np.float32), requires_grad=True)
    x, _ = batch()
    loss = (x @ w).sum()
    report = check_graph({"w": w, "unused": unused}, loss)
    assert [p.parameter for p in report.problems] == ["unused"]
    assert report.problems[0].module == ""
    with pytest.raises(RuntimeError, match="in place of loss.backward"):
        check_graph({"w": w}, loss)
    report = check_graph({"w": w}, Tensor(1.0))  # no graph at all: nothing learns
    assert [p.kind for p in report.problems] == ["no gradient"]
    with pytest.raises(TypeError, match="a Module .* or a mapping"):
        check_graph([w], (x @ w).sum())
