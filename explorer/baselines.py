"""The classic methods every model is compared with: PCA (the linear autoencoder), a median
filter and a Gaussian blur for denoising, nearest/bilinear/bicubic upscaling for
super-resolution. Images are float tensors (N, 1, H, W) in [0, 1].

PCA is fit once with the most components any comparison needs; a smaller PCA is the leading
components of that fit (`PCABaseline.first`), never a refit. scikit-learn is imported where
it is used: importing it costs the app process ~140 MB, and the app reads a shipped fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


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
