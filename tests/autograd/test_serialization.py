"""ag.save / ag.load: safetensors files, nested structures, atomic writes, no pickle,
and one clear exception for every bad file."""

from __future__ import annotations

import io
import json
import math
import os
import pickle

import numpy as np
import pytest

import autograd as ag
import optim
from autograd.serialization import CheckpointError


def sample():
    w = ag.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    return {
        "model": {"w": w, "b": ag.tensor([1.5, -2.0], dtype=ag.float64)},
        "ints": ag.tensor([[1, 2]], dtype=ag.int64),
        "mask": ag.tensor([True, False]),
        "half": ag.tensor([0.5, 1.0], dtype=ag.float16),
        "bytes": ag.tensor(np.array([0, 255], np.uint8)),
        "scalar": ag.tensor(3.0),
        "empty": ag.zeros(0, 5),
        "strided": ag.from_numpy(np.arange(20.0).reshape(4, 5)[::2, ::-1]),
        "tied": w,
        "opt": {"state": {0: {"step": 3}}, "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99),
                                                             "params": [0, 1]}]},
        "numbers": [1, 2.5, -0.0, math.inf, -math.inf, 2**80, True, None, "text"],
        "tuple": (1, (2, "3")),
        "keys": {1: "int", 2.5: "float", None: "none", False: "bool", "s": "str"},
        "array": np.arange(4, dtype=np.int32),
    }


def test_round_trip_keeps_values_dtypes_structure_and_sharing(tmp_path):
    obj = sample()
    path = tmp_path / "ck.safetensors"
    ag.save(obj, path)
    got = ag.load(path)
    for key in ("ints", "mask", "half", "bytes", "scalar", "empty", "strided"):
        a, b = obj[key], got[key]
        assert isinstance(b, ag.Tensor) and b.dtype == a.dtype and b.shape == a.shape, key
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    np.testing.assert_array_equal(got["model"]["w"].numpy(), obj["model"]["w"].numpy())
    assert got["tied"] is got["model"]["w"]  # one tensor saved once, loaded once
    assert got["opt"] == obj["opt"]
    assert got["numbers"][:8] == obj["numbers"][:8] and got["numbers"][8] == "text"
    assert math.copysign(1, got["numbers"][2]) == -1
    assert got["tuple"] == (1, (2, "3")) and isinstance(got["tuple"][1], tuple)
    assert got["keys"] == obj["keys"]
    assert got["array"].dtype == np.int32 and isinstance(got["array"], np.ndarray)
    nan = ag.load(_saved(tmp_path, {"x": math.nan}))["x"]
    assert math.isnan(nan)


def _saved(tmp_path, obj, name="f.safetensors"):
    path = tmp_path / name
    ag.save(obj, path)
    return path


def test_loaded_tensors_are_writable_copies(tmp_path):
    t = ag.ones(3)
    got = ag.load(_saved(tmp_path, {"t": t}))["t"]
    got.array += 1
    np.testing.assert_array_equal(t.numpy(), 1.0)
    assert ag.load(_saved(tmp_path, {"t": t}), map_location="cpu")["t"].device == "cpu"


def test_requires_grad_is_kept(tmp_path):
    got = ag.load(_saved(tmp_path, [ag.ones(2, requires_grad=True), ag.ones(2)]))
    assert got[0].requires_grad and not got[1].requires_grad and got[0].is_leaf


def test_unsupported_objects_are_rejected_by_name(tmp_path):
    with pytest.raises(TypeError, match="object"):
        ag.save({"f": object()}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"state_dict\(\) instead"):
        ag.save({"opt": optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)},
                tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dict keys"):
        ag.save({(1, 2): 3}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)  # nothing written, no temp file left


