"""``autograd.fft``: PyTorch's ``torch.fft`` on the backend's ``xp.fft``, differentiable.

Three transforms carry every function: complex-to-complex (``fftn``/``ifftn``),
real-to-complex one-sided (``rfftn``) and its inverse (``irfftn``); ``n``/``s`` (zero-pad
or trim before the transform) is a separate op. Each backward is the adjoint transform
with the dual normalisation (``backward`` <-> ``forward``, ``ortho`` itself), written with
these same ops, so gradients of every order follow PyTorch's convention for complex
tensors (see ``autograd.ops.complex``). Real inputs to complex transforms are promoted
(float32 -> complex64, float64 -> complex128) and get the real part of the gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import dtypes, ops
from .graph import Function
from .ops.complex import Complex, conj, real
from .tensor import Tensor, _wrap

__all__ = [
    "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
    "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
    "rfftfreq", "fftshift", "ifftshift",
]

_NORMS = ("backward", "forward", "ortho")
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


class FFTResize(Function):
    """Zero-pad or trim ``x`` at the end of each of ``dims`` to ``sizes`` (what ``n``/``s``
    do); its adjoint is the resize back."""

    @staticmethod
    def forward(ctx, x, dims, sizes):
        xp = ctx.device.backend.xp
        ctx.dims, ctx.old = dims, tuple(x.shape[d] for d in dims)
        shape = list(x.shape)
        for d, n in zip(dims, sizes):
            shape[d] = n
        out = xp.zeros(tuple(shape), x.dtype)
        common = tuple(slice(0, min(x.shape[i], shape[i])) for i in range(x.ndim))
        out[common] = x[common]
        return out

    @staticmethod
    def backward(ctx, g):
        return _resize(g, ctx.dims, ctx.old), None, None


def _resize(x: Tensor, dims, sizes) -> Tensor:
    if all(x.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    return FFTResize.apply(x, tuple(dims), tuple(sizes))


class FFTC2C(Function):
    @staticmethod
    def forward(ctx, z, dims, norm, inverse):
        ctx.dims, ctx.norm, ctx.inverse = dims, norm, inverse
        f = ctx.device.backend.xp.fft.ifftn if inverse else ctx.device.backend.xp.fft.fftn
        return f(z, axes=dims, norm=norm).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return FFTC2C.apply(g, ctx.dims, _DUAL[ctx.norm], not ctx.inverse), None, None, None


class FFTR2C(Function):
    """One-sided real-to-complex transform over ``dims`` (halved along the last)."""

    @staticmethod
    def forward(ctx, x, dims, norm):
        ctx.dims, ctx.norm, ctx.n = dims, norm, x.shape[dims[-1]]
        out = ctx.device.backend.xp.fft.rfftn(x, axes=dims, norm=norm)
        return out.astype(_complex_dtype(x.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        full = _resize(g, (ctx.dims[-1],), (ctx.n,))  # the missing half gets no gradient
        return real(FFTC2C.apply(full, ctx.dims, _DUAL[ctx.norm], True)), None, None


class FFTC2R(Function):
    """Inverse of the one-sided transform: output length ``n`` along the last of ``dims``
    (the input there has ``n // 2 + 1`` entries)."""

    @staticmethod
    def forward(ctx, z, dims, n, norm):
        ctx.dims, ctx.norm, ctx.n = dims, norm, n
        s = [z.shape[d] for d in dims[:-1]] + [n]
        out = ctx.device.backend.xp.fft.irfftn(z, s=s, axes=dims, norm=norm)
        return out.astype(np.result_type(z.real.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        gz = FFTR2C.apply(g, ctx.dims, _DUAL[ctx.norm])
        # entries 1 .. n - (n//2 + 1) stand for two conjugate bins of the full spectrum
        m, d = gz.shape[ctx.dims[-1]], ctx.dims[-1]
        w = np.ones(m)
        w[1:1 + ctx.n - m] = 2.0
        shape = [1] * gz.ndim
        shape[d] = m
        xp = gz.device.backend.xp
        w = _wrap(xp.asarray(w.reshape(shape), dtype=g.array.dtype), g.device)
        return gz * w, None, None, None


# --- argument handling -----------------------------------------------------------------


def _check_norm(norm, op):
    norm = "backward" if norm is None else norm
    if norm not in _NORMS:
        raise ValueError(f"fft.{op}: norm must be 'backward', 'forward', 'ortho' or None, got "
                         f"{norm!r}")
    return norm


def _check_input(x, op: str, real_only: bool = False) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"fft.{op}: expected a Tensor, got {type(x).__name__}")
    kind = x.array.dtype.kind
    if kind in "iub":
        x = x.to(dtypes.get_default_dtype())
    elif kind not in "fc" or x.array.dtype == np.float16:
        raise TypeError(f"fft.{op}: unsupported dtype {x.dtype}")
    if real_only and x.array.dtype.kind == "c":
        raise TypeError(f"fft.{op}: expects a real input tensor, got {x.dtype} (shape "
                        f"{tuple(x.shape)})")
    return x


def _as_complex(x: Tensor) -> Tensor:
    if x.array.dtype.kind == "c":
        return x
    return Complex.apply(x, _wrap(x.device.backend.xp.zeros((), x.array.dtype), x.device))


def _dims_sizes(x: Tensor, s, dim, op: str):
    """PyTorch's ``s``/``dim`` rules: dims default to the last ``len(s)`` (or all)."""
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(s, int):
        s = (s,)
    if dim is None:
        dims = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else tuple(range(x.ndim))
    else:
        dims = tuple(d % x.ndim if -x.ndim <= d < x.ndim else _bad_dim(op, d, x)
                     for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"fft.{op}: dims must be unique, got {dim}")
    if not dims:
        raise RuntimeError(f"fft.{op}: expected at least one dimension to transform")
    if s is not None:
        s = tuple(s)
        if len(s) != len(dims):
            raise RuntimeError(f"fft.{op}: s {s} and dim {dim} must have the same length")
        sizes = tuple(x.shape[d] if n == -1 else int(n) for d, n in zip(dims, s))
    else:
        sizes = tuple(x.shape[d] for d in dims)
    for d, n in zip(dims, sizes):
        if n < 1:
            raise RuntimeError(f"fft.{op}: invalid number of data points ({n}) specified for "
                               f"dim {d} (input shape {tuple(x.shape)})")
    return dims, sizes


def _bad_dim(op, d, x):
    raise IndexError(f"fft.{op}: dim {d} is out of range for a tensor of {x.ndim} dimension(s)")


# --- the transforms ------------------------------------------------------------------------


def _c2c(input, s, dim, norm, inverse: bool, op: str) -> Tensor:
    x = _check_input(input, op)
    dims, sizes = _dims_sizes(x, s, dim, op)
    x = _resize(_as_complex(x), dims, sizes)
    return FFTC2C.apply(x, dims, _check_norm(norm, op), inverse)


def _r2c(input, s, dim, norm, op: str) -> Tensor:
    x = _check_input(input, op, real_only=True)
    dims, sizes = _dims_sizes(x, s, dim, op)
    return FFTR2C.apply(_resize(x, dims, sizes), dims, _check_norm(norm, op))


def _c2r(input, s, dim, norm, op: str) -> Tensor:
    x = _as_complex(_check_input(input, op))
    dims, sizes = _dims_sizes(x, s, dim, op)
    if s is None:
        sizes = sizes[:-1] + (2 * (x.shape[dims[-1]] - 1),)
        if sizes[-1] < 1:
            raise RuntimeError(f"fft.{op}: invalid number of data points ({sizes[-1]}) for "
                               f"input shape {tuple(x.shape)}")
    x = _resize(x, dims, sizes[:-1] + (sizes[-1] // 2 + 1,))
    return FFTC2R.apply(x, dims, sizes[-1], _check_norm(norm, op))


def _one(n):
    return None if n is None else (n,)


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """One-dimensional DFT along ``dim``; ``n`` zero-pads or trims the input first."""
    return _c2c(input, _one(n), (dim,), norm, False, "fft")


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
         ) -> Tensor:
    """One-dimensional inverse DFT along ``dim`` (``norm='backward'`` scales by 1/n)."""
    return _c2c(input, _one(n), (dim,), norm, True, "ifft")


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
         ) -> Tensor:
    """One-dimensional DFT of a real input: ``n // 2 + 1`` non-negative frequencies."""
    return _r2c(input, _one(n), (dim,), norm, "rfft")


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
          ) -> Tensor:
    """Inverse of ``rfft``: ``n`` real outputs (default ``2 * (m - 1)`` for ``m`` inputs)."""
    return _c2r(input, _one(n), (dim,), norm, "irfft")


def fft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Two-dimensional DFT over ``dim``."""
    return _c2c(input, s, dim, norm, False, "fft2")


def ifft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Two-dimensional inverse DFT over ``dim``."""
    return _c2c(input, s, dim, norm, True, "ifft2")


def rfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Two-dimensional DFT of a real input, one-sided along the last of ``dim``."""
    return _r2c(input, s, dim, norm, "rfft2")


def irfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Inverse of ``rfft2``."""
    return _c2r(input, s, dim, norm, "irfft2")


def fftn(input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
         ) -> Tensor:
    """N-dimensional DFT over ``dim`` (default: the last ``len(s)`` dims, or all), the
    input zero-padded/trimmed to ``s``."""
    return _c2c(input, s, dim, norm, False, "fftn")


def ifftn(input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
          ) -> Tensor:
    """N-dimensional inverse DFT."""
    return _c2c(input, s, dim, norm, True, "ifftn")


def rfftn(input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
          ) -> Tensor:
    """N-dimensional DFT of a real input, one-sided along the last of ``dim``
    (``s[-1] // 2 + 1`` entries there)."""
    return _r2c(input, s, dim, norm, "rfftn")


def irfftn(input: Tensor, s: Sequence[int] | None = None, dim=None, norm: str | None = None
           ) -> Tensor:
    """Inverse of ``rfftn``: a real output with ``s[-1]`` entries along the last of ``dim``
    (default ``2 * (m - 1)`` for ``m`` input entries there)."""
    return _c2r(input, s, dim, norm, "irfftn")


def _hermitian(input, s, dim, norm, inverse: bool, op: str) -> Tensor:
    """hfft = irfft of the conjugate, ihfft = conjugate of rfft, with the dual norm
    (NumPy's and PyTorch's definitions)."""
    norm = _DUAL[_check_norm(norm, op)]
    if inverse:
        return conj(_r2c(input, s, dim, norm, op))
    return _c2r(conj(_as_complex(_check_input(input, op))), s, dim, norm, op)


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
         ) -> Tensor:
    """DFT of a Hermitian-symmetric signal given by its first half: ``n`` real outputs."""
    return _hermitian(input, _one(n), (dim,), norm, False, "hfft")


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
          ) -> Tensor:
    """Inverse of ``hfft``: the ``n // 2 + 1`` first entries of the inverse DFT of a real
    signal."""
    return _hermitian(input, _one(n), (dim,), norm, True, "ihfft")


def hfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Two-dimensional ``hfft``."""
    return _hermitian(input, s, dim, norm, False, "hfft2")


def ihfft2(input: Tensor, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    """Two-dimensional ``ihfft``."""
    return _hermitian(input, s, dim, norm, True, "ihfft2")


def hfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """N-dimensional ``hfft`` (one-sided along the last of ``dim``)."""
    return _hermitian(input, s, dim, norm, False, "hfftn")


def ihfftn(input: Tensor, s=None, dim=None, norm: str | None = None) -> Tensor:
    """N-dimensional ``ihfft``."""
    return _hermitian(input, s, dim, norm, True, "ihfftn")


# --- frequencies and shifts ----------------------------------------------------------------


def _freq_tensor(values: np.ndarray, dtype, device) -> Tensor:
    dtype = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
    return Tensor(values.astype(dtype), device=device)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None) -> Tensor:
    """Sample frequencies of an ``n``-point DFT with spacing ``d``: ``[0, 1, ..., -1] /
    (d n)`` (default float dtype)."""
    return _freq_tensor(np.fft.fftfreq(int(n), d), dtype, device)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None) -> Tensor:
    """The ``n // 2 + 1`` non-negative sample frequencies of ``rfft``."""
    return _freq_tensor(np.fft.rfftfreq(int(n), d), dtype, device)


def _shift(x: Tensor, dim, sign: int, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"fft.{op}: expected a Tensor, got {type(x).__name__}")
    if x.ndim == 0:
        return x
    dims = range(x.ndim) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    for d in dims:
        if not -x.ndim <= d < x.ndim:
            _bad_dim(op, d, x)
        d %= x.ndim
        x = ops.roll(x, sign * (x.shape[d] // 2), d)
    return x


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Move the zero frequency to the centre of each of ``dim`` (default all)."""
    return _shift(input, dim, 1, "fftshift")


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """Inverse of ``fftshift``."""
    return _shift(input, dim, -1, "ifftshift")
