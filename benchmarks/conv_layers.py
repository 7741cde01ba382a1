"""conv2d forward + backward per layer shape: the Winograd F(2x2, 3x3) path against the
im2col path, in one process, one thread, CPU time (``conv.WINOGRAD_MIN_CHANNELS``
switches the path).

    python -m benchmarks.conv_layers [--repeats 15]

ratio = Winograd time / im2col time (below 1: Winograd is faster). The threshold
``WINOGRAD_MIN_CHANNELS`` in ``nn/functional/conv.py`` comes from these rows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd as ag
import nn.functional as F
from nn.functional import conv

from .cnn_step import _limit_threads
from .machine import blas_summary

# (batch, in channels, out channels, height = width)
SHAPES = [(64, 3, 32, 28), (64, 4, 4, 28), (64, 8, 8, 28), (64, 16, 16, 14),
          (64, 16, 32, 28), (64, 32, 16, 14), (64, 32, 64, 14), (64, 64, 64, 14),
          (8, 128, 128, 7)]


def _min_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.conv_layers",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args(argv)
    print(blas_summary())
    rng = np.random.default_rng(0)
    saved = conv.WINOGRAD_MIN_CHANNELS
    try:
        with _limit_threads(1):
            for n, c, o, hw in SHAPES:
                x = ag.tensor(rng.standard_normal((n, c, hw, hw)).astype(np.float32),
                              requires_grad=True)
                w = ag.tensor(rng.standard_normal((o, c, 3, 3)).astype(np.float32),
                              requires_grad=True)

                def step(x=x, w=w):
                    F.conv2d(x, w, padding=1).sum().backward()

                ms = {}
                for path, threshold in (("im2col", 10 ** 9), ("winograd", 1)):
                    conv.WINOGRAD_MIN_CHANNELS = threshold
                    ms[path] = 1e3 * _min_time(step, args.repeats)
                print(f"conv2d 3x3 {c:>3} -> {o:<3} on {n}x{c}x{hw}x{hw}: im2col "
                      f"{ms['im2col']:6.2f} ms, Winograd {ms['winograd']:6.2f} ms, ratio "
                      f"{ms['winograd'] / ms['im2col']:.2f}x", flush=True)
    finally:
        conv.WINOGRAD_MIN_CHANNELS = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
