"""Recognise spoken digits, "zero" ... "nine", from a corpus synthesized with eSpeak NG.

No speech corpus installs offline, but eSpeak NG does: the ``espeakng-loader`` wheel
ships ``libespeak-ng`` and its voice data (the ``speech`` extra). This example makes a
corpus from it (many voice variants and accents, speaking rates, pitches and pitch
ranges, random time shifts, gains, white/pink/brown noise at several SNRs), splits it by
speaker (the voices of the test set never appear in training), turns each waveform
into a log-mel spectrogram with the engine's own ops (frames, Hann window,
``autograd.fft.rfft``, a mel filterbank, log: differentiable, on either device), and
trains a small CNN on it (``--model gru``: a GRU over the frames) with SpecAugment-style
time and frequency masks.

    python -m pip install -e ".[speech,examples]"
    python examples/speech_digits.py                  # CNN: 0.956 on held-out voices
    python examples/speech_digits.py --model gru --epochs 8   # GRU over frames: 0.937
    python examples/speech_digits.py --words digits+commands   # + yes/no/stop/go
    python examples/speech_digits.py --resume runs/speech/checkpoint.safetensors --epochs 30

The corpus is cached under ``runs/speech-corpus/`` by a hash of everything that makes
it, so a second run does not synthesize it again. Flags and checkpoints are those of the
other examples (``--device --epochs --out --resume``); ``--out`` gets the checkpoint,
``training.png`` (loss and accuracy curves) and ``confusion.png``.

The default run (4,150 training and 1,050 test utterances, 12 epochs) costs about 90 s
of CPU. On a machine shared with other jobs, ``OMP_NUM_THREADS=1`` helps a lot: the model's
matrix products are small, and BLAS threads waiting for a busy core burnt 0.6 s of CPU
per training step where one thread needs 0.08 s (measured with ``time.process_time``).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

import autograd as ag
import nn
import optim
from autograd.extend import replayable

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COMMANDS = ("yes", "no", "stop", "go")
ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029")
SAMPLE_RATE = 11025  # eSpeak's 22050 Hz, halved: speech below 5.5 kHz is plenty here
CLIP = SAMPLE_RATE  # one second per utterance
FRAMES = 1 + (CLIP - 512) // 256  # log-mel frames of a clip (LogMel's defaults): 42
SNR_DB = (5.0, 10.0, 20.0, 40.0)


# --- eSpeak NG through ctypes ------------------------------------------------------------


def _loader():
    """The ``espeakng_loader`` module, or exit in one line saying how to install it."""
    try:
        import espeakng_loader
    except ImportError:
        raise SystemExit('speech_digits needs eSpeak NG: pip install -e ".[speech]" '
                         "(the espeakng-loader wheel)") from None
    return espeakng_loader


class Espeak:
    """Synthesis into NumPy arrays with ``libespeak-ng`` (synchronous mode, no audio
    device).

    The library keeps state from one utterance to the next that neither
    ``espeak_Initialize`` nor ``espeak_ng_SetRandSeed`` resets (measured: "zero" said five
    times in a row comes out 10931, 10936, 10932, 10940, 10935 samples long), so each
    instance loads a private copy of it: an instance's output depends only on its own
    calls, which makes a corpus a function of its seed."""

    _RATE, _PITCH, _RANGE = 1, 3, 4  # espeak_PARAMETER values
    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                 ctypes.c_void_p)

    def __init__(self):
        espeakng_loader = _loader()
        with tempfile.TemporaryDirectory() as tmp:  # dlopen of a new path: fresh statics
            private = os.path.join(tmp, "libespeak-ng.so")
            shutil.copyfile(espeakng_loader.get_library_path(), private)
            self.lib = ctypes.CDLL(private)  # mapped: the file may go once loaded
        self.data_path = espeakng_loader.get_data_path()
        rate = self.lib.espeak_Initialize(2, 0, self.data_path.encode(), 0)  # SYNCHRONOUS
        if rate != 22050:
            raise RuntimeError(f"espeak_Initialize returned {rate}, expected 22050 Hz")
        self._chunks: list[np.ndarray] = []

        def collect(wav, n, events):
            if n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        self._callback = self._CALLBACK(collect)  # kept alive as long as self
        self.lib.espeak_SetSynthCallback(self._callback)

    @staticmethod
    def variants() -> list[str]:
        """The voice variants eSpeak ships (``m3``, ``f2``, ``klatt``, ``Annie`` ...)."""
        return sorted(os.listdir(os.path.join(_loader().get_data_path(), "voices", "!v")))

    def say(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int):
        """``text`` spoken by ``voice`` ("en-us+m3"): float32 samples at 22050 Hz."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        for param, value in ((self._RATE, rate), (self._PITCH, pitch),
                             (self._RANGE, pitch_range)):
            self.lib.espeak_SetParameter(param, int(value), 0)
        self._chunks = []
        raw = text.encode()
        self.lib.espeak_Synth(raw, len(raw) + 1, 0, 1, 0, 0, None, None)
        self.lib.espeak_Synchronize()
        wav = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return wav.astype(np.float32) / 32768.0


