"""Tensor.register_post_accumulate_grad_hook: once per backward, after the whole
gradient is in .grad, while backward still runs (DistributedDataParallel relies on it)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autograd as ag
from autograd import graph


def test_runs_once_with_the_total_gradient_of_a_leaf_used_twice():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    x = ag.tensor([3.0, 4.0])
    ((w * x).sum() + (w * w).sum()).backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [3 + 2, 4 + 4])
    ((w * x).sum()).backward()  # accumulates: the hook sees the running total
    assert len(seen) == 2
    np.testing.assert_allclose(seen[1], [3 + 2 + 3, 4 + 4 + 4])


def test_fires_during_backward_as_soon_as_the_leaf_is_complete():
    a = ag.tensor([1.0], requires_grad=True)  # used by the last op: complete first
    b = ag.tensor([2.0], requires_grad=True)  # used by the first op: complete last
    order = []
    a.register_post_accumulate_grad_hook(lambda t: order.append("a"))
    b.register_post_accumulate_grad_hook(lambda t: order.append("b"))
    h = (b * 3.0).exp()
    out = (h * a).sum()

    seen_b = []
    h.register_hook(lambda g: seen_b.append(list(order)))  # runs between a's and b's
    out.backward()
    assert order == ["a", "b"] and seen_b == [["a"]]


def test_removed_hook_and_leaf_without_gradient_and_errors():
    w = ag.tensor([1.0], requires_grad=True)
    u = ag.tensor([1.0], requires_grad=True)  # in the graph, but gets no gradient
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append("w"))
    u.register_post_accumulate_grad_hook(lambda t: calls.append("u"))
    y = w * 2.0 + (u * 0.0).detach()
    y.sum().backward()
    assert calls == ["w"]
    handle.remove()
    (w * 2.0).sum().backward()
    assert calls == ["w"]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.zeros(2).register_post_accumulate_grad_hook(lambda t: None)


def test_not_run_by_autograd_grad_and_forgotten_with_the_leaf():
    w = ag.tensor([1.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    (gw,) = ag.grad((w * w).sum(), [w])  # no .grad accumulated: no hook
    assert calls == [] and w.grad is None and float(gw) == 2.0
    n = len(graph._post_hooks)
    del w
    gc.collect()
    assert len(graph._post_hooks) == n - 1


def test_matches_torch_on_a_shared_weight():
    torch = pytest.importorskip("torch")
    out = {}
    for lib in ("ag", "torch"):
        if lib == "ag":
            w = ag.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=ag.float64, requires_grad=True)
            x = ag.tensor([[1.0, 2.0]], dtype=ag.float64)
        else:
            w = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)
            x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
        got = []
        w.register_post_accumulate_grad_hook(lambda t, got=got: got.append(
            np.array(t.grad.tolist())))
        ((x @ w @ w).tanh().sum()).backward()
        out[lib] = got
    assert len(out["ag"]) == len(out["torch"]) == 1
    np.testing.assert_allclose(out["ag"][0], out["torch"][0], rtol=1e-12)
