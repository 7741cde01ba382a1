"""The process group: who the processes of a job are, and how a collective is waited for.

A job is launched by MPI (``mpiexec -n 4 python train.py``); ``init_process_group``
reads rank and world size from it. Every collective is an MPI non-blocking call (or a
NCCL launch) whose completion is polled by :meth:`ProcessGroup.wait`, so no rank can
block forever: after ``timeout`` seconds the waiting rank asks the others, on a
separate communicator, which collective each is in, and raises
:class:`DistBackendError` naming the collective and the ranks that never joined it.
Ranks that are themselves waiting answer those questions from their polling loop; a
rank that is computing, hung or dead does not answer, and is named as missing.

An uncaught exception on any rank prints that rank's traceback and aborts the whole
job (``MPI_Abort``), so a failure on one rank never leaves the others hanging.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
import traceback

import numpy as np

__all__ = ["DistError", "DistBackendError", "ProcessGroup", "default_group", "init",
           "destroy", "is_available"]

DEFAULT_TIMEOUT = 1800.0  # seconds, PyTorch's default for its CPU backends

# the collectives, numbered so ranks can tell each other where they wait
COLLECTIVES = ("barrier", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
               "reduce_scatter_tensor", "gather", "scatter", "reduce", "send", "recv",
               "shape check")
_QUERY, _REPLY = 1, 2


class DistError(RuntimeError):
    """A distributed operation failed (PyTorch's ``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """A collective failed or timed out in the communication backend."""


def is_available() -> bool:
    """True when mpi4py (the ``dist`` extra) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def _seconds(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"init_process_group: timeout must be a positive number of seconds "
                         f"or a datetime.timedelta, got {timeout!r}")
    return float(timeout)


class ProcessGroup:
    """All processes of the job: an MPI communicator (plus a NCCL one for ``nccl``).

    ``seq`` counts the collectives this rank has entered; every rank runs the same
    collectives in the same order, so equal numbers mean the same call.
    """

    def __init__(self, comm, backend: str, timeout: float):
        self.comm = comm.Dup()  # the collectives' own communicator
        self.status = comm.Dup()  # "where are you?" questions after a timeout
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.backend, self.timeout = backend, timeout
        self.seq = 0
        self.waiting = (-1, -1)  # (seq, collective code) while this rank waits
        self.nccl = None
        self.mpi = None  # the MPI transport (collectives.py), made on first use
        self.debug = os.environ.get("AUTOGRAD_DISTRIBUTED_DEBUG", "0") not in ("", "0")

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def wait(self, requests, what: str, seq: int, timeout: float | None = None) -> None:
        """Poll ``requests`` (objects with ``Test()``) until all complete; after the
        timeout raise :class:`DistBackendError` naming ``what`` and the missing ranks."""
        pending = [r for r in requests if not r.Test()]
        if not pending:
            return
        limit = self.timeout if timeout is None else timeout
        start = last_answer = time.monotonic()
        self.waiting = (seq, COLLECTIVES.index(what))
        spins = 0
        try:
            while True:
                pending = [r for r in pending if not r.Test()]
                if not pending:
                    return
                # MPI's non-blocking collectives advance only inside MPI calls, so keep
                # testing; yield the core between tests as MPI's own Wait does, so a
                # rank sharing it can run (measured: a 8 MB all-reduce 4x faster on two
                # busy cores); after a second of waiting, nap between tests
                spins += 1
                if spins > 50:
                    os.sched_yield()
                if spins % 128:
                    continue
                now = time.monotonic()
                if now - start > 1.0:
                    time.sleep(1e-3)
                if now - last_answer > 0.05:
                    self.answer_queries()
                    last_answer = now
                if now - start > limit:
                    raise DistBackendError(self._timeout_message(what, seq, limit))
        finally:
            self.waiting = (-1, -1)

    def answer_queries(self) -> None:
        """Tell every rank that asked which collective this rank is waiting in."""
        from mpi4py import MPI

        st = MPI.Status()
        asked = np.zeros(1, np.int64)
        while self.status.Iprobe(source=MPI.ANY_SOURCE, tag=_QUERY, status=st):
            self.status.Recv(asked, source=st.Get_source(), tag=_QUERY)
            reply = np.array(self.waiting, np.int64)
            self.status.Send(reply, dest=st.Get_source(), tag=_REPLY)  # tiny: sent eagerly

    def _timeout_message(self, what: str, seq: int, limit: float) -> str:
        others = [q for q in range(self.size) if q != self.rank]
        for q in others:
            self.status.Send(np.array([seq], np.int64), dest=q, tag=_QUERY)
        replies = {q: np.full(2, -1, np.int64) for q in others}
        reqs = {q: self.status.Irecv(replies[q], source=q, tag=_REPLY) for q in others}
        answered = set()
        grace = time.monotonic() + min(2.0, limit)
        while len(answered) < len(others) and time.monotonic() < grace:
            for q, r in reqs.items():
                if q not in answered and r.Test():
                    answered.add(q)
            self.answer_queries()  # the others may be asking us at the same time
            time.sleep(1e-3)
        for q, r in reqs.items():
            if q not in answered:
                r.Cancel()
        missing, elsewhere = [], []
        for q in others:
            if q not in answered or replies[q][0] < 0:
                missing.append(q)
            elif int(replies[q][0]) != seq or int(replies[q][1]) != COLLECTIVES.index(what):
                code = int(replies[q][1])
                elsewhere.append(f"rank {q} is waiting in {COLLECTIVES[code]} "
                                 f"(collective #{int(replies[q][0])})")
        parts = [f"{what} (collective #{seq}) timed out after {limit:g} s on rank "
                 f"{self.rank} of {self.size}"]
        if missing:
            parts.append(f"rank(s) {missing} never joined it (not waiting in any "
                         "collective: still computing, hung or dead)")
        if elsewhere:
            parts.append("; ".join(elsewhere) + " (the ranks called different collectives)")
        return ": ".join(parts[:2]) + ("; " + parts[2] if len(parts) > 2 else "")

    def free(self) -> None:
        for c in (self.comm, self.status):
            c.Free()
        if self.nccl is not None:
            self.nccl.destroy()
            self.nccl = None


_default: ProcessGroup | None = None
_previous_hook = None


def default_group(group=None, who: str = "") -> ProcessGroup:
    """The default process group (the only one), or a clear error before init."""
    if group is not None and group is not _default:
        raise ValueError(f"{who}: only the default process group (group=None) is supported")
    if _default is None:
        raise RuntimeError(f"{who}: the default process group has not been initialized; "
                           "call autograd.distributed.init_process_group() first")
    return _default


def _abort_on_exception(exc_type, exc, tb) -> None:
    """The excepthook of a distributed job: print this rank's traceback, then abort
    every rank, so no rank hangs in a collective waiting for this one."""
    rank = _default.rank if _default is not None else "?"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[rank {rank}] uncaught exception, aborting the job:\n{text}")
    sys.stderr.flush()
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def init(backend: str, timeout, world_size: int, rank: int) -> ProcessGroup:
    global _default, _previous_hook
    if _default is not None:
        raise RuntimeError("init_process_group: trying to initialize the default process "
                           "group twice")
    backend = str(backend).lower()
    if backend not in ("mpi", "nccl"):
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got "
                         f"{backend!r}")
    seconds = _seconds(timeout)
    if not is_available():
        raise RuntimeError("init_process_group: mpi4py is not installed; install the "
                           "'dist' extra (pip install 'ndgrad[dist]', which brings mpi4py "
                           "and the mpich wheels with mpiexec)")
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    for name, given, actual in (("WORLD_SIZE", os.environ.get("WORLD_SIZE"), mpi_size),
                                ("RANK", os.environ.get("RANK"), mpi_rank),
                                ("world_size", world_size, mpi_size), ("rank", rank, mpi_rank)):
        if given is None or given == -1:
            continue
        if int(given) != actual:
            raise ValueError(f"init_process_group: {name}={given} but the MPI launch gives "
                             f"{actual} (rank {mpi_rank} of {mpi_size}); start the job with "
                             f"mpiexec -n <world size> and leave rank/world size to MPI")
    group = ProcessGroup(world, backend, seconds)
    if backend == "nccl":
        from .nccl import NcclComm

        group.nccl = NcclComm.create(group)
    _default = group
    if mpi_size > 1:
        _previous_hook = sys.excepthook
        sys.excepthook = _abort_on_exception
    return group


def destroy() -> None:
    global _default, _previous_hook
    if _default is None:
        return
    _default.free()
    _default = None
    if sys.excepthook is _abort_on_exception:
        sys.excepthook = _previous_hook or sys.__excepthook__
    _previous_hook = None
