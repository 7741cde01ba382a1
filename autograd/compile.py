"""``ag.compile``: record a step once, replay its array program without the graph.

The first call of a compiled function with a given signature (the shapes, dtypes,
devices and ``requires_grad`` of its tensor arguments, its other argument values, the
grad mode and the ``training`` flags of the modules among its arguments and closure)
runs it normally while an observer (``graph.observe``) records a flat program:

* every ``Function.forward`` call, forward pass and backward pass alike (a plain
  backward runs Tensor ops, each a ``Function``), with each array input named by where
  it comes from: an argument, an output or a saved / ``ctx``-stored array of an earlier
  step, the current ``.array`` of a tensor that outlives the call (a parameter, a buffer,
  optimizer state), or a constant;
* every call of a function marked :func:`replayable`: code outside the ops that changes
  persistent state in place or draws random numbers (``optimizer.step()`` and
  ``zero_grad()``, BatchNorm's running statistics, the dropout mask, ``ag.rand``...),
  recorded as one step with its arguments resolved the same way and called again on
  replay;
* the accumulation of leaf gradients into ``.grad`` and in-place writes
  (``x.add_(y)``), both replayed by the engine's own code.

Later calls with that signature replay the program: each ``forward`` runs again on the
arrays (with a bare ``ctx``: no Tensor, no node, no backward bookkeeping), so random
ops draw fresh numbers and the results are bit-identical to an uncompiled run.

The program becomes one generated Python function (each slot a local, each op a line).
The second call with a signature runs uncompiled and is compared with the recording, op
by op; a difference (an array or Python value the recording took for a constant that
changed) raises :class:`CompileMismatchError`. ``check=True`` compares on every call.

What it is not (yet): the arrays are allocated by each ``forward`` as before (no buffer
planning, no ``out=``), nothing is fused, ``optimizer.step()`` is called as it is, and
there is no CUDA graph capture; Python control flow that depends on tensor values cannot
be recorded (reading a value raises :class:`CompileError`). Code outside the ops that
computes arrays from data without being :func:`replayable` is taken for a constant (the
comparison catches it when the data change between the compared calls). A Python value
read from elsewhere than the arguments (a global counter) is baked in as a constant.
Recording swaps class attributes process-wide, like the profiler: record from one thread.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import graph as _graph
from .grad_mode import STATE
from .graph import Node
from .ops import arithmetic as _arith
from .tensor import Tensor, _wrap

__all__ = ["compile", "replayable", "CompileError", "CompileMismatchError"]


class CompileError(RuntimeError):
    """A compiled function did something that its replay could not reproduce."""


class CompileMismatchError(CompileError):
    """``check=True``: the uncompiled run differed from the recorded program."""


_REC = None  # the recorder of the call being recorded, or None
_new = object.__new__
_SLOT, _DATA, _CONST, _GRAD, _TENSOR, _SEQ = range(6)
_scalars = (int, float, bool, complex, str, type(None))


def _is_array(a) -> bool:
    """A backend array (NumPy or CuPy ndarray), not a Tensor nor a NumPy scalar."""
    return hasattr(a, "__array_priority__") and hasattr(a, "dtype") and hasattr(a, "shape") \
        and not isinstance(a, (np.generic, Tensor))


# the graph's own fields of a node: not arrays that forward stored for backward
_NODE_FIELDS = frozenset(("fn", "device", "edges", "edge_idx", "needs_input_grad", "seq",
                          "_saved", "_origins", "_versions", "_non_diff", "out_shapes",
                          "_out_dtypes", "_place", "_trace", "_hooks", "_freed"))


def replayable(fn):
    """Mark ``fn`` (code outside the ops that changes persistent arrays in place or draws
    random numbers) so that :func:`compile` records each call as one step and calls
    ``fn`` again on replay, its tensor and array arguments resolved to the replay's
    arrays. Outside a recording it costs one global read per call."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        rec = _REC
        if rec is None or rec.depth:
            return fn(*args, **kwargs)
        return rec.step(fn, args, kwargs)

    wrapper.__wrapped_replayable__ = fn
    return wrapper


# --- the program ------------------------------------------------------------------------


class _Op:
    """One recorded step: a Function forward (``cls`` set) or a replayable call."""

    __slots__ = ("cls", "fn", "ins", "kw", "device", "nig", "outs", "saved", "attrs",
                 "ret", "name", "free", "tuple_out")

    def __init__(self):
        self.cls = self.fn = self.kw = self.device = self.nig = None
        self.outs = self.saved = self.attrs = self.ret = ()
        self.free = ()


