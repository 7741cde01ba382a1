"""Tests that kill the surviving mutants of nn/functional/loss_extra.py (issue 18).

Each loss against its definition written in NumPy (float64, every reduction), CTC against
a brute-force sum over every alignment path (loss and gradient), and every refusal's
whole message. A second device is the emulated CUDA device of
``tests/backends/test_cupy_backend.py``. No test needs torch.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    emulated_cuda = None

RNG = np.random.default_rng(1812)
REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def _t(a, grad=False):
    return ag.tensor(np.asarray(a, np.float64), requires_grad=grad)


def _close(out, want, rtol=1e-12):
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.numpy(), want, rtol=rtol, atol=1e-14)


# --- the composed losses --------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_and_hinge_losses_match_their_definitions(reduction):
    """margin_ranking_loss with a list target and a margin; hinge_embedding_loss with the
    default margin 1 and one of 0.4; values below and above the margins. Kills the
    reductions' names, the `_reduce(..., None)` op and the list-target conversion."""
    x1, x2 = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    t = [[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]]
    want = REDUCE[reduction](np.maximum(0, -np.array(t) * (x1 - x2) + 0.3))
    _close(F.margin_ranking_loss(_t(x1), _t(x2), t, margin=0.3, reduction=reduction), want)
    x = np.array([[0.2, 1.5, -0.3], [0.9, 0.5, 2.0]])
    for margin in (1.0, 0.4):
        want = REDUCE[reduction](np.where(np.array(t) == 1, x, np.maximum(0, margin - x)))
        kw = {} if margin == 1.0 else {"margin": margin}
        _close(F.hinge_embedding_loss(_t(x), _t(t), reduction=reduction, **kw), want)


def test_default_margins_reductions_and_full():
    """margin_ranking_loss and cosine_embedding_loss default to margin 0,
    hinge_embedding_loss to reduction 'mean', gaussian_nll_loss to full=False (kills
    the default mutants: margin 1.0, "XXmeanXX", full=True)."""
    x1, x2 = np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([[0.1, 0.2], [0.5, -0.3]])
    t = np.array([[1.0, -1.0], [-1.0, 1.0]])
    _close(F.margin_ranking_loss(_t(x1), _t(x2), _t(t)), np.maximum(0, -t * (x1 - x2)).mean())
    y = x1 + np.array([[0.1, 0.3], [-0.2, 0.1]])  # cosines 0.67 and 0.90: above margin 0
    cos = (x1 * y).sum(1) / np.sqrt(((x1 * x1).sum(1) + 1e-12) * ((y * y).sum(1) + 1e-12))
    assert cos.min() > 0.5
    _close(F.cosine_embedding_loss(_t(x1), _t(y), [-1, -1]), cos.mean())
    _close(F.hinge_embedding_loss(_t(x1), _t(t)), np.where(t == 1, x1, np.maximum(0, 1 - x1))
           .mean())
    _close(F.gaussian_nll_loss(_t(x1), _t(x2), 0.5),
           (0.5 * (np.log(0.5) + (x1 - x2) ** 2 / 0.5)).mean())


def test_triplet_swap_picks_the_positive_negative_distance():
    """With the negative closer to the positive than to the anchor, the swap uses
    d(p, n) computed with the given eps (kills eps dropped from that third distance)."""
    a = np.array([[0.0, 0.0, 0.0]])
    p = np.array([[1.0, 0.5, -0.5]])
    n = p + np.array([[0.1, -0.2, 0.05]])
    eps = 0.3

    def d(u, v):
        return np.sqrt(np.sum((u - v + eps) ** 2, -1))

    assert d(p, n)[0] < d(a, n)[0]
    out = F.triplet_margin_loss(_t(a), _t(p), _t(n), margin=0.5, eps=eps, swap=True,
                                reduction="sum")
    _close(out, np.maximum(d(a, p) - d(p, n) + 0.5, 0).sum())


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (4,)])
def test_triplet_margin_loss_matches_its_definition(swap, shape):
    """d(x, y) = ||x - y + eps||_p with a non-default eps and p (kills eps dropped from
    the three pairwise_distance calls), swap taking min(d(a, n), d(p, n)), unbatched (D,)
    inputs (kills `anchor.ndim not in (2, 2)`)."""
    a, p, n = (RNG.standard_normal(shape) for _ in range(3))
    n = a + 0.3 * n  # close negatives: the swap changes the distance
    eps = 0.25

    def d(u, v):
        return np.sum(np.abs(u - v + eps) ** 3, -1) ** (1 / 3)

    dn = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    want = np.maximum(d(a, p) - dn + 0.7, 0)
    out = F.triplet_margin_loss(_t(a), _t(p), _t(n), margin=0.7, p=3, eps=eps, swap=swap,
                                reduction="none")
    _close(out, want)


