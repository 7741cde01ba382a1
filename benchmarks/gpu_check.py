"""GPU check: gradients, CPU/GPU parity, training parity and step times on a CUDA device.

Run from a checkout on a machine with an NVIDIA GPU and CuPy (no install step)::

    PYTHONPATH=. python -m benchmarks.gpu_check            # --json PATH, --device cuda:1
    PYTHONPATH=. python -m benchmarks.gpu_check --device cpu --quick   # CPU smoke run

Sections (each check is PASS, FAIL, ERROR or SKIP; any FAIL/ERROR exits 1):

1. ``gradcheck``: every op of the registry (``autograd.testing.all_ops()``): gradcheck,
   and gradgradcheck where registered, on the device in float64.
2. ``parity``: every registry op and each nn layer in float32, forward and input/param
   gradients on the device against the CPU (relative tolerance ~1e-4).
   ``kernels``: each compiled kernel (im2col, col2im, max-pool, Adam, SGD) against the
   ``xp`` reference beside it, on the same device.
3. ``training``: a few steps of a digits MLP and a small CNN from the same initial
   weights on both devices; the losses must agree to ~1e-4.
4. ``timing``: ms per training step of the MLP 784-512-512-10 (batch 8192, Adam) and of
   benchmarks/cnn_step.py's MNIST-sized CNN (batch 64 and 512, Adam), against PyTorch on
   the same device when it is installed (ratio ours / torch; the device is synchronized
   before each clock read).

With ``--device cpu`` (the default when no GPU is usable) the "device" is the CPU too:
the same logic runs on NumPy at small sizes, a smoke test of the script itself. The
summary table is printed last; a JSON report goes to ``--json`` (default
``$OUT/gpu_check.json`` when ``$OUT`` is set).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field

import numpy as np

import autograd as ag
import backends

PASS, FAIL, ERROR, SKIP = "PASS", "FAIL", "ERROR", "SKIP"


@dataclass
class Check:
    section: str
    name: str
    status: str
    detail: str = ""
    max_rel_err: float | None = None
    seconds: float = 0.0


@dataclass
class Report:
    device: str
    smoke: bool
    checks: list = field(default_factory=list)
    timings: list = field(default_factory=list)
    environment: dict = field(default_factory=dict)

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def failed(self) -> list:
        return [c for c in self.checks if c.status in (FAIL, ERROR)]


class Skip(Exception):
    """A piece this check needs is missing (a layer, torch, data)."""


# --- helpers -------------------------------------------------------------------------


def synchronize(device) -> None:
    """Wait for the device's queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        import cupy

        with cupy.cuda.Device(device.index):
            cupy.cuda.get_current_stream().synchronize()


def _host(x):
    if isinstance(x, ag.Tensor):
        return x.numpy()
    return np.asarray(x)


