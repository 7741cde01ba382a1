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
    assert_same(grad_of(ag.relu, [nan, 1.0, -1.0, 0.0, -0.0, 1e-45])[0], [1, 1, 0, 0, 0, 1])


def test_relu_result_changed_in_place_is_refused_as_in_pytorch():
    """relu's backward reads its result (PyTorch's threshold_backward does too), so a
    result changed in place before backward raises, naming relu's node."""
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ag.relu(x)
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="ReluBackward.*modified in place"):
        y.sum().backward()
    z = ag.relu(x)  # a clone is free to change
    z.clone().add_(1.0)
    z.sum().backward()
    assert_same(x.grad.numpy(), [1, 0, 1])


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


# --- point 5: PyTorch's layout when integers and arrays mix -------------------------------


@pytest.mark.parametrize("key,shape,first", [
    ((0, slice(None), [1, 2]), (3, 2), [1, 2]),
    ((0, Ellipsis, [1, 2]), (3, 2), [1, 2]),
    ((slice(None), [0], None, 0), (2, 1, 1), [0]),
    ((None, 0, slice(None), [1]), (1, 3, 1), [1]),
    ((0, None, [1, 2]), (1, 2, 4), [4, 5, 6, 7]),
    ((-1, slice(None, None, 2), [3, 0]), (2, 2), [15, 12]),
    (([[0], [1]], slice(1, None), 0), (2, 1, 2), [4, 8]),
])
def test_integer_and_array_indices_give_pytorchs_layout(key, shape, first):
    x = ag.arange(24, dtype=ag.float64).reshape(2, 3, 4).requires_grad_()
    y = x[key]
    assert y.shape == shape
    assert_same(y.numpy().reshape(-1)[:len(first)], first)
    y.sum().backward()
    expected = np.zeros((2, 3, 4))
    np.add.at(expected, key, 1.0)  # NumPy's gather of the same elements, any layout
    assert_same(x.grad.numpy(), expected)


def test_a_0d_integer_tensor_index_acts_as_an_int():
    x = ag.arange(24).reshape(2, 3, 4)
    assert x[ag.tensor(1), :, [1, 2]].shape == (3, 2)


# --- point 6: fractional sizes ----------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: ag.zeros(2.5), lambda: ag.ones((2.5, 3)), lambda: ag.empty(2, 2.0),
    lambda: ag.randn(2.5), lambda: ag.full((2.5,), 1.0), lambda: ag.zeros(True),
    lambda: ag.ones(4, 3).reshape(2.9, 2), lambda: ag.ones(4, 3).view(2.0, 6),
    lambda: ag.ones(1, 3).expand(2.5, 3),
])
def test_fractional_sizes_raise_type_error(make):
    with pytest.raises(TypeError, match="sizes must be ints"):
        make()


def test_integer_like_sizes_are_accepted():
    assert ag.zeros(np.int64(2), 3).shape == (2, 3)
    assert ag.zeros(ag.tensor(2)).shape == (2,)


def test_expand_minus_one_keeps_a_dim_but_not_a_new_one():
    assert ag.ones(1, 3).expand(2, -1, -1).shape == (2, 1, 3)
    with pytest.raises(RuntimeError, match="-1"):
        ag.ones(1, 3).expand(-1, 2, 3)


# --- issue 12 item 7: argument forms of ops that exist ----------------------------------------


def test_add_sub_alpha():
    a, b = ag.tensor([1.0, 2.0, 3.0]), ag.tensor([1.0, 1.0, 1.0])
    assert_same(a.add(b, alpha=2).numpy(), [3, 4, 5])
    assert_same(ag.sub(a, b, alpha=2).numpy(), [-1, 0, 1])
    assert_same(a.add(3, alpha=-0.5).numpy(), [-0.5, 0.5, 1.5])
    assert_same(ag.add(ag.tensor([1, 2]), ag.tensor([1, 1]), alpha=3).numpy(), [4, 5])
    with pytest.raises(RuntimeError, match="alpha"):
        ag.add(ag.tensor([1, 2]), ag.tensor([1, 1]), alpha=2.5)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    ag.sub(a[:2], x, alpha=3).sum().backward()
    assert_same(x.grad.numpy(), [-3, -3])


def test_div_rounding_modes():
    a = ag.tensor([5, -5, 7, -4])
    assert_same(a.div(2, rounding_mode="trunc").numpy(), [2, -2, 3, -2])
    assert_same(a.div(-3, rounding_mode="trunc").numpy(), [-1, 1, -2, 1])
    assert_same(a.div(-3, rounding_mode="floor").numpy(), [-2, 1, -3, 1])
    assert a.div(2, rounding_mode="floor").dtype == ag.int64
    f = ag.tensor([5.5, -5.5, 7.0])
    assert_same(f.div(2, rounding_mode="floor").numpy(), [2, -3, 3])
    assert_same(f.div(2, rounding_mode="trunc").numpy(), [2, -2, 3])
    assert_same(a.div(2.5, rounding_mode="floor").numpy(), [2, -2, 2, -2])
    with pytest.raises(RuntimeError, match="division by zero"):
        a.div(ag.tensor([1, 1, 0, 1]), rounding_mode="floor")
    with pytest.raises(RuntimeError, match="rounding_mode"):
        a.div(2, rounding_mode="round")


def test_round_decimals():
    x = ag.tensor([1.2345, 2.5, -0.125], dtype=ag.float32)
    np.testing.assert_array_equal(x.round(decimals=2).numpy(),
                                  np.array([1.23, 2.5, -0.12], np.float32))
    assert_same(ag.round(ag.tensor([1234.5, 250.0, -150.0]), decimals=-2).numpy(),
                [1200, 200, -200])
    assert ag.round(ag.tensor([12, 25])).dtype == ag.int64


