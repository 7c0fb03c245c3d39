"""Image corruptions shared by training, evaluation and the app. Images (B, 1, H, W) in [0, 1]."""

from __future__ import annotations

from typing import Literal

import torch

NoiseKind = Literal["gaussian", "salt_pepper"]


def gaussian(x: torch.Tensor, sigma: float | torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Additive Gaussian noise, clipped back to [0, 1] as a real image would be."""
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return (x + sigma * eps).clamp(0.0, 1.0)


def salt_pepper(x: torch.Tensor, amount: float | torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Set a fraction `amount` of pixels to 0 or 1 (half each)."""
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    out = x.clone()
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


def corrupt(x: torch.Tensor, kind: NoiseKind, level: float, seed: int | None = None) -> torch.Tensor:
    generator = None
    if seed is not None:
        generator = torch.Generator(device=x.device).manual_seed(seed)
    if kind == "gaussian":
        return gaussian(x, level, generator)
    if kind == "salt_pepper":
        return salt_pepper(x, level, generator)
    raise ValueError(f"unknown noise kind {kind!r}; use 'gaussian' or 'salt_pepper'")


def random_corruption(x: torch.Tensor, max_sigma: float, max_salt_pepper: float) -> torch.Tensor:
    """Training noise: per image, Gaussian (two thirds) or salt-and-pepper, at a random level."""
    b = x.shape[0]
    per_image = (b, 1, 1, 1)
    # sqrt(U) puts more images at the heavy levels, where there is most to learn; light
    # noise is nearly solved after an epoch. Every level in [0, max] is still drawn.
    sigma = torch.rand(per_image, device=x.device).sqrt() * max_sigma
    amount = torch.rand(per_image, device=x.device).sqrt() * max_salt_pepper
    use_gaussian = torch.rand(per_image, device=x.device) < 2 / 3
    return torch.where(use_gaussian, gaussian(x, sigma), salt_pepper(x, amount))
