"""PyTorch's namespaces and conveniences: ag.cuda and ag.accelerator (without a GPU, and
with an emulated CuPy for the memory counters), ag.testing.assert_close, inference_mode,
finfo/iinfo, Size, constants, version, legacy tensor types, Tensor.new_* and friends."""

from __future__ import annotations

import contextlib
import math
import pathlib
import types

import numpy as np
import pytest

import autograd as ag
import backends
from autograd import cuda as agcuda

ROOT = pathlib.Path(__file__).resolve().parents[2]
HAS_GPU = backends.cuda_is_available()
needs_no_gpu = pytest.mark.skipif(HAS_GPU, reason="a GPU is present")


# --- ag.cuda and ag.accelerator ---------------------------------------------------------


@needs_no_gpu
def test_cuda_queries_without_gpu():
    assert ag.cuda.is_available() is False
    assert ag.cuda.device_count() == 0
    assert ag.cuda.is_initialized() is False
    assert ag.cuda.memory_allocated() == 0 and ag.cuda.max_memory_allocated() == 0
    assert ag.cuda.memory_reserved() == 0
    ag.cuda.manual_seed(1)  # no-ops, as PyTorch without CUDA
    ag.cuda.manual_seed_all(1)
    ag.cuda.empty_cache()
    ag.cuda.reset_peak_memory_stats()
    for call in (ag.cuda.current_device, ag.cuda.synchronize, lambda: ag.cuda.set_device(0),
                 ag.cuda.get_device_name):
        with pytest.raises(backends.DeviceUnavailableError, match="cuda"):
            call()
    assert ag.accelerator.is_available() is False
    assert ag.accelerator.current_accelerator() is None
    assert ag.accelerator.device_count() == 0


class _FakePool:
    def __init__(self):
        self.used = 0

    def malloc(self, size):
        self.used += size
        return size

    def used_bytes(self):
        return self.used

    def total_bytes(self):
        return self.used + 100

    def free_all_blocks(self):
        self.freed = True


def _fake_cupy(pool):
    runtime = types.SimpleNamespace(getDevice=lambda: 0, getDeviceCount=lambda: 1)
    device = contextlib.nullcontext  # cupy.cuda.Device(i) as a context manager
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime, Device=device),
                                 get_default_memory_pool=lambda: pool,
                                 get_default_pinned_memory_pool=lambda: pool)
    fake.cuda.set_allocator = lambda fn: setattr(fake, "allocator", fn)
    return fake


def test_cuda_peak_memory_counts_through_the_allocator(monkeypatch):
    pool = _FakePool()
    fake = _fake_cupy(pool)
    monkeypatch.setattr(agcuda, "_cupy", lambda: fake)
    monkeypatch.setattr(agcuda, "_counter", None)
    assert agcuda.memory_allocated() == 0  # starts tracking: installs the allocator
    fake.allocator(1000)
    fake.allocator(500)
    pool.used -= 1200  # frees
    assert agcuda.memory_allocated() == 300
    assert agcuda.max_memory_allocated() == 1500
    assert agcuda.memory_reserved() == 400
    agcuda.reset_peak_memory_stats()
    assert agcuda.max_memory_allocated() == 300
    agcuda.empty_cache()
    assert pool.freed


# --- assert_close ---------------------------------------------------------------------


def test_assert_close_defaults_and_messages():
    x = ag.tensor([1.0, 2.0, 3.0])
    ag.testing.assert_close(x, x + 1e-6)  # float32: rtol 1.3e-6, atol 1e-5
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 3 \(33.3%\)"):
        ag.testing.assert_close(x, ag.tensor([1.0, 2.1, 3.0]))
    with pytest.raises(AssertionError, match="dtype"):
        ag.testing.assert_close(x, x.double())
    ag.testing.assert_close(x, x.double(), check_dtype=False)
    with pytest.raises(AssertionError, match="shape"):
        ag.testing.assert_close(x, x[:2])
    ag.testing.assert_close(ag.tensor([1, 2]), ag.tensor([1, 2]))
    with pytest.raises(AssertionError):
        ag.testing.assert_close(ag.tensor([1, 2]), ag.tensor([1, 3]))  # integers: exact
    nan = ag.tensor([float("nan")])
    with pytest.raises(AssertionError):
        ag.testing.assert_close(nan, nan)
    ag.testing.assert_close(nan, nan, equal_nan=True)
    ag.testing.assert_close({"a": [x, 1.0]}, {"a": [x, 1.0]})
    with pytest.raises(AssertionError, match="custom"):
        ag.testing.assert_close(x, x * 2, msg="custom")
    with pytest.raises(ValueError, match="both"):
        ag.testing.assert_close(x, x, rtol=1e-3)
    ag.testing.assert_close(x, x * 1.01, rtol=0.02, atol=0.0)


