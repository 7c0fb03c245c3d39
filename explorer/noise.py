"""Image corruptions shared by training, evaluation and the app. Images (B, 1, H, W) in [0, 1].

Each corruption is written once (`add_gaussian`, `flip_pixels`) on the random draws it is
given, with operators that numpy arrays and torch tensors share. Only the draws differ:
training and evaluation draw with torch (on the training device; the cards' figures were
measured on torch's seeded draws), the app's server draws with numpy and never imports torch.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

NoiseKind = Literal["gaussian", "salt_pepper"]
NOISE_KINDS = ("gaussian", "salt_pepper")


def add_gaussian(x, sigma, eps):
    """Additive Gaussian noise `sigma * eps` (eps ~ N(0, 1)), clipped back to [0, 1] as a real image would be."""
    return (x + sigma * eps).clip(0.0, 1.0)


def flip_pixels(x, amount, u):
    """Set a fraction `amount` of pixels to 0 or 1 (half each); u ~ U(0, 1) per pixel."""
    keep = u >= amount
    salt = (u >= amount / 2) & (u < amount)
    return x * keep + salt  # pepper: neither kept nor salt, so 0


def corrupt(x, kind: NoiseKind, level: float, seed: int | None = None):
    """`x` corrupted by `kind` at `level` (sigma, or the fraction of pixels flipped).

    A numpy array is corrupted with numpy's draws (the app), a torch tensor with torch's
    (evaluation, on its device); the same seed gives the same noise each time."""
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; use 'gaussian' or 'salt_pepper'")
    if isinstance(x, np.ndarray):
        rng = np.random.default_rng(seed)
        x = x.astype(np.float32, copy=False)
        if kind == "gaussian":
            return add_gaussian(x, np.float32(level), rng.standard_normal(x.shape, dtype=np.float32))
        return flip_pixels(x, level, rng.random(x.shape, dtype=np.float32)).astype(np.float32)
    import torch

    generator = None if seed is None else torch.Generator(device=x.device).manual_seed(seed)
    if kind == "gaussian":
        return add_gaussian(x, level, torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype))
    return flip_pixels(x, level, torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype))


def random_corruption(x, max_sigma: float, max_salt_pepper: float):
    """Training noise on a torch batch: per image, Gaussian (two thirds) or salt-and-pepper, at a random level."""
    import torch

    b = x.shape[0]
    per_image = (b, 1, 1, 1)
    # sqrt(U) puts more images at the heavy levels, where there is most to learn; light
    # noise is nearly solved after an epoch. Every level in [0, max] is still drawn.
    sigma = torch.rand(per_image, device=x.device).sqrt() * max_sigma
    amount = torch.rand(per_image, device=x.device).sqrt() * max_salt_pepper
    use_gaussian = torch.rand(per_image, device=x.device) < 2 / 3
    gaussian = add_gaussian(x, sigma, torch.randn_like(x))
    salt_pepper = flip_pixels(x, amount, torch.rand_like(x))
    return torch.where(use_gaussian, gaussian, salt_pepper)
