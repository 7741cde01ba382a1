"""Tests against the surviving mutants of the eight small optimizers of issue 12
(``optim/adadelta.py``, ``adagrad.py``, ``adamax.py``, ``asgd.py``, ``nadam.py``,
``radam.py``, ``rmsprop.py``, ``rprop.py``; issue 18, mutation testing). One file for the
eight: the same checks (defaults, validation messages) run over each, parametrized.

The survivors were the constructors (changed defaults, renamed or dropped keys of
``defaults``, a hyperparameter left out of ``_check_hyperparameters``, the optimizer's name
in its messages), ASGD's averaged parameters ``ax`` (never compared before), Rprop's
float32 step sizes and lower clamp, RMSprop's state keys and Adagrad's state re-creation.
Each test's docstring names the mutants it kills (``mutmut show`` names in the
``optim/others`` package of ``benchmarks/mutation.py``). No torch needed."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import optim
from optim.optimizer import _HYPERPARAMETER_WORDS

# PyTorch 2.13's `defaults` of each optimizer (checked against torch when written;
# Adagrad and RMSprop leave out torch's foreach/differentiable/fused/capturable, which
# they do not accept)
DEFAULTS = {
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None,
                     capturable=False, maximize=False, differentiable=False),
    "Adagrad": dict(lr=0.01, lr_decay=0.0, eps=1e-10, weight_decay=0.0,
                    initial_accumulator_value=0.0, maximize=False),
    "Adamax": dict(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=None,
                   maximize=False, differentiable=False, capturable=False),
    "ASGD": dict(lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, foreach=None,
                 maximize=False, differentiable=False, capturable=False),
    "NAdam": dict(lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  momentum_decay=0.004, decoupled_weight_decay=False, foreach=None,
                  maximize=False, capturable=False, differentiable=False),
    "RAdam": dict(lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  decoupled_weight_decay=False, foreach=None, maximize=False,
                  capturable=False, differentiable=False),
    "RMSprop": dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False, maximize=False),
    "Rprop": dict(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50), foreach=None,
                  maximize=False, differentiable=False, capturable=False),
}

# flags each constructor takes and stores as given (foreach/capturable/differentiable are
# accepted for PyTorch compatibility and kept in the groups, as torch does)
PASSED = {
    "Adadelta": dict(foreach=True, capturable=True, maximize=True, differentiable=True),
    "Adagrad": dict(maximize=True),
    "Adamax": dict(foreach=True, maximize=True, differentiable=True, capturable=True),
    "ASGD": dict(foreach=True, maximize=True, differentiable=True, capturable=True),
    "NAdam": dict(decoupled_weight_decay=True, foreach=True, maximize=True, capturable=True,
                  differentiable=True),
    "RAdam": dict(decoupled_weight_decay=True, foreach=True, maximize=True, capturable=True,
                  differentiable=True),
    "RMSprop": dict(centered=True, maximize=True),
    "Rprop": dict(foreach=True, maximize=True, differentiable=True, capturable=True),
}


def _param(*values, dtype=np.float64):
    return ag.tensor(np.array(values, dtype), requires_grad=True)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_defaults_are_pytorchs(name):
    """The constructor's defaults and the keys of ``defaults`` (and of each group), with
    their types. Kills every default-value mutant of the eight constructors (e.g.
    ``capturable: bool = True``, ``t0 = 1000001.0``), the renamed keys (``foreachXX=``),
    the keys set to None (``foreach=None`` for a passed value is killed below) and the
    dropped keys."""
    opt = getattr(optim, name)([_param(1.0, 2.0)])
    assert opt.defaults == DEFAULTS[name]
    assert {k: type(v) for k, v in opt.defaults.items()} == {
        k: type(v) for k, v in DEFAULTS[name].items()}
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    assert group == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_flags_are_stored_as_given(name):
    """Each flag passed reaches ``defaults`` unchanged. Kills ``maximize=None``,
    ``foreach=None``, ``capturable=None``, ``differentiable=None`` in the ``dict(...)``."""
    opt = getattr(optim, name)([_param(1.0, 2.0)], **PASSED[name])
    for k, v in PASSED[name].items():
        assert opt.defaults[k] is v, k


# (optimizer, hyperparameter, invalid value): each must be checked by the constructor
INVALID = [
    ("Adadelta", "lr", -0.1), ("Adadelta", "eps", -1e-6), ("Adadelta", "weight_decay", -0.1),
    ("Adagrad", "lr", -0.1), ("Adagrad", "lr_decay", -0.1), ("Adagrad", "weight_decay", -0.1),
    ("Adagrad", "initial_accumulator_value", -0.1), ("Adagrad", "eps", -1e-10),
    ("Adamax", "lr", -0.1), ("Adamax", "eps", -1e-8), ("Adamax", "weight_decay", -0.1),
    ("ASGD", "lr", -0.1), ("ASGD", "weight_decay", -0.1),
    ("NAdam", "lr", -0.1), ("NAdam", "eps", -1e-8), ("NAdam", "weight_decay", -0.1),
    ("NAdam", "momentum_decay", -0.1),
    ("RAdam", "lr", -0.1), ("RAdam", "eps", -1e-8), ("RAdam", "weight_decay", -0.1),
    ("RMSprop", "lr", -0.1), ("RMSprop", "eps", -1e-8), ("RMSprop", "momentum", -0.1),
    ("RMSprop", "weight_decay", -0.1), ("RMSprop", "alpha", -0.1),
    ("Rprop", "lr", -0.1),
]


@pytest.mark.parametrize("name,key,value", INVALID)
def test_each_hyperparameter_is_checked_and_the_message_names_the_optimizer(name, key, value):
    """PyTorch's check, our message (whole). Kills the mutants that drop a keyword from
    ``_check_hyperparameters(...)`` (``lr=lr`` left out, ...) and those that change the
    name in it (``None``, ``"XXAdadeltaXX"``, ``"adadelta"``, ``"ADADELTA"``, ...)."""
    msg = f"{name}: invalid {_HYPERPARAMETER_WORDS[key]} {value} (must be >= 0)"
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        getattr(optim, name)([_param(1.0)], **{key: value})


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam"])
@pytest.mark.parametrize("index", [0, 1])
def test_betas_are_checked(name, index):
    """Kills the mutants that leave ``betas=betas`` out of the check (Adamax #15, NAdam
    #18, RAdam #16)."""
    betas = [0.9, 0.999]
    betas[index] = 1.0
    msg = f"{name}: invalid beta parameter at index {index}: 1.0 (must be in [0, 1))"
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        getattr(optim, name)([_param(1.0)], betas=tuple(betas))


def test_adadelta_rho_bounds():
    """rho in [0, 1], both ends included. Kills ``0.0 < rho``, ``rho < 1.0``,
    ``rho <= 2.0`` and the message mutants (``ValueError(None)``, ...)."""
    for rho in (0.0, 1.0):
        assert optim.Adadelta([_param(1.0)], rho=rho).defaults["rho"] == rho
    for rho in (-0.01, 1.5):
        msg = f"Adadelta: invalid rho value {rho} (must be in [0, 1])"
        with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
            optim.Adadelta([_param(1.0)], rho=rho)


@pytest.mark.parametrize("etas", [(0.0, 1.2), (1.0, 1.2), (0.5, 1.0), (1.2, 1.5)])
def test_rprop_eta_bounds(etas):
    """0 < etaminus < 1 < etaplus, every inequality strict. Kills ``0.0 <= etas[0]``,
    ``etas[0] <= 1.0``, ``1.0 <= etas[1]`` and the message mutants."""
    msg = f"Rprop: invalid eta values {etas} (need 0 < etaminus < 1 < etaplus)"
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        optim.Rprop([_param(1.0)], etas=etas)


def _asgd_reference(p, grads, lr, lambd, alpha, t0):
    """ASGD in NumPy, with eta and mu as float32 scalars (PyTorch's state)."""
    p = p.copy()
    ax = np.zeros_like(p)
    eta, mu = np.float32(lr), np.float32(1.0)
    out = []
    for t, g in enumerate(grads, 1):
        p *= 1 - lambd * float(eta)
        p -= float(eta) * g
        if float(mu) != 1:
            ax += (p - ax) * float(mu)
        else:
            ax[...] = p
        eta = np.float32(lr / ((1 + lambd * lr * t) ** alpha))
        mu = np.float32(1 / max(1, t - t0))
        out.append((p.copy(), ax.copy(), float(eta), float(mu)))
    return out


@pytest.mark.parametrize("t0", [2, 1e6])
def test_asgd_averaged_parameters(t0):
    """``state["ax"]``, ``eta`` and ``mu`` after each step equal the NumPy reference
    (bit for bit: the same operations in the same order). With ``t0=2`` the average
    starts at step 4 (mu = 1/2, 1/3, ...). Kills ASGD ``_update``'s ``mu == 1``,
    ``mu != 2``, ``ax = ...``/``ax -= ...``/``/ mu``/``p + ax``, ``ax[...] = None``, the
    ``mu`` formula mutants (``1 * max``, ``2 /``, ``max(2, ...)``, ``step + t0``) and the
    initial ``mu`` of 2.0."""
    r = np.random.default_rng(3)
    p0 = r.standard_normal(7)
    grads = [r.standard_normal(7) for _ in range(7)]
    p = ag.tensor(p0.copy(), requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.01, alpha=0.5, t0=t0)
    for g, (p_ref, ax_ref, eta_ref, mu_ref) in zip(
            grads, _asgd_reference(p0, grads, 0.1, 0.01, 0.5, t0), strict=True):
        p.grad = ag.tensor(g)
        opt.step()
        state = opt.state[p]
        np.testing.assert_array_equal(p.numpy(), p_ref)
        np.testing.assert_array_equal(state["ax"].numpy(), ax_ref)
        assert float(state["eta"].item()) == eta_ref and float(state["mu"].item()) == mu_ref


def test_rprop_float32_step_sizes_and_the_lower_clamp():
    """Float32 parameters keep float32 step sizes grown in float32 arithmetic (as
    PyTorch's ``step_size.mul_``), and the steps shrink to ``step_min`` and stay there
    when the gradient's sign keeps changing. Kills ``factor.astype(None, ...)`` (float64
    products rounded once) and ``xp.clip(step_size, None, ...)``."""
    p = _param(0.5, -0.25, 0.125, dtype=np.float32)
    opt = optim.Rprop([p], lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-3, 50))
    step = np.full(3, 0.01, np.float32)
    for _ in range(6):  # the same sign every time: the steps grow by etaplus
        p.grad = ag.tensor(np.array([1.0, -2.0, 3.0], np.float32))
        opt.step()
    for _ in range(5):
        step = step * np.float32(1.2)
    state = opt.state[p]
    assert state["step_size"].dtype == ag.float32
    np.testing.assert_array_equal(state["step_size"].numpy(), step)
    for i in range(12):  # the sign flips every step: halved, clamped at step_min
        p.grad = ag.tensor(np.array([1.0, -2.0, 3.0], np.float32) * (-1) ** (i + 1))
        opt.step()
    np.testing.assert_array_equal(state["step_size"].numpy(), np.full(3, 1e-3, np.float32))


