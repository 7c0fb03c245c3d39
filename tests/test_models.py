"""Every variant, tiny and seeded: shapes, finite losses, learning, and a save/load round trip."""

import json

import pytest
import torch
from safetensors.torch import load_file

from explorer import pretrained
from explorer.models import MODELS, TASKS, build
from explorer.releases import RELEASES
from explorer.train import TrainConfig, fit

# Small configs so each test runs in well under a second on a CPU.
TINY = {
    "ae": {"latent_dim": 4, "hidden": [32, 16]},
    "sparse_ae": {"latent_dim": 4, "hidden": [32, 16]},
    "conv_ae": {"latent_dim": 2, "channels": [4, 8], "hidden": 16, "neck": 8},
    "denoising_ae": {"channels": [4, 8], "global_hidden": 8},
    "super_resolution": {"factor": 4, "channels": 8, "subpixel": True},
    "vae": {"latent_dim": 2, "hidden": 32},
    "conv_vae": {"latent_dim": 2, "channels": [4, 8], "hidden": 16},
    "cvae": {"latent_dim": 2, "channels": [4, 8], "hidden": 16},
    "aae": {"latent_dim": 2, "channels": [4, 8], "hidden": 16, "disc_hidden": 16},
}


def test_every_family_has_a_tiny_config():
    assert set(TINY) == set(MODELS)


def make(family):
    torch.manual_seed(0)
    return build(family, **TINY[family])


def model_input(model, x):
    return model.downsample(x) if model.task == "super_resolution" else x


def test_every_family_declares_a_known_task_and_every_release_names_a_family():
    assert {cls.task for cls in MODELS.values()} == set(TASKS)
    for name, release in RELEASES.items():
        assert release.family in MODELS and release.label, name
        assert (release.latent_dim is None) == (release.task != "latent"), name


@pytest.mark.parametrize("family", sorted(MODELS))
def test_shapes_and_range(family, tiny_split):
    model = make(family).eval()
    x, y = tiny_split.floats[:8], tiny_split.labels[:8]
    with torch.no_grad():
        out = model.reconstruct(model_input(model, x), y)
    assert out.shape == (8, 1, 28, 28)
    assert out.min() >= 0 and out.max() <= 1
    if model.task == "latent":
        with torch.no_grad():
            z = model.encode(x, y)
            assert z.shape == (8, model.latent_dim)
            assert model.decode(z, y).shape == (8, 1, 28, 28)


@pytest.mark.parametrize("family", sorted(MODELS))
def test_loss_is_finite_and_training_lowers_it(family, tiny_split):
    model = make(family)
    x, y = tiny_split.floats, tiny_split.labels
    torch.manual_seed(1)
    before = model.loss(x, y).loss.item()
    assert torch.isfinite(torch.tensor(before))
    fit(model, tiny_split, TrainConfig(epochs=15, batch_size=32, lr=3e-3), torch.device("cpu"), progress=False)
    model.train()  # same BatchNorm mode as the first measurement
    torch.manual_seed(1)
    after = model.loss(x, y).loss.item()
    assert after < before


def test_cvae_decode_depends_on_the_digit():
    model = make("cvae").eval()
    z = torch.zeros(2, 2)
    with torch.no_grad():
        a = model.decode(z, torch.tensor([3, 3]))
        b = model.decode(z, torch.tensor([3, 8]))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="digit label"):
        model.decode(z)


def test_vae_kl_matches_the_closed_form():
    from explorer.models import DiagonalGaussian
    mean, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.5, -1.0]])
    expected = 0.5 * sum(m**2 + v.exp() - 1 - v for m, v in zip(mean[0], logvar[0]))
    assert DiagonalGaussian(mean, logvar).kl().item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("family", sorted(MODELS))
def test_save_load_round_trip(family, tiny_split, tmp_path):
    model = make(family)
    untrained = {k: v.clone() for k, v in model.state_dict().items()}
    # A few steps move the weights and the BatchNorm running statistics away from their
    # initial values, so a loader that dropped either would fail below.
    fit(model, tiny_split, TrainConfig(epochs=2, batch_size=16, lr=3e-3), torch.device("cpu"), progress=False)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, untrained[k])}
    buffers = {k for k, _ in model.named_buffers() if not k.endswith("num_batches_tracked")}
    assert buffers <= changed and len(changed) > len(buffers)
    folder = tmp_path / "mnist" / f"{family}-tiny"
    pretrained.save_pretrained(model, folder, {"name": f"{family}-tiny"})
    assert sorted(p.name for p in folder.iterdir()) == sorted(pretrained.FILES)
    assert json.loads((folder / "config.json").read_text())["family"] == family
    assert len(load_file(folder / "model.safetensors")) == len(model.state_dict())  # buffers included
    loaded = pretrained.load_pretrained(f"{family}-tiny", root=tmp_path)
    assert type(loaded) is type(model) and loaded.config == model.config
    saved = load_file(folder / "model.safetensors")
    for k, v in model.state_dict().items():
        assert torch.equal(saved[k], v) and torch.equal(loaded.state_dict()[k], v)
    x, y = model_input(model, tiny_split.floats[:4]), tiny_split.labels[:4]
    with torch.no_grad():
        # Training left `model` channels-last; the loaded copy is contiguous, and the two
        # memory layouts run different kernels, so equal up to float rounding.
        torch.testing.assert_close(model.reconstruct(x, y), loaded.reconstruct(x, y), rtol=1e-5, atol=1e-6)


