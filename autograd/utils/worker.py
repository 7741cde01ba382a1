"""Worker processes of a ``DataLoader(num_workers=N)``: each fetches and collates whole
batches, so loading runs in parallel with training (and outside the GIL).

The main process hands batch ``i``'s indices to worker ``i % N`` and yields the batches
in order; at most ``prefetch_factor * N`` are in flight. Tensors travel between the
processes as NumPy arrays with their device name (the queues' pickling sees only arrays
and plain containers), and become Tensors again on the main side. A worker that raises
sends its traceback, which the main process re-raises; a worker that dies is noticed
within a second and named.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from dataclasses import dataclass

import numpy as np

import backends

__all__ = ["WorkerInfo", "get_worker_info", "WorkerPool"]


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its id, the worker count, its seed and its copy of the
    dataset (an ``IterableDataset`` uses them to split its stream); None elsewhere."""
    return _worker_info


class _Shipped:
    """A Tensor on its way between processes: its host array and its device's name."""

    __slots__ = ("array", "device")

    def __init__(self, array, device):
        self.array, self.device = array, device


def _pack(obj):
    from ..tensor import Tensor

    if isinstance(obj, Tensor):
        return _Shipped(obj.numpy(), str(obj.device))
    if isinstance(obj, dict):
        return {k: _pack(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return type(obj)(_pack(v) for v in obj)
    return obj


def _unpack(obj):
    from ..tensor import _wrap

    if isinstance(obj, _Shipped):
        dev = backends.get_device(obj.device)
        return _wrap(dev.backend.asarray(obj.array), dev)
    if isinstance(obj, dict):
        return {k: _unpack(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return type(obj)(_unpack(v) for v in obj)
    return obj


class _WorkerError:
    """An exception raised in a worker, carried back as its formatted traceback."""

    def __init__(self, worker_id: int, exc: BaseException):
        self.worker_id = worker_id
        self.kind = type(exc).__name__
        self.text = "".join(traceback.format_exception(exc))


_STOP = None


def _loop(worker_id, num_workers, seed, dataset, fetch, init_fn, tasks, results,
          iterable):
    global _worker_info
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    try:
        np.random.seed(seed % 2 ** 32)
        backends.get_device("cpu").backend.seed(seed)  # each worker its own random stream
        if init_fn is not None:
            init_fn(worker_id)
        if iterable:  # an IterableDataset: stream this worker's copy batch by batch
            for batch in fetch(dataset):
                results.put((worker_id, _pack(batch)))
            results.put((worker_id, _STOP))
            return
        while True:
            task = tasks.get()
            if task is _STOP:
                return
            i, indices = task
            results.put((i, _pack(fetch(dataset, indices))))
    except Exception as exc:  # noqa: BLE001  (reported to and re-raised by the main process)
        results.put((-1, _WorkerError(worker_id, exc)))
    except KeyboardInterrupt:
        pass


class WorkerPool:
    """``num_workers`` processes fetching batches for one DataLoader."""

    def __init__(self, dataset, fetch, num_workers: int, *, init_fn=None, base_seed: int = 0,
                 timeout: float = 0, context=None, iterable: bool = False):
        ctx = multiprocessing.get_context(context) if isinstance(context, str | None) \
            else context
        self.timeout = timeout
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(num_workers)]
        self.procs = []
        self._owner = os.getpid()
        for w in range(num_workers):
            p = ctx.Process(target=_loop, daemon=True,
                            args=(w, num_workers, base_seed + w, dataset, fetch, init_fn,
                                  self.tasks[w], self.results, iterable))
            p.start()
            self.procs.append(p)

    def _get(self):
        """The next result, re-raising a worker's exception; fails if a worker died."""
        waited = 0.0
        while True:
            try:
                item = self.results.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
                dead = [p for p in self.procs if not p.is_alive() and p.exitcode != 0]
                if dead:
                    p = dead[0]
                    self.close()
                    raise RuntimeError(f"DataLoader worker (pid {p.pid}) exited unexpectedly "
                                       f"with exit code {p.exitcode}") from None
                if self.timeout and waited >= self.timeout:
                    self.close()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds "
                                       "waiting for a batch from its workers") from None
                continue
            if isinstance(item[1], _WorkerError):
                err = item[1]
                self.close()
                raise RuntimeError(f"Caught {err.kind} in DataLoader worker process "
                                   f"{err.worker_id}.\nOriginal {err.text}")
            return item

    def map_batches(self, index_batches, prefetch: int):
        """Yield the fetched batches of ``index_batches`` (lists of indices) in order."""
        n = len(self.procs)
        pending, ready, sent, nxt = iter(enumerate(index_batches)), {}, 0, 0
        exhausted = False
        while True:
            while not exhausted and sent - nxt < prefetch * n:
                task = next(pending, None)
                if task is None:
                    exhausted = True
                    break
                self.tasks[task[0] % n].put(task)
                sent += 1
            if nxt == sent:
                return
            while nxt not in ready:
                i, batch = self._get()
                ready[i] = batch
            yield _unpack(ready.pop(nxt))
            nxt += 1

    def stream(self):
        """Yield the batches the workers stream from their IterableDataset copies,
        one from each worker in turn (as PyTorch), while any still has some."""
        from collections import deque

        buffers = [deque() for _ in self.procs]
        live = list(range(len(self.procs)))
        turn = 0
        while live:
            w = live[turn % len(live)]
            while not buffers[w]:
                sender, batch = self._get()
                buffers[sender].append(batch)
            batch = buffers[w].popleft()
            if batch is _STOP:
                live.remove(w)
                continue  # the next worker now sits at this turn
            turn += 1
            yield _unpack(batch)

    def close(self) -> None:
        """Stop the workers (politely, then by terminate) and release the queues."""
        for q in self.tasks:
            try:
                q.put(_STOP)
            except (ValueError, OSError):
                pass
        for p in self.procs:
            p.join(timeout=1.0)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1.0)
        for q in (*self.tasks, self.results):
            q.cancel_join_thread()
            q.close()
        self.procs = []

    def __del__(self):
        if getattr(self, "procs", None) and os.getpid() == self._owner:
            self.close()
