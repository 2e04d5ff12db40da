"""Module behaviour: registration, tree walks, modes, state_dict, repr."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.tensor import Tensor, manual_seed, randn, zeros


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.register_buffer("running_mean", zeros(4))
        self.register_buffer("scratch", zeros(2), persistent=False)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x) * self.scale + self.running_mean)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 2)])
        self.plain_list = [nn.Linear(4, 4)]  # a plain list is not registered

    def forward(self, x):
        x = self.block(x)
        for layer in self.layers:
            x = layer(x).relu()
        return x


def test_assigned_parameters_and_modules_are_registered_in_order():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert list(net._modules) == ["block", "layers"]
    assert list(net.block._parameters) == ["scale"]
    assert isinstance(net.block.fc.weight, nn.Parameter)
    assert all(p.requires_grad for p in net.parameters())


def test_sequential_names_parameters_by_index():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.num_parameters() == 2 * 3 + 3 + 3 + 1


def test_named_modules_children_and_buffers():
    net = Net()
    assert [n for n, _ in net.named_modules()] == [
        "",
        "block",
        "block.fc",
        "block.drop",
        "layers",
        "layers.0",
        "layers.1",
    ]
    assert [n for n, _ in net.named_children()] == ["block", "layers"]
    assert [n for n, _ in net.named_buffers()] == ["block.running_mean", "block.scratch"]
    assert len(list(net.modules())) == 7


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_assigning_a_plain_tensor_to_a_parameter_slot_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="'weight'.*Parameter or None expected"):
        layer.weight = Tensor(np.zeros((2, 2)))
    layer.bias = None
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_missing_attribute_names_the_module():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        nn.Linear(1, 1).nope  # noqa: B018


def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.block.train(False)
    assert not net.block.drop.training and net.layers.training


def test_zero_grad_to_none_or_zeros():
    model = nn.Sequential(nn.Linear(3, 2))
    model(randn(4, 3)).sum().backward()
    grad = model[0].weight.grad
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is grad and not grad.data.any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_holds_parameters_and_persistent_buffers():
    net = Net()
    keys = list(net.state_dict())
    assert keys == [
        "block.scale",
        "block.running_mean",
        "block.fc.weight",
        "block.fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert "block.scratch" not in keys
    assert isinstance(net.state_dict(), OrderedDict)


def test_nested_state_dict_round_trip_restores_identical_outputs():
    manual_seed(0)
    source, target = Net().eval(), Net().eval()
    source.block.running_mean.data[:] = [1, 2, 3, 4]
    x = randn(5, 3)
    assert not np.allclose(source(x).data, target(x).data)
    saved = {k: v.data.copy() for k, v in source.state_dict().items()}
    weight_object = target.block.fc.weight
    array_before = weight_object.data
    result = target.load_state_dict(saved)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x).data, target(x).data)
    assert (
        target.block.fc.weight is weight_object and weight_object.data is array_before
    )  # in place


def test_load_state_dict_accepts_tensors():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert b.weight.data is not a.weight.data


def test_strict_load_names_missing_and_unexpected_keys():
    model = nn.Sequential(nn.Linear(3, 2))
    state = {k: v.data.copy() for k, v in model.state_dict().items()}
    del state["0.bias"]
    state["0.extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    assert "missing key '0.bias'" in str(error.value)
    assert "unexpected key '0.extra'" in str(error.value)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["0.extra"]


def test_shape_mismatch_names_the_key_and_both_shapes_and_copies_nothing():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    before = model[0].weight.data.copy()
    state = {k: v.data.copy() + 1 for k, v in model.state_dict().items()}
    state["1.weight"] = np.zeros((4, 2))
    with pytest.raises(RuntimeError, match=r"'1\.weight'.*\(4, 2\).*\(1, 2\)"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].weight.data, before)


def test_apply_visits_children_first_then_self():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Block", "Linear", "Linear", "ModuleList", "Net"]


def test_apply_for_initialisation():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)

    model.apply(init_weights)
    assert all((layer.weight.data == 1).all() for layer in model)


def test_repr_prints_the_tree_like_pytorch():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.1)\n"
        "  (3): Linear(in_features=128, out_features=10, bias=True)\n"
        ")"
    )
    nested = repr(Net())
    assert "  (block): Block(\n    (fc): Linear(in_features=3, out_features=4, bias=True)" in nested
    assert "(layers): ModuleList(\n    (0): Linear" in nested


def test_num_parameters_counts_scalars():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.Linear(64, 10))
    assert model.num_parameters() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    model[0].requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == 128 * 64 + 64 + 64 * 10 + 10


def test_to_double_converts_in_place():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    layer.double()
    assert layer.weight is weight and weight.dtype == np.float64
    assert layer(Tensor(np.ones((1, 2)), dtype=np.float64)).dtype == np.float64


def test_deepcopy_gives_independent_parameters():
    model = nn.Sequential(nn.Linear(2, 2))
    clone = copy.deepcopy(model)
    clone[0].weight.data[:] = 0
    assert model[0].weight.data.any()
    assert isinstance(clone[0].weight, nn.Parameter)


def test_parameter_keeps_float_dtype_and_shares_tensor_data():
    t = Tensor(np.zeros(3), dtype=np.float64)
    p = nn.Parameter(t)
    assert p.dtype == np.float64 and p.data is t.data and p.requires_grad
    assert repr(nn.Parameter(np.zeros(1, np.float32))).startswith("Parameter containing:\n")


def test_forward_not_defined_is_a_clear_error():
    with pytest.raises(NotImplementedError, match='Module has no "forward"'):
        nn.Module()(1)


def test_reassigning_a_submodule_or_parameter_keeps_its_place():
    """As in PyTorch: replacing layer 1 of a Sequential leaves the order 0, 1, 2."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    setattr(model, "1", nn.Tanh())
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    assert isinstance(list(model.children())[1], nn.Tanh)
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(np.zeros((2, 2), dtype=np.float32))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_named_modules_lists_a_shared_module_once():
    """A module reached by two paths (weight tying) is one module: listed once, first path."""
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.Sequential(nn.ReLU(), shared))
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "1.0"]
    assert len(list(net.modules())) == 4


