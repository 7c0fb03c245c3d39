"""The measures every figure rests on, checked against known values and scikit-learn."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from explorer import metrics


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


def test_pca_matches_scikit_learn_and_truncation_matches_a_fresh_fit():
    x = low_rank_images()
    full = metrics.PCABaseline.fit(8, x)
    reference = PCA(n_components=8, svd_solver="covariance_eigh").fit(x.flatten(1).numpy())
    np.testing.assert_allclose(full.encode(x), reference.transform(x.flatten(1).numpy()), atol=1e-4)
    # The first 3 of an 8-component fit reconstruct exactly like a 3-component fit
    # (codes may differ in sign, reconstructions cannot).
    np.testing.assert_allclose(full.first(3).reconstruct(x), metrics.PCABaseline.fit(3, x).reconstruct(x), atol=1e-4)
    assert metrics.mse(full.reconstruct(x), x) < metrics.mse(full.first(3).reconstruct(x), x)
    with pytest.raises(ValueError, match="9 components of a 8-component"):
        full.first(9)


def test_median_filter_removes_salt_and_knn_separates_clusters():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 10, 10] = 1.0
    assert metrics.median_filter(x).max() == 0
    codes = np.concatenate([np.zeros((50, 2)), np.full((50, 2), 10.0)]) + np.random.default_rng(0).normal(size=(100, 2))
    labels = np.repeat([0, 1], 50)
    assert metrics.knn_accuracy(codes, labels, codes, labels) == 1.0
