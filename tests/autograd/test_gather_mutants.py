"""Tests written against surviving mutants of ``autograd/ops/gather.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/gather.py``): exact errors, 0-d and
broadcast cases, integer and float paths, gradients. Expected values are exact (as
PyTorch 2.13 gives them); each docstring names what it catches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

_A = ag.arange(6.0).reshape(2, 3)
_i = ag.tensor


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.take(_A, _i([6])), IndexError,
     "take: index values span [6, 6], out of range for a dimension of size 6"),
    (lambda: ag.take(_A, _i([-7, 0])), IndexError,
     "take: index values span [-7, 0], out of range for a dimension of size 6"),
    (lambda: ag.index_select(_A, 1, _i([[0]])), RuntimeError,
     "index_select: index must be 0-D or 1-D, got shape (1, 1)"),
    (lambda: ag.index_select(_A, 1, _i([3])), IndexError,
     "index_select: index values span [3, 3], out of range for a dimension of size 3"),
    (lambda: ag.index_select(_A, 2, _i([0])), IndexError,
     "index_select: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.index_select(ag.tensor(5.0), 0, _i([1])), IndexError,
     "index_select: index values span [1, 1], out of range for a dimension of size 1"),
    (lambda: ag.masked_select(_A, _i([1, 0, 1])), TypeError,
     "masked_select: mask must be a bool tensor, got int64"),
    (lambda: ag.gather(_A, 1, _i([[0.5]])), TypeError,
     "gather: index must be an integer tensor, got dtype float32"),
    (lambda: ag.gather(_A, 1, [[0]]), TypeError,
     "gather: index must be an integer Tensor, got list"),
])
def test_gather_family_errors_are_exact(call, kind, text):
    """The whole message: catches the op names and sizes passed to ``_check_index`` and
    ``normalize_dim`` dropped or changed (``take`` #2-#8, ``index_select`` #4-#29,
    ``masked_select`` #4, ``_check_index``)."""
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == text


def test_index_select_values_0d_and_negative():
    """``index_select`` of a 0-d tensor is 0-d; a 0-d index selects one slice kept as a
    dimension of 1; negative positions count from the end. Catches ``index_select``
    #31-#53 (the 0-d branch and the index flattening)."""
    s = ag.tensor(5.0, requires_grad=True)
    out = ag.index_select(s, 0, _i([0]))
    assert out.shape == () and out.item() == 5.0
    assert ag.index_select(s, 0, _i(0)).shape == ()
    out.backward()
    assert s.grad.item() == 1.0
    np.testing.assert_array_equal(ag.index_select(_A, 1, _i(2)).numpy(), [[2.0], [5.0]])
    np.testing.assert_array_equal(ag.index_select(_A, 1, _i([2, -3])).numpy(),
                                  [[2.0, 0.0], [5.0, 3.0]])
    np.testing.assert_array_equal(ag.index_select(_A, -2, _i([1])).numpy(), [[3.0, 4.0, 5.0]])


def test_masked_select_broadcasts_mask_and_input():
    """The mask and the input broadcast against each other (PyTorch). Catches
    ``masked_select`` #9 (the broadcast shape taken from the input alone)."""
    np.testing.assert_array_equal(ag.masked_select(_A, ag.tensor([[True], [False]])).numpy(),
                                  [0.0, 1.0, 2.0])
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    out = ag.masked_select(x, ag.tensor([[True, False], [True, True]]))
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0])


def test_take_negative_and_nd_index():
    """``take`` reads the flattened input; the result has the index's shape. Catches
    ``take`` #3/#5/#6 (no size check: a wrapped or failing read)."""
    np.testing.assert_array_equal(ag.take(_A, _i([[-1, 0], [4, 2]])).numpy(),
                                  [[5.0, 0.0], [4.0, 2.0]])
