"""ONNX mappings of the core ops (``autograd.ops``): one table, Function class -> the
function that emits its ONNX nodes. ``nn/onnx_symbolics.py`` holds the nn layers'.

A symbolic gets the builder ``g`` and the traced ``node`` (``node.args`` as passed to
``apply``, ``node.outputs``) and returns its output names. Ops whose every input is a
constant never reach it (the exporter folds them).
"""

from __future__ import annotations

import numpy as np

from ..ops import arithmetic as ar
from ..ops._util import Expand
from ..ops.convert import Cast, Clone, ToDevice
from ..ops.indexing import GetItem
from ..ops.linalg import Einsum, MatMul
from ..ops.reduce import LogSumExp, MaxMin, Mean, Prod, SqrtOfVar, Sum, TakeAlong
from ..ops.scan import Cumsum
from ..ops.shape import Cat, Pad, Permute, Reshape, Split
from ..ops.softmax import LogSoftmax, Softmax
from . import OnnxExportError, register

_I64_MAX = np.iinfo(np.int64).max


def _onnx_dtype(g, dtype) -> int:
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


# --- element-wise ---------------------------------------------------------------------


def _unary(op_type):
    return lambda g, node: g.op(op_type, g.input(node, 0))


def _binary(op_type):
    return lambda g, node: g.op(op_type, g.input(node, 0), g.input(node, 1))


def _log1p(g, node):
    x = g.input(node, 0)
    return g.op("Log", g.op("Add", x, g.scalar(1, node.outputs[0].dtype)))


def _where(g, node):
    return g.op("Where", g.input(node, 0), g.input(node, 1), g.input(node, 2))


def _clamp(g, node):
    dt = node.outputs[0].dtype
    lo, hi = node.args[1], node.args[2]
    return g.op("Clip", g.input(node, 0), None if lo is None else g.scalar(lo, dt),
                None if hi is None else g.scalar(hi, dt))


def _cast(g, node):
    return g.op("Cast", g.input(node, 0), to=_onnx_dtype(g, node.outputs[0].dtype))


# --- reductions -----------------------------------------------------------------------


def _reduce_op(g, op_type, node, axes, keep):
    """``op_type`` over ``axes`` (None: all) of argument 0 of ``node``."""
    x = g.input(node, 0)
    if axes is None:  # every axis
        keep = False
        axes = tuple(range(len(node.arg_shapes(0)[0])))
    axes = [int(a) for a in axes]
    # ReduceSum takes its axes as an input from opset 13, the others from opset 18
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.op(op_type, x, g.ints(axes), keepdims=int(bool(keep)))
    return g.op(op_type, x, axes=axes, keepdims=int(bool(keep)))


def _reduce(op_type):
    return lambda g, node: _reduce_op(g, op_type, node, node.args[1], node.args[2])


def _maxmin(g, node):
    return _reduce("ReduceMax" if node.args[3] else "ReduceMin")(g, node)


def _take_along(g, node):
    """``max(dim)``/``min(dim)`` values: the indices are arrays the forward computed with
    argmax/argmin, so the mapping recomputes them (ReduceMax/ReduceMin give the values)."""
    x, idx, axis, keep = node.args
    xs = np.asarray(_host(x.array))
    idx = np.asarray(_host(idx))
    for op_type, arg in (("ReduceMax", np.argmax), ("ReduceMin", np.argmin)):
        if np.array_equal(idx, arg(xs, axis=axis)):
            return _reduce_op(g, op_type, node, (axis,), keep)
    raise OnnxExportError("onnx.export: TakeAlong with indices that are not the argmax or "
                          "argmin of its input has no ONNX mapping")


def _host(a):
    return a.get() if hasattr(a, "__cuda_array_interface__") else a


def _cumsum(g, node):
    return g.op("CumSum", g.input(node, 0), g.ints(int(node.args[1])))


# --- shapes ---------------------------------------------------------------------------


def _reshape(g, node):
    target = g.reshape_target(node.arg_shapes(0), node.out_shapes(0), "reshape")
    return g.op("Reshape", g.input(node, 0), target)


def _permute(g, node):
    return g.op("Transpose", g.input(node, 0), perm=[int(a) for a in node.args[1]])


def _expand(g, node):
    (i1, i2), (o1, o2) = node.arg_shapes(0), node.out_shapes(0)
    target = list(o1)
    lead = len(o1) - len(i1)
    for k, (a, b) in enumerate(zip(o1, o2)):
        if a != b:  # a dynamic axis: broadcasting keeps the input's own size
            j = k - lead
            if j < 0 or i1[j] != a or i2[j] != b:
                raise OnnxExportError(f"onnx.export: expand of {i1} to {o1} makes a dynamic "
                                      f"axis {k} the input does not have")
            target[k] = 1
    return g.op("Expand", g.input(node, 0), g.ints(target))


def _cat(g, node):
    return g.op("Concat", *[g.input(node, i) for i in range(1, len(node.args))],
                axis=int(node.args[0]))


