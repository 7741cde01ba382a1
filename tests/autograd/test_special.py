"""autograd.special beyond the registry: PyTorch's values and gradients (first and
second), the points where a formula has a removable singularity, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import autograd.special as S

RNG = np.random.default_rng(5)

# name: (call on (module, special namespace, x), input array)
CASES = {
    "erf": (lambda m, s, x: s.erf(x), RNG.uniform(-2, 2, 6)),
    "erfc": (lambda m, s, x: s.erfc(x), RNG.uniform(-2, 2, 6)),
    "erfinv": (lambda m, s, x: s.erfinv(x), RNG.uniform(-0.9, 0.9, 6)),
    "erfcx": (lambda m, s, x: s.erfcx(x), RNG.uniform(-1, 3, 6)),
    "expit": (lambda m, s, x: s.expit(x), RNG.uniform(-3, 3, 6)),
    "logit": (lambda m, s, x: s.logit(x), RNG.uniform(0.1, 0.9, 6)),
    "logit_eps": (lambda m, s, x: s.logit(x, eps=0.2), RNG.uniform(0.05, 0.95, 6)),
    "gammaln": (lambda m, s, x: s.gammaln(x), RNG.uniform(0.2, 5, 6)),
    "digamma": (lambda m, s, x: s.digamma(x), RNG.uniform(0.2, 5, 6)),
    "psi": (lambda m, s, x: s.psi(x), RNG.uniform(0.2, 5, 6)),
    "polygamma": (lambda m, s, x: s.polygamma(2, x), RNG.uniform(0.2, 5, 6)),
    "multigammaln": (lambda m, s, x: s.multigammaln(x, 4), RNG.uniform(1.6, 5, 6)),
    "xlogy": (lambda m, s, x: s.xlogy(x, x * x + 0.5), RNG.uniform(-2, 2, 6)),
    "xlogy_scalar": (lambda m, s, x: s.xlogy(x, 2.5) + s.xlogy(1.5, x * x), RNG.uniform(0.2, 2, 6)),
    "xlog1py": (lambda m, s, x: s.xlog1py(x, x * x), RNG.uniform(-2, 2, 6)),
    "i0": (lambda m, s, x: s.i0(x), RNG.uniform(-3, 3, 6)),
    "i0e": (lambda m, s, x: s.i0e(x), RNG.uniform(-3, 3, 6)),
    "i1": (lambda m, s, x: s.i1(x), RNG.uniform(-3, 3, 6)),
    "i1e": (lambda m, s, x: s.i1e(x), RNG.uniform(-3, 3, 6)),
    "ndtr": (lambda m, s, x: s.ndtr(x), RNG.uniform(-3, 3, 6)),
    "ndtri": (lambda m, s, x: s.ndtri(x), RNG.uniform(0.02, 0.98, 6)),
    "log_ndtr": (lambda m, s, x: s.log_ndtr(x), RNG.uniform(-8, 3, 6)),
    "entr": (lambda m, s, x: s.entr(x), RNG.uniform(0.1, 3, 6)),
    "sinc": (lambda m, s, x: s.sinc(x), RNG.uniform(-3, 3, 6)),
    "softmax": (lambda m, s, x: s.softmax(x.reshape(2, 3), 1), RNG.normal(size=6)),
    "log_softmax": (lambda m, s, x: s.log_softmax(x.reshape(2, 3), 0), RNG.normal(size=6)),
    "logsumexp": (lambda m, s, x: s.logsumexp(x.reshape(2, 3), 1), RNG.normal(size=6)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_first_and_second_derivatives_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, x = CASES[name]
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = fn(ag, S, xa), fn(torch, torch.special, xt)
    np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = RNG.normal(size=tuple(yt.shape))
    (ga,) = ag.grad([(ya * ag.tensor(w)).sum()], [xa], create_graph=True)
    (gt,) = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt, create_graph=True)
    np.testing.assert_allclose(ga.numpy(), gt.detach().numpy(), rtol=1e-9, atol=1e-12)
    ga.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_removable_singularities_give_the_limit():
    x = ag.tensor([0.0, 0.0], dtype=ag.float64, requires_grad=True)
    (S.i1(x).sum() + S.i1e(x).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])  # 0.5 each
    x.grad = None
    S.sinc(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(S.sinc(x).numpy(), [1.0, 1.0])
    # xlogy(0, y) is 0 even at y = 0, and its x-gradient there is log(y) masked to 0
    z = ag.tensor([0.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([0.0, 3.0], dtype=ag.float64, requires_grad=True)
    out = S.xlogy(z, y)
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0 * np.log(3.0)])
    with np.errstate(invalid="ignore"):
        out.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0.0, np.log(3.0)])
    np.testing.assert_allclose(y.grad.numpy(), [np.nan, 2.0 / 3.0])  # 0/0, as PyTorch


def test_dtypes_follow_pytorch():
    assert S.erfc(ag.tensor([1, 2])).dtype == ag.float32  # integers promote
    assert S.polygamma(3, ag.tensor([1.5], dtype=ag.float32)).dtype == ag.float32
    assert S.gammaln(ag.tensor([1.5], dtype=ag.float64)).dtype == ag.float64
    assert S.xlogy(ag.tensor([1.5], dtype=ag.float32), 2.0).dtype == ag.float32


def test_forwards_come_from_the_backend():
    import scipy.special

    assert ag.tensor([1.0]).device.backend.special is scipy.special


def test_errors():
    with pytest.raises(ValueError, match=r"special\.multigammaln: all elements must be greater "
                                         r"than \(p-1\)/2 = 1\.5"):
        S.multigammaln(ag.tensor([1.0, 3.0]), 4)
    with pytest.raises(ValueError, match=r"special\.polygamma: n must be a non-negative"):
        S.polygamma(-1, ag.tensor([1.0]))
    with pytest.raises(TypeError, match=r"special\.erfinv: expected a Tensor"):
        S.erfinv([0.5])
    with pytest.raises(TypeError, match=r"special\.gammaln: expected a real tensor"):
        S.gammaln(ag.complex(ag.ones(2), ag.ones(2)))


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
def test_top_level_names_and_methods_match_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.uniform(0.1, 0.9, 5)
    a = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    for name, call in {
        "erfinv": lambda m, t: m.erfinv(t), "erfc": lambda m, t: m.erfc(t),
        "lgamma": lambda m, t: m.lgamma(t), "digamma": lambda m, t: m.digamma(t),
        "polygamma": lambda m, t: m.polygamma(2, t), "mvlgamma": lambda m, t: m.mvlgamma(t + 2, 3),
        "i0": lambda m, t: m.i0(t), "sinc": lambda m, t: m.sinc(t),
        "logit": lambda m, t: m.logit(t), "xlogy": lambda m, t: m.xlogy(t, t + 1),
        "methods": lambda m, t: t.erfinv() + t.lgamma() + t.polygamma(1) + t.logit() + t.sinc()
        + t.xlogy(t) + t.digamma() + t.erfc() + t.i0() + (t + 2).mvlgamma(2),
    }.items():
        np.testing.assert_allclose(call(ag, ag.tensor(x)).numpy(),  # SciPy vs ATen: ~1e-10
                                   call(torch, torch.tensor(x)).numpy(), rtol=1e-8, err_msg=name)
    for name, call in {
        "det": lambda m, t: m.det(t), "logdet": lambda m, t: m.logdet(-t),
        "inverse": lambda m, t: m.inverse(t), "pinverse": lambda m, t: m.pinverse(t),
        "matrix_power": lambda m, t: m.matrix_power(t, 3),
        "cholesky": lambda m, t: m.cholesky(t @ t.mT),
        "methods": lambda m, t: t.det() * t.inverse() + t.pinverse() + t.matrix_power(2)
        + t.slogdet()[1] + (t @ t.mT).cholesky() + t.logdet(),
    }.items():
        np.testing.assert_allclose(call(ag, ag.tensor(a)).numpy(),
                                   call(torch, torch.tensor(a)).numpy(), rtol=1e-10, err_msg=name)


def test_bessel_and_zeta_values_match_pytorch():
    """PyTorch has these without gradients; the registry checks ours by gradcheck and
    against SciPy (which agrees with mpmath to 1e-16 where ATen's bessel_j0 is off by
    5e-6 relative, e.g. at x = 4.1)."""
    torch = pytest.importorskip("torch")
    x = RNG.uniform(0.2, 6.0, 8)
    for name in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
                 "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                 "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                 "spherical_bessel_j0", "airy_ai"):
        np.testing.assert_allclose(getattr(S, name)(ag.tensor(x)).numpy(),
                                   getattr(torch.special, name)(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=name)  # ATen's are off
    q = ag.tensor(x, requires_grad=True)
    qt = torch.tensor(x, requires_grad=True)
    out, out_t = S.zeta(3.0, q), torch.special.zeta(3.0, qt)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(q.grad.numpy(), qt.grad.numpy(), rtol=1e-9)
    np.testing.assert_array_equal(S.spherical_bessel_j0(ag.zeros(1)).numpy(), [1.0])
    with pytest.raises(NotImplementedError, match="zeta: the derivative with respect to the "
                                                  "first argument"):
        S.zeta(q, 2.0).sum().backward()


def test_orthogonal_polynomials_match_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.uniform(-1.2, 1.2, (4, 5))
    n = RNG.integers(-1, 9, (4, 5))
    names = [k for k in dir(torch.special) if "_polynomial_" in k]
    assert len(names) == 12
    for name in names:
        for degree in (0, 3, n):
            deg_a = ag.tensor(degree) if isinstance(degree, np.ndarray) else degree
            deg_t = torch.tensor(degree) if isinstance(degree, np.ndarray) else degree
            ours = getattr(S, name)(ag.tensor(x), deg_a)
            theirs = getattr(torch.special, name)(torch.tensor(x), deg_t)
            assert not ours.requires_grad and ours.dtype == ag.float64
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name} n={degree}")
    assert S.legendre_polynomial_p(ag.tensor([1, 2]), 2).dtype == ag.float32
