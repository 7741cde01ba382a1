"""The NCCL transport for CUDA tensors (``init_process_group("nccl")``), through
``cupy.cuda.nccl``.

Rank 0 makes NCCL's unique id and broadcasts it over MPI; every rank then joins one
NCCL communicator on its current CuPy device (set it before init, e.g. from the local
rank). Each operation is launched on the current stream; its request is a CUDA event
recorded after the launch, which the process group polls under its timeout like an MPI
request. NCCL has no logical or complex reductions: bool tensors reduce as uint8 with
MAX (or) and MIN (and); complex tensors are summed as pairs of reals.

The NCCL module, the array-to-pointer function and the event factory are attributes,
so the transport's logic (dtype and op tables, counts, grouped point-to-point calls) is
checked on machines without a GPU with a stand-in communicator.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NcclComm"]

_DTYPES = {"int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "bool": "NCCL_UINT8",
           "int32": "NCCL_INT32", "uint32": "NCCL_UINT32", "int64": "NCCL_INT64",
           "uint64": "NCCL_UINT64", "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
           "float64": "NCCL_FLOAT64"}
_OPS = {"sum": "NCCL_SUM", "prod": "NCCL_PROD", "min": "NCCL_MIN", "max": "NCCL_MAX",
        "lor": "NCCL_MAX", "land": "NCCL_MIN"}


class _Event:
    """A CUDA event recorded on the current stream: done when the launch has run."""

    def __init__(self):
        import cupy

        self.event = cupy.cuda.Event(block=False, disable_timing=True)
        self.event.record(cupy.cuda.get_current_stream())

    def Test(self) -> bool:  # noqa: N802  (the process group polls requests by this name)
        return self.event.done


def _cupy_ptr(arr) -> int:
    return arr.data.ptr


def _stream() -> int:
    import cupy

    return cupy.cuda.get_current_stream().ptr


class NcclComm:
    """One NCCL communicator over the process group's ranks."""

    def __init__(self, nccl, comm, rank: int, size: int, ptr=_cupy_ptr, event=_Event,
                 stream=_stream):
        self.nccl, self.comm, self.rank, self.size = nccl, comm, rank, size
        self._ptr, self._event, self._stream = ptr, event, stream

    @classmethod
    def create(cls, group, nccl=None, **kwargs) -> NcclComm:
        """Join a NCCL communicator: the unique id travels from rank 0 over MPI."""
        if nccl is None:
            try:
                from cupy.cuda import nccl
            except ImportError as exc:
                raise RuntimeError("init_process_group('nccl'): CuPy with NCCL is needed "
                                   "(the cuda12/cuda13 extras); use backend='mpi' for CPU "
                                   "tensors") from exc
            if not getattr(nccl, "available", True) or not hasattr(nccl, "get_unique_id"):
                raise RuntimeError("init_process_group('nccl'): this CuPy has no NCCL "
                                   "library; use backend='mpi'")
        uid = np.zeros(128, np.int64)
        if group.rank == 0:
            raw = np.asarray(nccl.get_unique_id(), np.int64)
            uid = np.zeros(max(128, raw.size), np.int64)
            uid[:raw.size] = raw
        n = np.array([uid.size], np.int64)
        group.comm.Bcast(n, root=0)
        if uid.size != n[0]:
            uid = np.zeros(int(n[0]), np.int64)
        group.comm.Bcast(uid, root=0)
        comm = nccl.NcclCommunicator(group.size, tuple(int(v) for v in uid), group.rank)
        return cls(nccl, comm, group.rank, group.size, **kwargs)

    def _dtype(self, arr):
        name = _DTYPES.get(str(arr.dtype))
        if name is None:
            raise TypeError(f"NCCL: dtype {arr.dtype} is not supported (NCCL handles "
                            f"{sorted(set(_DTYPES))} and complex sums)")
        return getattr(self.nccl, name)

    def _flat(self, arr, kind=None):
        """The array as NCCL sees it: complex as twice as many reals (sums only)."""
        if arr.dtype.kind == "c":
            if kind not in (None, "sum"):
                raise TypeError(f"NCCL: only sums of complex tensors are supported, got "
                                f"{kind}")
            return arr.view(arr.real.dtype)
        return arr

    def _op(self, kind):
        return getattr(self.nccl, _OPS[kind])

    def _done(self):
        return [self._event()]

    def all_reduce(self, arr, kind):
        a = self._flat(arr, kind)
        self.comm.allReduce(self._ptr(a), self._ptr(a), a.size, self._dtype(a), self._op(kind),
                            self._stream())
        return self._done()

    def reduce(self, arr, kind, root):
        a = self._flat(arr, kind)
        self.comm.reduce(self._ptr(a), self._ptr(a), a.size, self._dtype(a), self._op(kind),
                         root, self._stream())
        return self._done()

    def broadcast(self, arr, root):
        a = self._flat(arr)
        self.comm.bcast(self._ptr(a), a.size, self._dtype(a), root, self._stream())
        return self._done()

    def all_gather(self, send, recv):
        s, r = self._flat(send), self._flat(recv)
        self.comm.allGather(self._ptr(s), self._ptr(r), s.size, self._dtype(s), self._stream())
        return self._done()

    def reduce_scatter(self, send, recv, kind):
        s, r = self._flat(send, kind), self._flat(recv, kind)
        self.comm.reduceScatter(self._ptr(s), self._ptr(r), r.size, self._dtype(r),
                                self._op(kind), self._stream())
        return self._done()

    def gather(self, send, recv, root):
        s = self._flat(send)
        dt, st = self._dtype(s), self._stream()
        self.nccl.groupStart()
        if self.rank == root:
            for q in range(self.size):
                dst = self._flat(recv[q])
                if q == root:
                    dst[...] = s
                else:
                    self.comm.recv(self._ptr(dst), dst.size, dt, q, st)
        else:
            self.comm.send(self._ptr(s), s.size, dt, root, st)
        self.nccl.groupEnd()
        return self._done()

    def scatter(self, send, recv, root):
        r = self._flat(recv)
        dt, st = self._dtype(r), self._stream()
        self.nccl.groupStart()
        if self.rank == root:
            for q in range(self.size):
                src = self._flat(send[q])
                if q == root:
                    r[...] = src
                else:
                    self.comm.send(self._ptr(src), src.size, dt, q, st)
        else:
            self.comm.recv(self._ptr(r), r.size, dt, root, st)
        self.nccl.groupEnd()
        return self._done()

    def send(self, arr, dst, tag):
        a = self._flat(arr)
        self.comm.send(self._ptr(a), a.size, self._dtype(a), dst, self._stream())
        return self._done()

    def recv(self, arr, src, tag):
        if src is None:
            raise ValueError("recv: NCCL needs the source rank (src=None, any source, is "
                             "an MPI-only feature)")
        a = self._flat(arr)
        self.comm.recv(self._ptr(a), a.size, self._dtype(a), src, self._stream())
        return self._done()

    def destroy(self) -> None:
        self.comm.destroy()
