"""The public API for writing ops and layers on top of the core (``nn``, ``optim``, users).

Everything a new differentiable op or layer needs from ``autograd``, in one import::

    from autograd.extend import Function, Tensor, wrap, is_grad_enabled, sum_to

* ``Function``: subclass it; ``forward(ctx, *arrays)`` on backend arrays,
  ``backward(ctx, *grads)`` with Tensor ops (or a gradient ``Function``, see
  ``docs/architecture.md``), ``MyOp.apply(*tensors)``.
* ``wrap(array, device)``: a Tensor around a backend array, without checks or a copy
  (for a ``backward`` that returns array results, and for optimizers' state).
* ``is_grad_enabled``, ``no_grad``, ``enable_grad``, ``set_grad_enabled``: grad mode. A
  ``backward`` runs with grad mode on exactly when ``create_graph=True``, so
  ``is_grad_enabled()`` says whether its result must itself be differentiable.
* ``plain_backward()``: whether a backward may run its gradient Function's array code
  directly on ``ctx.saved_arrays()`` (no create_graph, no observer such as
  ``ag.compile``'s recorder): the fast path of ``Linear`` and the losses.
* ``sum_to(g, shape)``: the one unbroadcast (a broadcast input's gradient summed back).
* ``promote(a, b, op)``: PyTorch's dtype promotion for a binary op's two arguments.
* ``increment_version(t, by=...)``: record an in-place write into ``t.array`` made by
  array code (an optimizer kernel), so backward refuses arrays saved before it.
* ``replayable``: mark code outside the ops that changes persistent arrays in place,
  draws random numbers (an optimizer's ``step``) or computes a tensor from tensors
  without a ``Function`` (indices, masks), so ``ag.compile`` calls it again on replay
  (``autograd/recording.py``). ``is_compile_recording()``: whether ``ag.compile`` is
  recording now, when code that branches on data values for speed must not branch.
* ``register_out_form(FunctionClassOrReplayable)`` and ``OutForm``: give an op an
  out-form, how ``ag.compile`` replays it into buffers planned once instead of
  allocating (see ``autograd/compile_forms.py``). The form sits beside its op and calls
  the op's own array function with ``out=`` buffers: one formula.

Code outside ``autograd`` imports these, never underscore names of the core, and never
reads a node's private fields (``ctx._saved``, ``ctx.edges``); a test checks both.
"""

from __future__ import annotations

from .compile import replayable
from .compile_forms import OutForm, register_out_form
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .graph import BackwardError, Function, Node, increment_version, plain_backward
from .ops._util import sum_to
from .ops.arithmetic import promote
from .recording import is_compile_recording
from .tensor import Tensor
from .tensor import _wrap as wrap  # the same function: no extra call on hot paths

__all__ = [
    "BackwardError",
    "Function",
    "Node",
    "OutForm",
    "Tensor",
    "enable_grad",
    "increment_version",
    "is_compile_recording",
    "is_grad_enabled",
    "no_grad",
    "plain_backward",
    "promote",
    "register_out_form",
    "replayable",
    "set_grad_enabled",
    "sum_to",
    "wrap",
]
