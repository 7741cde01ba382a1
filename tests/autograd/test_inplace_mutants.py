"""Tests written against surviving mutants of ``autograd/ops/inplace.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/inplace.py``): the random fills (exact
values from the backend's seeded NumPy generator), ``div_``'s rounding modes, ``alpha``
and ``value`` arguments, copies and fills, masks and exact error messages. Each
docstring names what it catches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _seeded(dtype, shape=(4,), seed=7):
    x = ag.zeros(*shape, dtype=dtype)
    x.device.backend.seed(seed)
    return x, np.random.default_rng(seed)


@pytest.mark.parametrize("dtype, draw", [(ag.float64, np.float64), (ag.float32, np.float32),
                                         (ag.float16, np.float32)])
def test_uniform_and_normal_fills_are_the_seeded_draws(dtype, draw):
    """``uniform_(a, b)`` is ``U[0,1) * (b - a) + a`` and ``normal_(mean, std)`` is
    ``N(0,1) * std + mean`` of the backend's generator, drawn in the dtype (float32 for
    half). Catches ``_draw`` #1-#13, ``uniform_`` #1-#6, ``normal_`` #1-#8."""
    x, rng = _seeded(dtype)
    x.uniform_(2.0, 5.0)
    want = rng.random((4,), dtype=draw) * 3.0 + 2.0
    np.testing.assert_array_equal(x.numpy(), want.astype(x.numpy().dtype))
    x, rng = _seeded(dtype)
    x.normal_(5.0, 0.5)
    want = rng.standard_normal((4,), dtype=draw) * 0.5 + 5.0
    np.testing.assert_array_equal(x.numpy(), want.astype(x.numpy().dtype))
    x, rng = _seeded(dtype)
    x.uniform_()
    np.testing.assert_array_equal(x.numpy(), rng.random((4,), dtype=draw).astype(
        x.numpy().dtype))
    x, rng = _seeded(dtype)
    x.normal_()
    np.testing.assert_array_equal(x.numpy(), rng.standard_normal((4,), dtype=draw).astype(
        x.numpy().dtype))


def test_bernoulli_and_exponential_fills_are_the_seeded_draws():
    """``bernoulli_(p)``: 1 where U < p (p a number or a tensor); ``exponential_(l)``:
    ``-log1p(-U) / l``. Catches ``bernoulli_`` #1-#7 and ``exponential_`` #1-#4."""
    x, rng = _seeded(ag.float64)
    x.bernoulli_(0.3)
    np.testing.assert_array_equal(x.numpy(), (rng.random(4) < 0.3).astype(np.float64))
    x, rng = _seeded(ag.float64)
    x.bernoulli_()
    np.testing.assert_array_equal(x.numpy(), (rng.random(4) < 0.5).astype(np.float64))
    p = ag.tensor([0.0, 1.0, 0.5, 0.9], dtype=ag.float64)
    x, rng = _seeded(ag.float64)
    x.bernoulli_(p)
    np.testing.assert_array_equal(x.numpy(), (rng.random(4) < p.numpy()).astype(np.float64))
    x, rng = _seeded(ag.float64)
    x.exponential_(2.0)
    np.testing.assert_array_equal(x.numpy(), -np.log1p(-rng.random(4)) / 2.0)
    x, rng = _seeded(ag.float64)
    x.exponential_()
    np.testing.assert_array_equal(x.numpy(), -np.log1p(-rng.random(4)))


@pytest.mark.parametrize("dtype, hi", [(ag.float32, 2 ** 24 + 1), (ag.float16, 2 ** 11 + 1),
                                       (ag.float64, 2 ** 53 + 1), (ag.bool, 2),
                                       (ag.int8, 128), (ag.uint8, 256), (ag.int64, 2 ** 63)])
