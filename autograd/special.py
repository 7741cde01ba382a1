"""``autograd.special``: PyTorch's ``torch.special``, differentiable.

Forwards are ``scipy.special`` on the CPU and ``cupyx.scipy.special`` on CuPy (the
tensor's backend picks, ``Backend.special``), in the input's dtype; integer inputs are
promoted to the default float dtype as PyTorch does. Each derivative is one line of the
``_DERIVATIVES`` table, written with the functions of this module, so second
derivatives come from the same table.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes, ops
from .graph import Function
from .ops._util import sum_to
from .recording import refuse_while_recording
from .tensor import Tensor

__all__ = [
    "erf", "erfc", "erfinv", "erfcx", "expit", "logit", "gammaln", "digamma", "psi",
    "polygamma", "multigammaln", "xlogy", "xlog1py", "i0", "i0e", "i1", "i1e", "ndtr",
    "ndtri", "log_ndtr", "entr", "sinc", "softmax", "log_softmax", "logsumexp", "bessel_j0",
    "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0", "zeta", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p", "airy_ai",
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
    "j0": lambda x, y: -bessel_j1(x),
    "j1": lambda x, y: ops.where(x == 0, 0.5, bessel_j0(x) - y / _safe(x)),
    "y0": lambda x, y: -bessel_y1(x),
    "y1": lambda x, y: bessel_y0(x) - y / x,
    "k0": lambda x, y: -modified_bessel_k1(x),
    "k1": lambda x, y: -modified_bessel_k0(x) - y / x,
    "k0e": lambda x, y: y - scaled_modified_bessel_k1(x),
    "k1e": lambda x, y: y * (1 - 1 / x) - scaled_modified_bessel_k0(x),
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
    kind = x.array.dtype.kind
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

bessel_j0 = _unary("j0", "Bessel function of the first kind, order 0.")
bessel_j1 = _unary("j1", "Bessel function of the first kind, order 1.")
bessel_y0 = _unary("y0", "Bessel function of the second kind, order 0 (x > 0).")
bessel_y1 = _unary("y1", "Bessel function of the second kind, order 1 (x > 0).")
modified_bessel_i0 = i0
modified_bessel_i1 = i1
modified_bessel_k0 = _unary("k0", "Modified Bessel function of the second kind, order 0.")
modified_bessel_k1 = _unary("k1", "Modified Bessel function of the second kind, order 1.")
scaled_modified_bessel_k0 = _unary("k0e", "``exp(x) k0(x)``.")
scaled_modified_bessel_k1 = _unary("k1e", "``exp(x) k1(x)``.")
for _f, _name in ((bessel_j0, "bessel_j0"), (bessel_j1, "bessel_j1"), (bessel_y0, "bessel_y0"),
                  (bessel_y1, "bessel_y1"), (modified_bessel_k0, "modified_bessel_k0"),
                  (modified_bessel_k1, "modified_bessel_k1"),
                  (scaled_modified_bessel_k0, "scaled_modified_bessel_k0"),
                  (scaled_modified_bessel_k1, "scaled_modified_bessel_k1")):
    _f.__name__ = _f.__qualname__ = _name


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """Spherical Bessel function of the first kind, order 0: ``sin(x) / x`` (1 at 0)."""
    x = _float(input, "spherical_bessel_j0")
    return ops.where(x == 0, 1.0, ops.sin(x) / _safe(x))


class Zeta(Function):
    """Hurwitz zeta ``sum_k (k + q)^-x``; differentiable in ``q`` only (as PyTorch)."""

    @staticmethod
    def forward(ctx, x, q):
        ctx.shapes = (x.shape, q.shape)
        ctx.save_for_backward(x, q)
        return ctx.device.backend.special.zeta(x, q).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("special.zeta: the derivative with respect to the first "
                                      "argument (the exponent) is not implemented, as in "
                                      "PyTorch")
        return None, sum_to(g * -x * zeta(x + 1, q), ctx.shapes[1])


class Airy(Function):
    """Airy's ``Ai`` (``prime=False``) or ``Ai'``; ``Ai'' = x Ai`` closes the derivatives.
    CuPy has no ``airy``: there the values are computed on the host."""

    @staticmethod
    def forward(ctx, x, prime):
        ctx.prime = prime
        backend = ctx.device.backend
        airy = getattr(backend.special, "airy", None)
        if airy is not None:
            out = airy(x)[1 if prime else 0]
        else:
            import scipy.special

            out = backend.asarray(scipy.special.airy(backend.to_host(x))[1 if prime else 0])
        ctx.save_for_backward(x)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (x * Airy.apply(x, False) if ctx.prime else Airy.apply(x, True))), None


def airy_ai(input: Tensor) -> Tensor:
    """Airy function ``Ai(x)`` (differentiable: ``Ai'`` and ``Ai'' = x Ai``)."""
    return Airy.apply(_float(input, "airy_ai"), False)


def zeta(input, other) -> Tensor:
    """Hurwitz zeta function ``zeta(input, other)`` (either may be a number)."""
    x, q = _pair(input, other, "zeta")
    t = x if isinstance(x, Tensor) else q
    xp = t.device.backend.xp
    x, q = (v if isinstance(v, Tensor) else Tensor(xp.asarray(v, dtype=t.array.dtype),
                                                   device=t.device) for v in (x, q))
    return Zeta.apply(x, q)


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
    if x.numel() and not bool((x.array > (p - 1) / 2).all()):
        raise ValueError(f"special.multigammaln: all elements must be greater than (p-1)/2 = "
                         f"{(p - 1) / 2} (input shape {tuple(x.shape)})")
    xp = x.device.backend.xp
    half = Tensor(xp.arange(p, dtype=x.array.dtype) / 2, device=x.device)
    return gammaln(x.unsqueeze(-1) - half).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


class XLogY(Function):
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
    x, y = (v if isinstance(v, Tensor) else Tensor(xp.asarray(v, dtype=t.array.dtype),
                                                   device=t.device) for v in (x, y))
    return XLogY.apply(x, y, one_p)


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


# --- orthogonal polynomials (values only, as PyTorch: no gradient) ----------------------

# name: (P_1 from x, P_{k+1} from x, k, P_k, P_{k-1}); P_0 = 1
_RECURRENCES = {
    "chebyshev_polynomial_t": (lambda x: x, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_u": (lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, lambda x, k, p, q: 2 * x * p - q),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, lambda x, k, p, q: 2 * x * p - q),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda x, k, p, q: 2 * x * p - 2 * k * q),
    "hermite_polynomial_he": (lambda x: x, lambda x, k, p, q: x * p - k * q),
    "laguerre_polynomial_l": (lambda x: 1 - x,
                              lambda x, k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
    "legendre_polynomial_p": (lambda x: x,
                              lambda x, k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
}


def _polynomial(name: str, x, n, shifted: bool = False) -> Tensor:
    """``P_n(x)`` by the three-term recurrence, elementwise over broadcast ``x`` and ``n``
    (0 where n < 0)."""
    t = x if isinstance(x, Tensor) else n
    if not isinstance(t, Tensor):
        raise TypeError(f"special.{name}: expected a Tensor argument")
    xp = t.device.backend.xp
    dt = t.array.dtype if t.array.dtype.kind == "f" else dtypes.get_default_dtype()
    xa = (x.array if isinstance(x, Tensor) else xp.asarray(x)).astype(dt)
    na = n.array if isinstance(n, Tensor) else xp.asarray(n)
    if bool((na != xp.floor(na)).any()) if na.dtype.kind == "f" else False:
        raise ValueError(f"special.{name}: n must hold integers, got {n}")
    if shifted:
        xa = 2 * xa - 1
    xa, na = xp.broadcast_arrays(xa, na.astype(np.int64))
    first, step = _RECURRENCES[name]
    out = xp.where(na == 0, 1.0, 0.0).astype(dt)
    refuse_while_recording(f"special.{name}", "the largest degree n")
    top = int(na.max()) if na.size else 0
    q, p = xp.ones_like(xa), first(xa)
    for k in range(1, top + 1):
        out = xp.where(na == k, p, out)
        q, p = p, step(xa, k, p, q)
    return Tensor(out, device=t.device)


def _poly(name: str, shifted: bool = False):
    base = name.replace("shifted_", "")

    def fn(input, n) -> Tensor:
        return _polynomial(base, input, n, shifted)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}(input, n)``: the degree-``n`` polynomial at ``input``"
                  f"{' (at 2 input - 1)' if shifted else ''}; no gradient, as PyTorch.")
    return fn


chebyshev_polynomial_t = _poly("chebyshev_polynomial_t")
chebyshev_polynomial_u = _poly("chebyshev_polynomial_u")
chebyshev_polynomial_v = _poly("chebyshev_polynomial_v")
chebyshev_polynomial_w = _poly("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _poly("shifted_chebyshev_polynomial_t", True)
shifted_chebyshev_polynomial_u = _poly("shifted_chebyshev_polynomial_u", True)
shifted_chebyshev_polynomial_v = _poly("shifted_chebyshev_polynomial_v", True)
shifted_chebyshev_polynomial_w = _poly("shifted_chebyshev_polynomial_w", True)
hermite_polynomial_h = _poly("hermite_polynomial_h")
hermite_polynomial_he = _poly("hermite_polynomial_he")
laguerre_polynomial_l = _poly("laguerre_polynomial_l")
legendre_polynomial_p = _poly("legendre_polynomial_p")
