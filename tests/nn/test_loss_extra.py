"""Margin, embedding, Poisson/Gaussian NLL and CTC losses against PyTorch in float64
(skipped without torch), and their rules without it."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.testing.comparison import compare_with_torch

RNG = np.random.default_rng(9)
REDUCTIONS = ["mean", "sum", "none"]


def _compare(fn, tfn, *arrays, consts=(), rtol=1e-10):
    pytest.importorskip("torch")
    compare_with_torch(fn, tfn, *arrays, consts=consts, rng=RNG, rtol=rtol, atol=1e-12)


def _tf():
    return pytest.importorskip("torch").nn.functional


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction):
    a, b = RNG.standard_normal(5), RNG.standard_normal(5)
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0])
    _compare(lambda u, v, t: nn.MarginRankingLoss(0.3, reduction)(u, v, t),
             lambda u, v, t: _tf().margin_ranking_loss(u, v, t, 0.3, reduction=reduction),
             a, b, consts=(y,))
    _compare(lambda u, t: nn.HingeEmbeddingLoss(0.5, reduction)(u, t),
             lambda u, t: _tf().hinge_embedding_loss(u, t, 0.5, reduction=reduction), a,
             consts=(y,))
    A, B = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    _compare(lambda u, v, t: nn.CosineEmbeddingLoss(0.2, reduction)(u, v, t),
             lambda u, v, t: _tf().cosine_embedding_loss(u, v, t, 0.2, reduction=reduction),
             A, B, consts=(y,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [dict(), dict(p=1.5, swap=True, margin=2.0)])
def test_triplet(reduction, kw):
    arrays = [RNG.standard_normal((4, 3)) for _ in range(3)]
    _compare(lambda a, p, n: nn.TripletMarginLoss(reduction=reduction, **kw)(a, p, n),
             lambda a, p, n: _tf().triplet_margin_loss(a, p, n, reduction=reduction, **kw),
             *arrays)


def test_triplet_with_distance():
    arrays = [RNG.standard_normal((4, 3)) for _ in range(3)]
    _compare(lambda a, p, n: nn.TripletMarginWithDistanceLoss(
        distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), swap=True)(a, p, n),
        lambda a, p, n: _tf().triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1 - _tf().cosine_similarity(u, v),
            swap=True), *arrays)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [dict(), dict(p=2, margin=0.7)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin(reduction, kw, weighted):
    torch = pytest.importorskip("torch")
    x, t, w = RNG.standard_normal((4, 5)), np.array([0, 3, 4, 3]), RNG.uniform(0.5, 2, 5)
    _compare(lambda u: nn.MultiMarginLoss(weight=ag.tensor(w) if weighted else None,
                                          reduction=reduction, **kw)(u, ag.tensor(t)),
             lambda u: _tf().multi_margin_loss(u, torch.tensor(t),
                                               weight=torch.tensor(w) if weighted else None,
                                               reduction=reduction, **kw), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [dict(), dict(log_input=False, full=True)])
def test_poisson_nll(reduction, kw):
    target = RNG.poisson(2.0, (3, 4)).astype(float)
    _compare(lambda x, t: nn.PoissonNLLLoss(reduction=reduction, **kw)(x, t),
             lambda x, t: _tf().poisson_nll_loss(x, t, reduction=reduction, **kw),
             RNG.uniform(0.1, 2, (3, 4)), consts=(target,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(3, 4), (3,), (3, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(reduction, var_shape, full):
    torch = pytest.importorskip("torch")
    target = RNG.standard_normal((3, 4))
    var = RNG.uniform(0.1, 2, var_shape)
    var.flat[0] = 1e-8  # below eps: clamped in the forward, the gradient still flows
    _compare(lambda x, v: nn.GaussianNLLLoss(full=full, reduction=reduction)(
        x, ag.tensor(target), v),
        lambda x, v: _tf().gaussian_nll_loss(x, torch.tensor(target), v, full=full,
                                             reduction=reduction),
        RNG.standard_normal((3, 4)), var)


CTC_TARGETS = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_matches_torch_through_log_softmax(reduction, zero_infinity):
    torch = pytest.importorskip("torch")
    il, tl = [6, 5, 4], [3, 2, 1]
    _compare(lambda x: nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        F.log_softmax(x, -1), ag.tensor(CTC_TARGETS), il, tl),
        lambda x: _tf().ctc_loss(_tf().log_softmax(x, -1), torch.tensor(CTC_TARGETS),
                                 torch.tensor(il), torch.tensor(tl), reduction=reduction,
                                 zero_infinity=zero_infinity),
        RNG.standard_normal((6, 3, 4)))


def test_ctc_concatenated_targets_blank_and_impossible_alignments():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 3, 4))
    il, tl = [6, 5, 4], [3, 2, 1]
    _compare(lambda u: F.ctc_loss(F.log_softmax(u, -1), ag.tensor([1, 2, 2, 3, 1, 2]), il, tl),
             lambda u: _tf().ctc_loss(_tf().log_softmax(u, -1), torch.tensor([1, 2, 2, 3, 1, 2]),
                                      torch.tensor(il), torch.tensor(tl)), x)
    targets = np.array([[1, 0, 1], [3, 1, 0], [0, 0, 0]])
    _compare(lambda u: F.ctc_loss(F.log_softmax(u, -1), ag.tensor(targets), il, tl, blank=2,
                                  reduction="sum"),
             lambda u: _tf().ctc_loss(_tf().log_softmax(u, -1), torch.tensor(targets),
                                      torch.tensor(il), torch.tensor(tl), blank=2,
                                      reduction="sum"), x)
    # the first sample cannot emit 3 labels in 2 frames: inf, or 0 with zero_infinity
    _compare(lambda u: F.ctc_loss(F.log_softmax(u, -1), ag.tensor(CTC_TARGETS), [2, 5, 4], tl,
                                  reduction="none", zero_infinity=True),
             lambda u: _tf().ctc_loss(_tf().log_softmax(u, -1), torch.tensor(CTC_TARGETS),
                                      torch.tensor([2, 5, 4]), torch.tensor(tl),
                                      reduction="none", zero_infinity=True), x)


def test_ctc_without_torch():
    lp = F.log_softmax(ag.tensor(RNG.standard_normal((3, 1, 3)), requires_grad=True), -1)
    loss = F.ctc_loss(lp, ag.tensor([[1, 1]]), [3], [2], reduction="none")
    # the only alignment of "1 1" in 3 frames is 1, blank, 1
    p = np.exp(lp.detach().numpy()[:, 0])
    np.testing.assert_allclose(loss.numpy(), [-np.log(p[0, 1] * p[1, 0] * p[2, 1])])
    inf = F.ctc_loss(lp, ag.tensor([[1, 1]]), [2], [2], reduction="none")
    assert np.isinf(inf.numpy()).all()
    with pytest.raises(RuntimeError, match="second derivative"):
        ag.grad(loss.sum(), [lp], create_graph=True)
    with pytest.raises(ValueError, match="blank"):
        F.ctc_loss(lp, ag.tensor([[0, 1]]), [3], [2])


def test_loss_argument_errors():
    x = ag.tensor(RNG.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="reduction"):
        nn.MarginRankingLoss(reduction="avg")
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        F.multi_margin_loss(x, ag.tensor([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match="var"):
        F.gaussian_nll_loss(x, x, ag.ones(2, 4, dtype=ag.float64))
