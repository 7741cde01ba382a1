"""The graph core: ``Function`` (one differentiable op), its ``ctx`` node, and backward.

A Function's ``forward(ctx, *args)`` runs on backend arrays; its ``backward(ctx, *grads)``
runs on Tensors, so running backward with grad mode on (``create_graph=True``) records a
graph of the gradient itself and higher-order gradients need no second set of formulas.

Every node holds edges to the nodes (or leaf tensors) that produced its inputs, as two
flat tuples (``edges``: the targets, ``edge_idx``: which output of a target node, -1 for a
leaf; one tracked object per node keeps Python's cyclic GC cheap), and the arrays it
saved; it never holds its outputs, so a finished step has no reference cycles and is
freed by reference counting alone.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import traceback
import weakref
from heapq import heappop, heappush

import numpy as np

from backends import DeviceMismatchError

from .anomaly import user_place
from .dtypes import DIFFERENTIABLE_KINDS as _DIFF
from .grad_mode import STATE
from .tensor import Tensor, _VersionCounter, _wrap, version_counter


class BackwardError(RuntimeError):
    """Backward could not run: freed graph, wrong gradient shape, missing formula."""


class AnomalyError(RuntimeError):
    """In anomaly mode, a backward produced NaN or inf."""


_scalars = (int, float, bool)
_observers = 0  # observe() blocks now active (see plain_backward)
_next_seq = itertools.count().__next__


class Node:
    """The ``ctx`` of one op application and its node in the graph.

    ``forward`` may store anything on it (``ctx.dim = dim``) and arrays through
    ``ctx.save_for_backward``; ``backward`` reads them back, saved arrays as Tensors.
    """

    # Function.apply makes each node and sets its six fields (fn, device, edges, edge_idx,
    # needs_input_grad and seq, the creation order: backward runs newest first) itself,
    # without a Python __init__ frame per op; the defaults live on the class
    fn = None
    edges = None  # None: nothing is recorded (the bare ctx of a no-grad forward)
    _saved = ()
    _origins = None
    _versions = None  # per saved array: (version counter, version when saved) or None
    _place = None  # under detect_anomaly: "file:line" of the user code that made it
    _hooks = None
    _freed = False
    _trace = None
    _non_diff = None
    _out_dtypes = None

    def save_for_backward(self, *arrays) -> None:
        """Keep ``arrays`` (inputs, outputs or others) for backward."""
        self._saved = arrays

    def mark_non_differentiable(self, *arrays) -> None:
        """Outputs among ``arrays`` get no gradient (e.g. argmax indices)."""
        self._non_diff = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The saved arrays as Tensors, connected to the graph when grad mode is on."""
        saved, device = self.saved_arrays(), self.device
        if not STATE.enabled or self._origins is None:
            return tuple([a if a is None or type(a) in _scalars else _wrap(a, device)
                          for a in saved])
        out = []
        for a, origin in zip(saved, self._origins):
            if a is None or type(a) in _scalars:
                out.append(a)
            elif origin is None:
                out.append(_wrap(a, device))
            elif origin >= 0:  # an input: reconnect to its producer
                target, idx = self.edges[origin], self.edge_idx[origin]
                if target is None:
                    out.append(_wrap(a, device))
                elif idx < 0:
                    out.append(target)
                else:
                    out.append(_wrap(a, device, True, target, idx))
            else:  # an output of this node
                out.append(_wrap(a, device, True, self, -1 - origin))
        return tuple(out)

    def saved_arrays(self) -> tuple:
        """The saved arrays themselves, checked as ``saved_tensors`` checks them (freed
        by an earlier backward, changed in place since they were saved): for a
        backward's array code when :func:`plain_backward` says it may skip Tensors."""
        if self._freed:
            raise BackwardError(_freed_message(self))
        versions = self._versions
        if versions is not None:
            for rec in versions:
                if rec is not None and rec[0].value != rec[1]:
                    _raise_modified(self)
        return self._saved

    def name(self) -> str:
        return self.fn.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        return tuple(None if t is None else (t, i) for t, i in zip(self.edges, self.edge_idx))

    def register_hook(self, index: int, hook):
        if self._hooks is None:
            self._hooks = {}
        hooks = self._hooks.setdefault(index, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _raise_modified(node) -> None:
    """Refuse to run backward on a saved array that was changed in place since."""
    for k, rec in enumerate(node._versions):
        if rec is not None and rec[0].value != rec[1]:
            raise BackwardError(_modified_message(node, k, rec[0], rec[1]))


def _modified_message(node, k, vc, saved_at) -> str:
    origin = node._origins[k]
    what = f"its input {origin}" if origin >= 0 else f"its output {-1 - origin}"
    created = f" (created at {node._place})" if node._place else ""
    where = f" ({vc.where})" if vc.where else ""
    msg = (f"{node.name()}{created} needs {what} (shape {tuple(node._saved[k].shape)}, saved "
           f"at version {saved_at}) but it was modified in place to version {vc.value} by "
           f"{vc.op or 'an in-place op'}{where}.")
    if not node._place:
        msg += (" Clone the tensor before changing it (x = x.clone()), or change it after "
                "backward; run the forward and backward under ag.detect_anomaly() to see "
                "where both happened.")
    return msg


def increment_version(tensor, by: str | None = None) -> None:
    """Record an in-place change of ``tensor``'s storage made outside the ops (an
    optimizer kernel writing ``p.array``), so backward refuses arrays saved before it
    (PyTorch's ``torch.autograd.graph.increment_version``). ``by`` names the change."""
    vc = version_counter(tensor)
    vc.value += 1
    vc.op = by
    vc.where = user_place() if STATE.anomaly else None


def _refreshed(t) -> bool:
    """Whether the view ``t`` requires grad, after giving it a new ``grad_fn`` if its
    storage changed in place since its ``grad_fn`` was made: one replayed from its
    base's current history (PyTorch regenerates a view's grad_fn the same way)."""
    info = t._view
    if info.replay is None or info.version == t._vc.value:
        return t.requires_grad
    v = info.base
    for fn, extra in info.replay:
        v = fn(v, *extra)
    t.grad_fn, t._out_idx, t.requires_grad = v.grad_fn, v._out_idx, v.requires_grad
    info.version = t._vc.value
    return t.requires_grad


def plain_backward() -> bool:
    """Whether a node's backward runs plain: in a backward that records nothing
    (``create_graph=False``) while no observer (the profiler, ``ag.compile``'s recorder,
    the ONNX tracer) watches the ops. A backward whose gradient is a Function (``G``,
    see ``docs/architecture.md``) may then call ``G``'s array code directly on
    ``ctx.saved_arrays()`` and return wrapped results: the same formula, without the
    Tensors and the node ``G.apply`` would make only to drop them."""
    return not STATE.enabled and not _observers


def _freed_message(node) -> str:
    return (
        f"Trying to backward through the graph a second time (through {node.name()}): its "
        "saved arrays were freed after the first backward. Pass retain_graph=True to the "
        "first backward() if you need to backward twice."
    )


_generic = np.generic
_new = object.__new__


class Function:
    """A differentiable op. Subclass it and write two static methods::

        class Square(ag.Function):
            @staticmethod
            def forward(ctx, x):           # x: a backend array
                ctx.save_for_backward(x)
                return x * x
            @staticmethod
            def backward(ctx, g):          # g: a Tensor
                (x,) = ctx.saved_tensors   # Tensors, so this is differentiable again
                return 2 * x * g

        y = Square.apply(t)

    ``forward`` receives Tensor arguments as arrays (other arguments unchanged) and
    returns an array or a tuple of arrays. ``backward`` receives one gradient Tensor per
    output and returns one gradient (Tensor or None) per forward argument.
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        device = None
        arrays = []
        if not STATE.enabled:  # nothing is recorded (no_grad, a plain backward): lean
            for a in args:
                if isinstance(a, Tensor):
                    d = a.device
                    if device is None:
                        device = d
                    elif d is not device:
                        _raise_device_mismatch(cls, args)
                    arrays.append(a.array)
                else:
                    arrays.append(a)
            if device is None:
                raise TypeError(f"{cls.__name__}: expected at least one Tensor argument")
            return _apply_bare(cls, device, arrays, args)
        edges = idx = None
        for a in args:
            if isinstance(a, Tensor):
                d = a.device
                if device is None:
                    device = d
                elif d is not device:
                    _raise_device_mismatch(cls, args)
                arrays.append(a.array)
                view = a._view
                if (a.requires_grad if view is None else _refreshed(a)):
                    if edges is None:
                        edges = [None] * (len(arrays) - 1)
                        idx = [0] * (len(arrays) - 1)
                        needs = [False] * (len(arrays) - 1)
                    needs.append(True)
                    fn = a.grad_fn
                    if fn is None:
                        edges.append(a)
                        idx.append(-1)
                    else:
                        edges.append(fn)
                        idx.append(a._out_idx)
                    continue
            else:
                arrays.append(a)
            if edges is not None:
                edges.append(None)
                idx.append(0)
                needs.append(False)
        if device is None:
            raise TypeError(f"{cls.__name__}: expected at least one Tensor argument")
        if edges is None:  # no input requires grad: nothing to record
            return _apply_bare(cls, device, arrays, args)
        ctx = _new(Node)  # the node's fields (see Node)
        ctx.fn = cls
        ctx.device = device
        ctx.edges = tuple(edges)
        ctx.edge_idx = tuple(idx)
        ctx.needs_input_grad = tuple(needs)
        ctx.seq = _next_seq()
        if STATE.anomaly:
            ctx._trace = "".join(traceback.format_stack()[:-1])
            ctx._place = user_place()
        try:
            out = cls.forward(ctx, *arrays)
        except ValueError as exc:
            _raise_forward_error(cls, args, exc)
        if type(out) is tuple:
            return _record_outputs(ctx, out, arrays, args)
        # the common single-output case, kept short
        raw = out
        if isinstance(out, _generic):
            out = np.asarray(out)
        ctx.out_shapes = (out.shape,)
        if ctx._saved:
            counters = _resolve_saved(ctx, (raw,), (out,), arrays, args)
        else:
            counters = None
        t = _wrap(out, device, True, ctx, 0) if (
            out.dtype.kind in _DIFF and ctx._non_diff is None) else _wrap(out, device)
        if counters is not None:  # its output is saved: backward checks its version
            t._vc = counters[0]
        return t


def _apply_bare(cls, device, arrays, args):
    """Run ``cls.forward`` with nothing recorded: the array call plus a wrapper."""
    ctx = _new(Node)  # a bare ctx: forward reads only device and needs_input_grad
    ctx.device = device
    ctx.needs_input_grad = (False,) * len(args)
    try:
        out = cls.forward(ctx, *arrays)
    except ValueError as exc:
        _raise_forward_error(cls, args, exc)
    if type(out) is tuple:
        return tuple([_wrap(np.asarray(o) if isinstance(o, _generic) else o, device)
                      for o in out])
    if isinstance(out, _generic):
        out = np.asarray(out)
    return _wrap(out, device)


def _as_array(o):
    return np.asarray(o) if isinstance(o, _generic) else o


def _resolve_saved(ctx, raw, outs, arrays, args):
    """Tag each saved array as an input (by position), an output, or a constant, so
    ``saved_tensors`` can reconnect it to the graph without the node holding outputs;
    and note the version of each saved input and output, so backward can refuse one
    changed in place since. Returns the version counters made for saved outputs (a list
    with None for outputs not saved), or None when no output was saved."""
    origins = []
    kept = []
    versions = []
    out_counters = None
    n_out = len(raw)
    for s in ctx._saved:
        j = 0
        for r in raw:
            if s is r:
                break
            j += 1
        if j < n_out:  # an output of this node
            origins.append(-1 - j)
            kept.append(outs[j])  # a NumPy scalar output was turned into a 0-d array
            if out_counters is None:
                out_counters = [None] * n_out
            vc = out_counters[j]
            if vc is None:
                vc = out_counters[j] = _VersionCounter()
            versions.append((vc, 0))
            continue
        i = 0
        for a in arrays:
            if s is a:
                break
            i += 1
        else:  # neither an input nor an output: a constant
            origins.append(None)
            kept.append(_as_array(s))
            versions.append(None)
            continue
        origins.append(i)
        t = args[i]
        if isinstance(t, Tensor):
            kept.append(s)  # a Tensor's array
            vc = t._vc
            if vc is None:
                vc = t._vc = _VersionCounter()
            versions.append((vc, vc.value))
        else:
            kept.append(_as_array(s))
            versions.append(None)
    ctx._origins = tuple(origins)
    ctx._saved = tuple(kept)
    ctx._versions = tuple(versions)
    return out_counters


def _record_outputs(ctx, raw, arrays, args):
    device = ctx.device
    outs = tuple(_as_array(o) for o in raw)
    ctx.out_shapes = tuple(o.shape for o in outs)
    ctx._out_dtypes = tuple(o.dtype for o in outs)
    counters = _resolve_saved(ctx, raw, outs, arrays, args) if ctx._saved else None
    non_diff = ctx._non_diff
    tensors = []
    for j, o in enumerate(outs):
        diff = o.dtype.kind in _DIFF and not (non_diff and any(o is n for n in non_diff))
        t = _wrap(o, device, True, ctx, j) if diff else _wrap(o, device)
        if counters is not None:
            t._vc = counters[j]
        tensors.append(t)
    return tuple(tensors)


def _raise_forward_error(cls, args, exc):
    """Re-raise an array library's ValueError (e.g. shapes that do not broadcast) with
    the op's name and the shapes and dtypes of its tensor arguments."""
    described = [f"{tuple(a.shape)} {a.dtype}" for a in args if isinstance(a, Tensor)]
    raise ValueError(f"{cls.__name__}: {exc} (tensor arguments: {', '.join(described)})") \
        from exc


def _raise_device_mismatch(cls, args):
    devs = [str(a.device) for a in args if isinstance(a, Tensor)]
    shapes = [tuple(a.shape) for a in args if isinstance(a, Tensor)]
    raise DeviceMismatchError(
        f"{cls.__name__}: expected all tensors on one device, got devices {devs} "
        f"(shapes {shapes}); move them with .to(device) first"
    )


# --- backward ------------------------------------------------------------------------


def _accumulate(slot, index, grad, node):
    if grad.shape != node.out_shapes[index]:
        _raise_shape(grad, node, index)
    prev = slot[index]
    slot[index] = grad if prev is None else prev + grad


def run_backward(roots, grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``grads`` from ``roots`` through the graph, in topological order.

    Leaf gradients accumulate into ``.grad``; or, when ``capture`` is given (a dict
    mapping a leaf tensor's id or a ``(node, index)`` pair to a position), they are
    collected into ``capture["out"]`` instead and no ``.grad`` is touched.
    """
    # backward frees what it makes by reference counting; pausing the cyclic collector
    # keeps it from rescanning the whole graph again and again while temporaries churn
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _run_backward(roots, grads, retain_graph, create_graph, capture)
    finally:
        if gc_was_enabled:
            gc.enable()


def _run_backward(roots, grads, retain_graph, create_graph, capture):
    # Nodes are numbered as they are created, and a node's inputs always come from older
    # nodes; so taking the newest pending node first is a true topological order: every
    # consumer of a node has run (and added its gradient) before the node's own backward.
    # Only nodes that receive a gradient are ever visited; no recursion, no extra pass.
    pending = {}
    heap = []
    held = {}  # leaves with hooks: id -> [leaf, total gradient], delivered at the end
    # leaves with post-accumulate-grad hooks: their hooks run once the last node that
    # feeds them has run (see _PostAccumulate); nothing is counted when there are none
    post = _PostAccumulate(roots, held) if _post_hooks and capture is None else None
    for t, g in zip(roots, grads):
        if t._view is not None:
            _refreshed(t)
        fn = t.grad_fn
        if fn is None:
            if t.requires_grad:
                _deliver_leaf(t, g, capture, None, held)
                if post is not None:
                    post.got.add(id(t))
            continue
        slot = pending.get(fn)
        if slot is None:
            slot = pending[fn] = [None] * len(fn.out_shapes)
            heappush(heap, (-fn.seq, fn))
        _accumulate(slot, t._out_idx, g, fn)

    anomaly = STATE.anomaly
    prev_mode = STATE.enabled
    STATE.enabled = create_graph
    try:
        while heap:
            node = heappop(heap)[1]
            in_grads = _node_backward(node, pending.pop(node), capture, anomaly)
            if not retain_graph:
                node._saved = ()
                node._freed = True
            for t, idx, g in zip(node.edges, node.edge_idx, in_grads):
                if t is None or g is None:
                    continue
                if idx < 0:
                    if t._hooks or capture is not None or g.array.shape != t.array.shape:
                        _deliver_leaf(t, g, capture, node, held)
                    else:  # the common case: straight into .grad
                        _accumulate_leaf(t, g, None)
                    if post is not None:
                        post.got.add(id(t))
                    continue
                s = pending.get(t)
                if s is None:
                    s = pending[t] = [None] * len(t.out_shapes)
                    heappush(heap, (-t.seq, t))
                if g.array.shape != t.out_shapes[idx]:
                    _raise_shape(g, t, idx)
                prev = s[idx]
                s[idx] = g if prev is None else prev + g
            if post is not None:
                post.node_done(node)
        if held:
            for entry in held.values():  # a leaf's hooks run once, on its total gradient
                _release_held(entry, capture)
            held.clear()  # accumulated: post.flush below must not release them again
        if post is not None:
            post.flush()
    finally:
        STATE.enabled = prev_mode


def _raise_shape(g, node, index):
    raise BackwardError(
        f"gradient of shape {tuple(g.shape)} reached output {index} of "
        f"{node.fn.__name__}, whose shape is {tuple(node.out_shapes[index])}"
    )


def _node_backward(node, slot, capture, anomaly):
    if node._freed:
        raise BackwardError(_freed_message(node))
    hooks = node._hooks
    if hooks:
        for idx, fns in hooks.items():
            if slot[idx] is not None:
                for h in fns:
                    r = h(slot[idx])
                    if r is not None:
                        slot[idx] = r
    if capture is not None:
        for idx, g in enumerate(slot):
            pos = capture.get((node, idx))
            if pos is not None and g is not None:
                _capture(capture, pos, g)
    if len(slot) > 1:
        xp = node.device.backend.xp
        for j, g in enumerate(slot):
            if g is None:
                slot[j] = _wrap(xp.zeros(node.out_shapes[j], node._out_dtypes[j]), node.device)
    fn = node.fn
    result = fn.backward(node, *slot)
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node.edges):
        raise BackwardError(
            f"{fn.__name__}.backward returned {len(result)} gradient(s), expected "
            f"{len(node.edges)} (one per forward argument)"
        )
    if anomaly:
        _check_anomaly(node, result)
    return result


def _capture(capture, pos, g):
    out = capture["out"]
    out[pos] = g if out[pos] is None else out[pos] + g


def _deliver_leaf(t, g, capture, node, held):
    if g.array.shape != t.array.shape:
        by = f"{node.fn.__name__}.backward" if node is not None else "backward"
        raise BackwardError(
            f"{by} produced a gradient of shape {tuple(g.shape)} for a leaf of shape "
            f"{tuple(t.array.shape)}"
        )
    if t._hooks:  # hold it: the hooks see the sum over every path, once
        entry = held.get(id(t))
        if entry is None:
            held[id(t)] = [t, g]
        else:
            entry[1] = entry[1] + g
        return
    _accumulate_leaf(t, g, capture)


def _release_held(entry, capture):
    """Run a held leaf's hooks on its total gradient and accumulate what they return."""
    t, g = entry
    for h in t._hooks:
        r = h(g)
        if r is not None:
            g = r
    _accumulate_leaf(t, g, capture)


def _accumulate_leaf(t, g, capture):
    """Add ``g`` into ``t.grad`` (or into the captured outputs of ``ag.grad``)."""
    if capture is not None:
        pos = capture.get(id(t))
        if pos is not None:
            _capture(capture, pos, g)
        return
    if g.array.dtype != t.array.dtype:
        g = g.to(t.array.dtype)
    prev = t.grad
    if STATE.enabled:  # create_graph: the accumulated gradient stays differentiable
        t.grad = g if prev is None else prev + g
    elif prev is None or prev.requires_grad or prev.array.shape != g.array.shape:
        # own the array (g may be shared with another leaf or the caller), so later
        # accumulations can add in place as PyTorch's AccumulateGrad does
        t.grad = _wrap(g.array.copy(), g.device) if prev is None else _wrap(
            prev.array + g.array, g.device)
    else:
        prev.array += g.array


# --- post-accumulate-grad hooks ------------------------------------------------------

# id(leaf) -> [weak reference to the leaf, its hooks]; a side table, so Tensor keeps its
# slots (and the ops their cost) and a backward without such hooks counts nothing
_post_hooks: dict = {}


def register_post_accumulate_grad_hook(t: Tensor, hook):
    """Call ``hook(t)`` after a backward has accumulated all of its gradient for the
    leaf ``t`` into ``t.grad`` (PyTorch's ``register_post_accumulate_grad_hook``)."""
    key = id(t)
    entry = _post_hooks.get(key)
    if entry is None or entry[0]() is not t:

        def forget(ref, key=key):
            if _post_hooks.get(key, (None,))[0] is ref:
                del _post_hooks[key]

        entry = _post_hooks[key] = [weakref.ref(t, forget), []]
    entry[1].append(hook)
    return _HookHandle(entry[1], hook)


class _PostAccumulate:
    """Counts, for each hooked leaf, the edges that reach it from the nodes below the
    roots; as the nodes run, a leaf whose count drops to zero has its whole gradient in
    ``.grad`` and its hooks run, while backward goes on (DistributedDataParallel starts
    its all-reduce there). A leaf fed by a node that never runs (no gradient reached
    it) has its hooks run at the end of backward."""

    def __init__(self, roots, held):
        self.held = held  # leaves with tensor hooks, accumulated only when released
        counts, seen = {}, set()
        stack = [t.grad_fn for t in roots if t.grad_fn is not None]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for t, idx in zip(node.edges, node.edge_idx):
                if t is None:
                    continue
                if idx < 0:
                    if id(t) in _post_hooks:
                        counts[id(t)] = counts.get(id(t), 0) + 1
                elif t not in seen:
                    stack.append(t)
        self.counts, self.got, self.fired = counts, set(), set()

    def node_done(self, node) -> None:
        counts = self.counts
        if not counts:
            return
        for t, idx in zip(node.edges, node.edge_idx):
            if idx < 0 and id(t) in counts:
                counts[id(t)] -= 1
                if counts[id(t)] == 0:
                    self._fire(t)

    def _fire(self, t) -> None:
        key = id(t)
        if key in self.got and key not in self.fired:
            self.fired.add(key)
            entry = self.held.pop(key, None)
            if entry is not None:  # its tensor hooks run first, then it is accumulated
                _release_held(entry, None)
            entry = _post_hooks.get(key)
            if entry is not None:
                for h in list(entry[1]):
                    h(t)

    def flush(self) -> None:
        for key in list(self.got - self.fired):
            entry = _post_hooks.get(key)
            t = entry[0]() if entry is not None else None
            if t is not None:
                self._fire(t)


def _check_anomaly(node, grads):
    for i, g in enumerate(grads):
        if g is None:
            continue
        xp = node.device.backend.xp
        if not bool(xp.isfinite(g.array).all()):
            where = node._trace or "(creation traceback not recorded)\n"
            raise AnomalyError(
                f"Function '{node.name()}' returned nan or inf values in its gradient for "
                f"input {i} (shape {tuple(g.shape)}). The op was created at:\n{where}"
            )


# --- observers: the profiler and the ONNX tracer --------------------------------------
# An observer swaps its own Function.apply and node backward in while it is active and
# restores them after, so an op pays nothing for observers when none is active (no flag
# is read per op). Observers nest: each wraps what was installed before it.


@contextlib.contextmanager
def observe(apply=None, backward=None):
    """Observe every op while the block runs.

    ``apply(inner, cls, *args)`` replaces ``Function.apply`` and must call
    ``inner(cls, *args)``; ``backward(inner, node, slot, capture, anomaly)`` wraps each
    node's backward and must call ``inner(node, slot, capture, anomaly)``. Swapping is
    process-wide (all threads), as a profiler should be.
    """
    global _node_backward, _observers
    prev_apply = Function.__dict__["apply"]
    prev_backward = _node_backward
    if apply is not None:
        inner_apply = prev_apply.__func__
        Function.apply = classmethod(lambda cls, *args: apply(inner_apply, cls, *args))
    if backward is not None:
        _node_backward = lambda *a: backward(prev_backward, *a)
    _observers += 1  # every op goes through Function.apply while observed
    try:
        yield
    finally:
        _observers -= 1
        Function.apply = prev_apply
        _node_backward = prev_backward
