"""Tensor API, factories, devices and the device flag."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import backends


def test_basic_attributes():
    x = ag.tensor([[1.0, 2.0, 3.0]])
    assert x.shape == (1, 3) and x.ndim == 2 and len(x) == 1 and x.size() == (1, 3)
    assert x.size(1) == 3 and x.numel() == 3 and x.dtype == ag.float32
    assert str(x.device) == "cpu" and x.device == "cpu"
    assert x.T.shape == (3, 1)
    assert x.tolist() == [[1.0, 2.0, 3.0]]
    assert ag.tensor(3.5).item() == 3.5
    with pytest.raises(ValueError, match="one-element"):
        x.item()


def test_tensor_copies_from_numpy_shares():
    a = np.ones(3)
    t = ag.tensor(a)
    f = ag.from_numpy(a)
    a[0] = 5
    assert t.numpy()[0] == 1 and f.numpy()[0] == 5


def test_factories():
    ag.manual_seed(0)
    r1 = ag.randn(3, 4)
    ag.manual_seed(0)
    r2 = ag.randn((3, 4))
    np.testing.assert_array_equal(r1.numpy(), r2.numpy())
    assert r1.dtype == ag.float32
    assert ag.zeros(2, 3).shape == (2, 3) and ag.ones((2,)).numpy().sum() == 2
    assert ag.full((2,), 7).dtype == ag.int64 and ag.full((2,), 7.0).dtype == ag.float32
    assert ag.arange(5).dtype == ag.int64 and ag.arange(0, 1, 0.25).shape == (4,)
    np.testing.assert_allclose(ag.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(ag.eye(3).numpy(), np.eye(3))
    assert ag.zeros_like(r1).shape == r1.shape and ag.ones_like(r1, dtype=ag.float64).dtype \
        == ag.float64
    u = ag.rand(1000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1
    i = ag.randint(0, 5, (100,))
    assert i.dtype == ag.int64 and i.numpy().max() < 5
    assert ag.zeros(2, requires_grad=True).requires_grad


def test_casts_and_to():
    x = ag.tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == ag.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == ag.float32
    assert x.long().dtype == ag.int64 and x.to(ag.float16).dtype == ag.float16
    assert x.to("cpu") is x


def test_setitem_without_graph():
    x = ag.zeros(3)
    x[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0]
    w = ag.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 1.0
    with ag.no_grad():
        w[0] = 1.0
    assert w.tolist()[0] == 1.0


def test_cuda_without_gpu_raises_one_clear_error():
    if backends.cuda_is_available():
        pytest.skip("a GPU is present; this checks the no-GPU message")
    with pytest.raises(backends.DeviceUnavailableError, match="cuda"):
        ag.tensor([1.0], device="cuda")
    with pytest.raises(backends.DeviceUnavailableError):
        ag.ones(2).to("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        ag.zeros(2, device="tpu")


def test_default_device_from_environment_variable():
    if backends.cuda_is_available():
        pytest.skip("a GPU is present")
    code = "import autograd as ag; ag.zeros(1)"
    env = dict(os.environ, AUTOGRAD_DEVICE="cuda", PYTHONPATH=os.getcwd())
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True)
    assert proc.returncode != 0 and "DeviceUnavailableError" in proc.stderr
    env["AUTOGRAD_DEVICE"] = "cpu"
    proc = subprocess.run([sys.executable, "-c", code + "; print(ag.zeros(1).device)"],
                          env=env, capture_output=True, text=True)
    assert proc.stdout.strip() == "cpu", proc.stderr


def test_set_default_device():
    prev = ag.get_default_device()
    try:
        ag.set_default_device("cpu")
        assert ag.zeros(1).device == "cpu"
    finally:
        ag.set_default_device(prev)


def test_mixing_devices_names_both():
    other = backends.Device("cuda", 7, type(backends.CPU.backend)())  # a second device
    a = ag.ones(2)
    b = ag.ones(2)
    b.device = other
    with pytest.raises(backends.DeviceMismatchError, match=r"cpu.*cuda:7"):
        a + b


def test_iteration_and_split_chunk_semantics():
    x = ag.arange(10)
    assert [p.shape[0] for p in x.split(3)] == [3, 3, 3, 1]
    assert [p.shape[0] for p in x.chunk(3)] == [4, 4, 2]
    assert [p.shape[0] for p in x.split([2, 8])] == [2, 8]
    assert [int(v) for v in ag.arange(3)] == [0, 1, 2]


def test_var_std_are_unbiased_by_default():
    a = np.array([1.0, 2.0, 4.0, 7.0])
    assert ag.tensor(a).var().item() == pytest.approx(a.var(ddof=1))
    assert ag.tensor(a).std(unbiased=False).item() == pytest.approx(a.std())


def test_max_with_dim_returns_values_and_indices():
    x = ag.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.argmax().item() == 3 and x.argmin(0).tolist() == [0, 1, 0]


def test_reuse_freed_memory_is_an_explicit_opt_in():
    import platform
    import subprocess
    import sys

    code = ("import backends, sys; ok = backends.reuse_freed_memory(); "
            "import autograd as ag; x = ag.ones(1 << 20); print(ok, float(x.sum()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr
    ok, total = out.stdout.split()
    # glibc's mallopt exists exactly on glibc Linux; elsewhere the opt-in says it did nothing
    glibc = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"
    assert ok == str(glibc) and float(total) == 1 << 20