class _Program:
    """A recorded step, turned into one generated Python function: each slot a local,
    each op one line (its forward on a bare ctx, or a replayable call), each
    intermediate dropped after its last use."""

    def __init__(self, nslots, ops, result, arg_slots):
        self.nslots, self.ops, self.result, self.arg_slots = nslots, ops, result, arg_slots
        self.replays = 0
        # the second call with a signature runs uncompiled and is compared with the
        # recording (as check=True does on every call): it catches an array or a Python
        # value that the recording took for a constant but that changes between calls
        self.verified = False
        self._fn = _generate(ops, arg_slots, _result_slots(result))

    def run(self, tensors):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            env = self._fn(tensors)
        finally:
            STATE.enabled = prev
        self.replays += 1
        return _build(self.result, env, tensors)


def _result_slots(spec, out=None):
    out = [] if out is None else out
    if spec[0] == "t" and spec[1] == _SLOT:
        out.append(spec[2])
    elif spec[0] == "seq":
        for e in spec[2]:
            _result_slots(e, out)
    elif spec[0] == "dict":
        for _, e in spec[1]:
            _result_slots(e, out)
    return out


def _generate(ops, arg_slots, result_slots):
    consts = {"_new": _new, "_Node": Node, "_as": _as_array, "_wrap": _wrap}
    ids = {}

    def const(v):
        key = id(v)
        name = ids.get(key)
        if name is None:
            name = ids[key] = f"c{len(ids)}"
            consts[name] = v
        return name

    def expr(kind, x):
        if kind == _SLOT:
            return f"s{x}"
        if kind == _CONST:
            return const(x)
        if kind == _DATA:
            return f"{const(x)}.array"
        if kind == _GRAD:
            return f"{const(x)}.grad.array"
        if kind == _SEQ:
            items = "".join(expr(k, e) + ", " for k, e in x[1])
            return f"({items})" if x[0] is tuple else f"[{items}]"
        how, v, dev = x
        if how == "arg":
            return f"tensors[{v}]"
        if how == "ext":
            return const(v)
        return f"_wrap(s{v}, {const(dev)})"

    lines = ["def _replay(tensors):"]
    for i, slot in enumerate(arg_slots):
        lines.append(f"    s{slot} = tensors[{i}].array")
    for op in ops:
        args = ", ".join(expr(k, x) for k, x in op.ins)
        if op.cls is not None:
            lines.append(f"    ctx = _new(_Node); ctx.device = {const(op.device)}; "
                         f"ctx.needs_input_grad = {const(op.nig)}")
            lines.append(f"    o = {const(op.cls.forward)}(ctx{', ' if args else ''}{args})")
            for j, slot, zero_d in op.outs:
                v = f"o[{j}]" if op.tuple_out else "o"
                lines.append(f"    s{slot} = _as({v})" if zero_d else f"    s{slot} = {v}")
            for k, slot, zero_d in op.saved:
                v = f"ctx._saved[{k}]"
                lines.append(f"    s{slot} = _as({v})" if zero_d else f"    s{slot} = {v}")
            for name, slot in op.attrs:
                lines.append(f"    s{slot} = ctx.{name}")
        else:
            kw = ", ".join(f"{n}={expr(k, x)}" for n, (k, x) in op.kw.items())
            call = ", ".join(a for a in (args, kw) if a)
            lines.append(f"    r = {const(op.fn)}({call})")
            for path, slot, is_tensor in op.ret:
                v = "r" + "".join(f"[{i}]" for i in path) + (".array" if is_tensor else "")
                lines.append(f"    s{slot} = {v}")
        for slot in op.free:
            lines.append(f"    s{slot} = None")
    lines.append("    return {" + ", ".join(f"{s}: s{s}" for s in result_slots) + "}")
    namespace = dict(consts)
    exec("\n".join(lines), namespace)  # noqa: S102  (our own generated code, no user text)
    return namespace["_replay"]


def _get(env, tensors, kind, x):
    if kind == _SLOT:
        return env[x]
    if kind == _CONST:
        return x
    if kind == _DATA:
        return x.array
    if kind == _GRAD:
        return x.grad.array
    # _TENSOR: a tensor object itself (an argument by position, or one that persists),
    # or a fresh Tensor around a slot's array
    how, v, dev = x
    if how == "arg":
        return tensors[v]
    if how == "ext":
        return v
    return _wrap(env[v], dev)


def _as_array(o):
    return np.asarray(o) if isinstance(o, np.generic) else o


