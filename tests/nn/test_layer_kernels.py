"""The conv/pool kernels beside their ops (nn/functional/_conv_kernels.py,
_pool_kernels.py), dispatched by backend: the numba forms (NumPy backend) and the
pure-xp references (a backend with no compiled form) against naive per-pixel loops, and
against each other. The CUDA forms are checked in tests/backends/test_cupy_backend.py."""

from __future__ import annotations

import numpy as np
import pytest

from backends.base import Backend
from backends.numpy_backend import NumpyBackend
from nn.functional import _conv_kernels as ck
from nn.functional import _pool_kernels as pk

# kernel_size, stride, padding, dilation
CASES = [
    ((3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3), (2, 1), (1, 0), (1, 2)),
    ((3, 2), (2, 3), (1, 1), (2, 1)),
    ((1, 1), (1, 1), (0, 0), (1, 1)),
    ((2, 2), (2, 2), (0, 0), (1, 1)),  # the unrolled max-pool path
]


class _ReferenceBackend(Backend):
    """A backend that only has xp: no compiled form is registered for its name, so the
    dispatch runs the references."""

    name = "reference"
    xp = np


def _naive_im2col(x, k, s, p, d):
    n, c, h, w = x.shape
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((c * k[0] * k[1], n * oh * ow), x.dtype)
    for ni in range(n):
        for ci in range(c):
            for i in range(k[0]):
                for j in range(k[1]):
                    for oy in range(oh):
                        for ox in range(ow):
                            iy, ix = oy * s[0] - p[0] + i * d[0], ox * s[1] - p[1] + j * d[1]
                            if 0 <= iy < h and 0 <= ix < w:
                                cols[(ci * k[0] + i) * k[1] + j, (ni * oh + oy) * ow + ox] = \
                                    x[ni, ci, iy, ix]
    return cols


def _naive_max_pool(x, k, s, p, d):
    n, c, h, w = x.shape
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty((n, c, oh, ow), x.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for ni in range(n):
        for ci in range(c):
            for oy in range(oh):
                for ox in range(ow):
                    best, arg = None, -1
                    for i in range(k[0]):
                        for j in range(k[1]):
                            iy, ix = oy * s[0] - p[0] + i * d[0], ox * s[1] - p[1] + j * d[1]
                            if 0 <= iy < h and 0 <= ix < w:
                                v = x[ni, ci, iy, ix]
                                if arg < 0 or v > best or np.isnan(v):
                                    best, arg = v, iy * w + ix
                    out[ni, ci, oy, ox], idx[ni, ci, oy, ox] = best, arg
    return out, idx


@pytest.fixture(params=["numba", "reference"])
def backend(request):
    return NumpyBackend() if request.param == "numba" else _ReferenceBackend()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_im2col_matches_naive_loops(backend, case, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype(dtype)
    cols = ck.im2col(backend, x, *case)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, _naive_im2col(x, *case))


@pytest.mark.parametrize("case", CASES)
def test_col2im_is_the_adjoint_of_im2col(backend, case):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 7))
    cols = ck.im2col(backend, x, *case)
    c = rng.standard_normal(cols.shape)
    back = ck.col2im(backend, c, x.shape, *case)
    assert back.shape == x.shape
    # <im2col(x), c> == <x, col2im(c)> for all x, c
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_max_pool_matches_naive_loops(backend, case):
    k, s, p, d = case
    p = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 7))
    out, idx = pk.max_pool2d(backend, x, k, s, p, d)
    ref_out, ref_idx = _naive_max_pool(x, k, s, p, d)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    assert idx.dtype == np.int64


