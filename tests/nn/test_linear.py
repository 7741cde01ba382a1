"""Linear, Identity, Flatten, Unflatten: shapes, init bounds, gradients, torch parity."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def test_linear_shapes_and_forward():
    lin = nn.Linear(5, 3)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    assert lin.weight.dtype == np.float32
    x = ag.randn(7, 5)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    np.testing.assert_allclose(lin(x).numpy(), x.numpy() @ w.T + b, rtol=1e-5, atol=1e-6)
    # extra leading dims and a 1-D input
    x3 = ag.randn(2, 4, 5)
    assert lin(x3).shape == (2, 4, 3)
    np.testing.assert_allclose(lin(x3).numpy(), x3.numpy() @ w.T + b, rtol=1e-5, atol=1e-6)
    assert lin(ag.randn(5)).shape == (3,)


def test_linear_init_bounds_follow_pytorch():
    ag.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    # uniform on [-b, b] has variance b^2 / 3
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2 / 3
    assert np.abs(lin.bias.numpy()).max() <= bound


def test_linear_seeded_init_is_reproducible():
    ag.manual_seed(3)
    a = nn.Linear(4, 4).weight.numpy().copy()
    ag.manual_seed(3)
    b = nn.Linear(4, 4).weight.numpy().copy()
    np.testing.assert_array_equal(a, b)


def test_linear_gradients_match_closed_form():
    lin = nn.Linear(4, 3).double()
    x = ag.randn(6, 4, dtype=ag.float64, requires_grad=True)
    g = np.random.default_rng(0).standard_normal((6, 3))
    out = lin(x)
    out.backward(ag.tensor(g))
    w = lin.weight.numpy()
    np.testing.assert_allclose(x.grad.numpy(), g @ w)
    np.testing.assert_allclose(lin.weight.grad.numpy(), g.T @ x.numpy())
    np.testing.assert_allclose(lin.bias.grad.numpy(), g.sum(0))


def test_linear_gradcheck_and_gradgradcheck_batched():
    rng = np.random.default_rng(1)
    x = ag.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)
    assert ag.gradcheck(F.linear, (x, w, b))
    assert ag.gradgradcheck(F.linear, (x, w, b))
    assert ag.gradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_no_bias_and_errors():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    assert "bias=False" in repr(lin)
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(2, 3\)"):
        lin(ag.randn(4, 5))
    with pytest.raises(TypeError, match="float64"):
        lin(ag.randn(4, 3, dtype=ag.float64))


def test_linear_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    tl = torch.nn.Linear(6, 4)
    lin = nn.Linear(6, 4)
    lin.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(lin(ag.tensor(x)).numpy(), tl(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_identity_flatten_unflatten():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Identity(54, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    np.testing.assert_array_equal(nn.Unflatten(1, (3, 4, 5))(nn.Flatten()(x)).numpy(),
                                  x.numpy())
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_bilinear():
    m = nn.Bilinear(3, 4, 2)
    x1, x2 = ag.randn(5, 3), ag.randn(5, 4)
    ref = np.einsum("ni,kij,nj->nk", x1.numpy(), m.weight.numpy(), x2.numpy()) + m.bias.numpy()
    np.testing.assert_allclose(m(x1, x2).numpy(), ref, rtol=1e-5, atol=1e-5)
