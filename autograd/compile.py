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

On the CPU, ops that have an out-form replay as array calls writing into buffers
planned once from the recorded lifetimes (``_plan_buffers``) and shared by intermediates
that are not alive at once. The generic forms are in ``compile_forms.py``; the others sit
beside their ops, registered with ``autograd.extend.register_out_form``
(``nn/functional/linear.py``, ``nn/functional/loss.py``, ``optim/adam.py`` through
``Optimizer._step_out_form``). ``.grad`` lives in a buffer of the program; a returned
tensor held in a buffer is copied (the next call overwrites it).

What it is not (yet): ops without an out-form (convolution, pooling, ...) allocate their
results in ``forward`` as before; nothing is fused; ``optimizer.step()`` is called as it
is, or by its class's out-form (Adam's; both read the current ``lr``, so lr schedulers
stepped between calls work); on CuPy there are no planned buffers, but the runs of kernels between
the replayable steps are captured as CUDA graphs (``compile_cuda.py``). Python
control flow that depends on tensor values cannot be recorded (reading a value raises
:class:`CompileError`), nor can an optimizer step that re-evaluates a closure (LBFGS) or
an lr scheduler's ``step()`` inside the step (both raise). Code outside the ops that
computes arrays from data without being :func:`replayable` is taken for a constant (the
comparison catches it when the data change between the compared calls). A Python value
read from elsewhere than the arguments (a global counter) is baked in as a constant. A
result whose size depends on the values (indexing by a boolean mask, ``nonzero``,
``unique``: a Function with a boolean-array argument, or a step marked
``replayable(sized_by_values=True)``) has its shape checked on replay and in the
comparison: another size than the recording's raises :class:`CompileError`, since
shapes read from it were baked in and buffers planned for it.
Recording swaps class attributes process-wide, like the profiler: record from one thread.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import compile_cuda as _cuda
from . import compile_forms as _forms
from . import graph as _graph
from .grad_mode import STATE
from .graph import Node
from .ops import arithmetic as _arith
from .recording import RECORDING, CompileError, CompileMismatchError, replayable
from .tensor import Tensor, _wrap

__all__ = ["compile", "replayable", "CompileError", "CompileMismatchError"]


_REC = None  # the recorder of the call being recorded, or None
_new = object.__new__
_SLOT, _DATA, _CONST, _GRAD, _TENSOR, _SEQ = range(6)
_scalars = (int, float, bool, complex, str, type(None))


def _is_array(a) -> bool:
    """A backend array (NumPy or CuPy ndarray), not a Tensor nor a NumPy scalar."""
    return hasattr(a, "__array_priority__") and hasattr(a, "dtype") and hasattr(a, "shape") \
        and not isinstance(a, (np.generic, Tensor))


def _has_mask(a) -> bool:
    """Whether a Function argument is (or holds) a boolean array of at least one
    dimension: indexing by it gives a result whose size is the number of True values."""
    if type(a) in (tuple, list):
        return any(_has_mask(e) for e in a)
    return _is_array(a) and a.dtype == np.bool_ and a.ndim > 0


def _shape_error(name: str, recorded, now) -> CompileError:
    return CompileError(
        f"ag.compile: {name} gave a result of shape {tuple(now)} where the recording's was "
        f"{tuple(recorded)}: its size depends on tensor values (a boolean mask, nonzero, "
        "unique, ...), and the recorded program was sized for the first call (shapes read "
        "from it are baked in, buffers planned for it). Keep it outside the compiled "
        "function, or use a fixed-size form (where/masked_fill, a loss's ignore_index or "
        "weights, padding to a fixed length).")


def _check_shape(name, recorded, now):
    """A replay's guard failed (raised from the generated code)."""
    raise _shape_error(name, recorded, now)


# the graph's own fields of a node: not arrays that forward stored for backward
_NODE_FIELDS = frozenset(("fn", "device", "edges", "edge_idx", "needs_input_grad", "seq",
                          "_saved", "_origins", "_versions", "_non_diff", "out_shapes",
                          "_out_dtypes", "_place", "_trace", "_hooks", "_freed"))


