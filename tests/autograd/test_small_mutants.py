"""Tests written against surviving mutants of the small files of ``autograd/ops``
(issue 18, ``python -m benchmarks.mutation autograd/ops/small``: compare.py, rounding.py,
convert.py, softmax.py, copies.py, ``_util.py``, ``__init__.py``): exact errors naming
the op, Python-number operands, the ag.compile branches of the no-gradient ops, gradients
through casts and complex products, ``allclose``'s tolerances, ``round`` of integers.
Expected values are PyTorch 2.13's (hard-coded); each docstring names the mutants it
kills (mutmut's numbers at the first run)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.softmax(X), TypeError,
     'softmax: dim must be given (e.g. dim=-1)'),
    (lambda: ag.log_softmax(X, 2), IndexError,
     'log_softmax: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.softmax(X, 2), IndexError,
     'softmax: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.eq(X, "a"), TypeError,
     'eq: unsupported operand of type str'),
    (lambda: ag.logical_and(1, 2), TypeError,
     'logical_and: expected a Tensor operand'),
    (lambda: ag.gcd(ag.tensor([1.5]), ag.tensor([2])), RuntimeError,
     'gcd: expected integer or bool tensors, got float32 and float32'),
    (lambda: ag.gcd(ag.tensor([1.5]), 2), RuntimeError,
     'gcd: expected integer or bool tensors, got float32 and int'),
    (lambda: ag.gcd(2, ag.tensor([1.5])), RuntimeError,
     'gcd: expected integer or bool tensors, got int and float32'),
    (lambda: ag.bitwise_and(ag.tensor([1.5]), ag.tensor([2])), TypeError,
     'bitwise_and: expected integer or bool operands, got float32'),
    (lambda: ag.bitwise_and(ag.tensor([1]), 2.5), TypeError,
     'bitwise_and: expected integer or bool operands, got float32'),
    (lambda: ag.frac(ag.tensor([1, 2])), RuntimeError,
     'frac: expects a floating point tensor, got int64'),
])
def test_small_files_errors_are_exact(call, kind, text):
    """softmax/log_softmax's ``_prep`` (#10, #13; softmax/log_softmax #4-#11),
    ``_nondiff``'s op name to ``promote`` (#12), its no-Tensor message (#20), the
    integers-only check with a Python number (#31-#37) and its message (#42-#59),
    ``_integral``'s check and message (#1-#23), frac's message (#4)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_softmax_dtype_and_integers():
    """A ``dtype`` argument is applied first (``_prep`` #1-#3), integers become float32
    (#7, #8)."""
    out = ag.softmax(ag.tensor([0.0, 0.0]), 0, dtype=ag.float64)
    assert out.dtype == ag.float64 and out.tolist() == [0.5, 0.5]
    out = ag.log_softmax(ag.tensor([1, 1]), 0)
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.numpy(), [-np.log(2.0)] * 2, rtol=1e-6)
    out = ag.softmax(ag.tensor([3, 3]), -1)
    assert out.dtype == ag.float32 and out.tolist() == [0.5, 0.5]


def test_comparisons_with_numbers_and_no_gradient_unaries():
    """A Python number on the left (``_nondiff`` #18, #23), the integer-only ops with a
    number (#31-#37), ``fn`` given the array module (#66: heaviside, logical_and);
    isnan/isinf/isfinite/logical_not (``_nograd``: no covering test before)."""
    x = ag.tensor([-1.0, 0.0, 2.0])
    assert ag.gt(1.0, x).tolist() == [True, True, False]
    assert ag.eq(0.0, x).tolist() == [False, True, False]
    assert ag.logical_and(1, x).tolist() == [True, False, True]
    assert ag.gcd(ag.tensor([4, 6]), 2).tolist() == [2, 2]
    assert ag.heaviside(x, ag.tensor([0.5])).tolist() == [0.0, 0.5, 1.0]
    y = ag.tensor([float("nan"), float("inf"), 1.0])
    assert ag.isnan(y).tolist() == [True, False, False]
    assert ag.isinf(y).tolist() == [False, True, False]
    assert ag.isfinite(y).tolist() == [False, False, True]
    assert ag.logical_not(ag.tensor([0, 2])).tolist() == [True, False]


def test_no_gradient_ops_are_recorded_by_compile():
    """While ag.compile records, comparisons and isnan are recorded steps, so a replay
    follows the new input (``_nondiff`` #1-#8, ``_nograd`` #1-#8); an integer ``floor``
    is recorded too (``_apply_step`` #5)."""
    def f(t):
        whole = ag.where(ag.isnan(t), 0.0, t).long()
        return (ag.gt(t, 0.5).float() + ag.isnan(t).float() + ag.floor(whole).float()).sum()

    compiled = ag.compile(f)
    for values in ([0.0, 1.0], [2.0, 3.0], [float("nan"), 0.25], [1.5, -1.0]):
        assert compiled(ag.tensor(values)).item() == f(ag.tensor(values)).item()


def test_equal_and_allclose():
    """``equal`` needs the same shape (#8: ``or``), allclose's defaults (#1, #2) and the
    ``rtol``/``atol`` given (#18, #19), the names in their refusal under ag.compile
    (equal #6, allclose #8)."""
    assert ag.equal(ag.ones(2), ag.ones(1)) is False
    assert ag.equal(ag.ones(2), ag.ones(2)) is True
    assert ag.allclose(ag.tensor(1.0), ag.tensor(1.00002)) is False
    assert ag.allclose(ag.tensor(0.0), ag.tensor(0.5)) is False
    assert ag.allclose(ag.tensor(1.0), ag.tensor(1.05), rtol=0.1) is True
    assert ag.allclose(ag.tensor(0.0), ag.tensor(0.4), atol=0.5) is True
    for fn, name in ((ag.equal, "torch.equal(a, b)"), (ag.allclose, "torch.allclose(a, b)")):
        compiled = ag.compile(lambda a, fn=fn: a * float(fn(a, a)))
        with pytest.raises(ag.CompileError) as err:
            compiled(ag.ones(2))
        assert str(err.value).startswith(f"{name} inside a function being recorded")


def test_step_functions_and_round():
    """A float input requiring grad goes through the Function (``_apply_step`` #1, #2: a
    leaf without history), ``round`` to 1 decimal (#3) and of integers with negative
    decimals (#5-#17: kept int64; PyTorch refuses integers here)."""
    x = ag.tensor([1.5, -2.5], requires_grad=True)
    y = ag.floor(x)
    assert y.requires_grad and y.tolist() == [1.0, -3.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    assert ag.round(ag.tensor([1.25, 2.75], dtype=ag.float64), 1).tolist() == [1.2, 2.8]
    r = ag.round(ag.tensor([1.25], requires_grad=True), 1)  # round #5-#8: the Function
    assert r.requires_grad
    out = ag.round(ag.tensor([12, 18]), -1)
    assert out.dtype == ag.int64 and out.tolist() == [10, 20]
    assert ag.frac(ag.tensor([1.5, -2.25])).tolist() == [0.5, -0.25]


def test_gradients_through_casts_and_complex_products():
    """A real tensor cast to complex gets the real part of the gradient
    (``Cast.backward`` #3-#15), a float64 cast gives float32 gradients back; the gradient
    of a complex product is conjugated (``conj_of`` #1-#6), as PyTorch 2.13; a Python
    number operand's shape is () (``shape_of`` #9)."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    z = x.to(ag.complex64)
    (z * ag.tensor([1 + 1j, 2 - 1j])).real.sum().backward()
    assert x.grad.dtype == ag.float32 and x.grad.tolist() == [1.0, 2.0]
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x.to(ag.float64) * 3).sum().backward()
    assert x.grad.dtype == ag.float32 and x.grad.tolist() == [3.0, 3.0]
    w = ag.tensor([1 + 2j], requires_grad=True)
    (w * ag.tensor([3 - 1j])).real.sum().backward()
    assert w.grad.tolist() == [3 + 1j]
    h = ag.tensor([3.0], requires_grad=True)
    ag.hypot(h, 4.0).backward()
    np.testing.assert_allclose(h.grad.numpy(), [0.6], rtol=1e-6)


def test_copies_and_to_device():
    """``split_with_sizes_copy`` with the default dim 0 (``_split_with_sizes``: no
    covering test), the copies own their memory; ``to_device`` to the tensor's own device
    returns it (``to_device`` #1)."""
    a, b = ag.split_with_sizes_copy(X, [1, 1])
    assert a.tolist() == [[0.0, 1.0, 2.0]] and b.tolist() == [[3.0, 4.0, 5.0]]
    a.add_(1)
    assert X.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    from autograd.ops.convert import to_device

    assert to_device(X, X.device) is X


try:  # the emulated GPU of tests/backends (the real CupyBackend on an emulated CuPy)
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    emulated_cuda = None


@pytest.mark.skipif(emulated_cuda is None, reason="no emulated GPU harness")
def test_to_device_and_back_on_the_emulated_gpu(request):
    """A transfer to the emulated GPU and back: values, devices and the gradient sent
    back to the source device (``ToDevice.forward``/``backward``, ``to_device``: no
    covering test before)."""
    request.getfixturevalue("emulated_cuda")
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device.type == "cuda" and y.requires_grad
    back = (y * 3).to("cpu")
    assert back.device.type == "cpu" and back.tolist() == [3.0, 6.0]
    back.sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [3.0, 3.0]