# --- the corpus ------------------------------------------------------------------------


def split_voices(variants: list[str], test_fraction: float, seed: int):
    """Train and test voices ``accent+variant``: a variant is in one split only, with
    every accent, so no test speaker (variant) is ever heard in training."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(variants))
    n_test = max(1, round(test_fraction * len(variants)))
    test = {variants[i] for i in order[:n_test]}
    voices = {"train": [], "test": []}
    for v in variants:
        for accent in ACCENTS:
            voices["test" if v in test else "train"].append(f"{accent}+{v}")
    return voices


def colored_noise(rng, n: int, color: str) -> np.ndarray:
    """Unit-power noise: white (flat), pink (1/f power) or brown (1/f^2)."""
    white = rng.standard_normal(n)
    if color == "white":
        return white
    spectrum = np.fft.rfft(white)
    f = np.arange(spectrum.size, dtype=np.float64)
    f[0] = 1.0
    spectrum /= f ** (0.5 if color == "pink" else 1.0)
    noise = np.fft.irfft(spectrum, n)
    return noise / noise.std()


def augment(rng, wav22k: np.ndarray) -> np.ndarray:
    """Halve the rate, place the word at a random shift in a one-second clip, apply a
    random gain and add noise of a random colour at a random SNR."""
    wav = wav22k[: 2 * (wav22k.size // 2)].reshape(-1, 2).mean(1)  # 22050 -> 11025 Hz
    wav = wav[:CLIP]
    clip = np.zeros(CLIP, np.float64)
    shift = rng.integers(0, CLIP - wav.size + 1)
    clip[shift:shift + wav.size] = wav
    power = np.mean(wav ** 2) if wav.size else 1e-8
    snr = rng.choice(SNR_DB)
    noise = colored_noise(rng, CLIP, rng.choice(["white", "pink", "brown"]))
    clip += noise * np.sqrt(power / 10.0 ** (snr / 10.0))
    return (clip * 10.0 ** (rng.uniform(-12, 6) / 20.0)).astype(np.float32)


def make_corpus(words, voices, per_voice: int, seed: int, progress: bool = True):
    """Every word by every voice ``per_voice`` times with random rate, pitch and range.

    Returns ``(waves (N, CLIP) float32, labels (N,) int64, speakers (N,) int64)``; the
    same arguments give the same arrays (one seeded generator, a fixed order)."""
    engine = Espeak()
    rng = np.random.default_rng(seed)
    jobs = [(w, v) for v in range(len(voices)) for w in range(len(words))
            for _ in range(per_voice)]
    waves = np.empty((len(jobs), CLIP), np.float32)
    labels = np.empty(len(jobs), np.int64)
    speakers = np.empty(len(jobs), np.int64)
    bar = _bar(len(jobs), "synthesizing", progress)
    for i, (w, v) in enumerate(jobs):
        wav = engine.say(words[w], voices[v], rate=rng.integers(130, 231),
                         pitch=rng.integers(15, 86), pitch_range=rng.integers(10, 91))
        waves[i], labels[i], speakers[i] = augment(rng, wav), w, v
        bar.update(1)
    bar.close()
    return waves, labels, speakers


def _bar(total: int, desc: str, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        class Quiet:
            def update(self, n):
                pass

            def close(self):
                pass

        return Quiet()
    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False)


def cached_corpus(words, args) -> dict:
    """The train and test corpora, synthesized once and kept under ``args.cache`` in a
    file named by the hash of everything that makes them (NumPy ``.npz``, no pickle)."""
    variants = Espeak.variants()
    if args.voices:
        variants = variants[: args.voices]
    recipe = {"words": list(words), "variants": variants, "accents": ACCENTS,
              "per_voice": args.per_voice, "seed": args.seed, "rate": SAMPLE_RATE,
              "snr": SNR_DB, "test_fraction": args.test_fraction, "version": 2}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    path = os.path.join(args.cache, f"corpus-{key}.npz")
    if os.path.exists(path):
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    t0 = time.perf_counter()
    voices = split_voices(variants, args.test_fraction, args.seed)
    out = {}
    for part, seed in (("train", args.seed), ("test", args.seed + 1)):
        w, y, s = make_corpus(words, voices[part], args.per_voice, seed,
                              progress=not args.no_progress)
        out[f"x_{part}"], out[f"y_{part}"], out[f"speaker_{part}"] = w, y, s
    os.makedirs(args.cache, exist_ok=True)
    tmp = path + ".tmp.npz"
    np.savez(tmp, **out)
    os.replace(tmp, path)
    print(f"corpus: {len(out['y_train'])} train / {len(out['y_test'])} test utterances, "
          f"{len(voices['train'])} / {len(voices['test'])} voices, synthesized in "
          f"{time.perf_counter() - t0:.1f} s -> {path}")
    return out


# --- the front end, in the engine's ops ---------------------------------------------------


def hann_window(n: int) -> np.ndarray:
    """The periodic Hann window (``torch.hann_window``'s default)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int) -> np.ndarray:
    """(n_fft // 2 + 1, n_mels) triangular filters equally spaced on the HTK mel scale."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(0.0), mel(sample_rate / 2.0), n_mels + 2))  # (n_mels + 2,)
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)  # (F,)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]  # (n_mels, 1)
    rise = (freqs[None, :] - lo) / (mid - lo)
    fall = (hi - freqs[None, :]) / (hi - mid)
    return np.maximum(0.0, np.minimum(rise, fall)).T  # (F, n_mels)


class LogMel(nn.Module):
    """Waveforms (N, samples) -> log-mel spectrograms (N, n_mels, frames).

    Frames of ``n_fft`` samples every ``hop`` (a strided view), a Hann window, the power
    of ``autograd.fft.rfft``, a mel filterbank as a matrix product, ``log(. + eps)``:
    every step an engine op, so it runs on the tensor's device and is differentiable."""

    def __init__(self, n_fft: int = 512, hop: int = 256, n_mels: int = 32,
                 sample_rate: int = SAMPLE_RATE, eps: float = 1e-6, dtype=ag.float32):
        super().__init__()
        self.n_fft, self.hop, self.eps = n_fft, hop, eps
        # built in float64 and rounded once to ``dtype`` (float64: exact to the reference)
        self.register_buffer("window", ag.tensor(hann_window(n_fft), dtype=dtype))
        self.register_buffer("mel", ag.tensor(mel_filterbank(n_mels, n_fft, sample_rate),
                                              dtype=dtype))

    def forward(self, wave):
        frames = wave.unfold(-1, self.n_fft, self.hop)  # (N, T, n_fft)
        spec = ag.fft.rfft(frames * self.window.to(wave.dtype))  # (N, T, F) complex
        power = spec.real ** 2 + spec.imag ** 2  # (N, T, F)
        mel = power @ self.mel.to(wave.dtype)  # (N, T, n_mels)
        return (mel + self.eps).log().transpose(1, 2)  # (N, n_mels, T)


def log_mel_reference(wave: np.ndarray, n_fft=512, hop=256, n_mels=32,
                      sample_rate=SAMPLE_RATE, eps=1e-6) -> np.ndarray:
    """The same formulas in plain NumPy (the tests compare the two)."""
    n = 1 + (wave.shape[-1] - n_fft) // hop
    idx = np.arange(n)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = wave[..., idx] * hann_window(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
    return np.swapaxes(np.log(power @ mel_filterbank(n_mels, n_fft, sample_rate) + eps),
                       -1, -2)


class SpecAugment(nn.Module):
    """In training, zero one random band of up to ``freq`` mels and one random span of
    up to ``time`` frames per example (SpecAugment's masks); the identity in eval."""

    def __init__(self, freq: int = 4, time: int = 4):
        super().__init__()
        self.freq, self.time = freq, time

    def forward(self, x):  # (N, n_mels, T)
        if not self.training:
            return x
        return x * _spec_masks(tuple(x.shape), self.freq, self.time, x.dtype, x.device)


@replayable  # ag.compile (--compile): drawn again on every replayed step
def _spec_masks(shape, freq: int, time: int, dtype, device):
    """SpecAugment's keep-mask (N, n_mels, T): one band and one span zeroed per example,
    from a NumPy generator seeded by the library's generator (one draw)."""
    n, m, t = shape
    rng = np.random.default_rng(int(ag.randint(0, 2**31 - 1, ()).item()))
    keep = np.ones((n, m, t), np.float32)
    for i in range(n):
        f0, fw = rng.integers(0, m), rng.integers(0, freq + 1)
        t0, tw = rng.integers(0, t), rng.integers(0, time + 1)
        keep[i, f0:f0 + fw, :] = 0.0
        keep[i, :, t0:t0 + tw] = 0.0
    return ag.tensor(keep, dtype=dtype, device=device)


# --- models ----------------------------------------------------------------------------


class UtteranceNorm(nn.Module):
    """Each utterance's log-mel image to zero mean and unit variance.

    Gain and noise move a whole utterance's log-mel values up and down (measured on the
    corpus: the spread of the utterances' means, 3.2, exceeds the spread within one,
    2.7); normalizing each utterance removes that nuisance before the model sees it."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x):  # (N, n_mels, T)
        mean = x.mean(dim=(1, 2), keepdim=True)
        std = x.std(dim=(1, 2), keepdim=True)
        return (x - mean) / (std + self.eps)


class CNN(nn.Module):
    """(N, n_mels, T) log-mel features -> (N, classes) logits.

    Three conv/BatchNorm/ReLU/max-pool blocks, then a linear layer over the flattened
    (channels, mels, frames) map: a word is an order of sounds in time, which a global
    average pool throws away (measured on 30 voice variants, 6 epochs: 0.22 held-out
    accuracy with a global pool and global standardisation; 0.90 flattened, with
    ``UtteranceNorm``)."""

    def __init__(self, classes: int, width: int = 16, n_mels: int = 32, frames: int = 0):
        super().__init__()
        frames = frames or FRAMES
        self.norm, self.augment = UtteranceNorm(), SpecAugment()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                    nn.MaxPool2d(2)]

        self.body = nn.Sequential(
            *block(1, width), *block(width, 2 * width), *block(2 * width, 2 * width),
            nn.Flatten(),  # (N, 2w * n_mels/8 * T/8)
            nn.Dropout(0.2), nn.Linear(2 * width * (n_mels // 8) * (frames // 8), classes),
        )

    def forward(self, feats):
        x = self.augment(self.norm(feats))  # (N, n_mels, T)
        return self.body(x.unsqueeze(1))  # (N, 1, n_mels, T) -> (N, classes)


class GRUNet(nn.Module):
    """A GRU over the frames; the last hidden state -> (N, classes) logits."""

    def __init__(self, classes: int, n_mels: int = 32, hidden: int = 96):
        super().__init__()
        self.norm, self.augment = UtteranceNorm(), SpecAugment()
        self.gru = nn.GRU(n_mels, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(hidden, classes))

    def forward(self, feats):
        x = self.augment(self.norm(feats)).transpose(1, 2)  # (N, T, n_mels)
        _, h = self.gru(x)  # h: (1, N, hidden)
        return self.head(h[0])


# --- training --------------------------------------------------------------------------


def features(front: LogMel, waves: np.ndarray, device, batch: int = 512):
    """Log-mel features of every waveform, computed by the engine in batches."""
    out = []
    with ag.no_grad():
        for i in range(0, len(waves), batch):
            out.append(front(ag.tensor(waves[i:i + batch], device=device)))
    return ag.cat(out) if out else ag.zeros(0, device=device)


def confusion(model, x, y, classes: int) -> np.ndarray:
    model.eval()
    with ag.no_grad():
        pred = np.concatenate([model(x[i:i + 512]).argmax(dim=1).numpy()
                               for i in range(0, len(x), 512)])
    m = np.zeros((classes, classes), np.int64)
    np.add.at(m, (y.numpy(), pred), 1)
    return m


def plot_confusion(m: np.ndarray, words, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(m, cmap="Blues")
    ax.set(xticks=range(len(words)), yticks=range(len(words)), xlabel="predicted",
           ylabel="spoken", title="held-out voices")
    ax.set_xticklabels(words, rotation=60)
    ax.set_yticklabels(words)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                color="white" if v > m.max() / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["cnn", "gru"], default="cnn")
    p.add_argument("--words", choices=["digits", "digits+commands"], default="digits")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--per-voice", type=int, default=1,
                   help="utterances of each word by each voice")
    p.add_argument("--voices", type=int, default=0,
                   help="use only the first N voice variants (0: all; a quick run)")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="fraction of the voice variants held out for testing")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", default=os.path.join("runs", "speech"))
    p.add_argument("--cache", default=os.path.join("runs", "speech-corpus"))
    p.add_argument("--resume", default=None, help="checkpoint to continue from")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNGs")
    p.add_argument("--compile", action="store_true",
                   help="train with ag.compile: each batch shape is recorded once and "
                        "replayed (the same results, bit for bit on the CPU)")
    args = p.parse_args(argv)
    try:
        device = ag.device(args.device)
    except (ValueError, ag.DeviceUnavailableError) as exc:
        p.error(f"--device {args.device}: {exc}")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _resume import check_positive, load_resume  # the examples' polite failures
    from train_digits import fit  # the examples' one training loop and checkpointing

    check_positive(epochs=args.epochs, batch_size=args.batch_size)
    words = DIGITS + (COMMANDS if args.words == "digits+commands" else ())
    ag.manual_seed(args.seed)
    model = (CNN if args.model == "cnn" else GRUNet)(len(words)).to(device)
    if args.resume:  # checked before any synthesis: another model or a bad file, one line
        load_resume(args.resume, device, ("model", "optimizer", "epoch"), model)
    corpus = cached_corpus(words, args)
    os.makedirs(args.out, exist_ok=True)
    front = LogMel().to(device)
    x_tr = features(front, corpus["x_train"], device)  # (N, 32, 42)
    x_te = features(front, corpus["x_test"], device)
    y_tr = ag.tensor(corpus["y_train"], device=device)
    y_te = ag.tensor(corpus["y_test"], device=device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    acc = fit(model, opt, (x_tr, y_tr, x_te, y_te), args, device, sched=sched,
              label_smoothing=0.05)
    if not args.no_plot:
        path = os.path.join(args.out, "confusion.png")
        plot_confusion(confusion(model, x_te, y_te, len(words)), words, path)
    print(f"held-out voices: test accuracy {acc:.4f} on {len(y_te)} utterances of "
          f"{len(set(corpus['speaker_test'].tolist()))} voices never heard in training")
    return acc


if __name__ == "__main__":
    main()
