"""Tests written against surviving mutants of ``autograd/ops/elementwise.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/elementwise.py``): exact errors naming the
op, integer and Python-number operands, the gradient of the second operand, dtypes, the
ag.compile branch of the predicates. Expected values are exact (as PyTorch 2.13 gives
them, hard-coded); each docstring names the mutants it kills (mutmut's numbers at the
first run)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from tests.autograd.exact import assert_exact as _eq

_t = ag.tensor
_F = _t([1.0, 2.0])
_C = _t([1 + 1j, 2.0])




def _complex(op):
    return f"{op}: complex tensors are not supported (got complex64, shape (2,))"


def _str(op):
    return f"{op}: unsupported operand of type str"


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.tan(_C), TypeError, _complex("tan")),
    (lambda: ag.deg2rad(_C), TypeError, _complex("deg2rad")),
    (lambda: ag.rad2deg(_C), TypeError, _complex("rad2deg")),
    (lambda: ag.hypot(_C, _C), TypeError, _complex("hypot")),
    (lambda: ag.atan2(_C, 1.0), TypeError, _complex("atan2")),
    (lambda: ag.copysign(_C, _C), TypeError, _complex("copysign")),
    (lambda: ag.logaddexp(_C, _C), TypeError, _complex("logaddexp")),
    (lambda: ag.logaddexp2(_C, _C), TypeError, _complex("logaddexp2")),
    (lambda: ag.ldexp(_C, 1), TypeError, _complex("ldexp")),
    (lambda: ag.fmod(_F, "a"), TypeError, _str("fmod")),
    (lambda: ag.remainder(_F, "a"), TypeError, _str("remainder")),
    (lambda: ag.hypot(_F, "a"), TypeError, _str("hypot")),
    (lambda: ag.atan2(_F, "a"), TypeError, _str("atan2")),
    (lambda: ag.copysign(_F, "a"), TypeError, _str("copysign")),
    (lambda: ag.logaddexp(_F, "a"), TypeError, _str("logaddexp")),
    (lambda: ag.logaddexp2(_F, "a"), TypeError, _str("logaddexp2")),
    (lambda: ag.fmax(_F, "a"), TypeError, _str("fmax")),
    (lambda: ag.fmin(_F, "a"), TypeError, _str("fmin")),
    (lambda: ag.addcdiv(_F, _t([1, 2]), _t([3, 4])), RuntimeError,
     "addcdiv: integer division of tensors is not supported; use floating tensors (as "
     "PyTorch)"),
    (lambda: ag.positive(_t([True])), TypeError,
     "positive: the + operator is not supported for bool tensors"),
    (lambda: ag.fill(_F, _t([1.0, 2.0])), RuntimeError,
     "fill: value must be a number or a 0-d tensor, got shape (2,)"),
])
def test_elementwise_errors_are_exact(call, kind, text):
    """The whole message: kills the op names given to ``_floating``/``promote``/
    ``_float_pair``/``_nan_ignoring`` dropped, None or changed (deg2rad, rad2deg, fmod,
    remainder, hypot, atan2, copysign, logaddexp, logaddexp2, fmax, fmin, ldexp #3-#11;
    ``_float_pair`` #4, #14-#17; ``_nan_ignoring`` #4), ``_floating``'s complex check and
    message (#3-#9), ``_unary``'s op name, addcdiv's integer check (#5-#12), positive's
    bool check (#2-#6) and fill's message (#1, #2)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_integer_inputs_become_the_default_float_dtype():
    """Integer tensors and Python numbers (PyTorch 2.13: float32 results): kills
    ``_unary``'s kind check and ``_floating`` call (``x.to(None)`` keeps int64 and NumPy
    gives float64), ``_floating`` #11, #15, ``_float_pair`` #9, #10, #18-#28 (a number on
    either side, int tensors on either side), ldexp #15, #17."""
    _eq(ag.tan(_t([0, 0])), [0.0, 0.0], np.float32)
    _eq(ag.expm1(_t([0])), [0.0], np.float32)
    _eq(ag.hypot(_t([3]), _t([4])), [5.0], np.float32)
    _eq(ag.hypot(_t([3]), 4), [5.0], np.float32)
    _eq(ag.hypot(3, _t([4])), [5.0], np.float32)
    _eq(ag.hypot(3.0, _t([4.0])), [5.0], np.float32)
    _eq(ag.copysign(_t([3]), -1), [-3.0], np.float32)
    _eq(ag.atan2(0, _t([1])), [0.0], np.float32)
    _eq(ag.ldexp(_t([3]), _t([2])), [12.0], np.float32)
    # bug: a number exponent failed in pow ("pow: expected a Tensor operand, got float
    # and float"); PyTorch wants a tensor, the docstring and code take a number too
    _eq(ag.ldexp(_t([3.0]), 3), [24.0], np.float32)  # 2 ** 3, not 2 * 3 (#10)
    _eq(ag.ldexp(_t([3.0]), _t(-1)), [1.5], np.float32)
    _eq(ag.deg2rad(_t([180])), [np.float32(np.pi)], np.float32)


def test_second_operand_gradients():
    """Gradients of ``b`` as PyTorch 2.13 gives them: fmod ``-trunc(a / b)`` (#4: ``+``),
    remainder ``-floor(a / b)`` (#3: ``/``), copysign's ``a`` gradient 0 at ``a == 0``
    and ``sign(a) sign(b)`` elsewhere (#3, #11, #12), hypot and atan2 with only ``b``
    requiring grad (``_Binary.backward`` #18: ``sum_to(None)`` for ``a``)."""
    a, b = _t([5.5, -7.0], requires_grad=True), _t([2.0, 2.0], requires_grad=True)
    ag.fmod(a, b).sum().backward()
    _eq(a.grad, [1.0, 1.0])
    _eq(b.grad, [-2.0, 3.0])
    a, b = _t([7.0, -7.0], requires_grad=True), _t([2.0, 2.0], requires_grad=True)
    ag.remainder(a, b).sum().backward()
    _eq(b.grad, [-3.0, 4.0])
    a = _t([0.0, 1.0, -2.0, 0.0], requires_grad=True)
    b = _t([-1.0, -3.0, 5.0, 2.0], requires_grad=True)
    ag.copysign(a, b).sum().backward()
    _eq(a.grad, [0.0, -1.0, -1.0, 0.0])
    _eq(b.grad, [0.0, 0.0, 0.0, 0.0])
    b = _t([4.0, 1.0], requires_grad=True)
    ag.hypot(_t([3.0, 0.0]), b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.8, 1.0], rtol=1e-6)
    b = _t([1.0, -1.0], requires_grad=True)
    ag.atan2(_t([1.0, 2.0]), b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [-0.5, -0.4], rtol=1e-6)


def test_multiply_add_defaults_and_values():
    """addcmul/addcdiv default ``value=1`` (#1), the value-1 shortcut (addcmul #5) and
    ``value=2`` (#8: ``value == 2`` skipped
    the product), rsub's default ``alpha=1`` (#1), clamp_max (no covering test: #1-#4)."""
    x, p, q = _t([1.0, 1.0]), _t([2.0, 3.0]), _t([4.0, 2.0])
    _eq(ag.addcmul(x, p, q), [9.0, 7.0])
    _eq(ag.addcmul(x, p, q, value=2), [17.0, 13.0])
    _eq(ag.addcdiv(x, p, q), [1.5, 2.5])
    _eq(ag.addcdiv(x, p, q, value=2), [2.0, 4.0])
    _eq(ag.rsub(p, 10.0), [8.0, 7.0])
    _eq(ag.rsub(p, 10.0, alpha=2), [6.0, 4.0])
    # value 1 adds the product as it is: a bool product is not made int64 first (#5:
    # ``prod * 1`` gives int64 and the int32 input became int64); PyTorch 2.13: int32
    b = _t([True, False])
    _eq(ag.addcmul(_t([1, 2], dtype=ag.int32), b, b), [2, 2], np.int32)
    _eq(ag.clamp_max(_t([1.0, 5.0]), 2.0), [1.0, 2.0])
    _eq(ag.clamp_min(_t([1.0, 5.0]), 2.0), [2.0, 5.0])


def test_float_power_operand_forms():
    """A number base and a 2-element exponent tensor (#3, #5, #7), as PyTorch 2.13:
    float64 results."""
    _eq(ag.float_power(2, _t([1.0, 3.0])), [2.0, 8.0], np.float64)
    _eq(ag.float_power(_t([2.0]), _t([1, 2])), [2.0, 4.0], np.float64)
    _eq(ag.float_power(_t([2.0, 3.0]), 2), [4.0, 9.0], np.float64)


def test_fmax_fmin_with_numbers():
    """A Python number on either side is made a tensor of the other's dtype
    (``_nan_ignoring`` #9-#22: float32 stays float32), NaN ignored."""
    nan = float("nan")
    _eq(ag.fmax(_t([1.0, nan]), 2.5), [2.5, 2.5], np.float32)
    _eq(ag.fmin(2.5, _t([1.0, nan])), [1.0, 2.5], np.float32)
    _eq(ag.fmin(_t([nan, 3.0]), _t([nan, nan])), [nan, 3.0], np.float32)
    _eq(ag.fmax(_t([1, 5]), 3), [3, 5], np.int64)


def test_fill_keeps_the_tensors_dtype():
    """``fill`` keeps ``x``'s dtype for a number (#15, #18: an int tensor filled with 2.5
    holds 2, as PyTorch's ``fill_``) and for a 0-d tensor value (#7)."""
    _eq(ag.fill(_t([1, 2]), 2.5), [2, 2], np.int64)
    v = _t(1.5, dtype=ag.float64, requires_grad=True)
    out = ag.fill(_t([1.0, 2.0, 3.0]), v)
    _eq(out.detach(), [1.5, 1.5, 1.5], np.float32)
    out.sum().backward()
    _eq(v.grad, 3.0, np.float64)


def test_predicates_values_and_compiled():
    """The predicates, eager and under ag.compile (``_predicate_of``: its recorded step
    and its array path), as PyTorch 2.13."""
    x = _t([-0.0, float("inf"), -float("inf"), 2.0])
    _eq(ag.signbit(x), [True, False, True, False])
    _eq(ag.isposinf(x), [False, True, False, False])
    _eq(ag.isneginf(x), [False, False, True, False])
    _eq(ag.isreal(_t([1 + 0j, 1j])), [True, False])
    _eq(ag.signbit(_t([-1, 0])), [True, False])

    def f(t):
        return ag.where(ag.isposinf(t), 0.0, t).sum()

    compiled = ag.compile(f)
    for values in ([1.0, float("inf")], [float("inf"), 3.0], [2.0, 5.0]):
        assert compiled(_t(values)).item() == f(_t(values)).item()


def test_unary_forward_and_backward():
    """``_Unary``: the value and the derivative (``g * derivative(x, out)``)."""
    x = _t([0.5, -0.25], dtype=ag.float64, requires_grad=True)
    y = ag.atanh(x)
    np.testing.assert_allclose(y.detach().numpy(), np.arctanh([0.5, -0.25]), rtol=1e-15)
    (y * _t([1.0, 2.0], dtype=ag.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 0.75, 2 / (1 - 0.0625)], rtol=1e-15)
    x = _t([1.0], dtype=ag.float64, requires_grad=True)
    ag.exp2(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * np.log(2.0)], rtol=1e-15)
