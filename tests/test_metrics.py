"""The measures every figure rests on, checked against known values and scikit-learn."""

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from sklearn.decomposition import PCA

from explorer import metrics
from explorer.baselines import PCABaseline, median_filter


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
