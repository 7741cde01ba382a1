"""``autograd.distributed``: data-parallel training over MPI (CPU) and NCCL (GPU), with
``torch.distributed``'s names.

    # mpiexec -n 4 python train.py
    import autograd.distributed as dist
    dist.init_process_group("mpi")            # rank and world size come from mpiexec
    t = ag.ones(3) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)  # in place on every rank
    work = dist.broadcast(t, src=0, async_op=True); ...; work.wait()

Importing this package does not start MPI; ``init_process_group`` does. See
``process_group.py`` (launch, timeouts, failure), ``collectives.py`` (the operations),
``nccl.py`` (CUDA tensors under ``backend="nccl"``) and ``functional.py``
(differentiable collectives).
"""

from __future__ import annotations

from . import process_group as _pg
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    broadcast_coalesced,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .process_group import DistBackendError, DistError, ProcessGroup, is_available

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_initialized",
           "get_rank", "get_world_size", "get_backend", "ReduceOp", "Work", "ProcessGroup",
           "DistError", "DistBackendError", "all_reduce", "reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter_tensor", "gather", "scatter", "send",
           "recv", "isend", "irecv", "barrier", "broadcast_coalesced"]


def init_process_group(backend: str = "mpi", init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, **kwargs) -> None:
    """Join the job's processes: rank and world size come from the MPI launch (and must
    agree with ``RANK``/``WORLD_SIZE`` and the arguments where those are set).

    Args:
        backend: ``"mpi"`` (every tensor through MPI; CUDA tensors staged through the
            host) or ``"nccl"`` (CUDA tensors through NCCL, CPU tensors through MPI).
        init_method: only None or ``"env://"`` (MPI already knows the processes).
        timeout: seconds or a ``datetime.timedelta`` (default 30 minutes): a collective
            that waits longer raises DistBackendError naming it and the missing ranks.
    """
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: init_method {init_method!r} is not "
                         "supported: processes are started and found by mpiexec")
    if kwargs.get("store") is not None:
        raise ValueError("init_process_group: store= is not supported (MPI finds the ranks)")
    _pg.init(backend, timeout, world_size, rank)


def destroy_process_group(group=None) -> None:
    """Leave the process group (a later ``init_process_group`` may start a new one)."""
    _pg.destroy()


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _pg._default is not None


def get_rank(group=None) -> int:
    """This process's rank in ``[0, world size)``."""
    return _pg.default_group(group, "get_rank").rank


def get_world_size(group=None) -> int:
    """The number of processes in the job."""
    return _pg.default_group(group, "get_world_size").size


def get_backend(group=None) -> str:
    """``"mpi"`` or ``"nccl"``."""
    return _pg.default_group(group, "get_backend").backend
