"""Padding layers: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``,
``ReplicationPad*`` and ``CircularPad*`` for 1, 2 and 3 spatial dimensions.

``padding`` is an int (every side) or a tuple (left, right[, top, bottom[, front,
back]]) in ``F.pad`` order; (un)batched inputs as in PyTorch. Each layer is one call of
``F.pad`` (``autograd.ops.pad``) with its mode.
"""

from __future__ import annotations

from autograd.extend import Tensor
from autograd.ops import pad

from .module import Module

__all__ = [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication",
                                         "Circular") for n in (1, 2, 3)]


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        n = 2 * self._nd
        self.padding = (int(padding),) * n if isinstance(padding, int) else \
            tuple(int(p) for p in padding)
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {n} ints, got "
                             f"{padding!r}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        name, nd = type(self).__name__, self._nd
        if not isinstance(input, Tensor) or input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D input, "
                             f"got shape {tuple(getattr(input, 'shape', ()))}")
        if self._mode == "constant":
            return pad(input, self.padding, value=self.value)
        return pad(input, self.padding, mode=self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


def _make(kind: str, mode: str, nd: int, doc: str):
    def init(self, padding, value: float = 0.0) -> None:
        _PadNd.__init__(self, padding, value if kind == "Constant" else 0.0)

    def init_no_value(self, padding) -> None:
        _PadNd.__init__(self, padding)

    cls = type(f"{kind}Pad{nd}d", (_PadNd,), {
        "_nd": nd, "_mode": mode, "__doc__": doc.format(nd=nd),
        "__init__": init if kind == "Constant" else init_no_value,
        "__module__": __name__})
    return cls


_DOCS = {
    "Zero": ("constant", "Pad the last {nd} dimension(s) with zeros."),
    "Constant": ("constant", "Pad the last {nd} dimension(s) with ``value``."),
    "Reflection": ("reflect", "Pad the last {nd} dimension(s) with their reflection (the "
                              "edge not repeated); each pad smaller than the dimension."),
    "Replication": ("replicate", "Pad the last {nd} dimension(s) by repeating the edge."),
    "Circular": ("circular", "Pad the last {nd} dimension(s) by wrapping around."),
}

for _kind, (_mode, _doc) in _DOCS.items():
    for _nd in (1, 2, 3):
        globals()[f"{_kind}Pad{_nd}d"] = _make(_kind, _mode, _nd, _doc)
