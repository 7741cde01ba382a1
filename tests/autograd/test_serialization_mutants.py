"""Tests written against the mutants of ``autograd/serialization.py`` that survived the
rest of the suite (issue 18, ``python -m benchmarks.mutation autograd/serialization.py``):
each test's docstring names the planted changes it catches. Files are checked through
``ag.save``/``ag.load`` and their raw bytes (the safetensors layout: an 8-byte little-endian
header length, a JSON header, the data)."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zlib

import numpy as np
import pytest

import autograd as ag
from autograd import serialization as S
from autograd.serialization import CheckpointError


def _header(path) -> dict:
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n])


def _ours(structure, arrays: dict, checksum: bool = False) -> bytes:
    """A file in our format whose structure is ``structure`` (any JSON), holding
    ``arrays`` (name -> little-endian float32 array); optionally with its checksum."""
    header, data, offset = {}, b"", 0
    for name, arr in arrays.items():
        raw = np.ascontiguousarray(arr, "<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    header["__metadata__"] = {"format": S.FORMAT, "version": str(S.FORMAT_VERSION),
                              "structure": json.dumps(structure)}
    if checksum:
        crc = zlib.crc32(data, zlib.crc32(S._canonical(header)))
        header["__metadata__"]["checksum"] = f"crc32:{crc:08x}"
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _plain(entries: dict, data: bytes, metadata: dict | None = None) -> bytes:
    """A plain safetensors file: ``entries`` name -> (dtype code, shape, begin, end)."""
    header = {k: {"dtype": c, "shape": list(s), "data_offsets": [b, e]}
              for k, (c, s, b, e) in entries.items()}
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _load_blob(tmp_path, blob: bytes, **kw):
    path = tmp_path / "f.safetensors"
    path.write_bytes(blob)
    return ag.load(path, **kw)


# --- names of the saved arrays -------------------------------------------------------------


def test_saved_array_names_follow_the_path_with_numbered_duplicates(tmp_path):
    """A top-level tensor is named "tensor"; two paths that join to the same name get
    "#1", "#2"; a path spelling "__metadata__" (the format's reserved key) is renamed.
    Catches every mutant of ``_Writer.name_for`` (#5-#16)."""
    path = tmp_path / "a.safetensors"
    ag.save(ag.ones(1), path)
    assert [k for k in _header(path) if k != "__metadata__"] == ["tensor"]
    ag.save({"a.b": ag.ones(1), "a": {"b": ag.zeros(1)}, "a.b#1": [], "x": {
        "a": {"b": ag.full((1,), 2.0)}}, "__metadata__": ag.ones(2)}, path)
    names = [k for k in _header(path) if k != "__metadata__"]
    assert names == ["a.b", "a.b#1", "x.a.b", "__metadata__#1"]
    ag.save({"a.b": ag.ones(1), "a": {"b": ag.zeros(1)}, "a.b#1": ag.ones(3)}, path)
    assert [k for k in _header(path) if k != "__metadata__"] == ["a.b", "a.b#1", "a.b#1#1"]
    back = ag.load(path)
    assert back["a"]["b"].shape == (1,) and back["a.b#1"].shape == (3,)
    # three paths that join to "1.5": numbered 1 and 2, in order
    ag.save({"1.5": ag.ones(1), 1: {5: ag.ones(2)}, "1": [0, 0, 0, 0, 0, ag.ones(3)]}, path)
    assert [k for k in _header(path) if k != "__metadata__"] == ["1.5", "1.5#1", "1.5#2"]


def test_metadata_has_the_version_and_a_compact_structure(tmp_path):
    """The metadata records the format version and the structure as compact JSON (the
    bytes the checksum covers). Catches the "version" key renamed (``_encode_file``
    #44, #45) and the structure's separators changed (#50, #53)."""
    path = tmp_path / "a.safetensors"
    ag.save({"w": ag.ones(1), "n": [1, 2]}, path)
    meta = _header(path)["__metadata__"]
    assert meta["version"] == str(S.FORMAT_VERSION)
    assert meta["structure"] == json.dumps(json.loads(meta["structure"]),
                                           separators=(",", ":"))
    assert ", " not in meta["structure"] and ": " not in meta["structure"]


def test_a_big_endian_array_is_stored_little_endian(tmp_path):
    """A big-endian NumPy array is saved under its native dtype code, as little-endian
    bytes (the format's order), and loads with its values. Catches the byte-order
    normalisation skipped (``_encode_file`` #12, #16) and the data not converted (#24,
    #26)."""
    path = tmp_path / "a.safetensors"
    big = np.array([1.5, -2.0, 3.25], dtype=">f4")
    ag.save({"a": big}, path, checksum=False)
    header = _header(path)
    assert header["a"]["dtype"] == "F32"
    raw = open(path, "rb").read()
    start = 8 + int.from_bytes(raw[:8], "little")
    np.testing.assert_array_equal(np.frombuffer(raw[start:start + 12], "<f4"), big)
    np.testing.assert_array_equal(ag.load(path)["a"], big)


def test_unsupported_dtype_message(tmp_path):
    """Catches the message of an unstorable dtype replaced (``_encode_file`` #21)."""
    with pytest.raises(TypeError, match=re.escape(
            "save: tensor 'z' has dtype complex64, which the safetensors format cannot "
            "store")):
        ag.save({"z": np.zeros(2, np.complex64)}, tmp_path / "a.safetensors")


# --- what save refuses -------------------------------------------------------------------


def test_save_errors_name_the_type_and_the_path(tmp_path):
    """Exact messages for a bad dict key and an unsupported object, at the top and
    nested, with the state_dict hint only for objects that have one. Catches the
    messages' mutants in ``_Writer.encode`` (#44-#49, #77, #78, #86, #88-#93) and a
    list's element path (#69)."""
    path = tmp_path / "a.safetensors"
    with pytest.raises(TypeError) as info:
        ag.save({(1, 2): 3}, path)
    assert str(info.value) == ("save: dict keys must be str, int, float, bool or None, "
                               "got tuple at top")
    with pytest.raises(TypeError) as info:
        ag.save({"a": {"b": {(1,): 0}}}, path)
    assert str(info.value).endswith("got tuple at a.b")
    supported = ("; supported: dicts, lists, tuples, Tensors, NumPy arrays, numbers, "
                 "strings, bools, None")
    with pytest.raises(TypeError) as info:
        ag.save(object(), path)
    assert str(info.value) == "save: cannot save an object of type object at top" + supported
    with pytest.raises(TypeError) as info:
        ag.save({"m": [1, object()]}, path)
    assert str(info.value) == "save: cannot save an object of type object at m.1" + supported


class _WithState:
    def state_dict(self):
        return {}


def test_save_error_hint_for_an_object_with_state_dict(tmp_path):
    """The hint names state_dict() for an object that has one (``encode`` #77, #78)."""
    with pytest.raises(TypeError) as info:
        ag.save({"m": [1, _WithState()]}, tmp_path / "a.safetensors")
    assert str(info.value) == (
        "save: cannot save an object of type _WithState at m.1; supported: dicts, lists, "
        "tuples, Tensors, NumPy arrays, numbers, strings, bools, None; save its "
        "state_dict() instead (objects are never pickled)")


def test_numpy_bools_and_keys_round_trip(tmp_path):
    """``np.bool_`` values come back as Python bools; dict keys are kept. Catches
    ``bool(None)`` (``encode`` #6) and a key encoded at another path (#52)."""
    path = tmp_path / "a.safetensors"
    ag.save({"t": np.bool_(True), 3: ag.ones(1), "f": np.bool_(False)}, path)
    back = ag.load(path)
    assert back["t"] is True and back["f"] is False and back[3].shape == (1,)


# --- map_location and devices ---------------------------------------------------------------


def test_callable_map_location_gets_the_saved_device_everywhere(tmp_path):
    """A callable ``map_location`` is called with the saved device name ("cpu") once per
    tensor, for tensors in lists, tuples and dict values, from a path and from a file
    object. Catches ``map_location`` dropped in ``_decode``'s recursion (#5, #94, #136),
    in ``load`` for file objects (#45), and the callable's argument (``_make_tensor``
    #11-#15)."""
    obj = {"l": [ag.ones(1)], "t": (ag.ones(2),), "d": {"x": ag.ones(3)}}
    path = tmp_path / "a.safetensors"
    ag.save(obj, path)
    seen = []

    def where(dev):
        seen.append(dev)
        return "cpu"

    back = ag.load(path, map_location=where)
    assert seen == ["cpu"] * 3
    assert back["t"][0].shape == (2,) and back["d"]["x"].shape == (3,)
    with open(path, "rb") as f:
        ag.load(io.BytesIO(f.read()), map_location=where)
    assert seen == ["cpu"] * 6


def test_map_location_and_requires_grad_of_a_plain_safetensors_file(tmp_path):
    """A plain safetensors file (no structure): ``map_location`` applies (a callable gets
    "cpu") and tensors do not require grad. Catches ``_load_from``'s plain-file path
    dropping map_location or requires_grad (#90, #91) and ``device and "cpu"``
    (``_make_tensor`` #13)."""
    blob = _plain({"w": ("F32", (2,), 0, 8)}, np.array([1, 2], "<f4").tobytes())
    seen = []
    out = _load_blob(tmp_path, blob, map_location=lambda d: seen.append(d) or "cpu")
    assert seen == ["cpu"]
    assert out["w"].requires_grad is False
    np.testing.assert_array_equal(out["w"].numpy(), [1, 2])


def test_shared_tensors_in_a_tuple_come_back_shared(tmp_path):
    """Catches ``made`` not passed down through tuples (``_decode`` #96)."""
    t = ag.ones(2)
    path = tmp_path / "a.safetensors"
    ag.save((t, [t]), path)
    a, (b,) = ag.load(path)
    assert a is b


def test_a_tensor_reference_without_requires_grad_loads_without_grad(tmp_path):
    """A tensor reference with no "requires_grad" entry (another writer's file) loads a
    tensor that does not require grad: catches the default ``True`` (``_decode`` #34)."""
    blob = _ours({"__tensor__": "w", "device": "cpu"}, {"w": np.ones(2)})
    assert _load_blob(tmp_path, blob).requires_grad is False


@pytest.mark.parametrize("structure", [
    [{"__tensor__": 5}],  # in a list
    {"__tuple__": [{"bad": 1}]},  # in a tuple
    {"__dict__": [[{"__tuple__": 3}, 1]]},  # a dict key
    {"__dict__": [["k", {"__dict__": 7}]]},  # a dict value
    {"__dict__": [["k", {"__tensor__": "w", "device": "cpu"}], [{"__tensor__": "nope"}, 1]]},
])
def test_corruption_at_any_depth_is_a_checkpoint_error(tmp_path, structure):
    """A bad node nested in a list, a tuple, a dict key or value raises CheckpointError
    (not a TypeError from a missing callback): catches ``fail`` dropped in ``_decode``'s
    recursion (#6, #95, #123, #137) and ``arrays``/``made`` dropped for keys (#121, #124)."""
    blob = _ours(structure, {"w": np.ones(1)})
    with pytest.raises(CheckpointError, match="corrupted structure"):
        _load_blob(tmp_path, blob)


def test_tensor_dict_keys_of_a_foreign_file_use_map_location(tmp_path):
    """A tensor as a dict key (not written by save, but valid JSON for the loader): it is
    decoded like any tensor, with map_location. Catches ``arrays``/``map_location``
    dropped for keys (``_decode`` #121, #122)."""
    blob = _ours({"__dict__": [[{"__tensor__": "w", "device": "cpu"}, 1]]},
                 {"w": np.ones(1)})
    seen = []
    out = _load_blob(tmp_path, blob, map_location=lambda d: seen.append(d) or "cpu")
    (key,) = out
    assert isinstance(key, ag.Tensor) and seen == ["cpu"]


# --- bfloat16 ---------------------------------------------------------------------------


def _bf16(values: np.ndarray) -> bytes:
    return (np.asarray(values, "<f4").view("<u4") >> 16).astype("<u2").tobytes()


def test_bfloat16_in_several_pieces_and_its_checksum(tmp_path):
    """A bfloat16 tensor longer than one read piece (2**19 values) followed by another
    tensor: values exact, the checksum covers its bytes (a flipped byte is reported).
    Catches the piece arithmetic (``_read_arrays`` #53), the CRC of the bfloat16 pieces
    skipped or computed wrongly (#63-#71)."""
    n = (1 << 19) + 3
    vals = np.arange(n, dtype=np.float32) % 256  # exact in bfloat16
    data = _bf16(vals) + np.array([7.0], "<f4").tobytes()
    header = {"b": {"dtype": "BF16", "shape": [n], "data_offsets": [0, 2 * n]},
              "c": {"dtype": "F32", "shape": [1], "data_offsets": [2 * n, 2 * n + 4]},
              "__metadata__": {"format": "plain"}}
    crc = zlib.crc32(data, zlib.crc32(S._canonical(header)))
    header["__metadata__"]["checksum"] = f"crc32:{crc:08x}"
    text = json.dumps(header).encode()
    blob = struct.pack("<Q", len(text)) + text + data
    out = _load_blob(tmp_path, blob)
    np.testing.assert_array_equal(out["b"].numpy(), vals)
    assert out["c"].item() == 7.0
    bad = bytearray(blob)
    bad[8 + len(text) + 5] ^= 1
    with pytest.raises(CheckpointError, match="CRC-32"):
        _load_blob(tmp_path, bytes(bad))


class _Shrunk(io.BytesIO):
    """A file object whose end is reported 4 bytes past its data (a file that shrank
    after its size was taken): the header checks pass, the read comes up short."""

    def seek(self, pos, whence=0):
        end = super().seek(pos, whence)
        return end + 4 if whence == os.SEEK_END else end


def test_short_reads_name_the_bytes_needed():
    """Exact messages when a tensor's bytes cannot all be read, for a bfloat16 and a
    float32 tensor whose data does not start at 0. Catches their messages dropped or
    ``end + begin`` (``_read_arrays`` #61, #62, #89, #90)."""
    blob = _plain({"a": ("F32", (1,), 0, 4), "b": ("BF16", (4,), 4, 12)}, b"\0" * 8)
    with pytest.raises(CheckpointError, match=re.escape(
            "truncated: tensor 'b' needs 8 bytes, the file has fewer")):
        ag.load(_Shrunk(blob))
    blob = _plain({"a": ("F32", (1,), 0, 4), "b": ("F32", (2,), 4, 12)}, b"\0" * 8)
    with pytest.raises(CheckpointError, match=re.escape(
            "truncated: tensor 'b' needs 8 bytes, the file has 4")):
        ag.load(_Shrunk(blob))


# --- temporaries of killed saves ------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="process ids")
def test_stale_temporaries_every_branch_in_a_fixed_order(tmp_path, monkeypatch):
    """``_remove_stale_temporaries`` with the directory listed in an order that puts every
    skip case before the stale file: each skip must go on to the next name, and processes
    are only asked (signal 0). Catches ``continue`` -> ``break`` (#26, #31, #37), the name
    tests loosened (#7, #21) and ``os.kill(pid, 1)`` (#36)."""
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)
    child = subprocess.Popen(["sleep", "600"])
    try:
        names = [
            f".x.{dead}.abcd.zzzzz",  # starts with a dot, another 6-character suffix: kept
            f".{dead}.agtmp",  # two parts only: kept
            f".x.{dead}x.abcd.agtmp",  # pid not digits: kept
            f".mine.{os.getpid()}.abcd.agtmp",  # this process: kept
            f".live.{child.pid}.abcd.agtmp",  # a live process: kept
            f".stale.{dead}.abcd.agtmp",  # removed
        ]
        for n in names:
            (tmp_path / n).write_bytes(b"")
        real_listdir, real_kill = os.listdir, os.kill
        signals = []

        def listdir(d):
            return list(names) if os.path.samefile(d, tmp_path) else real_listdir(d)

        def kill(pid, sig):
            signals.append(sig)
            return real_kill(pid, sig)

        monkeypatch.setattr(os, "listdir", listdir)
        monkeypatch.setattr(os, "kill", kill)
        S._remove_stale_temporaries(str(tmp_path))
        monkeypatch.undo()
        assert sorted(os.listdir(tmp_path)) == sorted(names[:-1])
        assert signals == [0, 0] and child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_save_retries_a_taken_temporary_name(tmp_path, monkeypatch):
    """When the random temporary name is taken, save draws another: catches
    ``continue`` -> ``break`` (``save`` #49), which would write through an unopened fd."""
    import secrets

    draws = iter(["aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(draws))
    taken = tmp_path / f".a.safetensors.{os.getpid()}.aaaaaaaa.agtmp"
    taken.write_bytes(b"")
    ag.save({"w": ag.ones(1)}, tmp_path / "a.safetensors")
    assert ag.load(tmp_path / "a.safetensors")["w"].item() == 1.0
    assert taken.exists()


def test_a_checksum_with_non_hex_digits_is_a_checkpoint_error(tmp_path):
    """Catches the hex-digit test loosened (``_check_metadata`` #26): "XXXXXXXX" would
    reach ``int(digits, 16)`` and raise a bare ValueError."""
    blob = _plain({}, b"", {"checksum": "crc32:XXXXXXXX"})
    with pytest.raises(CheckpointError, match=re.escape(
            "corrupted header: bad checksum entry 'crc32:XXXXXXXX'")):
        _load_blob(tmp_path, blob)


def test_a_structure_nested_deeper_than_the_decoder_can_go(tmp_path):
    """A structure JSON parses but the decoder's recursion cannot follow is reported as
    corrupted: catches the RecursionError message of ``_load_from`` (#109-#111)."""
    import sys

    depth = sys.getrecursionlimit() * 3 // 4  # json parses it; two frames a level do not
    blob = _ours(json.loads("[" * depth + "]" * depth), {})
    with pytest.raises(CheckpointError, match=re.escape(
            "corrupted structure: nested too deeply")):
        _load_blob(tmp_path, blob)


def test_a_header_shorter_than_its_length_field():
    """A file object whose header read comes up short: catches the message of
    ``_parse_header`` replaced (#2)."""
    text = b'{"a":1}'
    blob = struct.pack("<Q", len(text) + 4) + text  # 4 bytes of header are missing
    with pytest.raises(CheckpointError, match=re.escape(
            "truncated: the header claims 11 bytes but only 7 could be read")):
        ag.load(_Shrunk(blob))
