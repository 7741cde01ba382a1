"""Tests that kill the surviving mutants of nn/functional/pooling.py (issue 18).

Every pooling function against a direct NumPy definition written from PyTorch's rules
(window by window: ceil_mode's output size, padding never chosen by max, the average's
divisor with and without the padding, divisor_override, the indices of the maxima,
adaptive windows [floor(i*n/o), ceil((i+1)*n/o))), with different kernel, stride,
padding and dilation per axis so a swapped axis shows; and every refusal's whole
message. No test needs torch.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

RNG = np.random.default_rng(1809)


def _per_axis(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


def _out_size(n, k, s, p, d, ceil):
    span = d * (k - 1) + 1
    o = (-(-(n + 2 * p - span) // s) if ceil else (n + 2 * p - span) // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def pool_ref(x, kind, k, s=None, p=0, d=1, ceil=False, include_pad=True, divisor=None):
    """(N, C, *spatial) pooled window by window: ("max", values, flat indices) or
    ("avg", values)."""
    nd = x.ndim - 2
    k = _per_axis(k, nd)
    s = k if s is None else _per_axis(s, nd)
    p, d = _per_axis(p, nd), _per_axis(d, nd)
    sizes = x.shape[2:]
    outs = [_out_size(sizes[a], k[a], s[a], p[a], d[a], ceil) for a in range(nd)]
    val = np.zeros(x.shape[:2] + tuple(outs))
    idx = np.zeros(x.shape[:2] + tuple(outs), np.int64)
    for pos in itertools.product(*(range(o) for o in outs)):
        starts = [pos[a] * s[a] - p[a] for a in range(nd)]
        taps = [[starts[a] + j * d[a] for j in range(k[a])] for a in range(nd)]
        inside = [[t for t in taps[a] if 0 <= t < sizes[a]] for a in range(nd)]
        if kind == "max":
            best = np.full(x.shape[:2], -np.inf)
            where = np.zeros(x.shape[:2], np.int64)
            for tap in itertools.product(*inside):
                v = x[(slice(None), slice(None)) + tap]
                flat = np.ravel_multi_index(tap, sizes)
                better = v > best
                best, where = np.where(better, v, best), np.where(better, flat, where)
            val[(slice(None), slice(None)) + pos], idx[(slice(None), slice(None)) + pos] = \
                best, where
            continue
        total = sum(x[(slice(None), slice(None)) + tap] for tap in itertools.product(*inside))
        if divisor is not None:
            count = divisor
        elif include_pad:  # the window clipped to the padded input, never beyond it
            count = math.prod(min(starts[a] + k[a], sizes[a] + p[a]) - starts[a]
                              for a in range(nd))
        else:
            count = math.prod(len(i) for i in inside)
        val[(slice(None), slice(None)) + pos] = total / count
    return (val, idx) if kind == "max" else val


def adaptive_ref(x, out):
    """Average over PyTorch's adaptive windows on every spatial axis."""
    for axis, o in enumerate(out, start=2):
        n = x.shape[axis]
        x = np.stack([np.take(x, range(i * n // o, -(-(i + 1) * n // o)), axis).mean(axis)
                      for i in range(o)], axis)
    return x


MAX_CASES = [  # (spatial shape, kwargs)
    ((7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ((6, 7), dict(kernel_size=(2, 3), stride=(1, 2), padding=(0, 1), dilation=(2, 1),
                  ceil_mode=True)),
    ((5, 8), dict(kernel_size=(3, 3), stride=2, padding=1, ceil_mode=True)),
    ((4, 5), dict(kernel_size=2)),
    ((5, 6), dict(kernel_size=(4, 2), stride=1, padding=(2, 1), ceil_mode=True)),
    ((5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, kw", MAX_CASES)
@pytest.mark.parametrize("unbatched", [False, True])
def test_max_pool2d_values_indices_and_gradient(shape, kw, unbatched):
    """Values, the flat indices iy*W + ix of the maxima (also under ceil_mode, where the
    kernel pads columns after the image) and the gradient routed to them; unbatched
    (C, H, W) inputs. Kills per-axis swaps in `_pool_args`/`_check_output`/`_ceil_extra`,
    the ceil_mode boundary (`>=`) and the index conversion of appended columns."""
    x = RNG.standard_normal((2, 3) + shape)
    want, widx = pool_ref(x, "max", kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                          kw.get("dilation", 1), kw.get("ceil_mode", False))
    t = ag.tensor(x[0] if unbatched else x, requires_grad=True)
    out, idx = F.max_pool2d(t, **kw, return_indices=True)
    plain = F.max_pool2d(ag.tensor(x[0] if unbatched else x), **kw)
    if unbatched:
        want, widx = want[0], widx[0]
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(plain.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), widx)
    g = RNG.standard_normal(want.shape)
    (out * ag.tensor(g)).sum().backward()
    grad = np.zeros(t.shape).reshape(-1, shape[0] * shape[1])
    for r in range(grad.shape[0]):
        np.add.at(grad[r], widx.reshape(grad.shape[0], -1)[r], g.reshape(grad.shape[0], -1)[r])
    np.testing.assert_allclose(t.grad.numpy(), grad.reshape(t.shape), rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1, dilation=2),
                                dict(kernel_size=2, stride=3, ceil_mode=True),
                                dict(kernel_size=2, stride=2, ceil_mode=True),  # 5, not 4
                                dict(kernel_size=4, padding=2, ceil_mode=True, stride=3)])
@pytest.mark.parametrize("unbatched", [False, True])
def test_max_pool1d_values_and_indices(kw, unbatched):
    """max_pool1d through the 2-D kernel: its (1,) leading kernel/stride/padding/dilation,
    the squeeze of the dummy axis, unbatched (C, L) inputs."""
    x = RNG.standard_normal((2, 3, 9))
    want, widx = pool_ref(x, "max", kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                          kw.get("dilation", 1), kw.get("ceil_mode", False))
    out, idx = F.max_pool1d(ag.tensor(x[0] if unbatched else x), **kw, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want[0] if unbatched else want)
    np.testing.assert_array_equal(idx.numpy(), widx[0] if unbatched else widx)
    plain = F.max_pool1d(ag.tensor(x[0] if unbatched else x), **kw)
    np.testing.assert_array_equal(plain.numpy(), want[0] if unbatched else want)


AVG_CASES = [
    ((7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1))),
    ((6, 7), dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True)),
    ((5, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((5, 6), dict(kernel_size=(3, 2), stride=(3, 2), ceil_mode=True)),
    ((4, 4), dict(kernel_size=2)),
    ((5, 6), dict(kernel_size=(4, 2), stride=1, padding=(2, 1), ceil_mode=True)),
    ((5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, kw", AVG_CASES)
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool2d_divisors(shape, kw, include_pad):
    """The divisor counts the taps inside the padded input (count_include_pad) or inside
    the input, never the ceil_mode part beyond the padding; divisor_override replaces it.
    Kills the `counted` slices (`:h + 2 * p[0]` / `p[0]:p[0] + h` per axis), the
    fast path's `p[0] == 0 and p[1] == 0` and `not (eh or ew)` tests, `1.0 / count`."""
    x = RNG.standard_normal((2, 3) + shape)
    args = (kw["kernel_size"], kw.get("stride"), kw.get("padding", 0), 1,
            kw.get("ceil_mode", False), include_pad)
    out = F.avg_pool2d(ag.tensor(x), **kw, count_include_pad=include_pad)
    np.testing.assert_allclose(out.numpy(), pool_ref(x, "avg", *args), rtol=1e-12)
    over = F.avg_pool2d(ag.tensor(x[0]), **kw, count_include_pad=include_pad,
                        divisor_override=5)
    np.testing.assert_allclose(over.numpy(), pool_ref(x, "avg", *args, divisor=5)[0],
                               rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, stride=3, ceil_mode=True),
                                dict(kernel_size=2, stride=2, ceil_mode=True),  # 5, not 4
                                dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)])
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool1d(kw, include_pad):
    """avg_pool1d through the 2-D path (its leading (1,)/(0,) entries), unbatched too."""
    x = RNG.standard_normal((2, 3, 9))
    want = pool_ref(x, "avg", kw["kernel_size"], kw.get("stride"), kw.get("padding", 0), 1,
                    kw.get("ceil_mode", False), include_pad)
    out = F.avg_pool1d(ag.tensor(x), **kw, count_include_pad=include_pad)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    one = F.avg_pool1d(ag.tensor(x[1]), **kw, count_include_pad=include_pad)
    np.testing.assert_allclose(one.numpy(), want[1], rtol=1e-12)


@pytest.mark.parametrize("kw", [
    dict(kernel_size=(2, 2, 2), stride=2, ceil_mode=True),  # depth 5: ceil adds one
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(2, 1, 1)),
    dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=True),
    dict(kernel_size=2, stride=(3, 1, 2), ceil_mode=True),
])
@pytest.mark.parametrize("unbatched", [False, True])
def test_max_pool3d_values_and_indices(kw, unbatched):
    """max_pool3d: the depth taps (`i * d`, the padded depth, ceil_mode's extra depth),
    the flat 3-D indices z*H*W + y*W + x (`_depth_indices`)."""
    x = RNG.standard_normal((2, 2, 5, 6, 5))
    want, widx = pool_ref(x, "max", kw["kernel_size"], kw.get("stride"), kw.get("padding", 0),
                          kw.get("dilation", 1), kw.get("ceil_mode", False))
    t = ag.tensor(x[0] if unbatched else x)
    out, idx = F.max_pool3d(t, **kw, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want[0] if unbatched else want)
    np.testing.assert_array_equal(idx.numpy(), widx[0] if unbatched else widx)
    np.testing.assert_array_equal(F.max_pool3d(t, **kw).numpy(), want[0] if unbatched else want)


@pytest.mark.parametrize("kw", [dict(kernel_size=(2, 2, 2), stride=2, ceil_mode=True),
                                dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1)),
                                dict(kernel_size=(2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0),
                                     ceil_mode=True),
                                dict(kernel_size=(3, 2, 3), stride=2, padding=1,
                                     ceil_mode=True)])
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool3d_divisors(kw, include_pad):
    """avg_pool3d's divisor is the product of the per-axis counts (depth: `starts`,
    `ends` clipped to the padding, or to the input without count_include_pad), and
    divisor_override replaces it (the planes then summed with divisor 1)."""
    x = RNG.standard_normal((2, 2, 5, 6, 5))
    args = (kw["kernel_size"], kw.get("stride"), kw.get("padding", 0), 1,
            kw.get("ceil_mode", False), include_pad)
    out = F.avg_pool3d(ag.tensor(x), **kw, count_include_pad=include_pad)
    np.testing.assert_allclose(out.numpy(), pool_ref(x, "avg", *args), rtol=1e-12)
    over = F.avg_pool3d(ag.tensor(x[1]), **kw, count_include_pad=include_pad,
                        divisor_override=7)
    np.testing.assert_allclose(over.numpy(), pool_ref(x, "avg", *args, divisor=7)[1],
                               rtol=1e-12)


