"""Tests against the surviving mutants of ``nn/functional/distance.py`` (issue 18, mutation
testing): whole messages naming the function and the argument, the p-norm's domain (p = 1
allowed, p = 0 refused), p = inf, the defaults, 1-d and 3-d inputs (``dim=-1`` is the last
one), and cosine_similarity's eps clamp on a vector shorter than eps.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/distance.py`` package of ``benchmarks/mutation.py``). No torch: NumPy
formulas (PyTorch's definitions)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from nn.functional.distance import vector_norm


def _full(msg):
    return "^" + re.escape(msg) + "$"


def _t(a):
    return ag.tensor(np.asarray(a, dtype=np.float64))


CALLS = {
    ("normalize", "input"): lambda a, b: F.normalize(a),
    ("cosine_similarity", "x1"): lambda a, b: F.cosine_similarity(a, b),
    ("cosine_similarity", "x2"): lambda a, b: F.cosine_similarity(b, a),
    ("pairwise_distance", "x1"): lambda a, b: F.pairwise_distance(a, b),
    ("pairwise_distance", "x2"): lambda a, b: F.pairwise_distance(b, a),
}


@pytest.mark.parametrize("op,name", sorted(CALLS))
def test_argument_messages(op, name):
    """A list and an integer tensor, refused with the function and the argument named.
    Kills ``_check_tensor``'s ``TypeError(None)``/``type(None)`` and every name/op
    mutant of the ``_check_tensor`` calls and of ``op``."""
    good = _t([[1.0, 2.0]])
    with pytest.raises(TypeError, match=_full(f"{op}: {name} must be a Tensor, got list")):
        CALLS[(op, name)]([[1.0, 2.0]], good)
    with pytest.raises(TypeError, match=_full(f"{op}: {name} must be floating, got dtype int64")):
        CALLS[(op, name)](ag.tensor(np.array([[1, 2]])), good)


def test_shape_messages_and_1d_inputs():
    """0-d inputs are refused, 1-d ones work; shapes that do not broadcast are named.
    Kills normalize's and pairwise_distance's ``ndim == 1`` mutants and their messages,
    and cosine_similarity's ``broadcast_shapes(x1)`` and message mutants."""
    with pytest.raises(ValueError, match=_full(
            "normalize: input must have at least one dimension")):
        F.normalize(_t(3.0))
    np.testing.assert_allclose(F.normalize(_t([3.0, 4.0]), dim=0).numpy(), [0.6, 0.8])
    with pytest.raises(ValueError, match=_full(
            "pairwise_distance: inputs must have at least one dimension")):
        F.pairwise_distance(_t(1.0), _t(2.0))
    assert F.pairwise_distance(_t([3.0, 0.0]), _t([0.0, 4.0]), eps=0.0).item() == 5.0
    with pytest.raises(ValueError, match=_full(
            "cosine_similarity: x1 (2, 3) and x2 (2, 4) do not broadcast")):
        F.cosine_similarity(_t(np.ones((2, 3))), _t(np.ones((2, 4))))


def test_vector_norm_domain_inf_and_keepdim():
    """p = 1 is a norm, p = 0 is refused by message, p = inf is the max with ``dim`` and
    ``keepdim`` passed on; keepdim defaults to False. Kills ``p < 0``, ``p <= 1``,
    ``ValueError(None)``, the ``amax`` argument mutants and the keepdim default."""
    x = np.array([[3.0, -4.0, 1.0], [0.5, 0.0, -2.0]])
    np.testing.assert_allclose(vector_norm(_t(x), 1, 1).numpy(), [8.0, 2.5])
    with pytest.raises(ValueError, match=_full("vector_norm: p must be positive or inf, got 0")):
        vector_norm(_t(x), 0, 1)
    got = vector_norm(_t(x), np.inf, 1)
    assert got.shape == (2,)
    np.testing.assert_array_equal(got.numpy(), [4.0, 2.0])
    kept = vector_norm(_t(x), np.inf, 0, keepdim=True)
    assert kept.shape == (1, 3)
    np.testing.assert_array_equal(kept.numpy(), [[3.0, 4.0, 2.0]])


def test_pairwise_distance_defaults_and_last_dim():
    """p = 2, eps = 1e-6 and no keepdim by default; the norm is over the last dim of a 3-d
    input (not dim 1). Kills the default mutants and ``vector_norm(..., +1, ...)``."""
    a = np.arange(24.0).reshape(2, 3, 4) / 5
    b = np.ones((2, 3, 4))
    got = F.pairwise_distance(_t(a), _t(b))
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got.numpy(), np.sqrt(((a - b + 1e-6) ** 2).sum(-1)),
                               rtol=1e-14)


def test_cosine_similarity_defaults_and_a_vector_shorter_than_eps():
    """dim = 1 and eps = 1e-8 by default; a vector of norm 1e-9 is divided by eps (the
    clamp added as a constant: ``n + (eps - n)``, not ``n - (eps - n)``). Kills the
    default mutants and ``n2 = n2 - (...)``."""
    x1 = np.array([[1.0, 2.0, 2.0], [0.0, 3.0, 4.0]])
    u = np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0]])
    got = F.cosine_similarity(_t(x1), _t(u * 1e-9)).numpy()
    want = (x1 * u * 1e-9).sum(1) / (np.linalg.norm(x1, axis=1) * 1e-8)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(F.cosine_similarity(_t(x1), _t(u)).numpy(),
                               (x1 * u).sum(1) / np.linalg.norm(x1, axis=1), rtol=1e-14)
