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


_MORE = [
    (lambda: ag.take_along_dim(_A, _i([[0]]), 2), IndexError,
     'take_along_dim: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.take_along_dim(_A, _i([0]), 1), RuntimeError,
     'take_along_dim: indices has 1 dimensions, the input 2'),
    (lambda: ag.index_copy(_A, 2, _i([0]), ag.ones(2, 1)), IndexError,
     'index_copy: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.index_copy(_A, 1, _i([0]), ag.ones(3, 1)), RuntimeError,
     'index_copy: source has shape (3, 1), expected (2, 1)'),
    (lambda: ag.index_copy(_A, 1, _i([[0]]), ag.ones(2, 1)), RuntimeError,
     'index_copy: index must be 0-D or 1-D, got shape (1, 1)'),
    (lambda: ag.index_fill(_A, 2, _i([0]), 1.0), IndexError,
     'index_fill: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.index_fill(_A, 1, _i([0]), ag.ones(2)), RuntimeError,
     'index_fill: value must be a number or a 0-d tensor, got shape (2,)'),
    (lambda: ag.select_scatter(_A, ag.ones(3), 2, 0), IndexError,
     'select_scatter: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.select_scatter(_A, ag.ones(2), 0, 0), RuntimeError,
     'select_scatter: src has shape (2,), expected (3,)'),
    (lambda: ag.slice_scatter(_A, ag.ones(2, 3), 2), IndexError,
     'slice_scatter: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.slice_scatter(_A, ag.ones(2, 2), 0), RuntimeError,
     'slice_scatter: src has shape (2, 2), expected (2, 3)'),
    (lambda: ag.diagonal_scatter(_A, ag.ones(2), 0, 2, 1), IndexError,
     'diagonal_scatter: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.diagonal_scatter(_A, ag.ones(2), 0, 0, 2), IndexError,
     'diagonal_scatter: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.index_put(_A, (_i([0]),), ag.ones(4)), RuntimeError,
     'index_put: values of shape (4,) do not broadcast to the indexed shape (1, 3)'),
    (lambda: ag.index_reduce(_A, 0, _i([0]), ag.ones(1, 3), "sum"), ValueError,
     "index_reduce: reduce must be one of prod, mean, amax, amin; got 'sum'"),
    (lambda: ag.index_reduce(_A, 0, _i([0]), ag.ones(2, 3), "prod"), RuntimeError,
     'index_reduce: source has shape (2, 3), expected (1, 3)'),
    (lambda: ag.index_reduce(_A, 3, _i([0]), ag.ones(2, 3), "prod"), IndexError,
     'index_reduce: dim 3 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.index_reduce(_A, 0, _i([[0]]), ag.ones(1, 3), "prod"), RuntimeError,
     'index_reduce: index must be 0-D or 1-D, got shape (1, 1)'),
    (lambda: ag.scatter(_A, 0, _i([[0]])), TypeError,
     'scatter: expected src or value'),
    (lambda: ag.scatter(_A, 0, _i([[0]]), ag.ones(1, 1), reduce="max"), ValueError,
     "scatter: reduce must be 'add' or 'multiply', got 'max'"),
    (lambda: ag.scatter(_A, 0, _i([[0, 1]]), ag.ones(1, 1)), RuntimeError,
     'scatter: src of shape (1, 1) is smaller than index of shape (1, 2)'),
    (lambda: ag.scatter(_A, 2, _i([[0]]), 1.0), IndexError,
     'scatter: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.scatter_add(_A, -3, _i([[0]]), ag.ones(1, 1)), IndexError,
     'scatter_add: dim -3 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.scatter_reduce(_A, 0, _i([[0, 0, 0, 0]]), ag.ones(1, 4), "sum"), RuntimeError,
     'scatter_reduce: index shape (1, 4) exceeds the input shape (2, 3) in dimension 1'),
    (lambda: ag.gather(_A, 1, _i([0])), RuntimeError,
     'gather: index has 1 dimensions, the input 2; they must match'),
    (lambda: ag.gather(_A, 1, _i([[0], [0], [0]])), RuntimeError,
     'gather: index shape (3, 1) exceeds the input shape (2, 3) in dimension 0'),
    (lambda: ag.gather(_A, 0, _i([[2]])), IndexError,
     'gather: index values span [2, 2], out of range for a dimension of size 2'),
    (lambda: ag.gather(ag.tensor(1.0), 0, _i([[0]])), RuntimeError,
     'gather: index has 2 dimensions, the input 0; they must match'),
    (lambda: ag.gather(ag.tensor(1.0), 0, _i([1])), IndexError,
     'gather: index values span [1, 1], out of range for a dimension of size 1'),
    (lambda: ag.masked_scatter(_A, _i([[1, 0, 1]]), ag.ones(3)), TypeError,
     'masked_scatter: mask must be a bool tensor, got int64'),
    (lambda: ag.masked_scatter(_A, _A > 0, ag.ones(3)), RuntimeError,
     'masked_scatter: mask selects 5 elements but source has only 3'),
    (lambda: ag.index_add(_A, 1, _i([0]), ag.ones(3, 1)), RuntimeError,
     'index_add: source has shape (3, 1), expected (2, 1) for input (2, 3) and 1 indices'),
    (lambda: ag.index_add(_A, 2, _i([0]), ag.ones(2, 1)), IndexError,
     'index_add: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.index_add(_A, 1, _i([3]), ag.ones(2, 1)), IndexError,
     'index_add: index values span [3, 3], out of range for a dimension of size 3'),
    (lambda: ag.put(_A, _i([6]), ag.ones(1)), IndexError,
     'put: index values span [6, 6], out of range for a dimension of size 6'),
    (lambda: ag.index_select(ag.tensor(5.0), 0, _i([0, 0])), RuntimeError,
     'index_select: an index into a 0-d tensor can have only 1 value, got 2'),
]


