"""The shipped models: one `Release` per name under `pretrained/<dataset>/`, and the version report
written into every card.

`train_all.py` trains these, the benchmarks reuse their recipes, the tests check the shipped
folders against them, and the app's model pickers read their labels. A new variant is one
entry here (see the README's "Add a model variant").
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field, replace
from importlib import metadata

from explorer.beta import BETA_HIDDEN, BETAS, beta_release
from explorer.models import MODELS, Task
from explorer.train import TrainConfig


@dataclass(frozen=True)
class Release:
    family: str  # a key of `explorer.models.MODELS`
    description: str  # one sentence for the model card
    label: str  # what the app's model pickers show
    config: dict = field(default_factory=dict)  # overrides of the family's config defaults
    train: TrainConfig = TrainConfig()
    # Weights are stored in float16: half the download, and every figure changes by under 1e-4
    # (the card measures the rounded weights).
    half: bool = True
    # The large dense matrices as int8 rows (explorer/quantize.py): for the two biggest models,
    # whose figures move by under 0.1% with it.
    int8: bool = False
    history: bool = True  # 2-D models: record how the latent plane learns (explorer/history.py)
    picker: bool = True  # listed by the app's model pickers; the beta set has a page of its own

    @property
    def task(self) -> Task:
        return MODELS[self.family].task

    @property
    def latent_dim(self) -> int | None:
        return getattr(MODELS[self.family].config_class(**self.config), "latent_dim", None)


# Every model is sized and scheduled for time to quality on a 2-core CPU (docs/time_to_quality.md):
# the convolutional models use stride-2 convolutions, a sub-pixel output and narrow dense
# layers, with the epochs each needs to meet its quality target; batch 64 where more, smaller
# steps reached the target sooner; the denoiser keeps a full-resolution stage (see
# `DenoisingAEConfig.fine`). README's Results gives each model's figures; docs/benchmarks.md, "What train_all.py trains", its time.
FAST = TrainConfig(epochs=5, batch_size=64, lr=3e-3)
# A straight-line decay of the learning rate and Adam's beta2 at 0.99 (`TrainConfig`) for six
# convolutional models. Five reach their quality in fewer epochs (conv_ae-32 13 instead of 16,
# the denoiser 6 instead of 8, conv_ae-2 10 instead of 12, conv_vae-2 4 instead of 5, aae-2 3
# instead of 4; docs/time_to_quality.md). Super-resolution x2 missed its target with one epoch less.
# cvae-2 keeps its 6 epochs, which with SHORT_RUN meet its target on one thread too (the cosine missed it).
SHORT_RUN = {"schedule": "linear", "adam_beta2": 0.99}
RELEASES: dict[str, Release] = {
    "ae-32": Release("ae", "Fully connected deep autoencoder 784-128-64-32 (Keras blog).",
                     "Deep AE, fully connected (32-D)",
                     {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "sparse_ae-32": Release("sparse_ae", "Fully connected AE with an L1 activity penalty on its 32-D code.",
                            "Sparse AE (32-D)",
                            {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "conv_ae-2": Release("conv_ae", "The lesson's convolutional AE squeezed to a 2-D code.",
                         "Convolutional AE",
                         {"latent_dim": 2, "neck": 64}, replace(FAST, epochs=10, **SHORT_RUN)),
    "conv_ae-32": Release("conv_ae", "The lesson's convolutional AE with a 32-D code.",
                          "Convolutional AE (32-D)",
                          {"latent_dim": 32, "channels": (32, 64), "hidden": 256},
                          # A higher peak learning rate than FAST's, and SHORT_RUN: the target in 13 epochs instead of 20.
                          replace(FAST, epochs=13, lr=6e-3, **SHORT_RUN),
                          int8=True),
    "denoising_ae": Release("denoising_ae", "Convolutional denoiser trained on fresh Gaussian and salt-and-pepper noise.",
                            "Denoising AE",
                            # The skip from the encoder's 14x14 maps, and SHORT_RUN: the target in 6 epochs instead of 14.
                            {"channels": (32, 64), "global_hidden": 256, "fine": 8, "skip": True},
                            TrainConfig(epochs=6, **SHORT_RUN),
                            int8=True),
    "super_resolution-x2": Release("super_resolution", "14x14 -> 28x28 super-resolution on top of bicubic.",
                                   "Super-resolution x2",
                                   {"factor": 2}, TrainConfig(epochs=3)),
    "super_resolution-x4": Release("super_resolution", "7x7 -> 28x28 super-resolution on top of bicubic.",
                                   "Super-resolution x4",
                                   {"factor": 4, "subpixel": True}, TrainConfig(epochs=4)),
    "vae-2": Release("vae", "The lesson's fully connected VAE with a 2-D latent.",
                     "VAE (fully connected)",
                     {"latent_dim": 2}, TrainConfig(epochs=20, batch_size=256, lr=2e-3)),
    "conv_vae-2": Release("conv_vae", "Convolutional VAE with a 2-D latent: the lesson's assignment.",
                          "Convolutional VAE",
                          {"latent_dim": 2, "neck": 128}, replace(FAST, epochs=4, **SHORT_RUN)),
    "cvae-2": Release("cvae", "Conditional convolutional VAE: decode(z, digit) draws any digit in any style.",
                      "Conditional VAE",
                      {"latent_dim": 2, "neck": 128}, replace(FAST, epochs=6, **SHORT_RUN)),
    "aae-2": Release("aae", "Adversarial autoencoder with a 2-D Gaussian prior on its code.",
                     "Adversarial AE",
                     {"latent_dim": 2, "neck": 64}, TrainConfig(epochs=3, **SHORT_RUN)),
}
# The beta trade-off (app_pages/beta.py): vae-2's recipe at nine KL weights (up to posterior collapse), with a narrower
# hidden layer so the nine fit in ~1.4 MB together.
RELEASES.update({
    beta_release(beta): Release("vae", f"The fully connected 2-D VAE with its KL term weighted by beta = {beta:g}.",
                                f"VAE, beta = {beta:g}", {"latent_dim": 2, "hidden": BETA_HIDDEN, "beta": beta},
                                TrainConfig(epochs=20, batch_size=256, lr=2e-3),
                                history=False,  # nine histories would add 8 MB; vae-2's is the one shown
                                picker=False)
    for beta in BETAS
})


def names_for(task: Task, latent_dim: int | None = None) -> list[str]:
    """Release names of one task (and code size), in release order: what a model picker lists."""
    return [n for n, r in RELEASES.items()
            if r.picker and r.task == task and (latent_dim is None or r.latent_dim == latent_dim)]


# Distribution names (importlib.metadata), so reading a version never imports the package.
REPORTED_PACKAGES = ("torch", "torchvision", "numpy", "scikit-learn", "safetensors")


def versions() -> dict[str, str]:
    """Python's and each reported package's version ("missing" where it is not installed)."""
    report = {"python": platform.python_version()}
    for package in REPORTED_PACKAGES:
        try:
            report[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            report[package] = "missing"
    return report