def _tensors(obj):
    """The Tensors in ``obj`` (a Tensor, or nested tuples/lists/dicts of them)."""
    if isinstance(obj, ag.Tensor):
        return [obj]
    if isinstance(obj, tuple | list):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _move(obj, device):
    """A copy of ``obj`` with every Tensor a new leaf on ``device`` (requires_grad kept)."""
    if isinstance(obj, ag.Tensor):
        t = obj.detach().to(device)
        if t is obj or t.array is obj.array:
            t = ag.tensor(t.array, device=device)
        return t.requires_grad_(True) if obj.requires_grad else t
    if isinstance(obj, tuple):
        return tuple(_move(o, device) for o in obj)
    if isinstance(obj, list):
        return [_move(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _move(v, device) for k, v in obj.items()}
    return obj


def rel_err(a, b, atol: float) -> float:
    """max |a - b| / (atol + |b|) elementwise: <= rtol means "equal to rtol"."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & (a == b)
    with np.errstate(invalid="ignore"):  # inf - inf: handled by same_inf
        err = np.abs(a - b) / (atol + np.abs(b))
    err = np.where(both_nan | same_inf, 0.0, err)
    return float(np.nan_to_num(err, nan=np.inf).max())


def _compare(pairs, rtol: float, atol: float):
    """``pairs``: (label, device value, cpu value); returns (worst error, failing label)."""
    worst, bad = 0.0, None
    for label, got, want in pairs:
        got, want = _host(got), _host(want)
        scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
        e = rel_err(got, want, atol * scale)
        if e > worst:
            worst = e
        if e > rtol and bad is None:
            bad = label
    return worst, bad


def _missing_piece(exc: Exception) -> bool:
    """An Attribute/ImportError that means "this layer/optimizer is not written yet"."""
    msg = str(exc)
    if isinstance(exc, ImportError):
        return msg.startswith("cannot import name") and "from 'nn" in msg
    return msg.startswith(("module 'nn", "module 'optim"))


def _describe(exc: Exception) -> str:
    """The exception and the innermost frame that raised it."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" [{os.path.basename(tb[-1].filename)}:{tb[-1].lineno}]" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _run(report: Report, section: str, name: str, fn) -> Check:
    """Run one check; ``fn`` returns (status, detail, max_rel_err) or raises."""
    t0 = time.perf_counter()
    try:
        status, detail, err = fn()
    except Skip as exc:
        status, detail, err = SKIP, str(exc), None
    except (AttributeError, ImportError) as exc:
        missing = _missing_piece(exc)
        status, err = (SKIP if missing else ERROR), None
        detail = f"not available yet: {exc}" if missing else _describe(exc)
    except Exception as exc:  # a check that crashes is a failure, reported with its cause
        status, detail, err = ERROR, _describe(exc), None
    return report.add(Check(section, name, status, detail[:500], err,
                            round(time.perf_counter() - t0, 4)))


# --- 1. gradcheck on the device ------------------------------------------------------


def check_gradients(report: Report, device, ops, budget_s: float) -> None:
    start = time.perf_counter()
    for info in ops:
        if time.perf_counter() - start > budget_s:
            report.add(Check("gradcheck", info.name, SKIP, f"time budget {budget_s}s spent"))
            continue

        def one(info=info):
            args = info.make_args(np.random.default_rng(0), ag.float64, device)
            for t in _tensors(args):
                if t.device != device:
                    return FAIL, f"make_args put an input on {t.device}, not {device}", None
            ag.gradcheck(info.fn, args, atol=info.atol, rtol=info.rtol)
            if info.second_order:
                args = info.make_args(np.random.default_rng(0), ag.float64, device)
                ag.gradgradcheck(info.fn, args, atol=info.atol, rtol=info.rtol)
                return PASS, "gradcheck + gradgradcheck", None
            return PASS, "gradcheck", None

        _run(report, "gradcheck", info.name, one)


# --- 2. parity of ops and layers ------------------------------------------------------


def _output_pairs(outs_dev, outs_cpu):
    if len(outs_dev) != len(outs_cpu):
        raise AssertionError(f"{len(outs_dev)} outputs on the device, {len(outs_cpu)} on cpu")
    return [(f"output {i}", d, c) for i, (d, c) in enumerate(zip(outs_dev, outs_cpu, strict=True))]


def _backward_pairs(outs_dev, outs_cpu, leaves_dev, leaves_cpu, seed: int):
    """Backpropagate the same random cotangents on both devices; return grad pairs."""
    rng = np.random.default_rng(seed)
    diff = [(d, c) for d, c in zip(outs_dev, outs_cpu, strict=True) if c.requires_grad]
    if not diff:
        return []
    cots = [rng.standard_normal(c.shape).astype(c.dtype) for _, c in diff]
    for idx in (0, 1):
        roots = [p[idx] for p in diff]
        dev = roots[0].device
        grads = [ag.tensor(v, device=dev) for v in cots]
        total = None
        for r, g in zip(roots, grads, strict=True):
            term = (r * g).sum()
            total = term if total is None else total + term
        total.backward()
    pairs = []
    for i, (d, c) in enumerate(zip(leaves_dev, leaves_cpu, strict=True)):
        if c.grad is None and d.grad is None:
            continue
        if (c.grad is None) != (d.grad is None):
            raise AssertionError(f"input {i}: gradient is None on one device only")
        pairs.append((f"grad of input {i}", d.grad, c.grad))
    return pairs


def check_op_parity(report: Report, device, ops, rtol: float, atol: float) -> None:
    cpu = backends.get_device("cpu")
    for info in ops:

        def one(info=info):
            if "random" in info.tags:
                raise Skip("random op: the two devices draw different numbers")
            args_cpu = info.make_args(np.random.default_rng(1), ag.float32, cpu)
            args_dev = info.make_args(np.random.default_rng(1), ag.float32, device)
            leaves_cpu, leaves_dev = _tensors(args_cpu), _tensors(args_dev)
            same = len(leaves_cpu) == len(leaves_dev) and all(
                c.shape == d.shape and np.array_equal(c.numpy(), d.numpy())
                for c, d in zip(leaves_cpu, leaves_dev, strict=True))
            if not same:  # make_args drew on a device generator: copy the CPU inputs
                args_dev = _move(args_cpu, device)
                leaves_dev = _tensors(args_dev)
            outs_dev = _tensors(info.fn(*args_dev))
            outs_cpu = _tensors(info.fn(*args_cpu))
            for o in outs_dev:
                if o.device != device:
                    return FAIL, f"output on {o.device}, expected {device}", None
            pairs = _output_pairs(outs_dev, outs_cpu)
            pairs += _backward_pairs(outs_dev, outs_cpu, leaves_dev, leaves_cpu, 2)
            worst, bad = _compare(pairs, rtol, atol)
            if bad:
                return FAIL, f"{bad} differs: rel err {worst:.3g} > {rtol}", worst
            return PASS, f"{len(pairs)} arrays", worst

        _run(report, "parity", "op:" + info.name, one)


def _layer_specs():
    """(name, make layer, make inputs) for each nn layer; missing ones become SKIP."""
    import nn

    def x(*shape):
        return lambda rng: (rng.standard_normal(shape).astype(np.float32),)

    def tokens(rng):
        return (rng.integers(0, 10, size=(3, 5)),)

    def ce_inputs(rng):
        return (rng.standard_normal((6, 5)).astype(np.float32), rng.integers(0, 5, size=6))

    def mse_inputs(rng):
        return (rng.standard_normal((4, 3)).astype(np.float32),
                rng.standard_normal((4, 3)).astype(np.float32))

    return [
        ("Linear", lambda: nn.Linear(6, 4), x(3, 6)),
        ("Conv1d", lambda: nn.Conv1d(3, 4, 3, padding=1), x(2, 3, 8)),
        ("Conv2d", lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), x(2, 3, 7, 7)),
        ("MaxPool2d", lambda: nn.MaxPool2d(2), x(2, 3, 6, 6)),
        ("AvgPool2d", lambda: nn.AvgPool2d(2), x(2, 3, 6, 6)),
        ("BatchNorm1d", lambda: nn.BatchNorm1d(5), x(8, 5)),
        ("BatchNorm2d", lambda: nn.BatchNorm2d(3), x(4, 3, 5, 5)),
        ("LayerNorm", lambda: nn.LayerNorm(6), x(3, 4, 6)),
        ("Dropout(eval)", lambda: nn.Dropout(0.5).eval(), x(4, 6)),
        ("Embedding", lambda: nn.Embedding(10, 4), tokens),
        ("Flatten", lambda: nn.Flatten(), x(2, 3, 4)),
        ("ReLU", lambda: nn.ReLU(), x(4, 6)),
        ("LeakyReLU", lambda: nn.LeakyReLU(0.1), x(4, 6)),
        ("ELU", lambda: nn.ELU(), x(4, 6)),
        ("GELU", lambda: nn.GELU(), x(4, 6)),
        ("GELU(tanh)", lambda: nn.GELU(approximate="tanh"), x(4, 6)),
        ("SiLU", lambda: nn.SiLU(), x(4, 6)),
        ("Sigmoid", lambda: nn.Sigmoid(), x(4, 6)),
        ("Tanh", lambda: nn.Tanh(), x(4, 6)),
        ("Softplus", lambda: nn.Softplus(), x(4, 6)),
        ("Softmax", lambda: nn.Softmax(dim=-1), x(4, 6)),
        ("RNN", lambda: nn.RNN(4, 5, batch_first=True), x(2, 3, 4)),
        ("LSTM", lambda: nn.LSTM(4, 5, batch_first=True), x(2, 3, 4)),
        ("GRU", lambda: nn.GRU(4, 5, batch_first=True), x(2, 3, 4)),
        ("MultiheadAttention", lambda: _SelfAttention(nn.MultiheadAttention(8, 2,
                                                                             batch_first=True)),
         x(2, 3, 8)),
        ("TransformerEncoderLayer",
         lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                            batch_first=True), x(2, 3, 8)),
        ("CrossEntropyLoss", lambda: nn.CrossEntropyLoss(label_smoothing=0.1), ce_inputs),
        ("MSELoss", lambda: nn.MSELoss(), mse_inputs),
    ]


