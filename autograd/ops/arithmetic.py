"""Elementwise arithmetic and math: each op's gradient rule sits beside its forward."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..grad_mode import STATE
from ..graph import Function
from ..tensor import Tensor, _wrap
from ._util import conj_of, shape_of, sum_to
from .rounding import sign  # noqa: F401  (a step function: zero gradient, as PyTorch)

# --- binary (either argument may be a Python scalar; broadcasting is undone by sum_to)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a + b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (sum_to(g, sa) if na else None), (sum_to(g, sb) if nb else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a - b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (sum_to(g, sa) if na else None), (sum_to(-g, sb) if nb else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            a, b = conj_of(a), conj_of(b)
        return (sum_to(g * b, a.shape) if na else None), (sum_to(g * a, b.shape) if nb else None)


class AddScalar(Function):
    """``x + c`` for a Python number ``c``: nothing to save, gradient passes through."""

    @staticmethod
    def forward(ctx, x, c):
        return x + c

    @staticmethod
    def backward(ctx, g):
        return g, None


class MulScalar(Function):
    """``x * c`` for a Python number ``c``: the constant is kept, nothing is saved."""

    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        return x * c

    @staticmethod
    def backward(ctx, g):
        return MulScalar.apply(g, ctx.c), None


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            a, b = conj_of(a), conj_of(b)
        ga = sum_to(g / b, a.shape) if na else None
        gb = sum_to(-g * a / (b * b), b.shape) if nb else None
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        # the output only for the exponent's gradient: saved otherwise, a later in-place
        # change of it would make backward refuse where PyTorch does not (x.pow_(2).add_(1))
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            a, b, out = conj_of(a), conj_of(b), conj_of(out)
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:  # b * a**(b-1), exactly 0 where b == 0 (0 * 0**-1 would be NaN), as PyTorch
            if isinstance(b, int | float):
                if b == 0:
                    ga = _wrap(ctx.device.backend.xp.zeros_like(a.array), a.device)
                else:
                    ga = g * (a * 2) if b == 2 else g * (a ** (b - 1) * b)
            else:
                ga = sum_to(where(b == 0, 0.0, g * b * a ** (b - 1)), a.shape)
        if nb:
            # d(a**b)/db = a**b log a, taken as 0 where a == 0 and b >= 0 (the limit), so
            # -inf only where 0**b is infinite (b < 0), as PyTorch
            if isinstance(a, Tensor):
                log_a = log(where((a == 0) & (b >= 0), 1.0, a))
            elif a > 0:
                log_a = math.log(a)
            else:  # a constant base <= 0: the limit at 0, NaN below (log of a negative)
                xp = ctx.device.backend.xp
                log_a = _wrap(xp.where(b.array >= 0, 0.0, -math.inf if a == 0 else math.nan)
                              .astype(b.array.dtype), b.device)
            gb = sum_to(g * out * log_a, b.shape)
        return ga, gb


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.device.backend.xp
        ctx.shapes = (shape_of(a), shape_of(b))
        out = xp.maximum(a, b)
        ctx.save_for_backward(*_shares(a, b, a < b, a > b, out.dtype))
        return out

    @staticmethod
    def backward(ctx, g):
        wa, wb = ctx.saved_tensors  # constants, so the 2nd derivative is 0
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        ga = sum_to(g * wa, sa) if na else None
        gb = sum_to(g * wb, sb) if nb else None
        return ga, gb


def _shares(a, b, a_loses, b_loses, dtype):
    """Each side's share of a maximum/minimum gradient, as PyTorch: ties split it, and
    where either side is NaN (no side loses) both get all of it."""
    tie = 0.5 * (a == b)
    return (1 - a_loses - tie).astype(dtype), (1 - b_loses - tie).astype(dtype)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        xp = ctx.device.backend.xp
        ctx.shapes = (shape_of(a), shape_of(b))
        out = xp.minimum(a, b)
        ctx.save_for_backward(*_shares(a, b, a > b, a < b, out.dtype))
        return out

    backward = Maximum.backward


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        ctx.save_for_backward(cond)
        return ctx.device.backend.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        ga = sum_to(Where.apply(cond, g, 0.0), sa) if na else None
        gb = sum_to(Where.apply(cond, 0.0, g), sb) if nb else None
        return None, ga, gb


# --- unary ---------------------------------------------------------------------------


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = ctx.device.backend.xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            out = conj_of(out)
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            x = conj_of(x)
        return g / x


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            x = conj_of(x)
        return g / (x + 1)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = ctx.device.backend.xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            out = conj_of(out)
        return g / (out * 2)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sign(x)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            x = conj_of(x)
        return g * cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            x = conj_of(x)
        return -g * sin(x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = ctx.device.backend.xp.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if g.array.dtype.kind == "c":  # complex: the conjugate (PyTorch's convention)
            out = conj_of(out)
        return g * (1 - out * out)


def stable_sigmoid(xp, x):
    """1 / (1 + exp(-x)) on arrays, in x's dtype: the one stable formula (exp of a
    non-positive number only, so large |x| neither overflows nor NaNs)."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def stable_softplus(xp, z):
    """log(1 + exp(z)) on arrays as max(z, 0) + log1p(exp(-|z|)): no overflow for any z."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = stable_sigmoid(ctx.device.backend.xp, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Relu(Function):
    """max(x, 0), one pass; backward reads the result, as PyTorch's
    ``threshold_backward`` does (so changing it in place before backward is refused)."""

    @staticmethod
    def forward(ctx, x):
        out = ctx.device.backend.xp.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return ReluGrad.apply(g, out)


class ReluGrad(Function):
    """``g`` where relu let its input through, else 0: where its result is nonzero, i.e.
    x > 0 or x is NaN (NaN passes its gradient, as in PyTorch; -0.0 and 0 do not).
    Linear in ``g``; the result's derivative is zero almost everywhere."""

    @staticmethod
    def forward(ctx, g, out):
        ctx.save_for_backward(out)
        return g * (out != 0)

    @staticmethod
    def backward(ctx, gg):
        (out,) = ctx.saved_tensors
        return ReluGrad.apply(gg, out), None


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * exp(-(x * x))


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = ctx.device.backend.xp
        out = xp.clip(x, lo, hi)  # clamp() ensures at least one bound is given
        if lo is None:
            mask = x <= hi
        elif hi is None:
            mask = x >= lo
        else:
            mask = (x >= lo) & (x <= hi)
        ctx.save_for_backward(mask)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return Mul.apply(g, mask), None, None


