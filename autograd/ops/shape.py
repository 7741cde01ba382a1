"""Shape ops: reshape, permute, expand, squeeze, cat, stack, split, pad."""

from __future__ import annotations

from ..dtypes import result_type
from ..graph import Function
from ..tensor import Tensor
from ._util import expand, normalize_dim
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


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """Same data, new shape (one dimension may be -1)."""
    shape = _shape_arg(shape)
    if shape == x.data.shape:
        return x
    size = x.data.size
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or (
        -1 in shape and (known == 0 or size % known)
    ):
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for input of shape "
            f"{tuple(x.data.shape)} ({size} elements)"
        )
    out = Reshape.apply(x, shape)
    base = out.data.base
    if base is not None and (base is x.data or base is x.data.base):  # not a copy
        make_view(out, x, reshape, (shape,))
    return out


def permute(x: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    nd = x.data.ndim
    if sorted(d % nd for d in dims) != list(range(nd)) if nd else dims:
        raise ValueError(f"permute: dims {dims} are not a permutation of {nd} dimensions")
    axes = tuple(d % nd for d in dims)
    if axes == tuple(range(nd)):
        return x
    return make_view(Permute.apply(x, axes), x, permute, (axes,))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = x.data.ndim
    if nd == 0:
        return x
    d0, d1 = normalize_dim(dim0, nd, "transpose"), normalize_dim(dim1, nd, "transpose")
    axes = list(range(nd))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(x, axes)


def t(x: Tensor) -> Tensor:
    if x.data.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got {x.data.ndim}")
    return transpose(x, 0, 1) if x.data.ndim == 2 else x


def T(x: Tensor) -> Tensor:
    return permute(x, tuple(range(x.data.ndim))[::-1])


def mT(x: Tensor) -> Tensor:
    return transpose(x, -2, -1)


def expand_(x: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a dimension), as ``Tensor.expand``."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.data.ndim
    if lead < 0:
        raise RuntimeError(f"expand: cannot expand shape {tuple(x.data.shape)} to {sizes}")
    shape = tuple(
        x.data.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes)
    )
    for i, n in enumerate(x.data.shape):
        if n != 1 and n != shape[i + lead]:
            raise RuntimeError(
                f"expand: cannot expand shape {tuple(x.data.shape)} to {sizes}: dimension "
                f"{i} has size {n}"
            )
    return make_view(expand(x, shape), x, expand_, (shape,))


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand_(x, tuple(shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand_(x, other.shape)


def squeeze(x: Tensor, dim=None) -> Tensor:
    shape = x.data.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {normalize_dim(d, len(shape), "squeeze") for d in dims} if shape else set()
        new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return reshape(x, new)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    nd = x.data.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dim {dim} out of range for {nd - 1}-d tensor")
    dim %= nd
    shape = x.data.shape
    return reshape(x, shape[:dim] + (1,) + shape[dim:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = x.data.shape
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
    shape = x.data.shape
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
    dt = tensors[0].data.dtype
    for t in tensors[1:]:
        dt = result_type(dt, t.data.dtype)
    tensors = [t if t.data.dtype == dt else t.to(dt) for t in tensors]
    # PyTorch skips 1-d empty tensors (legacy: cat([zeros(0), x]) is x)
    tensors = [t for t in tensors if t.data.shape != (0,)] or tensors[:1]
    first = tensors[0]
    nd = first.data.ndim
    d = normalize_dim(dim, nd, "cat")
    for t in tensors:
        if t.data.ndim != nd or any(
            a != b for i, (a, b) in enumerate(zip(t.data.shape, first.data.shape)) if i != d
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
    shape = tensors[0].data.shape
    for t in tensors:
        if t.data.shape != shape:
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
    d = normalize_dim(dim, x.data.ndim, "split")
    n = x.data.shape[d]
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
    n = x.data.shape[normalize_dim(dim, x.data.ndim, "chunk")]
    size = max(1, -(-n // chunks))
    return split(x, size, dim)


def unbind(x: Tensor, dim: int = 0) -> tuple:
    d = normalize_dim(dim, x.data.ndim, "unbind")
    return tuple(squeeze(p, d) for p in split(x, 1, d))


def pad(x: Tensor, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with ``value``. ``pad`` lists (before, after) pairs starting from the LAST
    dimension, as in ``torch.nn.functional.pad``."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.data.ndim:
        raise ValueError(
            f"pad: expected an even number of values for at most {x.data.ndim} dims, got {pad}"
        )
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    widths = [(0, 0)] * x.data.ndim
    for i in range(len(pad) // 2):
        widths[x.data.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad.apply(x, tuple(widths), value)
