"""Every autoencoder of the lesson, and the conditional VAE that goes beyond it.

    blocks.py  outputs, the Gaussian posterior, shared layers, the `Autoencoder` base class
    dense.py   fully connected AEs          conv.py  convolutional AE, denoiser, super-resolution, AAE
    vae.py     VAE, convolutional VAE, conditional VAE

`MODELS` maps a family name to its class; `config.json` stores that name and the config,
and the model is rebuilt with `build(family, **config)`. A new variant is a subclass that
overrides what differs, its config (a subclass of its parent's), and an entry here.
"""

from __future__ import annotations

from explorer.models.blocks import TASKS, Autoencoder, DiagonalGaussian, ModelOutput, Task, bce_per_image
from explorer.models.conv import AAE, AAEConfig, ConvAE, ConvAEConfig, DenoisingAE, DenoisingAEConfig
from explorer.models.conv import SuperResolution, SuperResolutionConfig
from explorer.models.dense import AE, AEConfig, SparseAE, SparseAEConfig
from explorer.models.vae import CVAE, VAE, ConvVAE, ConvVAEConfig, CVAEConfig, VAEConfig

MODELS: dict[str, type[Autoencoder]] = {
    "ae": AE,
    "sparse_ae": SparseAE,
    "conv_ae": ConvAE,
    "denoising_ae": DenoisingAE,
    "super_resolution": SuperResolution,
    "vae": VAE,
    "conv_vae": ConvVAE,
    "cvae": CVAE,
    "aae": AAE,
}


def build(family: str, **config) -> Autoencoder:
    if family not in MODELS:
        raise ValueError(f"unknown model family {family!r}; choose from {sorted(MODELS)}")
    cls = MODELS[family]
    # JSON turns tuples into lists; the frozen configs want tuples.
    config = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    return cls(cls.config_class(**config))


def family_of(model: Autoencoder) -> str:
    """The registry name of a model's class (what config.json stores)."""
    return next(k for k, v in MODELS.items() if type(model) is v)


__all__ = [
    "AAE", "AE", "CVAE", "MODELS", "TASKS", "VAE", "AAEConfig", "AEConfig", "Autoencoder", "CVAEConfig", "ConvAE",
    "ConvAEConfig", "ConvVAE", "ConvVAEConfig", "DenoisingAE", "DenoisingAEConfig", "DiagonalGaussian", "ModelOutput",
    "SparseAE", "SparseAEConfig", "SuperResolution", "SuperResolutionConfig", "Task", "VAEConfig", "bce_per_image",
    "build", "family_of",
]
