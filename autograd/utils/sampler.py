"""Samplers: which dataset indices a ``DataLoader`` visits, in which order (PyTorch's names).

    sampler = RandomSampler(ds, generator=np.random.default_rng(0))
    loader = DataLoader(ds, batch_size=32, sampler=sampler)
    # one shard per process of a distributed job, reshuffled by set_epoch:
    sampler = DistributedSampler(ds, shuffle=True, seed=0)
    for epoch in range(10):
        sampler.set_epoch(epoch)
        for xb, yb in DataLoader(ds, batch_size=32, sampler=sampler): ...

Random draws come from the ``generator=`` passed (an ``ag.Generator`` or a
``numpy.random.Generator``), else from a fresh one seeded from the CPU backend's
generator (``ag.manual_seed``) at each iteration, as PyTorch draws a seed from its
default generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

import backends

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]


def _check_generator(generator, who: str):
    from ..random import Generator

    if generator is not None and not isinstance(generator, np.random.Generator | Generator):
        raise TypeError(f"{who}: generator must be an autograd.Generator, a "
                        f"numpy.random.Generator or None, got {type(generator).__name__}")
    if isinstance(generator, Generator) and generator.device.type != "cpu":
        raise ValueError(f"{who}: the generator must be on the CPU (indices are drawn "
                         f"there), got one on {generator.device}")
    return generator


def _rng(generator) -> np.random.Generator:
    """The generator to draw one iteration's order from (an ``ag.Generator`` is read at
    each draw, so its ``manual_seed`` takes effect)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None:
        return generator.for_device(backends.get_device("cpu"))
    seed = backends.get_device("cpu").backend.generator.integers(0, 2 ** 63 - 1)
    return np.random.default_rng(int(seed))


def _check_count(value, name: str, who: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or (
            value < 0 or (value == 0 and not allow_zero)):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{who}: {name} should be a {kind} integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: ``__iter__`` yields dataset indices; ``__len__`` says how many."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no len()")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or with ``replacement=True``
    ``num_samples`` indices drawn uniformly with replacement."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean, got "
                            f"{replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = (None if num_samples is None else
                             _check_count(num_samples, "num_samples", "RandomSampler"))
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n) if n else 0  # num_samples may exceed n
        order = np.concatenate([rng.permutation(n) for _ in range(reps)] or [np.arange(0)])
        return iter(order[:self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (without replacement)."""

    def __init__(self, indices: Sequence[int], generator=None):
        self.indices = indices
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        perm = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in perm])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))`` drawn with probabilities
    proportional to ``weights`` (with or without replacement)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator=None):
        num_samples = _check_count(num_samples, "num_samples", "WeightedRandomSampler")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean, got "
                             f"{replacement!r}")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1-d sequence, got "
                             f"shape {w.shape}")
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative "
                             "and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples "
                             f"without replacement from {np.count_nonzero(w)} non-zero "
                             "weights")
        self.weights, self.num_samples = w, num_samples
        self.replacement = replacement
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        idx = _rng(self.generator).choice(len(p), self.num_samples, replace=self.replacement,
                                          p=p)
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one
    shorter unless ``drop_last``)."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool):
        self.batch_size = _check_count(batch_size, "batch_size", "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean, got {drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """The shard of a dataset that one process of a distributed job visits.

    Every rank sees ``num_samples = ceil(len / num_replicas)`` indices (padded by
    repeating the first ones) or, with ``drop_last``, ``floor`` of it (the tail
    dropped), so every rank runs the same number of steps. With ``shuffle`` the order
    is a permutation drawn from ``numpy.random.default_rng([seed, epoch])``, the same on
    every rank; call :meth:`set_epoch` at each epoch. Rank ``r`` takes positions
    ``r, r + num_replicas, ...`` of it, as PyTorch's.

    ``num_replicas`` and ``rank`` default to the process group's world size and rank.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from .. import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "autograd.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas = _check_count(num_replicas, "num_replicas", "DistributedSampler")
        rank = _check_count(rank, "rank", "DistributedSampler", allow_zero=True)
        if rank >= num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in "
                             f"the interval [0, {num_replicas - 1}]")
        self.seed = _check_count(seed, "seed", "DistributedSampler", allow_zero=True)
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:  # pad with the first indices (repeated if need be)
            indices = np.resize(indices, self.total_size)
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` in the next iteration (with ``shuffle``)."""
        self.epoch = int(epoch)
