"""Tests against the surviving mutants of ``nn/functional/normalization.py`` (issue 18,
mutation testing): whole error messages for every function and every optional tensor
(each names the op, the argument, the expected shape or dtype), the smallest valid and
the largest invalid sizes (2 values per channel, 1 spatial element, 0 channels, an empty
batch, ``size=1``), the defaults (``training``, ``momentum``, ``k``, rms_norm's eps per
dtype), the running statistics when only one of them is given, and instance_norm's
evaluation path passing its arguments on.

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``nn/functional/normalization.py`` package of ``benchmarks/mutation.py``). No torch: the
expected values are NumPy formulas."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import nn.functional as F


def _full(msg):
    return "^" + re.escape(msg) + "$"


def _t(a):
    return ag.tensor(np.asarray(a, dtype=np.float64))


X3 = np.arange(24.0).reshape(2, 3, 4) / 10


def _per_channel_call(op, **kw):
    x = _t(X3)
    if op == "batch_norm":
        args = dict(running_mean=None, running_var=None)
        args.update(kw)
        return F.batch_norm(x, args.pop("running_mean"), args.pop("running_var"), **args,
                            training=True)
    if op == "instance_norm":
        return F.instance_norm(x, **kw)
    return F.group_norm(x, 3, **kw)


PER_CHANNEL = [(op, name) for op in ("batch_norm", "instance_norm")
               for name in ("running_mean", "running_var", "weight", "bias")] + [
    ("group_norm", "weight"), ("group_norm", "bias")]


@pytest.mark.parametrize("op,name", PER_CHANNEL)
def test_per_channel_tensors_are_checked_by_name(op, name):
    """Each optional (C,) tensor: a wrong shape, a list and an integer tensor are refused
    with the op and the argument named. Kills ``_check``'s ``TypeError(None)`` and
    ``type(None)``, ``_check_channel_input``'s ``_check(t, name, (c,), None, ...)`` /
    ``(..., None)``, every per-channel keyword dropped or set to None in batch_norm's and
    instance_norm's checks, and group_norm's ``_check`` argument mutants (``None``
    tensor/name/op/dtype, ``"XXweightXX"``, ``"WEIGHT"``, ...)."""
    with pytest.raises(ValueError, match=_full(f"{op}: expected {name} of shape (3,), got (2,)")):
        _per_channel_call(op, **{name: _t([1.0, 2.0])})
    with pytest.raises(TypeError, match=_full(f"{op}: {name} must be a Tensor or None, got list")):
        _per_channel_call(op, **{name: [1.0, 2.0, 3.0]})
    with pytest.raises(TypeError, match=_full(
            f"{op}: {name} must be floating, got dtype int64 (input float64)")):
        _per_channel_call(op, **{name: ag.tensor(np.array([1, 2, 3]))})


@pytest.mark.parametrize("op,name", [("layer_norm", "weight"), ("layer_norm", "bias"),
                                     ("rms_norm", "weight")])
def test_trailing_tensors_are_checked_by_name(op, name):
    """Kills ``_check_trailing_input``'s ``_check(None, ...)``/``(t, None, ...)``/
    ``(..., None, ...)`` and layer_norm's and rms_norm's ``weight=None``/``bias=None``/
    dropped keywords and op-name mutants."""
    with pytest.raises(ValueError, match=_full(f"{op}: expected {name} of shape (4,), got (3,)")):
        getattr(F, op)(_t(X3), (4,), **{name: _t([1.0, 2.0, 3.0])})
    with pytest.raises(TypeError, match=_full(
            f"{op}: {name} must be floating, got dtype int64 (input float64)")):
        getattr(F, op)(_t(X3), (4,), **{name: ag.tensor(np.array([1, 2, 3, 4]))})


@pytest.mark.parametrize("op", ["batch_norm", "instance_norm", "layer_norm", "rms_norm",
                                "local_response_norm"])
def test_input_messages(op):
    """The input checks' messages, whole. Kills ``TypeError(None)``, ``type(None)``,
    ``ValueError(None)``, ``tuple(None)``, the ``expected`` shape strings (``XX...XX``,
    lower and upper case) and the op-name mutants of every function."""
    def call(x):
        if op in ("layer_norm", "rms_norm"):
            return getattr(F, op)(x, (3,))
        if op == "local_response_norm":
            return F.local_response_norm(x, 2)
        if op == "batch_norm":
            return F.batch_norm(x, None, None, training=True)
        return F.instance_norm(x)

    with pytest.raises(TypeError, match=_full(f"{op}: input must be a Tensor, got list")):
        call([1.0, 2.0, 3.0])
    expected = {
        "batch_norm": "batch_norm: expected input of shape (N, C) or (N, C, *), got (3,)",
        "instance_norm": "instance_norm: expected input of shape (N, C, *) with at least "
                         "one spatial dimension, got (3,)",
        "local_response_norm": "local_response_norm: expected input of shape (N, C, *) with "
                               "3 or more dimensions, got (3,)",
        "layer_norm": None, "rms_norm": None}[op]
    if expected:
        with pytest.raises(ValueError, match=_full(expected)):
            call(_t([1.0, 2.0, 3.0]))
    if op != "local_response_norm":
        with pytest.raises(TypeError, match=_full(
                f"{op}: expected a floating input, got dtype int64")):
            call(ag.tensor(np.arange(18).reshape(2, 3, 3)))


def test_batch_norm_sizes_defaults_and_eval_check():
    """Two values per channel are enough to train (``n <= 2`` refuses them), no channels
    or one value is refused by our message (``c or True`` divides by zero); the defaults
    are evaluation mode and momentum 0.1; evaluation needs both running statistics.
    Kills ``n <= 2``, ``(c) or True``, ``training: bool = True``, ``momentum = 1.1``,
    ``running_mean is None and running_var is None`` and the message's text mutants."""
    x = _t([[1.0, 2.0, 3.0], [3.0, 6.0, 5.0]])
    out = F.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(out.numpy(), [[-1, -1, -1], [1, 1, 1]], rtol=1e-5)
    for bad in (np.zeros((4, 0)), np.ones((1, 3))):
        with pytest.raises(ValueError, match=re.escape(
                "batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {bad.shape}")):
            F.batch_norm(_t(bad), None, None, training=True)
    rm, rv = _t([0.5, 0.0, 1.0]), _t([4.0, 1.0, 0.25])
    np.testing.assert_allclose(F.batch_norm(x, rm, rv).numpy(),
                               (x.numpy() - rm.numpy()) / np.sqrt(rv.numpy() + 1e-5),
                               rtol=1e-12)
    F.batch_norm(x, rm, rv, training=True)  # default momentum 0.1
    np.testing.assert_allclose(rm.numpy(), 0.9 * np.array([0.5, 0.0, 1.0]) + 0.1 * np.array(
        [2.0, 4.0, 4.0]), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 * np.array([4.0, 1.0, 0.25]) + 0.1 * np.array(
        [2.0, 8.0, 2.0]), rtol=1e-12)
    for a, b in ((rm, None), (None, rv)):
        with pytest.raises(ValueError, match=_full(
                "batch_norm: running_mean and running_var are required when training=False")):
            F.batch_norm(x, a, b)


