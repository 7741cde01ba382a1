"""Tests against the surviving mutants of ``nn/functional/linear.py`` (issue 18, mutation
testing): the gradients when only some of x, weight, bias require grad (the plain
backward's single-gradient and "first layer" returns), the double backward through
``LinearGrad`` (create_graph), the messages (whole), and bilinear without a bias.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/linear.py`` package of ``benchmarks/mutation.py``). No torch: the
expected gradients are the closed forms (g @ w, g.T @ x, g.sum(0))."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F


def _full(msg):
    return "^" + re.escape(msg) + "$"


X = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])  # (2, in=3)
W = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.5]])  # (out=2, in=3)
B = np.array([0.25, -0.75])
G = np.array([[1.0, 2.0], [-3.0, 0.5]])  # the upstream gradient (2, out)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (False, True, True),
                                   (True, False, True), (True, True, True)])
def test_gradients_for_each_subset(needs):
    """Only the inputs that require grad get one, each the closed form. Kills the plain
    backward's single-gradient mutants (``wrap(None, ...)``, ``wrap(grads, None)``,
    dropped arguments, ``tuple(None)``, ``grads if n and False``/``or True``) and the
    first-layer return's ``(None,) - grads``."""
    x = ag.tensor(X, requires_grad=needs[0])
    w = ag.tensor(W, requires_grad=needs[1])
    b = ag.tensor(B, requires_grad=needs[2])
    (F.linear(x, w, b) * ag.tensor(G)).sum().backward()
    want = (G @ W, G.T @ X, G.sum(0))
    for t, need, ref in zip((x, w, b), needs, want, strict=True):
        if need:
            np.testing.assert_allclose(t.grad.numpy(), ref, rtol=1e-15)
        else:
            assert t.grad is None


def test_double_backward_through_linear():
    """create_graph through ``LinearGrad``: with L = sum(g * (x w^T + b)) the first
    gradients are gx = g w, gw = g^T x, gb = g.sum(0); S = sum(gx * V) + sum(gw * V) +
    sum(gb) then has dS/dw = g^T V, dS/dx = g V and dS/dg = V w^T + x V^T + 1. Kills
    ``grads = None`` (the create_graph branch) and ``LinearGrad.backward``'s
    ``or True`` / ``and`` / ``or`` mutants of its ``needs_input_grad`` tests."""
    V = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    x = ag.tensor(X, requires_grad=True)
    w = ag.tensor(W, requires_grad=True)
    b = ag.tensor(B, requires_grad=True)
    g = ag.tensor(G, requires_grad=True)
    loss = (F.linear(x, w, b) * g).sum()
    gx, gw, gb = ag.grad(loss, (x, w, b), create_graph=True)
    np.testing.assert_allclose(gx.numpy(), G @ W, rtol=1e-15)
    second = (gx * ag.tensor(V)).sum() + (gw * ag.tensor(V)).sum() + gb.sum()
    dw, dx, dg = ag.grad(second, (w, x, g))
    np.testing.assert_allclose(dw.numpy(), G.T @ V, rtol=1e-14)  # from gx = g @ w
    np.testing.assert_allclose(dx.numpy(), G @ V, rtol=1e-14)  # from gw = g.T @ x
    np.testing.assert_allclose(dg.numpy(), V @ W.T + X @ V.T + 1.0, rtol=1e-14)


def test_messages():
    """Kills the messages' mutants (``TypeError(None)``, ``type(None)``,
    ``ValueError(None)``, ``tuple(None)``, ``weight.shape[1]`` for the bias size, the
    dtype message's text), the type check's ``and`` and the rank check's ``and``."""
    x, w = ag.tensor(X), ag.tensor(W)
    with pytest.raises(TypeError, match=_full(
            "linear: expected Tensors, got input list and weight Tensor")):
        F.linear([[1.0, 2.0, 3.0]], w)
    with pytest.raises(ValueError, match=_full(
            "linear: weight must be 2-D (out_features, in_features), got shape (3,)")):
        F.linear(x, ag.tensor(np.ones(3)))
    with pytest.raises(ValueError, match=_full(
            "linear: input of shape () does not match weight of shape (2, 3): expected input "
            "of shape (*, 3)")):
        F.linear(ag.tensor(np.float64(1.0)), w)
    with pytest.raises(ValueError, match=_full("linear: bias must have shape (2,), got (3,)")):
        F.linear(x, w, ag.tensor(np.ones(3)))
    with pytest.raises(TypeError, match=_full(
            "linear: dtypes differ: input float64, weight float64, bias float32; cast the "
            "input (x.float()) or the module (model.double())")):
        F.linear(x, w, ag.tensor(np.ones(2, np.float32)))
    with pytest.raises(TypeError, match=_full(
            "linear: dtypes differ: input float32, weight float64; cast the input "
            "(x.float()) or the module (model.double())")):
        F.linear(ag.tensor(X.astype(np.float32)), w)


def test_bilinear_without_bias():
    """Kills ``out if (bias is None) and False`` (``out + None``)."""
    x1, x2 = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0, 2.0]])
    w = np.arange(12.0).reshape(2, 2, 3)
    got = F.bilinear(ag.tensor(x1), ag.tensor(x2), ag.tensor(w)).numpy()
    np.testing.assert_allclose(got, np.einsum("ni,kij,nj->nk", x1, w, x2), rtol=1e-15)
