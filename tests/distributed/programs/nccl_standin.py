"""The NCCL transport (autograd/distributed/nccl.py) with a stand-in ``cupy.cuda.nccl``
whose communicator runs each call through MPI on host arrays: no GPU is needed to check
the unique-id exchange, the dtype and op tables, the element counts, bool and complex
handling and the grouped point-to-point calls of gather and scatter."""

import numpy as np
from mpi4py import MPI

import autograd.distributed as dist
from autograd.distributed import process_group
from autograd.distributed.nccl import NcclComm

if not dist.is_initialized():
    dist.init_process_group("mpi", timeout=30)
R, W = dist.get_rank(), dist.get_world_size()
WORLD = MPI.COMM_WORLD
UID = tuple(range(-64, 64))  # NCCL ids are 128 signed chars
DT = {"NCCL_INT8": "int8", "NCCL_UINT8": "uint8", "NCCL_INT32": "int32",
      "NCCL_UINT32": "uint32", "NCCL_INT64": "int64", "NCCL_UINT64": "uint64",
      "NCCL_FLOAT16": "float16", "NCCL_FLOAT32": "float32", "NCCL_FLOAT64": "float64"}
OPS = {"NCCL_SUM": MPI.SUM, "NCCL_PROD": MPI.PROD, "NCCL_MAX": MPI.MAX, "NCCL_MIN": MPI.MIN}


class StandIn:
    """The names autograd uses from cupy.cuda.nccl; constants are their own names."""

    def __init__(self):
        for name in (*DT, *OPS):
            setattr(self, name, name)
        self.grouped = None

    def get_unique_id(self):
        return UID

    def groupStart(self):  # noqa: N802
        assert self.grouped is None
        self.grouped = []

    def groupEnd(self):  # noqa: N802
        reqs = [WORLD.Isend(a, dest=p) if kind == "send" else WORLD.Irecv(a, source=p)
                for kind, a, p in self.grouped]
        MPI.Request.Waitall(reqs)
        self.grouped = None

    def NcclCommunicator(self, ndev, uid, rank):  # noqa: N802
        assert (ndev, rank) == (W, R) and uid == UID, (ndev, uid[:4], rank)
        return Communicator(self)


def check(arr, count, dtype):
    want = DT[dtype]
    assert arr.size == count, (arr.size, count)
    assert str(arr.dtype) == want or (want == "uint8" and arr.dtype == np.bool_), \
        (arr.dtype, dtype)
    return arr.view(np.uint8) if arr.dtype == np.bool_ else arr


class Communicator:
    def __init__(self, nccl):
        self.nccl = nccl

    def allReduce(self, send, recv, count, dtype, op, stream):  # noqa: N802
        assert send is recv
        WORLD.Allreduce(MPI.IN_PLACE, check(recv, count, dtype), OPS[op])

    def reduce(self, send, recv, count, dtype, op, root, stream):
        a = check(recv, count, dtype)
        if R == root:
            WORLD.Reduce(MPI.IN_PLACE, a, OPS[op], root=root)
        else:
            WORLD.Reduce(a, None, OPS[op], root=root)

    def bcast(self, buf, count, dtype, root, stream):
        WORLD.Bcast(check(buf, count, dtype), root=root)

    def allGather(self, send, recv, count, dtype, stream):  # noqa: N802
        check(send, count, dtype)
        WORLD.Allgather(send, check(recv, count * W, dtype))

    def reduceScatter(self, send, recv, count, dtype, op, stream):  # noqa: N802
        check(send, count * W, dtype)
        WORLD.Reduce_scatter_block(send, check(recv, count, dtype), OPS[op])

    def send(self, buf, count, dtype, peer, stream):
        self._p2p("send", check(buf, count, dtype), peer)

    def recv(self, buf, count, dtype, peer, stream):
        self._p2p("recv", check(buf, count, dtype), peer)

    def _p2p(self, kind, a, peer):
        if self.nccl.grouped is not None:
            self.nccl.grouped.append((kind, a, peer))
        elif kind == "send":
            WORLD.Send(a, dest=peer)
        else:
            WORLD.Recv(a, source=peer)

    def destroy(self):
        pass


class Done:
    def Test(self):  # noqa: N802
        return True


def main():
    group = process_group.default_group()
    nccl = NcclComm.create(group, nccl=StandIn(), ptr=lambda a: a, event=Done, stream=lambda: 0)
    ranks = [np.arange(6, dtype=np.float32).reshape(2, 3) + q for q in range(W)]

    a = ranks[R].copy()
    assert all(r.Test() for r in nccl.all_reduce(a, "sum"))
    np.testing.assert_array_equal(a, sum(ranks))
    a = ranks[R].astype(np.int64)
    nccl.all_reduce(a, "max")
    np.testing.assert_array_equal(a, ranks[-1])
    flags = np.array([R == 0, False, True])
    nccl.all_reduce(flags, "lor")  # or: uint8 MAX
    assert flags.tolist() == [True, False, True]
    flags = np.array([R == 0, True])
    nccl.all_reduce(flags, "land")  # and: uint8 MIN
    assert flags.tolist() == [W == 1, True]
    c = np.array([1 + 2j, R * 1j], np.complex64)
    nccl.all_reduce(c, "sum")  # complex sums travel as twice as many reals
    np.testing.assert_allclose(c, [W * (1 + 2j), sum(range(W)) * 1j])
    for bad in (lambda: nccl.all_reduce(c, "max"),
                lambda: nccl.broadcast(np.zeros(2, np.longdouble), 0)):
        try:
            bad()
        except TypeError:
            pass
        else:
            raise AssertionError("NCCL transport accepted what NCCL cannot do")
    b = ranks[R].copy()
    nccl.broadcast(b, W - 1)
    np.testing.assert_array_equal(b, ranks[W - 1])
    r = ranks[R].astype(np.float64)
    nccl.reduce(r, "sum", 0)
    if R == 0:
        np.testing.assert_array_equal(r, sum(ranks))
    g = np.empty((W, 2, 3), np.float32)
    nccl.all_gather(ranks[R], g)
    np.testing.assert_array_equal(g, np.stack(ranks))
    full = [np.arange(2 * W, dtype=np.float64) * (q + 1) for q in range(W)]
    out = np.empty(2)
    nccl.reduce_scatter(full[R], out, "sum")
    np.testing.assert_array_equal(out, sum(full)[2 * R:2 * R + 2])
    for root in range(W):
        recv = np.empty((W, 2, 3), np.float32) if R == root else None
        nccl.gather(ranks[R], recv, root)
        if R == root:
            np.testing.assert_array_equal(recv, np.stack(ranks))
        got = np.empty((2, 3), np.float32)
        nccl.scatter(np.stack(ranks) * 2 if R == root else None, got, root)
        np.testing.assert_array_equal(got, ranks[R] * 2)
    if R == 0:
        nccl.send(np.full(4, 9.0), 1, 0)
    elif R == 1:
        x = np.zeros(4)
        nccl.recv(x, 0, 0)
        assert x.tolist() == [9.0] * 4
    try:
        nccl.recv(np.zeros(1), None, 0)
    except ValueError as exc:
        assert "source rank" in str(exc)
    else:
        raise AssertionError("recv from any source accepted by NCCL")
    nccl.destroy()
    print(f"rank {R}: nccl stand-in ok", flush=True)


if __name__ == "__main__":
    main()
