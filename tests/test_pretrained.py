"""The shipped weights: each loads, its card's headline figure reproduces on the MNIST test
set, and the claims the app shows (beats PCA, beats the classic filters) hold."""

import numpy as np
import pytest

from explorer import list_pretrained, load_pretrained
from explorer.data import data_fingerprint, load_split
from explorer.evaluate import headline_metric, headline_only
from explorer.baselines import PCABaseline
from explorer.beta import collapsed, figures
from explorer.pretrained import SHIPPED_PCA_COMPONENTS, WeightsError, load_card, load_pca, pca_path
from explorer.releases import RELEASES
from explorer.train import TrainConfig

SHIPPED = list_pretrained("mnist")


def test_every_release_is_shipped():
    assert sorted(SHIPPED) == sorted(RELEASES)


@pytest.fixture(scope="module")
def test_split():
    return load_split("mnist", train=False)


@pytest.mark.parametrize("name", SHIPPED)
def test_card_headline_reproduces(name, test_split):
    card = load_card(name)
    assert card["quick"] is False and card["test_images"] == 10_000
    model = load_pretrained(name)
    assert card["headline"]["metric"] == headline_metric(model)
    measured = headline_only(model, test_split)
    assert measured == pytest.approx(card["headline"]["value"], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_are_their_releases_architecture_and_recipe(name):
    # A release whose architecture or recipe changed must be retrained before it ships.
    import json
    from dataclasses import asdict

    from explorer.models import MODELS
    from explorer.pretrained import model_dir

    release, card = RELEASES[name], load_card(name)
    # Read as the loader reads it: a field added since (its default the old behaviour, as with
    # super-resolution's `subpixel`) takes its default.
    config_class = MODELS[release.family].config_class
    shipped = json.loads((model_dir(name) / "config.json").read_text())["config"]
    shipped = json.loads(json.dumps(asdict(config_class(**shipped))))
    expected = json.loads(json.dumps(asdict(config_class(**release.config))))
    assert shipped == expected
    # The recipe likewise: a card written before `schedule` and `adam_beta2` existed was trained
    # with their defaults (cosine, 0.999).
    assert TrainConfig(**card["train_config"]) == release.train


def test_cards_were_trained_on_standard_mnist():
    train = load_split("mnist", train=True)
    assert {load_card(n)["data_sha256"] for n in SHIPPED} == {data_fingerprint(train)}


# Except the collapsed end of the beta set (beta 16, 32), shown *because* its code holds (almost) nothing.
@pytest.mark.parametrize("name", [n for n in SHIPPED if load_card(n)["task"] == "latent"
                                  and not (n.startswith("vae-2-beta") and collapsed(figures(load_card(n))))])
def test_latent_models_beat_pca_at_the_same_size(name):
    m = load_card(name)["metrics"]
    assert m["mse"] < m["pca"]["mse"]
    # The app claims better-separated codes for the 2-D models only (at 32-D, PCA's k-NN is
    # already 0.976). The conditional VAE is given the label, so its code need not hold it.
    if m["pca"]["components"] == 2 and name != "cvae-2":
        assert m["knn_accuracy"] > m["pca"]["knn_accuracy"]


def test_denoiser_beats_noisy_input_median_and_pca():
    m = load_card("denoising_ae")["metrics"]
    for sigma in (0.1, 0.3, 0.5):
        s = m[f"sigma_{sigma}"]
        assert s["model"]["psnr"] > max(s["noisy"]["psnr"], s["median3"]["psnr"], s["pca"]["psnr"])


@pytest.mark.parametrize("factor", [2, 4])
def test_super_resolution_beats_bicubic(factor):
    m = load_card(f"super_resolution-x{factor}")["metrics"]
    assert m["psnr"] > m["bicubic"]["psnr"] + 1.0 and m["ssim"] > m["bicubic"]["ssim"]


@pytest.mark.slow
def test_evaluate_command_reproduces_the_cards(tmp_path, capsys):
    from explorer import evaluate

    names = ["conv_ae-2", "super_resolution-x2"]
    out = tmp_path / "evaluation.json"
    assert evaluate.main(["--models", *names, "--json", str(out), "--markdown"]) == 0
    import json
    figures = json.loads(out.read_text())
    for name in names:
        card = load_card(name)["metrics"]
        for key in ("mse", "knn_accuracy", "psnr"):
            if key in card:
                assert figures[name][key] == pytest.approx(card[key], rel=1e-3), (name, key)
    printed = capsys.readouterr().out
    assert "conv_ae-2" in printed and "| model |" in printed


def test_evaluate_reports_a_missing_model(tmp_path, capsys):
    from explorer import evaluate

    code = evaluate.main(["--models", "no-such-model", "--json", str(tmp_path / "e.json")])
    assert code == 1 and "train_all.py --models no-such-model" in capsys.readouterr().err


def test_shipped_weights_meet_the_quality_targets():
    # The targets of the core issue and of "Train every model in minutes", on the 10,000 test
    # images; test_card_headline_reproduces checks that the cards' figures are what the
    # weights really give. The -ELBO, ae-32 and sparse_ae-32 bounds are the figures of the
    # weights shipped before the smaller, faster convolutional models ("no worse than today's").
    metrics = {name: load_card(name)["metrics"] for name in SHIPPED}
    assert metrics["conv_ae-32"]["mse"] <= 0.0030
    assert metrics["conv_ae-2"]["mse"] <= 0.035 and metrics["conv_ae-2"]["knn_accuracy"] >= 0.80
    assert metrics["denoising_ae"]["psnr_sigma_0.5"] >= 21.0
    assert metrics["super_resolution-x2"]["psnr"] >= 29.6 and metrics["super_resolution-x4"]["psnr"] >= 21.3
    assert metrics["vae-2"]["neg_elbo"] <= 151.974
    assert metrics["conv_vae-2"]["neg_elbo"] <= 142.985
    assert metrics["cvae-2"]["neg_elbo"] <= 128.922
    assert metrics["aae-2"]["mse"] <= 0.045 and metrics["aae-2"]["knn_accuracy"] >= 0.53
    assert metrics["ae-32"]["mse"] <= 0.01154 and metrics["sparse_ae-32"]["mse"] <= 0.01205


def test_shipped_pca_is_the_fit_on_the_training_set(test_split):
    shipped = load_pca()
    fresh = PCABaseline.fit(SHIPPED_PCA_COMPONENTS, load_split("mnist", train=True).floats)
    x = test_split.floats[:500]
    for d in (2, 32, SHIPPED_PCA_COMPONENTS):  # reconstructions: components may differ in sign
        np.testing.assert_allclose(shipped.first(d).reconstruct(x), fresh.first(d).reconstruct(x), atol=1e-4)


@pytest.mark.parametrize("damage", [b"", b"not safetensors at all", None])
def test_a_missing_or_damaged_pca_says_how_to_rebuild_it(tmp_path, damage):
    if damage is not None:
        pca_path("mnist", tmp_path).parent.mkdir(parents=True)
        pca_path("mnist", tmp_path).write_bytes(damage)
    with pytest.raises(WeightsError, match="python train_all.py --models pca"):
        load_pca("mnist", tmp_path)


def test_shipped_classifier_reads_99_percent_of_the_test_digits(test_split):
    """explorer/classifier.py as shipped (float16, `python train_all.py --models classifier`):
    the card's accuracy is what the weights give on the 10,000 test digits, and it is >= 99%."""
    from safetensors.numpy import load_file

    from explorer.classifier import accuracy, load_classifier
    from explorer.shipped import CLASSIFIER, classifier_dir, read_card

    folder = classifier_dir()
    card = read_card(CLASSIFIER)
    assert card["quick"] is False and card["test_images"] == 10_000 and card["train_images"] == 60_000
    measured = accuracy(load_classifier(folder), test_split.floats, test_split.labels)
    assert measured == pytest.approx(card["metrics"]["accuracy"], abs=1e-6)
    assert measured >= 0.99
    weights = load_file(str(folder / "model.safetensors"))
    statistics = {k for k in weights if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert {str(weights[k].dtype) for k in weights if k not in statistics} == {"float16"}
    assert {str(weights[k].dtype) for k in statistics} <= {"float32", "int64"}  # as save_classifier writes them
    assert card["bytes"] == (folder / "model.safetensors").stat().st_size < 300_000
    assert CLASSIFIER not in SHIPPED  # the model lists are the autoencoders
