"""``assert_close``: PyTorch's ``torch.testing.assert_close`` for this engine's tensors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# PyTorch's default (rtol, atol) per dtype; integers and bools compare exactly
_DEFAULT_TOLERANCES = {
    np.dtype("float16"): (1e-3, 1e-5),
    np.dtype("float32"): (1.3e-6, 1e-5),
    np.dtype("float64"): (1e-7, 1e-7),
    np.dtype("complex64"): (1.3e-6, 1e-5),
    np.dtype("complex128"): (1e-7, 1e-7),
}


def _is_tensor_like(x) -> bool:
    from autograd import Tensor

    return isinstance(x, Tensor | np.ndarray | np.generic | int | float | bool | complex)


def _meta(x):
    """(host array, dtype, device name, kind) of a tensor-like."""
    from autograd import Tensor

    if isinstance(x, Tensor):
        return x.numpy(), x.array.dtype, str(x.device), "Tensor"
    if isinstance(x, np.ndarray | np.generic):
        return np.asarray(x), np.asarray(x).dtype, "cpu", "ndarray"
    return np.asarray(x), None, "cpu", type(x).__name__  # Python numbers: dtype is loose


def _fail(message, custom, path):
    """Raise with ``message`` (plus where in a nested input), or the user's ``msg``: a
    string, or a callable given the generated message."""
    if callable(custom):
        raise AssertionError(custom(message))
    raise AssertionError(custom or (message + (f"\n(at item {path})" if path else "")))


def _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    a, da, deva, ka = _meta(actual)
    e, de, deve, ke = _meta(expected)
    if check_device and deva != deve:
        _fail(f"The values for attribute 'device' do not match: {deva} != {deve}.", msg, path)
    if check_dtype and da is not None and de is not None and da != de:
        _fail(f"The values for attribute 'dtype' do not match: {da} != {de}.", msg, path)
    if a.shape != e.shape:
        _fail(f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.",
              msg, path)
    dt = da if da is not None else (de if de is not None else np.result_type(a, e))
    if rtol is None:
        rtol, atol = _DEFAULT_TOLERANCES.get(np.dtype(dt), (0.0, 0.0))
        if de is not None and da is not None and da != de:  # the looser of the two
            r2, a2 = _DEFAULT_TOLERANCES.get(np.dtype(de), (0.0, 0.0))
            rtol, atol = max(rtol, r2), max(atol, a2)
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    both = np.result_type(a.dtype, e.dtype, np.float64) if (
        a.dtype.kind in "fc" or e.dtype.kind in "fc") else np.int64
    av, ev = a.astype(both), e.astype(both)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(av, ev, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    kind = "Tensor-likes" if "Tensor" in (ka, ke) or a.ndim else "Scalars"
    bad = ~close
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        diff = np.abs(av - ev).astype(np.float64)
        rel = diff / np.abs(ev).astype(np.float64)
    diff = np.where(bad, diff, -np.inf)
    rel = np.where(bad, np.nan_to_num(rel, nan=np.inf), -np.inf)
    ia = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    ir = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    lines = [f"{kind} are not close!", ""]
    if a.size > 1 or a.ndim:
        n = int(bad.sum())
        lines.append(f"Mismatched elements: {n} / {a.size} ({100.0 * n / a.size:.1f}%)")
        lines.append(f"Greatest absolute difference: {diff[ia]} at index {tuple(map(int, ia))} "
                     f"(up to {atol} allowed)")
        lines.append(f"Greatest relative difference: {rel[ir]} at index {tuple(map(int, ir))} "
                     f"(up to {rtol} allowed)")
    else:
        lines.append(f"Expected {e.item()} but got {a.item()}.")
        lines.append(f"Absolute difference: {float(diff)} (up to {atol} allowed)")
        lines.append(f"Relative difference: {float(rel)} (up to {rtol} allowed)")
    _fail("\n".join(lines), msg, path)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with the same shape,
    dtype and device (each check can be turned off). Tensors, NumPy arrays, Python
    numbers, and sequences or mappings of them (compared item by item) are accepted.
    Without ``rtol``/``atol`` the dtype's defaults apply (float32: 1.3e-6 and 1e-5;
    float64: 1e-7 and 1e-7; integers: exact), as PyTorch."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: both rtol and atol must be given, or neither")
    _walk(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, "")


def _walk(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, path):
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        _compare(actual, expected, rtol, atol, equal_nan, check_device, check_dtype, msg, path)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                  f"{sorted(map(str, expected))}", msg, path)
        for k in actual:
            _walk(actual[k], expected[k], rtol, atol, equal_nan, check_device, check_dtype,
                  msg, f"{path}[{k!r}]")
        return
    if (isinstance(actual, Sequence) and isinstance(expected, Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  msg, path)
        for i, (x, y) in enumerate(zip(actual, expected)):
            _walk(x, y, rtol, atol, equal_nan, check_device, check_dtype, msg, f"{path}[{i}]")
        return
    raise TypeError(f"assert_close: cannot compare {type(actual).__name__} with "
                    f"{type(expected).__name__}{' at ' + path if path else ''}")


def compare_with_torch(fn, tfn, *arrays, consts=(), rng=None, rtol=1e-10, atol=1e-12):
    """``fn(*Tensors)`` and ``tfn(*torch tensors)`` of the same float64 ``arrays`` (and
    constant ``consts``) agree, and so do the input gradients of a random projection
    ``sum(w * out)`` of their outputs. Needs PyTorch (imported here, not by the engine)."""
    import torch

    import autograd as ag

    rng = np.random.default_rng(0) if rng is None else rng
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs, *[ag.tensor(c) for c in consts])
    tout = tfn(*ts, *[torch.tensor(c) for c in consts])
    assert tuple(out.shape) == tuple(tout.shape), (tuple(out.shape), tuple(tout.shape))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    w = rng.standard_normal(tuple(tout.shape))
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
