"""Comparisons and other ops with no gradient: they return new leaf tensors."""

from __future__ import annotations

from ..tensor import Tensor, _wrap
from .arithmetic import promote
from .rounding import ceil, floor, round, trunc  # noqa: F401  (zero-gradient step functions)


def _compare(name, fn):
    def op(a, b) -> Tensor:
        a, b = promote(a, b, name)
        t = a if isinstance(a, Tensor) else b
        xa = a.data if isinstance(a, Tensor) else a
        xb = b.data if isinstance(b, Tensor) else b
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
logical_and = _compare("logical_and", lambda a, b: a & b)
logical_or = _compare("logical_or", lambda a, b: a | b)
logical_xor = _compare("logical_xor", lambda a, b: a ^ b)


def _nograd_unary(name, getfn):
    def op(x: Tensor) -> Tensor:
        xp = x.device.backend.xp
        return _wrap(xp.asarray(getfn(xp)(x.data)), x.device)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (not differentiable; returns a new leaf)."
    return op


logical_not = _nograd_unary("logical_not", lambda xp: xp.logical_not)
isnan = _nograd_unary("isnan", lambda xp: xp.isnan)
isinf = _nograd_unary("isinf", lambda xp: xp.isinf)
isfinite = _nograd_unary("isfinite", lambda xp: xp.isfinite)


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both have the same shape and values."""
    return a.shape == b.shape and bool((a.data == b.data).all())


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    xp = a.device.backend.xp
    return bool(xp.allclose(a.data, b.data, rtol=rtol, atol=atol))