def _build(spec, env, tensors):
    kind = spec[0]
    if kind == "t":
        _, k, x, dev = spec
        if k == _GRAD:  # a leaf's .grad, or a tensor that outlives the call: itself
            return x.grad
        if k == _DATA:
            return x
        return _wrap(_get(env, tensors, k, x), dev)
    if kind == "seq":
        return spec[1](_build(s, env, tensors) for s in spec[2])
    if kind == "dict":
        return {k: _build(s, env, tensors) for k, s in spec[1]}
    return spec[1]


# --- recording --------------------------------------------------------------------------


class _Recorder:
    def __init__(self, arg_tensors):
        self.depth = 0
        self.ops = []
        self.src = {}  # id(array) -> slot
        self.keep = []  # every array seen, so no id is reused while recording
        self.nslots = 0
        self.arg_ids = {id(t): i for i, t in enumerate(arg_tensors)}
        self.arg_slots = []
        for t in arg_tensors:
            self.arg_slots.append(self._new_slot(t.array))
        self.ext = {}  # id(tensor) -> tensor: tensors that outlive the call
        self.grads = {}  # id(grad array) -> leaf whose .grad it is

    def _new_slot(self, arr) -> int:
        slot = self.nslots
        self.nslots += 1
        self.src[id(arr)] = slot
        self.keep.append(arr)
        return slot

    def array_source(self, a):
        slot = self.src.get(id(a))
        if slot is not None:
            return _SLOT, slot
        leaf = self.grads.get(id(a))
        if leaf is not None and leaf.grad is not None and leaf.grad.array is a:
            return _GRAD, leaf
        self.keep.append(a)
        return _CONST, a

    def data_source(self, t):
        """Where the array of tensor ``t`` comes from, as a Function input."""
        slot = self.src.get(id(t.array))
        if slot is not None:
            return _SLOT, slot
        i = self.arg_ids.get(id(t))
        if i is not None:
            return _SLOT, self.arg_slots[i]
        kind, x = self.array_source(t.array)
        if kind == _GRAD:
            return kind, x
        self.ext[id(t)] = t  # it outlives the call: read its .array when replayed
        return _DATA, t

    def input_source(self, a):
        """Where an argument of a Function comes from (a tuple of arrays element-wise)."""
        if isinstance(a, Tensor):
            return self.data_source(a)
        if _is_array(a):
            return self.array_source(a)
        if type(a) in (tuple, list) and any(_is_array(e) for e in a):
            return _SEQ, (type(a), [self.input_source(e) for e in a])
        return _CONST, a

    def value_source(self, a):
        """Where an argument of a replayable step comes from."""
        if isinstance(a, Tensor):
            i = self.arg_ids.get(id(a))
            if i is not None:
                return _TENSOR, ("arg", i, None)
            slot = self.src.get(id(a.array))
            if slot is not None and id(a) not in self.ext:
                return _TENSOR, ("slot", slot, a.device)
            self.ext[id(a)] = a
            return _TENSOR, ("ext", a, None)
        if _is_array(a):
            return self.array_source(a)
        if type(a) in (list, tuple) and any(isinstance(e, Tensor) or _is_array(e)
                                            for e in a):
            return _SEQ, (type(a), [self.value_source(e) for e in a])
        if hasattr(a, "__next__"):
            raise CompileError(
                f"ag.compile: {getattr(self, 'step_name', 'a replayable step')} received an "
                f"iterator ({type(a).__name__}), which its first call used up: a replay would "
                "see it empty. Pass a list (list(model.parameters())).")
        return _CONST, a

    def register_outputs(self, op, value, path=()):
        """Give each array (or tensor's array) in ``value`` a slot; returns (path, slot)."""
        found = []
        if isinstance(value, Tensor) or _is_array(value):
            arr = value.array if isinstance(value, Tensor) else value
            found.append((path, self._new_slot(arr), isinstance(value, Tensor)))
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                found.extend(self.register_outputs(op, v, path + (i,)))
        return found

    # the observers ---------------------------------------------------------------------
    def apply(self, inner, cls, *args):
        if self.depth:
            return inner(cls, *args)
        op = _Op()
        op.cls = cls
        op.ins = [self.input_source(a) for a in args]
        self.depth += 1
        try:
            out = inner(cls, *args)
        finally:
            self.depth -= 1
        outs = out if type(out) is tuple else (out,)
        op.device = outs[0].device
        node = next((o.grad_fn for o in outs if o.grad_fn is not None and
                     getattr(o.grad_fn, "fn", None) is cls), None)
        op.tuple_out = type(out) is tuple
        op.outs = [(j, self._new_slot(o.array), o.array.ndim == 0) for j, o in enumerate(outs)]
        if node is None:
            op.nig = (False,) * len(args)
        else:
            op.nig = node.needs_input_grad
            origins = node._origins or (None,) * len(node._saved)
            saved = []
            for k, (s, origin) in enumerate(zip(node._saved, origins)):
                if _is_array(s) and (origin is None or origin >= 0) and \
                        id(s) not in self.src:
                    saved.append((k, self._new_slot(s), s.ndim == 0))
            op.saved = saved
            attrs = []
            for name, v in vars(node).items():
                if name in _NODE_FIELDS:
                    continue
                if _is_array(v) and id(v) not in self.src:
                    attrs.append((name, self._new_slot(v)))
                elif type(v) in (tuple, list):  # e.g. a recurrence's per-step arrays
                    for i, e in enumerate(v):
                        if _is_array(e) and id(e) not in self.src:
                            attrs.append((f"{name}[{i}]", self._new_slot(e)))
            op.attrs = attrs
        op.name = cls.__name__
        self.ops.append(op)
        return out

    def step(self, fn, args, kwargs):
        op = _Op()
        op.fn = fn
        op.name = self.step_name = getattr(fn, "__qualname__", repr(fn))
        op.ins = [self.value_source(a) for a in args]
        op.kw = {n: self.value_source(v) for n, v in kwargs.items()}
        self.depth += 1
        try:
            r = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        op.ret = self.register_outputs(op, r)
        self.ops.append(op)
        return r

    def accumulate(self, inner, t, g, capture):
        if capture is not None or self.depth:
            return inner(t, g, capture)
        self.step(inner, (t, g, None), {})
        if t.grad is not None:
            self.grads[id(t.grad.array)] = t
            self.keep.append(t.grad.array)
        return None

    def result_spec(self, value):
        if isinstance(value, Tensor):
            k, x = self.data_source(value)
            return ("t", k, x, value.device)
        if isinstance(value, (tuple, list)):
            return ("seq", type(value), [self.result_spec(v) for v in value])
        if isinstance(value, dict):
            return ("dict", [(k, self.result_spec(v)) for k, v in value.items()])
        if _is_array(value):
            raise CompileError("ag.compile: the compiled function returned a bare array; "
                               "return Tensors")
        return ("const", value)

    def finish(self, result):
        spec = self.result_spec(result)
        ops = self.ops
        _plan_frees(ops, spec, self.nslots)
        return _Program(self.nslots, ops, spec, self.arg_slots)