def test_model_and_optimizer_checkpoint_resumes_exactly(tmp_path):
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    ag.manual_seed(0)
    x, y = ag.randn(32, 4), ag.tensor(np.arange(32) % 3)

    def build():
        ag.manual_seed(1)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        return model, optim.Adam(model.parameters(), lr=0.01)

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

    m1, o1 = build()
    train(m1, o1, 6)
    m2, o2 = build()
    train(m2, o2, 3)
    ag.save({"model": m2.state_dict(), "optimizer": o2.state_dict(), "epoch": 3},
            tmp_path / "ck.safetensors")
    ck = ag.load(tmp_path / "ck.safetensors")
    m3, o3 = build()
    m3.load_state_dict(ck["model"])
    o3.load_state_dict(ck["optimizer"])
    train(m3, o3, 3)
    for (k, a), (_, b) in zip(m1.state_dict().items(), m3.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    buf.write(b"prefix")
    ag.save({"a": ag.ones(2), "b": ag.arange(3)}, buf)
    buf.seek(6)
    got = ag.load(buf)
    np.testing.assert_array_equal(got["a"].numpy(), [1, 1])
    np.testing.assert_array_equal(got["b"].numpy(), [0, 1, 2])


def test_layout_is_safetensors(tmp_path):
    path = _saved(tmp_path, {"w": ag.ones(2, 3), "n": 1})
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    assert (8 + n) % 8 == 0  # the data buffer is 8-byte aligned
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert isinstance(header["__metadata__"]["structure"], str)
    assert len(raw) == 8 + n + 24
    np.testing.assert_array_equal(np.frombuffer(raw[8 + n:], "<f4"), 1.0)


def test_interoperates_with_the_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = _saved(tmp_path, {"model": {"w": ag.tensor(np.eye(3, dtype=np.float32))},
                             "step": ag.tensor(np.int64(5))})
    flat = st.load_file(str(path))
    np.testing.assert_array_equal(flat["model.w"], np.eye(3))
    assert flat["step"] == 5
    theirs = tmp_path / "theirs.safetensors"
    st.save_file({"a": np.arange(6, dtype=np.float64).reshape(2, 3),
                  "b": np.array([True, False])}, str(theirs))
    got = ag.load(theirs)
    assert list(got) == ["a", "b"]  # in the order of the file's data
    np.testing.assert_array_equal(got["a"].numpy(), np.arange(6.0).reshape(2, 3))
    assert got["b"].dtype == np.bool_


def test_write_is_atomic(tmp_path, monkeypatch):
    path = _saved(tmp_path, {"v": ag.ones(3)}, "ck.safetensors")
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real_fsync(fd))

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        ag.save({"v": ag.zeros(3)}, path)
    monkeypatch.undo()
    assert calls  # the data was flushed to disk before the rename
    np.testing.assert_array_equal(ag.load(path)["v"].numpy(), 1.0)  # old file intact
    assert os.listdir(tmp_path) == ["ck.safetensors"]  # temp file removed


# --- bad files: one exception type, naming the file and the problem ---------------------


def _header_file(tmp_path, header: dict, data: bytes = b"", name="bad.safetensors"):
    raw = json.dumps(header).encode()
    path = tmp_path / name
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data)
    return path


@pytest.mark.parametrize("make,problem", [
    (lambda p: p.write_bytes(b""), "truncated"),
    (lambda p: p.write_bytes(b"\x05\x00"), "truncated"),
    (lambda p: p.write_bytes((100).to_bytes(8, "little") + b"{}"), "truncated"),
    (lambda p: p.write_bytes((2**40).to_bytes(8, "little") + b"{}"), "exceeds"),
    (lambda p: p.write_bytes((4).to_bytes(8, "little") + b"\xff\xfe{]"), "JSON"),
    (lambda p: p.write_bytes((2).to_bytes(8, "little") + b"[]"), "JSON object"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 40), "zip"),
])
def test_malformed_files_raise_checkpoint_error(tmp_path, make, problem):
    path = tmp_path / "bad.safetensors"
    make(path)
    with pytest.raises(CheckpointError, match=problem) as info:
        ag.load(path)
    assert "bad.safetensors" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("entry,data,problem", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, b"\x00" * 4, "truncated"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}, b"\x00" * 12, "needs 8 bytes"),
    ({"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}, b"\x00" * 8, "unknown"),
    ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, b"\x00" * 8, "shape"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}, b"\x00" * 8, "data_offsets"),
    ({"dtype": "F32", "shape": [2]}, b"\x00" * 8, "data_offsets"),
    ("not an entry", b"", "not an object"),
    # a huge tensor the file does not hold is refused before anything is allocated
    ({"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}, b"", "ends at byte"),
])
def test_inconsistent_headers_raise_checkpoint_error(tmp_path, entry, data, problem):
    path = _header_file(tmp_path, {"t": entry}, data)
    with pytest.raises(CheckpointError, match=problem):
        ag.load(path)


def test_truncated_checkpoint_raises(tmp_path):
    path = _saved(tmp_path, {"w": ag.ones(100)})
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        ag.load(path)


def test_corrupted_structure_raises(tmp_path):
    meta = {"format": "autograd.checkpoint", "version": "1",
            "structure": json.dumps({"__tensor__": "missing"})}
    with pytest.raises(CheckpointError, match="lacks"):
        ag.load(_header_file(tmp_path, {"__metadata__": meta}))
    meta["structure"] = "{not json"
    with pytest.raises(CheckpointError, match="structure"):
        ag.load(_header_file(tmp_path, {"__metadata__": meta}))
    meta["version"] = "99"
    with pytest.raises(CheckpointError, match="newer"):
        ag.load(_header_file(tmp_path, {"__metadata__": meta}))


