"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS: trajectories equal to
PyTorch's to 1e-10 in float64 (skipped without torch), plus checks that need no torch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import optim

RNG = np.random.default_rng(7)
W0 = RNG.standard_normal((4, 3))
B0 = RNG.standard_normal(3)
X = RNG.standard_normal((6, 4))
Y = RNG.standard_normal((6, 3))

CASES = [
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.05)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.5), weight_decay=0.1)),  # rho_t > 5 early
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1), maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, foreach=True)),
]


def _loss(w, b, x, y):
    return (((x @ w + b) - y) ** 2).mean() + (w ** 4).sum() * 0.01


def _trajectory(lib, name, kwargs, steps=12):
    if lib == "torch":
        import torch as lib_mod

        make = lambda a: lib_mod.tensor(a, dtype=lib_mod.float64, requires_grad=True)  # noqa: E731
        const = lambda a: lib_mod.tensor(a, dtype=lib_mod.float64)  # noqa: E731
        opt_cls = getattr(lib_mod.optim, name)
    else:
        make = lambda a: ag.tensor(a, dtype=ag.float64, requires_grad=True)  # noqa: E731
        const = lambda a: ag.tensor(a, dtype=ag.float64)  # noqa: E731
        opt_cls = getattr(optim, name)
    w, b = make(W0), make(B0)
    x, y = const(X), const(Y)
    opt = opt_cls([w, b], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(w, b, x, y).backward()
        opt.step()
        out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(out)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_trajectory_matches_torch(name, kwargs):
    pytest.importorskip("torch")
    ours, theirs = _trajectory("ag", name, kwargs), _trajectory("torch", name, kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=7, history_size=3),
    dict(lr=0.8, max_iter=9, history_size=2, line_search_fn="strong_wolfe"),
])
def test_lbfgs_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib in ("ag", "torch"):
        if lib == "torch":
            w = torch.tensor(W0, requires_grad=True)
            b = torch.tensor(B0, requires_grad=True)
            x, y = torch.tensor(X), torch.tensor(Y)
            opt = torch.optim.LBFGS([w, b], **kwargs)
        else:
            w = ag.tensor(W0, requires_grad=True)
            b = ag.tensor(B0, requires_grad=True)
            x, y = ag.tensor(X), ag.tensor(Y)
            opt = optim.LBFGS([w, b], **kwargs)

        def closure(w=w, b=b, x=x, y=y, opt=opt):
            opt.zero_grad()
            loss = _loss(w, b, x, y)
            loss.backward()
            return loss

        traj, losses = [], []
        for _ in range(3):
            losses.append(float(opt.step(closure)))
            traj.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
        state = opt.state[opt.param_groups[0]["params"][0]]
        results.append((np.array(traj), losses, state["func_evals"], state["n_iter"]))
    (t1, l1, fe1, it1), (t2, l2, fe2, it2) = results
    np.testing.assert_allclose(t1, t2, rtol=0, atol=1e-10)
    np.testing.assert_allclose(l1, l2, rtol=1e-12)
    assert (fe1, it1) == (fe2, it2)


def test_lbfgs_minimises_a_quadratic_without_torch():
    a = np.diag([1.0, 4.0, 9.0])
    target = np.array([1.0, -2.0, 0.5])
    x = ag.tensor(np.zeros(3), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", tolerance_change=1e-14,
                      tolerance_grad=1e-12)
    am, tm = ag.tensor(a), ag.tensor(target)

    def closure():
        opt.zero_grad()
        r = x - tm
        loss = (r @ (am @ r)) * 0.5
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.numpy(), target, atol=1e-6)


def test_lbfgs_needs_a_closure_and_one_group():
    x = ag.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([x]).step(None)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([x], line_search_fn="armijo")
    y = ag.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [y], "lr": 0.1}])


def test_adamax_formula_without_torch():
    """Two Adamax steps against the documented formula in NumPy."""
    g1, g2 = RNG.standard_normal(3), RNG.standard_normal(3)
    p = ag.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adamax([p], lr=0.1)
    m, u, ref = np.zeros(3), np.zeros(3), np.ones(3)
    for t, g in enumerate((g1, g2), 1):
        p.grad = ag.tensor(g)
        opt.step()
        m = 0.9 * m + 0.1 * g
        u = np.maximum(0.999 * u, np.abs(g) + 1e-8)
        ref = ref - 0.1 / (1 - 0.9 ** t) * m / u
    np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)


def test_rprop_never_moves_after_a_sign_change():
    p = ag.tensor(np.zeros(2), requires_grad=True)
    opt = optim.Rprop([p], lr=0.1)
    p.grad = ag.tensor([1.0, 1.0])
    opt.step()
    before = p.numpy().copy()
    p.grad = ag.tensor([-1.0, 1.0])
    opt.step()
    assert p.numpy()[0] == before[0]  # sign flipped: no move, step size shrunk
    np.testing.assert_allclose(p.numpy()[1], before[1] - 0.12)
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.05, 0.12])


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
def test_state_dict_round_trip(name):
    a = _trajectory("ag", name, {}, steps=3)
    w = ag.tensor(W0, requires_grad=True)
    b = ag.tensor(B0, requires_grad=True)
    x, y = ag.tensor(X), ag.tensor(Y)
    opt = getattr(optim, name)([w, b])
    for i in range(3):
        if i == 2:  # continue in a fresh optimizer from the saved state
            saved = opt.state_dict()
            opt = getattr(optim, name)([w, b])
            opt.load_state_dict(saved)
        opt.zero_grad()
        _loss(w, b, x, y).backward()
        opt.step()
    np.testing.assert_allclose(np.concatenate([w.numpy().ravel(), b.numpy().ravel()]), a[-1],
                               rtol=1e-12)


def test_lbfgs_step_bumps_parameter_versions():
    """A graph that saved a parameter before LBFGS changed it refuses backward."""
    w = ag.tensor(np.ones(3), requires_grad=True)
    stale = (w * w).sum()
    opt = optim.LBFGS([w], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = ((w - 2.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with pytest.raises(ag.BackwardError, match="LBFGS.step"):
        stale.backward()
