"""BatchNorm, LayerNorm and GroupNorm against NumPy closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def test_batchnorm2d_running_stats_follow_the_closed_form():
    rng = np.random.default_rng(0)
    m = nn.BatchNorm2d(3, momentum=0.25).double()
    batches = [rng.standard_normal((4, 3, 2, 5)) * (i + 1) + i for i in range(4)]
    mean, var = np.zeros(3), np.ones(3)
    for b in batches:
        out = m(ag.tensor(b))
        mu, v = b.mean(axis=(0, 2, 3)), b.var(axis=(0, 2, 3))
        n = b.size // 3
        mean = 0.75 * mean + 0.25 * mu
        var = 0.75 * var + 0.25 * v * n / (n - 1)  # unbiased for the running estimate
        # training output uses the batch statistics (biased variance)
        ref = (b - mu[None, :, None, None]) / np.sqrt(v[None, :, None, None] + 1e-5)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), var, rtol=1e-12)
    assert m.num_batches_tracked.item() == 4
    # eval uses the running statistics and leaves them alone
    m.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    out = m(ag.tensor(x)).numpy()
    ref = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    np.testing.assert_allclose(m.running_mean.numpy(), mean, rtol=1e-12)
    assert m.num_batches_tracked.item() == 4


def test_batchnorm_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(1)
    m = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((5, 2)) + i for i in range(3)]
    for b in batches:
        m(ag.tensor(b))
    np.testing.assert_allclose(m.running_mean.numpy(),
                               np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12)


def test_batchnorm1d_3d_input_affine_and_gradients():
    rng = np.random.default_rng(2)
    m = nn.BatchNorm1d(3).double()
    with ag.no_grad():
        m.weight.array[...] = [1.0, 2.0, -1.0]
        m.bias.array[...] = [0.0, 0.5, 1.0]
    x = rng.standard_normal((4, 3, 5))
    out = m(ag.tensor(x)).numpy()
    mu, v = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    ref = (x - mu) / np.sqrt(v + 1e-5) * np.array([1, 2, -1])[None, :, None] + \
        np.array([0, 0.5, 1])[None, :, None]
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    # parameters get gradients; sum of a normalised channel has zero gradient wrt x
    xt = ag.tensor(x, requires_grad=True)
    m(xt).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), 0.0, atol=1e-10)
    np.testing.assert_allclose(m.bias.grad.numpy(), [20.0, 20.0, 20.0])


def test_batch_norm_gradcheck_train_and_eval():
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = ag.tensor(rng.standard_normal(2), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)
    rm, rv = ag.tensor(rng.standard_normal(2)), ag.tensor(rng.uniform(0.5, 2, 2))
    train = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    evalf = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False)  # noqa: E731
    for f in (train, evalf):
        assert ag.gradcheck(f, (x, w, b))
        assert ag.gradgradcheck(f, (x, w, b))


def test_batchnorm_without_tracking_and_without_affine():
    m = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == [] and m.weight is None and m.running_mean is None
    x = ag.randn(3, 2, 4, 4)
    m.eval()  # no running stats: batch statistics even in eval, as in PyTorch
    out = m(x).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)


def test_batchnorm_buffers_and_state_dict():
    m = nn.BatchNorm2d(4)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert m.num_batches_tracked.dtype == ag.int64
    m(ag.randn(2, 4, 3, 3))
    m2 = nn.BatchNorm2d(4)
    m2.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(m2.running_var.numpy(), m.running_var.numpy())
    assert m2.num_batches_tracked.item() == 1
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0 and (m.running_var.numpy() == 1).all()


def test_layer_norm_matches_closed_form_and_gradchecks():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    m = nn.LayerNorm((3, 4)).double()
    with ag.no_grad():
        m.weight.array[...] = rng.standard_normal((3, 4))
        m.bias.array[...] = rng.standard_normal((3, 4))
    mu, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    ref = (x - mu) / np.sqrt(v + 1e-5) * m.weight.numpy() + m.bias.numpy()
    np.testing.assert_allclose(m(ag.tensor(x)).numpy(), ref, rtol=1e-10)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.LayerNorm(4, bias=False).bias is None
    xt = ag.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.layer_norm(t, 3), (xt,))


def test_group_norm_closed_form():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 3))
    out = nn.GroupNorm(2, 4).double()(ag.tensor(x)).numpy()
    g = x.reshape(2, 2, 6)
    ref = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5))
    np.testing.assert_allclose(out, ref.reshape(x.shape), rtol=1e-10)


@pytest.mark.parametrize("call, words", [
    (lambda: nn.BatchNorm2d(3)(ag.randn(2, 3, 4)), "(N, C, H, W)"),
    (lambda: nn.BatchNorm1d(3)(ag.randn(2, 4)), "3 channels"),
    (lambda: F.batch_norm(ag.randn(1, 3), None, None, training=True), "more than 1 value"),
    (lambda: F.batch_norm(ag.randn(2, 3), ag.zeros(2), ag.ones(3)), "running_mean"),
    (lambda: F.layer_norm(ag.randn(2, 3), (4,)), "normalized_shape"),
    (lambda: F.batch_norm(ag.randn(2, 3), None, None, training=False), "required"),
])
def test_normalization_errors(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value)
