"""The CUDA forms of the fused Adam and SGD steps, checked without a GPU (issue 18):
a fake backend binds each launch's arguments to the names the registered kernel declares
(``KernelSpec.in_params`` / ``out_params``) and runs a NumPy transcription of the kernel
body. The result must equal the whole-array reference, so a wrong scalar, a swapped
argument or a dropped flag in ``_adam_cuda`` / ``_sgd_cuda`` fails here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backends.base import ELEMENTWISE
from optim import adam as adam_mod
from optim import sgd as sgd_mod


def _names(params: str) -> list[str]:
    return [p.split()[-1] for p in params.split(",")]


def _adam_body(a, amsgrad):
    """optim/adam.py's _CUDA_BODY in NumPy (same operations, same order)."""
    g = a["sign"] * a["grad"]
    if a["decoupled"]:
        a["param"] *= 1 - a["lr"] * a["weight_decay"]
    elif a["weight_decay"] != 0:
        g = g + a["weight_decay"] * a["param"]
    a["exp_avg"] += (g - a["exp_avg"]) * (1 - a["beta1"])
    a["exp_avg_sq"][...] = a["exp_avg_sq"] * a["beta2"] + g * (1 - a["beta2"]) * g
    v = a["exp_avg_sq"]
    if amsgrad:
        np.maximum(a["max_exp_avg_sq"], a["exp_avg_sq"], out=a["max_exp_avg_sq"])
        v = a["max_exp_avg_sq"]
    denom = np.sqrt(v) / a["bias_correction2_sqrt"] + a["eps"]
    a["param"] += a["exp_avg"] / denom * (-a["step_size"])


def _sgd_body(a):
    """optim/sgd.py's CUDA kernel body in NumPy."""
    g = a["sign"] * a["grad"]
    if a["weight_decay"] != 0:
        g = g + a["weight_decay"] * a["param"]
    if a["first"]:
        a["buf"][...] = g
    else:
        a["buf"][...] = a["buf"] * a["momentum"] + g * (1 - a["dampening"])
    d = g + a["buf"] * a["momentum"] if a["nesterov"] else a["buf"]
    a["param"] += d * (-a["lr"])


def _sgd_plain_body(a):
    """optim/sgd.py's CUDA_PLAIN_KERNEL body in NumPy."""
    g = a["sign"] * a["grad"]
    if a["weight_decay"] != 0:
        g = g + a["weight_decay"] * a["param"]
    a["param"] += g * (-a["lr"])


class FakeCuda:
    """A backend named "cupy" whose launch_elementwise runs the transcribed body."""

    name = "cupy"
    xp = np

    def __init__(self):
        self.launches = []

    def launch_elementwise(self, key, *args):
        spec = ELEMENTWISE[key]
        names = _names(spec.in_params) + _names(spec.out_params)
        assert len(args) == len(names), (key, len(args), names)
        bound = dict(zip(names, args, strict=True))
        self.launches.append((key, bound))
        if key.startswith("adam_update"):
            _adam_body(bound, amsgrad=key.endswith("/amsgrad"))
        elif key == "sgd_update":
            _sgd_plain_body(bound)
        else:
            _sgd_body(bound)


RNG = np.random.default_rng(7)


def _arrays(dtype, n, shape=(3, 4)):
    out = [RNG.standard_normal(shape).astype(dtype) for _ in range(n)]
    out[3 % n] = np.abs(out[3 % n])  # exp_avg_sq (and its max) are non-negative
    if n > 4:
        out[4] = np.abs(out[4])
    return out


