"""Registry entries for ``autograd.fft`` and complex tensors (see opinfo.py).

The registry's checks run on real tensors, so complex results leave through
``view_as_real`` (or ``abs``/``angle``/``real``/``imag``) and complex inputs are made
inside the function with ``view_as_complex`` from a real (*, 2) tensor.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
import autograd.fft as F

from .core_ops import _args
from .opinfo import OpInfo, register


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference,
                    second_order=second_order, group="fft", **kw))


def _vr(z):
    """view_as_real for Tensors and arrays."""
    if isinstance(z, ag.Tensor):
        return ag.view_as_real(z)
    return np.stack([z.real, z.imag], -1)


def _vc(x):
    if isinstance(x, ag.Tensor):
        return ag.view_as_complex(x)
    return x[..., 0] + 1j * x[..., 1]


def _cplx(f, np_f, **kw):
    """(fn, reference) for a complex->complex transform given a real (*, 2) input."""
    return (lambda x: _vr(f(_vc(x), **kw)),
            lambda x: _vr(np_f(_vc(x), **{k.replace("dim", "axes" if k == "dim" and not
                                                   isinstance(v, int) else "axis"): v
                                          for k, v in kw.items()})))


# --- complex <-> complex ---------------------------------------------------------------------
for _name, _f, _nf in (("fft", F.fft, np.fft.fft), ("ifft", F.ifft, np.fft.ifft)):
    _op(f"fft.{_name}", *_cplx(_f, _nf)[:1], (3, 5, 2), reference=_cplx(_f, _nf)[1])
    for _norm in ("forward", "ortho"):
        _fn, _ref = _cplx(_f, _nf, norm=_norm)
        _op(f"fft.{_name}/{_norm}", _fn, (4, 2), reference=_ref)
_op("fft.fft/n_pad_dim0", lambda x: _vr(F.fft(_vc(x), n=6, dim=0)), (4, 3, 2),
    reference=lambda x: _vr(np.fft.fft(_vc(x), n=6, axis=0)))
_op("fft.fft/n_trim", lambda x: _vr(F.fft(_vc(x), n=3)), (2, 5, 2),
    reference=lambda x: _vr(np.fft.fft(_vc(x), n=3)))
_op("fft.fft/real_input", lambda x: _vr(F.fft(x)), (2, 5),
    reference=lambda x: _vr(np.fft.fft(x)))
_op("fft.fft2", lambda x: _vr(F.fft2(_vc(x))), (2, 3, 4, 2),
    reference=lambda x: _vr(np.fft.fft2(_vc(x))))
_op("fft.ifft2/s_ortho", lambda x: _vr(F.ifft2(_vc(x), s=(4, 2), norm="ortho")), (3, 3, 2),
    reference=lambda x: _vr(np.fft.ifft2(_vc(x), s=(4, 2), norm="ortho")))
_op("fft.fftn", lambda x: _vr(F.fftn(_vc(x))), (2, 3, 2, 2),
    reference=lambda x: _vr(np.fft.fftn(_vc(x))))
_op("fft.ifftn/dim", lambda x: _vr(F.ifftn(_vc(x), dim=(0, 2), norm="forward")), (2, 3, 4, 2),
    reference=lambda x: _vr(np.fft.ifftn(_vc(x), axes=(0, 2), norm="forward")))

# --- real <-> one-sided complex --------------------------------------------------------------
for _n in (None, 6, 7, 4):
    _op(f"fft.rfft/n={_n}", lambda x, n=_n: _vr(F.rfft(x, n=n)), (2, 5),
        reference=lambda x, n=_n: _vr(np.fft.rfft(x, n=n)))
    _op(f"fft.irfft/n={_n}", lambda x, n=_n: F.irfft(_vc(x), n=n), (2, 4, 2),
        reference=lambda x, n=_n: np.fft.irfft(_vc(x), n=n))
for _norm in ("forward", "ortho"):
    _op(f"fft.rfft/{_norm}_dim0", lambda x, m=_norm: _vr(F.rfft(x, dim=0, norm=m)), (6, 2),
        reference=lambda x, m=_norm: _vr(np.fft.rfft(x, axis=0, norm=m)))
    _op(f"fft.irfft/{_norm}_odd", lambda x, m=_norm: F.irfft(_vc(x), n=5, norm=m), (3, 2),
        reference=lambda x, m=_norm: np.fft.irfft(_vc(x), n=5, norm=m))
_op("fft.rfft2", lambda x: _vr(F.rfft2(x)), (2, 3, 4), reference=lambda x: _vr(np.fft.rfft2(x)))
_op("fft.irfft2", lambda x: F.irfft2(_vc(x)), (3, 3, 2),
    reference=lambda x: np.fft.irfft2(_vc(x)))
_op("fft.rfftn/s", lambda x: _vr(F.rfftn(x, s=(3, 5))), (2, 4, 4),
    reference=lambda x: _vr(np.fft.rfftn(x, s=(3, 5), axes=(-2, -1))))
_op("fft.irfftn/odd", lambda x: F.irfftn(_vc(x), s=(2, 3, 5)), (2, 3, 3, 2),
    reference=lambda x: np.fft.irfftn(_vc(x), s=(2, 3, 5), axes=(0, 1, 2)))
_op("fft.rfft_irfft_roundtrip", lambda x: F.irfft(F.rfft(x), n=7), (2, 7),
    reference=lambda x: x)
_op("fft.power_spectrum", lambda x: F.rfft(x).abs() ** 2, (3, 8),
    reference=lambda x: np.abs(np.fft.rfft(x)) ** 2)

# --- shifts ------------------------------------------------------------------------------------
_op("fft.fftshift", lambda x: F.fftshift(x), (3, 5), reference=np.fft.fftshift)
_op("fft.ifftshift/dim", lambda x: F.ifftshift(_vc(x), dim=1).real, (3, 5, 2),
    reference=lambda x: np.fft.ifftshift(_vc(x), axes=1).real)

# --- complex elementwise --------------------------------------------------------------------
_op("complex.abs", lambda x: _vc(x).abs(), {"shape": (3, 4, 2), "away": 0.1},
    reference=lambda x: np.abs(_vc(x)))
_op("complex.angle", lambda x: ag.angle(_vc(x)), {"shape": (3, 4, 2), "away": 0.1},
    reference=lambda x: np.angle(_vc(x)))
_op("complex.real_imag", lambda x: (_vc(x).real, _vc(x).imag), (3, 2),
    reference=lambda x: (x[..., 0], x[..., 1]))
_op("complex.conj", lambda x: _vr(_vc(x).conj()), (3, 2),
    reference=lambda x: _vr(np.conj(_vc(x))))
_op("complex.complex_polar", lambda r, t: _vr(ag.polar(r, t) + ag.complex(t, r)),
    {"shape": (3,), "low": 0.5, "high": 2.0}, (3,),
    reference=lambda r, t: _vr(r * np.exp(1j * t) + t + 1j * r))

# --- Hermitian transforms ------------------------------------------------------------------
_op("fft.hfft", lambda x: F.hfft(_vc(x), n=7), (2, 4, 2),
    reference=lambda x: np.fft.hfft(_vc(x), n=7))
_op("fft.ihfft/ortho", lambda x: _vr(F.ihfft(x, norm="ortho")), (2, 6),
    reference=lambda x: _vr(np.fft.ihfft(x, norm="ortho")))
_op("fft.hfft2", lambda x: F.hfft2(_vc(x)), (3, 3, 2),
    reference=lambda x: np.fft.irfft2(np.conj(_vc(x)), norm="forward"))
_op("fft.ihfftn", lambda x: _vr(F.ihfftn(x, norm="forward")), (2, 3, 4),
    reference=lambda x: _vr(np.conj(np.fft.rfftn(x, norm="backward"))))
