"""Time to quality: how long until a model is good, not how many images a second go through it.

The bar is the lesson's own convolutional AE trained by the lesson's own recipe: the Keras
blog's Conv16-Pool-Conv8-Pool-Conv8-Pool encoder (a code of 8 x 4 x 4 = 128 numbers) and its
mirror, Bernoulli cross-entropy, Adam at 1e-3, batch 256, a torchvision dataset with a
per-sample `ToTensor` and a `DataLoader`, 30 epochs. Its final test MSE is the bar.

Then `conv_ae-32`'s release recipe (a code of only 32 numbers) runs `explorer.train.fit` as
`train_all.py` does, and every `check_every` steps its MSE on a fixed 2,000-image test subset
is measured; the first time it is under the bar, the whole 10,000-image test set confirms it
(training goes on if it does not). Both clocks include their checks; the two runs go back to
back in this process, the lesson's first, so our allocator setting cannot speed it up.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from explorer import metrics
from explorer.data import Split, batched, default_data_dir, ensure_files
from explorer.models import build
from explorer.releases import RELEASES
from explorer.train import fit, seed_everything

LESSON_EPOCHS, LESSON_BATCH, LESSON_LR = 30, 256, 1e-3
SUBSET = 2000  # test images checked during our run; the whole test set confirms
OURS = "conv_ae-32"

# train_all.py before the time-to-quality work (commit 90aaef1's cards, 2-core CPU): seconds
# per model, for the table beside today's. The beta set did not exist before that run's week.
PREVIOUS_SECONDS = {
    "ae-32": 32.7, "sparse_ae-32": 32.0, "conv_ae-2": 516.0, "conv_ae-32": 548.7, "denoising_ae": 533.4,
    "super_resolution-x2": 37.1, "super_resolution-x4": 38.3, "vae-2": 59.0, "conv_vae-2": 168.1,
    "cvae-2": 166.6, "aae-2": 138.3,
}
PREVIOUS_TOTAL_MIN = 37.8


class LessonConvAE(nn.Module):
    """The lesson's convolutional AE (Keras blog, 'Building Autoencoders in Keras'), in PyTorch."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, padding=1),  # 4x4: the 128-number code
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 8x8
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 16x16
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),  # 14x14 -> 28x28
            nn.Conv2d(16, 1, 3, padding=1),  # logits; the blog's sigmoid is inside the loss
        )

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(self.encoder(x)))


