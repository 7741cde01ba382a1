"""Mutation semantics against PyTorch: each program runs on both engines, which must
agree on the values, the gradients, and whether backward raises (PyTorch raises for a
saved tensor changed in place, and for nothing else). Skipped without PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


def _run(lib, program):
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    try:
        out = program(lib, x)
        out.sum().backward()
    except RuntimeError as exc:  # ag.BackwardError is a RuntimeError
        return "raised", str(exc)
    return np.array(out.tolist()), np.array(x.grad.tolist())


def _ip(fn):
    """``fn(y)`` on ``y = x * 2`` (an intermediate), then ``y``."""
    return lambda lib, x: (lambda y: (fn(lib, y), y)[1])(x * 2)


PROGRAMS = {
    # in-place on intermediates
    "add_then_mul_": _ip(lambda lib, y: y.add_(1).mul_(3)),
    "mul_by_other": lambda lib, x: (x * 1).mul_(x.detach() + 1),
    "exp_": _ip(lambda lib, y: y.exp_()),
    "sigmoid_then_read": lambda lib, x: (lambda y: y.sigmoid_() * 2)(x * 1),
    "clamp_": _ip(lambda lib, y: y.clamp_(-1.0, 2.0)),
    "div_": _ip(lambda lib, y: y.div_(x_const(lib))),
    "zero_": _ip(lambda lib, y: y.zero_()),
    "copy_": lambda lib, x: (x * 0).copy_(x * x),
    "masked_fill_": _ip(lambda lib, y: y.masked_fill_(y > 1, 0.5)),
    "iadd": lambda lib, x: _iadd(x * 1, x),
    # views of intermediates: the base gets the right gradient (CopySlices)
    "setitem_row": _ip(lambda lib, y: y.__setitem__(0, 0.0)),
    "setitem_scalar": _ip(lambda lib, y: y.__setitem__((1, 2), 7.0)),
    "setitem_mask": _ip(lambda lib, y: y.__setitem__(y < 0, 0.0)),
    "setitem_index": _ip(lambda lib, y: y.__setitem__(lib.tensor([1]), -1.0)),
    "setitem_from_graph": lambda lib, x: (lambda y: (y.__setitem__(
        (slice(None), 0), x[:, 1] * 3), y)[1])(x * 1),
    "view_mul_": _ip(lambda lib, y: y[:, 1:].mul_(y[:, :2].detach())),
    "transpose_view_add_": _ip(lambda lib, y: y.t()[2].add_(10)),
    "view_reshape_then_slice": _ip(lambda lib, y: y.view(6)[1:4].mul_(-1)),
    "diagonal_mul_": _ip(lambda lib, y: y.diagonal().mul_(5)),
    "narrow_exp_": _ip(lambda lib, y: y.narrow(1, 0, 2).exp_()),
    "view_then_base_changed": lambda lib, x: (lambda y: (lambda v: (y.mul_(2), v * 1)[1])(
        y[0]))(x * 1),
    "sibling_views": lambda lib, x: (lambda y: (y[:, :2].mul_(3), y[:, 1:] * 1)[1])(x * 1),
    # saved tensors changed in place: raise exactly where PyTorch raises
    "saved_input_of_mul": lambda lib, x: (lambda y: (lambda z: (y.add_(1), z)[1])(y * y))(
        x * 1),
    "saved_output_of_exp": lambda lib, x: (lambda e: (lambda z: (e.add_(1), z)[1])(e * 1))(
        (x * 1).exp()),
    "input_of_add_changed": lambda lib, x: (lambda y: (lambda z: (y.mul_(2), z)[1])(y + 1))(
        x * 1),
    "input_of_exp_changed": lambda lib, x: (lambda y: (lambda z: (y.mul_(2), z)[1])(
        y.exp()))(x * 1),
    "input_of_sin_changed": lambda lib, x: (lambda y: (lambda z: (y.mul_(2), z)[1])(
        y.sin()))(x * 1),
    "view_of_saved_changed": lambda lib, x: (lambda y: (lambda z: (y[0].add_(1), z)[1])(
        y * y))(x * 1),
    "saved_tanh_output_changed_by_view": lambda lib, x: (lambda t: (lambda z: (
        t[1].zero_(), z)[1])(t * 1))((x * 1).tanh()),
    "leaf_changed_under_no_grad": lambda lib, x: (lambda z: (_no_grad_set(lib, x), z)[1])(
        x * x),
    "leaf_changed_input_of_add": lambda lib, x: (lambda z: (_no_grad_set(lib, x), z)[1])(
        x + 1),
    "detached_alias_changed": lambda lib, x: (lambda z: (x.detach().add_(1), z)[1])(x * x),
    # .data: the same storage, a version counter of its own (not seen by backward)
    "data_of_leaf_add_": lambda lib, x: (lambda z: (x.data.add_(1), z)[1])(x * x),
    "data_of_saved_output_mul_": lambda lib, x: (lambda e: (lambda z: (e.data.mul_(2), z)[1])(
        e * 1))((x * 1).exp()),
    "data_setitem_of_intermediate": _ip(lambda lib, y: y.data.__setitem__(0, 3.0)),
    "mul_self": lambda lib, x: (lambda y: y.mul_(y))(x * 1),
    "retain_grad_across_inplace": lambda lib, x: _retain(x),
}


def x_const(lib):
    return lib.tensor([2.0, -4.0, 0.5], dtype=lib.float64)


def _iadd(y, x):
    y += x * x
    return y


def _no_grad_set(lib, x):
    with lib.no_grad():
        x[0, 0] = 100.0


def _retain(x):
    y = x * 1
    y.mul_(3)
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    g = y.grad * 1
    x.grad = None
    return g * 0 + y  # the values of y.grad are compared through the output below


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_same_values_gradients_and_errors_as_pytorch(name):
    ours = _run(ag, PROGRAMS[name])
    theirs = _run(torch, PROGRAMS[name])
    raised = [isinstance(r[0], str) for r in (ours, theirs)]
    if any(raised):
        assert all(raised), (name, ours, theirs)
        return
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, err_msg=name)


def test_retain_grad_values_across_inplace_match():
    grads = []
    for lib in (ag, torch):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = x * 1
        y.mul_(3)
        y.retain_grad()
        (y * y).sum().backward()
        grads.append(np.array(y.grad.tolist()))
    np.testing.assert_allclose(grads[0], grads[1])


def test_iadd_on_parameter_matches():
    import nn

    results = []
    for lin in (nn.Linear(3, 2), torch.nn.Linear(3, 2)):
        w = lin.weight
        before = np.array(w.tolist())
        ctx = ag.no_grad() if isinstance(w, ag.Tensor) else torch.no_grad()
        with ctx:
            w += 1.0
            w *= 2.0
        results.append(np.array(lin.weight.tolist()) - 2 * (before + 1))
        assert lin.weight is w
    np.testing.assert_allclose(results[0], 0.0, atol=1e-6)  # float32 parameters
    np.testing.assert_allclose(results[1], 0.0, atol=1e-6)


def test_view_of_leaf_changed_under_no_grad_matches():
    outs = []
    for lib in (ag, torch):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        v = x[1]
        with lib.no_grad():
            v.mul_(10)
        (x * x).sum().backward()
        outs.append((np.array(x.tolist()), np.array(x.grad.tolist()), v._version))
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2]


def test_versions_and_bases_match():
    for make in (lambda lib, x: x[0], lambda lib, x: x.t(), lambda lib, x: x.view(6),
                 lambda lib, x: x.diagonal(), lambda lib, x: x[:, None].expand(2, 4, 3)):
        info = []
        for lib in (ag, torch):
            x = lib.zeros(2, 3)
            v = make(lib, x)
            x.add_(1)
            x[0, 0] = 5.0
            info.append((v._version, v._base is x, v.is_contiguous(), tuple(v.stride()),
                         v.storage_offset()))
        assert info[0] == info[1]


def test_pow_output_changed_in_place_does_not_raise_as_pytorch():
    grads = []
    for lib in (ag, torch):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = x * 1
        y[1, 1].pow_(2)
        y.add_(0.5)
        y.sum().backward()
        grads.append(np.array(x.grad.tolist()))
    np.testing.assert_allclose(grads[0], grads[1])


def _index_program(lib):
    x = lib.tensor(np.arange(12.0).reshape(3, 4), dtype=lib.float64, requires_grad=True)
    s = lib.tensor(np.arange(6.0).reshape(3, 2) + 1, dtype=lib.float64, requires_grad=True)
    y = x * 1
    y.index_add_(1, lib.tensor([3, 1]), s * 2)
    y.index_copy_(0, lib.tensor([2]), lib.cat([s.t()[:1], s.t()[:1, :1]], 1))
    y.index_fill_(1, lib.tensor([0]), -1.0)
    y.scatter_(0, lib.tensor([[0, 1, 2, 0]]), s.t()[:1, :1].expand(1, 4) * 3)
    y.scatter_add_(1, lib.tensor([[0], [0], [3]]), s[:, :1])
    y.masked_scatter_(y > 20, s * 10)
    y.scatter_reduce_(0, lib.tensor([[1, 1, 0, 0]]),
                      lib.cat([s.t()[:1] * 7, s.t()[:1, :1]], 1), "amax")
    (y * lib.tensor(np.arange(12.0).reshape(3, 4), dtype=lib.float64)).sum().backward()
    return [np.array(t.tolist()) for t in (y.detach(), x.grad, s.grad)]


def test_index_and_scatter_ops_in_place_match():
    for ours, theirs in zip(_index_program(ag), _index_program(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
