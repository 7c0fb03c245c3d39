"""Candidate architectures and recipes, measured the way the shipped ones were chosen.

    python -m benchmarks.recipes --family conv_ae-32          # quality after E epochs, each candidate
    python -m benchmarks.recipes --family conv_vae-2 --device cuda --workers 12
    python -m benchmarks.recipes --step-times                 # CPU milliseconds per training step
    python -m benchmarks.recipes --layer-times conv_ae-32     # where one shipped model's step goes

Time to quality is (seconds per step on the target machine) x (steps until the figure is
met). The two factors are measured apart: quality after E epochs barely depends on the
device, so a GPU can run many candidates side by side (`--workers`), while seconds per step
are timed on the CPU the release is trained on (`--step-times`, nothing else running). The
docs/time_to_quality.md gives the figures that decided each release.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time

import torch

from explorer.releases import RELEASES, SHORT_RUN

# Candidates per release: (family, config, TrainConfig fields, epoch counts to try).
FAST = {"batch_size": 64, "lr": 3e-3}
CANDIDATES: dict[str, list[tuple[str, dict, dict, list[int]]]] = {
    "conv_ae-32": [("conv_ae", {"latent_dim": 32, "channels": ch, "hidden": h}, FAST, [6, 10, 14])
                   for ch, h in [((16, 32), 256), ((16, 32), 512), ((16, 64), 256), ((32, 32), 384), ((32, 64), 256)]]
                  # The widest at a higher peak learning rate, for fewer epochs.
                  + [("conv_ae", {"latent_dim": 32, "channels": (32, 64), "hidden": 256}, {"batch_size": 64, "lr": lr}, epochs)
                     for lr, epochs in [(4e-3, [17]), (5e-3, [16]), (6e-3, [14])]]
                  # A straight-line decay and Adam's beta2 apart and together (SHORT_RUN in
                  # explorer/releases.py; the shipped one: both, 13 epochs).
                  + [("conv_ae", {"latent_dim": 32, "channels": (32, 64), "hidden": 256},
                      {"batch_size": 64, "lr": 6e-3, "schedule": schedule, "adam_beta2": beta2}, epochs)
                     for schedule, beta2, epochs in [("linear", 0.999, [12, 14]), ("cosine", 0.99, [14]),
                                                     ("linear", 0.99, [12, 13]), ("linear", 0.95, [12])]],
    "conv_ae-2": [("conv_ae", {"latent_dim": 2, "hidden": h, "neck": n}, FAST, [4, 6, 10])
                  for h, n in [(128, 64), (128, 128), (256, 128)]]
                 + [("conv_ae", {"latent_dim": 2, "neck": 64}, {**FAST, **SHORT_RUN}, [10])],
    "conv_vae-2": [("conv_vae", {"latent_dim": 2, "channels": ch, "hidden": h, "neck": n}, FAST, [5, 8])
                   for ch, h, n in [((16, 32), 128, 0), ((16, 32), 128, 128), ((16, 32), 256, 0),
                                    ((16, 32), 256, 128), ((32, 64), 128, 0)]]
                  + [("conv_vae", {"latent_dim": 2, "neck": 128}, {**FAST, **SHORT_RUN}, [4])],
    # The cosine on one thread landed 0.05 nats over the target (train_all.py, 2026-11-27); SHORT_RUN
    # at 6 epochs, and at 5 for the time it would save.
    "cvae-2": [("cvae", {"latent_dim": 2, "neck": 128}, train, epochs)
               for train, epochs in [(FAST, [6]), ({**FAST, **SHORT_RUN}, [5, 6])]],
    "aae-2": [("aae", {"latent_dim": 2, "neck": 64}, train, epochs)
              for train, epochs in [({"batch_size": 128, "lr": 2e-3}, [3, 4]),
                                    ({"batch_size": 128, "lr": 2e-3, **SHORT_RUN}, [3])]],
    "denoising_ae": [("denoising_ae", {"channels": ch, "global_hidden": g}, train, epochs)
                     for ch, g, train, epochs in [((32, 64), 64, {"batch_size": 128, "lr": 2e-3}, [12, 16, 20]),
                                                  ((32, 64), 64, FAST, [12, 16]),
                                                  ((32, 64), 96, {"batch_size": 128, "lr": 2e-3}, [12, 16]),
                                                  ((16, 32), 128, {"batch_size": 128, "lr": 2e-3}, [8, 16, 20])]]
                    # The shipped denoiser's shape (8 maps at 28x28): narrower, at batch 64, at a higher learning rate.
                    + [("denoising_ae", {"channels": ch, "global_hidden": 256, "fine": 8}, train, epochs)
                       for ch, train, epochs in [((24, 64), {"batch_size": 128, "lr": 2e-3}, [14]),
                                                 ((32, 64), FAST, [11]),
                                                 ((32, 64), {"batch_size": 128, "lr": 3e-3}, [12])]]
                    # With the skip from the encoder's 14x14 maps (the shipped one: 8 epochs at 2e-3).
                    + [("denoising_ae", {"channels": (32, 64), "global_hidden": 256, "fine": 8, "skip": True},
                        {"batch_size": 128, "lr": lr}, epochs)
                       for lr, epochs in [(2e-3, [8, 9, 11, 14]), (3e-3, [8])]]
                    + [("denoising_ae", {"channels": (24, 64), "global_hidden": 256, "fine": 8, "skip": True},
                        {"batch_size": 128, "lr": 2e-3}, [8])]
                    # The skip with SHORT_RUN (the shipped one: 6 epochs).
                    + [("denoising_ae", {"channels": (32, 64), "global_hidden": 256, "fine": 8, "skip": True},
                        {"batch_size": 128, "lr": 2e-3, **SHORT_RUN}, [6, 7])],
}


def quality(spec: dict) -> dict:
    """Train one candidate for spec["epochs"] epochs; its figures on the 10,000 test images."""
    from explorer import metrics, noise
    from explorer.data import batched, load_split
    from explorer.evaluate import negative_elbo
    from explorer.models import build
    from explorer.train import TrainConfig, fit, pick_device

    device = pick_device(spec["device"])
    torch.manual_seed(0)
    model = build(spec["family"], **spec["config"])
    train, test = load_split("mnist", True), load_split("mnist", False)
    start = time.perf_counter()
    fit(model, train, TrainConfig(epochs=spec["epochs"], **spec["train"]), device, progress=False)
    out = {**spec, "seconds": round(time.perf_counter() - start, 1),
           "parameters": sum(p.numel() for p in model.parameters())}
    model = model.cpu().eval()
    y = test.labels if model.conditional else None
    if model.task == "denoise":
        noisy = noise.corrupt(test.floats, "gaussian", 0.5, seed=1234)
        out["psnr_sigma_0.5"] = round(metrics.psnr(batched(model.reconstruct, noisy), test.floats), 3)
        return out
    out["mse"] = round(metrics.mse(batched(model.reconstruct, test.floats, y), test.floats), 5)
    if model.latent_dim == 2:
        train_y = train.labels if model.conditional else None
        out["knn_accuracy"] = metrics.knn_accuracy(batched(model.encode, train.floats, train_y), train.labels,
                                                   batched(model.encode, test.floats, y), test.labels)
    if hasattr(model, "posterior"):
        out["neg_elbo"] = round(negative_elbo(model, test.floats, test.labels)["neg_elbo"], 2)
    return out


def milliseconds(fn, steps: int, warmup: int = 4) -> float:
    """Milliseconds per call of `fn`, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps * 1000


