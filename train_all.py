"""Train every autoencoder of the lesson (and the conditional VAE) and write release weights.

    python train_all.py                          # all models -> pretrained/mnist/<name>/
    python train_all.py --models conv_ae-32 vae-2 --epochs 3
    python train_all.py --quick --out /tmp/pt    # smoke run on a few hundred images
    python train_all.py --resume                 # continue an interrupted run
    python train_all.py --jobs 1                 # one model at a time, with every CPU thread

Each model folder gets `model.safetensors`, `config.json` and `card.json` (test metrics
beside PCA, loss curve, time, device, versions, data hash). Resume checkpoints live in
`checkpoints/`, outside `pretrained/`, and are deleted once a model is released.
Models whose code has more than two numbers also get `tsne.safetensors`, a t-SNE map of
their test codes (`explorer.embedding`). `pca` (in the default list, or `--models pca`
alone) writes the PCA baseline the app compares against, fit on the training set in a
second or two. `classifier` (also in the
default list) trains the small digit CNN of explorer/classifier.py, which the latent explorer
runs to colour the plane by the digit each decode reads as, into `pretrained/<dataset>/classifier/`.

On a CPU with two or more cores two models train at once, each in its own process with half the
threads, longest first (by the time in each model's last card): many models use a second thread
badly, so the whole run finishes sooner (20.0 min against 27.5 on the 2-core CPU: README, "Train").
`--jobs 1` trains one at a time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
import time
import traceback
import warnings
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
from explorer.quantize import round_to_float16, round_to_int8
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
    parser.add_argument("--jobs", type=int, default=None,
                        help="models trained at once, each in its own process with its share of the CPU threads "
                             "(default: 2 on a CPU with 2 or more cores, else 1)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def run_record(args, train: Split, test: Split, config, seconds: float, device, data_hash: str) -> dict:
    """What every card records about the run that made it: data, recipe, time, machine, versions,
    and how many models trained beside it (`jobs`) on how many CPU threads each."""
    return {"test_images": len(test), "train_images": len(train), "train_config": asdict(config),
            "seconds": round(seconds, 1), "device": str(device), "jobs": args.jobs, "threads": torch.get_num_threads(),
            "versions": versions(), "data_sha256": data_hash, "quick": args.quick,
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def train_one(name: str, args, device, train: Split, test: Split, pca: PCABaseline, data_hash: str,
              bar_line: int | None = None) -> dict:
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
                 resume=args.resume, progress=not args.no_progress, callback=recorder, bar_line=bar_line)
    if release.int8:
        round_to_int8(model)  # round to what the file will hold, so the card measures the shipped weights
    elif release.half:
        round_to_float16(model)
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
    round_to_float16(result.model)  # the parameters as the file holds them, so the card measures those
    model = result.model
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


def load_data(args) -> tuple[torch.device, Split, Split]:
    """The device and the two splits (cut to the smoke-run sizes with --quick)."""
    device = pick_device(args.device)
    train = load_split(args.dataset, True, args.data_dir)
    test = load_split(args.dataset, False, args.data_dir)
    if args.quick:
        train, test = train.head(QUICK_TRAIN), test.head(QUICK_TEST)
    return device, train, test


def train_any(name: str, args, device, train: Split, test: Split, pca: PCABaseline, data_hash: str,
              bar_line: int | None = None) -> dict:
    if name == CLASSIFIER:
        return train_digit_classifier(args, device, train, test, data_hash)
    return train_one(name, args, device, train, test, pca, data_hash, bar_line)


# What a worker process loads once and keeps for every model it trains (see `init_worker`).
_worker: dict = {}


def init_worker(args, pca: PCABaseline, threads: int, bar_lines) -> None:
    # Ctrl-C is the parent's to handle: it stops every worker at once (`train_in_parallel`).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The k-NN figure asks scikit-learn for every core (explorer/metrics.py); a pool worker may
    # not start processes of its own, so scikit-learn runs it in this one and warns once per model.
    warnings.filterwarnings("ignore", message="Loky-backed parallel loops cannot be called in a multiprocessing")
    torch.set_num_threads(threads)
    device, train, test = load_data(args)
    _worker.update(args=args, device=device, train=train, test=test, pca=pca, data_hash=data_fingerprint(train),
                   bar_line=bar_lines.get())  # a line of the terminal for this worker's progress bars


def attempt(name: str, args, device, train: Split, test: Split, pca: PCABaseline, data_hash: str,
            bar_line: int | None = None) -> tuple[str, dict | None, str]:
    """(name, card, "") or (name, None, the traceback): one failed model must not cost the others,
    and from a worker the failure comes back as text, so the parent knows which model it was."""
    try:
        return name, train_any(name, args, device, train, test, pca, data_hash, bar_line), ""
    except Exception:  # noqa: BLE001 - reported by `keep`, and the run exits with 1
        return name, None, traceback.format_exc()


def train_in_worker(name: str) -> tuple[str, dict | None, str]:
    w = _worker
    return attempt(name, w["args"], w["device"], w["train"], w["test"], w["pca"], w["data_hash"], w["bar_line"])


def last_seconds(args, name: str) -> float:
    """The training time in the model's last card (under --out, else the shipped one; 0 if none):
    longest first keeps the workers busy to the end instead of leaving the biggest model to run alone."""
    for root in (args.out, PRETRAINED_ROOT):
        try:
            return float(json.loads((root / args.dataset / name / "card.json").read_text())["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return 0.0


def line_start(stream) -> str:
    """Where a line printed over the workers' progress bars must start: at column 0 of a cleared
    line. A bar leaves the cursor at its end, and a line printed there would break in two; the
    bars then redraw one line lower."""
    return "\r\033[K" if stream.isatty() else ""


def report(card: dict) -> None:
    h = card["headline"]
    print(f"{line_start(sys.stdout)}{card['name']:22s} {card['train_config']['epochs']:3d} epochs "
          f"{card['seconds']:7.1f} s   {h['metric']} = {h['value']:.4f}", flush=True)


def keep(outcome: tuple[str, dict | None, str], cards: list[dict], failed: list[str]) -> None:
    """Print one model's outcome and add it to the run's cards or failures."""
    name, card, trace = outcome
    if card is None:
        failed.append(name)
        print(f"{line_start(sys.stderr)}error: {name} failed:\n{trace}", file=sys.stderr, flush=True)
    else:
        cards.append(card)
        report(card)


def resume_hint(names: list[str]) -> str:
    return f"continue with: python train_all.py --resume --models {' '.join(names)}"


def train_in_parallel(names: list[str], args, pca: PCABaseline, threads: int) -> tuple[list[dict], list[str], bool]:
    """Train `names` in `args.jobs` worker processes; returns (cards, failed names, interrupted)."""
    context = multiprocessing.get_context("spawn")  # fork would copy this process's torch threads
    bar_lines = context.Queue()
    for line in range(args.jobs):
        bar_lines.put(line)
    cards, failed = [], []
    order = sorted(names, key=lambda n: -last_seconds(args, n))
    pool = context.Pool(args.jobs, initializer=init_worker, initargs=(args, pca, threads, bar_lines))
    try:
        for outcome in pool.imap_unordered(train_in_worker, order):
            keep(outcome, cards, failed)
    except KeyboardInterrupt:
        # Stop the workers mid-step: their checkpoints are written atomically after each epoch,
        # so --resume continues from the last one, and nothing half-trained was released.
        pool.terminate()
        pool.join()
        bar_lines.close()
        done = {card["name"] for card in cards}
        print(f"\nInterrupted. Released weights are untouched; {resume_hint([n for n in names if n not in done])}")
        return cards, failed, True
    pool.close()
    pool.join()
    return cards, failed, False


def train_in_turn(names: list[str], args, device, train: Split, test: Split, pca: PCABaseline,
                  data_hash: str) -> tuple[list[dict], list[str], bool]:
    cards, failed = [], []
    for name in names:
        try:
            keep(attempt(name, args, device, train, test, pca, data_hash), cards, failed)
        except KeyboardInterrupt:
            print(f"\nInterrupted during {name}. Released weights are untouched; "
                  f"{resume_hint(names[names.index(name):])}")
            return cards, failed, True
    return cards, failed, False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        device, train, test = load_data(args)
    except (DataUnavailableError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cores = torch.get_num_threads()
    if args.jobs is None:
        args.jobs = 2 if device.type == "cpu" and cores >= 2 else 1
    names = [n for n in args.models if n != "pca"]  # the releases and the classifier, in the order asked
    args.jobs = max(1, min(args.jobs, len(names)))
    threads = max(1, cores // args.jobs)
    data_hash = data_fingerprint(train)
    if names:
        how = f"{args.jobs} at a time, {threads} CPU thread{'s' * (threads > 1)} each" if args.jobs > 1 else "one at a time"
        print(f"Training {len(names)} model{'s' * (len(names) > 1)} on {device}, {how} ({len(train)} train / {len(test)} test images) "
              f"-> {args.out / args.dataset}")

    start = time.perf_counter()
    pca = fit_pca(train)  # once: every model's comparison takes its leading components
    if "pca" in args.models:
        save_pca(pca, pca_path(args.dataset, args.out))
        print(f"pca: {SHIPPED_PCA_COMPONENTS} components -> {pca_path(args.dataset, args.out)}", flush=True)
    if args.jobs > 1:
        cards, failed, interrupted = train_in_parallel(names, args, pca, threads)
    else:
        cards, failed, interrupted = train_in_turn(names, args, device, train, test, pca, data_hash)
    if interrupted:
        return 130

    total = time.perf_counter() - start
    if cards:
        cards.sort(key=lambda card: names.index(card["name"]))
        print(f"\n{'model':22s} {'epochs':>6s} {'seconds':>8s}  headline")
        for card in cards:
            h = card["headline"]
            print(f"{card['name']:22s} {card['train_config']['epochs']:6d} {card['seconds']:8.1f}  {h['metric']} = {h['value']:.4f}")
        print(f"total {total:.0f} s wall-clock on {device}" + (f", {args.jobs} models at a time" if args.jobs > 1 else ""))
    if failed:
        print(f"error: {len(failed)} model(s) failed: {' '.join(failed)}. The others were released; "
              f"{resume_hint(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