@pytest.mark.parametrize("size, want", [((3, 4), (3, 4)), ((2, None), (2, 7)),
                                        ((None, 3), (5, 3)), (4, (4, 4)), ((5, 7), (5, 7))])
def test_adaptive_avg_pool2d_windows(size, want):
    """Adaptive windows per axis, None keeping an axis, an int for both, the output size
    equal to the input's (no matrix), unbatched input."""
    x = RNG.standard_normal((2, 5, 7))
    out = F.adaptive_avg_pool2d(ag.tensor(x), size)
    assert out.shape == (2,) + want
    np.testing.assert_allclose(out.numpy(), adaptive_ref(x[None], want)[0], rtol=1e-12)


def test_adaptive_avg_pool1d_int_tuple_and_unbatched():
    """adaptive_avg_pool1d with an int and a 1-tuple, batched and unbatched."""
    x = RNG.standard_normal((2, 3, 7))
    for size in (3, (3,), [3]):
        np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x), size).numpy(),
                                   adaptive_ref(x, (3,)), rtol=1e-12)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x[0]), 2).numpy(),
                               adaptive_ref(x[:1], (2,))[0], rtol=1e-12)


def test_ceil_mode_cases_reach_the_last_window_rule():
    """The cases above include ceil_mode windows that would start in the right padding
    (size 5, kernel 2, stride 2, padding 1: 3 outputs, not 4: kills `out = 1` and
    `out -= 2`) and stride 1 with padding 2 (kills `3 * p[i]` in the ceil size)."""
    x = RNG.standard_normal((1, 1, 5, 5))
    out = F.max_pool2d(ag.tensor(x), 2, stride=2, padding=1, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    out = F.avg_pool2d(ag.tensor(x), (4, 2), stride=1, padding=(2, 1), ceil_mode=True)
    assert out.shape == (1, 1, 6, 6)


def _cube():
    return ag.tensor(RNG.standard_normal((1, 4, 4, 4)))


@pytest.mark.parametrize("call, shape", [
    (lambda x: F.max_pool2d(x[0], 4), (1, 1, 1)),
    (lambda x: F.max_pool2d(x[0], 4, return_indices=True)[0], (1, 1, 1)),
    (lambda x: F.max_pool2d(x[0], 4, return_indices=True)[1], (1, 1, 1)),
    (lambda x: F.max_pool1d(x[0, 0, :1], 4), (1, 1)),
    (lambda x: F.max_pool1d(x[0, 0, :1], 4, return_indices=True)[0], (1, 1)),
    (lambda x: F.max_pool1d(x[0, 0, :1], 4, return_indices=True)[1], (1, 1)),
    (lambda x: F.max_pool1d(x[:, 0, :1], 4), (1, 1, 1)),
    (lambda x: F.max_pool1d(x[:, 0, :1], 4, return_indices=True)[1], (1, 1, 1)),
    (lambda x: F.avg_pool2d(x[0], 4), (1, 1, 1)),
    (lambda x: F.avg_pool1d(x[0, 0, :1], 4), (1, 1)),
    (lambda x: F.avg_pool1d(x[:, 0, :1], 4), (1, 1, 1)),
    (lambda x: F.adaptive_avg_pool2d(x[0], 1), (1, 1, 1)),
    (lambda x: F.adaptive_avg_pool1d(x[0, 0, :1], 1), (1, 1)),
    (lambda x: F.adaptive_avg_pool1d(x[:, 0, :1], 1), (1, 1, 1)),
    (lambda x: F.max_pool3d(_cube(), 4), (1, 1, 1, 1)),
    (lambda x: F.max_pool3d(_cube(), 4, return_indices=True)[0], (1, 1, 1, 1)),
    (lambda x: F.max_pool3d(_cube(), 4, return_indices=True)[1], (1, 1, 1, 1)),
    (lambda x: F.max_pool3d(_cube()[None], 4), (1, 1, 1, 1, 1)),
    (lambda x: F.avg_pool3d(_cube(), 4), (1, 1, 1, 1)),
])
def test_only_the_batch_and_dummy_axes_are_squeezed(call, shape):
    """One channel and a 1x1 output: the unbatched result keeps its size-1 axes (kills
    `squeeze(None)` everywhere), and a batch of one keeps its batch axis (kills
    `... or True` around the final squeeze)."""
    x = ag.tensor(RNG.standard_normal((1, 1, 4, 4)))
    assert call(x).shape == shape


def test_avg_pool1d_counts_the_padding_by_default():
    """count_include_pad defaults to True (kills the False default)."""
    x = RNG.standard_normal((1, 2, 5))
    out = F.avg_pool1d(ag.tensor(x), 3, stride=2, padding=1)
    np.testing.assert_allclose(out.numpy(), pool_ref(x, "avg", 3, 2, 1), rtol=1e-12)
    x1 = RNG.standard_normal((1, 2, 7))
    np.testing.assert_array_equal(F.max_pool1d(ag.tensor(x1), 3, stride=2).numpy(),
                                  pool_ref(x1, "max", 3, 2)[0])  # ceil_mode off by default


def test_stride_given_as_an_empty_sequence_defaults_to_the_kernel():
    """stride=() (or []) means kernel_size, as PyTorch's default (kills the
    `len(stride) == 0` test and its `not isinstance(stride, int)` guard)."""
    x = RNG.standard_normal((1, 2, 6, 6))
    for stride in ((), []):
        np.testing.assert_array_equal(F.max_pool2d(ag.tensor(x), 3, stride=stride).numpy(),
                                      pool_ref(x, "max", 3)[0])
        np.testing.assert_allclose(F.avg_pool2d(ag.tensor(x), 3, stride=stride).numpy(),
                                   pool_ref(x, "avg", 3), rtol=1e-12)


def test_padding_exactly_half_the_kernel_is_accepted():
    """padding may be kernel_size / 2 (kills `pi * 2 >= ki`)."""
    x = RNG.standard_normal((1, 1, 5, 5))
    out = F.max_pool2d(ag.tensor(x), (2, 4), stride=1, padding=(1, 2))
    np.testing.assert_array_equal(out.numpy(), pool_ref(x, "max", (2, 4), 1, (1, 2))[0])


def _r(*s):
    return ag.tensor(np.ones(s))


ERRORS = {
    "mp_nt": (lambda: F.max_pool2d([1.0], 2), TypeError, "max_pool2d: input must be a Tensor, got list"),  # noqa: E501
    "ap_nt": (lambda: F.avg_pool1d(np.ones((1, 4)), 2), TypeError, "avg_pool1d: input must be a Tensor, got ndarray"),  # noqa: E501
    "mp_nd": (lambda: F.max_pool2d(_r(4, 4), 2), ValueError, "max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got (4, 4)"),  # noqa: E501
    "mp_nd5": (lambda: F.max_pool2d(_r(1, 1, 1, 4, 4), 2), ValueError, "max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got (1, 1, 1, 4, 4)"),  # noqa: E501
    "mp1_nd": (lambda: F.max_pool1d(_r(4), 2), ValueError, "max_pool1d: expected input of shape (N, C, L) or (C, L), got (4,)"),  # noqa: E501
    "mp_int": (lambda: F.max_pool2d(ag.tensor(np.ones((1, 4, 4), np.int64)), 2), TypeError, "max_pool2d: expected a floating input, got dtype int64"),  # noqa: E501
    "mp_k": (lambda: F.max_pool2d(_r(1, 4, 4), 0), ValueError, "max_pool2d: kernel_size must be an int >= 1 or 2 such ints, got 0"),  # noqa: E501
    "mp_s": (lambda: F.max_pool2d(_r(1, 4, 4), 2, stride=0), ValueError, "max_pool2d: stride must be an int >= 1 or 2 such ints, got 0"),  # noqa: E501
    "mp_p": (lambda: F.max_pool2d(_r(1, 4, 4), 2, padding=-1), ValueError, "max_pool2d: padding must be an int >= 0 or 2 such ints, got -1"),  # noqa: E501
    "mp_d": (lambda: F.max_pool2d(_r(1, 4, 4), 2, dilation=0), ValueError, "max_pool2d: dilation must be an int >= 1 or 2 such ints, got 0"),  # noqa: E501
    "mp_half": (lambda: F.max_pool2d(_r(1, 4, 4), (2, 3), padding=(1, 2)), ValueError, "max_pool2d: padding (1, 2) should be at most half of kernel_size (2, 3)"),  # noqa: E501
    "mp_small": (lambda: F.max_pool2d(_r(1, 2, 4), 3), ValueError, "max_pool2d: input (1, 1, 2, 4) is too small for kernel_size (3, 3) with padding (0, 0) and dilation (1, 1) (output would be (0, 1))"),  # noqa: E501
    "mp_small_w": (lambda: F.max_pool2d(_r(1, 4, 2), 3), ValueError, "max_pool2d: input (1, 1, 4, 2) is too small for kernel_size (3, 3) with padding (0, 0) and dilation (1, 1) (output would be (1, 0))"),  # noqa: E501
    "ap_half": (lambda: F.avg_pool2d(_r(1, 4, 4), 2, padding=2), ValueError, "avg_pool2d: padding (2, 2) should be at most half of kernel_size (2, 2)"),  # noqa: E501
    "ap_small": (lambda: F.avg_pool2d(_r(1, 4, 2), 3), ValueError, "avg_pool2d: input (1, 1, 4, 2) is too small for kernel_size (3, 3) with padding (0, 0) and dilation (1, 1) (output would be (1, 0))"),  # noqa: E501
    "ap1_nd": (lambda: F.avg_pool1d(_r(1, 1, 4, 4), 2), ValueError, "avg_pool1d: expected input of shape (N, C, L) or (C, L), got (1, 1, 4, 4)"),  # noqa: E501
    "aap_neg": (lambda: F.adaptive_avg_pool2d(_r(1, 4, 4), (0, 2)), ValueError, "adaptive_avg_pool2d: output_size must be positive, got (0, 2)"),  # noqa: E501
    "aap_neg_w": (lambda: F.adaptive_avg_pool2d(_r(1, 4, 4), (2, 0)), ValueError, "adaptive_avg_pool2d: output_size must be positive, got (2, 0)"),  # noqa: E501
    "aap1_tuple": (lambda: F.adaptive_avg_pool1d(_r(1, 4), (1, 2)), ValueError, "adaptive_avg_pool1d: output_size should contain one int, got (1, 2)"),  # noqa: E501
    "mp3_nd": (lambda: F.max_pool3d(_r(4, 4, 4), 2), ValueError, "max_pool3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got (4, 4, 4)"),  # noqa: E501
    "mp3_list": (lambda: F.max_pool3d([[1.0]], 2), ValueError, "max_pool3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got ()"),  # noqa: E501
    "mp3_int": (lambda: F.max_pool3d(ag.tensor(np.ones((1, 4, 4, 4), np.int64)), 2), TypeError, "max_pool3d: expected a floating input, got dtype int64"),  # noqa: E501
    "mp3_depth": (lambda: F.max_pool3d(_r(1, 1, 4, 4), (2, 1, 1)), ValueError, "max_pool3d: depth 1 is too small for kernel 2 with padding 0 and dilation 1"),  # noqa: E501
    "mp3_depth_d": (lambda: F.max_pool3d(_r(1, 3, 4, 4), (2, 1, 1), dilation=(3, 1, 1)), ValueError, "max_pool3d: depth 3 is too small for kernel 2 with padding 0 and dilation 3"),  # noqa: E501
    "ap3_depth": (lambda: F.avg_pool3d(_r(1, 1, 4, 4), (2, 1, 1)), ValueError, "avg_pool3d: depth 1 is too small for kernel 2 with padding 0 and dilation 1"),  # noqa: E501
    "ap3_nt": (lambda: F.avg_pool3d(np.ones((1, 2, 2, 2)), 2), ValueError, "avg_pool3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got (1, 2, 2, 2)"),  # noqa: E501
    "ap2_nt": (lambda: F.avg_pool2d([1.0], 2), TypeError, "avg_pool2d: input must be a Tensor, got list"),  # noqa: E501
    "mp1_k": (lambda: F.max_pool1d(_r(1, 4), 0), ValueError, "max_pool1d: kernel_size must be an int >= 1 or 1 such ints, got 0"),  # noqa: E501
    "mp1_small": (lambda: F.max_pool1d(_r(1, 2), 3), ValueError, "max_pool1d: input (1, 1, 1, 2) is too small for kernel_size (1, 3) with padding (0, 0) and dilation (1, 1) (output would be (1, 0))"),  # noqa: E501
    "ap1_k": (lambda: F.avg_pool1d(_r(1, 4), 0), ValueError, "avg_pool1d: kernel_size must be an int >= 1 or 1 such ints, got 0"),  # noqa: E501
    "ap1_small": (lambda: F.avg_pool1d(_r(1, 2), 3), ValueError, "avg_pool1d: input (1, 1, 1, 2) is too small for kernel_size (1, 3) with padding (0, 0) and dilation (1, 1) (output would be (1, 0))"),  # noqa: E501
    "aap2_nd": (lambda: F.adaptive_avg_pool2d(_r(4, 4), 2), ValueError, "adaptive_avg_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got (4, 4)"),  # noqa: E501
    "aap1_nd": (lambda: F.adaptive_avg_pool1d(_r(4), 2), ValueError, "adaptive_avg_pool1d: expected input of shape (N, C, L) or (C, L), got (4,)"),  # noqa: E501
    "mp3_small": (lambda: F.max_pool3d(_r(1, 4, 2, 4), 3), ValueError, "max_pool3d: input (1, 4, 2, 4) is too small for kernel_size (3, 3) with padding (0, 0) and dilation (1, 1) (output would be (0, 1))"),  # noqa: E501
    "ap3_k": (lambda: F.avg_pool3d(_r(1, 2, 4, 4), (1, 2)), ValueError, "avg_pool3d: kernel_size must be an int >= 1 or 3 such ints, got (1, 2)"),  # noqa: E501
    "ap3_small": (lambda: F.avg_pool3d(_r(1, 4, 2, 4), 3), ValueError, "avg_pool3d: input (1, 4, 2, 4) is too small for kernel_size (3, 3) with padding (0, 0) and dilation (1, 1) (output would be (0, 1))"),  # noqa: E501
    "mp3_k": (lambda: F.max_pool3d(_r(1, 2, 4, 4), (1, 2)), ValueError, "max_pool3d: kernel_size must be an int >= 1 or 3 such ints, got (1, 2)"),  # noqa: E501
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_messages_are_exact(name):
    """Whole messages: kills the op and argument names (renamed, upper-cased, None) and
    the `None` messages, and `and` for `or` in the size checks.

    Bugs these found (fixed): a non-Tensor input of the 1-D/2-D pools failed with an
    AttributeError on `.ndim` (the Tensor check came after the shape check); the depth
    errors of max_pool3d/avg_pool3d named "pool3d"."""
    call, exc, message = ERRORS[name]
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message
