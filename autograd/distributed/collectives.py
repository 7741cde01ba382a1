"""Collectives on Tensors of any device and dtype, with PyTorch's names and signatures.

Each collective validates its tensors, takes their arrays as the transport needs them
(:class:`_Buffer`: a CPU array as it is when contiguous, so MPI reads and writes the
tensor's memory through the buffer protocol with no copy; a CUDA array as it is for
NCCL, or staged through the host for MPI), starts the non-blocking operation and
returns a :class:`Work`. ``async_op=True`` hands the Work to the caller; otherwise it is
waited for at once. ``Work.wait()`` polls under the process group's timeout and then
writes any staged result back into the tensors.

``ReduceOp.AVG`` is a sum divided by the world size (floating and complex tensors). Bool
tensors reduce as PyTorch's: SUM and MAX are a logical or, PRODUCT and MIN a logical and.
With ``AUTOGRAD_DISTRIBUTED_DEBUG=1`` every collective first compares the tensors'
shapes and dtypes across ranks and raises with each rank's shape when they differ.
"""

from __future__ import annotations

import enum

import numpy as np

from ..tensor import Tensor, _wrap
from . import process_group as _pg
from .process_group import DistError

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter_tensor", "gather", "scatter", "reduce",
           "send", "recv", "isend", "irecv", "barrier", "broadcast_coalesced"]


class ReduceOp(enum.Enum):
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter_tensor`` combine values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "prod"
    MIN = "min"
    MAX = "max"


class Work:
    """The handle of a collective started with ``async_op=True``."""

    def __init__(self, group, requests, what: str, seq: int, finish=None):
        self._group, self._requests, self._what, self._seq = group, requests, what, seq
        self._finish, self._done = finish, False
        self.source = None  # a recv's sender

    def wait(self, timeout=None) -> bool:
        """Block until the collective completes (or the process group's timeout, or
        ``timeout`` seconds, passes: then raise DistBackendError naming it)."""
        if not self._done:
            seconds = None if timeout is None else _pg._seconds(timeout)
            self._group.wait(self._requests, self._what, self._seq, seconds)
            self._done = True
            if self._finish is not None:
                out = self._finish()
                if self._what == "recv":
                    self.source = out
        return True

    def is_completed(self) -> bool:
        """True when the operation has finished (its results are written at wait())."""
        return self._done or all(r.Test() for r in self._requests)

    def __repr__(self) -> str:
        state = "completed" if self._done else "pending"
        return f"<Work {self._what} #{self._seq} {state}>"


class _Buffer:
    """A tensor's array in the form its transport reads and writes."""

    def __init__(self, tensor: Tensor, group, who: str):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{who}: expected a Tensor, got {type(tensor).__name__}")
        self.tensor = tensor
        dev = tensor.device
        arr = tensor.array
        self.on_nccl = group.nccl is not None and dev.type == "cuda"
        if dev.type == "cpu" or self.on_nccl:
            xp = dev.backend.xp
            self.array = arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)
            self.staged = self.array is not arr
        else:  # a GPU tensor under MPI: through a host copy
            self.array = np.ascontiguousarray(dev.backend.to_host(arr)).copy()
            self.staged = True

    def write_back(self) -> None:
        if self.staged:
            t = self.tensor
            t.array[...] = (self.array if self.on_nccl or t.device.type == "cpu"
                           else t.device.backend.asarray(self.array))


def _transport(group, bufs, who: str):
    devices = {str(b.tensor.device) for b in bufs}
    if len(devices) > 1:
        raise ValueError(f"{who}: all tensors must be on one device, got {sorted(devices)}")
    if bufs and bufs[0].on_nccl:
        return group.nccl
    if group.mpi is None:
        from mpi4py import MPI

        _Mpi.IN_PLACE = MPI.IN_PLACE
        group.mpi = _Mpi(group.comm)
    return group.mpi