def test_instance_norm_sizes_defaults_and_partial_running_stats():
    """Two spatial elements are enough, one is not, and an empty batch or no channels is
    refused by our message; the default momentum is 0.1; a running mean alone (or a
    running variance alone) is still updated. Kills ``n < 1``, ``n <= 2``, the ``n``
    guards (``or True``, ``shape[0] / c``, ``shape[1] * c``: division by zero), the
    message mutants, ``momentum = 1.1`` and the ``running_mean ... running_var``
    condition mutants."""
    x = np.array([[[1.0, 3.0], [2.0, 6.0]]])  # (1, 2, 2)
    np.testing.assert_allclose(F.instance_norm(_t(x)).numpy(), [[[-1, 1], [-1, 1]]], rtol=1e-5)
    for bad in ((2, 3, 1), (0, 3, 4), (2, 0, 4)):
        with pytest.raises(ValueError, match=_full(
                "instance_norm: expected more than 1 spatial element per channel when "
                f"training, got input of shape {bad}")):
            F.instance_norm(_t(np.zeros(bad)))
    rm = _t([1.0, 1.0])
    F.instance_norm(_t(x), running_mean=rm)
    np.testing.assert_allclose(rm.numpy(), [0.9 + 0.2, 0.9 + 0.4], rtol=1e-12)
    rv = _t([1.0, 1.0])
    F.instance_norm(_t(x), running_var=rv)
    np.testing.assert_allclose(rv.numpy(), [0.9 + 0.1 * 2.0, 0.9 + 0.1 * 8.0], rtol=1e-12)


