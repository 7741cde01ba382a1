"""Learning-rate schedulers: closed forms, PyTorch's recursive values, state_dict."""

from __future__ import annotations

import math

import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S


def make_opt(lrs=(0.1,)):
    groups = [{"params": [ag.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def lrs_over(sched, epochs):
    """The lr of group 0 at epochs 0..epochs-1 (one step per epoch after the first)."""
    out = [sched.get_last_lr()[0]]
    for _ in range(epochs - 1):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr_closed_form():
    got = lrs_over(S.StepLR(make_opt(), step_size=3, gamma=0.5), 10)
    assert got == pytest.approx([0.1 * 0.5 ** (e // 3) for e in range(10)], rel=1e-12)


def test_multistep_lr_closed_form_with_repeated_milestone():
    got = lrs_over(S.MultiStepLR(make_opt(), milestones=[2, 5, 5], gamma=0.1), 8)
    want = [0.1 * 0.1 ** sum(m <= e for m in [2, 5, 5]) for e in range(8)]
    assert got == pytest.approx(want, rel=1e-12)


def test_exponential_lr_closed_form():
    got = lrs_over(S.ExponentialLR(make_opt(), gamma=0.9), 6)
    assert got == pytest.approx([0.1 * 0.9 ** e for e in range(6)], rel=1e-12)


def test_cosine_annealing_matches_closed_form_and_rises_again():
    T, eta = 8, 0.01
    got = lrs_over(S.CosineAnnealingLR(make_opt(), T_max=T, eta_min=eta), 3 * T)
    want = [eta + (0.1 - eta) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(3 * T)]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert got[T] == pytest.approx(eta) and got[2 * T] == pytest.approx(0.1)


def test_lambda_lr_per_group_and_base_lrs():
    opt = make_opt((0.1, 1.0))
    sched = S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1.0 / (e + 1)])
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.125, 1.0 / 4])
    assert sched.base_lrs == [0.1, 1.0]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 1.0]
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_recursive_forms_compose_with_manual_lr_changes_like_pytorch():
    opt = make_opt()
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 1.0  # e.g. a warm-up set by hand
    sched.step()  # epoch 2: multiplies the current lr
    assert sched.get_last_lr() == [0.5]


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(make_opt(), step_size=2, last_epoch=3)
    opt = make_opt()
    opt.param_groups[0]["initial_lr"] = 0.1
    sched = S.ExponentialLR(opt, gamma=0.5, last_epoch=2)
    assert sched.last_epoch == 3


def test_step_with_epoch_uses_the_closed_form():
    sched = S.StepLR(make_opt(), step_size=2, gamma=0.1)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(5)
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.1 ** 2])


def test_scheduler_state_dict_round_trip_through_a_checkpoint(tmp_path):
    opt = make_opt()
    sched = S.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        sched.step()
    ag.save({"sched": sched.state_dict()}, tmp_path / "s.safetensors")
    opt2 = make_opt()
    sched2 = S.MultiStepLR(opt2, milestones=[9], gamma=0.5)
    sched2.load_state_dict(ag.load(tmp_path / "s.safetensors")["sched"])
    opt2.param_groups[0]["lr"] = sched2.get_last_lr()[0]
    for _ in range(3):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
    assert "optimizer" not in sched.state_dict()


def test_reduce_on_plateau_patience_cooldown_and_min_lr():
    opt = make_opt()
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, cooldown=1,
                                min_lr=0.03)
    lrs = []
    for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    # improvement, then 2 bad epochs -> halve; one cooldown epoch; 2 bad -> halve (0.025
    # is below min_lr, so 0.03); then it stays at min_lr
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03])


def test_reduce_on_plateau_thresholds_and_max_mode():
    opt = make_opt()
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1,
                                threshold_mode="abs")
    sched.step(1.0)
    sched.step(1.05)  # not better by 0.1: reduce
    assert sched.get_last_lr() == pytest.approx([0.01])
    sched.step(1.2)  # better
    assert sched.best == 1.2 and sched.num_bad_epochs == 0
    rel = S.ReduceLROnPlateau(make_opt(), threshold=0.1)  # min, rel
    assert rel.is_better(0.89, 1.0) and not rel.is_better(0.91, 1.0)
    with pytest.raises(ValueError, match="factor"):
        S.ReduceLROnPlateau(make_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(make_opt(), mode="up")


def test_reduce_on_plateau_state_dict_keeps_inf_through_a_checkpoint(tmp_path):
    sched = S.ReduceLROnPlateau(make_opt())
    ag.save(sched.state_dict(), tmp_path / "p.safetensors")
    state = ag.load(tmp_path / "p.safetensors")
    assert state["best"] == math.inf and state["mode_worse"] == math.inf


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", dict(step_size=3, gamma=0.3)),
    ("MultiStepLR", dict(milestones=[2, 3, 7], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.001)),
])
def test_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.1)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    sched = getattr(S, name)(make_opt(), **kwargs)
    for _ in range(16):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
        topt.step()
        tsched.step()
        sched.optimizer.step()
        sched.step()


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.1)
    kw = dict(factor=0.5, patience=2, cooldown=1, threshold=0.05, min_lr=0.004)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    sched = S.ReduceLROnPlateau(make_opt(), **kw)
    metrics = [1.0, 0.99, 0.98, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    for m in metrics:
        tsched.step(m)
        sched.step(m)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
