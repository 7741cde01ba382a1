"""Shape ops: reshape, permute, expand, squeeze, cat, stack, split, pad."""

from __future__ import annotations

from ..dtypes import result_type
from ..graph import Function
from ..tensor import Tensor
from ._util import as_size, expand, normalize_dim
from .views import make_view, make_views, view  # noqa: F401  (view: ops.view)


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return Reshape.apply(g, ctx.in_shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return Permute.apply(g, tuple(inverse)), None


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return ctx.device.backend.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad[1:]
        pieces = Split.apply(g, ctx.sizes, ctx.dim) if any(need) else ()
        if len(ctx.sizes) == 1:
            pieces = (pieces,)
        return (None,) + tuple(p if n else None for p, n in zip(pieces, need))


class Split(Function):
    """Split along ``dim`` into pieces of the given sizes (one output per piece)."""

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds, total = [], 0
        for s in sizes[:-1]:
            total += s
            bounds.append(total)
        parts = ctx.device.backend.xp.split(x, bounds, axis=dim)
        return tuple(parts) if len(parts) > 1 else parts[0]

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return ctx.device.backend.xp.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        from .indexing import getitem

        return getitem(g, ctx.slices), None, None


# --- Python-facing functions --------------------------------------------------------


def _shape_arg(shape, op: str = "shape") -> tuple:
    return as_size(shape, op)


def reshape(x: Tensor, *shape) -> Tensor:
    """Same data, new shape (one dimension may be -1)."""
    shape = _shape_arg(shape, "reshape")
    if shape == x.array.shape:
        return x
    size = x.array.size
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or (
        -1 in shape and (known == 0 or size % known)
    ):
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of shape "
            f"{tuple(x.array.shape)} ({size} elements)"
        )
    out = Reshape.apply(x, shape)
    base = out.array.base
    if base is not None and (base is x.array or base is x.array.base):  # not a copy
        make_view(out, x, reshape, (shape,))
    return out


