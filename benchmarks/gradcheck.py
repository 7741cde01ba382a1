"""Gradient-check benchmark: analytic vs numerical gradients of every registered op.

    python -m benchmarks.gradcheck [--device cpu|cuda|all] [--dtype float64|float32|all]
                                   [--ops PATTERN[,PATTERN]] [--json PATH]

The ops come from the registry only (``autograd.testing.all_ops()``), so an op added
there is checked here without editing this file. For every op, device and dtype it
builds the full Jacobian twice, analytically (one backward per output element) and by
central differences, and reports the largest absolute and relative disagreement; where
the op is registered as twice differentiable (``second_order``) it does the same for
the map ``(inputs, v) -> v^T J(inputs)``, whose analytic Jacobian needs a backward
through a backward (``create_graph=True``), as ``gradgradcheck`` does.

An op whose backward is missing or raises (``NotImplementedError`` included) FAILS;
nothing is skipped for lack of a gradient. The exit status is 1 when any op fails,
2 when no op matched ``--ops`` or a requested device is unavailable.

Tolerances (an element passes when ``|analytic - numerical| <= atol + rtol*|numerical|``)

* float64: eps 1e-6, atol = max(op.atol, 1e-5), rtol = op.rtol (1e-3 by default),
  PyTorch's gradcheck settings. Central differences have truncation error
  ~eps^2 |f'''| ~ 1e-12 and rounding error ~ulp(f)/eps ~ 1e-10 |f|, far inside them.
* float32: eps 1e-3, atol 1e-2, rtol 1e-2. With a unit roundoff of 6e-8 the rounding
  error of a central difference is ~6e-8 |f| / eps: eps 1e-6 would leave only one
  correct digit, eps 1e-3 balances it (~6e-5 |f|) against the truncation error
  (~eps^2 |f'''| ~ 1e-6), so about half of float32's 7 digits survive, and the outputs
  themselves (sums over a few dozen elements) carry ~1e-6 relative rounding. 1e-2
  leaves a margin of ~100x over those errors while a wrong formula (a missing factor, a
  sign, a transposed broadcast) still misses by O(1). The step actually taken is
  measured after rounding the perturbed input to float32, so the divisor is exact.

``max rel err`` is ``max |a - n| / |n|`` over the elements where ``|n| > atol`` (where a
relative error means something); ``max abs err`` is over all elements.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

import autograd as ag
from autograd.grad_mode import enable_grad, no_grad
from autograd.tensor import Tensor, _wrap

TOLERANCES = {
    # dtype: (eps, atol floor, rtol floor)
    "float64": (1e-6, 1e-5, 1e-3),
    "float32": (1e-3, 1e-2, 1e-2),
}


@dataclass
class Result:
    """One op checked on one device and dtype."""

    op: str
    device: str
    dtype: str
    shapes: str
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    first: str = "FAIL"  # pass / FAIL
    second: str = "n/a"  # pass / FAIL / n/a
    seconds: float = 0.0
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.first == "pass" and self.second in ("pass", "n/a")


class _Stats:
    def __init__(self):
        self.abs = 0.0
        self.rel = 0.0

    def update(self, a: np.ndarray, n: np.ndarray, atol: float) -> None:
        if a.size == 0:
            return
        diff = np.abs(a - n)
        diff = np.where(np.isfinite(diff), diff, np.inf)
        self.abs = max(self.abs, float(diff.max()))
        big = np.abs(n) > atol
        if big.any():
            self.rel = max(self.rel, float((diff[big] / np.abs(n[big])).max()))


def _float_outputs(out) -> list:
    outs = out if isinstance(out, tuple | list) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.array.dtype.kind == "f"]


def _host64(t: Tensor) -> np.ndarray:
    # a copy: a view op's output shares memory with the input being perturbed
    return np.array(t.numpy(), dtype=np.float64).reshape(-1)


def _numerical_jacobian(fn, args, diff_idx, eps):
    """{(input i, output o): (out.size, in.size)} by central differences."""
    jac = {}
    for i in diff_idx:
        t = args[i]
        xp = t.device.backend.xp
        if not t.array.flags.c_contiguous:
            t.array = xp.ascontiguousarray(t.array)
        flat = t.array.reshape(-1)  # a view: writing it perturbs t
        host = t.numpy().reshape(-1).copy()
        dtype = host.dtype
        cols = []
        for k in range(host.size):
            plus = dtype.type(host[k] + eps)  # rounded to the input's dtype ...
            minus = dtype.type(host[k] - eps)
            step = float(plus) - float(minus)  # ... so the step is the one really taken
            flat[k] = plus
            with no_grad():
                f_plus = [_host64(o) for o in _float_outputs(fn(*args))]
            flat[k] = minus
            with no_grad():
                f_minus = [_host64(o) for o in _float_outputs(fn(*args))]
            flat[k] = host[k]
            cols.append([(p - m) / step for p, m in zip(f_plus, f_minus, strict=True)])
        for o in range(len(cols[0]) if cols else 0):
            jac[i, o] = np.stack([c[o] for c in cols], axis=1)
    return jac


def _analytic_jacobian(fn, args, diff_idx):
    """{(input i, output o): (out.size, in.size)}, one backward per output element."""
    with enable_grad():
        outs = _float_outputs(fn(*args))
    inputs = [args[i] for i in diff_idx]
    jac = {}
    for o, out in enumerate(outs):
        n = out.array.size
        rows = {i: np.zeros((n, args[i].array.size)) for i in diff_idx}
        if out.requires_grad:  # else it is constant: a zero Jacobian, which FD judges
            xp = out.device.backend.xp
            for k in range(n):
                seed = xp.zeros(n, dtype=out.array.dtype)
                seed[k] = 1
                gs = ag.grad([out], inputs, [_wrap(seed.reshape(out.shape), out.device)],
                             retain_graph=True, allow_unused=True)
                for i, g in zip(diff_idx, gs, strict=True):
                    if g is not None:
                        rows[i][k] = _host64(g)
        for i in diff_idx:
            jac[i, o] = rows[i]
    return jac


def _compare(fn, args, eps, atol, rtol, stats, what) -> list:
    """Compare the Jacobians of ``fn`` at ``args``; return messages for mismatches."""
    diff_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not diff_idx:
        return [f"{what}: no argument requires grad, nothing to check"]
    analytic = _analytic_jacobian(fn, args, diff_idx)
    numerical = _numerical_jacobian(fn, args, diff_idx, eps)
    if set(analytic) != set(numerical):
        return [f"{what}: the op returned different outputs on re-evaluation"]
    errors = []
    for key in sorted(analytic):
        a, n = analytic[key], numerical[key]
        stats.update(a, n, atol)
        bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
        if bad.any():
            r, c = np.unravel_index(int(np.argmax(bad)), a.shape)
            errors.append(
                f"{what}: input {key[0]}, output {key[1]}, Jacobian element ({r}, {c}): "
                f"analytic {a[r, c]:.6g} vs numerical {n[r, c]:.6g} "
                f"({int(bad.sum())} of {bad.size} elements outside atol {atol:g} + "
                f"rtol {rtol:g} * |numerical|)")
    return errors


def _first_derivative_fn(fn, n_args, diff_idx):
    """``(*args, *v) -> grads of v . outputs``, built with create_graph=True."""

    def first(*all_args):
        xs, vs = all_args[:n_args], all_args[n_args:]
        with enable_grad():
            outs = [o for o in _float_outputs(fn(*xs)) if o.requires_grad]
            gs = ag.grad(outs, [xs[i] for i in diff_idx], list(vs)[:len(outs)],
                         create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return first


def _shapes(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            s = "x".join(str(n) for n in a.shape) or "()"
            parts.append(s if a.requires_grad else f"[{s}]")
    return ",".join(parts)


def check_op(info, device: str, dtype: str, seed: int = 0) -> Result:
    """Check one registry entry on ``device`` in ``dtype``; never raises."""
    eps, atol_floor, rtol_floor = TOLERANCES[dtype]
    atol, rtol = max(info.atol, atol_floor), max(info.rtol, rtol_floor)
    res = Result(info.name, device, dtype, "")
    start = time.perf_counter()
    stats = _Stats()
    try:
        rng = np.random.default_rng(seed)
        args = tuple(info.make_args(rng, getattr(ag, dtype), device))
        res.shapes = _shapes(args)
        errors = _compare(info.fn, args, eps, atol, rtol, stats, "1st order")
        res.first = "FAIL" if errors else "pass"
        res.errors += errors
    except Exception as exc:  # a missing backward (NotImplementedError) lands here
        res.errors.append(f"1st order: {type(exc).__name__}: {exc}")
        res.first = "FAIL"
    if info.second_order:
        try:
            rng = np.random.default_rng(seed)
            args = tuple(info.make_args(rng, getattr(ag, dtype), device))
            diff_idx = [i for i, a in enumerate(args)
                        if isinstance(a, Tensor) and a.requires_grad]
            with enable_grad():
                outs = [o for o in _float_outputs(info.fn(*args)) if o.requires_grad]
            vs = tuple(
                _wrap(o.device.backend.asarray(
                    rng.standard_normal(o.shape).astype(o.array.dtype)), o.device
                ).requires_grad_(True)
                for o in outs)
            first = _first_derivative_fn(info.fn, len(args), diff_idx)
            errors = _compare(first, args + vs, eps, atol, rtol, stats, "2nd order")
            res.second = "FAIL" if errors else "pass"
            res.errors += errors
        except Exception as exc:
            res.errors.append(f"2nd order: {type(exc).__name__}: {exc}")
            res.second = "FAIL"
    res.max_abs_err, res.max_rel_err = stats.abs, stats.rel
    res.seconds = time.perf_counter() - start
    return res


def select(ops, pattern: str | None) -> list:
    """Ops whose name matches one of the comma-separated globs in ``pattern``; a plain
    word also matches every variant of that op (``mul`` matches ``mul/broadcast``)."""
    if not pattern:
        return list(ops)
    pats = [p.strip() for p in pattern.split(",") if p.strip()]
    return [o for o in ops
            if any(fnmatch.fnmatchcase(o.name, p) or o.name.split("/")[0] == p for p in pats)]


def _fmt_err(x: float) -> str:
    return f"{x:.2e}"


def print_table(results, out=None) -> None:
    out = out or sys.stdout
    head = ("op", "device", "dtype", "shapes", "max abs err", "max rel err", "1st", "2nd",
            "ms")
    rows = [(r.op, r.device, r.dtype, r.shapes, _fmt_err(r.max_abs_err),
             _fmt_err(r.max_rel_err), r.first, r.second, f"{r.seconds * 1e3:.0f}")
            for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line, file=out)
    print("-" * len(line), file=out)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)), file=out)


def _devices(spec: str) -> tuple[list, list]:
    """(devices to run, messages about devices skipped)."""
    wanted = ["cpu", "cuda"] if spec == "all" else [spec]
    run, skipped = [], []
    for d in wanted:
        if d.startswith("cuda") and not ag.cuda_is_available():
            skipped.append(f"{d}: skipped, no CUDA device here (CuPy missing or no GPU)")
            continue
        run.append(d)
    return run, skipped


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gradcheck",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="all", help="cpu, cuda, cuda:N or all (default)")
    p.add_argument("--dtype", default="all", choices=["float64", "float32", "all"])
    p.add_argument("--ops", default=None, help="comma-separated name globs, e.g. 'mul,sum/*'")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    import nn  # noqa: F401  (importing nn hands its registry entries over)
    from autograd.testing import all_ops

    ops = select(all_ops(), args.ops)
    if not ops:
        print(f"gradcheck: no registered op matches --ops {args.ops!r}", file=sys.stderr)
        return 2
    devices, skipped = _devices(args.device)
    for msg in skipped:
        print(msg)
    if not devices:
        print(f"gradcheck: device {args.device!r} is not available; nothing was checked",
              file=sys.stderr)
        return 2
    dtypes = ["float64", "float32"] if args.dtype == "all" else [args.dtype]

    start = time.perf_counter()
    results = [check_op(info, d, t, args.seed) for d in devices for t in dtypes for info in ops]
    total = time.perf_counter() - start
    print_table(results)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"\nFAIL {r.op} [{r.device}, {r.dtype}] shapes {r.shapes}")
        for e in r.errors:
            print("  " + e)
    n_second = sum(r.second != "n/a" for r in results)
    print(f"\ngradcheck: {len(ops)} ops x {len(devices)} device(s) x {len(dtypes)} dtype(s) = "
          f"{len(results)} checks ({n_second} with 2nd order): {len(results) - len(failed)} "
          f"passed, {len(failed)} failed in {total:.2f} s"
          + (f"; {'; '.join(skipped)}" if skipped else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": [{**asdict(r), "ok": r.ok} for r in results],
                       "skipped": skipped, "n_ops": len(ops), "failed": len(failed),
                       "seconds": total}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
