"""Comparisons and other ops with no gradient: they return new leaf tensors."""

from __future__ import annotations

import numpy as np

from ..recording import RECORDING
from ..tensor import Tensor, _wrap
from .arithmetic import promote
from .rounding import ceil, floor, round, trunc  # noqa: F401  (zero-gradient step functions)


def _nondiff(op, name, fn, promote_args, integers_only, a, b):
    """The work of ``nondiff_binary``'s op (outside its closure, which is built at import,
    so that mutation testing reaches it: issue 18)."""
    rec = RECORDING.rec
    if rec is not None:
        return rec.step(op, (a, b), {})
    if promote_args:
        a, b = promote(a, b, name)
    t = a if isinstance(a, Tensor) else b
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor operand")
    xa = a.array if isinstance(a, Tensor) else a
    xb = b.array if isinstance(b, Tensor) else b
    if integers_only and any(getattr(v, "dtype", np.dtype(int)).kind in "fc"
                             for v in (xa, xb)):
        raise RuntimeError(f"{name}: expected integer or bool tensors, got "
                           f"{getattr(xa, 'dtype', type(xa).__name__)} and "
                           f"{getattr(xb, 'dtype', type(xb).__name__)}")
    xp = t.device.backend.xp
    return _wrap(xp.asarray(fn(xp, xa, xb)), t.device)


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def nondiff_binary(name, fn, doc, *, promote_args=True, integers_only=False):  # pragma: no mutate block  # noqa: E501
    """A binary op with no gradient: ``fn(xp, a, b)`` on the operands' arrays (Python
    numbers pass through), wrapped as a new leaf. ``promote_args``: PyTorch's type
    promotion first; ``integers_only``: refuse float and complex operands. Recorded by
    ag.compile as one step (autograd/recording.py)."""

    def op(a, b) -> Tensor:
        return _nondiff(op, name, fn, promote_args, integers_only, a, b)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc.format(name=name)
    return op


_CMP = "Elementwise ``{name}`` comparison; a bool tensor (no gradient)."
_BITS = "Elementwise ``{name}`` of integer or bool tensors (no gradient)."
eq = nondiff_binary("eq", lambda xp, a, b: a == b, _CMP)
ne = nondiff_binary("ne", lambda xp, a, b: a != b, _CMP)
lt = nondiff_binary("lt", lambda xp, a, b: a < b, _CMP)
le = nondiff_binary("le", lambda xp, a, b: a <= b, _CMP)
gt = nondiff_binary("gt", lambda xp, a, b: a > b, _CMP)
ge = nondiff_binary("ge", lambda xp, a, b: a >= b, _CMP)
bitwise_and = nondiff_binary("bitwise_and", lambda xp, a, b: _integral(a, b, "bitwise_and") & b,
                              _BITS)
bitwise_or = nondiff_binary("bitwise_or", lambda xp, a, b: _integral(a, b, "bitwise_or") | b,
                             _BITS)
bitwise_xor = nondiff_binary("bitwise_xor", lambda xp, a, b: _integral(a, b, "bitwise_xor") ^ b,
                              _BITS)


def _integral(a, b, op):
    """``a``, after checking both are integers or bools (``&`` of floats is an error)."""
    for v in (a, b):
        if getattr(v, "dtype", None) is not None and v.dtype.kind not in "biu" or \
                isinstance(v, float):
            raise TypeError(f"{op}: expected integer or bool operands, got "
                            f"{getattr(v, 'dtype', type(v).__name__)}")
    return a


_LOGICAL = ("Elementwise ``{name}`` of any dtypes (nonzero is True); a bool tensor "
            "(no gradient).")
logical_and = nondiff_binary("logical_and", lambda xp, a, b: xp.logical_and(a, b), _LOGICAL,
                              promote_args=False)
logical_or = nondiff_binary("logical_or", lambda xp, a, b: xp.logical_or(a, b), _LOGICAL,
                             promote_args=False)
logical_xor = nondiff_binary("logical_xor", lambda xp, a, b: xp.logical_xor(a, b), _LOGICAL,
                              promote_args=False)


def _nograd(op, getfn, x):
    """The work of ``_nograd_unary``'s op (outside the closure, as ``_nondiff``)."""
    rec = RECORDING.rec
    if rec is not None:  # ag.compile: one recorded step (autograd/recording.py)
        return rec.step(op, (x,), {})
    xp = x.device.backend.xp
    return _wrap(xp.asarray(getfn(xp)(x.array)), x.device)


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def _nograd_unary(name, getfn):  # pragma: no mutate block
    def op(x: Tensor) -> Tensor:
        return _nograd(op, getfn, x)

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
