"""nn.init: bounds and moments of each initialiser, seeding, in-place on .data."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unsupported"):
        init.calculate_gain("swishy")


def test_in_place_on_same_object_without_graph():
    p = nn.Parameter(ag.empty(30, 20))
    data = p.array
    out = init.uniform_(p, -0.1, 0.2)
    assert out is p and p.array is data and p.grad_fn is None and p.requires_grad
    assert p.numpy().min() >= -0.1 and p.numpy().max() < 0.2
    init.zeros_(p)
    assert np.all(p.numpy() == 0)
    init.ones_(p)
    assert np.all(p.numpy() == 1)
    init.constant_(p, 0.3)
    np.testing.assert_allclose(p.numpy(), 0.3, rtol=1e-6)


def test_normal_moments_and_dtype():
    ag.manual_seed(0)
    t = ag.empty(200, 200, dtype=ag.float64)
    init.normal_(t, 1.5, 0.5)
    assert t.dtype == np.float64
    assert abs(t.numpy().mean() - 1.5) < 0.01 and abs(t.numpy().std() - 0.5) < 0.01


def test_xavier_bounds_and_std():
    ag.manual_seed(1)
    t = ag.empty(300, 200)
    init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(t.numpy()).max() <= bound and np.abs(t.numpy()).max() > 0.98 * bound
    init.xavier_normal_(t)
    assert abs(t.numpy().std() - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)


def test_kaiming_uses_fan_and_receptive_field():
    ag.manual_seed(2)
    t = ag.empty(64, 16, 3, 3)  # fan_in = 144, fan_out = 576
    init.kaiming_uniform_(t, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 144)
    assert np.abs(t.numpy()).max() <= bound and np.abs(t.numpy()).max() > 0.98 * bound
    init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(t.numpy().std() - math.sqrt(2 / 576)) < 0.03 * math.sqrt(2 / 576)
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(t, mode="fan_middle")
    with pytest.raises(ValueError, match="fewer than 2"):
        init.xavier_uniform_(ag.empty(5))


def test_trunc_normal_stays_in_range():
    ag.manual_seed(3)
    t = ag.empty(100, 100)
    init.trunc_normal_(t, mean=0.0, std=1.0, a=-0.5, b=1.0)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 1.0
    assert t.numpy().std() > 0.3


def test_orthogonal():
    ag.manual_seed(4)
    for shape in ((6, 4), (4, 6)):
        t = ag.empty(*shape, dtype=ag.float64)
        init.orthogonal_(t, gain=2.0)
        q = t.numpy() / 2.0
        small = q.T @ q if shape[0] >= shape[1] else q @ q.T
        np.testing.assert_allclose(small, np.eye(min(shape)), atol=1e-10)


def test_seeded_reproducibility():
    ag.manual_seed(7)
    a = init.kaiming_uniform_(ag.empty(5, 5)).numpy().copy()
    ag.manual_seed(7)
    b = init.kaiming_uniform_(ag.empty(5, 5)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.kaiming_uniform_(ag.empty(5, 5)).numpy())
