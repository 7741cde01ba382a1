"""Index outputs of the selecting reductions, and where their gradient goes on ties.

Planted bugs these catch: the index output of ``max``/``min``/``argmax``/``argmin`` with
``keepdim=True`` losing or misplacing the kept axis on some ``dim``; an index taken from
the wrong end on ties (NumPy and PyTorch both return the first); a gradient routed to
every tied element by ``max(dim)`` (PyTorch gives it all to the returned index) or to one
of them by ``amax``/``max()`` (PyTorch splits it evenly).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

SHAPE = (3, 4, 5)
RNG = np.random.default_rng(0)
# small integers, so every row has ties: the first occurrence must win
VALUES = RNG.integers(0, 3, size=SHAPE).astype(np.float64)


def _dims():
    return [d for d in range(-len(SHAPE), len(SHAPE))]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", _dims())
@pytest.mark.parametrize("op, np_index, np_value", [
    ("max", np.argmax, np.max),
    ("min", np.argmin, np.min),
])
def test_values_and_indices_with_dim_match_numpy(op, np_index, np_value, dim, keepdim):
    values, indices = getattr(ag.tensor(VALUES), op)(dim, keepdim=keepdim)
    want_idx = np_index(VALUES, axis=dim)
    want_val = np_value(VALUES, axis=dim)
    if keepdim:
        want_idx = np.expand_dims(want_idx, dim)
        want_val = np.expand_dims(want_val, dim)
    assert indices.shape == want_idx.shape and values.shape == want_val.shape
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices.numpy(), want_idx)
    np.testing.assert_array_equal(values.numpy(), want_val)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, *_dims()])
@pytest.mark.parametrize("op, np_index", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_argmin_match_numpy(op, np_index, dim, keepdim):
    got = getattr(ag.tensor(VALUES), op)(dim=dim, keepdim=keepdim)
    want = np_index(VALUES, axis=dim, keepdims=keepdim)
    assert got.shape == want.shape and got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want)


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])


# PyTorch 2.13's results on TIES, written out; test_tie_routing_matches_torch checks the
# same expressions against torch where it is installed. Each case is (fn(x, lib), want).
TIE_CASES = {
    "max()": (lambda x, lib: x.max(), [[0, 0.5, 0.5], [0, 0, 0]]),
    "amax()": (lambda x, lib: x.amax(), [[0, 0.5, 0.5], [0, 0, 0]]),
    "amax(1)": (lambda x, lib: x.amax(1).sum(), [[0, 0.5, 0.5], [0.5, 0.5, 0]]),
    "amin(0)": (lambda x, lib: x.amin(0).sum(), [[1, 0, 0], [0, 1, 1]]),
    "max(1)": (lambda x, lib: x.max(1)[0].sum(), [[0, 1, 0], [1, 0, 0]]),
    "min(0)": (lambda x, lib: x.min(0)[0].sum(), [[1, 0, 0], [0, 1, 1]]),
    "max(1, keepdim)": (lambda x, lib: x.max(1, keepdim=True)[0].sum(),
                        [[0, 1, 0], [1, 0, 0]]),
    "maximum": (lambda x, lib: lib.maximum(x, lib.full_like(x, 2.0)).sum(),
                [[0, 1, 1], [0.5, 0.5, 0]]),
    "minimum": (lambda x, lib: lib.minimum(x, lib.full_like(x, 2.0)).sum(),
                [[1, 0, 0], [0.5, 0.5, 1]]),
}


@pytest.mark.parametrize("case", sorted(TIE_CASES))
def test_gradient_on_ties_follows_pytorchs_rule(case):
    fn, want = TIE_CASES[case]
    x = ag.tensor(TIES, dtype=ag.float64, requires_grad=True)
    fn(x, ag).backward()
    np.testing.assert_allclose(x.grad.numpy(), want)


@pytest.mark.parametrize("case", sorted(TIE_CASES))
def test_tie_routing_matches_torch(case):
    torch = pytest.importorskip("torch")
    fn, want = TIE_CASES[case]
    x = torch.tensor(TIES, dtype=torch.float64, requires_grad=True)
    fn(x, torch).backward()
    np.testing.assert_allclose(x.grad.numpy(), want)
