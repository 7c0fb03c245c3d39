"""Variational autoencoders: the lesson's fully connected VAE, its convolutional version and
the conditional VAE that goes beyond it."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from explorer.models.blocks import Autoencoder, DiagonalGaussian, ModelOutput, bce_per_image, conv_decoder, conv_encoder, mlp
from explorer.models.conv import ConvAEConfig


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = 2  # 2-D so the latent plane can be drawn and explored
    hidden: int = 512
    hidden_layers: int = 1  # the lesson's; the likelihood benchmark uses 2
    beta: float = 1.0  # weight of the KL term; 1 is the plain VAE (the beta page trains 0.1 to 8)


class VAE(Autoencoder):
    """The lesson's fully connected VAE (Kingma & Welling 2014) with a Bernoulli decoder."""

    config_class = VAEConfig

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        # The encoder outputs mean and log-variance side by side: 2 * latent_dim features.
        self.encoder, self.decoder = self.networks(config)

    def networks(self, config) -> tuple[nn.Module, nn.Module]:
        """(encoder, decoder): the only thing the convolutional variants change."""
        hidden = [config.hidden] * config.hidden_layers
        return mlp([784, *hidden, 2 * config.latent_dim]), mlp([config.latent_dim, *hidden, 784])

    def encoder_input(self, x, y=None) -> torch.Tensor:
        return x.flatten(1)  # (B, 784)

    def posterior(self, x, y=None) -> DiagonalGaussian:
        mean, logvar = self.encoder(self.encoder_input(x, y)).chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar)

    def encode(self, x, y=None):
        return self.posterior(x, y).mode()  # the posterior mean

    def reparameterize(self, posterior: DiagonalGaussian) -> torch.Tensor:
        return posterior.sample()

    def decode_logits(self, z, y=None):
        return self.decoder(z).view(-1, 1, 28, 28)

    def loss(self, x, y):
        q = self.posterior(x, y)
        logits = self.decode_logits(self.reparameterize(q), y)
        rec = bce_per_image(logits, x).mean()
        kl = q.kl().mean()
        # Negative ELBO in nats per image = reconstruction NLL + KL (Kingma & Welling, eq. 10);
        # beta != 1 weights the KL term (Higgins et al. 2017, beta-VAE, eq. 4).
        return ModelOutput(rec + self.config.beta * kl, {"bce": rec.detach(), "kl": kl.detach()})


@dataclass(frozen=True)
class ConvVAEConfig(ConvAEConfig):
    latent_dim: int = 2  # 2-D so the latent plane can be drawn and explored
    beta: float = 1.0  # weight of the KL term, as in VAEConfig (whose loss this model uses)


class ConvVAE(VAE):
    """Convolutional VAE: the lesson's assignment. Only the networks differ from `VAE`."""

    config_class = ConvVAEConfig

    def networks(self, config):
        return (conv_encoder(config.channels, config.hidden, 2 * config.latent_dim, neck=config.neck),
                conv_decoder(config.channels, config.hidden, config.latent_dim, config.neck))

    def encoder_input(self, x, y=None):
        return x  # (B, 1, 28, 28)

    def decode_logits(self, z, y=None):
        return self.decoder(z)


@dataclass(frozen=True)
class CVAEConfig(ConvVAEConfig):
    num_classes: int = 10


class CVAE(ConvVAE):
    """Conditional VAE (Sohn et al. 2015): encoder and decoder both see the digit label,
    so the latent is free to encode style alone and `decode(z, digit)` draws any digit."""

    config_class = CVAEConfig
    conditional = True

    def networks(self, config):
        # The label enters the encoder as 10 constant one-hot image channels, the decoder
        # as 10 more inputs beside the code.
        return (conv_encoder(config.channels, config.hidden, 2 * config.latent_dim,
                             in_channels=1 + config.num_classes, neck=config.neck),
                conv_decoder(config.channels, config.hidden, config.latent_dim + config.num_classes, config.neck))

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y.long(), self.config.num_classes).float()

    def encoder_input(self, x, y=None):
        if y is None:
            raise ValueError("cvae needs the digit label: call encode(x, y)")
        planes = self.one_hot(y)[:, :, None, None].expand(-1, -1, 28, 28)
        return torch.cat([x, planes], dim=1)  # (B, 1 + num_classes, 28, 28)

    def decode_logits(self, z, y=None):
        if y is None:
            raise ValueError("cvae needs the digit label: call decode(z, y)")
        return self.decoder(torch.cat([z, self.one_hot(y)], dim=1))
