"""Datasets and a batching ``DataLoader`` (PyTorch's ``torch.utils.data``), with
reproducible shuffling and a progress bar.

    ds = ag.data.TensorDataset(x, y)                 # x: (N, ...), y: (N, ...)
    loader = ag.data.DataLoader(ds, batch_size=64, shuffle=True, seed=0,
                                progress="train")
    for epoch in range(10):
        loader.set_epoch(epoch)                      # order depends on (seed, epoch) only
        for xb, yb in loader: ...

A :class:`TensorDataset` is batched by fancy-indexing its whole arrays (one gather per
tensor per batch, no per-sample Python), whatever sampler chose the indices; other
datasets (anything with ``__getitem__`` and ``__len__``) are fetched sample by sample
and collated by ``collate_fn``; an :class:`IterableDataset` is read as a stream.
``num_workers > 0`` fetches batches in worker processes (``autograd/utils/worker.py``);
the default loads in the calling process. Samplers live in ``autograd/utils/sampler.py``;
this module and ``autograd.utils.data`` (PyTorch's path) export the same names.
"""

from __future__ import annotations

import bisect
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

import backends

from .tensor import Tensor, _wrap
from .utils.sampler import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    _check_generator,
    _rng,
)
from .utils.worker import WorkerInfo, WorkerPool, get_worker_info

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "DataLoader", "default_collate", "default_convert", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
           "get_worker_info", "WorkerInfo"]


class Dataset:
    """Base class of map-style datasets: ``__getitem__(i)`` and ``__len__()``;
    ``a + b`` concatenates two datasets."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    # no __len__ here, as in PyTorch: len() of a dataset without one is a TypeError

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of stream datasets: subclasses define ``__iter__``. In a DataLoader
    with workers, each worker iterates its own copy; split the stream with
    :func:`get_worker_info` to avoid duplicates."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is read by "
                        "iteration, not by index")

    def __add__(self, other):
        raise TypeError("IterableDataset: '+' concatenates map-style datasets only")


class TensorDataset(Dataset):
    """Samples are the ``i``-th rows of the given tensors (all of one first dimension).

    Args:
        *tensors: Tensors (or NumPy arrays, wrapped as CPU Tensors), each (N, ...).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        ts = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = _wrap(t, backends.get_device("cpu"))
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, "
                                "expected a Tensor or a NumPy array")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a "
                                 "first (sample) dimension")
            ts.append(t)
        n = ts[0].shape[0]
        for t in ts:
            if t.shape[0] != n:
                shapes = ", ".join(str(tuple(x.shape)) for x in ts)
                raise ValueError(f"TensorDataset: size mismatch between tensors: the first "
                                 f"dimensions differ (shapes {shapes})")
        self.tensors = tuple(ts)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index):
        if isinstance(index, list | np.ndarray):
            return [self.dataset[int(self.indices[i])] for i in index]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        index = int(index)
        if index < 0:
            if -index > len(self):
                raise IndexError(f"ConcatDataset: index {index} out of range for length "
                                 f"{len(self)}")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for length "
                             f"{len(self)}")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[d - 1] if d else 0
        return self.datasets[d][index - start]


