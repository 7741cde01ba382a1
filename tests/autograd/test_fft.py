"""autograd.fft and complex tensors: PyTorch's values and gradients (its convention for
complex tensors), dtypes, gradcheck on complex leaves, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import autograd.fft as F

RNG = np.random.default_rng(7)


def _c(*shape):
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


# name: (call on (module, fft namespace, *tensors) returning tensors, input arrays)
CASES = {
    "fft": (lambda m, f, z: (f.fft(z), f.fft(z, n=7, norm="ortho"), f.fft(z, n=3, dim=0)),
            [_c(4, 5)]),
    "ifft": (lambda m, f, z: (f.ifft(z), f.ifft(z, norm="forward", dim=0)), [_c(4, 5)]),
    "fft_real_input": (lambda m, f, x: (f.fft(x), f.ifft(x, n=6)), [RNG.normal(size=(3, 5))]),
    "fft2": (lambda m, f, z: (f.fft2(z), f.ifft2(z, s=(2, 6), norm="ortho")), [_c(2, 3, 4)]),
    "fftn": (lambda m, f, z: (f.fftn(z), f.ifftn(z, dim=(0, 2)), f.fftn(z, s=(3, 3))),
             [_c(2, 3, 4)]),
    "rfft": (lambda m, f, x: (f.rfft(x), f.rfft(x, n=9, norm="ortho"), f.rfft(x, n=4, dim=0),
                              f.rfft(x, norm="forward")), [RNG.normal(size=(6, 8))]),
    "irfft": (lambda m, f, z: (f.irfft(z), f.irfft(z, n=7), f.irfft(z, n=4, norm="ortho"),
                               f.irfft(z, dim=0, norm="forward")), [_c(5, 5)]),
    "rfft2_irfft2": (lambda m, f, x, z: (f.rfft2(x), f.irfft2(z), f.irfft2(z, s=(3, 5))),
                     [RNG.normal(size=(2, 4, 6)), _c(2, 4, 4)]),
    "rfftn_irfftn": (lambda m, f, x, z: (f.rfftn(x), f.rfftn(x, s=(3, 7)),
                                         f.irfftn(z, dim=(0, 1)), f.irfftn(z, s=(2, 3, 8))),
                     [RNG.normal(size=(2, 4, 6)), _c(2, 3, 4)]),
    "hermitian": (lambda m, f, z, x: (f.hfft(z), f.hfft(z, n=5, norm="ortho"), f.ihfft(x),
                                      f.hfft2(z), f.ihfft2(x, norm="forward"),
                                      f.hfftn(z, s=(3, 6)), f.ihfftn(x)),
                  [_c(3, 4), RNG.normal(size=(3, 6))]),
    "shifts": (lambda m, f, z: (f.fftshift(z), f.ifftshift(z, dim=1), f.fftshift(z, dim=(0,))),
               [_c(3, 5)]),
    "complex_ops": (lambda m, f, z: (z.abs(), m.angle(z), z.real, z.imag, z.conj(),
                                     m.view_as_real(z)), [_c(3, 4)]),
    "complex_arith": (lambda m, f, z, w: (z * w, z / (w + 2.0), z @ w.mT, z * 1.5 - w,
                                          m.view_as_complex(m.view_as_real(z) * 2.0)),
                      [_c(3, 4), _c(3, 4)]),
    "complex_math": (lambda m, f, z: (m.exp(z), m.log(z), m.sqrt(z), z ** 2, z ** 1.5,
                                      2.0 ** z, z ** z, m.sin(z), m.cos(z), m.tanh(z),
                                      m.log1p(z), z.mean(), z.sum(0)), [_c(3, 4) + 0.5]),
    "complex_build": (lambda m, f, a, b: (m.complex(a, b), m.polar(a.abs(), b), a * 1j,
                                          m.complex(a, b) * (2 - 1j)),
                      [RNG.normal(size=(3,)), RNG.normal(size=(3,))]),
}


def _real_loss(m, outs, weights):
    loss = 0.0
    for o, w in zip(outs, weights):
        if o.is_complex():
            loss = loss + (o.real * m.tensor(w.real)).sum() + (o.imag * m.tensor(w.imag)).sum()
        else:
            loss = loss + (o * m.tensor(w.real)).sum()
    return loss


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_a, out_t = fn(ag, F, *ours), fn(torch, torch.fft, *theirs)
    for i, (oa, ot) in enumerate(zip(out_a, out_t)):
        assert tuple(oa.shape) == tuple(ot.shape), f"{name} output {i}"
        assert str(oa.dtype) == str(ot.dtype)[6:], f"{name} output {i}"
        np.testing.assert_allclose(oa.numpy(), ot.detach().resolve_conj().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=f"{name} output {i}")
    weights = [_c(*o.shape) for o in out_t]
    _real_loss(ag, out_a, weights).backward()
    _real_loss(torch, out_t, weights).backward()
    for i, (xa, xt) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"{name} gradient of input {i}")


def test_power_spectrum_front_end_matches_pytorch():
    """Frames * window -> rfft -> |.|^2 -> mel matrix -> log: the speech front end."""
    torch = pytest.importorskip("torch")
    frames, window = RNG.normal(size=(5, 16)), np.hanning(16)
    mel = np.abs(RNG.normal(size=(9, 4)))

    def front(m, x):
        spec = m.fft.rfft(x * m.tensor(window), norm="ortho")
        return m.log(spec.abs() ** 2 @ m.tensor(mel) + 1e-3)

    xa, xt = ag.tensor(frames, requires_grad=True), torch.tensor(frames, requires_grad=True)
    ya, yt = front(ag, xa), front(torch, xt)
    np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), rtol=1e-10)
    (ga,) = ag.grad([ya.sum()], [xa], create_graph=True)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    np.testing.assert_allclose(ga.numpy(), gt.detach().numpy(), rtol=1e-8, atol=1e-10)
    (ga ** 2).sum().backward()
    (gt ** 2).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", [
    lambda z: F.fft(z, norm="ortho"), lambda z: F.irfft(z, n=7), lambda z: F.ifft2(z),
    lambda z: F.rfft(z.real), lambda z: z.abs(), lambda z: ag.angle(z),
    lambda z: z * z.conj() / (z + 3.0), lambda z: (z @ z.mT).imag,
], ids=["fft", "irfft", "ifft2", "rfft_of_real", "abs", "angle", "muldiv", "matmul"])
def test_gradcheck_on_complex_leaves(fn):
    z = ag.tensor(_c(3, 4) + 0.5, requires_grad=True)
    assert ag.gradcheck(fn, (z,)) and ag.gradgradcheck(fn, (z,))


def test_dtypes():
    x32 = ag.tensor(RNG.normal(size=8), dtype=ag.float32)
    assert F.rfft(x32).dtype == ag.complex64 and F.fft(x32).dtype == ag.complex64
    assert F.irfft(F.rfft(x32)).dtype == ag.float32
    assert F.fft(ag.tensor(RNG.normal(size=8))).dtype == ag.complex128
    assert F.fft(ag.tensor([1, 2, 3])).dtype == ag.complex64  # integers as the default float
    assert ag.tensor([1 + 2j]).dtype == ag.complex64
    z = ag.complex(ag.ones(2), ag.zeros(2))
    assert z.dtype == ag.complex64 and z.abs().dtype == ag.float32
    assert ag.angle(z).dtype == ag.float32 and z.real.dtype == ag.float32
    assert (z * ag.ones(2, dtype=ag.float64)).dtype == ag.complex128  # PyTorch's promotion
    assert (z * ag.tensor(2.0, dtype=ag.float64)).dtype == ag.complex64  # 0-d: no widening
    assert (z * 2.0).dtype == ag.complex64
    assert F.fftfreq(5).dtype == ag.float32 and F.rfftfreq(6, dtype=ag.float64).dtype == ag.float64
    np.testing.assert_allclose(F.fftfreq(5, d=0.5).numpy(), np.fft.fftfreq(5, 0.5), rtol=1e-6)
    np.testing.assert_allclose(F.rfftfreq(6).numpy(), np.fft.rfftfreq(6), rtol=1e-6)


def test_complex_leaves_and_round_trips():
    z = ag.tensor(_c(2, 3), requires_grad=True)
    assert z.requires_grad and z.is_complex()
    back = ag.view_as_complex(ag.view_as_real(z))
    np.testing.assert_array_equal(back.numpy(), z.numpy())
    w = _c(2, 3)
    (back.real * ag.tensor(w.real) + back.imag * ag.tensor(w.imag)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), w)  # dL/dRe + i dL/dIm
    x = ag.tensor(RNG.normal(size=3), requires_grad=True)
    y = x.to(ag.complex128)
    (y * ag.tensor(_c(3))).imag.sum().backward()  # the real leaf gets the real part
    assert x.grad.dtype == ag.float64
    assert ag.real(x) is x and ag.conj(x) is x
    with pytest.raises(TypeError, match="floating point and complex"):
        ag.tensor([1, 2]).requires_grad_()


def test_errors():
    with pytest.raises(TypeError, match=r"fft\.rfft: expects a real input.*complex"):
        F.rfft(ag.complex(ag.ones(4), ag.ones(4)))
    with pytest.raises(ValueError, match=r"fft\.fft: norm must be"):
        F.fft(ag.ones(4), norm="unitary")
    with pytest.raises(RuntimeError, match=r"fft\.fft: invalid number of data points \(0\)"):
        F.fft(ag.ones(4), n=0)
    with pytest.raises(IndexError, match=r"fft\.fftn: dim 3 is out of range"):
        F.fftn(ag.ones(2, 2), dim=(3,))
    with pytest.raises(RuntimeError, match=r"fft\.fftn: s \(2,\) and dim"):
        F.fftn(ag.ones(2, 2), s=(2,), dim=(0, 1))
    with pytest.raises(RuntimeError, match="view_as_complex: the last dimension must have size 2"):
        ag.view_as_complex(ag.ones(3, 3))
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex"):
        ag.view_as_real(ag.ones(3))
    z = ag.complex(ag.ones(3), ag.ones(3))
    for fn, name in ((ag.sigmoid, "sigmoid"), (ag.erf, "erf"), (ag.tan, "tan"),
                     (ag.logsumexp, "logsumexp"), (lambda t: ag.atan2(t, t), "atan2")):
        with pytest.raises(TypeError, match=f"{name}: complex tensors are not supported"):
            fn(z)  # rather than a cast that drops the imaginary part
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        _ = ag.ones(3).imag


def test_backward_of_a_complex_scalar_needs_a_gradient():
    """As PyTorch: an implicit gradient exists only for real scalars."""
    z = ag.tensor(1.0 + 2.0j, requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs, got complex"):
        (z * z).backward()
    (z * z).backward(gradient=ag.tensor(1.0 + 0.0j))  # explicit: fine
    assert z.grad is not None