def test_random_default_range_per_dtype(dtype, hi):
    """``random_()`` draws integers on ``[0, hi)`` with PyTorch's ``hi`` per dtype.
    Catches ``random_`` #1-#30 (the bounds, the dtype tests, the generator call)."""
    x, rng = _seeded(dtype, shape=(6,))
    x.random_()
    want = rng.integers(0, hi, size=(6,), dtype=np.int64).astype(x.numpy().dtype)
    np.testing.assert_array_equal(x.numpy(), want)


def test_random_with_bounds_and_its_error():
    """``random_(from, to)`` and ``random_(to)``-style bounds, and the exact error for an
    empty range. Catches ``random_``'s ``from_``/``to`` handling and message."""
    x, rng = _seeded(ag.int64, shape=(5,))
    x.random_(3, 9)
    np.testing.assert_array_equal(x.numpy(), rng.integers(3, 9, size=(5,), dtype=np.int64))
    x, rng = _seeded(ag.float32, shape=(5,))
    x.random_(-4, -1)
    np.testing.assert_array_equal(x.numpy(), rng.integers(-4, -1, size=(5,),
                                                          dtype=np.int64).astype(np.float32))
    with pytest.raises(RuntimeError) as info:
        ag.zeros(2).random_(5, 5)
    assert str(info.value) == "random_: expects from < to, got from=5, to=5"
    with pytest.raises(RuntimeError) as info:
        ag.zeros(2, dtype=ag.bool).random_(2)
    assert str(info.value) == "random_: expects from < to, got from=2, to=None"


def test_div_in_place_rounding_modes():
    """``div_(rounding_mode=)`` rounds toward zero or down (values as PyTorch 2.13); a bad
    mode is refused by name. Catches ``div_`` #1-#29."""
    x = ag.tensor([7.0, -7.0, 6.0], dtype=ag.float64)
    x.div_(2.0, rounding_mode="trunc")
    np.testing.assert_array_equal(x.numpy(), [3.0, -3.0, 3.0])
    x = ag.tensor([7.0, -7.0, 6.0], dtype=ag.float64)
    x.div_(ag.tensor([2.0, 2.0, -4.0], dtype=ag.float64), rounding_mode="floor")
    np.testing.assert_array_equal(x.numpy(), [3.0, -4.0, -2.0])
    x = ag.tensor([7.0, -7.0], dtype=ag.float64)
    x.div_(2.0)
    np.testing.assert_array_equal(x.numpy(), [3.5, -3.5])
    with pytest.raises(ValueError) as info:
        x.div_(2.0, rounding_mode="round")
    assert str(info.value) == ("div_: rounding_mode must be None, 'trunc' or 'floor', got "
                               "'round'")


def test_add_sub_in_place_with_alpha_and_gradients():
    """``add_``/``sub_`` with ``alpha``: values, and the gradient of the other operand is
    ``alpha`` (``-alpha``). Catches ``add_`` #1-#17 and ``sub_`` #1-#20."""
    w = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([10.0, 20.0], dtype=ag.float64).clone()
    y.add_(w, alpha=3)
    np.testing.assert_array_equal(y.numpy(), [13.0, 26.0])
    z = ag.tensor([10.0, 20.0], dtype=ag.float64).clone()
    z.sub_(w, alpha=0.5)
    np.testing.assert_array_equal(z.numpy(), [9.5, 19.0])
    (y.sum() + z.sum()).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.5, 2.5])
    u = ag.tensor([1.0, 2.0]).clone()
    u.add_(1.0)
    u.sub_(0.5)
    u.add_(ag.tensor([1.0, 1.0]), alpha=1)
    u.sub_(ag.tensor([1.0, 1.0]), alpha=1)
    np.testing.assert_array_equal(u.numpy(), [1.5, 2.5])


