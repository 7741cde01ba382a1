"""Out-forms for ``ag.compile``: recorded ops replayed into buffers planned once.

A replayed op normally reruns its ``Function.forward``, which allocates its result. An
*out-form* computes the same values with the same array calls, but writes them into
buffers that the compiled program allocates once, from the lifetimes of the recorded
intermediates, and reuses on every call (``out=`` of the ufuncs, ``matmul`` and the
reductions). Each form is registered for one Function class (or one ``@replayable``
function) by a *factory*: given the recorded call (:class:`Site`), it returns a
:class:`OutForm` or None to decline, in which case the op replays its ``forward`` as before.

Every form computes bit for bit what its ``forward`` computes (the same ufunc loops on
the same operands, in the same order); ``tests/autograd/test_compile*.py`` compare the
compiled and uncompiled steps bit for bit. A factory declines what it does not cover
(other dtypes, broadcasting it does not handle, non-contiguous operands).

The generic forms (elementwise ops, ``sum``, ``relu``, the leaf accumulation) are here;
an op defined above ``autograd`` registers its form beside itself with the public
:func:`register_out_form` (``autograd.extend``), as ``nn.functional.linear``,
``nn.functional.loss`` and ``optim`` do, so this module imports nothing from them.
"""

from __future__ import annotations

import weakref

import numpy as np

from .grad_mode import STATE
from .graph import _accumulate_leaf
from .ops import arithmetic as _arith
from .ops import linalg as _linalg
from .ops import reduce as _reduce
from .tensor import Tensor, _wrap

__all__ = ["OutForm", "Site", "lookup", "register_out_form"]


class Site:
    """One recorded call, as a factory sees it: ``args`` (each Tensor argument as its
    array, other arguments unchanged, as ``forward`` received them), ``kwargs`` (of a
    replayable call), ``outs`` (the recorded output arrays), ``saved`` (index -> array
    that ``forward`` saved for backward and a later op reads), ``attrs`` (ctx attribute
    name -> array, for those a later op reads), ``xp`` (the array module) and ``device``
    (None for a replayable without tensor arguments, such as ``optimizer.step()``)."""

    __slots__ = ("args", "kwargs", "outs", "saved", "attrs", "xp", "device", "result")

    def __init__(self, args, kwargs, outs, saved, attrs, xp, device, result=None):
        self.args, self.kwargs, self.outs, self.saved = args, kwargs, outs, saved
        self.attrs, self.xp, self.device, self.result = attrs, xp, device, result

    @staticmethod
    def contiguous(*arrays) -> bool:
        """Whether every one of ``arrays`` is a C-contiguous NumPy array (what the
        planned buffers are, and what ``out=`` forms usually require of their inputs)."""
        return all(type(a) is np.ndarray and a.flags.c_contiguous for a in arrays)


class OutForm:
    """How to replay one op without allocating.

    ``call(*inputs, *buffers)``: ``inputs`` are the op's arguments at positions
    ``inputs`` (arrays, or the tensors a replayable receives); ``buffers`` are planned
    arrays shaped like the recorded ``outs`` (``("out", j)``), saved arrays
    (``("saved", k)``) or arrays ``forward`` stored on ``ctx`` (``("attr", name)``), in
    the order of ``buffers``; the program allocates them once and reuses them. It
    returns the outputs listed in ``returns`` (views it makes, not buffers), as one
    value or a tuple.
    ``aliases``: saved index -> argument position, for a saved array that is an input.
    ``raw``: positions of a replayable's tensor arguments passed as their arrays (no
    Tensor made per call).
    """

    __slots__ = ("call", "inputs", "buffers", "returns", "aliases", "raw")

    def __init__(self, call, inputs, buffers=(("out", 0),), returns=(), aliases=None,
                 raw=()):
        self.call, self.inputs, self.buffers = call, tuple(inputs), tuple(buffers)
        self.returns, self.aliases = tuple(returns), dict(aliases or {})
        self.raw = frozenset(raw)


_BY_KEY: dict = {}  # Function class or (unwrapped) replayable function -> factory


def register_out_form(*keys):
    """Register an out-form factory for ``ag.compile``: a decorator.

    ``keys``: Function classes, or functions marked ``@replayable`` (the decorated
    function itself: its replay is looked up by the function it wraps). The factory is
    called once per recorded call of such an op while a program is planned, with the
    recorded call (:class:`Site`), and returns an :class:`OutForm` or None (the op then
    replays its ``forward``, or the replayable function, as it is). The form must
    compute what the op computes bit for bit: write both with one array function that
    takes ``out=`` buffers (as ``nn.functional.linear`` does), never a second copy of
    the formula. Registering a key twice replaces the earlier factory. Example::

        @register_out_form(MyOp)
        def _my_op_form(site):
            if not site.contiguous(*site.args[:1]):
                return None  # not covered: replay MyOp.forward
            return OutForm(lambda x, out: _my_op_arrays(x, out=out), inputs=(0,))
    """

    if not keys or any(isinstance(k, str) or not callable(k) for k in keys):
        raise TypeError("register_out_form: pass the Function classes or replayable "
                        f"functions themselves, not their names (got {keys!r})")

    def deco(factory):
        for k in keys:
            _BY_KEY[getattr(k, "__wrapped_replayable__", k)] = factory
        return factory

    return deco


def lookup(key):
    """The factory for a recorded op's class or (unwrapped) function, or None."""
    return _BY_KEY.get(key)