def test_assert_close_agrees_with_torch():
    torch = pytest.importorskip("torch")
    for a, b, kw in [([1.0, 2.0], [1.0, 2.00001], {}), ([1.0, 2.0], [1.0, 2.0001], {}),
                     ([1e-6], [2e-6], {}), ([1.0], [1.1], {"rtol": 0.2, "atol": 0.0})]:
        ours = theirs = True
        try:
            ag.testing.assert_close(ag.tensor(a), ag.tensor(b), **kw)
        except AssertionError:
            ours = False
        try:
            torch.testing.assert_close(torch.tensor(a), torch.tensor(b), **kw)
        except AssertionError:
            theirs = False
        assert ours == theirs, (a, b, kw)


# --- grad modes, dtype info, constants, version -------------------------------------------


def test_inference_mode_forms():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.inference_mode():
        assert not (x * 2).requires_grad and ag.is_inference_mode_enabled()
    with ag.inference_mode(False):
        assert (x * 2).requires_grad

    @ag.inference_mode()
    def called(t):
        return t * 2

    @ag.inference_mode
    def bare(t):
        return t * 2

    assert not called(x).requires_grad and not bare(x).requires_grad
    assert (x * 2).requires_grad  # restored


def test_finfo_iinfo_match_numpy_and_torch():
    f = ag.finfo(ag.float32)
    assert f.eps == float(np.finfo(np.float32).eps) and f.bits == 32
    assert ag.finfo().dtype == ag.get_default_dtype()
    assert ag.iinfo(ag.int64).max == 2**63 - 1 and ag.iinfo(ag.uint8).min == 0
    with pytest.raises(TypeError, match="floating"):
        ag.finfo(ag.int32)
    with pytest.raises(TypeError, match="integer"):
        ag.iinfo(ag.float32)
    torch = pytest.importorskip("torch")
    for ours, theirs in ((ag.float16, torch.float16), (ag.float64, torch.float64)):
        a, b = ag.finfo(ours), torch.finfo(theirs)
        assert (a.eps, a.max, a.min, a.tiny, a.resolution, a.bits) == (
            b.eps, b.max, b.min, b.tiny, b.resolution, b.bits)


def test_constants_size_version():
    assert ag.inf == math.inf and ag.pi == math.pi and ag.e == math.e and math.isnan(ag.nan)
    x = ag.zeros(2, 3)
    s = x.size()
    assert isinstance(s, ag.Size) and s == (2, 3) and s.numel() == 6 and x.size(1) == 3
    assert isinstance(s[1:], ag.Size) and repr(s) == "Size([2, 3])"
    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{ag.__version__}"' in text
    assert ag.version.__version__ == ag.__version__ and ag.version.cuda is None
    ag.set_float32_matmul_precision("high")
    assert ag.get_float32_matmul_precision() == "high"
    ag.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match="precision"):
        ag.set_float32_matmul_precision("low")


def test_legacy_tensor_types():
    a = ag.FloatTensor([1, 2])
    assert a.dtype == ag.float32 and isinstance(a, ag.FloatTensor)
    assert not isinstance(a, ag.LongTensor)
    assert ag.LongTensor(2, 3).shape == (2, 3) and ag.LongTensor(2, 3).dtype == ag.int64
    assert ag.FloatTensor().shape == (0,)
    assert a.type(ag.LongTensor).dtype == ag.int64
    assert a.type("torch.DoubleTensor").dtype == ag.float64
    assert a.type(ag.float64).dtype == ag.float64


