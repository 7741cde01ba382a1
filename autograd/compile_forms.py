"""Out-forms for ``ag.compile``: recorded ops replayed into buffers planned once.

A replayed op normally reruns its ``Function.forward``, which allocates its result. An
*out-form* computes the same values with the same array calls, but writes them into
buffers that the compiled program allocates once, from the lifetimes of the recorded
intermediates, and reuses on every call (``out=`` of the ufuncs, ``matmul`` and the
reductions). Each form is registered for one Function class (or one ``@replayable``
function) by a *factory*: given the recorded call (:class:`Site`), it returns a
:class:`Form` or None to decline, in which case the op replays its ``forward`` as before.

Every form computes bit for bit what its ``forward`` computes (the same ufunc loops on
the same operands, in the same order); ``tests/autograd/test_compile*.py`` compare the
compiled and uncompiled steps bit for bit. A factory declines what it does not cover
(other dtypes, broadcasting it does not handle, non-contiguous operands).

Functions defined above ``autograd`` (``nn``) are registered by their qualified name,
so this module imports nothing from those packages.
"""

from __future__ import annotations

import numpy as np

from .graph import _accumulate_leaf
from .grad_mode import STATE
from .ops import arithmetic as _arith
from .ops import reduce as _reduce
from .tensor import Tensor, _wrap

__all__ = ["Form", "Site", "lookup", "register"]


class Site:
    """One recorded call, as a factory sees it: ``args`` (each Tensor argument as its
    array, other arguments unchanged, as ``forward`` received them), ``kwargs`` (of a
    replayable call), ``outs`` (the recorded output arrays), ``saved`` (index -> array
    that ``forward`` saved for backward and a later op reads), ``attrs`` (ctx attribute
    names read later) and ``xp`` (the array module)."""

    __slots__ = ("args", "kwargs", "outs", "saved", "attrs", "xp", "device", "result")

    def __init__(self, args, kwargs, outs, saved, attrs, xp, device, result=None):
        self.args, self.kwargs, self.outs, self.saved = args, kwargs, outs, saved
        self.attrs, self.xp, self.device, self.result = attrs, xp, device, result


class Form:
    """How to replay one op without allocating.

    ``call(*inputs, *buffers)``: ``inputs`` are the op's arguments at positions
    ``inputs`` (arrays, or the tensors a replayable receives); ``buffers`` are planned
    arrays shaped like the recorded ``outs`` (``("out", j)``) or saved arrays
    (``("saved", k)``), in the order of ``buffers``. It returns the outputs listed in
    ``returns`` (views it makes, not buffers), as one value or a tuple.
    ``aliases``: saved index -> argument position, for a saved array that is an input.
    """

    __slots__ = ("call", "inputs", "buffers", "returns", "aliases")

    def __init__(self, call, inputs, buffers=(("out", 0),), returns=(), aliases=None):
        self.call, self.inputs, self.buffers = call, tuple(inputs), tuple(buffers)
        self.returns, self.aliases = tuple(returns), dict(aliases or {})


_BY_KEY: dict = {}  # Function class or replayable function -> factory
_BY_NAME: dict = {}  # "module.qualname" of a class above autograd -> factory


def register(*keys):
    """Register a factory for Function classes / functions, or qualified names."""

    def deco(factory):
        for k in keys:
            (_BY_NAME if isinstance(k, str) else _BY_KEY)[k] = factory
        return factory

    return deco


def lookup(key):
    """The factory for a recorded op's class or function, or None."""
    f = _BY_KEY.get(key)
    if f is None and _BY_NAME:
        f = _BY_NAME.get(f"{getattr(key, '__module__', '')}.{getattr(key, '__qualname__', '')}")
    return f


def _arr(a) -> bool:
    return isinstance(a, np.ndarray) or (hasattr(a, "__array_priority__") and hasattr(a, "dtype")
                                         and not isinstance(a, (np.generic, Tensor)))


def _plain(a) -> bool:
    """A C-contiguous array that owns or views memory with ordinary strides."""
    return _arr(a) and a.flags.c_contiguous


# --- elementwise: the forward is one ufunc on its operands ------------------------------


def _binary(ufunc, saves_inputs):
    def factory(site):
        a, b = site.args
        (out,) = site.outs
        arrays = [i for i, v in enumerate((a, b)) if _arr(v)]
        if not arrays or any(not isinstance(v, (int, float)) and not _arr(v) for v in (a, b)):
            return None
        if type(a) is bool or type(b) is bool:
            return None
        aliases = {k: k for k in site.saved} if saves_inputs else {}
        if any(k not in (0, 1) for k in site.saved):
            return None
        if len(arrays) == 2:
            return Form(lambda x, y, o: ufunc(x, y, out=o), (0, 1), aliases=aliases)
        if arrays == [0]:
            return Form(lambda x, o, c=b: ufunc(x, c, out=o), (0,), aliases=aliases)
        return Form(lambda y, o, c=a: ufunc(c, y, out=o), (1,), aliases=aliases)

    return factory


