"""Every collective of autograd.distributed against a NumPy reference, on every dtype
and ReduceOp, blocking and async, on contiguous and strided tensors. Each rank can
rebuild every rank's input (seeded by rank), so references are computed locally."""

import numpy as np

import autograd as ag
import autograd.distributed as dist

dist.init_process_group("mpi", timeout=30)
R, W = dist.get_rank(), dist.get_world_size()
DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool", "complex64"]


def data(rank, shape, dtype, salt=0):
    g = np.random.default_rng([rank, salt, len(shape)])
    if dtype == "bool":
        return g.random(shape) < 0.5
    if dtype.startswith("complex"):
        return (g.normal(size=shape) + 1j * g.normal(size=shape)).astype(dtype)
    if dtype.startswith(("int", "uint")):
        return g.integers(1, 4, size=shape).astype(dtype)
    return g.normal(size=shape).astype(dtype)


def reference(op, arrays, dtype):
    a = np.stack(arrays)
    if dtype == "bool":
        return a.any(0) if op in ("SUM", "MAX") else a.all(0)
    if op == "SUM":
        return a.sum(0, dtype=a.dtype)
    if op == "AVG":
        return (a.sum(0, dtype=a.dtype) / W).astype(a.dtype)
    if op == "PRODUCT":
        return a.prod(0, dtype=a.dtype)
    return a.max(0) if op == "MAX" else a.min(0)


def close(got, want, dtype):
    tol = {"float16": 2e-2, "float32": 1e-5, "complex64": 1e-5}.get(dtype, 1e-12)
    if dtype in ("bool",) or dtype.startswith(("int", "uint")):
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


checked = 0
shape = (3, 4)
for dtype in DTYPES:
    for op in dist.ReduceOp:
        mine = data(R, shape, dtype)
        t = ag.tensor(mine.copy())
        bad = (op is dist.ReduceOp.AVG and dtype not in ("float32", "float64", "float16",
                                                         "complex64")) or (
            dtype == "complex64" and op in (dist.ReduceOp.MIN, dist.ReduceOp.MAX))
        if bad:
            try:
                dist.all_reduce(t, op)
            except TypeError:
                checked += 1
                continue
            raise AssertionError(f"all_reduce {op} on {dtype} should raise")
        for async_op in (False, True):
            t = ag.tensor(mine.copy())
            work = dist.all_reduce(t, op, async_op=async_op)
            if async_op:
                assert work.wait() and work.is_completed()
            close(t.numpy(), reference(op.name, [data(q, shape, dtype) for q in range(W)],
                                       dtype), dtype)
            checked += 1

    # broadcast from each root, on a strided view (written back through the view)
    for root in range(W):
        base = ag.tensor(data(R, (4, 6), dtype, 1))
        view = base[:, ::2]
        dist.broadcast(view, src=root)
        np.testing.assert_array_equal(base.numpy()[:, ::2], data(root, (4, 6), dtype, 1)[:, ::2])
        np.testing.assert_array_equal(base.numpy()[:, 1::2], data(R, (4, 6), dtype, 1)[:, 1::2])
        checked += 1

    # all_gather, all_gather_into_tensor (concatenated and stacked)
    mine = data(R, (2, 3), dtype, 2)
    outs = [ag.tensor(np.zeros((2, 3), dtype)) for _ in range(W)]
    dist.all_gather(outs, ag.tensor(mine))
    for q in range(W):
        np.testing.assert_array_equal(outs[q].numpy(), data(q, (2, 3), dtype, 2))
    every = np.concatenate([data(q, (2, 3), dtype, 2) for q in range(W)])
    cat = ag.tensor(np.zeros((2 * W, 3), dtype))
    dist.all_gather_into_tensor(cat, ag.tensor(mine))
    np.testing.assert_array_equal(cat.numpy(), every)
    stk = ag.tensor(np.zeros((W, 2, 3), dtype))
    dist.all_gather_into_tensor(stk, ag.tensor(mine), async_op=True).wait()
    np.testing.assert_array_equal(stk.numpy(), every.reshape(W, 2, 3))
    checked += 3

    # reduce_scatter_tensor and reduce
    if dtype != "complex64":
        full = [data(q, (W * 2, 3), dtype, 3) for q in range(W)]
        out = ag.tensor(np.zeros((2, 3), dtype))
        dist.reduce_scatter_tensor(out, ag.tensor(full[R]), dist.ReduceOp.MAX)
        close(out.numpy(), reference("MAX", full, dtype)[2 * R:2 * R + 2], dtype)
        for dst in range(W):
            t = ag.tensor(full[R].copy())
            dist.reduce(t, dst, dist.ReduceOp.SUM)
            if R == dst:
                close(t.numpy(), reference("SUM", full, dtype), dtype)
            else:
                np.testing.assert_array_equal(t.numpy(), full[R])
        checked += 1 + W

    # gather and scatter
    for root in range(W):
        mine = data(R, (3,), dtype, 4)
        lst = [ag.tensor(np.zeros(3, dtype)) for _ in range(W)] if R == root else None
        dist.gather(ag.tensor(mine), lst, dst=root)
        if R == root:
            for q in range(W):
                np.testing.assert_array_equal(lst[q].numpy(), data(q, (3,), dtype, 4))
        src = [ag.tensor(data(q, (3,), dtype, 5)) for q in range(W)] if R == root else None
        got = ag.tensor(np.zeros(3, dtype))
        dist.scatter(got, src, src=root)
        np.testing.assert_array_equal(got.numpy(), data(R, (3,), dtype, 5))
        checked += 2

# point to point: a ring, with isend/irecv and with a recv from any source
nxt, prv = (R + 1) % W, (R - 1) % W
send = dist.isend(ag.tensor(data(R, (5,), "float64", 6)), nxt, tag=3)
got = ag.zeros(5, dtype=ag.float64)
work = dist.irecv(got, prv, tag=3)
work.wait()
send.wait()
np.testing.assert_array_equal(got.numpy(), data(prv, (5,), "float64", 6))
assert work.source == prv
if R == 0:
    senders = set()
    for _ in range(W - 1):
        t = ag.zeros(2)
        q = dist.recv(t)
        senders.add(q)
        assert t.tolist() == [float(q), float(q)]
    assert senders == set(range(1, W))
else:
    dist.send(ag.full((2,), float(R)), 0)
checked += 2

# 0-d tensors, empty tensors, a GPU-less host staging check of the Tensor API
s = ag.tensor(float(R + 1), dtype=ag.float64)
dist.all_reduce(s)
assert s.item() == W * (W + 1) / 2
e = ag.zeros(0)
dist.all_reduce(e)
dist.barrier()
dist.barrier(async_op=True).wait()
checked += 3

# the wrong arguments are refused before anything is sent
for call, exc in [(lambda: dist.broadcast(ag.ones(2), src=W), ValueError),
                  (lambda: dist.all_gather([ag.ones(2)] * (W + 1), ag.ones(2)), ValueError),
                  (lambda: dist.all_reduce(ag.ones(2), "sum"), TypeError),
                  (lambda: dist.all_reduce(np.ones(2)), TypeError),
                  (lambda: dist.reduce_scatter_tensor(ag.ones(3), ag.ones(3 * W + 1)),
                   ValueError)]:
    try:
        call()
    except exc:
        checked += 1
    else:
        raise AssertionError("a bad call was not refused")

dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {R}: {checked} collective checks ok", flush=True)
