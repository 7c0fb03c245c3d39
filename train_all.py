"""Train every autoencoder of the lesson (and the conditional VAE) and write release weights.

    python train_all.py                          # all models -> pretrained/mnist/<name>/
    python train_all.py --models conv_ae-32 vae-2 --epochs 3
    python train_all.py --quick --out /tmp/pt    # smoke run on a few hundred images
    python train_all.py --resume                 # continue an interrupted run

Each model folder gets `model.safetensors`, `config.json` and `card.json` (test metrics
beside PCA, loss curve, time, device, versions, data hash). Resume checkpoints live in
`checkpoints/`, outside `pretrained/`, and are deleted once a model is released.
`pca` (in the default list, or `--models pca` alone) writes the PCA baseline the app
compares against, fit on the training set in a second or two.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sklearn
import torch
import torchvision

from explorer.beta import BETA_HIDDEN, BETAS, beta_release
from explorer.data import TORCHVISION_CLASSES, DataUnavailableError, data_fingerprint, load_split
from explorer.evaluate import evaluate_model
from explorer.history import DIGITS, HISTORY_FILE, HistoryRecorder
from explorer.models import build
from explorer.metrics import PCABaseline
from explorer.pretrained import PRETRAINED_ROOT, SHIPPED_PCA_COMPONENTS, pca_path, save_pca, save_pretrained
from explorer.train import TrainConfig, fit, pick_device, seed_everything


@dataclass(frozen=True)
class Release:
    family: str
    description: str
    config: dict = field(default_factory=dict)
    train: TrainConfig = TrainConfig()
    half: bool = False  # store the weights in float16 (the beta set: seven models in ~3 MB)
    history: bool = True  # 2-D models: record how the latent plane learns (explorer/history.py)


# Epochs are sized so the whole set trains in under 45 minutes on a 2-core CPU; README's
# Results gives each model's figures and time. Convolutional models keep TrainConfig's
# batch 128: on this CPU an epoch at 256 takes as long and makes half the steps.
RELEASES: dict[str, Release] = {
    "ae-32": Release("ae", "Fully connected deep autoencoder 784-128-64-32 (Keras blog).",
                     {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "sparse_ae-32": Release("sparse_ae", "Fully connected AE with an L1 activity penalty on its 32-D code.",
                            {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "conv_ae-2": Release("conv_ae", "The lesson's convolutional AE squeezed to a 2-D code.",
                         {"latent_dim": 2, "neck": 128}, TrainConfig(epochs=15)),
    "conv_ae-32": Release("conv_ae", "The lesson's convolutional AE with a 32-D code.",
                          {"latent_dim": 32}, TrainConfig(epochs=20)),
    "denoising_ae": Release("denoising_ae", "Convolutional denoiser trained on fresh Gaussian and salt-and-pepper noise.",
                            {}, TrainConfig(epochs=14)),
    "super_resolution-x2": Release("super_resolution", "14x14 -> 28x28 super-resolution on top of bicubic.",
                                   {"factor": 2}, TrainConfig(epochs=3)),
    "super_resolution-x4": Release("super_resolution", "7x7 -> 28x28 super-resolution on top of bicubic.",
                                   {"factor": 4}, TrainConfig(epochs=3)),
    "vae-2": Release("vae", "The lesson's fully connected VAE with a 2-D latent.",
                     {"latent_dim": 2}, TrainConfig(epochs=20, batch_size=256, lr=2e-3)),
    "conv_vae-2": Release("conv_vae", "Convolutional VAE with a 2-D latent: the lesson's assignment.",
                          {"latent_dim": 2}, TrainConfig(epochs=5)),
    "cvae-2": Release("cvae", "Conditional convolutional VAE: decode(z, digit) draws any digit in any style.",
                      {"latent_dim": 2}, TrainConfig(epochs=5)),
    "aae-2": Release("aae", "Adversarial autoencoder with a 2-D Gaussian prior on its code.",
                     {"latent_dim": 2}, TrainConfig(epochs=3)),
}
# The beta trade-off (app_pages/beta.py): vae-2's recipe at seven KL weights, with a 128-wide
# hidden layer instead of 512 and float16 storage so the seven fit in ~3 MB together.
RELEASES.update({
    beta_release(beta): Release("vae", f"The fully connected 2-D VAE with its KL term weighted by beta = {beta:g}.",
                                {"latent_dim": 2, "hidden": BETA_HIDDEN, "beta": beta},
                                TrainConfig(epochs=20, batch_size=256, lr=2e-3), half=True,
                                history=False)  # seven histories would add 6 MB; the training page plays vae-2's
    for beta in BETAS
})

QUICK_TRAIN, QUICK_TEST = 512, 256


def versions() -> dict:
    return {"python": platform.python_version(), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=sorted([*RELEASES, "pca"]), default=[*RELEASES, "pca"],
                        metavar="NAME", help=f"which models (default: all): {', '.join(RELEASES)}, pca")
    parser.add_argument("--epochs", type=int, default=None, help="override every model's epoch count")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    parser.add_argument("--dataset", choices=sorted(TORCHVISION_CLASSES), default="mnist")
    parser.add_argument("--data-dir", type=Path, default=None, help="dataset root (default: $EXPLORER_DATA_DIR or data/)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=PRETRAINED_ROOT, help="release root (default: pretrained/)")
    parser.add_argument("--checkpoints", type=Path, default=Path("checkpoints"), help="resume checkpoints folder")
    parser.add_argument("--resume", action="store_true", help="continue interrupted models from their last epoch")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_TRAIN} training images, 1 epoch, metrics on {QUICK_TEST} test images")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def train_one(name: str, args, device, train, test, data_hash: str) -> dict:
    release = RELEASES[name]
    epochs = args.epochs or (1 if args.quick else release.train.epochs)
    config = replace(release.train, epochs=epochs, seed=args.seed)
    seed_everything(args.seed)  # the same initial weights for the same seed
    model = build(release.family, **release.config)
    checkpoint = args.checkpoints / args.dataset / name / "ckpt.pt"
    recorder = None
    if release.history and model.latent_dim == 2:
        digits = test.head(min(DIGITS, len(test)))
        steps = config.epochs * (len(train) // min(config.batch_size, len(train)))
        recorder = HistoryRecorder(digits.floats, digits.labels, steps)
    result = fit(model, train, config, device, desc=name, checkpoint=checkpoint,
                 resume=args.resume, progress=not args.no_progress, callback=recorder)
    if release.half:
        model.half().float()  # round to what the file will hold, so the card measures the shipped weights
    figures = evaluate_model(model, train, test)
    card = {
        "name": name,
        "family": release.family,
        "description": release.description,
        "dataset": args.dataset,
        "latent_dim": model.latent_dim,
        "parameters": sum(p.numel() for p in model.parameters()),
        "metrics": figures,
        "headline": figures["headline"],
        "test_images": len(test),
        "train_images": len(train),
        "epoch_losses": result.epoch_losses,
        "train_config": asdict(config),
        "seconds": round(result.seconds, 1),
        "device": str(device),
        "versions": versions(),
        "data_sha256": data_hash,
        "quick": args.quick,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    folder = args.out / args.dataset / name
    save_pretrained(model, folder, card, torch.float16 if release.half else None)
    # A resumed run saw only the steps after its restart, so its history would be partial.
    if recorder is not None and recorder.recorded and recorder.recorded[0] == 0:
        recorder.save(folder / HISTORY_FILE)
    checkpoint.unlink(missing_ok=True)
    return card


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        device = pick_device(args.device)
        train = load_split(args.dataset, True, args.data_dir)
        test = load_split(args.dataset, False, args.data_dir)
    except (DataUnavailableError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.quick:
        train, test = train.head(QUICK_TRAIN), test.head(QUICK_TEST)
    if device.type == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    data_hash = data_fingerprint(train)
    models = [n for n in args.models if n != "pca"]
    if models:
        print(f"Training {len(models)} models on {device} ({len(train)} train / {len(test)} test images) -> {args.out / args.dataset}")

    cards, start = [], time.perf_counter()
    if "pca" in args.models:
        save_pca(PCABaseline.fit(SHIPPED_PCA_COMPONENTS, train.floats), pca_path(args.dataset, args.out))
        print(f"pca: {SHIPPED_PCA_COMPONENTS} components -> {pca_path(args.dataset, args.out)}", flush=True)
    for name in models:
        try:
            card = train_one(name, args, device, train, test, data_hash)
        except KeyboardInterrupt:
            print(f"\nInterrupted during {name}. Released weights are untouched; "
                  f"continue with: python train_all.py --resume --models {' '.join(models[models.index(name):])}")
            return 130
        cards.append(card)
        h = card["headline"]
        print(f"{name:22s} {card['train_config']['epochs']:3d} epochs {card['seconds']:7.1f} s   {h['metric']} = {h['value']:.4f}", flush=True)

    total = time.perf_counter() - start
    if not cards:
        return 0
    print(f"\n{'model':22s} {'epochs':>6s} {'seconds':>8s}  headline")
    for card in cards:
        h = card["headline"]
        print(f"{card['name']:22s} {card['train_config']['epochs']:6d} {card['seconds']:8.1f}  {h['metric']} = {h['value']:.4f}")
    print(f"total {total:.0f} s on {device}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
