"""What every model is built from: outputs, the Gaussian posterior, layers and the base class.

Each model family has a frozen config dataclass and owns its loss. All models share one
interface: `encode(x)`, `decode(z)`, `reconstruct(x)` and `loss(x, y) -> ModelOutput`, with
images as float tensors (B, 1, H, W) in [0, 1]. `train_step` does one optimisation step and
is overridden only by the adversarial AE, which needs three optimisers. Each class declares
its `task`, the one answer to "what kind of model is this" that callers dispatch on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

# What a model does, declared once per class and stored in its card: "latent" models squeeze a
# digit into a vector code (`latent_dim`), "denoise" and "super_resolution" map an image to an
# image. Evaluation, cards and the app's model lists dispatch on it.
Task = Literal["latent", "denoise", "super_resolution"]
TASKS: tuple[Task, ...] = ("latent", "denoise", "super_resolution")


@dataclass
class ModelOutput:
    loss: torch.Tensor  # scalar the optimiser minimises
    # Logged parts of the loss, detached tensors: read as numbers only when logged, so a
    # training step never waits for the GPU (nanoGPT's log interval).
    terms: dict[str, torch.Tensor] = field(default_factory=dict)


class DiagonalGaussian:
    """q(z|x) = N(mean, exp(logvar)): the log-variance is used everywhere, never log-sigma."""

    def __init__(self, mean: torch.Tensor, logvar: torch.Tensor):
        self.mean = mean
        self.logvar = logvar.clamp(-30.0, 20.0)  # keeps exp() finite early in training
        self.std = torch.exp(0.5 * self.logvar)

    def sample(self) -> torch.Tensor:
        # The reparameterisation trick: z = mean + std * eps, eps ~ N(0, I).
        return self.mean + self.std * torch.randn_like(self.std)

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl(self) -> torch.Tensor:
        # KL(q || N(0, I)) per example, Kingma & Welling 2014, Appendix B:
        # -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2).
        return -0.5 * torch.sum(1 + self.logvar - self.mean.pow(2) - self.logvar.exp(), dim=1)


def bce_per_image(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under a Bernoulli decoder, summed over pixels: nats per image, (B,)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


# --------------------------------------------------------------------------- building blocks


def conv_encoder(channels: tuple[int, int], hidden: int, out_features: int, in_channels: int = 1,
                 neck: int = 0) -> nn.Module:
    """(B, in, 28, 28) -> (B, out_features): two stride-2 convolutions to 7x7, then an MLP.

    The hidden fully connected layer matters: without it the code is a linear read-out of
    the 7x7 feature maps, and reconstructions at 32-D are about 20% worse for the same time.
    `neck` > 0 adds one more layer of that width before the code (see `ConvAEConfig.neck`).
    """
    c1, c2 = channels
    layers = [
        nn.Conv2d(in_channels, c1, 3, stride=2, padding=1),  # (B, c1, 14, 14)
        nn.BatchNorm2d(c1),
        nn.ReLU(),
        nn.Conv2d(c1, c2, 3, stride=2, padding=1),  # (B, c2, 7, 7)
        nn.BatchNorm2d(c2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * 7 * 7, hidden),
        nn.ReLU(),
    ]
    if neck:
        layers += [nn.Linear(hidden, neck), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(neck or hidden, out_features))


def conv_decoder(channels: tuple[int, int], hidden: int, in_features: int, neck: int = 0) -> nn.Module:
    """(B, in_features) -> (B, 1, 28, 28) logits; the mirror of `conv_encoder`, ending in a
    sub-pixel convolution: a 3x3 convolution at 14x14 makes 4 maps that PixelShuffle
    interleaves into the 28x28 image (Shi et al. 2016).

    Nothing runs at the full 28x28 resolution. Measured on the 2-core CPU (conv_ae-32,
    channels (16, 32), 3 epochs): the earlier full-resolution stage (a transposed convolution
    to 8 maps at 28x28, BatchNorm, a 3x3 convolution) took 66 s to test MSE 0.00612; the
    sub-pixel ending 39 s to 0.00568. On a CPU, BatchNorm and convolutions over 8 channels of
    28x28 cost more than all the rest of the decoder together.
    """
    c1, c2 = channels
    first = [nn.Linear(in_features, neck), nn.ReLU(), nn.Linear(neck, hidden)] if neck else [nn.Linear(in_features, hidden)]
    return nn.Sequential(
        *first,
        nn.ReLU(),
        nn.Linear(hidden, c2 * 7 * 7),
        nn.ReLU(),
        nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),  # (B, c1, 14, 14)
        nn.BatchNorm2d(c1),
        nn.ReLU(),
        *subpixel_output(c1),
    )


def subpixel_output(in_channels: int) -> list[nn.Module]:
    """(B, in_channels, 14, 14) features -> (B, 1, 28, 28) logits: each of 4 maps at 14x14
    becomes one of the four pixels of every 2x2 block of the output."""
    return [nn.Conv2d(in_channels, 4, 3, padding=1), nn.PixelShuffle(2)]


def mlp(sizes: list[int], final_activation: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- base class


class Autoencoder(nn.Module):
    """Shared interface. Subclasses set `config_class` and build their layers."""

    config_class: type = None
    task: Task = "latent"
    conditional = False  # True when encode and decode need the digit label

    def __init__(self, config):
        super().__init__()
        self.config = config

    @property
    def latent_dim(self) -> int | None:
        return getattr(self.config, "latent_dim", None)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(z, y))

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, y), y)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> ModelOutput:
        logits = self.decode_logits(self.encode(x, y), y)
        # Bernoulli cross-entropy trains faster than MSE on MNIST's near-binary pixels;
        # we report MSE at evaluation.
        rec = bce_per_image(logits, x).mean()
        return ModelOutput(rec, {"bce": rec.detach()})

    def optimizer_groups(self, lr: float) -> dict[str, dict]:
        """What each optimiser steps: name -> Adam arguments (`params`, `lr`, ...). Which
        optimiser and how it runs is the trainer's business (`explorer.train.adam`)."""
        return {"model": {"params": self.parameters(), "lr": lr}}

    def train_step(self, x, y, optimizers) -> dict[str, torch.Tensor]:
        """One step; returns detached loss tensors (`loss` first), read only when logged."""
        out = self.loss(x, y)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        return {"loss": out.loss.detach(), **out.terms}