def test_instance_norm_with_running_statistics_passes_everything_on():
    """``use_input_stats=False``: batch_norm in evaluation with the running statistics,
    weight, bias and eps given. Kills the mutants of that call (``None`` weight/bias,
    ``eps`` dropped or taking momentum's place)."""
    x = _t(X3)
    rm, rv = _t([0.5, 1.0, 1.5]), _t([2.0, 1.0, 0.5])
    w, b = _t([1.0, -2.0, 0.5]), _t([0.1, 0.2, 0.3])
    got = F.instance_norm(x, rm, rv, w, b, use_input_stats=False, momentum=0.3, eps=0.25)
    want = ((X3 - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 0.25)
            * w.numpy()[:, None] + b.numpy()[:, None])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_layer_and_group_norm_shapes():
    """layer_norm over every dimension (k == ndim) works and ``()`` is refused; group_norm
    takes (N, C) inputs and refuses a 1-d one by message. Kills ``k == 0 and ...``,
    ``input.ndim <= k``, group_norm's ``... and ...`` (IndexError), ``ndim <= 2``,
    ``ndim < 3``, ``ValueError(None)`` and ``tuple(None)``."""
    x = np.array([[1.0, 3.0], [5.0, 7.0]])
    np.testing.assert_allclose(F.layer_norm(_t(x), (2, 2)).numpy(),
                               (x - 4) / np.sqrt(5 + 1e-5), rtol=1e-12)
    with pytest.raises(ValueError, match=_full(
            "layer_norm: normalized_shape () does not match the trailing dimensions of input "
            "of shape (2, 2)")):
        F.layer_norm(_t(x), ())
    np.testing.assert_allclose(F.group_norm(_t(x), 1).numpy(),
                               [[-1, 1], [-1, 1]], rtol=1e-5)
    with pytest.raises(ValueError, match=_full(
            "group_norm: input of shape (4,) needs at least 2 dims and channels divisible by "
            "num_groups=2")):
        F.group_norm(_t([1.0, 2.0, 3.0, 4.0]), 2)


def test_rms_norm_default_eps_is_the_dtypes():
    """The default eps is the machine epsilon of the input's dtype: visible on float32
    inputs of magnitude 1e-4. Kills ``np.finfo(None)`` (float64's epsilon)."""
    x = np.full((2, 3), 1e-4, np.float32)
    got = F.rms_norm(ag.tensor(x), (3,)).numpy()
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(got, x / np.sqrt(np.float32(1e-8) + eps), rtol=1e-5)


def test_local_response_norm_defaults_and_size():
    """Defaults alpha 1e-4, beta 0.75, k 1; ``size=1`` is valid (each channel alone) and
    ``size=0`` is refused. Kills the default mutants (``k = 2.0``, ...), ``size <= 1``,
    ``size < 2`` and the message mutants."""
    x = np.arange(1.0, 13.0).reshape(1, 3, 4) * 10
    got = F.local_response_norm(_t(x), 1).numpy()
    np.testing.assert_allclose(got, x / (1.0 + 1e-4 * x * x) ** 0.75, rtol=1e-12)
    got2 = F.local_response_norm(_t(x), 2).numpy()
    sq = x * x
    window = sq + np.concatenate([np.zeros((1, 1, 4)), sq[:, :-1]], axis=1)
    np.testing.assert_allclose(got2, x / (1.0 + 1e-4 / 2 * window) ** 0.75, rtol=1e-12)
    with pytest.raises(ValueError, match=_full(
            "local_response_norm: size must be a positive integer, got 0")):
        F.local_response_norm(_t(x), 0)
