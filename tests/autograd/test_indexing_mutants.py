"""Tests written against surviving mutants of ``autograd/ops/indexing.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/indexing.py``): which keys give views (an
in-place change through them reaches the base, as PyTorch 2.13) and which copy, float
index arrays refused with the op's message, PyTorch's layout for an int after a mask,
indexing under ag.compile, ``setitem``. Each docstring names the mutants it kills."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.ops.indexing import setitem


@pytest.mark.parametrize("key, after, grad", [
    ((0, slice(0, 2)), [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[2.0, 2.0, 1.0], [1.0, 1.0, 1.0]]),
    ((Ellipsis, 0), [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], [[2.0, 1.0, 1.0], [2.0, 1.0, 1.0]]),
    (None, [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]),
    (1, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]),
])
def test_basic_keys_give_views(key, after, grad):
    """Ints, slices, None and Ellipsis give views: the change reaches the base, and an
    in-place change of the view is differentiated through the base, as PyTorch 2.13
    (``_is_basic`` #1: a tuple taken as one key, #3, #4: Ellipsis/None not basic, #9: ints
    not basic, #12: nothing basic)."""
    x = ag.zeros(2, 3)
    x[key].add_(1)
    assert x.tolist() == after
    leaf = ag.ones(2, 3, requires_grad=True)
    a = leaf * 1
    a[key].mul_(2)
    a.sum().backward()
    assert leaf.grad.tolist() == grad


@pytest.mark.parametrize("key", [ag.tensor([0, 1]), (0, ag.tensor([0, 2])),
                                 (slice(None), ag.tensor([0, 2]))])
def test_advanced_keys_copy(key):
    """An index tensor copies: neither the values nor the gradient of the base change
    (``_is_basic`` #10: the check stopped at the first basic element; getitem #40: every
    result made a view, so the base's gradient was doubled)."""
    x = ag.zeros(2, 3)
    x[key].add_(1)
    assert x.tolist() == [[0.0] * 3] * 2
    leaf = ag.ones(2, 3, requires_grad=True)
    a = leaf * 1
    a[key].mul_(2)
    a.sum().backward()
    assert leaf.grad.tolist() == [[1.0] * 3] * 2


@pytest.mark.parametrize("key, dtype", [
    (ag.tensor([0.5]), "float32"), (np.array([0.5]), "float64"), (np.array(0.5), "float64"),
])
def test_float_index_arrays_are_refused(key, dtype):
    """``_normalize_key`` #22-#43: the float check on index arrays, also 0-d ones."""
    with pytest.raises(IndexError) as err:
        ag.arange(3.0)[key]
    assert str(err.value) == f"getitem: index arrays must be integer or bool, got {dtype}"


def test_out_of_range_names_getitem_and_the_shape():
    """getitem #38, #39: NumPy's message wrapped with the op and the shape."""
    with pytest.raises(IndexError) as err:
        ag.arange(2.0)[5]
    assert str(err.value) == ("getitem: index 5 is out of bounds for axis 0 with size 2 "
                              "(tensor shape (2,))")


def test_int_after_a_mask_selects_after_the_masks_dims():
    """``x[0, mask, 1]`` with a 2-D mask: the trailing int indexes the dim after the
    mask's two (``_ints_first`` #31-#53: the mask counted as one dim), as PyTorch 2.13."""
    x = ag.arange(120.0).reshape(2, 3, 4, 5)
    m = ag.tensor(np.eye(3, 4, dtype=bool))
    assert x[0, m, 1].tolist() == [1.0, 26.0, 51.0]


def test_indexing_under_compile_follows_the_inputs():
    """A tensor without grad indexed while ag.compile records goes through the
    Function, so replays read the new input (getitem #23: the direct path recorded a
    constant)."""
    compiled = ag.compile(lambda x: x[1:3] * 2)
    for values in ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [0.0, -1.0, -2.0, -3.0],
                   [9.0, 8.0, 7.0, 6.0]):
        assert compiled(ag.tensor(values)).tolist() == [2 * values[1], 2 * values[2]]


def test_setitem_function():
    """``autograd.ops.indexing.setitem`` writes in place (no covering test: #1-#6)."""
    x = ag.zeros(2, 3)
    setitem(x, (1, slice(1, None)), ag.tensor([5.0, 6.0]))
    assert x.tolist() == [[0.0, 0.0, 0.0], [0.0, 5.0, 6.0]]


try:  # the emulated GPU of tests/backends (the real CupyBackend on an emulated CuPy)
    from tests.backends.test_cupy_backend import emulated_cuda  # noqa: F401
except ImportError:  # pragma: no cover
    emulated_cuda = None


@pytest.mark.skipif(emulated_cuda is None, reason="no emulated GPU harness")
def test_index_devices_on_the_emulated_gpu(request):
    """CPU index tensors and NumPy arrays index a GPU tensor (moved, as PyTorch); a GPU
    index into a CPU tensor is refused naming both devices (``_normalize_key`` #5-#19)."""
    request.getfixturevalue("emulated_cuda")
    x = ag.tensor([10.0, 20.0, 30.0]).to("cuda")
    assert x[ag.tensor([2, 0])].to("cpu").tolist() == [30.0, 10.0]
    assert x[np.array([1])].to("cpu").tolist() == [20.0]
    with pytest.raises(IndexError) as err:
        ag.tensor([1.0, 2.0])[ag.tensor([0]).to("cuda")]
    assert "index tensor is on cuda" in str(err.value) and "tensor is on cpu" in str(err.value)