def test_triplet_with_distance_defaults():
    """Default distance pairwise_distance (kills `... or True`, which calls None), default
    swap False (the swap would change this case), default reduction mean, and a loss
    between 0 and 1 (kills `clamp(min=1)`)."""
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    p = np.array([[0.5, 0.0], [1.0, 1.5]])
    n = np.array([[1.0, 0.0], [1.0, 1.8]])

    def d(u, v):
        return np.sqrt(np.sum((u - v + 1e-6) ** 2, -1))

    want = np.maximum(d(a, p) - d(a, n) + 1.0, 0)
    assert 0 < want.min() and want.max() < 1 and not np.allclose(
        np.minimum(d(a, n), d(p, n)), d(a, n))
    _close(F.triplet_margin_with_distance_loss(_t(a), _t(p), _t(n)), want.mean())
    out = F.triplet_margin_with_distance_loss(
        _t(a), _t(p), _t(n), distance_function=lambda u, v: (u - v).abs().sum(-1),
        swap=True, reduction="sum")
    l1 = lambda u, v: np.abs(u - v).sum(-1)  # noqa: E731
    _close(out, np.maximum(l1(a, p) - np.minimum(l1(a, n), l1(p, n)) + 1.0, 0).sum())


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_matches_its_definition(p):
    """sum over the other classes of max(0, margin - x[y] + x[i]) ** p / C times
    weight[y]; an unbatched (C,) input gives a 0-d loss for 'none' (kills the 1-D
    `unsqueeze(1)`, `... and False`, `... or True` around it)."""
    x = RNG.standard_normal((3, 4))
    y = np.array([2, 0, 3])
    w = np.array([0.5, 2.0, 1.0, 3.0])
    want = np.array([sum(max(0.0, 0.8 - x[i, y[i]] + x[i, j]) ** p for j in range(4)
                         if j != y[i]) / 4 * w[y[i]] for i in range(3)])
    out = F.multi_margin_loss(_t(x), ag.tensor(y), p=p, margin=0.8, weight=_t(w),
                              reduction="none")
    _close(out, want)
    one = F.multi_margin_loss(_t(x[1]), [0], p=p, margin=0.8, weight=_t(w), reduction="none")
    _close(one, want[1])


def test_cosine_embedding_loss_keeps_eps_inside_the_magnitudes():
    """cos = <x1, x2> / sqrt((|x1|^2 + eps)(|x2|^2 + eps)) with eps 1e-12: for vectors of
    squared norm 1e-12 the eps halves the cosine (kills `- eps`, a division by zero)."""
    x1 = np.array([[1e-6, 0.0], [0.6, 0.8], [1.0, 2.0]])
    x2 = np.array([[1e-6, 0.0], [0.8, 0.6], [-1.0, 0.5]])
    t = [1, -1, -1]
    m1, m2 = (x1 * x1).sum(1) + 1e-12, (x2 * x2).sum(1) + 1e-12
    cos = (x1 * x2).sum(1) / np.sqrt(m1 * m2)
    assert abs(cos[0] - 0.5) < 1e-9
    want = np.where(np.array(t) == 1, 1 - cos, np.maximum(0, cos - 0.1))
    _close(F.cosine_embedding_loss(_t(x1), _t(x2), t, margin=0.1, reduction="none"), want)


@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_nll_full_adds_stirling_only_above_one(log_input):
    """The Stirling term t log t - t + log(2 pi t) / 2 is added where target > 1 only: a
    target of exactly 1 gets none (kills `t >= 1`)."""
    x = np.array([0.3, 1.2, 2.0, 0.7])
    t = np.array([0.0, 1.0, 3.0, 2.5])
    base = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    tt = np.maximum(t, 1)
    st = np.where(t > 1, tt * np.log(tt) - tt + 0.5 * np.log(2 * math.pi * tt), 0)
    out = F.poisson_nll_loss(_t(x), _t(t), log_input=log_input, full=True, reduction="none")
    _close(out, base + st)


