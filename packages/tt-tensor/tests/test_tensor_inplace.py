"""In-place operations: they write into the tensor's memory and bump its version, as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import DTypeError, ShapeError, Tensor, increment_version


def test_augmented_operators_update_the_tensor_itself():
    a = Tensor([1.0, 2.0])
    b = a
    view = a.numpy()
    a += 1
    a *= 3
    a -= Tensor([1.0, 1.0])
    a /= 2
    assert a is b
    assert_allclose(b.data, [2.5, 4.0])
    assert_allclose(view, [2.5, 4.0])  # the same memory
    assert a._version == 4


def test_underscore_methods_return_the_tensor():
    x = Tensor([1.0, -2.0, 3.0])
    assert x.add_(1, alpha=2) is x
    assert_allclose(x.data, [3.0, 0.0, 5.0])
    assert x.sub_(Tensor([1.0, 1.0, 1.0]), alpha=0.5) is x
    assert_allclose(x.data, [2.5, -0.5, 4.5])
    assert x.mul_(2) is x and x.div_(Tensor([5.0, 1.0, 9.0])) is x
    assert_allclose(x.data, [1.0, -1.0, 1.0])
    assert x.clamp_(min=0.0) is x and x.clip_(max=0.5) is x
    assert_allclose(x.data, [0.5, 0.0, 0.5])
    assert x.fill_(7) is x and x.zero_() is x
    assert_array_equal(x.data, [0.0, 0.0, 0.0])
    assert x.copy_(Tensor([1.0, 2.0, 3.0])) is x
    assert_array_equal(x.data, [1.0, 2.0, 3.0])
    assert x.pow_(2) is x
    assert_array_equal(x.data, [1.0, 4.0, 9.0])


def test_masked_fill_in_place():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.masked_fill_(Tensor([[True, False], [False, True]]), -1.0) is x
    assert_array_equal(x.data, [[-1.0, 2.0], [3.0, -1.0]])
    assert x._version == 1


def test_matmul_in_place():
    m = Tensor(np.eye(2) * 2)
    m @= Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(m.data, [[2.0, 4.0], [6.0, 8.0]])
    with pytest.raises(ShapeError, match="cannot change"):
        m @= Tensor(np.ones((2, 3)))


def test_an_operand_broadcasts_but_the_tensor_keeps_its_shape():
    x = Tensor(np.zeros((2, 3)))
    x += Tensor([1.0, 2.0, 3.0])
    assert_allclose(x.data, [[1.0, 2.0, 3.0]] * 2)
    small = Tensor(np.zeros((2, 1)))
    with pytest.raises(ShapeError, match=r"shape \(2, 3\).*shape \(2, 1\)"):
        small += x


def test_integer_tensors_keep_their_dtype_and_refuse_float_results():
    t = Tensor([1, 2], dtype=np.int64)
    t += 3
    assert t.dtype == np.int64 and t.tolist() == [4, 5]
    with pytest.raises(DTypeError, match="float32 can't be cast to the tensor's dtype int64"):
        t /= 2
    with pytest.raises(DTypeError, match="can't be cast"):
        t += 1.5
    assert t.tolist() == [4, 5]
    f = Tensor([1.0, 2.0])
    f += Tensor([1, 2])  # an integer operand is fine on a float tensor
    assert f.dtype == np.float32


def test_setitem_with_numbers_tensors_and_broadcasting():
    x = Tensor(np.zeros((3, 2)))
    x[0] = 5
    x[1] = Tensor([1.0, 2.0])
    x[:, 1] = Tensor(9.0)
    x[Tensor([True, False, True])] += 1  # getitem, add, then setitem: as in PyTorch
    assert_allclose(x.data, [[6.0, 10.0], [1.0, 9.0], [1.0, 10.0]])
    assert x.dtype == np.float32


def test_setitem_keeps_the_tensor_dtype():
    t = Tensor([0, 0, 0])
    t[0] = 2.7  # truncated, as in PyTorch
    t[1:] = Tensor([1.0, 2.0], dtype=np.float64)
    assert t.dtype == np.int64 and t.tolist() == [2, 1, 2]


def test_setitem_errors_name_the_shapes():
    x = Tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(3,\) into index 0 of a tensor of shape"):
        x[0] = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match="setitem"):
        x[5] = 1.0


def test_version_counts_in_place_writes_only():
    x = Tensor([1.0, 2.0])
    assert x._version == 0
    x + 1
    x.data[0] = 5.0  # .data is not tracked, as in PyTorch
    assert x._version == 0
    x[0] = 1.0
    x.add_(1)
    assert x._version == 2
    increment_version(x)
    assert x._version == 3


def test_views_and_detach_share_the_counter_copies_do_not():
    x = Tensor(np.zeros((2, 3)))
    views = [x.reshape(3, 2), x.T, x[0], x[:, 1:], x.detach(), x.unsqueeze(0)]
    copies = [x.clone(), x[[0, 1]], x * 1, x.T.reshape(6)]
    x.add_(1)
    assert [v._version for v in views] == [1] * len(views)
    assert [c._version for c in copies] == [0] * len(copies)
    views[2].add_(1)  # a write through a view changes the base, and counts for all
    assert_allclose(x.data[0], [2.0, 2.0, 2.0])
    assert x._version == 2 and views[0]._version == 2


def test_an_expanded_view_is_read_only():
    x = Tensor([1.0, 2.0]).expand(3, 2)
    with pytest.raises(ValueError, match="read-only"):
        x += 1


def test_matches_pytorch_on_values_and_dtypes():
    torch = pytest.importorskip("torch")
    for dtype, tdtype in ((np.float32, torch.float32), (np.int64, torch.int64)):
        ours = Tensor(np.arange(6).reshape(2, 3), dtype=dtype)
        theirs = torch.arange(6).reshape(2, 3).to(tdtype)
        for t in (ours, theirs):
            t += 2
            t *= 3
            t -= 1
            t[0, 1] = 7
            t[:, 2] = 0
            t.clamp_(1, 15)
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        assert_array_equal(ours.data, theirs.numpy())
