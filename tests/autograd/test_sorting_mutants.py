"""Tests written against surviving mutants of ``autograd/ops/sorting.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/sorting.py``): stability with many ties (an
unstable quicksort agrees on short inputs), exact errors naming the op, 0-d and 1-D
inputs, ``keepdim`` and size-1 dims. Expected values are NumPy's stable argsort (PyTorch
2.13's ``stable=True`` order) or exact; each docstring names the mutants it kills. The
``@replayable`` helpers (``argsort``, ``_select_index``, ``_median_pos``,
``_mode_index``) are not mutated by mutmut 3.8 (it skips decorated functions)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.sort(X, 2), IndexError,
     'sort: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.argsort(X, 2), IndexError,
     'argsort: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.topk(X, 1, 2), IndexError,
     'topk: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.topk(ag.tensor(1.0), 2), RuntimeError,
     'topk: k=2 is out of range for dimension 0 of size 1'),
    (lambda: ag.kthvalue(X, 1, 2), IndexError,
     'kthvalue: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.kthvalue(ag.tensor(1.0), 2), RuntimeError,
     'kthvalue: k=2 is out of range for dimension 0 of size 1'),
    (lambda: ag.median(ag.zeros(0, 2)), RuntimeError,
     'median: the input is empty (shape (0, 2))'),
    (lambda: ag.nanmedian(ag.zeros(2, 0), 1), RuntimeError,
     'nanmedian: the input is empty (shape (2, 0))'),
    (lambda: ag.median(X, 2), IndexError,
     'median: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.nanmedian(X, 2), IndexError,
     'nanmedian: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.mode(X, 2), IndexError,
     'mode: dim 2 is out of range for a tensor of 2 dimension(s)'),
])
def test_sorting_errors_are_exact(call, kind, text):
    """The whole message: the op names given to ``_dim`` (sort #30-#35, topk #6-#11,
    kthvalue #5-#10, ``_median`` #28, median/nanmedian #6, #13, #14, mode #5-#10), the k
    range of a 0-d input (topk #15, kthvalue #14: ``else 2``) and ``_median``'s empty
    input message (#3, #4). Bug found: ``sort`` with a bad dim named ``argsort``."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_on_long_inputs_with_ties(descending):
    """Ties keep their order in both directions on 200 elements (``_stable_argsort``
    #4, #7, #13, #16: NumPy's default quicksort is not stable beyond 16 elements)."""
    a = np.random.default_rng(0).integers(0, 3, 200).astype(np.float32)
    want = np.argsort(-a if descending else a, kind="stable")
    values, idx = ag.sort(ag.tensor(a), descending=descending)
    assert np.array_equal(idx.numpy(), want)
    assert np.array_equal(values.numpy(), a[want])
    assert np.array_equal(ag.topk(ag.tensor(a), 5).indices.numpy(),
                          np.argsort(-a, kind="stable")[:5])


def test_topk_kthvalue_median_of_0d_and_1d():
    """0-d inputs give the value and index 0, as PyTorch 2.13 (topk #14, #23-#27;
    ``_median`` #32, #34, #38); ``topk`` of a 1-D tensor (#22)."""
    z = ag.tensor(3.0)
    v, i = ag.topk(z, 1)
    assert v.tolist() == 3.0 and i.tolist() == 0 and i.dtype == ag.int64
    v, i = ag.median(z, 0)
    assert v.tolist() == 3.0 and i.tolist() == 0
    v, i = ag.kthvalue(z, 1)
    assert v.tolist() == 3.0 and i.tolist() == 0
    v, i = ag.topk(ag.tensor([1.0, 5.0, 3.0]), 2)
    assert v.tolist() == [5.0, 3.0] and i.tolist() == [1, 2]
    v, i = ag.topk(ag.tensor([1.0, 5.0, 3.0]), 1, largest=False)
    assert v.tolist() == [1.0] and i.tolist() == [0]


def test_keepdim_and_size_one_dims():
    """Only the reduced dim is squeezed (``_select`` #39-#45, mode #47-#53: ``squeeze``
    of every size-1 dim), ``keepdim`` is passed on (``_median`` #54, median #4,
    nanmedian #4) and defaults to False (kthvalue #1)."""
    x = ag.tensor([[3.0, 1.0, 2.0]])
    assert ag.kthvalue(x, 2, 1).values.shape == (1,)
    assert ag.kthvalue(x, 2, 1).values.tolist() == [2.0]
    assert ag.kthvalue(x, 2, 1).indices.shape == (1,)  # _select #43, #45
    assert ag.kthvalue(x, 2, 1).indices.tolist() == [2]
    assert ag.median(x, 1).values.shape == (1,)
    assert ag.mode(ag.tensor([[2.0, 1.0, 2.0]]), 1).values.tolist() == [2.0]
    assert ag.mode(ag.tensor([[2.0, 1.0, 2.0]]), 1).indices.tolist() == [2]
    assert ag.median(X, 1, keepdim=True).values.shape == (2, 1)
    assert ag.nanmedian(X, 1, keepdim=True).indices.tolist() == [[1], [1]]
    assert ag.median(X, 0, True).values.tolist() == [[0.0, 1.0, 2.0]]


def test_nanmedian_of_all_elements_skips_nan():
    """``nanmedian`` without dim ignores NaN (``_median`` #16: the recursion lost
    ``ignore_nan``), ``median`` propagates it, as PyTorch 2.13."""
    x = ag.tensor([1.0, float("nan"), 3.0, 2.0])
    assert ag.nanmedian(x).tolist() == 2.0
    assert np.isnan(ag.median(x).tolist())
