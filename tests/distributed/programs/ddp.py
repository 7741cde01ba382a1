"""DistributedDataParallel against single-process training on the combined batch.

    mpiexec -n W python ddp.py mlp|cnn|no_sync|unused|sampler

Every rank also trains, by itself, a reference model on the whole global batch (its
rank-0 initial weights rebuilt from the seed); after the steps the DDP parameters
(and BatchNorm buffers) must equal the reference ones to 1e-10 in float64.
"""

import math
import sys

import numpy as np

import autograd as ag
import autograd.distributed as dist
import nn
import nn.functional as F
import optim
from autograd.utils.data import DataLoader, DistributedSampler, TensorDataset
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=60)
R, W = dist.get_rank(), dist.get_world_size()
MODE = sys.argv[1]
STEPS, B = 20, 4  # steps, samples per rank per step


def mlp(seed):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                         nn.Linear(8, 3)).double()


def cnn(seed):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 3)).double()


def batch(step, rank, cnn_input=False, n=B):
    g = np.random.default_rng([step, rank])
    x = g.normal(size=(n, 2, 6, 6) if cnn_input else (n, 5))
    return ag.tensor(x), ag.tensor(g.integers(0, 3, n))


def global_batch(step, cnn_input=False, n=B):
    xs, ys = zip(*[batch(step, q, cnn_input, n) for q in range(W)])
    return ag.cat(list(xs)), ag.cat(list(ys))


def compare(model, ref, what):
    a = dict(model.module.state_dict())
    b = dict(ref.state_dict())
    assert a.keys() == b.keys(), (a.keys(), b.keys())
    worst = 0.0
    for k in a:
        d = float(np.max(np.abs(a[k].numpy() - b[k].numpy()), initial=0.0))
        worst = max(worst, d)
        assert d <= 1e-10, f"{what}: {k} differs by {d:.3g} on rank {R}"
    print(f"rank {R}: {what} equal to single-process training (max diff {worst:.2e})",
          flush=True)


def train_pair(make, cnn_input, sync_bn=False, bucket_cap_mb=None):
    model = make(100 + R)  # every rank starts different: DDP broadcasts rank 0's weights
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        assert isinstance(model[1], nn.SyncBatchNorm)
    model = DDP(model, bucket_cap_mb=bucket_cap_mb)
    ref = make(100)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        x, y = batch(step, R, cnn_input)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        gx, gy = global_batch(step, cnn_input)
        ref_opt.zero_grad()
        F.cross_entropy(ref(gx), gy).backward()
        ref_opt.step()
    return model, ref


if MODE == "mlp":
    # a small bucket cap makes several buckets, so their order and overlap are exercised
    model, ref = train_pair(mlp, False, bucket_cap_mb=0.0005)
    assert len(model._buckets) > 2, len(model._buckets)
    # overlap: every bucket without a first-layer parameter starts its all-reduce
    # before the first layer's gradient exists, i.e. during backward
    events = []
    real = dist.all_reduce

    def recording(t, *a, **k):
        events.append("all_reduce")
        return real(t, *a, **k)

    dist.all_reduce = recording
    model.module[0].weight.register_post_accumulate_grad_hook(
        lambda p: events.append("first layer ready"))
    x, y = batch(0, R)
    F.cross_entropy(model(x), y).backward()
    dist.all_reduce = real
    first = {id(p) for p in model.module[0].parameters()}
    early = sum(not any(id(p) in first for p in b.params) for b in model._buckets)
    assert early >= 2 and events.index("first layer ready") == early, events
    assert events.count("all_reduce") == len(model._buckets), events
    compare(model, ref, f"MLP, {STEPS} steps, {len(model._buckets)} buckets")
elif MODE == "cnn":
    model, ref = train_pair(cnn, True, sync_bn=True)
    compare(model, ref, f"CNN with SyncBatchNorm, {STEPS} steps")
    model.eval()  # eval uses the (synchronised) running statistics
    x, _ = batch(99, 0, True)
    ref.eval()
    assert np.allclose(model(x).numpy(), ref(x).numpy(), rtol=0, atol=1e-10)
