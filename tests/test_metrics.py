"""The measures every figure rests on, checked against known values and scikit-learn."""

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from sklearn.decomposition import PCA

import torch.nn.functional as F

from explorer import metrics, noise
from explorer.baselines import PCABaseline, downsample, gaussian_blur, median_filter, upscale


def low_rank_images(n: int = 400, rank: int = 6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    basis = torch.rand(rank, 784, generator=g)
    weights = torch.rand(n, rank, generator=g)
    return (weights @ basis / rank).clamp(0, 1).view(n, 1, 28, 28)


def test_mse_and_psnr_known_values():
    a, b = torch.zeros(2, 1, 28, 28), torch.full((2, 1, 28, 28), 0.1)
    assert metrics.mse(a, b) == pytest.approx(0.01)
    assert metrics.psnr(a, b) == pytest.approx(20.0, abs=1e-4)  # 10 log10(1 / 0.01)
    assert metrics.ssim(b, b) == pytest.approx(1.0, abs=1e-6)
    assert metrics.ssim(a, torch.rand(2, 1, 28, 28)) < 0.1


def test_ssim_matches_scikit_image():
    # An independent implementation with the same settings: an 11x11 Gaussian window of
    # sigma 1.5, data range 1, and only the windows that fit inside the image (ours uses
    # no padding; scikit-image crops (11 - 1) / 2 pixels from each side of its map).
    g = torch.Generator().manual_seed(0)
    clean = low_rank_images(4)
    distorted = (clean + 0.2 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    ours = metrics.ssim_per_image(distorted, clean)
    for i in range(4):
        reference = structural_similarity(distorted[i, 0].numpy().astype(np.float64), clean[i, 0].numpy().astype(np.float64),
                                          gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
        assert ours[i].item() == pytest.approx(reference, abs=1e-4)
    assert 0.05 < ours.mean().item() < 0.95  # a comparison between unlike images, not a trivial 0 or 1


def test_pca_matches_scikit_learn_and_truncation_matches_a_fresh_fit():
    x = low_rank_images()
    full = PCABaseline.fit(8, x)
    reference = PCA(n_components=8, svd_solver="covariance_eigh").fit(x.flatten(1).numpy())
    np.testing.assert_allclose(full.encode(x), reference.transform(x.flatten(1).numpy()), atol=1e-4)
    # The first 3 of an 8-component fit reconstruct exactly like a 3-component fit
    # (codes may differ in sign, reconstructions cannot).
    np.testing.assert_allclose(full.first(3).reconstruct(x), PCABaseline.fit(3, x).reconstruct(x), atol=1e-4)
    assert metrics.mse(full.reconstruct(x), x) < metrics.mse(full.first(3).reconstruct(x), x)
    with pytest.raises(ValueError, match="9 components of a 8-component"):
        full.first(9)


def test_median_filter_removes_salt_and_knn_separates_clusters():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 10, 10] = 1.0
    assert median_filter(x).max() == 0
    codes = np.concatenate([np.zeros((50, 2)), np.full((50, 2), 10.0)]) + np.random.default_rng(0).normal(size=(100, 2))
    labels = np.repeat([0, 1], 50)
    assert metrics.knn_accuracy(codes, labels, codes, labels) == 1.0


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("side", [7, 14])
def test_upscaling_follows_pytorch_interpolate(mode, side):
    low = torch.rand(4, 1, side, side, generator=torch.Generator().manual_seed(side))
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    reference = F.interpolate(low, size=(28, 28), mode=mode, **kwargs).clamp(0, 1).numpy()
    np.testing.assert_allclose(upscale(low.numpy(), 28, mode), reference, atol=1e-6)
    # Bicubic overshoots at edges: the clip to [0, 1] is part of the figure.
    assert mode != "bicubic" or (F.interpolate(low, size=(28, 28), mode=mode, **kwargs).max() > 1)
    with pytest.raises(ValueError, match="area"):
        upscale(low.numpy(), 28, "area")


def test_filters_and_pooling_follow_pytorch():
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    pad = F.pad(x, (1,) * 4, mode="reflect")
    median = F.unfold(pad, 3).median(dim=1).values.view_as(x)  # the torch version this replaced
    np.testing.assert_array_equal(median_filter(x.numpy()), median.numpy())
    size, sigma = 7, 1.0
    t = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-t.pow(2) / (2 * sigma**2))
    g = g / g.sum()
    blurred = F.conv2d(F.pad(x, (3, 3, 0, 0), mode="reflect"), g.view(1, 1, 1, -1))
    blurred = F.conv2d(F.pad(blurred, (0, 0, 3, 3), mode="reflect"), g.view(1, 1, -1, 1))
    np.testing.assert_allclose(gaussian_blur(x.numpy(), sigma), blurred.numpy(), atol=1e-6)
    np.testing.assert_allclose(downsample(x.numpy(), 4), F.avg_pool2d(x, 4).numpy(), atol=1e-6)


def test_noise_is_one_formula_drawn_by_numpy_or_torch():
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    # A tensor is corrupted with torch's seeded draws, exactly as evaluation always did.
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(7))
    assert torch.equal(noise.corrupt(x, "gaussian", 0.3, seed=7), (x + 0.3 * eps).clamp(0, 1))
    u = torch.rand(x.shape, generator=torch.Generator().manual_seed(7))
    flipped = noise.corrupt(x, "salt_pepper", 0.2, seed=7)
    assert torch.equal(flipped[u < 0.1], torch.zeros_like(flipped[u < 0.1]))
    assert torch.equal(flipped[(u >= 0.1) & (u < 0.2)], torch.ones_like(flipped[(u >= 0.1) & (u < 0.2)]))
    assert torch.equal(flipped[u >= 0.2], x[u >= 0.2])
    # An array (the app) with numpy's: seeded, float32, the same kind of noise.
    a = x.numpy()
    noisy = noise.corrupt(a, "gaussian", 0.3, seed=7)
    assert noisy.dtype == np.float32 and np.array_equal(noisy, noise.corrupt(a, "gaussian", 0.3, seed=7))
    assert 0.2 < np.std(noisy - a) < 0.3 and noisy.min() >= 0 and noisy.max() <= 1
    sp = noise.corrupt(a, "salt_pepper", 0.2, seed=1)
    changed = sp != a
    assert sp.dtype == np.float32 and 0.15 < changed.mean() < 0.25 and set(np.unique(sp[changed])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="salt_pepper"):
        noise.corrupt(a, "speckle", 0.1)
