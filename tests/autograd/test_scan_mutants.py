"""Tests written against surviving mutants of ``autograd/ops/scan.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/scan.py``): cumprod's gradient through zeros
along either dim of a matrix and under ag.compile, the accumulation dtypes, 0-d inputs,
the shift of ``logcumsumexp`` per slice, ``cumulative_trapezoid``'s spacings. Expected
values are PyTorch 2.13's (hard-coded); each docstring names the mutants it kills."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.cumsum(X, 2), IndexError,
     'cumsum: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cumprod(X, 2), IndexError,
     'cumprod: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cummax(X, 2), IndexError,
     'cummax: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cummin(X, -3), IndexError,
     'cummin: dim -3 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.logcumsumexp(X, 2), IndexError,
     'logcumsumexp: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cumulative_trapezoid(X, dim=2), IndexError,
     'cumulative_trapezoid: dim 2 is out of range for a tensor of 2 dimension(s)'),
])
def test_scan_errors_are_exact(call, kind, text):
    """The op names given to ``_axis``/``normalize_dim`` (cumsum, cumprod #14-#19,
    cummax/cummin #4-#11, ``_cumextreme`` #18, logcumsumexp #11-#16,
    cumulative_trapezoid #4-#9)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


@pytest.mark.parametrize("values, dim, grad", [
    ([2.0, 0.0, 3.0], 0, [1.0, 8.0, 0.0]),
    ([[2.0, 0.0, 3.0], [1.0, 2.0, 0.0]], 1, [[1.0, 8.0, 0.0], [3.0, 1.0, 2.0]]),
    ([[2.0, 1.0], [0.0, 2.0], [3.0, 0.0]], 0, [[1.0, 3.0], [8.0, 1.0], [0.0, 2.0]]),
])
def test_cumprod_gradient_through_zeros(values, dim, grad):
    """With zeros the gradient takes each element out of the product, as PyTorch 2.13
    (``Cumprod.backward`` #7: ``out / x`` used with zeros; #18-#25: the position array's
    shape for ``dim`` 0 and 1 of a matrix; #48, #50: the sum over ``dim`` only; #69: the
    parts joined along ``dim``)."""
    x = ag.tensor(values, dtype=ag.float64, requires_grad=True)
    ag.cumprod(x, dim).sum().backward()
    assert np.array_equal(x.grad.numpy(), grad)


def test_cumprod_gradient_compiled_on_values_without_zeros_then_with():
    """Recorded without zeros, replayed with one: the recorded backward must be the one
    that holds for zeros (``Cumprod.backward`` #4: the ``out / x`` path recorded)."""

    def step(x):
        (g,) = ag.grad(ag.cumprod(x, 0).sum(), [x])
        return g

    compiled = ag.compile(step)
    for _ in range(3):
        compiled(ag.tensor([1.0, 2.0, 0.5, 3.0], dtype=ag.float64, requires_grad=True))
    got = compiled(ag.tensor([1.0, 0.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True))
    assert np.array_equal(got.numpy(), [1.0, 9.0, 0.0, 0.0])


def test_accumulation_dtypes():
    """Integers accumulate in int64 (``_cast`` #5-#8: int32 kept), bools too, a dtype
    argument is applied (``_cast`` #1, #2; cumsum/cumprod #3), logcumsumexp of integers
    is computed in the default float dtype (#4, #5; PyTorch refuses integers)."""
    out = ag.cumsum(ag.tensor([1, 2, 3], dtype=ag.int32), 0)
    assert out.dtype == ag.int64 and out.tolist() == [1, 3, 6]
    assert ag.cumprod(ag.tensor([True, True]), 0).dtype == ag.int64
    out = ag.cumsum(ag.tensor([1, 2]), 0, dtype=ag.float64)
    assert out.dtype == ag.float64 and out.tolist() == [1.0, 3.0]
    assert ag.cumprod(ag.tensor([1.0, 2.0]), 0, dtype=ag.float64).dtype == ag.float64
    out = ag.logcumsumexp(ag.tensor([0, 0]), 0)
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.numpy(), [0.0, np.log(2.0)], rtol=1e-6)


def test_cummax_of_0d_and_logcumsumexp_per_slice():
    """``cummax``/``cummin`` of a 0-d tensor give it and index 0 (``_cumextreme`` #3-#14);
    logcumsumexp of a 1-D tensor (#7) and of rows a thousand apart: the shift is each
    slice's maximum (#20, #22: one maximum for all gives ``log(0)``), as PyTorch 2.13."""
    v, i = ag.cummax(ag.tensor(2.0), 0)
    assert v.tolist() == 2.0 and i.tolist() == 0 and i.dtype == ag.int64
    v, i = ag.cummin(ag.tensor(2.0), 0)
    assert v.tolist() == 2.0 and i.tolist() == 0
    np.testing.assert_allclose(ag.logcumsumexp(ag.tensor([0.0, 0.0]), 0).numpy(),
                               [0.0, np.log(2.0)], rtol=1e-6)
    out = ag.logcumsumexp(ag.tensor([[0.0, 0.0], [1000.0, 1000.0]]), 1).numpy()
    np.testing.assert_allclose(out, [[0.0, 0.6931472], [1000.0, 1000.6931762695312]],
                               rtol=1e-6)


def test_cumulative_trapezoid_spacings():
    """``dx`` scales (#38: divides, #40: ignored), 1-D sample points along dim 0 of a
    matrix (#54, #55: not reshaped) and sample points of ``y``'s shape along dim 0
    (#47, #49: differenced along -1), one sample (#67: an empty result), as PyTorch 2.13."""
    y = ag.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    assert ag.cumulative_trapezoid(y, dx=2.0).tolist() == [[3.0, 9.0], [8.0, 22.0]]
    assert ag.cumulative_trapezoid(y, ag.tensor([0.0, 1.0]), dim=0).tolist() == [
        [2.0, 3.5, 6.5]]
    x = ag.tensor([[0.0, 1.0, 3.0], [1.0, 3.0, 4.0]])
    assert ag.cumulative_trapezoid(y, x, dim=0).tolist() == [[2.0, 7.0, 6.5]]
    out = ag.cumulative_trapezoid(ag.tensor([[1.0], [2.0]]), ag.tensor([0.5]), dim=1)
    assert out.shape == (2, 0)


def test_cumprod_gradient_of_all_zeros():
    """Only zeros: ``out / x`` would be 0 / 0 (``Cumprod.backward`` #7: the zero test
    inverted takes that path exactly then), as PyTorch 2.13: [1, 0]."""
    x = ag.tensor([0.0, 0.0], dtype=ag.float64, requires_grad=True)
    ag.cumprod(x, 0).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0]
