"""Tests written against surviving mutants of ``autograd/ops/complex.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/complex.py``): exact errors naming the op,
``angle`` of real tensors, ``complex`` broadcasting its parts, ``view_as_complex`` of one
pair, ``resolve_conj``. Expected values are PyTorch 2.13's (hard-coded)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.is_complex([1.0]), TypeError,
     'is_complex: expected a Tensor, got list'),
    (lambda: ag.complex([1.0], ag.ones(1)), TypeError,
     'complex: expected a Tensor, got list'),
    (lambda: ag.complex(ag.ones(1), [1.0]), TypeError,
     'complex: expected a Tensor, got list'),
    (lambda: ag.complex(ag.ones(1), ag.ones(1, dtype=ag.float64)), TypeError,
     'complex: expected real and imag of one dtype, float32 or float64, got float32 '
     'and float64'),
    (lambda: ag.complex(ag.ones(1, dtype=ag.float16), ag.ones(1, dtype=ag.float16)), TypeError,
     'complex: expected real and imag of one dtype, float32 or float64, got float16 '
     'and float16'),
    (lambda: ag.complex(ag.tensor([1]), ag.tensor([1])), TypeError,
     'complex: expected real and imag of one dtype, float32 or float64, got int64 and '
     'int64'),
    (lambda: ag.real([1.0]), TypeError,
     'real: expected a Tensor, got list'),
    (lambda: ag.imag([1.0]), TypeError,
     'imag: expected a Tensor, got list'),
    (lambda: ag.imag(ag.ones(1)), RuntimeError,
     'imag is not implemented for tensors with non-complex dtypes (got float32, shape '
     '(1,))'),
    (lambda: ag.conj([1.0]), TypeError,
     'conj: expected a Tensor, got list'),
    (lambda: ag.resolve_conj([1.0]), TypeError,
     'resolve_conj: expected a Tensor, got list'),
    (lambda: ag.angle([1.0]), TypeError,
     'angle: expected a Tensor, got list'),
    (lambda: ag.view_as_real([1.0]), TypeError,
     'view_as_real: expected a Tensor, got list'),
    (lambda: ag.view_as_real(ag.ones(1)), RuntimeError,
     'view_as_real is only supported for complex tensors, got float32'),
    (lambda: ag.view_as_complex([1.0]), TypeError,
     'view_as_complex: expected a Tensor, got list'),
    (lambda: ag.view_as_complex(ag.ones(3)), RuntimeError,
     'view_as_complex: the last dimension must have size 2, got shape (3,)'),
    (lambda: ag.view_as_complex(ag.tensor(1.0)), RuntimeError,
     'view_as_complex: the last dimension must have size 2, got shape ()'),
    (lambda: ag.view_as_complex(ag.ones(2, 3)), RuntimeError,
     'view_as_complex: the last dimension must have size 2, got shape (2, 3)'),
])
def test_complex_errors_are_exact(call, kind, text):
    """The op names given to ``_check_tensor`` (is_complex, complex, real, imag, conj,
    resolve_conj, angle, view_as_real, view_as_complex #2-#6), its message (#2, #3),
    complex's dtype checks (#13, #14, #20), view_as_complex's shape check."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_angle_of_real_tensors():
    """0 or pi, in the input's float dtype, float32 for integers (angle #10-#27), as
    PyTorch 2.13."""
    out = ag.angle(ag.tensor([-1.0, 2.0, 0.0]))
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.numpy(), [np.pi, 0.0, 0.0], rtol=1e-7)
    out = ag.angle(ag.tensor([-1.0], dtype=ag.float64))
    assert out.dtype == ag.float64 and out.tolist() == [np.pi]
    out = ag.angle(ag.tensor([-3, 3]))
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.numpy(), [np.pi, 0.0], rtol=1e-7)


def test_complex_broadcasts_view_as_complex_of_one_pair_resolve_conj():
    """``complex`` broadcasts real and imag (``Complex.forward`` #7: only the real part's
    shape), ``view_as_complex`` of a 1-D pair (#9), ``resolve_conj`` returns the tensor."""
    z = ag.complex(ag.ones(1), ag.tensor([1.0, 2.0, 3.0]))
    assert z.shape == (3,) and z.tolist() == [1 + 1j, 1 + 2j, 1 + 3j]
    assert ag.view_as_complex(ag.tensor([1.0, 2.0])).item() == 1 + 2j
    x = ag.ones(2)
    assert ag.resolve_conj(x) is x
