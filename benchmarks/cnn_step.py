"""One training step of a small CNN, against PyTorch on the CPU in the same process.

The workload (64 x 1 x 28 x 28 batch, MNIST-sized)::

    conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU -
    maxpool 2 - flatten - linear(64*7*7 -> 10) - cross_entropy - SGD step

Run ``python -m benchmarks.cnn_step [--repeats N] [--device cpu|cuda] [--profile]``; it
prints milliseconds per step for both libraries and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

BATCH, CLASSES = 64, 10


def _model(nn):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, CLASSES),
    )


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=BATCH)
    return x, y


def _timed(step, repeats: int, warmup: int, sync=lambda: None) -> float:
    """Median milliseconds per call over ``repeats`` calls after ``warmup`` calls (the
    median, because the machine may be shared)."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def ours_step(device: str = "cpu"):
    """A closure running one training step of this library's model on ``device``."""
    import autograd as ag
    import nn
    import nn.functional as F
    import optim

    ag.manual_seed(0)
    model = _model(nn).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01)
    xh, yh = _data()
    x, y = ag.tensor(xh, device=device), ag.tensor(yh, device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_step():
    """The same step in PyTorch (CPU), or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = _model(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xh, yh = _data()
    x, y = torch.from_numpy(xh), torch.from_numpy(yh)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def run(device: str = "cpu", repeats: int = 30, warmup: int = 3) -> dict:
    """Time both libraries; returns ``{"ours_ms", "torch_ms", "ratio", "device", ...}``
    (torch entries None when torch is missing)."""
    sync = lambda: None  # noqa: E731
    if device.startswith("cuda"):
        import cupy

        sync = cupy.cuda.Device().synchronize
    ours = _timed(ours_step(device), repeats, warmup, sync)
    ref = torch_step()
    theirs = _timed(ref, repeats, warmup) if ref is not None else None
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        threads = None
    return {
        "workload": "CNN train step, batch 64x1x28x28",
        "device": device,
        "repeats": repeats,
        "ours_ms": ours,
        "torch_cpu_ms": theirs,
        "ratio": None if theirs is None else ours / theirs,
        "torch_threads": threads,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of our steps (sorted by own time)")
    args = parser.parse_args(argv)
    if args.profile:
        import cProfile
        import pstats

        step = ours_step(args.device)
        step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.repeats):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return
    r = run(args.device, args.repeats)
    print(f"{r['workload']} on {r['device']}: ours {r['ours_ms']:.2f} ms/step")
    if r["torch_cpu_ms"] is not None:
        print(f"torch (CPU, {r['torch_threads']} threads): {r['torch_cpu_ms']:.2f} ms/step; "
              f"ratio ours/torch = {r['ratio']:.2f}x")


if __name__ == "__main__":
    main()
