"""Layers, containers, Dropout and init: shapes, statistics, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.tensor import Tensor, default_generator, manual_seed, ones, randn, zeros


def test_linear_shapes_and_default_init_bounds():
    manual_seed(0)
    layer = nn.Linear(400, 30)
    assert layer.weight.shape == (30, 400) and layer.bias.shape == (30,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound  # uniform fills the interval
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert layer(randn(7, 5, 400)).shape == (7, 5, 30)


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"
    x = randn(4, 3)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T, rtol=1e-6)


def test_linear_init_is_seedable():
    manual_seed(3)
    a = nn.Linear(5, 5)
    manual_seed(3)
    b = nn.Linear(5, 5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_linear_wrong_input_features_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(2, 5\).*expects 5"):
        nn.Linear(5, 2)(zeros(4, 3))


def test_identity_and_flatten():
    x = randn(2, 3, 4, 5)
    assert nn.Identity(1, foo=2)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)


def test_sequential_indexing_len_append_and_slices():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert len(model) == 2 and isinstance(model[-1], nn.ReLU)
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and [n for n, _ in model.named_parameters()][-1] == "2.bias"
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert model(randn(5, 2)).shape == (5, 1)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of length 3"):
        model[3]  # noqa: B018


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and isinstance(layers[4], nn.Linear)


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 1)})
    assert list(heads) == ["a", "b"] and "a" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_dropout_keeps_the_mean_and_zeros_about_p():
    manual_seed(0)
    drop = nn.Dropout(0.3)
    y = drop(ones(200_000)).data
    assert (y == 0).mean() == pytest.approx(0.3, abs=0.01)
    assert y.mean() == pytest.approx(1.0, abs=0.01)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}
    assert y.dtype == np.float32


def test_dropout_is_the_identity_in_eval_mode():
    drop = nn.Dropout(0.5).eval()
    x = randn(10, 10)
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x


def test_dropout_gradient_uses_the_same_mask():
    x = Tensor(np.ones((50, 50), np.float32), requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)


def test_dropout_is_seedable_by_generator_and_manual_seed():
    x = ones(100)
    a = nn.Dropout(0.5, generator=np.random.default_rng(1))(x).data
    b = nn.Dropout(0.5, generator=np.random.default_rng(1))(x).data
    np.testing.assert_array_equal(a, b)
    manual_seed(5)
    c = nn.Dropout(0.5)(x).data
    manual_seed(5)
    np.testing.assert_array_equal(c, nn.Dropout(0.5)(x).data)


def test_dropout_rejects_bad_probability():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    assert not nn.Dropout(1.0)(ones(10)).data.any()


def test_activation_modules_compute_their_formulas():
    x = Tensor(np.array([-2.0, -0.5, 0.0, 0.5, 2.0], np.float32))
    v = x.data
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(v, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x).data, np.where(v > 0, v, 0.2 * v))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(v), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-v)), rtol=1e-6)
    np.testing.assert_allclose(nn.SiLU()(x).data, v / (1 + np.exp(-v)), rtol=1e-6)
    exact = [0.5 * a * (1 + math.erf(a / math.sqrt(2))) for a in v]
    np.testing.assert_allclose(nn.GELU()(x).data, exact, rtol=1e-6, atol=1e-7)
    tanh_form = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
    np.testing.assert_allclose(nn.GELU("tanh")(x).data, tanh_form, rtol=1e-6)
    soft = nn.Softmax(dim=0)(x).data
    assert soft.sum() == pytest.approx(1.0) and np.all(np.diff(soft) > 0)
    np.testing.assert_allclose(nn.LogSoftmax(0)(x).data, np.log(soft), rtol=1e-5)
    assert nn.GELU()(x).dtype == np.float32 and nn.SiLU()(x).dtype == np.float32


def test_softmax_is_stable_for_huge_inputs():
    x = Tensor(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], np.float32))
    np.testing.assert_allclose(nn.Softmax(1)(x).data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    log = nn.LogSoftmax(1)(x).data
    assert np.isfinite(log).all() and log[0, 2] == pytest.approx(-2e4)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("fast")


def test_activation_reprs():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


# ---------------------------------------------------------------------------- init


def test_calculate_gain():
    init = nn.init
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(
    ("fill", "expected_std"),
    [
        (lambda t: nn.init.xavier_uniform_(t), math.sqrt(2 / (200 + 100))),
        (lambda t: nn.init.xavier_normal_(t), math.sqrt(2 / (200 + 100))),
        (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 200)),
        (lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 200)),
        (
            lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
            math.sqrt(2 / 100),
        ),
        (
            lambda t: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
            math.sqrt(2 / 100),
        ),
        (lambda t: nn.init.normal_(t, 0.0, 0.02), 0.02),
        (lambda t: nn.init.uniform_(t, -1, 1), 1 / math.sqrt(3)),
    ],
)
def test_init_scales(fill, expected_std):
    manual_seed(0)
    weight = nn.Parameter(np.zeros((100, 200), np.float32))
    data = weight.data
    assert fill(weight) is weight
    assert weight.data is data and weight.dtype == np.float32  # in place
    assert weight.data.std() == pytest.approx(expected_std, rel=0.03)
    assert abs(weight.data.mean()) < 0.1 * expected_std


def test_init_fan_uses_the_receptive_field():
    weight = nn.Parameter(np.zeros((16, 8, 3, 3), np.float32))
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    assert np.abs(weight.data).max() <= 1 / math.sqrt(8 * 9)
    manual_seed(0)
    conv = nn.Parameter(np.zeros((64, 32, 3, 3), np.float32))   # fan_in 288, fan_out 576
    nn.init.xavier_uniform_(conv)
    bound = math.sqrt(6 / (32 * 9 + 64 * 9))
    assert 0.95 * bound < np.abs(conv.data).max() <= bound
    nn.init.kaiming_normal_(conv, mode="fan_out", nonlinearity="relu")
    assert conv.data.std() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.03)
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(5, np.float32)))


@pytest.mark.parametrize("fill", [nn.init.xavier_uniform_, nn.init.kaiming_uniform_])
def test_uniform_inits_draw_from_the_given_generator(fill):
    def draw(seed):
        manual_seed(seed)   # a fill that ignores ``generator`` draws from this one instead
        weight = nn.Parameter(np.zeros((4, 6), np.float32))
        return fill(weight, generator=np.random.default_rng(5)).data

    np.testing.assert_array_equal(draw(0), draw(1))


def test_init_constants_and_generators():
    w = nn.Parameter(np.empty((3, 3), np.float32))
    assert (nn.init.zeros_(w).data == 0).all()
    assert (nn.init.ones_(w).data == 1).all()
    assert (nn.init.constant_(w, 0.5).data == 0.5).all()
    a = nn.init.normal_(nn.Parameter(np.empty(5, np.float32)), generator=np.random.default_rng(2))
    b = nn.init.normal_(nn.Parameter(np.empty(5, np.float32)), generator=np.random.default_rng(2))
    np.testing.assert_array_equal(a.data, b.data)
    manual_seed(9)
    assert default_generator() is default_generator()
    t = nn.init.trunc_normal_(nn.Parameter(np.empty(10_000, np.float32)), std=1.0, a=-1, b=1)
    assert t.data.min() >= -1 and t.data.max() <= 1


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_probability_outside_zero_one_names_the_layer_and_p(p):
    with pytest.raises(ValueError, match=rf"Dropout: dropout probability has to be between 0 "
                                         rf"and 1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=rf"dropout: dropout probability .* but got {p}"):
        nn.functional.dropout(ones(3), p)
    with pytest.raises(TypeError, match="must be a number, got True"):
        nn.Dropout(True)


def test_dropout_one_gives_zeros_and_zero_gradient():
    x = Tensor(np.ones(6, dtype=np.float32), requires_grad=True)
    y = nn.functional.dropout(x, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, 0)
    np.testing.assert_array_equal(x.grad.data, 0)


def test_linear_takes_pytorchs_device_and_dtype():
    assert nn.Linear(2, 3).weight.dtype == np.float32
    assert nn.Linear(2, 3, True, "cpu", np.float64).weight.dtype == np.float64
    with pytest.raises(NotImplementedError, match="Linear: device='cuda'"):
        nn.Linear(2, 3, device="cuda")


INPLACE_LAYERS = {  # built inside the test: in a starter, Module.__setattr__ is a stub
    "ReLU": lambda: nn.ReLU(inplace=True),
    "LeakyReLU": lambda: nn.LeakyReLU(0.1, inplace=True),
    "Dropout": lambda: nn.Dropout(0.5, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE_LAYERS))
def test_inplace_layers_overwrite_their_input_and_keep_the_gradient(name):
    torch = pytest.importorskip("torch")
    layer = INPLACE_LAYERS[name]()
    values = np.array([-2.0, -0.5, 0.0, 1.5, 3.0])
    x = Tensor(values, requires_grad=True)
    hidden = x * 1.0  # an intermediate (in place on a leaf that requires grad is an error)
    out = layer(hidden)
    assert out is hidden
    (out * out).sum().backward()
    if isinstance(layer, nn.Dropout):  # kept entries doubled, dropped ones zero
        kept = out.data != 0
        np.testing.assert_allclose(out.data[kept], 2 * values[kept])
        np.testing.assert_allclose(x.grad.data, 2 * out.data * np.where(kept, 2.0, 0.0))
        return
    theirs = {"ReLU": torch.nn.ReLU(), "LeakyReLU": torch.nn.LeakyReLU(0.1)}[type(layer).__name__]
    tx = torch.tensor(values, requires_grad=True)
    expected = theirs(tx)
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_linear_bias_bound_with_one_input_feature():
    """bound = 1/sqrt(in_features) down to in_features = 1, where it is 1."""
    manual_seed(0)
    bias = nn.Linear(1, 200).bias.data
    assert np.abs(bias).max() <= 1 and np.abs(bias).max() > 0.9


def test_dropout_keeps_float64_and_makes_integers_float32():
    manual_seed(0)
    y = nn.functional.dropout(Tensor(np.ones(1000), dtype=np.float64), 0.25).data
    assert y.dtype == np.float64 and set(np.unique(y)) == {0.0, 1 / 0.75}
    counts = nn.functional.dropout(Tensor(np.full(1000, 3)), 0.5)
    assert counts.dtype == np.float32 and set(np.unique(counts.data)) == {0.0, 6.0}


def test_dropout_draws_a_fresh_mask_each_call_and_inplace_returns_its_input():
    drop = nn.Dropout(0.5, generator=np.random.default_rng(0))
    x = ones(1000)
    assert not np.array_equal(drop(x).data, drop(x).data)
    hidden = ones(1000) * 1.0
    out = nn.functional.dropout(hidden, 0.5, inplace=True)
    assert out is hidden and set(np.unique(hidden.data)) == {0.0, 2.0}
