"""The array kernels of the Winograd F(2x2, 3x3) convolution (``conv.py``'s 3x3, stride-1
path on the CPU): the input and output tile transforms and their adjoints.

A 3x3 convolution computes each 2x2 block of outputs from a 4x4 tile of the (padded)
input. Winograd's minimal filtering algorithm writes that block as
``Y = A^T [(G w G^T) * (B^T d B)] A`` with ``*`` elementwise over 4x4 positions, so the
whole layer becomes 16 independent matrix products, one per position ``k = 4a + b``::

    U[k] = (G w G^T)[a, b]         (O, C)   the weight transform (Tensor ops in conv.py)
    V[k] = (B^T d B)[a, b]         (C, P)   input_transform, P = N * TH * TW tiles
    M[k] = U[k] @ V[k]             (O, P)   one batched GEMM
    out  = A^T M A  (+ bias)       (N, O, OH, OW)   output_transform

2.25x fewer multiplications than im2col's one GEMM. Tile ``(ty, tx)`` of image ``n`` is
column ``p = (n*TH + ty)*TW + tx``; it covers outputs ``(2ty + r, 2tx + s)``, r, s in
{0, 1} (the last row or column of tiles is cut off when OH or OW is odd) and reads input
pixels ``(2ty - ph + i, 2tx - pw + j)``, i, j in 0..3 (zero outside the image). The
transform matrices hold only 0, +-1 (B, A) and +-1/2 (G), so every transform is exact in
binary floating point; the rounding differs from im2col's only in the GEMM's sums.

Every transform is linear, and each adjoint (its transpose) is the other's backward
(``conv.py``), so gradients of any order go through the same kernels. Each kernel has a
whole-array reference (``*_reference``, any ``xp``, used to test the loops) and a numba
loop over the (image, channel) planes, compiled on first use (``backends/numba_util.py``);
results come from the backend's buffer cache, as the im2col kernels' do.
"""

from __future__ import annotations

import numpy as np

from backends.numba_util import LazyKernel

from ._conv_kernels import _FLOATS  # the dtypes the compiled layer loops take

__all__ = ["tiles", "compiled_for", "weight_transform", "weight_transform_adjoint",
           "input_transform", "input_transform_adjoint", "output_transform",
           "output_transform_adjoint", "BT", "G", "AT"]

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64)
GG = np.kron(G, G)  # (16, 9): G w G^T of a flattened 3x3 filter, flattened


def tiles(oh: int, ow: int) -> tuple[int, int]:
    """The number of 2x2 output tiles down and across an (oh, ow) output."""
    return (oh + 1) // 2, (ow + 1) // 2


def weight_transform(xp, w):
    """U (16, O, C): ``G w G^T`` of every 3x3 filter of w (O, C, 3, 3), one small GEMM on
    any backend."""
    o, c = w.shape[:2]
    gg = xp.asarray(GG, dtype=w.dtype)
    return (gg @ w.reshape(o * c, 9).T).reshape(16, o, c)


def weight_transform_adjoint(xp, du):
    """The transpose of :func:`weight_transform`: dU (16, O, C) -> (O, C, 3, 3)."""
    o, c = du.shape[1:]
    gg = xp.asarray(GG, dtype=du.dtype)
    return xp.ascontiguousarray((gg.T @ du.reshape(16, o * c)).T).reshape(o, c, 3, 3)


# --- the references: whole-array xp code ----------------------------------------------------


def _tile_view(xp, xpad, th, tw, size):
    """(size, size, N, C, TH, TW): entry [i, j] is every tile's element (i, j), a strided
    slice of the padded image ``xpad`` whose tile (ty, tx) starts at (2ty, 2tx)."""
    return xp.stack([xp.stack([xpad[:, :, i:i + 2 * th:2, j:j + 2 * tw:2]
                               for j in range(size)]) for i in range(size)])


def input_transform_reference(xp, x, padding, th, tw):
    """V (16, C, N*TH*TW): ``B^T d B`` of every 4x4 input tile ``d``."""
    (ph, pw), (n, c, h, w) = padding, x.shape
    # zero padding before, and after as far as the last tile reaches: 2*TH + 2 rows in
    # all, at least ph after the image (TH = ceil(OH / 2) and OH = H + 2 ph - 2)
    xpad = xp.pad(x, ((0, 0), (0, 0), (ph, 2 * th + 2 - h - ph), (pw, 2 * tw + 2 - w - pw)))
    d = _tile_view(xp, xpad, th, tw, 4)
    bt = xp.asarray(BT, dtype=x.dtype)
    v = xp.einsum("ai,bj,ijncyx->abcnyx", bt, bt, d)
    return xp.ascontiguousarray(v.reshape(16, c, n * th * tw))


