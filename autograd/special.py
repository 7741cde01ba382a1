"""``autograd.special``: PyTorch's ``torch.special``, differentiable.

Forwards are ``scipy.special`` on the CPU and ``cupyx.scipy.special`` on CuPy (the
tensor's backend picks, ``Backend.special``), in the input's dtype; integer inputs are
promoted to the default float dtype as PyTorch does. Each derivative is one line of the
``_DERIVATIVES`` table, written with the functions of this module, so second
derivatives come from the same table.
"""

from __future__ import annotations

import math

from . import dtypes, ops
from .graph import Function
from .ops._util import sum_to
from .tensor import Tensor

__all__ = [
    "erf", "erfc", "erfinv", "erfcx", "expit", "logit", "gammaln", "digamma", "psi",
    "polygamma", "multigammaln", "xlogy", "xlog1py", "i0", "i0e", "i1", "i1e", "ndtr",
    "ndtri", "log_ndtr", "entr", "sinc", "softmax", "log_softmax", "logsumexp",
]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def _safe(x: Tensor) -> Tensor:
    """``x`` with zeros replaced by ones (a divisor whose zeros a ``where`` discards)."""
    return ops.where(x == 0, 1.0, x)


# d f(x) / dx from the input ``x`` and the output ``y`` (and the order ``n``, polygamma)
_DERIVATIVES = {
    "erfc": lambda x, y: -2 / _SQRT_PI * ops.exp(-x * x),
    "erfinv": lambda x, y: _SQRT_PI / 2 * ops.exp(y * y),
    "erfcx": lambda x, y: 2 * x * y - 2 / _SQRT_PI,
    "gammaln": lambda x, y: digamma(x),
    "psi": lambda x, y: polygamma(1, x),
    "polygamma": lambda x, y, n: polygamma(n + 1, x),
    "i0": lambda x, y: i1(x),
    "i0e": lambda x, y: i1e(x) - ops.sign(x) * y,
    "i1": lambda x, y: ops.where(x == 0, 0.5, i0(x) - y / _safe(x)),
    "i1e": lambda x, y: ops.where(x == 0, 0.5, i0e(x) - y * (ops.sign(x) + 1 / _safe(x))),
    "ndtr": lambda x, y: ops.exp(-0.5 * x * x) / _SQRT_2PI,
    "ndtri": lambda x, y: _SQRT_2PI * ops.exp(0.5 * y * y),
    "log_ndtr": lambda x, y: ops.exp(-0.5 * x * x - y) / _SQRT_2PI,
    "entr": lambda x, y: -(ops.log(x) + 1),
    "sinc": lambda x, y: ops.where(x == 0, 0.0, (ops.cos(math.pi * x) - y) / _safe(x)),
}


class _Special(Function):
    """``y = f(x)`` for the scipy.special function ``name`` (with leading ``params``)."""

    @staticmethod
    def forward(ctx, x, name, *params):
        ctx.name, ctx.params = name, params
        backend = ctx.device.backend
        if name == "sinc":  # numpy/cupy have it (scipy.special does not)
            y = backend.xp.sinc(x)
        else:
            args = [backend.xp.asarray(p) for p in params]
            y = getattr(backend.special, name)(*args, x)
        y = y.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * _DERIVATIVES[ctx.name](x, y, *ctx.params), None) + (None,) * len(ctx.params)


def _float(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"special.{op}: expected a Tensor, got {type(x).__name__}")
    kind = x.data.dtype.kind
    if kind in "iub":
        return x.to(dtypes.get_default_dtype())
    if kind != "f":
        raise TypeError(f"special.{op}: expected a real tensor, got dtype {x.dtype}")
    return x