@pytest.mark.parametrize("var_shape", [(2, 3), (2, 3, 1), (2, 3, 4), "float"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_variance_shapes_of_a_3d_input(var_shape, full):
    """A (2, 3, 4) input with var (2, 3) (one dimension fewer: kills `shape[:+1]` and
    `unsqueeze(+1)`, which are the same as [:-1] for 2-D inputs), (2, 3, 1), the full
    shape, or a float; a zero variance is clamped to eps, not refused (kills
    `var <= 0`)."""
    x, y = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 4))
    if var_shape == "float":
        var, v = 0.5, np.full((2, 3, 4), 0.5)
    else:
        v = RNG.uniform(0.2, 2.0, var_shape)
        v.flat[0] = 0.0
        var = _t(v)
        v = np.broadcast_to(v if len(var_shape) == 3 else v[..., None], (2, 3, 4))
    vc = np.maximum(v, 1e-6)
    want = 0.5 * (np.log(vc) + (x - y) ** 2 / vc) + (0.5 * math.log(2 * math.pi) if full else 0)
    _close(F.gaussian_nll_loss(_t(x), _t(y), var, full=full, reduction="none"), want)


def test_gaussian_nll_float_variance_keeps_float32():
    """A float var becomes a tensor of the input's dtype (kills the dropped `dtype=`)."""
    x = ag.tensor(np.array([[0.5, 1.0]], np.float32))
    out = F.gaussian_nll_loss(x, ag.tensor(np.array([[0.0, 0.0]], np.float32)), 2.0)
    assert out.dtype == np.float32


# --- CTC against every alignment path -------------------------------------------------------


def _collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def _ctc_brute(lp, labels, n_in, blank):
    """-log sum over the paths of length n_in collapsing to labels of prod exp(lp[t, c]),
    and its gradient with respect to lp (T, C)."""
    total, grad = 0.0, np.zeros_like(lp)
    for path in itertools.product(range(lp.shape[1]), repeat=n_in):
        if _collapse(path, blank) == list(labels):
            p = math.exp(sum(lp[t, c] for t, c in enumerate(path)))
            total += p
            for t, c in enumerate(path):
                grad[t, c] += p
    if total == 0.0:
        return math.inf, np.zeros_like(lp)
    return -math.log(total), -grad / total


# (T, N, C) log-probabilities (unnormalised: the gradient is for lp as given), the labels,
# input lengths and blank: a repeated label (needs a blank between), a sample of input
# length 1, an empty target beside longer ones, an impossible alignment, blank = 2
CTC_CASES = [
    (4, 3, [[1, 1], [2], [1, 2]], [4, 3, 4], 0),
    (3, 3, [[0], [], [1, 0]], [1, 3, 3], 2),
    (3, 3, [[1, 1], [2, 1], []], [2, 3, 0], 0),
    (2, 4, [[], [3]], [0, 2], 0),
    (3, 4, [[], []], [3, 2], 0),  # every target empty: one extended label per sample
    (2, 3, [[2], [1]], [0, 2], 0),  # no frame for a label: infinite loss
]


