"""tinytorch.tensor.exp(x), .sum(x, dim=1), ...: torch's module-level functions, made from the
Tensor methods, and checked against PyTorch's list of functions where it is installed."""

from __future__ import annotations

import builtins
import inspect

import numpy as np
import pytest
import tinytorch.tensor as tt
from numpy.testing import assert_allclose
from tinytorch.tensor import Tensor, functions


def test_functions_call_the_method_with_the_tensor_first():
    x = Tensor([[1.0, -2.0], [3.0, 4.0]])
    assert_allclose(tt.sum(x, dim=1).numpy(), [-1.0, 7.0])
    assert_allclose(tt.max(x).numpy(), 4.0)
    assert_allclose(tt.abs(x).numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(tt.matmul(x, x).numpy(), x.numpy() @ x.numpy())
    assert_allclose(tt.softmax(x, dim=0).numpy(), x.softmax(dim=0).numpy())
    assert_allclose(tt.pow(x, 2).numpy(), x.numpy() ** 2)
    assert_allclose(tt.add(x, x, alpha=2).numpy(), 3 * x.numpy())
    assert_allclose(tt.sub(x, 1.0, alpha=3).numpy(), x.numpy() - 3)
    assert tt.topk(x, 1).indices.tolist() == [[0], [1]]
    assert [p.shape for p in tt.split(x, 1, dim=1)] == [(2, 1), (2, 1)]
    assert tt.numel(x) == 4


@pytest.mark.parametrize("name", functions.METHOD_FUNCTIONS)
def test_every_function_is_its_method(name):
    function = getattr(tt, name)
    assert function is functions.FUNCTIONS[name]
    assert function.__name__ == name and function.__module__ == "tinytorch.tensor"
    assert function.__doc__ == getattr(Tensor, name).__doc__
    parameters = list(inspect.signature(function).parameters)
    assert parameters[0] == "input"
    assert parameters[1:] == list(inspect.signature(getattr(Tensor, name)).parameters)[1:]


def test_functions_want_a_tensor_as_pytorch():
    with pytest.raises(TypeError, match="exp\\(\\): expected a Tensor as first argument .* list"):
        tt.exp([1.0, 2.0])


def test_builtin_names_stay_python_builtins_in_every_module():
    """sum, max, ... exist on the package, but no module of it defines them."""
    for module in (tt.functions, tt.tensor, tt.creation, tt.dispatch, tt.errors, tt.ops,
                   tt.promotion):
        for name in ("sum", "max", "min", "abs", "pow", "any", "all"):
            assert name not in vars(module), f"{module.__name__} defines {name}"
    assert tt.sum is not builtins.sum and "sum" in dir(tt) and "sum" in tt.__all__
    namespace: dict = {}
    exec("from tinytorch.tensor import *", namespace)
    assert namespace["amax"] is tt.amax
    with pytest.raises(AttributeError, match="has no attribute 'no_such_function'"):
        tt.no_such_function  # noqa: B018


def test_every_tensor_method_that_torch_has_as_a_function_is_one_here():
    torch = pytest.importorskip("torch")
    public = [n for n in dir(Tensor) if not n.startswith("_") and callable(getattr(Tensor, n))]
    in_torch = {
        n
        for n in public
        if callable(getattr(torch, n, None))
        and not isinstance(getattr(torch, n), torch.dtype)
        and not n.endswith("_")  # in-place methods: torch documents no functions for them
    }
    missing = in_torch - set(functions.METHOD_FUNCTIONS) - {"addmm"}  # addmm: tensor.py's own
    assert not missing, f"add these Tensor methods to functions.METHOD_FUNCTIONS: {missing}"
    not_torch = set(functions.METHOD_FUNCTIONS) - in_torch
    assert not not_torch, f"torch has no module-level function for {not_torch}"


def test_functions_agree_with_torch_on_values():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    for name, args in {
        "cumsum": (1,),
        "prod": (0,),
        "amax": ((0, 1),),
        "remainder": (torch.tensor(2.0),),
        "tril": (),
        "sum": (1,),
        "mean": (),
        "exp": (),
    }.items():
        ours = getattr(tt, name)(Tensor(a, dtype=np.float64), *[_ours(v) for v in args])
        ref = getattr(torch, name)(torch.tensor(a), *args)
        assert_allclose(ours.numpy(), ref.numpy(), err_msg=name)


def _ours(value):
    return Tensor(value.numpy(), dtype=np.float64) if hasattr(value, "numpy") else value
