"""Learning-rate schedulers at their edges (issue 18, mutation testing): the closed forms
``step(epoch)`` uses, ReduceLROnPlateau's comparisons and counters, state_dict round
trips that keep callable state, and exact errors. Closed forms are written out here;
PyTorch is a second reference where installed."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S

BASE = [0.1, 0.4]


def make_opt(name="SGD", lrs=BASE):
    ps = [ag.zeros(2, requires_grad=True) for _ in lrs]
    kw = dict(momentum=0.9) if name == "SGD" else {}
    return getattr(optim, name)([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], **kw)


def torch_opt(lrs=BASE):
    torch = pytest.importorskip("torch")
    ps = [torch.zeros(2, requires_grad=True) for _ in lrs]
    return torch, torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)],
                                  momentum=0.9)


# name -> (kwargs, closed form lr(base, epoch))
CLOSED = {
    "StepLR": (dict(step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    "MultiStepLR": (dict(milestones=[2, 5, 5, 9], gamma=0.5),
                    lambda b, e: b * 0.5 ** sum(m <= e for m in [2, 5, 5, 9])),
    "ExponentialLR": (dict(gamma=0.8), lambda b, e: b * 0.8 ** e),
    "CosineAnnealingLR": (dict(T_max=6, eta_min=0.01),
                          lambda b, e: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 6)) / 2),
    "ConstantLR": (dict(factor=0.25, total_iters=4), lambda b, e: b * (0.25 if e < 4 else 1)),
    "LinearLR": (dict(start_factor=0.2, end_factor=0.8, total_iters=5),
                 lambda b, e: b * (0.2 + 0.6 * min(e, 5) / 5)),
    "PolynomialLR": (dict(total_iters=6, power=2.0), lambda b, e: b * (1 - min(e, 6) / 6) ** 2),
}
EPOCHS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 3, 0]  # forwards, past the end, and back


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_step_epoch_uses_the_closed_form(name):
    """Breaks if a ``_get_closed_form_lr`` changes (step(epoch) is its only caller)."""
    kwargs, closed = CLOSED[name]
    opt = make_opt()
    sched = getattr(S, name)(opt, **kwargs)
    for e in EPOCHS:
        with pytest.warns(UserWarning, match=re.escape("LRScheduler.step(epoch) is "
                                                       "deprecated; call step() once per epoch")):
            sched.step(e)
        want = [closed(b, e) for b in BASE]
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], want, rtol=1e-12)
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        assert sched.last_epoch == e


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_step_epoch_matches_torch(name):
    torch, topt = torch_opt()
    kwargs, _ = CLOSED[name]
    ours = getattr(S, name)(make_opt(), **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in EPOCHS:
            ours.step(e)
            theirs.step(e)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_recursive_steps_follow_the_closed_form(name):
    """step() (the recursive form) lands on the closed form at every epoch."""
    kwargs, closed = CLOSED[name]
    opt = make_opt()
    sched = getattr(S, name)(opt, **kwargs)
    for e in range(12):
        if e:
            sched.step()
        want = [closed(b, e) for b in BASE]
        if name == "CosineAnnealingLR" and e > 6:
            continue  # the recursive form rises again after T_max (checked vs torch)
        np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12, atol=1e-15)


def test_cosine_annealing_past_t_max_and_resumed_matches_torch():
    torch, topt = torch_opt()
    ours = S.CosineAnnealingLR(make_opt(), T_max=3, eta_min=0.02)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=3, eta_min=0.02)
    for _ in range(14):
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


def test_cosine_annealing_resume_first_step_uses_closed_form():
    """A scheduler built with last_epoch=4 (initial_lr set) starts on the closed form."""
    opt = make_opt()
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = S.CosineAnnealingLR(opt, T_max=10, eta_min=0.0, last_epoch=4)
    want = [b * (1 + math.cos(math.pi * 5 / 10)) / 2 for b in BASE]
    np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)


def test_resuming_without_initial_lr_names_the_group():
    opt = make_opt()
    opt.param_groups[0]["initial_lr"] = 0.1
    with pytest.raises(KeyError, match=re.escape(
            "StepLR: param 'initial_lr' is not specified in param_groups[1] when resuming "
            "with last_epoch=3")):
        S.StepLR(opt, step_size=2, last_epoch=3)


@pytest.mark.parametrize("make, exc, message", [
    (lambda o: S.StepLR(o, step_size=0), ValueError,
     "StepLR: step_size must be a positive integer, got 0"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be positive, got 0"),
    (lambda o: S.LambdaLR(o, [lambda e: 1.0]), ValueError,
     "LambdaLR: expected 2 lr_lambdas (one per group), got 1"),
    (lambda o: S.ConstantLR(o, factor=1.5), ValueError,
     "ConstantLR: factor must be in [0, 1], got 1.5"),
    (lambda o: S.ConstantLR(o, factor=-0.1), ValueError,
     "ConstantLR: factor must be in [0, 1], got -0.1"),
    (lambda o: S.LinearLR(o, start_factor=0.0), ValueError,
     "LinearLR: start_factor must be in (0, 1], got 0.0"),
    (lambda o: S.LinearLR(o, start_factor=1.5), ValueError,
     "LinearLR: start_factor must be in (0, 1], got 1.5"),
    (lambda o: S.LinearLR(o, end_factor=-0.5), ValueError,
     "LinearLR: end_factor must be in [0, 1], got -0.5"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError,
     "LinearLR: end_factor must be in [0, 1], got 1.5"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "CosineAnnealingWarmRestarts: expected a positive integer T_0, got 0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError,
     "CosineAnnealingWarmRestarts: expected a positive integer T_0, got 2.5"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     "CosineAnnealingWarmRestarts: expected an integer T_mult >= 1, got 0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError,
     "CosineAnnealingWarmRestarts: expected an integer T_mult >= 1, got 1.5"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError,
     "ReduceLROnPlateau: factor should be < 1.0, got 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="up"), ValueError,
     "ReduceLROnPlateau: mode 'up' is unknown; expected 'min' or 'max'"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     "ReduceLROnPlateau: threshold mode 'x' is unknown; expected 'rel' or 'abs'"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError,
     "ReduceLROnPlateau: expected 2 min_lrs, got 1"),
    (lambda o: S.CyclicLR(o, 0.01, [0.1]), ValueError,
     "max_lr must have the same length as optimizer.param_groups: max_lr has 1 values, "
     "param_groups has 2"),
    (lambda o: S.CyclicLR(o, 0.01, 0.1, mode="sine"), ValueError,
     "CyclicLR: mode 'sine' is invalid and scale_fn is None"),
    (lambda o: S.StepLR("not an optimizer", 2), TypeError,
     "StepLR: expected an Optimizer, got str"),
    (lambda o: S.ReduceLROnPlateau(None), TypeError,
     "ReduceLROnPlateau: expected an Optimizer, got NoneType"),
])
def test_constructor_errors_are_exact(make, exc, message):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        make(make_opt())


def test_cyclic_needs_momentum():
    opt = make_opt("Adagrad")
    with pytest.raises(ValueError, match=re.escape(
            "CyclicLR: optimizer must support momentum or beta1 with `cycle_momentum` "
            "option enabled")):
        S.CyclicLR(opt, 0.01, 0.1)
    S.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)  # fine without momentum


@pytest.mark.parametrize("mode, threshold_mode, best, better, not_better", [
    ("min", "rel", 10.0, 9.998, 9.9995),   # needs a < 10 * (1 - 1e-4) = 9.999
    ("min", "abs", 10.0, 9.9998, 9.99995),  # needs a < 10 - 1e-4
    ("max", "rel", 10.0, 10.002, 10.0005),  # needs a > 10 * (1 + 1e-4) = 10.001
    ("max", "abs", 10.0, 10.0002, 10.00005),
])
def test_plateau_is_better(mode, threshold_mode, best, better, not_better):
    """Breaks if a comparison, the sign of the threshold or its mode changes."""
    sched = S.ReduceLROnPlateau(make_opt(), mode=mode, threshold_mode=threshold_mode)
    assert sched.is_better(better, best)
    assert not sched.is_better(not_better, best)
    exact = best * (1 - 1e-4) if threshold_mode == "rel" else best - 1e-4
    if mode == "max":
        exact = best * (1 + 1e-4) if threshold_mode == "rel" else best + 1e-4
    assert not sched.is_better(exact, best)  # the boundary is not an improvement
    assert sched.best == (math.inf if mode == "min" else -math.inf)


def plateau_run(lib_sched, opt, metrics):
    out = []
    for m in metrics:
        lib_sched.step(m)
        out.append([g["lr"] for g in opt.param_groups])
    return out


PLATEAU = [
    dict(patience=1),
    dict(patience=2, cooldown=2, factor=0.5),
    dict(mode="max", patience=0, factor=0.5, threshold_mode="abs", threshold=0.5),
    dict(patience=0, factor=0.5, min_lr=[0.04, 0.15]),
    dict(patience=0, factor=0.5, min_lr=0.09, eps=0.02),
]
METRICS = [5, 4, 4, 4.5, 3, 3, 3, 3, 6, 2.9, 2.95, 3, 1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize("kw", PLATEAU)
def test_plateau_sequence_matches_torch(kw):
    torch, topt = torch_opt()
    opt = make_opt()
    ours = plateau_run(S.ReduceLROnPlateau(opt, **kw), opt, METRICS)
    theirs = plateau_run(torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw), topt, METRICS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_plateau_counters_by_hand():
    """patience 1, cooldown 1, factor 0.5: the lr halves after the second bad epoch, the
    epoch after a reduction is not counted, min_lr and eps stop further reductions."""
    opt = make_opt(lrs=[0.8])
    sched = S.ReduceLROnPlateau(opt, patience=1, cooldown=1, factor=0.5, min_lr=0.15,
                                eps=0.06)
    lrs, bad, cool = [], [], []
    for m in [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]:
        sched.step(ag.tensor(float(m)))  # a one-element Tensor is accepted
        lrs.append(opt.param_groups[0]["lr"])
        bad.append(sched.num_bad_epochs)
        cool.append(sched.cooldown_counter)
    assert lrs == [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.2, 0.2]
    assert bad == [0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert cool == [0, 0, 1, 0, 0, 1, 0, 0, 1, 0]
    assert sched.in_cooldown is False and sched.last_epoch == 10
    assert sched.best == 3.0
    assert sched.get_last_lr() == [0.2]
    # 0.2 -> max(0.1, 0.15) = 0.15 would change by 0.05 < eps: skipped


def test_plateau_state_dict_round_trip():
    opt = make_opt()
    sched = S.ReduceLROnPlateau(opt, patience=3, cooldown=2, min_lr=[0.0, 0.01])
    for m in [3, 2, 2, 2]:
        sched.step(m)
    sd = sched.state_dict()
    assert "optimizer" not in sd
    assert sd["best"] == 2 and sd["num_bad_epochs"] == 2 and sd["min_lrs"] == [0.0, 0.01]
    other = S.ReduceLROnPlateau(make_opt())
    other.load_state_dict(sd)
    assert other.best == 2 and other.num_bad_epochs == 2 and other.patience == 3
    assert other.min_lrs == [0.0, 0.01] and other.default_min_lr is None


class Warmup:
    """A callable object with state (saved by LambdaLR.state_dict, unlike a lambda)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


