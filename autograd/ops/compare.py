"""Comparisons and other ops with no gradient: they return new leaf tensors."""

from __future__ import annotations

from ..recording import RECORDING
from ..tensor import Tensor, _wrap
from .arithmetic import promote
from .rounding import ceil, floor, round, trunc  # noqa: F401  (zero-gradient step functions)


def _compare(name, fn):
    def op(a, b) -> Tensor:
        rec = RECORDING.rec
        if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
            return rec.step(op, (a, b), {})
        a, b = promote(a, b, name)
        t = a if isinstance(a, Tensor) else b
        xa = a.array if isinstance(a, Tensor) else a
        xb = b.array if isinstance(b, Tensor) else b
        return _wrap(t.device.backend.xp.asarray(fn(xa, xb)), t.device)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` comparison; a bool tensor (no gradient)."
    return op


eq = _compare("eq", lambda a, b: a == b)
ne = _compare("ne", lambda a, b: a != b)
lt = _compare("lt", lambda a, b: a < b)
le = _compare("le", lambda a, b: a <= b)
gt = _compare("gt", lambda a, b: a > b)
ge = _compare("ge", lambda a, b: a >= b)
bitwise_and = _compare("bitwise_and", lambda a, b: _integral(a, b, "bitwise_and") & b)
bitwise_or = _compare("bitwise_or", lambda a, b: _integral(a, b, "bitwise_or") | b)
bitwise_xor = _compare("bitwise_xor", lambda a, b: _integral(a, b, "bitwise_xor") ^ b)


def _integral(a, b, op):
    """``a``, after checking both are integers or bools (``&`` of floats is an error)."""
    for v in (a, b):
        if getattr(v, "dtype", None) is not None and v.dtype.kind not in "biu" or \
                isinstance(v, float):
            raise TypeError(f"{op}: expected integer or bool operands, got "
                            f"{getattr(v, 'dtype', type(v).__name__)}")
    return a


def _logical(name, fn):
    def op(a, b) -> Tensor:
        rec = RECORDING.rec
        if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
            return rec.step(op, (a, b), {})
        t = a if isinstance(a, Tensor) else b
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected a Tensor operand")
        xp = t.device.backend.xp
        xa = a.array if isinstance(a, Tensor) else a
        xb = b.array if isinstance(b, Tensor) else b
        return _wrap(xp.asarray(fn(xp)(xa, xb)), t.device)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"Elementwise ``{name}`` of any dtypes (nonzero is True); a bool tensor "
                  "(no gradient).")
    return op


logical_and = _logical("logical_and", lambda xp: xp.logical_and)
logical_or = _logical("logical_or", lambda xp: xp.logical_or)
logical_xor = _logical("logical_xor", lambda xp: xp.logical_xor)


def _nograd_unary(name, getfn):
    def op(x: Tensor) -> Tensor:
        rec = RECORDING.rec
        if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
            return rec.step(op, (x,), {})
        xp = x.device.backend.xp
        return _wrap(xp.asarray(getfn(xp)(x.array)), x.device)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (not differentiable; returns a new leaf)."
    return op


logical_not = _nograd_unary("logical_not", lambda xp: xp.logical_not)
isnan = _nograd_unary("isnan", lambda xp: xp.isnan)
isinf = _nograd_unary("isinf", lambda xp: xp.isinf)
isfinite = _nograd_unary("isfinite", lambda xp: xp.isfinite)


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both have the same shape and values."""
    if RECORDING.rec is not None:  # a value read: ag.compile refuses it (as .item())
        RECORDING.rec.refuse_read("torch.equal(a, b)", a)
    return a.shape == b.shape and bool((a.array == b.array).all())


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True if ``|a - b| <= atol + rtol * |b|`` everywhere."""
    if RECORDING.rec is not None:  # a value read: ag.compile refuses it (as .item())
        RECORDING.rec.refuse_read("torch.allclose(a, b)", a)
    xp = a.device.backend.xp
    return bool(xp.allclose(a.array, b.array, rtol=rtol, atol=atol))
