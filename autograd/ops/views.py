"""Views: tensors that share their base's storage, as PyTorch's.

``make_view`` marks an op's result as a view of its input: it shares the input's
version counter, remembers its base (``._base``) and, when grad mode is on, how to
make it again from the base (``replay``), which in-place ops on views need
(``inplace.CopySlices``). The view ops that exist nowhere else (``narrow``,
``diagonal``, ``unfold``, a strict ``view``, ``contiguous``) live here too.
"""

from __future__ import annotations

from ..grad_mode import STATE
from ..graph import Function
from ..tensor import Tensor, _ViewInfo, version_counter
from ._util import normalize_dim


def make_view(out: Tensor, x: Tensor, fn, extra: tuple = ()) -> Tensor:
    """Mark ``out`` (= ``fn(x, *extra)``, sharing ``x``'s memory) as a view of ``x``."""
    if out is x:
        return out
    info = x._view
    vc = version_counter(x)
    out._vc = vc
    if STATE.enabled and (info is None or info.replay is not None):
        replay = ((fn, extra),) if info is None else info.replay + ((fn, extra),)
    else:
        replay = None  # made under no_grad (or from such a view): never replayed
    out._view = _ViewInfo(x if info is None else info.base, replay, vc.value)
    return out


def make_views(outs, x: Tensor):
    """Mark several outputs of one op (``split``) as views that cannot be replayed (PyTorch
    refuses in-place changes of them while grad mode is on, and so do we)."""
    prev = STATE.enabled
    STATE.enabled = False
    try:
        return tuple(make_view(o, x, None) for o in outs)
    finally:
        STATE.enabled = prev


def _strided(xp):
    return xp.lib.stride_tricks.as_strided


# --- view ops ------------------------------------------------------------------------


def view(x: Tensor, *shape) -> Tensor:
    """The same storage seen with a new shape; raises when that needs a copy (use
    ``reshape``), as PyTorch's ``view``."""
    from .shape import reshape

    out = reshape(x, *shape)
    if out is not x and out._view is None and x.array.size > 1:
        raise RuntimeError(
            f"view: shape {tuple(out.shape)} is not compatible with the input's shape "
            f"{tuple(x.shape)} and strides {x.stride()} (at least one dimension spans "
            "across two contiguous subspaces); use .reshape(...) instead")
    return out


def contiguous(x: Tensor) -> Tensor:
    """``x`` itself when its elements are in row-major order, else a contiguous copy."""
    if x.array.flags.c_contiguous:
        return x
    from .convert import clone

    return clone(x)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view ``x[..., start:start + length, ...]`` along ``dim``."""
    from .indexing import getitem

    d = normalize_dim(dim, x.array.ndim, "narrow")
    n = x.array.shape[d]
    given = start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(f"narrow: start {given} and length {length} are out of range for "
                         f"dimension {d} of size {n} (shape {tuple(x.shape)})")
    key = (slice(None),) * d + (slice(start, start + length),)
    return getitem(x, key)


def _diagonal_view(xp, a, offset, d1, d2):
    """The writable view of ``a``'s diagonal (as ``numpy.diagonal``, whose view is
    read-only): the two dims removed, the diagonal appended last."""
    at = xp.moveaxis(a, (d1, d2), (-2, -1))
    at = at[..., :, offset:] if offset >= 0 else at[..., -offset:, :]
    n = max(0, min(at.shape[-2], at.shape[-1]))
    return _strided(xp)(at, at.shape[:-2] + (n,),
                        at.strides[:-2] + (at.strides[-2] + at.strides[-1],))


class Diagonal(Function):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args, ctx.shape = (offset, d1, d2), x.shape
        return _diagonal_view(ctx.device.backend.xp, x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, ctx.shape, *ctx.args), None, None, None


class DiagonalScatter(Function):
    """Zeros of ``shape`` with ``g`` on the diagonal; the adjoint of ``Diagonal``."""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        xp = ctx.device.backend.xp
        out = xp.zeros(shape, g.dtype)
        _diagonal_view(xp, out, offset, d1, d2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The view of the diagonal (``offset`` above the main one) of the ``dim1``/``dim2``
    planes, appended as the last dimension."""
    nd = x.array.ndim
    if nd < 2:
        raise RuntimeError(f"diagonal: expects a tensor of at least 2 dims, got shape "
                           f"{tuple(x.shape)}")
    d1, d2 = normalize_dim(dim1, nd, "diagonal"), normalize_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be equal (both {d1})")
    out = Diagonal.apply(x, int(offset), d1, d2)
    return make_view(out, x, diagonal, (offset, d1, d2))


def _unfold_view(xp, a, dim, size, step):
    n = (a.shape[dim] - size) // step + 1
    shape = a.shape[:dim] + (n,) + a.shape[dim + 1:] + (size,)
    strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (
        a.strides[dim],)
    return _strided(xp)(a, shape, strides)


class Unfold(Function):
    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.args, ctx.shape = (dim, size, step), x.shape
        return _unfold_view(ctx.device.backend.xp, x, dim, size, step)

    @staticmethod
    def backward(ctx, g):
        return UnfoldBackward.apply(g, ctx.shape, *ctx.args), None, None, None


class UnfoldBackward(Function):
    """The adjoint of ``Unfold``: each window added back where it came from."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        xp = ctx.device.backend.xp
        out = xp.zeros(shape, g.dtype)
        windows = _unfold_view(xp, out, dim, size, step)
        for k in range(size):  # windows overlap when step < size: add one offset at a time
            windows[..., k] += g[..., k]
        return out

    @staticmethod
    def backward(ctx, gg):
        return Unfold.apply(gg, *ctx.args), None, None, None, None


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """The view of every slice of ``size`` elements along ``dimension``, ``step`` apart,
    in a new last dimension (``Tensor.unfold``)."""
    d = normalize_dim(dimension, max(x.array.ndim, 1), "unfold")
    n = x.array.shape[d] if x.array.ndim else 1
    if size < 0 or size > n or step <= 0:
        raise RuntimeError(f"unfold: size {size} must be in [0, {n}] and step {step} > 0 "
                           f"(dimension {d} of shape {tuple(x.shape)})")
    if x.array.ndim == 0:  # PyTorch: the value as one window of `size` (0 or 1) elements
        from .shape import reshape

        return reshape(unfold(reshape(x, (1,)), 0, size, step), (int(size),))
    out = Unfold.apply(x, d, int(size), int(step))
    return make_view(out, x, unfold, (d, size, step))
