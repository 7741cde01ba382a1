"""Registry entries for ``autograd.special`` (see opinfo.py), checked against SciPy."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

import autograd.special as S

from .core_ops import _args
from .opinfo import OpInfo, register


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference,
                    second_order=second_order, group="special", **kw))


def _r(shape, low, high, away=0.0):
    return {"shape": shape, "low": low, "high": high, "away": away}


_UNARY = {
    # name: (spec of the input, SciPy/NumPy reference)
    "erf": ((3, 4), sp.erf),
    "erfc": ((3, 4), sp.erfc),
    "erfinv": (_r((3, 4), -0.9, 0.9), sp.erfinv),
    "erfcx": (_r((3, 4), -1.5, 3.0), sp.erfcx),
    "expit": ((3, 4), sp.expit),
    "logit": (_r((3, 4), 0.1, 0.9), sp.logit),
    "gammaln": (_r((3, 4), 0.3, 4.0), sp.gammaln),
    "digamma": (_r((3, 4), 0.3, 4.0), sp.digamma),
    "i0": ((3, 4), sp.i0),
    "i0e": (_r((3, 4), -2.0, 2.0, 0.1), sp.i0e),
    "i1": ((3, 4), sp.i1),
    "i1e": (_r((3, 4), -2.0, 2.0, 0.1), sp.i1e),
    "ndtr": ((3, 4), sp.ndtr),
    "ndtri": (_r((3, 4), 0.05, 0.95), sp.ndtri),
    "log_ndtr": (_r((3, 4), -4.0, 2.0), sp.log_ndtr),
    "entr": (_r((3, 4), 0.2, 2.0), sp.entr),
    "sinc": (_r((3, 4), -2.0, 2.0, 0.05), np.sinc),
}
for _name, (_spec, _ref) in _UNARY.items():
    _op(f"special.{_name}", getattr(S, _name), _spec, reference=_ref)

for _n in (1, 2):
    _op(f"special.polygamma/{_n}", lambda x, n=_n: S.polygamma(n, x), _r((3, 4), 0.3, 4.0),
        reference=lambda x, n=_n: sp.polygamma(n, x))
_op("special.logit/eps", lambda x: S.logit(x, 0.2), _r((3, 4), 0.05, 0.95, 0.0),
    reference=lambda x: sp.logit(np.clip(x, 0.2, 0.8)), second_order=False)
_op("special.multigammaln", lambda x: S.multigammaln(x, 3), _r((2, 3), 1.2, 4.0),
    reference=lambda x: sp.multigammaln(x, 3) if x.ndim == 0 else np.vectorize(
        lambda v: sp.multigammaln(v, 3))(x))
_op("special.xlogy", S.xlogy, (3, 1), _r((4,), 0.2, 2.0), reference=sp.xlogy)
_op("special.xlogy/scalar_x", lambda y: S.xlogy(2.0, y), _r((4,), 0.2, 2.0),
    reference=lambda y: sp.xlogy(2.0, y))
_op("special.xlog1py", S.xlog1py, (3, 4), _r((3, 4), -0.5, 2.0), reference=sp.xlog1py)
_op("special.softmax", lambda x: S.softmax(x, 1), (3, 4),
    reference=lambda x: sp.softmax(x, axis=1))
_op("special.log_softmax", lambda x: S.log_softmax(x, 0), (3, 4),
    reference=lambda x: sp.log_softmax(x, axis=0))
_op("special.logsumexp", lambda x: S.logsumexp(x, (0, 1)), (3, 4),
    reference=lambda x: sp.logsumexp(x, axis=(0, 1)))

# --- Bessel functions and Hurwitz zeta ---------------------------------------------------
for _name, _ref in (("bessel_j0", sp.j0), ("bessel_j1", sp.j1), ("bessel_y0", sp.y0),
                    ("bessel_y1", sp.y1), ("modified_bessel_i0", sp.i0),
                    ("modified_bessel_i1", sp.i1), ("modified_bessel_k0", sp.k0),
                    ("modified_bessel_k1", sp.k1), ("scaled_modified_bessel_k0", sp.k0e),
                    ("scaled_modified_bessel_k1", sp.k1e),
                    ("spherical_bessel_j0", lambda x: sp.spherical_jn(0, x))):
    _op(f"special.{_name}", getattr(S, _name), _r((3, 4), 0.3, 4.0), reference=_ref)
_op("special.zeta/q", lambda q: S.zeta(2.5, q), _r((3, 4), 0.5, 3.0),
    reference=lambda q: sp.zeta(2.5, q))
_op("special.airy_ai", S.airy_ai, _r((3, 4), -3.0, 2.0), reference=lambda x: sp.airy(x)[0])