@pytest.mark.parametrize("case", range(len(CTC_CASES)))
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_loss_and_gradient_equal_the_sum_over_paths(case, layout):
    """Per-sample losses and the gradient for lp against the brute force over all C^T
    paths; no NumPy warning on the way (kills the `errstate` mutants, whose log(0) or
    overflow would warn). Kills the recursion's boundary mutants: the accepting
    positions (`np.maximum(s_len - 2, 1)`), `end = max(in_len - 1, 1)`, the `s_len > 1`
    and `in_len > 0` tests, `t <= in_len - 1` in beta, the `inside`/`occupancy` masks,
    `+inf` for a target with no frame, and the target layout handling.

    Bug this found (fixed): a batch whose targets are all empty (one extended label per
    sample) failed inside the recursion (the shifts by 2 widened the (N, 1) rows) for
    T >= 2; PyTorch returns the all-blank path's loss."""
    t_max, c, labels, in_len, blank = CTC_CASES[case]
    n = len(labels)
    lp = RNG.standard_normal((t_max, n, c)) * 0.7 - 1.0
    if layout == "padded":
        width = max(1, max(len(lab) for lab in labels))
        targets = np.full((n, width), blank if blank else 1)
        for i, lab in enumerate(labels):
            targets[i, :len(lab)] = lab
    else:
        targets = np.array([v for lab in labels for v in lab], dtype=np.int64)
    lens = [len(lab) for lab in labels]
    want = [_ctc_brute(lp[:, i], labels[i], in_len[i], blank) for i in range(n)]
    x = ag.tensor(lp, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.ctc_loss(x, ag.tensor(targets), ag.tensor(in_len), lens, blank=blank,
                         reduction="none")
    np.testing.assert_allclose(out.numpy(), [w[0] for w in want], rtol=1e-12)
    finite = np.isfinite(out.numpy())
    if finite.all():
        (out * ag.tensor(np.arange(1.0, n + 1))).sum().backward()
        scale = np.arange(1.0, n + 1)[None, :, None]
    else:
        F.ctc_loss(x, ag.tensor(targets), in_len, lens, blank=blank, reduction="sum",
                   zero_infinity=True).backward()
        scale = 1.0
    np.testing.assert_allclose(x.grad.numpy(), np.stack([w[1] for w in want], 1) * scale,
                               rtol=1e-10, atol=1e-13)


def test_ctc_samples_of_very_different_scales():
    """Two samples whose log-probabilities differ by 800: each column of the recursion's
    log-sum-exp is shifted by its own maximum (kills `stacked.max(None)`, one shift for
    the whole batch, and `np.where(None, m, 0.0)`, no shift: both underflow the small
    sample to an infinite loss)."""
    lp = RNG.standard_normal((3, 2, 3)) - 1.0
    lp[:, 1] -= 800.0
    want = [_ctc_brute(lp[:, i] + (800.0 if i else 0.0), [1], 3, 0)[0] + (2400.0 if i else 0)
            for i in range(2)]
    out = F.ctc_loss(_t(lp), [[1], [1]], [3, 3], [1, 1], reduction="none")
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)


def test_ctc_float32_is_computed_in_float64():
    """float32 log-probabilities: the recursion runs in float64 and the loss and the
    gradient come back float32, equal to the float64 results rounded (kills
    `np.asarray(..., dtype=None)` / dtype dropped, a float32 recursion, and
    `grads.astype(None)`, a float64 gradient)."""
    lp = (RNG.standard_normal((6, 3, 4)) - 1.5).astype(np.float32)
    labels, in_len = [[1, 2, 1], [3], [2, 2]], [6, 5, 6]
    x = ag.tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, [[1, 2, 1], [3, 0, 0], [2, 2, 0]], in_len, [3, 1, 2],
                     reduction="none")
    want = [_ctc_brute(lp[:, i].astype(np.float64), labels[i], in_len[i], 0)
            for i in range(3)]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.float32([w[0] for w in want]))
    out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), np.stack([w[1] for w in want], 1)
                                  .astype(np.float32))


