"""Embedding: lookup, scatter-add backward with repeats, padding_idx, double backward."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def test_lookup_shape_and_values():
    w = np.random.default_rng(0).standard_normal((6, 3))
    idx = np.array([[0, 5, 2], [2, 2, 1]])
    out = F.embedding(ag.tensor(idx), ag.tensor(w))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), w[idx])


def test_repeated_indices_accumulate_and_padding_row_gets_no_gradient():
    w = ag.tensor(np.random.default_rng(1).standard_normal((5, 2)), requires_grad=True)
    idx = ag.tensor(np.array([1, 3, 1, 1, 0, 3]))
    g = np.arange(12, dtype=np.float64).reshape(6, 2)
    F.embedding(idx, w, padding_idx=3).backward(ag.tensor(g))
    expected = np.zeros((5, 2))
    np.add.at(expected, [1, 3, 1, 1, 0, 3], g)
    expected[3] = 0
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def test_gradcheck_and_double_backward():
    rng = np.random.default_rng(2)
    idx = ag.tensor(np.array([[0, 2], [2, 3]]))
    w = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.embedding(idx, t), (w,))
    assert ag.gradgradcheck(lambda t: F.embedding(idx, t), (w,))
    # d/dg <v, grad_w> with padding: the padding positions read zero
    g = ag.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    (gw,) = ag.grad([F.embedding(idx, w, padding_idx=2)], [w], [g], create_graph=True)
    v = rng.standard_normal((4, 3))
    (gw * ag.tensor(v)).sum().backward()
    expected = v[idx.numpy()]
    expected[idx.numpy() == 2] = 0
    np.testing.assert_allclose(g.grad.numpy(), expected)


def test_module_init_padding_and_from_pretrained():
    ag.manual_seed(0)
    m = nn.Embedding(1000, 8, padding_idx=-1)
    assert m.padding_idx == 999 and tuple(m.weight.shape) == (1000, 8)
    w = m.weight.numpy()
    assert (w[999] == 0).all()
    assert abs(w[:999].mean()) < 0.05 and abs(w[:999].std() - 1) < 0.05  # N(0, 1)
    out = m(ag.tensor(np.array([[1, 999]])))
    assert out.shape == (1, 2, 8) and (out.numpy()[0, 1] == 0).all()
    pre = nn.Embedding.from_pretrained(ag.tensor(np.eye(3)))
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(pre(ag.tensor(np.array([2]))).numpy(), [[0, 0, 1]])


def test_max_norm_renormalises_looked_up_rows():
    w = ag.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    F.embedding(ag.tensor(np.array([0, 1])), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), axis=1), [1.0, 0.5, 10.0], rtol=1e-6)


@pytest.mark.parametrize("call, exc", [
    (lambda: F.embedding(ag.tensor(np.array([5])), ag.randn(5, 2)), IndexError),
    (lambda: F.embedding(ag.tensor(np.array([-1])), ag.randn(5, 2)), IndexError),
    (lambda: F.embedding(ag.tensor([0.0]), ag.randn(5, 2)), TypeError),
    (lambda: nn.Embedding(4, 2, padding_idx=4), ValueError),
])
def test_embedding_errors(call, exc):
    with pytest.raises(exc, match="mbedding"):
        call()
