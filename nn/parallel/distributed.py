"""``DistributedDataParallel``: one model replica per process, gradients averaged in
buckets whose all-reduce starts during backward.

    dist.init_process_group("mpi")                 # mpiexec -n 4 python train.py
    model = DistributedDataParallel(make_model())  # rank 0's weights everywhere
    opt = optim.SGD(model.parameters(), lr=0.1)
    for xb, yb in loader:                          # a DistributedSampler shards the data
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()  # grads now averaged over the ranks
        opt.step()

How it works (PyTorch's reducer, in Python): the parameters that need gradients are
packed, in reverse registration order (roughly the order backward produces their
gradients), into buckets of one dtype and device, the first capped at 1 MB and the
others at ``bucket_cap_mb``. Each parameter has a post-accumulate-grad hook: when its
whole gradient is in ``.grad`` it is copied into its bucket's flat buffer, and a bucket
whose gradients are all in starts its non-blocking all-reduce at once, while backward
goes on with earlier layers. Buckets are started in bucket order on every rank, so
the collectives match across ranks. When the last bucket has started, the hook waits
for all of them and writes the averages back into ``.grad``, before ``backward()``
returns.
"""

from __future__ import annotations

import contextlib

import numpy as np

import autograd as ag
import autograd.distributed as dist
from autograd.extend import Tensor

