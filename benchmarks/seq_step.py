"""Sequence-model training steps, ours against PyTorch on the CPU, in one process.

    PYTHONPATH=. python -m benchmarks.seq_step                 # both models
    PYTHONPATH=. python -m benchmarks.seq_step --model lstm --steps 20 --threads 1

Models (float32, forward + backward of ``output.sum()``, parameter gradients zeroed
between steps):

* ``lstm``: ``nn.LSTM(64, 256)`` on a (50, 32, 64) sequence (seq 50, batch 32).
* ``transformer``: ``nn.TransformerEncoderLayer(128, 4, batch_first=True)``
  (dim_feedforward 2048, dropout 0.1, training mode) on (32, 64, 128).

Both libraries get the same number of BLAS/OpenMP threads (``--threads``; default: what
each uses by itself) and run interleaved, so a busy machine slows both alike. Reported:
median ms per step for each, the ratio ours / torch, and our forward / backward split.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time

import numpy as np

import autograd as ag
import nn


def _limit_threads(threads: int | None):
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def _ours(model: str):
    ag.manual_seed(0)
    if model == "lstm":
        m = nn.LSTM(64, 256)
        x = ag.randn(50, 32, 64, requires_grad=True)

        def fwd():
            return m(x)[0]
    else:
        m = nn.TransformerEncoderLayer(128, 4, batch_first=True)
        x = ag.randn(32, 64, 128, requires_grad=True)

        def fwd():
            return m(x)
    return m, x, fwd


def _theirs(model: str, ours):
    import torch

    if model == "lstm":
        m = torch.nn.LSTM(64, 256)
        x = torch.randn(50, 32, 64, requires_grad=True)

        def fwd():
            return m(x)[0]
    else:
        m = torch.nn.TransformerEncoderLayer(128, 4, batch_first=True)
        x = torch.randn(32, 64, 128, requires_grad=True)

        def fwd():
            return m(x)
    # same weights, so both do the same arithmetic
    m.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                       for k, v in ours.state_dict().items()})
    return m, x, fwd


def _time_step(module, fwd, zero):
    zero()
    t0 = time.perf_counter()
    out = fwd()
    t1 = time.perf_counter()
    out.sum().backward()
    t2 = time.perf_counter()
    return (t2 - t0) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3


def run(model: str = "lstm", steps: int = 20, warmup: int = 3, threads: int | None = None,
        compare: bool = True) -> dict:
    """Time ``steps`` training steps of ``model`` ("lstm" or "transformer").

    Returns a dict: model, shape description, steps, threads, ours_ms (median step),
    ours_forward_ms, ours_backward_ms and, when torch is importable and ``compare``,
    torch_ms, torch_forward_ms, torch_backward_ms and ratio (ours / torch).
    """
    if model not in ("lstm", "transformer"):
        raise ValueError(f"seq_step.run: model must be 'lstm' or 'transformer', got {model!r}")
    torch = None
    if compare:
        try:
            import torch
        except ImportError:
            torch = None
    with _limit_threads(threads):
        prev_threads = None
        if torch is not None and threads is not None:
            prev_threads = torch.get_num_threads()
            torch.set_num_threads(threads)
        try:
            ours_m, _, ours_fwd = _ours(model)
            ours_m.train()
            runners = [("ours", ours_m, ours_fwd, lambda: ours_m.zero_grad())]
            if torch is not None:
                tm, _, t_fwd = _theirs(model, ours_m)
                tm.train()
                runners.append(("torch", tm, t_fwd, lambda: tm.zero_grad()))
            times = {name: [] for name, *_ in runners}
            for i in range(warmup + steps):
                for name, m, fwd, zero in runners:  # interleaved: load hits both alike
                    t = _time_step(m, fwd, zero)
                    if i >= warmup:
                        times[name].append(t)
        finally:
            if prev_threads is not None:
                torch.set_num_threads(prev_threads)
    desc = ("LSTM(64, 256), seq 50, batch 32" if model == "lstm" else
            "TransformerEncoderLayer(128, 4, ff 2048), seq 64, batch 32")
    result = {"model": model, "config": desc, "steps": steps, "threads": threads}
    for name, ts in times.items():
        result[f"{name}_ms"] = statistics.median(t[0] for t in ts)
        result[f"{name}_forward_ms"] = statistics.median(t[1] for t in ts)
        result[f"{name}_backward_ms"] = statistics.median(t[2] for t in ts)
    if "torch_ms" in result:
        result["ratio"] = result["ours_ms"] / result["torch_ms"]
    return result


def _print(r: dict) -> None:
    line = (f"{r['config']:<58} ours {r['ours_ms']:8.1f} ms "
            f"(fwd {r['ours_forward_ms']:.1f} / bwd {r['ours_backward_ms']:.1f})")
    if "torch_ms" in r:
        line += (f"  torch {r['torch_ms']:8.1f} ms (fwd {r['torch_forward_ms']:.1f} / bwd "
                 f"{r['torch_backward_ms']:.1f})  ratio {r['ratio']:.2f}x")
    print(line)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["lstm", "transformer", "both"], default="both")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads for both libraries (default: their own)")
    p.add_argument("--no-torch", action="store_true", help="time ours only")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    models = ["lstm", "transformer"] if args.model == "both" else [args.model]
    results = [run(m, args.steps, args.warmup, args.threads, not args.no_torch)
               for m in models]
    for r in results:
        _print(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
