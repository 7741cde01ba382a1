"""``ag.compile`` against the uncompiled step and hand-written NumPy (one thread).

    python -m benchmarks.compile_step [--runs 3]   # every workload, median of 7 blocks

* ``tiny_mlp``: MLP 64-32-10, batch 32, cross-entropy, one Adam step (ms), the same
  workload as ``python -m benchmarks.perf --suite tiny_mlp``.
* ``mlp``: MLP 784-512-512-10, batch 128, cross-entropy, one Adam step (ms), as
  ``--suite mlp``.
* ``cnn``: the digits CNN step of ``benchmarks.cnn_step`` (SGD, batch 64x1x28x28),
  against PyTorch's same step when torch is installed (ms).
* ``overhead``: ``c = a * b + a; c.sum().backward()`` on 1-element tensors (us), as
  ``--suite overhead``.

ratio = time / reference time (hand-written NumPy, or PyTorch for the CNN): below 1 is
faster than the reference. Times are CPU time of the process (time.process_time),
steadier than wall time on a shared machine; everything runs on one thread. With
``--runs N`` the whole set runs N times and each ratio is given as min/median/max.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd as ag

from .machine import blas_summary
from .perf import NumpyMLP


def _median(fn, number, repeat=7, warmup=3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(number):
            fn()
        times.append((time.process_time() - t0) / number)
    return float(np.median(times))


def tiny_mlp(number: int) -> dict:
    return _mlp([64, 32, 10], 32, number)


def mlp(number: int) -> dict:
    return _mlp([784, 512, 512, 10], 128, number)


def _mlp(sizes, batch, number: int) -> dict:
    import nn
    import nn.functional as F
    import optim

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y_np = rng.integers(0, sizes[-1], batch)
    x, y = ag.tensor(x_np), ag.tensor(y_np)

    def make():
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
        model = nn.Sequential(*layers)
        opt = optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return step

    plain, compiled = make(), ag.compile(make())
    ref = NumpyMLP(sizes, np.random.default_rng(0))
    return {"uncompiled": _median(lambda: plain(x, y), number),
            "compiled": _median(lambda: compiled(x, y), number),
            "numpy": _median(lambda: ref.step(x_np, y_np), number)}


def overhead(number: int) -> dict:
    a = ag.tensor([1.5], requires_grad=True)
    b = ag.tensor([-0.5], requires_grad=True)

    def step():
        c = a * b + a
        c.sum().backward()

    compiled = ag.compile(step)
    an, bn = np.array([1.5], np.float32), np.array([-0.5], np.float32)
    ga, gb = np.zeros(1, np.float32), np.zeros(1, np.float32)

    def numpy_ref():  # the same as benchmarks.perf's overhead reference
        c = an * bn + an
        c.sum()
        g = np.ones_like(c)
        ga.__iadd__(g * bn + g)
        gb.__iadd__(g * an)

    return {"uncompiled": _median(step, number), "compiled": _median(compiled, number),
            "numpy": _median(numpy_ref, number)}


def cnn(number: int) -> dict:
    from . import cnn_step

    plain = cnn_step.ours_step()
    compiled = ag.compile(cnn_step.ours_step())
    out = {"uncompiled": _median(plain, number), "compiled": _median(compiled, number)}
    torch_step = cnn_step.torch_step()
    if torch_step is not None:
        import torch

        torch.set_num_threads(1)
        out["torch"] = _median(torch_step, number)
    return out


WORKLOADS = (  # name, function, unit, scale, iterations per block, reference
    ("tiny_mlp 64-32-10 batch 32 Adam step", tiny_mlp, "ms", 1e3, 200, "numpy"),
    ("mlp 784-512-512-10 batch 128 Adam step", mlp, "ms", 1e3, 10, "numpy"),
    ("cnn digits step batch 64 SGD", cnn, "ms", 1e3, 3, "torch"),
    ("overhead c=a*b+a; c.sum().backward()", overhead, "us", 1e6, 5000, "numpy"),
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compile_step",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few iterations: a smoke test")
    p.add_argument("--runs", type=int, default=1, help="run the whole set N times")
    p.add_argument("--only", default="", help="comma-separated workload names (prefixes)")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    from .cnn_step import _limit_threads

    _limit_threads(1)  # numba's parallel loops (conv, Adam) and torch: one thread too
    only = [w for w in args.only.split(",") if w]
    chosen = [w for w in WORKLOADS if not only or any(w[0].startswith(o) for o in only)]
    if args.quick:  # the smoke test: the small workloads only
        chosen = [w for w in chosen if w[1] in (tiny_mlp, overhead)]
    ratios: dict = {}
    print(blas_summary())
    with threadpool_limits(limits=1):
        for run in range(args.runs):
            for name, fn, unit, scale, number, ref in chosen:
                r = fn(2 if args.quick else number)
                if ref not in r:
                    ref = None
                cells = ", ".join(
                    f"{k} {v * scale:.3g} {unit}" + (f" ({v / r[ref]:.2f}x {ref})" if ref
                                                     else "")
                    for k, v in r.items() if k != ref)
                head = f"{ref} {r[ref] * scale:.3g} {unit}; " if ref else "(no reference) "
                print(f"[run {run + 1}] {name}: {head}{cells}", flush=True)
                for k, v in r.items():
                    if ref and k != ref:
                        ratios.setdefault((name, k, ref), []).append(v / r[ref])
    if args.runs > 1:
        print(f"ratios over {args.runs} runs (min / median / max):")
        for (name, k, ref), v in ratios.items():
            print(f"  {name}: {k} {min(v):.2f} / {float(np.median(v)):.2f} / "
                  f"{max(v):.2f}x {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