def test_lambda_lr_values_and_state_dict():
    """Breaks if the lambdas get the wrong epoch, their state is dropped or the plain
    function's entry is not None."""
    opt = make_opt()
    sched = S.LambdaLR(opt, [Warmup(4), lambda e: 0.5 ** e])
    for e in range(1, 6):
        sched.step()
        np.testing.assert_allclose(sched.get_last_lr(),
                                   [0.1 * min(1.0, (e + 1) / 4), 0.4 * 0.5 ** e])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None]
    assert "optimizer" not in sd and sd["last_epoch"] == 5
    opt2 = make_opt()
    fresh = S.LambdaLR(opt2, [Warmup(10), lambda e: 1.0])
    fresh.load_state_dict(sd)
    assert fresh.lr_lambdas[0].n == 4 and fresh.last_epoch == 5
    assert fresh.base_lrs == BASE
    fresh.step()
    np.testing.assert_allclose(fresh.get_last_lr()[0], 0.1 * 1.0)
    one = S.LambdaLR(make_opt(), Warmup(2))  # one function for every group
    assert one.lr_lambdas[0] is one.lr_lambdas[1]
    np.testing.assert_allclose(one.get_last_lr(), [0.05, 0.2])
    S.LambdaLR(make_opt(), Warmup(2)).load_state_dict({"last_epoch": 3})  # no lambdas saved


