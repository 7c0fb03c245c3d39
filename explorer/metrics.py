"""Image-quality and latent-quality measures (the baselines are in `explorer.baselines`).

Images are float tensors (N, 1, H, W) in [0, 1]. PSNR is computed per image and averaged,
as denoising papers report it; MSE is per pixel, averaged over all pixels and images.

scikit-learn is imported where it is used: importing it costs the app process ~140 MB,
and the app never computes a k-NN accuracy.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return F.mse_loss(a.float(), b.float()).item()


def psnr_per_image(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    err = (a.float() - b.float()).pow(2).flatten(1).mean(1).clamp_min(1e-10)  # cap at 100 dB
    return 10 * torch.log10(1.0 / err)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return psnr_per_image(a, b).mean().item()


@functools.lru_cache(maxsize=4)
def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-x.pow(2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]  # (1, 1, size, size)


def ssim_per_image(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5, data range 1."""
    w = _gaussian_window().to(a.device)
    c1, c2 = 0.01**2, 0.03**2
    a, b = a.float(), b.float()
    mu_a, mu_b = F.conv2d(a, w), F.conv2d(b, w)
    var_a = F.conv2d(a * a, w) - mu_a.pow(2)
    var_b = F.conv2d(b * b, w) - mu_b.pow(2)
    cov = F.conv2d(a * b, w) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a.pow(2) + mu_b.pow(2) + c1) * (var_a + var_b + c2))
    return s.flatten(1).mean(1)


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    return ssim_per_image(a, b).mean().item()


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5) -> float:
    """Accuracy of a k-NN classifier fit on training codes and scored on test codes."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k, n_jobs=-1)
    clf.fit(np.asarray(train_codes), np.asarray(train_labels))
    return float(clf.score(np.asarray(test_codes), np.asarray(test_labels)))
