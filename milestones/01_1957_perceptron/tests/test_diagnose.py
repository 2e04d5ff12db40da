"""The milestones' pre-training diagnosis names the broken part, on planted bugs."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
from tinytorch.autograd import engine, rules
from tinytorch.tensor import Tensor
from ttdev.milestone.diagnose import check_causal, check_gradients, diagnose
from ttdev.milestone.testing import run_with_planted_bug


def perceptron(seed=0):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((6, 2)), dtype=np.float64)  # the check runs in float64
    y = Tensor((rng.random(6) > 0.5), dtype=np.float64)
    params = {"w": Tensor(rng.normal(size=(2, 1)), requires_grad=True),
              "b": Tensor(np.zeros(1), requires_grad=True)}

    def loss():
        p = (x @ params["w"] + params["b"]).sigmoid().reshape(-1).clip(1e-7, 1 - 1e-7)
        return -(y * p.log() + (1 - y) * (1 - p).log()).mean()  # p used twice: a diamond

    return loss, params


def test_a_correct_model_passes_and_its_parameters_are_left_as_they_were():
    loss, params = perceptron()
    before = {name: p.data.copy() for name, p in params.items()}
    assert diagnose(loss, params) is None
    for name, p in params.items():
        assert p.data.dtype == before[name].dtype
        np.testing.assert_array_equal(p.data, before[name])
        assert p.grad is None


def test_a_wrong_backward_rule_is_named_by_its_op(monkeypatch):
    right = rules.RULES["sigmoid"]
    monkeypatch.setitem(rules.RULES, "sigmoid", lambda ctx, g: (2 * right(ctx, g)[0],))
    loss, params = perceptron()
    report = diagnose(loss, params)
    assert report is not None and "'sigmoid'" in report and "tt-autograd" in report
    assert 'nox -s "test(tt-autograd)" -- -k "sigmoid"' in report


def breadth_first_without_sorting(root):
    """A realistic student mistake: visit the graph breadth-first and call that the order."""
    order, queue, seen = [], [root], {root}
    while queue:
        node = queue.pop(0)
        order.append(node)
        for tensor in node.inputs or ():
            parent = None if tensor is None else tensor.grad_fn
            if parent is not None and parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order


def test_an_engine_that_skips_the_topological_sort_is_named_as_the_engine(monkeypatch):
    monkeypatch.setattr(engine, "topological_order", breadth_first_without_sorting)
    loss, params = perceptron()
    report = diagnose(loss, params)
    assert report is not None
    assert "every op of the op table passes" in report and "engine" in report


@pytest.mark.parametrize("float64_inputs", [True, False])
def test_a_parameter_cut_out_of_the_graph_is_named(float64_inputs):
    loss, params = perceptron()
    dtype = np.float64 if float64_inputs else np.float32  # float32: checked in float32

    def cut_loss():
        w = Tensor(params["w"].data, dtype=dtype)  # re-wrapped: no gradient reaches params["w"]
        p = (Tensor(np.ones((3, 2)), dtype=dtype) @ w + params["b"]).sigmoid()
        return p.sum()

    wrong = check_gradients(cut_loss, params)
    assert [m.name for m in wrong] == ["w"]
    assert "no gradient" in str(wrong[0])


def test_causality_check_is_zero_for_a_causal_model_and_large_for_a_leaky_one():
    table = np.random.default_rng(0).standard_normal((5, 3))
    tokens = np.random.default_rng(1).integers(0, 5, size=(2, 8))

    def causal(ids):  # position t sees tokens 0..t
        return np.cumsum(table[ids], axis=1)

    def leaky(ids):  # position t also sees t + 1
        shifted = np.concatenate([ids[:, 1:], ids[:, -1:]], axis=1)
        return np.cumsum(table[ids], axis=1) + table[shifted]

    assert check_causal(causal, tokens, 5) == pytest.approx(0.0, abs=1e-12)
    assert check_causal(leaky, tokens, 5) > 0.1


MILESTONE_SCRIPT = Path(__file__).resolve().parents[1] / "perceptron_trained.py"

WRONG_SIGMOID = """
from tinytorch.autograd import rules
right = rules.RULES["sigmoid"]
rules.RULES["sigmoid"] = lambda ctx, g: (2 * right(ctx, g)[0],)
"""

# The same breadth-first walk, planted into the milestone's own process.
BREADTH_FIRST_ENGINE = (
    "from tinytorch.autograd import engine\n"
    + inspect.getsource(breadth_first_without_sorting)
    + "engine.topological_order = breadth_first_without_sorting\n"
)

STUBBED_SIGMOID = """
from tinytorch.tensor import Tensor
def sigmoid(self):
    raise NotImplementedError(
        "tinytorch starter: tt-tensor Tensor.sigmoid is not implemented yet. "
        "Tests: packages/tt-tensor/tests/test_tensor_elementwise.py. "
        "Docs: docs/packages/tt-tensor.md."
    )
Tensor.sigmoid = sigmoid
"""


@pytest.mark.parametrize(
    ("patch", "named"),
    [(WRONG_SIGMOID, "'sigmoid'"), (BREADTH_FIRST_ENGINE, "tt-autograd's engine")],
    ids=["wrong-rule", "breadth-first-engine"],
)
def test_the_milestone_stops_before_training_and_names_the_planted_bug(tmp_path, patch, named):
    run = run_with_planted_bug(MILESTONE_SCRIPT, tmp_path, patch, "--quick")
    assert run.returncode == 1, run.output
    assert "PREFLIGHT FAILED" in run.output and named in run.output
    assert run.report["status"] == "preflight failed" and run.report["passed"] is False
    assert named in run.report["diagnosis"]


def test_a_starter_stub_makes_the_milestone_say_locked_not_a_traceback(tmp_path):
    run = run_with_planted_bug(MILESTONE_SCRIPT, tmp_path, STUBBED_SIGMOID, "--quick")
    assert run.returncode != 0
    assert "LOCKED: this milestone called tt-tensor Tensor.sigmoid" in run.output
    assert "Traceback" not in run.output
    assert run.report["status"] == "locked" and run.report["passed"] is False
    assert run.report["locked"] == {"package": "tt-tensor", "function": "Tensor.sigmoid"}
