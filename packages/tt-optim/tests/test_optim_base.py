"""The Optimizer base: param groups, in-place updates, skipping, zero_grad, state_dict."""

import json

import numpy as np
import pytest
from tinytorch.optim import SGD, Adam, AdamW, Optimizer, RMSprop
from tinytorch.tensor import Tensor


def parameter(values):
    return Tensor(np.asarray(values, dtype=np.float32), requires_grad=True)


def set_grad(param, values):
    param.grad = Tensor(np.asarray(values, dtype=np.float32))


def test_updates_are_in_place_so_views_and_references_see_them():
    x = parameter([1.0, 2.0, 3.0])
    array_before, view = x.data, x.data[1:]
    set_grad(x, [1.0, 1.0, 1.0])
    SGD([x], lr=0.5).step()
    assert x.data is array_before
    np.testing.assert_allclose(view, [1.5, 2.5])


def test_step_bumps_the_version_of_updated_parameters_only():
    x, y = parameter([1.0]), parameter([2.0])
    set_grad(x, [1.0])
    SGD([x, y], lr=0.1).step()
    assert (x._version, y._version) == (1, 0)


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1), lambda p: Adam(p)],
                         ids=["SGD", "Adam"])
def test_a_step_between_two_backward_calls_through_one_graph_raises(make):
    """As in PyTorch: the second backward would use the updated weights."""
    w1, w2 = parameter([[1.0, 2.0], [3.0, 4.0]]), parameter([[0.5], [-1.0]])
    x = Tensor(np.array([[1.0, 1.0]], dtype=np.float32))
    loss = ((x @ w1).tanh() @ w2).sum()  # the second matmul saves w2 for dL/dh
    optimizer = make([w1, w2])
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGD(p, lr=0.1, momentum=0.9),
        lambda p: Adam(p),
        lambda p: AdamW(p),
        lambda p: RMSprop(p, centered=True),
    ],
    ids=["SGD", "Adam", "AdamW", "RMSprop"],
)
def test_every_optimizer_keeps_the_parameter_array(make):
    x = parameter([1.0, 2.0])
    array_before = x.data
    optimizer = make([x])
    for _ in range(3):
        set_grad(x, [0.3, -0.7])
        optimizer.step()
    assert x.data is array_before
    assert x.data.dtype == np.float32


def test_parameters_without_grad_are_skipped():
    a, b = parameter([1.0]), parameter([1.0])
    set_grad(a, [1.0])
    optimizer = Adam([a, b], lr=0.1)
    optimizer.step()
    assert b.data[0] == 1.0
    assert a.data[0] != 1.0
    assert list(optimizer.state_dict()["state"]) == [0]


def test_param_groups_have_their_own_options():
    a, b = parameter([1.0]), parameter([1.0])
    optimizer = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 1.0]
    set_grad(a, [1.0])
    set_grad(b, [1.0])
    optimizer.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.0])


def test_add_param_group_fills_defaults_and_refuses_duplicates():
    a, b = parameter([1.0]), parameter([2.0])
    optimizer = Adam([a], lr=0.01, betas=(0.8, 0.9))
    optimizer.add_param_group({"params": b, "lr": 0.1})
    assert optimizer.param_groups[1]["betas"] == (0.8, 0.9)
    assert optimizer.param_groups[1]["lr"] == 0.1
    with pytest.raises(ValueError, match="more than one param group"):
        optimizer.add_param_group({"params": [a]})


def test_zero_grad_sets_to_none_or_fills_zeros_in_place():
    x = parameter([1.0, 2.0])
    set_grad(x, [3.0, 4.0])
    grad_array = x.grad.data
    optimizer = SGD([x], lr=0.1)
    optimizer.zero_grad(set_to_none=False)
    assert x.grad.data is grad_array and not grad_array.any()
    optimizer.zero_grad()
    assert x.grad is None


def test_errors_name_what_was_wrong():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        Adam([parameter([1.0])], lr=-1.0)
    with pytest.raises(ValueError, match="nesterov"):
        SGD([parameter([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="expected a Tensor"):
        SGD([np.zeros(3)], lr=0.1)
    x = parameter([1.0, 2.0])
    set_grad(x, [1.0])
    with pytest.raises(ValueError, match="gradient of shape"):
        SGD([x], lr=0.1).step()


def test_closure_loss_is_returned():
    x = parameter([1.0])
    set_grad(x, [1.0])
    assert SGD([x], lr=0.1).step(lambda: 42.0) == 42.0


def test_base_class_asks_for_an_update_rule():
    x = parameter([1.0])
    set_grad(x, [1.0])
    with pytest.raises(NotImplementedError, match="update"):
        Optimizer([x], {"lr": 0.1}).step()


def json_round_trip(state_dict):
    """state_dict through JSON (arrays as lists), as a checkpoint's metadata might carry it."""

    def encode(value):
        return value.tolist() if isinstance(value, np.ndarray) else value

    text = json.dumps(
        {
            "state": {
                k: {n: encode(v) for n, v in s.items()} for k, s in state_dict["state"].items()
            },
            "param_groups": state_dict["param_groups"],
        }
    )
    loaded = json.loads(text)
    for buffers in loaded["state"].values():
        for name, value in buffers.items():
            if isinstance(value, list):
                buffers[name] = np.asarray(value, dtype=np.float32)
    return loaded


@pytest.mark.parametrize("through_json", [False, True])
def test_state_dict_round_trip_continues_the_same_trajectory(through_json):
    grads = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)

    def run(steps, optimizer, x):
        for g in grads[steps]:
            set_grad(x, g)
            optimizer.step()

    x = parameter([1.0, -1.0, 0.5])
    straight = Adam([x], lr=0.05, amsgrad=True)
    run(slice(0, 10), straight, x)

    y = parameter([1.0, -1.0, 0.5])
    first = Adam([y], lr=0.05, amsgrad=True)
    run(slice(0, 5), first, y)
    saved = first.state_dict()
    if through_json:
        saved = json_round_trip(saved)
    z = parameter(y.data.copy())
    resumed = Adam([z], lr=0.5, amsgrad=True)  # lr comes back from the state
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.05
    assert resumed.param_groups[0]["betas"] == (0.9, 0.999)
    run(slice(5, 10), resumed, z)
    np.testing.assert_array_equal(z.data, x.data)


def test_state_dict_arrays_are_copies():
    x = parameter([1.0])
    set_grad(x, [1.0])
    optimizer = SGD([x], lr=0.1, momentum=0.9)
    optimizer.step()
    saved = optimizer.state_dict()
    optimizer.step()
    assert saved["state"][0]["momentum_buffer"][0] == 1.0


def test_load_state_dict_refuses_a_different_layout():
    a, b = parameter([1.0]), parameter([1.0])
    saved = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="groups of sizes"):
        SGD([a], lr=0.1).load_state_dict(saved)


def test_a_model_instead_of_its_parameters_suggests_model_parameters():
    class Linear:  # what matters: a module has a parameters() method, and is not iterable
        def parameters(self):
            return iter([parameter([1.0])])

    with pytest.raises(TypeError, match=r"SGD: params must be an iterable .* got the module "
                                        r"Linear; pass model.parameters\(\)"):
        SGD(Linear(), lr=0.1)
    with pytest.raises(TypeError, match=r"Adam: .* single Tensor of shape \(2,\)"):
        Adam(parameter([1.0, 2.0]))


def test_sgd_learning_rate_defaults_to_pytorchs():
    assert SGD([parameter([1.0])]).param_groups[0]["lr"] == 1e-3