# --- Python-facing functions: scalars, promotion ------------------------------------

_scalar_types = (int, float, bool, np.integer, np.floating, np.bool_)


def _scalar(v):
    return v.item() if isinstance(v, np.generic) else v


def promote(a, b, op: str):
    """Return ``(a, b)`` ready for a binary Function: Tensors of one dtype, or one
    Tensor and a Python scalar that does not widen it (PyTorch's promotion rules)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and type(b) is float and a.array.dtype.kind == "f":
        return a, b  # the common case: a float tensor and a Python float
    if ta and tb:
        da, db = a.array.dtype, b.array.dtype
        if da is db or da == db:
            return a, b
        dt = dtypes.result_type(da, db, a.array.ndim == 0, b.array.ndim == 0)
        return (a if da == dt else a.to(dt)), (b if db == dt else b.to(dt))
    if ta:
        t, s, first = a, b, True
    elif tb:
        t, s, first = b, a, False
    else:
        raise TypeError(f"{op}: expected a Tensor operand, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if isinstance(s, _scalar_types):
        s = _scalar(s)
        dt = dtypes.scalar_result_type(t.array.dtype, s)
        if dt != t.array.dtype:
            t = t.to(dt)
    else:
        try:
            s = Tensor(s, device=t.device)
        except TypeError as exc:
            raise TypeError(f"{op}: unsupported operand of type {type(s).__name__}") from exc
        return promote(t, s, op) if first else promote(s, t, op)
    return (t, s) if first else (s, t)


def _scalar_op(a, b):
    """``(tensor, number)`` when one side is a floating tensor and the other a Python
    number (the scalar ops apply, no promotion needed), else None."""
    tb = type(b)
    if tb is float or tb is int:
        if isinstance(a, Tensor) and a.array.dtype.kind == "f":
            return a, b
        return None
    ta = type(a)
    if (ta is float or ta is int) and isinstance(b, Tensor) and b.array.dtype.kind == "f":
        return b, a
    return None


def _same_float_pair(a, b) -> bool:
    """Two float tensors of one dtype and device. While no graph is recorded (no_grad, or
    a plain backward) a binary op on them is just the array call, without building a
    ctx, so Tensor ops in backward formulas cost little more than the arithmetic."""
    return (isinstance(a, Tensor) and isinstance(b, Tensor) and a.device is b.device
            and a.array.dtype == b.array.dtype and a.array.dtype.kind == "f")


def _result(out, device) -> Tensor:
    return _wrap(np.asarray(out) if isinstance(out, np.generic) else out, device)


def _scaled(a, b, alpha, op):
    """``alpha * b`` for ``add``/``sub`` with ``alpha=`` (PyTorch refuses a float alpha
    with integer operands rather than silently truncating it)."""
    if isinstance(alpha, float) and all(
            not isinstance(t, Tensor) or t.array.dtype.kind in "biu" for t in (a, b)) \
            and not isinstance(a, float) and not isinstance(b, float):
        raise RuntimeError(f"{op}: for integral inputs alpha must not be a floating point "
                           f"number, got alpha={alpha}")
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def add(a, b, *, alpha=1) -> Tensor:
    """``a + alpha * b`` with broadcasting and PyTorch's type promotion."""
    if alpha != 1:
        return add(a, _scaled(a, b, alpha, "add"))
    if not STATE.enabled and _same_float_pair(a, b):
        try:
            return _result(a.array + b.array, a.device)
        except ValueError:
            pass  # shapes that do not broadcast: Add.apply names them
    pair = _scalar_op(a, b)
    if pair is not None:
        return AddScalar.apply(*pair)
    return Add.apply(*promote(a, b, "add"))


