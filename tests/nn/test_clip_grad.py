"""clip_grad_norm_ and clip_grad_value_: norms, scaling, inf norm, nonfinite errors."""

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import clip_grad_norm_, clip_grad_value_


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(ag.zeros(*np.shape(g), dtype=ag.float64))
        p.grad = ag.tensor(np.asarray(g, dtype=np.float64))
        params.append(p)
    return params


def test_clip_grad_norm_scales_to_max_norm():
    grads = [[3.0, 0.0], [[0.0], [4.0]]]
    params = _params_with_grads(grads)
    total = clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    new = np.concatenate([p.grad.numpy().ravel() for p in params])
    assert np.linalg.norm(new) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(new, np.array([3.0, 0.0, 0.0, 4.0]) / (5 + 1e-6))


def test_clip_grad_norm_leaves_small_gradients():
    params = _params_with_grads([[0.3, 0.4]])
    total = clip_grad_norm_(params, 2.0)
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])


def test_inf_and_p_norms():
    params = _params_with_grads([[1.0, -7.0], [2.0]])
    assert clip_grad_norm_(params, 100.0, norm_type=math.inf).item() == 7.0
    params = _params_with_grads([[1.0, -7.0], [2.0]])
    total = clip_grad_norm_(params, 1.0, norm_type="inf")
    assert total.item() == 7.0
    np.testing.assert_allclose(params[0].grad.numpy(), np.array([1.0, -7.0]) / (7 + 1e-6))
    params = _params_with_grads([[1.0, -2.0], [3.0]])
    assert clip_grad_norm_(params, 100.0, norm_type=1).item() == pytest.approx(6.0)
    params = _params_with_grads([[1.0, -2.0], [3.0]])
    assert clip_grad_norm_(params, 100.0, norm_type=3).item() == pytest.approx(36 ** (1 / 3))


def test_nonfinite_norm():
    params = _params_with_grads([[1.0, np.nan]])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_(_params_with_grads([[1.0, np.nan]]), 1.0).item())


def test_skips_params_without_grad_and_accepts_one_tensor():
    a, b = _params_with_grads([[6.0, 8.0], [1.0]])
    b.grad = None
    assert clip_grad_norm_([a, b], 5.0).item() == pytest.approx(10.0)
    assert b.grad is None
    assert clip_grad_norm_(a, 100.0).item() == pytest.approx(5.0, rel=1e-5)


def test_shared_gradient_tensor_is_not_mutated():
    # x + y hands the same gradient Tensor to both leaves; clipping one must not touch
    # the other.
    x = nn.Parameter(ag.ones(3))
    y = nn.Parameter(ag.ones(3))
    (x + y).sum().backward()
    before = y.grad.numpy().copy()
    clip_grad_norm_([x], 0.1)
    np.testing.assert_array_equal(y.grad.numpy(), before)


def test_clip_grad_value():
    params = _params_with_grads([[-3.0, 0.5, 2.0]])
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, 0.5, 1.0])
    assert params[0].grad.dtype == np.float64
    with pytest.raises(ValueError):
        clip_grad_value_(params, -1.0)


def test_clip_in_a_training_step():
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    loss = (model(ag.randn(16, 4) * 100) ** 2).mean()
    loss.backward()
    clip_grad_norm_(model.parameters(), 0.5)
    total = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                          for p in model.parameters()))
    assert total == pytest.approx(0.5, rel=1e-4)
