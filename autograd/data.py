"""Datasets and a batching ``DataLoader`` with reproducible shuffling and a progress bar.

    ds = ag.data.TensorDataset(x, y)                 # x: (N, ...), y: (N, ...)
    loader = ag.data.DataLoader(ds, batch_size=64, shuffle=True, seed=0,
                                progress="train")
    for epoch in range(10):
        loader.set_epoch(epoch)                      # order depends on (seed, epoch) only
        for xb, yb in loader: ...

A :class:`TensorDataset` is batched by fancy-indexing its whole arrays (one gather per
tensor per batch, no per-sample Python); other datasets (anything with
``__getitem__`` and ``__len__``) are fetched sample by sample and collated by stacking.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

import backends

from .tensor import Tensor, _wrap

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate", "random_split",
           "Subset"]


class Dataset:
    """Base class of map-style datasets: ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


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
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset, lengths: Sequence[int], seed: int = 0) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths."""
    lengths = [int(n) for n in lengths]
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)} but the "
                         f"dataset has {len(dataset)} samples")
    perm = np.random.default_rng(seed).permutation(len(dataset))
    out, start = [], 0
    for n in lengths:
        out.append(Subset(dataset, perm[start:start + n]))
        start += n
    return out


def default_collate(samples: list):
    """Stack a list of samples into a batch: Tensors and arrays along a new axis 0,
    numbers into a 1-d Tensor (int64 / float32 / bool), tuples/lists/dicts element-wise.
    """
    first = samples[0]
    if isinstance(first, Tensor):
        xp = first.device.backend.xp
        return _wrap(xp.stack([s.data for s in samples]), first.device)
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


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset: a :class:`TensorDataset` (batched by whole-array indexing) or any
            object with ``__getitem__`` and ``__len__`` (batched by ``collate_fn``).
        batch_size: samples per batch (default 1).
        shuffle: a new random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: with ``shuffle``, the order of epoch ``e`` is a permutation drawn from
            ``numpy.random.default_rng([seed, e])``: it depends on (seed, epoch) only,
            so a resumed run sees exactly the batches of an uninterrupted one. The
            epoch counts the iterations started, or is set by :meth:`set_epoch`.
        generator: instead of a seed, a ``numpy.random.Generator`` to draw orders from
            (its state advances each epoch). Without both, the CPU backend's generator
            (seeded by ``ag.manual_seed``) is used.
        device: move every batch to this device (default: leave tensors where they are).
        progress: False, True, or a description string: show a progress bar (tqdm
            when installed, else a small text bar on stderr). While iterating,
            ``loader.bar`` is the bar (``loader.bar.set_postfix(loss=...)``).
        collate_fn: batches samples of a generic dataset (default
            :func:`default_collate`).

    Yields: for a TensorDataset, a tuple of Tensors of shape (B, ...) each (B =
    batch_size, smaller for the last batch unless ``drop_last``).
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, *, seed: int | None = None,
                 generator: np.random.Generator | None = None, device=None,
                 progress: bool | str = False,
                 collate_fn: Callable[[list], Any] | None = None):
        if not (isinstance(batch_size, int | np.integer) and batch_size >= 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give either seed or generator, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.generator = generator
        self.device = backends.get_device(device) if device is not None else None
        self.progress = progress
        self.collate_fn = collate_fn or default_collate
        self.epoch = 0
        self.bar = None

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order of ``epoch`` (with ``seed``)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.seed is not None:
            rng = np.random.default_rng([int(self.seed), self.epoch])
        elif self.generator is not None:
            rng = self.generator
        else:
            rng = backends.get_device("cpu").backend.generator
        return rng.permutation(n)

    def _batches(self, order: np.ndarray) -> Iterator:
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        ds = self.dataset
        if isinstance(ds, TensorDataset):
            # one gather per tensor per batch, no per-sample Python
            for start in range(0, stop, bs):
                idx = order[start:start + bs]
                out = []
                for t in ds.tensors:
                    if t.device.type == "cpu":
                        arr = t.data[idx]
                    else:
                        arr = t.data[t.device.backend.asarray(idx)]
                    out.append(self._to_device(_wrap(arr, t.device)))
                yield tuple(out)
            return
        for start in range(0, stop, bs):
            batch = self.collate_fn([ds[int(i)] for i in order[start:start + bs]])
            yield self._move(batch)

    def _to_device(self, t: Tensor) -> Tensor:
        if self.device is None or t.device == self.device:
            return t
        return _wrap(self.device.backend.asarray(t.device.backend.to_host(t.data)),
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
        order = self._order()
        self.epoch += 1
        batches = self._batches(order)
        if not self.progress:
            return batches
        desc = self.progress if isinstance(self.progress, str) else ""
        self.bar = _progress(batches, len(self), desc)
        return iter(self.bar)