def input_transform_adjoint_reference(xp, dv, x_shape, padding, th, tw):
    """The transpose of :func:`input_transform_reference`: every tile's ``B dV B^T``
    added back onto the (N, C, H, W) pixels it was read from (the padding dropped)."""
    (ph, pw), (n, c, h, w) = padding, x_shape
    bt = xp.asarray(BT, dtype=dv.dtype)
    d = xp.einsum("ai,bj,abcnyx->ijncyx", bt, bt, dv.reshape(4, 4, c, n, th, tw))
    xpad = xp.zeros((n, c, 2 * th + 2, 2 * tw + 2), dtype=dv.dtype)  # the tiles' reach
    for i in range(4):
        for j in range(4):  # one (i, j) never addresses a pixel twice: a sliced += is exact
            xpad[:, :, i:i + 2 * th:2, j:j + 2 * tw:2] += d[i, j]
    return xp.ascontiguousarray(xpad[:, :, ph:ph + h, pw:pw + w])


def output_transform_reference(xp, m, bias, n, oh, ow):
    """out (N, O, OH, OW): ``A^T M A`` of every tile (cut to OH x OW), plus ``bias`` (O,)."""
    th, tw = tiles(oh, ow)
    o = m.shape[1]
    at = xp.asarray(AT, dtype=m.dtype)
    y = xp.einsum("ra,sb,abonyx->noyrxs", at, at, m.reshape(4, 4, o, n, th, tw))
    out = y.reshape(n, o, 2 * th, 2 * tw)[:, :, :oh, :ow]
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1)
    return xp.ascontiguousarray(out)


def output_transform_adjoint_reference(xp, g, th, tw):
    """The transpose of :func:`output_transform_reference` (without the bias): g (N, O,
    OH, OW) -> dM (16, O, N*TH*TW), ``A g A^T`` of every 2x2 tile (zero past the edge)."""
    n, o, oh, ow = g.shape
    gpad = xp.pad(g, ((0, 0), (0, 0), (0, 2 * th - oh), (0, 2 * tw - ow)))
    gt = gpad.reshape(n, o, th, 2, tw, 2)
    at = xp.asarray(AT, dtype=g.dtype)
    dm = xp.einsum("ra,sb,noyrxs->abonyx", at, at, gt)
    return xp.ascontiguousarray(dm.reshape(16, o, n * th * tw))


# --- the CPU forms: numba loops ---------------------------------------------------------------
# Each loop makes four passes, one per row a of the 4x4 tile positions, and touches only
# the four matrices k = 4a .. 4a + 3 of the Winograd domain in a pass: its 16 matrices lie
# a multiple of 4 KiB apart, and 16 interleaved streams thrash the L1 cache's sets (the
# output adjoint took 3.8 ms in one pass, 1.4 ms in four, for a 12.8 MB dM). A pass runs
# one channel (image-side loops: one (image, channel) plane) per prange iteration, so each
# pixel is written by one thread only and the overlapping tiles of the input adjoint add
# up without atomics, in a fixed order.
prange = range


def _input_transform_loop(x, ph, pw, th, tw, v):  # pragma: no mutate block
    # pass a: row a of B^T d (down the columns), then B^T across it
    n_img, n_ch, h, w = x.shape
    width = 2 * tw + 2
    for a in range(4):
        i0, i1 = (0, 2) if a == 0 else (1, 2) if a < 3 else (1, 3)
        s1 = -1 if a != 1 else 1  # row a = d[i0] + s1 * d[i1] (a = 2: d2 - d1, swapped)
        if a == 2:
            i0, i1 = 2, 1
        for c in prange(n_ch):
            r = np.empty(width, x.dtype)
            zero = np.zeros(1, x.dtype)[0]
            for n in range(n_img):
                for ty in range(th):
                    y0 = 2 * ty - ph + i0
                    y1 = 2 * ty - ph + i1
                    in0 = y0 >= 0 and y0 < h
                    in1 = y1 >= 0 and y1 < h
                    for col in range(width):
                        xx = col - pw
                        inside = xx >= 0 and xx < w
                        d0 = x[n, c, y0, xx] if inside and in0 else zero
                        d1 = x[n, c, y1, xx] if inside and in1 else zero
                        r[col] = d0 + d1 if s1 > 0 else d0 - d1
                    p = (n * th + ty) * tw
                    for tx in range(tw):
                        e0 = r[2 * tx]
                        e1 = r[2 * tx + 1]
                        e2 = r[2 * tx + 2]
                        e3 = r[2 * tx + 3]
                        v[4 * a, c, p + tx] = e0 - e2
                        v[4 * a + 1, c, p + tx] = e1 + e2
                        v[4 * a + 2, c, p + tx] = e2 - e1
                        v[4 * a + 3, c, p + tx] = e1 - e3


