"""Conv1d/Conv2d and F.conv1d/conv2d/unfold/fold against naive NumPy loops."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def naive_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Direct definition: one output pixel at a time (padding as (top, bottom, left, right)
    or (ph, pw))."""
    if len(padding) == 2:
        padding = (padding[0], padding[0], padding[1], padding[1])
    pt, pb, pl, pr = padding
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for ni in range(n):
        for oi in range(o):
            g = oi // og
            for y in range(oh):
                for xx in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                acc += (x[ni, g * cg + ci, y * stride[0] + i * dilation[0],
                                          xx * stride[1] + j * dilation[1]] * w[oi, ci, i, j])
                    out[ni, oi, y, xx] = acc + (0.0 if b is None else b[oi])
    return out


CASES = [
    # x shape, w shape, stride, padding, dilation, groups, naive padding
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 1, 1, 1, (1, 1)),
    ((1, 2, 7, 7), (3, 2, 3, 2), (2, 1), (1, 0), (1, 2), 1, (1, 0)),
    ((2, 4, 5, 6), (6, 2, 2, 2), 1, 0, 1, 2, (0, 0)),
    ((1, 3, 5, 5), (3, 1, 3, 3), 2, 1, 1, 3, (1, 1)),  # depthwise
    ((1, 2, 5, 6), (2, 2, 2, 3), 1, "same", 1, 1, (0, 1, 1, 1)),  # asymmetric 'same'
    ((1, 2, 6, 6), (2, 2, 3, 3), 1, "same", 2, 1, (2, 2, 2, 2)),
    ((1, 2, 5, 5), (2, 2, 3, 3), 1, "valid", 1, 1, (0, 0)),
]


@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_naive_loops(case):
    xs, ws, stride, padding, dilation, groups, naive_pad = case
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = F.conv2d(ag.tensor(x), ag.tensor(w), ag.tensor(b), stride, padding, dilation, groups)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    ref = naive_conv2d(x, w, b, pair(stride), naive_pad, pair(dilation), groups)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_conv2d_float32_and_unbatched():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 6, 6)).astype(np.float32), rng.standard_normal((2, 3, 3, 3))
    out = F.conv2d(ag.tensor(x), ag.tensor(w.astype(np.float32)), padding=1)
    assert out.dtype == ag.float32 and out.shape == (2, 6, 6)
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x[None], w, padding=(1, 1))[0],
                               rtol=1e-4, atol=1e-5)


def test_conv1d_matches_naive_loops():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 4, 9)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    out = F.conv1d(ag.tensor(x), ag.tensor(w), ag.tensor(b), stride=2, padding=1, dilation=2,
                   groups=2)
    ref = naive_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    same = F.conv1d(ag.tensor(x), ag.tensor(w[:, :, :2]), padding="same", groups=2)
    assert same.shape == (2, 6, 9)


def test_conv2d_gradients_first_and_second_order():
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)

    def f(x, w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    assert ag.gradcheck(f, (x, w, b))
    assert ag.gradgradcheck(f, (x, w, b))


def test_conv2d_backward_matches_closed_form():
    # d/dw sum(conv(x, w)) = sum of every window: a direct check of the weight gradient
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 1, 4, 4))
    w = ag.tensor(rng.standard_normal((1, 1, 2, 2)), requires_grad=True)
    F.conv2d(ag.tensor(x), w).sum().backward()
    expected = np.array([[x[:, 0, i:i + 3, j:j + 3].sum() for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(w.grad.numpy()[0, 0], expected)


def test_unfold_and_fold_match_loops():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 5, 6))
    u = F.unfold(ag.tensor(x), (2, 3), dilation=1, padding=1, stride=2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (7 - 2) // 2 + 1, (8 - 3) // 2 + 1
    ref = np.stack([np.stack([xp[:, c, 2 * y + i, 2 * z + j]
                              for y in range(oh) for z in range(ow)], axis=-1)
                    for c in range(3) for i in range(2) for j in range(3)], axis=1)
    np.testing.assert_array_equal(u.numpy(), ref)
    # fold(unfold(ones)) counts how many windows cover each pixel
    ones = F.fold(F.unfold(ag.ones(1, 1, 4, 4, dtype=ag.float64), 2, stride=1), (4, 4), 2)
    np.testing.assert_array_equal(ones.numpy()[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2],
                                                       [2, 4, 4, 2], [1, 2, 2, 1]])


def test_conv2d_module_parameters_and_init():
    ag.manual_seed(0)
    m = nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, groups=2)
    assert dict((k, tuple(v.shape)) for k, v in m.named_parameters()) == {
        "weight": (8, 2, 3, 5), "bias": (8,)}
    fan_in = 2 * 3 * 5
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    for p in (m.weight, m.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(m.weight.numpy()).max() > 0.8 * bound  # uses the whole range
    out = m(ag.randn(2, 4, 9, 9))
    assert out.shape == (2, 8, 5, 4)
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None
    assert "groups=2" in repr(m)


def test_conv1d_module():
    m = nn.Conv1d(3, 5, 3, padding="same").double()
    x = np.random.default_rng(6).standard_normal((2, 3, 7))
    out = m(ag.tensor(x))
    ref = naive_conv2d(x[:, :, None], m.weight.numpy()[:, :, None], m.bias.numpy(),
                       padding=(0, 1))[:, :, 0]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)


def test_conv_module_trains():
    ag.manual_seed(0)
    m = nn.Conv2d(1, 1, 3, padding=1)
    x = ag.randn(4, 1, 5, 5)
    target = F.conv2d(x, ag.ones(1, 1, 3, 3) / 9.0, padding=1)  # learn a box blur
    first = None
    for _ in range(100):
        loss = ((m(x) - target) ** 2).mean()
        first = first if first is not None else loss.item()
        m.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in m.parameters():
                p.array -= 0.5 * p.grad.array
    assert loss.item() < 0.01 * first


@pytest.mark.parametrize("call, exc, words", [
    (lambda: F.conv2d(ag.randn(1, 3, 5, 5), ag.randn(2, 2, 3, 3)), ValueError, "groups"),
    (lambda: F.conv2d(ag.randn(3, 5), ag.randn(2, 3, 3, 3)), ValueError, "(N, C, H, W)"),
    (lambda: F.conv2d(ag.randn(1, 1, 2, 2), ag.randn(1, 1, 3, 3)), ValueError, "smaller"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(1, 1, 3, 3), stride=2, padding="same"),
     ValueError, "strided"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5, dtype=ag.float64), ag.randn(1, 1, 3, 3)),
     TypeError, "dtype"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(2, 1, 3, 3), ag.randn(3)), ValueError,
     "bias"),
    (lambda: F.conv2d(ag.randn(1, 1, 5, 5), ag.randn(1, 1, 3, 3), padding="full"), ValueError,
     "padding"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "divisible"),
])
def test_conv_errors_name_the_op_and_the_problem(call, exc, words):
    with pytest.raises(exc, match=None) as info:
        call()
    msg = str(info.value)
    assert words in msg and ("conv2d" in msg or "Conv2d" in msg)


def test_weights_copy_across_from_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1, groups=1),
                              torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(4, 6, (2, 3), stride=(1, 2), groups=2))
    ref.train()
    x = np.random.default_rng(7).standard_normal((2, 3, 8, 8)).astype(np.float32)
    ref(torch.from_numpy(x))  # one step of running statistics
    ref.eval()
    ours = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(4, 6, (2, 3), stride=(1, 2), groups=2))
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    ours.eval()
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(ag.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