def train_lesson(test: Split, device: torch.device, epochs: int = LESSON_EPOCHS,
                 train_images: int | None = None, progress: bool = True) -> dict:
    """The lesson's recipe as its notebook runs it; returns seconds and the final test MSE."""
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    ensure_files("mnist", default_data_dir())
    dataset = datasets.MNIST(str(default_data_dir()), train=True, download=False, transform=transforms.ToTensor())
    if train_images is not None:
        dataset = Subset(dataset, range(train_images))
    seed_everything(0)
    loader = DataLoader(dataset, batch_size=LESSON_BATCH, shuffle=True)
    model = LessonConvAE().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LESSON_LR)
    start = time.perf_counter()
    for epoch in tqdm(range(epochs), desc="lesson conv AE", disable=not progress, leave=False):
        model.train()
        for x, _ in loader:
            x = x.to(device)
            loss = F.binary_cross_entropy_with_logits(model.decoder(model.encoder(x)), x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    x = test.floats.to(device)
    mse = metrics.mse(batched(model.reconstruct, x).cpu(), test.floats)
    return {"epochs": epochs, "seconds": time.perf_counter() - start, "test_mse": mse,
            "parameters": sum(p.numel() for p in model.parameters())}


class ReachedBar(Exception):
    """Raised from fit's callback to stop training once the bar is met on all test images."""


def time_to_bar(bar: float, train: Split, test: Split, device: torch.device, check_every: int = 200,
                progress: bool = True) -> dict:
    """Train conv_ae-32 by its release recipe until its test MSE first drops under `bar`."""
    release = RELEASES[OURS]
    seed_everything(0)
    model = build(release.family, **release.config)
    subset, everything = test.floats[:SUBSET].to(device), test.floats.to(device)
    checks: list[dict] = []
    start = time.perf_counter()

    def mse_on(x: torch.Tensor) -> float:
        model.eval()
        value = metrics.mse(batched(model.reconstruct, x).cpu(), x.cpu())
        model.train()
        return value

    def check(model_, step: int, logs: dict) -> None:
        if step == 0 or step % check_every:
            return
        subset_mse = mse_on(subset)
        checks.append({"step": step, "seconds": time.perf_counter() - start, "subset_mse": subset_mse})
        if subset_mse < bar:
            full = mse_on(everything)
            checks[-1]["test_mse"] = full
            if full < bar:
                raise ReachedBar

    try:
        fit(model, train, release.train, device, desc=OURS, progress=progress, callback=check)
        reached = False
    except ReachedBar:
        reached = True
    seconds = time.perf_counter() - start
    model.eval()
    last = checks[-1] if checks else {"step": 0}
    steps_per_epoch = len(train) // min(release.train.batch_size, len(train))
    return {"model": OURS, "reached": reached, "seconds": seconds, "steps": last["step"],
            "epochs": last["step"] / steps_per_epoch, "test_mse": last.get("test_mse"),
            "recipe_epochs": release.train.epochs, "checks": checks,
            "parameters": sum(p.numel() for p in model.parameters())}


def run(train: Split, test: Split, device: torch.device, lesson_epochs: int = LESSON_EPOCHS,
        check_every: int = 200, lesson_train_images: int | None = None, progress: bool = True) -> dict:
    lesson = train_lesson(test, device, lesson_epochs, lesson_train_images, progress)
    ours = time_to_bar(lesson["test_mse"], train, test, device, check_every, progress)
    return {"device": str(device), "lesson": lesson, "ours": ours,
            "ratio": lesson["seconds"] / ours["seconds"] if ours["reached"] else None}


def train_all_table(cards: dict[str, dict], weight_bytes: dict[str, int]) -> dict:
    """Seconds and weight bytes per shipped model (from its card and folder) beside the
    previous train_all.py run's seconds."""
    rows = {name: {"epochs": c["train_config"]["epochs"], "seconds": c["seconds"], "device": c["device"],
                   "previous_seconds": PREVIOUS_SECONDS.get(name), "weight_bytes": weight_bytes[name],
                   "parameters": c["parameters"], "headline": c["headline"]}
            for name, c in cards.items()}
    return {"models": rows, "train_seconds": sum(r["seconds"] for r in rows.values()),
            "weight_bytes": sum(weight_bytes.values()), "previous_total_min": PREVIOUS_TOTAL_MIN}


def markdown(results: dict) -> list[str]:
    s = ["## Time to quality\n",
         "How long until a convolutional AE is as good as the lesson's: the lesson's convolutional AE "
         f"and recipe ({LESSON_EPOCHS} epochs, DataLoader + ToTensor, Adam 1e-3, batch 256, 128-number code) "
         f"set the bar with their final test MSE; `{OURS}` (32-number code) trains by its release recipe "
         f"until its MSE on {SUBSET:,} test images first drops below the bar, confirmed on all 10,000.\n",
         "| device | lesson: epochs | lesson: seconds | bar (test MSE) | ours: epochs | ours: seconds | ours: test MSE | speed-up |",
         "|---|---|---|---|---|---|---|---|"]
    for r in results["runs"]:
        le, us = r["lesson"], r["ours"]
        ratio = f"**{r['ratio']:.1f}x**" if r["ratio"] else "bar not reached"
        mse = f"{us['test_mse']:.4f}" if us["test_mse"] is not None else "-"
        s.append(f"| {r['device']} | {le['epochs']} | {le['seconds']:.0f} | {le['test_mse']:.4f} | "
                 f"{us['epochs']:.2f} | {us['seconds']:.1f} | {mse} | {ratio} |")
    s.append("")
    return s


def train_all_markdown(t: dict) -> list[str]:
    s = ["## What train_all.py trains\n"]
    s.append(f"`python train_all.py`, seconds per model from the shipped cards (training only; evaluation adds "
             f"a few seconds each): **{t['train_seconds'] / 60:.1f} min** of training in all, against "
             f"{t['previous_total_min']} min for the eleven models before the beta set (the previous column, "
             f"the same kind of 2-core CPU on another day). Weights: **{t['weight_bytes'] / 1e6:.1f} MB** in all.\n")
    s.append("| model | epochs | seconds | previous seconds | parameters | weights | headline |\n|---|---|---|---|---|---|---|")
    for name, r in t["models"].items():
        prev = f"{r['previous_seconds']:.0f}" if r["previous_seconds"] else "-"
        h = r["headline"]
        s.append(f"| {name} | {r['epochs']} | {r['seconds']:.0f} | {prev} | {r['parameters']:,} | "
                 f"{r['weight_bytes'] / 1e6:.2f} MB | {h['metric']} {h['value']:.4g} |")
    s.append("")
    return s