def test_ctc_lengths_as_0d_tensors_and_a_batch_of_one():
    """Unbatched input with 0-d input/target lengths (PyTorch's () form: flattened to one
    entry), and a batched call with N = 1 keeping its (1,) 'none' shape (kills
    `reshape(-1)` skipped or `reshape(None)`, and the final squeeze applied to batched
    calls: `... or True`, `unbatched or reduction == "none"`)."""
    lp = RNG.standard_normal((4, 3)) - 1.0
    want = _ctc_brute(lp, [2, 1], 4, 0)[0]
    out = F.ctc_loss(_t(lp), [2, 1], ag.tensor(4), ag.tensor(2), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    batch = F.ctc_loss(_t(lp[:, None]), [[2, 1]], [4], [2], reduction="none")
    assert batch.shape == (1,)
    np.testing.assert_allclose(batch.numpy(), [want], rtol=1e-12)


def test_ctc_reductions_zero_infinity_and_an_unbatched_call():
    """'mean' divides each loss by max(target length, 1) then averages, 'sum' adds;
    zero_infinity turns an impossible alignment into 0; an unbatched (T, C) call with a
    1-D target gives a 0-d loss for 'none' (kills the unbatched reshape `(1, -1)` and its
    conditions, `unsqueeze(2)`, `squeeze(1)`, the `reduction == "none"` test)."""
    lp = RNG.standard_normal((3, 2, 3)) - 1.0
    labels, in_len = [[1, 1], [2]], [2, 3]  # the first is impossible in 2 frames
    want = np.array([_ctc_brute(lp[:, i], labels[i], in_len[i], 0)[0] for i in range(2)])
    assert np.isinf(want[0])
    targets = ag.tensor([[1, 1], [2, 0]])
    zi = F.ctc_loss(_t(lp), targets, in_len, [2, 1], reduction="none", zero_infinity=True)
    np.testing.assert_allclose(zi.numpy(), [0.0, want[1]], rtol=1e-12)
    mean = F.ctc_loss(_t(lp), targets, in_len, [2, 1], zero_infinity=True)
    np.testing.assert_allclose(mean.numpy(), want[1] / 2, rtol=1e-12)
    total = F.ctc_loss(_t(lp), targets, in_len, [2, 1], reduction="sum")
    assert np.isinf(total.numpy())
    one = F.ctc_loss(_t(lp[:, 1]), ag.tensor([2]), [3], [1], reduction="none")
    assert one.shape == ()
    np.testing.assert_allclose(one.numpy(), want[1], rtol=1e-12)
    one_sum = F.ctc_loss(_t(lp[:, 1]), [2], [3], [1], reduction="sum")
    np.testing.assert_allclose(one_sum.numpy(), want[1], rtol=1e-12)


def test_ctc_unbatched_padded_target_of_one_row():
    """An unbatched call whose target is already (1, S) keeps it (the reshape applies to
    a 1-D target of exactly target_lengths[0] entries only)."""
    lp = RNG.standard_normal((4, 3)) - 1.0
    want = _ctc_brute(lp, [1, 2], 4, 0)[0]
    for tg in ([[1, 2]], [1, 2]):
        out = F.ctc_loss(_t(lp), ag.tensor(tg), ag.tensor([4]), ag.tensor([2]),
                         reduction="sum")
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)


def test_ctc_has_no_second_derivative():
    """create_graph=True is refused with PyTorch's reason (whole message)."""
    x = _t(RNG.standard_normal((2, 1, 3)), grad=True)
    loss = F.ctc_loss(x, [[1]], [2], [1], reduction="sum")
    with pytest.raises(RuntimeError) as info:
        ag.grad(loss, [x], create_graph=True)
    assert str(info.value) == ("ctc_loss: the second derivative is not implemented (as in "
                               "PyTorch); differentiate it with create_graph=False")


@pytest.mark.parametrize("name", ["margin_ranking_loss", "hinge_embedding_loss",
                                  "multi_margin_loss", "cosine_embedding_loss",
                                  "poisson_nll_loss", "gaussian_nll_loss"])
def test_a_target_on_another_device_is_refused_by_name(request, name):
    """Every loss taking a target names itself and `target` in the DeviceMismatchError
    (kills the op / argument names passed to `_like`: None, "XX..XX", upper case)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    x = _t([[0.5, -0.2]])
    target = ag.tensor([0]) if name == "multi_margin_loss" else _t([[1.0, -1.0]])
    args = {"margin_ranking_loss": (x, x), "cosine_embedding_loss": (x, x)}.get(name, (x,))
    extra = (1.0,) if name == "gaussian_nll_loss" else ()
    with pytest.raises(ag.DeviceMismatchError) as info:
        getattr(F, name)(*args, target.to(dev), *extra)
    assert str(info.value) == f"{name}: target is on {dev} but the input is on cpu"


def test_multi_margin_and_ctc_on_the_emulated_gpu(request):
    """multi_margin_loss's not-target mask is made on the input's device (kills
    `wrap(..., None)`), and ctc_loss takes its lengths as device Tensors through their
    host copy (kills `np.asarray` of the Tensor itself, which the emulated CuPy refuses)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    x = RNG.standard_normal((2, 3))
    out = F.multi_margin_loss(_t(x).to(dev), ag.tensor([2, 0]).to(dev), reduction="none")
    assert out.device is dev
    want = [sum(max(0.0, 1 - x[i, y] + x[i, j]) for j in range(3) if j != y) / 3
            for i, y in enumerate((2, 0))]
    np.testing.assert_allclose(out.cpu().numpy(), want, rtol=1e-12)
    lp = RNG.standard_normal((3, 1, 3)) - 1.0
    loss = F.ctc_loss(_t(lp).to(dev), ag.tensor([[1]]).to(dev), ag.tensor([3]).to(dev),
                      ag.tensor([1]).to(dev), reduction="sum")
    assert loss.device is dev
    np.testing.assert_allclose(loss.cpu().numpy(), _ctc_brute(lp[:, 0], [1], 3, 0)[0],
                               rtol=1e-12)