def random_batch(batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random binary images, channels-last as the training loop makes them, and labels 0..9."""
    x = torch.rand(batch_size, 1, 28, 28).round().contiguous(memory_format=torch.channels_last)
    return x, torch.arange(batch_size) % 10


def step_milliseconds(family: str, config: dict, batch_size: int, steps: int = 20) -> float:
    """CPU milliseconds per training step on random binary images, after 4 warm-up steps."""
    from explorer.models import build
    from explorer.train import keep_freed_memory, make_optimizers, prepare

    keep_freed_memory()
    model = prepare(build(family, **config), torch.device("cpu"))
    optimizers = make_optimizers(model, 1e-3)
    x, y = random_batch(batch_size)
    return milliseconds(lambda: model.train_step(x, y, optimizers), steps)


def layer_times(release_name: str, steps: int = 50) -> list[dict]:
    """Where a training step of a shipped release goes, on the CPU at its batch size:
    each layer's forward + backward alone (on the input it gets in the model, in that layout),
    its FLOPs (PyTorch's counter) and their rate; then the model's whole forward and backward,
    Adam's update and the whole step. The layers alone add up to a little more than the
    forward and backward: each pays the autograd call that the model pays once."""
    from torch.utils.flop_counter import FlopCounterMode

    from explorer.models import build
    from explorer.train import keep_freed_memory, make_optimizers, prepare

    keep_freed_memory()
    release = RELEASES[release_name]
    model = prepare(build(release.family, **release.config), torch.device("cpu"))
    batch_size = release.train.batch_size
    x, y = random_batch(batch_size)
    seen: list[tuple[str, torch.nn.Module, torch.Tensor]] = []  # leaf layers in the order they run
    hooks = [module.register_forward_hook(lambda m, args, out, name=name: seen.append((name, m, args[0].detach())))
             for name, module in model.named_modules() if not list(module.children())]
    model.loss(x, y)
    for hook in hooks:
        hook.remove()

    def fwd_bwd(layer, inp):
        out = layer(inp)
        out.backward(torch.ones_like(out))

    rows = []
    for i, (name, layer, inp) in enumerate(seen):
        inp = inp.clone(memory_format=torch.preserve_format).requires_grad_(i > 0)  # the image needs no gradient
        with FlopCounterMode(display=False) as counter:
            fwd_bwd(layer, inp)
        ms = milliseconds(lambda: fwd_bwd(layer, inp), steps)
        flops = counter.get_total_flops()
        rows.append({"layer": name, "kind": type(layer).__name__, "input": list(inp.shape), "ms": round(ms, 2),
                     "mflop": round(flops / 1e6, 1), "gflops": round(flops / ms / 1e6, 1) if flops else None})
    optimizers = make_optimizers(model, 1e-3)
    model.train_step(x, y, optimizers)  # Adam's state exists from here on
    rows.append({"layer": "the layers above, each alone", "ms": round(sum(r["ms"] for r in rows), 2)})
    rows.append({"layer": "forward and backward of the loss", "ms": round(milliseconds(lambda: model.loss(x, y).loss.backward(), steps), 2)})
    rows.append({"layer": "Adam", "ms": round(milliseconds(lambda: [o.step() for o in optimizers.values()], steps), 2)})
    rows.append({"layer": "the whole training step", "ms": round(milliseconds(lambda: model.train_step(x, y, optimizers), steps), 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", choices=sorted(CANDIDATES), nargs="+", default=sorted(CANDIDATES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--workers", type=int, default=1, help="candidates trained side by side (GPU)")
    parser.add_argument("--step-times", action="store_true", help="only time a training step of each candidate on the CPU")
    parser.add_argument("--layer-times", metavar="RELEASE", choices=sorted(RELEASES),
                        help="only time each layer of a shipped release's training step on one CPU thread")
    args = parser.parse_args(argv)
    if args.layer_times:
        torch.set_num_threads(1)  # as train_all.py trains each of its two models at a time
        for row in layer_times(args.layer_times):
            print(json.dumps(row), flush=True)
        return 0
    candidates = [(release, *c) for release in args.family for c in CANDIDATES[release]]
    if args.step_times:
        for release, family, config, train, _ in candidates:
            ms = step_milliseconds(family, config, train["batch_size"])
            print(json.dumps({"release": release, "family": family, "config": config, "batch_size": train["batch_size"],
                              "ms_per_step": round(ms, 1), "seconds_per_epoch": round(ms / 1000 * 60000 / train["batch_size"], 1)}),
                  flush=True)
        return 0
    specs = [{"release": release, "family": family, "config": config, "train": train, "epochs": e, "device": args.device}
             for release, family, config, train, epochs in candidates for e in epochs]
    # "spawn": each worker its own CUDA context, and none inherits this process's state.
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for result in pool.imap_unordered(quality, specs):
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
