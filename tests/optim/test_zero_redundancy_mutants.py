"""ZeroRedundancyOptimizer in one process (issue 18, mutation testing): the ranks of a job
are emulated one after another by a fake ``autograd.distributed`` (rank, world size,
point-to-point queues, broadcast through a board filled by the owner), so mutants of
``optim/zero_redundancy.py`` meet tests that run under mutmut (the MPI tests in
``tests/distributed`` run in child processes, which mutmut does not see).

Each test's docstring names the mutants it kills (``mutmut show`` names in the
``optim/others`` package of ``benchmarks/mutation.py``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
import optim
import optim.zero_redundancy as zr


def _full(msg):
    return "^" + re.escape(msg) + "$"


class FakeDist:
    """A job of ``world`` ranks run one rank at a time: ``rank`` is set by the test;
    ``send``/``recv`` go through FIFO queues per (source, destination); a broadcast by its
    owner stores copies on a board, a broadcast on another rank is remembered and filled
    from the board by :meth:`flush` once every rank has run."""

    def __init__(self, world: int, initialized: bool = True):
        self.world, self.rank, self.initialized = world, 0, initialized
        self.queues: dict[tuple[int, int], list[np.ndarray]] = {}
        self.board: dict[tuple[int, int], list[np.ndarray]] = {}
        self.pending: list[tuple[int, int, list]] = []
        self.calls: dict[int, int] = {}
        self.sent: list[tuple[int, int, tuple]] = []

    def is_initialized(self):
        return self.initialized

    def get_rank(self):
        return self.rank

    def get_world_size(self):
        return self.world

    def send(self, tensor, dst):
        self.sent.append((self.rank, dst, tuple(tensor.shape)))
        self.queues.setdefault((self.rank, dst), []).append(tensor.numpy().copy())

    def recv(self, tensor, src):
        got = self.queues[(src, self.rank)].pop(0)  # MPI: the buffers must agree
        assert (tensor.numpy().shape, tensor.numpy().dtype) == (got.shape, got.dtype)
        tensor.array[...] = got

    def broadcast_coalesced(self, tensors, src):
        n = self.calls.get(self.rank, 0)
        self.calls[self.rank] = n + 1
        if self.rank == src:
            self.board[(src, n)] = [t.numpy().copy() for t in tensors]
        else:
            self.pending.append((src, n, list(tensors)))

    def flush(self):
        for src, n, tensors in self.pending:
            for t, a in zip(tensors, self.board[(src, n)], strict=True):
                t.array[...] = a
        self.pending.clear()
        self.calls.clear()
        self.board.clear()


@pytest.fixture
def fake(monkeypatch):
    made = {}

    def make(world, initialized=True):
        made["d"] = FakeDist(world, initialized)
        monkeypatch.setattr(zr, "dist", made["d"])
        return made["d"]

    return make


SIZES = [(5,), (3,), (2,)]  # largest first: 5 -> rank 0, 3 -> rank 1, 2 -> rank 1


def _params(seed=0):
    r = np.random.default_rng(seed)
    return [ag.tensor(r.standard_normal(s), requires_grad=True) for s in SIZES]


def _grads(step):
    r = np.random.default_rng([step, 7])
    return [r.standard_normal(s) for s in SIZES]


def _run(fake_dist, world, steps, opt_class=optim.Adam, groups=None, **kw):
    """``world`` ranks (each with its own copy of the parameters and the same gradients)
    and one plain optimizer; returns (ranks' params, zero optimizers, plain params, plain)."""
    d = fake_dist(world)
    ranks, zeros = [], []
    for r in range(world):
        d.rank = r
        ps = _params()
        ranks.append(ps)
        spec = groups(ps) if groups else ps
        zeros.append(optim.ZeroRedundancyOptimizer(spec, opt_class, **kw))
    ref = _params()
    plain = opt_class(groups(ref) if groups else ref, **kw)
    for step in range(steps):
        gs = _grads(step)
        for r in range(world):
            d.rank = r
            for p, g in zip(ranks[r], gs, strict=True):
                p.grad = ag.tensor(g)
            zeros[r].step()
        d.flush()
        for p, g in zip(ref, gs, strict=True):
            p.grad = ag.tensor(g)
        plain.step()
    return d, ranks, zeros, ref, plain


@pytest.mark.parametrize("world", [2, 3])
def test_sharded_adam_equals_plain_adam_and_owners_are_greedy(fake, world):
    """Each rank updates only what it owns and broadcasts it; the trajectory equals plain
    Adam's on every rank. Kills: the greedy partition's mutants (``load.index(max)``,
    ``-t.numel()`` sign, ``load[r] += `` replaced/``-=``, ``_owner`` keyed wrongly), the
    shard's groups (``mine`` with ``!=``, ``_local_of`` indices), ``step``'s broadcast loop
    (``shards[...]`` owner, ``if ps``/``enumerate``), ``owner``."""
    d, ranks, zeros, ref, plain = _run(fake, world, 3, lr=0.1, weight_decay=0.01)
    owners = [zeros[0].owner(p) for p in ranks[0]]
    assert owners == ([0, 1, 1] if world == 2 else [0, 1, 2])
    for r in range(world):
        assert [zeros[r].owner(p) for p in ranks[r]] == owners
        for p, q in zip(ranks[r], ref, strict=True):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=0, atol=1e-12)
        # state only for this rank's parameters
        held = [i for i, p in enumerate(ranks[r]) if p in zeros[r].state]
        assert held == [i for i, o in enumerate(owners) if o == r]
        assert all(zeros[r].state[ranks[r][i]]["step"].item() == 3 for i in held)


