"""One training loop for every variant (model-agnostic, as in minGPT's trainer).

The whole training split lives on the device as one uint8 tensor; each batch is an index
slice converted to float there, so no DataLoader, no per-sample transforms. After every
epoch a resume checkpoint (model, optimisers, schedulers, epoch, history) is written
atomically, so an interrupted run continues where it stopped with `--resume`.
"""

from __future__ import annotations

import ctypes
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from explorer.atomic import replace_atomically
from explorer.data import Split
from explorer.models import Autoencoder

LOG_EVERY = 20  # steps between progress-bar updates: the only time a loss is read as a number


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3  # peak learning rate; warm-up then decay to 0
    warmup_fraction: float = 0.05
    seed: int = 0
    # The decay after the warm-up: half a cosine, or a straight line to 0, which leaves less of
    # the run near the peak and less near 0 (Defazio et al. 2023 find it at least as good).
    schedule: Literal["cosine", "linear"] = "cosine"
    # Adam's second-moment decay. 0.99 forgets old gradient scales ten times sooner than the
    # default 0.999, which a short run at a high learning rate can use (conv_ae-32: docs/time_to_quality.md).
    adam_beta2: float = 0.999


@dataclass
class TrainResult:
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    seconds: float = 0.0
    epochs_done: int = 0


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but PyTorch sees no CUDA GPU here")
    if name == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("--device mps was asked for, but this PyTorch has no Apple MPS backend")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def warmup_then_decay(total_steps: int, warmup_fraction: float, schedule: str = "cosine"):
    """The learning-rate factor per step: a linear warm-up to 1, then `schedule`'s decay to 0."""
    if schedule not in ("cosine", "linear"):
        raise ValueError(f"unknown learning-rate schedule {schedule!r}: use 'cosine' or 'linear'")
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        if schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def adam(params, lr: float, **kwargs) -> torch.optim.Adam:
    """Adam with the fused kernel where PyTorch has one (CPU, CUDA): one pass over the
    parameters instead of a dozen element-wise ops each, which saves a fifth of a conv AE
    training step on a 2-core CPU."""
    params = list(params)
    fused = params[0].device.type in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, fused=fused, **kwargs)


def make_optimizers(model: Autoencoder, lr: float, beta2: float = 0.999) -> dict[str, torch.optim.Optimizer]:
    """One Adam per group the model names (the adversarial AE names three); `beta2` applies
    where a group does not set its own betas."""
    return {name: adam(**{"betas": (0.9, beta2), **group}) for name, group in model.optimizer_groups(lr).items()}


def save_checkpoint(state: dict, path: Path) -> None:
    with replace_atomically(path) as tmp:
        torch.save(state, tmp)


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the OS.

    A training step frees and re-allocates the same few-megabyte activation buffers every
    batch. glibc serves blocks that size with mmap and unmaps them on free, so each step
    touched ~10,000 fresh pages: on the 2-core CPU a conv AE step took 131 ms, 113 ms with
    this (the page faults were 25 ms of system time per step). The cost: the process keeps
    its peak working set until it exits, which a training run does anyway. Returns False
    (and does nothing) where the C library is not glibc (macOS, Windows, musl).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) and libc.mallopt(M_MMAP_THRESHOLD, 32 << 20))
    except (OSError, AttributeError):
        return False


def prepare(model: Autoencoder, device: torch.device) -> Autoencoder:
    # channels_last (NHWC) convolutions run about a third faster on CPUs and on GPUs.
    return model.to(device, memory_format=torch.channels_last)


def batch_from(images: torch.Tensor, labels: torch.Tensor, idx: torch.Tensor):
    """A batch sliced from device-resident uint8 images and converted there: no DataLoader,
    no per-sample transforms. Returns (B, 1, 28, 28) floats in [0, 1] and (B,) labels."""
    x = images[idx].float().div_(255.0).contiguous(memory_format=torch.channels_last)
    return x, labels[idx]


def fit(
    model: Autoencoder,
    train: Split,
    config: TrainConfig,
    device: torch.device,
    desc: str = "train",
    checkpoint: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    callback: Callable[[Autoencoder, int, dict], None] | None = None,
    bar_line: int | None = None,
) -> TrainResult:
    """Train `model` in place on `train` (uint8 images already on any device).

    `callback(model, step, logs)` runs before the first step (step 0, empty logs) and after
    every step (1..total) with that step's logged losses: the training history uses it.
    `bar_line`: the terminal line of the progress bar, when several runs share a terminal."""
    seed_everything(config.seed)
    keep_freed_memory()
    prepare(model, device)
    images, labels = train.images.to(device), train.labels.to(device)
    n = len(labels)
    batch_size = min(config.batch_size, n)
    steps_per_epoch = n // batch_size  # drop the ragged last batch: BatchNorm dislikes size 1
    total_steps = config.epochs * steps_per_epoch

    optimizers = make_optimizers(model, config.lr, config.adam_beta2)
    schedulers = {
        k: torch.optim.lr_scheduler.LambdaLR(opt, warmup_then_decay(total_steps, config.warmup_fraction, config.schedule))
        for k, opt in optimizers.items()
    }
    result = TrainResult()
    # The permutation comes from its own generator so resuming replays the same batches.
    order_rng = torch.Generator().manual_seed(config.seed)

    if resume and checkpoint is not None and checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        for k in optimizers:
            optimizers[k].load_state_dict(state["optimizers"][k])
            schedulers[k].load_state_dict(state["schedulers"][k])
        result = TrainResult(**state["result"])
        order_rng.set_state(state["order_rng"])
        torch.set_rng_state(state["torch_rng"])

    start = time.perf_counter() - result.seconds
    if callback is not None and result.epochs_done == 0:
        callback(model, 0, {})
    for epoch in range(result.epochs_done, config.epochs):
        model.train()
        perm = torch.randperm(n, generator=order_rng).to(device)
        bar = tqdm(range(steps_per_epoch), desc=f"{desc} {epoch + 1}/{config.epochs}",
                   leave=False, disable=not progress, mininterval=0.5, position=bar_line)
        # Sums stay on the device; a loss becomes a Python number only when it is shown,
        # so a step never waits for queued GPU work.
        total = torch.zeros((), device=device)
        for step in bar:
            idx = perm[step * batch_size:(step + 1) * batch_size]
            logs = model.train_step(*batch_from(images, labels, idx), optimizers)
            loss = logs["loss"]
            for sched in schedulers.values():
                sched.step()
            if callback is not None:
                callback(model, epoch * steps_per_epoch + step + 1, logs)
            total += loss
            running = loss if step == 0 else running.lerp(loss, 0.05)  # a smoothed loss to show
            if step % LOG_EVERY == 0 and progress:
                bar.set_postfix(loss=f"{running.item():.4g}")
        result.epoch_losses.append(total.item() / steps_per_epoch)
        result.epochs_done = epoch + 1
        result.seconds = time.perf_counter() - start
        if checkpoint is not None:
            save_checkpoint({
                "model": model.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in schedulers.items()},
                "result": asdict(result),
                "order_rng": order_rng.get_state(),
                "torch_rng": torch.get_rng_state(),
                "train_config": asdict(config),
            }, checkpoint)
    model.eval()
    return result
