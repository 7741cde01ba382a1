"""How ops that compute outside a ``Function`` stay visible to ``ag.compile``.

``ag.compile`` records ``Function.forward`` calls. An op whose result is computed on
arrays without a Function (a comparison, ``argmax``, the indices of ``sort``, a no-graph
fast path such as slicing a tensor that does not require grad) would be invisible: its
result would be taken for a constant made inside the call, and a replay would reuse it.
Every such op therefore does one of two things, both decided by ``RECORDING.rec``
(the recorder while a compiled function is being recorded outside any recorded step,
else None; one attribute read on the fast path, cheaper than a thread-local one:
recording is process-wide, as ``ag.compile`` says):

* it is marked :func:`replayable` (or, on a hot path, checks ``RECORDING.rec`` inline
  and hands itself to ``rec.step``): recorded as one step with its tensor and array
  arguments resolved to the replay's arrays, and called again on replay (so random ops
  draw fresh numbers). A differentiable op that computes its indices outside a Function
  (``max(dim)``, ``sort``, ``topk``) marks only the index computation, and takes the
  values with a Function (``gather``), whose saved arrays the recorder sees;
* an op with a no-graph fast path beside its Function (``getitem``) takes the Function
  while recording.
"""

from __future__ import annotations

import functools


class _Recording:
    __slots__ = ("rec",)


RECORDING = _Recording()
RECORDING.rec = None  # set by ag.compile's recorder (compile._Recorder)


class CompileError(RuntimeError):
    """A compiled function did something that its replay could not reproduce."""


class CompileMismatchError(CompileError):
    """``check=True``: the uncompiled run differed from the recorded program."""


def refuse_while_recording(op: str, reads: str) -> None:
    """Raise :class:`CompileError` while ``ag.compile`` records (outside any recorded
    step): for an op whose array code decides in Python from data values (``reads``) how
    much to compute, which a replay could not decide again."""
    if RECORDING.rec is not None:
        raise CompileError(
            f"ag.compile: {op} reads {reads} to decide how much to compute, which a replay "
            f"cannot do again; call it outside the compiled function")


def is_compile_recording() -> bool:
    """Whether ``ag.compile`` is recording (outside any recorded step): code that
    branches on data values to skip work (``if mask.all(): ...``) must then take the
    branch-free path, since a replay cannot branch."""
    return RECORDING.rec is not None


def replayable(fn=None, *, sized_by_values: bool = False):
    """Mark ``fn`` (code outside the ops that changes persistent arrays in place, draws
    random numbers, or computes a tensor or array from tensors without a ``Function``)
    so that :func:`autograd.compile` records each call as one step and calls ``fn``
    again on replay, its tensor and array arguments resolved to the replay's arrays.
    Outside a recording it costs one attribute read per call.

    ``sized_by_values=True`` (``nonzero``, ``unique``): the size of the result depends on
    the values, so a replay checks it against the recording's and raises
    :class:`CompileError` when it differs (the recorded program was sized for it). Usable
    as ``@replayable`` or ``@replayable(sized_by_values=True)``."""
    if fn is None:
        return functools.partial(replayable, sized_by_values=sized_by_values)
    if sized_by_values:
        fn.__sized_by_values__ = True

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        rec = RECORDING.rec
        if rec is None:
            return fn(*args, **kwargs)
        return rec.step(fn, args, kwargs)

    wrapper.__wrapped_replayable__ = fn
    return wrapper
