"""The per-device buffer cache (backends/buffers.py): an array is handed out again only
when nobody else holds it; the cache is bounded, evicts least recently used free arrays,
and is released by clear() / backends.release_buffers()."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import backends
from backends.buffers import BufferCache
from backends.numpy_backend import NumpyBackend

MB = 1 << 20


def _cache(max_bytes=64 * MB, min_bytes=1024):
    made = []

    def allocate(shape, dtype):
        a = np.empty(shape, dtype)
        made.append(id(a))
        return a

    return BufferCache(allocate, None, max_bytes, min_bytes), made


def test_a_released_array_is_handed_out_again_and_a_held_one_is_not():
    cache, made = _cache()
    a = cache.empty((256, 256), np.float32)
    b = cache.empty((256, 256), np.float32)
    assert a is not b and len(made) == 2
    aid = id(a)
    del a
    c = cache.empty((256, 256), np.float32)
    assert id(c) == aid and len(made) == 2 and cache.hits == 1
    d = cache.empty((256, 256), np.float64)  # another dtype: another key
    e = cache.empty((128, 512), np.float32)  # another shape: another key
    assert len(made) == 4 and d.dtype == np.float64 and e.shape == (128, 512)
    assert len(cache) == 4 and cache.nbytes == 3 * 256 * 256 * 4 + 256 * 256 * 8


@pytest.mark.parametrize("hold", [
    lambda a: a[1:3].T, lambda a: a.reshape(-1)[::7], lambda a: a[:4][1:][::2],
    memoryview, lambda a: {"kept": a}, lambda a: np.asarray(a)],
    ids=["view", "flat view", "view of a view", "memoryview", "container", "asarray"])
def test_views_and_other_holders_keep_an_array_from_reuse(hold):
    cache, made = _cache()
    a = cache.empty((512, 512), np.float32)
    held = hold(a)
    del a
    b = cache.empty((512, 512), np.float32)
    assert len(made) == 2 and not np.shares_memory(b, np.asarray(held))
    del b, held
    cache.empty((512, 512), np.float32)
    cache.empty((512, 512), np.float32)
    assert len(made) == 2 and cache.hits == 2  # both free again


def test_zeros_clears_a_reused_array():
    cache, _ = _cache()
    a = cache.empty((300, 300), np.float64)
    a.fill(7.0)
    del a
    z = cache.zeros((300, 300), np.float64)
    assert cache.hits == 1 and not z.any()


def test_small_arrays_are_not_cached_and_the_bound_holds():
    cache, made = _cache(max_bytes=3 * MB, min_bytes=64 << 10)
    small = [cache.empty((100,), np.float32) for _ in range(3)]
    assert len(cache) == 0 and cache.misses == 0 and len(made) == 3
    held = [cache.empty((MB // 4,), np.float32) for _ in range(4)]  # 1 MB each, all held
    assert len(cache) == 3 and cache.nbytes == 3 * MB  # the fourth is served uncached
    huge = cache.empty((4 * MB,), np.uint8)  # larger than the bound: never cached
    assert len(cache) == 3
    del small, huge, held


def test_eviction_drops_least_recently_used_free_arrays():
    cache, _ = _cache(max_bytes=2 * MB, min_bytes=1024)
    a = cache.empty((MB // 4,), np.float32)
    b = cache.empty((MB // 8,), np.float64)
    ida, idb = id(a), id(b)
    del a, b
    again_b = cache.empty((MB // 8,), np.float64)  # b is now the most recently used
    assert id(again_b) == idb
    del again_b
    c = cache.empty((MB // 2,), np.int16)  # 1 MB more: a (the oldest free) goes
    assert len(cache) == 2 and cache.nbytes == 2 * MB
    keys = {id(x) for arrays in cache._arrays.values() for x in arrays}
    assert idb in keys and ida not in keys and id(c) in keys


def test_eviction_never_drops_an_array_in_use():
    cache, _ = _cache(max_bytes=2 * MB, min_bytes=1024)
    a = cache.empty((MB // 4,), np.float32)
    b = cache.empty((MB // 4,), np.float32)
    c = cache.empty((MB // 2,), np.int16)  # no free array to evict: served uncached
    assert len(cache) == 2 and {id(x) for x in cache._arrays[((MB // 4,), np.dtype(
        np.float32))]} == {id(a), id(b)}
    del c


def test_max_bytes_zero_turns_the_cache_off_and_clear_releases_it():
    cache, made = _cache(max_bytes=0)
    a = cache.empty((512, 512), np.float32)
    del a
    cache.empty((512, 512), np.float32)
    assert len(made) == 2 and len(cache) == 0
    cache, made = _cache()
    keep = cache.empty((512, 512), np.float32)
    cache.empty((512, 512), np.float32)
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0
    keep[...] = 1.0  # still the caller's
    cache.empty((512, 512), np.float32)
    assert len(made) == 3


def test_threads_never_share_a_buffer():
    cache, _ = _cache()
    errors = []

    def work(k):
        for i in range(200):
            a = cache.empty((256, 256), np.float32)
            a.fill(k * 1000 + i)
            if not (a == k * 1000 + i).all():
                errors.append((k, i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each thread holds at most two at once (the previous until the new one is bound)
    assert not errors and len(cache) <= 8


def test_each_backend_has_its_own_cache_and_release_buffers_clears_the_devices():
    b1, b2 = NumpyBackend(), NumpyBackend()
    assert b1.buffers is b1.buffers and b1.buffers is not b2.buffers
    cpu = backends.get_device("cpu").backend.buffers
    a = cpu.empty((512, 512), np.float32)
    assert len(cpu) >= 1
    backends.release_buffers()
    assert len(cpu) == 0 and cpu.nbytes == 0
    a[...] = 0.0  # still usable: only the cache's reference went
