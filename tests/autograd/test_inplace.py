"""In-place ops: values, history rebasing, version counters and their errors, hooks.

(The op registry checks each in-place op's gradients; tests/autograd/test_inplace_torch.py
compares the mutation semantics with PyTorch.)
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.testing import inplace_ops


def _leaf(values, dtype=ag.float64):
    return ag.tensor(values, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("pair", inplace_ops.PAIRS, ids=[p[0] for p in inplace_ops.PAIRS])
def test_inplace_equals_out_of_place(pair):
    method, outplace, specs, _ = pair
    rng = np.random.default_rng(3)
    shape = inplace_ops._SHAPES.get(method, (3, 4))
    low = 0.5 if method == "pow_" else -2.0
    x = ag.tensor(rng.uniform(low, 2.0, size=shape), dtype=ag.float64)
    extra = inplace_ops._args(*specs)(rng, ag.float64, "cpu")
    expected = outplace(x, *extra)
    y = x.clone()
    out = getattr(y, method)(*extra)
    assert out is y
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-12)


def test_inplace_keeps_the_array_and_bumps_the_version():
    x = ag.zeros(3)
    arr = x.array
    x.add_(1).mul_(3)
    assert x.array is arr and x.tolist() == [3.0, 3.0, 3.0]
    assert x._version == 2


def test_inplace_operators_mutate():
    x = ag.ones(2)
    y = x
    y += 1
    y *= 3
    y -= 1
    y /= 5
    assert y is x and x.tolist() == [1.0, 1.0]


def test_iadd_on_parameter_under_no_grad_changes_that_parameter():
    lin = nn.Linear(2, 2)
    w = lin.weight
    before = w.numpy().copy()
    with ag.no_grad():
        w += 1.0
    assert lin.weight is w
    np.testing.assert_allclose(w.numpy(), before + 1.0)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1.0  # grad mode: refused, as PyTorch


def test_inplace_on_leaf_requiring_grad_raises_unless_no_grad():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="view .* of a leaf"):
        x[0:1].mul_(2)
    with ag.no_grad():
        x.add_(1)
        x[0] = 10.0
    assert x.tolist() == [10.0, 3.0] and x.is_leaf and x.requires_grad


def test_inplace_on_intermediate_rebases_history():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 2
    first = y.grad_fn
    y.add_(1).mul_(x)  # y = (2x + 1) * x
    assert y.grad_fn is not first and y.grad_fn.name() == "MulBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy() + 1)


def test_setitem_on_intermediate_keeps_gradients_right():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    w = _leaf([5.0])
    y = x * 2
    y[1] = w * 3  # basic key: through a view
    y[ag.tensor([0, 3])] = 0.0  # integer array: index_put
    y.sum().backward()
    assert y.tolist() == [0.0, 15.0, 6.0, 0.0]
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 2.0, 0.0])
    np.testing.assert_allclose(w.grad.numpy(), [3.0])


def test_view_of_intermediate_rebases_its_base():
    x = _leaf(np.arange(6.0).reshape(2, 3))
    y = x * 1
    row = y[1]
    row.mul_(10)  # CopySlices: y's history now says row 1 was multiplied
    assert y.grad_fn.name() == "CopySlicesBackward"
    (y * y).sum().backward()
    expected = 2 * x.numpy() * np.array([[1.0], [100.0]])
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_sibling_view_sees_the_change_and_its_gradient():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1
    a, b = y[:2], y[1:]  # overlap at y[1]
    a.mul_(5)
    assert b.tolist() == [10.0, 3.0]
    b.sum().backward()  # b's grad_fn is replayed from y's new history
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 5.0, 1.0])


def test_modified_saved_tensor_raises_with_op_tensor_and_versions():
    x = _leaf([1.0, 2.0])
    y = x * 1
    z = y * y
    y.add_(1)
    with pytest.raises(ag.BackwardError) as info:
        z.sum().backward()
    msg = str(info.value)
    assert "MulBackward" in msg and "shape (2,)" in msg
    assert "saved at version 0" in msg and "to version 1 by add_" in msg


def test_modified_output_of_exp_raises_but_modified_input_of_add_does_not():
    x = _leaf([0.5, 1.0])
    y = x * 1
    e = y.exp()
    e.mul_(2)
    with pytest.raises(ag.BackwardError, match="ExpBackward needs its output 0"):
        e.sum().backward()
    x.grad = None
    y = x * 1
    s = y + 1
    y.mul_(3)
    s.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_mutating_a_leaf_after_forward_raises():  # issue 16, point 4
    a = _leaf([1.0, 2.0, 3.0])
    y = (a * a).sum()
    with ag.no_grad():
        a[0] = 100
    with pytest.raises(ag.BackwardError, match=r"modified in place to version 1 by setitem"):
        y.backward()


def test_detect_anomaly_names_both_places():
    x = _leaf([1.0, 2.0])
    with ag.detect_anomaly():
        y = x * 1
        z = y * y  # line A
        y.add_(1)  # line B
        with pytest.raises(ag.BackwardError) as info:
            z.sum().backward()
    msg = str(info.value)
    assert msg.count("test_inplace.py:") == 2 and "created at" in msg


def test_detach_shares_storage_and_version_data_does_not_bump():
    x = _leaf([1.0, 2.0])
    y = x * 1
    z = y * y
    d = y.detach()
    assert not d.requires_grad and np.shares_memory(d.array, y.array)
    y.data[0] = 5.0  # .data has a version counter of its own: not seen by the check
    z.sum().backward(retain_graph=True)
    d.add_(1)  # the detached alias shares the version counter
    assert y._version == 1
    with pytest.raises(ag.BackwardError):
        z.sum().backward()


def test_data_is_a_detached_tensor_on_the_same_storage():
    """PyTorch's ``p.data``: a Tensor (not the raw array, not a Parameter) sharing the
    storage, outside the graph, so ``p.data.add_(u)`` updates a leaf that requires grad
    without the leaf-mutation error and without being recorded."""
    p = nn.Parameter(ag.tensor([1.0, 2.0, 3.0]))
    d = p.data
    assert type(d) is ag.Tensor and not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.array, p.array) and d.data_ptr() == p.data_ptr()
    p.data.add_(-0.5 * ag.ones(3))  # grad mode on: no "leaf requires grad" error
    np.testing.assert_array_equal(p.numpy(), [0.5, 1.5, 2.5])
    assert p._version == 0 and p.grad_fn is None and p.requires_grad
    p.data.mul_(2).sub_(1)
    np.testing.assert_array_equal(p.numpy(), [0.0, 2.0, 4.0])


def test_data_assignment_replaces_the_values_and_checks_its_type():
    x = _leaf([1.0, 2.0])
    new = ag.tensor([5.0, 6.0, 7.0], dtype=ag.float64)
    x.data = new
    assert x.shape == (3,) and np.shares_memory(x.array, new.array) and x.requires_grad
    with pytest.raises(TypeError, match="Tensor.data = value: expected a Tensor, got ndarray"):
        x.data = np.zeros(3)


def test_optimizer_step_bumps_versions_and_allocates_no_new_array():
    lin = nn.Linear(3, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    x = ag.randn(4, 3)
    loss = (lin(x) ** 2).sum()
    loss.backward(retain_graph=True)
    arrays = [p.array for p in lin.parameters()]
    version = lin.weight._version  # 1: nn.init filled it in place, as in PyTorch
    opt.step()
    assert all(p.array is a for p, a in zip(lin.parameters(), arrays))
    assert lin.weight._version == version + 1
    with pytest.raises(ag.BackwardError, match="SGD.step"):
        loss.backward()


def test_module_zero_grad_zeroes_in_place():
    lin = nn.Linear(2, 2)
    lin(ag.ones(1, 2)).sum().backward()
    g = lin.weight.grad
    arr = g.array
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is g and g.array is arr and not g.array.any()


def test_init_fills_a_view_in_place():
    w = ag.zeros(3, 4)
    nn.init.uniform_(w[1], 1.0, 2.0)
    nn.init.constant_(w[:, 0], 7.0)
    assert (w.numpy()[[0, 2], 1:] == 0).all()
    assert ((w.numpy()[1, 1:] >= 1) & (w.numpy()[1, 1:] < 2)).all()
    assert (w.numpy()[:, 0] == 7).all() and w._version == 2


def test_random_fills_follow_the_seed_and_ranges():
    ag.manual_seed(0)
    a = ag.empty(1000).uniform_(-1, 1)
    ag.manual_seed(0)
    b = ag.empty(1000).uniform_(-1, 1)
    assert ag.equal(a, b) and -1 <= a.min().item() and a.max().item() < 1
    n = ag.empty(20000, dtype=ag.float64).normal_(3.0, 2.0)
    assert abs(n.mean().item() - 3.0) < 0.1 and abs(n.std().item() - 2.0) < 0.1
    e = ag.empty(20000, dtype=ag.float64).exponential_(4.0)
    assert abs(e.mean().item() - 0.25) < 0.02 and e.min().item() >= 0
    bern = ag.empty(20000).bernoulli_(0.3)
    assert set(np.unique(bern.numpy())) <= {0.0, 1.0} and abs(bern.mean().item() - 0.3) < 0.02
    r = ag.empty(1000, dtype=ag.int64).random_(2, 5)
    assert set(np.unique(r.numpy())) == {2, 3, 4}


def test_copy_fill_zero_masked():
    x = ag.zeros(2, 3)
    x.copy_(ag.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [[1, 2, 3], [1, 2, 3]]
    x.masked_fill_(x > 1.5, -1.0)
    assert x.tolist() == [[1, -1, -1], [1, -1, -1]]
    x.masked_scatter_(x < 0, ag.arange(4.0))
    assert x.tolist() == [[1, 0, 1], [1, 2, 3]]
    x.fill_(ag.tensor(2.5))
    assert (x.numpy() == 2.5).all()
    x.zero_()
    assert not x.numpy().any()
    with pytest.raises(RuntimeError, match="copy_: source of shape"):
        x.copy_(ag.ones(4))
    with pytest.raises(RuntimeError, match="cannot broadcast its target"):
        ag.zeros(3).add_(ag.ones(2, 3))
    with pytest.raises(RuntimeError, match="can't be cast"):
        ag.zeros(3, dtype=ag.int64).add_(1.5)


def test_copy_into_graph_tensor_gives_zero_gradient_to_the_old_values():
    x = _leaf([1.0, 2.0])
    s = _leaf([3.0, 4.0])
    y = x * 2
    y.copy_(s * s)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(s.grad.numpy(), [6.0, 8.0])


def test_expanded_view_cannot_be_written():
    x = ag.zeros(1, 3).expand(4, 3)
    with pytest.raises(RuntimeError, match="same memory location"):
        x.add_(1)


def test_split_outputs_cannot_be_changed_in_place_in_grad_mode():
    x = _leaf([1.0, 2.0, 3.0, 4.0])
    a, _ = (x * 1).split(2)
    with pytest.raises(RuntimeError, match="several views"):
        a.mul_(2)


def test_leaf_hook_runs_once_with_the_total_and_its_result_is_accumulated():
    x = _leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10

    x.register_hook(hook)
    (x * 2 + x * 3 + x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [6.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [60.0, 60.0])


def test_retain_grad_across_inplace():
    x = _leaf([1.0, 2.0])
    y = x * 1
    y.mul_(3)
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.numpy())


def test_step_functions_have_zero_gradients():
    x = _leaf([-1.5, 0.3, 2.7])
    for fn in (ag.sign, ag.floor, ag.ceil, ag.round, ag.trunc):
        out = fn(x)
        assert out.requires_grad
        out.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 0.0)
        x.grad = None
    ag.frac(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0)
    np.testing.assert_allclose(ag.round(ag.tensor([1.256]), decimals=2).numpy(), [1.26])


def test_out_keyword_writes_in_place():
    a, b = ag.ones(3), ag.arange(3.0)
    out = ag.zeros(3)
    arr = out.array
    assert ag.add(a, b, out=out) is out and out.array is arr
    assert out.tolist() == [1.0, 2.0, 3.0] and out._version == 1
    assert ag.sum(ag.ones(2, 3), dim=1, out=ag.zeros(2)).tolist() == [3.0, 3.0]
    ag.matmul(ag.ones(2, 3), ag.ones(3, 2), out=ag.zeros(2, 2))
    with pytest.raises(RuntimeError, match="out has shape"):
        ag.exp(a, out=ag.zeros(4))
    x = _leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ag.mul(x, 2.0, out=out)
    with ag.no_grad():
        ag.mul(x, 2.0, out=out)
    assert out.tolist() == [2.0, 4.0, 6.0]


@pytest.mark.parametrize("key, first, rest", [
    ((0, slice(None), [1, 2]), (0,), (slice(None), [1, 2])),
    ((0, Ellipsis, [1, 2]), (0,), (Ellipsis, [1, 2])),
    ((slice(None), [0], None, 0), (slice(None), slice(None), 0), (slice(None), [0], None)),
])
def test_setitem_with_integers_and_arrays_uses_pytorchs_layout(key, first, rest):
    """As getitem: the integers select first, so the value has PyTorch's shape ((3, 2) for
    x[0, :, [1, 2]] of a (2, 3, 4) tensor, where NumPy's layout is (2, 3)); the gradient
    reaches the value and the untouched part of the base."""
    ref = np.arange(24.0).reshape(2, 3, 4)
    view = ref[first]
    shape = view[rest].shape
    value = -np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    view[rest] = value
    base = ag.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    v = ag.tensor(value, requires_grad=True)
    y = base * 1.0
    y[key] = v
    np.testing.assert_array_equal(y.numpy(), ref)
    (y * y).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), 2 * value)
    written = np.zeros((2, 3, 4), bool)
    written[first][rest] = True
    np.testing.assert_array_equal(base.grad.numpy(), np.where(written, 0.0, 2 * ref))


def _offsets_repeat(a) -> bool:
    """Brute force: do two elements of the strided array ``a`` share a byte offset?"""
    idx = np.indices(a.shape).reshape(a.ndim, -1).T
    offs = idx @ np.array(a.strides) if a.ndim else np.zeros(1)
    return len(set(offs.tolist())) < a.size


def test_overlap_test_agrees_with_brute_force_on_view_layouts():
    """overlaps_itself against every element's offset, on the layouts views make: it
    would let a write into overlapping windows through (or refuse a plain slice)."""
    from autograd.ops.inplace import overlaps_itself
    a = np.arange(60.0).reshape(3, 4, 5)
    x = ag.tensor(a)
    views = [x, x.transpose(0, 2), x[::2, 1:, ::3], x[:, 2], x.diagonal(0, 1, 2),
             x.expand(2, 3, 4, 5), x[:, :1].expand(3, 4, 5), x.unfold(2, 2, 1),
             x.unfold(2, 2, 2), x.unfold(1, 3, 1).transpose(0, 3), x.unfold(2, 1, 1),
             x.permute(2, 0, 1)[1:, ::2], x.reshape(60).unfold(0, 5, 5)]
    got = [overlaps_itself(v.array) for v in views]
    assert got == [_offsets_repeat(v.array) for v in views]
    assert got.count(True) == 4  # the two expands and the two overlapping unfolds


@pytest.mark.parametrize("op", [lambda v: v.add_(1), lambda v: v.zero_(),
                                lambda v: v.mul_(2), lambda v: v.__setitem__(..., 1.0),
                                lambda v: v.uniform_()], ids=["add_", "zero_", "mul_",
                                                              "setitem", "uniform_"])
def test_writes_into_overlapping_views_raise(op):
    """PyTorch refuses expanded targets; it writes overlapping unfold windows one element
    at a time (each location changed once per window), which NumPy would not reproduce:
    both raise here, naming the shape and strides, and leave the base unchanged."""
    x = ag.zeros(4)
    for view in (x.unfold(0, 2, 1), x.expand(3, 4)):
        with pytest.raises(RuntimeError, match=r"strides \(.*more than one element "
                                               r"refers to the same memory location"):
            op(view)
    np.testing.assert_array_equal(x.numpy(), np.zeros(4))
    op(x.unfold(0, 2, 2))  # windows that do not overlap are written without complaint


def test_setitem_with_an_index_array_is_index_put_as_in_pytorch():
    x = _leaf([1.0, 2.0, 3.0])
    y = x * 1
    y[ag.tensor([0, 2])] = 0.0
    assert y.grad_fn.name() == "IndexPutBackward"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


_M = np.array([[1.5, -2.0], [0.5, 3.0]])
OUT_CASES = {  # name -> arguments (arrays become float64 tensors)
    "mm": (_M, _M), "bmm": (_M[None], _M[None]), "addmm": (_M, _M, _M), "mv": (_M, _M[0]),
    "dot": (_M[0], _M[1]), "log1p": (np.abs(_M),), "expm1": (_M,), "rsqrt": (np.abs(_M),),
    "floor": (_M,), "ceil": (_M,), "round": (_M,), "sinh": (_M,), "cosh": (_M,),
    "atan2": (_M, _M.T), "cumsum": (_M, 1), "remainder": (_M, 0.75), "fmod": (_M, 0.75),
    "lerp": (_M, _M.T, 0.25), "addcmul": (_M, _M, _M.T), "addcdiv": (_M, _M, _M.T + 5),
}


@pytest.mark.parametrize("name", sorted(OUT_CASES))
def test_out_keyword_writes_the_out_of_place_result(name):
    args = [ag.tensor(a) if isinstance(a, np.ndarray) else a for a in OUT_CASES[name]]
    want = getattr(ag, name)(*args)
    out = ag.full(tuple(want.shape), 7.0, dtype=want.dtype)
    arr = out.array
    assert getattr(ag, name)(*args, out=out) is out and out.array is arr
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    assert out._version == 1
