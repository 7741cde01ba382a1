"""``ag.compile`` against the uncompiled step and hand-written NumPy (one thread).

    python -m benchmarks.compile_step            # both workloads, median of 7 blocks

* ``tiny_mlp``: MLP 64-32-10, batch 32, cross-entropy, one Adam step (ms), the same
  workload as ``python -m benchmarks.perf --suite tiny_mlp``.
* ``overhead``: ``c = a * b + a; c.sum().backward()`` on 1-element tensors (us), as
  ``--suite overhead``.

ratio = time / hand-written NumPy time: below 1 is faster than NumPy. Times are CPU
time of the process (time.process_time), steadier than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd as ag

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
    import nn
    import nn.functional as F
    import optim

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 64)).astype(np.float32)
    y_np = rng.integers(0, 10, 32)
    x, y = ag.tensor(x_np), ag.tensor(y_np)

    def make():
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
        opt = optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return step

    plain, compiled = make(), ag.compile(make())
    ref = NumpyMLP([64, 32, 10], np.random.default_rng(0))
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compile_step",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few iterations: a smoke test")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        for name, fn, unit, scale, number in (
                ("tiny_mlp 64-32-10 batch 32 Adam step", tiny_mlp, "ms", 1e3, 200),
                ("overhead c=a*b+a; c.sum().backward()", overhead, "us", 1e6, 5000)):
            r = fn(5 if args.quick else number)
            cells = ", ".join(f"{k} {v * scale:.3g} {unit} ({v / r['numpy']:.2f}x numpy)"
                              for k, v in r.items() if k != "numpy")
            print(f"{name}: numpy {r['numpy'] * scale:.3g} {unit}; {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
