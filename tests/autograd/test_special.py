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