class _Exploit:
    """Unpickling this would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_malicious_pickle_is_refused_without_running_it(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"state": _Exploit(str(marker))}, protocol=protocol))
    # sanity: the file really is an exploit when unpickled
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Exploit(str(probe)))).close()
    assert probe.exists()
    with pytest.raises(CheckpointError, match="pickle") as info:
        ag.load(path)
    assert "evil.pt" in str(info.value)
    assert not marker.exists()


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        ag.load(tmp_path / "nope.safetensors")


# --- hostile files (issue 16): bounded memory, CheckpointError for everything ------------


def _rewrite(path, edit, data=None):
    """Apply ``edit`` to the parsed header of ``path`` (and replace its data section);
    the checksum is dropped, so what is tested is the check of the edited field."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header["__metadata__"].pop("checksum", None)
    edit(header)
    head = json.dumps(header).encode()
    path.write_bytes(len(head).to_bytes(8, "little") + head
                     + (raw[8 + n:] if data is None else data))
    return path


def _edit_structure(fn):
    def edit(header):
        meta = header["__metadata__"]
        meta["structure"] = json.dumps(fn(json.loads(meta["structure"])))
    return edit


def test_overlapping_offsets_are_refused_before_allocating(tmp_path):
    # 1,000 entries all naming the same 16 KiB: before, load allocated 1,000 x 16 KiB
    header = {f"t{i}": {"dtype": "F32", "shape": [4096], "data_offsets": [0, 16384]}
              for i in range(1000)}
    path = _header_file(tmp_path, header, b"\x00" * 16384)
    with pytest.raises(CheckpointError, match="overlap"):
        ag.load(path)


@pytest.mark.parametrize("entries,data,problem", [
    ({"a": [4, 8], "b": [0, 4]}, 8, None),  # out of file order is fine (safetensors)
    ({"a": [0, 4], "b": [8, 12]}, 12, "starts at byte 8"),  # a hole
    ({"a": [0, 4], "b": [0, 4]}, 4, "overlap"),
    ({"a": [0, 4]}, 8, "trailing"),
])
def test_offsets_must_tile_the_data_exactly(tmp_path, entries, data, problem):
    header = {k: {"dtype": "F32", "shape": [1], "data_offsets": v} for k, v in entries.items()}
    path = _header_file(tmp_path, header, bytes(range(data)))
    if problem is None:
        got = ag.load(path)
        assert got["b"].numpy().tobytes() == bytes(range(4))
    else:
        with pytest.raises(CheckpointError, match=problem):
            ag.load(path)


