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


_OPS = {
    "add_": lambda t: t.add_(1.0), "sub_": lambda t: t.sub_(1.0, alpha=2),
    "div_": lambda t: t.div_(2.0, rounding_mode="floor"), "clamp_": lambda t: t.clamp_(0, 1),
    "clamp_min_": lambda t: t.clamp_min_(0), "clamp_max_": lambda t: t.clamp_max_(1),
    "lerp_": lambda t: t.lerp_(ag.ones(3), 0.5),
    "addcmul_": lambda t: t.addcmul_(ag.ones(3), ag.ones(3), value=2),
    "addcdiv_": lambda t: t.addcdiv_(ag.ones(3), ag.ones(3)),
    "copy_": lambda t: t.copy_(ag.ones(3)), "fill_": lambda t: t.fill_(1.0),
    "zero_": lambda t: t.zero_(),
    "masked_fill_": lambda t: t.masked_fill_(ag.tensor([True, False, True]), 0.0),
    "masked_scatter_": lambda t: t.masked_scatter_(ag.tensor([True, False, True]), ag.ones(3)),
    "index_add_": lambda t: t.index_add_(0, ag.tensor([0]), ag.ones(1), alpha=2),
    "index_copy_": lambda t: t.index_copy_(0, ag.tensor([0]), ag.ones(1)),
    "index_fill_": lambda t: t.index_fill_(0, ag.tensor([0]), 1.0),
    "scatter_": lambda t: t.scatter_(0, ag.tensor([0]), value=2.0),
    "scatter_add_": lambda t: t.scatter_add_(0, ag.tensor([0]), ag.ones(1)),
    "scatter_reduce_": lambda t: t.scatter_reduce_(0, ag.tensor([0]), ag.ones(1), "sum"),
    "uniform_": lambda t: t.uniform_(), "normal_": lambda t: t.normal_(),
    "bernoulli_": lambda t: t.bernoulli_(), "exponential_": lambda t: t.exponential_(),
    "random_": lambda t: t.random_(0, 3), "mul_": lambda t: t.mul_(2.0),
    "pow_": lambda t: t.pow_(2), "exp_": lambda t: t.exp_(),
}


