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


def test_layer_times_cover_every_layer_of_a_release_in_the_order_they_run():
    from benchmarks import recipes

    rows = recipes.layer_times("conv_ae-32", steps=1)
    layers = [r["layer"] for r in rows if "kind" in r]
    assert layers[:2] == ["encoder.0", "encoder.1"] and layers[-1] == "decoder.9"  # the PixelShuffle ends it
    assert len(layers) == 20 and all(r["ms"] > 0 for r in rows)
    by_name = {r["layer"]: r for r in rows}
    # PyTorch's counter: a 4x4 transposed convolution from 64 maps at 7x7 to 32 at 14x14, batch 64,
    # forward and two backward products of 2 x 64 x 32 x 16 x 49 x 64 FLOPs each.
    assert by_name["decoder.5"]["mflop"] == round(3 * 2 * 64 * 32 * 16 * 49 * 64 / 1e6, 1)
    assert by_name["encoder.1"]["gflops"] is None  # BatchNorm: no matrix products
    assert [r["layer"] for r in rows[-3:]] == ["forward and backward of the loss", "Adam", "the whole training step"]
