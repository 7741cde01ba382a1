"""``Optimizer``'s base class: exact errors of add_param_group / load_state_dict, the
state_dict's contents, zero_grad, __repr__. Written against mutation testing (issue 18):
each test names the planted change it catches."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import optim
from optim.optimizer import Optimizer, _cast_state, required


def leaf(*shape, fill=1.0, dtype=np.float64):
    return ag.tensor(np.full(shape, fill, dtype), requires_grad=True)


def test_required_repr_and_missing_required_hyperparameter():
    """Breaks if the required marker's repr or the missing-default check changes."""
    assert repr(required) == "<required parameter>"
    w = leaf(2)
    with pytest.raises(ValueError, match=re.escape(
            "SGD: parameter group didn't specify a value of required optimization "
            "parameter 'lr'")):
        optim.SGD([w], lr=required)
    opt = optim.SGD([{"params": [w], "lr": 0.5}], lr=required)
    assert opt.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize("params, exc, message", [
    (leaf(2), TypeError, "SGD: params argument given to the optimizer should be an "
                         "iterable of Tensors or dicts, but got a Tensor"),
    ([], ValueError, "SGD got an empty parameter list"),
    ({leaf(2)}, TypeError, "SGD: parameters must be an ordered collection (list or tuple), "
                           "not a set, so that their order is reproducible"),
    ([{"lr": 1.0}], ValueError, "SGD.add_param_group: the group has no 'params' entry"),
    ([{"params": [leaf(2), 3.0]}], TypeError,
     "SGD can only optimize Tensors, but parameter 1 of the group is a float"),
])
def test_constructor_errors_are_exact(params, exc, message):
    """Breaks if an error type, the optimizer's name or the offending index changes."""
    if isinstance(params, set):
        params = [{"params": params}]
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        optim.SGD(params, lr=0.1)


def test_add_param_group_errors_name_the_parameter():
    """Breaks if the index, shape or producing op vanishes from the message."""
    a, b = leaf(2, 3), leaf(4)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(TypeError, match=re.escape("SGD.add_param_group: expected a dict, "
                                                  "got list")):
        opt.add_param_group([b])
    y = a * 2
    with pytest.raises(ValueError, match=re.escape(
            "SGD: can't optimize a non-leaf Tensor (parameter 1 of the group, shape (2, 3), "
            "made by MulScalarBackward); pass a leaf such as x.detach().requires_grad_()")):
        opt.add_param_group({"params": [b, y]})
    with pytest.raises(ValueError, match=re.escape(
            "SGD: parameter 2 of the group (shape (4,)) appears twice in the group")):
        opt.add_param_group({"params": [leaf(1), b, b]})
    with pytest.raises(ValueError, match=re.escape(
            "SGD: some parameters appear in more than one parameter group")):
        opt.add_param_group({"params": [b, a]})
    assert len(opt.param_groups) == 1  # nothing half-added by a failed call


def test_add_param_group_fills_defaults_and_keeps_overrides():
    """Breaks if setdefault overwrites a group's own value or a Tensor is not wrapped."""
    a, b = leaf(2), leaf(3)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    g = opt.param_groups[1]
    assert g["params"] == [b] and g["lr"] == 0.01 and g["momentum"] == 0.9
    assert opt.param_groups[0]["lr"] == 0.1
    opt.add_param_group({"params": (leaf(1), leaf(1))})  # a tuple is accepted
    assert len(opt.param_groups[2]["params"]) == 2
    assert isinstance(opt.param_groups[2]["params"], list)


def test_base_update_is_abstract():
    w = leaf(2)
    w.grad = ag.tensor(np.ones(2))
    with pytest.raises(NotImplementedError):
        Optimizer([w], {"lr": 0.1}).step()
    Optimizer([leaf(2)], {"lr": 0.1}).step()  # no gradient: nothing to update


def test_step_skips_parameters_without_grad_and_returns_closure_value():
    a, b = leaf(2), leaf(2)
    a.grad = ag.tensor(np.full(2, 2.0))
    opt = optim.SGD([a, b], lr=0.5)
    calls = []

    def closure():
        calls.append(ag.is_grad_enabled())
        return 7.0

    with ag.no_grad():
        assert opt.step(closure) == 7.0
    assert calls == [True]  # the closure runs with grad on
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])
    assert opt.step() is None


def test_grad_shape_mismatch_is_named():
    w = leaf(2, 3)
    w.grad = ag.tensor(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match=re.escape(
            "optimizer step: gradient of shape (3, 2) does not match its parameter of "
            "shape (2, 3)")):
        optim.SGD([w], lr=0.1).step()


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    """Breaks if zero_grad keeps the gradient, leaves values, or keeps its graph."""
    a, b = leaf(3), leaf(2)
    a.grad = ag.tensor(np.full(3, 5.0))
    x = leaf(3)
    b.grad = (x[:2] * 2)  # a gradient that has a graph (create_graph=True)
    opt = optim.SGD([a, b], lr=0.1)
    kept = a.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert a.grad is None and b.grad is None
    else:
        assert a.grad is kept
        np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))
        np.testing.assert_array_equal(b.grad.numpy(), np.zeros(2))
        assert b.grad.grad_fn is None and not b.grad.requires_grad
        assert not a.grad.requires_grad
    opt.zero_grad(set_to_none=set_to_none)  # a None gradient is left alone