def _two_ranks(fake, **sgd):
    """Two ranks' ZeRO optimizers over SGD(**sgd), each made while the fake dist says its
    rank. Returns (dist, optimizers, params)."""
    d = fake(2)
    zeros, ranks = [], []
    for r in range(2):
        d.rank = r
        ps = _params()
        ranks.append(ps)
        zeros.append(optim.ZeroRedundancyOptimizer(ps, optim.SGD, **sgd))
    return d, zeros, ranks


def test_hyperparameters_reach_the_shard_each_step(fake):
    """A scheduler (or a hand edit) changes the global groups; ``step`` copies them to the
    shard's optimizer. Kills: ``_sync_hyperparameters`` mutants (``if self.optim is None``
    inverted/``return`` removed, ``k != "params"``, ``local[k] = None``, ``li is not None``)
    and the defaults copied into the global groups (``g.setdefault(k, None)``)."""
    d, zeros, ranks = _two_ranks(fake, lr=0.5)
    for r in range(2):
        assert zeros[r].param_groups[0]["momentum"] == 0 and zeros[r].param_groups[0][
            "lr"] == 0.5
    for r in range(2):
        zeros[r].param_groups[0]["lr"] = 0.25
        d.rank = r
        for p in ranks[r]:
            p.grad = ag.ones(*p.shape, dtype=ag.float64)
        zeros[r].step()
    d.flush()
    start = _params()
    for r in range(2):
        assert zeros[r].optim.param_groups[0]["lr"] == 0.25
        assert list(zeros[r].optim.param_groups[0]["params"]) == [
            p for p in ranks[r] if zeros[r].owner(p) == r]
        for p, q in zip(ranks[r], start, strict=True):
            np.testing.assert_allclose(p.numpy(), q.numpy() - 0.25, rtol=0, atol=1e-15)


def test_a_rank_without_parameters_runs_the_closure_and_broadcasts_nothing(fake):
    """Three ranks, two parameters: rank 2 owns none, has no shard optimizer, returns the
    closure's loss under grad mode and only receives. Kills: ``self.optim = ... if
    local_groups else None`` inverted, ``self.state`` of an empty rank, ``step``'s
    ``closure is not None``/``enable_grad``/``loss = None`` mutants."""
    d = fake(3)
    opts, params = [], []
    for r in range(3):
        d.rank = r
        ps = [ag.tensor(np.full(4, 1.0), requires_grad=True),
              ag.tensor(np.full(2, 2.0), requires_grad=True)]
        params.append(ps)
        opts.append(optim.ZeroRedundancyOptimizer(ps, optim.SGD, lr=0.5))
    assert opts[2].optim is None and opts[2].state == {}
    assert opts[0].optim is not None and opts[1].optim is not None
    seen = []

    def closure():
        seen.append(ag.is_grad_enabled())
        return ag.tensor(3.0)

    for r in range(3):
        d.rank = r
        for p in params[r]:
            p.grad = ag.ones(*p.shape, dtype=ag.float64)
        loss = opts[r].step(closure)
        assert float(loss) == 3.0
    assert seen == [True, True, True]
    d.flush()
    for r in range(3):
        np.testing.assert_array_equal(params[r][0].numpy(), np.full(4, 0.5))
        np.testing.assert_array_equal(params[r][1].numpy(), np.full(2, 1.5))
    d.rank = 2
    assert opts[2].step() is None
    d.rank = 2
    opts[2].load_state_dict(opts[2].state_dict())  # nothing to load on an empty rank