elif MODE == "no_sync":
    model, ref = DDP(mlp(100 + R)), mlp(100)
    opt = optim.SGD(model.parameters(), lr=0.1)
    ref_opt = optim.SGD(ref.parameters(), lr=0.1)
    micro = 3
    for step in range(4):
        opt.zero_grad()
        for i in range(micro):
            x, y = batch(10 * step + i, R)
            if i < micro - 1:
                with model.no_sync():
                    F.cross_entropy(model(x), y).backward()
            else:
                F.cross_entropy(model(x), y).backward()
        opt.step()
        ref_opt.zero_grad()
        for i in range(micro):  # the same micro-batches, all ranks' samples together
            gx, gy = global_batch(10 * step + i)
            F.cross_entropy(ref(gx), gy).backward()
        ref_opt.step()
    compare(model, ref, "no_sync accumulation over 3 micro-batches")
elif MODE == "unused":

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(5, 4)
            self.head = nn.Linear(4, 3)
            self.rank0_only = nn.Linear(4, 3)  # used by rank 0 only: locally unused
            self.never = nn.Linear(4, 3)  # used by no rank: its grad stays None

        def forward(self, x, rank):
            h = self.body(x).tanh()
            out = self.head(h)
            return out + self.rank0_only(h) if rank == 0 else out

    ag.manual_seed(7)
    model = DDP(TwoHeads().double(), find_unused_parameters=True)
    ag.manual_seed(7)
    ref = TwoHeads().double()
    for step in range(3):
        model.zero_grad()
        x, y = batch(step, R)
        F.cross_entropy(model(x, R), y).backward()
        ref.zero_grad()
        for q in range(W):  # DDP's gradient: the average of every rank's local gradient
            xq, yq = batch(step, q)
            (F.cross_entropy(ref(xq, q), yq) / W).backward()
        for (name, p), rp in zip(model.module.named_parameters(), ref.parameters()):
            if name.startswith("never"):
                assert p.grad is None, name
                continue
            assert np.allclose(p.grad.numpy(), rp.grad.numpy(), rtol=0, atol=1e-12), name
    # without find_unused_parameters the next iteration names the missing parameters
    strict = DDP(TwoHeads().double())
    x, y = batch(0, R)
    F.cross_entropy(strict(x, 1), y).backward()
    try:
        strict(x, 1)
    except RuntimeError as exc:
        assert "never.weight" in str(exc) and "find_unused_parameters" in str(exc)
    else:
        raise AssertionError("an incomplete reduction was not reported")
    print(f"rank {R}: find_unused_parameters ok", flush=True)
elif MODE == "sampler":
    n = 10
    ds = TensorDataset(ag.arange(n, dtype=ag.float64).reshape(n, 1), ag.arange(n))
    for drop_last in (False, True):
        for shuffle in (False, True):
            sampler = DistributedSampler(ds, shuffle=shuffle, seed=3, drop_last=drop_last)
            loader = DataLoader(ds, batch_size=3, sampler=sampler)
            sampler.set_epoch(1)
            mine = np.concatenate([yb.numpy() for _, yb in loader])
            assert len(mine) == len(sampler) == sampler.num_samples
            everyone = ag.zeros(W * len(mine), dtype=ag.int64)
            dist.all_gather_into_tensor(everyone, ag.tensor(mine))
            got = everyone.numpy().reshape(W, -1)
            order = (np.random.default_rng([3, 1]).permutation(n) if shuffle
                     else np.arange(n))
            total = sampler.total_size
            want = order[:total] if drop_last else np.resize(order, total)
            for q in range(W):  # PyTorch's layout: rank q takes positions q, q + W, ...
                np.testing.assert_array_equal(got[q], want[q::W])
            if not drop_last:  # every sample is seen; the padding repeats the first ones
                assert set(got.ravel()) == set(range(n))
    # DDP trains on the uneven shards: every rank runs the same number of steps
    model = DDP(mlp(0))
    opt = optim.SGD(model.parameters(), lr=0.1)
    xs = ag.tensor(np.random.default_rng(0).normal(size=(n, 5)))
    ds = TensorDataset(xs, ag.tensor(np.arange(n) % 3))
    loader = DataLoader(ds, batch_size=3, sampler=DistributedSampler(ds, shuffle=True))
    steps = 0
    for xb, yb in loader:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
        steps += 1
    per_rank = math.ceil(n / W)
    assert steps == len(loader) == math.ceil(per_rank / 3)
    print(f"rank {R}: DistributedSampler ok ({steps} steps)", flush=True)
else:
    raise SystemExit(f"unknown mode {MODE}")
