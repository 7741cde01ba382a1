"""Tests against the surviving mutants of ``nn/functional/activation.py`` (issue 18,
mutation testing): the messages (each names the activation), the functional defaults,
the values and slopes exactly at each piecewise boundary (PyTorch's side of the
boundary: ``x > 0``, ``beta x > threshold``, ``x > threshold``), celu's and glu's
argument checks, softmin's ``dtype``, and float32 gradients of the one-node activations.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/activation.py`` package of ``benchmarks/mutation.py``). No torch: the
expected values are by hand or NumPy (PyTorch 2.13's behaviour where stated)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F


def _full(msg):
    return "^" + re.escape(msg) + "$"


CHECKED = {
    "relu": lambda x: F.relu(x), "leaky_relu": lambda x: F.leaky_relu(x),
    "elu": lambda x: F.elu(x), "selu": lambda x: F.selu(x),
    "celu": lambda x: F.celu(x, alpha=2.0), "gelu": lambda x: F.gelu(x),
    "silu": lambda x: F.silu(x), "softplus": lambda x: F.softplus(x),
    "logsigmoid": lambda x: F.logsigmoid(x), "hardtanh": lambda x: F.hardtanh(x),
    "threshold": lambda x: F.threshold(x, 0.5, 0.0), "softmin": lambda x: F.softmin(x, 0),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_a_non_tensor_input_is_named(name):
    """Kills ``_float``'s ``TypeError(None)``/``type(None)`` and every op-name mutant passed
    to ``_float`` (``None``, ``"XX...XX"``, upper case)."""
    with pytest.raises(TypeError, match=_full(f"{name}: expected a Tensor, got list")):
        CHECKED[name]([1.0, 2.0])


def test_functional_defaults():
    """leaky_relu's slope 0.01, elu's and celu's alpha 1 (celu(x) == elu(x)), softplus's
    threshold 20 (x = 20.5 is on the linear piece: exactly x). Kills the default mutants
    (``negative_slope = 1.01``, ``alpha = 2.0``, ``threshold = 21.0``) and celu's
    ``elu(None)``."""
    x = ag.tensor(np.array([-2.0, -0.5, 0.5]))
    np.testing.assert_array_equal(F.leaky_relu(x).numpy(), [-0.02, -0.005, 0.5])
    want = np.where(x.numpy() > 0, x.numpy(), np.expm1(x.numpy()))
    np.testing.assert_allclose(F.elu(x).numpy(), want, rtol=1e-15)
    np.testing.assert_allclose(F.celu(x).numpy(), want, rtol=1e-15)
    assert F.softplus(ag.tensor(np.array([20.5]))).numpy().tolist() == [20.5]


def test_values_and_slopes_at_the_boundaries():
    """At x = 0 leaky_relu's and elu's slopes are the negative side's (PyTorch: ``x > 0``)
    and elu's second derivative alpha; softplus at beta x == threshold is not yet
    linear; threshold keeps ``value`` at x == threshold. Kills ``x >= 0`` in
    ``LeakyRelu.forward``, ``EluGrad.slope`` and ``EluGrad.curvature``, ``>=`` in
    ``Softplus.forward`` and in ``threshold``."""
    x = ag.tensor(np.array([0.0]), requires_grad=True)
    F.leaky_relu(x, 0.2).sum().backward()
    assert x.grad.numpy().tolist() == [0.2]
    x = ag.tensor(np.array([0.0]), requires_grad=True)
    (g,) = ag.grad(F.elu(x, alpha=0.5).sum(), x, create_graph=True)
    assert g.numpy().tolist() == [0.5]
    (h,) = ag.grad(g.sum(), x)
    assert h.numpy().tolist() == [0.5]
    assert F.softplus(ag.tensor(np.array([20.0]))).numpy().tolist() == [np.logaddexp(0, 20.0)]
    assert F.softplus(ag.tensor(np.array([20.0]))).numpy().tolist() != [20.0]
    assert F.threshold(ag.tensor(np.array([0.5, 0.75])), 0.5, -1.0).numpy().tolist() == [
        -1.0, 0.75]


def test_argument_checks():
    """celu refuses alpha 0 (only 0), softplus beta 0, hardtanh min > max (equal is
    allowed), glu an odd size (a size of 4 is even). Kills ``alpha == 1`` in the check,
    the messages' mutants (``None``, ``XX...XX``, upper case), ``min_val >= max_val``,
    glu's ``n % 3`` and its message's ``tuple(None)``."""
    x = ag.tensor(np.array([[-1.0, 0.2, 0.7, 3.0]]))
    with pytest.raises(ValueError, match=_full("celu: alpha must not be 0")):
        F.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match=_full("softplus: beta must not be 0")):
        F.softplus(x, beta=0)
    with pytest.raises(ValueError, match=_full(
            "hardtanh: min_val 1.0 is greater than max_val 0.5")):
        F.hardtanh(x, 1.0, 0.5)
    assert F.hardtanh(x, 0.5, 0.5).numpy().tolist() == [[0.5] * 4]
    a, b = x.numpy()[:, :2], x.numpy()[:, 2:]
    np.testing.assert_allclose(F.glu(x).numpy(), a / (1 + np.exp(-b)), rtol=1e-15)
    with pytest.raises(ValueError, match=_full("glu: dim 1 of shape (1, 3) has odd size 3")):
        F.glu(x[:, :3], 1)


def test_softmin_dtype():
    """softmin's ``dtype`` reaches softmax. Kills ``softmax(..., None)`` and the dropped
    argument."""
    x = ag.tensor(np.array([[1.0, 2.0, 3.0]]))
    out = F.softmin(x, 1, dtype=ag.float32)
    assert out.dtype == ag.float32
    e = np.exp(-np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out.numpy()[0], e / e.sum(), rtol=1e-6)


@pytest.mark.parametrize("fn", [F.gelu, F.silu, F.softplus, F.elu, F.selu,
                                lambda t: F.gelu(t, approximate="tanh")])
def test_float32_gradients_stay_float32(fn):
    """The gradient of a float32 input is float32 (ElementwiseGrad casts to the incoming
    gradient's dtype). Kills ``ElementwiseGrad.forward``'s ``astype(None, ...)``."""
    x = ag.tensor(np.array([-1.5, 0.25, 2.0], np.float32), requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.dtype == ag.float32
