"""ONNX mappings of the nn layers' Functions, added to ``autograd.onnx.SYMBOLICS`` (the
core ops' mappings are in ``autograd/onnx/ops.py``). One table below, keyed by the
Function classes where they live: when a Function is renamed or moved, its entry moves
with it. Loading this module needs no ``onnx`` package; only ``export`` does.

BatchNorm and LayerNorm in eval mode, Dropout in eval mode, attention and the
Transformer encoder are made of core ops (folded or mapped there); convolution is
``Im2Col -> MatMul -> ToBatchMajor``, which ``_to_batch_major`` writes as one ONNX
``Conv`` when it sees that pattern (and the exporter drops the unused im2col nodes), or,
for the CPU's Winograd path of a 3x3 kernel, ``WinogradInput -> MatMul ->
WinogradOutput`` with the (folded) ``WinogradWeight`` of the parameter, which
``_winograd_output`` writes as one ``Conv``.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import onnx as ag_onnx
from autograd.ops.linalg import MatMul

from .functional.activation import Elu, Gelu, GeluTanh, LeakyRelu, Silu, Softplus
from .functional.conv import Im2Col, ToBatchMajor, WinogradInput, WinogradOutput, WinogradWeight
from .functional.embedding import Gather
from .functional.linear import Linear
from .functional.pooling import MaxPool2d


def _linear(g, node):
    x, w, b = g.input(node, 0), g.input(node, 1), g.input(node, 2)
    if len(node.arg_shapes(0)[0]) == 2:
        return g.op("Gemm", x, w, b, transB=1)
    y = g.op("MatMul", x, g.op("Transpose", w, perm=[1, 0]))
    return y if b is None else g.op("Add", y, b)


def _leaky_relu(g, node):
    return g.op("LeakyRelu", g.input(node, 0), alpha=float(node.args[1]))


def _elu(g, node):
    alpha, scale = float(node.args[1]), float(node.args[2])
    if scale == 1.0:
        return g.op("Elu", g.input(node, 0), alpha=alpha)
    return g.op("Selu", g.input(node, 0), alpha=alpha, gamma=scale)


def _gelu(g, node):
    x, dt = g.input(node, 0), node.outputs[0].dtype
    if g.opset >= 20:
        return g.op("Gelu", x)
    cdf = g.op("Mul", g.op("Add", g.op("Erf", g.op("Mul", x, g.scalar(1 / math.sqrt(2), dt))),
                           g.scalar(1.0, dt)), g.scalar(0.5, dt))
    return g.op("Mul", x, cdf)


def _gelu_tanh(g, node):
    x, dt = g.input(node, 0), node.outputs[0].dtype
    if g.opset >= 20:
        return g.op("Gelu", x, approximate="tanh")
    cube = g.op("Mul", g.op("Mul", g.op("Mul", x, x), x), g.scalar(0.044715, dt))
    inner = g.op("Mul", g.op("Add", x, cube), g.scalar(math.sqrt(2 / math.pi), dt))
    half = g.op("Mul", g.op("Add", g.op("Tanh", inner), g.scalar(1.0, dt)), g.scalar(0.5, dt))
    return g.op("Mul", x, half)


def _silu(g, node):
    x = g.input(node, 0)
    return g.op("Mul", x, g.op("Sigmoid", x))


def _softplus(g, node):
    x, dt = g.input(node, 0), node.outputs[0].dtype
    beta, threshold = float(node.args[1]), float(node.args[2])
    z = x if beta == 1.0 else g.op("Mul", x, g.scalar(beta, dt))
    soft = g.op("Softplus", z)
    if beta != 1.0:
        soft = g.op("Div", soft, g.scalar(beta, dt))
    if math.isinf(threshold):
        return soft
    return g.op("Where", g.op("Greater", z, g.scalar(threshold, dt)), x, soft)


def _im2col(g, node):
    """x (N, C, H, W) -> cols (C*kh*kw, N*OH*OW) as a depthwise Conv whose kernels pick
    one tap each (exact: products by 1 and sums of zeros), then a transpose."""
    (kh, kw), s, p, d = node.args[1:5]
    c = node.arg_shapes(0)[0][1]
    dt = node.outputs[0].dtype
    picks = np.eye(kh * kw, dtype=dt).reshape(kh * kw, 1, kh, kw)
    w = g.const(np.tile(picks, (c, 1, 1, 1)))  # (C*kh*kw, 1, kh, kw), grouped by channel
    y = g.op("Conv", g.input(node, 0), w, kernel_shape=[kh, kw], strides=list(s),
             pads=[p[0], p[1], p[0], p[1]], dilations=list(d), group=c)
    y = g.op("Transpose", y, perm=[1, 0, 2, 3])  # (C*kh*kw, N, OH, OW)
    (n1, n2) = node.arg_shapes(0)[0][0], node.arg_shapes(0)[1][0]
    (o1, o2) = node.out_shapes(0)
    per = o1[1] // n1  # OH * OW
    in_shapes = ((o1[0], n1, per), (o2[0], n2, per))
    return g.op("Reshape", y, g.reshape_target(in_shapes, (o1, o2), "im2col"))


def _conv_pattern(g, node):
    """(x, weight (O, C, kh, kw), attributes) when ``node``'s y is
    ``MatMul(weight.reshape(O, -1), Im2Col(x))`` with a constant weight, else None."""
    mm = g.producers.get(id(node.args[0].array))
    if mm is None or mm.cls is not MatMul:
        return None
    w2, cols = mm.args
    im = g.producers.get(id(cols.array))
    if im is None or im.cls is not Im2Col or id(w2.array) in g.values or w2.ndim != 2:
        return None
    (kh, kw), s, p, d = im.args[1:5]
    c = im.arg_shapes(0)[0][1]
    if w2.shape[1] != c * kh * kw:
        return None
    shape4 = (w2.shape[0], c, kh, kw)
    base = getattr(w2.array, "base", None)  # the layer's (O, C, kh, kw) weight, reshaped
    if base is not None and id(base) in g.consts and tuple(base.shape) == shape4:
        weight = g.consts[id(base)]  # keep the parameter's name
    else:
        weight = g.const(w2.array.reshape(shape4))
    return im, weight, dict(kernel_shape=[kh, kw], strides=list(s),
                            pads=[p[0], p[1], p[0], p[1]], dilations=list(d))


def _to_batch_major(g, node):
    bias = g.input(node, 1)
    o = node.arg_shapes(0)[0][0]
    fused = _conv_pattern(g, node)
    if fused is not None:
        im, weight, attrs = fused
        bias_name = None if bias is None else g.op("Reshape", bias, g.ints([o]))
        return g.op("Conv", g.input(im, 0), weight, bias_name, **attrs)
    (y1, y2) = node.arg_shapes(0)
    n1, oh, ow = node.args[2:5]
    n2 = n1 if node.args2 is None else node.args2[2]
    target = g.reshape_target((y1, y2), ((o, n1, oh, ow), (o, n2, oh, ow)), "conv output")
    y = g.op("Transpose", g.op("Reshape", g.input(node, 0), target), perm=[1, 0, 2, 3])
    if bias is None:
        return y
    return g.op("Add", y, g.op("Reshape", bias, g.ints([1, o, 1, 1])))


def _winograd_input(g, node):
    """Read only by its product with the weight transform, which ``_winograd_output``
    replaces by one Conv (and the exporter then drops this node): a placeholder."""
    return g.op("Identity", g.input(node, 0))


def _winograd_output(g, node):
    """``WinogradOutput(MatMul(WinogradWeight(w), WinogradInput(x)), bias)``, the CPU's
    3x3 stride-1 convolution, as one ONNX Conv of x with w."""
    mm = g.producers.get(id(node.args[0].array))
    ops = (None, None) if mm is None or mm.cls is not MatMul else \
        tuple(g.producers.get(id(a.array)) for a in mm.args)
    wt, wi = ops
    if wt is None or wt.cls is not WinogradWeight or wi is None or wi.cls is not WinogradInput:
        raise ag_onnx.OnnxExportError(
            "onnx.export: WinogradOutput whose input is not MatMul(WinogradWeight(weight), "
            "WinogradInput(x)) (as conv2d makes it) has no ONNX mapping")
    ph, pw = wi.args[1]
    bias = g.input(node, 1)
    o = node.arg_shapes(0)[0][1]
    bias_name = None if bias is None else g.op("Reshape", bias, g.ints([o]))
    return g.op("Conv", g.input(wi, 0), g.input(wt, 0), bias_name, kernel_shape=[3, 3],
                strides=[1, 1], pads=[ph, pw, ph, pw], dilations=[1, 1])


def _max_pool2d(g, node):
    k, s, p, d = node.args[1:5]
    return g.op("MaxPool", g.input(node, 0), kernel_shape=list(k), strides=list(s),
                pads=[p[0], p[1], p[0], p[1]], dilations=list(d))


def _gather(g, node):
    if node.args[3] and node.args[2] is not None:
        raise ag_onnx.OnnxExportError("onnx.export: the padding-masked embedding gather of "
                                      "double backward has no ONNX mapping")
    return g.op("Gather", g.input(node, 0), g.input(node, 1), axis=0)


SYMBOLIC_TABLE = {
    Linear: _linear,
    LeakyRelu: _leaky_relu,
    Elu: _elu,
    Gelu: _gelu,
    GeluTanh: _gelu_tanh,
    Silu: _silu,
    Softplus: _softplus,
    Im2Col: _im2col,
    ToBatchMajor: _to_batch_major,
    WinogradInput: _winograd_input,
    WinogradOutput: _winograd_output,
    MaxPool2d: _max_pool2d,
    Gather: _gather,
}

for _cls, _sym in SYMBOLIC_TABLE.items():
    ag_onnx.register(_cls)(_sym)
