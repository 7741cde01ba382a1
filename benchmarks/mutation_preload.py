"""A pytest plugin for mutation runs (``-p benchmarks.mutation_preload``, set in
``[tool.mutmut]``): imports torch and numba and loads the fused optimizer kernels once in
mutmut's fork server, so each forked mutant run does not pay them again (importing torch
costs seconds on a loaded 2-core machine). Nothing here changes what a test checks.
No thread pool is started before the fork: only serial kernels run here, and torch is
held to one thread for the whole run."""

from __future__ import annotations

import contextlib

import numpy as np

with contextlib.suppress(ImportError):
    import torch

    # one intra-op thread: a torch op run in this process (mutmut's stats run) starts
    # torch's OpenMP pool, and a forked mutant then hangs on its lock in the first
    # multi-threaded torch op until mutmut's timeout (every mutant whose tests compare
    # with torch counted as "timeout", ~18 s each)
    torch.set_num_threads(1)

with contextlib.suppress(ImportError):
    import numba  # noqa: F401

    import autograd as ag
    import optim

    for _opt in (optim.SGD, optim.Adam):
        _w = ag.tensor(np.zeros(4, np.float32), requires_grad=True)
        _w.grad = ag.tensor(np.ones(4, np.float32))
        (_opt([_w], lr=0.1, momentum=0.5) if _opt is optim.SGD else _opt([_w], lr=0.1)).step()
