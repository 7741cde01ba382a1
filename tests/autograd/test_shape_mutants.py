"""Tests written against surviving mutants of ``autograd/ops/shape.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/shape.py``): exact errors naming the op, the
defaults, single pieces and single tensors, view tracking of reshape/expand after an
in-place change, the reflect/replicate/circular padding edges. Expected values are exact
(as PyTorch 2.13 gives them, hard-coded); each docstring names the mutants it kills
(mutmut's numbers at the first run)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from tests.autograd.exact import assert_exact as _eq

_t = ag.tensor
X = ag.arange(6.0).reshape(2, 3)
V = ag.arange(3.0)




@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.reshape(X, 2.5), TypeError,
     'reshape: sizes must be ints, got float 2.5 in (2.5,)'),
    (lambda: ag.reshape(X, (4,)), RuntimeError,
     'reshape: shape [4] is invalid for input of shape (2, 3) (6 elements)'),
    (lambda: ag.reshape(X, (-1, -1)), RuntimeError,
     'reshape: shape [-1, -1] is invalid for input of shape (2, 3) (6 elements)'),
    (lambda: ag.reshape(X, (4, -1)), RuntimeError,
     'reshape: shape [4, -1] is invalid for input of shape (2, 3) (6 elements)'),
    (lambda: ag.reshape(X, (0, -1)), RuntimeError,
     'reshape: shape [0, -1] is invalid for input of shape (2, 3) (6 elements)'),
    (lambda: ag.transpose(X, 2, 0), IndexError,
     'transpose: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.transpose(X, 0, 2), IndexError,
     'transpose: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.transpose(V, 0, 1), IndexError,
     'transpose: dim 1 is out of range for a tensor of 1 dimension(s)'),
    (lambda: ag.t(ag.zeros(1, 1, 1)), ValueError,
     't: expects a tensor of at most 2 dimensions, got 3'),
    (lambda: ag.expand_to(X, 2.5), TypeError,
     'expand: sizes must be ints, got float 2.5 in (2.5,)'),
    (lambda: ag.expand_to(X, (3,)), RuntimeError,
     'expand: cannot expand shape (2, 3) to (3,)'),
    (lambda: ag.expand_to(X, (-2, 3)), RuntimeError,
     'expand: size -2 at position 0 of (-2, 3) is not allowed (-1 keeps an existing '
     'dimension of (2, 3))'),
    (lambda: ag.expand_to(X, (-1, 2, 3)), RuntimeError,
     'expand: size -1 at position 0 of (-1, 2, 3) is not allowed (-1 keeps an existing'
     ' dimension of (2, 3))'),
    (lambda: ag.expand_to(X, (4, 3)), RuntimeError,
     'expand: cannot expand shape (2, 3) to (4, 3): dimension 0 has size 2'),
    (lambda: ag.squeeze(X, 5), IndexError,
     'squeeze: dim 5 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.unsqueeze(V, 2), IndexError,
     'unsqueeze: dim 2 out of range for 1-d tensor'),
    (lambda: ag.unsqueeze(V, -3), IndexError,
     'unsqueeze: dim -3 out of range for 1-d tensor'),
    (lambda: ag.flatten(X, 2), IndexError,
     'flatten: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.flatten(X, 0, 2), IndexError,
     'flatten: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.flatten(X, 1, 0), ValueError,
     'flatten: start_dim 1 comes after end_dim 0'),
    (lambda: ag.unflatten(X, 2, (1, 3)), IndexError,
     'unflatten: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cat([]), ValueError,
     'cat: expected a non-empty sequence of tensors'),
    (lambda: ag.cat([X, 1]), TypeError,
     'cat: expected Tensors, got int'),
    (lambda: ag.cat([X], 5), IndexError,
     'cat: dim 5 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.cat([X, V]), RuntimeError,
     'cat: shapes [(2, 3), (3,)] must match except in dimension 0'),
    (lambda: ag.cat([X, ag.zeros(3, 3)], 1), RuntimeError,
     'cat: shapes [(2, 3), (3, 3)] must match except in dimension 1'),
    (lambda: ag.stack([]), ValueError,
     'stack: expected a non-empty sequence of tensors'),
    (lambda: ag.stack([V, 1]), TypeError,
     'stack: expected Tensors, got int'),
    (lambda: ag.stack([V, ag.zeros(2)]), RuntimeError,
     'stack: expects tensors of equal shape, got [(3,), (2,)]'),
    (lambda: ag.stack([V], 2), IndexError,
     'stack: dim 2 out of range for 1-d tensors'),
    (lambda: ag.stack([V], -3), IndexError,
     'stack: dim -3 out of range for 1-d tensors'),
    (lambda: ag.split(X, 1, 2), IndexError,
     'split: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.split(X, 0), ValueError,
     'split: split_size must be positive, got 0'),
    (lambda: ag.split(X, [1, 2]), ValueError,
     'split: sizes [1, 2] sum to 3, but dimension 0 has size 2'),
    (lambda: ag.chunk(X, 0), ValueError,
     'chunk: chunks must be positive, got 0'),
    (lambda: ag.chunk(X, 1, 2), IndexError,
     'chunk: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.unbind(X, 2), IndexError,
     'unbind: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.pad(X, (1.5, 1)), TypeError,
     'pad: sizes must be ints, got float 1.5 in (1.5, 1)'),
    (lambda: ag.pad(X, (1,)), ValueError,
     'pad: expected an even number of values for at most 2 dims, got (1,)'),
    (lambda: ag.pad(V, (1, 1, 1, 1)), ValueError,
     'pad: expected an even number of values for at most 1 dims, got (1, 1, 1, 1)'),
    (lambda: ag.pad(X, (1, 1), mode="wrap"), NotImplementedError,
     "pad: unknown mode 'wrap'; expected 'constant', 'reflect', 'replicate' or "
     "'circular'"),
    (lambda: ag.pad(V, (1, 1), mode="reflect"), NotImplementedError,
     "pad: mode 'reflect' pads the last 1 dims of a 2-d or 3-d input (with "
     'batch/channel dims), got 1-d input of shape (3,) and padding (1, 1)'),
    (lambda: ag.pad(ag.zeros(1, 1, 1, 1, 1), (1, 1, 1, 1, 1, 1, 1, 1), mode="reflect"),
     NotImplementedError,
     "pad: mode 'reflect' pads the last 4 dims of a 5-d or 6-d input (with "
     'batch/channel dims), got 5-d input of shape (1, 1, 1, 1, 1) and padding (1, 1, '
     '1, 1, 1, 1, 1, 1)'),
    (lambda: ag.pad(V, (-4, 0)), RuntimeError,
     'pad: padding (-4, 0) crops more than the 3 elements of dimension 0 of shape (3,)'),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (3, 0), mode="reflect"), RuntimeError,
     "pad: mode 'reflect' cannot pad dimension 2 of size 3 (shape (1, 1, 3)) by (3, "
     '0): padding must be < the size'),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (4, 0), mode="circular"), RuntimeError,
     "pad: mode 'circular' cannot pad dimension 2 of size 3 (shape (1, 1, 3)) by (4, "
     '0): padding must be <= the size'),
    (lambda: ag.pad(ag.zeros(1, 1, 0), (1, 0), mode="replicate"), RuntimeError,
     "pad: mode 'replicate' cannot pad dimension 2 of size 0 (shape (1, 1, 0)) by (1, "
     '0)'),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (-2, -2), mode="replicate"), RuntimeError,
     "pad: mode 'replicate' cannot pad dimension 2 of size 3 (shape (1, 1, 3)) by (-2,"
     ' -2)'),
    (lambda: ag.pad(ag.zeros(1, 1, 3), (-2, -1), mode="replicate"), RuntimeError,
     "pad: mode 'replicate' cannot pad dimension 2 of size 3 (shape (1, 1, 3)) by (-2,"
     ' -1)'),
])
def test_shape_errors_are_exact(call, kind, text):
    """The whole message and type: kills the op names given to ``as_size``/
    ``normalize_dim``/``_check_same`` (reshape #3-#7, transpose #7-#20, expand_to #3-#7,
    squeeze #16-#21, flatten #12-#26, unflatten, cat #5-#9 #34-#39, stack #5-#9, split
    #5-#10, chunk #8-#13, unbind #5-#10, pad #5-#10), every message mutant (reshape
    #37-#39, t #3, expand_to #12 #13 #43 #44, flatten #28, ``_check_same`` #2-#5, cat #50
    #51, stack #13 #14 #22-#24, split #15 #31 #32, chunk #4, pad #18 #28-#30 #47-#50,
    ``_pad_by_index`` #33-#49) and the checks: reshape's ``-1`` counting and size tests
    (#17-#35: NumPy's error or a ZeroDivisionError instead), transpose of a 1-D tensor
    (#3), ``t`` of 3-D (#2), expand's ``s < -1`` (#18), unsqueeze's bounds (#3, #6, #7),
    cat's ``and`` (#40), stack's bounds (#20, #21), split/chunk ``<= 0`` (#13, #2), pad's
    ``and`` (#14), ``k <= 4`` (#40), the circular limit (#166; ``_pad_by_index`` #10-#14),
    an empty dim (#15) and the output size (#26, #28)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_defaults_single_pieces_and_single_tensors():
    """Defaults: ``flatten`` start_dim 0 (#1), ``stack`` dim 0 (#1), ``unbind`` dim 0
    (#1); ``flatten`` of a 0-d tensor (#4-#8) and of the middle dims (#27, #32, #42);
    ``unflatten`` and ``broadcast_to``/``expand_as`` (no covering test); one tensor to
    ``cat``/``stack`` (cat #11, stack #11) and one piece from ``split``/``chunk``
    (``Split.forward`` #21, split #45, chunk #3)."""
    x = ag.zeros(2, 3, 4)
    assert ag.flatten(x).shape == (24,)
    assert ag.flatten(x, 1).shape == (2, 12)
    assert ag.flatten(x, 0, 1).shape == (6, 4)
    assert ag.flatten(x, 1, 1).shape == (2, 3, 4)
    _eq(ag.flatten(_t(5.0)), [5.0])
    _eq(ag.unflatten(ag.arange(6.0), 0, (2, 3)), [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    assert ag.unflatten(x, -1, (2, 2)).shape == (2, 3, 2, 2)
    _eq(ag.broadcast_to(V, [2, 3]), [[0.0, 1.0, 2.0]] * 2)
    _eq(ag.expand_as(_t([[1.0], [2.0]]), X), [[1.0] * 3, [2.0] * 3])
    _eq(ag.stack([V, V]), [[0.0, 1.0, 2.0]] * 2)
    _eq(ag.stack([V], -2), [[0.0, 1.0, 2.0]])
    _eq(ag.stack([V], 1), [[0.0], [1.0], [2.0]])
    _eq(ag.cat([X]), X.numpy())
    (piece,) = ag.split(V, 3)
    _eq(piece, [0.0, 1.0, 2.0])
    (piece,) = ag.chunk(V, 1)
    _eq(piece, [0.0, 1.0, 2.0])
    assert [p.tolist() for p in ag.unbind(X)] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [p.shape for p in ag.unbind(ag.zeros(2, 1, 3), 0)] == [(1, 3), (1, 3)]
    _eq(ag.unsqueeze(V, -2), [[0.0, 1.0, 2.0]])
    _eq(ag.unsqueeze(V, 1), [[0.0], [1.0], [2.0]])


def test_split_chunk_squeeze_t_values():
    """split by 2 of 5 (#22: a float last size), chunk of 4 into 4 (#19: ``max(2, ...)``)
    and along dim 1 (#28), squeeze without dim (#2-#6), with a tuple (#9, #10) and of one
    dim only (#26), ``t`` of a 1-D tensor (#5), reshape to ``-1`` (#35)."""
    assert [p.tolist() for p in ag.split(ag.arange(5.0), 2)] == [[0.0, 1.0], [2.0, 3.0],
                                                                 [4.0]]
    assert [p.tolist() for p in ag.chunk(ag.arange(4.0), 4)] == [[0.0], [1.0], [2.0], [3.0]]
    assert [p.tolist() for p in ag.chunk(X, 3, 1)] == [[[0.0], [3.0]], [[1.0], [4.0]],
                                                       [[2.0], [5.0]]]
    y = ag.zeros(1, 3, 1)
    assert ag.squeeze(y).shape == (3,)
    assert ag.squeeze(y, (0, 2)).shape == (3,)
    assert ag.squeeze(y, 0).shape == (3, 1)
    assert ag.squeeze(y, -1).shape == (1, 3)
    _eq(ag.t(V), [0.0, 1.0, 2.0])
    _eq(ag.reshape(X, -1), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    _eq(ag.reshape(X, (3, -1)), [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])


def test_cat_promotes_like_pytorch_and_differentiates_one_tensor():
    """cat's dtype is the promotion of all inputs (#12: the second skipped, #13, #19-#22:
    NumPy's int64 + float32 = float64 where PyTorch 2.13 gives float32); the backward of
    a one-tensor cat (``Cat.backward`` #15, ``Split.forward`` #17, #19)."""
    _eq(ag.cat([_t([1, 2]), _t([0.5])]), [1.0, 2.0, 0.5], np.float32)
    _eq(ag.cat([_t([1.0]), _t([2.0], dtype=ag.float64)]), [1.0, 2.0], np.float64)
    _eq(ag.cat([_t([1.0]), _t([2.0]), _t([3.0], dtype=ag.float64)]), [1.0, 2.0, 3.0],
        np.float64)
    x = _t([1.0, 2.0], requires_grad=True)
    (ag.cat([x]) * _t([3.0, 4.0])).sum().backward()
    _eq(x.grad, [3.0, 4.0])


def test_reshape_and_expand_results_are_tracked_views():
    """An in-place change through a reshape view reaches the base and its gradient, and
    a view of a base changed in place differentiates through the change, as PyTorch 2.13
    (reshape #46, #49, #53-#58; expand_to #47-#52: ``make_view``'s arguments)."""
    x = _t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    a = x * 1
    v = a.reshape(6)
    v.mul_(2)
    _eq(a, [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]])
    a.sum().backward()
    _eq(x.grad, [[2.0] * 3] * 2)
    x = _t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    a = x * 1
    v = a.reshape(6)
    a.mul_(3)
    v[0:2].sum().backward()
    _eq(x.grad, [[3.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    x = _t([[1.0, 2.0, 3.0]], requires_grad=True)
    a = x * 1
    v = ag.expand_to(a, (2, 3))
    a.mul_(2)
    v.sum().backward()
    _eq(x.grad, [[4.0, 4.0, 4.0]])
    c = ag.tensor([[1.0, 2.0], [3.0, 4.0]]).t()  # not contiguous: reshape copies
    r = c.reshape(4)
    r.add_(1)
    _eq(c, [[1.0, 3.0], [2.0, 4.0]])


@pytest.mark.parametrize("pad, mode, expected", [
    ((-1, 2), "reflect", [[[1.0, 2.0, 1.0, 0.0]]]),
    ((-1, -1), "replicate", [[[1.0]]]),
    ((3, 3), "replicate", [[[0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 2.0]]]),
    ((0, 1), "reflect", [[[0.0, 1.0, 2.0, 1.0]]]),
    ((0, 1), "replicate", [[[0.0, 1.0, 2.0, 2.0]]]),
    ((2, 0), "circular", [[[1.0, 2.0, 0.0, 1.0, 2.0]]]),
    ((3, 0), "circular", [[[0.0, 1.0, 2.0, 0.0, 1.0, 2.0]]]),
])
def test_pad_modes_on_one_dim(pad, mode, expected):
    """As ``torch.nn.functional.pad``: a crop with reflect (#53, #54: the crop-first path),
    replicate beyond the size (``_pad_by_index`` #4) and to one element (#29), one-sided
    pads (#62, #64), circular by the whole size (the ``<=`` limit)."""
    _eq(ag.pad(ag.arange(3.0).reshape(1, 1, 3), pad, mode=mode), expected)


@pytest.mark.parametrize("pad, reflect, replicate", [
    ((0, 1, 1, 0), [[[3.0, 4.0, 5.0, 4.0], [0.0, 1.0, 2.0, 1.0], [3.0, 4.0, 5.0, 4.0]]],
     [[[0.0, 1.0, 2.0, 2.0], [0.0, 1.0, 2.0, 2.0], [3.0, 4.0, 5.0, 5.0]]]),
    ((1, 1, 0, 1), [[[1.0, 0.0, 1.0, 2.0, 1.0], [4.0, 3.0, 4.0, 5.0, 4.0],
                     [1.0, 0.0, 1.0, 2.0, 1.0]]],
     [[[0.0, 0.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 5.0, 5.0], [3.0, 3.0, 4.0, 5.0, 5.0]]]),
    ((0, 0, 1, 0), [[[3.0, 4.0, 5.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]],
     [[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]),
])
def test_pad_reflect_replicate_two_dims(pad, reflect, replicate):
    """Which dims are padded (pad #55, #56, #60-#64: the pair indices ``2i``, ``2i + 1``),
    on a 3-D input, as PyTorch 2.13; and three padded dims of a 4-D input (#39)."""
    y = ag.arange(6.0).reshape(1, 2, 3)
    _eq(ag.pad(y, pad, mode="reflect"), reflect)
    _eq(ag.pad(y, pad, mode="replicate"), replicate)
    assert ag.pad(ag.zeros(1, 2, 2, 2), (1, 1, 1, 1, 1, 1), mode="replicate").shape == (
        1, 4, 4, 4)
    _eq(ag.pad(ag.ones(1, 1, 1), (0, 1), mode="replicate"), [[[1.0, 1.0]]])


def test_unflatten_first_dim_pad_crop_all_and_reflect_message():
    """``unflatten`` of dim 0 keeps the later dims (#19: ``shape[d + 2:]``); cropping a
    whole dim gives an empty one, as PyTorch 2.13 (pad #116: ``stop <= start`` refused
    it); a reflect pad that leaves nothing names no size limit when the pad equals it
    (``_pad_by_index`` #48: ``>=``)."""
    assert ag.unflatten(ag.zeros(6, 2), 0, (2, 3)).shape == (2, 3, 2)
    assert ag.pad(ag.arange(3.0), (-3, 0)).shape == (0,)
    with pytest.raises(RuntimeError) as err:
        ag.pad(ag.zeros(1, 1, 3), (2, -5), mode="reflect")
    assert str(err.value) == ("pad: mode 'reflect' cannot pad dimension 2 of size 3 "
                              "(shape (1, 1, 3)) by (2, -5)")
