"""ag.grad and the functional transforms against closed forms; gradcheck itself."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.functional import hessian, hvp, jacobian, jvp, vjp


def f64(values, grad=False):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def test_grad_does_not_touch_dot_grad_and_handles_unused():
    x, y = f64([1.0, 2.0], True), f64([3.0], True)
    out = (x * x).sum()
    (gx,) = ag.grad(out, x, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match="input 1.*not used.*allow_unused"):
        ag.grad(out, [x, y], retain_graph=True)
    gx, gy = ag.grad(out, [x, y], allow_unused=True)
    assert gy is None


def test_grad_with_respect_to_intermediate():
    x = f64([1.0, 2.0], True)
    h = x * 3
    out = (h * h).sum()
    (gh,) = ag.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_vjp_and_jvp_match_the_jacobian():
    a = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    A = f64(a)

    def f(x):
        return (A @ x).tanh()

    x0 = np.array([0.1, -0.2, 0.3])
    J = (1 - np.tanh(a @ x0) ** 2)[:, None] * a
    v, u = np.array([1.0, -2.0]), np.array([0.5, 1.0, -1.0])
    out, vj = vjp(f, f64(x0), f64(v))
    np.testing.assert_allclose(out.numpy(), np.tanh(a @ x0))
    np.testing.assert_allclose(vj.numpy(), v @ J)
    _, jv = jvp(f, f64(x0), f64(u))
    np.testing.assert_allclose(jv.numpy(), J @ u)
    np.testing.assert_allclose(jacobian(f, f64(x0)).numpy(), J)


def test_hvp_and_hessian_of_a_quadratic_plus_cubic():
    def f(x):
        return (x**3).sum() + (x[0] * x[1])

    x0 = np.array([1.0, 2.0])
    H = np.diag(6 * x0) + np.array([[0, 1.0], [1.0, 0]])
    np.testing.assert_allclose(hessian(f, f64(x0)).numpy(), H)
    v = np.array([1.0, -1.0])
    _, hv = hvp(f, f64(x0), f64(v))
    np.testing.assert_allclose(hv.numpy(), H @ v)


def test_jacobian_of_several_inputs():
    def f(a, b):
        return a * b

    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    ja, jb = jacobian(f, (a, b))
    np.testing.assert_allclose(ja.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0]))


def test_gradcheck_names_input_and_element_on_a_wrong_gradient():
    class Wrong(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2x

    x = f64([1.0, 2.0], True)
    with pytest.raises(ag.GradcheckError, match=r"input 0.*\(0, 0\).*analytic 1.*numerical 2"):
        ag.gradcheck(Wrong.apply, (x,))
    assert ag.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_gradcheck_fast_mode_catches_a_wrong_gradient():
    class Wrong(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2.01  # 0.5% off: above rtol 1e-3

    x = ag.tensor(np.random.default_rng(0).standard_normal(3000), requires_grad=True)
    assert ag.gradcheck(lambda t: t * 2, (x,), fast_mode=True)
    with pytest.raises(ag.GradcheckError, match="fast mode"):
        ag.gradcheck(Wrong.apply, (x,), fast_mode=True)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class FirstOnly(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ag.tensor(3 * x.numpy() ** 2)  # right value, but a constant

    x = f64([0.5, 1.5], True)
    assert ag.gradcheck(FirstOnly.apply, (x,))
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(FirstOnly.apply, (x,))


def test_grad_and_backward_share_the_implicit_seed_rules():
    """ag.grad, like backward() and PyTorch, makes the ones seed only for a one-element
    real output: a complex scalar needs grad_outputs (which real direction is unclear)."""
    z = ag.tensor([1.0 + 2.0j], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: .*only for real scalar outputs, got "
                                           r"complex64; .*grad_outputs="):
        ag.grad(z.sum() * 2, z)
    with pytest.raises(RuntimeError, match=r"backward\(\): .*only for one-element outputs, "
                                           r"got shape \(1, 2\); pass gradient="):
        ag.ones(1, 2, requires_grad=True).backward()
    x = ag.tensor([3.0], requires_grad=True)
    assert ag.grad((x * x).sum(), x)[0].tolist() == [6.0]
