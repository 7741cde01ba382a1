"""Tests written against surviving mutants of ``autograd/ops/products.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/products.py``): exact errors naming the op and
the argument, ``vdot``'s conjugate, ``inner`` of a 0-d tensor, ``tensordot``'s ``dims``
forms, ``chain_matmul``'s forms, the fused products' defaults. Expected values are
PyTorch 2.13's (hard-coded); each docstring names the mutants it kills. Bug fixed: with
``beta=0`` a shape mismatch of the fused products did not name the op."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)
V = ag.arange(3.0)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.mm(X, 1.0), TypeError,
     'mm: mat2 must be a Tensor, got float'),
    (lambda: ag.mm(V, X), RuntimeError,
     'mm: self must be a 2-D tensor, got shape (3,)'),
    (lambda: ag.mm(X, ag.zeros(2, 2)), RuntimeError,
     'mm: shapes (2, 3) and (2, 2) cannot be multiplied (3 != 2)'),
    (lambda: ag.mm(X, ag.zeros(3, 2, dtype=ag.float64)), RuntimeError,
     'mm: expected both operands to have one dtype, got float32 and float64'),
    (lambda: ag.bmm(X, X), RuntimeError,
     'bmm: self must be a 3-D tensor, got shape (2, 3)'),
    (lambda: ag.bmm(ag.zeros(2, 2, 3), ag.zeros(2, 2)), RuntimeError,
     'bmm: mat2 must be a 3-D tensor, got shape (2, 2)'),
    (lambda: ag.bmm(ag.zeros(2, 2, 3), ag.zeros(3, 3, 2)), RuntimeError,
     'bmm: batch sizes differ: (2, 2, 3) and (3, 3, 2)'),
    (lambda: ag.bmm(ag.zeros(2, 2, 3), ag.zeros(2, 2, 2)), RuntimeError,
     'bmm: shapes (2, 2, 3) and (2, 2, 2) cannot be multiplied (3 != 2)'),
    (lambda: ag.mv(V, V), RuntimeError,
     'mv: self must be a 2-D tensor, got shape (3,)'),
    (lambda: ag.mv(X, X), RuntimeError,
     'mv: vec must be a 1-D tensor, got shape (2, 3)'),
    (lambda: ag.mv(X, ag.zeros(2)), RuntimeError,
     'mv: shapes (2, 3) and (2,) cannot be multiplied (3 != 2)'),
    (lambda: ag.mv(X, [1.0]), TypeError,
     'mv: vec must be a Tensor, got list'),
    (lambda: ag.dot(X, V), RuntimeError,
     'dot: self must be a 1-D tensor, got shape (2, 3)'),
    (lambda: ag.dot(V, X), RuntimeError,
     'dot: tensor must be a 1-D tensor, got shape (2, 3)'),
    (lambda: ag.dot(V, ag.zeros(2)), RuntimeError,
     'dot: shapes (3,) and (2,) cannot be multiplied (3 != 2)'),
    (lambda: ag.vdot(X, V), RuntimeError,
     'vdot: self must be a 1-D tensor, got shape (2, 3)'),
    (lambda: ag.vdot(V, X), RuntimeError,
     'vdot: other must be a 1-D tensor, got shape (2, 3)'),
    (lambda: ag.vdot(V, ag.zeros(2)), RuntimeError,
     'vdot: shapes (3,) and (2,) cannot be multiplied (3 != 2)'),
    (lambda: ag.tensordot(X, X, 3), RuntimeError,
     'tensordot: dims=3 out of range for shapes (2, 3) and (2, 3)'),
    (lambda: ag.tensordot(X, X, -1), RuntimeError,
     'tensordot: dims=-1 out of range for shapes (2, 3) and (2, 3)'),
    (lambda: ag.tensordot(X, X, ([2], [0])), IndexError,
     'tensordot: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.tensordot(X, X, ([0], [2])), IndexError,
     'tensordot: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.tensordot(X, X, ([1], [1, 0])), RuntimeError,
     'tensordot: contracted dims [1] of (2, 3) and [1, 0] of (2, 3) must pair up with '
     'equal sizes'),
    (lambda: ag.tensordot(X, X, ([1], [0])), RuntimeError,
     'tensordot: contracted dims [1] of (2, 3) and [0] of (2, 3) must pair up with '
     'equal sizes'),
    (lambda: ag.chain_matmul(), RuntimeError,
     'chain_matmul: expected at least one matrix'),
    (lambda: ag.chain_matmul(V), RuntimeError,
     'chain_matmul: matrices[0] must be a 2-D tensor, got shape (3,)'),
    (lambda: ag.chain_matmul(X, V), RuntimeError,
     'chain_matmul: matrices[1] must be a 2-D tensor, got shape (3,)'),
    (lambda: ag.addmm(ag.zeros(4, 4), X.t(), X, beta=0), RuntimeError,
     "addmm: input of shape (4, 4) does not broadcast to the product's shape (3, 3)"),
    (lambda: ag.addmv(ag.zeros(4), X, V, beta=0), RuntimeError,
     "addmv: input of shape (4,) does not broadcast to the product's shape (2,)"),
    (lambda: ag.addbmm(ag.zeros(4, 4), ag.zeros(1, 2, 3), ag.zeros(1, 3, 2), beta=0), RuntimeError,
     "addbmm: input of shape (4, 4) does not broadcast to the product's shape (2, 2)"),
    (lambda: ag.baddbmm(ag.zeros(4, 4), ag.zeros(1, 2, 3), ag.zeros(1, 3, 2), beta=0), RuntimeError,
     "baddbmm: input of shape (4, 4) does not broadcast to the product's shape (1, 2, "
     '2)'),
    (lambda: ag.addr(ag.zeros(4, 4), V, V, beta=0), RuntimeError,
     "addr: input of shape (4, 4) does not broadcast to the product's shape (3, 3)"),
])
def test_product_errors_are_exact(call, kind, text):
    """The op and argument names given to ``_need``/``_inner_match``/``normalize_dim``
    (mm, bmm, mv, dot, vdot, tensordot, chain_matmul #15-#42), tensordot's range and
    pairing checks (#5, #45, #53-#55), chain_matmul's empty call (#8-#10) and the fused
    products' broadcast check."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_vdot_conjugates_the_first_operand_and_inner_of_0d():
    """vdot conjugates ``a`` for complex inputs (#41-#44), dot does not; ``inner`` with a
    0-d operand is a product (#1-#6), else it contracts the last dims (#15)."""
    a, b = ag.tensor([1 + 2j, 3j]), ag.tensor([2 - 1j, 1 + 1j])
    assert ag.vdot(a, b).item() == 3 - 8j
    assert ag.dot(a, b).item() == 1 + 6j
    assert ag.vdot(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])).item() == 11.0
    assert ag.inner(ag.tensor(2.0), ag.tensor([1.0, 3.0])).tolist() == [2.0, 6.0]
    assert ag.inner(ag.tensor([1.0, 3.0]), ag.tensor(2.0)).tolist() == [2.0, 6.0]
    got = ag.inner(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), ag.tensor([[1.0, 0.0], [1.0, 1.0]]))
    assert got.tolist() == [[1.0, 3.0], [3.0, 7.0]]
    got = ag.inner(ag.tensor([[1.0, 2.0, 3.0]]), ag.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]))
    assert got.tolist() == [[7.0, 2.0]]
    a3, b3 = np.arange(6.0).reshape(2, 3), np.arange(24.0).reshape(2, 4, 3)
    got = ag.inner(ag.tensor(a3), ag.tensor(b3))  # the last dim of b, not dim 1 (#15)
    assert got.shape == (2, 2, 4) and np.array_equal(got.numpy(), np.inner(a3, b3))


