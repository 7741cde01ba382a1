"""Pooling functions and layers against naive NumPy loops."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def _out(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window must start in the input
        out -= 1
    return out


def naive_pool(x, k, s, p, kind, count_include_pad=True, d=(1, 1), ceil_mode=False):
    n, c, h, w = x.shape
    oh, ow = _out(h, k[0], s[0], p[0], d[0], ceil_mode), _out(w, k[1], s[1], p[1], d[1], ceil_mode)
    out = np.empty((n, c, oh, ow))
    for ni in range(n):
        for ci in range(c):
            for y in range(oh):
                for z in range(ow):
                    vals, padded = [], 0
                    for i in range(k[0]):
                        for j in range(k[1]):
                            iy, ix = y * s[0] - p[0] + i * d[0], z * s[1] - p[1] + j * d[1]
                            if 0 <= iy < h and 0 <= ix < w:
                                vals.append(x[ni, ci, iy, ix])
                            elif -p[0] <= iy < h + p[0] and -p[1] <= ix < w + p[1]:
                                padded += 1  # padding, not the overhang of a ceil window
                    if kind == "max":
                        out[ni, ci, y, z] = max(vals)
                    else:
                        div = len(vals) + (padded if count_include_pad else 0)
                        out[ni, ci, y, z] = sum(vals) / div
    return out


MAX_CASES = [((2, 2), None, (0, 0), (1, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
             ((3, 2), (2, 1), (1, 1), (1, 2)), ((2, 2), (1, 1), (0, 0), (2, 2))]


@pytest.mark.parametrize("k, s, p, d", MAX_CASES)
def test_max_pool2d_matches_naive_loops(k, s, p, d):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    out = F.max_pool2d(ag.tensor(x), k, s, p, d)
    np.testing.assert_array_equal(out.numpy(), naive_pool(x, k, s or k, p, "max", d=d))


@pytest.mark.parametrize("k, s, p, cip", [((2, 2), None, (0, 0), True),
                                          ((3, 3), (2, 2), (1, 1), True),
                                          ((3, 3), (2, 2), (1, 1), False),
                                          ((3, 2), (1, 2), (1, 0), False)])
def test_avg_pool2d_matches_naive_loops(k, s, p, cip):
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    out = F.avg_pool2d(ag.tensor(x), k, s, p, count_include_pad=cip)
    np.testing.assert_allclose(out.numpy(), naive_pool(x, k, s or k, p, "avg", cip), rtol=1e-12)


@pytest.mark.parametrize("k, s, p", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                                     ((3, 2), (2, 3), (1, 0)), ((2, 2), (3, 3), (1, 1))])
def test_ceil_mode_matches_naive_loops(k, s, p):
    x = np.random.default_rng(6).standard_normal((2, 2, 7, 6))
    xt = ag.tensor(x)
    out, idx = F.max_pool2d(xt, k, s, p, ceil_mode=True, return_indices=True)
    ref = naive_pool(x, k, s, p, "max", ceil_mode=True)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.numpy(), ref)
    flat = x.reshape(2, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 2, -1), 2),
                                  ref.reshape(2, 2, -1))  # indices into the (7, 6) plane
    for cip in (True, False):
        np.testing.assert_allclose(
            F.avg_pool2d(xt, k, s, p, ceil_mode=True, count_include_pad=cip).numpy(),
            naive_pool(x, k, s, p, "avg", cip, ceil_mode=True), rtol=1e-12)


def test_max_pool_indices_and_gradient_go_to_the_argmax():
    x = np.array([[[[1.0, 3.0, 2.0],
                    [4.0, 0.0, 9.0],
                    [5.0, 6.0, 7.0]]]])
    xt = ag.tensor(x, requires_grad=True)
    out, idx = F.max_pool2d(xt, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[4, 9], [6, 9]])
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[3, 5], [7, 5]])
    assert idx.dtype == ag.int64
    out.backward(ag.tensor(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])))
    # overlapping windows that share a maximum accumulate its gradient
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0], [[0, 0, 0], [1, 0, 1010], [0, 100, 0]])


def test_pool1d_and_adaptive():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 9))
    np.testing.assert_array_equal(F.max_pool1d(ag.tensor(x), 3, 2, 1).numpy(),
                                  naive_pool(x[:, :, None], (1, 3), (1, 2), (0, 1), "max")[:, :, 0])
    np.testing.assert_allclose(F.avg_pool1d(ag.tensor(x), 2).numpy(),
                               (x[:, :, 0:8:2] + x[:, :, 1:9:2]) / 2)
    x4 = rng.standard_normal((2, 3, 5, 7))
    out = F.adaptive_avg_pool2d(ag.tensor(x4), (2, 3))
    # PyTorch's windows: [floor(i*H/OH), ceil((i+1)*H/OH))
    rows, cols = [(0, 3), (2, 5)], [(0, 3), (2, 5), (4, 7)]
    ref = np.array([[x4[:, :, a:b, c:d].mean(axis=(2, 3)) for c, d in cols] for a, b in rows])
    np.testing.assert_allclose(out.numpy(), ref.transpose(2, 3, 0, 1), rtol=1e-12)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(ag.tensor(x4), 1).numpy(),
                               x4.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x), 3).numpy(),
                               x.reshape(2, 3, 3, 3).mean(-1), rtol=1e-12)


def test_pool_gradients_first_and_second_order():
    x = ag.tensor(np.random.default_rng(3).standard_normal((1, 2, 4, 4)), requires_grad=True)
    for f in (lambda t: F.max_pool2d(t, 3, 1, 1), lambda t: F.avg_pool2d(t, 3, 2, 1, False)):
        assert ag.gradcheck(f, (x,))
        assert ag.gradgradcheck(f, (x,))


def test_pooling_modules():
    x = ag.randn(2, 3, 8, 8)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, 1, 1)(x).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    assert nn.MaxPool1d(2)(ag.randn(2, 3, 8)).shape == (2, 3, 4)
    assert nn.AvgPool1d(2)(ag.randn(2, 3, 8)).shape == (2, 3, 4)
    assert nn.AdaptiveAvgPool1d(2)(ag.randn(2, 3, 8)).shape == (2, 3, 2)
    assert nn.MaxPool2d(2)(ag.randn(3, 8, 8)).shape == (3, 4, 4)  # unbatched
    assert "kernel_size=2" in repr(nn.MaxPool2d(2))


@pytest.mark.parametrize("call, words", [
    (lambda: F.max_pool2d(ag.randn(1, 1, 4, 4), 2, padding=2), "half"),
    (lambda: F.max_pool2d(ag.randn(4, 4), 2), "(N, C, H, W)"),
    (lambda: F.avg_pool2d(ag.randn(1, 1, 2, 2), 3), "too small"),
    (lambda: F.max_pool2d(ag.randn(1, 1, 4, 4), 0), "kernel_size"),
])
def test_pool_errors(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value) and "pool" in str(info.value)
