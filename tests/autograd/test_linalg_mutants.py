"""Tests written against surviving mutants of ``autograd/ops/linalg.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/linalg.py``): exact errors of ``matmul`` and
``einsum``, 1-D operands against batched ones, ``einsum``'s spaces, ellipses, implicit
output, list operands and promotion, gradients of one operand only. Expected values are
exact (NumPy's, as PyTorch 2.13 gives them); each docstring names the mutants it kills."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.matmul(ag.ones(2, 2), "a"), TypeError,
     'matmul: unsupported operand of type str'),
    (lambda: ag.matmul(ag.ones(2, 2), 2.0), TypeError,
     'matmul: both operands must be tensors, not scalars'),
    (lambda: ag.matmul(2.0, ag.ones(2, 2)), TypeError,
     'matmul: both operands must be tensors, not scalars'),
    (lambda: ag.matmul(ag.tensor(1.0), ag.ones(2)), RuntimeError,
     'matmul: both arguments need at least 1 dimension, got shapes () and (2,)'),
    (lambda: ag.matmul(ag.ones(2), ag.tensor(1.0)), RuntimeError,
     'matmul: both arguments need at least 1 dimension, got shapes (2,) and ()'),
    (lambda: ag.matmul(ag.ones(2, 3), ag.ones(4)), ValueError,
     'matmul: shapes (2, 3) and (4,) are not aligned: 3 (dim -1 of the first) != 4 '
     '(dim 0 of the second)'),
    (lambda: ag.matmul(ag.ones(2, 3), ag.ones(4, 2)), ValueError,
     'matmul: shapes (2, 3) and (4, 2) are not aligned: 3 (dim -1 of the first) != 4 '
     '(dim -2 of the second)'),
    (lambda: ag.matmul(ag.zeros(2, 3, 4), ag.zeros(3, 4, 5)), ValueError,
     'matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 5) do not broadcast'),
    (lambda: ag.einsum("ij,jk", ag.ones(2, 2)), ValueError,
     "einsum: equation 'ij,jk' names 2 operands, got 1"),
    (lambda: ag.einsum("ijk", ag.ones(2, 2)), ValueError,
     "einsum: operand subscripts 'ijk' do not match its shape (2, 2)"),
    (lambda: ag.einsum("i,i", ag.ones(2), "a"), TypeError,
     'einsum: unsupported operand of type str'),
    (lambda: ag.einsum("i,i", ag.ones(2), ag.ones(3)), ValueError,
     "einsum: subscript 'i' has size 2 in one operand and 3 in another ('i,i' with "
     'shapes [(2,), (3,)])'),
])
def test_matmul_einsum_errors_are_exact(call, kind, text):
    """The whole message: matmul's op name to ``promote`` (#4-#9), its scalar check
    (#10: ``and``; #13-#15), 0-d check (#16, #21-#23), alignment message and the dim it
    names for 1-D and 2-D second operands (#37-#48), batch broadcast check (#60, #61,
    #66-#68); einsum's operand count (``_parse_einsum`` #16), subscripts (#61, #62),
    op name to ``promote`` (einsum #20-#26) and size mismatch (#46, #47)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_matmul_of_a_vector_and_a_batch():
    """A 1-D operand against a batched one removes only its own added dimension
    (matmul #77, #88: ``squeeze(None)``; #96: ``squeeze(1)``), as ``numpy.matmul``."""
    a = np.arange(12.0).reshape(1, 3, 4)
    v = np.array([1.0, 2.0, 3.0])
    w = np.array([1.0, -1.0, 2.0, 0.5])
    assert np.array_equal(ag.matmul(ag.tensor(v), ag.tensor(a)).numpy(), v @ a)
    assert ag.matmul(ag.tensor(v), ag.tensor(a)).shape == (1, 4)
    b = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(ag.matmul(ag.tensor(b), ag.tensor(w)).numpy(), b @ w)
    assert ag.matmul(ag.tensor(a.transpose(0, 2, 1)), ag.tensor(v)).shape == (1, 4)


def test_einsum_equation_forms():
    """Spaces (``_parse_einsum`` #6, #7), an ellipsis of two dims (#38) broadcast
    against an operand with none (#47, #49, #59), the implicit output (#73, #84: letters
    seen once, sorted), a list of operands (einsum #2-#6) and promotion of every operand
    to the common dtype (#14, #15: int64 and float32 give float32, as PyTorch)."""
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    A, B = ag.tensor(a), ag.tensor(b)
    assert np.array_equal(ag.einsum(" ij , jk -> ik", A, B).numpy(), a @ b)
    assert np.array_equal(ag.einsum("ij,jk", A, B).numpy(), a @ b)
    assert np.array_equal(ag.einsum("ji", A).numpy(), a.T)  # implicit: sorted, "ij"
    x = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(ag.einsum("...ij->...ji", ag.tensor(x.reshape(1, 2, 3, 4))).numpy(),
                          x.reshape(1, 2, 3, 4).swapaxes(-1, -2))
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert np.array_equal(ag.einsum("...i,...i->...", ag.tensor(x), ag.tensor(y)).numpy(),
                          np.einsum("...i,...i->...", x, y))
    assert np.array_equal(ag.einsum("ij->ji", [A]).numpy(), a.T)
    out = ag.einsum("i,i->", ag.tensor([1, 2]), ag.tensor([0.5, 1.0]))
    assert out.dtype == ag.float32 and out.item() == 2.5
    out = ag.einsum("i,i,i->", ag.tensor([1.0]), ag.tensor([2.0]), ag.tensor([3]))
    assert out.dtype == ag.float32 and out.item() == 6.0


def test_einsum_gradient_of_the_second_operand_only():
    """Einsum.backward skips an operand that needs no gradient and goes on to the next
    (#7: ``break``), and a diagonal read gives its gradient back in the input's dtype."""
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = ag.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    ag.einsum("ij,jk->ik", a, b).sum().backward()
    assert np.array_equal(b.grad.numpy(), [[4.0, 4.0], [6.0, 6.0]])
    x = ag.ones(3, 3, requires_grad=True)
    ag.einsum("ii->i", x).sum().backward()
    assert x.grad.dtype == ag.float32
    assert np.array_equal(x.grad.numpy(), np.eye(3))
