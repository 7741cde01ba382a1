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

from .grad_mode import STATE
from .graph import _accumulate_leaf
from .ops import arithmetic as _arith
from .ops import reduce as _reduce
from .tensor import Tensor, _wrap

__all__ = ["Form", "Site", "lookup", "register"]


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


class Form:
    """How to replay one op without allocating.

    ``call(*inputs, *buffers)``: ``inputs`` are the op's arguments at positions
    ``inputs`` (arrays, or the tensors a replayable receives); ``buffers`` are planned
    arrays shaped like the recorded ``outs`` (``("out", j)``) or saved arrays
    (``("saved", k)``), in the order of ``buffers``. It returns the outputs listed in
    ``returns`` (views it makes, not buffers), as one value or a tuple.
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
            return Form(lambda x, y, o: ufunc(x, y, out=o), (0, 1), aliases=aliases)
        x = a if arrays == [0] else b
        c = _scalar_operand(b if arrays == [0] else a, x, out)
        if c is None:
            return None
        if arrays == [0]:
            return Form(lambda x, o: ufunc(x, c, out=o), (0,), aliases=aliases)
        return Form(lambda y, o: ufunc(c, y, out=o), (1,), aliases=aliases)

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
    zero = _scalar_operand(0, site.args[0], site.outs[0])
    if zero is None or set(site.saved) - {0}:
        return None

    def relu(x, o, mask):
        np.less_equal(x, zero, out=mask)
        np.logical_not(mask, out=mask)
        np.maximum(x, zero, out=o)

    if 0 not in site.saved:  # no backward reads the mask
        return Form(lambda x, o: np.maximum(x, zero, out=o), (0,))
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

    def accumulate(t, ga):
        prev = t.grad
        if prev is None and not STATE.enabled and ga.dtype == buf.dtype and \
                ga.shape == buf.shape:
            buf[...] = ga
            t.grad = _wrap(buf, dev)
        elif prev is not None and not STATE.enabled and not prev.requires_grad and \
                prev.array.shape == ga.shape and ga.dtype == prev.array.dtype:
            prev.array += ga
        else:  # anything else: the engine's own rule
            _accumulate_leaf(t, _wrap(ga, dev), None)

    return Form(accumulate, (0, 1), buffers=(), raw=(1,))


# --- cross entropy with class indices (nn.functional.loss), no class weights, no label
# smoothing: the three steps of nn/functional/loss.py, the same array calls into buffers.
# Fancy indexing ``a[arange(M), t]`` is ``take``/``put`` on the flat array at
# ``arange(M) * C + t`` (one index a row, so the same elements in the same order).


def _row_starts(m, c):
    return np.arange(m, dtype=np.intp) * c


@register("nn.functional.loss._row_terms")
def _ce_row_terms(site):
    x2, target, weight, ignore_index, op, reduction, eps = site.args
    if weight is not None or eps != 0 or site.kwargs or reduction not in ("mean", "sum",
                                                                          "none"):
        return None
    t = target.array.reshape(-1)
    dtype = x2.array.dtype
    if t.dtype.kind not in "iu" or dtype.kind != "f" or not t.flags.c_contiguous:
        return None
    c = x2.shape[1]
    m = t.shape[0]
    ign = np.asarray(ignore_index, dtype=t.dtype)
    zero = np.zeros((), t.dtype)
    valid, invalid = np.empty(m, bool), np.empty(m, bool)
    bound = np.empty((), t.dtype)
    wrow = np.empty(m, dtype)
    total = np.empty((), dtype)
    factor = np.empty((), dtype)

    def row_terms(target, safe, coef):
        t = target.reshape(-1)
        np.equal(t, ign, out=invalid)
        np.logical_not(invalid, out=valid)
        np.copyto(safe, t)  # where(valid, t, 0)
        np.copyto(safe, zero, where=invalid)
        if m:  # the bounds check of _row_weights, on 0-d buffers
            np.minimum.reduce(safe, out=bound)
            lo = int(bound)
            np.maximum.reduce(safe, out=bound)
            hi = int(bound)
            if lo < 0 or hi >= c:
                bad = hi if hi >= c else lo
                raise IndexError(f"{op}: target {bad} is out of bounds for {c} classes "
                                 f"(ignore_index={ignore_index})")
        np.copyto(wrow, valid)  # valid.astype(dtype)
        scale = 1.0
        if reduction == "mean":
            np.sum(wrow, out=total)
            d = float(total)
            scale = 1.0 / d if d != 0 else float("nan")
        factor[...] = (1.0 - eps) * scale  # a Python float, rounded once to dtype
        np.multiply(wrow, factor, out=coef)
        return None, None

    if np.result_type(t, zero) != t.dtype:
        return None
    return Form(row_terms, (1,), (("out", 0), ("out", 1)), raw=(1,))


@register("nn.functional.loss.CrossEntropyRows")
def _ce_rows(site):
    x, t, coef, smooth, wc, total = site.args
    if smooth is not None or wc is not None or x.ndim != 2 or not _plain(x) or \
            x.dtype.kind != "f" or coef.dtype != x.dtype or set(site.saved) - {0} or \
            set(site.attrs) - {"p"}:
        return None
    m, c = x.shape
    starts = _row_starts(m, c)
    idx = np.empty(m, np.intp)
    mx = np.empty((m, 1), x.dtype)
    shifted = np.empty_like(x)
    s = np.empty(m, x.dtype)
    log_s = np.empty(m, x.dtype)
    picked = np.empty(m, x.dtype)
    loss = np.empty(m, x.dtype)

    def rows(x, t, coef, out, e):
        np.max(x, axis=1, keepdims=True, out=mx)
        np.subtract(x, mx, out=shifted)
        np.exp(shifted, out=e)
        np.sum(e, axis=1, out=s)
        np.log(s, out=log_s)
        np.add(starts, t, out=idx)
        np.take(shifted.reshape(-1), idx, out=picked, mode="clip")  # checked
        np.subtract(log_s, picked, out=picked)
        if total:
            np.multiply(coef, picked, out=loss)
            np.sum(loss, out=out)
        else:
            np.multiply(coef, picked, out=out)
        np.divide(e, s[:, None], out=e)

    if "p" not in site.attrs:  # no backward reads the softmax: a scratch buffer
        p = np.empty_like(x)
        return Form(lambda x, t, coef, out: rows(x, t, coef, out, p), (0, 1, 2),
                    aliases={0: 0})
    return Form(rows, (0, 1, 2), (("out", 0), ("attr", "p")), aliases={0: 0})


@register("nn.functional.loss.CrossEntropyGrad")
def _ce_grad(site):
    x, g, p, t, coef, smooth, wc = site.args
    if smooth is not None or wc is not None or p.ndim != 2 or not _plain(p) or \
            set(site.saved) - {0, 1} or coef.dtype != p.dtype or g.dtype != p.dtype:
        return None
    m, c = p.shape
    starts = _row_starts(m, c)
    idx = np.empty(m, np.intp)
    rows = g.reshape(-1, 1).shape[0]
    scaled = np.empty((max(m, rows), 1), p.dtype)
    picked = np.empty(m, p.dtype)
    if rows not in (1, m):
        return None

    def ce_grad(g, p, t, coef, grad):
        gr = g.reshape(-1, 1)
        np.multiply(gr, coef[:, None], out=scaled)  # gr * row_total[:, None], = pick
        np.multiply(p, scaled, out=grad)
        flat = grad.reshape(-1)
        np.add(starts, t, out=idx)
        np.take(flat, idx, out=picked, mode="clip")  # (raise buffers)
        np.subtract(picked, scaled.reshape(-1), out=picked)
        flat.put(idx, picked)

    return Form(ce_grad, (1, 2, 3, 4), aliases={0: 0, 1: 1})


# --- Adam / AdamW (optim.adam) on NumPy: the fused numba kernel called directly ---------
# ``Optimizer.step`` replayed as it is costs ~5 us a parameter in Python (the group loop,
# ``_init_state``, the 1-d views, the hyperparameter array); this form keeps the views,
# the kernel and a hyperparameter buffer per parameter, and does per call what
# ``Adam._update`` and ``optim.adam._adam_cpu`` do: count the step in the state's 0-d
# tensor, round the same 7 hyperparameters to the parameter's dtype, run the same kernel,
# bump the version. Anything it does not cover, checked on every call before any update
# (AMSGrad, a replaced state or parameter array, a non-contiguous gradient, new groups),
# runs the optimizer's own ``step``. The optimizer's module is the one its class came
# from (``sys.modules``): autograd does not import optim.


@register("optim.optimizer.Optimizer.step")
def _adam_step(site):
    import math
    import sys

    from .graph import increment_version

    if len(site.args) != 1 or site.kwargs:
        return None
    opt = site.args[0]
    cls = type(opt)
    mod = sys.modules.get(cls.__module__)
    if cls.__module__ != "optim.adam" or cls.__qualname__ not in ("Adam", "AdamW") or \
            mod is None or not hasattr(mod, "_ADAM_LOOP"):
        return None
    original = cls.step.__wrapped_replayable__
    by = f"{cls.__name__}.step"
    groups = []
    for group in opt.param_groups:
        entries = []
        for p in group["params"]:
            state = opt.state.get(p)
            a = p.array
            if not state or "exp_avg" not in state or type(a) is not np.ndarray or \
                    a.dtype.kind != "f" or not a.flags.c_contiguous or not a.flags.writeable:
                return None
            m, v, st = state["exp_avg"].array, state["exp_avg_sq"].array, state["step"].array
            if st.shape != () or st.dtype != np.float32 or m.shape != a.shape or \
                    v.shape != a.shape or not (m.flags.c_contiguous and v.flags.c_contiguous):
                return None
            entries.append((p, a, m, v, st, state, a.reshape(-1), m.reshape(-1),
                            v.reshape(-1), np.empty(7, a.dtype),
                            mod._ADAM_LOOP.for_size(a.size)))
        groups.append((group, group["params"], len(group["params"]), entries))
    n_groups = len(opt.param_groups)
    one = np.ones((), np.float32)

    def covered():
        if len(opt.param_groups) != n_groups:
            return False
        for (group, params, n, entries), g2 in zip(groups, opt.param_groups):
            if g2 is not group or group["params"] is not params or len(params) != n or \
                    group["amsgrad"]:
                return False
            for p, a, m, v, st, state, *_ in entries:
                if p.grad is None:
                    continue
                ga = p.grad.array
                if p.array is not a or opt.state.get(p) is not state or \
                        state["exp_avg"].array is not m or \
                        state["exp_avg_sq"].array is not v or \
                        state["step"].array is not st or type(ga) is not np.ndarray or \
                        ga.shape != a.shape or ga.dtype != a.dtype or \
                        not ga.flags.c_contiguous:
                    return False
        return True

    def step(opt):
        if not covered():
            return original(opt)
        for group, _, _, entries in groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            maximize = bool(group["maximize"])
            if weight_decay == 0:
                wd_mode, wd = 0, 0.0
            elif group["decoupled_weight_decay"]:
                wd_mode, wd = 2, 1 - lr * weight_decay
            else:
                wd_mode, wd = 1, weight_decay
            done = []
            for p, _, _, _, st, _, pf, mf, vf, hp, kernel in entries:
                grad = p.grad
                if grad is None:
                    continue
                np.add(st, one, out=st)  # Optimizer._advance's += 1, no scalar made
                t = float(st)
                hp[0] = 1 - beta1
                hp[1] = beta2
                hp[2] = 1 - beta2
                hp[3] = eps
                hp[4] = wd
                hp[5] = -(lr / (1 - beta1 ** t))
                hp[6] = math.sqrt(1 - beta2 ** t)
                kernel(pf, grad.array.reshape(-1), mf, vf, vf, hp, wd_mode, maximize, False)
                done.append(p)
            for p in done:
                increment_version(p, by=by)
        return None

    return Form(step, (0,), buffers=())
