"""Bad input to the issue-12 tensor ops raises a precise exception naming the op and
what was expected (never NumPy's own message, never a silent broadcast)."""

from __future__ import annotations

import pytest

import autograd as ag

x = ag.zeros(3, 4)
idx = ag.tensor


CASES = [
    (lambda: ag.gather(x, 1, idx([[0, 5]])), IndexError, r"gather: index values span \[0, 5\]"),
    (lambda: ag.gather(x, 1, idx([0, 1])), RuntimeError, "gather: index has 1 dimensions"),
    (lambda: ag.gather(x, 1, idx([[0.5]])), TypeError, "gather: index must be an integer"),
    (lambda: ag.scatter_add(x, 0, idx([[0, 1]]), ag.ones(1, 1)), RuntimeError,
     "scatter_add: src of shape"),
    (lambda: ag.scatter_reduce(x, 0, idx([[0]]), ag.ones(1, 1), "max"), ValueError,
     "scatter_reduce: reduce must be one of"),
    (lambda: ag.index_add(x, 0, idx([0]), ag.ones(2, 4)), RuntimeError,
     r"index_add: source has shape \(2, 4\), expected \(1, 4\)"),
    (lambda: ag.masked_scatter(x, x > -1, ag.ones(3)), RuntimeError,
     "masked_scatter: mask selects 12 elements"),
    (lambda: ag.topk(x, 5), RuntimeError, "topk: k=5 is out of range for dimension 1"),
    (lambda: ag.kthvalue(x, 0), RuntimeError, "kthvalue: k=0"),
    (lambda: ag.mm(x, x), RuntimeError, r"mm: shapes \(3, 4\) and \(3, 4\) cannot be"),
    (lambda: ag.bmm(x, x), RuntimeError, "bmm: self must be a 3-D tensor"),
    (lambda: ag.dot(ag.ones(3), ag.ones(4)), RuntimeError, "dot: shapes"),
    (lambda: ag.tensordot(x, x, 3), RuntimeError, "tensordot: dims=3 out of range"),
    (lambda: x.repeat(2), RuntimeError, "repeat: 1 repeat counts for a tensor of 2"),
    (lambda: ag.roll(x, (1, 2), (0,)), RuntimeError, "roll: shifts"),
    (lambda: ag.tril(ag.ones(3)), RuntimeError, "tril: input must have at least 2"),
    (lambda: ag.meshgrid(ag.ones(2, 2)), RuntimeError, "meshgrid: expected 0-D or 1-D"),
    (lambda: ag.cross(ag.ones(2, 4), ag.ones(2, 4)), RuntimeError, "cross: no dimension of size"),
    (lambda: ag.bincount(idx([-1, 2])), RuntimeError, "bincount: input must be non-negative"),
    (lambda: ag.searchsorted(ag.ones(2, 3), ag.ones(3, 3)), RuntimeError,
     "searchsorted: leading dimensions"),
    (lambda: ag.multinomial(ag.tensor([0.0, 0.0]), 1), RuntimeError,
     "multinomial: every row of weights must have a positive sum"),
    (lambda: ag.multinomial(ag.tensor([1.0, 0.0]), 2), RuntimeError,
     "multinomial: cannot draw 2 samples without replacement"),
    (lambda: ag.quantile(x, 1.5), RuntimeError, r"quantile: q must be .* in \[0, 1\]"),
    (lambda: ag.norm(x, "nuc"), ValueError, "norm: p='nuc' is not a vector norm"),
    (lambda: ag.cov(ag.zeros(2, 2, 2)), RuntimeError, "cov: expected a tensor of at most 2"),
    (lambda: ag.diagonal_scatter(x, ag.ones(2), 0), RuntimeError,
     r"diagonal_scatter: src has shape \(2,\), expected \(3,\)"),
    (lambda: ag.index_copy(x, 1, idx([0]), ag.ones(3, 2)), RuntimeError,
     "index_copy: source has shape"),
    (lambda: ag.vsplit(ag.ones(3), 1), RuntimeError, "vsplit: needs at least 2 dimensions"),
    (lambda: ag.hsplit(x, 3), RuntimeError, "hsplit: dimension 1 of size 4 is not divisible"),
    (lambda: ag.gcd(x, x), RuntimeError, "gcd: expected integer or bool tensors"),
    (lambda: ag.sum_to_size(x, 2, 4), RuntimeError, "sum_to_size: size"),
]


@pytest.mark.parametrize("call, exc, pattern", CASES, ids=[c[2][:40] for c in CASES])
def test_bad_input_names_the_op(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
