"""Train a small CNN on scikit-learn's bundled 8x8 digits (offline) with Adam.

    python examples/train_digits_cnn.py                    # 2 conv blocks, 10 epochs
    python examples/train_digits_cnn.py --device cuda      # same code on the GPU
    python examples/train_digits_cnn.py --epochs 10 --stop-after 4 --out runs/c
    python examples/train_digits_cnn.py --resume runs/c/checkpoint.safetensors
    mpiexec -n 2 python examples/train_digits_cnn.py --distributed   # DDP + SyncBatchNorm

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

from _resume import check_positive  # run as a script, its folder is on sys.path
from train_digits import (
    add_compile_arg,
    add_distributed_arg,
    add_tensorboard_arg,
    check_compile_arg,
    fit,
    load_data,
)

import autograd as ag
import nn
import optim


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
    add_tensorboard_arg(p)
    add_distributed_arg(p)
    add_compile_arg(p)
    args = p.parse_args(argv)
    check_compile_arg(p, args)
    check_positive(epochs=args.epochs)  # before the schedule's T_max is built from it

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
    return fit(model, opt, (x_tr, y_tr, x_te, y_te), args, device, sched=sched,
               stop_after=args.stop_after)

if __name__ == "__main__":
    main()
