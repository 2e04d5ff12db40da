"""dtype promotion as PyTorch's (``torch.result_type``); PyTorch is the oracle where installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.tensor import Tensor, cat, full, promote_types, result_type, stack, where


def t(values, dtype):
    return Tensor(np.array(values).astype(dtype), dtype=dtype)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: t([1, 2], np.uint8) + 10, np.uint8),
        (lambda: t([1, 2], np.int32) + 1, np.int32),
        (lambda: 1 + t([1, 2], np.int16), np.int16),
        (lambda: t([1, 2], np.int64) + 2.5, np.float32),
        (lambda: t([1.0, 2.0], np.float32) + t(1.0, np.float64), np.float32),
        (lambda: t([1, 2], np.int64) + t(1.5, np.float64), np.float64),
        (lambda: t([1, 2], np.uint8) + t(1, np.int64), np.uint8),
        (lambda: t(1, np.uint8) + t(1, np.int32), np.int32),
        (lambda: t([True], np.bool_) + 1, np.int64),
        (lambda: t([True], np.bool_) * True, np.bool_),
        (lambda: t([1, 2], np.uint8) / 2, np.float32),
        (lambda: t([1, 2], np.int64) ** 2, np.int64),
        (lambda: t([1, 2], np.int32) ** 0.5, np.float32),
        (lambda: t([1, 2], np.int8) * t([1, 2], np.uint8), np.int16),
        (lambda: cat([t([1], np.int64), t([2.0], np.float32)]), np.float32),
        (lambda: stack([t([1], np.int32), t([2], np.int64)]), np.int64),
        (lambda: where(Tensor([True, False]), t([1, 2], np.int64), 0.5), np.float32),
        (lambda: where(Tensor([True, False]), 1, 0), np.int64),
        (lambda: full((2,), 3), np.int64),
        (lambda: full((2,), 3.0), np.float32),
        (lambda: full((2,), True), np.bool_),
        (lambda: t([1.0], np.float32).maximum(t(0.0, np.float64)), np.float32),
    ],
)
def test_the_dtypes_pytorch_gives(make, expected):
    assert make().dtype == np.dtype(expected)


def test_numbers_wrap_into_small_integer_dtypes_as_pytorch():
    assert (t([250], np.uint8) + 10).tolist() == [4]


def test_promote_types_lets_the_higher_category_win():
    assert promote_types(np.int64, np.float32) == np.float32
    assert promote_types(np.int8, np.uint8) == np.int16
    assert promote_types(np.bool_, np.uint8) == np.uint8
    assert promote_types(np.float16, np.float64) == np.float64


def test_result_type_takes_tensors_and_numbers():
    assert result_type(t([1], np.int32), 5) == np.int32
    assert result_type(t([1], np.int32), 5.0) == np.float32
    assert result_type(3, 4.0) == np.float32
    assert result_type(True, t(1, np.uint8)) == np.uint8


# ----------------------------------------------------------------------------- PyTorch as oracle

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 3, 2.5]
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
}


def _operands():
    for dtype in DTYPES:
        yield ("dims", dtype)
        yield ("0-d", dtype)
    for number in NUMBERS:
        yield ("number", number)


def _ours(kind, spec):
    if kind == "number":
        return spec
    values = [1, 2] if kind == "dims" else 1
    return Tensor(np.array(values).astype(spec), dtype=spec)


def _theirs(torch, kind, spec):
    if kind == "number":
        return spec
    values = [1, 2] if kind == "dims" else 1
    return torch.tensor(values).to(getattr(torch, spec))


@pytest.mark.parametrize("op", sorted(OPS))
def test_binary_op_dtypes_match_pytorch(op):
    torch = pytest.importorskip("torch")
    fn = OPS[op]
    checked = 0
    for (kind_a, a), (kind_b, b) in itertools.product(_operands(), repeat=2):
        if kind_a == "number" and kind_b == "number":
            continue
        if kind_a == "number" and op == "maximum":
            continue  # torch.maximum takes two tensors
        theirs_a, theirs_b = _theirs(torch, kind_a, a), _theirs(torch, kind_b, b)
        try:
            if op == "maximum":
                expected = torch.maximum(
                    theirs_a,
                    theirs_b if kind_b != "number" else torch.tensor(theirs_b),
                )
                if kind_b == "number":
                    continue  # torch.maximum has no number overload
            else:
                expected = fn(theirs_a, theirs_b)
        except (RuntimeError, TypeError):
            continue  # PyTorch refuses it (bool - bool): not a promotion question
        got = fn(_ours(kind_a, a), _ours(kind_b, b))
        want = str(expected.dtype).removeprefix("torch.")
        assert got.dtype == np.dtype(want), f"{kind_a} {a} {op} {kind_b} {b}"
        assert_allclose(got.numpy().astype(np.float64), expected.double().numpy(), rtol=1e-3)
        checked += 1
    assert checked > 200


def test_where_cat_and_pow_dtypes_match_pytorch():
    torch = pytest.importorskip("torch")
    for a, b in itertools.product(DTYPES, repeat=2):
        ours = cat([_ours("dims", a), _ours("dims", b)])
        theirs = torch.cat([_theirs(torch, "dims", a), _theirs(torch, "dims", b)])
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), (a, b)
    condition = Tensor([True, False])
    for (kind_a, a), (kind_b, b) in itertools.product(_operands(), repeat=2):
        theirs = torch.where(
            torch.tensor([True, False]), _theirs(torch, kind_a, a), _theirs(torch, kind_b, b)
        )
        ours = where(condition, _ours(kind_a, a), _ours(kind_b, b))
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), (a, b)
    for dtype in DTYPES[1:]:
        for exponent in (2, 0.5):
            theirs = _theirs(torch, "dims", dtype) ** exponent
            ours = _ours("dims", dtype) ** exponent
            assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), dtype
            assert_allclose(ours.numpy().astype(np.float64), theirs.double().numpy(), rtol=1e-3)