@pytest.mark.parametrize("op", list(_OPS))
def test_in_place_ops_name_themselves_on_a_leaf_that_requires_grad(op):
    """The whole refusal message, with the op's own name. Catches every op name passed to
    ``apply_inplace``/``_bool_mask``/``copy_`` changed (``clamp_`` #2/#7/#8, ``lerp_``,
    ``masked_scatter_``, ``index_add_``, ``scatter_``, ``scatter_add_``,
    ``scatter_reduce_``, ... #2-#17) and ``_check_allowed`` #6-#9."""
    w = ag.tensor([0.5, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        _OPS[op](w)
    assert str(info.value) == (
        f"{op}: a leaf tensor that requires grad (shape (3,)) is used in an in-place op "
        "while grad mode is on (its gradient would be wrong); change it under ag.no_grad() "
        "as optimizers do, or work on x.clone()")


def test_in_place_on_views_of_leaves_and_no_grad_views_messages():
    """The two view refusals, whole: a view of a leaf that requires grad, and a view made
    under no_grad (or by split) of a tensor that requires grad. Catches ``_check_allowed``
    #17-#28 and ``apply_inplace`` #94-#101."""
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        w[1:].mul_(2)
    assert str(info.value) == (
        "mul_: a view (shape (2,)) of a leaf tensor that requires grad (shape (3,)) is used "
        "in an in-place op while grad mode is on; change it under ag.no_grad(), or work on "
        "a clone")
    y = w * 1
    with ag.no_grad():
        v = y[1:]
    with pytest.raises(RuntimeError) as info:
        v.mul_(2)
    assert str(info.value) == (
        "mul_: this view (shape (2,)) was made in no_grad mode or by an op that returns "
        "several views (split, chunk, unbind), so its base's gradient cannot be kept right "
        "if it is changed in place with grad mode on; change a clone, or make the view with "
        "grad mode on by indexing")
    base = ag.zeros(3)
    with ag.no_grad():
        nv = base[1:]
    with pytest.raises(RuntimeError) as info:
        nv.add_(w[1:])
    assert str(info.value) == (
        "add_: this view (shape (2,)) was made in no_grad mode or by an op that returns "
        "several views (split, chunk, unbind), and the new values require grad: its base's "
        "history cannot be rebased; copy into a clone instead")


def test_in_place_type_shape_dtype_and_memory_errors():
    """``apply_inplace``/``_fit``/``_write`` errors name the op, in the no_grad and the
    untracked path; a view with history fails in ``CopySlices``. Catches ``apply_inplace``
    #2, #3, #9, #10, #17, #24, #53, #66, ``_write`` #2-#5, ``CopySlices.forward`` #10-#12."""
    from autograd.ops import inplace

    with pytest.raises(TypeError) as info:
        inplace.add_(5, 1)
    assert str(info.value) == "add_: expected a Tensor, got int"
    e = ag.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError) as info:
        e.add_(1)
    assert str(info.value).startswith("add_: cannot write into this tensor (shape (2, 3), "
                                      "strides (0, 1)): more than one element refers")
    assert str(info.value).endswith("overlap); clone it first")
    i = ag.tensor([1, 2])
    for ctx in (ag.no_grad, ag.enable_grad):
        with ctx(), pytest.raises(RuntimeError) as info:
            i.add_(1.5)
        assert str(info.value) == ("add_: result type float32 can't be cast to the dtype "
                                   "int64 of the tensor changed in place (shape (2,))")
        with ctx(), pytest.raises(RuntimeError) as info:
            ag.zeros(3).add_(ag.ones(2, 3))
        assert str(info.value) == ("add_: the result has shape (2, 3), but the tensor changed "
                                   "in place has shape (3,) (an in-place op cannot broadcast "
                                   "its target)")
    for ctx in (ag.no_grad, ag.enable_grad):
        one = ag.tensor(1.0).expand(1)  # a read-only broadcast that is C-contiguous
        with ctx(), pytest.raises(RuntimeError) as info:
            one.add_(1.0)
        msg = str(info.value)
        assert msg.startswith("add_: cannot write into this tensor (shape (1,)): more than "
                              "one element refers to the same memory location, as in an "
                              "expanded view (")
        assert msg.endswith("); clone it first")
    with pytest.raises(RuntimeError) as info:  # the same view, with history: CopySlices
        ag.tensor(1.0).expand(1).add_(ag.tensor([1.0], requires_grad=True))
    assert str(info.value) == ("in-place op on a view: cannot write into it (assignment "
                               "destination is read-only); more than one element refers to "
                               "the same memory location, as in an expanded view")


def test_overlaps_itself_on_strided_layouts():
    """``overlaps_itself`` on hand-made layouts: contiguous int8 transposed (stride 1),
    a size-1 dim of stride 0, and two layouts that do overlap. Catches
    ``overlaps_itself`` #2, #9, #13, #15."""
    from numpy.lib.stride_tricks import as_strided

    from autograd.ops.inplace import overlaps_itself

    assert not overlaps_itself(np.zeros((2, 3), np.int8).T)
    assert not overlaps_itself(np.broadcast_to(np.zeros(3), (1, 3)))
    buf = np.zeros(64)
    assert overlaps_itself(as_strided(buf, (2, 2, 2), (8, 16, 24)))
    assert overlaps_itself(as_strided(buf, (3, 2), (8, 16)))
    assert not overlaps_itself(as_strided(buf, (3, 2), (8, 24)))


def test_in_place_on_a_plain_tensor_with_a_grad_requiring_operand_records_history():
    """``x.add_(w)`` with a plain ``x``: ``x`` now requires grad and ``w`` gets the
    gradient. Catches ``apply_inplace`` #60 (tracked only when both require grad)."""
    x = ag.zeros(2, dtype=ag.float64)
    w = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    x.add_(w)
    assert x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_in_place_change_of_a_saved_tensor_names_the_op():
    """The version error names the in-place op, for a plain tensor and for a view.
    Catches ``apply_inplace`` #71, #73, #122, #124 (``increment_version`` without the op)."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    x = ag.tensor([3.0, 4.0])
    y = w * x
    x.add_(1)
    with pytest.raises(RuntimeError, match=r"modified in place to version 1 by add_"):
        y.sum().backward()
    b = w * 1
    v = b[0:1]
    z = v * v
    v.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified in place to version 1 by mul_"):
        z.sum().backward()


def test_in_place_on_a_second_output_keeps_its_slot():
    """``logabsdet`` is output 1 of slogdet's node: scaling it in place routes the
    gradient through that slot. Catches ``apply_inplace`` #49 (the stand-in made as
    output 0)."""
    a = ag.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=ag.float64, requires_grad=True)
    _, logabsdet = ag.linalg.slogdet(a)
    logabsdet.mul_(3)
    logabsdet.backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * np.linalg.inv(a.numpy()).T, rtol=1e-12)


def test_saved_inputs_and_outputs_survive_or_guard_the_in_place_change():
    """A node that read the old values keeps them (``y.sin_()``, ``y.pow_(3)``); a node
    that saved its output guards it: a later in-place change of the result is an error
    (PyTorch). Catches ``_protect_saved`` #3-#31 and ``_share_saved_output`` #1-#26."""
    w = ag.tensor([0.5, 1.0], dtype=ag.float64, requires_grad=True)
    y = w * 1
    y.sin_()
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.cos([0.5, 1.0]), rtol=1e-15)
    w.grad = None
    y = w * 1
    y.pow_(3)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.75, 3.0])
    w.grad = None
    y = w * 1
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-15)
    y = w * 1
    y.exp_()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"ExpBackward needs its output 0 .* by add_"):
        y.sum().backward()


