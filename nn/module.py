"""``Module``: the base class of every layer, with PyTorch's registration rules.

Assigning a ``Parameter`` to an attribute registers it in ``_parameters``, a ``Module``
in ``_modules`` and a Tensor to a name made by ``register_buffer`` in ``_buffers``
(three ordered dicts, as ``torch.nn.Module.__setattr__`` does). Everything that walks
the tree (``parameters()``, ``state_dict()``, ``to()``, ...) reads those dicts.
"""

from __future__ import annotations

import copy
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator

import numpy as np

import backends
from autograd import dtypes
from autograd.extend import replayable
from autograd.grad_mode import no_grad
from autograd.tensor import Tensor

from .parameter import Parameter

__all__ = ["Module", "RemovableHandle"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` could not match."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class of all layers. Subclasses call ``super().__init__()`` first, assign
    Parameters, submodules and buffers as attributes, and define ``forward``.

    ``module(*args)`` runs the forward pre-hooks, ``forward`` and the forward hooks.
    """

    training: bool
    _version = 1

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    # --- registration ---------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        for key, kind, word, role in _REGISTRIES:
            store = d.get(key)
            if isinstance(value, kind):
                if store is None:
                    raise AttributeError(
                        f"cannot assign {word} {name!r} before Module.__init__() call"
                    )
                self._discard(name)
                store[name] = value
                return
            if store is not None and name in store:
                if value is not None:
                    raise TypeError(
                        f"cannot assign {type(value).__name__} as {role} {name!r} of "
                        f"{type(self).__name__} (a {kind.__name__} or None is expected)"
                    )
                store[name] = None
                return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} of "
                    f"{type(self).__name__} (a Tensor or None is expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _discard(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        # only called when normal lookup fails
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register a {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in self._parameters and name not in self._buffers \
                and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter or None) under ``name``."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}"
            )
        self._discard(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a non-learnable Tensor (e.g. running statistics) under ``name``.

        Buffers move with ``to()`` and, when ``persistent``, appear in ``state_dict()``.
        """
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor or None, got "
                f"{type(tensor).__name__}"
            )
        if isinstance(tensor, Parameter):
            raise TypeError(f"register_buffer: {name!r} is a Parameter; use register_parameter")
        self._discard(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got "
                            f"{type(module).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"module name must be a str, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"module name must be non-empty and contain no '.', got {name!r}")
        self._discard(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` ("" is self)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            child = mod._modules.get(item) if isinstance(mod, Module) else None
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {item!r} "
                                     f"(looking up {target!r})")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter:
        return self._get_registered(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_registered(target, "_buffers", "buffer")

    def _get_registered(self, target: str, registry: str, word: str):
        """The entry ``target`` ("sub.module.name") of a submodule's ``registry``."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        store = mod.__dict__[registry]
        if name not in store:
            raise AttributeError(f"{type(mod).__name__} has no {word} {name!r}")
        return store[name]

    # --- hooks ----------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` runs before forward; a returned value replaces args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args, output)`` runs after forward; a returned value replaces
        the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # --- walking the tree -------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for mod_prefix, mod in modules:
            for k, v in get_members(mod):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted_name, parameter)`` pairs; a shared parameter is listed once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module (and, with ``recurse``, of its submodules),
        each once, in registration order."""
        seen = set()
        for m in self.modules() if recurse else (self,):
            for p in m._parameters.values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, Module]]:
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Every module in the tree, depth first, self first (name ``prefix``)."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:  # iterative pre-order, so very deep trees cannot hit recursion limits
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield name, mod
            kids = [(name + ("." if name else "") + k, m) for k, m in mod._modules.items()
                    if m is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """Every module in the tree, depth first, self first, each once."""
        seen = set()
        stack = [self]
        while stack:
            mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield mod
            stack.extend(m for m in reversed(mod._modules.values()) if m is not None)

    # --- modes --------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every submodule; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @replayable  # ag.compile: recorded as one step, called again on replay
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` (to None, or to zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:  # in place, as the optimizer's zero_grad (no new array)
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad = False
                with no_grad():
                    g.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- devices and dtypes -------------------------------------------------------------
    def _cast(self, fn: Callable[[Tensor], Tensor | None]) -> Module:
        """Replace the array of every parameter, gradient and buffer in place.

        The Parameter objects stay the same, so an optimizer built before ``to()``
        keeps updating the moved parameters.
        """
        with no_grad():
            for m in self.modules():
                for t in list(m._parameters.values()) + list(m._buffers.values()):
                    if t is None:
                        continue
                    new = fn(t)
                    if new is not None:
                        t.array, t.device = new.array, new.device
                    if t.grad is not None:
                        g = fn(t.grad)
                        if g is not None:
                            t.grad = g.detach()
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``.

        A dtype applies to floating parameters and buffers only (as in PyTorch).
        Parameters are changed in place.
        """
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"Module.to(): unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, str | backends.Device):
                device = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif a is not None:
                dtype = a
        dev = backends.get_device(device) if device is not None else None
        dt = dtypes.to_dtype(dtype)
        if dt is not None and dt.kind != "f":
            raise TypeError(f"Module.to(): only floating dtypes are accepted, got {dt}")
        return self._cast(lambda t: _convert(t, dev, dt))

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        return self.to("cuda" if device is None else
                       (f"cuda:{device}" if isinstance(device, int) else device))

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def half(self) -> Module:
        return self.to(dtypes.float16)

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer (all of them, integer ones too) to ``dst_type``."""
        dt = dtypes.to_dtype(dst_type)
        return self._cast(lambda t: _convert(t, None, dt, floating_only=False))

    # --- state dicts ------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of every parameter and persistent buffer by dotted name.

        Values are detached Tensors sharing the arrays (``keep_vars=True`` gives the
        Parameter objects themselves).
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        extra = self.get_extra_state() if _overrides(self, "get_extra_state") else None
        if extra is not None:
            destination[prefix + "_extra_state"] = extra
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def get_extra_state(self):
        """Override to store non-Tensor state under ``<prefix>_extra_state``."""
        return None

    def set_extra_state(self, state) -> None:
        raise RuntimeError(f"{type(self).__name__} has no set_extra_state() for its "
                           "'_extra_state' entry")

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values from ``state_dict`` into the parameters and buffers in place.

        With ``strict`` every key must match; any missing or unexpected key or shape
        mismatch raises one RuntimeError listing all of them. Returns a named tuple
        ``(missing_keys, unexpected_keys)``. ``assign=True`` makes the module take the
        given arrays instead of copying into its own.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, target in own.items():
            if k not in state_dict or _is_extra(k):
                continue
            value = state_dict[k]
            shape = tuple(np.shape(value.array if isinstance(value, Tensor) else value))
            if shape != tuple(target.shape):
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {shape} from "
                    f"checkpoint, the shape in current model is {tuple(target.shape)}."
                )
        if strict and (missing or unexpected):
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for k, target in own.items():
                if k not in state_dict:
                    continue
                value = state_dict[k]
                if _is_extra(k):
                    mod = self.get_submodule(k.rpartition(".")[0])
                    mod.set_extra_state(value)
                    continue
                src = value if isinstance(value, Tensor) else Tensor(value)
                arr = Tensor(src.array, dtype=target.dtype, device=target.device).array
                if assign:
                    target.array = arr if arr is not src.array else arr.copy()
                else:
                    target.array[...] = arr
        return _IncompatibleKeys(missing, unexpected)

    # --- copying ----------------------------------------------------------------------
    def __deepcopy__(self, memo):
        # devices are process-wide singletons: keep them shared so ops still match
        for t in list(self.parameters()) + list(self.buffers()):
            memo.setdefault(id(t.device), t.device)
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    # --- printing -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Override to show a layer's settings inside its repr, e.g. ``in_features=2``."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2)
                       for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"


# the registries __setattr__ routes values into, in its order: (attribute, the class a
# value must have, the word for it in messages, its role in the owner)
_REGISTRIES = (("_parameters", Parameter, "parameter", "parameter"),
               ("_modules", Module, "module", "child module"))


def _is_extra(key: str) -> bool:
    return key.rpartition(".")[2] == "_extra_state"


def _overrides(mod: Module, name: str) -> bool:
    return getattr(type(mod), name) is not getattr(Module, name)


def _convert(t: Tensor, device, dtype, floating_only: bool = True) -> Tensor | None:
    """``t`` (detached) on ``device`` with ``dtype``, or None when nothing changes."""
    dt = dtype
    if dt is not None and (t.array.dtype == dt or (floating_only and t.array.dtype.kind != "f")):
        dt = None
    if dt is None and (device is None or device is t.device):
        return None
    return t.detach().to(device=device, dtype=dt)
