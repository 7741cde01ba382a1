"""The checkpoint layout against the safetensors specification, without the package.

The format (huggingface/safetensors, README "Format"): an 8-byte little-endian header
length N, N bytes of JSON mapping each tensor name to ``{"dtype", "shape",
"data_offsets": [begin, end]}`` (offsets relative to the data buffer), then the data,
little-endian, C order. The dtype codes below are copied from that specification, so a
planted swap in the library's own table (say I32 written as "I64", or U8 as "I8") fails
here even where the ``safetensors`` package is not installed.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import autograd as ag

SPEC_CODES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32,
    "F64": np.float64, "I64": np.int64, "U64": np.uint64,
}


def _values(dtype):
    if dtype is np.bool_:
        return np.array([[True, False, True], [False, False, True]])
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    return np.array([[0, 1, 2], [3, info.max, info.min]], dtype=dtype)


def _header(raw: bytes) -> tuple[dict, int]:
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), 8 + n


@pytest.mark.parametrize("code", sorted(SPEC_CODES))
def test_saved_dtype_code_and_bytes_follow_the_spec(code, tmp_path):
    values = _values(SPEC_CODES[code])
    path = tmp_path / "t.safetensors"
    ag.save({"t": ag.from_numpy(values)}, path)
    raw = path.read_bytes()
    header, start = _header(raw)
    entry = header["t"]
    assert entry["dtype"] == code and entry["shape"] == [2, 3]
    begin, end = entry["data_offsets"]
    assert end - begin == values.nbytes
    little = values.astype(np.dtype(SPEC_CODES[code]).newbyteorder("<"))
    assert raw[start + begin:start + end] == little.tobytes()


@pytest.mark.parametrize("code", sorted(SPEC_CODES))
def test_a_hand_written_file_loads_with_the_spec_dtype(code, tmp_path):
    values = _values(SPEC_CODES[code])
    data = values.astype(np.dtype(SPEC_CODES[code]).newbyteorder("<")).tobytes()
    header = json.dumps({"x": {"dtype": code, "shape": [2, 3],
                               "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)
    got = ag.load(path)["x"]
    assert got.dtype == np.dtype(SPEC_CODES[code])
    np.testing.assert_array_equal(got.numpy(), values)
