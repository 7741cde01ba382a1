"""Tests written against surviving mutants of ``autograd/ops/search.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/search.py``). Most of search.py's functions
carry ``@replayable``, which mutmut 3.8 does not mutate (it skips decorated functions);
these tests cover ``_truth``, which it does. Expected values are PyTorch 2.13's."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def test_all_any_of_a_0d_tensor_along_dim_0():
    """``all``/``any`` of a 0-d tensor with ``dim=0`` reduce nothing (``_truth`` #4: the
    dim normalized for a 0-d array, which NumPy refuses)."""
    assert ag.all(ag.tensor(3.0), 0).tolist() is True
    assert ag.all(ag.tensor(3.0), 0, True).shape == ()
    assert ag.any(ag.tensor(0), -1).tolist() is False


def test_all_any_keep_uint8_and_name_the_op():
    """uint8 inputs give uint8 results, as PyTorch (#24, #25); a bad dim names the op
    (#7)."""
    out = ag.all(ag.tensor([1, 2], dtype=ag.uint8))
    assert out.dtype == ag.uint8 and out.tolist() == 1
    out = ag.any(ag.tensor([[0, 2], [0, 0]], dtype=ag.uint8), 1)
    assert out.dtype == ag.uint8 and np.array_equal(out.numpy(), [1, 0])
    assert ag.all(ag.tensor([1.0, 0.0])).dtype == ag.bool
    for op in ("all", "any"):
        with pytest.raises(IndexError) as err:
            getattr(ag, op)(ag.zeros(2, 2), 3)
        assert str(err.value) == f"{op}: dim 3 is out of range for a tensor of 2 dimension(s)"
