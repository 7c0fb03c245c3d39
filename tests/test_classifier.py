"""The small digit classifier on a tiny budget: it learns, and it survives a save/load."""

import torch

from explorer.classifier import (ClassifierConfig, ClassifierTrainConfig, DigitClassifier, accuracy, load_classifier,
                                 save_classifier, train_classifier)
from explorer.data import load_split


def test_learns_digits_on_a_tiny_budget():
    train, test = load_split("mnist", True).head(2048), load_split("mnist", False).head(500)
    untrained = DigitClassifier()
    result = train_classifier(train, ClassifierTrainConfig(epochs=2, batch_size=64))
    assert result.seconds > 0 and torch.isfinite(torch.tensor(result.final_loss))
    # Chance is 0.1; two passes over 2,048 digits already read most test digits.
    assert accuracy(result.model, test.floats, test.labels) > 0.8
    assert accuracy(untrained, test.floats, test.labels) < 0.3


def test_is_small():
    assert sum(p.numel() for p in DigitClassifier().parameters()) * 4 < 500_000  # bytes as float32


def test_save_load_round_trip(tmp_path, tiny_split):
    model = train_classifier(tiny_split, ClassifierTrainConfig(epochs=1, batch_size=16),
                             ClassifierConfig(channels=(4, 8), hidden=16)).model
    # Training moved the batch-norm statistics: a loader that dropped buffers would fail below.
    assert not torch.equal(model.features[0][1].running_mean, torch.zeros(4))
    save_classifier(model, tmp_path / "cls")
    assert {p.name for p in (tmp_path / "cls").iterdir()} == {"model.safetensors", "config.json"}
    loaded = load_classifier(tmp_path / "cls")
    assert loaded.config == model.config
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    x = tiny_split.floats[:8]
    torch.testing.assert_close(loaded.eval()(x), model.eval()(x))
    assert loaded.predict(x[:, 0]).shape == (8,)
