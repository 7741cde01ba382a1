"""Character-level language model on the Python documentation that ships with Python.

    python examples/char_lm.py                        # small transformer, ~1-2 min on 2 cores
    python examples/char_lm.py --model lstm           # an LSTM instead
    python examples/char_lm.py --steps 1000 --out runs/lm
    python examples/char_lm.py --resume runs/char_lm/checkpoint.safetensors --steps 800
    python examples/char_lm.py --device cuda          # same code on the GPU

The text is ``pydoc_data.topics`` (the help() pages, about 1M characters), split 90/10
into training and validation. Every ``--eval-every`` steps the validation loss (nats
per character, on fixed held-out windows) is printed next to the unigram baseline, the
cross-entropy of predicting each character by its training frequency alone; a model
that learns anything about context ends clearly below it. A checkpoint (model,
optimizer, step, seed, RNG state, history) is written to ``--out`` at each evaluation,
the loss curves to ``--out/loss.png`` at the end, and a sample of generated text is
printed. The batch of step ``s`` depends only on (seed, s), so a resumed run sees the
same data as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from _resume import check_positive, load_resume  # run as a script, its folder is on sys.path

import autograd as ag
import backends
import nn
import nn.functional as F
import optim

# --- data ----------------------------------------------------------------------------------


def load_text() -> str:
    from pydoc_data.topics import topics

    return "".join(topics[k] for k in sorted(topics))


class CharData:
    """The text as int64 codes, a 90/10 train/validation split and batch sampling."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        lut = np.zeros(int(codes.max()) + 1, dtype=np.int64)
        lut[[ord(c) for c in self.chars]] = np.arange(len(self.chars))
        data = lut[codes]
        n = int(0.9 * len(data))
        self.train, self.val = data[:n], data[n:]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        return [self.stoi.get(c, 0) for c in s]

    def decode(self, codes) -> str:
        return "".join(self.chars[int(i)] for i in codes)

    def batch(self, split: str, rng: np.random.Generator, batch_size: int, block: int):
        """(inputs, targets), each (batch_size, block) int64: targets are inputs shifted
        one character to the left."""
        src = self.train if split == "train" else self.val
        starts = rng.integers(0, len(src) - block - 1, size=batch_size)
        idx = starts[:, None] + np.arange(block + 1)
        windows = src[idx]
        return windows[:, :-1], windows[:, 1:]

    def unigram_entropy(self) -> float:
        """Cross-entropy (nats/char) on the validation text of the training-set character
        frequencies: the loss of a model that ignores context."""
        counts = np.bincount(self.train, minlength=self.vocab_size).astype(np.float64) + 1.0
        p = counts / counts.sum()
        return float(-np.log(p[self.val]).mean())


# --- models ----------------------------------------------------------------------------------


class TransformerLM(nn.Module):
    """Token and position embeddings, a causal pre-norm TransformerEncoder, a linear head.
    (B, T) int64 -> logits (B, T, vocab)."""

    def __init__(self, vocab: int, block: int, d_model: int = 64, nhead: int = 4,
                 num_layers: int = 2, dim_feedforward: int = 256, dropout: float = 0.0):
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           activation="relu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx, state=None):
        T = idx.shape[1]
        dev = idx.device
        x = self.tok(idx) + self.pos(ag.arange(T, device=dev))
        xp = dev.backend.xp
        causal = ag.tensor(xp.triu(xp.ones((T, T), dtype=bool), 1), device=dev)  # True = hidden
        x = self.encoder(x, mask=causal, is_causal=True)
        return self.head(self.norm(x)), None


class LSTMLM(nn.Module):
    """Embedding, a multi-layer LSTM (batch first), a linear head. Carries its state
    ``(h, c)`` so generation can feed one character at a time."""

    def __init__(self, vocab: int, block: int, embed: int = 64, hidden: int = 192,
                 num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.block = block
        self.tok = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.tok(idx), state)
        return self.head(out), state


def make_model(kind: str, vocab: int, block: int) -> nn.Module:
    if kind == "transformer":
        return TransformerLM(vocab, block)
    if kind == "lstm":
        return LSTMLM(vocab, block)
    raise ValueError(f"unknown model {kind!r}: expected 'transformer' or 'lstm'")


# --- training ------------------------------------------------------------------------------


def lm_loss(model, x, y):
    logits, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def evaluate(model, data: CharData, device, batch_size: int, block: int, batches: int = 8,
             seed: int = 1234) -> float:
    """Mean loss on fixed validation windows (the same ones at every call)."""
    rng = np.random.default_rng(seed)
    model.eval()
    total = 0.0
    with ag.no_grad():
        for _ in range(batches):
            xb, yb = data.batch("val", rng, batch_size, block)
            total += lm_loss(model, ag.tensor(xb, device=device),
                             ag.tensor(yb, device=device)).item()
    model.train()
    return total / batches


def sample(model, data: CharData, device, prompt: str, length: int, temperature: float,
           seed: int) -> str:
    """Generate ``length`` characters after ``prompt``."""
    rng = np.random.default_rng(seed)
    model.eval()
    codes = data.encode(prompt) or [0]
    out = list(codes)
    state = None
    with ag.no_grad():
        if isinstance(model, LSTMLM):  # feed the prompt once, then one char at a time
            logits, state = model(ag.tensor([codes], device=device))
            for _ in range(length):
                nxt = _pick(logits[0, -1].numpy(), temperature, rng)
                out.append(nxt)
                logits, state = model(ag.tensor([[nxt]], device=device), state)
        else:
            for _ in range(length):
                ctx = out[-model.block:]
                logits, _ = model(ag.tensor([ctx], device=device))
                out.append(_pick(logits[0, -1].numpy(), temperature, rng))
    model.train()
    return data.decode(out)