def _unary(name: str, doc: str):
    def fn(input: Tensor) -> Tensor:
        return _Special.apply(_float(input, name), name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


erfc = _unary("erfc", "Complementary error function ``1 - erf(x)``.")
erfinv = _unary("erfinv", "Inverse error function, on (-1, 1).")
erfcx = _unary("erfcx", "Scaled complementary error function ``exp(x^2) erfc(x)``.")
gammaln = _unary("gammaln", "``log |Gamma(x)|``.")
digamma = _unary("psi", "Digamma ``d/dx log Gamma(x)``.")
digamma.__name__ = digamma.__qualname__ = "digamma"
psi = digamma
i0 = _unary("i0", "Modified Bessel function of the first kind, order 0.")
i0e = _unary("i0e", "Exponentially scaled ``i0``: ``exp(-|x|) i0(x)``.")
i1 = _unary("i1", "Modified Bessel function of the first kind, order 1.")
i1e = _unary("i1e", "Exponentially scaled ``i1``: ``exp(-|x|) i1(x)``.")
ndtr = _unary("ndtr", "Standard normal CDF.")
ndtri = _unary("ndtri", "Inverse of the standard normal CDF, on (0, 1).")
log_ndtr = _unary("log_ndtr", "``log(ndtr(x))``, accurate in the lower tail.")
entr = _unary("entr", "Elementwise entropy ``-x log x`` (0 at 0, -inf for x < 0).")
sinc = _unary("sinc", "Normalized sinc ``sin(pi x) / (pi x)`` (1 at 0).")


def erf(input: Tensor) -> Tensor:
    """Error function (``autograd.erf``)."""
    return ops.erf(_float(input, "erf"))


def expit(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))`` (``autograd.sigmoid``)."""
    return ops.sigmoid(_float(input, "expit"))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``; with ``eps``, ``x`` is first clamped to [eps, 1 - eps]."""
    x = _float(input, "logit")
    if eps is not None:
        x = ops.clamp(x, eps, 1 - eps)
    return ops.log(x) - ops.log1p(-x)


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of the digamma function (``n >= 0``)."""
    if int(n) != n or n < 0:
        raise ValueError(f"special.polygamma: n must be a non-negative integer, got {n!r}")
    if n == 0:
        return digamma(input)
    return _Special.apply(_float(input, "polygamma"), "polygamma", int(n))


def multigammaln(input: Tensor, p: int) -> Tensor:
    """Multivariate log-gamma of dimension ``p``: ``p(p-1)/4 log(pi) + sum_{i<p}
    gammaln(x - i/2)``; every element must exceed ``(p - 1) / 2``."""
    x = _float(input, "multigammaln")
    if int(p) != p or p < 1:
        raise ValueError(f"special.multigammaln: p must be a positive integer, got {p!r}")
    if x.numel() and not bool((x.data > (p - 1) / 2).all()):
        raise ValueError(f"special.multigammaln: all elements must be greater than (p-1)/2 = "
                         f"{(p - 1) / 2} (input shape {tuple(x.shape)})")
    xp = x.device.backend.xp
    half = Tensor(xp.arange(p, dtype=x.data.dtype) / 2, device=x.device)
    return gammaln(x.unsqueeze(-1) - half).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


class _XLogY(Function):
    """``x * log(y)`` (``log1p`` with ``one_p``), 0 where x == 0; inputs broadcast."""

    @staticmethod
    def forward(ctx, x, y, one_p):
        ctx.one_p = one_p
        ctx.shapes = (x.shape, y.shape)
        ctx.save_for_backward(x, y)
        out = getattr(ctx.device.backend.special, "xlog1py" if one_p else "xlogy")(x, y)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        sx, sy = ctx.shapes
        nx, ny, _ = ctx.needs_input_grad
        f = xlog1py if ctx.one_p else xlogy
        gx = sum_to(g * f((x != 0).to(x.dtype), y), sx) if nx else None
        gy = sum_to(g * x / ((1 + y) if ctx.one_p else y), sy) if ny else None
        return gx, gy, None


def _pair(x, y, op):
    if isinstance(x, Tensor):
        x = _float(x, op)
    if isinstance(y, Tensor):
        y = _float(y, op)
    return ops.promote(x, y, f"special.{op}")


def _xlog(x, y, one_p, op):
    x, y = _pair(x, y, op)
    t = x if isinstance(x, Tensor) else y
    xp = t.device.backend.xp
    x, y = (v if isinstance(v, Tensor) else Tensor(xp.asarray(v, dtype=t.data.dtype),
                                                   device=t.device) for v in (x, y))
    return _XLogY.apply(x, y, one_p)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (either may be a number)."""
    return _xlog(input, other, False, "xlogy")


def xlog1py(input, other) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (either may be a number)."""
    return _xlog(input, other, True, "xlog1py")


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``autograd.softmax``."""
    return ops.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """``autograd.log_softmax``."""
    return ops.log_softmax(input if dtype is None else input.to(dtype), dim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``autograd.logsumexp``."""
    return ops.logsumexp(input, dim, keepdim)