@pytest.mark.parametrize("momentum,centered,keys", [
    (0.0, False, ["square_avg", "step"]),
    (0.5, False, ["momentum_buffer", "square_avg", "step"]),
    (0.0, True, ["grad_avg", "square_avg", "step"]),
])
def test_rmsprop_state_keys(momentum, centered, keys):
    """PyTorch's state keys: a momentum buffer only with momentum > 0. Kills
    ``momentum >= 0`` in ``_update``."""
    p = _param(1.0, 2.0)
    opt = optim.RMSprop([p], momentum=momentum, centered=centered)
    p.grad = ag.tensor(np.array([0.5, -1.0]))
    opt.step()
    assert sorted(opt.state[p]) == keys


def test_adagrad_state_recreated_after_a_load_without_it():
    """A state dict without state (a fresh optimizer's, as PyTorch's Adagrad would not
    produce but a hand-made one may): the next step re-creates ``sum`` at
    ``initial_accumulator_value``. Kills ``_init_state(p, sum=None)`` and
    ``_init_state(p, )`` in ``_update``."""
    p = _param(1.0, -2.0)
    opt = optim.Adagrad([p], lr=0.5, initial_accumulator_value=3.0)
    sd = opt.state_dict()
    sd["state"] = {}
    opt.load_state_dict(sd)
    assert p not in opt.state
    p.grad = ag.tensor(np.array([1.0, 2.0]))
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), [4.0, 7.0])
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.5 / (2.0 + 1e-10),
                                           -2.0 - 0.5 * 2 / (np.sqrt(7.0) + 1e-10)],
                               rtol=1e-15)
