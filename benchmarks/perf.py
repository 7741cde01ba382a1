"""Performance benchmarks: this engine's time on each workload, and its ratio against
references run in the same process.

    python -m benchmarks.perf [--suite NAME[,NAME]] [--json PATH] [--quick]

Suites (``--suite`` takes a comma-separated subset; default all):

* ``overhead``: ``c = a * b + a; c.sum().backward()`` on 1-element tensors, us/iter.
* ``chain``: 100,000 elementwise ops (50,000 x ``x = x * 1.0001 + 0.0001``) on a
  10-element tensor, graph built and backpropagated, s.
* ``mlp``: MLP 784-512-512-10, batch 128, cross-entropy, one Adam step, ms.
* ``tiny_mlp``: MLP 64-32-10, batch 32, one Adam step, ms.
* ``cnn``: ``benchmarks.cnn_step.run(quick=...)`` when that module exists.
* ``seq``: ``benchmarks.seq_step.run(quick=...)`` when that module exists.
* ``value``: the scalar engine ``ag.Value``: MLP(2, [16, 16, 1]) on 100 make_moons
  points, SVM max-margin loss + 1e-4 L2, one full-batch SGD step, against the
  ``micrograd`` package running the same model code (goal: >= 5x faster).
* ``scaling``: backward time per node for chains of 10^3 .. 10^6 nodes (Tensor and
  Value engines; must stay flat), and resident memory over 2,000 small training steps
  sampled every 200 with the cyclic GC disabled (must stay flat: the graph is freed by
  reference counting alone).

References: hand-written NumPy (forward, backward and Adam by hand), PyTorch on the
CPU when importable, micrograd when importable; a missing one is reported as skipped.
Every number is a median over repeats after a warm-up. The table at the end gives each
reference's time divided by ours: above 1 means this engine is faster.

The cyclic GC stays on (as in a user's program) except where a row says otherwise;
``gc.collect()`` runs before each timed engine so one engine's garbage is not charged
to the next. ``--quick`` shrinks every size for a smoke test (seconds, not minutes).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

import autograd as ag

REFERENCES = ("numpy", "torch", "micrograd")


@dataclass
class Row:
    """One workload: our median time and each reference's (None when skipped)."""

    suite: str
    workload: str
    unit: str  # "us", "ms" or "s": the unit of the numbers below
    ours: float | None
    refs: dict = field(default_factory=dict)  # name -> time in `unit`, or None
    notes: dict = field(default_factory=dict)  # name -> why skipped / failed, or extra info

    def ratio(self, ref: str) -> float | None:
        t = self.refs.get(ref)
        if t is None or not self.ours:
            return None
        return t / self.ours


_SCALE = {"us": 1e6, "ms": 1e3, "s": 1.0}


def _median_time(fn, repeat: int, number: int = 1, warmup: int = 1) -> float:
    """Median over ``repeat`` blocks of the seconds per call of ``fn`` (``number`` calls
    per block), after ``warmup`` calls."""
    return _time_all({"fn": fn}, repeat, number, warmup)["fn"]