# --- the program ------------------------------------------------------------------------


class _Op:
    """One recorded step: a Function forward (``cls`` set) or a replayable call."""

    __slots__ = ("cls", "fn", "ins", "kw", "device", "nig", "outs", "saved", "attrs",
                 "ret", "name", "free", "tuple_out", "site", "form", "guards")

    def __init__(self):
        self.cls = self.fn = self.kw = self.device = self.nig = None
        self.outs = self.saved = self.attrs = self.ret = self.guards = ()
        self.free = ()
        self.site = self.form = None  # the recorded call, and its out-form if planned


class _Program:
    """A recorded step, turned into one generated Python function: each slot a local,
    each op one line (its forward on a bare ctx, or a replayable call), each
    intermediate dropped after its last use."""

    def __init__(self, nslots, ops, result, arg_slots, plan=None, graphs=None):
        self.nslots, self.ops, self.result, self.arg_slots = nslots, ops, result, arg_slots
        self.replays = 0
        # the second call with a signature runs uncompiled and is compared with the
        # recording (as check=True does on every call): it catches an array or a Python
        # value that the recording took for a constant but that changes between calls
        self.verified = False
        self.plan = plan  # the buffers planned for the out-forms (None: none)
        self._fn = _generate(ops, arg_slots, _result_slots(result), plan)
        # on CuPy with stream capture: the replay in pieces, captured as CUDA graphs
        self.graphs = None if graphs is None else _cuda.GraphRunner(
            _segments(ops, arg_slots, _result_slots(result)), graphs)

    def run(self, tensors):
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if self.graphs is None:
                env = self._fn(tensors)
            else:
                env = {s: tensors[i].array for i, s in enumerate(self.arg_slots)}
                env["tensors"] = tensors
                env = self.graphs.run(env)
                # a graph rewrites its outputs at the next launch: results are copies
                env = {s: env[s].copy() for s in _result_slots(self.result)}
        finally:
            STATE.enabled = prev
        self.replays += 1
        return _build(self.result, env, tensors)


def _op_slots(op):
    """(slots ``op`` reads, slots it defines)."""
    used = []
    for kind, x in list(op.ins) + list((op.kw or {}).values()):
        used.extend(_slots_in(kind, x))
    made = [s for _, s, _ in op.outs] + [s for _, s, _ in op.saved] + \
        [s for _, s in op.attrs] + [s for _, s, _ in op.ret]
    return used, made


def _persistent_sources(op):
    out = []

    def walk(kind, x):
        if kind == _DATA:
            out.append(("data", x))
        elif kind == _GRAD:
            out.append(("grad", x))
        elif kind == _SEQ:
            for e in x[1]:
                walk(*e)

    for kind, x in op.ins:
        walk(kind, x)
    return out


def _segments(ops, arg_slots, result_slots):
    """Cut ``ops`` into runs of Function forwards (captured as CUDA graphs) and runs of
    replayable steps (run eagerly), each a generated function on an env dict."""
    pieces = []
    for op in ops:
        eager = op.cls is None
        if pieces and pieces[-1][0] == eager:
            pieces[-1][1].append(op)
        else:
            pieces.append((eager, [op]))
    made_in = [set() for _ in pieces]
    used_in = [set() for _ in pieces]
    for k, (_, piece) in enumerate(pieces):
        for op in piece:
            used, made = _op_slots(op)
            used_in[k].update(used)
            made_in[k].update(made)
    segments = []
    later = set(result_slots)
    needed_after = [None] * len(pieces)
    for k in range(len(pieces) - 1, -1, -1):
        needed_after[k] = set(later)
        later |= used_in[k]
    for k, (eager, piece) in enumerate(pieces):
        inputs = sorted(used_in[k] - made_in[k])
        outputs = sorted(made_in[k] & needed_after[k])
        fn = _generate(piece, arg_slots, (), None, segment=(inputs, outputs))
        persistent = [] if eager else [p for op in piece for p in _persistent_sources(op)]
        segments.append(_cuda.Segment(fn, inputs, outputs, eager, persistent))
    return segments


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


