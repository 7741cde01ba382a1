"""In-place ops (``x.add_(y)``, ``x[key] = v``, ``x.copy_(src)``, ``x += 1``, ...) with
PyTorch's rules.

Each in-place op is its out-of-place op (one formula per derivative) whose result is
written back into ``x``'s storage, so every view of that storage sees it:

* the storage's version counter is bumped; a node that saved the old contents refuses
  to run backward (``graph._check_versions``);
* when grad mode is on and the result requires grad, ``x``'s history is rebased: its
  ``grad_fn`` becomes the op's node. When ``x`` is a view, its base is rebased instead
  through ``CopySlices`` (the base with the view's region replaced: the region's
  gradient goes to the new values, the rest to the base's old history), and ``x`` gets
  a ``grad_fn`` replayed from the new base, as in PyTorch;
* an in-place change of a leaf that requires grad (or of a view of one) is refused
  while grad mode is on; under ``no_grad`` it is allowed (as optimizers and nn.init do).

The op is computed on a stand-in for ``x`` that shares its array and history; any array
the new nodes saved that overlaps ``x``'s storage is copied before ``x`` is overwritten
(PyTorch's ``original_self``), so backward sees the values the op read.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..grad_mode import STATE
from ..graph import Function, Node, _next_seq, _refreshed, increment_version
from ..tensor import Tensor, _wrap, version_counter
from . import arithmetic as _ar
from ._util import normalize_dim, shape_of, sum_to
from .gather import (
    IndexPut,
    Scatter,
    index_add,
    masked_scatter,
    scatter,
    scatter_add,
    scatter_reduce,
)

# --- the engine ----------------------------------------------------------------------


def _check_allowed(x: Tensor, op: str) -> None:
    info = x._view
    if x.requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {tuple(x.shape)}) is used in an "
            "in-place op while grad mode is on (its gradient would be wrong); change "
            "it under ag.no_grad() as optimizers do, or work on x.clone()")
    if info is None:
        return
    base = info.base
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            f"{op}: a view (shape {tuple(x.shape)}) of a leaf tensor that requires grad "
            f"(shape {tuple(base.shape)}) is used in an in-place op while grad mode is on; "
            "change it under ag.no_grad(), or work on a clone")
    if info.replay is None and base.requires_grad:
        raise RuntimeError(
            f"{op}: this view (shape {tuple(x.shape)}) was made in no_grad mode or by an op "
            "that returns several views (split, chunk, unbind), so its base's gradient "
            "cannot be kept right if it is changed in place with grad mode on; change a "
            "clone, or make the view with grad mode on by indexing")


def apply_inplace(x: Tensor, op: str, compute) -> Tensor:
    """Write ``compute(x)`` (an out-of-place result of ``x``'s shape) into ``x``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if not x.array.flags.c_contiguous and overlaps_itself(x.array):
        raise RuntimeError(
            f"{op}: cannot write into this tensor (shape {tuple(x.shape)}, strides "
            f"{x.stride()}): more than one element refers to the same memory location (an "
            "expanded view, or unfold windows that overlap); clone it first")
    recording = STATE.enabled
    info = x._view
    if not recording:
        out = _fit(compute(x), x, op)
        _write(x, out.array, op)
        increment_version(x, op)
        return x
    if info is not None:
        _refreshed(x)
    _check_allowed(x, op)
    start = _next_seq()
    # a stand-in with x's history on a distinct array object over the same memory, so a
    # node that saves both it and x (x.mul_(x)) tells them apart
    alias = _wrap(x.array[...], x.device, x.requires_grad, x.grad_fn, x._out_idx)
    out = _fit(compute(alias), x, op)
    tracked = out.requires_grad or x.requires_grad or (
        info is not None and info.base.requires_grad)
    if not tracked:
        _write(x, out.array, op)
        increment_version(x, op)
        return x
    _protect_saved(out.grad_fn, start, x)
    if info is None:
        _write(x, out.array, op)
        increment_version(x, op)
        x.grad_fn, x._out_idx, x.requires_grad = out.grad_fn, out._out_idx, True
    else:
        if info.replay is None:
            raise RuntimeError(
                f"{op}: this view (shape {tuple(x.shape)}) was made in no_grad mode or by "
                "an op that returns several views (split, chunk, unbind), and the new "
                "values require grad: its base's history cannot be rebased; copy into a "
                "clone instead")
        base = info.base
        base_alias = _wrap(base.array, base.device, base.requires_grad, base.grad_fn,
                           base._out_idx)
        r = CopySlices.apply(base_alias, out, info.replay)
        increment_version(x, op)
        base.grad_fn, base._out_idx, base.requires_grad = r.grad_fn, 0, True
        v = base
        for fn, extra in info.replay:  # the view's new history, from the new base
            v = fn(v, *extra)
        x.grad_fn, x._out_idx, x.requires_grad = v.grad_fn, v._out_idx, v.requires_grad
        info.version = x._vc.value
    _share_saved_output(out, x)
    return x


def _fit(out, x: Tensor, op: str) -> Tensor:
    """Check an in-place result against ``x``: same shape, a dtype ``x`` can hold."""
    if not isinstance(out, Tensor):
        out = Tensor(out, device=x.device)
    if out.array.shape != x.array.shape:
        raise RuntimeError(
            f"{op}: the result has shape {tuple(out.shape)}, but the tensor changed in place "
            f"has shape {tuple(x.shape)} (an in-place op cannot broadcast its target)")
    if out.array.dtype != x.array.dtype:
        if not np.can_cast(out.array.dtype, x.array.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{op}: result type {out.array.dtype} can't be cast to the dtype "
                f"{x.array.dtype} of the tensor changed in place (shape {tuple(x.shape)})")
        out = out.to(x.array.dtype)
    return out


def overlaps_itself(a) -> bool:
    """Whether two elements of the strided array ``a`` share memory. Exact for the
    layouts views make (slices, transposes, diagonals, expands, unfold windows): sorted
    by stride, each dimension must step past everything the smaller ones reach."""
    reach = 0
    for stride, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if stride <= reach:
            return True
        reach += stride * (n - 1)
    return False


def _write(x: Tensor, arr, op: str) -> None:
    try:
        x.array[...] = arr
    except ValueError as exc:  # a broadcast (expanded) view is read-only
        raise RuntimeError(
            f"{op}: cannot write into this tensor (shape {tuple(x.shape)}): more than one "
            f"element refers to the same memory location, as in an expanded view ({exc}); "
            "clone it first") from None


def _protect_saved(node, start: int, x: Tensor) -> None:
    """Copy every array the nodes made by this op saved that overlaps ``x``'s storage,
    before ``x`` is overwritten (the values backward needs are the ones read)."""
    xp = x.device.backend.xp
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if not isinstance(n, Node) or n.seq < start or id(n) in seen:
            continue
        seen.add(id(n))
        saved = n._saved
        if saved and any(hasattr(a, "shape") and xp.may_share_memory(a, x.array)
                         for a in saved):
            n._saved = tuple(a.copy() if hasattr(a, "shape") and
                             xp.may_share_memory(a, x.array) else a for a in saved)
        stack.extend(n.edges)


def _share_saved_output(out: Tensor, x: Tensor) -> None:
    """A node that saved its output (``exp_``, ``sigmoid_``) now saves ``x`` itself, at
    its new version, so a later in-place change of ``x`` is caught as PyTorch does."""
    node = out.grad_fn
    if node is None or node._versions is None or node._freed:
        return
    mine = -1 - out._out_idx
    if mine not in node._origins:
        return
    vc = version_counter(x)
    node._saved = tuple(x.array if o == mine else a for o, a in zip(node._origins, node._saved))
    node._versions = tuple((vc, vc.value) if o == mine else r
                           for o, r in zip(node._origins, node._versions))


class CopySlices(Function):
    """The base of a view after the view's region was replaced by ``src``: the region's
    gradient goes to ``src``, the rest to the base's old history."""

    @staticmethod
    def forward(ctx, base, src, replay):
        ctx.replay, ctx.shape = replay, base.shape
        region = _replay_array(base, replay, ctx.device)
        try:
            region[...] = src
        except ValueError as exc:
            raise RuntimeError(
                f"in-place op on a view: cannot write into it ({exc}); more than one "
                "element refers to the same memory location, as in an expanded view") \
                from None
        return base

    @staticmethod
    def backward(ctx, g):
        nb, ns = ctx.needs_input_grad[:2]
        gb = gs = None
        if nb:
            mask = ctx.device.backend.xp.ones(ctx.shape, g.array.dtype)
            _replay_array(mask, ctx.replay, ctx.device)[...] = 0
            gb = g * _wrap(mask, ctx.device)
        if ns:
            gs = g
            for fn, extra in ctx.replay:
                gs = fn(gs, *extra)
        return gb, gs, None


def _replay_array(arr, replay, device):
    """The view of ``arr`` that ``replay`` makes (an array sharing ``arr``'s memory)."""
    prev = STATE.enabled
    STATE.enabled = False
    try:
        v = _wrap(arr, device)
        for fn, extra in replay:
            v = fn(v, *extra)
    finally:
        STATE.enabled = prev
    return v.array


# --- Functions the in-place ops need ------------------------------------------------


class Copy(Function):
    """``x.copy_(src)``: ``src`` broadcast to ``x``'s shape; ``x``'s old values get a
    zero gradient (PyTorch's CopyBackwards)."""

    @staticmethod
    def forward(ctx, x, src):
        ctx.src_shape = shape_of(src)
        ctx.src_dtype = getattr(src, "dtype", None)
        xp = ctx.device.backend.xp
        return xp.broadcast_to(xp.asarray(src, dtype=x.dtype), x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        nx, ns = ctx.needs_input_grad
        gx = _wrap(ctx.device.backend.xp.zeros_like(g.array), ctx.device) if nx else None
        gs = None
        if ns:
            gs = sum_to(g, ctx.src_shape)
            if gs.dtype != ctx.src_dtype:
                gs = gs.to(ctx.src_dtype)
        return gx, gs


# --- the in-place ops -----------------------------------------------------------------


def _binary(name, fn):
    def op(self: Tensor, other) -> Tensor:
        return apply_inplace(self, name, lambda a: fn(a, other))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In place: ``self = {fn.__name__}(self, other)``."
    return op


def _unary(name, fn):
    def op(self: Tensor) -> Tensor:
        return apply_inplace(self, name, fn)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"In place: ``self = {fn.__name__}(self)``."
    return op


def add_(self: Tensor, other, alpha=1) -> Tensor:
    """In place: ``self += alpha * other``."""
    if alpha != 1:
        return apply_inplace(self, "add_", lambda a: _ar.add(a, _ar.mul(other, alpha)))
    return apply_inplace(self, "add_", lambda a: _ar.add(a, other))


def sub_(self: Tensor, other, alpha=1) -> Tensor:
    """In place: ``self -= alpha * other``."""
    if alpha != 1:
        return apply_inplace(self, "sub_", lambda a: _ar.sub(a, _ar.mul(other, alpha)))
    return apply_inplace(self, "sub_", lambda a: _ar.sub(a, other))


mul_ = _binary("mul_", _ar.mul)
pow_ = _binary("pow_", _ar.pow)


def div_(self: Tensor, other, rounding_mode=None) -> Tensor:
    """In place: ``self /= other`` (``rounding_mode`` ``"trunc"`` or ``"floor"``)."""
    if rounding_mode is None:
        return apply_inplace(self, "div_", lambda a: _ar.div(a, other))
    from . import rounding

    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div_: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    rnd = rounding.trunc if rounding_mode == "trunc" else rounding.floor
    return apply_inplace(self, "div_", lambda a: rnd(_ar.div(a, other)))


neg_ = _unary("neg_", _ar.neg)
exp_ = _unary("exp_", _ar.exp)
log_ = _unary("log_", _ar.log)
log1p_ = _unary("log1p_", _ar.log1p)
sqrt_ = _unary("sqrt_", _ar.sqrt)
rsqrt_ = _unary("rsqrt_", _ar.rsqrt)
abs_ = _unary("abs_", _ar.abs)
sin_ = _unary("sin_", _ar.sin)
cos_ = _unary("cos_", _ar.cos)
tanh_ = _unary("tanh_", _ar.tanh)
sigmoid_ = _unary("sigmoid_", _ar.sigmoid)
relu_ = _unary("relu_", _ar.relu)
erf_ = _unary("erf_", _ar.erf)
square_ = _unary("square_", _ar.square)
reciprocal_ = _unary("reciprocal_", _ar.reciprocal)


def clamp_(self: Tensor, min=None, max=None) -> Tensor:
    """In place: ``self = clamp(self, min, max)``."""
    return apply_inplace(self, "clamp_", lambda a: _ar.clamp(a, min, max))


def clamp_min_(self: Tensor, min) -> Tensor:
    """In place: ``self = clamp(self, min=min)``."""
    return apply_inplace(self, "clamp_min_", lambda a: _ar.clamp(a, min=min))


def clamp_max_(self: Tensor, max) -> Tensor:
    """In place: ``self = clamp(self, max=max)``."""
    return apply_inplace(self, "clamp_max_", lambda a: _ar.clamp(a, max=max))


def lerp_(self: Tensor, end, weight) -> Tensor:
    """In place: ``self += weight * (end - self)``."""
    return apply_inplace(self, "lerp_",
                         lambda a: _ar.add(a, _ar.mul(weight, _ar.sub(end, a))))


def addcmul_(self: Tensor, tensor1, tensor2, value=1) -> Tensor:
    """In place: ``self += value * tensor1 * tensor2``."""
    return apply_inplace(self, "addcmul_", lambda a: _ar.add(
        a, _ar.mul(_ar.mul(tensor1, tensor2), value) if value != 1 else
        _ar.mul(tensor1, tensor2)))


def addcdiv_(self: Tensor, tensor1, tensor2, value=1) -> Tensor:
    """In place: ``self += value * tensor1 / tensor2``."""
    return apply_inplace(self, "addcdiv_", lambda a: _ar.add(
        a, _ar.mul(_ar.div(tensor1, tensor2), value) if value != 1 else
        _ar.div(tensor1, tensor2)))


def copy_(self: Tensor, src, op: str = "copy_") -> Tensor:
    """Copy ``src`` (broadcast to ``self``'s shape, cast to its dtype) into ``self``."""
    if isinstance(src, Tensor) and src.device is not self.device:
        src = src.to(self.device)
    if isinstance(src, Tensor) and src.array.dtype.kind == "f" and self.array.dtype.kind != "f":
        src = _wrap(src.array, src.device)  # into an integer tensor: no gradient
    elif not isinstance(src, Tensor):
        src = Tensor(src, device=self.device)
    try:
        if np.broadcast_shapes(tuple(src.shape), tuple(self.shape)) != tuple(self.shape):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"{op}: source of shape {tuple(src.shape)} does not broadcast "
                           f"to the destination's shape {tuple(self.shape)}") from None
    return apply_inplace(self, op, lambda a: Copy.apply(a, src))


def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a one-element tensor)."""
    if isinstance(value, Tensor):
        if value.array.size != 1 or value.array.ndim > 1:
            raise RuntimeError(f"fill_: value must be a number or a 0-d tensor, got shape "
                               f"{tuple(value.shape)}")
        return copy_(self, value.reshape(()), "fill_")
    return copy_(self, value, "fill_")


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0."""
    return copy_(self, 0, "zero_")


