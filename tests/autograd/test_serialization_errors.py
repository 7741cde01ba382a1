"""``ag.load`` on bad files: every CheckpointError message exactly, built from raw
safetensors bytes (issue 18, mutation testing of autograd/serialization.py). A check
that is dropped, loosened or reworded fails here."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib

import numpy as np
import pytest

import autograd as ag
from autograd import serialization as S
from autograd.serialization import CheckpointError


def raw_file(header: dict | bytes, data: bytes = b"", n: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if n is None else n) + text + data


def load_bytes(tmp_path, blob: bytes, name="bad.safetensors"):
    path = tmp_path / name
    path.write_bytes(blob)
    return ag.load(path)


def expect(tmp_path, blob, problem, name="bad.safetensors"):
    msg = f"load({str(tmp_path / name)!r}): {problem}"
    with pytest.raises(CheckpointError, match="^" + re.escape(msg) + "$"):
        load_bytes(tmp_path, blob, name)


@pytest.mark.parametrize("first, kind", [
    (b"\x80\x02", "a Python pickle (refusing to unpickle: it can run arbitrary code)"),
    (b"\x80\x05}q\x00", "a Python pickle (refusing to unpickle: it can run arbitrary code)"),
    (b"\x80", None),  # one byte: not enough to tell
    (b"\x80\x01xxxxxx", None),  # protocol 1 is not \x80-framed
    (b"\x81\x02", None),
    (b"PK\x03\x04\x00\x00", "a zip archive (e.g. a torch.save or .npz file)"),
    (b"PK\x03\x05", None),
    (b"\x93NUMPY\x01\x00", "a NumPy .npy file"),
    (b"\x93NUMP", None),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"\x89HD", None),
    (b"", None),
])
def test_foreign_kind(first, kind):
    """Breaks if a magic number, its length or the pickle protocol set changes."""
    assert S._foreign_kind(first) == kind


@pytest.mark.parametrize("blob, kind", [
    (b"\x80\x04", "a Python pickle (refusing to unpickle: it can run arbitrary code)"),
    (b"PK\x03\x04" + b"\0" * 60, "a zip archive (e.g. a torch.save or .npz file)"),
    (b"\x93NUMPY\x01\x00" + b"\0" * 100, "a NumPy .npy file"),
    (b"\x89HDF\r\n\x1a\n" + b"\0" * 100, "an HDF5 file"),
])
def test_foreign_files_are_named(tmp_path, blob, kind):
    expect(tmp_path, blob, f"this is {kind}, not a checkpoint")


def test_foreign_file_with_a_plausible_length_is_named_at_the_json(tmp_path):
    """A pickle whose first 8 bytes read as a small header length still fails as a
    pickle (named when its header does not parse)."""
    blob = b"\x80\x04\x05\0\0\0\0\0" + b"\xff" * 5 + b"\0" * (0x0504_80 - 5)
    n = int.from_bytes(blob[:8], "little")
    assert n + 8 <= len(blob)
    expect(tmp_path, blob, "this is a Python pickle (refusing to unpickle: it can run "
                           "arbitrary code), not a checkpoint")


def test_short_and_truncated_files(tmp_path):
    expect(tmp_path, b"abc", "truncated: the file has 3 bytes, fewer than the 8-byte header "
                             "length of the safetensors format")
    expect(tmp_path, raw_file(b"{}", n=40), "truncated or not a safetensors file: the header "
                                           "length field says 40 bytes but the file has 2 "
                                           "after it")
    big = S.MAX_HEADER_BYTES + 1
    expect(tmp_path, raw_file(b"{}", n=big), f"corrupted or not a safetensors file: header "
                                            f"length {big} exceeds the "
                                            f"{S.MAX_HEADER_BYTES}-byte limit")
    ok = raw_file(b"{}", n=2)
    assert load_bytes(tmp_path, ok) == {}  # exactly the header: an empty file, fine


@pytest.mark.parametrize("header, problem", [
    (b"[1, 2]", "corrupted header: expected a JSON object, got list"),
    (b"\xff\xfe", None),  # not UTF-8
    (b"{'a': 1}", None),  # not JSON
    (b"[" * 5000 + b"]" * 5000, None),  # nested too deeply, or too many values
])
def test_bad_header_text(tmp_path, header, problem):
    if problem is None:
        with pytest.raises(CheckpointError, match=r"^load\(.*\): corrupted header: "):
            load_bytes(tmp_path, raw_file(header))
    else:
        expect(tmp_path, raw_file(header), problem)


def test_header_json_error_is_quoted(tmp_path):
    with pytest.raises(CheckpointError, match=re.escape(
            "corrupted header: not valid UTF-8 JSON (Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1))")):
        load_bytes(tmp_path, raw_file(b"{'a': 1}"))


def test_too_many_json_values_for_the_data(tmp_path):
    header = b"[" + b"0," * (S.MAX_HEADER_ITEMS) + b"0]"
    items = S._json_items(header)
    assert items == S.MAX_HEADER_ITEMS + 1  # N commas and one bracket
    expect(tmp_path, raw_file(header), f"corrupted header: {items} JSON values for 0 bytes "
                                       f"of tensor data, more than the "
                                       f"{S.MAX_HEADER_ITEMS} allowed")


def test_json_items_counts_every_kind_of_separator():
    assert S._json_items(b'{"a": [1, 2], "b": {}}') == 2 + 2 + 2 + 1 + 2
    assert S._json_items(b"") == 0


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


@pytest.mark.parametrize("header, data, problem", [
    ({"t": 3}, b"", "corrupted header: entry 't' is not an object"),
    ({"t": entry(dtype="F8")}, b"\0" * 8,
     "tensor 't' has unknown or unsupported dtype 'F8'"),
    ({"t": entry(dtype=5)}, b"\0" * 8, "tensor 't' has unknown or unsupported dtype 5"),
    ({"t": entry(shape=(-1,))}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid shape [-1]"),
    ({"t": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid shape '2'"),
    ({"t": entry(shape=(1,) * 65, offsets=(0, 4))}, b"\0" * 4,
     "corrupted header: tensor 't' has invalid shape [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
     "1, 1, 1, 1, 1, 1, 1, 1, 1,"),
    ({"t": entry(shape=(2**31, 2**31, 0), offsets=(0, 0))}, b"",
     "corrupted header: tensor 't' has invalid shape [2147483648, 2147483648, 0]"),
    ({"t": entry(shape=(True,), offsets=(0, 4))}, b"\0" * 4,
     "corrupted header: tensor 't' has invalid shape [True]"),
    ({"t": entry(offsets=(8, 0))}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid data_offsets [8, 0]"),
    ({"t": entry(offsets=(-8, 0))}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid data_offsets [-8, 0]"),
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 9]}}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid data_offsets [0, 8, 9]"),
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0.0, 8]}}, b"\0" * 8,
     "corrupted header: tensor 't' has invalid data_offsets [0.0, 8]"),
    ({"t": entry(offsets=(0, 4))}, b"\0" * 8,
     "corrupted header: tensor 't' of dtype F32 and shape [2] needs 8 bytes but its "
     "data_offsets [0, 4] span 4"),
    ({"t": entry(offsets=(4, 12))}, b"\0" * 8,
     "truncated or corrupted: tensor 't' ends at byte 12 of the data buffer, which has "
     "only 8 bytes"),
    ({"t": entry(offsets=(4, 12))}, b"\0" * 12,
     "corrupted header: tensor 't' starts at byte 4 of the data buffer, expected 0 "
     "(tensors must be contiguous, in order, and must not overlap)"),
    ({"t": entry(), "u": entry(offsets=(4, 12))}, b"\0" * 12,
     "corrupted header: tensor 'u' starts at byte 4 of the data buffer, expected 8 "
     "(tensors must be contiguous, in order, and must not overlap)"),
    ({"t": entry()}, b"\0" * 9,
     "corrupted header: the tensors cover 8 bytes of the data buffer but it has 9 "
     "(trailing bytes)"),
])
def test_bad_entries(tmp_path, header, data, problem):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw_file(header, data))
    with pytest.raises(CheckpointError) as info:
        ag.load(path)
    assert str(info.value).startswith(f"load({str(path)!r}): {problem}")


def test_entries_are_read_in_offset_order_and_returned_in_header_order(tmp_path):
    a = np.arange(3, dtype="<i2")
    b = np.array([1.5, -2.0], dtype="<f8")
    header = {"b": entry("F64", (2,), (6, 22)), "a": entry("I16", (3,), (0, 6)),
              "e": entry("U8", (0,), (22, 22))}
    out = load_bytes(tmp_path, raw_file(header, a.tobytes() + b.tobytes()))
    assert list(out) == ["b", "a", "e"]
    np.testing.assert_array_equal(out["a"].numpy(), a)
    np.testing.assert_array_equal(out["b"].numpy(), b)
    assert out["e"].shape == (0,) and out["e"].dtype == np.uint8
    assert not out["b"].requires_grad


@pytest.mark.parametrize("meta, problem", [
    ({"k": 3}, "corrupted header: '__metadata__' must map strings to strings"),
    ({"checksum": "crc32:1234"}, "corrupted header: bad checksum entry 'crc32:1234'"),
    ({"checksum": "md5:12345678"}, "corrupted header: bad checksum entry 'md5:12345678'"),
    ({"checksum": "crc32:1234567G"}, "corrupted header: bad checksum entry 'crc32:1234567G'"),
    ({"checksum": "crc32:ABCDEF12"}, "corrupted header: bad checksum entry 'crc32:ABCDEF12'"),
    ({"format": S.FORMAT, "version": "x1"}, "corrupted header: bad format version 'x1'"),
    ({"format": S.FORMAT, "version": "1" * 10},
     "corrupted header: bad format version '1111111111'"),
    ({"format": S.FORMAT, "version": "²"}, "corrupted header: bad format version '²'"),
    ({"format": S.FORMAT, "version": str(S.FORMAT_VERSION + 1)},
     f"written by a newer version of this library (format {S.FORMAT_VERSION + 1}; this one "
     f"reads up to {S.FORMAT_VERSION})"),
    ({"format": S.FORMAT}, "corrupted header: the stored structure is missing"),
    ({"format": S.FORMAT, "version": "1"}, "corrupted header: the stored structure is missing"),
    ({"format": S.FORMAT, "structure": "{"},
     "corrupted header: the stored structure is not JSON (Expecting property name enclosed "
     "in double quotes: line 1 column 2 (char 1))"),
    ({"format": S.FORMAT, "structure": "[" * 100000 + "]" * 100000},
     "corrupted structure: nested too deeply"),
])
def test_bad_metadata(tmp_path, meta, problem):
    expect(tmp_path, raw_file({"__metadata__": meta}), problem)


def test_foreign_metadata_is_a_plain_safetensors_file(tmp_path):
    a = np.array([1.0, 2.0], "<f4")
    blob = raw_file({"__metadata__": {"format": "pt"}, "w": entry()}, a.tobytes())
    out = load_bytes(tmp_path, blob)
    assert list(out) == ["w"] and out["w"].dtype == np.float32


def _structured(structure, tensors: dict | None = None, version="1"):
    tensors = tensors or {}
    header, data, off = {}, b"", 0
    for name, arr in tensors.items():
        b = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = entry(S._NAMES[arr.dtype], arr.shape, (off, off + len(b)))
        data += b
        off += len(b)
    header["__metadata__"] = {"format": S.FORMAT, "version": version,
                              "structure": json.dumps(structure)}
    return raw_file(header, data)


def test_older_version_and_every_node_kind_loads(tmp_path):
    w = np.arange(4.0).reshape(2, 2)
    s = {"__dict__": [["a", {"__tuple__": [1, {"__float__": "-inf"}, None]}],
                      [3, {"__tensor__": "w", "requires_grad": True}],
                      [{"__tuple__": [1, 2]}, {"__ndarray__": "w"}],
                      ["again", {"__tensor__": "w", "requires_grad": True}],
                      ["l", [True, "s", 2.5]]]}
    out = load_bytes(tmp_path, _structured(s, {"w": w}, version="0"))
    assert out["a"] == (1, -np.inf, None)
    assert out[3].requires_grad and out[3].device.type == "cpu"
    assert out["again"] is out[3]  # shared tensors come back shared
    assert isinstance(out[(1, 2)], np.ndarray) and out[(1, 2)].shape == (2, 2)
    assert out["l"] == [True, "s", 2.5]
    ints = load_bytes(tmp_path, _structured({"__tensor__": "i", "requires_grad": True},
                                            {"i": np.arange(3)}))
    assert not ints.requires_grad  # only floating tensors can require grad


@pytest.mark.parametrize("structure, problem", [
    ({}, "corrupted structure: unexpected node {}"),
    ({"x": 1}, "corrupted structure: unexpected node {'x': 1}"),
    ({"__tensor__": 3}, "corrupted structure: bad tensor reference {'__tensor__': 3}"),
    ({"__tensor__": "w", "device": 1},
     "corrupted structure: bad tensor reference {'__tensor__': 'w', 'device': 1}"),
    ({"__tensor__": "w", "requires_grad": 1},
     "corrupted structure: bad tensor reference {'__tensor__': 'w', 'requires_grad': 1}"),
    ({"__tensor__": "v"}, "corrupted structure: it refers to tensor 'v', which the file lacks"),
    ({"__ndarray__": "v"}, "corrupted structure: it refers to array 'v', which the file lacks"),
    ({"__ndarray__": 1}, "corrupted structure: it refers to array 1, which the file lacks"),
    ({"__float__": "1.5"}, "corrupted structure: bad float '1.5'"),
    ({"__tuple__": 3}, "corrupted structure: a tuple holds int, not a list"),
    ({"__dict__": {}}, "corrupted structure: a dict holds dict, not a list"),
    ({"__dict__": [[1]]}, "corrupted structure: a dict item is not a [key, value] pair"),
    ({"__dict__": [3]}, "corrupted structure: a dict item is not a [key, value] pair"),
    ({"__dict__": [[[1], 2]]}, "corrupted structure: unhashable dict key [1]"),
    ({"__tensor__": "w", "device": "tpu"}, None),
])
def test_bad_structure(tmp_path, structure, problem):
    blob = _structured(structure, {"w": np.zeros(2, np.float32)})
    if problem is None:
        with pytest.raises(CheckpointError, match=re.escape(
                "corrupted structure: bad device 'tpu' (")):
            load_bytes(tmp_path, blob)
    else:
        expect(tmp_path, blob, problem)


def test_deep_structure_is_refused(tmp_path):
    meta = {"format": S.FORMAT, "version": "1", "structure": "[" * 3000 + "0" + "]" * 3000}
    blob = raw_file({"__metadata__": meta})
    try:
        out = load_bytes(tmp_path, blob)
    except CheckpointError as exc:
        assert "nested too deeply" in str(exc)
    else:  # a recursion limit high enough to decode it: then it decodes exactly
        assert out[0][0][0] is not None


def test_map_location_errors_propagate(tmp_path):
    blob = _structured({"__tensor__": "w", "device": "tpu"}, {"w": np.zeros(2, np.float32)})
    path = tmp_path / "m.safetensors"
    path.write_bytes(blob)
    with pytest.raises(ValueError) as info:
        ag.load(path, map_location="tpu")
    assert not isinstance(info.value, CheckpointError)
    out = ag.load(path, map_location="cpu")
    assert out.device.type == "cpu"
    out = ag.load(path, map_location=lambda saved: "cpu")
    assert out.device.type == "cpu"


def test_checksum_mismatch_names_both_values(tmp_path):
    path = tmp_path / "c.safetensors"
    ag.save({"w": ag.tensor(np.arange(4.0))}, path)
    blob = bytearray(path.read_bytes())
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    stored = int(header["__metadata__"]["checksum"][6:], 16)
    blob[-1] ^= 0xFF
    meta = {k: v for k, v in header["__metadata__"].items() if k != "checksum"}
    seed = zlib.crc32(S._canonical({k: meta if k == "__metadata__" else v
                                    for k, v in header.items()}))
    got = zlib.crc32(bytes(blob[8 + n:]), seed)
    expect(tmp_path, bytes(blob), f"corrupted: the CRC-32 of the header and tensor data is "
                                  f"{got:08x}, the header recorded {stored:08x} (the file "
                                  "was damaged after it was written)", name="c.safetensors")


def test_file_objects_are_named_and_read_from_their_position():
    buf = io.BytesIO()
    buf.write(b"junk")
    ag.save({"x": ag.tensor(np.ones(2))}, buf)
    buf.seek(4)
    out = ag.load(buf)
    np.testing.assert_array_equal(out["x"].numpy(), [1.0, 1.0])
    with pytest.raises(CheckpointError, match=re.escape(
            "load(the file object): truncated: the file has 3 bytes")):
        ag.load(io.BytesIO(b"abc"))
    named = io.BytesIO(b"abc")
    named.name = "ckpt.bin"
    with pytest.raises(CheckpointError, match=re.escape("load('ckpt.bin'): truncated")):
        ag.load(named)


def test_bf16_is_read_as_float32(tmp_path):
    f32 = np.array([1.0, -2.5, 3.0e5, 0.15625], np.float32)
    top = (f32.view("<u4") >> 16).astype("<u2")
    blob = raw_file({"h": entry("BF16", (4,), (0, 8))}, top.tobytes())
    out = load_bytes(tmp_path, blob)
    assert out["h"].dtype == np.float32
    np.testing.assert_array_equal(out["h"].numpy(), (top.astype("<u4") << 16).view("<f4"))
    short = raw_file({"h": entry("BF16", (4,), (0, 8))}, top.tobytes()[:6])
    with pytest.raises(CheckpointError, match="truncated or corrupted: tensor 'h' ends at"):
        load_bytes(tmp_path, short)
