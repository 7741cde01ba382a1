"""The fused cross-entropy loops (``nn/functional/_loss_kernels.py``) against the
whole-array forms of ``loss.py`` they stand in for: the same losses, softmax and
gradients (to rounding: the loops take exp and the row sums in float64), the same
gradient bits for the same softmax, the same errors."""

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from nn.functional import _loss_kernels as K
from nn.functional import loss as L


def _case(dtype, m=7, c=5, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((m, c)) * 3).astype(dtype)
    t = rng.integers(0, c, m)
    t[1] = -100  # an ignored row
    return x, t


def _run(x, t, **kw):
    xt = ag.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, ag.tensor(t), **kw)
    seed = np.linspace(0.5, 1.5, loss.numel()).reshape(loss.shape).astype(x.dtype)
    loss.backward(ag.tensor(seed))
    return loss.numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_equals_whole_array_forms(dtype, rtol, reduction, monkeypatch):
    x, t = _case(dtype)
    x[3, 2] = 40.0  # a large logit: the max shift matters
    fused = _run(x, t, reduction=reduction)
    for name in ("row_terms", "rows", "grad"):
        monkeypatch.setattr(K, name, lambda *a, **k: None)
    ref = _run(x, t, reduction=reduction)
    for a, b in zip(fused, ref):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)
    assert fused[1][1].tolist() == [0.0] * 5  # the ignored row gets no gradient


def test_the_loops_are_used(monkeypatch):
    calls = []
    for name in ("row_terms", "rows", "grad"):
        orig = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, _o=orig, _n=name, **k: (calls.append(_n),
                                                                           _o(*a, **k))[1])
    _run(*_case(np.float32))
    assert calls == ["row_terms", "rows", "grad"]


@pytest.mark.parametrize("kw", [dict(weight=ag.tensor(np.arange(1.0, 6.0, dtype=np.float32))),
                                dict(label_smoothing=0.1)])
def test_weights_and_smoothing_keep_the_whole_array_forms(kw, monkeypatch):
    used = []
    monkeypatch.setattr(K, "rows", lambda *a, **k: used.append(1))
    monkeypatch.setattr(K, "grad", lambda *a, **k: used.append(1))
    _run(*_case(np.float32), **kw)
    assert used == []


def test_all_rows_ignored_mean_is_nan_as_pytorch():
    x, t = _case(np.float32)
    t[:] = -100
    loss, grad = _run(x, t)
    assert np.isnan(loss) and np.isnan(grad).all()
    loss, grad = _run(x, t, reduction="sum")
    assert loss == 0 and (grad == 0).all()


def test_nan_logit_propagates_to_its_row_only():
    x, t = _case(np.float64)
    x[2, 4] = np.nan
    loss, grad = _run(x, t, reduction="none")
    assert np.isnan(loss[2]) and np.isnan(grad[2]).all()
    assert np.isfinite(np.delete(loss, 2)).all() and np.isfinite(np.delete(grad, 2, 0)).all()


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("bad", [5, -3, 9])
def test_out_of_range_targets_raise_the_same_error(bad, fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(K, "row_terms", lambda *a, **k: None)
    x, t = _case(np.float32)
    t[4] = bad
    with pytest.raises(IndexError, match=f"target {bad} is out of bounds for 5 classes "
                                         r"\(ignore_index=-100\)"):
        _run(x, t)


def test_row_terms_reports_smallest_and_largest_target():
    t = np.array([3, -100, 0, 7, 2])
    safe, coef, lo, hi = K.row_terms(t, -100, 10, True, np.float32)
    assert (lo, hi) == (0, 7) and safe.tolist() == [3, 0, 0, 7, 2]
    np.testing.assert_array_equal(coef, np.float32([0.25, 0, 0.25, 0.25, 0.25]))
    safe, coef, _, _ = K.row_terms(t, -100, 10, False, np.float64)
    assert coef.tolist() == [1, 0, 1, 1, 1]


def test_gradient_loop_is_the_whole_array_formula_bit_for_bit():
    rng = np.random.default_rng(1)
    p = rng.random((6, 4)).astype(np.float32)
    t = rng.integers(0, 4, 6).astype(np.intp)
    coef = rng.random(6).astype(np.float32)
    for g in (np.float32([0.7]), rng.random(6).astype(np.float32)):
        ref = L._ce_grad_arrays(_NumpyLike(), g, p, t, coef, None, None)
        np.testing.assert_array_equal(K.grad(g, p, t, coef), ref)


def test_parallel_compilations_equal_the_serial_ones():
    """Large inputs on many-core machines run the prange compilations: same results."""
    x, t = _case(np.float64, m=9, c=6, seed=3)
    safe, coef, _, _ = K.row_terms(t, -100, 6, True, np.float64)
    K._ROWS.for_size(1)
    K._GRAD.for_size(1)
    (par_rows, ser_rows), (par_grad, ser_grad) = K._ROWS.forms, K._GRAD.forms
    outs = []
    for rows, grad in ((par_rows, par_grad), (ser_rows, ser_grad)):
        loss, p = np.empty(9), np.empty_like(x)
        rows(x, safe, coef, loss, p)
        g = np.empty_like(x)
        grad(np.linspace(0.1, 1, 9), p, safe, coef, g)
        outs.append((loss, p, g))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


class _NumpyLike:
    """NumPy under another name, so loss.py takes its whole-array forms."""

    def __getattr__(self, name):
        return getattr(np, name)