def test_in_place_gradients_keep_float32():
    """``ag.grad`` through a copy into a float64 tensor gives the float32 source a float32
    gradient, and an in-place change of a float32 view gives its base a float32 one.
    Catches ``Copy.forward`` #3-#10, ``Copy.backward`` #16-#18, ``CopySlices.backward``
    #6, #8 and ``_fit`` #24."""
    src = ag.tensor([1.0, 2.0], dtype=ag.float32, requires_grad=True)
    x = ag.zeros(2, dtype=ag.float64)
    x.copy_(src)
    (g,) = ag.grad(x.sum(), [src])
    assert g.dtype == ag.float32
    w = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float32, requires_grad=True)
    b = w * 1
    b[1:].mul_(2)
    (g,) = ag.grad(b.sum(), [w])
    assert g.dtype == ag.float32
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 2.0])
    y = w * 1
    y.add_(ag.tensor([1.0, 1.0, 1.0], dtype=ag.float64))
    (g,) = ag.grad(y.sum(), [w])
    assert y.dtype == ag.float32 and g.dtype == ag.float32


def test_in_place_wrappers_pass_their_keyword_arguments():
    """Catches ``index_add_`` #20 (alpha dropped), ``scatter_`` #14, #15, #20, #21 (value
    and reduce dropped) and ``scatter_reduce_`` #22 (include_self dropped)."""
    x = ag.zeros(3)
    x.index_add_(0, ag.tensor([1]), ag.ones(1), alpha=3)
    np.testing.assert_array_equal(x.numpy(), [0.0, 3.0, 0.0])
    x.scatter_(0, ag.tensor([2]), value=5.0)
    np.testing.assert_array_equal(x.numpy(), [0.0, 3.0, 5.0])
    x.scatter_(0, ag.tensor([2]), ag.tensor([2.0]), reduce="multiply")
    np.testing.assert_array_equal(x.numpy(), [0.0, 3.0, 10.0])
    x.scatter_(0, ag.tensor([1]), ag.tensor([2.0]), reduce="add")
    np.testing.assert_array_equal(x.numpy(), [0.0, 5.0, 10.0])
    x.scatter_reduce_(0, ag.tensor([1, 1]), ag.tensor([1.0, 2.0]), "sum", include_self=False)
    np.testing.assert_array_equal(x.numpy(), [0.0, 3.0, 10.0])


