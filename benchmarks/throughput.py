"""Training throughput: train_all.py's loop against the lesson's notebook loop.

The reference loop is written the way the lesson's PyTorch notebook does it: a torchvision
dataset with a per-sample `ToTensor` transform, a `DataLoader` with batch 256, the same
convolutional AE and the same optimiser (Adam, default implementation). Ours slices batches
from one uint8 tensor held on the device, runs convolutions channels-last and uses the
fused Adam kernel. The two are interleaved round by round so machine noise hits both alike.
"""

from __future__ import annotations

import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from explorer.data import default_data_dir, ensure_files, load_split
from explorer.models import build
from explorer.train import batch_from, prepare

BATCH = 256


def reference_images_per_second(model, loader, optimizers, batches: int, device) -> float:
    """The lesson's loop: DataLoader + ToTensor per sample, then the same train step."""
    model.train()
    it = iter(loader)
    start, seen = time.perf_counter(), 0
    for _ in range(batches):
        x, y = next(it)
        x, y = x.to(device), y.to(device)
        model.train_step(x, y, optimizers)
        seen += len(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def ours_images_per_second(model, images, labels, optimizers, batches: int, device) -> float:
    """train_all.py's loop body: index a device-resident uint8 tensor, convert the batch there."""
    model.train()
    n = len(labels)
    start, seen = time.perf_counter(), 0
    perm = torch.randperm(n, device=device)
    for step in range(batches):
        idx = perm[(step * BATCH) % (n - BATCH):][:BATCH]
        model.train_step(*batch_from(images, labels, idx), optimizers)
        seen += len(idx)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def run(device: torch.device, rounds: int = 3, batches: int = 40, family: str = "conv_ae", **config) -> dict:
    root = default_data_dir()
    ensure_files("mnist", root)
    dataset = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True)
    split = load_split("mnist", True, root)
    images, labels = split.images.to(device), split.labels.to(device)
    torch.manual_seed(0)
    ours_model, ref_model = prepare(build(family, **config), device), build(family, **config).to(device)
    ours_opt = ours_model.configure_optimizers(1e-3)  # train_all.py's: fused Adam where available
    ref_opt = {"model": torch.optim.Adam(ref_model.parameters(), lr=1e-3)}  # as the lesson writes it
    # One warm-up batch each (allocations, kernel selection) before anything is timed.
    ours_images_per_second(ours_model, images, labels, ours_opt, 1, device)
    reference_images_per_second(ref_model, loader, ref_opt, 1, device)
    ours, ref = [], []
    for _ in range(rounds):
        ours.append(ours_images_per_second(ours_model, images, labels, ours_opt, batches, device))
        ref.append(reference_images_per_second(ref_model, loader, ref_opt, batches, device))
    ours_med, ref_med = sorted(ours)[len(ours) // 2], sorted(ref)[len(ref) // 2]
    return {"device": str(device), "model": family, "config": config, "batch": BATCH, "rounds": rounds,
            "batches_per_round": batches, "ours_images_per_s": ours_med, "reference_images_per_s": ref_med,
            "speedup": ours_med / ref_med, "ours_all": ours, "reference_all": ref}
