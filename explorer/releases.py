"""The shipped models: one `Release` per name under `pretrained/<dataset>/`, and the version report
written into every card.

`train_all.py` trains these, the benchmarks reuse their recipes, the tests check the shipped
folders against them, and the app's model pickers read their labels. A new variant is one
entry here (see the README's "Add a model variant").
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
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
    half: bool = False  # store the weights in float16 (the beta set: seven models in ~3 MB)
    history: bool = True  # 2-D models: record how the latent plane learns (explorer/history.py)
    picker: bool = True  # listed by the app's model pickers; the beta set has a page of its own

    @property
    def task(self) -> Task:
        return MODELS[self.family].task

    @property
    def latent_dim(self) -> int | None:
        return getattr(MODELS[self.family].config_class(**self.config), "latent_dim", None)


# Epochs are sized so the whole set trains in under 45 minutes on a 2-core CPU; README's
# Results gives each model's figures and time. Convolutional models keep TrainConfig's
# batch 128: on this CPU an epoch at 256 takes as long and makes half the steps.
RELEASES: dict[str, Release] = {
    "ae-32": Release("ae", "Fully connected deep autoencoder 784-128-64-32 (Keras blog).",
                     "Deep AE, fully connected (32-D)",
                     {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "sparse_ae-32": Release("sparse_ae", "Fully connected AE with an L1 activity penalty on its 32-D code.",
                            "Sparse AE (32-D)",
                            {"latent_dim": 32}, TrainConfig(epochs=20, batch_size=256, lr=3e-3)),
    "conv_ae-2": Release("conv_ae", "The lesson's convolutional AE squeezed to a 2-D code.",
                         "Convolutional AE",
                         {"latent_dim": 2, "neck": 128}, TrainConfig(epochs=15)),
    "conv_ae-32": Release("conv_ae", "The lesson's convolutional AE with a 32-D code.",
                          "Convolutional AE (32-D)",
                          {"latent_dim": 32}, TrainConfig(epochs=20)),
    "denoising_ae": Release("denoising_ae", "Convolutional denoiser trained on fresh Gaussian and salt-and-pepper noise.",
                            "Denoising AE",
                            {}, TrainConfig(epochs=14)),
    "super_resolution-x2": Release("super_resolution", "14x14 -> 28x28 super-resolution on top of bicubic.",
                                   "Super-resolution x2",
                                   {"factor": 2}, TrainConfig(epochs=3)),
    "super_resolution-x4": Release("super_resolution", "7x7 -> 28x28 super-resolution on top of bicubic.",
                                   "Super-resolution x4",
                                   {"factor": 4}, TrainConfig(epochs=3)),
    "vae-2": Release("vae", "The lesson's fully connected VAE with a 2-D latent.",
                     "VAE (fully connected)",
                     {"latent_dim": 2}, TrainConfig(epochs=20, batch_size=256, lr=2e-3)),
    "conv_vae-2": Release("conv_vae", "Convolutional VAE with a 2-D latent: the lesson's assignment.",
                          "Convolutional VAE",
                          {"latent_dim": 2}, TrainConfig(epochs=5)),
    "cvae-2": Release("cvae", "Conditional convolutional VAE: decode(z, digit) draws any digit in any style.",
                      "Conditional VAE",
                      {"latent_dim": 2}, TrainConfig(epochs=5)),
    "aae-2": Release("aae", "Adversarial autoencoder with a 2-D Gaussian prior on its code.",
                     "Adversarial AE",
                     {"latent_dim": 2}, TrainConfig(epochs=3)),
}
# The beta trade-off (app_pages/beta.py): vae-2's recipe at seven KL weights, with a narrower
# hidden layer and float16 storage so the seven fit in ~3 MB together.
RELEASES.update({
    beta_release(beta): Release("vae", f"The fully connected 2-D VAE with its KL term weighted by beta = {beta:g}.",
                                f"VAE, beta = {beta:g}", {"latent_dim": 2, "hidden": BETA_HIDDEN, "beta": beta},
                                TrainConfig(epochs=20, batch_size=256, lr=2e-3), half=True,
                                history=False,  # seven histories would add 6 MB; vae-2's is the one shown
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
