"""Every registered op: forward against NumPy, gradcheck and gradgradcheck in float64.

The table is autograd.testing's registry (nn adds its entries when imported); the
gradient-check benchmark reads it too.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn  # noqa: F401  (importing nn hands its registry entries over)
from autograd.testing import all_ops

OPS = all_ops()


def _args(info, seed=0):
    rng = np.random.default_rng(seed)
    return info.make_args(rng, ag.float64, "cpu")


def _as_tuple(x):
    return tuple(x) if isinstance(x, tuple | list) else (x,)


@pytest.mark.parametrize("info", OPS, ids=[o.name for o in OPS])
def test_forward_matches_reference(info):
    if info.reference is None:
        pytest.skip(f"{info.name}: no NumPy reference registered (checked in its own tests)")
    args = _args(info)
    out = _as_tuple(info.fn(*args))
    host = [a.numpy() if isinstance(a, ag.Tensor) else a for a in args]
    expected = _as_tuple(info.reference(*host))
    assert len(out) == len(expected)
    for o, e in zip(out, expected):
        assert o.dtype == ag.float64, f"{info.name}: float64 inputs gave {o.dtype}"
        np.testing.assert_allclose(o.numpy(), np.asarray(e), rtol=1e-7, atol=1e-9,
                                   err_msg=info.name)
        assert tuple(o.shape) == np.shape(e)


@pytest.mark.parametrize("info", OPS, ids=[o.name for o in OPS])
def test_gradcheck(info):
    assert ag.gradcheck(info.fn, _args(info), atol=info.atol, rtol=info.rtol)


SECOND = [o for o in OPS if o.second_order]


@pytest.mark.parametrize("info", SECOND, ids=[o.name for o in SECOND])
def test_gradgradcheck(info):
    assert ag.gradgradcheck(info.fn, _args(info), atol=info.atol, rtol=info.rtol)


@pytest.mark.parametrize("info", OPS, ids=[o.name for o in OPS])
def test_float32_keeps_dtype(info):
    """float32 in, float32 out (Python scalars never upcast)."""
    rng = np.random.default_rng(1)
    args = info.make_args(rng, ag.float32, "cpu")
    for o in _as_tuple(info.fn(*args)):
        if o.dtype.kind == "f":
            assert o.dtype == ag.float32, f"{info.name}: float32 inputs gave {o.dtype}"


@pytest.mark.parametrize("info", SECOND, ids=[o.name for o in SECOND])
def test_create_graph_gradient_equals_plain_gradient(info):
    """A backward may take an array fast path when no graph is recorded; the Tensor path
    used under create_graph must give the same first derivative (gradgradcheck alone
    would accept a self-consistent but wrong create_graph formula)."""
    args = _args(info)
    diff = [a for a in args if isinstance(a, ag.Tensor) and a.requires_grad]

    def first(create_graph):
        outs = [o for o in _as_tuple(info.fn(*args)) if o.requires_grad]
        seeds = [ag.tensor(np.random.default_rng(3 + i).standard_normal(o.shape))
                 for i, o in enumerate(outs)]
        return ag.grad(outs, diff, seeds, create_graph=create_graph, allow_unused=True)

    for plain, graph in zip(first(False), first(True)):
        if plain is None or graph is None:
            assert plain is None and graph is None
            continue
        np.testing.assert_allclose(graph.numpy(), plain.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=info.name)