def test_out_argument_refused_when_a_listed_input_requires_grad():
    """``out=`` with a list argument holding a tensor that requires grad is refused (the
    wrapper is made at import, so only ``_needs_grad`` is reachable by mutants: #2, #3)."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^cat\(\): functions with out=\.\.\. arguments"):
        ag.cat([ag.zeros(2), w], out=ag.zeros(4))
    out = ag.zeros(4)
    ag.cat([ag.ones(2), ag.zeros(2)], out=out)
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("op, call", [
    ("add_", lambda t: t.add_(1.0, alpha=2)), ("sub_", lambda t: t.sub_(1.0)),
    ("div_", lambda t: t.div_(2.0)), ("fill_", lambda t: t.fill_(ag.tensor(1.0))),
    ("setitem", lambda t: t.__setitem__(ag.tensor([0]), 1.0)),
])
def test_more_in_place_branches_name_themselves(op, call):
    """The other branches of ``add_`` (alpha), ``sub_`` (no alpha), ``div_`` (no rounding),
    ``fill_`` (a tensor value) and ``setitem`` (an index tensor): catches ``add_`` #5/#10/
    #11, ``sub_`` #22/#27/#28, ``div_`` #3/#8/#9, ``fill_`` #10-#16, ``setitem`` #68-#74."""
    w = ag.tensor([0.5, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        call(w)
    assert str(info.value).startswith(f"{op}: a leaf tensor that requires grad (shape (3,))")


def test_copy_of_a_float_tensor_into_an_integer_one_records_no_history():
    """``i.copy_(w)`` with ``w`` requiring grad under grad mode: the integer tensor gets
    no gradient history (PyTorch). Catches ``copy_`` #9-#11."""
    i = ag.tensor([1, 2])
    i.copy_(ag.tensor([3.7, -4.2], requires_grad=True))
    assert i.tolist() == [3, -4] and not i.requires_grad and i.grad_fn is None


def test_addcmul_with_value_two():
    """Catches ``addcmul_`` #26 (``value != 2`` deciding the scaling)."""
    x = ag.tensor([1.0, 1.0])
    x.addcmul_(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0]), value=2)
    np.testing.assert_array_equal(x.numpy(), [7.0, 17.0])


def test_index_ops_in_place_name_themselves_and_check_dims_of_1d():
    """Catches ``_dim_key`` #13 (no op name for a bad dim), #21 (``max(ndim, 2)``: dim 1 of
    a 1-D tensor accepted) and ``index_copy`` #5/#10/#11."""
    x = ag.zeros(3)
    with pytest.raises(IndexError) as info:
        x.index_fill_(1, ag.tensor([0]), 1.0)
    assert str(info.value) == "index_fill: dim 1 is out of range for a tensor of 1 dimension(s)"
    with pytest.raises(RuntimeError) as info:
        x.index_copy_(0, ag.tensor([[0]]), ag.ones(1))
    assert str(info.value) == "index_copy: index must be a 0-d or 1-d integer tensor"


def test_in_place_fill_and_advanced_setitem_keep_the_value_dtype_and_shape_gradient():
    """A float32 value written into a float64 tensor (``index_fill_`` with a 0-d tensor,
    ``x[idx] = v``) gets a float32 gradient, summed over the broadcast. Catches
    ``index_fill`` #16, ``setitem`` #3-#15 and #64-#66."""
    v = ag.tensor(2.0, dtype=ag.float32, requires_grad=True)
    x = ag.zeros(2, 3, dtype=ag.float64)
    x.index_fill_(1, ag.tensor([0, 2]), v)
    (g,) = ag.grad(x.sum(), [v])
    assert g.dtype == ag.float32 and g.item() == 4.0
    row = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float32, requires_grad=True)
    y = ag.zeros(2, 3, dtype=ag.float64)
    y[ag.tensor([0, 1])] = row
    np.testing.assert_array_equal(y.numpy(), [[1.0, 2.0, 3.0]] * 2)
    (g,) = ag.grad(y.sum(), [row])
    assert g.dtype == ag.float32
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0, 2.0])


def test_in_place_into_a_read_only_array_with_history_names_the_op():
    """A tensor over a read-only NumPy array (not a view) changed in place by a tensor
    that requires grad: the tracked path's write fails by name. Catches ``apply_inplace``
    #83."""
    a = np.ones(2)
    a.flags.writeable = False
    x = ag.from_numpy(a)
    with pytest.raises(RuntimeError) as info:
        x.add_(ag.tensor([1.0, 1.0], dtype=ag.float64, requires_grad=True))
    assert str(info.value).startswith("add_: cannot write into this tensor (shape (2,))")


def test_every_new_node_that_read_the_old_values_is_protected():
    """An in-place op made of two nodes, ``sin(a) * a``, whose older input edge is visited
    before the node that saved ``a``: both keep the old values. Catches ``_protect_saved``
    #10 (``break`` at the first node older than the op)."""
    from autograd.ops.inplace import apply_inplace

    w = ag.tensor([0.5, 1.0], dtype=ag.float64, requires_grad=True)
    y = w * 1
    apply_inplace(y, "sin_mul_", lambda a: ag.mul(ag.sin(a), a))
    y.sum().backward()
    want = np.cos([0.5, 1.0]) * np.array([0.5, 1.0]) + np.sin([0.5, 1.0])
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-15)