def _generate(ops, arg_slots, result_slots, plan=None, segment=None):
    """The replay of ``ops`` as one Python function ``_replay(tensors)`` returning the
    result slots; or, with ``segment=(inputs, outputs)`` (slot lists), a function
    ``_replay(env)`` reading its inputs from the dict ``env`` and storing its outputs
    there (a piece of the program, as the CUDA-graph runner replays it)."""
    consts = {"_new": _new, "_Node": Node, "_as": _as_array, "_wrap": _wrap,
              "_check": _check_shape}
    ids = {}
    bufs = plan.slot_name if plan is not None else {}
    for name, arr in (plan.buffers.items() if plan is not None else ()):
        consts[name] = arr

    def const(v):
        key = id(v)
        name = ids.get(key)
        if name is None:
            name = ids[key] = f"c{len(ids)}"
            consts[name] = v
        return name

    def slot(x):
        return bufs.get(x) or f"s{x}"

    def expr(kind, x):
        if kind == _SLOT:
            return slot(x)
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
        return f"_wrap({slot(v)}, {const(dev)})"

    if segment is None:
        lines = ["def _replay(tensors):"]
        for i, s in enumerate(arg_slots):
            lines.append(f"    s{s} = tensors[{i}].array")
    else:
        lines = ["def _replay(env):", "    tensors = env.get('tensors')"]
        lines.extend(f"    s{s} = env[{s}]" for s in segment[0])
    for op in ops:
        form = op.form
        if form is not None:
            lines.extend(_form_lines(op, form, expr, slot, const))
        elif op.cls is not None:
            args = ", ".join(expr(k, x) for k, x in op.ins)
            lines.append(f"    ctx = _new(_Node); ctx.device = {const(op.device)}; "
                         f"ctx.needs_input_grad = {const(op.nig)}")
            lines.append(f"    o = {const(op.cls.forward)}(ctx{', ' if args else ''}{args})")
            for j, s, zero_d in op.outs:
                v = f"o[{j}]" if op.tuple_out else "o"
                lines.append(f"    s{s} = _as({v})" if zero_d else f"    s{s} = {v}")
            for k, s, zero_d in op.saved:
                v = f"ctx._saved[{k}]"
                lines.append(f"    s{s} = _as({v})" if zero_d else f"    s{s} = {v}")
            for name, s in op.attrs:
                lines.append(f"    s{s} = ctx.{name}")
        else:
            args = ", ".join(expr(k, x) for k, x in op.ins)
            kw = ", ".join(f"{n}={expr(k, x)}" for n, (k, x) in op.kw.items())
            call = ", ".join(a for a in (args, kw) if a)
            lines.append(f"    r = {const(op.fn)}({call})")
            for path, s, is_tensor in op.ret:
                v = "r" + "".join(f"[{i}]" for i in path) + (".array" if is_tensor else "")
                lines.append(f"    s{s} = {v}")
        if form is None:
            for s, shape in op.guards:
                lines.append(f"    if s{s}.shape != {const(shape)}: "
                             f"_check({const(op.name)}, {const(shape)}, s{s}.shape)")
        for s in op.free:
            if s not in bufs:
                lines.append(f"    s{s} = None")
    if segment is not None:
        lines.extend(f"    env[{s}] = s{s}" for s in segment[1])
        lines.append("    return env")
    else:  # a result in a planned buffer is copied out: the next call overwrites it
        lines.append("    return {" + ", ".join(
            f"{s}: {bufs[s]}.copy()" if s in bufs else f"{s}: s{s}"
            for s in result_slots) + "}")
    namespace = dict(consts)
    source = "\n".join(lines)
    exec(source, namespace)  # noqa: S102  (our own generated code, no user text)
    fn = namespace["_replay"]
    fn.source = source  # what the replay runs, for reading (print(program._fn.source))
    return fn


def _raw_expr(src, expr, slot):
    """The array of a replayable's tensor argument, without a Tensor around it."""
    kind, x = src
    if kind == _TENSOR:
        how, v, _ = x
        if how == "slot":
            return slot(v)
        return f"{expr(kind, x)}.array"
    return expr(kind, x)