def _input_transform_adjoint_loop(dv, ph, pw, th, tw, x):  # pragma: no mutate block
    # x must be zeroed. Pass a: the transpose across (dV[4a..4a+3] -> a row r), then r
    # added to the input rows that row a of B^T reads: (+0, -2), (+1, +2), (-1, +2), (+1, -3)
    n_img, n_ch, h, w = x.shape
    width = 2 * tw + 2
    for a in range(4):
        i0, i1 = (0, 2) if a == 0 else (1, 2) if a < 3 else (1, 3)
        minus0 = a == 2  # the sign of each row's term (exact: no multiplication)
        minus1 = a == 0 or a == 3
        for c in prange(n_ch):
            r = np.empty(width, x.dtype)
            for n in range(n_img):
                for ty in range(th):
                    r[:] = 0
                    p = (n * th + ty) * tw
                    for tx in range(tw):
                        v0 = dv[4 * a, c, p + tx]
                        v1 = dv[4 * a + 1, c, p + tx]
                        v2 = dv[4 * a + 2, c, p + tx]
                        v3 = dv[4 * a + 3, c, p + tx]
                        r[2 * tx] += v0
                        r[2 * tx + 1] += v1 - v2 + v3
                        r[2 * tx + 2] += v2 + v1 - v0
                        r[2 * tx + 3] -= v3
                    y0 = 2 * ty - ph + i0
                    y1 = 2 * ty - ph + i1
                    in0 = y0 >= 0 and y0 < h
                    in1 = y1 >= 0 and y1 < h
                    for col in range(width):
                        xx = col - pw
                        if xx >= 0 and xx < w:
                            if in0:
                                x[n, c, y0, xx] += -r[col] if minus0 else r[col]
                            if in1:
                                x[n, c, y1, xx] += -r[col] if minus1 else r[col]


def _output_transform_loop(m, bias, th, tw, out):  # pragma: no mutate block
    # pass a: A^T across M[4a..4a+3] (t0 = m0 + m1 + m2, t1 = m1 - m2 - m3), added to
    # output rows 2ty (a < 3) and 2ty + 1 (with + for a = 1, - for a = 2, 3); the first
    # pass that reaches a row sets it, with the bias
    n_img, n_out, oh, ow = out.shape
    for a in range(4):
        for o in prange(n_out):
            b = bias[o]
            for n in range(n_img):
                for ty in range(th):
                    y = 2 * ty
                    p = (n * th + ty) * tw
                    for tx in range(tw):
                        m0 = m[4 * a, o, p + tx]
                        m1 = m[4 * a + 1, o, p + tx]
                        m2 = m[4 * a + 2, o, p + tx]
                        m3 = m[4 * a + 3, o, p + tx]
                        t0 = m0 + m1 + m2
                        t1 = m1 - m2 - m3
                        xx = 2 * tx
                        two_cols = xx + 1 < ow
                        if a == 0:
                            out[n, o, y, xx] = t0 + b
                            if two_cols:
                                out[n, o, y, xx + 1] = t1 + b
                        elif a < 3:
                            out[n, o, y, xx] += t0
                            if two_cols:
                                out[n, o, y, xx + 1] += t1
                        if y + 1 < oh:
                            if a == 1:
                                out[n, o, y + 1, xx] = t0 + b
                                if two_cols:
                                    out[n, o, y + 1, xx + 1] = t1 + b
                            elif a > 1:
                                out[n, o, y + 1, xx] -= t0
                                if two_cols:
                                    out[n, o, y + 1, xx + 1] -= t1


