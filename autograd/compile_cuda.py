"""``ag.compile`` on CuPy: the replay captured into CUDA graphs, kernel by kernel otherwise.

A compiled program is cut into *segments*: runs of recorded ``Function`` forwards (the
forward and backward kernels), and the ``@replayable`` steps between them (the optimizer
step, ``zero_grad``, the dropout mask, random numbers, BatchNorm's running statistics,
the gradient accumulation). A replayable step reads Python state on every call (the
learning rate, the step count, the generator), so it runs eagerly; each run of Function
forwards is captured once into a ``cupy.cuda.Graph`` by stream capture and launched as
one graph on later calls.

A graph reads and writes the device addresses it saw while being captured, so:

* its inputs (arguments and arrays made by the eager steps before it) are copied, before
  each launch, into *static* arrays made for the capture; its outputs are the arrays the
  capture wrote, rewritten by each launch (a result is copied out of them);
* the arrays of persistent tensors it reads (parameters, buffers: ``p.array``) must be
  the same objects at every launch: if one was replaced (``load_state_dict``, ``.to``),
  the segment runs eagerly for that call and is captured again at the next;
* what the capture allocates comes from a memory pool of its own, kept with the graph
  and used by nothing else, so no later allocation can be handed memory the graph writes.

The capture happens at a segment's ``warmup``-th replay (cuBLAS and the kernels are
initialised by then), after one warm run under the private pool on the capture stream.
A segment whose capture fails (a kernel that synchronises, reading a value to the host)
is replayed kernel by kernel from then on (``fallback`` says why). How to capture is a
small interface (:class:`CupyGraphs`) so that the bookkeeping above is tested on the
host with an emulated capture (``tests/autograd/test_compile_cuda.py``).
"""

from __future__ import annotations

__all__ = ["CupyGraphs", "GraphRunner", "Segment", "graphs_for"]


def graphs_for(device):
    """The capture interface for ``device``: CupyGraphs when CuPy has stream capture and
    ``cupy.cuda.Graph``, else None (the program replays kernel by kernel)."""
    if device is None or device.backend.name != "cupy":
        return None
    cupy = device.backend.xp  # the cupy module of the device's backend
    cuda = getattr(cupy, "cuda", None)
    if cuda is None or not hasattr(cuda, "Graph") or \
            not hasattr(getattr(cuda, "Stream", None), "begin_capture"):
        return None
    return CupyGraphs(cupy)


class CupyGraphs:
    """Capture and launch with CuPy (``cupy.cuda.Stream.begin_capture``/``end_capture``,
    ``cupy.cuda.Graph.launch``), allocating under a private ``cupy.cuda.MemoryPool``."""

    def __init__(self, cupy):
        self.cupy = cupy

    def private_pool(self):
        return self.cupy.cuda.MemoryPool()

    def capture(self, fn, pool, prepare):
        """Allocating from ``pool``: ``prepare()``, then ``fn()`` once as a warm-up and
        once under stream capture, both on a side stream; returns (graph, what the
        captured call returned)."""
        cuda = self.cupy.cuda
        stream = cuda.Stream(non_blocking=True)
        prev = cuda.get_allocator()
        cuda.get_current_stream().synchronize()
        cuda.set_allocator(pool.malloc)
        try:
            prepare()
            with stream:
                fn()  # warm-up: the pool gets its blocks, so the capture needs no malloc
                stream.synchronize()
                stream.begin_capture()
                try:
                    out = fn()
                finally:
                    graph = stream.end_capture()
            stream.synchronize()
        finally:
            cuda.set_allocator(prev)
        return graph, out

    def launch(self, graph):
        graph.launch(self.cupy.cuda.get_current_stream())


class Segment:
    """A piece of the program: ``fn(env)`` reads ``inputs`` from ``env`` (slot -> array)
    and stores ``outputs`` there; ``eager`` pieces are never captured. ``persistent``:
    the tensors whose ``.array`` (or ``.grad.array``) the piece reads directly."""

    def __init__(self, fn, inputs, outputs, eager, persistent):
        self.fn, self.inputs, self.outputs = fn, tuple(inputs), tuple(outputs)
        self.eager, self.persistent = eager, tuple(persistent)
        self.graph = self.pool = None
        self.static_in = self.static_out = None
        self.seen = ()  # the persistent arrays at capture time
        self.replays = self.launches = self.captures = 0
        self.fallback = None  # why this piece replays kernel by kernel, once it must


def _persistent_arrays(seg):
    out = []
    for kind, t in seg.persistent:
        g = t.grad if kind == "grad" else t
        out.append(None if g is None else g.array)
    return out


class GraphRunner:
    """Runs the segments of one program; captures each non-eager one at its
    ``warmup``-th replay and launches it after that."""

    def __init__(self, segments, graphs, warmup=2, max_captures=3):
        self.segments, self.graphs = segments, graphs
        self.warmup, self.max_captures = warmup, max_captures

    def run(self, env):
        for seg in self.segments:
            if seg.eager or seg.fallback is not None:
                seg.fn(env)
                continue
            seg.replays += 1
            if seg.graph is not None:
                now = _persistent_arrays(seg)
                if any(a is not b for a, b in zip(now, seg.seen)):
                    seg.graph = None  # a parameter's array was replaced: capture again
                else:
                    self._launch(seg, env)
                    continue
            if seg.replays >= self.warmup and seg.captures < self.max_captures:
                self._capture(seg, env)
                if seg.graph is not None:
                    self._launch(seg, env)
                    continue
            elif seg.captures >= self.max_captures and seg.fallback is None:
                seg.fallback = (f"captured {seg.captures} times: a persistent array keeps "
                                "being replaced")
            seg.fn(env)
        return env

    def _capture(self, seg, env):
        seg.captures += 1
        pool = self.graphs.private_pool()
        static_in = {"tensors": env.get("tensors")}

        def prepare():  # the static inputs live in the private pool too
            for s in seg.inputs:
                static_in[s] = env[s].copy()

        def call():
            return seg.fn(dict(static_in))

        try:
            graph, out = self.graphs.capture(call, pool, prepare)
        except Exception as exc:  # noqa: BLE001  (any capture failure: replay eagerly)
            seg.fallback = f"capture failed: {type(exc).__name__}: {exc}"
            seg.graph = None
            return
        del static_in["tensors"]
        seg.graph, seg.pool, seg.static_in = graph, pool, static_in
        seg.static_out = {s: out[s] for s in seg.outputs}
        seg.seen = tuple(_persistent_arrays(seg))

    def _launch(self, seg, env):
        for s, a in seg.static_in.items():
            new = env[s]
            if new is not a:
                a[...] = new
        self.graphs.launch(seg.graph)
        seg.launches += 1
        env.update(seg.static_out)