def test_metadata_is_checked_before_any_tensor_is_read(tmp_path, monkeypatch):
    path = _header_file(tmp_path, {"__metadata__": {"format": 5},
                                   "t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}},
                        b"\x00" * 16)
    allocated = []
    real_empty = np.empty
    monkeypatch.setattr(np, "empty", lambda *a, **k: allocated.append(a) or real_empty(*a, **k))
    with pytest.raises(CheckpointError, match="__metadata__"):
        ag.load(path)
    assert allocated == []


@pytest.mark.parametrize("edit,problem", [
    (_edit_structure(lambda s: {"__tuple__": 5}), "tuple"),
    (_edit_structure(lambda s: {"__dict__": 5}), "dict"),
    (_edit_structure(lambda s: {"__tensor__": ["w"], "device": "cpu"}), "tensor reference"),
    (_edit_structure(lambda s: {"__ndarray__": ["w"]}), "array"),
    (_edit_structure(lambda s: {"__dict__": [[{"__tuple__": [[1]]}, 2]]}), "unhashable"),
    (_edit_structure(lambda s: {"__tensor__": "w", "device": "tpu:0"}), "bad device"),
    (_edit_structure(lambda s: {"__tensor__": "w", "device": 7}), "tensor reference"),
    (_edit_structure(lambda s: {"__tensor__": "w", "device": "cuda:77"}), "map_location"),
    (lambda h: h["w"].update(dtype=["F32"]), "dtype"),
    (lambda h: h["__metadata__"].update(version="9" * 5000), "version"),
    (lambda h: h["__metadata__"].update(checksum="md5:1"), "checksum"),
    (lambda h: h["__metadata__"].pop("structure"), "structure"),
])
def test_every_corruption_is_a_checkpoint_error(tmp_path, edit, problem):
    path = _rewrite(_saved(tmp_path, {"w": ag.ones(2)}), edit)
    with pytest.raises(CheckpointError, match=problem):
        ag.load(path)


@pytest.mark.parametrize("shape", [[0, 10**30], [0, 2**62], [0] * 65])
def test_impossible_empty_shapes_are_checkpoint_errors(tmp_path, shape):
    path = _header_file(tmp_path, {"t": {"dtype": "F64", "shape": shape,
                                         "data_offsets": [0, 0]}})
    with pytest.raises(CheckpointError, match="invalid shape"):
        ag.load(path)


def test_huge_integers_and_overlong_json_are_checkpoint_errors(tmp_path):
    path = _saved(tmp_path, {"w": ag.ones(2)})
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    head = raw[8:8 + n].rstrip().replace(b'"shape":[2]', b'"shape":[' + b"9" * 5000 + b"]")
    path.write_bytes(len(head).to_bytes(8, "little") + head + raw[8 + n:])
    with pytest.raises(CheckpointError, match="JSON"):
        ag.load(path)
    # a small file whose JSON would expand a hundredfold in memory
    head = b'{"x":[' + b"[]," * 2_000_000 + b"[]]}"
    path.write_bytes(len(head).to_bytes(8, "little") + head)
    with pytest.raises(CheckpointError, match="JSON values"):
        ag.load(path)


def test_a_cuda_checkpoint_without_a_gpu_says_to_pass_map_location(tmp_path):
    if hasattr(ag, "cuda") and ag.cuda.is_available():
        pytest.skip("a GPU is present")
    path = _rewrite(_saved(tmp_path, {"w": ag.ones(2)}),
                    _edit_structure(lambda s: {"__tensor__": "w", "device": "cuda"}))
    with pytest.raises(CheckpointError, match="map_location='cpu'"):
        ag.load(path)
    assert ag.load(path, map_location="cpu").device == "cpu"


def test_flipped_bytes_are_detected_by_the_checksum(tmp_path):
    path = _saved(tmp_path, {"w": ag.arange(64, dtype=ag.float32), "names": ["a", "b"]})
    raw = bytearray(path.read_bytes())
    # the data, and a key of the structure (loads as other content without the checksum)
    for pos in (len(raw) - 1, len(raw) - 200, raw.index(b'\\"b\\"') + 2):
        bad = bytearray(raw)
        bad[pos] ^= 0x10
        path.write_bytes(bytes(bad))
        with pytest.raises(CheckpointError, match="CRC-32"):
            ag.load(path)
    # without a checksum (old files, checksum=False) the check is skipped
    ag.save({"w": ag.ones(3)}, path, checksum=False)
    raw = bytearray(path.read_bytes())
    n = int.from_bytes(raw[:8], "little")
    assert "checksum" not in json.loads(bytes(raw[8:8 + n]))["__metadata__"]
    raw[-1] ^= 0x01
    path.write_bytes(bytes(raw))
    assert ag.load(path)["w"].shape == (3,)


def test_bfloat16_files_load_as_float32(tmp_path):
    vals = np.array([1.0, -2.5, 3.140625, 0.0], np.float32)
    halves = (vals.view("<u4") >> 16).astype("<u2")
    path = _header_file(tmp_path, {"b": {"dtype": "BF16", "shape": [2, 2],
                                         "data_offsets": [0, 8]}}, halves.tobytes())
    np.testing.assert_array_equal(ag.load(path)["b"].numpy(), vals.reshape(2, 2))


# --- what users expect of saved files ------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_saved_file_mode_follows_umask_and_keeps_an_existing_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = _saved(tmp_path, {"w": ag.ones(1)})
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.chmod(path, 0o640)
        ag.save({"w": ag.ones(1)}, path)
        assert os.stat(path).st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_saving_to_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real.safetensors"
    ag.save({"w": ag.ones(1)}, target)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(target)
    ag.save({"w": ag.zeros(2)}, link)
    assert link.is_symlink()
    assert ag.load(target)["w"].shape == (2,)


@pytest.mark.skipif(os.name != "posix", reason="process ids")
def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    """A temporary of a dead process is removed, one of a live process and unrelated files
    are kept, and the live process is only asked whether it lives (signal 0): the live pid
    is a child of this test, not its parent, so a planted ``os.kill(pid, 1)`` hangs up that
    child (caught by the last assert) instead of the test runner (it ended mutmut's run)."""
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    child = subprocess.Popen(["sleep", "600"])
    try:
        stale = tmp_path / f".ck.safetensors.{pid}.0123abcd.agtmp"
        stale.write_bytes(b"\x00" * 100)
        live = tmp_path / f".other.safetensors.{child.pid}.0123abcd.agtmp"  # a live process
        live.write_bytes(b"\x00")
        unrelated = tmp_path / "notes.tmp"
        unrelated.write_bytes(b"")
        ag.save({"w": ag.ones(1)}, tmp_path / "other.safetensors")
        assert sorted(os.listdir(tmp_path)) == sorted([live.name, unrelated.name,
                                                       "other.safetensors"])
        with pytest.raises(subprocess.TimeoutExpired):  # still alive: no signal was sent
            child.wait(timeout=0.3)
    finally:
        child.kill()
        child.wait()
