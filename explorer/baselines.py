"""The classic methods every model is compared with: PCA (the linear autoencoder), a median
filter and a Gaussian blur for denoising, nearest/bilinear/bicubic upscaling for
super-resolution, and the average pooling that makes super-resolution's low-res input.

Images are (N, 1, H, W) in [0, 1]: numpy arrays, or CPU torch tensors (read through
`np.asarray`); results are numpy. Written with numpy so that the app's server uses them
without PyTorch; the resizing follows `torch.nn.functional.interpolate` exactly
(tests/test_metrics.py checks each against PyTorch).

PCA is fit once with the most components any comparison needs; a smaller PCA is the leading
components of that fit (`PCABaseline.first`), never a refit. scikit-learn is imported where
it is used: importing it costs the app process ~140 MB, and the app reads a shipped fit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

CHUNK = 1000  # images per step of the median filter: its 3x3 windows copy 9 floats per pixel


def _floats(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


@dataclass(frozen=True)
class PCABaseline:
    """PCA fit on the training images: the linear autoencoder.

    Just the mean and the leading components, so a fit can be shipped next to the weights
    (`explorer.pretrained.save_pca`) and the app never has to load the training set.
    """

    mean: np.ndarray  # (784,) float32
    components: np.ndarray  # (n, 784) float32, largest variance first

    @classmethod
    def fit(cls, n_components: int, train_images, seed: int = 0) -> "PCABaseline":
        from sklearn.decomposition import PCA

        # "covariance_eigh" decomposes the 784x784 covariance: exact, and about a second on
        # 60,000 images, where a full SVD of the data takes several.
        pca = PCA(n_components=n_components, svd_solver="covariance_eigh", random_state=seed)
        x = _floats(train_images)
        pca.fit(x.reshape(len(x), -1))
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))

    def first(self, n_components: int) -> "PCABaseline":
        """PCA with fewer components without refitting: they are the leading ones of this fit."""
        if not 1 <= n_components <= len(self.components):
            raise ValueError(f"asked for {n_components} components of a {len(self.components)}-component PCA")
        return PCABaseline(self.mean, self.components[:n_components])

    def encode(self, x) -> np.ndarray:
        x = _floats(x)
        return (x.reshape(len(x), -1) - self.mean) @ self.components.T

    def decode(self, codes) -> np.ndarray:
        # Clipped to [0, 1] so it is compared with the AEs on the same footing.
        out = (np.asarray(codes, dtype=np.float32) @ self.components + self.mean).clip(0, 1)
        return out.reshape(-1, 1, 28, 28)

    def reconstruct(self, x) -> np.ndarray:
        return self.decode(self.encode(x))


def median_filter(x, size: int = 3) -> np.ndarray:
    """Per-image median over a size x size window (reflect padding)."""
    x = _floats(x)
    pad = size // 2
    out = np.empty_like(x)
    for i in range(0, len(x), CHUNK):
        padded = np.pad(x[i:i + CHUNK], ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="reflect")
        windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(2, 3))
        out[i:i + CHUNK] = np.median(windows.reshape(*windows.shape[:4], -1), axis=-1)
    return out


def gaussian_blur(x, sigma: float = 1.0) -> np.ndarray:
    """A separable Gaussian of width 2 * int(3 sigma) + 1, reflect padding."""
    x = _floats(x)
    size = 2 * int(3 * sigma) + 1
    t = np.arange(size, dtype=np.float32) - size // 2
    g = np.exp(-t**2 / (2 * sigma**2))
    g = (g / g.sum()).astype(np.float32)
    pad = size // 2
    h, w = x.shape[-2:]
    p = np.pad(x, ((0, 0), (0, 0), (0, 0), (pad, pad)), mode="reflect")
    x = sum(g[i] * p[..., :, i:i + w] for i in range(size))
    p = np.pad(x, ((0, 0), (0, 0), (pad, pad), (0, 0)), mode="reflect")
    return sum(g[i] * p[..., i:i + h, :] for i in range(size)).astype(np.float32)


def _cubic(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.75, PyTorch's (and OpenCV's) bicubic."""
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


@functools.lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """(n_out, n_in): one axis of F.interpolate(..., align_corners=False) as a matrix."""
    scale = n_in / n_out
    dst = np.arange(n_out)
    m = np.zeros((n_out, n_in), dtype=np.float64)
    if mode == "nearest":
        m[dst, np.minimum(np.floor(dst * scale).astype(int), n_in - 1)] = 1.0
        return m
    src = (dst + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)  # PyTorch clamps the source index for linear modes only
        i0 = np.floor(src).astype(int)
        frac = src - i0
        np.add.at(m, (dst, np.minimum(i0, n_in - 1)), 1 - frac)
        np.add.at(m, (dst, np.minimum(i0 + 1, n_in - 1)), frac)
        return m
    if mode == "bicubic":
        i0 = np.floor(src).astype(int)
        frac = src - i0
        for k in range(-1, 3):  # four taps; indices beyond the edge repeat the edge pixel
            np.add.at(m, (dst, np.clip(i0 + k, 0, n_in - 1)), _cubic(frac - k))
        return m
    raise ValueError(f"unknown upscaling mode {mode!r}; use 'nearest', 'bilinear' or 'bicubic'")


def upscale(low, size: int = 28, mode: str = "bicubic") -> np.ndarray:
    """(N, 1, h, w) -> (N, 1, size, size), clipped to [0, 1]."""
    low = _floats(low)
    rows = _resize_matrix(low.shape[-2], size, mode).astype(np.float32)
    cols = _resize_matrix(low.shape[-1], size, mode).astype(np.float32)
    return (rows @ low @ cols.T).clip(0, 1)


def downsample(x, factor: int) -> np.ndarray:
    """Average pooling by `factor` (F.avg_pool2d): super-resolution's low-res input."""
    x = _floats(x)
    n, c, h, w = x.shape
    h, w = h // factor, w // factor
    return x[..., :h * factor, :w * factor].reshape(n, c, h, factor, w, factor).mean((3, 5))