def _check_seed(seed, who: str) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"{who}: seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def random_split(dataset, lengths: Sequence[int | float],
                 generator=None, *,
                 seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths, or of
    the given fractions of its length (summing to 1; the remainder goes one by one to
    the first splits), as ``torch.utils.data.random_split``.

    The permutation is drawn from ``generator`` (an ``ag.Generator`` or a
    ``numpy.random.Generator``), else from
    ``numpy.random.default_rng(seed)``, else from the CPU generator (``ag.manual_seed``).
    """
    seed = _check_seed(seed, "random_split")
    if seed is not None and generator is not None:
        raise ValueError("random_split: give either seed or generator, not both")
    lengths = list(lengths)
    n = len(dataset)
    if lengths and all(isinstance(v, float) for v in lengths) and math.isclose(
            sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        sizes = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, s in enumerate(sizes):
            if s == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this "
                              "might result in an empty dataset", stacklevel=2)
        lengths = sizes
    for i, v in enumerate(lengths):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise ValueError(f"random_split: lengths must be non-negative integers (or "
                             f"fractions summing to 1), got {v!r} at index {i}")
    lengths = [int(v) for v in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)} but the "
                         f"dataset has {n} samples")
    if generator is not None:
        rng = _rng(_check_generator(generator, "random_split"))
    elif seed is not None:
        rng = np.random.default_rng(seed)
    else:
        rng = backends.get_device("cpu").backend.generator
    perm = rng.permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, perm[start:start + k]))
        start += k
    return out


def default_collate(samples: list):
    """Stack a list of samples into a batch: Tensors and arrays along a new axis 0,
    numbers into a 1-d Tensor (int64 / float32 / bool), tuples/lists/dicts element-wise.
    """
    first = samples[0]
    if isinstance(first, Tensor):
        xp = first.device.backend.xp
        return _wrap(xp.stack([s.array for s in samples]), first.device)
    if isinstance(first, np.ndarray | np.generic):
        return _wrap(np.stack([np.asarray(s) for s in samples]), backends.get_device("cpu"))
    if isinstance(first, bool):
        return _wrap(np.array(samples, dtype=np.bool_), backends.get_device("cpu"))
    if isinstance(first, int):
        return _wrap(np.array(samples, dtype=np.int64), backends.get_device("cpu"))
    if isinstance(first, float):
        from .dtypes import get_default_dtype

        return _wrap(np.array(samples, dtype=get_default_dtype()), backends.get_device("cpu"))
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples of one batch have different lengths")
        return type(first)(default_collate(list(col)) for col in zip(*samples, strict=True))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}")


def default_convert(data):
    """Convert NumPy arrays inside ``data`` to CPU Tensors without batching (the
    ``collate_fn`` of ``DataLoader(batch_size=None)``)."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return _wrap(data, backends.get_device("cpu"))
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return _wrap(np.asarray(data), backends.get_device("cpu"))
    if isinstance(data, dict):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple | list):
        return type(data)(default_convert(v) for v in data)
    return data


class _TextBar:
    """A minimal progress bar for when tqdm is not installed (writes to stderr)."""

    def __init__(self, iterable, total: int, desc: str, file=None):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.file = file or sys.stderr
        self.postfix = ""
        self.n = 0

    def set_postfix(self, ordered_dict=None, **kwargs) -> None:
        items = dict(ordered_dict or {}, **kwargs)
        self.postfix = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in items.items())

    def _draw(self, start: float, final: bool = False) -> None:
        width = 24
        frac = self.n / self.total if self.total else 1.0
        filled = int(width * frac)
        rate = self.n / max(time.perf_counter() - start, 1e-9)
        line = (f"\r{self.desc}: {100 * frac:3.0f}%|{'#' * filled}{' ' * (width - filled)}| "
                f"{self.n}/{self.total} [{rate:.1f} it/s]" + (f" {self.postfix}" if
                                                             self.postfix else ""))
        self.file.write(line + ("\n" if final else ""))
        self.file.flush()

    def __iter__(self):
        start = last = time.perf_counter()
        for item in self.iterable:
            yield item
            self.n += 1
            now = time.perf_counter()
            if now - last > 0.1 or self.n == self.total:
                self._draw(start, final=self.n == self.total)
                last = now

    def close(self) -> None:
        pass


