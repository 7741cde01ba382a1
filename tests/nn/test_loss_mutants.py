"""Tests against the surviving mutants of ``nn/functional/loss.py`` (issue 18, mutation
testing): whole error messages (each names the loss, the argument and the shapes or
devices), conversions of non-Tensor targets and weights (their dtype and device), the
empty-batch and unbatched paths, the log clamps, the floating-point warnings silenced in
``binary_cross_entropy``, the boundaries of the piecewise losses at second order, and the
defaults. A second device is the emulated CUDA device of
``tests/backends/test_cupy_backend.py``.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/loss.py`` package of ``benchmarks/mutation.py``). No torch needed: the
expected values are by hand or NumPy (PyTorch 2.13's where stated, checked when written).
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from backends import DeviceMismatchError

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:
    emulated_cuda = None

POINTWISE = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss"]


def _full(msg: str) -> str:
    return "^" + re.escape(msg) + "$"


def _x(*shape, dtype=np.float64, lo=0.1, hi=0.9):
    return ag.tensor(np.linspace(lo, hi, int(np.prod(shape))).reshape(shape).astype(dtype))


@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_messages_name_the_loss(name):
    """The reduction, type and shape messages, whole. Kills every mutant of the op name
    passed to ``_pointwise_args`` (None, ``XX...XX``, upper case) in the eight losses,
    ``_check_reduction(reduction, None)``, ``TypeError(None)``/``type(None)`` and the
    shape message's text mutants."""
    x, t = _x(2, 3), _x(2, 3)
    with pytest.raises(ValueError, match=_full(
            f"{name}: reduction must be 'none', 'mean' or 'sum', got 'avg'")):
        getattr(F, name)(x, t, reduction="avg")
    with pytest.raises(TypeError, match=_full(f"{name}: input must be a Tensor, got list")):
        getattr(F, name)([0.5], t)
    with pytest.raises(ValueError, match=_full(
            f"{name}: input shape (2, 3) and target shape (3, 2) differ; they must match "
            "(reshape one of them, e.g. target.view(-1, 1)), since broadcasting here is "
            "almost always a bug")):
        getattr(F, name)(x, _x(3, 2))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_index_messages(name):
    """cross_entropy and nll_loss: reduction, input type, integer targets, target shapes
    (the expected shape drops dim 1: ``shape[2:]``), out-of-range targets (the value
    named is the offending one), whole. Kills the op-name mutants of both functions, of
    ``_class_layout`` and ``_row_terms``' op, ``TypeError(None)``, the
    ``(N, d1, ...)`` message's ``shape[3:]``, ``_row_arrays``' ``m = None``,
    ``lo < 0 and hi >= c``, ``hi > c`` and the message's choice of value."""
    fn = getattr(F, name)
    x = _x(4, 3)
    with pytest.raises(ValueError, match=_full(
            f"{name}: reduction must be 'none', 'mean' or 'sum', got 'avg'")):
        fn(x, ag.tensor([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(TypeError, match=f"^{name}: input must be a"):
        fn([[0.5, 0.5]], ag.tensor([0]))
    with pytest.raises(TypeError, match=_full(
            f"{name}: class-index targets must be an integer tensor, got dtype bool (shape "
            "(4,)); for class probabilities pass a floating target of the input's shape")):
        fn(x, ag.tensor(np.array([True, False, True, False])))
    x4 = _x(2, 3, 4, 5)
    with pytest.raises(ValueError, match=_full(
            f"{name}: input of shape (2, 3, 4, 5) (N, C, d1, ...) expects a target of shape "
            "(2, 4, 5) (N, d1, ...), got (2, 4)")):
        fn(x4, ag.tensor(np.zeros((2, 4), np.int64)))
    with pytest.raises(ValueError, match=_full(
            f"{name}: input of shape (3,) (unbatched) needs a 0-d target, got shape (1,)")):
        fn(_x(3), ag.tensor([1]))
    for bad, named in (([0, 3, 1, 2], 3), ([0, -1, 1, 2], -1), ([5, -2, 1, 2], 5)):
        with pytest.raises(IndexError, match=_full(
                f"{name}: target {named} is out of bounds for 3 classes (ignore_index=-100)")):
            fn(x, ag.tensor(bad))


def test_cross_entropy_messages():
    """The rest of cross_entropy's messages. Kills ``label_smoothing < 1.0`` (1.0 is
    allowed), ``TypeError(None)`` of the Tensor and floating checks, the probability
    targets' shape message (``ValueError(None)``, ``tuple(None)``). A 0-d input is
    refused by name (it raised a bare IndexError from the shape message: fixed)."""
    x, t = _x(4, 3), ag.tensor([0, 1, 2, 0])
    assert math.isfinite(F.cross_entropy(x, t, label_smoothing=1.0).item())
    with pytest.raises(ValueError, match=_full(
            "cross_entropy: label_smoothing must be in [0, 1], got 1.5")):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(TypeError, match=_full("cross_entropy: input must be a Tensor, got list")):
        F.cross_entropy([[0.5]], t)
    with pytest.raises(TypeError, match=_full(
            "cross_entropy: input (logits) must be floating, got int64")):
        F.cross_entropy(ag.tensor([[1, 2]]), ag.tensor([0]))
    with pytest.raises(ValueError, match=_full(
            "cross_entropy: probability targets must have the input's shape (4, 3), got "
            "(4, 2)")):
        F.cross_entropy(x, _x(4, 2))
    for name in ("cross_entropy", "nll_loss"):  # regression: was a bare IndexError
        with pytest.raises(ValueError, match=_full(
                f"{name}: expected an input of shape (C,) or (N, C, d1, ...) (1 or more "
                "dimensions), got a 0-d input")):
            getattr(F, name)(ag.tensor(1.0), ag.tensor(0))
    with pytest.raises(TypeError, match=_full(
            "nll_loss: input must be a floating Tensor of log-probabilities")):
        F.nll_loss([[0.5]], ag.tensor([0]))
    with pytest.raises(TypeError, match=_full(
            "nll_loss: input must be a floating Tensor of log-probabilities")):
        F.nll_loss(ag.tensor([[1, 2]]), ag.tensor([0]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_weight_shape_message_and_list_weight(name):
    """A weight of the wrong shape: the message names the loss and the expected (C,). A
    weight given as a list works like the Tensor. Kills ``_class_weight``'s
    ``isinstance(weight, Tensor) or True`` (``.array`` of a list), ``asarray(None)`` and
    ``_row_terms``/``_class_weight`` op-name mutants."""
    fn = getattr(F, name)
    x, t = _x(4, 3), ag.tensor([0, 1, 2, 0])
    with pytest.raises(ValueError, match=_full(
            f"{name}: weight must have shape (3,) (one per class), got (2,)")):
        fn(x, t, weight=ag.tensor([1.0, 2.0]))
    a = fn(x, t, weight=[1.0, 0.5, 2.0]).item()
    b = fn(x, t, weight=ag.tensor([1.0, 0.5, 2.0])).item()
    assert a == b


def test_empty_batch_mean_is_nan_sum_is_zero():
    """PyTorch: the mean over an empty batch is NaN, the sum 0, 'none' an empty vector.
    Kills cross_entropy's and nll_loss's ``reduction != "mean"``, ``"XXmeanXX"``,
    ``"MEAN"``, ``x2.shape[1]``, ``out = None``."""
    x = ag.tensor(np.zeros((0, 3)))
    t = ag.tensor(np.zeros(0, np.int64))
    for fn in (F.cross_entropy, F.nll_loss):
        assert math.isnan(fn(x, t).item())
        assert fn(x, t, reduction="sum").item() == 0.0
        assert fn(x, t, reduction="none").shape == (0,)


def test_unbatched_and_spatial_shapes():
    """Unbatched input (C,) with a 0-d target, class probabilities of shape (C,), and a
    spatial input (N, C, d) with 'none' (the per-element losses keep (N, d)); list
    targets are accepted. Kills ``target.array.reshape(None)`` of the unbatched layout,
    ``_cross_entropy_probs``' ``dim`` mutants (``... and False``, ``1 if``), nll_loss's
    'none' reshape mutants (``... and False``, ``"XXnoneXX"``, ``"NONE"``) and its list
    target conversion (``isinstance``, ``Tensor(None)``, ``Tensor(device=...)``)."""
    logits = np.array([0.5, -1.0, 2.0])
    lp = logits - np.log(np.exp(logits).sum())
    assert F.cross_entropy(ag.tensor(logits), ag.tensor(2)).item() == pytest.approx(-lp[2])
    assert F.nll_loss(ag.tensor(lp), ag.tensor(1)).item() == pytest.approx(-lp[1])
    probs = np.array([0.2, 0.3, 0.5])
    assert F.cross_entropy(ag.tensor(logits), ag.tensor(probs)).item() == pytest.approx(
        -(probs * lp).sum())
    x = np.arange(12.0).reshape(2, 3, 2) / 7
    t = np.array([[0, 2], [1, 1]])
    got = F.nll_loss(ag.tensor(x), ag.tensor(t), reduction="none")
    assert got.shape == (2, 2)
    np.testing.assert_array_equal(got.numpy(), -x[[[0], [1]], t, [[0, 1]]])
    assert F.nll_loss(ag.tensor(x[:, :, 0]), [0, 2]).item() == pytest.approx(
        -(x[0, 0, 0] + x[1, 2, 0]) / 2)


def test_ignored_rows_with_one_class():
    """With one class, an ignored row's safe index must be 0 (1 is out of bounds). Kills
    ``_row_arrays``' ``copyto(safe, 1 ...)``."""
    x = ag.tensor(np.array([[0.3], [1.2], [-0.4]]))
    t = ag.tensor([0, -100, 0])
    assert F.cross_entropy(x, t).item() == 0.0  # log_softmax of one class is 0
    assert F.nll_loss(x, t).item() == pytest.approx(-(0.3 - 0.4) / 2)


@pytest.mark.parametrize("name", POINTWISE)
def test_float32_input_keeps_float32_with_other_targets(name):
    """A float32 input with a float64 Tensor target, a NumPy target, or an integer input:
    the loss is float32 (the default dtype for the integer input). Kills
    ``_pointwise_args``' ``target.dtype == input.dtype``, ``target = None``,
    ``target.to(None)``, ``input = None``/``input.to(None)`` and ``_as_tensor_like``'s
    ``Tensor(target, device=...)`` without the input's dtype."""
    x = _x(2, 3, dtype=np.float32)
    t64 = np.linspace(0.2, 0.8, 6).reshape(2, 3)
    if name == "soft_margin_loss":
        t64 = np.where(t64 > 0.5, 1.0, -1.0)
    for t in (ag.tensor(t64), t64):
        out = getattr(F, name)(x, t)
        assert out.dtype == ag.float32, (name, type(t))
    if name not in ("binary_cross_entropy", "kl_div"):
        out = getattr(F, name)(ag.tensor(np.array([[1, 2, 0], [0, 1, 1]])), ag.tensor(t64))
        assert out.dtype == ag.get_default_dtype()


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_weight_as_array_keeps_the_dtype(name):
    """A NumPy weight with a float32 input: a float32 loss (the weight takes the input's
    dtype), equal to the Tensor weight's. Kills ``_as_tensor_like``'s
    ``Tensor(target, device=...)`` (float64 weight), ``Tensor(None, ...)`` and
    ``Tensor(dtype=...)``."""
    x, t = _x(2, 3, dtype=np.float32), _x(2, 3, dtype=np.float32, lo=0.0, hi=1.0)
    w = np.array([0.5, 1.0, 2.0])
    a = getattr(F, name)(x, t, weight=w, reduction="none")
    b = getattr(F, name)(x, t, weight=ag.tensor(w.astype(np.float32)), reduction="none")
    assert a.dtype == ag.float32
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_bce_with_logits_pos_weight_forms_and_message():
    """pos_weight as a list or a float64 Tensor with a float32 input: float32 loss and
    gradient, the same values as a float32 Tensor; a pos_weight that does not broadcast is
    refused with our message. Kills ``isinstance(pos_weight, Tensor) and False``/
    ``or True``, ``asarray(None)``, ``pw.astype(None, ...)``, the ``broadcast_shapes``
    argument mutants and ``ValueError(None)``/``tuple(None)``."""
    x0 = np.linspace(-2, 2, 6).reshape(2, 3).astype(np.float32)
    t = ag.tensor(np.array([[1, 0, 1], [0, 1, 0]], np.float32))
    outs = []
    for pw in ([2.0, 0.5, 1.0], ag.tensor([2.0, 0.5, 1.0]),
               ag.tensor(np.array([2.0, 0.5, 1.0], np.float32))):
        x = ag.tensor(x0, requires_grad=True)
        out = F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="sum")
        out.backward()
        assert out.dtype == ag.float32 and x.grad.dtype == ag.float32
        outs.append((out.item(), x.grad.numpy()))
    for v, g in outs[1:]:
        assert v == outs[0][0]
        np.testing.assert_array_equal(g, outs[0][1])
    with pytest.raises(ValueError, match=_full(
            "binary_cross_entropy_with_logits: pos_weight of shape (2,) does not broadcast "
            "to the input shape (2, 3)")):
        F.binary_cross_entropy_with_logits(ag.tensor(x0), t, pos_weight=[1.0, 2.0])


def test_binary_cross_entropy_range_message():
    """Kills the text mutants of the out-of-range message."""
    with pytest.raises(ValueError, match=_full(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (got min "
            "-0.5, max 0.5); pass logits to binary_cross_entropy_with_logits instead")):
        F.binary_cross_entropy(ag.tensor([-0.5, 0.5]), ag.tensor([0.0, 1.0]))


def test_binary_cross_entropy_at_0_and_1_is_quiet_and_clamped():
    """x = 0 and x = 1 exactly: finite losses (each log clamped at -100), no NumPy
    warning, NumPy's error state restored afterwards, and the target's gradient
    ``g * (clamp(log1p(-x)) - clamp(log x))`` = -100 at x = 1 and +100 at x = 0. Kills
    ``_quiet(None)``, every ``_quiet.__init__`` mutant (no errstate, ``divide=None``,
    ``hasattr(None, ...)``, a misspelt name), ``__exit__``'s ``is None`` (the state left
    silenced) and the gradient's ``min=-101.0`` mutants."""
    x = ag.tensor(np.array([0.0, 1.0, 0.5]))
    t = ag.tensor(np.array([1.0, 0.0, 0.5]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, np.log(2)], rtol=1e-15)
    with warnings.catch_warnings():  # this rare backward (a target requiring grad) runs
        warnings.simplefilter("ignore")  # log(0) as Tensor ops, which warn (not the forward)
        loss.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [100.0, -100.0, 0.0], atol=1e-15)
    assert np.geterr()["divide"] == "warn"
    with pytest.warns(RuntimeWarning):
        np.log(np.zeros(1))


@pytest.mark.parametrize("name,arg", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
def test_piecewise_losses_default_and_boundary(name, arg):
    """Defaults beta = delta = 1 (|d| = 1.5 is on the linear piece), the linear piece at
    |d| == beta exactly (PyTorch's: its second derivative there is 0, 1/beta inside), and
    the parameter checks. Kills the default ``2.0`` mutants, ``<=`` in the ``where``,
    ``delta < 0`` (0 refused) and the ``ValueError(None)`` mutants."""
    fn = getattr(F, name)
    d = ag.tensor([1.5, -0.5])
    want = [1.0, 0.125]  # 1.5 - 0.5 (both forms at beta = delta = 1), 0.5 * 0.25
    np.testing.assert_allclose(fn(d, ag.zeros(2, dtype=ag.float64), reduction="none").numpy(),
                               want, rtol=1e-15)
    x = ag.tensor([0.5, -0.5, 0.2], requires_grad=True)
    loss = fn(x, ag.zeros(3, dtype=ag.float64), reduction="sum", **{arg: 0.5})
    (g,) = ag.grad(loss, x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    inner = 2.0 if name == "smooth_l1_loss" else 1.0
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.0, inner])  # PyTorch 2.13's values
    if name == "huber_loss":
        with pytest.raises(ValueError, match=_full("huber_loss: delta must be positive, got 0")):
            fn(x, x, delta=0)
    else:
        with pytest.raises(ValueError, match=_full(
                "smooth_l1_loss: beta must be non-negative, got -0.5")):
            fn(x, x, beta=-0.5)


def test_kl_div_zero_targets_defaults_and_batchmean():
    """Targets with exact zeros contribute 0 (not NaN, not 1); the default reduction is
    'mean' with log_target False; 'batchmean' of a 0-d input divides by 1; an invalid
    reduction is refused. Kills ``pos >= 0``, ``where(..., 1.0)``, the default mutants,
    ``(input.ndim) or True``, ``else 2`` and ``batchmean or True`` (the reduction then
    never checked)."""
    x = ag.tensor(np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])))
    t = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    pointwise = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - x.numpy()), 0.0)
    np.testing.assert_allclose(F.kl_div(x, ag.tensor(t), reduction="none").numpy(),
                               pointwise, rtol=1e-15)
    assert F.kl_div(x, ag.tensor(t)).item() == pytest.approx(pointwise.mean(), rel=1e-15)
    assert F.kl_div(x, ag.tensor(t), reduction="batchmean").item() == pytest.approx(
        pointwise.sum() / 2, rel=1e-15)
    assert F.kl_div(ag.tensor(np.float64(-1.0)), ag.tensor(np.float64(0.5)),
                    reduction="batchmean").item() == \
        pytest.approx(0.5 * (np.log(0.5) + 1.0), rel=1e-15)
    with pytest.raises(ValueError, match=_full(
            "kl_div: reduction must be 'none', 'mean' or 'sum', got 'avg'")):
        F.kl_div(x, ag.tensor(t), reduction="avg")