@pytest.mark.parametrize("call, kind, text", _MORE)
def test_gather_family_more_errors_are_exact(call, kind, text):
    """Every op of gather.py names itself in its errors, with the shapes: catches the op
    names passed to ``normalize_dim``/``_dim_key``/``_values_for``/``_exact``/
    ``_along_key``/``_fit`` dropped or changed (``take_along_dim`` #16-#23,
    ``index_copy`` #5-#30, ``select_scatter`` #4-#29, ``slice_scatter`` #6-#36, ...) and
    the checks' conditions. The last case was a ``reshape`` error naming ``reshape``
    (fixed: ``index_select`` of a 0-d tensor with several indices names itself)."""
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == text


def test_slice_scatter_defaults_and_end():
    """``slice_scatter`` defaults to dim 0, step 1, the whole range, and honours ``end``.
    Catches ``slice_scatter`` #1, #2, #16."""
    x = ag.zeros(3, 2)
    out = ag.slice_scatter(x, ag.ones(3, 2))
    np.testing.assert_array_equal(out.numpy(), np.ones((3, 2)))
    out = ag.slice_scatter(x, ag.ones(1, 2), start=1, end=2)
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [1, 1], [0, 0]])
    out = ag.slice_scatter(x, ag.ones(3, 1), 1, 1)
    np.testing.assert_array_equal(out.numpy(), [[0, 1]] * 3)


