"""Activation layers and functions: closed forms, extreme inputs, dropout, modules."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

X = np.array([[-1e4, -30.0, -2.0, -0.5, 0.0], [0.3, 1.5, 4.0, 30.0, 1e4]])


def _erf(x):
    return np.vectorize(math.erf)(x)


CLOSED_FORMS = {
    "ReLU": (nn.ReLU(), lambda x: np.maximum(x, 0)),
    "LeakyReLU": (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    "ELU": (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(np.minimum(x, 0)))),
    "GELU": (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "GELU_tanh": (nn.GELU("tanh"), lambda x: 0.5 * x * (
        1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "SiLU": (nn.SiLU(), lambda x: x * np.exp(-np.logaddexp(0, -x))),
    "Sigmoid": (nn.Sigmoid(), lambda x: np.exp(-np.logaddexp(0, -x))),
    "Tanh": (nn.Tanh(), np.tanh),
    "Softplus": (nn.Softplus(), lambda x: np.where(x > 20, x, np.logaddexp(0, x))),
    "Softplus_beta": (nn.Softplus(beta=2, threshold=5),
                      lambda x: np.where(2 * x > 5, x, np.logaddexp(0, 2 * x) / 2)),
    "Hardtanh": (nn.Hardtanh(-0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "ReLU6": (nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    "LogSigmoid": (nn.LogSigmoid(), lambda x: -np.logaddexp(0, -x)),
    "Softsign": (nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    "Mish": (nn.Mish(), lambda x: x * np.tanh(np.logaddexp(0, x))),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_forward_matches_closed_form_and_is_finite(name):
    module, ref = CLOSED_FORMS[name]
    x = ag.tensor(X, dtype=ag.float64, requires_grad=True)
    y = module(x)
    np.testing.assert_allclose(y.numpy(), ref(X), rtol=1e-7, atol=1e-10)
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy())), name
    # float32 stays float32
    assert module(ag.tensor(X.astype(np.float32))).dtype == np.float32


def test_gelu_derivative_closed_form():
    x = ag.tensor(np.linspace(-4, 4, 9), dtype=ag.float64, requires_grad=True)
    F.gelu(x).sum().backward()
    xs = x.numpy()
    expected = 0.5 * (1 + _erf(xs / np.sqrt(2))) + xs * np.exp(-xs**2 / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")


def test_activation_gradients_pass_gradcheck():
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.uniform(-3, 3, (3, 4)) + 0.05, requires_grad=True)
    for fn in (F.gelu, F.silu, F.softplus, F.elu, F.mish, F.logsigmoid,
               lambda t: F.gelu(t, approximate="tanh")):
        assert ag.gradcheck(fn, (x,))
        assert ag.gradgradcheck(fn, (x,))


def test_softmax_modules():
    x = ag.randn(2, 3, 4)
    np.testing.assert_allclose(nn.Softmax(dim=-1)(x).numpy().sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).exp().numpy().sum(1), 1, rtol=1e-6)
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


def test_integer_input_becomes_float():
    assert F.gelu(ag.arange(3)).dtype == ag.float32


def test_dropout_train_scales_and_eval_is_identity():
    ag.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = ag.ones(200, 100, requires_grad=True)
    y = drop(x)
    vals = np.unique(y.numpy())
    np.testing.assert_allclose(sorted(vals), [0.0, 1 / 0.75], rtol=1e-6)
    frac = (y.numpy() == 0).mean()
    assert abs(frac - 0.25) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # same mask in backward
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_is_seeded():
    x = ag.ones(10, 10)
    ag.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    ag.manual_seed(5)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout2d_drops_whole_channels():
    ag.manual_seed(1)
    y = F.dropout2d(ag.ones(4, 8, 3, 3), 0.5).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(y)) <= {0.0, 2.0}


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    ag.manual_seed(2)
    x = ag.randn(400, 250, dtype=ag.float64)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    assert nn.AlphaDropout(0.2).eval()(x) is x