register(_arith.Add)(_binary(np.add, False))
register(_arith.Sub)(_binary(np.subtract, False))
register(_arith.Mul)(_binary(np.multiply, True))
register(_arith.Div)(_binary(np.divide, True))
register(_arith.AddScalar)(_binary(np.add, False))
register(_arith.MulScalar)(_binary(np.multiply, False))


def _unary(ufunc, saves_out):
    def factory(site):
        if site.saved and not saves_out:
            return None
        return Form(lambda x, o: ufunc(x, out=o), (0,))

    return factory


register(_arith.Neg)(_unary(np.negative, False))
register(_arith.Exp)(_unary(np.exp, True))  # saves its output: the same buffer
register(_arith.Tanh)(_unary(np.tanh, True))


@register(_arith.Relu)
def _relu(site):
    # forward: mask = ~(x <= 0) (saved), out = maximum(x, 0)
    def relu(x, o, mask):
        np.less_equal(x, 0, out=mask)
        np.logical_not(mask, out=mask)
        np.maximum(x, 0, out=o)

    if set(site.saved) - {0}:
        return None
    if 0 not in site.saved:  # no backward reads the mask
        return Form(lambda x, o: np.maximum(x, 0, out=o), (0,))
    return Form(relu, (0,), (("out", 0), ("saved", 0)))


# --- reductions and their adjoints ---------------------------------------------------------


@register(_reduce.Sum)
def _sum(site):
    x, axes, keepdim = site.args
    return Form(lambda a, o: np.sum(a, axis=axes, keepdims=keepdim, out=o), (0,))


@register(_reduce.ExpandReduced)
def _expand(site):  # a view of its input: nothing to allocate, nothing to plan
    g, kept, shape = site.args

    def expand(a):
        a = a.reshape(kept)
        return a if a.shape == shape else np.broadcast_to(a, shape)

    return Form(expand, (0,), buffers=(), returns=(("out", 0),))


# --- linear (nn.functional.linear): matmul into the buffer, then the bias in place -------


def _mm_form(a, b):
    """``mm(a, b)`` of ``autograd.ops.linalg`` (2-d operands only) as ``matmul(out=)``."""
    return a.ndim == 2 and b.ndim == 2


@register("nn.functional.linear.Linear")
def _linear(site):
    x, w, b = site.args
    if not _mm_form(x, w) or not all(_plain(a) for a in (x, w)) or set(site.saved) - {0, 1}:
        return None
    aliases = {0: 0, 1: 1}
    if b is None:
        return Form(lambda x, w, o: np.matmul(x, w.T, out=o), (0, 1), aliases=aliases)

    def linear(x, w, b, o):
        np.matmul(x, w.T, out=o)
        o += b

    return Form(linear, (0, 1, 2), aliases=aliases)


@register("nn.functional.linear.LinearGrad")
def _linear_grad(site):
    g, x, w, needs = site.args
    if g.ndim != 2 or x.ndim != 2 or not all(_plain(a) for a in (g, x, w)) or \
            set(site.saved) - {0, 1, 2}:
        return None
    nx, nw, nb = needs
    outs = [("out", j) for j in range(nx + nw + nb)]

    def linear_grad(g, x, w, *bufs):
        i = 0
        if nx:
            np.matmul(g, w, out=bufs[0])
            i = 1
        if nw:
            np.matmul(g.T, x, out=bufs[i])
            i += 1
        if nb:
            np.sum(g, 0, out=bufs[i])

    return Form(linear_grad, (0, 1, 2), outs, aliases={0: 0, 1: 1, 2: 2})


# --- the leaf accumulation: .grad lives in a buffer of the program ------------------------


@register(_accumulate_leaf)
def _accumulate(site):
    t, g, capture = site.args
    if capture is not None or not isinstance(t, Tensor) or site.kwargs:
        return None
    arr = t.array
    if not _arr(g.array if isinstance(g, Tensor) else g):
        return None
    buf = site.xp.empty(arr.shape, arr.dtype)  # the gradient's home, kept by the program
    dev = t.device

    def accumulate(t, g):
        ga = g.array
        prev = t.grad
        if prev is None and not STATE.enabled and ga.dtype == buf.dtype and \
                ga.shape == buf.shape:
            buf[...] = ga
            t.grad = _wrap(buf, dev)
        elif prev is not None and not STATE.enabled and not prev.requires_grad and \
                prev.array.shape == ga.shape and ga.dtype == prev.array.dtype:
            prev.array += ga
        else:  # anything else: the engine's own rule
            _accumulate_leaf(t, g, None)

    return Form(accumulate, (0, 1), buffers=())