def _plan_frees(ops, spec, nslots):
    """Drop each intermediate from the replay's table after its last use."""
    last = {}

    def use(kind, x, k):
        if kind == _SLOT:
            last[x] = k
        elif kind == _TENSOR and x[0] == "slot":
            last[x[1]] = k
        elif kind == _SEQ:
            for e in x[1]:
                use(*e, k)

    for k, op in enumerate(ops):
        for kind, x in list(op.ins) + list((op.kw or {}).values()):
            use(kind, x, k)
    keep = set()

    def walk(s):
        if s[0] == "t" and s[1] == _SLOT:
            keep.add(s[2])
        elif s[0] == "seq":
            for e in s[2]:
                walk(e)
        elif s[0] == "dict":
            for _, e in s[1]:
                walk(e)

    walk(spec)
    frees = {}
    for slot, k in last.items():
        if slot not in keep:
            frees.setdefault(k, []).append(slot)
    for k, op in enumerate(ops):
        op.free = tuple(frees.get(k, ()))


# --- value reads raise while recording --------------------------------------------------

_READS = {"item": ".item()", "__float__": "float(tensor)", "__int__": "int(tensor)",
          "__bool__": "bool(tensor) (an `if` or `while` on a tensor)",
          "__index__": "using a tensor as an index", "numpy": ".numpy()",
          "tolist": ".tolist()", "__repr__": "printing a tensor (repr/str/print)",
          "__array__": "np.asarray(tensor)"}


def _guarded(name, original):
    what = _READS[name]

    def guard(self, *args, **kwargs):
        rec = _REC
        if rec is None or rec.depth:
            return original(self, *args, **kwargs)
        raise CompileError(
            f"{what} inside a function being recorded by ag.compile: reading a tensor's "
            f"value (shape {tuple(self.array.shape)}) into Python would bake this one value "
            "into the compiled program, and a replay would not see the new value. Move it "
            "out of the compiled function (return the tensor and read it after the call), "
            "or compute with tensor ops instead (e.g. torch.where for an `if`).")

    return guard