def _output_transform_adjoint_loop(g, th, tw, dm):  # pragma: no mutate block
    # pass a: row a of A g (g0, g0 + g1, g0 - g1, -g1 down the columns), then across
    n_img, n_out, oh, ow = g.shape
    for a in range(4):
        for o in prange(n_out):
            zero = np.zeros(1, g.dtype)[0]
            for n in range(n_img):
                for ty in range(th):
                    y = 2 * ty
                    two_rows = y + 1 < oh
                    p = (n * th + ty) * tw
                    for tx in range(tw):
                        xx = 2 * tx
                        two_cols = xx + 1 < ow
                        g00 = g[n, o, y, xx]
                        g01 = g[n, o, y, xx + 1] if two_cols else zero
                        g10 = g[n, o, y + 1, xx] if two_rows else zero
                        g11 = g[n, o, y + 1, xx + 1] if two_rows and two_cols else zero
                        if a == 0:
                            h0, h1 = g00, g01
                        elif a == 1:
                            h0, h1 = g00 + g10, g01 + g11
                        elif a == 2:
                            h0, h1 = g00 - g10, g01 - g11
                        else:
                            h0, h1 = -g10, -g11
                        dm[4 * a, o, p + tx] = h0
                        dm[4 * a + 1, o, p + tx] = h0 + h1
                        dm[4 * a + 2, o, p + tx] = h0 - h1
                        dm[4 * a + 3, o, p + tx] = -h1


_INPUT_LOOP = LazyKernel(_input_transform_loop)
_INPUT_ADJOINT_LOOP = LazyKernel(_input_transform_adjoint_loop)
_OUTPUT_LOOP = LazyKernel(_output_transform_loop)
_OUTPUT_ADJOINT_LOOP = LazyKernel(_output_transform_adjoint_loop)
def compiled_for(backend, *arrays) -> bool:
    """Whether the numba loops take these arrays (the NumPy backend, float32/float64)."""
    return backend.name == "numpy" and all(a.dtype in _FLOATS for a in arrays)


# --- the dispatched kernels ----------------------------------------------------------------


def input_transform(backend, x, padding, th, tw):
    """x (N, C, H, W) -> V (16, C, N*TH*TW), the B^T d B of every input tile."""
    if not compiled_for(backend, x):
        return input_transform_reference(backend.xp, x, padding, th, tw)
    n, c = x.shape[:2]
    v = backend.buffers.empty((16, c, n * th * tw), x.dtype)
    if v.size:
        _INPUT_LOOP.for_size(v.size)(np.ascontiguousarray(x), padding[0], padding[1], th, tw,
                                     v)
    return v


def input_transform_adjoint(backend, dv, x_shape, padding, th, tw):
    """dV (16, C, N*TH*TW) -> (N, C, H, W): the transpose of :func:`input_transform`."""
    if not compiled_for(backend, dv):
        return input_transform_adjoint_reference(backend.xp, dv, x_shape, padding, th, tw)
    x = backend.buffers.zeros(tuple(x_shape), dv.dtype)
    if x.size and dv.size:
        _INPUT_ADJOINT_LOOP.for_size(dv.size)(np.ascontiguousarray(dv), padding[0],
                                              padding[1], th, tw, x)
    return x


def output_transform(backend, m, bias, n, oh, ow):
    """M (16, O, N*TH*TW) -> (N, O, OH, OW): A^T M A of every tile, plus ``bias`` (O,)
    when not None."""
    if not compiled_for(backend, m):
        return output_transform_reference(backend.xp, m, bias, n, oh, ow)
    o = m.shape[1]
    out = backend.buffers.empty((n, o, oh, ow), m.dtype)
    if out.size:
        b = np.zeros(o, m.dtype) if bias is None else np.ascontiguousarray(bias, m.dtype)
        _OUTPUT_LOOP.for_size(m.size)(np.ascontiguousarray(m), b, *tiles(oh, ow), out)
    return out


def output_transform_adjoint(backend, g):
    """g (N, O, OH, OW) -> dM (16, O, N*TH*TW): the transpose of :func:`output_transform`
    without its bias."""
    n, o, oh, ow = g.shape
    th, tw = tiles(oh, ow)
    if not compiled_for(backend, g):
        return output_transform_adjoint_reference(backend.xp, g, th, tw)
    dm = backend.buffers.empty((16, o, n * th * tw), g.dtype)
    if dm.size:
        _OUTPUT_ADJOINT_LOOP.for_size(dm.size)(np.ascontiguousarray(g), th, tw, dm)
    return dm
