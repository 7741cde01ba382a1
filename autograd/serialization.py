"""``save`` / ``load``: checkpoints in the safetensors format, never pickle.

File layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
length ``N``, ``N`` bytes of UTF-8 JSON, then the raw little-endian bytes of every
tensor. The header maps each tensor name to ``{"dtype", "shape", "data_offsets"}``
(offsets relative to the start of the byte buffer) and holds a ``"__metadata__"``
dict of strings; ours puts the nested Python structure (dicts, lists, tuples,
numbers, strings, bools, None, Tensors) there as JSON, with Tensors replaced by
references to their names. So a checkpoint opens with the ``safetensors`` package
(as flat named arrays), and a plain safetensors file loads here as a dict of Tensors.

Loading parses JSON and copies bytes into arrays: nothing in a file can run code.
Every problem with a file (truncated, corrupted, foreign such as a pickle) raises
:class:`CheckpointError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

import numpy as np

import backends

from .tensor import Tensor, _wrap

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "autograd.checkpoint"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors limit; a bigger header is corrupt

# safetensors dtype names <-> NumPy dtypes (stored little-endian)
_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U64": np.dtype("<u8"), "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_NAMES = {dt.newbyteorder("="): name for name, dt in _DTYPES.items()}
_BF16 = "BF16"  # read as float32 (NumPy has no bfloat16)


class CheckpointError(ValueError):
    """A file could not be read as a checkpoint: truncated, corrupted, or not one."""


# --- save --------------------------------------------------------------------------------


class _Writer:
    """Collects the tensors of a nested structure and encodes the structure as JSON."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.by_id: dict[int, str] = {}
        self._keep: list = []  # keeps tensors alive so ids stay unique while encoding

    def name_for(self, path: list[str]) -> str:
        base = ".".join(path) or "tensor"
        name, k = base, 1
        while name in self.arrays or name == "__metadata__":
            name, k = f"{base}#{k}", k + 1
        return name

    def encode(self, obj, path: list[str]):
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, int | np.integer) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, float | np.floating):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, Tensor):
            name = self.by_id.get(id(obj))
            if name is None:  # a tensor stored twice (tied weights) is saved once
                name = self.name_for(path)
                self.arrays[name] = obj.device.backend.to_host(obj.data)
                self.by_id[id(obj)] = name
                self._keep.append(obj)
            return {"__tensor__": name, "device": str(obj.device),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            name = self.name_for(path)
            self.arrays[name] = obj
            return {"__ndarray__": name}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, str | int | float | bool | np.integer)):
                    raise TypeError(f"save: dict keys must be str, int, float, bool or None, "
                                    f"got {type(k).__name__} at {'.'.join(path) or 'top'}")
                items.append([self.encode(k, path), self.encode(v, path + [str(k)])])
            return {"__dict__": items}
        if isinstance(obj, list | tuple):
            items = [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]
            return {"__tuple__": items} if isinstance(obj, tuple) else items
        hint = ("; save its state_dict() instead (objects are never pickled)"
                if hasattr(obj, "state_dict") else "")
        raise TypeError(f"save: cannot save an object of type {type(obj).__name__} at "
                        f"{'.'.join(path) or 'top'}; supported: dicts, lists, tuples, "
                        f"Tensors, NumPy arrays, numbers, strings, bools, None{hint}")


def _encode_file(obj) -> tuple[bytes, list[np.ndarray]]:
    writer = _Writer()
    structure = writer.encode(obj, [])
    header: dict[str, Any] = {}
    offset = 0
    chunks = []
    for name, arr in writer.arrays.items():
        dt = arr.dtype.newbyteorder("=") if arr.dtype.byteorder != "|" else arr.dtype
        code = _NAMES.get(dt)
        if code is None:
            raise TypeError(f"save: tensor {name!r} has dtype {arr.dtype}, which the "
                            f"safetensors format cannot store")
        data = np.ascontiguousarray(arr, dtype=_DTYPES[code])
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
        chunks.append(data)
    header["__metadata__"] = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "structure": json.dumps(structure, separators=(",", ":"), allow_nan=False),
    }
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad so the byte buffer starts 8-byte aligned
    return len(raw).to_bytes(8, "little") + raw, chunks


