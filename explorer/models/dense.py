"""Fully connected autoencoders: the Keras blog's deep AE and its sparse variant."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.models.blocks import Autoencoder, ModelOutput, bce_per_image, mlp


@dataclass(frozen=True)
class AEConfig:
    latent_dim: int = 32  # the Keras blog's deep autoencoder uses 32
    hidden: tuple[int, ...] = (128, 64)  # 784 -> 128 -> 64 -> 32 and back


class AE(Autoencoder):
    """Fully connected deep autoencoder (Keras blog, 'Building Autoencoders in Keras')."""

    config_class = AEConfig

    def __init__(self, config: AEConfig):
        super().__init__(config)
        sizes = [784, *config.hidden, config.latent_dim]
        self.encoder = mlp(sizes, final_activation=True)  # ReLU code, as in the blog
        self.decoder = mlp(sizes[::-1])

    def encode(self, x, y=None):
        return self.encoder(x.flatten(1))

    def decode_logits(self, z, y=None):
        return self.decoder(z).view(-1, 1, 28, 28)


@dataclass(frozen=True)
class SparseAEConfig(AEConfig):
    l1_weight: float = 1e-3  # weight of mean |code| added to the loss (per image)


class SparseAE(AE):
    """AE with an L1 activity penalty on the code, so most code units stay at zero."""

    config_class = SparseAEConfig

    def loss(self, x, y):
        z = self.encode(x)
        logits = self.decode_logits(z)
        rec = bce_per_image(logits, x).mean()
        l1 = z.abs().sum(1).mean()
        loss = rec + self.config.l1_weight * l1
        return ModelOutput(loss, {"bce": rec.detach(), "l1": l1.detach()})
