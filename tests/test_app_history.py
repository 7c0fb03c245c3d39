"""The "How the latent space learns" page through AppTest, on a small real history recorded here:
moving the moment changes the scatter, the manifold, the readouts and the loss marker; a
missing or damaged history is a message with the command that records one; the page never
imports PyTorch."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import explorer.onnx_models
from explorer import history
from explorer.data import Split
from explorer.models import build
from explorer.releases import RELEASES
from explorer.train import TrainConfig, fit

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "app_pages/history.py"
EPOCHS = 3


def record_tiny_history(root: Path) -> Path:
    """A release root with one model, vae-2, whose history is recorded while a small VAE
    trains three epochs on 256 fake digits (12 steps, 7 distinct moments). Returns the root."""
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (256,), generator=g)
    # Each digit its own bar position, so the codes have something to sort by.
    images = (torch.rand(256, 1, 28, 28, generator=g) > 0.9).to(torch.uint8) * 255
    for k, d in enumerate(labels.tolist()):
        images[k, 0, 2 * d:2 * d + 8, 4:24] = 255
    split = Split(images, labels)
    torch.manual_seed(0)
    model = build("vae", latent_dim=2, hidden=32)
    steps = EPOCHS * (256 // 64)
    recorder = history.HistoryRecorder(split.floats[:200], split.labels[:200], total_steps=steps, moments=8)
    fit(model, split, TrainConfig(epochs=EPOCHS, batch_size=64, lr=3e-3), torch.device("cpu"), progress=False,
        callback=recorder)
    folder = root / "mnist" / "vae-2"
    folder.mkdir(parents=True)
    recorder.save(folder / history.HISTORY_FILE)
    card = {"name": "vae-2", "task": "latent", "latent_dim": 2, "description": "A tiny VAE trained by the test.",
            "train_config": {"epochs": EPOCHS}}
    (folder / "card.json").write_text(json.dumps(card))
    return root


@pytest.fixture(scope="module")
def recorded_root(tmp_path_factory) -> Path:
    return record_tiny_history(tmp_path_factory.mktemp("pretrained"))


def open_page(root: Path, monkeypatch) -> AppTest:
    monkeypatch.setattr(explorer.onnx_models, "PRETRAINED_ROOT", root)
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    return at.run()


def scatter_points(at: AppTest) -> np.ndarray:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    xs = []
    for trace in spec["data"]:
        x = trace["x"]
        xs.append(np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]) if isinstance(x, dict) else np.array(x))
    return np.concatenate(xs)


def loss_marker_x(at: AppTest) -> list:
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    return [t["x"] for t in spec["data"] if t.get("name") == "this moment"]


def test_moving_the_moment_changes_every_picture_and_figure(recorded_root, monkeypatch):
    at = open_page(recorded_root, monkeypatch)
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    h = history.load_history(recorded_root / "mnist" / "vae-2" / history.HISTORY_FILE)
    assert at.select_slider(key="moment_slider").value == 0
    start = {"points": scatter_points(at), "image": at.image[0].proto.imgs[0].url, "caption": at.image[0].proto.imgs[0].caption,
             "metrics": [m.value for m in at.metric]}
    assert len(start["points"]) == 200
    assert any("before the first training step" in m.value for m in at.markdown)
    assert start["metrics"][0] == "-" and loss_marker_x(at) == []  # no loss before the first step

    last = len(h.steps) - 1
    at.select_slider(key="moment_slider").set_value(last).run()
    assert not at.exception
    end = {"points": scatter_points(at), "image": at.image[0].proto.imgs[0].url, "caption": at.image[0].proto.imgs[0].caption,
           "metrics": [m.value for m in at.metric]}
    assert not np.array_equal(end["points"], start["points"])
    assert end["image"] != start["image"] and end["caption"] != start["caption"]
    step = int(h.steps[last])
    assert f"step {step:,}" in end["caption"] and f"{h.ranges[last]:.2f}" in end["caption"]
    loss = float(h.losses[max(0, step - 50):step].mean())
    assert end["metrics"][0] == f"{loss:.1f}" and end["metrics"][1] == f"±{h.ranges[last]:.2f}"
    assert loss_marker_x(at) == [[step]]
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Moment"))
    assert f"Moment {last + 1} of {len(h.steps)}" in sentence and f"epoch {step / (h.total_steps / EPOCHS):.2f} of {EPOCHS}" in sentence
    assert f"the loss is {loss:.1f}" in sentence
    # The axes stay put between moments: the points move, the frame does not.
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["range"][1] == pytest.approx(float(h.ranges.max()) * 1.08, rel=1e-6)
    at.toggle(key="history_follow").set_value(True).run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["range"][1] == pytest.approx(float(h.ranges[last]) * 1.08, rel=1e-6)
    assert any(f"axes ±{h.ranges[last] * 1.08:.2f}, this moment's span" in c.value for c in at.caption)


def test_side_by_side_shows_two_models_at_the_same_moment_with_their_gaps(recorded_root, tmp_path, monkeypatch):
    """A second model (here a copy of the tiny VAE's folder under conv_ae-2, with its codes
    squeezed into one corner so its plane has more gaps) beside the first: two scatters, two
    manifolds, the measured empty share of each, and a sentence that names the emptier one."""
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(recorded_root, root)
    h = history.load_history(root / "mnist" / "vae-2" / history.HISTORY_FILE)
    folder = root / "mnist" / "conv_ae-2"
    shutil.copytree(root / "mnist" / "vae-2", folder)
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
    tensors = load_file(folder / history.HISTORY_FILE)
    with safe_open(folder / history.HISTORY_FILE, "np") as f:
        metadata = f.metadata()
    key = next(k for k, v in tensors.items() if v.ndim == 3 and v.shape[-1] == 2)  # (moments, digits, 2) codes
    codes = tensors[key].astype(np.float32)
    codes[:, :, :] = np.abs(codes) * 0.01 + 0.9 * h.ranges[:, None, None]  # all in the top-right cell
    tensors[key] = codes.astype(tensors[key].dtype)
    save_file(tensors, folder / history.HISTORY_FILE, metadata)

    at = open_page(root, monkeypatch)
    at.toggle(key="history_pair").set_value(True).run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.selectbox(key="history_other").value == "conv_ae-2"
    assert len(at.get("plotly_chart")) == 2 and len(at.image) == 2
    last = len(h.steps) - 1
    at.select_slider(key="moment_slider").set_value(last).run()
    lines = [m.value for m in at.markdown if "cells hold no test code" in m.value]
    assert len(lines) == 2
    from app_pages.history import empty_share
    vae_gaps = empty_share(h.codes[last], float(h.ranges[last]))
    assert f"**{vae_gaps:.0%}**" in lines[0] and "**99%**" in lines[1]  # one cell of 100 holds every code
    sentence = next(i.value for i in at.info if "When training ends" in i.value)
    assert f"vae-2 leaves {vae_gaps:.0%}" in sentence and "conv_ae-2 99%: conv_ae-2's plane has more empty space" in sentence
    at.toggle(key="history_pair").set_value(False).run()
    assert len(at.image) == 1 and len(at.metric) == 3  # back to one model and its readouts


def test_play_steps_through_the_moments(recorded_root, monkeypatch):
    """AppTest has no timer: a run with the last tick's time cleared stands for a tick."""
    at = open_page(recorded_root, monkeypatch)
    moments = len(history.load_history(recorded_root / "mnist" / "vae-2" / history.HISTORY_FILE).steps)
    first = scatter_points(at)

    def tick():
        at.session_state["ticked_at"] = 0.0
        return at.run()

    at.button(key="play").click().run()
    assert not at.exception and at.session_state.playing and at.button(key="play").label == "Pause"
    assert at.session_state.moment == 1 and not np.array_equal(scatter_points(at), first)  # at once
    assert "Playing: step" in at.get("progress")[0].proto.text  # a bar instead of the slider
    at.run()
    assert at.session_state.moment == 1  # a rerun sooner than the timer is no tick
    tick()
    assert at.session_state.moment == 2
    at.button(key="play").click().run()
    assert not at.exception and not at.session_state.playing and at.button(key="play").label == "Play"
    tick()
    assert at.select_slider(key="moment_slider").value == 2  # paused: no tick moves it

    at.button(key="play").click().run()
    for _ in range(moments):
        tick()
    assert not at.exception and not at.session_state.playing  # it stops by itself at the end
    assert at.select_slider(key="moment_slider").value == moments - 1 and at.button(key="play").label == "Play"
    at.button(key="play").click().run()
    assert at.session_state.moment == 0  # Play at the end starts again from the start