def _never(a, b) -> bool:
    return False


class _Recording:
    """Installs the recorder's observers for the duration of one call."""

    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        global _REC
        from .ops import inplace as _inplace

        rec = self.rec
        self._inplace = _inplace
        self._observe = _graph.observe(apply=rec.apply)
        self._observe.__enter__()
        self._acc = _graph._accumulate_leaf
        _graph._accumulate_leaf = lambda t, g, capture, inner=self._acc: rec.accumulate(
            inner, t, g, capture)
        self._write = _inplace._write
        _inplace._write = replayable(self._write)
        # the no-grad fast path of + - * / computes on arrays outside the ops: while
        # recording, every binary op goes through its Function (the same array call)
        self._pair = _arith._same_float_pair
        _arith._same_float_pair = _never
        self._methods = {n: Tensor.__dict__[n] for n in _READS if n in Tensor.__dict__}
        for n, m in self._methods.items():
            setattr(Tensor, n, _guarded(n, m))
        _REC = rec
        return rec

    def __exit__(self, *exc):
        global _REC
        _REC = None
        for n, m in self._methods.items():
            setattr(Tensor, n, m)
        self._inplace._write = self._write
        _arith._same_float_pair = self._pair
        _graph._accumulate_leaf = self._acc
        self._observe.__exit__(*exc)
        return False


# --- the compiled function ----------------------------------------------------------------


def _flatten(value, tensors, sig):
    """Collect the tensors of ``value`` (in order) and append its signature to ``sig``."""
    if isinstance(value, Tensor):
        tensors.append(value)
        sig.append(("T", value.array.shape, value.array.dtype, str(value.device),
                    value.requires_grad))
    elif isinstance(value, (list, tuple)):
        sig.append((type(value), len(value)))
        for v in value:
            _flatten(v, tensors, sig)
    elif isinstance(value, dict):
        sig.append((dict, tuple(value)))
        for v in value.values():
            _flatten(v, tensors, sig)
    elif _is_array(value):
        raise CompileError("ag.compile: pass arrays as Tensors (got a bare array argument)")
    elif _is_module(value):
        sig.append(("M", id(value), tuple(m.training for m in value.modules())))
    elif isinstance(value, _scalars):
        sig.append((type(value), value))
    else:
        try:
            hash(value)
            sig.append((type(value), value))
        except TypeError:
            sig.append(("id", id(value)))
        # an object holding modules (a trainer's ``self``): their training flags too
        for v in getattr(value, "__dict__", {}).values():
            if _is_module(v):
                sig.append(tuple(m.training for m in v.modules()))


def _is_module(v) -> bool:
    return hasattr(v, "training") and callable(getattr(v, "modules", None)) and \
        not isinstance(v, type)


def _closure_modules(fn):
    """The modules ``fn`` reaches through its closure or the globals it names."""
    found = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if _is_module(v):
            found.append(v)
    code = getattr(fn, "__code__", None)
    g = getattr(fn, "__globals__", {})
    for name in (code.co_names if code is not None else ()):
        v = g.get(name)
        if _is_module(v):
            found.append(v)
    return found


class Compiled:
    """A function compiled by :func:`compile`; call it as the function itself."""

    def __init__(self, fn, check=False, cache_limit=8):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.check = check
        self.cache_limit = cache_limit
        self.programs = {}
        self._warned = False
        self._modules = _closure_modules(fn)

    def __get__(self, obj, objtype=None):  # @ag.compile on a method: ``self`` is an argument
        return self if obj is None else functools.partial(self.__call__, obj)

    def _signature(self, args, kwargs):
        tensors, sig = [], [STATE.enabled]
        _flatten(args, tensors, sig)
        _flatten(kwargs, tensors, sig)
        for m in self._modules:
            sig.append(tuple(x.training for x in m.modules()))
        return tuple(sig), tensors

    def __call__(self, *args, **kwargs):
        if _REC is not None:  # nested in another recording: inline it
            return self.fn(*args, **kwargs)
        sig, tensors = self._signature(args, kwargs)
        program = self.programs.get(sig)
        if program is not None and program.verified and not self.check:
            return program.run(tensors)
        if program is None and len(self.programs) >= self.cache_limit:
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"ag.compile({getattr(self.fn, '__qualname__', self.fn)}): "
                    f"{self.cache_limit} signatures recorded (cache_limit); new ones run "
                    "uncompiled. Keep shapes, dtypes and Python arguments fixed between "
                    "calls, or raise cache_limit.", RuntimeWarning, stacklevel=2)
            return self.fn(*args, **kwargs)
        new, result = self._record(tensors, args, kwargs)
        if program is None:
            self.programs[sig] = new
        else:
            _compare(program, new)
            program.verified = True
        return result

    def _record(self, tensors, args, kwargs):
        rec = _Recorder(tensors)
        with _Recording(rec):
            result = self.fn(*args, **kwargs)
        return rec.finish(result), result


