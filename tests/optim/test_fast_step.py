"""The cached step (``Optimizer._fast_step``): every ``step()`` after the first uses it
where it covers the call, and gives exactly the full step's numbers, also after what it
assumed changes (it must notice, run the full step and rebuild)."""

import numpy as np
import pytest

import autograd as ag
import optim
from optim import optimizer as optimizer_module


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [ag.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
            for s in [(5, 4), (4,), (3, 5)]]


def _grads(params, k):
    rng = np.random.default_rng(100 + k)
    for p in params:
        p.grad = ag.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


def _steps(opt, params, n):
    for k in range(n):
        _grads(params, k)
        opt.step()


def _uncached(opt):
    """An optimizer that never builds the cached step: the full step every time."""
    opt._fast_misses = optimizer_module._FAST_TRIES
    return opt


def _run_both(make, steps, between=None):
    """Run ``steps`` steps with the cached step and without; ``between(k, opt, params)``
    may change something before step k (in both runs). Returns both parameter lists."""
    runs = []
    for cached in (True, False):
        params = _params()
        opt = make(params)
        if not cached:
            _uncached(opt)
        for k in range(steps):
            if between is not None:
                between(k, opt, params)
            _grads(params, k)
            opt.step()
        runs.append((opt, params))
    return runs


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1, maximize=True),
    lambda ps: optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99)),
], ids=["adam", "adam-l2-maximize", "adamw"])
def test_cached_step_is_used_and_bitwise_equal(make):
    (opt, params), (ref, ref_params) = _run_both(make, 12)
    assert opt._fast is not None and ref._fast is None  # the cache was built, and used
    for p, q in zip(params, ref_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    for p, q in zip(params, ref_params):
        s, r = opt.state[p], ref.state[q]
        assert float(s["step"]) == float(r["step"]) == 12.0
        np.testing.assert_array_equal(s["exp_avg"].numpy(), r["exp_avg"].numpy())
        np.testing.assert_array_equal(s["exp_avg_sq"].numpy(), r["exp_avg_sq"].numpy())


def test_cached_step_skips_the_per_parameter_update(monkeypatch):
    """Once built, a step does not go through ``_update`` (that is its point)."""
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    calls = []
    original = optim.Adam._update
    monkeypatch.setattr(optim.Adam, "_update", lambda self, g, ps: (calls.append(1),
                                                                   original(self, g, ps)))
    _steps(opt, params, 5)
    assert len(calls) == 1  # the first step (it makes the state); the cache after


def test_cached_step_bumps_versions():
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _steps(opt, params, 3)
    assert [p._version for p in params] == [3, 3, 3]


def _change(k, opt, params):
    """Something the cached step assumed, changed before a step."""
    if k == 3:
        opt.param_groups[0]["lr"] = 0.003  # read on every call: no rebuild needed
    elif k == 5:
        params[0].data = params[0].detach() * 0.5  # a new parameter array
    elif k == 7:
        opt.load_state_dict(opt.state_dict())  # new state tensors
    elif k == 9:
        params[1].grad = None  # skipped by both for a step (set again below: no)
    elif k == 11:
        opt.param_groups[0]["weight_decay"] = 0.05


def test_cached_step_notices_changes_and_matches_the_full_step():
    (opt, params), (ref, ref_params) = _run_both(lambda ps: optim.Adam(ps, lr=0.01), 14,
                                                 between=_change)
    for p, q in zip(params, ref_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert opt._fast is not None  # rebuilt after each change it could not cover


def test_amsgrad_switched_on_later_takes_the_full_step():
    def between(k, opt, params):
        if k == 4:
            opt.param_groups[0]["amsgrad"] = True

    (opt, params), (ref, ref_params) = _run_both(lambda ps: optim.Adam(ps, lr=0.01), 8,
                                                 between=between)
    for p, q in zip(params, ref_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert "max_exp_avg_sq" in opt.state[params[0]]


def test_uncovered_configuration_stops_trying(monkeypatch):
    """AMSGrad is not covered: the build is tried ``_FAST_TRIES`` times, then never."""
    params = _params()
    opt = optim.Adam(params, lr=0.01, amsgrad=True)
    builds = []
    original = optim.Adam._fast_step
    monkeypatch.setattr(optim.Adam, "_fast_step",
                        lambda self: (builds.append(1), original(self))[1])
    _steps(opt, params, 10)
    assert opt._fast is None and len(builds) == optimizer_module._FAST_TRIES


def test_closure_steps_never_use_the_cache():
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _steps(opt, params, 3)
    assert opt._fast is not None
    seen = []
    loss = opt.step(lambda: seen.append(1) or 1.5)
    assert loss == 1.5 and seen == [1]