def _form_lines(op, form, expr, slot, const):
    """The replay of an op by its out-form: one call writing into planned buffers."""
    ins = [_raw_expr(op.ins[i], expr, slot) if i in form.raw else expr(*op.ins[i])
           for i in form.inputs]
    outs = {j: s for j, s, _ in op.outs}
    saved = {k: s for k, s, _ in op.saved}
    ins.extend(slot(s) for s in _buffer_slots(op, form))
    call = f"{const(form.call)}({', '.join(ins)})"
    lines = []
    if form.returns:
        names = [f"s{outs[j]}" for _, j in form.returns]
        lhs = names[0] if len(names) == 1 else ", ".join(names)
        lines.append(f"    {lhs} = {call}")
    else:
        lines.append(f"    {call}")
    for k, i in form.aliases.items():
        if k in saved:
            lines.append(f"    s{saved[k]} = {expr(*op.ins[i])}")
    return ["    " + ln.strip() for ln in lines]


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
    if kind == "argrad":
        return tensors[spec[1]].grad
    return spec[1]


# --- recording --------------------------------------------------------------------------


class _Recorder:
    def __init__(self, arg_tensors, cuda_graphs=True):
        self.cuda_graphs = cuda_graphs
        self.depth = 0
        self.ops = []
        self.src = {}  # id(array) -> slot
        self.keep = []  # every array seen, so no id is reused while recording
        self.nslots = 0
        self.arrays = {}  # slot -> the array it held while recording
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
        self.arrays[slot] = arr
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

    def refuse_read(self, what, t):
        """An op about to read ``t``'s values into Python (``torch.equal``): refused."""
        raise _read_error(what, t)

    def _enter(self):
        """A recorded step starts: what it calls is part of it, not recorded apart
        (``RECORDING.rec`` is None inside it, so ops take their plain paths)."""
        self.depth += 1
        RECORDING.rec = None

    def _leave(self):
        self.depth -= 1
        if not self.depth:
            RECORDING.rec = self

    # the observers ---------------------------------------------------------------------
    def apply(self, inner, cls, *args):
        if self.depth:
            return inner(cls, *args)
        op = _Op()
        op.cls = cls
        op.ins = [self.input_source(a) for a in args]
        op.site = [a.array if isinstance(a, Tensor) else a for a in args]
        self._enter()
        try:
            out = inner(cls, *args)
        finally:
            self._leave()
        outs = out if type(out) is tuple else (out,)
        op.device = outs[0].device
        node = next((o.grad_fn for o in outs if o.grad_fn is not None and
                     getattr(o.grad_fn, "fn", None) is cls), None)
        op.tuple_out = type(out) is tuple
        op.outs = [(j, self._new_slot(o.array), o.array.ndim == 0) for j, o in enumerate(outs)]
        if any(_has_mask(a) for a in op.site):  # x[mask], masked_select: a value-made size
            op.guards = [(s, self.arrays[s].shape) for _, s, zero_d in op.outs if not zero_d]
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
        op.site = (args, kwargs)
        self._enter()
        try:
            r = fn(*args, **kwargs)
        finally:
            self._leave()
        op.ret = self.register_outputs(op, r)
        if getattr(fn, "__sized_by_values__", False):  # nonzero, unique, ...
            op.guards = [(s, self.arrays[s].shape) for _, s, _ in op.ret]
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
            if k == _GRAD and id(x) in self.arg_ids:  # an argument's .grad: this call's
                return ("argrad", self.arg_ids[id(x)])
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
        last = _plan_frees(ops, spec, self.nslots)
        plan = _plan_buffers(ops, spec, self.arrays, last)
        for op in ops:  # the recorded arrays are not kept by the program
            op.site = None
        device = next((op.device for op in ops if op.device is not None), None)
        graphs = _cuda.graphs_for(device) if self.cuda_graphs else None
        return _Program(self.nslots, ops, spec, self.arg_slots, plan, graphs)


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
    return last