def test_addcmul_addcdiv_in_place_with_and_without_value():
    """Catches ``addcmul_`` #1-#10 and ``addcdiv_`` #1-#9 (the ``value`` branch)."""
    a = ag.tensor([1.0, 2.0], dtype=ag.float64)
    b = ag.tensor([4.0, 8.0], dtype=ag.float64)
    x = ag.tensor([1.0, 1.0], dtype=ag.float64)
    x.addcmul_(a, b)
    np.testing.assert_array_equal(x.numpy(), [5.0, 17.0])
    x.addcmul_(a, b, value=0.5)
    np.testing.assert_array_equal(x.numpy(), [7.0, 25.0])
    x.addcdiv_(b, a)
    np.testing.assert_array_equal(x.numpy(), [11.0, 29.0])
    x.addcdiv_(b, a, value=-2)
    np.testing.assert_array_equal(x.numpy(), [3.0, 21.0])


def test_copy_fill_zero_values_dtypes_and_errors():
    """``copy_`` casts and broadcasts (a float source into an integer tensor truncates and
    carries no gradient), ``fill_`` takes a number or a one-element tensor, ``zero_``;
    exact errors. Catches ``copy_`` #1-#13, ``fill_`` #1-#13, ``zero_`` #1-#4 and
    ``Copy.forward``/``backward``."""
    i = ag.tensor([1, 2, 3])
    w = ag.tensor([1.7, -2.7, 3.2], requires_grad=True)
    with ag.no_grad():
        i.copy_(w)
    assert i.tolist() == [1, -2, 3] and i.dtype == ag.int64
    x = ag.zeros(2, 3, dtype=ag.float64)
    src = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float32, requires_grad=True)
    x.copy_(src)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0, 3.0]] * 2)
    x.sum().backward()
    assert src.grad.dtype == ag.float32
    np.testing.assert_array_equal(src.grad.numpy(), [2.0, 2.0, 2.0])
    x.copy_([[4.0], [5.0]])
    np.testing.assert_array_equal(x.numpy(), [[4.0] * 3, [5.0] * 3])
    with pytest.raises(RuntimeError) as info:
        x.copy_(ag.ones(3, 3))
    assert str(info.value) == ("copy_: source of shape (3, 3) does not broadcast to the "
                               "destination's shape (2, 3)")
    x.fill_(2.5)
    np.testing.assert_array_equal(x.numpy(), [[2.5] * 3] * 2)
    v = ag.tensor([7.0], dtype=ag.float64, requires_grad=True)
    y = ag.zeros(2, dtype=ag.float64).fill_(v)
    np.testing.assert_array_equal(y.numpy(), [7.0, 7.0])
    y.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0])
    with pytest.raises(RuntimeError) as info:
        x.fill_(ag.ones(2))
    assert str(info.value) == "fill_: value must be a number or a 0-d tensor, got shape (2,)"
    with pytest.raises(RuntimeError) as info:
        x.fill_(ag.ones(1, 1))
    assert str(info.value) == ("fill_: value must be a number or a 0-d tensor, got shape "
                               "(1, 1)")
    x.zero_()
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))


def test_masks_of_in_place_ops():
    """``masked_fill_``/``masked_scatter_`` take a list mask, refuse a non-bool or a
    non-broadcasting one with the op's name. Catches ``_bool_mask`` #1-#12 and
    ``masked_fill_``/``masked_scatter_`` #1-#6."""
    x = ag.tensor([1.0, 2.0, 3.0])
    x.masked_fill_([True, False, True], 0.5)
    np.testing.assert_array_equal(x.numpy(), [0.5, 2.0, 0.5])
    x.masked_scatter_(ag.tensor([False, True, True]), ag.tensor([8.0, 9.0, 10.0]))
    np.testing.assert_array_equal(x.numpy(), [0.5, 8.0, 9.0])
    with pytest.raises(RuntimeError) as info:
        x.masked_fill_(ag.tensor([1, 0, 1]), 0.0)
    assert str(info.value) == "masked_fill_: expected a bool mask, got dtype int64"
    with pytest.raises(RuntimeError) as info:
        x.masked_scatter_(ag.tensor([True, False]), ag.ones(3))
    assert str(info.value) == ("masked_scatter_: mask of shape (2,) does not broadcast to the "
                               "tensor's shape (3,)")


