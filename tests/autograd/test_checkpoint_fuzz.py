"""Checkpoint fuzz: whatever the bytes, ``ag.load`` returns the saved content or raises
``CheckpointError``, and a small hostile file cannot make it use much memory.

Truncation at every length, every header byte flipped, data bytes flipped, and headers
crafted by hypothesis (``--hypothesis-profile=long`` for thousands of them); then a
subprocess loads hostile 16 MiB files and reports its peak RSS.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd.serialization import CheckpointError

MiB = 1 << 20


def _original():
    return {
        "model": {"w": ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
                  "b": ag.tensor([1.5, -2.0], dtype=ag.float64, requires_grad=True)},
        "step": 7, "names": ("a", None, 2.5), "mask": ag.tensor([True, False]),
        "keys": {1: "x", "y": [math.inf, -0.0]},
    }


def _same(a, b) -> bool:
    """Structural equality that compares tensors by dtype, shape, values and grad flag."""
    if isinstance(a, ag.Tensor):
        return (isinstance(b, ag.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.requires_grad == b.requires_grad
                and np.array_equal(a.numpy(), b.numpy()))
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b)
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, list | tuple):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(a, float):
        return isinstance(b, float) and math.copysign(1, a) == math.copysign(1, b) and (
            a == b or (math.isnan(a) and math.isnan(b)))
    return type(a) is type(b) and a == b


def _outcome(path, original) -> str:
    """"same" or "error"; anything else (other content, another exception) fails."""
    try:
        got = ag.load(path)
    except CheckpointError:
        return "error"
    assert _same(original, got), f"{path} loaded as different content"
    return "same"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ck") / "ck.safetensors"
    ag.save(_original(), path)
    return path.read_bytes()


def test_truncation_at_every_length(saved, tmp_path):
    path = tmp_path / "t.safetensors"
    for cut in range(len(saved)):
        path.write_bytes(saved[:cut])
        assert _outcome(path, _original()) == "error", cut
    path.write_bytes(saved)
    assert _outcome(path, _original()) == "same"


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80, 0xFF])
def test_every_header_byte_flipped(saved, tmp_path, mask):
    path = tmp_path / "f.safetensors"
    n = int.from_bytes(saved[:8], "little")
    outcomes = {"same": 0, "error": 0}
    for pos in range(8 + n):
        bad = bytearray(saved)
        bad[pos] ^= mask
        path.write_bytes(bytes(bad))
        outcomes[_outcome(path, _original())] += 1
    # only a whitespace byte of the padding (or an unused length bit) may flip harmlessly
    assert outcomes["error"] > 0.9 * (8 + n)


def test_data_bytes_flipped(saved, tmp_path):
    path = tmp_path / "d.safetensors"
    n = int.from_bytes(saved[:8], "little")
    for pos in range(8 + n, len(saved)):
        bad = bytearray(saved)
        bad[pos] ^= 0x04
        path.write_bytes(bytes(bad))
        assert _outcome(path, _original()) == "error", pos


# --- crafted headers -----------------------------------------------------------------

_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=False), st.text(max_size=8))
_dtype = st.one_of(st.sampled_from(["F32", "F64", "I64", "BOOL", "BF16", "U8", "F16"]),
                   _json_scalar, st.lists(st.just("F32"), max_size=2))
_dim = st.one_of(st.integers(0, 5), st.integers(-3, 2**64), st.just(10**30), _json_scalar)
_entry = st.one_of(
    st.fixed_dictionaries({"dtype": _dtype,
                           "shape": st.one_of(st.lists(_dim, max_size=4), _json_scalar),
                           "data_offsets": st.one_of(st.lists(_dim, min_size=0, max_size=3),
                                                     _json_scalar)}),
    _json_scalar)


def _node(children):
    ref = st.sampled_from(["a", "b", "zz"])
    return st.one_of(
        st.lists(children, max_size=3),
        st.fixed_dictionaries({"__tensor__": st.one_of(ref, _json_scalar),
                               "device": st.one_of(st.sampled_from(["cpu", "cuda", "cuda:9",
                                                                    "tpu", ""]),
                                                   _json_scalar),
                               "requires_grad": _json_scalar}),
        st.fixed_dictionaries({"__ndarray__": st.one_of(ref, _json_scalar)}),
        st.fixed_dictionaries({"__tuple__": st.one_of(st.lists(children, max_size=3),
                                                      _json_scalar)}),
        st.fixed_dictionaries({"__dict__": st.one_of(
            st.lists(st.lists(children, min_size=0, max_size=3), max_size=3), _json_scalar)}),
        st.fixed_dictionaries({"__float__": st.one_of(st.sampled_from(["inf", "nan", "x"]),
                                                      _json_scalar)}),
        st.dictionaries(st.text(max_size=3), children, max_size=2),
    )


_structure = st.recursive(_json_scalar, _node, max_leaves=12)
_metadata = st.one_of(
    st.none(), _json_scalar,
    st.fixed_dictionaries(
        {"format": st.one_of(st.just("autograd.checkpoint"), _json_scalar),
         "version": st.one_of(st.sampled_from(["1", "0", "2", "x", "9" * 50]), _json_scalar),
         "structure": st.one_of(_structure.map(json.dumps), st.text(max_size=5),
                                _json_scalar)},
        optional={"checksum": st.one_of(st.just("crc32:00000000"), st.text(max_size=14),
                                        _json_scalar)}),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
@given(entries=st.dictionaries(st.sampled_from(["a", "b", "c", "__metadata__"]), _entry,
                               max_size=3),
       metadata=_metadata, data=st.binary(max_size=40), pad=st.integers(-3, 3))
def test_crafted_headers_only_raise_checkpoint_error(tmp_path, entries, metadata, data, pad):
    header = dict(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    path = tmp_path / "c.safetensors"
    path.write_bytes(max(0, len(raw) + pad).to_bytes(8, "little") + raw + data)
    try:
        ag.load(path)
    except CheckpointError:
        pass


# --- memory: a 16 MiB file may not make load use more than 64 MiB --------------------


def _hostile_files(directory) -> dict[str, str]:
    """Files of at most 16 MiB built to make a loader allocate far more than that."""
    files = {}

    def write(name, header: bytes | dict, data: bytes | int = 0):
        head = header if isinstance(header, bytes) else json.dumps(header).encode()
        data = data if isinstance(data, bytes) else bytes(data)
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(len(head).to_bytes(8, "little") + head + data)
        assert os.path.getsize(path) <= 16 * MiB
        files[name] = path

    # the file: 1,000 entries all pointing at the same 16 KB (15.6 GiB before)
    write("overlapping", {f"t{i}": {"dtype": "F32", "shape": [4000],
                                    "data_offsets": [0, 16000]} for i in range(1000)},
          16 * MiB - 200_000)
    # JSON whose parsed values cost ~20x their text
    write("json_bomb", b'{"x":[' + b"[]," * (5 * MiB) + b"[]]}")
    # as many values as the limit allows, in the costliest form, next to data
    n_items = 500_000 + (10 * MiB) // 64
    write("json_at_limit", b'{"x":[' + b'{"a":0},' * (n_items // 4 - 2) + b'{"a":0}]}',
          10 * MiB)
    # 16 MiB of bfloat16: a float32 result twice the file, read in pieces
    write("bfloat16", {"t": {"dtype": "BF16", "shape": [8 * MiB - 64],
                             "data_offsets": [0, 16 * MiB - 128]}}, 16 * MiB - 128)
    # a plain 16 MiB tensor (the baseline a loader cannot beat)
    write("one_tensor", {"t": {"dtype": "F32", "shape": [4 * MiB - 64],
                               "data_offsets": [0, 16 * MiB - 256]}}, 16 * MiB - 256)
    # 20,000 tiny tensors: per-object overhead
    write("many_tensors", {f"t{i}": {"dtype": "U8", "shape": [1],
                                     "data_offsets": [i, i + 1]} for i in range(20_000)},
          20_000)
    # a 15 MiB tensor name, deep nesting, a 1 TB claim, 10**30-element empty shape
    write("long_name", {"n" * (15 * MiB): {"dtype": "U8", "shape": [0],
                                           "data_offsets": [0, 0]}})
    write("deep", b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    write("terabyte", {"t": {"dtype": "U8", "shape": [2**40], "data_offsets": [0, 2**40]}},
          1000)
    write("huge_empty", {"t": {"dtype": "F64", "shape": [0, 10**30], "data_offsets": [0, 0]}})
    return files


_PROBE = r"""
import gc, json, sys
import autograd as ag
from autograd.serialization import CheckpointError

def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

out = {}
for name, path in json.loads(sys.argv[1]).items():
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    before = status_mib("VmRSS")
    try:
        ag.load(path)
        outcome = "loaded"
    except CheckpointError:
        outcome = "CheckpointError"
    out[name] = [outcome, before, status_mib("VmHWM") - before]
print(json.dumps(out))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="needs Linux's resettable peak RSS (VmHWM)")
def test_hostile_16mib_files_load_in_bounded_memory(tmp_path):
    files = _hostile_files(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(ag.__file__)), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(files)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["one_tensor"][0] == report["bfloat16"][0] == "loaded"
    assert report["many_tensors"][0] == report["long_name"][0] == "loaded"  # valid files
    for name in ("overlapping", "json_bomb", "json_at_limit", "deep",
                 "terabyte", "huge_empty"):
        assert report[name][0] == "CheckpointError", name
    for name, (_, _, growth) in report.items():  # peak RSS over the RSS before the load
        assert growth < 64, (name, report)
