"""Tests written against surviving mutants of ``autograd/ops/views.py`` (issue 18,
``python -m benchmarks.mutation autograd/ops/views.py``): exact errors naming the op,
``narrow``/``unfold``/``diagonal`` at their bounds, views of views made in no_grad mode,
the several views of ``split``, and the replay of a view after its base changed in place.
Expected values are PyTorch 2.13's (hard-coded). Bugs fixed: ``narrow``'s message named
the start after wrapping (-1 for a given -4); ``unfold`` of a 0-d tensor failed (PyTorch:
one window of the value)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = ag.arange(6.0).reshape(2, 3)
V = ag.arange(3.0)


@pytest.mark.parametrize("call, kind, text", [
    (lambda: ag.view(X.t(), 6), RuntimeError,
     "view: shape (6,) is not compatible with the input's shape (3, 2) and strides (1,"
     ' 3) (at least one dimension spans across two contiguous subspaces); use '
     '.reshape(...) instead'),
    (lambda: ag.narrow(X, 2, 0, 1), IndexError,
     'narrow: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.narrow(X, 1, 4, 0), IndexError,
     'narrow: start 4 and length 0 are out of range for dimension 1 of size 3 (shape '
     '(2, 3))'),
    (lambda: ag.narrow(X, 1, 1, -1), IndexError,
     'narrow: start 1 and length -1 are out of range for dimension 1 of size 3 (shape '
     '(2, 3))'),
    (lambda: ag.narrow(X, 1, 2, 2), IndexError,
     'narrow: start 2 and length 2 are out of range for dimension 1 of size 3 (shape '
     '(2, 3))'),
    (lambda: ag.narrow(X, 1, -4, 1), IndexError,
     'narrow: start -4 and length 1 are out of range for dimension 1 of size 3 (shape '
     '(2, 3))'),
    (lambda: ag.diagonal(V), RuntimeError,
     'diagonal: expects a tensor of at least 2 dims, got shape (3,)'),
    (lambda: ag.diagonal(X, 0, 2, 0), IndexError,
     'diagonal: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.diagonal(X, 0, 0, 2), IndexError,
     'diagonal: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.diagonal(X, 0, 1, -1), RuntimeError,
     'diagonal: dim1 and dim2 cannot be equal (both 1)'),
    (lambda: ag.unfold(X, 2, 1, 1), IndexError,
     'unfold: dim 2 is out of range for a tensor of 2 dimension(s)'),
    (lambda: ag.unfold(X, 1, 4, 1), RuntimeError,
     'unfold: size 4 must be in [0, 3] and step 1 > 0 (dimension 1 of shape (2, 3))'),
    (lambda: ag.unfold(X, 1, -1, 1), RuntimeError,
     'unfold: size -1 must be in [0, 3] and step 1 > 0 (dimension 1 of shape (2, 3))'),
    (lambda: ag.unfold(X, 1, 2, 0), RuntimeError,
     'unfold: size 2 must be in [0, 3] and step 0 > 0 (dimension 1 of shape (2, 3))'),
    (lambda: ag.unfold(X, 1, 2, -1), RuntimeError,
     'unfold: size 2 must be in [0, 3] and step -1 > 0 (dimension 1 of shape (2, 3))'),
])
def test_views_errors_are_exact(call, kind, text):
    """view's message (#14), the op names given to ``normalize_dim`` (narrow #4-#9,
    diagonal #12-#25, unfold #4, #13, #14), narrow's range checks (#17-#28), diagonal's
    messages (#7, #8, #27) and unfold's size/step checks and message (#19-#27)."""
    with pytest.raises(kind) as err:
        call()
    assert str(err.value) == text


def test_narrow_unfold_diagonal_at_their_bounds():
    """A negative start (narrow #15, #16), an empty narrow at the end (#22), a window of 0
    or of the whole dim (unfold #21-#23), a 0-d input (#12, #17, #18; it failed), an
    offset past the matrix (``_diagonal_view`` #23: an empty diagonal, not one element)."""
    assert ag.narrow(X, 1, -2, 2).tolist() == [[1.0, 2.0], [4.0, 5.0]]
    assert ag.narrow(X, 1, 3, 0).shape == (2, 0)
    assert ag.narrow(X, 1, 0, 0).shape == (2, 0)
    assert ag.unfold(X, 1, 0, 1).shape == (2, 4, 0)
    assert ag.unfold(X, 1, 3, 1).tolist() == [[[0.0, 1.0, 2.0]], [[3.0, 4.0, 5.0]]]
    assert ag.unfold(ag.tensor(5.0), 0, 1, 1).tolist() == [5.0]
    assert ag.unfold(ag.tensor(5.0), -1, 1, 2).tolist() == [5.0]
    assert ag.unfold(ag.tensor(5.0), 0, 0, 1).shape == (0,)
    z = ag.tensor(5.0, requires_grad=True)
    ag.unfold(z, 0, 1, 1).sum().backward()
    assert z.grad.tolist() == 1.0
    with pytest.raises(RuntimeError) as err:
        ag.unfold(ag.tensor(5.0), 0, 2, 1)
    assert str(err.value) == ("unfold: size 2 must be in [0, 1] and step 1 > 0 (dimension 0 "
                              "of shape ())")
    with pytest.raises(IndexError):
        ag.unfold(ag.tensor(5.0), 1, 1, 1)
    assert ag.diagonal(X, 5).shape == (0,)
    assert ag.diagonal(X, -2).shape == (0,)


def test_views_replay_after_the_base_changes_in_place():
    """A diagonal or an unfold of a base changed in place differentiates through the
    change with its own arguments (diagonal #45, unfold #41-#46: the replay's arguments),
    as PyTorch 2.13."""
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    a = x * 1
    d = a.diagonal(1)
    a.mul_(2)
    d.sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a = x * 1
    u = a.unfold(0, 2, 2)
    a.mul_(3)
    u[1].sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0]


def test_views_made_without_grad_and_split_views():
    """A view made under no_grad is never replayed: a view of it can be made with grad
    mode on (``make_view`` #15: ``"" + tuple``), and changing it in place with values that
    require grad is refused (#6); split's views refuse in-place changes under grad mode and
    leave grad mode on (``make_views`` #1-#10), as PyTorch 2.13."""
    with ag.no_grad():
        base = ag.zeros(3)
        v = base[0:2]
    assert v[0:1].shape == (1,)
    with pytest.raises(RuntimeError, match="was made in no_grad mode"):
        v.add_(ag.ones(2, requires_grad=True))
    y = ag.ones(2, requires_grad=True) * 1
    p, q = ag.split(y, 1)
    assert ag.is_grad_enabled()
    with pytest.raises(RuntimeError, match="returns several views"):
        p.add_(1)
    with ag.no_grad():
        p.add_(1)
    assert y.tolist() == [2.0, 1.0]
    assert np.array_equal(q.numpy(), [1.0])