from ..module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    """Parameters of one dtype and device whose gradients travel in one all-reduce."""

    def __init__(self, params: list, index: int):
        p0 = params[0]
        self.index, self.params = index, params
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.flat = ag.zeros(n, dtype=p0.dtype, device=p0.device)  # (total numel,)
        self.reset()

    def reset(self) -> None:
        self.pending = len(self.params)
        self.work = None


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors_in(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _tensors_in(v)


def _reachable_leaves(outputs) -> set:
    """The ids of the leaf tensors the graph of ``outputs`` reaches (no recursion)."""
    leaves, seen = set(), set()
    stack = []
    for t in _tensors_in(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in node.next_functions:  # (producer node, output) or (leaf, -1)
            if edge is None:
                continue
            t, idx = edge
            if idx < 0:
                leaves.add(id(t))
            elif t not in seen:
                stack.append(t)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of the process group (PyTorch's
    ``torch.nn.parallel.DistributedDataParallel``).

    Args:
        module: the model; rank 0's parameters and buffers are broadcast to every rank
            here, so all replicas start equal.
        broadcast_buffers: broadcast rank 0's buffers (e.g. BatchNorm's running
            statistics) at the start of every forward.
        bucket_cap_mb: bucket size in megabytes (default 25).
        find_unused_parameters: parameters the forward's output does not reach get no
            gradient; with this flag their buckets still complete (PyTorch's option).
            Parameters unused on every rank keep their ``.grad``.
        gradient_as_bucket_view: accepted for compatibility; gradients are copied.
        device_ids, output_device, dim, process_group, static_graph: accepted as
            PyTorch's (one device per process; the default process group).

    ``module`` is reachable as ``.module``; ``state_dict`` keys carry the ``module.``
    prefix, as in PyTorch.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an nn.Module, got "
                            f"{type(module).__name__}")
        if process_group is not None:
            raise ValueError("DistributedDataParallel: only the default process group "
                             "(process_group=None) is supported")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call autograd.distributed."
                               "init_process_group() first")
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if cap <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got "
                             f"{bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        self._check_shapes_across_ranks(named)
        state = list(module.parameters()) + [b for b in module.buffers() if b is not None]
        if self.world_size > 1 and state:
            with ag.no_grad():
                dist.broadcast_coalesced(state, 0)
        self._buckets, self._where = self._make_buckets(self._params)
        self._next_launch = 0
        self._started = False  # a hook has fired in this iteration
        self._unused: list = []
        self._used_locally: set | None = None
        self._reset()
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready)
                         for p in self._params]

    # --- construction ----------------------------------------------------------------
    def _check_shapes_across_ranks(self, named) -> None:
        """Every rank must hold the same parameters: compare a digest of their shapes."""
        if self.world_size == 1:
            return
        text = ";".join(f"{n}:{tuple(p.shape)}:{p.dtype}" for n, p in named)
        mine = ag.tensor(np.frombuffer(text.encode().ljust(8 * -(-len(text) // 8) or 8,
                                                           b"\0"), np.uint8).copy())
        lengths = [ag.zeros(1, dtype=ag.int64) for _ in range(self.world_size)]
        dist.all_gather(lengths, ag.tensor([mine.numel()], dtype=ag.int64))
        if len({int(t.item()) for t in lengths}) == 1:
            everyone = [ag.zeros(mine.numel(), dtype=ag.uint8) for _ in range(self.world_size)]
            dist.all_gather(everyone, mine)
            if all(np.array_equal(e.numpy(), mine.numpy()) for e in everyone):
                return
        raise RuntimeError("DistributedDataParallel: the ranks' models differ (parameter "
                           f"names, shapes or dtypes); rank {dist.get_rank()} has "
                           f"{[(n, tuple(p.shape)) for n, p in named][:8]}...")

    def _make_buckets(self, params):
        buckets, where = [], {}
        groups: dict = {}
        for p in reversed(params):  # backward produces the last layers' gradients first
            groups.setdefault((str(p.device), p.dtype), []).append(p)
        for ps in groups.values():
            current, size = [], 0
            for p in ps:
                limit = (min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap) if not buckets
                         else self.bucket_bytes_cap)
                nbytes = p.numel() * p.dtype.itemsize
                if current and size + nbytes > limit:
                    buckets.append(_Bucket(current, len(buckets)))
                    current, size = [], 0
                current.append(p)
                size += nbytes
            if current:
                buckets.append(_Bucket(current, len(buckets)))
        for b in buckets:
            for i, p in enumerate(b.params):
                where[id(p)] = (b, i)
        return buckets, where

    # --- forward ---------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if ag.is_grad_enabled() and self.require_backward_grad_sync:
            self._check_finished()
        if self.broadcast_buffers and self.world_size > 1:
            bufs = [b for b in self.module.buffers() if b is not None]
            if bufs:
                with ag.no_grad():
                    dist.broadcast_coalesced(bufs, 0)
        out = self.module(*inputs, **kwargs)
        if ag.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        return out

    def _check_finished(self) -> None:
        """Refuse to start an iteration while the last one's reduction is incomplete
        (some parameter got no gradient and find_unused_parameters is off)."""
        if not self._started:
            return
        missing = [self._names[id(p)] for b in self._buckets if b.work is None
                   for p in b.params if id(p) not in self._ready_ids]
        self._reset()
        raise RuntimeError(
            "DistributedDataParallel: expected to have finished reduction in the prior "
            "iteration before starting a new one; these parameters received no gradient: "
            f"{missing}. Pass find_unused_parameters=True if the forward does not use them "
            "all, and make sure every output takes part in the loss.")

    def _reset(self) -> None:
        for b in self._buckets:
            b.reset()
        self._next_launch = 0
        self._started = False
        self._ready_ids = set()
        self._unused, self._used_locally = [], None

    def _prepare_for_backward(self, out) -> None:
        self._reset()
        if self.find_unused_parameters:
            reached = _reachable_leaves(out)
            self._unused = [p for p in self._params if id(p) not in reached]
            self._used_locally = {id(p) for p in self._params if id(p) in reached}

    # --- backward --------------------------------------------------------------------
    def _grad_ready(self, p: Tensor) -> None:
        """A parameter's gradient is complete: copy it into its bucket; start every
        bucket that is full, in order; after the last, wait and write averages back."""
        if not self.require_backward_grad_sync:
            return
        if not self._started:
            self._started = True
            for u in self._unused:  # PyTorch marks unused parameters at the first hook
                self._mark_ready(u, None)
        self._mark_ready(p, p.grad)

    def _mark_ready(self, p: Tensor, grad: Tensor | None) -> None:
        if id(p) in self._ready_ids:
            return
        self._ready_ids.add(id(p))
        b, i = self._where[id(p)]
        n, off = p.numel(), b.offsets[i]
        if grad is None:
            b.flat.array[off:off + n] = 0
        else:
            b.flat.array[off:off + n] = grad.array.reshape(-1)
        b.pending -= 1
        while self._next_launch < len(self._buckets) and \
                self._buckets[self._next_launch].pending == 0:
            nb = self._buckets[self._next_launch]
            nb.work = dist.all_reduce(nb.flat, dist.ReduceOp.SUM, async_op=True)
            self._next_launch += 1
        for other in self._buckets[:self._next_launch]:  # lets MPI progress the others
            other.work.is_completed()
        if self._next_launch == len(self._buckets):
            self._finalize()

    def _finalize(self) -> None:
        unused_everywhere = set()
        if self.find_unused_parameters and self.world_size > 1:
            used = ag.tensor([id(p) in self._used_locally for p in self._params],
                             dtype=ag.int32)
            dist.all_reduce(used)
            unused_everywhere = {id(p) for p, u in zip(self._params, used.tolist()) if not u}
        elif self.find_unused_parameters:
            unused_everywhere = {id(p) for p in self._unused}
        with ag.no_grad():
            for b in self._buckets:
                b.work.wait()
                b.flat.array /= self.world_size
                for p, off in zip(b.params, b.offsets):
                    if id(p) in unused_everywhere:
                        continue
                    avg = b.flat.array[off:off + p.numel()].reshape(p.shape)
                    if p.grad is None:
                        p.grad = ag.Tensor(avg.copy(), device=p.device)
                    else:
                        p.grad.array[...] = avg
        self._reset()

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients without communicating; the first
        backward after it averages the accumulated gradients (gradient accumulation)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
