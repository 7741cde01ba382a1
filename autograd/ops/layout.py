"""Rearranging ops: flips and rolls, repeats and tiles, diagonals and triangles, moving
and stacking dimensions, meshgrids and products of vectors.

Most are compositions of reshape/expand/permute/indexing (whose gradients exist);
``flip`` and ``roll`` are Functions whose backward is the same op undone.
"""

from __future__ import annotations

import numpy as np

from ..graph import Function
from ..recording import replayable
from ..tensor import Tensor, _wrap
from ._util import normalize_dim, normalize_dims
from .arithmetic import where
from .indexing import IndexAddInto, getitem
from .shape import cat, expand_to, permute, reshape, stack, transpose, unsqueeze
from .views import diagonal


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        # a copy, as PyTorch's: xp.flip is a view, and an in-place op on the result
        # must not write into the input
        return ctx.device.backend.xp.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.axes), None


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return ctx.device.backend.xp.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(g, back, ctx.axes), None, None


def _dims(dims) -> tuple:
    return (dims,) if isinstance(dims, int) else tuple(dims)


def flip(x: Tensor, dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a new tensor, also for no dims)."""
    axes = normalize_dims(_dims(dims), x.array.ndim, "flip")
    return Flip.apply(x, axes if x.array.ndim else ())  # dim 0 or -1 of a 0-d: nothing


def fliplr(x: Tensor) -> Tensor:
    """Flip along dimension 1 (needs at least 2 dimensions)."""
    if x.array.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {tuple(x.shape)}")
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    """Flip along dimension 0 (needs at least 1 dimension)."""
    if x.array.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(x, 0)


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (all elements, flattened,
    when ``dims`` is None)."""
    if dims is None:
        if not isinstance(shifts, int) and len(_dims(shifts)) != 1:
            raise RuntimeError(f"roll: without dims, shifts must be one number, got {shifts}")
        s = shifts if isinstance(shifts, int) else _dims(shifts)[0]
        return reshape(Roll.apply(reshape(x, -1), int(s), 0), x.array.shape)
    shifts, dims = _dims(shifts), _dims(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    axes = tuple(normalize_dim(d, x.array.ndim, "roll") for d in dims)
    return Roll.apply(x, tuple(int(s) for s in shifts), axes)


def rot90(x: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first axis
    toward the second)."""
    d0, d1 = (normalize_dim(d, x.array.ndim, "rot90") for d in dims)
    if len(dims) != 2 or d0 == d1:
        raise RuntimeError(f"rot90: dims must be two different axes, got {dims}")
    k %= 4
    if k == 1:
        return transpose(flip(x, d1), d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return flip(transpose(x, d0, d1), d1)
    return flip(x, ())  # a copy, as PyTorch's rot90 with k % 4 == 0


def _sizes(sizes) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = sizes[0]
    return tuple(int(s) for s in sizes)


def repeat(x: Tensor, *sizes) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along each dimension (``Tensor.repeat``); ``sizes``
    may have more entries than ``x`` has dimensions."""
    sizes = _sizes(sizes)
    nd = x.array.ndim
    if len(sizes) < nd:
        raise RuntimeError(f"repeat: {len(sizes)} repeat counts for a tensor of {nd} "
                           "dimensions; give at least one per dimension")
    shape = (1,) * (len(sizes) - nd) + x.array.shape
    # (a, b) -> (1, a, 1, b) -> (r0, a, r1, b) -> (r0 * a, r1 * b)
    inter = tuple(v for n in shape for v in (1, n))
    big = tuple(v for r, n in zip(sizes, shape) for v in (r, n))
    out = expand_to(reshape(x, inter), big)
    return reshape(out, tuple(r * n for r, n in zip(sizes, shape)))


def tile(x: Tensor, dims) -> Tensor:
    """``repeat`` with ``dims`` padded with ones on the left to ``x.ndim``."""
    dims = _sizes((dims,))
    return repeat(x, (1,) * (x.array.ndim - len(dims)) + dims)


@replayable(sized_by_values=True)  # ag.compile: found again on replay, its size checked
def _repeat_arange(xp, counts, n=None):
    """``i`` repeated ``counts[i]`` times, for each ``i`` (int64); with ``n``, one count
    (shape (1,)) stands for all ``n``."""
    if n is not None and counts.shape == (1,):
        counts = xp.broadcast_to(counts, (n,))
    return xp.repeat(xp.arange(counts.shape[0]), counts).astype(np.int64)


def repeat_interleave(x, repeats=None, dim: int | None = None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int, or one count per element along
    ``dim``); flattens first when ``dim`` is None. ``repeat_interleave(counts)`` alone
    repeats ``arange(len(counts))``."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        return _wrap(_repeat_arange(x.device.backend.xp, x.array), x.device)
    if dim is None:
        x, d = reshape(x, -1), 0
    else:
        d = normalize_dim(dim, x.array.ndim, "repeat_interleave")
    n = x.array.shape[d]
    if isinstance(repeats, int) or (isinstance(repeats, Tensor) and repeats.array.ndim == 0):
        r = int(repeats)
        shape = x.array.shape
        out = expand_to(unsqueeze(x, d + 1), shape[:d + 1] + (r,) + shape[d + 1:])
        return reshape(out, shape[:d] + (n * r,) + shape[d + 1:])
    xp = x.device.backend.xp
    counts = repeats.array if isinstance(repeats, Tensor) else xp.asarray(repeats)
    if counts.shape not in ((n,), (1,)):
        raise RuntimeError(f"repeat_interleave: repeats has shape {tuple(counts.shape)}, "
                           f"expected ({n},) for dimension {d} of shape {tuple(x.shape)}")
    # the index made in a recorded step (ag.compile would take it for a constant)
    idx = _repeat_arange(xp, counts, n)
    return getitem(x, (slice(None),) * d + (idx,))


def movedim(x: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` to positions ``destination``; the others keep order."""
    nd = x.array.ndim
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: source {src} and destination {dst} differ in length")
    src = [normalize_dim(s, nd, "movedim") for s in src]
    dst = [normalize_dim(s, nd, "movedim") for s in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


moveaxis = movedim


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose`` under NumPy's name."""
    return transpose(x, axis0, axis1)


swapdims = swapaxes


# --- diagonals and triangles ----------------------------------------------------------


def _diag_index(xp, n_rows, n_cols, offset):
    """Row and column indices of diagonal ``offset`` of an ``n_rows x n_cols`` matrix."""
    start_r, start_c = max(-offset, 0), max(offset, 0)
    length = max(0, min(n_rows - start_r, n_cols - start_c))
    r = xp.arange(length)
    return r + start_r, r + start_c


_diagonal = diagonal  # diag's argument is called ``diagonal``, as in PyTorch


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose diagonal ``offset`` (in dims ``dim1, dim2`` of the result) holds
    the last dimension of ``x``; zeros elsewhere."""
    n = x.array.shape[-1] + abs(offset)
    xp = x.device.backend.xp
    rows, cols = _diag_index(xp, n, n, offset)
    out = IndexAddInto.apply(x, (Ellipsis, rows, cols), x.array.shape[:-1] + (n, n))
    nd = out.array.ndim
    d1, d2 = normalize_dim(dim1, nd, "diag_embed"), normalize_dim(dim2, nd, "diag_embed")
    if (d1, d2) == (nd - 2, nd - 1):
        return out
    return movedim(out, (-2, -1), (d1, d2))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a square matrix with it on diagonal ``diagonal``; a 2-D input
    gives its diagonal ``diagonal`` as a 1-D tensor."""
    if x.array.ndim == 1:
        return diag_embed(x, diagonal)
    if x.array.ndim == 2:
        return _diagonal(x, diagonal)
    raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(x.shape)}")


def diagflat(x: Tensor, offset: int = 0) -> Tensor:
    """``diag`` of the flattened input."""
    return diag_embed(reshape(x, -1), offset)


def _triangle(x, diagonal, lower, op):
    if x.array.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions, got shape "
                           f"{tuple(x.shape)}")
    xp = x.device.backend.xp
    n, m = x.array.shape[-2:]
    keep = (xp.tri(n, m, diagonal, dtype=bool) if lower
            else ~xp.tri(n, m, diagonal - 1, dtype=bool))
    return where(_wrap(keep, x.device), x, 0)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below diagonal ``diagonal``) of the last two dims."""
    return _triangle(x, diagonal, True, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above diagonal ``diagonal``) of the last two dims."""
    return _triangle(x, diagonal, False, "triu")


def trace(x: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor."""
    if x.array.ndim != 2:
        raise RuntimeError(f"trace: expected a 2-D tensor, got shape {tuple(x.shape)}")
    return diagonal(x).sum()


# --- products of vectors, grids ------------------------------------------------------


def outer(a: Tensor, b: Tensor) -> Tensor:
    """``a[i] * b[j]`` for 1-D ``a`` and ``b``."""
    if a.array.ndim != 1 or b.array.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    return unsqueeze(a, 1) * unsqueeze(b, 0)


ger = outer


def kron(a: Tensor, b: Tensor) -> Tensor:
    """Kronecker product: block ``(i, j)`` of the result is ``a[i, j] * b``."""
    nd = max(a.array.ndim, b.array.ndim)
    sa = (1,) * (nd - a.array.ndim) + a.array.shape
    sb = (1,) * (nd - b.array.ndim) + b.array.shape
    # a: (a0, 1, a1, 1), b: (1, b0, 1, b1) -> (a0 * b0, a1 * b1)
    ai = reshape(a, tuple(v for n in sa for v in (n, 1)))
    bi = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(ai * bi, tuple(x * y for x, y in zip(sa, sb)))


def cross(a: Tensor, b: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3,
    as ``torch.cross``); the inputs broadcast."""
    shape = np.broadcast_shapes(a.array.shape, b.array.shape)
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in shape {tuple(shape)}")
    a, b = expand_to(a, shape), expand_to(b, shape)
    d = normalize_dim(dim, len(shape), "cross")
    if shape[d] != 3:
        raise RuntimeError(f"cross: dimension {d} has size {shape[d]}, expected 3")
    pre = (slice(None),) * d
    a0, a1, a2 = (getitem(a, pre + (i,)) for i in range(3))
    b0, b1, b2 = (getitem(b, pre + (i,)) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: ``indexing="ij"`` (matrix, PyTorch's default)
    or ``"xy"`` (Cartesian: the first two grid dimensions swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.array.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-D or 1-D tensors, got shape "
                               f"{tuple(t.shape)}")
    vecs = [reshape(t, -1) for t in tensors]
    swap = indexing == "xy" and len(vecs) >= 2
    if swap:
        vecs[0], vecs[1] = vecs[1], vecs[0]
    shape = tuple(v.array.shape[0] for v in vecs)
    out = []
    for i, v in enumerate(vecs):
        view = [1] * len(vecs)
        view[i] = shape[i]
        out.append(expand_to(reshape(v, tuple(view)), shape))
    if swap:  # "xy" is "ij" of (y, x, ...) with the first two grids given back swapped
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """All tuples of one element from each 1-D tensor, as rows (``itertools.product``)."""
    if len(tensors) == 1:
        return tensors[0]
    return stack([reshape(g, -1) for g in meshgrid(*tensors, indexing="ij")], 1)


def broadcast_shapes(*shapes) -> tuple:
    """The shape that the given shapes broadcast to."""
    try:
        return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                           for s in shapes]))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {list(shapes)} do not broadcast") \
            from None


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape."""
    shape = broadcast_shapes(*[t.array.shape for t in tensors])
    return tuple(expand_to(t, shape) for t in tensors)


# --- at least n-d, and stacking ---------------------------------------------------------


def _atleast(tensors, n):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and not single:
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        s = t.array.shape
        if len(s) < n:
            s = {0: (1,) * n, 1: {1: s, 2: (1,) + s, 3: (1,) + s + (1,)}[n],
                 2: s + (1,)}[len(s)]
            t = reshape(t, s)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """Views with at least one dimension (a 0-d tensor becomes shape (1,))."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Views with at least two dimensions (1-D ``(n,)`` becomes ``(1, n)``)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Views with at least three dimensions (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``), as NumPy."""
    return _atleast(tensors, 3)


def hstack(tensors) -> Tensor:
    """Concatenate along dimension 1 (dimension 0 for 1-D tensors)."""
    tensors = atleast_1d(*tensors)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0 if tensors[0].array.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate along dimension 0 after making each at least 2-D."""
    tensors = atleast_2d(*tensors)
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Concatenate along dimension 2 after making each at least 3-D."""
    tensors = atleast_3d(*tensors)
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 2)


def column_stack(tensors) -> Tensor:
    """Stack 0-d and 1-D tensors as columns (``(n,)`` -> ``(n, 1)``), then ``hstack``."""
    cols = [reshape(t, (t.array.size, 1)) if t.array.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


# --- more layout: select, ravel, tensor_split and its h/v/d forms, block_diag, ---------
# --- combinations, triangle indices, sum_to_size --------------------------------------


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dimension removed (a view)."""
    d = normalize_dim(dim, x.array.ndim, "select")
    n = x.array.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dimension {d} of size "
                         f"{n}")
    return getitem(x, (slice(None),) * d + (int(index),))


def ravel(x: Tensor) -> Tensor:
    """``x`` flattened to 1-D."""
    return reshape(x, -1)


def tensor_split(x: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Split along ``dim`` into ``n`` nearly equal pieces (the first ``size % n`` one
    longer), or at the given indices, as ``numpy.array_split``."""
    d = normalize_dim(dim, x.array.ndim, "tensor_split")
    size = x.array.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"tensor_split: sections must be positive, got {n}")
        q, r = divmod(size, n)
        bounds, start = [], 0
        for i in range(n - 1):
            start += q + (1 if i < r else 0)
            bounds.append(start)
    else:
        bounds = [int(i) for i in indices_or_sections]
    edges = [0] + [min(max(b if b >= 0 else b + size, 0), size) for b in bounds] + [size]
    pre = (slice(None),) * d
    return tuple(getitem(x, pre + (slice(lo, max(lo, hi)),))
                 for lo, hi in zip(edges[:-1], edges[1:]))


def _np_style_split(x, sections, dim, op):
    if isinstance(sections, int) and x.array.shape[dim] % sections:
        raise RuntimeError(f"{op}: dimension {dim} of size {x.array.shape[dim]} is not "
                           f"divisible by {sections}")
    return tensor_split(x, sections, dim)


def hsplit(x: Tensor, sections) -> tuple:
    """``tensor_split`` along dimension 1 (0 for 1-D), into equal parts when an int."""
    if x.array.ndim == 0:
        raise RuntimeError("hsplit: needs at least 1 dimension")
    return _np_style_split(x, sections, 1 if x.array.ndim > 1 else 0, "hsplit")


def vsplit(x: Tensor, sections) -> tuple:
    """``tensor_split`` along dimension 0 of a tensor of at least 2 dimensions."""
    if x.array.ndim < 2:
        raise RuntimeError(f"vsplit: needs at least 2 dimensions, got shape {tuple(x.shape)}")
    return _np_style_split(x, sections, 0, "vsplit")


def dsplit(x: Tensor, sections) -> tuple:
    """``tensor_split`` along dimension 2 of a tensor of at least 3 dimensions."""
    if x.array.ndim < 3:
        raise RuntimeError(f"dsplit: needs at least 3 dimensions, got shape {tuple(x.shape)}")
    return _np_style_split(x, sections, 2, "dsplit")


def split_with_sizes(x: Tensor, split_sizes, dim: int = 0) -> tuple:
    """``split`` with a list of sizes (which must add up to the dimension)."""
    from .shape import split

    return split(x, list(split_sizes), dim)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the given (0-, 1- or 2-D) tensors, zeros elsewhere."""
    mats = []
    for t in tensors:
        if t.array.ndim > 2:
            raise RuntimeError(f"block_diag: inputs must have at most 2 dimensions, got "
                               f"shape {tuple(t.shape)}")
        mats.append(reshape(t, (1, -1)) if t.array.ndim < 2 else t)
    if not mats:
        from ..factories import zeros

        return zeros(1, 0)  # PyTorch's result for no blocks
    from ..dtypes import result_type
    from .shape import pad

    dt = mats[0].array.dtype
    for m in mats[1:]:
        dt = result_type(dt, m.array.dtype)
    cols = sum(m.array.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        w = m.array.shape[1]
        m = m if m.array.dtype == dt else m.to(dt)
        rows.append(pad(m, (left, cols - left - w)))
        left += w
    return cat(rows, 0)


def combinations(x: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of the 1-D ``x``'s elements, as rows (as
    ``itertools.combinations``, or ``combinations_with_replacement``)."""
    import itertools

    if x.array.ndim != 1:
        raise RuntimeError(f"combinations: expected a 1-D tensor, got shape {tuple(x.shape)}")
    pick = (itertools.combinations_with_replacement if with_replacement
            else itertools.combinations)
    if r == 0:  # PyTorch: an empty 1-D tensor
        return _wrap(x.device.backend.xp.zeros((0,), x.array.dtype), x.device)
    idx = np.array(list(pick(range(x.array.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return getitem(x, x.device.backend.xp.asarray(idx))


def _tri_indices(row, col, offset, lower, dtype, device):
    import backends

    dev = backends.get_device(device)
    keep = np.tri(row, col, offset, dtype=bool) if lower else ~np.tri(row, col, offset - 1,
                                                                     dtype=bool)
    r, c = np.nonzero(keep)
    out = np.stack([r, c]).astype(np.dtype(dtype) if dtype is not None else np.int64)
    return _wrap(dev.backend.asarray(out), dev)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The ``(2, N)`` row and column indices of the lower triangle of a ``row x col``
    matrix (on and below diagonal ``offset``), in row-major order."""
    return _tri_indices(row, col, offset, True, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The ``(2, N)`` indices of the upper triangle (on and above diagonal ``offset``)."""
    return _tri_indices(row, col, offset, False, dtype, device)


def sum_to_size(x: Tensor, *size) -> Tensor:
    """``x`` summed down to ``size`` (which ``x`` must be expandable from)."""
    from ._util import sum_to

    size = _sizes(size)
    try:
        if np.broadcast_shapes(size, x.array.shape) != x.array.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to the "
                           f"tensor's shape {list(x.shape)}") from None
    return sum_to(x, size)


def gradient(y: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """Estimated derivatives of the samples ``y`` along each of ``dim`` (all dims when
    None): central differences inside, one-sided first- (``edge_order=1``) or
    second-order (``edge_order=2``) at the ends, as ``numpy.gradient``. ``spacing`` is a
    number, one number per dim, or one 1-D tensor of coordinates per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    nd = y.array.ndim
    dims = list(range(nd)) if dim is None else [
        normalize_dim(d, nd, "gradient") for d in ((dim,) if isinstance(dim, int) else dim)]
    if isinstance(spacing, list | tuple):
        if len(spacing) != len(dims):
            raise RuntimeError(f"gradient: {len(spacing)} spacings for {len(dims)} dims")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    if y.array.dtype.kind not in "fc":  # integers and bools: the default float dtype
        from ..dtypes import get_default_dtype

        y = y.to(get_default_dtype())
    return tuple(_gradient_1d(y, d, h, edge_order) for d, h in zip(dims, spacings))


def _gradient_1d(y, d, h, edge_order):
    n = y.array.shape[d]
    if n < edge_order + 1:
        raise RuntimeError(f"gradient: dimension {d} of size {n} needs at least "
                           f"{edge_order + 1} samples for edge_order={edge_order}")
    pre = (slice(None),) * d

    def at(sl):
        return getitem(y, pre + (sl,))

    if isinstance(h, Tensor):
        if h.array.shape != (n,):
            raise RuntimeError(f"gradient: coordinates of shape {tuple(h.shape)} for a "
                               f"dimension of size {n}")
        x = h.to(y.array.dtype)
        dx = reshape(x[1:] - x[:-1], tuple(n - 1 if i == d else 1 for i in range(y.array.ndim)))
        h1 = getitem(dx, pre + (slice(0, n - 2),))  # x_i - x_{i-1}
        h2 = getitem(dx, pre + (slice(1, n - 1),))  # x_{i+1} - x_i
        inner = (at(slice(2, n)) * h1 * h1 - at(slice(0, n - 2)) * h2 * h2
                 + at(slice(1, n - 1)) * (h2 * h2 - h1 * h1)) / (h1 * h2 * (h1 + h2))
        d0, dl = getitem(dx, pre + (slice(0, 1),)), getitem(dx, pre + (slice(n - 2, n - 1),))
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / d0
            last = (at(slice(n - 1, n)) - at(slice(n - 2, n - 1))) / dl
        else:
            a1, a2 = d0, getitem(dx, pre + (slice(1, 2),))
            first = (-(2 * a1 + a2) / (a1 * (a1 + a2)) * at(slice(0, 1))
                     + (a1 + a2) / (a1 * a2) * at(slice(1, 2))
                     - a1 / (a2 * (a1 + a2)) * at(slice(2, 3)))
            b1, b2 = getitem(dx, pre + (slice(n - 3, n - 2),)), dl
            last = (b2 / (b1 * (b1 + b2)) * at(slice(n - 3, n - 2))
                    - (b1 + b2) / (b1 * b2) * at(slice(n - 2, n - 1))
                    + (2 * b2 + b1) / (b2 * (b1 + b2)) * at(slice(n - 1, n)))
    else:
        h = float(h)
        inner = (at(slice(2, n)) - at(slice(0, n - 2))) / (2 * h)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / h
            last = (at(slice(n - 1, n)) - at(slice(n - 2, n - 1))) / h
        else:
            first = (-1.5 * at(slice(0, 1)) + 2 * at(slice(1, 2)) - 0.5 * at(slice(2, 3))) / h
            last = (0.5 * at(slice(n - 3, n - 2)) - 2 * at(slice(n - 2, n - 1))
                    + 1.5 * at(slice(n - 1, n))) / h
    return cat([first, inner, last], d)


def constant_pad_nd(x: Tensor, pad, value: float = 0) -> Tensor:
    """``pad`` with a constant (the last dimension's pair first, as ``F.pad``)."""
    from .shape import pad as _pad

    return _pad(x, pad, value=value)
