"""Random sampling with explicit generators: ``Generator`` (seeded, one device, passed
as ``generator=``), and ``multinomial bernoulli poisson normal randint_like``.

Without ``generator=`` every function draws from the device backend's generator, the
one ``manual_seed`` seeds, so seeded programs give the same numbers as before. Samples
are not differentiable (PyTorch gives them no gradient either).
"""

from __future__ import annotations

import numpy as np

import backends

from . import dtypes
from .tensor import Tensor, _wrap


class Generator:
    """A random number generator for one device, as ``torch.Generator``::

        g = ag.Generator().manual_seed(0)
        ag.rand(3, generator=g)            # same numbers after every manual_seed(0)
        ag.multinomial(w, 2, generator=g)

    Its draws are independent of ``ag.manual_seed`` and of other generators.
    """

    def __init__(self, device="cpu"):
        self.device = backends.get_device(device)
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self._gen = None

    def manual_seed(self, seed: int) -> Generator:
        """Reset to the stream of ``seed``; returns the generator."""
        self._seed = int(seed)
        self._gen = None
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self._gen = None
        return self._seed

    def initial_seed(self) -> int:
        """The seed this generator's stream started from."""
        return self._seed

    def for_device(self, device):
        """The backend generator to draw from on ``device`` (which must be this one's)."""
        if device is not self.device:
            raise RuntimeError(f"generator is on {self.device} but the result is on {device}; "
                               f"make it with ag.Generator(device='{device}')")
        if self._gen is None:
            self._gen = self.device.backend.make_generator(self._seed)
        return self._gen

    def __repr__(self) -> str:
        return f"<autograd.Generator device='{self.device}' seed={self._seed}>"


def source(device, generator):
    """The backend generator a sampling function on ``device`` draws from."""
    if generator is None:
        return device.backend.generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got "
                        f"{type(generator).__name__}")
    return generator.for_device(device)


def _uniform(t: Tensor, shape, generator):
    return source(t.device, generator).random(shape, dtype=np.float64)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """``num_samples`` category indices (int64) per row of the non-negative weights
    ``input`` (1-D ``(n,)`` or 2-D ``(m, n)``); without replacement each category is
    drawn at most once."""
    w = input.array
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: input must be 1-D or 2-D, got shape "
                           f"{tuple(input.shape)}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial: input must be floating, got {input.dtype}")
    xp = input.device.backend.xp
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    m, n = rows.shape
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
        raise RuntimeError("multinomial: weights must be finite and non-negative")
    total = rows.sum(axis=1, keepdims=True)
    if bool((total <= 0).any()):
        raise RuntimeError("multinomial: every row of weights must have a positive sum")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
    if replacement:
        # inverse CDF: row r's CDF shifted to [r, r + 1] so one searchsorted serves all
        cdf = xp.cumsum(rows / total, axis=1)
        offset = xp.arange(m, dtype=np.float64)[:, None]
        u = _uniform(input, (m, num_samples), generator)
        idx = xp.searchsorted((cdf + offset).reshape(-1), (u + offset).reshape(-1),
                              side="right").reshape(m, num_samples) - xp.arange(m)[:, None] * n
        idx = xp.minimum(idx, n - 1)
    else:
        if num_samples > n or bool(((rows > 0).sum(axis=1) < num_samples).any()):
            raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without "
                               f"replacement from rows with fewer non-zero weights")
        # an exponential race: category i finishes at E_i / w_i; the first k win
        u = _uniform(input, (m, n), generator)
        with np.errstate(divide="ignore"):
            keys = -xp.log1p(-u) / rows
        idx = xp.argsort(keys, axis=1)[:, :num_samples]
    out = idx.astype(np.int64)
    return _wrap(out.reshape(num_samples) if w.ndim == 1 else out, input.device)


def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or the number ``p``) per element, else 0; in
    ``input``'s floating dtype."""
    probs = input.array if p is None else p
    if p is None and input.array.dtype.kind != "f":
        raise RuntimeError(f"bernoulli: probabilities must be floating, got {input.dtype}")
    xp = input.device.backend.xp
    pa = xp.asarray(probs)
    if bool(((pa < 0) | (pa > 1)).any()):
        raise RuntimeError("bernoulli: probabilities must lie in [0, 1]")
    u = _uniform(input, input.array.shape, generator)
    dt = input.array.dtype if input.array.dtype.kind == "f" else dtypes.get_default_dtype()
    return _wrap((u < pa).astype(dt), input.device)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """A Poisson sample of rate ``input`` per element, in ``input``'s dtype."""
    if bool((input.array < 0).any()):
        raise RuntimeError("poisson: rates must be non-negative")
    draws = source(input.device, generator).poisson(input.array)
    return _wrap(draws.astype(input.array.dtype), input.device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None,
           dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Normal samples with elementwise ``mean`` and ``std`` (numbers or tensors, which
    broadcast); with two numbers, ``size`` gives the shape."""
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if like is None:
        if size is None:
            raise TypeError("normal: with a number mean and std, size= is required")
        dev = backends.get_device(device)
        dt = dtypes.to_dtype(dtype) or dtypes.get_default_dtype()
        shape = tuple(size) if not isinstance(size, int) else (size,)
    else:
        dev = like.device
        dt = like.array.dtype if like.array.dtype.kind == "f" else dtypes.get_default_dtype()
        shape = np.broadcast_shapes(*(t.array.shape for t in (mean, std)
                                      if isinstance(t, Tensor)))
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if bool((dev.backend.xp.asarray(s) < 0).any()):
        raise RuntimeError("normal: std must be non-negative")
    z = source(dev, generator).standard_normal(shape, dtype=np.float64)
    out = _wrap((z * s + m).astype(dt), dev)
    return out.requires_grad_(True) if requires_grad else out


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, device=None,
                 generator: Generator | None = None) -> Tensor:
    """Integers uniform on ``[low, high)`` with ``input``'s shape (and dtype unless
    given); ``randint_like(x, high)`` starts at 0."""
    if high is None:
        low, high = 0, low
    dev = backends.get_device(device) if device is not None else input.device
    dt = dtypes.to_dtype(dtype) or input.array.dtype
    arr = source(dev, generator).integers(int(low), int(high), size=input.array.shape)
    return _wrap(dev.backend.xp.asarray(arr).astype(dt), dev)
