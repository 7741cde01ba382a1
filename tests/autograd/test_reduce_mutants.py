"""Tests written against surviving mutants of ``autograd/ops/reduce.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/reduce.py``): the branches of ``max``/``min``
the registry does not reach and the exact errors of empty reductions. Each docstring names
what it catches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("op, call, kind, text", [
    ("max", lambda x: x.max(), RuntimeError, "max: the input of shape (0, 3) is empty and "
     "the operation has no identity; pass dim= to reduce over a non-empty dimension"),
    ("amin", lambda x: x.amin(), RuntimeError, "amin: the input of shape (0, 3) is empty "
     "and the operation has no identity; pass dim= to reduce over a non-empty dimension"),
    ("argmax", lambda x: x.argmax(), IndexError, "argmax: the input of shape (0, 3) is "
     "empty; pass dim= to reduce over a non-empty dimension"),
    ("min", lambda x: x.min(dim=0), IndexError, "min: cannot reduce over dim (0,), which "
     "has size 0 in the input of shape (0, 3) (the operation has no identity)"),
    ("amax", lambda x: x.amax(0), IndexError, "amax: cannot reduce over dim (0,), which "
     "has size 0 in the input of shape (0, 3) (the operation has no identity)"),
])
def test_empty_reductions_raise_pytorchs_types_with_the_op_and_shape(op, call, kind, text):
    """Exact type and message per op: catches ``_check_nonempty``'s messages and type
    choice mutated and the op name passed as None or swapped (``_maxmin`` #1-#7, #20,
    #43, #44)."""
    x = ag.zeros(0, 3)
    with pytest.raises(kind) as info:
        call(x)
    assert str(info.value) == text


def test_reductions_over_an_empty_kept_dimension_are_empty():
    """An empty dimension that is kept gives an empty result, not an error: catches
    ``_check_nonempty`` testing the wrong axes (``_maxmin`` #43)."""
    x = ag.zeros(0, 3)
    values, indices = x.max(dim=1)
    assert values.shape == (0,) and indices.shape == (0,)
    assert x.amin(1).shape == (0,)


def test_max_min_of_two_tensors_are_elementwise_with_gradients():
    """``max(a, b)`` / ``min(a, b)``: the elementwise maximum and minimum with their
    gradients. Catches the branch for a Tensor ``dim`` swapped or given wrong arguments
    (``_maxmin`` #8-#17)."""
    a = ag.tensor([1.0, 3.0, -1.0], requires_grad=True)
    b = ag.tensor([2.0, 2.0, -5.0], requires_grad=True)
    np.testing.assert_array_equal(a.max(b).numpy(), [2.0, 3.0, -1.0])
    np.testing.assert_array_equal(ag.min(a, b).numpy(), [1.0, 2.0, -5.0])
    a.max(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 0, 0])


def test_max_over_a_tuple_of_dims_and_of_a_0d_tensor():
    """``max`` over several dims returns the values (with keepdim) and routes the gradient
    to the maximum; ``max(dim=0)`` of a 0-d tensor is the tensor and index 0 (PyTorch's).
    Catches the tuple-dim call's arguments (``_maxmin`` #49-#59) and the 0-d branch
    (#62-#72)."""
    x = ag.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    out = x.max(dim=(0, 1), keepdim=True)
    assert out.shape == (1, 1) and out.item() == 7.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 0]])
    lo = x.min(dim=(0, 1))
    assert lo.shape == () and lo.item() == 1.0
    s = ag.tensor(5.0, requires_grad=True)
    values, indices = s.max(0)
    assert values.item() == 5.0 and values.shape == () and values.requires_grad
    assert indices.item() == 0 and indices.dtype == ag.int64 and indices.shape == ()
    assert indices.device == s.device
    values.backward()
    assert s.grad.item() == 1.0


# --- round 3 (mut_ops): the 175 survivors of the full run at main ed4a784 -------------------

