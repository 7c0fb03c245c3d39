"""int8 storage of the large matrices: the round trip, the file, and the shipped releases."""

import pytest
import torch
from safetensors.torch import load_file

from explorer.models import build
from explorer.pretrained import load_model, model_dir, save_pretrained
from explorer.quantize import INT8_MIN_ELEMENTS, SCALE_SUFFIX, dequantize, quantize_rows, quantized_state, round_to_float16, round_to_int8
from explorer.releases import RELEASES


def test_rows_round_trip_within_half_a_step():
    w = torch.randn(300, 400) * torch.linspace(0.01, 3, 300)[:, None]  # rows of very different scales
    q, scale = quantize_rows(w)
    assert q.dtype == torch.int8 and scale.dtype == torch.float16 and scale.shape == (300,)
    back = q.float() * scale.float()[:, None]
    assert ((back - w).abs() <= 0.51 * scale.float()[:, None] + 1e-3 * w.abs()).all()
    assert q.abs().amax(dim=1).min() >= 126  # each row uses the whole int8 range


def test_only_large_matrices_are_int8():
    state = {"big": torch.randn(256, 256), "small": torch.randn(8, 8), "bias": torch.randn(256),
             "count": torch.tensor(3)}
    stored = quantized_state(state)
    assert stored["big"].dtype == torch.int8 and "big" + SCALE_SUFFIX in stored
    assert stored["small"].dtype == stored["bias"].dtype == torch.float16 and stored["count"].dtype == torch.int64
    back = dequantize(stored)
    assert set(back) == set(state) and back["big"].dtype == torch.float32


def test_saved_int8_model_loads_to_the_weights_the_card_measured(tmp_path):
    model = build("conv_ae", latent_dim=32, channels=(8, 16), hidden=128)  # a 784x128 dense layer: int8
    round_to_int8(model)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    save_pretrained(model, tmp_path / "m", {"name": "m"}, torch.float16, int8=True)
    raw = load_file(tmp_path / "m" / "model.safetensors")
    assert any(v.dtype == torch.int8 for v in raw.values())
    loaded = load_model(tmp_path / "m")
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, expected[k]), k  # rounding first means saving loses nothing more


@pytest.mark.parametrize("name", [n for n, r in RELEASES.items() if r.int8])
def test_int8_releases_ship_int8(name):
    raw = load_file(model_dir(name) / "model.safetensors")
    big = [k for k, v in raw.items() if v.ndim == 2 and v.numel() >= INT8_MIN_ELEMENTS]
    assert big and all(raw[k].dtype == torch.int8 and k + SCALE_SUFFIX in raw for k in big)


@pytest.mark.parametrize("int8", [False, True])
def test_batchnorm_statistics_beyond_float16_survive_saving(tmp_path, int8):
    # conv_ae-32 at a peak learning rate of 5e-3 ended with a BatchNorm running variance above
    # float16's largest number (65,504): stored as float16 it read back as inf.
    model = build("conv_ae", latent_dim=32, channels=(8, 16), hidden=128)
    bn = model.decoder[6]
    assert isinstance(bn, torch.nn.BatchNorm2d)
    bn.running_var.fill_(1e5)  # as if its inputs had a standard deviation of about 316
    (round_to_int8 if int8 else round_to_float16)(model)
    save_pretrained(model, tmp_path / "m", {"name": "m"}, torch.float16, int8=int8)
    loaded = load_model(tmp_path / "m")
    x = torch.rand(4, 1, 28, 28)
    expected = model.eval().reconstruct(x)
    assert torch.isfinite(expected).all() and torch.equal(loaded.reconstruct(x), expected)