def _arr(a) -> bool:
    return isinstance(a, np.ndarray) or (hasattr(a, "__array_priority__") and hasattr(a, "dtype")
                                         and not isinstance(a, (np.generic, Tensor)))


# --- elementwise: the forward is one ufunc on its operands ------------------------------


def _scalar_operand(c, x, out):
    """A Python number operand as a 0-d array of the array operand's dtype, made once: a
    ufunc converts a Python scalar into a fresh array on every call. Under NumPy's
    promotion (NEP 50) a Python number next to a float array is cast to the array's
    dtype first, so the 0-d array gives the same bits; None for other dtypes."""
    if x.dtype.kind != "f" or out.dtype != x.dtype or not isinstance(c, (int, float)):
        return None
    return np.asarray(c, dtype=x.dtype)



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
            return OutForm(lambda x, y, o: ufunc(x, y, out=o), (0, 1), aliases=aliases)
        x = a if arrays == [0] else b
        c = _scalar_operand(b if arrays == [0] else a, x, out)
        if c is None:
            return None
        if arrays == [0]:
            return OutForm(lambda x, o: ufunc(x, c, out=o), (0,), aliases=aliases)
        return OutForm(lambda y, o: ufunc(c, y, out=o), (1,), aliases=aliases)

    return factory


register_out_form(_arith.Add)(_binary(np.add, False))
register_out_form(_arith.Sub)(_binary(np.subtract, False))
register_out_form(_arith.Mul)(_binary(np.multiply, True))
register_out_form(_arith.Div)(_binary(np.divide, True))
register_out_form(_arith.AddScalar)(_binary(np.add, False))
register_out_form(_arith.MulScalar)(_binary(np.multiply, False))


def _unary(ufunc, saves_out):
    def factory(site):
        if site.saved and not saves_out:
            return None
        return OutForm(lambda x, o: ufunc(x, out=o), (0,))

    return factory


register_out_form(_arith.Neg)(_unary(np.negative, False))
register_out_form(_arith.Exp)(_unary(np.exp, True))  # saves its output: the same buffer
register_out_form(_arith.Tanh)(_unary(np.tanh, True))


@register_out_form(_arith.Relu)
def _relu(site):
    # out = maximum(x, 0), saved as the output itself (the same buffer)
    zero = _scalar_operand(0, site.args[0], site.outs[0])
    if zero is None:
        return None
    return OutForm(lambda x, o: np.maximum(x, zero, out=o), (0,))


@register_out_form(_arith.ReluGrad)
def _relu_grad(site):
    # g * (out != 0), the mask in a scratch array made once
    g, out = site.args
    (res,) = site.outs
    if not (_arr(g) and _arr(out)) or res.shape != g.shape or out.shape != g.shape or \
            set(site.saved) - {0}:
        return None
    zero, mask = np.zeros((), out.dtype), np.empty(out.shape, bool)

    def relu_grad(g, out, o):
        np.not_equal(out, zero, out=mask)
        np.multiply(g, mask, out=o)

    return OutForm(relu_grad, (0, 1), aliases={0: 1})


# --- reductions and their adjoints ---------------------------------------------------------


@register_out_form(_reduce.Sum)
def _sum(site):
    x, axes, keepdim = site.args
    return OutForm(lambda a, o: np.sum(a, axis=axes, keepdims=keepdim, out=o), (0,))


@register_out_form(_reduce.ExpandReduced)
def _expand(site):  # a view of its input: nothing to allocate, nothing to plan
    g, kept, shape = site.args

    def expand(a):
        a = a.reshape(kept)
        return a if a.shape == shape else np.broadcast_to(a, shape)

    return OutForm(expand, (0,), buffers=(), returns=(("out", 0),))


# --- matmul: ``mm`` (autograd.ops.linalg) is ``a @ b`` unless it folds an N-d ``a`` ----


@register_out_form(_linalg.MatMul)
def _matmul(site):
    a, b = site.args
    if not (_arr(a) and _arr(b)) or b.ndim == 2 and a.ndim > 2 or set(site.saved) - {0, 1}:
        return None  # the folded product reshapes its result: replay the forward
    return OutForm(lambda a, b, o: np.matmul(a, b, out=o), (0, 1), aliases={0: 0, 1: 1})


# --- the leaf accumulation: .grad lives in a buffer of the program ------------------------


@register_out_form(_accumulate_leaf)
def _accumulate(site):
    t, g, capture = site.args
    if capture is not None or not isinstance(t, Tensor) or site.kwargs:
        return None
    arr = t.array
    if not _arr(g.array if isinstance(g, Tensor) else g):
        return None
    buf = site.xp.empty(arr.shape, arr.dtype)  # the gradient's home, kept by the program
    dev = t.device
    home = weakref.ref(t)  # only the recorded leaf (a parameter) gets the kept buffer

    def accumulate(t, ga):
        prev = t.grad
        if prev is None and not STATE.enabled and ga.dtype == buf.dtype and \
                ga.shape == buf.shape:
            if home() is t:
                buf[...] = ga
                t.grad = _wrap(buf, dev)
            else:  # a new argument each call: its own array, not one a later call rewrites
                t.grad = _wrap(ga.copy(), dev)
        elif prev is not None and not STATE.enabled and not prev.requires_grad and \
                prev.array.shape == ga.shape and ga.dtype == prev.array.dtype:
            prev.array += ga
        else:  # anything else: the engine's own rule
            _accumulate_leaf(t, _wrap(ga, dev), None)

    return OutForm(accumulate, (0, 1), buffers=(), raw=(1,))
