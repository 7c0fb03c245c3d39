"""Training throughput: train_all.py's loop against the lesson's notebook loop.

The reference loop is written the way the lesson's PyTorch notebook does it: a torchvision
dataset with a per-sample `ToTensor` transform, a `DataLoader` with batch 256, the same
convolutional AE and the same optimiser (Adam, default implementation). Ours slices batches
from one uint8 tensor held on the device, runs convolutions channels-last, uses the fused
Adam kernel and keeps freed memory (`explorer.train.keep_freed_memory`).

The reference runs in its own freshly spawned process, as a notebook would, so our
process-wide allocator setting does not speed it up too; the two take turns, round by
round, so machine noise hits both alike.

Two more figures say how far any loop could go. *Step only*: the train step alone on one
batch made in advance, which no data pipeline can beat. *Arithmetic bound*: the step's
floating-point operations (counted by PyTorch) at the speed of a large fp32 matrix product,
the fastest arithmetic PyTorch gets from the machine; no fp32 loop over this model beats it.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from explorer.data import default_data_dir, ensure_files, load_split
from explorer.models import build
from explorer.train import batch_from, keep_freed_memory, make_optimizers, prepare

BATCH = 256


def finish(device) -> None:
    """Wait for queued GPU work, so a timer stops when the work is done, not when it was queued."""
    if device.type == "cuda":
        torch.cuda.synchronize()


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
    finish(device)
    return seen / (time.perf_counter() - start)


def reference_process(conn, device_name: str, family: str, config: dict) -> None:
    """Runs in a spawned process: answers each round's batch count with images per second."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    device = torch.device(device_name)
    dataset = datasets.MNIST(str(default_data_dir()), train=True, download=False, transform=transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True)
    torch.manual_seed(0)
    model = build(family, **config).to(device)
    optimizers = {"model": torch.optim.Adam(model.parameters(), lr=1e-3)}  # as the lesson writes it
    while (batches := conn.recv()) is not None:
        conn.send(reference_images_per_second(model, loader, optimizers, batches, device))


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
    finish(device)
    return seen / (time.perf_counter() - start)


def step_only_images_per_second(model, x, y, optimizers, batches: int, device) -> float:
    """The train step alone, on one batch made in advance: no loop can feed it faster."""
    model.train()
    start = time.perf_counter()
    for _ in range(batches):
        model.train_step(x, y, optimizers)
    finish(device)
    return batches * len(x) / (time.perf_counter() - start)


def train_step_flops(model, x, y, optimizers) -> int:
    """Floating-point operations of one train step, forward and backward (it also trains)."""
    with FlopCounterMode(display=False) as counter:
        model.train_step(x, y, optimizers)
    return counter.get_total_flops()


def matmul_gflops(device, n: int = 2048, repeats: int = 10) -> float:
    """Dense fp32 speed of the machine: a large matrix product, the best case for any model."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(2):
        a @ b
    finish(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    finish(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def run(device: torch.device, rounds: int = 3, batches: int = 40, family: str = "conv_ae", **config) -> dict:
    ensure_files("mnist", default_data_dir())
    # "spawn", not "fork": a forked child would inherit this process's allocator settings.
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    reference = context.Process(target=reference_process, args=(child_conn, str(device), family, config), daemon=True)
    reference.start()
    try:
        keep_freed_memory()  # as train_all.py's fit() does
        split = load_split("mnist", True)
        images, labels = split.images.to(device), split.labels.to(device)
        torch.manual_seed(0)
        model = prepare(build(family, **config), device)
        optimizers = make_optimizers(model, 1e-3)  # train_all.py's: fused Adam where available
        fixed_batch = batch_from(images, labels, torch.arange(BATCH, device=device))
        # One warm-up batch each (allocations, kernel selection) before anything is timed.
        ours_images_per_second(model, images, labels, optimizers, 1, device)
        conn.send(1)
        conn.recv()
        ours, ref, step_only, gflops = [], [], [], []
        for _ in range(rounds):
            ours.append(ours_images_per_second(model, images, labels, optimizers, batches, device))
            conn.send(batches)
            ref.append(conn.recv())
            step_only.append(step_only_images_per_second(model, *fixed_batch, optimizers, batches, device))
            gflops.append(matmul_gflops(device))  # in every round: a shared machine's speed drifts
        conn.send(None)
        flops_per_image = train_step_flops(model, *fixed_batch, optimizers) / BATCH
    finally:
        reference.join(timeout=60)
        if reference.is_alive():
            reference.kill()
    ours_med, ref_med, step_med, gflops_med = (statistics.median(v) for v in (ours, ref, step_only, gflops))
    bound = gflops_med * 1e9 / flops_per_image
    return {"device": str(device), "model": family, "config": config, "batch": BATCH, "rounds": rounds,
            "batches_per_round": batches, "ours_images_per_s": ours_med, "reference_images_per_s": ref_med,
            "speedup": ours_med / ref_med, "step_only_images_per_s": step_med, "speedup_bound": step_med / ref_med,
            "flops_per_image": flops_per_image, "matmul_gflops": gflops_med, "arithmetic_bound_images_per_s": bound,
            "speedup_ceiling": bound / ref_med,
            "ours_all": ours, "reference_all": ref, "step_only_all": step_only, "matmul_gflops_all": gflops}
