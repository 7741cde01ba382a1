"""Bind the ops of ``autograd.ops`` onto ``Tensor`` as methods and operators.

The ops import ``Tensor``, so their methods are bound here, after both exist, from the
tables below. Editors and type checkers see them through ``autograd/tensor.pyi``,
generated from the live class by ``python -m autograd._stubgen`` (a test keeps it
current): after adding a method here, run that command.
"""

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
    "permute": _size_args(ops.permute), "expand": _size_args(ops.expand_to),
    "expand_as": ops.expand_as, "transpose": ops.transpose, "t": ops.t,
    "squeeze": ops.squeeze, "unsqueeze": ops.unsqueeze, "flatten": ops.flatten,
    "unflatten": ops.unflatten, "split": ops.split, "chunk": ops.chunk, "unbind": ops.unbind,
    "clone": ops.clone, "masked_fill": lambda self, mask, value: ops.where(mask, value, self),
    "where": lambda self, condition, other: ops.where(condition, self, other),
}

# complex tensors, special and linalg functions as methods (issue 12: linalg helper)
from . import linalg as _linalg  # noqa: E402
from . import special as _special  # noqa: E402

_methods.update({
    "conj": ops.conj, "angle": ops.angle, "is_complex": ops.is_complex,
    "resolve_conj": ops.resolve_conj, "conj_physical": ops.conj_physical,
    "erfc": _special.erfc, "erfinv": _special.erfinv, "lgamma": _special.gammaln,
    "digamma": _special.digamma, "i0": _special.i0, "sinc": _special.sinc,
    "logit": _special.logit, "xlogy": _special.xlogy,
    "polygamma": lambda self, n: _special.polygamma(n, self),
    "mvlgamma": lambda self, p: _special.multigammaln(self, p),
    "det": _linalg.det, "logdet": _linalg.logdet, "slogdet": _linalg.slogdet,
    "inverse": _linalg.inv, "pinverse": _linalg.pinverse,
    "matrix_power": _linalg.matrix_power, "cholesky": _linalg.cholesky,
})

for _name, _fn in _methods.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: ops.permute(self, tuple(range(self.array.ndim))[::-1]))
Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
Tensor.real = property(ops.real)
Tensor.imag = property(ops.imag)


def _iter(self):
    if self.array.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(ops.unbind(self, 0))


Tensor.__iter__ = _iter


# --- issue 12 tensor ops, constructors and conveniences (ops helper) -----------------
import numpy as np  # noqa: E402

from . import compat, factories, random  # noqa: E402


