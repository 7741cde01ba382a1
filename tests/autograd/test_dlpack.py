"""Zero-copy interchange: DLPack both ways with NumPy, PyTorch and JAX, ``__array__``,
``from_numpy``; every round trip proves the memory is shared by writing through one side
and reading the other."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.tensor import _wrap


def _aligned(shape, dtype=np.float32, align=64):
    """A NumPy array whose data starts on an ``align``-byte boundary (JAX imports only
    such buffers without a copy)."""
    n = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buf = np.empty(n + align, np.uint8)
    off = (-buf.ctypes.data) % align
    return buf[off:off + n].view(dtype).reshape(shape)


def test_numpy_from_tensor_shares_memory():
    t = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.from_dlpack(t)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    a[0, 1] = 42.0
    assert t.tolist() == [[1.0, 42.0], [3.0, 4.0]]


def test_tensor_from_numpy_dlpack_shares_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = ag.from_dlpack(a)
    assert t.dtype == np.float64 and t.shape == (2, 3) and str(t.device) == "cpu"
    assert not t.requires_grad and t.is_leaf
    a[1, 2] = -7.0
    assert t[1, 2].item() == -7.0
    t.array[0, 0] = 9.0  # and the other way
    assert a[0, 0] == 9.0


def test_engine_writes_into_a_foreign_array_bump_the_version_counter():
    a = np.ones(3, np.float32)
    t = ag.from_dlpack(a)
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * t).sum()  # Mul saves t for its backward
    t.mul_(2.0)  # the engine writes into NumPy's memory...
    assert a.tolist() == [2.0, 2.0, 2.0] and t._version == 1
    with pytest.raises(RuntimeError, match="modified in place to version 1"):
        y.backward()  # ...and backward refuses the changed saved array, as PyTorch does
    assert ag.from_dlpack(t)._version == 1  # a Tensor re-imported shares its counter


def test_from_numpy_shares_memory_as_torch_does():
    a = np.zeros(3, np.int64)
    t = ag.from_numpy(a)
    a[1] = 5
    assert t.tolist() == [0, 5, 0]


def test_array_protocol_shares_and_converts():
    t = ag.tensor([1.0, 2.0, 3.0])
    a = np.asarray(t)
    assert np.shares_memory(a, t.array)
    a[0] = 10.0
    assert t[0].item() == 10.0
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert not np.shares_memory(np.array(t, copy=True), t.array)


def test_array_of_a_gpu_tensor_says_to_call_cpu():
    class FakeCuda:  # only the device type matters to __array__
        type = "cuda"

        def __str__(self):
            return "cuda:0"

    t = _wrap(np.zeros(3, np.float32), FakeCuda())
    with pytest.raises(TypeError, match=r"cuda:0 tensor .*\.cpu\(\)"):
        np.asarray(t)


def test_cuda_array_interface_only_on_gpu_tensors():
    t = ag.tensor([1.0])
    assert not hasattr(t, "__cuda_array_interface__")
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


def test_dlpack_refuses_a_tensor_that_requires_grad():
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        np.from_dlpack(t)
    a = np.from_dlpack(t.detach())
    a[0] = 3.0
    assert t[0].item() == 3.0


def test_from_dlpack_rejects_non_producers():
    with pytest.raises(TypeError, match="__dlpack__"):
        ag.from_dlpack([1, 2, 3])


def test_torch_round_trip_shares_memory():
    torch = pytest.importorskip("torch")
    t = ag.tensor([[1.0, 2.0, 3.0]])
    tt = torch.from_dlpack(t)
    assert tt.dtype == torch.float32 and tuple(tt.shape) == (1, 3)
    tt[0, 2] = -1.0
    assert t.tolist() == [[1.0, 2.0, -1.0]]
    src = torch.arange(4, dtype=torch.float64)
    back = ag.from_dlpack(src)
    assert back.dtype == np.float64
    src[3] = 100.0
    assert back.tolist() == [0.0, 1.0, 2.0, 100.0]
    back.array[0] = -5.0
    assert src[0].item() == -5.0


def test_jax_round_trip_shares_memory():
    jax = pytest.importorskip("jax")
    a = _aligned((2, 3))
    a[:] = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ag.from_numpy(a)
    j = jax.dlpack.from_dlpack(t)
    assert j.unsafe_buffer_pointer() == a.ctypes.data
    t.array[0, 0] = 42.0  # a write through the engine is seen by JAX
    assert float(j[0, 0]) == 42.0
    x = jax.numpy.arange(4.0, dtype=jax.numpy.float32)
    back = ag.from_dlpack(x)
    assert back.array.__array_interface__["data"][0] == x.unsafe_buffer_pointer()
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0]
