"""``Optimizer``: parameter groups, lazy per-parameter state, PyTorch's state_dict format.

A subclass supplies ``defaults`` (the hyperparameters every group gets unless it sets
its own) and an ``_update(group, params)`` that changes ``p.array`` in place for the
parameters of one group that have a gradient. Updates run under ``no_grad`` on whole
backend arrays, so one optimizer works on every backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.extend import (
    OutForm,
    Tensor,
    enable_grad,
    increment_version,
    no_grad,
    register_out_form,
    replayable,
    wrap,
)


class _Required:
    """Marks a hyperparameter that has no default (``lr`` of SGD in old PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups) each with a
            ``"params"`` entry and optional per-group hyperparameters.
        defaults: hyperparameters used by groups that do not set them.

    Attributes:
        param_groups: list of dicts; each has ``"params"`` (a list of Tensors) and every
            key of ``defaults``.
        state: per-parameter state (``state[p]`` is a dict, created on first use).
    """

    # state keys kept as float32 CPU scalars (see _init_state), also after a load
    _float32_scalars: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got a Tensor"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # --- groups -----------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"``), filling in the defaults.

        Raises ValueError when a parameter is not a leaf, appears twice in the group or
        already belongs to another group; TypeError when an entry is not a Tensor.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(f"{name}: parameters must be an ordered collection (list or "
                            "tuple), not a set, so that their order is reproducible")
        elif params is None:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' entry")
        else:
            params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, but parameter {i} of the "
                                f"group is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i} "
                                 f"of the group, shape {tuple(p.shape)}, made by "
                                 f"{p.grad_fn.name()}); pass a leaf such as x.detach()"
                                 ".requires_grad_()")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} of the group (shape "
                                 f"{tuple(p.shape)}) appears twice in the group")
            seen.add(id(p))
        group = dict(param_group)
        group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of "
                                 f"required optimization parameter {key!r}")
            group.setdefault(key, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & seen:
            raise ValueError(f"{name}: some parameters appear in more than one parameter "
                             "group")
        self._check_group(group)
        self.param_groups.append(group)
        self._init_group_state(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate one group's hyperparameters (subclasses raise ValueError)."""

    def _init_group_state(self, group: dict[str, Any]) -> None:
        """Create state eagerly for a new group (most optimizers create it lazily)."""

    # --- the update ---------------------------------------------------------------------
    @replayable  # ag.compile: recorded as one step, called again on replay
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad = False
                    g.array[...] = 0

    # the cached step of _fast_step (None until built); builds tried and given up
    _fast = None
    _fast_misses = 0

    @replayable  # ag.compile: recorded as one step, called again on replay
    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad on).
        """
        if closure is None and self._fast is not None:
            if self._fast(self):
                return None
            self._fast = None  # something it assumed changed: the full step, then rebuild
            self._fast_misses += 1
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        by = f"{type(self).__name__}.step"
        with no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    self._update(group, params)
                    for p in params:  # changed in place: a graph that saved p is stale
                        increment_version(p, by=by)
        if closure is None and self._fast is None and self._fast_misses < _FAST_TRIES:
            self._fast = self._fast_step()  # the state exists now: cache what it can
            if self._fast is None:
                self._fast_misses += 1
        return loss

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        raise NotImplementedError

    def _fast_step(self):
        """A cached form of ``step()`` for the current parameters, state and backend, or
        None (the default: every step runs ``_update``). Built after a full step, when
        the state exists; ``run(opt)`` then does the whole update without the
        per-parameter Python of ``step`` (fresh views, state lookups, dispatch), or
        returns False having changed nothing when what it assumed no longer holds (a
        replaced parameter array or state, new groups, an option it does not cover), so
        ``step`` runs in full and rebuilds it (given up after ``_FAST_TRIES`` misses).
        Used by every ``step()`` and by ``ag.compile``'s replay. Adam's is in
        ``optim/adam.py``."""
        return None

    def _step_out_form(self):
        """ag.compile's hook: an ``OutForm`` (``autograd.extend``) whose call, given this
        optimizer, replays ``step()`` through :meth:`_fast_step`'s cached form, or
        ``step()`` itself where the form does not cover the call; None when there is no
        cached form (a replay calls ``step()`` as it is). Asked once, when a compiled
        program that steps this optimizer is planned."""
        run = self._fast_step()
        if run is None:
            return None

        def step(opt):
            if not run(opt):
                opt.step()

        return OutForm(step, (0,), buffers=())

    # --- helpers for subclasses ---------------------------------------------------------
    @staticmethod
    def _grad(p: Tensor):
        """The gradient array of ``p``, checked against the parameter."""
        g = p.grad.array
        if g.shape != p.array.shape:
            raise RuntimeError(f"optimizer step: gradient of shape {tuple(g.shape)} does not "
                               f"match its parameter of shape {tuple(p.array.shape)}")
        return g

    @staticmethod
    def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
        xp = p.device.backend.xp
        arr = xp.zeros_like(p.array) if fill == 0 else xp.full_like(p.array, fill)
        return wrap(arr, p.device)

    @staticmethod
    def _step_tensor() -> Tensor:
        """The step counter: a float32 CPU scalar, as PyTorch keeps it."""
        return Tensor(np.zeros((), np.float32))

    def _init_state(self, p: Tensor, scalars: dict[str, float] | None = None,
                    **buffers: float) -> dict[str, Any]:
        """``self.state[p]``, created on first use (and after a load that dropped it).

        A new state holds ``"step"`` (see :meth:`_step_tensor`), then each of
        ``scalars`` as a float32 CPU scalar Tensor (as PyTorch keeps such state), then
        each of ``buffers`` as a Tensor like ``p`` filled with its value, in that order.
        """
        state = self.state[p]
        if len(state) == 0:
            state["step"] = self._step_tensor()
            for key, value in (scalars or {}).items():
                state[key] = Tensor(np.array(value, np.float32))
            for key, fill in buffers.items():
                state[key] = self._zeros_like(p, fill)
        return state

    @staticmethod
    def _advance(state: dict[str, Any]) -> float:
        """Count one more step in ``state["step"]``; returns the new step number."""
        step_t = state["step"]
        step_t.array += 1
        return float(step_t.array)

    def _directed_grad(self, p: Tensor, group: dict[str, Any]):
        """The gradient array the update follows: ``-grad`` when ``group["maximize"]``,
        then with the group's weight decay: ``p.array *= 1 - lr * weight_decay`` in place
        when ``group["decoupled_weight_decay"]`` (AdamW's), else ``+ weight_decay * p``.
        Never the stored gradient itself when it changes it."""
        grad = self._grad(p)
        g = -grad if group["maximize"] else grad
        wd = group["weight_decay"]
        if wd != 0:
            if group.get("decoupled_weight_decay", False):
                p.array *= 1 - group["lr"] * wd
            else:
                g = g + wd * p.array
        return g

    # --- state_dict ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: Tensor|value}}, "param_groups": [...]}``.

        Parameters are numbered in group order; each packed group has its
        hyperparameters and ``"params"`` as a list of those numbers. State values are
        references to the live tensors (copy them to keep a snapshot), as in PyTorch.
        """
        mapping: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in mapping:
                state[mapping[id(p)]] = dict(s)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by :meth:`state_dict` (ours or PyTorch's, with arrays
        as Tensors or NumPy arrays). State tensors are copied, and floating ones are
        cast to their parameter's dtype and device; ``"step"`` keeps its own, and the
        scalars named in ``_float32_scalars`` stay float32 (exact: PyTorch saves them so)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             "'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups, strict=False)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has "
                                 f"{len(s['params'])} parameters in the state dict but "
                                 f"{len(g['params'])} in the optimizer")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups, strict=False):
            for saved_id, p in zip(s["params"], g["params"], strict=False):
                id_map[int(saved_id)] = p
        new_state: defaultdict[Tensor, dict] = defaultdict(dict)
        for key, value in state_dict.get("state", {}).items():
            if isinstance(key, str) and key.isdigit():  # JSON-style string ids
                key = int(key)
            p = id_map.get(key)
            if p is None:
                continue  # like PyTorch: state for an unknown index is dropped
            new_state[p] = {k: _cast_state(v, p, k) for k, v in value.items()}
            for k in self._float32_scalars:
                if k in new_state[p]:
                    new_state[p][k] = Tensor(np.array(new_state[p][k].numpy(), np.float32))
        self.state = new_state
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups, strict=False):
            ng = dict(s)
            ng["params"] = g["params"]
            for k, v in self.defaults.items():  # keys newer than the saved state
                ng.setdefault(k, v)
            for k, v in ng.items():  # JSON round trips turn tuples into lists
                if k == "betas" and isinstance(v, list):
                    ng[k] = tuple(v)
            new_groups.append(ng)
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


