"""Watch the latent space learn: the fit callback and the compact history file."""

import numpy as np
import pytest
import torch

from explorer import history
from explorer.models import build
from explorer.train import TrainConfig, fit


def test_pack_round_trips_sixteen_grey_levels():
    rng = np.random.default_rng(0)
    tiles = rng.random((3, 5, 14, 14)).astype(np.float32)
    packed = history.pack(tiles)
    assert packed.dtype == np.uint8 and packed.shape == (3, 5, 14, 7)
    assert np.abs(history.unpack(packed) - tiles).max() <= 0.5 / history.LEVELS + 1e-6
    levels = np.arange(16, dtype=np.float32).repeat(14).reshape(16, 14) / 15
    assert np.array_equal(history.unpack(history.pack(levels)), levels)


def test_moments_are_log_spaced_from_the_start_to_the_end():
    steps = history.moment_steps(4680)
    assert steps[0] == 0 and steps[-1] == 4680 and len(steps) == history.MOMENTS
    assert steps == sorted(set(steps))
    gaps = np.diff(steps[1:])
    assert gaps[0] < gaps[-1] / 50  # dense early, sparse late


def train(tiny_split, callback=None):
    torch.manual_seed(0)
    model = build("vae", latent_dim=2, hidden=16)
    fit(model, tiny_split, TrainConfig(epochs=3, batch_size=16), torch.device("cpu"), progress=False, callback=callback)
    return model


def test_recording_does_not_change_training(tiny_split, tmp_path):
    plain = train(tiny_split)
    recorder = history.HistoryRecorder(tiny_split.floats[:20], tiny_split.labels[:20], total_steps=12, moments=6)
    recorded = train(tiny_split, recorder)
    for a, b in zip(plain.state_dict().values(), recorded.state_dict().values()):
        assert torch.equal(a, b)
    assert recorder.recorded == recorder.steps and recorder.recorded[0] == 0 and recorder.recorded[-1] == 12
    assert len(recorder.losses) == 12

    recorder.save(tmp_path / "h.safetensors")
    h = history.load_history(tmp_path / "h.safetensors")
    assert h.codes.shape == (len(recorder.steps), 20, 2) and h.total_steps == 12
    assert not np.allclose(h.codes[0], h.codes[-1])  # the codes moved while it trained
    final = recorded.encode(tiny_split.floats[:20]).detach().numpy()
    np.testing.assert_allclose(h.codes[-1], final, rtol=2e-3, atol=2e-3)  # float16 storage
    image = h.manifold(len(recorder.steps) - 1)
    assert image.shape == (280, 280) and 0 <= image.min() and image.max() <= 1
    assert list(h.labels) == tiny_split.labels[:20].tolist()


def test_a_damaged_history_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no training history"):
        history.load_history(tmp_path / "missing.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="damaged"):
        history.load_history(tmp_path / "bad.safetensors")