def _reduce_kind(op, dtype, who: str) -> str:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{who}: op must be a ReduceOp, got {op!r}")
    kind = dtype.kind
    if op is ReduceOp.AVG and kind not in "fc":
        raise TypeError(f"{who}: ReduceOp.AVG needs a floating or complex tensor, got dtype "
                        f"{dtype}")
    if kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise TypeError(f"{who}: ReduceOp.{op.name} is not defined for complex dtype {dtype}")
    if kind == "b":
        return "lor" if op in (ReduceOp.SUM, ReduceOp.MAX) else "land"
    return "sum" if op is ReduceOp.AVG else op.value


class _Mpi:
    """The MPI transport: non-blocking mpi4py calls on contiguous host arrays."""

    IN_PLACE = None  # MPI.IN_PLACE, set when the first process group starts

    def __init__(self, comm):
        self.comm = comm

    @staticmethod
    def _op(kind):
        from mpi4py import MPI

        return {"sum": MPI.SUM, "prod": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX,
                "lor": MPI.LOR, "land": MPI.LAND}[kind]

    def all_reduce(self, arr, kind):
        from mpi4py import MPI

        return [self.comm.Iallreduce(MPI.IN_PLACE, arr, self._op(kind))]

    def reduce(self, arr, kind, root):
        from mpi4py import MPI

        if self.comm.Get_rank() == root:
            return [self.comm.Ireduce(MPI.IN_PLACE, arr, self._op(kind), root=root)]
        return [self.comm.Ireduce(arr, None, self._op(kind), root=root)]

    def broadcast(self, arr, root):
        return [self.comm.Ibcast(arr, root=root)]

    def all_gather(self, send, recv):
        return [self.comm.Iallgather(send, recv)]

    def reduce_scatter(self, send, recv, kind):
        return [self.comm.Ireduce_scatter_block(send, recv, self._op(kind))]

    def gather(self, send, recv, root):
        return [self.comm.Igather(send, recv, root=root)]

    def scatter(self, send, recv, root):
        return [self.comm.Iscatter(send, recv, root=root)]

    def send(self, arr, dst, tag):
        return [self.comm.Isend(arr, dest=dst, tag=tag)]

    def recv(self, arr, src, tag):
        from mpi4py import MPI

        return [_RecvRequest(self.comm.Irecv(arr, source=MPI.ANY_SOURCE if src is None
                                             else src, tag=tag))]

    def barrier(self):
        return [self.comm.Ibarrier()]


class _RecvRequest:
    """An MPI receive that remembers its sender."""

    def __init__(self, req):
        from mpi4py import MPI

        self.req, self.status, self.source = req, MPI.Status(), None

    def Test(self) -> bool:  # noqa: N802  (the name every request here answers to)
        if self.source is not None:
            return True
        if self.req.Test(self.status):
            self.source = self.status.Get_source()
            return True
        return False


def _run(group, what, transport_call, bufs, finish=None, async_op=False):
    # point-to-point calls involve two ranks: they do not advance the collective count
    seq = group.seq if what in ("send", "recv") else group.next_seq()
    requests = transport_call()
    work = Work(group, requests, what, seq, finish)
    if async_op:
        return work
    work.wait()
    return None if what != "recv" else work.source


def _check_same(group, what: str, tensors, extra: str = "") -> None:
    """Debug mode: every rank's tensors have the same shapes and dtypes."""
    if not group.debug or group.size == 1:
        return
    desc = ";".join(f"{tuple(t.shape)} {t.dtype}" for t in tensors) + extra
    raw = np.frombuffer(desc.encode()[:255].ljust(256, b"\0"), np.uint8).copy()
    everyone = np.empty((group.size, 256), np.uint8)
    seq = group.next_seq()
    group.wait([group.comm.Iallgather(raw, everyone)], "shape check", seq)
    texts = [bytes(r).rstrip(b"\0").decode() for r in everyone]
    if len(set(texts)) > 1:
        per_rank = ", ".join(f"rank {i}: {s}" for i, s in enumerate(texts))
        raise DistError(f"{what}: tensor shapes or dtypes differ across ranks "
                        f"(AUTOGRAD_DISTRIBUTED_DEBUG=1): {per_rank}")


