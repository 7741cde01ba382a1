"""autograd.utils.data beyond TensorDataset batching: samplers (against PyTorch's where
it is installed), batch samplers, IterableDataset, ConcatDataset, random_split,
worker processes, and the constructor's refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import autograd.utils.data as D


def make(n=10):
    x = ag.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = ag.tensor(np.arange(n, dtype=np.int64))
    return D.TensorDataset(x, y)


def ys(loader):
    return [b[1].tolist() for b in loader]


class Squares(D.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], np.float64), i


class Stream(D.IterableDataset):
    """0..n-1, split between DataLoader workers by get_worker_info (PyTorch's recipe)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = D.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_pytorch_path_and_ag_data_are_the_same_objects():
    assert ag.utils.data.DataLoader is ag.data.DataLoader is D.DataLoader
    for name in ("Dataset IterableDataset TensorDataset DataLoader Subset ConcatDataset "
                 "random_split default_collate Sampler SequentialSampler RandomSampler "
                 "BatchSampler SubsetRandomSampler WeightedRandomSampler "
                 "DistributedSampler").split():
        assert getattr(ag.data, name) is getattr(D, name), name


@pytest.mark.parametrize("n,w,drop_last", [(10, 3, False), (10, 3, True), (10, 4, False),
                                           (3, 4, False), (12, 4, True), (7, 2, True)])
def test_distributed_sampler_shards_as_pytorch(n, w, drop_last):
    shards = [list(D.DistributedSampler(range(n), num_replicas=w, rank=r, shuffle=False,
                                        drop_last=drop_last)) for r in range(w)]
    per = math.ceil((n - w) / w) if drop_last and n % w else math.ceil(n / w)
    assert all(len(s) == per for s in shards)
    flat = [i for pos in zip(*shards) for i in pos]  # positions r, r + w, ... per rank
    assert flat == ([*range(n)] * (1 + per * w // max(n, 1)))[:per * w]
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchDS

    for r in range(w):
        assert shards[r] == list(TorchDS(range(n), num_replicas=w, rank=r, shuffle=False,
                                         drop_last=drop_last)), (r, torch.__version__)


def test_distributed_sampler_shuffles_by_seed_and_epoch():
    def shard(rank, epoch, seed=0):
        s = D.DistributedSampler(range(11), num_replicas=2, rank=rank, seed=seed)
        s.set_epoch(epoch)
        return list(s)

    assert sorted(set(shard(0, 0)) | set(shard(1, 0))) == list(range(11))
    assert shard(0, 0) == shard(0, 0) and shard(0, 0) != shard(0, 1)
    assert shard(0, 0, seed=1) != shard(0, 0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        D.DistributedSampler(range(4))  # no process group: say what to do
    with pytest.raises(ValueError, match="invalid rank 2"):
        D.DistributedSampler(range(4), num_replicas=2, rank=2)
    # the DataLoader passes set_epoch on to its sampler
    s = D.DistributedSampler(range(8), num_replicas=2, rank=0)
    loader = D.DataLoader(make(8), batch_size=2, sampler=s)
    loader.set_epoch(5)
    assert s.epoch == 5


def test_samplers():
    g = np.random.default_rng(0)
    assert list(D.SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(D.RandomSampler(range(6), generator=g))
    assert sorted(perm) == list(range(6))
    many = list(D.RandomSampler(range(3), num_samples=7, generator=g))
    assert len(many) == 7 and set(many) == {0, 1, 2}
    drawn = list(D.RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    assert sorted(D.SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]
    w = list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400, generator=g))
    assert set(w) == {1, 3} and 250 < w.count(3) < 350
    assert sorted(D.WeightedRandomSampler([1, 1, 0], 2, replacement=False,
                                          generator=g)) == [0, 1]
    assert list(D.BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(D.BatchSampler(range(7), 3, drop_last=True)) == 2
    ag.manual_seed(3)
    a = list(D.RandomSampler(range(20)))
    ag.manual_seed(3)
    assert list(D.RandomSampler(range(20))) == a  # the global seed drives it
    for bad in (lambda: D.WeightedRandomSampler([1, -1], 2),
                lambda: D.WeightedRandomSampler([1, 0], 2, replacement=False),
                lambda: D.BatchSampler(range(3), 0, False),
                lambda: D.RandomSampler(range(3), num_samples=0)):
        with pytest.raises(ValueError):
            bad()


def test_loader_with_sampler_or_batch_sampler_keeps_the_fast_path():
    class NoItems(D.TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample __getitem__ called")

    ds = NoItems(*make(6).tensors)
    assert ys(D.DataLoader(ds, batch_size=4, sampler=[5, 4, 3, 2, 1, 0])) == \
        [[5, 4, 3, 2], [1, 0]]
    bs = D.BatchSampler(D.SequentialSampler(ds), 4, drop_last=True)
    loader = D.DataLoader(ds, batch_sampler=bs)
    assert ys(loader) == [[0, 1, 2, 3]] and len(loader) == 1
    assert ys(D.DataLoader(ds, batch_sampler=[[0, 5], [2]])) == [[0, 5], [2]]


def test_map_dataset_collate_and_unbatched():
    loader = D.DataLoader(Squares(5), batch_size=2, collate_fn=lambda s: [i for _, i in s])
    assert list(loader) == [[0, 1], [2, 3], [4]]
    single = list(D.DataLoader(Squares(3), batch_size=None))
    assert len(single) == 3 and isinstance(single[2][0], ag.Tensor)
    assert single[2][0].tolist() == [2.0, 4.0] and single[2][1] == 2
    xb, yb = next(iter(D.DataLoader(Squares(4), batch_size=4)))
    assert xb.shape == (4, 2) and xb.dtype == np.float64 and yb.tolist() == [0, 1, 2, 3]
    # a custom collate_fn on a TensorDataset sees the samples (not the fast gather)
    got = list(D.DataLoader(make(3), batch_size=3, collate_fn=lambda s: len(s)))
    assert got == [3]


def test_iterable_dataset_and_concat_dataset():
    assert [b.tolist() for b in D.DataLoader(Stream(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(D.DataLoader(Stream(7), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="IterableDataset"):
        D.DataLoader(Stream(3), shuffle=True)
    with pytest.raises(TypeError, match="not by index"):
        Stream(3)[0]
    cat = D.ConcatDataset([Squares(2), Squares(3)])
    assert len(cat) == 5 and cat[2][1] == 0 and cat[4][1] == 2 and cat[-1][1] == 2
    assert len(Squares(2) + Squares(4)) == 6
    with pytest.raises(IndexError):
        cat[5]


def test_random_split_lengths_fractions_and_refusals():
    a, b, c = D.random_split(make(10), [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    parts = D.random_split(make(10), [0.33, 0.33, 0.34], seed=1)
    assert [len(p) for p in parts] == [4, 3, 3]  # the remainder goes to the first splits
    idx = sorted(int(p.indices[i]) for p in parts for i in range(len(p)))
    assert idx == list(range(10))
    with pytest.raises(ValueError, match="non-negative integers"):
        D.random_split(make(10), [12, -2])
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        D.random_split(make(10), [5, 5], seed=-1)
    with pytest.raises(ValueError, match="sum to"):
        D.random_split(make(10), [5, 3])


def test_constructor_refuses_bad_arguments_at_once():
    cases = [(dict(batch_size=True), "batch_size must be a positive integer"),
             (dict(batch_size=2.0), "batch_size"),
             (dict(seed=-1), "seed must be a non-negative integer"),
             (dict(seed=True), "seed"),
             (dict(num_workers=-1), "num_workers"),
             (dict(sampler=[0, 1], shuffle=True), "mutually exclusive with shuffle"),
             (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option"),
             (dict(batch_size=None, drop_last=True), "batch_size=None"),
             (dict(prefetch_factor=2), "num_workers > 0"),
             (dict(timeout=-1), "timeout")]
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            D.DataLoader(make(4), **kwargs)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_worker_processes_give_the_in_process_batches(context):
    if context == "spawn":
        ds = make(23)  # module-level classes only: spawn pickles the dataset
    else:
        ds = Squares(23)
    kwargs = dict(batch_size=4, shuffle=True, seed=5)
    want = list(D.DataLoader(ds, **kwargs))
    loader = D.DataLoader(ds, num_workers=2, multiprocessing_context=context, **kwargs)
    got = list(loader)
    assert len(got) == len(want) == 6
    for a, b in zip(got, want):
        for ta, tb in zip(a, b):
            np.testing.assert_array_equal(np.asarray(ta), np.asarray(tb))


def _fail_on_seven(batch):
    if any(i == 7 for _, i in batch):
        raise KeyError("sample 7 is broken")
    return len(batch)


def test_worker_errors_and_streams_and_persistence():
    with pytest.raises(RuntimeError, match="(?s)KeyError in DataLoader worker.*sample 7"):
        list(D.DataLoader(Squares(10), batch_size=2, num_workers=2,
                          collate_fn=_fail_on_seven))
    # an IterableDataset split by get_worker_info: each sample once, workers in turn
    got = [b.tolist() for b in D.DataLoader(Stream(10), batch_size=2, num_workers=2)]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    loader = D.DataLoader(Squares(6), batch_size=3, num_workers=2, persistent_workers=True)
    first = [b[1].tolist() for b in loader]
    pids = [p.pid for p in loader._pool.procs]
    assert [b[1].tolist() for b in loader] == first == [[0, 1, 2], [3, 4, 5]]
    assert [p.pid for p in loader._pool.procs] == pids  # the same processes again
    loader._pool.close()


def test_workers_refuse_a_gpu_tensor_dataset():
    ds = make(2)
    gpu = type("Device", (), {"type": "cuda"})()
    ds.tensors = (type("GpuTensor", (), {"device": gpu})(),)  # a stand-in: no GPU here
    with pytest.raises(ValueError, match="on the CPU"):
        D.DataLoader(ds, num_workers=1)


def test_ag_generator_drives_samplers_loader_and_split():
    def run(seed):
        g = ag.Generator().manual_seed(seed)
        order = list(D.RandomSampler(range(9), generator=g))
        batches = ys(D.DataLoader(make(9), batch_size=4, shuffle=True, generator=g))
        split = D.random_split(make(9), [4, 5], generator=g)[0].indices.tolist()
        return order, batches, split

    assert run(1) == run(1) and run(1) != run(2)
    g = ag.Generator().manual_seed(3)
    s = D.RandomSampler(range(9), generator=g)
    first = list(s)
    g.manual_seed(3)  # read at each draw: reseeding restarts the stream
    assert list(s) == first
    with pytest.raises(TypeError, match="autograd.Generator"):
        D.RandomSampler(range(3), generator=3)
