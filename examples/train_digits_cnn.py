"""Train a small CNN on scikit-learn's bundled 8x8 digits (offline) with Adam.

    python examples/train_digits_cnn.py                    # 2 conv blocks, 10 epochs
    python examples/train_digits_cnn.py --device cuda      # same code on the GPU
    python examples/train_digits_cnn.py --epochs 10 --stop-after 4 --out runs/c
    python examples/train_digits_cnn.py --resume runs/c/checkpoint.safetensors

The images are (N, 1, 8, 8); the model is

    conv 3x3 (1->32) - BatchNorm - ReLU - maxpool 2      ->  (32, 4, 4)
    conv 3x3 (32->64) - BatchNorm - ReLU - maxpool 2     ->  (64, 2, 2)
    flatten - dropout - linear (256 -> 10)

trained with Adam and a cosine learning-rate schedule over ``--epochs``. Same command
line, progress bar, per-epoch checkpoint (``ag.save``: model with BatchNorm buffers,
optimizer, scheduler, RNG state), exact ``--resume`` and loss/accuracy plot as
``examples/train_digits.py``, whose data loading it reuses.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from train_digits import accuracy, load_data, plot  # noqa: E402

import autograd as ag  # noqa: E402
import backends  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import optim  # noqa: E402


def make_model(width: int = 32, dropout: float = 0.25) -> nn.Module:
    """(N, 1, 8, 8) -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * width * 2 * 2, 10),
    )


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10, help="length of the lr schedule")
    p.add_argument("--stop-after", type=int, default=None,
                   help="stop after this many epochs (then continue with --resume)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--width", type=int, default=32, help="channels of the first conv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", default=os.path.join("runs", "digits_cnn"))
    p.add_argument("--resume", default=None, help="checkpoint to continue from")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG")
    args = p.parse_args(argv)

    try:
        device = ag.device(args.device)
    except (ValueError, ag.DeviceUnavailableError) as exc:
        p.error(f"--device {args.device}: {exc}")
    os.makedirs(args.out, exist_ok=True)
    ag.manual_seed(args.seed)
    x_tr, y_tr, x_te, y_te = load_data(args.seed, device)
    x_tr, x_te = x_tr.reshape(-1, 1, 8, 8), x_te.reshape(-1, 1, 8, 8)
    model = make_model(args.width).to(device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    history = {"loss": [], "train_acc": [], "test_acc": []}
    start_epoch = 0
    if args.resume:
        ckpt = ag.load(args.resume, map_location=device)
        if ckpt.get("seed") != args.seed:
            p.error(f"--resume: the checkpoint was made with --seed {ckpt.get('seed')}, "
                    f"not {args.seed}; the data order would differ")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        start_epoch = int(ckpt["epoch"])
        history = {k: list(v) for k, v in ckpt["history"].items()}
        backends.get_device("cpu").backend.generator.bit_generator.state = ckpt["rng_state"]
        print(f"resumed from {args.resume} at epoch {start_epoch}")

    loader = ag.data.DataLoader(ag.data.TensorDataset(x_tr, y_tr), batch_size=args.batch_size,
                                shuffle=True, seed=args.seed)
    ckpt_path = os.path.join(args.out, "checkpoint.safetensors")
    test_acc = accuracy(model.eval(), x_te, y_te) if start_epoch else 0.0
    t0 = time.perf_counter()
    end_epoch = args.epochs if args.stop_after is None else min(args.epochs, args.stop_after)
    for epoch in range(start_epoch, end_epoch):
        loader.set_epoch(epoch)  # the order depends on (seed, epoch) only: exact resume
        loader.progress = False if args.no_progress else f"epoch {epoch + 1}/{args.epochs}"
        model.train()
        total, count = 0.0, 0
        for step, (xb, yb) in enumerate(loader):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            count += len(yb)
            if loader.bar is not None and step % 10 == 0:
                loader.bar.set_postfix(loss=total / count)
        if loader.bar is not None and hasattr(loader.bar, "close"):
            loader.bar.close()
        sched.step()
        model.eval()  # BatchNorm uses its running statistics, Dropout is off
        train_acc = accuracy(model, x_tr, y_tr)
        test_acc = accuracy(model, x_te, y_te)
        history["loss"].append(total / count)
        history["train_acc"].append(train_acc)
        history["test_acc"].append(test_acc)
        print(f"epoch {epoch + 1:3d}/{args.epochs}  loss {total / count:.4f}  "
              f"train acc {train_acc:.4f}  test acc {test_acc:.4f}", flush=True)
        ag.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": sched.state_dict(), "epoch": epoch + 1, "seed": args.seed,
                 "history": history,
                 "rng_state": backends.get_device("cpu").backend.generator.bit_generator.state,
                 "args": vars(args)}, ckpt_path)
    if not args.no_plot and history["loss"]:
        plot(history, os.path.join(args.out, "training.png"))
    print(f"final test accuracy: {test_acc:.4f}  ({time.perf_counter() - t0:.1f} s, "
          f"checkpoint {ckpt_path})")
    return test_acc


if __name__ == "__main__":
    main()