_X = ag.tensor([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("op, call", [
    ("sum", lambda: _X.sum(5)), ("mean", lambda: _X.mean(5)), ("prod", lambda: _X.prod(5)),
    ("logsumexp", lambda: _X.logsumexp(5)), ("var", lambda: _X.var(5)),
    ("std", lambda: _X.std(5)), ("amax", lambda: _X.amax(5)), ("amin", lambda: _X.amin(5)),
    ("max", lambda: _X.max(5)), ("min", lambda: _X.min(-3)), ("argmax", lambda: _X.argmax(5)),
    ("argmin", lambda: _X.argmin(5)),
])
def test_reduction_dim_out_of_range_names_the_op(op, call):
    """The op's own name in the out-of-range message: catches the name passed to ``_axes``
    dropped, wrapped in XX or upper-cased (``sum`` #20/#24/#25, ``mean`` #19/#23/#24,
    ``prod`` #10/#14/#15, ``logsumexp`` #19/#23/#24, ``var`` #14/#18/#19, ``amax``/``amin``
    #5/#12/#13, ``_maxmin`` #38, ``_arg`` #3/#6/#7/#18, ``_axes`` #8)."""
    with pytest.raises(IndexError) as info:
        call()
    d = -3 if op == "min" else 5
    assert str(info.value) == f"{op}: dim {d} is out of range for a tensor of 2 dimension(s)"


def _others(a, axis):
    """Brute force: each element's product of the other elements of its group."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty_like(a)
    axes = tuple(range(a.ndim)) if axis is None else (axis,)
    for i in np.ndindex(a.shape):
        group = tuple(slice(None) if d in axes else i[d] for d in range(a.ndim))
        b = a.copy()
        b[i] = 1.0
        out[i] = np.prod(b[group])
    return out


_P3 = np.array([[[0.0, 2.0, 3.0, 1.5], [1.0, 2.0, 0.5, 3.0], [2.0, 0.0, 0.0, 1.0]],
                [[1.0, 0.5, 2.0, 4.0], [0.0, 3.0, 1.0, 2.0], [1.5, 2.0, 3.0, 0.5]]])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod_gradient_with_zeros_is_the_product_of_the_others(dim, keepdim):
    """``prod(dim)`` of a 3-D tensor holding zeros (one and two per group): each gradient
    is the product of the other elements of its group (brute force with NumPy). Catches
    ``_product_of_others`` working over the wrong axis or flipping all axes (#37, #39, #40,
    #43, #45, #55, #57-#59, #62, #64-#66), ``ctx.axes`` lost (``_setup`` #2, ``Prod.backward``
    #12, #21: the all-zero branch or the whole tensor as one group)."""
    x = ag.tensor(_P3, requires_grad=True)
    x.prod(dim, keepdim=keepdim).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _others(_P3, dim % 3), rtol=1e-12)


@pytest.mark.parametrize("values, grad", [
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),  # one zero: the product of the others
    ([0.0, 0.0, float("nan")], [0.0, 0.0, 0.0]),  # PyTorch's prod(): two zeros give zeros
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),  # no zero: out / x
])
def test_prod_of_all_gradients(values, grad):
    """``prod()`` of a 1-D tensor with no dim (values as PyTorch 2.13 gives them). Catches
    the one-zero path over all axes (``_product_of_others`` #2-#6, #18, #76), the two-zero
    branch taken for one zero or for three (``Prod.backward`` #10, #11), its zero gradient
    built wrong (#13-#17), and the 0-d shortcut taken for 1-D input (#4)."""
    x = ag.tensor(values, requires_grad=True)
    x.prod().backward()
    assert x.grad.shape == (3,) and x.grad.device == x.device
    np.testing.assert_array_equal(x.grad.numpy(), grad)
    x.grad = None
    (x * 1).prod().backward()  # through a non-leaf, so the gradient is used further
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_prod_with_two_zeros_and_a_dim_keeps_the_other_rows_gradient():
    """Two zeros in the tensor but a ``dim``: the other rows keep their gradient (the
    all-zero shortcut is for ``prod()`` only). Catches ``Prod.backward`` #12 and
    ``_setup`` #2."""
    x = ag.tensor([[0.0, 0.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


@pytest.mark.parametrize("call, expected", [
    (lambda x: x.sum(0), 5.0), (lambda x: x.mean(-1), 5.0), (lambda x: x.prod(0), 5.0),
    (lambda x: x.logsumexp(0), 5.0), (lambda x: x.amax(0), 5.0), (lambda x: x.sum(dim=()), 5.0),
])
def test_reductions_of_a_0d_tensor_over_dim_0(call, expected):
    """A 0-d tensor reduced over dim 0 / -1 is itself (PyTorch). Catches ``_axes`` #12
    (the reduction then asks NumPy for axis 0 of a 0-d array)."""
    out = call(ag.tensor(5.0))
    assert out.shape == () and out.item() == expected


@pytest.mark.parametrize("dim", [(), []])
def test_sum_and_mean_over_an_empty_dim_list_reduce_everything(dim):
    """``dim=()`` / ``[]`` means every dim (PyTorch). Catches ``_axes`` #4 (an empty
    string there: nothing reduced)."""
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=dim).shape == () and x.sum(dim=dim).item() == 10.0
    assert x.mean(dim=dim).item() == 2.5
    assert x.logsumexp(dim=dim).shape == ()


def test_argmax_argmin_and_max_of_1d_with_dim_and_keepdim():
    """1-D input with ``dim=0, keepdim=True`` keeps a dimension of 1 (PyTorch): catches
    ``_axes`` #15 (a 1-D tensor treated as 0-d, reducing to a 0-d index) and the default
    of ``keepdim`` (``argmax``/``argmin`` #1)."""
    x = ag.tensor([3.0, 1.0, 2.0])
    assert x.argmax(0, keepdim=True).shape == (1,) and x.argmax(0, keepdim=True).item() == 0
    assert x.argmin(0, keepdim=True).shape == (1,) and x.argmin(0, keepdim=True).item() == 1
    assert x.argmax(0).shape == () and ag.argmin(x, 0).shape == ()
    m = ag.tensor([[3.0, 1.0], [0.0, 2.0]])
    assert ag.argmax(m, 1).shape == (2,) and ag.argmin(m, 1).shape == (2,)
    values, indices = x.max(0, keepdim=True)
    assert values.shape == (1,) and indices.tolist() == [0]


def test_sum_dtypes_integer_to_int64_and_dtype_argument():
    """Integer and bool tensors sum to int64; ``dtype=`` converts first (PyTorch). Catches
    ``sum`` #2-#4, #7-#11 and ``mean`` #2-#4."""
    i32 = ag.tensor([1, 2, 3], dtype=ag.int32)
    assert i32.sum().dtype == ag.int64 and i32.sum().item() == 6
    assert ag.tensor([True, True, False]).sum().dtype == ag.int64
    assert ag.tensor([True, True, False]).sum().item() == 2
    assert ag.tensor([1, 2], dtype=ag.uint8).sum(0).dtype == ag.int64
    assert i32.sum(dtype=ag.float32).dtype == ag.float32
    assert ag.tensor([1.5, 2.0]).sum(dtype=ag.float32).dtype == ag.float32
    assert ag.tensor([1.5, 2.0]).sum().dtype == ag.float32
    assert i32.mean(dtype=ag.float64).dtype == ag.float64
    assert i32.mean(dtype=ag.float64).item() == 2.0
    with pytest.raises(TypeError) as info:
        i32.mean()
    assert str(info.value) == ("mean: expected a floating point or complex input, got int32; "
                               "pass dtype= or call .float() first")


def test_mean_of_an_empty_tensor_is_nan():
    """Mean over an empty dim is NaN, and over an empty kept dim empty (PyTorch). Catches
    ``Mean.forward`` #22, #25, #26 (``1.0 / 0`` or ``float(None)`` at n == 0)."""
    x = ag.zeros(0, 3, requires_grad=True)
    out = x.mean(0)
    assert out.shape == (3,) and np.isnan(out.numpy()).all()
    assert x.mean(1).shape == (0,)
    assert np.isnan(x.mean().item())


def test_logsumexp_stable_per_group_and_empty_and_integer_input():
    """Each group is shifted by its own maximum (1000 and -1000 in one tensor), a single
    element does not overflow, an empty reduced dim gives -inf and an empty kept dim an
    empty result, integers become the default float (values as PyTorch 2.13). Catches
    ``LogSumExp.forward`` #10-#16, #18, #20, #24 and ``logsumexp`` #5, #9, #10, #13."""
    x = ag.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], dtype=ag.float64)
    np.testing.assert_allclose(x.logsumexp(1).numpy(),
                               [1000.0 + np.log(2.0), -1000.0 + np.log(2.0)], rtol=1e-15)
    assert x.logsumexp(1, keepdim=True).shape == (2, 1)
    assert ag.tensor([1000.0]).logsumexp(0).item() == 1000.0
    e = ag.zeros(0, 3)
    np.testing.assert_array_equal(e.logsumexp(0).numpy(), [-np.inf] * 3)
    assert e.logsumexp(1).shape == (0,)
    i = ag.logsumexp(ag.tensor([1, 2]), 0)
    assert i.dtype == ag.float32
    np.testing.assert_allclose(i.item(), np.log(np.e + np.e ** 2), rtol=1e-6)
    with pytest.raises(TypeError) as info:
        ag.logsumexp(ag.tensor([1 + 1j]), 0)
    assert str(info.value) == "logsumexp: complex tensors are not supported (got complex64)"