def test_a_missing_history_names_the_command(tmp_path, monkeypatch):
    folder = tmp_path / "mnist" / "conv_ae-2"
    folder.mkdir(parents=True)
    (folder / "card.json").write_text(json.dumps({"name": "conv_ae-2", "task": "latent", "latent_dim": 2}))
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception
    assert any("python train_all.py --models conv_ae-2" in i.value and "No training history" in i.value for i in at.info)


def test_a_damaged_history_says_so(tmp_path, monkeypatch):
    folder = tmp_path / "mnist" / "vae-2"
    folder.mkdir(parents=True)
    (folder / history.HISTORY_FILE).write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}" + b"\x00" * 40)
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "cannot be read" in shown and "damaged" in shown and "python train_all.py --models vae-2" in shown


def test_the_page_lists_the_models_train_all_records():
    """The page finds the recorded models from the cards (it may not import explorer.releases);
    on the shipped folder that must be the releases that record a history."""
    script = ("import json, sys; from streamlit.testing.v1 import AppTest\n"
              f"at = AppTest.from_file({APP!r}, default_timeout=60); at.switch_page({PAGE!r}); at.run()\n"
              "assert not at.exception, at.exception\n"
              "print(json.dumps(at.selectbox(key='history_model').options))\n"
              "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    options, torch_loaded = out.stdout.strip().splitlines()[-2:]
    expected = sorted(n for n, r in RELEASES.items() if r.history and r.latent_dim == 2)
    assert json.loads(options) == expected
    assert torch_loaded == "False", "the history page imported PyTorch"