class Scale:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return self.k ** x


def test_cyclic_state_dict_keeps_scale_fn_state():
    opt = make_opt()
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=Scale(0.5),
                       scale_mode="iterations")
    for _ in range(3):
        sched.step()
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"k": 0.5} and "optimizer" not in sd
    assert sd["last_epoch"] == 3 and sd["scale_mode"] == "iterations"
    assert sched._scale_fn_custom.k == 0.5  # saving does not detach the live function
    other = S.CyclicLR(make_opt(), 0.01, 0.1, step_size_up=2, scale_fn=Scale(0.9))
    other.load_state_dict(sd)
    assert other._scale_fn_custom.k == 0.5 and other.last_epoch == 3
    assert other.scale_mode == "iterations"
    plain = S.CyclicLR(make_opt(), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None
    assert S.CyclicLR(make_opt(), 0.01, 0.1).state_dict()["_scale_fn_custom"] is None
    plain.load_state_dict(sd)  # a plain function cannot take saved state: no error
    fixed = S.CyclicLR(make_opt(), 0.01, 0.1)
    fixed.load_state_dict(sd)
    assert fixed._scale_fn_custom is None


def test_cyclic_scale_fn_modes():
    opt = make_opt()
    tri = S.CyclicLR(opt, 0.01, 0.1, mode="triangular")
    assert tri.scale_fn(3) == 1.0 and tri.scale_mode == "cycle"
    tri2 = S.CyclicLR(make_opt(), 0.01, 0.1, mode="triangular2")
    assert tri2.scale_fn(1) == 1.0 and tri2.scale_fn(3) == 0.25
    exp = S.CyclicLR(make_opt(), 0.01, 0.1, mode="exp_range", gamma=0.5)
    assert exp.scale_fn(2) == 0.25 and exp.scale_mode == "iterations"
    custom = S.CyclicLR(make_opt(), 0.01, 0.1, scale_fn=Scale(2.0), scale_mode="cycle")
    assert custom.scale_fn(3) == 8.0 and custom.scale_mode == "cycle"


def test_multistep_load_state_dict_from_json():
    """A JSON round trip turns the milestone Counter into a dict of strings."""
    sched = S.MultiStepLR(make_opt(), milestones=[2, 2, 4], gamma=0.5)
    sd = sched.state_dict()
    assert sd["milestones"] == {2: 2, 4: 1}
    other = S.MultiStepLR(make_opt(), milestones=[1])
    other.load_state_dict({**sd, "milestones": {"2": 2, "4": 1}})
    assert other.milestones == {2: 2, 4: 1}
    assert type(other.milestones).__name__ == "Counter"
    assert other.milestones[7] == 0
    opt = make_opt()
    sched = S.MultiStepLR(opt, milestones=[2, 2, 4], gamma=0.5)
    for _ in range(4):
        sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [b * 0.125 for b in BASE])
    other.load_state_dict({"last_epoch": 1})  # no milestones entry: kept
    assert other.milestones == {2: 2, 4: 1}