def test_amax_nan_makes_the_group_gradient_nan_but_max_routes_it_to_the_nan():
    """With a NaN, ``amax``/``amin`` give the whole group a NaN gradient while ``max()`` /
    ``max(dim=tuple)`` share it among the NaNs (PyTorch 2.13's two rules), without
    RuntimeWarnings. Catches ``MaxMin.forward`` #25-#28, #31, #34, #36, ``_maxmin`` #27,
    #34, #53, #59 and ``amax``/``amin`` #33."""
    import warnings

    v = [1.0, float("nan"), 2.0]
    for reduce_ in (lambda x: x.amax(), lambda x: x.amin(0)):
        x = ag.tensor(v, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reduce_(x).backward()
        assert np.isnan(x.grad.numpy()).all()
    for reduce_ in (lambda x: x.max(), lambda x: x.min(),
                    lambda x: x.reshape(1, 3).max(dim=(0, 1))):
        x = ag.tensor(v, requires_grad=True)
        reduce_(x).backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_max_min_and_amin_over_tuple_dims_and_keepdim():
    """A tuple ``dim`` reduces those dims only, ``amin(keepdim=True)`` keeps them, and a
    0-d integer ``max(0)`` stays an integer. Catches ``_maxmin`` #50 (the tuple's axes
    lost) and #67 (``x / 1``), ``amin`` #24 (keepdim lost)."""
    x = ag.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.max(dim=(0, 2)).numpy(), [15.0, 19.0, 23.0])
    np.testing.assert_array_equal(x.min(dim=(0, 2)).numpy(), [0.0, 4.0, 8.0])
    assert x.amin(1, keepdim=True).shape == (2, 1, 4)
    np.testing.assert_array_equal(x.amin(1, keepdim=True).numpy(),
                                  np.arange(24.0).reshape(2, 3, 4).min(1, keepdims=True))
    assert ag.tensor(5).max(0).values.dtype == ag.int64


