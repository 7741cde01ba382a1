"""Reliability checks that take longer than a unit test: a training soak and kill -9
during checkpoint saves.

    python -m benchmarks.reliability soak [--steps 5000] [--every 500]
    python -m benchmarks.reliability kill9 [--mb 200] [--kills 10]

* ``soak``: a 64-256-256-10 MLP trained with Adam for ``--steps`` steps (cyclic GC on, as
  in a user's program), a checkpoint saved and reloaded every ``--every`` steps; prints
  the resident memory at each checkpoint. Flat memory means no step keeps anything alive.
* ``kill9``: a ``--mb`` MB checkpoint exists; a child process saves a new version over it
  and is killed with SIGKILL at a random moment of the write, ``--kills`` times. After
  each kill the file must load (the old version or a complete new one, checked by the
  CRC-32 in the header and a marker tensor), and the next save into the directory must
  remove the temporary files the killed writers left. Linux/POSIX only.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

import autograd as ag


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(steps: int, every: int) -> None:
    import nn
    import nn.functional as F
    import optim

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = ag.randn(512, 64), ag.randint(0, 10, (512,))
    path = os.path.join(tempfile.mkdtemp(), "soak.safetensors")
    t0, samples = time.perf_counter(), []
    for step in range(1, steps + 1):
        i = (step * 64) % 512
        loss = F.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % every == 0:
            ag.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
            ck = ag.load(path)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
            samples.append(_rss_mb())
            print(f"step {step:6d}  loss {loss.item():.4f}  RSS {samples[-1]:7.1f} MB",
                  flush=True)
    print(f"{steps} steps in {time.perf_counter() - t0:.1f} s; RSS from the 2nd sample "
          f"to the last: {samples[1]:.1f} -> {samples[-1]:.1f} MB "
          f"({samples[-1] - samples[1]:+.1f} MB)")


_WRITER = r"""
import sys
import numpy as np
import autograd as ag
path, mb, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
big = ag.from_numpy(np.full(mb * 2**18, version, np.float32))
print("ready", flush=True)
ag.save({"version": version, "marker": ag.tensor([version]), "big": big}, path)
print("saved", flush=True)
"""


def kill9(mb: int, kills: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "ck.safetensors")
    big = ag.from_numpy(np.zeros(mb * 2**18, np.float32))
    ag.save({"version": 0, "marker": ag.tensor([0]), "big": big}, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__))),
         os.environ.get("PYTHONPATH", "")]))
    t_save = time.perf_counter()
    ag.save({"version": 0, "marker": ag.tensor([0]), "big": big}, path)
    t_save = time.perf_counter() - t_save
    loads, left_behind, versions = 0, [], []
    for k in range(1, kills + 1):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, path, str(mb), str(k)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.2 * t_save))  # somewhere in (or just after) the write
        child.send_signal(signal.SIGKILL)
        child.wait()
        ck = ag.load(path)  # must not raise: the old file or a complete new one
        v = ck["version"]
        assert int(ck["marker"].item()) == v and float(ck["big"][-1].item()) == v
        loads += 1
        versions.append(v)
        left_behind.append(sum(n.endswith(".agtmp") for n in os.listdir(directory)))
    stale = left_behind[-1]
    ag.save({"version": -1, "marker": ag.tensor([-1]), "big": ag.zeros(1)}, path)
    after = sum(n.endswith(".agtmp") for n in os.listdir(directory))
    print(f"{kills} kills of a {mb} MB save (one save takes {t_save:.2f} s here): the file "
          f"loaded {loads}/{kills} times, complete, as versions {versions}; temporaries "
          f"present after each kill {left_behind}; after the next save: {after} "
          f"(was {stale})")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="check", required=True)
    s = sub.add_parser("soak")
    s.add_argument("--steps", type=int, default=5000)
    s.add_argument("--every", type=int, default=500)
    k = sub.add_parser("kill9")
    k.add_argument("--mb", type=int, default=200)
    k.add_argument("--kills", type=int, default=10)
    args = p.parse_args(argv)
    if args.check == "soak":
        soak(args.steps, args.every)
    else:
        kill9(args.mb, args.kills)


if __name__ == "__main__":
    main()