@pytest.mark.parametrize("T_mult, epochs", [
    (1, [0, 0.5, 1, 2.5, 4, 7.25, 3]),
    (2, [0, 1.5, 2, 5, 6, 13.5, 14, 30, 1]),
    (3, [0, 2, 8, 9, 26, 27.5]),
])
def test_warm_restarts_fractional_epochs(T_mult, epochs):
    """step(epoch) with fractional epochs: T_cur and T_i by hand (SGDR), torch too."""
    opt = make_opt()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=T_mult, eta_min=0.01)
    for e in epochs:
        sched.step(e)
        t_i, t_cur = 2, e
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= T_mult
        assert sched.T_i == t_i
        assert sched.T_cur == pytest.approx(t_cur, abs=1e-12)
        assert sched.last_epoch == math.floor(e)
        want = [0.01 + (b - 0.01) * (1 + math.cos(math.pi * t_cur / t_i)) / 2 for b in BASE]
        np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)
    with pytest.raises(ValueError, match=re.escape(
            "CosineAnnealingWarmRestarts: expected a non-negative epoch, got -1")):
        sched.step(-1)


def test_warm_restarts_matches_torch_with_fractional_epochs():
    torch, topt = torch_opt()
    ours = S.CosineAnnealingWarmRestarts(make_opt(), T_0=3, T_mult=2, eta_min=0.02)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=2,
                                                                  eta_min=0.02)
    for e in [0.5, 1, 3, 4.5, 9, 10, 21.5, 2, None, None, None]:
        ours.step(e)
        theirs.step(e)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        assert ours.T_i == theirs.T_i and ours.last_epoch == theirs.last_epoch