def test_tensor_conveniences():
    x = ag.tensor([[1.0, 2.0]], dtype=ag.float64)
    assert x.new_zeros(2, 3).dtype == ag.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(2).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_full((2,), 7).dtype == x.dtype
    assert x.new_empty(4).shape == (4,)
    t = x.new_tensor([1, 2])
    assert t.dtype == ag.float64 and not t.requires_grad
    assert x.new_zeros(2, dtype=ag.int64).dtype == ag.int64
    assert ag.tensor([1, 2]).type_as(x).dtype == ag.float64
    assert x.view_as(ag.zeros(2, 1)).shape == (2, 1)
    assert x.nelement() == 2 and x.element_size() == 8
    assert x.contiguous() is x and x.is_contiguous() and x.is_floating_point()
    assert (ag.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (ag.tensor([7.0, -7.0]) % 3).tolist() == [1.0, 2.0]


# --- random: Generator and sampling -------------------------------------------------------


def test_generator_streams_are_reproducible_and_independent():
    g = ag.Generator().manual_seed(3)
    a = ag.rand(5, generator=g)
    b = ag.randn(2, 2, generator=g)
    g.manual_seed(3)
    assert np.array_equal(a.numpy(), ag.rand(5, generator=g).numpy())
    assert np.array_equal(b.numpy(), ag.randn(2, 2, generator=g).numpy())
    assert g.initial_seed() == 3
    # drawing from g does not move the default stream that manual_seed seeds
    ag.manual_seed(11)
    first = ag.rand(4)
    ag.manual_seed(11)
    ag.randint(0, 5, (3,), generator=g)
    ag.randperm(4, generator=g)
    assert np.array_equal(first.numpy(), ag.rand(4).numpy())


def test_manual_seed_stream_unchanged():
    ag.manual_seed(0)
    expected = np.random.default_rng(0).random(3, dtype=np.float32)
    assert np.array_equal(ag.rand(3).numpy(), expected)


def test_generator_rejects_other_devices_and_types():
    class Elsewhere:
        pass

    with pytest.raises(TypeError, match="Generator"):
        ag.rand(2, generator=np.random.default_rng(0))
    g = ag.Generator()
    other = backends.Device("cuda", 0, backends.CPU.backend)  # a stand-in second device
    with pytest.raises(RuntimeError, match="generator is on cpu"):
        g.for_device(other)
    assert isinstance(repr(g), str) and Elsewhere


def test_multinomial_frequencies_and_no_replacement():
    g = ag.Generator().manual_seed(0)
    w = ag.tensor([0.1, 0.0, 0.6, 0.3], dtype=ag.float64)
    draws = ag.multinomial(w, 20000, replacement=True, generator=g)
    assert draws.dtype == ag.int64 and draws.shape == (20000,)
    freq = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.015)
    rows = ag.tensor([[1.0, 1.0, 0.0, 2.0]] * 3000)
    picks = ag.multinomial(rows, 3, generator=g).numpy()
    assert picks.shape == (3000, 3)
    assert all(len(set(r)) == 3 and 2 not in r for r in picks[:200])
    first = np.bincount(picks[:, 0], minlength=4) / 3000
    np.testing.assert_allclose(first, [0.25, 0.25, 0.0, 0.5], atol=0.03)
    with pytest.raises(RuntimeError, match="without replacement"):
        ag.multinomial(rows, 4)
    with pytest.raises(RuntimeError, match="non-negative"):
        ag.multinomial(ag.tensor([1.0, -1.0]), 1)
    assert w.multinomial(2, generator=g).shape == (2,)


def test_bernoulli_poisson_normal_randint_like():
    g = ag.Generator().manual_seed(1)
    p = ag.full((20000,), 0.3, dtype=ag.float64)
    b = ag.bernoulli(p, generator=g)
    assert b.dtype == ag.float64 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    assert abs(b.numpy().mean() - 0.3) < 0.015
    assert abs(p.bernoulli(0.8, generator=g).numpy().mean() - 0.8) < 0.015
    lam = ag.full((20000,), 4.0)
    s = ag.poisson(lam, generator=g)
    assert s.dtype == ag.float32 and abs(s.numpy().mean() - 4.0) < 0.1
    n = ag.normal(2.0, 3.0, (20000,), generator=g)
    assert abs(n.numpy().mean() - 2.0) < 0.1 and abs(n.numpy().std() - 3.0) < 0.1
    m = ag.normal(ag.zeros(3, 1), ag.ones(4), generator=g)
    assert m.shape == (3, 4) and m.dtype == ag.float32
    r = ag.randint_like(ag.zeros(1000, dtype=ag.int64), 3, 6, generator=g)
    assert r.dtype == ag.int64 and r.numpy().min() == 3 and r.numpy().max() == 5
    g.manual_seed(5)
    x1 = ag.normal(0.0, 1.0, (3,), generator=g)
    g.manual_seed(5)
    assert np.array_equal(x1.numpy(), ag.normal(0.0, 1.0, (3,), generator=g).numpy())
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        ag.bernoulli(ag.tensor([1.5]))