def _check_rank(group, r, name: str, who: str) -> int:
    if isinstance(r, bool) or not isinstance(r, int | np.integer) or not 0 <= r < group.size:
        raise ValueError(f"{who}: {name} must be a rank in [0, {group.size - 1}], got {r!r}")
    return int(r)


def _finish_all(bufs, after=None):
    def finish():
        if after is not None:
            after()
        for b in bufs:
            b.write_back()
    return finish


_MPI_OPS: dict = {}  # (ReduceOp, dtype kind) -> MPI op, for the CPU fast path


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None,
               async_op: bool = False):
    """Reduce ``tensor`` over all ranks, in place on every rank."""
    g = _pg._default if group is None else None
    if g is not None and type(tensor) is Tensor and tensor.device.type == "cpu" and \
            not g.debug and not async_op:
        # the common blocking case on a contiguous CPU tensor: the MPI call on the
        # tensor's own memory and little else (a 1 KB all-reduce is a few microseconds)
        arr = tensor.array
        mpi_op = _MPI_OPS.get((op, arr.dtype.kind))
        if mpi_op is not None and arr.flags.c_contiguous:
            g.seq += 1
            req = g.comm.Iallreduce(_Mpi.IN_PLACE, arr, mpi_op)
            if not req.Test():
                g.wait((req,), "all_reduce", g.seq)
            if op is ReduceOp.AVG:
                arr /= g.size
            return None
    return _all_reduce(tensor, op, group, async_op)


def _all_reduce(tensor, op, group, async_op):
    who = "all_reduce"
    g = _pg.default_group(group, who)
    buf = _Buffer(tensor, g, who)
    kind = _reduce_kind(op, tensor.dtype, who)
    _check_same(g, who, [tensor])
    tr = _transport(g, [buf], who)
    if tr.__class__ is _Mpi and buf.tensor.device.type == "cpu":
        _MPI_OPS.setdefault((op, tensor.dtype.kind), _Mpi._op(kind))  # for the fast path
    after = (lambda: _divide(buf.array, g.size)) if op is ReduceOp.AVG else None
    return _run(g, who, lambda: tr.all_reduce(buf.array, kind), [buf],
                _finish_all([buf], after), async_op)


