"""Tests that kill the surviving mutants of nn/functional/embedding_bag.py (issue 18).

Expected values are bags reduced by hand with NumPy; the messages are compared whole.
A second device is the emulated CUDA device of ``tests/backends/test_cupy_backend.py``
(its CuPy refuses implicit host conversion, as CuPy does). No test needs torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

try:
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    emulated_cuda = None

W = np.arange(15.0).reshape(5, 3) * 0.5 - 3.0


def _bags(idx, offsets, reduce):
    ends = list(offsets[1:]) + [len(idx)]
    return np.stack([reduce(W[idx[a:b]]) if b > a else np.zeros(3)
                     for a, b in zip(offsets, ends, strict=True)])


def test_the_default_mode_is_mean():
    """mode defaults to 'mean' (kills the "XXmeanXX"/"MEAN" defaults, which raise)."""
    out = F.embedding_bag(ag.tensor([[0, 4], [1, 1]]), ag.tensor(W))
    np.testing.assert_allclose(out.numpy(), [W[[0, 4]].mean(0), W[1]], rtol=1e-15)


@pytest.mark.parametrize("mode, reduce", [("sum", lambda r: r.sum(0)),
                                          ("mean", lambda r: r.mean(0)),
                                          ("max", lambda r: r.max(0))])
@pytest.mark.parametrize("make", [list, np.array])
def test_indices_and_offsets_as_lists_and_arrays(make, mode, reduce):
    """Indices and offsets given as lists or NumPy arrays, not Tensors (kills the
    `isinstance(input, Tensor)` / `isinstance(offsets, Tensor)` branches forced either
    way and `np.asarray(None)`), with an empty bag in the middle."""
    idx, offsets = [4, 0, 2, 2, 1], [0, 2, 2]
    out = F.embedding_bag(make(idx), ag.tensor(W), make(offsets), mode=mode)
    np.testing.assert_allclose(out.numpy(), _bags(np.array(idx), offsets, reduce), rtol=1e-15)


def test_negative_padding_idx_counts_rows_of_the_table():
    """padding_idx -1 is the last row of the (5, 3) table, row 4 (kills
    `n_rows = weight.shape[1]`, which would make it row 2)."""
    out = F.embedding_bag(ag.tensor([[4, 2, 0]]), ag.tensor(W), mode="sum", padding_idx=-1)
    np.testing.assert_allclose(out.numpy(), [W[2] + W[0]], rtol=1e-15)


def test_max_norm_and_its_norm_type_reach_the_lookup():
    """max_norm (default norm_type 2) renormalises the looked-up rows in place before the
    reduction; norm_type=1 uses the 1-norm. Kills `max_norm=None`, `norm_type=None`,
    the dropped keywords and the `norm_type = 3.0` default."""
    for kw, norm in ((dict(), lambda r: np.sqrt((r * r).sum())),
                     (dict(norm_type=1.0), lambda r: np.abs(r).sum())):
        w = ag.tensor(W.copy())
        out = F.embedding_bag(ag.tensor([[1, 4]]), w, mode="sum", max_norm=2.0, **kw)
        want = W.copy()
        for r in (1, 4):
            n = norm(W[r])
            if n > 2.0:
                want[r] = W[r] * (2.0 / (n + 1e-7))
        np.testing.assert_allclose(w.numpy(), want, rtol=1e-14)
        np.testing.assert_allclose(out.numpy(), [want[1] + want[4]], rtol=1e-14)


@pytest.mark.parametrize("kw", [dict(scale_grad_by_freq=True), dict(sparse=True)])
def test_unsupported_lookup_options_are_passed_on_and_refused(kw):
    """scale_grad_by_freq and sparse reach embedding, which refuses them (kills the
    keywords set to None or dropped: they would be silently ignored)."""
    with pytest.raises(NotImplementedError) as info:
        F.embedding_bag(ag.tensor([[0, 1]]), ag.tensor(W), **kw)
    assert str(info.value) == "embedding: scale_grad_by_freq and sparse are not supported"


@pytest.mark.parametrize("mode", ["sum", "max"])
def test_bags_on_the_emulated_gpu_stay_there(request, mode):
    """Indices, offsets and table on the emulated GPU: the plan is made from the device
    arrays via the backend's host copy (kills `_bags(..., None, ...)` for the input's and
    the offsets' backends, whose `np.asarray` of a device array is refused), and the
    result is on that device (kills `wrap(plan, None)` / `wrap(extra, None)`)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    idx, offsets = [3, 0, 2, 1], [0, 1, 1]
    out = F.embedding_bag(ag.tensor(idx).to(dev), ag.tensor(W).to(dev),
                          ag.tensor(offsets).to(dev), mode=mode)
    assert out.device is dev
    reduce = (lambda r: r.sum(0)) if mode == "sum" else (lambda r: r.max(0))
    np.testing.assert_allclose(out.cpu().numpy(), _bags(np.array(idx), offsets, reduce),
                               rtol=1e-15)