def test_logical_ops_take_any_dtype_and_bitwise_ops_stay_bitwise():
    a = ag.tensor([2, 0, 1])
    out = ag.logical_and(a, ag.tensor([1.5, 1.0, nan]))
    assert out.dtype == ag.bool and out.tolist() == [True, False, True]
    assert ag.logical_or(ag.tensor([0.0, 0.5]), ag.tensor([0, 0])).tolist() == [False, True]
    assert a.logical_xor(ag.tensor([0, 1, 3])).tolist() == [True, True, False]
    assert (ag.tensor([6, 2, 3]) & ag.tensor([3, 1, 1])).tolist() == [2, 0, 1]
    assert (ag.tensor([6, 2, 3]) ^ 3).tolist() == [5, 1, 0]
    assert (ag.tensor([True, False]) | ag.tensor([False, False])).tolist() == [True, False]
    with pytest.raises(TypeError, match="bitwise_and"):
        ag.tensor([1.0]) & ag.tensor([1.0])


def test_var_std_positional_unbiased():
    x = ag.arange(6, dtype=ag.float64).reshape(2, 3)
    assert x.var(False).item() == pytest.approx(35 / 12)
    assert_same(x.var(1, False).numpy(), [2 / 3, 2 / 3])
    assert x.std(1, False, True).shape == (2, 1)
    assert ag.std(x, True).item() == pytest.approx(math.sqrt(3.5))


@pytest.mark.parametrize("mode,pad,expected", [
    ("reflect", (2, 1), [[2, 1, 0, 1, 2, 1], [5, 4, 3, 4, 5, 4]]),
    ("replicate", (2, 1), [[0, 0, 0, 1, 2, 2], [3, 3, 3, 4, 5, 5]]),
    ("circular", (2, 1), [[1, 2, 0, 1, 2, 0], [4, 5, 3, 4, 5, 3]]),
    ("reflect", (-1, 1), [[1, 2, 1], [4, 5, 4]]),
    ("circular", (-1, 1), [[1, 2, 1], [4, 5, 4]]),
    ("replicate", (1, -2), [[0, 0], [3, 3]]),
    ("constant", (-1, 2), [[1, 2, 0, 0], [4, 5, 0, 0]]),
    ("constant", (0, 0, -1, 0), [[3, 4, 5]]),
])
def test_pad_modes_and_negative_padding(mode, pad, expected):
    F = pytest.importorskip("nn.functional")
    x = ag.arange(6, dtype=ag.float64).reshape(2, 3)
    assert_same(F.pad(x, pad, mode=mode).numpy(), expected)


def test_pad_mode_gradients_accumulate_repeated_sources():
    F = pytest.importorskip("nn.functional")
    x = ag.arange(6, dtype=ag.float64).reshape(1, 2, 3).requires_grad_()
    F.pad(x, (2, 2), mode="replicate").sum().backward()
    assert_same(x.grad.numpy(), [[[3, 1, 3], [3, 1, 3]]])
    assert ag.gradcheck(lambda t: F.pad(t, (2, 1, 1, 1), mode="reflect"),
                        (ag.randn(1, 3, 4, dtype=ag.float64, requires_grad=True),))


def test_pad_mode_limits():
    F = pytest.importorskip("nn.functional")
    with pytest.raises(RuntimeError, match="reflect"):
        F.pad(ag.ones(1, 2, 3), (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="reflect"):
        F.pad(ag.ones(4), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="crops"):
        F.pad(ag.ones(1, 2, 3), (-3, -1))


def test_adaptive_avg_pool1d_takes_a_tuple():
    F = pytest.importorskip("nn.functional")
    assert F.adaptive_avg_pool1d(ag.ones(1, 2, 6), (3,)).shape == (1, 2, 3)


def test_cross_entropy_of_an_empty_batch_is_nan():
    F = pytest.importorskip("nn.functional")
    x = ag.zeros(0, 3, requires_grad=True)
    loss = F.cross_entropy(x, ag.zeros(0, dtype=ag.int64))
    assert math.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 3)
    assert F.cross_entropy(ag.zeros(0, 3), ag.zeros(0, dtype=ag.int64),
                           reduction="sum").item() == 0
    assert math.isnan(F.nll_loss(ag.zeros(0, 3), ag.zeros(0, dtype=ag.int64)).item())


# --- found by tests/autograd/test_fuzz_torch.py ------------------------------------------


def test_prod_gradient_with_nan_and_zeros_is_pytorchs():
    assert_same(grad_of(lambda x: x.prod(), nan)[0], 1.0)  # 0-d: d x / d x, not out / x
    assert np.isnan(grad_of(lambda x: x.prod(), [0.0, nan, nan])[0]).all()
    # one zero per group: it alone gets the product of the others, over several axes too
    x = np.array([[[0.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 5.0]]])
    (g,) = grad_of(lambda t: t.prod((0, 2)), x)
    assert_same(g, [[[0, 0], [0, 0]], [[0, 0], [60, 0]]])
    (g,) = grad_of(lambda t: t.prod(1), x)
    assert_same(g, [[[3, 4], [0, 2]], [[0, 5], [1, 0]]])
    # two zeros: prod() (no dim) gives zeros even beside a NaN, prod(dim) the products of
    # the others, NaN included (PyTorch's two formulas)
    assert_same(grad_of(lambda t: t.prod(), [0.0, 0.0, nan])[0], [0.0, 0.0, 0.0])
    assert_same(grad_of(lambda t: t.prod(0), [0.0, 0.0, nan])[0], [nan, nan, 0.0])