def test_zero_grad_default_is_set_to_none():
    a = leaf(2)
    a.grad = ag.tensor(np.ones(2))
    optim.SGD([a], lr=0.1).zero_grad()
    assert a.grad is None


def _trained(opt_cls=optim.SGD, **kw):
    a, b, c = leaf(2), leaf(3), leaf(1)
    opt = opt_cls([{"params": [a, b]}, {"params": [c], "lr": 0.25}], **kw)
    for p in (a, b, c):
        p.grad = ag.tensor(np.ones(p.shape))
    opt.step()
    return opt, (a, b, c)


def test_state_dict_contents():
    """Breaks if parameter numbering, the packed groups or the state's keys change."""
    opt, (a, b, c) = _trained(lr=0.5, momentum=0.9)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.5, 0.25]
    assert set(sd["param_groups"][0]) == {"params", "lr", "momentum", "dampening",
                                          "weight_decay", "nesterov", "maximize", "foreach"}
    assert sorted(sd["state"]) == [0, 1, 2]
    for i, p in enumerate((a, b, c)):
        buf = sd["state"][i]["momentum_buffer"]
        assert buf is opt.state[p]["momentum_buffer"]  # live references, as in PyTorch
        np.testing.assert_array_equal(buf.numpy(), np.ones(p.shape))
    assert "params" in opt.param_groups[0]  # packing did not touch the live groups
    assert opt.param_groups[0]["params"][0] is a


def test_state_dict_numbers_a_parameter_once_and_skips_foreign_state():
    a, b = leaf(2), leaf(2)
    opt = optim.SGD([a, b], lr=0.1, momentum=0.5)
    opt.state[leaf(4)]["momentum_buffer"] = ag.tensor(np.ones(4))  # not a parameter
    opt.state[b]["momentum_buffer"] = ag.tensor(np.zeros(2))
    sd = opt.state_dict()
    assert list(sd["state"]) == [1]
    assert sd["param_groups"][0]["params"] == [0, 1]


def test_load_state_dict_round_trip_and_copies():
    """Breaks if loading aliases the saved tensors or maps state to the wrong parameter."""
    src, _ = _trained(lr=0.5, momentum=0.9)
    sd = src.state_dict()
    dst, (a, b, c) = _trained(lr=0.1, momentum=0.1)
    dst.load_state_dict(sd)
    assert [g["lr"] for g in dst.param_groups] == [0.5, 0.25]
    assert dst.param_groups[0]["momentum"] == 0.9
    assert dst.param_groups[0]["params"] == [a, b] and dst.param_groups[1]["params"] == [c]
    for i, p in enumerate((a, b, c)):
        loaded = dst.state[p]["momentum_buffer"]
        assert loaded is not sd["state"][i]["momentum_buffer"]
        assert loaded.shape == p.shape
    before = sd["state"][0]["momentum_buffer"].numpy().copy()
    dst.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), before)


@pytest.mark.parametrize("state_dict, message", [
    ([], "SGD.load_state_dict: expected a dict with 'state' and 'param_groups'"),
    ({"state": {}}, "SGD.load_state_dict: expected a dict with 'state' and 'param_groups'"),
    ({"state": {}, "param_groups": [{"params": [0, 1]}]},
     "SGD.load_state_dict: loaded state dict has 1 parameter groups, the optimizer has 2"),
    ({"state": {}, "param_groups": [{"params": [0, 1]}, {"params": [2, 3]}]},
     "SGD.load_state_dict: parameter group 1 has 2 parameters in the state dict but 1 in "
     "the optimizer"),
])
def test_load_state_dict_errors_are_exact(state_dict, message):
    opt, _ = _trained(lr=0.5)
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        opt.load_state_dict(state_dict)


def test_load_state_dict_json_style_and_new_defaults():
    """String ids (a JSON round trip), betas as a list, a key newer than the checkpoint,
    and state of an unknown index (dropped, as PyTorch does)."""
    a = leaf(2)
    opt = optim.Adam([a], lr=0.1, betas=(0.8, 0.9))
    saved = {"state": {"0": {"step": np.array(3.0, np.float32),
                             "exp_avg": np.full(2, 0.5, np.float32),
                             "exp_avg_sq": np.full(2, 0.25)},
                       "7": {"exp_avg": np.zeros(2)}},
             "param_groups": [{"params": ["0"], "lr": 0.01, "betas": [0.5, 0.6]}]}
    opt.load_state_dict(saved)
    g = opt.param_groups[0]
    assert g["betas"] == (0.5, 0.6) and isinstance(g["betas"], tuple)
    assert g["lr"] == 0.01 and g["eps"] == opt.defaults["eps"]
    assert g["params"] == [a]
    assert list(opt.state) == [a]
    st = opt.state[a]
    assert st["exp_avg"].dtype == np.float64  # cast to the parameter's dtype
    assert st["step"].dtype == np.float32 and float(st["step"].numpy()) == 3.0
    saved["state"]["0"]["exp_avg"][...] = 9  # the optimizer keeps its own copy
    np.testing.assert_array_equal(st["exp_avg"].numpy(), [0.5, 0.5])