def test_index_copy_and_fill_in_place_values_and_errors():
    """``index_copy_``/``index_fill_`` along a dim, with a 0-d index, negative dims, a 0-d
    tensor value and a source of another dtype; exact errors. Catches ``_dim_key`` #1-#9,
    ``index_copy`` #1-#12, ``index_fill`` #1-#8 and the ``*_`` wrappers."""
    x = ag.zeros(2, 3, dtype=ag.float64)
    x.index_copy_(1, ag.tensor([2, 0]), ag.tensor([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(x.numpy(), [[2.0, 0.0, 1.0], [4.0, 0.0, 3.0]])
    x.index_fill_(-1, ag.tensor(1), 9.0)
    np.testing.assert_array_equal(x.numpy(), [[2.0, 9.0, 1.0], [4.0, 9.0, 3.0]])
    v = ag.tensor(5.0, requires_grad=True)
    y = ag.zeros(2, 3).index_fill(0, ag.tensor([1]), v)
    np.testing.assert_array_equal(y.numpy(), [[0.0] * 3, [5.0] * 3])
    y.sum().backward()
    assert v.grad.item() == 3.0
    with pytest.raises(RuntimeError) as info:
        x.index_copy_(1, ag.tensor([0]), ag.ones(2, 2))
    assert str(info.value) == ("index_copy: source has shape (2, 2), expected (2, 1) for "
                               "input (2, 3) and 1 indices")
    with pytest.raises(RuntimeError) as info:
        x.index_fill_(1, ag.tensor([[0]]), 1.0)
    assert str(info.value) == "index_fill: index must be a 0-d or 1-d integer tensor"
    with pytest.raises(RuntimeError) as info:
        x.index_fill_(1, ag.tensor([0.5]), 1.0)
    assert str(info.value) == "index_fill: index must be a 0-d or 1-d integer tensor"
    with pytest.raises(RuntimeError) as info:
        x.index_fill_(1, ag.tensor([0]), ag.ones(2))
    assert str(info.value) == "index_fill: value must be a number or a 0-d tensor, got shape (2,)"


def test_setitem_casts_values_and_strips_leading_ones():
    """``x[key] = v`` casts ``v`` to ``x``'s dtype (a float into an integer tensor
    truncates), drops leading size-1 dims of ``v`` and names itself in index errors.
    Catches ``setitem`` #1-#23 and ``_strip_leading_ones`` #1-#3."""
    i = ag.tensor([[1, 2, 3], [4, 5, 6]])
    i[0] = ag.tensor([7.9, 8.1, -9.5])
    assert i.tolist() == [[7, 8, -9], [4, 5, 6]]
    f = ag.zeros(2, 3, dtype=ag.float64)
    f[1] = ag.tensor([[1, 2, 3]])
    f[ag.tensor([0]), ag.tensor([2])] = ag.tensor([[[4]]])
    np.testing.assert_array_equal(f.numpy(), [[0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    f[ag.tensor([True, False])] = ag.tensor([[5.0, 6.0, 7.0]], dtype=ag.float32)
    np.testing.assert_array_equal(f.numpy(), [[5.0, 6.0, 7.0], [1.0, 2.0, 3.0]])
    assert f.dtype == ag.float64
    with pytest.raises(IndexError) as info:
        f[ag.tensor([5])] = 1.0
    assert str(info.value).startswith("setitem: ") and "(tensor shape (2, 3))" in str(info.value)


def test_true_division_in_place_of_an_integer_tensor_is_refused():
    """Catches ``itruediv`` #1-#3 (its check and message)."""
    i = ag.tensor([1, 2])
    with pytest.raises(RuntimeError) as info:
        i /= 2
    assert str(info.value) == ("/=: result type float32 can't be cast to the integer dtype "
                               "int64 of the tensor changed in place; use x = x / y")
    f = ag.tensor([1.0, 2.0])
    f /= 2
    f **= 2
    np.testing.assert_array_equal(f.numpy(), [0.25, 1.0])
