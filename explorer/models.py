"""Every autoencoder of the lesson, and the conditional VAE that goes beyond it.

Each model family has a frozen config dataclass and owns its loss. All models share one
interface: `encode(x)`, `decode(z)`, `reconstruct(x)` and `loss(x, y) -> ModelOutput`, with
images as float tensors (B, 1, H, W) in [0, 1]. `train_step` does one optimisation step and
is overridden only by the adversarial AE, which needs three optimisers.

`MODELS` maps a family name to its class; `config.json` stores that name and the config,
and the model is rebuilt with `cls(cls.config_class(**config))`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from explorer import noise


@dataclass
class ModelOutput:
    loss: torch.Tensor  # scalar the optimiser minimises
    reconstruction: torch.Tensor  # (B, 1, 28, 28) in [0, 1]
    terms: dict[str, float] = field(default_factory=dict)  # logged parts of the loss


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


def conv_decoder(channels: tuple[int, int], hidden: int, in_features: int, fine: int = 8,
                 neck: int = 0) -> nn.Module:
    """(B, in_features) -> (B, 1, 28, 28) logits; the mirror of `conv_encoder`, plus `fine`
    feature maps at the full 28x28 resolution and a 3x3 convolution to the output.

    The full-resolution stage draws strokes from more than one map. Measured at 32-D on the
    2-core CPU: test MSE 0.00362 after 4 epochs (145 s) with it, 0.00366 after 6 epochs
    (165 s) without it.
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
        nn.ConvTranspose2d(c1, fine, 4, stride=2, padding=1),  # (B, fine, 28, 28)
        nn.BatchNorm2d(fine),
        nn.ReLU(),
        nn.Conv2d(fine, 1, 3, padding=1),  # (B, 1, 28, 28) logits
    )


def adam(params, lr: float, **kwargs) -> torch.optim.Adam:
    """Adam with the fused kernel where PyTorch has one (CPU, CUDA): one pass over the
    parameters instead of a dozen element-wise ops each, which saves a fifth of a conv AE
    training step on a 2-core CPU."""
    params = list(params)
    fused = params[0].device.type in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, fused=fused, **kwargs)


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
    has_latent = True  # False for image-to-image models (denoiser, super-resolution)
    conditional = False  # True when decode needs the digit label

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
        return ModelOutput(rec, torch.sigmoid(logits), {"bce": rec.item()})

    def configure_optimizers(self, lr: float) -> dict[str, torch.optim.Optimizer]:
        return {"model": adam(self.parameters(), lr)}

    def train_step(self, x, y, optimizers) -> dict[str, float]:
        out = self.loss(x, y)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        return {"loss": out.loss.item(), **out.terms}


# --------------------------------------------------------------------------- plain AEs


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
        return ModelOutput(loss, torch.sigmoid(logits), {"bce": rec.item(), "l1": l1.item()})


@dataclass(frozen=True)
class ConvAEConfig:
    latent_dim: int = 32
    channels: tuple[int, int] = (32, 64)  # feature maps at 14x14 and 7x7
    hidden: int = 512  # width of the fully connected layer on each side of the code
    fine: int = 8  # decoder feature maps at the full 28x28 resolution
    # Width of one more fully connected layer on each side of the code (0: none). A 2-D code
    # needs it: one layer from 2 numbers to 512 features can only bend the plane a little.
    neck: int = 0


class ConvAE(Autoencoder):
    """The lesson's convolutional AE with a vector bottleneck of `latent_dim`."""

    config_class = ConvAEConfig

    def __init__(self, config: ConvAEConfig):
        super().__init__(config)
        self.encoder = conv_encoder(config.channels, config.hidden, config.latent_dim, neck=config.neck)
        self.decoder = conv_decoder(config.channels, config.hidden, config.latent_dim, config.fine, config.neck)

    def encode(self, x, y=None):
        return self.encoder(x)

    def decode_logits(self, z, y=None):
        return self.decoder(z)


# --------------------------------------------------------------------------- image to image


@dataclass(frozen=True)
class DenoisingAEConfig:
    channels: tuple[int, int] = (32, 64)
    global_hidden: int = 256  # width of the fully connected path that sees the whole digit
    max_sigma: float = 0.6  # Gaussian noise level is drawn per image from U(0, max_sigma)
    max_salt_pepper: float = 0.3  # fraction of flipped pixels, drawn per image likewise
    fine: int = 8  # feature maps at the full 28x28 resolution, as in `conv_decoder`