def _pick(logits: np.ndarray, temperature: float, rng) -> int:
    z = logits.astype(np.float64) / max(temperature, 1e-6)
    p = np.exp(z - z.max())
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


def plot(history: dict, baseline: float, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    steps = np.arange(1, len(history["train"]) + 1)
    ax.plot(steps, history["train"], lw=0.6, alpha=0.5, label="train (per step)")
    if len(history["train"]) >= 20:
        k = 20
        smooth = np.convolve(history["train"], np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], smooth, lw=1.5, label="train (20-step mean)")
    if history["val_step"]:
        ax.plot(history["val_step"], history["val"], marker="o", label="validation")
    ax.axhline(baseline, color="gray", ls="--", label=f"unigram baseline {baseline:.2f}")
    ax.set(xlabel="step", ylabel="cross-entropy (nats/char)", title="char-level LM")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["transformer", "lstm"], default="transformer")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--block", type=int, default=64, help="characters per training window")
    p.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate (default 3e-3 transformer, 5e-3 lstm)")
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", default=os.path.join("runs", "char_lm"))
    p.add_argument("--resume", default=None, help="checkpoint to continue from")
    p.add_argument("--sample-chars", type=int, default=300)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    p.add_argument("--compile", action="store_true",
                   help="train with ag.compile: the step is recorded once and replayed "
                        "(the same results, bit for bit on the CPU)")
    args = p.parse_args(argv)
    check_positive(steps=args.steps, batch_size=args.batch_size, block=args.block)
    lr = args.lr if args.lr is not None else (3e-3 if args.model == "transformer" else 5e-3)

    device = ag.device(args.device)
    os.makedirs(args.out, exist_ok=True)
    ag.manual_seed(args.seed)
    data = CharData(load_text())
    baseline = data.unigram_entropy()
    model = make_model(args.model, data.vocab_size, args.block).to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    history = {"train": [], "val": [], "val_step": []}
    start = 0
    if args.resume:
        ck = load_resume(args.resume, device, ("model", "optimizer", "step", "seed",
                                               "model_kind", "history", "rng_state"))
        if ck.get("seed") != args.seed or ck.get("model_kind") != args.model:
            p.error(f"--resume: the checkpoint was made with --model {ck.get('model_kind')} "
                    f"--seed {ck.get('seed')}, not --model {args.model} --seed {args.seed}")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start = int(ck["step"])
        history = {k: list(v) for k, v in ck["history"].items()}
        backends.get_device("cpu").backend.generator.bit_generator.state = ck["rng_state"]
        print(f"resumed from {args.resume} at step {start}")
    n_params = sum(int(q.numel()) for q in model.parameters())
    print(f"{args.model}: {n_params} parameters, vocab {data.vocab_size}, "
          f"{len(data.train)} training characters; unigram baseline {baseline:.3f} nats/char")

    ckpt_path = os.path.join(args.out, "checkpoint.safetensors")

    def save(step):
        ag.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                 "seed": args.seed, "model_kind": args.model, "history": history,
                 "rng_state": backends.get_device("cpu").backend.generator.bit_generator.state,
                 "args": vars(args)}, ckpt_path)

    steps = range(start, args.steps)
    bar = None
    if not args.no_progress:
        try:
            from tqdm import tqdm

            bar = tqdm(steps, desc=args.model, dynamic_ncols=True)
            steps = bar
        except ImportError:
            pass
    t0 = time.perf_counter()
    model.train()
    val = history["val"][-1] if history["val"] else float("nan")
    params = list(model.parameters())

    def train_step(xb, yb):
        loss = lm_loss(model, xb, yb)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    if args.compile:  # model.train()/eval() (evaluate) is in the signature
        train_step = ag.compile(train_step)
    for step in steps:
        rng = np.random.default_rng([args.seed, step])  # the batch depends on (seed, step)
        xb, yb = data.batch("train", rng, args.batch_size, args.block)
        loss = train_step(ag.tensor(xb, device=device), ag.tensor(yb, device=device))
        history["train"].append(loss.item())
        if bar is not None and step % 10 == 0:
            bar.set_postfix(loss=f"{history['train'][-1]:.3f}", val=f"{val:.3f}")
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            val = evaluate(model, data, device, args.batch_size, args.block)
            history["val"].append(val)
            history["val_step"].append(step + 1)
            save(step + 1)
            msg = (f"step {step + 1:5d}  train {np.mean(history['train'][-args.eval_every:]):.3f}"
                   f"  val {val:.3f}  (unigram baseline {baseline:.3f})")
            (bar.write if bar is not None else print)(msg)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0
    if not history["val"]:  # nothing to train (resumed at the end): evaluate anyway
        history["val"].append(evaluate(model, data, device, args.batch_size, args.block))
        history["val_step"].append(start)
    val = history["val"][-1]
    if not args.no_plot and history["train"]:
        plot(history, baseline, os.path.join(args.out, "loss.png"))
    print(f"validation loss {val:.3f} nats/char vs unigram baseline {baseline:.3f} "
          f"({val / baseline:.0%} of it; {math.exp(val):.1f} vs {math.exp(baseline):.1f} "
          f"perplexity) after {len(history['train'])} steps, {elapsed:.1f} s")
    text = ""
    if args.sample_chars > 0:
        text = sample(model, data, device, "The ", args.sample_chars, args.temperature,
                      args.seed)
        print("--- sample ---")
        print(text)
        print("--------------")
    return {"val_loss": val, "baseline": baseline, "history": history, "sample": text,
            "seconds": elapsed}


if __name__ == "__main__":
    main()
