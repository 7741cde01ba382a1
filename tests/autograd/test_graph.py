"""The graph core: topological order, accumulation, retain/create graph, hooks,
memory (no reference cycles), deep graphs and the error cases."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd.graph import BackwardError


def test_diamond_accumulates_before_backward():
    x = ag.tensor([2.0], requires_grad=True)
    a = x * 3
    b = a * a  # a used twice
    c = a + b  # and again: a's gradient must be complete before a's backward runs
    c.backward()
    # c = 3x + 9x^2 -> dc/dx = 3 + 18x
    assert x.grad.item() == pytest.approx(3 + 18 * 2.0)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0]) + 3)


def test_shared_gradient_is_not_aliased_between_leaves():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 5).sum().backward()  # accumulates into a.grad in place
    assert b.grad.item() == 1.0
    assert a.grad.item() == 6.0


def test_backward_twice_through_freed_graph_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(BackwardError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_saved_arrays_are_released_after_backward():
    x = ag.tensor(np.ones(4), requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    assert node._saved
    y.sum().backward()
    assert node._saved == ()


def test_backward_of_non_scalar_needs_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element outputs, got shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=ag.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_gradient_shape_mismatch_names_both_shapes():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(gradient=ag.tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating point.*int64"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        ag.tensor([True]).requires_grad_()


def test_matmul_shape_mismatch_names_both_shapes():
    a, b = ag.ones(2, 3), ag.ones(4, 5)
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        a @ b


def test_detach_and_no_grad_record_nothing():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None and ag.is_grad_enabled()
    z = x.detach()
    assert not z.requires_grad and np.shares_memory(z.array, x.array)

    @ag.no_grad()
    def f(t):
        return t * 2

    assert f(x).grad_fn is None
    with ag.no_grad():
        with ag.enable_grad():
            assert (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    import threading

    seen = []
    with ag.no_grad():
        t = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_hooks_on_leaf_and_non_leaf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_retain_grad_keeps_intermediate_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * np.array([2.0, 4.0]))


def test_is_leaf_and_grad_fn():
    x = ag.tensor([1.0], requires_grad=True)
    y = x * x
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward"
    assert "grad_fn=<MulBackward>" in repr(y)
    assert (x * 2).grad_fn.name() == "MulScalarBackward"


def test_create_graph_gives_second_derivative():
    x = ag.tensor([1.5], requires_grad=True, dtype=ag.float64)
    y = x**3
    (g,) = ag.grad(y, x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x)
    assert g.item() == pytest.approx(3 * 1.5**2)
    assert gg.item() == pytest.approx(6 * 1.5)


def test_backward_create_graph_accumulates_differentiable_grad():
    x = ag.tensor([2.0], requires_grad=True, dtype=ag.float64)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (gg,) = ag.grad(g.sum(), x)
    assert gg.item() == pytest.approx(12.0)


def test_deep_chain_has_no_recursion_limit():
    x = ag.tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 200,000 ops
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(3))


def test_finished_step_is_freed_without_the_cyclic_gc():
    gc.collect()
    gc.disable()
    try:
        w = ag.tensor(np.ones((4, 4)), requires_grad=True)
        x = ag.tensor(np.ones((2, 4)))
        h = (x @ w).tanh()
        loss = (h * h).sum()
        refs = [weakref.ref(h), weakref.ref(loss), weakref.ref(loss.grad_fn),
                weakref.ref(h.grad_fn)]
        loss.backward()
        del h, loss
        assert all(r() is None for r in refs), "graph kept alive by a reference cycle"
        # also without running backward
        h = (x @ w).tanh()
        refs = [weakref.ref(h), weakref.ref(h.grad_fn)]
        del h
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_create_graph_step_is_freed_without_the_cyclic_gc():
    gc.collect()
    gc.disable()
    try:
        x = ag.tensor(np.ones(3), requires_grad=True, dtype=ag.float64)
        y = (x.exp() * x).sum()
        (g,) = ag.grad(y, x, create_graph=True)
        refs = [weakref.ref(y), weakref.ref(g), weakref.ref(y.grad_fn), weakref.ref(g.grad_fn)]
        (g.sum()).backward()
        del y, g
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_outputs_are_not_held_by_their_node():
    x = ag.tensor([1.0], requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    ref = weakref.ref(y)
    del y
    assert ref() is None
    # the node outlives its output and still backpropagates what reaches it
    (gx,) = node.fn.backward(node, ag.ones(1))
    np.testing.assert_allclose(gx.numpy(), np.exp([1.0]))


def test_unused_output_of_multi_output_op_gets_zero_gradient():
    x = ag.tensor(np.arange(6.0), requires_grad=True)
    a, b, c = x.split(2)
    (b * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 2, 2, 0, 0])


def test_custom_function_with_double_backward():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    x = ag.tensor(np.array([0.5, -1.2]), requires_grad=True)
    assert ag.gradcheck(Cube.apply, (x,))
    assert ag.gradgradcheck(Cube.apply, (x,))


def test_custom_function_wrong_gradient_count_is_named():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g

    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(BackwardError, match="Bad.backward returned 1 gradient.*expected 2"):
        Bad.apply(x, 2.0).sum().backward()


def test_custom_function_wrong_gradient_shape_is_named():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(BackwardError, match=r"Bad.backward.*shape \(\).*shape \(2,\)"):
        Bad.apply(x).sum().backward()


def test_missing_backward_is_named():
    class NoGrad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError):
        NoGrad.apply(x).sum().backward()


def test_detect_anomaly_names_the_op_and_where_it_was_made():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x.sqrt()  # d sqrt / dx at 0 is inf
        with pytest.raises(ag.AnomalyError, match="SqrtBackward") as info:
            y.sum().backward()
    assert "test_graph.py" in str(info.value)


def test_dtype_promotion_follows_pytorch():
    x = ag.ones(3)
    assert (x * 2.5).dtype == ag.float32
    assert (2.5 * x + 1).dtype == ag.float32
    assert (x / 3).dtype == ag.float32
    assert (x ** 2).dtype == ag.float32
    assert (ag.arange(3) * 1.5).dtype == ag.float32
    assert (ag.arange(3) * 2).dtype == ag.int64
    assert (x + ag.ones(3, dtype=ag.float64)).dtype == ag.float64
    assert (x + ag.tensor(1.0, dtype=ag.float64)).dtype == ag.float32  # 0-d: no widening
    assert (ag.arange(3) + ag.tensor(1.5, dtype=ag.float64)).dtype == ag.float64
    assert (ag.tensor(1.0) + ag.tensor(1.0, dtype=ag.float64)).dtype == ag.float64
    assert (ag.arange(3) + x).dtype == ag.float32
    assert ag.tensor(np.ones(2)).dtype == ag.float64
    assert ag.tensor([1.0]).dtype == ag.float32
    assert ag.tensor([1]).dtype == ag.int64
    assert (x * np.float64(2.0)).dtype == ag.float32
    assert (ag.arange(4) / 2).dtype == ag.float32


def test_comparisons_return_bool_without_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == ag.bool and not m.requires_grad
    np.testing.assert_array_equal(m.numpy(), [False, True])


def test_gradient_through_indexing_accumulates_repeated_indices():
    x = ag.tensor(np.zeros((3, 2)), requires_grad=True)
    idx = ag.tensor([0, 2, 0, 0])
    x[idx].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[3, 3], [0, 0], [1, 1]])


def test_large_repeated_index_scatter_matches_add_at():
    rng = np.random.default_rng(0)
    w = ag.tensor(rng.standard_normal((50, 8)), requires_grad=True)
    idx = rng.integers(0, 50, size=10_000)
    g = rng.standard_normal((10_000, 8))
    w[idx].backward(gradient=ag.tensor(g))
    expected = np.zeros((50, 8))
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_general_integer_indexing_scatter():
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.standard_normal((4, 5, 3)), requires_grad=True)
    i, j = np.array([0, 3, 0, 3]), np.array([1, 1, 1, 4])
    g = rng.standard_normal((4, 4))
    out = x[i, :, 2][:, j]  # (array, slice, int) keys with repeats: the flat-index path
    out.backward(gradient=ag.tensor(g))
    expected = np.zeros((4, 5, 3))
    np.add.at(expected[:, :, 2], (i[:, None], j[None, :]), g)
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_softmax_family_is_finite_for_huge_logits():
    x = ag.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    for fn in (lambda t: t.softmax(-1), lambda t: t.log_softmax(-1),
               lambda t: t.logsumexp(-1)):
        y = fn(x)
        assert np.isfinite(y.numpy()).all()
        y.sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
        x.grad = None
    np.testing.assert_allclose(x.logsumexp(-1).numpy(), [1e4, -1e4 + np.log(3)], rtol=1e-6)


def test_sigmoid_is_finite_for_huge_inputs():
    x = ag.tensor([-1e4, 0.0, 1e4], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_allclose(y.numpy(), [0.0, 0.5, 1.0])
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_shapes_that_do_not_broadcast_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"Add: .*broadcast.*\(2, 3\) float32, \(4,\) float32"):
        ag.ones(2, 3) + ag.ones(4)
    with pytest.raises(ValueError, match=r"Mul: .*\(2, 3\).*\(2,\)"):
        ag.ones(2, 3, requires_grad=True) * ag.ones(2)


def test_no_grad_binary_ops_match_recorded_ones():
    rng = np.random.default_rng(0)
    pairs = [((3, 4), (4,)), ((), ()), ((2, 1), (1, 3))]
    for sa, sb in pairs:
        a = ag.tensor(rng.uniform(0.5, 2, sa), requires_grad=True)
        b = ag.tensor(rng.uniform(0.5, 2, sb), requires_grad=True)
        for op in (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y,
                   lambda x, y: x / y):
            recorded = op(a, b)
            with ag.no_grad():
                plain = op(a, b)
            assert plain.grad_fn is None and isinstance(plain.array, np.ndarray)
            assert plain.shape == recorded.shape and plain.dtype == recorded.dtype
            np.testing.assert_array_equal(plain.numpy(), recorded.numpy())
    with ag.no_grad(), pytest.raises(ValueError, match=r"Mul: .*\(2, 3\).*\(2,\)"):
        ag.ones(2, 3) * ag.ones(2)
