"""Image-quality and latent-quality measures (the baselines are in `explorer.baselines`).

Images are (N, 1, H, W) in [0, 1]: numpy arrays, or CPU torch tensors (read through
`np.asarray`, so evaluation passes its tensors unchanged); the measures are numpy, so the
app's server computes them without PyTorch. PSNR is computed per image and averaged, as
denoising papers report it; MSE is per pixel, averaged over all pixels and images.

scikit-learn is imported where it is used: importing it costs the app process ~140 MB,
and the app never computes a k-NN accuracy.
"""

from __future__ import annotations

import functools

import numpy as np


def _floats(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def mse(a, b) -> float:
    # Summed in float64: 7.8 million float32 squares would lose digits.
    return float(np.mean(np.square(_floats(a) - _floats(b)), dtype=np.float64))


def psnr_per_image(a, b) -> np.ndarray:
    a, b = _floats(a), _floats(b)
    err = np.square(a - b).reshape(len(a), -1).mean(1, dtype=np.float64).clip(1e-10)  # cap at 100 dB
    return 10 * np.log10(1.0 / err)


def psnr(a, b) -> float:
    return float(psnr_per_image(a, b).mean())


@functools.lru_cache(maxsize=4)
def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-x**2 / (2 * sigma**2))
    return g / g.sum()


@functools.lru_cache(maxsize=8)
def _band(n: int, size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """(n - size + 1, n): row i holds the 1-D Gaussian window's weights at columns i .. i + size - 1."""
    g, band = _gaussian_1d(size, sigma), np.zeros((n - size + 1, n))
    for i in range(n - size + 1):
        band[i, i:i + size] = g
    band.setflags(write=False)  # shared by every caller through the cache
    return band


def _window_mean(x: np.ndarray) -> np.ndarray:
    """Gaussian-weighted mean over every window that fits inside the image ('valid'): the
    11x11 window is the outer product g g^T, so one band matrix on each side. (N, H, W) ->
    (N, H-10, W-10). Two matrix products, where 22 shifted slices spent most of their time in
    numpy's per-call overhead (the app scores every picture it shows with SSIM)."""
    return _band(x.shape[1]) @ x @ _band(x.shape[2]).T


def ssim_per_image(a, b) -> np.ndarray:
    """SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5, data range 1."""
    c1, c2 = 0.01**2, 0.03**2
    a = _floats(a).astype(np.float64).reshape(-1, *np.shape(a)[-2:])
    b = _floats(b).astype(np.float64).reshape(-1, *np.shape(b)[-2:])
    mu_a, mu_b = _window_mean(a), _window_mean(b)
    var_a = _window_mean(a * a) - mu_a**2
    var_b = _window_mean(b * b) - mu_b**2
    cov = _window_mean(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.reshape(len(s), -1).mean(1)


def ssim(a, b) -> float:
    return float(ssim_per_image(a, b).mean())


def code_sparsity(codes, near_zero: float = 0.1) -> dict:
    """How sparse codes (N, d) are: the mean code activation (the Keras blog's figure: 3.33
    for its sparse AE against 7.30 for the plain one) and the fraction of code units whose
    magnitude is below `near_zero`, the units an L1 penalty switches off."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.size == 0:
        raise ValueError("sparsity needs at least one code")
    return {"mean_activation": float(codes.mean()), "near_zero_fraction": float((np.abs(codes) < near_zero).mean())}


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5) -> float:
    """Accuracy of a k-NN classifier fit on training codes and scored on test codes."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k, n_jobs=-1)
    clf.fit(np.asarray(train_codes), np.asarray(train_labels))
    return float(clf.score(np.asarray(test_codes), np.asarray(test_labels)))
