"""benchmarks/speed.py: the lesson's convolutional AE and the time-to-bar stop rule."""

import pytest
import torch

from benchmarks import speed
from explorer.data import load_split


def test_lesson_conv_ae_has_the_lessons_shapes():
    model = speed.LessonConvAE()
    x = torch.rand(3, 1, 28, 28)
    assert model.encoder(x).shape == (3, 8, 4, 4)  # the 128-number code of the Keras blog
    out = model.reconstruct(x)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1


@pytest.mark.slow
def test_time_to_bar_stops_once_the_whole_test_set_is_under_the_bar():
    train, test = load_split("mnist", True).head(2048), load_split("mnist", False).head(512)
    result = speed.time_to_bar(0.2, train, test, torch.device("cpu"), check_every=4, progress=False)
    # An untrained decoder draws grey (MSE ~0.2 against MNIST digits): a few steps beat 0.2.
    assert result["reached"] and result["test_mse"] < 0.2
    assert result["steps"] == result["checks"][-1]["step"] and result["steps"] % 4 == 0
    assert all(c["subset_mse"] >= 0.2 for c in result["checks"][:-1])  # it stopped at the first success


def test_time_to_bar_says_when_the_bar_is_never_reached():
    train, test = load_split("mnist", True).head(256), load_split("mnist", False).head(64)
    result = speed.time_to_bar(0.0, train, test, torch.device("cpu"), check_every=2, progress=False)
    assert result["reached"] is False and result["test_mse"] is None


def test_every_recipe_candidate_builds_and_a_step_is_timed():
    from benchmarks import recipes
    from explorer.models import build
    from explorer.train import TrainConfig

    for release, candidates in recipes.CANDIDATES.items():
        for family, config, train, epochs in candidates:
            assert build(family, **config).task in ("latent", "denoise") and train["batch_size"] > 0 and epochs
            TrainConfig(epochs=max(epochs), **train)  # every field is one TrainConfig has
    assert recipes.step_milliseconds("conv_ae", {"latent_dim": 2, "channels": (4, 8), "hidden": 16}, 8, steps=2) > 0
