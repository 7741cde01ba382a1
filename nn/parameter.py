"""``Parameter``: a Tensor that a Module registers as learnable when assigned to it."""

from __future__ import annotations

import copy

from autograd.tensor import Tensor, version_counter

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that ``Module.__setattr__``
    registers in ``_parameters``.

    ``Parameter(t)`` shares ``t``'s array (no copy), like ``torch.nn.Parameter``; it is
    a plain Tensor otherwise, so every op accepts it. Integer parameters must pass
    ``requires_grad=False``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            from autograd import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            data = Tensor(data)
        self.array = data.array
        self.device = data.device
        self.grad = None
        self.grad_fn = None
        self._out_idx = 0
        self._hooks = None
        self._vc = version_counter(data)  # t's storage, so t's version counter
        self._view = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # the device object is a process-wide singleton: share it, copy the arrays
        if id(self) in memo:
            return memo[id(self)]
        memo.setdefault(id(self.device), self.device)
        out = object.__new__(Parameter)
        memo[id(self)] = out
        out.array = self.array.copy()
        out.device = self.device
        out.grad = None if self.grad is None else copy.deepcopy(self.grad, memo)
        out.grad_fn = None
        out._out_idx = 0
        out._hooks = None
        out._vc = None
        out._view = None
        out.requires_grad = self.requires_grad
        return out