def test_take_along_dim_broadcasts_indices_and_input():
    """``take_along_dim`` broadcasts the index and the input against each other outside
    ``dim`` (PyTorch). Catches ``take_along_dim`` #28 (the broadcast taken from the input
    alone)."""
    x = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    idx = ag.tensor([[2], [0]])
    out = ag.take_along_dim(x, idx, 1)
    np.testing.assert_array_equal(out.numpy(), [[3.0], [1.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(ag.take_along_dim(_A, ag.tensor([[0], [2]]), 1).numpy(),
                                  [[0.0], [5.0]])


_X = [[1, 2, 3], [4, 5, 6]]
_IDX = [[0, 1, 0], [0, 0, 1]]
_SRC = [[7, 8, 9], [10, 11, 12]]


@pytest.mark.parametrize("reduce, include_self, want", [
    ("sum", True, [[18, 13, 12], [4, 13, 18]]), ("sum", False, [[17, 11, 9], [4, 8, 12]]),
    ("prod", True, [[70, 22, 27], [4, 40, 72]]), ("prod", False, [[70, 11, 9], [4, 8, 12]]),
    ("mean", True, [[6, 6, 6], [4, 6, 9]]), ("mean", False, [[8, 11, 9], [4, 8, 12]]),
    ("amax", True, [[10, 11, 9], [4, 8, 12]]), ("amax", False, [[10, 11, 9], [4, 8, 12]]),
    ("amin", True, [[1, 2, 3], [4, 5, 6]]), ("amin", False, [[7, 11, 9], [4, 8, 12]]),
])
def test_scatter_reduce_on_integers(reduce, include_self, want):
    """Integer ``scatter_reduce`` (values from PyTorch 2.13): the integer identities of
    amax/amin without self, the floor of an integer mean, the counts. Catches
    ``ScatterReduce.forward``'s integer branch, ``_reduce_into``, ``_scatter_count``."""
    out = ag.scatter_reduce(ag.tensor(_X), 0, ag.tensor(_IDX), ag.tensor(_SRC), reduce,
                            include_self=include_self)
    assert out.dtype == ag.int64 and out.tolist() == want


def test_scatter_with_reduce_numbers_and_accumulating_puts():
    """``scatter(reduce=)`` with a number or a tensor, a NumPy scalar value, and the
    accumulating ``index_put``/``put`` (values from PyTorch 2.13). Catches ``scatter``'s
    reduce branch and value conversion, ``index_put``/``put`` with ``accumulate``."""
    x, idx, src = ag.tensor(_X), ag.tensor(_IDX), ag.tensor(_SRC)
    assert ag.scatter(x, 0, idx, 5, reduce="multiply").tolist() == [[25, 10, 15], [4, 25, 30]]
    assert ag.scatter(x, 0, idx, src, reduce="add").tolist() == [[18, 13, 12], [4, 13, 18]]
    out = ag.scatter(x, 0, idx, np.int64(5))
    assert out.tolist() == [[5, 5, 5], [4, 5, 5]] and out.dtype == ag.int64
    assert ag.index_put(x, (ag.tensor([0, 0]),), 1, accumulate=True).tolist() == [
        [3, 4, 5], [4, 5, 6]]
    assert ag.put(x, ag.tensor([0, 0, 5]), ag.tensor([1, 2, 3]), accumulate=True).tolist() == [
        [4, 2, 3], [4, 5, 9]]
    assert ag.put(x, ag.tensor([0, 5]), ag.tensor([7, 8])).tolist() == [[7, 2, 3], [4, 5, 8]]


def test_index_fill_reduce_and_add_values():
    """``index_fill`` with a 0-d tensor, ``index_reduce`` mean without self, ``index_add``
    with repeats and ``alpha`` (values from PyTorch 2.13). Catches ``index_fill``,
    ``index_reduce``, ``index_add`` and ``_values_for``'s dtype conversion."""
    x = ag.tensor(_X)
    assert ag.index_fill(x, 1, ag.tensor([0, 2]), ag.tensor(9)).tolist() == [[9, 2, 9],
                                                                            [9, 5, 9]]
    assert ag.index_reduce(x, 0, ag.tensor([0, 0]), ag.tensor(_SRC), "mean",
                           include_self=False).tolist() == [[8, 9, 10], [4, 5, 6]]
    assert ag.index_add(x, 1, ag.tensor([0, 0]), ag.tensor([[1, 2], [3, 4]]),
                        alpha=2).tolist() == [[7, 2, 3], [18, 5, 6]]
    f = ag.zeros(2, 3, dtype=ag.float64)
    out = ag.index_copy(f, 1, ag.tensor([1]), ag.tensor([[1], [2]]))
    assert out.dtype == ag.float64 and out.tolist() == [[0.0, 1.0, 0.0], [0.0, 2.0, 0.0]]
    out = ag.masked_scatter(f, ag.tensor([[True, False, True]]),
                            ag.tensor([1, 2, 3, 4, 5]))
    assert out.dtype == ag.float64
    assert out.tolist() == [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]]


@pytest.mark.parametrize("include_self, gx, gsrc", [
    (True, [0.0, 20.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0, 0.0, 0.0]),
    (False, [0.0, 0.0, 1.0, 0.0], [0.0, 2.0, 5.0, 4.0, 7.0, 0.0]),
])
def test_scatter_reduce_prod_gradient_with_zeros(include_self, gx, gsrc):
    """``scatter_reduce(prod)`` with groups holding one and two zeros (and ``x``'s own zero):
    each gradient is the product of the others in its group, in float32 (values from
    PyTorch 2.13). Catches ``ScatterReduce.backward`` #60-#100 (the zero counts, the
    products without zeros, their dtypes)."""
    x = ag.tensor([1.0, 0.0, 3.0, 0.0], requires_grad=True)
    src = ag.tensor([2.0, 0.0, 4.0, 5.0, 0.0, 7.0], requires_grad=True)
    out = ag.scatter_reduce(x, 0, ag.tensor([0, 0, 1, 1, 3, 3]), src, "prod",
                            include_self=include_self)
    g = ag.grad(out.sum(), [x, src])
    assert g[0].dtype == g[1].dtype == ag.float32
    np.testing.assert_array_equal(g[0].numpy(), gx)
    np.testing.assert_array_equal(g[1].numpy(), gsrc)


def test_scatter_reduce_prod_gradient_without_zeros_excluding_self():
    """No zeros, ``include_self=False``: the excluded positions of ``x`` get 0 (values
    from PyTorch 2.13). Catches ``ScatterReduce.backward`` #21, #30, #33 (the zero test
    reading ``x`` where it is excluded)."""
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    src = ag.tensor([2.0, 4.0], dtype=ag.float64, requires_grad=True)
    ag.scatter_reduce(x, 0, ag.tensor([0, 0]), src, "prod",
                      include_self=False).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(src.grad.numpy(), [4.0, 2.0])
    z = ag.tensor([0.0, 2.0], dtype=ag.float64, requires_grad=True)
    s = ag.tensor([3.0], dtype=ag.float64, requires_grad=True)
    ag.scatter_reduce(z, 0, ag.tensor([0]), s, "prod", include_self=False).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(s.grad.numpy(), [1.0])


def test_scatter_errors_and_masked_scatter_exact_count():
    """``scatter`` without src/value and with a bad reduce, by name; ``masked_scatter``
    with exactly as many source values as the mask selects. Catches ``scatter`` #2-#13
    and ``masked_scatter`` #13, #26, #28."""
    x = ag.zeros(3)
    with pytest.raises(TypeError) as info:
        ag.scatter(x, 0, ag.tensor([0]))
    assert str(info.value) == "scatter: expected src or value"
    for bad in ("max", "ADD"):
        with pytest.raises(ValueError) as info:
            ag.scatter(x, 0, ag.tensor([0]), 1.0, reduce=bad)
        assert str(info.value) == f"scatter: reduce must be 'add' or 'multiply', got {bad!r}"
    out = ag.masked_scatter(x, ag.tensor([True, False, True]), ag.tensor([4.0, 5.0]))
    np.testing.assert_array_equal(out.numpy(), [4.0, 0.0, 5.0])
    out = ag.scatter(ag.ones(3), 0, ag.tensor([1]), 3.0, reduce="multiply")
    np.testing.assert_array_equal(out.numpy(), [1.0, 3.0, 1.0])


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.index_copy(_A, 1, _i([5]), ag.ones(2, 1)), IndexError,
     "index_copy: index values span [5, 5], out of range for a dimension of size 3"),
    (lambda: ag.index_fill(_A, 1, _i([-4]), 1.0), IndexError,
     "index_fill: index values span [-4, -4], out of range for a dimension of size 3"),
    (lambda: ag.index_select(ag.ones(3), 1, _i([0])), IndexError,
     "index_select: dim 1 is out of range for a tensor of 1 dimension(s)"),
    (lambda: ag.index_fill(ag.ones(3), 1, _i([0]), 1.0), IndexError,
     "index_fill: dim 1 is out of range for a tensor of 1 dimension(s)"),
    (lambda: ag.scatter_reduce(_A, 0, _i([[0, 1]]), ag.ones(1, 1), "sum"), RuntimeError,
     "scatter_reduce: src of shape (1, 1) is smaller than index of shape (1, 2)"),
])
def test_index_range_and_dims_of_1d_errors(call, kind, text):
    """Out-of-range indices of the ``index_*`` ops and dim 1 of a 1-D tensor are refused by
    name. Catches ``_dim_key`` #12, #18, #19, #21, #22, ``index_select`` #12 and
    ``scatter_reduce`` #37, #41, #42."""
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == text


