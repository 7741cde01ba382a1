"""Tests that kill the surviving mutants of nn/functional/embedding.py (issue 18).

Expected values are plain NumPy indexing (`weight[idx]`, `np.add.at`); the messages are
compared whole. A second device is the emulated CUDA device of
``tests/backends/test_cupy_backend.py``. No test needs torch.
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

W = np.arange(12.0).reshape(4, 3) - 5.0  # every row non-zero, row 2 included


def test_the_padding_row_is_looked_up_as_it_is():
    """F.embedding returns weight[padding_idx] itself (PyTorch only withholds its
    gradient). Kills `Gather.apply(..., mask_padding=True/None)` in embedding and
    `mask_padding or padding_idx is not None` in Gather.forward (both zero the row)."""
    w = ag.tensor(W, requires_grad=True)
    idx = np.array([[2, 0], [2, 3]])
    out = F.embedding(ag.tensor(idx), w, padding_idx=2)
    np.testing.assert_array_equal(out.numpy(), W[idx])
    out.sum().backward()
    want = np.zeros_like(W)
    np.add.at(want, idx.reshape(-1), 1.0)
    want[2] = 0.0
    np.testing.assert_array_equal(w.grad.numpy(), want)


@pytest.mark.parametrize("make", [np.array, list, lambda v: ag.tensor(np.asarray(v, np.int32)),
                                  lambda v: np.asarray(v, np.uint8)])
def test_indices_as_arrays_lists_and_narrow_integers(make):
    """Indices given as a NumPy array, a list, an int32 Tensor or uint8 array look up the
    same rows and accumulate the same gradient. Kills `idx = None` / `xp.asarray(None)`,
    the flat int64 conversion of non-Tensor indices (`astype(None)`, `reshape(None)`,
    `reshape(+1)`) and the int64 test of Tensor indices."""
    idx = [[3, 1, 3], [0, 1, 1]]
    w = ag.tensor(W, requires_grad=True)
    out = F.embedding(make(idx), w)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), W[np.array(idx)])
    (out * ag.tensor(np.arange(18.0).reshape(2, 3, 3))).sum().backward()
    want = np.zeros_like(W)
    np.add.at(want, np.array(idx).reshape(-1), np.arange(18.0).reshape(6, 3))
    np.testing.assert_array_equal(w.grad.numpy(), want)


def test_float32_gradients_stay_float32_to_second_order():
    """The scatter of the backward allocates in the gradient's dtype (kills
    `zeros(..., dtype=None)` / dtype dropped: a float64 gradient for a float32 table),
    and its double backward (the gather adjoint) masks the padding row."""
    w = ag.tensor(W.astype(np.float32), requires_grad=True)
    idx = ag.tensor([1, 2, 1])
    (g,) = ag.grad(F.embedding(idx, w, padding_idx=2).pow(2).sum(), [w], create_graph=True)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [[0, 0, 0], [2 * 2 * r for r in W[1]],
                                              [0, 0, 0], [0, 0, 0]])
    (gg,) = ag.grad(g.sum(), [w])
    assert gg.dtype == np.float32
    np.testing.assert_array_equal(gg.numpy(), [[0, 0, 0], [4, 4, 4], [0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("padding_idx, row", [(-4, 0), (-1, 3), (3, 3)])
def test_padding_idx_at_both_ends_of_its_range(padding_idx, row):
    """padding_idx may be -v .. v-1 (kills `-v < padding_idx` and `padding_idx <= v`);
    a negative one counts from the end."""
    w = ag.tensor(W, requires_grad=True)
    F.embedding(ag.tensor([0, 3, 1]), w, padding_idx=padding_idx).sum().backward()
    want = np.zeros_like(W)
    want[[0, 3, 1]] = 1.0
    want[row] = 0.0
    np.testing.assert_array_equal(w.grad.numpy(), want)


ERRORS = {
    "w_nd": (lambda: F.embedding(ag.tensor([0]), np.ones((3, 2))), ValueError, "embedding: expected weight of shape (num_embeddings, embedding_dim), got (3, 2)"),  # noqa: E501
    "w_list": (lambda: F.embedding(ag.tensor([0]), [[1.0]]), ValueError, "embedding: expected weight of shape (num_embeddings, embedding_dim), got ()"),  # noqa: E501
    "w_1d": (lambda: F.embedding(ag.tensor([0]), ag.ones(3)), ValueError, "embedding: expected weight of shape (num_embeddings, embedding_dim), got (3,)"),  # noqa: E501
    "sgf": (lambda: F.embedding(ag.tensor([0]), ag.tensor(W), scale_grad_by_freq=True), NotImplementedError, "embedding: scale_grad_by_freq and sparse are not supported"),  # noqa: E501
    "sparse": (lambda: F.embedding(ag.tensor([0]), ag.tensor(W), sparse=True), NotImplementedError, "embedding: scale_grad_by_freq and sparse are not supported"),  # noqa: E501
    "float_idx": (lambda: F.embedding(ag.tensor([0.0]), ag.tensor(W)), TypeError, "embedding: indices must be an integer tensor, got dtype float32"),  # noqa: E501
    "float_np": (lambda: F.embedding(np.array([0.5]), ag.tensor(W)), TypeError, "embedding: indices must be an integer tensor, got dtype float64"),  # noqa: E501
    "pad_hi": (lambda: F.embedding(ag.tensor([0]), ag.tensor(W), padding_idx=4), ValueError, "embedding: padding_idx 4 is out of range for 4 embeddings"),  # noqa: E501
    "pad_lo": (lambda: F.embedding(ag.tensor([0]), ag.tensor(W), padding_idx=-5), ValueError, "embedding: padding_idx -5 is out of range for 4 embeddings"),  # noqa: E501
    "range": (lambda: F.embedding(ag.tensor([0, 4]), ag.tensor(W)), IndexError, "embedding: index out of range: indices span [0, 4] but weight has 4 rows"),  # noqa: E501
    "neg": (lambda: F.embedding(np.array([-1, 2]), ag.tensor(W)), IndexError, "embedding: index out of range: indices span [-1, 2] but weight has 4 rows"),  # noqa: E501
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_error_messages_are_exact(name):
    """Whole messages: kills `op` renamed, `None` messages, `getattr(weight, 'shape')`
    mutants (an ndarray weight has a shape to print, a list none:
    `getattr(weight, 'shape', None)` would fail in `tuple`), `and` for `or` in the weight and
    the scale_grad_by_freq/sparse checks (each alone must raise)."""
    call, exc, message = ERRORS[name]
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_indices_on_another_device_are_refused(request):
    """Indices on the emulated GPU with a CPU weight: the message names both devices
    (kills its `None` message)."""
    if emulated_cuda is None:
        pytest.skip("no emulated GPU harness")
    dev = request.getfixturevalue("emulated_cuda")
    with pytest.raises(ValueError) as info:
        F.embedding(ag.tensor([0, 1]).to(dev), ag.tensor(W))
    assert str(info.value) == f"embedding: indices are on {dev} but weight is on cpu"


def test_max_norm_renormalises_only_the_rows_looked_up():
    """max_norm with norm_type 1: the looked-up rows whose 1-norm exceeds max_norm are
    scaled to max_norm / (norm + 1e-7), the others are untouched."""
    w = ag.tensor(W.copy())
    out = F.embedding(ag.tensor([1, 3]), w, max_norm=4.0, norm_type=1.0)
    norms = np.abs(W).sum(1)
    want = W.copy()
    for r in (1, 3):
        if norms[r] > 4.0:
            want[r] = W[r] * (4.0 / (norms[r] + 1e-7))
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-15)
    np.testing.assert_allclose(out.numpy(), want[[1, 3]], rtol=1e-15)
