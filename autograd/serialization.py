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
import secrets
import stat
import zlib
from typing import Any

import numpy as np

import backends

from .tensor import Tensor, _wrap

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "autograd.checkpoint"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors limit; a bigger header is corrupt
MAX_HEADER_ITEMS = 500_000  # JSON values a header may hold, plus one per 64 data bytes

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
                self.arrays[name] = obj.device.backend.to_host(obj.array)
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


def _encode_file(obj, checksum: bool) -> tuple[bytes, list[np.ndarray]]:
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
    if checksum:  # covers the header (without this entry) and then the data
        crc = zlib.crc32(_canonical(header))
        for c in chunks:
            crc = zlib.crc32(memoryview(c).cast("B") if c.size else b"", crc)
        header["__metadata__"]["checksum"] = f"crc32:{crc:08x}"
    raw = _canonical(header)
    raw += b" " * (-len(raw) % 8)  # pad so the byte buffer starts 8-byte aligned
    return len(raw).to_bytes(8, "little") + raw, chunks


def _canonical(header: dict) -> bytes:
    """The header as saved (and as the checksum sees it): compact JSON, in dict order."""
    return json.dumps(header, separators=(",", ":")).encode("utf-8")


_TMP_SUFFIX = ".agtmp"  # ".<name>.<pid>.<random>.agtmp": a save in progress (or killed)


def save(obj, path, *, checksum: bool = True) -> None:
    """Write ``obj`` to ``path`` in the safetensors format, atomically.

    ``obj``: nested dicts (str/int/float/bool/None keys), lists and tuples of Tensors
    (any device; saved as host arrays with their device name), NumPy arrays, Python
    numbers (inf and nan included), strings, bools and None; e.g.
    ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
    The file is written to a temporary file in the same directory, flushed to disk
    and renamed over ``path``, so a crash leaves either the old file or the new one;
    temporary files that killed saves left in that directory are removed. The file gets
    the mode a plain ``open(path, "w")`` would give (an existing file keeps its mode; the
    umask applies to a new one) and a symlink is written through to its target.
    ``checksum=True`` stores a CRC-32 of the header and the data in the metadata, which
    :func:`load` verifies, so flipped bytes are reported rather than loaded (files
    without one, such as plain safetensors files, load unchecked).
    ``path`` may also be a writable binary file object (written in place).
    """
    head, chunks = _encode_file(obj, checksum)
    if hasattr(path, "write"):
        path.write(head)
        for c in chunks:
            path.write(memoryview(c).cast("B"))
        return
    path = os.path.realpath(os.fspath(path))  # through symlinks: replace the target
    directory, base = os.path.split(path)
    _remove_stale_temporaries(directory)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    while True:
        tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}"
                                      f"{_TMP_SUFFIX}")
        try:  # 0o666 minus the umask, as a plain open() would create it
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
            break
        except FileExistsError:
            continue
    try:
        if mode is not None:
            os.chmod(tmp, mode)
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


_O_BINARY = getattr(os, "O_BINARY", 0)


def _remove_stale_temporaries(directory: str) -> None:
    """Delete the temporary files of saves whose process is gone (killed mid-write).

    Only POSIX can ask whether a process id is alive without side effects; a temporary
    of a live process (a save in progress elsewhere) is left alone."""
    if os.name != "posix":
        return
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(".") and name.endswith(_TMP_SUFFIX)):
            continue
        parts = name[: -len(_TMP_SUFFIX)].rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid():
            continue  # another thread of this process may be saving
        try:
            os.kill(pid, 0)
            continue  # alive (or reused): not ours to delete
        except ProcessLookupError:
            pass
        except OSError:
            continue  # exists but owned by another user
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


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
    buffer_len = size - 8 - n
    header = _parse_header(f.read(n), n, buffer_len, first, fail)
    header_crc = _header_crc(header, fail)
    metadata = header.pop("__metadata__", None)
    # everything the header says is checked before a byte of tensor data is allocated
    structure, crc = _check_metadata(metadata, fail)
    specs = _check_entries(header, buffer_len, fail)
    arrays = _read_arrays(f, start + 8 + n, specs, crc, header_crc, fail)
    if structure is None:
        return {k: _make_tensor(a, None, False, map_location, fail)
                for k, a in arrays.items()}
    try:
        return _decode(structure, arrays, map_location, fail, {})
    except RecursionError:
        fail("corrupted structure: nested too deeply")