def test_overwrite_keeps_one_complete_folder(tiny_split, tmp_path):
    model = make("conv_ae")
    folder = tmp_path / "mnist" / "m"
    pretrained.save_pretrained(model, folder, {"round": 1})
    pretrained.save_pretrained(model, folder, {"round": 2})
    assert json.loads((folder / "card.json").read_text()) == {"round": 2}
    assert [p.name for p in folder.parent.iterdir()] == ["m"]  # no temporary or backup left


def test_missing_and_damaged_weights_say_how_to_retrain(tmp_path):
    with pytest.raises(pretrained.WeightsError, match="train_all.py --models nothing-here"):
        pretrained.load_pretrained("nothing-here", root=tmp_path)
    folder = tmp_path / "mnist" / "broken"
    pretrained.save_pretrained(make("ae"), folder, {})
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(pretrained.WeightsError, match="damaged.*train_all.py --models broken"):
        pretrained.load_pretrained("broken", root=tmp_path)


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown model family"):
        build("transformer")


def layer_widths(net: torch.nn.Module) -> list[int]:
    return [m.out_features for m in net if isinstance(m, torch.nn.Linear)]


def test_vae_hidden_layers_deepen_both_networks():
    deep = build("vae", latent_dim=2, hidden=32, hidden_layers=2)
    assert layer_widths(deep.encoder) == [32, 32, 4] and layer_widths(deep.decoder) == [32, 32, 784]
    assert layer_widths(build("vae", latent_dim=2, hidden=32).encoder) == [32, 4]  # the lesson's: one


def test_sparsity_measures_the_codes():
    from explorer.evaluate import sparsity
    model = make("sparse_ae")
    x = torch.rand(20, 1, 28, 28)
    got = sparsity(model, x)
    codes = model.encode(x).detach()
    assert got["mean_activation"] == pytest.approx(float(codes.mean()), rel=1e-5)
    assert got["near_zero_fraction"] == pytest.approx(float((codes.abs() < 0.1).float().mean()))
    # A threshold above every code makes every unit count as near zero.
    assert sparsity(model, x, near_zero=1e9)["near_zero_fraction"] == 1.0
    with pytest.raises(ValueError):
        sparsity(model, x[:0])


def test_denoiser_can_end_at_full_resolution_or_in_a_sub_pixel_convolution():
    # The shipped denoiser keeps 8 maps at 28x28 (`fine`); the other conv models end at 14x14.
    x = torch.rand(2, 1, 28, 28)
    for fine, last in ((4, torch.nn.Conv2d), (0, torch.nn.PixelShuffle)):
        model = build("denoising_ae", channels=(4, 8), global_hidden=8, fine=fine).eval()
        assert isinstance(model.decoder[-1], last) and model.reconstruct(x).shape == x.shape
    with_stage = build("denoising_ae", channels=(4, 8), global_hidden=8, fine=4)
    assert any(isinstance(m, torch.nn.ConvTranspose2d) and m.out_channels == 4 for m in with_stage.decoder)


def test_denoiser_skip_adds_the_encoders_14x14_maps_to_the_decoders():
    # Without the skip the code is the only path: reconstruct is decode(encode(x)). With it, the
    # decoder also gets the encoder's 14x14 maps, so cutting the code off leaves a picture of x.
    x = torch.rand(2, 1, 28, 28)
    torch.manual_seed(0)
    plain = build("denoising_ae", channels=(4, 8), global_hidden=8, fine=4).eval()
    torch.manual_seed(0)
    skip = build("denoising_ae", channels=(4, 8), global_hidden=8, fine=4, skip=True).eval()
    with torch.no_grad():
        assert torch.equal(plain.reconstruct(x), plain.decode(plain.encode(x)))
        code, fine = skip.code_and_skip(x)
        assert fine.shape == (2, 4, 14, 14) and torch.equal(code, plain.encode(x))  # same weights, same code
        assert not torch.allclose(skip.reconstruct(x), plain.reconstruct(x))
        assert torch.equal(skip.reconstruct(x), torch.sigmoid(skip.decode_logits(code, skip=fine)))
        # With the code zeroed, what reaches the output through the skip still depends on the input.
        blind = [torch.sigmoid(skip.decode_logits(torch.zeros_like(code), skip=skip.code_and_skip(i)[1]))
                 for i in (x, 1 - x)]
        assert not torch.allclose(*blind)