def permute(x: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    nd = x.array.ndim
    if sorted(d % nd for d in dims) != list(range(nd)) if nd else dims:
        raise ValueError(f"permute: dims {dims} are not a permutation of {nd} dimensions")
    axes = tuple(d % nd for d in dims)
    if axes == tuple(range(nd)):
        return x
    return make_view(Permute.apply(x, axes), x, permute, (axes,))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = x.array.ndim
    if nd == 0:
        return x
    d0, d1 = normalize_dim(dim0, nd, "transpose"), normalize_dim(dim1, nd, "transpose")
    axes = list(range(nd))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(x, axes)


def t(x: Tensor) -> Tensor:
    if x.array.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got {x.array.ndim}")
    return transpose(x, 0, 1) if x.array.ndim == 2 else x


def expand_to(x: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a dimension), checked, as ``Tensor.expand``
    (a view, not in place: the old name ``expand_`` said otherwise)."""
    sizes = _shape_arg(sizes, "expand")
    lead = len(sizes) - x.array.ndim
    if lead < 0:
        raise RuntimeError(f"expand: cannot expand shape {tuple(x.array.shape)} to {sizes}")
    for i, s in enumerate(sizes):
        if s < -1 or (s == -1 and i < lead):
            raise RuntimeError(f"expand: size {s} at position {i} of {sizes} is not allowed "
                               f"(-1 keeps an existing dimension of {tuple(x.array.shape)})")
    shape = tuple(
        x.array.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes)
    )
    for i, n in enumerate(x.array.shape):
        if n != 1 and n != shape[i + lead]:
            raise RuntimeError(
                f"expand: cannot expand shape {tuple(x.array.shape)} to {sizes}: dimension "
                f"{i} has size {n}"
            )
    return make_view(expand(x, shape), x, expand_to, (shape,))


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand_to(x, tuple(shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand_to(x, other.shape)


expand_ = expand_to  # the old name (kept for one release; not exported)


def squeeze(x: Tensor, dim=None) -> Tensor:
    shape = x.array.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {normalize_dim(d, len(shape), "squeeze") for d in dims} if shape else set()
        new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return reshape(x, new)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    nd = x.array.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dim {dim} out of range for {nd - 1}-d tensor")
    dim %= nd
    shape = x.array.shape
    return reshape(x, shape[:dim] + (1,) + shape[dim:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = x.array.shape
    if not shape:
        return reshape(x, (1,))
    s = normalize_dim(start_dim, len(shape), "flatten")
    e = normalize_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    n = 1
    for k in shape[s:e + 1]:
        n *= k
    return reshape(x, shape[:s] + (n,) + shape[e + 1:])


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    shape = x.array.shape
    d = normalize_dim(dim, len(shape), "unflatten")
    return reshape(x, shape[:d] + tuple(sizes) + shape[d + 1:])


def _check_same(tensors, op):
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__}")


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; other dimensions must match."""
    tensors = list(tensors)
    _check_same(tensors, "cat")
    dt = tensors[0].array.dtype
    for t in tensors[1:]:
        dt = result_type(dt, t.array.dtype)
    tensors = [t if t.array.dtype == dt else t.to(dt) for t in tensors]
    # PyTorch skips 1-d empty tensors (legacy: cat([zeros(0), x]) is x)
    tensors = [t for t in tensors if t.array.shape != (0,)] or tensors[:1]
    first = tensors[0]
    nd = first.array.ndim
    d = normalize_dim(dim, nd, "cat")
    for t in tensors:
        if t.array.ndim != nd or any(
            a != b for i, (a, b) in enumerate(zip(t.array.shape, first.array.shape)) if i != d
        ):
            raise RuntimeError(
                f"cat: shapes {[tuple(x.shape) for x in tensors]} must match except in "
                f"dimension {d}"
            )
    return Cat.apply(d, *tensors)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    tensors = list(tensors)
    _check_same(tensors, "stack")
    shape = tensors[0].array.shape
    for t in tensors:
        if t.array.shape != shape:
            raise RuntimeError(
                f"stack: expects tensors of equal shape, got {[tuple(x.shape) for x in tensors]}"
            )
    nd = len(shape) + 1
    if not -nd <= dim < nd:
        raise IndexError(f"stack: dim {dim} out of range for {nd - 1}-d tensors")
    return cat([unsqueeze(t, dim) for t in tensors], dim % nd)


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into pieces of ``split_size`` (the last may be smaller), or of the given
    list of sizes, along ``dim`` (PyTorch's meaning)."""
    d = normalize_dim(dim, x.array.ndim, "split")
    n = x.array.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} sum to {sum(sizes)}, but dimension {d} has size {n}"
            )
    out = Split.apply(x, sizes, d)
    return make_views(out if isinstance(out, tuple) else (out,), x)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.array.shape[normalize_dim(dim, x.array.ndim, "chunk")]
    size = max(1, -(-n // chunks))
    return split(x, size, dim)


def unbind(x: Tensor, dim: int = 0) -> tuple:
    d = normalize_dim(dim, x.array.ndim, "unbind")
    return tuple(squeeze(p, d) for p in split(x, 1, d))


def pad(x: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad as ``torch.nn.functional.pad``: ``pad`` lists (before, after) pairs starting
    from the LAST dimension; a negative amount crops. ``mode``: "constant" (``value``,
    default 0), "reflect" (mirror without repeating the edge), "replicate" (repeat the
    edge) or "circular" (wrap around); those three pad the last 1-3 dims of an input with
    one or two more dims (batch, channels), as PyTorch."""
    pad = as_size(tuple(pad), "pad")
    nd, k = x.array.ndim, len(pad) // 2
    if len(pad) % 2 or k > nd:
        raise ValueError(f"pad: expected an even number of values for at most {nd} dims, "
                         f"got {pad}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown mode {mode!r}; expected 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    if mode != "constant" and not (1 <= k <= 3 and nd in (k + 1, k + 2)):
        raise NotImplementedError(
            f"pad: mode {mode!r} pads the last {k} dims of a {k + 1}-d or {k + 2}-d input "
            f"(with batch/channel dims), got {nd}-d input of shape {tuple(x.array.shape)} "
            f"and padding {pad}")
    if mode in ("reflect", "replicate"):  # PyTorch maps indices over the uncropped input
        for i in range(k):
            if pad[2 * i] or pad[2 * i + 1]:
                x = _pad_by_index(x, nd - 1 - i, pad[2 * i], pad[2 * i + 1], mode)
        return x
    crop, widths = [slice(None)] * nd, [(0, 0)] * nd
    for i in range(k):  # negative amounts crop first; the rest pads what is left
        d, lo, hi = nd - 1 - i, pad[2 * i], pad[2 * i + 1]
        n = x.array.shape[d]
        start, stop = max(-lo, 0), n - max(-hi, 0)
        if stop < start:
            raise RuntimeError(f"pad: padding {pad} crops more than the {n} elements of "
                               f"dimension {d} of shape {tuple(x.array.shape)}")
        crop[d], widths[d] = slice(start, stop), (max(lo, 0), max(hi, 0))
    if any(c != slice(None) for c in crop):
        from .indexing import getitem

        x = getitem(x, tuple(crop))
    if mode == "constant":
        if not any(lo or hi for lo, hi in widths):
            return x
        return Pad.apply(x, tuple(widths), 0.0 if value is None else value)
    for d, (lo, hi) in enumerate(widths):
        if lo or hi:
            x = _pad_by_index(x, d, lo, hi, mode)
    return x


def _pad_by_index(x: Tensor, d: int, lo: int, hi: int, mode: str) -> Tensor:
    """Pad dimension ``d`` by gathering source indices (the backward scatter-adds)."""
    import numpy as np

    from .indexing import getitem

    n = x.array.shape[d]
    limit = n - 1 if mode == "reflect" else n if mode == "circular" else None
    if limit is not None and max(lo, hi) > limit or n == 0 or n + lo + hi <= 0:
        raise RuntimeError(
            f"pad: mode {mode!r} cannot pad dimension {d} of size {n} (shape "
            f"{tuple(x.array.shape)}) by ({lo}, {hi})"
            + (f": padding must be {'<' if mode == 'reflect' else '<='} the size"
               if limit is not None and max(lo, hi) > limit else ""))
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        i = np.abs(i)
        i = np.where(i >= n, 2 * (n - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    else:
        i = i % n
    return getitem(x, (slice(None),) * d + (i,))
