"""Every shipped model's ONNX export gives PyTorch's outputs, and was made from the shipped
safetensors (a stale export fails here; rebuild with `python -m explorer.export`)."""

import json
import numpy as np
import onnxruntime as ort
import pytest
import torch

from explorer import export
from explorer.models import build
from explorer.pretrained import list_pretrained, load_pretrained, model_dir, save_pretrained

SHIPPED = list_pretrained()


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_every_model_is_shipped_and_exported():
    assert len(SHIPPED) >= 11
    problems = [p for name in SHIPPED for p in export.stale_files(model_dir(name))]
    assert not problems, "\n".join(problems) + "\nRebuild them with: python -m explorer.export"


@pytest.mark.parametrize("name", SHIPPED)
def test_onnx_equals_pytorch(name):
    model = load_pretrained(name)
    folder = model_dir(name)
    g = torch.Generator().manual_seed(1)
    n = 5
    with torch.no_grad():
        if model.task != "latent":
            side = export.input_side(model)
            x = torch.rand(n, 1, side, side, generator=g)
            (out,) = session(folder / "model.onnx").run(None, {"image": x.numpy()})
            np.testing.assert_allclose(out, model.reconstruct(x).numpy(), atol=1e-4, rtol=0)
            return
        x = torch.rand(n, 1, 28, 28, generator=g)
        y = torch.randint(0, 10, (n,), generator=g) if model.conditional else None
        digit = {"digit": y.numpy()} if model.conditional else {}
        # Codes spread over several units, as far out as the pad goes.
        z = 3 * torch.randn(n, model.latent_dim, generator=g)
        outs = session(folder / "encoder.onnx").run(None, {"image": x.numpy(), **digit})
        if export.is_variational(model):
            q = model.posterior(x, y)
            np.testing.assert_allclose(outs[0], q.mean.numpy(), atol=1e-4, rtol=0)
            np.testing.assert_allclose(outs[1], q.logvar.numpy(), atol=1e-4, rtol=0)
        else:
            assert len(outs) == 1
            np.testing.assert_allclose(outs[0], model.encode(x).numpy(), atol=1e-4, rtol=0)
        (image,) = session(folder / "decoder.onnx").run(None, {"code": z.numpy(), **digit})
        assert image.shape == (n, 1, 28, 28)
        np.testing.assert_allclose(image, model.decode(z, y).numpy(), atol=1e-4, rtol=0)


@pytest.mark.parametrize("family,config", [("cvae", {"hidden": 16, "channels": [4, 8]}),
                                           ("super_resolution", {"factor": 4, "channels": 8, "subpixel": True}),
                                           ("ae", {"latent_dim": 3, "hidden": [16]})])
def test_export_is_deterministic_and_notices_new_weights(tmp_path, family, config):
    model = build(family, **config)
    folder = tmp_path / "mnist" / "tiny"
    save_pretrained(model, folder, {})
    first = {p.name: p.read_bytes() for p in export.export_release(folder)}
    second = {p.name: p.read_bytes() for p in export.export_release(folder)}
    assert first == second, "the same weights must give the same ONNX bytes"
    assert not export.stale_files(folder)

    # New weights (BatchNorm statistics included) make the old export stale.
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(0.01)
    keep = {name: (folder / name).read_bytes() for name in first}
    save_pretrained(model, folder, {})
    for name, data in keep.items():
        (folder / name).write_bytes(data)
    assert len(export.stale_files(folder)) == len(first)
    assert export.main(["--root", str(tmp_path), "--check"]) == 1
    assert export.main(["--root", str(tmp_path)]) == 0
    assert export.main(["--root", str(tmp_path), "--check"]) == 0


def test_metadata_describes_the_model():
    folder = model_dir("cvae-2")
    meta = session(folder / "decoder.onnx").get_modelmeta().custom_metadata_map
    config = json.loads((folder / "config.json").read_text())
    assert meta["family"] == config["family"] == "cvae"
    assert meta["conditional"] == "true" and meta["variational"] == "true"
    assert meta["latent_dim"] == "2" and meta["num_classes"] == "10"
    assert meta[export.SHA_KEY] == export.sha256(folder / "model.safetensors")


def test_release_list_for_the_app_is_current():
    """The app reads RELEASES through releases.json (it cannot import explorer.releases: torch)."""
    from explorer.releases import RELEASES, names_for
    from explorer.shipped import catalog_path, load_card, load_catalog

    assert load_catalog() == export.catalog(), f"{catalog_path()} is stale: run python -m explorer.export"
    releases = load_catalog()["releases"]
    assert [r["name"] for r in releases] == list(RELEASES)
    pickers = [r["name"] for r in releases if r["picker"] and r["task"] == "latent" and r["latent_dim"] == 2]
    assert pickers == names_for("latent", latent_dim=2) and "vae-2-beta1" not in pickers
    # A card without a task (the beta set's) gets its family's, as explorer.pretrained.load_card gives it.
    assert load_card("vae-2-beta1")["task"] == "latent"


def test_release_list_without_the_file_falls_back_to_the_cards(tmp_path):
    from explorer.shipped import load_catalog

    for name, card in {"vae-2": {"task": "latent", "latent_dim": 2}, "vae-2-beta1": {"latent_dim": 2}}.items():
        (tmp_path / "mnist" / name).mkdir(parents=True)
        (tmp_path / "mnist" / name / "config.json").write_text("{}")
        (tmp_path / "mnist" / name / "card.json").write_text(json.dumps(card))
    releases = load_catalog(root=tmp_path)["releases"]
    assert [(r["name"], r["label"], r["picker"]) for r in releases] == [("vae-2", "vae-2", True),
                                                                       ("vae-2-beta1", "vae-2-beta1", False)]


def test_classifier_onnx_equals_pytorch():
    """The digit classifier the latent explorer runs: its probabilities, on real test digits."""
    from explorer.classifier import load_classifier
    from explorer.data import load_split
    from explorer.onnx_models import load_onnx_classifier
    from explorer.shipped import classifier_dir

    folder = classifier_dir()
    assert not export.stale_files(folder), "Rebuild it with: python -m explorer.export"
    x = load_split("mnist", train=False).floats[:64]
    with torch.no_grad():
        want = torch.softmax(load_classifier(folder)(x), dim=1).numpy()
    got = load_onnx_classifier().probabilities(x.numpy())
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    np.testing.assert_allclose(got.sum(1), 1, atol=1e-5)
