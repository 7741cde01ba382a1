"""Random programs of views and in-place ops on a small intermediate tensor.

Each program is ``y = x * 1`` followed by steps "take a view of ``y``, change it in
place". The values are checked against a copy-based NumPy reference written without
views (``r[idx] = op(r[idx])``), the gradient of ``(y * W).sum()`` against finite
differences (gradcheck), and, where PyTorch is installed, both against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

try:
    import torch
except ImportError:  # the copy-based reference and gradcheck still run
    torch = None

# view: (make it from y with Tensor ops, the base elements it covers as a NumPy index)
VIEWS = {
    "row1": (lambda y: y[1], (1,)),
    "col2": (lambda y: y.t()[2], (slice(None), 2)),
    "rows": (lambda y: y.narrow(0, 1, 2), (slice(1, 3),)),
    "diag": (lambda y: y.diagonal(), (np.arange(3), np.arange(3))),
    "block_t": (lambda y: y[1:, 1:3].t(), (slice(1, None), slice(1, 3))),
    "flat": (lambda y: y.view(12)[3:9], np.unravel_index(np.arange(3, 9), (3, 4))),
    "all": (lambda y: y, (Ellipsis,)),
    "elem": (lambda y: y[2, 3], (2, 3)),
}

# op: (apply in place to a view, the same on a NumPy array)
OPS = {
    "add": (lambda v: v.add_(0.5), lambda a: a + 0.5),
    "mul": (lambda v: v.mul_(-1.5), lambda a: a * -1.5),
    "sigmoid": (lambda v: v.sigmoid_(), lambda a: 1 / (1 + np.exp(-a))),
    "tanh": (lambda v: v.tanh_(), np.tanh),
    "clamp": (lambda v: v.clamp_(-0.8, 0.9), lambda a: np.clip(a, -0.8, 0.9)),
    "fill": (lambda v: v.fill_(0.25), lambda a: np.full_like(a, 0.25)),
    "square": (lambda v: v.mul_(v.clone()) if v.dim() else v.pow_(2), np.square),
    "lerp": (lambda v: v.lerp_(v.clone() * 0 + 2.0, 0.25), lambda a: a + 0.25 * (2.0 - a)),
}

# ops whose node saves its output: any later in-place change of the storage (through any
# view: the version counter is the storage's) makes backward raise, in PyTorch too
SAVES_OUTPUT = {"sigmoid", "tanh"}
W = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
programs = st.lists(st.tuples(st.sampled_from(sorted(VIEWS)), st.sampled_from(sorted(OPS))),
                    min_size=1, max_size=5)


def _run(lib, x, program):
    y = x * 1
    for view, op in program:
        OPS[op][0](VIEWS[view][0](y))
    return y


def _reference(x0, program):
    r = x0.copy()
    for view, op in program:
        idx = VIEWS[view][1]
        r[idx] = OPS[op][1](r[idx])
    return r


@settings(max_examples=40, deadline=None)
@given(programs)
def test_views_and_inplace_ops_random_programs(program):
    rng = np.random.default_rng(len(program))
    x0 = rng.uniform(-1.5, 1.5, size=(3, 4))
    x = ag.tensor(x0, dtype=ag.float64, requires_grad=True)
    y = _run(ag, x, program)
    np.testing.assert_allclose(y.numpy(), _reference(x0, program), rtol=1e-12, atol=1e-14)
    w = ag.tensor(W, dtype=ag.float64)
    must_raise = any(op in SAVES_OUTPUT for _, op in program[:-1])
    if must_raise:
        with pytest.raises(ag.BackwardError, match="needs its output 0"):
            (y * w).sum().backward()
        if torch is not None:
            xt = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                (_run(torch, xt, program) * torch.tensor(W)).sum().backward()
        return
    (y * w).sum().backward()
    assert ag.gradcheck(lambda t: (_run(ag, t, program) * w).sum(),
                        (ag.tensor(x0, dtype=ag.float64, requires_grad=True),))
    if torch is not None:
        xt = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        yt = _run(torch, xt, program)
        (yt * torch.tensor(W)).sum().backward()
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_reference_is_not_trivial():
    """The copy-based reference does change what each view covers."""
    x0 = np.arange(12.0).reshape(3, 4)
    for view in VIEWS:
        changed = _reference(x0, [(view, "add")]) != x0
        assert changed.any(), view
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(_reference(x0, [("diag", "mul")]),
                                   _reference(x0, [("row1", "mul")]))