def test_cast_state():
    """Breaks if a floating state value keeps its dtype, an integer one is cast, the step
    counter is cast or shared, or a plain value is wrapped."""
    p = leaf(2, dtype=np.float32)
    t = ag.tensor(np.array([1.5, 2.5]))
    out = _cast_state(t, p, "exp_avg")
    assert out.dtype == np.float32 and out is not t
    np.testing.assert_array_equal(out.numpy(), [1.5, 2.5])
    ints = np.array([1, 2], np.int64)
    out = _cast_state(ints, p, "count")
    assert out.dtype == np.int64
    ints[0] = 5
    assert out.numpy()[0] == 1
    step = ag.tensor(np.array(4.0, np.float64))
    out = _cast_state(step, p, "step")
    assert out.dtype == np.float64 and out.shape == () and out is not step
    step.array[...] = 0
    assert float(out.numpy()) == 4.0
    assert _cast_state(0.5, p, "lr") == 0.5 and _cast_state(None, p, "x") is None


def test_cast_state_torch_tensor():
    torch = pytest.importorskip("torch")
    p = leaf(3)
    out = _cast_state(torch.arange(3, dtype=torch.float32), p, "exp_avg")
    assert isinstance(out, ag.Tensor) and out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), [0, 1, 2])


def test_repr():
    """Breaks if the layout, the key order or the hidden params entry changes."""
    opt = optim.SGD([{"params": [leaf(1)]}, {"params": [leaf(1)], "lr": 0.5}], lr=0.1)
    lines = repr(opt).split("\n")
    assert lines[0] == "SGD (" and lines[-1] == ")"
    assert lines[1] == "Parameter Group 0"
    body = lines[2:9]
    assert body == ["    dampening: 0.0", "    foreach: None", "    lr: 0.1",
                    "    maximize: False", "    momentum: 0.0", "    nesterov: False",
                    "    weight_decay: 0.0"]
    assert lines[9] == "Parameter Group 1" and "    lr: 0.5" in lines[10:]
    assert len(lines) == 18


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "invalid learning rate -0.1 (must be >= 0)"),
    (dict(eps=-1e-8), "invalid epsilon value -1e-08 (must be >= 0)"),
    (dict(betas=(-0.1, 0.9)), "invalid beta parameter at index 0: -0.1 (must be in [0, 1))"),
    (dict(betas=(1.0, 0.9)), "invalid beta parameter at index 0: 1.0 (must be in [0, 1))"),
    (dict(betas=(0.9, -0.5)), "invalid beta parameter at index 1: -0.5 (must be in [0, 1))"),
    (dict(betas=(0.9, 1.0)), "invalid beta parameter at index 1: 1.0 (must be in [0, 1))"),
    (dict(weight_decay=-0.5), "invalid weight_decay value -0.5 (must be >= 0)"),
])
def test_adam_errors_are_exact(cls, kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(f"{cls.__name__}: {message}") + "$"):
        cls([leaf(2)], **kwargs)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_boundaries_and_defaults(cls):
    """Zero lr, eps, betas and weight decay are valid; betas are stored as a tuple."""
    opt = cls([leaf(2)], lr=0.0, eps=0.0, betas=[0.0, 0.0], weight_decay=0.0)
    g = opt.param_groups[0]
    assert g["betas"] == (0.0, 0.0) and isinstance(g["betas"], tuple)
    assert g["lr"] == 0.0 and g["eps"] == 0.0 and g["weight_decay"] == 0.0
    d = cls([leaf(2)]).defaults
    assert d["lr"] == 1e-3 and d["betas"] == (0.9, 0.999) and d["eps"] == 1e-8
    assert d["weight_decay"] == (1e-2 if cls is optim.AdamW else 0.0)
    assert d["amsgrad"] is False and d["maximize"] is False


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1.0), "SGD: invalid learning rate -1.0 (must be >= 0)"),
    (dict(momentum=-0.5), "SGD: invalid momentum value -0.5 (must be >= 0)"),
    (dict(weight_decay=-0.1), "SGD: invalid weight_decay value -0.1 (must be >= 0)"),
    (dict(nesterov=True), "SGD: Nesterov momentum requires a momentum and zero dampening "
                          "(got momentum=0.0, dampening=0.0)"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1),
     "SGD: Nesterov momentum requires a momentum and zero dampening (got momentum=0.9, "
     "dampening=0.1)"),
])
def test_sgd_errors_are_exact(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        optim.SGD([leaf(2)], **kwargs)
    optim.SGD([leaf(2)], lr=0.0, momentum=0.0, weight_decay=0.0)  # zeros are valid
