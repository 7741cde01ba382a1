"""Tests written against surviving mutants of ``autograd/ops/reduce.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/reduce.py``): the branches of ``max``/``min``
the registry does not reach and the exact errors of empty reductions. Each docstring names
what it catches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("op, call, kind, text", [
    ("max", lambda x: x.max(), RuntimeError, "max: the input of shape (0, 3) is empty and "
     "the operation has no identity; pass dim= to reduce over a non-empty dimension"),
    ("amin", lambda x: x.amin(), RuntimeError, "amin: the input of shape (0, 3) is empty "
     "and the operation has no identity; pass dim= to reduce over a non-empty dimension"),
    ("argmax", lambda x: x.argmax(), IndexError, "argmax: the input of shape (0, 3) is "
     "empty; pass dim= to reduce over a non-empty dimension"),
    ("min", lambda x: x.min(dim=0), IndexError, "min: cannot reduce over dim (0,), which "
     "has size 0 in the input of shape (0, 3) (the operation has no identity)"),
    ("amax", lambda x: x.amax(0), IndexError, "amax: cannot reduce over dim (0,), which "
     "has size 0 in the input of shape (0, 3) (the operation has no identity)"),
])
def test_empty_reductions_raise_pytorchs_types_with_the_op_and_shape(op, call, kind, text):
    """Exact type and message per op: catches ``_check_nonempty``'s messages and type
    choice mutated and the op name passed as None or swapped (``_maxmin`` #1-#7, #20,
    #43, #44)."""
    x = ag.zeros(0, 3)
    with pytest.raises(kind) as info:
        call(x)
    assert str(info.value) == text


def test_reductions_over_an_empty_kept_dimension_are_empty():
    """An empty dimension that is kept gives an empty result, not an error: catches
    ``_check_nonempty`` testing the wrong axes (``_maxmin`` #43)."""
    x = ag.zeros(0, 3)
    values, indices = x.max(dim=1)
    assert values.shape == (0,) and indices.shape == (0,)
    assert x.amin(1).shape == (0,)


def test_max_min_of_two_tensors_are_elementwise_with_gradients():
    """``max(a, b)`` / ``min(a, b)``: the elementwise maximum and minimum with their
    gradients. Catches the branch for a Tensor ``dim`` swapped or given wrong arguments
    (``_maxmin`` #8-#17)."""
    a = ag.tensor([1.0, 3.0, -1.0], requires_grad=True)
    b = ag.tensor([2.0, 2.0, -5.0], requires_grad=True)
    np.testing.assert_array_equal(a.max(b).numpy(), [2.0, 3.0, -1.0])
    np.testing.assert_array_equal(ag.min(a, b).numpy(), [1.0, 2.0, -5.0])
    a.max(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 0, 0])


def test_max_over_a_tuple_of_dims_and_of_a_0d_tensor():
    """``max`` over several dims returns the values (with keepdim) and routes the gradient
    to the maximum; ``max(dim=0)`` of a 0-d tensor is the tensor and index 0 (PyTorch's).
    Catches the tuple-dim call's arguments (``_maxmin`` #49-#59) and the 0-d branch
    (#62-#72)."""
    x = ag.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    out = x.max(dim=(0, 1), keepdim=True)
    assert out.shape == (1, 1) and out.item() == 7.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 0]])
    lo = x.min(dim=(0, 1))
    assert lo.shape == () and lo.item() == 1.0
    s = ag.tensor(5.0, requires_grad=True)
    values, indices = s.max(0)
    assert values.item() == 5.0 and values.shape == () and values.requires_grad
    assert indices.item() == 0 and indices.dtype == ag.int64 and indices.shape == ()
    assert indices.device == s.device
    values.backward()
    assert s.grad.item() == 1.0
