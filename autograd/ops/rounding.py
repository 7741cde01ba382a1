"""Step functions (``sign``, ``floor``, ``ceil``, ``round``, ``trunc``) and ``frac``.

A step function's derivative is zero almost everywhere, so, as in PyTorch, its output
requires grad when its input does and backward gives zeros (``sign(x).sum().backward()``
works and leaves ``x.grad`` zero); ``frac(x) = x - trunc(x)`` has derivative 1.
"""

from __future__ import annotations

from ..graph import Function
from ..recording import RECORDING
from ..tensor import Tensor, _wrap


class Step(Function):
    """``fn(x)`` for a piecewise-constant ``fn``: a zero gradient (a constant, so every
    higher derivative is zero too)."""

    @staticmethod
    def forward(ctx, x, fn, args):
        return fn(ctx.device.backend.xp)(x, *args)

    @staticmethod
    def backward(ctx, g):
        return _wrap(ctx.device.backend.xp.zeros_like(g.array), ctx.device), None, None


def _apply_step(cls, getfn, x):
    """The work of ``_step``'s op (outside the closure built at import, so that mutation
    testing reaches it: issue 18)."""
    # integers and bools: exact, nothing to differentiate (while ag.compile records, the
    # Function, so that the op is recorded: autograd/recording.py)
    if x.array.dtype.kind != "f" and RECORDING.rec is None:
        return _wrap(x.device.backend.xp.asarray(getfn(x.device.backend.xp)(x.array)),
                     x.device)
    return cls.apply(x, getfn, ())


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def _step(name, getfn):  # pragma: no mutate block
    cls = type(name.capitalize(), (Step,), {})  # its node is named e.g. SignBackward

    def op(x: Tensor) -> Tensor:
        return _apply_step(cls, getfn, x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}``; its gradient is zero (as PyTorch)."
    return op


sign = _step("sign", lambda xp: xp.sign)
floor = _step("floor", lambda xp: xp.floor)
ceil = _step("ceil", lambda xp: xp.ceil)
trunc = _step("trunc", lambda xp: xp.trunc)
_round0 = _step("round", lambda xp: xp.round)


class _Round(Step):
    pass


def _round_to(xp):
    return xp.round


def round(x: Tensor, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` places; its gradient is zero (as PyTorch)."""
    if decimals == 0:
        return _round0(x)
    if x.array.dtype.kind != "f" and RECORDING.rec is None:
        return _wrap(x.device.backend.xp.round(x.array, decimals), x.device)
    return _Round.apply(x, _round_to, (int(decimals),))


def frac(x: Tensor) -> Tensor:
    """``x - trunc(x)``, the fractional part with ``x``'s sign; its gradient is 1."""
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"frac: expects a floating point tensor, got {x.array.dtype}")
    from .arithmetic import sub

    return sub(x, trunc(x))