def test_a_list_target_lands_on_the_inputs_device(request):
    """`_like` makes a list target on the input's device (kills `device=None` / dropped),
    and a Tensor target on another device is refused by name."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    x = _t([[0.5, -0.2]]).to(dev)
    assert F.margin_ranking_loss(x, x * 0.5, [[1.0, -1.0]]).device is dev
    assert F.gaussian_nll_loss(x, x * 0.5, 1.0).device is dev
    with pytest.raises(ag.DeviceMismatchError) as info:
        F.hinge_embedding_loss(x, _t([[1.0, -1.0]]))
    assert str(info.value) == (f"hinge_embedding_loss: target is on cpu but the input is on "
                               f"{dev}")


# --- refusals: whole messages ----------------------------------------------------------------

_X = np.ones((2, 3))
_LP = np.log(np.full((4, 2, 3), 1 / 3))
ERRORS = {
    "red": (lambda: F.margin_ranking_loss(_t(_X), _t(_X), _t(_X), reduction="avg"), ValueError, "margin_ranking_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),  # noqa: E501
    "mr_in1": (lambda: F.margin_ranking_loss([1.0], _t(_X), _t(_X)), TypeError, "margin_ranking_loss: input1 must be a Tensor, got list"),  # noqa: E501
    "mr_in2": (lambda: F.margin_ranking_loss(_t(_X), [1.0], _t(_X)), TypeError, "margin_ranking_loss: input2 must be a Tensor, got list"),  # noqa: E501
    "mr_in2_int": (lambda: F.margin_ranking_loss(_t(_X), ag.tensor(np.ones((2, 3), np.int64)), _t(_X)), TypeError, "margin_ranking_loss: input2 must be floating, got dtype int64"),  # noqa: E501
    "mr_ndim": (lambda: F.margin_ranking_loss(_t(_X), _t(_X), _t([1.0, 1.0, 1.0])), ValueError, "margin_ranking_loss: input1 (2, 3), input2 (2, 3) and target (3,) must have the same number of dimensions"),  # noqa: E501
    "mr_ndim2": (lambda: F.margin_ranking_loss(_t([1.0, 1.0, 1.0]), _t(_X), _t([1.0, 1.0, 1.0])), ValueError, "margin_ranking_loss: input1 (3,), input2 (2, 3) and target (3,) must have the same number of dimensions"),  # noqa: E501
    "he_in": (lambda: F.hinge_embedding_loss(np.ones(3), [1]), TypeError, "hinge_embedding_loss: input must be a Tensor, got ndarray"),  # noqa: E501
    "he_red": (lambda: F.hinge_embedding_loss(_t(_X), _t(_X), reduction="all"), ValueError, "hinge_embedding_loss: reduction must be 'mean', 'sum' or 'none', got 'all'"),  # noqa: E501
    "tr_anchor": (lambda: F.triplet_margin_loss(np.ones(3), _t(_X), _t(_X)), TypeError, "triplet_margin_loss: anchor must be a Tensor, got ndarray"),  # noqa: E501
    "tr_pos": (lambda: F.triplet_margin_loss(_t(_X), np.ones(3), _t(_X)), TypeError, "triplet_margin_loss: positive must be a Tensor, got ndarray"),  # noqa: E501
    "tr_neg": (lambda: F.triplet_margin_loss(_t(_X), _t(_X), np.ones(3)), TypeError, "triplet_margin_loss: negative must be a Tensor, got ndarray"),  # noqa: E501
    "tr_ndim": (lambda: F.triplet_margin_loss(_t(_X), _t(_X), _t(np.ones(3))), ValueError, "triplet_margin_loss: anchor, positive and negative must all be (N, D) or (D,), got (2, 3), (2, 3), (3,)"),  # noqa: E501
    "tr_3d": (lambda: F.triplet_margin_loss(*[_t(np.ones((1, 2, 3)))] * 3), ValueError, "triplet_margin_loss: anchor, positive and negative must all be (N, D) or (D,), got (1, 2, 3), (1, 2, 3), (1, 2, 3)"),  # noqa: E501
    "tr_red": (lambda: F.triplet_margin_loss(_t(_X), _t(_X), _t(_X), reduction="x"), ValueError, "triplet_margin_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "trd_red": (lambda: F.triplet_margin_with_distance_loss(_t(_X), _t(_X), _t(_X), reduction="x"), ValueError, "triplet_margin_with_distance_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "mm_in": (lambda: F.multi_margin_loss([1.0], [0]), TypeError, "multi_margin_loss: input must be a Tensor, got list"),  # noqa: E501
    "mm_p": (lambda: F.multi_margin_loss(_t(_X), [0, 1], p=3), ValueError, "multi_margin_loss: only p == 1 and p == 2 are supported, got 3"),  # noqa: E501
    "mm_shape": (lambda: F.multi_margin_loss(_t(_X), [0, 1, 2]), ValueError, "multi_margin_loss: expected input (N, C) and target (N,), got (2, 3) and (3,)"),  # noqa: E501
    "mm_3d": (lambda: F.multi_margin_loss(_t(np.ones((1, 2, 3))), [0]), ValueError, "multi_margin_loss: expected input (N, C) and target (N,), got (1, 2, 3) and (1,)"),  # noqa: E501
    "mm_red": (lambda: F.multi_margin_loss(_t(_X), [0, 1], reduction="x"), ValueError, "multi_margin_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "ce_in1": (lambda: F.cosine_embedding_loss([1.0], _t(_X), [1]), TypeError, "cosine_embedding_loss: input1 must be a Tensor, got list"),  # noqa: E501
    "ce_in2": (lambda: F.cosine_embedding_loss(_t(_X), [1.0], [1]), TypeError, "cosine_embedding_loss: input2 must be a Tensor, got list"),  # noqa: E501
    "ce_red": (lambda: F.cosine_embedding_loss(_t(_X), _t(_X), [1, 1], reduction="x"), ValueError, "cosine_embedding_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "po_in": (lambda: F.poisson_nll_loss([1.0], [1.0]), TypeError, "poisson_nll_loss: input must be a Tensor, got list"),  # noqa: E501
    "po_red": (lambda: F.poisson_nll_loss(_t(_X), _t(_X), reduction="x"), ValueError, "poisson_nll_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "ga_in": (lambda: F.gaussian_nll_loss([1.0], _t(_X), 1.0), TypeError, "gaussian_nll_loss: input must be a Tensor, got list"),  # noqa: E501
    "ga_var": (lambda: F.gaussian_nll_loss(_t(_X), _t(_X), _t(np.ones(3))), ValueError, "gaussian_nll_loss: var of shape (3,) does not match input (2, 3) (same shape, one dimension fewer, or a last dimension of 1)"),  # noqa: E501
    "ga_var2": (lambda: F.gaussian_nll_loss(_t(_X), _t(_X), _t(np.ones((2, 2)))), ValueError, "gaussian_nll_loss: var of shape (2, 2) does not match input (2, 3) (same shape, one dimension fewer, or a last dimension of 1)"),  # noqa: E501
    "ga_var3": (lambda: F.gaussian_nll_loss(_t(np.ones((2, 3, 4))), _t(np.ones((2, 3, 4))), _t(np.ones((2, 3, 2)))), ValueError, "gaussian_nll_loss: var of shape (2, 3, 2) does not match input (2, 3, 4) (same shape, one dimension fewer, or a last dimension of 1)"),  # noqa: E501
    "ga_var4": (lambda: F.gaussian_nll_loss(_t(np.ones((2, 3, 4))), _t(np.ones((2, 3, 4))), _t(np.ones((2, 2, 1)))), ValueError, "gaussian_nll_loss: var of shape (2, 2, 1) does not match input (2, 3, 4) (same shape, one dimension fewer, or a last dimension of 1)"),  # noqa: E501
    "ga_var5": (lambda: F.gaussian_nll_loss(_t(np.ones((2, 3, 4))), _t(np.ones((2, 3, 4))), _t(np.ones((2, 4)))), ValueError, "gaussian_nll_loss: var of shape (2, 4) does not match input (2, 3, 4) (same shape, one dimension fewer, or a last dimension of 1)"),  # noqa: E501
    "ga_neg": (lambda: F.gaussian_nll_loss(_t(_X), _t(_X), -1.0), ValueError, "gaussian_nll_loss: var has negative entry/entries"),  # noqa: E501
    "ga_red": (lambda: F.gaussian_nll_loss(_t(_X), _t(_X), 1.0, reduction="x"), ValueError, "gaussian_nll_loss: reduction must be 'mean', 'sum' or 'none', got 'x'"),  # noqa: E501
    "ctc_lp": (lambda: F.ctc_loss([0.0], [[1]], [1], [1]), TypeError, "ctc_loss: log_probs must be a Tensor, got list"),  # noqa: E501
    "ctc_nd": (lambda: F.ctc_loss(_t(np.ones(4)), [[1]], [1], [1]), ValueError, "ctc_loss: expected log_probs (T, N, C) or (T, C), got (4,)"),  # noqa: E501
    "ctc_len": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [4], [1, 1]), ValueError, "ctc_loss: input_lengths and target_lengths must have 2 entries, got (1,) and (2,)"),  # noqa: E501
    "ctc_len2": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [4, 4], [1]), ValueError, "ctc_loss: input_lengths and target_lengths must have 2 entries, got (2,) and (1,)"),  # noqa: E501
    "ctc_inlen": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [5, 4], [1, 1]), ValueError, "ctc_loss: input_lengths [5, 4] must be in [0, 4]"),  # noqa: E501
    "ctc_inlen_neg": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [4, -1], [1, 1]), ValueError, "ctc_loss: input_lengths [4, -1] must be in [0, 4]"),  # noqa: E501
    "ctc_pad": (lambda: F.ctc_loss(_t(_LP), [[1], [2], [1]], [4, 4], [1, 1]), ValueError, "ctc_loss: padded targets (3, 1) do not fit batch 2 with target_lengths [1, 1]"),  # noqa: E501
    "ctc_pad2": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [4, 4], [1, 2]), ValueError, "ctc_loss: padded targets (2, 1) do not fit batch 2 with target_lengths [1, 2]"),  # noqa: E501
    "ctc_cat": (lambda: F.ctc_loss(_t(_LP), [1, 2, 1], [4, 4], [1, 1]), ValueError, "ctc_loss: concatenated targets have 3 entries but target_lengths sum to 2"),  # noqa: E501
    "ctc_lab": (lambda: F.ctc_loss(_t(_LP), [[1], [3]], [4, 4], [1, 1]), ValueError, "ctc_loss: targets must be class indices in [0, 3) other than blank=0, got [3]"),  # noqa: E501
    "ctc_lab_neg": (lambda: F.ctc_loss(_t(_LP), [[1], [-1]], [4, 4], [1, 1]), ValueError, "ctc_loss: targets must be class indices in [0, 3) other than blank=0, got [-1]"),  # noqa: E501
    "ctc_lab_blank": (lambda: F.ctc_loss(_t(_LP), [[1], [0]], [4, 4], [1, 1]), ValueError, "ctc_loss: targets must be class indices in [0, 3) other than blank=0, got [0]"),  # noqa: E501
    "ctc_red": (lambda: F.ctc_loss(_t(_LP), [[1], [2]], [4, 4], [1, 1], reduction="avg"), ValueError, "ctc_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),  # noqa: E501
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_messages_are_exact(name):
    """Whole messages: kills the op and argument names (renamed, upper-cased, None) passed
    to `_check_float`, `_like`, `_reduce`, the `None` messages, and `and` for `or` in the
    checks (each case breaks one operand of an `or`)."""
    call, exc, message = ERRORS[name]
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_hinge_embedding_loss_targets_other_than_plus_minus_one():
    """PyTorch's formula: x where target != -1 plus max(0, margin - x) where target != 1,
    so a target of 0 gets both terms (torch 2.13: [1.0, 2.0] for x = [0.3, 2.0]); the
    earlier form (== 1 / == -1) gave 0."""
    got = F.hinge_embedding_loss(_t([0.3, 2.0]), _t([0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(got.numpy(), [1.0, 2.0], rtol=1e-12)
    got = F.hinge_embedding_loss(_t([0.3, 2.0, -1.0]), _t([1.0, -1.0, 2.0]), margin=0.5,
                                 reduction="none")
    np.testing.assert_allclose(got.numpy(), [0.3, 0.0, 0.5], rtol=1e-12)
