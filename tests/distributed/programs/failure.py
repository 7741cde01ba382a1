"""Failures of a distributed job. ``mpiexec -n W python failure.py MODE``:

    exception  rank 1 raises in the middle of training: the job must end (non-zero)
               with rank 1's traceback, the other ranks aborted, not hung
    timeout    rank 1 never joins an all_reduce: rank 0 fails after the timeout,
               naming the collective and rank 1
    mismatch   ranks call different collectives: the error says which each is in
    debug      AUTOGRAD_DISTRIBUTED_DEBUG=1 and shapes that differ across ranks: the
               error lists every rank's shape
    dead       rank 1 exits abruptly: the others do not hang
"""

import os
import sys
import time

import autograd as ag
import autograd.distributed as dist
import nn
import nn.functional as F
from nn.parallel import DistributedDataParallel as DDP

MODE = sys.argv[1]
dist.init_process_group("mpi", timeout=float(os.environ.get("TEST_TIMEOUT", "3")))
R, W = dist.get_rank(), dist.get_world_size()

if MODE == "exception":
    model = DDP(nn.Linear(3, 2))
    for step in range(10):
        if R == 1 and step == 3:
            raise ValueError("rank 1 failed on purpose at step 3")
        F.mse_loss(model(ag.ones(4, 3)), ag.zeros(4, 2)).backward()
elif MODE in ("timeout", "mismatch"):
    dist.all_reduce(ag.ones(2))
    try:
        if R == 1:
            time.sleep(60)  # computing, hung: not in any collective
        elif MODE == "mismatch" and R == 2:
            dist.broadcast(ag.ones(2), src=0)
        else:
            dist.all_reduce(ag.ones(2))
    except dist.DistBackendError as exc:
        print(f"rank {R} caught: {exc}", flush=True)
        time.sleep(1)  # the other waiting rank times out at about the same moment
        os._exit(7)  # what the excepthook would do, without the abort's noise
elif MODE == "debug":
    try:
        dist.all_reduce(ag.zeros(2 + R))
    except dist.DistError as exc:
        print(f"rank {R} caught: {exc}", flush=True)
    dist.barrier()
    print(f"rank {R} done", flush=True)
elif MODE == "dead":
    dist.all_reduce(ag.ones(2))
    if R == 1:
        os._exit(3)
    dist.all_reduce(ag.ones(2))