@pytest.mark.parametrize("case", CASES)
def test_max_pool_backward_and_gather_are_adjoint(backend, case):
    k, s, p, d = case
    p = (min(p[0], k[0] // 2), min(p[1], k[1] // 2))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 6, 7))
    out, idx = pk.max_pool2d(backend, x, k, s, p, d)
    g = rng.standard_normal(out.shape)
    gx = pk.max_pool2d_backward(backend, g, idx, x.shape, k, s, p, d)
    # the scatter accumulates: each output's gradient lands on its argmax pixel
    expected = np.zeros((2, 2, 42))
    for ni in range(2):
        for ci in range(2):
            np.add.at(expected[ni, ci], idx[ni, ci].ravel(), g[ni, ci].ravel())
    np.testing.assert_allclose(gx, expected.reshape(x.shape))
    np.testing.assert_array_equal(pk.max_pool2d_gather(backend, x, idx), out)
    y = rng.standard_normal(x.shape)
    np.testing.assert_allclose((pk.max_pool2d_gather(backend, y, idx) * g).sum(),
                               (y * gx).sum())


def test_max_pool_propagates_nan_and_keeps_first_max(backend):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 2, 2] = x[0, 0, 3, 3] = 5.0  # a tie: the first in scan order wins
    out, idx = pk.max_pool2d(backend, x, (2, 2), (2, 2), (0, 0), (1, 1))
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 1
    assert out[0, 0, 1, 1] == 5.0 and idx[0, 0, 1, 1] == 2 * 4 + 2
    assert idx[0, 0, 0, 1] == 2  # all zeros: the first tap


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_ties_and_nans_as_the_scan(backend, dtype):
    """The unrolled 2x2 loop (a tree of compares) against the scan's rule in every
    window of values drawn from {0, 1, NaN}: the last NaN, else the first maximum. Breaks
    if the tree compares the pairs' winners the wrong way round or keeps the first NaN."""
    rng = np.random.default_rng(7)
    x = rng.choice(np.array([0.0, 1.0, np.nan], dtype), size=(3, 4, 8, 10))
    out, idx = pk.max_pool2d(backend, x, (2, 2), (2, 2), (0, 0), (1, 1))
    ref_out, ref_idx = _naive_max_pool(x, (2, 2), (2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)


def test_max_pool_never_picks_padding():
    x = -np.ones((1, 1, 3, 3))  # padding would be 0 > -1 if it were counted
    for b in (NumpyBackend(), _ReferenceBackend()):
        out, idx = pk.max_pool2d(b, x, (3, 3), (1, 1), (1, 1), (1, 1))
        assert (out == -1).all() and (idx >= 0).all()


def test_kernels_accept_non_contiguous_input():
    x = np.random.default_rng(4).standard_normal((3, 2, 5, 6)).transpose(1, 0, 2, 3)
    case = ((3, 3), (1, 1), (1, 1), (1, 1))
    np.testing.assert_array_equal(ck.im2col(NumpyBackend(), x, *case),
                                  ck.im2col_reference(np, x, *case))
    out, _ = pk.max_pool2d(NumpyBackend(), x, (2, 2), (2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(out, pk.max_pool2d_reference(np, x, (2, 2), (2, 2),
                                                               (0, 0), (1, 1))[0])


@pytest.mark.parametrize("with_bias", [True, False])
def test_gemm_to_batch_major(backend, with_bias):
    rng = np.random.default_rng(5)
    y = rng.standard_normal((4, 3 * 10)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32) if with_bias else None
    out = ck.gemm_to_batch_major(backend, y, bias, 3)
    expected = y.reshape(4, 3, 10).transpose(1, 0, 2) + (0 if bias is None else bias[:, None])
    assert out.shape == (3, 4, 10) and out.flags.c_contiguous and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# --- the buffer cache under the kernels: reuse only what nobody holds ---------------------

_BIG = ((3, 3), (1, 1), (1, 1), (1, 1))  # on (8, 16, 32, 32) float32: 4.7 MB of columns


def test_kernel_outputs_are_reused_only_once_released():
    b = NumpyBackend()  # its own cache
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 16, 32, 32)).astype(np.float32)
    first = ck.im2col(b, x, *_BIG)
    second = ck.im2col(b, x, *_BIG)  # the first is alive: a new array
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, second)
    view = first[:2]  # a view keeps its base
    del first
    third = ck.im2col(b, 2 * x, *_BIG)
    assert not np.shares_memory(third, view) and not np.shares_memory(third, second)
    np.testing.assert_array_equal(view, second[:2])  # untouched by the third call
    misses = b.buffers.misses
    del view, third
    fourth = ck.im2col(b, x, *_BIG)
    assert b.buffers.misses == misses  # served from the cache
    np.testing.assert_array_equal(fourth, second)
    # zeroed buffers come back zeroed: col2im accumulates into its output
    img = ck.col2im(b, fourth, x.shape, *_BIG)
    del img
    np.testing.assert_array_equal(ck.col2im(b, fourth, x.shape, *_BIG),
                                  ck.col2im_reference(np, fourth, x.shape, *_BIG))
    out, idx = pk.max_pool2d(b, x, (2, 2), (2, 2), (0, 0), (1, 1))
    g = rng.standard_normal(out.shape).astype(np.float32)
    gx1 = pk.max_pool2d_backward(b, g, idx, x.shape, (2, 2), (2, 2), (0, 0), (1, 1)).copy()
    gx2 = pk.max_pool2d_backward(b, g, idx, x.shape, (2, 2), (2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(gx1, gx2)


def _train_cnn(steps: int):
    import autograd as ag
    import nn
    import nn.functional as F
    import optim

    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 8 * 8, 5))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(7)
    x = ag.tensor(rng.standard_normal((16, 3, 32, 32)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 5, 16))
    losses, outputs = [], []
    for _ in range(steps):
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        outputs.append(out)  # kept alive: their buffers must not be handed out again
    return losses, [o.numpy().copy() for o in outputs], [p.numpy().copy()
                                                          for p in model.parameters()]


def test_training_is_bitwise_the_same_with_and_without_the_cache(monkeypatch):
    import backends

    cache = backends.CPU.backend.buffers
    monkeypatch.setattr(cache, "max_bytes", 0)
    plain = _train_cnn(4)
    monkeypatch.setattr(cache, "max_bytes", 256 << 20)
    hits = cache.hits
    cached = _train_cnn(4)
    assert cache.hits > hits  # the cached path ran
    assert plain[0] == cached[0]
    for a, b in zip(plain[1] + plain[2], cached[1] + cached[2], strict=True):
        np.testing.assert_array_equal(a, b)
    backends.release_buffers()
    assert len(cache) == 0 and cache.nbytes == 0