class _SelfAttention:
    """Calls ``mha(x, x, x)``; forwards ``parameters``/``to`` to the wrapped module."""

    def __init__(self, mha):
        self.mha = mha

    def __call__(self, x):
        return self.mha(x, x, x)

    def named_parameters(self):
        return self.mha.named_parameters()

    def to(self, device):
        self.mha.to(device)
        return self


def _make_layer(make, seed: int):
    try:
        ag.manual_seed(seed)
        return make()
    except NotImplementedError as exc:
        raise Skip(f"not available: NotImplementedError: {exc}") from None


def check_layer_parity(report: Report, device, rtol: float, atol: float) -> None:
    try:
        specs = _layer_specs()
    except ImportError as exc:
        report.add(Check("parity", "layers", SKIP, f"nn does not import: {exc}"))
        return
    for name, make, make_inputs in specs:

        def one(make=make, make_inputs=make_inputs):
            layer_cpu = _make_layer(make, 0)
            layer_dev = copy.deepcopy(layer_cpu).to(device)
            raw = make_inputs(np.random.default_rng(3))
            ins_cpu = [ag.tensor(a, requires_grad=a.dtype.kind == "f") for a in raw]
            ins_dev = [ag.tensor(a, device=device, requires_grad=a.dtype.kind == "f")
                       for a in raw]
            params_cpu = dict(layer_cpu.named_parameters())
            params_dev = dict(layer_dev.named_parameters())
            for n, p in params_dev.items():
                if p.device != device:
                    return FAIL, f"parameter {n} is on {p.device} after .to({device})", None
            outs_dev = _tensors(layer_dev(*ins_dev))
            outs_cpu = _tensors(layer_cpu(*ins_cpu))
            pairs = _output_pairs(outs_dev, outs_cpu)
            names = list(params_cpu)
            leaves_cpu = ins_cpu + [params_cpu[n] for n in names]
            leaves_dev = ins_dev + [params_dev[n] for n in names]
            grads = _backward_pairs(outs_dev, outs_cpu, leaves_dev, leaves_cpu, 4)
            k = len(ins_cpu)
            for label, d, c in grads:
                i = int(label.rsplit(" ", 1)[1])
                pairs.append((f"grad of {names[i - k]}" if i >= k else label, d, c))
            worst, bad = _compare(pairs, rtol, atol)
            if bad:
                return FAIL, f"{bad} differs: rel err {worst:.3g} > {rtol}", worst
            return PASS, f"{len(pairs)} arrays", worst

        _run(report, "parity", "layer:" + name, one)