def _new_like(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return factory(*size, **kw, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad)

    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return factories.full(tuple(size), fill_value, dtype=dtype or self.dtype,
                          device=device or self.device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from .tensor import tensor

    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def _size(self, dim=None):
    if dim is None:
        return compat.Size(self.array.shape)
    return self.array.shape[dim]


_plain_type = Tensor.type


def _type(self, dtype=None, non_blocking=False):
    """``x.type()`` (the dtype's name), or ``x.type(ag.FloatTensor)`` / ``"torch.
    LongTensor"`` / a dtype: a cast."""
    if isinstance(dtype, str) and dtype.rpartition(".")[2] in compat.LEGACY_TYPES:
        dtype = compat.LEGACY_TYPES[dtype.rpartition(".")[2]]
    if isinstance(dtype, compat._LegacyType):
        return self.to(dtype.dtype)
    return _plain_type(self, dtype)


def _bernoulli(self, p=None, *, generator=None):
    return random.bernoulli(self, p, generator=generator)


def _multinomial(self, num_samples, replacement=False, *, generator=None):
    return random.multinomial(self, num_samples, replacement, generator=generator)


_issue12_methods = {
    "__floordiv__": ops.floor_divide, "__rfloordiv__": _reflected(ops.floor_divide),
    "__mod__": ops.remainder, "__rmod__": _reflected(ops.remainder),
    # elementwise
    "tan": ops.tan, "asin": ops.asin, "acos": ops.acos, "atan": ops.atan, "sinh": ops.sinh,
    "cosh": ops.cosh, "asinh": ops.asinh, "acosh": ops.acosh, "atanh": ops.atanh,
    "arcsin": ops.asin, "arccos": ops.acos, "arctan": ops.atan, "arcsinh": ops.asinh,
    "arccosh": ops.acosh, "arctanh": ops.atanh, "log2": ops.log2, "log10": ops.log10,
    "exp2": ops.exp2, "expm1": ops.expm1, "deg2rad": ops.deg2rad, "rad2deg": ops.rad2deg,
    "sgn": ops.sgn, "fix": ops.trunc,
    "fmod": ops.fmod, "remainder": ops.remainder, "floor_divide": ops.floor_divide,
    "hypot": ops.hypot, "atan2": ops.atan2, "arctan2": ops.atan2, "copysign": ops.copysign,
    "logaddexp": ops.logaddexp, "logaddexp2": ops.logaddexp2, "nextafter": ops.nextafter,
    "lerp": ops.lerp, "nan_to_num": ops.nan_to_num, "absolute": ops.abs,
    "negative": ops.neg,
    # sorting and scans
    "sort": ops.sort, "argsort": ops.argsort, "msort": ops.msort, "topk": ops.topk,
    "kthvalue": ops.kthvalue, "median": ops.median, "nanmedian": ops.nanmedian,
    "mode": ops.mode, "cumsum": ops.cumsum, "cumprod": ops.cumprod, "cummax": ops.cummax,
    "cummin": ops.cummin, "logcumsumexp": ops.logcumsumexp,
    # gather and scatter
    "gather": ops.gather, "scatter": ops.scatter, "scatter_add": ops.scatter_add,
    "scatter_reduce": ops.scatter_reduce, "index_select": ops.index_select,
    "index_add": ops.index_add, "take": ops.take, "take_along_dim": ops.take_along_dim,
    "masked_select": ops.masked_select, "masked_scatter": ops.masked_scatter,
    # searching and counting
    "nonzero": ops.nonzero, "argwhere": ops.argwhere, "unique": ops.unique,
    "unique_consecutive": ops.unique_consecutive, "bincount": ops.bincount,
    "histc": ops.histc, "all": ops.all, "any": ops.any, "isclose": ops.isclose,
    "count_nonzero": ops.count_nonzero,
    # layout
    "flip": _size_args(ops.flip), "fliplr": ops.fliplr, "flipud": ops.flipud,
    "roll": ops.roll, "rot90": ops.rot90, "repeat": _size_args(ops.repeat),
    "repeat_interleave": ops.repeat_interleave, "tile": ops.tile,
    "diag": ops.diag, "diag_embed": ops.diag_embed, "diagflat": ops.diagflat,
    "tril": ops.tril, "triu": ops.triu,
    "trace": ops.trace, "outer": ops.outer, "ger": ops.outer, "kron": ops.kron,
    "cross": ops.cross, "movedim": ops.movedim, "moveaxis": ops.movedim,
    "swapaxes": ops.swapaxes, "swapdims": ops.swapaxes, "broadcast_to": ops.broadcast_to,
    # products
    "mm": ops.mm, "bmm": ops.bmm, "mv": ops.mv, "dot": ops.dot, "vdot": ops.vdot,
    "inner": ops.inner, "addmm": ops.addmm, "addmv": ops.addmv, "addbmm": ops.addbmm,
    "baddbmm": ops.baddbmm,
    # statistics
    "norm": ops.norm, "dist": ops.dist, "renorm": ops.renorm, "diff": ops.diff,
    "aminmax": ops.aminmax, "nansum": ops.nansum, "nanmean": ops.nanmean,
    # random
    "bernoulli": _bernoulli, "multinomial": _multinomial,
    # constructors and conveniences
    "new_zeros": _new_like(factories.zeros), "new_ones": _new_like(factories.ones),
    "new_empty": _new_like(factories.empty), "new_full": _new_full,
    "new_tensor": _new_tensor,
    "type_as": lambda self, other: self.to(other.dtype),
    "view_as": lambda self, other: ops.reshape(self, other.shape),
    "reshape_as": lambda self, other: ops.reshape(self, other.shape),
    "nelement": Tensor.numel,
    "is_floating_point": lambda self: self.array.dtype.kind == "f",
    "size": _size, "type": _type,
    # more elementwise, indexing and layout ops
    "addcmul": ops.addcmul, "addcdiv": ops.addcdiv, "clamp_min": ops.clamp_min,
    "clamp_max": ops.clamp_max, "float_power": ops.float_power, "fmax": ops.fmax,
    "fmin": ops.fmin, "heaviside": ops.heaviside, "gcd": ops.gcd, "lcm": ops.lcm,
    "bitwise_not": ops.bitwise_not,
    "bitwise_left_shift": ops.bitwise_left_shift,
    "bitwise_right_shift": ops.bitwise_right_shift, "ldexp": ops.ldexp, "frexp": ops.frexp,
    "positive": ops.positive, "signbit": ops.signbit, "isneginf": ops.isneginf,
    "isposinf": ops.isposinf, "isreal": ops.isreal,
    "index_copy": ops.index_copy, "index_fill": ops.index_fill, "index_put": ops.index_put,
    "index_reduce": ops.index_reduce, "put": ops.put, "select_scatter": ops.select_scatter,
    "slice_scatter": ops.slice_scatter, "diagonal_scatter": ops.diagonal_scatter,
    "ravel": ops.ravel, "select": ops.select, "tensor_split": ops.tensor_split,
    "hsplit": ops.hsplit, "vsplit": ops.vsplit, "dsplit": ops.dsplit,
    "split_with_sizes": ops.split_with_sizes, "sum_to_size": _size_args(ops.sum_to_size),
    "addr": ops.addr, "cov": ops.cov, "corrcoef": ops.corrcoef, "quantile": ops.quantile,
    "nanquantile": ops.nanquantile, "histogram": ops.histogram,
    "byte": lambda self: self.to(np.uint8), "char": lambda self: self.to(np.int8),
    "short": lambda self: self.to(np.int16),
    "fill": ops.fill,
    "nonzero_static": ops.nonzero_static, "unsafe_chunk": ops.chunk,
    "unsafe_split": ops.split,
}

for _name, _fn in _issue12_methods.items():
    setattr(Tensor, _name, _fn)

# --- in-place ops, in-place operators, views and storage (issue 11) ---
from .ops import inplace as _ip  # noqa: E402
from .ops import rounding as _rounding  # noqa: E402
from .ops import views as _views  # noqa: E402

_inplace_methods = {
    "__iadd__": _ip.iadd, "__isub__": _ip.isub, "__imul__": _ip.imul,
    "__itruediv__": _ip.itruediv, "__ipow__": _ip.ipow, "__setitem__": _ip.setitem,
    "add_": _ip.add_, "sub_": _ip.sub_, "mul_": _ip.mul_, "div_": _ip.div_,
    "pow_": _ip.pow_, "neg_": _ip.neg_, "exp_": _ip.exp_, "log_": _ip.log_,
    "log1p_": _ip.log1p_, "sqrt_": _ip.sqrt_, "rsqrt_": _ip.rsqrt_, "abs_": _ip.abs_,
    "sin_": _ip.sin_, "cos_": _ip.cos_, "tanh_": _ip.tanh_, "sigmoid_": _ip.sigmoid_,
    "relu_": _ip.relu_, "erf_": _ip.erf_, "square_": _ip.square_,
    "reciprocal_": _ip.reciprocal_, "clamp_": _ip.clamp_, "clip_": _ip.clamp_,
    "clamp_min_": _ip.clamp_min_, "clamp_max_": _ip.clamp_max_, "lerp_": _ip.lerp_,
    "addcmul_": _ip.addcmul_, "addcdiv_": _ip.addcdiv_, "copy_": _ip.copy_,
    "fill_": _ip.fill_, "zero_": _ip.zero_, "masked_fill_": _ip.masked_fill_,
    "masked_scatter_": _ip.masked_scatter_, "uniform_": _ip.uniform_,
    "normal_": _ip.normal_, "bernoulli_": _ip.bernoulli_,
    "exponential_": _ip.exponential_, "random_": _ip.random_,
    "sign_": _ip.sign_, "floor_": _ip.floor_, "ceil_": _ip.ceil_, "round_": _ip.round_,
    "trunc_": _ip.trunc_, "frac_": _ip.frac_,
    "index_add_": _ip.index_add_, "index_copy_": _ip.index_copy_,
    "index_fill_": _ip.index_fill_, "scatter_": _ip.scatter_,
    "scatter_add_": _ip.scatter_add_, "scatter_reduce_": _ip.scatter_reduce_,
    "index_copy": _ip.index_copy, "index_fill": _ip.index_fill,
    "sign": _rounding.sign, "floor": _rounding.floor, "ceil": _rounding.ceil,
    "round": _rounding.round, "trunc": _rounding.trunc, "frac": _rounding.frac,
    "view": _size_args(_views.view), "contiguous": _views.contiguous,
    "narrow": _views.narrow, "diagonal": _views.diagonal, "unfold": _views.unfold,
}

for _name, _fn in _inplace_methods.items():
    setattr(Tensor, _name, _fn)

# issue 12/16 edge cases (reliab): & | ^ bitwise as PyTorch's (logical_* take any dtype)
_reliab_methods = {
    "__and__": ops.bitwise_and, "__or__": ops.bitwise_or, "__xor__": ops.bitwise_xor,
    "__rand__": _reflected(ops.bitwise_and), "__ror__": _reflected(ops.bitwise_or),
    "__rxor__": _reflected(ops.bitwise_xor),
    "bitwise_and": ops.bitwise_and, "bitwise_or": ops.bitwise_or,
    "bitwise_xor": ops.bitwise_xor, "logical_and": ops.logical_and,
    "logical_or": ops.logical_or, "logical_xor": ops.logical_xor,
}
for _name, _fn in _reliab_methods.items():
    setattr(Tensor, _name, _fn)