def test_warm_restarts_resume():
    opt = make_opt()
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=4, last_epoch=2)
    assert sched.T_cur == 3 and sched.last_epoch == 3
    want = [b * (1 + math.cos(math.pi * 3 / 4)) / 2 for b in BASE]
    np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)


def test_sequential_state_dict_round_trip():
    """Breaks if the children's state is not saved, not restored or saved by reference."""
    def build():
        opt = make_opt()
        return S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, total_iters=2),
                                    S.ExponentialLR(opt, 0.9)], milestones=[3])

    a = build()
    for _ in range(5):
        a.step()
    sd = a.state_dict()
    assert "optimizer" not in sd and len(sd["_schedulers"]) == 2
    assert sd["_milestones"] == [3] and sd["last_epoch"] == 5
    assert sd["_schedulers"][1]["last_epoch"] == a._schedulers[1].last_epoch
    b = build()
    b.load_state_dict(sd)
    assert b.last_epoch == 5 and isinstance(b._schedulers[0], S.ConstantLR)
    assert b._schedulers[1].last_epoch == a._schedulers[1].last_epoch
    assert sd["_schedulers"] == a.state_dict()["_schedulers"]  # the saved dict is unchanged
    for opt_lr in (a, b):
        opt_lr.optimizer.param_groups[0]["lr"] = a.optimizer.param_groups[0]["lr"]
        opt_lr.optimizer.param_groups[1]["lr"] = a.optimizer.param_groups[1]["lr"]
    a.step()
    b.step()
    assert a.get_last_lr() == b.get_last_lr()


@pytest.mark.parametrize("build, exc, message", [
    (lambda o: S.SequentialLR(o, [S.ConstantLR(o)], milestones=[2]), ValueError,
     "SequentialLR: expected 0 milestones (one fewer than the 1 schedulers), got 1"),
    (lambda o: S.SequentialLR(o, [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler"),
    (lambda o: S.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler to be chained"),
    (lambda o: S.ChainedScheduler([S.ReduceLROnPlateau(o)], o), ValueError,
     "ChainedScheduler does not support ReduceLROnPlateau (its step needs a metric); got "
     "one at index 0"),
    (lambda o: S.ChainedScheduler([S.ConstantLR(o), object()], o), TypeError,
     "ChainedScheduler: scheduler at index 1 has no `optimizer` attribute"),
    (lambda o: S.ChainedScheduler([S.ConstantLR(o), S.ConstantLR(make_opt())]), ValueError,
     "ChainedScheduler expects all schedulers to belong to the same optimizer, but "
     "scheduler ConstantLR at index 1 has another one"),
])
def test_composition_errors_are_exact(build, exc, message):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        build(make_opt())


def test_base_scheduler_get_lr_is_abstract():
    with pytest.raises(NotImplementedError):
        S.LRScheduler(make_opt())
    assert S._LRScheduler is S.LRScheduler


@pytest.mark.parametrize("name, make", [
    ("LambdaLR", lambda o: S.LambdaLR(o, lambda e: 1.0)),
    ("CyclicLR", lambda o: S.CyclicLR(o, 0.01, 0.1)),
    ("OneCycleLR", lambda o: S.OneCycleLR(o, 0.1, total_steps=10)),
    ("SequentialLR", lambda o: S.SequentialLR(o, [S.ConstantLR(make_opt())], milestones=[])),
    ("ExponentialLR", lambda o: S.ExponentialLR(o, 0.5)),
])
def test_every_scheduler_names_itself_when_given_no_optimizer(name, make):
    """Breaks if a scheduler passes another name to the optimizer check."""
    with pytest.raises(TypeError, match=exact_re(f"{name}: expected an Optimizer, got list")):
        make([])


def exact_re(message):
    return "^" + re.escape(message) + "$"


def test_cosine_annealing_resumed_at_epoch_zero():
    """Resuming at last_epoch=0: the first step (epoch 1) uses the closed form."""
    opt = make_opt()
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
        g["lr"] = 123.0  # the recursive form would start from this
    sched = S.CosineAnnealingLR(opt, T_max=4, eta_min=0.01, last_epoch=0)
    want = [0.01 + (b - 0.01) * (1 + math.cos(math.pi / 4)) / 2 for b in BASE]
    np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-12)


SEQUENTIAL = {
    "lambda_after_constant": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, 0.5, total_iters=2), L.LambdaLR(o, lambda e: 0.9 ** e)],
        milestones=[3]),
    "three_with_linear": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.25, total_iters=3), L.CosineAnnealingLR(o, T_max=4),
            L.MultiStepLR(o, [1, 3], 0.5)], milestones=[2, 7]),
    "nested_sequential": lambda L, o: L.SequentialLR(
        o, [L.SequentialLR(o, [L.ConstantLR(o, 0.5, total_iters=2),
                               L.ExponentialLR(o, 0.8)], milestones=[2]),
            L.StepLR(o, 2, 0.5)], milestones=[5]),
}


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
def test_sequential_matches_torch(name):
    torch, topt = torch_opt()
    opt = make_opt()
    ours = SEQUENTIAL[name](S, opt)
    theirs = SEQUENTIAL[name](torch.optim.lr_scheduler, topt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(14):
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
            np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                       [g["lr"] for g in topt.param_groups], rtol=1e-12)
            ours.step()
            theirs.step()


