"""Tests written against surviving mutants of ``autograd/ops/arithmetic.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/arithmetic.py``): complex gradients, the
special cases of ``pow``'s gradient, rounded division, promotion and the scalar paths.
Expected values are exact or computed with NumPy; each docstring names what it catches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd.ops.arithmetic import stable_sigmoid, stable_softplus

_Z = np.array([0.5 + 0.3j, -1.2 + 0.7j, 0.8 - 1.1j])
_W = np.array([1.1 - 0.4j, 0.6 + 0.9j, -0.7 + 0.2j])


def _cgrad(fn, *values):
    """The gradients of ``fn`` at complex ``values`` for a seed of ones (PyTorch's
    convention: the conjugate of the holomorphic derivative)."""
    ts = [ag.tensor(v, requires_grad=True) for v in values]
    out = fn(*ts)
    return [g.numpy() for g in ag.grad([out], ts, [ag.tensor(np.ones(out.shape, complex))])]


@pytest.mark.parametrize("name, fn, deriv", [
    ("exp", ag.exp, np.exp), ("log", ag.log, lambda z: 1 / z),
    ("log1p", ag.log1p, lambda z: 1 / (1 + z)), ("sqrt", ag.sqrt, lambda z: 0.5 / np.sqrt(z)),
    ("sin", ag.sin, np.cos), ("cos", ag.cos, lambda z: -np.sin(z)),
    ("tanh", ag.tanh, lambda z: 1 - np.tanh(z) ** 2),
    ("pow3", lambda z: z ** 3.0, lambda z: 3 * z ** 2),
])
def test_complex_unary_gradients_are_conjugate_derivatives(name, fn, deriv):
    """The gradient of a holomorphic op at a complex point is ``conj(f'(z))`` (PyTorch).
    Catches the conjugate dropped or applied to real inputs (``Exp``/``Log``/``Log1p``/
    ``Sqrt``/``Sin``/``Cos``/``Tanh``/``Pow`` ``.backward`` #2-#8)."""
    (g,) = _cgrad(fn, _Z)
    np.testing.assert_allclose(g, np.conj(deriv(_Z)), rtol=1e-12)


@pytest.mark.parametrize("fn, da, db", [
    (lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    (lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b ** 2),
    (lambda a, b: a ** b, lambda a, b: b * a ** (b - 1), lambda a, b: a ** b * np.log(a)),
])
def test_complex_binary_gradients_are_conjugate_derivatives(fn, da, db):
    """Catches ``Mul.backward``/``Div.backward``/``Pow.backward`` #2-#8 (the complex
    conjugate of the operands dropped or taken for the wrong one)."""
    ga, gb = _cgrad(fn, _Z, _W)
    np.testing.assert_allclose(ga, np.conj(da(_Z, _W)), rtol=1e-12)
    np.testing.assert_allclose(gb, np.conj(db(_Z, _W)), rtol=1e-12)


def test_real_gradients_are_not_conjugated_or_changed():
    """The same ops on real float64 input: the plain derivative (the ``kind == "c"`` test
    negated would conjugate nothing but would change the branch for real input)."""
    x = ag.tensor([0.5, 1.5], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(ag.exp(x).sum() + ag.log(x).sum(), [x])
    np.testing.assert_allclose(g.numpy(), np.exp([0.5, 1.5]) + 1 / np.array([0.5, 1.5]))


@pytest.mark.parametrize("exponent, grad", [
    (0, [0.0, 0.0, 0.0]),  # exactly 0, not 0 * 0**-1 = NaN at 0
    (1, [1.0, 1.0, 1.0]),
    (2, [0.0, 4.0, -6.0]),
    (0.5, [np.inf, 0.5 / np.sqrt(2.0), np.nan]),
])
def test_pow_scalar_exponent_gradient(exponent, grad):
    """``x ** c`` for a Python number: gradient ``c * x**(c-1)``, 0 for ``c == 0``. Catches
    ``Pow.backward`` #12-#18 (the ``c == 0`` branch: wrong test or a broken zero tensor)."""
    x = ag.tensor([0.0, 2.0, -3.0], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** exponent).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), grad)
    assert x.grad.dtype == ag.float64


def test_pow_tensor_exponent_gradients_at_zero():
    """Tensor base and exponent: d/da is 0 where b == 0 (not 0 * 0**-1 = NaN), d/db is 0
    where a == 0 and b >= 0 (the limit), as PyTorch 2.13. Catches ``Pow.backward`` #44, #45
    (the b == 0 mask) and #61-#64 (the a == 0, b >= 0 mask)."""
    a = ag.tensor([0.0, 0.0, 2.0, 0.0, 3.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([0.0, 0.5, 1.0, 1.0, 2.0], dtype=ag.float64, requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, np.inf, 1.0, 1.0, 6.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 2 * np.log(2.0), 0.0,
                                                9 * np.log(3.0)])


@pytest.mark.parametrize("base, grad", [
    (2.0, lambda b: 2.0 ** b * np.log(2.0)),
    (0.5, lambda b: 0.5 ** b * np.log(0.5)),
    (0.0, lambda b: np.where(b >= 0, 0.0, -np.inf)),
    (-2.0, lambda b: np.full(b.shape, np.nan)),  # log of a negative base (PyTorch: NaN)
])
def test_pow_constant_base_exponent_gradient(base, grad):
    """``c ** t`` for a Python number ``c``: ``c**t log c``; for ``c == 0`` the limit 0
    where ``t >= 0`` and ``-inf`` below; NaN for a negative base (PyTorch 2.13; this was
    0 where ``t >= 0`` before: fixed). Catches ``Pow.backward`` #65, #66, #69-#89."""
    b = ag.tensor([-1.0, 0.0, 0.5, 2.0], dtype=ag.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ag.pow(base, b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), grad(np.array([-1.0, 0.0, 0.5, 2.0])))
    assert b.grad.dtype == ag.float64


def test_pow_float32_constant_base_gradient_stays_float32():
    """Catches ``Pow.backward`` #75 (the constant base's log made float64)."""
    b = ag.tensor([1.0, 2.0], dtype=ag.float32, requires_grad=True)
    (g,) = ag.grad(ag.pow(0.0, b).sum(), [b])
    assert g.dtype == ag.float32


_A = np.array([7, -7, 7, -7, 6, 0])
_B = np.array([2, 2, -2, -2, 3, 5])


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("dtype", [ag.int64, ag.int32, ag.float64])
def test_div_rounding_modes_match_numpy(mode, dtype):
    """``div(rounding_mode=)``: trunc rounds toward zero, floor down, integers stay
    integers (PyTorch). Reference: NumPy. Catches ``_rounded_div`` (all of it: no other
    selected test reaches it) and ``div`` #2-#7."""
    a, b = ag.tensor(_A, dtype=dtype), ag.tensor(_B, dtype=dtype)
    want = np.trunc(_A / _B) if mode == "trunc" else np.floor_divide(_A, _B)
    out = ag.div(a, b, rounding_mode=mode)
    assert out.dtype == dtype and out.shape == (6,)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(ag.div(a, 2, rounding_mode=mode).numpy(),
                                  np.trunc(_A / 2) if mode == "trunc" else _A // 2)
    np.testing.assert_array_equal(ag.div(-7, b, rounding_mode=mode).numpy(),
                                  np.trunc(-7 / _B) if mode == "trunc" else -7 // _B)


def test_div_rounding_float_by_zero_and_errors():
    """Floats divided by zero give inf/NaN quietly; integers raise; a bad mode is named.
    Catches ``_rounded_div``'s branches, messages and errstate."""
    x = ag.tensor([1.0, -1.0, 0.0], dtype=ag.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = ag.div(x, 0.0, rounding_mode="trunc").numpy()
        f = ag.div(x, 0.0, rounding_mode="floor").numpy()
    np.testing.assert_array_equal(t[:2], [np.inf, -np.inf])
    assert np.isnan(t[2]) and np.isnan(f[2])
    with pytest.raises(RuntimeError) as info:
        ag.div(ag.tensor([3, 4]), ag.tensor([1, 0]), rounding_mode="floor")
    assert str(info.value) == "div: integer division by zero (rounding_mode='floor')"
    with pytest.raises(RuntimeError) as info:
        ag.div(x, x, rounding_mode="round")
    assert str(info.value) == ("div: rounding_mode must be None, 'trunc' or 'floor', got "
                               "'round'")
    assert ag.div(ag.tensor([7]), ag.tensor([2]), rounding_mode="trunc").dtype == ag.int64


def test_true_division_of_integers_gives_the_default_float():
    """Catches ``div`` #30-#41 (the integer operand not converted, or converted to the
    wrong dtype)."""
    i = ag.tensor([1, 2, 3])
    assert ag.div(i, 2).dtype == ag.float32
    np.testing.assert_array_equal(ag.div(i, 2).numpy(), [0.5, 1.0, 1.5])
    assert ag.div(i, i).dtype == ag.float32 and ag.div(3, i).dtype == ag.float32
    np.testing.assert_allclose(ag.div(3, i).numpy(), [3.0, 1.5, 1.0])
    assert ag.div(ag.tensor([1.0, 2.0], dtype=ag.float64), i[:2]).dtype == ag.float64
    assert ag.div(i[:2], ag.tensor([2.0, 4.0], dtype=ag.float64)).dtype == ag.float64
    np.testing.assert_array_equal(ag.div(i[:2], ag.tensor([2.0, 4.0])).numpy(), [0.5, 0.5])


@pytest.mark.parametrize("call, op", [
    (lambda x: ag.add(x, "a"), "add"), (lambda x: ag.sub(x, "a"), "sub"),
    (lambda x: ag.mul(x, "a"), "mul"), (lambda x: ag.div(x, "a"), "div"),
    (lambda x: ag.pow(x, "a"), "pow"), (lambda x: ag.maximum(x, "a"), "maximum"),
    (lambda x: ag.minimum(x, "a"), "minimum"), (lambda x: ag.where(x > 0, x, "a"), "where"),
])
def test_bad_operand_names_the_op(call, op):
    """A string operand is refused with the op's name (it used to reach dtype promotion
    and fail with ``KeyError: 'U'``: fixed). Catches the op name passed to ``promote``
    dropped or changed (``add`` #37/#41/#42, ``sub`` #43/#47/#48, ``mul`` #20/#24/#25,
    ``div`` #22/#26/#27, ``pow``/``maximum``/``minimum`` #3/#7/#8, ``where`` #5/#9/#10)."""
    with pytest.raises(TypeError) as info:
        call(ag.tensor([1.0, 2.0]))
    assert str(info.value) == f"{op}: unsupported operand of type str"


def test_where_with_python_and_array_conditions_and_errors():
    """``where`` takes a non-Tensor condition (made a tensor on the values' device) and a
    non-bool one (nonzero is True); with no Tensor value it raises. Catches ``where``
    #11, #14-#32."""
    x = ag.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ag.where([True, False, True], x, 0.0).numpy(),
                                  [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(ag.where(np.array([2, 0, -1]), x, -x).numpy(),
                                  [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(ag.where(ag.tensor([0.5, 0.0, 1.0]), 9.0, x).numpy(),
                                  [9.0, 2.0, 9.0])
    np.testing.assert_array_equal(ag.where(ag.tensor([1, 0, 1]), x, 5.0).numpy(),
                                  [1.0, 5.0, 3.0])
    with pytest.raises(TypeError) as info:
        ag.where(True, 1.0, 2.0)
    assert str(info.value) == "where: at least one of the two value arguments must be a Tensor"


def test_integer_inputs_of_float_unary_ops_become_the_default_float():
    """Catches ``_float_unary``'s closure when it can be reached (``exp`` of an int is
    float32; of a complex stays complex; ``sigmoid`` refuses complex with the op name)."""
    assert ag.exp(ag.tensor([0, 1])).dtype == ag.float32
    np.testing.assert_allclose(ag.exp(ag.tensor([0, 1])).numpy(), [1.0, np.e], rtol=1e-6)
    assert ag.sqrt(ag.tensor([1 + 0j])).dtype == ag.complex64
    with pytest.raises(TypeError) as info:
        ag.sigmoid(ag.tensor([1j]))
    assert str(info.value) == ("sigmoid: complex tensors are not supported (got complex64, "
                               "shape (1,))")


def test_clamp_with_tensor_bounds_scalar_bounds_and_errors():
    """``clamp`` with a Tensor min or max (elementwise, one side only allowed), with
    bounds at the values (gradient 1 at the bound, PyTorch), integers with float bounds
    (the default float) and no bound (an error). Catches ``clamp`` #4-#22 and
    ``Clamp.forward`` #10-#18."""
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    lo = ag.tensor([2.0, 2.0, 2.0], dtype=ag.float64)
    np.testing.assert_array_equal(ag.clamp(x, min=lo).numpy(), [2.0, 2.0, 3.0])
    np.testing.assert_array_equal(ag.clamp(x, max=lo).numpy(), [1.0, 2.0, 2.0])
    np.testing.assert_array_equal(ag.clamp(x, lo, lo + 0.5).numpy(), [2.0, 2.0, 2.5])
    for kwargs, grad in [({"min": 2.0}, [0.0, 1.0, 1.0]), ({"max": 2.0}, [1.0, 1.0, 0.0]),
                         ({"min": 1.0, "max": 3.0}, [1.0, 1.0, 1.0]),
                         ({"min": 1.5, "max": 2.0}, [0.0, 1.0, 0.0])]:
        x.grad = None
        ag.clamp(x, **kwargs).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), grad, err_msg=str(kwargs))
    i = ag.tensor([1, 5])
    assert ag.clamp(i, 0.5, 2.5).dtype == ag.float32
    np.testing.assert_array_equal(ag.clamp(i, 0.5, 2.5).numpy(), [1.0, 2.5])
    assert ag.clamp(i, 2, 3).dtype == ag.int64
    assert ag.clamp(i, np.int64(2)).tolist() == [2, 5]
    with pytest.raises(ValueError) as info:
        ag.clamp(x)
    assert str(info.value) == "clamp: at least one of min and max must be given"


def test_relu_gradient_at_zero_is_zero():
    """Catches ``Relu.forward`` #3 (``x < 0``: gradient 1 at 0; PyTorch gives 0)."""
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    ag.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_abs_gradient_is_the_sign_and_zero_at_zero():
    """Catches ``Abs.backward`` #2 (``g / sign(x)``: inf at 0)."""
    x = ag.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    ag.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("op", [ag.maximum, ag.minimum])
def test_maximum_minimum_ties_split_and_float32_shares(op):
    """Ties split the gradient in halves, the winner gets all of it (PyTorch 2.13), in
    the operands' float dtype. Catches ``Maximum``/``Minimum.forward`` #10, #11, #14, #20,
    #21 and ``_shares`` #3-#10."""
    a = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float32, requires_grad=True)
    b = ag.tensor([2.0, 2.0, 1.0], dtype=ag.float32, requires_grad=True)
    ga, gb = ag.grad(op(a, b).sum(), [a, b])
    assert ga.dtype == gb.dtype == ag.float32
    wins = [0.0, 0.5, 1.0] if op is ag.maximum else [1.0, 0.5, 0.0]
    np.testing.assert_array_equal(ga.numpy(), wins)
    np.testing.assert_array_equal(gb.numpy(), [1.0 - w for w in wins])


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_scalar_operands_with_gradients(scalar):
    """A NumPy scalar goes through ``promote`` (not the Python-number fast path) as a
    constant: only the tensor gets a gradient. Catches ``_scalar`` #1 and the backward
    rules computing a gradient for a constant number (``Add``/``Sub``/``Mul``/``Maximum``/
    ``Where`` ``.backward`` ``or True`` mutants that reach ``.shape`` of a number)."""
    x = ag.tensor([1.0, 3.0], dtype=ag.float64, requires_grad=True)
    cases = [(lambda: x + scalar, [1, 1]), (lambda: scalar - x, [-1, -1]),
             (lambda: x * scalar, [2, 2]), (lambda: scalar * x, [2, 2]),
             (lambda: ag.maximum(x, scalar), [0, 1]), (lambda: ag.where(x > 2, x, scalar), [0, 1]),
             (lambda: ag.where(x > 2, scalar, x), [1, 0]), (lambda: x / scalar, [0.5, 0.5])]
    for make, grad in cases:
        (g,) = ag.grad(make().sum(), [x])
        np.testing.assert_array_equal(g.numpy(), grad)
        assert g.dtype == ag.float64
    f32 = ag.tensor([1.0, 2.0], dtype=ag.float32)  # a NumPy scalar does not widen it
    for out in (f32 + scalar, ag.maximum(f32, scalar), ag.pow(f32, scalar), scalar - f32):
        assert out.dtype == ag.float32


def test_promotion_of_tensor_pairs_and_scalars():
    """PyTorch's promotion: a 0-d tensor does not widen a higher-dimensional one of the
    same category; a float Python number makes an integer tensor float. Catches
    ``promote`` #3-#18 and ``_scalar_op`` #1-#19."""
    i32 = ag.tensor([1, 2], dtype=ag.int32)
    f32 = ag.tensor([1.0, 2.0], dtype=ag.float32)
    f64_0d = ag.tensor(2.0, dtype=ag.float64)
    assert (f32 + f64_0d).dtype == ag.float32
    assert (f64_0d + f32).dtype == ag.float32
    assert (i32 + ag.tensor(3, dtype=ag.int64)).dtype == ag.int32
    assert (i32 + ag.tensor([3, 4], dtype=ag.int64)).dtype == ag.int64
    assert (i32 + f32).dtype == ag.float32 and (f32 * i32).dtype == ag.float32
    assert (i32 + 2.5).dtype == ag.float32 and (i32 * 2).dtype == ag.int32
    np.testing.assert_array_equal((i32 + 2.5).numpy(), [3.5, 4.5])
    assert (2.5 * i32).dtype == ag.float32 and (2 - i32).dtype == ag.int32
    np.testing.assert_array_equal((2 - i32).numpy(), [1, 0])
    np.testing.assert_array_equal((i32 - 1).numpy(), [0, 1])
    assert (f32 * 2).dtype == ag.float32 and (3 * f32).dtype == ag.float32
    np.testing.assert_array_equal((3 * f32).numpy(), [3.0, 6.0])
    np.testing.assert_array_equal((3 + f32).numpy(), [4.0, 5.0])
    b = ag.tensor([True, False])
    assert (b + b).dtype == ag.bool and (b * 2).dtype == ag.int64
    c = ag.tensor([1 + 1j])
    assert (c * 2.0).dtype == ag.complex64 and (c + 1).dtype == ag.complex64
    with pytest.raises(TypeError) as info:
        ag.add(1.0, 2.0)
    assert str(info.value) == "add: expected a Tensor operand, got float and float"


def test_no_grad_fast_paths_compute_the_same_values():
    """Under ``no_grad`` two float tensors of one dtype take the array fast path: the same
    values and dtype as with grad mode; mixed dtypes take the promoting path. Catches
    ``_same_float_pair`` #5-#9, ``_result`` #5/#6 and the fast paths of ``add``/``sub``/
    ``mul``/``div`` (#20-#28 and the like)."""
    a = ag.tensor([6.0, 8.0], dtype=ag.float64)
    b = ag.tensor([2.0, 4.0], dtype=ag.float64)
    c = ag.tensor([2.0, 4.0], dtype=ag.float32)
    with ag.no_grad():
        got = [ag.add(a, b), ag.sub(a, b), ag.mul(a, b), ag.div(a, b), ag.sub(a, c),
               ag.add(a[0], b[0]), ag.mul(a[0], b[0])]
    want = [[8, 12], [4, 4], [12, 32], [3, 2], [4, 4], 8, 12]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.numpy(), w)
        assert g.dtype == ag.float64 and isinstance(g.numpy(), np.ndarray)
    with ag.no_grad(), pytest.raises(ValueError, match=r"Sub: .* shapes \(2,\) \(3,\)"):
        ag.sub(a, ag.ones(3, dtype=ag.float64))


def test_add_sub_alpha():
    """``alpha`` scales the second operand (also a number); a float alpha with integer
    operands is refused by name. Catches ``_scaled`` #5-#19 and ``add``/``sub`` #8-#17."""
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal(ag.add(x, x, alpha=3).numpy(), [4.0, 8.0])
    np.testing.assert_array_equal(ag.sub(x, x, alpha=3).numpy(), [-2.0, -4.0])
    np.testing.assert_array_equal(ag.add(x, 2.0, alpha=3).numpy(), [7.0, 8.0])
    np.testing.assert_array_equal(ag.sub(x, 2, alpha=0.5).numpy(), [0.0, 1.0])
    i = ag.tensor([1, 2])
    assert ag.add(i, i, alpha=2).tolist() == [3, 6]
    assert ag.add(i, 2.0, alpha=0.5).tolist() == [2.0, 3.0]
    assert ag.add(i, x, alpha=0.5).tolist() == [1.5, 3.0]
    for op in ("add", "sub"):
        with pytest.raises(RuntimeError) as info:
            getattr(ag, op)(i, i, alpha=0.5)
        assert str(info.value) == (f"{op}: for integral inputs alpha must not be a floating "
                                   "point number, got alpha=0.5")


def test_sub_of_a_number_is_exact_and_keeps_the_dtype():
    """``x - c`` for a float tensor and a Python number (the AddScalar path). Catches
    ``sub`` #31-#35."""
    x = ag.tensor([1.5, 2.5], dtype=ag.float64, requires_grad=True)
    y = x - 1
    np.testing.assert_array_equal(y.numpy(), [0.5, 1.5])
    assert y.dtype == ag.float64
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal((x - 0.25).numpy(), [1.25, 2.25])


def test_rsqrt_and_reciprocal():
    """Catches ``rsqrt`` #1-#6 and ``reciprocal`` #1-#5 (no other selected test calls
    them)."""
    x = ag.tensor([0.25, 4.0], dtype=ag.float64, requires_grad=True)
    np.testing.assert_array_equal(ag.rsqrt(x).numpy(), [2.0, 0.5])
    np.testing.assert_array_equal(ag.reciprocal(x).numpy(), [4.0, 0.25])
    ag.rsqrt(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -0.5 * np.array([0.25, 4.0]) ** -1.5)


def test_stable_sigmoid_and_softplus_against_numpy():
    """The array helpers, at 0 and at large magnitudes (no overflow). Catches
    ``stable_sigmoid`` #6-#24 (float32 kept) and ``stable_softplus`` #1-#10."""
    z = np.array([-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(stable_softplus(np, z), np.logaddexp(0.0, z), rtol=1e-15)
        s = stable_sigmoid(np, z)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-12, atol=1e-300)
    assert s[3] == 0.5
    f = np.array([-1.0, 2.0], dtype=np.float32)
    assert stable_sigmoid(np, f).dtype == np.float32


def test_integer_pairs_under_no_grad_take_the_promoting_path():
    """Under ``no_grad`` integer tensors are not sent down the float fast path: their true
    division is the default float (NumPy's would be float64). Catches
    ``_same_float_pair`` #7-#9."""
    i = ag.tensor([1, 2, 3])
    with ag.no_grad():
        q = ag.div(i, i)
        s = ag.add(i, i)
    assert q.dtype == ag.float32 and s.dtype == ag.int64
    np.testing.assert_array_equal(q.numpy(), [1.0, 1.0, 1.0])


def test_pow_in_place_then_add_in_place_still_backpropagates():
    """``y.pow_(2).add_(1)`` backpropagates (PyTorch): pow saves its output only when the
    exponent needs a gradient. Catches ``Pow.forward`` #10 (the output always saved, so
    the in-place add makes backward refuse)."""
    x = ag.tensor([1.0, 3.0], dtype=ag.float64, requires_grad=True)
    y = x * 1
    y.pow_(2).add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 6.0])


def test_list_and_unconvertible_operands():
    """A list operand becomes a tensor on the other operand's device and is promoted on
    either side; an operand that cannot be a tensor is refused by name. Catches
    ``promote`` #52-#58 and #64-#77 (the list branch's recursion)."""
    x = ag.tensor([1.0, 2.0], dtype=ag.float64)
    np.testing.assert_array_equal(ag.add(x, [1.0, 3.0]).numpy(), [2.0, 5.0])
    np.testing.assert_array_equal(ag.sub([1.0, 3.0], x).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(ag.sub(x, [1.0, 3.0]).numpy(), [0.0, -1.0])
    assert ag.sub([1.0, 3.0], x).dtype == ag.float64
    i = ag.tensor([1, 2])
    assert (i + [0.5, 1.5]).dtype == ag.float32 and ag.mul([2, 3], i).dtype == ag.int64
    np.testing.assert_array_equal(ag.mul([2, 3], i).numpy(), [2, 6])
    np.testing.assert_array_equal(ag.sub([0.5, 0.5], i).numpy(), [-0.5, -1.5])
    with pytest.raises(TypeError) as info:
        ag.mul(x, None)
    assert str(info.value) == "mul: unsupported operand of type NoneType"
    with pytest.raises(TypeError) as info:  # Tensor() itself refuses a set
        ag.sub(x, {1.0})
    assert str(info.value) == "sub: unsupported operand of type set"
    with pytest.raises(TypeError) as info:
        ag.div(x, "a", rounding_mode="floor")
    assert str(info.value) == "div: unsupported operand of type str"


def test_no_grad_fast_path_respects_0d_promotion_and_makes_arrays():
    """Under ``no_grad`` a float32 vector plus a float64 0-d tensor stays float32
    (PyTorch: a 0-d tensor does not widen), and a 0-d result is an array that can be
    changed in place. Catches ``_same_float_pair`` #6 (the fast path for mixed float
    dtypes) and ``_result`` #5 (a NumPy scalar kept as the tensor's array)."""
    v = ag.tensor([1.0, 2.0], dtype=ag.float32)
    s = ag.tensor(0.5, dtype=ag.float64)
    with ag.no_grad():
        assert ag.add(v, s).dtype == ag.float32 and ag.mul(s, v).dtype == ag.float32
        c = ag.add(s, s)
        c.add_(1.0)
    assert c.item() == 2.0 and c.shape == ()


def test_alpha_with_a_float_first_operand_and_integer_second():
    """``add(float, int, alpha=0.5)`` is allowed (the result is float): catches ``add``
    #8 (the first operand not passed to the alpha check)."""
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal(ag.add(x, ag.tensor([2, 4]), alpha=0.5).numpy(), [2.0, 4.0])


def test_integer_tensor_minus_a_float_number_is_the_default_float():
    """Catches ``sub`` #33 (the AddScalar path taken for an integer tensor: float64)."""
    out = ag.tensor([1, 2]) - 1.5
    assert out.dtype == ag.float32
    np.testing.assert_array_equal(out.numpy(), [-0.5, 0.5])


def test_rounded_div_by_one_and_exact_negative_quotients():
    """Dividing integers by 1 is allowed, and an exact quotient of mixed signs is not
    adjusted (trunc of -6 / 3 is -2). Catches ``_rounded_div`` #33 (``== 1`` taken for
    division by zero) and #46 (``q / b != a`` as the inexactness test)."""
    i = ag.tensor([-6, 7, 6])
    np.testing.assert_array_equal(ag.div(i, 1, rounding_mode="floor").numpy(), [-6, 7, 6])
    np.testing.assert_array_equal(ag.div(i, 3, rounding_mode="trunc").numpy(), [-2, 2, 2])
    np.testing.assert_array_equal(ag.div(i, -3, rounding_mode="trunc").numpy(), [2, -2, -2])


def test_clamp_tensor_bound_gets_a_gradient_and_float_min_of_integers():
    """A Tensor ``min`` alone is an elementwise maximum, so it gets the gradient where it
    wins (PyTorch); an integer tensor clamped by a float ``min`` alone becomes the default
    float. Catches ``clamp`` #7 (``and``: a Tensor bound taken as a number) and #35
    (``&``: both bounds needed to be floats)."""
    x = ag.tensor([1.0, 3.0], dtype=ag.float64, requires_grad=True)
    lo = ag.tensor([2.0, 2.0], dtype=ag.float64, requires_grad=True)
    ag.clamp(x, min=lo).sum().backward()
    np.testing.assert_array_equal(lo.grad.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])
    out = ag.clamp(ag.tensor([0, 2]), min=0.5)
    assert out.dtype == ag.float32
    np.testing.assert_array_equal(out.numpy(), [0.5, 2.0])
