"""examples/speech_digits.py on a tiny corpus (3 words, a few voices): shapes, the
speaker split, seeded determinism, the log-mel front end against its NumPy reference
and by gradcheck, SpecAugment, a short training run, and the command line."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
import optim

pytest.importorskip("espeakng_loader", reason="the speech extra (espeakng-loader) is not "
                    'installed: pip install -e ".[speech]"')

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
WORDS = ("zero", "one", "two")


@pytest.fixture(scope="module")
def sd():
    spec = importlib.util.spec_from_file_location(
        "speech_digits", os.path.join(EXAMPLES, "speech_digits.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tiny(sd):
    """3 words by 6 training and 2 test voice variants, each in every accent."""
    variants = sd.Espeak().variants()[:8]
    voices = sd.split_voices(variants, 0.25, seed=0)
    train = sd.make_corpus(WORDS, voices["train"], 2, seed=0, progress=False)
    test = sd.make_corpus(WORDS, voices["test"], 2, seed=1, progress=False)
    return voices, train, test


def test_shapes_and_speaker_split(sd, tiny):
    voices, (x, y, s), (xt, yt, st) = tiny
    n_train = 6 * len(sd.ACCENTS) * len(WORDS) * 2
    assert x.shape == (n_train, sd.CLIP) and x.dtype == np.float32
    assert y.shape == s.shape == (n_train,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [n_train // 3] * 3
    assert xt.shape == (2 * len(sd.ACCENTS) * len(WORDS) * 2, sd.CLIP)
    assert np.isfinite(x).all() and (np.abs(x).max(axis=1) > 1e-3).all()  # no silent clip
    variant = lambda voice: voice.split("+", 1)[1]  # noqa: E731
    assert not {variant(v) for v in voices["train"]} & {variant(v) for v in voices["test"]}
    assert len({variant(v) for v in voices["test"]}) == 2
    assert sorted(set(s.tolist())) == list(range(len(voices["train"])))


def test_generation_is_deterministic_under_a_seed(sd, tiny):
    voices = tiny[0]["train"][:2]
    a = sd.make_corpus(WORDS, voices, 1, seed=3, progress=False)
    b = sd.make_corpus(WORDS, voices, 1, seed=3, progress=False)
    c = sd.make_corpus(WORDS, voices, 1, seed=4, progress=False)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_log_mel_matches_numpy_reference(sd, tiny):
    waves = tiny[1][0][:4].astype(np.float64)
    ref = sd.log_mel_reference(waves)
    out = sd.LogMel(dtype=ag.float64)(ag.tensor(waves))
    assert out.shape == ref.shape == (4, 32, 1 + (sd.CLIP - 512) // 256)
    assert out.dtype == ag.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)
    out32 = sd.LogMel()(ag.tensor(waves.astype(np.float32)))
    assert out32.dtype == ag.float32
    np.testing.assert_allclose(out32.numpy(), ref, rtol=1e-3, atol=2e-3)


def test_log_mel_gradcheck(sd):
    front = sd.LogMel(n_fft=32, hop=16, n_mels=6, eps=1e-3, dtype=ag.float64)
    wave = ag.tensor(np.random.default_rng(0).standard_normal((2, 80)), requires_grad=True)
    assert ag.gradcheck(front, (wave,))


def test_spec_augment_masks_only_in_training(sd):
    aug = sd.SpecAugment(freq=4, time=5)
    x = ag.ones(16, 32, 42)
    ag.manual_seed(0)
    kept = aug.train()(x).numpy()
    assert set(np.unique(kept)) <= {0.0, 1.0} and kept.min() == 0.0
    assert (kept == 0).mean() < 0.3  # at most a band of 4 mels and a span of 5 frames
    np.testing.assert_array_equal(aug.eval()(x).numpy(), x.numpy())


def test_short_training_beats_chance_on_held_out_voices(sd, tiny):
    _, (x, y, _), (xt, yt, _) = tiny
    front = sd.LogMel()
    x, xt = sd.features(front, x, ag.device("cpu")), sd.features(front, xt, ag.device("cpu"))
    y, yt = ag.tensor(y), ag.tensor(yt)
    ag.manual_seed(0)
    model = sd.CNN(len(WORDS), width=16)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(8):
        model.train()
        for idx in np.array_split(rng.permutation(len(y)), len(y) // 30):
            idx = ag.tensor(idx)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with ag.no_grad():
        acc = (model(xt).argmax(dim=1) == yt).float().mean().item()
    assert acc >= 0.75, f"held-out accuracy {acc:.3f}: chance is 1/3"


@pytest.mark.parametrize("kind", ["cnn", "gru"])
def test_command_line_run_and_resume(sd, tmp_path, capsys, kind):
    pytest.importorskip("matplotlib")
    common = ["--voices", "2", "--test-fraction", "0.5", "--model", kind, "--no-progress",
              "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "run")]
    acc = sd.main(common + ["--epochs", "1"])
    assert 0.0 <= acc <= 1.0
    for name in ("checkpoint.safetensors", "training.png", "confusion.png"):
        assert (tmp_path / "run" / name).is_file(), name
    out = capsys.readouterr().out
    assert "synthesized" in out and "held-out voices: test accuracy" in out
    sd.main(common + ["--epochs", "2", "--no-plot", "--resume",
                      str(tmp_path / "run" / "checkpoint.safetensors")])
    out = capsys.readouterr().out
    assert "synthesized" not in out  # the cached corpus is reused
    assert "resumed from" in out
    assert ag.load(tmp_path / "run" / "checkpoint.safetensors")["epoch"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs 0: must be at least 1"),
    (["--resume", "no/such/checkpoint.safetensors"], "no such file"),
])
def test_bad_arguments_exit_with_one_line(sd, argv, message, tmp_path):
    with pytest.raises(SystemExit) as exc:
        sd.main(argv + ["--cache", str(tmp_path), "--out", str(tmp_path)])
    code = exc.value.code  # a str: Python prints it as the one line and exits with 1
    assert isinstance(code, str) and "\n" not in code and message in code, code
    assert not list(tmp_path.glob("corpus-*"))  # refused before any synthesis


def test_resume_with_another_model_is_refused(sd, tmp_path):
    common = ["--voices", "2", "--test-fraction", "0.5", "--no-progress", "--no-plot",
              "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "run"), "--epochs", "1"]
    sd.main(common)
    with pytest.raises(SystemExit) as exc:
        sd.main(common + ["--model", "gru", "--resume",
                          str(tmp_path / "run" / "checkpoint.safetensors")])
    assert "does not match" in exc.value.code


def test_compile_flag_gives_the_same_run(sd, tmp_path):
    """--compile (ag.compile of the training step; SpecAugment's masks are a replayable
    step, drawn again on every replayed call): the same parameters, bit for bit."""
    common = ["--voices", "2", "--test-fraction", "0.5", "--no-progress", "--no-plot",
              "--epochs", "2", "--cache", str(tmp_path / "cache")]
    for flag in ([], ["--compile"]):
        sd.main(common + ["--out", str(tmp_path / ("c" if flag else "p"))] + flag)
    a = ag.load(tmp_path / "p" / "checkpoint.safetensors")
    b = ag.load(tmp_path / "c" / "checkpoint.safetensors")
    for key in a["model"]:
        assert a["model"][key].numpy().tobytes() == b["model"][key].numpy().tobytes(), key
    assert a["history"] == b["history"]