def test_scatter_value_keyword_and_ties_and_prod_with_a_zero_in_self():
    """``scatter(value=)`` writes the number; ``amax`` ties between ``x`` and ``src`` share
    the gradient in halves; ``prod`` with a zero in ``x`` (included) and none in ``src``
    gives ``x`` the product of the others (values from PyTorch 2.13), without NumPy
    warnings. Catches ``scatter`` #2, ``ScatterReduce.forward`` #88, #90 (``*`` for ``/``)
    and ``ScatterReduce.backward`` #30, #33, #119, #126."""
    import warnings

    np.testing.assert_array_equal(ag.scatter(ag.zeros(3), 0, ag.tensor([1]), value=2.0)
                                  .numpy(), [0.0, 2.0, 0.0])
    x = ag.tensor([1.0, 0.5], dtype=ag.float64, requires_grad=True)
    s = ag.tensor([1.0, 0.2], dtype=ag.float64, requires_grad=True)
    ag.scatter_reduce(x, 0, ag.tensor([0, 0]), s, "amax").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(s.grad.numpy(), [0.5, 0.0])
    x = ag.tensor([0.0, 2.0], dtype=ag.float64, requires_grad=True)
    s = ag.tensor([3.0], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.scatter_reduce(x, 0, ag.tensor([0]), s, "prod").sum().backward()
        z = ag.tensor([0.0, 5.0], dtype=ag.float64, requires_grad=True)
        ag.scatter_reduce(z, 0, ag.tensor([0, 1]), ag.tensor([0.0, 2.0], dtype=ag.float64),
                          "prod").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0])
    np.testing.assert_array_equal(s.grad.numpy(), [0.0])
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 2.0])