class _Plan:
    """The buffers of a program: ``buffers`` (name -> array, allocated once) and
    ``slot_name`` (slot -> the name of the buffer its value is written into)."""

    def __init__(self):
        self.buffers, self.slot_name = {}, {}
        self.forms = 0  # ops replayed by an out-form

    def nbytes(self) -> int:
        return sum(int(b.nbytes) for b in self.buffers.values())


def _owner(a):
    """The array that owns ``a``'s memory (``a`` itself unless it is a view)."""
    while getattr(a, "base", None) is not None and hasattr(a.base, "shape"):
        a = a.base
    return a


def _site(op, arrays, used):
    """The recorded call of ``op`` as an out-form factory sees it, or None."""
    if op.cls is not None:
        saved = {k: arrays[s] for k, s, _ in op.saved if s in used}
        attrs = {n: arrays[s] for n, s in op.attrs if s in used}
        dev = op.device
        return _forms.Site(op.site, {}, [arrays[s] for _, s, _ in op.outs], saved, attrs,
                           dev.backend.xp, dev)
    args, kwargs = op.site
    dev = next((a.device for a in args if isinstance(a, Tensor)), None)
    # no tensor argument (optimizer.step()): the form checks its own arrays
    return _forms.Site(args, kwargs, [arrays[s] for _, s, _ in op.ret], {}, {},
                       np if dev is None else dev.backend.xp, dev)


def _buffer_slots(op, form):
    """The slot each buffer of ``form`` holds, in order."""
    outs = {j: s for j, s, _ in op.outs} if op.cls is not None else \
        {i: s for i, (_, s, _) in enumerate(op.ret)}
    saved = {k: s for k, s, _ in op.saved}
    attrs = dict(op.attrs)
    return [outs[j] if kind == "out" else saved[j] if kind == "saved" else attrs[j]
            for kind, j in form.buffers]


def _plan_buffers(ops, spec, arrays, last):
    """Give each op that has an out-form (``compile_forms.lookup``) its form, and each array it
    writes a buffer, allocated once here and shared by intermediates whose lifetimes do
    not overlap (same shape and dtype). A lifetime runs from the op that writes the
    buffer to the last use of anything that views its memory; a buffer returned by the
    function, or handed to a replayable step without a form (which might keep it), is
    never shared. CPU (NumPy) only: on CuPy every op replays its ``forward``."""
    results = set(_result_slots(spec))
    used = set(last) | results
    plan = _Plan()
    for op in ops:
        if op.site is None or op.device is not None and op.device.backend.name != "numpy":
            continue
        factory = _forms.lookup(op.cls if op.cls is not None else op.fn)
        if factory is None:
            continue
        site = _site(op, arrays, used)
        if site is None or site.device is not None and site.device.backend.name != "numpy":
            continue
        form = factory(site)
        if form is None:
            continue
        covered = {k for kind, k in form.buffers if kind == "saved"} | set(form.aliases)
        written = {k for kind, k in form.buffers if kind == "attr"}
        if any(k not in covered for k in site.saved) or any(n not in written
                                                             for n in site.attrs):
            continue
        if op.cls is None:  # a replayable: every result read later is in a buffer
            ret = {s for _, s, _ in op.ret if s in used}
            if ret - set(_buffer_slots(op, form)):
                continue
        op.form = form
        plan.forms += 1
    # lifetimes: each group of slots viewing one memory ends at its last use
    forever = len(ops)
    end = {}
    for s, a in arrays.items():
        key = id(_owner(a))
        e = forever if s in results else last.get(s, -1)
        if e > end.get(key, -1):
            end[key] = e
    for op in ops:  # handed to a replayable without a form: it may keep the array
        if op.cls is None and op.form is None:
            for kind, x in list(op.ins) + list((op.kw or {}).values()):
                for s in _slots_in(kind, x):
                    end[id(_owner(arrays[s]))] = forever
    free, release = {}, {}
    for k, op in enumerate(ops):
        form = op.form
        if form is not None:
            for s in _buffer_slots(op, form):
                a = arrays[s]
                key = (a.shape, a.dtype.str)
                pool = free.get(key)
                if pool:
                    name = pool.pop()
                else:
                    name = f"b{len(plan.buffers)}"
                    plan.buffers[name] = np.empty(a.shape, a.dtype)
                plan.slot_name[s] = name
                e = max(end.get(id(_owner(a)), -1), k)
                if e < forever:
                    release.setdefault(e, []).append((key, name))
        for key, name in release.pop(k, ()):
            free.setdefault(key, []).append(name)
    return plan if plan.forms else None


