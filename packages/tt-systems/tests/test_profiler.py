"""Profiler: FLOPs checked against hand-computed values, activation bytes, latency, profile()."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.systems import flops
from tinytorch.systems.profiler import measure_latency, profile, profile_model
from tinytorch.tensor import Tensor


def test_matmul_flops_are_2nkm_per_batch_element():
    assert flops.matmul_flops((3, 4), (4, 5)) == 2 * 3 * 4 * 5
    assert flops.matmul_flops((7, 3, 4), (4, 5)) == 7 * 2 * 3 * 4 * 5
    assert flops.matmul_flops((4,), (4, 5)) == 2 * 4 * 5


def test_linear_layer_flops_by_hand():
    batch, fan_in, fan_out = 32, 20, 30
    model = nn.Sequential(nn.Linear(fan_in, fan_out))
    result = profile_model(model, (batch, fan_in), repeats=3, warmup=1)
    row = result.layer("0")
    matmul = 2 * batch * fan_in * fan_out
    assert row.forward_flops == matmul + batch * fan_out
    # the input needs no gradient: backward computes dW (one matmul) and db
    assert row.backward_flops == matmul + batch * fan_out
    assert row.parameters == fan_in * fan_out + fan_out


def test_hidden_linear_backward_is_twice_its_matmul():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4, bias=False))
    result = profile_model(model, (10, 8), repeats=3, warmup=1)
    second = result.layer("2")
    assert second.forward_flops == 2 * 10 * 16 * 4
    assert second.backward_flops == 2 * second.forward_flops  # dX and dW
    assert result.layer("1").forward_flops == 10 * 16  # ReLU: one per element
    assert result.forward_flops == sum(r.forward_flops for r in result.layers)


def test_addmm_flops_count_the_product_and_the_bias():
    x, w = Tensor(np.ones((10, 8))), Tensor(np.ones((8, 4)), requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    with profile() as prof:
        b.addmm(x, w)
    assert prof.ops["addmm"].forward_flops == 2 * 10 * 8 * 4 + 10 * 4
    _, backward = flops.op_flops("addmm", (b, x, w), {}, (Tensor(np.ones((10, 4))),))
    assert backward == 2 * 10 * 8 * 4 + 10 * 4  # dW and db; x needs no gradient


def test_conv2d_flops_by_hand():
    spatial = pytest.importorskip("tinytorch.spatial")
    conv = spatial.Conv2d(3, 8, kernel_size=3, padding=1)
    result = profile_model(nn.Sequential(conv), (2, 3, 10, 10), repeats=3, warmup=1)
    out_size = 2 * 8 * 10 * 10
    assert result.layer("0").forward_flops == 2 * out_size * 3 * 3 * 3 + out_size


def test_attention_flops_by_hand():
    attention = pytest.importorskip("tinytorch.attention")
    batch, heads, length, dim = 2, 4, 6, 16
    q, k, v = (Tensor(np.ones((batch, heads, length, dim // heads), np.float32)) for _ in range(3))
    with profile() as prof:
        attention.scaled_dot_product_attention(q, k, v, is_causal=True)
    scores = batch * heads * length * length
    expected = 2 * scores * (dim // heads) * 2 + 5 * scores
    assert prof.ops["ScaledDotProductAttentionFunction"].forward_flops == expected


def test_gpt_profile_attributes_attention_to_its_module():
    attention = pytest.importorskip("tinytorch.attention")
    gpt = attention.GPT(vocab_size=11, context_length=8, embed_dim=16, num_heads=2, num_layers=1)
    result = profile_model(gpt, np.zeros((1, 8), dtype=np.int64), repeats=2, warmup=1)
    attn = result.layer("blocks.0.attn")
    in_proj = 2 * 8 * 16 * 48
    assert attn.forward_flops >= in_proj
    assert result.parameters == gpt.num_parameters()
    assert "blocks.0.attn" in result.table()


def test_activation_bytes_count_saved_arrays_once():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    result = profile_model(model, (5, 4), repeats=2, warmup=1)
    # saved: the input of the first Linear (5x4), the ReLU output (5x8), float32
    assert result.activation_bytes == (5 * 4 + 5 * 8) * 4


def test_profile_context_counts_ops_and_removes_its_hook():
    from tinytorch.tensor import dispatch

    assert not dispatch.has_op_hooks()
    x = Tensor(np.ones((3, 4), np.float32))
    with profile() as prof:
        y = (x * 2 + 1).sum()
    assert prof.ops["mul"].count == 1 and prof.ops["add"].count == 1
    assert prof.ops["sum"].forward_flops == 12
    assert prof.total_seconds > 0 and float(y.item()) == 36.0
    assert not dispatch.has_op_hooks()
    assert "mul" in prof.table() and prof.to_dict()["total_flops"] == prof.total_flops


def test_profile_model_restores_the_model():
    model = nn.Sequential(nn.Linear(4, 2))
    model.train()
    profile_model(model, (3, 4), repeats=2, warmup=1)
    assert model.training
    assert "forward" not in model[0].__dict__


def test_measure_latency_median_and_spread():
    median, p25, p75 = measure_latency(lambda: sum(range(1000)), repeats=9, warmup=1)
    assert 0 < p25 <= median <= p75


def test_to_dict_is_plain_data():
    import json

    result = profile_model(nn.Sequential(nn.Linear(4, 2)), (3, 4), repeats=2, warmup=1)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["forward_flops"] == result.forward_flops
    assert data["layers"][0]["name"] == "0"


def test_softmax_op_counts_its_formula_not_one_flop_per_element():
    """nn.Softmax runs as the tensor op softmax: SOFTMAX_FLOPS forward, 4 (3 for log) backward."""
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    out = x.softmax(dim=1)
    per = flops.SOFTMAX_FLOPS
    assert flops.op_flops("softmax", (x,), {"axis": 1}, (out,)) == (per * 6, 4 * 6)
    assert flops.op_flops("log_softmax", (x,), {"axis": 1}, (out,)) == (per * 6, 3 * 6)


def _ops_and_flops(step):
    """{op name: [calls, forward FLOPs, backward FLOPs]} of everything ``step()`` runs."""
    from tinytorch.tensor import dispatch

    counts = {}

    def hook(name, inputs, params, outputs, seconds):
        row = counts.setdefault(name, [0, 0, 0])
        forward, backward = flops.op_flops(name, inputs, params, outputs)
        row[0], row[1], row[2] = row[0] + 1, row[1] + forward, row[2] + backward

    with dispatch.register_op_hook(hook):
        step()
    return counts


def _models_the_profiler_is_used_on():
    """An MLP (each activation and loss), a CNN (conv, batch norm, pools), a GPT: a step each."""
    spatial = pytest.importorskip("tinytorch.spatial")
    attention = pytest.importorskip("tinytorch.attention")
    F = nn.functional
    rng = np.random.default_rng(0)
    mlp = nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.GELU(),
        nn.Linear(16, 16), nn.SiLU(), nn.Linear(16, 10), nn.LeakyReLU(),
    )
    x = Tensor(rng.standard_normal((5, 8, 8)).astype(np.float32))
    y = np.arange(5) % 10

    def mlp_step():
        out = mlp(x)
        positive = Tensor((out.data > 0).astype(np.float32))
        loss = (
            F.cross_entropy(out, y) + F.nll_loss(F.log_softmax(out, dim=-1), y)
            + F.binary_cross_entropy_with_logits(out, positive)
            + F.binary_cross_entropy(F.sigmoid(out), positive) + F.softmax(out, dim=-1).sum()
        )
        loss.backward()

    cnn = nn.Sequential(
        spatial.Conv2d(1, 4, 3, padding=1), spatial.BatchNorm2d(4), nn.ReLU(),
        spatial.MaxPool2d(2), spatial.Conv2d(4, 6, 3, padding=1, bias=False),
        spatial.AvgPool2d(2), nn.Flatten(), nn.Linear(24, 10),
    )
    images = Tensor(rng.standard_normal((3, 1, 8, 8)).astype(np.float32))
    gpt = attention.GPT(vocab_size=13, context_length=16, embed_dim=16, num_heads=2,
                        num_layers=2, seed=0)
    idx = rng.integers(0, 13, size=(2, 10))

    def gpt_step():
        F.cross_entropy(gpt(idx).reshape(-1, 13), idx.reshape(-1)).backward()

    return {
        "mlp": mlp_step,
        "cnn": lambda: F.cross_entropy(cnn(images), np.arange(3)).backward(),
        "gpt": gpt_step,
    }


def test_flop_counts_are_those_of_the_name_keyed_table_they_replaced():
    """Totals as the class-name table of tt-systems 0.2 counted them, op by op."""
    expected = {"mlp": (33144, 41938), "cnn": (43380, 68538), "gpt": (330740, 623560)}
    for name, step in _models_the_profiler_is_used_on().items():
        counts = _ops_and_flops(step)
        totals = (sum(c[1] for c in counts.values()), sum(c[2] for c in counts.values()))
        assert totals == expected[name], name


def test_every_function_these_models_run_declares_its_flops():
    from tinytorch.autograd import function_by_name
    from tinytorch.tensor.ops import OP_TABLE

    for step in _models_the_profiler_is_used_on().values():
        for op_name in _ops_and_flops(step):
            if op_name not in OP_TABLE:
                assert function_by_name(op_name) is not None, op_name
                assert flops.declared_flops(op_name) is not None, op_name


def test_a_function_declares_its_own_flops_for_the_profiler():
    from tinytorch.autograd import Function

    class TripleThenSquare(Function):
        @staticmethod
        def forward(ctx, x, *, power=2):
            return (3 * x) ** power

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

        @staticmethod
        def flops(inputs, params, outputs):
            return 100 * params["power"], 7

    x = Tensor(np.ones(4, np.float32))
    with profile() as prof:
        TripleThenSquare.apply(x, power=3)
    assert prof.ops["TripleThenSquare"].forward_flops == 300
    assert flops.op_flops("TripleThenSquare", (x,), {"power": 2}, ()) == (200, 7)
    assert flops.declared_flops("matmul") is None  # op-table ops are counted by flops.py


def test_measure_latency_skips_the_warmup_and_reports_median_and_quartiles(monkeypatch):
    """With a fake clock: warm-up calls are not timed, and the spread is the 25th-75th
    percentile of the timed calls (statistics.quantiles, n=4), in milliseconds."""
    import time

    now = [0.0]
    durations = iter([0.5, 0.5, 0.001, 0.002, 0.003, 0.004, 0.010])   # seconds per call

    def step():
        now[0] += next(durations)

    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    median, p25, p75 = measure_latency(step, repeats=5, warmup=2)
    assert median == pytest.approx(3.0) and p25 == pytest.approx(1.5) and p75 == pytest.approx(7.0)
    now[0], durations = 0.0, iter([0.004])
    assert measure_latency(step, repeats=1, warmup=0) == pytest.approx((4.0, 4.0, 4.0))


def test_matmul_flops_of_vectors_and_the_matmul_op_backward():
    assert flops.matmul_flops((3, 4), (4,)) == 2 * 3 * 4
    assert flops.matmul_flops((4,), (4,)) == 2 * 4
    assert flops.matmul_flops((2, 1, 3, 4), (5, 4, 6)) == 2 * 5 * 2 * 3 * 4 * 6
    a = Tensor(np.ones((3, 4)), requires_grad=True)
    b = Tensor(np.ones((4, 5)))
    out = (Tensor(np.ones((3, 5))),)
    assert flops.op_flops("matmul", (a, b), {}, out) == (120, 120)   # one gradient: one matmul
    b.requires_grad = True
    assert flops.op_flops("matmul", (a, b), {}, out) == (120, 240)
