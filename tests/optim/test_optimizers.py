"""Optimizers: PyTorch's update rules (hand-computed formulas, and torch when installed),
the fused CPU kernels against the whole-array fallback, groups, state and state_dict."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from backends import get_device, numba_util
from optim import adam as adam_mod
from optim import sgd as sgd_mod

RNG = np.random.default_rng(1234)
W0 = RNG.standard_normal((5, 4))
GRADS = [RNG.standard_normal((5, 4)) for _ in range(6)]


def run(cls, kwargs, dtype=np.float64, steps=6):
    """Apply ``steps`` updates with the fixed gradients GRADS; return the trajectory."""
    w = ag.tensor(W0.astype(dtype), requires_grad=True)
    opt = cls([w], **kwargs)
    out = []
    for g in GRADS[:steps]:
        w.grad = ag.tensor(g.astype(dtype))
        opt.step()
        out.append(w.numpy().copy())
    return out


# --- the documented formulas, in NumPy --------------------------------------------------


def ref_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    p, buf, out = W0.copy(), None, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    p, m, v, vmax, out = W0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vv = vmax if amsgrad else v
        p = p - lr / (1 - b1 ** t) * m / (np.sqrt(vv) / math.sqrt(1 - b2 ** t) + eps)
        out.append(p)
    return out


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    p, v, a, b, out = W0.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g
            d = np.sqrt(v - a * a) + eps
        else:
            d = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d
        out.append(p)
    return out


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10, maximize=False):
    p, s, out = W0.copy(), initial_accumulator_value, []
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        out.append(p)
    return out


CASES = [
    (optim.SGD, dict(lr=0.1), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.9), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05), ref_sgd),
    (optim.SGD, dict(lr=0.1, momentum=0.5, maximize=True), ref_sgd),
    (optim.Adam, dict(lr=0.05), ref_adam),
    (optim.Adam, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True), ref_adam),
    (optim.Adam, dict(lr=0.05, maximize=True, eps=1e-3), ref_adam),
    (optim.RMSprop, dict(lr=0.01), ref_rmsprop),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.9,
                         weight_decay=0.1), ref_rmsprop),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, maximize=True), ref_rmsprop),
    (optim.Adagrad, dict(lr=0.1), ref_adagrad),
    (optim.Adagrad, dict(lr=0.1, maximize=True, eps=1e-3), ref_adagrad),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                         initial_accumulator_value=0.5), ref_adagrad),
]


@pytest.mark.parametrize("cls,kwargs,ref", CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_matches_documented_formula(cls, kwargs, ref):
    got = run(cls, kwargs)
    want = ref(**kwargs)
    assert not np.allclose(got[-1], W0)
    for step, (a, b) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("kwargs", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.3),
                                    dict(lr=0.05, weight_decay=0.3, amsgrad=True)])
def test_adamw_is_decoupled_adam(kwargs):
    kwargs = dict(kwargs)
    got = run(optim.AdamW, kwargs)
    kwargs.setdefault("weight_decay", 1e-2)  # AdamW's default
    want = ref_adam(decoupled=True, **kwargs)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert optim.AdamW([ag.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 1e-2


@pytest.mark.parametrize("cls,kwargs,ref", CASES[:8],
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CASES[:8])])
def test_float32_trajectory_close_to_float64(cls, kwargs, ref):
    got = run(cls, kwargs, dtype=np.float32)
    assert got[-1].dtype == np.float32
    np.testing.assert_allclose(got[-1], ref(**kwargs)[-1], rtol=1e-4, atol=1e-5)


# --- against PyTorch ---------------------------------------------------------------------


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch_on_least_squares(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x, y = RNG.standard_normal((8, 5)), RNG.standard_normal((8, 4))
    w = ag.tensor(W0.astype(dtype), requires_grad=True)
    tw = torch.tensor(W0, dtype=getattr(torch, dtype), requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)
    topt = getattr(torch.optim, name)([tw], **kwargs)
    xs, ys = ag.tensor(x.astype(dtype)), ag.tensor(y.astype(dtype))
    txs = torch.tensor(x, dtype=tw.dtype)
    tys = torch.tensor(y, dtype=tw.dtype)
    for _ in range(25):
        opt.zero_grad()
        ((xs @ w - ys) ** 2).sum().backward()
        opt.step()
        topt.zero_grad()
        ((txs @ tw - tys) ** 2).sum().backward()
        topt.step()
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=tol, atol=tol)
    # and the state has PyTorch's names
    tstate = topt.state_dict()["state"][0]
    assert set(opt.state_dict()["state"][0]) == set(tstate)


# --- the fused CPU kernels -------------------------------------------------------------


@pytest.mark.parametrize("n,parallel", [(7, False), (3001, False), (3001, True)])
@pytest.mark.parametrize("wd,decoupled,maximize,amsgrad", [
    (0.0, False, False, False), (0.1, False, True, True), (0.1, True, False, True),
    (0.1, True, True, False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_adam_is_bitwise_the_whole_array_update(n, parallel, wd, decoupled, maximize,
                                                      amsgrad, dtype, monkeypatch):
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_SIZE", 1000 if parallel else 1 << 40)
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_THREADS", 1)
    cpu = get_device("cpu").backend
    adam_mod.adam_update(cpu, *[np.zeros(2)] * 4, 0.1, 0.9, 0.99, 1e-8, 0.0, 1)  # compiles
    calls = []
    real = adam_mod._ADAM_LOOP.forms
    monkeypatch.setattr(adam_mod._ADAM_LOOP, "forms",
                        (lambda *a: calls.append(1) or real[0](*a), real[1]))
    rng = np.random.default_rng(n)
    p = rng.standard_normal(n).astype(dtype)
    p0 = p.copy()
    arrays = [p, np.zeros(n, dtype), np.zeros(n, dtype), np.zeros(n, dtype)]
    copies = [a.copy() for a in arrays]
    for step in range(1, 4):
        g = rng.standard_normal(n).astype(dtype)
        a, b = arrays, copies
        adam_mod.adam_update(cpu, a[0], g, a[1], a[2], 1e-2, 0.9, 0.99, 1e-8, wd, step,
                             decoupled, maximize, a[3] if amsgrad else None)
        adam_mod.adam_reference(np, b[0], g, b[1], b[2], 1e-2, 0.9, 0.99, 1e-8, wd, step,
                                decoupled, maximize, b[3] if amsgrad else None)
    for a, b in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(arrays[0] != p0)  # every element moved
    assert bool(calls) == parallel


@pytest.mark.parametrize("n,parallel", [(9, False), (2001, True)])
@pytest.mark.parametrize("nesterov,dampening,wd,maximize", [
    (False, 0.0, 0.0, False), (True, 0.0, 0.01, False), (False, 0.2, 0.01, True)])
def test_fused_sgd_momentum_is_bitwise_the_whole_array_update(n, parallel, nesterov, dampening,
                                                              wd, maximize, monkeypatch):
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_SIZE", 1000 if parallel else 1 << 40)
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_THREADS", 1)
    cpu = get_device("cpu").backend
    sgd_mod.sgd_momentum_update(cpu, *[np.zeros(2)] * 3, 0.1, 0.9, 0.0, 0.0)  # compiles
    calls = []
    real = sgd_mod._SGD_LOOP.forms
    monkeypatch.setattr(sgd_mod._SGD_LOOP, "forms",
                        (lambda *a: calls.append(1) or real[0](*a), real[1]))
    rng = np.random.default_rng(n)
    p, buf = rng.standard_normal(n).astype(np.float32), np.zeros(n, np.float32)
    p2, buf2 = p.copy(), buf.copy()
    for step in range(3):
        g = rng.standard_normal(n).astype(np.float32)
        sgd_mod.sgd_momentum_update(cpu, p, g, buf, 0.1, 0.9, dampening, wd, nesterov,
                                    maximize, step == 0)
        sgd_mod.sgd_momentum_reference(np, p2, g, buf2, 0.1, 0.9, dampening, wd, nesterov,
                                       maximize, step == 0)
    np.testing.assert_array_equal(p, p2)
    np.testing.assert_array_equal(buf, buf2)
    assert bool(calls) == parallel


@pytest.mark.parametrize("n,parallel", [(9, False), (2001, True)])
@pytest.mark.parametrize("wd,maximize", [(0.0, False), (0.01, False), (0.01, True)])
def test_fused_plain_sgd_is_bitwise_the_whole_array_update(n, parallel, wd, maximize,
                                                           monkeypatch):
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_SIZE", 1000 if parallel else 1 << 40)
    monkeypatch.setattr(numba_util, "PARALLEL_MIN_THREADS", 1)
    cpu = get_device("cpu").backend
    sgd_mod.sgd_update(cpu, np.zeros(2), np.zeros(2), 0.1)  # compiles
    calls = []
    real = sgd_mod._SGD_PLAIN_LOOP.forms
    monkeypatch.setattr(sgd_mod._SGD_PLAIN_LOOP, "forms",
                        (lambda *a: calls.append(1) or real[0](*a), real[1]))
    rng = np.random.default_rng(n)
    p = rng.standard_normal(n).astype(np.float32)
    p2 = p.copy()
    for _ in range(3):
        g = rng.standard_normal(n).astype(np.float32)
        sgd_mod.sgd_update(cpu, p, g, 0.1, wd, maximize)
        sgd_mod.sgd_reference(np, p2, g, 0.1, wd, maximize)
    np.testing.assert_array_equal(p, p2)
    assert p.dtype == np.float32 and bool(calls) == parallel


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.01,
                                                           maximize=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True)],
    ids=["sgd", "sgd_wd_maximize", "sgd_nesterov", "adam", "adamw_amsgrad"])
def test_optimizer_step_allocates_no_array_per_parameter(make):
    """A step on a 4 MB parameter changes it in place without a temporary of its size:
    the traced peak during step() stays far below one parameter (a ``p -= lr * g``
    written with a temporary allocates 4 MB and fails here)."""
    import tracemalloc

    p = nn.Parameter(ag.randn(1000, 1000))
    p.grad = ag.randn(1000, 1000)
    opt = make([p])
    opt.step()  # the state is created (and numba compiled) on the first step
    before = p.array
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        opt.step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert p.array is before
    assert peak < 100_000, f"step() allocated {peak} bytes at its peak"


def test_transposed_gradient_is_still_fused():
    p, m, v = np.ones((3, 4), np.float32), np.zeros((3, 4), np.float32), np.zeros((3, 4),
                                                                                   np.float32)
    g = np.arange(12, dtype=np.float32).reshape(4, 3).T  # F-contiguous
    cpu = get_device("cpu").backend
    assert adam_mod._adam_cpu(cpu, p, g, m, v, 0.1, 0.9, 0.99, 1e-8, 0.0, 1, False, False,
                              None)
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-6)


def test_fused_kernels_decline_odd_layouts_and_the_fallback_handles_them():
    p = np.ones((4, 6), np.float32)[:, ::2]  # not contiguous
    z = np.zeros_like(p)
    cpu = get_device("cpu").backend
    assert not adam_mod._adam_cpu(cpu, p, z + 1, z.copy(), z.copy(), 0.1, 0.9, 0.99, 1e-8,
                                  0.0, 1, False, False, None)
    assert not adam_mod._adam_cpu(cpu, p.astype(np.float16), z, z, z, 0.1, 0.9, 0.99, 1e-8,
                                  0.0, 1, False, False, None)
    # through the optimizer: a strided parameter still gets the exact Adam step
    w = ag.from_numpy(np.ones((4, 6), np.float32)[:, ::2])
    w.requires_grad_()
    w.grad = ag.ones(4, 3)
    optim.Adam([w], lr=0.1).step()
    np.testing.assert_allclose(w.numpy(), 0.9, rtol=1e-6)


# --- groups, errors, zero_grad, closure ------------------------------------------------


def test_param_groups_fill_defaults_and_keep_per_group_values():
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
    a.grad, b.grad = ag.ones(2), ag.ones(3)
    opt.step()
    assert a.is_leaf and a.requires_grad and a.grad_fn is None  # updated without a graph
    np.testing.assert_allclose(a.numpy(), -0.1)
    np.testing.assert_allclose(b.numpy(), -0.5)
    c = ag.zeros(1, requires_grad=True)
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0


def test_bad_parameters_raise_clear_errors():
    w = ag.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.Adam([w, w])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="set"):
        optim.Adam([{"params": {w}}])
    with pytest.raises(TypeError, match="iterable"):
        optim.Adam(w)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.Adam([np.zeros(3)])
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([w], lr=-1)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam([w], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        optim.RMSprop([w], momentum=-0.1)


def test_zero_grad_to_none_or_zeros_and_params_without_grad_are_skipped():
    a, b = ag.ones(2, requires_grad=True), ag.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and np.all(a.grad.numpy() == 0)
    opt.zero_grad()
    assert a.grad is None
    a.grad = ag.ones(2)
    opt.step()
    assert b not in opt.state and a in opt.state  # lazy state, only for updated params
    np.testing.assert_array_equal(b.numpy(), 1.0)
    assert not np.allclose(a.numpy(), 1.0)


def test_step_with_closure_returns_the_loss_and_runs_with_grad():
    w = ag.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert float(loss) == pytest.approx(5.0)
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6], rtol=1e-6)


def test_state_is_lazy_except_adagrad():
    w = ag.zeros(3, requires_grad=True)
    assert optim.Adam([w]).state_dict()["state"] == {}
    sd = optim.Adagrad([w], initial_accumulator_value=0.25).state_dict()
    np.testing.assert_array_equal(sd["state"][0]["sum"].numpy(), 0.25)


# --- state_dict -------------------------------------------------------------------------


def _train(opt, params, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for p in params:
            p.grad = ag.tensor(rng.standard_normal(p.shape).astype(np.float32))
        opt.step()


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.2}], lr=0.1,
                         momentum=0.9),
    lambda ps: optim.RMSprop(ps, centered=True, momentum=0.5),
    lambda ps: optim.Adagrad(ps, lr_decay=0.1),
    lambda ps: optim.AdamW(ps),
])
def test_state_dict_resume_gives_the_same_trajectory(make, tmp_path):
    def params():
        return [ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True),
                ag.tensor(np.ones(4, np.float32), requires_grad=True)]

    straight = params()
    opt = make(straight)
    _train(opt, straight, 3, seed=1)
    _train(opt, straight, 3, seed=2)

    first = params()
    opt1 = make(first)
    _train(opt1, first, 3, seed=1)
    ag.save({"params": first, "opt": opt1.state_dict()}, tmp_path / "ck.safetensors")
    ck = ag.load(tmp_path / "ck.safetensors")
    resumed = params()
    for p, saved in zip(resumed, ck["params"], strict=True):
        p.array[...] = saved.array
    opt2 = make(resumed)
    opt2.load_state_dict(ck["opt"])
    _train(opt2, resumed, 3, seed=2)
    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the loaded state is a private copy: stepping opt2 did not touch the checkpoint
    again = ag.load(tmp_path / "ck.safetensors")["opt"]
    _assert_state_equal(ck["opt"], again)


def _assert_state_equal(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert set(a["state"]) == set(b["state"])
    for k in a["state"]:
        for name, v in a["state"][k].items():
            w = b["state"][k][name]
            if isinstance(v, ag.Tensor):
                np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=f"{k}.{name}")
            else:
                assert v == w, (k, name)


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.RMSprop(ps, centered=True, momentum=0.5),
    lambda ps: optim.Adagrad(ps),
])
def test_load_state_dict_copies_what_it_loads(make):
    """Planted bug: load_state_dict keeping the given tensors, so that the next step
    changes the caller's dict in place (a checkpoint held in memory drifts)."""
    ps = [ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)]
    src = make(ps)
    _train(src, ps, 2, seed=1)
    sd = src.state_dict()
    snapshot = {"param_groups": [dict(g) for g in sd["param_groups"]],
                "state": {k: {n: (v.clone() if isinstance(v, ag.Tensor) else v)
                              for n, v in st.items()} for k, st in sd["state"].items()}}
    dst = make([ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)])
    dst.load_state_dict(sd)
    _train(dst, dst.param_groups[0]["params"], 3, seed=2)
    _assert_state_equal(snapshot, sd)


def test_state_dict_format_is_pytorchs():
    a, b, c = (ag.zeros(2, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    for p in (a, c):
        p.grad = ag.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 2}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert float(sd["state"][2]["step"]) == 1.0 and sd["state"][2]["step"].dtype == np.float32


def test_load_state_dict_rejects_mismatched_groups():
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(2, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_load_state_dict_from_torch():
    torch = pytest.importorskip("torch")
    tw = torch.tensor(W0, dtype=torch.float32, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.05)
    for g in GRADS[:3]:
        tw.grad = torch.tensor(g, dtype=torch.float32)
        topt.step()
    w = ag.tensor(tw.detach().numpy().copy(), requires_grad=True)
    opt = optim.Adam([w], lr=0.05)
    opt.load_state_dict(topt.state_dict())
    for g in GRADS[3:]:
        tw.grad = torch.tensor(g, dtype=torch.float32)
        topt.step()
        w.grad = ag.tensor(g.astype(np.float32))
        opt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_trains_an_nn_module():
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    x = ag.randn(64, 3)
    y = (x.numpy() @ np.array([[1.0], [-2.0], [0.5]], np.float32))
    y = ag.tensor(y)
    opt = optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(150):
        loss = F.mse_loss(model(x), y)
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.05 * first