def _split(g, node):
    sizes, dim = node.args[1], int(node.args[2])
    if node.args2 is not None and list(node.args2[1]) != list(sizes):
        raise OnnxExportError(f"onnx.export: split along axis {dim} into {list(sizes)} "
                              "depends on a dynamic axis")
    if len(sizes) == 1:
        return g.op("Identity", g.input(node, 0))
    return g.op("Split", g.input(node, 0), g.ints(list(sizes)), axis=dim, outputs=len(sizes))


def _pad(g, node):
    widths = node.args[1]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    value = g.scalar(node.args[2], node.outputs[0].dtype)
    return g.op("Pad", g.input(node, 0), g.ints(pads), value, mode="constant")


def _getitem(g, node):
    """Basic indexing: ints, slices, None and Ellipsis (as Slice, Squeeze, Unsqueeze)."""
    key = node.args[1]
    key = key if isinstance(key, tuple) else (key,)
    ndim = len(node.arg_shapes(0)[0])
    if any(not isinstance(k, int | slice | type(None) | type(Ellipsis)) for k in key):
        raise OnnxExportError("onnx.export: GetItem with array or mask indices "
                              f"({[type(k).__name__ for k in key]}) has no ONNX mapping; "
                              "use basic slicing or index_select-style ops")
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded += [slice(None)] * (ndim - used)
        else:
            expanded.append(k)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = 0  # axis of the input
    out_axis = 0  # axis in the result before squeezing
    for k in expanded:
        if k is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(k, int):
            starts.append(k)
            ends.append(k + 1 if k != -1 else _I64_MAX)
            steps.append(1)
            axes.append(axis)
            squeeze.append(axis)
        elif k != slice(None):
            step = 1 if k.step is None else k.step
            starts.append(k.start if k.start is not None else (0 if step > 0 else -1))
            ends.append(k.stop if k.stop is not None else
                        (_I64_MAX if step > 0 else -_I64_MAX))
            steps.append(step)
            axes.append(axis)
        axis += 1
        out_axis += 1
    x = g.input(node, 0)
    if axes:
        x = g.op("Slice", x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))
    if squeeze:
        x = g.op("Squeeze", x, g.ints(squeeze))
    if unsqueeze:  # positions counted in the result after squeezing
        after = [p - sum(1 for s in squeeze if s < p) for p in unsqueeze]
        x = g.op("Unsqueeze", x, g.ints(after))
    if x == g.input(node, 0):
        x = g.op("Identity", x)
    return x


# --- linear algebra and softmax -------------------------------------------------------


def _einsum(g, node):
    terms, out = node.args[0], node.args[1]
    return g.op("Einsum", *[g.input(node, i) for i in range(2, len(node.args))],
                equation=",".join(terms) + "->" + out)


def _softmax(op_type):
    return lambda g, node: g.op(op_type, g.input(node, 0), axis=int(node.args[1]))


SYMBOLIC_TABLE = {
    ar.Add: _binary("Add"),
    ar.Sub: _binary("Sub"),
    ar.Mul: _binary("Mul"),
    ar.Div: _binary("Div"),
    ar.Pow: _binary("Pow"),
    ar.AddScalar: _binary("Add"),
    ar.MulScalar: _binary("Mul"),
    ar.Maximum: _binary("Max"),
    ar.Minimum: _binary("Min"),
    ar.Where: _where,
    ar.Clamp: _clamp,
    ar.Neg: _unary("Neg"),
    ar.Exp: _unary("Exp"),
    ar.Log: _unary("Log"),
    ar.Log1p: _log1p,
    ar.Sqrt: _unary("Sqrt"),
    ar.Abs: _unary("Abs"),
    ar.Sin: _unary("Sin"),
    ar.Cos: _unary("Cos"),
    ar.Tanh: _unary("Tanh"),
    ar.Sigmoid: _unary("Sigmoid"),
    ar.Relu: _unary("Relu"),
    ar.Erf: _unary("Erf"),
    Cast: _cast,
    Clone: _unary("Identity"),
    ToDevice: _unary("Identity"),
    Sum: _reduce("ReduceSum"),
    Mean: _reduce("ReduceMean"),
    Prod: _reduce("ReduceProd"),
    LogSumExp: _reduce("ReduceLogSumExp"),
    MaxMin: _maxmin,
    TakeAlong: _take_along,
    SqrtOfVar: _unary("Sqrt"),
    Cumsum: _cumsum,
    Reshape: _reshape,
    Permute: _permute,
    Cat: _cat,
    Split: _split,
    Pad: _pad,
    Expand: _expand,
    GetItem: _getitem,
    MatMul: _binary("MatMul"),
    Einsum: _einsum,
    Softmax: _softmax("Softmax"),
    LogSoftmax: _softmax("LogSoftmax"),
}

for _cls, _sym in SYMBOLIC_TABLE.items():
    register(_cls)(_sym)
