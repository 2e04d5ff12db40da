"""check_graph on raw tensors: unused, cut-out and zero-gradient parameters are named."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.autograd import check_graph
from tinytorch.tensor import Tensor


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float32), requires_grad=True)


X = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32))


def test_a_model_that_uses_every_parameter_is_ok_and_backward_ran():
    w, b = leaf([[1.0], [2.0]]), leaf([0.5])
    report = check_graph({"w": w, "b": b}, ((X @ w + b) ** 2).mean())
    assert report.ok and report.checked == 2
    np.testing.assert_allclose(b.grad.numpy(), [2 * np.mean(X.numpy() @ [1.0, 2.0] + 0.5)])


def test_a_rewrapped_parameter_is_reported_as_cut():
    w, b = leaf([[1.0], [2.0]]), leaf([0.5])
    hidden = (X * b) @ Tensor(w.data)         # the bug: w only as a copy of its array
    (problem,) = check_graph({"w": w, "b": b}, (hidden ** 2).mean()).problems
    assert (problem.parameter, problem.kind, problem.module) == ("w", "cut", "")
    assert "Tensor(p.data)" in str(problem)
    assert w.grad is None and b.grad is not None


def test_an_unused_and_a_zero_gradient_parameter_are_reported():
    w, unused, dead = leaf([[1.0], [2.0]]), leaf([1.0]), leaf([-50.0])
    loss = (X @ w).sum() + (dead.relu() * 3).sum()  # relu(-50) passes no gradient back
    problems = {p.parameter: p.kind for p in check_graph(
        {"w": w, "unused": unused, "dead": dead}, loss).problems}
    assert problems == {"unused": "no gradient", "dead": "zero gradient"}


def test_modules_are_named_through_named_modules():
    w, b = leaf([[1.0], [2.0]]), leaf([0.5])

    class Layer:
        def named_parameters(self, prefix="", recurse=True):
            return iter([(f"{prefix}.weight" if prefix else "weight", w),
                         (f"{prefix}.bias" if prefix else "bias", b)])

    class Model:
        layer = Layer()

        def named_parameters(self, prefix="", recurse=True):
            return self.layer.named_parameters(prefix="fc") if recurse else iter([])

        def named_modules(self):
            return iter([("", self), ("fc", self.layer)])

    report = check_graph(Model(), (X @ w).sum())
    assert [str(p).split(":")[0] for p in report.problems] == \
        ["parameter 'fc.bias' of module fc (Layer)"]


def test_a_freed_graph_and_a_wrong_model_are_clear_errors():
    w = leaf([[1.0], [2.0]])
    loss = (X @ w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"in place of loss\.backward\(\)"):
        check_graph({"w": w}, loss)
    with pytest.raises(TypeError, match="named_parameters"):
        check_graph([w], (X @ w).sum())