# --- 2b. the backend's own kernels against the base class's xp references ------------


def _kernel_cases(b, rng, dtype):
    """(name, run the dispatched kernel, run its xp reference) on backend ``b``;
    each run returns the arrays to compare (fresh inputs per call, same values); the
    optimizers' kernels live beside them, dispatched by backend."""
    from nn.functional import _conv_kernels as ck
    from nn.functional import _pool_kernels as pk
    from optim.adam import adam_reference, adam_update
    from optim.sgd import sgd_momentum_reference, sgd_momentum_update

    def arr(shape):
        return rng.standard_normal(shape).astype(dtype)

    def dev(*hosts):
        return [b.asarray(h.copy()) for h in hosts]

    x = arr((2, 3, 9, 8))
    x[0, 1, 2, 2] = x[0, 1, 2, 3]  # a tie in a pooling window
    x[1, 2, 4, 4] = np.nan  # NaN propagates through max-pool
    cases = []
    for conf in (((3, 3), (1, 1), (1, 1), (1, 1)), ((2, 3), (2, 1), (1, 0), (2, 1))):
        tag = "k{}s{}p{}d{}".format(*(f"{a}{b_}" for a, b_ in conf))
        cols_shape = ck.im2col_reference(b.xp, *dev(x), *conf).shape
        g_cols = arr(cols_shape)
        cases += [
            (f"im2col/{tag}", lambda c=conf: [ck.im2col(b, *dev(x), *c)],
             lambda c=conf: [ck.im2col_reference(b.xp, *dev(x), *c)]),
            (f"col2im/{tag}", lambda c=conf, g=g_cols: [ck.col2im(b, *dev(g), x.shape, *c)],
             lambda c=conf, g=g_cols: [ck.col2im_reference(b.xp, *dev(g), x.shape, *c)]),
            (f"max_pool2d/{tag}", lambda c=conf: list(pk.max_pool2d(b, *dev(x), *c)),
             lambda c=conf: list(pk.max_pool2d_reference(b.xp, *dev(x), *c))),
        ]
        out, idx = pk.max_pool2d_reference(b.xp, *dev(x), *conf)
        g_pool = arr(out.shape)
        cases.append((f"max_pool2d_backward/{tag}",
                      lambda c=conf, g=g_pool, i=idx: [
                          pk.max_pool2d_backward(b, *dev(g), i, x.shape, *c)],
                      lambda c=conf, g=g_pool, i=idx: [
                          pk.max_pool2d_backward_reference(b.xp, *dev(g), i, x.shape, *c)]))
    state = [arr((5, 7)), arr((5, 7)), 0.1 * arr((5, 7)), np.abs(0.1 * arr((5, 7))),
             np.abs(0.12 * arr((5, 7)))]
    for amsgrad, decoupled, maximize, wd in ((False, False, False, 0.0),
                                             (True, True, True, 0.01),
                                             (False, False, False, 0.1)):
        def adam(fn, a=amsgrad, d=decoupled, m=maximize, w=wd):
            p, g, m1, m2, vmax = dev(*state)
            for step in (1, 2, 3):
                fn(p, g, m1, m2, 1e-2, 0.9, 0.999, 1e-8, w, float(step), d, m,
                   vmax if a else None)
            return [p, m1, m2] + ([vmax] if a else [])

        tag = f"amsgrad={amsgrad},decoupled={decoupled},maximize={maximize},wd={wd}"
        cases.append((f"adam_update/{tag}", lambda f=adam: f(lambda *a: adam_update(b, *a)),
                      lambda f=adam: f(lambda *a: adam_reference(b.xp, *a))))
    for nesterov, dampening, wd in ((False, 0.0, 0.0), (True, 0.0, 0.1), (False, 0.3, 0.0)):
        def sgd(fn, n=nesterov, d=dampening, w=wd):
            p, g, buf = dev(*state[:3])
            for step in range(3):
                fn(p, g, buf, 0.1, 0.9, d, w, n, False, step == 0)
            return [p, buf]

        cases.append((f"sgd_momentum_update/nesterov={nesterov},dampening={dampening},"
                      f"wd={wd}", lambda f=sgd: f(lambda *a: sgd_momentum_update(b, *a)),
                      lambda f=sgd: f(lambda *a: sgd_momentum_reference(b.xp, *a))))
    return cases


