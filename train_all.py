"""Train every autoencoder of the lesson (and the conditional VAE) and write release weights.

    python train_all.py                          # all models -> pretrained/mnist/<name>/
    python train_all.py --models conv_ae-32 vae-2 --epochs 3
    python train_all.py --quick --out /tmp/pt    # smoke run on a few hundred images
    python train_all.py --resume                 # continue an interrupted run

Each model folder gets `model.safetensors`, `config.json` and `card.json` (test metrics
beside PCA, loss curve, time, device, versions, data hash). Resume checkpoints live in
`checkpoints/`, outside `pretrained/`, and are deleted once a model is released.
Models whose code has more than two numbers also get `tsne.safetensors`, a t-SNE map of
their test codes (`explorer.embedding`). `pca` (in the default list, or `--models pca`
alone) writes the PCA baseline the app compares against, fit on the training set in a
second or two. `classifier` (also in the
default list) trains the small digit CNN of explorer/classifier.py, which the latent explorer
runs to colour the plane by the digit each decode reads as, into `pretrained/<dataset>/classifier/`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

import torch

from explorer.baselines import PCABaseline
from explorer.classifier import ClassifierTrainConfig, accuracy, save_classifier, train_classifier
from explorer.data import TORCHVISION_CLASSES, DataUnavailableError, Split, data_fingerprint, load_split
from explorer.embedding import POINTS, embed_release
from explorer.evaluate import evaluate_model, fit_pca
from explorer.export import export_classifier, export_release
from explorer.history import DIGITS, HISTORY_FILE, HistoryRecorder
from explorer.models import build
from explorer.pretrained import PRETRAINED_ROOT, SHIPPED_PCA_COMPONENTS, pca_path, save_pca, save_pretrained
from explorer.quantize import round_to_int8
from explorer.releases import RELEASES, versions
from explorer.shipped import CLASSIFIER
from explorer.train import fit, pick_device, seed_everything

QUICK_TRAIN, QUICK_TEST = 512, 256
EXTRAS = ["pca", CLASSIFIER]  # written by train_all.py beside the releases, not releases themselves


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=sorted([*RELEASES, *EXTRAS]), default=[*RELEASES, *EXTRAS],
                        metavar="NAME", help=f"which models (default: all): {', '.join([*RELEASES, *EXTRAS])}")
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


def run_record(args, train: Split, test: Split, config, seconds: float, device, data_hash: str) -> dict:
    """What every card records about the run that made it: data, recipe, time, machine, versions."""
    return {"test_images": len(test), "train_images": len(train), "train_config": asdict(config),
            "seconds": round(seconds, 1), "device": str(device), "versions": versions(), "data_sha256": data_hash,
            "quick": args.quick, "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def train_one(name: str, args, device, train: Split, test: Split, pca: PCABaseline, data_hash: str) -> dict:
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
    if release.int8:
        round_to_int8(model)  # round to what the file will hold, so the card measures the shipped weights
    elif release.half:
        model.half().float()
    figures = evaluate_model(model, train, test, pca)
    card = {
        "name": name,
        "family": release.family,
        "task": model.task,
        "description": release.description,
        "dataset": args.dataset,
        "latent_dim": model.latent_dim,
        "parameters": sum(p.numel() for p in model.parameters()),
        "storage": "int8 rows (matrices of 65,536+ numbers) + float16" if release.int8 else
                   "float16" if release.half else "float32",
        "metrics": figures,
        "headline": figures["headline"],
        "epoch_losses": result.epoch_losses,
        **run_record(args, train, test, config, result.seconds, device, data_hash),
    }
    folder = args.out / args.dataset / name
    save_pretrained(model, folder, card, torch.float16 if release.half else None, int8=release.int8)
    # A resumed run saw only the steps after its restart, so its history would be partial.
    if recorder is not None and recorder.recorded and recorder.recorded[0] == 0:
        recorder.save(folder / HISTORY_FILE)
    export_release(folder)  # the ONNX the app serves, made from the weights just written
    if model.task == "latent" and model.latent_dim > 2:  # a code that needs a map to be seen: t-SNE, from the ONNX
        embed_release(folder, test.images[:POINTS].cpu().numpy(), test.labels[:POINTS].cpu().numpy())
    checkpoint.unlink(missing_ok=True)
    return card


def train_digit_classifier(args, device, train: Split, test: Split, data_hash: str) -> dict:
    """The digit classifier, trained with the run's seed, rounded to float16 as shipped, then
    scored on the test set, saved with its card and exported to ONNX."""
    epochs = args.epochs or (1 if args.quick else ClassifierTrainConfig.epochs)
    config = replace(ClassifierTrainConfig(), seed=args.seed, epochs=epochs)
    result = train_classifier(train, config, device=device)
    model = result.model.half().float()  # the card measures the weights the file holds
    folder = args.out / args.dataset / CLASSIFIER
    card = {
        "name": CLASSIFIER,
        "family": "classifier",
        "task": "classify",
        "description": "Small CNN digit classifier (explorer/classifier.py): what a decode reads as.",
        "dataset": args.dataset,
        "parameters": sum(p.numel() for p in model.parameters()),
        "metrics": {"accuracy": accuracy(model, test.floats, test.labels)},
        "final_loss": result.final_loss,
        **run_record(args, train, test, config, result.seconds, device, data_hash),
    }
    card["headline"] = {"metric": "accuracy", "value": card["metrics"]["accuracy"]}
    save_classifier(model, folder, card, torch.float16)
    card["bytes"] = (folder / "model.safetensors").stat().st_size
    save_classifier(model, folder, card, torch.float16)  # again, with the size of the file it wrote
    export_classifier(folder)
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
    models = [n for n in args.models if n not in EXTRAS]
    if models:
        print(f"Training {len(models)} models on {device} ({len(train)} train / {len(test)} test images) -> {args.out / args.dataset}")

    cards, start = [], time.perf_counter()
    pca = fit_pca(train)  # once: every model's comparison takes its leading components
    if "pca" in args.models:
        save_pca(pca, pca_path(args.dataset, args.out))
        print(f"pca: {SHIPPED_PCA_COMPONENTS} components -> {pca_path(args.dataset, args.out)}", flush=True)
    if CLASSIFIER in args.models:
        card = train_digit_classifier(args, device, train, test, data_hash)
        cards.append(card)
        print(f"{CLASSIFIER:22s} {card['train_config']['epochs']:3d} epochs {card['seconds']:7.1f} s   "
              f"accuracy = {card['headline']['value']:.4f} ({card['bytes']:,} bytes)", flush=True)
    for name in models:
        try:
            card = train_one(name, args, device, train, test, pca, data_hash)
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
