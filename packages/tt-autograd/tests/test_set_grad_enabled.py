"""set_grad_enabled works as a call and as a context manager, as in PyTorch."""

import numpy as np
from tinytorch.autograd import is_grad_enabled, set_grad_enabled
from tinytorch.tensor import Tensor


def test_as_a_context_manager_it_restores_the_previous_mode():
    x = Tensor(np.ones(2), requires_grad=True)
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        assert not (x * 2).requires_grad
    assert is_grad_enabled()
    assert (x * 2).requires_grad


def test_as_a_call_it_switches_at_once():
    try:
        set_grad_enabled(False)
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()