def check_kernels(report: Report, device) -> None:
    """Each compiled kernel, against the ``xp`` reference beside it on the same device
    (on the CPU: the numba forms; on a GPU: the CUDA forms), in
    float32 (summation order may differ: rtol and atol 1e-4 of the largest value) and
    float64 (1e-10)."""
    b = device.backend
    cases = []
    for dtype, rtol, atol in ((np.float32, 1e-4, 1e-4), (np.float64, 1e-10, 1e-12)):
        try:
            made = _kernel_cases(b, np.random.default_rng(5), dtype)
        except Exception as exc:
            report.add(Check("kernels", f"setup/{np.dtype(dtype)}", ERROR, _describe(exc)))
            continue
        cases += [(f"{name}/{np.dtype(dtype)}", o, r, rtol, atol) for name, o, r in made]
    for name, ours, ref, rtol, atol in cases:

        def one(ours=ours, ref=ref, rtol=rtol, atol=atol):
            pairs = [(f"array {i}", o, r) for i, (o, r) in
                     enumerate(zip(ours(), ref(), strict=True))]
            pairs = [(label, b.to_host(o), b.to_host(r)) for label, o, r in pairs]
            worst, bad = _compare(pairs, rtol, atol)
            if bad:
                return FAIL, f"{bad} differs from the reference: rel err {worst:.3g}", worst
            return PASS, f"{len(pairs)} arrays", worst

        _run(report, "kernels", name, one)


# --- 3. training parity --------------------------------------------------------------


def load_digits():
    """(X float32 (n, 64) in [0, 1], y int64 (n,)): sklearn's digits, else a synthetic
    10-class problem of the same shape (so the check needs no download)."""
    try:
        from sklearn.datasets import load_digits as _load

        d = _load()
        return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64), "sklearn digits"
    except Exception:
        rng = np.random.default_rng(0)
        X = rng.random((1797, 64)).astype(np.float32)
        y = (X @ rng.standard_normal((64, 10))).argmax(1).astype(np.int64)
        return X, y, "synthetic digits-shaped data (sklearn missing)"


