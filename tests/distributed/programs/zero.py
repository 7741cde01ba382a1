"""ZeroRedundancyOptimizer: sharded Adam equals plain Adam under DDP (float64), keeps
about 1/W of the state on each rank, follows a scheduler, and its consolidated state
loads into a plain optimizer."""

import numpy as np

import autograd as ag
import autograd.distributed as dist
import nn
import nn.functional as F
import optim
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=60)
R, W = dist.get_rank(), dist.get_world_size()


def mlp():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(),
                         nn.Linear(16, 3)).double()


def state_bytes(opt):
    return sum(v.array.nbytes for s in opt.state.values() for v in s.values()
               if isinstance(v, ag.Tensor))


a, b = DDP(mlp()), DDP(mlp())
plain = optim.Adam(a.parameters(), lr=0.01, weight_decay=0.01)
zero = optim.ZeroRedundancyOptimizer(b.parameters(), optim.Adam, lr=0.01, weight_decay=0.01)
sched_a = optim.lr_scheduler.StepLR(plain, step_size=4, gamma=0.5)
sched_b = optim.lr_scheduler.StepLR(zero, step_size=4, gamma=0.5)
for step in range(10):
    g = np.random.default_rng([step, R])
    x, y = ag.tensor(g.normal(size=(8, 6))), ag.tensor(g.integers(0, 3, 8))
    for model, opt, sched in ((a, plain, sched_a), (b, zero, sched_b)):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()
for pa, pb in zip(a.parameters(), b.parameters()):
    assert np.allclose(pa.numpy(), pb.numpy(), rtol=0, atol=1e-12), (pa - pb).abs().max()
assert zero.param_groups[0]["lr"] == plain.param_groups[0]["lr"] == 0.01 * 0.25
owned = [zero.owner(p) for p in b.parameters()]
assert sorted(set(owned)) == list(range(W)), owned
full, mine = state_bytes(plain), state_bytes(zero)
everyone = ag.zeros(W, dtype=ag.int64)
dist.all_gather_into_tensor(everyone, ag.tensor([mine], dtype=ag.int64))
assert int(everyone.sum()) == full and max(everyone.tolist()) < full, (everyone, full)

# a consolidated state dict is the plain optimizer's
zero.consolidate_state_dict(to=0)
if R == 0:
    sd, ref = zero.state_dict(), plain.state_dict()
    assert sd["state"].keys() == ref["state"].keys()
    for i in ref["state"]:
        for k, v in ref["state"][i].items():
            assert np.allclose(np.asarray(sd["state"][i][k].numpy()), v.numpy(), atol=1e-12), k
    fresh = optim.Adam(mlp().parameters(), lr=0.01)
    fresh.load_state_dict(sd)
# and loads back into a sharded optimizer on every rank
sd0 = zero.state_dict() if R == 0 else None
other = optim.ZeroRedundancyOptimizer(b.parameters(), optim.Adam, lr=0.5)
if R == 0:
    other.load_state_dict(sd0)
    assert other.param_groups[0]["lr"] == 0.01 * 0.25
print(f"rank {R}: ZeroRedundancyOptimizer ok, state {mine} of {full} bytes "
      f"({mine / full:.2f})", flush=True)