def _json_items(raw) -> int:
    """An upper bound on the number of values JSON text ``raw`` parses to (separators,
    openers and string quotes, counted anywhere): parsing costs at most ~40 bytes each."""
    return (raw.count(b",") + raw.count(b"[") + raw.count(b"{") + raw.count(b":")
            + raw.count(b'"') // 2)


def _parse_header(raw: bytes, n: int, buffer_len: int, first: bytes, fail) -> dict:
    if len(raw) < n:
        fail(f"truncated: the header claims {n} bytes but only {len(raw)} could be read")
    # A parsed JSON value costs ~10x its text, so a small file of "[],[],..." could ask
    # for gigabytes: the value count is bounded, more generously the more data it indexes.
    items, allowed = _json_items(raw), MAX_HEADER_ITEMS + buffer_len // 64
    if items > allowed:
        fail(f"corrupted header: {items} JSON values for {buffer_len} bytes of tensor "
             f"data, more than the {allowed} allowed")
    try:
        text = raw.decode("utf-8")
        del raw  # the decoded copy is all that is needed
        header = json.loads(text)
    except RecursionError:
        fail("corrupted header: JSON nested too deeply")
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSON, huge integers
        kind = _foreign_kind(first)
        fail(f"this is {kind}, not a checkpoint" if kind else
             f"corrupted header: not valid UTF-8 JSON ({str(exc):.200})")
    if not isinstance(header, dict):
        fail(f"corrupted header: expected a JSON object, got {type(header).__name__}")
    return header


def _header_crc(header: dict, fail) -> int:
    """CRC-32 of the header as saved without its checksum entry (the checksum's seed)."""
    metadata = header.get("__metadata__")
    if not (isinstance(metadata, dict) and "checksum" in metadata):
        return 0
    meta = {k: v for k, v in metadata.items() if k != "checksum"}
    try:
        return zlib.crc32(_canonical({k: meta if k == "__metadata__" else v
                                      for k, v in header.items()}))
    except (RecursionError, ValueError):
        fail("corrupted header: JSON nested too deeply")


def _check_metadata(metadata, fail) -> tuple[Any, int | None]:
    """Validate ``__metadata__``; return our parsed structure (None for a plain
    safetensors file) and the expected CRC-32 of the data (None when not stored)."""
    if metadata is None:
        return None, None
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        fail("corrupted header: '__metadata__' must map strings to strings")
    crc = None
    if "checksum" in metadata:  # whatever the format says: a flip there is caught too
        text = metadata["checksum"]
        digits = text[len("crc32:"):]
        if not (text.startswith("crc32:") and len(digits) == 8
                and all(c in "0123456789abcdef" for c in digits)):
            fail(f"corrupted header: bad checksum entry {text!r:.40}")
        crc = int(digits, 16)
    if metadata.get("format") != FORMAT:
        return None, crc
    version = metadata.get("version", "0")
    if not (version.isascii() and version.isdigit() and len(version) < 10):
        fail(f"corrupted header: bad format version {version!r:.40}")
    if int(version) > FORMAT_VERSION:
        fail(f"written by a newer version of this library (format {version}; this one "
             f"reads up to {FORMAT_VERSION})")
    if "structure" not in metadata:
        fail("corrupted header: the stored structure is missing")
    try:
        structure = json.loads(metadata["structure"])
    except RecursionError:
        fail("corrupted structure: nested too deeply")
    except ValueError as exc:
        fail(f"corrupted header: the stored structure is not JSON ({str(exc):.200})")
    return structure, crc


_MAX_BYTES = 2**62  # NumPy refuses bigger shapes even with a zero dimension


def _check_entries(header: dict, buffer_len: int, fail) -> dict[str, tuple]:
    """Check every tensor entry, and that the entries tile the data buffer exactly
    (contiguous, in order, no overlap, no gap, nothing after): so the arrays made
    never need more memory than the file holds."""
    specs = {}
    for key, entry in header.items():
        if not isinstance(entry, dict):
            fail(f"corrupted header: entry {key!r:.80} is not an object")
        code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(code, str) or (code not in _DTYPES and code != _BF16):
            fail(f"tensor {key!r:.80} has unknown or unsupported dtype {code!r:.40}")
        itemsize = 2 if code == _BF16 else _DTYPES[code].itemsize
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)
                and len(shape) <= 64  # NumPy's limit on dimensions
                and math.prod(s for s in shape if s) * itemsize < _MAX_BYTES):
            fail(f"corrupted header: tensor {key!r:.80} has invalid shape {shape!r:.80}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            fail(f"corrupted header: tensor {key!r:.80} has invalid data_offsets "
                 f"{offsets!r:.80}")
        nbytes = math.prod(shape) * itemsize
        if offsets[1] - offsets[0] != nbytes:
            fail(f"corrupted header: tensor {key!r:.80} of dtype {code} and shape {shape} "
                 f"needs {nbytes} bytes but its data_offsets {offsets} span "
                 f"{offsets[1] - offsets[0]}")
        if offsets[1] > buffer_len:
            fail(f"truncated or corrupted: tensor {key!r:.80} ends at byte {offsets[1]} of "
                 f"the data buffer, which has only {buffer_len} bytes")
        specs[key] = (code, tuple(shape), offsets[0], offsets[1])
    end = 0
    for key, (_, _, begin, stop) in sorted(specs.items(), key=lambda kv: kv[1][2:]):
        if begin != end:
            fail(f"corrupted header: tensor {key!r:.80} starts at byte {begin} of the data "
                 f"buffer, expected {end} (tensors must be contiguous, in order, and "
                 "must not overlap)")
        end = stop
    if end != buffer_len:
        fail(f"corrupted header: the tensors cover {end} bytes of the data buffer but it "
             f"has {buffer_len} (trailing bytes)")
    return specs


