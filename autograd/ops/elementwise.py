"""More elementwise math: trigonometric and hyperbolic functions, logs and exponentials
in other bases, and the binary ``fmod remainder hypot atan2 copysign logaddexp lerp``.

Each Function's derivative is one line in its table entry, written with Tensor ops so
that ``create_graph=True`` differentiates it again.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..graph import Function
from ..recording import RECORDING, replayable
from ..tensor import Tensor, _wrap
from ._util import shape_of, sum_to
from .arithmetic import exp, log, maximum, promote, sign, where
from .compare import nondiff_binary, trunc

# --- unary: name -> (forward on arrays, derivative(x, out) as Tensors) ----------------

_LN2, _LN10 = math.log(2.0), math.log(10.0)

_UNARY = {
    "tan": (lambda xp, x: xp.tan(x), lambda x, out: 1 + out * out),
    "asin": (lambda xp, x: xp.arcsin(x), lambda x, out: (1 - x * x).rsqrt()),
    "acos": (lambda xp, x: xp.arccos(x), lambda x, out: -(1 - x * x).rsqrt()),
    "atan": (lambda xp, x: xp.arctan(x), lambda x, out: 1 / (1 + x * x)),
    "sinh": (lambda xp, x: xp.sinh(x), lambda x, out: cosh(x)),
    "cosh": (lambda xp, x: xp.cosh(x), lambda x, out: sinh(x)),
    "asinh": (lambda xp, x: xp.arcsinh(x), lambda x, out: (x * x + 1).rsqrt()),
    "acosh": (lambda xp, x: xp.arccosh(x), lambda x, out: (x * x - 1).rsqrt()),
    "atanh": (lambda xp, x: xp.arctanh(x), lambda x, out: 1 / (1 - x * x)),
    "log2": (lambda xp, x: xp.log2(x), lambda x, out: 1 / (x * _LN2)),
    "log10": (lambda xp, x: xp.log10(x), lambda x, out: 1 / (x * _LN10)),
    "exp2": (lambda xp, x: xp.exp2(x), lambda x, out: out * _LN2),
    "expm1": (lambda xp, x: xp.expm1(x), lambda x, out: out + 1),
}


class _Unary(Function):
    """Base of the ops of ``_UNARY``: ``_make_unary`` gives each subclass its ``fn`` (on
    arrays) and ``derivative`` (Tensors). The work is done here and in ``_unary`` (not in
    the factory's closures), so that mutation testing, which cannot reach code that runs
    only at import, sees it (issue 18)."""

    fn = derivative = None

    @classmethod
    def forward(cls, ctx, x):
        out = cls.fn(ctx.device.backend.xp, x)
        ctx.save_for_backward(x, out)
        return out

    @classmethod
    def backward(cls, ctx, g):
        x, out = ctx.saved_tensors
        return g * cls.derivative(x, out)


def _unary(op_cls, name, x):
    if x.array.dtype.kind != "f":
        x = _floating(x, name)
    return op_cls.apply(x)


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def _make_unary(name, forward, derivative):  # pragma: no mutate block
    Op = type(name.capitalize(), (_Unary,), {"fn": staticmethod(forward),
                                            "derivative": staticmethod(derivative)})

    def op(x: Tensor) -> Tensor:
        return _unary(Op, name, x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise ``{name}`` (integer inputs become the default float dtype); "
                  "differentiable.")
    return op


tan = _make_unary("tan", *_UNARY["tan"])
asin = _make_unary("asin", *_UNARY["asin"])
acos = _make_unary("acos", *_UNARY["acos"])
atan = _make_unary("atan", *_UNARY["atan"])
sinh = _make_unary("sinh", *_UNARY["sinh"])
cosh = _make_unary("cosh", *_UNARY["cosh"])
asinh = _make_unary("asinh", *_UNARY["asinh"])
acosh = _make_unary("acosh", *_UNARY["acosh"])
atanh = _make_unary("atanh", *_UNARY["atanh"])
log2 = _make_unary("log2", *_UNARY["log2"])
log10 = _make_unary("log10", *_UNARY["log10"])
exp2 = _make_unary("exp2", *_UNARY["exp2"])
expm1 = _make_unary("expm1", *_UNARY["expm1"])
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def deg2rad(x: Tensor) -> Tensor:
    """Degrees to radians."""
    return _floating(x, "deg2rad") * (math.pi / 180.0)


def rad2deg(x: Tensor) -> Tensor:
    """Radians to degrees."""
    return _floating(x, "rad2deg") * (180.0 / math.pi)



def sgn(x: Tensor) -> Tensor:
    """The sign of each element (``sign`` for real tensors); zero gradient."""
    return sign(x)


def _floating(x: Tensor, op: str) -> Tensor:
    kind = x.array.dtype.kind
    if kind == "c":  # a cast would drop the imaginary part
        raise TypeError(f"{op}: complex tensors are not supported (got "
                        f"{x.dtype}, shape {tuple(x.shape)})")
    return x if kind == "f" else x.to(dtypes.get_default_dtype())


# --- binary: forward on arrays, gradients (ga, gb) before unbroadcasting ---------------


class _Binary(Function):
    """Base of the binary ops below: subclasses give ``compute`` and ``grads``."""

    @staticmethod
    def compute(xp, a, b):
        raise NotImplementedError

    @staticmethod
    def grads(a, b, out, g, na, nb):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, b):
        out = cls.compute(ctx.device.backend.xp, a, b)
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(a, b, out)
        return out

    @classmethod
    def backward(cls, ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga, gb = cls.grads(a, b, out, g, na, nb)
        sa, sb = ctx.shapes
        return (sum_to(ga, sa) if na else None), (sum_to(gb, sb) if nb else None)


class Fmod(_Binary):
    @staticmethod
    def compute(xp, a, b):
        return xp.fmod(a, b)

    @staticmethod
    def grads(a, b, out, g, na, nb):  # a - trunc(a / b) * b
        return g, (-g * trunc(a / b) if nb else None)


class Remainder(_Binary):
    @staticmethod
    def compute(xp, a, b):
        return xp.remainder(a, b)

    @staticmethod
    def grads(a, b, out, g, na, nb):  # a - floor(a / b) * b
        from .compare import floor

        return g, (-g * floor(a / b) if nb else None)


class Hypot(_Binary):
    @staticmethod
    def compute(xp, a, b):
        return xp.hypot(a, b)

    @staticmethod
    def grads(a, b, out, g, na, nb):
        return (g * a / out if na else None), (g * b / out if nb else None)


class Atan2(_Binary):
    @staticmethod
    def compute(xp, a, b):
        return xp.arctan2(a, b)

    @staticmethod
    def grads(a, b, out, g, na, nb):  # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
        r2 = a * a + b * b
        return (g * b / r2 if na else None), (-g * a / r2 if nb else None)


class Copysign(_Binary):
    @staticmethod
    def compute(xp, a, b):
        return xp.copysign(a, b)

    @staticmethod
    def grads(a, b, out, g, na, nb):  # |a| * sign(b): d/da = sign(a) sign(b) = out / a
        return (g * where(a == 0, 0.0, out / where(a == 0, 1.0, a)) if na else None), (
            g * 0.0 if nb else None)


def _float_pair(a, b, op):
    a, b = promote(a, b, op)
    t = a if isinstance(a, Tensor) else b
    if t.array.dtype.kind != "f":
        _floating(t, op)  # complex: a cast would drop the imaginary part
        dt = dtypes.get_default_dtype()
        a = a.to(dt) if isinstance(a, Tensor) else float(a)
        b = b.to(dt) if isinstance(b, Tensor) else float(b)
    return a, b


def fmod(a, b) -> Tensor:
    """C ``fmod``: the remainder of ``a / b`` rounded toward zero (sign of ``a``)."""
    return Fmod.apply(*promote(a, b, "fmod"))


def remainder(a, b) -> Tensor:
    """Python's ``%``: the remainder of floor division (sign of ``b``)."""
    return Remainder.apply(*promote(a, b, "remainder"))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def floor_divide(a, b) -> Tensor:
    """``floor(a / b)`` (PyTorch >= 1.13 rounds down); integer inputs stay integer. Not
    differentiable (the gradient is zero almost everywhere)."""
    a, b = promote(a, b, "floor_divide")
    t = a if isinstance(a, Tensor) else b
    xa = a.array if isinstance(a, Tensor) else a
    xb = b.array if isinstance(b, Tensor) else b
    return _wrap(t.device.backend.xp.asarray(t.device.backend.xp.floor_divide(xa, xb)),
                 t.device)


def hypot(a, b) -> Tensor:
    """``sqrt(a**2 + b**2)`` without overflow."""
    return Hypot.apply(*_float_pair(a, b, "hypot"))


def atan2(a, b) -> Tensor:
    """The angle of the point ``(b, a)``: ``atan(a / b)`` in the right quadrant."""
    return Atan2.apply(*_float_pair(a, b, "atan2"))


arctan2 = atan2


def copysign(a, b) -> Tensor:
    """``|a|`` with the sign of ``b``."""
    return Copysign.apply(*_float_pair(a, b, "copysign"))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def nextafter(a, b) -> Tensor:
    """The next floating value after ``a`` toward ``b`` (not differentiable)."""
    a, b = promote(a, b, "nextafter")
    t = a if isinstance(a, Tensor) else b
    xa = a.array if isinstance(a, Tensor) else a
    xb = b.array if isinstance(b, Tensor) else b
    return _wrap(t.device.backend.xp.asarray(t.device.backend.xp.nextafter(xa, xb)),
                 t.device)


def logaddexp(a, b) -> Tensor:
    """``log(exp(a) + exp(b))`` computed stably."""
    a, b = _float_pair(a, b, "logaddexp")
    # m only shifts the computation: the result does not depend on it, so it is detached
    m = maximum(a, b).detach()
    m = where(m.isfinite(), m, 0.0)
    return log(exp(a - m) + exp(b - m)) + m


def logaddexp2(a, b) -> Tensor:
    """``log2(2**a + 2**b)`` computed stably."""
    a, b = _float_pair(a, b, "logaddexp2")
    return logaddexp(a * _LN2, b * _LN2) / _LN2


def lerp(start: Tensor, end, weight) -> Tensor:
    """``start + weight * (end - start)``; ``weight`` a number or a tensor."""
    return start + weight * (end - start)


# --- more elementwise ops: fused multiply-adds, min/max ignoring NaN, predicates, bits ---


def addcmul(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """``x + value * tensor1 * tensor2`` (the inputs broadcast)."""
    prod = tensor1 * tensor2
    return x + (prod if value == 1 else prod * value)


def addcdiv(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """``x + value * tensor1 / tensor2`` (integer division is refused, as PyTorch)."""
    if all(isinstance(t, Tensor) and t.array.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError("addcdiv: integer division of tensors is not supported; use "
                           "floating tensors (as PyTorch)")
    quot = tensor1 / tensor2
    return x + (quot if value == 1 else quot * value)


def clamp_min(x: Tensor, min) -> Tensor:
    """``clamp(x, min=min)``."""
    from .arithmetic import clamp

    return clamp(x, min=min)


def clamp_max(x: Tensor, max) -> Tensor:
    """``clamp(x, max=max)``."""
    from .arithmetic import clamp

    return clamp(x, max=max)


def float_power(a, b) -> Tensor:
    """``a ** b`` computed in float64 (the result is float64, as PyTorch)."""
    from .arithmetic import pow

    a = a.to(dtypes.float64) if isinstance(a, Tensor) else float(a)
    b = b.to(dtypes.float64) if isinstance(b, Tensor) else float(b)
    return pow(a, b)


def _nan_ignoring(a, b, pick_max, op):
    # where one side is NaN take the other; elsewhere maximum/minimum (ties split)
    from .arithmetic import maximum, minimum

    a, b = promote(a, b, op)
    t = a if isinstance(a, Tensor) else b
    xp = t.device.backend.xp
    a, b = (v if isinstance(v, Tensor) else _wrap(xp.asarray(v, dtype=t.array.dtype), t.device)
            for v in (a, b))
    out = maximum(a, b) if pick_max else minimum(a, b)
    if t.array.dtype.kind != "f":
        return out
    a_nan, b_nan = a.isnan(), b.isnan()
    return where(a_nan & ~b_nan, b, where(b_nan, a, out))


def fmax(a, b) -> Tensor:
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return _nan_ignoring(a, b, True, "fmax")


def fmin(a, b) -> Tensor:
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return _nan_ignoring(a, b, False, "fmin")


_NOGRAD = "Elementwise ``{name}`` (not differentiable; returns a new leaf)."
heaviside = nondiff_binary("heaviside", lambda xp, a, b: xp.heaviside(a, b), _NOGRAD)
gcd = nondiff_binary("gcd", lambda xp, a, b: xp.gcd(a, b), _NOGRAD, integers_only=True)
lcm = nondiff_binary("lcm", lambda xp, a, b: xp.lcm(a, b), _NOGRAD, integers_only=True)
bitwise_left_shift = nondiff_binary("bitwise_left_shift",
                                    lambda xp, a, b: xp.left_shift(a, b), _NOGRAD,
                                    integers_only=True)
bitwise_right_shift = nondiff_binary("bitwise_right_shift",
                                     lambda xp, a, b: xp.right_shift(a, b), _NOGRAD,
                                     integers_only=True)


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def bitwise_not(x: Tensor) -> Tensor:
    """Bitwise NOT of an integer or bool tensor (logical NOT for bool)."""
    if x.array.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: expected an integer or bool tensor, got {x.dtype}")
    return _wrap(x.device.backend.xp.invert(x.array), x.device)


def ldexp(x: Tensor, other) -> Tensor:
    """``x * 2 ** other``; differentiable in ``x``."""
    from .arithmetic import pow

    x = _floating(x, "ldexp")
    if not isinstance(other, Tensor):  # a number (PyTorch wants a tensor)
        return x * 2.0 ** float(other)
    return x * pow(2.0, other.to(x.dtype))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def frexp(x: Tensor):
    """``(mantissa, exponent)`` with ``x = mantissa * 2 ** exponent`` and |mantissa| in
    [0.5, 1) (exponent int32, as PyTorch); not differentiable."""
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating tensor, got {x.dtype}")
    m, e = x.device.backend.xp.frexp(x.array)
    return _Frexp(_wrap(m, x.device), _wrap(e.astype(np.int32), x.device))


def positive(x: Tensor) -> Tensor:
    """``x`` itself (``+x``); refused for bool tensors, as PyTorch."""
    if x.array.dtype.kind == "b":
        raise TypeError("positive: the + operator is not supported for bool tensors")
    return x


def rsub(x: Tensor, other, *, alpha=1) -> Tensor:
    """``other - alpha * x``."""
    return other - (x if alpha == 1 else x * alpha)


def _predicate_of(op, fn, x):
    """``op``'s result (``fn`` on arrays, a bool tensor); outside ``_predicate``'s closure
    so that mutation testing reaches it (see ``_Unary``)."""
    rec = RECORDING.rec
    if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
        return rec.step(op, (x,), {})
    xp = x.device.backend.xp
    return _wrap(xp.asarray(fn(xp, x.array)), x.device)


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def _predicate(name, fn):  # pragma: no mutate block
    def op(x: Tensor) -> Tensor:
        return _predicate_of(op, fn, x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (a bool tensor)."
    return op


signbit = _predicate("signbit", lambda xp, a: xp.signbit(a) if a.dtype.kind == "f"
                     else a < 0 if a.dtype.kind == "i" else xp.zeros(a.shape, bool))
isposinf = _predicate("isposinf", lambda xp, a: (a == xp.inf) if a.dtype.kind == "f"
                      else xp.zeros(a.shape, bool))
isneginf = _predicate("isneginf", lambda xp, a: (a == -xp.inf) if a.dtype.kind == "f"
                      else xp.zeros(a.shape, bool))
isreal = _predicate("isreal", lambda xp, a: xp.isreal(a) if a.dtype.kind == "c"
                    else xp.ones(a.shape, bool))


@replayable  # ag.compile: computed outside a Function (autograd/recording.py)
def isin(elements, test_elements, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements`` (a bool tensor
    of ``elements``' shape); either may be a number."""
    t = elements if isinstance(elements, Tensor) else test_elements
    xp = t.device.backend.xp
    e = elements.array if isinstance(elements, Tensor) else xp.asarray(elements)
    s = test_elements.array if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _wrap(xp.asarray(xp.isin(e, s, invert=invert)), t.device)


_Frexp = namedtuple("frexp", ["mantissa", "exponent"])


def fill(x: Tensor, value) -> Tensor:
    """A tensor like ``x`` filled with ``value`` (a number, or a 0-d tensor that then
    receives the gradient of every element); the out-of-place ``fill_``."""
    from ._util import expand

    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError(f"fill: value must be a number or a 0-d tensor, got shape "
                               f"{tuple(value.shape)}")
        return expand(value.to(x.array.dtype), x.array.shape)
    xp = x.device.backend.xp
    return _wrap(xp.full(x.array.shape, value, dtype=x.array.dtype), x.device)