ERRORS = {
    "mode": (lambda: F.embedding_bag(ag.tensor([[0]]), ag.tensor(W), mode="prod"), ValueError, "embedding_bag: mode must be 'sum', 'mean' or 'max', got 'prod'"),  # noqa: E501
    "w_nd": (lambda: F.embedding_bag(ag.tensor([[0]]), np.ones((3, 2))), ValueError, "embedding_bag: expected weight (num_embeddings, embedding_dim), got (3, 2)"),  # noqa: E501
    "w_list": (lambda: F.embedding_bag(ag.tensor([[0]]), [[1.0]]), ValueError, "embedding_bag: expected weight (num_embeddings, embedding_dim), got ()"),  # noqa: E501
    "w_1d": (lambda: F.embedding_bag(ag.tensor([[0]]), ag.ones(3)), ValueError, "embedding_bag: expected weight (num_embeddings, embedding_dim), got (3,)"),  # noqa: E501
    "float": (lambda: F.embedding_bag(ag.tensor([[0.0]]), ag.tensor(W)), TypeError, "embedding_bag: indices must be integers, got dtype float32"),  # noqa: E501
    "psw_mode": (lambda: F.embedding_bag(ag.tensor([[0]]), ag.tensor(W), per_sample_weights=ag.ones(1, 1)), ValueError, "embedding_bag: per_sample_weights is only supported for mode='sum', got mode='mean'"),  # noqa: E501
    "psw_shape": (lambda: F.embedding_bag(ag.tensor([[0, 1]]), ag.tensor(W), mode="sum", per_sample_weights=ag.ones(2)), ValueError, "embedding_bag: per_sample_weights (2,) must have the shape of input (1, 2)"),  # noqa: E501
    "2d_off": (lambda: F.embedding_bag(ag.tensor([[0, 1]]), ag.tensor(W), ag.tensor([0])), ValueError, "embedding_bag: offsets must be None when input is 2-D (B, L)"),  # noqa: E501
    "1d_nooff": (lambda: F.embedding_bag(ag.tensor([0, 1]), ag.tensor(W)), ValueError, "embedding_bag: offsets are required when input is 1-D"),  # noqa: E501
    "3d": (lambda: F.embedding_bag(ag.tensor([[[0, 1]]]), ag.tensor(W), ag.tensor([0])), ValueError, "embedding_bag: expected input (B, L) or (T,) with offsets, got (1, 1, 2)"),  # noqa: E501
    "3d_nooff": (lambda: F.embedding_bag(ag.tensor([[[0, 1]]]), ag.tensor(W)), ValueError, "embedding_bag: expected input (B, L) or (T,) with offsets, got (1, 1, 2)"),  # noqa: E501
    "last_empty": (lambda: F.embedding_bag(ag.tensor([0, 1]), ag.tensor(W), ag.tensor(np.zeros(0, np.int64)), include_last_offset=True), ValueError, "embedding_bag: include_last_offset needs at least one offset"),  # noqa: E501
    "off_start": (lambda: F.embedding_bag(ag.tensor([0, 1, 2]), ag.tensor(W), ag.tensor([1, 2])), ValueError, "embedding_bag: offsets [1, 2] must start at 0 and be non-decreasing within the 3 indices"),  # noqa: E501
    "off_dec": (lambda: F.embedding_bag(ag.tensor([0, 1, 2]), ag.tensor(W), ag.tensor([0, 2, 1])), ValueError, "embedding_bag: offsets [0, 2, 1] must start at 0 and be non-decreasing within the 3 indices"),  # noqa: E501
    "off_past": (lambda: F.embedding_bag(ag.tensor([0, 1, 2]), ag.tensor(W), ag.tensor([0, 4])), ValueError, "embedding_bag: offsets [0, 4] must start at 0 and be non-decreasing within the 3 indices"),  # noqa: E501
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_messages_are_exact(name):
    """Whole messages: kills `op` renamed or None, `None` messages, the
    `getattr(weight, 'shape')` mutants (an ndarray weight has a shape to print, a
    list none),
    `tuple(None)`, `and` for `or` in the weight check, and `src.ndim == 3` in the
    offsets-with-2-D check (a 3-D input with offsets must get the shape message)."""
    call, exc, message = ERRORS[name]
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message