def compile(fn=None, *, check: bool = False, cache_limit: int = 8):  # noqa: A001
    """Compile a training or inference step: record it on the first call with a given
    signature, replay the recorded array program on later calls (see the module
    docstring for what is recorded and what is not).

    ``check=True`` (debugging): every later call runs ``fn`` uncompiled, records it again
    and compares the two programs step by step (the same ops, wired to the same inputs,
    with equal constants); the first difference raises :class:`CompileMismatchError`, and
    the call returns the uncompiled run's results. (Without it, only the second call with
    each signature is compared.) A method can be compiled too (``self`` is an argument).
    ``cache_limit`` bounds the signatures kept per function; past it a warning is given
    and new signatures run uncompiled. Usable as ``@ag.compile`` or
    ``@ag.compile(check=True)``.
    """
    if fn is None:
        return lambda f: Compiled(f, check=check, cache_limit=cache_limit)
    return Compiled(fn, check=check, cache_limit=cache_limit)


# --- check=True ------------------------------------------------------------------------


_WHO = "ag.compile (an uncompiled run compared with the recording): "


def _same(a, b) -> bool:
    ka, xa = a
    kb, xb = b
    if ka != kb:
        return False
    if ka == _CONST:
        if _is_array(xa) or _is_array(xb):
            return _is_array(xa) and _is_array(xb) and xa.shape == xb.shape and \
                xa.dtype == xb.dtype and bool((xa == xb).all())
        try:
            return type(xa) is type(xb) and bool(xa == xb)
        except Exception:  # noqa: BLE001  (an object without a plain ==)
            return xa is xb
    if ka == _SEQ:
        return xa[0] is xb[0] and len(xa[1]) == len(xb[1]) and all(
            _same(e, f) for e, f in zip(xa[1], xb[1]))
    if ka == _TENSOR:
        return xa[0] == xb[0] and (xa[1] is xb[1] if xa[0] == "ext" else xa[1] == xb[1])
    if ka == _DATA and xa is not xb:  # a tensor made inside the call (backward's seed)
        return _same((_CONST, xa.array), (_CONST, xb.array))
    if ka in (_DATA, _GRAD):
        return xa is xb
    return xa == xb


def _compare(old, new):
    for k, (a, b) in enumerate(zip(old.ops, new.ops)):
        where = f"step {k} ({a.name})"
        if a.name != b.name or a.cls is not b.cls or a.fn is not b.fn:
            raise CompileMismatchError(
                _WHO + f"at step {k} the recorded program ran {a.name} "
                f"but the uncompiled function ran {b.name}: its control flow depends on "
                "something outside the signature")
        ia, ib = list(a.ins) + list((a.kw or {}).values()), \
            list(b.ins) + list((b.kw or {}).values())
        if len(ia) != len(ib):
            raise CompileMismatchError(_WHO + f"{where} has {len(ib)} "
                                       f"inputs now, {len(ia)} when recorded")
        for i, (x, y) in enumerate(zip(ia, ib)):
            if not _same(x, y):
                raise CompileMismatchError(
                    _WHO + f"{where}, input {i}: recorded "
                    f"{_describe(x)}, but the uncompiled run used {_describe(y)}; the replay "
                    "would not compute what the function computes now (a Python value "
                    "read from outside the arguments, e.g. a global, is baked into the "
                    "recording)")
    if len(old.ops) != len(new.ops):
        raise CompileMismatchError(
            _WHO + f"the recorded program has {len(old.ops)} steps, the "
            f"uncompiled run {len(new.ops)}")


def _describe(src) -> str:
    kind, x = src
    if kind == _CONST:
        if _is_array(x):
            return f"a constant array of shape {tuple(x.shape)}"
        return f"the constant {x!r}"
    if kind == _SLOT:
        return f"intermediate #{x}"
    if kind == _TENSOR:
        return f"tensor ({x[0]})"
    return "a persistent tensor"

