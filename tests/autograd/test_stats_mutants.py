"""Tests written against surviving mutants of ``autograd/ops/stats.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/stats.py``): exact errors naming the op, every
``p`` of ``norm``, ``keepdim`` and ``dtype`` arguments, ``cov``'s weights and corrections,
``quantile``'s interpolations and shapes, ``diff``'s prepend/append, ``trapezoid``'s
spacings. Expected values are PyTorch 2.13's (hard-coded; float32 compared to 1e-6).
Bugs found and fixed: ``cov`` divided by NaN without degrees of freedom (PyTorch: by
``max(0, dof)``, inf) and gave (1, 1) for a (1, n) input (PyTorch: 0-d); ``quantile`` of
a 0-d input with ``dim`` and ``keepdim`` gave (1,) (PyTorch: 0-d)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)
_t = ag.tensor
nan, inf = float("nan"), float("inf")


def _close(t, expected, dtype="float32", shape=None):
    a = t.detach().numpy()
    e = np.asarray(expected, dtype=np.float64)
    assert a.dtype == np.dtype(dtype), a.dtype
    assert a.shape == (e.shape if shape is None else shape), a.shape
    np.testing.assert_allclose(a, e, rtol=1e-6, atol=0)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.norm(X, "nuc"), ValueError,
     "norm: p='nuc' is not a vector norm; use 'fro' or a number (matrix norms such as "
     "'nuc' are in linalg.matrix_norm)"),
    (lambda: ag.norm(X, 2, 2), IndexError,
     'norm: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cdist(ag.ones(3), ag.ones(2, 3)), RuntimeError,
     'cdist: expected (.., P, M) and (.., R, M) tensors, got (3,) and (2, 3)'),
    (lambda: ag.cdist(ag.ones(2, 3), ag.ones(3)), RuntimeError,
     'cdist: expected (.., P, M) and (.., R, M) tensors, got (2, 3) and (3,)'),
    (lambda: ag.cdist(ag.ones(2, 3), ag.ones(2, 4)), RuntimeError,
     'cdist: expected (.., P, M) and (.., R, M) tensors, got (2, 3) and (2, 4)'),
    (lambda: ag.cdist(ag.ones(2, 3), ag.ones(2, 3), -1.0), RuntimeError,
     'cdist: p must be non-negative, got -1.0'),
    (lambda: ag.renorm(X, 2, 2, 1.0), IndexError,
     'renorm: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.nanmean(ag.tensor([1, 2])), TypeError,
     'nanmean: expected a floating input, got int64'),
    (lambda: ag.diff(X, 1, 2), IndexError,
     'diff: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.trapezoid(X, dim=2), IndexError,
     'trapezoid: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cov(ag.zeros(2, 2, 2)), RuntimeError,
     'cov: expected a tensor of at most 2 dimensions, got shape (2, 2, 2)'),
    (lambda: ag.cov(X, fweights=ag.tensor([1, 1])), RuntimeError,
     'cov: fweights must be 1-D with 3 entries, got shape (2,)'),
    (lambda: ag.cov(X, aweights=ag.ones(2, 2)), RuntimeError,
     'cov: aweights must be 1-D with 3 entries, got shape (2, 2)'),
    (lambda: ag.cov(X, fweights=ag.tensor([1.0, 1.0, 1.0])), RuntimeError,
     'cov: fweights must be integers, got float32'),
    (lambda: ag.cov(X, fweights=ag.tensor([1, -1, 1])), RuntimeError,
     'cov: fweights must be non-negative'),
    (lambda: ag.cov(X, aweights=ag.tensor([1.0, -1.0, 1.0])), RuntimeError,
     'cov: aweights must be non-negative'),
    (lambda: ag.quantile(X, 0.5, interpolation="middle"), ValueError,
     "quantile: interpolation must be one of ('linear', 'lower', 'higher', 'midpoint',"
     " 'nearest'), got 'middle'"),
    (lambda: ag.nanquantile(X, 0.5, interpolation="middle"), ValueError,
     "nanquantile: interpolation must be one of ('linear', 'lower', 'higher', "
     "'midpoint', 'nearest'), got 'middle'"),
    (lambda: ag.quantile(ag.tensor([1, 2]), 0.5), RuntimeError,
     'quantile: expected a floating input, got int64'),
    (lambda: ag.quantile(X, 1.5), RuntimeError,
     'quantile: q must be a number or a 1-D tensor with values in [0, 1]'),
    (lambda: ag.quantile(X, -0.5), RuntimeError,
     'quantile: q must be a number or a 1-D tensor with values in [0, 1]'),
    (lambda: ag.quantile(X, ag.tensor([[0.5]])), RuntimeError,
     'quantile: q must be a number or a 1-D tensor with values in [0, 1]'),
    (lambda: ag.quantile(X, 0.5, 2), IndexError,
     'quantile: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.nanquantile(X, 0.5, 2), IndexError,
     'nanquantile: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.quantile(ag.zeros(2, 0), 0.5, 1), RuntimeError,
     'quantile: the input is empty along dimension 1'),
])
def test_stats_errors_are_exact(call, kind, text):
    """The whole message: the op names given to ``normalize_dim(s)`` and every raise of
    norm, cdist, renorm, nanmean, diff, trapezoid, cov and ``_quantile``, and their
    conditions (cdist's ``or`` of three shape checks, ``p < 0``; cov's weight checks;
    quantile's q range and ``ndim > 1``)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


A = _t([[1.0, -2.0, 3.0], [0.0, 4.0, -1.0]])


def test_norms_for_every_p():
    """``p`` = inf, -inf, 0, 1, 3 and 2 with ``keepdim`` and ``dtype``; integer inputs
    become float32 (PyTorch refuses them)."""
    _close(ag.norm(A, inf, 1), [3.0, 4.0])
    _close(ag.norm(A, -inf, 1, keepdim=True), [[1.0], [0.0]])
    _close(ag.norm(A, 0, 1), [3.0, 2.0])
    _close(ag.norm(A, 1), 11.0)
    _close(ag.norm(A, 3, 0), [1.0, 4.1601677, 3.0365889])
    _close(ag.norm(_t([3, 4])), 5.0)
    _close(ag.norm(_t([3.0, 4.0]), dtype=ag.float64), 5.0, "float64")
    _close(ag.norm(A, 2, 1, keepdim=True), [[3.7416575], [4.1231055]])
    x = _t([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    ag.norm(x, 2, 1).sum().backward()
    _close(x.grad, [[0.0, 0.0], [0.6, 0.8]])
    _close(ag.dist(_t([1.0, 2.0]), _t([4.0, 6.0])), 5.0)
    _close(ag.dist(_t([1.0, 2.0]), _t([4.0, 6.0]), 1), 7.0)
    _close(ag.cdist(_t([[0.0, 0.0], [1.0, 1.0]]), _t([[1.0, 2.0]]), 1.0), [[3.0], [1.0]])
    _close(ag.cdist(_t([[0.0, 0.0], [1.0, 1.0]]), _t([[1.0, 2.0]]), 0.0), [[2.0], [1.0]])
    _close(ag.renorm(_t([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0), [[0.6, 0.8], [0.3, 0.4]])


def test_moments_nan_reductions_and_nan_to_num():
    """var_mean/std_mean/aminmax pass ``dim``, ``keepdim`` and ``correction``;
    nansum/nanmean with ``dtype``; nan_to_num's defaults (the dtype's extremes), given
    values, integer inputs (a copy) and its gradient (0 where not finite)."""
    v, m = ag.var_mean(A, 1, correction=0, keepdim=True)
    _close(v, [[4.2222223], [4.6666665]])
    _close(m, [[0.6666667], [1.0]])
    s, m = ag.std_mean(A, 0)
    _close(s, [0.70710677, 4.2426405, 2.828427])
    _close(m, [0.5, 1.0, 1.0])
    lo, hi = ag.aminmax(A, dim=1, keepdim=True)
    _close(lo, [[-2.0], [-1.0]])
    _close(hi, [[3.0], [4.0]])
    out = ag.nansum(_t([1, 2]))
    assert out.dtype == ag.int64 and out.tolist() == 3
    _close(ag.nansum(_t([1.0, nan]), dtype=ag.float64), 1.0, "float64")
    _close(ag.nanmean(_t([1, 2]), dtype=ag.float64), 1.5, "float64")
    _close(ag.nanmean(_t([[1.0, nan], [nan, nan]]), 1), [1.0, nan])
    i = _t([1, 2])
    out = ag.nan_to_num(i)
    assert out is not i and out.dtype == ag.int64 and out.tolist() == [1, 2]
    big = float(np.finfo(np.float32).max)
    _close(ag.nan_to_num(_t([nan, inf, -inf, 1.0])), [0.0, big, -big, 1.0])
    _close(ag.nan_to_num(_t([nan, inf, -inf, 1.0]), 5.0, 6.0, -7.0), [5.0, 6.0, -7.0, 1.0])
    x = _t([nan, 2.0], requires_grad=True)
    ag.nan_to_num(x).sum().backward()
    _close(x.grad, [0.0, 1.0])


def test_diff_and_trapezoid_forms():
    """diff: ``n`` = 2, prepend/append along dim 1, dim 0, bools (``!=``); trapezoid:
    ``dx``, 1-D sample points along dim 0, points of ``y``'s shape, one sample."""
    _close(ag.diff(_t([1.0, 4.0, 9.0, 16.0]), 2), [2.0, 2.0])
    y = _t([[1.0, 3.0], [2.0, 7.0]])
    _close(ag.diff(y, 1, 1, prepend=_t([[0.0], [1.0]]), append=_t([[5.0], [5.0]])),
           [[1.0, 2.0, 2.0], [1.0, 5.0, -2.0]])
    _close(ag.diff(y, 1, 1, prepend=0.0), [[1.0, 2.0], [2.0, 5.0]])
    _close(ag.diff(y, dim=0), [[1.0, 4.0]])
    out = ag.diff(_t([True, True, False]))
    assert out.dtype == ag.bool and out.tolist() == [False, True]
    _close(ag.trapezoid(_t([1.0, 2.0, 4.0]), dx=2.0), 9.0)
    z = _t([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    _close(ag.trapezoid(z, _t([0.0, 1.0]), dim=0), [2.0, 3.5, 6.5])
    _close(ag.trapezoid(z, _t([[0.0, 1.0, 3.0], [1.0, 3.0, 4.0]]), dim=0), [2.0, 7.0, 6.5])
    _close(ag.trapezoid(_t([1.0, 2.0, 4.0]), _t([0.0, 1.0, 3.0])), 7.5)
    _close(ag.trapezoid(_t([[1.0], [2.0]]), _t([0.5]), dim=1), [0.0, 0.0])


C = _t([[1.0, 2.0, 4.0], [2.0, 1.0, 0.0]])


def test_cov_weights_corrections_and_shapes():
    """cov with frequency and observation weights (alone and together, with correction
    0 and 1), a 1-D input and a (1, n) input (0-d), too few degrees of freedom (inf, as
    PyTorch), corrcoef of one and of two variables."""
    _close(ag.cov(C), [[2.3333333, -1.5], [-1.5, 1.0]])
    _close(ag.cov(C, correction=0), [[1.5555556, -1.0], [-1.0, 0.6666667]])
    _close(ag.cov(C, fweights=_t([1, 2, 1])), [[1.5833334, -1.0], [-1.0, 0.6666667]])
    _close(ag.cov(C, aweights=_t([0.5, 1.0, 2.0])), [[2.5, -1.5], [-1.5, 0.9285714]])
    _close(ag.cov(C, fweights=_t([1, 2, 1]), aweights=_t([0.5, 1.0, 2.0])),
           [[1.8571428, -1.0714285], [-1.0714285, 0.64285713]])
    _close(ag.cov(C, correction=0, fweights=_t([1, 2, 1]), aweights=_t([0.5, 1.0, 2.0])),
           [[1.2839506, -0.7407407], [-0.7407407, 0.44444442]])
    _close(ag.cov(_t([1.0, 2.0, 4.0])), 2.3333333)
    _close(ag.cov(_t([[1, 2, 4]])), 2.3333333)
    with np.errstate(all="raise"):
        _close(ag.cov(_t([1.0, 2.0]), correction=3), inf)
        _close(ag.cov(_t([1.0, 2.0]), correction=2, fweights=_t([1, 1])), inf)
        _close(ag.cov(_t([[1.0, 1.0], [2.0, 2.0]]), correction=2), [[nan, nan], [nan, nan]])
    _close(ag.corrcoef(_t([1.0, 2.0, 4.0])), 1.0)
    _close(ag.corrcoef(C), [[1.0, -0.9819805], [-0.9819805, 1.0]])


def test_quantile_forms():
    """quantile without dim with keepdim, along a dim with keepdim (NaN propagates), a
    q tensor, the four other interpolations, nanquantile (an all-NaN slice is NaN), a
    0-d input with dim (0-d also with keepdim, as PyTorch 2.13)."""
    _close(ag.quantile(_t([[1.0, 5.0], [2.0, 8.0]]), 0.5, keepdim=True), [[3.5]])
    q = _t([[1.0, 5.0, 2.0, 8.0], [3.0, nan, 0.0, 1.0]])
    _close(ag.quantile(q, 0.25, 1, True), [[1.75], [nan]])
    _close(ag.quantile(_t([1.0, 2.0, 4.0, 8.0]), _t([0.25, 0.5]), 0), [1.75, 3.0])
    for how, want in (("lower", 2.0), ("higher", 4.0), ("midpoint", 3.0), ("nearest", 2.0)):
        _close(ag.quantile(_t([1.0, 2.0, 4.0, 8.0]), 0.4, interpolation=how), want)
    _close(ag.nanquantile(q, 0.5, 1), [3.5, 1.0])
    _close(ag.nanquantile(_t([[nan, nan], [1.0, 2.0]]), 0.5, 1), [nan, 1.5])
    _close(ag.quantile(_t(2.5), 0.5, 0), 2.5)
    _close(ag.quantile(_t(2.5), 0.5, 0, True), 2.5)


def test_keepdim_renorm_p1_and_zero_weights():
    """``keepdim`` passed on by norm's inf/0/1 branches (#46, #49, #67, #78), nansum
    (#19), nanmean (#15, #27) and nanquantile (#7); renorm with p=1 (#16: the 2-norm); a
    zero frequency weight is allowed (cov #45: ``<= 0`` refused it), as PyTorch 2.13."""
    _close(ag.norm(A, inf, 1, keepdim=True), [[3.0], [4.0]])
    _close(ag.norm(A, 0, 1, keepdim=True), [[3.0], [2.0]])
    _close(ag.norm(A, 1, 1, keepdim=True), [[6.0], [5.0]])
    _close(ag.nansum(_t([[1.0, nan]]), 1, keepdim=True), [[1.0]])
    _close(ag.nanmean(_t([[1.0, nan]]), 1, keepdim=True), [[1.0]])
    _close(ag.nanquantile(_t([[1.0, nan, 3.0]]), 0.5, 1, keepdim=True), [[2.0]])
    _close(ag.renorm(_t([[3.0, 4.0], [0.3, 0.4]]), 1, 0, 1.0),
           [[0.42857146, 0.5714286], [0.3, 0.4]])
    _close(ag.cov(_t([[1.0, 2.0, 4.0]]), fweights=_t([1, 0, 1])), 4.5)
