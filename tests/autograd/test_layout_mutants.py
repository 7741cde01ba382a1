"""Tests written against surviving mutants of ``autograd/ops/layout.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/layout.py``): exact errors naming the op, the
default arguments, the branches the registry does not reach (list arguments, single
tensors, negative split indices, ``rot90`` by 2, nonuniform ``gradient`` coordinates).
Expected values are exact (as NumPy or PyTorch 2.13 give them); each docstring names the
mutants it kills (mutmut's numbers at the time of the run) or the bug it catches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from tests.autograd.exact import assert_exact as _eq

_M = ag.arange(6.0).reshape(2, 3)
_V = ag.arange(4.0)
_t = ag.tensor




@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.flip(_M, 2), IndexError,
     "flip: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.fliplr(_V), RuntimeError, "fliplr: input must be >= 2-d, got shape (4,)"),
    (lambda: ag.flipud(_t(1.0)), RuntimeError,
     "flipud: input must be >= 1-d, got a 0-d tensor"),
    (lambda: ag.roll(_V, (1, 2)), RuntimeError,
     "roll: without dims, shifts must be one number, got (1, 2)"),
    (lambda: ag.roll(_M, 1, 2), IndexError,
     "roll: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.roll(_M, (1, 2), 0), RuntimeError,
     "roll: shifts (1, 2) and dims (0,) must have the same length"),
    (lambda: ag.rot90(_M, 1, (0, 2)), IndexError,
     "rot90: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.rot90(_M, 1, (0, -2)), RuntimeError,
     "rot90: dims must be two different axes, got (0, -2)"),
    (lambda: ag.repeat(_M, 2), RuntimeError, "repeat: 1 repeat counts for a tensor of 2 "
     "dimensions; give at least one per dimension"),
    (lambda: ag.repeat_interleave(_M, 2, 2), IndexError,
     "repeat_interleave: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.repeat_interleave(_M, [1, 2], 1), RuntimeError,
     "repeat_interleave: repeats has shape (2,), expected (3,) for dimension 1 of shape "
     "(2, 3)"),
    (lambda: ag.diag_embed(_V, 0, 3, -1), IndexError,
     "diag_embed: dim 3 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.diag_embed(_V, 0, 0, 2), IndexError,
     "diag_embed: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.diag(ag.zeros(2, 2, 2)), RuntimeError,
     "diag: expected a 1-D or 2-D tensor, got shape (2, 2, 2)"),
    (lambda: ag.triu(_V), RuntimeError,
     "triu: input must have at least 2 dimensions, got shape (4,)"),
    (lambda: ag.tril(_V), RuntimeError,
     "tril: input must have at least 2 dimensions, got shape (4,)"),
    (lambda: ag.trace(_V), RuntimeError, "trace: expected a 2-D tensor, got shape (4,)"),
    (lambda: ag.outer(_V, _M), RuntimeError,
     "outer: expected 1-D tensors, got shapes (4,) and (2, 3)"),
    (lambda: ag.outer(_M, _V), RuntimeError,
     "outer: expected 1-D tensors, got shapes (2, 3) and (4,)"),
    (lambda: ag.cross(_V, _V), RuntimeError, "cross: no dimension of size 3 in shape (4,)"),
    (lambda: ag.cross(_M, _M, 0), RuntimeError, "cross: dimension 0 has size 2, expected 3"),
    (lambda: ag.cross(_M, _M, 2), IndexError,
     "cross: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.meshgrid(_V, indexing="ji"), ValueError,
     "meshgrid: indexing must be 'ij' or 'xy', got 'ji'"),
    (lambda: ag.broadcast_shapes((2,), (3,)), RuntimeError,
     "broadcast_shapes: shapes [(2,), (3,)] do not broadcast"),
    (lambda: ag.select(_M, 2, 0), IndexError,
     "select: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.select(_M, 0, 2), IndexError,
     "select: index 2 is out of range for dimension 0 of size 2"),
    (lambda: ag.select(_M, 1, -4), IndexError,
     "select: index -4 is out of range for dimension 1 of size 3"),
    (lambda: ag.tensor_split(_M, 2, 2), IndexError,
     "tensor_split: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.tensor_split(_M, 0), RuntimeError,
     "tensor_split: sections must be positive, got 0"),
    (lambda: ag.tensor_split(_M, -1), RuntimeError,
     "tensor_split: sections must be positive, got -1"),
    (lambda: ag.hsplit(_t(1.0), 1), RuntimeError, "hsplit: needs at least 1 dimension"),
    (lambda: ag.hsplit(_M, 2), RuntimeError,
     "hsplit: dimension 1 of size 3 is not divisible by 2"),
    (lambda: ag.vsplit(ag.zeros(3, 2), 2), RuntimeError,
     "vsplit: dimension 0 of size 3 is not divisible by 2"),
    (lambda: ag.vsplit(_V, 2), RuntimeError,
     "vsplit: needs at least 2 dimensions, got shape (4,)"),
    (lambda: ag.dsplit(_M, 2), RuntimeError,
     "dsplit: needs at least 3 dimensions, got shape (2, 3)"),
    (lambda: ag.dsplit(ag.zeros(1, 1, 3), 2), RuntimeError,
     "dsplit: dimension 2 of size 3 is not divisible by 2"),
    (lambda: ag.block_diag(_M, ag.zeros(1, 1, 1)), RuntimeError,
     "block_diag: inputs must have at most 2 dimensions, got shape (1, 1, 1)"),
    (lambda: ag.combinations(_M), RuntimeError,
     "combinations: expected a 1-D tensor, got shape (2, 3)"),
    (lambda: ag.gradient(_V, edge_order=3), RuntimeError,
     "gradient: edge_order must be 1 or 2, got 3"),
    (lambda: ag.gradient(_M, dim=2), IndexError,
     "gradient: dim 2 is out of range for a tensor of 2 dimension(s)"),
    (lambda: ag.gradient(_M, spacing=[1.0]), RuntimeError, "gradient: 1 spacings for 2 dims"),
    (lambda: ag.gradient(_t([1.0, 2.0]), edge_order=2), RuntimeError,
     "gradient: dimension 0 of size 2 needs at least 3 samples for edge_order=2"),
    (lambda: ag.gradient(_t([1.0]), edge_order=1), RuntimeError,
     "gradient: dimension 0 of size 1 needs at least 2 samples for edge_order=1"),
    (lambda: ag.gradient(_V, spacing=(_t([0.0, 1.0]),)), RuntimeError,
     "gradient: coordinates of shape (2,) for a dimension of size 4"),
])
def test_layout_errors_are_exact(call, kind, text):
    """The whole message and type: kills the op names given to ``normalize_dim(s)`` as
    None, "XX..XX" or upper case (flip #4, #9, #10; roll #39-#44; rot90 #5-#10;
    repeat_interleave #22-#27; diag_embed #31-#44; cross #29-#34; select #4-#9;
    tensor_split #5-#10; gradient #16-#21; vsplit/dsplit #8-#15), every ``raise ...(None)``
    and message mutant (fliplr, flipud, roll #6, rot90 #15, repeat #6 #7,
    repeat_interleave #75-#77, diag, triu, trace, outer, cross #37, meshgrid #14,
    broadcast_shapes #5 #6, select #15, tensor_split #16, hsplit #3-#5, dsplit #3 #4,
    block_diag #4 #5, combinations #5 #6, gradient #6 #25, ``_gradient_1d`` #5-#7, #16,
    #17), and the conditions: flipud ``ndim <= 1`` (#1, #2), roll's shifts check (#3, #5),
    rot90 ``and`` (#11), outer ``and`` (#1), select's bounds ``-n < index``/``index <= n``
    (#13, #14), tensor_split ``n < 0`` (#14: ZeroDivisionError instead), block_diag
    ``ndim > 3`` (#3), ``_gradient_1d`` ``n < edge_order - 1`` (#3)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_flip_and_rot90_return_new_memory_as_pytorch():
    """Bug found by the mutants of ``flip`` (#12: ``if axes`` forced true survived): the
    result was NumPy's flipped *view* of the input, so ``ag.flip(x, 0).add_(1)`` wrote into
    ``x``, and ``flip(x, ())`` / ``rot90(x, 0)`` returned ``x`` itself. PyTorch 2.13 copies
    in every case (``torch.flip(x, [])`` and ``torch.rot90(x, 0)`` are new tensors). Also
    ``flip`` of a 0-d tensor along dim 0 or -1 (PyTorch: the value) raised NumPy's error."""
    x = ag.arange(4.0)
    y = ag.flip(x, 0)
    y.add_(1)
    _eq(x, [0.0, 1.0, 2.0, 3.0])
    _eq(y, [4.0, 3.0, 2.0, 1.0])
    for out in (ag.flip(x, ()), ag.rot90(_M, 0), ag.rot90(_M, 4)):
        assert out is not x and out is not _M
        out.add_(10)
    _eq(x, [0.0, 1.0, 2.0, 3.0])
    _eq(_M, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    z = ag.tensor(2.0, requires_grad=True)
    out = ag.flip(z, 0) * 3
    _eq(ag.flip(z, -1).detach(), 2.0)
    out.backward()
    _eq(z.grad, 3.0)


def test_flipud_fliplr_and_rot90_values():
    """flipud had no covering test (#1-#10: ``flip(x, 1)``, ``flip(None, 0)``...);
    ``rot90`` by 2 (#33-#36) and its default ``k=1`` (#1); values as NumPy's
    ``flipud``/``fliplr``/``rot90``."""
    _eq(ag.flipud(_M), [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]])
    _eq(ag.flipud(_V), [3.0, 2.0, 1.0, 0.0])
    _eq(ag.fliplr(_M), [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]])
    _eq(ag.rot90(_M), np.rot90(np.arange(6.0).reshape(2, 3)))
    _eq(ag.rot90(_M, 2), [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]])
    _eq(ag.rot90(_M, -2, (1, 0)), [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]])


def test_roll_without_dims_takes_one_element_sequences():
    """``roll(x, (2,))`` without dims rolls the flattened tensor by 2 (PyTorch accepts a
    one-element sequence): kills roll #2 (``or``: it raised), #4 (``== 1``), #9 (``int`` of a
    tuple), #10 (``_dims(None)``), #11 (``[1]``)."""
    _eq(ag.roll(_M, (2,)), [[4.0, 5.0, 0.0], [1.0, 2.0, 3.0]])
    _eq(ag.roll(_M, [-1]), [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])
    _eq(ag.roll(_M, 1), [[5.0, 0.0, 1.0], [2.0, 3.0, 4.0]])


def test_repeat_interleave_shapes_and_count_forms():
    """An int count along dim 0 of a 3-D tensor (shape slices ``d + 2`` for ``d + 1``:
    #50, #52, #61), counts from a list (#64-#66) and a one-element count broadcast to every
    element (#67-#73), as ``np.repeat``."""
    x = ag.arange(8.0).reshape(2, 2, 2)
    ref = np.repeat(np.arange(8.0).reshape(2, 2, 2), 2, axis=0)
    _eq(ag.repeat_interleave(x, 2, 0), ref)
    _eq(ag.repeat_interleave(x, 3, 1), np.repeat(np.arange(8.0).reshape(2, 2, 2), 3, 1))
    _eq(ag.repeat_interleave(_M, [1, 0, 2], 1), [[0.0, 2.0, 2.0], [3.0, 5.0, 5.0]])
    _eq(ag.repeat_interleave(_M, [2], 0), [[0.0, 1.0, 2.0]] * 2 + [[3.0, 4.0, 5.0]] * 2)
    _eq(ag.repeat_interleave(_M, ag.tensor([2]), 1),
        [[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0, 5.0, 5.0]])


def test_diagflat_tril_and_defaults():
    """``diagflat`` had no covering test (#1-#11); the defaults ``tril(x)`` diagonal 0
    (#1), ``tril_indices``/``triu_indices`` offset 0 (#1), ``constant_pad_nd`` value 0
    (#1), ``split_with_sizes`` dim 0 (#1), ``combinations`` r=2 (#1), ``gradient``
    spacing 1 (#1)."""
    _eq(ag.diagflat(_t([[1.0, 2.0]])), [[1.0, 0.0], [0.0, 2.0]])
    _eq(ag.diagflat(_t([1.0, 2.0]), 1), [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    _eq(ag.tril(ag.ones(2, 2)), [[1.0, 0.0], [1.0, 1.0]])
    _eq(ag.triu(ag.ones(2, 2)), [[1.0, 1.0], [0.0, 1.0]])
    _eq(ag.tril_indices(3, 3), [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]], np.int64)
    _eq(ag.triu_indices(3, 3), [[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]], np.int64)
    _eq(ag.constant_pad_nd(_t([1.0]), (1, 1)), [0.0, 1.0, 0.0])
    a, b = ag.split_with_sizes(_M, [1, 1])
    _eq(a, [[0.0, 1.0, 2.0]])
    _eq(b, [[3.0, 4.0, 5.0]])
    _eq(ag.combinations(_t([1.0, 2.0, 3.0])), [[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]])
    _eq(ag.gradient(_t([1.0, 4.0, 9.0, 16.0]))[0], [3.0, 4.0, 6.0, 7.0])


def test_tri_indices_dtype():
    """A dtype given to ``tril_indices``/``triu_indices`` is kept (``_tri_indices`` #30,
    #32; tril_indices #6, triu_indices #6)."""
    _eq(ag.tril_indices(2, 2, dtype=ag.int32), [[0, 1, 1], [0, 0, 1]], np.int32)
    _eq(ag.triu_indices(2, 3, 1, dtype=ag.int32), [[0, 0, 1], [1, 2, 2]], np.int32)


def test_cross_default_dim_broadcast_and_dim_1():
    """``cross`` without dim takes the first dim of size 3 (#7 always raised), the
    broadcast shape of both inputs (#5: the first input's), and stacks along ``dim``
    (#59: along 0)."""
    a = _t([1.0, 0.0, 0.0])
    b = _t([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    _eq(ag.cross(a, b), [[0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
    _eq(ag.cross(b, a, 1), [[0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def test_list_arguments_and_single_tensors():
    """``meshgrid([a, b])`` (#4-#8), ``atleast_1d([a, b])`` (``_atleast`` #9-#11),
    ``broadcast_shapes`` with an int (#2), ``hstack``/``vstack``/``dstack`` of one tensor
    (hstack #4, #12; vstack #7; dstack #7)."""
    g0, g1 = ag.meshgrid([_t([1.0, 2.0]), _t([3.0, 4.0, 5.0])])
    _eq(g0, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    _eq(g1, [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0]])
    p, q = ag.atleast_1d([_t(1.0), _t([2.0, 3.0])])
    _eq(p, [1.0])
    _eq(q, [2.0, 3.0])
    assert ag.broadcast_shapes(2, (3, 1)) == (3, 2)
    _eq(ag.hstack([_V]), [0.0, 1.0, 2.0, 3.0])
    _eq(ag.hstack([_V, _t([9.0])]), [0.0, 1.0, 2.0, 3.0, 9.0])
    _eq(ag.vstack([_V]), [[0.0, 1.0, 2.0, 3.0]])
    _eq(ag.dstack([_t([1.0, 2.0])]), [[[1.0], [2.0]]])


def test_select_at_the_bounds():
    """``select`` at index ``-n`` and ``n - 1`` (the bounds of ``-n <= index < n``: #13)."""
    _eq(ag.select(_M, 0, -2), [0.0, 1.0, 2.0])
    _eq(ag.select(_M, 1, 2), [2.0, 5.0])


def test_tensor_split_forms():
    """Indices from a Tensor (#12), one section (#15: ``n <= 1`` refused it), negative
    indices counted from the end (#51-#54) and clamped at 0 (#55), as
    ``numpy.array_split``."""
    x = ag.arange(5.0)
    parts = ag.tensor_split(x, ag.tensor([1, 3]))
    assert [p.tolist() for p in parts] == [[0.0], [1.0, 2.0], [3.0, 4.0]]
    assert [p.tolist() for p in ag.tensor_split(x, 1)] == [[0.0, 1.0, 2.0, 3.0, 4.0]]
    assert [p.tolist() for p in ag.tensor_split(x, [-2])] == [[0.0, 1.0, 2.0], [3.0, 4.0]]
    assert [p.tolist() for p in ag.tensor_split(x, [-9, 0, 1])] == [
        [], [], [0.0], [1.0, 2.0, 3.0, 4.0]]
    assert [p.tolist() for p in ag.tensor_split(x, [0, 2])] == [[], [0.0, 1.0],
                                                                [2.0, 3.0, 4.0]]


def test_hsplit_of_a_vector_splits_dim_0():
    """``hsplit`` of a 1-D tensor splits dim 0 (#2 refused 1-D; #15, #17, #19 split dim 1)."""
    assert [p.tolist() for p in ag.hsplit(_V, 2)] == [[0.0, 1.0], [2.0, 3.0]]
    assert [p.tolist() for p in ag.hsplit(ag.arange(4.0).reshape(1, 4), 2)] == [
        [[0.0, 1.0]], [[2.0, 3.0]]]


def test_block_diag_forms():
    """No blocks give PyTorch's ``(1, 0)`` float32 (#19-#24), one block (#26: ``mats[1]``)."""
    _eq(ag.block_diag(), np.zeros((1, 0)), np.float32)
    _eq(ag.block_diag(_t([1.0, 2.0])), [[1.0, 2.0]])
    _eq(ag.block_diag(_t([[1]]), _t([[1.5]])), [[1.0, 0.0], [0.0, 1.5]], np.float32)


def test_combinations_edge_sizes():
    """r = 0 (PyTorch: an empty 1-D tensor; bug: it raised NumPy's reshape error, the
    ``r == 0`` branch came after the reshape; #29-#38), r = 1 (rows of one; #29) and r
    larger than the input (an empty ``(0, r)`` result; #16, #18: float indices)."""
    x = _t([1.0, 2.0, 3.0])
    _eq(ag.combinations(x, 0), np.zeros(0), np.float32)
    _eq(ag.combinations(x, 1), [[1.0], [2.0], [3.0]])
    _eq(ag.combinations(_t([1.0, 2.0]), 3), np.zeros((0, 3)), np.float32)


def test_gradient_dtypes_dims_and_nonuniform_coordinates():
    """Integer input gives the default float dtype (bug: int64 gave float64 where PyTorch
    2.13 gives float32; ``gradient`` #30-#39), complex input stays complex (it was cast to
    a real dtype), ``dim`` as a list (#23), and nonuniform coordinates with
    ``edge_order=2`` (``_gradient_1d`` #189, #255, #268: the one-sided second-order
    weights), against ``numpy.gradient``."""
    g = ag.gradient(_t([1, 4, 9, 16]))[0]
    _eq(g, [3.0, 4.0, 6.0, 7.0], np.float32)
    _eq(ag.gradient(_t([1, 4, 9], dtype=ag.int32))[0], [3.0, 4.0, 5.0], np.float32)
    _eq(ag.gradient(_t([1.0, 4.0], dtype=ag.float64))[0], [3.0, 3.0], np.float64)
    c = ag.gradient(_t([1 + 1j, 4.0, 9.0, 16j]))[0]
    assert c.dtype == ag.complex64
    np.testing.assert_allclose(c.numpy(), [3 - 1j, 4 - 0.5j, -2 + 8j, -9 + 16j])
    y = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 8.0]])
    g0, g1 = ag.gradient(_t(y), dim=[0, 1])
    _eq(g0, np.gradient(y, axis=0).astype(np.float32))
    _eq(g1, np.gradient(y, axis=1).astype(np.float32))
    xs = np.array([0.0, 0.5, 2.0, 2.5, 4.5])
    ys = np.array([1.0, -2.0, 3.0, 0.5, 7.0])
    got = ag.gradient(_t(ys, dtype=ag.float64), spacing=(_t(xs, dtype=ag.float64),),
                      edge_order=2)[0]
    np.testing.assert_allclose(got.numpy(), np.gradient(ys, xs, edge_order=2), rtol=1e-12)