@pytest.mark.parametrize("kwargs, message", [
    (dict(total_steps=0), "OneCycleLR: expected a positive integer total_steps, got 0"),
    (dict(total_steps=2.0), "OneCycleLR: expected a positive integer total_steps, got 2.0"),
    (dict(epochs=0, steps_per_epoch=3), "OneCycleLR: expected a positive integer epochs, "
                                        "got 0"),
    (dict(epochs=1.0, steps_per_epoch=3), "OneCycleLR: expected a positive integer epochs, "
                                          "got 1.0"),
    (dict(epochs=2, steps_per_epoch=0), "OneCycleLR: expected a positive integer "
                                        "steps_per_epoch, got 0"),
    (dict(epochs=2, steps_per_epoch="3"), "OneCycleLR: expected a positive integer "
                                          "steps_per_epoch, got 3"),
    (dict(epochs=2), "OneCycleLR: define either total_steps or (epochs and steps_per_epoch)"),
    (dict(steps_per_epoch=2), "OneCycleLR: define either total_steps or (epochs and "
                              "steps_per_epoch)"),
    (dict(total_steps=5, pct_start=1.5), "OneCycleLR: expected a float pct_start in [0, 1], "
                                         "got 1.5"),
    (dict(total_steps=5, pct_start=-0.5), "OneCycleLR: expected a float pct_start in [0, 1], "
                                          "got -0.5"),
    (dict(total_steps=5, pct_start=1), "OneCycleLR: expected a float pct_start in [0, 1], "
                                       "got 1"),
    (dict(total_steps=5, anneal_strategy="exp"), "OneCycleLR: anneal_strategy must be 'cos' "
                                                 "or 'linear', got 'exp'"),
    (dict(total_steps=5, max_lr=[0.1]), "max_lr must have the same length as "
                                        "optimizer.param_groups: max_lr has 1 values, "
                                        "param_groups has 2"),
])
def test_one_cycle_errors_are_exact(kwargs, message):
    kwargs = {"max_lr": 0.5, **kwargs}
    with pytest.raises(ValueError, match=exact_re(message)):
        S.OneCycleLR(make_opt(), **kwargs)


@pytest.mark.parametrize("kwargs", [dict(total_steps=1), dict(epochs=1, steps_per_epoch=1),
                                    dict(total_steps=4, pct_start=0.0),
                                    dict(total_steps=4, pct_start=1.0)])
def test_one_cycle_boundaries_are_accepted(kwargs):
    sched = S.OneCycleLR(make_opt(), max_lr=0.5, **kwargs)
    assert sched.optimizer is not None and sched.total_steps >= 1