def test_assigning_a_parameter_before_module_init_names_the_fix():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(zeros(2))

    with pytest.raises(AttributeError, match=r"parameters before Module.__init__\(\) call.*"
                                             r"super\(\).__init__\(\) first in Forgetful"):
        Forgetful()


def test_setting_a_sub_module_to_none_removes_it_from_the_children():
    net = nn.Sequential(nn.Linear(2, 2))
    net.head = nn.Linear(2, 1)
    net.head = None
    assert net.head is None
    assert [n for n, _ in net.named_children()] == ["0"]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]


def test_a_sub_module_replacing_a_parameter_of_the_same_name_unregisters_it():
    net = nn.Module()
    net.proj = nn.Parameter(zeros(3))
    net.add_module("proj", nn.Linear(3, 1))
    assert [n for n, _ in net.named_parameters()] == ["proj.weight", "proj.bias"]
    assert isinstance(net.proj, nn.Linear)


def test_a_parameter_without_data_is_empty_float32():
    empty = nn.Parameter()
    assert empty.shape == (0,) and empty.dtype == np.float32 and empty.requires_grad


def test_a_parameter_registered_in_two_modules_is_listed_once():
    """Weight tying: one Parameter assigned to two different modules is updated once a step."""
    encoder, decoder = nn.Linear(3, 3), nn.Linear(3, 3)
    decoder.weight = encoder.weight
    model = nn.Sequential(encoder, decoder)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert [n for n, _ in model.named_parameters(prefix="net")][:1] == ["net.0.weight"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_parameters_list_a_tied_weight_once():
    """Weight tying without state_dict: ``parameters()`` alone must skip the second path."""
    encoder, decoder = nn.Linear(3, 3), nn.Linear(3, 3)
    decoder.weight = encoder.weight
    model = nn.Sequential(encoder, decoder)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(model.parameters())) == 3 and model.num_parameters() == 9 + 3 + 3


def test_reassigning_a_buffer_keeps_its_persistence():
    block = Block()
    block.running_mean = zeros(4) + 1
    block.scratch = zeros(2) + 1
    assert list(block._buffers) == ["running_mean", "scratch"]
    assert block._non_persistent_buffers == {"scratch"}


def test_named_parameters_and_buffers_without_recursion():
    block = Block()
    assert [n for n, _ in block.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in block.named_buffers(recurse=False)] == ["running_mean", "scratch"]
    assert [n for n, _ in Net().named_buffers(prefix="m")] == ["m.block.running_mean",
                                                               "m.block.scratch"]
    assert [n for n, _ in Net().named_modules(prefix="m")][:3] == ["m", "m.block", "m.block.fc"]


def test_state_dict_values_share_memory_and_are_detached_unless_keep_vars():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert state["weight"].data is layer.weight.data and not state["weight"].requires_grad
    kept = layer.state_dict(keep_vars=True)
    assert kept["weight"] is layer.weight and kept["bias"] is layer.bias
    nested = nn.Sequential(layer).state_dict(prefix="model.", keep_vars=True)
    assert list(nested) == ["model.0.weight", "model.0.bias"]
    assert nested["model.0.weight"] is layer.weight
    assert list(nn.Linear(2, 2, bias=False).state_dict()) == ["weight"]


def test_assigning_to_a_buffer_keeps_it_a_buffer_of_the_same_persistence():
    block = Block()
    block.running_mean = ones_like_buffer = zeros(4) + 1
    block.scratch = zeros(2) + 1
    assert block._buffers["running_mean"] is ones_like_buffer
    assert "running_mean" not in block.__dict__ and "scratch" not in block.__dict__
    assert "running_mean" in block.state_dict() and "scratch" not in block.state_dict()
    block.running_mean = None
    assert block.running_mean is None and "running_mean" not in block.state_dict()
    with pytest.raises(TypeError, match="buffer 'scratch'"):
        block.scratch = np.zeros(2)


def test_plain_attributes_are_not_registered():
    layer = nn.Linear(2, 2)
    layer.note = "hello"
    layer.cache = zeros(2)   # a Tensor that is not a Parameter is an ordinary attribute
    assert layer.__dict__["note"] == "hello" and layer.__dict__["cache"] is layer.cache
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert not layer._buffers and not layer._modules


def test_zero_grad_without_set_to_none_leaves_a_missing_gradient_missing():
    model = nn.Linear(3, 2)
    grad = model.weight.grad = Tensor(np.ones((2, 3), np.float32))
    array = grad.data
    model.zero_grad(set_to_none=False)
    assert model.bias.grad is None and not model.weight.grad.data.any()
    # zeroed in place: the same Tensor holding the same array, not a new one
    assert model.weight.grad is grad and grad.data is array


def test_load_state_dict_in_place_through_a_shared_module_and_strict_false_extras():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    weight = layer.weight.data
    state = {k: np.full(v.shape, 3.0, np.float32) for k, v in model.state_dict().items()}
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == ["extra"]
    assert layer.weight.data is weight and (weight == 3).all()
    with pytest.raises(RuntimeError, match="unexpected key 'extra'"):
        model.load_state_dict(state)
    with pytest.raises(RuntimeError, match="missing key '1.bias'"):
        model.load_state_dict({k: v for k, v in state.items() if k != "1.bias"})
