"""Regression tests for issue 16 (silent wrong gradients, edges users hit) and issue 12's
edge cases. Expected values are PyTorch 2.x's, written out so the tests run without it;
tests/autograd/test_fuzz_torch.py compares against PyTorch itself where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

nan = math.nan


def grad_of(f, *values):
    xs = [ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out = f(*xs)
    out.sum().backward()
    return [x.grad.numpy() for x in xs]


def assert_same(got, expected):
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected, dtype=np.float64))


# --- point 4: silent wrong gradients ----------------------------------------------------


def test_std_of_a_constant_row_has_gradient_zero():
    (g,) = grad_of(lambda x: x.std(), [2.0, 2.0, 2.0])
    assert_same(g, [0, 0, 0])
    (g,) = grad_of(lambda x: x.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    assert_same(g, [[0, 0, 0], [-0.5, 0, 0.5]])


def test_std_double_backward_is_finite_away_from_zero():
    x = ag.tensor([1.0, 2.0, 4.0], dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda t: t.std(), (x,))


def test_pow_with_exponent_zero_has_gradient_zero_at_zero():
    assert_same(grad_of(lambda x: x**0, [0.0, 1.0])[0], [0, 0])
    assert_same(grad_of(lambda x: x**0.0, [0.0, -2.0])[0], [0, 0])
    gx, gp = grad_of(lambda x, p: x**p, [0.0, 1.0], [0.0, 0.0])
    assert_same(gx, [0, 0])
    assert_same(gp, [0, 0])


def test_pow_exponent_gradient_at_base_zero():
    # d(0**p)/dp: 0 where p >= 0 (the limit), -inf where 0**p is infinite
    _, gp = grad_of(lambda x, p: x**p, [0.0, 0.0, 2.0, 0.0], [2.0, -1.0, 0.0, 0.0])
    assert_same(gp, [0, -math.inf, math.log(2), 0])
    (gp,) = grad_of(lambda p: 0.0**p, [2.0, 0.0, -1.0])
    assert_same(gp, [0, 0, -math.inf])


def test_nan_routes_max_gradients_as_pytorch():
    assert_same(grad_of(lambda x: x.max(), [1.0, nan, 3.0, nan])[0], [0, 0.5, 0, 0.5])
    assert_same(grad_of(lambda x: x.min(), [1.0, nan, 3.0, nan])[0], [0, 0.5, 0, 0.5])
    # amax: a NaN makes its group's gradient NaN (PyTorch's amax, unlike its max)
    g = grad_of(lambda x: x.amax(1), [[1.0, nan, 3.0], [1.0, 2.0, 2.0]])[0]
    assert np.isnan(g[0]).all()
    assert_same(g[1], [0, 0.5, 0.5])


def test_nan_routes_maximum_minimum_relu_gradients_as_pytorch():
    a, b = [nan, 1.0, nan, 2.0, 3.0], [1.0, nan, nan, 2.0, 1.0]
    for op in (ag.maximum, ag.minimum):
        ga, gb = grad_of(op, a, b)
        assert_same(ga, [1, 1, 1, 0.5, 1 if op is ag.maximum else 0])
        assert_same(gb, [1, 1, 1, 0.5, 0 if op is ag.maximum else 1])
    ga, gb = grad_of(ag.maximum, [[nan, 1.0], [2.0, 3.0]], [2.0, nan])
    assert_same(ga, [[1, 1], [0.5, 1]])
    assert_same(gb, [1.5, 2])
    assert_same(grad_of(ag.relu, [nan, 1.0, -1.0, 0.0])[0], [1, 1, 0, 0])


def test_max_dim_gives_ties_gradient_to_the_returned_index():
    x = [[3.0, 1.0, 3.0], [nan, 1.0, nan]]
    assert_same(grad_of(lambda t: t.max(1)[0], x)[0], [[1, 0, 0], [1, 0, 0]])
    assert_same(grad_of(lambda t: t.min(0, keepdim=True)[0], [[3.0, 1.0], [3.0, 1.0]])[0],
                [[1, 1], [0, 0]])
    # full reductions and amax still share ties
    assert_same(grad_of(lambda t: t.max(), [3.0, 1.0, 3.0])[0], [0.5, 0, 0.5])
    assert_same(grad_of(lambda t: t.amax(0), [3.0, 1.0, 3.0])[0], [0.5, 0, 0.5])


def test_max_dim_second_order():
    x = ag.tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    assert ag.gradgradcheck(lambda t: t.max(1)[0] ** 2, (x,))


# --- point 6 and issue 12: empty and 0-d inputs --------------------------------------------


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
def test_max_family_over_empty_dims(op):
    z = ag.zeros(0, 3)
    with pytest.raises(RuntimeError, match=op):
        getattr(z, op)()
    with pytest.raises(IndexError, match=f"{op}: cannot reduce over dim"):
        getattr(z, op)(0)
    out = getattr(z, op)(1)
    values = out[0] if isinstance(out, tuple) else out
    assert values.shape == (0,)
    assert getattr(z, op)(1, keepdim=True)[0].shape == (0, 1) if op in ("max", "min") \
        else getattr(z, op)(1, keepdim=True).shape == (0, 1)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_reductions_on_empty_input_raise_naming_the_op(op):
    z = ag.zeros(0, 3)
    with pytest.raises(IndexError, match=op):
        getattr(z, op)()
    with pytest.raises(IndexError, match=op):
        getattr(z, op)(0)
    assert getattr(z, op)(1).shape == (0,)


def test_reductions_with_identity_over_empty_dims():
    z = ag.zeros(0, 3)
    assert_same(z.logsumexp(0).numpy(), [-math.inf] * 3)
    assert z.logsumexp(()).item() == -math.inf
    assert z.logsumexp(1).shape == (0,)
    assert_same(z.sum(0).numpy(), [0, 0, 0])
    assert_same(z.prod(0).numpy(), [1, 1, 1])
    assert np.isnan(z.mean(0).numpy()).all()


@pytest.mark.parametrize("fn", [ag.softmax, ag.log_softmax])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_over_empty_dims(fn, dim):
    x = ag.zeros(0, 3, requires_grad=True)
    y = fn(x, dim)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("op", ["sum", "mean", "prod", "amax", "amin", "logsumexp", "max",
                                "min"])
@pytest.mark.parametrize("dim", [0, -1])
def test_dim_0_and_minus_1_on_0d_tensors(op, dim):
    x = ag.tensor(3.0, requires_grad=True)
    out = getattr(x, op)(dim)
    values = out[0] if isinstance(out, tuple) else out
    assert values.shape == () and values.item() == 3.0
    if isinstance(out, tuple):
        assert out[1].shape == () and out[1].item() == 0
    values.backward()
    assert x.grad.item() == 1.0
    with pytest.raises(IndexError):
        getattr(x, op)(1)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_of_a_0d_tensor_is_0d(op):
    x = ag.tensor(3.0)
    for args in [(), (0,), (-1,)]:
        idx = getattr(x, op)(*args)
        assert idx.shape == () and idx.item() == 0 and idx.dtype == ag.int64
    assert getattr(x, op)(0, keepdim=True).shape == ()


def test_var_std_of_0d_with_dim_are_nan():
    assert np.isnan(ag.tensor(3.0).var(0).item())
    assert np.isnan(ag.tensor(3.0).std(-1).item())


def test_cat_skips_legacy_1d_empty_tensors():
    out = ag.cat([ag.zeros(0), ag.ones(2, 3)])
    assert out.shape == (2, 3)
    assert ag.cat([ag.zeros(0, 3), ag.ones(2, 3)]).shape == (2, 3)
