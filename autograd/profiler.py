"""Where the time goes: ``with profile(record_shapes=True) as prof:`` records each op's
forward (``Function.apply``) and each node's backward, with PyTorch's table and a Chrome
trace::

    with autograd.profiler.profile(record_shapes=True) as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")   # open in https://ui.perfetto.dev

A forward event is named after the Function class (``MatMul``), a backward event after
its node (``MatMulBackward``); a private class's leading underscore is dropped. Ops
called inside another op's event (the Tensor ops of a backward formula) are its
children: its *self* time excludes theirs. On a cuda device each event also times the
GPU with CUDA events (``cuda_time_total``).

The profiler swaps its own ``Function.apply`` in only while active
(:func:`autograd.graph.observe`), so ops cost nothing extra when not profiling. What it
does not see: binary arithmetic on two float tensors of one dtype while grad mode is off
runs as a bare array call without ``Function.apply`` (the engine's no-grad fast path), so
under ``no_grad`` those ops are not events of their own (inside a backward their time
counts as the backward node's self time).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict

from . import graph
from .tensor import Tensor

_now = time.perf_counter_ns


class FunctionEvent:
    """One recorded op call: ``name``, ``kind`` ("forward" or "backward"), start and end
    in ns, the thread, input shapes (with ``record_shapes``), children's total CPU time,
    and its CUDA time in microseconds (0 on the CPU)."""

    __slots__ = ("name", "kind", "start_ns", "end_ns", "thread", "input_shapes",
                 "child_ns", "cuda_us", "_cuda_events", "device")

    def __init__(self, name, kind, thread, input_shapes, device):
        self.name, self.kind, self.thread = name, kind, thread
        self.input_shapes, self.device = input_shapes, device
        self.start_ns = self.end_ns = 0
        self.child_ns = 0
        self.cuda_us = 0.0
        self._cuda_events = None

    @property
    def cpu_time_total(self) -> float:
        """Wall time of the call in microseconds, children included."""
        return (self.end_ns - self.start_ns) / 1000.0

    @property
    def self_cpu_time_total(self) -> float:
        """Wall time of the call in microseconds, its children's time excluded."""
        return (self.end_ns - self.start_ns - self.child_ns) / 1000.0

    def __repr__(self) -> str:
        return (f"<FunctionEvent {self.name} {self.kind} cpu={self.cpu_time_total:.1f}us "
                f"shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped by them), summed."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cuda_time_total = 0.0
        self.self_cuda_time_total = 0.0

    def add(self, e: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += e.cpu_time_total
        self.self_cpu_time_total += e.self_cpu_time_total
        self.cuda_time_total += e.cuda_us
        self.self_cuda_time_total += e.cuda_us  # ops do not nest on the GPU stream

    @property
    def cpu_time(self) -> float:
        """Average CPU time per call (us)."""
        return self.cpu_time_total / max(self.count, 1)

    @property
    def cuda_time(self) -> float:
        """Average CUDA time per call (us)."""
        return self.cuda_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg {self.key} count={self.count} "
                f"self_cpu={self.self_cpu_time_total:.1f}us>")


_SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cuda_time_total",
              "self_cuda_time_total", "cpu_time", "cuda_time", "count")


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of :class:`FunctionEventAvg` (or events) with PyTorch's ``table()``."""

    def __init__(self, items=(), use_cuda=False):
        super().__init__(items)
        self._use_cuda = use_cuda

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_name_column_width: int = 55) -> str:
        """The rows as PyTorch prints them: Name, Self CPU %, Self CPU, CPU total %,
        CPU total, CPU time avg, (the CUDA columns when a GPU was timed), # of Calls,
        (Input Shapes when grouped by them). ``sort_by`` is one of
        ``cpu_time_total``, ``self_cpu_time_total``, ``cuda_time_total``,
        ``self_cuda_time_total``, ``cpu_time``, ``cuda_time``, ``count`` (descending)."""
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"table(): sort_by={sort_by!r} is not one of {_SORT_KEYS}")
            rows.sort(key=lambda r: getattr(r, sort_by), reverse=True)
        total_self = sum(r.self_cpu_time_total for r in self) or 1.0
        total_cuda = sum(r.self_cuda_time_total for r in self) or 1.0
        shapes = any(getattr(r, "input_shapes", None) is not None for r in rows)
        heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        if self._use_cuda:
            heads += ["Self CUDA", "Self CUDA %", "CUDA total", "CUDA time avg"]
        heads.append("# of Calls")
        if shapes:
            heads.append("Input Shapes")
        body = []
        for r in rows[:row_limit] if row_limit is not None and row_limit >= 0 else rows:
            name = r.key if len(r.key) <= max_name_column_width else \
                r.key[:max_name_column_width - 3] + "..."
            cells = [name, f"{100 * r.self_cpu_time_total / total_self:.2f}%",
                     _format_time(r.self_cpu_time_total),
                     f"{100 * r.cpu_time_total / total_self:.2f}%",
                     _format_time(r.cpu_time_total), _format_time(r.cpu_time)]
            if self._use_cuda:
                cells += [_format_time(r.self_cuda_time_total),
                          f"{100 * r.self_cuda_time_total / total_cuda:.2f}%",
                          _format_time(r.cuda_time_total), _format_time(r.cuda_time)]
            cells.append(str(r.count))
            if shapes:
                cells.append(str(r.input_shapes))
            body.append(cells)
        widths = [max([len(h)] + [len(c[i]) for c in body]) for i, h in enumerate(heads)]
        rule = "  ".join("-" * w for w in widths)

        def line(cells):  # names left-aligned, numbers right-aligned, as PyTorch prints
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths)))

        out = [rule, line(heads), rule] + [line(c) for c in body] + [rule]
        out.append(f"Self CPU time total: {_format_time(sum(r.self_cpu_time_total for r in self))}")
        if self._use_cuda:
            out.append("Self CUDA time total: "
                       f"{_format_time(sum(r.self_cuda_time_total for r in self))}")
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.table()