@register_out_form(Optimizer.step)
def _step_form(site):
    """ag.compile: ``optimizer.step()`` (no closure) replays by its class's out-form."""
    if len(site.args) != 1 or site.kwargs:
        return None
    return site.args[0]._step_out_form()


# builds of a cached step (Optimizer._fast_step) that found nothing to cache, or were
# outdated, after which step() stops trying: a configuration that changes every step
# would otherwise pay for a build each time
_FAST_TRIES = 3

# the words of PyTorch's messages for each hyperparameter that must be >= 0
_HYPERPARAMETER_WORDS = {
    "lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
    "weight_decay": "weight_decay value", "alpha": "alpha value",
    "lr_decay": "lr_decay value", "momentum_decay": "momentum_decay value",
    "initial_accumulator_value": "initial_accumulator_value",
}


def _check_hyperparameters(name: str, **values) -> None:
    """Raise PyTorch's ValueError for the first invalid hyperparameter of optimizer
    ``name``, checking ``values`` in the order given: ``betas`` must be a pair in
    ``[0, 1)``, every other value ``>= 0`` (NaN fails)."""
    for key, value in values.items():
        if key == "betas":
            for i in range(2):
                if not 0.0 <= value[i] < 1.0:
                    raise ValueError(f"{name}: invalid beta parameter at index {i}: "
                                     f"{value[i]} (must be in [0, 1))")
        elif not value >= 0.0:
            raise ValueError(f"{name}: invalid {_HYPERPARAMETER_WORDS[key]} {value} "
                             "(must be >= 0)")


def _cast_state(value, param: Tensor, key: str):
    """A private copy of one saved state value, on the parameter's device."""
    if isinstance(value, Tensor):
        on_other = key == "step" or value.device != param.device
        arr = value.numpy() if on_other else value.array
    elif isinstance(value, np.ndarray):
        arr = value
    elif hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        arr = value.detach().cpu().numpy()
    else:
        return value
    if key == "step":  # the counter stays a CPU scalar in its own dtype
        return Tensor(np.array(arr, copy=True))
    if arr.dtype.kind == "f":
        arr = arr.astype(param.array.dtype, copy=False)
    # always a private copy: the optimizer updates its state in place
    return wrap(param.device.backend.asarray(arr).copy(), param.device)