def _progress(iterable, total: int, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar(iterable, total, desc)
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


def _check_count(value, name: str, allow_none: bool = False, allow_zero: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0 or (
            value == 0 and not allow_zero):
        kind = "a non-negative integer" if allow_zero else "a positive integer"
        raise ValueError(f"DataLoader: {name} must be {kind}{' or None' if allow_none else ''}"
                         f", got {value!r}")
    return int(value)


def _fetch(dataset, indices, collate_fn, batched: bool):
    """One batch of a map-style dataset: a TensorDataset with the default collation by
    one whole-array gather per tensor, any other by its samples and ``collate_fn``."""
    if not batched:
        return collate_fn(dataset[int(indices)])
    if isinstance(dataset, TensorDataset) and collate_fn is default_collate:
        out = []
        for t in dataset.tensors:
            idx = indices if t.device.type == "cpu" else t.device.backend.asarray(indices)
            out.append(_wrap(t.array[idx], t.device))
        return tuple(out)
    if hasattr(dataset, "__getitems__"):
        return collate_fn(dataset.__getitems__(indices.tolist()))
    return collate_fn([dataset[int(i)] for i in indices])


def _in_mpi_job() -> bool:
    from . import distributed

    return distributed.is_initialized()


def _stream(dataset, batch_size, drop_last, collate_fn):
    """The batches of an IterableDataset: ``batch_size`` samples each, collated."""
    if batch_size is None:
        for sample in dataset:
            yield collate_fn(sample)
        return
    batch = []
    for sample in dataset:
        batch.append(sample)
        if len(batch) == batch_size:
            yield collate_fn(batch)
            batch = []
    if batch and not drop_last:
        yield collate_fn(batch)


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a :class:`TensorDataset` (batched by whole-array indexing), any object
            with ``__getitem__`` and ``__len__`` (batched by ``collate_fn``), or an
            :class:`IterableDataset` (read as a stream).
        batch_size: samples per batch (default 1); None yields single samples
            (converted by :func:`default_convert`, not stacked).
        shuffle: a new random order every epoch (a map-style dataset, no sampler).
        sampler: a :class:`Sampler` (or any iterable of indices) choosing the order;
            exclusive with ``shuffle``.
        batch_sampler: yields lists of indices, one per batch; exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: 0 loads in this process; ``N > 0`` fetches whole batches in ``N``
            worker processes (``prefetch_factor`` batches each in flight, default 2),
            kept between epochs with ``persistent_workers``. ``worker_init_fn(id)`` runs in
            each worker; ``timeout`` (seconds, 0: none) bounds the wait for a batch;
            ``multiprocessing_context`` picks the start method (default: the platform's,
            or "forkserver" in a process that has joined a distributed job).
        collate_fn: batches samples (default :func:`default_collate`).
        pin_memory: accepted for PyTorch compatibility (no effect: batches are moved by
            ``device=``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: with ``shuffle``, an ``ag.Generator`` or a ``numpy.random.Generator``
            to draw orders from (its state advances each epoch).
        seed: with ``shuffle``, the order of epoch ``e`` is a permutation drawn from
            ``numpy.random.default_rng([seed, e])``: it depends on (seed, epoch) only,
            so a resumed run sees exactly the batches of an uninterrupted one. The
            epoch counts the iterations started, or is set by :meth:`set_epoch`. Without
            seed and generator, the CPU backend's generator (``ag.manual_seed``) is used.
        device: move every batch to this device (default: leave tensors where they are).
        progress: False, True, or a description string: show a progress bar (tqdm
            when installed, else a small text bar on stderr). While iterating,
            ``loader.bar`` is the bar (``loader.bar.set_postfix(loss=...)``).

    Yields: for a TensorDataset, a tuple of Tensors of shape (B, ...) each (B =
    batch_size, smaller for the last batch unless ``drop_last``).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator=None,
                 *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 seed: int | None = None, device=None, progress: bool | str = False):
        batch_size = _check_count(batch_size, "batch_size", allow_none=True)
        self.num_workers = _check_count(num_workers, "num_workers", allow_zero=True)
        seed = _check_seed(seed, "DataLoader")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give either seed or generator, not both")
        _check_generator(generator, "DataLoader")
        if not (isinstance(timeout, int | float) and timeout >= 0):
            raise ValueError(f"DataLoader: timeout must be a non-negative number, got "
                             f"{timeout!r}")
        if self.num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError("DataLoader: prefetch_factor and persistent_workers need "
                             "num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset is read in its own order; "
                             "shuffle, sampler and batch_sampler are not allowed")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                             "is mutually exclusive with drop_last")
        if self.num_workers and isinstance(dataset, TensorDataset) and any(
                t.device.type != "cpu" for t in dataset.tensors):
            raise ValueError("DataLoader: num_workers > 0 needs a TensorDataset on the CPU "
                             "(worker processes cannot share GPU arrays); move batches "
                             "with device= instead")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.generator = generator
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = 2 if prefetch_factor is None else _check_count(
            prefetch_factor, "prefetch_factor")
        self.persistent_workers = bool(persistent_workers)
        self.pin_memory = bool(pin_memory)
        self.device = backends.get_device(device) if device is not None else None
        self.progress = progress
        if collate_fn is None:
            collate_fn = default_convert if batch_size is None else default_collate
        self.collate_fn = collate_fn
        self.epoch = 0
        self.bar = None
        self._pool = None

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order of ``epoch`` (with ``seed``), and pass
        the epoch on to a sampler that has ``set_epoch`` (a DistributedSampler)."""
        self.epoch = int(epoch)
        for s in (self.sampler, self.batch_sampler):
            if hasattr(s, "set_epoch"):
                s.set_epoch(self.epoch)

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, epoch: int) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.seed is not None:
            rng = np.random.default_rng([self.seed, epoch])
        elif self.generator is not None:
            rng = _rng(self.generator)
        else:
            rng = backends.get_device("cpu").backend.generator
        return rng.permutation(n)

    def _index_batches(self, epoch: int) -> Iterator:
        """The indices of each batch, as int64 arrays (single ints when unbatched)."""
        if self.batch_sampler is not None:
            for b in self.batch_sampler:
                yield np.asarray(b, dtype=np.int64)
            return
        order = self._order(epoch)
        if self.batch_size is None:
            yield from order.tolist()
            return
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            yield order[start:start + bs]

    def _batches(self, epoch: int) -> Iterator:
        batched = self.batch_size is not None or self.batch_sampler is not None
        iterable = isinstance(self.dataset, IterableDataset)
        if self.num_workers == 0:
            if iterable:
                src = _stream(self.dataset, self.batch_size, self.drop_last, self.collate_fn)
            else:
                src = (_fetch(self.dataset, idx, self.collate_fn, batched)
                       for idx in self._index_batches(epoch))
            for batch in src:
                yield self._move(batch)
            return
        pool = self._pool or self._start_workers(iterable, epoch)
        try:
            src = pool.stream() if iterable else pool.map_batches(self._index_batches(epoch),
                                                                  self.prefetch_factor)
            for batch in src:
                yield self._move(batch)
        finally:
            if not self.persistent_workers or iterable:
                pool.close()
                self._pool = None

    def _start_workers(self, iterable: bool, epoch: int) -> WorkerPool:
        import functools

        if iterable:
            fetch = functools.partial(_stream, batch_size=self.batch_size,
                                      drop_last=self.drop_last, collate_fn=self.collate_fn)
        else:
            fetch = functools.partial(_fetch, collate_fn=self.collate_fn,
                                      batched=self.batch_size is not None
                                      or self.batch_sampler is not None)
        if self.seed is not None:
            base_seed = int(np.random.default_rng([self.seed, epoch, 1]).integers(2 ** 62))
        else:
            base_seed = int(backends.get_device("cpu").backend.generator.integers(2 ** 62))
        context = self.multiprocessing_context
        if context is None and _in_mpi_job():
            context = "forkserver"  # forking a process that has started MPI is unsafe
        pool = WorkerPool(self.dataset, fetch, self.num_workers, init_fn=self.worker_init_fn,
                          base_seed=base_seed, timeout=self.timeout, context=context,
                          iterable=iterable)
        if self.persistent_workers and not iterable:
            self._pool = pool
        return pool

    def _to_device(self, t: Tensor) -> Tensor:
        if self.device is None or t.device == self.device:
            return t
        return _wrap(self.device.backend.asarray(t.device.backend.to_host(t.array)),
                     self.device)

    def _move(self, batch):
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            return self._to_device(batch)
        if isinstance(batch, dict):
            return {k: self._move(v) for k, v in batch.items()}
        if isinstance(batch, tuple | list):
            return type(batch)(self._move(v) for v in batch)
        return batch

    def __iter__(self) -> Iterator:
        batches = self._batches(self.epoch)
        self.epoch += 1
        if not self.progress:
            return batches
        desc = self.progress if isinstance(self.progress, str) else ""
        try:
            total = len(self)
        except TypeError:
            total = 0
        self.bar = _progress(batches, total, desc)
        return iter(self.bar)

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self._pool.close()
