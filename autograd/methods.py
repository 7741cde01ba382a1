"""Bind the ops of ``autograd.ops`` onto ``Tensor`` as methods and operators."""

from __future__ import annotations

from . import ops
from .tensor import Tensor


def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    method.__name__ = fn.__name__
    return method


def _size_args(fn):
    def method(self, *shape):
        return fn(self, *shape)

    method.__name__ = fn.__name__
    return method


_methods = {
    # operators
    "__add__": ops.add, "__radd__": _reflected(ops.add),
    "__sub__": ops.sub, "__rsub__": _reflected(ops.sub),
    "__mul__": ops.mul, "__rmul__": _reflected(ops.mul),
    "__truediv__": ops.div, "__rtruediv__": _reflected(ops.div),
    "__pow__": ops.pow, "__rpow__": _reflected(ops.pow),
    "__matmul__": ops.matmul, "__rmatmul__": _reflected(ops.matmul),
    "__neg__": ops.neg, "__abs__": ops.abs, "__pos__": lambda self: self,
    "__eq__": ops.eq, "__ne__": ops.ne, "__lt__": ops.lt, "__le__": ops.le,
    "__gt__": ops.gt, "__ge__": ops.ge,
    "__and__": ops.logical_and, "__or__": ops.logical_or, "__xor__": ops.logical_xor,
    "__invert__": ops.logical_not,
    "__getitem__": ops.getitem, "__setitem__": ops.setitem,
    # arithmetic and math
    "add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "pow": ops.pow,
    "matmul": ops.matmul, "neg": ops.neg, "abs": ops.abs, "exp": ops.exp, "log": ops.log,
    "log1p": ops.log1p, "sqrt": ops.sqrt, "rsqrt": ops.rsqrt, "sign": ops.sign,
    "sin": ops.sin, "cos": ops.cos, "tanh": ops.tanh, "sigmoid": ops.sigmoid,
    "relu": ops.relu, "erf": ops.erf, "square": ops.square, "reciprocal": ops.reciprocal,
    "maximum": ops.maximum, "minimum": ops.minimum, "clamp": ops.clamp, "clip": ops.clamp,
    "eq": ops.eq, "ne": ops.ne, "lt": ops.lt, "le": ops.le, "gt": ops.gt, "ge": ops.ge,
    "isnan": ops.isnan, "isinf": ops.isinf, "isfinite": ops.isfinite,
    "floor": ops.floor, "ceil": ops.ceil, "round": ops.round,
    "logical_not": ops.logical_not,
    # reductions
    "sum": ops.sum, "mean": ops.mean, "max": ops.max, "min": ops.min, "amax": ops.amax,
    "amin": ops.amin, "var": ops.var, "std": ops.std, "logsumexp": ops.logsumexp,
    "prod": ops.prod, "argmax": ops.argmax, "argmin": ops.argmin,
    "softmax": ops.softmax, "log_softmax": ops.log_softmax,
    # shape
    "reshape": _size_args(ops.reshape), "view": _size_args(ops.reshape),
    "permute": _size_args(ops.permute), "expand": _size_args(ops.expand_),
    "expand_as": ops.expand_as, "transpose": ops.transpose, "t": ops.t,
    "squeeze": ops.squeeze, "unsqueeze": ops.unsqueeze, "flatten": ops.flatten,
    "unflatten": ops.unflatten, "split": ops.split, "chunk": ops.chunk, "unbind": ops.unbind,
    "clone": ops.clone, "masked_fill": lambda self, mask, value: ops.where(mask, value, self),
    "where": lambda self, condition, other: ops.where(condition, self, other),
}

# complex tensors (issue 12: autograd.fft)
_methods.update({"conj": ops.conj, "angle": ops.angle, "is_complex": ops.is_complex})

for _name, _fn in _methods.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: ops.permute(self, tuple(range(self.data.ndim))[::-1]))
Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
Tensor.real = property(ops.real)
Tensor.imag = property(ops.imag)


def _iter(self):
    if self.data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(ops.unbind(self, 0))


Tensor.__iter__ = _iter