def test_consolidated_state_is_the_plain_optimizers_and_loads_back(fake):
    """``consolidate_state_dict(to)``: the owners send their entries (a JSON header, then
    each tensor) and ``to`` rebuilds them; the result equals plain Adam's state and loads
    into a plain Adam and back into a sharded one. Kills: the mutants of
    ``consolidate_state_dict`` (``owner == to`` branch, ``p in self.state``, header shape
    and dtype, ``len(v) == 2``, ``if entry``, the ``_consolidated`` of other ranks),
    ``state_dict``'s use of it, ``_index`` and ``load_state_dict``'s ``mine``/``order``."""
    d, ranks, zeros, ref, plain = _run(fake, 2, 2, lr=0.05)
    for r in (1, 0):  # the sender first: rank 1 owns parameters 1 and 2
        d.rank = r
        zeros[r].consolidate_state_dict(to=0)
    assert zeros[1]._consolidated is None
    assert all(src == 1 and dst == 0 for src, dst, _ in d.sent)
    d.rank = 0
    sd, want = zeros[0].state_dict(), plain.state_dict()
    assert sorted(sd["state"]) == sorted(want["state"]) == [0, 1, 2]
    for i, entry in want["state"].items():
        assert sorted(sd["state"][i]) == sorted(entry)
        for k, v in entry.items():
            got = sd["state"][i][k]
            assert got.dtype == v.dtype and got.shape == v.shape, (i, k)
            np.testing.assert_array_equal(got.numpy(), v.numpy())
    d.rank = 1
    assert sorted(zeros[1].state_dict()["state"]) == [1, 2]  # its shard only
    fresh = optim.Adam(_params(), lr=0.05)
    fresh.load_state_dict(sd)
    for i, p in enumerate(fresh.param_groups[0]["params"]):
        np.testing.assert_array_equal(fresh.state[p]["exp_avg"].numpy(),
                                      plain.state[ref[i]]["exp_avg"].numpy())
    # back into sharded optimizers on both ranks, each keeping what it owns
    others = []
    for r in range(2):
        d.rank = r
        ps = _params()
        other = optim.ZeroRedundancyOptimizer(ps, optim.Adam, lr=0.5)
        other.load_state_dict(sd)
        assert other.param_groups[0]["lr"] == 0.05 == other.optim.param_groups[0]["lr"]
        assert [i for i, p in enumerate(ps) if p in other.state] == (
            [0] if r == 0 else [1, 2])
        for i, p in enumerate(ps):
            if p in other.state:
                np.testing.assert_array_equal(other.state[p]["exp_avg_sq"].numpy(),
                                              plain.state[ref[i]]["exp_avg_sq"].numpy())
        # regression: ``state`` (and so ``state_dict``) followed the shard optimizer's
        # state dict of before the load, which Optimizer.load_state_dict replaces
        assert other.state is other.optim.state
        assert sorted(other.state_dict()["state"]) == ([0] if r == 0 else [1, 2])
        others.append(other)


def _two_ranks_stepped(fake):
    """Two ranks' SGD-momentum ZeRO optimizers after one step in which parameter 2
    (rank 1's) got no gradient, so it has no state. Returns (dist, optimizers, params)."""
    d, zeros, ranks = _two_ranks(fake, lr=0.1, momentum=0.9)
    for r in range(2):
        d.rank = r
        for i, p in enumerate(ranks[r]):
            if i != 2:  # parameter 2 (rank 1's) never gets a gradient: no state
                p.grad = ag.ones(*p.shape, dtype=ag.float64)
        zeros[r].step()
    return d, zeros, ranks


def test_consolidating_a_state_with_plain_values_and_a_receiving_owner(fake):
    """Non-tensor state values travel in the header; entries the receiving rank owns are
    copied from its own state; a parameter without state sends an empty entry that is
    left out. Kills: the header's ``isinstance(v, Tensor)`` branch, ``gathered[i] =
    dict(self.state[p])`` on ``to``, the ``if entry`` test and ``to=1`` routing."""
    d, zeros, ranks = _two_ranks_stepped(fake)
    for r in range(2):
        zeros[r].state[ranks[r][0] if r == 0 else ranks[r][1]]["note"] = 7
    d.flush()
    for r in (0, 1):  # to=1: rank 0 sends first
        d.rank = r
        zeros[r].consolidate_state_dict(to=1)
    d.rank = 1
    st = zeros[1].state_dict()["state"]
    assert sorted(st) == [0, 1]
    assert st[0]["note"] == 7 and st[1]["note"] == 7
    np.testing.assert_array_equal(st[0]["momentum_buffer"].numpy(), np.ones(5))
    np.testing.assert_array_equal(st[1]["momentum_buffer"].numpy(), np.ones(3))
    assert zeros[0]._consolidated is None