def test_max_dim_squeezes_only_the_reduced_axis():
    """``max(dim)`` on a shape with other dims of size 1 squeezes the reduced one only.
    Catches ``TakeAlong.forward`` #16 (``squeeze(None)``)."""
    x = ag.tensor([[1.0, 3.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.shape == (1,) and indices.shape == (1,)
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("call", [lambda x: x.amax(1), lambda x: x.max(1)[0],
                                  lambda x: x.max(), lambda x: x.min(0)[0]])
def test_max_min_gradients_keep_float32(call):
    """The gradient of a float32 ``amax``/``max(dim)`` is float32 (``ag.grad`` returns
    what backward made). Catches ``MaxMin.forward`` #43 and ``PutAlong.forward`` #5, #7
    (float64 weights or zeros)."""
    x = ag.tensor([[1.0, 5.0], [7.0, 2.0]], dtype=ag.float32, requires_grad=True)
    (g,) = ag.grad(call(x).sum(), [x])
    assert g.dtype == ag.float32


def test_sum_over_a_size_one_dim_gives_a_writable_gradient():
    """Summing out a dim of size 1 reshapes the gradient, it does not broadcast it into a
    read-only view: catches ``ExpandReduced.forward`` #16."""
    x = ag.ones(3, 1, requires_grad=True)
    x.sum(1).sum().backward()
    with ag.no_grad():
        x.grad.mul_(2)
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0], [2.0], [2.0]])