def _read_arrays(f, base: int, specs: dict, crc: int | None, running: int,
                 fail) -> dict[str, np.ndarray]:
    arrays = {}
    f.seek(base)
    for key, (code, shape, begin, end) in sorted(specs.items(), key=lambda kv: kv[1][2:]):
        if code == _BF16:  # bfloat16 is the top half of a float32: read it in pieces
            arr = np.zeros(shape, dtype="<f4")
            halves = arr.reshape(-1).view("<u2")[1::2]  # little-endian: odd halves
            piece = np.empty(min(halves.size, 1 << 19), dtype="<u2")
            for i in range(0, halves.size, piece.size):
                chunk = piece[: min(piece.size, halves.size - i)]
                got = f.readinto(memoryview(chunk).cast("B"))
                if got != chunk.nbytes:
                    fail(f"truncated: tensor {key!r:.80} needs {end - begin} bytes, the "
                         f"file has fewer")
                if crc is not None:
                    running = zlib.crc32(memoryview(chunk).cast("B"), running)
                halves[i : i + chunk.size] = chunk
        else:
            arr = np.empty(shape, dtype=_DTYPES[code])
            if end > begin:
                got = f.readinto(memoryview(arr).cast("B"))
                if got != end - begin:
                    fail(f"truncated: tensor {key!r:.80} needs {end - begin} bytes, the file "
                         f"has {got}")
                if crc is not None:
                    running = zlib.crc32(memoryview(arr).cast("B"), running)
        arrays[key] = arr.astype(arr.dtype.newbyteorder("="), copy=False)  # native order
    if crc is not None and running != crc:
        fail(f"corrupted: the CRC-32 of the header and tensor data is {running:08x}, the "
             f"header recorded {crc:08x} (the file was damaged after it was written)")
    return {key: arrays[key] for key in specs}  # the header's order


def _make_tensor(arr: np.ndarray, device, requires_grad: bool, map_location, fail) -> Tensor:
    target = map_location if map_location is not None else (device or "cpu")
    if callable(target) and not isinstance(target, str | backends.Device):
        target = target(device or "cpu")
    try:
        dev = backends.get_device(target)
    except backends.DeviceUnavailableError as exc:
        if map_location is not None:
            raise  # the caller asked for a device this machine lacks
        fail(f"a tensor was saved on {target!r}, which this machine cannot provide "
             f"({exc}); pass map_location='cpu' to load it on the CPU")
    except ValueError as exc:
        if map_location is not None:
            raise
        fail(f"corrupted structure: bad device {target!r:.40} ({exc})")
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
        name, device = node["__tensor__"], node.get("device")
        grad = node.get("requires_grad", False)
        if not (isinstance(name, str) and isinstance(device, str | None)
                and isinstance(grad, bool)):
            fail(f"corrupted structure: bad tensor reference {node!r:.80}")
        if name not in arrays:
            fail(f"corrupted structure: it refers to tensor {name!r:.80}, which the file "
                 "lacks")
        if name not in made:  # shared tensors come back shared
            made[name] = _make_tensor(arrays[name], device, grad, map_location, fail)
        return made[name]
    if "__ndarray__" in node:
        name = node["__ndarray__"]
        if not isinstance(name, str) or name not in arrays:
            fail(f"corrupted structure: it refers to array {name!r:.80}, which the file "
                 "lacks")
        return arrays[name]
    if "__float__" in node:
        text = node["__float__"]
        if text not in ("inf", "-inf", "nan"):
            fail(f"corrupted structure: bad float {text!r:.40}")
        return float(text)
    if "__tuple__" in node:
        items = node["__tuple__"]
        if not isinstance(items, list):
            fail(f"corrupted structure: a tuple holds {type(items).__name__}, not a list")
        return tuple(_decode(v, arrays, map_location, fail, made) for v in items)
    if "__dict__" in node:
        pairs = node["__dict__"]
        if not isinstance(pairs, list):
            fail(f"corrupted structure: a dict holds {type(pairs).__name__}, not a list")
        out = {}
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 2):
                fail("corrupted structure: a dict item is not a [key, value] pair")
            key = _decode(pair[0], arrays, map_location, fail, made)
            try:
                hash(key)
            except TypeError:
                fail(f"corrupted structure: unhashable dict key {key!r:.80}")
            out[key] = _decode(pair[1], arrays, map_location, fail, made)
        return out
    fail(f"corrupted structure: unexpected node {node!r:.80}")