@pytest.mark.parametrize("dtype, weight_decay, decoupled, maximize, amsgrad, step", [
    (np.float64, 0.0, False, False, False, 1),
    (np.float64, 0.1, False, True, False, 3),
    (np.float32, 0.1, True, False, True, 5),
    (np.float64, 0.05, True, True, True, 2),
    (np.float32, 0.0, True, False, False, 4),
])
def test_adam_cuda_launch_equals_reference(dtype, weight_decay, decoupled, maximize, amsgrad,
                                           step):
    n = 5 if amsgrad else 4
    fused = _arrays(dtype, n)
    ref = [a.copy() for a in fused]
    hyper = dict(lr=0.01, beta1=0.85, beta2=0.95, eps=1e-6, weight_decay=weight_decay,
                 step=step, decoupled=decoupled, maximize=maximize)
    backend = FakeCuda()
    adam_mod.adam_update(backend, *fused[:4], max_exp_avg_sq=fused[4] if amsgrad else None,
                         **hyper)
    adam_mod.adam_reference(np, *ref[:4], max_exp_avg_sq=ref[4] if amsgrad else None,
                            **hyper)
    assert [k for k, _ in backend.launches] == \
        ["adam_update/amsgrad" if amsgrad else "adam_update"]
    bound = backend.launches[0][1]
    assert bound["grad"] is fused[1] and bound["param"] is fused[0]
    assert isinstance(bound["decoupled"], bool) and bound["decoupled"] is decoupled
    assert bound["sign"] == (-1.0 if maximize else 1.0)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    for got, want in zip(fused, ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2)


def test_adam_cuda_leaves_other_dtypes_to_the_reference():
    backend = FakeCuda()
    arrays = [a.astype(np.float16) for a in _arrays(np.float32, 4)]
    assert adam_mod._adam_cuda(backend, *arrays, 0.1, 0.9, 0.99, 1e-8, 0.0, 1, False, False,
                               None) is False
    assert backend.launches == []


@pytest.mark.parametrize("dtype, weight_decay, nesterov, maximize, first, dampening",
                         [(dt, wd, nest, mx, first, 0.0 if nest else damp)
                          for dt, wd, nest, mx, first, damp in itertools.product(
                              (np.float64, np.float32), (0.0, 0.1), (False, True),
                              (False, True), (False, True), (0.25,))])
def test_sgd_cuda_launch_equals_reference(dtype, weight_decay, nesterov, maximize, first,
                                          dampening):
    fused = _arrays(dtype, 4)[:3]
    ref = [a.copy() for a in fused]
    hyper = dict(lr=0.05, momentum=0.8, dampening=dampening, weight_decay=weight_decay,
                 nesterov=nesterov, maximize=maximize, first=first)
    backend = FakeCuda()
    sgd_mod.sgd_momentum_update(backend, *fused, **hyper)
    sgd_mod.sgd_momentum_reference(np, *ref, **hyper)
    assert [k for k, _ in backend.launches] == ["sgd_momentum_update"]
    bound = backend.launches[0][1]
    assert bound["nesterov"] is nesterov and bound["first"] is first
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    for got, want in zip(fused, ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2)


def test_sgd_cuda_leaves_other_dtypes_to_the_reference():
    backend = FakeCuda()
    arrays = [a.astype(np.float16) for a in _arrays(np.float32, 4)[:3]]
    assert sgd_mod._sgd_cuda(backend, *arrays, 0.1, 0.9, 0.0, 0.0, False, False,
                             False) is False
    assert backend.launches == []


@pytest.mark.parametrize("dtype, weight_decay, maximize",
                         list(itertools.product((np.float64, np.float32), (0.0, 0.1),
                                                (False, True))))
def test_sgd_plain_cuda_launch_equals_reference(dtype, weight_decay, maximize):
    """The momentum-free step's launch: one ``sgd_update`` kernel, arguments bound by the
    kernel's declared names (a dropped sign or a swapped lr/weight_decay fails)."""
    fused = _arrays(dtype, 2)
    ref = [a.copy() for a in fused]
    backend = FakeCuda()
    sgd_mod.sgd_update(backend, *fused, lr=0.05, weight_decay=weight_decay,
                       maximize=maximize)
    sgd_mod.sgd_reference(np, *ref, lr=0.05, weight_decay=weight_decay, maximize=maximize)
    assert [k for k, _ in backend.launches] == ["sgd_update"]
    assert backend.launches[0][1]["sign"] == (-1.0 if maximize else 1.0)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(fused[0], ref[0], rtol=rtol, atol=rtol * 1e-2)
    assert not np.array_equal(fused[0], fused[1])  # the parameter moved, the gradient not