def test_var_std_bool_first_argument_correction_and_small_counts():
    """``x.var(False)`` is the biased variance; two elements divide by 1; a single element
    or ``correction >= n`` divide by max(0, n - correction) as PyTorch 2.13 (NaN when the
    sum is 0, else inf); ``std`` passes ``unbiased`` and ``correction`` on. Catches ``var``
    #2, #45-#50, ``std`` #2, #6, #8, #13."""
    x = ag.tensor([1.0, 2.0, 4.0], dtype=ag.float64)
    np.testing.assert_allclose(x.var(False).item(), np.var([1.0, 2.0, 4.0]), rtol=1e-15)
    np.testing.assert_allclose(x.std(False).item(), np.std([1.0, 2.0, 4.0]), rtol=1e-15)
    np.testing.assert_allclose(x.std(unbiased=False).item(), np.std([1.0, 2.0, 4.0]),
                               rtol=1e-15)
    np.testing.assert_allclose(x.std(correction=0).item(), np.std([1.0, 2.0, 4.0]),
                               rtol=1e-15)
    assert ag.tensor([1.0, 2.0]).var().item() == 0.5
    assert np.isnan(ag.tensor([3.0]).var().item())
    assert x.var(correction=3).item() == np.inf
    assert x.var(correction=4).item() == np.inf
    assert x.std(correction=3).item() == np.inf


def test_std_gradient_at_one_and_at_zero():
    """``std`` equal to 1 has the ordinary gradient, a constant row gradient 0 and (this
    rule) a zero second derivative. Catches ``SqrtOfVar.backward`` #4 (``out == 1``) and
    #12 (1 instead of 0 where the std is 0: visible in the second derivative)."""
    x = ag.tensor([0.0, 2.0], requires_grad=True)
    x.std(unbiased=False).backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, 0.5], rtol=1e-15)
    c = ag.tensor([3.0, 3.0, 3.0], requires_grad=True)
    (g,) = ag.grad(c.std(), [c], create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])
    (h,) = ag.grad(g[0], [c])
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("fn", [lambda x: x.argmax(1), lambda x: x.argmin(0, keepdim=True),
                                lambda x: ag.argmin(x), lambda x: ag.argmax(x, -1, True)])
def test_argmax_argmin_compiled_are_recomputed_on_replay(fn):
    """Under ``ag.compile`` argmax/argmin are one recorded step, recomputed from each
    call's input: catches ``argmax``/``argmin`` #2 (not recorded: the first call's indices
    replayed) and #4-#9 (the step recorded with the wrong function or arguments)."""
    compiled = ag.compile(fn)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = ag.tensor(rng.standard_normal((3, 4)))
        got, want = compiled(x), fn(x)
        assert got.dtype == want.dtype == ag.int64 and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_argmax_over_a_nonempty_dim_of_an_empty_tensor_is_empty():
    """``argmax(dim)`` over a non-empty dim of an empty tensor is empty (PyTorch), and
    ``argmin`` names itself in the empty-input error. Catches ``_arg`` #24 (the check
    made as if no dim was given) and #3."""
    x = ag.zeros(0, 3)
    assert x.argmax(1).shape == (0,) and x.argmin(1, keepdim=True).shape == (0, 1)
    with pytest.raises(IndexError) as info:
        x.argmin()
    assert str(info.value).startswith("argmin: the input of shape (0, 3) is empty")


def test_var_with_no_degrees_of_freedom_raises_no_numpy_warning():
    """``correction >= n`` gives inf (or NaN for 0 / 0) quietly, as PyTorch's value:
    catches ``_var`` #40 (``denom >= 0``: an integer 0 divides with NumPy's warning) and
    #43-#46 (the warnings not silenced)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ag.tensor([1.0, 2.0, 4.0]).var(correction=3).item() == np.inf
        assert np.isnan(ag.tensor([3.0]).var().item())


def test_prod_of_all_of_a_2d_tensor_with_one_zero():
    """``prod()`` of a 2-D tensor with a single zero: the zero gets the product of all
    the others. Catches ``_product_of_others`` #18 and #76 (the groups not flattened /
    not reshaped back)."""
    x = ag.tensor([[2.0, 0.0], [3.0, 4.0]], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 24.0], [0.0, 0.0]])


def test_logsumexp_of_an_empty_float32_tensor_stays_float32():
    """Catches ``LogSumExp.forward`` #14, #16 (the empty input's shift made float64)."""
    e = ag.zeros(0, 3, dtype=ag.float32)
    assert e.logsumexp(0).dtype == ag.float32 and e.logsumexp(1).dtype == ag.float32
