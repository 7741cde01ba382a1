"""The ``*_copy`` forms of the view ops (``view_copy``, ``diagonal_copy``, ...): the
view op followed by ``clone``, so the result owns its memory (PyTorch's functional
forms, used where a view would alias)."""

from __future__ import annotations

from ..tensor import Tensor
from . import views
from .convert import clone
from .shape import expand_, permute, squeeze, t, transpose, unbind, unsqueeze


def _copied(out):
    """A view op's result (a tensor or a tuple of them) cloned (outside ``_copy_of``'s
    closure, built at import, so that mutation testing reaches it: issue 18)."""
    if isinstance(out, tuple):
        return tuple(clone(o) for o in out)
    return clone(out)


# Runs only at import, when the ops are built: mutmut cannot activate its mutants, so it
# is not mutated (issue 18); the ops' work is in the module function it calls.
def _copy_of(view_op, name):  # pragma: no mutate block
    def op(x: Tensor, *args, **kwargs):
        return _copied(view_op(x, *args, **kwargs))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"``{view_op.__name__}`` as a new tensor with its own memory (not a view);"
                  " differentiable like it.")
    return op


def _split_with_sizes(x, split_sizes, dim=0):
    from .layout import split_with_sizes

    return split_with_sizes(x, split_sizes, dim)


view_copy = _copy_of(views.view, "view_copy")
expand_copy = _copy_of(expand_, "expand_copy")
permute_copy = _copy_of(permute, "permute_copy")
t_copy = _copy_of(t, "t_copy")
transpose_copy = _copy_of(transpose, "transpose_copy")
squeeze_copy = _copy_of(squeeze, "squeeze_copy")
unsqueeze_copy = _copy_of(unsqueeze, "unsqueeze_copy")
unbind_copy = _copy_of(unbind, "unbind_copy")
diagonal_copy = _copy_of(views.diagonal, "diagonal_copy")
narrow_copy = _copy_of(views.narrow, "narrow_copy")
unfold_copy = _copy_of(views.unfold, "unfold_copy")
alias_copy = _copy_of(lambda x: x, "alias_copy")
split_with_sizes_copy = _copy_of(_split_with_sizes, "split_with_sizes_copy")
