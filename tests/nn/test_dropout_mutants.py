"""Tests against the surviving mutants of ``nn/functional/dropout.py`` (issue 18, mutation
testing; the planted "wrong dropout scale" class): exact outputs for a seeded mask (the
mask is read back from ``F.dropout`` of ones under the same seed, the draw being the same
``generator.random`` of the same shape and dtype), whole channels for dropout1d/2d/3d
batched and unbatched, alpha_dropout's affine correction, the bounds of ``p``, the
defaults and the messages.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/dropout.py`` package of ``benchmarks/mutation.py``). No torch."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _full(msg):
    return "^" + re.escape(msg) + "$"


def _mask(shape, p, seed):
    """The keep mask (0 or 1/(1-p)) a seeded call draws for ``shape`` in float64."""
    ag.manual_seed(seed)
    return F.dropout(ag.ones(*shape, dtype=ag.float64), p).numpy()


NAMES = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


@pytest.mark.parametrize("name", NAMES)
def test_p_bounds_and_messages(name):
    """p in [0, 1]: 1.5 and -0.5 are refused, with the function named. Kills
    ``_check_p``'s ``p <= 2.0`` and ``ValueError(None)`` and every op-name mutant passed
    to ``_check_p`` / ``_channel_dropout`` (``None``, ``XX...XX``, upper case)."""
    x = ag.ones(2, 3, 4, 4, 4, dtype=ag.float64) if name == "dropout3d" else \
        ag.ones(2, 3, 4, 4, dtype=ag.float64) if name == "dropout2d" else \
        ag.ones(2, 3, 4, dtype=ag.float64)
    for p in (1.5, -0.5):
        with pytest.raises(ValueError, match=_full(
                f"{name}: dropout probability has to be between 0 and 1, but got {p}")):
            getattr(F, name)(x, p, training=True)


@pytest.mark.parametrize("name,spatial", [("dropout1d", 1), ("dropout2d", 2),
                                          ("dropout3d", 3)])
def test_channel_dropout_exact(name, spatial):
    """Batched (N, C, *) and unbatched (C, *) inputs: whole channels are zeroed or scaled
    by 1/(1-p), with one draw per (batch, channel) read back from the seeded generator; a
    wrong rank is refused with both accepted ranks named; p = 1 zeroes everything; not
    training (and p = 0) is the identity. Kills every argument mutant of the
    ``dropout1d``/``dropout3d`` calls (``None``, dropped, ``spatial`` off by one, the
    ``inplace``/``p``/``training`` defaults), ``_channel_dropout``'s ``not training and``,
    ``p == 1.0``, the rank set (``spatial - 1``, ``spatial + 2`` twice), the message
    mutants and ``input.shape[:+spatial]``."""
    fn = getattr(F, name)
    for lead in ((2, 3), (3,)):
        shape = lead + (4,) * spatial
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) + 1
        ag.manual_seed(11)
        got = fn(ag.tensor(x)).numpy()  # the defaults: p = 0.5, training
        keep = _mask(lead + (1,) * spatial, 0.5, 11)
        np.testing.assert_array_equal(got, x * keep)
        assert set(np.unique(keep)) <= {0.0, 2.0}
        assert np.all(fn(ag.tensor(x), 1.0).numpy() == 0)
    x = ag.ones(*((2, 3) + (4,) * spatial), dtype=ag.float64)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x
    bad = (2, 3) + (4,) * (spatial + 1)
    with pytest.raises(ValueError, match=_full(
            f"{name}: expected a {spatial + 1}-d (unbatched) or {spatial + 2}-d input, got "
            f"shape {bad}")):
        fn(ag.ones(*bad, dtype=ag.float64), 0.5)


def test_dropout_default_p_is_one_half():
    """Kills ``dropout``'s default ``p`` mutant."""
    x = np.arange(1.0, 13.0).reshape(3, 4)
    ag.manual_seed(5)
    got = F.dropout(ag.tensor(x)).numpy()
    np.testing.assert_array_equal(got, x * _mask((3, 4), 0.5, 5))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_exact(p):
    """Kept elements become ``a x + b``, dropped ones ``a alpha' + b`` with
    alpha' = -alpha * scale (SELU's), a = ((1-p)(1 + p alpha'^2))^-1/2, b = -a alpha' p;
    not training (the default) is the identity, p = 0 too, and p = 1 gives zeros. Kills
    ``alpha_p`` with ``/`` or ``+``, the ``-`` joining the two parts, ``p != 0.0``,
    ``p == 1.0``/``p == 2.0`` in the early returns, ``input / 0.0``, ``input * 1.0`` and
    the ``training`` and ``p`` defaults."""
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    ag.manual_seed(3)
    got = F.alpha_dropout(ag.tensor(x), p, training=True).numpy()
    keep = _mask((3, 4), p, 3) != 0
    ap = -SELU_ALPHA * SELU_SCALE
    a = ((1 - p) * (1 + p * ap ** 2)) ** -0.5
    b = -a * ap * p
    np.testing.assert_allclose(got, np.where(keep, a * x + b, a * ap + b), rtol=1e-12,
                               atol=1e-15)
    t = ag.tensor(x)
    assert F.alpha_dropout(t, p) is t
    ag.manual_seed(3)  # the default p is 0.5
    np.testing.assert_array_equal(F.alpha_dropout(t, training=True).numpy(),
                                  (ag.manual_seed(3), F.alpha_dropout(t, 0.5, True))[1].numpy())
    assert F.alpha_dropout(t, 0.0, training=True) is t
    np.testing.assert_array_equal(F.alpha_dropout(t, 1.0, training=True).numpy(),
                                  np.zeros((3, 4)))