def save(obj, path) -> None:
    """Write ``obj`` to ``path`` in the safetensors format, atomically.

    ``obj``: nested dicts (str/int/float/bool/None keys), lists and tuples of Tensors
    (any device; saved as host arrays with their device name), NumPy arrays, Python
    numbers (inf and nan included), strings, bools and None; e.g.
    ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
    The file is written to a temporary file in the same directory, flushed to disk
    and renamed over ``path``, so a crash leaves either the old file or the new one.
    ``path`` may also be a writable binary file object (written in place).
    """
    head, chunks = _encode_file(obj)
    if hasattr(path, "write"):
        path.write(head)
        for c in chunks:
            path.write(memoryview(c).cast("B"))
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head)
            for c in chunks:
                f.write(memoryview(c).cast("B") if c.size else b"")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- load --------------------------------------------------------------------------------


def _foreign_kind(first: bytes) -> str | None:
    """Name a well-known non-safetensors format from a file's first bytes."""
    if first[:1] == b"\x80" and len(first) > 1 and first[1:2] in b"\x02\x03\x04\x05":
        return "a Python pickle (refusing to unpickle: it can run arbitrary code)"
    if first[:4] == b"PK\x03\x04":
        return "a zip archive (e.g. a torch.save or .npz file)"
    if first[:6] == b"\x93NUMPY":
        return "a NumPy .npy file"
    if first[:4] == b"\x89HDF":
        return "an HDF5 file"
    return None


def load(path, map_location=None):
    """Read a file written by :func:`save` (or any safetensors file).

    Returns the saved structure with Tensors rebuilt on the device they were saved
    from, or on ``map_location`` ("cpu", "cuda", a Device) when given. A safetensors
    file without our structure loads as a ``{name: Tensor}`` dict in file order.

    Raises:
        CheckpointError: the file is truncated, corrupted, or not a safetensors file.
        FileNotFoundError: no such file.
    """
    name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
    where = repr(name) if name is not None else "the file object"

    def fail(problem: str):
        raise CheckpointError(f"load({where}): {problem}")

    if hasattr(path, "read"):
        start = path.tell()
        size = path.seek(0, os.SEEK_END) - start  # so a bad header cannot ask for more
        path.seek(start)
        return _load_from(path, start, size, fail, map_location)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        return _load_from(f, 0, size, fail, map_location)