class DenoisingAE(Autoencoder):
    """Convolutional AE trained to map a noisy image to the clean one.

    Fresh noise every batch, a random kind (Gaussian or salt-and-pepper) and level per
    image, so one model serves every level the app offers.
    """

    config_class = DenoisingAEConfig
    has_latent = False

    def __init__(self, config: DenoisingAEConfig):
        super().__init__(config)
        c1, c2 = config.channels
        # Spatial code (c2 x 7 x 7), no vector bottleneck: the job is cleaning, not compressing.
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),  # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),  # (B, c2, 7, 7)
            nn.Conv2d(c2, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
        )
        # 3x3 convolutions see only part of the digit; under heavy noise the shape of the
        # whole digit is the best clue, so a fully connected path adds it to every position.
        self.global_path = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * 49, config.global_hidden), nn.ReLU(),
            nn.Linear(config.global_hidden, c2 * 49), nn.Unflatten(1, (c2, 7, 7)),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),  # 14x14
            nn.Conv2d(c1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.ConvTranspose2d(c1, config.fine, 4, stride=2, padding=1), nn.BatchNorm2d(config.fine), nn.ReLU(),  # 28x28
            nn.Conv2d(config.fine, 1, 3, padding=1),  # (B, 1, 28, 28) logits
        )

    def encode(self, x, y=None):
        h = self.encoder(x)
        return h + self.global_path(h)  # (B, c2, 7, 7) feature maps, not a vector code

    def decode_logits(self, z, y=None):
        return self.decoder(z)

    def loss(self, x, y):
        noisy = noise.random_corruption(x, self.config.max_sigma, self.config.max_salt_pepper)
        logits = self.decode_logits(self.encode(noisy))
        rec = bce_per_image(logits, x).mean()
        return ModelOutput(rec, torch.sigmoid(logits), {"bce": rec.item()})


@dataclass(frozen=True)
class SuperResolutionConfig:
    factor: Literal[2, 4] = 2  # 14 -> 28 (the lesson) or 7 -> 28 (its exercise)
    channels: int = 32