def test_l1_and_mse_defaults():
    """The default reduction is the mean. Kills the ``reduction`` default mutants of
    ``l1_loss`` and ``mse_loss``."""
    x, t = ag.tensor([1.0, -2.0, 4.0]), ag.tensor([0.0, 0.0, 0.0])
    assert F.l1_loss(x, t).item() == pytest.approx(7 / 3)
    assert F.mse_loss(x, t).item() == pytest.approx(7.0)


# --- a second device ------------------------------------------------------------------
DEVICE_CASES = [
    # (loss, input on the CPU, which argument is on the other device)
    ("mse_loss", "target"), ("l1_loss", "target"), ("smooth_l1_loss", "target"),
    ("huber_loss", "target"), ("binary_cross_entropy", "target"),
    ("binary_cross_entropy", "weight"), ("binary_cross_entropy_with_logits", "target"),
    ("binary_cross_entropy_with_logits", "weight"),
    ("binary_cross_entropy_with_logits", "pos_weight"), ("kl_div", "target"),
    ("soft_margin_loss", "target"), ("cross_entropy", "target"),
    ("cross_entropy", "weight"), ("cross_entropy", "probs"), ("nll_loss", "target"),
    ("nll_loss", "weight"),
]


@pytest.mark.parametrize("name,what", DEVICE_CASES)
def test_an_argument_on_another_device_is_named(request, name, what):
    """The DeviceMismatchError names the loss, the argument, both devices and both shapes,
    and how to move it (README: every op). Kills the mutants of ``_same_device``'s
    message (``None``, ``tuple(None)``, ``str(None)``) and of the op/argument names passed
    to it by ``_as_tensor_like``, ``_class_layout``, ``_class_weight``,
    ``_cross_entropy_probs`` and ``binary_cross_entropy_with_logits``."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    x = _x(2, 3)
    if name in ("cross_entropy", "nll_loss"):
        args = {"target": ag.tensor([0, 2]), "weight": ag.tensor([1.0, 2.0, 0.5])}
        if what == "probs":
            args["target"] = _x(2, 3)
        moved = "target" if what == "probs" else what
        shape = (2, 3) if what in ("probs", "weight") else (2,)
        if what == "weight":
            shape = (3,)
    else:
        t = _x(2, 3, lo=0.0, hi=1.0)
        if name == "soft_margin_loss":
            t = ag.tensor(np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]]))
        args = {"target": t, "weight": ag.tensor([1.0, 2.0, 0.5]),
                "pos_weight": ag.tensor([1.0, 2.0, 0.5])}
        moved, shape = what, (2, 3) if what == "target" else (3,)
    args[moved] = args[moved].to(dev)
    kwargs = {k: v for k, v in args.items() if k != "target" and k == moved}
    msg = (f"{name}: {moved} is on {dev} but input is on cpu (shapes {shape} and (2, 3)); "
           "move it with .to('cpu')")
    with pytest.raises(DeviceMismatchError, match=_full(msg)):
        getattr(F, name)(x, args["target"], **kwargs)


def test_list_targets_land_on_the_inputs_device(request):
    """A list target (or weight) is made on the input's device. Kills the ``device=None``
    and dropped-``device`` mutants of the conversions in ``cross_entropy``, ``nll_loss``
    and ``_as_tensor_like``."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    x = _x(2, 3).to(dev)
    assert F.cross_entropy(x, [0, 2]).device is dev
    assert F.nll_loss(x, [0, 2]).device is dev
    assert F.mse_loss(x, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]).device is dev
    assert F.binary_cross_entropy(x, [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
                                  weight=[1.0, 2.0, 3.0]).device is dev


def test_probability_targets_of_another_dtype_and_a_bad_weight():
    """Float64 class probabilities for float32 logits: a float32 loss equal to the one
    with float32 probabilities; a weight of the wrong shape is refused by name. Kills
    ``_cross_entropy_probs``' ``target.dtype == input.dtype``, ``target = None``,
    ``target.to(None)`` and ``_class_weight(..., None)``."""
    x = ag.tensor(np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]], np.float32))
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    a = F.cross_entropy(x, ag.tensor(p))
    b = F.cross_entropy(x, ag.tensor(p.astype(np.float32)))
    assert a.dtype == ag.float32 and a.item() == b.item()
    with pytest.raises(ValueError, match=_full(
            "cross_entropy: weight must have shape (3,) (one per class), got (2,)")):
        F.cross_entropy(x, ag.tensor(p), weight=ag.tensor([1.0, 2.0]))