class _Stack(threading.local):
    def __init__(self):
        self.open = []


class profile:
    """Record every op's forward and backward while the block runs.

    ``record_shapes``: keep the input shapes of each call (``key_averages
    (group_by_input_shape=True)`` groups by them). ``use_cuda``: time ops on cuda
    tensors with CUDA events too (default: when a GPU is in use). ``enabled=False``
    makes the block a no-op. One profiler records at a time.
    """

    _active = None

    def __init__(self, enabled: bool = True, use_cuda: bool | None = None,
                 record_shapes: bool = False):
        self.enabled = enabled
        self.use_cuda = use_cuda
        self.record_shapes = record_shapes
        self._events: list[FunctionEvent] = []
        self._stack = _Stack()
        self._observer = None
        self._lock = threading.Lock()
        self._t0 = 0

    # --- recording ----------------------------------------------------------------
    def __enter__(self):
        if not self.enabled:
            return self
        if profile._active is not None:
            raise RuntimeError("profile: a profiler is already recording; nested profilers "
                               "are not supported")
        profile._active = self
        self._t0 = _now()
        self._observer = graph.observe(apply=self._on_apply, backward=self._on_backward)
        self._observer.__enter__()
        return self

    def __exit__(self, *exc):
        if not self.enabled or self._observer is None:
            return False
        try:
            self._observer.__exit__(*exc)
        finally:
            self._observer = None
            profile._active = None
        self._collect_cuda()
        return False

    def _begin(self, name, kind, args, device):
        shapes = None
        if self.record_shapes:
            shapes = [list(a.array.shape) if isinstance(a, Tensor) else [] for a in args]
        e = FunctionEvent(name, kind, threading.get_ident(), shapes, device)
        if device is not None and device.type == "cuda" and self.use_cuda is not False:
            xp = device.backend.xp
            e._cuda_events = (xp.cuda.Event(), xp.cuda.Event())
            e._cuda_events[0].record()
        self._stack.open.append(e)
        e.start_ns = _now()
        return e

    def _end(self, e):
        e.end_ns = _now()
        if e._cuda_events is not None:
            e._cuda_events[1].record()
        stack = self._stack.open
        stack.pop()
        if stack:
            stack[-1].child_ns += e.end_ns - e.start_ns
        with self._lock:
            self._events.append(e)

    def _on_apply(self, inner, cls, *args):
        device = next((a.device for a in args if isinstance(a, Tensor)), None)
        e = self._begin(cls.__name__.lstrip("_"), "forward", args, device)
        try:
            return inner(cls, *args)
        finally:
            self._end(e)

    def _on_backward(self, inner, node, slot, capture, anomaly):
        e = self._begin(node.name().lstrip("_"), "backward", slot, node.device)
        try:
            return inner(node, slot, capture, anomaly)
        finally:
            self._end(e)

    def _collect_cuda(self):
        timed = [e for e in self._events if e._cuda_events is not None]
        if not timed:
            return
        self.use_cuda = True
        timed[-1]._cuda_events[1].synchronize()
        xp = timed[0].device.backend.xp
        for e in timed:
            start, end = e._cuda_events
            e.cuda_us = 1000.0 * xp.cuda.get_elapsed_time(start, end)
            e._cuda_events = None

    # --- results ------------------------------------------------------------------
    def events(self) -> EventList:
        """Every recorded call, in the order they ended."""
        return EventList(sorted(self._events, key=lambda e: e.start_ns),
                         use_cuda=bool(self.use_cuda))

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """The events summed per op name (and per input shapes when asked)."""
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError("key_averages(group_by_input_shape=True) needs "
                               "profile(record_shapes=True)")
        groups = {}
        for e in self._events:
            shapes = str(e.input_shapes) if group_by_input_shape else None
            key = (e.name, shapes)
            if key not in groups:
                groups[key] = FunctionEventAvg(e.name, shapes)
            groups[key].add(e)
        return EventList(groups.values(), use_cuda=bool(self.use_cuda))

    def table(self, sort_by: str | None = None, row_limit: int = 100) -> str:
        """``key_averages().table(...)``."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events as a Chrome trace (JSON ``traceEvents`` of complete "X"
        events, microseconds), which Perfetto and chrome://tracing open."""
        pid = os.getpid()
        tids = defaultdict(lambda: len(tids))
        events = []
        for e in sorted(self._events, key=lambda e: e.start_ns):
            args = {"kind": e.kind}
            if e.input_shapes is not None:
                args["Input Shapes"] = e.input_shapes
            if e.cuda_us:
                args["cuda_time_us"] = e.cuda_us
            events.append({"name": e.name, "cat": e.kind, "ph": "X", "pid": pid,
                           "tid": tids[e.thread], "ts": (e.start_ns - self._t0) / 1000.0,
                           "dur": (e.end_ns - e.start_ns) / 1000.0, "args": args})
        with open(path, "w") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)

    def __str__(self) -> str:
        return self.table()
