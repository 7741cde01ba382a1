"""ag.data: TensorDataset, DataLoader (batching, seeded shuffle, collation, progress)."""

from __future__ import annotations

import builtins
import io

import numpy as np
import pytest

import autograd as ag
from autograd import data as D


def make(n=10):
    x = ag.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = ag.tensor(np.arange(n, dtype=np.int64))
    return D.TensorDataset(x, y)


def test_tensor_dataset_items_and_len():
    ds = make(5)
    assert len(ds) == 5
    x, y = ds[2]
    np.testing.assert_array_equal(x.numpy(), [6, 7, 8])
    assert int(y) == 2
    with pytest.raises(ValueError, match="size mismatch"):
        D.TensorDataset(ag.zeros(3, 2), ag.zeros(4))
    with pytest.raises(TypeError, match="expected a Tensor"):
        D.TensorDataset([1, 2, 3])
    ds = D.TensorDataset(np.zeros((4, 2)), np.arange(4))  # NumPy arrays are wrapped
    assert isinstance(ds.tensors[0], ag.Tensor) and len(ds) == 4


@pytest.mark.parametrize("drop_last,sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batches_in_order_with_and_without_drop_last(drop_last, sizes):
    loader = D.DataLoader(make(10), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == sizes == [4] * (len(sizes) - 1) + [sizes[-1]]
    assert len(loader) == len(sizes)
    ys = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(ys, np.arange(sum(sizes)))
    xb, yb = batches[0]
    assert xb.shape == (4, 3) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 3)  # rows stay paired


def test_tensor_dataset_is_gathered_by_whole_array_indexing():
    class NoItems(D.TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample __getitem__ called")

    ds = NoItems(*make(9).tensors)
    assert sum(len(b[0]) for b in D.DataLoader(ds, batch_size=4, shuffle=True, seed=0)) == 9


def test_shuffle_depends_only_on_seed_and_epoch():
    def order(loader):
        return np.concatenate([b[1].numpy() for b in loader])

    a = D.DataLoader(make(20), batch_size=3, shuffle=True, seed=7)
    e0, e1 = order(a), order(a)  # epochs 0 and 1
    assert sorted(e0) == list(range(20)) and not np.array_equal(e0, e1)
    b = D.DataLoader(make(20), batch_size=3, shuffle=True, seed=7)
    b.set_epoch(1)
    np.testing.assert_array_equal(order(b), e1)  # a resumed loader sees the same batches
    b.set_epoch(0)
    np.testing.assert_array_equal(order(b), e0)
    c = D.DataLoader(make(20), batch_size=3, shuffle=True, seed=8)
    assert not np.array_equal(order(c), e0)


def test_shuffle_with_a_numpy_generator_or_the_global_seed():
    def order(loader):
        return np.concatenate([b[1].numpy() for b in loader])

    o1 = order(D.DataLoader(make(15), batch_size=4, shuffle=True,
                            generator=np.random.default_rng(3)))
    o2 = order(D.DataLoader(make(15), batch_size=4, shuffle=True,
                            generator=np.random.default_rng(3)))
    np.testing.assert_array_equal(o1, o2)
    ag.manual_seed(11)
    g1 = order(D.DataLoader(make(15), batch_size=4, shuffle=True))
    ag.manual_seed(11)
    g2 = order(D.DataLoader(make(15), batch_size=4, shuffle=True))
    np.testing.assert_array_equal(g1, g2)
    with pytest.raises(ValueError, match="either seed or generator"):
        D.DataLoader(make(), seed=1, generator=np.random.default_rng())
    with pytest.raises(ValueError, match="batch_size"):
        D.DataLoader(make(), batch_size=0)


def test_generic_dataset_is_collated_by_stacking():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i * i, "w": 0.5,
                    "pair": (ag.tensor([float(i)]), i % 2 == 0)}

    (b0, b1) = list(D.DataLoader(Squares(), batch_size=3))
    np.testing.assert_array_equal(b0["x"].numpy(), [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(b1["y"].numpy(), [9, 16])
    assert b0["y"].dtype == np.int64 and b0["w"].dtype == np.float32
    assert b0["pair"][0].shape == (3, 1) and b0["pair"][1].dtype == np.bool_
    with pytest.raises(TypeError, match="cannot batch"):
        D.default_collate([object()])


def test_device_argument_keeps_cpu_batches_on_cpu():
    (xb, yb), *_ = D.DataLoader(make(4), batch_size=2, device="cpu")
    assert str(xb.device) == "cpu" and str(yb.device) == "cpu"


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    loader = D.DataLoader(make(8), batch_size=2, progress="train")
    assert len(list(loader)) == 4
    assert loader.bar is not None and loader.bar.n == 4
    assert "train" in capsys.readouterr().err


def test_progress_bar_without_tqdm(monkeypatch):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    buf = io.StringIO()
    monkeypatch.setattr("sys.stderr", buf)
    loader = D.DataLoader(make(6), batch_size=2, progress="fit")
    batches = []
    for b in loader:
        loader.bar.set_postfix(loss=0.5)
        batches.append(b)
    assert len(batches) == 3 and isinstance(loader.bar, D._TextBar)
    out = buf.getvalue()
    assert "fit" in out and "3/3" in out and "loss=0.5" in out


def test_random_split_partitions():
    a, b = D.random_split(make(10), [7, 3], seed=0)
    ys = sorted(int(a[i][1]) for i in range(7)) + sorted(int(b[i][1]) for i in range(3))
    assert sorted(ys) == list(range(10)) and len(a) == 7
    with pytest.raises(ValueError, match="sum to"):
        D.random_split(make(10), [5, 3])


def test_ag_data_is_exported():
    assert ag.data.DataLoader is D.DataLoader and ag.data.TensorDataset is D.TensorDataset