def _load_from(f, start, size, fail, map_location):
    first = f.read(8)
    if len(first) < 8:
        kind = _foreign_kind(first)
        fail(f"this is {kind}, not a checkpoint" if kind else
             f"truncated: the file has {len(first)} bytes, fewer than the 8-byte header "
             "length of the safetensors format")
    n = int.from_bytes(first, "little")
    if n > MAX_HEADER_BYTES or 8 + n > size:
        kind = _foreign_kind(first)
        if kind:
            fail(f"this is {kind}, not a checkpoint")
        if n > MAX_HEADER_BYTES:
            fail(f"corrupted or not a safetensors file: header length {n} exceeds the "
                 f"{MAX_HEADER_BYTES}-byte limit")
        fail(f"truncated or not a safetensors file: the header length field says {n} "
             f"bytes but the file has {size - 8} after it")
    raw = f.read(n)
    if len(raw) < n:
        fail(f"truncated: the header claims {n} bytes but only {len(raw)} could be read")
    try:
        header = json.loads(raw.decode("utf-8"))
    except RecursionError:
        fail("corrupted header: JSON nested too deeply")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = _foreign_kind(first)
        fail(f"this is {kind}, not a checkpoint" if kind else
             f"corrupted header: not valid UTF-8 JSON ({exc})")
    if not isinstance(header, dict):
        fail(f"corrupted header: expected a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None)
    specs = _check_entries(header, size - 8 - n, fail)
    arrays = _read_arrays(f, start + 8 + n, specs, fail)
    if metadata is not None and not (isinstance(metadata, dict) and
                                     all(isinstance(v, str) for v in metadata.values())):
        fail("corrupted header: '__metadata__' must map strings to strings")
    if not metadata or metadata.get("format") != FORMAT:
        return {k: _make_tensor(a, None, False, map_location) for k, a in arrays.items()}
    try:
        version = int(metadata.get("version", "0"))
    except ValueError:
        fail(f"corrupted header: bad format version {metadata.get('version')!r}")
    if version > FORMAT_VERSION:
        fail(f"written by a newer version of this library (format {version}; this one "
             f"reads up to {FORMAT_VERSION})")
    try:
        structure = json.loads(metadata["structure"])
        return _decode(structure, arrays, map_location, fail, {})
    except (KeyError, json.JSONDecodeError) as exc:
        fail(f"corrupted header: the stored structure is missing or not JSON ({exc})")
    except RecursionError:
        fail("corrupted structure: nested too deeply")


def _check_entries(header: dict, buffer_len: int, fail) -> dict[str, tuple]:
    specs = {}
    for key, entry in header.items():
        if not isinstance(entry, dict):
            fail(f"corrupted header: entry {key!r} is not an object")
        code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if code not in _DTYPES and code != _BF16:
            fail(f"tensor {key!r} has unknown or unsupported dtype {code!r}")
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
            fail(f"corrupted header: tensor {key!r} has invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            fail(f"corrupted header: tensor {key!r} has invalid data_offsets {offsets!r}")
        itemsize = 2 if code == _BF16 else _DTYPES[code].itemsize
        nbytes = math.prod(shape) * itemsize
        if offsets[1] - offsets[0] != nbytes:
            fail(f"corrupted header: tensor {key!r} of dtype {code} and shape {shape} needs "
                 f"{nbytes} bytes but its data_offsets {offsets} span "
                 f"{offsets[1] - offsets[0]}")
        if offsets[1] > buffer_len:
            fail(f"truncated or corrupted: tensor {key!r} ends at byte {offsets[1]} of the "
                 f"data buffer, which has only {buffer_len} bytes")
        specs[key] = (code, tuple(shape), offsets[0], offsets[1])
    return specs


def _read_arrays(f, base: int, specs: dict, fail) -> dict[str, np.ndarray]:
    arrays = {}
    for key, (code, shape, begin, end) in specs.items():
        dt = np.dtype("<u2") if code == _BF16 else _DTYPES[code]
        arr = np.empty(shape, dtype=dt)
        if end > begin:
            f.seek(base + begin)
            got = f.readinto(memoryview(arr).cast("B"))
            if got != end - begin:
                fail(f"truncated: tensor {key!r} needs {end - begin} bytes, the file has "
                     f"{got}")
        if code == _BF16:  # bfloat16 is the top half of a float32
            arr = (arr.astype("<u4") << 16).view("<f4")
        arrays[key] = arr.astype(arr.dtype.newbyteorder("="), copy=False)  # native order
    return arrays


def _make_tensor(arr: np.ndarray, device, requires_grad: bool, map_location) -> Tensor:
    target = map_location if map_location is not None else (device or "cpu")
    if callable(target) and not isinstance(target, str | backends.Device):
        target = target(device or "cpu")
    try:
        dev = backends.get_device(target)
    except backends.DeviceUnavailableError as exc:
        raise backends.DeviceUnavailableError(
            f"{exc}; the checkpoint holds tensors saved on {target!r}: pass "
            "map_location='cpu' to ag.load to load them on the CPU") from exc
    t = _wrap(dev.backend.asarray(arr), dev)
    if requires_grad and arr.dtype.kind == "f":
        t.requires_grad = True
    return t


def _decode(node, arrays, map_location, fail, made: dict):
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, map_location, fail, made) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        fail(f"corrupted structure: unexpected node {node!r:.80}")
    if "__tensor__" in node:
        name = node["__tensor__"]
        if name not in arrays:
            fail(f"corrupted structure: it refers to tensor {name!r}, which the file lacks")
        if name not in made:  # shared tensors come back shared
            made[name] = _make_tensor(arrays[name], node.get("device"),
                                      bool(node.get("requires_grad")), map_location)
        return made[name]
    if "__ndarray__" in node:
        name = node["__ndarray__"]
        if name not in arrays:
            fail(f"corrupted structure: it refers to array {name!r}, which the file lacks")
        return arrays[name]
    if "__float__" in node:
        text = node["__float__"]
        if text not in ("inf", "-inf", "nan"):
            fail(f"corrupted structure: bad float {text!r}")
        return float(text)
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, map_location, fail, made) for v in node["__tuple__"])
    if "__dict__" in node:
        out = {}
        for pair in node["__dict__"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                fail("corrupted structure: a dict item is not a [key, value] pair")
            key = _decode(pair[0], arrays, map_location, fail, made)
            if isinstance(key, list | dict):
                fail(f"corrupted structure: unhashable dict key {key!r:.80}")
            out[key] = _decode(pair[1], arrays, map_location, fail, made)
        return out
    fail(f"corrupted structure: unexpected node {node!r:.80}")