def sub(a, b, *, alpha=1) -> Tensor:
    """``a - alpha * b`` with broadcasting and PyTorch's type promotion."""
    if alpha != 1:
        return sub(a, _scaled(a, b, alpha, "sub"))
    if not STATE.enabled and _same_float_pair(a, b):
        try:
            return _result(a.array - b.array, a.device)
        except ValueError:
            pass
    if type(b) in (float, int) and isinstance(a, Tensor) and a.array.dtype.kind == "f":
        return AddScalar.apply(a, -b)  # x - c == x + (-c) exactly in IEEE arithmetic
    return Sub.apply(*promote(a, b, "sub"))


def mul(a, b) -> Tensor:
    if not STATE.enabled and _same_float_pair(a, b):
        try:
            return _result(a.array * b.array, a.device)
        except ValueError:
            pass
    pair = _scalar_op(a, b)
    if pair is not None:
        return MulScalar.apply(*pair)
    return Mul.apply(*promote(a, b, "mul"))


def div(a, b, *, rounding_mode: str | None = None) -> Tensor:
    """``a / b`` (true division: integers give the default float dtype). With
    ``rounding_mode="trunc"`` or ``"floor"`` the quotient is rounded toward zero or down
    and keeps an integer dtype for integer inputs (not differentiable, as in PyTorch)."""
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    if not STATE.enabled and _same_float_pair(a, b):
        try:
            return _result(a.array / b.array, a.device)
        except ValueError:
            pass
    a, b = promote(a, b, "div")
    # true division of integers gives the default float dtype
    if isinstance(a, Tensor) and a.array.dtype.kind not in "fc":
        a = a.to(dtypes.get_default_dtype())
        if isinstance(b, Tensor):
            b = b.to(a.dtype)
    elif isinstance(b, Tensor) and b.array.dtype.kind not in "fc":
        b = b.to(dtypes.get_default_dtype())
    return Div.apply(a, b)


