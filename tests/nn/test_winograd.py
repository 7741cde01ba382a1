"""The Winograd F(2x2, 3x3) path of conv2d (``nn/functional/_winograd_kernels.py`` and
the Winograd Functions of ``conv.py``): the numba loops against the whole-array
references, each transform against its adjoint, the convolution against an independent
NumPy one and against the im2col path, gradients of first and second order, which
layers take it, and the ONNX export of a layer that does.

A planted bug in any loop (a sign, a swapped tap, a tile's origin, the edge of an odd
output, the bias) changes a value that ``test_loops_equal_references`` or
``test_conv2d_equals_direct_convolution`` compares exactly or to 1e-12."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from backends import get_device
from nn.functional import _winograd_kernels as wk
from nn.functional import conv
from nn.testing.conv_ops import _np_conv2d

CPU = get_device("cpu").backend

# (N, C, H, W, padding): odd and even sizes, no padding, padding past a tile, 1x1 images
CASES = [(2, 3, 5, 7, (1, 1)), (1, 2, 4, 4, (0, 0)), (2, 1, 6, 3, (2, 2)),
         (1, 1, 3, 3, (0, 0)), (1, 2, 1, 2, (1, 1)), (3, 2, 6, 9, (0, 2)), (1, 1, 1, 1, (1, 1))]


def _out(h, w, padding):
    return h + 2 * padding[0] - 2, w + 2 * padding[1] - 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n,c,h,w,padding", CASES)
def test_loops_equal_references(n, c, h, w, padding, dtype):
    """Each numba loop gives its reference's values (to rounding of one add order)."""
    rng = np.random.default_rng(0)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    oh, ow = _out(h, w, padding)
    th, tw = wk.tiles(oh, ow)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    v = wk.input_transform(CPU, x, padding, th, tw)
    np.testing.assert_allclose(v, wk.input_transform_reference(np, x, padding, th, tw),
                               rtol=0, atol=tol)
    dv = rng.standard_normal(v.shape).astype(dtype)
    np.testing.assert_allclose(
        wk.input_transform_adjoint(CPU, dv, x.shape, padding, th, tw),
        wk.input_transform_adjoint_reference(np, dv, x.shape, padding, th, tw),
        rtol=0, atol=tol * 4)
    o = 3
    m = rng.standard_normal((16, o, n * th * tw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    for b in (bias, None):
        got = wk.output_transform(CPU, m, b, n, oh, ow)
        assert got.shape == (n, o, oh, ow) and got.dtype == dtype
        np.testing.assert_allclose(got, wk.output_transform_reference(np, m, b, n, oh, ow),
                                   rtol=0, atol=tol * 4)
    g = rng.standard_normal((n, o, oh, ow)).astype(dtype)
    np.testing.assert_allclose(wk.output_transform_adjoint(CPU, g),
                               wk.output_transform_adjoint_reference(np, g, th, tw),
                               rtol=0, atol=tol)


@pytest.mark.parametrize("n,c,h,w,padding", CASES)
def test_each_adjoint_is_the_transpose(n, c, h, w, padding):
    """<T x, y> = <x, T^T y> for the input, output and weight transforms (float64), with
    the compiled loops: the backward of each op is the other's forward."""
    rng = np.random.default_rng(1)
    oh, ow = _out(h, w, padding)
    th, tw = wk.tiles(oh, ow)
    x = rng.standard_normal((n, c, h, w))
    y = rng.standard_normal((16, c, n * th * tw))
    lhs = np.vdot(wk.input_transform(CPU, x, padding, th, tw), y)
    rhs = np.vdot(x, wk.input_transform_adjoint(CPU, y, x.shape, padding, th, tw))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)
    m = rng.standard_normal((16, 2, n * th * tw))
    g = rng.standard_normal((n, 2, oh, ow))
    assert np.vdot(wk.output_transform(CPU, m, None, n, oh, ow), g) == pytest.approx(
        np.vdot(m, wk.output_transform_adjoint(CPU, g)), rel=1e-12, abs=1e-12)
    w3 = rng.standard_normal((2, c, 3, 3))
    u = rng.standard_normal((16, 2, c))
    assert np.vdot(wk.weight_transform(np, w3), u) == pytest.approx(
        np.vdot(w3, wk.weight_transform_adjoint(np, u)), rel=1e-12)


def _winograd_conv(x, w, b, padding):
    out = conv._conv2d_winograd(x, w, b, padding)
    assert out.grad_fn is None or out.grad_fn.name() == "WinogradOutputBackward"
    return out


@pytest.mark.parametrize("n,c,h,w,padding", CASES)
def test_conv2d_equals_direct_convolution(n, c, h, w, padding):
    """The whole Winograd convolution against ``_np_conv2d`` (one slice per tap), with
    and without bias, and against the im2col path of F.conv2d."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((4, c, 3, 3))
    b = rng.standard_normal(4)
    for bias in (b, None):
        got = _winograd_conv(ag.tensor(x), ag.tensor(wt),
                             None if bias is None else ag.tensor(bias), padding)
        ref = _np_conv2d(x, wt, bias, padding=padding)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,c,h,w,padding", CASES[:4])
def test_gradients_first_and_second_order(n, c, h, w, padding):
    """gradcheck and gradgradcheck in float64 through x, weight and bias."""
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((n, c, h, w)), requires_grad=True)
    wt = ag.tensor(rng.standard_normal((2, c, 3, 3)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)

    def f(x, wt, b):
        return _winograd_conv(x, wt, b, padding)

    assert ag.gradcheck(f, (x, wt, b))
    assert ag.gradgradcheck(f, (x, wt, b))


def _path(x_shape, w_shape, dtype=np.float32, **kw):
    x = ag.tensor(np.ones(x_shape, dtype), requires_grad=True)
    w = ag.tensor(np.ones(w_shape, dtype), requires_grad=True)
    node = F.conv2d(x, w, **kw).grad_fn
    if len(x_shape) == 3:  # unbatched: the batch axis is removed last
        node = node.next_functions[0][0]
    return node.name()


def test_which_layers_take_it():
    """3x3, stride 1, dilation 1, no groups, >= WINOGRAD_MIN_CHANNELS input channels on
    the CPU: Winograd; everything else: im2col."""
    c = conv.WINOGRAD_MIN_CHANNELS
    assert _path((2, c, 6, 6), (4, c, 3, 3), padding=1) == "WinogradOutputBackward"
    assert _path((c, 6, 6), (4, c, 3, 3), padding="same") == "WinogradOutputBackward"
    assert _path((2, c, 6, 6), (4, c, 3, 3), np.float64) == "WinogradOutputBackward"
    im2col = "ToBatchMajorBackward"
    assert _path((2, c - 1, 6, 6), (4, c - 1, 3, 3), padding=1) == im2col
    assert _path((2, c, 6, 6), (4, c, 3, 3), stride=2) == im2col
    assert _path((2, c, 6, 6), (4, c, 3, 3), dilation=2) == im2col
    assert _path((2, 2 * c, 6, 6), (4, c, 3, 3), groups=2) == im2col
    assert _path((2, c, 6, 6), (4, c, 5, 5)) == im2col
    assert _path((2, c, 6, 6), (4, c, 3, 2)) == im2col


def test_layer_matches_im2col_path_in_float32(monkeypatch):
    """A realistic layer (32 -> 16 channels, 14x14, batch 8): forward and every gradient
    within float32 rounding of the im2col path."""
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((8, 32, 14, 14)).astype(np.float32)
    layer = nn.Conv2d(32, 16, 3, padding=1)
    results = []
    for threshold in (1, 10 ** 9):  # Winograd, then im2col
        monkeypatch.setattr(conv, "WINOGRAD_MIN_CHANNELS", threshold)
        layer.zero_grad()
        x = ag.tensor(x0, requires_grad=True)
        y = layer(x)
        (y * y).sum().backward()
        results.append([y.numpy(), x.grad.numpy(), layer.weight.grad.numpy(),
                        layer.bias.grad.numpy()])
    for a, b in zip(*results):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4 * np.abs(b).max())


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((4, 16, 9, 10)).astype(np.float32)
    w0 = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    b0 = rng.standard_normal(8).astype(np.float32)
    x, w, b = (ag.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = F.conv2d(x, w, b, padding=1)
    assert y.grad_fn.name() == "WinogradOutputBackward"
    y.sum().backward()
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    ty.sum().backward()
    for ours, theirs in ((y, ty), (x.grad, tx.grad), (w.grad, tw.grad), (b.grad, tb.grad)):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-4,
                                   atol=1e-4)


def test_onnx_export_writes_one_conv(tmp_path):
    """A Winograd layer exports as one ONNX Conv of the parameter (by its name), and
    onnxruntime reproduces the layer."""
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from autograd import onnx as ag_onnx

    model = nn.Sequential(nn.Conv2d(8, 6, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(6, 4, 3, bias=False))  # 6 channels: im2col
    model.eval()
    x = ag.tensor(np.random.default_rng(6).standard_normal((2, 8, 7, 5)).astype(np.float32))
    assert model[0](x).grad_fn.name() == "WinogradOutputBackward"
    path = tmp_path / "m.onnx"
    proto = ag_onnx.export(model, (x,), str(path))
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    assert len(convs) == 2 and "0.weight" in convs[0].input
    sess = ort.InferenceSession(str(path))
    out = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-5)


def test_empty_batch():
    x = ag.tensor(np.zeros((0, 8, 5, 5), np.float32), requires_grad=True)
    w = ag.tensor(np.ones((4, 8, 3, 3), np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.shape == (0, 4, 5, 5)
    y.sum().backward()
    assert x.grad.shape == x.shape and not w.grad.numpy().any()
