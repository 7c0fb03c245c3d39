"""Image-quality and latent-quality measures, and the baselines they are compared with.

Images are float tensors (N, 1, H, W) in [0, 1]. PSNR is computed per image and averaged,
as denoising papers report it; MSE is per pixel, averaged over all pixels and images.

scikit-learn is imported where it is used: importing it costs the app process ~140 MB,
and the app only needs it when no shipped PCA fit is found.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

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


@dataclass(frozen=True)
class PCABaseline:
    """PCA fit on the training images: the linear autoencoder.

    Just the mean and the leading components, so a fit can be shipped next to the weights
    (`explorer.pretrained.save_pca`) and the app never has to load the training set.
    """

    mean: np.ndarray  # (784,) float32
    components: np.ndarray  # (n, 784) float32, largest variance first

    @classmethod
    def fit(cls, n_components: int, train_images: torch.Tensor, seed: int = 0) -> "PCABaseline":
        from sklearn.decomposition import PCA

        # "covariance_eigh" decomposes the 784x784 covariance: exact, and about a second on
        # 60,000 images, where a full SVD of the data takes several.
        pca = PCA(n_components=n_components, svd_solver="covariance_eigh", random_state=seed)
        pca.fit(train_images.flatten(1).numpy())
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))

    def first(self, n_components: int) -> "PCABaseline":
        """PCA with fewer components without refitting: they are the leading ones of this fit."""
        if not 1 <= n_components <= len(self.components):
            raise ValueError(f"asked for {n_components} components of a {len(self.components)}-component PCA")
        return PCABaseline(self.mean, self.components[:n_components])

    def encode(self, x: torch.Tensor) -> np.ndarray:
        return (x.flatten(1).numpy() - self.mean) @ self.components.T

    def decode(self, codes: np.ndarray) -> torch.Tensor:
        # Clipped to [0, 1] so it is compared with the AEs on the same footing.
        out = torch.from_numpy(np.asarray(codes, dtype=np.float32) @ self.components + self.mean).clamp(0, 1)
        return out.view(-1, 1, 28, 28)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def median_filter(x: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Per-image median over a size x size window (reflect padding)."""
    pad = size // 2
    patches = F.unfold(F.pad(x, (pad,) * 4, mode="reflect"), size)  # (N, size*size, H*W)
    return patches.median(dim=1).values.view_as(x)


def gaussian_blur(x: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    size = 2 * int(3 * sigma) + 1
    t = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-t.pow(2) / (2 * sigma**2))
    g = (g / g.sum()).to(x.device)
    pad = size // 2
    x = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode="reflect"), g.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, pad, pad), mode="reflect"), g.view(1, 1, -1, 1))


def upscale(low: torch.Tensor, size: int = 28, mode: str = "bicubic") -> torch.Tensor:
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    return F.interpolate(low, size=(size, size), mode=mode, **kwargs).clamp(0, 1)