def test_errors(fake):
    """Kills the mutants of the error branches: ``process_group`` check, the two
    unsupported options joined by ``or``, the not-initialised check, ``add_param_group``
    after construction, and ``load_state_dict``'s group-count check (``!=``/``or``)."""
    fake(2)
    p = _params()
    with pytest.raises(ValueError, match=_full(
            "ZeroRedundancyOptimizer: only the default process group (process_group=None) "
            "is supported")):
        optim.ZeroRedundancyOptimizer(p, optim.Adam, process_group=object())
    for kw in ({"parameters_as_bucket_view": True}, {"overlap_with_ddp": True}):
        with pytest.raises(ValueError, match=_full(
                "ZeroRedundancyOptimizer: parameters_as_bucket_view and overlap_with_ddp are "
                "not supported (both must be False)")):
            optim.ZeroRedundancyOptimizer(p, optim.Adam, **kw)
    z = optim.ZeroRedundancyOptimizer(p, optim.Adam, lr=0.1)
    with pytest.raises(ValueError, match=_full(
            "ZeroRedundancyOptimizer: add parameter groups at construction (every rank "
            "must partition the same groups)")):
        z.add_param_group({"params": [ag.zeros(2, requires_grad=True)]})
    sd = z.state_dict()
    bad = dict(sd, param_groups=sd["param_groups"] * 2)
    with pytest.raises(ValueError, match=_full(
            "ZeroRedundancyOptimizer.load_state_dict: the state has different parameter "
            "groups than this optimizer")):
        z.load_state_dict(bad)
    fewer = dict(sd, param_groups=[dict(sd["param_groups"][0], params=[0, 1])])
    with pytest.raises(ValueError, match="different parameter groups"):
        z.load_state_dict(fewer)
    fake(2, initialized=False)
    with pytest.raises(RuntimeError, match=_full(
            "ZeroRedundancyOptimizer: call autograd.distributed.init_process_group() first")):
        optim.ZeroRedundancyOptimizer(_params(), optim.Adam)


def test_groups_with_their_own_hyperparameters(fake):
    """Two groups with their own lr: each rank's shard keeps its groups' options (an empty
    local group is left out and ``_local_of`` maps the rest). Kills ``_local_of`` /
    ``local_groups`` mutants and the group dict copy (``k != "params"``)."""

    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.1}, {"params": ps[1:], "lr": 0.3}]

    d = fake(2)
    d.rank = 1
    fresh = optim.ZeroRedundancyOptimizer(groups(_params()), optim.SGD, lr=0.2, momentum=0.5)
    assert [(g["lr"], g["momentum"]) for g in fresh.optim.param_groups] == [(0.3, 0.5)]
    d, ranks, zeros, ref, plain = _run(fake, 2, 2, optim.SGD, groups=groups, lr=0.2,
                                       momentum=0.5)
    assert zeros[0]._local_of == [0, None] and zeros[1]._local_of == [None, 0]
    assert [g["lr"] for g in zeros[1].optim.param_groups] == [0.3]
    for r in range(2):
        for p, q in zip(ranks[r], ref, strict=True):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=0, atol=1e-12)


def test_greedy_partition_adds_up_the_load(fake):
    """Sizes 5, 3, 2, 2 on two ranks: loads (5, 0) -> (5, 3) -> (5, 5), so the last goes
    to rank 0 (the first of the least loaded). Kills ``load[r] = p.numel()`` (rank 1's
    load would read 2) and ``load[r] -= ...``."""
    d = fake(2)
    ps = [ag.zeros(n, requires_grad=True) for n in (5, 3, 2, 2)]
    z = optim.ZeroRedundancyOptimizer(ps, optim.SGD, lr=0.1)
    assert [z.owner(p) for p in ps] == [0, 1, 1, 0]
    d.rank = 1
    z1 = optim.ZeroRedundancyOptimizer(ps, optim.SGD, lr=0.1)
    assert [z1.owner(p) for p in ps] == [0, 1, 1, 0]


def test_consolidate_default_rank_and_a_sender_without_state(fake):
    """``consolidate_state_dict()`` gathers on rank 0 by default; a parameter its owner
    (not rank 0) holds no state for travels as an empty entry and is left out; loading a
    state without an entry for an owned parameter keeps it stateless. Kills the default
    ``to`` mutant, ``self.state.get(p, None)``/``get(p, )``, the received count's dtype
    (the fake checks the buffers agree, as MPI needs) and ``load_state_dict``'s
    ``owner == rank or i in state``."""
    d, zeros, ranks = _two_ranks_stepped(fake)
    d.flush()
    for r in (1, 0):
        d.rank = r
        zeros[r].consolidate_state_dict()
    d.rank = 0
    sd = zeros[0].state_dict()
    assert sorted(sd["state"]) == [0, 1]
    d.rank = 1
    other = optim.ZeroRedundancyOptimizer(_params(), optim.SGD, lr=0.1, momentum=0.9)
    other.load_state_dict(sd)  # owns 1 (with state) and 2 (without)
    assert [i for i, p in enumerate(other.param_groups[0]["params"])
            if p in other.state] == [1]
