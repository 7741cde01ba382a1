"""ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
SequentialLR and ChainedScheduler: lr (and momentum) sequences equal to PyTorch's, and
their closed forms checked without torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S

STEPS = 25


def _optimizer(lib, name="SGD", groups=2):
    if lib == "torch":
        import torch

        ps = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
        cls = getattr(torch.optim, name)
    else:
        ps = [ag.zeros(2, requires_grad=True) for _ in range(groups)]
        cls = getattr(optim, name)
    kw = dict(momentum=0.9) if name == "SGD" else {}
    return cls([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], **kw)


def _lib_sched(lib):
    if lib == "torch":
        import torch

        return torch.optim.lr_scheduler
    return S


CASES = {
    "constant": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=4),
    "linear": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7),
    "polynomial": lambda L, o: L.PolynomialLR(o, total_iters=9, power=2.0),
    "warm_restarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                eta_min=0.01),
    "warm_restarts_mult1": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4),
    "cyclic": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=3,
                                      step_size_down=5),
    "cyclic_triangular2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                  mode="triangular2"),
    "cyclic_exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                mode="exp_range", gamma=0.9),
    "one_cycle": lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=STEPS + 1),
    "one_cycle_linear_3phase": lambda L, o: L.OneCycleLR(
        o, max_lr=0.3, epochs=2, steps_per_epoch=13, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
    "sequential": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.2, total_iters=4), L.ExponentialLR(o, 0.9),
            L.StepLR(o, 3, 0.5)], milestones=[5, 12]),
    "chained": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, total_iters=6),
                                                L.ExponentialLR(o, 0.95)]),
    "chained_linear_cosine": lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, 0.3, total_iters=5), L.CosineAnnealingLR(o, T_max=10)]),
}


def _sequence(lib, case, opt_name="SGD"):
    opt = _optimizer(lib, opt_name)
    sched = CASES[case](_lib_sched(lib), opt)
    key = "betas" if opt_name == "Adam" else "momentum"
    out = []
    for _ in range(STEPS):
        out.append([g["lr"] for g in opt.param_groups] + [float(np.ravel(g[key])[0])
                                                          for g in opt.param_groups])
        opt.step()
        sched.step()
    out.append(list(sched.get_last_lr()))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case):
    pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _sequence("torch", case)
    ours = _sequence("ag", case)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, [float(v) for v in b], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", ["cyclic", "one_cycle"])
def test_cycles_adams_beta1(case):
    pytest.importorskip("torch")
    for a, b in zip(_sequence("ag", case, "Adam"), _sequence("torch", case, "Adam"),
                    strict=True):
        np.testing.assert_allclose(a, [float(v) for v in b], rtol=1e-13)


def test_linear_closed_form_without_torch():
    opt = _optimizer("ag", groups=1)
    sched = S.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=4)
    seen = []
    for _ in range(7):
        seen.append(opt.param_groups[0]["lr"])
        sched.step()
    expected = [0.1 * (0.2 + 0.8 * min(e, 4) / 4) for e in range(7)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


def test_warm_restarts_fractional_epochs_without_torch():
    opt = _optimizer("ag", groups=1)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    sched.step(3.5)  # second period (length 4) started at epoch 2
    expected = 0.1 * (1 + math.cos(math.pi * 1.5 / 4)) / 2
    assert opt.param_groups[0]["lr"] == pytest.approx(expected)


def test_one_cycle_peaks_at_max_lr_and_refuses_extra_steps():
    opt = _optimizer("ag", groups=1)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(1.0 / 25) and max(lrs) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="total steps"):
        sched.step()


def test_sequential_state_dict_round_trip():
    opt = _optimizer("ag")
    sched = CASES["sequential"](S, opt)
    for _ in range(7):
        sched.step()
    saved = sched.state_dict()
    lrs = [g["lr"] for g in opt.param_groups]
    opt2 = _optimizer("ag")
    for g, lr in zip(opt2.param_groups, lrs, strict=True):
        g["lr"] = lr
    sched2 = CASES["sequential"](S, opt2)
    sched2.load_state_dict(saved)
    for g, lr in zip(opt2.param_groups, lrs, strict=True):
        g["lr"] = lr
    for _ in range(4):
        sched.step()
        sched2.step()
    assert sched.get_last_lr() == sched2.get_last_lr()


def test_bad_arguments():
    opt = _optimizer("ag")
    with pytest.raises(ValueError, match="milestones"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt)], milestones=[])
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(optim.Adagrad([ag.zeros(2, requires_grad=True)]), 0.1, 1.0)
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=1.0)