def _time_all(fns: dict, repeat: int, number: int = 1, warmup: int = 1,
              collect: bool = False) -> dict:
    """Seconds per call of each ``fns[name]``: the median (or, with ``--stat min``, the
    minimum) over ``repeat`` blocks of ``number`` calls. The blocks of the different
    functions are interleaved, so load from other processes hits all of them alike;
    ``collect`` runs ``gc.collect()`` before every block."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    gc.collect()
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if collect:
                gc.collect()
            start = CLOCK()
            for _ in range(number):
                fn()
            times[name].append((CLOCK() - start) / number)
    pick = min if STAT == "min" else statistics.median
    return {name: pick(ts) for name, ts in times.items()}


STAT = "median"  # set by --stat
CLOCK = time.perf_counter  # set by --clock
THREADS = 1  # set by --threads


def _try_import(name: str):
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # ImportError, or a broken install
        return None, f"skipped: {name} not importable ({type(exc).__name__})"


def _torch():
    return _try_import("torch")


def _micrograd():
    mod, why = _try_import("micrograd.engine")
    if mod is None:
        return None, None, why
    nn_mod, why = _try_import("micrograd.nn")
    return mod, nn_mod, why


def _row(suite, workload, unit, ours_s, refs_s, notes=None) -> Row:
    k = _SCALE[unit]
    return Row(suite, workload, unit, None if ours_s is None else ours_s * k,
               {n: (None if t is None else t * k) for n, t in refs_s.items()}, notes or {})


# --- op overhead ----------------------------------------------------------------------


def suite_overhead(quick: bool) -> list[Row]:
    number, repeat = (200, 3) if quick else (2000, 7)
    a = ag.tensor([1.5], requires_grad=True)
    b = ag.tensor([-0.5], requires_grad=True)

    def ours():
        c = a * b + a
        c.sum().backward()

    refs, notes = {}, {}
    an, bn = np.array([1.5], np.float32), np.array([-0.5], np.float32)
    ga, gb = np.zeros(1, np.float32), np.zeros(1, np.float32)

    def numpy_ref():  # the same forward and its backward written by hand
        c = an * bn + an
        c.sum()
        g = np.ones_like(c)
        ga.__iadd__(g * bn + g)
        gb.__iadd__(g * an)

    fns = {"ours": ours, "numpy": numpy_ref}
    torch, why = _torch()
    if torch is not None:
        at = torch.tensor([1.5], requires_grad=True)
        bt = torch.tensor([-0.5], requires_grad=True)

        def torch_ref():
            c = at * bt + at
            c.sum().backward()

        fns["torch"] = torch_ref
    else:
        refs["torch"], notes["torch"] = None, why
    mg, _, why = _micrograd()
    if mg is not None:
        am, bm = mg.Value(1.5), mg.Value(-0.5)

        def micrograd_ref():  # scalars: no sum needed
            c = am * bm + am
            c.backward()

        fns["micrograd"] = micrograd_ref
    else:
        refs["micrograd"], notes["micrograd"] = None, why
    times = _time_all(fns, repeat, number)
    t = times.pop("ours")
    refs.update(times)
    return [_row("overhead", "c=a*b+a; c.sum().backward() (1-elem)", "us", t, refs, notes)]


# --- deep chain -----------------------------------------------------------------------


def suite_chain(quick: bool) -> list[Row]:
    n_ops = 2_000 if quick else 100_000
    iters = n_ops // 2
    repeat = 1 if quick else 3
    x0 = np.linspace(0.5, 1.5, 10).astype(np.float32)

    def ours():
        x = ag.tensor(x0, requires_grad=True)
        y = x
        for _ in range(iters):
            y = y * 1.0001 + 0.0001
        y.sum().backward()
        return x.grad

    refs, notes = {}, {}

    def numpy_ref():  # forward keeps what backward needs (nothing but the count here)
        y = x0.copy()
        for _ in range(iters):
            y = y * np.float32(1.0001) + np.float32(0.0001)
        g = np.ones_like(y)
        for _ in range(iters):
            g = g * np.float32(1.0001)
        return g

    fns = {"ours": ours, "numpy": numpy_ref}
    torch, why = _torch()
    if torch is not None:
        def torch_ref():
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for _ in range(iters):
                y = y * 1.0001 + 0.0001
            y.sum().backward()
            return x.grad

        fns["torch"] = torch_ref
    else:
        refs["torch"], notes["torch"] = None, why
    mg, _, why = _micrograd()
    if mg is not None:
        def micrograd_ref():
            xs = [mg.Value(float(v)) for v in x0]
            ys = xs
            for _ in range(iters):
                ys = [y * 1.0001 + 0.0001 for y in ys]
            total = ys[0]
            for y in ys[1:]:
                total = total + y
            total.backward()

        try:
            refs["micrograd"] = _median_time(micrograd_ref, 1, warmup=0)
        except RecursionError:
            refs["micrograd"] = None
            notes["micrograd"] = "failed: RecursionError (recursive topological sort)"
    else:
        refs["micrograd"], notes["micrograd"] = None, why
    times = _time_all(fns, repeat, warmup=0)  # one run is long enough to be steady
    t = times.pop("ours")
    refs.update(times)
    grad = ours().numpy()
    # the float32 program multiplies by fl32(1.0001) = 1.00010001659..., so its closed
    # form is that number to the power iters (148.499), not 1.0001**iters (148.376)
    expected = float(np.float32(1.0001)) ** iters
    notes["ours"] = (f"dx0 = {grad[0]:.6g} (closed form fl32(1.0001)^{iters} = "
                     f"{expected:.6g}; exact 1.0001^{iters} = {1.0001 ** iters:.6g})")
    return [_row("chain", f"{n_ops:,} elementwise ops, 10-elem, fwd+bwd", "s", t, refs, notes)]


# --- MLPs -----------------------------------------------------------------------------


class NumpyMLP:
    """ReLU MLP with softmax cross-entropy and Adam, forward and backward by hand."""

    def __init__(self, sizes, rng, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / np.sqrt(fan_in)
            self.params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
            self.params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0

    def step(self, x, y) -> float:
        n_layers = len(self.params) // 2
        acts = [x]
        h = x
        for i in range(n_layers):
            z = h @ self.params[2 * i] + self.params[2 * i + 1]
            h = np.maximum(z, 0) if i < n_layers - 1 else z
            acts.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        p = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(-np.log(p[rows, y]).mean())
        g = p
        g[rows, y] -= 1
        g /= len(y)
        grads = [None] * len(self.params)
        for i in reversed(range(n_layers)):
            grads[2 * i] = acts[i].T @ g
            grads[2 * i + 1] = g.sum(axis=0)
            if i:
                g = (g @ self.params[2 * i].T) * (acts[i] > 0)
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p_, g_, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g_
            v *= b2
            v += (1 - b2) * g_ * g_
            p_ -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
        return loss


def _mlp_rows(name, sizes, batch, repeat, number) -> list[Row]:
    import nn
    import nn.functional as F
    import optim

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y_np = rng.integers(0, sizes[-1], batch)

    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = ag.tensor(x_np), ag.tensor(y_np)

    def ours():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    refs, notes = {}, {}
    ref = NumpyMLP(sizes, np.random.default_rng(0))
    fns = {"ours": ours, "numpy": lambda: ref.step(x_np, y_np)}
    torch, why = _torch()
    if torch is not None:
        tl = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            tl.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                tl.append(torch.nn.ReLU())
        tmodel = torch.nn.Sequential(*tl)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        xt, yt = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def torch_ref():
            loss = torch.nn.functional.cross_entropy(tmodel(xt), yt)
            topt.zero_grad()
            loss.backward()
            topt.step()

        fns["torch"] = torch_ref
    else:
        refs["torch"], notes["torch"] = None, why
    refs["micrograd"], notes["micrograd"] = None, "n/a: scalar engine"
    times = _time_all(fns, repeat, number)
    t = times.pop("ours")
    refs.update(times)
    label = "-".join(map(str, sizes)) + f" batch {batch} Adam step"
    return [_row(name, label, "ms", t, refs, notes)]


def suite_mlp(quick: bool) -> list[Row]:
    if quick:
        return _mlp_rows("mlp", [784, 64, 64, 10], 16, 2, 2)
    return _mlp_rows("mlp", [784, 512, 512, 10], 128, 7, 3)


def suite_tiny_mlp(quick: bool) -> list[Row]:
    return _mlp_rows("tiny_mlp", [64, 32, 10], 32, 3 if quick else 7, 10 if quick else 100)


# --- delegated suites (written with the layers they exercise) ---------------------------


def _import_optional(module: str):
    try:
        return importlib.import_module(module), None
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None, f"skipped: {module} does not exist"


def _skipped_row(suite: str, workload: str, why: str) -> Row:
    return Row(suite, workload, "ms", None, {r: None for r in REFERENCES}, {"ours": why})


def suite_cnn(quick: bool) -> list[Row]:
    """``benchmarks.cnn_step.run`` (its own workload and timing, ms per step)."""
    mod, why = _import_optional("benchmarks.cnn_step")
    if mod is None:
        return [_skipped_row("cnn", "CNN train step", why)]
    # pinned like every suite: a training step may raise torch's thread count otherwise
    r = mod.run(repeats=3 if quick else 20, warmup=1, threads=THREADS)
    notes = {"numpy": "n/a", "micrograd": "n/a"}
    if r.get("torch_threads") is not None:
        notes["torch threads"] = str(r["torch_threads"])
    if r.get("torch_cpu_ms") is None:
        notes["torch"] = "skipped: torch not importable"
    return [Row("cnn", r.get("workload", "CNN train step"), "ms", r["ours_ms"],
                {"numpy": None, "torch": r.get("torch_cpu_ms"), "micrograd": None}, notes)]


def suite_seq(quick: bool) -> list[Row]:
    """``benchmarks.seq_step.run`` for the LSTM and the Transformer layer (ms per step)."""
    mod, why = _import_optional("benchmarks.seq_step")
    if mod is None:
        return [_skipped_row("seq", "sequence train step", why)]
    rows = []
    for model in ("lstm", "transformer"):
        r = mod.run(model=model, steps=2 if quick else 10, warmup=1, threads=THREADS)
        notes = {"numpy": "n/a", "micrograd": "n/a",
                 "ours fwd/bwd ms": f"{r['ours_forward_ms']:.1f} / {r['ours_backward_ms']:.1f}"}
        if r.get("torch_ms") is None:
            notes["torch"] = "skipped: torch not importable"
        rows.append(Row("seq", f"{r.get('config', model)} train step", "ms", r["ours_ms"],
                        {"numpy": None, "torch": r.get("torch_ms"), "micrograd": None},
                        notes))
    return rows


# --- the scalar engine ------------------------------------------------------------------


class _Neuron:
    def __init__(self, V, nin, nonlin, rng):
        self.w = [V(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = V(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class ValueMLP:
    """micrograd's MLP (same structure, init and call order) for any Value class."""

    def __init__(self, V, nin, nouts, seed=0):
        rng = random.Random(seed)
        sizes = [nin] + list(nouts)
        self.layers = [[_Neuron(V, sizes[i], i != len(nouts) - 1, rng)
                        for _ in range(sizes[i + 1])] for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            out = [n(x) for n in layer]
            x = out[0] if len(out) == 1 else out
        return x

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


def moons_step(model, V, X, y, alpha=1e-4, lr=0.01) -> float:
    """micrograd's demo step: SVM max-margin loss + alpha * L2, backward, SGD."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def _moons(n):
    try:
        from sklearn.datasets import make_moons

        X, y = make_moons(n_samples=n, noise=0.1, random_state=1)
        return X.tolist(), (y * 2 - 1).tolist(), None
    except ImportError:  # the same shape of data without sklearn
        rng = np.random.default_rng(1)
        t = rng.uniform(0, np.pi, n)
        lab = rng.integers(0, 2, n)
        X = np.stack([np.cos(t) + lab, np.sin(t) * (1 - 2 * lab) + 0.5 * lab], 1)
        return X.tolist(), (lab * 2 - 1).tolist(), "sklearn missing: synthetic moons"


def suite_value(quick: bool) -> list[Row]:
    n, hidden = (20, [8, 8, 1]) if quick else (100, [16, 16, 1])
    repeat = 1 if quick else 3
    X, y, data_note = _moons(n)
    refs, notes = {}, {}
    if data_note:
        notes["data"] = data_note
    model = ValueMLP(ag.Value, 2, hidden)
    fns = {"ours": lambda: moons_step(model, ag.Value, X, y)}
    mg, _, why = _micrograd()
    if mg is not None:
        mmodel = ValueMLP(mg.Value, 2, hidden)
        fns["micrograd"] = lambda: moons_step(mmodel, mg.Value, X, y)
        loss_ours = moons_step(ValueMLP(ag.Value, 2, hidden), ag.Value, X, y)
        loss_mg = moons_step(ValueMLP(mg.Value, 2, hidden), mg.Value, X, y)
        notes["check"] = f"same loss as micrograd: {abs(loss_ours - loss_mg) < 1e-9}"
    else:
        refs["micrograd"], notes["micrograd"] = None, why
    times = _time_all(fns, repeat, collect=True)
    ours = times.pop("ours")
    refs.update(times)
    # the same with the cyclic GC off: the interpreter's work alone (micrograd's graphs
    # are cyclic, so its garbage is collected between blocks, untimed)
    gc.disable()
    try:
        times = _time_all(fns, repeat, collect=True)
    finally:
        gc.enable()
        gc.collect()
    ours_nogc = times.pop("ours")
    refs_nogc = dict(times) if mg is not None else {"micrograd": None}
    for r in ("numpy", "torch"):
        refs[r] = refs_nogc[r] = None
        notes[r] = "n/a: the scalar engine is compared with micrograd"
    label = f"ag.Value MLP(2,{hidden}) {n} moons, SVM+L2, 1 step"
    return [_row("value", label, "ms", ours, refs, notes),
            _row("value", label + " [gc off]", "ms", ours_nogc, refs_nogc, dict(notes))]


# --- scaling --------------------------------------------------------------------------


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # a peak, not current
        return kb / (2**20 if sys.platform == "darwin" else 2**10)


def _backward_per_node(n: int, engine: str) -> float:
    """Seconds per node of backward through a chain of ``n`` nodes."""
    if engine == "tensor":
        x = ag.tensor([0.5], requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.000001
    else:
        x = ag.Value(0.5)
        y = x
        for _ in range(n):
            y = y * 1.000001
    gc.collect()
    start = CLOCK()
    (y.sum() if engine == "tensor" else y).backward()
    elapsed = CLOCK() - start
    del y
    return elapsed / n


def suite_scaling(quick: bool) -> list[Row]:
    sizes = (10**3, 10**4) if quick else (10**3, 10**4, 10**5, 10**6)
    rows = []
    for engine in ("tensor", "value"):
        per = {}
        for n in sizes:
            per[n] = min(_backward_per_node(n, engine) for _ in range(2 if n < 10**5 else 1))
        first, last = per[sizes[0]], per[sizes[-1]]
        notes = {f"{n:.0e} nodes": f"{t * 1e6:.3f} us/node" for n, t in per.items()}
        notes["flat"] = f"largest/smallest = {last / first:.2f}"
        name = "ag.Tensor" if engine == "tensor" else "ag.Value"
        rows.append(_row("scaling", f"{name} backward per node, chain {sizes[-1]:.0e}",
                         "us", last, {r: None for r in REFERENCES}, notes))
    rows.append(_memory_row(quick))
    return rows


def _memory_row(quick: bool) -> Row:
    import nn
    import nn.functional as F
    import optim

    steps, every = (200, 50) if quick else (2000, 200)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = ag.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, 32))
    samples = []
    gc.collect()
    gc.disable()  # nothing may depend on the cyclic GC to free a step
    try:
        start = time.perf_counter()
        for step in range(steps + 1):
            if step % every == 0:
                samples.append(round(_rss_mb(), 1))
            if step < steps:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    growth = samples[-1] - samples[1]  # after the first 'every' steps (lazy state)
    notes = {"rss MB": " ".join(map(str, samples)),
             "growth after warm-up": f"{growth:+.1f} MB",
             "steps": f"{steps} in {elapsed:.1f} s, gc off"}
    return Row("scaling", f"RSS growth over {steps} tiny-MLP steps, gc off", "MB", growth,
               {r: None for r in REFERENCES}, notes)


# --- driver ---------------------------------------------------------------------------

SUITES = {
    "overhead": suite_overhead,
    "chain": suite_chain,
    "mlp": suite_mlp,
    "tiny_mlp": suite_tiny_mlp,
    "cnn": suite_cnn,
    "seq": suite_seq,
    "value": suite_value,
    "scaling": suite_scaling,
}


def _fmt(v, unit) -> str:
    if v is None:
        return "-"
    if unit == "MB":
        return f"{v:+.1f}"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def print_ratio_table(rows: list[Row], out=None) -> None:
    out = out or sys.stdout
    head = ["suite", "workload", "unit", "ours"]
    for r in REFERENCES:
        head += [r, f"{r}/ours"]
    table = []
    for row in rows:
        cells = [row.suite, row.workload, row.unit, _fmt(row.ours, row.unit)]
        for r in REFERENCES:
            ratio = row.ratio(r)
            cells += [_fmt(row.refs.get(r), row.unit),
                      "-" if ratio is None else f"{ratio:.2f}x"]
        table.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in table)) if table else len(h)
              for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line, file=out)
    print("-" * len(line), file=out)
    for cells in table:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)), file=out)
    print("ratio = reference time / our time: above 1 means this engine is faster", file=out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default="all",
                   help=f"comma-separated subset of: {', '.join(SUITES)} (default all)")
    p.add_argument("--json", default=None, help="write the rows to this JSON file")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS, numba and torch threads for every library (default 1, so "
                        "the comparison measures the engines, not thread pools; 0 leaves "
                        "each library's default, what users get)")
    p.add_argument("--stat", choices=["median", "min"], default="median",
                   help="statistic over the timed blocks (min is steadier on a loaded machine)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall: time.perf_counter; cpu: time.process_time, which a machine "
                        "shared with other processes inflates far less (use with --threads 1)")
    args = p.parse_args(argv)
    global STAT, THREADS, CLOCK
    STAT, THREADS = args.stat, args.threads
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    names = list(SUITES) if args.suite == "all" else [
        s.strip() for s in args.suite.split(",") if s.strip()]
    unknown = [s for s in names if s not in SUITES]
    if unknown:
        print(f"perf: unknown suite(s) {unknown}; choose from {list(SUITES)}", file=sys.stderr)
        return 2
    torch, _ = _torch()
    if torch is not None:
        torch.manual_seed(0)
    pinned = args.threads > 0  # 0: every library's default thread count (what users get)
    if not pinned:
        THREADS = None
    import numba

    prev = (torch.get_num_threads() if torch is not None else None, numba.get_num_threads())
    limiter = None
    if pinned:
        if torch is not None:
            torch.set_num_threads(args.threads)
        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
        try:
            from threadpoolctl import threadpool_limits

            limiter = threadpool_limits(limits=args.threads)
        except ImportError:
            limiter = None
    try:
        return _run(args, names, torch, limiter)
    finally:  # leave the process as it was (the smoke tests call main in-process)
        if limiter is not None:
            limiter.restore_original_limits()
        if prev[0] is not None:
            torch.set_num_threads(prev[0])
        numba.set_num_threads(prev[1])
        STAT, THREADS, CLOCK = "median", 1, time.perf_counter


def _run(args, names, torch, limiter) -> int:
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {getattr(torch, '__version__', 'missing')}, {os.cpu_count()} CPU(s), "
          f"{args.threads or 'default'} thread(s), {args.stat} of blocks, {args.clock} clock"
          + (", quick" if args.quick else "")
          + ("" if limiter else "; threadpoolctl missing: BLAS threads not limited"))
    from .machine import blas_summary

    print(blas_summary())
    rows: list[Row] = []
    failed = []
    start = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        try:
            new = SUITES[name](args.quick)
        except Exception as exc:  # report and go on with the other suites
            failed.append(name)
            new = [Row(name, "suite failed", "s", None, {},
                       {"error": f"{type(exc).__name__}: {exc}"})]
        rows += new
        for row in new:
            shown = _fmt(row.ours, row.unit)
            print(f"[{name}] {row.workload}: ours {shown} {row.unit}"
                  + "".join(f", {r} {_fmt(row.refs.get(r), row.unit)}"
                            for r in REFERENCES if row.refs.get(r) is not None))
            for k, v in row.notes.items():
                print(f"    {k}: {v}")
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    print_ratio_table(rows)
    print(f"\nperf: {len(names)} suite(s), {len(rows)} row(s) in "
          f"{time.perf_counter() - start:.1f} s" + (f"; FAILED: {failed}" if failed else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"quick": args.quick, "rows": [asdict(r) for r in rows],
                       "failed": failed}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