def test_tensordot_dims_forms():
    """The default ``dims=2`` (#1), ``dims`` equal to the smaller ndim (#5: ``>=``), 0
    (an outer product), an int, lists of one int (#24), 0-d operands (#68-#105)."""
    x = ag.arange(24.0).reshape(2, 3, 4)
    y = ag.arange(12.0).reshape(3, 4)
    assert ag.tensordot(x, y).tolist() == [506.0, 1298.0]
    assert ag.tensordot(y, y, 2).item() == float((np.arange(12.0) ** 2).sum())
    assert ag.tensordot(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0]), 0).tolist() == [
        [3.0, 4.0], [6.0, 8.0]]
    assert ag.tensordot(x, ag.arange(8.0).reshape(4, 2), 1).shape == (2, 3, 2)
    assert ag.tensordot(x, ag.arange(6.0).reshape(3, 2), ([1], [0])).shape == (2, 4, 2)
    assert ag.tensordot(x, ag.arange(6.0).reshape(3, 2), (1, 0)).shape == (2, 4, 2)
    assert ag.tensordot(ag.tensor(2.0), ag.tensor([1.0, 3.0]), 0).tolist() == [2.0, 6.0]
    assert ag.tensordot(ag.tensor([1.0, 3.0]), ag.tensor(2.0), 0).tolist() == [2.0, 6.0]


def test_chain_matmul_forms():
    """A list of matrices (#1-#6), one matrix, three (the index in the loop, #29, #31)."""
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert ag.chain_matmul([a, a]).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert ag.chain_matmul(a).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert ag.chain_matmul((a,)).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert ag.chain_matmul(a, a, a).tolist() == [[37.0, 54.0], [81.0, 118.0]]
    with pytest.raises(RuntimeError) as err:
        ag.chain_matmul(a, a, V)
    assert str(err.value) == "chain_matmul: matrices[2] must be a 2-D tensor, got shape (3,)"


def test_fused_products_defaults_and_scales():
    """``beta`` and ``alpha`` default to 1 (addmm #1, #2, baddbmm #2, ...), scale when
    given, and ``beta=0`` ignores NaN in the input, as PyTorch 2.13."""
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    one = ag.ones(2, 2)
    assert ag.addmm(one, a, a).tolist() == [[8.0, 11.0], [16.0, 23.0]]
    assert ag.addmm(one, a, a, beta=2, alpha=3).tolist() == [[23.0, 32.0], [47.0, 68.0]]
    nan = ag.full((2, 2), float("nan"))
    assert ag.addmm(nan, a, a, beta=0).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert ag.addmv(ag.ones(2), a, ag.tensor([1.0, 1.0])).tolist() == [4.0, 8.0]
    b = a.reshape(1, 2, 2)
    assert ag.baddbmm(one, b, b).tolist() == [[[8.0, 11.0], [16.0, 23.0]]]
    assert ag.addbmm(one, b, b).tolist() == [[8.0, 11.0], [16.0, 23.0]]
    assert ag.addr(one, ag.tensor([1.0, 2.0]), ag.tensor([1.0, 3.0])).tolist() == [
        [2.0, 4.0], [3.0, 7.0]]