def masked_fill_(self: Tensor, mask, value) -> Tensor:
    """Set the elements where ``mask`` is True to ``value``."""
    mask = _bool_mask(self, mask, "masked_fill_")
    return apply_inplace(self, "masked_fill_", lambda a: _ar.where(mask, value, a))


def masked_scatter_(self: Tensor, mask, source) -> Tensor:
    """Copy ``source``'s first elements, in order, to where ``mask`` is True."""
    mask = _bool_mask(self, mask, "masked_scatter_")
    return apply_inplace(self, "masked_scatter_",
                         lambda a: masked_scatter(a, mask, source))


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """Add ``alpha * source[i]`` to the slice ``index[i]`` along ``dim``."""
    return apply_inplace(self, "index_add_",
                         lambda a: index_add(a, dim, index, source, alpha=alpha))


def _dim_key(x: Tensor, dim: int, index: Tensor, op: str):
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu" or \
            index.array.ndim > 1:
        raise RuntimeError(f"{op}: index must be a 0-d or 1-d integer tensor")
    d = normalize_dim(dim, max(x.array.ndim, 1), op)
    return d, (slice(None),) * d + (index.array.reshape(-1),)


def index_copy(x: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``x`` with the slices ``index[i]`` along ``dim`` replaced by ``source``'s slices."""
    d, key = _dim_key(x, dim, index, "index_copy")
    expected = x.array.shape[:d] + (index.array.size,) + x.array.shape[d + 1:]
    if tuple(source.shape) != expected:
        raise RuntimeError(f"index_copy: source has shape {tuple(source.shape)}, expected "
                           f"{expected} for input {tuple(x.shape)} and {index.array.size} "
                           "indices")
    if source.array.dtype != x.array.dtype:
        source = source.to(x.array.dtype)
    return Scatter.apply(x, source, key)


def index_fill(x: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``x`` with the slices ``index[i]`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, whose gradient is the sum over those slices)."""
    _, key = _dim_key(x, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError(f"index_fill: value must be a number or a 0-d tensor, got "
                               f"shape {tuple(value.shape)}")
        value = value.to(x.array.dtype).expand(x.array[key].shape)
    return Scatter.apply(x, value, key)


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """In place: ``self = index_copy(self, dim, index, source)``."""
    return apply_inplace(self, "index_copy_", lambda a: index_copy(a, dim, index, source))


def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """In place: ``self = index_fill(self, dim, index, value)``."""
    return apply_inplace(self, "index_fill_", lambda a: index_fill(a, dim, index, value))


def scatter_(self: Tensor, dim: int, index: Tensor, src=None, *, value=None,
             reduce=None) -> Tensor:
    """In place: ``self = scatter(self, dim, index, src or value, reduce=reduce)``."""
    return apply_inplace(self, "scatter_", lambda a: scatter(
        a, dim, index, src, value=value, reduce=reduce))


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In place: ``self = scatter_add(self, dim, index, src)``."""
    return apply_inplace(self, "scatter_add_",
                         lambda a: scatter_add(a, dim, index, src))


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """In place: ``self = scatter_reduce(self, dim, index, src, reduce, include_self)``."""
    return apply_inplace(self, "scatter_reduce_", lambda a: scatter_reduce(
        a, dim, index, src, reduce, include_self=include_self))


def _bool_mask(x: Tensor, mask, op: str) -> Tensor:
    if not isinstance(mask, Tensor):
        mask = Tensor(mask, device=x.device)
    if mask.array.dtype.kind != "b":
        raise RuntimeError(f"{op}: expected a bool mask, got dtype {mask.array.dtype}")
    try:
        np.broadcast_shapes(tuple(mask.shape), tuple(x.shape))
    except ValueError:
        raise RuntimeError(f"{op}: mask of shape {tuple(mask.shape)} does not broadcast to "
                           f"the tensor's shape {tuple(x.shape)}") from None
    return mask


# --- __setitem__ ----------------------------------------------------------------------


def _strip_leading_ones(value: Tensor, ndim: int) -> Tensor:
    """``value`` without leading size-1 dims beyond ``ndim`` (PyTorch's setitem allows
    ``y[0] = w`` with ``w`` of shape (1, n) for a row of n)."""
    shape = value.array.shape
    lead = 0
    while len(shape) - lead > ndim and shape[lead] == 1:
        lead += 1
    return value.reshape(shape[lead:]) if lead else value


def setitem(x: Tensor, key, value) -> None:
    """``x[key] = value`` in place; differentiable for ``value`` and ``x``'s history.

    Basic keys write through a view (``x[key].copy_(value)``); integer-array and mask
    keys are an index_put of the out-of-place result.
    """
    from .indexing import _ints_first, _is_basic, _normalize_key, getitem

    if isinstance(value, Tensor):
        if value.device is not x.device:
            raise RuntimeError(f"setitem: value is on {value.device} but the tensor is on "
                               f"{x.device}")
        if value.array.dtype != x.array.dtype:
            value = value.to(x.array.dtype) if x.array.dtype.kind == "f" else _wrap(
                value.array.astype(x.array.dtype), x.device)
    if _is_basic(key):
        target = getitem(x, key)
        if isinstance(value, Tensor) and value.array.ndim > target.array.ndim:
            value = _strip_leading_ones(value, target.array.ndim)
        copy_(target, value, "setitem")
        return
    key = _normalize_key(x, key)
    split = _ints_first(key)
    if split is not None:  # PyTorch's layout, as getitem: the integers select a view first
        setitem(getitem(x, split[0]), split[1], value)
        return
    try:
        if isinstance(value, Tensor):  # broadcast to what the key selects (differentiably)
            shape = x.array[key].shape
            value = _strip_leading_ones(value, len(shape))
            if tuple(value.shape) != shape:
                value = value.expand(shape)
        apply_inplace(x, "setitem", lambda a: IndexPut.apply(a, value, key))
    except IndexError as exc:
        raise IndexError(f"setitem: {exc} (tensor shape {tuple(x.shape)})") from None


# --- random fills ---------------------------------------------------------------------


def _draw(x: Tensor, kind: str):
    """U[0, 1) or N(0, 1) samples of ``x``'s shape from its backend's generator."""
    gen = x.device.backend.generator
    dt = x.array.dtype
    draw_dt = dt if dt.kind == "f" and dt.itemsize >= 4 else np.float32
    if kind == "uniform":
        return gen.random(tuple(x.shape), dtype=draw_dt)
    return gen.standard_normal(tuple(x.shape), dtype=draw_dt)


def _fill_random(x: Tensor, op: str, arr) -> Tensor:
    return apply_inplace(x, op, lambda a: Copy.apply(a, _wrap(arr, x.device)))


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    return _fill_random(self, "uniform_", _draw(self, "uniform") * (b - a) + a)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    return _fill_random(self, "normal_", _draw(self, "normal") * std + mean)


def bernoulli_(self: Tensor, p: float = 0.5) -> Tensor:
    """Fill with 1 with probability ``p`` (a number or a tensor of probabilities), else 0."""
    pa = p.array if isinstance(p, Tensor) else p
    return _fill_random(self, "bernoulli_", (_draw(self, "uniform") < pa).astype(self.dtype))


def exponential_(self: Tensor, lambd: float = 1.0) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd``."""
    xp = self.device.backend.xp
    u = _draw(self, "uniform")
    return _fill_random(self, "exponential_", -xp.log1p(-u) / lambd)


def random_(self: Tensor, from_: int = 0, to: int | None = None) -> Tensor:
    """Fill with integers uniform on ``[from_, to)`` (``to`` defaults to the largest
    integer the dtype holds exactly, as PyTorch)."""
    dt = self.array.dtype
    if to is not None:
        hi = to
    elif dt.kind == "f":  # [from, 2^mantissa] inclusive, as PyTorch
        hi = 2 ** (np.finfo(dt).nmant + 1) + 1
    elif dt.kind == "b":
        hi = 2
    else:
        hi = int(np.iinfo(dt).max) + 1
    if hi <= from_:
        raise RuntimeError(f"random_: expects from < to, got from={from_}, to={to}")
    gen = self.device.backend.generator
    arr = gen.integers(from_, hi, size=tuple(self.shape), dtype=np.int64)
    return _fill_random(self, "random_", arr.astype(dt))


# --- operators ------------------------------------------------------------------------


def iadd(self, other):
    return add_(self, other)


def isub(self, other):
    return sub_(self, other)


def imul(self, other):
    return mul_(self, other)


def itruediv(self, other):
    if self.array.dtype.kind != "f":
        raise RuntimeError(f"/=: result type {dtypes.get_default_dtype()} can't be cast to "
                           f"the integer dtype {self.array.dtype} of the tensor changed in "
                           "place; use x = x / y")
    return div_(self, other)


def ipow(self, other):
    return pow_(self, other)


# --- step functions in place (zero gradient, as their out-of-place forms) -------------

def _rounding_op(name):
    from . import rounding

    return _unary(name + "_", getattr(rounding, name))


sign_ = _rounding_op("sign")
floor_ = _rounding_op("floor")
ceil_ = _rounding_op("ceil")
round_ = _rounding_op("round")
trunc_ = _rounding_op("trunc")
frac_ = _rounding_op("frac")


# --- out= ------------------------------------------------------------------------------


def with_out(fn):
    """``fn`` with PyTorch's ``out=`` keyword: the result is written into ``out`` (same
    shape, a dtype it can hold), an in-place change of ``out``, which is returned. As in
    PyTorch, ``out=`` is refused while an argument requires grad and grad mode is on."""

    def op(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn.__name__}: out must be a Tensor, got {type(out).__name__}")
        if STATE.enabled and any(_needs_grad(a) for a in (*args, *kwargs.values())):
            raise RuntimeError(
                f"{fn.__name__}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad; call it under "
                "ag.no_grad() or without out=")
        result = fn(*args, **kwargs)
        if tuple(result.shape) != tuple(out.shape):
            raise RuntimeError(f"{fn.__name__}: out has shape {tuple(out.shape)} but the "
                               f"result has shape {tuple(result.shape)}")
        return apply_inplace(out, f"{fn.__name__}(out=)", lambda _: result.detach())

    op.__name__ = op.__qualname__ = fn.__name__
    op.__doc__ = fn.__doc__
    op.__wrapped__ = fn
    return op


def _needs_grad(a) -> bool:
    if isinstance(a, Tensor):
        return a.requires_grad
    return isinstance(a, list | tuple) and any(_needs_grad(b) for b in a)
