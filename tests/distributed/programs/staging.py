"""CUDA tensors without a GPU: a stand-in "cuda" device whose arrays are a NumPy subclass
MPI must never see. Under backend "mpi" every collective stages them through host
copies and writes the results back; with a NCCL transport (the stand-in of
nccl_standin.py) the device arrays go to NCCL as they are."""

import numpy as np

import autograd.distributed as dist
import backends
from autograd.distributed import collectives, process_group
from autograd.distributed.nccl import NcclComm
from autograd.tensor import _wrap

dist.init_process_group("mpi", timeout=30)
R, W = dist.get_rank(), dist.get_world_size()

import nccl_standin  # noqa: E402  (this folder is on sys.path: the stand-in NCCL)


class DevArray(np.ndarray):
    """Device memory: MPI's buffer protocol must not be handed one of these."""


class FakeCudaBackend:
    xp = np
    staged = 0

    def to_host(self, a):
        FakeCudaBackend.staged += 1
        return np.array(a.view(np.ndarray))

    def asarray(self, a):
        return np.asarray(a).view(DevArray)


cuda = backends.Device("cuda", 0, FakeCudaBackend())


def on_cuda(a):
    return _wrap(np.ascontiguousarray(a).view(DevArray), cuda)


real_all_reduce = collectives._Mpi.all_reduce


def guarded(self, arr, kind):
    assert type(arr) is np.ndarray, "a device array reached MPI"
    return real_all_reduce(self, arr, kind)


collectives._Mpi.all_reduce = guarded

t = on_cuda(np.arange(4.0) + R)
dist.all_reduce(t)
assert isinstance(t.array, DevArray) and t.device is cuda
np.testing.assert_array_equal(t.array.view(np.ndarray), sum(np.arange(4.0) + q for q in range(W)))
b = on_cuda(np.full(3, float(R)))
dist.broadcast(b, src=W - 1)
assert b.array.view(np.ndarray).tolist() == [W - 1.0] * 3
outs = [on_cuda(np.zeros(2)) for _ in range(W)]
dist.all_gather(outs, on_cuda(np.full(2, float(R))))
assert [o.array.view(np.ndarray).tolist() for o in outs] == [[float(q)] * 2 for q in range(W)]
assert FakeCudaBackend.staged >= 3
print(f"rank {R}: host staging ok", flush=True)

# the same front end with a NCCL transport: device arrays go to NCCL unstaged
group = process_group.default_group()
group.nccl = NcclComm.create(group, nccl=nccl_standin.StandIn(), ptr=lambda a: a,
                             event=nccl_standin.Done, stream=lambda: 0)
FakeCudaBackend.staged = 0
t = on_cuda(np.arange(3.0) * (R + 1))
dist.all_reduce(t, dist.ReduceOp.AVG)
np.testing.assert_allclose(t.array.view(np.ndarray),
                           np.arange(3.0) * sum(q + 1 for q in range(W)) / W)
out = on_cuda(np.zeros(W * 2))
dist.all_gather_into_tensor(out, on_cuda(np.full(2, float(R))))
assert out.array.view(np.ndarray).tolist() == [float(q) for q in range(W) for _ in (0, 1)]
assert FakeCudaBackend.staged == 0
print(f"rank {R}: nccl front end ok", flush=True)