def _divide(arr, n: int) -> None:
    arr /= n


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False):
    """Reduce ``tensor`` over all ranks into ``tensor`` on rank ``dst``."""
    who = "reduce"
    g = _pg.default_group(group, who)
    dst = _check_rank(g, dst, "dst", who)
    buf = _Buffer(tensor, g, who)
    kind = _reduce_kind(op, tensor.dtype, who)
    _check_same(g, who, [tensor])
    tr = _transport(g, [buf], who)
    mine = g.rank == dst
    after = (lambda: _divide(buf.array, g.size)) if op is ReduceOp.AVG and mine else None
    return _run(g, who, lambda: tr.reduce(buf.array, kind, dst),
                [buf], _finish_all([buf] if mine else [], after), async_op)


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank."""
    who = "broadcast"
    g = _pg.default_group(group, who)
    src = _check_rank(g, src, "src", who)
    buf = _Buffer(tensor, g, who)
    _check_same(g, who, [tensor])
    tr = _transport(g, [buf], who)
    return _run(g, who, lambda: tr.broadcast(buf.array, src), [buf], _finish_all([buf]),
                async_op)


def _gathered(g, like: _Buffer):
    """A contiguous (world size, *shape) array beside ``like``'s, for gathers."""
    xp = np if not like.on_nccl else like.tensor.device.backend.xp
    return xp.empty((g.size,) + like.array.shape, like.array.dtype)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` on every rank."""
    who = "all_gather"
    g = _pg.default_group(group, who)
    if not isinstance(tensor_list, list) or len(tensor_list) != g.size:
        raise ValueError(f"{who}: tensor_list must be a list of {g.size} tensors (one per "
                         f"rank), got {type(tensor_list).__name__} of "
                         f"{len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    for i, t in enumerate(tensor_list):
        if not isinstance(t, Tensor) or t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"{who}: tensor_list[{i}] must have the input's shape "
                             f"{tuple(tensor.shape)} and dtype {tensor.dtype}, got "
                             f"{tuple(getattr(t, 'shape', ()))} {getattr(t, 'dtype', None)}")
    buf = _Buffer(tensor, g, who)
    outs = [_Buffer(t, g, who) for t in tensor_list]
    _check_same(g, who, [tensor])
    tr = _transport(g, [buf, *outs], who)
    stacked = _gathered(g, buf)

    def finish():
        for i, o in enumerate(outs):
            o.array[...] = stacked[i]
            o.write_back()
    return _run(g, who, lambda: tr.all_gather(buf.array, stacked), [buf], finish, async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Gather every rank's ``input_tensor`` into ``output_tensor`` of shape
    (world size * n, ...) (concatenated) or (world size, n, ...) (stacked)."""
    who = "all_gather_into_tensor"
    g = _pg.default_group(group, who)
    shape = tuple(input_tensor.shape)
    cat = (g.size * shape[0],) + shape[1:] if shape else None
    if tuple(output_tensor.shape) not in ((g.size,) + shape, cat) or \
            output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"{who}: output must have shape {cat} or {(g.size,) + shape} and "
                         f"dtype {input_tensor.dtype} for an input of shape {shape} on "
                         f"{g.size} ranks, got {tuple(output_tensor.shape)} "
                         f"{output_tensor.dtype}")
    src, out = _Buffer(input_tensor, g, who), _Buffer(output_tensor, g, who)
    _check_same(g, who, [input_tensor])
    tr = _transport(g, [src, out], who)
    return _run(g, who, lambda: tr.all_gather(src.array, out.array), [src, out],
                _finish_all([out]), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group=None, async_op: bool = False):
    """Reduce ``input`` (world size * n, ...) over all ranks and give rank ``r`` the
    ``r``-th block in ``output`` (n, ...)."""
    who = "reduce_scatter_tensor"
    g = _pg.default_group(group, who)
    if output.numel() * g.size != input.numel() or output.dtype != input.dtype:
        raise ValueError(f"{who}: input must hold world size ({g.size}) times the output's "
                         f"elements with the same dtype, got input {tuple(input.shape)} "
                         f"{input.dtype} and output {tuple(output.shape)} {output.dtype}")
    kind = _reduce_kind(op, input.dtype, who)
    src, out = _Buffer(input, g, who), _Buffer(output, g, who)
    _check_same(g, who, [input, output])
    tr = _transport(g, [src, out], who)
    after = (lambda: _divide(out.array, g.size)) if op is ReduceOp.AVG else None
    return _run(g, who, lambda: tr.reduce_scatter(src.array, out.array, kind), [src, out],
                _finish_all([out], after), async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int = 0, group=None,
           async_op: bool = False):
    """Collect every rank's ``tensor`` into ``gather_list`` (world size tensors) on
    rank ``dst``; other ranks pass ``gather_list=None``."""
    who = "gather"
    g = _pg.default_group(group, who)
    dst = _check_rank(g, dst, "dst", who)
    buf = _Buffer(tensor, g, who)
    outs = []
    if g.rank == dst:
        if not isinstance(gather_list, list) or len(gather_list) != g.size:
            raise ValueError(f"{who}: on the destination rank gather_list must be a list of "
                             f"{g.size} tensors")
        outs = [_Buffer(t, g, who) for t in gather_list]
        for i, o in enumerate(outs):
            if o.tensor.shape != tensor.shape or o.tensor.dtype != tensor.dtype:
                raise ValueError(f"{who}: gather_list[{i}] must have shape "
                                 f"{tuple(tensor.shape)} and dtype {tensor.dtype}")
    elif gather_list is not None:
        raise ValueError(f"{who}: gather_list must be None on non-destination ranks "
                         f"(rank {g.rank}, dst {dst})")
    _check_same(g, who, [tensor])
    tr = _transport(g, [buf, *outs], who)
    stacked = _gathered(g, buf) if outs else None

    def finish():
        for i, o in enumerate(outs):
            o.array[...] = stacked[i]
            o.write_back()
    return _run(g, who, lambda: tr.gather(buf.array, stacked, dst), [buf], finish, async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int = 0, group=None,
            async_op: bool = False):
    """Give rank ``r`` the tensor ``scatter_list[r]`` of rank ``src`` in ``tensor``."""
    who = "scatter"
    g = _pg.default_group(group, who)
    src = _check_rank(g, src, "src", who)
    out = _Buffer(tensor, g, who)
    stacked = None
    if g.rank == src:
        if not isinstance(scatter_list, list) or len(scatter_list) != g.size:
            raise ValueError(f"{who}: on the source rank scatter_list must be a list of "
                             f"{g.size} tensors")
        for i, t in enumerate(scatter_list):
            if t.shape != tensor.shape or t.dtype != tensor.dtype or t.device != tensor.device:
                raise ValueError(f"{who}: scatter_list[{i}] must have shape "
                                 f"{tuple(tensor.shape)}, dtype {tensor.dtype} and device "
                                 f"{tensor.device}")
        stacked = _gathered(g, out)
        for i, t in enumerate(scatter_list):
            stacked[i] = _Buffer(t, g, who).array
    elif scatter_list is not None:
        raise ValueError(f"{who}: scatter_list must be None on non-source ranks "
                         f"(rank {g.rank}, src {src})")
    _check_same(g, who, [tensor])
    tr = _transport(g, [out], who)
    return _run(g, who, lambda: tr.scatter(stacked, out.array, src), [out],
                _finish_all([out]), async_op)


def isend(tensor: Tensor, dst: int, group=None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; returns a Work."""
    who = "send"
    g = _pg.default_group(group, who)
    dst = _check_rank(g, dst, "dst", who)
    buf = _Buffer(tensor, g, who)
    tr = _transport(g, [buf], who)
    return _run(g, who, lambda: tr.send(buf.array, dst, tag), [buf], None, True)


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None); after
    ``wait()`` the Work's ``source`` is the sender."""
    who = "recv"
    g = _pg.default_group(group, who)
    if src is not None:
        src = _check_rank(g, src, "src", who)
    buf = _Buffer(tensor, g, who)
    tr = _transport(g, [buf], who)
    reqs = []

    def start():
        reqs.extend(tr.recv(buf.array, src, tag))
        return reqs

    def finish():
        buf.write_back()
        return src if src is not None else reqs[0].source
    return _run(g, who, start, [buf], finish, True)


def send(tensor: Tensor, dst: int, group=None, tag: int = 0) -> None:
    """Send ``tensor`` to rank ``dst`` (returns when the send buffer may be reused)."""
    isend(tensor, dst, group, tag).wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0) -> int:
    """Receive into ``tensor`` from rank ``src`` (any when None); returns the sender."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    return work.source


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has reached this call."""
    who = "barrier"
    g = _pg.default_group(group, who)
    return _run(g, who, lambda: _transport(g, [], who).barrier(), [], None, async_op)


def broadcast_coalesced(tensors: list, src: int, group=None) -> None:
    """Broadcast ``tensors`` from rank ``src`` with one call per dtype and device (their
    arrays packed into one buffer, then unpacked in place): how DistributedDataParallel
    and ZeroRedundancyOptimizer send many parameters at once."""
    groups: dict = {}
    for t in tensors:
        groups.setdefault((str(t.device), t.dtype), []).append(t)
    for ts in groups.values():
        xp = ts[0].device.backend.xp
        flat = _wrap(xp.concatenate([t.array.reshape(-1) for t in ts]), ts[0].device)
        broadcast(flat, src, group)
        n = 0
        for t in ts:
            k = t.numel()
            t.array[...] = flat.array[n:n + k].reshape(t.shape)
            n += k
