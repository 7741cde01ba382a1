"""``plain_backward()`` and ``ctx.saved_arrays()``: when a backward may run its gradient
Function's array code directly, and the checks the direct path must keep."""

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd import profiler
from autograd.extend import Function, plain_backward


class _Probe(Function):
    """Identity whose backward records whether it ran plain."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        _Probe.seen.append(plain_backward())
        assert ctx.saved_arrays()[0] is not None
        return g


@pytest.fixture
def probe():
    _Probe.seen = []
    return _Probe


def test_plain_only_in_a_backward_that_records_nothing(probe):
    x = ag.randn(3, requires_grad=True)
    assert not plain_backward()  # grad mode on, outside any backward
    probe.apply(x).sum().backward()
    ag.grad(probe.apply(x).sum(), [x], create_graph=True)
    assert probe.seen == [True, False]


def test_not_plain_while_an_observer_watches_the_ops(probe):
    """The profiler (and ag.compile's recorder) must see the gradient Functions."""
    x = ag.randn(3, requires_grad=True)
    with profiler.profile():
        probe.apply(x).sum().backward()
    probe.apply(x).sum().backward()
    assert probe.seen == [False, True]


def test_linear_gradient_function_recorded_under_the_profiler():
    x, w = ag.randn(4, 3), ag.randn(2, 3, requires_grad=True)
    with profiler.profile() as prof:
        F.linear(x, w).sum().backward()
    names = {e.name for e in prof.events()}
    assert "LinearGrad" in names


def test_saved_arrays_refuses_an_input_changed_in_place():
    """The direct path checks versions as saved_tensors does: a Linear input or
    cross-entropy logits changed after the forward make backward raise."""
    a = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(2, 3, requires_grad=True)
    h = a * 1.0
    y = F.linear(h, w)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()

    logits = a * 1.0
    loss = F.cross_entropy(logits, ag.tensor(np.array([0, 1, 2, 0])))
    logits.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_saved_arrays_refuses_a_second_backward():
    x = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(2, 3, requires_grad=True)
    y = F.linear(x, w).sum()
    y.backward()
    with pytest.raises(ag.BackwardError, match="second time"):
        y.backward()


@pytest.mark.parametrize("needs", ["x", "w", "b", "xwb", "wb"])
def test_linear_plain_and_recorded_gradients_agree(needs):
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((5, 3)), requires_grad="x" in needs)
    w = ag.tensor(rng.standard_normal((2, 3)), requires_grad="w" in needs)
    b = ag.tensor(rng.standard_normal(2), requires_grad="b" in needs)
    seed = ag.tensor(rng.standard_normal((5, 2)))
    wrt = [t for t, k in ((x, "x"), (w, "w"), (b, "b")) if k in needs]
    plain = ag.grad(F.linear(x, w, b), wrt, seed)
    graph = ag.grad(F.linear(x, w, b), wrt, seed, create_graph=True)
    for p, q in zip(plain, graph):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