def _slots_in(kind, x):
    if kind == _SLOT:
        return [x]
    if kind == _TENSOR and x[0] == "slot":
        return [x[1]]
    if kind == _SEQ:
        return [s for e in x[1] for s in _slots_in(*e)]
    return []


# --- value reads raise while recording --------------------------------------------------

_READS = {"item": ".item()", "__float__": "float(tensor)", "__int__": "int(tensor)",
          "__bool__": "bool(tensor) (an `if` or `while` on a tensor)",
          "__index__": "using a tensor as an index", "numpy": ".numpy()",
          "tolist": ".tolist()", "__repr__": "printing a tensor (repr/str/print)",
          "__array__": "np.asarray(tensor)"}


def _read_error(what, t) -> CompileError:
    return CompileError(
        f"{what} inside a function being recorded by ag.compile: reading a tensor's "
        f"value (shape {tuple(t.array.shape)}) into Python would bake this one value "
        "into the compiled program, and a replay would not see the new value. Move it "
        "out of the compiled function (return the tensor and read it after the call), "
        "or compute with tensor ops instead (e.g. torch.where for an `if`).")


def _guarded(name, original):
    what = _READS[name]

    def guard(self, *args, **kwargs):
        rec = _REC
        if rec is None or rec.depth:
            return original(self, *args, **kwargs)
        raise _read_error(what, self)

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
        RECORDING.rec = rec
        return rec

    def __exit__(self, *exc):
        global _REC
        _REC = None
        RECORDING.rec = None
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
        sig.append(("T", value.array.shape, value.array.dtype, value.device,
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

    def __init__(self, fn, check=False, cache_limit=8, cuda_graphs=True):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.cuda_graphs = cuda_graphs
        self.check = check
        self.cache_limit = cache_limit
        self.programs = {}
        self._warned = False
        self._modules = _closure_modules(fn)
        self._module_lists = None

    def __get__(self, obj, objtype=None):  # @ag.compile on a method: ``self`` is an argument
        return self if obj is None else functools.partial(self.__call__, obj)

    def _signature(self, args, kwargs):
        tensors, sig = [], [STATE.enabled]
        if kwargs or any(type(a) is not Tensor for a in args):
            _flatten(args, tensors, sig)
            _flatten(kwargs, tensors, sig)
        else:  # the common case, all positional Tensors: what _flatten appends, inline
            sig.append((tuple, len(args)))
            for t in args:
                a = t.array
                tensors.append(t)
                sig.append(("T", a.shape, a.dtype, t.device, t.requires_grad))
        lists = self._module_lists
        if lists is None:  # walked once: a module added to the model later is not seen
            lists = self._module_lists = [list(m.modules()) for m in self._modules]
        for mods in lists:
            sig.append(tuple([x.training for x in mods]))
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
        rec = _Recorder(tensors, self.cuda_graphs)
        guarded = _guard_steps(self.fn, args, kwargs)
        try:
            with _Recording(rec):
                result = self.fn(*args, **kwargs)
        finally:
            for obj in guarded:
                del obj.step
        return rec.finish(result), result


def _unreplayable_step(obj) -> str | None:
    """Why ``obj.step`` cannot be recorded, when ``obj`` is an optimizer whose ``step``
    is not replayable (LBFGS: it re-evaluates a closure and branches on the loss) or an
    lr scheduler (it changes ``lr`` in Python, which a replay would not redo)."""
    step = getattr(type(obj), "step", None)
    if step is None or hasattr(step, "__wrapped_replayable__") or "step" in vars(obj):
        return None
    name = type(obj).__name__
    if isinstance(getattr(obj, "param_groups", None), list):
        return (f"{name}.step() inside a function being recorded by ag.compile: it is not "
                "replayable (it re-evaluates its closure and branches on the values it "
                "reads), so a replay could not repeat it. Call it outside the compiled "
                "function (compile the closure instead).")
    if isinstance(getattr(getattr(obj, "optimizer", None), "param_groups", None), list):
        return (f"{name}.step() inside a function being recorded by ag.compile: it changes "
                "the learning rate in Python, which a replay would not redo. Call it "
                "outside the compiled function: the replayed optimizer step reads the "
                "current lr of each parameter group on every call.")
    return None


def _guard_steps(fn, args, kwargs):
    """Make ``step`` raise a CompileError, for the recording, on the optimizers and lr
    schedulers that ``fn`` reaches (closure, globals, arguments and their attributes)
    and that a replay could not repeat; returns the objects so guarded."""
    seen, found = set(), []
    cells = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:
            continue
    code, g = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    cells.extend(g[n] for n in (code.co_names if code is not None else ()) if n in g)
    cells.extend(args)
    cells.extend(kwargs.values())
    for v in list(cells):
        d = getattr(v, "__dict__", None)
        if isinstance(d, dict) and not isinstance(v, type):
            cells.extend(d.values())
    for v in cells:
        if id(v) in seen or isinstance(v, (type, Tensor)) or callable(v) and \
                not hasattr(v, "param_groups") and not hasattr(v, "optimizer"):
            continue
        seen.add(id(v))
        why = _unreplayable_step(v)
        if why is None:
            continue

        def refuse(*a, _why=why, **k):
            raise CompileError(_why)

        try:
            v.step = refuse
        except AttributeError:
            continue
        found.append(v)
    return found


def compile(fn=None, *, check: bool = False, cache_limit: int = 8,  # noqa: A001
            cuda_graphs: bool = True):
    """Compile a training or inference step: record it on the first call with a given
    signature, replay the recorded array program on later calls (see the module
    docstring for what is recorded and what is not).

    ``check=True`` (debugging): every later call runs ``fn`` uncompiled, records it again
    and compares the two programs step by step (the same ops, wired to the same inputs,
    with equal constants); the first difference raises :class:`CompileMismatchError`, and
    the call returns the uncompiled run's results. (Without it, only the second call with
    each signature is compared.) A method can be compiled too (``self`` is an argument).
    ``cache_limit`` bounds the signatures kept per function; past it a warning is given
    and new signatures run uncompiled. ``cuda_graphs`` (CuPy with stream capture only):
    capture the runs of recorded kernels between the replayable steps as CUDA graphs
    (``compile_cuda.py``); False replays kernel by kernel. Usable as ``@ag.compile`` or
    ``@ag.compile(check=True)``.
    """
    opts = dict(check=check, cache_limit=cache_limit, cuda_graphs=cuda_graphs)
    if fn is None:
        return lambda f: Compiled(f, **opts)
    return Compiled(fn, **opts)


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
                xa.dtype == xb.dtype and bool(((xa == xb) | (xa != xa) & (xb != xb)).all())
        try:  # (NaN equals NaN here: the same constant)
            return type(xa) is type(xb) and bool(xa == xb or xa != xa and xb != xb)
        except Exception:  # noqa: BLE001  (an object without a plain ==)
            return xa is xb
    if ka == _SEQ:
        return xa[0] is xb[0] and len(xa[1]) == len(xb[1]) and all(
            _same(e, f) for e, f in zip(xa[1], xb[1]))
    if ka == _TENSOR:
        if xa[0] == xb[0] == "ext" and xa[1] is not xb[1]:  # made inside the call
            return _same((_CONST, xa[1].array), (_CONST, xb[1].array))  # (ag.tensor)
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
        for (_, shape), (_, now) in zip(a.guards, b.guards):
            if shape != now:
                raise _shape_error(a.name, shape, now)
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