def _example(module: str):
    """``examples/<module>.py`` imported, or None (the examples are optional here)."""
    import importlib

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "examples")
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(module)
    except Exception:
        return None


def _mlp_digits():
    """The digits example's MLP (64-128-64-10), else the same architecture here."""
    import nn

    ex = _example("train_digits")
    if ex is not None and hasattr(ex, "make_model"):
        return ex.make_model([128, 64])
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def _cnn_digits():
    """The digits CNN example's model without dropout (masks differ across devices)."""
    import nn

    ex = _example("train_digits_cnn")
    if ex is not None and hasattr(ex, "make_model"):
        return ex.make_model(width=8, dropout=0.0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10),
    )


def _train_losses(model, device, X, y, steps: int, batch: int, opt_name: str):
    import nn.functional as F
    import optim

    opt = (optim.Adam(model.parameters(), lr=3e-3) if opt_name == "adam" else
           optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    losses = []
    # one fixed batch: its loss must fall step after step, whatever the data
    xb = ag.tensor(X[:batch], device=device)
    yb = ag.tensor(y[:batch], device=device)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def check_training(report: Report, device, steps: int, rtol: float) -> None:
    X, y, source = load_digits()
    cases = [
        ("digits MLP (Adam)", _mlp_digits, X, "adam"),
        ("digits MLP (SGD momentum)", _mlp_digits, X, "sgd"),
        ("digits CNN (Adam)", _cnn_digits, X.reshape(-1, 1, 8, 8), "adam"),
    ]
    for name, make, data, opt_name in cases:

        def one(make=make, data=data, opt_name=opt_name):
            model_cpu = _make_layer(make, 0)
            model_dev = copy.deepcopy(model_cpu).to(device)
            try:
                import nn.functional  # noqa: F401
                import optim  # noqa: F401
            except ImportError as exc:
                raise Skip(f"needs optim and nn.functional: {exc}") from None
            l_dev = _train_losses(model_dev, device, data, y, steps, 128, opt_name)
            l_cpu = _train_losses(model_cpu, backends.get_device("cpu"), data, y, steps, 128,
                                  opt_name)
            worst = rel_err(l_dev, l_cpu, 1e-6)
            detail = (f"{steps} steps on {source}; loss {l_cpu[0]:.4f} -> {l_cpu[-1]:.4f} "
                      f"(cpu) vs {l_dev[-1]:.4f} (device)")
            # each step sees a different batch: judge the trend, and only over enough steps
            tail = l_cpu[-max(1, len(l_cpu) // 3):]
            if len(l_cpu) >= 5 and not sum(tail) / len(tail) < l_cpu[0]:
                return FAIL, "loss did not decrease: " + detail, worst
            return (PASS if worst <= rtol else FAIL), detail, worst

        _run(report, "training", name, one)


# --- ag.compile on the device: CUDA graphs (issue 13) ------------------------------------


def _compiled_losses(device, steps: int, compiled: bool):
    """Losses of ``steps`` Adam steps of a digits-sized MLP with dropout on ``device``,
    compiled or not, the same seeds; and the compiled function."""
    import nn
    import nn.functional as F
    import optim

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(128, 10)).to(device)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((128, 64)).astype(np.float32), device=device)
    y = ag.tensor(rng.integers(0, 10, 128), device=device)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    f = ag.compile(step) if compiled else step
    ag.manual_seed(1)
    losses = [float(f(x, y).item()) for _ in range(steps)]
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        f(x, y)
    synchronize(device)
    return losses, (time.perf_counter() - t0) / steps, f


def check_compile(report: Report, device, steps: int, rtol: float) -> None:
    """Compiled steps against uncompiled ones on the device; on CuPy the pieces between
    the replayable steps are captured as CUDA graphs (``autograd/compile_cuda.py``):
    the detail says how many were captured and launched, and why any fell back."""

    def one():
        plain, t_plain, _ = _compiled_losses(device, steps, False)
        comp, t_comp, f = _compiled_losses(device, steps, True)
        worst = rel_err(comp, plain, 1e-7)
        program = next(iter(f.programs.values()))
        runner = program.graphs
        if runner is None:
            graphs = "no CUDA graphs (CPU, or CuPy without stream capture)"
        else:
            segs = [sg for sg in runner.segments if not sg.eager]
            falls = sorted({sg.fallback for sg in segs if sg.fallback})
            graphs = (f"{len(segs)} kernel runs: {sum(sg.captures for sg in segs)} captured, "
                      f"{sum(sg.launches for sg in segs)} graph launches"
                      + (f"; fallback: {'; '.join(falls)}" if falls else ""))
        detail = (f"{steps} steps, loss {plain[0]:.4f} -> {plain[-1]:.4f}; step "
                  f"{t_plain * 1e3:.3g} ms uncompiled, {t_comp * 1e3:.3g} ms compiled; "
                  + graphs)
        return (PASS if worst <= rtol else FAIL), detail, worst

    _run(report, "compile", "MLP Adam step, ag.compile", one)


# --- 4. step times -------------------------------------------------------------------


def _ours_mlp(sizes):
    import nn

    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _cnn(nn):
    """benchmarks/cnn_step.py's model; ``nn`` is this library's nn or ``torch.nn``."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
    )


def _torch_model(kind, sizes, torch):
    tnn = torch.nn
    if kind == "mlp":
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [tnn.Linear(a, b), tnn.ReLU()]
        return tnn.Sequential(*layers[:-1])
    return _cnn(tnn)


def _time_steps(step, sync, warmup: int, iters: int) -> float:
    for _ in range(warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    sync()
    return (time.perf_counter() - t0) / iters * 1000.0


def time_ours(kind, device, batch, sizes, warmup, iters) -> float:
    import nn.functional as F
    import optim

    ag.manual_seed(0)
    if kind == "mlp":
        model = _ours_mlp(sizes).to(device)
    else:
        import nn

        model = _cnn(nn).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    shape = (batch, sizes[0]) if kind == "mlp" else (batch, 1, 28, 28)
    x = ag.tensor(rng.standard_normal(shape).astype(np.float32), device=device)
    y = ag.tensor(rng.integers(0, 10, size=batch), device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return _time_steps(step, lambda: synchronize(device), warmup, iters)


def time_torch(kind, device, batch, sizes, warmup, iters) -> float:
    try:
        import torch
    except ImportError:
        raise Skip("PyTorch is not installed") from None
    tdev = "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
    if tdev != "cpu" and not torch.cuda.is_available():
        raise Skip("PyTorch has no CUDA here")
    torch.manual_seed(0)
    model = _torch_model(kind, sizes, torch).to(tdev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    shape = (batch, sizes[0]) if kind == "mlp" else (batch, 1, 28, 28)
    x = torch.randn(*shape, device=tdev)
    y = torch.randint(0, 10, (batch,), device=tdev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    sync = torch.cuda.synchronize if tdev != "cpu" else (lambda: None)
    return _time_steps(step, sync, warmup, iters)


def check_timing(report: Report, device, smoke: bool) -> None:
    sizes = [784, 512, 512, 10]
    cases = [("MLP 784-512-512-10 Adam", "mlp", 256 if smoke else 8192),
             ("CNN (cnn_step model) Adam", "cnn", 16 if smoke else 64),
             ("CNN (cnn_step model) Adam", "cnn", 32 if smoke else 512)]
    warmup, iters = (1, 2) if smoke else (3, 20)
    for name, kind, batch in cases:
        row = {"name": name, "batch": batch, "ours_ms": None, "torch_ms": None, "ratio": None}
        report.timings.append(row)

        def ours(kind=kind, batch=batch, row=row):
            row["ours_ms"] = round(time_ours(kind, device, batch, sizes, warmup, iters), 3)
            return PASS, f"{row['ours_ms']} ms/step (batch {batch})", None

        _run(report, "timing", f"{name}, batch {batch} [ours]", ours)

        def theirs(kind=kind, batch=batch, row=row):
            row["torch_ms"] = round(time_torch(kind, device, batch, sizes, warmup, iters), 3)
            if row["ours_ms"]:
                row["ratio"] = round(row["ours_ms"] / row["torch_ms"], 3)
            return PASS, f"{row['torch_ms']} ms/step; ours/torch = {row['ratio']}", None

        _run(report, "timing", f"{name}, batch {batch} [torch]", theirs)


# --- driver --------------------------------------------------------------------------


def _environment(device) -> dict:
    env = {"python": sys.version.split()[0], "numpy": np.__version__}
    if device.type == "cuda":
        import cupy

        env["cupy"] = cupy.__version__
        props = cupy.cuda.runtime.getDeviceProperties(device.index)
        env["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        env["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    try:
        import torch

        env["torch"] = torch.__version__
    except ImportError:
        env["torch"] = None
    return env


def print_table(report: Report, out=None) -> None:
    """Failures in full, then per-section counts and the timing table."""
    out = out if out is not None else sys.stdout
    for c in report.failed():
        print(f"{c.status:5} {c.section}/{c.name}: {c.detail}", file=out)
    sections = []
    for c in report.checks:
        if c.section not in sections:
            sections.append(c.section)
    print(f"\n== gpu_check on {report.device}{' (CPU smoke mode)' if report.smoke else ''} ==",
          file=out)
    print(f"{'section':<10} {'pass':>5} {'fail':>5} {'error':>5} {'skip':>5} {'worst rel err':>14}",
          file=out)
    for s in sections:
        cs = [c for c in report.checks if c.section == s]
        errs = [c.max_rel_err for c in cs if c.max_rel_err is not None]
        counts = [sum(c.status == k for c in cs) for k in (PASS, FAIL, ERROR, SKIP)]
        worst = f"{max(errs):.2e}" if errs else "-"
        print(f"{s:<10} {counts[0]:>5} {counts[1]:>5} {counts[2]:>5} {counts[3]:>5} {worst:>14}",
              file=out)
    if report.timings:
        print(f"\n{'step time':<32} {'batch':>6} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10}",
              file=out)
        for r in report.timings:
            def f(v):
                return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

            print(f"{r['name']:<32} {r['batch']:>6} {f(r['ours_ms']):>9} {f(r['torch_ms']):>9} "
                  f"{f(r['ratio']):>10}", file=out)
    n_bad = len(report.failed())
    print(f"\n{'FAILED' if n_bad else 'OK'}: {len(report.checks)} checks, {n_bad} failed",
          file=out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="auto",
                   help="cuda, cuda:N, cpu (smoke mode), or auto (cuda when usable)")
    p.add_argument("--json", default=None, help="write the report here")
    p.add_argument("--quick", action="store_true", help="fewer steps, smaller timings")
    p.add_argument("--only", default=None, help="only registry ops whose name contains this")
    p.add_argument("--limit", type=int, default=None, help="at most this many registry ops")
    p.add_argument("--sections", default="gradcheck,parity,kernels,training,compile,timing")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 5)")
    p.add_argument("--gradcheck-budget", type=float, default=240.0,
                   help="seconds for section 1 before the remaining ops are skipped")
    p.add_argument("--rtol", type=float, default=1e-4)
    args = p.parse_args(argv)

    spec = args.device
    if spec == "auto":
        spec = "cuda" if backends.cuda_is_available() else "cpu"
        if spec == "cpu":
            print("gpu_check: no usable GPU (CuPy missing or no device): CPU smoke mode")
    device = backends.get_device(spec)
    smoke = device.type == "cpu"
    report = Report(str(device), smoke, environment=_environment(device))
    sections = set(args.sections.split(","))

    import nn  # noqa: F401  (importing nn hands its registry entries over)
    from autograd.testing import all_ops

    ops = [o for o in all_ops() if args.only is None or args.only in o.name]
    if args.limit is not None:
        ops = ops[: args.limit]
    t0 = time.perf_counter()
    if "gradcheck" in sections:
        check_gradients(report, device, ops, args.gradcheck_budget)
    if "parity" in sections:
        check_op_parity(report, device, ops, args.rtol, 1e-5)
        if args.only is None:
            check_layer_parity(report, device, args.rtol, 1e-5)
    if "kernels" in sections:
        check_kernels(report, device)
    if "training" in sections:
        check_training(report, device, args.steps or (3 if args.quick else 12), args.rtol)
    if "compile" in sections:
        check_compile(report, device, args.steps or (6 if args.quick else 20), args.rtol)
    if "timing" in sections:
        check_timing(report, device, smoke or args.quick)
    report.environment["seconds"] = round(time.perf_counter() - t0, 2)

    path = args.json
    if path is None and os.environ.get("OUT"):
        path = os.path.join(os.environ["OUT"], "gpu_check.json")
    if path:
        with open(path, "w") as f:
            json.dump({**asdict(report), "failed": len(report.failed())}, f, indent=1)
    print_table(report)
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
