"""Distributed training figures: all-reduce bandwidth, DDP overlap, digits-CNN scaling.

    python -m benchmarks.dist_bench                 # all three parts, each under mpiexec
    python -m benchmarks.dist_bench allreduce       # one part
    mpiexec -n 2 python -m benchmarks.dist_bench allreduce   # launched by hand

Parts (one thread per process; each figure the best of several timed runs, the least
disturbed by other programs on a shared machine):

* ``allreduce``: ``autograd.distributed.all_reduce`` of a float32 CPU Tensor against raw
  mpi4py ``Allreduce`` on the same buffer, 1 KB to 64 MB, 2 processes: time per call,
  bus bandwidth (2 (n - 1) / n * bytes / time) and the ratio (goal >= 0.9x).
* ``ddp``: one training step of an MLP (1024-1024-1024-1024-10, 3.2 M parameters) with
  ``DistributedDataParallel`` (bucket all-reduces started during backward) against the
  same step with one blocking all-reduce of all gradients after backward.
* ``scaling``: an epoch of the digits CNN (the example's model, batch 32 per process)
  on 1 and on 2 processes: seconds per epoch and speed-up.
* ``zero``: Adam's state per process for the MLP above, plain and sharded by
  ``optim.ZeroRedundancyOptimizer``, and the step time of each.

Run it without mpiexec and it launches each part itself (``mpiexec -n 2``; the scaling
part also ``-n 1``) and prints the tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

PARTS = ("allreduce", "ddp", "scaling", "zero")


def _best_time(fn, calls: int, comm, samples: int = 5) -> float:
    """Seconds per call: ``calls`` calls in a row, timed, ``samples`` times, every rank
    starting together; the fastest sample (the least disturbed by other programs on a
    shared machine), of the slowest rank (a collective is as slow as its last rank)."""
    from mpi4py import MPI

    best = float("inf")
    for _ in range(samples):
        comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    out = np.array([best])
    comm.Allreduce(MPI.IN_PLACE, out, MPI.MAX)
    return float(out[0])


def part_allreduce(comm, rank, world) -> None:
    from mpi4py import MPI

    import autograd as ag
    import autograd.distributed as dist

    if rank == 0:
        print("| size | raw Allreduce | autograd all_reduce | bus bandwidth (ours) | ratio |")
        print("|---:|---:|---:|---:|---:|")
    for size in [1 << k for k in range(10, 27, 2)]:  # 1 KB .. 64 MB
        n = size // 4
        a = np.ones(n, np.float32)
        t = ag.from_numpy(np.ones(n, np.float32))
        calls = max(2, min(5000, (1 << 26) // size))  # samples of 15 ms and more
        for _ in range(3):  # warm both paths
            comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM)
            dist.all_reduce(t)
        # alternate the two, so a noisy neighbour hits both alike
        raw = ours = float("inf")
        for _ in range(3):
            raw = min(raw, _best_time(lambda a=a: comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM),
                                      calls, comm))
            ours = min(ours, _best_time(lambda t=t: dist.all_reduce(t), calls, comm))
        bus = 2 * (world - 1) / world * size / ours / 1e9
        if rank == 0:
            label = f"{size >> 10} KB" if size < (1 << 20) else f"{size >> 20} MB"
            print(f"| {label} | {raw * 1e6:.1f} us | {ours * 1e6:.1f} us | {bus:.2f} GB/s | "
                  f"{raw / ours:.2f}x |", flush=True)


def part_ddp(comm, rank, world) -> None:
    import autograd as ag
    import autograd.distributed as dist
    import nn
    import nn.functional as F
    from nn.parallel import DistributedDataParallel as DDP

    def mlp():
        ag.manual_seed(0)
        return nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024),
                             nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                             nn.Linear(1024, 10))

    g = np.random.default_rng(rank)
    x = ag.tensor(g.normal(size=(64, 1024)).astype(np.float32))
    y = ag.tensor(g.integers(0, 10, 64))
    ddp = DDP(mlp())
    plain = mlp()
    params = list(plain.parameters())
    flat = ag.zeros(sum(p.numel() for p in params))

    def step_ddp():
        ddp.zero_grad()
        F.cross_entropy(ddp(x), y).backward()

    def step_blocking():  # backward first, then one all-reduce of every gradient
        plain.zero_grad()
        F.cross_entropy(plain(x), y).backward()
        off = 0
        for p in params:
            k = p.numel()
            flat.array[off:off + k] = p.grad.array.reshape(-1)
            off += k
        dist.all_reduce(flat)
        flat.array /= world
        off = 0
        for p in params:
            k = p.numel()
            p.grad.array[...] = flat.array[off:off + k].reshape(p.shape)
            off += k

    def step_local():  # no communication at all: the floor
        plain.zero_grad()
        F.cross_entropy(plain(x), y).backward()

    for f in (step_ddp, step_blocking, step_local):
        for _ in range(3):
            f()
    best = {}
    for _ in range(3):
        for name, f in (("ddp", step_ddp), ("blocking", step_blocking), ("local", step_local)):
            best[name] = min(best.get(name, float("inf")), _best_time(f, 5, comm))
    if rank == 0:
        n = sum(p.numel() for p in params)
        print(f"MLP {n / 1e6:.1f} M parameters ({n * 4 / 2**20:.1f} MB of gradients), batch 64 "
              f"per process, {world} processes, {len(ddp._buckets)} DDP buckets")
        print("| step (forward + backward + gradient averaging) | ms |")
        print("|---|---:|")
        print(f"| DDP, all-reduce overlapping backward | {best['ddp'] * 1e3:.1f} |")
        print(f"| blocking all-reduce after backward | {best['blocking'] * 1e3:.1f} |")
        print(f"| no communication (floor) | {best['local'] * 1e3:.1f} |", flush=True)


def part_scaling(comm, rank, world) -> None:
    _scaling(comm, rank, world, sync_bn=True)
    if world > 1:  # what the per-step collectives of SyncBatchNorm and buffers cost
        _scaling(comm, rank, world, sync_bn=False)


def _scaling(comm, rank, world, sync_bn: bool) -> None:
    from sklearn.datasets import load_digits

    import autograd as ag
    import autograd.distributed as dist
    import nn
    import nn.functional as F
    import optim
    from autograd.utils.data import DataLoader, DistributedSampler, TensorDataset
    from nn.parallel import DistributedDataParallel as DDP

    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean()) / x.std()).astype(np.float32).reshape(-1, 1, 8, 8)
    ds = TensorDataset(ag.tensor(x), ag.tensor(y))
    ag.manual_seed(0)
    width = 32  # examples/train_digits_cnn.py's model
    model = nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * width * 2 * 2, 10))
    if world > 1:
        model = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync_bn else model,
                    broadcast_buffers=sync_bn)
        loader = DataLoader(ds, batch_size=32, sampler=DistributedSampler(ds, seed=0))
    else:
        loader = DataLoader(ds, batch_size=32, shuffle=True, seed=0)
    opt = optim.Adam(model.parameters(), lr=2e-3)

    def epoch():
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()

    epoch()  # warm-up (numba kernels, allocator)
    t = _best_time(epoch, 1, comm, samples=3)
    if rank == 0:
        how = ("one process" if world == 1 else "DDP + SyncBatchNorm" if sync_bn else
               "DDP, local BatchNorm, broadcast_buffers=False")
        print(f"| {world} | {how} | {len(loader)} | {t:.2f} |", flush=True)
    if world > 1:
        dist.barrier()


def part_zero(comm, rank, world) -> None:
    import autograd as ag
    import nn
    import nn.functional as F
    import optim
    from nn.parallel import DistributedDataParallel as DDP

    def mlp():
        ag.manual_seed(0)
        return DDP(nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024),
                                 nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                                 nn.Linear(1024, 10)))

    g = np.random.default_rng(rank)
    x = ag.tensor(g.normal(size=(64, 1024)).astype(np.float32))
    y = ag.tensor(g.integers(0, 10, 64))
    rows = []
    for name, make in (("Adam", lambda ps: optim.Adam(ps, lr=1e-3)),
                       ("ZeroRedundancyOptimizer(Adam)",
                        lambda ps: optim.ZeroRedundancyOptimizer(ps, optim.Adam, lr=1e-3))):
        model = mlp()
        opt = make(model.parameters())

        def step(model=model, opt=opt):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        for _ in range(3):
            step()
        t = _best_time(step, 5, comm)
        mine = sum(v.array.nbytes for s in opt.state.values() for v in s.values()
                   if isinstance(v, ag.Tensor))
        per_rank = np.zeros(world, np.int64)
        comm.Allgather(np.array([mine], np.int64), per_rank)
        rows.append((name, per_rank, t))
    if rank == 0:
        print("| optimizer | state per process (MB) | step (ms) |")
        print("|---|---:|---:|")
        for name, per_rank, t in rows:
            mb = " / ".join(f"{b / 2**20:.1f}" for b in per_rank)
            print(f"| {name} | {mb} | {t * 1e3:.1f} |", flush=True)


def _run_part(part: str) -> None:
    from mpi4py import MPI

    import autograd.distributed as dist

    dist.init_process_group("mpi", timeout=600)
    comm = MPI.COMM_WORLD
    {"allreduce": part_allreduce, "ddp": part_ddp, "scaling": part_scaling,
     "zero": part_zero}[part](
        comm, comm.Get_rank(), comm.Get_size())
    dist.destroy_process_group()


def _launch(part: str, n: int) -> None:
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    exe = beside if os.path.exists(beside) else "mpiexec"
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run([exe, "-n", str(n), sys.executable, "-m", "benchmarks.dist_bench", part],
                   check=True, env=env)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parts = argv or list(PARTS)
    for p in parts:
        if p not in PARTS:
            raise SystemExit(f"dist_bench: unknown part {p!r}; choose from {PARTS}")
    under_mpi = any(k in os.environ for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK",
                                              "PMIX_RANK"))
    if under_mpi:
        for p in parts:
            _run_part(p)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    for p in parts:
        print(f"\n## {p}\n")
        if p == "scaling":
            print("| processes | model | steps per process | seconds per epoch |")
            print("|---:|---|---:|---:|", flush=True)
            _launch(p, 1)
        _launch(p, 2)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