def _rounded_div(a, b, mode) -> Tensor:
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                           f"{mode!r}")
    a, b = promote(a, b, "div")
    t = a if isinstance(a, Tensor) else b
    xp = t.device.backend.xp
    xa = a.array if isinstance(a, Tensor) else a
    xb = b.array if isinstance(b, Tensor) else b
    if t.array.dtype.kind in "biu":
        if bool(xp.any(xp.asarray(xb) == 0)):
            raise RuntimeError(f"div: integer division by zero (rounding_mode={mode!r})")
        q = xp.floor_divide(xa, xb)
        if mode == "trunc":  # C's rounding toward zero: floor + 1 where inexact and negative
            q = q + ((q * xb != xa) & ((xa < 0) != (xb < 0)))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            q = xp.floor_divide(xa, xb) if mode == "floor" else xp.trunc(xa / xb)
    return _result(xp.asarray(q, dtype=t.array.dtype), t.device)


def pow(a, b) -> Tensor:
    return Pow.apply(*promote(a, b, "pow"))


def maximum(a, b) -> Tensor:
    return Maximum.apply(*promote(a, b, "maximum"))


def minimum(a, b) -> Tensor:
    return Minimum.apply(*promote(a, b, "minimum"))


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` else ``b``; ``a``/``b`` may be scalars; broadcasts."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = promote(a, b, "where")
        dev = a.device if isinstance(a, Tensor) else b.device
    else:
        raise TypeError("where: at least one of the two value arguments must be a Tensor")
    if not isinstance(condition, Tensor):
        condition = Tensor(condition, device=dev)
    if condition.array.dtype.kind != "b":
        from .compare import ne  # (compare imports this module)

        condition = ne(condition, 0)
    return Where.apply(condition, a, b)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


def _float_unary(fn, name, complex_ok=True):
    def op(x: Tensor) -> Tensor:
        kind = x.array.dtype.kind
        if kind != "f":
            if kind == "c" and not complex_ok:
                raise TypeError(f"{name}: complex tensors are not supported (got {x.dtype}, "
                                f"shape {tuple(x.shape)})")
            if kind != "c":  # complex stays complex
                x = x.to(dtypes.get_default_dtype())
        return fn.apply(x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise ``{name}`` (integer inputs become the default float dtype; "
                  "complex ones stay complex).")
    return op


exp = _float_unary(Exp, "exp")
log = _float_unary(Log, "log")
log1p = _float_unary(Log1p, "log1p")
sqrt = _float_unary(Sqrt, "sqrt")
sin = _float_unary(Sin, "sin")
cos = _float_unary(Cos, "cos")
tanh = _float_unary(Tanh, "tanh")
sigmoid = _float_unary(Sigmoid, "sigmoid", complex_ok=False)
erf = _float_unary(Erf, "erf", complex_ok=False)


def abs(x: Tensor) -> Tensor:
    if x.array.dtype.kind == "c":  # |z| of a complex tensor, PyTorch's complex gradient
        from .complex import complex_abs

        return complex_abs(x)
    return Abs.apply(x)


def relu(x: Tensor) -> Tensor:
    return Relu.apply(x)


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient is 1 inside the range, else 0."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    lo = None if min is None else _scalar(min)
    hi = None if max is None else _scalar(max)
    if x.array.dtype.kind != "f" and isinstance(lo, float) | isinstance(hi, float):
        x = x.to(dtypes.get_default_dtype())
    return Clamp.apply(x, lo, hi)


def square(x: Tensor) -> Tensor:
    return mul(x, x)


def rsqrt(x: Tensor) -> Tensor:
    return pow(x, -0.5)


def reciprocal(x: Tensor) -> Tensor:
    return div(1.0, x)