class SuperResolution(Autoencoder):
    """Low-res in, 28x28 out. Learns a correction on top of bicubic upscaling.

    The low-res input is made the way the lesson makes it: `factor` x `factor` average pooling.
    """

    config_class = SuperResolutionConfig
    has_latent = False

    def __init__(self, config: SuperResolutionConfig):
        super().__init__(config)
        c = config.channels
        # Features at the low resolution (cheap), then one transposed conv per doubling.
        layers: list[nn.Module] = [nn.Conv2d(1, c, 3, padding=1), nn.ReLU(),
                                   nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
        for _ in range(int(math.log2(config.factor)) - 1):
            layers += [nn.ConvTranspose2d(c, c, 4, stride=2, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
        layers += [nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(c // 2, 1, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def downsample(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, self.config.factor)

    def encode(self, x, y=None):
        return x  # the low-res image is the code

    def decode_logits(self, low, y=None):
        base = F.interpolate(low, scale_factor=self.config.factor, mode="bicubic", align_corners=False)
        # Residual in logit space: the network only has to learn what bicubic gets wrong.
        return torch.logit(base.clamp(1e-3, 1 - 1e-3)) + self.net(low)

    def loss(self, x, y):
        logits = self.decode_logits(self.downsample(x))
        rec = bce_per_image(logits, x).mean()
        return ModelOutput(rec, torch.sigmoid(logits), {"bce": rec.item()})


# --------------------------------------------------------------------------- VAEs


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
        hidden = [config.hidden] * config.hidden_layers
        self.encoder = mlp([784, *hidden, 2 * config.latent_dim])
        self.decoder = mlp([config.latent_dim, *hidden, 784])

    def posterior(self, x, y=None) -> DiagonalGaussian:
        mean, logvar = self.encoder(x.flatten(1)).chunk(2, dim=1)
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
        return ModelOutput(rec + self.config.beta * kl, torch.sigmoid(logits), {"bce": rec.item(), "kl": kl.item()})


@dataclass(frozen=True)
class ConvVAEConfig:
    latent_dim: int = 2
    channels: tuple[int, int] = (32, 64)
    hidden: int = 512
    fine: int = 8
    beta: float = 1.0  # weight of the KL term, as in VAEConfig (whose loss this model uses)


class ConvVAE(VAE):
    """Convolutional VAE: the lesson's assignment. Only the networks differ from `VAE`."""

    config_class = ConvVAEConfig

    def __init__(self, config: ConvVAEConfig):
        Autoencoder.__init__(self, config)
        self.encoder = conv_encoder(config.channels, config.hidden, 2 * config.latent_dim)
        self.decoder = conv_decoder(config.channels, config.hidden, config.latent_dim, config.fine)

    def posterior(self, x, y=None):
        mean, logvar = self.encoder(x).chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar)

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

    def __init__(self, config: CVAEConfig):
        Autoencoder.__init__(self, config)
        # The label enters the encoder as 10 constant one-hot image channels.
        self.encoder = conv_encoder(config.channels, config.hidden, 2 * config.latent_dim,
                                    in_channels=1 + config.num_classes)
        self.decoder = conv_decoder(config.channels, config.hidden, config.latent_dim + config.num_classes, config.fine)

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y.long(), self.config.num_classes).float()

    def posterior(self, x, y=None):
        if y is None:
            raise ValueError("cvae needs the digit label: call encode(x, y)")
        planes = self.one_hot(y)[:, :, None, None].expand(-1, -1, 28, 28)
        mean, logvar = self.encoder(torch.cat([x, planes], dim=1)).chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar)

    def decode_logits(self, z, y=None):
        if y is None:
            raise ValueError("cvae needs the digit label: call decode(z, y)")
        return self.decoder(torch.cat([z, self.one_hot(y)], dim=1))


# --------------------------------------------------------------------------- adversarial AE


@dataclass(frozen=True)
class AAEConfig:
    latent_dim: int = 2
    channels: tuple[int, int] = (32, 64)
    hidden: int = 512
    fine: int = 8
    beta: float = 1.0  # weight of the KL term, as in VAEConfig (whose loss this model uses)
    neck: int = 0
    disc_hidden: int = 128
    adversarial_weight: float = 1.0  # weight of the generator term against reconstruction


class AAE(ConvAE):
    """Adversarial autoencoder (Makhzani et al. 2016) with a N(0, I) prior on the code.

    Three steps per batch, each with its own optimiser: reconstruction (encoder+decoder),
    discriminator (prior samples vs codes), generator (encoder fools the discriminator).
    The lesson's version never stepped its discriminator, so its prior was never enforced.
    """

    config_class = AAEConfig

    def __init__(self, config: AAEConfig):
        super().__init__(config)
        h = config.disc_hidden
        self.discriminator = nn.Sequential(
            nn.Linear(config.latent_dim, h), nn.LeakyReLU(0.2),
            nn.Linear(h, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 1),
        )

    def configure_optimizers(self, lr):
        autoencoder = list(self.encoder.parameters()) + list(self.decoder.parameters())
        return {
            "reconstruction": adam(autoencoder, lr),
            "discriminator": adam(self.discriminator.parameters(), lr / 2, betas=(0.5, 0.9)),
            "generator": adam(self.encoder.parameters(), lr / 2, betas=(0.5, 0.9)),
        }

    def train_step(self, x, y, optimizers):
        # 1. Reconstruction.
        out = self.loss(x, y)
        optimizers["reconstruction"].zero_grad(set_to_none=True)
        out.loss.backward()
        optimizers["reconstruction"].step()

        # 2. Discriminator: prior samples are "real" (1), encoder codes are "fake" (0).
        z_fake = self.encode(x).detach()
        z_real = torch.randn_like(z_fake)
        d_real, d_fake = self.discriminator(z_real), self.discriminator(z_fake)
        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        optimizers["discriminator"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["discriminator"].step()

        # 3. Generator: the encoder tries to make its codes look like prior samples.
        d_gen = self.discriminator(self.encode(x))
        g_loss = self.config.adversarial_weight * F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        optimizers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        optimizers["generator"].step()
        return {"loss": out.loss.item(), "disc": d_loss.item(), "gen": g_loss.item()}


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
