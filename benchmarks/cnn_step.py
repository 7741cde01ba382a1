"""One training step of a small CNN, against PyTorch on the CPU in the same process.

The workload (64 x 1 x 28 x 28 batch, MNIST-sized)::

    conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU -
    maxpool 2 - flatten - linear(64*7*7 -> 10) - cross_entropy - SGD step

Run ``python -m benchmarks.cnn_step [--repeats N] [--device cpu|cuda] [--threads T]
[--buffer-cache-mb MB] [--profile]``; it prints milliseconds per step for both libraries
and the ratio. The layer kernels take their large arrays from the device's buffer cache
(``backends/buffers.py``); ``--buffer-cache-mb 0`` measures the step without it.
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


def _timed(step, repeats: int, warmup: int, sync=lambda: None) -> tuple[float, float]:
    """(wall, cpu) milliseconds per call, medians over ``repeats`` calls after ``warmup``.

    The process CPU time is the steadier number on a shared machine; with one thread it
    is the work done, with more it also counts threads spinning in wait.
    """
    for _ in range(warmup):
        step()
    sync()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        sync()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1000.0 * float(np.median(wall)), 1000.0 * float(np.median(cpu))


def _limit_threads(threads: int | None):
    """Limit BLAS, numba and torch to ``threads`` threads (None: leave the defaults)."""
    if threads is None:
        return None
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(threads)


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


def run(device: str = "cpu", repeats: int = 30, warmup: int = 3,
        threads: int | None = None) -> dict:
    """Time both libraries in this process.

    Returns ``{"ours_ms", "torch_cpu_ms", "ratio", "ours_cpu_time_ms",
    "torch_cpu_time_ms", "cpu_time_ratio", ...}``: medians of wall-clock and of process
    CPU time per step (torch entries None when torch is missing). ``threads`` limits
    BLAS, numba and torch alike (e.g. 1 for a like-for-like single-core comparison).
    """
    sync = lambda: None  # noqa: E731
    if device.startswith("cuda"):
        import cupy

        sync = cupy.cuda.Device().synchronize
    limit = _limit_threads(threads)
    try:
        ours, ours_cpu = _timed(ours_step(device), repeats, warmup, sync)
        ref = torch_step()
        theirs, theirs_cpu = _timed(ref, repeats, warmup) if ref is not None else (None, None)
        try:
            import torch

            torch_threads = torch.get_num_threads()
        except ImportError:
            torch_threads = None
    finally:
        if limit is not None:
            limit.unregister()
    return {
        "workload": "CNN train step, batch 64x1x28x28",
        "device": device,
        "repeats": repeats,
        "ours_ms": ours,
        "torch_cpu_ms": theirs,
        "ratio": None if theirs is None else ours / theirs,
        "ours_cpu_time_ms": ours_cpu,
        "torch_cpu_time_ms": theirs_cpu,
        "cpu_time_ratio": None if theirs_cpu is None else ours_cpu / theirs_cpu,
        "torch_threads": torch_threads,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS, numba and torch to this many threads")
    parser.add_argument("--reuse-freed-memory", action="store_true",
                        help="call backends.reuse_freed_memory() first (glibc mmap/trim "
                             "thresholds: no page faults on fresh buffers each step)")
    parser.add_argument("--buffer-cache-mb", type=float, default=None,
                        help="bound of the device's kernel buffer cache (0: off; default: "
                             "the backend's, 256 MiB on the CPU)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of our steps (sorted by own time)")
    args = parser.parse_args(argv)
    if args.reuse_freed_memory:
        import backends

        print(f"reuse_freed_memory: {backends.reuse_freed_memory()}")
    if args.buffer_cache_mb is not None:
        import backends

        cache = backends.get_device(args.device).backend.buffers
        cache.max_bytes = int(args.buffer_cache_mb * (1 << 20))
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
    r = run(args.device, args.repeats, threads=args.threads)
    from .machine import blas_summary

    print(blas_summary())
    print(f"{r['workload']} on {r['device']}: ours {r['ours_ms']:.2f} ms/step "
          f"(CPU time {r['ours_cpu_time_ms']:.2f} ms)")
    if r["torch_cpu_ms"] is not None:
        print(f"torch (CPU, {r['torch_threads']} threads): {r['torch_cpu_ms']:.2f} ms/step "
              f"(CPU time {r['torch_cpu_time_ms']:.2f} ms); ratio ours/torch = "
              f"{r['ratio']:.2f}x wall, {r['cpu_time_ratio']:.2f}x CPU time")


if __name__ == "__main__":
    main()
