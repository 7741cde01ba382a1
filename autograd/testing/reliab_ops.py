"""Registry entries for the paths issue 16 and issue 12's edge cases added (see opinfo.py):
pad modes, integer+array indexing in PyTorch's layout, max(dim) routed through its index,
add/sub with alpha, pow with a tensor exponent, std through its masked square root."""

from __future__ import annotations

import numpy as np

import autograd as ag

from .core_ops import _args, _pos
from .opinfo import OpInfo, register


def _op(name, fn, *specs, reference=None, second_order=True, **kw):
    register(OpInfo(name, fn, _args(*specs), reference=reference, second_order=second_order,
                    **kw))


def _np_pad(mode):
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return lambda x, widths: np.pad(x, widths, mode=np_mode)


# F.pad is autograd.ops.pad; reflect/replicate/circular gather by index (scatter-add back)
for _mode in ("reflect", "replicate", "circular"):
    _op(f"pad/{_mode}", lambda x, m=_mode: ag.ops.pad(x, (2, 1, 1, 2), mode=m), (2, 3, 4),
        reference=lambda x, m=_mode: _np_pad(m)(x, ((0, 0), (1, 2), (2, 1))))
_op("pad/negative_crop", lambda x: ag.ops.pad(x, (-1, 2, 1, -1)), (2, 3, 4),
    reference=lambda x: np.pad(x[:, :-1, 1:], ((0, 0), (1, 0), (0, 2))))
_op("pad/reflect_negative", lambda x: ag.ops.pad(x, (-1, 2), mode="reflect"), (2, 3, 4),
    reference=lambda x: np.pad(x, ((0, 0), (0, 0), (0, 2)), mode="reflect")[..., 1:])

# an int and an array separated by a slice: the int selects first (PyTorch's layout)
_op("getitem/int_slice_array", lambda x: x[0, :, [1, 3, 1]], (2, 3, 4),
    reference=lambda x: x[0][:, [1, 3, 1]])
_op("getitem/array_none_int", lambda x: x[:, [0, 2], None, 0], (2, 3, 4),
    reference=lambda x: x[:, :, 0][:, [0, 2], None])

_op("max/dim_keepdim_index", lambda x: x.max(1, keepdim=True)[0], (3, 4),
    reference=lambda x: x.max(1, keepdims=True))
_op("min/dim_index", lambda x: x.min(0)[0], (3, 4), reference=lambda x: x.min(0))
_op("add/alpha", lambda a, b: ag.add(a, b, alpha=-2.5), (3, 4), (4,),
    reference=lambda a, b: a - 2.5 * b)
_op("sub/alpha", lambda a, b: ag.sub(a, b, alpha=3), (3, 1), (4,),
    reference=lambda a, b: a - 3 * b)
_op("pow/tensor_exponent", lambda a, b: a**b, _pos((3, 4)), (3, 4),
    reference=lambda a, b: a**b)
_op("std/all", lambda x: x.std(), (3, 4), reference=lambda x: x.std(ddof=1))
